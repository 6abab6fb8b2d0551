"""The real SAM2 path, on a randomly initialised hiera-tiny built from the package's own config.

Random weights make the masks meaningless, but every call a checkpoint run makes is exercised: the
automatic generator, ``add_new_mask``, ``propagate_in_video`` over two windows and the linking between
them. The generator's filters are opened (a random model rarely passes the paper's thresholds), the grid
is 2 x 2 and the video two 64 x 96 frames. Batched propagation is compared with unbatched propagation on
a hiera-tiny built at a 256 px input (``image_size=256``), which makes memory attention about 250 times
cheaper than at 1024 px; batching logic does not depend on the input size.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from vsslib.base.errors import CheckpointError, ParameterError
from vsslib.masks import SAM2Masklets, SAM2Settings, create_masklet_source, paint
from vsslib.masks.sam2_model import (PropagationSettings, build_sam2_model, checkpoint_url, config_of_checkpoint,
                                     paint_highest, paint_over, propagate_masks, resolve_config)


@pytest.fixture(scope="module")
def source() -> SAM2Masklets:
    return SAM2Masklets(random_weights=True, points_per_side=2, pred_iou_thresh=-math.inf,
                        stability_score_thresh=0.0, window=1, max_masklets=3)


@pytest.fixture
def no_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.mark.sam2
def test_random_weight_sam2_gives_a_valid_masklet_map(source: SAM2Masklets, capfd: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (2, 64, 96, 3), dtype=np.uint8)
    frames[:, 16:48, 24:72] = (220, 120, 40)
    frames.setflags(write=False)  # frames read from disk may be read-only; sam2 must not warn about it
    key_masks = source.propose(frames[0])
    assert key_masks.dtype == bool and key_masks.shape[1:] == (64, 96)
    assert 1 <= len(key_masks) <= 3
    areas = key_masks.reshape(len(key_masks), -1).sum(axis=1)
    assert (areas > 0).all() and (np.diff(areas) <= 0).all()  # non-empty, largest first

    capfd.readouterr()
    ids = source(frames)  # window=1: two windows, the second linked to the first
    printed = capfd.readouterr().err
    assert "propagate in video" not in printed and "frame loading" not in printed  # sam2's bars stay off
    import sam2.sam2_video_predictor
    from tqdm import tqdm
    assert sam2.sam2_video_predictor.tqdm is tqdm  # and are given back afterwards
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
    # one peak per propagation; at least the 2 frames loaded at 1024 x 1024 float32 (12 MiB each) are resident
    assert len(source.peak_memory_mib) == 2
    if sys.platform.startswith("linux"):
        assert source.memory_method == "VmHWM"


def test_painting_in_batches_gives_the_map_painted_at_once() -> None:
    """Masks painted batch by batch with ``paint_over`` give :func:`paint`'s map of all of them, ties included."""
    masks = np.zeros((4, 3, 4), bool)
    masks[0, :, :] = True  # area 12: the background
    masks[1, 0:2, 0:2] = True  # area 4
    masks[2, 1:3, 1:3] = True  # area 4, ties with mask 1 at (1, 1): the earlier mask (1) wins
    masks[3, 2, 3] = True  # area 1
    ids = np.array([7, 8, 9, 5])
    expected = np.array([[8, 8, 7, 7],
                         [8, 8, 9, 7],
                         [7, 9, 9, 5]])
    np.testing.assert_array_equal(paint(masks, ids), expected)
    for batch in (1, 2, 3):
        out = np.full((3, 4), -1, np.int32)
        area = np.full((3, 4), np.iinfo(np.int64).max, np.int64)
        for first in range(0, 4, batch):
            paint_over(out, area, masks[first:first + batch], ids[first:first + batch])
        np.testing.assert_array_equal(out, expected)

    rng = np.random.default_rng(1)  # random overlapping boxes, many ties
    boxes = np.zeros((9, 20, 30), bool)
    for k in range(9):
        top, left = rng.integers(0, 15), rng.integers(0, 25)
        boxes[k, top:top + rng.integers(2, 6), left:left + rng.integers(2, 6)] = True
    out = np.full((20, 30), -1, np.int32)
    area = np.full((20, 30), np.iinfo(np.int64).max, np.int64)
    for first in range(0, 9, 4):
        paint_over(out, area, boxes[first:first + 4], np.arange(first, min(first + 4, 9)))
    np.testing.assert_array_equal(out, paint(boxes, np.arange(9)))


