"""SAM2 masklets: the real ``sam2`` package's automatic mask generator and video predictor.

On each window's key frame :class:`sam2.automatic_mask_generator.SAM2AutomaticMaskGenerator` proposes masks
from a point grid (the paper: 16 x 16 points, predicted-IoU threshold 0.6, stability 0.8, stability offset
0.9); each mask is added to :class:`sam2.sam2_video_predictor.SAM2VideoPredictor` with ``add_new_mask`` and
propagated through the window with ``propagate_in_video``. Window, linking and discovery logic:
:mod:`vsslib.masks.windows`.

Habits of the package this wrapper accounts for:

- The predictor loads every frame of its state at 1024x1024 float32 (12 MiB a frame), so it is given one
  window at a time: the window's frames are written as JPEGs (quality 95, 8-digit integer stems, which is
  what its loader accepts) to a temporary folder, a fresh state is made, and the state is dropped after
  the window. Memory therefore stays flat however long the video is; ``offload_video_to_cpu`` keeps the
  frames in host memory on a GPU.
- ``propagate_in_video`` tracks ``max_frame_num_to_track + 1`` frames; we pass ``len(window) - 1``.
- Without the compiled ``_C`` extension (CPU builds) hole filling is skipped with a warning; where ``_C``
  is missing we set the predictor's ``fill_hole_area`` to 0 (the builder's own override list would put 8
  back) and keep the generator's ``min_mask_region_area`` at 0, so a CPU run is clean, not noisy.
- The returned masks are logits: foreground = logit > ``mask_threshold`` (0).
- One model (the video predictor, a ``SAM2Base``) serves both the generator and the propagation.
- ``ckpt_path=None`` silently keeps random weights in the package; here a missing checkpoint is an error
  unless ``random_weights=True`` is asked for in so many words (tests and cost measurements do).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from ..errors import CheckpointError, ParameterError
from .base import check_frames, paint, register_masklet_source
from .windows import WindowSettings, run_windows

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["SAM2Settings", "SAM2Masklets", "SAM2_CONFIGS", "resolve_config", "build_sam2_model"]

# short name -> (package config name, checkpoint file name)
SAM2_CONFIGS: dict[str, tuple[str, str]] = {
    "tiny": ("configs/sam2.1/sam2.1_hiera_t.yaml", "sam2.1_hiera_tiny.pt"),
    "small": ("configs/sam2.1/sam2.1_hiera_s.yaml", "sam2.1_hiera_small.pt"),
    "base_plus": ("configs/sam2.1/sam2.1_hiera_b+.yaml", "sam2.1_hiera_base_plus.pt"),
    "large": ("configs/sam2.1/sam2.1_hiera_l.yaml", "sam2.1_hiera_large.pt"),
}
_CHECKPOINT_URL = "https://dl.fbaipublicfiles.com/segment_anything_2/092824/"


@dataclass(frozen=True)
class GeneratorSettings:
    """``SAM2AutomaticMaskGenerator`` parameters (defaults: the paper's where it gives them, else the package's)."""

    points_per_side: int = 16  # paper: 16 (package: 32)
    points_per_batch: int = 64
    pred_iou_thresh: float = 0.6  # paper: 0.6 (package: 0.8)
    stability_score_thresh: float = 0.8  # paper: 0.8 (package: 0.95)
    stability_score_offset: float = 0.9  # paper: 0.9 (package: 1.0)
    mask_threshold: float = 0.0
    box_nms_thresh: float = 0.7
    crop_n_layers: int = 0
    crop_nms_thresh: float = 0.7
    min_mask_region_area: int = 0  # > 0 needs the CUDA-only _C extension
    multimask_output: bool = True
    use_m2m: bool = False


@dataclass(frozen=True)
class SAM2Settings:
    """Settings of :class:`SAM2Masklets`."""

    config: str = "tiny"  # tiny, small, base_plus, large, or a package config name
    checkpoint: str | None = None  # path of the matching SAM2.1 checkpoint
    random_weights: bool = False  # allow running without a checkpoint (tests, cost measurements)
    device: str = "cpu"  # "cpu" or "cuda"
    offload_video_to_cpu: bool = False  # keep a window's frames in host memory (GPU runs)
    max_masklets: int = 0  # keep only the N largest key-frame masks (0 = all); propagation cost is linear in N
    generator: GeneratorSettings = field(default_factory=GeneratorSettings)
    windows: WindowSettings = field(default_factory=WindowSettings)

    def validate(self) -> None:
        resolve_config(self.config)
        if self.device not in ("cpu", "cuda"):
            raise ParameterError(f"device={self.device!r} is not one of cpu, cuda")
        g = self.generator
        if g.points_per_side < 1 or g.points_per_batch < 1:
            raise ParameterError(f"points_per_side={g.points_per_side} and points_per_batch={g.points_per_batch} "
                                 "must be at least 1")
        for key in ("pred_iou_thresh", "stability_score_thresh"):
            value = getattr(g, key)
            if not -1.0 <= value <= 1.0:
                raise ParameterError(f"{key}={value} must lie in [-1, 1]")
        if self.max_masklets < 0:
            raise ParameterError(f"max_masklets={self.max_masklets} must be 0 (all) or positive")
        self.windows.validate()


def resolve_config(config: str) -> tuple[str, str]:
    """(package config name, expected checkpoint file name) of a short or full config name."""
    if config in SAM2_CONFIGS:
        return SAM2_CONFIGS[config]
    for name, (full, ckpt) in SAM2_CONFIGS.items():
        if config == full:
            return full, ckpt
    if config.startswith("configs/") and config.endswith(".yaml"):
        return config, Path(config).stem.replace("_t", "_tiny") + ".pt"
    raise ParameterError(f"unknown SAM2 config {config!r}; valid: {', '.join(SAM2_CONFIGS)} or a package config "
                         "name such as configs/sam2.1/sam2.1_hiera_t.yaml")


def build_sam2_model(config: str, checkpoint: str | None, *, device: str = "cpu",
                     random_weights: bool = False) -> Any:
    """Build SAM2's video predictor (a ``SAM2Base``) once, with the CPU-clean options.

    Raises
    ------
    CheckpointError : no checkpoint (and ``random_weights`` is False), a missing file, or a checkpoint that
        does not match the config.
    """
    full_config, ckpt_name = resolve_config(config)
    if checkpoint is None or checkpoint == "":
        if not random_weights:
            raise CheckpointError(
                f"no SAM2 checkpoint given for config {config!r}. Get {ckpt_name} from {_CHECKPOINT_URL}{ckpt_name} "
                f"and put it in checkpoints/ (then pass --sam2-checkpoint checkpoints/{ckpt_name}, or "
                f"sam2_checkpoint in the params file). random_weights=True runs with random weights, for tests.")
    elif not Path(checkpoint).is_file():
        raise CheckpointError(f"SAM2 checkpoint {checkpoint} not found. Get {ckpt_name} from "
                              f"{_CHECKPOINT_URL}{ckpt_name} and put it there.")
    import torch
    from sam2.build_sam import build_sam2_video_predictor

    if device == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device='cuda' was asked for but torch sees no CUDA device; use device='cpu'")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*torch.jit.script.* is deprecated", category=FutureWarning)
            model = build_sam2_video_predictor(full_config, ckpt_path=checkpoint or None, device=device)
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(f"SAM2 checkpoint {checkpoint} does not match config {full_config} "
                              f"(expected the weights of {ckpt_name}): {type(exc).__name__} {exc}") from exc
    # The builder appends fill_hole_area=8 after any override we pass, so set it on the model: hole filling
    # needs the compiled _C extension, and without it the package skips the step with a warning per frame.
    try:
        import sam2._C  # noqa: F401
    except ImportError:
        model.fill_hole_area = 0
    return model


@register_masklet_source("sam2")
class SAM2Masklets:
    """SAM2's automatic generator on key frames, its video predictor through windows.

    Parameters
    ----------
    settings : :class:`SAM2Settings`. Keyword shortcuts: any field of SAM2Settings, GeneratorSettings
        (``points_per_side``, ``pred_iou_thresh``, ...) or WindowSettings (``window``, ``link_iou``, ...).
    """

    name = "sam2"

    def __init__(self, settings: SAM2Settings | None = None, *, progress: bool = False, **overrides: Any) -> None:
        settings = settings or SAM2Settings()
        gen_keys = {k: overrides.pop(k) for k in list(overrides) if k in GeneratorSettings.__dataclass_fields__}
        win_keys = {k: overrides.pop(k) for k in list(overrides) if k in WindowSettings.__dataclass_fields__}
        known = set(SAM2Settings.__dataclass_fields__) - {"generator", "windows"}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ParameterError(f"unknown SAM2 masklet setting(s) {unknown}; known: "
                                 f"{sorted(known | set(GeneratorSettings.__dataclass_fields__) | set(WindowSettings.__dataclass_fields__))}")
        fields = {**{k: getattr(settings, k) for k in known}, **overrides}
        self.settings = SAM2Settings(**fields,
                                     generator=GeneratorSettings(**{**asdict(settings.generator), **gen_keys}),
                                     windows=WindowSettings(**{**asdict(settings.windows), **win_keys}))
        self.settings.validate()
        self.progress = progress
        self._model: Any = None
        self._generator: Any = None
        # Fail early on a missing checkpoint rather than at the first video.
        if not self.settings.random_weights:
            build_check = self.settings.checkpoint
            if not build_check or not Path(build_check).is_file():
                build_sam2_model(self.settings.config, self.settings.checkpoint, device=self.settings.device)

    def __repr__(self) -> str:
        return f"SAM2Masklets({self.settings})"

    @property
    def model(self) -> Any:
        """The SAM2 video predictor, built on first use and reused across videos."""
        if self._model is None:
            self._model = build_sam2_model(self.settings.config, self.settings.checkpoint,
                                           device=self.settings.device, random_weights=self.settings.random_weights)
        return self._model

    @property
    def generator(self) -> Any:
        """The automatic mask generator sharing :attr:`model`."""
        if self._generator is None:
            from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

            with warnings.catch_warnings():
                # sam2 1.1.0 scripts its image transforms with torch.jit.script, deprecated in torch 2.14.
                warnings.filterwarnings("ignore", message=".*torch.jit.script.* is deprecated", category=FutureWarning)
                self._generator = SAM2AutomaticMaskGenerator(self.model, output_mode="binary_mask",
                                                             **asdict(self.settings.generator))
        return self._generator

    def _autocast(self) -> Any:
        import torch

        if self.settings.device == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return nullcontext()

    def __call__(self, frames: np.ndarray, video: Video | None = None) -> np.ndarray:
        """(T, H, W, 3) uint8 frames -> (T, H, W) int32 masklet ids, -1 = none."""
        frames = check_frames(frames)
        return run_windows(frames, self.settings.windows, self.propose, self.propagate, progress=self.progress,
                           desc="SAM2 masklets")

    def propose(self, frame: np.ndarray) -> np.ndarray:
        """Automatic-generator masks of one (H, W, 3) uint8 frame: (N, H, W) bool, largest first."""
        import torch

        with torch.inference_mode(), self._autocast():
            records = self.generator.generate(np.ascontiguousarray(frame))
        if not records:
            return np.zeros((0,) + frame.shape[:2], bool)
        masks = np.stack([np.asarray(r["segmentation"], bool) for r in records])
        areas = masks.reshape(len(masks), -1).sum(axis=1)
        order = np.argsort(-areas, kind="stable")
        masks = masks[order][areas[order] > 0]
        if self.settings.max_masklets:
            masks = masks[: self.settings.max_masklets]
        return masks

    def propagate(self, frames: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Propagate key-frame masks (on ``frames[0]``) through ``frames``: (L, H, W) int32 id map."""
        import torch

        length = len(frames)
        out = np.full(frames.shape[:3], -1, np.int32)
        if not len(masks):
            return out
        predictor = self.model
        with tempfile.TemporaryDirectory(prefix="vsslib-sam2-") as folder:
            for t, frame in enumerate(frames):
                Image.fromarray(frame).save(os.path.join(folder, f"{t:08d}.jpg"), quality=95)
            with torch.inference_mode(), self._autocast():
                state = predictor.init_state(video_path=folder,
                                             offload_video_to_cpu=self.settings.offload_video_to_cpu)
                for obj_id, mask in zip(ids, masks, strict=True):
                    predictor.add_new_mask(state, frame_idx=0, obj_id=int(obj_id), mask=mask)
                threshold = self.settings.generator.mask_threshold
                for frame_idx, obj_ids, logits in predictor.propagate_in_video(
                        state, start_frame_idx=0, max_frame_num_to_track=length - 1):
                    fg = (logits[:, 0] > threshold).float().cpu().numpy().astype(bool)
                    out[frame_idx] = paint(fg, np.asarray(obj_ids, np.int64))
                predictor.reset_state(state)
                del state
        return out
