"""Plots of a dataset: sample frames with their ground truth, class frequencies, object sizes and motion.

Plot helpers only: the numbers come from :mod:`vsslib.data` and :mod:`vsslib.data.stats`. Titles name the
data (``dataset.name``: "generated benchmark (not VSPW)" or "VSPW"), so a figure is never mistaken for
real VSPW results.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..base.errors import ParameterError
from ._draw import legend_patches

__all__ = ["plot_samples", "plot_class_frequencies", "plot_object_sizes", "label_overlay"]

_IGNORE = 255


@contextmanager
def _style() -> Iterator[None]:
    """Seaborn's whitegrid look with readable fonts, applied only to figures made inside the block."""
    import seaborn as sns

    rc = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook", font_scale=0.9),
          "axes.titlesize": 10, "axes.titleweight": "bold", "figure.titlesize": 12,
          "figure.titleweight": "bold", "legend.frameon": False, "image.interpolation": "nearest",
          "figure.dpi": 110, "savefig.dpi": 110, "savefig.bbox": "tight"}
    with plt.rc_context(rc):
        yield


def label_overlay(frame: np.ndarray, labels: np.ndarray | None, palette: np.ndarray, *, alpha: float = 0.5,
                  boundaries: bool = True) -> np.ndarray:
    """Blend a label map in its palette over a frame.

    Parameters
    ----------
    frame : (H, W, 3) uint8 RGB.
    labels : (H, W) uint8 class ids, 255 = ignore (left unblended); ``None`` returns the frame.
    palette : (C, 3) uint8 colour of each class.
    alpha : opacity of the label colours.
    boundaries : draw the edges between classes in white.

    Returns
    -------
    (H, W, 3) uint8 RGB.
    """
    if labels is None:
        return frame.copy()
    if labels.shape != frame.shape[:2]:
        raise ParameterError(f"labels of shape {labels.shape} do not match the frame {frame.shape[:2]}")
    lut = np.zeros((256, 3), np.float32)
    lut[: len(palette)] = palette
    known = (labels != _IGNORE) & (labels < len(palette))
    out = frame.astype(np.float32)
    out[known] = (1 - alpha) * out[known] + alpha * lut[labels[known]]
    if boundaries:
        edge = np.zeros(labels.shape, bool)
        edge[:, 1:] |= labels[:, 1:] != labels[:, :-1]
        edge[1:, :] |= labels[1:, :] != labels[:-1, :]
        out[edge] = 0.35 * out[edge] + 0.65 * 255
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def plot_samples(dataset: Any, videos: Sequence[str], frames: Sequence[int], *, alpha: float = 0.5,
                 boundaries: bool = True, title: str | None = None, panel_width: float = 3.2) -> Figure:
    """Frames of a few videos with their ground truth overlaid in the dataset's palette, and a legend.

    Parameters
    ----------
    dataset : a :class:`~vsslib.data.VSPWDataset` split.
    videos : names of the videos, one row each.
    frames : frame indices shown for every video, one column each (negative counts from the end).
    alpha : opacity of the label colours.
    boundaries : draw class boundaries in white.
    title : figure title; default "Sample frames with ground truth | <dataset.name>, <split> split".
    panel_width : width of one panel in inches.

    Returns
    -------
    The figure; its legend lists the classes visible in the panels.

    Raises
    ------
    ParameterError : no videos or frames, or a frame index outside a video.
    """
    if not videos or not frames:
        raise ParameterError(f"plot_samples needs at least one video and one frame, got videos={list(videos)} "
                             f"and frames={list(frames)}")
    loaded = [dataset.load(name) for name in videos]
    height, width = loaded[0].shape
    rows, cols = len(loaded), len(frames)
    present: set[int] = set()
    with _style():
        fig, axes = plt.subplots(rows, cols, squeeze=False,
                                 figsize=(panel_width * cols, (panel_width * height / width + 0.3) * rows + 0.9))
        for r, video in enumerate(loaded):
            for c, index in enumerate(frames):
                if not -video.num_frames <= index < video.num_frames:
                    raise ParameterError(f"frame {index} is outside video {video.name!r} ({video.num_frames} "
                                         f"frames; valid: {-video.num_frames}..{video.num_frames - 1})")
                t = index % video.num_frames
                labels = None if video.labels is None else video.labels[t]
                if labels is not None:
                    present.update(int(v) for v in np.unique(labels) if v < dataset.num_classes)
                ax = axes[r, c]
                ax.imshow(label_overlay(video.frames[t], labels, dataset.palette, alpha=alpha,
                                        boundaries=boundaries))
                ax.set_title(f"{video.name} · frame {t}" + ("" if labels is not None else " (no labels)"),
                             fontsize=9, fontweight="normal")
                ax.set_axis_off()
        name = getattr(dataset, "name", "dataset")
        fig.suptitle(title or f"Sample frames with ground truth | {name}, {dataset.split} split")
        fig.tight_layout(rect=(0, 0.07 if present else 0, 1, 1))
        if present:
            handles = legend_patches(dataset.class_names, dataset.palette, sorted(present))
            fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6 if cols < 3 else 10),
                       fontsize=9, handlelength=1.2, columnspacing=1.2, bbox_to_anchor=(0.5, 0.0))
    return fig


