"""The study's parameters: one flat set of named knobs shared by every notebook and ``params/*.yaml``.

``params/default.yaml`` holds the embedded default (the generated benchmark, classical and oracle
masklets); ``params/sam2-vspw.yaml`` the real run. Every notebook's ``parameters`` cell declares the subset
of these knobs it reads, with the same defaults as ``params/default.yaml`` (a test keeps them equal), and
its next cell validates them with :meth:`StudyParams.from_mapping`, so a typo or an impossible value stops
the notebook with a message that names the key and lists the valid ones.

Relative paths (``data_root``, ``cache_dir``, ``results_dir``) are resolved against the repository root
(the folder holding ``pyproject.toml``), so a notebook runs the same from ``notebooks/`` in JupyterLab,
from papermill or from nbval. ``$VSSLIB_RESULTS`` and ``$VSSLIB_CACHE``, when set, override
``results_dir`` and ``cache_dir`` (``make test`` and ``make verify`` use them to write into scratch folders).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ParameterError

__all__ = ["StudyParams", "load_params", "repo_root", "KNOWN_MASKLET_SOURCES", "KNOWN_SEGMENTERS"]

KNOWN_MASKLET_SOURCES = ("classical", "oracle", "sam2")
KNOWN_SEGMENTERS = ("fcn8-small", "fcn16-wide")
KNOWN_DATASETS = ("generated", "vspw")
KNOWN_VOTES = ("masklet", "frame")
KNOWN_DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class StudyParams:
    """Every knob of the study, with the embedded default's values."""

    # --- data -------------------------------------------------------------------------------------
    dataset: str = "generated"  # "generated" (embedded VSPW-layout benchmark) or "vspw" (a real copy)
    data_root: str = ".cache/benchmark"  # dataset root (generated there on first use for "generated")
    n_videos: int = 20  # generated benchmark: number of videos (12 train / 6 val / 2 test)
    n_frames: int = 48  # generated benchmark: frames per video
    frame_height: int = 128  # generated benchmark: frame height in pixels
    frame_width: int = 224  # generated benchmark: frame width in pixels
    data_seed: int = 0  # generated benchmark: seed
    eval_split: str = "val"  # split the tables are computed on
    max_videos: int = 0  # evaluate on the first N videos of the split (0: all)
    # --- baseline networks ------------------------------------------------------------------------
    segmenters: tuple[str, ...] = KNOWN_SEGMENTERS  # baseline networks trained on the train split
    predictions_dir: str = ""  # optional folder of your own model's predictions (<video>/<frame>.png)
    train_seed: int = 0  # seed of network training
    # --- masklets ----------------------------------------------------------------------------------
    masklet_sources: tuple[str, ...] = ("classical", "oracle")  # masklet sources compared in the tables
    sam2_config: str = "tiny"  # SAM2.1 Hiera size: tiny, small, base_plus, large (or a config path)
    sam2_checkpoint: str = ""  # path of the matching SAM2.1 checkpoint (empty: no sam2 rows)
    device: str = "cpu"  # "cpu" or "cuda"
    points_per_side: int = 16  # SAM2 automatic generator prompt grid (paper: 16)
    pred_iou_thresh: float = 0.6  # SAM2 mask filter on predicted IoU (paper: 0.6)
    stability_score_thresh: float = 0.8  # SAM2 mask filter on stability (paper: 0.8)
    stability_score_offset: float = 0.9  # SAM2 stability score offset (paper: 0.9)
    window: int = 32  # frames per masklet window: key frame + propagation (paper: 32)
    link_iou: float = 0.5  # mask IoU above which a key-frame mask continues a masklet of the last window
    discover_every: int = 0  # add masklets for uncovered objects every k frames (0: off, the paper)
    oracle_strengths: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)  # oracle corruption sweep
    # --- refiner / classifier -----------------------------------------------------------------------
    vote: str = "masklet"  # "masklet" (whole-masklet majority) or "frame" (per-frame majority)
    features: tuple[str, ...] = ("appearance", "segmenter:fcn16-wide")  # approach-2 feature sources
    classifier_epochs: int = 60  # approach-2 MLP epochs
    # --- metrics -----------------------------------------------------------------------------------
    dilation_ratio: float = 0.02  # Boundary IoU band: ratio of the image diagonal (Cheng et al.: 0.02)
    # --- cost ----------------------------------------------------------------------------------------
    cost_grids: tuple[int, ...] = (4, 8)  # points per side timed in the cost study (GPU: 8, 16, 32)
    cost_windows: tuple[int, ...] = (8, 16, 32)  # window lengths timed in the cost study
    # --- where things go ----------------------------------------------------------------------------
    cache_dir: str = ".cache"  # per-video products, trained networks, generated data
    results_dir: str = "results"  # figures/ and tables/ are written here
    workers: int = 1  # parallel worker processes for per-video work
    seed: int = 0  # seed of everything else (masklet corruption, sampling)

    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------------------------------------
    @classmethod
    def keys(cls) -> list[str]:
        """Names of every knob."""
        return [f.name for f in dataclasses.fields(cls) if f.name != "extra"]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, source: str = "parameters") -> StudyParams:
        """Validate ``values`` (a subset of the knobs) and fill the rest with defaults.

        Raises
        ------
        ParameterError : an unknown key (the message lists the known ones) or an impossible value.
        """
        known = cls.keys()
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ParameterError(
                f"{source}: unknown parameter(s) {', '.join(map(repr, unknown))}; known parameters: "
                f"{', '.join(known)}")
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in values:
                continue
            value = values[f.name]
            default = f.default if f.default is not dataclasses.MISSING else None
            kwargs[f.name] = _coerce(f.name, value, default, source)
        params = cls(**kwargs)
        params._validate(source)
        return params

    @classmethod
    def from_notebook(cls, namespace: Mapping[str, Any], declared: list[str]) -> StudyParams:
        """Validate a notebook's parameters: the ``declared`` names read from ``namespace`` (its globals).

        Any other public name in the namespace was injected by papermill (``-p NAME VALUE``) for a
        parameter this notebook does not have: that is a typo or a knob of another notebook, and it stops
        the notebook with the list of the known ones.
        """
        ipython = {"In", "Out", "get_ipython", "exit", "quit", "open"}
        injected = sorted(k for k, v in namespace.items() if not k.startswith("_") and k not in declared
                          and k not in ipython and not callable(v) and type(v).__name__ != "module")
        if injected:
            raise ParameterError(f"notebook parameters: unknown parameter(s) {', '.join(map(repr, injected))}; this "
                                 f"notebook's parameters: {', '.join(declared)}")
        return cls.from_mapping({k: namespace[k] for k in declared}, source="notebook parameters")

    def _validate(self, source: str) -> None:
        def fail(key: str, why: str) -> None:
            raise ParameterError(f"{source}: {key}={getattr(self, key)!r} {why}")

        if self.dataset not in KNOWN_DATASETS:
            fail("dataset", f"is not one of {', '.join(KNOWN_DATASETS)}")
        for key in ("n_videos", "n_frames", "frame_height", "frame_width", "window", "points_per_side",
                    "workers", "classifier_epochs"):
            if getattr(self, key) < 1:
                fail(key, "must be at least 1")
        if self.dataset == "generated" and self.n_videos < 3:
            fail("n_videos", "must be at least 3 (one video per split)")
        for key in ("max_videos", "discover_every"):
            if getattr(self, key) < 0:
                fail(key, "must be 0 or positive")
        if not (self.dilation_ratio > 0 and self.dilation_ratio < 1):
            fail("dilation_ratio", "must lie in (0, 1): the band width as a ratio of the image diagonal")
        for key in ("pred_iou_thresh", "stability_score_thresh", "link_iou"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                fail(key, "must lie in [0, 1]")
        if self.eval_split not in ("train", "val", "test"):
            fail("eval_split", "is not one of train, val, test")
        if self.vote not in KNOWN_VOTES:
            fail("vote", f"is not one of {', '.join(KNOWN_VOTES)}")
        if self.device not in KNOWN_DEVICES:
            fail("device", f"is not one of {', '.join(KNOWN_DEVICES)}")
        for name in self.masklet_sources:
            if name not in KNOWN_MASKLET_SOURCES:
                fail("masklet_sources", f"names {name!r}, not one of {', '.join(KNOWN_MASKLET_SOURCES)}")
        for name in self.segmenters:
            if name not in KNOWN_SEGMENTERS:
                fail("segmenters", f"names {name!r}, not one of {', '.join(KNOWN_SEGMENTERS)}")
        if not self.segmenters and not self.predictions_dir:
            fail("segmenters", "is empty and no predictions_dir is given: nothing to refine")
        for strength in self.oracle_strengths:
            if not 0.0 <= strength <= 1.0:
                fail("oracle_strengths", "must hold values in [0, 1]")
        for key in ("cost_grids", "cost_windows"):
            if any(v < 1 for v in getattr(self, key)):
                fail(key, "must hold values of at least 1")
        if "sam2" in self.masklet_sources and not self.sam2_checkpoint:
            fail("masklet_sources", "names 'sam2' but sam2_checkpoint is empty: give the checkpoint path "
                 "(see README, 'Running on real VSPW with SAM2')")

    # ------------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The knobs as plain YAML-able values (tuples as lists)."""
        out = {}
        for key in self.keys():
            value = getattr(self, key)
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def path(self, key: str) -> Path:
        """A path-valued knob resolved against the repository root (env overrides for results/cache)."""
        env = {"results_dir": "VSSLIB_RESULTS", "cache_dir": "VSSLIB_CACHE"}.get(key)
        raw = os.environ.get(env) if env and os.environ.get(env) else getattr(self, key)
        path = Path(raw)
        return path if path.is_absolute() else repo_root() / path

    @property
    def results(self) -> Path:
        """The resolved results folder."""
        return self.path("results_dir")

    @property
    def cache(self) -> Path:
        """The resolved cache folder."""
        return self.path("cache_dir")

    @property
    def data(self) -> Path:
        """The resolved dataset root."""
        return self.path("data_root")


def _coerce(key: str, value: Any, default: Any, source: str) -> Any:
    if isinstance(default, tuple):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ParameterError(f"{source}: {key}={value!r} must be a list")
        items = tuple(value)
        if default and isinstance(default[0], (int, float)) and not isinstance(default[0], bool):
            kind = type(default[0])
            try:
                return tuple(kind(v) for v in items)
            except (TypeError, ValueError) as exc:
                raise ParameterError(f"{source}: {key}={value!r} must hold numbers") from exc
        return tuple(str(v) for v in items)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ParameterError(f"{source}: {key}={value!r} must be true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"{source}: {key}={value!r} must be an integer")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{source}: {key}={value!r} must be a number")
        return float(value)
    if isinstance(default, str):
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ParameterError(f"{source}: {key}={value!r} must be a string")
        return value
    return value


def load_params(path: str | os.PathLike[str]) -> StudyParams:
    """Read and validate a ``params/*.yaml`` file.

    Raises
    ------
    ParameterError : the file is missing, not a YAML mapping, or holds an unknown key or impossible value.
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: parameter file not found")
    try:
        values = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(values, dict):
        raise ParameterError(f"{path}: expected a mapping of parameter names to values")
    return StudyParams.from_mapping(values, source=str(path))


def repo_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The repository root: the nearest folder at or above ``start`` (default: cwd) holding pyproject.toml
    and vsslib/; falls back to the folder above this package."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "vsslib").is_dir():
            return folder
    return Path(__file__).resolve().parent.parent