def test_the_highest_logit_takes_each_pixel_by_hand_and_in_any_batches() -> None:
    """:func:`paint_highest`: each pixel goes to the object with the highest logit above the threshold (ties: the
    earlier object), painted at once or batch by batch."""
    logits = np.array([[[2.0, 1.0, -1.0],
                        [0.5, -3.0, 4.0]],
                       [[1.0, 3.0, -2.0],
                        [0.5, -1.0, 4.0]],
                       [[-5.0, 3.0, -0.5],
                        [0.2, 0.0, 5.0]]], np.float32)
    ids = np.array([10, 11, 12])
    # (0,0): 2 > 1; (0,1): 3 ties, object 11 first; (0,2): nothing above 0; (1,0): 0.5 ties, 10 first;
    # (1,1): the best, 0.0, is not above the threshold 0; (1,2): 5 wins
    expected = np.array([[10, 11, -1],
                         [10, -1, 12]])
    for batch in (1, 2, 3):
        out = np.full((2, 3), -1, np.int32)
        score = np.full((2, 3), -np.inf, np.float32)
        for first in range(0, 3, batch):
            paint_highest(out, score, logits[first:first + batch], ids[first:first + batch])
        np.testing.assert_array_equal(out, expected, err_msg=f"batches of {batch}")
    out = np.full((2, 3), -1, np.int32)
    paint_highest(out, np.full((2, 3), -np.inf, np.float32), logits, ids, threshold=1.5)
    np.testing.assert_array_equal(out, [[10, 11, -1], [-1, -1, 12]])


def test_the_overlap_rule_is_one_knob_of_both_sam2_sources_and_says_what_it_takes() -> None:
    from vsslib.masks import knob_declarations
    from vsslib.sam2_mini.masklets import SAM2MiniMasklets
    from vsslib.study.settings import StudySettings

    assert PropagationSettings().overlap == "logit"
    assert knob_declarations("sam2")["overlap"] == knob_declarations("sam2-mini")["overlap"] == (
        PropagationSettings, "overlap")
    assert SAM2MiniMasklets.resolve_settings(overlap="area").propagation.overlap == "area"
    assert "overlap" not in knob_declarations("classical")
    with pytest.raises(ParameterError, match=r"overlap='middle' is not a rule; valid: logit, area"):
        SAM2MiniMasklets.resolve_settings(overlap="middle")
    with pytest.raises(ParameterError, match=r"overlap='middle'"):
        StudySettings().replace({"masklets.sam2_mini.overlap": "middle"})
    assert StudySettings().masklets.sam2_mini.overlap == StudySettings().masklets.sam2.overlap == "logit"
    with pytest.raises(ParameterError, match=r"overlap='none'"):
        propagate_masks(None, np.zeros((2, 8, 8, 3), np.uint8), np.ones((1, 8, 8), bool), np.array([0]), overlap="none")


