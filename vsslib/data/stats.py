"""What a dataset looks like: class frequencies, objects, their sizes and motion, entries mid-window."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["class_frequencies", "object_table", "entries_mid_window"]


def class_frequencies(dataset: Any) -> pd.DataFrame:
    """DataFrame[class, pixel_share, frames_present, videos_present] over every video of the split."""
    c = dataset.num_classes
    pixels = np.zeros(c + 1, np.int64)
    frames = np.zeros(c + 1, np.int64)
    videos = np.zeros(c + 1, np.int64)
    for video in dataset:
        labels = np.where(video.labels == 255, c, video.labels).astype(np.int64)
        pixels += np.bincount(labels.ravel(), minlength=c + 1)
        t = labels.shape[0]
        present = np.bincount((np.arange(t)[:, None] * (c + 1) + labels.reshape(t, -1)).ravel(),
                              minlength=t * (c + 1)).reshape(t, c + 1) > 0
        frames += present.sum(axis=0)
        videos += present.any(axis=0)
    known = pixels[:c].sum()
    return pd.DataFrame({"class": list(dataset.class_names), "pixel_share": pixels[:c] / max(known, 1),
                         "frames_present": frames[:c], "videos_present": videos[:c]})


def object_table(dataset: Any) -> pd.DataFrame:
    """One row per object (instance) of every video: class, frames seen, first frame, mean area, mean speed.

    Speed is the mean displacement of the object's centroid between consecutive frames where it is seen
    (pixels per frame). Objects are the instance maps, or connected components of the ground truth.
    """
    from ..masks.oracle import components_in_time

    rows = []
    for video in dataset:
        ids = video.instances if video.instances is not None else components_in_time(video.labels) + 1
        t, h, w = ids.shape
        values, inverse = np.unique(ids, return_inverse=True)
        inverse = inverse.reshape(t, -1)
        k = len(values)
        key = (np.arange(t)[:, None] * k + inverse).ravel()
        area = np.bincount(key, minlength=t * k).reshape(t, k).astype(np.float64)
        yy, xx = np.divmod(np.arange(h * w), w)
        cy = np.bincount(key, weights=np.tile(yy, t), minlength=t * k).reshape(t, k) / np.maximum(area, 1)
        cx = np.bincount(key, weights=np.tile(xx, t), minlength=t * k).reshape(t, k) / np.maximum(area, 1)
        labels = video.labels.reshape(t, -1)
        cls = np.zeros(k, np.int64)
        cls[inverse[labels != 255]] = labels[labels != 255]  # one class per instance
        for j, value in enumerate(values):
            if value <= 0:
                continue
            seen = np.flatnonzero(area[:, j] > 0)
            steps = np.hypot(np.diff(cy[seen, j]), np.diff(cx[seen, j]))
            rows.append({"video": video.name, "object": int(value), "class": dataset.class_names[cls[j]],
                         "frames": len(seen), "first_frame": int(seen[0]), "mean_area": float(area[seen, j].mean()),
                         "speed": float(steps.mean()) if len(steps) else 0.0})
    return pd.DataFrame(rows)


def entries_mid_window(objects: pd.DataFrame, window: int) -> pd.DataFrame:
    """Per class: objects that first appear at a frame that is not a window key frame."""
    late = objects["first_frame"] % window != 0
    table = objects.assign(enters_mid_window=late).groupby("class", sort=False).agg(
        objects=("object", "size"), enters_mid_window=("enters_mid_window", "sum")).reset_index()
    return table
