"""SAM2 masklets: the real ``sam2`` package's automatic mask generator and video predictor.

Ravi et al., "SAM 2: Segment Anything in Images and Videos" (arXiv 2408.00714). On each window's key frame
``SAM2AutomaticMaskGenerator`` proposes masks from a point grid (the seed paper: 16 x 16 points,
predicted-IoU threshold 0.6, stability 0.8, stability offset 0.9); each mask is added to
``SAM2VideoPredictor`` with ``add_new_mask`` and carried through the window with ``propagate_in_video``, at
most ``max_objects_per_batch`` objects at a time. Windows, linking and discovery:
:mod:`vsslib.masks.windows`; building the model, the generator, precision and the propagation loop:
:mod:`vsslib.masks.sam2_model` (shared with the SAM2 features of approach 2 and the cost study).

- One model serves the generator and the propagation; it is built once per source, on first use, and
  reused across videos. Each window's predictor state is dropped when the window is done.
- Key frames' proposals are painted larger first, smaller on top; on the frames they are carried to, each pixel
  goes to the object with the highest logit (:class:`~vsslib.masks.sam2_model.PropagationSettings`).
- ``min_mask_region_area`` (the generator's hole and sprinkle removal) and ``fill_hole_area`` (the
  predictor's hole filling) need the CUDA-only ``_C`` extension and stay 0 unless it is there.
- The config can be left out when the checkpoint has its official file name (``sam2.1_hiera_large.pt``
  means ``large``); a config that contradicts the file name is an error, before anything is loaded.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..base.devices import PeakMemory, check_device_name, resolve_device
from ..base.errors import ParameterError
from .base import register_masklet_source
from .sam2_model import (
    SAM2_CONFIGS,
    GeneratorSettings,
    PropagationSettings,
    build_mask_generator,
    build_sam2_model,
    check_checkpoint,
    check_number,
    checkpoint_url,
    config_of_checkpoint,
    generated_masks,
    has_sam2_extension,
    inference,
    propagate_masks,
    resolve_config,
)
from .windows import WindowedMasklets, WindowSettings


__all__ = ["SAM2Settings", "GeneratorSettings", "PropagationSettings", "SAM2Masklets", "SAM2_CONFIGS", "resolve_config",
           "checkpoint_url", "check_checkpoint", "build_sam2_model", "has_sam2_extension"]


@dataclass(frozen=True)
class SAM2Settings:
    """Settings of :class:`SAM2Masklets` (validated on construction).

    ``config=None`` takes the size from the checkpoint's official file name (``tiny`` without a checkpoint
    or with a file of another name): see :attr:`resolved_config`.
    """

    config: str | None = None  # tiny, small, base_plus, large (SAM 2.1 Hiera), a package config name, or None
    checkpoint: str | None = None  # path of the matching checkpoint, e.g. checkpoints/sam2.1_hiera_tiny.pt
    random_weights: bool = False  # run without a checkpoint, on random weights (tests, cost measurements only)
    device: str = "cpu"  # "cpu", "cuda" or "cuda:<index>"
    autocast: bool = True  # bfloat16 autocast on CUDA, as sam2's own examples (the CPU always runs float32)
    vos_optimized: bool = False  # sam2's SAM2VideoPredictorVOS: torch.compile of every component (CUDA only)
    max_objects_per_batch: int = 32  # objects propagated together (0 = all): bounds memory, same id map
    offload_video_to_cpu: bool = False  # keep a window's frames in host memory (GPU runs)
    offload_state_to_cpu: bool = False  # keep the predictor's per-frame outputs in host memory (GPU runs)
    fill_hole_area: int = 0  # the predictor's hole filling (px; the package's builder: 8); > 0 needs _C and CUDA
    max_masklets: int = 0  # keep only the N largest key-frame masks (0 = all); propagation cost is linear in N
    generator: GeneratorSettings = field(default_factory=GeneratorSettings)
    propagation: PropagationSettings = field(default_factory=PropagationSettings)
    windows: WindowSettings = field(default_factory=WindowSettings)

    def __post_init__(self) -> None:
        if self.checkpoint == "":
            object.__setattr__(self, "checkpoint", None)
        if self.checkpoint is not None:
            object.__setattr__(self, "checkpoint", os.fspath(self.checkpoint))
        named = config_of_checkpoint(self.checkpoint) if self.checkpoint is not None else None
        full, _ = resolve_config(self.resolved_config)
        if self.config is not None and named is not None and resolve_config(named)[0] != full:
            raise ParameterError(f"checkpoint {self.checkpoint} is the official file of config {named!r}, but "
                                 f"config={self.config!r} ({full}); pass config {named!r} (--sam2-config {named}) "
                                 "or leave the config out")
        if self.random_weights and self.checkpoint is not None:
            raise ParameterError(f"random_weights=True and checkpoint={self.checkpoint!r} contradict each other; "
                                 "pass one of them")
        check_device_name(self.device)
        check_number("fill_hole_area", self.fill_hole_area, low=0, integer=True)
        check_number("max_masklets", self.max_masklets, low=0, integer=True)
        check_number("max_objects_per_batch", self.max_objects_per_batch, low=0, integer=True)
        for key in ("autocast", "vos_optimized", "random_weights", "offload_video_to_cpu", "offload_state_to_cpu"):
            if not isinstance(getattr(self, key), bool):
                raise ParameterError(f"{key}={getattr(self, key)!r} must be true or false")
        if self.vos_optimized and self.device == "cpu":
            raise ParameterError("vos_optimized=True compiles SAM2 with torch.compile for CUDA; with device='cpu' "
                                 "set it to False")
        for key, value in (("fill_hole_area", self.fill_hole_area),
                           ("min_mask_region_area", self.generator.min_mask_region_area)):
            if value > 0 and not (self.device.startswith("cuda") and has_sam2_extension()):
                raise ParameterError(f"{key}={value} needs sam2's compiled _C extension on a CUDA device "
                                     f"(device={self.device!r}, _C {'found' if has_sam2_extension() else 'missing'}); "
                                     "set it to 0")

    @property
    def resolved_config(self) -> str:
        """``config``, or where it is None the config the checkpoint's official file name belongs to, else ``tiny``."""
        if self.config is not None:
            return self.config
        named = config_of_checkpoint(self.checkpoint) if self.checkpoint is not None else None
        return named or "tiny"


