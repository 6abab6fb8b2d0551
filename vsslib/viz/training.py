"""Plots of the baseline networks: training loss curves and boundary close-ups of their predictions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FormatStrFormatter, LogLocator, MaxNLocator, NullFormatter

from ..base.errors import ParameterError
from ._draw import FOCUS_COLOUR, PAGE_WIDTH_IN, legend_patches, overlay

__all__ = ["plot_loss_curves", "plot_boundary_closeup"]


def plot_loss_curves(histories: Mapping[str, Sequence[float]], title: str, *, xlabel: str = "epoch",
                     log_scale: bool = True) -> plt.Figure:
    """One training loss curve per network.

    Parameters
    ----------
    histories : network name -> losses in order (per epoch, or per step with ``xlabel="step"``).
    title : figure title (name the dataset).
    xlabel : unit of the x axis; values are numbered from 1.
    log_scale : plot the loss on a log axis.

    Returns
    -------
    matplotlib Figure.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for name, losses in histories.items():
        losses = np.asarray(losses, dtype=np.float64)
        ax.plot(np.arange(1, len(losses) + 1), losses, marker="o" if len(losses) <= 30 else None,
                markersize=4, label=name)
    if log_scale:
        ax.set_yscale("log")  # labels at 1, 2, 3, 5 x 10^k only: every minor tick labelled would overlap
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cross-entropy")
    ax.set_title(title)
    if histories:
        ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def plot_boundary_closeup(frame: np.ndarray, gt: np.ndarray, pred: np.ndarray, palette: np.ndarray,
                          box: tuple[int, int, int, int], title: str, *,
                          others: Mapping[str, np.ndarray] | None = None, pred_name: str = "prediction",
                          alpha: float = 0.8, class_names: Sequence[str] | None = None) -> plt.Figure:
    """A frame with a box, then close-ups of the box: ground truth, prediction (and others), errors outlined.

    Parameters
    ----------
    frame : (H, W, 3) uint8 RGB.
    gt : (H, W) uint8 ground truth, 255 = ignore.
    pred : (H, W) uint8 prediction.
    palette : (C, 3) uint8 class colours.
    box : (top, left, bottom, right) rows and columns of the close-up, bottom/right exclusive.
    title : figure title (name the dataset, the network and the frame).
    others : further (H, W) label maps to show beside ``pred`` (e.g. ``{"refined": refined}``).
    pred_name : panel title of ``pred``.
    alpha : opacity of the label colours over the frame (high, so a colour reads as the legend's class, not
        the frame's).
    class_names : when given, a legend below the panels: the classes in the close-ups and the hatching.

    Returns
    -------
    matplotlib Figure. In each prediction panel, pixels that disagree with a non-ignored ground truth are
    hatched in white.

    Raises
    ------
    ParameterError : shapes differ or the box lies outside the frame or is empty.
    """
    frame = np.asarray(frame)
    height, width = frame.shape[:2]
    maps = {"ground truth": np.asarray(gt), pred_name: np.asarray(pred), **dict(others or {})}
    for name, labels in maps.items():
        if labels.shape != (height, width):
            raise ParameterError(f"{name} has shape {labels.shape} but the frame has {frame.shape}")
    top, left, bottom, right = (int(v) for v in box)
    if not (0 <= top < bottom <= height and 0 <= left < right <= width):
        raise ParameterError(f"box={tuple(box)} (top, left, bottom, right) must be a non-empty window of the "
                             f"{height}x{width} frame")
    rows, cols = slice(top, bottom), slice(left, right)
    panels = 1 + len(maps)
    columns = panels if panels <= 3 else 2  # the page's width: two panels a row beyond three
    grid_rows = -(-panels // columns)
    fig, grid = plt.subplots(grid_rows, columns,
                             figsize=(PAGE_WIDTH_IN, (2.6 if columns == 3 else 3.4) * grid_rows + 0.4), squeeze=False)
    for ax in grid.flat[panels:]:
        ax.set_axis_off()
    axes = grid.flat[:panels]
    axes[0].imshow(frame)
    axes[0].add_patch(Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False,  # the zoomed area:
                                edgecolor=np.asarray(FOCUS_COLOUR) / 255, linewidth=2))  # orange, as every focus
    axes[0].set_title("frame")
    gt_crop = maps["ground truth"][rows, cols]
    for ax, (name, labels) in zip(axes[1:], maps.items()):
        crop = labels[rows, cols]
        ax.imshow(overlay(frame[rows, cols], crop, palette, alpha=alpha))
        if name != "ground truth":
            wrong = (crop != gt_crop) & (gt_crop != 255)
            with plt.rc_context({"hatch.color": "white", "hatch.linewidth": 0.6}):
                ax.contourf(wrong.astype(np.float64), levels=[0.5, 1.5], colors="none", hatches=["////"])
            ax.contour(wrong.astype(np.float64), levels=[0.5], colors="white", linewidths=0.8)
            share = wrong.sum() / max(int((gt_crop != 255).sum()), 1)
            name = f"{name} ({share:.0%} of the box wrong)"
        ax.set_title(name)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.suptitle(title)
    if class_names is not None:
        present = sorted({int(c) for labels in maps.values() for c in np.unique(labels[rows, cols])
                          if c < len(palette)})
        handles = [*legend_patches(class_names, palette, present),
                   Patch(facecolor="0.55", edgecolor="white", hatch="////", label="wrong pixel (hatched)")]
        fig.legend(handles=handles, loc="lower center", ncols=min(len(handles), 6), fontsize=9, frameon=False)
        fig.tight_layout(rect=(0, 0.04 + 0.035 * (-(-len(handles) // 6)), 1, 1))
    else:
        fig.tight_layout()
    return fig

