"""Mean intersection over union of semantic label maps, counted over a whole dataset.

Definition (mmsegmentation ``IoUMetric``, ``mmseg/evaluation/metrics/iou_metric.py``, the convention CFFM,
MRCFA and TV3S report VSPW numbers with): per class c, ``IoU_c = TP_c / (TP_c + FP_c + FN_c)``, the three
counts summed over every frame of the dataset before dividing.

- Pixels whose ground truth is ``ignore_index`` are left out.
- A predicted value outside ``0..C-1`` (for example 255, "no class") is a false negative of the ground-truth
  class and no class's false positive.
- A class whose union is 0 has no IoU (NaN).

Two means over classes (:class:`Average`):

- ``"union"`` (mmsegmentation): over the classes with a non-zero union, so a class that is predicted but
  never in the ground truth counts as 0;
- ``"present"`` (VSPW's ``evaluator_test.py``, ``Evaluator`` in VSPW_code ``utils.py``): over the classes
  present in the ground truth only.

Counts add over frames and videos, scores do not: :func:`confusion_matrix` counts (one ``np.bincount``),
:func:`iou_from_confusion` scores, :func:`mean_iou` chains the two.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import numpy as np

from ..errors import DataError, ParameterError

__all__ = ["Average", "confusion_matrix", "iou_from_confusion", "mean_iou"]

LabelMaps = np.ndarray | Iterable[np.ndarray]


class Average(enum.StrEnum):
    """Which classes the mean IoU averages over."""

    UNION = "union"  # classes with a non-zero union (mmsegmentation)
    PRESENT = "present"  # classes present in the ground truth (VSPW's evaluator)


# ---------------------------------------------------------------------------------------- input checks
# Shared by the sibling metric modules (boundary, consistency, accumulator).
def _check_num_classes(num_classes: int) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ParameterError(f"num_classes={num_classes!r} must be a positive integer (VSPW: 124)")
    return int(num_classes)


def _check_integer(labels: np.ndarray, what: str) -> None:
    if not np.issubdtype(labels.dtype, np.integer):
        raise ParameterError(f"{what}: label maps must hold integers, got dtype {labels.dtype}; "
                             "convert class ids with .astype(np.uint8)")


def _check_same_shape(gt: np.ndarray, pred: np.ndarray, what: str) -> None:
    if gt.shape != pred.shape:
        raise ParameterError(f"{what}: ground truth of shape {gt.shape} and prediction of shape {pred.shape} "
                             "differ; resize the prediction to the ground truth (nearest neighbour)")


def _outside_classes(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Bool array of the shape of ``labels``: values outside ``0..num_classes-1``."""
    outside = labels >= num_classes
    if np.issubdtype(labels.dtype, np.signedinteger):
        outside |= labels < 0
    return outside


def _check_ground_truth(gt: np.ndarray, num_classes: int, ignore_index: int, what: str) -> None:
    """Every ground-truth value is a class ``0..C-1`` or ``ignore_index``; else DataError naming the values."""
    bad = _outside_classes(gt, num_classes) & (gt != ignore_index)
    if bad.any():
        values = np.unique(gt[bad])
        raise DataError(f"{what}: ground truth holds {values.size} value(s) outside the classes 0..{num_classes - 1} "
                        f"and the ignore index {ignore_index}: {values[:8].tolist()}; map raw labels first "
                        "(VSPW: raw 0 and 255 -> 255, raw k -> k-1, as vsslib.data.VSPWDataset does)")


def _label_pairs(gts: LabelMaps, preds: LabelMaps) -> list[tuple[np.ndarray, np.ndarray]]:
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
        _check_same_shape(gt, pred, what)
        _check_integer(gt, what)
        _check_integer(pred, what)
        pairs.append((gt, pred))
    return pairs


