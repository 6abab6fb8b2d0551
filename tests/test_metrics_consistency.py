"""Video consistency VC_n: a 3-frame toy worked out by hand, and VSPW's definition as a per-pixel loop.

The literal transcription of ``VC_perclip.py`` is compared in ``tests/test_official_agreement.py``."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vsslib.errors import ParameterError
from vsslib.metrics import ConsistencyWindows, consistency_counts, video_consistency, window_count

# Three frames of 1 x 3 pixels.
#   pixel 0: gt 0 0 0 (constant)            pred 5 6 6 (changes at frame 1)
#   pixel 1: gt 1 1 2 (changes at frame 2)  pred 5 5 5 (constant)
#   pixel 2: gt 255 255 255 (stays ignore)  pred 3 3 3 (constant)
GT = np.array([[[0, 1, 255]], [[0, 1, 255]], [[0, 2, 255]]], np.uint8)
PRED = np.array([[[5, 5, 3]], [[6, 5, 3]], [[6, 5, 3]]], np.uint8)


def test_three_frame_toy_by_hand() -> None:
    # every window, starts 0 .. T-n ("all")
    # n = 1: every pixel is constant over one frame: three windows of 3/3
    np.testing.assert_array_equal(video_consistency(GT, PRED, 1, windows="all"), [1.0, 1.0, 1.0])
    # n = 2, window 0 (frames 0-1): G = {0, 1, 2} (ignore staying ignore counts), P = {1, 2} -> 2/3
    #        window 1 (frames 1-2): G = {0, 2}, P = {0, 1, 2} -> 2/2
    np.testing.assert_allclose(video_consistency(GT, PRED, 2, windows="all"), [2 / 3, 1.0])
    # n = 3: one window: G = {0, 2}, P = {1, 2} -> 1/2
    np.testing.assert_allclose(video_consistency(GT, PRED, 3, windows="all"), [1 / 2])
    assert video_consistency(GT, PRED, 4, windows="all").shape == (0,)  # T < n: no window
    # VSPW's windows (the default), starts 0 .. T-n-1: the last window is left out, T <= n has none
    np.testing.assert_array_equal(video_consistency(GT, PRED, 1), [1.0, 1.0])
    np.testing.assert_allclose(video_consistency(GT, PRED, 2), [2 / 3])
    assert video_consistency(GT, PRED, 3).shape == (0,)  # T = n: VC_perclip.py skips the video
    assert video_consistency(GT, PRED, 4).shape == (0,)
    counts = consistency_counts(GT, PRED, (2, 3), windows="all")
    np.testing.assert_array_equal(counts[2][0], [2, 2])  # |G & P|
    np.testing.assert_array_equal(counts[2][1], [3, 2])  # |G|
    np.testing.assert_array_equal(counts[3][0], [1])
    np.testing.assert_array_equal(counts[3][1], [2])
    assert counts[2][0].dtype == np.int64
    counts = consistency_counts(GT, PRED, (2, 3))
    np.testing.assert_array_equal(counts[2][0], [2])
    np.testing.assert_array_equal(counts[2][1], [3])
    assert counts[3][0].shape == counts[3][1].shape == (0,) and counts[3][0].dtype == np.int64


def test_window_count() -> None:
    assert [window_count(t, 8) for t in (0, 7, 8, 9, 48)] == [0, 0, 0, 1, 40]
    assert [window_count(t, 8, "all") for t in (0, 7, 8, 9, 48)] == [0, 0, 1, 2, 41]
    assert window_count(10, 3, ConsistencyWindows.VSPW) == 7


def test_window_without_constant_ground_truth_is_nan() -> None:
    gt = np.array([[[0, 1]], [[1, 0]], [[1, 0]]])  # both pixels change at frame 1
    pred = np.zeros_like(gt)
    scores = video_consistency(gt, pred, 2, windows="all")
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
        np.testing.assert_array_equal(video_consistency(gt, pred, n, windows="all"), _reference_vc(gt, pred, n),
                                      err_msg=f"n={n}")
        np.testing.assert_array_equal(video_consistency(gt, pred, n), _reference_vc(gt, pred, n)[: max(14 - n, 0)],
                                      err_msg=f"n={n}")


def test_long_videos_use_wider_frame_stamps() -> None:
    """More than 256 frames: the last-change frame no longer fits a uint8."""
    rng = np.random.default_rng(9)
    gt = (rng.random((300, 2, 3)) < 0.01).cumsum(axis=0)
    pred = (rng.random((300, 2, 3)) < 0.005).cumsum(axis=0)
    pred[280:, 0, 0] = 7  # one change after frame 256
    for n in (2, 40, 290):
        np.testing.assert_array_equal(video_consistency(gt, pred, n, windows="all"), _reference_vc(gt, pred, n),
                                      err_msg=f"n={n}")


def test_lengths_share_one_pass_and_the_last_window_is_optional() -> None:
    rng = np.random.default_rng(3)
    gt = (rng.random((20, 6, 7)) < 0.05).cumsum(axis=0).astype(np.uint8)
    pred = (rng.random((20, 6, 7)) < 0.08).cumsum(axis=0).astype(np.uint8)
    for windows in ConsistencyWindows:
        together = consistency_counts(gt, pred, (16, 8, 3), windows=windows)
        assert list(together) == [16, 8, 3]
        for n in (16, 8, 3):
            alone = consistency_counts(gt, pred, (n,), windows=windows)[n]
            np.testing.assert_array_equal(together[n][0], alone[0])
            np.testing.assert_array_equal(together[n][1], alone[1])
            assert together[n][0].shape == (window_count(20, n, windows),)
    for n in (16, 8, 3):  # VSPW's windows are all windows but the last
        every = video_consistency(gt, pred, n, windows="all")
        np.testing.assert_array_equal(video_consistency(gt, pred, n), every[:-1])


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
    with pytest.raises(ParameterError, match=r"windows='full' is not one of 'vspw', 'all'"):
        video_consistency(GT, PRED, 2, windows="full")
