"""Plots of when the refiner hurts: damaged pixels per cause, and the worst example of each cause.

The causes and their counts come from :mod:`vsslib.analysis.failures`. Each cause is drawn with a label that
says what happened and what a reader can change about it (:data:`CAUSE_LABELS`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ..base.errors import ParameterError
from ._draw import LABEL_GAP_PT, NOTE_GREY, NOTE_PT, colorize, set_style
from ._draw import (fade, figure_title, image_grid, legend_patches, mark_border, masklet_legend, masklet_picture,
                    require_columns, stack_legends, top_title)

__all__ = ["CAUSE_LABELS", "CAUSE_REMEDIES", "CLASSICAL_CAUSE_REMEDIES", "remedy", "plot_failure_causes",
           "plot_failure_panel"]

CAUSE_LABELS = {"late_entry": "object entered mid-window", "small_or_thin": "small or thin object swallowed",
                "drift": "masklet drifted off its object",
                "drift_vote": "vote spoiled by the masklet's drifting frames",
                "spanning": "masklet spans several classes", "leak": "pure masklet spilled onto a neighbour",
                "wrong_majority": "baseline's majority wrong inside a correct masklet",
                "other": "none of the above (vote decided by unlabelled pixels)"}
"""What each cause of :data:`vsslib.analysis.failures.CAUSES` means, in the reader's words."""
CAUSE_REMEDIES = {"late_entry": "discover new objects mid-window (discover_every) or shorten the window",
                  "small_or_thin": "a denser point grid (points_per_side), or keep small masklets out of the vote",
                  "drift": "shorter windows (window)",
                  "drift_vote": "a per-frame vote (vote: frame), or shorter windows",
                  "spanning": "stricter mask filters (pred_iou_thresh, stability_score_thresh)",
                  "leak": "tighter masks at object edges (a better generator or higher mask thresholds)",
                  "wrong_majority": "a better baseline network: the masks were right",
                  "other": "check the ground truth's void regions"}
"""The knob a reader can turn against each cause, for SAM2's generator (its knobs: points_per_side, ...)."""
CLASSICAL_CAUSE_REMEDIES = {
    "late_entry": "discover new objects mid-window (discover_every) or shorten the window",
    "small_or_thin": "smaller regions (a lower Felzenszwalb scale) and a lower min_area / min_size",
    "drift": "shorter windows (window), or whole-masklet motion (motion: masklet)",
    "drift_vote": "a per-frame vote (vote: frame), or shorter windows",
    "spanning": "finer key-frame regions (a lower Felzenszwalb scale, a smaller sigma)",
    "leak": "flow that smears less across edges (a smaller flow.winsize)",
    "wrong_majority": "a better baseline network: the masks were right",
    "other": "check the ground truth's void regions"}
"""The same for the classical generator, whose knobs are Felzenszwalb's and the optical flow's."""


def remedy(cause: str, source: str) -> str:
    """The knob against ``cause`` for a masklet ``source`` (``"classical"`` has its own; others SAM2's)."""
    table = CLASSICAL_CAUSE_REMEDIES if source == "classical" else CAUSE_REMEDIES
    if cause not in table:
        raise KeyError(f"unknown failure cause {cause!r}; valid: {', '.join(table)}")
    return table[cause]
_CAUSE_COLOURS = {"late_entry": "#e9c46a", "small_or_thin": "#f4a261", "drift": "#e76f51", "drift_vote": "#f28482",
                  "spanning": "#9b5de5", "leak": "#2a9d8f", "wrong_majority": "#264653", "other": "#6c757d"}



