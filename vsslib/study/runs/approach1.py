"""Approach 1 over a split: SAM2 (or another masklet source) as a refiner of a baseline's label maps.

For each video (:func:`refine_video`): the baseline prediction and the masklets (shared products,
:mod:`vsslib.study.runs.products`), the refined map (:func:`vsslib.refine.refine`, cached per video and vote) and
the exact metric counts of both (cached). :func:`run_refine` maps it over the videos with any
:mod:`vsslib.base.executor`, merges the counts in video order (:mod:`vsslib.study.runs.report`), and writes
``OUT/pred/<video>/<frame>.png`` and, last, ``OUT/metrics.json``.

A re-run skips finished videos; a run killed at any moment resumes where it stopped (products and
predictions appear only complete); changing the vote recomputes refined maps and metric counts but reuses
baselines and masklets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...base.cache import ProductCache, stable_hash
from ...base.errors import ParameterError
from ...base.executor import Executor, SerialExecutor
from ..settings import VOTES
from .products import (RunSpec, baseline_labels, baseline_model, cached_product, flatten_counts, load_video,
                       masklet_ids, masklet_source, open_split, unflatten_counts, write_predictions)
from .report import RunResult, VideoRecord, summarize, write_metrics

__all__ = ["RefineSpec", "refine_video", "run_refine", "REFINE_STAGES", "REFINE_VARIANTS"]

REFINE_STAGES = ("baseline", "masklets", "refinement")
"""Timed stages of approach 1, in order."""

REFINE_VARIANTS = {"baseline": ("baseline",), "refined": REFINE_STAGES}
"""The scored label maps of approach 1 and the stages that produce each."""


@dataclass(frozen=True)
class RefineSpec(RunSpec):
    """An approach-1 run: a :class:`RunSpec` and how masklets vote."""

    vote: str = "masklet"  # see vsslib.study.settings.VOTES

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.vote not in VOTES:
            raise ParameterError(f"vote={self.vote!r} is not one of {', '.join(VOTES)}")


def refine_video(spec: RefineSpec, name: str) -> VideoRecord:
    """Baseline, masklets, refinement and metric counts of one video (each cached); predictions written.

    Raises
    ------
    DataError : the video has no ground truth, a prediction is missing, or the baseline's shape differs from
        the frames'.
    """
    from ...metrics import MetricAccumulator
    from ...refine import refine

    num_classes = open_split(spec.data_root, spec.split).num_classes
    video, fingerprint = load_video(spec, name)
    base = baseline_labels(spec, video, fingerprint)
    masks = masklet_ids(spec, video, fingerprint)
    base_hash, masks_hash = stable_hash(base.arrays["labels"]), stable_hash(masks.arrays["ids"])
    refined_cache = ProductCache(spec.cache_root, "refined", {
        "baseline": base_hash, "masklets": masks_hash, "vote": spec.vote, "num_classes": num_classes})
    refined = cached_product(refined_cache, name, fingerprint, lambda: {
        "labels": refine(base.arrays["labels"], masks.arrays["ids"], num_classes, vote=spec.vote)})
    counts_cache = ProductCache(spec.cache_root, "metrics", {
        "refined": refined_cache.key, "baseline": base_hash,
        "accumulator": MetricAccumulator(num_classes, dilation_ratio=spec.dilation_ratio).settings})

    def counts() -> dict:
        return flatten_counts({variant: MetricAccumulator(num_classes, dilation_ratio=spec.dilation_ratio)
                               .update(video.labels, labels, raw_gt=video.raw_labels).to_arrays()
                               for variant, labels in (("baseline", base.arrays["labels"]),
                                                       ("refined", refined.arrays["labels"]))})

    metric_counts = cached_product(counts_cache, name, fingerprint, counts)
    if spec.out is not None and spec.write_predictions:
        write_predictions(Path(spec.out) / "pred" / name, video.frame_ids, refined.arrays["labels"])
    return VideoRecord(video=name, frames=video.num_frames, counts=unflatten_counts(metric_counts.arrays),
                       seconds={"baseline": base.seconds, "masklets": masks.seconds, "refinement": refined.seconds},
                       peak_memory_mib=[float(v) for v in masks.arrays.get("peak_memory_mib", ())])


class _RefineTask:
    """Picklable callable for executors: one video of a spec (the spec is small; models stay in the worker)."""

    def __init__(self, spec: RefineSpec) -> None:
        self.spec = spec

    def __call__(self, name: str) -> VideoRecord:
        return refine_video(self.spec, name)


def run_refine(spec: RefineSpec, *, executor: Executor | None = None, progress: Any = True) -> RunResult:
    """Refine every video of the split; return (and write, when ``spec.out`` is set) the result.

    Parameters
    ----------
    spec : the run.
    executor : where videos run (:mod:`vsslib.base.executor`; the caller closes it); default in process.
    progress : show a per-video progress bar; or a longer step's bar (:meth:`vsslib.study.Study.step`)
        that shows how far this run is.

    Raises
    ------
    DataError, ParameterError, CheckpointError : bad dataset, predictions, settings or checkpoint; raised
        in this process before any worker starts where they can be detected up front.
    """
    dataset = open_split(spec.data_root, spec.split)
    masklet_source(spec.masks, spec.mask_settings)  # a missing checkpoint stops before any network trains
    baseline_model(spec)
    executor = executor or SerialExecutor()
    records = executor.map(_RefineTask(spec), spec.videos(), desc=f"refine ({spec.masks})", progress=progress)
    result = RunResult(approach="refine", dataset=dataset.name, split=spec.split, baseline_name=spec.baseline_name,
                       masklet_source=spec.masks, class_names=list(dataset.class_names),
                       settings=spec.public_settings(), scores=summarize(records, REFINE_VARIANTS),
                       records=records, out=spec.out)
    write_metrics(result)
    return result
