"""Table rows: mean and spread over seeds, intervals over videos, gains, and their reading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsslib.metrics import MetricAccumulator
from vsslib.study.runs import RunResult, VideoRecord
from vsslib.study.runs.report import summarize
from vsslib.base.errors import ParameterError
from vsslib.statistics import ratio_summary
from vsslib.study.tables import (gain_supported, interval_columns, pooled_counts, pooled_stats_row, ratio_rows, readable,
                                 stats_row, video_counts)


def _run(rng: np.random.Generator, flip: float) -> RunResult:
    """Three videos of 20 frames, 3 classes; the baseline flips a share ``flip`` of pixels, 'refined' half of it."""
    records = []
    for v in range(3):
        gt = np.repeat(rng.integers(0, 3, (1, 8, 8)), 20, axis=0).astype(np.uint8)
        counts = {}
        for variant, share in (("baseline", flip), ("refined", flip / 2)):
            pred = gt.copy()
            pred[rng.random(gt.shape) < share] = 0
            counts[variant] = MetricAccumulator(3).update(gt, pred).to_arrays()
        records.append(VideoRecord(video=f"v{v}", frames=20, counts=counts,
                                   seconds={"baseline": 1.0, "masklets": 1.0, "refinement": 0.0}))
    scores = summarize(records, {"baseline": ("baseline",), "refined": ("baseline", "masklets", "refinement")})
    return RunResult(approach="refine", dataset="d", split="val", baseline_name="b", masklet_source="m",
                     class_names=["a", "b", "c"], settings={}, scores=scores, records=records)


def test_row_mean_and_sd_are_over_seeds_and_the_gain_is_paired() -> None:
    rng = np.random.default_rng(0)
    runs = [_run(rng, 0.3), _run(rng, 0.3)]
    row = stats_row(runs, "refined", against="baseline", method="x")
    per_seed = [100 * r.scores["refined"].miou for r in runs]
    assert row["method"] == "x" and row["n_seeds"] == 2 and row["n_videos"] == 3
    assert row["mIoU"] == pytest.approx(np.mean(per_seed), abs=1e-9)
    assert row["mIoU_sd"] == pytest.approx(np.std(per_seed, ddof=1), abs=1e-9)
    gains = [100 * (r.scores["refined"].miou - r.scores["baseline"].miou) for r in runs]
    assert row["gain_mIoU"] == pytest.approx(np.mean(gains), abs=1e-9)
    assert row["gain_mIoU_ci_low"] <= row["gain_mIoU"] <= row["gain_mIoU_ci_high"]
    assert row["gain_mIoU"] > 0 and gain_supported(row) == "gain"
    assert row["fps"] == pytest.approx(10.0)  # 2 s of stages per 20-frame video: 0.1 s a frame


def test_readable_formats_mean_sd_and_interval() -> None:
    table = pd.DataFrame([{"method": "m", "mIoU": 50.0, "mIoU_sd": 1.25, "mIoU_ci_low": 47.0, "mIoU_ci_high": 52.5,
                           "n_seeds": 3}])
    out = readable(table)
    assert list(out.columns) == ["method", "mIoU", "n_seeds"]
    assert out.loc[0, "mIoU"] == "50.0 ± 1.2 [47.0, 52.5]"
    missing = readable(table.assign(mIoU=np.nan, mIoU_sd=np.nan, mIoU_ci_low=np.nan, mIoU_ci_high=np.nan))
    assert missing.loc[0, "mIoU"] == "-"  # not "nan ± nan [nan, nan]"
    assert gain_supported({"gain_mIoU_ci_low": -1.0, "gain_mIoU_ci_high": 2.0}) == "unclear"
    assert gain_supported({"gain_mIoU_ci_low": -3.0, "gain_mIoU_ci_high": -2.0}) == "loss"


def test_ratio_rows_give_each_label_its_ratio_and_the_others_a_paired_gain() -> None:
    """Two seeds, two videos, two widths. Baseline: 6 of 8 and 12 of 16 right on all videos in both seeds (75 %);
    refined: 7 of 8 and 16 of 16 in seed 0, 8 of 8 and 16 of 16 in seed 1."""
    pixels = np.array([[[4, 8], [4, 8]]] * 2)  # (S=2, V=2, K=2)
    baseline = np.array([[[3, 6], [3, 6]]] * 2)
    refined = np.array([[[4, 8], [3, 8]], [[4, 8], [4, 8]]])
    table = ratio_rows({"baseline": (baseline, pixels), "refined": (refined, pixels)}, "accuracy",
                       {"width": [1, 2]}, seed=3)
    assert table["method"].tolist() == ["baseline", "baseline", "refined", "refined"]
    assert table["width"].tolist() == [1, 2, 1, 2]
    assert table["accuracy"].tolist() == pytest.approx([75.0, 75.0, 100 * (7 / 8 + 1) / 2, 100.0])
    assert table["accuracy_sd"].tolist() == pytest.approx([0.0, 0.0, 100 * (1 / 8) / np.sqrt(2), 0.0])
    assert table["gain_accuracy"][:2].isna().all()
    assert table["gain_accuracy"][2:].tolist() == pytest.approx([100 * (15 / 16 - 3 / 4), 25.0])
    gain = ratio_summary(refined, pixels, baseline, seed=3)
    assert table["gain_accuracy_ci_low"][2:].tolist() == pytest.approx((100 * gain.ci_low).tolist())
    assert table[["n_seeds", "n_videos"]].drop_duplicates().values.tolist() == [[2, 2]]
    assert list(table.columns)[-2:] == ["n_seeds", "n_videos"]
    with pytest.raises(ParameterError, match="against='base' is not one of the labels"):
        ratio_rows({"baseline": (baseline, pixels)}, "accuracy", {"width": [1, 2]}, against="base")
    with pytest.raises(ParameterError, match="2 items in the counts, but item columns of lengths"):
        ratio_rows({"baseline": (baseline, pixels)}, "accuracy", {"width": [1, 2, 3]})


def test_interval_columns_list_each_statistic_with_its_spread_and_interval() -> None:
    assert interval_columns("mIoU", "gain_mIoU") == ["mIoU", "mIoU_sd", "mIoU_ci_low", "mIoU_ci_high", "gain_mIoU",
                                                     "gain_mIoU_sd", "gain_mIoU_ci_low", "gain_mIoU_ci_high"]
    table = pd.DataFrame([{"method": "m", "mIoU": 50.0, "mIoU_sd": 1.0, "mIoU_ci_low": 48.0, "mIoU_ci_high": 52.0,
                           "mBIoU": 40.0, "n_seeds": 3}])
    assert list(readable(table[["method", *interval_columns("mIoU")]]).columns) == ["method", "mIoU"]
    assert interval_columns() == []
    with pytest.raises(ParameterError, match="statistic names such as 'mIoU', got \\['mIoU_sd'\\]"):
        interval_columns("mIoU_sd")


def _refined_again(run: RunResult, rng: np.random.Generator, share: float) -> RunResult:
    """The same baseline counts as ``run``, its 'refined' made again with another share of flipped pixels (as if
    another masklet source had refined the same predictions)."""
    records = []
    for record in run.records:
        gt = np.repeat(np.arange(3, dtype=np.uint8)[:, None, None] * np.ones((1, 8, 8), np.uint8), 7, axis=0)[:20]
        pred = gt.copy()
        pred[rng.random(gt.shape) < share] = 0
        counts = {"baseline": record.counts["baseline"], "refined": MetricAccumulator(3).update(gt, pred).to_arrays()}
        records.append(VideoRecord(video=record.video, frames=20, counts=counts, seconds=record.seconds))
    scores = summarize(records, {"baseline": ("baseline",), "refined": ("baseline", "masklets", "refinement")})
    return RunResult(approach="refine", dataset="d", split="val", baseline_name="b", masklet_source="other",
                     class_names=["a", "b", "c"], settings={}, scores=scores, records=records)


def test_a_row_against_other_runs_is_the_paired_difference_of_two_sources() -> None:
    rng = np.random.default_rng(1)
    runs = [_run(rng, 0.3), _run(rng, 0.3)]
    others = [_refined_again(r, rng, 0.4) for r in runs]
    row = stats_row(runs, "refined", against="refined", against_runs=others, masklets="m", reference="other")
    # independent route: the mean over seeds of each run's refined mIoU minus its partner's
    differences = [100 * (r.scores["refined"].miou - o.scores["refined"].miou) for r, o in zip(runs, others)]
    assert row["gain_mIoU"] == pytest.approx(np.mean(differences), abs=1e-9)
    assert row["gain_mIoU"] == pytest.approx(stats_row(runs, "refined")["mIoU"] - stats_row(others, "refined")["mIoU"],
                                             abs=1e-9)
    assert row["gain_mIoU_ci_low"] <= row["gain_mIoU"] <= row["gain_mIoU_ci_high"]
    with pytest.raises(ParameterError, match="start from different baseline predictions"):
        stats_row(runs, "refined", against="refined", against_runs=others[::-1])  # seeds crossed
    with pytest.raises(ParameterError, match="one reference run per run: 2 runs, 1 references"):
        stats_row(runs, "refined", against="refined", against_runs=others[:1])


def test_a_pooled_row_pools_each_group_video_by_video_and_takes_its_seed_level_over_the_groups() -> None:
    """Three 'training seeds', each with two 'corruption seeds': by hand, a group's mIoU is that of its runs'
    confusion counts added over runs and videos, and mVC8 its window sums over its window counts; the row's mean
    and sd are over the three groups."""
    rng = np.random.default_rng(3)
    groups = [[_run(rng, 0.2 + 0.1 * g), _run(rng, 0.25 + 0.1 * g)] for g in range(3)]

    def by_hand(group: list[RunResult], variant: str) -> tuple[float, float]:
        confusion = sum(r.counts[variant]["confusion"].astype(np.int64) for run in group for r in run.records)
        hits, gt, pred = np.diag(confusion[:, :3]), confusion.sum(axis=1), confusion[:, :3].sum(axis=0)
        union = gt + pred - hits
        miou = float(np.mean(hits[union > 0] / union[union > 0]))
        sums, windows = 0.0, 0
        for run in group:
            for r in run.records:
                numerators, denominators = r.counts[variant]["vc8_numerators"], r.counts[variant]["vc8_denominators"]
                defined = denominators > 0
                sums += float(np.sum(numerators[defined] / denominators[defined]))
                windows += int(defined.sum())
        return 100 * miou, 100 * sums / windows

    row = pooled_stats_row(groups, "refined", against="baseline", pooled_column="n_corruption_seeds", strength=1.0)
    refined = np.array([by_hand(group, "refined") for group in groups])
    gains = refined - np.array([by_hand(group, "baseline") for group in groups])
    assert (row["strength"], row["n_seeds"], row["n_corruption_seeds"], row["n_videos"]) == (1.0, 3, 2, 3)
    assert row["mIoU"] == pytest.approx(refined[:, 0].mean(), abs=1e-9)
    assert row["mIoU_sd"] == pytest.approx(np.std(refined[:, 0], ddof=1), abs=1e-9)
    assert row["mVC8"] == pytest.approx(refined[:, 1].mean(), abs=1e-9)
    assert row["gain_mIoU"] == pytest.approx(gains[:, 0].mean(), abs=1e-9)
    assert row["gain_mIoU_sd"] == pytest.approx(np.std(gains[:, 0], ddof=1), abs=1e-9)
    assert row["gain_mIoU_ci_low"] <= row["gain_mIoU"] <= row["gain_mIoU_ci_high"]
    # one group of one run is the plain row
    single = pooled_stats_row([groups[0][:1]], "refined", against="baseline")
    plain = stats_row(groups[0][:1], "refined", against="baseline")
    assert single.pop("n_runs") == 1 and single == pytest.approx(plain, nan_ok=True)
    with pytest.raises(ParameterError, match=r"groups of the same number of runs, at least one; got sizes \[2, 1\]"):
        pooled_stats_row([groups[0], groups[1][:1]], "refined", against="baseline")
    import dataclasses

    counts = video_counts(groups[0][0], "refined")
    with pytest.raises(ParameterError, match=r"runs to pool must cover the same videos with the same settings: "
                                             r"\['v0', 'v1', 'v2'\]"):
        pooled_counts([counts, dataclasses.replace(counts, videos=("a", "b", "c"))])
    with pytest.raises(ParameterError, match="pooled_counts needs the counts of at least one run"):
        pooled_counts([])
    with pytest.raises(ParameterError, match=r"same window_sums keys: \[\[8, 16\], \[8\]\]"):
        pooled_counts([counts, dataclasses.replace(counts, window_sums={8: counts.window_sums[8]})])
    # every field adds up, the mappings key by key
    twice = pooled_counts([counts, counts])
    assert np.array_equal(twice.hits, 2 * counts.hits) and np.array_equal(twice.band_union, 2 * counts.band_union)
    assert all(np.array_equal(twice.window_counts[n], 2 * counts.window_counts[n]) for n in (8, 16))
    assert np.array_equal(twice.correct_window_sums[16], 2 * counts.correct_window_sums[16])
