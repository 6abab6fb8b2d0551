"""The majority-vote refiner (approach 1): hand-worked cases, a plain-loop reference, and properties."""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.base.errors import ParameterError
from vsslib.refine import MaskletVotes, Vote, masklet_votes, refine


def _reference_refine(semantic: np.ndarray, masklets: np.ndarray, num_classes: int, vote: str,
                      ignore_index: int = 255) -> np.ndarray:
    """Deliberately plain: one masklet (or masklet-frame) at a time, one Python counter per class."""
    out = semantic.copy()
    regions = []
    for masklet_id in np.unique(masklets[masklets >= 0]):
        if vote == "masklet":
            regions.append(masklets == masklet_id)
        else:
            for t in range(semantic.shape[0]):
                region = np.zeros(semantic.shape, dtype=bool)
                region[t] = masklets[t] == masklet_id
                if region.any():
                    regions.append(region)
    for region in regions:
        counts = [0] * num_classes
        for value in semantic[region].tolist():
            if value != ignore_index and 0 <= value < num_classes:
                counts[value] += 1
        if max(counts) > 0:
            out[region] = counts.index(max(counts))  # first maximum: the lowest class id wins ties
    return out


def test_hand_worked_two_masklets() -> None:
    semantic = np.array([[[0, 1, 1], [2, 2, 255]]], dtype=np.uint8)
    masklets = np.array([[[0, 0, 0], [1, 1, 1]]], dtype=np.int32)
    # masklet 0 votes {0: 1, 1: 2} -> 1; masklet 1 votes {2: 2} (255 does not vote) -> 2, painted on the 255 too
    expected = np.array([[[1, 1, 1], [2, 2, 2]]], dtype=np.uint8)
    refined = refine(semantic, masklets, 3)
    np.testing.assert_array_equal(refined, expected)
    assert refined.dtype == np.uint8


def test_pixels_outside_masklets_keep_their_value() -> None:
    semantic = np.array([[[3, 1, 1, 0]]], dtype=np.uint8)
    masklets = np.array([[[-1, 7, 7, 7]]], dtype=np.int32)
    np.testing.assert_array_equal(refine(semantic, masklets, 4), [[[3, 1, 1, 1]]])


def test_ties_go_to_the_lowest_class_id() -> None:
    semantic = np.array([[[3, 1, 3, 1, 2]]], dtype=np.uint8)
    masklets = np.array([[[4, 4, 4, 4, 4]]], dtype=np.int32)  # votes {1: 2, 2: 1, 3: 2}
    np.testing.assert_array_equal(refine(semantic, masklets, 4), [[[1, 1, 1, 1, 1]]])


def test_out_of_range_and_ignore_values_do_not_vote() -> None:
    # C = 3: the 7s and 255s outnumber the single 2 but do not vote; the 7 outside any masklet stays 7
    semantic = np.array([[[7, 7, 255, 255, 2, 7]]], dtype=np.uint8)
    masklets = np.array([[[0, 0, 0, 0, 0, -1]]], dtype=np.int32)
    np.testing.assert_array_equal(refine(semantic, masklets, 3), [[[2, 2, 2, 2, 2, 7]]])
    # a custom ignore_index: 0 no longer votes, 255 still out of range
    semantic = np.array([[[0, 0, 0, 1, 255]]], dtype=np.uint8)
    masklets = np.zeros((1, 1, 5), dtype=np.int32)
    np.testing.assert_array_equal(refine(semantic, masklets, 3, ignore_index=0), [[[1, 1, 1, 1, 1]]])


def test_masklet_without_a_vote_keeps_the_semantic_values() -> None:
    semantic = np.array([[[255, 9, 1, 1]]], dtype=np.uint8)
    masklets = np.array([[[5, 5, 6, 6]]], dtype=np.int32)
    np.testing.assert_array_equal(refine(semantic, masklets, 3), [[[255, 9, 1, 1]]])


