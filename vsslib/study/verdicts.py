"""Every verdict and ordering the study states, computed from its tables: the one source of its sentences.

A notebook's takeaway, the README's findings and ``make verify`` read the same :class:`Finding` objects, so a
sentence cannot say "a gain", "largest" or "falls" unless the table it describes does, and a re-run whose
tables would change a stated verdict or ordering fails verification
(:func:`vsslib.study.findings.study_findings`). The boundary analysis' verdicts (``05_boundary_analysis``)
are in :mod:`vsslib.study.boundary_findings`, built on the rules here.

Rules, the same everywhere:

- a gain (or any change) is called a **gain** (``"gain"``) when its 95 % interval lies above zero, a **loss**
  when it lies below, otherwise **unclear** (not distinguishable from zero);
- two numbers are called **apart** (one larger than the other) only when their intervals do not overlap;
  otherwise their order is not stated as a finding;
- a location ("at the boundary", "the smallest objects") is stated only where :func:`apart` supports it.

Each function takes a table as the notebooks write it (columns ``<m>``, ``<m>_ci_low``, ``<m>_ci_high`` and
``gain_<m>...``) and returns findings whose ``verdict`` is a short token (what verify compares) and whose
``text`` is the Markdown sentence (what the reader sees).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..base.errors import DataError, require_columns
from ..masks.quality import crossing
from ..viz.failures import remedy
from ..viz.prose import interval, number

__all__ = ["Finding", "verdict", "apart", "interval_text", "refiner_findings", "paired_source_findings",
           "sweep_findings", "window_findings", "classifier_findings", "knob_findings", "vc_beside_vcc",
           "cause_findings", "cause_remedies", "quality_findings", "break_even", "bullets", "VC_CONSTANT", "vc_text",
           "FEW_VIDEOS",
           "classifier_training", "VERDICT_WORDS", "VOTE_SCOPES", "stated"]

Verdict = Literal["gain", "loss", "unclear"]
VC_CONSTANT = 99.95
"""An mVC at or above this (percent) with one vote per masklet is read as constant by construction: VSPW's VC
scores a track that keeps one label as consistent whatever class won. Correct consistency mVCc (VC that also
asks for the right class, :mod:`vsslib.metrics.consistency`) is reported beside it: it is not built in."""


def classifier_training(split: str) -> str:
    """Which videos approach 2's classifier learned from, in words: the ``test`` split is a held-out set of
    labelled videos, never the val videos every score is measured on, and the words say so."""
    if split == "test":
        return ("classifier trained on the test split's labelled videos: extra labelled data that approach 1 "
                "never uses, and never scored (the val videos are)")
    return f"classifier trained on the {split} videos"


def vc_text(value: float) -> str:
    """A VC score in percent to one decimal, or to two where one would round it up to 100.0 (99.96 stays 99.96)."""
    return f"{value:.2f}" if VC_CONSTANT <= value < 100 else f"{value:.1f}"


@dataclass(frozen=True)
class Finding:
    """One stated verdict or ordering.

    Attributes
    ----------
    key : where it comes from, ``"<table>/<row>/<what>"``; unique within
        :func:`vsslib.study.findings.study_findings`.
    verdict : the short token a re-run must reproduce (``"loss"``, ``"narrow better"``, ``"worst: 200-799"``).
    text : the Markdown sentence stating it, numbers with their intervals.
    """

    key: str
    verdict: str
    text: str


# ------------------------------------------------------------------------------------------- primitives
def _cell(row: Mapping[str, Any] | pd.Series, column: str) -> tuple[float, float, float]:
    try:
        return float(row[column]), float(row[f"{column}_ci_low"]), float(row[f"{column}_ci_high"])
    except KeyError as error:
        raise DataError(f"a table row lacks {error.args[0]!r}: a verdict needs {column}, {column}_ci_low and "
                        f"{column}_ci_high") from None


def verdict(row: Mapping[str, Any] | pd.Series, column: str) -> Verdict:
    """``"gain"`` / ``"loss"`` / ``"unclear"``: where ``column``'s 95 % interval lies relative to zero."""
    _, low, high = _cell(row, column)
    if low > 0:
        return "gain"
    if high < 0:
        return "loss"
    return "unclear"


