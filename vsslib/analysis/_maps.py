"""Label-map arguments the analyses share: one video's (T, H, W) array or a list of them, checked alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..base.errors import ParameterError

__all__ = ["LabelVideos", "video_list", "paired_videos", "positive_int"]

LabelVideos = np.ndarray | Sequence[np.ndarray]


def video_list(arrays: LabelVideos, what: str) -> list[np.ndarray]:
    """One (T, H, W) array or a sequence of them -> list of (T, H, W) integer arrays."""
    items = [arrays] if isinstance(arrays, np.ndarray) else list(arrays)
    checked = []
    for k, item in enumerate(items):
        item = np.asarray(item)
        if item.ndim != 3 or not np.issubdtype(item.dtype, np.integer):
            raise ParameterError(f"{what}[{k}]: expected a (T, H, W) integer array, got shape {item.shape} and "
                                 f"dtype {item.dtype}; pass one video's array or a list of them")
        checked.append(item)
    return checked


def paired_videos(named: Mapping[str, LabelVideos]) -> list[tuple[np.ndarray, ...]]:
    """Zip several per-video lists, checking that counts and shapes agree."""
    lists = {name: video_list(arrays, name) for name, arrays in named.items()}
    counts = {name: len(items) for name, items in lists.items()}
    if len(set(counts.values())) != 1:
        raise ParameterError(f"expected as many videos in each argument, got {counts}")
    rows = list(zip(*lists.values(), strict=True))
    for k, row in enumerate(rows):
        shapes = {name: item.shape for name, item in zip(lists, row, strict=True)}
        if len(set(shapes.values())) != 1:
            raise ParameterError(f"video {k}: shapes differ: {shapes}")
    return rows


def positive_int(value: Any, name: str) -> int:
    """``value`` as an int, or ParameterError unless it is a positive integer (a width in pixels)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"{name}={value!r} must be a positive integer (pixels)")
    return int(value)
