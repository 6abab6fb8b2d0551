"""What every masklet source shares: the id-map contract, painting order, and the registry.

A masklet source is a callable ``source(frames, video=None) -> (T, H, W) int32`` id map, -1 where no
masklet lies, ids unique within the video (not necessarily contiguous). Only the oracle needs ``video``
(its ground truth). Where proposals overlap, larger masks are painted first and smaller ones on top, so a
small object proposed inside a large region (a sign on a building) keeps its own masklet; this is the
order Semantic Segment Anything uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..errors import ParameterError

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["MaskletSource", "paint", "check_frames", "register_masklet_source", "create_masklet_source",
           "list_masklet_sources", "relabel_sequential"]


class MaskletSource(Protocol):
    """The interface of every masklet generator."""

    name: str
    settings: Any

    def __call__(self, frames: np.ndarray, video: Video | None = None) -> np.ndarray: ...


def check_frames(frames: np.ndarray) -> np.ndarray:
    """Validate (T, H, W, 3) uint8 frames; raise ParameterError naming the shape or dtype at fault."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ParameterError(f"frames must be (T, H, W, 3) RGB, got shape {frames.shape}")
    if frames.dtype != np.uint8:
        raise ParameterError(f"frames must be uint8, got {frames.dtype}")
    if frames.shape[0] < 1:
        raise ParameterError("frames is empty (T = 0)")
    return frames


def paint(masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Paint binary masks into one id map, larger masks first, smaller ones on top.

    Parameters
    ----------
    masks : (N, H, W) bool.
    ids : (N,) int ids.

    Returns
    -------
    (H, W) int32, -1 where no mask lies. Each pixel gets the id of the smallest mask covering it (ties:
    the earlier mask).
    """
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3:
        raise ParameterError(f"masks must be (N, H, W), got shape {masks.shape}")
    if len(masks) == 0:
        return np.full(masks.shape[1:], -1, np.int32)
    areas = masks.reshape(len(masks), -1).sum(axis=1)
    order = np.argsort(areas, kind="stable")  # smallest first
    ranked = masks[order]
    first = np.argmax(ranked, axis=0)  # the smallest covering mask
    covered = ranked.any(axis=0)
    return np.where(covered, np.asarray(ids, np.int32)[order][first], -1).astype(np.int32)


def relabel_sequential(id_map: np.ndarray) -> np.ndarray:
    """Ids renumbered 0..K-1 in order of first appearance value (ascending old id); -1 stays -1."""
    values, inverse = np.unique(id_map, return_inverse=True)
    new = np.where(values >= 0, np.cumsum(values >= 0) - 1, -1)
    return new[inverse].reshape(id_map.shape).astype(np.int32)


_REGISTRY: dict[str, Callable[..., MaskletSource]] = {}


def register_masklet_source(name: str) -> Callable[[Callable[..., MaskletSource]], Callable[..., MaskletSource]]:
    """Class decorator: make a source creatable by name."""

    def decorate(factory: Callable[..., MaskletSource]) -> Callable[..., MaskletSource]:
        _REGISTRY[name] = factory
        return factory

    return decorate


def list_masklet_sources() -> list[str]:
    """Names accepted by :func:`create_masklet_source`."""
    return sorted(_REGISTRY)


def create_masklet_source(name: str, **settings: Any) -> MaskletSource:
    """Create a masklet source by name with keyword settings (see each source's settings dataclass).

    Raises
    ------
    ParameterError : an unknown name (lists the valid ones) or an unknown or impossible setting.
    """
    if name not in _REGISTRY:
        raise ParameterError(f"unknown masklet source {name!r}; valid: {', '.join(list_masklet_sources())}")
    return _REGISTRY[name](**settings)