@register_masklet_source("sam2")
class SAM2Masklets(WindowedMasklets):
    """SAM2's automatic mask generator on key frames, its video predictor through each window.

    Parameters
    ----------
    settings : SAM2Settings, optional
        Defaults: the paper's generator settings, hiera-tiny SAM 2.1, CPU.
    progress : bool
        A tqdm bar over windows (the package's own per-window bars show regardless).
    **overrides
        Flat shortcuts for any field of :class:`SAM2Settings`, :class:`GeneratorSettings`
        (``points_per_side``, ``pred_iou_thresh``, ...) or :class:`~vsslib.masks.windows.WindowSettings`
        (``window``, ``link_iou``, ...).

    Raises
    ------
    ParameterError
        At construction: an unknown or impossible setting, or a device that is not there (CUDA asked for
        on a machine without it).
    CheckpointError
        At construction, when no checkpoint is given or the file is missing (a mismatched checkpoint is
        found when the model is first built: :attr:`model`).

    Attributes
    ----------
    timings : dict[str, float]
        Seconds spent so far: ``"build"``, ``"generate"`` (with ``"generate_frames"``), ``"propagate"``
        (with ``"propagate_frames"`` and ``"propagate_object_frames"``: frames x masklets).
    peak_memory_mib : list[float]
        Peak memory of each :meth:`propagate` call (one per window, plus discovery calls), MiB: CUDA
        ``max_memory_allocated`` on a GPU, the process's resident peak on the CPU (see
        :attr:`memory_method`).
    memory_method : str
        How :attr:`peak_memory_mib` was measured (:class:`vsslib.base.devices.PeakMemory`).
    """

    name = "sam2"
    settings_type = SAM2Settings
    desc = "SAM2 masklets"
    settings: SAM2Settings

    def __init__(self, settings: SAM2Settings | None = None, *, progress: bool = False, **overrides: Any) -> None:
        super().__init__(settings, progress=progress, **overrides)
        self._model: Any = None
        self._generator: Any = None
        self.timings: dict[str, float] = dict.fromkeys(("build", "generate", "generate_frames", "propagate",
                                                         "propagate_frames", "propagate_object_frames"), 0.0)
        self.peak_memory_mib: list[float] = []
        self.memory_method = ""
        # fail now, not at the first video
        self.device = resolve_device(self.settings.device)
        check_checkpoint(self.settings.resolved_config, self.settings.checkpoint,
                         random_weights=self.settings.random_weights)

    @property
    def model(self) -> Any:
        """The SAM2 video predictor, built on first use and reused across videos."""
        if self._model is None:
            s = self.settings
            started = time.perf_counter()
            self._model = build_sam2_model(s.resolved_config, s.checkpoint, device=s.device,
                                           random_weights=s.random_weights, fill_hole_area=s.fill_hole_area,
                                           vos_optimized=s.vos_optimized)
            self.timings["build"] += time.perf_counter() - started
        return self._model

    @property
    def generator(self) -> Any:
        """The automatic mask generator, sharing :attr:`model`."""
        if self._generator is None:
            self._generator = build_mask_generator(self.model, self.settings.generator)
        return self._generator

    def propose(self, frame: np.ndarray) -> np.ndarray:
        """Automatic-generator masks of one frame.

        Parameters
        ----------
        frame : (H, W, 3) uint8 RGB.

        Returns
        -------
        (N, H, W) bool, non-empty masks, largest first (at most ``max_masklets`` when that is set).
        """
        generator = self.generator
        started = time.perf_counter()
        frame = np.array(frame, dtype=np.uint8, order="C")  # a writable copy: torchvision warns on read-only arrays
        with inference(self.device, autocast=self.settings.autocast):
            records = generator.generate(frame)
        self.timings["generate"] += time.perf_counter() - started
        self.timings["generate_frames"] += 1
        return generated_masks(records, frame.shape[:2], self.settings.max_masklets)

    def propagate(self, frames: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Carry masks given on ``frames[0]`` through ``frames`` with the video predictor.

        Parameters
        ----------
        frames : (L, H, W, 3) uint8 RGB.
        masks : (N, H, W) bool, on ``frames[0]``.
        ids : (N,) int, their masklet ids.

        Returns
        -------
        (L, H, W) int32, each frame's masks painted by the ``overlap`` rule (:class:`PropagationSettings`), -1 = none.
        """
        length = len(frames)
        if not len(masks):
            return np.full(frames.shape[:3], -1, np.int32)
        model = self.model
        s = self.settings
        started = time.perf_counter()
        with PeakMemory(self.device) as seen:
            out = propagate_masks(model, frames, masks, ids, threshold=s.generator.mask_threshold,
                                  max_objects_per_batch=s.max_objects_per_batch, overlap=s.propagation.overlap,
                                  autocast=s.autocast,
                                  offload_video=s.offload_video_to_cpu, offload_state=s.offload_state_to_cpu)
        self.peak_memory_mib.append(seen.peak_mib)
        self.memory_method = seen.method
        self.timings["propagate"] += time.perf_counter() - started
        self.timings["propagate_frames"] += length
        self.timings["propagate_object_frames"] += length * len(masks)
        return out
