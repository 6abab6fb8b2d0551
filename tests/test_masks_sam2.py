"""The real SAM2 path, on a randomly initialised hiera-tiny built from the package's own config.

Random weights make the masks meaningless, but every call a checkpoint run makes is exercised: the
automatic generator, ``add_new_mask``, ``propagate_in_video`` over two windows and the linking between
them. The generator's filters are opened (a random model rarely passes the paper's thresholds), the grid
is 2 x 2 and the video two 64 x 96 frames, so this runs in about 20-40 s on 2 shared cores.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from vsslib.errors import CheckpointError, ParameterError
from vsslib.masks import SAM2Masklets, SAM2Settings, create_masklet_source, paint
from vsslib.masks.sam2_masklets import checkpoint_url, resolve_config


@pytest.fixture(scope="module")
def source() -> SAM2Masklets:
    return SAM2Masklets(random_weights=True, points_per_side=2, pred_iou_thresh=-math.inf,
                        stability_score_thresh=0.0, window=1, max_masklets=3)


@pytest.mark.sam2
def test_random_weight_sam2_gives_a_valid_masklet_map(source: SAM2Masklets) -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (2, 64, 96, 3), dtype=np.uint8)
    frames[:, 16:48, 24:72] = (220, 120, 40)
    frames.setflags(write=False)  # frames read from disk may be read-only; sam2 must not warn about it
    key_masks = source.propose(frames[0])
    assert key_masks.dtype == bool and key_masks.shape[1:] == (64, 96)
    assert 1 <= len(key_masks) <= 3
    areas = key_masks.reshape(len(key_masks), -1).sum(axis=1)
    assert (areas > 0).all() and (np.diff(areas) <= 0).all()  # non-empty, largest first

    ids = source(frames)  # window=1: two windows, the second linked to the first
    assert ids.dtype == np.int32 and ids.shape == (2, 64, 96)
    assert ids.min() >= -1
    for t in range(2):  # every id present covers pixels
        values, counts = np.unique(ids[t], return_counts=True)
        assert (counts[values >= 0] > 0).all()
    # frame 0 shows as many masklets as the generator's masks leave visible after painting (larger first)
    painted = paint(key_masks, np.arange(len(key_masks)))
    assert len(np.unique(ids[0][ids[0] >= 0])) == len(np.unique(painted[painted >= 0]))
    covered, expected = ids[0] >= 0, painted >= 0
    assert (covered & expected).sum() >= 0.9 * (covered | expected).sum()
    assert source.timings["generate_frames"] == 3  # one proposal here, one per window in the call
    assert source.timings["propagate_frames"] == 3  # window 0 with the link frame, then window 1
    assert source.timings["build"] > 0


def test_missing_checkpoint_says_what_to_get_and_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"no SAM2 checkpoint given for config 'tiny'\. Download "
                                              r"sam2\.1_hiera_tiny\.pt from https://dl\.fbaipublicfiles\.com/"
                                              r"segment_anything_2/092824/sam2\.1_hiera_tiny\.pt into checkpoints/"
                                              r".*--sam2-checkpoint.*random_weights=True"):
        create_masklet_source("sam2")
    missing = tmp_path / "nowhere.pt"
    with pytest.raises(CheckpointError, match=r"nowhere\.pt not found\. Download sam2\.1_hiera_small\.pt"):
        SAM2Masklets(config="small", checkpoint=str(missing))


@pytest.mark.sam2
def test_checkpoint_that_does_not_match_its_config_names_both(tmp_path: Path) -> None:
    import torch

    empty = tmp_path / "sam2.1_hiera_tiny.pt"
    torch.save({"model": {}}, empty)
    with pytest.raises(CheckpointError, match=r"sam2\.1_hiera_tiny\.pt does not match config "
                                              r"configs/sam2\.1/sam2\.1_hiera_t\.yaml .* weights missing"):
        _ = SAM2Masklets(checkpoint=str(empty)).model
    stray = tmp_path / "stray.pt"
    torch.save({"model": {"not_a_sam2_weight": torch.zeros(1)}}, stray)
    with pytest.raises(CheckpointError, match=r"1 unexpected \(not_a_sam2_weight\)"):
        _ = SAM2Masklets(checkpoint=str(stray)).model
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read as a torch checkpoint"):
        _ = SAM2Masklets(checkpoint=str(garbage)).model


def test_configs_resolve_by_short_and_full_name() -> None:
    assert resolve_config("base_plus") == ("configs/sam2.1/sam2.1_hiera_b+.yaml", "sam2.1_hiera_base_plus.pt")
    assert resolve_config("configs/sam2/sam2_hiera_l.yaml") == ("configs/sam2/sam2_hiera_l.yaml", "sam2_hiera_large.pt")
    assert checkpoint_url("configs/sam2/sam2_hiera_t.yaml").endswith("/072824/sam2_hiera_tiny.pt")


def test_settings_are_the_papers_and_impossible_ones_are_named() -> None:
    generator = SAM2Settings().generator
    assert (generator.points_per_side, generator.pred_iou_thresh, generator.stability_score_thresh,
            generator.stability_score_offset) == (16, 0.6, 0.8, 0.9)
    assert SAM2Settings().windows.window == 32
    for kwargs, message in [({"points_per_side": 0}, "points_per_side=0 must be an integer"),
                            ({"stability_score_thresh": 1.5}, "stability_score_thresh=1.5"),
                            ({"box_nms_thresh": 0.0}, "box_nms_thresh=0.0"),
                            ({"config": "huge"}, "unknown SAM2 config 'huge'; valid: tiny, small, base_plus, large"),
                            ({"device": "tpu"}, "device='tpu' must be 'cpu', 'cuda'"),
                            ({"window": 0}, "window=0 must be a positive number of frames"),
                            ({"fill_hole_area": 8}, "fill_hole_area=8 needs sam2's compiled _C extension"),
                            ({"min_mask_region_area": 25}, "min_mask_region_area=25 needs"),
                            ({"points_per_sid": 4}, r"unknown sam2 masklet setting\(s\) \['points_per_sid'\]")]:
        with pytest.raises(ParameterError, match=message):
            SAM2Masklets(random_weights=True, **kwargs)
    with pytest.raises(ParameterError, match="random_weights=True and checkpoint='x.pt' contradict"):
        SAM2Masklets(random_weights=True, checkpoint="x.pt")
