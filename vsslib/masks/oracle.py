"""Oracle masklets: the dataset's own objects, optionally corrupted by a controlled, seeded amount.

Without corruption they are what a perfect generator would propose: the instance maps of the
dataset (``Video.instances``) where it has them, and elsewhere the connected components of each
ground-truth class in space and time (one labelling of the (T, H, W) label volume, 6-connected, so ids
persist over frames). Ignored pixels (255) are no masklet. Where a dataset has instance maps but leaves
some labelled pixels without an instance (stuff classes), those pixels get class components too.

Corruptions, applied in this order, show how the refiner's gain depends on mask quality:

- ``merge``: each masklet is, with this probability, merged with the neighbour of another (majority)
  class with which it shares the longest boundary over the video: a masklet that spans two classes.
  Chains (a into b, b into c) become one masklet.
- ``split``: each masklet is, with this probability, cut in two by a line through its centroid in every
  frame, at a random angle fixed for the masklet: an object in two masklets.
- ``jitter``: boundaries displaced by up to ``jitter`` pixels: each frame's id map is resampled through a
  smooth random displacement field (uniform noise on a grid of ``jitter_scale`` px, bicubically
  interpolated, times ``jitter``), drawn anew for every frame, so outlines also flicker in time.
- ``drop_below``: a masklet with fewer than this many pixels in a frame is dropped in that frame (small
  objects lost).

``strength`` s in [0, 3] (:data:`MAX_STRENGTH`) sets all four at once: jitter 4 s px, split 0.3 s, merge
0.3 s, drop_below 40 s px; at s = 3 a masklet is split, and merged, with probability 0.9. The random draws
depend on ``seed`` and the video's name only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from ..base.errors import ParameterError
from ..data.vspw import IGNORE_INDEX
from .base import check_frames, merge_settings, register_masklet_source, unique_ids

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["MAX_STRENGTH", "SWEEP_STRENGTHS", "OracleSettings", "OracleMasklets", "components_in_time", "oracle_ids",
           "corrupt_masklets"]



MAX_STRENGTH = 3.0
"""The largest corruption strength: split and merge probabilities 0.3 s stay below 1 (0.9 at s = 3)."""

SWEEP_STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
"""The corruption sweep's strengths: past 1, so that its mask quality (mean propagated IoU) reaches down to the
generators' (about 0.35 at s = 2 on the generated benchmark); the study's default and sam2-mini's model card."""


