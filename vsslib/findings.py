"""The study's findings, written from its computed tables: every number with its interval, no claim without one.

:func:`headline` reads ``<results>/tables/`` and returns the Markdown block the README shows between its
``HEADLINE`` markers (:func:`update_readme`). A gain is called a gain (or a loss) only when its 95 % video
interval lies above (below) zero; otherwise it is reported as not distinguishable from zero. The paper is
quoted from its abstract, never paraphrased as our result.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ._io import write_text_atomic
from .errors import DataError
from .verdicts import VC_CONSTANT, classifier_findings, sweep_findings

__all__ = ["headline", "update_readme", "PAPER_CLAIM", "PAPER_SOURCE", "HEADLINE_MARKERS"]

PAPER_CLAIM = ("Our experiments suggest that leveraging SAM2 enhances overall performance in VSS, primarily due "
               "to its precise predictions of object boundaries.")
"""The last sentence of the paper's abstract (quoted)."""

PAPER_SOURCE = "Hesham et al., *Evaluating SAM2 for Video Semantic Segmentation*, arXiv 2512.01774, abstract"

HEADLINE_MARKERS = ("<!-- HEADLINE:START -->", "<!-- HEADLINE:END -->")


def _value(row: pd.Series, column: str, digits: int = 1) -> str:
    """``m [lo, hi]`` of a metric column with its interval columns."""
    return (f"{row[column]:.{digits}f} [{row[f'{column}_ci_low']:.{digits}f}, "
            f"{row[f'{column}_ci_high']:.{digits}f}]")


def _gain(row: pd.Series, metric: str) -> str:
    """A gain with its interval and what the interval supports."""
    low, high, mean = row[f"gain_{metric}_ci_low"], row[f"gain_{metric}_ci_high"], row[f"gain_{metric}"]
    verdict = "a gain" if low > 0 else "a loss" if high < 0 else "not distinguishable from zero"
    return f"{mean:+.1f} [{low:+.1f}, {high:+.1f}] ({verdict})"


def _read(tables: Path, name: str) -> pd.DataFrame:
    path = tables / f"{name}.csv"
    if not path.is_file():
        raise DataError(f"{path}: table not found; run `make figures` first")
    return pd.read_csv(path)


def _refiner_lines(table: pd.DataFrame) -> list[str]:
    rows = table[(table["method"] == "refined") & (table["vote"] == "masklet")]
    lines = ["| baseline | masklets | baseline mIoU | refined mIoU | mIoU gain | mBIoU gain | mVC16 gain | seeds x videos |",
             "|---|---|---|---|---|---|---|---|"]
    for _, row in rows.iterrows():
        base = table[(table["method"] == "baseline") & (table["baseline"] == row["baseline"])].iloc[0]
        lines.append(f"| {row['baseline']} | {row['masklets']} | {_value(base, 'mIoU')} | {_value(row, 'mIoU')} | "
                     f"{_gain(row, 'mIoU')} | {_gain(row, 'mBIoU')} | {_gain(row, 'mVC16')} | "
                     f"{int(row['n_seeds'])} x {int(row['n_videos'])} |")
    return lines


def _vote_lines(table: pd.DataFrame) -> list[str]:
    lines = []
    refined = table[table["method"] == "refined"]
    for (baseline, masklets), group in refined.groupby(["baseline", "masklets"], sort=False):
        if set(group["vote"]) >= {"masklet", "frame"}:
            whole = group[group["vote"] == "masklet"].iloc[0]
            frame = group[group["vote"] == "frame"].iloc[0]
            built_in = (" (built in: with one vote per masklet every track keeps one label, which VSPW's VC scores "
                        "as consistent whatever class won)" if whole["mVC16"] >= VC_CONSTANT else "")
            lines.append(f"  - {baseline} + {masklets}: mIoU gain {_gain(whole, 'mIoU')} with one vote per masklet, "
                         f"{_gain(frame, 'mIoU')} with one vote per masklet and frame; mVC16 "
                         f"{whole['mVC16']:.1f}{built_in} vs {frame['mVC16']:.1f}.")
    return lines


