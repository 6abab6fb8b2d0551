"""Counts of every metric for a set of videos, mergeable and exact (for per-video caching and executors).

A :class:`MetricAccumulator` keeps only integers: the confusion table, the band intersections and unions,
and each VC window's numerator and denominator. Merging adds tables and concatenates window lists, and
:meth:`result` averages the windows with ``math.fsum`` (exactly rounded), so the result is identical to
the last digit whatever the order in which videos were merged or which executor computed them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .boundary import biou_from_counts, boundary_counts
from .consistency import consistency_counts
from .iou import confusion_matrix, iou_from_confusion

__all__ = ["MetricAccumulator"]


class MetricAccumulator:
    """Accumulates mIoU, mBIoU and mVC_n counts over videos.

    Parameters
    ----------
    num_classes : C.
    dilation_ratio : Boundary IoU band ratio.
    vc_lengths : window lengths n of the VC_n metrics.
    ignore_index : ignored ground-truth value.
    """

    def __init__(self, num_classes: int, *, dilation_ratio: float = 0.02, vc_lengths: tuple[int, ...] = (8, 16),
                 ignore_index: int = 255) -> None:
        self.num_classes = num_classes
        self.dilation_ratio = dilation_ratio
        self.vc_lengths = tuple(vc_lengths)
        self.ignore_index = ignore_index
        self.confusion = np.zeros((num_classes, num_classes + 1), np.int64)
        self.band_inter = np.zeros(num_classes, np.int64)
        self.band_union = np.zeros(num_classes, np.int64)
        self.vc_num = {n: np.zeros(0, np.int64) for n in self.vc_lengths}
        self.vc_den = {n: np.zeros(0, np.int64) for n in self.vc_lengths}
        self.frames = 0

    def update(self, gt: np.ndarray, pred: np.ndarray) -> MetricAccumulator:
        """Add one video: gt and pred are (T, H, W) label maps (255 = ignore in gt)."""
        self.confusion += confusion_matrix(gt, pred, self.num_classes, self.ignore_index)
        inter, union = boundary_counts(gt, pred, self.num_classes, self.dilation_ratio, self.ignore_index)
        self.band_inter += inter
        self.band_union += union
        for n in self.vc_lengths:
            num, den = consistency_counts(gt, pred, n)
            self.vc_num[n] = np.concatenate([self.vc_num[n], num])
            self.vc_den[n] = np.concatenate([self.vc_den[n], den])
        self.frames += int(np.asarray(gt).shape[0])
        return self

    def merge(self, other: MetricAccumulator) -> MetricAccumulator:
        """Add ``other``'s counts (same settings) to this accumulator and return it."""
        if (other.num_classes, other.dilation_ratio, other.vc_lengths, other.ignore_index) != (
                self.num_classes, self.dilation_ratio, self.vc_lengths, self.ignore_index):
            raise ValueError("cannot merge accumulators made with different settings")
        self.confusion += other.confusion
        self.band_inter += other.band_inter
        self.band_union += other.band_union
        for n in self.vc_lengths:
            self.vc_num[n] = np.concatenate([self.vc_num[n], other.vc_num[n]])
            self.vc_den[n] = np.concatenate([self.vc_den[n], other.vc_den[n]])
        self.frames += other.frames
        return self

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The counts as a dict of integer arrays (``np.savez``-able)."""
        out = {"confusion": self.confusion, "band_inter": self.band_inter, "band_union": self.band_union,
               "frames": np.array(self.frames, np.int64),
               "settings": np.array([self.num_classes, self.ignore_index], np.int64),
               "dilation_ratio": np.array(self.dilation_ratio, np.float64),
               "vc_lengths": np.array(self.vc_lengths, np.int64)}
        for n in self.vc_lengths:
            out[f"vc{n}_num"] = self.vc_num[n]
            out[f"vc{n}_den"] = self.vc_den[n]
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> MetricAccumulator:
        """Inverse of :meth:`to_arrays`."""
        num_classes, ignore_index = (int(v) for v in arrays["settings"])
        acc = cls(num_classes, dilation_ratio=float(arrays["dilation_ratio"]),
                  vc_lengths=tuple(int(n) for n in arrays["vc_lengths"]), ignore_index=ignore_index)
        acc.confusion = np.array(arrays["confusion"], np.int64)
        acc.band_inter = np.array(arrays["band_inter"], np.int64)
        acc.band_union = np.array(arrays["band_union"], np.int64)
        acc.frames = int(arrays["frames"])
        for n in acc.vc_lengths:
            acc.vc_num[n] = np.array(arrays[f"vc{n}_num"], np.int64)
            acc.vc_den[n] = np.array(arrays[f"vc{n}_den"], np.int64)
        return acc

    def mean_vc(self, n: int) -> float:
        """mVC_n: the mean over all windows (NaN windows left out), exactly rounded."""
        num, den = self.vc_num[n], self.vc_den[n]
        keep = den > 0
        if not keep.any():
            return float("nan")
        return math.fsum((num[keep] / den[keep]).tolist()) / int(keep.sum())

    def result(self) -> dict[str, object]:
        """``miou`` (mmseg convention), ``miou_present`` (VSPW's), ``mbiou``, ``mvc<n>`` and per-class lists."""
        miou, iou = iou_from_confusion(self.confusion, average="union")
        miou_present, _ = iou_from_confusion(self.confusion, average="present")
        boundary = biou_from_counts(self.band_inter, self.band_union)
        out: dict[str, object] = {"miou": miou, "miou_present": miou_present, "mbiou": boundary["mbiou"],
                                  "iou": iou.tolist(), "biou": boundary["biou"].tolist(), "frames": self.frames}
        for n in self.vc_lengths:
            out[f"mvc{n}"] = self.mean_vc(n)
        return out
