"""sam2-mini runs that continue one another: what the trainer keeps of its starting weights, the lineage the export
lists, the curves it copies, and what the model card and the README paragraph say of it (all on made-up records,
checked by hand)."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import torch

from vsslib.sam2_mini.card import model_card, readme_block
from vsslib.sam2_mini.export import export_weights
from vsslib.sam2_mini.lineage import PARENT, ancestors, copy_curves, record_parent, totals
from vsslib.sam2_mini.model import ASSETS
from vsslib.sam2_mini.train import StageSettings, Trainer, TrainSettings

from test_sam2_mini import boxes_video


def _stage(name: str, steps: int) -> dict:
    return {"name": name, "steps": steps}


def _assets(folder: Path, *, steps: int, minutes: float, stages: list[dict], lineage: list[dict], best: float,
            curves: bytes, earlier_curves: dict[str, bytes] | None = None) -> Path:
    """A made-up exported assets folder: weights bytes, run.json, quality.json, curves."""
    folder.mkdir(parents=True)
    (folder / "sam2_mini.pt").write_bytes(f"weights of {folder.name}".encode())
    run = {"steps": steps, "train_seconds": 60.0 * minutes, "wall_seconds": 60.0 * minutes + 30, "started": "s",
           "finished": f"end of {folder.name}", "settings": {"stages": stages}, "lineage": lineage}
    (folder / "run.json").write_text(json.dumps(run))
    quality = {"one_click_iou": {"best_of_3": best, "picked": best - 0.1},
               "keyframe_recall": {"sam2-mini (calibrated filters)": {"recall": best + 0.05}},
               "mean_propagation_iou": {"sam2-mini": best / 2}}
    (folder / "quality.json").write_text(json.dumps(quality))
    (folder / "training_curves.png").write_bytes(curves)
    for name, data in (earlier_curves or {}).items():
        (folder / name).write_bytes(data)
    return folder


def test_a_chain_of_runs_is_listed_oldest_first_with_its_curves_and_totals(tmp_path: Path) -> None:
    first = _assets(tmp_path / "a", steps=100, minutes=10, best=0.5, curves=b"curves of a", lineage=[],
                    stages=[_stage("images", 80), _stage("clips", 20), _stage("memory", 0)])
    assert record_parent("", tmp_path / "none") is None and ancestors(tmp_path / "none") == []
    second_run = tmp_path / "run-b"
    record_parent(first / "sam2_mini.pt", second_run)
    kept = json.loads((second_run / PARENT / "weights.json").read_text())
    assert kept["sha256"] == hashlib.sha256(b"weights of a").hexdigest()
    (first / "sam2_mini.pt").write_bytes(b"overwritten later")  # a later export over the same assets
    record_parent(first / "sam2_mini.pt", second_run)  # a resume: the first record stays
    assert json.loads((second_run / PARENT / "weights.json").read_text()) == kept
    lineage_b = ancestors(second_run)
    assert lineage_b == [{"run": 1, "steps": 100, "train_seconds": 600.0, "wall_seconds": 630.0, "started": "s",
                          "finished": "end of a", "stages": [_stage("images", 80), _stage("clips", 20)],
                          "one_click": {"best_of_3": 0.5, "picked": 0.4},
                          "recall": {"filters": "sam2-mini (calibrated filters)", "value": 0.55},
                          "propagation": 0.25, "file": str(first / "sam2_mini.pt"), "sha256": kept["sha256"],
                          "curves": "training_curves_run1.png"}]
    # run b exported with that lineage; run c starts from b's weights
    second = _assets(tmp_path / "b", steps=40, minutes=4, best=0.6, curves=b"curves of b", lineage=lineage_b,
                     stages=[_stage("images", 40)], earlier_curves={})
    assert copy_curves(second_run, second, lineage_b) == [second / "training_curves_run1.png"]
    assert (second / "training_curves_run1.png").read_bytes() == b"curves of a"
    third_run = tmp_path / "run-c"
    record_parent(second / "sam2_mini.pt", third_run)
    lineage_c = ancestors(third_run)
    assert [(e["run"], e["steps"], e["curves"]) for e in lineage_c] == [
        (1, 100, "training_curves_run1.png"), (2, 40, "training_curves_run2.png")]
    third = tmp_path / "c"
    third.mkdir()
    copy_curves(third_run, third, lineage_c)
    assert (third / "training_curves_run1.png").read_bytes() == b"curves of a"
    assert (third / "training_curves_run2.png").read_bytes() == b"curves of b"
    whole = totals({"steps": 7, "train_seconds": 60.0, "wall_seconds": 90.0, "lineage": lineage_c})
    assert whole == {"runs": 3, "steps": 147, "train_seconds": 60.0 + 600 + 240, "wall_seconds": 90.0 + 630 + 270,
                     "complete": True}


def test_weights_without_records_are_an_unrecorded_start(tmp_path: Path) -> None:
    (tmp_path / "w.pt").write_bytes(b"anonymous")
    record_parent(tmp_path / "w.pt", tmp_path / "run")
    (entry,) = ancestors(tmp_path / "run")
    assert entry["steps"] is None and entry["curves"] == ""
    assert entry["sha256"] == hashlib.sha256(b"anonymous").hexdigest()
    whole = totals({"steps": 5, "train_seconds": 1.0, "wall_seconds": 2.0, "lineage": [entry]})
    assert (whole["runs"], whole["steps"], whole["complete"]) == (2, 5, False)


def test_the_card_and_the_readme_paragraph_tell_the_whole_chain() -> None:
    run = json.loads((ASSETS / "run.json").read_text())
    run.pop("lineage", None)  # the committed weights' last run, as if it had started from random weights
    quality = json.loads((ASSETS / "quality.json").read_text())
    log = [{"step": 10, "stage": "images", "core_loss": 2.0, "empty": 0.0, "seconds": 3.0}]
    plain = model_card(run=run, log=log, quality=quality)
    assert "## The run\n" in plain and "Earlier runs" not in plain  # the committed weights: one run
    assert readme_block(run=run, quality=quality).count(f"The committed weights: {run['steps']} steps, ") == 1
    assert "has the recipe, the curves over the whole run, " in readme_block(run=run, quality=quality)
    later = copy.deepcopy(run)
    later.update(steps=600, train_seconds=1800.0, wall_seconds=1900.0,
                 lineage=[{"run": 1, "steps": 5420, "train_seconds": 21912.0, "wall_seconds": 22014.0,
                           "started": "2026-12-04 17:30", "finished": "2026-12-04 21:20",
                           "stages": [_stage("images", 1800), _stage("long-tracking", 1500)],
                           "one_click": {"best_of_3": 0.6016, "picked": 0.512},
                           "recall": {"filters": "sam2-mini (calibrated filters)", "value": 0.6488},
                           "propagation": 0.3328, "file": "x.pt", "sha256": "ab" * 32,
                           "curves": "training_curves_run1.png"}])
    card = model_card(run=later, log=log, quality=quality)
    assert "## The last run\n\nThese weights continue 1 earlier run (the next section)" in card
    assert ("| 1 | images 1800, long-tracking 1500 | 5420 | 365 | 2026-12-04 21:20 | 0.602 / 0.512 | "
            "0.649 (sam2-mini (calibrated filters)) | 0.333 | [training_curves_run1.png](training_curves_run1.png) |"
            in card)
    # 600 + 5420 steps; (1800 + 21912) / 60 = 395.2 min of steps, (1900 + 22014) / 60 = 398.6 with evaluations
    assert "Training in all, this run included: 6020 steps in 2 runs, 395 min of steps (399 min with the" in card
    # (1800 + 21912) / 60 = 395.2 minutes of steps in the whole chain
    assert "retrains the whole chain: the first run above from random weights" in card
    assert "on this machine that took 395 minutes of training steps" in card
    assert "| images | direct | 0 |" not in card  # a stage this run skipped is not listed
    assert "The committed weights: 6020 steps in 2 runs, each continuing the last, 395 min of training" in \
        readme_block(run=later, quality=quality)
    assert "has the recipe, the curves of every run (the last drawn, the earlier ones linked), " in \
        readme_block(run=later, quality=quality)


def test_a_trainer_started_from_exported_weights_keeps_their_records(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    stages = (StageSettings("images", 1, frames=1, clips=1, objects=2, lr=1e-4, warmup=0, forward="direct"),)
    first = Trainer(TrainSettings(stages=stages, save_every=1), [boxes_video()], tmp_path / "a")
    first.train_step()
    first.save()
    assets = tmp_path / "assets"
    weights = export_weights(first.checkpoint_path, assets / "sam2_mini.pt")
    (assets / "run.json").write_text(json.dumps({"steps": 1, "train_seconds": 2.0, "wall_seconds": 3.0,
                                                 "started": "s", "finished": "f", "settings": {"stages": []}}))
    Trainer(TrainSettings(stages=stages, init=str(weights)), [boxes_video()], tmp_path / "b")
    kept = json.loads((tmp_path / "b" / PARENT / "weights.json").read_text())
    assert kept == {"file": str(weights), "sha256": hashlib.sha256(weights.read_bytes()).hexdigest()}
    assert json.loads((tmp_path / "b" / PARENT / "run.json").read_text())["steps"] == 1
    assert not (tmp_path / "a" / PARENT).exists()  # a run from random weights has no parent


def _make_recipe(target: str) -> list[list[str]]:
    """The commands of a Makefile target, variables expanded (``$(PY)`` as ``python``), split into words."""
    import re
    import shlex

    text = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    variables = dict(re.findall(r"^([A-Z0-9_]+) :?= (.*)$", text, re.M))
    variables["PY"] = "python"
    body = text.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]

    def expand(line: str) -> str:
        while "$(" in line:
            line = re.sub(r"\$\(([A-Z0-9_]+)\)", lambda m: variables[m.group(1)], line)
        return line

    return [shlex.split(expand(line.strip())) for line in body if line.startswith("\t") and not
            line.strip().startswith("#")]


def test_make_sam2_mini_retrains_the_committed_chain_of_runs() -> None:
    """``make sam2-mini`` runs one ``train`` per run of the committed weights' lineage and then the last run, each
    with the stages (names and steps) that run.json records, each later one starting from the weights its
    predecessor's ``export`` wrote; the last export writes the package's assets."""
    from vsslib.sam2_mini.__main__ import build_parser, train_stages

    run = json.loads((ASSETS / "run.json").read_text())
    recorded = [[(s["name"], s["steps"]) for s in earlier["stages"]] for earlier in run.get("lineage", [])]
    recorded.append([(s["name"], s["steps"]) for s in run["settings"]["stages"] if s["steps"]])
    commands = [words[words.index("vsslib.sam2_mini") + 1:] for words in _make_recipe("sam2-mini")
                if "vsslib.sam2_mini" in words]
    trains = [build_parser().parse_args(c) for c in commands if c[0] == "train"]
    exports = [build_parser().parse_args(c) for c in commands if c[0] == "export"]
    assert [[(s.name, s.steps) for s in train_stages(a) if s.steps] for a in trains] == recorded  # lineage: steps > 0
    assert [a.workdir for a in exports] == [a.workdir for a in trains]  # each run exported after it trained
    assert trains[0].init == "" and exports[-1].assets is None  # from random weights, into the package's assets
    for earlier, later in zip(exports, trains[1:]):
        assert later.init == f"{earlier.assets}/sam2_mini.pt"
    assert trains[-1].eval_every == run["settings"]["eval_every"]  # (earlier runs' records do not keep theirs)


def test_the_card_lists_recipes_and_diagnoses_apart() -> None:
    """A measurement that trained nothing is listed under the diagnoses, every recipe under the earlier recipes."""
    from vsslib.sam2_mini.card import ATTEMPTS, DIAGNOSES

    run = json.loads((ASSETS / "run.json").read_text())
    quality = json.loads((ASSETS / "quality.json").read_text())
    log = [{"step": 10, "stage": "images", "core_loss": 2.0, "empty": 0.0, "seconds": 3.0}]
    card = model_card(run=run, log=log, quality=quality)
    recipes = card.split("## Earlier recipes (measured here)\n")[1].split("\n## ")[0]
    diagnoses = card.split("## Diagnoses (measured here, nothing trained)\n")[1].split("\n## ")[0]
    assert recipes.count("\n- ") == len(ATTEMPTS) and diagnoses.count("\n- ") == len(DIAGNOSES) >= 1
    assert all(f"- {d}." in diagnoses and d not in recipes for d in DIAGNOSES)
    assert all(f"- {a}." in recipes for a in ATTEMPTS)
