"""mIoU: confusion tables written out by hand, and a per-pixel loop on random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.base.errors import DataError, ParameterError
from vsslib.metrics import confusion_matrix, iou_from_confusion, mean_iou

# A 2x3 frame pair used by several tests: one ignored pixel, one prediction outside the classes.
GT = np.array([[0, 0, 1],
               [1, 2, 255]], np.uint8)
PRED = np.array([[0, 1, 1],
                 [1, 9, 0]], np.uint8)  # 9 is no class (C = 3); the 0 sits on the ignored pixel


def test_confusion_matrix_by_hand() -> None:
    expected = np.array([
        # pred 0  1  2  outside
        [1, 1, 0, 0],  # gt 0: one hit, one predicted as 1
        [0, 2, 0, 0],  # gt 1: two hits
        [0, 0, 0, 1],  # gt 2: predicted 9, outside the classes
    ])  # the ignored pixel (gt 255, pred 0) is in no cell
    table = confusion_matrix(GT, PRED, 3)
    assert table.dtype == np.int64
    np.testing.assert_array_equal(table, expected)


def test_mean_iou_by_hand() -> None:
    # class 0: TP 1, FP 0, FN 1 -> 1/2
    # class 1: TP 2, FP 1 (gt 0 predicted 1), FN 0 -> 2/3
    # class 2: TP 0, FP 0, FN 1 (predicted outside: a miss, nobody's false positive) -> 0
    out = mean_iou(GT, PRED, 3)
    np.testing.assert_allclose(out["iou"], [1 / 2, 2 / 3, 0.0])
    assert out["miou"] == pytest.approx((1 / 2 + 2 / 3 + 0.0) / 3)
    # a square table (no "outside" column) loses the miss of class 2: its union would be 0
    miou, iou = iou_from_confusion(confusion_matrix(GT, PRED, 3)[:, :3])
    assert np.isnan(iou[2]) and miou == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_union_and_present_averages_by_hand() -> None:
    gt = np.array([[0, 0], [0, 0]])
    pred = np.array([[0, 0], [0, 1]])
    # class 0: 3/4; class 1: predicted once, never in gt -> 0/1; class 2: union 0 -> NaN
    union = mean_iou(gt, pred, 3)
    np.testing.assert_array_equal(np.isnan(union["iou"]), [False, False, True])
    np.testing.assert_allclose(union["iou"][:2], [3 / 4, 0.0])
    assert union["miou"] == pytest.approx(3 / 8)  # mmsegmentation: class 1 is averaged in as 0
    present = mean_iou(gt, pred, 3, average="present")
    assert present["miou"] == pytest.approx(3 / 4)  # VSPW: only class 0 is in the ground truth
    np.testing.assert_array_equal(present["iou"], union["iou"])  # only the mean differs


def test_counts_are_summed_over_frames_before_dividing() -> None:
    frame_a = (np.array([[0, 0, 0, 0]]), np.array([[0, 0, 0, 1]]))  # class 0: 3/4, class 1: 0/1
    frame_b = (np.array([[1, 1]]), np.array([[1, 1]]))  # class 1: 2/2
    out = mean_iou([frame_a[0], frame_b[0]], [frame_a[1], frame_b[1]], 2)
    # pooled class 1: TP 2, FP 1, FN 0 -> 2/3 (the mean of per-frame IoUs would give 1/2)
    np.testing.assert_allclose(out["iou"], [3 / 4, 2 / 3])


def test_array_and_sequence_inputs_agree() -> None:
    rng = np.random.default_rng(4)
    gt = rng.integers(0, 4, size=(5, 6, 7)).astype(np.uint8)
    pred = rng.integers(0, 4, size=(5, 6, 7)).astype(np.uint8)
    whole = mean_iou(gt, pred, 4)
    frames = mean_iou(list(gt), list(pred), 4)
    chunks = mean_iou([gt[:2], gt[2:]], [pred[:2], pred[2:]], 4)
    wide = mean_iou(gt.astype(np.int64), pred.astype(np.int64), 4)
    for other in (frames, chunks, wide):
        assert other["miou"] == whole["miou"]
        np.testing.assert_array_equal(other["iou"], whole["iou"])


def _reference_mean_iou(gts, preds, num_classes, ignore_index=255, average="union"):
    """Per-pixel loop: TP, FP and FN counted one pixel at a time."""
    tp = np.zeros(num_classes)
    fp = np.zeros(num_classes)
    fn = np.zeros(num_classes)
    for gt, pred in zip(gts, preds):
        for g, p in zip(gt.ravel().tolist(), pred.ravel().tolist()):
            if g == ignore_index:
                continue
            if g == p:
                tp[g] += 1
                continue
            fn[g] += 1
            if 0 <= p < num_classes:
                fp[p] += 1
    iou = []
    for c in range(num_classes):
        union = tp[c] + fp[c] + fn[c]
        iou.append(tp[c] / union if union else np.nan)
    iou = np.array(iou)
    if average == "union":
        return np.nanmean(iou), iou
    present = [c for c in range(num_classes) if tp[c] + fn[c] > 0]
    return np.mean(iou[present]), iou


@pytest.mark.parametrize("average", ["union", "present"])
def test_matches_a_per_pixel_loop(average: str) -> None:
    rng = np.random.default_rng(0)
    gts = [rng.choice([0, 1, 2, 3, 4, 255], size=(2, 9, 11)) for _ in range(3)]
    preds = [rng.integers(-2, 7, size=(2, 9, 11)) for _ in range(3)]  # negatives and 5, 6: no class
    miou, iou = _reference_mean_iou(gts, preds, 5, average=average)
    out = mean_iou(gts, preds, 5, average=average)
    np.testing.assert_allclose(out["iou"], iou, rtol=1e-15)
    assert out["miou"] == pytest.approx(miou, rel=1e-14)


def test_ignore_index_other_than_255() -> None:
    gt = np.array([[0, 1, 7]])
    pred = np.array([[0, 0, 1]])
    # pixel 3 is ignored: class 0 TP 1, FP 1 -> 1/2; class 1: FN 1 -> 0
    np.testing.assert_allclose(mean_iou(gt, pred, 2, ignore_index=7)["iou"], [1 / 2, 0.0])


def test_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ParameterError, match=r"\(2, 3\) and prediction of shape \(3, 2\) differ"):
        mean_iou(np.zeros((2, 3), int), np.zeros((3, 2), int), 2)
    with pytest.raises(ParameterError, match=r"pair 1: .*\(4, 4\).*\(4, 5\)"):
        mean_iou([np.zeros((4, 4), int)] * 2, [np.zeros((4, 4), int), np.zeros((4, 5), int)], 2)
    with pytest.raises(ParameterError, match="2 ground-truth arrays but 1 predictions"):
        mean_iou([GT, GT], [PRED], 3)


def test_unknown_ground_truth_value_is_named() -> None:
    gt = np.array([[0, 124, 255]], np.uint8)  # raw VSPW label 124 without the remap
    with pytest.raises(DataError, match=r"outside the classes 0\.\.123 and the ignore index 255: \[124\]"):
        mean_iou(gt, np.zeros_like(gt), 124)


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError, match=r"average='mean' is not one of 'union', 'present'"):
        mean_iou(GT, PRED, 3, average="mean")
    with pytest.raises(ParameterError, match="num_classes=0 must be a positive integer"):
        confusion_matrix(GT, PRED, 0)
    with pytest.raises(ParameterError, match="dtype float64"):
        confusion_matrix(GT.astype(float), PRED, 3)
    with pytest.raises(ParameterError, match=r"shape \(3, 5\) is neither \(C, C\) nor \(C, C \+ 1\)"):
        iou_from_confusion(np.zeros((3, 5), np.int64))
