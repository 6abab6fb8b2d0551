"""The study's findings, written from its computed tables: every number with its interval, no claim without one.

:func:`headline` reads ``<results>/tables/`` and returns the Markdown block the README shows between its
``HEADLINE`` markers (:func:`update_readme`). A gain is called a gain (or a loss) only when its 95 % video
interval lies above (below) zero; otherwise it is reported as not distinguishable from zero. The paper is
quoted from its abstract, never paraphrased as our result.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..base.io import write_text_atomic
from ..base.errors import DataError
from ..masks.oracle import MAX_STRENGTH
from ..masks.sam2_model import GeneratorSettings
from ..significance import holm_adjust
from .boundary_findings import (band_findings, boundary_verdicts, consistency_findings, network_verdicts,
                                per_class_findings, size_findings)
from .verdicts import (VC_CONSTANT, VERDICT_WORDS, VOTE_SCOPES, Finding, cause_findings, classifier_findings,
                       classifier_training, interval_text, knob_findings, paired_source_findings, quality_findings,
                       refiner_findings, stated, sweep_findings, vc_text, verdict, window_findings)

__all__ = ["headline", "family_findings", "NOT_CLAIMED", "study_findings", "stated_findings", "update_readme",
           "PAPER_CLAIM", "PAPER_SOURCE", "HEADLINE_MARKERS", "TERMS"]

PAPER_CLAIM = ("Our experiments suggest that leveraging SAM2 enhances overall performance in VSS, primarily due "
               "to its precise predictions of object boundaries.")
"""The last sentence of the paper's abstract (quoted)."""

PAPER_SOURCE = "Hesham et al., *Evaluating SAM2 for Video Semantic Segmentation*, arXiv 2512.01774, abstract"

HEADLINE_MARKERS = ("<!-- HEADLINE:START -->", "<!-- HEADLINE:END -->")

FAMILY_ALPHA = 0.05  # family-wise error rate of the Holm correction over the block's verdicts


def _verdict(row: pd.Series, metric: str) -> str:
    """What the 95 % interval of ``gain_<metric>`` supports: one of :data:`VERDICT_WORDS`' values."""
    return VERDICT_WORDS[verdict(row, f"gain_{metric}")]


def _gain_text(row: pd.Series, metric: str) -> str:
    """A gain with its interval and what the interval supports (a verdict already counted elsewhere)."""
    return stated(row, f"gain_{metric}")