def plot_failure_causes(summary: pd.DataFrame, *, title: str, total_cost: float | None = None) -> plt.Figure:
    """Share of the damaged pixels and the mIoU each cause costs, one bar per cause.

    Parameters
    ----------
    summary : DataFrame[cause, events, pixels, pixel_share, miou_cost], shares in percent and costs in mIoU
        points (:func:`vsslib.analysis.summarize_failures`); with ``pixel_share_ci_low`` /
        ``pixel_share_ci_high`` and ``miou_cost_ci_low`` / ``miou_cost_ci_high`` the intervals are drawn as
        whiskers.
    title : names the baseline, the masklet source and the data.
    total_cost : mIoU points regained by undoing all damage at once, drawn as a dashed line: the costs of
        single causes do not add up to it.

    Returns
    -------
    matplotlib Figure. The share axis runs from 0 to 100 %; each cause's label carries its damaged pixels and
    events, and its share is written past the whisker or, where there is no room, inside the bar, so no label
    leaves the axes.
    """
    set_style()
    require_columns(summary, ["cause", "events", "pixels", "pixel_share", "miou_cost"], "plot_failure_causes")
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 0.72 * len(summary) + 2.1), sharey=True,
                             gridspec_kw={"width_ratios": (1.4, 1)})
    y = np.arange(len(summary))
    colours = [_CAUSE_COLOURS.get(c, "0.6") for c in summary["cause"]]
    share = summary["pixel_share"].to_numpy(dtype=np.float64)
    share_high = _whiskers(axes[0], summary, "pixel_share", y)
    axes[0].barh(y, share, color=colours, zorder=1)
    for k in range(len(summary)):
        inside = share_high[k] + 12 > 100 and share[k] > 12  # no room right of the whisker: write in the bar
        axes[0].annotate(f"{share[k]:.1f} %", (share[k] if inside else min(share_high[k], 87), k),
                         textcoords="offset points", xytext=(-4 if inside else LABEL_GAP_PT, 0), va="center",
                         ha="right" if inside else "left", fontsize=8, color="white" if inside else "0.2")
    axes[0].set_xlim(0, 100)
    axes[0].set_xlabel("share of the damaged pixels (%)\n(damaged: baseline right,\nrefined wrong)")
    cost = summary["miou_cost"].to_numpy(dtype=np.float64)
    cost_high = _whiskers(axes[1], summary, "miou_cost", y)
    axes[1].barh(y, cost, color=colours, zorder=1)
    top = max(np.nanmax(cost_high, initial=0.0), total_cost if total_cost is not None else 0.0, 0.01)
    for k, v in enumerate(cost):
        axes[1].annotate(f"{v:.2f}", (max(cost_high[k], v), k), textcoords="offset points", xytext=(LABEL_GAP_PT, 0),
                         va="center", fontsize=8)
    axes[1].set_xlabel("mIoU cost (points)\n(regained by restoring\nthe baseline there)")
    if total_cost is not None:
        axes[1].axvline(total_cost, color="0.3", ls="--", lw=1)
        axes[1].text(total_cost, 1.0, f"all causes at once: {total_cost:.2f} ",
                     transform=axes[1].get_xaxis_transform(), fontsize=NOTE_PT, va="bottom", ha="right",
                     color=NOTE_GREY)
    axes[1].set_xlim(min(0.0, np.nanmin(summary.get("miou_cost_ci_low", cost), initial=0.0)), top * 1.25)
    axes[0].set_yticks(y, [f"{textwrap.fill(CAUSE_LABELS.get(row.cause, str(row.cause).replace('_', ' ')), 28)}\n"
                           f"{row.pixels:,.0f} px, {row.events:,.0f} events"
                           for row in summary.itertuples(index=False)])
    axes[0].invert_yaxis()
    for ax in axes:
        ax.grid(axis="y", visible=False)
    if "pixel_share_ci_low" in summary.columns:
        fig.text(0.99, 0.01, "bars: mean over seeds; whiskers: 95 % interval over seeds and videos", ha="right",
                 va="bottom", fontsize=NOTE_PT, color=NOTE_GREY)
    figure_title(fig, title)
    fig.tight_layout(rect=(0, 0.03, 1, 1))  # room for the note under the panels
    return fig


def _whiskers(ax: plt.Axes, summary: pd.DataFrame, column: str, y: np.ndarray) -> np.ndarray:
    """Draw ``column``'s interval as whiskers where the table has one; the right end of each bar or whisker."""
    values = summary[column].to_numpy(dtype=np.float64)
    if f"{column}_ci_low" not in summary.columns or f"{column}_ci_high" not in summary.columns:
        return values
    low = summary[f"{column}_ci_low"].to_numpy(dtype=np.float64)
    high = summary[f"{column}_ci_high"].to_numpy(dtype=np.float64)
    ax.errorbar(values, y, xerr=[np.nan_to_num(values - low), np.nan_to_num(high - values)], fmt="none",
                ecolor="0.2", elinewidth=0.8, capsize=2, zorder=2)
    return np.fmax(values, high)


