"""What every masklet source shares: the id-map contract, the painting order, settings and the registry.

A masklet source is a callable ``source(frames, video=None) -> (T, H, W) int32`` id map: -1 where no
masklet lies, ids unique within the video (not necessarily contiguous). Only the oracle needs ``video``
(its ground truth). Each source has a ``name`` and a frozen-dataclass ``settings`` (the cache key of its
output).

Overlap rule: where proposals overlap, larger masks are painted first and smaller ones on top, so a small
object proposed inside a large region (a sign on a building) keeps its own masklet. This is the order
Semantic Segment Anything uses; SAM2's own alternative, the highest logit (``non_overlap_masks``), would
let a confident large mask swallow the small ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from ..errors import ParameterError

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["MaskletSource", "paint", "check_frames", "unique_ids", "relabel_sequential", "merge_settings",
           "register_masklet_source", "create_masklet_source", "list_masklet_sources"]

SettingsT = TypeVar("SettingsT")


class MaskletSource(Protocol):
    """The interface of every masklet generator."""

    name: str
    settings: Any  # a frozen dataclass

    def __call__(self, frames: np.ndarray, video: Video | None = None) -> np.ndarray:
        """(T, H, W, 3) uint8 RGB frames -> (T, H, W) int32 masklet ids, -1 = no masklet."""
        ...


def check_frames(frames: np.ndarray) -> np.ndarray:
    """Return ``frames`` as an array after checking it is (T, H, W, 3) uint8 with T >= 1.

    Raises
    ------
    ParameterError
        Naming the shape or dtype at fault.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ParameterError(f"frames must be (T, H, W, 3) RGB, got shape {frames.shape}")
    if frames.dtype != np.uint8:
        raise ParameterError(f"frames must be uint8 (0..255), got {frames.dtype}; convert with "
                             "np.clip(x, 0, 255).astype(np.uint8)")
    if frames.shape[0] < 1 or frames.shape[1] < 1 or frames.shape[2] < 1:
        raise ParameterError(f"frames is empty: shape {frames.shape}")
    return frames


