"""Does a fresh run reproduce the committed results? Tables cell by cell, within tolerances from the seed spread.

:func:`compare_results` compares a fresh ``results/`` folder with the committed one:

- **settings**: both folders carry ``settings.json`` (the study's settings tree, :func:`record_settings`); every
  setting except where files go and how many workers ran (:data:`UNCOMPARED_SETTINGS`) must be equal, so a
  run with another Boundary IoU dilation ratio fails here whatever its tables say;
- **tables** (``tables/*.csv``): same files, columns and rows; then each cell by the rule its table and column
  have in :data:`TABLE_RULES` (the one place tolerances are declared):

  - ``exact``: text, integer settings, data statistics, counts of given data: equal strings;
  - ``machine``: measured times and memory (also any column ``index.json`` lists as machine-dependent):
    reported, not compared;
  - ``seeds``: a number that moves with the training (or corruption) seed. Its tolerance is
    ``t * sqrt(2 / n) * sd``: ``sd`` is the committed row's ``<column>_sd`` (the sample standard deviation
    over the ``n`` = ``n_seeds`` seeds, or the rule's count column: ``n_corruption_seeds`` for the axes of
    ``refiner_mask_quality``), raised to the median of that column's positive sds where it is smaller
    (a sample sd of 3 seeds falls below a tenth of the true one in 1 % of rows; the column's median, measured
    over many rows, is a steadier estimate of the same spread); a row with no spread of its own (one seed, or
    an sd of 0: a number whose own randomness is fixed but which still moves with the networks' weights) takes
    the column's largest sd and the ``n`` of the row that measured it, so that no seed-varying number is
    compared to the rounding while its table measured a spread. If another machine acts like other seeds, the
    difference of two means of ``n`` seeds divided by ``sqrt(2 / n) * sd`` is Student-t distributed with
    ``n - 1`` degrees of freedom; ``t`` is its two-sided quantile at :data:`CELL_ALPHA` (:func:`critical_t`:
    31.6 for 3 seeds, 8.6 for 5). An ``<m>_sd`` column gets ``(sqrt(F) - 1) * sd`` with ``F`` the
    F(n - 1, n - 1) quantile at the same level (the ratio of two sample variances), and
    ``<m>_ci_low``/``<m>_ci_high`` the tolerance of ``<m>``;
  - ``derived``: a gain's bootstrap p-value (``<m>_p``): a step function of the same draws as the compared
    interval, not compared itself; the Holm verdicts of the README's family are (findings);
  - ``reference``: a number of one seed in a table without ``_sd`` columns: the same formula with ``n`` = 1
    and ``sd`` the largest seed sd of a reference column (``baselines_metrics``' ``mIoU_sd`` and so on), times
    a declared ``scale`` for units (fractions: 0.01), for per-class numbers (sqrt(C): a class mean of C
    classes spreads about sqrt(C) times less than one class), or relative to the value for counts.

  Every tolerance is at least :data:`ROUNDING` (tables are written with 4 decimals). Where no spread was
  measured (no row of the column has one, or a missing reference) the tolerance is that floor: the cell is
  compared exactly, and the report says so.
- **findings** (:func:`vsslib.study.findings.study_findings`): every verdict ("a gain", "a loss", "not
  distinguishable") and every ordering the notebooks and the README state, computed from each folder's tables,
  must be equal. Cell tolerances are wide with 3 seeds (the t quantile above); a re-run that moves a gain across
  zero, or changes which band, window, size or cause comes first, fails here even when every cell is within
  its tolerance;
- **figures**: compared through the tables they are drawn from, so only their presence is checked here.

The tolerances are not a claim that any difference below them is harmless: they are the differences another
machine can produce if it behaves like another seed, and a change of the method or of a setting moves a
number beyond them (tests show both).
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import pandas as pd

from ..base.io import write_json_atomic
from ..base.errors import DataError

__all__ = ["Kind", "ColumnRule", "ColumnSpread", "column_spreads", "rule_for", "TABLE_RULES", "CELL_ALPHA",
           "critical_t", "critical_sd_ratio", "simulate_false_alarms", "ROUNDING", "SETTINGS_FILE",
           "UNCOMPARED_SETTINGS", "CellDifference", "VerifyReport", "compare_results", "record_settings",
           "tolerance_table"]

CELL_ALPHA = 1e-3  # chance that one seed-varying cell fails when another machine acts like other seeds
REFERENCE_SEEDS = 3  # seeds behind a borrowed spread (the baseline networks' training seeds)
ROUNDING = 1e-4  # smallest tolerance of a number: tables are written with 4 decimals
SETTINGS_FILE = "settings.json"
UNCOMPARED_SETTINGS = ("data.root", "run.cache_dir", "run.results_dir", "run.workers")
"""Settings that say where files go or how many processes ran: they do not change a number."""


class Kind(str, Enum):
    """How a column is compared (see the module docstring)."""

    EXACT = "exact"
    MACHINE = "machine"
    SEEDS = "seeds"
    REFERENCE = "reference"
    DERIVED = "derived"


@dataclass(frozen=True)
class ColumnRule:
    """The comparison of one column.

    Attributes
    ----------
    kind : see :class:`Kind`.
    reference : ``REFERENCE`` only: ``"table:column"`` whose largest value is the seed sd; ``"table:*"``
        means ``<this column>_sd`` of that table.
    scale : ``REFERENCE`` only: multiplies the reference sd (units, per-class spread).
    relative : ``REFERENCE`` only: the tolerance is relative, ``scale * t * sqrt(2) * sd / mean`` of the
        reference times the committed value (counts and shares).
    seeds : ``SEEDS`` only: the column that counts the seeds the row's ``_sd`` is over.
    """

    kind: Kind
    reference: str = ""
    scale: float = 1.0
    relative: bool = False
    seeds: str = "n_seeds"

    def describe(self) -> str:
        if self.kind is Kind.EXACT:
            return "exact"
        if self.kind is Kind.MACHINE:
            return "machine-dependent, not compared"
        if self.kind is Kind.DERIVED:
            return "a p-value of the compared interval's draws: not compared; its verdicts are (findings)"
        if self.kind is Kind.SEEDS:
            return f"t({self.seeds}-1)·sqrt(2/{self.seeds})·<column>_sd of the row"
        if self.relative:
            return f"|value|·{self.scale:.3g}·t(2)·sqrt(2)·max {self.reference} / mean of that metric"
        return f"{self.scale:.3g}·t(2)·sqrt(2)·max {self.reference}"


EXACT = ColumnRule(Kind.EXACT)
MACHINE = ColumnRule(Kind.MACHINE)
SEEDS = ColumnRule(Kind.SEEDS)
DERIVED = ColumnRule(Kind.DERIVED)
CORRUPTIONS = ColumnRule(Kind.SEEDS, seeds="n_corruption_seeds")  # an sd over corruption seeds, not training seeds


def _network(column: str = "*", *, scale: float = 1.0, relative: bool = False) -> ColumnRule:
    """A one-seed number whose spread is that of the baseline networks' metrics over training seeds."""
    return ColumnRule(Kind.REFERENCE, f"baselines_metrics:{column}", scale, relative)


