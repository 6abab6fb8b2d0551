"""Oracle masklets: the dataset's own objects, optionally corrupted by a controlled amount.

Without corruption they are the best masklets any generator could give: the instance maps of the
dataset, or, where a dataset has none, the connected components of each ground-truth class in space and
time (one 3-D labelling of the label volume, so ids persist over frames). Ignored pixels (255) are no
masklet. Corruption, seeded, shows how the refiner's gain depends on mask quality:

- ``jitter``: boundaries displaced by up to ``jitter`` pixels by a smooth random field (the id map is
  resampled through a displacement made of low-frequency noise, one field per frame);
- ``split``: each masklet is, with this probability, cut in two by a random line through its centre;
- ``merge``: each masklet is, with this probability, merged into the neighbour of another class with which
  it shares the longest boundary (a masklet spanning two classes);
- ``drop_below``: masks with fewer pixels than this in a frame are dropped there (small objects lost).

``strength`` in [0, 1] sets all four at once: jitter 4 s px, split 0.3 s, merge 0.3 s, drop_below 40 s px.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..errors import ParameterError
from .base import check_frames, register_masklet_source

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["OracleSettings", "OracleMasklets", "components_in_time"]


@dataclass(frozen=True)
class OracleSettings:
    """Corruption of the oracle masklets (all zero = exact ground-truth objects)."""

    jitter: float = 0.0  # boundary displacement amplitude (px)
    split: float = 0.0  # probability that a masklet is split in two
    merge: float = 0.0  # probability that a masklet is merged into a touching neighbour of another class
    drop_below: int = 0  # masks smaller than this many px in a frame are dropped there
    seed: int = 0  # seed of the corruption (combined with the video name)
    use_instances: bool = True  # use instance maps when the dataset has them

    @classmethod
    def from_strength(cls, strength: float, *, seed: int = 0) -> OracleSettings:
        """One knob for all four corruptions."""
        if not 0.0 <= strength <= 1.0:
            raise ParameterError(f"strength={strength!r} must lie in [0, 1]")
        return cls(jitter=4.0 * strength, split=0.3 * strength, merge=0.3 * strength,
                   drop_below=int(round(40 * strength)), seed=seed)

    def validate(self) -> None:
        if self.jitter < 0 or self.drop_below < 0:
            raise ParameterError(f"jitter={self.jitter} and drop_below={self.drop_below} must be >= 0")
        for key in ("split", "merge"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise ParameterError(f"{key}={getattr(self, key)} must be a probability in [0, 1]")


def components_in_time(labels: np.ndarray, ignore_index: int = 255) -> np.ndarray:
    """Connected components of each class in the (T, H, W) label volume (6-connectivity), -1 on ignore."""
    from skimage.measure import label

    comps = label(labels.astype(np.int32), background=ignore_index, connectivity=1)
    return (comps - 1).astype(np.int32)


def _stable_seed(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, *name.encode("utf-8")])


@register_masklet_source("oracle")
class OracleMasklets:
    """Masklets from the ground truth of the video passed with the frames."""

    name = "oracle"

    def __init__(self, settings: OracleSettings | None = None, *, strength: float | None = None,
                 progress: bool = False, **overrides: object) -> None:
        if strength is not None:
            base = OracleSettings.from_strength(strength, seed=int(overrides.pop("seed", 0)))
        else:
            base = settings or OracleSettings()
        unknown = sorted(set(overrides) - set(OracleSettings.__dataclass_fields__))
        if unknown:
            raise ParameterError(f"unknown oracle setting(s) {unknown}; known: "
                                 f"{sorted(OracleSettings.__dataclass_fields__)} and strength")
        self.settings = OracleSettings(**{**base.__dict__, **overrides})
        self.settings.validate()

    def __repr__(self) -> str:
        return f"OracleMasklets({self.settings})"

    def __call__(self, frames: np.ndarray, video: Video | None = None) -> np.ndarray:
        """(T, H, W, 3) frames and their ``Video`` (with labels) -> (T, H, W) int32 ids, -1 = none."""
        frames = check_frames(frames)
        if video is None or video.labels is None:
            raise ParameterError("oracle masklets need the video's ground truth: call source(frames, video) "
                                 "with a Video that has labels")
        labels = video.labels
        if labels.shape != frames.shape[:3]:
            raise ParameterError(f"video {video.name}: labels of shape {labels.shape} do not match frames "
                                 f"{frames.shape[:3]}")
        if self.settings.use_instances and video.instances is not None:
            ids = np.where(labels == 255, -1, video.instances.astype(np.int32))
            ids = np.where(ids == 0, -1, ids)
        else:
            ids = components_in_time(labels)
        return self.corrupt(ids, labels, _stable_seed(self.settings.seed, video.name))

    def corrupt(self, ids: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Apply the configured corruptions to a (T, H, W) id map (ids >= 0)."""
        s = self.settings
        ids = ids.astype(np.int32, copy=True)
        if s.merge > 0:
            ids = _merge(ids, labels, s.merge, rng)
        if s.split > 0:
            ids = _split(ids, s.split, rng)
        if s.jitter > 0:
            ids = _jitter(ids, s.jitter, rng)
        if s.drop_below > 0:
            ids = _drop_small(ids, s.drop_below)
        return ids