def paint(masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Paint binary masks into one id map, larger masks first and smaller ones on top.

    Parameters
    ----------
    masks : (N, H, W) bool
        Possibly overlapping masks.
    ids : (N,) int
        The id of each mask.

    Returns
    -------
    (H, W) int32
        Each pixel holds the id of the smallest mask covering it (ties in area: the earlier mask), -1
        where no mask lies.
    """
    masks = np.asarray(masks, dtype=bool)
    ids = np.asarray(ids)
    if masks.ndim != 3 or ids.shape != (len(masks),):
        raise ParameterError(f"masks must be (N, H, W) with ids (N,), got masks {masks.shape} and ids {ids.shape}")
    if len(masks) == 0:
        return np.full(masks.shape[1:], -1, np.int32)
    areas = masks.reshape(len(masks), -1).sum(axis=1)
    order = np.argsort(areas, kind="stable")  # smallest first; ties keep the input order
    ranked = masks[order]
    first = np.argmax(ranked, axis=0)  # index of the smallest covering mask (0 where none covers)
    covered = np.take_along_axis(ranked, first[None], axis=0)[0]
    return np.where(covered, ids.astype(np.int32)[order][first], -1).astype(np.int32)


def unique_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ids, return_inverse=True)`` for integer ids >= -1, by counting instead of sorting (O(N)).

    Parameters
    ----------
    ids : (...) integer array, -1 = no masklet.

    Returns
    -------
    values : (K,) int64, the ids present, sorted.
    inverse : int array of ``ids``' shape, the index of each element's id in ``values``.
    """
    flat = ids.ravel().astype(np.int64) + 1
    if flat.size == 0 or flat.min() < 0 or flat.max() > 4 * flat.size:  # below -1, or sparse: sort instead
        values, inverse = np.unique(ids, return_inverse=True)
        return values, inverse.reshape(ids.shape)
    present = np.bincount(flat) > 0
    index = np.cumsum(present) - 1
    return np.flatnonzero(present) - 1, index[flat].reshape(ids.shape)


def relabel_sequential(id_map: np.ndarray) -> np.ndarray:
    """Renumber the ids of an id map to 0..K-1, keeping their order; -1 stays -1.

    Parameters
    ----------
    id_map : (...) integer array, -1 = no masklet.

    Returns
    -------
    (...) int32 with the same partition.
    """
    values, inverse = unique_ids(np.asarray(id_map))
    new = np.where(values >= 0, np.cumsum(values >= 0) - 1, -1)
    return new[inverse].reshape(np.shape(id_map)).astype(np.int32)


def merge_settings(settings: SettingsT, overrides: Mapping[str, Any], *, source: str,
                   extra: tuple[str, ...] = ()) -> SettingsT:
    """A copy of a (possibly nested) frozen settings dataclass with flat keyword overrides applied.

    A key names a field of ``settings`` itself or, as a shortcut, a field of exactly one of its nested
    dataclass fields (``window=8`` sets ``settings.windows.window``). Nested values given as dicts are
    turned into their dataclass. The result is built anew, so its validation runs.

    Parameters
    ----------
    settings : a frozen dataclass instance.
    overrides : keyword settings.
    source : the source's name, for error messages.
    extra : further keywords the caller handles itself (listed as valid in the error message).

    Raises
    ------
    ParameterError
        An unknown key, listing the valid ones.
    """
    cls = type(settings)
    fields = {f.name for f in dataclasses.fields(cls)}
    nested = {name: getattr(settings, name) for name in fields if dataclasses.is_dataclass(getattr(settings, name))}
    top: dict[str, Any] = {}
    inner: dict[str, dict[str, Any]] = {name: {} for name in nested}
    unknown = []
    for key, value in overrides.items():
        if key in fields:
            if key in nested and isinstance(value, Mapping):
                inner[key].update(value)
            else:
                top[key] = value
            continue
        owners = [name for name, sub in nested.items() if key in {f.name for f in dataclasses.fields(sub)}]
        if len(owners) == 1:
            inner[owners[0]][key] = value
        else:
            unknown.append(key)
    if unknown:
        valid = sorted((fields - set(nested)) | {f.name for sub in nested.values() for f in dataclasses.fields(sub)}
                       | set(extra))
        raise ParameterError(f"unknown {source} masklet setting(s) {sorted(unknown)}; valid: {', '.join(valid)}")
    for name, changes in inner.items():
        if changes:
            top[name] = dataclasses.replace(top.get(name, nested[name]), **changes)
    return dataclasses.replace(settings, **top)


_REGISTRY: dict[str, Callable[..., MaskletSource]] = {}


def register_masklet_source(name: str) -> Callable[[Callable[..., MaskletSource]], Callable[..., MaskletSource]]:
    """Class decorator: make a masklet source creatable by ``name`` with :func:`create_masklet_source`."""

    def decorate(factory: Callable[..., MaskletSource]) -> Callable[..., MaskletSource]:
        _REGISTRY[name] = factory
        return factory

    return decorate


def list_masklet_sources() -> list[str]:
    """Names accepted by :func:`create_masklet_source`, sorted: ``["classical", "oracle", "sam2"]``."""
    return sorted(_REGISTRY)


def create_masklet_source(name: str, **settings: Any) -> MaskletSource:
    """Create a masklet source by name with flat keyword settings.

    Parameters
    ----------
    name : ``"classical"``, ``"oracle"`` or ``"sam2"``.
    **settings : fields of the source's settings dataclass or of its nested ones (``window``,
        ``points_per_side``, ``jitter``, ...), plus ``progress``.

    Raises
    ------
    ParameterError
        An unknown name (listing the valid ones) or an unknown or impossible setting.
    """
    if name not in _REGISTRY:
        raise ParameterError(f"unknown masklet source {name!r}; valid: {', '.join(list_masklet_sources())}")
    return _REGISTRY[name](**settings)
