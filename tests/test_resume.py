"""A command-line run killed with SIGKILL part-way resumes to the same bytes, and leaves no half-written file.

The kill point is deterministic: the run is started through :data:`LAUNCH`, which wraps the library's product
store and prediction writer so that the process stalls right after it stores its n-th product of a kind (or, for
``video``, writes its n-th video's predictions); the test waits for that product to appear and kills the process
there. The library itself has no hook for this.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import blocky_benchmark

from vsslib.data import VSPWDataset

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("baseline", "masklets", "refined", "metrics")
LAUNCH = """
import runpy, sys, time
from collections import Counter
import vsslib.base.cache as cache
import vsslib.study.runs.approach1 as approach1

rule, sys.argv = sys.argv[1], ["vsslib", *sys.argv[2:]]
wanted, _, count = rule.partition(":")
seen = Counter()

def stall(kind):
    seen[kind] += 1
    if kind == wanted and seen[kind] == int(count):
        time.sleep(3600)  # the test kills the process here

def save(self, video, _save=cache.ProductCache.save, **arrays):
    path = _save(self, video, **arrays)
    stall(self.folder.parent.name)  # <cache>/<kind>/<key>/<video>.npz
    return path

def write_predictions(*args, _write=approach1.write_predictions, **keywords):
    written = _write(*args, **keywords)
    stall("video")
    return written

cache.ProductCache.save, approach1.write_predictions = save, write_predictions
runpy.run_module("vsslib", run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """4 val videos x 10 frames x 32x48 and blocky ground truth as 'predictions'."""
    return blocky_benchmark(tmp_path_factory.mktemp("resume"), n_val=4, seed=3)


def _refine(bench: tuple[Path, Path], out: Path, cache: Path, *, stall: str | None = None) -> subprocess.Popen:
    root, preds = bench
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH, stall or "none:0", "refine", "--data", str(root), "--predictions", str(preds), "--masks",
         "classical", "--window", "4", "--no-progress", "--out", str(out), "--cache", str(cache)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> None:
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr


def _files(folder: Path, pattern: str) -> list[Path]:
    """Files under their final names (temporary files of atomic writes start with a dot)."""
    return [p for p in folder.glob(pattern) if not p.name.startswith(".")]


def _products(cache: Path) -> dict[str, dict[str, int]]:
    """Per kind, each video's product file and its modification time."""
    return {kind: {p.stem.split("@")[0]: p.stat().st_mtime_ns for p in _files(cache / kind, "*/*.npz")}
            for kind in KINDS}  # "<video>@<inputs' fingerprint>": one entry per video here


def _without_times(path: Path) -> dict:
    metrics = json.loads(path.read_text())
    for key in ("baseline", "refined"):
        del metrics[key]["seconds_per_frame"], metrics[key]["fps"]
    return metrics


@pytest.fixture(scope="module")
def reference(bench, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run."""
    out = tmp_path_factory.mktemp("reference")
    _finish(_refine(bench, out / "out", out / "cache"))
    return out / "out"


@pytest.mark.parametrize(("stall", "kill_at", "done"), [
    # mid-video: the second video has its baseline and masklets, not yet its refined map or predictions
    ("masklets:2", {"baseline": 2, "masklets": 2, "refined": 1, "metrics": 1}, 1),
    # between videos: three videos finished, predictions written, metrics.json not yet
    ("video:3", {"baseline": 3, "masklets": 3, "refined": 3, "metrics": 3}, 3),
])
def test_a_killed_run_resumes_to_the_same_bytes(bench, reference: Path, tmp_path: Path, stall: str,
                                                kill_at: dict[str, int], done: int) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    victim = _refine(bench, out, cache, stall=stall)
    kind, count = stall.split(":")
    target = (lambda: len(_files(out / "pred", "*/*.png")) >= 10 * int(count)) if kind == "video" else (
        lambda: len(_files(cache / kind, "*/*.npz")) >= int(count))
    try:
        deadline = time.monotonic() + 120
        while not target():
            assert victim.poll() is None, victim.communicate()[1]
            assert time.monotonic() < deadline, "the run never reached the kill point"
            time.sleep(0.02)
        time.sleep(0.2)  # let it reach the stall (nothing more is written after the product appears)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate()
    assert victim.returncode == -signal.SIGKILL

    # What the killed run left: complete products and predictions only, no metrics.json.
    videos = VSPWDataset(bench[0], "val").videos
    killed = _products(cache)
    assert {k: len(v) for k, v in killed.items()} == kill_at
    assert sorted(p.parent.name for p in _files(out / "pred", "*/*.png")) == sorted(videos[:done] * 10)
    assert not (out / "metrics.json").exists()
    assert not [p for p in tmp_path.rglob("*") if ".tmp" in p.name]
    # A kill during a write would leave a temporary file beside the product: it must never be read.
    (next((cache / "masklets").iterdir()) / f".{videos[1]}.npz.x1y2.tmp.npz").write_bytes(b"half a zip")

    _finish(_refine(bench, out, cache))
    resumed = _products(cache)
    for kind in KINDS:  # finished products were reused, not recomputed
        assert {v: t for v, t in resumed[kind].items() if v in killed[kind]} == killed[kind]
        assert sorted(resumed[kind]) == sorted(videos)
    ref_pngs = sorted(p.relative_to(reference) for p in (reference / "pred").rglob("*.png"))
    assert sorted(p.relative_to(out) for p in (out / "pred").rglob("*.png")) == ref_pngs and len(ref_pngs) == 40
    for rel in ref_pngs:
        assert (out / rel).read_bytes() == (reference / rel).read_bytes()
    assert _without_times(out / "metrics.json") == _without_times(reference / "metrics.json")
