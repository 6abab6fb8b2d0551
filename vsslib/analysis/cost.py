"""What the refiner costs: time per stage, how SAM2's cost grows with the grid and window, peak memory.

SAM2 timings here use the real package with a randomly initialised model when no checkpoint is given:
the compute of the image encoder, the prompt decoder and the memory attention does not depend on the
weights, but how many masks the generator keeps does, so propagation is timed with a fixed number of
seeded masks (``n_objects``) and every label says so.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["median_seconds", "peak_memory_mib", "sam2_cost_grid", "sam2_memory_by_length"]


def median_seconds(fn: Callable[[], Any], *, repeat: int = 3) -> float:
    """Median wall-clock seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_kib() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_memory_mib(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``fn`` and return (its result, peak resident memory in MiB during the call).

    On Linux the high-water mark is reset first (``/proc/self/clear_refs``), so the figure is the call's
    own peak; elsewhere it is the process's peak so far.
    """
    _reset_peak()
    result = fn()
    return result, _peak_kib() / 1024.0


def _seed_masks(n_objects: int, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    masks = np.zeros((n_objects, h, w), bool)
    for k in range(n_objects):
        y = (k * h) // max(n_objects, 1)
        x = (k * w) // max(n_objects, 1)
        masks[k, y : y + max(h // 4, 2), x : x + max(w // 4, 2)] = True
    return masks


def sam2_cost_grid(source_factory: Callable[..., Any], frames: np.ndarray, *, grids: Sequence[int],
                   windows: Sequence[int], n_objects: int = 4, propagation_frames: int = 4) -> pd.DataFrame:
    """SAM2 seconds for the automatic generator at each grid and propagation at each window length.

    Parameters
    ----------
    source_factory : ``f(points_per_side=...) -> SAM2Masklets`` (sharing one model).
    frames : (T, H, W, 3) uint8, T >= propagation_frames.
    grids : points per side to time the generator with (one key frame each).
    windows : window lengths; propagation of ``n_objects`` seeded masks is timed over
        ``propagation_frames`` frames and scaled linearly to the window (propagation cost per frame is
        constant), which the ``measured`` column says.

    Returns
    -------
    DataFrame[stage, setting, seconds, seconds_per_frame, measured].
    """
    rows = []
    source_factory(points_per_side=min(grids)).propose(frames[0])  # warm-up: first-call allocations
    for grid in grids:
        source = source_factory(points_per_side=grid)
        seconds = median_seconds(lambda: source.propose(frames[0]), repeat=1)
        rows.append({"stage": "generator (key frame)", "setting": f"{grid}x{grid} points", "seconds": seconds,
                     "seconds_per_frame": seconds, "measured": "1 key frame"})
    source = source_factory(points_per_side=min(grids))
    masks = _seed_masks(n_objects, frames.shape[1:3])
    length = min(propagation_frames, len(frames))
    per_frame = median_seconds(lambda: source.propagate(frames[:length], masks, np.arange(n_objects)), repeat=1) / length
    for window in windows:
        rows.append({"stage": f"propagation ({n_objects} objects)", "setting": f"window {window}",
                     "seconds": per_frame * window, "seconds_per_frame": per_frame,
                     "measured": f"{length} frames, scaled to {window}"})
    return pd.DataFrame(rows)


def sam2_memory_by_length(source: Any, frames: np.ndarray, lengths: Sequence[int], *, n_objects: int = 4) -> pd.DataFrame:
    """Peak resident memory of one SAM2 propagation call over each number of frames.

    Windows hold one state each, so a video's peak is that of its longest window; this shows how the
    peak of a single state grows with its length (the predictor keeps every frame at 1024 x 1024).
    """
    masks = _seed_masks(n_objects, frames.shape[1:3])
    rows = []
    for length in lengths:
        _, mib = peak_memory_mib(lambda: source.propagate(frames[:length], masks, np.arange(n_objects)))
        rows.append({"frames": int(length), "peak_mib": mib})
    return pd.DataFrame(rows)
