"""SAM2 masklets: the real ``sam2`` package's automatic mask generator and video predictor.

Ravi et al., "SAM 2: Segment Anything in Images and Videos" (arXiv 2408.00714); package ``sam2`` 1.1.0,
the code of facebookresearch/sam2 at 2b90b9f. On each window's key frame
``SAM2AutomaticMaskGenerator`` proposes masks from a point grid (the seed paper: 16 x 16 points,
predicted-IoU threshold 0.6, stability 0.8, stability offset 0.9); each mask is added to
``SAM2VideoPredictor`` with ``add_new_mask`` and carried through the window with
``propagate_in_video``. Windows, linking and discovery: :mod:`vsslib.masks.windows`.

How this wrapper meets the package's habits:

- One model (the video predictor, a ``SAM2Base``) serves both the generator and the propagation; it is
  built once per source and reused across videos.
- ``build_sam2_video_predictor`` appends ``fill_hole_area=8`` after any override it is given, and hole
  filling needs the CUDA-only ``_C`` extension (without it every frame warns and skips the step). The
  model is therefore built with ``apply_postprocessing=False`` plus the builder's other post-processing
  overrides, and ``fill_hole_area`` is a setting (default 0). Likewise ``min_mask_region_area`` (the
  generator's hole and sprinkle removal) stays 0 unless ``_C`` and CUDA are there. A CPU run is silent.
- ``ckpt_path=None`` silently keeps random weights in the package; here a missing checkpoint is a
  :class:`~vsslib.errors.CheckpointError` saying what to download and where to put it, unless
  ``random_weights=True`` is asked for explicitly (tests, cost measurements). The checkpoint is loaded
  here, not by the builder, so a checkpoint of another size says which config and file disagree.
- The predictor loads all frames of its state at 1024 x 1024 float32 (12 MiB a frame), so it is given
  one window (plus the next key frame, for linking) at a time: the frames are written as JPEGs (quality
  95, 8-digit integer stems, what its loader reads) to a temporary folder, a state is made, used and
  dropped. Memory stays flat however long the video. We chose the package's own loader over filling
  ``state["images"]`` from memory: ``init_state`` builds a 20-key dict whose layout changes between
  releases, while the JPEG round trip costs a few ms a frame against about a second of SAM2 on a CPU.
- ``propagate_in_video`` tracks ``max_frame_num_to_track + 1`` frames, so a chunk of L frames passes L - 1.
- Masks come back as logits; foreground = logit > ``mask_threshold`` (0). Each frame's masks are painted
  larger first, smaller on top.
- On CUDA the model runs under bfloat16 autocast, as in the official notebooks; on the CPU in float32.
- The package draws its own tqdm bars ("frame loading (JPEG)", "propagate in video") with no switch.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import warnings
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from ..errors import CheckpointError, ParameterError
from .base import check_frames, merge_settings, paint, register_masklet_source
from .windows import WindowSettings, run_windows

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["SAM2Settings", "GeneratorSettings", "SAM2Masklets", "SAM2_CONFIGS", "resolve_config", "checkpoint_url",
           "check_checkpoint", "build_sam2_model", "has_sam2_extension"]

_DOWNLOAD = "https://dl.fbaipublicfiles.com/segment_anything_2/"
# package config name -> (checkpoint file, release folder under _DOWNLOAD)
_KNOWN_CONFIGS: dict[str, tuple[str, str]] = {
    "configs/sam2.1/sam2.1_hiera_t.yaml": ("sam2.1_hiera_tiny.pt", "092824"),
    "configs/sam2.1/sam2.1_hiera_s.yaml": ("sam2.1_hiera_small.pt", "092824"),
    "configs/sam2.1/sam2.1_hiera_b+.yaml": ("sam2.1_hiera_base_plus.pt", "092824"),
    "configs/sam2.1/sam2.1_hiera_l.yaml": ("sam2.1_hiera_large.pt", "092824"),
    "configs/sam2/sam2_hiera_t.yaml": ("sam2_hiera_tiny.pt", "072824"),
    "configs/sam2/sam2_hiera_s.yaml": ("sam2_hiera_small.pt", "072824"),
    "configs/sam2/sam2_hiera_b+.yaml": ("sam2_hiera_base_plus.pt", "072824"),
    "configs/sam2/sam2_hiera_l.yaml": ("sam2_hiera_large.pt", "072824"),
}
# short name -> (package config name, checkpoint file): the SAM 2.1 Hiera sizes
SAM2_CONFIGS: dict[str, tuple[str, str]] = {
    short: (config, _KNOWN_CONFIGS[config][0])
    for short, config in (("tiny", "configs/sam2.1/sam2.1_hiera_t.yaml"),
                          ("small", "configs/sam2.1/sam2.1_hiera_s.yaml"),
                          ("base_plus", "configs/sam2.1/sam2.1_hiera_b+.yaml"),
                          ("large", "configs/sam2.1/sam2.1_hiera_l.yaml"))
}
# the builder's post-processing overrides (build_sam.py), minus fill_hole_area, which is a setting here
_POSTPROCESSING = (
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_via_stability=true",
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_delta=0.05",
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_thresh=0.98",
    "++model.binarize_mask_from_pts_for_mem_enc=true",
)
_JPEG_QUALITY = 95


def _number(key: str, value: Any, *, low: float = -math.inf, high: float = math.inf, low_open: bool = False,
            integer: bool = False) -> None:
    """Raise ParameterError unless ``value`` is a number in the range (``integer``: an int)."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    ok = isinstance(value, kinds) and not isinstance(value, bool)
    ok = ok and not (isinstance(value, float) and math.isnan(value))
    if ok:
        ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        what = "an integer" if integer else "a number"
        raise ParameterError(f"{key}={value!r} must be {what} in {'(' if low_open else '['}{low}, {high}]")