def _sweep_lines(sweep: pd.DataFrame) -> list[str]:
    from .viz.refiner import oracle_strength_note

    parts = [f"strength {row['strength']:g}: {_gain(row, 'mIoU')}" for _, row in sweep.iterrows()]
    summary = sweep_findings(sweep)[-1].text
    n_seeds = int(sweep["n_seeds"].iloc[0])
    return [f"- **Mask quality decides the sign of the gain** (exact masklets corrupted at growing strength; "
            f"{oracle_strength_note()}; {n_seeds} corruption seeds on the first training seed of "
            f"`{sweep['baseline'].iloc[0]}`, mIoU gain over that network): " + "; ".join(parts) + f". {summary}"]


def _classifier_lines(table: pd.DataFrame) -> list[str]:
    lines = [f"  - {f.text}." for f in classifier_findings(table) if f.key.endswith("/highest")]
    variants = table.pivot_table(index=["masklets", "features"], columns="variant", values="mIoU")
    pairs = variants.dropna(subset=[c for c in ("none", "fallback") if c in variants.columns])
    if {"none", "fallback"} <= set(variants.columns) and len(pairs) and (pairs["none"] == pairs["fallback"]).all():
        lines.append("  - `none` and `fallback` are equal in every row: these masklets cover every pixel, so no "
                     "pixel is left for the network's class to fill.")
    if any("oracle" in str(m) for m in table["masklets"]):
        lines.append("  - The oracle rows classify the val videos' ground-truth objects: an upper bound on what "
                     "approach 2 could do with perfect masklets, not a comparison of methods.")
    return lines


def _family_line(text: str) -> str:
    """Names the family of verdicts the block states (how many intervals were read against zero)."""
    n = sum(text.count(f"({word})") for word in ("a gain", "a loss", "not distinguishable from zero"))
    return (f"The block states {n} verdicts, each from its own 95 % interval, with no correction for "
            f"multiplicity: if every effect were zero, about {0.05 * n:.1f} of them would still read as a gain or "
            "a loss by chance. Verdicts whose interval ends near zero are the ones to doubt.")


def headline(results: str | os.PathLike[str]) -> str:
    """The README's findings block, written from ``<results>/tables/`` (refiner, refiner_oracle_sweep and
    mask_classifier tables).

    Raises
    ------
    DataError : a table is missing.
    """
    tables = Path(results) / "tables"
    refiner = _read(tables, "refiner")
    lines = ["Written by `make figures` from `results/tables/` (percent; val split of the generated benchmark, "
             "not VSPW; mean over training seeds, 95 % interval over seeds and videos in brackets; a gain is called a "
             "gain or a loss only when its interval excludes zero):", "", *_refiner_lines(refiner), ""]
    votes = _vote_lines(refiner)
    if votes:
        lines += ["- **The vote's scope** (whole masklet vs masklet and frame):", *votes]
    lines += _sweep_lines(_read(tables, "refiner_oracle_sweep"))
    classifier = _classifier_lines(_read(tables, "mask_classifier"))
    if classifier:
        lines += ["- **Approach 2 (classifying pooled masklet features)**, by masklet source:", *classifier]
    lines += ["", _family_line("\n".join(lines)), "",
              f"The paper's abstract: \"{PAPER_CLAIM}\" ({PAPER_SOURCE}). The rows above test that mechanism "
              "with masklets of known quality on generated scenes; they say nothing about SAM2's own masklets on "
              "VSPW."]
    return "\n".join(lines)


def update_readme(readme: str | os.PathLike[str], block: str) -> bool:
    """Replace the text between the README's ``HEADLINE`` markers with ``block``; returns whether it changed.

    Raises
    ------
    DataError : the README lacks the markers.
    """
    path = Path(readme)
    text = path.read_text()
    start, end = HEADLINE_MARKERS
    if start not in text or end not in text:
        raise DataError(f"{path}: the markers {start} and {end} are missing")
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    new = f"{before}{start}\n{block}\n{end}{after}"
    if new == text:
        return False
    write_text_atomic(path, new)
    return True
