"""The study's table rows: metrics in percent with their spread over seeds and intervals over seeds and videos.

A row summarises one method over several runs that differ only in a seed (a network's training seed, or a
corruption seed; :func:`pooled_stats_row` pools the corruption seeds of each training seed) on the same videos.
Its columns, per metric ``m`` of ``mIoU``, ``mBIoU``, ``mVC8``, ``mVC16`` (VSPW's video consistency) and
``mVCc8``, ``mVCc16`` (correct consistency: VC that also asks for the right class,
:mod:`vsslib.metrics.consistency`) (see :func:`vsslib.statistics.summarize_runs` for the
construction):

- ``m``, ``m_sd``: mean over seeds and sample standard deviation over seeds;
- ``m_ci_low``, ``m_ci_high``: 95 % interval over seeds and videos of the seed-averaged metric;
- for a row compared with a reference variant (a refined map against its baseline): ``gain_m``,
  ``gain_m_sd``, ``gain_m_ci_low``, ``gain_m_ci_high``, the same for the paired difference, and
  ``gain_m_p``, its two-sided p-value against 0 (a fraction; normal approximation with the bootstrap's
  standard error, :func:`vsslib.significance.bootstrap_p_value`);
- ``n_seeds``, ``n_videos``.
"""

from __future__ import annotations

import dataclasses

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..base.errors import ParameterError
from ..viz.prose import number
from .runs import RunResult
from ..statistics import VideoCounts, ratio_summary, table_columns

__all__ = ["video_counts", "pooled_counts", "stats_row", "pooled_stats_row", "ratio_rows", "band_tables", "readable",
           "interval_columns", "gain_supported", "HEADLINE_METRICS"]

HEADLINE_METRICS = ("miou", "mbiou", "mvc8", "mvc16", "mvcc8", "mvcc16")
"""Metric keys every table reports (column names: mIoU, mBIoU, mVC8, mVC16, mVCc8, mVCc16)."""


def video_counts(result: RunResult, variant: str) -> VideoCounts:
    """The per-video counts of one variant of a run, stacked for :mod:`vsslib.statistics`."""
    if variant not in result.scores:
        raise ParameterError(f"variant {variant!r} is not one of the run's {sorted(result.scores)}")
    return VideoCounts.from_arrays({r.video: r.counts[variant] for r in result.records})


def pooled_counts(runs: Sequence[VideoCounts]) -> VideoCounts:
    """The counts of ``runs`` (same videos in the same order, same settings) added video by video: each video's
    metrics then pool the runs' pixels and windows, as if every run were a copy of the video (the runs of one
    network under several corruption seeds, made one run of that network).

    Raises
    ------
    ParameterError : no runs, or runs of other videos or settings.
    """
    runs = list(runs)
    if not runs:
        raise ParameterError("pooled_counts needs the counts of at least one run")
    for run in runs[1:]:
        if run.videos != runs[0].videos or run.settings != runs[0].settings:
            raise ParameterError(f"runs to pool must cover the same videos with the same settings: "
                                 f"{list(runs[0].videos)[:3]}... ({runs[0].settings}) and {list(run.videos)[:3]}... "
                                 f"({run.settings})")

    def total(name: str) -> Any:  # one field of the counts, added over the runs (a mapping: key by key)
        values = [getattr(run, name) for run in runs]
        if isinstance(values[0], np.ndarray):
            return np.sum(np.stack(values), axis=0)
        if any(set(value) != set(values[0]) for value in values):
            raise ParameterError(f"runs to pool must have the same {name} keys: "
                                 f"{[sorted(value) for value in values]}")
        return {n: np.sum(np.stack([value[n] for value in values]), axis=0) for n in values[0]}

    return VideoCounts(videos=runs[0].videos, settings=runs[0].settings,
                       **{f.name: total(f.name) for f in dataclasses.fields(VideoCounts)
                          if f.name not in ("videos", "settings")})


def stats_row(runs: Sequence[RunResult], scored: str, *, against: str | None = None,
              against_runs: Sequence[RunResult] | None = None, seed: int = 0, **labels: Any) -> dict[str, Any]:
    """One table row: ``labels`` and the statistics columns of the ``scored`` variant over ``runs`` (one run per
    seed).

    Parameters
    ----------
    runs : runs on the same videos, one per seed.
    scored : the scored variant of the runs (``"baseline"``, ``"refined"``, ``"fused"``, ...).
    against : a reference variant of the same runs; adds the ``gain_*`` columns (paired bootstrap).
    against_runs : take the reference variant from these runs instead (one per seed, in the order of ``runs``,
        from the same baseline predictions on the same videos: e.g. the map refined with another masklet source);
        the pairing is checked on the baseline's counts.
    seed : seed of the bootstrap draws.
    """
    runs = list(runs)
    if not runs:
        raise ParameterError("stats_row needs at least one run")
    counts = [video_counts(r, scored) for r in runs]
    row: dict[str, Any] = {**labels, **table_columns(counts, metrics=HEADLINE_METRICS, seed=seed)}
    if against_runs is not None:
        _check_paired(runs, list(against_runs))
    if against is not None:
        reference = [video_counts(r, against) for r in (runs if against_runs is None else against_runs)]
        gains = table_columns(counts, reference, metrics=HEADLINE_METRICS, seed=seed)
        row.update({f"gain_{k}": v for k, v in gains.items() if k not in ("n_seeds", "n_videos")})
    row["fps"] = float(np.mean([r.scores[scored].fps for r in runs]))
    return row


