"""The "What we learned" lines of the notebooks, composed from their tables.

Each function takes the tables a notebook shows above its lessons and returns the lines (Markdown, without the
list marker) whose numbers and directions are read from those tables, so a line changes when its table does and
a test can hold each wording to its condition. Lines that state no number or direction stay in the notebooks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..base.errors import DataError, require_columns
from .verdicts import cause_findings, classifier_findings, highest_row, interval_text, vc_text, verdict

__all__ = ["as_list", "baseline_lessons", "refiner_lessons", "classifier_lessons", "failure_lessons", "cost_lessons",
           "clear_slowest", "slowest_stages", "memory_lesson"]


def as_list(lines: Sequence[str]) -> str:
    """``lines`` as a Markdown list."""
    return "\n".join(f"- {line}" for line in lines)


def baseline_lessons(networks: pd.DataFrame, near: Mapping[str, tuple[float, float]]) -> list[str]:
    """``02_baselines``: where mBIoU sits against mIoU, and where one frame's errors sit.

    Parameters
    ----------
    networks : one row per network (index: its name) with ``mIoU``, ``mBIoU``, ``mIoU_ci_low``, ``mBIoU_ci_high``.
    near : per network, (share of its wrong pixels near boundaries, share of all pixels near boundaries) on the
        close-up frame (:func:`vsslib.analysis.errors_near_boundaries`).
    """
    require_columns(networks, ["mIoU", "mBIoU", "mIoU_ci_low", "mBIoU_ci_high"], "baseline table")
    gap = networks["mIoU"] - networks["mBIoU"]
    below = gap[gap > 0]  # networks whose mBIoU lies below their mIoU
    apart = int((networks["mBIoU_ci_high"] < networks["mIoU_ci_low"]).sum())  # intervals apart, mBIoU below
    first = (f"mBIoU lies below mIoU for {len(below)} of {len(networks)} networks"
             + (f", by {below.min():.1f} to {below.max():.1f} points" if len(below) else "")
             + f"; their 95 % intervals are apart for {apart} of them"
             + (": the networks get the layout of a scene more often right than its outlines." if apart == len(networks)
                else "."))
    denser = [name for name, (errors, pixels) in near.items() if errors > pixels]
    if not denser:
        return [first, "On the close-up frame, no network's wrong pixels lie near boundaries more densely than the "
                       "pixels do: this frame gives no sign that outlines are where the errors are."]
    return [first, f"On the close-up frame, the wrong pixels of {len(denser)} of {len(near)} networks lie near "
                   "boundaries more densely than the pixels do"
                   + (": outlines are where masks that follow the objects could help, if they are better than the "
                      "network's." if len(denser) == len(near) else "; one frame does not say where masks could help.")]


def refiner_lessons(sweep: pd.DataFrame, table: pd.DataFrame) -> list[str]:
    """``03_refiner``: what the corruption sweep's two ends and the exact masklets' two votes say.

    Parameters
    ----------
    sweep : the oracle sweep, one row per ``strength`` with ``gain_mIoU`` and its interval.
    table : the refiner table (``masklets``, ``method``, ``baseline``, ``vote``, ``mVC16`` and the intervals of
        ``gain_mVC16`` and ``gain_mVCc16``); its refined oracle rows at strength 0 give the second lesson.
    """
    require_columns(sweep, ["strength", "gain_mIoU", "gain_mIoU_ci_low", "gain_mIoU_ci_high"], "oracle sweep")
    if sweep.empty:
        raise DataError("the oracle sweep has no rows: its two ends make the first lesson")
    ordered = sweep.sort_values("strength")
    lowest, highest = ordered.iloc[0], ordered.iloc[-1]
    ends = (verdict(lowest, "gain_mIoU"), verdict(highest, "gain_mIoU"))
    lessons = [("The refiner with the dataset's exact objects as masklets (s = 0)" if lowest["strength"] == 0 else
                f"The refiner with oracle masklets at s = {lowest['strength']:g} (0: the dataset's exact objects)")
               + f" changes mIoU by {interval_text(lowest, 'gain_mIoU')} ({ends[0]}); at s = {highest['strength']:g} "
               f"by {interval_text(highest, 'gain_mIoU')} ({ends[1]})"
               + (": it passes mask quality through, both ways." if ends == ("gain", "loss") else ".")]
    require_columns(table, ["masklets", "method", "baseline", "vote"], "refiner table")
    exact_rows = table[(table["masklets"] == "oracle") & (table["method"] == "refined")]
    for name, rows in exact_rows.groupby("baseline", sort=False):
        by_vote = rows.set_index("vote")
        if not {"masklet", "frame"} <= set(by_vote.index):
            continue
        per_masklet, per_frame = by_vote.loc["masklet"], by_vote.loc["frame"]
        lessons.append(f"`{name}` with exact masklets: mVC16 {interval_text(per_masklet, 'gain_mVC16')} "
                       f"({verdict(per_masklet, 'gain_mVC16')}) with one vote per masklet, which keeps a masklet's "
                       f"label constant by construction (mVC16 {vc_text(per_masklet['mVC16'])}); "
                       f"{interval_text(per_frame, 'gain_mVC16')} ({verdict(per_frame, 'gain_mVC16')}) with one vote "
                       "per masklet and frame, which does not force it. mVCc16, which also asks for the right class: "
                       f"{interval_text(per_masklet, 'gain_mVCc16')} and {interval_text(per_frame, 'gain_mVCc16')}.")
    return lessons


def classifier_lessons(table: pd.DataFrame, *, metric: str = "mIoU") -> list[str]:
    """``04_mask_classifier``: per kind of masklets, the highest approach-2 row (:func:`classifier_findings`) beside
    approach 1 on the same masklets; whether the highest rows' gain verdicts differ between kinds; what the
    exact-masklet rows are; whether ``none`` equals ``fallback`` everywhere.

    Parameters
    ----------
    table : ``mask_classifier`` (columns ``masklets``, ``method``, ``variant``, ``<metric>`` and its gain with
        intervals).
    """
    require_columns(table, ["masklets", "method", "variant", metric, f"gain_{metric}"], "mask_classifier")
    lines, signs = [], {}
    for finding in classifier_findings(table, metric=metric):
        if not finding.key.endswith("/highest"):
            continue
        label = finding.key.split("/")[1]
        rows = table[table["masklets"] == label]
        refiner = rows[rows["method"] == "approach 1"]
        lines.append(finding.text + (f"; approach 1 on the same masklets: {metric} {refiner[metric].iloc[0]:.1f}"
                                     if len(refiner) else "") + ".")
        signs[label] = verdict(highest_row(rows[rows["method"] == "approach 2"], metric), f"gain_{metric}")
    lines.append("The highest row of each kind is picked on these val rows, so its interval does not cover that "
                 "choice; `make confirm` computes the picked rows once more on held-out videos (README, \"The "
                 "headline on held-out videos\").")
    if len(set(signs.values())) > 1:
        lines.append("The highest rows' verdicts differ between kinds of masklets ("
                     + ", ".join(f"{k}: {v}" for k, v in signs.items())
                     + "): a verdict for one kind does not carry over to another.")
    lines.append("The exact-masklet rows classify the val videos' ground-truth objects: a measurement with perfect "
                 "masklets, a reference rather than a method (and not a bound: the classifier can still be wrong "
                 "about an exact object).")
    none, fallback = (table[table["variant"] == v][metric].to_numpy() for v in ("none", "fallback"))
    if len(none) and len(none) == len(fallback) and (none == fallback).all():
        lines.append("`none` and `fallback` are equal in every row: the masklets cover every pixel, so no pixel is "
                     "left for the network's class to fill.")
    return lines


def failure_lessons(per_frame: pd.DataFrame, drift: pd.DataFrame, sources: Sequence[str]) -> list[str]:
    """``06_failure_cases``: what is charged to ``other``, which cause leads, what remains with exact masklets, and
    what charging drift per masklet does to its share.

    Parameters
    ----------
    per_frame : the failure table with drift charged per frame (``masklets``, ``cause``, ``pixel_share``,
        ``drift_scope``, ``share_over_next_ci_low``; :func:`vsslib.analysis.summarize_failures`).
    drift : the drift rows of both charging scopes, indexed by (``masklets``, ``drift_scope``), with ``pixel_share``.
    sources : the masklet sources, in the study's order.
    """
    require_columns(per_frame, ["masklets", "cause", "pixel_share"], "failure table")
    other = per_frame.loc[per_frame["cause"] == "other", "pixel_share"].max()
    lessons = [f"Every damaged pixel is charged to a named cause except `other`: at most {other:.1f} % of any "
               "source's damage. The leading cause, where the paired interval settles it: "
               + "; ".join(f"{f.key.split('/')[1]}: {f.verdict}" for f in cause_findings(per_frame)) + "."]
    if "oracle" in sources:
        exact = per_frame[per_frame["masklets"] == "oracle"].sort_values("pixel_share", ascending=False).iloc[0]
        lessons.append(f"With exact masklets, `{exact['cause']}` is {exact['pixel_share']:.1f} % of the "
                       "remaining damage"
                       + (": the baseline's own wrong majority inside correct masks, so the cure is a better network, "
                          "not better masks." if exact["cause"] == "wrong_majority" else "."))
    moves = {s: (drift.loc[(s, "frame"), "pixel_share"], drift.loc[(s, "masklet"), "pixel_share"]) for s in sources}
    lessons.append("Charging a drifting masklet on all its frames moves drift's share from "
                   + "; ".join(f"{a:.0f} to {b:.0f} % ({s})" for s, (a, b) in moves.items())
                   + (": it overstates drift wherever drift occurs, and the per-frame charge is the one to act on."
                      if all(b >= a for a, b in moves.values()) else "."))
    return lessons


def memory_lesson(memory: pd.DataFrame, window: int) -> str:
    """``07_cost``: how a predictor state's peak memory grew with the frames it holds, as far as it was measured,
    and what windowing bounds.

    Parameters
    ----------
    memory : ``cost_sam2_memory`` (``frames``, ``increase_mib``: the peak's rise over the memory held before).
    window : the study's window (frames).
    """
    require_columns(memory, ["frames", "increase_mib"], "cost_sam2_memory")
    rows = memory.sort_values("frames")
    frames, rise = rows["frames"].astype(int).tolist(), rows["increase_mib"].astype(float).tolist()
    steps = ", ".join(f"{b - a:+.0f} MiB from {f} to {g} frames"
                      for f, g, a, b in zip(frames, frames[1:], rise, rise[1:], strict=False))
    measured = (f"A predictor state's peak rose by {rise[0]:.0f} MiB with {frames[0]} frame"
                f"{'s' if frames[0] != 1 else ''}" + (f", then {steps}" if steps else "")
                + f": measured up to {frames[-1]} frames only. ")
    return (measured + f"A state holds one window's frames at most ({window} here), so a video needs the memory of "
            "its longest window, not of its length"
            + (f"; the memory of a {window}-frame window was not measured here, and these few points do not say "
               "how it grows beyond them." if window > frames[-1] else "."))


CLEAR_LEAD = 1.25
"""A stage is named a pipeline's slowest only when it takes at least this many times the next one: timings of the
same code moved by about a fifth between runs of ``07_cost`` on this machine (sam2-mini 0.65 to 0.80 s a key
frame over four runs on 2026-12-06)."""


def clear_slowest(pipelines: pd.DataFrame) -> pd.Series:
    """Per pipeline of :func:`vsslib.analysis.pipeline_summary`, whether its slowest stage leads the next by at
    least :data:`CLEAR_LEAD` (a pipeline with one stage leads by definition): (P,) bool."""
    require_columns(pipelines, ["slowest_lead"], "pipeline summary")
    return pipelines["slowest_lead"].fillna(np.inf) >= CLEAR_LEAD


def slowest_stages(pipelines: pd.DataFrame) -> str:
    """``07_cost``'s sentence naming each pipeline's slowest stage and its time, and the runner-up where the two are
    too close to rank (:func:`clear_slowest`)."""
    require_columns(pipelines, ["baseline", "masklets", "slowest", "slowest_seconds_per_frame", "runner_up"],
                    "pipeline summary")
    clear = clear_slowest(pipelines)
    return "; ".join(
        f"{r['baseline']} + {r['masklets']}: `{r['slowest']}` ({1e3 * r['slowest_seconds_per_frame']:.1f} ms a frame"
        + ("" if clear[k] else f"; `{r['runner_up']}` within a factor {CLEAR_LEAD:g}, too close to rank") + ")"
        for k, r in pipelines.iterrows())


def cost_lessons(pipelines: pd.DataFrame, memory: pd.DataFrame, window: int) -> list[str]:
    """``07_cost``: the vote's share of a pipeline's time, the slowest stages, and what windowing bounds.

    Parameters
    ----------
    pipelines : one row per pipeline with ``vote_share`` (fraction), ``slowest`` (a stage name) and
        ``slowest_lead`` (its time over the next stage's), as :func:`vsslib.analysis.pipeline_summary` gives them;
        a pipeline without a clear slowest stage (:func:`clear_slowest`) is counted apart.
    memory, window : see :func:`memory_lesson`.
    """
    require_columns(pipelines, ["vote_share", "slowest"], "pipeline summary")
    clear = clear_slowest(pipelines)
    close = int((~clear).sum())
    counts = [f"`{stage}` in {n} of {len(pipelines)} pipelines"
              for stage, n in pipelines.loc[clear, "slowest"].value_counts().items()]
    if close:
        counts.append(f"too close to call in {close} (the two slowest stages within a factor {CLEAR_LEAD:g}, "
                      "less than runs of this notebook vary)")
    return [f"The vote (`refinement`) takes {100 * pipelines['vote_share'].min():.1f} to "
            f"{100 * pipelines['vote_share'].max():.1f} % of a pipeline's time; the slowest stage is "
            + "; ".join(counts) + ".",
            "Windowing bounds memory: a predictor state never holds more than one window's frames, so a video needs "
            f"the memory of its longest window, not of its length (`cost_sam2_memory`, measured up to "
            f"{int(memory['frames'].max())} frames; the {window}-frame window's own memory is "
            + ("not measured)." if window > memory["frames"].max() else "among them).")]
