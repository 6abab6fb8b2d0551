"""Plots of gains with their 95 % intervals over seeds and videos (tables of :mod:`vsslib.study.tables`)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ._draw import (NOTE_GREY, NOTE_PT, PAGE_WIDTH_IN, figure_title, method_palette, metric_colour, require_columns,
                    set_style)

__all__ = ["plot_gain_intervals", "plot_sweep_intervals", "plot_knob_sweep", "plot_quality_axes"]

METRIC_COLUMNS = ("mIoU", "mBIoU", "mVC8", "mVC16", "mVCc16")  # mVCc16: correct consistency, beside VSPW's VC


def plot_gain_intervals(table: pd.DataFrame, *, title: str, group: str = "masklets",
                        metrics: Sequence[str] = METRIC_COLUMNS) -> plt.Figure:
    """Gain of each metric (points) with its interval: one panel per baseline, one bar per ``group`` value.

    Parameters
    ----------
    table : rows with ``baseline``, ``group`` and ``gain_<m>``, ``gain_<m>_ci_low``, ``gain_<m>_ci_high``
        (rows without gains, e.g. the baselines themselves, are left out).
    """
    needed = ["baseline", group, *(f"gain_{m}{s}" for m in metrics for s in ("", "_ci_low", "_ci_high"))]
    require_columns(table, needed, "plot_gain_intervals")
    rows = table.dropna(subset=[f"gain_{metrics[0]}"])
    set_style()
    baselines = list(dict.fromkeys(rows["baseline"]))
    labels = list(dict.fromkeys(rows[group]))
    palette = method_palette(labels)
    colours = [palette[label] for label in labels]
    fig, axes = plt.subplots(1, len(baselines), figsize=(4.8 * len(baselines), 3.6), squeeze=False, sharey=True)
    width = 0.8 / max(len(labels), 1)
    for ax, baseline in zip(axes[0], baselines, strict=True):
        part = rows[rows["baseline"] == baseline]
        for k, label in enumerate(labels):
            row = part[part[group] == label]
            if row.empty:
                continue
            row = row.iloc[0]
            x = np.arange(len(metrics)) + (k - (len(labels) - 1) / 2) * width
            mean = np.array([row[f"gain_{m}"] for m in metrics])
            low = mean - np.array([row[f"gain_{m}_ci_low"] for m in metrics])
            high = np.array([row[f"gain_{m}_ci_high"] for m in metrics]) - mean
            ax.bar(x, mean, width, color=colours[k], label=str(label))
            ax.errorbar(x, mean, yerr=[low, high], fmt="none", ecolor="black", elinewidth=1, capsize=2)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(np.arange(len(metrics)), metrics)
        ax.set_title(str(baseline))
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("gain over the baseline (points)\nbars: mean over seeds; whiskers: 95 % interval")
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(len(labels), 4), frameon=False, title=group)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_sweep_intervals(sweep: pd.DataFrame, *, title: str, x: str = "strength", xlabel: str,
                         metrics: Sequence[str] = ("mIoU", "mBIoU", "mVC16"), seeds: str = "seeds") -> plt.Figure:
    """Gain of each metric against ``x`` with its interval as a band, zero marked.

    Parameters
    ----------
    sweep : rows with ``x`` and ``gain_<m>``, ``gain_<m>_ci_low``, ``gain_<m>_ci_high`` for each metric.
    seeds : what the rows' means are over, for the legend ("training seeds", "corruption seeds").
    """
    require_columns(sweep, [x, *(f"gain_{m}{s}" for m in metrics for s in ("", "_ci_low", "_ci_high"))],
                    "plot_sweep_intervals")
    set_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    colours = [metric_colour(m) for m in metrics]  # not the masklet sources' colours
    ordered = sweep.sort_values(x)
    for colour, m in zip(colours, metrics, strict=True):
        ax.plot(ordered[x], ordered[f"gain_{m}"], marker="o", color=colour, label=m)
        ax.fill_between(ordered[x], ordered[f"gain_{m}_ci_low"], ordered[f"gain_{m}_ci_high"], color=colour,
                        alpha=0.18, lw=0)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("gain over the baseline (points)")
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False,
              title=f"mean over {seeds}\nband: 95 % interval")
    figure_title(fig, title)  # wrapped to the figure's width: a long title is not cut off
    fig.tight_layout()
    return fig


def plot_knob_sweep(table: pd.DataFrame, *, title: str, metrics: Sequence[str] = ("mIoU", "mBIoU")) -> plt.Figure:
    """One row per knob: masklets per frame, coverage, and the change of each metric against the source's
    own settings with its 95 % interval as a band; the source's own value marked by a dashed line.

    Parameters
    ----------
    table : rows of :func:`vsslib.study.knob_sweep.knob_sweep` (``knob``, ``value``, ``default``,
        ``masklets_per_frame``, ``coverage``, ``change_<m>`` with ``_ci_low`` and ``_ci_high``).
    """
    require_columns(table, ["knob", "value", "default", "masklets_per_frame", "coverage",
                            *(f"change_{m}{s}" for m in metrics for s in ("", "_ci_low", "_ci_high"))],
                    "plot_knob_sweep")
    set_style()
    knobs = list(dict.fromkeys(table["knob"]))
    # one row per knob, the three measures side by side: the page's width whatever the number of knobs
    # each measure on one scale down its column, so a knob that barely moves it draws a flat line, not a zoom
    fig, axes = plt.subplots(len(knobs), 3, figsize=(PAGE_WIDTH_IN, 2.5 * len(knobs) + 0.9), squeeze=False,
                             sharex="row", sharey="col")
    colours = [metric_colour(m) for m in metrics]  # not the masklet sources' colours
    for row, knob in zip(axes, knobs, strict=True):
        part = table[table["knob"] == knob].sort_values("value")
        x = part["value"].astype(float).to_numpy()
        own = float(part.loc[part["default"].astype(bool), "value"].iloc[0])
        row[0].plot(x, part["masklets_per_frame"], marker="o", color="0.25")
        row[1].plot(x, part["coverage"], marker="o", color="0.25")
        for colour, m in zip(colours, metrics, strict=True):
            row[2].plot(x, part[f"change_{m}"], marker="o", color=colour, label=m)
            row[2].fill_between(x, part[f"change_{m}_ci_low"], part[f"change_{m}_ci_high"], color=colour,
                                alpha=0.18, lw=0)
        row[2].axhline(0, color="black", lw=0.8)
        for ax in row:
            ax.axvline(own, color="0.5", ls="--", lw=0.9)
            ax.grid(alpha=0.3)
            ax.set_xlabel(knob)
            ax.set_xticks(x)
    axes[0][0].set_title("masklets a frame")
    axes[0][1].set_title("pixels covered (%)")
    axes[0][2].set_title("refined minus refined at the\nsource's own settings (points)")
    handles, labels = axes[0][2].get_legend_handles_labels()
    fig.legend(handles, [f"{label}: mean over seeds, band: 95 % interval" for label in labels], loc="lower center",
               ncol=len(labels), frameon=False)
    figure_title(fig, title)
    fig.tight_layout(rect=(0, 0.7 / fig.get_figheight(), 1, 1))
    return fig


def plot_quality_axes(table: pd.DataFrame, *, title: str, axes: dict[str, str], break_even: dict[str, float | None],
                      gain: str = "gain_mIoU") -> plt.Figure:
    """The refiner's gain against measured axes of mask quality, one panel per axis: the oracle corruption
    sweep as a line with its 95 % band (each point marked with its strength), every generator as a point with
    its intervals on both axes, and the sweep's break-even on the axis as a dashed line.

    Parameters
    ----------
    table : rows of :func:`vsslib.study.mask_quality.quality_table` (``masklets``, ``strength``, NaN for a
        generator; each axis and ``gain`` with ``_ci_low`` and ``_ci_high``).
    axes : ``{column: axis label}``, one panel each.
    break_even : ``{column: value or None}``, from :func:`vsslib.study.verdicts.break_even`.
    """
    require_columns(table, ["masklets", "strength", *(f"{c}{s}" for c in (*axes, gain) for s in ("", "_ci_low",
                                                                                                 "_ci_high"))],
                    "plot_quality_axes")
    set_style()
    fig, panels = plt.subplots(1, len(axes), figsize=(PAGE_WIDTH_IN, 4.4), squeeze=False, sharey=True)
    oracle = table[table["strength"].notna()]
    generators = table[table["strength"].isna()]
    crossing_labels: list[tuple[plt.Axes, float, list]] = []  # (panel, break-even, its above-left labels)
    palette = method_palette(list(generators["masklets"]))
    colours = [palette[name] for name in generators["masklets"]]
    for ax, (column, label) in zip(panels[0], axes.items(), strict=True):
        rows = oracle.sort_values(column)
        ax.plot(rows[column], rows[gain], marker="o", color="0.3", label="oracle, corrupted at strength s")
        ax.fill_between(rows[column], rows[f"{gain}_ci_low"], rows[f"{gain}_ci_high"], color="0.3", alpha=0.15, lw=0)
        # the curve rises to the right: labels above-left of a point (the generators' points tend to sit below
        # and right of it), the leftmost one below-right, inside the axes
        labels = [ax.annotate(f"s = {row['strength']:g}", (row[column], row[gain]), textcoords="offset points",
                              xytext=(5, -5) if k == 0 else (-5, 5), ha="left" if k == 0 else "right",
                              va="top" if k == 0 else "bottom", fontsize=NOTE_PT, color=NOTE_GREY, zorder=5,
                              bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
                  for k, (_, row) in enumerate(rows.iterrows())]
        for colour, (_, row) in zip(colours, generators.iterrows(), strict=True):
            ax.errorbar(row[column], row[gain],
                        xerr=[[row[column] - row[f"{column}_ci_low"]], [row[f"{column}_ci_high"] - row[column]]],
                        yerr=[[row[gain] - row[f"{gain}_ci_low"]], [row[f"{gain}_ci_high"] - row[gain]]],
                        fmt="s", color=colour, ms=7, capsize=3, label=str(row["masklets"]))
        point = break_even.get(column)
        if point is not None:
            ax.axvline(point, color="0.3", ls="--", lw=1.0, label=f"sweep breaks even ({point:.1f} %)")
            crossing_labels.append((ax, point, labels[1:]))
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xlabel(f"{label} (%)")
        ax.grid(alpha=0.3)
        # under its panel: inside, it sat on the break-even line or a generator's point
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncols=2, fontsize=8, frameon=False)
    panels[0][0].set_ylabel(f"{gain.removeprefix('gain_')} gain over the baseline (points)")
    figure_title(fig, title)
    fig.tight_layout()
    _labels_off_the_break_even(fig, crossing_labels)
    return fig


def _labels_off_the_break_even(fig: plt.Figure, crossing_labels: list[tuple[plt.Axes, float, list]]) -> None:
    """Move an above-left strength label that the break-even line would cross to the first of below-right and
    above-right of its point where it crosses neither that line, the sweep's line nor a generator's point or
    whiskers; measured in pixels once the layout is final."""
    renderer = fig.canvas.get_renderer()
    for ax, point, labels in crossing_labels:
        line_x = ax.transData.transform((point, 0.0))[0]

        def crosses_line(box) -> bool:
            return box.x0 - 2 <= line_x <= box.x1 + 2

        crossing = [text for text in labels if crosses_line(text.get_window_extent(renderer))]
        if not crossing:
            continue
        samples = _obstacle_pixels(ax)

        def clear(text) -> bool:
            box = text.get_window_extent(renderer)
            inside = ((samples[:, 0] > box.x0) & (samples[:, 0] < box.x1) & (samples[:, 1] > box.y0)
                      & (samples[:, 1] < box.y1))
            return not crosses_line(box) and not inside.any()

        for text in crossing:
            for offset, ha, va in (((5, -5), "left", "top"), ((5, 5), "left", "bottom"), ((-5, 5), "right", "bottom")):
                text.set_position(offset)
                text.set_horizontalalignment(ha)
                text.set_verticalalignment(va)
                if clear(text):
                    break
            else:  # nowhere clear: back above-left, where its white backing interrupts the dashed line
                text.set_position((-5, 5))
                text.set_horizontalalignment("right")
                text.set_verticalalignment("bottom")


def _obstacle_pixels(ax: plt.Axes) -> np.ndarray:
    """(N, 2) float64 display-pixel samples of the sweep's line and of every generator's marker and whiskers in
    ``ax`` (lines spanning the axes, such as the zero and break-even lines, left out)."""
    obstacles = []
    square = np.array([(dx, dy) for dx in np.linspace(-6, 6, 7) for dy in np.linspace(-6, 6, 7)])
    for artist in ax.get_lines():
        if artist.get_transform() != ax.transData:
            continue
        xy = np.asarray(artist.get_xydata(), dtype=np.float64)
        xy = xy[np.isfinite(xy).all(axis=1)]
        pixels = ax.transData.transform(xy) if len(xy) else np.empty((0, 2))
        if artist.get_linestyle() not in ("None", "") and len(pixels) >= 2:
            obstacles += [np.linspace(a, b, 100) for a, b in zip(pixels[:-1], pixels[1:])]
        if artist.get_marker() not in ("None", "", None):
            obstacles += [p + square for p in pixels]
    for collection in ax.collections:
        for segment in getattr(collection, "get_segments", lambda: [])():
            if len(segment) == 2:
                pixels = ax.transData.transform(segment)
                obstacles.append(np.linspace(pixels[0], pixels[1], 50))
    return np.concatenate(obstacles) if obstacles else np.empty((0, 2))
