"""Cached runs of approach 2 over a dataset: pool masklet features, train the MLP, segment, score.

1. For every train video: masklets, features, pooled vectors and majority-class targets (cached per
   video, kind ``"pooled"``).
2. The MLP is trained on all of them (cached by a hash of its training set and settings).
3. For every evaluated video: the same pooled vectors, class probabilities, and three segmentations:
   ``none`` (pixels outside masklets stay 255), ``fallback`` (they take the baseline network's class) and
   ``fused`` (classifier probabilities times the network's votes; :func:`vsslib.classify.fuse`).
   Predictions go to ``OUT/pred/`` (fallback, the main variant), ``OUT/pred-none/`` and ``OUT/pred-fused/``;
   ``OUT/metrics.json`` holds ``baseline``, ``none``, ``fallback`` and ``fused``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._io import save_png_atomic, write_json_atomic
from .cache import ProductCache, fingerprint_files, stable_hash
from .errors import ParameterError
from .executor import Executor, SerialExecutor
from .pipeline import RefineSpec, _jsonable, _MEMO, _scores, baseline_for, masklets_for, open_split

__all__ = ["ClassifySpec", "run_classify", "feature_source", "pooled_for", "VARIANTS"]

VARIANTS = ("none", "fallback", "fused")


@dataclass(frozen=True)
class ClassifySpec:
    """Everything that defines an approach-2 run."""

    data_root: str
    split: str = "val"
    segmenter: str = "fcn16-wide"  # baseline network for the fallback and fused variants
    features: str = "appearance"  # feature source name
    masks: str = "classical"
    mask_settings: tuple[tuple[str, Any], ...] = ()
    epochs: int = 60
    hidden: tuple[int, ...] = (128, 64)
    class_weighting: bool = False
    fuse_weight: float = 1.0
    dilation_ratio: float = 0.02
    cache_root: str = ".cache"
    out: str | None = None
    train_seed: int = 0
    max_videos: int = 0
    write_predictions: bool = True

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ParameterError(f"epochs={self.epochs} must be at least 1")
        if self.split == "train":
            raise ParameterError("approach 2 trains its classifier on the train split: evaluate on val or test")

    def refine_spec(self, split: str) -> RefineSpec:
        """The approach-1 spec sharing this run's baseline and masklets (so their caches are shared)."""
        return RefineSpec(data_root=self.data_root, split=split, segmenter=self.segmenter, masks=self.masks,
                          mask_settings=self.mask_settings, dilation_ratio=self.dilation_ratio,
                          cache_root=self.cache_root, train_seed=self.train_seed)


def feature_source(spec: ClassifySpec) -> Any:
    """The feature source of ``spec``, built once per process."""
    key = f"features:{spec.features}:{spec.data_root}:{spec.cache_root}:{spec.train_seed}:{spec.mask_settings!r}"
    if key not in _MEMO:
        from .classify import create_feature_source

        settings: dict[str, Any] = {}
        if spec.features == "sam2":
            masks = dict(spec.mask_settings)
            settings = {"config": masks.get("config", "tiny"), "checkpoint": masks.get("checkpoint"),
                        "device": masks.get("device", "cpu"), "random_weights": masks.get("random_weights", False)}
        elif spec.features.startswith("segmenter:"):
            settings = {"dataset_root": spec.data_root, "cache_root": spec.cache_root, "seed": spec.train_seed}
        _MEMO[key] = create_feature_source(spec.features, **settings)
    return _MEMO[key]


def pooled_for(spec: ClassifySpec, split: str, name: str) -> dict[str, np.ndarray]:
    """Pooled vectors, targets and purity of one video's masklets (cached)."""
    from .classify import masklet_targets, pool

    dataset = open_split(spec.data_root, split)
    video = dataset.load(name)
    fingerprint = fingerprint_files(dataset.input_paths(name))
    rspec = spec.refine_spec(split)
    masks = masklets_for(rspec, video, fingerprint)
    source = feature_source(spec)
    cache = ProductCache(spec.cache_root, "pooled", {"features": spec.features, "masklets": stable_hash(masks["ids"]),
                                                     "seed": spec.train_seed})
    found = cache.load(name)
    if found is not None and str(found.get("fingerprint")) == fingerprint:
        return {**found, "masklets": masks["ids"], "masklet_seconds": masks["seconds"]}
    started = time.perf_counter()
    features = source(video)
    ids, vectors = pool(features, masks["ids"])
    _, targets, purity = masklet_targets(video.labels, masks["ids"], dataset.num_classes)
    arrays = {"ids": ids, "vectors": vectors, "targets": targets, "purity": purity,
              "seconds": np.array(time.perf_counter() - started), "fingerprint": np.array(fingerprint)}
    cache.save(name, **arrays)
    return {**arrays, "masklets": masks["ids"], "masklet_seconds": masks["seconds"]}


class _PoolTask:
    def __init__(self, spec: ClassifySpec, split: str) -> None:
        self.spec, self.split = spec, split

    def __call__(self, name: str) -> dict[str, np.ndarray]:
        out = pooled_for(self.spec, self.split, name)
        return {k: out[k] for k in ("vectors", "targets")}


