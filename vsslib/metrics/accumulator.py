"""Every metric of a set of videos, accumulated as exact counts (for per-video caching and parallel runs).

A :class:`MetricAccumulator` holds integers only: the confusion table (mIoU), the per-class band
intersections and unions (Boundary IoU) and each VC_n window's numerator and denominator, with the window's
numerator of correct consistency VCc_n (VC_n that also asks for the right class; same denominator, counted in
the same pass, see :mod:`.consistency`). Merging adds the
tables and pools the window lists; :meth:`MetricAccumulator.result` averages the window scores with
``math.fsum``, which rounds the exact sum once, so the result is the same to the last digit whatever the order
in which videos were added or merged and whichever executor counted them. Definitions: :mod:`.iou`,
:mod:`.boundary`, :mod:`.consistency`.

The window lists keep one entry per window, so a video's windows can be told apart when its counts are
kept per video (``to_arrays`` of an accumulator that saw one video), for example for a bootstrap over videos.
Every setting that shapes the counts (``num_classes``, ``dilation_ratio``, ``vc_lengths``, ``vc_windows``,
``ignore_index``) is in :attr:`MetricAccumulator.settings` and in :meth:`MetricAccumulator.to_arrays`:
counts made with other settings are never merged, and :meth:`MetricAccumulator.from_arrays` rejects arrays
that lack a setting. So is ``vc_measures`` (:data:`CONSISTENCY_MEASURES`, the consistency measures whose window
counts the arrays hold): it is part of the per-video metric cache's key, so counts cached before VCc_n was
counted are recomputed, and ``from_arrays`` rejects arrays without it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..base.errors import DataError, ParameterError
from ._checks import (check_ground_truth, check_integer, check_lengths, check_num_classes, check_ratio,
                      check_same_shape)
from .boundary import biou_from_counts, count_bands
from .consistency import ConsistencyWindows, consistency_and_correct_counts, parse_windows
from .iou import Average, count_confusion, iou_from_confusion

__all__ = ["MetricAccumulator", "CONSISTENCY_MEASURES"]

CONSISTENCY_MEASURES = ("vc", "vcc")
"""The consistency measures whose window counts an accumulator keeps: VSPW's VC_n (``mvc<n>``) and correct
consistency VCc_n (``mvcc<n>``). A setting of the counts (``settings["vc_measures"]``), so a change of what is
counted changes the metric cache's key."""


