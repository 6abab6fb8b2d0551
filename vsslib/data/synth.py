"""The embedded benchmark: procedurally generated street-scene videos written in the VSPW layout.

What it is: a stand-in that needs nothing from outside, so every part of the study runs anywhere. Each
video is a camera that pans and zooms over a street: sky, a skyline of buildings, trees, a sidewalk and a
road; poles and traffic signs (thin structures and small objects); parked and moving cars, walking
people and cyclists that touch and occlude each other and enter and leave the view mid-video. Every class
has a procedural texture (noise, bricks and windows, tiles, lane markings, leaves) fixed to the object it
belongs to, with overlapping colour statistics between classes (grey road, grey poles, grey buildings),
a global lighting drift and sensor noise; frames are JPEG-compressed. Labels and instance maps are
rendered from the same geometry as the pixels, so the ground truth is exact.

What it is not: VSPW. Its 10 classes, 128x224 frames and simple shapes make absolute numbers
incomparable with the paper's; every table and figure made from it says so in its title.

Files (the layout of :mod:`vsslib.data.vspw`): ``classes.txt``, ``train.txt``/``val.txt``/``test.txt``,
``data/<video>/origin/<8-digit>.jpg``, ``data/<video>/mask/<8-digit>.png`` (raw: class k stored as k+1,
0 never used, 255 void never used) and ``data/<video>/instance/<8-digit>.png`` (16-bit, 0 = none), and
``benchmark.json`` with the settings. The same settings give byte-identical files.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..errors import ParameterError

__all__ = ["SYNTH_CLASSES", "BenchmarkSettings", "generate", "ensure_benchmark", "render_video"]

SYNTH_CLASSES: tuple[str, ...] = ("sky", "building", "road", "sidewalk", "vegetation", "pole", "traffic_sign",
                                  "car", "person", "bicycle")
SKY, BUILDING, ROAD, SIDEWALK, VEGETATION, POLE, SIGN, CAR, PERSON, BICYCLE = range(10)
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class BenchmarkSettings:
    """Settings of a generated benchmark (all recorded in ``benchmark.json``)."""

    n_videos: int = 20
    n_frames: int = 48
    height: int = 128
    width: int = 224
    seed: int = 0
    split_counts: tuple[int, int, int] | None = None  # train/val/test; None = 60% / 30% / rest

    def __post_init__(self) -> None:
        for key in ("n_videos", "n_frames", "height", "width"):
            if getattr(self, key) < 1:
                raise ParameterError(f"{key}={getattr(self, key)} must be at least 1")
        if self.height < 32 or self.width < 32:
            raise ParameterError(f"frames of {self.width}x{self.height} are too small; use at least 32x32")
        if self.n_videos < 3:
            raise ParameterError(f"n_videos={self.n_videos}: need at least 3 (one per split)")
        counts = self.splits()
        if sum(counts) != self.n_videos or min(counts) < 1:
            raise ParameterError(f"split_counts={self.split_counts} must be three positive counts summing to "
                                 f"n_videos={self.n_videos}")

    def splits(self) -> tuple[int, int, int]:
        if self.split_counts is not None:
            return tuple(int(c) for c in self.split_counts)  # type: ignore[return-value]
        train = max(1, round(0.6 * self.n_videos))
        val = max(1, round(0.3 * self.n_videos))
        train = min(train, self.n_videos - val - 1)
        return train, val, self.n_videos - train - val

    def to_json(self) -> dict:
        out = asdict(self)
        out["split_counts"] = list(self.splits())
        out["format_version"] = _FORMAT_VERSION
        out["classes"] = list(SYNTH_CLASSES)
        return out


# ------------------------------------------------------------------------------------------------------
# Textures: each class (and each thing instance, through a tint) has a texture in its own coordinates.
def _value_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """Smooth noise in [-1, 1] of ``shape``: random values on a coarse grid, bicubic upsampling."""
    coarse = rng.uniform(-1, 1, (shape[0] // cell + 2, shape[1] // cell + 2)).astype(np.float32)
    big = cv2.resize(coarse, (coarse.shape[1] * cell, coarse.shape[0] * cell), interpolation=cv2.INTER_CUBIC)
    return np.clip(big[: shape[0], : shape[1]], -1, 1)


def _texture_bank(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """(10, Hw, Ww, 3) float32 textures in [0, 255] for each class, in texture coordinates."""
    hw, ww = shape
    yy, xx = np.mgrid[0:hw, 0:ww].astype(np.float32)
    bank = np.zeros((len(SYNTH_CLASSES), hw, ww, 3), np.float32)
    fine = [_value_noise(rng, shape, 2) for _ in range(3)]
    mid = [_value_noise(rng, shape, 6) for _ in range(3)]
    coarse = [_value_noise(rng, shape, 24) for _ in range(2)]

    def base(colour: tuple[float, float, float]) -> np.ndarray:
        return np.broadcast_to(np.asarray(colour, np.float32), (hw, ww, 3)).copy()

    sky = base((150, 185, 225)) + (yy / hw * -60)[..., None] + 18 * coarse[0][..., None]
    bank[SKY] = sky
    bricks = ((yy % 6) < 1) | (((xx + 5 * ((yy // 6) % 2)) % 10) < 1)
    windows = ((yy % 14) > 4) & ((yy % 14) < 11) & ((xx % 16) > 4) & ((xx % 16) < 12)
    building = base((135, 128, 120)) + 14 * mid[0][..., None] + 10 * fine[0][..., None]
    building[bricks] *= 0.8
    building[windows] = building[windows] * 0.35 + np.array([40, 60, 90], np.float32)
    bank[BUILDING] = building
    road = base((105, 105, 108)) + 12 * fine[1][..., None] + 10 * coarse[1][..., None]
    lane = ((xx % 40) < 20) & (np.abs(yy - hw * 0.78) < 1.5)
    road[lane] = (215, 215, 200)
    bank[ROAD] = road
    tiles = ((yy % 9) < 1) | ((xx % 9) < 1)
    sidewalk = base((160, 152, 140)) + 10 * fine[2][..., None]
    sidewalk[tiles] *= 0.75
    bank[SIDEWALK] = sidewalk
    leaves = np.stack([40 + 25 * mid[1], 110 + 45 * fine[0] + 20 * mid[2], 35 + 20 * fine[1]], axis=-1)
    bank[VEGETATION] = leaves
    bank[POLE] = base((120, 120, 125)) + (20 * np.sin(xx * 1.3))[..., None] + 8 * fine[2][..., None]
    bank[SIGN] = base((200, 40, 40)) + 15 * fine[0][..., None]
    bank[CAR] = base((170, 170, 170)) + 10 * mid[0][..., None] + 6 * fine[1][..., None]
    bank[PERSON] = base((150, 120, 110)) + 20 * mid[2][..., None] + 8 * fine[2][..., None]
    bank[BICYCLE] = base((60, 60, 70)) + 15 * fine[0][..., None]
    return np.clip(bank, 0, 255)


# ------------------------------------------------------------------------------------------------------
# Scene: everything in world coordinates (pixels at zoom 1), things may move (velocity in world px/frame).
@dataclass
class _Thing:
    cls: int
    shape: str  # "rect", "ellipse", "person", "bicycle", "sign"
    y0: float  # centre
    x0: float
    hh: float  # half height
    hw: float  # half width
    vy: float = 0.0
    vx: float = 0.0
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)


def _make_scene(rng: np.random.Generator, settings: BenchmarkSettings) -> dict:
    h, w, t = settings.height, settings.width, settings.n_frames
    pan = rng.uniform(-1.2, 1.2) * w / 64  # camera pan, world px per frame
    zoom = rng.uniform(0.0, 0.25)  # total relative zoom over the video
    world_w = int(w * 1.6 + abs(pan) * t + 40)
    horizon = h * rng.uniform(0.42, 0.55)
    road_top = horizon + h * rng.uniform(0.12, 0.18)
    scene: dict = {"pan": pan, "zoom": zoom, "world_w": world_w, "horizon": horizon, "road_top": road_top,
                   "cam_x0": world_w / 2 - pan * t / 2, "things": []}
    buildings = []
    x = -10.0
    while x < world_w + 10:
        width_b = rng.uniform(0.15, 0.35) * w
        top = horizon - rng.uniform(0.15, 0.4) * h
        buildings.append((x, x + width_b, top))
        x += width_b + rng.uniform(-4, 6)  # touching, sometimes overlapping, sometimes a gap of sky
    scene["buildings"] = buildings
    things: list[_Thing] = []
    for _ in range(rng.integers(2, 5)):  # trees in front of the buildings
        things.append(_Thing(VEGETATION, "ellipse", horizon - rng.uniform(0.02, 0.12) * h, rng.uniform(0, world_w),
                             rng.uniform(0.08, 0.16) * h, rng.uniform(0.08, 0.18) * w))
    for _ in range(rng.integers(2, 5)):  # poles, some carrying a sign: thin structures and small objects
        px = rng.uniform(0, world_w)
        pole_top = horizon - rng.uniform(0.1, 0.3) * h
        pole_bottom = road_top + 1
        things.append(_Thing(POLE, "rect", (pole_top + pole_bottom) / 2, px, (pole_bottom - pole_top) / 2,
                             rng.uniform(0.6, 1.4)))
        if rng.random() < 0.7:
            things.append(_Thing(SIGN, "sign", pole_top + 3, px, rng.uniform(2.5, 4.5), rng.uniform(2.5, 4.5),
                                 tint=tuple(rng.choice([[1.0, 1.0, 1.0], [0.3, 0.6, 1.6], [1.2, 1.1, 0.3]]))))
    lane_y = [road_top + (h - road_top) * f for f in (0.3, 0.7)]
    for _ in range(rng.integers(3, 7)):  # cars: parked and moving, entering and leaving, occluding each other
        lane = int(rng.integers(0, 2))
        moving = rng.random() < 0.7
        speed = rng.uniform(1.0, 3.0) * (1 if lane else -1) * (w / 224) if moving else 0.0
        start_x = rng.uniform(0, world_w)
        if moving and rng.random() < 0.5:  # enters mid-video from outside the view
            start_x = scene["cam_x0"] - np.sign(speed) * (w * 0.7 + rng.uniform(0, t * abs(speed) * 0.5))
        things.append(_Thing(CAR, "rect", lane_y[lane] - rng.uniform(0, 4), start_x, rng.uniform(0.07, 0.1) * h,
                             rng.uniform(0.09, 0.15) * w, 0.0, speed, tuple(rng.uniform(0.4, 1.4, 3))))
    for _ in range(rng.integers(2, 6)):  # people on the sidewalk, walking, often in groups that touch
        cy = road_top - rng.uniform(0.05, 0.09) * h
        speed = rng.uniform(-0.6, 0.6) * (w / 224)
        things.append(_Thing(PERSON, "person", cy, rng.uniform(0, world_w), rng.uniform(0.08, 0.12) * h,
                             rng.uniform(0.015, 0.025) * w, 0.0, speed, tuple(rng.uniform(0.5, 1.5, 3))))
    for _ in range(rng.integers(0, 3)):  # cyclists on the road edge
        cy = road_top + rng.uniform(0.02, 0.06) * h
        speed = rng.uniform(0.8, 1.8) * rng.choice([-1, 1]) * (w / 224)
        things.append(_Thing(BICYCLE, "bicycle", cy, rng.uniform(0, world_w), rng.uniform(0.035, 0.05) * h,
                             rng.uniform(0.035, 0.05) * w, 0.0, speed, tuple(rng.uniform(0.7, 1.3, 3))))
    # Painting order = depth: trees, poles, signs, then moving things sorted by their y (lower = nearer).
    order = {VEGETATION: 0, POLE: 1, SIGN: 2}
    things.sort(key=lambda th: (order.get(th.cls, 3), th.y0 if th.cls not in order else 0))
    scene["things"] = things
    return scene


def _thing_mask(th: _Thing, wy: np.ndarray, wx: np.ndarray, t: int) -> np.ndarray:
    cy = th.y0 + th.vy * t
    cx = th.x0 + th.vx * t
    dy = (wy - cy) / th.hh
    dx = (wx - cx) / th.hw
    if th.shape == "rect":
        return (np.abs(dy) <= 1) & (np.abs(dx) <= 1)
    if th.shape in ("ellipse", "sign"):
        return dy * dy + dx * dx <= 1
    if th.shape == "person":
        body = (np.abs(dx) <= 1) & (dy >= -0.55) & (dy <= 1)
        head = ((dy + 0.78) / 0.22) ** 2 + (dx / 0.8) ** 2 <= 1
        return body | head
    if th.shape == "bicycle":
        wheel_l = ((dy - 0.4) / 0.6) ** 2 + ((dx + 0.6) / 0.4) ** 2 <= 1
        wheel_r = ((dy - 0.4) / 0.6) ** 2 + ((dx - 0.6) / 0.4) ** 2 <= 1
        frame = (np.abs(dy) <= 0.2) & (np.abs(dx) <= 0.7)
        return wheel_l | wheel_r | frame
    raise ValueError(th.shape)


def render_video(settings: BenchmarkSettings, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render one video of the benchmark.

    Returns
    -------
    frames : (T, H, W, 3) uint8 RGB (before JPEG compression).
    labels : (T, H, W) uint8 class ids 0..9.
    instances : (T, H, W) int32 instance ids 1.. (every pixel belongs to one: stuff regions too).
    """
    rng = np.random.default_rng([settings.seed, index])
    h, w, n = settings.height, settings.width, settings.n_frames
    scene = _make_scene(rng, settings)
    tex_shape = (int(h * 1.5) + 8, scene["world_w"] + 8)
    bank = _texture_bank(rng, tex_shape)
    things = scene["things"]
    n_b = len(scene["buildings"])
    # Instance ids: 1 sky, 2 road, 3 sidewalk, 4.. buildings, then things.
    inst_building0 = 4
    inst_thing0 = inst_building0 + n_b
    n_inst = inst_thing0 + len(things)
    tints = np.ones((n_inst, 3), np.float32)
    for k in range(n_b):
        tints[inst_building0 + k] = rng.uniform(0.75, 1.25, 3)
    for k, th in enumerate(things):
        tints[inst_thing0 + k] = th.tint
    vel = np.zeros((n_inst, 2), np.float32)
    for k, th in enumerate(things):
        vel[inst_thing0 + k] = (th.vy, th.vx)
    light_phase = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    frames = np.empty((n, h, w, 3), np.uint8)
    labels = np.empty((n, h, w), np.uint8)
    instances = np.empty((n, h, w), np.int32)
    b_left = np.array([b[0] for b in scene["buildings"]], np.float32)
    b_right = np.array([b[1] for b in scene["buildings"]], np.float32)
    b_top = np.array([b[2] for b in scene["buildings"]], np.float32)
    for t in range(n):
        scale = 1.0 + scene["zoom"] * t / max(n - 1, 1)
        cam_x = scene["cam_x0"] + scene["pan"] * t
        wy = (yy - h / 2) / scale + h / 2
        wx = (xx - w / 2) / scale + cam_x
        lab = np.full((h, w), SKY, np.uint8)
        ins = np.full((h, w), 1, np.int32)
        # Skyline: the building column under each pixel (first building containing wx, painted left to right).
        for k in range(n_b):
            m = (wx >= b_left[k]) & (wx < b_right[k]) & (wy >= b_top[k]) & (wy < scene["horizon"] + 2)
            lab[m] = BUILDING
            ins[m] = inst_building0 + k
        ground = wy >= scene["horizon"] + 2
        lab[ground] = SIDEWALK
        ins[ground] = 3
        road = wy >= scene["road_top"]
        lab[road] = ROAD
        ins[road] = 2
        for k, th in enumerate(things):
            m = _thing_mask(th, wy, wx, t)
            lab[m] = th.cls
            ins[m] = inst_thing0 + k
        # Texture coordinates move with each thing: offset by its displacement at time t.
        ty = np.clip(wy - vel[ins, 0] * t + 4, 0, tex_shape[0] - 1).astype(np.int32)
        tx = np.clip(wx - vel[ins, 1] * t + 4, 0, tex_shape[1] - 1).astype(np.int32)
        image = bank[lab, ty, tx] * tints[ins]
        light = 1.0 + 0.12 * np.sin(light_phase + 2 * np.pi * t / max(n, 8))
        image = image * light + rng.normal(0, 4.0, image.shape).astype(np.float32)
        frames[t] = np.clip(image, 0, 255).astype(np.uint8)
        labels[t] = lab
        instances[t] = ins
    return frames, labels, instances