class _EvalTask:
    def __init__(self, spec: ClassifySpec, model_path: str) -> None:
        self.spec, self.model_path = spec, model_path

    def __call__(self, name: str) -> dict[str, Any]:
        from .classify import MaskletClassifier, combine, fuse
        from .metrics import MetricAccumulator

        spec = self.spec
        dataset = open_split(spec.data_root, spec.split)
        video = dataset.load(name)
        fingerprint = fingerprint_files(dataset.input_paths(name))
        pooled = pooled_for(spec, spec.split, name)
        base = baseline_for(spec.refine_spec(spec.split), video, fingerprint)
        key = f"mlp:{self.model_path}"
        if key not in _MEMO:
            _MEMO[key] = MaskletClassifier.load(self.model_path)
        started = time.perf_counter()
        probabilities = _MEMO[key].predict_proba(pooled["vectors"])
        classes = probabilities.argmax(axis=1)
        maps = {
            "none": combine(pooled["masklets"], pooled["ids"], classes),
            "fallback": combine(pooled["masklets"], pooled["ids"], classes, fallback=base["labels"]),
            "fused": fuse(pooled["masklets"], pooled["ids"], probabilities, base["labels"], dataset.num_classes,
                          weight=spec.fuse_weight),
        }
        classify_seconds = time.perf_counter() - started
        counts = {}
        for variant, labels in {"baseline": base["labels"], **maps}.items():
            counts[variant] = MetricAccumulator(dataset.num_classes, dilation_ratio=spec.dilation_ratio).update(
                video.labels, labels).to_arrays()
        if spec.out is not None and spec.write_predictions:
            for variant, labels in maps.items():
                folder = Path(spec.out) / ("pred" if variant == "fallback" else f"pred-{variant}") / name
                for frame_id, frame_labels in zip(video.frame_ids, labels, strict=True):
                    save_png_atomic(folder / f"{frame_id}.png", frame_labels)
        return {"video": name, "frames": video.num_frames, "counts": counts,
                "seconds": {"baseline": float(base["seconds"]), "masklets": float(pooled["masklet_seconds"]),
                            "features_and_pooling": float(pooled["seconds"]), "classification": classify_seconds}}


def train_classifier(spec: ClassifySpec, *, executor: Executor, progress: bool = True) -> tuple[Path, list[float]]:
    """Train (or load from the cache) the MLP on the train split's masklets; returns its path and loss curve."""
    from .classify import MaskletClassifier, MLPSettings

    train = open_split(spec.data_root, "train")
    parts = executor.map(_PoolTask(spec, "train"), list(train.videos), desc="pool train masklets", progress=progress)
    vectors = np.concatenate([p["vectors"] for p in parts])
    targets = np.concatenate([p["targets"] for p in parts])
    settings = MLPSettings(hidden=spec.hidden, epochs=spec.epochs)
    key = stable_hash({"vectors": vectors, "targets": targets, "settings": settings,
                       "class_weighting": spec.class_weighting, "seed": spec.train_seed})
    path = Path(spec.cache_root) / "classifiers" / f"{key}.pt"
    if path.is_file():
        return path, list(MaskletClassifier.load(path).history.epoch_loss)
    model = MaskletClassifier(vectors.shape[1], train.num_classes, settings=settings)
    history = model.fit(vectors, targets, class_weighting=spec.class_weighting, seed=spec.train_seed,
                        progress=progress)
    model.save(path)
    return path, list(history.epoch_loss)


def run_classify(spec: ClassifySpec, *, executor: Executor | None = None, progress: bool = True) -> dict[str, Any]:
    """Approach 2 over the split; returns (and writes, with ``spec.out``) the metrics of every variant."""
    executor = executor or SerialExecutor()
    dataset = open_split(spec.data_root, spec.split)
    model_path, loss = train_classifier(spec, executor=executor, progress=progress)
    videos = list(dataset.videos)[: spec.max_videos] if spec.max_videos else list(dataset.videos)
    results = executor.map(_EvalTask(spec, str(model_path)), videos, desc=f"classify ({spec.features})",
                           progress=progress)
    frames = sum(r["frames"] for r in results)
    seconds = {stage: sum(r["seconds"][stage] for r in results) / frames for stage in results[0]["seconds"]}
    metrics: dict[str, Any] = {"dataset": dataset.name, "split": spec.split, "masklet_source": spec.masks,
                               "features": spec.features, "baseline_name": spec.segmenter, "videos": videos,
                               "frames": frames, "classifier_loss": loss, "class_names": list(dataset.class_names),
                               "settings": {k: (list(v) if isinstance(v, tuple) else v)
                                            for k, v in dataclasses.asdict(spec).items()
                                            if k not in ("out", "cache_root")}}
    for variant in ("baseline", *VARIANTS):
        scores = _scores([r["counts"][variant] for r in results])
        if variant == "baseline":
            stages = {"baseline": seconds["baseline"]}
        else:
            stages = {k: v for k, v in seconds.items() if variant != "none" or k != "baseline"}
        scores["seconds_per_frame"] = stages
        total = sum(stages.values())
        scores["fps"] = 1.0 / total if total > 0 else float("inf")
        metrics[variant] = scores
    if spec.out is not None:
        write_json_atomic(Path(spec.out) / "metrics.json", _jsonable(metrics))
    return metrics
