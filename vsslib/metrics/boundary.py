"""Boundary IoU for semantic segmentation (Cheng, Girshick, Dollar, Berg, Kirillov, CVPR 2021).

The band of a binary mask is the mask minus its erosion by a 3x3 square applied d times, with
d = max(1, round(dilation_ratio x image diagonal)) and everything outside the image counted as background
(so a mask touching the border has a band along it), exactly as ``mask_to_boundary`` of the
boundary-iou-api (bowenc0221/boundary-iou-api). For semantic segmentation, per class c: the bands of
``gt == c`` and ``pred == c`` are taken, band pixels whose ground truth is ignored are dropped, and the
intersections and unions of the two bands are summed over the dataset before dividing; mBIoU averages the
classes with a non-zero union.

Speed: d erosions by a 3x3 square equal one erosion by a (2d+1)x(2d+1) square, and a pixel of class c
survives the erosion of ``label == c`` iff the whole square around it lies inside the image and holds
only class c, i.e. iff the minimum and the maximum of the label map over the square both equal c. So
one min filter and one max filter of the label map (``cv2.erode``/``cv2.dilate``) give every class's
band at once; the test suite checks this against the per-class route.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..errors import ParameterError
from .iou import _check_pair, as_frames

__all__ = ["band_width", "boundary_band", "label_bands", "boundary_counts", "mean_boundary_iou"]


def band_width(height: int, width: int, dilation_ratio: float) -> int:
    """d = max(1, round(dilation_ratio x diagonal)) for an image of ``height`` x ``width``."""
    if not (isinstance(dilation_ratio, (int, float)) and np.isfinite(dilation_ratio) and dilation_ratio > 0):
        raise ParameterError(f"dilation_ratio={dilation_ratio!r} must be a positive number (Boundary IoU uses "
                             "0.02 of the image diagonal)")
    return max(1, int(round(dilation_ratio * float(np.hypot(height, width)))))


def boundary_band(mask: np.ndarray, dilation_ratio: float = 0.02) -> np.ndarray:
    """The boundary band of one binary mask.

    Parameters
    ----------
    mask : (H, W) bool.
    dilation_ratio : band width as a ratio of the image diagonal.

    Returns
    -------
    (H, W) bool: mask pixels within d of the mask's edge or of the image border.
    """
    mask = np.asarray(mask).astype(np.uint8)
    h, w = mask.shape
    d = band_width(h, w, dilation_ratio)
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded = cv2.erode(padded, np.ones((3, 3), np.uint8), iterations=d)[1:-1, 1:-1]
    return (mask - eroded).astype(bool)


def label_bands(labels: np.ndarray, d: int) -> np.ndarray:
    """For a (H, W) label map, whether each pixel lies in the band of its own label's mask (width d).

    Returns
    -------
    (H, W) bool: True where the (2d+1)-square around the pixel leaves the image or holds another label.
    """
    labels = np.ascontiguousarray(labels)
    if labels.dtype != np.uint8:
        if labels.size and (labels.min() < 0 or labels.max() > 255):
            raise ParameterError(f"label values must lie in 0..255, got {labels.min()}..{labels.max()}")
        labels = labels.astype(np.uint8)
    h, w = labels.shape
    kernel = np.ones((2 * d + 1, 2 * d + 1), np.uint8)
    low = cv2.erode(labels, kernel, borderType=cv2.BORDER_REPLICATE)
    high = cv2.dilate(labels, kernel, borderType=cv2.BORDER_REPLICATE)
    band = (low != labels) | (high != labels)
    band[:d] = True
    band[h - d :] = True
    band[:, :d] = True
    band[:, w - d :] = True
    return band


def boundary_counts(gt: np.ndarray, pred: np.ndarray, num_classes: int, dilation_ratio: float = 0.02,
                    ignore_index: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """Per-class band intersections and unions of one or more frames.

    Parameters
    ----------
    gt, pred : (H, W) or (T, H, W) integer label maps of the same shape.

    Returns
    -------
    (intersection, union), each (C,) int64, summed over frames.
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    _check_pair(gt, pred, "boundary_counts")
    if gt.ndim == 2:
        gt, pred = gt[None], pred[None]
    d = band_width(gt.shape[1], gt.shape[2], dilation_ratio)
    inter = np.zeros(num_classes, np.int64)
    gt_total = np.zeros(num_classes, np.int64)
    pred_total = np.zeros(num_classes, np.int64)
    for g, p in zip(gt, pred, strict=True):
        g = g.astype(np.int64)
        p = p.astype(np.int64)
        g8 = np.where((g >= 0) & (g < 256), g, 255).astype(np.uint8)
        p8 = np.where((p >= 0) & (p < 256), p, 254).astype(np.uint8)
        known = g != ignore_index
        gt_in = label_bands(g8, d) & known & (g < num_classes) & (g >= 0)
        pred_in = label_bands(p8, d) & known & (p < num_classes) & (p >= 0)
        gt_total += np.bincount(g[gt_in], minlength=num_classes)[:num_classes]
        pred_total += np.bincount(p[pred_in], minlength=num_classes)[:num_classes]
        both = gt_in & pred_in & (g == p)
        inter += np.bincount(g[both], minlength=num_classes)[:num_classes]
    return inter, gt_total + pred_total - inter


def mean_boundary_iou(gts: np.ndarray | Sequence[np.ndarray], preds: np.ndarray | Sequence[np.ndarray],
                      num_classes: int, dilation_ratio: float = 0.02, ignore_index: int = 255) -> dict[str, object]:
    """Dataset mBIoU.

    Returns
    -------
    ``{"mbiou": float, "biou": (C,) float64 (NaN where the band union is 0)}``.
    """
    gts_list = as_frames(gts, name="gts")
    preds_list = as_frames(preds, name="preds")
    if len(gts_list) != len(preds_list):
        raise ParameterError(f"{len(gts_list)} ground-truth arrays but {len(preds_list)} predictions")
    inter = np.zeros(num_classes, np.int64)
    union = np.zeros(num_classes, np.int64)
    for gt, pred in zip(gts_list, preds_list, strict=True):
        i, u = boundary_counts(gt, pred, num_classes, dilation_ratio, ignore_index)
        inter += i
        union += u
    return biou_from_counts(inter, union)


def biou_from_counts(inter: np.ndarray, union: np.ndarray) -> dict[str, object]:
    """mBIoU and per-class BIoU from summed band intersections and unions."""
    inter = np.asarray(inter, np.float64)
    union = np.asarray(union, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        biou = np.where(union > 0, inter / np.where(union > 0, union, 1), np.nan)
    keep = union > 0
    return {"mbiou": float(np.mean(biou[keep])) if keep.any() else float("nan"), "biou": biou}
