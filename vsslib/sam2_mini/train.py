"""The sam2-mini training recipe: sam2's own modules, loss and gradient clipping in a plain CPU loop.

sam2's ``Trainer`` assumes torch.distributed, CUDA and bfloat16; this loop keeps what shapes the model (the
model class ``training.model.sam2.SAM2Train``, the loss ``training.loss_fns.MultiStepMultiMasksAndIous`` with
the weights of :data:`LOSS_WEIGHTS` and its IoU term as a squared error, as SAM trains it, and
``training.optimizer.GradientClipper``) and runs it in float32 on one process. Up to five stages, one after the
other (:func:`default_stages`; a run may start at any of them from earlier weights, ``TrainSettings.init``):

1. ``images`` (``forward="direct"``): single frames, many objects per frame (down to 0.5 % of the frame),
   one prompt each (a click, or a noisy box), through the direct image pass of :mod:`.image_pass`: the
   image encoder, prompt encoder and mask decoder the automatic mask generator uses, three masks a prompt,
   min-loss of the three. The learning rate is held at its peak through the plateau where masks ignore the
   prompt (``hold``), then decays over the rest of the planned run (../shared/reference.md, E4-E6).
2. ``clips`` (``forward="sam2train"``): short clips through ``SAM2Train``'s own forward, the Hiera trunk
   frozen, first-frame prompts that are points or the ground-truth mask (what ``add_new_mask`` gives the
   video predictor), so memory attention, the memory encoder and the object pointers learn to carry a mask
   through time.
3. ``memory`` (``forward="sam2train"``): longer clips through the same forward with everything the image
   path uses frozen (``train_only``: memory attention, the memory encoder, the object-pointer projections
   and the memory's own embeddings), so carrying masks through time cannot undo what the image stage
   learned (the clip stage with a trainable decoder lowered held-out one-click IoU 0.586 -> 0.567 in the
   committed run).
4. ``tracking`` and 5. ``long-tracking`` (``forward="sam2train"``): the memory stage's clips (16-frame clips
   for the long one), the mask decoder trained beside the memory path, every second (third) step a batch of
   the image stage through the direct pass, so what the automatic generator needs is kept.

A finished run can be extended by further stages: :meth:`Trainer.resume` accepts a checkpoint whose stages
are the first stages of the new settings (everything else equal). A run whose checkpoint is gone is continued
from its exported weights with ``TrainSettings.init`` (a new run: new optimiser state, stages of its own).

Every ``eval_every`` steps the run measures one-click IoU on a fixed set of held-out objects (best of the
three masks, and the one the IoU head picks), and with a ``probe`` the propagated IoU of unseen videos' own
key-frame objects, and writes them to the log, so curves cover the whole run.

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

from ..base.io import atomic_path, write_json_atomic, write_text_atomic
from ..base.errors import CheckpointError, ParameterError
from .data import ClipSampler, evaluation_batches, VideoTensors
from .lineage import record_parent
from .model import build_model

__all__ = ["MEMORY_PARTS", "StageSettings", "TrainSettings", "LOSS_WEIGHTS", "OFFICIAL_LOSS_WEIGHTS",
           "default_stages", "make_loss", "learning_rate", "stage_at", "parameter_groups", "Trainer", "heldout_iou",
           "FORWARDS", "read_records"]

# The official config weights focal 20 : dice 1 : IoU 1. With dice 1 the three outputs of a small SAM2 trained
# from scratch here stuck at "whole image" and "empty"; with dice 5 mask sizes matched the objects within ~30
# steps (../shared/reference.md, E4). The IoU term is a squared error (as SAM trains it): under sam2's L1 option
# the IoU head died while masks were empty (E5).
OFFICIAL_LOSS_WEIGHTS = {"loss_mask": 20.0, "loss_dice": 1.0, "loss_iou": 1.0, "loss_class": 1.0}
LOSS_WEIGHTS = {"loss_mask": 20.0, "loss_dice": 5.0, "loss_iou": 2.0, "loss_class": 1.0}
FORWARDS = ("direct", "sam2train")
# SAM2Base's modules and parameters that only the memory path uses: the image pass (encoder, prompt encoder,
# mask decoder, no_mem_embed) does not touch them
MEMORY_PARTS = ("memory_attention", "memory_encoder", "obj_ptr_proj", "obj_ptr_tpos_proj", "mask_downsample",
                "maskmem_tpos_enc", "no_mem_pos_enc", "no_obj_ptr", "no_obj_embed_spatial")


@dataclass(frozen=True)
class StageSettings:
    """One training stage (see the module docstring)."""

    name: str
    steps: int
    frames: int  # frames per sample (1: single images)
    clips: int  # samples per batch
    objects: int  # objects per sample, at most
    lr: float  # peak learning rate (AdamW): linear warm-up, held, then cosine decay to lr * final_lr_ratio
    warmup: int = 50
    final_lr_ratio: float = 0.05
    hold: float = 0.0  # fraction of the steps after warm-up held at the peak before the cosine starts
    forward: str = "sam2train"  # "direct": the image pass of .image_pass (frames=1); "sam2train": SAM2Train's
    freeze_trunk: bool = False  # freeze the Hiera trunk (its features only feed the rest)
    prob_point_prompt: float = 1.0  # first-frame prompt: points (else the ground-truth mask)
    prob_box_prompt: float = 0.0  # of point prompts, a box instead
    corrections: int = 2  # correction clicks on each corrected frame
    frames_to_correct: int = 1  # frames receiving correction clicks (the first, plus random others)
    stride: int = 1  # frame step inside a clip, drawn from 1..stride
    min_area: float = 0.002  # objects covering at least this fraction of the first frame
    train_only: tuple[str, ...] = ()  # the model's top-level modules/parameters trained (empty: all but a frozen trunk)
    interleave: str = ""  # name of an earlier "direct" stage whose batches replace every interleave_every-th step's
    interleave_every: int = 2  # (images and clips trained together, as SAM2 trains on SA-1B and SA-V at once)

    def __post_init__(self) -> None:
        object.__setattr__(self, "train_only", tuple(self.train_only))
        if not all(isinstance(name, str) and name for name in self.train_only):
            raise ParameterError(f"stage {self.name!r}: train_only={self.train_only!r} must name modules")
        for key in ("steps", "frames", "clips", "objects", "warmup", "frames_to_correct", "stride", "interleave_every"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < (0 if key in ("steps", "warmup") else 1):
                raise ParameterError(f"stage {self.name!r}: {key}={value!r} must be a non-negative integer")
        if not (isinstance(self.corrections, int) and self.corrections >= 1):  # sam2 1.1.0 fails with 0
            raise ParameterError(f"stage {self.name!r}: corrections={self.corrections!r} must be >= 1")
        if not self.lr > 0:
            raise ParameterError(f"stage {self.name!r}: lr={self.lr!r} must be positive")
        if not 0.0 <= self.hold < 1.0:
            raise ParameterError(f"stage {self.name!r}: hold={self.hold!r} must lie in [0, 1)")
        if self.forward not in FORWARDS:
            raise ParameterError(f"stage {self.name!r}: forward={self.forward!r} unknown; valid: {', '.join(FORWARDS)}")
        if self.forward == "direct" and self.frames != 1:
            raise ParameterError(f"stage {self.name!r}: the direct image pass takes single frames, "
                                 f"not frames={self.frames}")
        if self.frames_to_correct > self.frames:
            raise ParameterError(f"stage {self.name!r}: frames_to_correct={self.frames_to_correct} "
                                 f"> frames={self.frames}")


def default_stages(images_steps: int = 1800, clips_steps: int = 120, memory_steps: int = 1200,
                   tracking_steps: int = 800, long_tracking_steps: int = 0) -> tuple[StageSettings, ...]:
    """The recipe's stages, with the step counts as parameters (the committed weights come from three runs of
    them, each with its own counts: the Makefile's ``sam2-mini`` target).

    Image stage: E4's measured recipe (../shared/reference.md): 8 frames x up to 8 objects of at least 0.5 %
    of the frame = 64 prompts a step, 25 % noisy boxes, lr 3e-4 after a 30-step warm-up, held for the first
    half of the stage (the plateau where masks ignore the prompt lasted several hundred steps in E4-E6),
    then a cosine to 0.1x. Clip stage: the trunk frozen, sam2's own forward with its correction click.
    Memory stage (only when ``memory_steps`` > 0): 8-frame clips, mostly ground-truth mask prompts on the
    first frame (how the study seeds masklets), only :data:`MEMORY_PARTS` trained. Tracking stage (only when
    ``tracking_steps`` > 0): the memory stage's clips with the mask decoder trained beside the memory path, so
    that it learns to decode memory-conditioned frames that carry no prompt (frozen, it only ever saw prompts);
    every second step is an image stage batch, so that the decoder keeps what the automatic generator needs
    (measured: decoder and memory path trained on clips alone, one-click IoU fell from 0.567 to 0.507 in 340
    steps while propagated IoU from ground-truth key-frame masks rose from 0.34 to 0.47). Long tracking stage
    (only when ``long_tracking_steps`` > 0): the same parts on 16-frame clips (up to 32 frames apart, the
    study's window), two clip steps to one image step, so that masks are carried as far as the window reaches.
    """
    memory = (StageSettings("memory", memory_steps, frames=8, clips=2, objects=3, lr=3e-4, warmup=20,
                            final_lr_ratio=0.1, hold=0.3, freeze_trunk=True, prob_point_prompt=0.3,
                            prob_box_prompt=0.2, corrections=1, frames_to_correct=1, stride=2, min_area=0.005,
                            train_only=MEMORY_PARTS),) if memory_steps else ()
    tracking = (StageSettings("tracking", tracking_steps, frames=8, clips=2, objects=3, lr=2e-4, warmup=20,
                              final_lr_ratio=0.1, hold=0.3, freeze_trunk=True, prob_point_prompt=0.3,
                              prob_box_prompt=0.2, corrections=1, frames_to_correct=1, stride=2, min_area=0.005,
                              train_only=(*MEMORY_PARTS, "sam_mask_decoder"), interleave="images",
                              interleave_every=2),) if tracking_steps else ()
    long_tracking = (StageSettings("long-tracking", long_tracking_steps, frames=16, clips=1, objects=4, lr=1e-4,
                                   warmup=20, final_lr_ratio=0.1, hold=0.3, freeze_trunk=True,
                                   prob_point_prompt=0.3, prob_box_prompt=0.2, corrections=1, frames_to_correct=1,
                                   stride=2, min_area=0.005, train_only=(*MEMORY_PARTS, "sam_mask_decoder"),
                                   interleave="images", interleave_every=3),) if long_tracking_steps else ()
    return (
        StageSettings("images", images_steps, frames=1, clips=8, objects=8, lr=3e-4, warmup=30, final_lr_ratio=0.1,
                      hold=0.5, forward="direct", prob_box_prompt=0.25, min_area=0.005),
        StageSettings("clips", clips_steps, frames=5, clips=2, objects=3, lr=1e-4, warmup=10, final_lr_ratio=0.1,
                      freeze_trunk=True, prob_point_prompt=0.5, prob_box_prompt=0.2, corrections=1,
                      frames_to_correct=1, stride=3, min_area=0.005),
        *memory,
        *tracking,
        *long_tracking,
    )


@dataclass(frozen=True)
class TrainSettings:
    """A training run: stages, seed, optimiser and bookkeeping."""

    stages: tuple[StageSettings, ...] = field(default_factory=default_stages)
    seed: int = 0
    weight_decay: float = 0.1  # on weights only: biases, norms and embeddings (1-d parameters) get none
    clip_norm: float = 0.1  # the official config's gradient clipping
    save_every: int = 50
    log_every: int = 10
    eval_every: int = 100  # held-out one-click IoU every this many steps (0: never)
    # weights file (``{"model": state_dict}``, e.g. the committed fp16 weights) to start from; "": random
    init: str = ""

    def __post_init__(self) -> None:
        if self.init and not Path(self.init).is_file():
            raise ParameterError(f"TrainSettings: init={self.init!r} is not a file (a weights file to start from)")
        if not self.stages:
            raise ParameterError("TrainSettings needs at least one stage")
        object.__setattr__(self, "stages", tuple(s if isinstance(s, StageSettings) else StageSettings(**s)
                                                 for s in self.stages))
        for k, stage in enumerate(self.stages):
            if not stage.interleave:
                continue
            earlier = {s.name: s for s in self.stages[:k]}
            if stage.interleave not in earlier or earlier[stage.interleave].forward != "direct":
                raise ParameterError(f"stage {stage.name!r}: interleave={stage.interleave!r} must name an earlier "
                                     f"stage with the direct image pass; earlier: {', '.join(earlier) or 'none'}")

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
    """Linear warm-up over ``stage.warmup`` steps, the peak held for ``hold`` of the rest, then cosine decay."""
    if step < stage.warmup:
        return stage.lr * (step + 1) / stage.warmup
    held = int(round(stage.hold * (stage.steps - stage.warmup)))
    progress = (step - stage.warmup - held) / max(1, stage.steps - stage.warmup - held)
    if progress <= 0:
        return stage.lr
    low = stage.lr * stage.final_lr_ratio
    return low + 0.5 * (stage.lr - low) * (1.0 + math.cos(math.pi * min(1.0, progress)))


def make_loss() -> Any:
    """sam2's ``MultiStepMultiMasksAndIous``: the official config's settings, :data:`LOSS_WEIGHTS`, squared IoU
    error."""
    from training.loss_fns import MultiStepMultiMasksAndIous

    return MultiStepMultiMasksAndIous(weight_dict=dict(LOSS_WEIGHTS), supervise_all_iou=True, iou_use_l1_loss=False,
                                      pred_obj_scores=True, focal_gamma_obj_score=0.0, focal_alpha_obj_score=-1.0)


def parameter_groups(model: Any, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: weight decay on weight matrices and kernels, none on 1-d parameters (biases, norms) and on
    parameters named as embeddings or position encodings (``embed``, ``pos_``, ``*token.weight``): by that rule
    also the patch-embedding convolution (``trunk.patch_embed.proj.weight``) and the object pointers' temporal
    projection (``obj_ptr_tpos_proj.weight``), as every committed run was trained."""
    decay, plain = [], []
    for name, p in model.named_parameters():
        (plain if p.ndim <= 1 or "embed" in name or "pos_" in name or name.endswith("token.weight")
         else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": plain, "weight_decay": 0.0}]


def heldout_iou(model: Any, batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]], rng_seed: int = 0
                ) -> dict[str, float]:
    """One-click IoU of the direct image pass on fixed held-out batches (eval mode, no gradient).

    Parameters
    ----------
    batches : ``ClipSampler.draw`` outputs of single frames: images (1, B, 3, S, S), masks (1, O, S, S), owner (O,).
    rng_seed : seeds the click drawn inside each object (the same clicks at every call).

    Returns
    -------
    ``{"best_of_3": mean over objects of the best of the three masks' IoU, "picked": IoU of the mask with the
    highest predicted IoU, "predicted": mean predicted IoU of the picked mask, "correlation": Pearson
    correlation of predicted and true IoU over all masks, "empty": fraction of picked masks that are empty}``.
    """
    import torch

    from .image_pass import draw_prompts, image_pass

    rng = np.random.default_rng(rng_seed)
    was_training = model.training
    model.eval()
    true, predicted, empty = [], [], []
    try:
        with torch.no_grad():
            for images, masks, owner in batches:
                coords, labels = draw_prompts(masks[0], rng, prob_box=0.0)
                out = image_pass(model, torch.from_numpy(images[0]), torch.from_numpy(owner),
                                 torch.from_numpy(coords), torch.from_numpy(labels))
                pred = (out["multistep_pred_multimasks_high_res"][0] > 0).numpy()  # (O, 3, S, S)
                gt = masks[0][:, None]
                inter = (pred & gt).sum(axis=(2, 3))
                union = (pred | gt).sum(axis=(2, 3))
                true.append(inter / np.maximum(union, 1))
                predicted.append(out["multistep_pred_ious"][0].numpy())
                empty.append(pred.reshape(len(pred), 3, -1).sum(-1) == 0)
    finally:
        model.train(was_training)
    t, p, e = np.concatenate(true), np.concatenate(predicted), np.concatenate(empty)
    picked = np.argmax(p, axis=1)
    rows = np.arange(len(t))
    flat_t, flat_p = t.ravel(), p.ravel()
    corr = float(np.corrcoef(flat_t, flat_p)[0, 1]) if flat_t.std() > 0 and flat_p.std() > 0 else 0.0
    return {"best_of_3": float(t.max(axis=1).mean()), "picked": float(t[rows, picked].mean()),
            "predicted": float(p[rows, picked].mean()), "correlation": corr,
            "empty": float(e[rows, picked].mean()), "objects": int(len(t))}


