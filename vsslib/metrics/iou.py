"""Mean intersection over union of semantic label maps, counted over a whole dataset.

Definition (mmsegmentation ``IoUMetric``, ``mmseg/evaluation/metrics/iou_metric.py``, the convention CFFM,
MRCFA and TV3S report VSPW numbers with): per class c, ``IoU_c = TP_c / (TP_c + FP_c + FN_c)``, the three
counts summed over every frame of the dataset before dividing.

- Pixels whose ground truth is ``ignore_index`` are left out.
- A predicted value outside ``0..C-1`` (for example 255, "no class") is a false negative of the ground-truth
  class and no class's false positive.
- A class whose union is 0 has no IoU (NaN).

Two means over classes (:class:`Average`), from the same per-class IoU:

- ``"union"`` (mmsegmentation; reported as ``miou``): over the classes with a non-zero union, so a class
  that is predicted but never in the ground truth counts as 0;
- ``"present"`` (VSPW's evaluator; reported as ``miou_present``): over the classes present in the ground
  truth only. VSPW-dataset/VSPW_code ``evaluator_test.py`` fills ``Evaluator(124)`` from its ``utils.py``
  (not shipped in that repository; the class as copied into GuoleiSun/VSS-CFFM ``VC_perclip.py``): one
  confusion table over every val frame, ``IoU = diag / (row sum + column sum - diag)``, and the mean
  ``nansum(IoU * present) / present.sum()`` with ``present = row sum > 0``. Its table keeps ground-truth
  values in ``0..C-1`` only, so with VSPW's remap applied to the masks (raw 0 and 255 -> 255, raw k -> k-1;
  ``evaluator_test.py`` expects remapped masks, the copies in CFFM and TV3S remap inside) raw 0 and 255
  are left out, exactly as ``ignore_index=255`` leaves them out here.

The two means differ only by the classes that are predicted but absent from the ground truth.

Predicted values outside ``0..C-1``: VSPW's evaluator adds ``C * gt + pred`` to one bincount, so a predicted
255 lands in an unrelated cell (or makes the table too long to reshape): it has no defined meaning there.
Here it is a miss (see above). The predictions vsslib writes hold classes only, where the two agree;
``tests/test_official_agreement.py`` checks the equality against a transcription of the official loop.

Counts add over frames and videos, scores do not: :func:`confusion_matrix` counts (one ``np.bincount``),
:func:`iou_from_confusion` scores, :func:`mean_iou` chains the two.
"""

from __future__ import annotations

import enum

import numpy as np

from ..base.errors import ParameterError
from ._checks import (LabelMaps, check_ground_truth, check_integer, check_num_classes, check_same_shape,
                      label_pairs, outside_classes)

__all__ = ["Average", "confusion_matrix", "class_counts", "iou_from_confusion", "mean_iou"]

class Average(enum.StrEnum):
    """Which classes the mean IoU averages over."""

    UNION = "union"  # classes with a non-zero union (mmsegmentation)
    PRESENT = "present"  # classes present in the ground truth (VSPW's evaluator)


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
    num_classes = check_num_classes(num_classes)
    gt, pred = np.asarray(gt), np.asarray(pred)
    check_same_shape(gt, pred, "confusion_matrix")
    check_integer(gt, "confusion_matrix")
    check_integer(pred, "confusion_matrix")
    check_ground_truth(gt, num_classes, ignore_index, "confusion_matrix")
    return count_confusion(gt, pred, num_classes, ignore_index)


def count_confusion(gt: np.ndarray, pred: np.ndarray, num_classes: int, ignore_index: int) -> np.ndarray:
    """:func:`confusion_matrix` without its input checks, for callers that checked the inputs already."""
    side = num_classes + 1
    # Ignored pixels go to an extra row and out-of-range predictions to an extra column; the extra row is
    # dropped after the single bincount, the extra column kept.
    codes = gt.astype(np.intp).reshape(-1)
    codes[(gt == ignore_index).reshape(-1)] = num_classes
    codes *= side
    columns = pred.astype(np.intp).reshape(-1)
    columns[outside_classes(pred, num_classes).reshape(-1)] = num_classes
    codes += columns
    counts = np.bincount(codes, minlength=side * side).reshape(side, side)
    return counts[:num_classes].astype(np.int64)


# -------------------------------------------------------------------------------------------- scoring
def class_counts(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class hits, ground-truth pixels and predicted pixels of confusion tables.

    Parameters
    ----------
    table : (..., C, C + 1) or (..., C, C) integer array
        Confusion tables (:func:`confusion_matrix`), any number of leading axes.

    Returns
    -------
    hits, gt_pixels, pred_pixels : (..., C) int64
        The diagonal; row sums (ground truth of class c, including the misses of the last column); column
        sums over the C classes (predicted c). The union of class c is ``gt + pred - hits``.
    """
    table = np.asarray(table)
    num_classes = table.shape[-2]
    square = table[..., :num_classes]
    hits = np.diagonal(square, axis1=-2, axis2=-1).astype(np.int64)
    return hits, table.sum(axis=-1, dtype=np.int64), square.sum(axis=-2, dtype=np.int64)


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
    hits, gt_total, pred_total = class_counts(table)
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
    num_classes = check_num_classes(num_classes)
    average = _parse_average(average)
    table = np.zeros((num_classes, num_classes + 1), np.int64)
    for k, (gt, pred) in enumerate(label_pairs(gts, preds)):
        check_ground_truth(gt, num_classes, ignore_index, f"pair {k}")
        table += count_confusion(gt, pred, num_classes, ignore_index)
    miou, iou = iou_from_confusion(table, average=average)
    return {"miou": miou, "iou": iou}


def _parse_average(average: Average | str) -> Average:
    try:
        return Average(average)
    except ValueError:
        raise ParameterError(f"average={average!r} is not one of {', '.join(repr(a.value) for a in Average)}") \
            from None
