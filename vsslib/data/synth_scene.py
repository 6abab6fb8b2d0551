"""The generated benchmark's scenes: classes, settings, materials, the camera, object shapes and the street
layout of one video (what :mod:`vsslib.data.synth` renders and writes)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..base.errors import ParameterError

__all__ = ["SYNTH_CLASSES", "BenchmarkSettings", "make_scene", "Camera", "Street", "Thing", "sample", "material_bank"]


SYNTH_CLASSES: tuple[str, ...] = ("sky", "building", "road", "sidewalk", "vegetation", "pole", "traffic_sign",
                                  "car", "person", "bicycle")
SKY, BUILDING, ROAD, SIDEWALK, VEGETATION, POLE, SIGN, CAR, PERSON, BICYCLE = range(len(SYNTH_CLASSES))
FORMAT_VERSION = 2  # bump when the rendering changes: ensure_benchmark then regenerates

# Instance ids of the stuff regions; buildings and things follow from FIRST_OBJECT_ID.
SKY_ID, ROAD_ID, NEAR_WALK_ID, FAR_WALK_ID, FIRST_OBJECT_ID = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class BenchmarkSettings:
    """Everything that shapes a generated benchmark (recorded in ``benchmark.json``).

    The defaults are the profile the notebooks use: 20 videos (12 train / 6 val / 2 test) of 48 frames
    of 128x224 pixels.
    """

    n_videos: int = 20  # number of videos
    n_frames: int = 48  # frames per video
    height: int = 128  # frame height in pixels (at least 32)
    width: int = 224  # frame width in pixels (at least 32)
    seed: int = 0  # video k is drawn from numpy.random.default_rng([seed, k])
    split_counts: tuple[int, int, int] | None = None  # train/val/test videos; None = 60% / 30% / rest

    def __post_init__(self) -> None:
        for key in ("n_videos", "n_frames", "height", "width"):
            value = getattr(self, key)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ParameterError(f"{key}={value!r} must be an integer of at least 1")
        if self.height < 32 or self.width < 32:
            raise ParameterError(f"frames of {self.width}x{self.height} pixels are too small; use at least 32x32")
        if self.n_videos < 3:
            raise ParameterError(f"n_videos={self.n_videos}: need at least 3 (one video per split)")
        if self.split_counts is not None:
            counts = tuple(self.split_counts)
            if len(counts) != 3 or sum(counts) != self.n_videos or min(counts) < 1:
                raise ParameterError(f"split_counts={self.split_counts!r} must be three positive counts "
                                     f"(train, val, test) summing to n_videos={self.n_videos}")
            object.__setattr__(self, "split_counts", tuple(int(c) for c in counts))

    def splits(self) -> tuple[int, int, int]:
        """Videos per split (train, val, test)."""
        if self.split_counts is not None:
            return self.split_counts
        val = max(1, round(0.3 * self.n_videos))
        train = max(1, min(round(0.6 * self.n_videos), self.n_videos - val - 1))
        return train, val, self.n_videos - train - val

    def to_json(self) -> dict[str, Any]:
        """The record written to ``benchmark.json`` (and compared by :func:`ensure_benchmark`)."""
        record = asdict(self)
        record["split_counts"] = list(self.splits())
        record["format_version"] = FORMAT_VERSION
        record["classes"] = list(SYNTH_CLASSES)
        return record


# ------------------------------------------------------------------------------------------------------
# Materials: tileable textures (S x S texels, RGB in 0..255) with a few pre-blurred levels (a cheap mip
# map) so far, minified surfaces do not sparkle. Colours of things come from a per-instance tint.
TEXELS = 64
MIP_LEVELS = 4
(M_SKY, M_BRICK, M_PLASTER, M_CONCRETE, M_GLASS, M_TRIM, M_ASPHALT, M_PAINT, M_PAVING, M_KERB, M_FOLIAGE,
 M_BARK, M_METAL, M_SIGN, M_CARPAINT, M_RUBBER, M_CLOTH, M_STRIPES, M_SKIN, M_HAIR, M_LAMP) = range(21)
# Texels per metre of each material (the sky: texels per radian).
TEXEL_DENSITY = np.array([40, 48, 32, 24, 32, 48, 40, 40, 40, 48, 56, 64, 64, 64, 40, 64, 64, 64, 64, 64, 64],
                    np.float32)


def spectral_filter(size: int, sigma: float) -> np.ndarray:
    """Fourier-domain Gaussian of spatial std ``sigma`` texels on a periodic size x size grid."""
    f = np.fft.fftfreq(size).astype(np.float32)
    return np.exp(-2 * np.pi**2 * sigma**2 * (f[:, None] ** 2 + f[None, :] ** 2))


def periodic_noise(rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Tileable smooth noise, (S, S) float32 with zero mean and unit std; ``sigma`` sets the feature size."""
    white = rng.standard_normal((TEXELS, TEXELS))
    smooth = np.fft.ifft2(np.fft.fft2(white) * spectral_filter(TEXELS, sigma)).real
    return ((smooth - smooth.mean()) / smooth.std()).astype(np.float32)


