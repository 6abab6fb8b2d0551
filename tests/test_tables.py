"""Table rows: mean and spread over seeds, intervals over videos, gains, and their reading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsslib.metrics import MetricAccumulator
from vsslib.runs import RunResult, VideoRecord
from vsslib.runs.report import summarise
from vsslib.tables import gain_supported, readable, stats_row


def _run(rng: np.random.Generator, flip: float) -> RunResult:
    """Three videos of 20 frames, 3 classes; the baseline flips a share ``flip`` of pixels, 'refined' half of it."""
    records = []
    for v in range(3):
        gt = np.repeat(rng.integers(0, 3, (1, 8, 8)), 20, axis=0).astype(np.uint8)
        counts = {}
        for variant, share in (("baseline", flip), ("refined", flip / 2)):
            pred = gt.copy()
            pred[rng.random(gt.shape) < share] = 0
            counts[variant] = MetricAccumulator(3).update(gt, pred).to_arrays()
        records.append(VideoRecord(video=f"v{v}", frames=20, counts=counts,
                                   seconds={"baseline": 1.0, "masklets": 1.0, "refinement": 0.0}))
    scores = summarise(records, {"baseline": ("baseline",), "refined": ("baseline", "masklets", "refinement")})
    return RunResult(approach="refine", dataset="d", split="val", baseline_name="b", masklet_source="m",
                     class_names=["a", "b", "c"], settings={}, scores=scores, records=records)


def test_row_mean_and_sd_are_over_seeds_and_the_gain_is_paired() -> None:
    rng = np.random.default_rng(0)
    runs = [_run(rng, 0.3), _run(rng, 0.3)]
    row = stats_row(runs, "refined", against="baseline", method="x")
    per_seed = [100 * r.scores["refined"].miou for r in runs]
    assert row["method"] == "x" and row["n_seeds"] == 2 and row["n_videos"] == 3
    assert row["mIoU"] == pytest.approx(np.mean(per_seed), abs=1e-9)
    assert row["mIoU_sd"] == pytest.approx(np.std(per_seed, ddof=1), abs=1e-9)
    gains = [100 * (r.scores["refined"].miou - r.scores["baseline"].miou) for r in runs]
    assert row["gain_mIoU"] == pytest.approx(np.mean(gains), abs=1e-9)
    assert row["gain_mIoU_ci_low"] <= row["gain_mIoU"] <= row["gain_mIoU_ci_high"]
    assert row["gain_mIoU"] > 0 and gain_supported(row) == "gain"
    assert row["fps"] == pytest.approx(10.0)  # 2 s of stages per 20-frame video: 0.1 s a frame


def test_readable_formats_mean_sd_and_interval() -> None:
    table = pd.DataFrame([{"method": "m", "mIoU": 50.0, "mIoU_sd": 1.25, "mIoU_ci_low": 47.0, "mIoU_ci_high": 52.5,
                           "n_seeds": 3}])
    out = readable(table)
    assert list(out.columns) == ["method", "mIoU", "n_seeds"]
    assert out.loc[0, "mIoU"] == "50.0 ± 1.2 [47.0, 52.5]"
    assert gain_supported({"gain_mIoU_ci_low": -1.0, "gain_mIoU_ci_high": 2.0}) == "unclear"
    assert gain_supported({"gain_mIoU_ci_low": -3.0, "gain_mIoU_ci_high": -2.0}) == "loss"
