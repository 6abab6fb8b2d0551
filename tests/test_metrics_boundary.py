"""Boundary IoU: bands on a 6x6 image worked out by hand, the all-classes min/max trick against the per-class
boundary-iou-api route, and a per-pixel Chebyshev-distance loop."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from vsslib.base.errors import DataError, ParameterError
from vsslib.metrics import (band_width, biou_from_counts, boundary_band, boundary_counts, label_bands,
                            mean_boundary_iou)

D1 = 0.1  # on a 6x6 image (diagonal 8.49): d = round(0.85) = 1
D2 = 0.2  # on a 6x6 image: d = round(1.70) = 2


def test_band_width() -> None:
    assert band_width(480, 853, 0.02) == 20  # VSPW 480p: 0.02 x 978.8 = 19.6
    assert band_width(480, 640, 0.02) == 16
    assert band_width(1024, 2048, 0.02) == 46  # Cityscapes
    assert band_width(6, 6, D1) == 1 and band_width(6, 6, D2) == 2
    assert band_width(4, 4, 0.01) == 1  # at least one pixel


def test_band_of_a_square_with_d1_by_hand() -> None:
    mask = np.zeros((6, 6), bool)
    mask[1:5, 1:5] = True
    expected = np.array([[0, 0, 0, 0, 0, 0],
                         [0, 1, 1, 1, 1, 0],
                         [0, 1, 0, 0, 1, 0],
                         [0, 1, 0, 0, 1, 0],
                         [0, 1, 1, 1, 1, 0],
                         [0, 0, 0, 0, 0, 0]], bool)  # the 4x4 square's outer ring of 12 pixels
    np.testing.assert_array_equal(boundary_band(mask, D1), expected)


def test_the_image_border_counts_as_background() -> None:
    full = np.ones((6, 6), bool)
    ring1 = np.ones((6, 6), bool)
    ring1[1:5, 1:5] = False  # d = 1: the outermost ring
    ring2 = np.ones((6, 6), bool)
    ring2[2:4, 2:4] = False  # d = 2: two rings, only the centre 2x2 is interior
    np.testing.assert_array_equal(boundary_band(full, D1), ring1)
    np.testing.assert_array_equal(boundary_band(full, D2), ring2)
    assert boundary_band(full, 1.0).all()  # d = 8: no interior at all


def _reference_band(mask: np.ndarray, d: int) -> np.ndarray:
    """Per-pixel loop: a mask pixel is in the band iff a pixel within Chebyshev distance d is background
    or lies outside the image."""
    h, w = mask.shape
    band = np.zeros_like(mask, bool)
    for r, c in itertools.product(range(h), range(w)):
        if not mask[r, c]:
            continue
        window_inside = r - d >= 0 and c - d >= 0 and r + d < h and c + d < w
        band[r, c] = not window_inside or not mask[r - d : r + d + 1, c - d : c + d + 1].all()
    return band


def test_boundary_band_matches_a_per_pixel_loop() -> None:
    rng = np.random.default_rng(5)
    for shape, ratio in [((9, 13), 0.1), ((12, 7), 0.2), ((16, 16), 0.05), ((5, 30), 0.15)]:
        mask = np.kron(rng.random((shape[0] // 2 + 1, shape[1] // 2 + 1)) < 0.6, np.ones((2, 2), bool))
        mask = mask[: shape[0], : shape[1]]
        np.testing.assert_array_equal(boundary_band(mask, ratio), _reference_band(mask, band_width(*shape, ratio)))


def _blocky_labels(rng: np.random.Generator, shape: tuple[int, int], labels: list[int], block: int) -> np.ndarray:
    coarse = rng.choice(labels, size=(shape[0] // block + 1, shape[1] // block + 1))
    return np.kron(coarse, np.ones((block, block), np.int64))[: shape[0], : shape[1]]


def test_label_bands_equal_the_band_of_every_label() -> None:
    """The min/max filter trick against one boundary-iou-api band per label."""
    rng = np.random.default_rng(6)
    cases = [((24, 31), 0.02, 3), ((24, 31), 0.1, 3), ((40, 25), 0.05, 5), ((6, 6), 0.5, 2), ((3, 50), 0.3, 1)]
    for shape, ratio, block in cases:
        for values in ([0, 1, 2, 3], [0, 7, 255], [0, 300, 65535]):  # uint8 and uint16 paths
            labels = _blocky_labels(rng, shape, values, block)
            expected = np.zeros(shape, bool)
            for value in np.unique(labels):
                expected |= boundary_band(labels == value, ratio)
            np.testing.assert_array_equal(label_bands(labels, ratio), expected, err_msg=f"{shape} {ratio} {values}")


def test_shifted_square_by_hand() -> None:
    gt = np.zeros((6, 6), np.uint8)
    gt[1:5, 1:5] = 1
    pred = np.zeros((6, 6), np.uint8)
    pred[1:5, 2:6] = 1  # one column to the right, now touching the image border
    inter, union = boundary_counts(gt, pred, 2, D1)
    # class 1: both bands are 12-pixel rings (the pred's interior is rows 2-3, cols 3-4); they share rows 1
    # and 4, cols 2-4: 6 pixels -> 6 / 18.
    # class 0: every background pixel touches the border or the square, so both bands are the whole
    # background (20 pixels each); they share rows 0 and 5 and column 0: 16 pixels -> 16 / 24.
    np.testing.assert_array_equal(inter, [16, 6])
    np.testing.assert_array_equal(union, [24, 18])
    out = mean_boundary_iou(gt, pred, 2, D1)
    np.testing.assert_allclose(out["biou"], [2 / 3, 1 / 3])
    assert out["mbiou"] == pytest.approx(0.5)


def test_ignored_ground_truth_by_hand() -> None:
    gt = np.zeros((6, 6), np.uint8)
    gt[:, 3] = 255  # an ignored column
    pred = np.zeros((6, 6), np.uint8)
    inter, union = boundary_counts(gt, pred, 1, D1)
    # gt band of class 0: the ignored column is "not class 0", so columns 0, 2, 4, 5 (24 px) and the border
    # pixels of column 1 (2 px): 26. pred band: the border ring (20 px) less its 2 ignored pixels: 18, all
    # inside the gt band.
    assert (inter[0], union[0]) == (18, 26)
    # a prediction outside the classes is "another class" for its neighbours and in no band: predicting 255
    # on the ignored column makes the two bands equal
    pred[:, 3] = 255
    inter, union = boundary_counts(gt, pred, 1, D1)
    assert (inter[0], union[0]) == (26, 26)


def test_class_and_ignore_borders_by_hand() -> None:
    """The rule of the boundary-iou-api's panoptic evaluation: an ignored region is background to the
    ground-truth mask (its border is an edge of the class), the prediction's band is its own, and predicted band
    pixels on ignored ground truth are dropped."""
    gt = np.zeros((6, 6), np.uint8)
    gt[:, 3] = 255  # columns 0-2 class 0, column 3 ignored, columns 4-5 class 1
    gt[:, 4:] = 1
    pred = np.zeros((6, 6), np.uint8)
    pred[:, 4:] = 1  # right on every counted pixel; says class 0 on the ignored column
    inter, union = boundary_counts(gt, pred, 2, D1)
    # class 0, gt band: column 0 (image border, 6), column 2 (next to the ignored column, 6), column 1 rows 0
    # and 5 (2): 14. pred band of columns 0-3: columns 0 and 3 and rows 0, 5 of columns 1-2: 16, less the 6 on
    # the ignored column: 10, all in the gt band. The 4 gt band pixels along the ignore border (column 2, rows
    # 1-4) have no predicted band: 10 / 14.
    assert (inter[0], union[0]) == (10, 14)
    # class 1 (columns 4-5): every pixel is within 1 of the ignored column or the image border: 12 / 12
    assert (inter[1], union[1]) == (12, 12)
    # column 3 of class 1 instead of ignored: the same prediction is now wrong there, and nothing is dropped.
    gt[:, 3] = 1
    inter, union = boundary_counts(gt, pred, 2, D1)
    # class 0: gt band 14 as above, pred band 16 (its 6 pixels of column 3 now count), sharing 10: 10 / 20
    assert (inter[0], union[0]) == (10, 20)
    # class 1: gt band of columns 3-5: columns 3 and 5 and rows 0, 5 of column 4: 14; pred band of columns 4-5:
    # 12; sharing column 5 and rows 0, 5 of column 4: 8 -> 8 / 18
    assert (inter[1], union[1]) == (8, 18)


def _reference_boundary_counts(gts, preds, num_classes, ratio, ignore_index=255):
    """Per class and frame: the boundary-iou-api band (pad with zeros, erode d times by 3x3, crop, subtract)."""
    inter = np.zeros(num_classes, np.int64)
    union = np.zeros(num_classes, np.int64)
    for gt, pred in zip(gts, preds):
        for g, p in zip(gt, pred):
            d = max(1, int(round(ratio * np.hypot(*g.shape))))
            for c in range(num_classes):
                bands = []
                for mask in (g == c, p == c):
                    padded = np.pad(mask.astype(np.uint8), 1)
                    eroded = cv2.erode(padded, np.ones((3, 3), np.uint8), iterations=d)[1:-1, 1:-1]
                    bands.append(mask & (eroded == 0) & (g != ignore_index))
                inter[c] += np.count_nonzero(bands[0] & bands[1])
                union[c] += np.count_nonzero(bands[0] | bands[1])
    return inter, union


def _random_pair(rng: np.random.Generator, num_classes: int, shape=(3, 20, 27), ignore_index=255):
    gt = np.stack([_blocky_labels(rng, shape[1:], list(range(num_classes)), 4) for _ in range(shape[0])])
    gt[rng.random(gt.shape) < 0.05] = ignore_index
    noise = rng.random(gt.shape) < 0.15
    pred = np.where(noise, rng.integers(-1, num_classes + 2, gt.shape), np.where(gt == ignore_index, 0, gt))
    return gt, pred


@pytest.mark.parametrize("ratio", [0.01, 0.02, 0.05, 0.12])
def test_matches_the_per_class_route(ratio: float) -> None:
    rng = np.random.default_rng(7)
    pairs = [_random_pair(rng, 5) for _ in range(2)]
    gts = [gt for gt, _ in pairs]
    preds = [pred for _, pred in pairs]
    inter, union = _reference_boundary_counts(gts, preds, 5, ratio)
    got_inter, got_union = np.zeros(5, np.int64), np.zeros(5, np.int64)
    for gt, pred in pairs:
        i, u = boundary_counts(gt, pred, 5, ratio)
        got_inter += i
        got_union += u
    np.testing.assert_array_equal(got_inter, inter)
    np.testing.assert_array_equal(got_union, union)
    out = mean_boundary_iou(gts, preds, 5, ratio)
    assert out["mbiou"] == pytest.approx(np.mean(inter[union > 0] / union[union > 0]), rel=1e-15)


def test_many_classes_use_wider_labels() -> None:
    """300 classes: the filters run on uint16, the ignore value must lie outside the classes."""
    rng = np.random.default_rng(8)
    gt = np.stack([_blocky_labels(rng, (18, 22), [0, 1, 254, 255, 299], 3) for _ in range(2)])
    gt[0, :2, :2] = 1000
    pred = np.where(rng.random(gt.shape) < 0.2, 297, gt)
    pred[1, 5:8, 5:8] = 300  # outside the classes
    np.testing.assert_array_equal(np.stack(boundary_counts(gt, pred, 300, 0.1, ignore_index=1000)),
                                  np.stack(_reference_boundary_counts([gt], [pred], 300, 0.1, ignore_index=1000)))


def test_biou_from_counts() -> None:
    mbiou, biou = biou_from_counts(np.array([1, 0, 0]), np.array([4, 0, 2]))
    np.testing.assert_array_equal(np.isnan(biou), [False, True, False])
    assert biou[0] == 0.25 and biou[2] == 0.0 and mbiou == 0.125
    assert np.isnan(biou_from_counts(np.zeros(2, np.int64), np.zeros(2, np.int64))[0])


@pytest.mark.parametrize("ratio", [0, -0.02, float("nan"), float("inf"), True, "0.02"])
def test_bad_dilation_ratio(ratio: object) -> None:
    with pytest.raises(ParameterError, match=r"dilation_ratio=.* must be a positive number"):
        mean_boundary_iou(np.zeros((4, 4), int), np.zeros((4, 4), int), 2, ratio)


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ParameterError, match=r"\(4, 4\) and prediction of shape \(4, 5\) differ"):
        boundary_counts(np.zeros((4, 4), int), np.zeros((4, 5), int), 2)
    with pytest.raises(DataError, match=r"outside the classes 0\.\.1 .*: \[2\]"):
        boundary_counts(np.full((4, 4), 2), np.zeros((4, 4), int), 2)
    with pytest.raises(ParameterError, match=r"one \(H, W\) mask, got shape \(2, 4, 4\)"):
        boundary_band(np.zeros((2, 4, 4), bool))
