"""The window logic shared by the SAM2 and classical masklet sources: key frames, linking, discovery.

A video is cut into windows of ``window`` frames (the paper: 32). On the first frame of each window, the
key frame, the generator proposes masks; they are painted (larger first, smaller on top) and propagated
through the window.

Linking across windows. Each window's masklets are propagated one frame further, onto the next key
frame, and matched to the new key-frame proposals by mask IoU; a matched proposal inherits the old id,
the others get fresh ids, and unmatched old masklets end. Both sides are compared as painted, visible
regions (what the id map shows), so both are partitions of the frame. Matching is the optimal one-to-one
assignment (Hungarian, maximum total IoU) among pairs with IoU > ``link_iou``. With ``link_iou`` >= 0.5
the choice of algorithm does not matter: IoU > 0.5 means the two regions share more than half of each,
so within two partitions every region has at most one such partner and the match is unique (greedy and
Hungarian agree). The default 0.5 is the lowest threshold with that guarantee, and it tolerates the
slightly different outline a re-proposal of the same object has after 32 frames (Grounded-SAM-2 uses 0.8
with one overlap frame, on re-detections of the same text-prompted boxes).

Discovery (beyond the paper; off by default, ``discover_every=0``): every ``discover_every`` frames inside
a window, the generator proposes again on that frame; a proposal whose part on area no masklet covers has
more than ``discover_min_area`` pixels and is more than half of it (mostly uncovered) becomes a new masklet
(its uncovered part), propagated to the end of the window, where it fills only pixels no older masklet
covers. DEVA and AutoSeg-SAM2 add objects on unsegmented area the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..base.errors import ParameterError
from .base import check_frames, merge_settings, paint

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["WindowSettings", "Proposer", "Propagator", "WindowedMasklets", "run_windows", "link_ids", "region_iou",
           "mask_iou_matrix", "window_starts"]

Proposer = Callable[[np.ndarray], np.ndarray]
"""``propose(frame (H, W, 3) uint8) -> (N, H, W) bool`` masks, possibly overlapping."""

Propagator = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""``propagate(frames (L, H, W, 3) uint8, masks (N, H, W) bool on frames[0], ids (N,) int) -> (L, H, W) int32``."""


@dataclass(frozen=True)
class WindowSettings:
    """How masklets are carried through time (validated on construction)."""

    window: int = 32  # frames per window: key frame + propagation (paper: 32)
    link_iou: float = 0.5  # mask IoU above which a key-frame mask continues a masklet of the previous window
    discover_every: int = 0  # propose again on uncovered area every k frames inside a window (0 = off: the paper)
    discover_min_area: int = 64  # uncovered pixels (more than) a discovered mask must cover

    def __post_init__(self) -> None:
        for key, low, meaning in (("window", 1, "a positive number of frames"),
                                  ("discover_every", 0, "0 (off) or a positive number of frames"),
                                  ("discover_min_area", 0, "a number of pixels >= 0")):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ParameterError(f"{key}={value!r} must be {meaning}")
        if not isinstance(self.link_iou, (int, float)) or not 0.0 <= self.link_iou <= 1.0:
            raise ParameterError(f"link_iou={self.link_iou!r} must lie in [0, 1]")



def window_starts(num_frames: int, window: int) -> range:
    """Key-frame indices: 0, window, 2 window, ... below ``num_frames``."""
    return range(0, num_frames, window)


