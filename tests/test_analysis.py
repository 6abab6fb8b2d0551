"""Analyses: trimap curves, dilation sweeps, object sizes, failure causes and cost, on hand-built cases."""

from __future__ import annotations

import time

import numpy as np
import pytest

from vsslib.analysis import (FailureSettings, biou_by_dilation, diagnose_video, gain_by_object_size, median_seconds,
                             peak_memory_mib, summarise_failures, trimap_accuracy)
from vsslib.metrics import mean_boundary_iou


def test_trimap_accuracy_by_hand() -> None:
    gt = np.array([[[0, 0, 0, 1, 1, 1]]])
    pred = np.array([[[0, 0, 1, 1, 1, 1]]])  # wrong at column 2, on the boundary
    table = trimap_accuracy([gt], [pred], [0, 1, 2])
    # edge pixels (distance 0): columns 2 and 3 -> 1/2; within 1: columns 1-4 -> 3/4; within 2: all -> 5/6
    np.testing.assert_allclose(table["accuracy"], [1 / 2, 3 / 4, 5 / 6])
    assert table["pixels"].tolist() == [2, 4, 6]


def test_biou_by_dilation_equals_the_metric() -> None:
    rng = np.random.default_rng(0)
    gt = np.kron(rng.integers(0, 3, (2, 4, 5)), np.ones((1, 6, 6), int))
    pred = np.where(rng.random(gt.shape) < 0.1, 0, gt)
    table = biou_by_dilation([gt], [pred], 3, [0.02, 0.05])
    for ratio, value in zip(table["ratio"], table["mbiou"]):
        assert value == pytest.approx(mean_boundary_iou(gt, pred, 3, ratio)["mbiou"])


def test_gain_by_object_size_by_hand() -> None:
    instances = np.array([[[1, 1, 1, 1, 2, 2]]])
    gt = np.array([[[0, 0, 0, 0, 1, 1]]])
    baseline = np.array([[[0, 0, 1, 1, 1, 0]]])  # object 1: 2/4, object 2: 1/2
    refined = np.array([[[0, 0, 0, 0, 1, 0]]])  # object 1: 4/4, object 2: 1/2
    table = gain_by_object_size([instances], [gt], [baseline], [refined], [3])
    assert table["size_bin"].tolist() == ["0-2", ">= 3"]
    np.testing.assert_allclose(table["acc_baseline"], [0.5, 0.5])
    np.testing.assert_allclose(table["acc_refined"], [0.5, 1.0])


def _scene():
    """Two frames, window 2. Object 1 (class 0) on the left, object 2 (class 1) on the right."""
    gt = np.zeros((2, 4, 8), np.uint8)
    gt[:, :, 4:] = 1
    instances = np.ones((2, 4, 8), np.int32)
    instances[:, :, 4:] = 2
    return gt, instances


def test_wrong_majority_and_its_miou_cost() -> None:
    gt, instances = _scene()
    masklets = np.where(instances == 1, 0, 1).astype(np.int32)  # perfect masklets
    baseline = gt.copy()
    baseline[:, :, 4:7] = 0  # the network gets most of object 2 wrong (24 of 32 pixels)
    refined = baseline.copy()
    refined[:, :, 4:] = 0  # the vote spreads the mistake over object 2's last column (8 pixels it had right)
    report = diagnose_video("v", gt, instances, baseline, refined, masklets, 2, FailureSettings(window=2))
    assert report.pixels == {"late_entry": 0, "small_or_thin": 0, "drift": 0, "spanning": 0, "wrong_majority": 8}
    table = summarise_failures(report)
    # refined: class 0 IoU 32/64, class 1 IoU 0 -> mIoU 0.25; restored: class 0 32/56, class 1 8/32
    expected = 100 * ((32 / 56 + 8 / 32) / 2 - 0.25)
    assert table.set_index("cause").loc["wrong_majority", "miou_cost"] == pytest.approx(expected)


def test_spanning_masklet() -> None:
    gt, instances = _scene()
    masklets = np.zeros((2, 4, 8), np.int32)
    masklets[:, :, 6:] = 1
    masklets[:, :, :6] = 0  # masklet 0 covers object 1 and a third of object 2: purity 16/24 < 0.8
    baseline = gt.copy()
    refined = np.where(masklets == 0, 0, 1).astype(np.uint8)
    # (tiny scene: no object counts as small or thin here)
    settings = FailureSettings(window=2, small_area=1, thin_width=0)
    report = diagnose_video("v", gt, instances, baseline, refined, masklets, 2, settings)
    assert report.pixels["spanning"] == 16 and sum(report.pixels.values()) == 16


def test_late_entry_is_detected() -> None:
    gt = np.zeros((3, 4, 8), np.uint8)
    instances = np.ones((3, 4, 8), np.int32)
    gt[1:, :, 6:] = 1  # object 2 enters at frame 1, after the key frame 0 of window [0, 3)
    instances[1:, :, 6:] = 2
    masklets = np.zeros((3, 4, 8), np.int32)  # one masklet: the background's, which swallows the newcomer
    baseline = gt.copy()
    refined = np.zeros_like(gt)
    report = diagnose_video("v", gt, instances, baseline, refined, masklets, 2, FailureSettings(window=3, small_area=1))
    assert report.pixels["late_entry"] == 16 and sum(report.pixels.values()) == 16
    assert report.examples[0]["cause"] == "late_entry"


def test_median_seconds_and_peak_memory() -> None:
    assert median_seconds(lambda: time.sleep(0.05), repeat=3) == pytest.approx(0.05, abs=0.03)
    _, small = peak_memory_mib(lambda: np.zeros(10))
    _, big = peak_memory_mib(lambda: np.ones(200 * 2**20 // 8).sum())
    assert big - small > 150
