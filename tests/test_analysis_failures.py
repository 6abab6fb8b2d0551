"""Failure causes of the refiner: hand-built scenes that each trigger exactly one cause.

Every scene has a perfect baseline, so the damaged pixels are exactly those the refinement got wrong, and
the mIoU each cause costs is worked out by hand from the confusion counts (restoring the damage gives back
the perfect map, mIoU 1). A random scene checks the exact cost arithmetic against ``mean_iou`` on the
restored maps themselves.
"""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.analysis import (CAUSES, FailureSettings, damage_causes, diagnose, merge_reports)
from vsslib.errors import ParameterError
from vsslib.metrics import mean_iou
from vsslib.refine import refine


def _only(report, cause: str, pixels: int, events: int) -> None:
    """The report holds damage of ``cause`` only, with these counts."""
    summary = report.summary().set_index("cause")
    expected_pixels = {c: (pixels if c == cause else 0) for c in CAUSES}
    expected_events = {c: (events if c == cause else 0) for c in CAUSES}
    assert summary["pixels"].to_dict() == expected_pixels
    assert summary["events"].to_dict() == expected_events


def _spanning_scene():
    """One 8x8 frame: classes 0 (cols 0-5) and 1 (cols 6-7), all stuff; one masklet covers everything."""
    gt = np.zeros((1, 8, 8), np.uint8)
    gt[:, :, 6:] = 1
    masklets = np.zeros(gt.shape, np.int32)
    return gt, np.zeros(gt.shape, np.int32), masklets


def test_spanning_masklet_majority_overwrites_the_minority() -> None:
    gt, instances, masklets = _spanning_scene()
    refined = refine(gt, masklets, 2)
    assert (refined == 0).all()  # majority 48 of 64
    report = diagnose(gt, instances, gt, refined, masklets, 2, 4, video="v")
    _only(report, "spanning", pixels=16, events=1)
    # refined: IoU0 = 48 / 64, IoU1 = 0 / 16 -> mIoU 0.375; restored: 1.0
    cost = report.summary().set_index("cause")["miou_cost"]
    assert cost["spanning"] == pytest.approx(1.0 - 0.375)
    assert report.scores() == pytest.approx({"miou_baseline": 1.0, "miou_refined": 0.375, "miou_all_restored": 1.0})
    # purity 0.75: below 0.8 it spans; with a 0.7 threshold the same damage is "other"
    relaxed = diagnose(gt, instances, gt, refined, masklets, 2, 4, settings=FailureSettings(purity=0.7))
    _only(relaxed, "other", pixels=16, events=1)


def _late_scene(block: int):
    """4 frames of 8x8 class-0 stuff; instance 7 (class 1, a block x block square) enters at frame 2."""
    gt = np.zeros((4, 8, 8), np.uint8)
    instances = np.zeros(gt.shape, np.int32)
    gt[2:, 2:2 + block, 2:2 + block] = 1
    instances[2:, 2:2 + block, 2:2 + block] = 7
    masklets = np.zeros(gt.shape, np.int32)  # one stuff masklet over the whole video
    return gt, instances, masklets


def test_object_entering_mid_window_is_late_entry() -> None:
    gt, instances, masklets = _late_scene(4)
    refined = refine(gt, masklets, 2)  # 224 votes for class 0, 32 for class 1
    settings = FailureSettings(small_area=10, thin_radius=1.0)  # the 4x4 block (16 px, radius 2): neither
    report = diagnose(gt, instances, gt, refined, masklets, 2, 4, settings=settings)
    _only(report, "late_entry", pixels=32, events=2)  # frames 2 and 3, masklet 0
    # refined: IoU0 = 224 / 256, IoU1 = 0 / 32 -> 0.4375
    assert report.summary().set_index("cause").loc["late_entry", "miou_cost"] == pytest.approx(1 - 0.4375)
    assert report.frames["hurt"].tolist() == [False, False, True, True]
    # frame 2 alone: IoU0 = 48 / 64, IoU1 = 0 -> 0.375
    assert report.frames["miou_refined"].tolist() == pytest.approx([1.0, 1.0, 0.375, 0.375])
    assert report.frames["late_entry"].tolist() == [0, 0, 16, 16]
    # With a window of 2, frame 2 is a key frame: the same damage is no longer a late entry.
    on_key = diagnose(gt, instances, gt, refined, masklets, 2, 2, settings=settings)
    _only(on_key, "other", pixels=32, events=2)


