"""Training sets and the masklet classifier (vsslib.classify.dataset, vsslib.classify.mlp)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vsslib.classify import (MaskletClassifier, MLPSettings, build_training_set, class_weights, masklet_targets,
                             pool_video, weighted_cross_entropy)
from vsslib.data import Video
from vsslib.base.errors import CheckpointError, DataError, ParameterError

# --- targets ------------------------------------------------------------------------------------------
MASKLETS = np.array([[[3, 3, 3, 9],
                      [4, 4, 9, 9],
                      [6, 6, 6, 6]]], np.int32)
LABELS = np.array([[[0, 0, 1, 255],
                    [2, 1, 255, 255],
                    [1, 255, 255, 2]]], np.uint8)


def test_masklet_targets_majority_ties_void_and_purity_by_hand() -> None:
    ids, targets, purity = masklet_targets(LABELS, MASKLETS, 3)
    assert ids.tolist() == [3, 4, 6, 9]
    # 3: labels 0, 0, 1 -> 0.  4: 2, 1 tie -> the lower class 1.  6: 1, void, void, 2 -> half void is kept
    # (only > 50% is left out), tie -> 1.  9: all void -> left out.
    assert targets.tolist() == [0, 1, 1, -1]
    np.testing.assert_allclose(purity, [2 / 3, 1 / 2, 1 / 2, np.nan])
    _, stricter, _ = masklet_targets(LABELS, MASKLETS, 3, max_void=0.4)
    assert stricter.tolist() == [0, 1, -1, -1]


def test_masklet_targets_rejects_stray_labels() -> None:
    with pytest.raises(DataError, match=r"value 7 \(1 pixels under masklets\).*neither a class 0..2"):
        masklet_targets(np.where(LABELS == 2, 7, LABELS).astype(np.uint8)[:, :2], MASKLETS[:, :2], 3)
    with pytest.raises(ParameterError, match=r"labels \(1, 3, 4\) and masklets \(1, 2, 4\)"):
        masklet_targets(LABELS, MASKLETS[:, :2], 3)


def _video(name: str, labels: np.ndarray) -> Video:
    frames = np.zeros((*labels.shape, 3), np.uint8)
    return Video(name, [f"{t:08d}" for t in range(len(labels))], frames, labels)


class _StandInMasklets:
    """A masklet source that returns the same id map for every video."""

    def __call__(self, frames: np.ndarray, video: Video | None = None) -> np.ndarray:
        return MASKLETS.copy()


def _features(video: Video) -> np.ndarray:
    """(1, 2, 3, 4) features: channel 0 = the pixel's row, channel 1 = a per-video offset."""
    rows = np.broadcast_to(np.arange(3.0)[:, None], (3, 4))
    offset = 100.0 if video.name == "b" else 0.0
    return np.stack([rows, np.full((3, 4), offset)])[None].astype(np.float32)


def test_pool_video_and_build_training_set_from_stand_ins() -> None:
    pooled = pool_video(_video("a", LABELS), _StandInMasklets(), _features, num_classes=3)
    assert pooled.ids.tolist() == [3, 4, 6, 9] and pooled.targets.tolist() == [0, 1, 1, -1]
    # mean row of each masklet: 3 -> 0, 4 -> 1, 6 -> 2, 9 -> (0 + 1 + 1) / 3
    np.testing.assert_allclose(pooled.vectors[:, 0], [0, 1, 2, 2 / 3], rtol=1e-6)
    # one video given as a Video, one as a loader; masklet 9 (all void) is left out of both
    vectors, targets = build_training_set([_video("a", LABELS), lambda: _video("b", LABELS)], _StandInMasklets(),
                                          _features, num_classes=3)
    assert targets.tolist() == [0, 1, 1, 0, 1, 1]
    np.testing.assert_allclose(vectors, [[0, 0], [1, 0], [2, 0], [0, 100], [1, 100], [2, 100]], rtol=1e-6)


def test_build_training_set_needs_labels_and_targets() -> None:
    unlabelled = Video("u", ["0"], np.zeros((1, 3, 4, 3), np.uint8))
    with pytest.raises(DataError, match="video u has no labels"):
        build_training_set([unlabelled], _StandInMasklets(), _features, num_classes=3)
    all_void = _video("v", np.full_like(LABELS, 255))
    with pytest.raises(DataError, match="none of the 1 videos has a masklet with a target"):
        build_training_set([all_void], _StandInMasklets(), _features, num_classes=3)


# --- loss and class weights ---------------------------------------------------------------------------
def test_class_weights_by_hand() -> None:
    # N = 4 samples of K = 2 present classes with counts 3 and 1: w = 4 / (2 * 3), 4 / (2 * 1); class 2 absent
    np.testing.assert_allclose(class_weights(np.array([0, 0, 0, 1]), 3), [2 / 3, 2.0, 0.0], rtol=1e-6)
    weights = class_weights(np.array([0, 0, 0, 1]), 3)
    assert weights[[0, 0, 0, 1]].mean() == pytest.approx(1.0)  # mean weight over the samples is 1


