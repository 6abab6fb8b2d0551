"""Feature sources of approach 2: what each masklet's vector is pooled from.

- ``"appearance"``: a plain colour-and-texture baseline, so the reader sees what learned features add.
  Per cell of a stride-4 grid: Lab mean (3) and standard deviation (3), gradient magnitude mean (1),
  oriented gradient energy in 4 directions (4), and local variance of the lightness at a coarser scale
  (1): 12 channels, all from box filters over the whole frame (no loop over cells).
- ``"segmenter:<name>"``: the penultimate features of a baseline network (stride 8 or 16).
- ``"sam2"``: the SAM2 image encoder's ``image_embed``: 256 channels at 64 x 64, stride 16 of the 1024 x 1024
  input. The frame is resized to 1024 x 1024 without keeping its aspect ratio, so a 128 x 224 frame maps
  anisotropically (one cell covers 2 x 3.5 frame pixels); :func:`vsslib.classify.pool` maps pixels to
  cells with the same squeeze, so the correspondence is right.

Each source is ``source(video) -> (T, C, h, w) float32`` with ``.name``, ``.channels`` and ``.stride``.
"""

from __future__ import annotations

import warnings
from typing import Any

import cv2
import numpy as np

from ..errors import ParameterError

__all__ = ["AppearanceFeatures", "SegmenterFeatures", "SAM2Features", "create_feature_source",
           "list_feature_sources"]


class AppearanceFeatures:
    """Colour and texture statistics on a stride-4 grid (12 channels; see the module docstring)."""

    name = "appearance"
    channels = 12

    def __init__(self, stride: int = 4) -> None:
        if stride < 1:
            raise ParameterError(f"stride={stride} must be at least 1")
        self.stride = stride

    def frame_features(self, frame: np.ndarray) -> np.ndarray:
        """(12, ceil(H/s), ceil(W/s)) float32 features of one (H, W, 3) uint8 frame."""
        lab = cv2.cvtColor(frame, cv2.COLOR_RGB2LAB).astype(np.float32)
        k = (self.stride * 2 + 1, self.stride * 2 + 1)
        mean = cv2.blur(lab, k)
        std = np.sqrt(np.maximum(cv2.blur(lab * lab, k) - mean * mean, 0))
        light = lab[..., 0]
        gx = cv2.Sobel(light, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(light, cv2.CV_32F, 0, 1, ksize=3)
        magnitude = cv2.blur(np.hypot(gx, gy), k)
        angle = np.arctan2(gy, gx)
        energy = [cv2.blur(np.hypot(gx, gy) * np.cos(angle - a) ** 2, k) for a in np.arange(4) * np.pi / 4]
        big = (4 * self.stride + 1,) * 2
        coarse_var = cv2.blur(light * light, big) - cv2.blur(light, big) ** 2
        stack = np.dstack([mean, std, magnitude, *energy, np.sqrt(np.maximum(coarse_var, 0))])
        return stack[self.stride // 2 :: self.stride, self.stride // 2 :: self.stride].transpose(2, 0, 1).astype(np.float32)

    def __call__(self, video: Any) -> np.ndarray:
        return np.stack([self.frame_features(f) for f in video.frames])


class SegmenterFeatures:
    """Penultimate features of a baseline network (see :mod:`vsslib.segmenters`)."""

    def __init__(self, network: Any) -> None:
        self.network = network
        self.name = f"segmenter:{network.name}"
        self.stride = network.stride
        self.channels = None

    def __call__(self, video: Any) -> np.ndarray:
        features = self.network.features(video)
        self.channels = features.shape[1]
        return features


class SAM2Features:
    """SAM2's image encoder embedding (256 x 64 x 64 per frame)."""

    name = "sam2"
    channels = 256

    def __init__(self, *, config: str = "tiny", checkpoint: str | None = None, device: str = "cpu",
                 random_weights: bool = False) -> None:
        from ..masks.sam2_masklets import build_sam2_model

        self.model = build_sam2_model(config, checkpoint, device=device, random_weights=random_weights)
        self.device = device
        self.stride = None  # anisotropic: 1024 / 64 = 16 pixels of the squeezed 1024 x 1024 input
        self._predictor = None

    @property
    def predictor(self) -> Any:
        if self._predictor is None:
            from sam2.sam2_image_predictor import SAM2ImagePredictor

            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*torch.jit.script.* is deprecated", category=FutureWarning)
                self._predictor = SAM2ImagePredictor(self.model)
        return self._predictor

    def __call__(self, video: Any) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for frame in video.frames:
                self.predictor.set_image(np.ascontiguousarray(frame))
                out.append(self.predictor.get_image_embedding()[0].float().cpu().numpy())
        return np.stack(out).astype(np.float32)


def list_feature_sources() -> list[str]:
    return ["appearance", "sam2", "segmenter:<name>"]


def create_feature_source(name: str, *, dataset_root: str | None = None, cache_root: str | None = None,
                          seed: int = 0, **sam2_settings: Any) -> Any:
    """A feature source by name: ``appearance``, ``segmenter:<network>`` or ``sam2``."""
    if name == "appearance":
        return AppearanceFeatures()
    if name.startswith("segmenter:"):
        from ..segmenters import create_segmenter

        if dataset_root is None:
            raise ParameterError(f"feature source {name!r} needs dataset_root (the network trains on its train split)")
        return SegmenterFeatures(create_segmenter(name.split(":", 1)[1], dataset_root=dataset_root,
                                                  cache_root=cache_root, seed=seed, progress=False))
    if name == "sam2":
        return SAM2Features(**sam2_settings)
    raise ParameterError(f"unknown feature source {name!r}; valid: {', '.join(list_feature_sources())}")
