"""Masklet pictures: a fixed random colour per masklet id, outlines, overlays, strips over time, lifespans.

No algorithm lives here. Colours come from a hash of (id, seed), so a masklet keeps its colour in every
frame and every figure whatever other ids exist, and the same seed always gives the same picture.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..base.errors import ParameterError

__all__ = ["masklet_colors", "masklet_outlines", "overlay_masklets", "plot_masklet_strip", "plot_masklet_lifespans"]

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


def plot_masklet_strip(frames: np.ndarray, ids: np.ndarray, *, times: Sequence[int] | None = None, columns: int = 6,
                       seed: int = 0, title: str = "") -> plt.Figure:
    """Masklets over time: one overlay per chosen frame, the same colour for the same masklet.

    Parameters
    ----------
    frames : (T, H, W, 3) uint8 RGB.
    ids : (T, H, W) int masklet ids.
    times : frame indices to show (default: ``columns`` evenly spread frames).
    columns : panels per row.
    seed : colour seed.
    title : figure title (name the dataset, video and masklet source).
    """
    num_frames = len(frames)
    if times is None:
        times = np.unique(np.linspace(0, num_frames - 1, min(columns, num_frames)).round().astype(int)).tolist()
    rows = -(-len(times) // columns)
    cols = min(columns, len(times))
    height, width = frames.shape[1:3]
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.6 * rows * height / width + 0.5), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, t in zip(axes.ravel(), times, strict=False):
        ax.imshow(overlay_masklets(frames[t], ids[t], seed=seed))
        present = np.unique(ids[t])
        ax.set_title(f"frame {t}: {int((present >= 0).sum())} masklets", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_masklet_lifespans(ids: np.ndarray, *, window: int | None = None, seed: int = 0, max_masklets: int = 60,
                           title: str = "") -> plt.Figure:
    """When each masklet exists: one row per masklet (largest first), a bar over the frames it covers.

    Parameters
    ----------
    ids : (T, H, W) int masklet ids.
    window : draw the key frames of windows of this length as dashed lines.
    seed : colour seed (the bars take the masklets' overlay colours).
    max_masklets : show only this many masklets, the largest by total area.
    title : figure title.
    """
    ids = np.asarray(ids)
    num_frames = ids.shape[0]
    values, inverse = np.unique(ids.reshape(num_frames, -1), return_inverse=True)
    inverse = inverse.reshape(num_frames, -1)
    k = len(values)
    area = np.bincount((inverse + np.arange(num_frames)[:, None] * k).ravel(), minlength=num_frames * k)
    area = area.reshape(num_frames, k)  # (T, K) pixels of masklet k in frame t
    keep = np.flatnonzero(values >= 0)
    keep = keep[np.argsort(-area[:, keep].sum(axis=0), kind="stable")][:max_masklets]
    colours = masklet_colors(values[keep], seed=seed) / 255.0
    fig, ax = plt.subplots(figsize=(7.0, 0.8 + 0.12 * max(len(keep), 1)))
    present = area[:, keep] > 0  # (T, M)
    for row, (column, colour) in enumerate(zip(present.T, colours, strict=True)):
        frames_present = np.flatnonzero(column)
        ax.broken_barh([(t - 0.5, 1.0) for t in frames_present], (row - 0.4, 0.8), facecolors=[colour])
    if window:
        for start in range(0, num_frames, window):
            ax.axvline(start - 0.5, color="0.3", linestyle="--", linewidth=0.8)
    ax.set_xlim(-0.5, num_frames - 0.5)
    ax.set_ylim(len(keep) - 0.5, -0.5)
    ax.set_xlabel("frame")
    ax.set_ylabel(f"masklet (largest {len(keep)} of {int((values >= 0).sum())})")
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
