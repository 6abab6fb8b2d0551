"""The generated benchmark: layout, exact ground truth, determinism, crash safety, and the scene properties
its docstring promises (thin and small objects, touching instances, entries and exits, motion, textures)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from vsslib.data import SYNTH_CLASSES, VSPWDataset, ensure_benchmark, generate
from vsslib.data import synth, synth_scene
from vsslib.data.synth import BenchmarkSettings, render_video
from vsslib.base.errors import ParameterError

SMALL = dict(n_videos=3, n_frames=6, height=48, width=80, seed=3)
POLE, CAR, PERSON = (SYNTH_CLASSES.index(name) for name in ("pole", "car", "person"))


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def street() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Three videos of the default frame size, 24 frames each."""
    settings = BenchmarkSettings(n_videos=3, n_frames=24, seed=0)
    return [render_video(settings, k) for k in range(3)]


def test_layout_is_read_by_the_vspw_reader(tmp_path: Path) -> None:
    root = generate(tmp_path / "b", **SMALL)
    assert sorted(p.name for p in root.iterdir()) == ["benchmark.json", "classes.txt", "data", "test.txt",
                                                       "train.txt", "val.txt"]
    assert json.loads((root / "benchmark.json").read_text()) == BenchmarkSettings(**SMALL).to_json()
    assert [len(VSPWDataset(root, split)) for split in ("train", "val", "test")] == [1, 1, 1]
    ds = VSPWDataset(root, "val")
    assert ds.class_names == SYNTH_CLASSES and ds.num_classes == 10 and ds.name == "generated benchmark (not VSPW)"
    video = ds.load(ds.videos[0])
    assert video.frames.shape == (6, 48, 80, 3)
    assert video.frame_ids == [f"{t:08d}" for t in range(6)]  # 8-digit integer stems, as SAM2 wants
    assert video.labels.max() < 10 and video.instances.min() >= 1
    assert BenchmarkSettings().splits() == (12, 6, 2)  # the default profile


def test_ground_truth_on_disk_is_the_rendered_geometry(tmp_path: Path) -> None:
    root = generate(tmp_path / "b", **SMALL)
    ds = VSPWDataset(root, "train")
    video = ds.load(ds.videos[0])
    frames, labels, instances = render_video(BenchmarkSettings(**SMALL), 0)
    np.testing.assert_array_equal(video.labels, labels)
    np.testing.assert_array_equal(video.instances, instances)
    assert np.abs(video.frames.astype(int) - frames).mean() < 8  # the JPEGs store the rendered frames
    pairs = np.unique(np.stack([instances.ravel(), labels.ravel()]), axis=1)
    assert len(np.unique(pairs[0])) == pairs.shape[1]  # each instance has exactly one class


def test_labels_align_with_the_drawn_pixels(street: list) -> None:
    """Colouring each pixel with its instance's mean colour explains the frame better with the label maps
    as drawn than with the same maps shifted by one pixel in any direction."""

    def error(ids: np.ndarray, frames: np.ndarray) -> float:
        total = 0.0
        for t in range(0, len(frames), 6):
            inverse = np.unique(ids[t], return_inverse=True)[1].ravel()
            count = np.bincount(inverse)
            pixels = frames[t].reshape(-1, 3).astype(np.float64)
            mean = np.stack([np.bincount(inverse, weights=pixels[:, c]) / count for c in range(3)], axis=1)
            total += np.abs(pixels - mean[inverse]).mean()
        return total

    for frames, _, instances in street:
        aligned = error(instances, frames)
        for shift, axis in ((1, 1), (-1, 1), (1, 2), (-1, 2)):
            assert aligned < error(np.roll(instances, shift, axis=axis), frames)


def test_scene_properties(street: list) -> None:
    entries = exits = 0
    touching = {CAR: 0, PERSON: 0}
    thinnest, smallest = 99, 10**9
    for frames, labels, instances in street:
        t = len(frames)
        assert len(np.unique(labels)) >= 8  # at least 8 classes in every video
        area = np.stack([np.bincount(instances[i].ravel(), minlength=instances.max() + 1) for i in range(t)])
        seen = area[:, np.flatnonzero(area.sum(axis=0))] > 0
        entries += int((seen.argmax(axis=0) > 0).sum())  # first visible after frame 0
        exits += int((seen[::-1].argmax(axis=0) > 0).sum())  # last visible before the last frame
        smallest = min(smallest, int(area[area > 0].min()))
        left, right = instances[:, :, :-1], instances[:, :, 1:]
        for cls in touching:  # two instances of one class side by side
            touching[cls] += int(((left != right) & (labels[:, :, :-1] == cls) & (labels[:, :, 1:] == cls)).sum())
        pole = np.diff(np.pad(labels == POLE, ((0, 0), (0, 0), (1, 1))).astype(np.int8), axis=2)
        runs = np.flatnonzero(pole.ravel() == -1) - np.flatnonzero(pole.ravel() == 1)
        thinnest = min(thinnest, int(runs.min(initial=99)))
        assert np.mean(labels[0] != labels[-1]) > 0.02  # the camera and the objects move
        brightness = frames.reshape(t, -1).mean(axis=1)
        assert np.ptp(brightness) / brightness.mean() > 0.01  # lighting and content change over time
        for cls in np.unique(labels):  # textures, not flat colours
            if (labels == cls).sum() >= 500:
                assert frames[labels == cls].std(axis=0).mean() > 5, SYNTH_CLASSES[cls]
    assert entries >= 3 and exits >= 3
    assert touching[CAR] > 0 and touching[PERSON] > 0
    assert thinnest <= 2 and smallest <= 50


