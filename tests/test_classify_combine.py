"""Masks + classes -> segmentation (vsslib.classify.combine): the three rules on hand-built arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vsslib.classify import combine, fuse, masklet_index, network_votes
from vsslib.base.errors import ParameterError

# One frame, 2 x 3: masklet 0 on the top-left pair, masklet 1 on the bottom-left pair, the right column uncovered.
MASKLETS = np.array([[[0, 0, -1],
                      [1, 1, -1]]], np.int32)
NETWORK = np.array([[[2, 2, 2],
                     [0, 1, 1]]], np.uint8)
IDS = np.array([0, 1])


def test_combine_without_fallback_leaves_uncovered_pixels_none() -> None:
    out = combine(MASKLETS, IDS, np.array([1, 0]))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [[[1, 1, 255], [0, 0, 255]]])


def test_combine_with_fallback_takes_the_network_outside_masklets() -> None:
    out = combine(MASKLETS, IDS, np.array([1, 0]), fallback=NETWORK)
    np.testing.assert_array_equal(out, [[[1, 1, 2], [0, 0, 1]]])


def test_combine_class_minus_one_and_unknown_ids_fall_back() -> None:
    masklets = np.array([[[0, 5, 9, -1]]], np.int32)  # id 5 is not among the ids
    ids = np.array([0, 9])
    np.testing.assert_array_equal(combine(masklets, ids, np.array([-1, 4])), [[[255, 255, 4, 255]]])
    fallback = np.array([[[7, 8, 7, 8]]], np.uint8)
    np.testing.assert_array_equal(combine(masklets, ids, np.array([-1, 4]), fallback=fallback), [[[7, 8, 4, 8]]])


def test_combine_with_no_ids() -> None:
    out = combine(MASKLETS, np.zeros(0, np.int32), np.zeros(0, np.int64), fallback=NETWORK)
    np.testing.assert_array_equal(out, NETWORK)


def test_masklet_index_and_network_votes_by_hand() -> None:
    np.testing.assert_array_equal(masklet_index(MASKLETS, IDS), [[[0, 0, -1], [1, 1, -1]]])
    network = np.array([[[2, 255, 2],
                         [0, 1, 1]]], np.uint8)  # 255 does not vote
    np.testing.assert_array_equal(network_votes(network, MASKLETS, IDS, 3), [[0, 0, 1], [1, 1, 0]])


def test_fuse_by_hand() -> None:
    probabilities = np.array([[0.0, 0.6, 0.4],
                              [0.5, 0.3, 0.2]])
    # masklet 0: the network says 2, 2 -> smoothed shares (1/5, 1/5, 3/5);
    #   scores: log(1e-12 * .2), log(.6 * .2) = log .12, log(.4 * .6) = log .24 -> class 2
    # masklet 1: the network says 0, 1 -> shares (2/5, 2/5, 1/5); scores log .2, log .12, log .04 -> class 0
    # the uncovered column keeps the network's 2 and 1
    np.testing.assert_array_equal(fuse(MASKLETS, IDS, probabilities, NETWORK, 3, weight=1.0),
                                  [[[2, 2, 2], [0, 0, 1]]])
    # weight 0: the classifier alone (argmax p: 1 and 0)
    np.testing.assert_array_equal(fuse(MASKLETS, IDS, probabilities, NETWORK, 3, weight=0.0),
                                  [[[1, 1, 2], [0, 0, 1]]])


def test_fuse_smoothing_decides_how_much_an_unseen_class_is_penalised() -> None:
    probabilities = np.array([[0.0, 0.9, 0.1], [1.0, 0.0, 0.0]])
    # masklet 0 votes (0, 0, 2).  a = 0.01: class 1 log(.9 * .01 / 2.03) = -5.41, class 2 log(.1 * 2.01 / 2.03)
    # = -2.31 -> 2.  a = 100: class 1 log(.9 * 100 / 302) = -1.21, class 2 log(.1 * 102 / 302) = -3.39 -> 1.
    assert math.log(0.9 * 0.01 / 2.03) < math.log(0.1 * 2.01 / 2.03)
    assert math.log(0.9 * 100 / 302) > math.log(0.1 * 102 / 302)
    sharp = fuse(MASKLETS, IDS, probabilities, NETWORK, 3, smoothing=0.01)
    flat = fuse(MASKLETS, IDS, probabilities, NETWORK, 3, smoothing=100.0)
    assert sharp[0, 0, 0] == 2 and flat[0, 0, 0] == 1


def test_fuse_without_voting_pixels_follows_the_classifier() -> None:
    network = np.full_like(NETWORK, 255)
    probabilities = np.array([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]])
    out = fuse(MASKLETS, IDS, probabilities, network, 3, weight=5.0)
    np.testing.assert_array_equal(out, [[[2, 2, 255], [1, 1, 255]]])


def test_fuse_matches_a_plain_loop_on_random_inputs() -> None:
    rng = np.random.default_rng(3)
    num_classes = 4
    masklets = rng.integers(-1, 6, size=(2, 5, 7)).astype(np.int32)
    network = rng.integers(0, num_classes + 1, size=(2, 5, 7)).astype(np.uint8)
    network[network == num_classes] = 255
    ids = np.unique(masklets[masklets >= 0])
    probabilities = rng.dirichlet(np.ones(num_classes), size=len(ids))
    weight, smoothing = 1.7, 0.5
    expected = network.copy()
    for k, masklet_id in enumerate(ids):
        where = masklets == masklet_id
        said = network[where]
        said = said[said < num_classes]
        scores = []
        for c in range(num_classes):
            share = (np.sum(said == c) + smoothing) / (len(said) + smoothing * num_classes)
            scores.append(math.log(probabilities[k, c]) + weight * math.log(share))
        expected[where] = int(np.argmax(scores))
    out = fuse(masklets, ids, probabilities, network, num_classes, weight=weight, smoothing=smoothing)
    np.testing.assert_array_equal(out, expected)


def test_combine_and_fuse_reject_bad_input() -> None:
    with pytest.raises(ParameterError, match="2 ids but 1 classes"):
        combine(MASKLETS, IDS, np.array([0]))
    with pytest.raises(ParameterError, match="strictly ascending"):
        combine(MASKLETS, np.array([1, 0]), np.array([0, 1]))
    with pytest.raises(ParameterError, match=r"fallback of shape \(1, 2, 2\)"):
        combine(MASKLETS, IDS, np.array([0, 1]), fallback=np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ParameterError, match=r"classes must lie in 0..254"):
        combine(MASKLETS, IDS, np.array([0, 255]))
    with pytest.raises(ParameterError, match=r"probabilities of shape \(2, 2\), expected \(2, 3\)"):
        fuse(MASKLETS, IDS, np.full((2, 2), 0.5), NETWORK, 3)
    with pytest.raises(ParameterError, match="smoothing=0"):
        fuse(MASKLETS, IDS, np.full((2, 3), 1 / 3), NETWORK, 3, smoothing=0)
