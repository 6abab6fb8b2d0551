"""SAM2 plumbing shared by every user of the ``sam2`` package: model, generator, propagation, precision, warnings.

Ravi et al., "SAM 2: Segment Anything in Images and Videos" (arXiv 2408.00714); package ``sam2`` 1.1.0,
the code of facebookresearch/sam2 at 2b90b9f. The masklet source (:mod:`vsslib.masks.sam2_masklets`), the
SAM2 feature source of approach 2 (:mod:`vsslib.classify.features`), the cost study
(:mod:`vsslib.analysis.cost`) and the GPU check (:mod:`vsslib.study.gpu_check`) all go through this module.

How it meets the package's habits:

- ``build_sam2_video_predictor`` appends ``fill_hole_area=8`` after any override it is given, and hole
  filling needs the CUDA-only ``_C`` extension (without it every frame warns and skips the step). The
  model is therefore built with ``apply_postprocessing=False`` plus the builder's other post-processing
  overrides, and ``fill_hole_area`` is an argument (default 0). One model (the video predictor, a
  ``SAM2Base``) serves the automatic generator, the image predictor and the propagation.
- ``ckpt_path=None`` silently keeps random weights in the package; here a missing checkpoint is a
  :class:`~vsslib.base.errors.CheckpointError` saying which file to get and how (``python -m vsslib
  sam2-checkpoint``), unless ``random_weights=True`` is asked for (tests, cost measurements). The weights
  are loaded here, strictly, so a checkpoint of another size says which config and file disagree.
- ``vos_optimized=True`` builds ``SAM2VideoPredictorVOS``, which compiles the image encoder, memory
  encoder, memory attention, prompt encoder and mask decoder with ``torch.compile`` (mode
  ``max-autotune``; the first frames are slow); CUDA only here.
- On CUDA, inference runs under bfloat16 autocast, as in sam2's own notebooks (:func:`inference`); on the
  CPU in float32.
- Propagation (:func:`propagate_masks`): the predictor loads all frames of a state at 1024 x 1024 float32
  (12 MiB a frame), so it is given one window at a time, written as JPEGs (quality 95, 8-digit integer
  stems, what its loader reads) to a temporary folder. The predictor tracks objects one at a time, so its
  memory and time grow with the number of objects (facebookresearch/sam2 #382, #367, #516, #345): the
  masks are propagated in batches of at most ``max_objects_per_batch`` objects, each batch a fresh set of
  objects in the window's state (``reset_state`` between batches keeps the loaded frames and drops every
  object, prompt and output), and the state is dropped (and CUDA's cached blocks returned,
  facebookresearch/sam2 #258) when the window is done. Each object is tracked independently of the
  others, and the id map is painted across batches by one rule (:class:`PropagationSettings`: by default each
  pixel goes to the object with the highest logit, the rule of the predictor's ``non_overlap_masks``, which
  sam2's ``tools/vos_inference.py`` turns on; or larger masks first), so it is the same whatever the batch
  size; the image encoder then runs once per frame per batch.
- ``propagate_in_video`` tracks ``max_frame_num_to_track + 1`` frames, so a window of L frames passes L - 1.
- Masks come back as logits; foreground = logit > ``mask_threshold`` (0).
- sam2 1.1.0 scripts its image transforms with ``torch.jit.script``, deprecated in recent torch: the one
  filter for that warning is :func:`sam2_warnings`.
- The package draws its own tqdm bars ("frame loading (JPEG)", "propagate in video") with no switch; they
  would print two lines per window of every video, so :func:`quiet_bars` turns them off around our calls
  (vsslib's own bars say how far a run is).
"""

from __future__ import annotations

import math
import os
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .checkpoints import OFFICIAL_CHECKPOINTS, SAM2_SIZES, official_checkpoint
from ..base.devices import resolve_device
from ..base.errors import CheckpointError, ParameterError
from .base import paint

if TYPE_CHECKING:
    import torch

__all__ = ["GeneratorSettings", "PropagationSettings", "OVERLAP_RULES", "SAM2_CONFIGS", "resolve_config",
           "config_of_checkpoint", "generated_masks", "checkpoint_url",
           "check_number", "has_sam2_extension", "sam2_warnings", "check_checkpoint", "load_sam2_weights",
           "strict_load_check",
           "build_sam2_model", "build_mask_generator", "build_image_predictor", "inference", "write_frames",
           "video_state", "add_masks", "propagate_frames", "paint_over", "paint_highest", "propagate_masks",
           "JPEG_QUALITY"]

