"""Where the refiner hurts, and why: damaged pixels sorted into causes the code can detect.

A pixel is **damaged** when the baseline got it right and the refined map got it wrong (ground truth not
ignored). A frame **hurts** when its refined mIoU (or pixel accuracy) falls below the baseline's by more than
a margin. Every damaged pixel gets exactly one cause, the first that applies in this fixed priority: first
what happened to the damaged *object*, then what the *masklet* that overwrote it did, and last what the vote
inside a correct masklet did. Each cause names the knob a reader can turn against it.

A masklet's **vote row** is the set of pixels one majority vote of the refiner covers
(:func:`vsslib.refine.refine`): the whole masklet (``vote="masklet"``) or the masklet in one frame
(``vote="frame"``); ``settings.vote`` must be the vote the refined map was made with. A row is **pure** when
its most frequent ground-truth class (its *true class*) holds at least ``purity`` of its labelled pixels.

1. ``late_entry``: the pixel's ground-truth instance first appears at a frame ``e`` that is not a window key
   frame (``e % window != 0``), the pixel lies between ``e`` and the next key frame, and it lies in no
   masklet or in one that was already there in this window before ``e``: no masklet was proposed for the
   object, so another object's masklet decided its pixels. A masklet that starts at ``e`` or later (the
   oracle's, or one found by discovery) is the object's own; its damage goes to the causes below.
   Knob: discovery (``discover_every``), a shorter ``window``.
2. ``small_or_thin``: the pixel's instance, in this frame, is small (area < ``small_area`` pixels) or thin
   (inscribed radius <= ``thin_radius``) and the pixel lies in a masklet larger than the instance in this
   frame: the object fell between the grid points and a larger masklet absorbed it. The inscribed radius is
   1 + the largest Euclidean distance from a pixel of the instance to the nearest *edge* pixel (a pixel with
   a 4-neighbour of another instance id, or on the image border), via ``cv2.distanceTransform``: a 1-pixel
   pole has radius 1, a bar of width w has radius ceil(w / 2). Knob: a denser point grid.
3. ``drift``: the pixel's masklet has slid off its object in this frame. In each window, a masklet's
   reference frame is the first frame of the window where it exists (the key frame for proposed masklets);
   the instance holding more than ``owner_share`` of the masklet there is its object. The masklet drifts in
   a frame of the window where its share on that object has fallen below ``drift_overlap`` times the share
   at the reference frame (with the default 0.5: it kept less than half its overlap). The test is relative
   so that a masklet merging two objects of changing sizes is not drift (it is ``spanning``). With
   ``drift_scope="frame"`` (the default) only the frames where the masklet drifts are charged; with
   ``drift_scope="masklet"`` a masklet that drifts in any frame carries ``drift`` on all its frames (an
   upper bound, kept to compare with). Knob: a shorter ``window``, or ending a masklet that drifts.
4. ``drift_vote`` (``vote="masklet"`` with ``drift_scope="frame"`` only): the masklet is on its object in this
   frame, but drifts in others, and its vote without its drifting frames would have given the pixel its
   true class: the frames where it slid carried the one vote of the whole masklet. Knob: ``vote="frame"``,
   a shorter ``window``.
5. ``spanning``: the pixel's vote row is not pure: the masklet covers several classes and the vote
   overwrote the minority. Knob: stricter mask filters (``pred_iou_thresh``, ``stability_score_thresh``).
6. ``leak``: the vote row is pure and took its true class, but the pixel belongs to a minority class
   (less than ``1 - purity`` of the row): the masklet spills over a region of another class, an edge over a
   neighbour or a whole object it swallowed that is neither small nor thin. Knob: masks that follow
   object boundaries (a denser grid, a finer mask resolution).
7. ``wrong_majority``: the vote row is pure, the refined class is not its true class, and the baseline's
   majority over the row's labelled pixels is not its true class either: the masklet was right and the
   network was wrong on most of it. Knob: a better baseline (``vote="frame"`` confines the error to the
   frames where the network is wrong).
8. ``other``: what is left: a pure row whose refined class is not its true class although the baseline's
   majority over its labelled pixels is (the vote was decided by pixels without ground truth), or damage
   outside every masklet (a refined map that is not the vote's result). Near zero when ``settings.vote``
   matches the refiner's.

The mIoU a cause costs is ``mIoU(refined with that cause's damaged pixels set back to the baseline) -
mIoU(refined)``, exact: per video, a (cause, ground-truth class, refined class) count table of the damaged
pixels (one ``np.bincount``) gives each cause's change of the refined confusion table; tables add over
videos and :func:`vsslib.metrics.iou_from_confusion` scores them. Costs of several causes do not add up to
the cost of all damage (mIoU is not linear in the counts).

Key frames are ``0, window, 2 window, ...``, as :func:`vsslib.masks.run_windows` places them; masklets
found by its optional discovery are judged from the first frame where they appear.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np
import pandas as pd

from ..masks.base import unique_ids
from ..base.errors import ParameterError
from ..metrics import confusion_matrix, iou_from_confusion

__all__ = ["CAUSES", "DriftScope", "FrameMetric", "FailureSettings", "FailureReport", "damage_causes", "diagnose",
           "merge_reports"]

CAUSES = ("late_entry", "small_or_thin", "drift", "drift_vote", "spanning", "leak", "wrong_majority", "other")
"""Causes in priority order (see the module docstring); :func:`damage_causes` returns indices into this tuple."""
_OTHER = CAUSES.index("other")

_EXAMPLE_COLUMNS = ["video", "frame", "cause", "masklet", "pixels", "frame_hurt"]


class FrameMetric(enum.StrEnum):
    """How a frame is judged to hurt."""

    MIOU = "miou"  # the frame's own mIoU (classes with a non-zero union in the frame)
    ACCURACY = "accuracy"  # pixel accuracy over the frame's labelled pixels


class DriftScope(enum.StrEnum):
    """Which frames of a drifting masklet are charged to ``drift``."""

    FRAME = "frame"  # only the frames where the masklet has slid off its object
    MASKLET = "masklet"  # every frame of a masklet that drifts in any frame (an upper bound)


@dataclass(frozen=True)
class FailureSettings:
    """Thresholds of the failure analysis (see the module docstring for each cause)."""

    purity: float = 0.8  # a vote row is pure when its true class holds at least this share of its labelled pixels
    small_area: int = 64  # px: an instance smaller than this in a frame is small (64 px ~ 0.2% of 128 x 224)
    thin_radius: float = 2.0  # px: an instance whose inscribed radius is at most this is thin (<= 4 px wide)
    owner_share: float = 0.5  # drift: an instance owns a masklet holding more than this share of it
    drift_overlap: float = 0.5  # drift: share on its object below this times the share at the reference
    vote: str = "masklet"  # the refiner's vote scope: "masklet" or "frame" (as the refined map was made)
    drift_scope: DriftScope | str = DriftScope.FRAME  # drift charged on drifting frames, or on the whole masklet
    frame_metric: FrameMetric | str = FrameMetric.MIOU  # how a hurting frame is found
    margin: float = 0.01  # a frame hurts when refined < baseline - margin (scores in 0..1)
    only_hurt_frames: bool = False  # attribute damage in hurting frames only (default: in every frame)
    max_examples: int = 3  # examples kept per cause and video, largest damage first
    ignore_index: int = 255

    def __post_init__(self) -> None:
        for name in ("purity", "owner_share", "drift_overlap"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ParameterError(f"{name}={value!r} must lie in [0, 1]")
        if self.small_area < 0 or self.thin_radius < 0 or self.margin < 0 or self.max_examples < 0:
            raise ParameterError(f"small_area={self.small_area}, thin_radius={self.thin_radius}, "
                                 f"margin={self.margin} and max_examples={self.max_examples} must be >= 0")
        if self.vote not in ("masklet", "frame"):
            raise ParameterError(f"vote={self.vote!r} is not one of 'masklet', 'frame'")
        for name, kind in (("frame_metric", FrameMetric), ("drift_scope", DriftScope)):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, kind(value))
            except ValueError:
                raise ParameterError(f"{name}={value!r} is not one of "
                                     f"{', '.join(repr(m.value) for m in kind)}") from None


@dataclass(frozen=True, eq=False)
class FailureReport:
    """What :func:`diagnose` found in one or more videos; reports of several videos merge exactly.

    Attributes
    ----------
    num_classes : C.
    videos : names of the videos counted.
    confusion_baseline, confusion_refined : (C, C + 1) int64
        Confusion tables (:func:`vsslib.metrics.confusion_matrix`) of the two predictions.
    restore : (len(CAUSES), C, C + 1) int64
        Change of ``confusion_refined`` when each cause's damaged pixels get the baseline's label back.
    pixels : (len(CAUSES),) int64
        Damaged pixels per cause.
    events : (len(CAUSES),) int64
        (masklet, frame) pairs holding damaged pixels of the cause (pixels outside every masklet form one
        pair per frame with masklet -1).
    frames : DataFrame[video, frame, acc_baseline, acc_refined, miou_baseline, miou_refined, hurt, damaged,
        <one column of damaged pixels per cause>]
    examples : DataFrame[video, frame, cause, masklet, pixels, frame_hurt]
        The largest (frame, masklet) damages of each cause, ``settings.max_examples`` per cause and video.
    settings : the :class:`FailureSettings` used.
    """

    num_classes: int
    videos: tuple[str, ...]
    confusion_baseline: np.ndarray
    confusion_refined: np.ndarray
    restore: np.ndarray
    pixels: np.ndarray
    events: np.ndarray
    frames: pd.DataFrame
    examples: pd.DataFrame
    settings: FailureSettings = field(default_factory=FailureSettings)

    def merge(self, other: FailureReport) -> FailureReport:
        """The report of both sets of videos (counts add, tables concatenate)."""
        if not isinstance(other, FailureReport):
            raise ParameterError(f"can only merge a FailureReport, got {type(other).__name__}")
        if other.num_classes != self.num_classes or other.settings != self.settings:
            raise ParameterError(f"cannot merge a report of {other.num_classes} classes with settings "
                                 f"{other.settings} into one of {self.num_classes} classes with {self.settings}")
        return FailureReport(
            self.num_classes, self.videos + other.videos, self.confusion_baseline + other.confusion_baseline,
            self.confusion_refined + other.confusion_refined, self.restore + other.restore,
            self.pixels + other.pixels, self.events + other.events,
            pd.concat([self.frames, other.frames], ignore_index=True),
            _rank(pd.concat([self.examples, other.examples], ignore_index=True)), self.settings)

    def scores(self, *, average: str = "union") -> dict[str, float]:
        """mIoU of the baseline, of the refined maps, and of the refined maps with all damage undone."""
        restored = self.confusion_refined + self.restore.sum(axis=0)
        return {"miou_baseline": iou_from_confusion(self.confusion_baseline, average=average)[0],
                "miou_refined": iou_from_confusion(self.confusion_refined, average=average)[0],
                "miou_all_restored": iou_from_confusion(restored, average=average)[0]}

    def summary(self, *, average: str = "union") -> pd.DataFrame:
        """One row per cause.

        Returns
        -------
        DataFrame[cause, events, pixels, pixel_share, miou_cost, drift_scope]
            ``pixel_share``: the cause's share of all damaged pixels; ``miou_cost``: mIoU (0..1) gained by
            restoring the cause's damaged pixels to the baseline, over all counted videos; ``drift_scope``:
            ``settings.drift_scope`` (``"frame"`` or ``"masklet"``), which labels the table when the two
            charges of drift are shown side by side.
        """
        refined = iou_from_confusion(self.confusion_refined, average=average)[0]
        costs = [iou_from_confusion(self.confusion_refined + delta, average=average)[0] - refined
                 for delta in self.restore]
        total = int(self.pixels.sum())
        return pd.DataFrame({"cause": list(CAUSES), "events": self.events, "pixels": self.pixels,
                             "pixel_share": self.pixels / total if total else np.zeros(len(CAUSES)),
                             "miou_cost": costs, "drift_scope": self.settings.drift_scope.value})

    def hurt_frames(self) -> pd.DataFrame:
        """The rows of :attr:`frames` that hurt, worst first."""
        hurt = self.frames[self.frames["hurt"]].copy()
        key = "miou" if self.settings.frame_metric is FrameMetric.MIOU else "acc"
        hurt["drop"] = hurt[f"{key}_baseline"] - hurt[f"{key}_refined"]
        return hurt.sort_values(["drop", "video", "frame"], ascending=[False, True, True], kind="stable")


def merge_reports(reports: Iterable[FailureReport]) -> FailureReport:
    """Merge the reports of several videos into one (in the given order)."""
    merged = None
    for report in reports:
        merged = report if merged is None else merged.merge(report)
    if merged is None:
        raise ParameterError("merge_reports needs at least one report")
    return merged


# ---------------------------------------------------------------------------------------- diagnose
def diagnose(gt: np.ndarray, instances: np.ndarray, baseline: np.ndarray, refined: np.ndarray, masklets: np.ndarray,
             num_classes: int, window: int, *, video: str = "video", settings: FailureSettings | None = None) \
        -> FailureReport:
    """Find the frames of one video where refinement hurts and sort its damaged pixels into causes.

    Parameters
    ----------
    gt : (T, H, W) uint8
        Ground truth, classes ``0..C-1`` and ``settings.ignore_index``.
    instances : (T, H, W) int32
        Ground-truth instance ids, 0 = none (stuff); ids unique within the video.
    baseline, refined : (T, H, W) uint8
        The baseline's labels and the refined labels (``refine(baseline, masklets, ...)``).
    masklets : (T, H, W) int32
        The masklet id map the refinement used, -1 = none.
    num_classes : int
        C.
    window : int
        The masklet window length (key frames at multiples of it).
    video : str
        Name recorded in the frame and example tables.
    settings : FailureSettings, optional
        Thresholds; the defaults of :class:`FailureSettings` when omitted.

    Returns
    -------
    FailureReport
        Merge the reports of all evaluated videos (:func:`merge_reports`) before reading costs.
    """
    settings = settings or FailureSettings()
    gt, instances, baseline, refined, masklets = _check(gt, instances, baseline, refined, masklets, num_classes,
                                                        window)
    frames, hurt = _frame_table(gt, baseline, refined, num_classes, settings, video)
    cause = _assign(gt, instances, baseline, refined, masklets, num_classes, window, settings,
                    hurt if settings.only_hurt_frames else None)
    damaged = cause >= 0
    n_causes = len(CAUSES)
    num_frames = gt.shape[0]

    # One count table of the damaged pixels: (cause, gt class, refined class incl. "no class" column C).
    side = num_classes + 1
    truth = gt[damaged].astype(np.intp)
    pred = refined[damaged].astype(np.intp)
    pred[(pred >= num_classes) | (pred < 0)] = num_classes
    codes = (cause[damaged].astype(np.intp) * num_classes + truth) * side + pred
    wrong = np.bincount(codes, minlength=n_causes * num_classes * side).reshape(n_causes, num_classes, side)
    restore = -wrong
    # Restored pixels take the baseline's label, which is their ground truth: the diagonal.
    diagonal = np.arange(num_classes)
    restore[:, diagonal, diagonal] += wrong.sum(axis=2)

    # (cause, frame, masklet) groups of damaged pixels: events and examples.
    frame_of = np.nonzero(damaged)[0].astype(np.int64)
    masklet_of = masklets[damaged].astype(np.int64)
    top = int(masklet_of.max()) + 2 if masklet_of.size else 1
    group = (cause[damaged].astype(np.int64) * num_frames + frame_of) * top + masklet_of + 1
    keys, sizes = np.unique(group, return_counts=True)
    group_masklet = keys % top - 1
    group_frame = (keys // top) % num_frames
    group_cause = keys // top // num_frames
    events = np.bincount(group_cause, minlength=n_causes).astype(np.int64)
    pixels = np.bincount(cause[damaged], minlength=n_causes).astype(np.int64)
    per_frame = np.bincount(frame_of * n_causes + cause[damaged], minlength=num_frames * n_causes)
    per_frame = per_frame.reshape(num_frames, n_causes)
    frames["damaged"] = per_frame.sum(axis=1)
    for k, name in enumerate(CAUSES):
        frames[name] = per_frame[:, k]

    examples = pd.DataFrame({"video": video, "frame": group_frame, "cause": np.asarray(CAUSES)[group_cause],
                             "masklet": group_masklet, "pixels": sizes, "frame_hurt": hurt[group_frame]},
                            columns=_EXAMPLE_COLUMNS)
    examples = _rank(examples).groupby("cause", sort=False).head(settings.max_examples)
    return FailureReport(num_classes, (video,), confusion_matrix(gt, baseline, num_classes, settings.ignore_index),
                         confusion_matrix(gt, refined, num_classes, settings.ignore_index), restore, pixels, events,
                         frames, _rank(examples), settings)


def damage_causes(gt: np.ndarray, instances: np.ndarray, baseline: np.ndarray, refined: np.ndarray,
                  masklets: np.ndarray, num_classes: int, window: int, *,
                  settings: FailureSettings | None = None) -> np.ndarray:
    """The cause of every damaged pixel of one video.

    Parameters
    ----------
    gt, instances, baseline, refined, masklets, num_classes, window, settings : as in :func:`diagnose`.

    Returns
    -------
    (T, H, W) int8
        Index into :data:`CAUSES` for damaged pixels (baseline right, refined wrong), -1 elsewhere.
    """
    settings = settings or FailureSettings()
    arrays = _check(gt, instances, baseline, refined, masklets, num_classes, window)
    hurt = None
    if settings.only_hurt_frames:
        _, hurt = _frame_table(arrays[0], arrays[2], arrays[3], num_classes, settings, "")
    return _assign(*arrays, num_classes, window, settings, hurt)


# ----------------------------------------------------------------------------------------- helpers
def _check(gt: np.ndarray, instances: np.ndarray, baseline: np.ndarray, refined: np.ndarray, masklets: np.ndarray,
           num_classes: int, window: int) -> tuple[np.ndarray, ...]:
    arrays = {"gt": gt, "instances": instances, "baseline": baseline, "refined": refined, "masklets": masklets}
    arrays = {name: np.asarray(a) for name, a in arrays.items()}
    shapes = {name: a.shape for name, a in arrays.items()}
    if len(set(shapes.values())) != 1 or arrays["gt"].ndim != 3:
        raise ParameterError(f"diagnose: every array must be the same (T, H, W) shape, got {shapes}")
    for name, a in arrays.items():
        if not np.issubdtype(a.dtype, np.integer):
            raise ParameterError(f"diagnose: {name} must hold integers, got dtype {a.dtype}")
    if arrays["masklets"].size and arrays["masklets"].min() < -1:
        raise ParameterError(f"diagnose: masklet id {arrays['masklets'].min()} is below -1 (-1 = no masklet)")
    if arrays["instances"].size and arrays["instances"].min() < 0:
        raise ParameterError(f"diagnose: instance id {arrays['instances'].min()} is negative (0 = none)")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ParameterError(f"window={window!r} must be a positive number of frames (the masklet window)")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ParameterError(f"num_classes={num_classes!r} must be a positive integer")
    return tuple(arrays.values())


def _frame_table(gt: np.ndarray, baseline: np.ndarray, refined: np.ndarray, num_classes: int,
                 settings: FailureSettings, video: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Per-frame accuracy and mIoU of both maps, and which frames hurt."""
    columns: dict[str, list[float]] = {"acc_baseline": [], "acc_refined": [], "miou_baseline": [], "miou_refined": []}
    for t in range(gt.shape[0]):
        for name, pred in (("baseline", baseline), ("refined", refined)):
            table = confusion_matrix(gt[t], pred[t], num_classes, settings.ignore_index)
            labelled = table.sum()
            columns[f"acc_{name}"].append(np.trace(table[:, :num_classes]) / labelled if labelled else math.nan)
            columns[f"miou_{name}"].append(iou_from_confusion(table)[0])
    frames = pd.DataFrame({"video": video, "frame": np.arange(gt.shape[0]), **columns})
    key = "miou" if settings.frame_metric is FrameMetric.MIOU else "acc"
    with np.errstate(invalid="ignore"):
        hurt = (frames[f"{key}_refined"] < frames[f"{key}_baseline"] - settings.margin).to_numpy()
    frames["hurt"] = hurt
    return frames, hurt


