"""Cached, resumable runs of approach 1 over a dataset split, one video at a time.

A run is described by a frozen, picklable :class:`RefineSpec`. :func:`refine_video` does one video: the
baseline prediction, the masklets, the refined map and the metric counts of both. Each is a product cached
per video (:class:`vsslib.cache.ProductCache`, kinds ``"baseline"``, ``"masklets"``, ``"refined"``,
``"metrics"``), keyed by every setting that shapes it and checked against the fingerprint of the video's
files, and each is stored with the seconds it took when it was computed, so a resumed run reports the
times measured back then. A re-run skips finished videos; a run killed at any moment resumes where it
stopped (products and predictions appear only complete); changing the vote recomputes refined maps and
metric counts but reuses baselines and masklets.

:func:`run_refine` maps :func:`refine_video` over the videos with any :mod:`vsslib.executor`, merges the
exact per-video counts (:class:`vsslib.metrics.MetricAccumulator`) in video order, so the numbers do not
depend on the executor, and writes ``OUT/pred/<video>/<frame>.png`` and, last, ``OUT/metrics.json``.

Heavy objects (datasets, networks, the SAM2 model) are built once per worker process and memoised by
their settings (:data:`_MEMO`); a task carries only the spec and a video name.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._io import read_image, save_png_atomic, write_json_atomic
from .cache import ProductCache, default_cache_root, fingerprint_files, stable_hash
from .errors import DataError, ParameterError
from .executor import Executor, SerialExecutor

__all__ = ["RefineSpec", "VideoResult", "refine_video", "run_refine", "summarise", "open_split",
           "baseline_segmenter", "masklet_source", "baseline_for", "masklets_for", "write_predictions",
           "STAGES", "STALL_ENV"]

STAGES = ("baseline", "masklets", "refinement")
"""Timed stages of approach 1, in order."""

STALL_ENV = "VSSLIB_STALL_AFTER"
"""Test hook: ``"<kind>:<n>"`` makes a process stall after storing its n-th product of ``kind`` (a cache kind,
or ``"video"`` once a video's predictions are written), so a test can kill a run at a known point."""

VOTES = ("masklet", "frame")


def _default_cache_root() -> str:
    return str(default_cache_root())


@dataclass(frozen=True)
class RefineSpec:
    """Everything that defines an approach-1 run (frozen, picklable, hashable).

    Exactly one baseline: ``segmenter`` (a network trained on the train split, weights cached) or
    ``predictions`` (a folder ``<video>/<frame>.png`` of any model's predictions).
    """

    data_root: str  # dataset root in the VSPW layout
    split: str = "val"  # evaluated split
    segmenter: str | None = None  # baseline network name (see vsslib.segmenters.list_segmenters)
    predictions: str | None = None  # or a folder of predictions <video>/<frame>.png
    masks: str = "classical"  # masklet source name (see vsslib.masks.list_masklet_sources)
    mask_settings: tuple[tuple[str, Any], ...] = ()  # keyword settings of the source, as sorted pairs
    vote: str = "masklet"  # "masklet": majority over the whole masklet; "frame": per frame
    dilation_ratio: float = 0.02  # Boundary IoU band width, ratio of the image diagonal
    cache_root: str = field(default_factory=_default_cache_root)  # per-video products ($VSSLIB_CACHE or .cache)
    out: str | None = None  # OUT/pred/<video>/<frame>.png and OUT/metrics.json (None: nothing written)
    train_seed: int = 0  # seed of baseline training
    max_videos: int = 0  # only the first N videos of the split (0 = all)
    write_predictions: bool = True  # write OUT/pred/ (metrics.json is written whenever out is set)

    def __post_init__(self) -> None:
        if (self.segmenter is None) == (self.predictions is None):
            raise ParameterError("give exactly one baseline: a segmenter name or a predictions folder "
                                 f"(got segmenter={self.segmenter!r}, predictions={self.predictions!r})")
        if self.vote not in VOTES:
            raise ParameterError(f"vote={self.vote!r} is not one of {', '.join(VOTES)}")
        if not self.dilation_ratio > 0:
            raise ParameterError(f"dilation_ratio={self.dilation_ratio!r} must be a positive ratio of the diagonal")
        if self.max_videos < 0:
            raise ParameterError(f"max_videos={self.max_videos} must be 0 (all) or positive")

    @staticmethod
    def settings_tuple(settings: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
        """Keyword settings as the sorted, hashable tuple :attr:`mask_settings` stores (lists become tuples)."""
        return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in settings.items()))

    @property
    def baseline_name(self) -> str:
        """How outputs name the baseline: the network's name or ``predictions:<folder name>``."""
        return self.segmenter if self.segmenter is not None else f"predictions:{Path(self.predictions).name}"

    def replace(self, **changes: Any) -> RefineSpec:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class VideoResult:
    """What one video contributes to a run: exact metric counts and the measured seconds per stage.

    ``baseline_counts`` / ``refined_counts`` are :meth:`vsslib.metrics.MetricAccumulator.to_arrays` dicts;
    ``seconds`` maps each of :data:`STAGES` to the seconds it took for the whole video.
    """

    video: str
    frames: int
    baseline_counts: dict[str, np.ndarray]
    refined_counts: dict[str, np.ndarray]
    seconds: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- per-process memo of heavy objects
