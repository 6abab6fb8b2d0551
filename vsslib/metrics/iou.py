"""Mean intersection over union, counted over a whole dataset.

Definition (the convention of mmsegmentation's ``IoUMetric``, which CFFM, MRCFA and TV3S report with):
per class, IoU = TP / (TP + FP + FN) with the counts summed over every frame of the dataset before
dividing; pixels whose ground truth is ``ignore_index`` are left out; a predicted value outside 0..C-1 is a
miss (false negative) for the ground-truth class and no class's false positive; classes whose union is 0
get NaN and are left out of the mean. VSPW's own evaluator (VSPW_code ``utils.py``) instead averages only
over the classes present in the ground truth: ``average="present"``. A table says which it uses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError

__all__ = ["confusion_matrix", "iou_from_confusion", "mean_iou", "as_frames"]

AVERAGES = ("union", "present")


def as_frames(maps: np.ndarray | Sequence[np.ndarray], *, name: str) -> list[np.ndarray]:
    """Normalise a (T,H,W)/(H,W) array or a sequence of them into a list of (H,W) or (T,H,W) arrays."""
    if isinstance(maps, np.ndarray):
        if maps.ndim not in (2, 3):
            raise ParameterError(f"{name}: expected (H, W) or (T, H, W) label maps, got shape {maps.shape}")
        return [maps]
    out = []
    for k, item in enumerate(maps):
        item = np.asarray(item)
        if item.ndim not in (2, 3):
            raise ParameterError(f"{name}[{k}]: expected (H, W) or (T, H, W), got shape {item.shape}")
        out.append(item)
    return out


def _check_pair(gt: np.ndarray, pred: np.ndarray, where: str) -> None:
    if gt.shape != pred.shape:
        raise ParameterError(f"{where}: ground truth of shape {gt.shape} and prediction of shape {pred.shape} "
                             "differ")


def confusion_matrix(gt: np.ndarray, pred: np.ndarray, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """(C, C) int64 counts, rows = ground truth, columns = prediction, in one ``np.bincount``.

    Parameters
    ----------
    gt, pred : integer label maps of the same shape (any number of dimensions).
    num_classes : C.
    ignore_index : ground-truth value left out.

    Notes
    -----
    Ground-truth values outside 0..C-1 other than ``ignore_index`` are left out as well. Predicted values
    outside 0..C-1 are not counted in the table; :func:`iou_from_confusion` still sees them as misses
    because the row sums are taken from the ground truth (pass ``gt_counts``), see :func:`_counts`.
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    _check_pair(gt, pred, "confusion_matrix")
    if num_classes < 1:
        raise ParameterError(f"num_classes={num_classes} must be at least 1")
    gt_flat = gt.reshape(-1).astype(np.int64)
    pred_flat = pred.reshape(-1).astype(np.int64)
    valid = (gt_flat != ignore_index) & (gt_flat >= 0) & (gt_flat < num_classes)
    gt_flat = gt_flat[valid]
    pred_flat = pred_flat[valid]
    # Out-of-range predictions go to an extra column C ("no class"), dropped after counting.
    pred_flat = np.where((pred_flat >= 0) & (pred_flat < num_classes), pred_flat, num_classes)
    table = np.bincount(gt_flat * (num_classes + 1) + pred_flat, minlength=num_classes * (num_classes + 1))
    return table.reshape(num_classes, num_classes + 1).astype(np.int64)


def iou_from_confusion(table: np.ndarray, *, average: str = "union") -> tuple[float, np.ndarray]:
    """Per-class IoU and its mean from a confusion table.

    Parameters
    ----------
    table : (C, C) or (C, C+1) int counts from :func:`confusion_matrix` (the optional last column counts
        out-of-range predictions: misses for the row's class).
    average : ``"union"`` (mean over classes with a non-zero union; mmsegmentation) or ``"present"``
        (mean over classes present in the ground truth; VSPW's script).

    Returns
    -------
    (miou, iou) with iou (C,) float64, NaN where the union is 0.
    """
    if average not in AVERAGES:
        raise ParameterError(f"average={average!r} is not one of {', '.join(AVERAGES)}")
    table = np.asarray(table, dtype=np.int64)
    num_classes = table.shape[0]
    if table.shape not in ((num_classes, num_classes), (num_classes, num_classes + 1)):
        raise ParameterError(f"confusion table of shape {table.shape} is neither (C, C) nor (C, C+1)")
    square = table[:, :num_classes]
    tp = np.diag(square).astype(np.float64)
    gt_total = table.sum(axis=1).astype(np.float64)  # includes out-of-range predictions: misses
    pred_total = square.sum(axis=0).astype(np.float64)
    union = gt_total + pred_total - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, tp / np.where(union > 0, union, 1), np.nan)
    keep = union > 0 if average == "union" else gt_total > 0
    miou = float(np.mean(iou[keep])) if keep.any() else float("nan")
    return miou, iou


def mean_iou(gts: np.ndarray | Sequence[np.ndarray], preds: np.ndarray | Sequence[np.ndarray], num_classes: int,
             ignore_index: int = 255, *, average: str = "union") -> dict[str, object]:
    """Dataset mIoU.

    Parameters
    ----------
    gts, preds : a (T, H, W) or (H, W) integer array, or sequences of them (one per video or frame), same
        shapes pairwise.
    num_classes : C.
    ignore_index : ground-truth value left out (255).
    average : ``"union"`` (default, mmsegmentation) or ``"present"`` (VSPW's script).

    Returns
    -------
    ``{"miou": float, "iou": (C,) float64 array (NaN where undefined)}``.
    """
    gts_list = as_frames(gts, name="gts")
    preds_list = as_frames(preds, name="preds")
    if len(gts_list) != len(preds_list):
        raise ParameterError(f"{len(gts_list)} ground-truth arrays but {len(preds_list)} predictions")
    table = np.zeros((num_classes, num_classes + 1), np.int64)
    for k, (gt, pred) in enumerate(zip(gts_list, preds_list, strict=True)):
        _check_pair(gt, pred, f"pair {k}")
        table += confusion_matrix(gt, pred, num_classes, ignore_index)
    miou, iou = iou_from_confusion(table, average=average)
    return {"miou": miou, "iou": iou}