def _configure(model: Any, stage: StageSettings) -> None:
    """Set ``SAM2Train``'s prompt sampling and which parameters train in a stage (``train_only``, ``freeze_trunk``)."""
    model.prob_to_use_pt_input_for_train = stage.prob_point_prompt
    model.prob_to_use_box_input_for_train = stage.prob_box_prompt
    model.num_correction_pt_per_frame = stage.corrections
    model.num_frames_to_correct_for_train = stage.frames_to_correct
    model.rand_frames_to_correct_for_train = True
    model.num_init_cond_frames_for_train = 1
    top = {name.split(".")[0] for name, _ in model.named_parameters()}
    unknown = sorted(set(stage.train_only) - top)
    if unknown:
        raise ParameterError(f"stage {stage.name!r}: train_only names {unknown}, which the model does not have; "
                             f"valid: {', '.join(sorted(top))}")
    for name, p in model.named_parameters():
        p.requires_grad = name.split(".")[0] in stage.train_only if stage.train_only else True
    if stage.freeze_trunk:
        for p in model.image_encoder.trunk.parameters():
            p.requires_grad = False


def _min_loss_masks(outputs: dict[str, Any], target: Any, loss: Any) -> Any:
    """``(O, S, S) bool``: of each prompt's three masks, the one with the lowest weighted focal + dice loss."""
    import torch
    from training.loss_fns import dice_loss, sigmoid_focal_loss

    with torch.no_grad():
        logits = outputs["multistep_pred_multimasks_high_res"][0].detach()
        t = target[:, None].float().expand_as(logits)
        combo = (sigmoid_focal_loss(logits, t, 1.0, loss_on_multimask=True) * loss.weight_dict["loss_mask"]
                 + dice_loss(logits, t, 1.0, loss_on_multimask=True) * loss.weight_dict["loss_dice"])
        best = combo.argmin(dim=1)
        return logits[torch.arange(len(logits)), best] > 0


