"""Consistency over time: VSPW's VC_n and correct consistency VCc_n of every window of every video, both maps.

Per window (frames ``t .. t + n - 1``) of every video, for the baseline and the refined map: the pixels whose
ground truth keeps one class through the window, and how many of them also keep one predicted class (VC_n) and
the right one (VCc_n); :func:`consistency_counts` sums them per video for the intervals of
:func:`vsslib.statistics.ratio_summary`. Label maps as in :mod:`vsslib.analysis.boundary`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..base.errors import ParameterError, require_columns
from ..metrics import video_consistency, video_correct_consistency
from ._maps import LabelVideos, paired_videos

__all__ = ["consistency_over_time", "consistency_counts"]


def consistency_over_time(gt: LabelVideos, baseline: LabelVideos, refined: LabelVideos, n: int, *,
                          videos: Sequence[str] | None = None, ignore_index: int = 255) -> pd.DataFrame:
    """VC_n and correct consistency VCc_n of every window of every video, for the baseline and the refined maps.

    Parameters
    ----------
    gt, baseline, refined : (T, H, W) array or a sequence of them (one per video): ground truth, two predictions.
    n : window length in frames (VSPW: 8, 16).
    videos : video names (sequence of str); default ``"0"``, ``"1"``, ...
    ignore_index : ground-truth value with no class (VCc_n counts such a pixel as right).

    Returns
    -------
    DataFrame[video, window_start, vc_baseline, vc_refined, vcc_baseline, vcc_refined]
        One row per window (VSPW's: starts ``0 .. T-n-1``; none for a video of n frames or fewer), scores in
        0..1 from :func:`vsslib.metrics.video_consistency` (``vc_*``) and ``video_correct_consistency``
        (``vcc_*``), NaN where no pixel's ground truth is constant.
    """
    triples = paired_videos({"gt": gt, "baseline": baseline, "refined": refined})
    names = [str(k) for k in range(len(triples))] if videos is None else [str(v) for v in videos]
    if len(names) != len(triples):
        raise ParameterError(f"{len(names)} video names for {len(triples)} videos")
    parts = []
    for name, (labels, base, ref) in zip(names, triples, strict=True):
        scores = {f"{kind}_{method}": video_consistency(labels, pred, n) if kind == "vc" else
                  video_correct_consistency(labels, pred, n, ignore_index=ignore_index)
                  for kind in ("vc", "vcc") for method, pred in (("baseline", base), ("refined", ref))}
        parts.append(pd.DataFrame({"video": name, "window_start": np.arange(scores["vc_baseline"].size), **scores}))
    columns = ["video", "window_start", "vc_baseline", "vc_refined", "vcc_baseline", "vcc_refined"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def consistency_counts(windows: pd.DataFrame, videos: Sequence[str] | None = None) -> pd.DataFrame:
    """Per video, the sums behind the mean VC_n of each method and the share of windows refinement steadies.

    Parameters
    ----------
    windows : :func:`consistency_over_time` output, DataFrame[video, window_start, vc_baseline, vc_refined].
    videos : the videos to report, in this order (a video too short for a window has no row in ``windows``
        and gets zeros); default: those of ``windows`` in order of first appearance.

    Returns
    -------
    DataFrame[video, windows, vc_baseline_sum, vc_refined_sum, refined_better, (vcc_baseline_sum, vcc_refined_sum)]
        One row per video: ``windows`` the windows defined for both methods
        (a window is defined by the ground truth alone), ``vc_*_sum`` (``vcc_*_sum``, where ``windows`` has
        VCc_n) the sum of their scores (0..1) and ``refined_better`` how many of them score higher refined than
        baseline in VC_n. Over any set of videos, mean VC_n is ``sum(vc_*_sum) / sum(windows)`` (mVC_n's
        pooling) and the share of steadier windows ``sum(refined_better) / sum(windows)``.
    """
    require_columns(windows, ["video", "vc_baseline", "vc_refined"],
                    "consistency_counts (pass the output of consistency_over_time)", error=ParameterError)
    defined = windows[windows["vc_baseline"].notna() & windows["vc_refined"].notna()]
    videos = list(dict.fromkeys(windows["video"])) if videos is None else [str(v) for v in videos]
    grouped = defined.assign(better=defined["vc_refined"] > defined["vc_baseline"]).groupby("video", sort=False)
    counts = pd.DataFrame({"windows": grouped.size(), "vc_baseline_sum": grouped["vc_baseline"].sum(),
                           "vc_refined_sum": grouped["vc_refined"].sum(), "refined_better": grouped["better"].sum()})
    counts = counts.assign(**{f"{c}_sum": grouped[c].sum() for c in ("vcc_baseline", "vcc_refined") if c in windows})
    counts = counts.reindex(videos).fillna(0).astype({"windows": np.int64, "refined_better": np.int64})
    return counts.rename_axis("video").reset_index()
