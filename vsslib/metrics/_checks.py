"""Input checks shared by the metric modules (one place for each message)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from ..base.errors import DataError, ParameterError

LabelMaps = np.ndarray | Iterable[np.ndarray]


def check_num_classes(num_classes: int) -> int:
    """``num_classes`` as an int; ParameterError unless it is a positive integer."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ParameterError(f"num_classes={num_classes!r} must be a positive integer (VSPW: 124)")
    return int(num_classes)


def check_integer(labels: np.ndarray, what: str) -> None:
    """ParameterError unless ``labels`` has an integer dtype."""
    if not np.issubdtype(labels.dtype, np.integer):
        raise ParameterError(f"{what}: label maps must hold integers, got dtype {labels.dtype}; "
                             "convert class ids with .astype(np.uint8)")


def check_same_shape(gt: np.ndarray, pred: np.ndarray, what: str) -> None:
    """ParameterError naming both shapes unless they are equal."""
    if gt.shape != pred.shape:
        raise ParameterError(f"{what}: ground truth of shape {gt.shape} and prediction of shape {pred.shape} "
                             "differ; resize the prediction to the ground truth (nearest neighbour)")


def outside_classes(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Bool array of the shape of ``labels``: values outside ``0..num_classes-1``."""
    outside = labels >= num_classes
    if np.issubdtype(labels.dtype, np.signedinteger):
        outside |= labels < 0
    return outside


def check_ground_truth(gt: np.ndarray, num_classes: int, ignore_index: int, what: str) -> None:
    """Every ground-truth value is a class ``0..C-1`` or ``ignore_index``; else DataError naming the values."""
    bad = outside_classes(gt, num_classes) & (gt != ignore_index)
    if bad.any():
        values = np.unique(gt[bad])
        raise DataError(f"{what}: ground truth holds {values.size} value(s) outside the classes 0..{num_classes - 1} "
                        f"and the ignore index {ignore_index}: {values[:8].tolist()}; map raw labels first "
                        "(VSPW: raw 0 and 255 -> 255, raw k -> k-1, as vsslib.data.VSPWDataset does)")


def label_pairs(gts: LabelMaps, preds: LabelMaps) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pair up one array or a sequence of arrays, each ``(H, W)`` or ``(T, H, W)``, checking shapes."""
    gt_list = [gts] if isinstance(gts, np.ndarray) else list(gts)
    pred_list = [preds] if isinstance(preds, np.ndarray) else list(preds)
    if len(gt_list) != len(pred_list):
        raise ParameterError(f"{len(gt_list)} ground-truth arrays but {len(pred_list)} predictions; pass one "
                             "prediction per ground-truth array (a (T, H, W) array or a list of them)")
    pairs = []
    for k, (gt, pred) in enumerate(zip(gt_list, pred_list, strict=True)):
        gt, pred = np.asarray(gt), np.asarray(pred)
        what = f"pair {k}"
        if gt.ndim not in (2, 3):
            raise ParameterError(f"{what}: expected (H, W) or (T, H, W) label maps, got shape {gt.shape}")
        check_same_shape(gt, pred, what)
        check_integer(gt, what)
        check_integer(pred, what)
        pairs.append((gt, pred))
    return pairs


def check_ratio(dilation_ratio: float) -> None:
    """ParameterError unless the Boundary IoU dilation ratio is a positive finite number."""
    if isinstance(dilation_ratio, bool) or not isinstance(dilation_ratio, (int, float, np.floating, np.integer)) \
            or not math.isfinite(dilation_ratio) or dilation_ratio <= 0:
        raise ParameterError(f"dilation_ratio={dilation_ratio!r} must be a positive number (a ratio of the image "
                             "diagonal; Boundary IoU uses 0.02)")


def check_lengths(lengths: Sequence[int]) -> tuple[int, ...]:
    """VC window lengths as a tuple of positive ints; ParameterError for a bare int, a bad or repeated one."""
    if isinstance(lengths, (int, np.integer)):
        raise ParameterError(f"lengths={lengths!r} must be a sequence of window lengths, e.g. ({lengths},)")
    checked = []
    for n in lengths:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ParameterError(f"window length n={n!r} must be a positive integer (VSPW reports n = 8 and 16)")
        checked.append(int(n))
    if len(set(checked)) != len(checked):
        raise ParameterError(f"window lengths {tuple(checked)} repeat a value")
    return tuple(checked)
