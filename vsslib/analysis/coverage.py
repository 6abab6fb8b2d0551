"""What the tables' intervals cover: simulated studies shaped like the tables', with a known truth.

:func:`simulate_coverage` draws studies of class-pooled mIoU from per-video confusion counts (3 training seeds
with a seed effect, a paired baseline, 20 videos, 10 classes), summarises each as the tables do
(:func:`vsslib.statistics.summarize_runs`: 1000 two-level draws, 95 % percentile interval) and counts how often
the interval holds the truth, which the model gives in closed form up to Gauss-Hermite quadrature. The
README's coverage sentence quotes its default run (``tests/test_statistics.py`` checks the figures).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..base.errors import ParameterError
from ..statistics import (DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, VideoCounts, resample_seeds_and_videos,
                          summarize_runs)

__all__ = ["Coverage", "simulate_coverage"]


@dataclass(frozen=True)
class Coverage:
    """How often the tables' 95 % interval covered the truth in simulated studies (one number of a study).

    Attributes
    ----------
    target : ``"level"`` (the refined side's mIoU) or ``"gain"`` (refined minus baseline, paired).
    truth : the number over infinitely many videos and seeds, percent.
    studies : simulated studies.
    covered : studies whose two-level (seeds and videos) interval held the truth.
    covered_videos_only : studies whose video-only interval (every seed kept in every draw, the tables'
        interval before the seed level was added) held it.
    mean_width, mean_width_videos_only : mean widths of the two intervals, percent.
    mean_seed_sd : mean over studies of the table's ``_sd`` column (sample sd over the seeds), percent.
    estimate_sd : standard deviation over studies of the table's number (mean over seeds), percent: the
        spread the interval should reflect.
    """

    target: str
    truth: float
    studies: int
    covered: int
    covered_videos_only: int
    mean_width: float
    mean_width_videos_only: float
    mean_seed_sd: float
    estimate_sd: float

    @property
    def rate(self) -> float:
        """Share of studies whose two-level interval covered the truth."""
        return self.covered / self.studies

    @property
    def rate_videos_only(self) -> float:
        """Share of studies whose video-only interval covered the truth."""
        return self.covered_videos_only / self.studies


def simulate_coverage(*, studies: int = 500, n_seeds: int = 3, n_videos: int = 20, n_classes: int = 10,
                      seed_sd: float = 0.06, video_sd: float = 0.3, gain: float = 0.3, gain_seed_sd: float = 0.025,
                      gain_video_sd: float = 0.3, false_positives: float = 0.4, pixels: int = 3000,
                      resamples: int = DEFAULT_RESAMPLES, confidence: float = DEFAULT_CONFIDENCE,
                      seed: int = 0) -> dict[str, Coverage]:
    """Coverage of :func:`summarize_runs`' mIoU intervals (level and paired gain) on simulated studies shaped
    like the tables'.

    One study: ``n_seeds`` training seeds of a baseline and of a refined method, scored on ``n_videos``
    videos of ``n_classes`` classes, with exact per-video counts pooled into a class-mean IoU. Class c of
    video v has g ~ 1 + Poisson(m_c) ground-truth pixels (m_c from ``pixels``/4 to ``pixels``); with
    logit_c evenly from -1 to 2, a video effect u ~ N(0, ``video_sd``) per video and class and a seed
    effect a_s ~ N(0, ``seed_sd``) shared by all videos of a seed, the baseline finds each pixel with
    probability p = sigmoid(logit_c + u + a_s), the refined method with p' = sigmoid(logit_c + u + a_s +
    ``gain`` + b_s + e), b_s ~ N(0, ``gain_seed_sd``), e ~ N(0, ``gain_video_sd``) per video and class;
    hits ~ Binomial(g, p) and false positives ~ Poisson(``false_positives`` g (1 - p)). Over infinitely many
    videos the pooled IoU of class c given a seed shift x is P / (1 + f (1 - P)), P = E sigmoid(logit_c + x +
    z) over the video effects z; the truth is its class mean averaged over the seed shifts (Gauss-Hermite
    quadrature, both levels).

    Parameters
    ----------
    studies, n_seeds, n_videos, n_classes : the size of the simulation.
    seed_sd, video_sd, gain, gain_seed_sd, gain_video_sd : logit-scale effects (defaults: about a 1.1-point
        seed sd and a 0.6-point video standard error of the level, as the fcn16-wide baseline's row of the
        refiner table; a gain of about 6 points with a seed sd of about 0.5 and a video standard error of
        about 0.4).
    false_positives, pixels : false positives per missed pixel, largest class's mean pixels per video.
    resamples, confidence : of the intervals (the tables': 1000 draws, 95 %).
    seed : seed of the simulation (study i bootstraps with seed i).

    Returns
    -------
    ``{"level": Coverage, "gain": Coverage}``.
    """
    if studies < 1 or n_seeds < 1 or n_videos < 1 or n_classes < 1:
        raise ParameterError(f"studies={studies}, n_seeds={n_seeds}, n_videos={n_videos} and n_classes={n_classes} "
                             "must all be at least 1")
    logits = np.linspace(-1.0, 2.0, n_classes)
    sizes = np.linspace(pixels / 4, pixels, n_classes)
    level_sd = math.hypot(video_sd, gain_video_sd)
    truth_base = _expected_miou(logits, 0.0, seed_sd, video_sd, false_positives)
    truth_refined = _expected_miou(logits, gain, math.hypot(seed_sd, gain_seed_sd), level_sd, false_positives)
    truths = {"level": 100 * truth_refined, "gain": 100 * (truth_refined - truth_base)}
    rng = np.random.default_rng(seed)
    videos = tuple(f"v{v}" for v in range(n_videos))
    found: dict[str, list[tuple[float, ...]]] = {"level": [], "gain": []}
    for study in range(studies):
        shape = (n_seeds, n_videos, n_classes)
        gt = 1 + rng.poisson(sizes, (n_videos, n_classes))
        video = rng.normal(0.0, video_sd, (n_videos, n_classes))
        extra = rng.normal(0.0, gain_video_sd, (n_videos, n_classes))
        shift = rng.normal(0.0, seed_sd, (n_seeds, 1, 1))
        gain_shift = rng.normal(gain, gain_seed_sd, (n_seeds, 1, 1))
        sides = []
        for logit in (logits + video + shift, logits + video + shift + gain_shift + extra):
            p = 1.0 / (1.0 + np.exp(-np.broadcast_to(logit, shape)))
            hits = rng.binomial(np.broadcast_to(gt, shape), p)
            wrong = rng.poisson(false_positives * gt * (1.0 - p))
            sides.append([_class_counts(videos, hits[s], np.broadcast_to(gt, shape)[s], hits[s] + wrong[s])
                          for s in range(n_seeds)])
        base, refined = sides
        for target, against in (("level", None), ("gain", base)):
            both = summarize_runs(refined, against, metrics=["miou"], resamples=resamples, confidence=confidence,
                                  seed=study)["miou"]
            plain = _video_only_interval(refined, against, resamples, confidence, study)
            found[target].append((both.mean, both.ci_low, both.ci_high, 100 * plain[0], 100 * plain[1], both.sd))
    out = {}
    for target, rows in found.items():
        values = np.array(rows)
        truth = truths[target]
        out[target] = Coverage(target=target, truth=truth, studies=studies,
                               covered=int(((values[:, 1] <= truth) & (truth <= values[:, 2])).sum()),
                               covered_videos_only=int(((values[:, 3] <= truth) & (truth <= values[:, 4])).sum()),
                               mean_width=float((values[:, 2] - values[:, 1]).mean()),
                               mean_width_videos_only=float((values[:, 4] - values[:, 3]).mean()),
                               mean_seed_sd=float(np.nanmean(values[:, 5])) if n_seeds > 1 else float("nan"),
                               estimate_sd=float(values[:, 0].std(ddof=1)) if studies > 1 else float("nan"))
    return out


def _expected_miou(logits: np.ndarray, shift: float, shift_sd: float, video_sd: float,
                   false_positives: float, nodes: int = 80) -> float:
    """Class mean over ``logits`` of P / (1 + f (1 - P)), P = E sigmoid(logit + x + z), averaged over the seed
    shift x ~ N(shift, shift_sd); z ~ N(0, video_sd) (Gauss-Hermite quadrature in x and z)."""
    points, weights = np.polynomial.hermite_e.hermegauss(nodes)  # for the weight exp(-t^2 / 2)
    weights = weights / weights.sum()
    x = shift + shift_sd * points  # (N,) seed shifts
    z = video_sd * points  # (N,) video effects
    logit = logits[:, None, None] + x[None, :, None] + z[None, None, :]  # (C, N, N)
    found = (1.0 / (1.0 + np.exp(-logit)) * weights).sum(axis=2)  # (C, N): P given the seed shift
    iou = found / (1.0 + false_positives * (1.0 - found))
    return float((iou.mean(axis=0) * weights).sum())


def _class_counts(videos: tuple[str, ...], hits: np.ndarray, gt: np.ndarray, pred: np.ndarray) -> VideoCounts:
    """VideoCounts of (V, C) hits, ground-truth and predicted pixels, with no band or VC counts."""
    empty = np.zeros_like(hits)
    return VideoCounts(videos=videos, settings={"num_classes": hits.shape[1], "vc_lengths": ()}, hits=hits,
                       gt_pixels=gt, pred_pixels=pred, band_intersection=empty, band_union=empty, window_sums={},
                       window_counts={})


def _video_only_interval(runs: Sequence[VideoCounts], baselines: Sequence[VideoCounts] | None, resamples: int,
                         confidence: float, seed: int) -> tuple[float, float]:
    """The video bootstrap alone (every seed in every draw; the tables' interval before seeds were resampled):
    its bounds as fractions."""
    _, weights = resample_seeds_and_videos(len(runs), len(runs[0].videos), resamples=resamples, seed=seed)
    drawn = np.stack([run.score("miou", weights) for run in runs])
    if baselines is not None:
        drawn = drawn - np.stack([base.score("miou", weights) for base in baselines])
    tail = (1 - confidence) / 2
    low, high = np.quantile(drawn.mean(axis=0), [tail, 1 - tail])
    return float(low), float(high)
