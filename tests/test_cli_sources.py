"""``python -m vsslib refine`` run as the README writes it, once for every masklet source that needs no download
(classical, oracle, sam2-mini), on a tiny generated benchmark: each run's written PNGs are what the library's
own parts compute from the same inputs, and its ``metrics.json`` is what the metrics give on those PNGs. A knob
added for one source that broke another's command line fails here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import blocky_benchmark

from vsslib.base.io import read_image
from vsslib.study.cli import main
from vsslib.data import VSPWDataset
from vsslib.base.cache import key_fields
from vsslib.masks import create_masklet_source, resolve_masklet_settings
from vsslib.metrics import MetricAccumulator
from vsslib.refine import refine

# sam2-mini is a real small SAM2 on the CPU: 4 x 4 points and 5-frame windows keep it to seconds
SOURCES = {
    "classical": ["--window", "5"],
    "oracle": ["--oracle-strength", "0.5", "--oracle-seed", "3"],
    "sam2-mini": ["--window", "5", "--points-per-side", "4"],
}
KEYWORDS = {"classical": {"window": 5}, "oracle": {"strength": 0.5, "seed": 3},
            "sam2-mini": {"window": 5, "points_per_side": 4}}


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """2 val videos x 10 frames x 32x48, and blocky ground truth as a coarse network's predictions."""
    return blocky_benchmark(tmp_path_factory.mktemp("sources"), n_val=2, seed=7)


def _scores(dataset: VSPWDataset, folder: Path) -> dict[str, object]:
    metrics = MetricAccumulator(dataset.num_classes)
    for name in dataset.videos:
        video = dataset.load(name)
        predictions = np.stack([read_image(folder / name / f"{f}.png") for f in video.frame_ids])
        metrics.update(video.labels, predictions, raw_gt=video.raw_labels)
    return metrics.result()


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_refine_command_of_every_local_source_writes_what_the_parts_compute(bench, tmp_path: Path, capsys,
                                                                             source: str) -> None:
    root, preds = bench
    out = tmp_path / "out"
    status = main(["refine", "--data", str(root), "--predictions", str(preds), "--masks", source, *SOURCES[source],
                   "--out", str(out), "--cache", str(tmp_path / "cache"), "--no-progress"])
    printed = capsys.readouterr()
    assert status == 0, printed.err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["masklet_source"] == source
    resolved = resolve_masklet_settings(source, **KEYWORDS[source])  # the options, and defaults elsewhere
    assert metrics["settings"]["mask_settings"] == json.loads(json.dumps(key_fields(resolved)))  # reached the source
    assert "device" not in metrics["settings"]["mask_settings"]  # a knob of the sam2 source only
    dataset = VSPWDataset(root, "val")
    masklets_source = create_masklet_source(source, settings=resolved)
    for name in dataset.videos:  # the refined PNGs: the vote over the source's masklets, recomputed here
        video = dataset.load(name)
        baseline = np.stack([read_image(preds / name / f"{f}.png") for f in video.frame_ids])
        written = np.stack([read_image(out / "pred" / name / f"{f}.png") for f in video.frame_ids])
        masklets = masklets_source(video.frames, video)
        assert masklets.shape == video.labels.shape
        assert (masklets >= 0).any() or source == "sam2-mini"  # its weights are replaced later: no claim on its masks
        np.testing.assert_array_equal(written, refine(baseline, masklets, dataset.num_classes, vote="masklet"))
    for key, folder in (("baseline", preds), ("refined", out / "pred")):  # metrics.json: the metrics of the PNGs
        recomputed = _scores(dataset, folder)
        for metric in ("miou", "miou_present", "mbiou", "mvc8"):
            assert abs(metrics[key][metric] - recomputed[metric]) < 1e-9, (key, metric)
    assert f"{100 * metrics['refined']['miou']:.2f}" in printed.out