def pooled_stats_row(groups: Sequence[Sequence[RunResult]], scored: str, *, against: str, seed: int = 0,
                     pooled_column: str = "n_runs", **labels: Any) -> dict[str, Any]:
    """:func:`stats_row` of runs in groups, each group pooled into one run (:func:`pooled_counts`, the
    ``scored`` and the ``against`` variant alike): one group per training seed of a network, its runs those of
    the corruption seeds. The seed level of the interval and ``n_seeds`` are then the groups (training seeds),
    the corruption draws are averaged inside each, and ``pooled_column`` says how many runs each group pooled.

    Raises
    ------
    ParameterError : no groups, an empty group, or groups of different sizes.
    """
    groups = [list(group) for group in groups]
    sizes = {len(group) for group in groups}
    if not groups or 0 in sizes or len(sizes) > 1:
        raise ParameterError(f"pooled_stats_row needs groups of the same number of runs, at least one; got sizes "
                             f"{[len(group) for group in groups]}")
    counts = [pooled_counts([video_counts(r, scored) for r in group]) for group in groups]
    reference = [pooled_counts([video_counts(r, against) for r in group]) for group in groups]
    row: dict[str, Any] = {**labels, **table_columns(counts, metrics=HEADLINE_METRICS, seed=seed)}
    gains = table_columns(counts, reference, metrics=HEADLINE_METRICS, seed=seed)
    row.update({f"gain_{k}": v for k, v in gains.items() if k not in ("n_seeds", "n_videos")})
    row[pooled_column] = sizes.pop()
    row["fps"] = float(np.mean([r.scores[scored].fps for group in groups for r in group]))
    return row


def _check_paired(runs: list[RunResult], others: list[RunResult]) -> None:
    """Raise unless ``others[i]`` refines the same baseline predictions of the same videos as ``runs[i]``."""
    if len(runs) != len(others):
        raise ParameterError(f"paired rows need one reference run per run: {len(runs)} runs, {len(others)} references")
    for i, (run, other) in enumerate(zip(runs, others, strict=True)):
        if run.videos != other.videos:
            raise ParameterError(f"run {i}: the reference run covers other videos ({other.videos[:3]}... against "
                                 f"{run.videos[:3]}...)")
        mine, theirs = video_counts(run, "baseline"), video_counts(other, "baseline")
        if any(not np.array_equal(a, b) for a, b in zip(_arrays(mine), _arrays(theirs), strict=True)):
            raise ParameterError(f"run {i} ({run.baseline_name}, {run.masklet_source}) and its reference "
                                 f"({other.baseline_name}, {other.masklet_source}) start from different baseline "
                                 "predictions (another network or training seed): they cannot be paired")


def _arrays(counts: VideoCounts) -> list[np.ndarray]:
    """Every count array of ``counts`` in field order, those of its ``{n: array}`` fields by ``n``."""
    out = []
    for f in dataclasses.fields(counts):
        value = getattr(counts, f.name)
        if isinstance(value, np.ndarray):
            out.append(value)
        elif isinstance(value, Mapping):
            out.extend(np.asarray(value[n]) for n in sorted(value) if isinstance(value[n], np.ndarray))
    return out


def ratio_rows(counts: Mapping[str, tuple[np.ndarray, np.ndarray]], name: str,
               items: Mapping[str, Sequence[Any]], *, against: str | None = "baseline", label: str = "method",
               class_mean: bool = False, seed: int = 0) -> pd.DataFrame:
    """Table rows of a ratio of sums over videos (one row per ``label`` value and item), in percent.

    Parameters
    ----------
    counts : ``{label value: (numerators, denominators)}``, each (S, V, K) (or (S, V, K, C) with
        ``class_mean``), the same seeds and videos for every label (see :func:`vsslib.statistics.ratio_summary`).
    name : the statistic's column name (``"mBIoU"``, ``"accuracy"``).
    items : columns that describe the K items, each K values (``{"ratio": ratios}``).
    against : the label value the others are compared with: their rows get ``gain_<name>`` columns (a
        paired gain; NaN on its own rows); ``None`` for no gains.
    label : the name of the column holding the label values.
    class_mean, seed : as in :func:`vsslib.statistics.ratio_summary`.

    Returns
    -------
    DataFrame[label, *items, name, name_sd, name_ci_low, name_ci_high, (gain_name, ..._sd, ..._ci_low,
    ..._ci_high,) n_seeds, n_videos]
    """
    if against is not None and against not in counts:
        raise ParameterError(f"against={against!r} is not one of the labels {list(counts)}")
    sizes = {key: len(values) for key, values in items.items()}
    frames = []
    for value, (numerators, denominators) in counts.items():
        summary = ratio_summary(numerators, denominators, class_mean=class_mean, seed=seed)
        k = summary.mean.size
        if any(size != k for size in sizes.values()):
            raise ParameterError(f"{value}: {k} items in the counts, but item columns of lengths {sizes}")
        columns: dict[str, Any] = {label: [value] * k, **{key: list(values) for key, values in items.items()},
                                   **summary.columns(name)}
        if against is not None:
            gain = np.full(k, np.nan)
            columns.update({f"gain_{name}": gain, f"gain_{name}_sd": gain, f"gain_{name}_ci_low": gain,
                            f"gain_{name}_ci_high": gain})
            if value != against:
                reference = counts[against]
                columns.update(ratio_summary(numerators, denominators, *reference, class_mean=class_mean,
                                             seed=seed).columns(f"gain_{name}"))
        frames.append(pd.DataFrame({**columns, "n_seeds": summary.n_seeds, "n_videos": summary.n_videos}))
    return pd.concat(frames, ignore_index=True)



