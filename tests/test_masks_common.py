"""What every masklet source shares: painting order, settings, registry, windows, linking, discovery, pictures."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vsslib.base.errors import ParameterError
from vsslib.masks import (ClassicalSettings, WindowSettings, check_frames, create_masklet_source, link_ids,
                          list_masklet_sources, mask_iou_matrix, merge_settings, paint, region_iou,
                          relabel_sequential, run_windows, unique_ids)
from vsslib.viz.masks import masklet_colors, masklet_outlines, overlay_masklets


# ------------------------------------------------------------------------------------------- painting
def test_paint_puts_smaller_masks_on_top_whatever_the_input_order() -> None:
    big = np.ones((4, 4), bool)
    small = np.zeros((4, 4), bool)
    small[1:3, 1:3] = True
    expected = np.array([[3, 3, 3, 3],
                         [3, 7, 7, 3],
                         [3, 7, 7, 3],
                         [3, 3, 3, 3]])
    np.testing.assert_array_equal(paint(np.stack([small, big]), np.array([7, 3])), expected)
    np.testing.assert_array_equal(paint(np.stack([big, small]), np.array([3, 7])), expected)
    assert paint(np.stack([big, small]), np.array([3, 7])).dtype == np.int32


def test_paint_leaves_uncovered_pixels_at_minus_one_and_breaks_area_ties_by_input_order() -> None:
    a = np.array([[1, 1, 0, 0]], bool)
    b = np.array([[0, 1, 1, 0]], bool)  # same area as a
    assert paint(np.stack([a, b]), np.array([10, 20])).tolist() == [[10, 10, 20, -1]]
    assert paint(np.stack([b, a]), np.array([20, 10])).tolist() == [[10, 20, 20, -1]]
    assert paint(np.zeros((0, 2, 2), bool), np.zeros(0, int)).tolist() == [[-1, -1], [-1, -1]]


def test_paint_agrees_with_a_plain_loop_on_random_masks() -> None:
    rng = np.random.default_rng(4)
    masks = rng.random((6, 9, 11)) < 0.3
    ids = rng.permutation(100)[:6]
    got = paint(masks, ids)
    expected = np.full((9, 11), -1)
    areas = masks.sum(axis=(1, 2))
    # largest first, so smaller ones overwrite; among equal areas the earlier mask wins, so it goes last
    for n in sorted(range(6), key=lambda n: (-areas[n], -n)):
        expected[masks[n]] = ids[n]
    np.testing.assert_array_equal(got, expected)


def test_relabel_sequential_keeps_the_partition() -> None:
    ids = np.array([[7, 7, -1], [42, 3, 3]])
    assert relabel_sequential(ids).tolist() == [[1, 1, -1], [2, 0, 0]]


def test_check_frames_names_the_problem() -> None:
    with pytest.raises(ParameterError, match=r"\(T, H, W, 3\) RGB, got shape \(4, 5, 3\)"):
        check_frames(np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(ParameterError, match="must be uint8.*float32"):
        check_frames(np.zeros((1, 4, 5, 3), np.float32))
    with pytest.raises(ParameterError, match="empty"):
        check_frames(np.zeros((0, 4, 5, 3), np.uint8))


# ----------------------------------------------------------------------------------- settings, registry
def test_registry_lists_the_three_sources_and_rejects_unknown_names() -> None:
    assert list_masklet_sources() == ["classical", "oracle", "sam2", "sam2-mini"]
    with pytest.raises(ParameterError, match="unknown masklet source 'sam3'; valid: classical, oracle, sam2"):
        create_masklet_source("sam3")
    source = create_masklet_source("classical", window=8, winsize=5, scale=50.0)
    assert source.name == "classical"
    assert (source.settings.windows.window, source.settings.flow.winsize, source.settings.scale) == (8, 5, 50.0)
    assert create_masklet_source("oracle", jitter=2.0).name == "oracle"


def test_settings_are_frozen_hashable_and_validated_with_the_key_and_value() -> None:
    settings = ClassicalSettings()
    with pytest.raises(AttributeError):
        settings.scale = 3.0  # type: ignore[misc]
    assert hash(settings) == hash(ClassicalSettings())
    for kwargs, message in [({"window": 0}, "window=0 must be a positive number of frames"),
                            ({"link_iou": 1.5}, r"link_iou=1.5 must lie in \[0, 1\]"),
                            ({"discover_every": -1}, "discover_every=-1"),
                            ({"window": 2.5}, "window=2.5")]:
        with pytest.raises(ParameterError, match=message):
            WindowSettings(**kwargs)
    with pytest.raises(ParameterError, match=r"unknown classical masklet setting\(s\) \['windw'\]; valid for classical: .*window"):
        create_masklet_source("classical", windw=3)


def test_merge_settings_routes_flat_keys_to_the_nested_dataclass_that_has_them() -> None:
    merged = merge_settings(ClassicalSettings(), {"window": 4, "levels": 2, "min_area": 5}, source="classical")
    assert merged.windows == WindowSettings(window=4)
    assert (merged.flow.levels, merged.min_area) == (2, 5)
    nested = merge_settings(ClassicalSettings(), {"windows": {"link_iou": 0.7}}, source="classical")
    assert nested.windows.link_iou == 0.7 and nested.windows.window == 32


# ------------------------------------------------------------------------------------ IoU and linking
def test_region_iou_on_a_hand_built_pair() -> None:
    a = np.array([[0, 0, 1, 1],
                  [0, 0, 1, -1]])
    b = np.array([[5, 5, 5, 9],
                  [5, 5, 9, 9]])
    a_ids, b_ids, iou = region_iou(a, b)
    assert a_ids.tolist() == [0, 1] and b_ids.tolist() == [5, 9]
    # a0 = 4 px, all in b5 (5 px): 4 / 5; a1 = 3 px: 1 in b5, 2 in b9 (3 px): 1 / 7 and 2 / 4
    np.testing.assert_allclose(iou, [[4 / 5, 0.0], [1 / 7, 2 / 4]])


def test_mask_iou_matrix_agrees_with_a_plain_loop() -> None:
    rng = np.random.default_rng(1)
    masks = rng.random((4, 6, 7)) < 0.4
    id_map = rng.integers(-1, 3, (6, 7))
    region_ids, iou = mask_iou_matrix(masks, id_map)
    assert region_ids.tolist() == [0, 1, 2]
    for n, r in itertools.product(range(4), range(3)):
        region = id_map == r
        assert iou[n, r] == pytest.approx((masks[n] & region).sum() / (masks[n] | region).sum())


def test_link_ids_inherits_by_iou_and_gives_fresh_ids_otherwise() -> None:
    previous = np.array([[5, 5, 9, 9],
                         [5, 5, 9, 9]])
    same = previous == 5  # identical to region 5: IoU 1
    half = np.zeros_like(same)
    half[:, 3] = True  # half of region 9: IoU exactly 0.5, not above 0.5
    ids, next_id = link_ids(np.stack([same, half]), previous, 10, 0.5)
    assert ids.tolist() == [5, 10] and next_id == 11
    ids, next_id = link_ids(np.stack([same, half]), previous, 10, 0.4)
    assert ids.tolist() == [5, 9] and next_id == 10
    ids, next_id = link_ids(np.stack([same, half]), None, 0, 0.5)  # first window: all fresh
    assert ids.tolist() == [0, 1] and next_id == 2


def test_link_ids_is_the_maximum_total_iou_assignment() -> None:
    """Against brute force over all one-to-one assignments, on random partitions with a low threshold."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        previous = rng.integers(-1, 4, (5, 6))
        new_map = rng.integers(0, 4, (5, 6))
        masks = np.stack([new_map == k for k in range(4) if (new_map == k).any()])
        threshold = 0.1
        ids, _ = link_ids(masks, previous, 100, threshold)
        _, region_ids, iou = region_iou(paint(masks, np.arange(len(masks))), previous)
        gain = np.where(iou > threshold, iou, 0.0)
        best = 0.0
        for perm in itertools.permutations(range(max(len(masks), len(region_ids))), len(masks)):
            best = max(best, sum(gain[m, r] for m, r in enumerate(perm) if r < len(region_ids)))
        got = sum(gain[m, list(region_ids).index(i)] for m, i in enumerate(ids) if i < 100)
        assert got == pytest.approx(best)
        assert len(set(ids.tolist())) == len(ids)  # one-to-one, fresh ids unique


