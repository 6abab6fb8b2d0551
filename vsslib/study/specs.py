"""From settings to runs: the one place where a setting becomes a masklet source's keyword, a baseline or a
classifier option.

The notebooks (through :class:`vsslib.study.Study`), the command line (:mod:`vsslib.study.cli`) and the cost study
all call these functions, so a knob of ``params/*.yaml`` reaches a masklet source, a network or the
classifier the same way from every entry point.

Baselines are named ``"<network>"`` (trained here; one per training seed) or ``"predictions:<folder name>"``
(a folder of ``baselines.predictions``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from ..base.errors import ParameterError
from ..classify import resolve_feature_settings
from ..masks import knob_declarations, resolve_masklet_settings
from .runs import ClassifySpec, RefineSpec
from .settings import MASKLET_SECTIONS, StudySettings

__all__ = ["masklet_settings", "sam2_config", "baseline_names", "refine_spec", "classify_spec",
           "default_classifier_split", "classifier_splits", "PREDICTIONS_PREFIX", "CLASSIFIER_MASKLETS",
           "CLASSIFIER_VARIANTS", "ClassifierRow"]

PREDICTIONS_PREFIX = "predictions:"

CLASSIFIER_MASKLETS = MappingProxyType({
    "classical": ("classical", MappingProxyType({})),
    "sam2-mini": ("sam2-mini", MappingProxyType({})),
    "oracle (exact)": ("oracle", MappingProxyType({"strength": 0.0})),
    "oracle (s = 0.5)": ("oracle", MappingProxyType({"strength": 0.5})),
})
"""The masklet kinds approach 2 is run on, as the ``masklets`` column of the ``mask_classifier`` table names them:
label -> (masklet source, its overrides). A kind whose source the settings do not name is left out."""

CLASSIFIER_VARIANTS = ("none", "fallback", "fused")
"""Approach 2's label maps, as rows of the ``mask_classifier`` table (``variant``)."""


class ClassifierRow(NamedTuple):
    """One approach-2 row of the ``mask_classifier`` table: the columns that name it."""

    masklets: str  # a label of CLASSIFIER_MASKLETS
    features: str  # a feature source
    classifier_videos: str  # the split the classifier was trained on
    variant: str  # one of CLASSIFIER_VARIANTS


def masklet_settings(settings: StudySettings, source: str, **overrides: Any) -> dict[str, Any]:
    """Keyword settings of :func:`vsslib.masks.create_masklet_source` for ``source``, from the study's settings.

    A knob goes to ``source`` only when the source declares it in the same place (the field's
    ``"declared_in"``, :func:`vsslib.masks.knob_declarations`): the window knobs of ``masklets`` to every
    windowed source; the knobs of a source's own section (:data:`~vsslib.study.settings.MASKLET_SECTIONS`:
    ``masklets.sam2`` for ``sam2``, ``masklets.sam2_mini`` for ``sam2-mini``) to that source only.

    Parameters
    ----------
    settings : the study's settings.
    source : a name of :func:`vsslib.masks.list_masklet_sources`.
    **overrides : settings of the source to change (e.g. ``strength=0.5, seed=3`` for the oracle,
        ``window=8``); checked by the source when it is created.
    """
    m = settings.masklets
    declared = knob_declarations(source)
    result: dict[str, Any] = {"strength": 0.0, "seed": m.oracle.seeds[0]} if source == "oracle" else {}
    own = getattr(m, MASKLET_SECTIONS[source]) if source in MASKLET_SECTIONS else None
    for section in (m, own) if own is not None else (m,):
        for f in dataclasses.fields(section):
            if "declared_in" in f.metadata and declared.get(f.name) == f.metadata["declared_in"]:
                result[f.name] = getattr(section, f.name)
    if result.get("checkpoint"):
        result["checkpoint"] = str(settings.folder(result["checkpoint"]))
    result.update(overrides)
    return result


def sam2_config(settings: StudySettings) -> str:
    """The SAM2 config of the settings: ``masklets.sam2.config``, else the size the checkpoint's official file
    name belongs to, else ``tiny`` (random weights, as the cost study uses without a checkpoint)."""
    from ..masks.sam2_model import config_of_checkpoint

    sam2 = settings.masklets.sam2
    named = config_of_checkpoint(sam2.checkpoint) if sam2.checkpoint else None
    return sam2.config or named or "tiny"


