"""Masklet sources: painting, linking, the classical generator on a known motion, the oracle."""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.data import Video
from vsslib.errors import ParameterError
from vsslib.masks.classical import FlowSettings, propagate_ids
from vsslib.masks import (ClassicalMasklets, OracleMasklets, WindowSettings, components_in_time,
                          create_masklet_source, link_ids, list_masklet_sources, paint, run_windows)


# ------------------------------------------------------------------------------------- shared logic
def test_paint_puts_smaller_masks_on_top() -> None:
    big = np.zeros((4, 4), bool)
    big[:, :] = True
    small = np.zeros((4, 4), bool)
    small[1:3, 1:3] = True
    out = paint(np.stack([small, big]), np.array([7, 3]))  # order of the input does not matter
    expected = np.full((4, 4), 3)
    expected[1:3, 1:3] = 7
    np.testing.assert_array_equal(out, expected)
    assert paint(np.zeros((0, 2, 2), bool), np.zeros(0, int)).tolist() == [[-1, -1], [-1, -1]]


def test_link_ids_inherits_by_iou_and_gives_fresh_ids_otherwise() -> None:
    previous = np.array([[5, 5, 9, 9],
                         [5, 5, 9, 9]])
    a = previous == 5  # identical to region 5
    b = np.zeros_like(a)
    b[:, 3] = True  # half of region 9: IoU 0.5, not above 0.5
    ids, next_id = link_ids(np.stack([a, b]), previous, 10, 0.5)
    assert ids.tolist() == [5, 10] and next_id == 11
    ids, _ = link_ids(np.stack([a, b]), previous, 10, 0.4)
    assert ids.tolist() == [5, 9]


def test_run_windows_calls_the_proposer_on_key_frames_only() -> None:
    frames = np.zeros((7, 4, 4, 3), np.uint8)
    calls = []

    def propose(frame):
        calls.append(int(frame[0, 0, 0]))
        return np.ones((1, 4, 4), bool)

    def propagate(chunk, masks, ids):
        return np.broadcast_to(np.where(masks[0], ids[0], -1), chunk.shape[:3]).astype(np.int32).copy()

    frames[:, 0, 0, 0] = np.arange(7)
    out = run_windows(frames, WindowSettings(window=3), propose, propagate)
    assert calls == [0, 3, 6]  # key frames of windows [0-2], [3-5], [6]
    assert np.unique(out).tolist() == [0]  # the same object keeps its id across windows (IoU 1)


def test_registry_and_unknown_names() -> None:
    assert list_masklet_sources() == ["classical", "oracle", "sam2"]
    with pytest.raises(ParameterError, match="unknown masklet source 'sam3'; valid: classical, oracle, sam2"):
        create_masklet_source("sam3")
    with pytest.raises(ParameterError, match="window=0 must be a positive number of frames"):
        create_masklet_source("classical", window=0)
    with pytest.raises(ParameterError, match=r"unknown classical masklet setting\(s\) \['windw'\]"):
        create_masklet_source("classical", windw=3)