_CLASSES = math.sqrt(10)  # per-class numbers of the 10-class benchmark spread about sqrt(C) times more
TIMING = {"fps": MACHINE, "seconds*": MACHINE, "*_mib": MACHINE, "seconds_per_frame": MACHINE}

TABLE_RULES: dict[str, dict[str, ColumnRule]] = {
    # table name pattern -> {column pattern -> rule}; the first matching pattern wins. Columns with an
    # "<column>_sd" sibling, "<m>_sd" and "<m>_ci_*" columns take the SEEDS rule unless declared here;
    # any other column not declared is compared exactly.
    "dataset_*": {},  # the generated data: every cell exact
    "baselines_*": {**TIMING},
    "refiner_mask_quality": {**TIMING, "mask_quality*": CORRUPTIONS, "vote_ceiling*": CORRUPTIONS,
                             "labelled_coverage*": CORRUPTIONS},
    "refiner*": {**TIMING, "mIoU": _network("mIoU_sd"), "mBIoU": _network("mBIoU_sd"),
                 "mVC8": _network("mVC8_sd"), "mVC16": _network("mVC16_sd"),
                 "mVCc8": _network("mVCc8_sd"), "mVCc16": _network("mVCc16_sd")},
    "tour_metrics_*": {"mIoU": _network("mIoU_sd"), "mBIoU": _network("mBIoU_sd"), "mVC8": _network("mVC8_sd"),
                       "mVC16": _network("mVC16_sd"), "mVCc8": _network("mVCc8_sd"),
                       "mVCc16": _network("mVCc16_sd")},
    # approach 2 trains an MLP on top of the network: twice the network's spread
    "mask_classifier*": {**TIMING, "mIoU": _network("mIoU_sd", scale=2), "mBIoU": _network("mBIoU_sd", scale=2),
                         "mVC8": _network("mVC8_sd", scale=2), "mVC16": _network("mVC16_sd", scale=2),
                         "mVCc8": _network("mVCc8_sd", scale=2), "mVCc16": _network("mVCc16_sd", scale=2),
                         "*iou*": _network("mIoU_sd", scale=0.02 * _CLASSES)},
    # The analyses' tables carry their own seed spread (<column>_sd, n_seeds): those columns take the SEEDS rule;
    # what is declared here is what the ground truth alone fixes (band pixels, objects, frames).
    "boundary_biou_by_dilation": {"ratio": EXACT},
    "boundary_trimap": {"width": EXACT, "pixels": EXACT},
    "boundary_biou_by_dilation_by_network": {"ratio": EXACT},
    "boundary_trimap_by_network": {"width": EXACT, "pixels": EXACT},
    "boundary_gain_by_object_size": {"area_*": EXACT, "n_objects": EXACT},
    "boundary_per_class*": {"class_id": EXACT},
    "boundary_vc8_*": {"window_start": EXACT},
    "failure_*": {"frames": EXACT},
    "cost_*": {**TIMING},
}