class Trainer:
    """Runs :class:`TrainSettings` on a list of videos; resumable from its checkpoint.

    Parameters
    ----------
    settings : the run.
    videos : training videos at the model's input size.
    workdir : where ``checkpoint.pt``, ``log.jsonl`` and ``settings.json`` go.
    heldout : unseen videos at the model's input size for :func:`heldout_iou` every ``eval_every`` steps
        (4 fixed batches of 8 frames x up to 8 objects of at least 1 % of the frame); None: no evaluation.
    probe : a further held-out measurement at each evaluation, called with the training model and returning
        numbers for the log (e.g. :func:`vsslib.sam2_mini.quality.propagation_probe`); it must read the weights
        and leave the model, its mode and torch's generator as they were, so that a probed run trains as it
        would without it.
    """

    def __init__(self, settings: TrainSettings, videos: list[VideoTensors], workdir: str | os.PathLike[str],
                 heldout: list[VideoTensors] | None = None,
                 probe: Callable[[Any], dict[str, Any]] | None = None) -> None:
        import torch

        self.settings = settings
        self.videos = videos
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(settings.seed)
        self.model = build_model("train")
        if settings.init:  # continue from weights (a checkpoint of this run, once there is one, replaces them)
            from .model import load_weights

            load_weights(self.model, settings.init)
            record_parent(settings.init, self.workdir)  # what those weights were (kept from the first start on)
        self.model.rng = np.random.default_rng([settings.seed, 1])
        self.model.train()
        self.loss = make_loss()
        self.optimizer = torch.optim.AdamW(parameter_groups(self.model, settings.weight_decay),
                                           lr=settings.stages[0].lr)
        self.probe = probe
        self.heldout_batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        if heldout:
            self.heldout_batches = evaluation_batches(heldout, 4, np.random.default_rng([settings.seed, 2]))
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
        batches = stage  # whose batches and forward this step uses; the learning rate and trained parts: stage's
        if stage.interleave and local % stage.interleave_every == stage.interleave_every - 1:
            batches = next(s for s in self.settings.stages if s.name == stage.interleave)
        if batches.forward == "direct":
            from .image_pass import draw_prompts, image_pass

            images, masks, owner = self.sampler(batches).draw(self.rng)
            coords, labels = draw_prompts(masks[0], self.rng, prob_box=batches.prob_box_prompt)
            outputs = [image_pass(self.model, torch.from_numpy(images[0]), torch.from_numpy(owner),
                                  torch.from_numpy(coords), torch.from_numpy(labels))]
            target = torch.from_numpy(masks)
            # the min-loss mask of each prompt, for the collapse statistic below
            final = _min_loss_masks(outputs[0], target[0], self.loss)
        else:
            batch = self.sampler(stage).batch(self.rng)
            outputs = self.model(batch)
            target = batch.masks
            final = torch.cat([o["pred_masks_high_res"].detach() for o in outputs], dim=0) > 0
        losses = self.loss(outputs, target)
        core = losses["core_loss"]
        if not torch.isfinite(core):
            raise ParameterError(f"step {self.step}: the loss is {core.item()} (not finite); lower the learning rate")
        self.optimizer.zero_grad(set_to_none=True)
        core.backward()
        self.clipper(self.model)
        self.optimizer.step()
        elapsed = time.perf_counter() - started
        self.seconds += elapsed
        # fraction of objects whose final (min-loss) mask is empty: the collapse seen in E4-E5
        empty = float((final.flatten(1).sum(1) == 0).float().mean())
        record = {"step": self.step, "stage": stage.name, "lr": lr, "seconds": elapsed, "empty": empty,
                  "image_step": float(batches.forward == "direct"),
                  **{k: float(v.detach()) if hasattr(v, "detach") else float(v) for k, v in losses.items()}}
        self.history.append(record)
        self.step += 1
        return record

    def evaluate(self) -> dict[str, Any]:
        """:func:`heldout_iou` on the fixed held-out batches and the ``probe``'s numbers, tagged with the step;
        {} without held-out videos."""
        if not self.heldout_batches:
            return {}
        started = time.perf_counter()
        result: dict[str, Any] = heldout_iou(self.model, self.heldout_batches, rng_seed=self.settings.seed)
        if self.probe is not None:
            result.update(self.probe(self.model))
        return {"step": self.step, "stage": "heldout", **result, "seconds": time.perf_counter() - started}

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
        mine, theirs = json.loads(json.dumps(asdict(self.settings))), state.get("settings") or {}
        done = [json.loads(json.dumps(asdict(StageSettings(**stage)))) for stage in theirs.get("stages", [])]
        extends = ({k: v for k, v in theirs.items() if k != "stages"}
                   == {k: v for k, v in mine.items() if k != "stages"}
                   and 0 < len(done) <= len(mine["stages"]) and mine["stages"][:len(done)] == done)
        if not extends:
            raise CheckpointError(f"{self.checkpoint_path} was made with other settings; use another workdir, "
                                  "the same settings, or settings that add stages after its own")
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

        written = self.workdir / "settings.json"  # its time stamp is the run's start
        if not written.is_file():
            write_json_atomic(written, asdict(self.settings))
        elif json.loads(written.read_text()) != json.loads(json.dumps(asdict(self.settings))):  # extended by stages
            started = written.stat().st_mtime
            write_json_atomic(written, asdict(self.settings))
            os.utime(written, (started, started))
        total = self.settings.total_steps
        bar = tqdm(total=total, initial=self.step, disable=not progress, desc="sam2-mini", mininterval=5.0)
        log_path = self.workdir / "log.jsonl"
        self._trim_log(log_path)
        every = self.settings.eval_every
        window: list[dict[str, float]] = []
        while self.step < total:
            if every and self.step % every == 0 and self.heldout_batches:
                self._append(log_path, self.evaluate())
            record = self.train_step()
            window.append(record)
            bar.update(1)
            if self.step % self.settings.log_every == 0 or self.step == total:
                mean = {k: float(np.mean([r[k] for r in window])) for k in record if k not in ("stage", "step")}
                line = {"step": self.step, "stage": record["stage"], **mean}
                self._append(log_path, line)
                bar.set_postfix(loss=f"{mean['core_loss']:.2f}", empty=f"{mean['empty']:.2f}")
                if on_log is not None:
                    on_log(line)
                window = []
            if self.step % self.settings.save_every == 0 or self.step == total:
                self.save()
        if self.heldout_batches and not any(r.get("stage") == "heldout" and r.get("step") == total
                                            for r in read_records(log_path)):
            self._append(log_path, self.evaluate())
        bar.close()

    @staticmethod
    def _append(path: Path, record: dict[str, Any]) -> None:
        with open(path, "a") as handle:
            handle.write(json.dumps(record) + "\n")

    def _trim_log(self, path: Path) -> None:
        """Drop log lines written after the checkpoint (an interrupted run logs past its last save)."""
        if path.is_file():
            kept = [r for r in read_records(path)
                    if r["step"] < self.step or (r["step"] == self.step and r.get("stage") != "heldout")]
            write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in kept))


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The lines of a run's ``log.jsonl``: training means (``stage`` = a stage name) and held-out evaluations
    (``stage`` = ``"heldout"``)."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
