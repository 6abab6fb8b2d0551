"""Metrics against values worked out by hand and against deliberately plain loops."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from vsslib.errors import ParameterError
from vsslib.metrics import (MetricAccumulator, boundary_band, boundary_counts, confusion_matrix, mean_boundary_iou,
                            mean_iou, video_consistency)


# ---------------------------------------------------------------------------------------------- mIoU
def test_confusion_matrix_by_hand() -> None:
    gt = np.array([[0, 0, 1], [1, 2, 255]])
    pred = np.array([[0, 1, 1], [1, 7, 0]])  # 7 is out of range: a miss for class 2
    table = confusion_matrix(gt, pred, 3)
    expected = np.array([[1, 1, 0, 0],
                         [0, 2, 0, 0],
                         [0, 0, 0, 1]])  # last column: out-of-range predictions
    np.testing.assert_array_equal(table, expected)


def test_mean_iou_by_hand() -> None:
    gt = np.array([[0, 0, 1], [1, 2, 255]])
    pred = np.array([[0, 1, 1], [1, 7, 0]])
    # class 0: TP 1, FP 0 (the 0 on an ignore pixel is not counted), FN 1 -> 1/2
    # class 1: TP 2, FP 1, FN 0 -> 2/3;  class 2: TP 0, FP 0, FN 1 -> 0
    out = mean_iou(gt, pred, 3)
    np.testing.assert_allclose(out["iou"], [1 / 2, 2 / 3, 0.0])
    assert out["miou"] == pytest.approx((1 / 2 + 2 / 3 + 0) / 3)


def test_union_zero_is_nan_and_averages_differ() -> None:
    gt = np.array([[0, 0], [0, 0]])
    pred = np.array([[0, 0], [0, 1]])
    union = mean_iou(gt, pred, 3)
    assert np.isnan(union["iou"][2])  # class 2: absent everywhere
    np.testing.assert_allclose(union["iou"][:2], [3 / 4, 0.0])
    assert union["miou"] == pytest.approx(3 / 8)  # mmseg: class 1 (predicted only) counts as 0
    assert mean_iou(gt, pred, 3, average="present")["miou"] == pytest.approx(3 / 4)  # VSPW: only class 0


def test_counts_are_summed_before_dividing() -> None:
    gts = [np.array([[0, 0, 0, 0]]), np.array([[1, 1]])]
    preds = [np.array([[0, 0, 0, 1]]), np.array([[1, 1]])]
    # pooled: class 0: 3/(4) ; class 1: 2/(2+1)
    out = mean_iou(gts, preds, 2)
    np.testing.assert_allclose(out["iou"], [3 / 4, 2 / 3])


def _reference_mean_iou(gts, preds, num_classes, ignore_index=255):
    inter = np.zeros(num_classes)
    union = np.zeros(num_classes)
    for gt, pred in zip(gts, preds):
        for g, p in zip(gt.ravel(), pred.ravel()):
            if g == ignore_index:
                continue
            if g == p:
                inter[g] += 1
                union[g] += 1
            else:
                union[g] += 1
                if 0 <= p < num_classes:
                    union[p] += 1
    iou = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
    return np.nanmean(iou), iou


def test_mean_iou_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(0)
    gts = [rng.choice([0, 1, 2, 3, 255], size=(2, 9, 11)) for _ in range(3)]
    preds = [rng.integers(0, 6, size=(2, 9, 11)) for _ in range(3)]
    miou, iou = _reference_mean_iou(gts, preds, 4)
    out = mean_iou(gts, preds, 4)
    np.testing.assert_allclose(out["iou"], iou)
    assert out["miou"] == pytest.approx(miou)


def test_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ParameterError, match=r"\(2, 3\).*\(3, 2\) differ"):
        mean_iou(np.zeros((2, 3), int), np.zeros((3, 2), int), 2)


# ------------------------------------------------------------------------------------- Boundary IoU
def test_band_of_a_square_with_d1_by_hand() -> None:
    mask = np.zeros((6, 6), bool)
    mask[1:5, 1:5] = True
    # 6x6 image: diagonal 8.49; ratio 0.1 -> d = round(0.85) = 1: the band is the square's outer ring.
    band = boundary_band(mask, 0.1)
    expected = mask.copy()
    expected[2:4, 2:4] = False
    np.testing.assert_array_equal(band, expected)


def test_band_counts_the_image_border_as_background() -> None:
    mask = np.ones((6, 6), bool)
    band = boundary_band(mask, 0.1)
    expected = np.ones((6, 6), bool)
    expected[1:5, 1:5] = False
    np.testing.assert_array_equal(band, expected)


def _reference_band(mask: np.ndarray, d: int) -> np.ndarray:
    """The boundary-iou-api route: pad by 1 with zeros, erode d times with a 3x3 kernel, crop, subtract."""
    padded = np.pad(mask.astype(np.uint8), 1)
    eroded = cv2.erode(padded, np.ones((3, 3), np.uint8), iterations=d)[1:-1, 1:-1]
    return mask.astype(bool) & ~eroded.astype(bool)


def _reference_boundary(gts, preds, num_classes, ratio, ignore_index=255):
    inter = np.zeros(num_classes, np.int64)
    union = np.zeros(num_classes, np.int64)
    for gt, pred in zip(gts, preds):
        for g, p in zip(gt, pred):
            d = max(1, int(round(ratio * np.hypot(*g.shape))))
            for c in range(num_classes):
                gb = _reference_band(g == c, d) & (g != ignore_index)
                pb = _reference_band(p == c, d) & (g != ignore_index)
                inter[c] += (gb & pb).sum()
                union[c] += (gb | pb).sum()
    return inter, union


def test_boundary_counts_match_the_per_class_route() -> None:
    rng = np.random.default_rng(1)
    gts, preds = [], []
    for _ in range(2):
        blocks = rng.integers(0, 4, size=(3, 5, 7))
        gt = np.kron(blocks, np.ones((1, 6, 6), int))
        gt[:, rng.random(gt.shape[1:]) < 0.05] = 255
        pred = np.where(rng.random(gt.shape) < 0.2, rng.integers(0, 6, gt.shape), np.where(gt == 255, 0, gt))
        gts.append(gt)
        preds.append(pred)
    for ratio in (0.01, 0.02, 0.05):
        inter, union = _reference_boundary(gts, preds, 4, ratio)
        got_i = np.zeros(4, np.int64)
        got_u = np.zeros(4, np.int64)
        for gt, pred in zip(gts, preds):
            i, u = boundary_counts(gt, pred, 4, ratio)
            got_i += i
            got_u += u
        np.testing.assert_array_equal(got_i, inter)
        np.testing.assert_array_equal(got_u, union)
        expected = inter / union
        assert mean_boundary_iou(gts, preds, 4, ratio)["mbiou"] == pytest.approx(np.mean(expected[union > 0]))


def test_boundary_iou_of_a_shifted_square_by_hand() -> None:
    gt = np.zeros((6, 6), int)
    gt[1:5, 1:5] = 1
    pred = np.zeros((6, 6), int)
    pred[1:5, 2:6] = 1  # shifted right by one column
    inter, union = boundary_counts(gt, pred, 2, 0.1)  # d = 1
    gb = _reference_band(gt == 1, 1)
    pb = _reference_band(pred == 1, 1)
    assert inter[1] == (gb & pb).sum() and union[1] == (gb | pb).sum()
    assert (inter[1], union[1]) == (6, 18)  # worked out on paper: 12-px rings overlapping in 6 pixels


def test_bad_dilation_ratio() -> None:
    for ratio in (0, -0.02, float("nan")):
        with pytest.raises(ParameterError, match="dilation_ratio=.* must be a positive number"):
            mean_boundary_iou(np.zeros((4, 4), int), np.zeros((4, 4), int), 2, ratio)


# ------------------------------------------------------------------------------- video consistency
def test_video_consistency_by_hand() -> None:
    gt = np.array([[[0, 1]], [[0, 1]], [[0, 2]]])  # pixel 0 constant, pixel 1 changes at frame 2
    pred = np.array([[[5, 5]], [[6, 5]], [[6, 5]]])
    # n=2: window 0 (frames 0-1): G={p0,p1}, P={p1} -> 1/2; window 1 (frames 1-2): G={p0}, P={p0,p1} -> 1
    np.testing.assert_allclose(video_consistency(gt, pred, 2), [0.5, 1.0])
    # n=3: one window (the last one, which VSPW's script would drop): G={p0}, P={p1} -> 0
    np.testing.assert_allclose(video_consistency(gt, pred, 3), [0.0])
    assert video_consistency(gt, pred, 4).shape == (0,)


def _reference_vc(gt, pred, n):
    out = []
    for i in range(gt.shape[0] - n + 1):
        num = den = 0
        for y, x in itertools.product(range(gt.shape[1]), range(gt.shape[2])):
            if len(set(gt[i : i + n, y, x].tolist())) == 1:
                den += 1
                num += len(set(pred[i : i + n, y, x].tolist())) == 1
        out.append(num / den if den else np.nan)
    return np.array(out)


def test_video_consistency_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(2)
    gt = rng.choice([0, 1], p=[0.9, 0.1], size=(12, 5, 6)).cumsum(axis=0) % 3
    pred = rng.choice([0, 1], p=[0.8, 0.2], size=(12, 5, 6)).cumsum(axis=0) % 4
    for n in (1, 3, 8):
        np.testing.assert_allclose(video_consistency(gt, pred, n), _reference_vc(gt, pred, n))


# ---------------------------------------------------------------------------------- accumulator
def _random_video(rng, t=10):
    blocks = np.repeat(rng.integers(0, 5, size=(1, 4, 5)), t, axis=0)
    blocks[rng.random(blocks.shape) < 0.05] = 1  # a few blocks change class over time
    gt = np.kron(blocks, np.ones((1, 5, 5), int)).astype(np.uint8)
    pred = np.where(rng.random(gt.shape) < 0.1, rng.integers(0, 5, gt.shape), gt).astype(np.uint8)
    return gt, pred


def test_accumulator_equals_the_pure_functions_and_merges_in_any_order() -> None:
    rng = np.random.default_rng(3)
    videos = [_random_video(rng) for _ in range(4)]
    parts = [MetricAccumulator(5).update(g, p) for g, p in videos]
    forward = MetricAccumulator(5)
    for part in parts:
        forward.merge(MetricAccumulator.from_arrays(part.to_arrays()))
    backward = MetricAccumulator(5)
    for part in reversed(parts):
        backward.merge(part)
    a, b = forward.result(), backward.result()
    assert repr(a) == repr(b)  # identical to the last digit, lists included (repr: NaN-safe)
    gts = [g for g, _ in videos]
    preds = [p for _, p in videos]
    assert a["miou"] == pytest.approx(mean_iou(gts, preds, 5)["miou"], abs=0, rel=1e-15)
    assert a["mbiou"] == pytest.approx(mean_boundary_iou(gts, preds, 5)["mbiou"], rel=1e-15)
    windows = np.concatenate([video_consistency(g, p, 8) for g, p in videos])
    assert a["mvc8"] == pytest.approx(np.nanmean(windows), rel=1e-15)
    assert 0 < a["mvc8"] < 1
    assert a["frames"] == 40 and np.isnan(a["mvc16"])  # 10-frame videos have no 16-frame window
