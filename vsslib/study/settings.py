"""The study's settings, declared once: one tree of frozen dataclasses, loaded from ``params/*.yaml``.

``params/default.yaml`` is the embedded default (the generated benchmark), ``params/sam2-vspw.yaml`` the
paper's setting. A YAML file holds one mapping per section (``data``, ``baselines``, ``masklets``, ...); a
key it leaves out keeps the default declared here, and an unknown key or an impossible value stops with a
:class:`~vsslib.base.errors.ParameterError` that names the file, the dotted key and the valid choices.

Every consumer reads these objects: the notebooks (through :class:`vsslib.study.Study`), the command line
(its option defaults are these defaults; a test keeps them equal) and the run layer (through the one
translation :func:`vsslib.study.specs.masklet_settings`). Folders are plain settings, resolved against the
repository root by :meth:`StudySettings.folder`; nothing is read from environment variables here.

The masklet knobs are not declared here: the sections :data:`MaskletSettings`, :data:`SAM2Section` and
:data:`SAM2MiniSection` are made from the fields of the components that use them
(:class:`vsslib.masks.WindowSettings`, :class:`vsslib.masks.SAM2Settings`,
:class:`vsslib.sam2_mini.masklets.SAM2MiniSettings` and their generator settings), with their annotations and
defaults, and are validated by those components. Each such field records where it is declared (``"declared_in"`` in its
metadata), which is how :func:`vsslib.study.specs.masklet_settings` gives a knob only to the sources that have it.

Notebook parameter cells hold ``params_file``, ``results_dir`` and a few knobs a reader turns; those knobs
are named in :data:`NOTEBOOK_KNOBS`, each mapped to its dotted settings key.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..data.vspw import SPLITS
from ..base.errors import ParameterError
from ..masks import (GeneratorSettings, OracleSettings, SAM2Settings, WindowSettings, knob_paths, list_masklet_sources,
                     merge_settings)
from ..masks.oracle import SWEEP_STRENGTHS
from ..refine import Vote
from ..sam2_mini.masklets import SAM2MiniSettings
from ..segmenters import list_segmenters

__all__ = ["DataSettings", "BaselineSettings", "OracleKnobs", "SAM2Section", "SAM2MiniSection", "MASKLET_SECTIONS",
           "MaskletSettings", "RefinerSettings",
           "ClassifierSettings", "MetricSettings", "CostSettings", "KnobSweepSettings", "RunSettings", "StudySettings",
           "load_settings", "setting_keys", "repo_root", "NOTEBOOK_KNOBS", "DEFAULT_NETWORKS", "VOTES",
           "DATASETS", "SPLITS"]

DATASETS = ("generated", "vspw")
DEFAULT_NETWORKS = ("fcn8-small", "fcn16-wide")
"""The baselines of the embedded default, in the tables' order (any name of ``list_segmenters()`` is accepted)."""
VOTES = tuple(vote.value for vote in Vote)
"""The vote scopes of :class:`vsslib.refine.Vote`: ``"masklet"``, one majority class per masklet over all its
frames; ``"frame"``, one per masklet and frame."""


@dataclass(frozen=True)
class DataSettings:
    """Which videos are evaluated, and the generated benchmark's shape."""

    dataset: str = "generated"  # "generated" (the embedded benchmark, VSPW layout) or "vspw" (a real copy)
    root: str = ".cache/benchmark"  # dataset root; the generated benchmark is written there on first use
    splits: tuple[int, ...] = (12, 20, 8)  # generated benchmark: train, val and test videos
    frames: int = 48  # generated benchmark: frames per video
    height: int = 128  # generated benchmark: frame height (px)
    width: int = 224  # generated benchmark: frame width (px)
    seed: int = 0  # generated benchmark: seed
    split: str = "val"  # the split every table is computed on
    max_videos: int = 0  # evaluate the first N videos of the split only (0: all)


@dataclass(frozen=True)
class BaselineSettings:
    """The label maps S that the refiner and the classifier start from."""

    networks: tuple[str, ...] = DEFAULT_NETWORKS  # small CNNs trained here on the train split
    train_seeds: tuple[int, ...] = (0, 1, 2)  # one trained network per seed
    predictions: tuple[str, ...] = ()  # folders of your own models' predictions, <video>/<frame>.png each


