"""Cached runs: metrics equal the pure functions on the written PNGs, every executor agrees, runs resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from vsslib._io import read_image
from vsslib.data import VSPWDataset, generate
from vsslib.errors import DataError
from vsslib.executor import DaskExecutor, ProcessExecutor, SerialExecutor
from vsslib.metrics import mean_boundary_iou, mean_iou, video_consistency
from vsslib.pipeline import RefineSpec, run_refine
from vsslib.segmenters import save_predictions

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """5 videos (1 train / 3 val / 1 test) of 10 frames, and damaged ground truth as 'predictions'."""
    base = tmp_path_factory.mktemp("pipeline")
    root = generate(base / "data", n_videos=5, n_frames=10, height=48, width=80, seed=1, split_counts=(1, 3, 1))
    preds = base / "preds"
    rng = np.random.default_rng(0)
    ds = VSPWDataset(root, "val")
    for name in ds.videos:
        video = ds.load(name)
        damaged = video.labels.copy()
        coarse = damaged[:, ::8, ::8]  # a coarse network: blocky boundaries
        damaged = np.repeat(np.repeat(coarse, 8, axis=1), 8, axis=2)[:, :48, :80]
        damaged[rng.random(damaged.shape) < 0.02] = 3
        save_predictions(preds, name, video.frame_ids, damaged)
    return root, preds


def _strip_times(metrics: dict) -> dict:
    out = json.loads(json.dumps(metrics))
    for key in ("baseline", "refined"):
        out[key].pop("seconds_per_frame")
        out[key].pop("fps")
    return out


def test_metrics_json_equals_metrics_of_the_written_predictions(dataset, tmp_path: Path) -> None:
    root, preds = dataset
    spec = RefineSpec(data_root=str(root), predictions=str(preds), masks="oracle", cache_root=str(tmp_path / "c"),
                      out=str(tmp_path / "out"))
    metrics = run_refine(spec, progress=False)
    written = json.loads((tmp_path / "out" / "metrics.json").read_text())
    ds = VSPWDataset(root, "val")
    gts, refined, base = [], [], []
    for name in ds.videos:
        video = ds.load(name)
        gts.append(video.labels)
        refined.append(np.stack([read_image(tmp_path / "out" / "pred" / name / f"{f}.png") for f in video.frame_ids]))
        base.append(np.stack([read_image(preds / name / f"{f}.png") for f in video.frame_ids]))
    for key, maps in (("refined", refined), ("baseline", base)):
        assert written[key]["miou"] == pytest.approx(mean_iou(gts, maps, ds.num_classes)["miou"], rel=1e-12)
        assert written[key]["mbiou"] == pytest.approx(mean_boundary_iou(gts, maps, ds.num_classes)["mbiou"], rel=1e-12)
        vc8 = np.concatenate([video_consistency(g, p, 8) for g, p in zip(gts, maps)])
        assert written[key]["mvc8"] == pytest.approx(np.nanmean(vc8), rel=1e-12)
    # oracle masklets on blocky predictions fix boundaries: the refiner must help here
    assert metrics["refined"]["mbiou"] > metrics["baseline"]["mbiou"]
    assert written["masklet_source"] == "oracle" and written["dataset"] == "generated benchmark (not VSPW)"


def test_serial_process_pool_and_dask_agree(dataset, tmp_path: Path) -> None:
    root, preds = dataset
    results = {}
    for name, executor in (("serial", SerialExecutor()), ("pool", ProcessExecutor(2)), ("dask", DaskExecutor("local"))):
        spec = RefineSpec(data_root=str(root), predictions=str(preds), masks="classical",
                          mask_settings=RefineSpec.settings_tuple({"window": 4}),
                          cache_root=str(tmp_path / name / "cache"), out=str(tmp_path / name / "out"))
        results[name] = _strip_times(run_refine(spec, executor=executor, progress=False))
    assert results["serial"] == results["pool"] == results["dask"]
    for name in ("pool", "dask"):
        for png in sorted((tmp_path / "serial" / "out" / "pred").rglob("*.png")):
            other = tmp_path / name / "out" / png.relative_to(tmp_path / "serial" / "out")
            assert png.read_bytes() == other.read_bytes()


def test_changing_the_vote_reuses_masklets_and_recomputes_refinement(dataset, tmp_path: Path) -> None:
    root, preds = dataset
    spec = RefineSpec(data_root=str(root), predictions=str(preds), masks="oracle", cache_root=str(tmp_path / "c"))
    run_refine(spec, progress=False)
    masklet_files = {p: p.stat().st_mtime_ns for p in (tmp_path / "c" / "masklets").rglob("*.npz")}
    refined_before = set((tmp_path / "c" / "refined").rglob("*.npz"))
    run_refine(RefineSpec(**{**spec.__dict__, "vote": "frame"}), progress=False)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "c" / "masklets").rglob("*.npz")} == masklet_files
    assert len(set((tmp_path / "c" / "refined").rglob("*.npz")) - refined_before) == 3  # one per val video


def _cli(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "vsslib", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_run_killed_part_way_resumes_to_the_same_bytes(dataset, tmp_path: Path) -> None:
    root, preds = dataset
    common = ["refine", "--data", str(root), "--predictions", str(preds), "--masks", "classical", "--window", "4",
              "--no-progress"]
    reference = _cli(*common, "--out", str(tmp_path / "ref"), "--cache", str(tmp_path / "ref-cache"), cwd=tmp_path)
    _, stderr = reference.communicate(timeout=300)
    assert reference.returncode == 0, stderr
    # Kill -9 as soon as the first video's masklets are cached, then run the same command again.
    victim = _cli(*common, "--out", str(tmp_path / "run"), "--cache", str(tmp_path / "cache"), cwd=tmp_path)
    deadline = time.time() + 120
    while not list((tmp_path / "cache" / "masklets").rglob("*.npz")) and time.time() < deadline:
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.communicate()
    assert not (tmp_path / "run" / "metrics.json").exists()  # metrics.json is written last
    resumed = _cli(*common, "--out", str(tmp_path / "run"), "--cache", str(tmp_path / "cache"), cwd=tmp_path)
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    # kill -9 can leave a temporary file behind, but never under a final name: every product loads
    leftovers = list(tmp_path.rglob("*.tmp*"))
    assert all(p.name.startswith(".") for p in leftovers)
    for npz in (tmp_path / "cache").rglob("*.npz"):
        if not npz.name.startswith("."):
            np.load(npz).close()
    ref_files = sorted(p.relative_to(tmp_path / "ref") for p in (tmp_path / "ref" / "pred").rglob("*.png"))
    run_files = sorted(p.relative_to(tmp_path / "run") for p in (tmp_path / "run" / "pred").rglob("*.png"))
    assert ref_files == run_files and len(ref_files) == 30
    for rel in ref_files:
        assert (tmp_path / "ref" / rel).read_bytes() == (tmp_path / "run" / rel).read_bytes()
    a = json.loads((tmp_path / "ref" / "metrics.json").read_text())
    b = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert _strip_times(a) == _strip_times(b)


@pytest.mark.parametrize(("args", "message"), [
    (["--masks", "sam3"], "--masks 'sam3' is not a masklet source; valid: classical, oracle, sam2"),
    (["--masks", "classical", "--window", "0"], "--window 0: a window must hold at least 1 frame"),
    (["--masks", "sam2", "--points-per-side", "0"], "--points-per-side 0"),
    (["--masks", "classical", "--dilation-ratio", "-0.1"], "--dilation-ratio -0.1"),
    (["--masks", "sam2"], "no SAM2 checkpoint given.*sam2.1_hiera_tiny.pt"),
])
def test_cli_errors_are_one_clear_line(dataset, tmp_path: Path, args: list[str], message: str) -> None:
    root, preds = dataset
    proc = _cli("refine", "--data", str(root), "--predictions", str(preds), "--out", str(tmp_path / "o"),
                "--cache", str(tmp_path / "c"), *args, cwd=tmp_path)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, stderr
    assert stderr.startswith("error: ") and "Traceback" not in stderr
    import re

    assert re.search(message, stderr), stderr


def test_prediction_folder_missing_a_frame_and_wrong_size(dataset, tmp_path: Path) -> None:
    root, preds = dataset
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(preds, broken)
    video = VSPWDataset(root, "val").videos[1]
    (broken / video / "00000004.png").unlink()
    spec = RefineSpec(data_root=str(root), predictions=str(broken), masks="oracle", cache_root=str(tmp_path / "c"))
    with pytest.raises(DataError, match=rf"00000004.png: prediction of video '{video}' frame 00000004 not found"):
        run_refine(spec, progress=False)
    save_predictions(broken, video, ["00000004"], np.zeros((1, 40, 80), np.uint8))
    with pytest.raises(DataError, match=r"00000004.png.*40.*48|48.*40"):
        run_refine(spec, progress=False)
