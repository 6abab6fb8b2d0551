"""Boundary analyses: trimap accuracy, mBIoU by dilation, per-class gains, object sizes, VC over time.

Hand-worked values on tiny arrays, plus plain-loop reference implementations written here independently
of the vectorised code (brute-force distances, per-object loops).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsslib.analysis import (biou_by_dilation, biou_counts_by_dilation, boundary_distance, consistency_counts,
                             consistency_over_time, gain_by_object_size, object_size_counts, per_class_gain,
                             per_class_summary, trimap_accuracy, trimap_counts)
from vsslib.base.errors import ParameterError
from vsslib.metrics import MetricAccumulator, mean_boundary_iou, video_consistency
from vsslib.statistics import VideoCounts


def _brute_distance(labels: np.ndarray) -> np.ndarray:
    """Chebyshev distance to the nearest pixel of another value, by looking at every pair of pixels."""
    h, w = labels.shape
    out = np.full((h, w), np.inf)
    for r in range(h):
        for c in range(w):
            for rr in range(h):
                for cc in range(w):
                    if labels[rr, cc] != labels[r, c]:
                        out[r, c] = min(out[r, c], max(abs(rr - r), abs(cc - c)))
    return out


def _brute_trimap(gts, preds, widths, ignore_index=255):
    rows = []
    for width in widths:
        correct = total = 0
        for gt_video, pred_video in zip(gts, preds):
            for gt, pred in zip(gt_video, pred_video):
                distance = _brute_distance(gt)
                for r in range(gt.shape[0]):
                    for c in range(gt.shape[1]):
                        if gt[r, c] != ignore_index and distance[r, c] <= width:
                            total += 1
                            correct += int(pred[r, c] == gt[r, c])
        rows.append((correct / total if total else np.nan, total))
    return rows


def test_one_pixel_wrong_boundary_by_hand() -> None:
    # 4 x 8: class 0 in columns 0-3, class 1 in 4-7; the prediction moves the edge one column right.
    gt = np.zeros((1, 4, 8), np.uint8)
    gt[..., 4:] = 1
    pred = gt.copy()
    pred[..., 4] = 0
    table = trimap_accuracy(gt, pred, [1, 2, 3, 4, 5])
    # w=1: columns 3-4 (8 px, 4 wrong); w=2: columns 2-5 (16 px); w=3: 24 px; w>=4: all 32 px
    assert table["pixels"].tolist() == [8, 16, 24, 32, 32]
    assert table["accuracy"].tolist() == pytest.approx([4 / 8, 12 / 16, 20 / 24, 28 / 32, 28 / 32])
    assert table.columns.tolist() == ["width", "accuracy", "pixels"]


def test_ignored_pixels_are_a_boundary_but_not_scored() -> None:
    gt = np.zeros((1, 1, 6), np.uint8)
    gt[0, 0, 5] = 255
    pred = np.zeros_like(gt)
    table = trimap_accuracy(gt, pred, [1, 2])
    assert table["pixels"].tolist() == [1, 2]  # column 4, then 3-4; column 5 itself is not scored
    assert boundary_distance(gt[0], 9).tolist() == [[5, 4, 3, 2, 1, 1]]
    assert boundary_distance(np.zeros((2, 3), np.uint8), 4).tolist() == [[5, 5, 5], [5, 5, 5]]  # no boundary


def test_trimap_agrees_with_a_brute_force_loop() -> None:
    rng = np.random.default_rng(1)
    gts = [rng.integers(0, 3, (2, 6, 7)).astype(np.uint8), rng.integers(0, 2, (1, 5, 9)).astype(np.uint8)]
    gts[0][0, 0, :3] = 255
    preds = [np.where(rng.random(g.shape) < 0.7, g, rng.integers(0, 3, g.shape)).astype(np.uint8) for g in gts]
    for gt in gts:
        for frame in gt:
            brute = _brute_distance(frame)
            np.testing.assert_array_equal(boundary_distance(frame, 20), np.where(np.isinf(brute), 21, brute))
    widths = [1, 2, 3, 6]
    table = trimap_accuracy(gts, preds, widths)
    expected = _brute_trimap(gts, preds, widths)
    assert table["accuracy"].tolist() == pytest.approx([a for a, _ in expected])
    assert table["pixels"].tolist() == [n for _, n in expected]


def test_biou_by_dilation_sums_counts_over_videos() -> None:
    rng = np.random.default_rng(2)
    gts = [rng.integers(0, 3, (2, 20, 30)).astype(np.uint8),
           np.kron(rng.integers(0, 3, (1, 4, 5)), np.ones((1, 6, 6))).astype(np.uint8)]
    preds = [np.where(rng.random(g.shape) < 0.8, g, 0).astype(np.uint8) for g in gts]
    ratios = [0.01, 0.05, 0.2]
    table = biou_by_dilation(gts, preds, 3, ratios)
    assert table["ratio"].tolist() == ratios
    for ratio, mbiou in zip(ratios, table["mbiou"]):
        assert mbiou == pytest.approx(mean_boundary_iou(gts, preds, 3, ratio)["mbiou"])
    assert biou_by_dilation(gts, gts, 3, ratios)["mbiou"].tolist() == [1.0, 1.0, 1.0]


def test_per_class_gain_by_hand() -> None:
    gt = np.array([[[0, 0], [1, 1]]], np.uint8)
    baseline = np.array([[[0, 1], [1, 1]]], np.uint8)
    acc_b = MetricAccumulator(2, vc_lengths=(1,)).update(gt, baseline)
    acc_r = MetricAccumulator(2, vc_lengths=(1,)).update(gt, gt)
    table = per_class_gain(acc_b, acc_r, ["road", "car"])
    # baseline: IoU0 = 1/2, IoU1 = 2/3; on a 2x2 frame every mask pixel is in its band, so BIoU = IoU
    assert table["class"].tolist() == ["road", "car"]
    assert table["iou_baseline"].tolist() == pytest.approx([1 / 2, 2 / 3])
    assert table["iou_gain"].tolist() == pytest.approx([1 / 2, 1 / 3])
    assert table["biou_baseline"].tolist() == pytest.approx([1 / 2, 2 / 3])
    assert table["biou_gain"].tolist() == pytest.approx([1 / 2, 1 / 3])
    from_dicts = per_class_gain(acc_b.result(), acc_r.result(), ["road", "car"])
    assert from_dicts.equals(table)
    with pytest.raises(ParameterError, match="3 class names, but 2"):
        per_class_gain(acc_b, acc_r, ["road", "car", "sky"])


def test_gain_by_object_size_by_hand() -> None:
    gt = np.zeros((1, 4, 5), np.uint8)
    instances = np.zeros((1, 4, 5), np.int32)
    instances[0, 0, :3] = 1  # area 3
    instances[0, 2:, :] = 2  # area 10
    gt[0, 2:, :] = 1
    baseline = gt.copy()
    refined = gt.copy()
    refined[0, 0, :2] = 1  # object 1: 1 of 3 right after refinement
    baseline[0, 2, :] = 0  # object 2: 5 of 10 right before refinement
    table = gain_by_object_size(instances, gt, baseline, refined, [5])
    assert table["size_bin"].tolist() == ["< 5", ">= 5"]
    assert table["n_objects"].tolist() == [1, 1]
    assert table["acc_baseline"].tolist() == pytest.approx([1.0, 0.5])
    assert table["acc_refined"].tolist() == pytest.approx([1 / 3, 1.0])
    assert table["gain"].tolist() == pytest.approx([-2 / 3, 0.5])


def test_gain_by_object_size_agrees_with_a_loop() -> None:
    rng = np.random.default_rng(3)
    videos = []
    for _ in range(2):
        inst = rng.integers(0, 6, (3, 8, 9)).astype(np.int32)
        gt = rng.integers(0, 3, inst.shape).astype(np.uint8)
        gt[rng.random(gt.shape) < 0.1] = 255
        base = rng.integers(0, 3, inst.shape).astype(np.uint8)
        ref = rng.integers(0, 3, inst.shape).astype(np.uint8)
        videos.append((inst, gt, base, ref))
    bins = [10, 13]
    table = gain_by_object_size(*[[v[k] for v in videos] for k in range(4)], bins)
    objects = {0: [], 1: [], 2: []}
    for inst, gt, base, ref in videos:
        for t in range(inst.shape[0]):
            for i in range(1, 6):
                sel = (inst[t] == i) & (gt[t] != 255)
                if sel.sum() == 0:
                    continue
                area = int(sel.sum())
                b = 0 if area < 10 else (1 if area < 13 else 2)
                objects[b].append(((base[t][sel] == gt[t][sel]).mean(), (ref[t][sel] == gt[t][sel]).mean()))
    assert table["size_bin"].tolist() == ["< 10", "10-12", ">= 13"]
    assert table["n_objects"].tolist() == [len(objects[b]) for b in range(3)]
    for b in range(3):
        if objects[b]:
            assert table["acc_baseline"][b] == pytest.approx(np.mean([o[0] for o in objects[b]]))
            assert table["acc_refined"][b] == pytest.approx(np.mean([o[1] for o in objects[b]]))
        else:
            assert np.isnan(table["acc_baseline"][b])


def test_consistency_over_time_by_hand_and_against_the_metric() -> None:
    gt = np.zeros((3, 1, 2), np.uint8)
    gt[2, 0, 1] = 2  # pixel 1 changes at frame 2
    baseline = np.array([[[5, 5]], [[6, 5]], [[6, 5]]], np.uint8)  # pixel 0 flickers at frame 1
    refined = np.full_like(baseline, 5)
    table = consistency_over_time([gt, gt[:2]], [baseline, baseline[:2]], [refined, refined[:2]], 2,
                                  videos=["a", "b"])
    # VSPW's windows (starts 0 .. T-n-1): video a has the window at 0 only, video b (T = n) none
    assert table["video"].tolist() == ["a"]
    assert table["window_start"].tolist() == [0]
    assert table["vc_baseline"].tolist() == pytest.approx([0.5])
    assert table["vc_refined"].tolist() == pytest.approx([1.0])
    assert table["vc_baseline"].tolist() == pytest.approx(video_consistency(gt, baseline, 2).tolist())
    # correct consistency: 5 and 6 are never the right class (0, 2), so VCc is 0 where VC is 1.0 (refined)
    assert table["vcc_baseline"].tolist() == [0.0] and table["vcc_refined"].tolist() == [0.0]
    exact = consistency_over_time([gt], [baseline], [gt], 2)
    assert exact["vc_refined"].tolist() == [1.0] and exact["vcc_refined"].tolist() == [1.0]
    assert list(consistency_over_time([], [], [], 2).columns)[-2:] == ["vcc_baseline", "vcc_refined"]


def test_bad_inputs_are_named() -> None:
    gt = np.zeros((1, 4, 4), np.uint8)
    with pytest.raises(ParameterError, match="width=0"):
        trimap_accuracy(gt, gt, [0])
    with pytest.raises(ParameterError, match=r"bins=\[8, 4\] must increase"):
        gain_by_object_size(gt.astype(np.int32), gt, gt, gt, [8, 4])
    with pytest.raises(ParameterError, match=r"shapes differ"):
        trimap_accuracy(gt, gt[:, :3], [1])
    with pytest.raises(ParameterError, match=r"\(T, H, W\) integer array, got shape \(4, 4\)"):
        biou_by_dilation([gt[0]], [gt[0]], 2, [0.02])


# ------------------------------------------------------------------------------- per-video counts
def test_trimap_counts_per_video_by_hand() -> None:
    # video 0: the 4 x 8 edge moved one column (as above); video 1: the same truth predicted exactly, one frame
    # twice. Per width (1..5) video 0 has 8, 16, 24, 32, 32 band pixels with 4 wrong; video 1 twice that, all right.
    gt = np.zeros((1, 4, 8), np.uint8)
    gt[..., 4:] = 1
    pred = gt.copy()
    pred[..., 4] = 0
    correct, pixels = trimap_counts([gt, np.repeat(gt, 2, axis=0)], [pred, np.repeat(gt, 2, axis=0)],
                                    [1, 2, 3, 4, 5])
    assert pixels.tolist() == [[8, 16, 24, 32, 32], [16, 32, 48, 64, 64]]
    assert correct.tolist() == [[4, 12, 20, 28, 28], [16, 32, 48, 64, 64]]
    pooled = trimap_accuracy([gt, np.repeat(gt, 2, axis=0)], [pred, np.repeat(gt, 2, axis=0)], [1, 2, 3, 4, 5])
    assert pooled["accuracy"].tolist() == pytest.approx([20 / 24, 44 / 48, 68 / 72, 92 / 96, 92 / 96])


def test_biou_counts_per_video_score_each_video_alone() -> None:
    rng = np.random.default_rng(4)
    gts = [np.kron(rng.integers(0, 3, (2, 4, 5)), np.ones((1, 5, 5))).astype(np.uint8) for _ in range(3)]
    preds = [np.where(rng.random(g.shape) < 0.85, g, 1).astype(np.uint8) for g in gts]
    ratios = [0.02, 0.1]
    intersection, union = biou_counts_by_dilation(gts, preds, 3, ratios)
    assert intersection.shape == union.shape == (3, 2, 3) and intersection.dtype == np.int64
    for v in range(3):
        for r, ratio in enumerate(ratios):
            alone = mean_boundary_iou([gts[v]], [preds[v]], 3, ratio)
            present = union[v, r] > 0
            assert (intersection[v, r][present] / union[v, r][present]).mean() == pytest.approx(alone["mbiou"])
    assert biou_by_dilation(gts, preds, 3, ratios)["mbiou"].tolist() == pytest.approx(
        [mean_boundary_iou(gts, preds, 3, ratio)["mbiou"] for ratio in ratios])


def test_object_size_counts_by_hand() -> None:
    # the scene of test_gain_by_object_size_by_hand, as video 0; video 1 the same scene predicted exactly
    gt = np.zeros((1, 4, 5), np.uint8)
    instances = np.zeros((1, 4, 5), np.int32)
    instances[0, 0, :3] = 1  # area 3
    instances[0, 2:, :] = 2  # area 10
    gt[0, 2:, :] = 1
    refined = gt.copy()
    refined[0, 0, :2] = 1  # object 1: 1 of 3 right
    sums, objects = object_size_counts([instances, instances], [gt, gt], [refined, gt], [5])
    assert objects.tolist() == [[1, 1], [1, 1]]
    np.testing.assert_allclose(sums, [[1 / 3, 1.0], [1.0, 1.0]])


def test_consistency_counts_by_hand() -> None:
    windows = pd.DataFrame({"video": ["a", "a", "a", "b", "c"], "window_start": [0, 1, 2, 0, 0],
                            "vc_baseline": [0.5, 0.9, np.nan, 0.4, 0.7], "vc_refined": [0.75, 0.8, np.nan, 0.6, 0.7]})
    counts = consistency_counts(windows)
    assert counts["video"].tolist() == ["a", "b", "c"]
    assert counts["windows"].tolist() == [2, 1, 1]  # a's third window has no constant ground truth
    assert counts["vc_baseline_sum"].tolist() == pytest.approx([1.4, 0.4, 0.7])
    assert counts["vc_refined_sum"].tolist() == pytest.approx([1.55, 0.6, 0.7])
    assert counts["refined_better"].tolist() == [1, 1, 0]  # a tie is not better
    padded = consistency_counts(windows, videos=["c", "short", "a", "b"])  # "short" had no window at all
    assert padded["video"].tolist() == ["c", "short", "a", "b"] and padded["windows"].tolist() == [1, 0, 2, 1]
    assert padded["vc_refined_sum"].tolist() == pytest.approx([0.7, 0.0, 1.55, 0.6])
    assert "vcc_refined_sum" not in counts  # the table had no VCc columns
    correct = consistency_counts(windows.assign(vcc_baseline=[0.25, 0.5, np.nan, 0.0, 0.5],
                                                vcc_refined=[0.5, 0.75, np.nan, 0.5, 0.25]))
    assert correct["vcc_baseline_sum"].tolist() == pytest.approx([0.75, 0.0, 0.5])  # over the same windows
    assert correct["vcc_refined_sum"].tolist() == pytest.approx([1.25, 0.5, 0.25])


def test_per_class_summary_by_hand() -> None:
    """Two videos, one seed. Video a: the 2x2 frame of test_per_class_gain_by_hand (baseline IoU 1/2, 2/3;
    refined exact). Video b: both maps exact, all class 0 (hits 4 of union 4, class 1 absent). On both videos the
    baseline's class-0 IoU is (1 + 4) / (2 + 4) = 5/6. The draws (a, a), (a, b), (b, b) give class-0 gains
    1/2, 1/6, 0: the 95 % interval of 2000 draws is [0, 1/2]."""
    gt_a = np.array([[[0, 0], [1, 1]]], np.uint8)
    base_a = np.array([[[0, 1], [1, 1]]], np.uint8)
    gt_b = np.zeros((1, 2, 2), np.uint8)

    def counts(pairs) -> VideoCounts:
        return VideoCounts.from_arrays({name: MetricAccumulator(2, vc_lengths=(1,)).update(g, p).to_arrays()
                                        for name, (g, p) in pairs.items()})

    baseline = counts({"a": (gt_a, base_a), "b": (gt_b, gt_b)})
    refined = counts({"a": (gt_a, gt_a), "b": (gt_b, gt_b)})
    table = per_class_summary([baseline], [refined], ["road", "car"], resamples=2000, seed=1)
    assert table["class"].tolist() == ["road", "car"] and table["n_seeds"].tolist() == [1, 1]
    assert table["iou_baseline"].tolist() == pytest.approx([500 / 6, 200 / 3])
    assert table["gain_iou"].tolist() == pytest.approx([100 / 6, 100 / 3])
    assert table["biou_baseline"].tolist() == pytest.approx([500 / 6, 200 / 3])  # 2x2 frames: bands are everything
    assert table.loc[0, "gain_iou_ci_low"] == pytest.approx(0.0)
    assert table.loc[0, "gain_iou_ci_high"] == pytest.approx(50.0)
    assert table["iou_baseline_sd"].isna().all()
    # with one seed and every video, the numbers are per_class_gain's of the pooled accumulators
    pooled_b = MetricAccumulator(2, vc_lengths=(1,)).update(gt_a, base_a).update(gt_b, gt_b)
    pooled_r = MetricAccumulator(2, vc_lengths=(1,)).update(gt_a, gt_a).update(gt_b, gt_b)
    reference = per_class_gain(pooled_b, pooled_r, ["road", "car"])
    for score in ("iou", "biou"):
        assert table[f"{score}_refined"].tolist() == pytest.approx((100 * reference[f"{score}_refined"]).tolist())
        assert table[f"gain_{score}"].tolist() == pytest.approx((100 * reference[f"{score}_gain"]).tolist())
    with pytest.raises(ParameterError, match="3 class names, but the counts have 2"):
        per_class_summary([baseline], [refined], ["road", "car", "sky"])


def test_collect_boundary_counts_stacks_seeds_videos_and_sources() -> None:
    """Two seeds x two videos x two sources of the trimap case above: the counts land at (seed, video) of each
    method (hand-computed band pixels; correct pixels from the brute-force loop), the baseline comes once, the
    objects come from the runs' ground truth (VideoRun.objects), and the VC table has the first source only."""
    from vsslib.analysis import collect_boundary_counts
    from vsslib.study import VideoRun

    gt = np.zeros((2, 4, 8), np.uint8)
    gt[..., 4:] = 1
    shifted = gt.copy()
    shifted[..., 4] = 0

    def load(seed: int, source: str, video: str) -> VideoRun:
        # seed 1's baseline is exact; the refined map of source "b" is exact, of "a" the baseline's
        baseline = gt if seed == 1 else shifted
        refined = gt if source == "b" else baseline
        return VideoRun(video=video, frame_ids=["0", "1"], frames=np.zeros((2, 4, 8, 3), np.uint8), gt=gt,
                        instances=None, baseline=baseline, masklets=np.zeros((2, 4, 8), np.int32), refined=refined)

    counts = collect_boundary_counts(load, [0, 1], ["v0", "v1"], ["a", "b"], 2, ratios=[0.1], widths=[1, 2],
                                     bins=[10], vc_length=1)
    assert set(counts.trimap) == {"baseline", "refined (a)", "refined (b)"}
    correct, pixels = counts.trimap["baseline"]
    assert correct.shape == pixels.shape == (2, 2, 2)  # seeds, videos, widths
    assert pixels[0, 0].tolist() == [16, 32]  # two frames of 8 and 16 band pixels
    for seed, baseline in ((0, shifted), (1, gt)):
        for method, pred in (("baseline", baseline), ("refined (a)", baseline), ("refined (b)", gt)):
            got_correct, got_pixels = counts.trimap[method]
            for w, (accuracy, total) in enumerate(_brute_trimap([gt], [pred], [1, 2])):
                assert got_pixels[seed, 1, w] == total and got_correct[seed, 1, w] == round(accuracy * total)
    objects, n_objects = counts.size["baseline"][0], counts.size["baseline"][1]
    assert n_objects.shape == (2, 2, 2) and n_objects[0, 0].sum() == 4  # 2 classes x 2 frames, one object each
    assert counts.band["baseline"][0].shape == (2, 2, 1, 2)  # seeds, videos, ratios, classes
    assert counts.vc["baseline"][1].shape == (2, 2, 1) and set(counts.steadier) == {"refined (a)", "refined (b)"}
    assert counts.windows.groupby("seed").size().tolist() == [2, 2]  # VSPW: T - n = 1 window per video and seed
    assert counts.vc["baseline"][1].tolist() == [[[1], [1]], [[1], [1]]] and counts.frame_shape == (4, 8)
    # VCc1 of frame 0: seed 0's baseline (and source a's map) gets the 4 pixels of column 4 wrong of 32 -> 28/32
    assert counts.vcc["baseline"][0].tolist() == [[[0.875], [0.875]], [[1.0], [1.0]]]
    assert counts.vcc["refined (a)"][0].tolist() == [[[0.875], [0.875]], [[1.0], [1.0]]]
    assert counts.vcc["refined (b)"][0].tolist() == [[[1.0], [1.0]], [[1.0], [1.0]]]
    assert counts.vc["baseline"][0].tolist() == [[[1.0], [1.0]], [[1.0], [1.0]]]  # one frame: VC is always 1
    # bands only (a second network's check): the same band and trimap counts, nothing else collected
    bands = collect_boundary_counts(load, [0, 1], ["v0", "v1"], ["a", "b"], 2, ratios=[0.1], widths=[1, 2],
                                    bins=[10], vc_length=1, bands_only=True)
    for analysis in ("band", "trimap"):
        for method, (numerator, denominator) in getattr(counts, analysis).items():
            np.testing.assert_array_equal(getattr(bands, analysis)[method][0], numerator)
            np.testing.assert_array_equal(getattr(bands, analysis)[method][1], denominator)
    assert bands.size == bands.vc == bands.vcc == bands.steadier == {} and bands.windows.empty
    with pytest.raises(ParameterError, match="needs seeds, videos and sources"):
        collect_boundary_counts(load, [], ["v0"], ["a"], 2, ratios=[0.1], widths=[1], bins=[10])


