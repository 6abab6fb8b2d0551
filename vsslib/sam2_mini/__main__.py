"""Command line of sam2-mini (SAM2 architecture, trained here on the generated benchmark).

    python -m vsslib.sam2_mini train --help
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m vsslib.sam2_mini`` (sub-commands train, data, export, measure, probe, card,
    readme)."""
    parser = argparse.ArgumentParser(prog="python -m vsslib.sam2_mini",
                                     description="Train and measure sam2-mini (SAM2 architecture, trained here on "
                                                 "the generated benchmark) with sam2's own training code.")
    sub = parser.add_subparsers(dest="command", required=True)
    from ..masks.sam2_model import OVERLAP_RULES, PropagationSettings
    from .train import default_stages

    steps = {name: p.default for name, p in inspect.signature(default_stages).parameters.items()}
    train = sub.add_parser("train", help="train (or resume) a run in WORKDIR on a generated benchmark")
    train.add_argument("--data", required=True, help="generated benchmark root (its train split is used)")
    train.add_argument("--workdir", required=True, help="checkpoint.pt, log.jsonl and settings.json go here")
    train.add_argument("--heldout", default=None,
                       help="generated benchmark of unseen videos: one-click IoU every --eval-every steps")
    train.add_argument("--images-steps", type=int, default=steps["images_steps"],
                       help="steps of stage 1 (single frames)")
    train.add_argument("--clips-steps", type=int, default=steps["clips_steps"],
                       help="steps of stage 2 (clips, trunk frozen)")
    train.add_argument("--memory-steps", type=int, default=steps["memory_steps"],
                       help="steps of stage 3 (8-frame clips, only the memory path trained; 0: no such stage)")
    train.add_argument("--tracking-steps", type=int, default=steps["tracking_steps"],
                       help="steps of stage 4 (the memory stage's clips, the mask decoder trained with the memory "
                            "path; 0: no such stage)")
    train.add_argument("--long-tracking-steps", type=int, default=steps["long_tracking_steps"],
                       help="steps of stage 5 (16-frame clips, two clip steps to one image step; 0: no such stage)")
    train.add_argument("--eval-every", type=int, default=100, help="held-out evaluation interval in steps")
    train.add_argument("--probe-videos", type=int, default=3,
                       help="at each held-out evaluation also the propagated IoU of the first N unseen videos' own "
                            "key-frame objects over 32 frames (the memory path alone; 0: not measured)")
    train.add_argument("--init", default="",
                       help="weights to start from (e.g. the committed vsslib/sam2_mini/assets/sam2_mini.pt, "
                            "to continue a run whose checkpoint is gone with further stages); default: random "
                            "initialisation")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    train.add_argument("--no-progress", action="store_true")
    data = sub.add_parser("data", help="generate the training and measurement videos (skipped when present)")
    data.add_argument("--out", required=True, help="folder; train/ and heldout/ go inside")
    export = sub.add_parser("export", help="fp16 weights, loss curves, quality figures and model card from a run")
    export.add_argument("--workdir", required=True, help="the training run's folder")
    export.add_argument("--heldout", required=True, help="generated benchmark of unseen videos (all splits used)")
    export.add_argument("--assets", default=None, help="where the assets go (default: the package's assets/)")
    export.add_argument("--videos", type=int, default=0, help="measure on the first N unseen videos (0: all)")
    export.add_argument("--calibrate", default=None,
                        help="generated benchmark of training videos: calibrate the generator's filters on its train "
                             "split (default: keep the paper's 0.6 / 0.8)")
    export.add_argument("--hardware", default="2-core CPU shared with other jobs, 1 torch thread, no GPU")
    again = sub.add_parser("measure", help="measure the exported weights again (quality.json and the card) with the "
                                           "current masklet path and measurement code; nothing is trained")
    again.add_argument("--heldout", required=True, help="the generated benchmark of unseen videos run.json records")
    again.add_argument("--assets", default=None, help="the exported assets (default: the package's assets/)")
    again.add_argument("--videos", type=int, default=0, help="measure on the first N unseen videos (0: all)")
    probe = sub.add_parser("probe", help="propagated IoU of the unseen videos' own key-frame objects (the memory path "
                                         "alone) for a checkpoint or the committed weights")
    probe.add_argument("--heldout", required=True, help="generated benchmark of unseen videos (all splits)")
    probe.add_argument("--checkpoint", default=None, help="a training run's checkpoint.pt (default: the assets)")
    probe.add_argument("--videos", type=int, default=3, help="the first N unseen videos (train, val, test order)")
    probe.add_argument("--window", type=int, default=32, help="frames carried from the key frame")
    probe.add_argument("--overlap", choices=OVERLAP_RULES, default=PropagationSettings.overlap,
                       help="who takes a pixel several carried masks cover: the highest logit or the smaller mask "
                            "(PropagationSettings)")
    probe.add_argument("--compare", action="store_true",
                       help="also carry the same masks with the classical masklets' flow and hold them still (no "
                            "motion), and split every curve by the objects' key-frame area")
    card = sub.add_parser("card", help="redraw training_curves.png and rewrite MODEL_CARD.md from the committed "
                                       "run.json and quality.json and the run's log (after a change to the card's "
                                       "text or the curves' drawing; nothing is measured)")
    card.add_argument("--workdir", default=None, help="the training run's folder (its log.jsonl, copied into the "
                                                      "assets); default: the log the assets keep")
    readme = sub.add_parser("readme", help="rewrite the README's sam2-mini paragraph from the committed assets")
    readme.add_argument("--readme", default="README.md", help="the README to rewrite (between its SAM2MINI markers)")
    return parser


