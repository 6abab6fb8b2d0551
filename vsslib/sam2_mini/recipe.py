"""The whole sam2-mini recipe end to end: data, (training: :mod:`.train`), export of the committed assets.

``make sam2-mini`` runs ``python -m vsslib.sam2_mini data``, ``train`` and ``export`` in turn.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..data.vspw import SPLITS
from .._io import write_json_atomic, write_text_atomic
from ..errors import CheckpointError
from .model import ASSETS, CONFIG_PATH, MODEL_NAME, build_model, count_parameters

__all__ = ["TRAIN_DATA", "HELDOUT_DATA", "make_data", "compare_point_prompts", "export_run"]

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


def compare_point_prompts(weights: str | os.PathLike[str], heldout: str | os.PathLike[str], *, seed: int = 0,
                          batches: int = 8) -> dict[str, float]:
    """One-click IoU (:func:`.train.point_prompt_iou`) of the random init (``torch.manual_seed(seed)``) and the weights."""
    import torch

    from .data import ClipSampler, load_videos
    from .model import load_weights
    from .train import point_prompt_iou

    out = {}
    for name in ("random init", "trained"):
        torch.manual_seed(seed)
        model = build_model("train")
        if name == "trained":
            load_weights(model, weights)
        model = model.float()
        videos = load_videos(heldout, int(model.image_size), splits=SPLITS)
        sampler = ClipSampler(videos, frames=1, clips=8, objects=8, flip=False)
        out[name] = point_prompt_iou(model, sampler, np.random.default_rng(seed), batches)
    return out


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def export_run(workdir: str | os.PathLike[str], heldout: str | os.PathLike[str], *,
               assets: str | os.PathLike[str] | None = None, max_videos: int = 0,
               hardware: str = "CPU") -> Path:
    """Write the committed assets of a finished run: weights, loss curves, quality figures, model card.

    Writes ``sam2_mini.pt`` (fp16), ``loss_curves.png``, ``quality.json``, ``run.json`` and
    ``MODEL_CARD.md`` into ``assets`` (default: the package's ``assets/``); returns the card's path.
    """
    import shutil

    from ..data import VSPWDataset
    from .card import model_card
    from .export import export_weights, plot_loss_curves, read_log
    from .quality import measure

    workdir = Path(workdir)
    assets = Path(assets) if assets is not None else ASSETS
    assets.mkdir(parents=True, exist_ok=True)
    checkpoint = workdir / "checkpoint.pt"
    if not checkpoint.is_file():
        raise CheckpointError(f"{checkpoint} not found: train first (python -m vsslib.sam2_mini train)")
    weights = export_weights(checkpoint, assets / "sam2_mini.pt")
    if (assets / "sam2_mini.yaml").resolve() != CONFIG_PATH.resolve():
        shutil.copyfile(CONFIG_PATH, assets / "sam2_mini.yaml")
    log = read_log(workdir / "log.jsonl")
    plot_loss_curves(log, assets / "loss_curves.png", title=f"{MODEL_NAME}: training loss")
    settings = json.loads((workdir / "settings.json").read_text())
    import torch

    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    videos = [v for split in SPLITS for v in VSPWDataset(heldout, split=split)]
    if max_videos:
        videos = videos[:max_videos]
    started = time.perf_counter()
    quality = measure(videos, weights=os.fspath(weights), config=os.fspath(assets / "sam2_mini.yaml"))
    quality["measure_seconds"] = time.perf_counter() - started
    write_json_atomic(assets / "quality.json", quality)
    benchmark = json.loads((Path(heldout) / "benchmark.json").read_text())
    model = build_model("base")
    run = {
        "settings": settings, "steps": int(state["step"]), "train_seconds": float(state["seconds"]),
        "started": _utc((workdir / "settings.json").stat().st_mtime),
        "finished": _utc(checkpoint.stat().st_mtime),
        "wall_seconds": checkpoint.stat().st_mtime - (workdir / "settings.json").stat().st_mtime,
        "hardware": hardware, "parameters": count_parameters(model), "weights_bytes": weights.stat().st_size,
        "image_size": int(model.image_size), "data": TRAIN_DATA, "heldout": benchmark,
        "point_prompt_iou": compare_point_prompts(weights, heldout),
    }
    write_json_atomic(assets / "run.json", run)
    card = assets / "MODEL_CARD.md"
    write_text_atomic(card, model_card(run=run, log=log, quality=quality))
    return card
