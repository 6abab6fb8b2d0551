"""Executors return results in input order, raise a task's error, and give the same run, to the byte."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import blocky_benchmark

from vsslib.masks import resolve_masklet_settings
from vsslib.base.errors import ParameterError
from vsslib.base.executor import DaskExecutor, ProcessExecutor, SerialExecutor, create_executor
from vsslib.study.runs import RefineSpec, run_refine
from vsslib.study.settings import load_settings, repo_root
from vsslib.study import Study

# math.factorial is importable in any worker (spawned processes, Dask workers); its cost varies with the
# argument, so a pool completes these out of order.
ITEMS = [2500, 3, 1800, 0, 7, 1200]


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """4 val videos x 10 frames x 32x48 and blocky ground truth as 'predictions'."""
    return blocky_benchmark(tmp_path_factory.mktemp("executor"), n_val=4, seed=2)


def test_serial_and_process_pool_return_results_in_input_order() -> None:
    expected = [math.factorial(n) for n in ITEMS]
    assert SerialExecutor().map(math.factorial, ITEMS, progress=False) == expected
    assert SerialExecutor().map(math.factorial, [], progress=False) == []
    with ProcessExecutor(2) as pool:
        assert pool.map(math.factorial, ITEMS, progress=False) == expected
        started = pool._pool
        assert pool.map(math.factorial, ITEMS[::-1], progress=False) == expected[::-1]
        assert pool._pool is started  # one pool (and its workers' memo) serves every map until closed
    assert pool._pool is None


def test_a_failing_task_raises_its_error() -> None:
    with pytest.raises(ValueError, match="math domain error"):
        SerialExecutor().map(math.sqrt, [4.0, -1.0, 9.0], progress=False)
    with ProcessExecutor(2) as pool:
        with pytest.raises(ValueError, match="math domain error"):
            pool.map(math.sqrt, [4.0, -1.0, 9.0, 16.0], progress=False)
        assert pool._pool is None  # closed on error; the next map starts afresh
        assert pool.map(math.sqrt, [4.0, 9.0], progress=False) == [2.0, 3.0]


def test_create_executor_follows_the_command_line_options() -> None:
    assert isinstance(create_executor(), SerialExecutor)
    pool = create_executor(workers=3)
    assert isinstance(pool, ProcessExecutor) and pool.workers == 3
    dask = create_executor(dask="tcp://127.0.0.1:8786")
    assert isinstance(dask, DaskExecutor) and dask.address == "tcp://127.0.0.1:8786"
    with pytest.raises(ParameterError, match="--workers and --dask are exclusive"):
        create_executor(workers=2, dask="local")
    with pytest.raises(ParameterError, match="workers=0 must be at least 1"):
        create_executor(workers=0)
    with pytest.raises(ParameterError, match="workers=0 must be at least 1"):
        ProcessExecutor(0)


def _without_times(path: Path) -> str:
    metrics = json.loads(path.read_text())
    for key in ("baseline", "refined"):
        del metrics[key]["seconds_per_frame"], metrics[key]["fps"]
    return json.dumps(metrics, indent=2, sort_keys=True)


def test_serial_process_pool_and_dask_give_the_same_run(bench, tmp_path: Path) -> None:
    """Fresh caches: the same predictions and metrics (times aside); a finished cache: the same bytes."""
    root, preds = bench
    executors = {"serial": SerialExecutor(), "pool": ProcessExecutor(2), "dask": DaskExecutor("local")}
    specs = {name: RefineSpec(data_root=str(root), predictions=str(preds), masks="classical",
                              mask_settings=resolve_masklet_settings("classical", window=4),
                              cache_root=str(tmp_path / name / "cache"), out=str(tmp_path / name / "out"))
             for name in executors}
    reference = tmp_path / "serial" / "out"
    for name, executor in executors.items():
        with executor:
            run_refine(specs[name], executor=executor, progress=False)
            if name != "serial":
                # From one finished cache, every executor merges the same stored counts and times.
                warm = specs["serial"].replace(out=str(tmp_path / f"{name}-warm"))
                run_refine(warm, executor=executor, progress=False)
                warm_json, reference_json = (tmp_path / f"{name}-warm" / "metrics.json"), reference / "metrics.json"
                assert json.loads(warm_json.read_text()) == json.loads(reference_json.read_text())
                assert warm_json.read_bytes() == reference_json.read_bytes()
    pngs = sorted(p.relative_to(reference) for p in (reference / "pred").rglob("*.png"))
    assert len(pngs) == 40
    for name in ("pool", "dask"):  # computed afresh: the same predictions and metrics (times aside)
        assert _without_times(tmp_path / name / "out" / "metrics.json") == _without_times(reference / "metrics.json")
        assert sorted(p.relative_to(tmp_path / name / "out") for p in (tmp_path / name / "out" / "pred").rglob(
            "*.png")) == pngs
        for rel in pngs:
            assert (tmp_path / name / "out" / rel).read_bytes() == (reference / rel).read_bytes()


def test_runs_inside_a_study_step_show_one_bar_that_counts_them(bench, tmp_path: Path, monkeypatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A notebook cell that loops over runs prints one short line, not a bar per run."""
    root, preds = bench
    study = Study(load_settings(repo_root() / "params" / "smoke.yaml", {"run.cache_dir": str(tmp_path / "cache")}))
    spec = RefineSpec(data_root=str(root), predictions=str(preds), masks="classical",
                      mask_settings=resolve_masklet_settings("classical", window=4), cache_root=str(tmp_path / "cache"))
    monkeypatch.setattr(study, "refine_spec", lambda baseline, source, **options: spec)
    with study.step("two runs", total=2):
        first, second = study.refine("x", "classical"), study.refine("x", "classical")
    err = capsys.readouterr().err
    final = err.strip().split("\r")[-1]
    assert final.startswith("two runs: 100%") and "2/2 runs" in final and "refine" not in final
    assert "refine (classical) 4/4" in err and "video/s" not in err  # the runs' progress, on the step's bar
    assert first.scores["refined"].miou == second.scores["refined"].miou
    study.refine("x", "classical")  # outside a step, a run has its own bar
    assert "refine (classical): 100%" in capsys.readouterr().err


def test_a_loop_of_other_work_gets_one_bar_and_its_items_unchanged(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(repo_root() / "params" / "smoke.yaml", {"run.cache_dir": str(tmp_path / "cache")})
    study = Study(settings)
    assert list(study.track(["a", "b", "c"], "three things")) == ["a", "b", "c"]
    with study.counting("counting", 2) as tick:
        assert [tick(x * 2) for x in (1, 2)] == [2, 4]
    bars = [line.split("\r")[-1] for line in capsys.readouterr().err.strip().split("\n")]
    assert bars[0].startswith("three things: 100%") and "3/3" in bars[0]
    assert bars[1].startswith("counting: 100%") and "2/2" in bars[1]
    quiet = Study(settings, progress=False)
    assert list(quiet.track([1, 2], "x")) == [1, 2] and capsys.readouterr().err == ""
