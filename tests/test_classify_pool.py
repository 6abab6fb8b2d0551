"""Mask pooling (vsslib.classify.pooling): hand-worked cases and a plain per-masklet loop."""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.classify import pixel_cells, pool
from vsslib.base.errors import ParameterError


def _loop_pool(features: np.ndarray, masklets: np.ndarray) -> dict[int, np.ndarray]:
    """Independent route: upsample every frame's features to the frame pixel by pixel, then average per id."""
    num_frames, channels, grid_h, grid_w = features.shape
    _, height, width = masklets.shape
    sums: dict[int, np.ndarray] = {}
    counts: dict[int, int] = {}
    for t in range(num_frames):
        for r in range(height):
            for c in range(width):
                k = int(masklets[t, r, c])
                if k < 0:
                    continue
                row = int((r + 0.5) * grid_h / height)
                col = int((c + 0.5) * grid_w / width)
                sums[k] = sums.get(k, np.zeros(channels)) + features[t, :, row, col]
                counts[k] = counts.get(k, 0) + 1
    return {k: sums[k] / counts[k] for k in sums}


def test_pixel_cells_by_hand() -> None:
    assert pixel_cells(8, 2).tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    # 7 pixels onto 2 cells: centres 0.5..6.5 scaled by 2/7 -> 0.14, 0.43, 0.71, 1.0, 1.29, 1.57, 1.86
    assert pixel_cells(7, 2).tolist() == [0, 0, 0, 1, 1, 1, 1]
    # 224 columns onto SAM2's 64 cells, 3.5 pixels a cell: centres 0.5, 1.5, 2.5 fall in cell 0, 3.5..6.5 in
    # cell 1 (boundary 7.0), so cells alternate 3 and 4 pixels wide
    assert np.bincount(pixel_cells(224, 64))[:4].tolist() == [3, 4, 3, 4]
    assert pixel_cells(3, 3).tolist() == [0, 1, 2]


def test_pool_one_frame_by_hand() -> None:
    features = np.array([[[[1.0, 2.0],
                           [3.0, 4.0]],
                          [[10.0, 20.0],
                           [30.0, 40.0]]]], np.float32)  # (T=1, C=2, h=2, w=2); cell (i, j) covers a 2x2 block
    masklets = np.array([[[7, 7, 2, 2],
                          [7, 7, 2, 2],
                          [7, 7, 7, -1],
                          [-1, 7, 7, -1]]], np.int32)
    ids, vectors = pool(features, masklets)
    assert ids.dtype == np.int32 and vectors.dtype == np.float32
    assert ids.tolist() == [2, 7]  # ascending, -1 ignored
    # masklet 2: the four pixels of cell (0, 1) -> (2, 20)
    np.testing.assert_allclose(vectors[0], [2.0, 20.0])
    # masklet 7: 4 px in cell (0, 0) = 1, 3 px in cell (1, 0) = 3, 2 px in cell (1, 1) = 4 -> (4 + 9 + 8) / 9
    np.testing.assert_allclose(vectors[1], [21 / 9, 210 / 9], rtol=1e-6)


def test_pool_averages_over_frames_by_pixel_count() -> None:
    features = np.stack([np.full((1, 1, 1), 2.0), np.full((1, 1, 1), 8.0)]).astype(np.float32)  # (2, 1, 1, 1)
    masklets = np.full((2, 2, 2), -1, np.int32)
    masklets[0, 0, 0] = 5  # 1 pixel in frame 0 (value 2) ...
    masklets[1] = 5  # ... and 4 pixels in frame 1 (value 8): (2 + 4 * 8) / 5
    ids, vectors = pool(features, masklets)
    assert ids.tolist() == [5]
    np.testing.assert_allclose(vectors, [[34 / 5]], rtol=1e-6)


def test_pool_matches_repeat_upsampling_on_random_inputs() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(3, 5, 4, 6)).astype(np.float32)
    masklets = rng.integers(-1, 9, size=(3, 16, 24)).astype(np.int32)
    masklets[masklets == 4] = 40  # ids need not be contiguous
    ids, vectors = pool(features, masklets)
    upsampled = np.repeat(np.repeat(features, 4, axis=2), 4, axis=3).transpose(0, 2, 3, 1)  # (3, 16, 24, 5)
    assert ids.tolist() == sorted(set(masklets[masklets >= 0].tolist()))
    for k, masklet_id in enumerate(ids):
        expected = upsampled[masklets == masklet_id].astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(vectors[k], expected, rtol=1e-5, atol=1e-6)


def test_pool_matches_a_pixel_loop_when_the_grid_does_not_divide_the_frame() -> None:
    rng = np.random.default_rng(1)
    features = rng.normal(size=(2, 3, 3, 5)).astype(np.float32)
    masklets = rng.integers(-1, 6, size=(2, 7, 11)).astype(np.int32)
    masklets[:, 0, 0] = 9  # a masklet of one pixel per frame
    ids, vectors = pool(features, masklets)
    expected = _loop_pool(features, masklets)
    assert ids.tolist() == sorted(expected)
    for k, masklet_id in enumerate(ids):
        np.testing.assert_allclose(vectors[k], expected[int(masklet_id)], rtol=1e-5, atol=1e-6)


def test_pool_keeps_a_masklet_smaller_than_a_cell() -> None:
    features = np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)
    masklets = np.full((1, 32, 32), 0, np.int32)
    masklets[0, 20, 5] = 3  # one pixel in cell (1, 0)
    ids, vectors = pool(features, masklets)
    assert ids.tolist() == [0, 3]
    np.testing.assert_allclose(vectors[1], [2.0])


def test_pool_with_no_masklet() -> None:
    ids, vectors = pool(np.zeros((2, 3, 2, 2), np.float32), np.full((2, 4, 4), -1, np.int32))
    assert ids.shape == (0,) and ids.dtype == np.int32
    assert vectors.shape == (0, 3) and vectors.dtype == np.float32


def test_pool_rejects_mismatched_frames_and_dtypes() -> None:
    with pytest.raises(ParameterError, match=r"different numbers of frames \(2 and 3\)"):
        pool(np.zeros((2, 3, 2, 2), np.float32), np.zeros((3, 4, 4), np.int32))
    with pytest.raises(ParameterError, match="integer id map"):
        pool(np.zeros((1, 3, 2, 2), np.float32), np.zeros((1, 4, 4), np.float32))
    with pytest.raises(ParameterError, match=r"\(T, C, h, w\) float array, got shape \(3, 2, 2\)"):
        pool(np.zeros((3, 2, 2), np.float32), np.zeros((3, 4, 4), np.int32))
