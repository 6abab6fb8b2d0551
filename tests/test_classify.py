"""Approach 2: pooling, targets, the MLP and the combination rules."""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.classify import (AppearanceFeatures, MaskletClassifier, MLPSettings, combine, fuse,
                             masklet_targets, pool)
from vsslib.data import Video
from vsslib.errors import ParameterError


def test_pool_by_hand() -> None:
    features = np.array([[[[1.0, 2.0], [3.0, 4.0]],
                          [[10.0, 20.0], [30.0, 40.0]]]], np.float32)  # (T=1, C=2, 2, 2)
    masklets = np.array([[[0, 0, 5, 5],
                          [0, 0, 5, 5],
                          [0, 0, 0, -1],
                          [-1, 0, 0, -1]]], np.int32)  # each feature cell covers a 2x2 block
    ids, vectors = pool(features, masklets)
    assert ids.tolist() == [0, 5]
    # masklet 0: 4 px in cell (0,0)=1; rows 2-3, cols 0-1 -> cell (1,0)=3 (3 px),
    # cols 2-3 -> cell (1,1)=4 (2 px): mean = (4*1 + 3*3 + 2*4) / 9
    np.testing.assert_allclose(vectors[0], [(4 * 1 + 3 * 3 + 2 * 4) / 9, (4 * 10 + 3 * 30 + 2 * 40) / 9], rtol=1e-6)
    np.testing.assert_allclose(vectors[1], [2.0, 20.0])


def test_pool_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(3, 5, 4, 6)).astype(np.float32)
    masklets = rng.integers(-1, 7, size=(3, 16, 24)).astype(np.int32)
    ids, vectors = pool(features, masklets)
    upsampled = np.repeat(np.repeat(features, 4, axis=2), 4, axis=3)  # (3, 5, 16, 24)
    for k, masklet_id in enumerate(ids):
        where = masklets == masklet_id
        expected = upsampled.transpose(0, 2, 3, 1)[where].mean(axis=0)
        np.testing.assert_allclose(vectors[k], expected, rtol=1e-5, atol=1e-6)
    assert ids.tolist() == sorted(set(masklets[masklets >= 0].tolist()))


def test_pool_with_no_masklets() -> None:
    ids, vectors = pool(np.zeros((1, 3, 2, 2), np.float32), np.full((1, 4, 4), -1, np.int32))
    assert ids.shape == (0,) and vectors.shape == (0, 3)


def test_targets_majority_void_and_purity() -> None:
    labels = np.array([[[0, 0, 1, 255],
                        [2, 2, 255, 255]]], np.uint8)
    masklets = np.array([[[3, 3, 3, 9],
                          [4, 4, 9, 9]]], np.int32)
    ids, targets, purity = masklet_targets(labels, masklets, 3)
    assert ids.tolist() == [3, 4, 9]
    assert targets.tolist() == [0, 2, -1]  # masklet 9 is all void: left out
    np.testing.assert_allclose(purity, [2 / 3, 1.0, np.nan])  # no labelled pixel: purity undefined


def test_mlp_learns_a_separable_problem_exactly_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [6, 6], [-6, 6]], np.float32)
    targets = np.repeat(np.arange(3), 20)
    vectors = centres[targets] + rng.normal(0, 0.5, (60, 2)).astype(np.float32)
    settings = MLPSettings(hidden=(16,), epochs=60, batch_size=16)
    a = MaskletClassifier(2, 3, settings=settings)
    log = a.fit(vectors, targets, seed=1)
    assert (a.predict(vectors) == targets).all()
    assert log.epoch_loss[-1] < log.epoch_loss[0] / 5
    b = MaskletClassifier(2, 3, settings=settings)
    b.fit(vectors, targets, seed=1)
    np.testing.assert_array_equal(a.predict_proba(vectors), b.predict_proba(vectors))


def test_mlp_save_load_round_trip(tmp_path) -> None:
    model = MaskletClassifier(3, 2, settings=MLPSettings(epochs=2))
    model.fit(np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32), np.array([0, 1] * 5))
    again = MaskletClassifier.load(model.save(tmp_path / "mlp.pt"))
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(model.predict_proba(x), again.predict_proba(x))


def test_combine_three_variants_by_hand() -> None:
    masklets = np.array([[[0, 0, -1],
                          [1, 1, -1]]], np.int32)
    network = np.array([[[2, 2, 2],
                         [0, 1, 1]]], np.uint8)
    none = combine(masklets, np.array([0, 1]), np.array([1, 0]))
    np.testing.assert_array_equal(none, [[[1, 1, 255], [0, 0, 255]]])
    fallback = combine(masklets, np.array([0, 1]), np.array([1, 0]), fallback=network)
    np.testing.assert_array_equal(fallback, [[[1, 1, 2], [0, 0, 1]]])
    # fused: masklet 0's classifier says class 1 (p=0.6) vs class 2 (0.4); the network's votes inside it are
    # 2 x class 2. score(c) = log p(c) + log((n_c + 1) / (2 + 3)): class 1: log .6 + log .2, class 2: log .4 + log .6
    probabilities = np.array([[0.0, 0.6, 0.4], [0.5, 0.3, 0.2]])
    fused = fuse(masklets, np.array([0, 1]), probabilities, network, 3, weight=1.0)
    # masklet 1: votes 0:1, 1:1 -> shares .4, .4, .2 -> scores log(.5*.4), log(.3*.4), log(.2*.2) -> class 0
    np.testing.assert_array_equal(fused, [[[2, 2, 2], [0, 0, 1]]])
    classifier_only = fuse(masklets, np.array([0, 1]), probabilities, network, 3, weight=0.0)
    np.testing.assert_array_equal(classifier_only, [[[1, 1, 2], [0, 0, 1]]])


def test_combine_rejects_mismatches() -> None:
    with pytest.raises(ParameterError, match="2 ids but 1 classes"):
        combine(np.zeros((1, 2, 2), np.int32), np.array([0, 1]), np.array([0]))


def test_appearance_features_shape_and_meaning() -> None:
    frames = np.zeros((2, 16, 24, 3), np.uint8)
    frames[:, :, 12:] = 255  # right half white
    video = Video("v", ["0", "1"], frames)
    features = AppearanceFeatures()(video)
    assert features.shape == (2, 12, 4, 6) and features.dtype == np.float32
    assert features[0, 0, 0, 0] < features[0, 0, 0, 5]  # Lab lightness: black left, white right
    assert features[0, 6, 0, 0] == 0 and features[0, 6, 0, 2] > 0  # gradient energy only near the edge
