"""Approach 2 over a split: masklets pool feature vectors, a small MLP classifies them, masks + classes segment.

1. For every video of the classifier's training split: masklets, features (a network's are cached, kind
   ``"features"``), pooled vectors and majority-class targets (a per-video product, kind ``"pooled"``, keyed
   by the feature source's settings and weights and by the masklets).
2. The MLP is trained on all of them (cached by a hash of its training set and settings).
3. For every evaluated video: the same pooled vectors, class probabilities, and three segmentations:
   ``none`` (pixels outside masklets stay 255), ``fallback`` (they take the baseline network's class) and
   ``fused`` (classifier probabilities times the network's votes; :func:`vsslib.classify.fuse`).
   Predictions go to ``OUT/pred/`` (fallback, the main variant), ``OUT/pred-none/`` and ``OUT/pred-fused/``.

Features of a baseline network on the videos it was trained on are cleaner than on unseen ones; training the
classifier on another split (``classifier_split``, e.g. ``"test"``) avoids that shift.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...base.cache import ProductCache, stable_hash
from ...base.errors import ParameterError
from ...base.executor import Executor, SerialExecutor
from .products import (RunSpec, baseline_identity, baseline_labels, cached_product, load_video, masklet_ids,
                       memoised, open_split, write_predictions)
from .report import RunResult, VideoRecord, summarize, write_metrics

__all__ = ["ClassifySpec", "run_classify", "feature_source", "feature_maps", "pooled_vectors", "train_classifier",
           "CLASSIFY_STAGES", "CLASSIFY_VARIANTS"]

CLASSIFY_STAGES = ("baseline", "masklets", "features_and_pooling", "classification")
"""Timed stages of approach 2, in order."""

CLASSIFY_VARIANTS = {"baseline": ("baseline",), "none": CLASSIFY_STAGES[1:], "fallback": CLASSIFY_STAGES,
                     "fused": CLASSIFY_STAGES}
"""The scored label maps of approach 2 and the stages that produce each."""


@dataclass(frozen=True)
class ClassifySpec(RunSpec):
    """An approach-2 run: a :class:`RunSpec` (its baseline feeds ``fallback`` and ``fused``) and the classifier."""

    features: str = "appearance"  # feature source name (see vsslib.classify.list_feature_sources)
    # the feature source's own settings dataclass (vsslib.classify.resolve_feature_settings; None: its defaults);
    # None for "segmenter:<network>" sources, whose settings are this run's network, data, cache and seed
    feature_settings: Any = None
    classifier_split: str = "train"  # split whose masklets train the MLP
    epochs: int = 60
    hidden: tuple[int, ...] = (128, 64)
    class_weighting: bool = False
    fuse_weight: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        from ...classify import check_feature_settings, feature_settings_type

        if self.features.startswith("segmenter:"):
            if self.feature_settings is not None:
                raise ParameterError(f"features={self.features!r} takes no feature_settings: the network's settings "
                                     f"are the run's own (its data, cache and train_seed), "
                                     f"got {self.feature_settings!r}")
        elif self.feature_settings is None:  # ParameterError for an unknown name
            object.__setattr__(self, "feature_settings", feature_settings_type(self.features)())
        else:
            check_feature_settings(self.features, self.feature_settings)
        if self.epochs < 1:
            raise ParameterError(f"epochs={self.epochs} must be at least 1")
        if self.classifier_split == self.split:
            raise ParameterError(f"the classifier trains on split {self.classifier_split!r}: evaluate on another "
                                 "split")


def feature_source(spec: ClassifySpec) -> Any:
    """The feature source of ``spec`` (once per process)."""
    def build() -> Any:
        from ...classify import create_feature_source

        if spec.features.startswith("segmenter:"):
            return create_feature_source(spec.features, dataset_root=spec.data_root, cache_root=spec.cache_root,
                                         seed=spec.train_seed)
        return create_feature_source(spec.features, settings=spec.feature_settings)

    return memoised(f"features:{spec.features}:{spec.feature_settings!r}:{spec.data_root}:{spec.cache_root}:"
                    f"{spec.train_seed}", build)


def _feature_identity(spec: ClassifySpec) -> dict[str, Any]:
    """Everything that shapes the feature vectors: the source's settings, and a network's weights."""
    if spec.features.startswith("segmenter:"):
        network = spec.replace(segmenter=spec.features.split(":", 1)[1], predictions=None)
        return {"features": spec.features, "settings": {"network": baseline_identity(network)}}
    return {"features": spec.features, "settings": {"source": spec.feature_settings}}


def pooled_vectors(spec: ClassifySpec, split: str, name: str) -> tuple[dict[str, np.ndarray], Any, Any]:
    """Pooled vectors, targets and purity of one video's masklets (cached), with its masklet product.

    Returns
    -------
    (arrays, seconds, masklets): ``arrays`` holds ``ids`` (N,) int32, ``vectors`` (N, C) float32, ``targets``
    (N,) int64 and ``purity`` (N,) float64; ``seconds`` of features + pooling; the masklets' :class:`Product`.
    """
    from ...classify import masklet_targets, pool

    dataset = open_split(spec.data_root, split)
    video, fingerprint = load_video(spec, name, split)
    masks = masklet_ids(spec, video, fingerprint)
    cache = ProductCache(spec.cache_root, "pooled", {**_feature_identity(spec), "seconds": "features + pooling",
                                                     "masklets": stable_hash(masks.arrays["ids"])})

    def compute() -> dict[str, np.ndarray]:
        maps, feature_seconds = feature_maps(spec, video, fingerprint)
        started = time.perf_counter()
        ids, vectors = pool(maps, masks.arrays["ids"])
        _, targets, purity = masklet_targets(video.labels, masks.arrays["ids"], dataset.num_classes)
        seconds = feature_seconds + time.perf_counter() - started
        return {"ids": ids, "vectors": vectors, "targets": targets, "purity": purity,
                "feature_and_pooling_seconds": np.array(seconds)}

    pooled = cached_product(cache, name, fingerprint, compute)
    return pooled.arrays, float(pooled.arrays["feature_and_pooling_seconds"]), masks


def feature_maps(spec: ClassifySpec, video: Any, fingerprint: str) -> tuple[np.ndarray, float]:
    """The (T, C, h, w) float32 feature maps of one video and the seconds their computation took.

    A network's maps are cached per video (kind ``"features"``, keyed like the pooled vectors): every masklet
    source of a study pools from the same maps, and the network's forward pass is the costly part. Other
    sources are computed each time: appearance statistics are cheap, and SAM2's 64 x 64 x 256 embeddings
    (about 200 MB per 48-frame video) would fill the disk.
    """
    source = feature_source(spec)
    if not spec.features.startswith("segmenter:"):
        started = time.perf_counter()
        maps = source(video)
        return maps, time.perf_counter() - started
    cache = ProductCache(spec.cache_root, "features", _feature_identity(spec))
    product = cached_product(cache, video.name, fingerprint, lambda: {"maps": source(video)})
    return product.arrays["maps"], product.seconds


class _PoolTask:
    def __init__(self, spec: ClassifySpec) -> None:
        self.spec = spec

    def __call__(self, name: str) -> dict[str, np.ndarray]:
        arrays, _, _ = pooled_vectors(self.spec, self.spec.classifier_split, name)
        return {k: arrays[k] for k in ("vectors", "targets")}


def train_classifier(spec: ClassifySpec, *, executor: Executor, progress: Any = True) -> tuple[Path, list[float]]:
    """Train (or load from the cache) the MLP on the classifier split's masklets; its path and loss per epoch."""
    from ...classify import MaskletClassifier, MLPSettings

    split = open_split(spec.data_root, spec.classifier_split)
    parts = executor.map(_PoolTask(spec), list(split.videos), desc=f"pool {spec.classifier_split} masklets",
                         progress=progress)
    vectors = np.concatenate([p["vectors"] for p in parts])
    targets = np.concatenate([p["targets"] for p in parts])
    settings = MLPSettings(hidden=spec.hidden, epochs=spec.epochs)
    cache = ProductCache(spec.cache_root, "classifiers", {
        "training_data": stable_hash({"vectors": vectors, "targets": targets}), "settings": settings,
        "class_weighting": spec.class_weighting, "seed": spec.train_seed})
    path = cache.path(spec.classifier_split, ".pt")
    if path.is_file():
        return path, list(MaskletClassifier.load(path).history.epoch_loss)
    model = MaskletClassifier(vectors.shape[1], split.num_classes, settings=settings)
    if not isinstance(progress, bool):  # a longer step's bar (Study.step) says what runs, in place of a bar
        progress.set_postfix_str(f"MLP {settings.epochs} epochs")
    history = model.fit(vectors, targets, class_weighting=spec.class_weighting, seed=spec.train_seed,
                        progress=isinstance(progress, bool) and progress)
    cache.record_settings()
    model.save(path)
    return path, list(history.epoch_loss)


