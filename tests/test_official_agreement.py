"""vsslib.metrics against transcriptions of the official loops (tests/official_scripts.py), on random cases and
on a whole ``refine`` run scored from its written PNG files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from official_scripts import (VSPWEvaluator, binary_boundary_iou, evaluator_score_folders, mask_to_boundary,
                              panoptic_boundary_counts, remap_like_cffm, vc_get_common, vc_score_folders,
                              vc_windows_of_videos)
from vsslib.data import VSPWDataset, generate, remap_labels
from vsslib.metrics import MetricAccumulator, boundary_band, boundary_counts, video_consistency
from vsslib.segmenters import save_predictions

NUM_CLASSES = 4


def _raw_video(rng: np.random.Generator, frames: int, *, voids: tuple[int, ...] = (0, 255),
               shape: tuple[int, int] = (6, 7)) -> tuple[np.ndarray, np.ndarray]:
    """Raw VSPW-style masks (values 1..C and the void values) that change now and then, and a flickering
    prediction of class ids. Returns (raw (T, H, W) uint8, prediction (T, H, W) uint8)."""
    values = np.array([*voids, *range(1, NUM_CLASSES + 1)], np.uint8)
    steps = (rng.random((frames, *shape)) < 0.08).cumsum(axis=0) + rng.integers(0, values.size, shape)
    raw = values[steps % values.size]
    pred = ((rng.random((frames, *shape)) < 0.06).cumsum(axis=0) + rng.integers(0, NUM_CLASSES, shape)) % NUM_CLASSES
    return raw, pred.astype(np.uint8)


# ----------------------------------------------------------------------------------------------- VC_n
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_vc_equals_vc_perclip_on_raw_masks(seed: int) -> None:
    """Videos of T < n, T = n and T > n frames, raw masks holding both 0 and 255."""
    rng = np.random.default_rng(seed)
    lengths = [5, 8, 9, 16, 17, 23, 31]
    rng.shuffle(lengths)
    videos = [_raw_video(rng, frames) for frames in lengths]
    total = MetricAccumulator(NUM_CLASSES)
    for raw, pred in videos:
        total.merge(MetricAccumulator(NUM_CLASSES).update(remap_labels(raw, NUM_CLASSES), pred, raw_gt=raw))
    for n in (8, 16):
        official_windows = vc_windows_of_videos([(list(raw), list(pred)) for raw, pred in videos], n)
        assert total.windows(n)[0].size == len(official_windows) == sum(max(t - n, 0) for t in lengths)
        assert abs(total.result()[f"mvc{n}"] - np.nanmean(official_windows)) < 1e-12
        for raw, pred in videos:  # window by window, one video at a time
            if raw.shape[0] > n:
                expected = vc_get_common(list(raw), list(pred), n, *raw.shape[1:])
                np.testing.assert_allclose(video_consistency(raw, pred, n), expected, rtol=0, atol=1e-15)
            else:
                assert video_consistency(raw, pred, n).size == 0


@pytest.mark.parametrize("void", [0, 255])
def test_remapped_labels_give_the_official_vc_when_the_masks_hold_one_void_value(void: int) -> None:
    """The remap is one-to-one unless a mask holds both raw 0 and 255: then the default (no raw_gt) agrees."""
    rng = np.random.default_rng(10 + void)
    videos = [_raw_video(rng, frames, voids=(void,)) for frames in (12, 17, 20, 16)]
    total = MetricAccumulator(NUM_CLASSES)
    for raw, pred in videos:
        total.update(remap_labels(raw, NUM_CLASSES), pred)
    for n in (8, 16):
        official = np.nanmean(vc_windows_of_videos([(list(raw), list(pred)) for raw, pred in videos], n))
        assert abs(total.result()[f"mvc{n}"] - official) < 1e-12


def test_raw_values_matter_when_a_pixel_alternates_between_the_two_void_values() -> None:
    """Why ``raw_gt`` exists: with both voids, the remapped labels alone count more pixels in G."""
    rng = np.random.default_rng(4)
    raw, pred = _raw_video(rng, 30, shape=(12, 12))
    raw[:, :4, :4] = np.where(np.arange(30) % 2, 0, 255)[:, None, None]  # a block flips others <-> void
    official = np.nanmean(vc_get_common(list(raw), list(pred), 8, 12, 12))
    remapped = MetricAccumulator(NUM_CLASSES).update(remap_labels(raw, NUM_CLASSES), pred)
    with_raw = MetricAccumulator(NUM_CLASSES).update(remap_labels(raw, NUM_CLASSES), pred, raw_gt=raw)
    assert abs(with_raw.result()["mvc8"] - official) < 1e-12
    assert remapped.result()["mvc8"] != pytest.approx(official, abs=1e-3)


def test_all_videos_too_short_gives_nan_like_the_script() -> None:
    rng = np.random.default_rng(5)
    videos = [_raw_video(rng, frames) for frames in (4, 8)]
    total = MetricAccumulator(NUM_CLASSES, vc_lengths=(8,))
    for raw, pred in videos:
        total.update(remap_labels(raw, NUM_CLASSES), pred, raw_gt=raw)
    assert vc_windows_of_videos([(list(raw), list(pred)) for raw, pred in videos], 8) == []
    assert np.isnan(total.result()["mvc8"])


# ----------------------------------------------------------------------------------------------- mIoU
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_miou_present_equals_vspw_evaluator(seed: int) -> None:
    """Raw masks with 0 and 255, a class never in the ground truth but predicted, a class in neither."""
    rng = np.random.default_rng(seed)
    num_classes = 7
    evaluator = VSPWEvaluator(num_classes)
    total = MetricAccumulator(num_classes)
    for frames in (3, 5, 2):
        raw = rng.choice(np.array([0, 255, 1, 2, 3, 4, 5], np.uint8), size=(frames, 9, 11))  # classes 0..4
        gt = remap_labels(raw, num_classes)
        pred = np.where(rng.random(gt.shape) < 0.6, gt, rng.integers(0, 6, gt.shape)).astype(np.uint8)
        pred[pred == 255] = 5  # class 5 is predicted, never true; class 6 is in neither
        total.update(gt, pred)
        for raw_frame, pred_frame in zip(raw, pred, strict=True):
            remapped = remap_like_cffm(raw_frame)
            np.testing.assert_array_equal(remapped, remap_labels(raw_frame, num_classes))
            evaluator.add_batch(remapped[np.newaxis, :], pred_frame[np.newaxis, :])
    result = total.result()
    assert abs(result["miou_present"] - evaluator.mean_intersection_over_union()) < 1e-12
    # which classes enter: present = row sum > 0 (classes 0..4); the reported miou also averages class 5 (IoU 0)
    table = evaluator.confusion_matrix
    with np.errstate(invalid="ignore"):
        iou = np.diag(table) / (table.sum(axis=1) + table.sum(axis=0) - np.diag(table))
    np.testing.assert_allclose(result["iou"], iou, rtol=0, atol=1e-15)
    assert np.isnan(iou[6]) and iou[5] == 0.0
    assert abs(result["miou"] - np.nanmean(iou)) < 1e-12  # mmsegmentation: classes with a non-zero union
    assert result["miou"] < result["miou_present"]


# -------------------------------------------------------------------------------------- Boundary IoU
@pytest.mark.parametrize("ratio", [0.02, 0.05, 0.1, 0.3])
def test_binary_boundary_iou_equals_the_api(ratio: float) -> None:
    rng = np.random.default_rng(int(ratio * 100))
    for shape in ((20, 27), (31, 16), (8, 40)):
        gt = np.kron(rng.random((shape[0] // 3 + 1, shape[1] // 3 + 1)) < 0.5, np.ones((3, 3), bool))
        gt = gt[: shape[0], : shape[1]]
        pred = gt ^ (rng.random(shape) < 0.05)
        np.testing.assert_array_equal(boundary_band(gt, ratio), mask_to_boundary(gt.astype(np.uint8), ratio) > 0)
        intersection, union = boundary_counts(gt.astype(np.uint8), pred.astype(np.uint8), 2, ratio)
        assert (int(intersection[1]), int(union[1])) == binary_boundary_iou(gt, pred, ratio)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_class_boundary_iou_with_ignore_equals_the_api_panoptic_rule(seed: int) -> None:
    """One segment per class (semantic as panoptic): ignored ground truth and out-of-range predictions are
    VOID; the API subtracts the predicted band on VOID from the boundary union, as vsslib drops it."""
    rng = np.random.default_rng(seed)
    num_classes, ratio = 5, 0.08
    gt = np.kron(rng.integers(0, num_classes, (3, 6, 8)), np.ones((1, 4, 4), np.int64)).astype(np.uint8)
    gt[rng.random(gt.shape) < 0.04] = 255
    gt[:, 8:12, 8:16] = 255  # an ignored block bordering several classes
    pred = np.where(rng.random(gt.shape) < 0.1, rng.integers(0, num_classes + 2, gt.shape), gt)
    pred = np.where(pred == 255, 0, pred).astype(np.uint8)  # values 5 and 6 are outside the classes
    intersection, union = np.zeros(num_classes, np.int64), np.zeros(num_classes, np.int64)
    for gt_frame, pred_frame in zip(gt, pred, strict=True):
        pan_gt = np.where(gt_frame < num_classes, gt_frame.astype(np.int64) + 1, 0)
        pan_pred = np.where(pred_frame < num_classes, pred_frame.astype(np.int64) + 1, 0)
        counts = panoptic_boundary_counts(pan_gt, pan_pred, list(range(1, num_classes + 1)), num_classes + 1, ratio)
        for c in range(num_classes):
            intersection[c] += counts[c + 1][0]
            union[c] += counts[c + 1][1]
    got_intersection, got_union = boundary_counts(gt, pred, num_classes, ratio)
    np.testing.assert_array_equal(got_intersection, intersection)
    np.testing.assert_array_equal(got_union, union)


# ------------------------------------------------------------------------------------------ end to end
def test_refine_run_agrees_with_the_official_scripts_on_its_written_pngs(tmp_path: Path) -> None:
    """A ``refine`` run on a tiny generated benchmark (videos of 20 and 18 frames, so both VC_8 and VC_16 have
    windows; masks edited to hold raw 0 and 255, one block flipping between them): the official scripts on the
    raw mask PNGs and the written prediction PNGs give metrics.json's numbers."""
    root = generate(tmp_path / "data", n_videos=4, n_frames=20, height=32, width=48, seed=3,
                    split_counts=(1, 2, 1))
    dataset = VSPWDataset(root, "val")
    for k, name in enumerate(dataset.videos):
        video = dataset.load(name)
        keep = video.num_frames - 2 * k  # one video of 20 frames, one of 18
        for t, frame_id in enumerate(video.frame_ids):
            mask_path = root / "data" / name / "mask" / f"{frame_id}.png"
            if t >= keep:  # shorten the video
                for path in (root / "data" / name / "origin" / f"{frame_id}.jpg", mask_path,
                             root / "data" / name / "instance" / f"{frame_id}.png"):
                    path.unlink(missing_ok=True)
                continue
            raw = np.array(Image.open(mask_path))
            raw[:8, :8] = 255 if t % 3 else 0  # "others" and void in turn: distinct raw values, one remapped
            raw[-4:, -12:] = 0
            Image.fromarray(raw).save(mask_path)
    dataset = VSPWDataset(root, "val")
    for name in dataset.videos:  # coarse "predictions": the ground truth seen at stride 8
        video = dataset.load(name)
        blocky = np.repeat(np.repeat(video.labels[:, ::8, ::8], 8, axis=1), 8, axis=2)
        save_predictions(tmp_path / "preds", name, video.frame_ids, np.where(blocky == 255, 0, blocky))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "vsslib", "refine", "--data", str(root), "--split", "val", "--predictions",
               str(tmp_path / "preds"), "--masks", "oracle", "--out", str(out), "--cache", str(tmp_path / "cache"),
               "--no-progress"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert [dataset.load(name).num_frames for name in dataset.videos] == [20, 18]
    for key, folder in (("baseline", tmp_path / "preds"), ("refined", out / "pred")):
        assert abs(metrics[key]["miou_present"] - evaluator_score_folders(root, folder, dataset.num_classes)) < 1e-6
        remapped_only = MetricAccumulator(dataset.num_classes)
        for name in dataset.videos:
            video = dataset.load(name)
            predictions = np.stack([np.array(Image.open(folder / name / f"{f}.png")) for f in video.frame_ids])
            remapped_only.update(video.labels, predictions)
        for n in (8, 16):
            official = vc_score_folders(root, folder, n)
            assert abs(metrics[key][f"mvc{n}"] - official) < 1e-6, (key, n)
            # the raw values matter here: the remapped labels alone count the flipping block as constant
            assert abs(remapped_only.result()[f"mvc{n}"] - official) > 1e-4, (key, n)
    assert metrics["refined"]["mvc16"] != metrics["baseline"]["mvc16"]  # the two runs differ: not a vacuous match
