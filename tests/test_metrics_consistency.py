"""Video consistency VC_n: a 3-frame toy worked out by hand, and VSPW's definition as a per-pixel loop."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vsslib.errors import ParameterError
from vsslib.metrics import consistency_counts, video_consistency

# Three frames of 1 x 3 pixels.
#   pixel 0: gt 0 0 0 (constant)            pred 5 6 6 (changes at frame 1)
#   pixel 1: gt 1 1 2 (changes at frame 2)  pred 5 5 5 (constant)
#   pixel 2: gt 255 255 255 (stays ignore)  pred 3 3 3 (constant)
GT = np.array([[[0, 1, 255]], [[0, 1, 255]], [[0, 2, 255]]], np.uint8)
PRED = np.array([[[5, 5, 3]], [[6, 5, 3]], [[6, 5, 3]]], np.uint8)


def test_three_frame_toy_by_hand() -> None:
    # n = 1: every pixel is constant over one frame: three windows of 3/3
    np.testing.assert_array_equal(video_consistency(GT, PRED, 1), [1.0, 1.0, 1.0])
    # n = 2, window 0 (frames 0-1): G = {0, 1, 2} (ignore staying ignore counts), P = {1, 2} -> 2/3
    #        window 1 (frames 1-2): G = {0, 2}, P = {0, 1, 2} -> 2/2
    np.testing.assert_allclose(video_consistency(GT, PRED, 2), [2 / 3, 1.0])
    # n = 3: one window, the last one, which VSPW's range(T - n) would leave out: G = {0, 2}, P = {1, 2} -> 1/2
    np.testing.assert_allclose(video_consistency(GT, PRED, 3), [1 / 2])
    assert video_consistency(GT, PRED, 4).shape == (0,)  # T < n: no window
    counts = consistency_counts(GT, PRED, (2, 3))
    np.testing.assert_array_equal(counts[2][0], [2, 2])  # |G & P|
    np.testing.assert_array_equal(counts[2][1], [3, 2])  # |G|
    np.testing.assert_array_equal(counts[3][0], [1])
    np.testing.assert_array_equal(counts[3][1], [2])
    assert counts[2][0].dtype == np.int64


def test_window_without_constant_ground_truth_is_nan() -> None:
    gt = np.array([[[0, 1]], [[1, 0]], [[1, 0]]])  # both pixels change at frame 1
    pred = np.zeros_like(gt)
    scores = video_consistency(gt, pred, 2)
    assert np.isnan(scores[0]) and scores[1] == 1.0


def _reference_vc(gt: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    """VSPW's get_common, one pixel at a time, over every window start 0 .. T - n."""
    scores = []
    for i in range(gt.shape[0] - n + 1):
        both = constant = 0
        for r, c in itertools.product(range(gt.shape[1]), range(gt.shape[2])):
            if len(set(gt[i : i + n, r, c].tolist())) == 1:
                constant += 1
                both += len(set(pred[i : i + n, r, c].tolist())) == 1
        scores.append(both / constant if constant else np.nan)
    return np.array(scores, np.float64)


def test_matches_a_per_pixel_loop() -> None:
    rng = np.random.default_rng(2)
    gt = (rng.random((14, 5, 6)) < 0.1).cumsum(axis=0) % 3  # values change now and then
    gt[:, 0, 0] = 255
    pred = (rng.random((14, 5, 6)) < 0.2).cumsum(axis=0) % 4
    for n in (1, 2, 3, 8, 14, 15):
        np.testing.assert_array_equal(video_consistency(gt, pred, n), _reference_vc(gt, pred, n), err_msg=f"n={n}")


def test_long_videos_use_wider_frame_stamps() -> None:
    """More than 256 frames: the last-change frame no longer fits a uint8."""
    rng = np.random.default_rng(9)
    gt = (rng.random((300, 2, 3)) < 0.01).cumsum(axis=0)
    pred = (rng.random((300, 2, 3)) < 0.005).cumsum(axis=0)
    pred[280:, 0, 0] = 7  # one change after frame 256
    for n in (2, 40, 290):
        np.testing.assert_array_equal(video_consistency(gt, pred, n), _reference_vc(gt, pred, n), err_msg=f"n={n}")


def test_lengths_share_one_pass_and_the_last_window_is_kept() -> None:
    rng = np.random.default_rng(3)
    gt = (rng.random((20, 6, 7)) < 0.05).cumsum(axis=0).astype(np.uint8)
    pred = (rng.random((20, 6, 7)) < 0.08).cumsum(axis=0).astype(np.uint8)
    together = consistency_counts(gt, pred, (16, 8, 3))
    assert list(together) == [16, 8, 3]
    for n in (16, 8, 3):
        alone = consistency_counts(gt, pred, (n,))[n]
        np.testing.assert_array_equal(together[n][0], alone[0])
        np.testing.assert_array_equal(together[n][1], alone[1])
        assert together[n][0].shape == (20 - n + 1,)
        # VSPW's script stops one window earlier: its windows are ours without the last
        vspw = _reference_vc(gt, pred, n)[: 20 - n]
        np.testing.assert_array_equal(video_consistency(gt, pred, n)[:-1], vspw)


def test_bad_inputs() -> None:
    with pytest.raises(ParameterError, match=r"\(3, 1, 3\) and \(3, 1, 2\)"):
        video_consistency(GT, PRED[:, :, :2], 2)
    with pytest.raises(ParameterError, match=r"\(T, H, W\) arrays of one shape, got \(1, 3\)"):
        video_consistency(GT[0], PRED[0], 1)
    for n in (0, -1, True, 2.0):
        with pytest.raises(ParameterError, match="must be a positive integer"):
            video_consistency(GT, PRED, n)
    with pytest.raises(ParameterError, match=r"sequence of window lengths, e\.g\. \(8,\)"):
        consistency_counts(GT, PRED, 8)
    with pytest.raises(ParameterError, match="repeat a value"):
        consistency_counts(GT, PRED, (8, 8))
