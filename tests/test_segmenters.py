"""Baseline networks (shapes, training, determinism, weight cache) and predictions read from disk."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from vsslib.data import Video, VSPWDataset
from vsslib.base.errors import DataError, ParameterError
from vsslib.segmenters import (NetworkSettings, PredictionsOnDisk, TrainSettings, build_network, create_segmenter,
                               fit, list_segmenters, save_predictions, segmenter_spec, train_segmenter)
from vsslib.segmenters import train as train_module
from vsslib.viz.training import plot_boundary_closeup, plot_loss_curves

RED, BLUE = (200, 40, 40), (40, 60, 200)
TINY = {"widths": (8, 8, 8), "head_width": 8}  # a stride-8 network small enough to train in a second


def _two_colour_frames(n: int, *, seed: int, height: int = 32, width: int = 48) -> tuple[np.ndarray, np.ndarray,
                                                                                         np.ndarray]:
    """Red left of a random column (class 0), blue right of it (class 1): trivially separable by colour."""
    rng = np.random.default_rng(seed)
    boundaries = rng.integers(width // 4, 3 * width // 4, size=n)
    columns = np.arange(width)
    right = columns[None, None, :] >= boundaries[:, None, None]  # (n, 1, W)
    right = np.broadcast_to(right, (n, height, width))
    frames = np.where(right[..., None], np.array(BLUE, np.uint8), np.array(RED, np.uint8)).astype(np.uint8)
    return frames, right.astype(np.uint8), boundaries


def _write_dataset(root: Path, *, n_train: int = 2, n_frames: int = 3, height: int = 24, width: int = 40) -> Path:
    """A tiny VSPW-layout dataset of two-colour videos: raw mask 1 = class 0 (red), 2 = class 1 (blue)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("red\nblue\n")
    names = [f"video{i}" for i in range(n_train)]
    (root / "train.txt").write_text("\n".join(names) + "\n")
    for i, name in enumerate(names):
        frames, labels, _ = _two_colour_frames(n_frames, seed=i, height=height, width=width)
        for t in range(n_frames):
            for sub in ("origin", "mask"):
                (root / "data" / name / sub).mkdir(parents=True, exist_ok=True)
            Image.fromarray(frames[t]).save(root / "data" / name / "origin" / f"{t:08d}.jpg", quality=95)
            raw = labels[t] + 1
            raw[0, :4] = 0  # a few "others" pixels: ignored in training
            Image.fromarray(raw).save(root / "data" / name / "mask" / f"{t:08d}.png")
    return root


def _video(name: str = "v", frames: int = 2, height: int = 4, width: int = 5) -> Video:
    return Video(name=name, frame_ids=[f"{t:08d}" for t in range(frames)],
                 frames=np.zeros((frames, height, width, 3), dtype=np.uint8), labels=None, instances=None)


# --- networks ------------------------------------------------------------------------------------------
def test_registry_lists_both_networks() -> None:
    assert list_segmenters() == ["fcn16-wide", "fcn8-small"]
    assert segmenter_spec("fcn8-small").network.stride == 8
    assert segmenter_spec("fcn16-wide").network.stride == 16
    small, wide = segmenter_spec("fcn8-small").network, segmenter_spec("fcn16-wide").network
    assert wide.head_width > small.head_width and max(wide.widths) > max(small.widths)


@pytest.mark.parametrize("name, expected_grid", [("fcn8-small", (5, 7)), ("fcn16-wide", (3, 4))])
def test_output_stride_and_shapes(name: str, expected_grid: tuple[int, int]) -> None:
    spec = segmenter_spec(name)
    network = build_network(name, 5, spec.network, seed=0)
    assert (network.name, network.num_classes, network.stride) == (name, 5, spec.network.stride)
    frames = np.random.default_rng(0).integers(0, 256, (3, 33, 50, 3), dtype=np.uint8)
    features = network.features_frames(frames, batch_size=2)
    # h = ceil(33 / stride), w = ceil(50 / stride)
    assert expected_grid == (math.ceil(33 / network.stride), math.ceil(50 / network.stride))
    assert features.shape == (3, spec.network.head_width, *expected_grid) and features.dtype == np.float32
    labels = network.predict_frames(frames, batch_size=2)
    assert labels.shape == (3, 33, 50) and labels.dtype == np.uint8 and labels.max() < 5
    # batching does not change the result, and Video input is the same as the frame array
    video = Video(name="v", frame_ids=["0", "1", "2"], frames=frames, labels=None, instances=None)
    np.testing.assert_array_equal(network.predict(video), network.predict_frames(frames, batch_size=3))
    np.testing.assert_allclose(network.features(video), features, rtol=1e-5, atol=1e-5)


