"""The runs a sam2-mini run continues: its lineage.

A run started from exported weights (``TrainSettings.init``) is a run of its own: a new optimiser, its own stages,
a log and a step count that begin at 0. So that the model card can still tell the whole training, the trainer
copies the records exported beside those weights (``run.json``, ``quality.json``, ``generator.json``, the
training curves) into the run's ``parent/`` folder when it starts, with the SHA-256 of the weights it loaded
(:func:`record_parent`), and the export lists every earlier run, oldest first, in ``run.json``'s ``lineage``
(:func:`ancestors`), each with its curves copied beside the new ones (:func:`copy_curves`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from ..base.io import atomic_path, sha256_of_file, write_json_atomic
from .model import own_filters

__all__ = ["PARENT", "record_parent", "ancestors", "copy_curves", "totals"]

PARENT = "parent"  # the folder, inside a run's workdir, that keeps the records of the weights it started from
RECORDS = ("run.json", "quality.json", "generator.json")
CURVES = "training_curves.png"


def record_parent(init: str | os.PathLike[str], workdir: str | os.PathLike[str]) -> Path | None:
    """Keep, in ``workdir/parent/``, the records exported beside the weights file ``init`` (those of
    :data:`RECORDS` that exist, and every ``training_curves*.png``) and ``weights.json`` (``file``, ``sha256``).

    Done once: an existing ``parent/weights.json`` is kept as it is (a resumed run must not describe weights
    exported after it started). Returns the folder, or None for a run without ``init``."""
    if not init:
        return None
    folder = Path(workdir) / PARENT
    if (folder / "weights.json").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(init).parent
    for path in [*(source / name for name in RECORDS), *sorted(source.glob("training_curves*.png"))]:
        if path.is_file():
            with atomic_path(folder / path.name) as tmp:
                shutil.copyfile(path, tmp)
    write_json_atomic(folder / "weights.json", {"file": os.fspath(init), "sha256": sha256_of_file(init)})
    return folder


def _curves_name(index: int) -> str:
    return f"training_curves_run{index}.png"


def ancestors(workdir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The runs whose weights ``workdir``'s run continues, oldest first (empty for a run from random weights).

    Each: ``run`` (1, 2, ...), ``steps``, ``train_seconds``, ``wall_seconds``, ``started``, ``finished``,
    ``stages`` (``[{"name", "steps"}]``), ``one_click`` (best of three / picked on unseen videos), ``recall``
    (key-frame recall at the filters it was exported with), ``propagation`` (mean propagated IoU),
    ``sha256`` (of the weights), ``curves`` (file name of its training curves beside the new ones, or "" where
    none was kept). Weights without records beside them give one entry with ``steps`` None (an unrecorded start).
    """
    folder = Path(workdir) / PARENT
    if not (folder / "weights.json").is_file():
        return []
    weights = json.loads((folder / "weights.json").read_text())
    if not (folder / "run.json").is_file():
        return [{"run": 1, "steps": None, "file": weights["file"], "sha256": weights["sha256"], "curves": ""}]
    run = json.loads((folder / "run.json").read_text())
    earlier = list(run.get("lineage", []))
    quality = json.loads((folder / "quality.json").read_text()) if (folder / "quality.json").is_file() else {}
    recall = quality.get("keyframe_recall", {})
    used = own_filters(recall)
    index = len(earlier) + 1
    return [*earlier, {
        "run": index, "steps": int(run["steps"]), "train_seconds": float(run["train_seconds"]),
        "wall_seconds": float(run["wall_seconds"]), "started": run["started"], "finished": run["finished"],
        "stages": [{"name": s["name"], "steps": int(s["steps"])} for s in run["settings"]["stages"] if s["steps"]],
        "one_click": {k: quality["one_click_iou"][k] for k in ("best_of_3", "picked")} if quality else None,
        "recall": {"filters": used, "value": recall[used]["recall"]} if used else None,
        "propagation": quality.get("mean_propagation_iou", {}).get("sam2-mini"),
        "file": weights["file"], "sha256": weights["sha256"],
        "curves": _curves_name(index) if (folder / CURVES).is_file() else "",
    }]


def copy_curves(workdir: str | os.PathLike[str], assets: str | os.PathLike[str],
                lineage: list[dict[str, Any]]) -> list[Path]:
    """Copy each earlier run's training curves from ``workdir/parent/`` into ``assets`` under the name its
    lineage entry gives (the parent's own ``training_curves.png`` becomes ``training_curves_runN.png``);
    returns the files written."""
    folder = Path(workdir) / PARENT
    written = []
    for entry in lineage:
        if not entry.get("curves"):
            continue
        source = folder / (CURVES if entry is lineage[-1] else entry["curves"])  # the parent's own curves, renamed
        with atomic_path(Path(assets) / entry["curves"]) as tmp:
            shutil.copyfile(source, tmp)
        written.append(Path(assets) / entry["curves"])
    return written


def totals(run: dict[str, Any]) -> dict[str, float]:
    """Steps and training seconds of a run and every run it continues (``run.json``'s ``lineage``); the steps of
    an unrecorded start are not counted (``complete`` False)."""
    lineage = run.get("lineage", [])
    recorded = [entry for entry in lineage if entry.get("steps") is not None]
    return {"runs": len(lineage) + 1, "steps": int(run["steps"]) + sum(e["steps"] for e in recorded),
            "train_seconds": float(run["train_seconds"]) + sum(e["train_seconds"] for e in recorded),
            "wall_seconds": float(run["wall_seconds"]) + sum(e["wall_seconds"] for e in recorded),
            "complete": len(recorded) == len(lineage)}
