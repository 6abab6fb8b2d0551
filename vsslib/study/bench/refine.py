"""Benchmark of :func:`vsslib.refine.refine` against a per-masklet loop and against the bincount floor.

``python -m vsslib.study.bench.refine`` times, on one VSPW-sized video (32 frames of 480 x 853, 200 masklets,
124 classes by default):

- ``refine`` (one vectorised pass), both vote scopes;
- a per-masklet Python loop (one boolean mask and one ``np.bincount`` per masklet), the obvious route;
- a single ``np.bincount`` over the same pixels (the floor: any refiner must at least read every pixel).

and prints the ratios loop / refine (the speed-up) and refine / floor (the overhead over the floor).
Inputs are seeded, so every run times the same arrays.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import numpy as np

from ...refine import refine

__all__ = ["make_inputs", "loop_refine", "time_call", "run", "main"]


def make_inputs(*, num_frames: int = 32, height: int = 480, width: int = 853, num_masklets: int = 200,
                num_classes: int = 124, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A blocky semantic map and drifting Voronoi-cell masklets.

    Returns
    -------
    semantic : (T, H, W) uint8, classes ``0..num_classes-1`` and 5 % of 255.
    masklets : (T, H, W) int32, ids ``0..num_masklets-1``, a 40-column band of -1 on the left.
    """
    rng = np.random.default_rng(seed)
    cell = 8  # masklets are drawn on an 8x coarser grid, then repeated: cheap and blocky like real masks
    rows, cols = -(-height // cell), -(-width // cell)
    centres = rng.uniform((0, 0), (rows, cols), size=(num_masklets, 2))
    drift = rng.normal(0, 0.3, size=(num_masklets, 2))
    grid = np.stack(np.mgrid[0:rows, 0:cols], axis=-1).reshape(-1, 1, 2).astype(np.float64)
    masklets = np.empty((num_frames, height, width), dtype=np.int32)
    for t in range(num_frames):
        distance = ((grid - (centres + t * drift)) ** 2).sum(axis=-1)
        coarse = distance.argmin(axis=1).reshape(rows, cols).astype(np.int32)
        masklets[t] = np.repeat(np.repeat(coarse, cell, axis=0), cell, axis=1)[:height, :width]
    masklets[:, :, :40] = -1
    cell_class = rng.integers(0, num_classes, size=num_masklets)
    semantic = cell_class[np.maximum(masklets, 0)].astype(np.uint8)
    noise = rng.random(semantic.shape) < 0.2
    semantic[noise] = rng.integers(0, num_classes, size=int(noise.sum()))
    semantic[rng.random(semantic.shape) < 0.05] = 255
    return semantic, masklets


def loop_refine(semantic: np.ndarray, masklets: np.ndarray, num_classes: int, *,
                ignore_index: int = 255) -> np.ndarray:
    """The per-masklet loop (whole-masklet vote): one boolean mask and one bincount per masklet."""
    out = semantic.copy()
    for masklet_id in np.unique(masklets[masklets >= 0]):
        region = masklets == masklet_id
        values = semantic[region]
        values = values[(values < num_classes) & (values != ignore_index)]
        if values.size:
            out[region] = np.bincount(values, minlength=num_classes).argmax()
    return out


def time_call(fn: Callable[[], object], *, repeat: int) -> float:
    """Best wall-clock seconds of ``repeat`` calls of ``fn``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(*, num_frames: int = 32, height: int = 480, width: int = 853, num_masklets: int = 200,
        num_classes: int = 124, repeat: int = 3, seed: int = 0) -> dict[str, float]:
    """Time the three routes; returns seconds per route (best of ``repeat``; the loop runs once).

    Raises
    ------
    RuntimeError : the loop and ``refine`` disagree (a bug, not a timing).
    """
    semantic, masklets = make_inputs(num_frames=num_frames, height=height, width=width,
                                     num_masklets=num_masklets, num_classes=num_classes, seed=seed)
    if not np.array_equal(loop_refine(semantic, masklets, num_classes), refine(semantic, masklets, num_classes)):
        raise RuntimeError("refine and the per-masklet loop disagree")
    return {
        "refine (vote=masklet)": time_call(lambda: refine(semantic, masklets, num_classes), repeat=repeat),
        "refine (vote=frame)": time_call(lambda: refine(semantic, masklets, num_classes, vote="frame"),
                                         repeat=repeat),
        "per-masklet loop": time_call(lambda: loop_refine(semantic, masklets, num_classes), repeat=1),
        "one np.bincount (floor)": time_call(
            lambda: np.bincount(semantic.reshape(-1), minlength=256), repeat=repeat),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: print the timing table."""
    parser = argparse.ArgumentParser(prog="python -m vsslib.study.bench.refine", description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=32, help="frames T (default 32)")
    parser.add_argument("--height", type=int, default=480, help="frame rows (default 480)")
    parser.add_argument("--width", type=int, default=853, help="frame columns (default 853)")
    parser.add_argument("--masklets", type=int, default=200, help="number of masklets (default 200)")
    parser.add_argument("--classes", type=int, default=124, help="number of classes (default 124)")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats, best taken (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="input seed (default 0)")
    args = parser.parse_args(argv)
    seconds = run(num_frames=args.frames, height=args.height, width=args.width, num_masklets=args.masklets,
                  num_classes=args.classes, repeat=args.repeat, seed=args.seed)
    fast = seconds["refine (vote=masklet)"]
    print(f"refine on {args.frames} frames of {args.height}x{args.width}, {args.masklets} masklets, "
          f"{args.classes} classes")
    print(f"{'route':<26}{'seconds':>10}{'x refine':>10}")
    for route, value in seconds.items():
        print(f"{route:<26}{value:>10.4f}{value / fast:>10.2f}")
    print(f"speed-up over the per-masklet loop: {seconds['per-masklet loop'] / fast:.1f}x; "
          f"overhead over one bincount: {fast / seconds['one np.bincount (floor)']:.1f}x")


if __name__ == "__main__":
    main()
