"""The ``"sam2-mini"`` masklet source: SAM2's masklet path run with the committed sam2-mini weights.

sam2-mini (SAM2 architecture, trained here on the generated benchmark) goes through exactly what the
``"sam2"`` source runs for an official checkpoint: sam2's ``SAM2AutomaticMaskGenerator`` on each
window's key frame (built by :func:`vsslib.masks.sam2_model.build_mask_generator`, with the paper's grid
and, by default, the predicted-IoU and stability filters calibrated for this model on training videos, which are
recorded beside the weights in ``assets/generator.json``), sam2's ``SAM2VideoPredictor`` through the window
(:func:`vsslib.masks.sam2_model.propagate_masks`), and the shared windows and linking
(:func:`vsslib.masks.windows.run_windows`). Only the model differs: it is built from
``assets/sam2_mini.yaml`` and ``assets/sam2_mini.pt``, and the generator's image predictor is told the
model's own input size (256 px, not 1024).

Same masklets on every machine: a video's masklets are computed in an interpreter pinned to one set of
kernels and ``threads`` compute threads (:func:`vsslib.base.pinned.shared_interpreter`: one per process and
thread count, whatever the sources' other settings), unless this process already runs pinned so. A float sum
that moves with the processor or the thread count can move a mask's edge by a pixel, and the masklets are cached
by their settings alone.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..base.cache import NOT_IN_KEY
from ..base.errors import CheckpointError, ParameterError
from ..base.io import sha256_of_file
from ..base.pinned import is_pinned, pinned_environment, shared_interpreter
from ..masks.base import check_frames, register_masklet_source
from ..masks.sam2_model import (GeneratorSettings, PropagationSettings, build_mask_generator, generated_masks,
                                inference, propagate_masks)
from ..masks.windows import WindowedMasklets, WindowSettings
from .model import CONFIG_PATH, GENERATOR_PATH, MODEL_NAME, WEIGHTS_PATH, image_predictor, load_model


__all__ = ["SAM2MiniSettings", "SAM2MiniMasklets", "calibrated_generator", "pinned_masklets"]


def calibrated_generator(path: str | os.PathLike[str] = GENERATOR_PATH) -> GeneratorSettings:
    """The generator settings sam2-mini runs with by default: the paper's grid and stability offset, and the two
    filters (``pred_iou_thresh``, ``stability_score_thresh``) calibrated on training videos when the weights were
    exported (``assets/generator.json``; the paper's 0.6 / 0.8 keep too few of this model's masks, see the card).

    Raises
    ------
    CheckpointError : the file is missing or lacks the two filters.
    """
    import json

    path = Path(path)
    try:
        values = json.loads(path.read_text())
        filters = {key: float(values[key]) for key in ("pred_iou_thresh", "stability_score_thresh")}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"sam2-mini generator filters {path} unreadable ({type(exc).__name__}: {exc}); "
                              "`make sam2-mini` writes them") from exc
    return GeneratorSettings(**filters)


@dataclass(frozen=True)
class SAM2MiniSettings:
    """Settings of :class:`SAM2MiniMasklets`. The weights and config enter cache keys by ``digest`` (their bytes),
    not by path, so the same masklets are found wherever the repository is cloned."""

    # fp16 or fp32 {"model": state_dict}
    weights: str = field(default=os.fspath(WEIGHTS_PATH), metadata={NOT_IN_KEY: True})
    # sam2 hydra config, a "model" entry
    config: str = field(default=os.fspath(CONFIG_PATH), metadata={NOT_IN_KEY: True})
    max_masklets: int = 0  # keep only the N largest key-frame masks (0 = all)
    max_objects_per_batch: int = 32  # objects propagated together (0 = all): same id map
    generator: GeneratorSettings = field(default_factory=calibrated_generator)  # filters: its own, calibrated
    propagation: PropagationSettings = field(default_factory=PropagationSettings)
    windows: WindowSettings = field(default_factory=WindowSettings)
    threads: int = 1  # compute threads of the pinned interpreter that makes the masklets: float sums follow them
    digest: str = ""  # filled on construction: SHA-256 of weights + config

    def __post_init__(self) -> None:
        for key in ("weights", "config"):
            path = Path(getattr(self, key))
            if not path.is_file():
                raise CheckpointError(f"sam2-mini {key} {path} not found; `make sam2-mini` makes them")
            object.__setattr__(self, key, os.fspath(path))
        for key in ("max_masklets", "max_objects_per_batch"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ParameterError(f"{key}={value!r} must be an integer >= 0")
        pinned_environment(self.threads)  # validates it
        object.__setattr__(self, "digest", sha256_of_file(self.weights)[:16] + sha256_of_file(self.config)[:16])


@register_masklet_source("sam2-mini")
class SAM2MiniMasklets(WindowedMasklets):
    """SAM2's automatic mask generator and video predictor with the sam2-mini weights (CPU, float32).

    Parameters
    ----------
    settings : SAM2MiniSettings, optional
        Defaults: the committed weights, the paper's grid with sam2-mini's calibrated filters
        (:func:`calibrated_generator`) and 32-frame windows.
    progress : bool
        A tqdm bar over windows.
    **overrides
        Flat shortcuts for any field of :class:`SAM2MiniSettings`, of
        :class:`~vsslib.masks.sam2_model.GeneratorSettings` (``points_per_side``, ``pred_iou_thresh``,
        ``stability_score_thresh``, ...) or of :class:`~vsslib.masks.windows.WindowSettings` (``window``, ...).

    Attributes
    ----------
    timings : dict[str, float]
        Seconds spent: ``"build"``, ``"generate"``, ``"propagate"``; counts ``"generate_frames"``,
        ``"propagate_frames"``, ``"propagate_object_frames"`` (those of the pinned interpreter's work included).
    """

    name = "sam2-mini"
    title = MODEL_NAME
    settings_type = SAM2MiniSettings
    desc = "sam2-mini masklets"
    settings: SAM2MiniSettings

    def __init__(self, settings: SAM2MiniSettings | None = None, *, progress: bool = False, **overrides: Any) -> None:
        super().__init__(settings, progress=progress, **overrides)
        self.device = "cpu"
        self.timings: dict[str, float] = dict.fromkeys(("build", "generate", "generate_frames", "propagate",
                                                         "propagate_frames", "propagate_object_frames"), 0.0)
        self._built: dict[str, Any] = {}
        self._interpreter = shared_interpreter(self.settings.threads)

    def __call__(self, frames: np.ndarray, video: Any = None) -> np.ndarray:
        """Masklets of ``frames (T, H, W, 3) uint8``: ``(T, H, W) int32``, -1 = none (``video`` is ignored), made in the
        pinned interpreter unless this process runs pinned to ``settings.threads`` threads."""
        if is_pinned(self.settings.threads):
            return super().__call__(frames, video)
        ids, timings = self._interpreter.call(f"{__name__}:pinned_masklets", self.settings, check_frames(frames),
                                              self.progress)
        for key, value in timings.items():
            self.timings[key] += value
        return ids

    @classmethod
    def resolve_settings(cls, settings: SAM2MiniSettings | None = None, **overrides: Any) -> SAM2MiniSettings:
        """As :meth:`WindowedMasklets.resolve_settings`; without ``settings``, the weights and config files are
        taken from ``overrides`` first, so the default files need not exist when others are given."""
        if settings is None:
            settings = SAM2MiniSettings(**{key: overrides.pop(key) for key in ("weights", "config")
                                           if key in overrides})
        return super().resolve_settings(settings, **overrides)

    @property
    def model(self) -> Any:
        """sam2's ``SAM2VideoPredictor`` with the sam2-mini weights, built on first use."""
        if "model" not in self._built:
            started = time.perf_counter()
            self._built["model"] = load_model("video", weights=self.settings.weights, config=self.settings.config)
            self.timings["build"] += time.perf_counter() - started
        return self._built["model"]

    @property
    def generator(self) -> Any:
        """sam2's ``SAM2AutomaticMaskGenerator`` over :attr:`model`, its predictor at the model's input size."""
        if "generator" not in self._built:
            generator = build_mask_generator(self.model, self.settings.generator)
            image_predictor(generator.predictor)
            self._built["generator"] = generator
        return self._built["generator"]

    def propose(self, frame: np.ndarray) -> np.ndarray:
        """Automatic-generator masks of ``frame (H, W, 3) uint8``: ``(N, H, W) bool``, non-empty, largest first."""
        generator = self.generator
        started = time.perf_counter()
        frame = np.array(frame, dtype=np.uint8, order="C")
        with inference(self.device, autocast=False):
            records = generator.generate(frame)
        self.timings["generate"] += time.perf_counter() - started
        self.timings["generate_frames"] += 1
        return generated_masks(records, frame.shape[:2], self.settings.max_masklets)

    def propagate(self, frames: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Carry ``masks (N, H, W) bool`` on ``frames[0]`` through ``frames (L, H, W, 3)``: ``(L, H, W) int32``."""
        if not len(masks):
            return np.full(frames.shape[:3], -1, np.int32)
        started = time.perf_counter()
        out = propagate_masks(self.model, frames, masks, ids, threshold=self.settings.generator.mask_threshold,
                              max_objects_per_batch=self.settings.max_objects_per_batch,
                              overlap=self.settings.propagation.overlap, autocast=False)
        self.timings["propagate"] += time.perf_counter() - started
        self.timings["propagate_frames"] += len(frames)
        self.timings["propagate_object_frames"] += len(frames) * len(masks)
        return out


_pinned_sources: dict[str, SAM2MiniMasklets] = {}


def pinned_masklets(settings: SAM2MiniSettings, frames: np.ndarray,
                    progress: bool) -> tuple[np.ndarray, dict[str, float]]:
    """What the pinned interpreter runs for :meth:`SAM2MiniMasklets.__call__`: the masklets of ``frames`` and the
    timings this call added (the model is built once per interpreter and settings).

    Raises
    ------
    RuntimeError : this process is not pinned to ``settings.threads`` threads.
    """
    if not is_pinned(settings.threads):
        raise RuntimeError(f"pinned_masklets runs only under pinned_environment({settings.threads})")
    if repr(settings) not in _pinned_sources:
        _pinned_sources[repr(settings)] = SAM2MiniMasklets(settings)
    source = _pinned_sources[repr(settings)]
    source.progress = progress
    before = dict(source.timings)
    ids = source(frames)
    return ids, {key: value - before[key] for key, value in source.timings.items()}
