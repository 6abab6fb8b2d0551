"""Shared test data builders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vsslib.data import VSPWDataset, generate
from vsslib.segmenters import save_predictions


def blocky_benchmark(base: Path, *, n_val: int, seed: int) -> tuple[Path, Path]:
    """A tiny generated benchmark (1 train / ``n_val`` val / 1 test videos of 10 frames at 32x48) and, as
    'predictions' of a coarse network, its val ground truth subsampled by 8 and repeated back (blocky
    boundaries a refiner can fix). Returns (dataset root, predictions folder)."""
    root = generate(base / "data", n_videos=n_val + 2, n_frames=10, height=32, width=48, seed=seed,
                    split_counts=(1, n_val, 1))
    dataset = VSPWDataset(root, "val")
    for name in dataset.videos:
        video = dataset.load(name)
        blocky = np.repeat(np.repeat(video.labels[:, ::8, ::8], 8, axis=1), 8, axis=2)
        save_predictions(base / "preds", name, video.frame_ids, blocky)
    return root, base / "preds"