def test_network_rejects_bad_frames() -> None:
    network = build_network("t", 2, NetworkSettings(**TINY))
    with pytest.raises(DataError, match=r"frames must be \(T, H, W, 3\) uint8 RGB, got shape \(2, 8, 8\)"):
        network.predict_frames(np.zeros((2, 8, 8), dtype=np.uint8))
    with pytest.raises(ParameterError, match="num_classes=256"):
        build_network("t", 256, NetworkSettings(**TINY))


def test_training_on_two_flat_colours_drives_the_loss_down_and_separates_them() -> None:
    frames, labels, _ = _two_colour_frames(16, seed=0)
    network = build_network("tiny", 2, NetworkSettings(**TINY), seed=0)
    history = fit(network, frames, labels, settings=TrainSettings(epochs=10, batch_size=8, learning_rate=1e-2),
                  seed=0, progress=False)
    assert len(history.epoch_loss) == 10 and len(history.step_loss) == 20
    assert history.epoch_loss[-1] < 0.6 * history.epoch_loss[0]
    assert network.history is history

    test_frames, test_labels, boundaries = _two_colour_frames(4, seed=1)
    predicted = network.predict_frames(test_frames)
    assert (predicted == test_labels).mean() > 0.95
    # away from the boundary (more than one output cell) every pixel is right; near it the stride blurs
    far = np.abs(np.arange(48)[None, None, :] - boundaries[:, None, None]) > 8
    far = np.broadcast_to(far, test_labels.shape)
    np.testing.assert_array_equal(predicted[far], test_labels[far])


def test_fit_rejects_bad_labels_and_crops() -> None:
    frames, labels, _ = _two_colour_frames(2, seed=0)
    network = build_network("t", 2, NetworkSettings(**TINY))
    bad = labels.copy()
    bad[0, 0, 0] = 7
    with pytest.raises(DataError, match="training labels hold the value 7, outside 0..1 and not 255"):
        fit(network, frames, bad, progress=False)
    with pytest.raises(ParameterError, match=r"crop=\(64, 8\) is larger than the training frames \(32, 48\)"):
        fit(network, frames, labels, settings=TrainSettings(crop=(64, 8)), progress=False)
    with pytest.raises(DataError, match="must be .N, H, W. uint8 matching frames"):
        fit(network, frames, labels[:, :4], progress=False)