def test_late_entry_comes_before_spanning() -> None:
    gt, instances, masklets = _late_scene(6)  # 72 of 256 pixels: purity 0.72, the masklet spans too
    refined = refine(gt, masklets, 2)
    settings = FailureSettings(small_area=0, thin_radius=0.0)
    _only(diagnose(gt, instances, gt, refined, masklets, 2, 4, settings=settings), "late_entry", 72, 2)
    _only(diagnose(gt, instances, gt, refined, masklets, 2, 2, settings=settings), "spanning", 72, 2)


def test_one_pixel_pole_swallowed_by_a_masklet_is_small_or_thin() -> None:
    gt = np.zeros((1, 8, 10), np.uint8)
    instances = np.zeros(gt.shape, np.int32)
    gt[0, 1:7, 4] = 2  # a pole, 1 px wide, 6 px tall
    instances[0, 1:7, 4] = 5
    masklets = np.zeros(gt.shape, np.int32)
    refined = refine(gt, masklets, 3)
    report = diagnose(gt, instances, gt, refined, masklets, 3, 1)
    _only(report, "small_or_thin", pixels=6, events=1)
    # refined: IoU0 = 74 / 80, IoU2 = 0 / 6, class 1 absent -> (74/80) / 2
    cost = report.summary().set_index("cause").loc["small_or_thin", "miou_cost"]
    assert cost == pytest.approx(1 - (74 / 80) / 2)
    # thin by its radius alone: not small (area 6 >= 4), radius 1 <= 2
    by_radius = diagnose(gt, instances, gt, refined, masklets, 3, 1, settings=FailureSettings(small_area=4))
    _only(by_radius, "small_or_thin", pixels=6, events=1)
    # neither small nor thin -> the damage is "other" (purity 74/80 > 0.8, no owner, entered on a key frame)
    neither = diagnose(gt, instances, gt, refined, masklets, 3, 1,
                       settings=FailureSettings(small_area=4, thin_radius=0.5))
    _only(neither, "other", pixels=6, events=1)


def _drift_scene():
    """A 3x3 object (instance 3, class 1) moves 3 px right each frame; masklet 9 stays on its first place."""
    gt = np.zeros((4, 3, 12), np.uint8)
    instances = np.zeros(gt.shape, np.int32)
    for t in range(4):
        gt[t, :, 3 * t:3 * t + 3] = 1
        instances[t, :, 3 * t:3 * t + 3] = 3
    masklets = np.full(gt.shape, -1, np.int32)
    masklets[:, :, 0:3] = 9
    return gt, instances, masklets


def test_masklet_that_stays_while_its_object_moves_is_drift() -> None:
    gt, instances, masklets = _drift_scene()
    refined = refine(gt, masklets, 2)  # 9 votes for class 1 (frame 0), 27 for class 0: the object loses
    settings = FailureSettings(small_area=5, thin_radius=1.0)
    report = diagnose(gt, instances, gt, refined, masklets, 2, 4, video="drift", settings=settings)
    _only(report, "drift", pixels=9, events=1)
    # refined: IoU0 = 108 / 117, IoU1 = 27 / 36
    expected = 1 - (108 / 117 + 27 / 36) / 2
    assert report.summary().set_index("cause").loc["drift", "miou_cost"] == pytest.approx(expected)
    assert report.examples[["video", "frame", "cause", "masklet", "pixels"]].values.tolist() == \
        [["drift", 0, "drift", 9, 9]]
    # Without the owner rule the same masklet only spans (purity 27/36 = 0.75).
    no_owner = diagnose(gt, instances, gt, refined, masklets, 2, 4,
                        settings=FailureSettings(small_area=5, thin_radius=1.0, owner_share=1.0))
    _only(no_owner, "spanning", pixels=9, events=1)