class _Family:
    """The verdicts a block states, with their bootstrap p-values, for one Holm correction over all of them."""

    def __init__(self) -> None:
        self.stated: list[tuple[str, str, float]] = []  # (what, verdict, p)
        self.cells: list[tuple[pd.Series, str]] = []  # (row, metric) of each verdict, in the same order

    def gain(self, row: pd.Series, metric: str, what: str) -> str:
        """:func:`_gain_text`, its verdict recorded in the family under ``"<what>, <metric>"``, which must name
        one verdict only (two rows under one name would be counted apart but listed as one).

        Raises
        ------
        DataError : ``what`` and ``metric`` already name a verdict of the family.
        """
        name = f"{what}, {metric}"
        if any(stated == name for stated, _, _ in self.stated):
            raise DataError(f"headline: two verdicts are both named {name!r}; name what tells their rows apart")
        self.stated.append((name, _verdict(row, metric), float(row.get(f"gain_{metric}_p", float("nan")))))
        self.cells.append((row, metric))
        return f"\x00{len(self.stated) - 1}\x00"  # a placeholder: :meth:`resolve` writes the verdict in

    def again(self, row: pd.Series, metric: str, what: str) -> str:
        """:meth:`gain`, unless an earlier verdict of the family rests on the same numbers (gain, interval,
        p-value, seeds and videos: the same runs in another table, such as the sweep at s = 0 and the refiner
        table's oracle row of its network), whose placeholder is then returned: one verdict counted once."""
        cells = [f"gain_{metric}", f"gain_{metric}_ci_low", f"gain_{metric}_ci_high", f"gain_{metric}_p", "n_seeds",
                 "n_videos"]
        for k, (earlier, earlier_metric) in enumerate(self.cells):
            if earlier_metric == metric and all(earlier.get(c) == row.get(c) for c in cells):
                return f"\x00{k}\x00"
        return self.gain(row, metric, what)

    def resolve(self, lines: list[str]) -> list[str]:
        """``lines`` with each placeholder :meth:`gain` returned replaced by its gain, interval and verdict; a gain
        or loss that does not survive Holm's correction says so in its own parentheses (``(a loss; not after
        Holm's correction)``), so that no label reads stronger where it stands than the family allows."""
        kept = None if self.p_values_missing else self.surviving()

        def text(k: int) -> str:
            (what, verdict, _), (row, metric) = self.stated[k], self.cells[k]
            dropped = kept is not None and verdict != VERDICT_WORDS["unclear"] and what not in kept
            return stated(row, f"gain_{metric}", note="not after Holm's correction" if dropped else "")

        return [re.sub("\x00(\\d+)\x00", lambda m: text(int(m.group(1))), line) for line in lines]

    @property
    def p_values_missing(self) -> bool:
        """Whether a verdict of the family has no p-value (tables written before the `gain_*_p` columns)."""
        return any(np.isnan(p) for _, _, p in self.stated)

    def surviving(self) -> set[str]:
        """The gains and losses (their names, one per verdict) whose Holm-adjusted p-value is below
        :data:`FAMILY_ALPHA`."""
        adjusted = holm_adjust([p for _, _, p in self.stated])
        return {what for (what, verdict, _), a in zip(self.stated, adjusted)
                if verdict != VERDICT_WORDS["unclear"] and a < FAMILY_ALPHA}

    def line(self) -> str:
        """Names the family and which of its gains and losses survive Holm's correction at :data:`FAMILY_ALPHA`."""
        n = len(self.stated)
        claimed = [(what, p) for what, verdict, p in self.stated if verdict != VERDICT_WORDS["unclear"]]
        text = (f"The block rests on {n} verdicts read against zero, each from its own 95 % interval: the gains "
                "shown, and every approach-2 row (the highest of each source is picked among them). Read at 95 % each, "
                "some of so many verdicts would be wrong by chance alone; Holm's correction raises the bar for each "
                "so that the chance of any wrong verdict in the whole family stays at the family-wise rate. As one "
                f"family (Holm's correction at a family-wise {FAMILY_ALPHA:.0%}, on two-sided p-values: how often a "
                "gain at least this far from zero would arise by chance if the true gain were zero, computed from the "
                "bootstrap standard error, the spread of the gain over the same resampled draws of seeds and videos; "
                "the `gain_*_p` columns of the tables): ")
        if self.p_values_missing:
            return text + "not available, the tables lack p-value columns; regenerate them with `make figures`."
        kept = self.surviving()
        lost = [what for what, _ in claimed if what not in kept]
        return text + (f"{len(kept)} of the {len(claimed)} gains and losses remain"
                       + (f"; these do not: {'; '.join(lost)}." if lost else ", every one of them."))


def _read(tables: Path, name: str) -> pd.DataFrame:
    path = tables / f"{name}.csv"
    if not path.is_file():
        raise DataError(f"{path}: table not found; run `make figures` first")
    return pd.read_csv(path)