@dataclass(frozen=True)
class OracleKnobs:
    """The oracle masklets (the dataset's own objects) and their corruption sweep."""

    # corruption strengths s (OracleSettings.from_strength; 03_refiner places the generators on the sweep)
    strengths: tuple[float, ...] = SWEEP_STRENGTHS
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # corruption seeds


def _knobs(component: type, *names: str) -> list[tuple[str, Any, Any]]:
    """Fields for a settings section, taken from the component's own declarations: for each flat keyword of
    ``component`` (:func:`vsslib.masks.knob_paths`), its annotation and default, and in the field's metadata
    the dataclass and field that declare it (``"declared_in"``), so the section re-declares nothing."""
    paths = knob_paths(component)
    out = []
    for name in names:
        owner, made = component, None  # made: the instance a field's default factory gives on the way down
        for part in paths[name][:-1]:
            step = next(f for f in dataclasses.fields(owner) if f.name == part)
            if made is not None:
                made = getattr(made, part)
            elif step.default_factory is not dataclasses.MISSING:  # e.g. sam2-mini's calibrated generator
                made = step.default_factory()
            owner = typing.get_type_hints(owner)[part]
        declared = next(f for f in dataclasses.fields(owner) if f.name == name)
        default = getattr(made, name) if made is not None else declared.default
        out.append((name, typing.get_type_hints(owner)[name],
                    field(default=default, metadata={"declared_in": (owner, name)})))
    return out


def _checked_by(component: type) -> Any:
    """A section's ``__post_init__``: the component's own validation, run on the section's knob values."""

    def __post_init__(self: Any) -> None:
        merge_settings(component(), {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                                     if "declared_in" in f.metadata}, source=component.__name__)

    return __post_init__


SAM2Section = dataclasses.make_dataclass(
    "SAM2Section",
    _knobs(SAM2Settings, "config", "checkpoint", "device", "autocast", "vos_optimized", "max_objects_per_batch",
           "points_per_side", "pred_iou_thresh", "stability_score_thresh", "stability_score_offset", "overlap"),
    frozen=True, namespace={"__module__": __name__, "__post_init__": _checked_by(SAM2Settings), "__doc__": (
        "The SAM2 masklet sources' knobs: fields of :class:`vsslib.masks.SAM2Settings`, its "
        ":class:`~vsslib.masks.GeneratorSettings` and its propagation's overlap rule (declared, defaulted and "
        "validated there). ``sam2`` takes "
        "all of them, and only ``sam2`` takes them.")})


SAM2MiniSection = dataclasses.make_dataclass(
    "SAM2MiniSection",
    _knobs(SAM2MiniSettings, "max_objects_per_batch", "points_per_side", "pred_iou_thresh",
           "stability_score_thresh", "stability_score_offset", "overlap"),
    frozen=True, namespace={"__module__": __name__, "__post_init__": _checked_by(SAM2MiniSettings), "__doc__": (
        "sam2-mini's knobs (SAM2 architecture, trained here): fields of "
        ":class:`vsslib.sam2_mini.masklets.SAM2MiniSettings` and its generator settings, with its defaults: the "
        "paper's grid and the predicted-IoU and stability filters calibrated for it when its weights were "
        "exported (:func:`vsslib.sam2_mini.masklets.calibrated_generator`). Only ``sam2-mini`` takes them.")})

MASKLET_SECTIONS: dict[str, str] = {"sam2": "sam2", "sam2-mini": "sam2_mini"}
"""Masklet source -> the section of ``masklets`` that holds its own knobs (each section goes to its source only)."""


MaskletSettings = dataclasses.make_dataclass(
    "MaskletSettings",
    # sources compared in the tables
    [("sources", tuple[str, ...], field(default=("classical", "sam2-mini", "oracle"))),
     *_knobs(WindowSettings, "window", "link_iou", "discover_every"),
     ("oracle", OracleKnobs, field(default_factory=OracleKnobs)),
     ("sam2", SAM2Section, field(default_factory=SAM2Section)),
     ("sam2_mini", SAM2MiniSection, field(default_factory=SAM2MiniSection))],
    frozen=True, namespace={"__module__": __name__, "__post_init__": _checked_by(WindowSettings), "__doc__": (
        "Masklet sources and the window/linking logic they share: ``window``, ``link_iou`` and "
        "``discover_every`` are fields of :class:`vsslib.masks.WindowSettings` (declared, defaulted and "
        "validated there), given to every windowed source.")})