_MEMO: dict[str, Any] = {}
_STORED: Counter[str] = Counter()


def open_split(data_root: str, split: str) -> Any:
    """The :class:`~vsslib.data.VSPWDataset` of a split (memoised per process)."""
    from .data import VSPWDataset

    key = f"dataset:{data_root}:{split}"
    if key not in _MEMO:
        _MEMO[key] = VSPWDataset(data_root, split)
    return _MEMO[key]


def baseline_segmenter(spec: RefineSpec) -> Any:
    """The baseline of ``spec``, built once per process: a trained network or a :class:`PredictionsOnDisk`.

    Raises
    ------
    DataError : the predictions folder does not exist.
    ParameterError : unknown segmenter name.
    """
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
    """The masklet source ``name`` with keyword ``settings``, built once per process (SAM2 loads once)."""
    key = f"masks:{name}:{settings!r}"
    if key not in _MEMO:
        from .masks import create_masklet_source

        _MEMO[key] = create_masklet_source(name, **dict(settings))
    return _MEMO[key]


def _segmenter_identity(spec: RefineSpec, segmenter: Any) -> str:
    """What the baseline cache is keyed by: the network's name and weights, or the predictions folder."""
    if spec.segmenter is not None:
        import torch

        state = segmenter.state_dict()
        digest = stable_hash({name: tensor.detach().cpu().numpy() for name, tensor in state.items()
                              if isinstance(tensor, torch.Tensor)})
        return f"{spec.segmenter}:{digest}"
    return f"predictions:{os.path.abspath(spec.predictions)}"


# ------------------------------------------------------------------------------------------ cached products
def _stall_hook(kind: str) -> None:
    """Stall this process after its n-th stored ``kind`` when ``$VSSLIB_STALL_AFTER`` is ``"<kind>:<n>"``."""
    rule = os.environ.get(STALL_ENV)
    if not rule:
        return
    _STORED[kind] += 1
    wanted, _, count = rule.partition(":")
    if wanted == kind and _STORED[kind] == int(count):
        time.sleep(3600)  # the test kills the process here


