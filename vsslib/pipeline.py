"""Cached, resumable runs of approach 1 over a dataset split, one video at a time.

A run is described by a frozen, picklable :class:`RefineSpec`. :func:`refine_video` does one video: the
baseline prediction, the masklets, the refined map and the metric counts of both, each a product cached
per video under :mod:`vsslib.cache` keyed by its inputs (the video's file fingerprint) and every setting
that shapes it, and each stored with the seconds it took when it was computed. A re-run skips finished
videos; a run killed at any moment resumes where it stopped (products appear only complete); changing the
vote recomputes refined maps and metrics but reuses baselines and masklets. :func:`run_refine` maps it over
the videos with any :mod:`vsslib.executor`, merges the exact per-video counts in video order, and writes
``OUT/pred/<video>/<frame>.png`` and, last, ``OUT/metrics.json``.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._io import save_png_atomic, write_json_atomic
from .cache import ProductCache, fingerprint_files, stable_hash
from .errors import DataError, ParameterError
from .executor import Executor, SerialExecutor

__all__ = ["RefineSpec", "VideoResult", "refine_video", "run_refine", "summarise", "open_split",
           "baseline_segmenter", "masklet_source", "baseline_for", "masklets_for"]


@dataclass(frozen=True)
class RefineSpec:
    """Everything that defines a refinement run (picklable, hashable)."""

    data_root: str
    split: str = "val"
    segmenter: str | None = None  # a baseline network name (trained on the train split), or
    predictions: str | None = None  # a folder of your model's PNG predictions <video>/<frame>.png
    masks: str = "classical"  # masklet source name
    mask_settings: tuple[tuple[str, Any], ...] = ()  # keyword settings of the source, as sorted pairs
    vote: str = "masklet"  # "masklet" or "frame"
    dilation_ratio: float = 0.02
    cache_root: str = ".cache"
    out: str | None = None  # where predictions and metrics.json are written (None: not written)
    train_seed: int = 0
    max_videos: int = 0  # first N videos of the split (0 = all)
    write_predictions: bool = True

    def __post_init__(self) -> None:
        if (self.segmenter is None) == (self.predictions is None):
            raise ParameterError("give exactly one baseline: a segmenter name or a predictions folder")
        if self.vote not in ("masklet", "frame"):
            raise ParameterError(f"vote={self.vote!r} is not one of masklet, frame")
        if not self.dilation_ratio > 0:
            raise ParameterError(f"dilation_ratio={self.dilation_ratio!r} must be positive")
        if self.max_videos < 0:
            raise ParameterError(f"max_videos={self.max_videos} must be 0 (all) or positive")

    @staticmethod
    def settings_tuple(settings: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
        """Mask settings as the sorted tuple the spec stores (lists become tuples)."""
        return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in settings.items()))

    @property
    def baseline_name(self) -> str:
        return self.segmenter if self.segmenter is not None else f"predictions:{Path(self.predictions).name}"


@dataclass
class VideoResult:
    """What one video contributes: exact metric counts and measured seconds per stage."""

    video: str
    frames: int
    baseline_counts: dict[str, np.ndarray]
    refined_counts: dict[str, np.ndarray]
    seconds: dict[str, float] = field(default_factory=dict)


# Heavy objects are built once per process, never pickled per task.
_MEMO: dict[str, Any] = {}


def open_split(data_root: str, split: str) -> Any:
    """The :class:`~vsslib.data.VSPWDataset` of a split (memoised per process)."""
    from .data import VSPWDataset

    key = f"dataset:{data_root}:{split}"
    if key not in _MEMO:
        _MEMO[key] = VSPWDataset(data_root, split)
    return _MEMO[key]


def baseline_segmenter(spec: RefineSpec) -> Any:
    """The baseline of ``spec``: a trained network (cached weights) or predictions on disk."""
    key = f"segmenter:{spec.data_root}:{spec.segmenter}:{spec.predictions}:{spec.train_seed}:{spec.cache_root}"
    if key not in _MEMO:
        from .segmenters import PredictionsOnDisk, create_segmenter

        if spec.segmenter is not None:
            _MEMO[key] = create_segmenter(spec.segmenter, dataset_root=spec.data_root, cache_root=spec.cache_root,
                                          seed=spec.train_seed, progress=False)
        else:
            folder = Path(spec.predictions)
            if not folder.is_dir():
                raise DataError(f"{folder}: prediction folder not found (expected <video>/<frame>.png inside)")
            _MEMO[key] = PredictionsOnDisk(folder, open_split(spec.data_root, spec.split).num_classes)
    return _MEMO[key]


def masklet_source(name: str, settings: tuple[tuple[str, Any], ...]) -> Any:
    """A masklet source built once per process."""
    key = f"masks:{name}:{settings!r}"
    if key not in _MEMO:
        from .masks import create_masklet_source

        _MEMO[key] = create_masklet_source(name, **dict(settings))
    return _MEMO[key]


def _segmenter_identity(spec: RefineSpec, segmenter: Any) -> str:
    if spec.segmenter is not None:
        import torch

        state = segmenter.state_dict()
        digest = stable_hash({name: tensor.detach().cpu().numpy() for name, tensor in state.items()
                              if isinstance(tensor, torch.Tensor)})
        return f"{spec.segmenter}:{digest}"
    return f"predictions:{os.path.abspath(spec.predictions)}"


def _cached(cache: ProductCache, video: str, fingerprint: str, compute: Any) -> dict[str, np.ndarray]:
    """Load ``video``'s product if it was made from the same inputs, else compute, time and store it."""
    found = cache.load(video)
    if found is not None and str(found.get("fingerprint")) == fingerprint:
        return found
    started = time.perf_counter()
    arrays = compute()
    arrays["seconds"] = np.array(time.perf_counter() - started)
    arrays["fingerprint"] = np.array(fingerprint)
    cache.save(video, **arrays)
    return arrays