@dataclass(frozen=True)
class RefinerSettings:
    """Approach 1."""

    vote: str = "masklet"  # see VOTES


@dataclass(frozen=True)
class ClassifierSettings:
    """Approach 2."""

    features: tuple[str, ...] = ("appearance", "segmenter:fcn16-wide")  # feature sources compared
    epochs: int = 60  # MLP training epochs


@dataclass(frozen=True)
class MetricSettings:
    """How predictions are scored."""

    dilation_ratio: float = 0.02  # Boundary IoU band width, ratio of the image diagonal (Cheng et al.: 0.02)


@dataclass(frozen=True)
class CostSettings:
    """The cost study's SAM2 measurements."""

    grids: tuple[int, ...] = (4, 8)  # points per side timed (GPU: 8, 16, 32)
    windows: tuple[int, ...] = (8, 16, 32)  # window lengths timed


@dataclass(frozen=True)
class KnobSweepSettings:
    """The study of SAM2's own knobs (``08_sam2_knobs``): each value below replaces the SAM2 source's own one
    alone (the others keep the settings of its section), on the first ``videos`` evaluated videos; every value
    makes that source's masklets anew (sam2-mini: about 1 min a video at its own settings on one core). The
    knobs are declared, defaulted and validated by the source (:class:`vsslib.masks.GeneratorSettings`,
    :class:`vsslib.masks.WindowSettings`); a test keeps these names among its knobs. ``network`` is not swept: it
    picks the baseline whose predictions every row refines (:func:`vsslib.study.knob_sweep.sweep_baseline`)."""

    videos: int = 3  # the first N evaluated videos
    network: str = ""  # the baseline whose predictions are refined ("": the last of the study's baselines)
    points_per_side: tuple[int, ...] = (8, 24)  # grid of n x n point prompts on each key frame
    pred_iou_thresh: tuple[float, ...] = (0.6,)  # the generator's predicted-IoU filter (the paper's value)
    stability_score_thresh: tuple[float, ...] = (0.8,)  # its stability filter (the paper's value)
    window: tuple[int, ...] = (16,)  # frames a masklet is carried before the next key frame

    def values(self) -> dict[str, tuple[Any, ...]]:
        """``{knob: values}`` of the swept knobs (``videos`` and ``network`` left out), in declaration order."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("videos", "network")}


@dataclass(frozen=True)
class RunSettings:
    """Where products go and how work runs."""

    cache_dir: str = ".cache"  # per-video products, trained networks, generated data
    results_dir: str = "results"  # figures/ and tables/ (a notebook run by hand writes to scratch/results)
    workers: int = 1  # worker processes for per-video work
    seed: int = 0  # seed of everything else (sampling, bootstrap)


@dataclass(frozen=True)
class StudySettings:
    """Every setting of the study."""

    data: DataSettings = field(default_factory=DataSettings)
    baselines: BaselineSettings = field(default_factory=BaselineSettings)
    masklets: MaskletSettings = field(default_factory=MaskletSettings)
    refiner: RefinerSettings = field(default_factory=RefinerSettings)
    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    metrics: MetricSettings = field(default_factory=MetricSettings)
    cost: CostSettings = field(default_factory=CostSettings)
    knob_sweep: KnobSweepSettings = field(default_factory=KnobSweepSettings)
    run: RunSettings = field(default_factory=RunSettings)

    def __post_init__(self) -> None:
        _validate(self)

    # ------------------------------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, source: str = "settings") -> StudySettings:
        """Build from a nested mapping (a parsed YAML file); missing keys keep their defaults.

        Raises
        ------
        ParameterError : an unknown key (the message lists the valid ones) or a value of the wrong type.
        """
        try:
            return _build(cls, values, source, "")
        except ParameterError as exc:
            if str(exc).startswith(source):
                raise
            raise ParameterError(f"{source}: {exc}") from None

    def replace(self, changes: Mapping[str, Any], *, source: str = "overrides") -> StudySettings:
        """A copy with dotted-key ``changes`` applied, e.g. ``{"data.max_videos": 2}`` (validated again)."""
        tree = self.to_dict()
        for dotted, value in changes.items():
            node = tree
            *parents, leaf = dotted.split(".")
            for part in parents:
                if not isinstance(node.get(part), dict):
                    raise ParameterError(f"{source}: {dotted!r} is not a settings key; "
                                         f"valid: {', '.join(setting_keys())}")
                node = node[part]
            if leaf not in node:
                raise ParameterError(f"{source}: {dotted!r} is not a settings key; valid: {', '.join(setting_keys())}")
            node[leaf] = value
        return StudySettings.from_mapping(tree, source=source)

    def to_dict(self) -> dict[str, Any]:
        """The settings as nested plain YAML-able values (tuples as lists)."""
        return _plain(dataclasses.asdict(self))

    def folder(self, path: str) -> Path:
        """``path`` (a folder setting) resolved against the repository root when relative."""
        resolved = Path(path)
        return resolved if resolved.is_absolute() else repo_root() / resolved

    @property
    def cache(self) -> Path:
        """The resolved cache folder."""
        return self.folder(self.run.cache_dir)

    @property
    def results(self) -> Path:
        """The resolved results folder."""
        return self.folder(self.run.results_dir)

    @property
    def data_root(self) -> Path:
        """The resolved dataset root."""
        return self.folder(self.data.root)


NOTEBOOK_KNOBS: dict[str, str] = {
    "max_videos": "data.max_videos",
    "workers": "run.workers",
    "vote": "refiner.vote",
    "window": "masklets.window",
    "dilation_ratio": "metrics.dilation_ratio",
    "strengths": "masklets.oracle.strengths",
    "epochs": "classifier.epochs",
    "grids": "cost.grids",
    "sweep_videos": "knob_sweep.videos",
    "sweep_network": "knob_sweep.network",
    "points_per_side": "masklets.sam2.points_per_side",
    "device": "masklets.sam2.device",
    "sam2_checkpoint": "masklets.sam2.checkpoint",
}
"""Notebook parameter names (besides ``params_file`` and ``results_dir``) and the settings they set. A
notebook's parameters cell gives each of its knobs the default ``None``: the value of the settings file."""