# ------------------------------------------------------------------------------------------ classical
def _textured_scene(num_frames: int, shift: tuple[int, int], *, square_noise: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """A textured square on a differently textured background, translated by ``shift`` per frame."""
    rng = np.random.default_rng(0)
    h, w = 64, 96
    background = np.stack([np.full((h + 40, w + 40), 60), 90 + 30 * (np.indices((h + 40, w + 40))[1] % 8 < 4),
                           np.full((h + 40, w + 40), 160)], axis=-1).astype(np.float32)
    background += rng.normal(0, 6, background.shape)
    square_tex = np.stack([np.full((20, 20), 220), np.full((20, 20), 100), np.full((20, 20), 40)],
                          axis=-1).astype(np.float32) + rng.normal(0, square_noise, (20, 20, 3))
    frames, truth = [], []
    for t in range(num_frames):
        y, x = 20 + shift[0] * t, 20 + shift[1] * t
        image = background[10 : 10 + h, 10 : 10 + w].copy()
        image[y : y + 20, x : x + 20] = square_tex
        mask = np.zeros((h, w), bool)
        mask[y : y + 20, x : x + 20] = True
        frames.append(np.clip(image, 0, 255).astype(np.uint8))
        truth.append(mask)
    return np.stack(frames), np.stack(truth)


def test_flow_propagation_follows_a_known_translation() -> None:
    frames, truth = _textured_scene(7, (1, 2), square_noise=40.0)
    ids = propagate_ids(frames, np.where(truth[0], 1, 0).astype(np.int32), FlowSettings())
    # Farneback measures about 1.9 px for this 2 px a frame motion, so the mask lags ~0.1 px a frame.
    for t in range(1, 7):
        got = ids[t] == 1
        assert (got & truth[t]).sum() / (got | truth[t]).sum() > 0.85, t


def test_sub_pixel_motion_is_not_lost_to_rounding() -> None:
    """An object moving half a pixel a frame must move, not stay put (per-frame rounding would freeze it)."""
    frames, truth = _textured_scene(13, (0, 1), square_noise=40.0)
    slow_frames, slow_truth = frames[[t // 2 for t in range(13)]], truth[[t // 2 for t in range(13)]]
    # interpolate the in-between frames so the motion really is sub-pixel: blend neighbours
    blended = slow_frames.astype(np.float32)
    for t in range(1, 13, 2):
        blended[t] = 0.5 * frames[t // 2] + 0.5 * frames[t // 2 + 1]
    ids = propagate_ids(blended.round().astype(np.uint8), np.where(truth[0], 1, 0).astype(np.int32), FlowSettings())
    got = ids[12] == 1
    assert (got & slow_truth[12]).sum() / (got | slow_truth[12]).sum() > 0.85


def test_classical_masklet_keeps_its_object_across_windows() -> None:
    frames, truth = _textured_scene(7, (1, 2))
    ids = ClassicalMasklets(window=3, scale=300.0, min_area=50)(frames)
    assert ids.dtype == np.int32 and ids.shape == (7, 64, 96)
    square_id = ids[0, 30, 30]  # the masklet proposed on the square's centre at frame 0
    for t in range(7):  # the id survives the window boundaries at frames 3 and 6 (linked by IoU)
        assert ids[t, 30 + t, 30 + 2 * t] == square_id, t
        got = ids[t] == square_id
        assert (got & truth[t]).sum() / (got | truth[t]).sum() > 0.6, t


# -------------------------------------------------------------------------------------------- oracle
def _video_with_instances() -> Video:
    labels = np.zeros((2, 6, 8), np.uint8)
    labels[:, :, 4:] = 1
    labels[:, 0, 0] = 255
    instances = np.ones((2, 6, 8), np.int32)
    instances[:, :, 4:6] = 2
    instances[:, :, 6:] = 3  # two touching instances of class 1
    return Video("v", ["0", "1"], np.zeros((2, 6, 8, 3), np.uint8), labels, instances)


def test_oracle_without_corruption_reproduces_the_instances() -> None:
    video = _video_with_instances()
    ids = OracleMasklets()(video.frames, video)
    expected = np.where(video.labels == 255, -1, video.instances)
    np.testing.assert_array_equal(ids, expected)


def test_connected_components_in_space_and_time() -> None:
    labels = np.array([[[0, 0, 1, 1],
                        [2, 2, 1, 1]],
                       [[0, 255, 1, 0],
                        [2, 2, 1, 0]]], np.uint8)
    comps = components_in_time(labels)
    assert comps[0, 0, 0] == comps[1, 0, 0]  # class 0 continues in time
    assert comps[1, 0, 3] != comps[0, 0, 0]  # a separate piece of class 0
    assert comps[1, 0, 1] == -1  # ignore is no masklet
    assert len(np.unique(comps[comps >= 0])) == 4
    video = Video("v", ["0", "1"], np.zeros((2, 2, 4, 3), np.uint8), labels, None)
    np.testing.assert_array_equal(OracleMasklets()(video.frames, video), comps)


def test_oracle_corruptions_do_what_they_say_and_are_seeded() -> None:
    video = _video_with_instances()
    merged = OracleMasklets(merge=1.0)(video.frames, video)
    # every masklet is merged into a neighbour of another class: instance 1 (class 0) with instance 2 (class 1)
    assert len(np.unique(merged[merged >= 0])) < 3
    split = OracleMasklets(split=1.0, seed=1)(video.frames, video)
    assert len(np.unique(split[split >= 0])) > 3
    dropped = OracleMasklets(drop_below=13)(video.frames, video)
    # instance 2 and 3 have 12 px per frame: dropped; instance 1 has 23 px: kept
    assert np.unique(dropped).tolist() == [-1, 1]
    a = OracleMasklets(strength=0.5, seed=3)(video.frames, video)
    b = OracleMasklets(strength=0.5, seed=3)(video.frames, video)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ParameterError, match="strength=1.5 must lie in"):
        OracleMasklets(strength=1.5)


def test_oracle_needs_ground_truth() -> None:
    with pytest.raises(ParameterError, match="oracle masklets need the video's ground truth"):
        OracleMasklets()(np.zeros((1, 4, 4, 3), np.uint8))