def _refiner_lines(table: pd.DataFrame, family: _Family) -> list[str]:
    rows = table[(table["method"] == "refined") & (table["vote"] == "masklet")]
    lines = ["| baseline | masklets | baseline mIoU | refined mIoU | mIoU gain | mBIoU gain | mVC16 gain | mVCc16 gain "
             "| seeds x videos |",
             "|---|---|---|---|---|---|---|---|---|"]
    for _, row in rows.iterrows():
        base = table[(table["method"] == "baseline") & (table["baseline"] == row["baseline"])].iloc[0]
        what = f"{row['baseline']} + {row['masklets']}"
        lines.append(f"| {row['baseline']} | {row['masklets']} | {interval_text(base, 'mIoU', signed=False)} | "
                     f"{interval_text(row, 'mIoU', signed=False)} | {family.gain(row, 'mIoU', what)} | "
                     f"{family.gain(row, 'mBIoU', what)} | "
                     f"{family.gain(row, 'mVC16', what)} | {family.gain(row, 'mVCc16', what)} | "
                     f"{int(row['n_seeds'])} x {int(row['n_videos'])} |")
    if any("oracle" in str(m) for m in rows["masklets"]):
        lines += ["", "The oracle rows refine with the val videos' exact objects as masklets: a reference for what "
                  "the vote gives with perfect masklets, not a method (no generator proposes them)."]
    return lines


def _vote_lines(table: pd.DataFrame, family: _Family) -> list[str]:
    lines = []
    refined = table[table["method"] == "refined"]
    for (baseline, masklets), group in refined.groupby(["baseline", "masklets"], sort=False):
        if set(group["vote"]) >= {"masklet", "frame"}:
            whole = group[group["vote"] == "masklet"].iloc[0]
            frame = group[group["vote"] == "frame"].iloc[0]
            built_in = (" (built in: with one vote per masklet every track keeps one label, which VSPW's VC scores "
                        "as consistent whatever class won)" if whole["mVC16"] >= VC_CONSTANT else "")
            lines.append(f"  - {baseline} + {masklets}: mIoU gain {_gain_text(whole, 'mIoU')} with "
                         f"{VOTE_SCOPES['masklet']}, "
                         f"{family.gain(frame, 'mIoU', f'{baseline} + {masklets}, vote per frame')} with "
                         f"{VOTE_SCOPES['frame']}; mVC16 "
                         f"{vc_text(whole['mVC16'])}{built_in} vs {vc_text(frame['mVC16'])}; "
                         f"{_vcc_text(whole, frame)}.")
    return lines


def _vcc_text(whole: pd.Series, frame: pd.Series) -> str:
    """mVCc16 of the two votes beside their mVC16, and how far each lies below it (the share of pixels of fixed
    class that VSPW's VC counts as consistent while their label is steady on a wrong class)."""
    below = [float(row["mVC16"]) - float(row["mVCc16"]) for row in (whole, frame)]
    return (f"correct consistency mVCc16 (VC that also asks for the right class) {whole['mVCc16']:.1f} vs "
            f"{frame['mVCc16']:.1f}, {below[0]:.1f} and {below[1]:.1f} points below mVC16")


