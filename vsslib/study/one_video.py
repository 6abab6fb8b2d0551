"""What one video's scores say, for the tour (``00_tour``): descriptions of that video alone, without intervals.

The study's verdicts (:mod:`vsslib.study.verdicts`) rest on intervals over seeds and videos; one video scored with
one training seed has none, so these functions only describe: which metrics a method raised, which moved most.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..base.errors import ParameterError, require_columns
from ..viz.prose import number
from .verdicts import Finding

__all__ = ["video_outcome", "largest_change"]


def video_outcome(scores: pd.DataFrame, method: str, *, reference: str = "baseline",
                  metrics: Sequence[str] = ("mIoU", "mBIoU", "mVC8", "mVC16")) -> Finding:
    """One video's outcome of ``method`` against ``reference`` (a table of one video's scores, index: method):
    ``raised`` when it raises all but at most one of ``metrics`` and more than half of them, ``lowered`` when
    it raises at most one and fewer than half, else ``mixed`` (of 4 metrics: 3-4 raised, 2 mixed, 0-1 lowered;
    of 2: both raised, one mixed, none lowered). One video and one seed: no interval, so the words describe
    that video only and say nothing of success or failure on others."""
    if not metrics:
        raise ParameterError("video_outcome needs at least one metric")
    require_columns(scores, metrics, "per-video scores")
    base, row = scores.loc[reference], scores.loc[method]
    raised, count = sum(float(row[m]) > float(base[m]) for m in metrics), len(metrics)
    outcome = ("raised" if raised >= count - 1 and 2 * raised > count
               else "lowered" if raised <= 1 and 2 * raised < count else "mixed")
    return Finding(f"video_outcome/{method}", outcome, f"{method}: {outcome} on this video, {raised} of "
                   f"{len(metrics)} metrics raised ({', '.join(metrics)})")


def largest_change(scores: pd.DataFrame, *, reference: str = "baseline",
                   metrics: Sequence[str] = ("mIoU", "mBIoU", "mVC8", "mVC16")) -> list[Finding]:
    """For a table of one video's scores (index: method), which metric moves most and least against
    ``reference``, in absolute points, per method (no intervals: one video, one seed)."""
    require_columns(scores, metrics, "per-video scores")
    base = scores.loc[reference]
    findings = []
    for method, row in scores.drop(index=reference).iterrows():
        moves = {m: float(row[m] - base[m]) for m in metrics}
        most = max(moves, key=lambda m: abs(moves[m]))
        least = min(moves, key=lambda m: abs(moves[m]))
        findings.append(Finding(f"largest_change/{method}", f"most {most}; least {least}",
                                f"{method}: of {', '.join(metrics)}, the largest move is {most} "
                                f"({number(moves[most])}), the smallest {least} ({number(moves[least])})."))
    return findings
