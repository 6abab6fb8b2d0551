"""Small fully convolutional segmentation networks: the per-frame baselines the refiner is judged on.

Like the VSS models of the paper (SegFormer, CFFM, ...), they predict at a coarse output stride and
upsample the logits bilinearly to the frame size (the FCN recipe of Long et al., CVPR 2015), so their
boundaries are blurred by the stride: exactly what a boundary-accurate refiner can fix. Each network is a
stem and stages of one stride-2 3x3 convolution followed by residual blocks (He et al., CVPR 2016), then a
3x3 "feature" layer (the penultimate features, at the output stride) and a 1x1 classifier.

The networks normalise their input themselves (ImageNet mean and standard deviation), so they take frames
exactly as :class:`vsslib.data.Video` holds them: (T, H, W, 3) uint8 RGB.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..base.errors import DataError, ParameterError

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["NetworkSettings", "FCNSegmenter"]

_MEAN = (0.485, 0.456, 0.406)  # ImageNet RGB mean, of pixel values scaled to [0, 1]
_STD = (0.229, 0.224, 0.225)  # ImageNet RGB standard deviation


@dataclass(frozen=True)
class NetworkSettings:
    """Architecture of an :class:`FCNSegmenter`.

    The output stride is ``2 ** len(widths)``: every stage halves the resolution.
    """

    widths: tuple[int, ...] = (16, 32, 48)  # channels of each stride-2 stage (the first is the stem)
    head_width: int = 64  # channels of the penultimate (feature) layer, at the output stride
    blocks_per_stage: int = 1  # residual blocks after each stride-2 convolution

    def __post_init__(self) -> None:
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        if not self.widths or any(w < 1 for w in self.widths):
            raise ParameterError(f"widths={self.widths} must be a non-empty list of positive channel counts")
        if self.head_width < 1:
            raise ParameterError(f"head_width={self.head_width} must be at least 1")
        if self.blocks_per_stage < 0:
            raise ParameterError(f"blocks_per_stage={self.blocks_per_stage} must be at least 0")

    @property
    def stride(self) -> int:
        """Output stride: input rows (and columns) per feature row (and column)."""
        return 2 ** len(self.widths)


def _conv_bn_relu(in_channels: int, out_channels: int, *, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class _ResidualBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity shortcut."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = _conv_bn_relu(channels, channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.bn2(self.conv2(self.conv1(x))))


class FCNSegmenter(nn.Module):
    """A per-frame segmentation network with a coarse output stride and bilinear upsampling.

    Parameters
    ----------
    name : registry name (``"fcn8-small"``, ``"fcn16-wide"``) or any label for a custom network.
    num_classes : number of classes C; predictions are ``0..C-1``.
    settings : the architecture.

    Attributes
    ----------
    history : the :class:`~vsslib.segmenters.train.TrainingHistory` of the weights, once trained or loaded
        from the cache (``None`` for an untrained network).
    """

    def __init__(self, name: str, num_classes: int, settings: NetworkSettings = NetworkSettings()) -> None:
        super().__init__()
        if not 1 <= num_classes <= 255:
            raise ParameterError(f"num_classes={num_classes} must be in 1..255 (uint8 label maps, 255 = none)")
        self.name = name
        self.num_classes = int(num_classes)
        self.settings = settings
        self.history = None
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1) * 255.0, persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1) * 255.0, persistent=False)
        stages = []
        in_channels = 3
        for width in settings.widths:
            blocks = [_conv_bn_relu(in_channels, width, stride=2)]
            blocks += [_ResidualBlock(width) for _ in range(settings.blocks_per_stage)]
            stages.append(nn.Sequential(*blocks))
            in_channels = width
        self.stages = nn.Sequential(*stages)
        self.head = _conv_bn_relu(in_channels, settings.head_width)
        self.classifier = nn.Conv2d(settings.head_width, self.num_classes, 1)

    @property
    def stride(self) -> int:
        """Output stride of the logits before upsampling (and of :meth:`features`)."""
        return self.settings.stride

    def extra_repr(self) -> str:
        return f"name={self.name!r}, num_classes={self.num_classes}, stride={self.stride}"

    # --- tensors -----------------------------------------------------------------------------------
    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate features.

        Parameters
        ----------
        images : (B, 3, H, W) float32 RGB with values in [0, 255].

        Returns
        -------
        (B, head_width, ceil(H / stride), ceil(W / stride)) float32.
        """
        x = (images - self.mean) / self.std
        return self.head(self.stages(x))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits upsampled bilinearly to the input size.

        Parameters
        ----------
        images : (B, 3, H, W) float32 RGB with values in [0, 255].

        Returns
        -------
        (B, C, H, W) float32 logits.
        """
        logits = self.classifier(self.forward_features(images))
        return F.interpolate(logits, size=images.shape[-2:], mode="bilinear", align_corners=False)

    # --- numpy -------------------------------------------------------------------------------------
    def predict(self, video: Video, *, batch_size: int = 16) -> np.ndarray:
        """Label maps of every frame of ``video``.

        Returns
        -------
        (T, H, W) uint8 class ids ``0..C-1``.
        """
        return self.predict_frames(video.frames, batch_size=batch_size, where=video.name)

    def features(self, video: Video, *, batch_size: int = 16) -> np.ndarray:
        """Penultimate features of every frame of ``video``.

        Returns
        -------
        (T, head_width, ceil(H / stride), ceil(W / stride)) float32.
        """
        return self.features_frames(video.frames, batch_size=batch_size, where=video.name)

    def predict_frames(self, frames: np.ndarray, *, batch_size: int = 16, where: str = "frames") -> np.ndarray:
        """Label maps of (T, H, W, 3) uint8 RGB ``frames``: (T, H, W) uint8 class ids."""
        chunks = self._map_frames(frames, batch_size, where, lambda x: self(x).argmax(dim=1).to(torch.uint8))
        return np.concatenate(chunks) if chunks else np.zeros(np.shape(frames)[:3], dtype=np.uint8)

    def features_frames(self, frames: np.ndarray, *, batch_size: int = 16, where: str = "frames") -> np.ndarray:
        """Penultimate features of (T, H, W, 3) uint8 RGB ``frames``: (T, C, h, w) float32."""
        chunks = self._map_frames(frames, batch_size, where, self.forward_features)
        if chunks:
            return np.concatenate(chunks)
        height, width = np.shape(frames)[1:3]
        return np.zeros((0, self.settings.head_width, math.ceil(height / self.stride),
                         math.ceil(width / self.stride)), dtype=np.float32)

    def _map_frames(self, frames: np.ndarray, batch_size: int, where: str,
                    fn: Callable[[torch.Tensor], torch.Tensor]) -> list[np.ndarray]:
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise DataError(f"{where}: frames must be (T, H, W, 3) uint8 RGB, got shape {frames.shape} and dtype "
                            f"{frames.dtype}")
        if batch_size < 1:
            raise ParameterError(f"batch_size={batch_size} must be at least 1")
        device = self.classifier.weight.device
        was_training = self.training
        self.eval()
        try:
            with torch.inference_mode():
                chunks = []
                for start in range(0, len(frames), batch_size):
                    batch = torch.tensor(frames[start:start + batch_size], device=device)
                    batch = batch.permute(0, 3, 1, 2).float()
                    chunks.append(fn(batch).cpu().numpy())
        finally:
            self.train(was_training)
        return chunks
