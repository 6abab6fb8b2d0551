"""Oracle masklets: exact ground-truth objects, class components, and each seeded corruption."""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.data import Video
from vsslib.base.errors import ParameterError
from vsslib.masks import OracleMasklets, OracleSettings, components_in_time, corrupt_masklets, oracle_ids


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two id maps split the pixels identically (ids may differ; -1 must match -1)."""
    if not np.array_equal(a < 0, b < 0):
        return False
    pairs = np.unique(np.stack([a[a >= 0], b[b >= 0]]), axis=1)
    return len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


def street() -> Video:
    """Two frames, 6 x 8: class 0 on the left (instance 1), class 1 on the right as two touching instances
    (2 and 3), one ignored pixel; instance ids are 10x the natural ones to show ids need not be contiguous."""
    labels = np.zeros((2, 6, 8), np.uint8)
    labels[:, :, 4:] = 1
    labels[:, 0, 0] = 255
    instances = np.full((2, 6, 8), 10, np.int32)
    instances[:, :, 4:6] = 20
    instances[:, :, 6:] = 30
    return Video("street", ["00000000", "00000001"], np.zeros((2, 6, 8, 3), np.uint8), labels, instances)


def test_same_partition_helper() -> None:
    a = np.array([[0, 0, 1, -1]])
    assert same_partition(a, np.array([[5, 5, 2, -1]]))
    assert not same_partition(a, np.array([[5, 5, 5, -1]]))  # merged
    assert not same_partition(a, np.array([[5, 6, 2, -1]]))  # split
    assert not same_partition(a, np.array([[5, 5, 2, 3]]))  # -1 differs


# ---------------------------------------------------------------------------------- no corruption
def test_without_corruption_the_instances_come_back_exactly() -> None:
    video = street()
    ids = OracleMasklets()(video.frames, video)
    assert ids.dtype == np.int32 and ids.shape == (2, 6, 8)
    expected = np.where(video.labels == 255, -1, video.instances)
    assert same_partition(ids, expected)
    np.testing.assert_array_equal(ids, expected)  # here even the ids are kept


def test_class_components_in_space_and_time_on_a_hand_built_label_map() -> None:
    labels = np.array([[[0, 0, 1, 1],
                        [2, 2, 1, 1]],
                       [[0, 255, 1, 0],
                        [2, 2, 1, 0]]], np.uint8)
    # written out by hand: class 0 top-left (continues in time), class 1 (continues), class 2 (continues),
    # and a new class-0 piece on the right of frame 1, not touching the first; 255 is no masklet
    expected = np.array([[[0, 0, 1, 1],
                          [2, 2, 1, 1]],
                         [[0, -1, 1, 3],
                          [2, 2, 1, 3]]])
    got = components_in_time(labels)
    assert got.dtype == np.int32
    assert same_partition(got, expected)
    video = Video("v", ["0", "1"], np.zeros((2, 2, 4, 3), np.uint8), labels, None)
    np.testing.assert_array_equal(OracleMasklets()(video.frames, video), got)


def test_components_are_per_class_even_where_classes_touch() -> None:
    labels = np.array([[[0, 1, 0]]], np.uint8)  # one frame, three pixels: two class-0 pieces around a class-1 one
    assert components_in_time(labels).tolist() == [[[0, 1, 2]]]


def test_labelled_pixels_without_an_instance_get_class_components() -> None:
    video = street()
    instances = video.instances.copy()
    instances[:, :, :4] = 0  # the class-0 stuff region has no instance id
    ids = oracle_ids(video.labels, instances)
    expected = np.where(video.labels == 255, -1, video.instances)
    assert same_partition(ids, expected)
    assert ids[0, 3, 0] not in (20, 30)  # a fresh id, not one of the instances


def test_use_instances_false_falls_back_to_components() -> None:
    video = street()
    ids = OracleMasklets(use_instances=False)(video.frames, video)
    assert same_partition(ids, components_in_time(video.labels))  # instances 20 and 30 become one masklet
    assert len(np.unique(ids[ids >= 0])) == 2


# ------------------------------------------------------------------------------------- corruptions
def test_merge_joins_a_masklet_with_its_longest_touching_neighbour_of_another_class() -> None:
    video = street()
    ids = np.where(video.labels == 255, -1, video.instances)
    merged = corrupt_masklets(ids, video.labels, OracleSettings(merge=1.0), 0)
    # 10 (class 0) touches only 20 (class 1): they merge; 20's other-class neighbour is 10 as well; 30 touches
    # only 20, of its own class, so it stays. The merged group takes the smaller id.
    expected = np.where(ids == 20, 10, ids)
    np.testing.assert_array_equal(merged, expected)


def test_split_cuts_each_chosen_masklet_in_two_along_a_line_through_its_centre() -> None:
    ids = np.zeros((1, 10, 10), np.int32)
    ids[0, :, 5:] = 1
    split = corrupt_masklets(ids, np.zeros((1, 10, 10), np.uint8), OracleSettings(split=1.0), 3)
    assert sorted(np.unique(split).tolist()) == [0, 1, 2, 3]  # 0 -> 0 and 2, 1 -> 1 and 3
    for old, new in ((0, 2), (1, 3)):
        inside = ids[0] == old
        assert set(np.unique(split[0][inside]).tolist()) == {old, new}  # only inside the masklet
        halves = [(split[0] == k).sum() for k in (old, new)]
        assert abs(halves[0] - halves[1]) <= 0.5 * inside.sum()  # a line through the centroid: two real parts


def test_jitter_moves_boundaries_only_and_by_at_most_the_amplitude() -> None:
    ids = np.zeros((3, 40, 40), np.int32)
    ids[:, 10:30, 10:30] = 1
    jittered = corrupt_masklets(ids, np.zeros((3, 40, 40), np.uint8), OracleSettings(jitter=3.0), 5)
    changed = jittered != ids
    assert changed.any()
    rows, cols = np.nonzero(changed[0])
    distance = np.minimum.reduce([np.abs(rows - 10), np.abs(rows - 29), np.abs(cols - 10), np.abs(cols - 29)])
    assert distance.max() <= 4  # only within ~jitter px of the square's boundary
    assert not (changed[:, 18:22, 18:22]).any() and not changed[:, :4, :4].any()
    assert not np.array_equal(changed[0], changed[1])  # a new field every frame


def test_drop_below_removes_masklets_smaller_than_n_pixels_in_a_frame() -> None:
    video = street()
    ids = np.where(video.labels == 255, -1, video.instances)
    ids[1, :, 6:] = 40  # instance 30 only in frame 0
    dropped = corrupt_masklets(ids, video.labels, OracleSettings(drop_below=13), 0)
    # instances 20, 30, 40 have 12 px a frame: dropped; instance 10 has 23 px: kept
    assert np.unique(dropped).tolist() == [-1, 10]
    kept = corrupt_masklets(ids, video.labels, OracleSettings(drop_below=12), 0)
    np.testing.assert_array_equal(kept, ids)  # 12 px is not fewer than 12


def test_corruption_is_deterministic_for_a_seed_and_depends_on_it() -> None:
    video = street()
    a = OracleMasklets(strength=0.8, seed=3)(video.frames, video)
    b = OracleMasklets(strength=0.8, seed=3)(video.frames, video)
    assert a.tobytes() == b.tobytes()
    ids = np.zeros((2, 32, 32), np.int32)
    ids[:, :, 16:] = 1
    labels = np.zeros((2, 32, 32), np.uint8)
    one = corrupt_masklets(ids, labels, OracleSettings(jitter=2.0, split=0.5), 1)
    assert one.tobytes() == corrupt_masklets(ids, labels, OracleSettings(jitter=2.0, split=0.5), 1).tobytes()
    assert one.tobytes() != corrupt_masklets(ids, labels, OracleSettings(jitter=2.0, split=0.5), 2).tobytes()


def test_strength_maps_to_all_four_corruptions() -> None:
    assert OracleMasklets(strength=0.5, seed=2).settings == OracleSettings(jitter=2.0, split=0.15, merge=0.15,
                                                                            drop_below=20, seed=2)
    assert OracleMasklets(strength=1.0, jitter=0.0).settings.jitter == 0.0  # explicit keys win
    # the top of the range: split and merge 0.3 x 3 = 0.9, still probabilities
    assert OracleMasklets(strength=3.0).settings == OracleSettings(jitter=12.0, split=0.3 * 3.0, merge=0.3 * 3.0,
                                                                   drop_below=120)
    video = street()
    np.testing.assert_array_equal(OracleMasklets(strength=0.0)(video.frames, video),
                                  OracleMasklets()(video.frames, video))


def test_errors_name_the_value_and_the_fix() -> None:
    with pytest.raises(ParameterError, match=r"strength=3.5 must lie in \[0, 3\]"):
        OracleMasklets(strength=3.5)
    with pytest.raises(ParameterError, match=r"strength=-0.1 must lie in \[0, 3\]"):
        OracleMasklets(strength=-0.1)
    with pytest.raises(ParameterError, match=r"split=2.0 must be a probability in \[0, 1\]"):
        OracleMasklets(split=2.0)
    with pytest.raises(ParameterError, match=r"unknown oracle masklet setting\(s\) \['jiter'\]"):
        OracleMasklets(jiter=1.0)
    with pytest.raises(ParameterError, match="oracle masklets need the video's ground truth"):
        OracleMasklets()(np.zeros((1, 4, 4, 3), np.uint8))
    video = street()
    with pytest.raises(ParameterError, match=r"video 'street': labels of shape \(2, 6, 8\) do not match frames"):
        OracleMasklets()(np.zeros((2, 6, 9, 3), np.uint8), video)
