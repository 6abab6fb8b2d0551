"""The generated benchmark: procedural street-scene videos written in the VSPW layout.

What it is
    A stand-in for street-scene video that needs nothing from outside, so every part of the study runs
    anywhere, deterministically. Each video is a camera looking sideways across a street, panning
    along it and zooming: a near sidewalk, a two-lane road with markings (sometimes a zebra crossing), a far
    sidewalk, a row of buildings with a second row behind, and sky. In front of them are trees, poles
    (thin, a few pixels wide, some street lamps with a thin arm) carrying small traffic signs, parked
    and moving cars, walking people (alone or in touching groups) and cyclists (a bicycle instance with a
    person instance on it). Everything is placed in metres and seen through one pinhole camera, so near
    things are large and move fast (parallax), far things are small and slow, and the depth order
    decides who occludes whom. Moving things enter and leave the view mid-video. Every class has
    procedural textures (multi-scale noise, bricks, tiles, stripes, glass reflections, lane paint) that
    differ between classes but overlap in colour: grey road, poles, concrete and silver cars, green cars
    and trees, dark tyres, bicycles and windows. Lighting drifts over the clip, cloud shadows move across
    the view, the camera shakes slightly, sensor noise is added and frames are stored as JPEG.
    The label and instance maps are the paint buffers the pixels are coloured from, so the ground truth
    is exact to the pixel (before JPEG compression).

What it is not
    VSPW, or any real data. Ten classes, 128x224 frames by default and simple geometry make absolute
    numbers incomparable with the paper's; every table and figure made from it says "generated benchmark
    (not VSPW)". It is meant to show how methods behave and compare on the same footing, not how good
    they are on real video.

Files (the layout of :mod:`vsslib.data.vspw`): ``classes.txt``, ``train.txt``/``val.txt``/``test.txt``,
``data/<video>/origin/<8-digit>.jpg`` (Pillow, quality 90, 4:2:0), ``data/<video>/mask/<8-digit>.png``
(raw values: class k stored as k+1; 0 and 255 never occur), ``data/<video>/instance/<8-digit>.png``
(16-bit ids; every pixel belongs to one instance: sky, road, each sidewalk and each building are
instances too, so 0 never occurs) and ``benchmark.json`` (the settings). A dataset is written into a
temporary folder beside ``root`` and renamed into place when complete. The same settings give
byte-identical files on the same platform.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..base.io import atomic_folder, atomic_path, save_png_atomic, write_json_atomic, write_text_atomic
from ..base.errors import ParameterError
from .synth_scene import (
    CAR,
    FAR_WALK_ID,
    M_ASPHALT,
    M_KERB,
    M_PAINT,
    M_PAVING,
    M_SKY,
    NEAR_WALK_ID,
    ROAD,
    ROAD_ID,
    SIDEWALK,
    SKY,
    SKY_ID,
    SYNTH_CLASSES,
    TEXELS,
    BenchmarkSettings,
    Camera,
    Street,
    Thing,
    make_scene,
    material_bank,
    periodic_noise,
    sample,
)

__all__ = ["SYNTH_CLASSES", "BenchmarkSettings", "generate", "ensure_benchmark", "render_video"]


# ------------------------------------------------------------------------------------------------------
# Rendering: per frame, paint buffers (label, instance, material, texture coordinates in metres, tint,
# shade, pixel footprint) are filled far to near; the image is then one vectorised texture lookup.
class _Canvas:
    def __init__(self, h: int, w: int) -> None:
        self.label = np.zeros((h, w), np.uint8)
        self.instance = np.zeros((h, w), np.int32)
        self.material = np.zeros((h, w), np.int16)
        self.su = np.zeros((h, w), np.float32)
        self.sv = np.zeros((h, w), np.float32)
        self.tint = np.ones((h, w, 3), np.float32)
        self.shade = np.ones((h, w), np.float32)
        self.footprint = np.ones((h, w), np.float32)
        self.ground_depth = np.zeros((h, w), np.float32)  # depth of the ground under each pixel, 0 = no ground


def _paint_sky_and_ground(canvas: _Canvas, camera: Camera, street: Street, t: int) -> tuple[np.ndarray, np.ndarray]:
    h, w = canvas.label.shape
    focal, horizon, cam_x = camera.at(t)
    rows = np.arange(h, dtype=np.float32)[:, None]
    cols = np.arange(w, dtype=np.float32)[None, :]
    # Sky: everything at first; cloud texture in angular coordinates, drifting slowly.
    elevation = np.broadcast_to((horizon - rows) / focal, (h, w))
    canvas.label[:] = SKY
    canvas.instance[:] = SKY_ID
    canvas.material[:] = M_SKY
    canvas.su[:] = (cols - w / 2) / focal + 0.004 * t
    canvas.sv[:] = elevation * 2.5
    canvas.footprint[:] = 1 / focal
    warm = np.clip(1 - elevation / 0.5, 0, 1)[..., None]
    canvas.tint[:] = warm * np.array([1.08, 1.06, 1.02], np.float32) + (1 - warm) * np.array([0.8, 0.88, 1.0])
    # Ground: rows below the horizon, at depth z = f * camera height / (row - horizon).
    below = rows[:, 0] > horizon + 0.5
    if not below.any():
        return rows, cols
    r0 = int(np.argmax(below))
    z = (focal * camera.height_m / (rows[r0:] - horizon)).astype(np.float32)  # (h', 1)
    x = cam_x + (cols - w / 2) * z / focal  # (h', w)
    z_full = np.broadcast_to(z, x.shape)
    near_walk, far_walk = z_full < street.near_kerb, z_full >= street.far_kerb
    road = ~near_walk & ~far_walk
    label = np.where(road, ROAD, SIDEWALK).astype(np.uint8)
    instance = np.where(road, ROAD_ID, np.where(near_walk, NEAR_WALK_ID, FAR_WALK_ID)).astype(np.int32)
    material = np.where(road, M_ASPHALT, M_PAVING).astype(np.int16)
    kerb = ((z_full >= street.near_kerb - 0.25) & near_walk) | (far_walk & (z_full < street.far_kerb + 0.25))
    material[kerb] = M_KERB
    middle = (street.near_kerb + street.far_kerb) / 2
    paint = (np.abs(z_full - middle) < 0.1) & (np.mod(x, 6.0) < 3.0)  # dashed centre line
    paint |= (np.abs(z_full - street.near_kerb - 0.35) < 0.08) | (np.abs(z_full - street.far_kerb + 0.35) < 0.08)
    if street.crossing_x is not None:
        paint |= (np.abs(x - street.crossing_x) < 2.0) & (np.mod(x, 1.0) < 0.5) & (np.abs(z_full - middle) < 3.0)
    material[road & paint] = M_PAINT
    canvas.label[r0:] = label
    canvas.instance[r0:] = instance
    canvas.material[r0:] = material
    canvas.su[r0:] = x
    canvas.sv[r0:] = z_full
    canvas.tint[r0:] = 1.0
    canvas.footprint[r0:] = np.maximum(z / focal, z * z / (focal * camera.height_m))
    canvas.ground_depth[r0:] = z_full
    return rows, cols


def _paint_thing(canvas: _Canvas, camera: Camera, thing: Thing, t: int) -> None:
    h, w = canvas.label.shape
    focal, horizon, cam_x = camera.at(t)
    x_lo, x_hi, y_lo, y_hi = thing.extent
    centre = thing.x(t)
    scale = focal / thing.z
    u0 = max(0, math.floor(w / 2 + (centre + x_lo - cam_x) * scale))
    u1 = min(w, math.ceil(w / 2 + (centre + x_hi - cam_x) * scale) + 1)
    v0 = max(0, math.floor(horizon + (camera.height_m - y_hi) * scale))
    v1 = min(h, math.ceil(horizon + (camera.height_m - y_lo) * scale) + 1)
    if thing.shadow:
        _cast_shadow(canvas, camera, thing, t)
    if u1 <= u0 or v1 <= v0:
        return
    x = (cam_x + (np.arange(u0, u1, dtype=np.float32)[None, :] - w / 2) / scale - centre).astype(np.float32)
    y = (camera.height_m - (np.arange(v0, v1, dtype=np.float32)[:, None] - horizon) / scale).astype(np.float32)
    part, shade = thing.shape(x, y, t)
    inside = part > 0
    if not inside.any():
        return
    box = (slice(v0, v1), slice(u0, u1))
    canvas.label[box][inside] = thing.cls
    canvas.instance[box][inside] = thing.instance
    canvas.material[box][inside] = thing.materials[part[inside]]
    canvas.su[box][inside] = np.broadcast_to(x + thing.texture_offset, part.shape)[inside]
    canvas.sv[box][inside] = np.broadcast_to(y, part.shape)[inside]
    canvas.tint[box][inside] = thing.tints[part[inside]]
    canvas.shade[box][inside] = 1.0 if shade is None else shade[inside]
    canvas.footprint[box][inside] = 1 / scale
    canvas.ground_depth[box][inside] = 0.0


def _cast_shadow(canvas: _Canvas, camera: Camera, thing: Thing, t: int) -> None:
    """Darken the ground under a thing (an ellipse in the ground plane); labels do not change."""
    h, w = canvas.label.shape
    focal, horizon, cam_x = camera.at(t)
    depth_radius = 0.9 if thing.cls == CAR else 0.35
    near, far = thing.z - depth_radius, thing.z + depth_radius
    v0 = max(0, math.floor(horizon + focal * camera.height_m / far))
    v1 = min(h, math.ceil(horizon + focal * camera.height_m / max(near, 0.5)) + 1)
    if v1 <= v0:
        return
    ground = canvas.ground_depth[v0:v1]
    x = cam_x + (np.arange(w, dtype=np.float32)[None, :] - w / 2) * ground / focal - thing.x(t)
    r2 = (x / thing.shadow) ** 2 + ((ground - thing.z) / depth_radius) ** 2
    darkening = np.where(ground > 0, 0.5 * np.sqrt(np.clip(1 - r2, 0, 1)), 0.0)
    canvas.shade[v0:v1] *= (1 - darkening).astype(np.float32)


def render_video(settings: BenchmarkSettings, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render video ``index`` of the benchmark described by ``settings``.

    Returns
    -------
    frames : (T, H, W, 3) uint8 RGB, before JPEG compression.
    labels : (T, H, W) uint8 class ids 0..9 (``SYNTH_CLASSES``); no pixel is void.
    instances : (T, H, W) int32 instance ids >= 1; stuff regions are instances too. Ids are stable over
        time and unique within the video.
    """
    rng = np.random.default_rng([settings.seed, index])
    camera, street, things = make_scene(rng, settings)
    bank = material_bank(rng)
    h, w, n = settings.height, settings.width, settings.n_frames
    light_phase, light_amplitude = rng.uniform(0, 2 * np.pi), rng.uniform(0.04, 0.12)
    white_balance = rng.uniform(0.94, 1.06, 3).astype(np.float32)
    clouds = periodic_noise(rng, 10.0)
    cloud_depth, cloud_speed = rng.uniform(0.0, 0.22), rng.uniform(0.3, 1.2)
    frames = np.empty((n, h, w, 3), np.uint8)
    labels = np.empty((n, h, w), np.uint8)
    instances = np.empty((n, h, w), np.int32)
    for t in range(n):
        canvas = _Canvas(h, w)
        rows, cols = _paint_sky_and_ground(canvas, camera, street, t)
        for thing in things:
            _paint_thing(canvas, camera, thing, t)
        image = sample(bank, canvas.material, canvas.su, canvas.sv, canvas.footprint)
        image *= canvas.tint * canvas.shade[..., None]
        # Cloud shadows drift across the view (not on the sky); global light drifts over the clip.
        cu = ((cols * 48 / w + cloud_speed * t).astype(np.int64)) % TEXELS
        cv = ((rows * 32 / h).astype(np.int64)) % TEXELS
        shadow = 1 - cloud_depth * np.clip(clouds[cv, cu] + 0.3, 0, 1.5) / 1.5
        image *= np.where(canvas.label == SKY, 1.0, shadow)[..., None]
        gain = 1 + light_amplitude * math.sin(light_phase + 2 * math.pi * t / max(n, 16))
        image *= gain * white_balance
        image += rng.normal(0.0, 2.5, image.shape).astype(np.float32)
        frames[t] = np.clip(np.rint(image), 0, 255).astype(np.uint8)
        labels[t] = canvas.label
        instances[t] = canvas.instance
    return frames, labels, instances