def apart(a: Mapping[str, Any] | pd.Series, b: Mapping[str, Any] | pd.Series, column: str) -> bool:
    """Whether the intervals of ``column`` in rows ``a`` and ``b`` do not overlap (NaN bounds: never apart)."""
    _, a_low, a_high = _cell(a, column)
    _, b_low, b_high = _cell(b, column)
    return a_low > b_high or a_high < b_low


def interval_text(row: Mapping[str, Any] | pd.Series, column: str, *, digits: int = 1,
                  signed: bool = True) -> str:
    """``+1.2 [+0.3, +2.1]``: a cell with its 95 % interval (``n/a`` for NaN; no signed zero,
    :func:`vsslib.viz.prose.number`)."""
    _cell(row, column)  # a clear error when a column is missing
    return interval(row, column, digits=digits, signed=signed)


VERDICT_WORDS: dict[Verdict, str] = {"gain": "a gain", "loss": "a loss", "unclear": "not distinguishable from zero"}
"""How a verdict reads in prose."""

VOTE_SCOPES: dict[str, str] = {"masklet": "one vote per masklet", "frame": "one vote per masklet and frame"}
"""How each vote scope of :class:`vsslib.refine.Vote` reads in prose."""


def stated(row: Mapping[str, Any] | pd.Series, column: str, *, note: str = "") -> str:
    """``+1.2 [+0.3, +2.1] (a gain)``, or with a ``note``: ``+1.2 [+0.3, +2.1] (a gain; <note>)``."""
    return f"{interval_text(row, column)} ({VERDICT_WORDS[verdict(row, column)]}{'; ' + note if note else ''})"


def bullets(findings: Sequence[Finding]) -> str:
    """The findings' texts as a Markdown list."""
    return "\n".join(f"- {finding.text}" for finding in findings)


# ---------------------------------------------------------------------------------------------- refiner
def refiner_findings(table: pd.DataFrame, *,
                     metrics: Sequence[str] = ("mIoU", "mBIoU", "mVC16", "mVCc16")) -> list[Finding]:
    """One finding per refined row of the ``refiner`` table (baseline x masklets x vote): the verdict of each
    metric's gain; where one vote per masklet makes mVC16 constant by construction, a note saying so with
    mVCc16 beside it, and where the gains of mVC16 and mVCc16 read differently, a note saying that
    (:func:`vc_beside_vcc`).

    ``verdict`` is ``"<metric> <verdict>, ..."``.
    """
    require_columns(table, ["baseline", "masklets", "vote", "method", *(f"gain_{m}" for m in metrics)], "refiner")
    findings = []
    for _, row in table[table["method"] == "refined"].iterrows():
        parts = [f"{m} gain {stated(row, f'gain_{m}')}" for m in metrics]
        text = f"`{row['baseline']}` + {row['masklets']}, one vote per {_vote(row['vote'])}: " + ", ".join(parts) + "."
        if row["vote"] == "masklet" and "mVC16" in row and float(row["mVC16"]) >= VC_CONSTANT:
            text += (f" mVC16 is {vc_text(float(row['mVC16']))}: with one vote per masklet and masklets that "
                     "follow the "
                     "objects, every pixel of a track keeps one label, and VSPW's VC scores that as consistent "
                     "whichever class won, so this mVC16 is near 100 by construction, not earned (a pixel can change "
                     "label only where it passes to another masklet, or out of every masklet, within the window); "
                     "the vote per masklet and frame shows consistency where it can differ.")
        if "mVC16" in metrics and "mVCc16" in metrics:
            text += vc_beside_vcc(row, "mVC16", "mVCc16")
        findings.append(Finding(f"refiner/{row['baseline']}/{row['masklets']}/{row['vote']}",
                                ", ".join(f"{m} {verdict(row, f'gain_{m}')}" for m in metrics), text))
    return findings


def paired_source_findings(table: pd.DataFrame, *,
                           metrics: Sequence[str] = ("mIoU", "mBIoU", "mVC16", "mVCc16")) -> list[Finding]:
    """One finding per row of the ``refiner_sources_paired`` table: a masklet source's refined map against the
    map refined with the ``reference`` source, on the same baseline predictions, seeds and videos (the ``gain_*``
    columns are the paired difference); ``verdict`` is ``"<metric> <verdict>, ..."``."""
    require_columns(table, ["baseline", "masklets", "reference", "vote", *(f"gain_{m}" for m in metrics)],
          "refiner_sources_paired")
    findings = []
    for _, row in table.iterrows():
        parts = [f"{m} {stated(row, f'gain_{m}')}" for m in metrics]
        text = (f"`{row['baseline']}` refined with {row['masklets']} minus refined with {row['reference']} masklets "
                f"(one vote per {_vote(row['vote'])}, paired over seeds and videos): " + ", ".join(parts) + ".")
        findings.append(Finding(f"paired/{row['baseline']}/{row['masklets']}/{row['reference']}",
                                ", ".join(f"{m} {verdict(row, f'gain_{m}')}" for m in metrics), text))
    return findings


