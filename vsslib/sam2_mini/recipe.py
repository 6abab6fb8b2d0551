"""The whole sam2-mini recipe end to end: data, (training: :mod:`.train`), export of the committed assets.

``make sam2-mini`` runs ``python -m vsslib.sam2_mini data``, ``train`` and ``export`` in turn.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..base.io import atomic_path, sha256_of_file, write_json_atomic, write_text_atomic
from ..base.errors import CheckpointError, DataError
from .model import ASSETS, CONFIG_PATH, MODEL_NAME, build_model, count_parameters

__all__ = ["TRAIN_DATA", "HELDOUT_DATA", "make_data", "export_run", "remeasure", "rewrite_card"]

# The training videos and the unseen measurement videos; the study's own benchmark uses seed 0.
TRAIN_DATA: dict[str, Any] = {"n_videos": 40, "n_frames": 48, "height": 128, "width": 224, "seed": 1201,
                              "split_counts": (38, 1, 1)}
HELDOUT_DATA: dict[str, Any] = {"n_videos": 6, "n_frames": 48, "height": 128, "width": 224, "seed": 2402,
                                "split_counts": (4, 1, 1)}


def make_data(out: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Generate ``out/train`` (:data:`TRAIN_DATA`) and ``out/heldout`` (:data:`HELDOUT_DATA`) unless present."""
    from ..data.synth import ensure_benchmark

    out = Path(out)
    return (ensure_benchmark(out / "train", **TRAIN_DATA), ensure_benchmark(out / "heldout", **HELDOUT_DATA))


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def export_run(workdir: str | os.PathLike[str], heldout: str | os.PathLike[str], *,
               calibrate: str | os.PathLike[str] | None = None, assets: str | os.PathLike[str] | None = None,
               max_videos: int = 0, calibration_videos: int = 8, hardware: str = "CPU") -> Path:
    """Write the committed assets of a finished run: weights, training curves, quality figures, model card.

    Parameters
    ----------
    workdir : the training run's folder (``checkpoint.pt``, ``log.jsonl``, ``settings.json``).
    heldout : a generated benchmark of unseen videos (all splits): every quality figure is measured there.
    calibrate : a generated benchmark of training videos: when given, the generator's filters are calibrated on
        the first ``calibration_videos`` of its train split (:func:`.quality.calibrate_thresholds`) and written
        to ``generator.json`` (sam2-mini's defaults); None keeps the paper's filters.

    A run started from exported weights lists the runs it continues in ``run.json``'s ``lineage``
    (:func:`.lineage.ancestors`), their curves copied beside its own.

    Writes ``sam2_mini.pt`` (fp16), ``training_log.jsonl`` (the run's log, :data:`LOG_NAME`: the curves and the
    card can be redrawn without the run folder), ``training_curves.png``, ``quality.json``, ``run.json``,
    ``generator.json`` and ``MODEL_CARD.md`` into ``assets`` (default: the package's ``assets/``); returns the
    card's path.
    """
    from ..data import VSPWDataset
    from ..masks import create_masklet_source
    from .card import model_card
    from .export import export_weights, plot_training_curves, read_log
    from .lineage import ancestors, copy_curves
    from .model import GENERATOR_PATH
    from .quality import PAPER_THRESHOLDS, calibrate_thresholds

    workdir = Path(workdir)
    assets = Path(assets) if assets is not None else ASSETS
    assets.mkdir(parents=True, exist_ok=True)
    checkpoint = workdir / "checkpoint.pt"
    if not checkpoint.is_file():
        raise CheckpointError(f"{checkpoint} not found: train first (python -m vsslib.sam2_mini train)")
    weights = export_weights(checkpoint, assets / "sam2_mini.pt")
    if (assets / "sam2_mini.yaml").resolve() != CONFIG_PATH.resolve():
        shutil.copyfile(CONFIG_PATH, assets / "sam2_mini.yaml")
    log = read_log(keep_log(workdir, assets))
    lineage = ancestors(workdir)  # the runs whose weights this one continues, kept in workdir/parent/ at its start
    copy_curves(workdir, assets, lineage)
    plot_training_curves(log, assets / "training_curves.png", title=f"{MODEL_NAME}: training")
    settings = json.loads((workdir / "settings.json").read_text())
    import torch

    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    config = os.fspath(assets / "sam2_mini.yaml")
    generator: dict[str, Any] = {**PAPER_THRESHOLDS, "source": "the paper's filters (not calibrated)"}
    if calibrate is not None:
        started = time.perf_counter()
        train_videos = list(VSPWDataset(calibrate, split="train"))[:calibration_videos]
        found = calibrate_thresholds(
            lambda **f: create_masklet_source("sam2-mini", weights=os.fspath(weights), config=config, **f),
            train_videos)
        generator = {"pred_iou_thresh": found["pred_iou_thresh"],
                     "stability_score_thresh": found["stability_score_thresh"],
                     "source": f"calibrated on {len(train_videos)} training videos (painted key-frame recall)",
                     "calibration": found, "seconds": time.perf_counter() - started}
    write_json_atomic(assets / GENERATOR_PATH.name, generator)
    quality = _measure_into(assets, heldout, generator, max_videos)
    benchmark = json.loads((Path(heldout) / "benchmark.json").read_text())
    model = build_model("base")
    run = {
        "settings": settings, "steps": int(state["step"]), "train_seconds": float(state["seconds"]),
        "started": _utc((workdir / "settings.json").stat().st_mtime),
        "finished": _utc(checkpoint.stat().st_mtime),
        # steps and held-out evaluations; a run resumed or extended across sessions has pauses a clock would count
        "wall_seconds": float(state["seconds"]) + sum(r.get("seconds", 0.0) for r in log
                                                      if r.get("stage") == "heldout"),
        "hardware": hardware, "parameters": count_parameters(model), "weights_bytes": weights.stat().st_size,
        "image_size": int(model.image_size), "data": TRAIN_DATA, "heldout": benchmark, "generator": generator,
        "weights_sha256": sha256_of_file(weights), "lineage": lineage,
    }
    write_json_atomic(assets / "run.json", run)
    card = assets / "MODEL_CARD.md"
    write_text_atomic(card, model_card(run=run, log=log, quality=quality))
    return card


