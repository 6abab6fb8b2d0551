"""Training sets of approach 2: one pooled feature vector per masklet, its target the majority ground truth.

A masklet's target is the ground-truth class most of its labelled pixels carry, over all its frames (ties go
to the lowest class id). Masklets that are mostly void (more than ``max_void`` of their pixels ignored, 255)
or have no labelled pixel at all are left out (target -1): their vector describes something the label set
does not name. ``purity``, the share of the labelled pixels that carry the majority class, says how well a
masklet source respects class boundaries; a masklet spanning two classes can at best be half right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..base.errors import DataError, ParameterError
from ..data.vspw import IGNORE_INDEX
from ..masks.base import unique_ids
from .pooling import pool

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["masklet_targets", "PooledMasklets", "pool_video", "build_training_set"]



def masklet_targets(labels: np.ndarray, masklets: np.ndarray, num_classes: int, *, max_void: float = 0.5,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Majority ground-truth class of every masklet, from one bincount over (masklet, class) pairs.

    Parameters
    ----------
    labels : (T, H, W) uint8 ground truth, classes 0..C-1, 255 = ignore.
    masklets : (T, H, W) int32 masklet ids, -1 = no masklet.
    num_classes : C.
    max_void : a masklet whose share of ignored pixels is greater than this is left out.

    Returns
    -------
    ids : (N,) int32 masklet ids, ascending (the same as :func:`vsslib.classify.pool` returns).
    targets : (N,) int64 majority class, or -1 for a masklet left out.
    purity : (N,) float64 share of the masklet's labelled pixels that carry its majority class; NaN for a
        masklet without labelled pixels.

    Raises
    ------
    ParameterError : shapes differ, ``num_classes`` is not in 1..255 or ``max_void`` not in [0, 1].
    DataError : ``labels`` holds a value that is neither a class nor 255.
    """
    labels = np.asarray(labels)
    masklets = np.asarray(masklets)
    if labels.shape != masklets.shape or labels.ndim != 3:
        raise ParameterError(f"masklet_targets: labels {labels.shape} and masklets {masklets.shape} must be "
                             f"(T, H, W) arrays of the same shape")
    if not 1 <= num_classes <= IGNORE_INDEX:
        raise ParameterError(f"num_classes={num_classes} must lie in 1..{IGNORE_INDEX}")
    if not 0.0 <= max_void <= 1.0:
        raise ParameterError(f"max_void={max_void} must lie in [0, 1]")
    valid = masklets >= 0
    ids, inverse = unique_ids(masklets[valid])  # np.unique's result, by counting
    classes = labels[valid].astype(np.int64)
    stray = (classes >= num_classes) & (classes != IGNORE_INDEX)
    if stray.any():
        value = int(classes[stray][0])
        raise DataError(f"masklet_targets: labels hold the value {value} ({int(stray.sum())} pixels under "
                        f"masklets), which is neither a class 0..{num_classes - 1} nor {IGNORE_INDEX} (ignore)")
    classes[classes == IGNORE_INDEX] = num_classes  # column C counts void pixels
    width = num_classes + 1
    table = np.bincount(inverse * width + classes, minlength=ids.size * width).reshape(ids.size, width)
    labelled = table[:, :num_classes].sum(axis=1)
    void_share = table[:, num_classes] / table.sum(axis=1)
    targets = table[:, :num_classes].argmax(axis=1).astype(np.int64)
    targets[(void_share > max_void) | (labelled == 0)] = -1
    purity = np.full(ids.size, np.nan)
    np.divide(table[:, :num_classes].max(axis=1), labelled, out=purity, where=labelled > 0)
    return ids.astype(np.int32), targets, purity


