"""Failure causes of the refiner: hand-built scenes that each trigger exactly one cause (or two, split by frame).

Most scenes have a perfect baseline, so the damaged pixels are exactly those the refinement got wrong, and
the mIoU each cause costs is worked out by hand from the confusion counts (restoring the damage gives back
the perfect map, mIoU 1); the scenes of a wrong baseline majority write out their confusion counts too. A
random scene checks the exact cost arithmetic against ``mean_iou`` on the restored maps themselves, for both
vote scopes and both drift scopes.
"""

from __future__ import annotations

import numpy as np
import pytest

from vsslib.analysis import (CAUSES, FailureSettings, damage_causes, diagnose, merge_reports, summarize_failures,
                             summarize_hurt_frames)
from vsslib.base.errors import ParameterError
from vsslib.metrics import mean_iou
from vsslib.refine import refine
from vsslib.statistics import resample_seeds_and_videos


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
    # purity 0.75: below 0.8 it spans; with a 0.7 threshold the masklet is pure and the minority it
    # overwrote is a leak
    relaxed = diagnose(gt, instances, gt, refined, masklets, 2, 4, settings=FailureSettings(purity=0.7))
    _only(relaxed, "leak", pixels=16, events=1)
    assert relaxed.summary()["drift_scope"].unique().tolist() == ["frame"]


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
    # With a window of 2, frame 2 is a key frame: the same damage is no longer a late entry; the masklet is
    # pure (224 of 256 pixels are class 0) and swallowed the object: a leak.
    on_key = diagnose(gt, instances, gt, refined, masklets, 2, 2, settings=settings)
    _only(on_key, "leak", pixels=32, events=2)


def test_entering_object_with_its_own_masklet_is_not_late_entry() -> None:
    """The oracle gives the entering object a masklet from its first frame: discovery would change nothing."""
    gt, instances, _ = _late_scene(4)
    masklets = np.where(instances > 0, 1, 0).astype(np.int32)  # masklet 1 starts at frame 2, with the object
    baseline = gt.copy()
    baseline[2:, 3:6, 2:6] = 0  # the network finds only the block's top row (4 of 16 px per frame)
    refined = refine(baseline, masklets, 2)  # masklet 1: 24 votes for class 0, 8 for class 1
    assert (refined[2:, 2:6, 2:6] == 0).all()
    settings = FailureSettings(small_area=10, thin_radius=1.0)
    _only(diagnose(gt, instances, baseline, refined, masklets, 2, 4, settings=settings), "wrong_majority", 8, 2)
    # Discovered one frame late (masklet 1 from frame 3): on frame 2 the object lies in masklet 0, which was
    # there before it entered. Both masklets vote class 0; the 4 found pixels of frame 2 are a late entry.
    late_masklets = masklets.copy()
    late_masklets[2] = 0
    late_refined = refine(baseline, late_masklets, 2)
    report = diagnose(gt, instances, baseline, late_refined, late_masklets, 2, 4, settings=settings)
    assert report.frames["late_entry"].tolist() == [0, 0, 4, 0]
    assert report.frames["wrong_majority"].tolist() == [0, 0, 0, 4]
    assert report.frames["damaged"].tolist() == [0, 0, 4, 4]


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
    # neither small nor thin -> a leak: the masklet is pure (74/80 > 0.8) and took its true class 0
    neither = diagnose(gt, instances, gt, refined, masklets, 3, 1,
                       settings=FailureSettings(small_area=4, thin_radius=0.5))
    _only(neither, "leak", pixels=6, events=1)


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
    # Frames 1-3 drift (share 0 of 1 at the reference) but lose nothing: their pixels are class 0 anyway.
    # The damage sits on frame 0, where the masklet is still on its object: per frame it is drift_vote
    # (without frames 1-3 the vote is class 1); charged to the whole masklet it is drift.
    whole = FailureSettings(small_area=5, thin_radius=1.0, drift_scope="masklet")
    report = diagnose(gt, instances, gt, refined, masklets, 2, 4, video="drift", settings=whole)
    _only(report, "drift", pixels=9, events=1)
    # refined: IoU0 = 108 / 117, IoU1 = 27 / 36
    expected = 1 - (108 / 117 + 27 / 36) / 2
    assert report.summary().set_index("cause").loc["drift", "miou_cost"] == pytest.approx(expected)
    assert report.examples[["video", "frame", "cause", "masklet", "pixels"]].values.tolist() == \
        [["drift", 0, "drift", 9, 9]]
    assert report.summary()["drift_scope"].unique().tolist() == ["masklet"]
    per_frame = diagnose(gt, instances, gt, refined, masklets, 2, 4, settings=FailureSettings(small_area=5,
                                                                                           thin_radius=1.0))
    _only(per_frame, "drift_vote", pixels=9, events=1)
    assert per_frame.summary().set_index("cause").loc["drift_vote", "miou_cost"] == pytest.approx(expected)
    # Without the owner rule the same masklet only spans (purity 27/36 = 0.75).
    no_owner = diagnose(gt, instances, gt, refined, masklets, 2, 4,
                        settings=FailureSettings(small_area=5, thin_radius=1.0, owner_share=1.0))
    _only(no_owner, "spanning", pixels=9, events=1)