@pytest.mark.sam2
def test_batched_propagation_equals_unbatched_whatever_the_batch_size() -> None:
    torch.manual_seed(0)
    model = build_sam2_model("tiny", None, random_weights=True, image_size=256)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (3, 48, 64, 3), dtype=np.uint8)
    for t in range(3):  # a bright block that moves two pixels a frame
        frames[t, 10:30, 8 + 2 * t:28 + 2 * t] = (230, 200, 40)
    masks = np.zeros((5, 48, 64), bool)
    masks[0, :30, :40] = True
    masks[1, 10:40, 20:60] = True
    masks[2, 5:20, 5:20] = True
    masks[3, 25:45, 30:62] = True
    masks[4, 10:30, 8:28] = True
    ids = np.array([40, 41, 42, 43, 44])
    alone = np.stack([propagate_masks(model, frames, masks[k:k + 1], ids[k:k + 1], overlap="area") == ids[k]
                      for k in range(len(ids))])  # (N, L, H, W): each object's own foreground, tracked alone
    for overlap in ("area", "logit"):
        whole = propagate_masks(model, frames, masks, ids, max_objects_per_batch=0, overlap=overlap)
        assert whole.shape == (3, 48, 64) and whole.dtype == np.int32
        # not a trivial map: several masklets survive to the last frame
        assert len(np.unique(whole[-1][whole[-1] >= 0])) >= 3
        # a pixel is painted where some object's own foreground lies, with an object whose foreground it is
        np.testing.assert_array_equal(whole >= 0, alone.any(axis=0))
        for k, obj in enumerate(ids):
            assert alone[k][whole == obj].all(), (overlap, obj)
        for batch in (1, 2) if overlap == "logit" else (2,):  # five batches of one; batches of 2, 2 and 1
            np.testing.assert_array_equal(
                propagate_masks(model, frames, masks, ids, max_objects_per_batch=batch, overlap=overlap), whole,
                err_msg=f"overlap={overlap}, max_objects_per_batch={batch}")
        if overlap == "area":
            # frame 0 gives back the seeds (resized to 256 px and back: up to a few boundary pixels differ)
            assert (whole[0] == paint(masks, ids)).mean() > 0.95
            by_area = whole
    assert (whole != by_area).any()  # the seeds overlap: the two rules part somewhere


def test_missing_checkpoint_says_what_to_get_and_how() -> None:
    with pytest.raises(CheckpointError, match=r"no SAM2 checkpoint given for config 'tiny': `python -m vsslib "
                                              r"sam2-checkpoint --size tiny --dir checkpoints` downloads and verifies "
                                              r"sam2\.1_hiera_tiny\.pt \(from https://dl\.fbaipublicfiles\.com/"
                                              r"segment_anything_2/092824/sam2\.1_hiera_tiny\.pt\) into checkpoints/"
                                              r".*--sam2-checkpoint.*random_weights=True"):
        create_masklet_source("sam2")


def test_the_config_follows_the_checkpoints_official_name(tmp_path: Path) -> None:
    large = tmp_path / "sam2.1_hiera_large.pt"
    # the README's call: a large checkpoint without a config is the large config, and a missing file names it
    with pytest.raises(CheckpointError, match=r"sam2\.1_hiera_large\.pt not found \(config 'large' expects "
                                              r"sam2\.1_hiera_large\.pt\): `python -m vsslib sam2-checkpoint --size "
                                              r"large --dir checkpoints`"):
        SAM2Masklets(checkpoint=str(large))
    large.write_bytes(b"")
    assert SAM2Settings(checkpoint=str(large)).resolved_config == "large"
    full = "configs/sam2.1/sam2.1_hiera_l.yaml"
    assert SAM2Settings(checkpoint=str(large), config=full).resolved_config == full
    assert SAM2Settings().resolved_config == "tiny" and SAM2Settings(checkpoint="mine.pt").resolved_config == "tiny"
    assert SAM2Masklets(checkpoint=str(large)).settings.resolved_config == "large"
    with pytest.raises(ParameterError, match=r"sam2\.1_hiera_large\.pt is the official file of config 'large', but "
                                             r"config='tiny' .*--sam2-config large"):
        SAM2Settings(checkpoint=str(large), config="tiny")
    missing = tmp_path / "nowhere.pt"
    with pytest.raises(CheckpointError, match=r"nowhere\.pt not found \(config 'small' expects sam2\.1_hiera_small\.pt"):
        SAM2Masklets(config="small", checkpoint=str(missing))
    assert config_of_checkpoint("x/sam2_hiera_tiny.pt") == "configs/sam2/sam2_hiera_t.yaml"


@pytest.mark.sam2
def test_checkpoint_that_does_not_match_its_config_names_both(tmp_path: Path) -> None:
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


