"""The small network of approach 2: an MLP that classifies one pooled feature vector per masklet.

Architecture: standardisation of the input (mean and standard deviation of the training vectors, stored
with the weights), ``len(hidden)`` blocks of Linear -> ReLU -> Dropout, and a Linear layer to C logits; a
softmax over the C classes gives the probabilities. Trained with AdamW on the (optionally class-weighted)
cross-entropy of each masklet's majority class (:func:`vsslib.classify.masklet_targets`). One masklet is one
sample, whatever its size: a road masklet of 10,000 pixels and a sign of 30 pixels weigh the same.

Class weighting: inverse class frequency, normalised so that the mean weight over the training samples is
1, i.e. ``w_c = N / (K * n_c)`` for the K classes present (scikit-learn's ``class_weight="balanced"``); the
loss of a batch is ``sum_i w[y_i] * CE_i / batch size``, so the loss keeps the scale of the unweighted one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..base.io import atomic_path
from ..base.errors import CheckpointError, ParameterError

__all__ = ["MLPSettings", "MLPHistory", "MaskletClassifier", "class_weights", "weighted_cross_entropy"]

_FORMAT = "vsslib.MaskletClassifier/1"


@dataclass(frozen=True)
class MLPSettings:
    """Architecture and optimisation of :class:`MaskletClassifier`."""

    hidden: tuple[int, ...] = (128, 64)  # widths of the hidden layers; () = a linear (softmax regression) model
    dropout: float = 0.1  # dropout probability after every hidden layer
    epochs: int = 60  # passes over the training masklets
    batch_size: int = 256  # masklets per step
    learning_rate: float = 3e-3  # AdamW step size (constant)
    weight_decay: float = 1e-4  # AdamW decoupled weight decay

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if any(h < 1 for h in self.hidden):
            raise ParameterError(f"hidden={self.hidden}: every hidden width must be at least 1")
        if not 0.0 <= self.dropout < 1.0:
            raise ParameterError(f"dropout={self.dropout} must lie in [0, 1)")
        if self.epochs < 1 or self.batch_size < 1:
            raise ParameterError(f"epochs={self.epochs} and batch_size={self.batch_size} must be at least 1")
        if self.learning_rate <= 0 or self.weight_decay < 0:
            raise ParameterError(f"learning_rate={self.learning_rate} must be > 0 and weight_decay="
                                 f"{self.weight_decay} >= 0")


@dataclass(frozen=True)
class MLPHistory:
    """What :meth:`MaskletClassifier.fit` recorded.

    Attributes
    ----------
    epoch_loss : mean (weighted) cross-entropy over the training masklets of each epoch, measured on the
        batches as they were trained (dropout on), so epoch 1 starts near log C.
    class_weights : (C,) loss weight of each class (all 1 without class weighting).
    seconds : wall-clock training time (machine dependent).
    """

    epoch_loss: tuple[float, ...]
    class_weights: tuple[float, ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"epoch_loss": list(self.epoch_loss), "class_weights": list(self.class_weights),
                "seconds": self.seconds}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> MLPHistory:
        return cls(tuple(float(v) for v in values["epoch_loss"]), tuple(float(v) for v in values["class_weights"]),
                   float(values["seconds"]))


def class_weights(targets: np.ndarray, num_classes: int) -> np.ndarray:
    """Inverse-frequency class weights, normalised to a mean of 1 over the samples.

    Parameters
    ----------
    targets : (N,) integer classes 0..C-1.
    num_classes : C.

    Returns
    -------
    (C,) float32: ``N / (K * n_c)`` for each class c with ``n_c > 0`` samples (K such classes), 0 for an
    absent class.

    Examples
    --------
    >>> class_weights(np.array([0, 0, 0, 1]), 3).tolist()  # N=4, K=2: 4/(2*3), 4/(2*1), absent
    [0.6666666865348816, 2.0, 0.0]
    """
    targets = np.asarray(targets, np.int64)
    if targets.size and (targets.min() < 0 or targets.max() >= num_classes):
        raise ParameterError(f"class_weights: targets must lie in 0..{num_classes - 1}, got "
                             f"{targets.min()}..{targets.max()}")
    counts = np.bincount(targets, minlength=num_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(num_classes)
    weights[present] = targets.size / (present.sum() * counts[present])
    return weights.astype(np.float32)


def weighted_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor | None = None
                           ) -> torch.Tensor:
    """Mean over samples of ``w[y_i] * (-log softmax(logits_i)[y_i])``.

    Parameters
    ----------
    logits : (B, C) float32.
    targets : (B,) int64 classes.
    weights : (C,) float32 class weights, or None (all 1).

    Returns
    -------
    () float32 tensor. Unlike ``torch.nn.CrossEntropyLoss(weight=...)``, which divides by the batch's sum of
    weights, this divides by the batch size, so every masklet of a class has the same pull whatever batch it
    lands in.
    """
    per_sample = nn.functional.cross_entropy(logits, targets, reduction="none")
    if weights is not None:
        per_sample = per_sample * weights[targets]
    return per_sample.mean()


class _Standardize(nn.Module):
    """(x - mean) / scale with the statistics stored as buffers (saved with the weights)."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(num_features))
        self.register_buffer("scale", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch's global RNG (dropout, initialisation) and deterministic kernels, restoring both after."""
    previous = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous)