def test_adjacent_masklets_and_sparse_ids() -> None:
    semantic = np.array([[[0, 0, 1, 2, 2, 2],
                          [0, 1, 1, 2, 1, 2]]], dtype=np.uint8)
    # adjacent masklets with ids far apart (the sort route of the id compaction) and a small one
    masklets = np.array([[[3, 3, 3, 2_000_000_000, 2_000_000_000, 2_000_000_000],
                          [3, 3, 3, 2_000_000_000, 0, 0]]], dtype=np.int32)
    expected = np.array([[[0, 0, 0, 2, 2, 2],  # masklet 3: {0: 3, 1: 3} -> 0 (tie)
                          [0, 0, 0, 2, 1, 1]]], dtype=np.uint8)  # masklet 0: {1: 1, 2: 1} -> 1 (tie)
    np.testing.assert_array_equal(refine(semantic, masklets, 3), expected)
    np.testing.assert_array_equal(refine(semantic, masklets, 3), _reference_refine(semantic, masklets, 3, "masklet"))
    ids, votes, winners = masklet_votes(semantic, masklets, 3)
    np.testing.assert_array_equal(ids, [0, 3, 2_000_000_000])
    np.testing.assert_array_equal(votes, [[0, 1, 1], [3, 3, 0], [0, 0, 4]])
    np.testing.assert_array_equal(winners, [1, 0, 2])
    frame_ids = masklet_votes(semantic, masklets, 3, vote="frame").ids
    np.testing.assert_array_equal(frame_ids, [[0, 0], [3, 0], [2_000_000_000, 0]])


def test_masklet_and_frame_votes_differ() -> None:
    # one masklet over two frames: frame 0 says 1,1,1; frame 1 says 2,2,1
    semantic = np.array([[[1, 1, 1]], [[2, 2, 1]]], dtype=np.uint8)
    masklets = np.zeros((2, 1, 3), dtype=np.int32)
    np.testing.assert_array_equal(refine(semantic, masklets, 3, vote="masklet"), [[[1, 1, 1]], [[1, 1, 1]]])
    np.testing.assert_array_equal(refine(semantic, masklets, 3, vote="frame"), [[[1, 1, 1]], [[2, 2, 2]]])
    np.testing.assert_array_equal(refine(semantic, masklets, 3, vote=Vote.FRAME), [[[1, 1, 1]], [[2, 2, 2]]])


def test_masklet_votes_table() -> None:
    semantic = np.array([[[1, 1, 0, 255]], [[2, 2, 0, 0]]], dtype=np.uint8)
    masklets = np.array([[[4, 4, -1, 9]], [[4, 4, 9, 9]]], dtype=np.int32)
    ids, votes, winners = masklet_votes(semantic, masklets, 3)
    np.testing.assert_array_equal(ids, [4, 9])
    assert ids.dtype == np.int32 and votes.dtype == np.int64
    np.testing.assert_array_equal(votes, [[0, 2, 2], [2, 0, 0]])
    np.testing.assert_array_equal(winners, [1, 0])

    result = masklet_votes(semantic, masklets, 3, vote="frame")
    assert isinstance(result, MaskletVotes)
    np.testing.assert_array_equal(result.ids, [[4, 0], [4, 1], [9, 0], [9, 1]])  # (masklet id, frame)
    np.testing.assert_array_equal(result.votes, [[0, 2, 0], [0, 0, 2], [0, 0, 0], [2, 0, 0]])
    np.testing.assert_array_equal(result.winners, [1, 2, -1, 0])  # masklet 9 in frame 0: only a 255


