"""What a run reports: per-video exact counts, the scores merged from them, times, and ``metrics.json``.

Every run, of either approach, ends the same way: each video contributes a :class:`VideoRecord` (exact
:class:`~vsslib.metrics.MetricAccumulator` counts per *variant*, e.g. ``"baseline"`` and ``"refined"``, and
the seconds of each stage), :func:`summarize` merges them in video order into one :class:`Scores` per
variant, and :func:`write_metrics` writes the :class:`RunResult` as strict JSON. Merging exact counts in a
fixed order makes the numbers independent of the executor that ran the videos; keeping the per-video
counts lets :mod:`vsslib.statistics` resample videos for intervals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...base.io import write_json_atomic
from ...base.errors import DataError

__all__ = ["Scores", "VideoRecord", "RunResult", "summarize", "write_metrics", "jsonable"]


@dataclass(frozen=True)
class Scores:
    """The study's metrics of one variant over a set of videos (fractions in [0, 1]; NaN where undefined).

    ``miou`` averages classes with a non-zero union (mmsegmentation), ``miou_present`` as VSPW's evaluator;
    ``mvc8``, ``mvc16`` are VSPW's video consistency and ``mvcc8``, ``mvcc16`` correct consistency (VC that also
    asks for the right class, :mod:`vsslib.metrics.consistency`);
    ``iou`` and ``biou`` are per class; ``seconds_per_frame`` maps each stage that produced this variant to
    its mean seconds per frame, and ``fps`` is one over their sum.
    """

    miou: float
    miou_present: float
    mbiou: float
    mvc8: float
    mvc16: float
    mvcc8: float
    mvcc16: float
    iou: list[float]
    biou: list[float]
    seconds_per_frame: dict[str, float] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        """Frames per second of the stages behind this variant (infinite when they took no time)."""
        total = sum(self.seconds_per_frame.values())
        return 1.0 / total if total > 0 else float("inf")

    def percent(self) -> dict[str, float]:
        """The headline metrics in percent: ``{"mIoU", "mBIoU", "mVC8", "mVC16", "mVCc8", "mVCc16"}``."""
        return {"mIoU": 100 * self.miou, "mBIoU": 100 * self.mbiou, "mVC8": 100 * self.mvc8,
                "mVC16": 100 * self.mvc16, "mVCc8": 100 * self.mvcc8, "mVCc16": 100 * self.mvcc16}


@dataclass(frozen=True)
class VideoRecord:
    """What one video contributes: exact counts per variant and the seconds of each stage (whole video)."""

    video: str
    frames: int
    counts: dict[str, dict[str, np.ndarray]]  # variant -> MetricAccumulator.to_arrays()
    seconds: dict[str, float]  # stage -> seconds
    peak_memory_mib: list[float] = field(default_factory=list)  # per propagated masklet window (SAM2 sources)


@dataclass(frozen=True)
class RunResult:
    """A finished run: its identity, per-variant scores, and the per-video records they merge.

    ``variants`` of approach 1: ``baseline``, ``refined``; of approach 2: ``baseline``, ``none``,
    ``fallback``, ``fused``. ``classifier_loss`` is the approach-2 MLP's loss per epoch (empty otherwise).
    """

    approach: str  # "refine" or "classify"
    dataset: str
    split: str
    baseline_name: str
    masklet_source: str
    class_names: list[str]
    settings: dict[str, Any]
    scores: dict[str, Scores]
    records: list[VideoRecord]
    out: str | None = None
    features: str | None = None
    classifier_loss: list[float] = field(default_factory=list)

    @property
    def videos(self) -> list[str]:
        """The videos of the run, in order."""
        return [r.video for r in self.records]

    @property
    def frames(self) -> int:
        """Frames over all videos."""
        return sum(r.frames for r in self.records)

    def counts(self, variant: str) -> list[dict[str, np.ndarray]]:
        """Per-video counts of ``variant``, in video order (for bootstrap intervals)."""
        return [r.counts[variant] for r in self.records]

    def __getitem__(self, variant: str) -> Scores:
        return self.scores[variant]


def _merged_scores(counts: Sequence[Mapping[str, np.ndarray]]) -> dict[str, Any]:
    from ...metrics import MetricAccumulator

    if not counts:
        raise DataError("no videos to score: the split is empty")
    total = MetricAccumulator.from_arrays(counts[0])
    for part in counts[1:]:
        total.merge(MetricAccumulator.from_arrays(part))
    return total.result()


def summarize(records: Sequence[VideoRecord], stages: Mapping[str, Sequence[str]]) -> dict[str, Scores]:
    """Merge per-video records (in the given order) into one :class:`Scores` per variant.

    Parameters
    ----------
    records : the videos of a run.
    stages : variant -> the timed stages that produce it (their seconds per frame go into its scores).
    """
    frames = sum(r.frames for r in records)
    out = {}
    for variant, variant_stages in stages.items():
        values = _merged_scores([r.counts[variant] for r in records])
        per_frame = {stage: sum(r.seconds[stage] for r in records) / frames for stage in variant_stages}
        out[variant] = Scores(miou=float(values["miou"]), miou_present=float(values["miou_present"]),
                              mbiou=float(values["mbiou"]), mvc8=float(values["mvc8"]),
                              mvc16=float(values["mvc16"]), mvcc8=float(values["mvcc8"]),
                              mvcc16=float(values["mvcc16"]), iou=[float(v) for v in values["iou"]],
                              biou=[float(v) for v in values["biou"]], seconds_per_frame=per_frame)
    return out


def write_metrics(result: RunResult) -> Path | None:
    """Write ``<result.out>/metrics.json`` (key-sorted, strict JSON, atomic); nothing when ``out`` is None.

    The file holds the run's identity, ``videos``, ``frames``, ``settings`` and one object per variant with
    ``miou``, ``miou_present``, ``mbiou``, ``mvc8``, ``mvc16``, ``mvcc8``, ``mvcc16``, per-class ``iou`` and ``biou``,
    ``seconds_per_frame`` per stage and ``fps``.
    """
    if result.out is None:
        return None
    document: dict[str, Any] = {
        "approach": result.approach, "dataset": result.dataset, "split": result.split,
        "baseline_name": result.baseline_name, "masklet_source": result.masklet_source,
        "class_names": result.class_names, "settings": result.settings, "videos": result.videos,
        "frames": result.frames}
    if result.features is not None:
        document.update(features=result.features, classifier_loss=result.classifier_loss)
    for variant, scores in result.scores.items():
        document[variant] = {**asdict(scores), "fps": scores.fps}
    peaks = {r.video: r.peak_memory_mib for r in result.records if r.peak_memory_mib}
    if peaks:  # device memory of masklet propagation, per window, as measured when the masklets were made
        document["peak_memory_mib"] = {"max": max(max(v) for v in peaks.values()), "per_window": peaks}
    path = Path(result.out) / "metrics.json"
    write_json_atomic(path, jsonable(document))
    return path


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy scalars as Python numbers, tuples as lists, NaN and infinity as ``null`` (strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