# ------------------------------------------------------------------------------------------------------
# Writing: a complete dataset appears under `root` only by one rename of a finished temporary folder.
def _video_names(settings: BenchmarkSettings) -> dict[str, list[str]]:
    names = [f"synth_{k:03d}" for k in range(settings.n_videos)]
    n_train, n_val, _ = settings.splits()
    return {"train": names[:n_train], "val": names[n_train : n_train + n_val], "test": names[n_train + n_val :]}


def _save_jpeg(path: Path, frame: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        Image.fromarray(frame).save(tmp, format="JPEG", quality=90, subsampling="4:2:0", optimize=False)


def _write_benchmark(out: Path, settings: BenchmarkSettings, progress: bool) -> None:
    """Write the benchmark of ``settings`` into the empty folder ``out`` (``benchmark.json`` last)."""
    splits = _video_names(settings)
    write_text_atomic(out / "classes.txt", "\n".join(SYNTH_CLASSES) + "\n")
    for split, members in splits.items():
        write_text_atomic(out / f"{split}.txt", "\n".join(members) + "\n")
    names = [name for members in splits.values() for name in members]
    iterator: Any = range(settings.n_videos)
    if progress:
        from tqdm.std import (
            tqdm,  # text bar: tqdm.auto warns (TqdmWarning) in kernels without ipywidgets
        )

        iterator = tqdm(iterator, desc="generating videos", unit="video")
    for k in iterator:
        frames, labels, instances = render_video(settings, k)
        folder = out / "data" / names[k]
        for t in range(settings.n_frames):
            stem = f"{t:08d}"
            _save_jpeg(folder / "origin" / f"{stem}.jpg", frames[t])
            save_png_atomic(folder / "mask" / f"{stem}.png", labels[t] + np.uint8(1))
            save_png_atomic(folder / "instance" / f"{stem}.png", instances[t].astype(np.uint16))
    write_json_atomic(out / "benchmark.json", settings.to_json())


def generate(root: str | os.PathLike[str], *, n_videos: int = 20, n_frames: int = 48, height: int = 128,
             width: int = 224, seed: int = 0, split_counts: tuple[int, int, int] | None = None,
             progress: bool = False) -> Path:
    """Write a generated benchmark to ``root``, which must not exist or be an empty folder.

    Parameters
    ----------
    root : the new dataset root.
    n_videos, n_frames, height, width, seed, split_counts : see :class:`BenchmarkSettings`.
    progress : show a progress bar (tqdm) over videos.

    Returns
    -------
    ``root`` as a Path.

    Raises
    ------
    ParameterError : impossible settings, or ``root`` exists and is not empty.

    Notes
    -----
    Everything is written into a temporary folder beside ``root`` (``benchmark.json`` last) and renamed
    onto ``root`` at the end, so a killed generation never leaves a half-dataset under ``root``; at most
    a ``.<name>.*.tmp`` folder beside it, which may be deleted.
    """
    settings = BenchmarkSettings(n_videos=n_videos, n_frames=n_frames, height=height, width=width, seed=seed,
                                 split_counts=split_counts)
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ParameterError(f"{root}: exists and is not empty; generate into a new folder, or call "
                             "ensure_benchmark to reuse or replace a generated benchmark")
    with atomic_folder(root, replace=False) as tmp:  # OSError where a benchmark appeared meanwhile
        _write_benchmark(tmp, settings, progress)
    return root


def ensure_benchmark(root: str | os.PathLike[str], *, progress: bool = False, **settings: Any) -> Path:
    """Return ``root``, generating the benchmark there first unless it exists with the same settings.

    Parameters
    ----------
    root : dataset root.
    progress : show a progress bar while generating.
    **settings : fields of :class:`BenchmarkSettings` (``n_videos``, ``n_frames``, ``height``, ``width``,
        ``seed``, ``split_counts``); missing ones take the defaults.

    Raises
    ------
    ParameterError : an unknown setting, or ``root`` is a non-empty folder that is not a generated
        benchmark (no ``benchmark.json``); it is never deleted.

    Notes
    -----
    A benchmark made with other settings (or by an older generator version) is replaced: the new one is
    generated beside it and the old one deleted only once the new one is complete.
    """
    known = [f.name for f in fields(BenchmarkSettings)]
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ParameterError(f"unknown benchmark setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    wanted = BenchmarkSettings(**settings)
    root = Path(root)
    record = root / "benchmark.json"
    if _recorded(record) == wanted.to_json():
        return root
    if root.exists() and not record.is_file() and (not root.is_dir() or any(root.iterdir())):
        raise ParameterError(f"{root}: exists but is not a generated benchmark (no benchmark.json); refusing to "
                             "replace it. Point the data root elsewhere or delete the folder yourself")
    if not root.exists() or not any(root.iterdir()):
        try:
            return generate(root, progress=progress, **asdict(wanted))
        except (OSError, ParameterError):
            if _recorded(record) == wanted.to_json():  # another process finished the same benchmark first
                return root
            raise
    with atomic_folder(root) as fresh:  # the old benchmark stays whole until the new one is complete
        _write_benchmark(fresh, wanted, progress)
    return root


def _recorded(record: Path) -> dict[str, Any] | None:
    """The settings a benchmark was generated with, or None if absent or unreadable."""
    try:
        return json.loads(record.read_text())
    except (OSError, ValueError):
        return None
