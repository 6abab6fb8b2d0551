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
- :func:`~vsslib.analysis.consistency.consistency_over_time`: VSPW's VC_n and correct consistency VCc_n of every
  window of every video, both methods.

Every count is accumulated over frames and videos before dividing, like the metrics. Each pooled analysis has a
per-video companion that returns the counts before pooling (:func:`biou_counts_by_dilation`,
:func:`trimap_counts`, :func:`object_size_counts`, :func:`~vsslib.analysis.consistency.consistency_counts`),
the input of the seed spread
and two-level (seeds and videos) bootstrap intervals of :func:`vsslib.statistics.ratio_summary`;
:func:`collect_boundary_counts` gathers all of them over seeds, videos and masklet sources, and
:func:`per_class_summary` gives the per-class table. Label maps:
``(T, H, W)`` integer arrays (uint8 in the pipeline), classes ``0..C-1``, ``255`` = ignore; instances
``(T, H, W)`` int32, ``0`` = none. Arguments named ``gts`` / ``preds`` take one video's array or a sequence
of them (one per video).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np
import pandas as pd

from ..base.errors import ParameterError
from ..metrics import biou_from_counts, boundary_counts
from ..statistics import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, VideoCounts, ratio_summary
from ._maps import LabelVideos
from ._maps import paired_videos as _paired
from ._maps import positive_int as _positive_int
from ._maps import video_list as _videos
from .consistency import consistency_counts, consistency_over_time

__all__ = ["errors_near_boundaries", "biou_by_dilation", "biou_counts_by_dilation", "boundary_distance",
           "trimap_accuracy", "trimap_counts", "per_class_gain", "per_class_summary", "gain_by_object_size",
           "object_size_counts", "size_bins",
           "BoundaryCounts", "collect_boundary_counts"]

_SQUARE = np.ones((3, 3), np.uint8)


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
    intersection, union = biou_counts_by_dilation(gts, preds, num_classes, ratios, ignore_index=ignore_index)
    rows = [{"ratio": float(ratio), "mbiou": biou_from_counts(intersection[:, r].sum(axis=0),
                                                              union[:, r].sum(axis=0))[0]}
            for r, ratio in enumerate(ratios)]
    return pd.DataFrame(rows, columns=["ratio", "mbiou"])


