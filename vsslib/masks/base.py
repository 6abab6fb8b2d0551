"""What every masklet source shares: the id-map contract, the painting order, settings and the registry.

A masklet source is a callable ``source(frames, video=None) -> (T, H, W) int32`` id map: -1 where no
masklet lies, ids unique within the video (not necessarily contiguous). Only the oracle needs ``video``
(its ground truth). Each source has a ``name`` and a frozen-dataclass ``settings`` (the cache key of its
output).

Overlap rule: where proposals overlap, larger masks are painted first and smaller ones on top, so a small
object proposed inside a large region (a sign on a building) keeps its own masklet. This is the order
Semantic Segment Anything uses; SAM2's own alternative, the highest logit (``non_overlap_masks``), would
let a confident large mask swallow the small ones. It applies to the proposals on key frames; once those
are painted they are a partition, and where the SAM2 sources' propagated masks overlap again, the highest
logit takes the pixel by default (:class:`vsslib.masks.sam2_model.PropagationSettings`).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from ..base.errors import ParameterError

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["MaskletSource", "paint", "check_frames", "unique_ids", "relabel_sequential", "knob_paths",
           "resolve_masklet_settings", "masklet_settings_type",
           "merge_settings", "register_masklet_source", "create_masklet_source", "list_masklet_sources",
           "masklet_knobs", "knob_declarations"]

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


def knob_paths(settings_type: type) -> dict[str, tuple[str, ...]]:
    """Every keyword a settings dataclass accepts, with the path of fields it sets.

    A field of the dataclass itself is its own keyword (``("max_masklets",)``); a field of exactly one of its
    nested dataclass fields is a shortcut (``"window"`` -> ``("windows", "window")``); a nested field is also
    accepted whole (``"windows"``, as a dataclass or a mapping).

    Parameters
    ----------
    settings_type : a dataclass type whose nested settings are dataclass fields (one level deep).
    """
    fields = dataclasses.fields(settings_type)
    paths: dict[str, tuple[str, ...]] = {f.name: (f.name,) for f in fields}
    inner: dict[str, list[str]] = {}
    for f in fields:
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default):
            for sub in dataclasses.fields(default):
                inner.setdefault(sub.name, []).append(f.name)
    paths.update({name: (owners[0], name) for name, owners in inner.items() if len(owners) == 1 and name not in paths})
    return paths


def merge_settings(settings: SettingsT, overrides: Mapping[str, Any], *, source: str,
                   extra: tuple[str, ...] = ()) -> SettingsT:
    """A copy of a (possibly nested) frozen settings dataclass with flat keyword overrides applied.

    Keywords are those of :func:`knob_paths` (``window=8`` sets ``settings.windows.window``); nested values
    given as mappings are merged into their dataclass. The result is built anew, so its validation runs.

    Parameters
    ----------
    settings : a frozen dataclass instance.
    overrides : keyword settings.
    source : the source's name, for error messages.
    extra : further keywords the caller handles itself (listed as valid in the error message).

    Raises
    ------
    ParameterError
        An unknown key: the message names the source, the key, the sources that do take it, and the
        valid keys of this one.
    """
    paths = knob_paths(type(settings))
    unknown = sorted(key for key in overrides if key not in paths)
    if unknown:
        elsewhere = [f"{key!r} is a setting of {' and '.join(owners)}"
                     for key in unknown if (owners := [n for n in list_masklet_sources()
                                                       if n != source and key in masklet_knobs(n)])]
        raise ParameterError(f"unknown {source} masklet setting(s) {unknown}"
                             + (f" ({'; '.join(elsewhere)})" if elsewhere else "")
                             + f"; valid for {source}: {', '.join(sorted({*paths, *extra}))}")
    top: dict[str, Any] = {}
    inner: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        path = paths[key]
        current = getattr(settings, key) if len(path) == 1 else None
        if len(path) == 2:
            inner.setdefault(path[0], {})[path[1]] = value
        elif dataclasses.is_dataclass(current) and isinstance(value, Mapping):
            inner.setdefault(key, {}).update(value)
        else:
            top[key] = value
    for name, changes in inner.items():
        top[name] = dataclasses.replace(top.get(name, getattr(settings, name)), **changes)
    return dataclasses.replace(settings, **top)


_REGISTRY: dict[str, Callable[..., MaskletSource]] = {}


def register_masklet_source(name: str) -> Callable[[Callable[..., MaskletSource]], Callable[..., MaskletSource]]:
    """Class decorator: make a masklet source creatable by ``name`` with :func:`create_masklet_source`.

    The class declares its settings dataclass as ``settings_type`` (its keywords: :func:`masklet_knobs`), a
    classmethod ``resolve_settings(settings=None, **keywords)`` that returns the settings it would hold
    (:func:`resolve_masklet_settings`), and may name keywords it handles itself in ``extra_knobs``.
    """

    def decorate(factory: Callable[..., MaskletSource]) -> Callable[..., MaskletSource]:
        if not dataclasses.is_dataclass(getattr(factory, "settings_type", None)):
            raise TypeError(f"masklet source {name!r}: {factory!r} declares no settings_type dataclass")
        if not callable(getattr(factory, "resolve_settings", None)):
            raise TypeError(f"masklet source {name!r}: {factory!r} has no resolve_settings classmethod")
        _REGISTRY[name] = factory
        return factory

    return decorate


def list_masklet_sources() -> list[str]:
    """Names accepted by :func:`create_masklet_source`, sorted: ``["classical", "oracle", "sam2", "sam2-mini"]``."""
    return sorted(_REGISTRY)


def masklet_knobs(name: str) -> dict[str, tuple[str, ...]]:
    """The keyword settings masklet source ``name`` accepts (:func:`knob_paths` of its settings dataclass, plus
    the keywords it handles itself with an empty path), the one place a knob's owner is looked up.

    Raises
    ------
    ParameterError
        An unknown name, listing the valid ones.
    """
    factory = _factory(name)
    return {**knob_paths(factory.settings_type), **dict.fromkeys(getattr(factory, "extra_knobs", ()), ())}


def knob_declarations(name: str) -> dict[str, tuple[type, str]]:
    """For each keyword of masklet source ``name``, the dataclass and field that declare it (a knob handled by
    the source itself: the source's class and the keyword). Two sources share a knob when both point to the
    same declaration (``points_per_side``: :class:`GeneratorSettings` for ``sam2`` and ``sam2-mini``).

    Raises
    ------
    ParameterError
        An unknown name, listing the valid ones.
    """
    factory = _factory(name)
    out: dict[str, tuple[type, str]] = {}
    for knob, path in masklet_knobs(name).items():
        owner: Any = factory.settings_type if path else factory
        for part in path[:-1]:
            owner = typing.get_type_hints(owner)[part]
        out[knob] = (owner, knob)
    return out


def _factory(name: str) -> Any:
    if name not in _REGISTRY:
        raise ParameterError(f"unknown masklet source {name!r}; valid: {', '.join(list_masklet_sources())}")
    return _REGISTRY[name]


def create_masklet_source(name: str, **settings: Any) -> MaskletSource:
    """Create a masklet source by name with flat keyword settings.

    Parameters
    ----------
    name : a name of :func:`list_masklet_sources`.
    **settings : keywords of :func:`masklet_knobs` (``window``, ``points_per_side``, ``jitter``, ...), or
        ``settings=`` a whole settings dataclass, plus ``progress``.

    Raises
    ------
    ParameterError
        An unknown name (listing the valid ones) or an unknown or impossible setting.
    """
    return _factory(name)(**settings)


def masklet_settings_type(name: str) -> type:
    """The settings dataclass of masklet source ``name`` (its ``settings_type``).

    Raises
    ------
    ParameterError
        An unknown name, listing the valid ones.
    """
    return _factory(name).settings_type


def resolve_masklet_settings(name: str, **keywords: Any) -> Any:
    """The settings dataclass masklet source ``name`` holds when created with ``keywords`` (those of
    :func:`masklet_knobs`), validated, without creating the source: what a run's spec stores, and what
    ``create_masklet_source(name, settings=...)`` takes back.

    Raises
    ------
    ParameterError
        An unknown name or an unknown or impossible setting, as :func:`create_masklet_source`.
    """
    return _factory(name).resolve_settings(**keywords)
