"""Cached per-video runs of approach 1: what metrics.json says equals what the written PNGs score, and every
setting invalidates exactly the products it shapes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from vsslib.masks import resolve_masklet_settings
from vsslib.base.io import read_image
from vsslib.data import VSPWDataset, generate
from vsslib.base.errors import DataError, ParameterError
from vsslib.masks import create_masklet_source
from vsslib.metrics import mean_boundary_iou, video_consistency
from vsslib.study.runs import RefineSpec, run_refine
from vsslib.study.runs.products import write_predictions
from vsslib.refine import refine
from vsslib.segmenters import save_predictions

KINDS = ("baseline", "masklets", "refined", "metrics")


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """4 val videos x 16 frames x 32x48 (plus 1 train, 1 test) and damaged ground truth as 'predictions'.

    The damage: labels sampled on an 8-pixel grid and blown up (a coarse network's blocky boundaries), plus
    2% of pixels set to class 3.
    """
    base = tmp_path_factory.mktemp("pipeline")
    root = generate(base / "data", n_videos=6, n_frames=16, height=32, width=48, seed=1, split_counts=(1, 4, 1))
    preds = base / "preds"
    rng = np.random.default_rng(0)
    dataset = VSPWDataset(root, "val")
    for name in dataset.videos:
        video = dataset.load(name)
        damaged = np.repeat(np.repeat(video.labels[:, ::8, ::8], 8, axis=1), 8, axis=2)
        damaged[rng.random(damaged.shape) < 0.02] = 3
        save_predictions(preds, name, video.frame_ids, damaged)
    return root, preds


def _plain_miou(gts: list[np.ndarray], preds: list[np.ndarray], num_classes: int) -> float:
    """mIoU by a plain loop over classes (mmsegmentation mean: classes with a non-zero union)."""
    gt, pred = np.concatenate([g.ravel() for g in gts]), np.concatenate([p.ravel() for p in preds])
    valid = gt != 255
    ious = []
    for c in range(num_classes):
        union = np.sum(((gt == c) | (pred == c)) & valid)
        if union:
            ious.append(np.sum((gt == c) & (pred == c) & valid) / union)
    return float(np.mean(ious))


def _product_times(cache: Path) -> dict[str, dict[Path, int]]:
    return {kind: {p: p.stat().st_mtime_ns for p in (cache / kind).rglob("*.npz")} for kind in KINDS}


@pytest.mark.parametrize(("source", "settings"), [("oracle", {}), ("classical", {"window": 4})])
def test_metrics_json_equals_the_metrics_of_the_written_predictions(bench, tmp_path: Path, source: str,
                                                                     settings: dict) -> None:
    root, preds = bench
    out = tmp_path / "out"
    spec = RefineSpec(data_root=str(root), predictions=str(preds), masks=source,
                      mask_settings=resolve_masklet_settings(source, **settings), cache_root=str(tmp_path / "c"), out=str(out))
    returned = run_refine(spec, progress=False)
    written = json.loads((out / "metrics.json").read_text())
    dataset = VSPWDataset(root, "val")
    masklets = create_masklet_source(source, **settings)
    gts, refined, baseline = [], [], []
    for name in dataset.videos:
        video = dataset.load(name)
        gts.append(video.labels)
        refined.append(np.stack([read_image(out / "pred" / name / f"{f}.png") for f in video.frame_ids]))
        baseline.append(np.stack([read_image(preds / name / f"{f}.png") for f in video.frame_ids]))
        # the written maps are the refiner applied to the baseline and the source's masklets
        expected = refine(baseline[-1], masklets(video.frames, video), dataset.num_classes)
        np.testing.assert_array_equal(refined[-1], expected)
    for key, maps in (("refined", refined), ("baseline", baseline)):
        assert written[key]["miou"] == pytest.approx(_plain_miou(gts, maps, dataset.num_classes), rel=1e-12)
        assert written[key]["mbiou"] == pytest.approx(
            mean_boundary_iou(gts, maps, dataset.num_classes)["mbiou"], rel=1e-12)
        for n in (8, 16):
            windows = np.concatenate([video_consistency(g, p, n) for g, p in zip(gts, maps, strict=True)])
            if windows.size:
                assert written[key][f"mvc{n}"] == pytest.approx(np.nanmean(windows), rel=1e-12)
            else:  # VSPW's definition skips videos of n frames or fewer: no window, no score (null)
                assert n == 16 and written[key][f"mvc{n}"] is None
    assert set(written["refined"]["seconds_per_frame"]) == {"baseline", "masklets", "refinement"}
    assert set(written["baseline"]["seconds_per_frame"]) == {"baseline"}
    assert all(v >= 0 for v in written["refined"]["seconds_per_frame"].values())
    assert written["masklet_source"] == source and written["dataset"] == dataset.name
    assert written["videos"] == dataset.videos and written["frames"] == 64
    assert written["settings"]["vote"] == "masklet" and written["settings"]["predictions"] == str(preds)
    assert written["approach"] == "refine" and returned.videos == dataset.videos
    assert [None if v != v else v for v in returned.scores["refined"].iou] == written["refined"]["iou"]  # NaN: null
    if source == "oracle":  # exact objects on blocky predictions fix the boundaries
        assert written["refined"]["mbiou"] > written["baseline"]["mbiou"] + 0.05


def test_a_rerun_skips_finished_videos_and_writes_the_same_bytes(bench, tmp_path: Path) -> None:
    root, preds = bench
    spec = RefineSpec(data_root=str(root), predictions=str(preds), masks="oracle", cache_root=str(tmp_path / "c"),
                      out=str(tmp_path / "out"))
    run_refine(spec, progress=False)
    products = _product_times(tmp_path / "c")
    pngs = {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "pred").rglob("*.png")}
    first = (tmp_path / "out" / "metrics.json").read_bytes()
    assert [len(products[k]) for k in KINDS] == [4, 4, 4, 4] and len(pngs) == 64
    run_refine(spec, progress=False)
    assert _product_times(tmp_path / "c") == products  # nothing recomputed
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "pred").rglob("*.png")} == pngs  # nor rewritten
    assert (tmp_path / "out" / "metrics.json").read_bytes() == first  # times come from the products


def test_changing_the_vote_reuses_baselines_and_masklets_and_recomputes_refinement(bench, tmp_path: Path) -> None:
    root, preds = bench
    spec = RefineSpec(data_root=str(root), predictions=str(preds), masks="oracle",
                      mask_settings=resolve_masklet_settings("oracle", strength=0.6), cache_root=str(tmp_path / "c"))
    masklet_vote = run_refine(spec, progress=False)
    before = _product_times(tmp_path / "c")
    frame_vote = run_refine(spec.replace(vote="frame"), progress=False)
    after = _product_times(tmp_path / "c")
    assert after["baseline"] == before["baseline"] and after["masklets"] == before["masklets"]
    for kind in ("refined", "metrics"):  # four new products, the old ones kept for the first setting
        assert set(before[kind]) < set(after[kind]) and len(set(after[kind]) - set(before[kind])) == 4
    np.testing.assert_equal(frame_vote.scores["baseline"].percent(), masklet_vote.scores["baseline"].percent())
    assert frame_vote.scores["baseline"].seconds_per_frame == masklet_vote.scores["baseline"].seconds_per_frame
    assert frame_vote.scores["refined"].miou != masklet_vote.scores["refined"].miou  # corrupted masklets: votes differ


def test_metric_counts_cached_before_correct_consistency_are_recomputed(bench, tmp_path: Path) -> None:
    """The metrics cache key holds the accumulator's settings, ``vc_measures`` included: counts a version
    without VCc wrote sit under another key, so they are not found; only the metric counts are recomputed."""
    from vsslib.base.cache import ProductCache

    root, preds = bench
    spec = RefineSpec(data_root=str(root), predictions=str(preds), masks="oracle", cache_root=str(tmp_path / "c"))
    run_refine(spec, progress=False)
    folders = sorted((tmp_path / "c" / "metrics").iterdir())  # one key per video (its baseline and refined maps)
    before = _product_times(tmp_path / "c")
    assert len(folders) == 4
    for folder in folders:
        recorded = json.loads((folder / "settings.json").read_text())
        assert recorded["accumulator"]["vc_measures"] == ["vc", "vcc"]
        assert ProductCache(tmp_path / "c", "metrics", recorded).key == folder.name  # the key is made from these
        # what the previous version left: the same counts less VCc's, under the key of its settings
        accumulator = {k: v for k, v in recorded["accumulator"].items() if k != "vc_measures"}
        old = ProductCache(tmp_path / "c", "metrics", {**recorded, "accumulator": accumulator})
        assert old.key != folder.name
        for path in folder.glob("*.npz"):
            with np.load(path) as arrays:
                old.save(path.stem, **{k: arrays[k] for k in arrays.files if "vcc" not in k and k != "vc_measures"})
        shutil.rmtree(folder)
    result = run_refine(spec, progress=False)
    after = _product_times(tmp_path / "c")
    assert all(after[k] == before[k] for k in ("baseline", "masklets", "refined"))  # reused
    assert sorted(p.parent for p in after["metrics"] if p.parent in folders) == folders  # recomputed, new keys
    assert len(after["metrics"]) == 8  # beside the 4 old entries, never read
    assert np.isfinite(result.scores["refined"].mvcc8)
    assert result.scores["refined"].mvcc8 <= result.scores["refined"].mvc8


def test_changing_one_input_recomputes_only_what_depends_on_it(bench, tmp_path: Path) -> None:
    root, preds = bench
    mine = tmp_path / "preds"
    shutil.copytree(preds, mine)
    spec = RefineSpec(data_root=str(root), predictions=str(mine), masks="oracle", cache_root=str(tmp_path / "c"))
    run_refine(spec, progress=False)
    before = _product_times(tmp_path / "c")
    # A new Boundary IoU band: only the metric counts change.
    run_refine(spec.replace(dilation_ratio=0.05), progress=False)
    after = _product_times(tmp_path / "c")
    assert all(after[k] == before[k] for k in ("baseline", "masklets", "refined"))
    assert len(after["metrics"]) == 8
    # One prediction file of the third video changes: its baseline (same key, new fingerprint) is recomputed.
    video = VSPWDataset(root, "val").videos[2]
    labels = read_image(mine / video / "00000003.png")
    save_predictions(mine, video, ["00000003"], (labels[None] + 1) % 10)
    run_refine(spec, progress=False)
    final = _product_times(tmp_path / "c")
    changed = {p.stem.split("@")[0] for kind in KINDS for p in final[kind] if final[kind][p] != after[kind].get(p)}
    assert changed == {video}
    assert final["masklets"] == after["masklets"]


def test_prediction_folder_missing_a_frame_or_of_another_size(bench, tmp_path: Path) -> None:
    root, preds = bench
    broken = tmp_path / "broken"
    shutil.copytree(preds, broken)
    video = VSPWDataset(root, "val").videos[1]
    (broken / video / "00000004.png").unlink()
    spec = RefineSpec(data_root=str(root), predictions=str(broken), masks="oracle", cache_root=str(tmp_path / "c"),
                      out=str(tmp_path / "out"))
    with pytest.raises(DataError, match=rf"00000004.png: prediction of video '{video}' frame 00000004 not found "
                                        r"\(1 of 16 frames missing\)"):
        run_refine(spec, progress=False)
    save_predictions(broken, video, ["00000004"], np.zeros((1, 24, 48), np.uint8))
    with pytest.raises(DataError, match=r"00000004.png: prediction of shape \(24, 48\) but frame 00000004 of "
                                        rf"video '{video}' has shape \(32, 48\)"):
        run_refine(spec, progress=False)
    assert not (tmp_path / "out" / "metrics.json").exists()
    with pytest.raises(DataError, match=r"nowhere: prediction folder not found"):
        run_refine(spec.replace(predictions=str(tmp_path / "nowhere")), progress=False)


def test_spec_rejects_impossible_settings(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="exactly one baseline"):
        RefineSpec(data_root=str(tmp_path), cache_root=str(tmp_path / "c"), masks="oracle")
    with pytest.raises(ParameterError, match="exactly one baseline"):
        RefineSpec(data_root=str(tmp_path), cache_root=str(tmp_path / "c"), segmenter="fcn8-small", predictions=str(tmp_path))
    with pytest.raises(ParameterError, match=r"vote='pixel' is not one of masklet, frame"):
        RefineSpec(data_root=str(tmp_path), cache_root=str(tmp_path / "c"), segmenter="fcn8-small", vote="pixel")
    with pytest.raises(ParameterError, match=r"dilation_ratio=-0.1 must be a positive"):
        RefineSpec(data_root=str(tmp_path), cache_root=str(tmp_path / "c"), segmenter="fcn8-small", dilation_ratio=-0.1)
    spec = RefineSpec(data_root=str(tmp_path), cache_root=str(tmp_path / "c"), segmenter="fcn8-small",
                      mask_settings=resolve_masklet_settings("classical", window=8))
    assert spec.mask_settings.windows.window == 8 and hash(spec) == hash(spec.replace())  # frozen and hashable
    assert spec.replace(mask_settings=resolve_masklet_settings("classical", window=8)) == spec  # equal by value
    with pytest.raises(ParameterError, match=r"mask_settings of masks='oracle' must be a OracleSettings .*got "
                                             r"ClassicalSettings"):
        spec.replace(masks="oracle")


def test_write_predictions_leaves_identical_files_and_replaces_others(tmp_path: Path) -> None:
    labels = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert write_predictions(tmp_path, ["a", "b"], labels) == 2
    assert write_predictions(tmp_path, ["a", "b"], labels) == 0
    (tmp_path / "b.png").write_bytes(b"not a png")
    labels[0, 0, 0] = 255
    assert write_predictions(tmp_path, ["a", "b"], labels) == 2
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), labels[0])
    np.testing.assert_array_equal(read_image(tmp_path / "b.png"), labels[1])


def test_peak_memory_of_each_propagated_window_reaches_metrics_json(bench, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A source that measures device memory per window (as SAM2Masklets does) has it written per video."""
    from vsslib.study.runs import approach1, products

    class MeasuringSource:
        settings = {"kind": "measuring"}
        name = "measuring"

        def __init__(self) -> None:
            self.peak_memory_mib: list[float] = []
            self.oracle = create_masklet_source("oracle")

        def __call__(self, frames: np.ndarray, video) -> np.ndarray:
            self.peak_memory_mib += [100.0 + len(self.peak_memory_mib), 50.0]  # two windows a video
            return self.oracle(frames, video)

    source = MeasuringSource()
    monkeypatch.setattr(products, "masklet_source", lambda name, settings: source)
    monkeypatch.setattr(approach1, "masklet_source", lambda name, settings: source)
    root, preds = bench
    spec = RefineSpec(data_root=str(root), predictions=str(preds), masks="oracle", cache_root=str(tmp_path / "c"),
                      out=str(tmp_path / "out"))
    result = run_refine(spec, progress=False)
    written = json.loads((tmp_path / "out" / "metrics.json").read_text())
    videos = VSPWDataset(root, "val").videos
    expected = {v: [100.0 + 2 * i, 50.0] for i, v in enumerate(videos)}
    assert written["peak_memory_mib"] == {"max": 100.0 + 2 * (len(videos) - 1), "per_window": expected}
    assert [r.peak_memory_mib for r in result.records] == list(expected.values())


def test_two_datasets_with_the_same_video_names_keep_their_products_side_by_side(tmp_path: Path) -> None:
    """The development and the confirmation benchmark name their videos alike: each product is stored per video
    *and* inputs, so running one after the other and then the first again computes nothing the third time; a
    product stored under the bare video name by an earlier version is still read."""
    from conftest import blocky_benchmark

    (a, preds_a), (b, preds_b) = (blocky_benchmark(tmp_path / n, n_val=2, seed=s) for n, s in (("a", 1), ("b", 2)))
    assert VSPWDataset(a, "val").videos == VSPWDataset(b, "val").videos  # the same names, other frames

    def spec(root: Path, preds: Path) -> RefineSpec:
        return RefineSpec(data_root=str(root), predictions=str(preds), masks="classical", cache_root=str(tmp_path / "c"))

    first = run_refine(spec(a, preds_a), progress=False)
    run_refine(spec(b, preds_b), progress=False)
    made = _product_times(tmp_path / "c")
    assert all(len(files) == 4 for files in made.values()), {k: len(v) for k, v in made.items()}  # 2 videos x 2
    again = run_refine(spec(a, preds_a), progress=False)
    assert _product_times(tmp_path / "c") == made  # nothing recomputed, nothing replaced
    assert again.scores["refined"].miou == first.scores["refined"].miou
    # an entry under the bare name (an earlier version's layout) is read when its inputs match
    for path in (tmp_path / "c" / "masklets").rglob("*.npz"):
        name, fingerprint = path.stem.split("@")
        if VSPWDataset(a, "val").videos[0] == name:
            with np.load(path) as arrays:
                if str(arrays["fingerprint"]) == fingerprint:
                    shutil.move(path, path.with_name(f"{name}.npz"))
    run_refine(spec(a, preds_a), progress=False)
    moved = _product_times(tmp_path / "c")["masklets"]
    assert len(moved) == 4 and any("@" not in p.stem for p in moved)  # read, not made again
