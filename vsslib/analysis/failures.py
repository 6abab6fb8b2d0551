"""Failure cases of the refiner, found automatically and sorted into causes the code detects.

A damaged pixel is one the baseline got right and the refinement got wrong. Each damaged pixel lies in a
masklet (refinement changes nothing elsewhere) and gets one cause, tested in this order:

1. ``late_entry``: its ground-truth object was not in view at the window's key frame (it entered
   mid-window), so no masklet was proposed for it and another object's masklet swallowed it until the
   next key frame.
2. ``small_or_thin``: its object is small (fewer than ``small_area`` pixels in the frame) or thin (no pixel
   farther than ``thin_width`` from its edge), and it lies in the masklet of another object: it fell
   between the proposals and a larger masklet absorbed it.
3. ``drift``: its masklet covered one object at the key frame (more than half of the masklet on it) and
   has slid off it since (less than ``drift_overlap`` of the masklet on that object now).
4. ``spanning``: its masklet covers several classes (gt purity over the window below ``purity``), so the
   majority vote overwrote the minority class.
5. ``wrong_majority``: the masklet sits on one class, but the network got most of it wrong, so the vote
   spread the network's mistake over the pixels it had right.

The mIoU a cause costs is mIoU(refined, with that cause's damaged pixels set back to the baseline) minus
mIoU(refined), computed exactly from confusion tables accumulated over every video.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import pandas as pd

from ..metrics import confusion_matrix, iou_from_confusion

__all__ = ["CAUSES", "FailureSettings", "FailureReport", "diagnose_video", "summarise_failures"]

CAUSES = ("late_entry", "small_or_thin", "drift", "spanning", "wrong_majority")


@dataclass(frozen=True)
class FailureSettings:
    window: int = 32  # the masklet window of the run
    small_area: int = 150  # px: objects smaller than this in a frame are "small"
    thin_width: float = 2.0  # px: objects whose inscribed radius is at most this are "thin"
    drift_overlap: float = 0.5
    purity: float = 0.8


@dataclass
class FailureReport:
    """Per-video findings, mergeable."""

    num_classes: int
    confusion: np.ndarray  # refined confusion (C, C+1)
    delta: dict[str, np.ndarray]  # per cause: confusion change when its damaged pixels get the baseline back
    pixels: dict[str, int]
    events: dict[str, int]  # (masklet, frame) pairs with damage of this cause
    examples: list[dict] = field(default_factory=list)  # video, frame, cause, masklet, damaged pixels

    def merge(self, other: FailureReport) -> FailureReport:
        self.confusion = self.confusion + other.confusion
        for cause in CAUSES:
            self.delta[cause] = self.delta[cause] + other.delta[cause]
            self.pixels[cause] += other.pixels[cause]
            self.events[cause] += other.events[cause]
        self.examples += other.examples
        return self


def _object_stats(instances: np.ndarray, settings: FailureSettings) -> np.ndarray:
    """(T, H, W) bool: whether the object (instance, frame) under each pixel is small or thin."""
    t = instances.shape[0]
    small_or_thin = np.zeros(instances.shape, bool)
    for f in range(t):
        ids, inverse, counts = np.unique(instances[f], return_inverse=True, return_counts=True)
        inverse = inverse.reshape(instances.shape[1:])
        # inscribed radius per object: max of the distance to its own edge
        edge = np.ones(instances.shape[1:], np.uint8)
        frame_ids = instances[f]
        edge[:, 1:] &= (frame_ids[:, 1:] == frame_ids[:, :-1])
        edge[1:, :] &= (frame_ids[1:, :] == frame_ids[:-1, :])
        distance = cv2.distanceTransform(edge, cv2.DIST_L2, 3)
        radius = np.zeros(len(ids), np.float32)
        np.maximum.at(radius, inverse.ravel(), distance.ravel())
        small_or_thin[f] = ((counts < settings.small_area) | (radius <= settings.thin_width))[inverse]
    return small_or_thin


def diagnose_video(name: str, gt: np.ndarray, instances: np.ndarray, baseline: np.ndarray, refined: np.ndarray,
                   masklets: np.ndarray, num_classes: int, settings: FailureSettings = FailureSettings(),
                   *, max_examples: int = 3) -> FailureReport:
    """Sort one video's damaged pixels into causes (arrays: (T, H, W); instances 0 = none)."""
    t = gt.shape[0]
    known = gt != 255
    damaged = known & (baseline == gt) & (refined != gt) & (masklets >= 0)
    key_of = (np.arange(t) // settings.window) * settings.window
    # 1. late entry: the object's first frame comes after the key frame of the window it is seen in
    first_seen = {}
    for f in range(t):
        for i in np.unique(instances[f]):
            first_seen.setdefault(int(i), f)
    inst_ids = np.array(sorted(first_seen), np.int64)
    first = np.array([first_seen[i] for i in inst_ids], np.int64)
    first_px = first[np.searchsorted(inst_ids, instances)]
    late = (first_px > key_of[:, None, None]) & (instances > 0)
    # 2. small or thin objects
    # 3. drift and 4. spanning: per (masklet, window) statistics
    drift = np.zeros(gt.shape, bool)
    spanning = np.zeros(gt.shape, bool)
    foreign = np.zeros(gt.shape, bool)  # the pixel's masklet belongs to another object (at its key frame)
    for start in range(0, t, settings.window):
        sl = slice(start, min(start + settings.window, t))
        m, g, inst = masklets[sl], gt[sl], instances[sl]
        valid = m >= 0
        mids, minv = np.unique(m[valid], return_inverse=True)
        if not len(mids):
            continue
        n = len(mids)
        cls = np.where(g[valid] == 255, num_classes, g[valid]).astype(np.int64)
        table = np.bincount(minv * (num_classes + 1) + cls, minlength=n * (num_classes + 1)).reshape(n, -1)
        labelled = table[:, :num_classes].sum(axis=1)
        purity = np.where(labelled > 0, table[:, :num_classes].max(axis=1) / np.maximum(labelled, 1), 1.0)
        spanning[sl][valid] = (purity < settings.purity)[minv]
        # the instance each masklet covered at the key frame
        key_valid = m[0] >= 0
        kidx = np.searchsorted(mids, m[0][key_valid])
        kinst = inst[0][key_valid].astype(np.int64)
        iids, iinv = np.unique(kinst, return_inverse=True)
        cover = np.bincount(kidx * len(iids) + iinv, minlength=n * len(iids)).reshape(n, len(iids))
        key_area = np.bincount(kidx, minlength=n)
        owner = np.where(cover.max(axis=1) > 0.5 * np.maximum(key_area, 1), iids[cover.argmax(axis=1)], -1)
        # share of the masklet on its key-frame object in each frame
        frames_idx = np.broadcast_to(np.arange(m.shape[0])[:, None, None], m.shape)[valid]
        on_owner = (inst[valid] == owner[minv]) & (owner[minv] >= 0)
        pair = frames_idx * n + minv
        area = np.bincount(pair, minlength=m.shape[0] * n)
        hit = np.bincount(pair, weights=on_owner, minlength=m.shape[0] * n)
        share = np.where(area > 0, hit / np.maximum(area, 1), 1.0)
        drifted = (share < settings.drift_overlap) & (owner[np.arange(m.shape[0] * n) % n] >= 0)
        drift[sl][valid] = drifted[pair]
        foreign[sl][valid] = owner[minv] != inst[valid]
    late &= foreign
    small = _object_stats(instances, settings) & (instances > 0) & foreign
    cause_index = np.full(gt.shape, len(CAUSES) - 1, np.int64)
    for k, flag in reversed(list(enumerate([late, small, drift, spanning]))):
        cause_index = np.where(flag, k, cause_index)
    confusion = confusion_matrix(gt, refined, num_classes)
    delta, pixels, events, examples = {}, {}, {}, []
    frame_of = np.broadcast_to(np.arange(t)[:, None, None], gt.shape)
    for k, cause in enumerate(CAUSES):
        sel = damaged & (cause_index == k)
        pixels[cause] = int(sel.sum())
        delta[cause] = (confusion_matrix(gt[sel], baseline[sel], num_classes)
                        - confusion_matrix(gt[sel], refined[sel], num_classes))
        pairs, counts = np.unique(np.stack([frame_of[sel], masklets[sel]]), axis=1, return_counts=True)
        events[cause] = int(pairs.shape[1])
        for j in np.argsort(-counts, kind="stable")[:max_examples]:
            examples.append({"video": name, "frame": int(pairs[0, j]), "cause": cause, "masklet": int(pairs[1, j]),
                             "pixels": int(counts[j])})
    return FailureReport(num_classes, confusion, delta, pixels, events, examples)


def summarise_failures(report: FailureReport) -> pd.DataFrame:
    """DataFrame[cause, events, damaged_pixels, miou_cost] (mIoU points lost to each cause)."""
    base_miou, _ = iou_from_confusion(report.confusion)
    rows = []
    for cause in CAUSES:
        restored, _ = iou_from_confusion(report.confusion + report.delta[cause])
        rows.append({"cause": cause, "events": report.events[cause], "damaged_pixels": report.pixels[cause],
                     "miou_cost": 100 * (restored - base_miou)})
    return pd.DataFrame(rows)
