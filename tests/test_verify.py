"""make verify's comparison (vsslib.verify): identical results pass; a cell beyond its tolerance, a changed
setting, a missing table or figure fail and name what moved; differences within the seed spread pass."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from vsslib.settings import StudySettings
from vsslib.verify import ROUNDING, Z, compare_results, record_settings, tolerance_table

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
    """fcn16-wide: mIoU_sd 1.0 over 3 seeds -> tolerance Z * sqrt(2/3) * 1.0 = 3.266 points."""
    committed, fresh = pair
    tolerance = Z * math.sqrt(2 / 3) * 1.0
    _edit(fresh, "baselines_metrics", 1, "mIoU", 53.17 + tolerance - 0.01)
    _edit(fresh, "baselines_metrics", 1, "mIoU_ci_low", 49.0 - tolerance + 0.01)
    _edit(fresh, "baselines_metrics", 1, "mIoU_sd", 1.0 + Z * 1.0 / math.sqrt(2) - 0.01)  # Z sd / sqrt(n - 1)
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
    """refiner mIoU has no _sd column: Z * sqrt(2) * the largest baselines mIoU_sd (1.0) = 5.657 points."""
    committed, fresh = pair
    _edit(fresh, "refiner", 0, "mIoU", 65.42 + 5.6)
    assert compare_results(committed, fresh).ok
    _edit(fresh, "refiner", 0, "mIoU", 65.42 + 5.7)
    [cell] = compare_results(committed, fresh).failures
    assert cell.column == "mIoU" and cell.tolerance == pytest.approx(Z * math.sqrt(2) * 1.0)


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
    _edit(committed, "baselines_metrics", 1, "n_seeds", 1)
    _edit(fresh, "baselines_metrics", 1, "n_seeds", 1)
    _edit(fresh, "baselines_metrics", 1, "mBIoU", 36.36 + 2 * ROUNDING)
    report = compare_results(committed, fresh)
    assert [c.column for c in report.failures] == ["mBIoU"] and report.failures[0].tolerance == ROUNDING
    assert any("one seed, no measured spread" in note for note in report.notes)


def test_the_committed_results_pass_against_themselves_and_fail_on_a_moved_cell(tmp_path: Path) -> None:
    """Every rule applied to the study's own tables: a copy passes; mIoU of the first refiner row moved by 10
    points fails, naming that cell."""
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    for folder in (committed, fresh):
        shutil.copytree(REPO_RESULTS / "tables", folder / "tables")
        shutil.copy(REPO_RESULTS / "index.json", folder / "index.json")
        record_settings(folder, StudySettings().to_dict())
    report = compare_results(committed, fresh)
    assert report.ok, report.summary()
    assert report.tables == len(list((REPO_RESULTS / "tables").glob("*.csv")))
    frame = pd.read_csv(fresh / "tables" / "refiner.csv")
    frame.loc[1, "mIoU"] += 10
    frame.to_csv(fresh / "tables" / "refiner.csv", index=False, float_format="%.4f")
    report = compare_results(committed, fresh)
    assert [(c.file, c.row, c.column) for c in report.failures] == [("tables/refiner.csv", 1, "mIoU")]


def test_tolerance_table_lists_every_declared_rule() -> None:
    text = tolerance_table()
    assert text.startswith("| table | column | tolerance |")
    assert "| `dataset_*` | all | exact |" in text and "machine-dependent" in text