def _vote(vote: str) -> str:
    return "masklet" if vote == "masklet" else "masklet and frame" if vote == "frame" else str(vote)


def sweep_findings(sweep: pd.DataFrame, *, metric: str = "mIoU") -> list[Finding]:
    """The corruption sweep: the verdict at each strength, then one summary finding that lists the strengths
    whose interval lies above zero, below zero, and neither (each list only when it is not empty)."""
    require_columns(sweep, ["strength", f"gain_{metric}"], "refiner_oracle_sweep")
    findings = [Finding(f"sweep/{row['strength']:g}", verdict(row, f"gain_{metric}"),
                        f"s = {row['strength']:g}: {metric} gain {stated(row, f'gain_{metric}')}")
                for _, row in sweep.iterrows()]
    groups = {v: [f"{f.key.split('/')[1]}" for f in findings if f.verdict == v] for v in ("gain", "loss", "unclear")}
    parts = []
    if groups["gain"]:
        parts.append(f"the interval lies above zero at s = {', '.join(groups['gain'])}")
    if groups["loss"]:
        parts.append(f"below zero at s = {', '.join(groups['loss'])}")
    if groups["unclear"]:
        parts.append(f"and holds zero at s = {', '.join(groups['unclear'])} (not distinguishable from no change)")
    if not groups["gain"]:
        parts.insert(0, "no strength gives an interval above zero")
    if not groups["loss"]:
        parts.append("no strength gives an interval below zero")
    token = "; ".join(f"{v}: {','.join(s)}" for v, s in groups.items() if s)
    findings.append(Finding("sweep/summary", token, "So " + ", ".join(parts) + "." + _sign_changes(sweep, metric)))
    return findings


def _sign_changes(sweep: pd.DataFrame, metric: str) -> str:
    """A sentence naming the neighbouring strengths between which the gain's point estimate changes sign, and
    where the straight line between the first such pair crosses zero; empty when it never changes sign."""
    ordered = sweep.dropna(subset=["strength", f"gain_{metric}"]).sort_values("strength")
    strengths, gains = ordered["strength"].to_numpy(float), ordered[f"gain_{metric}"].to_numpy(float)
    pairs = [(a, b) for a, b, ga, gb in zip(strengths, strengths[1:], gains, gains[1:]) if (ga < 0) != (gb < 0)]
    if not pairs:
        return ""
    first = crossing(strengths, gains)
    return (" The point estimate of the gain changes sign between "
            + " and again between ".join(f"s = {a:g} and s = {b:g}" for a, b in pairs)
            + (f" (the straight line between s = {pairs[0][0]:g} and s = {pairs[0][1]:g} crosses zero at "
               f"s = {first:.2f})." if first is not None else "."))


def window_findings(windows: pd.DataFrame, *, metric: str = "mIoU") -> list[Finding]:
    """Per masklet source of the window-length table: the gain at the shortest and the longest window, and
    what their intervals allow (shorter windows lose less, and whether the shortest still loses)."""
    require_columns(windows, ["masklets", "window", f"gain_{metric}"], "refiner_window_length")
    column = f"gain_{metric}"
    findings = []
    for source, part in windows.groupby("masklets", sort=False):
        part = part.sort_values("window")
        short, long = part.iloc[0], part.iloc[-1]
        text = (f"{source}: {metric} gain {stated(short, column)} with {int(short['window'])}-frame windows, "
                f"{stated(long, column)} with {int(long['window'])}-frame windows. ")
        if apart(short, long, column) and short[column] > long[column]:
            order = "shorter better"
            text += ("Shorter windows lose less. A shorter window changes three things at once: masklets are "
                     "carried fewer frames (less room to drift), proposed more often, and each vote covers fewer "
                     "frames, so the window alone does not say which of them matters")
            text += ("; the shortest window still loses, so part of the damage is there when masklets are proposed "
                     "(`06_failure_cases` charges the damage to causes one by one)."
                     if verdict(short, column) == "loss" else ".")
        elif apart(short, long, column):
            order = "longer better"
            text += "Longer windows do better: carrying masklets helps more than fresh proposals."
        else:
            order = "not apart"
            text += "The two intervals overlap: the window length is not resolved on this many videos."
        findings.append(Finding(f"windows/{source}", f"{order}; shortest {verdict(short, column)}", text))
    return findings


