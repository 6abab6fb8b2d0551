"""Feature sources of approach 2: the maps each masklet's vector is pooled from.

A feature source is a callable ``source(video) -> (T, C, h, w) float32`` with ``.name``, ``.channels`` (C),
``.stride`` (nominal pixels of the model's input per cell) and ``.cell_size(height, width)`` (frame pixels
per cell along rows and columns, for a frame of that size). In every source the h x w grid spans the whole
frame, which is the correspondence :func:`vsslib.classify.pool` assumes.

- ``"appearance"`` (:class:`AppearanceFeatures`): a plain colour-and-texture baseline, so the reader sees
  what learned features add. Statistics of the pixels of each cell of a stride-4 grid, 12 channels
  (:data:`APPEARANCE_CHANNELS`):

  ====  ==================  ==========================================================================
  0-2   L, a, b mean        CIE Lab of the pixels (L in 0..100, a and b about -128..127; OpenCV's
                            float conversion of RGB / 255, D65 white)
  3-5   L, a, b std         standard deviation of each Lab channel over the cell's pixels
  6     gradient magnitude  mean |grad L| (3x3 Sobel / 8: lightness units per pixel)
  7-10  energy 0/45/90/135  root mean square of the directional derivative of L along 0, 45, 90 and
                            135 degrees (0 = along columns, 90 = down the rows): strong for edges across
                            that direction; the four squares sum to twice the mean squared magnitude
  11    roughness           square root of the mean 3x3 local variance of L: fine texture that the
                            cell's own std (3) mixes with smooth shading
  ====  ==================  ==========================================================================

  Per-pixel quantities come from OpenCV filters over the whole frame; per-cell means come from
  ``np.add.reduceat`` over the cell boundaries along rows then columns (no loop over cells). Cells are
  ``ceil(H / 4) x ceil(W / 4)``; when 4 does not divide the frame they are slightly smaller than 4 pixels
  and spread evenly, so the grid spans the frame.
- ``"segmenter:<name>"`` (:class:`SegmenterFeatures`): the penultimate features of a baseline network of
  :mod:`vsslib.segmenters` (stride 8 or 16, ``ceil(H / stride) x ceil(W / stride)`` cells). The network is
  trained or loaded on first use.
- ``"sam2"`` (:class:`SAM2Features`): the SAM2 image encoder's embedding, ``predictor._features
  ["image_embed"]`` after ``SAM2ImagePredictor.set_image``: 256 channels on a 64 x 64 grid, stride 16 of the
  1024 x 1024 model input. ``set_image`` resizes the frame to 1024 x 1024 **without keeping the aspect
  ratio**, so the grid is anisotropic in frame pixels: on a 128 x 224 frame a cell covers 2 rows x 3.5
  columns (``cell_size(128, 224) == (2.0, 3.5)``); on a 480 x 853 VSPW frame, 7.5 x 13.3. The image
  encoder runs once per frame (no temporal memory).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import cv2
import numpy as np

from ..base.devices import check_device_name
from ..base.errors import DataError, ParameterError
from .pooling import pixel_cells

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["FeatureSource", "APPEARANCE_CHANNELS", "AppearanceSettings", "AppearanceFeatures",
           "SegmenterFeatureSettings", "SegmenterFeatures", "SAM2FeatureSettings", "SAM2Features",
           "feature_settings_type", "resolve_feature_settings", "check_feature_settings",
           "create_feature_source", "list_feature_sources"]

APPEARANCE_CHANNELS: tuple[str, ...] = (
    "L mean", "a mean", "b mean", "L std", "a std", "b std", "gradient magnitude",
    "energy 0", "energy 45", "energy 90", "energy 135", "roughness",
)
_SAM2_STRIDE = 16  # image_embed has one cell per 16 x 16 pixels of the square model input (64 x 64 for 1024)


class FeatureSource(Protocol):
    """What approach 2 needs of a feature source."""

    name: str
    channels: int
    stride: float

    def __call__(self, video: Video) -> np.ndarray: ...

    def cell_size(self, height: int, width: int) -> tuple[float, float]: ...


def _check_frames(frames: np.ndarray, where: str) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise DataError(f"{where}: frames must be (T, H, W, 3) uint8 RGB, got shape {frames.shape} and dtype "
                        f"{frames.dtype}")
    return frames


def _grid_cell_size(height: int, width: int, grid: tuple[int, int]) -> tuple[float, float]:
    return height / grid[0], width / grid[1]


# --- appearance ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AppearanceSettings:
    """Settings of :class:`AppearanceFeatures`."""

    stride: int = 4  # nominal cell size in pixels; the grid is ceil(H / stride) x ceil(W / stride)
    roughness_window: int = 3  # side of the window of the local variance (channel 11), odd

    def __post_init__(self) -> None:
        if self.stride < 1:
            raise ParameterError(f"stride={self.stride} must be at least 1")
        if self.roughness_window < 3 or self.roughness_window % 2 == 0:
            raise ParameterError(f"roughness_window={self.roughness_window} must be odd and at least 3")


class AppearanceFeatures:
    """Colour and texture statistics per cell of a stride-4 grid: 12 channels (see the module docstring).

    Parameters
    ----------
    settings : :class:`AppearanceSettings`.
    """

    name = "appearance"
    channels = len(APPEARANCE_CHANNELS)

    def __init__(self, settings: AppearanceSettings = AppearanceSettings()) -> None:
        self.settings = settings

    def __repr__(self) -> str:
        return f"AppearanceFeatures(stride={self.stride})"

    @property
    def stride(self) -> float:
        return float(self.settings.stride)

    def grid(self, height: int, width: int) -> tuple[int, int]:
        """(h, w) = (ceil(H / stride), ceil(W / stride))."""
        return math.ceil(height / self.settings.stride), math.ceil(width / self.settings.stride)

    def cell_size(self, height: int, width: int) -> tuple[float, float]:
        """Frame pixels per cell along rows and columns: (H / h, W / w)."""
        return _grid_cell_size(height, width, self.grid(height, width))

    def pixel_features(self, frame: np.ndarray) -> np.ndarray:
        """The per-pixel quantities whose cell means make the features of one frame.

        Parameters
        ----------
        frame : (H, W, 3) uint8 RGB.

        Returns
        -------
        (H, W, 12) float64: L, a, b, L^2, a^2, b^2, |grad L|, the four squared directional derivatives,
        and the 3x3 local variance of L. Cell means of these give the features: channels 0-2 and 6
        directly, 3-5 as sqrt(mean of squares - squared mean), 7-11 as square roots. (float64, so that
        mean-of-squares differences do not cancel badly.)
        """
        win = (self.settings.roughness_window,) * 2
        lab = cv2.cvtColor(frame.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab).astype(np.float64)
        light = np.ascontiguousarray(lab[..., 0])
        gx = cv2.Sobel(light, cv2.CV_64F, 1, 0, ksize=3) / 8.0  # d/dcolumn
        gy = cv2.Sobel(light, cv2.CV_64F, 0, 1, ksize=3) / 8.0  # d/drow
        out = np.empty((*frame.shape[:2], 12), np.float64)
        out[..., 0:3] = lab
        out[..., 3:6] = lab * lab
        out[..., 6] = np.hypot(gx, gy)
        for k, angle in enumerate(np.deg2rad([0.0, 45.0, 90.0, 135.0])):
            out[..., 7 + k] = (gx * np.cos(angle) + gy * np.sin(angle)) ** 2
        local_mean = cv2.blur(light, win, borderType=cv2.BORDER_REFLECT)
        out[..., 11] = cv2.blur(light * light, win, borderType=cv2.BORDER_REFLECT) - local_mean**2
        return out

    def __call__(self, video: Video) -> np.ndarray:
        """Features of every frame of ``video``.

        Returns
        -------
        (T, 12, ceil(H / 4), ceil(W / 4)) float32, channels as :data:`APPEARANCE_CHANNELS`.
        """
        return self.frame_features(_check_frames(video.frames, f"video {video.name}"))

    def frame_features(self, frames: np.ndarray) -> np.ndarray:
        """Features of (T, H, W, 3) uint8 RGB ``frames``: (T, 12, h, w) float32 (see :meth:`__call__`)."""
        frames = _check_frames(frames, "appearance features")
        num_frames, height, width = frames.shape[:3]
        grid_h, grid_w = self.grid(height, width)
        # first pixel of every cell along each axis (every cell holds at least one pixel since h <= H)
        row_starts = np.searchsorted(pixel_cells(height, grid_h), np.arange(grid_h))
        col_starts = np.searchsorted(pixel_cells(width, grid_w), np.arange(grid_w))
        area = np.diff(np.append(row_starts, height))[:, None] * np.diff(np.append(col_starts, width))[None, :]
        features = np.empty((num_frames, self.channels, grid_h, grid_w), np.float32)
        for t, frame in enumerate(frames):  # OpenCV filters work frame by frame; cells are never looped over
            sums = np.add.reduceat(np.add.reduceat(self.pixel_features(frame), row_starts, axis=0), col_starts,
                                   axis=1)
            means = sums / area[:, :, None]  # (h, w, 12)
            out = np.empty_like(means)
            out[..., 0:3] = means[..., 0:3]
            out[..., 3:6] = np.sqrt(np.maximum(means[..., 3:6] - means[..., 0:3] ** 2, 0.0))
            out[..., 6] = means[..., 6]
            out[..., 7:11] = np.sqrt(means[..., 7:11])
            out[..., 11] = np.sqrt(np.maximum(means[..., 11], 0.0))
            features[t] = out.transpose(2, 0, 1)
        return features


# --- baseline networks --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SegmenterFeatureSettings:
    """Settings of :class:`SegmenterFeatures`: which network, trained on which dataset."""

    segmenter: str = "fcn16-wide"  # one of vsslib.segmenters.list_segmenters()
    dataset_root: str = ""  # VSPW-layout dataset whose train split the network is trained on
    cache_root: str | None = None  # weight cache (default: vsslib.base.cache.default_cache_root())
    seed: int = 0  # training seed of the network


class SegmenterFeatures:
    """Penultimate features of a baseline network (:meth:`vsslib.segmenters.FCNSegmenter.features`).

    Parameters
    ----------
    settings : :class:`SegmenterFeatureSettings`; the network is created (trained, or loaded from the
        cache) on first use, with :func:`vsslib.segmenters.create_segmenter`.
    network : an already created network to use instead (then ``settings.dataset_root`` is not needed).
    """

    def __init__(self, settings: SegmenterFeatureSettings, *, network: Any = None) -> None:
        from ..segmenters import segmenter_spec

        spec = segmenter_spec(settings.segmenter)  # ParameterError for an unknown name, before any training
        if network is None and not settings.dataset_root:
            raise ParameterError(f"feature source 'segmenter:{settings.segmenter}' needs dataset_root: the network "
                                 f"is trained on that dataset's train split")
        self.settings = settings
        self.name = f"segmenter:{settings.segmenter}"
        self.channels = int(spec.network.head_width) if network is None else int(network.settings.head_width)
        self.stride = float(spec.network.stride if network is None else network.stride)
        self._network = network

    def __repr__(self) -> str:
        return f"SegmenterFeatures({self.name!r}, stride={self.stride:g}, channels={self.channels})"

    @property
    def network(self) -> Any:
        """The network, created on first access."""
        if self._network is None:
            from ..segmenters import create_segmenter

            s = self.settings
            self._network = create_segmenter(s.segmenter, dataset_root=s.dataset_root, cache_root=s.cache_root,
                                             seed=s.seed, progress=False)
        return self._network

    def grid(self, height: int, width: int) -> tuple[int, int]:
        """(h, w) = (ceil(H / stride), ceil(W / stride))."""
        return math.ceil(height / self.stride), math.ceil(width / self.stride)

    def cell_size(self, height: int, width: int) -> tuple[float, float]:
        """Frame pixels per cell along rows and columns: (H / h, W / w)."""
        return _grid_cell_size(height, width, self.grid(height, width))

    def __call__(self, video: Video) -> np.ndarray:
        """(T, channels, ceil(H / stride), ceil(W / stride)) float32 penultimate features."""
        return np.asarray(self.network.features(video), dtype=np.float32)


# --- SAM2 ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SAM2FeatureSettings:
    """Settings of :class:`SAM2Features` (the same meaning as in :class:`vsslib.masks.SAM2Settings`)."""

    config: str | None = None  # tiny, small, base_plus, large, a package config name, or None (from the
    #                            checkpoint's official file name; tiny without one)
    checkpoint: str | None = None  # path of the matching SAM2.1 checkpoint
    random_weights: bool = False  # allow running without a checkpoint (tests, cost measurements)
    device: str = "cpu"  # "cpu", "cuda" or "cuda:<index>" (the encoder runs under bfloat16 autocast on CUDA)

    def __post_init__(self) -> None:
        check_device_name(self.device)


class SAM2Features:
    """SAM2's image-encoder embedding of every frame: (T, 256, 64, 64) float32.

    Parameters
    ----------
    settings : :class:`SAM2FeatureSettings`. The model is built once, here.

    Raises
    ------
    CheckpointError : no checkpoint and ``random_weights`` is False, a missing file, or weights that do
        not match the config.
    """

    name = "sam2"
    channels = 256
    stride = float(_SAM2_STRIDE)  # pixels of the 1024 x 1024 model input; see cell_size for frame pixels

    def __init__(self, settings: SAM2FeatureSettings = SAM2FeatureSettings()) -> None:
        from ..masks.sam2_model import build_image_predictor, build_sam2_model, config_of_checkpoint

        self.settings = settings
        named = config_of_checkpoint(settings.checkpoint) if settings.checkpoint else None
        model = build_sam2_model(settings.config or named or "tiny", settings.checkpoint, device=settings.device,
                                 random_weights=settings.random_weights)
        self.predictor = build_image_predictor(model)
        self.grid_size = int(model.image_size) // _SAM2_STRIDE  # 64 for every released config (1024 input)

    def __repr__(self) -> str:
        s = self.settings
        return f"SAM2Features(config={s.config!r}, device={s.device!r}, random_weights={s.random_weights})"

    def cell_size(self, height: int, width: int) -> tuple[float, float]:
        """Frame pixels per cell along rows and columns, (H / 64, W / 64): the frame is squeezed to a square."""
        return _grid_cell_size(height, width, (self.grid_size, self.grid_size))

    def frame_features(self, frames: np.ndarray) -> np.ndarray:
        """Embeddings of (T, H, W, 3) uint8 RGB ``frames``: (T, 256, 64, 64) float32."""
        from ..masks.sam2_model import inference

        frames = _check_frames(frames, "SAM2 features")
        out = np.empty((len(frames), self.channels, self.grid_size, self.grid_size), np.float32)
        with inference(self.predictor.device):
            for t, frame in enumerate(frames):
                self.predictor.set_image(np.ascontiguousarray(frame))
                out[t] = self.predictor._features["image_embed"][0].float().cpu().numpy()
        self.predictor.reset_predictor()
        return out

    def __call__(self, video: Video) -> np.ndarray:
        """(T, 256, 64, 64) float32 image embeddings of every frame of ``video``."""
        return self.frame_features(_check_frames(video.frames, f"video {video.name}"))


# --- registry -----------------------------------------------------------------------------------------
def list_feature_sources() -> list[str]:
    """Names accepted by :func:`create_feature_source`."""
    from ..segmenters import list_segmenters

    return ["appearance", "sam2", *(f"segmenter:{name}" for name in list_segmenters())]


def feature_settings_type(name: str) -> type:
    """The settings dataclass of feature source ``name``: :class:`AppearanceSettings`, :class:`SAM2FeatureSettings` or
    :class:`SegmenterFeatureSettings` (``"segmenter:<network>"``).

    Raises
    ------
    ParameterError : an unknown name (the message lists the valid ones).
    """
    if name == "appearance":
        return AppearanceSettings
    if name == "sam2":
        return SAM2FeatureSettings
    if name.startswith("segmenter:"):
        return SegmenterFeatureSettings
    raise ParameterError(f"unknown feature source {name!r}; valid: appearance, sam2, segmenter:<network> with "
                         f"<network> one of the baseline networks (see list_feature_sources())")


def resolve_feature_settings(name: str, **keywords: Any) -> Any:
    """The settings dataclass feature source ``name`` holds when created with ``keywords`` (fields of
    :func:`feature_settings_type`; a network's name comes from ``name``), validated, without creating the source.

    Raises
    ------
    ParameterError : an unknown name or setting (the message lists the valid ones), or an impossible value.
    """
    settings_type = feature_settings_type(name)
    keywords = dict(keywords)
    if name.startswith("segmenter:"):
        if "segmenter" in keywords:
            raise ParameterError(f"feature source {name!r}: the network is named in the source name, not by "
                                 f"segmenter={keywords['segmenter']!r}")
        keywords["segmenter"] = name.split(":", 1)[1]
        if keywords.get("dataset_root") is not None:
            keywords["dataset_root"] = os.fspath(keywords["dataset_root"])
    valid = set(settings_type.__dataclass_fields__) - {"segmenter"}
    unknown = sorted(set(keywords) - valid - {"segmenter"})
    if unknown:
        raise ParameterError(f"feature source {name!r}: unknown setting(s) {unknown}; valid: "
                             f"{', '.join(sorted(valid | ({'network'} if name.startswith('segmenter:') else set())))}")
    return settings_type(**keywords)


def check_feature_settings(name: str, settings: Any) -> Any:
    """``settings`` if it is the settings dataclass of feature source ``name`` (:func:`feature_settings_type`).

    Raises
    ------
    ParameterError : an unknown name, or settings of another type (the message names both types).
    """
    expected = feature_settings_type(name)
    if not isinstance(settings, expected):
        raise ParameterError(f"feature source {name!r} takes {expected.__name__} (resolve_feature_settings({name!r}, "
                             f"...)), got {type(settings).__name__}")
    return settings


def create_feature_source(name: str, *, settings: Any = None, network: Any = None, **keywords: Any) -> FeatureSource:
    """A feature source by name.

    Parameters
    ----------
    name : ``"appearance"``, ``"sam2"`` or ``"segmenter:<network>"`` (see :func:`list_feature_sources`).
    settings : the source's whole settings dataclass (:func:`resolve_feature_settings`), instead of ``keywords``.
    network : ``"segmenter:<network>"`` only: an existing network to use instead of creating one.
    **keywords : fields of the source's settings: :class:`AppearanceSettings` (``stride``,
        ``roughness_window``); :class:`SAM2FeatureSettings` (``config``, ``checkpoint``,
        ``random_weights``, ``device``); :class:`SegmenterFeatureSettings` (``dataset_root``, ``cache_root``,
        ``seed``).

    Raises
    ------
    ParameterError : an unknown name or setting (the message lists the valid ones), settings of another source,
        or both ``settings`` and ``keywords``.
    CheckpointError : ``"sam2"`` without a checkpoint and without ``random_weights=True``.
    """
    if settings is None:
        settings = resolve_feature_settings(name, **keywords)
    elif keywords:
        raise ParameterError(f"feature source {name!r}: give settings= or keywords {sorted(keywords)}, not both")
    else:
        check_feature_settings(name, settings)
    if network is not None and not name.startswith("segmenter:"):
        raise ParameterError(f"feature source {name!r}: network= is for segmenter:<network> sources")
    if name == "appearance":
        return AppearanceFeatures(settings)
    if name == "sam2":
        return SAM2Features(settings)
    return SegmenterFeatures(settings, network=network)
