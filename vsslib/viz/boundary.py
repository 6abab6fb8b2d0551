"""Plots of where the refiner's gain comes from: boundary bands, trimaps, classes, object sizes, time.

Every function draws a table built from :mod:`vsslib.analysis.boundary` (in percent, with spread over seeds and
95 % intervals over seeds and videos, as the notebook saves it) and returns a Matplotlib figure. Baseline and
refined keep the fixed colours of :data:`METHOD_COLOURS`, or a refined line takes its masklet source's colour
(:data:`SOURCE_COLOURS`) where the figure names the source.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ..base.errors import ParameterError
from ._draw import LABEL_GAP_PT, NOTE_GREY, NOTE_PT, set_style
from .prose import number
from ._draw import (GAIN_DOWN, GAIN_UP, METHOD_COLOURS, figure_title, fit_texts, method_palette, require_columns,
                    source_colour)

__all__ = ["plot_biou_by_dilation", "plot_trimap", "plot_per_class_gain", "plot_size_gain", "plot_vc_over_time"]


LEGEND_BELOW = 0.13
"""Share of the figure's height the two-panel plots keep at the bottom for their legend."""


def plot_biou_by_dilation(table: pd.DataFrame, *, title: str, frame_shape: tuple[int, int] | None = None,
                          default_ratio: float = 0.02) -> plt.Figure:
    """mBIoU against the band's dilation ratio, one line per method, and each refined map's gain.

    Parameters
    ----------
    table : DataFrame[method, ratio, mBIoU, mBIoU_ci_low, mBIoU_ci_high, gain_mBIoU, gain_mBIoU_ci_low,
        gain_mBIoU_ci_high] in percent (:func:`vsslib.study.tables.ratio_rows` of
        :func:`vsslib.analysis.biou_counts_by_dilation`; gains NaN on the baseline's rows).
    title : names the data and the masklet source.
    frame_shape : (H, W); when given, a top axis shows the band width in pixels.
    default_ratio : marked with a dotted line (Boundary IoU's 0.02).

    Returns
    -------
    matplotlib Figure: left, each method's mBIoU (line: mean over seeds, band: 95 % interval over seeds and
    videos); right, refined minus baseline with its paired interval, zero marked.
    """
    from ..metrics import band_width

    fig, axes = _value_and_gain(table, "ratio", "mBIoU", "plot_biou_by_dilation",
                                xlabel="dilation ratio\n(share of the frame diagonal)", ylabel="mBIoU (%)")
    for ax in axes:
        ax.axvline(default_ratio, color="0.4", ls=":", lw=1)
    axes[0].text(default_ratio, 0.02, f" {default_ratio:g} (default)", transform=axes[0].get_xaxis_transform(),
                 fontsize=NOTE_PT, color=NOTE_GREY)
    if frame_shape is not None:
        h, w = frame_shape
        ratios = sorted(set(table["ratio"]))  # ticks at the plotted ratios, labelled with the rounded d they give
        top = axes[0].secondary_xaxis("top", functions=(lambda r: r, lambda r: r))
        top.set_xticks(ratios, labels=[f"{band_width(h, w, r):g}" for r in ratios])
        top.set_xlabel(f"band width d at each ratio (pixels, on {h} x {w} frames)", fontsize=8)
    figure_title(fig, title)
    fig.tight_layout(rect=(0, LEGEND_BELOW, 1, 1))
    return fig