def test_weighted_cross_entropy_by_hand() -> None:
    logits = torch.tensor([[math.log(2.0), 0.0, 0.0],
                           [0.0, 0.0, 0.0]])
    targets = torch.tensor([0, 1])
    # sample 0: p = 2/4 -> CE = log 2; sample 1: p = 1/3 -> CE = log 3
    assert float(weighted_cross_entropy(logits, targets)) == pytest.approx((math.log(2) + math.log(3)) / 2)
    weights = torch.tensor([3.0, 0.5, 9.0])
    assert float(weighted_cross_entropy(logits, targets, weights)) == pytest.approx(
        (3 * math.log(2) + 0.5 * math.log(3)) / 2)


# --- the classifier -----------------------------------------------------------------------------------
def _blobs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs 12 standard deviations apart, 20 points each."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [6.0, 6.0], [-6.0, 6.0]])
    targets = np.repeat(np.arange(3), 20)
    return (centres[targets] + rng.normal(0, 0.5, (60, 2))).astype(np.float32), targets


SMALL = MLPSettings(hidden=(16,), epochs=60, batch_size=16, learning_rate=1e-2)


def test_mlp_learns_separable_blobs_exactly() -> None:
    vectors, targets = _blobs()
    model = MaskletClassifier(2, 3, settings=SMALL)
    history = model.fit(vectors, targets, seed=1)
    assert model.predict(vectors).tolist() == targets.tolist()
    assert len(history.epoch_loss) == 60 and history.epoch_loss[-1] < history.epoch_loss[0] / 5
    proba = model.predict_proba(vectors)
    assert proba.shape == (60, 3) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert model.predict(np.zeros((0, 2), np.float32)).shape == (0,)


def test_mlp_is_seeded_and_leaves_the_global_rng_alone() -> None:
    vectors, targets = _blobs()
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    a = MaskletClassifier(2, 3, settings=SMALL)
    a.fit(vectors, targets, seed=7)
    assert torch.equal(torch.rand(3), expected_draw)
    b = MaskletClassifier(2, 3, settings=SMALL)
    b.fit(vectors, targets, seed=7)
    c = MaskletClassifier(2, 3, settings=SMALL)
    c.fit(vectors, targets, seed=8)
    for key, value in a.network.state_dict().items():
        assert torch.equal(value, b.network.state_dict()[key]), key
    assert a.predict_proba(vectors).tobytes() == b.predict_proba(vectors).tobytes()
    assert a.history.epoch_loss == b.history.epoch_loss
    assert not torch.equal(a.network[1].weight, c.network[1].weight)


def test_mlp_skips_rows_without_a_target() -> None:
    vectors, targets = _blobs()
    clean = MaskletClassifier(2, 3, settings=SMALL)
    clean.fit(vectors, targets, seed=2)
    padded = MaskletClassifier(2, 3, settings=SMALL)
    junk = np.full((5, 2), 1e3, np.float32)
    padded.fit(np.concatenate([vectors, junk]), np.concatenate([targets, np.full(5, -1)]), seed=2)
    np.testing.assert_array_equal(clean.predict_proba(vectors), padded.predict_proba(vectors))


def test_class_weighting_sets_the_loss_weights() -> None:
    vectors, targets = _blobs()
    keep = np.r_[0:20, 20:25, 40:45]  # class counts 20, 5, 5: N = 30, K = 3
    plain = MaskletClassifier(2, 3, settings=SMALL)
    plain_history = plain.fit(vectors[keep], targets[keep], seed=0)
    weighted = MaskletClassifier(2, 3, settings=SMALL)
    weighted_history = weighted.fit(vectors[keep], targets[keep], class_weighting=True, seed=0)
    assert plain_history.class_weights == (1.0, 1.0, 1.0)
    np.testing.assert_allclose(weighted_history.class_weights, [30 / (3 * 20), 30 / (3 * 5), 30 / (3 * 5)],
                               rtol=1e-6)
    assert weighted_history.epoch_loss != plain_history.epoch_loss


def test_mlp_save_load_round_trip(tmp_path) -> None:
    vectors, targets = _blobs()
    model = MaskletClassifier(2, 3, settings=MLPSettings(hidden=(8, 4), epochs=3))
    model.fit(vectors, targets, seed=0)
    path = model.save(tmp_path / "models" / "mlp.pt")
    assert sorted(p.name for p in path.parent.iterdir()) == ["mlp.pt"]  # no temporary file left behind
    again = MaskletClassifier.load(path)
    assert again.settings == model.settings and again.history == model.history
    np.testing.assert_array_equal(again.predict_proba(vectors), model.predict_proba(vectors))


def test_mlp_errors_name_the_problem(tmp_path) -> None:
    model = MaskletClassifier(2, 3, settings=SMALL)
    with pytest.raises(ParameterError, match=r"vectors of shape \(4, 5\), expected \(N, 2\)"):
        model.predict_proba(np.zeros((4, 5), np.float32))
    with pytest.raises(ParameterError, match="target 3 is not a class of 0..2"):
        model.fit(np.zeros((2, 2), np.float32), np.array([0, 3]))
    with pytest.raises(ParameterError, match="row 1 .* NaN"):
        model.fit(np.array([[0, 0], [np.nan, 0]], np.float32), np.array([0, 1]))
    with pytest.raises(ParameterError, match="dropout=1.0"):
        MLPSettings(dropout=1.0)
    with pytest.raises(CheckpointError, match="not found"):
        MaskletClassifier.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(CheckpointError, match="junk.pt is not a readable classifier file"):
        MaskletClassifier.load(tmp_path / "junk.pt")
