"""The mask-quality axis: track_ious against a per-object loop, masklet_quality by hand, bad input named."""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.base.errors import DataError, ParameterError
from vsslib.masks import masklet_quality, objects_of, track_ious


def _track_ious_loop(masklets: np.ndarray, instances: np.ndarray, min_fraction: float) -> np.ndarray:
    """Reference: one object at a time, boolean masks, the first best masklet in ascending id order."""
    objects = objects_of(instances[0], min_fraction)
    ids = [i for i in np.unique(masklets[0]) if i >= 0]
    out = np.zeros((len(objects), len(masklets)))
    for k, obj in enumerate(objects):
        if not ids:
            continue
        target = instances[0] == obj
        scores = [((masklets[0] == i) & target).sum() / max(((masklets[0] == i) | target).sum(), 1) for i in ids]
        chosen = ids[int(np.argmax(scores))]
        for t in range(len(masklets)):
            region, truth = masklets[t] == chosen, instances[t] == obj
            union = (region | truth).sum()
            out[k, t] = (region & truth).sum() / union if union else 1.0
    return out


def test_track_ious_equal_a_per_object_loop_on_random_videos() -> None:
    rng = np.random.default_rng(3)
    for trial in range(5):
        instances = rng.integers(0, 6, (6, 3, 4)).repeat(3, axis=1).repeat(3, axis=2).astype(np.int32)
        masklets = np.where(rng.random(instances.shape) < 0.7, instances + 10,
                            rng.integers(-1, 16, instances.shape)).astype(np.int32)
        masklets[2, :4] = 99  # a masklet that appears after the key frame is never chosen
        got = track_ious(masklets, instances, 0.02)
        want = _track_ious_loop(masklets, instances, 0.02)
        assert got.shape == want.shape and got.shape[0] >= 3, trial
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_masklet_quality_by_hand_over_two_windows() -> None:
    instances = np.ones((4, 2, 4), np.int32)
    instances[:, :, 2:] = 2  # two objects, the left and the right half
    masklets = instances.copy()  # exact on frames 0 and 2 (the key frames of window 2) ...
    masklets[1] = 1  # frame 1: masklet 1 covers everything: object 1 IoU 4/8, masklet 2 gone: object 2 IoU 0
    masklets[3, :, 1] = 2  # frame 3: masklet 2 takes a column of object 1: object 1 IoU 2/4, object 2 IoU 4/6
    quality = masklet_quality(masklets, instances, window=2)
    np.testing.assert_allclose(quality, [(1 + 0.5) / 2, (1 + 0) / 2, (1 + 0.5) / 2, (1 + 4 / 6) / 2])
    assert masklet_quality(instances, instances, window=3).tolist() == [1.0, 1.0, 1.0, 1.0]
    none = np.full_like(instances, -1)
    assert masklet_quality(none, instances, window=2).tolist() == [0.0] * 4  # no masklet: every IoU is 0


def test_bad_input_is_named() -> None:
    instances = np.ones((4, 2, 4), np.int32)
    with pytest.raises(DataError, match=r"masklets \(3, 2, 4\) and instances \(4, 2, 4\)"):
        masklet_quality(instances[:3], instances, window=2)
    with pytest.raises(ParameterError, match="window=0"):
        masklet_quality(instances, instances, window=0)
    with pytest.raises(DataError, match="must be equal"):
        track_ious(instances[0], instances[0], 0.1)


def test_vote_ceiling_by_hand() -> None:
    from vsslib.refine import vote_ceiling

    labels = np.array([[[0, 0, 1, 1], [0, 0, 1, 255]]], np.uint8)  # one frame, 7 labelled pixels
    masklets = np.array([[[5, 5, 5, -1], [5, 5, 5, 5]]], np.int32)  # one masklet: class 0 x 4, class 1 x 2
    assert vote_ceiling(labels, masklets, 2) == (5, 7)  # its 2 class-1 pixels become 0; the free pixel keeps 1
    exact = np.array([[[1, 1, 2, 2], [1, 1, 2, 2]]], np.int32)
    assert vote_ceiling(labels, exact, 2) == (7, 7)  # masklets inside objects cost nothing
    assert vote_ceiling(labels, np.full_like(exact, -1), 2) == (7, 7)  # no masklet: nothing changes
    second = np.array([[[1, 1, 1, 1], [1, 1, 0, 255]]], np.uint8)  # masklet 5 holds class 1 x 5, class 0 x 1
    two, both = np.concatenate([labels, second]), np.concatenate([masklets, masklets])
    # one vote over both frames: class 0 x 5 against class 1 x 7, so 1 wins and the 5 class-0 pixels are lost
    assert vote_ceiling(two, both, 2, vote="masklet") == (14 - 5, 14)
    # one vote per frame: frame 1 loses its 2 class-1 pixels, frame 2 its 1 class-0 pixel
    assert vote_ceiling(two, both, 2, vote="frame") == (14 - 3, 14)


def test_crossing_interpolates_the_first_level_crossing_along_sorted_x() -> None:
    from vsslib.masks.quality import crossing

    assert crossing([94, 86, 70], [4, -4, -10]) == pytest.approx(90.0)  # unsorted x: sorted first; 4 -> -4 halfway
    assert crossing([0.0, 0.5, 1.0], [0.9, 0.7, 0.5], level=0.6) == pytest.approx(0.75)  # a falling curve
    assert crossing([0.0, 0.5, 1.0], [0.9, 0.7, 0.5], level=0.7) == 0.5  # reached exactly at a point
    assert crossing([1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]) == 2.0
    assert crossing([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) is None  # never reaches 0
    assert crossing([1.0, 2.0, 3.0, 4.0], [1.0, -1.0, 1.0, -1.0]) == pytest.approx(1.5)  # the first of several
    nan = float("nan")
    assert crossing([1.0, 2.0, 3.0], [1.0, nan, -1.0]) == pytest.approx(2.0)  # NaN left out: 1 -> -1 over [1, 3]
    assert crossing([1.0, nan, 3.0], [1.0, -5.0, -1.0]) == pytest.approx(2.0)
    assert crossing([1.0, 2.0], [nan, nan]) is None
    with pytest.raises(ParameterError, match=r"shapes \(2,\) and \(3,\)"):
        crossing([1.0, 2.0], [1.0, 2.0, 3.0])