def plot_trimap(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Trimap curves: pixel accuracy in the band of width w around gt boundaries, one line per method, and gains.

    Parameters
    ----------
    table : DataFrame[method, width, pixels, accuracy, accuracy_ci_low, accuracy_ci_high, gain_accuracy,
        gain_accuracy_ci_low, gain_accuracy_ci_high] in percent (:func:`vsslib.study.tables.ratio_rows` of
        :func:`vsslib.analysis.trimap_counts`).

    Returns
    -------
    matplotlib Figure: left, accuracy per method (band: 95 % interval over seeds and videos); right, refined minus
    baseline with its paired interval, zero marked.
    """
    fig, axes = _value_and_gain(table, "width", "accuracy", "plot_trimap",
                                xlabel="band width w (pixels; Chebyshev\ndistance to another gt class)",
                                ylabel="pixel accuracy in the band (%)")
    widths = np.sort(table["width"].unique())
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_xticks(widths, [str(w) for w in widths])
    if "pixels" in table.columns:
        pixels = table[table["width"] == widths[0]]["pixels"].iloc[0]
        axes[1].set_title(f"gain in the band (band of w={widths[0]}: {int(pixels):,} px)", fontsize=10,
                          fontweight="normal")
    figure_title(fig, title)
    fig.tight_layout(rect=(0, LEGEND_BELOW, 1, 1))
    return fig


def _value_and_gain(table: pd.DataFrame, key: str, value: str, what: str, *, xlabel: str,
                    ylabel: str) -> tuple[plt.Figure, np.ndarray]:
    """Two panels: ``value`` per method against ``key`` with interval bands; ``gain_<value>`` per compared method."""
    set_style()
    bounds = [f"{value}_ci_low", f"{value}_ci_high"]
    gains = [f"gain_{value}", f"gain_{value}_ci_low", f"gain_{value}_ci_high"]
    require_columns(table, ["method", key, value, *bounds, *gains], what)
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 4.0))  # the page's width: text at its size
    colours = method_palette(list(table["method"]))
    for method, part in table.groupby("method", sort=False):
        part = part.sort_values(key)
        axes[0].plot(part[key], part[value], marker="o", color=colours[method], label=method)
        axes[0].fill_between(part[key], part[bounds[0]], part[bounds[1]], color=colours[method], alpha=0.18, lw=0)
        if part[gains[0]].notna().any():
            axes[1].plot(part[key], part[gains[0]], marker="o", color=colours[method], label=method)
            axes[1].fill_between(part[key], part[gains[1]], part[gains[2]], color=colours[method], alpha=0.18, lw=0)
    axes[1].axhline(0, color="black", lw=0.8)
    axes[0].set_ylabel(ylabel)
    axes[1].set_ylabel("refined - baseline (points)")
    axes[1].set_title("gain over the baseline", fontsize=10, fontweight="normal")
    for ax in axes:
        ax.set_xlabel(xlabel)
    handles, labels = axes[0].get_legend_handles_labels()  # below both panels: it covers no point
    fig.legend(handles, labels, loc="lower center", ncols=min(len(labels), 4), fontsize=8.5, frameon=False,
               title="line: mean over seeds; band: 95 % interval over seeds and videos", title_fontsize=8.5)
    return fig, axes


def plot_per_class_gain(table: pd.DataFrame, *, title: str, top: int | None = None) -> plt.Figure:
    """IoU and Boundary IoU gain of every class with its interval (classes ordered by Boundary IoU gain).

    Parameters
    ----------
    table : :func:`vsslib.analysis.per_class_summary` output (percent): ``class``, ``iou_baseline``,
        ``biou_baseline``, ``gain_iou``, ``gain_biou`` and their ``_ci_low`` / ``_ci_high``; classes with
        neither gain defined are left out.
    top : show only the ``top`` classes with the largest absolute Boundary IoU gain.

    Returns
    -------
    matplotlib Figure: bars are means over seeds, whiskers 95 % intervals over seeds and videos; a bar is green
    where its interval lies above zero, orange where below, grey where it holds zero. Each gain and its baseline
    score are written beside the zero line on the side away from the bar, so the axes keep the data's range.
    """
    set_style()
    needed = ["class", "iou_baseline", "biou_baseline",
              *(f"gain_{k}{s}" for k in ("iou", "biou") for s in ("", "_ci_low", "_ci_high"))]
    require_columns(table, needed, "plot_per_class_gain")
    shown = table[table[["gain_iou", "gain_biou"]].notna().any(axis=1)].copy()
    if top is not None:
        shown = shown.reindex(shown["gain_biou"].abs().sort_values(ascending=False).index[:top])
    shown = shown.sort_values("gain_biou", ascending=False, na_position="last")
    height = 0.32 * len(shown) + 2.0
    fig, axes = plt.subplots(1, 2, figsize=(9.0, height), sharey=True)
    y = np.arange(len(shown))
    for ax, key, name in ((axes[0], "iou", "IoU"), (axes[1], "biou", "Boundary IoU")):
        values = shown[f"gain_{key}"].to_numpy(dtype=np.float64)
        low = shown[f"gain_{key}_ci_low"].to_numpy(dtype=np.float64)
        high = shown[f"gain_{key}_ci_high"].to_numpy(dtype=np.float64)
        colours = [GAIN_UP if lo > 0 else GAIN_DOWN if hi < 0 else "0.65" for lo, hi in zip(low, high, strict=True)]
        ax.barh(y, np.nan_to_num(values), color=colours)
        ax.errorbar(np.nan_to_num(values), y, xerr=[np.nan_to_num(values - low), np.nan_to_num(high - values)],
                    fmt="none", ecolor="0.2", elinewidth=0.8, capsize=2)
        ax.axvline(0, color="black", lw=0.8)
        for k, (v, lo, hi, base) in enumerate(zip(values, low, high, shown[f"{key}_baseline"], strict=True)):
            if np.isfinite(v):  # on the far side of zero from its bar (and whisker): the range stays the data's
                right = v < 0
                edge = max(0.0, hi) if right and np.isfinite(hi) else min(0.0, lo) if np.isfinite(lo) else 0.0
                ax.annotate(f"{number(v)} (from {base:.0f})", (edge, k), textcoords="offset points",
                            xytext=(LABEL_GAP_PT if right else -LABEL_GAP_PT, 0), va="center",
                            ha="left" if right else "right", fontsize=NOTE_PT, color=NOTE_GREY)
        ax.set_xlabel(f"{name} gain (points)")
    axes[0].set_yticks(y, shown["class"].tolist())
    axes[0].invert_yaxis()
    handles = [Patch(color=GAIN_UP, label="interval above 0"), Patch(color=GAIN_DOWN, label="interval below 0"),
               Patch(color="0.65", label="interval holds 0")]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=8,
               title="bars: mean over seeds; whiskers: 95 % interval over seeds and videos", title_fontsize=8)
    figure_title(fig, title)
    for _ in range(2):  # the labels inside the axes first, so the layout keeps no room for them outside
        fig.tight_layout(rect=(0, 0.6 / height, 1, 1))
        for ax in axes:
            fit_texts(ax)
    return fig


def plot_size_gain(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Accuracy on ground-truth objects of each size bin, one bar per method, and each gain with its interval.

    Parameters
    ----------
    table : DataFrame[method, size_bin, n_objects, accuracy, accuracy_ci_low, accuracy_ci_high, gain_accuracy,
        gain_accuracy_ci_low, gain_accuracy_ci_high] in percent (:func:`vsslib.tables.ratio_rows` of
        :func:`vsslib.analysis.object_size_counts`).

    Returns
    -------
    matplotlib Figure at the page's width. Top: accuracy (0-100 %) per size bin and method, bars the mean over
    seeds, whiskers 95 % intervals over seeds and videos, object-frames (an object once in each frame it is in)
    counted under the bins. Bottom: each compared method's gain over the baseline (points) with its paired
    interval, in the method's colour: a filled dot where the interval excludes zero, a hollow one where it
    holds zero.
    """
    set_style()
    needed = ["method", "size_bin", "n_objects", "accuracy", "accuracy_ci_low", "accuracy_ci_high",
              "gain_accuracy", "gain_accuracy_ci_low", "gain_accuracy_ci_high"]
    require_columns(table, needed, "plot_size_gain")
    methods = list(dict.fromkeys(table["method"]))
    bins = list(dict.fromkeys(table["size_bin"]))
    colours = method_palette(methods)
    fig, (ax, gain_ax) = plt.subplots(2, 1, figsize=(9.0, 6.2), sharex=True, gridspec_kw={"height_ratios": (2, 1)})
    width = 0.8 / len(methods)
    x = np.arange(len(bins))
    for k, method in enumerate(methods):
        part = table[table["method"] == method].set_index("size_bin").reindex(bins)
        offset = x + (k - (len(methods) - 1) / 2) * width
        mean = part["accuracy"].to_numpy(dtype=np.float64)
        errors = [np.nan_to_num(mean - part["accuracy_ci_low"].to_numpy(dtype=np.float64)),
                  np.nan_to_num(part["accuracy_ci_high"].to_numpy(dtype=np.float64) - mean)]
        ax.bar(offset, np.nan_to_num(mean), width, color=colours[method], label=method)
        whiskers = ax.errorbar(offset, np.nan_to_num(mean), yerr=errors, fmt="none", ecolor="0.2", elinewidth=0.8,
                               capsize=2)
        for artist in (*whiskers.lines[1], *whiskers.lines[2]):  # a cap at 100 % drawn over the frame, not hidden
            artist.set_clip_on(False)
            artist.set_zorder(3)
        gain = part["gain_accuracy"].to_numpy(dtype=np.float64)
        if not np.isfinite(gain).any():
            continue
        low = part["gain_accuracy_ci_low"].to_numpy(dtype=np.float64)
        high = part["gain_accuracy_ci_high"].to_numpy(dtype=np.float64)
        for j in np.flatnonzero(np.isfinite(gain)):
            colour = colours[method]
            settled = low[j] > 0 or high[j] < 0
            gain_ax.errorbar(offset[j], gain[j], yerr=[[gain[j] - low[j]], [high[j] - gain[j]]], fmt="o",
                             color=colour, ecolor=colour, elinewidth=1.5, capsize=3, markersize=6,
                             markerfacecolor=colour if settled else "white", markeredgewidth=1.5)
            below = gain[j] < 0  # a loss is labelled under its whisker, a gain over it: never across the zero line
            gain_ax.annotate(number(gain[j]), (offset[j], low[j] if below else high[j]), textcoords="offset points",
                             xytext=(0, -3 if below else 3), ha="center", va="top" if below else "bottom",
                             fontsize=8, color=colour)
        gain_ax.plot([], [], "s", color=colours[method], label=method)
    objects = table.drop_duplicates("size_bin").set_index("size_bin")["n_objects"].reindex(bins)
    gain_ax.set_xticks(x, [f"{b}\n{n:,.0f}\nobject-frames" for b, n in zip(bins, objects, strict=True)])
    gain_ax.set_xlabel("object area in one frame (pixels)")
    gain_ax.axhline(0, color="0.2", lw=0.8)
    gain_ax.set_ylabel("gain over the\nbaseline (points)")
    gain_ax.margins(y=0.25)
    ax.set_ylabel("mean pixel accuracy\non the object (%)")
    ax.set_ylim(0, 100)
    # above the panel: inside, it covered the whiskers of the tallest bars
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=min(len(methods), 4), fontsize=8.5, frameon=False)
    fig.text(0.99, 0.005, "bars and dots: mean over seeds; whiskers: 95 % interval over seeds and videos (gains "
             "paired);\nfilled dot: the interval excludes zero, hollow: it holds zero", ha="right", va="bottom",
             fontsize=NOTE_PT, color=NOTE_GREY)
    figure_title(fig, title)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def plot_vc_over_time(table: pd.DataFrame, *, title: str, n: int, max_videos: int = 6,
                      key_every: int | None = None, source: str = "") -> plt.Figure:
    """VC_n of every window, one panel per video (the first ``max_videos``), baseline and refined lines.

    Parameters
    ----------
    table : DataFrame[video, window_start, vc_baseline, vc_refined] in percent (``consistency_over_time``
        output times 100, or its mean over seeds); optional ``vc_baseline_sd`` / ``vc_refined_sd`` (sd over
        seeds) are drawn as dashed lines at mean ± sd.
    n : the window length, for the axis label.
    key_every : the masklets' window length: the windows of n frames (frames i .. i+n-1) that span a
        re-proposal, holding frames on both sides of a masklet key frame K (a multiple of ``key_every``, not 0:
        starts K-n+1 .. K-1), are shaded grey.
    source : the masklet source of the refined line: it is labelled ``refined (source)`` and drawn in the
        source's own colour (:func:`source_colour`), as in every other figure; "" keeps the refined colour.

    Returns
    -------
    matplotlib Figure at the page's width, each panel titled with its video and both means; a note says how
    many of the table's videos are shown.
    """
    set_style()
    require_columns(table, ["video", "window_start", "vc_baseline", "vc_refined"], "plot_vc_over_time")
    videos = list(dict.fromkeys(table["video"]))[:max_videos]
    if not videos:
        raise ParameterError(f"plot_vc_over_time: no windows to draw (videos shorter than n={n} frames?)")
    cols = min(3, len(videos))
    rows = -(-len(videos) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.5 * rows + 0.9), squeeze=False, sharey=True)
    colours = {"baseline": METHOD_COLOURS["baseline"],
               "refined": (source_colour(source) if source else None) or METHOD_COLOURS["refined"]}
    labels = {"baseline": "baseline", "refined": f"refined ({source})" if source else "refined"}
    for ax, video in zip(axes.flat, videos):
        part = table[table["video"] == video]
        if key_every:
            for key_frame in range(key_every, int(part["window_start"].max()) + n, key_every):
                # windows i .. i+n-1 with frames on both sides of the key frame: starts key-n+1 .. key-1
                ax.axvspan(key_frame - n + 0.5, key_frame - 0.5, ymin=0.93, ymax=1.0, color="0.45", lw=0,
                           zorder=0)  # a strip along the top: no grey behind the grey baseline line
        for key in ("baseline", "refined"):
            values = part[f"vc_{key}"]
            ax.plot(part["window_start"], values, color=colours[key], lw=1.6, label=labels[key])
            if f"vc_{key}_sd" in part.columns and part[f"vc_{key}_sd"].notna().any():
                spread = part[f"vc_{key}_sd"]
                ax.plot(part["window_start"], values - spread, color=colours[key], lw=0.6, ls="--")
                ax.plot(part["window_start"], values + spread, color=colours[key], lw=0.6, ls="--")
        ax.fill_between(part["window_start"], part["vc_baseline"], part["vc_refined"],
                        where=part["vc_refined"] >= part["vc_baseline"], color=GAIN_UP, alpha=0.15, lw=0)
        ax.fill_between(part["window_start"], part["vc_baseline"], part["vc_refined"],
                        where=part["vc_refined"] < part["vc_baseline"], color=GAIN_DOWN, alpha=0.25, lw=0)
        ax.set_title(f"{video}\nmeans: {np.nanmean(part['vc_baseline']):.1f} / {np.nanmean(part['vc_refined']):.1f}",
                     fontsize=9, fontweight="normal")
        ax.set_xlabel("first frame of the window", fontsize=9)
        ax.set_xlim(part["window_start"].min() - 0.5, part["window_start"].max() + 0.5)  # shading never widens it
    for ax in axes.flat[len(videos):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel(f"VC{n} (%)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    handles += [Patch(color=GAIN_UP, alpha=0.15, label="refined steadier"),
                Patch(color=GAIN_DOWN, alpha=0.25, label="refined flickers more")]
    if key_every:
        handles.append(Patch(color="0.45", label=f"top strip: window spans a re-proposal (new masklets every "
                                                 f"{key_every} frames)"))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 3), frameon=False, fontsize=8.5,
               bbox_to_anchor=(0.5, 0.04))
    total = table["video"].nunique()
    note = f"the first {len(videos)} of {total} videos; titles: mean baseline / refined"
    if any(f"vc_{key}_sd" in table.columns for key in ("baseline", "refined")):
        note += "; lines: mean over seeds, dashed: mean ± sd over seeds"
    fig.text(0.5, 0.0, note, ha="center", va="bottom", fontsize=NOTE_PT, color=NOTE_GREY)
    figure_title(fig, title)
    fig.tight_layout(rect=(0, 0.15, 1, 1))
    return fig

