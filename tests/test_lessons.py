"""The notebooks' "What we learned" lines: each wording holds only under its condition, and its numbers are the
tables' (hand-made tables here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsslib.base.errors import DataError
from vsslib.study.lessons import (as_list, baseline_lessons, classifier_lessons, cost_lessons, failure_lessons,
                                  memory_lesson, refiner_lessons)


def _cells(column: str, value: float, low: float, high: float) -> dict[str, float]:
    return {column: value, f"{column}_ci_low": low, f"{column}_ci_high": high}


def test_baseline_lessons_count_networks_below_and_apart() -> None:
    networks = pd.DataFrame({"mIoU": [60.0, 50.0], "mBIoU": [40.0, 47.5], "mIoU_ci_low": [55.0, 45.0],
                             "mBIoU_ci_high": [45.0, 49.0]}, index=["a", "b"])
    first, second = baseline_lessons(networks, {"a": (0.30, 0.10), "b": (0.05, 0.10)})
    # both below (gaps 20 and 2.5); only a's intervals are apart (45 < 55; 49 >= 45)
    assert first == "mBIoU lies below mIoU for 2 of 2 networks, by 2.5 to 20.0 points; their 95 % intervals are apart for 1 of them."
    assert second == ("On the close-up frame, the wrong pixels of 1 of 2 networks lie near boundaries more densely "
                      "than the pixels do; one frame does not say where masks could help.")
    networks["mBIoU_ci_high"] = [45.0, 44.0]
    first, second = baseline_lessons(networks, {"a": (0.30, 0.10), "b": (0.20, 0.10)})
    assert first.endswith("apart for 2 of them: the networks get the layout of a scene more often right than its outlines.")
    assert second.startswith("On the close-up frame, the wrong pixels of 2 of 2 networks") and "could help, if" in second
    first, second = baseline_lessons(networks.assign(mBIoU=[61.0, 51.0]), {"a": (0.0, 0.1)})
    assert first.startswith("mBIoU lies below mIoU for 0 of 2 networks; their")  # no range when none is below
    assert second.startswith("On the close-up frame, no network's wrong pixels")
    with pytest.raises(DataError, match="mIoU_ci_low"):
        baseline_lessons(networks.drop(columns="mIoU_ci_low"), {})


def test_classifier_lessons_pick_each_kinds_highest_row_and_compare_their_verdicts() -> None:
    def row(masklets: str, method: str, variant: str, miou: tuple, gain: tuple, features: str = "f") -> dict:
        return {"masklets": masklets, "method": method, "features": features, "variant": variant,
                **_cells("mIoU", *miou), **_cells("gain_mIoU", *gain)}

    table = pd.DataFrame([row("a", "approach 1", "refined", (70.0, 69, 71), (9, 8, 10), "-"),
                          row("a", "approach 2", "none", (50.0, 49, 51), (1, 0.5, 1.5)),
                          row("a", "approach 2", "fallback", (50.0, 49, 51), (1, 0.5, 1.5)),
                          row("a", "approach 2", "fused", (55.0, 54, 56), (3, 2, 4)),
                          row("b", "approach 2", "none", (40.0, 38, 42), (-1, -2, 0.5)),
                          row("b", "approach 2", "fallback", (40.0, 38, 42), (-1, -2, 0.5)),
                          row("b", "approach 2", "fused", (41.0, 39, 43), (-0.5, -1.5, 0.5))])
    lines = classifier_lessons(table)
    # a: fused (55 [54, 56]) apart from the next (50 [49, 51]); beside approach 1's 70.0
    assert lines[0].startswith("a masklets: the highest of the 3 approach-2 rows is `fused` on f features, mIoU 55.0 "
                               "[54.0, 56.0], a gain over the baseline network of +3.0 [+2.0, +4.0] (a gain)")
    assert lines[0].endswith("; approach 1 on the same masklets: mIoU 70.0.")
    # b: fused 41 [39, 43] overlaps none's 40 [38, 42]: not resolved; no approach-1 row
    assert "so these videos do not resolve which row is highest" in lines[1] and "approach 1" not in lines[1]
    assert lines[3] == ("The highest rows' verdicts differ between kinds of masklets (a: gain, b: unclear): a verdict "
                        "for one kind does not carry over to another.")
    assert lines[-1].startswith("`none` and `fallback` are equal in every row")
    table.loc[5, "mIoU"] = 39.0  # b's fallback now differs from its none; both highest rows read gains
    table.loc[6, ["gain_mIoU", "gain_mIoU_ci_low", "gain_mIoU_ci_high"]] = [1.0, 0.5, 1.5]
    lines = classifier_lessons(table)
    assert not any("differ between kinds" in line for line in lines)
    assert not any(line.startswith("`none` and `fallback`") for line in lines)
    with pytest.raises(DataError, match="gain_mIoU"):
        classifier_lessons(table.drop(columns="gain_mIoU"))


def test_refiner_lessons_read_the_sweeps_ends_and_the_two_votes() -> None:
    sweep = pd.DataFrame([{"strength": s, **_cells("gain_mIoU", *g)} for s, g in
                          [(1.0, (-3.0, -4.0, -2.0)), (0.0, (5.0, 4.0, 6.0)), (0.5, (0.1, -1.0, 1.0))]])
    rows = [{"masklets": "oracle", "method": "refined", "baseline": "net", "vote": vote, "mVC16": mvc,
             **_cells("gain_mVC16", *g), **_cells("gain_mVCc16", *c)}
            for vote, mvc, g, c in [("masklet", 99.0, (8.0, 7.0, 9.0), (1.0, 0.5, 1.5)),
                                    ("frame", 90.0, (0.2, -0.5, 0.9), (0.3, -0.1, 0.7))]]
    rows.append({**rows[0], "masklets": "classical"})  # not an exact row
    first, second = refiner_lessons(sweep, pd.DataFrame(rows))
    assert first == ("The refiner with the dataset's exact objects as masklets (s = 0) changes mIoU by +5.0 [+4.0, +6.0] "
                     "(gain); at s = 1 by -3.0 [-4.0, -2.0] (loss): it passes mask quality through, both ways.")
    assert second.startswith("`net` with exact masklets: mVC16 +8.0 [+7.0, +9.0] (gain) with one vote per masklet")
    assert "(mVC16 99.0); +0.2 [-0.5, +0.9] (unclear) with one vote per masklet and frame" in second
    assert second.endswith("+1.0 [+0.5, +1.5] and +0.3 [-0.1, +0.7].")
    rows[0]["mVC16"] = 99.977  # near 100 by construction: two decimals, as the tables and findings write it
    assert "(mVC16 99.98)" in refiner_lessons(sweep, pd.DataFrame(rows))[1]
    (only,) = refiner_lessons(sweep[sweep["strength"] > 0], pd.DataFrame(rows[:1]))  # one vote: no vote lesson
    assert only.startswith("The refiner with oracle masklets at s = 0.5 (0: the dataset's exact objects) changes mIoU "
                           "by +0.1 [-1.0, +1.0] (unclear)") and only.endswith("(loss).")
    with pytest.raises(DataError, match="no rows"):
        refiner_lessons(sweep.iloc[:0], pd.DataFrame(rows))


def test_failure_lessons_name_other_the_exact_remainder_and_drifts_move() -> None:
    per_frame = pd.DataFrame([{"masklets": m, "drift_scope": "frame", "cause": c, **_cells("pixel_share", *g),
                               **_cells("share_over_next", *d)} for m, c, g, d in [
        ("oracle", "wrong_majority", (70.0, 65.0, 75.0), (50.0, 40.0, 60.0)),
        ("oracle", "other", (2.5, 1.0, 4.0), (0.0, 0.0, 0.0)),
        ("mini", "drift", (40.0, 35.0, 45.0), (5.0, -1.0, 11.0)),
        ("mini", "other", (4.25, 3.0, 5.0), (0.0, 0.0, 0.0))]])
    drift = pd.DataFrame({"masklets": ["oracle", "oracle", "mini", "mini"],
                          "drift_scope": ["frame", "masklet", "frame", "masklet"],
                          "pixel_share": [0.0, 0.0, 40.0, 55.0]}).set_index(["masklets", "drift_scope"])
    first, exact, moves = failure_lessons(per_frame, drift, ["oracle", "mini"])
    assert first.startswith("Every damaged pixel is charged to a named cause except `other`: at most 4.2 % of any")
    assert first.endswith("settles it: oracle: wrong_majority leads; mini: drift not apart from other.")
    assert exact == ("With exact masklets, `wrong_majority` is 70.0 % of the remaining damage: the baseline's own "
                     "wrong majority inside correct masks, so the cure is a better network, not better masks.")
    assert moves == ("Charging a drifting masklet on all its frames moves drift's share from 0 to 0 % (oracle); "
                     "40 to 55 % (mini): it overstates drift wherever drift occurs, and the per-frame charge is the one "
                     "to act on.")
    drift.loc[("mini", "masklet"), "pixel_share"] = 30.0
    first, moves = failure_lessons(per_frame[per_frame["masklets"] == "mini"], drift.loc[["mini"]], ["mini"])
    assert moves.endswith("40 to 30 % (mini).")  # no oracle source: no exact lesson


def test_slowest_stages_name_the_runner_up_where_the_lead_is_too_small_to_rank() -> None:
    from vsslib.study.lessons import clear_slowest, slowest_stages

    pipelines = pd.DataFrame({"baseline": ["a", "b", "c"], "masklets": ["classical"] * 3,
                              "slowest": ["propagation", "baseline", "baseline"],
                              "slowest_seconds_per_frame": [0.0051, 0.0050, 0.002], "runner_up": ["baseline",
                              "propagation", ""], "slowest_lead": [0.0051 / 0.0027, 0.0050 / 0.0049, np.nan]})
    assert clear_slowest(pipelines).tolist() == [True, False, True]  # 1.89, 1.02, one stage only
    assert slowest_stages(pipelines) == ("a + classical: `propagation` (5.1 ms a frame); b + classical: `baseline` "
                                         "(5.0 ms a frame; `propagation` within a factor 1.25, too close to rank); "
                                         "c + classical: `baseline` (2.0 ms a frame)")


def test_cost_lessons_read_shares_stages_and_memory() -> None:
    pipelines = pd.DataFrame({"vote_share": [0.012, 0.3, 0.05], "slowest": ["masklets", "baseline", "masklets"],
                              "slowest_lead": [30.0, np.inf, 1.25]})
    table = pd.DataFrame({"frames": [4, 1, 2], "increase_mib": [854.9, 480.4, 683.0]})  # unsorted on purpose
    shares, memory = cost_lessons(pipelines, table, 32)
    assert shares == ("The vote (`refinement`) takes 1.2 to 30.0 % of a pipeline's time; the slowest stage is "
                      "`masklets` in 2 of 3 pipelines; `baseline` in 1 of 3 pipelines.")
    # a lead under 1.25 (5.0 against 4.9 ms, as fcn16-wide + classical measured) is not a ranking
    close, _ = cost_lessons(pipelines.assign(slowest_lead=[30.0, 5.0 / 4.9, 1.25]), table, 32)
    assert close.endswith("the slowest stage is `masklets` in 2 of 3 pipelines; too close to call in 1 (the two "
                          "slowest stages within a factor 1.25, less than runs of this notebook vary).")
    assert memory.endswith("(`cost_sam2_memory`, measured up to 4 frames; the 32-frame window's own memory is "
                           "not measured).")
    assert as_list([shares, memory]) == f"- {shares}\n- {memory}"
    # 683.0 - 480.4 = 202.6 -> +203; 854.9 - 683.0 = 171.9 -> +172
    assert memory_lesson(table, 32) == (
        "A predictor state's peak rose by 480 MiB with 1 frame, then +203 MiB from 1 to 2 frames, +172 MiB from 2 to "
        "4 frames: measured up to 4 frames only. A state holds one window's frames at most (32 here), so a video "
        "needs the memory of its longest window, not of its length; the memory of a 32-frame window was not "
        "measured here, and these few points do not say how it grows beyond them.")
    assert memory_lesson(table, 4).endswith("not of its length.")  # the window itself was measured