class MaskletClassifier:
    """Softmax MLP over pooled masklet features (see the module docstring).

    Parameters
    ----------
    num_features : C_in, the length of a pooled vector.
    num_classes : C.
    settings : :class:`MLPSettings`.

    Attributes
    ----------
    network : the ``torch.nn.Sequential`` (standardisation first, logits out), on the CPU.
    history : :class:`MLPHistory` of the last :meth:`fit` (or of the saved model), None before.
    """

    def __init__(self, num_features: int, num_classes: int, *, settings: MLPSettings = MLPSettings()) -> None:
        if num_features < 1 or num_classes < 2:
            raise ParameterError(f"MaskletClassifier: num_features={num_features} must be >= 1 and num_classes="
                                 f"{num_classes} >= 2")
        self.num_features = int(num_features)
        self.num_classes = int(num_classes)
        self.settings = settings
        self.history: MLPHistory | None = None
        self.network = self._build(seed=0)

    def __repr__(self) -> str:
        return (f"MaskletClassifier(num_features={self.num_features}, num_classes={self.num_classes}, "
                f"hidden={self.settings.hidden}, trained={self.history is not None})")

    def _build(self, *, seed: int) -> nn.Sequential:
        """A freshly initialised network; its weights depend only on ``seed`` (global RNG untouched)."""
        with _seeded(seed):
            layers: list[nn.Module] = [_Standardize(self.num_features)]
            width = self.num_features
            for hidden in self.settings.hidden:
                layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(self.settings.dropout)]
                width = hidden
            layers.append(nn.Linear(width, self.num_classes))
            return nn.Sequential(*layers).eval()

    def _check(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[1] != self.num_features:
            raise ParameterError(f"vectors of shape {vectors.shape}, expected (N, {self.num_features}) pooled "
                                 f"feature vectors")
        vectors = vectors.astype(np.float32, copy=False)
        bad = ~np.isfinite(vectors).all(axis=1)
        if bad.any():
            raise ParameterError(f"vectors: row {int(np.flatnonzero(bad)[0])} (of {int(bad.sum())} rows) holds "
                                 f"NaN or infinity; check the feature source")
        return vectors

    def fit(self, vectors: np.ndarray, targets: np.ndarray, *, class_weighting: bool = False, seed: int = 0,
            progress: bool = False) -> MLPHistory:
        """Train from scratch: initialise from ``seed``, standardise, then ``settings.epochs`` of AdamW.

        Parameters
        ----------
        vectors : (N, C_in) float32 pooled vectors.
        targets : (N,) int64 classes 0..C-1; rows with a negative target (masklets left out) are skipped.
        class_weighting : weight the loss by inverse class frequency (see :func:`class_weights`).
        seed : seeds initialisation, shuffling and dropout; the same seed and data give identical weights.
        progress : show a tqdm bar over the epochs.

        Returns
        -------
        MLPHistory : also kept as ``self.history``.

        Raises
        ------
        ParameterError : shapes disagree, a target is >= C, a vector is not finite, or no row has a target.
        """
        from tqdm.std import tqdm  # text bar: tqdm.auto warns (TqdmWarning) in kernels without ipywidgets

        vectors = self._check(vectors)
        targets = np.asarray(targets)
        if targets.shape != (len(vectors),) or not np.issubdtype(targets.dtype, np.integer):
            raise ParameterError(f"targets of shape {targets.shape} and dtype {targets.dtype}, expected "
                                 f"({len(vectors)},) integers")
        keep = targets >= 0
        vectors, targets = vectors[keep], targets[keep].astype(np.int64)
        if targets.size == 0:
            raise ParameterError("fit: no row has a target (every target is negative: all masklets left out?)")
        if targets.max() >= self.num_classes:
            raise ParameterError(f"fit: target {targets.max()} is not a class of 0..{self.num_classes - 1}")
        s = self.settings
        started = time.perf_counter()
        weights = class_weights(targets, self.num_classes) if class_weighting else np.ones(self.num_classes,
                                                                                           np.float32)
        network = self._build(seed=seed)
        network[0].mean.copy_(torch.from_numpy(vectors.mean(axis=0, dtype=np.float64).astype(np.float32)))
        scale = vectors.std(axis=0, dtype=np.float64)
        network[0].scale.copy_(torch.from_numpy(np.where(scale > 1e-12, scale, 1.0).astype(np.float32)))
        x, y = torch.from_numpy(vectors), torch.from_numpy(targets)
        w = torch.from_numpy(weights) if class_weighting else None
        optimiser = torch.optim.AdamW(network.parameters(), lr=s.learning_rate, weight_decay=s.weight_decay)
        generator = torch.Generator().manual_seed(seed)
        epoch_loss = []
        with _seeded(seed), tqdm(range(s.epochs), desc="MLP", unit="epoch", disable=not progress) as bar:
            network.train()
            for _ in bar:
                order = torch.randperm(len(y), generator=generator)
                total = 0.0
                for start in range(0, len(y), s.batch_size):
                    batch = order[start : start + s.batch_size]
                    loss = weighted_cross_entropy(network(x[batch]), y[batch], w)
                    optimiser.zero_grad(set_to_none=True)
                    loss.backward()
                    optimiser.step()
                    total += float(loss.detach()) * len(batch)
                epoch_loss.append(total / len(y))
                bar.set_postfix(loss=f"{epoch_loss[-1]:.4f}")
        self.network = network.eval()
        self.history = MLPHistory(tuple(epoch_loss), tuple(float(v) for v in weights), time.perf_counter() - started)
        return self.history

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """Class probabilities of pooled vectors.

        Parameters
        ----------
        vectors : (N, C_in) float32.

        Returns
        -------
        (N, C) float32, rows summing to 1.
        """
        vectors = self._check(vectors)
        if len(vectors) == 0:
            return np.zeros((0, self.num_classes), np.float32)
        with torch.inference_mode():
            return torch.softmax(self.network(torch.from_numpy(vectors)), dim=1).numpy().astype(np.float32)

    def predict(self, vectors: np.ndarray) -> np.ndarray:
        """Most probable class of each pooled vector: (N,) int64 (ties: the lowest class)."""
        return self.predict_proba(vectors).argmax(axis=1).astype(np.int64)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write weights, standardisation, settings and history to ``path`` (a ``.pt`` file), atomically."""
        blob = {"format": _FORMAT, "num_features": self.num_features, "num_classes": self.num_classes,
                "settings": {**asdict(self.settings), "hidden": list(self.settings.hidden)},
                "state": self.network.state_dict(),
                "history": None if self.history is None else self.history.to_dict()}
        with atomic_path(path) as tmp:
            torch.save(blob, tmp)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MaskletClassifier:
        """A classifier written by :meth:`save`.

        Raises
        ------
        CheckpointError : the file is missing or is not a saved MaskletClassifier.
        """
        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"classifier file {path} not found (train one with MaskletClassifier.fit and "
                                  f"save it with .save)")
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same thing here
            raise CheckpointError(f"{path} is not a readable classifier file: {type(exc).__name__}: {exc}") from exc
        if not isinstance(blob, dict) or blob.get("format") != _FORMAT:
            raise CheckpointError(f"{path} is not a MaskletClassifier file (expected format {_FORMAT!r})")
        settings = MLPSettings(**{**blob["settings"], "hidden": tuple(blob["settings"]["hidden"])})
        model = cls(blob["num_features"], blob["num_classes"], settings=settings)
        model.network.load_state_dict(blob["state"])
        model.network.eval()
        model.history = None if blob["history"] is None else MLPHistory.from_dict(blob["history"])
        return model
