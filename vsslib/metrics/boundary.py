"""Boundary IoU per class for semantic segmentation (Cheng, Girshick, Dollar, Berg, Kirillov, CVPR 2021).

The band of a binary mask is ``mask_to_boundary`` of the boundary-iou-api (bowenc0221/boundary-iou-api,
``boundary_iou/utils/boundary_utils.py``): the mask minus its erosion by a 3x3 square applied
``d = max(1, round(dilation_ratio x image diagonal))`` times, everything outside the image counting as
background (pad with zeros, erode, crop), so a mask touching the image border has a band along it. The
Boundary IoU of two masks is ``|band(gt) & band(pred)| / |band(gt) | band(pred)|``. The API has no
semantic-segmentation entry point; per class c we take the bands of ``gt == c`` and ``pred == c``, sum the
intersections and unions of the two bands over the dataset, and divide. mBIoU averages the classes with a
non-zero union. A predicted value outside ``0..C-1`` is in no class's band (but it is "another class" for
its neighbours).

Ignored ground truth (``ignore_index``, VSPW's void), the rule of the API's panoptic evaluation
(``cityscapes_panoptic_api/evalPanopticSemanticLabeling.py`` and ``coco_panoptic_api/evaluation.py``, where
each segment's band comes from its own binary mask and the boundary union subtracts the predicted band
pixels lying on VOID):

- the ground-truth mask of class c is ``gt == c``, so ignored pixels are background to it: where class c
  borders an ignored region, its ground-truth band runs along that border (an ignore border is an edge);
- the predicted mask of class c is ``pred == c`` over the whole frame (a prediction knows no ignore), so
  its band is not cut by the ignored region either;
- predicted band pixels that lie on ignored ground truth are dropped (from the union; they cannot be in the
  intersection, because no ground-truth band pixel is ignored).

The border between two classes is an edge for both: each class's band runs along it on its own side.
``tests/test_metrics_boundary.py`` and ``tests/test_official_agreement.py`` check these rules against a
transcription of the API's loops.

All classes at once: d erosions by a 3x3 square are one erosion by the (2d+1) x (2d+1) square, and a pixel
of class c survives the erosion of ``labels == c`` iff that square around it lies inside the image and holds
only class c, i.e. iff the minimum and the maximum of the label map over the square are equal. One min
filter and one max filter of the label map (``cv2.erode`` / ``cv2.dilate``, with a constant border of 0 for
the minimum and of the dtype's maximum for the maximum, so that a square leaving the image never has
minimum = maximum) give every class's band in one pass. The tests check this against the per-class route.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..base.errors import ParameterError
from ._checks import (LabelMaps, check_ground_truth, check_integer, check_num_classes, check_ratio,
                      check_same_shape, label_pairs, outside_classes)

__all__ = ["band_width", "boundary_band", "label_bands", "band_classes", "boundary_counts", "biou_from_counts",
           "mean_boundary_iou"]


def band_width(height: int, width: int, dilation_ratio: float) -> int:
    """Band width in pixels, ``d = max(1, round(dilation_ratio x sqrt(height**2 + width**2)))``.

    480 x 853 VSPW frames at the default ratio 0.02 give d = 20.

    Raises
    ------
    ParameterError
        ``dilation_ratio`` is not a positive finite number.
    """
    check_ratio(dilation_ratio)
    return max(1, int(round(dilation_ratio * math.hypot(height, width))))


def boundary_band(mask: np.ndarray, dilation_ratio: float = 0.02) -> np.ndarray:
    """The boundary band of one binary mask, exactly as the boundary-iou-api computes it.

    Parameters
    ----------
    mask : (H, W) bool (or 0/1 integers)
        The mask.
    dilation_ratio : float
        Band width as a ratio of the image diagonal (see :func:`band_width`).

    Returns
    -------
    (H, W) bool
        Mask pixels within Chebyshev distance d of a background pixel or of the image border.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ParameterError(f"boundary_band: expected one (H, W) mask, got shape {mask.shape}")
    mask = mask.astype(bool)
    d = band_width(*mask.shape, dilation_ratio)
    padded = cv2.copyMakeBorder(mask.view(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded = cv2.erode(padded, np.ones((3, 3), np.uint8), iterations=d)[1:-1, 1:-1]
    return mask & (eroded == 0)


def label_bands(labels: np.ndarray, dilation_ratio: float = 0.02) -> np.ndarray:
    """For every pixel of a label map, whether it lies in the band of its own label's mask.

    Equal to ``boundary_band(labels == labels[r, c], dilation_ratio)[r, c]`` at every pixel (r, c), for all
    labels in one min/max filter pass.

    Parameters
    ----------
    labels : (H, W) integer array, values in 0..65535
        Label map; every value is a label (there is no ignore value here).
    dilation_ratio : float
        See :func:`band_width`.

    Returns
    -------
    (H, W) bool
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ParameterError(f"label_bands: expected one (H, W) label map, got shape {labels.shape}")
    check_integer(labels, "label_bands")
    if labels.size and (labels.min() < 0 or labels.max() > 65535):
        raise ParameterError(f"label_bands: labels must lie in 0..65535, got {labels.min()}..{labels.max()}")
    dtype = np.uint8 if labels.size == 0 or labels.max() <= 255 else np.uint16
    d = band_width(*labels.shape, dilation_ratio)
    return _label_bands(labels.astype(dtype), _square(d))


def _square(d: int) -> np.ndarray:
    return np.ones((2 * d + 1, 2 * d + 1), np.uint8)


def _label_bands(labels: np.ndarray, square: np.ndarray) -> np.ndarray:
    """:func:`label_bands` of a (H, W) uint8 or uint16 map with the (2d+1)-square structuring element."""
    low = cv2.erode(labels, square, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    high = cv2.dilate(labels, square, borderType=cv2.BORDER_CONSTANT, borderValue=int(np.iinfo(labels.dtype).max))
    return low != high  # low <= label <= high, so low == high iff the whole square holds the pixel's label


def boundary_counts(gt: np.ndarray, pred: np.ndarray, num_classes: int, dilation_ratio: float = 0.02,
                    ignore_index: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """Per-class intersections and unions of the ground-truth and predicted bands, summed over frames.

    Parameters
    ----------
    gt : (H, W) or (T, H, W) integer array, classes ``0..C-1`` and ``ignore_index``
        Ground truth.
    pred : integer array of the shape of ``gt``
        Prediction; values outside ``0..C-1`` are in no class's band.
    num_classes : int
        C (at most 65535).
    dilation_ratio : float
        Band width as a ratio of the frame diagonal (Boundary IoU: 0.02).
    ignore_index : int
        Band pixels whose ground truth has this value are dropped from both bands.

    Returns
    -------
    intersection : (C,) int64
    union : (C,) int64
        Counts that add over frames and videos; see :func:`biou_from_counts`.
    """
    num_classes = check_num_classes(num_classes)
    gt, pred = np.asarray(gt), np.asarray(pred)
    check_same_shape(gt, pred, "boundary_counts")
    if gt.ndim not in (2, 3):
        raise ParameterError(f"boundary_counts: expected (H, W) or (T, H, W) label maps, got shape {gt.shape}")
    check_integer(gt, "boundary_counts")
    check_integer(pred, "boundary_counts")
    check_ground_truth(gt, num_classes, ignore_index, "boundary_counts")
    check_ratio(dilation_ratio)
    return count_bands(gt, pred, num_classes, dilation_ratio, ignore_index)


def count_bands(gt: np.ndarray, pred: np.ndarray, num_classes: int, dilation_ratio: float,
                 ignore_index: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`boundary_counts` without its input checks, for callers that checked the inputs already."""
    if num_classes > 65535:
        raise ParameterError(f"num_classes={num_classes}: Boundary IoU supports at most 65535 classes")
    if gt.ndim == 2:
        gt, pred = gt[None], pred[None]
    # Labels for the min/max filters: classes stay, every other value (ignore, out-of-range predictions)
    # becomes one extra code C, which is "another class" for its neighbours and in no class's band.
    dtype = np.uint8 if num_classes <= 254 else np.uint16
    gt_codes = gt.astype(dtype)
    gt_codes[outside_classes(gt, num_classes)] = num_classes
    pred_codes = pred.astype(dtype)
    pred_codes[outside_classes(pred, num_classes)] = num_classes
    counted = gt != ignore_index
    square = _square(band_width(gt.shape[1], gt.shape[2], dilation_ratio))
    side = num_classes + 1
    table = np.zeros(side * side, np.int64)
    for gt_frame, pred_frame, counted_frame in zip(gt_codes, pred_codes, counted, strict=True):
        gt_class, pred_class = _band_classes(gt_frame, pred_frame, counted_frame, square, num_classes)
        # One joint histogram of (gt-band class, pred-band class) gives both band sizes and the overlap.
        codes = gt_class.astype(np.intp)
        codes *= side
        codes += pred_class
        table += np.bincount(codes.reshape(-1), minlength=side * side)
    table = table.reshape(side, side)
    intersection = np.diag(table)[:num_classes].copy()
    gt_band = table[:num_classes].sum(axis=1)
    pred_band = table[:, :num_classes].sum(axis=0)
    return intersection, gt_band + pred_band - intersection


def _band_classes(gt_codes: np.ndarray, pred_codes: np.ndarray, counted: np.ndarray, square: np.ndarray,
                  num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel of one frame, the class whose band it is in (``num_classes``: in none, or ground truth ignored),
    for the ground truth and the prediction: the pixel sets :func:`count_bands` counts."""
    gt_class = np.where(_label_bands(gt_codes, square) & counted, gt_codes, num_classes)
    pred_class = np.where(_label_bands(pred_codes, square) & counted, pred_codes, num_classes)
    return gt_class, pred_class


def band_classes(gt: np.ndarray, pred: np.ndarray, num_classes: int, dilation_ratio: float = 0.02,
                 ignore_index: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """The band pixels Boundary IoU counts in one frame, each with the class whose band holds it.

    The same pixel sets :func:`boundary_counts` sums (one code path), for drawing them: class c's
    intersection is ``(gt_band == c) & (pred_band == c)``, its union ``(gt_band == c) | (pred_band == c)``.

    Parameters
    ----------
    gt : (H, W) integer array, classes ``0..C-1`` and ``ignore_index``.
    pred : (H, W) integer array; values outside ``0..C-1`` are in no class's band.
    num_classes, dilation_ratio, ignore_index : as in :func:`boundary_counts`.

    Returns
    -------
    gt_band, pred_band : (H, W) int32
        The class of the ground-truth (predicted) band each pixel lies in; -1 where it lies in none or its
        ground truth is ignored.
    """
    num_classes = check_num_classes(num_classes)
    gt, pred = np.asarray(gt), np.asarray(pred)
    check_same_shape(gt, pred, "band_classes")
    if gt.ndim != 2:
        raise ParameterError(f"band_classes: expected one (H, W) frame, got shape {gt.shape}")
    check_integer(gt, "band_classes")
    check_integer(pred, "band_classes")
    check_ground_truth(gt, num_classes, ignore_index, "band_classes")
    check_ratio(dilation_ratio)
    if num_classes > 65535:
        raise ParameterError(f"num_classes={num_classes}: Boundary IoU supports at most 65535 classes")
    dtype = np.uint8 if num_classes <= 254 else np.uint16
    codes = []
    for labels in (gt, pred):
        coded = labels.astype(dtype)
        coded[outside_classes(labels, num_classes)] = num_classes
        codes.append(coded)
    square = _square(band_width(*gt.shape, dilation_ratio))
    bands = _band_classes(codes[0], codes[1], gt != ignore_index, square, num_classes)
    gt_band, pred_band = (b.astype(np.int32) for b in bands)
    gt_band[gt_band == num_classes] = -1
    pred_band[pred_band == num_classes] = -1
    return gt_band, pred_band


def biou_from_counts(intersection: np.ndarray, union: np.ndarray) -> tuple[float, np.ndarray]:
    """mBIoU and per-class Boundary IoU from summed band intersections and unions.

    Parameters
    ----------
    intersection, union : (C,) integer arrays
        From :func:`boundary_counts`, summed over any number of frames.

    Returns
    -------
    mbiou : float
        Mean over the classes with a non-zero union; NaN when there is none.
    biou : (C,) float64
        NaN where the union is 0.
    """
    intersection, union = np.asarray(intersection), np.asarray(union)
    if intersection.shape != union.shape or intersection.ndim != 1:
        raise ParameterError(f"intersection of shape {intersection.shape} and union of shape {union.shape} must "
                             "be (C,) arrays of one shape")
    biou = np.full(union.shape, np.nan)
    np.divide(intersection, union, out=biou, where=union > 0)
    defined = union > 0
    return (float(biou[defined].mean()) if defined.any() else float("nan")), biou


def mean_boundary_iou(gts: LabelMaps, preds: LabelMaps, num_classes: int, dilation_ratio: float = 0.02,
                      ignore_index: int = 255) -> dict[str, float | np.ndarray]:
    """Dataset mBIoU: band intersections and unions summed over every frame, then divided.

    Parameters
    ----------
    gts : (T, H, W) or (H, W) integer array, or a sequence of them
        Ground truth, classes ``0..C-1`` and ``ignore_index``.
    preds : same structure and shapes as ``gts``
        Predictions.
    num_classes : int
        C.
    dilation_ratio : float
        Band width as a ratio of the frame diagonal (0.02: 20 px on 480 x 853 frames).
    ignore_index : int
        Ground-truth value whose pixels are dropped from both bands.

    Returns
    -------
    dict
        ``"mbiou"``: float; ``"biou"``: (C,) float64, NaN where a class's band union is 0.
    """
    num_classes = check_num_classes(num_classes)
    check_ratio(dilation_ratio)
    intersection = np.zeros(num_classes, np.int64)
    union = np.zeros(num_classes, np.int64)
    for k, (gt, pred) in enumerate(label_pairs(gts, preds)):
        check_ground_truth(gt, num_classes, ignore_index, f"pair {k}")
        pair_intersection, pair_union = count_bands(gt, pred, num_classes, dilation_ratio, ignore_index)
        intersection += pair_intersection
        union += pair_union
    mbiou, biou = biou_from_counts(intersection, union)
    return {"mbiou": mbiou, "biou": biou}
