"""make verify's comparison (vsslib.study.verify): identical results pass; a cell beyond its tolerance, a changed
setting, a missing table or figure fail and name what moved; differences within the seed spread pass."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import readme_words

from vsslib.study.finding_reruns import move_in_seed_units
from vsslib.study.findings import family_findings
from vsslib.study.settings import StudySettings
from vsslib.study.verify import (ROUNDING, ColumnSpread, column_spreads, compare_results, critical_sd_ratio, critical_t,
                                 record_settings, simulate_false_alarms, tolerance_table)

REPO_RESULTS = Path(__file__).resolve().parents[1] / "results"


def _results(folder: Path) -> Path:
    """A small results folder: a seed table (3 seeds), a one-seed table, data statistics, a timing table."""
    tables = folder / "tables"
    tables.mkdir(parents=True)
    pd.DataFrame({"network": ["fcn8-small", "fcn16-wide"], "mIoU": [59.5, 53.17], "mIoU_sd": [0.5, 1.0],
                  "mIoU_ci_low": [55.0, 49.0], "mIoU_ci_high": [63.0, 57.0], "mBIoU": [47.28, 36.36],
                  "mBIoU_sd": [0.25, 0.75], "n_seeds": [3, 3], "n_videos": [20, 20]}).to_csv(
        tables / "baselines_metrics.csv", index=False, float_format="%.4f")
    pd.DataFrame({"baseline": ["fcn8-small"], "method": ["refined"], "masklets": ["oracle"],
                  "mIoU": [65.42], "fps": [118.46]}).to_csv(tables / "refiner.csv", index=False, float_format="%.4f")
    pd.DataFrame({"class": ["sky", "road"], "pixels": [410749, 1865249]}).to_csv(
        tables / "dataset_class_frequencies.csv", index=False)
    pd.DataFrame({"stage": ["baseline"], "seconds_per_frame": [0.0054]}).to_csv(tables / "cost_stages.csv",
                                                                                 index=False)
    (folder / "figures").mkdir()
    (folder / "figures" / "refiner_gains.png").write_bytes(b"png")
    index = {"tables": {"cost_stages": {"machine_dependent_columns": ["seconds_per_frame"]}}}
    (folder / "index.json").write_text(json.dumps(index))
    record_settings(folder, StudySettings().to_dict())
    return folder


def _edit(folder: Path, table: str, row: int, column: str, value: object) -> None:
    path = folder / "tables" / f"{table}.csv"
    frame = pd.read_csv(path)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False, float_format="%.4f")


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[Path, Path]:
    committed = _results(tmp_path / "committed")
    fresh = tmp_path / "fresh"
    shutil.copytree(committed, fresh)
    return committed, fresh


def test_identical_folders_pass(pair: tuple[Path, Path]) -> None:
    report = compare_results(*pair)
    assert report.ok, report.summary()
    assert report.tables == 4 and report.figures == 1 and not report.within_tolerance
    assert report.machine_dependent == ["tables/cost_stages.csv: seconds_per_frame", "tables/refiner.csv: fps"]
    assert report.summary().startswith("verify: REPRODUCED: 4 tables")


def test_seed_columns_move_within_their_spread_and_fail_beyond(pair: tuple[Path, Path]) -> None:
    """fcn16-wide: mIoU_sd 1.0 over 3 seeds -> tolerance t_2(0.9995) * sqrt(2/3) * 1.0 = 31.6 * 0.816 = 25.8."""
    committed, fresh = pair
    tolerance = critical_t(3) * math.sqrt(2 / 3) * 1.0
    assert tolerance == pytest.approx(31.5991 * math.sqrt(2 / 3), rel=1e-4)
    _edit(fresh, "baselines_metrics", 1, "mIoU", 53.17 + tolerance - 0.01)
    _edit(fresh, "baselines_metrics", 1, "mIoU_ci_low", 49.0 - tolerance + 0.01)
    _edit(fresh, "baselines_metrics", 1, "mIoU_sd", 1.0 + (critical_sd_ratio(3) - 1) * 1.0 - 0.01)
    report = compare_results(committed, fresh)
    assert report.ok, report.summary()
    assert {(c.row, c.column) for c in report.within_tolerance} == {(1, "mIoU"), (1, "mIoU_ci_low"), (1, "mIoU_sd")}
    assert report.within_tolerance[0].tolerance == pytest.approx(tolerance)

    _edit(fresh, "baselines_metrics", 1, "mIoU", 53.17 + tolerance + 0.01)
    report = compare_results(committed, fresh)
    assert not report.ok
    [cell] = report.failures
    assert (cell.file, cell.row, cell.column) == ("tables/baselines_metrics.csv", 1, "mIoU")
    assert cell.difference == pytest.approx(tolerance + 0.01, abs=1e-4)
    assert "tables/baselines_metrics.csv row 1 column 'mIoU': committed 53.1700" in report.summary()
    assert "verify: DIFFERS" in report.summary()


def test_one_seed_numbers_borrow_the_networks_spread(pair: tuple[Path, Path]) -> None:
    """refiner mIoU has no _sd column: t_2 * sqrt(2) * the largest baselines mIoU_sd (1.0) = 44.69 points."""
    committed, fresh = pair
    limit = critical_t(3) * math.sqrt(2) * 1.0
    _edit(fresh, "refiner", 0, "mIoU", 65.42 + limit - 0.05)
    assert compare_results(committed, fresh).ok
    _edit(fresh, "refiner", 0, "mIoU", 65.42 + limit + 0.05)
    [cell] = compare_results(committed, fresh).failures
    assert cell.column == "mIoU" and cell.tolerance == pytest.approx(limit)


def test_exact_columns_and_counts_fail_on_any_change(pair: tuple[Path, Path]) -> None:
    committed, fresh = pair
    _edit(fresh, "dataset_class_frequencies", 1, "pixels", 1865250)
    _edit(fresh, "baselines_metrics", 0, "n_seeds", 2)
    report = compare_results(committed, fresh)
    assert {(c.file, c.column) for c in report.failures} == {("tables/dataset_class_frequencies.csv", "pixels"),
                                                             ("tables/baselines_metrics.csv", "n_seeds")}
    assert all(c.rule == "exact" for c in report.failures)


def test_timing_columns_are_not_compared(pair: tuple[Path, Path]) -> None:
    committed, fresh = pair
    _edit(fresh, "cost_stages", 0, "seconds_per_frame", 9.0)
    _edit(fresh, "refiner", 0, "fps", 1.0)
    report = compare_results(committed, fresh)
    assert report.ok and "tables/refiner.csv: fps" in report.machine_dependent


def test_a_changed_setting_fails_even_where_tables_agree(pair: tuple[Path, Path]) -> None:
    committed, fresh = pair
    tree = StudySettings().to_dict()
    tree["metrics"]["dilation_ratio"] = 0.03
    tree["run"]["workers"] = 2  # how many processes ran changes no number: not compared
    record_settings(fresh, tree)
    report = compare_results(committed, fresh)
    assert not report.ok
    assert report.problems == ["settings.json: setting metrics.dilation_ratio is 0.02 in the committed results but "
                               "0.03 in the fresh ones"]
    (fresh / "settings.json").unlink()
    assert "settings.json: missing" in compare_results(committed, fresh).problems[0]


def test_missing_table_figure_or_rows_fail(pair: tuple[Path, Path]) -> None:
    committed, fresh = pair
    (fresh / "tables" / "refiner.csv").unlink()
    (fresh / "figures" / "refiner_gains.png").unlink()
    pd.DataFrame({"class": ["sky"], "pixels": [410749]}).to_csv(fresh / "tables" / "dataset_class_frequencies.csv",
                                                                index=False)
    report = compare_results(committed, fresh)
    assert not report.ok
    assert report.problems == ["tables/refiner.csv: committed but missing from the fresh results",
                               "tables/dataset_class_frequencies.csv: 2 rows committed, 1 fresh",
                               "figures/refiner_gains.png: committed but missing from the fresh results"]


def test_without_a_measured_spread_numbers_are_compared_to_the_rounding(pair: tuple[Path, Path]) -> None:
    committed, fresh = pair
    for folder in pair:  # no row of the table measured a spread
        for row in (0, 1):
            _edit(folder, "baselines_metrics", row, "n_seeds", 1)
    _edit(fresh, "baselines_metrics", 1, "mBIoU", 36.36 + 2 * ROUNDING)
    report = compare_results(committed, fresh)
    assert [c.column for c in report.failures] == ["mBIoU"] and report.failures[0].tolerance == ROUNDING
    assert any("one seed, no measured spread" in note for note in report.notes)


def _assert_tolerance(pair: tuple[Path, Path], table: str, row: int, column: str, committed_value: float,
                      limit: float) -> None:
    """The fresh cell moved 0.01 inside ``limit`` passes; moved 0.01 beyond it, it is the one failure, with
    tolerance ``limit``."""
    committed, fresh = pair
    _edit(fresh, table, row, column, committed_value + limit - 0.01)
    assert compare_results(committed, fresh).ok
    _edit(fresh, table, row, column, committed_value + limit + 0.01)
    [cell] = compare_results(committed, fresh).failures
    assert (cell.row, cell.column) == (row, column) and cell.tolerance == pytest.approx(limit)


def test_a_row_without_its_own_spread_takes_its_columns_largest(pair: tuple[Path, Path]) -> None:
    """Row 1 of one seed (or sd 0) in a table whose row 0 measured mBIoU_sd 0.25 over 3 seeds: t_2 sqrt(2/3) 0.25."""
    for folder in pair:
        _edit(folder, "baselines_metrics", 1, "n_seeds", 1)
        _edit(folder, "baselines_metrics", 1, "mBIoU_sd", float("nan"))
    _assert_tolerance(pair, "baselines_metrics", 1, "mBIoU", 36.36, critical_t(3) * math.sqrt(2 / 3) * 0.25)


def test_a_row_sd_below_its_columns_median_is_raised_to_it(pair: tuple[Path, Path]) -> None:
    """mIoU_sd of the two rows: 0.5 and 1.0, median 0.75; row 0's tolerance is t_2 sqrt(2/3) 0.75, not 0.5."""
    committed = pair[0]
    assert column_spreads(pd.read_csv(committed / "tables" / "baselines_metrics.csv"))["mIoU_sd"] == ColumnSpread(
        largest=1.0, n_seeds=3, median=0.75)
    _assert_tolerance(pair, "baselines_metrics", 0, "mIoU", 59.5, critical_t(3) * math.sqrt(2 / 3) * 0.75)