@pytest.mark.parametrize("vote", ["masklet", "frame"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_a_plain_loop_on_random_inputs(vote: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (3, 9, 11)
    semantic = rng.integers(0, 6, shape).astype(np.uint8)  # C = 4: values 4, 5 are out of range
    semantic[rng.random(shape) < 0.1] = 255
    masklets = rng.integers(-1, 8, shape).astype(np.int32) * 3  # sparse ids 0, 3, .., 21; -3 -> none
    masklets[masklets < 0] = -1
    refined = refine(semantic, masklets, 4, vote=vote)
    np.testing.assert_array_equal(refined, _reference_refine(semantic, masklets, 4, vote))


def test_masklet_equal_to_a_ground_truth_segment_returns_its_class() -> None:
    rng = np.random.default_rng(3)
    gt = np.zeros((4, 12, 12), dtype=np.uint8)
    gt[:, 3:9, 2:10] = 2
    semantic = gt.copy()
    noise = rng.random(gt.shape) < 0.3  # 30 % of pixels wrong: the majority stays right
    semantic[noise] = rng.integers(0, 3, int(noise.sum()))
    masklets = np.where(gt == 2, 10, 11).astype(np.int32)
    for vote in ("masklet", "frame"):
        np.testing.assert_array_equal(refine(semantic, masklets, 3, vote=vote), gt)


def test_oracle_masklets_on_a_perfect_prediction_change_nothing() -> None:
    rng = np.random.default_rng(4)
    gt = rng.integers(0, 5, (2, 6, 7)).astype(np.uint8)
    gt[0, 0, :3] = 255
    # one masklet per (class) segment, and ignore pixels left outside any masklet
    oracle = np.where(gt == 255, -1, gt.astype(np.int32) * 10 + 1)
    for vote in ("masklet", "frame"):
        np.testing.assert_array_equal(refine(gt, oracle, 5, vote=vote), gt)


def test_keeps_a_wide_semantic_dtype() -> None:
    semantic = np.array([[[300, 1, 1, 2]]], dtype=np.int64)
    masklets = np.array([[[-1, 0, 0, 0]]], dtype=np.int32)
    refined = refine(semantic, masklets, 3)
    assert refined.dtype == np.int64
    np.testing.assert_array_equal(refined, [[[300, 1, 1, 1]]])


def test_no_masklets_and_empty_video() -> None:
    semantic = np.array([[[0, 1], [2, 255]]], dtype=np.uint8)
    none = np.full(semantic.shape, -1, dtype=np.int32)
    np.testing.assert_array_equal(refine(semantic, none, 3), semantic)
    ids, votes, winners = masklet_votes(semantic, none, 3)
    assert ids.shape == (0,) and votes.shape == (0, 3) and winners.shape == (0,)
    empty = np.zeros((0, 4, 5), dtype=np.uint8)
    assert refine(empty, np.zeros((0, 4, 5), dtype=np.int32), 3).shape == (0, 4, 5)


def test_errors_name_the_fault() -> None:
    semantic = np.zeros((2, 4, 5), dtype=np.uint8)
    masklets = np.zeros((2, 4, 5), dtype=np.int32)
    with pytest.raises(ParameterError, match=r"semantic has shape \(2, 4, 5\) and masklets \(2, 4, 6\)"):
        refine(semantic, np.zeros((2, 4, 6), dtype=np.int32), 3)
    with pytest.raises(ParameterError, match=r"semantic has shape \(4, 5\)"):
        refine(semantic[0], masklets[0], 3)
    with pytest.raises(ParameterError, match=r"vote='track' is not a vote scope; valid: 'masklet', 'frame'"):
        refine(semantic, masklets, 3, vote="track")
    with pytest.raises(ParameterError, match="masklets must be a signed integer id map.*got dtype uint8"):
        refine(semantic, masklets.astype(np.uint8), 3)
    with pytest.raises(ParameterError, match="got dtype float32"):
        masklet_votes(semantic, masklets.astype(np.float32), 3)
    with pytest.raises(ParameterError, match="semantic must hold integer class ids, got dtype float64"):
        refine(semantic.astype(float), masklets, 3)
    with pytest.raises(ParameterError, match="masklets hold the id -2"):
        refine(semantic, masklets - 2, 3)
    with pytest.raises(ParameterError, match="num_classes=0"):
        refine(semantic, masklets, 0)