def highest_row(rows: pd.DataFrame, metric: str = "mIoU") -> pd.Series:
    """The row of ``rows`` with the highest mean ``metric`` (the first of equal ones): how the study picks one
    approach-2 row per kind of masklets on the development val videos."""
    return rows.loc[rows[metric].idxmax()]


def classifier_findings(table: pd.DataFrame, *, metric: str = "mIoU") -> list[Finding]:
    """Approach 2 per masklet source: the verdict of every approach-2 row's gain over the baseline network
    (rows whose ``method`` is ``"approach 2"``; approach-1 and baseline rows are not candidates), and the
    row with the highest mean, named as the highest on these val rows (an argmax over them, not a choice made
    on other data)."""
    require_columns(table, ["masklets", "method", "features", "variant", f"gain_{metric}"], "mask_classifier")

    def trained_on(row: pd.Series) -> tuple[str, str]:  # (key part, words) of the classifier's training split
        split = str(row.get("classifier_videos", "-"))
        return ("", "") if split in ("-", "", "nan") else (f"/{split}", f" ({classifier_training(split)})")

    findings = []
    for masklets, group in table[table["method"] == "approach 2"].groupby("masklets", sort=False):
        for _, row in group.iterrows():
            key, words = trained_on(row)
            findings.append(Finding(f"classifier/{masklets}/{row['features']}/{row['variant']}{key}",
                                    verdict(row, f"gain_{metric}"),
                                    f"{masklets} masklets, `{row['variant']}` on {row['features']} features{words}: "
                                    f"{metric} gain {stated(row, f'gain_{metric}')}"))
        best = highest_row(group, metric)
        key, words = trained_on(best)
        network = f" (`{best['baseline']}`)" if "baseline" in best.index else ""
        scope = (f" ({int(best['n_seeds'])} training seeds x {int(best['n_videos'])} videos)"
                 if {"n_seeds", "n_videos"} <= set(best.index) else "")
        text = (f"{masklets} masklets: the highest of the {len(group)} approach-2 rows is `{best['variant']}` on "
                f"{best['features']} features{words}, {metric} {interval_text(best, metric, signed=False)}{scope}, a "
                f"gain over the baseline network{network} of {stated(best, f'gain_{metric}')}")
        others = group.drop(index=best.name)
        # equal to the last digit (none = fallback where the masklets cover every pixel): named, not compared
        # rows that print the same score (as interval_text prints it) are tied, not ranked
        tied = others[others[metric].map(lambda v: number(v, signed=False)) == number(best[metric], signed=False)]
        if len(tied):
            text += " (tied with " + ", ".join(f"`{r['variant']}` on {r['features']} features{trained_on(r)[1]}"
                                               for _, r in tied.iterrows()) + ")"
        others = others.drop(index=tied.index)
        token = f"{best['features']}/{best['variant']}{key}"
        if len(others):  # the pick is a finding only where it is apart from the next distinct row
            runner = highest_row(others, metric)
            if apart(best, runner, metric):
                token += " (apart)"
            else:
                token = "highest not apart"
                text += (f"; its interval overlaps that of the next distinct row (the highest of the others, "
                         f"leaving out rows that print its score: `{runner['variant']}` on "
                         f"{runner['features']} features{trained_on(runner)[1]}, "
                         f"{interval_text(runner, metric, signed=False)}), so these videos do not resolve which row "
                         "is highest")
        alone = group[group["variant"] == "none"]
        if best["variant"] != "none" and len(alone):
            # fallback and fused lean on the network (its class outside the masklets, its votes inside them):
            # what the masklets' classes achieve alone is the highest `none` row
            pure = highest_row(alone, metric)
            text += (f"; the masklets' classes alone (`none`: no network votes inside the masklets, and pixels "
                     "outside every masklet unlabelled and scored as misses, so this row also pays for what the "
                     f"masklets leave uncovered) at best, `none` on {pure['features']} features{trained_on(pure)[1]}: "
                     f"a gain of {stated(pure, f'gain_{metric}')}")
            findings.append(Finding(f"classifier/{masklets}/highest none", verdict(pure, f"gain_{metric}"),
                                    f"{masklets} masklets, classified alone: {stated(pure, f'gain_{metric}')}"))
        findings.append(Finding(f"classifier/{masklets}/highest", token, text))
    return findings


