"""How often ``make verify`` would fail on its findings alone when a re-run differs from the committed one only by
chance: simulated re-runs of the committed tables, their stated findings recomputed each time.

:func:`vsslib.study.verify.simulate_false_alarms` measures the cells' false-alarm rate; this module measures the
findings'. A verify fails whenever one stated verdict or ordering (:func:`vsslib.study.findings.stated_findings`)
differs, however little its interval moved, so a verdict whose interval ends near zero fails verify on a fair
share of honest re-runs. :func:`simulate_finding_changes` says how large that share is and which findings cause it.

The model of a re-run, per table row and seed-varying column ``m`` (verify's seed rule, :func:`rule_for`): the
re-run's mean over its ``n`` seeds differs from the committed one by ``delta ~ N(0, 2 sigma^2 / n)``, with the true
seed sd ``sigma`` drawn from what the row's sample sd ``s`` says of it (``sigma^2 = s^2 (n - 1) / chi2(n - 1)``), so
``delta / (s sqrt(2 / n))`` follows Student's t with ``n - 1`` degrees of freedom: with 3 seeds an ``s`` near zero
by chance does not pin its cell. A row without a spread of its own (one seed, or an sd of 0) takes its column's
largest sd and that row's seeds, as verify does. ``m``, ``m_ci_low`` and ``m_ci_high`` all move by ``delta`` (the
interval keeps its width), and a bootstrap p-value ``m_p`` is read as a normal z-score and moved by ``delta`` over
the standard error the interval implies (a p written as 0.0000 read as half the tables' resolution), so an unmoved
cell keeps its p. Cells are drawn independently of each other, although in a real re-run the cells of one network
and masklet source move together (its bands, sizes, strengths, metrics, a gain and the means it is the difference
of, the p-values of one Holm family): changes of orderings between rows that move together are overstated, verdicts
that combine several cells are modelled only roughly, and a moved table can hold combinations a real one cannot. A
cell that appears in two tables with the same values (the analysed network's rows of the by-network boundary tables,
the sweep at s = 0 and the refiner's oracle row) draws the same ``delta`` in both, because each draw is keyed by a
hash of the cell's column and committed values and the re-run's number (rows without a spread of their own would
break this: their fallback sd is their table's; none is shared today). Columns of tables without ``<m>_sd`` columns
(one-seed numbers, counts, ground-truth numbers) do not move.

Is a re-run on another processor like one with new seeds? :func:`move_in_seed_units` measures how far a second
results folder moved from the first in the units of this model (Student's t with ``n - 1`` degrees of freedom for
new seeds); the README gives it for the processors and Adam kernels whose tables the repository keeps.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..base.errors import DataError, ParameterError
from ..base.io import write_json_atomic
from .findings import stated_findings
from .verify import ColumnRule, Kind, column_spreads, rule_for

__all__ = ["FindingReruns", "simulate_finding_changes", "perturbed_table", "tables_digest", "RECORD", "read_record",
           "move_in_seed_units", "main"]

RECORD = "finding_reruns.json"
"""Where :func:`main` keeps a simulation of ``<results>/tables/``, beside them: what the README quotes."""

_NORMAL_95 = 1.959963984540054  # two-sided 95 % normal quantile: an interval's half-width in standard errors
P_RESOLUTION = 1e-4  # the tables write p-values with 4 decimals


@dataclass
class FindingReruns:
    """Outcome of :func:`simulate_finding_changes`.

    Attributes
    ----------
    reruns : simulated re-runs.
    findings : stated findings of the committed tables.
    seed : seed of the draws.
    scale : the factor every move was multiplied by (1: new seeds).
    changed : per re-run, the sorted keys of the findings that changed (a key stated by a re-run but not by the
        committed tables, such as another row found highest, counts as changed); :attr:`failed_reruns` (verify would
        fail on its findings) and :attr:`changes` follow from it.
    """

    reruns: int
    findings: int
    seed: int = 0
    scale: float = 1.0
    changed: list[list[str]] = field(default_factory=list)

    @property
    def failed_reruns(self) -> int:
        """Re-runs in which at least one finding changed."""
        return sum(map(bool, self.changed))

    @property
    def changes(self) -> Counter[str]:
        """{finding key: re-runs in which it changed}."""
        return Counter(key for keys in self.changed for key in keys)

    @property
    def rate(self) -> float:
        """Share of re-runs in which verify would fail on a finding."""
        return self.failed_reruns / self.reruns

    @property
    def mean_changed(self) -> float:
        """Mean number of findings changed per re-run."""
        return sum(self.changes.values()) / self.reruns

    def most_changed(self, count: int = 5) -> list[tuple[str, float]]:
        """The ``count`` findings that changed most often, with the share of re-runs in which each did."""
        return [(key, times / self.reruns) for key, times in self.changes.most_common(count)]

    def summary(self) -> str:
        """A few lines a person reads."""
        lines = [f"{self.reruns} simulated re-runs (new seeds) of {self.findings} findings: at least one finding "
                 f"changed in {self.failed_reruns} ({100 * self.rate:.1f} %), {self.mean_changed:.2f} changed per "
                 f"re-run on average; {len(self.changes)} findings changed at least once."]
        lines += [f"  {100 * share:5.1f} %  {key}" for key, share in self.most_changed(10)]
        return "\n".join(lines)


def _uniforms(keys: np.ndarray, rerun: int, seed: int, stream: int) -> np.ndarray:
    """One uniform (0, 1) draw per uint64 cell key for re-run ``rerun`` and draw ``stream``: a splitmix64 mix of key,
    re-run, seed and stream (the same key gives the same draw in every table)."""
    mix = (rerun * 0x9E3779B97F4A7C15 + seed * 0xD1B54A32D192ED03 + stream * 0xA0761D6478BD642F) % 2**64
    with np.errstate(over="ignore"):
        x = keys ^ np.uint64(mix)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53


def _cell_keys(table: pd.DataFrame, column: str) -> np.ndarray:
    """uint64 key of each row's cell of ``column``: the first 8 bytes of the sha256 of the column's name and the
    row's committed mean and interval as the tables write them (4 decimals), so identical cells in two tables share
    their draws, whatever the pandas version."""
    parts = [c for c in (column, f"{column}_ci_low", f"{column}_ci_high") if c in table.columns]
    values = table[parts].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    texts = ("|".join([column, *(f"{v:.4f}" for v in row)]) for row in values)
    return np.array([int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little") for t in texts], np.uint64)


def _student_moves(keys: np.ndarray, n: np.ndarray, rerun: int, seed: int) -> np.ndarray:
    """Moves in units of ``s * sqrt(2 / n)`` (``s`` the committed sample sd of ``n`` seeds): a normal draw divided by
    sqrt(chi2(n - 1) / (n - 1)), i.e. the true sd drawn from what ``s`` says of it, so the moves follow Student's t
    with ``n - 1`` degrees of freedom, as a re-run's mean over new seeds does around the committed one."""
    from scipy.stats import chi2, norm

    normal = norm.ppf(_uniforms(keys, rerun, seed, 0))
    dof = np.maximum(n - 1, 1)
    return normal / np.sqrt(chi2.ppf(_uniforms(keys, rerun, seed, 1), dof) / dof)


