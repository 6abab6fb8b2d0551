"""Plots of what the method costs: seconds per stage, SAM2's cost by point grid and window, memory.

Every figure of this module shows measured times of one machine (``make verify`` lists them as
machine-dependent). The numbers come from :mod:`vsslib.analysis.cost`.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ._draw import NOTE_GREY, NOTE_PT, set_style
from ._draw import figure_title, require_columns

__all__ = ["plot_stage_times", "plot_sam2_cost", "plot_memory_by_length"]


def plot_stage_times(table: pd.DataFrame, *, title: str, log: bool = True) -> plt.Figure:
    """Seconds per frame of each stage (``time_stages`` output: DataFrame[stage, seconds_per_frame, ...]).

    An optional ``setting`` column is appended to the stage names; ``min_seconds`` / ``max_seconds`` with
    ``frames`` draw the spread of the repeats as error bars; with ``repeats``, a stage timed once is drawn
    hatched and pale, without whiskers, and its value says "once".
    """
    from matplotlib.patches import Patch

    set_style()
    require_columns(table, ["stage", "seconds_per_frame"], "plot_stage_times")
    labels = [f"{s} [{v}]" if "setting" in table and isinstance(v, str) and v else str(s)
              for s, v in zip(table["stage"], table.get("setting", pd.Series([""] * len(table))), strict=True)]
    fig, ax = plt.subplots(figsize=(7.8, 0.45 * len(table) + 1.6))
    y = np.arange(len(table))
    values = table["seconds_per_frame"].to_numpy(dtype=np.float64)
    once = (table["repeats"].to_numpy() == 1) if "repeats" in table else np.zeros(len(table), bool)
    spread = None
    if {"min_seconds", "max_seconds", "frames"} <= set(table.columns):
        spread = np.stack([values - table["min_seconds"] / table["frames"],
                           table["max_seconds"] / table["frames"] - values])
        spread[:, once] = np.nan  # one run has no spread: no whisker, not a zero-width one
    repeated, pale = "#457b9d", "#a8c5d8"
    ax.barh(y[~once], values[~once], color=repeated)
    ax.barh(y[once], values[once], color=pale, hatch="///", edgecolor=repeated, lw=0.8)
    if spread is not None:
        ax.errorbar(values[~once], y[~once], xerr=spread[:, ~once], fmt="none", ecolor="0.3", capsize=3)
    ends = values if spread is None else np.where(once, values, values + np.nan_to_num(spread[1]))
    for k, (v, end) in enumerate(zip(values, ends, strict=True)):
        ax.text(end * (1.12 if log else 1.02), k, _seconds(v) + (" (once)" if once[k] else ""), va="center",
                fontsize=8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
        ax.set_xlim(values[values > 0].min() / 3, ends.max() * (40 if once.any() else 12))  # room for "(once)"
    ax.set_xlabel("seconds per frame" + (" (log scale)" if log else ""))
    if spread is not None:
        runs = table.loc[~once, "repeats"] if "repeats" in table else pd.Series(dtype=float)
        many = f"median of {runs.iloc[0]:.0f} timed runs" if runs.nunique() == 1 else "median of the timed runs"
        handles = [Patch(facecolor=repeated, label=f"{many}; whiskers: fastest to slowest")]
        if once.any():
            handles.append(Patch(facecolor=pale, hatch="///", edgecolor=repeated, label="timed once (no spread)"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=1,
                  fontsize=8, frameon=False)
    figure_title(fig, title)
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

    Returns
    -------
    matplotlib Figure at the page's width: the generator's seconds per key frame by grid and the cost per video
    frame by grid and window (top), the propagation's seconds per frame of a window (bottom).
    """
    from ..analysis.cost import EARLY_EXTENSION

    set_style()
    gen, frames, prop = cost.generator, cost.frames, cost.propagation
    n_objects = int(cost.settings["n_objects"])
    fig = plt.figure(figsize=(9.0, 8.0))  # the page's width: two panels above, propagation below
    grid = fig.add_gridspec(2, 2, width_ratios=(1, 1.15))
    axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, :]), fig.add_subplot(grid[0, 1])]
    ax = axes[0]
    x = np.arange(len(gen))
    predicted = gen["extrapolated"].to_numpy(bool) if "extrapolated" in gen else np.zeros(len(gen), bool)
    bars = ax.bar(x, gen["seconds"], color="#457b9d")
    for bar, guess in zip(bars, predicted, strict=True):
        if guess:
            bar.set(facecolor="white", edgecolor="#457b9d", hatch="//")
    for k, (row, guess) in enumerate(zip(gen.itertuples(index=False), predicted, strict=True)):
        ax.text(k, row.seconds, f"{row.seconds:.1f} s{' (extrapolated)' if guess else ''}\n"
                f"{row.candidates:,} candidates", ha="center", va="bottom", fontsize=9)
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
        early = prop["label"].str.contains(EARLY_EXTENSION, regex=False).any()  # the analysis' own note
        ax.plot(rest["frame"], rest["seconds"], ls="--", color="#1d3557", alpha=0.6,
                label="extended at the last measured rate (memory bank not yet full: a lower bound)"
                if early else "extended at the flat rate of the frames measured with a full memory bank")
    for window in prop["window"]:
        ax.axvline(window - 0.5, color="0.6", ls=":", lw=1)
        ax.text(window - 0.5, 0.02, f"window {window} ", transform=ax.get_xaxis_transform(), fontsize=NOTE_PT,
                color=NOTE_GREY, va="bottom", ha="right", rotation=90)
    ax.set_ylim(0, frames["seconds"].max() * 1.15)
    ax.set_xlabel("frame of the window (0 = seeded key frame)")
    ax.set_ylabel("seconds")
    ax.set_title(f"propagation of {n_objects} seeded mask{'s' if n_objects != 1 else ''}, per frame "
                 f"(+{cost.setup_seconds:.1f} s set-up)", fontsize=10)
    ax.legend(fontsize=9, loc="center right")

    ax = axes[2]
    per_frame = cost.per_video_frame()
    table = per_frame.pivot(index="points_per_side", columns="window", values="seconds_per_frame")
    # a cell rests on the generator's time of its grid and the propagation's time of its window: "*" where the
    # grid's time is predicted from smaller grids, ">=" where the window's propagation was extended from frames
    # timed before the memory bank filled (the analysis' lower bound, EARLY_EXTENSION)
    predicted_grid = dict(zip(gen["points_per_side"], predicted, strict=True))
    by_window = prop.set_index("window")
    bounded = by_window["label"].str.contains(EARLY_EXTENSION, regex=False) & by_window["extrapolated"].astype(bool)
    notes = []
    if table.size:
        # colours from zero, so cells a few percent apart look a few percent apart
        top = max(float(np.nanmax(table.to_numpy())), 1e-3)
        image = ax.imshow(table.to_numpy(), cmap="viridis_r", aspect="auto", vmin=0.0, vmax=top)
        for (r, c), value in np.ndenumerate(table.to_numpy()):
            grid_size, window = table.index[r], table.columns[c]
            text = (f"{'≥ ' if bounded.get(window, False) else ''}{value:.1f}"
                    f"{'*' if predicted_grid[grid_size] else ''}")
            ax.text(c, r, text, ha="center", va="center",
                    fontsize=10, color="white" if value > 0.5 * top else "black")
        ax.set_xticks(np.arange(table.shape[1]), [str(w) for w in table.columns])
        ax.set_yticks(np.arange(table.shape[0]), [f"{g} x {g}" for g in table.index])
        ax.grid(False)
        fig.colorbar(image, ax=ax, label="seconds per video frame")
        if bounded.reindex(table.columns, fill_value=False).any():
            notes.append("≥ a lower bound: propagation extended\nbefore the memory bank filled")
        if any(predicted_grid[g] for g in table.index):
            notes.append("* generator time predicted from smaller grids")
    ax.set_xlabel("\n".join(["window (frames)", *notes]))
    ax.set_ylabel("point grid")
    ax.set_title("(generator + propagation) / window", fontsize=10)
    figure_title(fig, title)
    fig.tight_layout()
    return fig