FEW_VIDEOS = 10
"""Below this many videos a video bootstrap has few distinct draws (C(2n - 1, n): 10 for 3 videos, 462 for 6) and
cannot show how much another video would differ: verdicts on so few are marked rough where they stand."""


def knob_findings(table: pd.DataFrame, *, metrics: Sequence[str] = ("mIoU", "mBIoU")) -> list[Finding]:
    """One finding per moved knob value of the ``sam2_knobs`` table (:func:`vsslib.study.knob_sweep.knob_sweep`):
    masklets per frame and coverage at the source's own value and at the moved one, and the verdict of the
    paired change of each metric against the source's own settings (``change_<m>``); on fewer than
    :data:`FEW_VIDEOS` videos (``n_videos``) each gain or loss says in its parentheses that its interval is rough."""
    require_columns(table, ["knob", "value", "default", "masklets_per_frame", "coverage",
                  *(f"change_{m}" for m in metrics)], "sam2_knobs")
    findings = []
    for knob, part in table.groupby("knob", sort=False):
        own = part[part["default"].astype(bool)]
        if len(own) != 1:
            raise DataError(f"sam2_knobs: knob {knob!r} has {len(own)} rows marked default, expected 1")
        own = own.iloc[0]
        for _, row in part[~part["default"].astype(bool)].iterrows():
            videos = int(row.get("n_videos", FEW_VIDEOS))
            rough = (f"on {videos} video{'s' if videos != 1 else ''} only, a rough interval" if videos < FEW_VIDEOS
                     else "")
            notes = {m: rough if verdict(row, f"change_{m}") != "unclear" else "" for m in metrics}
            changes = "; ".join(f"{m} {stated(row, f'change_{m}', note=notes[m])}" for m in metrics)
            text = (f"`{knob}` {own['value']:g} -> {row['value']:g}: {own['masklets_per_frame']:.1f} -> "
                    f"{row['masklets_per_frame']:.1f} masklets a frame, coverage {own['coverage']:.0f} % -> "
                    f"{row['coverage']:.0f} %; refined against the source's own settings: {changes}")
            findings.append(Finding(f"knobs/{knob}/{row['value']:g}",
                                    ", ".join(f"{m} {verdict(row, f'change_{m}')}" for m in metrics), text))
    return findings


def vc_beside_vcc(row: Mapping[str, Any] | pd.Series, vc: str = "mVC16", vcc: str = "mVCc16", *,
                  gains: bool = True) -> str:
    """A clause (leading space or ``;``) on VSPW's VC beside correct consistency VCc in one table row.

    Where mVC is at or above :data:`VC_CONSTANT` (constant by construction), how far mVCc lies below it (mVC -
    mVCc is the mean over windows of the share of G whose prediction is held steady on a wrong class); with
    ``gains``, where the gain verdicts of the two differ, that they do (steadier labels are not the same as more
    often right labels). Empty where neither applies or the row lacks the columns.
    """
    if vc not in row or vcc not in row or not (math.isfinite(float(row[vc])) and math.isfinite(float(row[vcc]))):
        return ""
    parts = []
    if float(row[vc]) >= VC_CONSTANT:
        below = float(row[vc]) - float(row[vcc])
        parts.append(f"{vcc} is {interval_text(row, vcc, signed=False)}, {below:.1f} points below {vc}: on average "
                     f"over the windows, {below:.1f} % of the pixels whose class stays fixed keep one wrong class "
                     "throughout, which VSPW's VC counts as consistent")
    if gains and f"gain_{vc}" in row and f"gain_{vcc}" in row:
        v, c = verdict(row, f"gain_{vc}"), verdict(row, f"gain_{vcc}")
        if v != c:
            parts.append(f"the {vc} gain reads {VERDICT_WORDS[v]}, the {vcc} gain {VERDICT_WORDS[c]}: "
                         + ("the labels get steadier without getting right more often" if v == "gain" else
                            "more of the steady labels are right" if c == "gain" else
                            "VC and VCc do not move together here"))
    if not parts:
        return ""
    return (" " + "; ".join(parts) + ".") if gains else "; " + "; ".join(parts)


