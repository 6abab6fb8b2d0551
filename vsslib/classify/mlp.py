"""The small network of approach 2: an MLP that classifies one pooled feature vector per masklet."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .._io import atomic_path
from ..errors import ParameterError

__all__ = ["MLPSettings", "MaskletClassifier", "class_weights"]


@dataclass(frozen=True)
class MLPSettings:
    """Architecture and training of :class:`MaskletClassifier`."""

    hidden: tuple[int, ...] = (128, 64)  # hidden layer widths
    dropout: float = 0.1
    epochs: int = 60
    batch_size: int = 256
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    class_weighting: bool = False  # weight the loss by inverse class frequency (normalised to mean 1)
    seed: int = 0


def class_weights(targets: np.ndarray, num_classes: int) -> np.ndarray:
    """Inverse-frequency weights (C,) float32, mean 1 over the classes present; absent classes get 0."""
    counts = np.bincount(targets, minlength=num_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(num_classes)
    weights[present] = 1.0 / counts[present]
    weights *= present.sum() / weights.sum()
    return weights.astype(np.float32)


@dataclass
class TrainingLog:
    """Mean training loss of each epoch."""

    epoch_loss: list[float] = field(default_factory=list)


class MaskletClassifier:
    """Input standardisation, ReLU hidden layers with dropout, softmax over C classes.

    Parameters
    ----------
    num_features : C_in, the length of a pooled vector.
    num_classes : C.
    settings : :class:`MLPSettings`.
    """

    def __init__(self, num_features: int, num_classes: int, settings: MLPSettings = MLPSettings()) -> None:
        import torch
        from torch import nn

        if num_features < 1 or num_classes < 2:
            raise ParameterError(f"num_features={num_features} must be >= 1 and num_classes={num_classes} >= 2")
        self.settings = settings
        self.num_features = num_features
        self.num_classes = num_classes
        torch.manual_seed(settings.seed)
        layers: list[nn.Module] = []
        width = num_features
        for hidden in settings.hidden:
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(settings.dropout)]
            width = hidden
        layers.append(nn.Linear(width, num_classes))
        self.network = nn.Sequential(*layers)
        self.mean = np.zeros(num_features, np.float32)
        self.scale = np.ones(num_features, np.float32)
        self.log = TrainingLog()

    def _tensor(self, vectors: np.ndarray):  # noqa: ANN202 - torch type
        import torch

        vectors = np.asarray(vectors, np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.num_features:
            raise ParameterError(f"vectors of shape {vectors.shape}, expected (N, {self.num_features})")
        return torch.from_numpy((vectors - self.mean) / self.scale)

    def fit(self, vectors: np.ndarray, targets: np.ndarray, *, progress: bool = False) -> TrainingLog:
        """Train on (N, C_in) vectors and (N,) targets in 0..C-1 (entries < 0 are left out)."""
        import torch
        from tqdm.auto import tqdm

        vectors = np.asarray(vectors, np.float32)
        targets = np.asarray(targets, np.int64)
        keep = targets >= 0
        vectors, targets = vectors[keep], targets[keep]
        if len(targets) == 0:
            raise ParameterError("no training masklet has a target (all mostly void?)")
        if targets.max() >= self.num_classes:
            raise ParameterError(f"target {targets.max()} >= num_classes={self.num_classes}")
        s = self.settings
        self.mean = vectors.mean(axis=0)
        self.scale = np.maximum(vectors.std(axis=0), 1e-6).astype(np.float32)
        x = self._tensor(vectors)
        y = torch.from_numpy(targets)
        weight = torch.from_numpy(class_weights(targets, self.num_classes)) if s.class_weighting else None
        loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
        optimiser = torch.optim.AdamW(self.network.parameters(), lr=s.learning_rate, weight_decay=s.weight_decay)
        generator = torch.Generator().manual_seed(s.seed)
        torch.manual_seed(s.seed)
        self.network.train()
        self.log = TrainingLog()
        for _ in tqdm(range(s.epochs), desc="MLP epochs", unit="epoch", disable=not progress):
            order = torch.randperm(len(y), generator=generator)
            total = 0.0
            for start in range(0, len(y), s.batch_size):
                batch = order[start : start + s.batch_size]
                optimiser.zero_grad()
                loss = loss_fn(self.network(x[batch]), y[batch])
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(batch)
            self.log.epoch_loss.append(total / len(y))
        self.network.eval()
        return self.log

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """(N, C) float32 class probabilities."""
        import torch

        if len(vectors) == 0:
            return np.zeros((0, self.num_classes), np.float32)
        with torch.no_grad():
            return torch.softmax(self.network(self._tensor(vectors)), dim=1).numpy().astype(np.float32)

    def predict(self, vectors: np.ndarray) -> np.ndarray:
        """(N,) int64 most probable class."""
        return self.predict_proba(vectors).argmax(axis=1).astype(np.int64)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Weights, standardisation and settings, written atomically."""
        import torch

        with atomic_path(path) as tmp:
            torch.save({"state": self.network.state_dict(), "mean": torch.from_numpy(self.mean),
                        "scale": torch.from_numpy(self.scale), "loss": torch.tensor(self.log.epoch_loss),
                        "shape": torch.tensor([self.num_features, self.num_classes])}, tmp)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], settings: MLPSettings = MLPSettings()) -> MaskletClassifier:
        import torch

        blob = torch.load(path, map_location="cpu", weights_only=True)
        model = cls(int(blob["shape"][0]), int(blob["shape"][1]), settings)
        model.network.load_state_dict(blob["state"])
        model.network.eval()
        model.mean = blob["mean"].numpy()
        model.scale = blob["scale"].numpy()
        model.log = TrainingLog(blob["loss"].tolist())
        return model

    def describe(self) -> dict:
        return {"num_features": self.num_features, "num_classes": self.num_classes, **asdict(self.settings)}
