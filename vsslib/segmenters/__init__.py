"""Baseline segmenters: small CNNs trained from scratch, and any model's predictions read from disk.

A segmenter has ``.name``, ``.num_classes`` and ``.predict(video) -> (T, H, W) uint8``; the networks also
have ``.features(video) -> (T, C, h, w) float32`` (penultimate features, used by approach 2) and ``.stride``.
"""

from .networks import FCNSegmenter, NetworkSettings
from .on_disk import PredictionsOnDisk, save_predictions
from .registry import SegmenterSpec, create_segmenter, list_segmenters, segmenter_spec
from .train import (TrainingHistory, TrainSettings, build_network, dataset_fingerprint, fit, load_or_train,
                    train_segmenter)

__all__ = [
    "FCNSegmenter",
    "NetworkSettings",
    "TrainSettings",
    "TrainingHistory",
    "SegmenterSpec",
    "PredictionsOnDisk",
    "save_predictions",
    "create_segmenter",
    "list_segmenters",
    "segmenter_spec",
    "build_network",
    "fit",
    "train_segmenter",
    "load_or_train",
    "dataset_fingerprint",
]
