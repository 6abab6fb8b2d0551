"""SAM2's own knobs moved one at a time on its masklet source: masklet count, coverage and refined metrics.

Each value of :class:`~vsslib.study.settings.KnobSweepSettings` replaces one knob of the source's settings
(the rest keep its section of the settings file), on the first ``knob_sweep.videos`` evaluated videos. Every
row is approach 1 on those videos for every training seed of one baseline; its ``gain_*`` columns compare the
refined map with the baseline, its ``change_*`` columns with the map refined at the source's own settings (a
paired difference: the same baseline predictions, videos and seeds), so a row says what moving that one knob
did. ``08_sam2_knobs`` shows the table; :func:`vsslib.study.verdicts.knob_findings` states it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..base.errors import ParameterError
from ..masks import masklet_knobs, resolve_masklet_settings
from .notebook_api import Study
from .settings import MASKLET_SECTIONS, StudySettings
from .specs import baseline_names, masklet_settings
from .tables import stats_row

__all__ = ["sweep_source", "sweep_baseline", "masklet_statistics", "sweep_points", "knob_sweep"]


def sweep_source(settings: StudySettings) -> str | None:
    """The SAM2 source whose knobs the sweep moves: the first of ``masklets.sources`` with a section of its own
    (``sam2`` or ``sam2-mini``, :data:`~vsslib.study.settings.MASKLET_SECTIONS`); None when there is none."""
    return next((name for name in settings.masklets.sources if name in MASKLET_SECTIONS), None)


def sweep_baseline(settings: StudySettings) -> str:
    """The baseline whose predictions the sweep refines: ``knob_sweep.network``, or the study's last baseline
    where it is empty.

    Raises
    ------
    ParameterError : ``knob_sweep.network`` names none of the study's baselines (the message lists them).
    """
    names = baseline_names(settings)
    wanted = settings.knob_sweep.network
    if not wanted:
        return names[-1]
    if wanted not in names:
        raise ParameterError(f"knob_sweep.network={wanted!r} is not one of the study's baselines: {', '.join(names)}")
    return wanted


def masklet_statistics(ids: np.ndarray) -> tuple[float, float]:
    """Of an id map ``(T, H, W) int32`` (-1 = no masklet): the mean number of masklets on a frame and the
    percentage of pixels some masklet covers."""
    if ids.ndim != 3:
        raise ParameterError(f"masklet ids of shape {ids.shape}: expected (T, H, W)")
    per_frame = [np.count_nonzero(np.unique(frame) >= 0) for frame in ids]
    return float(np.mean(per_frame)), float(100.0 * np.mean(ids >= 0))


def _current(settings: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        settings = getattr(settings, part)
    return settings


def sweep_points(settings: StudySettings, source: str) -> list[tuple[str, Any, bool, dict[str, Any]]]:
    """The rows of :func:`knob_sweep`, in its order: ``(knob, value, whether it is the source's own value, the
    overrides of the source's settings that make it)``; a knob given no value is left out, its own value added.

    Raises
    ------
    ParameterError : ``source`` does not take one of the swept knobs (the message lists those it takes).
    """
    sweep = settings.knob_sweep
    paths = masklet_knobs(source)
    unknown = [knob for knob in sweep.values() if knob not in paths]
    if unknown:
        raise ParameterError(f"knob_sweep: masklet source {source!r} takes no knob(s) {unknown}; it takes "
                             f"{', '.join(sorted(paths))}")
    own = resolve_masklet_settings(source, **masklet_settings(settings, source))
    points = []
    for knob, values in sweep.values().items():
        if not values:  # a knob given no value to try is left out
            continue
        default = _current(own, paths[knob])
        points += [(knob, value, value == default, {} if value == default else {knob: value})
                   for value in sorted({default, *values})]
    return points


def knob_sweep(study: Study, baseline: str, source: str) -> pd.DataFrame:
    """One row per (knob, value) of ``study.settings.knob_sweep``, the source's own value of each knob included
    (a knob given no value is left out).

    Columns: ``knob``, ``value``, ``default`` (the source's own value), ``masklets_per_frame`` and
    ``coverage`` (%, :func:`masklet_statistics`, mean over the videos), the statistics of the refined map with
    ``gain_*`` over the baseline (:func:`~vsslib.study.tables.stats_row`), and ``change_*``: refined here minus
    refined at the source's own settings, with their 95 % intervals over seeds and videos.

    Raises
    ------
    ParameterError : ``source`` does not take one of the swept knobs.
    """
    points = sweep_points(study.settings, source)
    sub = study.first_videos(study.settings.knob_sweep.videos)
    reference = sub.refine_seeds(baseline, source)
    rows = []
    for knob, value, default, overrides in points:
        runs = sub.refine_seeds(baseline, source, **overrides) if overrides else reference
        counts = [masklet_statistics(sub.masklets(source, name, **overrides)) for name in sub.videos()]
        row = stats_row(runs, "refined", against="baseline", baseline=baseline, masklets=source, knob=knob,
                        value=value, default=default, masklets_per_frame=float(np.mean([c[0] for c in counts])),
                        coverage=float(np.mean([c[1] for c in counts])))
        change = stats_row(runs, "refined", against="refined", against_runs=reference)
        row.update({f"change_{k.removeprefix('gain_')}": v for k, v in change.items() if k.startswith("gain_")})
        rows.append(row)
    return pd.DataFrame(rows)