@dataclass(frozen=True)
class GeneratorSettings:
    """``SAM2AutomaticMaskGenerator`` parameters: the paper's values where it gives them, else the package's.

    Not exposed: ``point_grids`` (use ``points_per_side``) and ``output_mode`` (always binary masks).
    """

    points_per_side: int = 16  # grid of n x n point prompts (paper: 16; package: 32)
    points_per_batch: int = 64  # prompts decoded together (memory vs speed)
    pred_iou_thresh: float = 0.6  # keep masks whose predicted IoU is > this (paper: 0.6; package: 0.8)
    stability_score_thresh: float = 0.8  # keep masks with stability >= this (paper: 0.8; package: 0.95)
    stability_score_offset: float = 0.9  # logit shift of the stability score (paper: 0.9; package: 1.0)
    mask_threshold: float = 0.0  # logit cut-off of a mask (also used on the propagated logits)
    box_nms_thresh: float = 0.7  # box-IoU non-maximum suppression within a crop
    crop_n_layers: int = 0  # extra crop layers (layer i: 2^i crops a side)
    crop_nms_thresh: float = 0.7  # box-IoU non-maximum suppression between crops
    crop_overlap_ratio: float = 512 / 1500  # overlap of the crops
    crop_n_points_downscale_factor: int = 1  # grid thinning per crop layer
    min_mask_region_area: int = 0  # hole and sprinkle removal (px); > 0 needs the _C extension and CUDA
    multimask_output: bool = True  # three masks per point prompt
    use_m2m: bool = False  # one extra refinement pass feeding back the low-resolution mask

    def __post_init__(self) -> None:
        _number("points_per_side", self.points_per_side, low=1, integer=True)
        _number("points_per_batch", self.points_per_batch, low=1, integer=True)
        _number("pred_iou_thresh", self.pred_iou_thresh, high=1.0)  # <= 0 keeps every mask
        _number("stability_score_thresh", self.stability_score_thresh, high=1.0)
        _number("stability_score_offset", self.stability_score_offset, low=0.0, high=1e6)
        _number("mask_threshold", self.mask_threshold, low=-1e6, high=1e6)
        _number("box_nms_thresh", self.box_nms_thresh, low=0.0, high=1.0, low_open=True)
        _number("crop_nms_thresh", self.crop_nms_thresh, low=0.0, high=1.0, low_open=True)
        _number("crop_n_layers", self.crop_n_layers, low=0, integer=True)
        _number("crop_overlap_ratio", self.crop_overlap_ratio, low=0.0, high=0.99)
        _number("crop_n_points_downscale_factor", self.crop_n_points_downscale_factor, low=1, integer=True)
        _number("min_mask_region_area", self.min_mask_region_area, low=0, integer=True)


