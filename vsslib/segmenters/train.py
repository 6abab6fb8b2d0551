"""Training the baseline networks from scratch, and the weight cache that makes it a one-off cost.

Training is plain supervised segmentation: pixel-wise cross-entropy with ``ignore_index=255``, Adam with a
polynomial learning-rate decay (the schedule of DeepLab, Chen et al. 2017), random horizontal flips and
optional random crops. Everything random is seeded (weight initialisation, shuffling, augmentation) and
torch runs in deterministic mode on a fixed number of threads (:data:`TRAINING_THREADS`).

Same weights on every x86-64 machine: the float results of a CPU training step depend on which kernels the
libraries pick for the processor at hand, and those choices are fixed when each library first runs, so
:func:`train_segmenter` trains in a fresh interpreter started with :data:`TRAINING_ENVIRONMENT` (unless this
process already runs under it). Measured on a 2-core AMD EPYC with AVX-512 by emulating other processors through
these variables (6 epochs of a small network; max abs weight difference against the same run): ATen's kernels
gave identical weights for ``avx2`` and ``avx512`` but not for ``default`` (2e-4 at one thread); oneDNN's
convolutions differed between its AVX-512 and AVX2 kernels (5e-3); MKL's matrix products changed with
``MKL_CBWR=COMPATIBLE`` (5e-5) and do not follow ``MKL_ENABLE_INSTRUCTIONS`` on this processor; 1 against 2
threads differed (4e-4); ``torch.use_deterministic_algorithms`` changed nothing. Under the pinned environment
every emulated variant (ATen ``avx2``/``avx512``, MKL ISA SSE4.2/AVX2/native, ``OMP_NUM_THREADS=1``) gave
bit-identical weights. Yet the Intel Xeon and the AMD EPYC whose studies the repository keeps trained to other
weights. Under qemu-user 7.2, which can say it is another processor (an Intel Haswell, an AMD EPYC), a few steps
gave the same weights for both identities, with oneDNN on or off, but not the hardware's; of the 30 float32 ops
of ``docs/processor_probe.py``, only ``torch.sqrt`` (``pow(x, 0.5)``, ``_foreach_sqrt``) differed, and neither
root is the correctly rounded one (82.5 % of 4096 values are on the hardware, 84.5 % under qemu): an
approximation whose last bit can follow the processor. Adam's step takes that square root unless fused, so
training uses the fused kernel (``TrainSettings.fused_adam``); with it the weights under qemu equalled the
hardware's. Untested: whether two real kinds of processor now agree (no second kind was at hand), and processors
without AVX2.

Weights are cached as ``<cache_root>/segmenters/<key>.pt`` beside ``<key>.json`` (the resolved settings
and the loss history). The key hashes the network name, both settings, the seed, the training environment
and a fingerprint of the training data (``benchmark.json`` when present, plus the train split's file names
and sizes), so a change to any of them trains afresh and nothing else does. The ``.pt`` file is written last
and atomically: its presence marks a complete entry.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from ..base.io import atomic_path, write_json_atomic
from ..data.vspw import IGNORE_INDEX
from ..base.cache import default_cache_root, stable_hash
from ..base.errors import DataError, ParameterError
from ..base.pinned import PinnedInterpreter, is_pinned, pinned_environment
from .networks import FCNSegmenter, NetworkSettings

if TYPE_CHECKING:
    from ..data import VSPWDataset

__all__ = ["TrainSettings", "TrainingHistory", "build_network", "fit", "train_segmenter",
           "dataset_fingerprint", "load_or_train", "TRAINING_ENVIRONMENT", "TRAINING_THREADS",
           "environment_is_pinned", "train_in_this_interpreter", "late_drop", "describe_fall"]

TRAINING_THREADS = 2  # intra-op threads of every training run: the split of each reduction follows it
# Read by each library when it first runs, so they are set on a fresh interpreter (see the module docstring).
TRAINING_ENVIRONMENT: dict[str, str] = pinned_environment(TRAINING_THREADS, "COMPATIBLE")


@dataclass(frozen=True)
class TrainSettings:
    """How a network is trained."""

    epochs: int = 6  # passes over the (subsampled) training frames
    batch_size: int = 16  # frames per step
    learning_rate: float = 3e-3  # Adam's initial step size, decayed polynomially to 0
    weight_decay: float = 1e-4  # L2 penalty (Adam's weight_decay)
    poly_power: float = 0.9  # learning-rate decay lr * (1 - step / steps) ** power
    crop: tuple[int, int] | None = None  # random crop (rows, cols) per batch; None = whole frames
    flip: bool = True  # random horizontal flips
    frame_step: int = 1  # train on every k-th frame of each video (neighbouring frames are near duplicates)
    fused_adam: bool = True  # Adam's fused kernel: correctly rounded square root (torch.sqrt's is not: see above)

    def __post_init__(self) -> None:
        if not isinstance(self.fused_adam, bool):
            raise ParameterError(f"fused_adam={self.fused_adam!r} must be true or false")
        if self.crop is not None:
            object.__setattr__(self, "crop", tuple(int(c) for c in self.crop))
            if len(self.crop) != 2 or min(self.crop) < 1:
                raise ParameterError(f"crop={self.crop} must be None or (rows, cols) of positive sizes")
        for key in ("epochs", "batch_size", "frame_step"):
            if getattr(self, key) < 1:
                raise ParameterError(f"{key}={getattr(self, key)} must be at least 1")
        if self.learning_rate <= 0 or self.weight_decay < 0 or self.poly_power < 0:
            raise ParameterError(f"learning_rate={self.learning_rate} must be > 0, weight_decay="
                                 f"{self.weight_decay} and poly_power={self.poly_power} >= 0")


@dataclass(frozen=True)
class TrainingHistory:
    """Losses recorded while training.

    Attributes
    ----------
    epoch_loss : mean cross-entropy of each epoch (over its steps).
    step_loss : cross-entropy of every step, in order.
    seconds : wall-clock training time (machine dependent; not part of any cache key).
    """

    epoch_loss: tuple[float, ...]
    step_loss: tuple[float, ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"epoch_loss": list(self.epoch_loss), "step_loss": list(self.step_loss), "seconds": self.seconds}

    def late_drop(self, epochs: int = 3) -> float:
        """:func:`late_drop` of the epoch losses."""
        return late_drop(self.epoch_loss, epochs)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingHistory:
        return cls(tuple(values["epoch_loss"]), tuple(values["step_loss"]), float(values["seconds"]))


def late_drop(losses: Sequence[float], epochs: int = 3) -> float:
    """The share of the whole fall of a loss curve (first value to last) made in its last ``epochs`` steps:
    near 0 when the curve had flattened, larger while it still fell. NaN when the loss did not fall.

    Raises
    ------
    ParameterError : ``epochs`` is not in 1 .. (number of values - 1).
    """
    values = np.asarray(losses, np.float64)
    if not 1 <= epochs < len(values):
        raise ParameterError(f"late_drop: epochs={epochs} must lie in 1..{len(values) - 1} for {len(values)} "
                             "recorded epochs")
    whole = values[0] - values[-1]
    return float((values[-1 - epochs] - values[-1]) / whole) if whole > 0 else float("nan")


def describe_fall(losses: Sequence[float], last: int = 3) -> str:
    """One phrase on a loss curve: first and last value, and the share of the fall made in its last ``last``
    epochs (fewer when the curve is shorter), e.g. "loss 1.20 -> 0.30 over 16 epochs, 4 % of that fall in the
    last 3". Says so instead when there is no curve to read (one epoch) or the loss did not fall."""
    values = [float(v) for v in losses]
    if not values:
        return "no epochs recorded"
    if len(values) == 1:
        return f"loss {values[0]:.2f} after its only epoch (no curve to read)"
    head = f"loss {values[0]:.2f} -> {values[-1]:.2f} over {len(values)} epochs"
    epochs = min(last, len(values) - 1)
    share = late_drop(values, epochs)
    if math.isnan(share):
        return head + " (it did not fall)"
    return head + f", {100 * share:.0f} % of that fall in the last {epochs}"