def plot_class_frequencies(frequencies: pd.DataFrame, title: str, *, palette: np.ndarray | None = None,
                           log: bool = True, total_frames: int | None = None) -> Figure:
    """Share of labelled pixels per class, and in how many frames and videos each class appears.

    Parameters
    ----------
    frequencies : the table of :func:`vsslib.data.stats.class_frequencies` (``class``, ``pixel_share``,
        ``frames_present``, ``videos_present``), rows in class order.
    title : figure title; name the data, e.g. ``f"Class frequencies | {dataset.name}, val split"``.
    palette : (C, 3) uint8 class colours (``dataset.palette``); default one neutral colour.
    log : logarithmic pixel-share axis (rare classes stay visible).
    total_frames : the frames of the split; the frames axis then ends there (no class can be in more).

    Returns
    -------
    The figure: classes sorted by pixel share, most frequent on top.
    """
    missing = {"class", "pixel_share", "frames_present", "videos_present"} - set(frequencies.columns)
    if missing:
        raise ParameterError(f"frequencies lacks columns {sorted(missing)}; pass class_frequencies(dataset)")
    colours = (np.asarray(palette, np.float32)[: len(frequencies)] / 255 if palette is not None
               else np.tile([[0.27, 0.45, 0.62]], (len(frequencies), 1)))
    order = np.argsort(-frequencies["pixel_share"].to_numpy(), kind="stable")
    table = frequencies.iloc[order]
    names = [str(n) for n in table["class"]]
    share = table["pixel_share"].to_numpy()
    y = np.arange(len(table))
    with _style():
        fig, (left, right) = plt.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": (3, 2)},
                                          figsize=(8.5, 0.8 + 0.3 * len(table)))
        left.barh(y, np.where(share > 0, share, np.nan), color=colours[order], edgecolor="0.25", linewidth=0.5)
        if log and (share > 0).any():
            left.set_xscale("log")
            left.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.1, 1, 10: not 10^k
        left.set_xlabel("share of labelled pixels (%" + (", log scale)" if log else ")"))
        for yi, value in zip(y, share):
            if value > 0:
                left.annotate(f"{value:.2g}%", (value, yi), xytext=(3, 0), textcoords="offset points",
                              va="center", fontsize=8, color="0.25")
            else:
                left.annotate("absent", (0, yi), xycoords=("axes fraction", "data"), xytext=(3, 0),
                              textcoords="offset points", va="center", fontsize=8, color="0.45")
        left.set_yticks(y, names)
        left.invert_yaxis()
        right.barh(y, table["frames_present"], color=colours[order], edgecolor="0.25", linewidth=0.5, alpha=0.8)
        end = float(total_frames) if total_frames else 1.25 * float(table["frames_present"].max() or 1)
        for yi, frames, videos in zip(y, table["frames_present"], table["videos_present"]):
            inside = frames > 0.7 * end  # a long bar carries its label inside, so the axis can end at the total
            right.annotate(f"{videos} video{'s' if videos != 1 else ''}", (frames, yi), xytext=(-3 if inside else 3, 0),
                           textcoords="offset points", va="center", ha="right" if inside else "left", fontsize=8,
                           color="0.15" if inside else "0.25",
                           bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75}
                                if inside else None)
        right.set_xlabel("frames containing the class" + (f" (of {total_frames})" if total_frames else ""))
        for ax in (left, right):
            ax.grid(axis="y", visible=False)
        right.set_xlim(0, end)
        left.margins(x=0.15)
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def plot_object_sizes(objects: pd.DataFrame, title: str, *, bins: int = 30) -> Figure:
    """Histograms of the objects' mean areas (log axis) and mean speeds.

    Parameters
    ----------
    objects : the table of :func:`vsslib.data.stats.object_table`, one row per object (``mean_area`` in
        pixels, ``speed`` in pixels per frame).
    title : figure title; name the data.
    bins : bars per histogram.

    Returns
    -------
    The figure; each panel marks the median with a dashed line and writes it. Objects without a value
    (NaN, e.g. no speed for an object seen in one frame) are left out of that panel.
    """
    missing = {"mean_area", "speed"} - set(objects.columns)
    if missing:
        raise ParameterError(f"objects lacks columns {sorted(missing)}; pass object_table(dataset)")
    if objects.empty:
        raise ParameterError("plot_object_sizes: the object table is empty (no labelled objects)")
    areas = objects["mean_area"].to_numpy(np.float64)
    areas = areas[np.isfinite(areas)]
    speeds = objects["speed"].to_numpy(np.float64)
    speeds = speeds[np.isfinite(speeds)]  # NaN: an object seen in one frame only has no speed
    with _style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.6))
        left.hist(areas, bins=np.logspace(0, np.log10(areas.max() + 1), bins), color="#457b9d")
        left.set_xscale("log")
        left.set_xlabel("mean object area (pixels, log scale)")
        left.set_ylabel("objects")
        right.hist(speeds, bins=bins, color="#e76f51")
        right.set_xlabel("mean centroid speed (pixels per frame)")
        for ax, values, unit in ((left, areas, "px"), (right, speeds, "px/frame")):
            median = float(np.median(values))
            ax.axvline(median, color="0.2", ls="--", lw=1)
            ax.text(median, 0.97, f" median {median:.3g} {unit}", transform=ax.get_xaxis_transform(), fontsize=8,
                    va="top", color="0.2")
            ax.grid(axis="x", visible=False)
        fig.suptitle(f"{title} ({len(objects):,} objects)")
        fig.tight_layout()
    return fig
