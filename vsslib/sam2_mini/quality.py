"""Quality of a masklet source on generated videos with exact instance maps.

Two measurements, both against the dataset's objects (instances covering at least ``min_fraction`` of
the frame; on the generated benchmark every pixel belongs to an instance, stuff included):

- :func:`keyframe_recall`: on each window's key frame, every object's best IoU with any proposal of the
  source's generator (``source.propose``), averaged over objects.
- :func:`propagation_iou`: the source's full masklet path over one window (``source(frames[:window])``);
  each object of the key frame is assigned the masklet whose painted key-frame region overlaps it best
  (IoU), and that masklet's region is compared with the object on every later frame. The mean over
  objects at each frame offset is the curve; offset 0 is the painted key-frame quality.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..base.errors import DataError, ParameterError
from ..masks.base import paint
from ..masks.oracle import SWEEP_STRENGTHS
from ..masks.sam2_model import GeneratorSettings, PropagationSettings
from ..masks.quality import best_ious, crossing, objects_of, track_ious
from .model import AREA_OVERLAP, CALIBRATED, PAPER

if TYPE_CHECKING:
    import pandas as pd

    from ..data import Video

__all__ = ["PAPER_THRESHOLDS", "UNFILTERED", "CALIBRATION_GRID",
           "keyframe_recall", "painted_recall", "calibrate_thresholds", "propagation_iou", "seeded_propagation_iou",
           "sam2_carrier", "held_still", "seeded_ious", "SIZE_BINS", "seeded_comparison", "propagation_probe",
           "heldout_videos", "oracle_position", "first_frames", "measure"]


def _key_frame_proposals(propose: Callable[[np.ndarray], np.ndarray], videos: Sequence[Video], window: int,
                         min_fraction: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """For every key frame (frames 0, window, 2 window, ... of each video): its objects covering at least
    ``min_fraction`` of the frame as (K, H, W) bool masks, and the generator's (N, H, W) bool proposals."""
    for video in videos:
        if video.instances is None:
            raise DataError(f"video {video.name} has no instance maps")
        for t in range(0, video.num_frames, window):
            ids = objects_of(video.instances[t], min_fraction)
            yield video.instances[t][None] == ids[:, None, None], propose(video.frames[t])


def keyframe_recall(propose: Callable[[np.ndarray], np.ndarray], videos: Sequence[Video], *, window: int = 32,
                    min_fraction: float = 0.01) -> dict[str, float]:
    """Mean best IoU of the objects of every key frame (frames 0, window, 2 window, ...) with the proposals.

    Returns
    -------
    ``{"recall": mean best IoU, "objects": count, "recall_at_50": fraction with IoU >= 0.5,
    "proposals": mean proposals per key frame}``.
    """
    if not 0.0 < min_fraction < 1.0:
        raise ParameterError(f"min_fraction={min_fraction!r} must lie in (0, 1)")
    scores, counts = [], []
    for objects, masks in _key_frame_proposals(propose, videos, window, min_fraction):
        counts.append(len(masks))
        scores.extend(best_ious(objects, masks).tolist())
    scores_array = np.asarray(scores)
    return {"recall": float(scores_array.mean()), "objects": len(scores),
            "recall_at_50": float((scores_array >= 0.5).mean()), "proposals": float(np.mean(counts))}


def first_frames(video: Video, count: int) -> Video:
    """The first ``count`` frames of a video: every per-frame field (arrays and ``frame_ids``) cut alike."""
    changes = {}
    for f in dataclasses.fields(video):
        value = getattr(video, f.name)
        if isinstance(value, (np.ndarray, list)) and len(value) == video.num_frames:
            changes[f.name] = value[:count]
    return dataclasses.replace(video, **changes)


def _check_window(video: Video, window: int) -> None:
    """Raise unless ``video`` has instance maps and at least ``window`` frames (a propagation measurement's needs)."""
    if video.instances is None:
        raise DataError(f"video {video.name} has no instance maps")
    if video.num_frames < window:
        raise DataError(f"video {video.name} has {video.num_frames} frames, fewer than window={window}")


def propagation_iou(source: Callable[..., np.ndarray], videos: Sequence[Video], *, window: int = 32,
                    min_fraction: float = 0.01) -> np.ndarray:
    """Mean IoU by frame offset (``(window,) float64``) of the source's masklets over the first window of each video.

    The source is called on the first ``window`` frames (and that part of the video, for the oracle).
    """
    rows = []
    for video in videos:
        _check_window(video, window)
        clip = first_frames(video, window)
        masklets = source(clip.frames, clip)
        rows.append(track_ious(masklets[:window], video.instances[:window], min_fraction))
    return np.concatenate(rows, axis=0).mean(axis=0)