def test_video_run_objects_fall_back_to_components_of_the_ground_truth() -> None:
    """Without instances, objects are each class's components in space and time plus one (0 on ignored pixels)."""
    from vsslib.study import VideoRun

    gt = np.array([[[0, 0, 1], [255, 1, 1]], [[0, 0, 1], [0, 255, 1]]], np.uint8)  # (T=2, H=2, W=3)
    run = VideoRun(video="v", frame_ids=["0", "1"], frames=np.zeros((2, 2, 3, 3), np.uint8), gt=gt, instances=None,
                   baseline=gt, masklets=np.zeros((2, 2, 3), np.int32), refined=gt)
    objects = run.objects
    assert (objects[gt == 255] == 0).all() and (objects[gt != 255] > 0).all()
    assert len(np.unique(objects[gt == 0])) == 1 and len(np.unique(objects[gt == 1])) == 1  # joined over frames
    assert objects[gt == 0][0] != objects[gt == 1][0]
    given = np.arange(12, dtype=np.int32).reshape(2, 2, 3)
    assert VideoRun(**{**run.__dict__, "instances": given}).objects is given


def test_errors_near_boundaries_against_a_hand_count() -> None:
    from vsslib.analysis.boundary import errors_near_boundaries

    gt = np.zeros((4, 8), np.uint8)
    gt[:, 4:] = 1  # one vertical boundary between columns 3 and 4: columns 3, 4 lie within 1 px of it
    pred = gt.copy()
    pred[0, 3] = 1  # wrong, near the boundary
    pred[0, 0] = 1  # wrong, far from it
    pred[1, 4] = 0  # wrong, near
    gt[3, 7] = 255  # not scored, near nothing (column 7; its neighbour column 6 holds another value: near)
    errors, pixels = errors_near_boundaries(gt, pred, 1)
    # near (distance <= 1 from a pixel of another value, 255 included): columns 3 and 4 of every row, and in row
    # 2-3 the pixels around (3, 7): (2, 6), (2, 7), (3, 6); scored pixels: 31, of which near: 8 + 3 = 11
    assert errors == pytest.approx(2 / 3)
    assert pixels == pytest.approx(11 / 31)
    clip = np.stack([gt, gt])
    assert errors_near_boundaries(clip, np.stack([pred, gt]), 1) == pytest.approx((2 / 3, 11 / 31))
    assert np.isnan(errors_near_boundaries(gt, gt, 1)[0])
    with pytest.raises(ParameterError, match=r"gt \(4, 8\) and pred \(4, 7\)"):
        errors_near_boundaries(gt, pred[:, :7], 1)