def tolerance_table() -> str:
    """The declared rules as a Markdown table (for the README)."""
    lines = ["| table | column | tolerance |", "|---|---|---|"]
    for table, rules in TABLE_RULES.items():
        if not rules:
            lines.append(f"| `{table}` | all | exact |")
        grouped: dict[str, list[str]] = {}
        for column, rule in rules.items():
            grouped.setdefault(rule.describe(), []).append(f"`{column}`")
        for description, columns in grouped.items():
            lines.append(f"| `{table}` | {', '.join(columns)} | {description} |")
    lines.append("| any | `<m>`, `<m>_ci_low`, `<m>_ci_high` with an `<m>_sd` column | "
                 "t(n_seeds-1)·sqrt(2/n_seeds)·`<m>_sd` |")
    lines.append("| any | `<m>_sd` | (sqrt(F(n_seeds-1, n_seeds-1)) - 1)·`<m>_sd` |")
    lines.append("| (`<m>_sd` above: at least the median of its column; a row without one: the column's largest) "
                 "| | |")
    lines.append(f"| (t and F: two-sided quantiles at {CELL_ALPHA:g} per cell) | | |")
    lines.append(f"| any | `<m>_p` beside `<m>` | {DERIVED.describe()} |")
    lines.append("| any | any other | exact |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------- report
@dataclass(frozen=True)
class CellDifference:
    """A table cell that differs between the committed and the fresh results.

    ``difference`` and ``tolerance`` are ``None`` for text or exactly compared cells.
    """

    file: str
    row: int
    column: str
    expected: str
    actual: str
    difference: float | None
    tolerance: float | None
    rule: str

    @property
    def within(self) -> bool:
        return self.difference is not None and self.tolerance is not None and self.difference <= self.tolerance

    def describe(self) -> str:
        where = f"{self.file} row {self.row} column {self.column!r}"
        if self.difference is None:
            return f"{where}: committed {self.expected!r}, fresh {self.actual!r} ({self.rule})"
        return (f"{where}: committed {self.expected}, fresh {self.actual}: moved {self.difference:.4g}, "
                f"tolerance {self.tolerance:.4g} ({self.rule})")


@dataclass
class VerifyReport:
    """What :func:`compare_results` found.

    Attributes
    ----------
    failures : cells beyond their tolerance (or differing where compared exactly).
    within_tolerance : cells that differ but within their tolerance.
    problems : file-level failures: a missing or extra table or figure, other columns or rows, other settings.
    machine_dependent : ``file: column`` entries that were not compared.
    notes : what the reader should know (columns compared exactly for want of a measured spread, ...).
    tables, figures, cells, findings : how many were compared (findings: stated verdicts and orderings).
    """

    failures: list[CellDifference] = field(default_factory=list)
    within_tolerance: list[CellDifference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    machine_dependent: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: int = 0
    figures: int = 0
    cells: int = 0
    findings: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problems

    def summary(self, *, limit: int = 12) -> str:
        """A one-screen account: verdict, counts, the failures (largest relative move first), then notes."""
        verdict = "REPRODUCED" if self.ok else "DIFFERS"
        lines = [f"verify: {verdict}: {self.tables} tables ({self.cells} cells) and {self.figures} figures "
                 f"compared, {self.findings} findings; {len(self.failures)} cell(s) beyond tolerance, "
                 f"{len(self.within_tolerance)} within, "
                 f"{len(self.problems)} file problem(s), {len(self.machine_dependent)} machine-dependent "
                 "column(s) not compared"]
        lines += [f"  PROBLEM  {problem}" for problem in self.problems[:limit]]
        ranked = sorted(self.failures, key=lambda c: -(c.difference / c.tolerance if c.difference is not None
                                                        and c.tolerance else math.inf))
        lines += [f"  BEYOND   {cell.describe()}" for cell in ranked[:limit]]
        hidden = max(len(self.problems) - limit, 0) + max(len(self.failures) - limit, 0)
        if hidden:
            lines.append(f"  ... and {hidden} more")
        if self.within_tolerance:
            worst = max(self.within_tolerance, key=lambda c: c.difference / c.tolerance if c.tolerance else 0.0)
            lines.append(f"  largest move within tolerance: {worst.describe()}")
        lines += [f"  note: {note}" for note in self.notes[:limit]]
        if any(problem.startswith("finding ") for problem in self.problems):
            lines.append("  read: a changed finding fails verify however little it moved; how often new seeds alone "
                         "change one: `python -m vsslib.study.finding_reruns` (README, Reproducing the numbers)")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- settings
def record_settings(results: str | Path, settings: Mapping[str, object]) -> Path:
    """Write the study's settings tree (``StudySettings.to_dict()``) as ``<results>/settings.json``."""
    return write_json_atomic(Path(results) / SETTINGS_FILE, settings)


def _flatten(tree: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _compare_settings(expected: Path, actual: Path, report: VerifyReport) -> None:
    trees = []
    for folder in (expected, actual):
        path = folder / SETTINGS_FILE
        if not path.is_file():
            report.problems.append(f"{path}: missing; results must carry the settings they were made with "
                                   "(vsslib.study.verify.record_settings)")
            return
        trees.append(_flatten(json.loads(path.read_text())))
    committed, fresh = trees
    for key in sorted(set(committed) | set(fresh)):
        if key in UNCOMPARED_SETTINGS:
            continue
        if committed.get(key, "<absent>") != fresh.get(key, "<absent>"):
            report.problems.append(f"{SETTINGS_FILE}: setting {key} is {committed.get(key, '<absent>')!r} in the "
                                   f"committed results but {fresh.get(key, '<absent>')!r} in the fresh ones")


# ------------------------------------------------------------------------------------------------ tables
def rule_for(table: str, column: str, columns: list[str]) -> ColumnRule:
    """The rule :func:`compare_results` applies to ``column`` of table ``table`` (whose columns are ``columns``)."""
    if column in ("n_seeds", "n_videos"):
        return EXACT
    if column.endswith("_p") and column[:-2] in columns:
        return DERIVED  # a bootstrap p-value: a step function of the draws, compared through its Holm verdicts
    declared = next((rules for pattern, rules in TABLE_RULES.items() if fnmatch.fnmatchcase(table, pattern)), {})
    for pattern, rule in declared.items():
        if fnmatch.fnmatchcase(column, pattern):
            if rule.kind is Kind.REFERENCE and _seed_column(column, columns):
                return SEEDS  # a measured spread of its own beats a borrowed one
            return rule
    if _seed_column(column, columns):
        return SEEDS
    return EXACT


def _seed_column(column: str, columns: list[str]) -> str | None:
    """The ``<m>_sd`` column that holds the seed spread of ``column``, if the table has one."""
    if column.endswith("_sd") and "n_seeds" in columns:
        return column
    for suffix in ("_ci_low", "_ci_high", ""):
        if column.endswith(suffix):
            base = column[: len(column) - len(suffix)] if suffix else column
            if f"{base}_sd" in columns and "n_seeds" in columns:
                return f"{base}_sd"
    return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class _References:
    """Largest seed sd (and mean) of reference columns of the committed tables, read once."""

    def __init__(self, tables: Path) -> None:
        self.tables = tables
        self.cache: dict[str, tuple[float, float] | None] = {}

    def spread(self, reference: str, column: str) -> tuple[float, float] | None:
        """(largest sd, mean of the matching metric column) or None where no spread was measured."""
        table, ref_column = reference.split(":")
        ref_column = f"{column}_sd" if ref_column == "*" else ref_column
        key = f"{table}:{ref_column}"
        if key not in self.cache:
            self.cache[key] = None
            path = self.tables / f"{table}.csv"
            if path.is_file():
                frame = pd.read_csv(path)
                if ref_column in frame.columns and frame[ref_column].notna().any():
                    base = ref_column.removesuffix("_sd")
                    mean = float(frame[base].abs().mean()) if base in frame.columns else float("nan")
                    self.cache[key] = (float(frame[ref_column].max()), mean)
        return self.cache[key]


def critical_t(n_seeds: int, alpha: float = CELL_ALPHA) -> float:
    """Two-sided Student-t quantile with ``n_seeds - 1`` degrees of freedom: the allowed difference of two
    means of ``n_seeds`` seeds in units of ``sqrt(2 / n_seeds) * sd`` (31.6 for 3 seeds at 1e-3)."""
    from scipy.stats import t

    if n_seeds < 2:
        raise DataError(f"n_seeds={n_seeds}: a t quantile needs at least 2 seeds")
    return float(t.ppf(1 - alpha / 2, n_seeds - 1))


def critical_sd_ratio(n_seeds: int, alpha: float = CELL_ALPHA) -> float:
    """Upper two-sided quantile of the ratio of two sample sds of ``n_seeds`` values each: sqrt of the
    F(n - 1, n - 1) quantile (44.7 for 3 seeds at 1e-3)."""
    from scipy.stats import f

    if n_seeds < 2:
        raise DataError(f"n_seeds={n_seeds}: an F quantile needs at least 2 seeds")
    return math.sqrt(float(f.ppf(1 - alpha / 2, n_seeds - 1, n_seeds - 1)))


@dataclass(frozen=True)
class ColumnSpread:
    """The seed spread one ``<m>_sd`` column of a committed table measured, over its rows with a positive sd.

    Attributes
    ----------
    largest : the largest sd; a row without a spread of its own (one seed, or an sd of 0) takes it.
    n_seeds : the seeds of the row that measured ``largest`` (its t quantile's degrees of freedom + 1).
    median : the median sd; a row's smaller sd is raised to it (three seeds give an sd near 0 by chance).
    """

    largest: float
    n_seeds: int
    median: float


def column_spreads(table: pd.DataFrame, counts: Mapping[str, str] | None = None) -> dict[str, ColumnSpread]:
    """:class:`ColumnSpread` of every ``<m>_sd`` column of ``table`` (with ``n_seeds``) with a positive sd in a row
    of at least 2 seeds (counted by ``n_seeds``, or by ``counts[<m>_sd]``: :attr:`ColumnRule.seeds`)."""
    if "n_seeds" not in table.columns:
        return {}
    spreads = {}
    for column in (c for c in table.columns if c.endswith("_sd")):
        seeds = pd.to_numeric(table[(counts or {}).get(column, "n_seeds")], errors="coerce")
        sd = pd.to_numeric(table[column], errors="coerce")
        measured = (sd > 0) & (seeds >= 2)
        if measured.any():
            top = sd[measured].idxmax()
            spreads[column] = ColumnSpread(float(sd[top]), int(seeds[top]), float(sd[measured].median()))
    return spreads


def _tolerance(rule: ColumnRule, column: str, row: Mapping[str, str], references: _References,
               expected: float, spreads: Mapping[str, ColumnSpread] | None = None) -> tuple[float, str | None]:
    """(tolerance, note when no spread was measured) of one cell; ``spreads`` holds the spread each ``_sd`` column
    of the table measured (:func:`column_spreads`): a row without its own takes the largest, a smaller one is
    raised to the median."""
    if rule.kind is Kind.SEEDS:
        sd_column = _seed_column(column, list(row))
        sd = _number(row[sd_column]) if sd_column else None
        n = int(_number(row.get(rule.seeds, "")) or 1)
        spread = (spreads or {}).get(sd_column or "")
        if spread is not None and (sd is None or math.isnan(sd) or sd == 0 or n < 2):
            sd, n = spread.largest, spread.n_seeds  # no spread in this row: its column's largest, not the rounding
        elif spread is not None and sd is not None and sd < spread.median:
            sd = spread.median  # a sample sd of a few seeds can be near 0 by chance: the column's median floors it
        if sd is None or math.isnan(sd) or n < 2 or sd == 0:
            return ROUNDING, f"{column}: one seed, no measured spread: compared to the rounding only"
        if column.endswith("_sd"):
            return max(ROUNDING, (critical_sd_ratio(n) - 1) * sd), None
        return max(ROUNDING, critical_t(n) * math.sqrt(2.0 / n) * sd), None
    spread = references.spread(rule.reference, column)
    if spread is None:
        return ROUNDING, f"{column}: reference {rule.reference} holds no seed spread: compared to the rounding only"
    sd, mean = spread
    tolerance = rule.scale * critical_t(REFERENCE_SEEDS) * math.sqrt(2.0) * sd
    if rule.relative:
        tolerance = tolerance / mean * abs(expected) if mean > 0 else 0.0
    return max(ROUNDING, tolerance), None


def simulate_false_alarms(*, n_seeds: int = 3, cells: int = 1000, reruns: int = 2000, seed: int = 0,
                          median_floor: bool = True) -> tuple[float, float]:
    """How often the seed rule fails a re-run that differs from the committed one only by new seeds.

    Each of ``reruns`` simulated re-runs draws, for each of ``cells`` independent cells of one column (one true
    spread), ``n_seeds`` committed and ``n_seeds`` fresh values from one normal distribution (the same for both:
    nothing changed but the seeds), and applies the mean rule (``t * sqrt(2 / n) * committed sd``, the sd
    raised to the column's median sd as :func:`compare_results` does; ``median_floor=False``: the row's own sd
    alone) and the sd rule.

    Returns
    -------
    (per cell, per re-run) : the share of cells beyond tolerance, and the share of re-runs with at least one
        cell beyond tolerance (cells independent: real tables' cells are correlated, which lowers the latter).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    t_limit, f_limit = critical_t(n_seeds), critical_sd_ratio(n_seeds) - 1
    failed_cells, failed_runs = 0, 0
    for _ in range(reruns):
        committed = rng.standard_normal((cells, n_seeds))
        fresh = rng.standard_normal((cells, n_seeds))
        sd = committed.std(axis=1, ddof=1)
        if median_floor:
            sd = np.maximum(sd, np.median(sd))  # the column's median floors a row's sd
        mean_fails = np.abs(committed.mean(axis=1) - fresh.mean(axis=1)) > t_limit * np.sqrt(2 / n_seeds) * sd
        sd_fails = np.abs(fresh.std(axis=1, ddof=1) - sd) > f_limit * sd
        fails = mean_fails | sd_fails
        failed_cells += int(fails.sum())
        failed_runs += bool(fails.any())
    return failed_cells / (cells * reruns), failed_runs / reruns


def _compare_table(name: str, expected_path: Path, actual_path: Path, machine_columns: set[str],
                   references: _References, report: VerifyReport) -> None:
    rel = f"tables/{expected_path.name}"
    committed = pd.read_csv(expected_path, dtype=str, keep_default_na=False)
    fresh = pd.read_csv(actual_path, dtype=str, keep_default_na=False)
    columns = list(committed.columns)
    if columns != list(fresh.columns):
        report.problems.append(f"{rel}: columns differ: committed {columns}, fresh {list(fresh.columns)}")
        return
    if len(committed) != len(fresh):
        report.problems.append(f"{rel}: {len(committed)} rows committed, {len(fresh)} fresh")
        return
    report.tables += 1
    notes: set[str] = set()
    rules = {column: rule_for(name, column, columns) for column in columns}
    spreads = column_spreads(committed, {column: rule.seeds for column, rule in rules.items()
                                         if rule.kind is Kind.SEEDS and column.endswith("_sd")})
    for column in columns:
        rule = MACHINE if column in machine_columns else rules[column]
        if rule.kind is Kind.MACHINE:
            report.machine_dependent.append(f"{rel}: {column}")
            continue
        if rule.kind is Kind.DERIVED:
            continue
        for row in range(len(committed)):
            report.cells += 1
            a, b = committed.at[row, column], fresh.at[row, column]
            if a == b:
                continue
            x, y = _number(a), _number(b)
            if rule.kind is Kind.EXACT or x is None or y is None:
                report.failures.append(CellDifference(rel, row, column, a, b, None, None, "exact"))
                continue
            tolerance, note = _tolerance(rule, column, committed.iloc[row].to_dict(), references, x, spreads)
            if note:
                notes.add(f"{rel}: {note}")
            difference = abs(x - y) if not (math.isnan(x) or math.isnan(y)) else math.inf
            cell = CellDifference(rel, row, column, a, b, difference, tolerance, rule.describe())
            (report.within_tolerance if cell.within else report.failures).append(cell)
    report.notes.extend(sorted(notes))


def _compare_findings(expected: Path, actual: Path, report: VerifyReport) -> None:
    """Every stated verdict and ordering and every Holm verdict of the README's family
    (:func:`vsslib.study.findings.stated_findings`) must be equal."""
    from .findings import stated_findings as read

    try:
        committed = read(expected)
    except DataError as error:
        report.notes.append(f"findings of the committed results not compared: {error}")
        return
    try:
        fresh = read(actual)
    except DataError as error:
        report.problems.append(f"findings of the fresh results cannot be read: {error}")
        return
    report.findings = len(committed)
    for key in sorted(committed.keys() | fresh.keys()):
        before = committed[key].verdict if key in committed else "<absent>"
        after = fresh[key].verdict if key in fresh else "<absent>"
        if before != after:
            report.problems.append(f"finding {key}: committed {before!r}, fresh {after!r}"
                                   + (f" ({fresh[key].text})" if key in fresh else ""))


def compare_results(expected: Path, actual: Path) -> VerifyReport:
    """Compare a fresh results folder (``actual``) with the committed one (``expected``).

    Parameters
    ----------
    expected, actual : results folders (``settings.json``, ``index.json``, ``tables/*.csv``, ``figures/``).

    Returns
    -------
    VerifyReport : ``.ok`` and ``.summary()``; each failing cell names its file, row, column, how far it
        moved and its tolerance.

    Raises
    ------
    DataError : ``expected`` is not a folder.
    """
    expected, actual = Path(expected), Path(actual)
    if not expected.is_dir():
        raise DataError(f"{expected}: committed results folder not found")
    report = VerifyReport()
    if not actual.is_dir():
        report.problems.append(f"{actual}: fresh results folder not found")
        return report
    _compare_settings(expected, actual, report)
    index_path = expected / "index.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    machine = {name: set(entry.get("machine_dependent_columns", []))
               for name, entry in index.get("tables", {}).items()}
    references = _References(expected / "tables")
    committed_tables = {p.stem: p for p in (expected / "tables").glob("*.csv")}
    fresh_tables = {p.stem: p for p in (actual / "tables").glob("*.csv")}
    for name in sorted(committed_tables.keys() - fresh_tables.keys()):
        report.problems.append(f"tables/{name}.csv: committed but missing from the fresh results")
    for name in sorted(fresh_tables.keys() - committed_tables.keys()):
        report.problems.append(f"tables/{name}.csv: in the fresh results but not committed")
    for name in sorted(committed_tables.keys() & fresh_tables.keys()):
        _compare_table(name, committed_tables[name], fresh_tables[name], machine.get(name, set()), references,
                       report)
    _compare_findings(expected, actual, report)
    figures = {}
    for folder in (expected, actual):
        figures[folder] = {p.name for p in (folder / "figures").glob("*") if p.suffix in (".png", ".gif", ".svg")}
    for name in sorted(figures[expected] - figures[actual]):
        report.problems.append(f"figures/{name}: committed but missing from the fresh results")
    for name in sorted(figures[actual] - figures[expected]):
        report.problems.append(f"figures/{name}: in the fresh results but not committed")
    report.figures = len(figures[expected] & figures[actual])
    return report