SAM2_CONFIGS: dict[str, tuple[str, str]] = {size: (OFFICIAL_CHECKPOINTS[size].config, OFFICIAL_CHECKPOINTS[size].file)
                                            for size in SAM2_SIZES}
"""Short SAM 2.1 size -> (package config name, checkpoint file name)."""

# the builder's post-processing overrides (build_sam.py), minus fill_hole_area, which is an argument here
_POSTPROCESSING = (
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_via_stability=true",
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_delta=0.05",
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_thresh=0.98",
    "++model.binarize_mask_from_pts_for_mem_enc=true",
)
JPEG_QUALITY = 95
"""Quality of the JPEGs a window is handed to the video predictor as."""


def check_number(key: str, value: Any, *, low: float = -math.inf, high: float = math.inf, low_open: bool = False,
                 integer: bool = False) -> None:
    """Raise ParameterError unless ``value`` is a number in the range (``integer``: an int, not a bool)."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    ok = isinstance(value, kinds) and not isinstance(value, bool)
    ok = ok and not (isinstance(value, float) and math.isnan(value))
    if ok:
        ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        what = "an integer" if integer else "a number"
        raise ParameterError(f"{key}={value!r} must be {what} in {'(' if low_open else '['}{low}, {high}]")


OVERLAP_RULES = ("logit", "area")
"""How overlapping propagated masks share a pixel: the highest logit, or the smaller mask (painted last)."""


@dataclass(frozen=True)
class PropagationSettings:
    """How the video predictor's masks, one per object and frame, become one id map on each propagated frame.

    The key frame's proposals are painted larger first (:func:`vsslib.masks.paint`, every source's rule) before
    they are propagated, so the masks start as a partition; carried on, they overlap again.
    """

    # "logit": each pixel goes to the object whose logit there is highest (and above the mask threshold), the
    # rule of sam2's SAM2VideoPredictor(non_overlap_masks=True), which its tools/vos_inference.py uses;
    # "area": larger masks first and smaller ones on top, the key frames' rule
    overlap: str = "logit"

    def __post_init__(self) -> None:
        if self.overlap not in OVERLAP_RULES:
            raise ParameterError(f"overlap={self.overlap!r} is not a rule; valid: {', '.join(OVERLAP_RULES)}")


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
        check_number("points_per_side", self.points_per_side, low=1, integer=True)
        check_number("points_per_batch", self.points_per_batch, low=1, integer=True)
        check_number("pred_iou_thresh", self.pred_iou_thresh, high=1.0)  # <= 0 keeps every mask
        check_number("stability_score_thresh", self.stability_score_thresh, high=1.0)
        check_number("stability_score_offset", self.stability_score_offset, low=0.0, high=1e6)
        check_number("mask_threshold", self.mask_threshold, low=-1e6, high=1e6)
        check_number("box_nms_thresh", self.box_nms_thresh, low=0.0, high=1.0, low_open=True)
        check_number("crop_nms_thresh", self.crop_nms_thresh, low=0.0, high=1.0, low_open=True)
        check_number("crop_n_layers", self.crop_n_layers, low=0, integer=True)
        check_number("crop_overlap_ratio", self.crop_overlap_ratio, low=0.0, high=0.99)
        check_number("crop_n_points_downscale_factor", self.crop_n_points_downscale_factor, low=1, integer=True)
        check_number("min_mask_region_area", self.min_mask_region_area, low=0, integer=True)


# ------------------------------------------------------------------------------------ names and files
def resolve_config(config: str) -> tuple[str, str]:
    """The package config name and the checkpoint file name of a short size or a package config name.

    Raises
    ------
    ParameterError
        An unknown name, listing the valid ones.
    """
    entry = official_checkpoint(config)
    return entry.config, entry.file


def generated_masks(records: list[dict], shape: tuple[int, int], max_masklets: int = 0) -> np.ndarray:
    """The automatic generator's records as ``(N, H, W) bool`` masks of a frame of ``shape``: non-empty,
    largest first (stable among equal areas), at most ``max_masklets`` (0: all)."""
    if not records:
        return np.zeros((0, *shape), bool)
    masks = np.stack([np.asarray(r["segmentation"], bool) for r in records])
    areas = masks.reshape(len(masks), -1).sum(axis=1)
    order = np.argsort(-areas, kind="stable")
    masks = masks[order[areas[order] > 0]]
    return masks[:max_masklets] if max_masklets else masks


def config_of_checkpoint(checkpoint: str | os.PathLike[str]) -> str | None:
    """The short size (SAM 2.1) or config name (SAM 2.0) whose official file name ``checkpoint`` has, else None."""
    name = Path(checkpoint).name
    for key, entry in OFFICIAL_CHECKPOINTS.items():
        if entry.file == name:
            return key
    return None


def checkpoint_url(config: str) -> str:
    """Download address of the official checkpoint of a config."""
    return official_checkpoint(config).url


def _how_to_get(config: str) -> str:
    """The sentence saying how to fetch a config's checkpoint."""
    entry = official_checkpoint(config)
    size = config if config in SAM2_SIZES else entry.config
    return (f"`python -m vsslib sam2-checkpoint --size {size} --dir checkpoints` downloads and verifies "
            f"{entry.file} (from {entry.url})")