def cause_findings(causes: pd.DataFrame, *, column: str = "pixel_share") -> list[Finding]:
    """Per masklet source and charging scope of the failure table: the cause with the largest share, and
    whether it leads the runner-up by the paired interval of their difference (``share_over_next``, from
    :func:`vsslib.analysis.summarize_failures`): only an interval above zero lets it be said to lead."""
    require_columns(causes, ["cause", "masklets", "drift_scope", column, "share_over_next_ci_low"], "failure_causes")
    findings = []
    for (masklets, scope), part in causes.groupby(["masklets", "drift_scope"], sort=False):
        first, second, leads = _ranked_causes(part, column)
        if second is None or not first[column] > 0:
            continue
        text = (f"{masklets} masklets, charged per {scope}: `{first['cause']}` has the largest share, "
                f"{interval_text(first, column, signed=False)} %, then `{second['cause']}` "
                f"{interval_text(second, column, signed=False)} %; the paired difference is "
                f"{interval_text(first, 'share_over_next')} points, "
                + ("so it leads." if leads else "an interval that reaches zero, so no cause leads."))
        findings.append(Finding(f"causes/{masklets}/{scope}",
                                f"{first['cause']} {'leads' if leads else 'not apart from ' + str(second['cause'])}",
                                text))
    return findings


def _ranked_causes(part: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series | None, bool]:
    """The cause with the largest ``column`` among one source's rows, the runner-up (None with one cause), and
    whether the first leads: the paired interval of their difference (``share_over_next``) lies above zero."""
    part = part.sort_values(column, ascending=False)
    first = part.iloc[0]
    return first, (part.iloc[1] if len(part) > 1 else None), bool(first["share_over_next_ci_low"] > 0)


def cause_remedies(part: pd.DataFrame, source: str, *, column: str = "pixel_share") -> str:
    """What to try against one masklet source's failures (rows of the failure table for one source and charging
    scope): the knob against the cause with the largest share when it leads the runner-up (the paired interval
    ``share_over_next`` above zero, as :func:`cause_findings` reads it); otherwise no single knob is indicated,
    and the knobs against the two largest causes are both named."""
    require_columns(part, ["cause", column, "share_over_next_ci_low"], "failure_causes")
    first, second, leads = _ranked_causes(part, column)
    if second is None or leads:
        return f"What to try with {source} masklets: {remedy(first['cause'], source)}."
    return (f"No cause leads for {source} masklets, so no single knob is indicated; against the two largest: "
            f"`{first['cause']}`, {remedy(first['cause'], source)}; `{second['cause']}`, "
            f"{remedy(second['cause'], source)}.")


_AXES = {"vote_ceiling": "vote ceiling (accuracy of the refiner fed the ground truth)",
          "mask_quality": "mask quality (mean IoU of each object's masklet over its window)"}


def break_even(oracle: pd.DataFrame, axis: str, gain: str = "gain_mIoU") -> float | None:
    """Where the corruption sweep's mean ``gain`` crosses zero on ``axis``, by linear interpolation between the
    two neighbouring strengths (:func:`vsslib.masks.quality.crossing`); None when the gain does not change sign."""
    return crossing(oracle[axis].to_numpy(float), oracle[gain].to_numpy(float))


