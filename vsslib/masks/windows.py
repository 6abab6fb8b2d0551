"""The window logic shared by the SAM2 and classical generators.

A video is cut into windows of ``window`` frames. On the first frame of each window (the key frame) the
generator proposes masks; they are propagated through the window. Ids continue across windows by
overlap: the previous window's masklets are propagated one frame further, onto the next key frame, and
each new key-frame mask takes the id of the previous masklet it overlaps most when their mask IoU exceeds
``link_iou``. Matching is greedy by decreasing IoU, one-to-one. Greedy equals the optimal assignment
whenever ``link_iou`` >= 0.5, because two masks with IoU > 0.5 to the same mask cannot exist among
non-overlapping masks; we default to 0.5 rather than Grounded-SAM-2's 0.8 because classical proposals
re-segment the same object slightly differently at each key frame. Unmatched masks get fresh ids.

Discovery (beyond the paper, off by default): every ``discover_every`` frames inside a window, the
generator proposes on that frame again and keeps the masks that lie mostly (> 50 %) on area no masklet
covers and cover at least ``discover_min_area`` uncovered pixels; they are propagated to the end of the
window and fill only uncovered pixels (as DEVA and AutoSeg-SAM2 prompt only unsegmented area).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

__all__ = ["WindowSettings", "run_windows", "link_ids", "mask_iou_matrix"]

# propose(frame (H,W,3) uint8) -> (N,H,W) bool masks
Proposer = Callable[[np.ndarray], np.ndarray]
# propagate(frames (L,H,W,3), masks (N,H,W) bool on frames[0], ids (N,)) -> (L,H,W) int32 id map
Propagator = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class WindowSettings:
    """How masklets are carried through time."""

    window: int = 32  # frames per window: key frame + propagation (paper: 32)
    link_iou: float = 0.5  # mask IoU above which a key-frame mask continues a masklet of the last window
    discover_every: int = 0  # propose again on uncovered area every k frames (0 = off, the paper's setting)
    discover_min_area: int = 64  # uncovered pixels a discovered mask must cover

    def validate(self) -> None:
        if not isinstance(self.window, int) or self.window < 1:
            raise ParameterError(f"window={self.window!r} must be a positive number of frames")
        if not 0.0 <= self.link_iou <= 1.0:
            raise ParameterError(f"link_iou={self.link_iou!r} must lie in [0, 1]")
        if self.discover_every < 0:
            raise ParameterError(f"discover_every={self.discover_every!r} must be 0 (off) or positive")
        if self.discover_min_area < 1:
            raise ParameterError(f"discover_min_area={self.discover_min_area!r} must be at least 1")


def mask_iou_matrix(masks: np.ndarray, id_map: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IoU of each binary mask with each region of an id map.

    Parameters
    ----------
    masks : (N, H, W) bool.
    id_map : (H, W) int, -1 = none.

    Returns
    -------
    (region_ids (K,), iou (N, K) float64).
    """
    region_ids, inverse = np.unique(id_map, return_inverse=True)
    inverse = inverse.reshape(-1)
    keep = region_ids >= 0
    k = len(region_ids)
    flat = masks.reshape(len(masks), -1)
    mask_index, pixel = np.nonzero(flat)  # one pass over every (mask, pixel) pair
    inter = np.bincount(mask_index * k + inverse[pixel], minlength=len(masks) * k).reshape(len(masks), k)
    region_area = np.bincount(inverse, minlength=k)
    mask_area = flat.sum(axis=1)
    union = mask_area[:, None] + region_area[None, :] - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return region_ids[keep], iou[:, keep]


def link_ids(masks: np.ndarray, previous: np.ndarray | None, next_id: int, link_iou: float) -> tuple[np.ndarray, int]:
    """Ids for key-frame masks: inherited from ``previous`` (id map on the same frame) by IoU, else fresh."""
    ids = np.full(len(masks), -1, np.int64)
    if previous is not None and len(masks):
        region_ids, iou = mask_iou_matrix(masks, previous)
        if iou.size:
            pairs = np.argwhere(iou > link_iou)
            order = np.argsort(-iou[pairs[:, 0], pairs[:, 1]], kind="stable")
            used_masks: set[int] = set()
            used_regions: set[int] = set()
            for m, r in pairs[order]:
                if m in used_masks or r in used_regions:
                    continue
                ids[m] = region_ids[r]
                used_masks.add(int(m))
                used_regions.add(int(r))
    fresh = ids < 0
    ids[fresh] = np.arange(next_id, next_id + int(fresh.sum()))
    return ids, next_id + int(fresh.sum())


def run_windows(frames: np.ndarray, settings: WindowSettings, propose: Proposer, propagate: Propagator, *,
                progress: bool = False, desc: str = "windows") -> np.ndarray:
    """Drive proposal, propagation, linking and discovery over a whole video.

    Returns
    -------
    (T, H, W) int32 id map, -1 = no masklet.
    """
    settings.validate()
    num_frames = len(frames)
    out = np.full(frames.shape[:3], -1, np.int32)
    previous: np.ndarray | None = None
    next_id = 0
    starts = range(0, num_frames, settings.window)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=desc, unit="window", leave=False)
    for start in starts:
        end = min(start + settings.window, num_frames)
        stop = min(end + 1, num_frames)  # one extra frame, for linking with the next window
        masks = np.asarray(propose(frames[start]), dtype=bool).reshape(-1, *frames.shape[1:3])
        ids, next_id = link_ids(masks, previous, next_id, settings.link_iou)
        segment = propagate(frames[start:stop], masks, ids)
        if settings.discover_every > 0:
            for frame in range(start + settings.discover_every, end, settings.discover_every):
                local = frame - start
                uncovered = segment[local] < 0
                if uncovered.sum() < settings.discover_min_area:
                    continue
                found = np.asarray(propose(frames[frame]), dtype=bool).reshape(-1, *frames.shape[1:3])
                if not len(found):
                    continue
                on_free = (found & uncovered).reshape(len(found), -1).sum(axis=1)
                area = found.reshape(len(found), -1).sum(axis=1)
                keep = (on_free >= settings.discover_min_area) & (on_free > 0.5 * np.maximum(area, 1))
                if not keep.any():
                    continue
                new_masks = found[keep] & uncovered
                new_ids = np.arange(next_id, next_id + len(new_masks))
                next_id += len(new_masks)
                added = propagate(frames[frame:stop], new_masks, new_ids)
                tail = segment[local:]
                segment[local:] = np.where((tail < 0) & (added >= 0), added, tail)
        out[start:end] = segment[: end - start]
        previous = segment[end - start] if stop > end else None
    return out