def _inscribed_radius(instances: np.ndarray) -> np.ndarray:
    """(T, H, W) float32: 1 + distance to the nearest edge pixel of any instance (see the module docstring)."""
    radius = np.empty(instances.shape, np.float32)
    for t, ids in enumerate(instances):
        inner = np.zeros(ids.shape, bool)
        inner[1:-1, 1:-1] = ((ids[1:-1, 1:-1] == ids[:-2, 1:-1]) & (ids[1:-1, 1:-1] == ids[2:, 1:-1])
                             & (ids[1:-1, 1:-1] == ids[1:-1, :-2]) & (ids[1:-1, 1:-1] == ids[1:-1, 2:]))
        radius[t] = cv2.distanceTransform(inner.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) + 1.0
    return radius


def _per_pixel(keys: np.ndarray, values: np.ndarray | None = None, *, reduce: str = "count") -> np.ndarray:
    """For each element, the count (or max of ``values``) over the elements sharing its key (keys >= 0)."""
    size = int(keys.max()) + 1 if keys.size else 0
    if size <= max(4 * keys.size, 1 << 16):  # small keys (the usual case) index the groups directly
        inverse = keys
    else:
        unique, inverse = np.unique(keys, return_inverse=True)
        size = unique.size
    if reduce == "count":
        return np.bincount(inverse, minlength=size)[inverse]
    top = np.full(size, -np.inf)
    np.maximum.at(top, inverse, values)
    return top[inverse]