class MetricAccumulator:
    """Exact, mergeable counts of mIoU, mBIoU, mVC_n and mVCc_n over videos.

    Parameters
    ----------
    num_classes : int
        C.
    dilation_ratio : float
        Boundary IoU band width as a ratio of the frame diagonal.
    vc_lengths : sequence of int
        Window lengths n of the reported mVC_n.
    vc_windows : {"vspw", "all"}
        Which windows VC_n scores: ``"vspw"`` (default) those of VSPW's ``VC_perclip.py`` (starts
        0 .. T-n-1, no window in a video of T <= n frames), ``"all"`` every full window (starts 0 .. T-n);
        see :mod:`vsslib.metrics.consistency`.
    ignore_index : int
        Ground-truth value left out of mIoU and Boundary IoU. VC leaves nothing out: it compares values,
        ignore included (the raw mask values when :meth:`update` gets ``raw_gt``). VCc_n counts a pixel whose
        label is ``ignore_index`` as correct in that frame (no class to be wrong about).

    Examples
    --------
    >>> total = MetricAccumulator(124)
    >>> for gt, pred in videos:                      # doctest: +SKIP
    ...     total.update(gt, pred)                   # (T, H, W) label maps of one video
    >>> total.result()["miou"]                       # doctest: +SKIP
    """

    def __init__(self, num_classes: int, *, dilation_ratio: float = 0.02, vc_lengths: Sequence[int] = (8, 16),
                 vc_windows: ConsistencyWindows | str = ConsistencyWindows.VSPW, ignore_index: int = 255) -> None:
        self.num_classes = check_num_classes(num_classes)
        check_ratio(dilation_ratio)
        self.dilation_ratio = float(dilation_ratio)
        self.vc_lengths = check_lengths(vc_lengths)
        self.vc_windows = parse_windows(vc_windows)
        self.ignore_index = int(ignore_index)
        self.confusion = np.zeros((self.num_classes, self.num_classes + 1), np.int64)  # see confusion_matrix
        self.band_intersection = np.zeros(self.num_classes, np.int64)
        self.band_union = np.zeros(self.num_classes, np.int64)
        self.frames = 0
        # per window length: the VC numerator, VCc numerator and denominator arrays of each added video, pooled
        # at the end
        self._windows: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {n: [] for n in self.vc_lengths}

    # ------------------------------------------------------------------------------------------ adding
    def update(self, gt: np.ndarray, pred: np.ndarray, *, raw_gt: np.ndarray | None = None) -> MetricAccumulator:
        """Add one video.

        Parameters
        ----------
        gt : (T, H, W) integer array
            Ground truth, classes ``0..C-1`` and ``ignore_index``.
        pred : (T, H, W) integer array
            Prediction; values outside ``0..C-1`` are misses.
        raw_gt : (T, H, W) integer array, optional
            The same video's ground truth as stored in the mask files, before any remap (VSPW: 0 "others",
            1..C, 255 void). VC_n compares these values, as ``VC_perclip.py`` does (and VCc_n takes its G
            from them); mIoU, Boundary IoU and VCc_n's correctness use ``gt``. Default ``gt``, which gives the
            same VC_n unless a pixel switches between two raw values that the remap merges (VSPW: 0 and 255).

        Returns
        -------
        MetricAccumulator
            ``self``, so that ``MetricAccumulator(C).update(gt, pred).to_arrays()`` reads as one line.
        """
        gt, pred = np.asarray(gt), np.asarray(pred)
        check_same_shape(gt, pred, "MetricAccumulator.update")
        if gt.ndim != 3:
            raise ParameterError(f"MetricAccumulator.update takes one video's (T, H, W) label maps, got shape "
                                 f"{gt.shape}; add a frame as gt[None]")
        check_integer(gt, "MetricAccumulator.update")
        check_integer(pred, "MetricAccumulator.update")
        check_ground_truth(gt, self.num_classes, self.ignore_index, "MetricAccumulator.update")
        if raw_gt is None:
            raw_gt = gt
        else:
            raw_gt = np.asarray(raw_gt)
            if raw_gt.shape != gt.shape:
                raise ParameterError(f"MetricAccumulator.update: raw ground truth of shape {raw_gt.shape} differs "
                                     f"from the ground truth {gt.shape}; pass the same video's mask values")
            check_integer(raw_gt, "MetricAccumulator.update (raw_gt)")
        self.confusion += count_confusion(gt, pred, self.num_classes, self.ignore_index)
        intersection, union = count_bands(gt, pred, self.num_classes, self.dilation_ratio, self.ignore_index)
        self.band_intersection += intersection
        self.band_union += union
        vc_counts = consistency_and_correct_counts(raw_gt, pred, self.vc_lengths, windows=self.vc_windows, truth=gt,
                                                   ignore_index=self.ignore_index)
        for n, window_counts in vc_counts.items():
            self._windows[n].append(window_counts)
        self.frames += gt.shape[0]
        return self

    def merge(self, other: MetricAccumulator) -> MetricAccumulator:
        """Add the counts of ``other`` (made with the same settings) to this accumulator; returns ``self``."""
        if not isinstance(other, MetricAccumulator):
            raise ParameterError(f"can only merge a MetricAccumulator, got {type(other).__name__}")
        if other.settings != self.settings:
            raise ParameterError(f"cannot merge counts made with {other.settings} into counts made with "
                                 f"{self.settings}")
        self.confusion += other.confusion
        self.band_intersection += other.band_intersection
        self.band_union += other.band_union
        for n in self.vc_lengths:
            self._windows[n].extend(other._windows[n])
        self.frames += other.frames
        return self

    @property
    def settings(self) -> dict[str, object]:
        """The constructor arguments, and ``vc_measures``: the consistency measures counted
        (:data:`CONSISTENCY_MEASURES`)."""
        return {"num_classes": self.num_classes, "dilation_ratio": self.dilation_ratio, "vc_lengths": self.vc_lengths,
                "vc_windows": self.vc_windows.value, "ignore_index": self.ignore_index,
                "vc_measures": CONSISTENCY_MEASURES}

    def windows(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Pooled VC_n window counts: (numerators, denominators), each (number of windows,) int64."""
        numerators, _, denominators = self._pooled(n)
        return numerators, denominators

    def correct_windows(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Pooled VCc_n window counts: (numerators ``|G & P & C|``, denominators ``|G|``), each (number of
        windows,) int64; the denominators are :meth:`windows`' and the numerators at most its numerators."""
        _, correct, denominators = self._pooled(n)
        return correct, denominators

    def _pooled(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if n not in self._windows:
            raise ParameterError(f"n={n!r} is not one of the accumulated window lengths {self.vc_lengths}")
        parts = self._windows[n]
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        return tuple(np.concatenate([part[k] for part in parts]) for k in range(3))  # type: ignore[return-value]

    # ---------------------------------------------------------------------------------------- caching
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Settings and counts as a flat dict of arrays, for ``np.savez`` and :meth:`from_arrays`."""
        arrays = {"num_classes": np.array(self.num_classes, np.int64),
                  "dilation_ratio": np.array(self.dilation_ratio, np.float64),
                  "vc_lengths": np.array(self.vc_lengths, np.int64).reshape(-1),
                  "vc_windows": np.array(self.vc_windows.value),
                  "ignore_index": np.array(self.ignore_index, np.int64),
                  "vc_measures": np.array(CONSISTENCY_MEASURES),
                  "frames": np.array(self.frames, np.int64),
                  "confusion": self.confusion.copy(),
                  "band_intersection": self.band_intersection.copy(),
                  "band_union": self.band_union.copy()}
        for n in self.vc_lengths:
            arrays[f"vc{n}_numerators"], arrays[f"vcc{n}_numerators"], arrays[f"vc{n}_denominators"] = self._pooled(n)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> MetricAccumulator:
        """Rebuild an accumulator from :meth:`to_arrays` output (for example a loaded ``.npz``).

        Raises
        ------
        DataError
            A key is missing or an array has the wrong shape (counts written by another version: delete
            that cache entry).
        """
        def get(key: str) -> np.ndarray:
            if key not in arrays:
                raise DataError(f"metric counts lack the key {key!r} (present: {sorted(arrays)}); they were not "
                                "written by MetricAccumulator.to_arrays: delete that cache entry")
            return np.asarray(arrays[key])

        def scalar(key: str) -> float | int | str:
            value = get(key)
            if value.size != 1:
                raise DataError(f"metric counts: {key!r} should hold one value, got shape {value.shape}")
            return value.reshape(()).item()

        measures = tuple(str(m) for m in get("vc_measures").reshape(-1).tolist())
        if measures != CONSISTENCY_MEASURES:
            raise DataError(f"metric counts hold the consistency measures {list(measures)}, this version counts "
                            f"{list(CONSISTENCY_MEASURES)}: counts made by an older version; delete that cache entry")
        vc_windows = str(scalar("vc_windows"))
        if vc_windows not in {w.value for w in ConsistencyWindows}:
            raise DataError(f"metric counts: 'vc_windows' is {vc_windows!r}, not one of "
                            f"{[w.value for w in ConsistencyWindows]}; delete that cache entry")
        accumulator = cls(int(scalar("num_classes")), dilation_ratio=float(scalar("dilation_ratio")),
                          vc_lengths=tuple(int(n) for n in get("vc_lengths").reshape(-1)), vc_windows=vc_windows,
                          ignore_index=int(scalar("ignore_index")))
        c = accumulator.num_classes
        expected = {"confusion": (c, c + 1), "band_intersection": (c,), "band_union": (c,)}
        for key, shape in expected.items():
            if get(key).shape != shape:
                raise DataError(f"metric counts: {key!r} has shape {get(key).shape}, expected {shape} for {c} "
                                "classes")
        accumulator.confusion = get("confusion").astype(np.int64)
        accumulator.band_intersection = get("band_intersection").astype(np.int64)
        accumulator.band_union = get("band_union").astype(np.int64)
        accumulator.frames = int(scalar("frames"))
        for n in accumulator.vc_lengths:
            numerators = get(f"vc{n}_numerators").astype(np.int64).reshape(-1)
            correct = get(f"vcc{n}_numerators").astype(np.int64).reshape(-1)
            denominators = get(f"vc{n}_denominators").astype(np.int64).reshape(-1)
            if not numerators.shape == correct.shape == denominators.shape:
                raise DataError(f"metric counts: vc{n} has {numerators.size} numerators, {correct.size} correct "
                                f"(vcc{n}) numerators and {denominators.size} denominators")
            accumulator._windows[n] = [(numerators, correct, denominators)]
        return accumulator

    # ---------------------------------------------------------------------------------------- scoring
    def mean_consistency(self, n: int) -> float:
        """mVC_n: the mean score over all windows of all videos (NaN windows left out), exactly rounded.

        The mean ``VC_perclip.py`` takes (``np.nanmean`` of the pooled window list), with the sum rounded once
        (``math.fsum``) so that it does not depend on the order of the windows; the two agree to about 1e-15.
        """
        return _window_mean(*self.windows(n))

    def mean_correct_consistency(self, n: int) -> float:
        """mVCc_n: the mean correct-consistency score over all windows of all videos (NaN windows left out),
        pooled and rounded as :meth:`mean_consistency`; at most mVC_n, over the same windows."""
        return _window_mean(*self.correct_windows(n))

    def result(self) -> dict[str, object]:
        """The scores.

        Returns
        -------
        dict
            ``"miou"`` (mmsegmentation mean), ``"miou_present"`` (VSPW's evaluator mean), ``"mbiou"``,
            ``"mvc<n>"`` for each window length (``"mvc8"``, ``"mvc16"``), ``"mvcc<n>"`` (correct consistency,
            ``"mvcc8"``, ``"mvcc16"``), floats (NaN where undefined);
            ``"iou"`` and ``"biou"``, per-class lists of floats (NaN where undefined); ``"frames"``, int.
        """
        miou, iou = iou_from_confusion(self.confusion, average=Average.UNION)
        miou_present, _ = iou_from_confusion(self.confusion, average=Average.PRESENT)
        mbiou, biou = biou_from_counts(self.band_intersection, self.band_union)
        scores: dict[str, object] = {"miou": miou, "mbiou": mbiou}
        scores.update({f"mvc{n}": self.mean_consistency(n) for n in self.vc_lengths})
        scores.update({f"mvcc{n}": self.mean_correct_consistency(n) for n in self.vc_lengths})
        scores.update({"miou_present": miou_present, "iou": iou.tolist(), "biou": biou.tolist(),
                       "frames": self.frames})
        return scores

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in self.settings.items())
        return f"MetricAccumulator({settings}, frames={self.frames})"


def _window_mean(numerators: np.ndarray, denominators: np.ndarray) -> float:
    """Mean of the defined window scores (``denominators > 0``), the sum rounded once (``math.fsum``)."""
    defined = denominators > 0
    if not defined.any():
        return float("nan")
    scores = numerators[defined] / denominators[defined]
    return math.fsum(scores.tolist()) / int(defined.sum())