TERMS = (
    "**The words the study uses, in short** (explained with drawings in `00_tour` and `03_refiner`): a *masklet* "
    "is one object's mask proposed on a key frame and carried through the following frames; approach 1 gives each "
    "masklet the class the network predicts most inside it, by one *vote per masklet* (all its frames) or *per "
    "masklet and frame*. The masklet *sources*: `classical` (graph-based regions on each key frame, carried by "
    "optical flow, no learning), `sam2-mini` (below) and `oracle`, the exact objects, *corrupted* at a *strength s* "
    f"from 0 (exact) to {MAX_STRENGTH:g}; the *baselines* they refine are two small CNNs trained here, "
    "`fcn8-small` (output stride 8) and `fcn16-wide` (stride 16). mIoU is the mean over classes of intersection "
    "over union; *mBIoU* scores only thin bands along the boundaries (Boundary IoU); *mVC8* and *mVC16* (video "
    "consistency) are the share of pixels whose true class stays fixed over 8 or 16 frames that also keep one "
    "predicted class, and *mVCc* asks "
    "for the right class too. Every score is on the val videos; the benchmark's train and test videos train the "
    "networks and approach 2's classifiers. A gain is in points; [low, high] is its 95 % interval, a bootstrap "
    "over training seeds and videos (the corruption sweep pools each training seed's corruption seeds; over "
    "videos where one set of masklets is measured), and a verdict (a gain, a loss, not distinguishable from zero) "
    "is what that interval supports. Many verdicts read at 95 % each include some wrong ones by chance: *Holm's "
    "correction* reads the headline's verdicts as one family and raises the bar for each so that the chance of "
    f"any wrong verdict in the family stays at {FAMILY_ALPHA * 100:g} %; a verdict it does not keep is marked "
    "`not after Holm's "
    "correction`. Approach 2 classifies each masklet's mean feature vector (*appearance* features: colour and "
    "texture; or a baseline network's own features, `segmenter:<network>`) and paints the masklet with that "
    "class; pixels outside every masklet stay unlabelled (`none`) or take the network's class (`fallback`), and "
    "`fused` also weighs the classifier's probability with the network's votes inside the masklet. Each masklet "
    "source gets one approach-2 row per way to fill (`none`, `fallback`, `fused`) and per classifier: on "
    "appearance features (trained on the train videos), or on a network's features (trained on the train videos, "
    "or on the test split's labelled videos: data approach 1 never uses).\n\n"
    "**Names.** *SAM2* is Segment Anything Model 2, a promptable image and video segmenter; *sam2-mini* is its "
    "architecture trained here (its *Hiera* image encoder, a hierarchical vision transformer, scaled down), "
    "judged by *one-click IoU* (the IoU of the mask it draws from one click inside an object). *VSPW* (Video Scene "
    "Parsing in the Wild) is the paper's benchmark; the study runs on a generated benchmark in its layout. *VSS* "
    "is video semantic segmentation. An *MLP* is a small fully connected network (approach 2's classifier). SAM2 "
    "carries a mask through a window from a *memory bank*, its encodings of the last frames and of the masks it "
    "drew on them; *linking* gives a masklet of one 32-frame window the id of the previous window's masklet it "
    "overlaps most (mask IoU above 0.5). The generator keeps a mask when its predicted IoU and its *stability* "
    "(the IoU between the mask cut at logit +0.9 and at -0.9, the *offset*) pass their thresholds, then drops a "
    "mask whose box overlaps the box of a better-scored one (*non-maximum suppression*). *papermill* is the tool "
    "that runs the notebooks with their parameters.")
"""The study's words and names, in short: the landing page's and the README findings block's first paragraphs."""


CONFIRMATION = '"The headline on held-out videos", below'
"""Where the findings block says ``make confirm``'s comparison is (the README's section after the block)."""


def _sweep_lines(sweep: pd.DataFrame, family: _Family) -> list[str]:
    from ..viz.refiner import oracle_strength_note

    parts = [f"strength {row['strength']:g}: {family.again(row, 'mIoU', f'sweep at strength {row.strength:g}')}"
             for _, row in sweep.iterrows()]
    summary = sweep_findings(sweep)[-1].text
    n_seeds, n_corruptions = int(sweep["n_seeds"].iloc[0]), int(sweep["n_corruption_seeds"].iloc[0])
    ordered = sweep.sort_values("strength")
    ends = [verdict(ordered.iloc[k], "gain_mIoU") for k in (0, -1)]  # the least and the most corrupted strength
    heading = ("Corrupting exact masklets turns the gain into a loss" if ends == ["gain", "loss"]
               else "The gain as exact masklets are corrupted")
    return [f"- **{heading}** (exact masklets corrupted at growing strength; "
            f"{oracle_strength_note()}; `{sweep['baseline'].iloc[0]}`, {n_seeds} training seeds x {n_corruptions} "
            "corruption seeds pooled per training seed, mIoU gain over that network): " + "; ".join(parts)
            + f". {summary}"]


def _quality_lines(table: pd.DataFrame) -> list[str]:
    """Where the generators sit on the sweep's measured axes (``refiner_mask_quality``). Each generator's gain there
    is the refiner table's row of the same network, source and vote over every training seed (the same runs),
    already in the family, so it does not join it again."""
    return ["  - **Where the generators sit on the sweep**, measured on two axes against the dataset's objects "
            "(same network and training seeds as the sweep):", *(f"    - {f.text}" for f in quality_findings(table))]