def test_the_committed_results_pass_against_themselves_and_fail_on_a_moved_cell(tmp_path: Path) -> None:
    """Every rule applied to the study's own tables: a copy passes; mIoU of the second refiner row moved by 50
    points (beyond t_2 sqrt(2/3) sd for its seed sd) fails, naming that cell; the findings are compared too."""
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    for folder in (committed, fresh):
        shutil.copytree(REPO_RESULTS / "tables", folder / "tables")
        shutil.copy(REPO_RESULTS / "index.json", folder / "index.json")
        record_settings(folder, StudySettings().to_dict())
    report = compare_results(committed, fresh)
    assert report.ok, report.summary()
    assert report.tables == len(list((REPO_RESULTS / "tables").glob("*.csv"))) and report.findings > 40
    frame = pd.read_csv(fresh / "tables" / "refiner.csv")
    frame.loc[1, "mIoU"] += 50
    frame.to_csv(fresh / "tables" / "refiner.csv", index=False, float_format="%.4f")
    report = compare_results(committed, fresh)
    assert [(c.file, c.row, c.column) for c in report.failures] == [("tables/refiner.csv", 1, "mIoU")]


def test_tolerance_table_lists_every_declared_rule() -> None:
    text = tolerance_table()
    assert text.startswith("| table | column | tolerance |")
    assert "| `dataset_*` | all | exact |" in text and "machine-dependent" in text