def _moved_p(table: pd.DataFrame, column: str, mean: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """The bootstrap p-values of ``column`` after its means moved by ``delta``: each p read as a normal z-score (a p
    written as 0.0000 as half the tables' resolution), moved by ``delta`` over the standard error its interval
    implies, and read back; an unmoved cell keeps its p, one whose interval gives no standard error too."""
    from scipy.stats import norm

    original = pd.to_numeric(table[f"{column}_p"], errors="coerce").to_numpy(float)
    p = np.maximum(original, P_RESOLUTION / 2)
    low = pd.to_numeric(table[f"{column}_ci_low"], errors="coerce").to_numpy(float)
    high = pd.to_numeric(table[f"{column}_ci_high"], errors="coerce").to_numpy(float)
    error = (high - low) / (2 * _NORMAL_95)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(mean < 0, -1.0, 1.0) * norm.isf(p / 2) + delta / error
        moved = 2 * norm.sf(np.abs(z))
    return np.where(np.isfinite(moved) & (error > 0) & (delta != 0), np.clip(moved, 0.0, 1.0), original)


def _seed_varying(columns: list[str], rules: dict[str, ColumnRule]) -> list[str]:
    """The mean columns that move with the seeds: a ``<m>_sd`` sibling and verify's seed rule (``rules``)."""
    return [column for column in columns if not column.endswith(("_sd", "_ci_low", "_ci_high", "_p"))
            and f"{column}_sd" in columns and rules[column].kind is Kind.SEEDS]


def perturbed_table(name: str, table: pd.DataFrame, rerun: int, *, seed: int = 0, scale: float = 1.0) -> pd.DataFrame:
    """``table`` (a committed table named ``name``) as one simulated re-run with new seeds would give it (the
    module's model); ``scale`` multiplies every move (0 returns the table's values unchanged)."""
    columns = list(table.columns)
    if "n_seeds" not in columns:
        return table
    rules = {column: rule_for(name, column, columns) for column in columns}
    counts = {c: r.seeds for c, r in rules.items() if r.kind is Kind.SEEDS and c.endswith("_sd")}
    spreads = column_spreads(table, counts)
    out = table.copy()
    for column in _seed_varying(columns, rules):
        sd_column = f"{column}_sd"
        if sd_column not in spreads:
            continue
        spread = spreads[sd_column]
        sd = pd.to_numeric(table[sd_column], errors="coerce").to_numpy(float)
        n = pd.to_numeric(table[rules[column].seeds], errors="coerce").to_numpy(float)
        own = np.isfinite(sd) & (sd > 0) & (n >= 2)
        sd = np.where(own, sd, spread.largest)
        n = np.where(own, n, spread.n_seeds)
        mean = pd.to_numeric(table[column], errors="coerce").to_numpy(float)
        delta = scale * sd * np.sqrt(2.0 / n) * _student_moves(_cell_keys(table, column), n, rerun, seed)
        delta = np.where(np.isfinite(mean), delta, 0.0)
        for moved in (column, f"{column}_ci_low", f"{column}_ci_high"):
            if moved in columns:
                out[moved] = pd.to_numeric(table[moved], errors="coerce") + delta
        if f"{column}_p" in columns and f"{column}_ci_low" in columns:
            out[f"{column}_p"] = _moved_p(table, column, mean, delta)
    return out


def simulate_finding_changes(results: str | Path, *, reruns: int = 200, seed: int = 0,
                             scale: float = 1.0, progress: bool = False) -> FindingReruns:
    """Simulate ``reruns`` re-runs of ``<results>/tables/`` with new seeds (the module's model) and count how often
    a stated finding changes: the false-alarm rate of ``make verify``'s findings.

    Raises
    ------
    DataError : ``results`` holds no tables, or they state no finding.
    ParameterError : ``reruns`` < 1 or ``scale`` < 0.
    """
    if reruns < 1 or scale < 0:
        raise ParameterError(f"reruns={reruns} must be >= 1 and scale={scale} >= 0")
    source = Path(results) / "tables"
    paths = sorted(source.glob("*.csv"))
    if not paths:
        raise DataError(f"{source}: no tables to re-run")
    committed = stated_findings(results)
    if not committed:
        raise DataError(f"{source}: the tables state no finding")
    tables = {path.stem: pd.read_csv(path) for path in paths}
    outcome = FindingReruns(reruns, len(committed), seed, scale)
    moving = {name: table for name, table in tables.items() if "n_seeds" in table.columns}
    with tempfile.TemporaryDirectory(prefix="finding-reruns-") as folder:
        (Path(folder) / "tables").mkdir()
        for path in paths:
            if path.stem not in moving:  # tables that never move are copied once
                (Path(folder) / "tables" / path.name).write_bytes(path.read_bytes())
        for rerun in range(reruns):
            for name, table in moving.items():
                perturbed_table(name, table, rerun, seed=seed, scale=scale).to_csv(
                    Path(folder) / "tables" / f"{name}.csv", index=False, float_format="%.4f")
            fresh = stated_findings(folder)
            outcome.changed.append(sorted(
                key for key in committed.keys() | fresh.keys()
                if key not in committed or key not in fresh or committed[key].verdict != fresh[key].verdict))
            if progress and (rerun + 1) % 20 == 0:
                print(f"{rerun + 1}/{reruns} re-runs: {outcome.failed_reruns} with a changed finding", flush=True)
    return outcome


def move_in_seed_units(expected: str | Path, actual: str | Path) -> pd.DataFrame:
    """How far each seed-varying mean cell of ``<actual>/tables/`` moved from ``<expected>/tables/``, in units of
    ``sqrt(2 / n) * s`` (``s`` the expected row's seed sd over its ``n`` seeds; rows with ``s > 0`` and ``n >= 2``):
    Student's t with ``n - 1`` degrees of freedom if ``actual`` were a re-run with new seeds.

    Returns
    -------
    DataFrame : one row per cell: ``table``, ``column``, ``row``, ``move``, ``n_seeds``, and ``value`` (the expected
        cell, with ``sd``: a cell that several tables repeat appears once per table). Tables missing from either
        side, or of other rows or columns, are left out.
    """
    parts = []
    for path in sorted((Path(expected) / "tables").glob("*.csv")):
        other = Path(actual) / "tables" / path.name
        if not other.is_file():
            continue
        before, after = pd.read_csv(path), pd.read_csv(other)
        columns = list(before.columns)
        if "n_seeds" not in columns or len(before) != len(after) or list(after.columns) != columns:
            continue
        rules = {column: rule_for(path.stem, column, columns) for column in columns}
        for column in _seed_varying(columns, rules):
            rule = rules[column]
            sd = pd.to_numeric(before[f"{column}_sd"], errors="coerce")
            n = pd.to_numeric(before[rule.seeds], errors="coerce")
            value = pd.to_numeric(before[column], errors="coerce")
            move = pd.to_numeric(after[column], errors="coerce") - value
            kept = (sd > 0) & (n >= 2) & move.notna()
            parts.append(pd.DataFrame({"table": path.stem, "column": column, "row": np.flatnonzero(kept),
                                       "move": (move[kept] / (sd[kept] * np.sqrt(2.0 / n[kept]))).to_numpy(float),
                                       "n_seeds": n[kept].to_numpy(int), "value": value[kept].to_numpy(float),
                                       "sd": sd[kept].to_numpy(float)}))
    columns = ["table", "column", "row", "move", "n_seeds", "value", "sd"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def tables_digest(results: str | Path) -> str:
    """sha256 of ``<results>/tables/*.csv`` (names and bytes, in name order): which tables a record was made from."""
    digest = hashlib.sha256()
    for path in sorted((Path(results) / "tables").glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def read_record(results: str | Path) -> dict:
    """The record :func:`main` wrote beside ``<results>/tables/``.

    Raises
    ------
    DataError : there is none, or it was made from other tables than the ones there now (run :func:`main` again).
    """
    path = Path(results) / RECORD
    if not path.is_file():
        raise DataError(f"{path}: no simulation recorded; run `python -m vsslib.study.finding_reruns`")
    record = json.loads(path.read_text())
    if record.get("tables_digest") != tables_digest(results):
        raise DataError(f"{path}: made from other tables than {Path(results) / 'tables'} holds now; run "
                        f"`python -m vsslib.study.finding_reruns` again")
    return record


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vsslib.study.finding_reruns [--results results] [--reruns 200] [--seed 0] [--scale 1]``: simulate,
    print the summary, and record it in ``<results>/finding_reruns.json``."""
    parser = argparse.ArgumentParser(prog="python -m vsslib.study.finding_reruns", description=__doc__.split("\n")[0])
    parser.add_argument("--results", default="results", help="results folder (its tables/)")
    parser.add_argument("--reruns", type=int, default=200, help="simulated re-runs (about 2 s each here)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every move (1: new seeds)")
    args = parser.parse_args(argv)
    outcome = simulate_finding_changes(args.results, reruns=args.reruns, seed=args.seed, scale=args.scale,
                                       progress=True)
    print(outcome.summary())
    write_json_atomic(Path(args.results) / RECORD, {
        "tables_digest": tables_digest(args.results), "reruns": outcome.reruns, "seed": outcome.seed,
        "scale": outcome.scale, "findings": outcome.findings, "failed_reruns": outcome.failed_reruns,
        "changed": outcome.changed})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