def biou_counts_by_dilation(gts: LabelVideos, preds: LabelVideos, num_classes: int, ratios: Sequence[float], *,
                            ignore_index: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """Boundary IoU counts of every video at each dilation ratio: :func:`biou_by_dilation` before pooling.

    Parameters
    ----------
    gts, preds, num_classes, ratios, ignore_index : as in :func:`biou_by_dilation`.

    Returns
    -------
    intersection, union : (V, R, C) int64
        Per video, ratio and class, the band intersection and union summed over the video's frames
        (:func:`vsslib.metrics.boundary_counts`). mBIoU of any set of videos: sum them over those videos,
        then average the per-class ratios over the classes with a non-zero union
        (:func:`vsslib.statistics.ratio_summary` with ``class_mean=True`` does so for bootstrap draws).
    """
    pairs = _paired({"gts": gts, "preds": preds})
    intersection = np.zeros((len(pairs), len(ratios), num_classes), np.int64)
    union = np.zeros_like(intersection)
    for v, (gt, pred) in enumerate(pairs):
        for r, ratio in enumerate(ratios):
            intersection[v, r], union[v, r] = boundary_counts(gt, pred, num_classes, ratio, ignore_index)
    return intersection, union


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


def errors_near_boundaries(gt: np.ndarray, pred: np.ndarray, width: int, ignore_index: int = 255
                           ) -> tuple[float, float]:
    """How much a prediction's errors gather along the ground truth's class boundaries.

    Parameters
    ----------
    gt, pred : (H, W) or (T, H, W) uint8 label maps; ``ignore_index`` in ``gt`` is not scored.
    width : a pixel counts as near a boundary within ``width`` px (Chebyshev, :func:`boundary_distance` of ``gt``).

    Returns
    -------
    (errors, pixels): the share of the scored wrong pixels that lie near a boundary, and the share of all scored
    pixels that do. Errors spread evenly would give ``errors == pixels``; ``errors / pixels`` says how many
    times denser the errors are near boundaries. ``errors`` is NaN when nothing is wrong.
    """
    gt, pred = np.asarray(gt), np.asarray(pred)
    if gt.shape != pred.shape or gt.ndim not in (2, 3):
        raise ParameterError(f"errors_near_boundaries: gt {gt.shape} and pred {pred.shape} must be equal (H, W) or "
                             "(T, H, W) label maps")
    gt_frames, pred_frames = gt.reshape(-1, *gt.shape[-2:]), pred.reshape(-1, *gt.shape[-2:])  # (T, H, W) both
    (right_near,), (near,) = (counts[0] for counts in trimap_counts([gt_frames], [pred_frames], [width], ignore_index))
    scored = gt != ignore_index
    wrong = int(np.count_nonzero(scored & (pred != gt)))
    errors = float((near - right_near) / wrong) if wrong else float("nan")
    return errors, float(near / np.count_nonzero(scored)) if scored.any() else float("nan")


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
    correct, pixels = trimap_counts(gts, preds, widths, ignore_index)
    correct, pixels = correct.sum(axis=0), pixels.sum(axis=0)
    accuracy = np.full(len(widths), np.nan)
    np.divide(correct, pixels, out=accuracy, where=pixels > 0)
    return pd.DataFrame({"width": np.asarray(widths, np.int64), "accuracy": accuracy, "pixels": pixels})


def trimap_counts(gts: LabelVideos, preds: LabelVideos, widths: Sequence[int], ignore_index: int = 255) \
        -> tuple[np.ndarray, np.ndarray]:
    """Correct and scored pixels of every video in each band: :func:`trimap_accuracy` before pooling.

    Parameters
    ----------
    gts, preds, widths, ignore_index : as in :func:`trimap_accuracy`.

    Returns
    -------
    correct, pixels : (V, W) int64
        Per video and band width, the scored pixels in the band predicted right, and all scored pixels in
        the band (summed over the video's frames). The accuracy of any set of videos is the ratio of their
        sums.
    """
    widths = [_positive_int(w, "width") for w in widths]
    pairs = _paired({"gts": gts, "preds": preds})
    top = max(widths, default=1)
    total = np.zeros((len(pairs), top + 2), np.int64)  # histogram of boundary distances 0..top+1 (0 unused)
    correct = np.zeros((len(pairs), top + 2), np.int64)
    for v, (gt_video, pred_video) in enumerate(pairs):
        for gt, pred in zip(gt_video, pred_video, strict=True):
            scored = gt != ignore_index
            distance = boundary_distance(gt, top)[scored]
            right = pred[scored] == gt[scored]
            total[v] += np.bincount(distance, minlength=top + 2)
            correct[v] += np.bincount(distance[right], minlength=top + 2)
    return np.cumsum(correct, axis=1)[:, widths], np.cumsum(total, axis=1)[:, widths]


# ---------------------------------------------------------------------------------------- classes
def _scores(metrics: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(iou, biou) per class of a MetricAccumulator or of a metrics mapping with "iou" and "biou"."""
    if hasattr(metrics, "result") and callable(metrics.result):
        metrics = metrics.result()
    if not isinstance(metrics, Mapping) or "iou" not in metrics or "biou" not in metrics:
        raise ParameterError(f"{what}: expected a MetricAccumulator or a mapping with 'iou' and 'biou' lists "
                             f"(as in metrics.json), got {type(metrics).__name__}")
    return np.asarray(metrics["iou"], np.float64), np.asarray(metrics["biou"], np.float64)


def per_class_summary(baselines: Sequence[VideoCounts], refined: Sequence[VideoCounts], class_names: Sequence[str],
                      *, resamples: int = DEFAULT_RESAMPLES, confidence: float = DEFAULT_CONFIDENCE,
                      seed: int = 0) -> pd.DataFrame:
    """IoU and Boundary IoU of every class for both maps and the gains, over seeds, with video intervals.

    Parameters
    ----------
    baselines, refined : per-video counts of the baseline and the refined maps, one :class:`VideoCounts` per
        seed (the same seeds in the same order, the same videos): :func:`vsslib.study.tables.video_counts` of
        ``study.refine_seeds(...)``.
    class_names : C names.
    resamples, confidence, seed : of the two-level bootstrap (:func:`vsslib.statistics.ratio_summary`).

    Returns
    -------
    DataFrame[class_id, class, iou_baseline, iou_refined, gain_iou, biou_baseline, biou_refined, gain_biou, ...]
        One row per class in id order, in percent: each score the pooled per-class IoU (hits / union) or
        Boundary IoU (band intersection / band union) as mean over seeds, followed by its ``_sd`` over
        seeds and ``_ci_low`` / ``_ci_high`` 95 % interval over seeds and videos (a gain's interval paired); then
        ``n_seeds``, ``n_videos``. NaN where a class has no union. With one seed the scores equal
        :func:`per_class_gain`'s (times 100).
    """
    baselines, refined = list(baselines), list(refined)
    if not baselines or len(baselines) != len(refined):
        raise ParameterError(f"{len(baselines)} baseline and {len(refined)} refined counts: give one of each per "
                             "seed")
    if any(c.videos != baselines[0].videos for c in [*baselines, *refined]):
        raise ParameterError("per_class_summary: the counts cover different videos; pair runs on the same videos")
    if baselines[0].hits.shape[1] != len(class_names):
        raise ParameterError(f"{len(class_names)} class names, but the counts have {baselines[0].hits.shape[1]} "
                             "classes")

    def stack(runs: list[VideoCounts], score: str) -> tuple[np.ndarray, np.ndarray]:
        if score == "iou":
            hits = np.stack([r.hits for r in runs])
            return hits, np.stack([r.gt_pixels + r.pred_pixels for r in runs]) - hits
        return np.stack([r.band_intersection for r in runs]), np.stack([r.band_union for r in runs])

    options = {"resamples": resamples, "confidence": confidence, "seed": seed}
    columns: dict[str, Any] = {"class_id": np.arange(len(class_names)), "class": list(class_names)}
    for score in ("iou", "biou"):
        base, ref = stack(baselines, score), stack(refined, score)
        columns.update(ratio_summary(*base, **options).columns(f"{score}_baseline"))
        columns.update(ratio_summary(*ref, **options).columns(f"{score}_refined"))
        columns.update(ratio_summary(*ref, *base, **options).columns(f"gain_{score}"))
    return pd.DataFrame({**columns, "n_seeds": len(baselines), "n_videos": len(baselines[0].videos)})


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
    edges, names, area_min, area_max = _size_bins(bins)
    sums_b, objects = object_size_counts(instances, gt, baseline, bins, ignore_index=ignore_index)
    sums_r, _ = object_size_counts(instances, gt, refined, bins, ignore_index=ignore_index)
    count = objects.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_b = sums_b.sum(axis=0) / count
        mean_r = sums_r.sum(axis=0) / count
    return pd.DataFrame({"size_bin": names, "area_min": area_min, "area_max": area_max, "n_objects": count,
                         "acc_baseline": mean_b, "acc_refined": mean_r, "gain": mean_r - mean_b})


def object_size_counts(instances: LabelVideos, gt: LabelVideos, pred: LabelVideos, bins: Sequence[int], *,
                       ignore_index: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """Summed object accuracies and object counts of every video per size bin: :func:`gain_by_object_size`
    before pooling, for one prediction.

    Parameters
    ----------
    instances, gt, bins, ignore_index : as in :func:`gain_by_object_size`.
    pred : same structure and shapes as ``gt``
        The prediction scored.

    Returns
    -------
    accuracy_sum : (V, K) float64
        Per video and bin (K = ``len(bins) + 1``), the sum over the bin's objects of each object's share of
        correctly predicted pixels.
    objects : (V, K) int64
        The number of objects (instance x frame) in the bin. The mean accuracy of any set of videos is the
        ratio of their sums.
    """
    edges, *_ = _size_bins(bins)
    triples = _paired({"instances": instances, "gt": gt, "pred": pred})
    sums = np.zeros((len(triples), edges.size + 1))
    objects = np.zeros((len(triples), edges.size + 1), np.int64)
    for v, (inst, labels, labels_pred) in enumerate(triples):
        scored = (inst > 0) & (labels != ignore_index)
        # One key per (frame, instance): instances first appear in frame order, and ids are per video.
        frame = np.nonzero(scored)[0]
        key = frame.astype(np.int64) * (int(inst.max()) + 1) + inst[scored]
        _, obj = np.unique(key, return_inverse=True)
        n = int(obj.max()) + 1 if obj.size else 0
        area = np.bincount(obj, minlength=n)
        accuracy = np.bincount(obj[labels_pred[scored] == labels[scored]], minlength=n) / np.maximum(area, 1)
        which = np.digitize(area, edges)  # bin k: edges[k-1] <= area < edges[k]
        objects[v] = np.bincount(which, minlength=edges.size + 1)
        sums[v] = np.bincount(which, weights=accuracy, minlength=edges.size + 1)
    return sums, objects


def size_bins(bins: Sequence[int]) -> pd.DataFrame:
    """The size bins of :func:`gain_by_object_size` and :func:`object_size_counts` for these edges.

    Returns
    -------
    DataFrame[size_bin, area_min, area_max]
        One row per bin (``len(bins) + 1``): its name and smallest and largest area in pixels (inf for the
        last).
    """
    _, names, area_min, area_max = _size_bins(bins)
    return pd.DataFrame({"size_bin": names, "area_min": area_min, "area_max": area_max})


def _size_bins(bins: Sequence[int]) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """Checked bin edges, the bins' names, smallest and largest areas (inf for the last)."""
    edges = np.asarray([_positive_int(b, "bin edge") for b in bins], np.int64)
    if edges.size and np.any(np.diff(edges) <= 0):
        raise ParameterError(f"bins={list(bins)} must increase strictly")
    area_min = np.concatenate([[0], edges])
    area_max = np.concatenate([edges - 1, [np.inf]])
    names = [f"{lo}-{hi:.0f}" for lo, hi in zip(area_min, area_max, strict=True)]
    names[-1] = f">= {area_min[-1]}" if edges.size else "all"
    if edges.size:
        names[0] = f"< {edges[0]}"
    return edges, names, area_min, area_max


# -------------------------------------------------------------------------------------------- time
# ------------------------------------------------------------------------------------ over seeds and videos
class _VideoMaps(Protocol):
    """What :func:`collect_boundary_counts` reads of one video's run (a :class:`vsslib.study.VideoRun`)."""

    gt: np.ndarray
    objects: np.ndarray
    baseline: np.ndarray
    refined: np.ndarray


Ratio = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)  # holds arrays
class BoundaryCounts:
    """The counts of every pooled boundary analysis, per seed and video, ready for
    :func:`vsslib.study.tables.ratio_rows`: each attribute maps a method (``"baseline"``, ``"refined (<source>)"``)
    to ``(numerators, denominators)`` stacked to (S, V, ...).

    Attributes
    ----------
    band : :func:`biou_counts_by_dilation` per ratio, (S, V, R, C) band intersections and unions.
    trimap : :func:`trimap_counts` per width, (S, V, W) correct and scored pixels.
    size : :func:`object_size_counts` per size bin, (S, V, K) summed accuracies and objects.
    vc, vcc : summed VC_n (VCc_n) window scores and windows, (S, V, 1) (baseline: from the first source's run).
    steadier : windows where the refined map is steadier than the baseline, and windows, (S, V, 1).
    windows : VC_n of every window with the first source's masklets
        (:func:`~vsslib.analysis.consistency.consistency_over_time`), with a ``seed`` column.
    frame_shape : (H, W) of the frames (of the last video).
    """

    band: dict[str, Ratio]
    trimap: dict[str, Ratio]
    size: dict[str, Ratio]
    vc: dict[str, Ratio]
    vcc: dict[str, Ratio]
    steadier: dict[str, Ratio]
    windows: pd.DataFrame
    frame_shape: tuple[int, int]


def collect_boundary_counts(load: Callable[[int, str, str], _VideoMaps], seeds: Sequence[int],
                            videos: Sequence[str], sources: Sequence[str], num_classes: int, *,
                            ratios: Sequence[float], widths: Sequence[int], bins: Sequence[int],
                            vc_length: int = 8, bands_only: bool = False) -> BoundaryCounts:
    """Every boundary analysis's per-video counts, for each training seed, video and masklet source.

    Parameters
    ----------
    load : ``load(seed, source, video)`` -> the video's run with that source (``gt``, ``objects``,
        ``baseline``, ``refined`` (T, H, W) arrays), e.g. ``lambda seed, source, video:
        study.video_run(baseline, source, video, train_seed=seed)``. The baseline map and ground truth are
        taken from the last source's run (they do not depend on the source).
    seeds, videos, sources : what to collect; the first source's runs give the per-window consistency table.
    num_classes : classes of the dataset.
    ratios, widths, bins : band dilation ratios, trimap widths, object-size bin edges (see the analyses).
    vc_length : window length n of VC_n.
    bands_only : collect the band and trimap counts alone (``size``, ``vc``, ``vcc`` and ``steadier`` left empty,
        ``windows`` without rows): what a second network's check of the verdicts reads.
    """
    if not seeds or not videos or not sources:
        raise ParameterError(f"collect_boundary_counts needs seeds, videos and sources, got {len(seeds)} seeds, "
                             f"{len(videos)} videos and {len(sources)} sources")
    methods = ["baseline", *(f"refined ({source})" for source in sources)]
    counts: dict[str, dict[str, list[tuple[np.ndarray, ...]]]] = defaultdict(lambda: defaultdict(list))
    windows = []
    for seed in seeds:
        gts, objects, maps = [], [], {method: [] for method in methods}
        for video in videos:
            for source in sources:
                run = load(seed, source, video)
                maps[f"refined ({source})"].append(run.refined)
            maps["baseline"].append(run.baseline)
            gts.append(run.gt)
            objects.append(run.objects)
            frame_shape = (int(run.gt.shape[1]), int(run.gt.shape[2]))
        for method, preds in maps.items():
            counts["band"][method].append(biou_counts_by_dilation(gts, preds, num_classes, ratios))
            counts["trimap"][method].append(trimap_counts(gts, preds, widths))
            if not bands_only:
                counts["size"][method].append(object_size_counts(objects, gts, preds, bins))
        for source in sources if not bands_only else ():
            vc = consistency_over_time(gts, maps["baseline"], maps[f"refined ({source})"], vc_length,
                                       videos=list(videos))
            per_video = consistency_counts(vc, videos)
            total = per_video[["windows"]].to_numpy()  # (V, 1)
            if source == sources[0]:
                windows.append(vc.assign(seed=seed))
                counts["vc"]["baseline"].append((per_video[["vc_baseline_sum"]].to_numpy(), total))
                counts["vcc"]["baseline"].append((per_video[["vcc_baseline_sum"]].to_numpy(), total))
            counts["vc"][f"refined ({source})"].append((per_video[["vc_refined_sum"]].to_numpy(), total))
            counts["vcc"][f"refined ({source})"].append((per_video[["vcc_refined_sum"]].to_numpy(), total))
            counts["steadier"][f"refined ({source})"].append((per_video[["refined_better"]].to_numpy(), total))
        del gts, objects, maps

    def stacked(analysis: str) -> dict[str, Ratio]:
        return {method: tuple(np.stack(side) for side in zip(*per_seed))  # type: ignore[misc]
                for method, per_seed in counts[analysis].items()}

    return BoundaryCounts(band=stacked("band"), trimap=stacked("trimap"), size=stacked("size"), vc=stacked("vc"),
                          vcc=stacked("vcc"), steadier=stacked("steadier"),
                          windows=pd.concat(windows, ignore_index=True) if windows else pd.DataFrame(),
                          frame_shape=frame_shape)
