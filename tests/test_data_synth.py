"""The generated benchmark: layout, exact ground truth, determinism, and the properties it promises."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from vsslib.data import SYNTH_CLASSES, VSPWDataset, ensure_benchmark, generate
from vsslib.data.synth import BenchmarkSettings, render_video
from vsslib.errors import ParameterError

SMALL = dict(n_videos=3, n_frames=6, height=48, width=80, seed=3)


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_is_read_by_the_vspw_reader(tmp_path: Path) -> None:
    root = generate(tmp_path / "b", **SMALL)
    assert (root / "benchmark.json").is_file()
    for split, expected in (("train", 1), ("val", 1), ("test", 1)):
        ds = VSPWDataset(root, split)
        assert len(ds) == expected
    ds = VSPWDataset(root, "val")
    assert ds.class_names == SYNTH_CLASSES and len(SYNTH_CLASSES) >= 8
    video = ds.load(ds.videos[0])
    assert video.frames.shape == (6, 48, 80, 3)
    assert video.frame_ids[0] == "00000000"  # 8-digit integer stems: SAM2's JPEG loader accepts them
    assert video.labels.max() < len(SYNTH_CLASSES) and video.instances.min() >= 1
    assert ds.name == "generated benchmark (not VSPW)"


def test_ground_truth_is_the_rendered_geometry(tmp_path: Path) -> None:
    root = generate(tmp_path / "b", **SMALL)
    ds = VSPWDataset(root, "train")
    video = ds.load(ds.videos[0])
    _, labels, instances = render_video(BenchmarkSettings(**SMALL), 0)
    np.testing.assert_array_equal(video.labels, labels)
    np.testing.assert_array_equal(video.instances, instances)
    # Each instance has exactly one class.
    pairs = np.unique(np.stack([instances.ravel(), labels.ravel()]), axis=1)
    assert len(np.unique(pairs[0])) == pairs.shape[1]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = _digest(generate(tmp_path / "a", **SMALL))
    b = _digest(generate(tmp_path / "b", **SMALL))
    c = _digest(generate(tmp_path / "c", **{**SMALL, "seed": 4}))
    assert a == b
    assert a != c


def test_scenes_have_motion_thin_structures_and_entries() -> None:
    settings = BenchmarkSettings(n_videos=6, n_frames=48, height=128, width=224, seed=0)
    entries = thin = 0
    moved = []
    for k in range(settings.n_videos):
        _, labels, instances = render_video(settings, k)
        first_seen = {}
        for t in range(settings.n_frames):
            for i in np.unique(instances[t]):
                first_seen.setdefault(int(i), t)
        entries += sum(1 for t in first_seen.values() if t > 0)
        # A pole column is at most a few pixels wide.
        pole_width = (labels[0] == SYNTH_CLASSES.index("pole")).sum(axis=1)
        thin += int(pole_width[pole_width > 0].min(initial=99) <= 3)
        moved.append(np.mean(labels[0] != labels[-1]))
    assert entries >= 3  # objects enter mid-video
    assert thin >= 3  # thin structures exist
    assert min(moved) > 0.02  # camera and objects move


def test_ensure_benchmark_regenerates_only_on_other_settings(tmp_path: Path) -> None:
    root = ensure_benchmark(tmp_path / "b", **SMALL)
    stamp = (root / "benchmark.json").stat().st_mtime_ns
    ensure_benchmark(tmp_path / "b", **SMALL)
    assert (root / "benchmark.json").stat().st_mtime_ns == stamp
    ensure_benchmark(tmp_path / "b", **{**SMALL, "n_frames": 5})
    assert len(VSPWDataset(root, "val").load(VSPWDataset(root, "val").videos[0]).frame_ids) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # nothing left beside it


def test_bad_settings_and_non_empty_target(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="n_frames=0 must be at least 1"):
        generate(tmp_path / "x", **{**SMALL, "n_frames": 0})
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(ParameterError, match="exists and is not empty"):
        generate(tmp_path / "full", **SMALL)
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