def test_adam_is_the_fused_kernel_by_default_and_the_unfused_one_trains_to_other_weights(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``fused_adam`` reaches torch's Adam; the fused kernel (its own exact square root) and the unfused step (through
    torch.sqrt) give other weights from the same start, so the setting must be, and is, part of the cache key."""
    frames, labels, _ = _two_colour_frames(4, seed=0)
    made: list[object] = []
    adam = torch.optim.Adam

    def recording_adam(*args: object, **kwargs: object) -> torch.optim.Adam:
        made.append(kwargs.get("fused"))
        return adam(*args, **kwargs)

    monkeypatch.setattr(torch.optim, "Adam", recording_adam)
    weights = {}
    for fused in (True, False):
        network = build_network("t", 2, NetworkSettings(**TINY), seed=0)
        fit(network, frames, labels, settings=TrainSettings(epochs=2, batch_size=2, fused_adam=fused), progress=False)
        weights[fused] = torch.cat([p.detach().reshape(-1) for p in network.parameters()])
    assert made == [True, False] and TrainSettings().fused_adam is True
    roots = torch.rand(4096, generator=torch.Generator().manual_seed(1)) + 0.1
    if not np.array_equal(roots.sqrt().numpy(), np.sqrt(roots.numpy().astype(np.float64)).astype(np.float32)):
        assert not torch.equal(weights[True], weights[False])  # torch.sqrt approximates here: the kernels differ
    assert torch.allclose(weights[True], weights[False], atol=1e-3)  # the same algorithm: the last bits differ
    with pytest.raises(ParameterError, match="fused_adam='yes' must be true or false"):
        TrainSettings(fused_adam="yes")  # type: ignore[arg-type]


def test_the_fused_adam_step_takes_the_correctly_rounded_square_root() -> None:
    """One Adam step (beta1 0, eps 0) moves each weight by -lr * g / (sqrt(v) / sqrt(1 - beta2)), v = (1 - beta2) g^2:
    the fused kernel's result is that float32 formula with the correctly rounded root (np.sqrt in float64, rounded),
    value for value; the unfused step's is the same formula with torch.sqrt, which on a CPU is an approximation."""
    grad = torch.randn(4096, generator=torch.Generator().manual_seed(0))
    beta2, lr = 0.999, 1e-3
    moved, squares = {}, {}
    for fused in (True, False):
        weight = torch.zeros(4096, requires_grad=True)
        optimiser = torch.optim.Adam([weight], lr=lr, betas=(0.0, beta2), eps=0.0, fused=fused)
        weight.grad = grad.clone()
        optimiser.step()
        moved[fused], squares[fused] = weight.detach().numpy(), optimiser.state[weight]["exp_avg_sq"].numpy()
    np.testing.assert_array_equal(squares[True], squares[False])

    def step(root: np.ndarray) -> np.ndarray:
        return -(np.float32(lr) * grad.numpy() / (root / np.float32(math.sqrt(1 - beta2))))

    exact = np.sqrt(squares[True].astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(moved[True], step(exact))
    np.testing.assert_array_equal(moved[False], step(torch.from_numpy(squares[False]).sqrt().numpy()))


# --- training from a dataset, and the weight cache -------------------------------------------------------
def test_same_seed_gives_identical_weights_and_predictions(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path / "data")
    options = dict(dataset_root=root, epochs=1, progress=False, crop=(16, 32), batch_size=2, **TINY)
    first = create_segmenter("fcn8-small", cache_root=tmp_path / "cache_a", seed=3, **options)
    second = create_segmenter("fcn8-small", cache_root=tmp_path / "cache_b", seed=3, **options)
    other = create_segmenter("fcn8-small", cache_root=tmp_path / "cache_c", seed=4, **options)
    state, state2, state_other = first.state_dict(), second.state_dict(), other.state_dict()
    assert state.keys() == state2.keys()
    for key in state:
        assert torch.equal(state[key], state2[key]), key
    assert any(not torch.equal(state[k], state_other[k]) for k in state if state[k].is_floating_point())
    assert first.history.step_loss == second.history.step_loss
    frames = _two_colour_frames(2, seed=9, height=24, width=40)[0]
    np.testing.assert_array_equal(first.predict_frames(frames), second.predict_frames(frames))
    assert first.num_classes == 2 and first.stride == 8


def test_weights_are_cached_and_reloaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _write_dataset(tmp_path / "data")
    cache = tmp_path / "cache"
    options = dict(dataset_root=root, cache_root=cache, epochs=1, progress=False, batch_size=3, crop=None,
                   **TINY)
    trained = create_segmenter("fcn8-small", **options)
    weights = sorted((cache / "segmenters").glob("*.pt"))
    assert len(weights) == 1
    record = json.loads(weights[0].with_suffix(".json").read_text())
    assert record["name"] == "fcn8-small" and record["seed"] == 0 and record["train"]["epochs"] == 1
    assert record["history"]["epoch_loss"] == list(trained.history.epoch_loss)

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained again although the weights are cached")

    monkeypatch.setattr(train_module, "train_segmenter", no_training)
    loaded = create_segmenter("fcn8-small", **options)
    for key, value in trained.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key
    assert loaded.history == trained.history and not loaded.training
    monkeypatch.undo()

    # another setting is another entry (the Adam kernel too); a corrupt entry is retrained and replaced
    create_segmenter("fcn8-small", **{**options, "epochs": 2})
    assert len(list((cache / "segmenters").glob("*.pt"))) == 2
    create_segmenter("fcn8-small", **{**options, "fused_adam": False})
    assert len(list((cache / "segmenters").glob("*.pt"))) == 3
    weights[0].write_bytes(b"truncated")
    again = create_segmenter("fcn8-small", **options)
    for key, value in trained.state_dict().items():
        assert torch.equal(value, again.state_dict()[key]), key


def test_training_gives_the_same_weights_whatever_the_callers_cpu_settings(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Two trainings in pinned interpreters, started from environments that emulate two other machines
    (another ISA for ATen, oneDNN and MKL, one thread, one core), give bit-identical weights and losses."""
    root = _write_dataset(tmp_path / "data")
    dataset = VSPWDataset(root, "train")
    options = dict(network_settings=NetworkSettings(**TINY), seed=5, progress=False,
                   train_settings=TrainSettings(epochs=2, batch_size=2, crop=(16, 32)))
    assert not train_module.environment_is_pinned()  # so both runs below start a pinned interpreter
    first, first_history = train_segmenter("fcn8-small", dataset, **options)
    for key, value in {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41",
                       "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "OMP_NUM_THREADS": "1"}.items():
        monkeypatch.setenv(key, value)
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})  # the child inherits a one-core machine
    try:
        second, second_history = train_segmenter("fcn8-small", dataset, **options)
    finally:
        os.sched_setaffinity(0, cores)
    assert first_history.step_loss == second_history.step_loss
    for key, value in first.state_dict().items():
        assert torch.equal(value, second.state_dict()[key]), key
    assert not first.training and first.history == first_history


def test_pinned_interpreter_runs_under_the_training_environment(tmp_path: Path) -> None:
    """The pinned interpreter's libraries see the pinned settings (ATen reports the AVX2 kernels)."""
    environment = {**os.environ, **train_module.TRAINING_ENVIRONMENT}
    shown = subprocess.run([sys.executable, "-c", "import torch; print(torch._C._get_cpu_capability(), "
                            "torch.get_num_threads())"], env=environment, capture_output=True, text=True,
                           check=True).stdout.split()
    assert shown == ["AVX2", str(train_module.TRAINING_THREADS)]
    with pytest.raises(RuntimeError, match="runs only under TRAINING_ENVIRONMENT"):
        train_module.train_in_this_interpreter("fcn8-small", str(tmp_path), "train", NetworkSettings(**TINY),
                                               TrainSettings(), 0, False)


def test_bad_training_data_raises_the_same_error_through_the_pinned_interpreter(tmp_path: Path) -> None:
    root = _write_dataset(tmp_path / "data")
    shutil.rmtree(root / "data" / "video1" / "mask")
    with pytest.raises(DataError, match="video 'video1' of the train split has no mask folder"):
        train_segmenter("fcn8-small", VSPWDataset(root, "train"), network_settings=NetworkSettings(**TINY),
                        progress=False)


def test_unknown_names_and_settings_list_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="unknown segmenter 'fcn32'; valid: fcn16-wide, fcn8-small"):
        create_segmenter("fcn32", dataset_root=tmp_path)
    with pytest.raises(ParameterError, match=r"unknown setting\(s\) \['depth'\]; valid: .*epochs.*widths"):
        segmenter_spec("fcn8-small", depth=3)
    with pytest.raises(ParameterError, match="epochs=0 must be at least 1"):
        segmenter_spec("fcn8-small", epochs=0)


# --- predictions on disk ------------------------------------------------------------------------------
def test_predictions_round_trip(tmp_path: Path) -> None:
    labels = np.array([[[0, 1, 2, 255, 1]] * 4, [[2, 2, 2, 2, 0]] * 4], dtype=np.uint8)
    paths = save_predictions(tmp_path, "v", ["00000000", "00000001"], labels)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == ["v/00000000.png", "v/00000001.png"]
    source = PredictionsOnDisk(tmp_path, 3)
    predicted = source.predict(_video())
    np.testing.assert_array_equal(predicted, labels)
    assert predicted.dtype == np.uint8 and source.num_classes == 3 and source.name == f"predictions:{tmp_path.name}"


def test_palette_pngs_are_read_as_indices(tmp_path: Path) -> None:
    labels = np.array([[0, 1, 2, 1, 0]] * 4, dtype=np.uint8)
    image = Image.fromarray(labels, mode="P")
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
    (tmp_path / "v").mkdir()
    image.save(tmp_path / "v" / "00000000.png")
    np.testing.assert_array_equal(PredictionsOnDisk(tmp_path, 3).predict(_video(frames=1))[0], labels)


def test_missing_folder_and_frame_name_the_file_and_video(tmp_path: Path) -> None:
    source = PredictionsOnDisk(tmp_path, 3)
    with pytest.raises(DataError, match=r"v: no prediction folder for video 'v'"):
        source.predict(_video())
    save_predictions(tmp_path, "v", ["00000000"], np.zeros((1, 4, 5), dtype=np.uint8))
    with pytest.raises(DataError, match=r"v/00000001\.png: prediction of frame 00000001 of video 'v' not found"):
        source.predict(_video())


def test_size_mismatch_names_both_shapes(tmp_path: Path) -> None:
    save_predictions(tmp_path, "v", ["00000000", "00000001"], np.zeros((2, 4, 6), dtype=np.uint8))
    with pytest.raises(DataError, match=r"00000000\.png: prediction of shape \(4, 6\) but frame 00000000 of video "
                                        r"'v' has shape \(4, 5\)"):
        PredictionsOnDisk(tmp_path, 3).predict(_video())


def test_value_out_of_range_names_file_and_value(tmp_path: Path) -> None:
    labels = np.zeros((2, 4, 5), dtype=np.uint8)
    labels[1, 2, 3] = 3
    labels[0, 0, 0] = 255  # 255 = none is allowed
    save_predictions(tmp_path, "v", ["00000000", "00000001"], labels)
    with pytest.raises(DataError, match=r"v/00000001\.png: value 3 is not a class id \(0\.\.2\) nor 255"):
        PredictionsOnDisk(tmp_path, 3).predict(_video())
    np.testing.assert_array_equal(PredictionsOnDisk(tmp_path, 4).predict(_video()), labels)


def test_colour_png_and_bad_labels_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "v").mkdir()
    Image.fromarray(np.zeros((4, 5, 3), dtype=np.uint8)).save(tmp_path / "v" / "00000000.png")
    with pytest.raises(DataError, match=r"00000000\.png: a prediction must be a single-channel 8-bit PNG.*"
                                        r"shape \(4, 5, 3\)"):
        PredictionsOnDisk(tmp_path, 3).predict(_video(frames=1))
    with pytest.raises(DataError, match=r"video 'w': labels must be \(T, H, W\) uint8 with T = 1 frame ids, got "
                                        r"shape \(2, 4, 5\)"):
        save_predictions(tmp_path, "w", ["00000000"], np.zeros((2, 4, 5), dtype=np.uint8))
    with pytest.raises(ParameterError, match="num_classes=0"):
        PredictionsOnDisk(tmp_path, 0)