# ------------------------------------------------------------------------------------------------------
def fit(network: FCNSegmenter, frames: np.ndarray, labels: np.ndarray, *, settings: TrainSettings = TrainSettings(),
        seed: int = 0, progress: bool = True) -> TrainingHistory:
    """Train ``network`` in place on in-memory frames.

    Parameters
    ----------
    network : the network to train (on its current device).
    frames : (N, H, W, 3) uint8 RGB training frames.
    labels : (N, H, W) uint8 class ids ``0..C-1``, 255 = ignore.
    settings : optimisation and augmentation settings (``frame_step`` is not applied here).
    seed : seeds shuffling and augmentation.
    progress : show a tqdm bar over the steps.

    Returns
    -------
    TrainingHistory : per-epoch and per-step losses.

    Raises
    ------
    DataError : shapes or dtypes do not match, or labels hold values >= C other than 255.
    ParameterError : the crop is larger than the frames.
    """
    from tqdm.std import tqdm  # text bar: tqdm.auto warns (TqdmWarning) in kernels without ipywidgets

    frames, labels = np.asarray(frames), np.asarray(labels)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise DataError(f"training frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    if labels.shape != frames.shape[:3] or labels.dtype != np.uint8:
        raise DataError(f"training labels must be (N, H, W) uint8 matching frames {frames.shape[:3]}, got "
                        f"{labels.shape} {labels.dtype}")
    bad = np.flatnonzero((np.bincount(labels.reshape(-1), minlength=256)[network.num_classes:IGNORE_INDEX]))
    if bad.size:
        raise DataError(f"training labels hold the value {bad[0] + network.num_classes}, outside 0.."
                        f"{network.num_classes - 1} and not {IGNORE_INDEX}")
    height, width = frames.shape[1:3]
    if settings.crop is not None and (settings.crop[0] > height or settings.crop[1] > width):
        raise ParameterError(f"crop={settings.crop} is larger than the training frames ({height}, {width}); "
                             f"pass a smaller crop, or crop=None to train on whole frames")

    rng = np.random.default_rng(seed)
    shuffle = torch.Generator().manual_seed(seed)
    device = network.classifier.weight.device
    # Copies (torch.tensor), so read-only inputs are fine and the caller's arrays are never touched.
    images_all = torch.tensor(frames).permute(0, 3, 1, 2)  # (N, 3, H, W) uint8
    targets_all = torch.tensor(labels)  # (N, H, W) uint8
    steps_per_epoch = -(-len(frames) // settings.batch_size)
    total_steps = settings.epochs * steps_per_epoch
    optimizer = torch.optim.Adam(network.parameters(), lr=settings.learning_rate,
                                 weight_decay=settings.weight_decay, fused=settings.fused_adam)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: (1.0 - step / total_steps) ** settings.poly_power)

    epoch_loss: list[float] = []
    step_loss: list[float] = []
    start = time.perf_counter()
    network.train()
    with _deterministic(), tqdm(total=total_steps, desc=f"train {network.name}", disable=not progress,
                                leave=False) as bar:
        for epoch in range(settings.epochs):
            order = torch.randperm(len(frames), generator=shuffle)
            losses = []
            for first in range(0, len(frames), settings.batch_size):
                index = order[first:first + settings.batch_size]
                images, targets = _augment(images_all[index], targets_all[index], settings, rng)
                logits = network(images.to(device).float())
                targets = targets.to(device).long()
                valid = int((targets != IGNORE_INDEX).sum())
                loss = F.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX, reduction="sum") / max(valid, 1)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(float(loss.detach()))
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{losses[-1]:.3f}")
            step_loss += losses
            epoch_loss.append(float(np.mean(losses)))
    network.eval()
    history = TrainingHistory(tuple(epoch_loss), tuple(step_loss), time.perf_counter() - start)
    network.history = history
    return history


