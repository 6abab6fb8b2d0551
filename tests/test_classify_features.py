"""Feature sources of approach 2 (vsslib.classify.features): meaning of the appearance channels, the
registry, a stand-in network, and SAM2's encoder with random weights."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from skimage.color import rgb2lab

from vsslib.classify import (APPEARANCE_CHANNELS, AppearanceFeatures, SegmenterFeatures, SegmenterFeatureSettings,
                             create_feature_source, list_feature_sources)
from vsslib.data import Video
from vsslib.base.errors import CheckpointError, ParameterError


def _video(frames: np.ndarray) -> Video:
    return Video("v", [f"{t:08d}" for t in range(len(frames))], frames)


def test_appearance_of_flat_colours_matches_skimage_lab() -> None:
    colours = np.array([[255, 255, 255], [255, 0, 0], [30, 120, 200]], np.uint8)
    frames = np.broadcast_to(colours[:, None, None, :], (3, 8, 12, 3)).copy()
    features = AppearanceFeatures()(_video(frames))
    assert features.shape == (3, 12, 2, 3) and features.dtype == np.float32
    assert len(APPEARANCE_CHANNELS) == 12
    expected_lab = rgb2lab(colours[None])[0]  # independent sRGB (D65) -> CIE Lab
    for t in range(3):
        np.testing.assert_allclose(features[t, 0:3], np.broadcast_to(expected_lab[t][:, None, None], (3, 2, 3)),
                                   atol=0.5)
        np.testing.assert_allclose(features[t, 3:], 0.0, atol=1e-3)  # no spread, no gradient, no texture


def test_appearance_of_a_vertical_edge_by_hand() -> None:
    frames = np.zeros((1, 16, 24, 3), np.uint8)
    frames[:, :, 12:] = 255  # L = 0 on columns 0-11, L = 100 on columns 12-23
    f = AppearanceFeatures()(_video(frames))[0]  # (12, 4, 6); cell column 2 = pixels 8-11, 3 = pixels 12-15
    # Sobel / 8 across the step: gx = (100 - 0) * 4 / 8 = 50 on columns 11 and 12, 0 elsewhere; gy = 0.
    # Cell column 2 holds one such column of four: mean |g| = 12.5, energy 0 = sqrt(50^2 / 4) = 25,
    # energy 45 = energy 135 = sqrt((50 cos 45)^2 / 4) = 25 / sqrt 2, energy 90 = 0.
    for col in (2, 3):
        np.testing.assert_allclose(f[6, :, col], 12.5, rtol=1e-4)
        np.testing.assert_allclose(f[7, :, col], 25.0, rtol=1e-4)
        np.testing.assert_allclose(f[8, :, col], 25 / math.sqrt(2), rtol=1e-4)
        np.testing.assert_allclose(f[10, :, col], 25 / math.sqrt(2), rtol=1e-4)
        np.testing.assert_allclose(f[9, :, col], 0.0, atol=1e-4)
        # roughness: the 3x3 window on column 11 (or 12) holds 0, 0, 100 (or 0, 100, 100): variance 20000 / 9;
        # one column in four -> mean 5000 / 9
        np.testing.assert_allclose(f[11, :, col], math.sqrt(5000 / 9), rtol=1e-3)
        # lightness std over the cell: all 0 (column 2) or all 100 (column 3) -> 0
        np.testing.assert_allclose(f[3, :, col], 0.0, atol=1e-2)
    np.testing.assert_allclose(f[6:, :, [0, 1, 4, 5]], 0.0, atol=1e-4)  # flat away from the edge
    np.testing.assert_allclose(f[0, :, :3], 0.0, atol=1e-3)
    np.testing.assert_allclose(f[0, :, 3:], 100.0, atol=1e-3)


def test_appearance_colour_statistics_match_a_plain_loop_over_uneven_cells() -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(2, 10, 14, 3), dtype=np.uint8)  # 10 x 14 -> 3 x 4 cells of 3.3 x 3.5
    source = AppearanceFeatures()
    features = source(_video(frames))
    assert features.shape == (2, 12, 3, 4)
    assert source.cell_size(10, 14) == (10 / 3, 14 / 4)
    for t in range(2):
        lab = cv2.cvtColor(frames[t].astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab).astype(np.float64)
        for i in range(3):
            for j in range(4):
                rows = [r for r in range(10) if int((r + 0.5) * 3 / 10) == i]
                cols = [c for c in range(14) if int((c + 0.5) * 4 / 14) == j]
                block = lab[np.ix_(rows, cols)].reshape(-1, 3)
                np.testing.assert_allclose(features[t, 0:3, i, j], block.mean(axis=0), rtol=1e-4, atol=1e-3)
                np.testing.assert_allclose(features[t, 3:6, i, j], block.std(axis=0), rtol=1e-3, atol=1e-2)


def test_registry_names_and_errors() -> None:
    assert list_feature_sources() == ["appearance", "sam2", "segmenter:fcn16-wide", "segmenter:fcn8-small"]
    assert create_feature_source("appearance", stride=8).grid(128, 224) == (16, 28)
    with pytest.raises(ParameterError, match="unknown feature source 'hog'; valid: appearance, sam2, segmenter"):
        create_feature_source("hog")
    with pytest.raises(ParameterError, match=r"unknown setting\(s\) \['dataset_root'\]; valid: roughness_window, "
                                             r"stride"):
        create_feature_source("appearance", dataset_root="data")
    with pytest.raises(ParameterError, match="unknown segmenter 'nope'"):
        create_feature_source("segmenter:nope", dataset_root="data")
    with pytest.raises(ParameterError, match="needs dataset_root"):
        create_feature_source("segmenter:fcn8-small")
    with pytest.raises(ParameterError, match="stride=0"):
        create_feature_source("appearance", stride=0)


def test_segmenter_source_is_lazy_and_knows_its_grid() -> None:
    source = SegmenterFeatures(SegmenterFeatureSettings("fcn8-small", dataset_root="/nonexistent"))
    assert source.name == "segmenter:fcn8-small" and source.stride == 8.0 and source.channels == 64
    assert source.grid(130, 224) == (17, 28)  # ceil(130 / 8): nothing trained or read yet


class _StandInNetwork:
    """What SegmenterFeatures needs of a network: name, stride, settings.head_width, features(video)."""

    name = "fcn8-small"
    stride = 8

    class settings:  # noqa: N801 - mimics FCNSegmenter.settings
        head_width = 5

    def features(self, video: Video) -> np.ndarray:
        t, h, w = video.frames.shape[:3]
        return np.arange(t * 5 * math.ceil(h / 8) * math.ceil(w / 8), dtype=np.float64).reshape(
            t, 5, math.ceil(h / 8), math.ceil(w / 8))


def test_segmenter_source_wraps_a_given_network() -> None:
    source = create_feature_source("segmenter:fcn8-small", network=_StandInNetwork())
    features = source(_video(np.zeros((2, 16, 20, 3), np.uint8)))
    assert features.shape == (2, 5, 2, 3) and features.dtype == np.float32
    assert source.channels == 5 and source.cell_size(16, 20) == (8.0, 20 / 3)
    assert features[1, 4, 1, 2] == 2 * 5 * 6 - 1


def test_sam2_source_needs_a_checkpoint() -> None:
    with pytest.raises(CheckpointError, match="no SAM2 checkpoint given.*random_weights=True"):
        create_feature_source("sam2")
    with pytest.raises(ParameterError, match="device='tpu'"):
        create_feature_source("sam2", device="tpu", random_weights=True)


@pytest.mark.sam2
def test_sam2_encoder_features_with_random_weights() -> None:
    source = create_feature_source("sam2", random_weights=True)
    frames = np.random.default_rng(0).integers(0, 256, size=(1, 24, 40, 3), dtype=np.uint8)
    features = source(_video(frames))
    assert features.shape == (1, 256, 64, 64) and features.dtype == np.float32
    assert np.isfinite(features).all() and features.std() > 0
    assert source.channels == 256 and source.stride == 16.0
    assert source.cell_size(128, 224) == (2.0, 3.5)  # the frame is squeezed to 1024 x 1024, aspect not kept