def baseline_for(spec: RefineSpec, video: Any, fingerprint: str) -> dict[str, np.ndarray]:
    """The cached baseline prediction of one video: ``{"labels": (T,H,W) uint8, "seconds": ...}``."""
    segmenter = baseline_segmenter(spec)
    ident_key = f"ident:{spec.baseline_name}:{spec.cache_root}:{spec.train_seed}:{spec.data_root}"
    if ident_key not in _MEMO:
        _MEMO[ident_key] = _segmenter_identity(spec, segmenter)
    cache = ProductCache(spec.cache_root, "baseline", {"segmenter": _MEMO[ident_key]})
    if spec.predictions is not None:  # the files themselves are inputs
        files = [segmenter.path(video.name, f) for f in video.frame_ids]
        missing = [p for p in files if not p.is_file()]
        if missing:
            raise DataError(f"{missing[0]}: prediction of video {video.name!r} frame {missing[0].stem} not found "
                            f"({len(missing)} of {len(files)} frames missing)")
        fingerprint = stable_hash([fingerprint, fingerprint_files(files)])
    return _cached(cache, video.name, fingerprint, lambda: {"labels": segmenter.predict(video)})


def masklets_for(spec: RefineSpec, video: Any, fingerprint: str) -> dict[str, np.ndarray]:
    """The cached masklets of one video: ``{"ids": (T,H,W) int32, "seconds": ...}``."""
    source = masklet_source(spec.masks, spec.mask_settings)
    cache = ProductCache(spec.cache_root, "masklets", {"source": spec.masks, "settings": source.settings})
    return _cached(cache, video.name, fingerprint, lambda: {"ids": source(video.frames, video)})


def refine_video(spec: RefineSpec, name: str) -> VideoResult:
    """Baseline, masklets, refinement and metric counts of one video (all cached)."""
    from .metrics import MetricAccumulator
    from .refine import refine

    dataset = open_split(spec.data_root, spec.split)
    video = dataset.load(name)
    if video.labels is None:
        raise DataError(f"video {name!r} of split {spec.split!r} has no ground truth: metrics need masks")
    fingerprint = fingerprint_files(dataset.input_paths(name))
    base = baseline_for(spec, video, fingerprint)
    if base["labels"].shape != video.labels.shape:
        raise DataError(f"video {name!r}: baseline predictions of shape {base['labels'].shape} differ from the "
                        f"frames {video.labels.shape}")
    masks = masklets_for(spec, video, fingerprint)
    refined_cache = ProductCache(spec.cache_root, "refined", {
        "baseline": stable_hash(base["labels"]), "masklets": stable_hash(masks["ids"]), "vote": spec.vote,
        "num_classes": dataset.num_classes})
    refined = _cached(refined_cache, name, fingerprint, lambda: {
        "labels": refine(base["labels"], masks["ids"], dataset.num_classes, vote=spec.vote)})
    metrics_cache = ProductCache(spec.cache_root, "metrics", {
        "refined": refined_cache.key, "baseline": stable_hash(base["labels"]), "dilation_ratio": spec.dilation_ratio})

    def counts() -> dict[str, np.ndarray]:
        out = {}
        for prefix, labels in (("baseline", base["labels"]), ("refined", refined["labels"])):
            acc = MetricAccumulator(dataset.num_classes, dilation_ratio=spec.dilation_ratio).update(video.labels, labels)
            out.update({f"{prefix}.{k}": v for k, v in acc.to_arrays().items()})
        return out

    metrics = _cached(metrics_cache, name, fingerprint, counts)
    if spec.out is not None and spec.write_predictions:
        for frame_id, labels in zip(video.frame_ids, refined["labels"], strict=True):
            save_png_atomic(Path(spec.out) / "pred" / name / f"{frame_id}.png", labels)
    split_counts = {p: {k.split(".", 1)[1]: v for k, v in metrics.items() if k.startswith(p + ".")}
                    for p in ("baseline", "refined")}
    return VideoResult(video=name, frames=video.num_frames, baseline_counts=split_counts["baseline"],
                       refined_counts=split_counts["refined"],
                       seconds={"baseline": float(base["seconds"]), "masklets": float(masks["seconds"]),
                                "refinement": float(refined["seconds"])})