def _classifier_lines(table: pd.DataFrame, family: _Family, confirmation: str) -> list[str]:
    lines = [f"  - {f.text}." for f in classifier_findings(table) if f.key.endswith("/highest")]
    if lines:
        lines.append("  - Each highest row is picked on these val rows, so its interval does not cover that choice; "
                     f"`make confirm` scores the picked rows on videos that took no part in it ({confirmation}).")
    # the highest row is picked among all approach-2 rows of its source: each of them is a verdict read
    for _, row in table[table["method"] == "approach 2"].iterrows():
        trained_on = f" ({classifier_training(str(row['classifier_videos']))})" \
            if "classifier_videos" in row.index and pd.notna(row["classifier_videos"]) else ""
        family.gain(row, "mIoU", f"approach 2, {row['masklets']} masklets, `{row['variant']}` on {row['features']}"
                    f"{trained_on}")
    index = ["masklets", "features", *(["classifier_videos"] if "classifier_videos" in table.columns else [])]
    variants = table.pivot_table(index=index, columns="variant", values="mIoU")
    pairs = variants.dropna(subset=[c for c in ("none", "fallback") if c in variants.columns])
    if {"none", "fallback"} <= set(variants.columns) and len(pairs) and (pairs["none"] == pairs["fallback"]).all():
        lines.append("  - `none` and `fallback` are equal in every row: these masklets cover every pixel, so no "
                     "pixel is left for the network's class to fill.")
    if any("oracle" in str(m) for m in table["masklets"]):
        lines.append("  - The oracle rows classify the val videos' ground-truth objects (exact at s = 0, corrupted "
                     "at higher s): the exact rows measure approach 2 with perfect masklets, a reference rather than a "
                     "method (not a bound: the classifier can still be wrong about an exact object).")
    return lines


def _paired_lines(table: pd.DataFrame, family: _Family) -> list[str]:
    """The refiner_sources_paired rows: each generator's refined map minus the reference generator's."""
    lines = []
    for _, row in table.iterrows():
        what = f"{row['baseline']}: {row['masklets']} minus {row['reference']}"
        lines.append(f"  - `{row['baseline']}`: mIoU {family.gain(row, 'mIoU', what)}, mBIoU "
                     f"{family.gain(row, 'mBIoU', what)}, mVCc16 {family.gain(row, 'mVCc16', what)} "
                     f"({int(row['n_seeds'])} seeds x {int(row['n_videos'])} videos).")
    return lines


def _block(results: str | os.PathLike[str], confirmation: str = CONFIRMATION) -> tuple[list[str], _Family]:
    """The headline's lines and the family of verdicts they state."""
    tables = Path(results) / "tables"
    refiner = _read(tables, "refiner")
    family = _Family()
    lines = ["Written by `make figures` from `results/tables/` (percent; val split of the generated benchmark, "
             "not VSPW; mean over training seeds, 95 % interval over seeds and videos in brackets; a gain is called a "
             "gain or a loss only when its interval excludes zero):", "", *_refiner_lines(refiner, family), ""]
    votes = _vote_lines(refiner, family)
    if votes:
        lines += ["- **The vote's scope** (whole masklet vs masklet and frame):", *votes]
    if (tables / "refiner_sources_paired.csv").is_file():
        paired = _read(tables, "refiner_sources_paired")
        for (masklets, reference), group in paired.groupby(["masklets", "reference"], sort=False):
            lines += [f"- **{masklets} against {reference}**, map refined with {masklets} masklets minus map refined "
                      f"with {reference} masklets (same baseline predictions, seeds and videos; a gain favours "
                      f"{masklets}):", *_paired_lines(group, family)]
    lines += _sweep_lines(_read(tables, "refiner_oracle_sweep"), family)
    if (tables / "refiner_mask_quality.csv").is_file():
        lines += _quality_lines(_read(tables, "refiner_mask_quality"))
    classifier = _classifier_lines(_read(tables, "mask_classifier"), family, confirmation)
    if classifier:
        lines += ["- **Approach 2 (classifying pooled masklet features)**, by masklet source:", *classifier]
    return family.resolve(lines), family