def train_stages(args: argparse.Namespace) -> tuple[Any, ...]:
    """The stages a parsed ``train`` command runs (:func:`.train.default_stages` with its step counts)."""
    from .train import default_stages

    return default_stages(args.images_steps, args.clips_steps, args.memory_steps, args.tracking_steps,
                          args.long_tracking_steps)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the sub-command; returns the exit status."""
    args = build_parser().parse_args(argv)

    import torch

    torch.set_num_threads(getattr(args, "threads", 1))
    if args.command == "train":
        from .data import load_videos
        from .model import build_model
        from .train import Trainer, TrainSettings

        size = int(build_model("base").image_size)
        from ..data.vspw import SPLITS

        settings = TrainSettings(stages=train_stages(args), seed=args.seed, eval_every=args.eval_every, init=args.init)
        heldout = load_videos(args.heldout, size, splits=SPLITS) if args.heldout else None
        probe = None
        if args.heldout and args.probe_videos > 0:
            from .quality import heldout_videos, propagation_probe

            probe = propagation_probe(heldout_videos(args.heldout, args.probe_videos))
        trainer = Trainer(settings, load_videos(args.data, size), args.workdir, heldout=heldout, probe=probe)
        if trainer.resume():
            print(f"resumed at step {trainer.step} of {settings.total_steps}", flush=True)
        trainer.run(progress=not args.no_progress)
        print(f"done: {trainer.step} steps, {trainer.seconds:.0f} s of training", flush=True)
    elif args.command == "data":
        from .recipe import make_data

        for path in make_data(args.out):
            print(path)
    elif args.command == "probe":
        from .model import load_model
        from .quality import heldout_videos, seeded_propagation_iou

        model = load_model("video")
        if args.checkpoint:
            state = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
            model.load_state_dict(state.get("model", state), strict=True)
        videos = heldout_videos(args.heldout, args.videos)
        if args.compare:
            from ..masks.classical import ClassicalMasklets
            from .quality import held_still, sam2_carrier, seeded_comparison

            carriers = {"sam2-mini": sam2_carrier(model, args.overlap), "classical flow": ClassicalMasklets().propagate,
                        "held still": held_still}
            table = seeded_comparison(carriers, videos, window=args.window)
            curve = table.query("carrier == 'sam2-mini' and area == 'all'").filter(like="+").to_numpy()[0]
        else:
            curve = seeded_propagation_iou(model, videos, window=args.window, overlap=args.overlap)
        shown = [k for k in (0, 1, 2, 4, 8, 16, 31) if k < len(curve)]
        print(f"{args.checkpoint or 'committed weights'}: {len(videos)} videos, overlap rule {args.overlap}, "
              f"mean {curve.mean():.3f}; by offset "
              + ", ".join(f"+{k} {curve[k]:.3f}" for k in shown))
        if args.compare:
            print("The same key-frame objects (>= 1 % of the frame) carried three ways; mean IoU by frame offset, "
                  "overall and by the objects' share of the key frame:")
            print(table[["carrier", "area", "objects", "mean", *(f"+{k}" for k in shown)]]
                  .to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    elif args.command == "readme":
        from .card import readme_text

        path = Path(args.readme)
        path.write_text(readme_text(path.read_text()))
        print(f"wrote the sam2-mini paragraph of {path}")
    elif args.command == "card":
        from .recipe import rewrite_card

        print(f"wrote {rewrite_card(args.workdir)}")
    elif args.command == "measure":
        from .recipe import remeasure

        print(f"wrote {remeasure(args.heldout, args.assets, max_videos=args.videos)}")
    elif args.command == "export":
        from .recipe import export_run

        out = export_run(args.workdir, args.heldout, calibrate=args.calibrate, assets=args.assets,
                         max_videos=args.videos, hardware=args.hardware)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
