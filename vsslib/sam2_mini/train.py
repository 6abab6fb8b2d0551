"""The sam2-mini training recipe: sam2's own ``SAM2Train``, loss and prompt sampling in a plain CPU loop.

sam2's ``Trainer`` assumes torch.distributed, CUDA and bfloat16; this loop keeps everything of the official
recipe that shapes the model (the model class ``training.model.sam2.SAM2Train`` with its point, box and
correction-click sampling, the loss ``training.loss_fns.MultiStepMultiMasksAndIous``, with focal weighted 1
instead of the official 20 (:data:`LOSS_WEIGHTS`), and ``training.optimizer.GradientClipper``) and runs it
in float32 on one process. Two stages, one after the other:

1. ``images``: single frames, many objects per frame, point prompts with a few correction clicks, batches
   of several frames (sam2 forces point prompts on one-frame samples). This teaches the encoder, the
   prompt encoder and the mask decoder what the automatic mask generator needs.
2. ``clips``: short clips, the Hiera trunk frozen, first-frame prompts that are points or the ground-truth
   mask (what ``add_new_mask`` gives the video predictor), so memory attention, the memory encoder and
   the object pointers learn to carry a mask through time.

A run is seeded (numpy generator for the data, torch seed, ``SAM2Train.rng``), saves a resumable
checkpoint (model, optimiser, every generator state, loss history) atomically every ``save_every`` steps,
and logs one line per ``log_every`` steps.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .._io import atomic_path, write_json_atomic
from ..errors import CheckpointError, ParameterError
from .data import ClipSampler, VideoTensors
from .model import build_model

__all__ = ["StageSettings", "TrainSettings", "LOSS_WEIGHTS", "OFFICIAL_LOSS_WEIGHTS", "default_stages", "make_loss",
           "learning_rate", "stage_at", "zero_init_mask_heads", "Trainer", "point_prompt_iou"]

# The official config weights focal 20 : dice 1; from random initialisation on this data every probe with it
# (lr 5e-4 and 1e-3, with and without zero_init_mask_heads) had all masks empty by step 20-30 and stayed
# there, so focal is weighted like dice here.
OFFICIAL_LOSS_WEIGHTS = {"loss_mask": 20.0, "loss_dice": 1.0, "loss_iou": 1.0, "loss_class": 1.0}
LOSS_WEIGHTS = {"loss_mask": 1.0, "loss_dice": 1.0, "loss_iou": 1.0, "loss_class": 1.0}


@dataclass(frozen=True)
class StageSettings:
    """One training stage (see the module docstring)."""

    name: str
    steps: int
    frames: int  # frames per sample (1: single images)
    clips: int  # samples per batch
    objects: int  # objects per sample, at most
    lr: float  # peak learning rate (AdamW), linear warm-up then cosine decay to lr * final_lr_ratio
    warmup: int = 50
    final_lr_ratio: float = 0.05
    freeze_trunk: bool = False  # freeze the Hiera trunk (its features only feed the rest)
    prob_point_prompt: float = 1.0  # first-frame prompt: points (else the ground-truth mask)
    prob_box_prompt: float = 0.0  # of point prompts, a box instead
    corrections: int = 2  # correction clicks on each corrected frame
    frames_to_correct: int = 1  # frames receiving correction clicks (the first, plus random others)
    stride: int = 1  # frame step inside a clip, drawn from 1..stride
    min_area: float = 0.002  # objects covering at least this fraction of the first frame

    def __post_init__(self) -> None:
        for key in ("steps", "frames", "clips", "objects", "warmup", "frames_to_correct", "stride"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < (0 if key in ("steps", "warmup") else 1):
                raise ParameterError(f"stage {self.name!r}: {key}={value!r} must be a non-negative integer")
        if not (isinstance(self.corrections, int) and self.corrections >= 1):  # sam2 1.1.0 fails with 0
            raise ParameterError(f"stage {self.name!r}: corrections={self.corrections!r} must be >= 1")
        if not self.lr > 0:
            raise ParameterError(f"stage {self.name!r}: lr={self.lr!r} must be positive")
        if self.frames_to_correct > self.frames:
            raise ParameterError(f"stage {self.name!r}: frames_to_correct={self.frames_to_correct} > frames={self.frames}")


def default_stages(images_steps: int = 420, clips_steps: int = 80) -> tuple[StageSettings, ...]:
    """The recipe of the committed weights, with the step counts as parameters.

    Objects of at least 5 % of the frame: with smaller ones the empty mask was the cheapest answer and every
    probe collapsed to it (see the model card); with these the dice term kept falling.
    """
    return (
        StageSettings("images", images_steps, frames=1, clips=8, objects=4, lr=1e-3, warmup=10, corrections=1,
                      prob_box_prompt=0.5, min_area=0.05),
        StageSettings("clips", clips_steps, frames=5, clips=2, objects=3, lr=3e-4, warmup=10, freeze_trunk=True,
                      prob_point_prompt=0.5, prob_box_prompt=0.2, corrections=1, frames_to_correct=1, stride=3,
                      min_area=0.05),
    )


@dataclass(frozen=True)
class TrainSettings:
    """A training run: stages, seed, optimiser and bookkeeping."""

    stages: tuple[StageSettings, ...] = field(default_factory=default_stages)
    seed: int = 0
    weight_decay: float = 0.01
    clip_norm: float = 0.1  # the official config's gradient clipping
    save_every: int = 50
    log_every: int = 10

    def __post_init__(self) -> None:
        if not self.stages:
            raise ParameterError("TrainSettings needs at least one stage")
        object.__setattr__(self, "stages", tuple(s if isinstance(s, StageSettings) else StageSettings(**s)
                                                 for s in self.stages))

    @property
    def total_steps(self) -> int:
        """Steps of all stages together."""
        return sum(s.steps for s in self.stages)


def stage_at(settings: TrainSettings, step: int) -> tuple[StageSettings, int]:
    """The stage a global ``step`` (0-based) falls in, and the step inside that stage."""
    for stage in settings.stages:
        if step < stage.steps:
            return stage, step
        step -= stage.steps
    raise ParameterError(f"step {step} is past the last stage")


def learning_rate(stage: StageSettings, step: int) -> float:
    """Linear warm-up over ``stage.warmup`` steps, then cosine decay to ``lr * final_lr_ratio``."""
    if step < stage.warmup:
        return stage.lr * (step + 1) / stage.warmup
    progress = (step - stage.warmup) / max(1, stage.steps - stage.warmup)
    low = stage.lr * stage.final_lr_ratio
    return low + 0.5 * (stage.lr - low) * (1.0 + math.cos(math.pi * min(1.0, progress)))


def make_loss() -> Any:
    """sam2's ``MultiStepMultiMasksAndIous`` with the official config's settings and :data:`LOSS_WEIGHTS`."""
    from training.loss_fns import MultiStepMultiMasksAndIous

    return MultiStepMultiMasksAndIous(weight_dict=dict(LOSS_WEIGHTS), supervise_all_iou=True, iou_use_l1_loss=True,
                                      pred_obj_scores=True, focal_gamma_obj_score=0.0, focal_alpha_obj_score=-1.0)


def zero_init_mask_heads(model: Any) -> None:
    """Zero the last layer of the mask decoder's hypernetwork MLPs, so every mask logit starts at 0.

    From random initialisation the decoder's mask logits start in the hundreds; the first steps then drive
    them far below 0, the sigmoid saturates, dice and focal gradients vanish, and every mask stays empty
    (measured: all masks empty by step 30 with either loss weighting). Starting at 0 keeps them trainable.
    """
    import torch

    with torch.no_grad():
        for mlp in model.sam_mask_decoder.output_hypernetworks_mlps:
            mlp.layers[-1].weight.zero_()
            mlp.layers[-1].bias.zero_()


def _configure(model: Any, stage: StageSettings) -> None:
    """Set ``SAM2Train``'s prompt sampling and the trunk's trainability for a stage."""
    model.prob_to_use_pt_input_for_train = stage.prob_point_prompt
    model.prob_to_use_box_input_for_train = stage.prob_box_prompt
    model.num_correction_pt_per_frame = stage.corrections
    model.num_frames_to_correct_for_train = stage.frames_to_correct
    model.rand_frames_to_correct_for_train = True
    model.num_init_cond_frames_for_train = 1
    for p in model.image_encoder.trunk.parameters():
        p.requires_grad = not stage.freeze_trunk


def point_prompt_iou(model: Any, sampler: ClipSampler, rng: np.random.Generator, batches: int = 4) -> float:
    """Mean IoU of the mask ``SAM2Train`` picks after one uniformly drawn positive click per object.

    Runs single frames (``sampler.frames`` must be 1) in eval mode and reads the first (one-click) step.
    """
    import torch

    if sampler.frames != 1:
        raise ParameterError("point_prompt_iou needs a single-frame sampler")
    was_training, corrections, method = model.training, model.num_correction_pt_per_frame, model.pt_sampling_for_eval
    model.eval()
    model.num_correction_pt_per_frame = 1  # sam2 1.1.0 fails with 0; the first step is the one-click mask
    model.pt_sampling_for_eval = "uniform"
    ious = []
    try:
        with torch.no_grad():
            for _ in range(batches):
                batch = sampler.batch(rng)
                out = model(batch)[0]
                pred = (out["multistep_pred_masks_high_res"][:, 0] > 0).numpy()
                gt = batch.masks[0].numpy()
                inter = (pred & gt).sum(axis=(1, 2))
                union = (pred | gt).sum(axis=(1, 2))
                ious.extend((inter / np.maximum(union, 1)).tolist())
    finally:
        model.train(was_training)
        model.num_correction_pt_per_frame, model.pt_sampling_for_eval = corrections, method
    return float(np.mean(ious))


class Trainer:
    """Runs :class:`TrainSettings` on a list of videos; resumable from its checkpoint.

    Parameters
    ----------
    settings : the run.
    videos : training videos at the model's input size.
    workdir : where ``checkpoint.pt``, ``log.jsonl`` and ``settings.json`` go.
    """

    def __init__(self, settings: TrainSettings, videos: list[VideoTensors], workdir: str | os.PathLike[str]) -> None:
        import torch

        self.settings = settings
        self.videos = videos
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(settings.seed)
        self.model = build_model("train")
        zero_init_mask_heads(self.model)
        self.model.rng = np.random.default_rng([settings.seed, 1])
        self.model.train()
        self.loss = make_loss()
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=settings.stages[0].lr,
                                           weight_decay=settings.weight_decay)
        from training.optimizer import GradientClipper

        self.clipper = GradientClipper(max_norm=settings.clip_norm)
        self.rng = np.random.default_rng([settings.seed, 0])
        self.step = 0
        self.history: list[dict[str, float]] = []
        self.seconds = 0.0
        self._samplers: dict[str, ClipSampler] = {}

    @property
    def checkpoint_path(self) -> Path:
        """The resumable checkpoint."""
        return self.workdir / "checkpoint.pt"

    def sampler(self, stage: StageSettings) -> ClipSampler:
        """The data sampler of a stage (made once)."""
        if stage.name not in self._samplers:
            self._samplers[stage.name] = ClipSampler(self.videos, frames=stage.frames, clips=stage.clips,
                                                     objects=stage.objects, min_area=stage.min_area,
                                                     stride=stage.stride)
        return self._samplers[stage.name]

    def train_step(self) -> dict[str, float]:
        """One optimiser step at ``self.step``; returns the loss terms (floats) and the learning rate."""
        import torch

        stage, local = stage_at(self.settings, self.step)
        if local == 0 or not self.history or self.history[-1].get("stage") != stage.name:
            _configure(self.model, stage)
        lr = learning_rate(stage, local)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        started = time.perf_counter()
        batch = self.sampler(stage).batch(self.rng)
        outputs = self.model(batch)
        losses = self.loss(outputs, batch.masks)
        core = losses["core_loss"]
        if not torch.isfinite(core):
            raise ParameterError(f"step {self.step}: the loss is {core.item()} (not finite); lower the learning rate")
        self.optimizer.zero_grad(set_to_none=True)
        core.backward()
        self.clipper(self.model)
        self.optimizer.step()
        elapsed = time.perf_counter() - started
        self.seconds += elapsed
        # fraction of objects whose final mask is empty: the collapse the issue saw
        final = torch.cat([o["pred_masks_high_res"].detach() for o in outputs], dim=0) > 0
        empty = float((final.flatten(1).sum(1) == 0).float().mean())
        record = {"step": self.step, "stage": stage.name, "lr": lr, "seconds": elapsed, "empty": empty,
                  **{k: float(v.detach()) if hasattr(v, "detach") else float(v) for k, v in losses.items()}}
        self.history.append(record)
        self.step += 1
        return record

    def save(self) -> Path:
        """Write the resumable checkpoint atomically."""
        import torch

        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "step": self.step,
                 "rng": self.rng.bit_generator.state, "model_rng": self.model.rng.bit_generator.state,
                 "torch_rng": torch.get_rng_state(), "history": self.history, "seconds": self.seconds,
                 "settings": json.loads(json.dumps(asdict(self.settings)))}
        with atomic_path(self.checkpoint_path) as tmp:
            torch.save(state, tmp)
        return self.checkpoint_path

    def resume(self) -> bool:
        """Load the checkpoint when there is one (same settings required); returns whether it did."""
        import torch

        if not self.checkpoint_path.is_file():
            return False
        state = torch.load(self.checkpoint_path, map_location="cpu", weights_only=False)
        if state.get("settings") != json.loads(json.dumps(asdict(self.settings))):
            raise CheckpointError(f"{self.checkpoint_path} was made with other settings; use another workdir "
                                  "or the same settings")
        self.model.load_state_dict(state["model"], strict=True)
        self.optimizer.load_state_dict(state["optimizer"])
        self.step = int(state["step"])
        self.rng.bit_generator.state = state["rng"]
        self.model.rng.bit_generator.state = state["model_rng"]
        torch.set_rng_state(state["torch_rng"])
        self.history = list(state["history"])
        self.seconds = float(state["seconds"])
        if self.step < self.settings.total_steps:
            _configure(self.model, stage_at(self.settings, self.step)[0])
        return True

    def run(self, *, progress: bool = True, on_log: Callable[[dict[str, float]], None] | None = None) -> None:
        """Train from ``self.step`` to the end, saving every ``save_every`` steps and at the end."""
        from tqdm.std import tqdm  # text bar: tqdm.auto warns (TqdmWarning) in kernels without ipywidgets

        write_json_atomic(self.workdir / "settings.json", asdict(self.settings))
        total = self.settings.total_steps
        bar = tqdm(total=total, initial=self.step, disable=not progress, desc="sam2-mini", mininterval=5.0)
        log_path = self.workdir / "log.jsonl"
        window: list[dict[str, float]] = []
        while self.step < total:
            record = self.train_step()
            window.append(record)
            bar.update(1)
            if self.step % self.settings.log_every == 0 or self.step == total:
                mean = {k: float(np.mean([r[k] for r in window])) for k in record if k not in ("stage", "step")}
                line = {"step": self.step, "stage": record["stage"], **mean}
                with open(log_path, "a") as handle:
                    handle.write(json.dumps(line) + "\n")
                bar.set_postfix(loss=f"{mean['core_loss']:.2f}", empty=f"{mean['empty']:.2f}")
                if on_log is not None:
                    on_log(line)
                window = []
            if self.step % self.settings.save_every == 0 or self.step == total:
                self.save()
        bar.close()
