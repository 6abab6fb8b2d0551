"""What a dataset split looks like: class frequencies, objects (instances), their sizes and motion, and how
many objects enter the view in the middle of a masklet window.

Objects are the instance maps where the dataset has them (the generated benchmark does; there, stuff
regions such as the sky, the road or a building are objects too), else the connected components of each
class in the (T, H, W) label volume (6-connectivity, so a component continues from frame to frame while it
overlaps itself). Object statistics come from one pass over the videos, :func:`object_table`; the other
object functions accept either a dataset or that table, so a notebook reads the videos once.

A "dataset" here is anything with ``num_classes``, ``class_names`` and iteration over
:class:`~vsslib.data.Video` objects with labels (a :class:`~vsslib.data.VSPWDataset` split).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..base.errors import DataError, ParameterError, require_columns
from .vspw import IGNORE_INDEX, Video

__all__ = ["class_frequencies", "object_table", "instance_counts", "object_sizes", "video_motion",
           "entries_mid_window"]

_OBJECT_COLUMNS = ("video", "object", "class", "frames", "first_frame", "last_frame", "mean_area", "max_area",
                   "speed")


class _Dataset(Protocol):
    num_classes: int
    class_names: tuple[str, ...]

    def __iter__(self) -> Any: ...


def _labels(video: Video) -> np.ndarray:
    if video.labels is None:
        raise DataError(f"video {video.name!r} has no labels (a test split?); statistics need ground truth")
    return video.labels


def class_frequencies(dataset: _Dataset) -> pd.DataFrame:
    """How often each class occurs.

    Returns
    -------
    One row per class, in class order: ``class`` (name), ``pixels`` (labelled pixels of the class),
    ``pixel_share`` (its share of all non-ignored pixels, percent), ``frames_present`` and ``videos_present``
    (frames and videos with at least one pixel of it).
    """
    c = dataset.num_classes
    pixels = np.zeros(c, np.int64)
    frames = np.zeros(c, np.int64)
    videos = np.zeros(c, np.int64)
    for video in dataset:
        labels = _labels(video)
        t = labels.shape[0]
        flat = labels.reshape(t, -1).astype(np.int64)
        known = flat < c  # drops 255 (and anything else outside 0..C-1)
        frame_of = np.broadcast_to(np.arange(t)[:, None], flat.shape)
        counts = np.bincount((frame_of[known] * c + flat[known]), minlength=t * c).reshape(t, c)
        pixels += counts.sum(axis=0)
        frames += (counts > 0).sum(axis=0)
        videos += counts.sum(axis=0) > 0
    total = pixels.sum()
    return pd.DataFrame({"class": list(dataset.class_names), "pixels": pixels,
                         "pixel_share": 100.0 * pixels / total if total else np.zeros(c),
                         "frames_present": frames, "videos_present": videos})


def _object_ids(video: Video) -> np.ndarray:
    """(T, H, W) int64 object ids, 0 = no object: instance maps, else components of the label volume."""
    labels = _labels(video)
    if video.instances is not None:
        return np.where(labels == IGNORE_INDEX, 0, video.instances).astype(np.int64)
    from skimage.measure import label

    return label(labels.astype(np.int32), background=IGNORE_INDEX, connectivity=1).astype(np.int64)


def _video_objects(video: Video, num_classes: int) -> dict[str, np.ndarray]:
    """Per-object arrays of one video (all vectorised over frames and objects)."""
    ids = _object_ids(video)
    labels = _labels(video)
    t, h, w = ids.shape
    values, inverse = np.unique(ids, return_inverse=True)
    inverse = inverse.reshape(t, h * w)
    k = len(values)
    key = (np.arange(t)[:, None] * k + inverse).ravel()
    area = np.bincount(key, minlength=t * k).reshape(t, k).astype(np.float64)
    rows, cols = np.divmod(np.arange(h * w, dtype=np.float64), w)
    with np.errstate(invalid="ignore", divide="ignore"):
        cy = np.bincount(key, weights=np.tile(rows, t), minlength=t * k).reshape(t, k) / area
        cx = np.bincount(key, weights=np.tile(cols, t), minlength=t * k).reshape(t, k) / area
    # Class of an object: the majority class of its pixels (one bincount over (object, class) pairs).
    flat_labels = labels.reshape(t, h * w).astype(np.int64)
    known = flat_labels < num_classes
    votes = np.bincount(inverse[known] * num_classes + flat_labels[known],
                        minlength=k * num_classes).reshape(k, num_classes)
    present = area > 0
    seen = present.sum(axis=0)
    both = present[1:] & present[:-1]
    step = np.hypot(np.diff(cy, axis=0), np.diff(cx, axis=0))
    pairs = both.sum(axis=0)
    step_sum = np.where(both, step, 0.0).sum(axis=0)
    keep = values > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = np.where(pairs > 0, step_sum / pairs, np.nan)
    return {"object": values[keep], "class": votes.argmax(axis=1)[keep], "frames": seen[keep],
            "first_frame": present.argmax(axis=0)[keep], "last_frame": (t - 1 - present[::-1].argmax(axis=0))[keep],
            "mean_area": (area.sum(axis=0) / np.maximum(seen, 1))[keep], "max_area": area.max(axis=0)[keep],
            "speed": speed[keep], "step_sum": step_sum[keep], "pairs": pairs[keep], "area": area[:, keep]}


def object_table(dataset: _Dataset) -> pd.DataFrame:
    """One row per object of every video of the split.

    Returns
    -------
    DataFrame with ``video``, ``object`` (instance id, or component id), ``class`` (name of the majority
    class of its pixels), ``frames`` (frames it is visible in), ``first_frame`` and ``last_frame`` (0-based
    frame index), ``mean_area`` (pixels, over the frames it is visible in), ``max_area`` and ``speed``
    (mean displacement of its centroid between consecutive frames where it is visible in both, pixels per
    frame; NaN if there is no such pair). Centroids also move when an object is occluded or cut by the
    frame border, so ``speed`` measures apparent motion, not only object motion.
    """
    parts = []
    names = np.asarray(dataset.class_names, dtype=object)
    for video in dataset:
        objects = _video_objects(video, dataset.num_classes)
        parts.append(pd.DataFrame({
            "video": video.name, "object": objects["object"].astype(np.int64), "class": names[objects["class"]],
            "frames": objects["frames"].astype(np.int64), "first_frame": objects["first_frame"].astype(np.int64),
            "last_frame": objects["last_frame"].astype(np.int64), "mean_area": objects["mean_area"],
            "max_area": objects["max_area"], "speed": objects["speed"]}))
    if not parts:
        return pd.DataFrame({column: [] for column in _OBJECT_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def _objects(data: _Dataset | pd.DataFrame) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        require_columns(data, _OBJECT_COLUMNS, "expected a dataset or the table of object_table(dataset)",
                        error=ParameterError)
        return data
    return object_table(data)


def instance_counts(data: _Dataset | pd.DataFrame) -> pd.DataFrame:
    """Per class: how many objects, and how large.

    Parameters
    ----------
    data : a dataset split, or its :func:`object_table`.

    Returns
    -------
    One row per class that has objects, in order of first appearance: ``class``, ``instances`` (objects),
    ``mean_area`` (mean over objects of their mean visible area, pixels), ``median_area``.
    """
    objects = _objects(data)
    return (objects.groupby("class", sort=False)
            .agg(instances=("object", "size"), mean_area=("mean_area", "mean"),
                 median_area=("mean_area", "median"))
            .reset_index())


def object_sizes(dataset: _Dataset) -> pd.DataFrame:
    """Visible size of every object in every frame it appears in (for size histograms).

    Returns
    -------
    DataFrame with ``video``, ``frame`` (0-based index), ``object``, ``class`` and ``area`` (pixels > 0).
    """
    parts = []
    names = np.asarray(dataset.class_names, dtype=object)
    for video in dataset:
        objects = _video_objects(video, dataset.num_classes)
        frame, column = np.nonzero(objects["area"])
        parts.append(pd.DataFrame({"video": video.name, "frame": frame.astype(np.int64),
                                   "object": objects["object"][column].astype(np.int64),
                                   "class": names[objects["class"][column]],
                                   "area": objects["area"][frame, column].astype(np.int64)}))
    if not parts:
        return pd.DataFrame({"video": [], "frame": [], "object": [], "class": [], "area": []})
    return pd.concat(parts, ignore_index=True)


def video_motion(dataset: _Dataset) -> pd.DataFrame:
    """Per video: mean displacement of object centroids between consecutive frames.

    Returns
    -------
    One row per video: ``video``, ``objects``, ``frames``, ``mean_displacement`` (pixels per frame, pooled
    over every object and every pair of consecutive frames in which it is visible in both; NaN if none).
    """
    rows = []
    for video in dataset:
        objects = _video_objects(video, dataset.num_classes)
        pairs = objects["pairs"].sum()
        rows.append({"video": video.name, "objects": len(objects["object"]), "frames": video.num_frames,
                     "mean_displacement": objects["step_sum"].sum() / pairs if pairs else np.nan})
    return pd.DataFrame(rows, columns=["video", "objects", "frames", "mean_displacement"])


def entries_mid_window(data: _Dataset | pd.DataFrame, window: int) -> pd.DataFrame:
    """Per class: objects that first appear at a frame that is not a window key frame.

    With a key frame every ``window`` frames (frames 0, window, 2 * window, ...), a masklet generator that
    prompts only on key frames cannot see such an object until the next window.

    Parameters
    ----------
    data : a dataset split, or its :func:`object_table`.
    window : frames per window (>= 1).

    Returns
    -------
    One row per class that has objects: ``class``, ``objects``, ``enters_mid_window`` (objects whose first
    frame is not a key frame) and ``share`` (their fraction).
    """
    if int(window) != window or window < 1:
        raise ParameterError(f"window={window!r} must be a positive integer (frames per masklet window)")
    objects = _objects(data)
    table = (objects.assign(enters_mid_window=(objects["first_frame"] % int(window)) != 0)
             .groupby("class", sort=False)
             .agg(objects=("object", "size"), enters_mid_window=("enters_mid_window", "sum"))
             .reset_index())
    table["enters_mid_window"] = table["enters_mid_window"].astype(np.int64)
    table["share"] = table["enters_mid_window"] / table["objects"]
    return table