def setting_keys(cls: type = StudySettings, prefix: str = "") -> list[str]:
    """Every dotted leaf key of the settings tree."""
    out = []
    for f in dataclasses.fields(cls):
        hint = typing.get_type_hints(cls)[f.name]
        if dataclasses.is_dataclass(hint):
            out.extend(setting_keys(hint, f"{prefix}{f.name}."))
        else:
            out.append(prefix + f.name)
    return out


def load_settings(path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None) -> StudySettings:
    """Read and validate a ``params/*.yaml`` file, then apply dotted-key ``overrides``.

    Raises
    ------
    ParameterError : the file is missing or not a YAML mapping, or holds an unknown key or an impossible value.
    """
    path = Path(path)
    if not path.is_absolute() and not path.is_file():
        path = repo_root() / path
    if not path.is_file():
        raise ParameterError(f"{path}: settings file not found (see params/default.yaml)")
    try:
        values = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(values, dict):
        raise ParameterError(f"{path}: expected a mapping of sections (data, baselines, masklets, ...)")
    settings = StudySettings.from_mapping(values, source=str(path))
    return settings.replace(overrides, source=f"{path} + overrides") if overrides else settings


def repo_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The repository root: the nearest folder at or above ``start`` (default: cwd) holding pyproject.toml
    and vsslib/; falls back to the folder above this package."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "vsslib").is_dir():
            return folder
    return Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------------- building
def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _build(cls: type, values: Any, source: str, prefix: str) -> Any:
    if not isinstance(values, Mapping):
        raise ParameterError(f"{source}: {prefix.rstrip('.') or 'the file'} must be a mapping, got {values!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ParameterError(f"{source}: unknown key(s) {', '.join(repr(prefix + k) for k in unknown)}; valid in "
                             f"this section: {', '.join(names)}")
    kwargs = {}
    for name in names:
        if name not in values:
            continue
        hint, key = hints[name], prefix + name
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, values[name], source, key + ".")
        else:
            kwargs[name] = _coerce(key, values[name], hint, source)
    try:
        return cls(**kwargs)
    except ParameterError as exc:  # a component's own validation names its field: add the section
        if str(exc).startswith(source) or not prefix:
            raise
        named = any(str(exc).startswith(f"{name}=") for name in names)
        raise ParameterError(f"{source}: {prefix}{exc}" if named
                             else f"{source}: {prefix.rstrip('.')}: {exc}") from None