def quality_findings(table: pd.DataFrame, *, gain: str = "gain_mIoU") -> list[Finding]:
    """Per measured axis of ``refiner_mask_quality``: where the oracle sweep breaks even, and for each generator
    whether its position (its interval above or below that point, or inside the sweep's range at all) agrees
    with the sign of its own gain, and the sweep's gain at that position. The break-even and the sweep's gain at a
    position are interpolated point estimates (linear between neighbouring strengths)."""
    require_columns(table, ["masklets", "strength", gain, *(f"{a}_ci_high" for a in _AXES)], "refiner_mask_quality")
    oracle = table[table["strength"].notna()]
    generators = table[table["strength"].isna()]
    findings = []
    for axis, label in _AXES.items():
        point = break_even(oracle, axis, gain)
        low, high = oracle[axis].min(), oracle[axis].max()
        parts, tokens, against = [], [], []
        for _, row in generators.iterrows():
            value, lo, hi = _cell(row, axis)
            observed = verdict(row, gain)
            if value < low or value > high:
                where, agrees = "outside the sweep's range", "unplaced"
            elif point is None:
                where, agrees = "inside a range where the sweep's gain keeps one sign", "no break-even"
            else:
                where = "above" if lo > point else "below" if hi < point else "across"
                expected = {"above": "gain", "below": "loss"}.get(where)
                agrees = ("agrees" if expected == observed else "unclear" if expected is None or observed == "unclear"
                          else "disagrees")
                where = f"{where} the break-even"
            seeds = row.get("n_seeds", float("nan"))
            scope = " on that one training seed" if seeds == 1 else ""  # the headline's own row: over every seed
            there = ""
            if low <= value <= high:  # the sweep's own gain at this position, for a reader to set beside the row's
                ordered = oracle.sort_values(axis)
                expected_gain = np.interp(value, ordered[axis].to_numpy(float), ordered[gain].to_numpy(float))
                there = f" (the sweep's gain there: {number(float(expected_gain))}, interpolated)"
            parts.append(f"{row['masklets']} at {interval_text(row, axis, signed=False)} % lies {where}{there}, and "
                         f"its own {gain.removeprefix('gain_')} gain{scope} is {stated(row, gain)}")
            tokens.append(f"{row['masklets']} {agrees}")
            if agrees == "disagrees":
                against.append(f" {row['masklets']} lies {where} yet its gain is {VERDICT_WORDS[observed]}: on this "
                               "axis the sweep's sign does not hold for it.")
        even = (f"the corruption sweep breaks even at {point:.1f} % (interpolated between strengths)"
                if point is not None else "the corruption sweep's gain does not change sign")
        coverage = _coverage_note(oracle, generators) if axis == "vote_ceiling" else ""
        findings.append(Finding(f"quality/{axis}", "; ".join(tokens) or "no generator",
                                f"On the {label} axis, {even}; the sweep spans {low:.1f}-{high:.1f} %. "
                                + "; ".join(parts) + "." + "".join(against) + coverage
                                + _order_against_gains(generators, axis, gain)))
    return findings


def _coverage_note(oracle: pd.DataFrame, generators: pd.DataFrame) -> str:
    """The vote ceiling counts a labelled pixel in no masklet as right: the sweep's and each generator's coverage,
    and the generators that cover less than every strength of the sweep (whose place on that axis is then partly
    coverage); empty for tables without the ``labelled_coverage`` column."""
    if "labelled_coverage" not in oracle or oracle.empty:
        return ""
    low, high = oracle["labelled_coverage"].min(), oracle["labelled_coverage"].max()
    sweep = f"{low:.1f} %" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}-{high:.1f} %"
    rows = [row for _, row in generators.iterrows()]
    less = [row["masklets"] for row in rows if row.get("labelled_coverage_ci_high", row["labelled_coverage"]) < low]
    text = (" The ceiling counts a labelled pixel in no masklet as right (the refiner leaves it to the network, here "
            f"the ground truth), so covering less alone raises it: masklets cover {sweep} of the labelled pixels in "
            "the sweep, " + ", ".join(f"{row['masklets']} {interval_text(row, 'labelled_coverage', signed=False)} %"
                                      for row in rows) + ".")
    if less:
        text += (f" {' and '.join(less)} cover{'s' if len(less) == 1 else ''} less than any strength of the sweep, so "
                 f"{'its' if len(less) == 1 else 'their'} place against the break-even is not like with like: part "
                 "of the height is pixels the masklets leave alone.")
    if len(rows) > 1:
        text += (f" With {len(rows)} generators, agreeing with the sweep on this axis is an observation, not a test "
                 "of it.")
    return text


def _order_against_gains(generators: pd.DataFrame, axis: str, gain: str) -> str:
    """A sentence per two generators whose order on ``axis`` is the reverse of their gains', both pairs apart."""
    rows = [row for _, row in generators.iterrows()]
    return "".join(f" Between {a['masklets']} and {b['masklets']} the order on this axis is the reverse of their "
                   f"gains' order ({a['masklets']} {a[axis]:.1f} % and {number(a[gain])}, {b['masklets']} "
                   f"{b[axis]:.1f} % and {number(b[gain])}): here this axis does not predict which generator gains."
                   for i, a in enumerate(rows) for b in rows[i + 1:]
                   if apart(a, b, axis) and apart(a, b, gain) and (a[axis] > b[axis]) != (a[gain] > b[gain]))
