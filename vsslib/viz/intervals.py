"""Plots of gains with their 95 % intervals over seeds and videos (tables of :mod:`vsslib.study.tables`)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ._draw import set_style
from ._draw import figure_title, require_columns

__all__ = ["plot_gain_intervals", "plot_sweep_intervals"]

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
    colours = plt.get_cmap("tab10")(np.arange(len(labels)) % 10)
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
                         metrics: Sequence[str] = ("mIoU", "mBIoU", "mVC16")) -> plt.Figure:
    """Gain of each metric against ``x`` with its interval as a band, zero marked.

    Parameters
    ----------
    sweep : rows with ``x`` and ``gain_<m>``, ``gain_<m>_ci_low``, ``gain_<m>_ci_high`` for each metric.
    """
    require_columns(sweep, [x, *(f"gain_{m}{s}" for m in metrics for s in ("", "_ci_low", "_ci_high"))],
                    "plot_sweep_intervals")
    set_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    colours = plt.get_cmap("tab10")(np.arange(len(metrics)))
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
              title="mean over seeds\nband: 95 % interval")
    figure_title(fig, title)  # wrapped to the figure's width: a long title is not cut off
    fig.tight_layout()
    return fig
