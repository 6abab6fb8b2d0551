"""Video consistency VC_n: a 3-frame toy worked out by hand, and VSPW's definition as a per-pixel loop.

The literal transcription of ``VC_perclip.py`` is compared in ``tests/test_official_agreement.py``."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vsslib.base.errors import ParameterError
from vsslib.metrics import (ConsistencyWindows, consistency_and_correct_counts, consistency_counts,
                            correct_consistency_counts, video_consistency, video_correct_consistency,
                            window_count)

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


# ------------------------------------------------------------------------------ correct consistency VCc_n
# Three frames of 1 x 5 pixels (a..e), to tell VC (prediction constant) from VCc (constant and right):
#   a: gt 1 1 1       pred 1 1 1   constant and right
#   b: gt 2 2 2       pred 3 3 3   constant but wrong: in VC's numerator, never in VCc's
#   c: gt 1 1 1       pred 2 1 1   wrong at frame 0, then right; its prediction changes at frame 1
#   d: gt 0 0 3       pred 0 0 3   right throughout; its ground truth changes at frame 2
#   e: gt 255 255 255 pred 4 4 4   ignore: counts as right with ignore_index=255, as wrong without
CGT = np.array([[[1, 2, 1, 0, 255]], [[1, 2, 1, 0, 255]], [[1, 2, 1, 3, 255]]], np.uint8)
CPRED = np.array([[[1, 3, 2, 0, 4]], [[1, 3, 1, 0, 4]], [[1, 3, 1, 3, 4]]], np.uint8)


def test_correct_consistency_toy_by_hand() -> None:
    # n = 2, window 0 (frames 0-1): G = {a,b,c,d,e}, P = {a,b,d,e}, right in both frames: {a,d,e} (c wrong at 0)
    #   -> VC 4/5, VCc 3/5 (2/5 without ignore_index: e is then wrong)
    # n = 2, window 1 (frames 1-2): G = {a,b,c,e}, P = {a,b,c,e}, right: {a,c,e} -> VC 4/4, VCc 3/4 (2/4)
    # n = 3, window 0: G = {a,b,c,e}, P = {a,b,e}, right in all three: {a,e} -> VC 3/4, VCc 2/4 (1/4)
    # n = 1: G = P = all 5; right at frame 0: {a,d,e}, at frames 1 and 2: {a,c,d,e} -> VCc 3/5, 4/5, 4/5
    both = consistency_and_correct_counts(CGT, CPRED, (1, 2, 3), windows="all", ignore_index=255)
    np.testing.assert_array_equal(both[2][0], [4, 4])  # |G & P|
    np.testing.assert_array_equal(both[2][1], [3, 3])  # |G & P & C|
    np.testing.assert_array_equal(both[2][2], [5, 4])  # |G|
    np.testing.assert_array_equal(both[3][0], [3])
    np.testing.assert_array_equal(both[3][1], [2])
    np.testing.assert_array_equal(both[3][2], [4])
    np.testing.assert_array_equal(both[1][1], [3, 4, 4])
    assert all(a.dtype == np.int64 for counts in both.values() for a in counts)
    np.testing.assert_allclose(video_consistency(CGT, CPRED, 2, windows="all"), [4 / 5, 1.0])
    np.testing.assert_allclose(video_correct_consistency(CGT, CPRED, 2, windows="all", ignore_index=255),
                               [3 / 5, 3 / 4])
    np.testing.assert_allclose(video_correct_consistency(CGT, CPRED, 2, windows="all"), [2 / 5, 2 / 4])
    np.testing.assert_allclose(video_correct_consistency(CGT, CPRED, 3, windows="all"), [1 / 4])
    # VSPW's windows: start 0 only for n = 2, none for n = 3 = T
    np.testing.assert_allclose(video_correct_consistency(CGT, CPRED, 2, ignore_index=255), [3 / 5])
    assert video_correct_consistency(CGT, CPRED, 3).shape == (0,)
    # the pixel that is constant but wrong (b) alone: VC 1, VCc 0
    only_b = (slice(None), slice(None), slice(1, 2))
    assert video_consistency(CGT[only_b], CPRED[only_b], 2, windows="all").tolist() == [1.0, 1.0]
    assert video_correct_consistency(CGT[only_b], CPRED[only_b], 2, windows="all").tolist() == [0.0, 0.0]
    # correct_consistency_counts is the middle and last arrays of the shared pass
    alone = correct_consistency_counts(CGT, CPRED, (2,), windows="all", ignore_index=255)[2]
    np.testing.assert_array_equal(alone[0], [3, 3])
    np.testing.assert_array_equal(alone[1], [5, 4])


def test_correct_consistency_judges_the_class_labels_and_leaves_vc_alone() -> None:
    """G from raw values, correctness from the labels: raw = labels + 1 gives the counts of the labels alone."""
    raw = CGT.astype(np.int32) + 1
    from_labels = correct_consistency_counts(CGT, CPRED, (2,), windows="all", ignore_index=255)[2]
    from_raw = correct_consistency_counts(raw, CPRED, (2,), windows="all", truth=CGT, ignore_index=255)[2]
    np.testing.assert_array_equal(from_raw[0], from_labels[0])
    np.testing.assert_array_equal(from_raw[1], from_labels[1])
    # compared with the raw values instead, a pixel is right only where pred = label + 1: pixel b (3 = 2 + 1) alone
    assert correct_consistency_counts(raw, CPRED, (2,), windows="all")[2][0].tolist() == [1, 1]
    vc = consistency_counts(CGT, CPRED, (2,), windows="all")[2]
    both = consistency_and_correct_counts(raw, CPRED, (2,), windows="all", truth=CGT)[2]
    np.testing.assert_array_equal(both[0], vc[0])  # VC's counts do not depend on truth
    np.testing.assert_array_equal(both[2], vc[1])
    with pytest.raises(ParameterError, match=r"class labels \(truth\) have shape \(2, 1, 5\), the ground truth "
                                             r"\(3, 1, 5\)"):
        correct_consistency_counts(CGT, CPRED, (2,), truth=CGT[:2])


def _reference_counts(gt: np.ndarray, pred: np.ndarray, truth: np.ndarray, n: int,
                      ignore_index: int | None) -> tuple[list[int], list[int], list[int]]:
    """|G & P|, |G & P & C| and |G| of every window start 0 .. T - n, one window and one pixel at a time."""
    vc, vcc, constant = [], [], []
    for i in range(gt.shape[0] - n + 1):
        counts = [0, 0, 0]
        for r, c in itertools.product(range(gt.shape[1]), range(gt.shape[2])):
            g, p, t = gt[i : i + n, r, c].tolist(), pred[i : i + n, r, c].tolist(), truth[i : i + n, r, c].tolist()
            if len(set(g)) != 1:
                continue
            counts[2] += 1
            if len(set(p)) == 1:
                counts[0] += 1
                counts[1] += all(pk == tk or tk == ignore_index for pk, tk in zip(p, t))
        vc.append(counts[0])
        vcc.append(counts[1])
        constant.append(counts[2])
    return vc, vcc, constant


@pytest.mark.parametrize("frames", [14, 255, 256, 300])  # 256 and more: the stamps (up to T) leave uint8
def test_correct_consistency_matches_a_per_window_loop(frames: int) -> None:
    rng = np.random.default_rng(frames)
    truth = ((rng.random((frames, 3, 4)) < 0.08).cumsum(axis=0) % 3).astype(np.uint8)
    truth[:, 0, 0] = 255
    truth[frames // 2 :, 0, 1] = 255  # ignore from the middle on
    raw = truth.astype(np.int32) * 7 + 1  # raw values: a one-to-one renaming of the labels
    pred = truth.copy()  # right where nothing flips it; flips hold for a few frames
    flips = (rng.random(truth.shape) < 0.05).cumsum(axis=0) % 2 == 1
    pred[flips] = (pred[flips] + 1) % 3
    pred[rng.random(truth.shape) < 0.02] = 2
    pred[-1, 2, 3] = 9  # a wrong value in the last frame only
    lengths = (1, 2, 8, 16) if frames < 100 else (2, 40, 290) if frames == 300 else (2, 100, 254)
    for ignore_index in (255, None):
        for windows in ConsistencyWindows:
            both = consistency_and_correct_counts(raw, pred, lengths, windows=windows, truth=truth,
                                                  ignore_index=ignore_index)
            for n in lengths:
                expected = _reference_counts(raw, pred, truth, n, ignore_index)
                size = window_count(frames, n, windows)
                for got, want, name in zip(both[n], expected, ("|G & P|", "|G & P & C|", "|G|"), strict=True):
                    np.testing.assert_array_equal(got, want[:size], err_msg=f"{name}, n={n}, {windows}")
                assert (both[n][1] <= both[n][0]).all()  # VCc <= VC, window by window
                vc = consistency_counts(raw, pred, (n,), windows=windows)[n]  # VC unchanged by the shared pass
                np.testing.assert_array_equal(vc[0], both[n][0])
                np.testing.assert_array_equal(vc[1], both[n][2])