def headline(results: str | os.PathLike[str], *, confirmation: str = CONFIRMATION, terms: bool = True) -> str:
    """The README's findings block, written from ``<results>/tables/`` (refiner, refiner_oracle_sweep and
    mask_classifier tables), after :data:`TERMS` unless ``terms`` is False (the landing page puts them before its
    key figures). ``confirmation`` says where ``make confirm``'s comparison is (the site links it).

    Raises
    ------
    DataError : a table is missing.
    """
    lines, family = _block(results, confirmation)
    lines = [TERMS, "", *lines] if terms else lines
    sources = set(_read(Path(results) / "tables", "refiner")["masklets"])
    mini = ("; the sam2-mini rows run SAM2's architecture and pipeline with weights trained here on such scenes "
            f"(quality in its model card){_mini_filters(results)}, not SAM 2 or SAM 2.1" if "sam2-mini" in sources
            else "")
    lines += ["", family.line(), "",
              f"The paper's abstract: \"{PAPER_CLAIM}\" ({PAPER_SOURCE}). The rows above test that mechanism "
              f"with masklets of known quality on generated scenes{mini}; they say nothing about SAM2's own "
              "masklets on VSPW."]
    return "\n".join(lines)


def _mini_filters(results: str | os.PathLike[str]) -> str:
    """", with its own generator filters (predicted IoU > 0.2, stability >= 0.6; ...)" from the results' own
    ``settings.json`` (what the tables were made with); "" where it does not record them."""
    path = Path(results) / "settings.json"
    try:
        mini = json.loads(path.read_text())["masklets"]["sam2_mini"]
        filters = float(mini["pred_iou_thresh"]), float(mini["stability_score_thresh"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    paper = GeneratorSettings()  # the paper's filters are the SAM2 source's defaults
    return (f", with its own generator filters (predicted IoU > {filters[0]:g}, stability >= {filters[1]:g}; "
            f"calibrated on its training videos, not the paper's {paper.pred_iou_thresh:g} / "
            f"{paper.stability_score_thresh:g})")


NOT_CLAIMED = "not claimed (unclear)"
"""The outcome of a verdict of the README's Holm family whose interval reaches zero: the block claims nothing."""


def family_findings(results: str | os.PathLike[str]) -> list[Finding]:
    """For :mod:`.verify` and :mod:`.confirm`: each verdict of the README's Holm family, a gain or loss with
    whether it survives Holm's correction, an unclear one as :data:`NOT_CLAIMED`; the text gives the gain, its
    interval and its Holm-adjusted p-value.

    Raises
    ------
    DataError : a table is missing.
    """
    _, family = _block(results)
    kept = family.surviving()
    adjusted = holm_adjust([p for _, _, p in family.stated])
    found = []
    for (what, verdict, _), (row, metric), p in zip(family.stated, family.cells, adjusted, strict=True):
        outcome = (NOT_CLAIMED if verdict == VERDICT_WORDS["unclear"] else
                   f"{verdict}, {'holds' if what in kept else 'does not hold'} in the family")
        found.append(Finding(f"holm/{what}", outcome, f"{what}: {stated(row, f'gain_{metric}')}"
                             + ("" if np.isnan(p) else f", Holm-adjusted p {_p_text(p)}")))
    return found


def _p_text(p: float) -> str:
    """``0.003``, ``< 0.001`` or ``1``: a p-value as the block reads it."""
    return "< 0.001" if p < 0.001 else f"{p:.3g}"


def stated_findings(results: str | os.PathLike[str]) -> dict[str, Finding]:
    """Every verdict and ordering the notebooks and the README state, from ``<results>/tables/``: those of
    :func:`study_findings` and, where the headline's tables exist, each Holm verdict of the README's family
    (:func:`family_findings`, keys ``"README: holm/..."``); what :mod:`.verify` and :mod:`.confirm` compare."""
    found = study_findings(results)
    tables = Path(results) / "tables"
    if all((tables / f"{name}.csv").is_file() for name in ("refiner", "refiner_oracle_sweep", "mask_classifier")):
        found.update({f"README: {f.key}": f for f in family_findings(results)})
    return found


def update_readme(readme: str | os.PathLike[str], block: str, *,
                  markers: tuple[str, str] = HEADLINE_MARKERS) -> bool:
    """Replace the text between the README's ``markers`` (default: ``HEADLINE``) with ``block``; returns whether
    it changed.

    Raises
    ------
    DataError : the README lacks the markers.
    """
    path = Path(readme)
    text = path.read_text()
    start, end = markers
    if start not in text or end not in text:
        raise DataError(f"{path}: the markers {start} and {end} are missing")
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    new = f"{before}{start}\n{block}\n{end}{after}"
    if new == text:
        return False
    write_text_atomic(path, new)
    return True


# ------------------------------------------------------------------------------ every stated finding
_TABLES: dict[str, Callable[[pd.DataFrame], list[Finding]]] = {
    "refiner": refiner_findings,
    "refiner_oracle_sweep": sweep_findings,
    "refiner_sources_paired": paired_source_findings,
    "refiner_window_length": window_findings,
    "mask_classifier": classifier_findings,
    "boundary_biou_by_dilation": lambda t: band_findings(t, "mBIoU", x="ratio"),
    "boundary_trimap": lambda t: band_findings(t, "accuracy", x="width"),
    "boundary_gain_by_object_size": size_findings,
    "boundary_vc8_summary": consistency_findings,
    "failure_causes": cause_findings,
    "refiner_mask_quality": quality_findings,
    "sam2_knobs": knob_findings,
}


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two tables hold the same columns and values (an integer column read as float still counts)."""
    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=True)
    except AssertionError:
        return False
    return True


def study_findings(results: str | os.PathLike[str]) -> dict[str, Finding]:
    """Every finding the study states, from the tables in ``<results>/tables/`` that exist (``{key: finding}``).

    Raises
    ------
    DataError : a table lacks a column a finding needs, or two findings share a key.
    """
    tables = Path(results) / "tables"
    found: dict[str, Finding] = {}

    def add(name: str, findings: list[Finding]) -> None:
        for finding in findings:
            key = f"{name}: {finding.key}"
            if key in found:
                raise DataError(f"{tables}: two findings share the key {key!r}")
            found[key] = finding

    for name, read in _TABLES.items():
        path = tables / f"{name}.csv"
        if path.is_file():
            add(name, read(pd.read_csv(path)))
    curve, trimap = tables / "boundary_biou_by_dilation.csv", tables / "boundary_trimap.csv"
    analysed = None
    if curve.is_file() and trimap.is_file():
        add("boundary", boundary_verdicts(pd.read_csv(curve), pd.read_csv(trimap)))
    curves, trimaps = tables / "boundary_biou_by_dilation_by_network.csv", tables / "boundary_trimap_by_network.csv"
    if curves.is_file() and trimaps.is_file():
        by_network = pd.read_csv(curves)
        if curve.is_file() and "baseline" in by_network:  # the network whose rows are the band table's: its
            # verdicts are the "boundary" ones above
            band = pd.read_csv(curve)
            analysed = next((str(network) for network, rows in by_network.groupby("baseline", sort=False)
                             if _same_rows(rows.drop(columns="baseline").reset_index(drop=True), band)), None)
        add("boundary_by_network", network_verdicts(by_network, pd.read_csv(trimaps), analysed=analysed))
    for path in sorted(tables.glob("boundary_per_class_*.csv")):
        add(path.stem, per_class_findings(pd.read_csv(path), source=path.stem.removeprefix("boundary_per_class_")))
    return found

