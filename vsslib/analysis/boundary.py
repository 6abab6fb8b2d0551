"""Where the refiner's gain comes from: boundary bands of every width, classes, object sizes, time.

- :func:`biou_by_dilation`: mBIoU (Boundary IoU, Cheng et al., CVPR 2021) as the band's dilation ratio
  grows, from a few pixels to a large share of the frame.
- :func:`trimap_accuracy`: pixel accuracy inside the band of width w around ground-truth boundaries, as w
  grows: the trimap curves of Kohli et al. (CVPR 2008), used by DeepLab (Chen et al., TPAMI 2018, Fig. 5)
  and PointRend (Kirillov et al., CVPR 2020). The band is the set of pixels within **Chebyshev** distance w
  of a pixel with another ground-truth value, the same square neighbourhood as Boundary IoU's 3 x 3 erosions
  (see :func:`boundary_distance`).
- :func:`per_class_gain`: IoU and Boundary IoU per class for both methods and the gain.
- :func:`gain_by_object_size`: accuracy on each ground-truth object (instance x frame), binned by area.
- :func:`consistency_over_time`: VSPW's VC_n of every window of every video, both methods.

Every count is accumulated over frames and videos before dividing, like the metrics. Label maps:
``(T, H, W)`` integer arrays (uint8 in the pipeline), classes ``0..C-1``, ``255`` = ignore; instances
``(T, H, W)`` int32, ``0`` = none. Arguments named ``gts`` / ``preds`` take one video's array or a sequence
of them (one per video).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..metrics import biou_from_counts, boundary_counts, video_consistency

__all__ = ["biou_by_dilation", "boundary_distance", "trimap_accuracy", "per_class_gain", "gain_by_object_size",
           "consistency_over_time"]

LabelVideos = np.ndarray | Sequence[np.ndarray]

_SQUARE = np.ones((3, 3), np.uint8)


def _videos(arrays: LabelVideos, what: str) -> list[np.ndarray]:
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


def _paired(named: Mapping[str, LabelVideos]) -> list[tuple[np.ndarray, ...]]:
    """Zip several per-video lists, checking that counts and shapes agree."""
    lists = {name: _videos(arrays, name) for name, arrays in named.items()}
    counts = {name: len(items) for name, items in lists.items()}
    if len(set(counts.values())) != 1:
        raise ParameterError(f"expected as many videos in each argument, got {counts}")
    rows = list(zip(*lists.values(), strict=True))
    for k, row in enumerate(rows):
        shapes = {name: item.shape for name, item in zip(lists, row, strict=True)}
        if len(set(shapes.values())) != 1:
            raise ParameterError(f"video {k}: shapes differ: {shapes}")
    return rows


# ------------------------------------------------------------------------------------ Boundary IoU
def biou_by_dilation(gts: LabelVideos, preds: LabelVideos, num_classes: int, ratios: Sequence[float], *,
                     ignore_index: int = 255) -> pd.DataFrame:
    """mBIoU at each dilation ratio (band width as a share of the frame diagonal).

    Parameters
    ----------
    gts : (T, H, W) integer array or a sequence of them
        Ground truth, classes ``0..C-1`` and ``ignore_index``.
    preds : same structure and shapes as ``gts``
        Predictions.
    num_classes : int
        C.
    ratios : sequence of float
        Dilation ratios, e.g. ``np.linspace(0.005, 0.05, 10)`` (0.02 is Boundary IoU's default: 20 px on
        480 x 853 frames, 5 px on 128 x 224 ones; see :func:`vsslib.metrics.band_width`).
    ignore_index : int
        Ground-truth value left out of both bands.

    Returns
    -------
    DataFrame[ratio, mbiou]
        One row per ratio, in the given order; band intersections and unions are summed over every frame
        of every video before dividing (:func:`vsslib.metrics.boundary_counts`).
    """
    pairs = _paired({"gts": gts, "preds": preds})
    rows = []
    for ratio in ratios:
        intersection = np.zeros(num_classes, np.int64)
        union = np.zeros(num_classes, np.int64)
        for gt, pred in pairs:
            inter, uni = boundary_counts(gt, pred, num_classes, ratio, ignore_index)
            intersection += inter
            union += uni
        mbiou, _ = biou_from_counts(intersection, union)
        rows.append({"ratio": float(ratio), "mbiou": mbiou})
    return pd.DataFrame(rows, columns=["ratio", "mbiou"])


# ----------------------------------------------------------------------------------------- trimaps
def boundary_distance(labels: np.ndarray, max_distance: int) -> np.ndarray:
    """Chebyshev distance from each pixel to the nearest pixel holding another value, capped.

    Parameters
    ----------
    labels : (H, W) integer label map, values in 0..65535
        Every value is a label here, the ignore value included: a void region borders its neighbours.
    max_distance : int
        Largest distance worth resolving.

    Returns
    -------
    (H, W) int32
        ``d`` in ``1..max_distance`` where the (2d+1) x (2d+1) square around the pixel (cut at the image
        border) first holds another value; ``max_distance + 1`` where no other value lies that close. The
        image border is not a boundary.

    Notes
    -----
    The square of side 2k+1 holds another value iff its minimum and maximum differ; k iterated 3 x 3 erosions
    and dilations give that minimum and maximum (OpenCV's default border leaves outside pixels out), so
    ``max_distance`` passes of two 3 x 3 filters resolve every distance, for all labels at once.

    Examples
    --------
    >>> boundary_distance(np.array([[0, 0, 0, 1]]), 5).tolist()
    [[3, 2, 1, 1]]
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or not np.issubdtype(labels.dtype, np.integer):
        raise ParameterError(f"boundary_distance: expected an (H, W) integer label map, got shape {labels.shape} "
                             f"and dtype {labels.dtype}")
    max_distance = _positive_int(max_distance, "max_distance")
    if labels.size and (labels.min() < 0 or labels.max() > 65535):
        raise ParameterError(f"boundary_distance: labels must lie in 0..65535, got {labels.min()}..{labels.max()}")
    dtype = np.uint8 if labels.size == 0 or labels.max() <= 255 else np.uint16
    low = labels.astype(dtype)
    high = low.copy()
    distance = np.full(labels.shape, max_distance + 1, np.int32)
    for k in range(1, max_distance + 1):
        low = cv2.erode(low, _SQUARE)
        high = cv2.dilate(high, _SQUARE)
        newly = (low != high) & (distance > max_distance)
        distance[newly] = k
        if not (distance > max_distance).any():
            break
    return distance


def trimap_accuracy(gts: LabelVideos, preds: LabelVideos, widths: Sequence[int], ignore_index: int = 255) \
        -> pd.DataFrame:
    """Pixel accuracy inside the band of width w around ground-truth boundaries, for each w (trimap curve).

    Parameters
    ----------
    gts : (T, H, W) integer array or a sequence of them
        Ground truth; ``ignore_index`` pixels are not scored, but a void region's edge is a boundary.
    preds : same structure and shapes as ``gts``
        Predictions.
    widths : sequence of int
        Band widths w in pixels (positive integers).
    ignore_index : int
        Ground-truth value whose pixels are not scored.

    Returns
    -------
    DataFrame[width, accuracy, pixels]
        One row per width, in the given order. The band of width w holds the scored pixels within Chebyshev
        distance w of a pixel of another ground-truth value (:func:`boundary_distance`); ``accuracy`` =
        correct / ``pixels`` summed over every frame of every video; NaN where the band is empty.
    """
    widths = [_positive_int(w, "width") for w in widths]
    pairs = _paired({"gts": gts, "preds": preds})
    top = max(widths, default=1)
    total = np.zeros(top + 2, np.int64)  # histogram of boundary distances 0..top+1 (0 unused)
    correct = np.zeros(top + 2, np.int64)
    for gt_video, pred_video in pairs:
        for gt, pred in zip(gt_video, pred_video, strict=True):
            scored = gt != ignore_index
            distance = boundary_distance(gt, top)[scored]
            right = pred[scored] == gt[scored]
            total += np.bincount(distance, minlength=top + 2)
            correct += np.bincount(distance[right], minlength=top + 2)
    total, correct = np.cumsum(total), np.cumsum(correct)
    pixels = total[widths]
    accuracy = np.full(len(widths), np.nan)
    np.divide(correct[widths], pixels, out=accuracy, where=pixels > 0)
    return pd.DataFrame({"width": np.asarray(widths, np.int64), "accuracy": accuracy, "pixels": pixels})


# ---------------------------------------------------------------------------------------- classes
def _scores(metrics: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(iou, biou) per class of a MetricAccumulator or of a metrics mapping with "iou" and "biou"."""
    if hasattr(metrics, "result") and callable(metrics.result):
        metrics = metrics.result()
    if not isinstance(metrics, Mapping) or "iou" not in metrics or "biou" not in metrics:
        raise ParameterError(f"{what}: expected a MetricAccumulator or a mapping with 'iou' and 'biou' lists "
                             f"(as in metrics.json), got {type(metrics).__name__}")
    return np.asarray(metrics["iou"], np.float64), np.asarray(metrics["biou"], np.float64)


def per_class_gain(acc_baseline: Any, acc_refined: Any, class_names: Sequence[str]) -> pd.DataFrame:
    """IoU and Boundary IoU of every class, for the baseline and the refined predictions, and the gains.

    Parameters
    ----------
    acc_baseline, acc_refined : MetricAccumulator or mapping
        The baseline's and the refined predictions' metrics over the same videos: a
        :class:`vsslib.metrics.MetricAccumulator`, or its ``result()`` (``{"iou": [...], "biou": [...]}``,
        as stored in ``metrics.json``).
    class_names : sequence of str
        C names.

    Returns
    -------
    DataFrame[class_id, class, iou_baseline, iou_refined, iou_gain, biou_baseline, biou_refined, biou_gain]
        One row per class in id order; scores in 0..1, NaN where a class has no union (the gain too).
    """
    iou_b, biou_b = _scores(acc_baseline, "acc_baseline")
    iou_r, biou_r = _scores(acc_refined, "acc_refined")
    sizes = {len(class_names), iou_b.size, iou_r.size, biou_b.size, biou_r.size}
    if len(sizes) != 1:
        raise ParameterError(f"{len(class_names)} class names, but {iou_b.size} / {iou_r.size} IoUs and "
                             f"{biou_b.size} / {biou_r.size} BIoUs (baseline / refined); all must be C")
    return pd.DataFrame({"class_id": np.arange(len(class_names)), "class": list(class_names),
                         "iou_baseline": iou_b, "iou_refined": iou_r, "iou_gain": iou_r - iou_b,
                         "biou_baseline": biou_b, "biou_refined": biou_r, "biou_gain": biou_r - biou_b})


# ------------------------------------------------------------------------------------ object sizes
def gain_by_object_size(instances: LabelVideos, gt: LabelVideos, baseline: LabelVideos, refined: LabelVideos,
                        bins: Sequence[int], *, ignore_index: int = 255) -> pd.DataFrame:
    """Pixel accuracy of each method on every ground-truth object in every frame, binned by the object's area.

    Parameters
    ----------
    instances : (T, H, W) int32 array or a sequence of them
        Ground-truth instance ids, 0 = none; ids are unique within a video.
    gt, baseline, refined : same structure and shapes
        Ground-truth classes and the two predictions.
    bins : increasing sequence of int
        Area edges in pixels; ``(64, 256)`` makes the bins ``< 64``, ``64-255``, ``>= 256``.
    ignore_index : int
        Ground-truth value whose pixels are left out (of the area too).

    Returns
    -------
    DataFrame[size_bin, area_min, area_max, n_objects, acc_baseline, acc_refined, gain]
        One row per bin, all bins (``area_max`` of the last is inf). An object is one instance in one
        frame, its area the number of its scored pixels; ``acc_*`` are means over the bin's objects of
        each object's share of correct pixels (so a small object weighs as much as a large one), ``gain`` =
        ``acc_refined - acc_baseline``; NaN in an empty bin.
    """
    edges = np.asarray([_positive_int(b, "bin edge") for b in bins], np.int64)
    if edges.size and np.any(np.diff(edges) <= 0):
        raise ParameterError(f"bins={list(bins)} must increase strictly")
    areas, right_b, right_r = [], [], []
    for inst, labels, base, ref in _paired({"instances": instances, "gt": gt, "baseline": baseline,
                                            "refined": refined}):
        scored = (inst > 0) & (labels != ignore_index)
        # One key per (frame, instance): instances first appear in frame order, and ids are per video.
        frame = np.nonzero(scored)[0]
        key = frame.astype(np.int64) * (int(inst.max()) + 1) + inst[scored]
        _, obj = np.unique(key, return_inverse=True)
        n = int(obj.max()) + 1 if obj.size else 0
        truth = labels[scored]
        areas.append(np.bincount(obj, minlength=n))
        right_b.append(np.bincount(obj[base[scored] == truth], minlength=n))
        right_r.append(np.bincount(obj[ref[scored] == truth], minlength=n))
    area = np.concatenate(areas) if areas else np.zeros(0, np.int64)
    acc_b = np.concatenate(right_b) / np.maximum(area, 1)
    acc_r = np.concatenate(right_r) / np.maximum(area, 1)
    which = np.digitize(area, edges)  # bin k: edges[k-1] <= area < edges[k]
    n_bins = edges.size + 1
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_b = np.bincount(which, weights=acc_b, minlength=n_bins) / count
        mean_r = np.bincount(which, weights=acc_r, minlength=n_bins) / count
    area_min = np.concatenate([[0], edges])
    area_max = np.concatenate([edges - 1, [np.inf]])
    names = [f"{lo}-{hi:.0f}" for lo, hi in zip(area_min, area_max, strict=True)]
    names[-1] = f">= {area_min[-1]}" if edges.size else "all"
    if edges.size:
        names[0] = f"< {edges[0]}"
    return pd.DataFrame({"size_bin": names, "area_min": area_min, "area_max": area_max, "n_objects": count,
                         "acc_baseline": mean_b, "acc_refined": mean_r, "gain": mean_r - mean_b})


# -------------------------------------------------------------------------------------------- time
def consistency_over_time(gt: LabelVideos, baseline: LabelVideos, refined: LabelVideos, n: int, *,
                          videos: Sequence[str] | None = None) -> pd.DataFrame:
    """VC_n of every window of every video, for the baseline and the refined predictions.

    Parameters
    ----------
    gt, baseline, refined : (T, H, W) array or a sequence of them (one per video)
        Ground truth and the two predictions.
    n : int
        Window length in frames (VSPW: 8, 16).
    videos : sequence of str, optional
        Video names; default ``"0"``, ``"1"``, ...

    Returns
    -------
    DataFrame[video, window_start, vc_baseline, vc_refined]
        One row per window (VSPW's: starts ``0 .. T-n-1``; none for a video of n frames or fewer), scores in
        0..1 from :func:`vsslib.metrics.video_consistency`, NaN where no pixel's ground truth is constant.
    """
    triples = _paired({"gt": gt, "baseline": baseline, "refined": refined})
    names = [str(k) for k in range(len(triples))] if videos is None else [str(v) for v in videos]
    if len(names) != len(triples):
        raise ParameterError(f"{len(names)} video names for {len(triples)} videos")
    parts = []
    for name, (labels, base, ref) in zip(names, triples, strict=True):
        vc_b = video_consistency(labels, base, n)
        vc_r = video_consistency(labels, ref, n)
        parts.append(pd.DataFrame({"video": name, "window_start": np.arange(vc_b.size), "vc_baseline": vc_b,
                                   "vc_refined": vc_r}))
    if not parts:
        return pd.DataFrame(columns=["video", "window_start", "vc_baseline", "vc_refined"])
    return pd.concat(parts, ignore_index=True)


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"{name}={value!r} must be a positive integer (pixels)")
    return int(value)
