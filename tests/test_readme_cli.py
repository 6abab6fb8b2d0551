"""The README's command-line comparison of sam2-mini and classical masklets on unseen generated videos: its three
commands run as written (sizes shrunk by options appended after them) on a tiny benchmark, and its sentence of
numbers is what the two ``metrics.json`` kept in ``results/cli/`` say."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from vsslib.study.cli import main

ROOT = Path(__file__).resolve().parents[1]
HEADING = "### sam2-mini against classical from the command line"
PREFIX = [".venv/bin/python", "-m", "vsslib"]
# appended after each command: argparse keeps the last value, so the README's own options are all parsed and used
# (96 x 160: the smallest frames the baseline networks' training crop fits)
TINY = {"generate": ["--videos", "3", "--splits", "1", "1", "1", "--frames", "4", "--height", "96", "--width", "160",
                     "--no-progress"],
        "refine": ["--window", "3", "--no-progress"]}
SAM2_MINI_TINY = ["--points-per-side", "4"]  # a setting of the SAM2 sources only (classical refuses it)


def _section() -> str:
    readme = (ROOT / "README.md").read_text()
    assert readme.count(HEADING) == 1, "the README's sam2-mini command-line section moved: update this test"
    return readme.split(HEADING, 1)[1].split("\n## ", 1)[0]


def _commands() -> list[list[str]]:
    block = re.search(r"```bash\n(.*?)```", _section(), re.S)
    assert block, "no bash block in the section"
    text = block.group(1).replace("\\\n", " ")
    return [shlex.split(line) for line in text.splitlines() if line.strip()]


def test_the_readme_commands_run_as_written_and_refine_the_same_baseline(tmp_path: Path, monkeypatch,
                                                                         capsys) -> None:
    commands = _commands()
    assert [c[:4] for c in commands] == [[*PREFIX, "generate"], [*PREFIX, "refine"], [*PREFIX, "refine"]]
    monkeypatch.chdir(tmp_path)  # the README's relative paths (scratch/...) land in the test's folder
    monkeypatch.setenv("VSSLIB_CACHE", str(tmp_path / "cache"))
    for command in commands:
        argv = command[3:]
        extra = SAM2_MINI_TINY if "sam2-mini" in argv else []
        assert main([*argv, *TINY[argv[0]], *extra]) == 0, capsys.readouterr().err
    root = Path(commands[0][commands[0].index("--out") + 1])
    seed = int(commands[0][commands[0].index("--seed") + 1])
    assert json.loads((root / "benchmark.json").read_text())["seed"] == seed
    runs = {}
    for command in commands[1:]:
        out = Path(command[command.index("--out") + 1])
        runs[command[command.index("--masks") + 1]] = json.loads((out / "metrics.json").read_text())
    assert set(runs) == {"sam2-mini", "classical"}
    for source, metrics in runs.items():
        assert metrics["masklet_source"] == source and metrics["baseline_name"] == "fcn16-wide"
        assert metrics["settings"]["split"] == "val" and len(metrics["videos"]) == 1
    # the comparison is fair only if both refine the same predictions: the baseline trained once, then cached
    assert runs["sam2-mini"]["baseline"]["iou"] == runs["classical"]["baseline"]["iou"]
    assert runs["sam2-mini"]["refined"]["iou"] != runs["sam2-mini"]["baseline"]["iou"] or \
        runs["classical"]["refined"]["iou"] != runs["classical"]["baseline"]["iou"]


def test_the_readme_numbers_are_those_of_the_kept_runs() -> None:
    runs = {source: json.loads((ROOT / "results" / "cli" / f"unseen-{source}.json").read_text())
            for source in ("sam2-mini", "classical")}
    base = runs["sam2-mini"]["baseline"]
    assert base == runs["classical"]["baseline"]  # one baseline for both
    assert runs["sam2-mini"]["videos"] == runs["classical"]["videos"]

    def refined(source: str, metric: str) -> str:
        value = 100 * runs[source]["refined"][metric]
        return f"{value:.1f} ({value - 100 * base[metric]:+.1f})"

    expected = (f"baseline `fcn16-wide`: mIoU {100 * base['miou']:.1f}, mBIoU {100 * base['mbiou']:.1f}; refined "
                f"with sam2-mini masklets: mIoU {refined('sam2-mini', 'miou')}, mBIoU {refined('sam2-mini', 'mbiou')}; "
                f"with classical masklets: mIoU {refined('classical', 'miou')}, mBIoU {refined('classical', 'mbiou')}.")
    section = _section()
    assert expected in section
    assert f"on the {len(runs['sam2-mini']['videos'])} val videos ({runs['sam2-mini']['frames']} frames)" in section
    seconds = runs["sam2-mini"]["refined"]["seconds_per_frame"]["masklets"]
    assert f"sam2-mini's masklets {seconds:.2f} s a frame" in section
    # the classes the section says the baseline never gets right, and the train videos it says it trained on
    names = runs["sam2-mini"]["class_names"]
    never = [names[k] for k, iou in enumerate(base["iou"]) if iou == 0]
    assert never == ["pole", "traffic_sign", "bicycle"]
    assert "it gets none of pole, traffic_sign and bicycle right (IoU 0)" in section
    assert "baseline trains on this benchmark's 6 train videos" in section and "--splits 6 4 1" in section
    study_train = json.loads((ROOT / "results" / "settings.json").read_text())["data"]["splits"][0]
    assert f"(the study's networks on {study_train})" in section
    import pandas as pd

    refiner = pd.read_csv(ROOT / "results" / "tables" / "refiner.csv")
    study_baseline = refiner[(refiner["baseline"] == "fcn16-wide") & (refiner["method"] == "baseline")]["mIoU"].item()
    assert "and scores lower than the\nstudy's `fcn16-wide`" in section and 100 * base["miou"] < study_baseline
    # the direction the section states: sam2-mini's refined maps above classical's on both metrics
    assert "sam2-mini's masklets refine better than the classical ones" in section
    for metric in ("miou", "mbiou"):
        assert runs["sam2-mini"]["refined"][metric] > runs["classical"]["refined"][metric]
    # the command that made them is the README's
    for source, metrics in runs.items():
        assert metrics["settings"]["masks"] == source and metrics["settings"]["segmenter"] == "fcn16-wide"
    # the same command with the earlier overlap rule, kept beside them, and the comparison the section draws
    area = json.loads((ROOT / "results" / "cli" / "unseen-sam2-mini-area-overlap.json").read_text())
    same = ("iou", "miou", "biou", "mbiou")  # the same predictions scored (the timing columns are the runs' own)
    assert {k: area["baseline"][k] for k in same} == {k: base[k] for k in same}
    assert "propagation" not in area["settings"]["mask_settings"]

    def earlier(metric: str) -> str:
        value = 100 * area["refined"][metric]
        return f"{value:.1f} ({value - 100 * base[metric]:+.1f})"

    assert (f"the sam2-mini command gave mIoU {earlier('miou')}, mBIoU {earlier('mbiou')} on 2026-12-06" in
            " ".join(section.split()))
    assert "on these 4 videos the new rule is not better" in section
    assert area["refined"]["miou"] >= runs["sam2-mini"]["refined"]["miou"]
    # made with the committed weights and the current propagation rule: a kept run made before either changed is
    # stale, and its numbers are no longer what the command gives
    from vsslib.masks.sam2_model import PropagationSettings
    from vsslib.sam2_mini.masklets import SAM2MiniSettings

    mini = runs["sam2-mini"]["settings"]["mask_settings"]
    assert mini["digest"] == SAM2MiniSettings().digest
    assert mini.get("propagation") == {"overlap": PropagationSettings().overlap}
