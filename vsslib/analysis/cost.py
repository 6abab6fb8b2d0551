"""What the refiner costs: seconds per frame of every stage, how SAM2's cost grows, and peak memory.

Three measurements:

- :func:`time_stages` times any named stages (median of a few repeats, ``time.perf_counter``) and
  :func:`refiner_stages` builds the stages of one refiner run on one video: baseline network, masklet
  proposal on the key frames, masklet propagation through the windows, the refinement vote, the metrics.
- :func:`sam2_cost_grid` times the real ``sam2`` package (hiera-tiny with random weights unless a
  checkpoint is given): the automatic mask generator on one key frame for each point grid, and the video
  predictor's propagation of ``n_objects`` *seeded* masks for each window length. Compute does not depend on
  the weights, but the number of masks the generator keeps does (a random model keeps few or none), so
  propagation is timed with a fixed number of seeded masks rather than with the generator's masks; every
  label says so. SAM2 resizes every frame to 1024 x 1024, so neither cost depends on the frame size.
- :func:`peak_memory` (peak resident memory during a call) and :func:`sam2_memory_by_length` (peak of one
  SAM2 predictor state against the number of frames it holds).

Why propagation is timed frame by frame: SAM2's memory bank holds the conditioning frame plus up to
``num_maskmem - 1 = 6`` previous frames, so the cost of a frame grows over the first ``num_maskmem`` frames
of a window (linearly, on a CPU: 11 s at frame 1 to 27 s at frame 7 with 4 objects) and is flat from frame
``num_maskmem`` on. One propagation over the longest window therefore gives every shorter window as a
prefix (propagation is causal: frame t's work depends on frames up to t only), and a propagation stopped
after ``measured_frames`` frames is extended at the flat rate, the median of its measured frames from
frame ``num_maskmem`` on (or, if it stopped earlier, its last frame, a lower bound): rows so computed are
marked ``extrapolated``. Measure at least ``num_maskmem + 1 = 8`` frames before extrapolating.

The generator's time is an image encoding plus a mask-decoder pass per batch of prompts, so it grows
linearly with the number of candidates (3 per grid point): grids above ``max_measured_grid`` are predicted
from a least-squares line through the measured grids (``extrapolated`` rows). In one run on 2 shared CPU
cores, the line through 8 x 8 and 16 x 16 predicted 234 s for 32 x 32; 262 s were measured. A line that does not
rise (timing noise on tiny grids) gives the slowest measured time instead, labelled a lower bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from ..base.devices import PeakMemory as DevicePeak
from ..base.devices import reset_resident_peak, resident_mib, resident_peak_mib, resolve_device
from ..base.errors import ParameterError, require_columns

if TYPE_CHECKING:
    from ..data import Video

__all__ = ["STAGES", "PeakMemory", "SAM2Cost", "peak_memory", "measure_seconds", "time_stages", "refiner_stages",
           "sam2_cost_grid", "sam2_memory_by_length", "synthetic_frames", "seed_masks", "sam2_rates",
           "pipeline_summary", "EARLY_EXTENSION"]

STAGES = ("baseline", "proposal", "propagation", "refinement", "metrics")
"""Stage names of :func:`refiner_stages`, in pipeline order."""
EARLY_EXTENSION = "before the memory bank filled: a lower bound"
"""The note of a propagation row extended from frames measured before the memory bank was full."""



# ------------------------------------------------------------------------------------------ memory
class PeakMemory(NamedTuple):
    """What :func:`peak_memory` saw.

    Attributes
    ----------
    result : the value the call returned.
    peak_mib : highest resident set size during the call, MiB.
    start_mib : resident set size just before the call, MiB.
    method : ``"VmHWM"`` (Linux: the high-water mark, reset before the call, so the peak is the call's
        own) or ``"ru_maxrss"`` (elsewhere: the process's peak so far, which may predate the call).
    """

    result: Any
    peak_mib: float
    start_mib: float
    method: str

    @property
    def increase_mib(self) -> float:
        """Peak minus start: the memory the call added at its peak, MiB."""
        return self.peak_mib - self.start_mib


def peak_memory(fn: Callable[[], Any]) -> PeakMemory:
    """Run ``fn()`` and report the peak resident memory of the process during the call.

    Parameters
    ----------
    fn : callable without arguments.

    Returns
    -------
    PeakMemory
        ``(result, peak_mib, start_mib, method)``; ``.increase_mib`` is the call's own addition.

    Notes
    -----
    On Linux the kernel's high-water mark ``VmHWM`` is reset to the current RSS by writing ``5`` to
    ``/proc/self/clear_refs`` and read back from ``/proc/self/status`` after the call. Elsewhere (or where
    ``clear_refs`` is not writable) it falls back to ``resource.getrusage(...).ru_maxrss``, the process's
    lifetime peak, which over-states a call that follows a bigger one; ``method`` says which was used.
    Memory is that of the whole process, threads included; GPU memory is not resident memory.
    """
    start = resident_mib()
    since_reset = start is not None and reset_resident_peak()
    result = fn()
    peak, method = resident_peak_mib(since_reset=since_reset)
    return PeakMemory(result, peak, start or 0.0, method)


# ------------------------------------------------------------------------------------------ timing
def measure_seconds(fn: Callable[[], Any], *, repeats: int = 3, warmup: int = 1) -> np.ndarray:
    """Wall-clock seconds of ``repeats`` calls of ``fn()`` after ``warmup`` untimed calls.

    Returns
    -------
    (repeats,) float64 seconds, in call order.
    """
    _check_count(repeats, "repeats", minimum=1)
    _check_count(warmup, "warmup", minimum=0)
    for _ in range(warmup):
        fn()
    seconds = np.empty(repeats)
    for k in range(repeats):
        started = time.perf_counter()
        fn()
        seconds[k] = time.perf_counter() - started
    return seconds


def time_stages(stages: Mapping[str, Callable[[], Any]], *, num_frames: int | Mapping[str, int], repeats: int = 3,
                warmup: int = 1) -> pd.DataFrame:
    """Median wall-clock time of each stage, per call and per frame.

    Parameters
    ----------
    stages : ``{name: fn}``; each ``fn()`` runs its stage once (on one video, say), in the given order.
    num_frames : frames one call processes: one number for every stage, or one per stage name.
    repeats : timed calls per stage; the median is reported (and the spread as min and max).
    warmup : untimed calls before the timed ones (first calls pay for lazy set-up and allocation).

    Returns
    -------
    DataFrame[stage, frames, seconds, seconds_per_frame, min_seconds, max_seconds, repeats]
        One row per stage, in the order of ``stages``; ``seconds`` is the median per call.

    Examples
    --------
    >>> table = time_stages({"sleep": lambda: time.sleep(0.01)}, num_frames=2, repeats=3, warmup=0)
    >>> table.columns.tolist()
    ['stage', 'frames', 'seconds', 'seconds_per_frame', 'min_seconds', 'max_seconds', 'repeats']
    """
    if not stages:
        raise ParameterError("time_stages needs at least one stage, as {name: callable}")
    frames = num_frames if isinstance(num_frames, Mapping) else {name: num_frames for name in stages}
    missing = [name for name in stages if name not in frames]
    if missing:
        raise ParameterError(f"num_frames names no frame count for stage(s) {missing}; give "
                             f"{{{', '.join(repr(n) for n in stages)}}} or one number")
    rows = []
    for name, fn in stages.items():
        if not callable(fn):
            raise ParameterError(f"stage {name!r} is a {type(fn).__name__}, not a callable without arguments")
        count = _check_count(frames[name], f"num_frames[{name!r}]", minimum=1)
        seconds = measure_seconds(fn, repeats=repeats, warmup=warmup)
        median = float(np.median(seconds))
        rows.append({"stage": name, "frames": count, "seconds": median, "seconds_per_frame": median / count,
                     "min_seconds": float(seconds.min()), "max_seconds": float(seconds.max()), "repeats": repeats})
    return pd.DataFrame(rows)


def sam2_rates(timings: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Seconds per key frame and per object-frame of SAM2 masklet sources, from their ``timings`` counters.

    Parameters
    ----------
    timings : ``{source name: source.timings}``, the counters of :class:`vsslib.masks.SAM2Masklets` or
        :class:`vsslib.sam2_mini.masklets.SAM2MiniMasklets`: seconds ``"generate"`` over ``"generate_frames"``
        key frames, seconds ``"propagate"`` over ``"propagate_frames"`` frames and ``"propagate_object_frames"``
        object-frames (one masklet carried through one frame).

    Returns
    -------
    DataFrame[masklets, key_frames, seconds_per_key_frame, object_frames, objects_per_frame,
    seconds_per_object_frame]; a rate is NaN where its count is 0.
    """
    rows = []
    for name, t in timings.items():
        missing = [k for k in ("generate", "generate_frames", "propagate", "propagate_frames",
                               "propagate_object_frames") if k not in t]
        if missing:
            raise ParameterError(f"timings of {name!r} lack {missing}: give a SAM2 source's .timings")
        keys, frames, objects = t["generate_frames"], t["propagate_frames"], t["propagate_object_frames"]
        rows.append({"masklets": name, "key_frames": int(keys),
                     "seconds_per_key_frame": t["generate"] / keys if keys else float("nan"),
                     "object_frames": int(objects),
                     "objects_per_frame": objects / frames if frames else float("nan"),
                     "seconds_per_object_frame": t["propagate"] / objects if objects else float("nan")})
    return pd.DataFrame(rows)


def pipeline_summary(stage_times: pd.DataFrame) -> pd.DataFrame:
    """Per pipeline (baseline x masklet source) of a :func:`time_stages` table ``stage_times``
    (DataFrame[baseline, masklets, stage, seconds_per_frame], one row per stage and pipeline): its seconds per
    frame over its stages (all of :data:`STAGES` but ``"metrics"``, which scores the result and is not part of a
    refinement), its slowest such stage, and the share of the vote (``"refinement"``) in its time.

    Returns
    -------
    DataFrame[baseline, masklets, seconds_per_frame, slowest, slowest_seconds_per_frame, runner_up, slowest_lead,
    vote_share] in the order of first appearance: ``runner_up`` the next slowest stage, ``slowest_lead`` the
    slowest's time over the runner-up's (inf where that is 0, NaN without one); ``vote_share`` in [0, 1].
    """
    require_columns(stage_times, ["baseline", "masklets", "stage", "seconds_per_frame"], "stage times",
                    error=ParameterError)
    pipeline = stage_times[stage_times["stage"] != "metrics"]
    rows = []
    for (baseline, masklets), part in pipeline.groupby(["baseline", "masklets"], sort=False):
        total = float(part["seconds_per_frame"].sum())
        ranked = part.sort_values("seconds_per_frame", ascending=False, kind="stable")
        (first, *rest), (stage, *others) = ranked["seconds_per_frame"].astype(float), ranked["stage"]
        lead = float("nan") if not rest else first / rest[0] if rest[0] > 0 else float("inf")
        vote = float(part.loc[part["stage"] == "refinement", "seconds_per_frame"].sum())
        rows.append({"baseline": baseline, "masklets": masklets, "seconds_per_frame": total, "slowest": stage,
                     "slowest_seconds_per_frame": first, "runner_up": others[0] if others else "",
                     "slowest_lead": lead, "vote_share": vote / total if total > 0 else float("nan")})
    return pd.DataFrame(rows)


def refiner_stages(video: Video, segmenter: Any, source: Any, num_classes: int, *, vote: str = "masklet",
                   dilation_ratio: float = 0.02) -> dict[str, Callable[[], Any]]:
    """The stages of one refiner run on one video, as callables for :func:`time_stages`.

    Parameters
    ----------
    video : the :class:`vsslib.data.Video` (frames and, for the metrics stage, labels).
    segmenter : anything with ``.predict(video) -> (T, H, W) uint8`` (a network or predictions on disk).
    source : a masklet source. Where it has public ``propose(frame)`` and ``propagate(frames, masks, ids)``
        and ``settings.windows.window`` (SAM2), proposal on the key frames and propagation through the
        windows are separate stages; otherwise one ``"masklets"`` stage times the whole ``source(frames,
        video)`` call.
    num_classes : C.
    vote : the refiner's vote scope.
    dilation_ratio : Boundary IoU band ratio of the metrics stage.

    Returns
    -------
    dict
        ``{"baseline", "proposal", "propagation", "refinement", "metrics"}`` (or ``"masklets"`` in place of
        the middle two), each a callable without arguments over the whole video; divide by
        ``video.num_frames`` (``time_stages(..., num_frames=video.num_frames)``) for seconds per frame,
        which spreads the key-frame proposals over every frame. The inputs a stage needs (baseline labels,
        key-frame masks, masklets) are computed once here, outside any timing.

    Notes
    -----
    Propagation runs each window from its key frame over the window's frames only (the id linking of
    :func:`vsslib.masks.run_windows` costs one extra frame per window and is left out).
    """
    from ..metrics import MetricAccumulator
    from ..refine import refine

    frames = video.frames
    baseline = segmenter.predict(video)
    stages: dict[str, Callable[[], Any]] = {"baseline": lambda: segmenter.predict(video)}
    window = getattr(getattr(getattr(source, "settings", None), "windows", None), "window", None)
    if callable(getattr(source, "propose", None)) and callable(getattr(source, "propagate", None)) and window:
        starts = range(0, len(frames), window)
        key_masks = [np.asarray(source.propose(frames[s]), bool) for s in starts]
        stages["proposal"] = lambda: [source.propose(frames[s]) for s in starts]

        def propagate() -> list[np.ndarray]:
            return [source.propagate(frames[s:s + window], masks, np.arange(len(masks)))
                    for s, masks in zip(starts, key_masks, strict=True)]

        stages["propagation"] = propagate
    else:
        stages["masklets"] = lambda: source(frames, video)
    masklets = source(frames, video)
    stages["refinement"] = lambda: refine(baseline, masklets, num_classes, vote=vote)
    if video.labels is not None:
        refined = refine(baseline, masklets, num_classes, vote=vote)
        stages["metrics"] = lambda: MetricAccumulator(num_classes, dilation_ratio=dilation_ratio).update(
            video.labels, refined)
    return stages


# -------------------------------------------------------------------------------------------- SAM2
@dataclass(frozen=True)
class SAM2Cost:
    """SAM2's measured cost (:func:`sam2_cost_grid`).

    Attributes
    ----------
    generator : DataFrame[points_per_side, candidates, seconds, masks_kept, extrapolated, label]
        Automatic mask generator on one key frame (median of the repeats); ``candidates`` = 3 per point;
        ``masks_kept`` is -1 on extrapolated rows.
    propagation : DataFrame[window, n_objects, seconds, seconds_per_frame, frames_measured, extrapolated, label]
        One predictor state per window, seeded with ``n_objects`` masks on its first frame: set-up
        (``init_state`` + ``add_new_mask``) plus every frame's propagation.
    frames : DataFrame[frame, seconds, measured]
        Seconds of each propagated frame of the longest window (``measured`` False where extended at the
        flat rate); frame 0 is the seeded frame.
    setup_seconds : float
        ``init_state`` (frame loading, frame-0 encoding) plus ``add_new_mask`` of every seed, seconds.
    settings : dict
        config, device, frame shape, n_objects, measured_frames, max_measured_grid, repeats, torch threads.
    """

    generator: pd.DataFrame
    propagation: pd.DataFrame
    frames: pd.DataFrame
    setup_seconds: float
    settings: dict[str, Any]

    def per_video_frame(self) -> pd.DataFrame:
        """Seconds of SAM2 per video frame for every (grid, window): ``(generator + propagation) / window``.

        Returns
        -------
        DataFrame[points_per_side, window, seconds_per_frame, extrapolated]
        """
        rows = []
        for gen in self.generator.itertuples(index=False):
            for prop in self.propagation.itertuples(index=False):
                rows.append({"points_per_side": gen.points_per_side, "window": prop.window,
                             "seconds_per_frame": (gen.seconds + prop.seconds) / prop.window,
                             "extrapolated": bool(gen.extrapolated or prop.extrapolated)})
        return pd.DataFrame(rows)


def sam2_cost_grid(points_per_side_list: Sequence[int], window_list: Sequence[int],
                   frame_shape: tuple[int, int] = (128, 224), n_objects: int = 4, device: str = "cpu", *,
                   config: str = "tiny", checkpoint: str | None = None, measured_frames: int | None = None,
                   max_measured_grid: int | None = None, repeats: int = 1, seed: int = 0) -> SAM2Cost:
    """Time SAM2's generator against the point grid and its propagation against the window length.

    Parameters
    ----------
    points_per_side_list : point grids to time the automatic generator with (one key frame each; the
        paper's thresholds 0.6 / 0.8 / 0.9 of :class:`vsslib.masks.sam2_masklets.GeneratorSettings`).
    window_list : window lengths (frames per predictor state) to time propagation over.
    frame_shape : (H, W) of the generated test frames (smooth random colour fields; SAM2 resizes them to
        1024 x 1024, so the cost hardly depends on it).
    n_objects : masks seeded with ``add_new_mask`` on the first frame (disjoint boxes); propagation cost is
        linear in it, since the predictor tracks objects one at a time.
    device : ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"``; CUDA runs under bfloat16 autocast.
    config, checkpoint : SAM2 model; no checkpoint = random weights (seeded with ``seed``).
    measured_frames : propagate only this many frames of the longest window and extend the rest at the
        flat rate (the median of the measured frames from frame ``num_maskmem`` = 7 on); None measures every
        frame. Use >= 8 so that the memory bank is full in at least one measured frame.
    max_measured_grid : time the generator only for grids up to this many points per side and predict the
        larger ones linearly in the number of candidates (needs two measured grids); None times all.
    repeats : generator calls per grid (median); one untimed 1 x 1-grid call warms the model up first.
    seed : torch seed of the random weights and numpy seed of the test frames.

    Returns
    -------
    SAM2Cost
        Tables of generator and propagation seconds, the per-frame propagation times and the set-up time.
    """
    import torch

    from ..masks import SAM2Masklets
    from ..masks.sam2_model import inference

    grids = [_check_count(g, "points_per_side", minimum=1) for g in points_per_side_list]
    windows = [_check_count(w, "window", minimum=1) for w in window_list]
    n_objects = _check_count(n_objects, "n_objects", minimum=1)
    longest = max(windows, default=0)
    if measured_frames is not None:
        _check_count(measured_frames, "measured_frames", minimum=2)
    to_measure = longest if measured_frames is None else min(measured_frames, longest)

    measured_grids = [g for g in grids if max_measured_grid is None or g <= max_measured_grid]
    predicted_grids = [g for g in grids if g not in measured_grids]
    if predicted_grids and len(set(measured_grids)) < 2:
        raise ParameterError(f"max_measured_grid={max_measured_grid} leaves {len(set(measured_grids))} measured "
                             f"grid(s) among {grids}; predicting {predicted_grids} needs two")

    torch.manual_seed(seed)
    source = SAM2Masklets(config=config, checkpoint=checkpoint, random_weights=checkpoint is None, device=device)
    model = source.model
    frames = synthetic_frames(max(longest, 1), frame_shape, seed=seed)

    rows = []
    if measured_grids:
        _generator(model, source, 1).generate(frames[0])  # warm-up: first-call allocations and lazy set-up
    for grid in measured_grids:
        generator = _generator(model, source, grid)
        kept: list[int] = []

        def generate(gen: Any = generator, kept: list[int] = kept) -> None:
            with inference(model.device):
                kept.append(len(gen.generate(frames[0])))

        seconds = measure_seconds(generate, repeats=repeats, warmup=0)
        rows.append({"points_per_side": grid, "candidates": 3 * grid * grid, "seconds": float(np.median(seconds)),
                     "masks_kept": kept[-1], "extrapolated": False,
                     "label": f"generator, {grid}x{grid} points, 1 key frame, {_plural(kept[-1], 'mask')} kept"})
    if predicted_grids:
        slope, intercept = np.polyfit([r["candidates"] for r in rows], [r["seconds"] for r in rows], 1)
        basis = ", ".join(f"{g}x{g}" for g in measured_grids)
        slowest = max(r["seconds"] for r in rows)  # the measured grids only: predicted rows are appended below
        for grid in predicted_grids:
            seconds, how = ((float(intercept + slope * 3 * grid * grid), f"extrapolated from {basis}") if slope > 0 else
                            (slowest,  # more prompts never take less
                             f"the measured {basis} did not take longer with more prompts (timing noise), so the "
                             "slowest of them: a lower bound"))
            rows.append({"points_per_side": grid, "candidates": 3 * grid * grid, "seconds": seconds,
                         "masks_kept": -1, "extrapolated": True,
                         "label": f"generator, {grid}x{grid} points, 1 key frame ({how})"})
    rows.sort(key=lambda r: grids.index(r["points_per_side"]))
    generator_table = pd.DataFrame(rows, columns=["points_per_side", "candidates", "seconds", "masks_kept",
                                                  "extrapolated", "label"])

    setup, measured = (0.0, np.zeros(0))
    if windows:
        seeds = seed_masks(n_objects, frame_shape)
        setup, measured = _timed_propagation(model, frames[:to_measure], seeds,
                                             offload=source.settings.offload_video_to_cpu)
    full = int(getattr(model, "num_maskmem", 7))  # first frame with a full memory bank
    if measured.size > full:
        flat, caveat = float(np.median(measured[full:])), ""
    else:
        flat, caveat = (float(measured[-1]) if measured.size else 0.0), f", {EARLY_EXTENSION}"
    per_frame = np.concatenate([measured, np.full(longest - measured.size, flat)])
    frame_table = pd.DataFrame({"frame": np.arange(longest), "seconds": per_frame,
                                "measured": np.arange(longest) < measured.size})
    prop_rows = []
    for window in windows:
        extrapolated = window > measured.size
        seconds = setup + float(per_frame[:window].sum())
        note = f" (extrapolated beyond {measured.size} measured frames{caveat})" if extrapolated else ""
        prop_rows.append({"window": window, "n_objects": n_objects, "seconds": seconds,
                          "seconds_per_frame": seconds / window, "frames_measured": min(window, measured.size),
                          "extrapolated": extrapolated,
                          "label": f"propagation, {_plural(n_objects, 'seeded mask')}, window {window}{note}"})
    propagation_table = pd.DataFrame(prop_rows, columns=["window", "n_objects", "seconds", "seconds_per_frame",
                                                    "frames_measured", "extrapolated", "label"])
    settings = {"config": config, "checkpoint": checkpoint, "device": device, "frame_shape": tuple(frame_shape),
                "n_objects": n_objects, "measured_frames": measured_frames, "max_measured_grid": max_measured_grid,
                "repeats": repeats,
                "torch_threads": torch.get_num_threads()}
    return SAM2Cost(generator_table, propagation_table, frame_table, setup, settings)


def sam2_memory_by_length(lengths: Sequence[int], frame_shape: tuple[int, int] = (128, 224), n_objects: int = 4,
                          device: str = "cpu", *, config: str = "tiny", checkpoint: str | None = None,
                          tracked_frames: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Peak memory of one SAM2 predictor state against the number of frames it holds.

    ``init_state`` loads every frame of the state at 1024 x 1024 float32 (12 MiB a frame) and each tracked
    frame adds its memory features and masks, so the peak grows linearly with the state's length.
    :class:`vsslib.masks.SAM2Masklets` gives the predictor one window at a time, so a video's peak is that
    of its window, however long the video; without windowing, the state is the whole video.

    Parameters
    ----------
    lengths : frames per state.
    frame_shape, n_objects, device, config, checkpoint, seed : as in :func:`sam2_cost_grid`.
    tracked_frames : propagate only this many frames of each state (frames are still all loaded); None
        propagates all. On a CPU, propagation costs tens of seconds a frame, and the loaded frames
        dominate the peak.

    Returns
    -------
    DataFrame[frames, tracked_frames, peak_mib, start_mib, increase_mib, device, method, label]
        ``start_mib``: memory after the model is built, just before the call; ``increase_mib``: the call's
        own peak above it (the model's weights are not included).

    Notes
    -----
    On CPU each length runs in a fresh process (``spawn``), measured by its resident high-water mark: in one
    process, memory freed by an earlier call stays with the allocator and is reused without raising the
    resident size, which hides growth. On CUDA the lengths share a process and
    ``torch.cuda.max_memory_allocated`` (reset before each call) counts allocated, not cached, memory.
    A script that calls this on CPU needs the ``if __name__ == "__main__":`` guard that spawned processes
    require; a notebook does not.
    """
    lengths = [_check_count(n, "length", minimum=1) for n in lengths]
    if tracked_frames is not None:
        _check_count(tracked_frames, "tracked_frames", minimum=1)
    jobs = [dict(length=n, tracked=n if tracked_frames is None else min(tracked_frames, n), frame_shape=frame_shape,
                 n_objects=n_objects, device=device, config=config, checkpoint=checkpoint, seed=seed)
            for n in lengths]
    if resolve_device(device).type == "cuda":
        measured = _state_peaks(jobs)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        measured = []
        for job in jobs:
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
                measured.extend(pool.submit(_state_peaks, [job]).result())
    rows = []
    for job, (start, peak, method) in zip(jobs, measured, strict=True):
        rows.append({"frames": job["length"], "tracked_frames": job["tracked"], "peak_mib": peak, "start_mib": start,
                     "increase_mib": peak - start, "device": device, "method": method,
                     "label": f"one SAM2 state of {job['length']} frames, {_plural(n_objects, 'seeded mask')}, "
                              f"{job['tracked']} tracked"})
    return pd.DataFrame(rows)


def _state_peaks(jobs: Sequence[dict[str, Any]]) -> list[tuple[float, float, str]]:
    """(start MiB, peak MiB, method) of one seeded SAM2 state per job, in this process (one shared model)."""
    import torch

    from ..masks import SAM2Masklets

    first = jobs[0]
    torch.manual_seed(first["seed"])
    source = SAM2Masklets(config=first["config"], checkpoint=first["checkpoint"],
                          random_weights=first["checkpoint"] is None, device=first["device"])
    model = source.model
    frames = synthetic_frames(max(job["length"] for job in jobs), first["frame_shape"], seed=first["seed"])
    seeds = seed_masks(first["n_objects"], first["frame_shape"])
    results = []
    for job in jobs:
        with DevicePeak(model.device) as seen:
            _timed_propagation(model, frames[:job["length"]], seeds, offload=source.settings.offload_video_to_cpu,
                               track=job["tracked"])
        results.append((seen.start_mib, seen.peak_mib, seen.method))
    return results


def _generator(model: Any, source: Any, points_per_side: int) -> Any:
    """The study's automatic generator settings at another grid, sharing ``model``."""
    from ..masks.sam2_model import build_mask_generator

    return build_mask_generator(model, replace(source.settings.generator, points_per_side=points_per_side))


def _timed_propagation(model: Any, frames: np.ndarray, masks: np.ndarray, *, offload: bool,
                       track: int | None = None) -> tuple[float, np.ndarray]:
    """Seeded propagation through the shared SAM2 loop (:mod:`vsslib.masks.sam2_model`), timed frame by frame.

    All ``masks`` are tracked in one state (one batch), as the masklet source does with
    ``max_objects_per_batch=0``.

    Returns
    -------
    setup : seconds of writing the JPEGs, ``init_state`` and ``add_new_mask`` of every mask.
    per_frame : (track,) float64 seconds between consecutive frames yielded by ``propagate_in_video``.
    """
    from ..masks.sam2_model import add_masks, inference, propagate_frames, video_state

    track = len(frames) if track is None else track
    seconds = []
    with inference(model.device):
        started = time.perf_counter()
        with video_state(model, frames, offload_video=offload) as state:
            add_masks(model, state, masks, range(len(masks)))
            setup = time.perf_counter() - started
            last = time.perf_counter()
            for _, _, logits in propagate_frames(model, state, track):
                (logits > 0).cpu()  # waits for the device, as the masklet source does
                now = time.perf_counter()
                seconds.append(now - last)
                last = now
    return setup, np.asarray(seconds)


def synthetic_frames(num_frames: int, frame_shape: tuple[int, int], *, seed: int) -> np.ndarray:
    """(T, H, W, 3) uint8 smooth random colour fields drifting one pixel a frame (deterministic)."""
    import cv2

    h, w = frame_shape
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (max(h // 16, 2), max((w + num_frames) // 16, 2), 3), dtype=np.uint8)
    field = cv2.resize(coarse, (w + num_frames, h), interpolation=cv2.INTER_CUBIC)
    return np.stack([field[:, t:t + w] for t in range(num_frames)])


def seed_masks(n_objects: int, frame_shape: tuple[int, int]) -> np.ndarray:
    """(n_objects, H, W) bool disjoint boxes on a grid over the frame."""
    h, w = frame_shape
    cols = int(np.ceil(np.sqrt(n_objects)))
    rows = int(np.ceil(n_objects / cols))
    masks = np.zeros((n_objects, h, w), bool)
    for k in range(n_objects):
        r, c = divmod(k, cols)
        top, left = r * h // rows, c * w // cols
        bottom, right = (r + 1) * h // rows, (c + 1) * w // cols
        dh, dw = max((bottom - top) // 4, 1), max((right - left) // 4, 1)
        masks[k, top + dh:bottom - dh, left + dw:right - dw] = True
    return masks


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _check_count(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)