def test_quantiles_are_those_of_t_and_f_for_three_seeds() -> None:
    """Printed tables: t_2 two-sided at 1e-3 = 31.599; F(2, 2) upper 0.9995 = 1999 (sqrt 44.71)."""
    assert critical_t(3) == pytest.approx(31.599, abs=1e-3)
    assert critical_sd_ratio(3) == pytest.approx(math.sqrt(1999.0), rel=1e-4)
    assert critical_t(5) == pytest.approx(8.610, abs=1e-3)


def test_reruns_with_new_seeds_raise_false_alarms_at_the_declared_rate() -> None:
    """With each row's own sd, the mean rule alone fails a cell with probability 1e-3 by construction; with the sd
    rule about 2e-3. Raising small sds to the column's median can only lower that."""
    per_cell, per_run = simulate_false_alarms(n_seeds=3, cells=200, reruns=500, seed=1, median_floor=False)
    assert 0.0005 <= per_cell <= 0.004
    assert per_run == pytest.approx(1 - (1 - per_cell) ** 200, abs=0.1)
    floored, _ = simulate_false_alarms(n_seeds=3, cells=200, reruns=500, seed=1)
    assert floored < per_cell


def _gain_table(folder: Path, low: float) -> None:
    row = {"baseline": "net", "masklets": "oracle", "vote": "masklet", "method": "refined", "mIoU": 60.0,
           "mIoU_sd": 0.5, "mIoU_ci_low": 58.0, "mIoU_ci_high": 62.0, "n_seeds": 3, "n_videos": 20}
    for metric in ("mIoU", "mBIoU", "mVC16", "mVCc16"):
        row.update({f"gain_{metric}": 1.0, f"gain_{metric}_sd": 0.5, f"gain_{metric}_ci_low": low,
                    f"gain_{metric}_ci_high": 2.0})
    pd.DataFrame([row]).to_csv(folder / "tables" / "refiner.csv", index=False, float_format="%.4f")


