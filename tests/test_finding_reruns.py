"""Simulated re-runs of the committed tables: the false-alarm rate of ``make verify``'s findings."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from scipy.stats import t as student_t

from vsslib.base.errors import DataError, ParameterError
from vsslib.study.finding_reruns import (
    RECORD,
    main,
    move_in_seed_units,
    perturbed_table,
    read_record,
    simulate_finding_changes,
    tables_digest,
)
from vsslib.study.findings import stated_findings

from conftest import readme_words

ROOT = Path(__file__).resolve().parents[1]


def _causes(folder: Path, *, lead_low: float, lead_sd: float) -> Path:
    """A failure table of one source with two causes far apart in share; the first leads by an interval whose
    lower end is ``lead_low`` (sd ``lead_sd`` over 3 seeds)."""
    (folder / "tables").mkdir(parents=True)
    pd.DataFrame({
        "cause": ["drift", "spanning"], "masklets": ["classical"] * 2, "drift_scope": ["frame"] * 2,
        "pixel_share": [60.0, 20.0], "pixel_share_sd": [0.1, 0.1], "pixel_share_ci_low": [59.0, 19.0],
        "pixel_share_ci_high": [61.0, 21.0], "share_over_next": [lead_low + 1.0, np.nan],
        "share_over_next_sd": [lead_sd, np.nan], "share_over_next_ci_low": [lead_low, np.nan],
        "share_over_next_ci_high": [lead_low + 2.0, np.nan], "n_seeds": [3, 3], "n_videos": [20, 20],
    }).to_csv(folder / "tables" / "failure_causes.csv", index=False, float_format="%.4f")
    return folder


def test_a_lead_near_zero_changes_as_often_as_the_student_model_says(tmp_path: Path) -> None:
    """"drift leads" holds while the paired interval's lower end, 0.5, stays above zero; a re-run moves it by
    sd * sqrt(2/3) * T with T Student's t of 2 degrees of freedom, so it falls below zero with probability
    F_t2(-0.5 / sqrt(2/3)) = 0.301 (a normal model would say 0.270)."""
    results = _causes(tmp_path / "r", lead_low=0.5, lead_sd=1.0)
    outcome = simulate_finding_changes(results, reruns=400, seed=3)
    expected = student_t.cdf(-0.5 / math.sqrt(2 / 3), 2)
    assert abs(expected - 0.3013) < 1e-3
    assert outcome.findings == 1
    standard_error = math.sqrt(400 * expected * (1 - expected))
    assert abs(outcome.failed_reruns - 400 * expected) < 4 * standard_error
    assert set(outcome.changes) == {"failure_causes: causes/classical/frame"}
    assert outcome.changes["failure_causes: causes/classical/frame"] == outcome.failed_reruns
    assert len(outcome.changed) == 400 and sum(map(bool, outcome.changed)) == outcome.failed_reruns
    # A lead 60 new-seed sds clear of zero practically never changes (P = 1.3e-4 a re-run); scale 0 never does.
    assert student_t.cdf(-50 / math.sqrt(2 / 3), 2) < 2e-4
    assert simulate_finding_changes(_causes(tmp_path / "far", lead_low=50.0, lead_sd=1.0), reruns=50).failed_reruns == 0
    assert simulate_finding_changes(results, reruns=20, scale=0.0).failed_reruns == 0


def test_a_cell_moves_by_its_own_sd_or_its_columns_largest_and_equal_cells_share_their_draw() -> None:
    """Rows 0 and 1 hold the same gain and interval, so they draw the same N(0, 1); row 1 has no spread of its own
    (sd 0), so it takes the column's largest (2.0, row 2's) and moves 4 times as far as row 0 (sd 0.5)."""
    table = pd.DataFrame({"gain": [1.0, 1.0, 7.0], "gain_sd": [0.5, 0.0, 2.0], "gain_ci_low": [0.0, 0.0, 5.0],
                          "gain_ci_high": [2.0, 2.0, 9.0], "gain_p": [0.04, 0.04, 0.001], "n_seeds": [3, 3, 3]})
    for rerun in range(5):
        moved = perturbed_table("some_table", table, rerun)
        delta = (moved["gain"] - table["gain"]).to_numpy()
        assert delta[0] != 0 and math.isclose(delta[1], 4 * delta[0], rel_tol=1e-9)
        assert np.allclose(moved["gain_ci_low"] - table["gain_ci_low"], delta)
        assert np.allclose(moved["gain_ci_high"] - table["gain_ci_high"], delta)
        assert (moved["gain_sd"] == table["gain_sd"]).all() and (moved["n_seeds"] == table["n_seeds"]).all()
        # The p-value moves on the normal z scale by delta over the standard error its interval implies.
        error = 2.0 / (2 * 1.959963984540054)
        assert math.isclose(moved.at[0, "gain_p"], 2 * norm.sf(abs(norm.isf(0.02) + delta[0] / error)), rel_tol=1e-9)
        # The same row in another table draws the same move.
        other = perturbed_table("another_table", table.iloc[[0, 2]].reset_index(drop=True), rerun)
        assert math.isclose(other.at[0, "gain"], moved.at[0, "gain"], rel_tol=1e-12)
    assert not np.allclose(perturbed_table("t", table, 0)["gain"], perturbed_table("t", table, 1)["gain"])
    # A p written as 0.0000 (below 5e-5) is read as 5e-5, so a gain far from zero keeps a tiny p when it moves.
    far = pd.DataFrame({"gain": [30.0], "gain_sd": [3.0], "gain_ci_low": [25.0], "gain_ci_high": [35.0],
                        "gain_p": [0.0], "n_seeds": [3]})
    for rerun in range(20):
        moved_far = perturbed_table("t", far, rerun)
        z = norm.isf(5e-5 / 2) + (moved_far.at[0, "gain"] - 30.0) / (10.0 / (2 * 1.959963984540054))
        assert math.isclose(moved_far.at[0, "gain_p"], 2 * norm.sf(abs(z)), rel_tol=1e-9, abs_tol=1e-300)
    unmoved = perturbed_table("t", table, 0, scale=0.0)
    assert np.allclose(unmoved[["gain", "gain_ci_low", "gain_p"]], table[["gain", "gain_ci_low", "gain_p"]])


def test_the_moves_follow_student_t_over_many_cells() -> None:
    """A mean of 3 seeds with sample sd 1.5 moves by 1.5 * sqrt(2/3) * T, T Student's t with 2 degrees of freedom:
    its median |T| is 0.816 and 95 % of |T| lie below 4.303."""
    table = pd.DataFrame({"m": np.arange(4000, dtype=float), "m_sd": 1.5, "n_seeds": 3})
    z = (perturbed_table("t", table, 7)["m"] - table["m"]).to_numpy() / (1.5 * math.sqrt(2 / 3))
    assert abs(np.median(np.abs(z)) - student_t.ppf(0.75, 2)) < 0.04
    assert abs(np.mean(np.abs(z) < student_t.ppf(0.975, 2)) - 0.95) < 0.015
    assert abs(np.mean(np.abs(z) < 1.96) - 0.95) > 0.05  # not normal: the sd itself is uncertain with 3 seeds
    five = perturbed_table("t", table.assign(n_seeds=5), 7)["m"] - table["m"]
    assert abs(np.median(np.abs(five.to_numpy() / (1.5 * math.sqrt(2 / 5)))) - student_t.ppf(0.75, 4)) < 0.04

def test_moves_are_measured_in_seed_units(tmp_path: Path) -> None:
    before = _causes(tmp_path / "a", lead_low=0.5, lead_sd=1.0)
    after = _causes(tmp_path / "b", lead_low=0.5, lead_sd=1.0)
    table = pd.read_csv(after / "tables" / "failure_causes.csv")
    table.loc[0, "pixel_share"] += 0.1 * math.sqrt(2 / 3)  # one new-seed sd of a 0.1-sd cell
    table.loc[0, "share_over_next"] -= 2 * math.sqrt(2 / 3)  # minus two of a 1.0-sd cell
    table.to_csv(after / "tables" / "failure_causes.csv", index=False, float_format="%.6f")
    moves = move_in_seed_units(before, after)
    assert sorted(np.round(moves["move"], 3)) == [-2.0, 0.0, 1.0]  # pixel_share x2, share_over_next x1
    assert list(moves["n_seeds"]) == [3, 3, 3] and set(moves["column"]) == {"pixel_share", "share_over_next"}


def test_the_record_is_refused_once_the_tables_change_and_bad_calls_say_why(tmp_path: Path) -> None:
    results = _causes(tmp_path / "r", lead_low=0.5, lead_sd=1.0)
    assert main(["--results", str(results), "--reruns", "30", "--seed", "2"]) == 0
    record = read_record(results)
    assert record["reruns"] == 30 and record["findings"] == 1 and record["seed"] == 2
    assert record["failed_reruns"] == sum(map(bool, record["changed"]))
    assert record["changed"] == simulate_finding_changes(results, reruns=30, seed=2).changed
    (results / "tables" / "failure_causes.csv").write_text(
        (results / "tables" / "failure_causes.csv").read_text().replace("60.0000", "61.0000"))
    with pytest.raises(DataError, match="other tables"):
        read_record(results)
    with pytest.raises(ParameterError, match="reruns=0"):
        simulate_finding_changes(results, reruns=0)
    with pytest.raises(DataError, match="no tables"):
        simulate_finding_changes(tmp_path / "empty")


def test_the_readme_states_the_committed_tables_simulation_as_recorded() -> None:
    """The record beside ``results/tables/`` was made from those very tables (its digest), its first re-runs are
    what the code gives again, and the README's sentence carries its counts."""
    record = read_record(ROOT / "results")
    assert record["tables_digest"] == tables_digest(ROOT / "results")
    again = simulate_finding_changes(ROOT / "results", reruns=3, seed=record["seed"], scale=record["scale"])
    assert again.changed == record["changed"][:3]
    changed = [len(keys) for keys in record["changed"]]
    readme = readme_words()
    assert (f"changed at least one of the {record['findings']} findings in {record['failed_reruns']} of "
            f"{record['reruns']} re-runs ({np.mean(changed):.1f} findings a re-run on average") in readme
    stated = stated_findings(ROOT / "results")
    ever = {key for keys in record["changed"] for key in keys}
    assert (f"{len(ever & stated.keys())} of the {len(stated)} changed at least once, and "
            f"{len(ever - stated.keys())} finding the committed tables do not state appeared") in readme
    named = {"README: holm/approach 2, sam2-mini masklets, `none` on appearance (classifier trained on the train "
             "videos), mIoU": "the Holm verdict on approach 2 with sam2-mini masklets, `none` on appearance features",
             "boundary_per_class_classical: per_class/classical": "the per-class Boundary IoU verdict of the classical "
             "masklets", "refiner: refiner/fcn8-small/sam2-mini/masklet": "the refiner verdict on `fcn8-small` + "
             "sam2-mini, one vote per masklet"}
    top = Counter(key for keys in record["changed"] for key in keys).most_common(3)
    assert [key for key, _ in top] == list(named)
    assert (f"most often {named[top[0][0]]} (in {100 * top[0][1] / record['reruns']:.0f} % of re-runs), "
            f"{named[top[1][0]]} ({100 * top[1][1] / record['reruns']:.0f} %) and {named[top[2][0]]} "
            f"({100 * top[2][1] / record['reruns']:.0f} %") in readme
    assert json.loads((ROOT / "results" / RECORD).read_text()) == record
