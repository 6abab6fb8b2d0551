"""Masklet pictures: a fixed random colour per masklet id, outlines and overlays.

No algorithm lives here. Colours come from a hash of (id, seed), so a masklet keeps its colour in every
frame and every figure whatever other ids exist, and the same seed always gives the same picture.
"""

from __future__ import annotations

import numpy as np

from ..base.errors import ParameterError

__all__ = ["masklet_colors", "masklet_outlines", "overlay_masklets"]

_MIX = np.uint64(0x9E3779B97F4A7C15)


def _hash(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser of uint64 values (vectorised, wraps around)."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) * _MIX
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def masklet_colors(ids: np.ndarray, *, seed: int = 0, none_color: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """Colour each masklet id with a fixed random colour.

    Parameters
    ----------
    ids : (...) int masklet ids, -1 = no masklet.
    seed : changes every colour at once.
    none_color : RGB of -1.

    Returns
    -------
    (..., 3) uint8. Channels lie in 40..255, so masklets stand out from black.
    """
    ids = np.asarray(ids)
    values, inverse = np.unique(ids, return_inverse=True)
    keys = (values.astype(np.int64) + 1).astype(np.uint64) + (np.uint64(seed) << np.uint64(40))
    h = _hash(keys)
    table = np.stack([(h >> np.uint64(shift)) & np.uint64(0xFF) for shift in (0, 8, 16)], axis=-1)
    table = (40 + table.astype(np.int64) * 215 // 255).astype(np.uint8)
    table[values < 0] = none_color
    return table[inverse.reshape(ids.shape)]


def masklet_outlines(ids: np.ndarray) -> np.ndarray:
    """Pixels where the id changes to the right or below (masklet borders, both sides marked once).

    Parameters
    ----------
    ids : (..., H, W) int id map.

    Returns
    -------
    (..., H, W) bool: a pixel is marked when its right or lower neighbour has another id, or its left or
    upper neighbour does (so a border two ids share is two pixels wide, one on each side).
    """
    ids = np.asarray(ids)
    edge = np.zeros(ids.shape, bool)
    horizontal = ids[..., :, 1:] != ids[..., :, :-1]
    vertical = ids[..., 1:, :] != ids[..., :-1, :]
    edge[..., :, 1:] |= horizontal
    edge[..., :, :-1] |= horizontal
    edge[..., 1:, :] |= vertical
    edge[..., :-1, :] |= vertical
    return edge


def overlay_masklets(frame: np.ndarray, ids: np.ndarray, *, alpha: float = 0.55, seed: int = 0,
                     outline_color: tuple[int, int, int] | None = (255, 255, 255)) -> np.ndarray:
    """Blend masklet colours onto a frame and draw their outlines.

    Parameters
    ----------
    frame : (H, W, 3) uint8 RGB.
    ids : (H, W) int masklet ids, -1 = none (left as the frame).
    alpha : weight of the masklet colour.
    seed : colour seed (see :func:`masklet_colors`).
    outline_color : RGB of the outlines, or None for none.

    Returns
    -------
    (H, W, 3) uint8.
    """
    frame = np.asarray(frame)
    ids = np.asarray(ids)
    if frame.shape[:2] != ids.shape or frame.ndim != 3:
        raise ParameterError(f"frame {frame.shape} and masklet ids {ids.shape} do not match: expected (H, W, 3) "
                             "and (H, W)")
    colour = masklet_colors(ids, seed=seed).astype(np.float32)
    blended = (1 - alpha) * frame.astype(np.float32) + alpha * colour
    out = np.where((ids < 0)[..., None], frame.astype(np.float32), blended).round().astype(np.uint8)
    if outline_color is not None:
        out[masklet_outlines(ids)] = outline_color
    return out