def material_bank(rng: np.random.Generator) -> np.ndarray:
    """(LEVELS, M, S, S, 3) float32 textures; level l is level 0 blurred by about 2**l texels."""
    yy, xx = np.mgrid[0:TEXELS, 0:TEXELS].astype(np.float32)
    fine, mid, coarse = (periodic_noise(rng, s) for s in (0.7, 2.5, 8.0))
    fine2, mid2 = periodic_noise(rng, 0.7), periodic_noise(rng, 2.5)

    def colour(rgb: tuple[float, float, float], *noise: tuple[float, np.ndarray]) -> np.ndarray:
        out = np.broadcast_to(np.asarray(rgb, np.float32), (TEXELS, TEXELS, 3)).copy()
        for amplitude, field_ in noise:
            out += amplitude * field_[..., None]
        return out

    bank = np.zeros((21, TEXELS, TEXELS, 3), np.float32)
    cloud = np.clip(0.5 + 0.45 * coarse + 0.15 * mid, 0, 1)[..., None]
    bank[M_SKY] = (1 - cloud) * np.array([105, 155, 220], np.float32) + cloud * np.array([232, 236, 242])
    # Bricks: 0.25 x 0.0625 m courses (S = 64 texels = 1.33 m), staggered, with per-brick colour jitter.
    course = (yy // 4).astype(int)
    brick_x = ((xx + 6 * (course % 2)) // 12).astype(int)
    jitter = rng.normal(0, 12, (course.max() + 1, brick_x.max() + 1)).astype(np.float32)
    mortar = ((yy % 4) < 1) | (((xx + 6 * (course % 2)) % 12) < 1)
    bank[M_BRICK] = colour((150, 88, 70), (8, fine), (6, mid)) + jitter[course, brick_x][..., None]
    bank[M_BRICK][mortar] = colour((175, 170, 160), (6, fine))[mortar]
    bank[M_PLASTER] = colour((200, 192, 175), (5, fine), (6, mid), (6, coarse))
    bank[M_CONCRETE] = colour((150, 150, 148), (7, fine), (9, mid), (8, coarse))
    bank[M_CONCRETE][(xx % 32) < 1] *= 0.8  # panel joints
    reflection = 0.5 + 0.5 * np.sin((xx + yy) * 0.35)[..., None]
    bank[M_GLASS] = colour((55, 70, 90), (6, mid), (10, coarse)) + 35 * reflection
    bank[M_TRIM] = colour((215, 212, 205), (5, fine))
    bank[M_ASPHALT] = colour((100, 100, 103), (10, fine), (5, fine2), (9, coarse))
    bank[M_PAINT] = colour((226, 224, 214), (8, fine), (6, mid))
    bank[M_PAVING] = colour((168, 160, 150), (7, fine), (6, coarse))
    bank[M_PAVING][((yy % 16) < 1) | ((xx % 16) < 1)] *= 0.72  # 0.33 m tiles
    bank[M_KERB] = colour((185, 183, 178), (6, fine))
    leaves = np.clip(0.5 + 0.6 * fine + 0.4 * mid2, 0, 1)[..., None]
    bank[M_FOLIAGE] = leaves * np.array([75, 125, 45], np.float32) + (1 - leaves) * np.array([25, 48, 22])
    bank[M_FOLIAGE] += 8 * coarse[..., None]
    bank[M_BARK] = colour((95, 75, 58), (12, periodic_noise(rng, 0.6)), (8, mid))
    bank[M_BARK][(xx % 6) < 1] *= 0.7  # vertical furrows
    bank[M_METAL] = colour((160, 162, 166), (5, fine), (6, mid))
    bank[M_SIGN] = colour((235, 235, 235), (4, fine))
    bank[M_CARPAINT] = colour((228, 228, 230), (3, fine), (4, mid))
    bank[M_RUBBER] = colour((40, 40, 42), (6, fine))
    bank[M_CLOTH] = colour((205, 205, 205), (10, fine), (8, mid))
    bank[M_STRIPES] = colour((215, 215, 215), (8, fine))
    bank[M_STRIPES][(yy % 8) < 3] *= 0.55
    bank[M_SKIN] = colour((225, 180, 150), (5, mid))
    bank[M_HAIR] = colour((55, 42, 35), (10, fine))
    bank[M_LAMP] = colour((250, 245, 230), (3, fine))
    bank = np.clip(bank, 0, 255)
    levels = np.empty((MIP_LEVELS, *bank.shape), np.float32)
    spectrum = np.fft.fft2(bank, axes=(1, 2))
    for level in range(MIP_LEVELS):
        kernel = spectral_filter(TEXELS, 0.0 if level == 0 else 0.6 * 2**level)[None, :, :, None]
        levels[level] = np.fft.ifft2(spectrum * kernel, axes=(1, 2)).real
    return levels


def sample(bank: np.ndarray, material: np.ndarray, su: np.ndarray, sv: np.ndarray,
            metres_per_pixel: np.ndarray) -> np.ndarray:
    """Bilinear, wrapped texture lookup; all inputs (H, W); returns (H, W, 3) float32."""
    density = TEXEL_DENSITY[material]
    level = np.clip(np.floor(np.log2(np.maximum(metres_per_pixel * density, 1e-6))), 0, MIP_LEVELS - 1)
    tu, tv = su * density, sv * density
    u0, v0 = np.floor(tu), np.floor(tv)
    fu, fv = (tu - u0)[..., None], (tv - v0)[..., None]
    base = (level.astype(np.int64) * bank.shape[1] + material) * (TEXELS * TEXELS)
    flat = bank.reshape(-1, 3)
    u0i, v0i = u0.astype(np.int64) % TEXELS, v0.astype(np.int64) % TEXELS
    u1i, v1i = (u0i + 1) % TEXELS, (v0i + 1) % TEXELS
    top = flat[base + v0i * TEXELS + u0i] * (1 - fu) + flat[base + v0i * TEXELS + u1i] * fu
    bottom = flat[base + v1i * TEXELS + u0i] * (1 - fu) + flat[base + v1i * TEXELS + u1i] * fu
    return top * (1 - fv) + bottom * fv


# ------------------------------------------------------------------------------------------------------
# Camera: a pinhole at height `height_m` looking horizontally along +z (depth); the image row of the
# horizon is `horizon`; it pans along world x, zooms (focal length) and shakes slightly.
@dataclass(frozen=True)
class Camera:
    width: int
    height: int
    focal0: float  # focal length at frame 0 (pixels)
    zoom: float  # log focal-length change over the clip
    horizon0: float  # image row of the horizon
    height_m: float  # camera height above the ground (m)
    x0: float  # world x of the optical axis at frame 0 (m)
    pan: float  # m per frame
    shake: float  # amplitude of the vertical shake (pixels)
    shake_phase: float
    n_frames: int

    def at(self, t: int) -> tuple[float, float, float]:
        """(focal, horizon row, camera x) at frame t."""
        s = t / max(self.n_frames - 1, 1)
        focal = self.focal0 * math.exp(self.zoom * s)
        horizon = self.horizon0 + self.shake * math.sin(self.shake_phase + 0.9 * t)
        return focal, horizon, self.x0 + self.pan * t


@dataclass(frozen=True)
class Street:
    """Depths (m) of the street's bands, from the camera: near sidewalk < near_kerb <= road < far_kerb
    <= far sidewalk < facade (front buildings) < back (second row)."""

    near_kerb: float
    far_kerb: float
    facade: float
    back: float
    crossing_x: float | None  # world x of a zebra crossing, if any


# A shape maps local coordinates x (1, w) and y (h, 1) in metres (y up from the ground) and the frame
# index to (part (h, w) int, 0 = outside) and an optional (h, w) shading factor.
Shape = Callable[[np.ndarray, np.ndarray, int], tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True, eq=False)
class Thing:
    """A flat, camera-facing object standing at depth ``z``; parts drawn by ``shape`` in local metres."""

    cls: int
    instance: int
    shape: Shape
    extent: tuple[float, float, float, float]  # local x_lo, x_hi, y_lo, y_hi (m)
    z: float
    x0: float  # world x at frame 0 (m)
    vx: float = 0.0  # m per frame
    materials: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int16))  # part -> material
    tints: np.ndarray = field(default_factory=lambda: np.ones((1, 3), np.float32))  # part -> RGB tint
    shadow: float = 0.0  # half-length (m) of the contact shadow on the ground; 0 = none
    texture_offset: float = 0.0

    def x(self, t: int) -> float:
        return self.x0 + self.vx * t