# --- training plots -----------------------------------------------------------------------------------
def test_loss_curves_plot_one_line_per_network() -> None:
    import matplotlib.pyplot as plt

    fig = plot_loss_curves({"fcn8-small": [2.0, 1.0, 0.5], "fcn16-wide": [1.5, 0.7]}, "losses")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["fcn8-small", "fcn16-wide"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_ydata(), [1.5, 0.7])
    plt.close(fig)


def test_boundary_closeup_titles_the_share_of_wrong_pixels() -> None:
    import matplotlib.pyplot as plt

    frame = np.zeros((10, 12, 3), dtype=np.uint8)
    gt = np.zeros((10, 12), dtype=np.uint8)
    gt[:, 6:] = 1
    pred = gt.copy()
    pred[2:6, 5] = 1  # 4 wrong pixels inside the 8 x 8 box rows 2..9, cols 2..9 -> 4 / 64 = 6 %
    palette = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    fig = plot_boundary_closeup(frame, gt, pred, palette, (2, 2, 10, 10), "close-up", others={"refined": gt})
    assert [ax.get_title() for ax in fig.axes] == ["frame", "ground truth", "prediction (6% of the box wrong)",
                                                  "refined (0% of the box wrong)"]
    plt.close(fig)
    fig = plot_boundary_closeup(frame, gt, pred, palette, (2, 2, 10, 10), "close-up", class_names=["red", "blue"])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["red", "blue", "wrong pixel (hatched)"]
    plt.close(fig)
    with pytest.raises(ParameterError, match=r"box=\(0, 0, 11, 12\) \(top, left, bottom, right\) must be"):
        plot_boundary_closeup(frame, gt, pred, palette, (0, 0, 11, 12), "close-up")
    with pytest.raises(ParameterError, match=r"prediction has shape \(10, 11\) but the frame has"):
        plot_boundary_closeup(frame, gt, pred[:, :11], palette, (0, 0, 5, 5), "close-up")


