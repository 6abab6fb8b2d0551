"""Seed spread and two-level (seeds and videos) bootstrap intervals (vsslib.statistics): hand-computed cases,
the accumulator and plain loops as independent routes, coverage on cases with a known truth, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.base.errors import DataError, ParameterError
from vsslib.metrics import MetricAccumulator
from vsslib.analysis.coverage import simulate_coverage
from vsslib.statistics import (VideoCounts, bootstrap_gain_interval, bootstrap_interval, ratio_summary,
                               resample_seeds_and_videos, resample_videos, seed_spread, summarize_runs,
                               summary_columns, table_columns)

SETTINGS = {"num_classes": np.array(2), "dilation_ratio": np.array(0.02), "vc_lengths": np.array([8]),
            "vc_windows": np.array("vspw"), "ignore_index": np.array(255)}


def _counts(confusion: list, band_intersection: list, band_union: list, numerators: list,
            denominators: list) -> dict[str, np.ndarray]:
    """A to_arrays()-style dict written by hand (two classes, one window length 8)."""
    return {**SETTINGS, "frames": np.array(10), "confusion": np.array(confusion, np.int64),
            "band_intersection": np.array(band_intersection, np.int64), "band_union": np.array(band_union, np.int64),
            "vc8_numerators": np.array(numerators, np.int64), "vc8_denominators": np.array(denominators, np.int64)}


# Video a: hits (3, 2), gt pixels (4, 2), predicted (3, 3): IoU 3/4, 2/3. Bands: class 0 1/2, class 1 none.
# VC8: windows 3/4 and one without ground truth (left out).
VIDEO_A = _counts([[3, 1, 0], [0, 2, 0]], [1, 0], [2, 0], [3, 0], [4, 0])
# Video b: hits (1, 2), gt (2, 4) (one class-0 pixel predicted outside the classes), predicted (3, 2):
# IoU 1/4, 2/4. Bands 0/1, 1/2. VC8 windows 1/2, 1/4.
VIDEO_B = _counts([[1, 0, 1], [2, 2, 0]], [0, 1], [1, 2], [1, 1], [2, 4])
# Video b after refinement: hits (2, 3), gt (2, 4), predicted (3, 3): IoU 2/3, 3/4. Bands 1/1, 2/2. VC8 2/2, 3/4.
VIDEO_B_REFINED = _counts([[2, 0, 0], [1, 3, 0]], [1, 2], [1, 2], [2, 3], [2, 4])

# Hand-computed scores for the pooling weights (2, 0), (1, 1), (0, 2) of videos (a, b)
EXPECTED = {
    "miou": [(3 / 4 + 2 / 3) / 2, (4 / 8 + 4 / 7) / 2, (1 / 4 + 2 / 4) / 2],  # (1,1): hits 4,4; unions 8,7
    "miou_present": [(3 / 4 + 2 / 3) / 2, (4 / 8 + 4 / 7) / 2, (1 / 4 + 2 / 4) / 2],
    "mbiou": [1 / 2, (1 / 3 + 1 / 2) / 2, (0 + 1 / 2) / 2],  # (1,1): intersections 1,1; unions 3,2
    "mvc8": [3 / 4, (3 / 4 + 1 / 2 + 1 / 4) / 3, (1 / 2 + 1 / 4) / 2],
}
WEIGHTS = np.array([[2, 0], [1, 1], [0, 2]])


def test_scores_of_pooled_videos_equal_hand_computed_values() -> None:
    counts = VideoCounts.from_arrays({"a": VIDEO_A, "b": VIDEO_B})
    assert counts.metrics == ("miou", "miou_present", "mbiou", "mvc8")
    for metric, expected in EXPECTED.items():
        np.testing.assert_allclose(counts.score(metric, WEIGHTS), expected, rtol=0, atol=1e-15, err_msg=metric)
    np.testing.assert_allclose(counts.score("miou"), [(4 / 8 + 4 / 7) / 2], atol=1e-15)  # every video once
    np.testing.assert_array_equal(counts.hits, [[3, 2], [1, 2]])
    np.testing.assert_array_equal(counts.gt_pixels, [[4, 2], [2, 4]])
    np.testing.assert_array_equal(counts.window_counts[8], [1, 2])


def test_correct_consistency_of_pooled_videos_by_hand() -> None:
    """VCc8 numerators beside VC8's (same windows and denominators): a: 1/4 (and an undefined window);
    b: 0/2, 1/4. Pooled over the weights (2, 0), (1, 1), (0, 2): 1/4, (1/4 + 0 + 1/4) / 3, (0 + 1/4) / 2."""
    with_vcc = {"vc_measures": np.array(["vc", "vcc"])}
    a = {**VIDEO_A, **with_vcc, "vcc8_numerators": np.array([1, 0], np.int64)}
    b = {**VIDEO_B, **with_vcc, "vcc8_numerators": np.array([0, 1], np.int64)}
    counts = VideoCounts.from_arrays({"a": a, "b": b})
    assert counts.metrics == ("miou", "miou_present", "mbiou", "mvc8", "mvcc8")
    np.testing.assert_allclose(counts.score("mvcc8", WEIGHTS), [1 / 4, 1 / 6, 1 / 8], rtol=0, atol=1e-15)
    np.testing.assert_allclose(counts.score("mvc8", WEIGHTS), EXPECTED["mvc8"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(counts.correct_window_sums[8], [1 / 4, 1 / 4], atol=1e-15)
    columns = table_columns([counts], metrics=["mvc8", "mvcc8"], resamples=50, seed=0)
    assert columns["mVCc8"] == pytest.approx(100 / 6, abs=1e-12) and columns["mVC8"] == pytest.approx(50, abs=1e-12)
    b.pop("vcc8_numerators")  # counts that say they hold VCc but lack its numerators
    with pytest.raises(DataError, match="video b: metric counts lack the key 'vcc8_numerators'"):
        VideoCounts.from_arrays({"a": a, "b": b})
    with pytest.raises(DataError, match="video b: counts made with"):  # one video with VCc, one without
        VideoCounts.from_arrays({"a": a, "b": VIDEO_B})


def test_gain_interval_of_two_videos_spans_the_three_possible_draws() -> None:
    """With two videos a draw is (a, a), (a, b) or (b, b); at 95 % and 2000 draws the percentiles are the
    smallest and largest of the three possible gains (each has probability 1/4 of being drawn)."""
    baseline = VideoCounts.from_arrays({"a": VIDEO_A, "b": VIDEO_B})
    refined = VideoCounts.from_arrays({"a": VIDEO_A, "b": VIDEO_B_REFINED})
    refined_miou = [(3 / 4 + 2 / 3) / 2, 5 / 7, (2 / 3 + 3 / 4) / 2]  # (1,1): hits 5,5; unions 7,7
    gains = np.array(refined_miou) - np.array(EXPECTED["miou"])
    interval = bootstrap_gain_interval(baseline, refined, "miou", resamples=2000, seed=1)
    assert interval.estimate == pytest.approx(gains[1], abs=1e-15)
    assert interval.low == pytest.approx(gains.min(), abs=1e-15)
    assert interval.high == pytest.approx(gains.max(), abs=1e-15)
    assert interval.resamples == 2000 and interval.confidence == 0.95


def test_fast_scores_equal_merged_accumulators_on_random_videos() -> None:
    """The (B, V) matrix route gives what MetricAccumulator.merge + result() give for the same pooled videos."""
    rng = np.random.default_rng(7)
    num_classes, per_video, accumulators = 4, {}, []
    for v in range(5):
        frames = int(rng.integers(3, 12))  # some videos shorter than a window: no VC windows at all
        gt = np.repeat(rng.integers(0, num_classes, (1, 9, 11)), frames, axis=0)  # still scene, some changes
        gt = np.where(rng.random(gt.shape) < 0.05, rng.integers(0, num_classes, gt.shape), gt).astype(np.uint8)
        gt[rng.random(gt.shape) < 0.1] = 255
        pred = np.where(rng.random(gt.shape) < 0.7, gt, rng.integers(0, num_classes + 1, gt.shape)).astype(np.uint8)
        pred[pred == 255] = 0
        accumulator = MetricAccumulator(num_classes, dilation_ratio=0.1, vc_lengths=(2, 5)).update(gt, pred)
        accumulators.append(accumulator.to_arrays())
        per_video[f"v{v}"] = accumulators[-1]
    counts = VideoCounts.from_arrays(per_video)
    weights = np.vstack([resample_videos(5, resamples=6, seed=3), [[0, 0, 3, 0, 0]], [[1, 1, 1, 1, 1]]])
    assert np.isfinite(counts.score("mvc2", weights)).all() and np.isfinite(counts.score("mvc5")).all()
    for b, row in enumerate(weights):
        merged = MetricAccumulator(num_classes, dilation_ratio=0.1, vc_lengths=(2, 5))
        for v, times in enumerate(row):
            for _ in range(times):
                merged.merge(MetricAccumulator.from_arrays(accumulators[v]))
        expected = merged.result()
        for metric in counts.metrics:
            got = counts.score(metric, row[None])[0]
            if np.isnan(expected[metric]):
                assert np.isnan(got), (b, metric)
            else:
                assert got == pytest.approx(expected[metric], rel=1e-13, abs=1e-15), (b, metric)


def _vc_only_video(numerator: int, denominator: int = 100) -> dict[str, np.ndarray]:
    """A video whose only defined number is one VC8 window of score numerator / denominator."""
    return _counts([[1, 0, 0], [0, 1, 0]], [1, 1], [1, 1], [numerator], [denominator])


def test_interval_covers_a_known_mean_about_95_percent_of_the_time() -> None:
    """Per-video VC scores drawn with mean 0.6: mVC is their mean, and its 95 % percentile interval over 20
    videos should cover 0.6 in about 93 % of simulated studies (the percentile bootstrap of a mean of 20 runs
    narrow: its sd is biased by sqrt(19/20) and it uses z where t would apply); 0.90 for these 300 seeds."""
    rng = np.random.default_rng(11)
    covered = 0
    for study in range(300):
        numerators = rng.binomial(100, 0.6, size=20)
        counts = VideoCounts.from_arrays({f"v{i}": _vc_only_video(int(k)) for i, k in enumerate(numerators)})
        interval = bootstrap_interval(counts, "mvc8", resamples=400, seed=study)
        covered += interval.low <= 0.6 <= interval.high
    assert 0.88 <= covered / 300 <= 0.99


def test_same_seed_same_interval_other_seed_other_draws() -> None:
    counts = VideoCounts.from_arrays({f"v{i}": _vc_only_video(k) for i, k in enumerate([40, 55, 61, 70, 90])})
    first = bootstrap_interval(counts, "mvc8", seed=4)
    assert first == bootstrap_interval(counts, "mvc8", seed=4)
    np.testing.assert_array_equal(resample_videos(5, resamples=50, seed=4), resample_videos(5, resamples=50, seed=4))
    assert not np.array_equal(resample_videos(5, resamples=50, seed=4), resample_videos(5, resamples=50, seed=5))
    assert resample_videos(5, resamples=50, seed=4).sum(axis=1).tolist() == [5] * 50
    assert first.estimate == pytest.approx((0.40 + 0.55 + 0.61 + 0.70 + 0.90) / 5)
    assert 0.40 <= first.low < first.estimate < first.high <= 0.90


def test_summary_over_seeds_matches_a_plain_loop() -> None:
    """mean and sd over seeds of the gain on all videos; interval from the gain averaged over each draw's seeds
    (with multiplicity) on its videos, recomputed here with accumulators, a list of drawn seeds and np.quantile."""
    rng = np.random.default_rng(5)
    seeds_base, seeds_refined, raw = [], [], []
    for seed in range(3):
        per_base, per_refined, videos = {}, {}, []
        for v in range(4):
            gt = np.repeat(rng.integers(0, 3, (1, 8, 8)), 10, axis=0)  # a still scene, some pixels change
            gt = np.where(rng.random(gt.shape) < 0.1, rng.integers(0, 3, gt.shape), gt).astype(np.uint8)
            base = np.where(rng.random(gt.shape) < 0.6, gt, rng.integers(0, 3, gt.shape)).astype(np.uint8)
            refined = np.where(rng.random(gt.shape) < 0.5, gt, base).astype(np.uint8)
            per_base[f"v{v}"] = MetricAccumulator(3, vc_lengths=(8,)).update(gt, base).to_arrays()
            per_refined[f"v{v}"] = MetricAccumulator(3, vc_lengths=(8,)).update(gt, refined).to_arrays()
            videos.append((per_base[f"v{v}"], per_refined[f"v{v}"]))
        seeds_base.append(VideoCounts.from_arrays(per_base))
        seeds_refined.append(VideoCounts.from_arrays(per_refined))
        raw.append(videos)
    summaries = summarize_runs(seeds_refined, seeds_base, resamples=200, seed=9)

    def pooled(arrays_list: list, row: np.ndarray) -> dict:
        merged = MetricAccumulator(3, vc_lengths=(8,))
        for arrays, times in zip(arrays_list, row):
            for _ in range(times):
                merged.merge(MetricAccumulator.from_arrays(arrays))
        return merged.result()

    seed_weights, weights = resample_seeds_and_videos(3, 4, resamples=200, seed=9)
    assert (seed_weights != 1).any(axis=1).mean() > 0.5  # most draws repeat a seed: the seed level matters
    for metric in ("miou", "mbiou", "mvc8", "mvcc8"):
        gains = [pooled([r for _, r in videos], np.ones(4, int))[metric]
                 - pooled([b for b, _ in videos], np.ones(4, int))[metric] for videos in raw]
        drawn = []
        for seed_row, row in zip(seed_weights, weights):
            chosen = [s for s in range(3) for _ in range(seed_row[s])]  # e.g. seeds 0, 0, 2
            drawn.append(np.mean([pooled([r for _, r in raw[s]], row)[metric]
                                  - pooled([b for b, _ in raw[s]], row)[metric] for s in chosen]))
        summary = summaries[metric]
        assert summary.gain and summary.n_seeds == 3 and summary.n_videos == 4
        assert summary.mean == pytest.approx(100 * np.mean(gains), abs=1e-10)
        assert summary.sd == pytest.approx(100 * np.std(gains, ddof=1), abs=1e-10)
        low, high = np.quantile(drawn, [0.025, 0.975])
        assert summary.ci_low == pytest.approx(100 * low, abs=1e-10)
        assert summary.ci_high == pytest.approx(100 * high, abs=1e-10)
    columns = summary_columns(summaries)
    assert list(columns)[:4] == ["mIoU", "mIoU_sd", "mIoU_ci_low", "mIoU_ci_high"]
    assert columns["n_seeds"] == 3 and columns["n_videos"] == 4 and "mVC8_ci_high" in columns
    assert {"mVCc8", "mVCc8_sd", "mVCc8_ci_low", "mVCc8_ci_high", "mVCc8_p"} <= set(columns)
    assert table_columns(seeds_refined, seeds_base, resamples=200, seed=9) == columns
    plain = table_columns(seeds_base, metrics=["miou"], resamples=200, seed=9)  # a metric, not a gain
    assert list(plain) == ["mIoU", "mIoU_sd", "mIoU_ci_low", "mIoU_ci_high", "n_seeds", "n_videos"]
    assert plain["mIoU_ci_low"] < plain["mIoU"] < plain["mIoU_ci_high"]


def test_two_level_draws_keep_the_video_draws_and_add_seed_draws() -> None:
    seed_weights, video_weights = resample_seeds_and_videos(3, 20, resamples=1000, seed=4)
    np.testing.assert_array_equal(video_weights, resample_videos(20, resamples=1000, seed=4))
    assert seed_weights.shape == (1000, 3) and (seed_weights.sum(axis=1) == 3).all()
    # each seed is drawn Binomial(3, 1/3) times: mean 1, P(not drawn) = (2/3)^3 = 0.296
    assert seed_weights.mean() == pytest.approx(1.0, abs=0.05)
    assert (seed_weights == 0).mean() == pytest.approx(8 / 27, abs=0.03)
    one_seed, _ = resample_seeds_and_videos(1, 20, resamples=50, seed=4)
    assert (one_seed == 1).all()
    with pytest.raises(ParameterError, match="n_seeds=0"):
        resample_seeds_and_videos(0, 20)


def test_interval_of_two_seeds_on_one_video_spans_the_seeds() -> None:
    """One video, two seeds with mIoU x1 = (3/4 + 2/3)/2 and x2 = (1/4 + 2/4)/2: a draw of seeds is (1, 1),
    (1, 2) or (2, 2), with mean x1, (x1 + x2)/2 or x2 (probabilities 1/4, 1/2, 1/4), so at 95 % over 2000 draws
    the interval is [x2, x1]. A video bootstrap alone would give the point (x1 + x2)/2."""
    x1, x2 = (3 / 4 + 2 / 3) / 2, (1 / 4 + 2 / 4) / 2
    runs = [VideoCounts.from_arrays({"a": VIDEO_A}), VideoCounts.from_arrays({"a": VIDEO_B})]
    summary = summarize_runs(runs, metrics=["miou"], resamples=2000, seed=3)["miou"]
    assert summary.mean == pytest.approx(100 * (x1 + x2) / 2, abs=1e-12)
    assert summary.ci_low == pytest.approx(100 * x2, abs=1e-12)
    assert summary.ci_high == pytest.approx(100 * x1, abs=1e-12)
    ratio = ratio_summary(np.array([[[3]], [[1]]]), np.array([[[4]], [[4]]]), resamples=2000, seed=3)
    assert (ratio.ci_low[0], ratio.ci_high[0]) == pytest.approx((1 / 4, 3 / 4), abs=1e-12)


def test_simulated_truth_equals_a_brute_force_population() -> None:
    """The quadrature truth of simulate_coverage against 400 seeds x 3000 videos of the same model, scored with
    expected counts (no pixel noise): the class-mean pooled IoU averaged over seeds, for both sides."""
    result = simulate_coverage(studies=1, resamples=10)
    rng = np.random.default_rng(0)
    logits, sizes, f = np.linspace(-1, 2, 10), np.linspace(750, 3000, 10), 0.4
    gt = 1 + rng.poisson(sizes, (3000, 10))
    video, extra = rng.normal(0, 0.3, (3000, 10)), rng.normal(0, 0.3, (3000, 10))
    shift, gain_shift = rng.normal(0, 0.06, (400, 1, 1)), rng.normal(0.3, 0.025, (400, 1, 1))

    def population(logit: np.ndarray) -> float:
        p = 1 / (1 + np.exp(-logit))  # (seeds, videos, classes)
        iou = (gt * p).sum(axis=1) / (gt * (1 + f * (1 - p))).sum(axis=1)
        return 100 * iou.mean()

    base = population(logits + video + shift)
    refined = population(logits + video + shift + gain_shift + extra)
    assert result["level"].truth == pytest.approx(refined, abs=0.15)
    assert result["gain"].truth == pytest.approx(refined - base, abs=0.05)


def test_coverage_is_nominal_where_the_bootstrap_is_known_to_work() -> None:
    """One seed and 200 videos: the percentile bootstrap of a smooth statistic of 200 iid videos covers close
    to 95 %; 200 studies put the rate within about 3 binomial sds (1.5 points each) of it. With one seed the
    seed level adds nothing, so both intervals are equal."""
    result = simulate_coverage(studies=200, n_seeds=1, n_videos=200, seed_sd=0.0, gain_seed_sd=0.0, resamples=400)
    for coverage in result.values():
        assert 0.90 <= coverage.rate <= 0.99, coverage
        assert coverage.covered == coverage.covered_videos_only


def test_readme_quotes_the_measured_coverage() -> None:
    """The README's coverage sentence gives simulate_coverage()'s default run (the tables' case)."""
    from pathlib import Path

    result = simulate_coverage()
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for coverage in result.values():
        assert f"{100 * coverage.rate:.1f} %" in readme, coverage
        assert f"{100 * coverage.rate_videos_only:.1f} %" in readme, coverage
    assert f"{result['level'].studies} simulated studies" in readme
    # the simulated seed sd is compared with the table's own: the fcn16-wide baseline's mIoU_sd in refiner.csv
    import pandas as pd

    table = pd.read_csv(Path(__file__).resolve().parents[1] / "results" / "tables" / "refiner.csv")
    row = table[(table["baseline"] == "fcn16-wide") & (table["method"] == "baseline")].iloc[0]
    assert f"close to the fcn16-wide baseline's seed sd, {row['mIoU_sd']:.2f} in `refiner.csv`" in readme


def test_seed_spread_is_mean_and_sample_sd() -> None:
    assert seed_spread([1.0, 2.0, 4.0]) == pytest.approx((7 / 3, np.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2
                                                                         + (4 - 7 / 3) ** 2) / 2)))
    mean, sd = seed_spread([5.0])
    assert mean == 5.0 and np.isnan(sd)