# Shapes (see Shape): each factory fixes an object's proportions and returns its drawing function.
def segment_distance(x: np.ndarray, y: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """Distance from each (x, y) to the segment a-b."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    s = np.clip(((x - ax) * dx + (y - ay) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
    return np.hypot(x - ax - s * dx, y - ay - s * dy)


def car_shape(length: float, body_top: float, roof: float, wheel: float, facing: int) -> Shape:
    def shape(x: np.ndarray, y: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray | None]:
        xs = x * facing
        half = length / 2
        centre, half_h = (0.18 + body_top) / 2, (body_top - 0.18) / 2
        body = (np.abs(xs / half) ** 6 + np.abs((y - centre) / half_h) ** 6) <= 1
        rise = np.clip((y - body_top) / (roof - body_top), 0, 1)
        back, front = -0.4 * length + 0.12 * length * rise, 0.22 * length - 0.24 * length * rise
        cabin = (y >= body_top - 0.05) & (y <= roof) & (xs >= back) & (xs <= front)
        glass = ((y >= body_top + 0.05) & (y <= roof - 0.06) & (xs >= back + 0.08) & (xs <= front - 0.08)
                 & (np.abs(xs + 0.06 * length) > 0.05))
        part = np.where(body | cabin, 1, 0)
        part = np.where(body & (y < 0.34), 6, part)  # dark lower trim
        part = np.where(glass, 2, part)
        lamp_y = np.abs(y - (body_top - 0.18)) < 0.07
        part = np.where(body & lamp_y & (xs > half - 0.14), 5, part)
        part = np.where(body & lamp_y & (xs < -half + 0.1), 7, part)
        for axle in (-0.3 * length, 0.3 * length):
            r = np.hypot(xs - axle, y - wheel)
            part = np.where(r <= wheel, np.where(r <= 0.45 * wheel, 4, 3), part)
        shade = 1.08 - 0.35 * np.clip((body_top - y) / body_top, 0, 1)  # darker towards the sills
        return part, np.broadcast_to(shade, part.shape)

    return shape


def person_shape(height: float, facing: int, stride_phase: float, step: float, amplitude: float) -> Shape:
    s = height / 1.75

    def shape(x: np.ndarray, y: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray | None]:
        xs = x * facing
        swing = amplitude * math.sin(stride_phase + step * t)
        hip, shoulder = (0.0, 0.93 * s), (0.02 * s, 1.45 * s)
        part = np.zeros(np.broadcast_shapes(x.shape, y.shape), np.int8)
        for sign in (1, -1):  # legs and feet
            foot = (hip[0] + 0.9 * s * math.sin(sign * swing), hip[1] - 0.9 * s * math.cos(swing))
            part[segment_distance(xs, y, hip, foot) <= 0.07 * s] = 2
            part[segment_distance(xs, y, foot, (foot[0] + 0.12 * s, foot[1])) <= 0.04 * s] = 4
        torso = (np.abs(xs - 0.02 * s) <= 0.17 * s) & (y >= 0.9 * s) & (y <= 1.47 * s)
        part[torso | (np.hypot(xs - shoulder[0], (y - shoulder[1]) * 1.6) <= 0.17 * s)] = 1
        for sign in (-1, 1):  # arms swing against the legs
            hand = (shoulder[0] + 0.6 * s * math.sin(-sign * swing), shoulder[1] - 0.6 * s * math.cos(swing))
            arm = segment_distance(xs, y, shoulder, hand)
            part[arm <= 0.05 * s] = 1
            part[np.hypot(xs - hand[0], y - hand[1]) <= 0.05 * s] = 3
        head = np.hypot((xs - 0.03 * s) / 0.1, (y - 1.64 * s) / 0.12) <= s
        part[head] = 3
        part[head & ((y > 1.68 * s) | (xs < -0.02 * s))] = 4  # hair
        return part, None

    return shape


def bicycle_shape(facing: int, wheel: float = 0.34) -> Shape:
    rear, front, crank = (-0.52, wheel), (0.52, wheel), (-0.05, 0.3)
    seat, head = (-0.2, 0.86), (0.4, 0.9)
    tubes = ((rear, crank), (crank, seat), (seat, rear), (crank, head), (head, front), (seat, head))

    def shape(x: np.ndarray, y: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray | None]:
        xs = x * facing
        part = np.zeros(np.broadcast_shapes(x.shape, y.shape), np.int8)
        for hub in (rear, front):
            r = np.hypot(xs - hub[0], y - hub[1])
            part[(r <= wheel) & (r >= wheel - 0.05)] = 2
            part[r <= 0.04] = 3
        for a, b in tubes:
            part[segment_distance(xs, y, a, b) <= 0.025] = 1
        part[segment_distance(xs, y, (seat[0] - 0.1, seat[1] + 0.05), (seat[0] + 0.08, seat[1] + 0.05)) <= 0.03] = 3
        part[segment_distance(xs, y, head, (head[0] - 0.05, head[1] + 0.15)) <= 0.022] = 3  # handlebar
        return part, None

    return shape


def rider_shape(facing: int, pedal_phase: float, cadence: float) -> Shape:
    hip, shoulder, crank = (-0.2, 0.95), (0.12, 1.45), (-0.05, 0.3)

    def shape(x: np.ndarray, y: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray | None]:
        xs = x * facing
        part = np.zeros(np.broadcast_shapes(x.shape, y.shape), np.int8)
        for offset in (0.0, math.pi):
            angle = pedal_phase + cadence * t + offset
            pedal = (crank[0] + 0.17 * math.cos(angle), crank[1] + 0.17 * math.sin(angle))
            knee = ((hip[0] + pedal[0]) / 2 + 0.2, (hip[1] + pedal[1]) / 2 + 0.08)
            leg = np.minimum(segment_distance(xs, y, hip, knee), segment_distance(xs, y, knee, pedal))
            part[leg <= 0.065] = 2
        part[segment_distance(xs, y, hip, shoulder) <= 0.15] = 1
        part[segment_distance(xs, y, shoulder, (0.4, 1.05)) <= 0.045] = 1
        head = np.hypot(xs - 0.2, y - 1.66) <= 0.115
        part[head] = 3
        part[head & ((y > 1.7) | (xs < 0.17))] = 4
        return part, None

    return shape


def pole_shape(width: float, height: float, arm: float) -> Shape:
    def shape(x: np.ndarray, y: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray | None]:
        mast = (np.abs(x) <= width / 2) & (y <= height)
        part = np.where(mast, 1, 0)
        if arm:
            lo, hi = min(0.0, arm), max(0.0, arm)
            beam = (y >= height - 0.09) & (y <= height) & (x >= lo) & (x <= hi)
            lamp = (np.abs(x - arm) <= 0.22) & (y >= height - 0.16) & (y <= height + 0.02)
            part = np.where(beam | lamp, 1, part)
        shade = 0.7 + 0.4 * np.cos(np.clip(x / max(width, 1e-3), -0.5, 0.5) * np.pi)  # a lit cylinder
        return part, np.broadcast_to(shade, part.shape)

    return shape


def sign_shape(kind: str, size: float, centre: float) -> Shape:
    r = size / 2

    def shape(x: np.ndarray, y: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray | None]:
        dy = y - centre
        if kind == "triangle":  # pointing up: |x| <= (r - dy) / sqrt(3) within -r/2 <= dy <= r
            outer = (dy >= -0.5 * r) & (np.abs(x) * 1.732 <= r - dy)
            inner = (dy >= -0.5 * r + 0.1 * r) & (np.abs(x) * 1.732 <= 0.72 * r - dy)
        elif kind == "square":
            outer = (np.abs(x) <= r) & (np.abs(dy) <= r)
            inner = (np.abs(x) <= 0.82 * r) & (np.abs(dy) <= 0.82 * r)
        else:  # round
            rho = np.hypot(x, dy)
            outer, inner = rho <= r, rho <= 0.72 * r
        return np.where(inner, 1, np.where(outer, 2, 0)), None

    return shape


def tree_shape(trunk: float, crown_y: float, radius: float, rng: np.random.Generator) -> Shape:
    """A trunk under a crown made of overlapping puffs with ragged edges (swaying slightly over time)."""
    puffs = [(0.0, 0.0, 1.0)] + [(rng.uniform(-0.6, 0.6), rng.uniform(-0.35, 0.35), rng.uniform(0.45, 0.7))
                                 for _ in range(rng.integers(2, 5))]
    lobes = rng.integers(7, 16, 3)
    phases = rng.uniform(0, 2 * np.pi, 3)
    wobble = rng.uniform(0.03, 0.07, 3)

    def shape(x: np.ndarray, y: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray | None]:
        crown = np.zeros(np.broadcast_shapes(x.shape, y.shape), bool)
        for px, py, scale in puffs:
            dx, dy = x - px * radius, (y - crown_y - py * radius) * 1.15
            theta = np.arctan2(dy, dx)
            ragged = 1 + sum(a * np.sin(k * theta + p + 0.04 * t) for k, p, a in zip(lobes, phases, wobble))
            crown |= np.hypot(dx, dy) <= scale * radius * ragged
        stem = (np.abs(x) <= trunk / 2 + 0.04 * np.maximum(0.6 - y, 0)) & (y <= crown_y)
        part = np.where(crown, 2, np.where(stem, 1, 0))
        shade = 0.8 + 0.3 * np.clip((y - crown_y) / radius, -1, 1)  # lit from above
        return part, np.broadcast_to(shade, part.shape)

    return shape


def building_shape(width: float, height: float, floor: float, bay: float, window: tuple[float, float],
                    shop: bool, offset: float) -> Shape:
    def shape(x: np.ndarray, y: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray | None]:
        wall = (np.abs(x) <= width / 2) & (y <= height)
        level = y - 0.4 * floor
        in_bay = np.mod(x + offset, bay) < window[0]
        in_row = (np.mod(level, floor) > 0.35 * floor) & (np.mod(level, floor) < 0.35 * floor + window[1])
        windows = wall & in_bay & in_row & (y > floor) & (y < height - 0.6)
        sill = wall & in_bay & (np.abs(np.mod(level, floor) - 0.32 * floor) < 0.07) & (y > floor) & (y < height - 0.6)
        part = np.where(wall, 1, 0)
        part = np.where(windows, 2, np.where(sill | (wall & (y > height - 0.35)), 3, part))
        if shop:
            part = np.where(wall & (y > 0.3) & (y < 0.8 * floor) & (np.abs(x) < width / 2 - 0.5), 2, part)
        else:
            door = wall & (np.abs(x - 0.2 * width) < 0.55) & (y < 2.2)
            part = np.where(door, 4, part)
        return part, None

    return shape


# ------------------------------------------------------------------------------------------------------
# Scene: the street, the camera and everything standing on it, drawn from one random generator.
CAR_COLOURS = np.array([[1.0, 1.0, 1.0], [0.75, 0.76, 0.78], [0.45, 0.46, 0.48], [0.16, 0.16, 0.18],
                         [0.75, 0.15, 0.12], [0.16, 0.3, 0.65], [0.2, 0.42, 0.25], [0.85, 0.7, 0.35]],
                        np.float32)
FACADE_TINTS = np.array([[1.05, 1.0, 0.88], [1.1, 1.1, 1.1], [0.85, 0.85, 0.88], [1.1, 0.92, 0.7],
                          [1.05, 0.75, 0.62], [0.85, 0.95, 1.1], [0.9, 1.03, 0.9], [1.1, 0.88, 0.88]], np.float32)
SIGN_TINTS = {"round": ([1.0, 1.0, 1.0], [0.85, 0.12, 0.1]), "triangle": ([1.0, 1.0, 0.95], [0.85, 0.12, 0.1]),
               "square": ([0.15, 0.35, 0.8], [1.0, 1.0, 1.0])}


def tints(*rgb: Any) -> np.ndarray:
    """(P, 3) tints with index 0 unused (part 0 = outside)."""
    return np.asarray([[1.0, 1.0, 1.0], *rgb], np.float32)


def make_scene(rng: np.random.Generator, settings: BenchmarkSettings) -> tuple[Camera, Street, list[Thing]]:
    """Draw one video's camera path, street and objects; objects come back in painting order (far first)."""
    h, w, n = settings.height, settings.width, settings.n_frames
    camera = Camera(width=w, height=h, focal0=w * rng.uniform(0.75, 0.95), zoom=rng.uniform(-0.15, 0.3),
                     horizon0=h * rng.uniform(0.4, 0.5), height_m=rng.uniform(1.4, 1.8), x0=0.0,
                     pan=rng.choice([-1, 1]) * rng.uniform(0.03, 0.2), shake=rng.uniform(0.0, 1.2),
                     shake_phase=rng.uniform(0, 2 * np.pi), n_frames=n)
    near = rng.uniform(4.6, 5.4)
    far = near + rng.uniform(6.5, 7.5)
    facade = far + rng.uniform(2.5, 3.8)
    street = Street(near_kerb=near, far_kerb=far, facade=facade, back=facade + rng.uniform(7, 11),
                     crossing_x=(camera.pan * n * rng.uniform(0.2, 0.8)) if rng.random() < 0.4 else None)
    focal_min = camera.focal0 * min(1.0, math.exp(camera.zoom))
    span = (min(0.0, camera.pan * n), max(0.0, camera.pan * n))  # camera x over the clip

    def x_range(z: float, margin: float = 2.0) -> tuple[float, float]:
        half = (w / 2) * z / focal_min + margin
        return span[0] - half, span[1] + half

    def crossing_x0(speed: float) -> float:
        """x at frame 0 so that the thing passes the middle of the view at a random time (entries, exits)."""
        t_cross = rng.uniform(-0.3, 1.3) * n
        return camera.pan * t_cross - speed * t_cross

    things: list[Thing] = []

    def add(cls: int, shape: Any, extent: tuple[float, float, float, float], z: float, x0: float, *,
            vx: float = 0.0, materials: list[int], tints: np.ndarray, shadow: float = 0.0) -> None:
        things.append(Thing(cls=cls, instance=FIRST_OBJECT_ID + len(things), shape=shape, extent=extent, z=z,
                             x0=x0, vx=vx, materials=np.asarray([0, *materials], np.int16), tints=tints,
                             shadow=shadow, texture_offset=float(rng.uniform(0, 50))))

    # Buildings: a contiguous back row and a front row with gaps (parallax and occlusion between them).
    for row, z in (("back", street.back), ("front", street.facade)):
        lo, hi = x_range(z, 6.0)
        x = lo
        while x < hi:
            width = rng.uniform(6, 13) if row == "back" else rng.uniform(5, 11)
            height = rng.uniform(5, 10) if row == "back" else rng.uniform(3.5, 8)
            wall = int(rng.choice([M_BRICK, M_PLASTER, M_PLASTER, M_CONCRETE]))
            tint = (FACADE_TINTS[rng.integers(0, len(FACADE_TINTS))] * rng.uniform(0.96, 1.04, 3)
                    * rng.uniform(0.8, 1.1) * (0.85 if row == "back" else 1.0))
            shape = building_shape(width, height, rng.uniform(2.8, 3.4), rng.uniform(1.3, 2.2),
                                    (rng.uniform(0.6, 1.0), rng.uniform(1.0, 1.5)), bool(rng.random() < 0.4),
                                    rng.uniform(0, 2))
            add(BUILDING, shape, (-width / 2, width / 2, 0.0, height), z + rng.uniform(0, 0.4), x + width / 2,
                materials=[wall, M_GLASS, M_TRIM, M_RUBBER], tints=tints(tint, [1, 1, 1], tint * 0.9 + 0.1,
                                                                          [1.2, 1.0, 0.9]))
            x += width + (rng.uniform(-0.5, 0.5) if row == "back" else rng.uniform(-0.3, 4.0))
    # Trees on the far sidewalk, in front of the facades.
    for _ in range(rng.integers(1, 4)):
        radius, crown_y = rng.uniform(1.3, 2.4), rng.uniform(3.2, 4.5)
        add(VEGETATION, tree_shape(rng.uniform(0.2, 0.35), crown_y, radius, rng),
            (-radius * 1.55, radius * 1.55, 0.0, crown_y + radius * 1.3), street.facade - rng.uniform(0.8, 1.6),
            rng.uniform(*x_range(street.facade)), materials=[M_BARK, M_FOLIAGE],
            tints=tints(rng.uniform(0.85, 1.15, 3), rng.uniform([0.8, 0.85, 0.7], [1.25, 1.2, 1.2])))
    # Poles along both kerbs (thin structures), some street lamps, many carrying a small sign.
    for kerb_z, count in ((street.far_kerb + 0.4, rng.integers(2, 6)), (street.near_kerb - 0.4, rng.integers(0, 2))):
        for _ in range(count):
            x0 = rng.uniform(*x_range(kerb_z))
            width, height = rng.uniform(0.08, 0.16), rng.uniform(3.0, 6.0)
            arm = rng.choice([-1, 1]) * rng.uniform(0.8, 1.6) if rng.random() < 0.3 else 0.0
            add(POLE, pole_shape(width, height, arm), (min(-width, arm - 0.25), max(width, arm + 0.25), 0.0,
                                                          height + 0.05),
                kerb_z, x0, materials=[M_METAL], tints=tints(rng.uniform(0.7, 1.05, 3)))
            if rng.random() < 0.7:
                kind = str(rng.choice(["round", "triangle", "square"]))
                size, centre = rng.uniform(0.45, 0.75), rng.uniform(2.1, min(height - 0.4, 3.0))
                face, border = SIGN_TINTS[kind]
                add(SIGN, sign_shape(kind, size, centre), (-size, size, centre - size, centre + size),
                    kerb_z - 0.05, x0, materials=[M_SIGN, M_SIGN], tints=tints(face, border))
    # Cars: a parked row along the far kerb (touching, overlapping) and traffic in both lanes.
    x = x_range(street.far_kerb)[0]
    while x < x_range(street.far_kerb)[1]:
        x += rng.uniform(1.0, 9.0)
        add_car(add, rng, street.far_kerb - 1.1 + rng.uniform(-0.15, 0.15), x, 0.0)
        x += rng.uniform(3.6, 4.6)
    for lane_z, direction in ((near + 1.8, 1), (near + 5.0, -1)):
        for _ in range(rng.integers(1, 4)):
            speed = direction * rng.uniform(0.15, 0.6)
            add_car(add, rng, lane_z + rng.uniform(-0.3, 0.3), crossing_x0(speed), speed)
    # People: on the far sidewalk, alone or in touching groups; sometimes one close to the camera.
    for _ in range(rng.integers(2, 6)):
        group = int(rng.integers(1, 4))
        speed = rng.choice([-1, 1]) * rng.uniform(0.04, 0.12) if rng.random() < 0.8 else 0.0
        x0 = crossing_x0(speed) if speed else rng.uniform(*x_range(street.far_kerb))
        z0 = rng.uniform(street.far_kerb + 0.6, street.facade - 0.5)
        for k in range(group):
            add_person(add, rng, z0 + rng.uniform(-0.25, 0.25), x0 + k * rng.uniform(0.35, 0.6), speed)
    if rng.random() < 0.5:
        speed = rng.choice([-1, 1]) * rng.uniform(0.06, 0.12)
        add_person(add, rng, rng.uniform(3.0, near - 0.6), crossing_x0(speed), speed)
    # Cyclists on the road edges: a bicycle and its rider, two touching instances of different classes.
    for _ in range(rng.integers(0, 3)):
        direction = int(rng.choice([-1, 1]))
        speed = direction * rng.uniform(0.18, 0.35)
        z = near + 0.7 if direction > 0 else far - 0.8
        x0 = crossing_x0(speed)
        add(BICYCLE, bicycle_shape(direction), (-0.9, 0.9, 0.0, 1.1), z + 0.02, x0, vx=speed,
            materials=[M_CARPAINT, M_RUBBER, M_RUBBER], tints=tints(CAR_COLOURS[rng.integers(0, len(CAR_COLOURS))],
                                                                    [1, 1, 1], [1, 1, 1]), shadow=0.8)
        add(PERSON, rider_shape(direction, rng.uniform(0, 2 * np.pi), abs(speed) * 2.2), (-0.6, 0.6, 0.1, 1.85),
            z, x0, vx=speed, materials=[M_CLOTH, M_CLOTH, M_SKIN, M_HAIR],
            tints=tints(rng.uniform(0.2, 1.0, 3), rng.uniform(0.15, 0.6, 3), rng.uniform(0.55, 1.05) * np.ones(3),
                         [1, 1, 1]))
    things.sort(key=lambda thing: -thing.z)  # painter's order: far to near
    return camera, street, things


def add_car(add: Callable[..., None], rng: np.random.Generator, z: float, x0: float, speed: float) -> None:
    van = rng.random() < 0.2
    length = rng.uniform(4.6, 5.2) if van else rng.uniform(3.8, 4.7)
    body_top = rng.uniform(1.0, 1.1) if van else rng.uniform(0.9, 1.0)
    roof = rng.uniform(1.85, 2.0) if van else rng.uniform(1.38, 1.52)
    facing = int(np.sign(speed)) if speed else int(rng.choice([-1, 1]))
    paint = CAR_COLOURS[rng.integers(0, len(CAR_COLOURS))] * rng.uniform(0.92, 1.05, 3)
    add(CAR, car_shape(length, body_top, roof, rng.uniform(0.3, 0.34), facing),
        (-length / 2, length / 2, 0.0, roof), z, x0, vx=speed,
        materials=[M_CARPAINT, M_GLASS, M_RUBBER, M_METAL, M_LAMP, M_RUBBER, M_LAMP],
        tints=tints(paint, [0.8, 0.85, 0.9], [1, 1, 1], [1, 1, 1], [1, 1, 0.9], [1.1, 1.1, 1.1],
                     [1.0, 0.25, 0.2]),
        shadow=length / 2 + 0.2)


def add_person(add: Callable[..., None], rng: np.random.Generator, z: float, x0: float, speed: float) -> None:
    height = rng.uniform(1.55, 1.9)
    facing = int(np.sign(speed)) if speed else int(rng.choice([-1, 1]))
    step = 2 * np.pi * abs(speed) / 1.3  # one stride cycle per 1.3 m
    add(PERSON, person_shape(height, facing, rng.uniform(0, 2 * np.pi), step, 0.35 if speed else 0.04),
        (-0.5 * height / 1.75, 0.5 * height / 1.75, 0.0, height), z, x0, vx=speed,
        materials=[int(rng.choice([M_CLOTH, M_STRIPES])), M_CLOTH, M_SKIN, M_HAIR],
        tints=tints(rng.uniform(0.15, 1.1, 3), rng.uniform(0.12, 0.7, 3) * [1, 1, 1.2],
                     rng.uniform(0.5, 1.05) * np.ones(3), rng.uniform(0.5, 1.4) * np.ones(3)),
        shadow=0.35)
