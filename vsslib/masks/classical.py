"""The embedded default masklet source: graph-based region proposals carried by dense optical flow.

Needs nothing from outside. On each window's key frame, Felzenszwalb and Huttenlocher's graph-based
segmentation (``skimage.segmentation.felzenszwalb``) proposes regions; regions smaller than ``min_area``
are dropped. The painted id map is carried to each next frame by backward dense optical flow
(Farneback, OpenCV): for every pixel of frame t+1 the flow to frame t says where it came from, and the
id found there (nearest neighbour) is copied, combined with a whole-masklet similarity motion fitted to the flow (see :func:`warp_ids`); pixels whose
source lies outside the image get -1 (new area at the border). The window, linking and discovery logic is :mod:`vsslib.masks.windows`, shared with SAM2.

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

__all__ = ["ClassicalSettings", "FlowSettings", "ClassicalMasklets", "propose_regions", "propagate_ids",
           "fit_motion"]


@dataclass(frozen=True)
class FlowSettings:
    """Farneback optical flow parameters (OpenCV ``calcOpticalFlowFarneback``)."""

    pyr_scale: float = 0.5
    levels: int = 3
    winsize: int = 5
    iterations: int = 3
    poly_n: int = 5
    poly_sigma: float = 1.2
    max_scale_change: float = 0.006  # cap on a masklet's fitted scale change per frame


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


def _flow(frame: np.ndarray, other: np.ndarray, flow: FlowSettings) -> np.ndarray:
    """Dense Farneback flow from ``frame`` to ``other``: (H, W, 2) float32 (dx, dy)."""
    a = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    b = cv2.cvtColor(other, cv2.COLOR_RGB2GRAY)
    return cv2.calcOpticalFlowFarneback(a, b, None, flow.pyr_scale, flow.levels, flow.winsize, flow.iterations,
                                        flow.poly_n, flow.poly_sigma, 0)


def fit_motion(ids: np.ndarray, forward: np.ndarray, max_scale_change: float) -> tuple[np.ndarray, ...]:
    """Per masklet of an (H, W) id map, the similarity motion that best fits the forward flow.

    The fit uses each masklet's interior (pixels whose 5x5 neighbourhood holds one id: flow there is not
    mixed across boundaries) and is least-squares, for all masklets at once with ``np.bincount`` moments.

    Returns
    -------
    (values, dy, dx, ds): ids present (ascending, -1 included if present), centroid translation (rows,
    columns) and relative scale change, each (K,) float64.
    """
    h, w = ids.shape
    values, inverse = np.unique(ids, return_inverse=True)
    inverse = inverse.reshape(h, w)
    k = len(values)
    low = cv2.erode(inverse.astype(np.float32), np.ones((5, 5), np.uint8), borderType=cv2.BORDER_REPLICATE)
    high = cv2.dilate(inverse.astype(np.float32), np.ones((5, 5), np.uint8), borderType=cv2.BORDER_REPLICATE)
    idx = inverse.ravel()
    weight = (low == high).ravel().astype(np.float64)
    count = np.bincount(idx, weights=weight, minlength=k)
    weight = np.where((count < 3)[idx], 1.0, weight)  # tiny masklets: use every pixel
    count = np.bincount(idx, weights=weight, minlength=k)
    y, x = np.divmod(np.arange(h * w, dtype=np.float64), w)
    u, v = forward[..., 0].ravel().astype(np.float64), forward[..., 1].ravel().astype(np.float64)

    def mean(a: np.ndarray) -> np.ndarray:
        return np.bincount(idx, weights=weight * a, minlength=k) / np.maximum(count, 1e-9)

    cy, cx, ty, tx = mean(y), mean(x), mean(v), mean(u)
    ry, rx = y - cy[idx], x - cx[idx]
    num = np.bincount(idx, weights=weight * (ry * (v - ty[idx]) + rx * (u - tx[idx])), minlength=k)
    den = np.bincount(idx, weights=weight * (ry * ry + rx * rx), minlength=k)
    # Flow smoothed across a masklet's edges overstates its divergence, so the fitted scale change is
    # capped at max_scale_change a frame (camera zoom in the generated benchmark: at most 0.5 % a frame).
    ds = np.clip(np.where(den > 0, num / np.maximum(den, 1e-9), 0.0), -max_scale_change, max_scale_change)
    return values, ty, tx, ds


def _render(key_idx: np.ndarray, key_values: np.ndarray, new_y: np.ndarray, new_x: np.ndarray, area: np.ndarray,
            shape: tuple[int, int], fallback: np.ndarray) -> np.ndarray:
    """Splat key-frame pixels to their new places (larger masklets first, smaller on top) and fill holes."""
    h, w = shape
    k = len(key_values)
    iy, ix = np.rint(new_y).astype(np.int64), np.rint(new_x).astype(np.int64)
    valid = (key_values[key_idx] >= 0) & (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    order = np.argsort(-area[key_idx[valid]], kind="stable")
    # Splat area ranks (0 = largest masklet), then fill the holes: area revealed behind a moving masklet
    # belongs to what lies behind it, so a hole takes the largest neighbouring masklet (repeated 3x3 max
    # filter on the negated rank); holes still open after a few pixels take the backward-flow id.
    by_area = np.argsort(-area, kind="stable")
    rank_of = np.empty(k, np.float32)
    rank_of[by_area] = np.arange(k, dtype=np.float32)
    ranks = np.full((h, w), -1.0, np.float32)
    ranks.ravel()[(iy[valid] * w + ix[valid])[order]] = rank_of[key_idx[valid]][order]
    holes = ranks < 0
    splatted = np.where(holes, -np.inf, -ranks).astype(np.float32)
    filled = splatted
    for _ in range(6):  # flood each hole (up to 6 px deep) with the largest masklet that reaches it
        filled = np.where(holes, cv2.dilate(filled, np.ones((3, 3), np.uint8)), splatted)
    out = np.where(np.isinf(filled), fallback, key_values[by_area][np.clip(-filled, 0, k - 1).astype(np.int64)])
    return out.astype(np.int32)


def propagate_ids(frames: np.ndarray, key_ids: np.ndarray, flow: FlowSettings) -> np.ndarray:
    """Carry a key-frame (H, W) int32 id map through ``frames`` (``frames[0]`` is the key frame).

    Each masklet moves as a whole: its similarity motion (translation + isotropic scale) is fitted to the
    dense forward flow between consecutive frames (:func:`fit_motion`) and accumulated in floating point
    from the key frame, and every frame is rendered from the key-frame shape, so sub-pixel motion is not
    lost to rounding and outlines stay sharp where per-pixel warping would smear them. Pixels no masklet
    lands on (revealed area) take the largest neighbouring masklet, or what backward per-pixel flow points
    to, or -1 outside the image.

    Returns
    -------
    (L, H, W) int32.
    """
    length, h, w = frames.shape[:3]
    out = np.empty((length, h, w), np.int32)
    out[0] = key_ids
    key_values, key_inverse = np.unique(key_ids, return_inverse=True)
    key_idx = key_inverse.ravel()
    k = len(key_values)
    area = np.bincount(key_idx, minlength=k)
    y0, x0 = np.divmod(np.arange(h * w, dtype=np.float64), w)
    c0y = np.bincount(key_idx, weights=y0, minlength=k) / np.maximum(area, 1)
    c0x = np.bincount(key_idx, weights=x0, minlength=k) / np.maximum(area, 1)
    shift_y, shift_x, scale = np.zeros(k), np.zeros(k), np.ones(k)
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
    for t in range(1, length):
        forward = _flow(frames[t - 1], frames[t], flow)
        backward = _flow(frames[t], frames[t - 1], flow)
        values, dy, dx, ds = fit_motion(out[t - 1], forward, flow.max_scale_change)
        where = np.searchsorted(key_values, values)
        shift_y[where] += dy
        shift_x[where] += dx
        scale[where] *= 1.0 + ds
        new_y = c0y[key_idx] + shift_y[key_idx] + scale[key_idx] * (y0 - c0y[key_idx])
        new_x = c0x[key_idx] + shift_x[key_idx] + scale[key_idx] * (x0 - c0x[key_idx])
        fallback = cv2.remap(out[t - 1].astype(np.float32), grid_x + backward[..., 0], grid_y + backward[..., 1],
                             interpolation=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                             borderValue=-1.0).astype(np.int32)
        out[t] = _render(key_idx, key_values, new_y, new_x, area, (h, w), fallback)
    return out


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
        key = paint(masks, ids) if len(masks) else np.full(frames.shape[1:3], -1, np.int32)
        return propagate_ids(frames, key, self.settings.flow)
