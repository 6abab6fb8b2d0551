"""Uncertainty of the study's numbers: spread over seeds and bootstrap intervals over seeds and videos.

A table number varies for two reasons, and its interval covers both:

- **seeds** (training seeds of a network, or seeds of a randomised corruption): a number is computed on the
  whole video set once per seed; the table gives their mean and sample standard deviation (``ddof=1``);
- **videos**: the val videos are a sample of scenes; their exact counts are pooled (a video drawn twice
  counts twice) and scored.

Seeds and videos are crossed (every seed is scored on every video), so an interval comes from a two-level
bootstrap that resamples both at once (the "pigeonhole" bootstrap of a crossed design, Owen 2007; percentile
interval, Efron & Tibshirani 1993, ch. 13): in each of B draws, S of the S seeds and V of the V videos are
drawn with replacement, independently; the draw's number is the mean over the drawn seeds (a seed drawn twice
counts twice) of the metric pooled over the drawn videos; the interval is the (1 - confidence)/2 and
(1 + confidence)/2 percentiles of the B numbers. It is thus an interval for the method's number over new
videos *and* new seeds, not only over new videos with these seeds (:func:`resample_seeds_and_videos`).

A gain (refined minus baseline) is bootstrapped *paired*: one draw of seeds and videos scores both sides
(seed s of the refined side is compared with seed s of its baseline), so the interval is that of the
difference, not of two independent numbers. With one seed the seed draw is trivial and the interval is the
video bootstrap's. With 3 seeds the seed level is thin (a draw can only be one of 10 seed multisets, and
their spread is (S - 1)/S of the seeds' variance); :func:`vsslib.analysis.coverage.simulate_coverage`
measures what the interval covers on a simulated study shaped like the tables' (class-pooled mIoU from
per-video counts, 3 seeds with a seed effect, a paired gain, 20 videos, 1000 draws).

Scores are computed from summed counts exactly as :meth:`vsslib.metrics.MetricAccumulator.result` does
(mIoU over classes with a non-zero union, ``miou_present`` over classes present in the ground truth, mBIoU
over classes with a non-zero band union, mVC_n and mVCc_n (correct consistency) as the mean of all defined
windows), for all resamples at
once: a ``(B, V)`` matrix of draw counts times ``(V, C)`` stacks of per-video counts. Window scores of a
video are summed once with ``math.fsum``; pooled means may differ from the accumulator's in the last bits
(about 1e-15).

:func:`ratio_summary` does the same for any statistic that is a ratio of sums over videos (accuracy in a band,
a mean over objects, a share of damaged pixels, a class mean of such ratios), from (seeds, videos, items)
arrays of numerators and denominators.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .base.errors import DataError, ParameterError
from .metrics import class_counts
from .significance import bootstrap_p_value

__all__ = ["VideoCounts", "Interval", "MetricSummary", "resample_videos", "resample_seeds_and_videos",
           "bootstrap_interval",
           "bootstrap_gain_interval", "seed_spread", "summarize_runs", "summary_columns", "table_columns",
           "RatioSummary", "ratio_summary", "COLUMN_NAMES",
           "DEFAULT_RESAMPLES", "DEFAULT_CONFIDENCE"]

DEFAULT_RESAMPLES = 1000  # bootstrap draws of the seeds and videos
DEFAULT_CONFIDENCE = 0.95  # coverage of the percentile interval
# metric key (as MetricAccumulator.result() names it) -> table column name
COLUMN_NAMES: dict[str, str] = {"miou": "mIoU", "miou_present": "mIoU_present", "mbiou": "mBIoU",
                                "mvc8": "mVC8", "mvc16": "mVC16", "mvcc8": "mVCc8", "mvcc16": "mVCc16"}

_COUNT_KEYS = ("confusion", "band_intersection", "band_union", "frames")


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields, not objects
class VideoCounts:
    """The exact metric counts of one run, one row per video.

    Attributes
    ----------
    videos : names of the V videos, in row order.
    settings : the accumulator settings the counts were made with (equal for every video).
    hits : (V, C) int64, pixels of class c predicted as c.
    gt_pixels : (V, C) int64, ground-truth pixels of class c (ignore excluded).
    pred_pixels : (V, C) int64, non-ignored pixels predicted as c.
    band_intersection, band_union : (V, C) int64, Boundary IoU counts.
    window_sums : {n: (V,) float64}, the sum (``math.fsum``) of the video's defined VC_n window scores.
    window_counts : {n: (V,) int64}, the number of the video's defined VC_n windows (VCc_n's too: they share
        the denominator).
    correct_window_sums : {n: (V,) float64}, the sum (``math.fsum``) of the video's defined VCc_n window scores
        (correct consistency, :func:`vsslib.metrics.correct_consistency_counts`); empty for counts made without
        them.
    """

    videos: tuple[str, ...]
    settings: Mapping[str, object]
    hits: np.ndarray
    gt_pixels: np.ndarray
    pred_pixels: np.ndarray
    band_intersection: np.ndarray
    band_union: np.ndarray
    window_sums: Mapping[int, np.ndarray]
    window_counts: Mapping[int, np.ndarray]
    correct_window_sums: Mapping[int, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_arrays(cls, per_video: Mapping[str, Mapping[str, np.ndarray]]) -> VideoCounts:
        """Stack per-video :meth:`MetricAccumulator.to_arrays` dicts (``{video: arrays}``, in that order).

        Raises
        ------
        DataError : a video's counts lack a key, have the wrong shape, or were made with other settings.
        ParameterError : no videos were given.
        """
        if not per_video:
            raise ParameterError("VideoCounts.from_arrays needs the counts of at least one video")
        settings: dict[str, object] | None = None
        rows: dict[str, list[np.ndarray]] = {key: [] for key in ("hits", "gt", "pred", "bi", "bu")}
        sums: dict[int, list[float]] = {}
        correct_sums: dict[int, list[float]] = {}
        counts: dict[int, list[int]] = {}
        for video, arrays in per_video.items():
            these = _settings_of(arrays, video)
            if settings is None:
                settings = these
                sums = {n: [] for n in these["vc_lengths"]}
                counts = {n: [] for n in these["vc_lengths"]}
                if "vcc" in these.get("vc_measures", ()):  # counts made with VCc_n (the accumulator's since it exists)
                    correct_sums = {n: [] for n in these["vc_lengths"]}
            elif these != settings:
                raise DataError(f"video {video}: counts made with {these}, but the first video's with {settings}")
            c = int(settings["num_classes"])
            confusion = _get(arrays, "confusion", video).astype(np.int64)
            if confusion.shape != (c, c + 1):
                raise DataError(f"video {video}: confusion has shape {confusion.shape}, expected {(c, c + 1)}")
            for key, per_class in zip(("hits", "gt", "pred"), class_counts(confusion), strict=True):
                rows[key].append(per_class)
            for key, short in (("band_intersection", "bi"), ("band_union", "bu")):
                band = _get(arrays, key, video).astype(np.int64).reshape(-1)
                if band.shape != (c,):
                    raise DataError(f"video {video}: {key} has shape {band.shape}, expected {(c,)}")
                rows[short].append(band)
            for n in settings["vc_lengths"]:
                numerators = _get(arrays, f"vc{n}_numerators", video).astype(np.int64).reshape(-1)
                denominators = _get(arrays, f"vc{n}_denominators", video).astype(np.int64).reshape(-1)
                if numerators.shape != denominators.shape:
                    raise DataError(f"video {video}: vc{n} has {numerators.size} numerators but "
                                    f"{denominators.size} denominators")
                defined = denominators > 0
                sums[n].append(math.fsum((numerators[defined] / denominators[defined]).tolist()))
                counts[n].append(int(defined.sum()))
                if n in correct_sums:
                    correct = _get(arrays, f"vcc{n}_numerators", video).astype(np.int64).reshape(-1)
                    if correct.shape != denominators.shape:
                        raise DataError(f"video {video}: vcc{n} has {correct.size} numerators but "
                                        f"{denominators.size} denominators")
                    correct_sums[n].append(math.fsum((correct[defined] / denominators[defined]).tolist()))
        assert settings is not None  # per_video is not empty
        return cls(videos=tuple(per_video), settings=settings, hits=np.stack(rows["hits"]),
                   gt_pixels=np.stack(rows["gt"]), pred_pixels=np.stack(rows["pred"]),
                   band_intersection=np.stack(rows["bi"]), band_union=np.stack(rows["bu"]),
                   window_sums={n: np.array(v, np.float64) for n, v in sums.items()},
                   window_counts={n: np.array(v, np.int64) for n, v in counts.items()},
                   correct_window_sums={n: np.array(v, np.float64) for n, v in correct_sums.items()})

    @property
    def metrics(self) -> tuple[str, ...]:
        """Keys of the metrics these counts score: ``miou``, ``miou_present``, ``mbiou``, ``mvc<n>``, and
        ``mvcc<n>`` (correct consistency) where the counts hold it."""
        return ("miou", "miou_present", "mbiou", *(f"mvc{n}" for n in self.window_sums),
                *(f"mvcc{n}" for n in self.correct_window_sums))

    def score(self, metric: str, weights: np.ndarray | None = None) -> np.ndarray:
        """A metric of the pooled counts, for each row of video weights.

        Parameters
        ----------
        metric : one of :attr:`metrics`.
        weights : (B, V) non-negative integer array, how many times each video is pooled in each of B
            resamples; ``None`` pools every video once (B = 1).

        Returns
        -------
        (B,) float64 : the metric as a fraction (NaN where undefined), as ``MetricAccumulator.result()``
            gives it for the same pooled videos.
        """
        if metric not in self.metrics:
            raise ParameterError(f"unknown metric {metric!r}; valid: {', '.join(self.metrics)}")
        v = len(self.videos)
        weights = np.ones((1, v), np.int64) if weights is None else np.asarray(weights)
        if weights.ndim != 2 or weights.shape[1] != v:
            raise ParameterError(f"weights must be (B, {v}) (one column per video), got shape {weights.shape}")
        w = weights.astype(np.float64)  # exact: counts and their weighted sums stay far below 2**53

        def pooled(stack: np.ndarray) -> np.ndarray:
            return w @ stack.astype(np.float64)  # (B, C) or (B,)

        if metric in ("miou", "miou_present"):
            hits, gt, pred = pooled(self.hits), pooled(self.gt_pixels), pooled(self.pred_pixels)
            union = gt + pred - hits
            averaged = union > 0 if metric == "miou" else gt > 0
            iou = np.divide(hits, union, out=np.zeros_like(hits), where=union > 0)
            return _masked_mean(iou, averaged)
        if metric == "mbiou":
            intersection, union = pooled(self.band_intersection), pooled(self.band_union)
            biou = np.divide(intersection, union, out=np.zeros_like(union), where=union > 0)
            return _masked_mean(biou, union > 0)
        if metric.startswith("mvcc"):  # VCc_n: its own window sums over VC_n's windows (same denominators)
            n = int(metric[4:])
            total, windows = pooled(self.correct_window_sums[n]), pooled(self.window_counts[n])
            return np.divide(total, windows, out=np.full_like(total, np.nan), where=windows > 0)
        n = int(metric[3:])
        total, windows = pooled(self.window_sums[n]), pooled(self.window_counts[n])
        return np.divide(total, windows, out=np.full_like(total, np.nan), where=windows > 0)


@dataclass(frozen=True)
class Interval:
    """A point estimate and its bootstrap percentile interval, in the metric's units (fractions).

    Attributes
    ----------
    estimate : the number on all videos (for a gain: refined minus baseline).
    low, high : the interval's bounds.
    confidence : its nominal coverage (0.95).
    resamples : bootstrap draws whose value was defined (draws where the metric is NaN are left out).
    """

    estimate: float
    low: float
    high: float
    confidence: float
    resamples: int


@dataclass(frozen=True)
class MetricSummary:
    """One metric (or gain) of a set of runs over seeds, in percent: what a table row reports for it.

    Attributes
    ----------
    metric : the metric key (``"miou"``, ``"mbiou"``, ``"mvc8"``, ...).
    gain : whether the numbers are refined minus baseline.
    mean : mean over seeds of the number on all videos.
    sd : sample standard deviation over seeds (NaN with one seed).
    ci_low, ci_high : two-level (seeds and videos) bootstrap percentile interval of the seed-averaged number.
    n_seeds, n_videos : how many seeds and videos went in.
    p_value : for a gain, :func:`~vsslib.significance.bootstrap_p_value` of ``mean`` with the same draws (two-sided,
        against 0); NaN otherwise.
    """

    metric: str
    gain: bool
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    n_seeds: int
    n_videos: int
    p_value: float = float("nan")


# ---------------------------------------------------------------------------------------------- bootstrap
def resample_videos(n_videos: int, *, resamples: int = DEFAULT_RESAMPLES,
                    seed: int | np.random.Generator = 0) -> np.ndarray:
    """Bootstrap draws of a video set as counts.

    Returns
    -------
    (resamples, n_videos) int64 : row b says how often each video was drawn in draw b (each row sums to
        ``n_videos``).
    """
    if n_videos < 1 or resamples < 1:
        raise ParameterError(f"n_videos={n_videos} and resamples={resamples} must both be at least 1")
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, n_videos, size=(resamples, n_videos))
    weights = np.zeros((resamples, n_videos), np.int64)
    np.add.at(weights, (np.arange(resamples)[:, None], drawn), 1)
    return weights


def resample_seeds_and_videos(n_seeds: int, n_videos: int, *, resamples: int = DEFAULT_RESAMPLES,
                              seed: int | np.random.Generator = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two-level bootstrap draws of a crossed seeds x videos design, as counts.

    The video draws are :func:`resample_videos`' for the same integer ``seed`` (so tables of one seed match
    the single-run intervals); the seed draws come after them from the same generator, independently.

    Returns
    -------
    seed_weights : (resamples, n_seeds) int64, how often each seed was drawn in draw b (rows sum to n_seeds).
    video_weights : (resamples, n_videos) int64, how often each video was drawn in draw b.
    """
    if n_seeds < 1:
        raise ParameterError(f"n_seeds={n_seeds} must be at least 1")
    rng = np.random.default_rng(seed)
    video_weights = resample_videos(n_videos, resamples=resamples, seed=rng)
    seed_weights = resample_videos(n_seeds, resamples=resamples, seed=rng)
    return seed_weights, video_weights


