"""Making the SAM2 masklets ahead (:mod:`vsslib.study.prefetch`) on a tiny benchmark: it lists exactly the products
the study's runs read, makes them in worker processes with the same bits as a source made here, and afterwards the
runs of approach 1, approach 2 and the knob sweep read them without making any; ``make figures`` makes them after
its first stage, for the notebooks it is about to run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import blocky_benchmark, toy_repository

from vsslib.base.errors import ParameterError
from vsslib.base.pinned import shared_interpreter
from vsslib.data import VSPWDataset
from vsslib.masks import create_masklet_source
from vsslib.study import Study
from vsslib.study.knob_sweep import knob_sweep
from vsslib.study.prefetch import PURPOSES, masklet_jobs, prefetch_masklets
from vsslib.study.settings import StudySettings
from vsslib.study.specs import ClassifierRow

MINI = {"window": 5, "points_per_side": 4}  # the tiny study's sam2-mini settings


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> StudySettings:
    base = tmp_path_factory.mktemp("prefetch")
    root, preds = blocky_benchmark(base, n_val=2, seed=5)
    return StudySettings.from_mapping({
        "data": {"dataset": "vspw", "root": str(root)},
        "baselines": {"networks": [], "predictions": [str(preds)], "train_seeds": [0]},
        "masklets": {"sources": ["classical", "sam2-mini"], "window": MINI["window"],
                     "sam2_mini": {"points_per_side": MINI["points_per_side"]}},
        "classifier": {"features": ["appearance"], "epochs": 2},
        "knob_sweep": {"videos": 1, "points_per_side": [2], "pred_iou_thresh": [], "stability_score_thresh": [],
                       "window": [10]},
        "run": {"cache_dir": str(base / "cache"), "results_dir": str(base / "results")}})


def test_the_jobs_are_the_products_the_notebooks_read(tiny: StudySettings) -> None:
    root = tiny.data_root
    val, train = VSPWDataset(root, "val").videos, VSPWDataset(root, "train").videos
    jobs = masklet_jobs(tiny)
    # by hand: both val videos at sam2-mini's own settings (the first one listed for the tour); the train video
    # (approach 2 on appearance features trains on "train"); the first val video at each moved knob of the sweep
    # (points_per_side 2, window 10; at the own settings it is listed already)
    assert [(j.spec.masks, j.split, j.video, j.purpose) for j in jobs] == [
        ("sam2-mini", "val", val[0], "first video"), ("sam2-mini", "val", val[1], "evaluated"),
        ("sam2-mini", "train", train[0], "classifier"),
        ("sam2-mini", "val", val[0], "knob sweep"), ("sam2-mini", "val", val[0], "knob sweep")]
    own = jobs[0].spec.mask_settings
    assert (own.generator.points_per_side, own.windows.window) == (4, 5)
    assert (jobs[3].spec.mask_settings.generator.points_per_side, jobs[3].spec.mask_settings.windows.window) == (2, 5)
    assert (jobs[4].spec.mask_settings.generator.points_per_side, jobs[4].spec.mask_settings.windows.window) == (4, 10)
    assert [j.video for j in masklet_jobs(tiny, purposes=("classifier",))] == list(train)
    assert [(j.video, j.spec.mask_settings == own) for j in masklet_jobs(tiny, purposes=("knob sweep",))] == [
        (val[0], True), (val[0], False), (val[0], False)]  # the sweep's reference rows read the own settings
    assert [j.video for j in masklet_jobs(tiny, purposes=("first video",))] == [val[0]]
    # picked approach-2 rows (make confirm): only their kind, features and split
    picked = [ClassifierRow("sam2-mini", "appearance", "train", "fused")]
    assert [j.video for j in masklet_jobs(tiny, purposes=("classifier",), picks=picked)] == list(train)
    other = [ClassifierRow("classical", "appearance", "train", "fused")]
    assert masklet_jobs(tiny, purposes=("classifier",), picks=other) == []
    # the classical source on request: no sweep of it (the sweep moves the SAM2 source's knobs)
    assert [(j.split, j.purpose) for j in masklet_jobs(tiny, sources=["classical"])] == [
        ("val", "first video"), ("val", "evaluated"), ("train", "classifier")]
    with pytest.raises(ParameterError, match=r"purposes \['sweep'\] unknown; valid: first video, evaluated, "
                                             r"classifier, knob sweep"):
        masklet_jobs(tiny, purposes=("sweep",))
    with pytest.raises(ParameterError, match=r"\['oracle'\] are not among masklets.sources"):
        masklet_jobs(tiny, sources=["oracle"])
    assert PURPOSES == ("first video", "evaluated", "classifier", "knob sweep")
    # the official sam2 source is not made ahead by default: it runs on the caller's device and threads
    official = tiny.replace({"masklets.sources": ["classical", "sam2"],
                             "masklets.sam2.checkpoint": "nowhere/sam2.1_hiera_tiny.pt"})
    assert masklet_jobs(official) == [] and masklet_jobs(tiny.replace({"masklets.sources": ["oracle"]})) == []
    with pytest.raises(ParameterError, match=r"jobs=0 must be an integer >= 1"):
        prefetch_masklets(official, jobs=0, progress=False)
    with pytest.raises(ParameterError, match=r"jobs=True must be an integer >= 1"):
        prefetch_masklets(official, jobs=True, progress=False)
    # nothing to make ahead: the report says why rather than that nothing is read
    report = prefetch_masklets(official, jobs=2, progress=False)
    assert (report.made, report.cached, report.sources) == (0, 0, ())
    assert report.summary() == ("masklets made ahead: none (only sam2-mini's are, and the settings do not run it; "
                                "the notebooks make their masklets on first use)")


@pytest.mark.slow
def test_made_ahead_in_workers_then_only_read(tiny: StudySettings, monkeypatch: pytest.MonkeyPatch) -> None:
    made = prefetch_masklets(tiny, jobs=2, progress=False)
    assert (made.made, made.cached, made.jobs) == (5, 0, 2) and made.compute_seconds > 0
    again = prefetch_masklets(tiny, jobs=2, progress=False)
    assert made.sources == ("sam2-mini",)
    assert made.summary().startswith("sam2-mini masklets made ahead: 5 made (0 cached) in ")
    assert made.summary().endswith(" s, 2 at a time (%.0f s of computing)" % made.compute_seconds)
    assert (again.made, again.cached) == (0, 5) and again.summary() == "sam2-mini masklets made ahead: all 5 cached"
    # the workers' masklets are the bits a source made here gives (both pinned to one thread)
    study = Study(tiny, progress=False)
    video = study.dataset().load(study.dataset().videos[1])
    np.testing.assert_array_equal(study.masklets("sam2-mini", video.name),
                                  create_masklet_source("sam2-mini", **MINI)(video.frames))
    # now nothing the study runs on sam2-mini may make masklets
    from vsslib.sam2_mini.masklets import SAM2MiniMasklets

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a masklet product was made after the prefetch")

    monkeypatch.setattr(SAM2MiniMasklets, "__call__", refuse)
    baseline = study.baselines()[0]
    refined = study.refine(baseline, "sam2-mini")
    classified = study.classify("appearance", "sam2-mini")
    table = knob_sweep(study, baseline, "sam2-mini")
    assert len(refined.records) == 2 and len(classified.records) == 2 and len(table) == 4


def test_sources_of_different_settings_share_one_pinned_interpreter() -> None:
    a = create_masklet_source("sam2-mini", window=2, points_per_side=4)
    b = create_masklet_source("sam2-mini", window=3, points_per_side=2)
    assert a._interpreter is b._interpreter is shared_interpreter(1)
    assert shared_interpreter(2) is not shared_interpreter(1)
    with pytest.raises(ParameterError, match="threads=0"):
        shared_interpreter(0)


@pytest.mark.slow
def test_make_figures_makes_the_masklets_after_the_first_stage_for_the_notebooks_it_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vsslib.study import notebooks, prefetch
    from vsslib.study.prefetch import PrefetchReport

    log_cell = ("from pathlib import Path\nlog = Path('../' + results_dir, 'log.txt')\n"
                "log.parent.mkdir(exist_ok=True)\nwith log.open('a') as f: f.write('{name}\\n')\n")
    toy_repository(tmp_path, {name: log_cell.replace("{name}", name)
                              for name in ("02_baselines", "04_mask_classifier", "07_cost")})
    calls = []

    def record(settings: StudySettings, *, jobs: int, purposes: set[str], progress: bool) -> PrefetchReport:
        log = tmp_path / "out" / "log.txt"
        calls.append((jobs, sorted(purposes), log.read_text().split() if log.exists() else []))
        return PrefetchReport(made=0, cached=0, seconds=0.0, compute_seconds=0.0, jobs=jobs)

    monkeypatch.setattr(prefetch, "prefetch_masklets", record)
    monkeypatch.chdir(tmp_path)
    notebooks.run_figures(Path("params.yaml"), jobs=2, progress=False)
    assert calls == [(2, ["classifier", "evaluated"], ["02_baselines"])]  # after 02, before 04
    notebooks.run_figures(Path("params.yaml"), jobs=2, progress=False, force=True, only=["07_cost"])
    assert len(calls) == 1  # 07 reads no masklets