def test_cuda_devices_without_a_gpu_fail_at_construction(no_cuda: None) -> None:
    for device in ("cuda", "cuda:0"):
        with pytest.raises(ParameterError, match=rf"device='{device}' asks for CUDA, but torch"):
            SAM2Masklets(random_weights=True, device=device)
        with pytest.raises(ParameterError, match=rf"device='{device}' asks for CUDA"):
            build_sam2_model("tiny", None, random_weights=True, device=device)
    from vsslib.classify.features import SAM2FeatureSettings, SAM2Features

    assert SAM2FeatureSettings(device="cuda:0").device == "cuda:0"  # spelt right; its absence shows on building
    with pytest.raises(ParameterError, match=r"device='cuda:0' asks for CUDA"):
        SAM2Features(SAM2FeatureSettings(random_weights=True, device="cuda:0"))


def test_settings_are_the_papers_and_impossible_ones_are_named() -> None:
    settings = SAM2Settings()
    generator = settings.generator
    assert (generator.points_per_side, generator.pred_iou_thresh, generator.stability_score_thresh,
            generator.stability_score_offset) == (16, 0.6, 0.8, 0.9)
    assert settings.windows.window == 32
    assert (settings.max_objects_per_batch, settings.autocast, settings.vos_optimized) == (32, True, False)
    for kwargs, message in [({"points_per_side": 0}, "points_per_side=0 must be an integer"),
                            ({"stability_score_thresh": 1.5}, "stability_score_thresh=1.5"),
                            ({"box_nms_thresh": 0.0}, "box_nms_thresh=0.0"),
                            ({"config": "huge"}, "unknown SAM2 config 'huge'; valid: tiny, small, base_plus, large"),
                            ({"device": "tpu"}, r"device='tpu' must be 'cpu', 'cuda' or 'cuda:<index>'"),
                            ({"window": 0}, "window=0 must be a positive number of frames"),
                            ({"max_objects_per_batch": -1}, r"max_objects_per_batch=-1 must be an integer"),
                            ({"autocast": "yes"}, "autocast='yes' must be true or false"),
                            ({"vos_optimized": True}, "vos_optimized=True compiles SAM2 with torch.compile for CUDA"),
                            ({"fill_hole_area": 8}, "fill_hole_area=8 needs sam2's compiled _C extension"),
                            ({"min_mask_region_area": 25}, "min_mask_region_area=25 needs"),
                            ({"points_per_sid": 4}, r"unknown sam2 masklet setting\(s\) \['points_per_sid'\]")]:
        with pytest.raises(ParameterError, match=message):
            SAM2Masklets(random_weights=True, **kwargs)
    with pytest.raises(ParameterError, match="random_weights=True and checkpoint='x.pt' contradict"):
        SAM2Masklets(random_weights=True, checkpoint="x.pt")
    with pytest.raises(ParameterError, match=r"image_size=100 must be a multiple of 32"):
        build_sam2_model("tiny", None, random_weights=True, image_size=100)


def test_gpu_check_without_cuda_says_so_in_one_line(no_cuda: None, capsys: pytest.CaptureFixture[str]) -> None:
    from vsslib.study.gpu_check import main as gpu_check

    assert gpu_check([]) == 2  # make gpu-check's call: CUDA by default
    err = capsys.readouterr().err
    assert err.startswith("error: device='cuda' asks for CUDA, but torch") and err.count("\n") == 1


