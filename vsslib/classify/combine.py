"""From masklet classes to a segmentation: three rules, differing in what decides each pixel.

- ``combine(masklets, ids, classes)``: every masklet's pixels take its predicted class; pixels outside
  every masklet stay 255 ("none"), so the masklet source's coverage shows in the score (uncovered pixels
  count as misses).
- ``combine(masklets, ids, classes, fallback=network)``: the same, but pixels outside every masklet take
  the baseline network's prediction.
- ``fuse(masklets, ids, probabilities, network, num_classes, weight=w)``: the classifier and the network
  vote together inside each masklet. With ``n_c`` of the masklet's ``n`` voting pixels (all its pixels in
  all frames where the network says a class 0..C-1) labelled c by the network, the masklet takes

      argmax_c  log p_mlp(c) + w * log((n_c + a) / (n + a * C)),

  the second term being the log of the network's vote share with additive (Laplace) smoothing ``a``
  (default 1): a class the network never says inside the masklet is penalised, not ruled out, and a masklet
  with no voting pixel gets a uniform share, i.e. the classifier's choice. ``w = 0`` is the classifier
  alone; as ``w`` grows the rule tends to the network's majority vote in the masklet (approach 1, whole-
  masklet vote). Probabilities are clipped at 1e-12 before the log. Pixels outside every masklet keep the
  network's value.

All three paint with one gather through a per-pixel index into ``ids`` (:func:`masklet_index`); votes come
from one bincount over (masklet, class) pairs (:func:`network_votes`).
"""

from __future__ import annotations

import numpy as np

from ..base.errors import ParameterError

__all__ = ["combine", "fuse", "network_votes", "masklet_index"]

NONE = 255
_MIN_PROBABILITY = 1e-12


def masklet_index(masklets: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Position in ``ids`` of every pixel's masklet.

    Parameters
    ----------
    masklets : (T, H, W) int32 masklet ids, -1 = none.
    ids : (N,) int masklet ids, strictly ascending (as :func:`vsslib.classify.pool` returns them).

    Returns
    -------
    (T, H, W) int64 index k with ``ids[k] == masklets``, or -1 where the pixel has no masklet or its id is
    not in ``ids``.
    """
    masklets = np.asarray(masklets)
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ParameterError(f"ids must be a 1-D array, got shape {ids.shape}")
    if ids.size > 1 and not (np.diff(ids) > 0).all():
        raise ParameterError("ids must be strictly ascending (sort ids and their classes together, e.g. with "
                             "np.argsort)")
    if ids.size == 0:
        return np.full(masklets.shape, -1, np.int64)
    index = np.minimum(np.searchsorted(ids, masklets), ids.size - 1)
    return np.where((ids[index] == masklets) & (masklets >= 0), index, -1)


def combine(masklets: np.ndarray, ids: np.ndarray, classes: np.ndarray, *,
            fallback: np.ndarray | None = None) -> np.ndarray:
    """Paint every masklet with its class; other pixels take ``fallback`` or stay 255.

    Parameters
    ----------
    masklets : (T, H, W) int32 masklet ids, -1 = none.
    ids : (N,) masklet ids, strictly ascending.
    classes : (N,) integer class of each id, 0..254; -1 leaves the masklet's pixels to the fallback (or 255).
    fallback : (T, H, W) uint8 baseline prediction for pixels outside every masklet, or None.

    Returns
    -------
    (T, H, W) uint8 label map, 255 = none.

    Raises
    ------
    ParameterError : lengths or shapes disagree, or a class is outside -1..254.
    """
    masklets = np.asarray(masklets)
    ids = np.asarray(ids)
    classes = np.asarray(classes)
    if classes.shape != ids.shape:
        raise ParameterError(f"combine: {ids.size} ids but {classes.size} classes (shapes {ids.shape} and "
                             f"{classes.shape})")
    if classes.size and (classes.min() < -1 or classes.max() >= NONE):
        raise ParameterError(f"combine: classes must lie in 0..254 (or -1 = leave to the fallback), got "
                             f"{classes.min()}..{classes.max()}")
    if fallback is not None:
        fallback = np.asarray(fallback)
        if fallback.shape != masklets.shape:
            raise ParameterError(f"combine: fallback of shape {fallback.shape} and masklets of shape "
                                 f"{masklets.shape} differ")
    index = masklet_index(masklets, ids)
    lut = np.append(classes.astype(np.int64), -1)  # index -1 reads the appended -1: "not painted"
    painted = lut[index]
    base = np.full(masklets.shape, NONE, np.uint8) if fallback is None else fallback.astype(np.uint8)
    return np.where(painted >= 0, painted, base).astype(np.uint8)


def network_votes(network: np.ndarray, masklets: np.ndarray, ids: np.ndarray, num_classes: int) -> np.ndarray:
    """How many pixels of each masklet the network gives to each class.

    Parameters
    ----------
    network : (T, H, W) uint8 network prediction; values outside 0..C-1 (255 = none) do not vote.
    masklets : (T, H, W) int32 masklet ids, -1 = none.
    ids : (N,) masklet ids, strictly ascending.
    num_classes : C.

    Returns
    -------
    (N, C) int64 vote counts over all the masklet's pixels in all frames.
    """
    network = np.asarray(network)
    if network.shape != np.shape(masklets):
        raise ParameterError(f"network prediction of shape {network.shape} and masklets of shape "
                             f"{np.shape(masklets)} differ")
    index = masklet_index(masklets, ids)
    votes = network.astype(np.int64)
    voting = (index >= 0) & (votes < num_classes)
    pairs = index[voting] * num_classes + votes[voting]
    return np.bincount(pairs, minlength=len(ids) * num_classes).reshape(len(ids), num_classes)


def fuse(masklets: np.ndarray, ids: np.ndarray, probabilities: np.ndarray, network: np.ndarray, num_classes: int,
         *, weight: float = 1.0, smoothing: float = 1.0) -> np.ndarray:
    """Classifier probabilities and the network's smoothed vote shares, combined per masklet.

    Parameters
    ----------
    masklets : (T, H, W) int32 masklet ids, -1 = none.
    ids : (N,) masklet ids, strictly ascending.
    probabilities : (N, C) float classifier probabilities of each masklet.
    network : (T, H, W) uint8 network prediction, 255 = none.
    num_classes : C.
    weight : w >= 0, the weight of the network's log vote share (see the module docstring).
    smoothing : a > 0, the additive smoothing of the vote shares.

    Returns
    -------
    (T, H, W) uint8: masklet pixels take ``argmax_c log p(c) + w log((n_c + a) / (n + a C))`` of their
    masklet (ties: the lowest class); other pixels keep ``network``.
    """
    probabilities = np.asarray(probabilities, np.float64)
    if probabilities.shape != (len(ids), num_classes):
        raise ParameterError(f"fuse: probabilities of shape {probabilities.shape}, expected ({len(ids)}, "
                             f"{num_classes}) for {len(ids)} ids and {num_classes} classes")
    if weight < 0 or smoothing <= 0:
        raise ParameterError(f"fuse: weight={weight} must be >= 0 and smoothing={smoothing} > 0")
    votes = network_votes(network, masklets, ids, num_classes)
    share = (votes + smoothing) / (votes.sum(axis=1, keepdims=True) + smoothing * num_classes)
    score = np.log(np.maximum(probabilities, _MIN_PROBABILITY)) + weight * np.log(share)
    return combine(masklets, ids, score.argmax(axis=1), fallback=network)