def region_iou(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IoU of every region of one id map with every region of another, from one contingency table.

    Parameters
    ----------
    a, b : (H, W) int id maps on the same frame, -1 = none.

    Returns
    -------
    a_ids : (K,) ascending ids of ``a`` (>= 0).
    b_ids : (M,) ascending ids of ``b`` (>= 0).
    iou : (K, M) float64.
    """
    a_values, a_index = np.unique(a, return_inverse=True)
    b_values, b_index = np.unique(b, return_inverse=True)
    k, m = len(a_values), len(b_values)
    table = np.bincount(a_index.ravel() * m + b_index.ravel(), minlength=k * m).reshape(k, m)
    union = table.sum(axis=1)[:, None] + table.sum(axis=0)[None, :] - table
    iou = table / np.maximum(union, 1)
    keep_a, keep_b = a_values >= 0, b_values >= 0
    return a_values[keep_a], b_values[keep_b], iou[np.ix_(keep_a, keep_b)]


def mask_iou_matrix(masks: np.ndarray, id_map: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IoU of each (possibly overlapping) binary mask with each region of an id map.

    Parameters
    ----------
    masks : (N, H, W) bool.
    id_map : (H, W) int, -1 = none.

    Returns
    -------
    region_ids : (K,) ascending ids of ``id_map`` (>= 0).
    iou : (N, K) float64.
    """
    region_ids, inverse = np.unique(id_map, return_inverse=True)
    inverse = inverse.ravel()
    k = len(region_ids)
    flat = masks.reshape(len(masks), -1)
    mask_index, pixel = np.nonzero(flat)  # every (mask, pixel) pair once
    inter = np.bincount(mask_index * k + inverse[pixel], minlength=len(masks) * k).reshape(len(masks), k)
    union = flat.sum(axis=1)[:, None] + np.bincount(inverse, minlength=k)[None, :] - inter
    iou = inter / np.maximum(union, 1)
    keep = region_ids >= 0
    return region_ids[keep], iou[:, keep]


def link_ids(masks: np.ndarray, previous: np.ndarray | None, next_id: int, link_iou: float) -> tuple[np.ndarray, int]:
    """Ids of new key-frame masks: inherited from the previous window's masklets by IoU, else fresh.

    Parameters
    ----------
    masks : (N, H, W) bool
        Key-frame proposals; compared by their visible part after painting (larger first).
    previous : (H, W) int or None
        The previous window's masklets propagated onto this key frame, -1 = none; None on the first window.
    next_id : int
        The first unused id.
    link_iou : float
        A pair is linked only if its IoU is greater than this.

    Returns
    -------
    ids : (N,) int64, one per mask, unique.
    next_id : int, the first id still unused.
    """
    ids = np.full(len(masks), -1, np.int64)
    if previous is not None and len(masks):
        visible = paint(masks, np.arange(len(masks)))
        mask_ids, region_ids, iou = region_iou(visible, previous)
        if iou.size:
            gain = np.where(iou > link_iou, iou, 0.0)
            rows, cols = linear_sum_assignment(gain, maximize=True)
            linked = gain[rows, cols] > 0
            ids[mask_ids[rows[linked]]] = region_ids[cols[linked]]
    fresh = ids < 0
    ids[fresh] = np.arange(next_id, next_id + int(fresh.sum()))
    return ids, next_id + int(fresh.sum())


def _discover(found: np.ndarray, uncovered: np.ndarray, min_area: int) -> np.ndarray:
    """(M, H, W) bool: the uncovered parts of the proposals that lie mostly on uncovered area."""
    if not len(found):
        return found
    on_free = (found & uncovered).reshape(len(found), -1).sum(axis=1)
    area = found.reshape(len(found), -1).sum(axis=1)
    keep = (on_free > min_area) & (2 * on_free > area)
    return found[keep] & uncovered


def run_windows(frames: np.ndarray, settings: WindowSettings, propose: Proposer, propagate: Propagator, *,
                progress: bool = False, desc: str = "windows") -> np.ndarray:
    """Drive proposal, propagation, linking and discovery over a whole video.

    Parameters
    ----------
    frames : (T, H, W, 3) uint8.
    settings : window, linking and discovery settings.
    propose : key-frame proposer, see :data:`Proposer`.
    propagate : propagator, see :data:`Propagator`; it is given the window plus one frame (the next key
        frame) whenever one exists.
    progress : show a tqdm bar over windows.
    desc : the bar's label.

    Returns
    -------
    (T, H, W) int32 masklet ids, -1 = no masklet; ids unique within the video.
    """
    num_frames, height, width = frames.shape[:3]
    out = np.full((num_frames, height, width), -1, np.int32)
    previous: np.ndarray | None = None
    next_id = 0
    starts = window_starts(num_frames, settings.window)
    if progress:
        from tqdm.std import tqdm  # text bar: tqdm.auto warns (TqdmWarning) in kernels without ipywidgets

        starts = tqdm(starts, desc=desc, unit="window", leave=False)
    for start in starts:
        end = min(start + settings.window, num_frames)
        stop = min(end + 1, num_frames)  # one extra frame, onto which the next window links
        masks = np.asarray(propose(frames[start]), dtype=bool).reshape(-1, height, width)
        ids, next_id = link_ids(masks, previous, next_id, settings.link_iou)
        segment = propagate(frames[start:stop], masks, ids)
        if settings.discover_every > 0:
            for frame in range(start + settings.discover_every, end, settings.discover_every):
                local = frame - start
                uncovered = segment[local] < 0
                if uncovered.sum() <= settings.discover_min_area:
                    continue
                found = np.asarray(propose(frames[frame]), dtype=bool).reshape(-1, height, width)
                new_masks = _discover(found, uncovered, settings.discover_min_area)
                if not len(new_masks):
                    continue
                new_ids = np.arange(next_id, next_id + len(new_masks))
                next_id += len(new_masks)
                added = propagate(frames[frame:stop], new_masks, new_ids)
                tail = segment[local:]
                segment[local:] = np.where((tail < 0) & (added >= 0), added, tail)
        out[start:end] = segment[: end - start]
        previous = segment[end - start] if stop > end else None
    return out


class WindowedMasklets:
    """The base of every windowed masklet source (classical, sam2, sam2-mini): settings, the call over windows.

    A subclass declares ``name``, ``settings_type`` (a frozen dataclass with a ``windows``
    :class:`WindowSettings` field) and ``desc`` (its progress bar's label), and implements :meth:`propose`
    and :meth:`propagate`; :func:`run_windows` does the rest.

    Parameters
    ----------
    settings : an instance of ``settings_type``, optional (default: its defaults).
    progress : bool
        A tqdm bar over windows.
    **overrides
        Flat keywords of the settings (:func:`vsslib.masks.base.knob_paths`): ``window``, ...
    """

    name: ClassVar[str]
    settings_type: ClassVar[type]
    desc: ClassVar[str] = "masklets"

    def __init__(self, settings: Any = None, *, progress: bool = False, **overrides: Any) -> None:
        self.settings = self.resolve_settings(settings, **overrides)
        self.progress = progress

    @classmethod
    def resolve_settings(cls, settings: Any = None, **overrides: Any) -> Any:
        """The settings this source holds when created with ``settings`` (default: ``settings_type()``) and flat
        keyword ``overrides``; validated (:func:`vsslib.masks.base.merge_settings`)."""
        return merge_settings(settings or cls.settings_type(), overrides, source=cls.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.settings})"

    def __call__(self, frames: np.ndarray, video: Video | None = None) -> np.ndarray:
        """Masklets of a video.

        Parameters
        ----------
        frames : (T, H, W, 3) uint8 RGB.
        video : ignored (the interface is shared with the oracle).

        Returns
        -------
        (T, H, W) int32 masklet ids, -1 = no masklet.
        """
        frames = check_frames(frames)
        return run_windows(frames, self.settings.windows, self.propose, self.propagate, progress=self.progress,
                           desc=self.desc)

    def propose(self, frame: np.ndarray) -> np.ndarray:
        """Key-frame proposals: ``frame (H, W, 3) uint8`` -> ``(N, H, W) bool`` (see :data:`Proposer`)."""
        raise NotImplementedError

    def propagate(self, frames: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Masks on ``frames[0]`` carried through ``frames``: ``(L, H, W) int32`` (see :data:`Propagator`)."""
        raise NotImplementedError