def _png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _jpeg_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=90, subsampling=0)
    return buffer.getvalue()


def generate(root: str | os.PathLike[str], *, n_videos: int = 20, n_frames: int = 48, height: int = 128,
             width: int = 224, seed: int = 0, split_counts: tuple[int, int, int] | None = None,
             progress: bool = False) -> Path:
    """Write the benchmark to ``root`` (which must not exist yet or be empty).

    Generation happens in a temporary folder beside ``root`` that is renamed into place at the end, so
    an interrupted generation never leaves a half-written dataset under ``root``.

    Returns
    -------
    The dataset root.
    """
    settings = BenchmarkSettings(n_videos=n_videos, n_frames=n_frames, height=height, width=width, seed=seed,
                                 split_counts=split_counts)
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise ParameterError(f"{root}: exists and is not empty; generate into a new folder")
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    try:
        names = [f"synth_{k:03d}" for k in range(settings.n_videos)]
        n_train, n_val, _ = settings.splits()
        split_names = {"train": names[:n_train], "val": names[n_train : n_train + n_val],
                       "test": names[n_train + n_val :]}
        (tmp / "classes.txt").write_text("\n".join(SYNTH_CLASSES) + "\n")
        for split, members in split_names.items():
            (tmp / f"{split}.txt").write_text("\n".join(members) + "\n")
        iterator = range(settings.n_videos)
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(iterator, desc="generating videos", unit="video")
        for k in iterator:
            frames, labels, instances = render_video(settings, k)
            folder = tmp / "data" / names[k]
            for sub in ("origin", "mask", "instance"):
                (folder / sub).mkdir(parents=True)
            for t in range(settings.n_frames):
                stem = f"{t:08d}"
                (folder / "origin" / f"{stem}.jpg").write_bytes(_jpeg_bytes(frames[t]))
                (folder / "mask" / f"{stem}.png").write_bytes(_png_bytes(labels[t] + 1))
                (folder / "instance" / f"{stem}.png").write_bytes(_png_bytes(instances[t].astype(np.uint16)))
        (tmp / "benchmark.json").write_text(json.dumps(settings.to_json(), indent=2, sort_keys=True) + "\n")
        if root.exists():
            root.rmdir()
        os.replace(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root


def ensure_benchmark(root: str | os.PathLike[str], *, progress: bool = False, **settings: int) -> Path:
    """Generate the benchmark at ``root`` unless it is already there with the same settings.

    A folder made with other settings (or an older format) is replaced: it is moved aside first and
    deleted only once the new one is complete.
    """
    root = Path(root)
    wanted = BenchmarkSettings(**settings).to_json()
    record = root / "benchmark.json"
    if record.is_file():
        try:
            if json.loads(record.read_text()) == wanted:
                return root
        except json.JSONDecodeError:
            pass
    if root.exists():
        old = root.with_name(f".{root.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(root, old)
        generate(root, progress=progress, **settings)
        shutil.rmtree(old, ignore_errors=True)
        return root
    return generate(root, progress=progress, **settings)
