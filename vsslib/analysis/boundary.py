"""Where the refiner's gain comes from: boundary bands of growing width, classes, object sizes, time.

All counts are accumulated over frames and videos before dividing, like the metrics.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import pandas as pd

from ..metrics import boundary_counts, biou_from_counts, consistency_counts

__all__ = ["biou_by_dilation", "distance_to_boundary", "trimap_accuracy", "per_class_table",
           "gain_by_object_size", "consistency_over_time"]


def biou_by_dilation(gts: Sequence[np.ndarray], preds: Sequence[np.ndarray], num_classes: int,
                     ratios: Sequence[float]) -> pd.DataFrame:
    """mBIoU for each dilation ratio: DataFrame[ratio, mbiou] (gts, preds: per-video (T, H, W) maps)."""
    rows = []
    for ratio in ratios:
        inter = np.zeros(num_classes, np.int64)
        union = np.zeros(num_classes, np.int64)
        for gt, pred in zip(gts, preds, strict=True):
            i, u = boundary_counts(gt, pred, num_classes, ratio)
            inter += i
            union += u
        mbiou, _ = biou_from_counts(inter, union)
        rows.append({"ratio": float(ratio), "mbiou": mbiou})
    return pd.DataFrame(rows)


def distance_to_boundary(gt: np.ndarray) -> np.ndarray:
    """(H, W) float32 Euclidean distance of each pixel to the nearest ground-truth class edge.

    Edge pixels are those with a 4-neighbour of another value (ignore included), distance 0.
    """
    edge = np.zeros(gt.shape, bool)
    edge[:, 1:] |= gt[:, 1:] != gt[:, :-1]
    edge[:, :-1] |= gt[:, 1:] != gt[:, :-1]
    edge[1:, :] |= gt[1:, :] != gt[:-1, :]
    edge[:-1, :] |= gt[1:, :] != gt[:-1, :]
    if not edge.any():
        return np.full(gt.shape, np.inf, np.float32)
    return cv2.distanceTransform((~edge).astype(np.uint8), cv2.DIST_L2, 5)


def trimap_accuracy(gts: Sequence[np.ndarray], preds: Sequence[np.ndarray], widths: Sequence[float],
                    ignore_index: int = 255) -> pd.DataFrame:
    """Pixel accuracy inside the band of pixels within ``w`` (Euclidean) of a gt boundary, for each ``w``.

    Returns
    -------
    DataFrame[width, accuracy, pixels].
    """
    widths = np.asarray(widths, np.float64)
    correct = np.zeros(len(widths), np.int64)
    total = np.zeros(len(widths), np.int64)
    for gt_video, pred_video in zip(gts, preds, strict=True):
        for gt, pred in zip(gt_video, pred_video, strict=True):
            distance = distance_to_boundary(gt)
            known = gt != ignore_index
            right = (pred == gt) & known
            # cumulative counts over sorted distances: one histogram per frame
            bins = np.searchsorted(widths, distance[known], side="left")  # first width >= distance
            hist_total = np.bincount(bins, minlength=len(widths) + 1)[: len(widths)]
            hist_right = np.bincount(bins[right[known]], minlength=len(widths) + 1)[: len(widths)]
            total += np.cumsum(hist_total)
            correct += np.cumsum(hist_right)
    accuracy = np.where(total > 0, correct / np.maximum(total, 1), np.nan)
    return pd.DataFrame({"width": widths, "accuracy": accuracy, "pixels": total})


def per_class_table(baseline: dict, refined: dict, class_names: Sequence[str]) -> pd.DataFrame:
    """IoU and BIoU per class of two metrics dicts (as :func:`vsslib.pipeline.run_refine` returns)."""
    table = pd.DataFrame({"class": list(class_names), "iou_baseline": baseline["iou"], "iou_refined": refined["iou"],
                          "biou_baseline": baseline["biou"], "biou_refined": refined["biou"]})
    for key in ("iou", "biou"):
        table[f"{key}_gain"] = table[f"{key}_refined"] - table[f"{key}_baseline"]
    return table


def gain_by_object_size(instances: Sequence[np.ndarray], gts: Sequence[np.ndarray], baselines: Sequence[np.ndarray],
                        refined: Sequence[np.ndarray], bins: Sequence[float], ignore_index: int = 255) -> pd.DataFrame:
    """Pixel accuracy of each method on each ground-truth object (instance x frame), binned by its area.

    Returns
    -------
    DataFrame[size_bin, n_objects, acc_baseline, acc_refined, gain]: accuracies are means over objects.
    """
    sizes, acc_b, acc_r = [], [], []
    for inst_v, gt_v, base_v, ref_v in zip(instances, gts, baselines, refined, strict=True):
        t = inst_v.shape[0]
        valid = (gt_v != ignore_index) & (inst_v > 0)
        _, index = np.unique(inst_v[valid], return_inverse=True)
        frame = np.broadcast_to(np.arange(t)[:, None, None], inst_v.shape)[valid]
        key = frame * (index.max() + 1 if index.size else 1) + index
        uniq, key_index = np.unique(key, return_inverse=True)
        area = np.bincount(key_index)
        right_b = np.bincount(key_index, weights=(base_v[valid] == gt_v[valid]))
        right_r = np.bincount(key_index, weights=(ref_v[valid] == gt_v[valid]))
        sizes.append(area)
        acc_b.append(right_b / area)
        acc_r.append(right_r / area)
    sizes = np.concatenate(sizes)
    acc_b = np.concatenate(acc_b)
    acc_r = np.concatenate(acc_r)
    edges = np.asarray(bins, np.float64)
    which = np.digitize(sizes, edges)
    rows = []
    for k in range(len(edges) + 1):
        sel = which == k
        if not sel.any():
            continue
        low = 0 if k == 0 else int(edges[k - 1])
        label = f">= {low}" if k == len(edges) else f"{low}-{int(edges[k]) - 1}"
        rows.append({"size_bin": label, "n_objects": int(sel.sum()), "acc_baseline": float(acc_b[sel].mean()),
                     "acc_refined": float(acc_r[sel].mean()), "gain": float((acc_r[sel] - acc_b[sel]).mean())})
    return pd.DataFrame(rows)


def consistency_over_time(videos: Sequence[str], gts: Sequence[np.ndarray], baselines: Sequence[np.ndarray],
                          refined: Sequence[np.ndarray], n: int) -> pd.DataFrame:
    """VC_n of every window: DataFrame[video, window_start, vc_baseline, vc_refined]."""
    rows = []
    for name, gt, base, ref in zip(videos, gts, baselines, refined, strict=True):
        nb, db = consistency_counts(gt, base, (n,))[n]
        nr, dr = consistency_counts(gt, ref, (n,))[n]
        for start in range(len(db)):
            rows.append({"video": name, "window_start": start,
                         "vc_baseline": nb[start] / db[start] if db[start] else np.nan,
                         "vc_refined": nr[start] / dr[start] if dr[start] else np.nan})
    return pd.DataFrame(rows)
