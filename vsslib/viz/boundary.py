"""Plots of where the refiner's gain comes from: boundary bands, trimaps, classes, object sizes, time.

Every function draws a table computed by :mod:`vsslib.analysis.boundary` and returns a Matplotlib figure.
Baseline and refined keep the fixed colours of :data:`METHOD_COLOURS` in every figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import ParameterError
from . import set_style
from ._draw import GAIN_DOWN, GAIN_UP, METHOD_COLOURS, figure_title, method_palette, require_columns

__all__ = ["plot_biou_by_dilation", "plot_trimap", "plot_per_class_gain", "plot_size_gain", "plot_vc_over_time"]


def plot_biou_by_dilation(table: pd.DataFrame, *, title: str, frame_shape: tuple[int, int] | None = None,
                          default_ratio: float = 0.02) -> plt.Figure:
    """mBIoU against the band's dilation ratio, one line per method.

    Parameters
    ----------
    table : DataFrame[method, ratio, mbiou] (``biou_by_dilation`` of each method, concatenated; mbiou 0..1).
    title : names the data and the masklet source.
    frame_shape : (H, W); when given, a top axis shows the band width in pixels.
    default_ratio : marked with a dotted line (Boundary IoU's 0.02).
    """
    from ..metrics import band_width

    set_style()
    require_columns(table, ["method", "ratio", "mbiou"], "plot_biou_by_dilation")
    fig, ax = plt.subplots(figsize=(6.6, 4.2))
    colours = method_palette(list(table["method"]))
    for method, part in table.groupby("method", sort=False):
        part = part.sort_values("ratio")
        ax.plot(part["ratio"], 100 * part["mbiou"], marker="o", color=colours[method], label=method)
    if _has_gain(table):
        gain = _gain(table, "mbiou", "ratio")
        for ratio, value, top in zip(gain.index, gain.to_numpy(), table.groupby("ratio")["mbiou"].max(),
                                     strict=True):
            ax.annotate(f"{100 * value:+.1f}", (ratio, 100 * top), textcoords="offset points", xytext=(0, 5),
                        ha="center", fontsize=7, color="0.25")
    ax.axvline(default_ratio, color="0.4", ls=":", lw=1)
    ax.text(default_ratio, 0.02, f" {default_ratio:g} (default)", transform=ax.get_xaxis_transform(), fontsize=8,
            color="0.3")
    ax.set_xlabel("dilation ratio (share of the frame diagonal)")
    ax.set_ylabel("mBIoU (%)")
    ax.legend(title=None, loc="lower right")
    if frame_shape is not None:
        h, w = frame_shape
        top = ax.secondary_xaxis("top", functions=(lambda r: r * np.hypot(h, w), lambda p: p / np.hypot(h, w)))
        top.set_xlabel(f"band width d (pixels, on {h} x {w} frames; d = max(1, round(ratio x diagonal)))",
                       fontsize=8)
        ticks = sorted({band_width(h, w, r) for r in table["ratio"]})
        top.set_xticks(ticks)
    figure_title(fig, title)
    fig.tight_layout()
    return fig


def plot_trimap(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Trimap curves: pixel accuracy in the band of width w around gt boundaries, one line per method.

    Parameters
    ----------
    table : DataFrame[method, width, accuracy, pixels] (``trimap_accuracy`` of each method, concatenated).
        With a ``"baseline"`` and one other method, a second panel shows the gain in points.
    """
    set_style()
    require_columns(table, ["method", "width", "accuracy", "pixels"], "plot_trimap")
    two = _has_gain(table)
    fig, axes = plt.subplots(1, 2 if two else 1, figsize=(11 if two else 6.4, 4.2), squeeze=False)
    ax = axes[0, 0]
    colours = method_palette(list(table["method"]))
    for method, part in table.groupby("method", sort=False):
        part = part.sort_values("width")
        ax.plot(part["width"], 100 * part["accuracy"], marker="o", color=colours[method], label=method)
    ax.set_xscale("log", base=2)
    widths = np.sort(table["width"].unique())
    ax.set_xticks(widths, [str(w) for w in widths])
    ax.set_xlabel("band width w (pixels, Chebyshev distance to another gt class)")
    ax.set_ylabel("pixel accuracy in the band (%)")
    ax.legend(title=None, loc="lower right")
    if two:
        gain = _gain(table, "accuracy", "width")
        gx = axes[0, 1]
        values = 100 * gain.to_numpy()
        gx.bar(np.arange(len(gain)), values, color=[GAIN_UP if v >= 0 else GAIN_DOWN for v in values])
        gx.set_xticks(np.arange(len(gain)), [str(w) for w in gain.index])
        gx.axhline(0, color="black", lw=0.8)
        for k, v in enumerate(values):
            gx.text(k, v, f"{v:+.2f}", ha="center", va="bottom" if v >= 0 else "top", fontsize=8)
        pixels = table[table["method"] == "baseline"].set_index("width")["pixels"]
        gx.set_xlabel("band width w (pixels)")
        gx.set_ylabel("refined - baseline (points)")
        gx.set_title(f"gain in the band (band of w={widths[0]}: {int(pixels.iloc[0]):,} px)", fontsize=10,
                     fontweight="normal")
    figure_title(fig, title)
    fig.tight_layout()
    return fig


def _has_gain(table: pd.DataFrame) -> bool:
    """Whether the table compares exactly two methods, one of them the baseline."""
    methods = list(dict.fromkeys(table["method"]))
    return len(methods) == 2 and "baseline" in methods


def _gain(table: pd.DataFrame, value: str, key: str) -> pd.Series:
    """(other method - baseline) of ``value`` per ``key``, for a two-method table."""
    wide = table.pivot_table(index=key, columns="method", values=value, sort=True)
    other = next(c for c in wide.columns if c != "baseline")
    return wide[other] - wide["baseline"]


def plot_per_class_gain(table: pd.DataFrame, *, title: str, top: int | None = None) -> plt.Figure:
    """IoU and Boundary IoU gain of every class (horizontal bars, classes ordered by Boundary IoU gain).

    Parameters
    ----------
    table : ``per_class_gain`` output; classes with neither gain defined are left out.
    top : show only the ``top`` classes with the largest absolute Boundary IoU gain.
    """
    set_style()
    require_columns(table, ["class", "iou_gain", "biou_gain", "iou_baseline", "biou_baseline"], "plot_per_class_gain")
    shown = table[table[["iou_gain", "biou_gain"]].notna().any(axis=1)].copy()
    if top is not None:
        shown = shown.reindex(shown["biou_gain"].abs().sort_values(ascending=False).index[:top])
    shown = shown.sort_values("biou_gain", ascending=False, na_position="last")
    height = 0.32 * len(shown) + 1.6
    fig, axes = plt.subplots(1, 2, figsize=(10.5, height), sharey=True)
    y = np.arange(len(shown))
    for ax, key, name in ((axes[0], "iou", "IoU"), (axes[1], "biou", "Boundary IoU")):
        values = 100 * shown[f"{key}_gain"].to_numpy()
        ax.barh(y, np.nan_to_num(values), color=[GAIN_UP if v >= 0 else GAIN_DOWN for v in np.nan_to_num(values)])
        ax.axvline(0, color="black", lw=0.8)
        for k, (v, base) in enumerate(zip(values, 100 * shown[f"{key}_baseline"].to_numpy(), strict=True)):
            if np.isfinite(v):
                ax.text(v, k, f" {v:+.1f} (from {base:.0f})" if v >= 0 else f"{v:+.1f} (from {base:.0f}) ",
                        va="center", ha="left" if v >= 0 else "right", fontsize=7, color="0.25")
        ax.set_xlabel(f"{name} gain (points)")
        low, high = ax.get_xlim()
        ax.set_xlim(low - 0.35 * (high - low), high + 0.35 * (high - low))
    axes[0].set_yticks(y, shown["class"].tolist())
    axes[0].invert_yaxis()
    figure_title(fig, title)
    fig.tight_layout()
    return fig


def plot_size_gain(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Accuracy on ground-truth objects of each size bin, baseline beside refined, objects counted under bars.

    Parameters
    ----------
    table : ``gain_by_object_size`` output.
    """
    set_style()
    require_columns(table, ["size_bin", "n_objects", "acc_baseline", "acc_refined"], "plot_size_gain")
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    x = np.arange(len(table))
    base, ref = 100 * table["acc_baseline"].to_numpy(), 100 * table["acc_refined"].to_numpy()
    ax.bar(x - 0.2, np.nan_to_num(base), 0.4, label="baseline", color=METHOD_COLOURS["baseline"])
    ax.bar(x + 0.2, np.nan_to_num(ref), 0.4, label="refined", color=METHOD_COLOURS["refined"])
    for k, (b, r) in enumerate(zip(base, ref, strict=True)):
        if np.isfinite(b) and np.isfinite(r):
            ax.text(k, max(b, r) + 1.5, f"{r - b:+.1f}", ha="center", fontsize=8,
                    color=GAIN_UP if r >= b else GAIN_DOWN, fontweight="bold")
    ax.set_xticks(x, [f"{b}\n{n:,} objects" for b, n in zip(table["size_bin"], table["n_objects"], strict=True)])
    ax.set_xlabel("object area in one frame (pixels)")
    ax.set_ylabel("mean pixel accuracy on the object (%)")
    ax.set_ylim(0, 115)
    ax.legend(loc="upper left", ncols=2)
    figure_title(fig, title)
    fig.tight_layout()
    return fig


def plot_vc_over_time(table: pd.DataFrame, *, title: str, n: int, max_videos: int = 6) -> plt.Figure:
    """VC_n of every window, one panel per video (the first ``max_videos``), baseline and refined lines.

    Parameters
    ----------
    table : ``consistency_over_time`` output.
    n : the window length, for the axis label.
    """
    set_style()
    require_columns(table, ["video", "window_start", "vc_baseline", "vc_refined"], "plot_vc_over_time")
    videos = list(dict.fromkeys(table["video"]))[:max_videos]
    if not videos:
        raise ParameterError(f"plot_vc_over_time: no windows to draw (videos shorter than n={n} frames?)")
    cols = min(3, len(videos))
    rows = -(-len(videos) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols, 2.8 * rows), squeeze=False, sharey=True)
    for ax, video in zip(axes.flat, videos):
        part = table[table["video"] == video]
        for key in ("baseline", "refined"):
            values = 100 * part[f"vc_{key}"]
            ax.plot(part["window_start"], values, color=METHOD_COLOURS[key], lw=1.6,
                    label=f"{key} (mean {np.nanmean(values):.1f})")
        ax.fill_between(part["window_start"], 100 * part["vc_baseline"], 100 * part["vc_refined"],
                        where=part["vc_refined"] >= part["vc_baseline"], color=GAIN_UP, alpha=0.15, lw=0)
        ax.fill_between(part["window_start"], 100 * part["vc_baseline"], 100 * part["vc_refined"],
                        where=part["vc_refined"] < part["vc_baseline"], color=GAIN_DOWN, alpha=0.25, lw=0)
        ax.set_title(str(video), fontsize=9, fontweight="normal")
        ax.set_xlabel("first frame of the window")
        ax.legend(fontsize=7, loc="lower left")
    for ax in axes.flat[len(videos):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel(f"VC{n} (%)")
    figure_title(fig, title)
    fig.tight_layout()
    return fig