def test_drift_in_one_frame_is_charged_on_that_frame_only_per_frame() -> None:
    """Masklet 9 holds a 4x4 object (instance 3, class 1) on frames 0-2 and slides 3 px right on frame 3.

    The network finds only the object's right column on frames 0-2 (class 2 elsewhere on it), so on those
    frames the exact masklet votes class 2: its damage there is the baseline's wrong majority. On frame 3 the
    masklet holds 4 object pixels and 12 background pixels (share 0.25 < 0.5 of 1 at frame 0): it drifts, and
    votes class 0 over the object's column 3.
    """
    gt = np.zeros((4, 4, 8), np.uint8)
    gt[:, :, 0:4] = 1
    instances = np.where(gt == 1, 3, 0).astype(np.int32)
    masklets = np.full(gt.shape, -1, np.int32)
    masklets[0:3, :, 0:4] = 9
    masklets[3, :, 3:7] = 9
    baseline = gt.copy()
    baseline[0:3, :, 0:3] = 2
    refined = refine(baseline, masklets, 3, vote="frame")
    assert (refined[0:3, :, 0:4] == 2).all() and (refined[3, :, 3:7] == 0).all()
    settings = {"small_area": 5, "thin_radius": 1.0, "vote": "frame"}
    per_frame = diagnose(gt, instances, baseline, refined, masklets, 3, 4, settings=FailureSettings(**settings))
    whole = diagnose(gt, instances, baseline, refined, masklets, 3, 4,
                     settings=FailureSettings(**settings, drift_scope="masklet"))
    assert per_frame.frames["drift"].tolist() == [0, 0, 0, 4]
    assert per_frame.frames["wrong_majority"].tolist() == [4, 4, 4, 0]
    assert whole.frames["drift"].tolist() == [4, 4, 4, 4]
    assert whole.frames["wrong_majority"].tolist() == [0, 0, 0, 0]
    # refined: class 0 TP 64, FP 4 -> 64/68; class 1 TP 12 of 64 (frame 3 cols 0-2), no FP -> 12/64;
    # class 2 predicted on 48 px, absent from the truth -> 0. Each restoration gives columns back to class 1.
    refined_miou = (64 / 68 + 12 / 64 + 0) / 3
    cost = per_frame.summary().set_index("cause")["miou_cost"]
    assert cost["drift"] == pytest.approx((1 + 16 / 64 + 0) / 3 - refined_miou)
    assert cost["wrong_majority"] == pytest.approx((64 / 68 + 24 / 64 + 0) / 3 - refined_miou)
    assert whole.summary().set_index("cause").loc["drift", "miou_cost"] == pytest.approx(
        (1 + 28 / 64 + 0) / 3 - refined_miou)
    assert per_frame.summary().set_index("cause").loc[["drift", "wrong_majority"], "events"].tolist() == [1, 3]
    assert whole.summary().set_index("cause").loc["drift", "events"] == 4


def test_exact_masklet_with_a_wrong_baseline_majority_is_wrong_majority() -> None:
    """One 4x4 frame: object (instance 1, class 1) on columns 0-1, stuff class 0 on 2-3; the oracle masklets."""
    gt = np.zeros((1, 4, 4), np.uint8)
    gt[:, :, 0:2] = 1
    instances = np.where(gt == 1, 1, 0).astype(np.int32)
    masklets = np.where(gt == 1, 0, 1).astype(np.int32)
    baseline = gt.copy()
    baseline[0, 1:4, 0] = 0
    baseline[0, 2:4, 1] = 0  # 5 of the object's 8 pixels say class 0, 3 say class 1
    refined = refine(baseline, masklets, 2)
    assert (refined == 0).all()
    report = diagnose(gt, instances, baseline, refined, masklets, 2, 4)
    _only(report, "wrong_majority", pixels=3, events=1)
    # baseline: IoU0 = 8 / 13, IoU1 = 3 / 8; refined: IoU0 = 8 / 16, IoU1 = 0; restoring the 3 pixels gives
    # the baseline back
    assert report.scores()["miou_baseline"] == pytest.approx((8 / 13 + 3 / 8) / 2)
    cost = report.summary().set_index("cause").loc["wrong_majority", "miou_cost"]
    assert cost == pytest.approx((8 / 13 + 3 / 8) / 2 - 0.25)