def _merge(ids: np.ndarray, labels: np.ndarray, probability: float, rng: np.random.Generator) -> np.ndarray:
    values = np.unique(ids[ids >= 0])
    if len(values) < 2:
        return ids
    index = np.searchsorted(values, np.where(ids >= 0, ids, values[0]))
    index = np.where(ids >= 0, index, -1)
    k = len(values)
    # majority class per masklet
    cls = np.where(labels == 255, 0, labels).astype(np.int64)
    votes = np.bincount((index[ids >= 0] * 256 + cls[ids >= 0]), minlength=k * 256).reshape(k, 256)
    majority = votes.argmax(axis=1)
    # shared boundary lengths between horizontally/vertically adjacent pixels of different masklets
    a = np.concatenate([index[:, :, :-1].ravel(), index[:, :-1, :].ravel()])
    b = np.concatenate([index[:, :, 1:].ravel(), index[:, 1:, :].ravel()])
    ok = (a >= 0) & (b >= 0) & (a != b)
    a, b = a[ok], b[ok]
    shared = np.bincount(np.concatenate([a * k + b, b * k + a]), minlength=k * k).reshape(k, k)
    shared[majority[:, None] == majority[None, :]] = 0  # only neighbours of another class
    chosen = (rng.random(k) < probability) & (shared.max(axis=1) > 0)
    # Merges chain (a into b, b into c): resolve them as connected components of the merge graph, each
    # component taking the id of its smallest member.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows = np.flatnonzero(chosen)
    graph = coo_matrix((np.ones(len(rows)), (rows, shared.argmax(axis=1)[rows])), shape=(k, k))
    _, component = connected_components(graph, directed=False)
    smallest = np.full(component.max() + 1, k)
    np.minimum.at(smallest, component, np.arange(k))
    merged = values[smallest[component]]
    return np.where(ids >= 0, merged[np.maximum(index, 0)], -1).astype(np.int32)


def _split(ids: np.ndarray, probability: float, rng: np.random.Generator) -> np.ndarray:
    values = np.unique(ids[ids >= 0])
    if not len(values):
        return ids
    chosen = values[rng.random(len(values)) < probability]
    if not len(chosen):
        return ids
    angles = rng.uniform(0, np.pi, len(chosen))
    next_id = int(values.max()) + 1
    t, h, w = ids.shape
    yy, xx = np.mgrid[0:h, 0:w]
    out = ids.copy()
    for frame in range(t):
        frame_ids = ids[frame]
        present = np.intersect1d(np.unique(frame_ids), chosen)
        if not len(present):
            continue
        # centroids of the present chosen masklets in this frame, in one bincount pass
        idx = np.minimum(np.searchsorted(chosen, frame_ids), len(chosen) - 1)
        inside = np.isin(frame_ids, present)
        count = np.bincount(idx[inside], minlength=len(chosen)).astype(np.float64)
        cy = np.bincount(idx[inside], weights=yy[inside], minlength=len(chosen)) / np.maximum(count, 1)
        cx = np.bincount(idx[inside], weights=xx[inside], minlength=len(chosen)) / np.maximum(count, 1)
        side = (np.cos(angles[idx]) * (yy - cy[idx]) + np.sin(angles[idx]) * (xx - cx[idx])) > 0
        second = inside & side
        out[frame][second] = next_id + idx[second]
    return out


def _jitter(ids: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    t, h, w = ids.shape
    out = np.empty_like(ids)
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
    cell = 8
    for frame in range(t):
        coarse = rng.uniform(-1, 1, (2, h // cell + 2, w // cell + 2)).astype(np.float32)
        dy = cv2.resize(coarse[0], (w, h), interpolation=cv2.INTER_CUBIC) * amplitude
        dx = cv2.resize(coarse[1], (w, h), interpolation=cv2.INTER_CUBIC) * amplitude
        out[frame] = cv2.remap(ids[frame].astype(np.float32), grid_x + dx, grid_y + dy, cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_REPLICATE).astype(np.int32)
    return out


def _drop_small(ids: np.ndarray, threshold: int) -> np.ndarray:
    t = ids.shape[0]
    values, inverse = np.unique(ids, return_inverse=True)
    inverse = inverse.reshape(t, -1)
    k = len(values)
    frame_offset = np.arange(t)[:, None] * k
    counts = np.bincount((inverse + frame_offset).ravel(), minlength=t * k).reshape(t, k)  # (T, K)
    small = (counts < threshold) & (values[None, :] >= 0)
    drop = np.take_along_axis(small, inverse, axis=1).reshape(ids.shape)
    return np.where(drop, -1, ids).astype(np.int32)