@dataclass(frozen=True)
class PooledMasklets:
    """The masklets of one video as approach 2 sees them.

    Attributes
    ----------
    video : video name.
    ids : (N,) int32 masklet ids, ascending.
    vectors : (N, C_in) float32 pooled features.
    targets : (N,) int64 majority ground-truth class, -1 = left out (see :func:`masklet_targets`).
    purity : (N,) float64 majority share of the labelled pixels (NaN: none labelled).
    """

    video: str
    ids: np.ndarray
    vectors: np.ndarray
    targets: np.ndarray
    purity: np.ndarray


def pool_video(video: Video, masklet_source: Callable[..., np.ndarray], feature_source: Callable[[Video], np.ndarray],
               *, num_classes: int, max_void: float = 0.5) -> PooledMasklets:
    """Masklets, features, pooled vectors and targets of one labelled video.

    Parameters
    ----------
    video : a :class:`vsslib.data.Video` with labels.
    masklet_source : ``masklet_source(frames, video) -> (T, H, W) int32`` (see :mod:`vsslib.masks`).
    feature_source : ``feature_source(video) -> (T, C_in, h, w) float32`` (see :mod:`vsslib.classify.features`).
    num_classes : C of the dataset.
    max_void : see :func:`masklet_targets`.

    Returns
    -------
    PooledMasklets

    Raises
    ------
    DataError : the video has no labels, or a source returns arrays of the wrong shape.
    """
    if video.labels is None:
        raise DataError(f"video {video.name} has no labels; training masklets need ground truth (train split)")
    masklets = np.asarray(masklet_source(video.frames, video))
    if masklets.shape != video.labels.shape:
        raise DataError(f"video {video.name}: the masklet source returned shape {masklets.shape}, expected "
                        f"{video.labels.shape} (T, H, W)")
    features = np.asarray(feature_source(video))
    if features.ndim != 4 or features.shape[0] != video.num_frames:
        raise DataError(f"video {video.name}: the feature source returned shape {features.shape}, expected "
                        f"({video.num_frames}, C, h, w)")
    ids, vectors = pool(features, masklets)
    _, targets, purity = masklet_targets(video.labels, masklets, num_classes, max_void=max_void)
    return PooledMasklets(video.name, ids, vectors, targets, purity)


def build_training_set(videos: Iterable[Video | Callable[[], Video]], masklet_source: Callable[..., np.ndarray],
                       feature_source: Callable[[Video], np.ndarray], *, num_classes: int, max_void: float = 0.5,
                       progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Pooled vectors and targets of every kept masklet of every video, in video order then id order.

    Parameters
    ----------
    videos : labelled videos, or zero-argument callables that load one (e.g. ``functools.partial(
        dataset.load, name)``), so only one video is in memory at a time; a :class:`vsslib.data.VSPWDataset`
        of the train split can be passed as it is.
    masklet_source, feature_source, num_classes, max_void : see :func:`pool_video`.
    progress : show a tqdm bar over the videos.

    Returns
    -------
    vectors : (M, C_in) float32, one row per masklet that has a target.
    targets : (M,) int64 classes 0..C-1 (masklets left out by ``max_void`` are not in the set).

    Raises
    ------
    DataError : no video, or no masklet with a target in any video.
    """
    from tqdm.std import tqdm  # text bar: tqdm.auto warns (TqdmWarning) in kernels without ipywidgets

    vectors: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    seen = 0
    for item in tqdm(videos, desc="pool training masklets", unit="video", disable=not progress):
        video: Any = item() if callable(item) else item
        pooled = pool_video(video, masklet_source, feature_source, num_classes=num_classes, max_void=max_void)
        keep = pooled.targets >= 0
        vectors.append(pooled.vectors[keep])
        targets.append(pooled.targets[keep])
        seen += 1
    if seen == 0:
        raise DataError("build_training_set: no video given")
    out_vectors, out_targets = np.concatenate(vectors), np.concatenate(targets)
    if out_targets.size == 0:
        raise DataError(f"build_training_set: none of the {seen} videos has a masklet with a target (all masklets "
                        f"more than {max_void:.0%} void, or none at all)")
    return out_vectors, out_targets
