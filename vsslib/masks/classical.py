"""The embedded default masklet source: graph-based region proposals carried by dense optical flow.

Needs nothing from outside. On each window's key frame, Felzenszwalb and Huttenlocher's graph-based
segmentation (``skimage.segmentation.felzenszwalb``) proposes regions; regions smaller than ``min_area``
are dropped. The painted id map is carried to each next frame by backward dense optical flow
(Farneback, OpenCV): for every pixel of frame t+1 the flow to frame t says where it came from, and the
id found there (nearest neighbour) is copied, so every pixel of the new frame gets an id and none is
left as a hole by forward splatting; pixels whose source lies outside the image get -1 (new area at the
border). The window, linking and discovery logic is :mod:`vsslib.masks.windows`, shared with SAM2.

It is a stand-in for SAM2, not an imitation: its regions follow colour and texture edges, not objects,
so it over-segments textured things and merges similar neighbours. Tables name it "classical".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..errors import ParameterError
from .base import check_frames, paint, register_masklet_source
from .windows import WindowSettings, run_windows

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["ClassicalSettings", "FlowSettings", "ClassicalMasklets", "propose_regions", "warp_ids"]


@dataclass(frozen=True)
class FlowSettings:
    """Farneback optical flow parameters (OpenCV ``calcOpticalFlowFarneback``)."""

    pyr_scale: float = 0.5
    levels: int = 3
    winsize: int = 15
    iterations: int = 3
    poly_n: int = 5
    poly_sigma: float = 1.2


@dataclass(frozen=True)
class ClassicalSettings:
    """Settings of :class:`ClassicalMasklets` (defaults tuned on the generated benchmark at 128x224)."""

    scale: float = 200.0  # Felzenszwalb: higher = larger regions
    sigma: float = 0.8  # Felzenszwalb: Gaussian pre-smoothing
    min_size: int = 30  # Felzenszwalb: minimum component size during merging (px)
    min_area: int = 20  # proposals smaller than this are dropped (px)
    max_masklets: int = 0  # keep only the largest N proposals per key frame (0 = all)
    windows: WindowSettings = field(default_factory=WindowSettings)
    flow: FlowSettings = field(default_factory=FlowSettings)

    def validate(self) -> None:
        if self.scale <= 0 or self.sigma < 0:
            raise ParameterError(f"scale={self.scale} must be > 0 and sigma={self.sigma} >= 0")
        if self.min_size < 1 or self.min_area < 1 or self.max_masklets < 0:
            raise ParameterError(f"min_size={self.min_size}, min_area={self.min_area} must be >= 1 and "
                                 f"max_masklets={self.max_masklets} >= 0")
        self.windows.validate()


def propose_regions(frame: np.ndarray, settings: ClassicalSettings) -> np.ndarray:
    """Felzenszwalb regions of one (H, W, 3) uint8 frame as (N, H, W) bool masks, largest first."""
    from skimage.segmentation import felzenszwalb

    segments = felzenszwalb(frame, scale=settings.scale, sigma=settings.sigma, min_size=settings.min_size)
    areas = np.bincount(segments.ravel())
    keep = np.flatnonzero(areas >= settings.min_area)
    keep = keep[np.argsort(-areas[keep], kind="stable")]
    if settings.max_masklets:
        keep = keep[: settings.max_masklets]
    return segments[None] == keep[:, None, None]


def warp_ids(ids: np.ndarray, frame: np.ndarray, next_frame: np.ndarray, flow: FlowSettings) -> np.ndarray:
    """Carry an (H, W) int32 id map from ``frame`` to ``next_frame`` by backward Farneback flow."""
    gray_now = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    gray_next = cv2.cvtColor(next_frame, cv2.COLOR_RGB2GRAY)
    backward = cv2.calcOpticalFlowFarneback(gray_next, gray_now, None, flow.pyr_scale, flow.levels, flow.winsize,
                                            flow.iterations, flow.poly_n, flow.poly_sigma, 0)
    h, w = ids.shape
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x = grid_x + backward[..., 0]
    map_y = grid_y + backward[..., 1]
    # remap on float32 is exact for integer ids below 2**24
    warped = cv2.remap(ids.astype(np.float32), map_x, map_y, interpolation=cv2.INTER_NEAREST,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
    return warped.astype(np.int32)


@register_masklet_source("classical")
class ClassicalMasklets:
    """Felzenszwalb proposals on key frames, carried through windows by optical flow.

    Parameters
    ----------
    settings : :class:`ClassicalSettings`; keyword arguments ``window``, ``link_iou``, ``discover_every`` and
        ``discover_min_area`` are accepted as shortcuts for the window settings.
    """

    name = "classical"

    def __init__(self, settings: ClassicalSettings | None = None, *, progress: bool = False, **overrides: object) -> None:
        settings = settings or ClassicalSettings()
        window_keys = {k: overrides.pop(k) for k in list(overrides) if k in WindowSettings.__dataclass_fields__}
        unknown = sorted(set(overrides) - set(ClassicalSettings.__dataclass_fields__))
        if unknown:
            raise ParameterError(f"unknown classical masklet setting(s) {unknown}; known: "
                                 f"{sorted(set(ClassicalSettings.__dataclass_fields__) | set(WindowSettings.__dataclass_fields__))}")
        fields = {**asdict(settings), **overrides}
        fields["windows"] = WindowSettings(**{**asdict(settings.windows), **window_keys})
        fields["flow"] = FlowSettings(**fields["flow"]) if isinstance(fields["flow"], dict) else fields["flow"]
        self.settings = ClassicalSettings(**fields)
        self.settings.validate()
        self.progress = progress

    def __repr__(self) -> str:
        return f"ClassicalMasklets({self.settings})"

    def __call__(self, frames: np.ndarray, video: Video | None = None) -> np.ndarray:
        """(T, H, W, 3) uint8 frames -> (T, H, W) int32 masklet ids, -1 = none."""
        frames = check_frames(frames)
        return run_windows(frames, self.settings.windows, self._propose, self._propagate,
                           progress=self.progress, desc="classical masklets")

    def _propose(self, frame: np.ndarray) -> np.ndarray:
        return propose_regions(frame, self.settings)

    def _propagate(self, frames: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
        out = np.empty(frames.shape[:3], np.int32)
        out[0] = paint(masks, ids) if len(masks) else -1
        for t in range(1, len(frames)):
            out[t] = warp_ids(out[t - 1], frames[t - 1], frames[t], self.settings.flow)
        return out