@dataclass(frozen=True)
class SAM2Settings:
    """Settings of :class:`SAM2Masklets` (validated on construction)."""

    config: str = "tiny"  # tiny, small, base_plus, large (SAM 2.1 Hiera), or a package config name
    checkpoint: str | None = None  # path of the matching checkpoint, e.g. checkpoints/sam2.1_hiera_tiny.pt
    random_weights: bool = False  # run without a checkpoint, on random weights (tests, cost measurements only)
    device: str = "cpu"  # "cpu", "cuda" or "cuda:<index>"
    offload_video_to_cpu: bool = False  # keep a window's frames in host memory (GPU runs)
    offload_state_to_cpu: bool = False  # keep the predictor's per-frame outputs in host memory (GPU runs)
    fill_hole_area: int = 0  # the predictor's hole filling (px; the package's builder: 8); > 0 needs _C and CUDA
    max_masklets: int = 0  # keep only the N largest key-frame masks (0 = all); propagation cost is linear in N
    generator: GeneratorSettings = field(default_factory=GeneratorSettings)
    windows: WindowSettings = field(default_factory=WindowSettings)

    def __post_init__(self) -> None:
        resolve_config(self.config)
        if self.checkpoint == "":
            object.__setattr__(self, "checkpoint", None)
        if self.checkpoint is not None:
            object.__setattr__(self, "checkpoint", os.fspath(self.checkpoint))
        if self.random_weights and self.checkpoint is not None:
            raise ParameterError(f"random_weights=True and checkpoint={self.checkpoint!r} contradict each other; "
                                 "pass one of them")
        if not (self.device == "cpu" or self.device == "cuda" or
                (self.device.startswith("cuda:") and self.device[5:].isdigit())):
            raise ParameterError(f"device={self.device!r} must be 'cpu', 'cuda' or 'cuda:<index>'")
        _number("fill_hole_area", self.fill_hole_area, low=0, integer=True)
        _number("max_masklets", self.max_masklets, low=0, integer=True)
        for key, value in (("fill_hole_area", self.fill_hole_area),
                           ("min_mask_region_area", self.generator.min_mask_region_area)):
            if value > 0 and not (self.device.startswith("cuda") and has_sam2_extension()):
                raise ParameterError(f"{key}={value} needs sam2's compiled _C extension on a CUDA device "
                                     f"(device={self.device!r}, _C {'found' if has_sam2_extension() else 'missing'}); "
                                     "set it to 0")

    def validate(self) -> None:
        """Kept for callers that validate explicitly; construction already validated."""
        self.__post_init__()


def has_sam2_extension() -> bool:
    """Whether sam2's compiled CUDA extension ``sam2._C`` is importable."""
    try:
        import sam2._C  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_config(config: str) -> tuple[str, str]:
    """The package config name and the expected checkpoint file name of a short or full config name.

    Raises
    ------
    ParameterError
        An unknown name, listing the valid ones.
    """
    if config in SAM2_CONFIGS:
        return SAM2_CONFIGS[config]
    if config in _KNOWN_CONFIGS:
        return config, _KNOWN_CONFIGS[config][0]
    raise ParameterError(f"unknown SAM2 config {config!r}; valid: {', '.join(SAM2_CONFIGS)} or one of "
                         f"{', '.join(_KNOWN_CONFIGS)}")


def checkpoint_url(config: str) -> str:
    """Download address of the official checkpoint of a config."""
    full, name = resolve_config(config)
    return f"{_DOWNLOAD}{_KNOWN_CONFIGS[full][1]}/{name}"