def _augment(images: torch.Tensor, targets: torch.Tensor, settings: TrainSettings,
             rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random crop (one window per batch) and per-frame horizontal flips of (B, 3, H, W) / (B, H, W)."""
    if settings.crop is not None:
        rows, cols = settings.crop
        top = int(rng.integers(0, images.shape[-2] - rows + 1))
        left = int(rng.integers(0, images.shape[-1] - cols + 1))
        images = images[..., top:top + rows, left:left + cols]
        targets = targets[..., top:top + rows, left:left + cols]
    if settings.flip:
        flip = torch.from_numpy(rng.random(len(images)) < 0.5)
        images = torch.where(flip[:, None, None, None], images.flip(-1), images)
        targets = torch.where(flip[:, None, None], targets.flip(-1), targets)
    return images, targets


@contextmanager
def _deterministic() -> Iterator[None]:
    """Run torch in deterministic mode on :data:`TRAINING_THREADS` threads, restoring the caller's settings."""
    previous = torch.are_deterministic_algorithms_enabled()
    previous_threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(TRAINING_THREADS)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)
        torch.set_num_threads(previous_threads)


def build_network(name: str, num_classes: int, settings: NetworkSettings, *, seed: int = 0) -> FCNSegmenter:
    """A freshly initialised network; the initial weights depend only on ``seed`` (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return FCNSegmenter(name, num_classes, settings)


# ------------------------------------------------------------------------------------------------------
def _training_arrays(dataset: VSPWDataset, frame_step: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ``frame_step``-th frame and label map of every video of ``dataset``, stacked."""
    frames, labels = [], []
    for name in dataset.videos:
        video = dataset.load(name)
        if video.labels is None:
            raise DataError(f"{dataset.root}: video {name} of split {dataset.split!r} has no label masks; "
                            f"networks are trained on a split with masks (train)")
        frames.append(video.frames[::frame_step])
        labels.append(video.labels[::frame_step])
    if not frames:
        raise DataError(f"{dataset.root}: split {dataset.split!r} lists no videos to train on")
    shapes = sorted({f.shape[1:3] for f in frames})
    if len(shapes) > 1:
        raise DataError(f"{dataset.root}: training frames have several sizes {shapes[:4]}; give a crop "
                        f"(rows, cols) no larger than the smallest to train on them")
    return np.concatenate(frames), np.concatenate(labels)