def test_classes_overlap_in_colour(street: list) -> None:
    """Colour alone does not tell the classes apart: nearest class-mean colour is mostly wrong."""
    frames, labels, _ = street[0]
    pixels, truth = frames[::6].reshape(-1, 3).astype(np.float64), labels[::6].ravel()
    classes = np.unique(truth)
    means = np.stack([pixels[truth == c].mean(axis=0) for c in classes])
    nearest = classes[np.argmin(((pixels[:, None, :] - means[None]) ** 2).sum(axis=2), axis=1)]
    assert np.mean(nearest == truth) < 0.7


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = _digest(generate(tmp_path / "a", **SMALL))
    b = _digest(generate(tmp_path / "b", **SMALL))
    c = _digest(generate(tmp_path / "c", **{**SMALL, "seed": 4}))
    assert a == b and len(a) == 3 * 6 * 3 + 5
    assert a != c


def test_ensure_benchmark_regenerates_only_on_other_settings(tmp_path: Path) -> None:
    root = ensure_benchmark(tmp_path / "b", **SMALL)
    stamp = (root / "benchmark.json").stat().st_mtime_ns
    assert ensure_benchmark(tmp_path / "b", **SMALL) == root
    assert (root / "benchmark.json").stat().st_mtime_ns == stamp  # untouched
    ensure_benchmark(tmp_path / "b", **{**SMALL, "n_frames": 5})
    ds = VSPWDataset(root, "val")
    assert ds.load(ds.videos[0]).num_frames == 5
    record = json.loads((root / "benchmark.json").read_text())
    (root / "benchmark.json").write_text(json.dumps({**record, "format_version": 1}))  # an older generator
    ensure_benchmark(tmp_path / "b", **{**SMALL, "n_frames": 5})
    assert json.loads((root / "benchmark.json").read_text())["format_version"] == synth_scene.FORMAT_VERSION
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # nothing left beside it


def test_ensure_benchmark_never_replaces_other_data(tmp_path: Path) -> None:
    (tmp_path / "vspw" / "data").mkdir(parents=True)
    with pytest.raises(ParameterError, match=r"vspw: exists but is not a generated benchmark"):
        ensure_benchmark(tmp_path / "vspw", **SMALL)
    assert (tmp_path / "vspw" / "data").is_dir()
    with pytest.raises(ParameterError, match=r"unknown benchmark setting\(s\) frames; known: n_videos"):
        ensure_benchmark(tmp_path / "x", frames=3)


def test_failed_generation_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def failing(settings: BenchmarkSettings, index: int):
        calls.append(index)
        if index == 1:
            raise KeyboardInterrupt
        return render_video(settings, index)

    monkeypatch.setattr(synth, "render_video", failing)
    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path / "b", **SMALL)
    assert calls == [0, 1] and list(tmp_path.iterdir()) == []


def test_killed_generation_never_leaves_a_dataset_that_looks_complete(tmp_path: Path) -> None:
    code = ("from vsslib.data import generate; "
            f"generate({str(tmp_path / 'b')!r}, n_videos=20, n_frames=48, height=128, width=224, seed=0)")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        deadline = time.monotonic() + 60
        while not any((p / "data").is_dir() for p in tmp_path.glob(".b.*.tmp")):  # writing has begun
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not (tmp_path / "b").exists()  # only the temporary folder, which no reader takes for a dataset


def test_bad_settings_and_non_empty_target(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="n_frames=0 must be an integer of at least 1"):
        generate(tmp_path / "x", **{**SMALL, "n_frames": 0})
    with pytest.raises(ParameterError, match=r"split_counts=\(1, 1, 2\) must be three positive counts"):
        generate(tmp_path / "x", **{**SMALL, "split_counts": (1, 1, 2)})
    with pytest.raises(ParameterError, match="frames of 80x16 pixels are too small"):
        generate(tmp_path / "x", **{**SMALL, "height": 16})
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(ParameterError, match="full: exists and is not empty"):
        generate(tmp_path / "full", **SMALL)
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]
