"""From masklet classes to a segmentation: three ways to treat pixels outside every masklet.

- ``combine(..., fallback=None)``: every masklet's pixels take its predicted class; other pixels stay 255
  ("none"), so the mask source's coverage is visible in the score.
- ``combine(..., fallback=network)``: other pixels take the baseline network's prediction.
- :func:`fuse`: the classifier's probabilities and the network's votes inside the masklet are combined:
  score(c) = log p_mlp(c) + weight * log((n_c + 1) / (n + C)), where n_c of the masklet's n pixels carry
  class c in the network's map (add-one smoothing, so a class the network never says is not ruled out);
  the masklet takes the argmax; pixels outside masklets keep the network's value. ``weight = 0`` is the
  classifier alone, a large weight approaches approach 1 (the network's majority).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["combine", "fuse", "network_votes"]


def _paint(masklets: np.ndarray, ids: np.ndarray, classes: np.ndarray, outside: np.ndarray | None) -> np.ndarray:
    lut_index = np.searchsorted(ids, masklets)
    lut_index = np.clip(lut_index, 0, max(len(ids) - 1, 0))
    known = (masklets >= 0) & (len(ids) > 0)
    if len(ids):
        known &= ids[lut_index] == masklets
    base = np.full(masklets.shape, 255, np.uint8) if outside is None else outside.astype(np.uint8)
    if not len(ids):
        return base.copy()
    painted = np.asarray(classes, np.int64)[lut_index]
    return np.where(known & (painted >= 0), painted, base).astype(np.uint8)


def combine(masklets: np.ndarray, ids: np.ndarray, classes: np.ndarray, *, fallback: np.ndarray | None = None) -> np.ndarray:
    """Paint each masklet with its class; pixels elsewhere take ``fallback`` or 255.

    Parameters
    ----------
    masklets : (T, H, W) int32, -1 = none.
    ids : (N,) ascending masklet ids; classes : (N,) class per id (-1 = leave the pixels to the fallback).
    fallback : (T, H, W) uint8 baseline prediction, or None.

    Returns
    -------
    (T, H, W) uint8.
    """
    ids = np.asarray(ids)
    if len(ids) != len(classes):
        raise ParameterError(f"{len(ids)} ids but {len(classes)} classes")
    if fallback is not None and fallback.shape != masklets.shape:
        raise ParameterError(f"fallback {fallback.shape} and masklets {masklets.shape} differ in shape")
    return _paint(masklets, ids, np.asarray(classes), fallback)


def network_votes(network: np.ndarray, masklets: np.ndarray, ids: np.ndarray, num_classes: int) -> np.ndarray:
    """(N, C) int64 counts of the network's classes inside each masklet (255/out of range do not vote)."""
    valid = masklets >= 0
    index = np.searchsorted(ids, masklets[valid])
    cls = network[valid].astype(np.int64)
    ok = cls < num_classes
    return np.bincount(index[ok] * num_classes + cls[ok], minlength=len(ids) * num_classes).reshape(len(ids), num_classes)


def fuse(masklets: np.ndarray, ids: np.ndarray, probabilities: np.ndarray, network: np.ndarray, num_classes: int,
         *, weight: float = 1.0) -> np.ndarray:
    """Classifier probabilities x network votes per masklet (see module docstring); outside: the network."""
    probabilities = np.asarray(probabilities, np.float64)
    if probabilities.shape != (len(ids), num_classes):
        raise ParameterError(f"probabilities of shape {probabilities.shape}, expected ({len(ids)}, {num_classes})")
    votes = network_votes(network, masklets, np.asarray(ids), num_classes)
    share = (votes + 1.0) / (votes.sum(axis=1, keepdims=True) + num_classes)
    score = np.log(np.maximum(probabilities, 1e-12)) + weight * np.log(share)
    return _paint(masklets, np.asarray(ids), score.argmax(axis=1), network)
