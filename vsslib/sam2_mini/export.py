"""Turn a training run into the committed assets: fp16 weights and the loss-curve figure."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_path
from ..errors import CheckpointError

__all__ = ["export_weights", "read_log", "plot_loss_curves"]


def export_weights(checkpoint: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write the model weights of a training checkpoint as float16 ``{"model": state_dict}`` (atomically).

    Raises
    ------
    CheckpointError
        A missing checkpoint or one without a ``model`` entry.
    """
    import torch

    path = Path(checkpoint)
    if not path.is_file():
        raise CheckpointError(f"training checkpoint {path} not found")
    state = torch.load(path, map_location="cpu", weights_only=False)
    if "model" not in state:
        raise CheckpointError(f"training checkpoint {path} has no 'model' entry")
    weights = {k: (v.half() if v.is_floating_point() else v) for k, v in state["model"].items()}
    with atomic_path(out) as tmp:
        torch.save({"model": weights, "step": int(state.get("step", -1))}, tmp)
    return Path(out)


def read_log(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The lines of a run's ``log.jsonl`` (one dict per logged window of steps)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"training log {path} not found")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plot_loss_curves(log: list[dict[str, Any]], out: str | os.PathLike[str], *, title: str) -> Path:
    """Plot the weighted total loss and its four unweighted terms (log scale) and the empty-mask fraction against the step; save a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.array([r["step"] for r in log])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    for key, label in (("core_loss", "total (weighted)"), ("loss_mask", "focal"), ("loss_dice", "dice"),
                       ("loss_iou", "IoU prediction"), ("loss_class", "object score")):
        top.plot(steps, [r[key] for r in log], label=label, lw=1.2 if key == "core_loss" else 0.8)
    top.set_yscale("log")
    top.set_ylabel("loss (mean over logged steps)")
    top.legend(fontsize=8)
    top.set_title(title, fontsize=9)
    bottom.plot(steps, [r["empty"] for r in log], color="black", lw=0.8)
    bottom.set_ylabel("empty masks")
    bottom.set_xlabel("step")
    bottom.set_ylim(-0.02, 1.02)
    stages = [(r["step"], r["stage"]) for i, r in enumerate(log) if i and r["stage"] != log[i - 1]["stage"]]
    for step, name in stages:
        for ax in (top, bottom):
            ax.axvline(step, color="grey", ls="--", lw=0.7)
        top.text(step, top.get_ylim()[1], f" {name}", va="top", fontsize=8)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return Path(out)
