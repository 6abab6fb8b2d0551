"""Build sam2-mini (SAM2 architecture, trained here on the generated benchmark) from its committed config.

One config (``assets/sam2_mini.yaml``, the hiera-tiny SAM 2.1 config scaled down to 256 px) serves three
builds of sam2's own classes, which share one state dict:

- ``"train"``: ``training.model.sam2.SAM2Train`` (sam2's training package), its prompt and correction-click
  sampling set per stage from :class:`~vsslib.sam2_mini.train.StageSettings`;
- ``"video"``: ``sam2.sam2_video_predictor.SAM2VideoPredictor``, with the post-processing overrides of
  ``build_sam2_video_predictor`` (``fill_hole_area`` 0: hole filling needs the CUDA extension);
- ``"base"``: ``sam2.modeling.sam2_base.SAM2Base``.

``SAM2ImagePredictor`` hard-codes the backbone feature sizes of a 1024 px input; :func:`image_predictor`
sets them from the model's own ``image_size``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..base.errors import CheckpointError, ParameterError

__all__ = ["ASSETS", "CONFIG_PATH", "WEIGHTS_PATH", "GENERATOR_PATH", "MODEL_NAME", "PAPER", "CALIBRATED",
           "AREA_OVERLAP", "MODEL_KINDS", "POSTPROCESSING", "own_filters", "build_model", "load_weights", "load_model",
           "feature_sizes", "image_predictor", "count_parameters"]

ASSETS = Path(__file__).resolve().parent / "assets"
CONFIG_PATH = ASSETS / "sam2_mini.yaml"
WEIGHTS_PATH = ASSETS / "sam2_mini.pt"
GENERATOR_PATH = ASSETS / "generator.json"  # the generator filters the weights were exported with
MODEL_NAME = "sam2-mini (SAM2 architecture, trained here on the generated benchmark)"

# the rows of .quality.measure's key-frame recall for sam2-mini at the paper's filters and at its calibrated ones
PAPER = "sam2-mini (paper filters)"
CALIBRATED = "sam2-mini (calibrated filters)"
AREA_OVERLAP = "sam2-mini (area overlap)"  # its propagated frames painted larger masks first, not by logit

MODEL_KINDS = {
    "base": "sam2.modeling.sam2_base.SAM2Base",
    "train": "training.model.sam2.SAM2Train",
    "video": "sam2.sam2_video_predictor.SAM2VideoPredictor",
}
# build_sam2_video_predictor's post-processing overrides; fill_hole_area 0 (the CUDA-only _C extension)
POSTPROCESSING: dict[str, Any] = {
    "sam_mask_decoder_extra_args": {"dynamic_multimask_via_stability": True,
                                    "dynamic_multimask_stability_delta": 0.05,
                                    "dynamic_multimask_stability_thresh": 0.98},
    "binarize_mask_from_pts_for_mem_enc": True,
    "fill_hole_area": 0,
}


def build_model(kind: str = "video", *, config: str | os.PathLike[str] = CONFIG_PATH,
                train_args: dict[str, Any] | None = None) -> Any:
    """Build sam2-mini with random weights.

    Parameters
    ----------
    kind : ``"train"``, ``"video"`` or ``"base"`` (see the module docstring).
    config : a YAML file with a ``model`` entry in sam2's hydra format.
    train_args : extra ``SAM2Train`` arguments (``kind="train"`` only).

    Returns
    -------
    The model (``torch.nn.Module``) on the CPU.
    """
    if kind not in MODEL_KINDS:
        raise ParameterError(f"kind={kind!r} unknown; valid: {', '.join(MODEL_KINDS)}")
    if train_args and kind != "train":
        raise ParameterError(f"train_args are for kind='train', not {kind!r}")
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    path = Path(config)
    if not path.is_file():
        raise CheckpointError(f"sam2-mini config {path} not found")
    loaded = OmegaConf.load(path)
    if "model" not in loaded:
        raise CheckpointError(f"sam2-mini config {path} has no 'model' entry")
    model_cfg = OmegaConf.to_container(loaded.model, resolve=True)
    model_cfg["_target_"] = MODEL_KINDS[kind]
    if kind == "video":
        model_cfg.update(POSTPROCESSING)
    if kind == "train":
        model_cfg.update(train_args or {})
    from ..masks.sam2_model import sam2_warnings  # here: vsslib.masks imports this package's masklet source

    with sam2_warnings():
        return instantiate(OmegaConf.create(model_cfg), _recursive_=True)


def load_weights(model: Any, weights: str | os.PathLike[str] = WEIGHTS_PATH) -> Any:
    """Load a weights file (``{"model": state_dict}``, any float dtype) strictly into ``model``.

    Raises
    ------
    CheckpointError
        A missing or unreadable file, or weights that do not match the model (names the keys at fault).
    """
    import torch

    path = Path(weights)
    if not path.is_file():
        raise CheckpointError(f"sam2-mini weights {path} not found; `make sam2-mini` trains them")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several kinds for a bad file
        raise CheckpointError(f"sam2-mini weights {path} cannot be read ({type(exc).__name__}: {exc})") from exc
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"sam2-mini weights {path} have no 'model' entry")
    expected = model.state_dict()
    given = state["model"]
    missing = sorted(set(expected) - set(given))
    unexpected = sorted(set(given) - set(expected))
    wrong = [k for k in expected if k in given and tuple(given[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or wrong:
        raise CheckpointError(f"sam2-mini weights {path} do not match the config: missing {missing[:3]}, "
                              f"unexpected {unexpected[:3]}, other shape {wrong[:3]}")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in given.items()}, strict=True)
    return model


def load_model(kind: str = "video", *, weights: str | os.PathLike[str] = WEIGHTS_PATH,
               config: str | os.PathLike[str] = CONFIG_PATH, device: str = "cpu") -> Any:
    """Build sam2-mini and load its weights (float32), in eval mode on ``device``."""
    model = load_weights(build_model(kind, config=config), weights)
    return model.float().to(device).eval()


def feature_sizes(image_size: int) -> list[tuple[int, int]]:
    """Backbone feature sizes (high resolution first) of a square ``image_size`` input: strides 4, 8, 16."""
    return [(image_size // 4, image_size // 4), (image_size // 8, image_size // 8),
            (image_size // 16, image_size // 16)]


def image_predictor(predictor: Any) -> Any:
    """Fix a ``SAM2ImagePredictor``'s feature sizes (hard-coded for 1024 px) to its model's input size."""
    predictor._bb_feat_sizes = feature_sizes(int(predictor.model.image_size))
    return predictor


def count_parameters(model: Any) -> int:
    """Number of parameters of a torch module."""
    return sum(p.numel() for p in model.parameters())


def own_filters(recall: dict[str, Any]) -> str | None:
    """The row of ``quality["keyframe_recall"]`` measured at sam2-mini's own filters: :data:`CALIBRATED` where the
    export calibrated them, else :data:`PAPER`; None when neither was measured."""
    return next((name for name in (CALIBRATED, PAPER) if name in recall), None)