def train_segmenter(name: str, dataset: VSPWDataset, *, network_settings: NetworkSettings,
                    train_settings: TrainSettings = TrainSettings(), seed: int = 0,
                    progress: bool = True) -> tuple[FCNSegmenter, TrainingHistory]:
    """Build a network and train it from scratch on every video of ``dataset`` (its train split).

    Unless this process already runs under :data:`TRAINING_ENVIRONMENT`, the training runs in a fresh
    interpreter started with it (a few seconds to start), so the weights are the same on every x86-64
    machine with AVX2.

    Parameters
    ----------
    name : the network's name (recorded on it).
    dataset : a labelled split, usually ``VSPWDataset(root, split="train")``.
    network_settings, train_settings : architecture and training settings.
    seed : seeds initialisation, shuffling and augmentation.
    progress : show a tqdm bar (on the terminal's standard error when training runs in a fresh interpreter).

    Returns
    -------
    (network, history) : the trained network (eval mode, on the CPU) and its loss history.

    Raises
    ------
    DataError : the split has no masks or its frames differ in size.
    RuntimeError : the training interpreter failed (its error is printed on standard error).
    """
    if not environment_is_pinned():
        return _train_in_pinned_interpreter(name, dataset, network_settings=network_settings,
                                            train_settings=train_settings, seed=seed, progress=progress)
    frames, labels = _training_arrays(dataset, train_settings.frame_step)
    network = build_network(name, dataset.num_classes, network_settings, seed=seed)
    history = fit(network, frames, labels, settings=train_settings, seed=seed, progress=progress)
    return network, history


def environment_is_pinned() -> bool:
    """Whether this process was started under :data:`TRAINING_ENVIRONMENT`."""
    return is_pinned(TRAINING_THREADS, "COMPATIBLE")


def _train_in_pinned_interpreter(name: str, dataset: VSPWDataset, *, network_settings: NetworkSettings,
                                 train_settings: TrainSettings, seed: int,
                                 progress: bool) -> tuple[FCNSegmenter, TrainingHistory]:
    with PinnedInterpreter(TRAINING_THREADS, "COMPATIBLE") as interpreter:  # a fresh one for every training
        state, history = interpreter.call(f"{__name__}:train_in_this_interpreter", name,
                                          os.fspath(Path(dataset.root).resolve()), dataset.split, network_settings,
                                          train_settings, seed, progress)
    network = FCNSegmenter(name, dataset.num_classes, network_settings)
    network.load_state_dict(state)
    network.history = history
    return network.eval(), history