def test_late_drop_is_the_share_of_the_fall_made_in_the_last_epochs() -> None:
    from vsslib.segmenters.train import TrainingHistory

    history = TrainingHistory((2.0, 1.0, 0.6, 0.5, 0.4), (), 0.0)  # falls 1.6 in all; 0.2 in the last two epochs
    assert history.late_drop(2) == pytest.approx(0.2 / 1.6)
    assert history.late_drop(4) == pytest.approx(1.0)
    assert np.isnan(TrainingHistory((1.0, 1.2), (), 0.0).late_drop(1))  # did not fall
    with pytest.raises(ParameterError, match="epochs=5 must lie in 1..4"):
        history.late_drop(5)


def test_describe_fall_reads_the_curve_or_says_why_it_cannot() -> None:
    from vsslib.segmenters.train import describe_fall

    # falls 2.6 in all, 1.0 -> 0.4 = 0.6 of it in the last 3 epochs: 23 %
    assert describe_fall([3.0, 1.0, 0.6, 0.5, 0.4]) == "loss 3.00 -> 0.40 over 5 epochs, 23 % of that fall in the last 3"
    assert describe_fall([2.0, 1.0]) == "loss 2.00 -> 1.00 over 2 epochs, 100 % of that fall in the last 1"
    assert describe_fall([0.7]) == "loss 0.70 after its only epoch (no curve to read)"  # late_drop would raise
    assert describe_fall([1.0, 1.2]) == "loss 1.00 -> 1.20 over 2 epochs (it did not fall)"
    assert describe_fall([]) == "no epochs recorded"