def test_bad_input_names_what_is_wrong() -> None:
    counts = VideoCounts.from_arrays({"a": VIDEO_A, "b": VIDEO_B})
    other = VideoCounts.from_arrays({"a": VIDEO_A, "c": VIDEO_B})
    with pytest.raises(ParameterError, match="unknown metric 'fps'; valid: miou, miou_present, mbiou, mvc8"):
        counts.score("fps")
    with pytest.raises(ParameterError, match=r"weights must be \(B, 2\)"):
        counts.score("miou", np.ones((3, 5), int))
    with pytest.raises(ParameterError, match="runs cover different videos"):
        bootstrap_gain_interval(counts, other, "miou")
    with pytest.raises(ParameterError, match="2 runs but 1 baselines"):
        summarize_runs([counts, counts], [counts])
    with pytest.raises(DataError, match="video b: counts made with .*dilation_ratio.: 0.05"):
        VideoCounts.from_arrays({"a": VIDEO_A, "b": {**VIDEO_B, "dilation_ratio": np.array(0.05)}})
    with pytest.raises(DataError, match="video a: metric counts lack the key 'band_union'"):
        VideoCounts.from_arrays({"a": {k: v for k, v in VIDEO_A.items() if k != "band_union"}})


# ------------------------------------------------------------------------------------------ ratio_summary
def test_ratio_of_two_videos_by_hand() -> None:
    """One seed, two videos, two items. Item 0: video a 3 of 4 right, video b 1 of 4; item 1: a 0 of 0 (no
    pixels), b 2 of 8. The three possible draws (a, a), (a, b), (b, b) give item 0: 3/4, 4/8, 1/4 and item 1:
    NaN, 2/8, 2/8; at 95 % and 2000 draws the percentiles are the extreme defined values."""
    numerators = np.array([[[3, 0], [1, 2]]])  # (S=1, V=2, K=2)
    denominators = np.array([[[4, 0], [4, 8]]])
    summary = ratio_summary(numerators, denominators, resamples=2000, seed=1)
    assert not summary.gain and summary.n_seeds == 1 and summary.n_videos == 2
    np.testing.assert_allclose(summary.mean, [4 / 8, 2 / 8], rtol=0, atol=1e-15)
    assert np.isnan(summary.sd).all()  # one seed: no spread
    np.testing.assert_allclose(summary.ci_low, [1 / 4, 2 / 8], rtol=0, atol=1e-15)
    np.testing.assert_allclose(summary.ci_high, [3 / 4, 2 / 8], rtol=0, atol=1e-15)
    columns = summary.columns("accuracy")
    assert list(columns) == ["accuracy", "accuracy_sd", "accuracy_ci_low", "accuracy_ci_high"]
    np.testing.assert_allclose(columns["accuracy"], [50.0, 25.0])
    # Two seeds whose ratios on all videos are 1/2 and 3/4 (item 0): mean 5/8, sd |3/4 - 1/2| / sqrt(2)
    two = ratio_summary(np.array([[[3], [1]], [[4], [2]]]), np.array([[[4], [4]], [[4], [4]]]))
    assert two.mean[0] == pytest.approx(5 / 8) and two.sd[0] == pytest.approx(0.25 / np.sqrt(2))
    # A class mean leaves out a class without a pooled denominator: (1/2 + 3/4) / 2, class 2 never seen.
    one = ratio_summary(np.array([[[[1, 3, 0]]]]), np.array([[[[2, 4, 0]]]]), class_mean=True)
    assert one.mean[0] == pytest.approx((1 / 2 + 3 / 4) / 2)


