"""``python -m vsslib``: bad input stops with one clear line (exit 2); good input writes what the API writes."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import blocky_benchmark

from vsslib.masks import resolve_masklet_settings
from vsslib.base.io import read_image
from vsslib.study.cli import build_parser, main
from vsslib.study.settings import StudySettings
from vsslib.data import VSPWDataset, generate
from vsslib.study.runs import RefineSpec, run_refine
from vsslib.segmenters import save_predictions

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """3 val videos x 10 frames x 32x48 and blocky ground truth as 'predictions'."""
    return blocky_benchmark(tmp_path_factory.mktemp("cli"), n_val=3, seed=4)


def _refine_args(bench: tuple[Path, Path], tmp_path: Path, *extra: str, predictions: Path | None = None) -> list[str]:
    root, preds = bench
    return ["refine", "--data", str(root), "--predictions", str(predictions or preds), "--out", str(tmp_path / "o"),
            "--cache", str(tmp_path / "c"), "--no-progress", *extra]


def _error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``main(argv)``, expect exit status 2 and one line on stderr; return that line."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.mark.parametrize(("extra", "message"), [
    (["--masks", "sam3"], "error: --masks 'sam3' is not a masklet source; valid: classical, oracle, sam2"),
    (["--masks", "classical", "--window", "0"], "error: --window 0: masklets.window=0 must be a positive number"),
    (["--masks", "sam2", "--points-per-side", "0"],
     "error: --points-per-side 0: masklets.sam2.points_per_side=0 must be an integer in [1, inf]"),
    (["--masks", "classical", "--dilation-ratio", "-0.1"],
     "error: --dilation-ratio -0.1: metrics.dilation_ratio=-0.1 must lie in (0, 1)"),
    (["--masks", "sam2-mini", "--device", "cuda"],
     "error: --device is a setting of sam2, not of --masks sam2-mini (which takes --discover-every, --link-iou, "
     "--max-objects-per-batch, --overlap, --points-per-side, --pred-iou-thresh, --stability-score-offset, "
     "--stability-score-thresh, --window)"),
    (["--masks", "classical", "--pred-iou-thresh", "0.5"],
     "error: --pred-iou-thresh is a setting of sam2 and sam2-mini, not of --masks classical (which takes "
     "--discover-every, --link-iou, --window)"),
    (["--masks", "sam2-mini", "--pred-iou-thresh", "1.5"],
     "error: --pred-iou-thresh 1.5: masklets.sam2_mini.pred_iou_thresh=1.5 must be a number in [-inf, 1.0]"),
    (["--masks", "oracle", "--window", "8"], "error: --window is a setting of classical and sam2 and sam2-mini, not of "
                                             "--masks oracle (which takes --oracle-seed, --oracle-strength)"),
    (["--masks", "classical", "--oracle-strength", "0.5"], "error: --oracle-strength is a setting of oracle, not of "
                                                           "--masks classical"),
    (["--masks", "sam2"], "error: --masks sam2 needs --sam2-checkpoint PATH (and the matching --sam2-config)"),
    (["--masks", "sam2", "--sam2-checkpoint", "/nowhere/sam2.1_hiera_tiny.pt"],
     "error: SAM2 checkpoint /nowhere/sam2.1_hiera_tiny.pt not found"),
    (["--masks", "oracle", "--workers", "2", "--dask", "local"],
     "error: --workers and --dask are exclusive"),
    (["--masks", "oracle", "--workers", "0"],
     "error: python -m vsslib refine: argument --workers: 0 must be at least 1"),
    (["--masks", "oracle", "--vote", "pixel"],
     "error: python -m vsslib refine: argument --vote: invalid choice: 'pixel'"),
])
def test_bad_options_stop_with_one_line_naming_the_fault(bench, tmp_path: Path, capsys, extra: list[str],
                                                         message: str) -> None:
    assert _error_line(capsys, _refine_args(bench, tmp_path, *extra)).startswith(message)
    assert not (tmp_path / "o").exists()


def test_bad_data_stops_with_one_line_naming_the_file(bench, tmp_path: Path, capsys) -> None:
    root, preds = bench
    line = _error_line(capsys, ["refine", "--data", str(tmp_path / "nowhere"), "--predictions", str(preds),
                                "--masks", "oracle", "--out", str(tmp_path / "o")])
    assert line.startswith(f"error: {tmp_path / 'nowhere'}: dataset root not found")
    line = _error_line(capsys, _refine_args(bench, tmp_path, "--masks", "oracle", predictions=tmp_path / "none"))
    assert line == f"error: {tmp_path / 'none'}: prediction folder not found (expected <video>/<frame>.png inside)"
    broken = tmp_path / "broken"
    shutil.copytree(preds, broken)
    video = VSPWDataset(root, "val").videos[2]
    (broken / video / "00000007.png").unlink()
    line = _error_line(capsys, _refine_args(bench, tmp_path, "--masks", "oracle", predictions=broken))
    assert line == (f"error: {broken / video / '00000007.png'}: prediction of video '{video}' frame 00000007 not "
                    "found (1 of 10 frames missing)")
    save_predictions(broken, video, ["00000007"], np.zeros((1, 32, 40), np.uint8))
    line = _error_line(capsys, _refine_args(bench, tmp_path, "--masks", "oracle", predictions=broken))
    assert line.startswith(f"error: {broken / video / '00000007.png'}: prediction of shape (32, 40) but frame "
                           f"00000007 of video '{video}' has shape (32, 48)")
    assert not (tmp_path / "o" / "metrics.json").exists()  # the first two videos' predictions are kept


def test_every_option_documents_its_default(capsys) -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert sorted(commands) == ["classify", "generate", "refine", "sam2-checkpoint"]
    for name, command in commands.items():
        exclusive = {a for group in command._mutually_exclusive_groups for a in group._group_actions}
        for action in command._actions:
            if action.dest == "help" or action in exclusive:
                continue
            assert "default" in action.help or action.required, (name, action.option_strings)
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0 and ("--dir" if name == "sam2-checkpoint" else "--out") in capsys.readouterr().out


def test_option_defaults_are_the_settings_defaults() -> None:
    from vsslib.study.cli import OPTION_KEYS
    from vsslib.study.settings import StudySettings

    defaults = StudySettings().to_dict()
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    checked = 0
    for name in ("refine", "classify"):
        options = {a.dest: a.default for a in commands[name]._actions}
        for dest, key in OPTION_KEYS.items():
            if dest not in options:
                continue
            node = defaults
            for part in key.split("."):
                node = node[part]
            assert options[dest] == node, (name, dest, key)
            checked += 1
    assert checked >= 2 * len(OPTION_KEYS) - 2  # --vote only in refine, --epochs only in classify


def test_a_command_line_run_on_two_workers_writes_what_the_api_computes(bench, tmp_path: Path) -> None:
    root, preds = bench
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "vsslib", *_refine_args(bench, tmp_path, "--masks", "oracle",
                                                                           "--vote", "frame", "--workers", "2")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["mIoU", "mBIoU", "mVC8", "mVC16", "mVCc16", "fps"]
    assert [line.split()[0] for line in lines[1:3]] == ["baseline", "refined"]
    written = json.loads((tmp_path / "o" / "metrics.json").read_text())
    api = run_refine(RefineSpec(data_root=str(root), predictions=str(preds), masks="oracle", vote="frame",
                                mask_settings=resolve_masklet_settings("oracle", strength=0.0),
                                cache_root=str(tmp_path / "api")), progress=False)
    for key in ("baseline", "refined"):
        for metric in ("miou", "mbiou", "mvc8", "mvcc8"):
            assert written[key][metric] == getattr(api.scores[key], metric)
        assert lines[1 + (key == "refined")].split()[5] == f"{100 * api.scores[key].mvcc16:.2f}"
        assert lines[1 + (key == "refined")].split()[1] == f"{100 * api.scores[key].miou:.2f}"
    assert written["settings"]["vote"] == "frame" and written["masklet_source"] == "oracle"
    assert len(list((tmp_path / "o" / "pred").rglob("*.png"))) == 30
    bad = subprocess.run([sys.executable, "-m", "vsslib", *_refine_args(bench, tmp_path, "--masks", "sam3")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "valid: classical, oracle, sam2" in bad.stderr


def test_generate_writes_a_dataset_and_refuses_to_overwrite_one(tmp_path: Path, capsys) -> None:
    argv = ["generate", "--out", str(tmp_path / "bench"), "--videos", "4", "--frames", "3", "--height", "32",
            "--width", "40", "--splits", "2", "1", "1", "--seed", "5", "--no-progress"]
    assert main(argv) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'bench'}\n"
    for split, count in (("train", 2), ("val", 1), ("test", 1)):
        dataset = VSPWDataset(tmp_path / "bench", split)
        assert len(dataset) == count
        video = dataset.load(dataset.videos[0])
        assert video.frames.shape == (3, 32, 40, 3) and video.labels.shape == (3, 32, 40)
    assert "bench: exists and is not empty; generate into a new folder" in _error_line(capsys, argv)


def _plain_miou(gts: list[np.ndarray], preds: list[np.ndarray], num_classes: int) -> float:
    """mIoU by a plain loop over classes (mmsegmentation mean: classes with a non-zero union)."""
    gt, pred = np.concatenate([g.ravel() for g in gts]), np.concatenate([p.ravel() for p in preds])
    valid = gt != 255
    ious = [np.sum((gt == c) & (pred == c) & valid) / union for c in range(num_classes)
            if (union := np.sum(((gt == c) | (pred == c)) & valid))]
    return float(np.mean(ious))


def test_classify_writes_every_combination_and_the_baseline(tmp_path: Path, capsys) -> None:
    root = generate(tmp_path / "data", n_videos=6, n_frames=8, height=96, width=160, seed=1, split_counts=(2, 3, 1))
    base = ["classify", "--data", str(root), "--masks", "oracle", "--out", str(tmp_path / "o"), "--cache",
            str(tmp_path / "c"), "--epochs", "3", "--no-progress"]
    assert _error_line(capsys, [*base, "--features", "colour"]).startswith(
        "error: --features 'colour' is not a feature source; valid: appearance, sam2, segmenter:")
    assert _error_line(capsys, [*base, "--features", "appearance", "--split", "train"]) == (
        "error: the classifier trains on split 'train': evaluate on another split")
    assert main([*base, "--features", "appearance"]) == 0
    written = json.loads((tmp_path / "o" / "metrics.json").read_text())
    dataset = VSPWDataset(root, "val")
    gts = [dataset.load(v).labels for v in dataset.videos]
    for variant, folder in (("fallback", "pred"), ("none", "pred-none"), ("fused", "pred-fused")):
        maps = [np.stack([read_image(tmp_path / "o" / folder / v / f"{f}.png") for f in dataset.load(v).frame_ids])
                for v in dataset.videos]
        assert written[variant]["miou"] == pytest.approx(_plain_miou(gts, maps, dataset.num_classes), rel=1e-12)
        assert {"mbiou", "mvc8", "mvc16", "seconds_per_frame"} <= set(written[variant])
    assert set(written["baseline"]["seconds_per_frame"]) == {"baseline"}
    assert written["features"] == "appearance" and written["masklet_source"] == "oracle"


def test_masklet_options_are_the_masklet_settings_knobs() -> None:
    """Every knob of the settings' masklet sections is an option of refine and classify (by name: with the
    component's default where one section has it, routed to the chosen source's section where several do),
    and every masklet option is such a knob or a source keyword the CLI names."""
    import dataclasses

    from vsslib.study.cli import OPTION_KEYS, SECTION_OPTIONS, SOURCE_OPTIONS
    from vsslib.study.settings import StudySettings

    masklets = StudySettings().masklets
    sections = ((masklets, ""), (masklets.sam2, "sam2."), (masklets.sam2_mini, "sam2_mini."))
    knobs = {f"masklets.{prefix}{f.name}": f.default for section, prefix in sections
             for f in dataclasses.fields(section) if "declared_in" in f.metadata}
    shared = {key for key in knobs if key.rsplit(".", 1)[-1] in SECTION_OPTIONS}
    assert set(SECTION_OPTIONS) == {"max_objects_per_batch", "points_per_side", "pred_iou_thresh",
                                    "stability_score_thresh", "stability_score_offset", "overlap"}
    assert all(sources == ["sam2", "sam2-mini"] for sources in SECTION_OPTIONS.values())
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in ("refine", "classify"):
        group = next(g for g in commands[name]._action_groups if g.title == "masklets")
        dests = {a.dest: a.default for a in group._group_actions}
        assert {OPTION_KEYS[d]: v for d, v in dests.items() if d in OPTION_KEYS} == {
            k: v for k, v in knobs.items() if k not in shared}, name
        assert all(dests[d] is None for d in SECTION_OPTIONS), name  # None: the chosen source's own default
        assert set(dests) == {"masks", *SOURCE_OPTIONS, *SECTION_OPTIONS} | {d for d in dests if d in OPTION_KEYS}, name


def test_a_sam2_option_sets_the_chosen_sources_own_knob(tmp_path: Path) -> None:
    """--pred-iou-thresh and its siblings reach the section of the --masks source and no other; left out,
    each source keeps its own default (sam2: the paper's 0.6, sam2-mini: its calibrated filter)."""
    from vsslib.study.cli import settings_from_options

    def settings(*argv: str):
        args = build_parser().parse_args(["refine", "--data", str(tmp_path), "--out", str(tmp_path / "o"),
                                          "--segmenter", "fcn8-small", *argv])
        return settings_from_options(args).masklets

    mini = settings("--masks", "sam2-mini", "--pred-iou-thresh", "0.3", "--points-per-side", "8")
    assert (mini.sam2_mini.pred_iou_thresh, mini.sam2_mini.points_per_side) == (0.3, 8)
    assert (mini.sam2.pred_iou_thresh, mini.sam2.points_per_side) == (0.6, 16)
    plain = settings("--masks", "sam2-mini")
    assert plain.sam2_mini == StudySettings().masklets.sam2_mini and plain.sam2_mini.stability_score_thresh == 0.6
    official = settings("--masks", "sam2", "--stability-score-thresh", "0.9")
    assert official.sam2.stability_score_thresh == 0.9 and official.sam2_mini == plain.sam2_mini
    area = settings("--masks", "sam2-mini", "--overlap", "area")
    assert (area.sam2_mini.overlap, area.sam2.overlap, plain.sam2_mini.overlap) == ("area", "logit", "logit")
    with pytest.raises(SystemExit):  # argparse names the choices
        settings("--masks", "sam2-mini", "--overlap", "middle")