@dataclass(frozen=True)
class OracleSettings:
    """Corruption of the oracle masklets (all zero: the exact ground-truth objects). Validated on construction."""

    jitter: float = 0.0  # boundary displacement amplitude (px)
    jitter_scale: int = 8  # spacing of the displacement field's random grid (px): larger = smoother outlines
    split: float = 0.0  # probability that a masklet is split in two
    merge: float = 0.0  # probability that a masklet is merged with a touching neighbour of another class
    drop_below: int = 0  # a masklet with fewer pixels than this in a frame is dropped in that frame
    seed: int = 0  # seed of the corruption, combined with the video's name
    use_instances: bool = True  # use the dataset's instance maps when it has them (else class components)

    def __post_init__(self) -> None:
        if not isinstance(self.jitter, (int, float)) or not 0.0 <= self.jitter <= 1e4:
            raise ParameterError(f"jitter={self.jitter!r} must be a displacement in px >= 0")
        for key in ("split", "merge"):
            value = getattr(self, key)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ParameterError(f"{key}={value!r} must be a probability in [0, 1]")
        for key, low in (("jitter_scale", 1), ("drop_below", 0), ("seed", 0)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ParameterError(f"{key}={value!r} must be an integer >= {low}")

    @classmethod
    def from_strength(cls, strength: float, *, seed: int = 0, **overrides: Any) -> OracleSettings:
        """One knob for all four corruptions: jitter 4 s px, split 0.3 s, merge 0.3 s, drop_below round(40 s) px."""
        if (isinstance(strength, bool) or not isinstance(strength, (int, float))
                or not 0.0 <= strength <= MAX_STRENGTH):
            raise ParameterError(f"strength={strength!r} must lie in [0, {MAX_STRENGTH:g}]")
        return cls(**{"jitter": 4.0 * strength, "split": 0.3 * strength, "merge": 0.3 * strength,
                      "drop_below": int(round(40 * strength)), "seed": seed, **overrides})



def components_in_time(labels: np.ndarray, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Connected components of each class in a label volume, in space and time.

    One ``skimage.measure.label`` pass over the whole volume: neighbouring voxels (6-connectivity: up,
    down, left, right, previous and next frame) with the same class join, so every class gets its own
    components at once and a component's id persists over frames.

    Parameters
    ----------
    labels : (T, H, W) integer class map.
    ignore_index : class value that is no masklet.

    Returns
    -------
    (T, H, W) int32 ids 0..K-1, -1 on ``ignore_index``.
    """
    from skimage.measure import label

    labels = np.asarray(labels)
    if labels.ndim != 3:
        raise ParameterError(f"labels must be (T, H, W), got shape {labels.shape}")
    components = label(labels.astype(np.int32), background=ignore_index, connectivity=1)
    return (components - 1).astype(np.int32)


def oracle_ids(labels: np.ndarray, instances: np.ndarray | None = None, *,
               ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Ground-truth masklets: instances where given, class components on the remaining labelled pixels.

    Parameters
    ----------
    labels : (T, H, W) uint8 classes, ``ignore_index`` = ignore.
    instances : (T, H, W) int instance ids, 0 = none; or None.

    Returns
    -------
    (T, H, W) int32 ids, -1 on ignored pixels.
    """
    if instances is None:
        return components_in_time(labels, ignore_index)
    valid = labels != ignore_index
    ids = np.where(valid & (instances > 0), instances, -1).astype(np.int32)
    rest = valid & (ids < 0)
    if rest.any():
        components = components_in_time(np.where(rest, labels, ignore_index), ignore_index)
        ids = np.where(rest, components + int(ids.max()) + 1, ids).astype(np.int32)
    return ids


def _rng(rng: int | np.random.Generator) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def corrupt_masklets(ids: np.ndarray, labels: np.ndarray, settings: OracleSettings,
                     rng: int | np.random.Generator) -> np.ndarray:
    """Apply ``settings``' corruptions (merge, split, jitter, drop, in that order) to an id map.

    Parameters
    ----------
    ids : (T, H, W) int masklet ids, -1 = none.
    labels : (T, H, W) uint8 classes (255 = ignore), for the class of each masklet (merge).
    settings : the corruption amounts.
    rng : seed or generator; the same one gives the same output.

    Returns
    -------
    (T, H, W) int32 ids, -1 = none.
    """
    rng = _rng(rng)
    ids = np.asarray(ids).astype(np.int32, copy=True)
    if settings.merge > 0:
        ids = _merge(ids, labels, settings.merge, rng)
    if settings.split > 0:
        ids = _split(ids, settings.split, rng)
    if settings.jitter > 0:
        ids = _jitter(ids, settings.jitter, settings.jitter_scale, rng)
    if settings.drop_below > 0:
        ids = _drop_small(ids, settings.drop_below)
    return ids


@register_masklet_source("oracle")
class OracleMasklets:
    """Masklets from the ground truth of the video passed with the frames.

    Parameters
    ----------
    settings : OracleSettings, optional
        Default: no corruption.
    strength : float, optional
        Shortcut for all four corruptions (:meth:`OracleSettings.from_strength`); explicit keywords such as
        ``jitter=`` still win.
    progress : bool
        Accepted for a uniform interface; the oracle is fast and shows no bar.
    **overrides
        Fields of :class:`OracleSettings`.
    """

    name = "oracle"
    settings_type = OracleSettings
    extra_knobs = ("strength",)

    def __init__(self, settings: OracleSettings | None = None, *, strength: float | None = None,
                 progress: bool = False, **overrides: Any) -> None:
        self.settings = self.resolve_settings(settings, strength=strength, **overrides)
        self.progress = progress

    @classmethod
    def resolve_settings(cls, settings: OracleSettings | None = None, *, strength: float | None = None,
                         **overrides: Any) -> OracleSettings:
        """The settings this source holds when created with these arguments: ``strength`` sets all four
        corruptions (:meth:`OracleSettings.from_strength`), then explicit fields of ``overrides`` win."""
        base = settings or OracleSettings()
        if strength is not None:
            base = OracleSettings.from_strength(strength, seed=base.seed, jitter_scale=base.jitter_scale,
                                                use_instances=base.use_instances)
        return merge_settings(base, overrides, source="oracle", extra=("strength", "progress"))

    def __repr__(self) -> str:
        return f"OracleMasklets({self.settings})"

    def __call__(self, frames: np.ndarray, video: Video | None = None) -> np.ndarray:
        """Oracle masklets of a video.

        Parameters
        ----------
        frames : (T, H, W, 3) uint8 RGB (only their shape is used).
        video : the ``Video`` the frames come from, with ``labels`` (and ``instances`` where the dataset has them).

        Returns
        -------
        (T, H, W) int32 masklet ids, -1 = no masklet.
        """
        frames = check_frames(frames)
        if video is None or video.labels is None:
            raise ParameterError("oracle masklets need the video's ground truth: call source(frames, video) with a "
                                 "Video that has labels (a split with masks)")
        labels = np.asarray(video.labels)
        if labels.shape != frames.shape[:3]:
            raise ParameterError(f"video {video.name!r}: labels of shape {labels.shape} do not match frames "
                                 f"{frames.shape[:3]}")
        instances = video.instances if self.settings.use_instances else None
        ids = oracle_ids(labels, instances)
        seed = np.random.default_rng([self.settings.seed, *video.name.encode("utf-8")])
        return corrupt_masklets(ids, labels, self.settings, seed)


def _merge(ids: np.ndarray, labels: np.ndarray, probability: float, rng: np.random.Generator) -> np.ndarray:
    values, inverse = unique_ids(ids)
    offset = int(values[0] < 0)  # index 0 is -1 when some pixel has no masklet
    k = len(values) - offset
    if k < 2:
        return ids
    index = inverse - offset  # -1 = none, else 0..k-1
    inside = index >= 0
    # majority class of each masklet, ignore (255) pixels not counted
    counted = inside & (labels != IGNORE_INDEX)
    votes = np.bincount(index[counted] * 256 + labels[counted].astype(np.int64), minlength=k * 256).reshape(k, 256)
    majority = votes.argmax(axis=1)
    # boundary length shared by each pair of masklets: horizontally and vertically adjacent pixel pairs
    a = np.concatenate([index[:, :, :-1].ravel(), index[:, :-1, :].ravel()])
    b = np.concatenate([index[:, :, 1:].ravel(), index[:, 1:, :].ravel()])
    touching = (a >= 0) & (b >= 0) & (a != b)
    a, b = a[touching], b[touching]
    shared = np.bincount(np.concatenate([a * k + b, b * k + a]), minlength=k * k).reshape(k, k)
    shared[majority[:, None] == majority[None, :]] = 0  # only neighbours of another class
    chosen = (rng.random(k) < probability) & (shared.max(axis=1) > 0)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows = np.flatnonzero(chosen)
    graph = coo_matrix((np.ones(len(rows)), (rows, shared.argmax(axis=1)[rows])), shape=(k, k))
    _, component = connected_components(graph, directed=False)
    smallest = np.full(component.max() + 1, k)
    np.minimum.at(smallest, component, np.arange(k))  # each merged group takes its smallest member's id
    merged = values[offset:][smallest[component]]
    return np.where(inside, merged[np.maximum(index, 0)], -1).astype(np.int32)


def _split(ids: np.ndarray, probability: float, rng: np.random.Generator) -> np.ndarray:
    values = unique_ids(ids)[0]
    values = values[values >= 0]
    if not len(values):
        return ids
    chosen = values[rng.random(len(values)) < probability]
    if not len(chosen):
        return ids
    angles = rng.uniform(0, np.pi, len(chosen))
    normal_y, normal_x = np.cos(angles), np.sin(angles)
    next_id = int(values.max()) + 1  # the second half of chosen[i] gets next_id + i
    t, h, w = ids.shape
    rows, cols = np.mgrid[0:h, 0:w]
    out = ids.copy()
    n = len(chosen)
    for frame in range(t):  # vectorised over pixels and masklets; a loop over frames only
        frame_ids = ids[frame]
        where = np.searchsorted(chosen, frame_ids).clip(0, n - 1)
        inside = chosen[where] == frame_ids
        if not inside.any():
            continue
        idx, y, x = where[inside], rows[inside], cols[inside]
        count = np.bincount(idx, minlength=n)
        cy = np.bincount(idx, weights=y, minlength=n) / np.maximum(count, 1)
        cx = np.bincount(idx, weights=x, minlength=n) / np.maximum(count, 1)
        second = normal_y[idx] * (y - cy[idx]) + normal_x[idx] * (x - cx[idx]) > 0
        out[frame][inside] = np.where(second, next_id + idx, frame_ids[inside])
    return out


def _jitter(ids: np.ndarray, amplitude: float, scale: int, rng: np.random.Generator) -> np.ndarray:
    t, h, w = ids.shape
    out = np.empty_like(ids)
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
    for frame in range(t):
        coarse = rng.uniform(-1, 1, (2, h // scale + 2, w // scale + 2)).astype(np.float32)
        dy = cv2.resize(coarse[0], (w, h), interpolation=cv2.INTER_CUBIC) * amplitude
        dx = cv2.resize(coarse[1], (w, h), interpolation=cv2.INTER_CUBIC) * amplitude
        out[frame] = cv2.remap(ids[frame].astype(np.float32), grid_x + dx, grid_y + dy, cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_REPLICATE).astype(np.int32)
    return out


def _drop_small(ids: np.ndarray, threshold: int) -> np.ndarray:
    t = ids.shape[0]
    values, inverse = unique_ids(ids)
    inverse = inverse.reshape(t, -1)
    k = len(values)
    counts = np.bincount((inverse + np.arange(t)[:, None] * k).ravel(), minlength=t * k).reshape(t, k)
    small = (counts < threshold) & (values[None, :] >= 0)  # (T, K): masklet k is small in frame t
    drop = np.take_along_axis(small, inverse, axis=1).reshape(ids.shape)
    return np.where(drop, -1, ids).astype(np.int32)

