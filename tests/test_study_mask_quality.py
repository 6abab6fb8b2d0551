"""The generators on the corruption sweep's measured axes (``refiner_mask_quality`` in ``03_refiner``), on a tiny
benchmark: every row recomputed without the study's cache (the masklet source called directly, the quality and
the vote ceiling pooled by hand), the oracle at s = 0 exact on both axes, the gains those of the refiner's runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import blocky_benchmark

from vsslib.masks import create_masklet_source, masklet_quality
from vsslib.refine import vote_ceiling
from vsslib.study import Study
from vsslib.study.mask_quality import quality_table
from vsslib.study.settings import StudySettings
from vsslib.study.tables import pooled_stats_row, stats_row


@pytest.fixture(scope="module")
def placed(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("quality")
    root, preds = blocky_benchmark(base, n_val=3, seed=5)
    settings = StudySettings.from_mapping({
        "data": {"dataset": "vspw", "root": str(root)},
        "baselines": {"networks": [], "predictions": [str(preds)], "train_seeds": [0]},
        "masklets": {"sources": ["classical", "oracle"], "window": 5,
                     "oracle": {"strengths": [0.0, 1.0], "seeds": [0, 1]}},
        "run": {"cache_dir": str(base / "cache"), "results_dir": str(base / "results")}})
    study = Study(settings, progress=False)
    baseline = study.baselines()[0]
    sweep = pd.DataFrame([pooled_stats_row(study.refine_corruptions(baseline, s), "refined", against="baseline",
                                           strength=s) for s in (0.0, 1.0)])
    return study, baseline, sweep, quality_table(study, baseline, sweep)


def test_rows_and_the_exact_oracle(placed) -> None:
    _, _, sweep, table = placed
    assert table["masklets"].tolist() == ["oracle, s = 0", "oracle, s = 1", "classical"]
    # a predictions folder has one "training seed"; the oracle rows' quality pools the 2 corruption seeds
    assert table["n_seeds"].tolist() == [1, 1, 1] and table["n_corruption_seeds"].tolist() == [2, 2, 1]
    assert table["n_videos"].tolist() == [3, 3, 3]
    exact = table.iloc[0]
    assert exact["mask_quality"] == pytest.approx(100) and exact["vote_ceiling"] == pytest.approx(100)
    assert exact["labelled_coverage"] == pytest.approx(100)  # every labelled pixel lies in some exact object
    assert exact["mask_quality_sd"] == pytest.approx(0)
    np.testing.assert_allclose(table["gain_mIoU"].iloc[:2], sweep["gain_mIoU"])  # the sweep's own gains
    corrupted = table.iloc[1]
    assert corrupted["mask_quality"] < 100 and corrupted["mask_quality_ci_low"] <= corrupted["mask_quality"]
    # dropped small masks leave their pixels to the network: coverage falls below 100 %
    assert corrupted["labelled_coverage_ci_low"] <= corrupted["labelled_coverage"] < 100


def test_a_generator_row_is_its_masklets_measured_by_hand(placed) -> None:
    study, baseline, _, table = placed
    dataset = study.dataset()
    source = create_masklet_source("classical", window=5)
    quality, objects, correct, labelled, covered = 0.0, 0, 0, 0, 0
    for name in dataset.videos:
        video = dataset.load(name)
        ids = source(video.frames)
        values = masklet_quality(ids, video.instances, window=5)
        quality, objects = quality + values.sum(), objects + len(values)
        right, total = vote_ceiling(video.labels, ids, dataset.num_classes)
        correct, labelled = correct + right, labelled + total
        covered += sum(int(((ids[t] >= 0) & (video.labels[t] != 255)).sum()) for t in range(len(ids)))
    row = table.set_index("masklets").loc["classical"]
    assert row["mask_quality"] == pytest.approx(100 * quality / objects)
    assert row["vote_ceiling"] == pytest.approx(100 * correct / labelled)
    assert row["labelled_coverage"] == pytest.approx(100 * covered / labelled) and covered > 0
    run = stats_row(study.refine_seeds(baseline, "classical"), "refined", against="baseline")
    assert row["gain_mIoU"] == pytest.approx(run["gain_mIoU"]) and row["gain_mBIoU"] == pytest.approx(run["gain_mBIoU"])
    assert np.isnan(row["mask_quality_sd"]) and np.isnan(row["strength"])
