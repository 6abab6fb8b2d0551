"""The refiner's gain against measured mask quality: the corruption sweep and the generators on two axes.

The oracle sweep (``refiner_oracle_sweep``) varies the corruption strength s, a knob of this study; a reader
wants to know where the classical generator and sam2-mini sit on it. Both are placed on one measured axis,
the **mask quality** of :func:`vsslib.masks.masklet_quality` (each key-frame object's mean IoU with its
masklet over its window, pooled over the objects of the evaluated videos), and beside it the **vote ceiling**
of :func:`vsslib.refine.vote_ceiling` (the pixel accuracy the refiner reaches with these masklets when the
network is perfect: what masklets spanning classes cost, which object IoU does not see), with the
**coverage** (the share of labelled pixels in some masklet) beside it, since the ceiling counts a pixel in no
masklet as right: a source that covers less sits higher on that axis for that alone. Each row of
:func:`quality_table`
is one kind of masklets with its mask quality (mean and sd over corruption seeds, 95 % interval over
corruption seeds and videos) and the refiner's gains over the baseline, over every training seed of its network
as in the sweep (the oracle rows' gains are the sweep's), so the generators are compared like with like with the
sweep.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..base.errors import DataError
from ..data import IGNORE_INDEX
from ..masks import masklet_quality
from ..refine import vote_ceiling
from ..statistics import ratio_summary
from .notebook_api import Study
from .tables import stats_row

__all__ = ["ground_truth", "quality_sums", "quality_table"]


def ground_truth(study: Study) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per evaluated video, its ``(T, H, W)`` uint8 labels and int instance maps.

    Raises
    ------
    DataError : a video without instance maps (the mask quality needs the dataset's objects).
    """
    dataset = study.dataset()
    truth = {}
    for name in study.videos():
        video = dataset.load(name)
        if video.instances is None:
            raise DataError(f"video {name} of {dataset.root} has no instance maps; the mask quality needs them")
        truth[name] = (video.labels, video.instances)
    return truth


def quality_sums(study: Study, truth: dict[str, tuple[np.ndarray, np.ndarray]], source: str,
                 **mask_overrides: Any) -> np.ndarray:
    """``(V, 5) float64``: per video of ``truth`` (:func:`ground_truth`), from the cached masklets of ``source``
    with ``mask_overrides``: the summed mask quality of its key-frame objects and their count
    (``masklets.window``; objects of at least 1 % of the frame), then the pixels the vote ceiling gets right,
    the labelled pixels (:func:`vsslib.refine.vote_ceiling`, the settings' vote) and the labelled pixels in
    some masklet."""
    settings = study.settings
    num_classes = study.dataset().num_classes
    rows = []
    for name, (labels, instances) in truth.items():
        masklets = study.masklets(source, name, **mask_overrides)
        values = masklet_quality(masklets, instances, window=settings.masklets.window)
        correct, labelled = vote_ceiling(labels, masklets, num_classes, vote=settings.refiner.vote)
        covered = np.count_nonzero((masklets >= 0) & (labels != IGNORE_INDEX))
        rows.append((values.sum(), len(values), correct, labelled, covered))
    return np.asarray(rows, np.float64)


def quality_table(study: Study, baseline: str, sweep: pd.DataFrame) -> pd.DataFrame:
    """One row per kind of masklets: the oracle at every corruption strength of ``sweep`` (the rows of
    ``refiner_oracle_sweep``, whose gains are copied) and every other masklet source of the settings.

    Returns
    -------
    DataFrame[masklets, strength, mask_quality, mask_quality_sd, mask_quality_ci_low, mask_quality_ci_high,
    vote_ceiling(...), labelled_coverage(...), gain_mIoU(+_sd, _ci_low, _ci_high, _p), gain_mBIoU(...), n_seeds,
    n_corruption_seeds, n_videos]; mask quality, vote ceiling and coverage in percent, ``strength`` NaN for a
    generator; ``n_seeds`` the training seeds of the gains, ``n_corruption_seeds`` those of the mask quality,
    vote ceiling and coverage (1 for a generator, whose masklets do not depend on a seed).
    """
    settings = study.settings
    truth = ground_truth(study)
    gains = [f"gain_{m}{suffix}" for m in ("mIoU", "mBIoU") for suffix in ("", "_sd", "_ci_low", "_ci_high", "_p")]
    rows = []
    for _, row in sweep.sort_values("strength").iterrows():
        sums = np.stack([quality_sums(study, truth, "oracle", strength=float(row["strength"]), seed=seed)
                         for seed in settings.masklets.oracle.seeds])  # (S, V, 5)
        rows.append({"masklets": f"oracle, s = {row['strength']:g}", "strength": float(row["strength"]),
                     **_summary(sums), **{c: row[c] for c in gains}, "n_seeds": int(row["n_seeds"]),
                     "n_corruption_seeds": len(sums), "n_videos": sums.shape[1]})
    for source in settings.masklets.sources:
        if source == "oracle":
            continue
        sums = quality_sums(study, truth, source)[None]
        run = stats_row(study.refine_seeds(baseline, source), "refined", against="baseline")
        rows.append({"masklets": source, "strength": np.nan, **_summary(sums), **{c: run[c] for c in gains},
                     "n_seeds": run["n_seeds"], "n_corruption_seeds": 1, "n_videos": sums.shape[1]})
    return pd.DataFrame(rows)


def _summary(sums: np.ndarray) -> dict[str, float]:
    """Mask quality, vote ceiling and coverage (percent) of ``(S, V, 5)`` sums (:func:`quality_sums`): means and sds
    over seeds and the two-level bootstrap intervals of :func:`vsslib.statistics.ratio_summary` (objects and pixels
    pooled over videos)."""
    columns = {}
    for name, (num, den) in {"mask_quality": (0, 1), "vote_ceiling": (2, 3), "labelled_coverage": (4, 3)}.items():
        summary = ratio_summary(sums[:, :, num:num + 1], sums[:, :, den:den + 1])
        columns.update({key: float(values[0]) for key, values in summary.columns(name).items()})
    return columns
