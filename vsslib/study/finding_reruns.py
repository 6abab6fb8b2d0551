"""How often ``make verify`` would fail on its findings alone when a re-run differs from the committed one only by
chance: simulated re-runs of the committed tables, their stated findings recomputed each time.

:func:`vsslib.study.verify.simulate_false_alarms` measures the cells' false-alarm rate; this module measures the
findings'. A verify fails whenever one stated verdict or ordering (:func:`vsslib.study.findings.stated_findings`)
differs, however little its interval moved, so a verdict whose interval ends near zero fails verify on a fair
share of honest re-runs. :func:`simulate_finding_changes` says how large that share is and which findings cause it.

The model of a re-run, per table row and seed-varying column ``m`` (verify's seed rule, :func:`rule_for`): the
re-run's mean over its ``n`` seeds differs from the committed one by ``delta ~ N(0, 2 s^2 / n)``, with ``s`` the row's
seed sd (unbiased for the variance; a row without a spread of its own takes its column's largest and that row's
seeds, as verify does; verify's median floor is left out, so that equal cells of two tables move alike); ``m``,
``m_ci_low`` and ``m_ci_high`` all move by ``delta`` (the interval keeps its width), and a bootstrap p-value ``m_p``
is scaled by the ratio of two normal-approximation p-values (after and before the move), so an unmoved cell keeps
its p. Cells are drawn independently of each other: in a real re-run the rows of one network and masklet source move
together (its bands, object sizes, strengths), so orderings among them change less often than here; the rate
overstates changes of orderings; a verdict against zero rests on one cell and is modelled fairly. A cell that
appears in two tables with the same values (the analysed network's rows of the by-network boundary tables) draws the
same ``delta`` in both, because each draw is a hash of the cell's committed values, its column and the re-run's
number. Cells without a seed spread (one-seed rows of borrowed spread, counts, ground-truth numbers) do not move.

Is a re-run on another processor like one with new seeds? :func:`move_in_seed_units` measures how far a second
results folder moved from the first in the units of this model (about N(0, 1) for new seeds); the README gives it
for the two processors whose tables the repository keeps.
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
from .verify import Kind, column_spreads, rule_for

__all__ = ["FindingReruns", "simulate_finding_changes", "perturbed_table", "tables_digest", "RECORD", "read_record",
           "move_in_seed_units", "main"]

RECORD = "finding_reruns.json"
"""Where :func:`main` keeps a simulation of ``<results>/tables/``, beside them: what the README quotes."""

_NORMAL_95 = 1.959963984540054  # two-sided 95 % normal quantile: an interval's half-width in standard errors


@dataclass
class FindingReruns:
    """Outcome of :func:`simulate_finding_changes`.

    Attributes
    ----------
    reruns : simulated re-runs.
    findings : stated findings of the committed tables.
    failed_reruns : re-runs in which at least one finding changed (verify would fail on its findings).
    changes : {finding key: re-runs in which it changed}.
    seed : seed of the draws.
    """

    reruns: int
    findings: int
    failed_reruns: int
    changes: Counter[str] = field(default_factory=Counter)
    seed: int = 0
    scale: float = 1.0
    changed: list[list[str]] = field(default_factory=list)  # the keys that changed, per re-run

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


def _standard_normal(keys: np.ndarray, rerun: int, seed: int) -> np.ndarray:
    """One N(0, 1) draw per uint64 cell key for re-run ``rerun``: a splitmix64 mix of key, re-run and seed,
    mapped through the normal quantile (the same key gives the same draw in every table)."""
    from scipy.stats import norm

    with np.errstate(over="ignore"):
        x = keys ^ np.uint64((rerun * 0x9E3779B97F4A7C15 + seed * 0xD1B54A32D192ED03) % 2**64)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    uniform = ((x >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53
    return norm.ppf(uniform)


def _cell_keys(table: pd.DataFrame, column: str) -> np.ndarray:
    """uint64 key of each row's cell of ``column``: a hash of the column's name and the row's committed mean and
    interval (to the tables' 4 decimals), so identical cells in two tables share their draws."""
    parts = [c for c in (column, f"{column}_ci_low", f"{column}_ci_high") if c in table.columns]
    values = table[parts].apply(pd.to_numeric, errors="coerce").round(4).reset_index(drop=True)
    values.columns = range(len(parts))
    rows = pd.util.hash_pandas_object(values, index=False).to_numpy(np.uint64)
    name = pd.util.hash_pandas_object(pd.Series([column]), index=False).to_numpy(np.uint64)[0]
    return rows ^ name


def _p_normal(value: np.ndarray, standard_error: np.ndarray) -> np.ndarray:
    from scipy.stats import norm

    with np.errstate(divide="ignore", invalid="ignore"):
        return 2 * norm.sf(np.abs(value) / standard_error)


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
    for column in columns:
        sd_column = f"{column}_sd"
        if (column.endswith(("_sd", "_ci_low", "_ci_high", "_p")) or sd_column not in columns
                or rules[column].kind is not Kind.SEEDS or sd_column not in spreads):
            continue
        spread = spreads[sd_column]
        sd = pd.to_numeric(table[sd_column], errors="coerce").to_numpy(float)
        n = pd.to_numeric(table[rules[column].seeds], errors="coerce").to_numpy(float)
        own = np.isfinite(sd) & (sd > 0) & (n >= 2)
        sd = np.where(own, sd, spread.largest)
        n = np.where(own, n, spread.n_seeds)
        mean = pd.to_numeric(table[column], errors="coerce").to_numpy(float)
        delta = scale * sd * np.sqrt(2.0 / n) * _standard_normal(_cell_keys(table, column), rerun, seed)
        delta = np.where(np.isfinite(mean), delta, 0.0)
        for moved in (column, f"{column}_ci_low", f"{column}_ci_high"):
            if moved in columns:
                out[moved] = pd.to_numeric(table[moved], errors="coerce") + delta
        if f"{column}_p" in columns and f"{column}_ci_low" in columns:
            p = pd.to_numeric(table[f"{column}_p"], errors="coerce").to_numpy(float)
            low = pd.to_numeric(table[f"{column}_ci_low"], errors="coerce").to_numpy(float)
            high = pd.to_numeric(table[f"{column}_ci_high"], errors="coerce").to_numpy(float)
            error = (high - low) / (2 * _NORMAL_95)
            before, after = _p_normal(mean, error), _p_normal(mean + delta, error)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(before > 0, after / before, 1.0)
            out[f"{column}_p"] = np.clip(p * ratio, 0.0, 1.0)
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
    outcome = FindingReruns(reruns, len(committed), 0, Counter(), seed, scale)
    with tempfile.TemporaryDirectory(prefix="finding-reruns-") as folder:
        (Path(folder) / "tables").mkdir()
        for rerun in range(reruns):
            for name, table in tables.items():
                perturbed_table(name, table, rerun, seed=seed, scale=scale).to_csv(
                    Path(folder) / "tables" / f"{name}.csv", index=False, float_format="%.4f")
            fresh = stated_findings(folder)
            changed = [key for key in committed.keys() | fresh.keys()
                       if key not in committed or key not in fresh or committed[key].verdict != fresh[key].verdict]
            outcome.changes.update(changed)
            outcome.changed.append(sorted(changed))
            outcome.failed_reruns += bool(changed)
            if progress and (rerun + 1) % 20 == 0:
                print(f"{rerun + 1}/{reruns} re-runs: {outcome.failed_reruns} with a changed finding", flush=True)
    return outcome


def move_in_seed_units(expected: str | Path, actual: str | Path) -> np.ndarray:
    """How far each seed-varying mean cell of ``<actual>/tables/`` moved from ``<expected>/tables/``, in units of
    the standard deviation a re-run with new seeds would give it (``sqrt(2 / n) * s``, ``s`` the expected row's
    seed sd, rows with ``s > 0`` and ``n >= 2`` only): about N(0, 1) if ``actual`` were a re-run with new seeds.
    Tables missing from either side, or of another length, are left out."""
    moves = []
    for path in sorted((Path(expected) / "tables").glob("*.csv")):
        other = Path(actual) / "tables" / path.name
        if not other.is_file():
            continue
        before, after = pd.read_csv(path), pd.read_csv(other)
        columns = list(before.columns)
        if "n_seeds" not in columns or len(before) != len(after) or list(after.columns) != columns:
            continue
        for column in columns:
            if column.endswith(("_sd", "_ci_low", "_ci_high", "_p")) or f"{column}_sd" not in columns:
                continue
            rule = rule_for(path.stem, column, columns)
            if rule.kind is not Kind.SEEDS:
                continue
            sd = pd.to_numeric(before[f"{column}_sd"], errors="coerce")
            n = pd.to_numeric(before[rule.seeds], errors="coerce")
            move = pd.to_numeric(after[column], errors="coerce") - pd.to_numeric(before[column], errors="coerce")
            kept = (sd > 0) & (n >= 2) & move.notna()
            moves.append((move[kept] / (sd[kept] * np.sqrt(2.0 / n[kept]))).to_numpy(float))
    return np.concatenate(moves) if moves else np.zeros(0)


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