def plot_memory_by_length(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Peak memory of one SAM2 predictor state against its number of frames (``sam2_memory_by_length``).

    A dotted line marks the frames alone: 12 MiB each (3 x 1024 x 1024 float32).
    """
    set_style()
    require_columns(table, ["frames", "increase_mib", "peak_mib"], "plot_memory_by_length")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    table = table.sort_values("frames")
    ax.plot(table["frames"], table["increase_mib"], marker="o", color="#e76f51", label="peak - start of call")
    frames = np.asarray([0, table["frames"].max()])
    ax.plot(frames, 12.0 * frames, ls=":", color="0.4", label="the loaded frames alone (12 MiB each)")
    for row in table.itertuples(index=False):
        ax.annotate(f"{row.increase_mib:.0f} MiB", (row.frames, row.increase_mib), textcoords="offset points",
                    xytext=(4, -12), fontsize=9)
    ax.set_xlim(0, frames[1] * 1.1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # a state holds whole frames
    ax.set_ylim(0, max(table["increase_mib"].max(), 12.0 * frames[1]) * 1.45)
    ax.set_xlabel("frames in one predictor state (the window)")
    method = str(table["method"].iloc[0]) if "method" in table else ""
    ax.set_ylabel("memory added at the peak (MiB)" + (f"\n[{method}]" if method else ""))
    ax.legend(loc="upper left")  # above the curve: the y axis leaves it room
    figure_title(fig, title)
    fig.tight_layout()
    return fig