def _cached(cache: ProductCache, video: str, fingerprint: str,
            compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Load ``video``'s product if it was made from the same input files, else compute, time and store it.

    Returns the product's arrays plus ``"seconds"`` (0-d float64, the compute time when it was made) and
    ``"fingerprint"`` (0-d str).
    """
    found = cache.load(video)
    if found is not None and str(found.get("fingerprint")) == fingerprint:
        return found
    started = time.perf_counter()
    arrays = compute()
    arrays["seconds"] = np.array(time.perf_counter() - started)
    arrays["fingerprint"] = np.array(fingerprint)
    cache.save(video, **arrays)
    _stall_hook(cache.folder.parent.name)
    return arrays


def baseline_for(spec: RefineSpec, video: Any, fingerprint: str) -> dict[str, np.ndarray]:
    """The cached baseline prediction of one video.

    Parameters
    ----------
    spec : the run.
    video : the loaded :class:`~vsslib.data.Video`.
    fingerprint : :func:`~vsslib.cache.fingerprint_files` of the video's input files.

    Returns
    -------
    ``{"labels": (T, H, W) uint8, "seconds": 0-d float64, "fingerprint": 0-d str}``.

    Raises
    ------
    DataError : a prediction file is missing (names the first missing file and how many are), or unreadable.
    """
    segmenter = baseline_segmenter(spec)
    ident_key = f"ident:{spec.baseline_name}:{spec.predictions}:{spec.cache_root}:{spec.train_seed}:{spec.data_root}"
    if ident_key not in _MEMO:
        _MEMO[ident_key] = _segmenter_identity(spec, segmenter)
    cache = ProductCache(spec.cache_root, "baseline", {"segmenter": _MEMO[ident_key]})
    if spec.predictions is not None:  # the prediction files are inputs too
        files = [segmenter.path(video.name, f) for f in video.frame_ids]
        missing = [p for p in files if not p.is_file()]
        if missing:
            raise DataError(f"{missing[0]}: prediction of video {video.name!r} frame {missing[0].stem} not found "
                            f"({len(missing)} of {len(files)} frames missing)")
        fingerprint = stable_hash([fingerprint, fingerprint_files(files)])
    return _cached(cache, video.name, fingerprint, lambda: {"labels": segmenter.predict(video)})


def masklets_for(spec: RefineSpec, video: Any, fingerprint: str) -> dict[str, np.ndarray]:
    """The cached masklets of one video: ``{"ids": (T, H, W) int32, "seconds", "fingerprint"}``.

    Keyed by the source's name and resolved settings only, so runs that differ in anything else (baseline,
    vote, metrics) share them.
    """
    source = masklet_source(spec.masks, spec.mask_settings)
    cache = ProductCache(spec.cache_root, "masklets", {"source": spec.masks, "settings": source.settings})
    return _cached(cache, video.name, fingerprint, lambda: {"ids": source(video.frames, video)})


def write_predictions(folder: str | os.PathLike[str], frame_ids: Sequence[str], labels: np.ndarray) -> int:
    """Write ``folder/<frame>.png`` for each frame atomically, leaving files that already hold these labels.

    Parameters
    ----------
    folder : the video's prediction folder.
    frame_ids : T frame names.
    labels : (T, H, W) uint8 class ids, 255 = none.

    Returns
    -------
    Number of files written (0 on a re-run of a finished video: their times stay unchanged).
    """
    written = 0
    for frame_id, frame in zip(frame_ids, labels, strict=True):
        path = Path(folder) / f"{frame_id}.png"
        if path.is_file():
            try:
                if np.array_equal(read_image(path), frame):
                    continue
            except DataError:  # unreadable: overwrite it
                pass
        save_png_atomic(path, frame)
        written += 1
    return written


def refine_video(spec: RefineSpec, name: str) -> VideoResult:
    """Baseline, masklets, refinement and metric counts of one video (each cached), predictions written.

    Raises
    ------
    DataError : the video has no ground truth, a prediction is missing, or the baseline's shape differs from
        the frames'.
    """
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
                        f"frames {video.labels.shape} (T, H, W)")
    masks = masklets_for(spec, video, fingerprint)
    refined_cache = ProductCache(spec.cache_root, "refined", {
        "baseline": stable_hash(base["labels"]), "masklets": stable_hash(masks["ids"]), "vote": spec.vote,
        "num_classes": dataset.num_classes})
    refined = _cached(refined_cache, name, fingerprint, lambda: {
        "labels": refine(base["labels"], masks["ids"], dataset.num_classes, vote=spec.vote)})
    metrics_cache = ProductCache(spec.cache_root, "metrics", {
        "refined": refined_cache.key, "baseline": stable_hash(base["labels"]), "dilation_ratio": spec.dilation_ratio,
        "counts_format": sorted(MetricAccumulator(1).to_arrays())})

    def counts() -> dict[str, np.ndarray]:
        out = {}
        for prefix, labels in (("baseline", base["labels"]), ("refined", refined["labels"])):
            acc = MetricAccumulator(dataset.num_classes, dilation_ratio=spec.dilation_ratio)
            acc.update(video.labels, labels)
            out.update({f"{prefix}.{k}": v for k, v in acc.to_arrays().items()})
        return out

    metrics = _cached(metrics_cache, name, fingerprint, counts)
    if spec.out is not None and spec.write_predictions:
        write_predictions(Path(spec.out) / "pred" / name, video.frame_ids, refined["labels"])
    _stall_hook("video")
    split_counts = {p: {k.split(".", 1)[1]: v for k, v in metrics.items() if k.startswith(p + ".")}
                    for p in ("baseline", "refined")}
    return VideoResult(video=name, frames=video.num_frames, baseline_counts=split_counts["baseline"],
                       refined_counts=split_counts["refined"],
                       seconds={"baseline": float(base["seconds"]), "masklets": float(masks["seconds"]),
                                "refinement": float(refined["seconds"])})


class _RefineTask:
    """Picklable callable for executors: one video of a spec (the spec is small; models stay in the worker)."""

    def __init__(self, spec: RefineSpec) -> None:
        self.spec = spec

    def __call__(self, name: str) -> VideoResult:
        return refine_video(self.spec, name)


def _videos(spec: RefineSpec) -> list[str]:
    videos = list(open_split(spec.data_root, spec.split).videos)
    return videos[: spec.max_videos] if spec.max_videos else videos


def _scores(counts: list[dict[str, np.ndarray]]) -> dict[str, Any]:
    """Merge per-video accumulator arrays in the given order and score them."""
    from .metrics import MetricAccumulator

    if not counts:
        raise DataError("no videos to score: the split is empty")
    total = MetricAccumulator.from_arrays(counts[0])
    for part in counts[1:]:
        total.merge(MetricAccumulator.from_arrays(part))
    return total.result()


def summarise(results: list[VideoResult]) -> dict[str, Any]:
    """Merge per-video results (in the given order) into the ``"baseline"`` and ``"refined"`` metric dicts.

    Each holds the scores of :meth:`MetricAccumulator.result` plus ``seconds_per_frame`` (per stage: the
    baseline's own stage, or every stage of approach 1) and ``fps`` (1 / their sum).
    """
    frames = sum(r.frames for r in results)
    per_frame = {stage: sum(r.seconds[stage] for r in results) / frames for stage in STAGES}
    baseline = _scores([r.baseline_counts for r in results])
    refined = _scores([r.refined_counts for r in results])
    baseline["seconds_per_frame"] = {"baseline": per_frame["baseline"]}
    refined["seconds_per_frame"] = dict(per_frame)
    for scores in (baseline, refined):
        total = sum(scores["seconds_per_frame"].values())
        scores["fps"] = 1.0 / total if total > 0 else float("inf")
    return {"baseline": baseline, "refined": refined, "videos": [r.video for r in results], "frames": frames}


def run_refine(spec: RefineSpec, *, executor: Executor | None = None, progress: bool = True) -> dict[str, Any]:
    """Refine every video of the split; return (and write, when ``spec.out`` is set) the metrics.

    Parameters
    ----------
    spec : the run.
    executor : where videos run (:mod:`vsslib.executor`; the caller closes it); default in process.
    progress : show a per-video progress bar.

    Returns
    -------
    dict with ``"baseline"`` and ``"refined"`` (``miou``, ``mbiou``, ``mvc8``, ``mvc16``, per-class ``iou`` and
    ``biou``, ``seconds_per_frame`` per stage, ``fps``), ``"videos"``, ``"frames"``, ``"dataset"``,
    ``"split"``, ``"masklet_source"``, ``"baseline_name"``, ``"class_names"`` and ``"settings"``. The same
    goes to ``OUT/metrics.json`` (key-sorted, atomic, written after every prediction).

    Raises
    ------
    DataError, ParameterError, CheckpointError : bad dataset, predictions, settings or checkpoint; raised
        in this process before any worker starts where they can be detected up front.
    """
    # Build what fails fast here (missing dataset or checkpoint, bad settings) before any worker starts.
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
    """``obj`` with numpy scalars as Python numbers, tuples as lists, NaN and infinity as ``null`` (strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