LOG_NAME = "training_log.jsonl"  # the run's log.jsonl, kept beside the weights


def keep_log(workdir: str | os.PathLike[str], assets: str | os.PathLike[str]) -> Path:
    """Copy the run's ``log.jsonl`` from ``workdir`` to ``assets/``:data:`LOG_NAME` (atomically) and return the
    copy: the training curves and the card's training lines come from it, so they can be redrawn once the run
    folder is gone (stop 32 lost one that way). A missing log is a CheckpointError."""
    source = Path(workdir) / "log.jsonl"
    if not source.is_file():
        raise CheckpointError(f"training log {source} not found")
    out = Path(assets) / LOG_NAME
    with atomic_path(out) as tmp:
        shutil.copyfile(source, tmp)
    return out


def rewrite_card(workdir: str | os.PathLike[str] | None = None, assets: str | os.PathLike[str] | None = None) -> Path:
    """Redraw ``training_curves.png`` and rewrite ``MODEL_CARD.md`` in ``assets`` (default: the package's) from its
    ``run.json`` and ``quality.json`` and the run's log: ``workdir``'s ``log.jsonl`` (copied into the assets) or,
    without ``workdir``, the assets' own :data:`LOG_NAME`. Nothing is measured again. Returns the card's path."""
    from .card import model_card
    from .export import plot_training_curves, read_log

    assets = Path(assets) if assets is not None else ASSETS
    log = read_log(keep_log(workdir, assets) if workdir is not None else assets / LOG_NAME)
    run = json.loads((assets / "run.json").read_text())
    quality = json.loads((assets / "quality.json").read_text())
    plot_training_curves(log, assets / "training_curves.png", title=f"{MODEL_NAME}: training")
    card = assets / "MODEL_CARD.md"
    write_text_atomic(card, model_card(run=run, log=log, quality=quality))
    return card


def remeasure(heldout: str | os.PathLike[str], assets: str | os.PathLike[str] | None = None, *,
              max_videos: int = 0) -> Path:
    """Measure the exported weights in ``assets`` (default: the package's) again on ``heldout``, with the current
    masklet path and measurement code and the weights' own generator filters (``generator.json``), and rewrite
    ``quality.json`` and the card (:func:`rewrite_card`); the weights, ``run.json`` and the calibration stay as
    they are. For a change in how masklets are made or measured (the overlap rule of propagated frames, say) once
    the training run's folder is gone. Returns the card's path.

    Raises
    ------
    CheckpointError : ``assets`` lacks the weights, the config or ``generator.json``.
    DataError : ``heldout`` is not the benchmark ``run.json`` records (its ``benchmark.json`` differs).
    """
    from .model import GENERATOR_PATH

    assets = Path(assets) if assets is not None else ASSETS
    needed = [assets / name for name in ("sam2_mini.pt", "sam2_mini.yaml", GENERATOR_PATH.name, "run.json")]
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise CheckpointError(f"cannot measure the exported weights again: {', '.join(missing)} not found")
    recorded = json.loads((assets / "run.json").read_text()).get("heldout")
    found = json.loads((Path(heldout) / "benchmark.json").read_text())
    if recorded is not None and found != recorded:
        raise DataError(f"{Path(heldout) / 'benchmark.json'} is not the held-out benchmark {assets / 'run.json'} "
                        f"records (seed {recorded.get('seed')}, {recorded.get('n_videos')} videos; found seed "
                        f"{found.get('seed')}, {found.get('n_videos')} videos)")
    _measure_into(assets, heldout, json.loads((assets / GENERATOR_PATH.name).read_text()), max_videos)
    return rewrite_card(assets=assets)


def _measure_into(assets: Path, heldout: str | os.PathLike[str], generator: dict[str, Any],
                  max_videos: int) -> dict[str, Any]:
    """Measure the weights in ``assets`` (``sam2_mini.pt`` with ``sam2_mini.yaml``) on the first ``max_videos``
    (0: all) videos of ``heldout`` with ``generator``'s filters (:func:`.quality.measure`), write the figures
    and their seconds to ``assets/quality.json`` (atomically) and return them."""
    from .quality import PAPER_THRESHOLDS, heldout_videos, measure

    videos = heldout_videos(heldout, max_videos or None)
    started = time.perf_counter()
    quality = measure(videos, weights=os.fspath(assets / "sam2_mini.pt"), config=os.fspath(assets / "sam2_mini.yaml"),
                      thresholds={key: float(generator[key]) for key in PAPER_THRESHOLDS})
    quality["measure_seconds"] = time.perf_counter() - started
    write_json_atomic(assets / "quality.json", quality)
    return quality