def _loop_ratio(num: np.ndarray, den: np.ndarray, row: np.ndarray, class_mean: bool) -> np.ndarray:
    """The ratio of one seed (num, den: (V, K) or (V, K, C)) pooled with video weights ``row``, by loops."""
    items = []
    for k in range(num.shape[1]):
        classes = range(num.shape[2]) if class_mean else [None]
        ratios = []
        for c in classes:
            top = bottom = 0.0
            for v, times in enumerate(row):
                for _ in range(int(times)):
                    top += num[v, k] if c is None else num[v, k, c]
                    bottom += den[v, k] if c is None else den[v, k, c]
            if bottom > 0:
                ratios.append(top / bottom)
        items.append(np.mean(ratios) if ratios else np.nan)
    return np.array(items)


@pytest.mark.parametrize("class_mean", [False, True])
def test_ratio_gain_over_seeds_matches_a_loop_over_draws(class_mean: bool) -> None:
    """mean / sd over 3 seeds of the gain on all 5 videos, and the percentile interval over the same 300 draws of
    seeds and videos, recomputed with literal loops over draws, drawn seeds, videos, items and classes. The
    baseline has its own denominators (a union), and some items have empty pooled denominators in some draws."""
    rng = np.random.default_rng(21)
    shape = (3, 5, 4, 3) if class_mean else (3, 5, 4)
    den = rng.integers(0, 6, shape) * (rng.random(shape) < 0.7)
    num = rng.integers(0, 7, shape) % (den + 1)
    base_den = rng.integers(0, 6, shape)
    base_num = rng.integers(0, 7, shape) % (base_den + 1)
    den[:, :, 0] = 0  # item 0 never defined: NaN everywhere
    den[:, 0, 1], den[:, 1:, 1] = 3, 0  # item 1 defined by video 0 only: draws without it are left out
    summary = ratio_summary(num, den, base_num, base_den, class_mean=class_mean, resamples=300, seed=3)
    seed_weights, weights = resample_seeds_and_videos(3, 5, resamples=300, seed=3)
    everything = np.ones(5, int)
    gains = np.array([_loop_ratio(num[s], den[s], everything, class_mean)
                      - _loop_ratio(base_num[s], base_den[s], everything, class_mean) for s in range(3)])
    drawn = np.array([np.mean([_loop_ratio(num[s], den[s], row, class_mean)
                               - _loop_ratio(base_num[s], base_den[s], row, class_mean)
                               for s in range(3) for _ in range(seed_row[s])], axis=0)
                      for seed_row, row in zip(seed_weights, weights)])  # (B, K)
    assert summary.gain and summary.n_seeds == 3 and summary.n_videos == 5
    np.testing.assert_allclose(summary.mean, gains.mean(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(summary.sd, gains.std(axis=0, ddof=1), rtol=0, atol=1e-12)
    assert np.isnan(summary.mean[0]) and np.isnan(summary.ci_low[0]) and np.isnan(summary.ci_high[0])
    for k in range(1, 4):
        defined = drawn[:, k][~np.isnan(drawn[:, k])]
        low, high = np.quantile(defined, [0.025, 0.975])
        assert summary.ci_low[k] == pytest.approx(low, abs=1e-12)
        assert summary.ci_high[k] == pytest.approx(high, abs=1e-12)
    assert (np.isnan(drawn[:, 1])).any() and not np.isnan(drawn[:, 1]).all()


def test_ratio_class_mean_equals_the_metrics_mbiou_summary() -> None:
    """Band counts as ratios with a class mean give summarize_runs' mBIoU numbers (another route: VideoCounts)."""
    runs = [VideoCounts.from_arrays({"a": VIDEO_A, "b": VIDEO_B}),
            VideoCounts.from_arrays({"a": VIDEO_A, "b": VIDEO_B_REFINED})]
    expected = summarize_runs(runs, metrics=["mbiou"], resamples=500, seed=2)["mbiou"]
    got = ratio_summary(np.stack([r.band_intersection for r in runs])[:, :, None],
                        np.stack([r.band_union for r in runs])[:, :, None], class_mean=True, resamples=500, seed=2)
    assert 100 * got.mean[0] == pytest.approx(expected.mean, abs=1e-12)
    assert 100 * got.sd[0] == pytest.approx(expected.sd, abs=1e-12)
    assert 100 * got.ci_low[0] == pytest.approx(expected.ci_low, abs=1e-12)
    assert 100 * got.ci_high[0] == pytest.approx(expected.ci_high, abs=1e-12)


def test_ratio_summary_names_bad_shapes() -> None:
    with pytest.raises(ParameterError, match=r"numerators must be \(S, V, K\).*got shape \(2, 3\)"):
        ratio_summary(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ParameterError, match="class_mean=True needs a class axis"):
        ratio_summary(np.ones((1, 2, 3)), np.ones((1, 2, 3)), class_mean=True)
    with pytest.raises(ParameterError, match=r"denominators of shape \(4,\) do not broadcast"):
        ratio_summary(np.ones((1, 2, 3)), np.ones(4))
    with pytest.raises(ParameterError, match="same seeds, videos and items"):
        ratio_summary(np.ones((1, 2, 3)), np.ones((1, 2, 3)), np.ones((2, 2, 3)))
    with pytest.raises(ParameterError, match="non-negative"):
        ratio_summary(np.ones((1, 2, 3)), -np.ones((1, 2, 3)))


def test_bootstrap_p_value_is_the_normal_tail_at_the_bootstraps_standard_error() -> None:
    from vsslib.significance import bootstrap_p_value

    draws = np.array([1.0, 3.0, np.nan, 2.0, 4.0, 0.0])  # defined: 0..4, sample sd sqrt(2.5)
    se = np.sqrt(2.5)
    # 2 * (1 - Phi(z)) at z = 2 / se = 1.2649: Phi(1.2649) = 0.89705 (printed normal table)
    assert bootstrap_p_value(draws, 2.0) == pytest.approx(2 * (1 - 0.89705), abs=2e-4)
    assert bootstrap_p_value(draws, -2.0) == bootstrap_p_value(draws, 2.0)  # two-sided
    assert bootstrap_p_value(draws, 1.96 * se) == pytest.approx(0.05, abs=1e-4)
    assert bootstrap_p_value(draws, 0.0) == 1.0
    assert bootstrap_p_value(np.full(5, 0.3), 0.3) == 0.0 and bootstrap_p_value(np.zeros(5), 0.0) == 1.0
    assert np.isnan(bootstrap_p_value(np.array([np.nan, 1.0]), 1.0))


def test_holm_adjust_by_hand() -> None:
    from vsslib.significance import holm_adjust

    # sorted 0.01, 0.02, 0.04, 0.30 -> 4*0.01=0.04, 3*0.02=0.06, 2*0.04=0.08, 1*0.30=0.30, running max
    adjusted = holm_adjust([0.04, 0.30, 0.01, np.nan, 0.02])
    assert adjusted[[2, 4, 0, 1]] == pytest.approx([0.04, 0.06, 0.08, 0.30])
    assert np.isnan(adjusted[3])
    # monotone: a step-down value never falls below an earlier one
    assert holm_adjust([0.001, 0.5, 0.0011]).tolist() == pytest.approx([0.003, 0.5, 0.003])


def test_a_gain_summary_carries_the_p_value_of_its_own_draws() -> None:
    from vsslib.significance import bootstrap_p_value
    from vsslib.statistics import resample_seeds_and_videos, summary_columns

    base, better = _two_runs_for_p()
    summary = summarize_runs([better], [base], metrics=["miou"], resamples=200, seed=3)["miou"]
    seed_w, video_w = resample_seeds_and_videos(1, len(base.videos), resamples=200, seed=3)
    drawn = better.score("miou", video_w) - base.score("miou", video_w)
    assert summary.p_value == pytest.approx(bootstrap_p_value(drawn, summary.mean / 100))
    assert summary_columns({"miou": summary})["mIoU_p"] == summary.p_value
    plain = summarize_runs([better], metrics=["miou"], resamples=50)["miou"]
    assert np.isnan(plain.p_value) and "mIoU_p" not in summary_columns({"miou": plain})


def _two_runs_for_p() -> tuple[VideoCounts, VideoCounts]:
    """Baseline (videos a, b) and the run where only video b was refined (every possible draw gains >= 0)."""
    return (VideoCounts.from_arrays({"a": VIDEO_A, "b": VIDEO_B}),
            VideoCounts.from_arrays({"a": VIDEO_A, "b": VIDEO_B_REFINED}))