def has_sam2_extension() -> bool:
    """Whether sam2's compiled CUDA extension ``sam2._C`` is importable."""
    try:
        import sam2._C  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def sam2_warnings() -> Iterator[None]:
    """Silence the one warning sam2 1.1.0 raises on every build: ``torch.jit.script`` is deprecated."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.script.* is deprecated", category=FutureWarning)
        yield


def check_checkpoint(config: str, checkpoint: str | os.PathLike[str] | None, *,
                     random_weights: bool = False) -> str | None:
    """The checkpoint path to load (None: random weights), after checking it is given and exists.

    Raises
    ------
    CheckpointError
        No checkpoint and not ``random_weights`` (says which file to get and how), or a path that is not a
        file (says the same, for that config).
    """
    _, name = resolve_config(config)
    if checkpoint is None or os.fspath(checkpoint) == "":
        if not random_weights:
            raise CheckpointError(
                f"no SAM2 checkpoint given for config {config!r}: {_how_to_get(config)} into checkpoints/; then "
                f"pass it (--sam2-checkpoint checkpoints/{name} on the command line, sam2_checkpoint in the params "
                "file, checkpoint= in code). random_weights=True runs a randomly initialised model instead, for "
                "tests and cost measurements only.")
        return None
    if not Path(checkpoint).is_file():
        raise CheckpointError(f"SAM2 checkpoint {os.fspath(checkpoint)} not found (config {config!r} expects "
                              f"{name}): {_how_to_get(config)}; or pass the path where it lies.")
    return os.fspath(checkpoint)


def load_sam2_weights(model: Any, checkpoint: str | os.PathLike[str], config: str) -> None:
    """Load a checkpoint's ``["model"]`` weights into ``model`` strictly, as ``build_sam._load_checkpoint`` does.

    Raises
    ------
    CheckpointError
        An unreadable file, no ``"model"`` entry, or weights missing, unexpected or of another shape than
        the config's model (counted and named).
    """
    import torch

    full, name = resolve_config(config)
    checkpoint = os.fspath(checkpoint)
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, pickle.UnpicklingError, EOFError... for a bad file
        raise CheckpointError(f"SAM2 checkpoint {checkpoint} cannot be read as a torch checkpoint "
                              f"({type(exc).__name__}: {str(exc)[:200]}); {_how_to_get(config)}") from exc
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"SAM2 checkpoint {checkpoint} has no 'model' entry; {_how_to_get(config)}")
    weights = state["model"]
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    wrong = [k for k in expected if k in weights and tuple(weights[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or wrong:
        def some(keys: list[str]) -> str:
            return ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")

        raise CheckpointError(
            f"SAM2 checkpoint {checkpoint} does not match config {full} (expected the weights of {name}): "
            f"{len(missing)} of {len(expected)} weights missing ({some(missing)}), {len(unexpected)} unexpected "
            f"({some(unexpected)}), {len(wrong)} of another shape ({some(wrong)}). Pass the checkpoint that "
            "belongs to the config, or the config of the checkpoint.")
    model.load_state_dict(weights, strict=True)


def strict_load_check(checkpoint: str | os.PathLike[str], config: str) -> None:
    """Verify a checkpoint by loading it strictly into a randomly initialised model of ``config`` (the check
    :func:`vsslib.masks.checkpoints.verify_checkpoint` uses where no SHA-256 is known)."""
    model = build_sam2_model(config, None, device="cpu", random_weights=True)
    load_sam2_weights(model, checkpoint, config)


# ------------------------------------------------------------------------------------------- building
def build_sam2_model(config: str, checkpoint: str | os.PathLike[str] | None, *, device: str = "cpu",
                     random_weights: bool = False, fill_hole_area: int = 0, vos_optimized: bool = False,
                     image_size: int = 1024) -> Any:
    """Build SAM2's video predictor (a ``SAM2Base``, also usable by the image predictor and generator).

    Parameters
    ----------
    config : short size (``"tiny"``) or package config name.
    checkpoint : path of the matching checkpoint; None only with ``random_weights``.
    device : ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"`` (:func:`vsslib.base.devices.resolve_device`).
    random_weights : allow ``checkpoint=None`` (random initialisation; seed it with ``torch.manual_seed``).
    fill_hole_area : the predictor's hole filling in px (0: off; > 0 needs the ``_C`` extension).
    vos_optimized : ``SAM2VideoPredictorVOS`` (``torch.compile`` of every component; CUDA only).
    image_size : side of the square model input, a multiple of 32 (every released checkpoint: 1024);
        smaller values make random-weight tests and cost probes cheaper (memory attention costs about
        the square of the number of 16 x 16 patches).

    Raises
    ------
    CheckpointError
        No checkpoint (and not ``random_weights``), a missing or unreadable file, or a checkpoint that does
        not match the config.
    ParameterError
        A device that is not there, or ``vos_optimized`` on the CPU.
    """
    target = resolve_device(device)
    full, _ = resolve_config(config)
    checkpoint = check_checkpoint(config, checkpoint, random_weights=random_weights)
    check_number("image_size", image_size, low=32, integer=True)
    if image_size % 32:
        raise ParameterError(f"image_size={image_size} must be a multiple of 32 (Hiera's coarsest stride)")
    if vos_optimized and target.type != "cuda":
        raise ParameterError(f"vos_optimized=True compiles SAM2 with torch.compile for CUDA; device={device!r} "
                             "is not a CUDA device: set vos_optimized to False")
    from sam2.build_sam import build_sam2_video_predictor

    with sam2_warnings():
        model = build_sam2_video_predictor(full, ckpt_path=None, device="cpu", apply_postprocessing=False,
                                           vos_optimized=vos_optimized,
                                           hydra_overrides_extra=[*_POSTPROCESSING,
                                                                  f"++model.fill_hole_area={int(fill_hole_area)}",
                                                                  f"++model.image_size={int(image_size)}"])
    if checkpoint is not None:
        load_sam2_weights(model, checkpoint, config)
    return model.to(target).eval()


def _fit_feature_sizes(predictor: Any) -> Any:
    """Give a ``SAM2ImagePredictor`` the feature sizes of its model's input (sam2 hard-codes 1024 px's)."""
    side = int(predictor.model.image_size)
    predictor._bb_feat_sizes = [(side // 4, side // 4), (side // 8, side // 8), (side // 16, side // 16)]
    return predictor


def build_mask_generator(model: Any, settings: GeneratorSettings) -> Any:
    """``SAM2AutomaticMaskGenerator`` over ``model`` with ``settings`` (binary masks)."""
    from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

    with sam2_warnings():
        generator = SAM2AutomaticMaskGenerator(model, output_mode="binary_mask", **asdict(settings))
    _fit_feature_sizes(generator.predictor)
    return generator


def build_image_predictor(model: Any) -> Any:
    """``SAM2ImagePredictor`` over ``model`` (its image encoder gives approach 2's SAM2 features)."""
    from sam2.sam2_image_predictor import SAM2ImagePredictor

    with sam2_warnings():
        return _fit_feature_sizes(SAM2ImagePredictor(model))


@contextmanager
def inference(device: str | torch.device, *, autocast: bool = True) -> Iterator[None]:
    """``torch.inference_mode``, plus bfloat16 autocast on a CUDA device when ``autocast`` (CPU: float32)."""
    import torch

    target = resolve_device(device)
    with ExitStack() as stack:
        stack.enter_context(torch.inference_mode())
        if autocast and target.type == "cuda":
            stack.enter_context(torch.autocast("cuda", dtype=torch.bfloat16))
        yield


# ---------------------------------------------------------------------------------------- propagation
def write_frames(frames: np.ndarray, folder: str | os.PathLike[str]) -> None:
    """Write (L, H, W, 3) uint8 RGB frames as ``00000000.jpg``, ... into ``folder`` (the predictor's loader)."""
    for t, frame in enumerate(frames):
        Image.fromarray(np.ascontiguousarray(frame)).save(os.path.join(folder, f"{t:08d}.jpg"), quality=JPEG_QUALITY)


@contextmanager
def video_state(model: Any, frames: np.ndarray, *, offload_video: bool = False,
                offload_state: bool = False) -> Iterator[dict[str, Any]]:
    """A video-predictor state over ``frames``, dropped on exit (CUDA's cached blocks returned to the driver).

    Parameters
    ----------
    model : the video predictor (:func:`build_sam2_model`).
    frames : (L, H, W, 3) uint8 RGB; loaded at 1024 x 1024 float32 on entry (``init_state`` also encodes
        frame 0). Call inside :func:`inference`.
    offload_video, offload_state : keep the frames, and the per-frame outputs, in host memory.
    """
    import torch

    with tempfile.TemporaryDirectory(prefix="vsslib-sam2-") as folder, quiet_bars():
        write_frames(frames, folder)
        state = model.init_state(video_path=folder, offload_video_to_cpu=offload_video,
                                 offload_state_to_cpu=offload_state)  # loads every frame now
    try:
        yield state
    finally:
        model.reset_state(state)
        state.clear()
        del state
        if model.device.type == "cuda":
            torch.cuda.empty_cache()


def add_masks(model: Any, state: dict[str, Any], masks: np.ndarray, ids: Sequence[int]) -> None:
    """Drop every object of ``state`` (``reset_state``; loaded frames stay) and seed ``masks`` on frame 0.

    Parameters
    ----------
    masks : (N, H, W) bool at the frames' size.
    ids : (N,) object ids.
    """
    model.reset_state(state)
    for obj_id, mask in zip(ids, masks, strict=True):
        model.add_new_mask(state, frame_idx=0, obj_id=int(obj_id), mask=np.asarray(mask, bool))


def propagate_frames(model: Any, state: dict[str, Any], num_frames: int) -> Iterator[tuple[int, list[int], Any]]:
    """``propagate_in_video`` from frame 0 over ``num_frames`` frames: ``(frame, object ids, logits)`` each.

    ``logits`` is a (N, 1, H, W) tensor at the frames' size, on the model's device. Iterate inside
    :func:`inference`.
    """
    with quiet_bars():
        yield from model.propagate_in_video(state, start_frame_idx=0, max_frame_num_to_track=num_frames - 1)


@contextmanager
def quiet_bars() -> Iterator[None]:
    """Turn off the tqdm bars that sam2's video predictor and frame loader draw, restoring them on exit.

    sam2 imports ``tqdm`` by name into ``sam2.sam2_video_predictor`` and ``sam2.utils.misc``; tqdm's
    ``TQDM_DISABLE`` is read only when tqdm is imported, so the names are swapped for a disabled bar here.
    """
    import functools

    import sam2.sam2_video_predictor as predictor_module
    import sam2.utils.misc as misc_module

    modules = (predictor_module, misc_module)
    saved = [module.tqdm for module in modules]
    try:
        for module, bar in zip(modules, saved, strict=True):
            module.tqdm = functools.partial(bar, disable=True)
        yield
    finally:
        for module, bar in zip(modules, saved, strict=True):
            module.tqdm = bar


def paint_over(id_map: np.ndarray, area_map: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> None:
    """Paint ``masks`` into ``id_map`` in place, where each is smaller than what is painted there already.

    Painting batches of masks one after another this way gives the id map that :func:`vsslib.masks.paint`
    gives all of them at once (larger first, smaller on top; ties in area: the earlier mask, so the
    earlier batch).

    Parameters
    ----------
    id_map : (H, W) int32, -1 = none; updated.
    area_map : (H, W) int64, the area of the mask painted at each pixel (``np.iinfo(np.int64).max`` where
        none); updated.
    masks : (N, H, W) bool.
    ids : (N,) int.
    """
    if not len(masks):
        return
    areas = masks.reshape(len(masks), -1).sum(axis=1)
    index = paint(masks, np.arange(len(masks)))
    covered = index >= 0
    painted_area = np.where(covered, areas[np.maximum(index, 0)], np.iinfo(np.int64).max)
    take = covered & (painted_area < area_map)
    id_map[take] = np.asarray(ids)[index[take]]
    area_map[take] = painted_area[take]


def paint_highest(id_map: np.ndarray, score_map: np.ndarray, logits: np.ndarray, ids: np.ndarray, *,
                  threshold: float = 0.0) -> None:
    """Paint each pixel in place with the object whose logit there is highest, above ``threshold`` and above the
    logit already painted there (``score_map``).

    Painting batches of objects one after another this way gives the map of all of them at once (ties: the
    earlier object, so the earlier batch), which is what sam2's ``_apply_non_overlapping_constraints`` keeps
    (``argmax`` over the objects) followed by the mask threshold.

    Parameters
    ----------
    id_map : (H, W) int32, -1 = none; updated.
    score_map : (H, W) float32, the logit of the object painted at each pixel (``-inf`` where none); updated.
    logits : (N, H, W) float32, one map per object.
    ids : (N,) int.
    """
    if not len(logits):
        return
    best = np.argmax(logits, axis=0)
    top = np.take_along_axis(logits, best[None], axis=0)[0]
    take = (top > threshold) & (top > score_map)
    id_map[take] = np.asarray(ids)[best[take]]
    score_map[take] = top[take]


def propagate_masks(model: Any, frames: np.ndarray, masks: np.ndarray, ids: np.ndarray, *, threshold: float = 0.0,
                    max_objects_per_batch: int = 0, overlap: str = PropagationSettings.overlap, autocast: bool = True,
                    offload_video: bool = False, offload_state: bool = False) -> np.ndarray:
    """Carry masks given on ``frames[0]`` through ``frames``, at most ``max_objects_per_batch`` objects at a time.

    Parameters
    ----------
    model : the video predictor (:func:`build_sam2_model`).
    frames : (L, H, W, 3) uint8 RGB.
    masks : (N, H, W) bool on ``frames[0]``.
    ids : (N,) int, the masks' ids.
    threshold : foreground = logit > threshold.
    max_objects_per_batch : objects tracked together (0: all); the id map does not depend on it.
    overlap : where masks overlap, ``"logit"``: the highest logit wins (:func:`paint_highest`); ``"area"``: the
        smaller mask (:func:`paint_over`). See :class:`PropagationSettings`.
    autocast : bfloat16 autocast on CUDA.
    offload_video, offload_state : see :func:`video_state`.

    Returns
    -------
    (L, H, W) int32: each frame's masks painted by the ``overlap`` rule; -1 = none.
    """
    check_number("max_objects_per_batch", max_objects_per_batch, low=0, integer=True)
    PropagationSettings(overlap)  # validates it
    length = len(frames)
    out = np.full(frames.shape[:3], -1, np.int32)
    if not len(masks):
        return out
    ids = np.asarray(ids, np.int64)
    # what each rule compares at a pixel: the painted mask's area (smaller wins) or its logit (higher wins)
    area = np.full(frames.shape[:3], np.iinfo(np.int64).max, np.int64) if overlap == "area" else None
    score = np.full(frames.shape[:3], -np.inf, np.float32) if overlap == "logit" else None
    step = max_objects_per_batch or len(masks)
    with inference(model.device, autocast=autocast), video_state(model, frames, offload_video=offload_video,
                                                                  offload_state=offload_state) as state:
        for first in range(0, len(masks), step):
            add_masks(model, state, masks[first:first + step], ids[first:first + step])
            for frame_idx, obj_ids, logits in propagate_frames(model, state, length):
                obj_ids = np.asarray(obj_ids, np.int64)
                if score is not None:
                    paint_highest(out[frame_idx], score[frame_idx], logits[:, 0].float().cpu().numpy(), obj_ids,
                                  threshold=threshold)
                else:
                    paint_over(out[frame_idx], area[frame_idx], (logits[:, 0] > threshold).cpu().numpy(), obj_ids)
    return out

