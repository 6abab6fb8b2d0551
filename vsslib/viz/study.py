"""Plots of the study: the method step by step, gains, boundary analyses, failure cases, cost, animations.

Every function draws numbers computed elsewhere (:mod:`vsslib.analysis`, :mod:`vsslib.pipeline`) and
returns a Matplotlib figure, except :func:`write_animation`, which writes a GIF. Titles are passed in by the
caller and should name the data and the masklet source, e.g. ``"Trimap accuracy | fcn8-small + sam2
masklets | synth, val"``. Colours: the baseline is always slate grey, the refined map teal, and masklets
are drawn by :mod:`vsslib.viz.masks` (a fixed colour per id), so figures of different notebooks read alike.
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from .._io import write_bytes_atomic
from ..errors import ParameterError
from . import colorize, overlay, set_style
from .masks import masklet_outlines, overlay_masklets

__all__ = ["METHOD_COLOURS", "legend_patches", "plot_steps",
           "plot_gains", "plot_lines", "plot_biou_by_dilation", "plot_trimap", "plot_per_class_gain",
           "plot_size_gain", "plot_vc_over_time", "plot_failure_causes", "plot_failure_panel", "plot_stage_times",
           "plot_sam2_cost", "plot_memory_by_length", "write_animation"]

METHOD_COLOURS = {"baseline": "#8d99ae", "refined": "#2a9d8f"}
"""Fixed colours of the two maps every comparison shows; other method names get seaborn's "deep" colours."""

_GAIN_UP, _GAIN_DOWN = "#2a9d8f", "#e76f51"
_CAUSE_COLOURS = {"late_entry": "#e9c46a", "small_or_thin": "#f4a261", "drift": "#e76f51", "spanning": "#9b5de5",
                  "other": "#adb5bd"}
_CULPRIT = (255, 40, 40)  # red: the masklet blamed


# ------------------------------------------------------------------------------------ image helpers
def legend_patches(class_names: Sequence[str], palette: np.ndarray, present: Sequence[int]) -> list[Patch]:
    """Legend handles for the classes ``present``, in their palette colours."""
    return [Patch(facecolor=np.asarray(palette[c]) / 255.0, edgecolor="0.3", label=class_names[c]) for c in present]


def _mark(image: np.ndarray, where: np.ndarray, colour: tuple[int, int, int], *, thickness: int = 1) -> np.ndarray:
    """``image`` with the inner border (``thickness`` pixels) of the ``where`` region painted in ``colour``."""
    import cv2

    region = np.asarray(where, bool)
    inner = cv2.erode(region.view(np.uint8), np.ones((3, 3), np.uint8), iterations=thickness,
                      borderType=cv2.BORDER_REPLICATE).astype(bool)
    out = image.copy()
    out[region & ~inner] = colour
    return out