def baseline_names(settings: StudySettings) -> list[str]:
    """The baselines of a study: its networks, then ``predictions:<folder name>`` for each predictions folder."""
    return [*settings.baselines.networks,
            *(PREDICTIONS_PREFIX + Path(folder).name for folder in settings.baselines.predictions)]


def _baseline_fields(settings: StudySettings, baseline: str, train_seed: int | None) -> dict[str, Any]:
    if baseline.startswith(PREDICTIONS_PREFIX):
        wanted = baseline[len(PREDICTIONS_PREFIX):]
        for folder in settings.baselines.predictions:
            if Path(folder).name == wanted:
                return {"predictions": str(settings.folder(folder))}
        raise ParameterError(f"baseline {baseline!r} names no folder of baselines.predictions "
                             f"{list(settings.baselines.predictions)}")
    return {"segmenter": baseline,
            "train_seed": settings.baselines.train_seeds[0] if train_seed is None else train_seed}


def _common(settings: StudySettings, baseline: str, source: str, train_seed: int | None, out: str | None,
            mask_overrides: dict[str, Any]) -> dict[str, Any]:
    return {"data_root": str(settings.data_root), "cache_root": str(settings.cache), "split": settings.data.split,
            "masks": source,
            "mask_settings": resolve_masklet_settings(source, **masklet_settings(settings, source, **mask_overrides)),
            "dilation_ratio": settings.metrics.dilation_ratio, "max_videos": settings.data.max_videos, "out": out,
            **_baseline_fields(settings, baseline, train_seed)}


def refine_spec(settings: StudySettings, baseline: str, source: str, *, train_seed: int | None = None,
                vote: str | None = None, out: str | None = None, **mask_overrides: Any) -> RefineSpec:
    """The approach-1 run of ``baseline`` refined by ``source`` masklets.

    Parameters
    ----------
    settings : the study's settings.
    baseline : a name of :func:`baseline_names`.
    source : a masklet source name.
    train_seed : training seed of a network baseline (default: the first of ``baselines.train_seeds``).
    vote : ``"masklet"`` or ``"frame"`` (default: ``refiner.vote``).
    out : folder for predictions and ``metrics.json`` (None: nothing written).
    **mask_overrides : see :func:`masklet_settings`.
    """
    return RefineSpec(vote=vote or settings.refiner.vote,
                      **_common(settings, baseline, source, train_seed, out, mask_overrides))


def default_classifier_split(features: str) -> str:
    """The split whose masklets train approach 2's classifier on ``features``: a baseline network's features
    (``"segmenter:<name>"``) are cleaner on the train videos it learned from than on unseen ones, so its
    classifier trains on the held-out ``"test"`` videos; any other source trains on ``"train"``."""
    return "test" if features.startswith("segmenter:") else "train"


def classifier_splits(features: str) -> tuple[str, ...]:
    """The splits approach 2's classifier on ``features`` is trained on in the study: the default of
    :func:`default_classifier_split` first; for a network's features also ``"train"``, the videos the network
    learned from, so that one row uses exactly the labelled videos approach 1 uses (equal labels)."""
    default = default_classifier_split(features)
    return (default, "train") if default != "train" else (default,)


def classify_spec(settings: StudySettings, features: str, source: str, *, baseline: str | None = None,
                  train_seed: int | None = None, classifier_split: str | None = None, out: str | None = None,
                  **mask_overrides: Any) -> ClassifySpec:
    """The approach-2 run classifying ``source`` masklets from ``features``.

    Parameters
    ----------
    features : a feature source name (``"appearance"``, ``"segmenter:<network>"``, ``"sam2"``).
    baseline : the network whose labels feed the ``fallback`` and ``fused`` variants (default: the last
        network of ``baselines.networks``).
    classifier_split : the split whose masklets train the MLP (default: :func:`default_classifier_split`).
    Other parameters as :func:`refine_spec`.
    """
    feature_settings = None
    if features == "sam2":
        sam2 = settings.masklets.sam2
        feature_settings = resolve_feature_settings(
            "sam2", config=sam2.config, checkpoint=str(settings.folder(sam2.checkpoint)) if sam2.checkpoint else None,
            device=sam2.device)
    elif not features.startswith("segmenter:"):
        feature_settings = resolve_feature_settings(features)
    return ClassifySpec(features=features, feature_settings=feature_settings,
                        classifier_split=classifier_split or default_classifier_split(features),
                        epochs=settings.classifier.epochs,
                        **_common(settings, baseline or baseline_names(settings)[-1], source, train_seed, out,
                                  mask_overrides))