def _coerce(key: str, value: Any, hint: Any, source: str) -> Any:
    """``value`` checked against the annotation ``hint`` (int, float, str, bool or tuple[X, ...])."""
    origin = typing.get_origin(hint)
    if origin is types.UnionType and set(typing.get_args(hint)) == {str, type(None)}:  # "" or null: None
        return _coerce(key, value, str, source) or None
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if value is None:
            return ()
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ParameterError(f"{source}: {key}={value!r} must be a list")
        return tuple(_coerce(f"{key}[{i}]", v, item, source) for i, v in enumerate(value))
    if hint is bool:
        if not isinstance(value, bool):
            raise ParameterError(f"{source}: {key}={value!r} must be true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"{source}: {key}={value!r} must be an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{source}: {key}={value!r} must be a number")
        return float(value)
    if hint is str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ParameterError(f"{source}: {key}={value!r} must be a string")
        return value
    raise TypeError(f"settings field {key} has an annotation this loader does not know: {hint!r}")


def _validate(s: StudySettings) -> None:
    def fail(key: str, value: Any, why: str) -> None:
        raise ParameterError(f"{key}={value!r} {why}")

    def one_of(key: str, value: str, valid: tuple[str, ...]) -> None:
        if value not in valid:
            fail(key, value, f"is not one of {', '.join(valid)}")

    one_of("data.dataset", s.data.dataset, DATASETS)
    one_of("data.split", s.data.split, SPLITS)
    one_of("refiner.vote", s.refiner.vote, VOTES)
    if len(s.data.splits) != 3 or min(s.data.splits) < 1:
        fail("data.splits", list(s.data.splits), "must hold three video counts of at least 1 (train, val, test)")
    for key, value in (("data.frames", s.data.frames), ("data.height", s.data.height),
                       ("data.width", s.data.width), ("run.workers", s.run.workers),
                       ("classifier.epochs", s.classifier.epochs)):
        if value < 1:
            fail(key, value, "must be at least 1")
    if s.data.max_videos < 0:
        fail("data.max_videos", s.data.max_videos, "must be 0 or positive")
    if not 0 < s.metrics.dilation_ratio < 1:
        fail("metrics.dilation_ratio", s.metrics.dilation_ratio,
             "must lie in (0, 1): the band width as a ratio of the image diagonal")
    for name in s.masklets.sources:
        one_of("masklets.sources", name, tuple(list_masklet_sources()))
    for name in s.baselines.networks:
        one_of("baselines.networks", name, tuple(list_segmenters()))
    if not s.baselines.networks and not s.baselines.predictions:
        fail("baselines.networks", [], "is empty and baselines.predictions names no folder: nothing to refine")
    if not s.baselines.train_seeds:
        fail("baselines.train_seeds", [], "must name at least one seed")
    if not s.masklets.oracle.seeds:
        fail("masklets.oracle.seeds", [], "must name at least one seed")
    for strength in s.masklets.oracle.strengths:  # each checked by the component that declares its range
        try:
            OracleSettings.from_strength(strength)
        except ParameterError as error:
            fail("masklets.oracle.strengths", list(s.masklets.oracle.strengths), f"holds a bad value: {error}")
    if s.knob_sweep.videos < 1:
        fail("knob_sweep.videos", s.knob_sweep.videos, "must be at least 1")
    for knob, values in s.knob_sweep.values().items():  # each value checked by the component that declares it
        owner = WindowSettings if knob in {f.name for f in dataclasses.fields(WindowSettings)} else GeneratorSettings
        for value in values:
            try:
                owner(**{knob: value})
            except ParameterError as exc:
                fail(f"knob_sweep.{knob}", list(values), f"holds a value {owner.__name__} refuses: {exc}")
    for key, values in (("cost.grids", s.cost.grids), ("cost.windows", s.cost.windows)):
        if any(v < 1 for v in values):
            fail(key, list(values), "must hold values of at least 1")
    if "sam2" in s.masklets.sources and not s.masklets.sam2.checkpoint:
        fail("masklets.sources", list(s.masklets.sources), "names 'sam2' but masklets.sam2.checkpoint is empty: "
             "give the checkpoint path (python -m vsslib sam2-checkpoint downloads one)")
