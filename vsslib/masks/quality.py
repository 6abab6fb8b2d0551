"""How well masklets follow the dataset's objects: the mask-quality axis of the study.

A masklet source is judged against exact instance maps (the generated benchmark has them for every pixel):
on each window's key frame every object covering at least ``min_fraction`` of the frame is assigned the
masklet whose key-frame region overlaps it best (IoU), and that masklet is compared with the object on every
frame of the window. :func:`track_ious` gives these IoUs for one window, :func:`masklet_quality` their mean
over every window of a video: one number on which corrupted oracle masklets, the classical generator and any
SAM2 source can be placed side by side (``refiner_mask_quality`` in ``03_refiner``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..base.errors import DataError, ParameterError

__all__ = ["objects_of", "best_ious", "track_ious", "masklet_quality", "crossing"]


def objects_of(instances: np.ndarray, min_fraction: float) -> np.ndarray:
    """Instance ids (non-zero) of a ``(H, W)`` map covering at least ``min_fraction`` of it, sorted."""
    values, counts = np.unique(instances, return_counts=True)
    keep = counts >= min_fraction * instances.size
    return values[keep & (values != 0)]


def best_ious(objects: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """For each object mask ``(K, H, W) bool``, its best IoU with any of ``masks (N, H, W) bool``: ``(K,) float64``."""
    if not len(masks):
        return np.zeros(len(objects))
    a = objects.reshape(len(objects), -1).astype(np.float32)
    b = masks.reshape(len(masks), -1).astype(np.float32)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return (inter / np.maximum(union, 1.0)).max(axis=1).astype(np.float64)


def track_ious(masklets: np.ndarray, instances: np.ndarray, min_fraction: float) -> np.ndarray:
    """IoU of each key-frame object's best masklet with the object, frame by frame.

    Parameters
    ----------
    masklets : (L, H, W) int ids, -1 = none; frame 0 is the key frame.
    instances : (L, H, W) int instance ids (0 = none).
    min_fraction : objects covering at least this fraction of frame 0 are scored.

    Returns
    -------
    (K, L) float64, one row per object of frame 0 (ascending id). The masklet is the one whose frame-0 region
    has the highest IoU with the object (the lowest id on ties; with no masklet on frame 0 every IoU is 0); on a
    frame where neither the masklet nor the object has a pixel the IoU is 1.
    """
    if masklets.shape != instances.shape or masklets.ndim != 3:
        raise DataError(f"masklets {masklets.shape} and instances {instances.shape} must be equal (L, H, W) shapes")
    objects = objects_of(instances[0], min_fraction)
    ids = np.unique(masklets[0])
    ids = ids[ids >= 0]
    length = len(masklets)
    if not len(ids) or not len(objects):
        return np.zeros((len(objects), length))
    # contingency table of (masklet id, instance id) per frame: one bincount over the window
    mask_values, mask_index = np.unique(masklets, return_inverse=True)
    inst_values, inst_index = np.unique(instances, return_inverse=True)
    m, n = len(mask_values), len(inst_values)
    frame = np.repeat(np.arange(length), masklets[0].size)
    codes = (frame * m + mask_index.reshape(-1)) * n + inst_index.reshape(-1)
    table = np.bincount(codes, minlength=length * m * n).reshape(length, m, n)
    area_mask, area_inst = table.sum(axis=2), table.sum(axis=1)  # (L, M), (L, N)
    rows = np.searchsorted(mask_values, ids)  # frame-0 masklets
    cols = np.searchsorted(inst_values, objects)
    inter0 = table[0][np.ix_(rows, cols)]  # (I, K)
    union0 = area_mask[0, rows][:, None] + area_inst[0, cols][None, :] - inter0
    chosen = rows[np.argmax(inter0 / np.maximum(union0, 1), axis=0)]  # (K,) the first maximum: the lowest id
    inter = table[:, chosen, cols]  # (L, K)
    union = area_mask[:, chosen] + area_inst[:, cols] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0).T


def masklet_quality(masklets: np.ndarray, instances: np.ndarray, *, window: int,
                    min_fraction: float = 0.01) -> np.ndarray:
    """Every key-frame object's mean IoU with its masklet over the object's window, for all windows of a video.

    Parameters
    ----------
    masklets : (T, H, W) int ids of a masklet source, -1 = none; proposed anew every ``window`` frames.
    instances : (T, H, W) int instance ids.
    window : frames per window (key frames 0, window, 2 window, ...).
    min_fraction : as :func:`track_ious`.

    Returns
    -------
    (K,) float64: one value per object and window (windows in order), each the mean of its :func:`track_ious`
    row; the mean of all of them is the video's mask quality.
    """
    if not (isinstance(window, int | np.integer) and window > 0):
        raise ParameterError(f"window={window!r} must be a positive number of frames")
    if masklets.shape != instances.shape:
        raise DataError(f"masklets {masklets.shape} and instances {instances.shape} differ in shape")
    parts = [track_ious(masklets[start:start + window], instances[start:start + window], min_fraction).mean(axis=1)
             for start in range(0, len(masklets), window)]
    return np.concatenate(parts) if parts else np.zeros(0)


def crossing(x: Sequence[float], y: Sequence[float], level: float = 0.0) -> float | None:
    """The first ``x`` (points sorted by ``x``) at which the piecewise-linear curve ``y(x)`` reaches ``level``.

    How the study reads its corruption sweep both ways: the quality at which the refiner's gain is zero
    (``x`` a quality axis, ``y`` the gain) and the strength at which the exact masklets' quality equals another
    source's (``x`` the strengths, ``y`` their quality, ``level`` the source's). None when ``y`` never reaches
    ``level``. Points where ``x`` or ``y`` is NaN (a metric undefined there) are left out of the curve, so it
    runs straight between their neighbours.
    """
    x_array, y_array = np.asarray(x, float), np.asarray(y, float)
    if x_array.shape != y_array.shape or x_array.ndim != 1:
        raise ParameterError(f"x and y must be 1-D of one length, got shapes {x_array.shape} and {y_array.shape}")
    defined = ~(np.isnan(x_array) | np.isnan(y_array))
    x_array, y_array = x_array[defined], y_array[defined]
    order = np.argsort(x_array, kind="stable")
    x_array, d = x_array[order], y_array[order] - level
    for k in range(len(x_array)):
        if d[k] == 0:
            return float(x_array[k])
        if k + 1 < len(x_array) and (d[k] < 0) != (d[k + 1] < 0) and d[k + 1] != 0:
            return float(x_array[k] + (x_array[k + 1] - x_array[k]) * (0 - d[k]) / (d[k + 1] - d[k]))
    return None