# ------------------------------------------------------------------------------------ windows driver
def _static_propagator(frames: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Masks that do not move: the painted key frame repeated."""
    return np.repeat(paint(masks, ids)[None], len(frames), axis=0)


def test_run_windows_proposes_on_key_frames_and_keeps_ids_across_windows() -> None:
    frames = np.zeros((7, 4, 4, 3), np.uint8)
    frames[:, 0, 0, 0] = np.arange(7)  # frame index, so the proposer can tell which frame it sees
    calls: list[int] = []
    lengths: list[int] = []

    def propose(frame: np.ndarray) -> np.ndarray:
        calls.append(int(frame[0, 0, 0]))
        left = np.zeros((4, 4), bool)
        left[:, :2] = True
        return np.stack([left, ~left])

    def propagate(chunk: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
        lengths.append(len(chunk))
        return _static_propagator(chunk, masks, ids)

    out = run_windows(frames, WindowSettings(window=3), propose, propagate)
    assert calls == [0, 3, 6]  # key frames of windows 0-2, 3-5, 6
    assert lengths == [4, 4, 1]  # each window plus the next key frame, where one exists
    assert out.dtype == np.int32 and out.shape == (7, 4, 4)
    np.testing.assert_array_equal(out, np.broadcast_to(out[0], out.shape))  # same two ids in every frame
    assert sorted(np.unique(out).tolist()) == [0, 1]


def test_run_windows_gives_fresh_ids_when_the_next_key_frame_does_not_match() -> None:
    frames = np.zeros((4, 4, 4, 3), np.uint8)
    frames[:, 0, 0, 0] = np.arange(4)

    def propose(frame: np.ndarray) -> np.ndarray:
        mask = np.zeros((1, 4, 4), bool)
        if frame[0, 0, 0] < 2:
            mask[0, :, :1] = True  # a thin strip on the left
        else:
            mask[0, :, 1:] = True  # elsewhere at the second key frame: IoU 0 with the first
        return mask

    out = run_windows(frames, WindowSettings(window=2), propose, _static_propagator)
    assert np.unique(out[:2]).tolist() == [-1, 0]
    assert np.unique(out[2:]).tolist() == [-1, 1]


def test_discovery_adds_a_masklet_for_an_object_appearing_on_uncovered_area() -> None:
    frames = np.zeros((6, 8, 8, 3), np.uint8)
    frames[:, 0, 0, 0] = np.arange(6)
    top = np.zeros((8, 8), bool)
    top[:4] = True
    newcomer = np.zeros((8, 8), bool)
    newcomer[5:, 2:6] = True  # 12 px, on the uncovered bottom half, from frame 2 on

    def propose(frame: np.ndarray) -> np.ndarray:
        return np.stack([top, newcomer]) if frame[0, 0, 0] >= 2 else top[None]

    plain = run_windows(frames, WindowSettings(window=6), propose, _static_propagator)
    assert np.unique(plain).tolist() == [-1, 0]  # the paper's setting: the newcomer waits for the next key frame
    found = run_windows(frames, WindowSettings(window=6, discover_every=2, discover_min_area=11), propose,
                        _static_propagator)
    assert np.unique(found[:2]).tolist() == [-1, 0]
    for t in range(2, 6):  # discovered at frame 2 (the proposal at frame 4 is covered by then)
        np.testing.assert_array_equal(found[t][newcomer], 1)
        np.testing.assert_array_equal(found[t][top], 0)
    strict = run_windows(frames, WindowSettings(window=6, discover_every=2, discover_min_area=12), propose,
                         _static_propagator)
    assert np.unique(strict).tolist() == [-1, 0]  # 12 uncovered px is not more than 12


# ----------------------------------------------------------------------------------------- pictures
def test_masklet_colours_are_fixed_per_id_and_seed() -> None:
    a = masklet_colors(np.array([[-1, 3], [8, 3]]))
    b = masklet_colors(np.array([[3, 100, 8]]))  # other ids present: same colours for 3 and 8
    assert a.dtype == np.uint8 and a.shape == (2, 2, 3)
    assert a[0, 0].tolist() == [0, 0, 0]
    assert a[0, 1].tolist() == a[1, 1].tolist() == b[0, 0].tolist()
    assert a[1, 0].tolist() == b[0, 2].tolist()
    assert a[0, 1].tolist() != a[1, 0].tolist()
    assert masklet_colors(np.array([3]), seed=1).tolist() != masklet_colors(np.array([3]), seed=0).tolist()
    assert masklet_colors(np.arange(50)).min() >= 40


def test_outlines_and_overlay() -> None:
    ids = np.array([[0, 0, 1],
                    [0, 0, 1],
                    [-1, -1, -1]])
    expected = np.array([[0, 1, 1],
                         [1, 1, 1],
                         [1, 1, 1]], bool)
    np.testing.assert_array_equal(masklet_outlines(ids), expected)
    frame = np.full((3, 3, 3), 100, np.uint8)
    out = overlay_masklets(frame, ids, alpha=0.5, outline_color=None)
    assert out[2].tolist() == frame[2].tolist()  # no masklet: the frame itself
    colour = masklet_colors(np.array([0]))[0].astype(float)
    assert out[0, 0].tolist() == np.round(0.5 * 100 + 0.5 * colour).astype(int).tolist()
    assert overlay_masklets(frame, ids)[0, 1].tolist() == [255, 255, 255]
    with pytest.raises(ParameterError, match=r"frame \(3, 3, 3\) and masklet ids \(2, 2\)"):
        overlay_masklets(frame, np.zeros((2, 2), int))


@pytest.mark.parametrize("high", [3, 50, 10**9])  # dense ids, and ids too sparse for a counting table
def test_unique_ids_equals_numpy_unique(high: int) -> None:
    rng = np.random.default_rng(high)
    ids = rng.integers(-1, high, (4, 7, 9))
    values, inverse = unique_ids(ids)
    expected_values, expected_inverse = np.unique(ids, return_inverse=True)
    assert values.tolist() == expected_values.tolist()
    assert inverse.shape == ids.shape and (inverse == expected_inverse.reshape(ids.shape)).all()
    assert (values[inverse] == ids).all()
    assert unique_ids(np.array([-3, 0]))[0].tolist() == [-3, 0]  # below -1: still exact
