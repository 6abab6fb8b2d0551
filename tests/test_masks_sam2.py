"""The real SAM2 path, with a randomly initialised hiera-tiny built from the package's own config.

Random weights make the masks meaningless but exercise every call of the package that a real checkpoint
run makes: the automatic generator, ``add_new_mask``, ``propagate_in_video`` across two windows and the
id linking between them. Grids are tiny (2x2 points) and frames few, so this runs in about 20 s on 2 cores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vsslib.errors import CheckpointError, ParameterError
from vsslib.masks import SAM2Masklets, create_masklet_source

pytestmark = pytest.mark.sam2


@pytest.fixture(scope="module")
def source() -> SAM2Masklets:
    # Thresholds at their floor: a random model's masks rarely pass the paper's filters.
    return SAM2Masklets(random_weights=True, points_per_side=2, pred_iou_thresh=0.0, stability_score_thresh=0.0,
                        window=2, max_masklets=3)


def test_random_weight_sam2_returns_a_valid_id_map(source: SAM2Masklets) -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (3, 48, 64, 3), dtype=np.uint8)
    frames[:, 12:36, 16:48] = (220, 120, 40)
    key_masks = source.propose(frames[0])
    assert key_masks.dtype == bool and key_masks.shape[1:] == (48, 64) and 1 <= len(key_masks) <= 3
    ids = source(frames)
    assert ids.dtype == np.int32 and ids.shape == (3, 48, 64)
    assert ids.min() >= -1
    present = np.unique(ids[ids >= 0])
    assert len(present) >= 1
    # every id that appears covers pixels (no empty masklets) and the key frame holds at most 3 masklets
    assert len(np.unique(ids[0][ids[0] >= 0])) <= 3
    # the key frame's painted ids are exactly the generator's masks painted by area
    from vsslib.masks import paint

    np.testing.assert_array_equal(ids[0] >= 0, paint(key_masks, np.arange(len(key_masks))) >= 0)


def test_missing_checkpoint_says_what_to_get() -> None:
    with pytest.raises(CheckpointError, match=r"sam2.1_hiera_tiny.pt.*checkpoints/.*random_weights=True"):
        create_masklet_source("sam2")
    with pytest.raises(CheckpointError, match=r"nowhere.pt not found. Get sam2.1_hiera_small.pt"):
        SAM2Masklets(config="small", checkpoint="/nowhere.pt")


def test_checkpoint_that_does_not_match_its_config(tmp_path: Path) -> None:
    import torch

    fake = tmp_path / "sam2.1_hiera_tiny.pt"
    torch.save({"model": {"not_a_sam2_weight": torch.zeros(1)}}, fake)
    with pytest.raises(CheckpointError, match=r"does not match config configs/sam2.1/sam2.1_hiera_t.yaml"):
        SAM2Masklets(checkpoint=str(fake)).model


def test_bad_settings_are_named() -> None:
    with pytest.raises(ParameterError, match="points_per_side=0"):
        SAM2Masklets(random_weights=True, points_per_side=0)
    with pytest.raises(ParameterError, match="unknown SAM2 config 'huge'"):
        SAM2Masklets(random_weights=True, config="huge")
    with pytest.raises(ParameterError, match="window=0"):
        SAM2Masklets(random_weights=True, window=0)