def _errors(image: np.ndarray, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Outline the wrong pixels (ground truth not ignored) in red."""
    return _mark(image, (pred != gt) & (gt != 255), (230, 30, 30))


def _method_palette(names: Sequence[str]) -> dict[str, str]:
    import seaborn as sns

    others = [n for n in dict.fromkeys(names) if n not in METHOD_COLOURS]
    deep = sns.color_palette("deep", len(others) + 2).as_hex()[2:]
    return {**{n: c for n, c in METHOD_COLOURS.items() if n in names}, **dict(zip(others, deep, strict=True))}


def _title(fig: plt.Figure, title: str) -> None:
    """Figure title, wrapped to the figure's width."""
    fig.suptitle(textwrap.fill(title, width=max(int(fig.get_figwidth() * 9), 40)))


def _require(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ParameterError(f"{what}: the table lacks column(s) {missing}; it has {list(table.columns)}")


# --------------------------------------------------------------------------------- method overview
def plot_steps(frame: np.ndarray, gt: np.ndarray, baseline: np.ndarray, masklets: np.ndarray, refined: np.ndarray,
               palette: np.ndarray, class_names: Sequence[str], *, title: str) -> plt.Figure:
    """The refiner on one frame: frame, ground truth, baseline, masklets, refined (errors outlined in red).

    Parameters
    ----------
    frame : (H, W, 3) uint8. gt, baseline, refined : (H, W) label maps. masklets : (H, W) int32 ids.
    palette : (C, 3) uint8. class_names : C names (the legend lists the classes in the ground truth).
    """
    set_style()
    height, width = np.asarray(gt).shape
    fig, axes = plt.subplots(1, 5, figsize=(17, 3.3 * height / width + 1.3))
    panels = [("frame", frame), ("ground truth", overlay(frame, gt, palette, alpha=0.7)),
              ("baseline (errors in red)", _errors(overlay(frame, baseline, palette, alpha=0.7), baseline, gt)),
              (f"masklets ({len(np.unique(masklets[masklets >= 0]))})", overlay_masklets(frame, masklets)),
              ("refined (errors in red)", _errors(overlay(frame, refined, palette, alpha=0.7), refined, gt))]
    for ax, (name, image) in zip(axes, panels, strict=True):
        ax.imshow(image)
        ax.set_title(name)
        ax.axis("off")
    present = sorted(set(np.unique(gt).tolist()) - {255})
    fig.legend(handles=legend_patches(class_names, palette, present), loc="lower center",
               ncol=min(len(present), 10), frameon=False, bbox_to_anchor=(0.5, 0.0))
    _title(fig, title)
    fig.tight_layout(rect=(0, 0.1 * (1 + (len(present) - 1) // 10), 1, 1))
    return fig


def plot_gains(table: pd.DataFrame, *, title: str,
               metrics: Sequence[str] = ("mIoU", "mBIoU", "mVC8", "mVC16")) -> plt.Figure:
    """Gain (refined - baseline, points) of each metric: one panel per baseline, one colour per masklet source.

    Parameters
    ----------
    table : DataFrame[baseline, method, masklets, <metrics>]; one ``method == "baseline"`` row per baseline
        and one ``"refined"`` row per (baseline, masklet source); metric values in points.
    """
    import seaborn as sns

    set_style()
    _require(table, ["baseline", "method", "masklets", *metrics], "plot_gains")
    rows = []
    for baseline, group in table.groupby("baseline", sort=False):
        reference = group[group["method"] == "baseline"].iloc[0]
        for _, row in group[group["method"] != "baseline"].iterrows():
            rows.extend({"baseline": baseline, "masklets": row["masklets"], "metric": m,
                         "gain": row[m] - reference[m]} for m in metrics)
    gains = pd.DataFrame(rows)
    grid = sns.catplot(data=gains, x="metric", y="gain", hue="masklets", col="baseline", kind="bar", height=3.4,
                       aspect=1.2, palette="deep")
    for ax in grid.axes.flat:
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel("gain over the baseline (points)")
        for container in ax.containers:
            ax.bar_label(container, fmt="%+.1f", fontsize=7, padding=1)
    grid.figure.suptitle(title, y=1.04)
    return grid.figure


def plot_lines(data: pd.DataFrame, *, x: str, y: str, hue: str, title: str, xlabel: str, ylabel: str,
               logx: bool = False) -> plt.Figure:
    """A line per ``hue`` value, with markers (for sweeps)."""
    import seaborn as sns

    set_style()
    _require(data, [x, y, hue], "plot_lines")
    fig, ax = plt.subplots(figsize=(6.4, 4))
    sns.lineplot(data=data, x=x, y=y, hue=hue, marker="o", ax=ax, palette=_method_palette(list(data[hue])))
    ax.set(xlabel=xlabel, ylabel=ylabel)
    _title(fig, title)
    if logx:
        ax.set_xscale("log")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------- boundaries
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
    _require(table, ["method", "ratio", "mbiou"], "plot_biou_by_dilation")
    fig, ax = plt.subplots(figsize=(6.6, 4.2))
    colours = _method_palette(list(table["method"]))
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
    _title(fig, title)
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
    _require(table, ["method", "width", "accuracy", "pixels"], "plot_trimap")
    two = _has_gain(table)
    fig, axes = plt.subplots(1, 2 if two else 1, figsize=(11 if two else 6.4, 4.2), squeeze=False)
    ax = axes[0, 0]
    colours = _method_palette(list(table["method"]))
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
        gx.bar(np.arange(len(gain)), values, color=[_GAIN_UP if v >= 0 else _GAIN_DOWN for v in values])
        gx.set_xticks(np.arange(len(gain)), [str(w) for w in gain.index])
        gx.axhline(0, color="black", lw=0.8)
        for k, v in enumerate(values):
            gx.text(k, v, f"{v:+.2f}", ha="center", va="bottom" if v >= 0 else "top", fontsize=8)
        pixels = table[table["method"] == "baseline"].set_index("width")["pixels"]
        gx.set_xlabel("band width w (pixels)")
        gx.set_ylabel("refined - baseline (points)")
        gx.set_title(f"gain in the band (band of w={widths[0]}: {int(pixels.iloc[0]):,} px)", fontsize=10,
                     fontweight="normal")
    _title(fig, title)
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
    _require(table, ["class", "iou_gain", "biou_gain", "iou_baseline", "biou_baseline"], "plot_per_class_gain")
    shown = table[table[["iou_gain", "biou_gain"]].notna().any(axis=1)].copy()
    if top is not None:
        shown = shown.reindex(shown["biou_gain"].abs().sort_values(ascending=False).index[:top])
    shown = shown.sort_values("biou_gain", ascending=False, na_position="last")
    height = 0.32 * len(shown) + 1.6
    fig, axes = plt.subplots(1, 2, figsize=(10.5, height), sharey=True)
    y = np.arange(len(shown))
    for ax, key, name in ((axes[0], "iou", "IoU"), (axes[1], "biou", "Boundary IoU")):
        values = 100 * shown[f"{key}_gain"].to_numpy()
        ax.barh(y, np.nan_to_num(values), color=[_GAIN_UP if v >= 0 else _GAIN_DOWN for v in np.nan_to_num(values)])
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
    _title(fig, title)
    fig.tight_layout()
    return fig


def plot_size_gain(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Accuracy on ground-truth objects of each size bin, baseline beside refined, objects counted under bars.

    Parameters
    ----------
    table : ``gain_by_object_size`` output.
    """
    set_style()
    _require(table, ["size_bin", "n_objects", "acc_baseline", "acc_refined"], "plot_size_gain")
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    x = np.arange(len(table))
    base, ref = 100 * table["acc_baseline"].to_numpy(), 100 * table["acc_refined"].to_numpy()
    ax.bar(x - 0.2, np.nan_to_num(base), 0.4, label="baseline", color=METHOD_COLOURS["baseline"])
    ax.bar(x + 0.2, np.nan_to_num(ref), 0.4, label="refined", color=METHOD_COLOURS["refined"])
    for k, (b, r) in enumerate(zip(base, ref, strict=True)):
        if np.isfinite(b) and np.isfinite(r):
            ax.text(k, max(b, r) + 1.5, f"{r - b:+.1f}", ha="center", fontsize=8,
                    color=_GAIN_UP if r >= b else _GAIN_DOWN, fontweight="bold")
    ax.set_xticks(x, [f"{b}\n{n:,} objects" for b, n in zip(table["size_bin"], table["n_objects"], strict=True)])
    ax.set_xlabel("object area in one frame (pixels)")
    ax.set_ylabel("mean pixel accuracy on the object (%)")
    ax.set_ylim(0, 115)
    ax.legend(loc="upper left", ncols=2)
    _title(fig, title)
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
    _require(table, ["video", "window_start", "vc_baseline", "vc_refined"], "plot_vc_over_time")
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
                        where=part["vc_refined"] >= part["vc_baseline"], color=_GAIN_UP, alpha=0.15, lw=0)
        ax.fill_between(part["window_start"], 100 * part["vc_baseline"], 100 * part["vc_refined"],
                        where=part["vc_refined"] < part["vc_baseline"], color=_GAIN_DOWN, alpha=0.25, lw=0)
        ax.set_title(str(video), fontsize=9, fontweight="normal")
        ax.set_xlabel("first frame of the window")
        ax.legend(fontsize=7, loc="lower left")
    for ax in axes.flat[len(videos):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel(f"VC{n} (%)")
    _title(fig, title)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------ failures
def plot_failure_causes(summary: pd.DataFrame, *, title: str, total_cost: float | None = None) -> plt.Figure:
    """Damaged pixels and the mIoU each cause costs, one bar per cause.

    Parameters
    ----------
    summary : ``FailureReport.summary()``: DataFrame[cause, events, pixels, pixel_share, miou_cost].
    total_cost : mIoU (0..1) regained by undoing all damage at once (``scores()["miou_all_restored"] -
        scores()["miou_refined"]``), drawn as a dashed line: costs of single causes do not add up to it.
    """
    set_style()
    _require(summary, ["cause", "events", "pixels", "pixel_share", "miou_cost"], "plot_failure_causes")
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 0.45 * len(summary) + 1.8), sharey=True)
    y = np.arange(len(summary))
    colours = [_CAUSE_COLOURS.get(c, "0.6") for c in summary["cause"]]
    axes[0].barh(y, 100 * summary["pixel_share"], color=colours)
    for k, row in enumerate(summary.itertuples(index=False)):
        axes[0].text(100 * row.pixel_share, k, f" {row.pixels:,} px, {row.events:,} events", va="center",
                     fontsize=8)
    axes[0].set_xlabel("share of the damaged pixels (%)\n(damaged: baseline right, refined wrong)")
    axes[0].set_xlim(0, max(100 * summary["pixel_share"].max(), 1) * 1.6)
    cost = 100 * summary["miou_cost"].to_numpy()
    axes[1].barh(y, cost, color=colours)
    for k, v in enumerate(cost):
        axes[1].text(v, k, f" {v:.2f}", va="center", fontsize=8)
    axes[1].set_xlabel("mIoU cost (points)\n(regained by giving its damaged pixels the baseline back)")
    axes[1].set_xlim(0, max(cost.max(), 0.01) * 1.3)
    if total_cost is not None:
        axes[1].axvline(100 * total_cost, color="0.3", ls="--", lw=1)
        axes[1].text(100 * total_cost, 1.0, f"all causes at once: {100 * total_cost:.2f} ",
                     transform=axes[1].get_xaxis_transform(), fontsize=8, va="bottom", ha="right", color="0.3")
        axes[1].set_xlim(0, max(cost.max(), 100 * total_cost, 0.01) * 1.3)
    axes[0].set_yticks(y, [c.replace("_", " ") for c in summary["cause"]])
    axes[0].invert_yaxis()
    _title(fig, title)
    fig.tight_layout()
    return fig


def plot_failure_panel(examples: Sequence[Mapping[str, Any]], palette: np.ndarray, *, title: str) -> plt.Figure:
    """One row per failure example: frame, ground truth, baseline, masklets, refined.

    Parameters
    ----------
    examples : mappings with ``"image"`` (H, W, 3) uint8, ``"gt"``, ``"baseline"``, ``"refined"`` (H, W)
        label maps, ``"masklets"`` (H, W) int32, and the row of ``FailureReport.examples``: ``"video"``,
        ``"frame"`` (index), ``"cause"``, ``"masklet"`` (id, -1 = none), ``"pixels"``.
    palette : (C, 3) uint8.

    Notes
    -----
    The blamed masklet is outlined in red (the other masklets faded); on the refined panel its damaged
    pixels (baseline right, refined wrong; all damaged pixels when no masklet is blamed) keep their colour,
    outlined in black, and the rest is faded.
    """
    set_style()
    if not examples:
        raise ParameterError("plot_failure_panel: no examples to draw")
    height, width = np.asarray(examples[0]["gt"]).shape
    fig, axes = plt.subplots(len(examples), 5, figsize=(15, len(examples) * (3.0 * height / width + 0.35) + 0.5),
                             squeeze=False)
    names = ["frame", "ground truth", "baseline", "masklets (blamed one in red)",
             "refined (its damage bright, rest faded)"]
    for r, ex in enumerate(examples):
        gt, base, ref, ids = (np.asarray(ex[k]) for k in ("gt", "baseline", "refined", "masklets"))
        damaged = (gt != 255) & (base == gt) & (ref != gt)
        blamed = ids == ex["masklet"] if ex["masklet"] >= 0 else np.zeros(ids.shape, bool)
        masks = overlay_masklets(ex["image"], ids)
        masks = np.where(blamed[..., None] | (ids < 0)[..., None], masks, _fade(masks, 0.45))
        masks = _mark(masks, blamed, _CULPRIT, thickness=2)
        focus = damaged & blamed if ex["masklet"] >= 0 else damaged
        refined = colorize(ref, palette)
        refined = _mark(np.where(focus[..., None], refined, _fade(refined, 0.7)), focus, (0, 0, 0))
        images = [ex["image"], colorize(gt, palette), colorize(base, palette), masks, refined]
        for c, image in enumerate(images):
            ax = axes[r, c]
            ax.imshow(image)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if r == 0:
                ax.set_title(names[c], fontsize=9)
        axes[r, 0].set_ylabel(f"{str(ex['cause']).replace('_', ' ')}\n{ex['video']} frame {ex['frame']}\n"
                              f"{ex['pixels']:,} px damaged", fontsize=8)
    _title(fig, title)
    fig.tight_layout()
    return fig


def _fade(image: np.ndarray, amount: float) -> np.ndarray:
    """Blend an (H, W, 3) uint8 image towards white by ``amount``."""
    return ((1 - amount) * image.astype(np.float32) + amount * 255.0).round().astype(np.uint8)


# ---------------------------------------------------------------------------------------------- cost
def plot_stage_times(table: pd.DataFrame, *, title: str, log: bool = True) -> plt.Figure:
    """Seconds per frame of each stage (``time_stages`` output: DataFrame[stage, seconds_per_frame, ...]).

    An optional ``setting`` column is appended to the stage names; ``min_seconds`` / ``max_seconds`` with
    ``frames`` draw the spread of the repeats as error bars.
    """
    set_style()
    _require(table, ["stage", "seconds_per_frame"], "plot_stage_times")
    labels = [f"{s} [{v}]" if "setting" in table and isinstance(v, str) and v else str(s)
              for s, v in zip(table["stage"], table.get("setting", pd.Series([""] * len(table))), strict=True)]
    fig, ax = plt.subplots(figsize=(7.8, 0.45 * len(table) + 1.6))
    y = np.arange(len(table))
    values = table["seconds_per_frame"].to_numpy()
    spread = None
    if {"min_seconds", "max_seconds", "frames"} <= set(table.columns):
        spread = np.stack([values - table["min_seconds"] / table["frames"],
                           table["max_seconds"] / table["frames"] - values])
    ax.barh(y, values, xerr=spread, color="#457b9d", ecolor="0.3", capsize=3)
    ends = values if spread is None else values + spread[1]
    for k, (v, end) in enumerate(zip(values, ends, strict=True)):
        ax.text(end * (1.12 if log else 1.02), k, _seconds(v), va="center", fontsize=8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
        ax.set_xlim(values[values > 0].min() / 3, ends.max() * 12)
    ax.set_xlabel("seconds per frame" + (" (log scale)" if log else ""))
    _title(fig, title)
    fig.tight_layout()
    return fig


def _seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.1f} s"
    if value >= 1e-3:
        return f"{1e3 * value:.1f} ms"
    return f"{1e6 * value:.0f} µs"


def plot_sam2_cost(cost: Any, *, title: str) -> plt.Figure:
    """SAM2's cost: generator time against the point grid, propagation time per frame, cost per video frame.

    Parameters
    ----------
    cost : :class:`vsslib.analysis.SAM2Cost`.
    title : names the model, the device and the weights (random weights: compute is the same, but the
        number of masks kept is not, hence seeded masks for propagation).
    """
    set_style()
    gen, frames, prop = cost.generator, cost.frames, cost.propagation
    n_objects = int(cost.settings["n_objects"])
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.4), gridspec_kw={"width_ratios": [1, 1.3, 1]})
    ax = axes[0]
    x = np.arange(len(gen))
    predicted = gen["extrapolated"].to_numpy(bool) if "extrapolated" in gen else np.zeros(len(gen), bool)
    bars = ax.bar(x, gen["seconds"], color="#457b9d")
    for bar, guess in zip(bars, predicted, strict=True):
        if guess:
            bar.set(facecolor="white", edgecolor="#457b9d", hatch="//")
    for k, (row, guess) in enumerate(zip(gen.itertuples(index=False), predicted, strict=True)):
        ax.text(k, row.seconds, f"{row.seconds:.1f} s{' (extrapolated)' if guess else ''}\n"
                f"{row.candidates:,} candidates", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [f"{g} x {g}" for g in gen["points_per_side"]])
    ax.set_ylim(0, max(gen["seconds"].max(), 1e-3) * 1.3)
    ax.set_xlabel("generator point grid (points per side)")
    ax.set_ylabel("seconds for one key frame")
    ax.set_title("automatic mask generator", fontsize=10)

    ax = axes[1]
    measured = frames[frames["measured"]]
    ax.plot(measured["frame"], measured["seconds"], marker="o", ms=3, color="#1d3557", label="measured")
    if (~frames["measured"]).any():
        rest = frames[frames["frame"] >= measured["frame"].max()]
        ax.plot(rest["frame"], rest["seconds"], ls="--", color="#1d3557", alpha=0.6,
                label="extrapolated at the flat rate (full memory bank)")
    for window in prop["window"]:
        ax.axvline(window - 0.5, color="0.6", ls=":", lw=1)
        ax.text(window - 0.5, 0.02, f"window {window} ", transform=ax.get_xaxis_transform(), fontsize=7,
                color="0.35", va="bottom", ha="right", rotation=90)
    ax.set_ylim(0, frames["seconds"].max() * 1.15)
    ax.set_xlabel("frame of the window (0 = seeded key frame)")
    ax.set_ylabel("seconds")
    ax.set_title(f"propagation of {n_objects} seeded mask{'s' if n_objects != 1 else ''}, per frame "
                 f"(+{cost.setup_seconds:.1f} s set-up)", fontsize=10)
    ax.legend(fontsize=8, loc="center right")

    ax = axes[2]
    per_frame = cost.per_video_frame()
    table = per_frame.pivot(index="points_per_side", columns="window", values="seconds_per_frame")
    guessed = per_frame.pivot(index="points_per_side", columns="window", values="extrapolated")
    if table.size:
        image = ax.imshow(table.to_numpy(), cmap="viridis_r", aspect="auto")
        for (r, c), value in np.ndenumerate(table.to_numpy()):
            ax.text(c, r, f"{value:.1f}{'*' if guessed.to_numpy()[r, c] else ''}", ha="center", va="center",
                    fontsize=9, color="white" if value > np.nanmean(table.to_numpy()) else "black")
        ax.set_xticks(np.arange(table.shape[1]), [str(w) for w in table.columns])
        ax.set_yticks(np.arange(table.shape[0]), [f"{g} x {g}" for g in table.index])
        ax.grid(False)
        fig.colorbar(image, ax=ax, label="seconds per video frame")
    extrapolated = bool(per_frame["extrapolated"].any())
    ax.set_xlabel("window (frames)" + ("\n* partly extrapolated" if extrapolated else ""))
    ax.set_ylabel("point grid")
    ax.set_title("(generator + propagation) / window", fontsize=10)
    _title(fig, title)
    fig.tight_layout()
    return fig


def plot_memory_by_length(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Peak memory of one SAM2 predictor state against its number of frames (``sam2_memory_by_length``).

    A dotted line marks the frames alone: 12 MiB each (3 x 1024 x 1024 float32).
    """
    set_style()
    _require(table, ["frames", "increase_mib", "peak_mib"], "plot_memory_by_length")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    table = table.sort_values("frames")
    ax.plot(table["frames"], table["increase_mib"], marker="o", color="#e76f51", label="peak - start of call")
    frames = np.asarray([0, table["frames"].max()])
    ax.plot(frames, 12.0 * frames, ls=":", color="0.4", label="the loaded frames alone (12 MiB each)")
    for row in table.itertuples(index=False):
        ax.annotate(f"{row.increase_mib:.0f} MiB", (row.frames, row.increase_mib), textcoords="offset points",
                    xytext=(4, -12), fontsize=8)
    ax.set_xlim(0, frames[1] * 1.1)
    ax.set_ylim(0, max(table["increase_mib"].max(), 12.0 * frames[1]) * 1.15)
    ax.set_xlabel("frames in one predictor state (the window)")
    method = str(table["method"].iloc[0]) if "method" in table else ""
    ax.set_ylabel("memory added at the peak (MiB)" + (f"\n[{method}]" if method else ""))
    ax.legend(loc="upper left")
    _title(fig, title)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------ animation
def write_animation(path: str | os.PathLike[str], frames: np.ndarray, left_labels: np.ndarray,
                    right_labels: np.ndarray, masklets: np.ndarray, palette: np.ndarray, *,
                    titles: tuple[str, str] = ("baseline", "refined"), fps: float = 8.0, alpha: float = 0.6,
                    scale: int = 1) -> Path:
    """An animated GIF of two label maps side by side over the video, masklet borders in white.

    Parameters
    ----------
    path : where to write the GIF (atomically).
    frames : (T, H, W, 3) uint8.
    left_labels, right_labels : (T, H, W) label maps (the baseline and the refined map, say); 255 = none.
    masklets : (T, H, W) int32 ids, -1 = none; borders drawn on both panels.
    palette : (C, 3) uint8 class colours.
    titles : captions of the two panels (each followed by the frame number).
    fps : frames per second (GIF delays are whole hundredths of a second).
    alpha : opacity of the label colours over the frame.
    scale : integer upscaling (nearest neighbour) for small frames.

    Returns
    -------
    Path of the GIF. The bytes depend on the inputs only: fixed per-frame median-cut palettes without
    dithering, no timestamps, the same arguments give the same file.
    """
    from PIL import Image, ImageDraw, ImageFont

    frames = np.asarray(frames)
    arrays = {"left_labels": np.asarray(left_labels), "right_labels": np.asarray(right_labels),
              "masklets": np.asarray(masklets)}
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ParameterError(f"write_animation: frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    bad = {k: a.shape for k, a in arrays.items() if a.shape != frames.shape[:3]}
    if bad:
        raise ParameterError(f"write_animation: frames are {frames.shape[:3]} (T, H, W) but {bad}")
    if not (isinstance(scale, int) and scale >= 1) or fps <= 0:
        raise ParameterError(f"write_animation: scale={scale!r} must be a positive integer and fps={fps!r} > 0")
    font = ImageFont.load_default(size=11)
    header, gap = 16, 4
    images = []
    for t in range(len(frames)):
        panels = []
        for labels, name in ((arrays["left_labels"], titles[0]), (arrays["right_labels"], titles[1])):
            image = overlay(frames[t], labels[t], palette, alpha=alpha)
            image[masklet_outlines(arrays["masklets"][t])] = 255
            if scale > 1:
                image = image.repeat(scale, axis=0).repeat(scale, axis=1)
            canvas = Image.new("RGB", (image.shape[1], image.shape[0] + header), (255, 255, 255))
            canvas.paste(Image.fromarray(image), (0, header))
            ImageDraw.Draw(canvas).text((3, 2), f"{name}   frame {t}", fill=(20, 20, 20), font=font)
            panels.append(np.asarray(canvas))
        spacer = np.full((panels[0].shape[0], gap, 3), 255, np.uint8)
        rgb = Image.fromarray(np.concatenate([panels[0], spacer, panels[1]], axis=1))
        images.append(rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps),
                   loop=0, optimize=False)
    return write_bytes_atomic(path, buffer.getvalue())
