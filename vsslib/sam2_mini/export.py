"""Turn a training run into the committed assets: fp16 weights and the training-curve figure."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..base.io import atomic_path
from ..base.errors import CheckpointError

__all__ = ["export_weights", "read_log", "plot_training_curves"]


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
    """The lines of a run's ``log.jsonl`` (:func:`.train.read_records`); a missing log is a CheckpointError."""
    from .train import read_records

    if not Path(path).is_file():
        raise CheckpointError(f"training log {path} not found")
    return read_records(path)


def plot_training_curves(log: list[dict[str, Any]], out: str | os.PathLike[str], *, title: str) -> Path:
    """Plot a run's curves against the step and save a PNG.

    Three panels: the weighted total loss and its four unweighted terms (log scale); the held-out one-click IoU
    (best of the three masks, the mask the IoU head picks, and the picked mask's predicted IoU) and, where the
    run logged a propagation probe, the propagated IoU of unseen videos' own objects, with the learning rate on
    a second axis; the fraction of empty (min-loss) training masks. Stage changes are dashed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [r for r in log if r["stage"] != "heldout"]
    held = [r for r in log if r["stage"] == "heldout"]
    steps = np.array([r["step"] for r in train])
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(8, 8.5), sharex=True,
                                              gridspec_kw={"height_ratios": [3, 3, 1]})
    for key, label in (("core_loss", "total (weighted)"), ("loss_mask", "focal"), ("loss_dice", "dice"),
                       ("loss_iou", "IoU prediction"), ("loss_class", "object score")):
        top.plot(steps, [max(r[key], 1e-6) for r in train], label=label, lw=1.2 if key == "core_loss" else 0.8)
    top.set_yscale("log")
    top.set_ylabel("training loss\n(mean over 10 steps)")
    top.legend(fontsize=8, ncol=2)
    top.set_title(title, fontsize=9)
    if held:
        h_steps = [r["step"] for r in held]
        middle.plot(h_steps, [r["best_of_3"] for r in held], "o-", ms=3, label="IoU, best of the 3 masks")
        middle.plot(h_steps, [r["picked"] for r in held], "s-", ms=3, label="IoU of the mask the IoU head picks")
        middle.plot(h_steps, [r["predicted"] for r in held], ":", label="predicted IoU of that mask")
        probed = [r for r in held if "propagated" in r]  # runs with a propagation probe (run 4 on)
        if probed:
            middle.plot([r["step"] for r in probed], [r["propagated"] for r in probed], "^-", ms=3, color="C3",
                        label=f"propagated IoU, mean of {len(probed[0]['propagated_by_offset'])} frames "
                              "(seeded by the objects)")
        middle.set_ylim(0, 1)
        middle.legend(fontsize=8, loc="upper left")
    middle.set_ylabel(f"held-out one-click IoU\n({held[0]['objects'] if held else 0} objects, unseen videos)")
    rate = middle.twinx()
    rate.plot(steps, [r["lr"] for r in train], color="grey", lw=0.8)
    rate.set_ylabel("learning rate", color="grey", fontsize=8)
    rate.tick_params(labelsize=8, colors="grey")
    bottom.plot(steps, [r["empty"] for r in train], color="black", lw=0.8)
    bottom.set_ylabel("empty masks")
    bottom.set_xlabel("step")
    bottom.set_ylim(-0.02, 1.02)
    stages = [(r["step"], r["stage"]) for i, r in enumerate(train) if i and r["stage"] != train[i - 1]["stage"]]
    for step, name in stages:
        for ax in (top, middle, bottom):
            ax.axvline(step, color="grey", ls="--", lw=0.7)
        # written upwards beside its line, so the names of stages a few steps apart never overprint
        top.text(step, top.get_ylim()[1], f"{name} ", rotation=90, ha="right", va="top", fontsize=8)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return Path(out)