def _load_weights(model: Any, checkpoint: str, config: str) -> None:
    """Load a checkpoint's ``["model"]`` weights into ``model`` strictly, as ``build_sam._load_checkpoint`` does."""
    import torch

    full, name = resolve_config(config)
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, pickle.UnpicklingError, EOFError... for a bad file
        raise CheckpointError(f"SAM2 checkpoint {checkpoint} cannot be read as a torch checkpoint "
                              f"({type(exc).__name__}: {str(exc)[:200]}); get {name} from "
                              f"{checkpoint_url(config)}") from exc
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"SAM2 checkpoint {checkpoint} has no 'model' entry; get {name} from "
                              f"{checkpoint_url(config)}")
    weights = state["model"]
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    wrong = [k for k in expected if k in weights and tuple(weights[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or wrong:
        def some(keys: list[str]) -> str:
            return ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")

        raise CheckpointError(
            f"SAM2 checkpoint {checkpoint} does not match config {full} (expected the weights of {name}, from "
            f"{checkpoint_url(config)}): {len(missing)} of {len(expected)} weights missing ({some(missing)}), "
            f"{len(unexpected)} unexpected ({some(unexpected)}), {len(wrong)} of another shape ({some(wrong)}). "
            "Pass the checkpoint that belongs to the config, or the config of the checkpoint.")
    model.load_state_dict(weights, strict=True)


def check_checkpoint(config: str, checkpoint: str | os.PathLike[str] | None, *,
                     random_weights: bool = False) -> str | None:
    """The checkpoint path to load (None: random weights), after checking it is given and exists.

    Raises
    ------
    CheckpointError
        No checkpoint and not ``random_weights`` (says which file to download and where to put it), or a
        path that is not a file.
    """
    _, name = resolve_config(config)
    if checkpoint is None or os.fspath(checkpoint) == "":
        if not random_weights:
            raise CheckpointError(
                f"no SAM2 checkpoint given for config {config!r}. Download {name} from {checkpoint_url(config)} "
                f"into checkpoints/ and pass it (--sam2-checkpoint checkpoints/{name} on the command line, "
                f"sam2_checkpoint in the params file, checkpoint= in code); random_weights=True runs a randomly "
                "initialised model instead, for tests and cost measurements only.")
        return None
    if not Path(checkpoint).is_file():
        raise CheckpointError(f"SAM2 checkpoint {os.fspath(checkpoint)} not found. Download {name} from "
                              f"{checkpoint_url(config)} and put it there, or pass the path where it lies.")
    return os.fspath(checkpoint)


def build_sam2_model(config: str, checkpoint: str | None, *, device: str = "cpu", random_weights: bool = False,
                     fill_hole_area: int = 0) -> Any:
    """Build SAM2's video predictor (a ``SAM2Base``, also usable by the image predictor) once.

    Parameters
    ----------
    config : short (``"tiny"``) or package config name.
    checkpoint : path of the matching checkpoint; None only with ``random_weights``.
    device : ``"cpu"`` or ``"cuda[:<index>]"``.
    random_weights : allow ``checkpoint=None`` (random initialisation).
    fill_hole_area : the predictor's hole filling in px (0: off; > 0 needs the ``_C`` extension).

    Raises
    ------
    CheckpointError
        No checkpoint (and not ``random_weights``), a missing or unreadable file, or a checkpoint that does
        not match the config.
    ParameterError
        CUDA asked for but not available.
    """
    full, _ = resolve_config(config)
    checkpoint = check_checkpoint(config, checkpoint, random_weights=random_weights)
    import torch
    from sam2.build_sam import build_sam2_video_predictor

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ParameterError(f"device={device!r} was asked for but torch sees no CUDA device; use device='cpu'")
    with warnings.catch_warnings():
        # sam2 1.1.0 scripts its image transforms with torch.jit.script, deprecated in recent torch.
        warnings.filterwarnings("ignore", message=".*torch.jit.script.* is deprecated", category=FutureWarning)
        model = build_sam2_video_predictor(full, ckpt_path=None, device="cpu", apply_postprocessing=False,
                                           hydra_overrides_extra=[*_POSTPROCESSING,
                                                                  f"++model.fill_hole_area={int(fill_hole_area)}"])
    if checkpoint is not None:
        _load_weights(model, checkpoint, config)
    return model.to(device).eval()


@register_masklet_source("sam2")
class SAM2Masklets:
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
    CheckpointError
        At construction, when no checkpoint is given or the file is missing (a mismatched checkpoint is
        found when the model is first built: :attr:`model`).
    ParameterError
        An unknown or impossible setting.

    Attributes
    ----------
    timings : dict[str, float]
        Seconds spent so far: ``"build"``, ``"generate"`` (with ``"generate_frames"``), ``"propagate"``
        (with ``"propagate_frames"`` and ``"propagate_object_frames"``: frames x masklets).
    """

    name = "sam2"

    def __init__(self, settings: SAM2Settings | None = None, *, progress: bool = False, **overrides: Any) -> None:
        self.settings = merge_settings(settings or SAM2Settings(), overrides, source="sam2")
        self.progress = progress
        self._model: Any = None
        self._generator: Any = None
        self.timings: dict[str, float] = dict.fromkeys(("build", "generate", "generate_frames", "propagate",
                                                         "propagate_frames", "propagate_object_frames"), 0.0)
        # fail now, not at the first video
        check_checkpoint(self.settings.config, self.settings.checkpoint, random_weights=self.settings.random_weights)

    def __repr__(self) -> str:
        return f"SAM2Masklets({self.settings})"

    @property
    def model(self) -> Any:
        """The SAM2 video predictor, built on first use and reused across videos."""
        if self._model is None:
            s = self.settings
            started = time.perf_counter()
            self._model = build_sam2_model(s.config, s.checkpoint, device=s.device, random_weights=s.random_weights,
                                           fill_hole_area=s.fill_hole_area)
            self.timings["build"] += time.perf_counter() - started
        return self._model

    @property
    def generator(self) -> Any:
        """The automatic mask generator, sharing :attr:`model`."""
        if self._generator is None:
            from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

            model = self.model
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*torch.jit.script.* is deprecated", category=FutureWarning)
                self._generator = SAM2AutomaticMaskGenerator(model, output_mode="binary_mask",
                                                             **asdict(self.settings.generator))
        return self._generator

    def _autocast(self) -> AbstractContextManager[Any]:
        import torch

        if self.settings.device.startswith("cuda"):
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return nullcontext()

    def __call__(self, frames: np.ndarray, video: Video | None = None) -> np.ndarray:
        """Masklets of a video.

        Parameters
        ----------
        frames : (T, H, W, 3) uint8 RGB.
        video : ignored (the interface is shared with the oracle).

        Returns
        -------
        (T, H, W) int32 masklet ids, -1 = no masklet.
        """
        frames = check_frames(frames)
        return run_windows(frames, self.settings.windows, self.propose, self.propagate, progress=self.progress,
                           desc="SAM2 masklets")

    def propose(self, frame: np.ndarray) -> np.ndarray:
        """Automatic-generator masks of one frame.

        Parameters
        ----------
        frame : (H, W, 3) uint8 RGB.

        Returns
        -------
        (N, H, W) bool, non-empty masks, largest first (at most ``max_masklets`` when that is set).
        """
        import torch

        generator = self.generator
        started = time.perf_counter()
        frame = np.array(frame, dtype=np.uint8, order="C")  # a writable copy: torchvision warns on read-only arrays
        with torch.inference_mode(), self._autocast():
            records = generator.generate(frame)
        self.timings["generate"] += time.perf_counter() - started
        self.timings["generate_frames"] += 1
        if not records:
            return np.zeros((0, *frame.shape[:2]), bool)
        masks = np.stack([np.asarray(r["segmentation"], bool) for r in records])
        areas = masks.reshape(len(masks), -1).sum(axis=1)
        order = np.argsort(-areas, kind="stable")
        masks = masks[order[areas[order] > 0]]
        if self.settings.max_masklets:
            masks = masks[: self.settings.max_masklets]
        return masks

    def propagate(self, frames: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Carry masks given on ``frames[0]`` through ``frames`` with the video predictor.

        Parameters
        ----------
        frames : (L, H, W, 3) uint8 RGB.
        masks : (N, H, W) bool, on ``frames[0]``.
        ids : (N,) int, their masklet ids.

        Returns
        -------
        (L, H, W) int32, each frame's masks painted larger first, -1 = none.
        """
        import torch

        length = len(frames)
        out = np.full(frames.shape[:3], -1, np.int32)
        if not len(masks):
            return out
        predictor = self.model
        threshold = self.settings.generator.mask_threshold
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="vsslib-sam2-") as folder:
            for t, frame in enumerate(frames):
                Image.fromarray(frame).save(os.path.join(folder, f"{t:08d}.jpg"), quality=_JPEG_QUALITY)
            with torch.inference_mode(), self._autocast():
                state = predictor.init_state(video_path=folder, offload_video_to_cpu=self.settings.offload_video_to_cpu,
                                             offload_state_to_cpu=self.settings.offload_state_to_cpu)
                for obj_id, mask in zip(ids, masks, strict=True):
                    predictor.add_new_mask(state, frame_idx=0, obj_id=int(obj_id), mask=mask)
                for frame_idx, obj_ids, logits in predictor.propagate_in_video(
                        state, start_frame_idx=0, max_frame_num_to_track=length - 1):
                    foreground = (logits[:, 0] > threshold).cpu().numpy()
                    out[frame_idx] = paint(foreground, np.asarray(obj_ids, np.int64))
                predictor.reset_state(state)
                del state
        self.timings["propagate"] += time.perf_counter() - started
        self.timings["propagate_frames"] += length
        self.timings["propagate_object_frames"] += length * len(masks)
        return out