def test_a_headline_gain_moved_just_across_zero_fails_verify(pair: tuple[Path, Path]) -> None:
    """The interval's low end moves from +0.1 to -0.1: 0.2 points, far within its cell tolerance (t_2 sqrt(2/3)
    0.5 = 12.9), but the stated verdict changes from a gain to not distinguishable, and verify fails."""
    committed, fresh = pair
    _gain_table(committed, 0.1)
    _gain_table(fresh, 0.1)
    assert compare_results(committed, fresh).ok
    _gain_table(fresh, -0.1)
    report = compare_results(committed, fresh)
    assert not report.failures and not report.ok
    assert report.problems == ["finding refiner: refiner/net/oracle/masklet: committed 'mIoU gain, mBIoU gain, "
                               "mVC16 gain, mVCc16 gain', fresh 'mIoU unclear, mBIoU unclear, mVC16 unclear, mVCc16 "
                               "unclear' (`net` + oracle, "
                               "one vote per masklet: mIoU gain +1.0 [-0.1, +2.0] (not distinguishable from zero), "
                               "mBIoU gain +1.0 [-0.1, +2.0] (not distinguishable from zero), mVC16 gain +1.0 "
                               "[-0.1, +2.0] (not distinguishable from zero), mVCc16 gain +1.0 [-0.1, +2.0] (not "
                               "distinguishable from zero).)"]


def _set_p(folder: Path, p: float) -> None:
    """The p-value of the sweep's gain at strength 0, every other cell written as before."""
    path = folder / "tables" / "refiner_oracle_sweep.csv"
    frame = pd.read_csv(path)
    frame.loc[frame["strength"] == 0.0, "gain_mIoU_p"] = p
    frame.to_csv(path, index=False)


def test_p_values_are_compared_through_the_holm_verdicts_of_the_readme(tmp_path: Path) -> None:
    """A p-value is not a cell to compare (a step function of the draws); a p that moves a claimed verdict out of
    the README's Holm family is a changed finding and fails verify."""
    from test_findings import _write  # the headline's three tables, every claimed verdict at p 0.002

    committed, fresh = _write(tmp_path / "committed"), _write(tmp_path / "fresh")
    for folder in (committed, fresh):
        record_settings(folder, StudySettings().to_dict())
        (folder / "index.json").write_text("{}")
    # 0.004 becomes the largest claimed p (9th of 13 sorted): Holm multiplies it by 5 -> 0.02 < 0.05, it holds
    _set_p(fresh, 0.004)
    report = compare_results(committed, fresh)
    assert report.ok, report.summary()
    _set_p(fresh, 0.02)  # x 5 = 0.1: no longer holds in the family
    report = compare_results(committed, fresh)
    assert not report.failures and not report.ok
    assert report.problems == ["finding README: holm/sweep at strength 0, mIoU: committed 'a gain, holds in the "
                               "family', fresh 'a gain, does not hold in the family' (sweep at strength 0, mIoU: "
                               "+10.5 [+9.5, +11.5] (a gain), Holm-adjusted p 0.12)"]


def test_the_readmes_false_alarm_figures_are_those_the_simulation_prints() -> None:
    import re

    readme = readme_words()
    assert "simulate_false_alarms(n_seeds=3, cells=1000, reruns=1000)" in readme
    stated = re.search(r"with each row's own sd \(`median_floor=False`\) fail a cell at a rate of ([0-9.]+) and at "
                       r"least one of 1000 independent cells in (\d+) % of re-runs; with the column's median as the "
                       r"floor, (\d+) of the ([0-9,]+) simulated cells failed", readme)
    assert stated, "the README's sentence on simulated false alarms changed: update this test"
    per_cell, per_run = simulate_false_alarms(n_seeds=3, cells=1000, reruns=1000, median_floor=False)
    assert float(stated.group(1)) == round(per_cell, 4) and int(stated.group(2)) == round(100 * per_run)
    floored, _ = simulate_false_alarms(n_seeds=3, cells=1000, reruns=1000)
    assert int(stated.group(4).replace(",", "")) == 1000 * 1000
    assert int(stated.group(3)) == round(floored * 1000 * 1000)