def test_cause_map_and_costs_agree_with_restored_maps() -> None:
    """Independent route: rebuild each restored map pixel by pixel and score it with mean_iou."""
    rng = np.random.default_rng(0)
    videos = []
    for _ in range(2):
        t, h, w, c = 6, 12, 14, 4
        gt = rng.integers(0, c, (t, h // 3, w // 2)).repeat(3, axis=1).repeat(2, axis=2).astype(np.uint8)
        gt[rng.random(gt.shape) < 0.05] = 255
        instances = rng.integers(0, 5, gt.shape).astype(np.int32)
        baseline = np.where(rng.random(gt.shape) < 0.8, gt, rng.integers(0, c, gt.shape)).astype(np.uint8)
        baseline[gt == 255] = 0
        masklets = rng.integers(-1, 6, (t, h // 4, w // 7)).repeat(4, axis=1).repeat(7, axis=2).astype(np.int32)
        refined = refine(baseline, masklets, c)
        videos.append((gt, instances, baseline, refined, masklets))
    settings = FailureSettings(small_area=20)
    reports = [diagnose(*v, 4, 3, video=f"v{k}", settings=settings) for k, v in enumerate(videos)]
    merged = merge_reports(reports)
    causes = [damage_causes(*v, 4, 3, settings=settings) for v in videos]
    gts = [v[0] for v in videos]
    refined_all = [v[3] for v in videos]
    base_miou = mean_iou(gts, refined_all, 4)["miou"]
    summary = merged.summary().set_index("cause")
    assert summary["pixels"].sum() > 0
    for k, cause in enumerate(CAUSES):
        restored = [np.where(cm == k, v[2], v[3]) for cm, v in zip(causes, videos, strict=True)]
        expected = mean_iou(gts, restored, 4)["miou"] - base_miou
        assert summary.loc[cause, "miou_cost"] == pytest.approx(expected, abs=1e-12)
        assert summary.loc[cause, "pixels"] == sum(int((cm == k).sum()) for cm in causes)
    # damaged pixels, by plain definition
    for cm, (gt, _, baseline, refined, _) in zip(causes, videos, strict=True):
        np.testing.assert_array_equal(cm >= 0, (gt != 255) & (baseline == gt) & (refined != gt))
    assert merged.videos == ("v0", "v1") and len(merged.frames) == 12
    assert merged.scores()["miou_all_restored"] == pytest.approx(
        mean_iou(gts, [np.where(cm >= 0, v[2], v[3]) for cm, v in zip(causes, videos, strict=True)], 4)["miou"])


def test_frame_vote_and_hurt_frame_scope() -> None:
    gt, instances, masklets = _late_scene(4)
    refined = refine(gt, masklets, 2, vote="frame")  # each frame votes class 0 (48 or 64 of 64)
    settings = FailureSettings(vote="frame", thin_radius=1.0, only_hurt_frames=True, margin=0.7)
    report = diagnose(gt, instances, gt, refined, masklets, 2, 4, settings=settings)
    assert not report.frames["hurt"].any()  # a drop of 0.625 stays within the 0.7 margin
    assert report.summary()["pixels"].sum() == 0


def test_bad_settings_and_shapes_are_named() -> None:
    with pytest.raises(ParameterError, match="purity=1.5"):
        FailureSettings(purity=1.5)
    with pytest.raises(ParameterError, match="frame_metric='iou'"):
        FailureSettings(frame_metric="iou")
    gt, instances, masklets = _spanning_scene()
    with pytest.raises(ParameterError, match=r"same \(T, H, W\) shape.*'masklets': \(1, 8, 7\)"):
        diagnose(gt, instances, gt, gt, masklets[:, :, :7], 2, 4)
    with pytest.raises(ParameterError, match="window=0"):
        diagnose(gt, instances, gt, gt, masklets, 2, 0)
    with pytest.raises(ParameterError, match="cannot merge"):
        diagnose(gt, instances, gt, gt, masklets, 2, 4).merge(diagnose(gt, instances, gt, gt, masklets, 3, 4))
