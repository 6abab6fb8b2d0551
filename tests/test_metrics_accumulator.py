"""MetricAccumulator: equal to the pure functions, exact whatever the merge order, and cacheable."""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.base.errors import DataError, ParameterError
from vsslib.metrics import (MetricAccumulator, mean_boundary_iou, mean_iou, video_consistency,
                            video_correct_consistency)


def _random_video(rng: np.random.Generator, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Blocky (T, 20, 25) ground truth whose blocks change class now and then, and a noisy prediction."""
    blocks = np.repeat(rng.integers(0, 5, size=(1, 4, 5)), frames, axis=0)
    changes = rng.random(blocks.shape) < 0.05
    blocks[changes] = rng.integers(0, 5, size=int(changes.sum()))
    gt = np.kron(blocks, np.ones((1, 5, 5), np.int64)).astype(np.uint8)
    gt[:, :, :2] = 255
    pred = np.where(rng.random(gt.shape) < 0.1, rng.integers(0, 7, gt.shape), gt).astype(np.uint8)
    return gt, pred


@pytest.fixture(scope="module")
def videos() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    return [_random_video(rng, frames) for frames in (10, 12, 9, 20, 17)]


def test_equals_the_pure_functions(videos: list[tuple[np.ndarray, np.ndarray]]) -> None:
    total = MetricAccumulator(5)
    for gt, pred in videos:
        total.update(gt, pred)
    result = total.result()
    gts = [gt for gt, _ in videos]
    preds = [pred for _, pred in videos]
    miou = mean_iou(gts, preds, 5)
    assert result["miou"] == miou["miou"]
    np.testing.assert_array_equal(result["iou"], miou["iou"])
    assert result["miou_present"] == mean_iou(gts, preds, 5, average="present")["miou"]
    boundary = mean_boundary_iou(gts, preds, 5)
    assert result["mbiou"] == boundary["mbiou"]
    np.testing.assert_array_equal(result["biou"], boundary["biou"])
    for n in (8, 16):  # windows of all videos pooled (only the 17- and 20-frame videos have a 16-frame window)
        windows = np.concatenate([video_consistency(gt, pred, n) for gt, pred in videos])
        assert windows.size == sum(max(gt.shape[0] - n, 0) for gt in gts)  # VC_perclip.py: starts 0 .. T-n-1
        assert result[f"mvc{n}"] == pytest.approx(np.nanmean(windows), rel=1e-15)
        correct = np.concatenate([video_correct_consistency(gt, pred, n, ignore_index=255) for gt, pred in videos])
        assert result[f"mvcc{n}"] == pytest.approx(np.nanmean(correct), rel=1e-15)
        # noise is redrawn every frame, so a pixel whose prediction stays constant is (almost surely) right
        assert result[f"mvcc{n}"] <= result[f"mvc{n}"]
    assert result["frames"] == 68
    assert set(result) == {"miou", "mbiou", "mvc8", "mvc16", "mvcc8", "mvcc16", "iou", "biou", "miou_present",
                           "frames"}
    assert isinstance(result["iou"], list) and isinstance(result["miou"], float)


def test_merge_order_never_changes_the_result(videos: list[tuple[np.ndarray, np.ndarray]], tmp_path) -> None:
    parts = [MetricAccumulator(5).update(gt, pred) for gt, pred in videos]
    forward = MetricAccumulator(5)
    for part in parts:
        forward.merge(part)
    backward = MetricAccumulator(5)
    for k in (3, 1, 4, 0, 2):  # another order, each part through an .npz file as a per-video cache would
        np.savez(tmp_path / f"{k}.npz", **parts[k].to_arrays())
        with np.load(tmp_path / f"{k}.npz") as arrays:
            backward.merge(MetricAccumulator.from_arrays(dict(arrays)))
    tree = MetricAccumulator(5).merge(MetricAccumulator(5).merge(parts[4]).merge(parts[0]))
    tree.merge(MetricAccumulator(5).merge(parts[2]).merge(parts[3]).merge(parts[1]))
    a, b, c = forward.result(), backward.result(), tree.result()
    assert repr(a) == repr(b) == repr(c)  # identical to the last digit (repr: NaN-safe, lists included)


def test_window_scores_are_summed_exactly() -> None:
    """Scores 1/10, 2/10, 3/10: float addition from the left gives 0.6000000000000001 in one order and 0.6 in
    the other; the accumulator rounds the exact sum once (0.6), in either order."""
    assert (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1

    def one_window(numerator: int) -> MetricAccumulator:
        accumulator = MetricAccumulator(2, vc_lengths=(2,))
        arrays = accumulator.to_arrays()
        arrays["vc2_numerators"] = arrays["vcc2_numerators"] = np.array([numerator])
        arrays["vc2_denominators"] = np.array([10])
        return MetricAccumulator.from_arrays(arrays)

    up = MetricAccumulator(2, vc_lengths=(2,))
    down = MetricAccumulator(2, vc_lengths=(2,))
    for numerator in (1, 2, 3):
        up.merge(one_window(numerator))
    for numerator in (3, 2, 1):
        down.merge(one_window(numerator))
    assert up.result()["mvc2"] == down.result()["mvc2"] == 0.6 / 3
    assert up.result()["mvcc2"] == down.result()["mvcc2"] == 0.6 / 3


def test_windows_are_pooled_not_averaged_per_video() -> None:
    gt = np.array([[[0, 1]], [[0, 1]], [[0, 2]]], np.uint8)  # all windows of n = 2: [1/2, 1]
    pred = np.array([[[5, 5]], [[6, 5]], [[6, 5]]], np.uint8)
    still = np.zeros((2, 1, 2), np.uint8)  # one window: G = both pixels, P = neither -> 0
    moving = np.array([[[0, 0]], [[1, 1]]], np.uint8)
    total = MetricAccumulator(7, vc_lengths=(2,), vc_windows="all").update(gt, pred).update(still, moving)
    # pooled: (1/2 + 1 + 0) / 3 = 1/2; the mean of per-video means would be (3/4 + 0) / 2 = 3/8
    assert total.result()["mvc2"] == 0.5
    # VSPW's windows: only the first window of the 3-frame video; the 2-frame video (T = n) is skipped
    official = MetricAccumulator(7, vc_lengths=(2,)).update(gt, pred).update(still, moving)
    assert official.result()["mvc2"] == 0.5
    np.testing.assert_array_equal(official.windows(2)[0], [1])
    np.testing.assert_array_equal(official.windows(2)[1], [2])


def test_empty_accumulator() -> None:
    result = MetricAccumulator(3).result()
    assert np.isnan(result["miou"]) and np.isnan(result["mbiou"]) and np.isnan(result["mvc8"])
    assert result["frames"] == 0 and all(np.isnan(result["iou"]))


def test_same_input_gives_byte_identical_counts(videos: list[tuple[np.ndarray, np.ndarray]]) -> None:
    gt, pred = videos[3]
    a = MetricAccumulator(5).update(gt, pred).to_arrays()
    b = MetricAccumulator(5).update(gt.copy(), pred.copy()).to_arrays()
    assert list(a) == list(b)
    assert all(a[key].tobytes() == b[key].tobytes() and a[key].dtype == b[key].dtype for key in a)


def test_settings_travel_with_the_arrays(tmp_path) -> None:
    for windows, expected_windows in (("all", 2), ("vspw", 1)):
        accumulator = MetricAccumulator(4, dilation_ratio=0.05, vc_lengths=(3,), vc_windows=windows, ignore_index=9)
        accumulator.update(np.zeros((4, 6, 6), np.uint8), np.zeros((4, 6, 6), np.uint8))
        np.savez(tmp_path / "counts.npz", **accumulator.to_arrays())
        with np.load(tmp_path / "counts.npz") as arrays:  # the string setting loads without pickle
            restored = MetricAccumulator.from_arrays(dict(arrays))
        assert restored.settings == {"num_classes": 4, "dilation_ratio": 0.05, "vc_lengths": (3,),
                                     "vc_windows": windows, "ignore_index": 9, "vc_measures": ("vc", "vcc")}
        assert restored.windows(3)[1].tolist() == [36] * expected_windows
        assert repr(restored.result()) == repr(accumulator.result())


def test_the_keys_of_the_arrays_stay() -> None:
    """Other modules (the per-video cache, the bootstrap over videos) read these keys."""
    assert set(MetricAccumulator(3).to_arrays()) == {
        "num_classes", "dilation_ratio", "vc_lengths", "vc_windows", "ignore_index", "frames", "confusion",
        "band_intersection", "band_union", "vc8_numerators", "vc8_denominators", "vc16_numerators",
        "vc16_denominators", "vc_measures", "vcc8_numerators", "vcc16_numerators"}


def test_raw_ground_truth_drives_consistency_only() -> None:
    """Raw VSPW values 0 ("others") and 255 (void) both become 255: VC_perclip.py, reading the raw masks, sees
    a pixel switching between them as a changing ground truth; the remapped labels do not."""
    raw = np.array([[[0, 3]], [[255, 3]], [[0, 3]]], np.uint8)  # pixel 0 alternates others / void
    gt = np.array([[[255, 2]], [[255, 2]], [[255, 2]]], np.uint8)  # remapped: 0, 255 -> 255; 3 -> 2
    pred = np.array([[[1, 2]], [[2, 2]], [[1, 2]]], np.uint8)  # pixel 0 flickers
    remapped = MetricAccumulator(4, vc_lengths=(2,)).update(gt, pred)
    official = MetricAccumulator(4, vc_lengths=(2,)).update(gt, pred, raw_gt=raw)
    # window 0 (frames 0-1): remapped G = both pixels, P = pixel 1 -> 1/2; raw G = pixel 1 only -> 1/1
    assert remapped.windows(2)[0].tolist() == [1] and remapped.windows(2)[1].tolist() == [2]
    assert official.windows(2)[0].tolist() == [1] and official.windows(2)[1].tolist() == [1]
    assert remapped.result()["mvc2"] == 0.5 and official.result()["mvc2"] == 1.0
    # VCc: G as VC's, correctness against gt (pixel 0 is ignore there: no class to be wrong about; pixel 1 is
    # predicted 2 = its class): remapped G & P & C = pixel 1 -> 1/2; raw -> 1/1
    assert remapped.correct_windows(2)[0].tolist() == [1] and official.correct_windows(2)[0].tolist() == [1]
    assert remapped.result()["mvcc2"] == 0.5 and official.result()["mvcc2"] == 1.0
    np.testing.assert_array_equal(official.confusion, remapped.confusion)  # mIoU and mBIoU use gt
    np.testing.assert_array_equal(official.band_union, remapped.band_union)
    with pytest.raises(ParameterError, match=r"raw ground truth of shape \(2, 1, 2\) differs"):
        MetricAccumulator(4).update(gt, pred, raw_gt=raw[:2])


def test_correct_consistency_by_hand_beside_vc() -> None:
    """Two videos pooled: a pixel constant but wrong counts for VC, not for VCc; the windows are VC's."""
    # video 1 (4 frames, 1 x 3): a right and constant, b constant but wrong, c right but flickering 0/1 vs gt 0
    gt1 = np.zeros((4, 1, 3), np.uint8)
    pred1 = np.zeros((4, 1, 3), np.uint8)
    pred1[:, 0, 1] = 2
    pred1[1, 0, 2] = 1
    # video 2 (3 frames, 1 x 2): both right and constant
    gt2 = np.ones((3, 1, 2), np.uint8)
    total = MetricAccumulator(3, vc_lengths=(2,)).update(gt1, pred1).merge(
        MetricAccumulator(3, vc_lengths=(2,)).update(gt2, gt2))
    # VSPW's windows: video 1 starts 0, 1 (frames 0-1, 1-2: c changes in both), video 2 start 0
    # VC windows: 2/3, 2/3, 2/2; VCc windows: 1/3 (a only), 1/3, 2/2
    assert total.windows(2)[0].tolist() == [2, 2, 2] and total.windows(2)[1].tolist() == [3, 3, 2]
    assert total.correct_windows(2)[0].tolist() == [1, 1, 2] and total.correct_windows(2)[1].tolist() == [3, 3, 2]
    result = total.result()
    assert result["mvc2"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3, abs=1e-15)
    assert result["mvcc2"] == pytest.approx((1 / 3 + 1 / 3 + 1) / 3, abs=1e-15)
    restored = MetricAccumulator.from_arrays(total.to_arrays())
    assert restored.result()["mvcc2"] == result["mvcc2"]


def test_counts_without_correct_consistency_are_not_reused() -> None:
    """Counts cached before VCc was counted lack 'vc_measures' and the 'vcc<n>' numerators: rejected, and the
    settings (part of the per-video metric cache's key) differ from theirs, so such a cache entry is not found."""
    old = MetricAccumulator(5).to_arrays()
    for key in ("vc_measures", "vcc8_numerators", "vcc16_numerators"):
        del old[key]
    with pytest.raises(DataError, match="lack the key 'vc_measures'"):
        MetricAccumulator.from_arrays(old)
    arrays = MetricAccumulator(5).to_arrays()
    arrays["vc_measures"] = np.array(["vc"])
    with pytest.raises(DataError, match=r"consistency measures \['vc'\].*delete that cache entry"):
        MetricAccumulator.from_arrays(arrays)
    arrays = MetricAccumulator(5).to_arrays()
    del arrays["vcc8_numerators"]
    with pytest.raises(DataError, match="lack the key 'vcc8_numerators'"):
        MetricAccumulator.from_arrays(arrays)
    arrays = MetricAccumulator(5).to_arrays()
    arrays["vcc8_numerators"] = np.zeros(3, np.int64)
    with pytest.raises(DataError, match=r"vc8 has 0 numerators, 3 correct \(vcc8\) numerators"):
        MetricAccumulator.from_arrays(arrays)
    assert MetricAccumulator(5).settings["vc_measures"] == ("vc", "vcc")


def test_errors_name_the_fault() -> None:
    with pytest.raises(ParameterError, match=r"cannot merge counts made with .*'num_classes': 4"):
        MetricAccumulator(5).merge(MetricAccumulator(4))
    with pytest.raises(ParameterError, match=r"'vc_lengths': \(8,\)"):
        MetricAccumulator(5).merge(MetricAccumulator(5, vc_lengths=(8,)))
    with pytest.raises(ParameterError, match=r"cannot merge counts made with .*'vc_windows': 'all'"):
        MetricAccumulator(5).merge(MetricAccumulator(5, vc_windows="all"))
    with pytest.raises(ParameterError, match=r"windows='last' is not one of 'vspw', 'all'"):
        MetricAccumulator(5, vc_windows="last")
    arrays = MetricAccumulator(5).to_arrays()
    del arrays["vc_windows"]  # counts cached before the setting existed are not reused
    with pytest.raises(DataError, match="lack the key 'vc_windows'"):
        MetricAccumulator.from_arrays(arrays)
    arrays["vc_windows"] = np.array("last")
    with pytest.raises(DataError, match="'vc_windows' is 'last'"):
        MetricAccumulator.from_arrays(arrays)
    arrays = MetricAccumulator(5).to_arrays()
    del arrays["confusion"]
    with pytest.raises(DataError, match="lack the key 'confusion'"):
        MetricAccumulator.from_arrays(arrays)
    arrays = MetricAccumulator(5).to_arrays()
    arrays["band_union"] = np.zeros(4, np.int64)
    with pytest.raises(DataError, match=r"'band_union' has shape \(4,\), expected \(5,\)"):
        MetricAccumulator.from_arrays(arrays)
    with pytest.raises(ParameterError, match=r"one video's \(T, H, W\) label maps, got shape \(6, 6\)"):
        MetricAccumulator(5).update(np.zeros((6, 6), np.uint8), np.zeros((6, 6), np.uint8))
    with pytest.raises(ParameterError, match="dilation_ratio=0 must be a positive number"):
        MetricAccumulator(5, dilation_ratio=0)
    with pytest.raises(DataError, match=r"\[7\]"):
        MetricAccumulator(5).update(np.full((2, 3, 3), 7, np.uint8), np.zeros((2, 3, 3), np.uint8))