def test_the_mask_quality_axes_take_the_corruption_seeds_and_the_gains_the_training_seeds(
        pair: tuple[Path, Path]) -> None:
    """In ``refiner_mask_quality`` the axes' sd is over the oracle's 5 corruption seeds, the gains' over 3 training
    seeds: t_4 sqrt(2/5) sd for the first, t_2 sqrt(2/3) sd for the second (the wider one would let a mask quality
    move by 26 sds)."""
    for folder in pair:
        pd.DataFrame({"masklets": ["oracle, s = 1"], "strength": [1.0], "mask_quality": [55.0],
                      "mask_quality_sd": [2.0], "gain_mIoU": [-13.0], "gain_mIoU_sd": [1.0], "n_seeds": [3],
                      "n_corruption_seeds": [5], "n_videos": [20]}).to_csv(
            folder / "tables" / "refiner_mask_quality.csv", index=False, float_format="%.4f")
    _assert_tolerance(pair, "refiner_mask_quality", 0, "mask_quality", 55.0, critical_t(5) * math.sqrt(2 / 5) * 2.0)
    _edit(pair[1], "refiner_mask_quality", 0, "mask_quality", 55.0)
    _assert_tolerance(pair, "refiner_mask_quality", 0, "gain_mIoU", -13.0, critical_t(3) * math.sqrt(2 / 3) * 1.0)
    assert "t(n_corruption_seeds-1)" in tolerance_table()


def _kept_study(root: Path, name: str, into: Path) -> Path:
    """A study kept in ``results/machines/<name>/`` (tables, index, settings) copied to ``into``, with the figures of
    ``results/`` as empty files (figures are compared by presence only)."""
    shutil.copytree(root / "results" / "machines" / name, into)
    (into / "figures").mkdir()
    for figure in (root / "results" / "figures").glob("*"):
        (into / "figures" / figure.name).write_bytes(b"")
    return into


def _moves_text(expected: Path, actual: Path) -> str:
    """The README's account of how far ``actual`` moved from ``expected`` in new-seed units, with what new seeds
    would give (Student's t, each cell's own seeds less one degrees of freedom) and the cells it counts."""
    from scipy.optimize import brentq
    from scipy.stats import t

    moves = move_in_seed_units(expected, actual)
    size, dof = moves["move"].abs().to_numpy(), moves["n_seeds"].to_numpy() - 1
    median = brentq(lambda x: np.mean(2 * t.cdf(x, dof) - 1) - 0.5, 0.01, 10.0)
    distinct = len(moves.drop_duplicates(["column", "value", "sd"]))
    beyond = 100 * np.mean(2 * t.sf(1.96, dof))
    return (f"by a median of {np.median(size):.2f} new-seed standard deviations (new seeds: {median:.2f}), "
            f"{100 * np.mean(size > 1.96):.1f} % of them beyond 1.96 (new seeds: {beyond:.1f} %; "
            f"{len(moves)} cell entries, {distinct} distinct cells")


