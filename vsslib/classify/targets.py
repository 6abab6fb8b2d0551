"""Training targets of approach 2: each masklet's majority ground-truth class."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["masklet_targets"]


def masklet_targets(labels: np.ndarray, masklets: np.ndarray, num_classes: int, *, max_void: float = 0.5,
                    ignore_index: int = 255) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Majority ground-truth class of every masklet (one bincount over masklet-class pairs).

    Parameters
    ----------
    labels : (T, H, W) uint8 ground truth, 255 = ignore.
    masklets : (T, H, W) int32, -1 = none.
    num_classes : C.
    max_void : masklets with more than this share of ignored pixels are left out (target -1).

    Returns
    -------
    ids : (N,) int32 ascending; targets : (N,) int64 class or -1; purity : (N,) float64 share of the
    masklet's labelled pixels that have the majority class (ties: the lowest class id).
    """
    if labels.shape != masklets.shape:
        raise ParameterError(f"labels {labels.shape} and masklets {masklets.shape} differ in shape")
    valid = masklets >= 0
    ids, inverse = np.unique(masklets[valid], return_inverse=True)
    n = len(ids)
    cls = labels[valid].astype(np.int64)
    cls = np.where((cls < num_classes) & (cls != ignore_index), cls, num_classes)  # column C = void
    table = np.bincount(inverse * (num_classes + 1) + cls, minlength=n * (num_classes + 1)).reshape(n, num_classes + 1)
    labelled = table[:, :num_classes].sum(axis=1)
    total = table.sum(axis=1)
    targets = table[:, :num_classes].argmax(axis=1).astype(np.int64)
    purity = np.where(labelled > 0, table[:, :num_classes].max(axis=1) / np.maximum(labelled, 1), 0.0)
    void_share = np.where(total > 0, table[:, num_classes] / np.maximum(total, 1), 1.0)
    targets[(void_share > max_void) | (labelled == 0)] = -1
    return ids.astype(np.int32), targets, purity