def bootstrap_interval(counts: VideoCounts, metric: str, *, resamples: int = DEFAULT_RESAMPLES,
                       confidence: float = DEFAULT_CONFIDENCE,
                       seed: int | np.random.Generator = 0) -> Interval:
    """Video-bootstrap percentile interval of one run's metric."""
    weights = resample_videos(len(counts.videos), resamples=resamples, seed=seed)
    return _interval(float(counts.score(metric)[0]), counts.score(metric, weights), confidence)


def bootstrap_gain_interval(baseline: VideoCounts, refined: VideoCounts, metric: str, *,
                            resamples: int = DEFAULT_RESAMPLES, confidence: float = DEFAULT_CONFIDENCE,
                            seed: int | np.random.Generator = 0) -> Interval:
    """Paired video-bootstrap percentile interval of ``refined - baseline`` (same draws for both)."""
    _check_same_videos([baseline, refined])
    weights = resample_videos(len(baseline.videos), resamples=resamples, seed=seed)
    estimate = float(refined.score(metric)[0] - baseline.score(metric)[0])
    return _interval(estimate, refined.score(metric, weights) - baseline.score(metric, weights), confidence)


# ------------------------------------------------------------------------------------------------- seeds
def seed_spread(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``; NaN for one value) of a number over seeds."""
    values = np.asarray(values, np.float64).reshape(-1)
    if values.size == 0:
        raise ParameterError("seed_spread needs at least one value")
    sd = float(values.std(ddof=1)) if values.size > 1 else float("nan")
    return float(values.mean()), sd


def summarize_runs(runs: Sequence[VideoCounts], baselines: Sequence[VideoCounts] | None = None, *,
                   metrics: Sequence[str] | None = None, resamples: int = DEFAULT_RESAMPLES,
                   confidence: float = DEFAULT_CONFIDENCE,
                   seed: int | np.random.Generator = 0) -> dict[str, MetricSummary]:
    """Seed spread and two-level (seeds and videos) bootstrap interval of each metric, or gain, of runs over seeds.

    Construction, for S seeds (``runs[s]``, and ``baselines[s]`` for a gain) on the same V videos:

    - ``mean``, ``sd``: x_s = metric of ``runs[s]`` on all videos (minus that of ``baselines[s]`` for a
      gain); mean and sample sd (``ddof=1``) of x_1..x_S;
    - ``ci_low``, ``ci_high``: B draws (:func:`resample_seeds_and_videos`), each of S seeds and of V videos
      with replacement, the same for both sides of a gain; in draw b, x_b = mean over the drawn seeds s
      (with multiplicity) of the metric of ``runs[s]`` pooled over the drawn videos (minus
      ``baselines[s]``'s); the interval is the (1 - confidence)/2 and (1 + confidence)/2 percentiles of
      x_1..x_B (draws where x_b is NaN are left out).

    Pass the same baseline for every seed when only the refined side varies (corruption seeds).

    Returns
    -------
    dict : metric key -> :class:`MetricSummary` (percent).
    """
    runs = list(runs)
    if not runs:
        raise ParameterError("summarize_runs needs the counts of at least one seed")
    if baselines is not None and len(baselines) != len(runs):
        raise ParameterError(f"{len(runs)} runs but {len(baselines)} baselines: give one baseline per seed")
    _check_same_videos([*runs, *(baselines or [])])
    available = [m for m in runs[0].metrics if all(m in r.metrics for r in [*runs, *(baselines or [])])]
    metrics = list(available if metrics is None else metrics)
    unknown = [m for m in metrics if m not in available]
    if unknown:
        raise ParameterError(f"unknown metric(s) {unknown}; valid: {', '.join(available)}")
    seed_weights, weights = resample_seeds_and_videos(len(runs), len(runs[0].videos), resamples=resamples,
                                                      seed=seed)
    summaries = {}
    for metric in metrics:
        on_all = np.array([float(run.score(metric)[0]) for run in runs])
        drawn = np.stack([run.score(metric, weights) for run in runs])  # (S, B)
        if baselines is not None:
            on_all = on_all - np.array([float(base.score(metric)[0]) for base in baselines])
            drawn = drawn - np.stack([base.score(metric, weights) for base in baselines])
        mean, sd = seed_spread(on_all)
        averaged = _seed_average(drawn, seed_weights)
        interval = _interval(mean, averaged, confidence)
        summaries[metric] = MetricSummary(metric=metric, gain=baselines is not None, mean=100 * mean,
                                          sd=100 * sd, ci_low=100 * interval.low, ci_high=100 * interval.high,
                                          n_seeds=len(runs), n_videos=len(runs[0].videos),
                                          p_value=bootstrap_p_value(averaged, mean) if baselines is not None
                                          else float("nan"))
    return summaries


def summary_columns(summaries: Mapping[str, MetricSummary]) -> dict[str, float | int]:
    """Table columns of :func:`summarize_runs` output, in percent.

    For each metric ``<m>`` (``mIoU``, ``mBIoU``, ``mVC8``, ``mVC16``, ``mVCc8``, ``mVCc16``; see
    :data:`COLUMN_NAMES`): ``<m>``,
    ``<m>_sd``, ``<m>_ci_low``, ``<m>_ci_high``, and for a gain ``<m>_p`` (:func:`bootstrap_p_value`, a
    fraction); then ``n_seeds`` and ``n_videos``.
    """
    if not summaries:
        raise ParameterError("summary_columns needs at least one metric summary")
    columns: dict[str, float | int] = {}
    for key, summary in summaries.items():
        name = COLUMN_NAMES.get(key, key)
        columns.update({name: summary.mean, f"{name}_sd": summary.sd, f"{name}_ci_low": summary.ci_low,
                        f"{name}_ci_high": summary.ci_high})
        if summary.gain:
            columns[f"{name}_p"] = summary.p_value
    first = next(iter(summaries.values()))
    columns.update({"n_seeds": first.n_seeds, "n_videos": first.n_videos})
    return columns


def table_columns(runs: Sequence[VideoCounts], baselines: Sequence[VideoCounts] | None = None, *,
                  metrics: Sequence[str] | None = None, resamples: int = DEFAULT_RESAMPLES,
                  confidence: float = DEFAULT_CONFIDENCE,
                  seed: int | np.random.Generator = 0) -> dict[str, float | int]:
    """One table row's statistics columns: :func:`summary_columns` of :func:`summarize_runs` (same arguments)."""
    return summary_columns(summarize_runs(runs, baselines, metrics=metrics, resamples=resamples,
                                          confidence=confidence, seed=seed))


# ------------------------------------------------------------------------------------- ratios of sums
@dataclass(frozen=True, eq=False)  # holds arrays: compare fields, not objects
class RatioSummary:
    """Per item statistics of a ratio of sums over videos (or of a gain between two such ratios), over seeds.

    In the ratio's own units (a fraction for an accuracy or a share); :meth:`columns` scales to percent.

    Attributes
    ----------
    gain : whether the numbers are a ratio minus its baseline's.
    mean : (K,) float64, mean over seeds of the ratio on all videos.
    sd : (K,) float64, sample standard deviation over seeds (NaN with one seed).
    ci_low, ci_high : (K,) float64, two-level (seeds and videos) bootstrap percentile interval of the
        seed-averaged ratio (NaN where no draw defines it).
    n_seeds, n_videos : S and V.
    """

    gain: bool
    mean: np.ndarray
    sd: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_seeds: int
    n_videos: int

    def columns(self, name: str, *, scale: float = 100.0) -> dict[str, np.ndarray]:
        """``{name, name_sd, name_ci_low, name_ci_high}``: (K,) arrays times ``scale`` (100: percent)."""
        return {name: scale * self.mean, f"{name}_sd": scale * self.sd, f"{name}_ci_low": scale * self.ci_low,
                f"{name}_ci_high": scale * self.ci_high}


def ratio_summary(numerators: np.ndarray, denominators: np.ndarray, baseline_numerators: np.ndarray | None = None,
                  baseline_denominators: np.ndarray | None = None, *, class_mean: bool = False,
                  resamples: int = DEFAULT_RESAMPLES, confidence: float = DEFAULT_CONFIDENCE,
                  seed: int | np.random.Generator = 0) -> RatioSummary:
    """Seed spread and two-level (seeds and videos) bootstrap interval of ratios of sums over videos, or of
    their paired gains.

    A ratio of sums is pooled like a metric's counts: the K items' numerators and denominators are summed over
    the (drawn) videos, then divided. Pixel accuracy in a band (correct / pixels), a mean over objects (summed
    accuracies / objects), a share of damaged pixels (cause's pixels / all damaged pixels) are such ratios;
    with ``class_mean`` each item is a mean over classes of per-class ratios, as mIoU and mBIoU are.

    Parameters
    ----------
    numerators : (S, V, K) array, or (S, V, K, C) with ``class_mean``; integer or float
        Per seed, video and item (and class) sums, e.g. correct pixels. Seeds s and videos v must mean the
        same thing in every argument.
    denominators : array broadcastable to ``numerators``' shape
        The matching sums, e.g. scored pixels; non-negative.
    baseline_numerators, baseline_denominators : optional, the same shapes
        The ratio this one is compared with (same seeds, videos and items); the summary is then of the gain
        ``ratio - baseline ratio``. ``baseline_denominators`` defaults to ``denominators`` (a shared pixel
        count); give it when the denominators differ (a union).
    class_mean : bool
        Each item is the mean over the C classes whose pooled denominator is non-zero of the pooled per-class
        ratios (NaN when none is): how :class:`VideoCounts` scores mBIoU and mIoU.
    resamples, confidence, seed : as in :func:`summarize_runs` (the draws are
        :func:`resample_seeds_and_videos`' for ``seed``, so they match the other tables' draws of the same S
        seeds and V videos).

    Returns
    -------
    RatioSummary
        With r_s = the ratio of seed s on all videos (minus its baseline's): ``mean``, ``sd`` are the mean
        and sample sd of r_1..r_S; ``ci_low``, ``ci_high`` the (1 - confidence)/2 and (1 + confidence)/2
        percentiles over the B draws of the mean over the drawn seeds of the ratio on the drawn videos (one
        draw of seeds and videos for both sides of a gain; draws where it is NaN are left out), as
        :func:`summarize_runs` does for the metrics. An item whose pooled denominator is 0 is NaN.
    """
    sides = [_ratio_arrays(numerators, denominators, class_mean, "numerators")]
    if baseline_numerators is not None:
        sides.append(_ratio_arrays(baseline_numerators,
                                   denominators if baseline_denominators is None else baseline_denominators,
                                   class_mean, "baseline_numerators"))
        if sides[1][0].shape != sides[0][0].shape:
            raise ParameterError(f"baseline_numerators has shape {sides[1][0].shape}, numerators "
                                 f"{sides[0][0].shape}: a gain needs the same seeds, videos and items")
    elif baseline_denominators is not None:
        raise ParameterError("baseline_denominators given without baseline_numerators")
    n_seeds, n_videos = sides[0][0].shape[:2]
    seed_weights, weights = resample_seeds_and_videos(n_seeds, n_videos, resamples=resamples, seed=seed)
    on_all = np.ones((1, n_videos))
    value = _pooled_ratio(*sides[0], on_all, class_mean)[:, 0]  # (S, K)
    drawn = _pooled_ratio(*sides[0], weights, class_mean)  # (S, B, K)
    if len(sides) == 2:
        value = value - _pooled_ratio(*sides[1], on_all, class_mean)[:, 0]
        drawn = drawn - _pooled_ratio(*sides[1], weights, class_mean)
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence={confidence} must be between 0 and 1 (0.95 for a 95 % interval)")
    tail = (1 - confidence) / 2
    with warnings.catch_warnings():  # items no draw defines stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanquantile(_seed_average(drawn, seed_weights), [tail, 1 - tail], axis=0)
        sd = value.std(axis=0, ddof=1) if n_seeds > 1 else np.full(value.shape[1], np.nan)
    return RatioSummary(gain=len(sides) == 2, mean=value.mean(axis=0), sd=sd, ci_low=low, ci_high=high,
                        n_seeds=n_seeds, n_videos=n_videos)


# -------------------------------------------------------------------------------------------- internals
def _interval(estimate: float, values: np.ndarray, confidence: float) -> Interval:
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence={confidence} must be between 0 and 1 (0.95 for a 95 % interval)")
    values = np.asarray(values, np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return Interval(estimate, float("nan"), float("nan"), confidence, 0)
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return Interval(estimate, float(low), float(high), confidence, int(values.size))


def _seed_average(drawn: np.ndarray, seed_weights: np.ndarray) -> np.ndarray:
    """Mean over the drawn seeds of ``drawn`` (S, B, ...) with ``seed_weights`` (B, S): (B, ...).

    A seed not drawn in draw b does not count, even where its value is NaN; a drawn seed's NaN makes the draw
    NaN (as a plain mean over seeds would).
    """
    n_seeds = drawn.shape[0]
    weights = seed_weights.T.reshape(seed_weights.shape[::-1] + (1,) * (drawn.ndim - 2)).astype(np.float64)
    return (np.where(weights > 0, drawn, 0.0) * weights).sum(axis=0) / n_seeds


def _ratio_arrays(numerators: np.ndarray, denominators: np.ndarray, class_mean: bool,
                  what: str) -> tuple[np.ndarray, np.ndarray]:
    """Check one side of :func:`ratio_summary`: float64 numerators and denominators of one shape."""
    numerators = np.asarray(numerators, np.float64)
    expected = "(S, V, K, C)" if class_mean else "(S, V, K)"
    if numerators.ndim != (4 if class_mean else 3) or 0 in numerators.shape[:2]:
        raise ParameterError(f"{what} must be {expected} (seeds, videos, items{', classes' if class_mean else ''}) "
                             f"with at least one seed and video, got shape {numerators.shape}"
                             + ("; class_mean=True needs a class axis" if numerators.ndim == 3 else ""))
    try:
        denominators = np.broadcast_to(np.asarray(denominators, np.float64), numerators.shape)
    except ValueError:
        raise ParameterError(f"denominators of shape {np.shape(denominators)} do not broadcast to the "
                             f"{what}' shape {numerators.shape}") from None
    if (denominators < 0).any():
        raise ParameterError(f"denominators must be non-negative (counts), got {denominators.min()}")
    return numerators, denominators


def _pooled_ratio(numerators: np.ndarray, denominators: np.ndarray, weights: np.ndarray,
                  class_mean: bool) -> np.ndarray:
    """(S, B, K) ratio of the video-weighted sums (``weights`` (B, V)); class mean over a last C axis."""
    s, v = numerators.shape[:2]
    w = weights.astype(np.float64)
    top = (w @ numerators.reshape(s, v, -1)).reshape(s, w.shape[0], *numerators.shape[2:])
    bottom = (w @ denominators.reshape(s, v, -1)).reshape(top.shape)
    ratio = np.divide(top, bottom, out=np.full(top.shape, np.nan), where=bottom > 0)
    return _masked_mean(ratio, bottom > 0) if class_mean else ratio


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Means of ``values`` over ``mask`` along the last axis (both (..., C)); NaN where nothing is selected."""
    counted = mask.sum(axis=-1)
    total = np.where(mask, values, 0.0).sum(axis=-1)
    return np.divide(total, counted, out=np.full(total.shape, np.nan), where=counted > 0)


def _get(arrays: Mapping[str, np.ndarray], key: str, video: str) -> np.ndarray:
    if key not in arrays:
        raise DataError(f"video {video}: metric counts lack the key {key!r} (present: {sorted(arrays)}); "
                        "give MetricAccumulator.to_arrays() output")
    return np.asarray(arrays[key])


def _settings_of(arrays: Mapping[str, np.ndarray], video: str) -> dict[str, object]:
    """The non-count entries of a to_arrays() dict (num_classes, dilation_ratio, vc_lengths, ...)."""
    settings = {key: np.asarray(value).tolist() for key, value in arrays.items()
                if key not in _COUNT_KEYS and not (key.startswith("vc") and key.endswith(("_numerators",
                                                                                          "_denominators")))}
    for key in ("num_classes", "vc_lengths"):
        if key not in settings:
            raise DataError(f"video {video}: metric counts lack the setting {key!r} (present: {sorted(arrays)})")
    lengths = settings["vc_lengths"]
    settings["vc_lengths"] = tuple(int(n) for n in (lengths if isinstance(lengths, list) else [lengths]))
    return settings


def _check_same_videos(runs: Sequence[VideoCounts]) -> None:
    for run in runs[1:]:
        if run.videos != runs[0].videos:
            raise ParameterError(f"runs cover different videos: {list(runs[0].videos)[:4]}... and "
                                 f"{list(run.videos)[:4]}...; a paired comparison needs the same videos in the "
                                 "same order")
        if run.settings != runs[0].settings:
            raise ParameterError(f"runs were scored with different settings: {runs[0].settings} and {run.settings}")