def band_tables(counts: Any, ratios: Sequence[float], widths: Sequence[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The band sweep and the trimap of one network's boundary counts (``counts``: a
    :class:`vsslib.analysis.BoundaryCounts` collected with these ``ratios`` and ``widths``): the tables
    ``boundary_biou_by_dilation`` (mBIoU, class mean, by dilation ratio) and ``boundary_trimap`` (pixel accuracy by
    band width in px, with each band's ``pixels``, which the ground truth alone fixes) of ``05_boundary_analysis``."""
    curve = ratio_rows(counts.band, "mBIoU", {"ratio": list(ratios)}, class_mean=True)
    band_pixels = counts.trimap["baseline"][1][0].sum(axis=0)
    trimap = ratio_rows(counts.trimap, "accuracy", {"width": list(widths), "pixels": band_pixels})
    return curve, trimap

def readable(table: pd.DataFrame, *, digits: int = 1) -> pd.DataFrame:
    """A table for reading: each metric as ``mean ± sd [ci_low, ci_high]`` ("-" where there is none), other
    columns as they are; a gain's p-value column (``<m>_p``) is left out (at 95 % its interval says the same)."""
    out = pd.DataFrame(index=table.index)
    done: set[str] = set()
    for column in table.columns:
        if column in done:
            continue
        low, high, sd = f"{column}_ci_low", f"{column}_ci_high", f"{column}_sd"
        if low in table.columns and high in table.columns:
            def cell(row: pd.Series, c: str = column) -> str:
                if row[c] != row[c]:  # NaN: no such number for this row (a baseline's gain over itself)
                    return "-"
                spread = f" ± {row[f'{c}_sd']:.{digits}f}" if row[f"{c}_sd"] == row[f"{c}_sd"] else ""
                value, low, high = (number(row[k], digits=digits, signed=False) for k in (c, f"{c}_ci_low",
                                                                                        f"{c}_ci_high"))
                return f"{value}{spread} [{low}, {high}]"

            out[column] = table.apply(cell, axis=1)
            done.update({column, low, high, sd, f"{column}_p"})
        else:
            out[column] = _plain_column(table[column])
            done.add(column)
    return out


def _plain_column(values: pd.Series) -> pd.Series:
    """A column without an interval, for reading: floats to 2 decimals, or to 3 significant digits where 2
    decimals would hide a value (a dilation ratio of 0.005 is not "0.00"); other columns as they are."""
    if values.dtype.kind != "f":
        return values
    finite = values[np.isfinite(values) & (values != 0)]
    if len(finite) and (finite.abs() < 0.05).any():
        return values.map(lambda v: f"{v:.3g}" if np.isfinite(v) else "-")
    return values.round(2)


def interval_columns(*statistics: str) -> list[str]:
    """The columns of each statistic with its spread and interval, for selecting table columns.

    ``interval_columns("mIoU", "gain_mIoU")`` is ``["mIoU", "mIoU_sd", "mIoU_ci_low", "mIoU_ci_high",
    "gain_mIoU", "gain_mIoU_sd", "gain_mIoU_ci_low", "gain_mIoU_ci_high"]``, which :func:`readable` shows as
    the two columns ``mIoU`` and ``gain_mIoU``.
    """
    bad = [name for name in statistics if not name or name.endswith(("_sd", "_ci_low", "_ci_high"))]
    if bad:
        raise ParameterError(f"interval_columns takes statistic names such as 'mIoU', got {bad}")
    return [f"{name}{suffix}" for name in statistics for suffix in ("", "_sd", "_ci_low", "_ci_high")]


def gain_supported(row: pd.Series | dict[str, Any], metric: str = "mIoU") -> str:
    """``"gain"``, ``"loss"`` or ``"unclear"``: whether a row's gain interval excludes zero, and on which side."""
    low, high = row[f"gain_{metric}_ci_low"], row[f"gain_{metric}_ci_high"]
    if low > 0:
        return "gain"
    if high < 0:
        return "loss"
    return "unclear"