class _ClassifyTask:
    def __init__(self, spec: ClassifySpec, model_path: str) -> None:
        self.spec, self.model_path = spec, model_path

    def __call__(self, name: str) -> VideoRecord:
        from ...classify import MaskletClassifier, combine, fuse
        from ...metrics import MetricAccumulator

        spec = self.spec
        num_classes = open_split(spec.data_root, spec.split).num_classes
        video, fingerprint = load_video(spec, name)
        pooled, pool_seconds, masks = pooled_vectors(spec, spec.split, name)
        base = baseline_labels(spec, video, fingerprint)
        model = memoised(f"mlp:{self.model_path}", lambda: MaskletClassifier.load(self.model_path))
        started = time.perf_counter()
        probabilities = model.predict_proba(pooled["vectors"])
        classes = probabilities.argmax(axis=1)
        ids, labels = masks.arrays["ids"], base.arrays["labels"]
        maps = {"none": combine(ids, pooled["ids"], classes),
                "fallback": combine(ids, pooled["ids"], classes, fallback=labels),
                "fused": fuse(ids, pooled["ids"], probabilities, labels, num_classes, weight=spec.fuse_weight)}
        classify_seconds = time.perf_counter() - started
        counts = {variant: MetricAccumulator(num_classes, dilation_ratio=spec.dilation_ratio)
                  .update(video.labels, prediction, raw_gt=video.raw_labels).to_arrays()
                  for variant, prediction in {"baseline": labels, **maps}.items()}
        if spec.out is not None and spec.write_predictions:
            for variant, prediction in maps.items():
                folder = "pred" if variant == "fallback" else f"pred-{variant}"
                write_predictions(Path(spec.out) / folder / name, video.frame_ids, prediction)
        return VideoRecord(video=name, frames=video.num_frames, counts=counts,
                           seconds={"baseline": base.seconds, "masklets": masks.seconds,
                                    "features_and_pooling": pool_seconds, "classification": classify_seconds})


def run_classify(spec: ClassifySpec, *, executor: Executor | None = None, progress: Any = True) -> RunResult:
    """Approach 2 over the split; returns (and writes, with ``spec.out``) the scores of every variant."""
    executor = executor or SerialExecutor()
    dataset = open_split(spec.data_root, spec.split)
    model_path, loss = train_classifier(spec, executor=executor, progress=progress)
    records = executor.map(_ClassifyTask(spec, str(model_path)), spec.videos(), desc=f"classify ({spec.features})",
                           progress=progress)
    result = RunResult(approach="classify", dataset=dataset.name, split=spec.split, baseline_name=spec.baseline_name,
                       masklet_source=spec.masks, class_names=list(dataset.class_names),
                       settings=spec.public_settings(), scores=summarize(records, CLASSIFY_VARIANTS),
                       records=records, out=spec.out, features=spec.features, classifier_loss=loss)
    write_metrics(result)
    return result