def test_pure_masklet_over_a_thin_stuff_strip_is_leak() -> None:
    """One 8x8 stuff frame: class 1 on column 7 (8 px), class 0 elsewhere; one masklet covers everything."""
    gt = np.zeros((1, 8, 8), np.uint8)
    gt[:, :, 7] = 1
    instances = np.zeros(gt.shape, np.int32)  # stuff: no instance, so never small_or_thin
    masklets = np.zeros(gt.shape, np.int32)
    refined = refine(gt, masklets, 2)
    report = diagnose(gt, instances, gt, refined, masklets, 2, 1)
    _only(report, "leak", pixels=8, events=1)  # purity 56 / 64 = 0.875 >= 0.8, the vote took class 0
    # refined: IoU0 = 56 / 64, IoU1 = 0 -> 0.4375; restored: 1
    assert report.summary().set_index("cause").loc["leak", "miou_cost"] == pytest.approx(1 - 0.4375)
    _only(diagnose(gt, instances, gt, refined, masklets, 2, 1, settings=FailureSettings(purity=0.9)),
          "spanning", pixels=8, events=1)


def test_vote_decided_by_unlabelled_pixels_is_the_residual_other() -> None:
    """One 4x4 frame: row 0 is class 0, rows 1-3 are ignored; the network says class 1 on the ignored rows."""
    gt = np.full((1, 4, 4), 255, np.uint8)
    gt[0, 0] = 0
    baseline = np.ones(gt.shape, np.uint8)
    baseline[0, 0] = 0
    masklets = np.zeros(gt.shape, np.int32)
    refined = refine(baseline, masklets, 2)  # 12 votes for class 1 against 4
    assert (refined == 1).all()
    # pure (all labelled pixels are class 0) and the baseline's labelled majority is right: no cause fits
    _only(diagnose(gt, np.zeros(gt.shape, np.int32), baseline, refined, masklets, 2, 4), "other", 4, 1)


