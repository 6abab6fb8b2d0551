"""Spread over seeds and intervals over seeds and videos of the failure analysis (:mod:`.failures`).

Every number a failure table reports is a ratio of sums over videos, so :func:`vsslib.statistics.ratio_summary`
gives its mean and sample sd over seeds and its 95 % interval over seeds and videos (each draw takes seeds and videos
with replacement):

- a cause's **pixel share**: its damaged pixels / all damaged pixels;
- a cause's **lead over the next**: its pixel share minus that of the cause ranked just below it (ranked by the
  mean share over seeds), paired (one draw of seeds and videos scores both), so a cause is said to come before
  the next only when the interval of the difference lies above zero;
- a cause's **mIoU cost**: mean over classes of hits / union of the refined confusion table with the cause's
  damaged pixels restored to the baseline, minus the same of the refined table (classes with a non-zero
  union, as :meth:`FailureReport.summary` with ``average="union"``); hits and unions are sums over videos,
  so a draw pools them before dividing, and the cost is paired (one draw scores both tables);
- the **hurt-frame share**: frames where refinement hurts / frames.

The per-video counts come from one :class:`FailureReport` per video (what :func:`diagnose` returns), kept per
seed before merging.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..base.errors import ParameterError
from ..metrics import class_counts
from ..statistics import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, ratio_summary
from .failures import CAUSES, FailureReport

__all__ = ["summarize_failures", "summarize_hurt_frames"]


def summarize_failures(reports: Sequence[Sequence[FailureReport]], *, resamples: int = DEFAULT_RESAMPLES,
                       confidence: float = DEFAULT_CONFIDENCE, seed: int = 0) -> pd.DataFrame:
    """One row per cause: damage counts, pixel share and mIoU cost with their spread over seeds and video intervals.

    Parameters
    ----------
    reports : ``reports[s][v]``, the report of video v under seed s (:func:`diagnose`); the same videos in the
        same order for every seed, all with the same settings.
    resamples, confidence, seed : of the two-level bootstrap.

    Returns
    -------
    DataFrame[cause, events, events_sd, pixels, pixels_sd, pixel_share, pixel_share_sd, pixel_share_ci_low,
    pixel_share_ci_high, share_rank, share_over_next, share_over_next_sd, share_over_next_ci_low,
    share_over_next_ci_high, miou_cost, miou_cost_sd, miou_cost_ci_low, miou_cost_ci_high, drift_scope, n_seeds,
    n_videos]
        ``events`` and ``pixels``: totals over the videos, mean and sd over seeds; ``pixel_share`` in percent,
        ``share_rank`` 1 for the largest mean share, ``share_over_next`` the paired difference (percentage
        points) to the cause ranked next (NaN for the last), ``miou_cost`` in mIoU points (the module docstring
        gives the constructions). With one seed the means equal :meth:`FailureReport.summary` of the merged
        report (times 100).
    """
    table = _stacked(reports)
    n_seeds, n_videos = table["pixels"].shape[:2]
    options = {"resamples": resamples, "confidence": confidence, "seed": seed}
    share = ratio_summary(table["pixels"], table["pixels"].sum(axis=2, keepdims=True), **options)
    restored_hits, restored_union = _hits_union(table["confusion"][:, :, None] + table["restore"])
    hits, union = _hits_union(table["confusion"][:, :, None])
    cost = ratio_summary(restored_hits, restored_union, np.broadcast_to(hits, restored_hits.shape),
                         np.broadcast_to(union, restored_union.shape), class_mean=True, **options)
    columns: dict[str, Any] = {"cause": list(CAUSES)}
    for name in ("events", "pixels"):
        totals = table[name].sum(axis=1).astype(np.float64)  # (S, K)
        columns[name] = totals.mean(axis=0)
        columns[f"{name}_sd"] = totals.std(axis=0, ddof=1) if n_seeds > 1 else np.full(len(CAUSES), np.nan)
    columns.update(share.columns("pixel_share"))
    order = np.argsort(-share.mean, kind="stable")  # causes by mean share, largest first
    rank = np.empty(len(CAUSES), np.int64)
    rank[order] = np.arange(1, len(CAUSES) + 1)
    columns["share_rank"] = rank
    totals = table["pixels"].sum(axis=2, keepdims=True)
    lead = ratio_summary(table["pixels"][..., order[:-1]], totals, table["pixels"][..., order[1:]], **options)
    for name, values in lead.columns("share_over_next").items():
        full = np.full(len(CAUSES), np.nan)
        full[order[:-1]] = values
        columns[name] = full
    columns.update(cost.columns("miou_cost"))
    scope = reports[0][0].settings.drift_scope
    return pd.DataFrame({**columns, "drift_scope": scope.value, "n_seeds": n_seeds, "n_videos": n_videos})


def summarize_hurt_frames(reports: Sequence[Sequence[FailureReport]], *, resamples: int = DEFAULT_RESAMPLES,
                          confidence: float = DEFAULT_CONFIDENCE, seed: int = 0) -> dict[str, Any]:
    """The frames refinement hurts, with their spread over seeds and video interval.

    Parameters
    ----------
    reports : as in :func:`summarize_failures`.

    Returns
    -------
    dict
        ``frames`` (all frames of the videos, int), ``hurt_frames`` and ``hurt_frames_sd`` (mean and sd over
        seeds), ``hurt_share`` (percent), ``hurt_share_sd``, ``hurt_share_ci_low``, ``hurt_share_ci_high``,
        ``n_seeds``, ``n_videos``: one table row.
    """
    table = _stacked(reports)
    n_seeds, n_videos = table["hurt"].shape[:2]
    hurt = table["hurt"].sum(axis=1).astype(np.float64)  # (S, 1)
    share = ratio_summary(table["hurt"], table["frames"], resamples=resamples, confidence=confidence, seed=seed)
    row: dict[str, Any] = {"frames": int(table["frames"][0].sum()), "hurt_frames": float(hurt.mean()),
                           "hurt_frames_sd": float(hurt.std(ddof=1)) if n_seeds > 1 else float("nan")}
    row.update({name: float(values[0]) for name, values in share.columns("hurt_share").items()})
    return {**row, "n_seeds": n_seeds, "n_videos": n_videos}


def _stacked(reports: Sequence[Sequence[FailureReport]]) -> dict[str, np.ndarray]:
    """Per seed and video counts: pixels, events (S, V, K); confusion (S, V, C, C + 1); restore (S, V, K, C, C + 1);
    frames, hurt (S, V, 1)."""
    reports = [list(per_seed) for per_seed in reports]
    if not reports or not reports[0]:
        raise ParameterError("the failure statistics need the reports of at least one seed and one video")
    videos = [tuple(r.videos for r in per_seed) for per_seed in reports]
    if any(v != videos[0] for v in videos):
        raise ParameterError(f"the seeds' reports cover different videos: {videos[0][:3]}... and "
                             f"{next(v for v in videos if v != videos[0])[:3]}...; give the same videos in the same "
                             "order for every seed")
    settings = {r.settings for per_seed in reports for r in per_seed}
    if len(settings) != 1:
        raise ParameterError(f"the reports were made with different settings: {settings}")
    return {"pixels": np.array([[r.pixels for r in s] for s in reports], np.int64),
            "events": np.array([[r.events for r in s] for s in reports], np.int64),
            "confusion": np.array([[r.confusion_refined for r in s] for s in reports], np.int64),
            "restore": np.array([[r.restore for r in s] for s in reports], np.int64),
            "frames": np.array([[[len(r.frames)] for r in s] for s in reports], np.int64),
            "hurt": np.array([[[int(r.frames["hurt"].sum())] for r in s] for s in reports], np.int64)}


def _hits_union(tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class hits and unions of (..., C, C + 1) confusion tables (:func:`vsslib.metrics.class_counts`)."""
    hits, gt_pixels, pred_pixels = class_counts(tables)
    return hits, gt_pixels + pred_pixels - hits