# ------------------------------------------------------------------------------------------- counting
def confusion_matrix(gt: np.ndarray, pred: np.ndarray, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """Pixel counts per (ground-truth class, predicted class), in one ``np.bincount``.

    Parameters
    ----------
    gt : (...) integer array, classes ``0..C-1`` or ``ignore_index``
        Ground-truth label maps of any shape, e.g. (H, W) or (T, H, W).
    pred : (...) integer array, same shape as ``gt``
        Predicted label maps; values outside ``0..C-1`` mean "no class".
    num_classes : int
        C.
    ignore_index : int
        Ground-truth value whose pixels are left out.

    Returns
    -------
    (C, C + 1) int64
        Row = ground-truth class, column = predicted class; the last column counts the pixels predicted
        outside ``0..C-1`` (misses of the row's class, false positives of no class). Tables of frames and
        videos add.

    Raises
    ------
    ParameterError
        Shapes differ, non-integer dtypes, or ``num_classes < 1``.
    DataError
        The ground truth holds a value that is neither a class nor ``ignore_index``.
    """
    num_classes = _check_num_classes(num_classes)
    gt, pred = np.asarray(gt), np.asarray(pred)
    _check_same_shape(gt, pred, "confusion_matrix")
    _check_integer(gt, "confusion_matrix")
    _check_integer(pred, "confusion_matrix")
    _check_ground_truth(gt, num_classes, ignore_index, "confusion_matrix")
    return _count_confusion(gt, pred, num_classes, ignore_index)


def _count_confusion(gt: np.ndarray, pred: np.ndarray, num_classes: int, ignore_index: int) -> np.ndarray:
    """:func:`confusion_matrix` on inputs already checked."""
    side = num_classes + 1
    # Ignored pixels go to an extra row and out-of-range predictions to an extra column; the extra row is
    # dropped after the single bincount, the extra column kept.
    codes = gt.astype(np.intp).reshape(-1)
    codes[(gt == ignore_index).reshape(-1)] = num_classes
    codes *= side
    columns = pred.astype(np.intp).reshape(-1)
    columns[_outside_classes(pred, num_classes).reshape(-1)] = num_classes
    codes += columns
    counts = np.bincount(codes, minlength=side * side).reshape(side, side)
    return counts[:num_classes].astype(np.int64)


# -------------------------------------------------------------------------------------------- scoring
def iou_from_confusion(table: np.ndarray, *, average: Average | str = Average.UNION) -> tuple[float, np.ndarray]:
    """Per-class IoU and its mean from a confusion table.

    Parameters
    ----------
    table : (C, C + 1) or (C, C) integer array
        Counts from :func:`confusion_matrix` (summed over any number of frames); a square table has no
        "predicted outside the classes" column.
    average : {"union", "present"}
        Mean over the classes with a non-zero union (mmsegmentation) or over the classes present in the
        ground truth (VSPW's evaluator).

    Returns
    -------
    miou : float
        NaN when no class qualifies.
    iou : (C,) float64
        NaN where a class's union is 0.
    """
    average = _parse_average(average)
    table = np.asarray(table)
    if table.ndim != 2 or table.shape[1] not in (table.shape[0], table.shape[0] + 1) or table.shape[0] < 1:
        raise ParameterError(f"confusion table of shape {table.shape} is neither (C, C) nor (C, C + 1)")
    num_classes = table.shape[0]
    hits = np.diag(table[:, :num_classes]).astype(np.int64)
    gt_total = table.sum(axis=1, dtype=np.int64)  # includes the misses of the last column
    pred_total = table[:, :num_classes].sum(axis=0, dtype=np.int64)
    union = gt_total + pred_total - hits
    iou = np.full(num_classes, np.nan)
    np.divide(hits, union, out=iou, where=union > 0)
    averaged = union > 0 if average is Average.UNION else gt_total > 0
    miou = float(iou[averaged].mean()) if averaged.any() else float("nan")
    return miou, iou


def mean_iou(gts: LabelMaps, preds: LabelMaps, num_classes: int, ignore_index: int = 255, *,
             average: Average | str = Average.UNION) -> dict[str, float | np.ndarray]:
    """Dataset mIoU: counts summed over every frame, then divided.

    Parameters
    ----------
    gts : (T, H, W) or (H, W) integer array, or a sequence of them (one per video or frame)
        Ground truth, classes ``0..C-1`` and ``ignore_index``.
    preds : same structure and shapes as ``gts``
        Predictions; values outside ``0..C-1`` are misses.
    num_classes : int
        C.
    ignore_index : int
        Ground-truth value left out (VSPW: 255).
    average : {"union", "present"}
        See :class:`Average`.

    Returns
    -------
    dict
        ``"miou"``: float; ``"iou"``: (C,) float64, NaN where a class's union is 0.

    Examples
    --------
    >>> gt = np.array([[0, 0], [1, 255]])
    >>> pred = np.array([[0, 1], [1, 1]])
    >>> mean_iou(gt, pred, 2)["iou"].tolist()
    [0.5, 0.5]
    """
    num_classes = _check_num_classes(num_classes)
    average = _parse_average(average)
    table = np.zeros((num_classes, num_classes + 1), np.int64)
    for k, (gt, pred) in enumerate(_label_pairs(gts, preds)):
        _check_ground_truth(gt, num_classes, ignore_index, f"pair {k}")
        table += _count_confusion(gt, pred, num_classes, ignore_index)
    miou, iou = iou_from_confusion(table, average=average)
    return {"miou": miou, "iou": iou}


def _parse_average(average: Average | str) -> Average:
    try:
        return Average(average)
    except ValueError:
        raise ParameterError(f"average={average!r} is not one of {', '.join(repr(a.value) for a in Average)}") \
            from None