def seeded_propagation_iou(model: Any, videos: Sequence[Video], *, window: int = 32, min_fraction: float = 0.01,
                           overlap: str = PropagationSettings.overlap) -> np.ndarray:
    """Mean IoU by frame offset (``(window,) float64``) of each video's own key-frame objects carried by the
    memory path alone: every object of frame 0 is given as a mask prompt (as masklets cover the frame),
    propagated over the first ``window`` frames (:func:`vsslib.masks.sam2_model.propagate_masks`, ``overlap``
    deciding who takes a pixel several carried masks cover), and each object covering ``min_fraction`` of frame 0
    is compared with its masklet frame by frame (:func:`vsslib.masks.quality.track_ious`).

    The generator plays no part, so this isolates the tracking the clip stages train (what the training log's
    one-click IoU does not see); ``model`` is the video predictor (:func:`vsslib.sam2_mini.model.load_model`).
    """
    ious, _ = seeded_ious(sam2_carrier(model, overlap), videos, window=window, min_fraction=min_fraction)
    return ious.mean(axis=0)


Carrier = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # (frames, masks, ids) -> (L, H, W) int ids


def sam2_carrier(model: Any, overlap: str = PropagationSettings.overlap) -> Carrier:
    """Masks given on frame 0 carried by sam2's video predictor ``model`` (float32, no autocast)."""
    from ..masks.sam2_model import propagate_masks

    def carry(frames: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
        return propagate_masks(model, frames, masks, ids, overlap=overlap, autocast=False)

    return carry


def held_still(frames: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The no-motion reference: frame 0's masks ``(N, H, W) bool`` painted as the key frames are
    (:func:`vsslib.masks.base.paint`: smaller over larger) and repeated unchanged on every frame of ``frames``
    ``(L, H, W, 3)``; ``(L, H, W) int32``, -1 = none."""
    return np.repeat(paint(masks, ids)[None], len(frames), axis=0)


def seeded_ious(carry: Carrier, videos: Sequence[Video], *, window: int = 32,
                min_fraction: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Each video's own key-frame objects (every instance of frame 0, as masks) carried through its first
    ``window`` frames by ``carry``, scored against the instances frame by frame (:func:`track_ious`).

    Returns
    -------
    ious : (K, window) float64, one row per object covering ``min_fraction`` of its key frame (videos in order,
        ascending instance id within a video).
    areas : (K,) float64, each such object's fraction of its key frame.
    """
    rows, areas = [], []
    for video in videos:
        _check_window(video, window)
        instances = video.instances[:window]
        objects = objects_of(instances[0], 0.0)
        masks = instances[0][None] == objects[:, None, None]
        rows.append(track_ious(carry(video.frames[:window], masks, np.arange(len(objects))), instances,
                               min_fraction))
        scored = objects_of(instances[0], min_fraction)
        areas.append((instances[0][None] == scored[:, None, None]).mean(axis=(1, 2)))
    return np.concatenate(rows, axis=0), np.concatenate(areas)


SIZE_BINS = (0.01, 0.02, 0.05, 0.15, 1.0)  # key-frame area fractions (bin edges) the seeded comparison splits by


def seeded_comparison(carriers: dict[str, Carrier], videos: Sequence[Video], *, window: int = 32,
                      min_fraction: float = 0.01, bins: Sequence[float] = SIZE_BINS) -> pd.DataFrame:
    """:func:`seeded_ious` of several carriers over the same objects, overall and by key-frame area.

    Returns
    -------
    DataFrame[carrier, area, objects, mean, +0, +1, ..., +window-1]: one row per carrier and area bin ("all" first,
    then ``"a-b %"`` for each pair of ``bins``, the last including its upper edge); ``mean`` over offsets and
    objects, ``+k`` the mean IoU of the bin's objects k frames after the key frame (NaN for an empty bin).
    """
    import pandas as pd

    rows = []
    for name, carry in carriers.items():
        ious, areas = seeded_ious(carry, videos, window=window, min_fraction=min_fraction)
        groups = [("all", np.ones(len(areas), bool))]
        for k, (low, high) in enumerate(zip(bins[:-1], bins[1:], strict=True)):
            inside = (areas >= low) & ((areas <= high) if k == len(bins) - 2 else (areas < high))
            groups.append((f"{100 * low:g}-{100 * high:g} %", inside))
        for label, inside in groups:
            curve = ious[inside].mean(axis=0) if inside.any() else np.full(window, np.nan)
            rows.append({"carrier": name, "area": label, "objects": int(inside.sum()), "mean": float(curve.mean()),
                         **{f"+{k}": float(v) for k, v in enumerate(curve)}})
    return pd.DataFrame(rows)


def heldout_videos(root: str | os.PathLike[str], count: int | None = None) -> list[Video]:
    """The first ``count`` videos (None: all) of a generated benchmark of unseen videos, every split in split
    order; only those are loaded."""
    from ..data import VSPWDataset
    from ..data.vspw import SPLITS

    videos: list[Video] = []
    for split in SPLITS:
        dataset = VSPWDataset(root, split=split)
        names = dataset.videos if count is None else dataset.videos[:max(0, count - len(videos))]
        videos += [dataset.load(name) for name in names]
    return videos


def propagation_probe(videos: Sequence[Video], *, window: int = 32) -> Callable[[Any], dict[str, Any]]:
    """A held-out measurement for :class:`vsslib.sam2_mini.train.Trainer`: :func:`seeded_propagation_iou` of the
    training model's current weights on ``videos``, so a run's log follows the memory path it trains.

    The returned function takes the training model (``SAM2Train``), copies its weights into one video predictor
    (made once) and returns ``{"propagated": mean over offsets, "propagated_by_offset": [window floats],
    "probe_videos": len(videos), "probe_overlap": the overlap rule}``. It runs inside ``torch.random.fork_rng``:
    building the predictor draws from torch's generator, which the training's dropout and prompt noise also draw
    from, so without it a probed run (and a run resumed, which builds the predictor again) would train differently.
    """
    import torch

    from .model import build_model

    for video in videos:
        _check_window(video, window)
    predictor: list[Any] = []

    def probe(model: Any) -> dict[str, Any]:
        with torch.random.fork_rng(devices=[]):
            if not predictor:
                predictor.append(build_model("video").float().eval())
            predictor[0].load_state_dict(model.state_dict(), strict=True)
            curve = seeded_propagation_iou(predictor[0], videos, window=window)
        return {"propagated": float(curve.mean()), "propagated_by_offset": [round(float(v), 6) for v in curve],
                "probe_videos": len(videos), "probe_overlap": PropagationSettings().overlap}

    return probe


def oracle_position(value: float, strengths: Sequence[float], values: Sequence[float]) -> float | None:
    """The corruption strength at which the oracle's value equals ``value`` (linear interpolation between
    strengths, :func:`vsslib.masks.quality.crossing`); None when ``value`` lies outside their range."""
    return crossing(strengths, values, value)


# the paper's generator filters: GeneratorSettings' defaults (the official source's), declared there
PAPER_THRESHOLDS = {name: getattr(GeneratorSettings(), name) for name in ("pred_iou_thresh", "stability_score_thresh")}
UNFILTERED = {"pred_iou_thresh": 0.0, "stability_score_thresh": 0.0}  # every mask the grid gives (after NMS)
CALIBRATION_GRID = {"pred_iou_thresh": (0.0, 0.2, 0.4, 0.6), "stability_score_thresh": (0.0, 0.4, 0.6, 0.8)}


def painted_recall(propose: Callable[[np.ndarray], np.ndarray], videos: Sequence[Video], *, window: int = 32,
                   min_fraction: float = 0.01) -> float:
    """Mean best IoU of key-frame objects with the regions of the painted proposals (what a masklet id map shows).

    Unlike :func:`keyframe_recall` (every proposal counts, overlaps allowed), the proposals are painted as the
    masklet sources paint them (:func:`vsslib.masks.base.paint`: larger first, smaller on top), so many small,
    overlapping or bad masks cost what they cost the refiner.
    """
    from ..masks.base import paint

    scores = []
    for objects, masks in _key_frame_proposals(propose, videos, window, min_fraction):
        painted = paint(masks, np.arange(len(masks)))
        regions = painted[None] == np.arange(len(masks))[:, None, None]
        scores.extend(best_ious(objects, regions).tolist())
    return float(np.mean(scores))


def calibrate_thresholds(make_source: Callable[..., Any], videos: Sequence[Video], *, window: int = 32,
                         min_fraction: float = 0.01, grid: dict[str, Sequence[float]] = CALIBRATION_GRID,
                         progress: bool = True) -> dict[str, Any]:
    """The generator's (predicted-IoU, stability) filter pair with the best :func:`painted_recall` on ``videos``.

    Parameters
    ----------
    make_source : ``make_source(pred_iou_thresh=..., stability_score_thresh=...)`` -> a masklet source with
        ``propose``.
    videos : calibration videos (training videos: never those the quality is reported on).

    Returns
    -------
    ``{"pred_iou_thresh", "stability_score_thresh", "painted_recall", "table": [[iou, stability, recall], ...]}``.
    """
    from tqdm.std import tqdm

    pairs = [(a, b) for a in grid["pred_iou_thresh"] for b in grid["stability_score_thresh"]]
    table = []
    for a, b in tqdm(pairs, disable=not progress, desc="calibrating"):
        source = make_source(pred_iou_thresh=a, stability_score_thresh=b)
        table.append([a, b, painted_recall(source.propose, videos, window=window, min_fraction=min_fraction)])
    best = max(table, key=lambda row: row[2])
    return {"pred_iou_thresh": best[0], "stability_score_thresh": best[1], "painted_recall": best[2],
            "table": table, "videos": [v.name for v in videos]}


def _once_per_frame(propose: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """``propose`` remembering its masks per frame buffer: ``video.frames[t]`` is a view of the same memory at every
    call, so a key frame seen again is not generated again (the generator is deterministic)."""
    seen: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}

    def remembered(frame: np.ndarray) -> np.ndarray:
        key = (frame.__array_interface__["data"][0], frame.shape)
        if key not in seen:
            seen[key] = propose(frame)
        return seen[key]

    return remembered


def measure(videos: Sequence[Video], *, weights: str, config: str, window: int = 32, min_fraction: float = 0.01,
            thresholds: dict[str, float] | None = None, progress: bool = True) -> dict[str, object]:
    """Every quality figure of the model card on ``videos`` (unseen generated videos with instance maps).

    Parameters
    ----------
    thresholds : sam2-mini's generator filters for the masklet path (propagated IoU); None: the paper's.

    Returns a JSON-ready dict: one-click IoU (best of three, IoU-head pick); key-frame recall of the automatic
    generator at the paper's filters, unfiltered and at ``thresholds``, and of the classical generator;
    painted key-frame recall; propagated IoU by offset for sam2-mini (its propagated frames painted by the
    highest logit, its default, and by area: :data:`AREA_OVERLAP`), the classical generator and the oracle
    corruption sweep; sam2-mini's position on that sweep's axis.
    """
    import time

    from tqdm.std import tqdm  # text bar: tqdm.auto warns (TqdmWarning) in kernels without ipywidgets

    from ..masks import create_masklet_source
    from .data import evaluation_batches, resize_video, VideoTensors
    from .model import load_model
    from .train import heldout_iou

    chosen = dict(thresholds or PAPER_THRESHOLDS)

    def mini(**filters: float) -> Any:
        return create_masklet_source("sam2-mini", weights=weights, config=config, window=window, **filters)

    result: dict[str, object] = {"videos": [v.name for v in videos], "window": window, "min_fraction": min_fraction,
                                 "thresholds": chosen}
    model = load_model("base", weights=weights, config=config)
    size = int(model.image_size)
    tensors = [VideoTensors(v.name, *resize_video(v.frames, v.instances, size)) for v in videos]
    batches = evaluation_batches(tensors, 8, np.random.default_rng(0), min_area=min_fraction)
    result["one_click_iou"] = heldout_iou(model, batches, rng_seed=0)
    variants = {PAPER: mini(**PAPER_THRESHOLDS), "sam2-mini (unfiltered)": mini(**UNFILTERED),
                "classical": create_masklet_source("classical", window=window)}
    if chosen != PAPER_THRESHOLDS:
        variants[CALIBRATED] = mini(**chosen)
    recall, painted, seconds = {}, {}, {}
    for name, source in tqdm(variants.items(), disable=not progress, desc="key-frame recall"):
        started = time.perf_counter()
        propose = _once_per_frame(source.propose)  # both recalls read the same key frames: generate once
        recall[name] = keyframe_recall(propose, videos, window=window, min_fraction=min_fraction)
        painted[name] = painted_recall(propose, videos, window=window, min_fraction=min_fraction)
        seconds[name] = time.perf_counter() - started
    curves = {}
    for name, source in (("sam2-mini", mini(**chosen)), (AREA_OVERLAP, mini(**chosen, overlap="area")),
                         ("classical", variants["classical"])):
        started = time.perf_counter()
        curves[name] = propagation_iou(source, videos, window=window, min_fraction=min_fraction).tolist()
        seconds[f"{name} propagation"] = time.perf_counter() - started
        if name == "sam2-mini":
            result["sam2-mini timings"] = dict(source.timings)
    oracle = {}
    for strength in SWEEP_STRENGTHS:  # the card's propagated-IoU sweep of the corrupted oracle: the study's
        source = create_masklet_source("oracle", strength=strength)
        oracle[str(strength)] = propagation_iou(source, videos, window=window, min_fraction=min_fraction).tolist()
    mini_mean = float(np.mean(curves["sam2-mini"]))
    result.update(keyframe_recall=recall, painted_recall=painted, propagation_iou=curves, seconds=seconds,
                  oracle_propagation_iou=oracle,
                  mean_propagation_iou={**{k: float(np.mean(v)) for k, v in curves.items()},
                                        **{f"oracle {k}": float(np.mean(v)) for k, v in oracle.items()}},
                  oracle_strength_equivalent=oracle_position(
                      mini_mean, SWEEP_STRENGTHS, [float(np.mean(oracle[str(s)])) for s in SWEEP_STRENGTHS]),
                  above_classical_at_every_offset=bool(np.all(np.asarray(curves["sam2-mini"])
                                                              > np.asarray(curves["classical"]))))
    return result