ROW_LABEL_PT = 15  # height of a row's one-line label above its panels, in points (9-pt text and its offset)


def plot_failure_panel(examples: Sequence[Mapping[str, Any]], palette: np.ndarray, *, title: str,
                       class_names: Sequence[str] | None = None) -> plt.Figure:
    """One row per failure example: frame, ground truth, baseline, masklets, refined.

    Parameters
    ----------
    examples : mappings with ``"image"`` (H, W, 3) uint8, ``"gt"``, ``"baseline"``, ``"refined"`` (H, W)
        label maps, ``"masklets"`` (H, W) int32, and the row of ``FailureReport.examples``: ``"video"``,
        ``"frame"`` (index), ``"cause"``, ``"masklet"`` (id, -1 = none), ``"pixels"``.
    palette : (C, 3) uint8. class_names : C names for the class legend (the classes in the examples' maps).

    Returns
    -------
    Figure at the page's width, each row's cause, video, frame and damage written on one line above it. The masklets are
    drawn as outlines on the grey frame (:func:`vsslib.viz._draw.masklet_picture`), the blamed one in orange;
    on the refined panel its damaged pixels (baseline right, refined wrong; all damaged pixels when no masklet
    is blamed) keep their colour, outlined in black, and the rest is faded.
    """
    set_style()
    if not examples:
        raise ParameterError("plot_failure_panel: no examples to draw")
    height, width = np.asarray(examples[0]["gt"]).shape
    present = sorted(set().union(*(np.unique(np.asarray(ex[k])).tolist() for ex in examples
                                   for k in ("gt", "baseline", "refined"))) - {255})
    handles = (legend_patches(class_names, palette, present) if class_names is not None else []) + [
        *masklet_legend(focus="blamed masklet"),
        Patch(facecolor="white", edgecolor="black", lw=1.5, label="damage it caused (refined)")]
    ncol = 5
    # each row's cause on one line above it (beside it, the labels took a fifth of the width from the panels),
    # the column titles above the first row's label
    fig, axes = image_grid(len(examples), 5, height, width, legend_rows=[-(-len(handles) // ncol)], title_lines=4,
                           row_title_lines=1, gap_in=0.08)
    # column titles of at most 3 short lines, each narrower than its panel, so neighbours never read as one phrase
    names = ["frame", "ground truth", "baseline", "masklets:\nthe blamed one\nin orange",
             "refined:\nits damage bright,\nthe rest faded"]
    for r, ex in enumerate(examples):
        gt, base, ref, ids = (np.asarray(ex[k]) for k in ("gt", "baseline", "refined", "masklets"))
        damaged = (gt != 255) & (base == gt) & (ref != gt)
        blamed = ids == ex["masklet"] if ex["masklet"] >= 0 else np.zeros(ids.shape, bool)
        masks = masklet_picture(ex["image"], ids, focus=blamed)
        focus = damaged & blamed if ex["masklet"] >= 0 else damaged
        refined = colorize(ref, palette)
        refined = mark_border(np.where(focus[..., None], refined, fade(refined, 0.7)), focus, (0, 0, 0))
        images = [ex["image"], colorize(gt, palette), colorize(base, palette), masks, refined]
        for c, image in enumerate(images):
            ax = axes[r, c]
            ax.imshow(image)
            if r == 0:
                ax.set_title(names[c], fontsize=9, pad=ROW_LABEL_PT + 6)
        cause = CAUSE_LABELS.get(str(ex["cause"]), str(ex["cause"]))
        axes[r, 0].annotate(f"{r + 1}. {cause}: {ex['video']} frame {ex['frame']}, {ex['pixels']:,} px damaged",
                            (0, 1), xycoords="axes fraction", xytext=(0, 3), textcoords="offset points",
                            ha="left", va="bottom", fontsize=9, fontweight="bold", annotation_clip=False)
    stack_legends(fig, [(handles, ncol)])
    top_title(fig, title)
    return fig