def train_in_this_interpreter(name: str, root: str, split: str, network_settings: NetworkSettings,
                              train_settings: TrainSettings, seed: int,
                              progress: bool) -> tuple[dict[str, torch.Tensor], TrainingHistory]:
    """What the pinned training interpreter runs for :func:`train_segmenter`: the trained network's state dict and
    its history (a DataError or ParameterError reaches the caller as itself).

    Raises
    ------
    RuntimeError : this interpreter does not run under :data:`TRAINING_ENVIRONMENT`.
    """
    from ..data import VSPWDataset

    if not environment_is_pinned():
        raise RuntimeError(f"train_in_this_interpreter runs only under TRAINING_ENVIRONMENT {TRAINING_ENVIRONMENT}")
    network, history = train_segmenter(name, VSPWDataset(root, split), network_settings=network_settings,
                                       train_settings=train_settings, seed=seed, progress=progress)
    return network.state_dict(), history


def dataset_fingerprint(dataset: VSPWDataset) -> str:
    """Identity of a training split: ``benchmark.json`` bytes plus the names and sizes of its files.

    Sizes rather than bytes keep this cheap on a real VSPW copy; any regeneration with other settings
    changes ``benchmark.json``.
    """
    root = Path(dataset.root)
    record: dict[str, Any] = {"split": dataset.split, "num_classes": dataset.num_classes}
    manifest = root / "benchmark.json"
    if manifest.is_file():
        record["benchmark"] = manifest.read_text()
    files = []
    for name in dataset.videos:
        for path in [*dataset.frame_paths(name), *(dataset.mask_paths(name) or [])]:
            path = Path(path)
            files.append([os.fspath(path.relative_to(root)), path.stat().st_size])
    record["files"] = files
    return stable_hash(record)


def load_or_train(name: str, dataset: VSPWDataset, *, network_settings: NetworkSettings,
                  train_settings: TrainSettings, seed: int = 0, cache_root: str | os.PathLike[str] | None = None,
                  progress: bool = True) -> FCNSegmenter:
    """The cached network for these settings, seed and data, training and caching it on first use.

    Returns
    -------
    FCNSegmenter : in eval mode, ``.history`` set. An unreadable cache entry is retrained and replaced.
    """
    root = Path(cache_root) if cache_root is not None else default_cache_root()
    record = {
        "name": name,
        "network": dataclasses.asdict(network_settings),
        "train": dataclasses.asdict(train_settings),
        "seed": seed,
        "dataset": dataset_fingerprint(dataset),
        "environment": {**TRAINING_ENVIRONMENT, "torch": torch.__version__},
    }
    key = stable_hash(record)
    weights_path = root / "segmenters" / f"{key}.pt"
    record_path = weights_path.with_suffix(".json")
    network = _load_cached(name, dataset.num_classes, network_settings, weights_path, record_path)
    if network is not None:
        return network
    network, history = train_segmenter(name, dataset, network_settings=network_settings,
                                       train_settings=train_settings, seed=seed, progress=progress)
    write_json_atomic(record_path, {**record, "num_classes": network.num_classes, "dataset_root": str(dataset.root),
                                    "history": history.to_dict()})
    with atomic_path(weights_path) as tmp:
        torch.save(network.state_dict(), tmp)
    return network


def _load_cached(name: str, num_classes: int, settings: NetworkSettings, weights_path: Path,
                 record_path: Path) -> FCNSegmenter | None:
    if not (weights_path.is_file() and record_path.is_file()):
        return None
    try:
        record = json.loads(record_path.read_text())
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
        network = FCNSegmenter(name, num_classes, settings)
        network.load_state_dict(state)
        network.history = TrainingHistory.from_dict(record["history"])
    except Exception:  # noqa: BLE001 - torch.load fails on damaged files with many exception types
        weights_path.unlink(missing_ok=True)  # a damaged entry is retrained and replaced
        return None
    return network.eval()