def test_cause_map_and_costs_agree_with_restored_maps() -> None:
    """Independent route: rebuild each restored map pixel by pixel and score it with mean_iou."""
    rng = np.random.default_rng(0)
    videos = []
    for _ in range(2):
        t, h, w, c = 6, 12, 14, 4
        gt = rng.integers(0, c, (t, h // 3, w // 2)).repeat(3, axis=1).repeat(2, axis=2).astype(np.uint8)
        gt[rng.random(gt.shape) < 0.05] = 255
        instances = rng.integers(0, 5, (t, h // 4, w // 7)).repeat(4, axis=1).repeat(7, axis=2).astype(np.int32)
        baseline = np.where(rng.random(gt.shape) < 0.8, gt, rng.integers(0, c, gt.shape)).astype(np.uint8)
        baseline[gt == 255] = 0
        masklets = rng.integers(-1, 6, (t, h // 4, w // 7)).repeat(4, axis=1).repeat(7, axis=2).astype(np.int32)
        refined = refine(baseline, masklets, c)
        videos.append((gt, instances, baseline, refined, masklets))
    gts = [v[0] for v in videos]
    drift = CAUSES.index("drift")
    drift_maps, seen = {}, set()
    for vote in ("masklet", "frame"):
        voted = [(gt, inst, base, refine(base, ids, 4, vote=vote), ids) for gt, inst, base, _, ids in videos]
        base_miou = mean_iou(gts, [v[3] for v in voted], 4)["miou"]
        for scope in ("frame", "masklet"):
            # a low purity threshold leaves pure rows in this noisy truth, so every cause occurs somewhere
            settings = FailureSettings(small_area=20, purity=0.35, vote=vote, drift_scope=scope)
            merged = merge_reports([diagnose(*v, 4, 3, video=f"v{k}", settings=settings)
                                    for k, v in enumerate(voted)])
            causes = [damage_causes(*v, 4, 3, settings=settings) for v in voted]
            summary = merged.summary().set_index("cause")
            assert summary["pixels"].sum() > 0
            for k, cause in enumerate(CAUSES):
                restored = [np.where(cm == k, v[2], v[3]) for cm, v in zip(causes, voted, strict=True)]
                expected = mean_iou(gts, restored, 4)["miou"] - base_miou
                assert summary.loc[cause, "miou_cost"] == pytest.approx(expected, abs=1e-12)
                assert summary.loc[cause, "pixels"] == sum(int((cm == k).sum()) for cm in causes)
            # damaged pixels, by plain definition
            for cm, (gt, _, baseline, refined, _) in zip(causes, voted, strict=True):
                np.testing.assert_array_equal(cm >= 0, (gt != 255) & (baseline == gt) & (refined != gt))
            assert merged.videos == ("v0", "v1") and len(merged.frames) == 12
            assert merged.scores()["miou_all_restored"] == pytest.approx(
                mean_iou(gts, [np.where(cm >= 0, v[2], v[3]) for cm, v in zip(causes, voted, strict=True)],
                         4)["miou"])
            drift_maps[vote, scope] = [cm == drift for cm in causes]
            seen.update(summary.index[summary["pixels"] > 0])
            if scope == "masklet" or vote == "frame":
                assert summary.loc["drift_vote", "pixels"] == 0  # only a per-frame charge under a masklet vote
        # the per-frame charge is part of the whole-masklet charge, and smaller here
        per_frame, whole = drift_maps[vote, "frame"], drift_maps[vote, "masklet"]
        assert all((f <= m).all() for f, m in zip(per_frame, whole, strict=True))
        assert sum(int(f.sum()) for f in per_frame) < sum(int(m.sum()) for m in whole)
    assert seen == set(CAUSES)


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
    with pytest.raises(ParameterError, match="drift_scope='window' is not one of 'frame', 'masklet'"):
        FailureSettings(drift_scope="window")
    gt, instances, masklets = _spanning_scene()
    with pytest.raises(ParameterError, match=r"same \(T, H, W\) shape.*'masklets': \(1, 8, 7\)"):
        diagnose(gt, instances, gt, gt, masklets[:, :, :7], 2, 4)
    with pytest.raises(ParameterError, match="window=0"):
        diagnose(gt, instances, gt, gt, masklets, 2, 0)
    with pytest.raises(ParameterError, match="cannot merge"):
        diagnose(gt, instances, gt, gt, masklets, 2, 4).merge(diagnose(gt, instances, gt, gt, masklets, 3, 4))


def _random_reports(seeds: int, videos: int) -> list[list]:
    """reports[s][v] of random scenes: the baseline varies with the seed, the truth and the masklets do not."""
    rng = np.random.default_rng(8)
    scenes = []
    for _ in range(videos):
        gt = rng.integers(0, 4, (5, 4, 7)).repeat(3, axis=1).repeat(2, axis=2).astype(np.uint8)
        instances = rng.integers(0, 5, (5, 3, 2)).repeat(4, axis=1).repeat(7, axis=2).astype(np.int32)
        masklets = rng.integers(-1, 6, (5, 3, 2)).repeat(4, axis=1).repeat(7, axis=2).astype(np.int32)
        scenes.append((gt, instances, masklets))
    reports = []
    for _ in range(seeds):
        per_seed = []
        for v, (gt, instances, masklets) in enumerate(scenes):
            baseline = np.where(rng.random(gt.shape) < 0.75, gt, rng.integers(0, 4, gt.shape)).astype(np.uint8)
            per_seed.append(diagnose(gt, instances, baseline, refine(baseline, masklets, 4), masklets, 4, 3,
                                     video=f"v{v}", settings=FailureSettings(small_area=20, purity=0.35)))
        reports.append(per_seed)
    return reports


def test_failure_statistics_match_merged_reports_of_every_draw() -> None:
    """Independent route: for each bootstrap draw, merge the drawn videos' reports (a video drawn twice merged
    twice) and read FailureReport.summary(); average over the drawn seeds (a seed drawn twice counts twice), take
    percentiles. One seed on all videos gives
    the merged report's own summary."""
    reports = _random_reports(seeds=3, videos=4)
    table = summarize_failures(reports, resamples=60, seed=5).set_index("cause")
    seed_weights, weights = resample_seeds_and_videos(3, 4, resamples=60, seed=5)

    def summary(per_seed: list, row) -> object:
        return merge_reports([r for r, times in zip(per_seed, row, strict=True) for _ in range(times)]).summary()

    on_all = [summary(per_seed, np.ones(4, int)).set_index("cause") for per_seed in reports]
    drawn = [[summary(reports[s], row).set_index("cause") for s in range(3) for _ in range(seed_row[s])]
             for seed_row, row in zip(seed_weights, weights, strict=True)]
    assert table["n_seeds"].unique().tolist() == [3] and table["n_videos"].unique().tolist() == [4]
    assert table["drift_scope"].unique().tolist() == ["frame"]
    for column in ("pixel_share", "miou_cost"):
        values = np.array([s[column].to_numpy() for s in on_all])  # (S, K)
        np.testing.assert_allclose(table[column], 100 * values.mean(axis=0), atol=1e-10)
        np.testing.assert_allclose(table[f"{column}_sd"], 100 * values.std(axis=0, ddof=1), atol=1e-10)
        means = np.array([np.mean([s[column].to_numpy() for s in per_draw], axis=0) for per_draw in drawn])
        low, high = np.quantile(means, [0.025, 0.975], axis=0)
        np.testing.assert_allclose(table[f"{column}_ci_low"], 100 * low, atol=1e-10)
        np.testing.assert_allclose(table[f"{column}_ci_high"], 100 * high, atol=1e-10)
    # the lead over the next cause: ranked by mean share, the difference of shares within each draw (paired)
    order = table["pixel_share"].sort_values(ascending=False, kind="stable").index
    assert table.loc[order, "share_rank"].tolist() == list(range(1, len(order) + 1))
    assert np.isnan(table.loc[order[-1], "share_over_next"])
    shares = np.array([s.loc[order, "pixel_share"].to_numpy() for s in on_all])  # (S, K) in rank order
    np.testing.assert_allclose(table.loc[order[:-1], "share_over_next"], 100 * np.diff(-shares).mean(axis=0),
                               atol=1e-10)
    gaps = np.array([np.mean([-np.diff(s.loc[order, "pixel_share"].to_numpy()) for s in per_draw], axis=0)
                     for per_draw in drawn])
    low, high = np.quantile(gaps, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(table.loc[order[:-1], "share_over_next_ci_low"], 100 * low, atol=1e-10)
    np.testing.assert_allclose(table.loc[order[:-1], "share_over_next_ci_high"], 100 * high, atol=1e-10)
    pixels = np.array([s["pixels"].to_numpy() for s in on_all])
    np.testing.assert_allclose(table["pixels"], pixels.mean(axis=0))
    np.testing.assert_allclose(table["pixels_sd"], pixels.std(axis=0, ddof=1))
    assert (table["pixel_share"] > 0).sum() >= 4  # several causes occur, so the shares are not trivial

    one = summarize_failures(reports[:1]).set_index("cause")
    merged = merge_reports(reports[0]).summary().set_index("cause")
    np.testing.assert_allclose(one["miou_cost"], 100 * merged["miou_cost"], atol=1e-12)
    np.testing.assert_allclose(one["pixel_share"], 100 * merged["pixel_share"], atol=1e-12)
    assert one["events"].tolist() == merged["events"].tolist() and one["pixels_sd"].isna().all()


def test_hurt_frame_share_by_hand() -> None:
    """Two seeds x two videos of 5 frames; hurt frames counted from the reports' frame tables."""
    reports = _random_reports(seeds=2, videos=2)
    hurt = np.array([[int(r.frames["hurt"].sum()) for r in per_seed] for per_seed in reports])  # (S, V)
    row = summarize_hurt_frames(reports, resamples=2000, seed=1)
    assert row["frames"] == 10 and row["n_seeds"] == 2 and row["n_videos"] == 2
    assert row["hurt_frames"] == pytest.approx(hurt.sum(axis=1).mean())
    assert row["hurt_share"] == pytest.approx(100 * hurt.sum(axis=1).mean() / 10)
    assert row["hurt_share_sd"] == pytest.approx(100 * np.std(hurt.sum(axis=1) / 10, ddof=1))
    # video draws (a, a), (a, b), (b, b) give seed s the share hurt[s, 0] / 5, hurt[s].sum() / 10, hurt[s, 1] / 5;
    # seed draws (s, s) keep it, (0, 1) average the two seeds: the extremes are single seeds' (each combination
    # has probability at least 1/16, so 2000 draws hold them all and the 95 % percentiles are the extremes)
    possible = [share for s in range(2) for share in (hurt[s, 0] / 5, hurt[s].sum() / 10, hurt[s, 1] / 5)]
    assert row["hurt_share_ci_low"] == pytest.approx(100 * min(possible))
    assert row["hurt_share_ci_high"] == pytest.approx(100 * max(possible))
    with pytest.raises(ParameterError, match="different videos"):
        summarize_hurt_frames([reports[0], reports[1][::-1]])