def _assign(gt: np.ndarray, instances: np.ndarray, baseline: np.ndarray, refined: np.ndarray, masklets: np.ndarray,
            num_classes: int, window: int, settings: FailureSettings, hurt: np.ndarray | None) -> np.ndarray:
    """(T, H, W) int8 cause index of every damaged pixel, -1 elsewhere (the priority of the module docstring)."""
    num_frames = gt.shape[0]
    damaged = (gt != settings.ignore_index) & (baseline == gt) & (refined != gt)
    if hurt is not None:
        damaged &= hurt[:, None, None]
    frame = np.broadcast_to(np.arange(num_frames, dtype=np.int64)[:, None, None], gt.shape)
    in_object = instances > 0
    tracks = _Tracks(instances, masklets, window, settings)

    # 1. late entry: first frame of each instance (flat C order is frame order) and its next key frame; the
    # pixel's masklet (if any) was there in this window before that first frame.
    ids = instances[in_object].astype(np.int64)
    object_frame = frame[in_object]
    _, first_index, inverse = np.unique(ids, return_index=True, return_inverse=True)
    entry = object_frame[first_index][inverse]
    masklet_start = np.full(gt.shape, -1, np.int64)  # first frame of the pixel's masklet in its window
    masklet_start[tracks.inside] = tracks.reference[tracks.m, tracks.w]
    late = np.zeros(gt.shape, bool)
    late[in_object] = ((entry % window != 0) & (object_frame < (entry // window + 1) * window)
                       & (masklet_start[in_object] < entry))

    # 2. small or thin instances absorbed by a larger masklet
    in_masklet = tracks.inside
    span = int(instances.max()) + 1 if instances.size else 1
    object_key = frame[in_object] * span + ids
    object_area = np.zeros(gt.shape, np.int64)
    object_area[in_object] = _per_pixel(object_key)
    radius = np.full(gt.shape, np.inf)
    radius[in_object] = _per_pixel(object_key, _inscribed_radius(instances)[in_object], reduce="max")
    masklet_span = int(masklets.max()) + 2 if masklets.size else 1
    masklet_area = np.zeros(gt.shape, np.int64)
    masklet_area[in_masklet] = _per_pixel(frame[in_masklet] * masklet_span + masklets[in_masklet])
    small = (in_object & in_masklet & (masklet_area > object_area)
             & ((object_area < settings.small_area) | (radius <= settings.thin_radius)))

    # 3.-7. the masklet's and the vote's causes
    flags = (late, small, *_masklet_flags(gt, baseline, refined, tracks, num_classes, settings))
    cause = np.full(gt.shape, _OTHER, np.int8)
    for k, flag in reversed(list(enumerate(flags))):
        cause[flag] = k
    cause[~damaged] = -1
    return cause


class _Tracks:
    """Every masklet pixel's compact masklet index, frame and window, and where each masklet drifts.

    Attributes
    ----------
    inside : (T, H, W) bool, pixels in a masklet. The arrays below list those pixels in C order.
    m, t, w : (P,) int64 compact masklet index (0..M-1), frame, window.
    reference : (M, number of windows) int64 first frame of each masklet in each window.
    drifting : (M, T) bool, the masklet has slid off its object in that frame.
    """

    def __init__(self, instances: np.ndarray, masklets: np.ndarray, window: int,
                 settings: FailureSettings) -> None:
        num_frames = masklets.shape[0]
        n_windows = -(-num_frames // window)
        self.inside = masklets >= 0
        _, m = unique_ids(masklets[self.inside])
        self.m = m.astype(np.int64).reshape(-1)
        self.t = np.nonzero(self.inside)[0].astype(np.int64)
        self.w = self.t // window
        n_masklets = int(self.m.max()) + 1 if self.m.size else 0
        pair = self.m * num_frames + self.t  # (masklet, frame)
        area = np.bincount(pair, minlength=n_masklets * num_frames).reshape(n_masklets, num_frames)

        # Reference frame of each (masklet, window): its first frame there; its owner: the instance holding
        # more than owner_share of the masklet on that frame.
        padded = np.zeros((n_masklets, n_windows * window), bool)
        padded[:, :num_frames] = area > 0
        self.reference = padded.reshape(n_masklets, n_windows, window).argmax(axis=2) + np.arange(n_windows) * window
        inst = instances[self.inside].astype(np.int64)
        at_reference = (self.t == self.reference[self.m, self.w]) & (inst > 0)
        owner = np.zeros((n_masklets, n_windows), np.int64)
        if at_reference.any():
            slot = self.m[at_reference] * n_windows + self.w[at_reference]
            keys, counts = np.unique(np.stack([slot, inst[at_reference]]), axis=1, return_counts=True)
            order = np.lexsort((-counts, keys[0]))  # per slot, the largest count first
            first = order[np.r_[True, keys[0][order][1:] != keys[0][order][:-1]]]
            best_slot, best_inst, best_count = keys[0][first], keys[1][first], counts[first]
            ref_area = area.reshape(-1)[(best_slot // n_windows) * num_frames + self.reference.reshape(-1)[best_slot]]
            owned = best_count > settings.owner_share * ref_area
            owner.reshape(-1)[best_slot[owned]] = best_inst[owned]
        pixel_owner = owner[self.m, self.w]
        on_owner = (pixel_owner > 0) & (inst == pixel_owner)
        hits = np.bincount(pair, weights=on_owner, minlength=n_masklets * num_frames).reshape(n_masklets, num_frames)
        frame_window = np.arange(num_frames) // window
        with np.errstate(invalid="ignore", divide="ignore"):
            share = hits / area  # (M, T) share of the masklet on its object, NaN where absent
        reference_share = share[np.arange(n_masklets)[:, None], self.reference[:, frame_window]]
        self.drifting = (owner[:, frame_window] > 0) & (area > 0) & (share < settings.drift_overlap * reference_share)


def _majority(rows: np.ndarray, classes: np.ndarray, n_rows: int, num_classes: int) -> tuple[np.ndarray, ...]:
    """Per row: the most frequent class (lowest id on ties, -1 for an empty row), its count, the row's count."""
    table = np.bincount(rows * num_classes + classes.astype(np.int64),
                        minlength=n_rows * num_classes).reshape(n_rows, num_classes)
    total = table.sum(axis=1)
    return np.where(total > 0, table.argmax(axis=1), -1), table.max(axis=1, initial=0), total


def _masklet_flags(gt: np.ndarray, baseline: np.ndarray, refined: np.ndarray, tracks: _Tracks, num_classes: int,
                   settings: FailureSettings) -> tuple[np.ndarray, ...]:
    """(T, H, W) bool maps of the causes drift, drift_vote, spanning, leak and wrong_majority."""
    num_frames = gt.shape[0]
    flags = tuple(np.zeros(gt.shape, bool) for _ in range(5))
    if not tracks.m.size:
        return flags
    drift, drift_vote, spanning, leak, wrong_majority = flags
    inside, m = tracks.inside, tracks.m
    n_masklets = tracks.drifting.shape[0]
    steady = ~tracks.drifting[m, tracks.t]
    if settings.drift_scope is DriftScope.FRAME:
        drift[inside] = ~steady
    else:
        drift[inside] = tracks.drifting.any(axis=1)[m]

    truth = gt[inside].astype(np.int64)
    base = baseline[inside].astype(np.int64)
    votes = (base >= 0) & (base < num_classes) & (base != settings.ignore_index)  # as refine counts them
    if settings.vote == "masklet" and settings.drift_scope is DriftScope.FRAME:
        # The vote the masklet would have taken without its drifting frames.
        counted = votes & steady
        steady_winner, _, _ = _majority(m[counted], base[counted], n_masklets, num_classes)
        drift_vote[inside] = tracks.drifting.any(axis=1)[m] & steady & (steady_winner[m] == truth)

    # Vote rows: their true class, purity, and the baseline's majority over their labelled pixels.
    row = m * num_frames + tracks.t if settings.vote == "frame" else m
    n_rows = n_masklets * num_frames if settings.vote == "frame" else n_masklets
    labelled = truth != settings.ignore_index
    true_class, top, total = _majority(row[labelled], truth[labelled], n_rows, num_classes)
    pure = (total > 0) & (top >= settings.purity * total)
    both = labelled & votes
    baseline_class, _, _ = _majority(row[both], base[both], n_rows, num_classes)
    took = refined[inside].astype(np.int64)
    spanning[inside] = (total > 0)[row] & ~pure[row]
    leak[inside] = pure[row] & (took == true_class[row])
    wrong_majority[inside] = pure[row] & (took != true_class[row]) & (baseline_class[row] != true_class[row])
    return flags


def _rank(examples: pd.DataFrame) -> pd.DataFrame:
    """Examples ordered by cause priority, then damaged pixels (largest first), then video and frame."""
    order = examples.assign(_priority=examples["cause"].map({c: k for k, c in enumerate(CAUSES)}))
    order = order.sort_values(["_priority", "pixels", "video", "frame", "masklet"],
                              ascending=[True, False, True, True, True], kind="stable")
    return order.drop(columns="_priority").reset_index(drop=True)