class _RefineTask:
    """Picklable callable: one video of a spec."""

    def __init__(self, spec: RefineSpec) -> None:
        self.spec = spec

    def __call__(self, name: str) -> VideoResult:
        return refine_video(self.spec, name)


def _videos(spec: RefineSpec) -> list[str]:
    videos = list(open_split(spec.data_root, spec.split).videos)
    return videos[: spec.max_videos] if spec.max_videos else videos


def _scores(counts: list[dict[str, np.ndarray]]) -> dict[str, Any]:
    from .metrics import MetricAccumulator

    total = MetricAccumulator.from_arrays(counts[0])
    for part in counts[1:]:
        total.merge(MetricAccumulator.from_arrays(part))
    return total.result()


def summarise(results: list[VideoResult]) -> dict[str, Any]:
    """Merge per-video results (in the given order) into the ``baseline`` / ``refined`` metric dicts."""
    frames = sum(r.frames for r in results)
    per_frame = {stage: sum(r.seconds[stage] for r in results) / frames for stage in ("baseline", "masklets",
                                                                                     "refinement")}
    baseline = _scores([r.baseline_counts for r in results])
    refined = _scores([r.refined_counts for r in results])
    baseline["seconds_per_frame"] = {"baseline": per_frame["baseline"]}
    baseline["fps"] = 1.0 / per_frame["baseline"] if per_frame["baseline"] > 0 else float("inf")
    refined["seconds_per_frame"] = dict(per_frame)
    total = sum(per_frame.values())
    refined["fps"] = 1.0 / total if total > 0 else float("inf")
    return {"baseline": baseline, "refined": refined, "videos": [r.video for r in results], "frames": frames}


def run_refine(spec: RefineSpec, *, executor: Executor | None = None, progress: bool = True) -> dict[str, Any]:
    """Refine every video of the split; return (and write, with ``spec.out``) the metrics.

    Returns
    -------
    dict with ``"baseline"`` and ``"refined"`` (``miou``, ``miou_present``, ``mbiou``, ``mvc8``, ``mvc16``,
    per-class ``iou``/``biou``, ``seconds_per_frame`` per stage, ``fps``), ``"videos"``, ``"frames"``,
    ``"dataset"``, ``"masklet_source"``, ``"baseline_name"`` and ``"settings"``.
    """
    # Build what fails fast in this process (bad checkpoint, missing folders) before spawning workers.
    dataset = open_split(spec.data_root, spec.split)
    baseline_segmenter(spec)
    masklet_source(spec.masks, spec.mask_settings)
    executor = executor or SerialExecutor()
    results = executor.map(_RefineTask(spec), _videos(spec), desc=f"refine ({spec.masks})", progress=progress)
    metrics = summarise(results)
    metrics.update({"dataset": dataset.name, "split": spec.split, "masklet_source": spec.masks,
                    "baseline_name": spec.baseline_name, "class_names": list(dataset.class_names),
                    "settings": {k: (list(v) if isinstance(v, tuple) else v)
                                 for k, v in dataclasses.asdict(spec).items() if k not in ("out", "cache_root")}})
    if spec.out is not None:
        write_json_atomic(Path(spec.out) / "metrics.json", _jsonable(metrics))
    return metrics


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, (np.floating, np.integer)):
        return _jsonable(obj.item())
    return obj
