"""The classical masklet source on scenes with a known motion: regions, flow, propagation, windows."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vsslib.base.errors import ParameterError
from vsslib.masks import ClassicalMasklets, ClassicalSettings, FlowSettings, propagate_ids, propose_regions
from vsslib.masks.classical import dense_flow

SIZE = 24  # side of the moving square (px)
START = 16  # row and column of its top-left corner in frame 0


def moving_square(num_frames: int, shift: tuple[float, float], *, height: int = 64, width: int = 96,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A textured orange square translated by ``shift`` (rows, columns) px a frame over a textured blue background.

    Both textures are smoothed Gaussian noise, distinct in colour. Fractional shifts are rendered by
    resampling the square's texture bilinearly, so the motion really is sub-pixel.

    Returns
    -------
    frames : (T, H, W, 3) uint8; truth : (T, H, W) bool, the square (pixels whose centre it covers).
    """
    rng = np.random.default_rng(seed)
    pad = 40
    background = cv2.GaussianBlur(rng.normal(0, 1, (height + pad, width + pad, 3)).astype(np.float32), (0, 0), 1.5)
    background = background * 25 + np.array([60, 110, 170], np.float32)
    texture = cv2.GaussianBlur(rng.normal(0, 1, (SIZE, SIZE, 3)).astype(np.float32), (0, 0), 1.0)
    texture = texture * 30 + np.array([220, 120, 40], np.float32)
    frames, truth = [], []
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    for t in range(num_frames):
        y, x = START + shift[0] * t, START + shift[1] * t
        image = background[pad // 2 : pad // 2 + height, pad // 2 : pad // 2 + width].copy()
        inside = (rows >= y) & (rows < y + SIZE) & (cols >= x) & (cols < x + SIZE)
        moved = cv2.remap(texture, cols - x, rows - y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        image[inside] = moved[inside]
        frames.append(np.clip(image, 0, 255).astype(np.uint8))
        truth.append(inside)
    return np.stack(frames), np.stack(truth)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


# -------------------------------------------------------------------------------------- the pieces
def test_regions_of_a_two_colour_frame_drop_small_ones_and_come_largest_first() -> None:
    frame = np.zeros((20, 30, 3), np.uint8)
    frame[:, 18:] = (200, 40, 40)
    frame[2:5, 2:5] = (40, 200, 40)  # a 9 px speck
    masks = propose_regions(frame, ClassicalSettings(scale=100.0, sigma=0.0, min_size=5, min_area=10))
    assert masks.dtype == bool and masks.shape == (2, 20, 30)
    expected_left = np.zeros((20, 30), bool)
    expected_left[:, :18] = True
    expected_left[2:5, 2:5] = False  # the speck is its own region, dropped for being below min_area
    np.testing.assert_array_equal(masks[0], expected_left)  # 351 px
    np.testing.assert_array_equal(masks[1], frame[..., 0] == 200)  # 240 px


def test_dense_flow_measures_a_known_translation() -> None:
    frames, truth = moving_square(2, (1, 2))
    flow = dense_flow(frames[0], frames[1], FlowSettings())
    interior = cv2.erode(truth[0].astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    assert np.median(flow[..., 0][interior]) == pytest.approx(2.0, abs=0.25)  # columns
    assert np.median(flow[..., 1][interior]) == pytest.approx(1.0, abs=0.25)  # rows
    assert np.abs(np.median(flow[~truth[0] & ~truth[1]], axis=0)).max() < 0.25  # the background stays


@pytest.mark.parametrize(("motion", "floor"), [("pixel", 0.95), ("masklet", 0.9)])
def test_propagation_follows_a_known_translation(motion: str, floor: float) -> None:
    frames, truth = moving_square(7, (1, 2))
    ids = propagate_ids(frames, truth[0].astype(np.int32), FlowSettings(), motion=motion)
    assert ids.dtype == np.int32 and ids.shape == (7, 64, 96)
    np.testing.assert_array_equal(ids[0], truth[0])
    for t in range(1, 7):
        assert iou(ids[t] == 1, truth[t]) > floor, t
    if motion == "pixel":
        assert ids.min() == 0  # backward warping gives every pixel an id: no holes


def test_sub_pixel_motion_is_not_rounded_away() -> None:
    """Half a pixel a frame for 12 frames must move the mask 6 px, not leave it where it was."""
    frames, truth = moving_square(13, (0, 0.5))
    ids = propagate_ids(frames, truth[0].astype(np.int32), FlowSettings())
    assert iou(ids[12] == 1, truth[12]) > 0.9
    assert iou(ids[12] == 1, truth[12]) > iou(truth[0], truth[12]) + 0.2


def test_settings_are_validated_with_the_key_and_value() -> None:
    with pytest.raises(ParameterError, match="motion='affine' is not one of pixel, masklet"):
        ClassicalMasklets(motion="affine")
    with pytest.raises(ParameterError, match="poly_n=6 must be 5 or 7"):
        ClassicalMasklets(poly_n=6)
    with pytest.raises(ParameterError, match="winsize=0"):
        FlowSettings(winsize=0)
    with pytest.raises(ParameterError, match="scale=0"):
        ClassicalSettings(scale=0)
    with pytest.raises(ParameterError, match="motion='x' is not one of"):
        propagate_ids(np.zeros((2, 4, 4, 3), np.uint8), np.zeros((4, 4), np.int32), FlowSettings(), motion="x")


# ------------------------------------------------------------------------------------- the source
def test_the_square_keeps_one_masklet_across_window_boundaries() -> None:
    """window=3 on 7 frames: key frames 0, 3 and 6 re-propose, and linking keeps the square's id."""
    frames, truth = moving_square(7, (1, 2))
    source = ClassicalMasklets(window=3, scale=1000.0)
    ids = source(frames)
    assert ids.dtype == np.int32 and ids.shape == (7, 64, 96)
    square = ids[0, START + SIZE // 2, START + SIZE // 2]
    for t in range(7):
        assert iou(ids[t] == square, truth[t]) > 0.9, t
    # the square never shares its id with anything else, and the background keeps one id too
    background = ids[0, 2, 2]
    assert set(np.unique(ids[:, 2, 2]).tolist()) == {background} != {square}
    np.testing.assert_array_equal(source(frames), ids)  # deterministic


def test_progress_bar_is_off_by_default_and_optional(capsys: pytest.CaptureFixture[str]) -> None:
    frames, _ = moving_square(3, (1, 1))
    ClassicalMasklets(window=2)(frames)
    assert capsys.readouterr().err == ""
    quiet = ClassicalMasklets(window=2)(frames)
    np.testing.assert_array_equal(ClassicalMasklets(window=2, progress=True)(frames), quiet)