@pytest.mark.sam2
def test_gpu_check_runs_every_stage_on_the_cpu_at_a_small_input() -> None:
    from vsslib.study.gpu_check import format_report, run_gpu_check

    report = run_gpu_check(device="cpu", frames=2, height=40, width=56, objects=3, grid=1, max_objects_per_batch=2,
                           image_size=256)
    stages = {row["stage"]: row for row in report["stages"]}
    assert list(stages) == ["encoder", "generator (1x1 points)", "propagation (3 objects, batches of 2)",
                            "propagation per object"]
    assert all(row["seconds"] > 0 and row["peak_mib"] > 0 for row in report["stages"])
    assert stages["encoder"]["seconds_per"] == pytest.approx(stages["encoder"]["seconds"] / 2)
    whole = stages["propagation (3 objects, batches of 2)"]
    assert stages["propagation per object"]["seconds_per"] == pytest.approx(whole["seconds"] / 6)  # 3 objects x 2
    assert report["setup"]["precision"] == "float32" and report["setup"]["video"] == [2, 40, 56, 3]
    text = format_report(report)
    assert text.startswith("SAM2 GPU check on cpu") and "propagation per object" in text
    # tiny's published 91.2 fps: 3 objects x 2 frames / 91.2 = 0.066 s, printed beside the measured seconds
    assert (f"predicts 0.066 s for this propagation (3 objects x 2 frames); measured {whole['seconds']:.3f} s"
            in text.splitlines()[-1])


def test_published_propagation_seconds_is_objects_times_frames_over_the_published_speed() -> None:
    from vsslib.study.gpu_check import published_propagation_seconds

    assert published_propagation_seconds("large", 100, 71) == pytest.approx(7100 / 39.5)  # 179.7 s
    assert published_propagation_seconds("configs/sam2.1/sam2.1_hiera_t.yaml", 16, 10) == pytest.approx(160 / 91.2)
    assert published_propagation_seconds("configs/sam2/sam2_hiera_l.yaml", 16, 10) is None  # SAM 2.0: none published
    with pytest.raises(ParameterError, match="unknown SAM2 config 'huge'"):
        published_propagation_seconds("huge", 1, 1)
    with pytest.raises(ParameterError, match="objects=0 must be an integer"):
        published_propagation_seconds("tiny", 0, 1)


def test_readme_gpu_estimate_is_the_published_speed_applied_to_an_average_vspw_video() -> None:
    """The README's expected GPU time per VSPW video follows from the cited numbers: VSPW's mean length, the
    assumed masklet count and Meta's published speeds of tiny and large."""
    import re

    from vsslib.data.vspw import VSPW_FRAMES, VSPW_VIDEOS
    from vsslib.masks.checkpoints import OFFICIAL_CHECKPOINTS
    from vsslib.study.gpu_check import published_propagation_seconds

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    found = re.search(r"\(about (\d+) frames \(([\d,]+) frames / ([\d,]+) videos\), (\d+) windows, about (\d+) masklets\)",
                      readme)
    assert found, "the README's GPU estimate sentence changed: update this test"
    frames, total, videos, windows, masklets = found.groups()
    assert (int(total.replace(",", "")), int(videos.replace(",", ""))) == (VSPW_FRAMES, VSPW_VIDEOS)
    assert int(frames) == round(VSPW_FRAMES / VSPW_VIDEOS) and int(windows) == -(-int(frames) // 32)
    speeds = re.search(r"A100, compiled: ([\d.]+) fps tiny, ([\d.]+) fps large\)", readme)
    assert speeds and [float(v) for v in speeds.groups()] == [OFFICIAL_CHECKPOINTS[size].published_fps
                                                              for size in ("tiny", "large")]
    minutes = re.search(r"suggest roughly ([\d.]+)-([\d.]+) minutes of propagation per video", readme)
    assert minutes, "the README's GPU estimate sentence changed: update this test"
    expected = [published_propagation_seconds(size, int(masklets), VSPW_FRAMES / VSPW_VIDEOS) / 60
                for size in ("tiny", "large")]
    assert [float(v) for v in minutes.groups()] == [round(m, 1) for m in expected]
    # "which puts a video at hours" on the CPU: the cost table's per-object-frame time of hiera-tiny (a lower bound)
    assert "which puts a video at hours" in readme
    import pandas as pd

    table = pd.read_csv(Path(__file__).resolve().parents[1] / "results" / "tables" / "cost_sam2_propagation.csv")
    per_object_frame = (table["seconds_per_frame"] / table["n_objects"]).min()
    assert per_object_frame * int(masklets) * VSPW_FRAMES / VSPW_VIDEOS > 3600
