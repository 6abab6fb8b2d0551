"""The study of SAM2's own knobs (``08_sam2_knobs``) on a tiny benchmark: each row's masklet statistics are those
of the masklets the source makes with that knob moved (recomputed here without the cache), its change columns
are refined-minus-refined at the source's own settings, and its findings state what the intervals allow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import blocky_benchmark

from vsslib.base.errors import ParameterError
from vsslib.masks import create_masklet_source
from vsslib.study import Study
from vsslib.study.knob_sweep import knob_sweep, masklet_statistics, sweep_baseline, sweep_source
from vsslib.study.settings import StudySettings
from vsslib.study.verdicts import knob_findings


def test_masklet_statistics_count_masklets_per_frame_and_covered_pixels() -> None:
    ids = np.full((2, 2, 3), -1, np.int32)
    ids[0] = [[0, 0, 5], [-1, 5, 5]]  # 2 masklets, 5 of 6 pixels
    ids[1] = [[7, -1, -1], [-1, -1, -1]]  # 1 masklet, 1 of 6 pixels
    assert masklet_statistics(ids) == (1.5, pytest.approx(100 * 6 / 12))
    with pytest.raises(ParameterError, match=r"shape \(2, 3\)"):
        masklet_statistics(ids[0])


def test_the_sweep_runs_on_the_first_sam2_source_of_the_settings() -> None:
    assert sweep_source(StudySettings()) == "sam2-mini"
    assert sweep_source(StudySettings().replace({"masklets.sources": ["classical", "oracle"]})) is None


def test_the_sweep_refines_the_named_network_or_else_the_last_baseline() -> None:
    settings = StudySettings()
    assert sweep_baseline(settings) == settings.baselines.networks[-1] == "fcn16-wide"
    assert sweep_baseline(settings.replace({"knob_sweep.network": "fcn8-small"})) == "fcn8-small"
    with_folder = settings.replace({"baselines.predictions": ["/data/my_model"]})
    assert sweep_baseline(with_folder) == "predictions:my_model"
    with pytest.raises(ParameterError, match=r"knob_sweep.network='fcn32' is not one of the study's baselines: "
                                             r"fcn8-small, fcn16-wide$"):
        sweep_baseline(settings.replace({"knob_sweep.network": "fcn32"}))
    assert "network" not in settings.knob_sweep.values()  # a choice of rows, not a knob that is swept


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("knobs")
    root, preds = blocky_benchmark(base, n_val=2, seed=11)
    settings = StudySettings.from_mapping({
        "data": {"dataset": "vspw", "root": str(root)},
        "baselines": {"networks": [], "predictions": [str(preds)], "train_seeds": [0]},
        "masklets": {"sources": ["sam2-mini"], "window": 5, "sam2_mini": {"points_per_side": 4}},
        "knob_sweep": {"videos": 2, "points_per_side": [2], "pred_iou_thresh": [], "stability_score_thresh": [],
                       "window": [10]},
        "run": {"cache_dir": str(base / "cache"), "results_dir": str(base / "results")}})
    study = Study(settings, progress=False)
    return study, knob_sweep(study, study.baselines()[0], "sam2-mini")


def test_each_row_describes_the_masklets_made_with_its_knob_moved(swept) -> None:
    study, table = swept
    assert list(zip(table["knob"], table["value"], table["default"], strict=True)) == [
        ("points_per_side", 2, False), ("points_per_side", 4, True), ("window", 5, True), ("window", 10, False)]
    dataset = study.dataset()
    for _, row in table.iterrows():
        moved = {} if row["default"] else {row["knob"]: int(row["value"])}
        source = create_masklet_source("sam2-mini", **{"window": 5, "points_per_side": 4, **moved})
        stats = [masklet_statistics(source(dataset.load(name).frames)) for name in dataset.videos]
        assert row["masklets_per_frame"] == pytest.approx(np.mean([s[0] for s in stats]))
        assert row["coverage"] == pytest.approx(np.mean([s[1] for s in stats]))
        assert row["n_videos"] == 2 and row["n_seeds"] == 1


def test_change_is_refined_minus_refined_at_the_sources_own_settings(swept) -> None:
    _, table = swept
    own = table[table["default"]].iloc[0]
    for _, row in table.iterrows():  # one seed: the change of the pooled metric is the difference of the rows
        for metric in ("mIoU", "mBIoU"):
            assert row[f"change_{metric}"] == pytest.approx(row[metric] - own[metric], abs=1e-9)
            if row["default"]:
                assert row[f"change_{metric}_ci_low"] == row[f"change_{metric}_ci_high"] == 0.0
    findings = knob_findings(table)
    assert [f.key for f in findings] == ["knobs/points_per_side/2", "knobs/window/10"]
    moved = table[table["knob"] == "points_per_side"].set_index("default")
    assert f"{moved.loc[True, 'masklets_per_frame']:.1f} -> {moved.loc[False, 'masklets_per_frame']:.1f}" \
        in findings[0].text


def test_a_source_without_the_swept_knobs_is_refused(swept) -> None:
    study, _ = swept
    with pytest.raises(ParameterError, match="masklet source 'classical' takes no knob"):
        knob_sweep(study, study.baselines()[0], "classical")