def test_the_readme_states_the_comparison_with_the_third_processor_as_its_tables_give_it(tmp_path: Path) -> None:
    """The Intel Xeon's study and the AMD EPYC's, both of the same code (Adam unfused), kept in
    ``results/machines/``: the AMD EPYC's read as a fresh run against the Intel Xeon's; the README's counts, cells,
    changed verdict and the size of the move are this comparison's."""
    root = Path(__file__).resolve().parents[1]
    intel = _kept_study(root, "intel-xeon-20261207", tmp_path / "intel")
    amd = _kept_study(root, "amd-epyc-20261207", tmp_path / "amd")
    report = compare_results(intel, amd)
    readme = readme_words()
    assert not report.ok and report.figures > 0
    beyond = sorted((c.file, c.column, c.rule, c.expected, c.actual) for c in report.failures)
    assert beyond == [("tables/failure_causes.csv", "share_rank", "exact", "4", "6"),
                      ("tables/failure_causes.csv", "share_rank", "exact", "6", "4"),
                      ("tables/sam2_knobs.csv", "coverage", "exact", "85.6706", "85.6707")]
    changed = [p for p in report.problems if p.startswith("finding ")]
    assert len(changed) == len(report.problems) == 2
    assert all("fcn8-small + sam2-mini, mVC16" in p or "refiner/fcn8-small/sam2-mini/masklet" in p for p in changed)
    assert all("+0.8 [-0.1, +1.6] (not distinguishable from zero)" in p for p in changed)
    theirs = pd.read_csv(amd / "tables" / "baselines_metrics.csv").set_index("network")
    mine = pd.read_csv(intel / "tables" / "baselines_metrics.csv").set_index("network")
    assert (f"`fcn8-small` mIoU {mine.loc['fcn8-small', 'mIoU']:.4f} on the Intel Xeon, "
            f"{theirs.loc['fcn8-small', 'mIoU']:.4f} on the AMD EPYC") in readme
    assert (f"{len(report.within_tolerance)} of {report.cells} cells within their tolerances, "
            f"{len(report.failures)} beyond them, all under the exact rule") in readme
    assert f"and {len(changed)} of {report.findings} findings changed" in readme
    mvc = pd.read_csv(intel / "tables" / "refiner.csv")
    row = mvc[(mvc.baseline == "fcn8-small") & (mvc.masklets == "sam2-mini") & (mvc.vote == "masklet")].iloc[0]
    assert f"mVC16 gain: +{row.gain_mVC16:.1f} [+{row.gain_mVC16_ci_low:.2f}, +{row.gain_mVC16_ci_high:.1f}]" in readme
    assert _moves_text(intel, amd) in readme


def test_the_readme_states_what_the_fused_adam_changed_as_the_tables_give_it(tmp_path: Path) -> None:
    """``results/`` (Adam fused) against the AMD EPYC's study with Adam unfused (same processor, code otherwise):
    the README's counts of cells and findings are this comparison's, and ``fcn8-small``'s baseline mIoU both sides'."""
    root = Path(__file__).resolve().parents[1]
    unfused = _kept_study(root, "amd-epyc-20261207", tmp_path / "unfused")
    report = compare_results(unfused, root / "results")
    readme = readme_words()
    changed = [p for p in report.problems if p.startswith("finding ")]
    other = [p for p in report.problems if not p.startswith("finding ")]
    assert other == []  # the Adam kernel is in the networks' cache key, not in the study's settings.json
    assert (f"{len(report.within_tolerance)} of {report.cells} cells within their tolerances, "
            f"{len(report.failures)} beyond them") in readme
    assert f"{len(changed)} of {report.findings} findings changed" in readme
    before = pd.read_csv(unfused / "tables" / "baselines_metrics.csv").set_index("network")
    after = pd.read_csv(root / "results" / "tables" / "baselines_metrics.csv").set_index("network")
    assert (f"`fcn8-small` mIoU {before.loc['fcn8-small', 'mIoU']:.4f} unfused, "
            f"{after.loc['fcn8-small', 'mIoU']:.4f} fused") in readme
    # the same cells and findings as the change of processor
    processor = compare_results(_kept_study(root, "intel-xeon-20261207", tmp_path / "intel"),
                                _kept_study(root, "amd-epyc-20261207", tmp_path / "amd"))
    rows = sorted((c.file, c.row, c.column) for c in report.failures)
    assert rows == [("tables/failure_causes.csv", 19, "share_rank"), ("tables/failure_causes.csv", 22, "share_rank")]
    assert set(rows) < {(c.file, c.row, c.column) for c in processor.failures}
    assert {p.split(":")[0] for p in changed} == {p.split(":")[0] for p in processor.problems}
    mvc = pd.read_csv(root / "results" / "tables" / "refiner.csv")
    row = mvc[(mvc.baseline == "fcn8-small") & (mvc.masklets == "sam2-mini") & (mvc.vote == "masklet")].iloc[0]
    assert row.gain_mVC16_ci_low > 0 and f"now +{row.gain_mVC16:.1f} [+{row.gain_mVC16_ci_low:.3f}, " in readme
    holm = {f.key: f.verdict for f in family_findings(root / "results")}
    assert holm["holm/fcn8-small + sam2-mini, mVC16"] == "a gain, does not hold in the family"
    assert "(a gain; Holm's correction does not keep it)" in readme
    assert _moves_text(unfused, root / "results") in readme
    # "about as much as": the medians of the two moves within a factor 1.5 of each other
    medians = [move_in_seed_units(a, b)["move"].abs().median() for a, b in
               ((tmp_path / "intel", tmp_path / "amd"), (unfused, root / "results"))]
    assert max(medians) < 1.5 * min(medians)
