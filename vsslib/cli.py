"""Command line: ``python -m vsslib {refine,classify,generate} ...`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import VsslibError

__all__ = ["main", "build_parser"]


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _add_masklet_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("masklets")
    group.add_argument("--masks", required=True, metavar="SOURCE",
                       help="masklet source: sam2 (real SAM2, needs --sam2-checkpoint), classical (embedded default: "
                            "graph-based regions + optical flow), oracle (the dataset's own objects)")
    group.add_argument("--sam2-config", default="tiny",
                       help="SAM2.1 Hiera size: tiny, small, base_plus, large (default: tiny)")
    group.add_argument("--sam2-checkpoint", default=None, metavar="PATH",
                       help="checkpoint matching --sam2-config, e.g. checkpoints/sam2.1_hiera_tiny.pt")
    group.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="device for SAM2 (default: cpu)")
    group.add_argument("--points-per-side", type=int, default=16,
                       help="SAM2 automatic generator point grid per side (default: 16, the paper's)")
    group.add_argument("--window", type=int, default=32,
                       help="frames per window: key frame + propagation (default: 32, the paper's)")
    group.add_argument("--link-iou", type=float, default=0.5,
                       help="mask IoU above which a key-frame mask continues a masklet (default: 0.5)")
    group.add_argument("--discover-every", type=int, default=0,
                       help="add masklets on uncovered area every k frames (default: 0 = off, the paper's)")
    group.add_argument("--oracle-strength", type=float, default=0.0,
                       help="oracle corruption strength in [0, 1] (default: 0 = exact objects)")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data and execution")
    group.add_argument("--data", required=True, metavar="ROOT", help="dataset root in the VSPW layout")
    group.add_argument("--split", default="val", choices=["train", "val", "test"], help="split (default: val)")
    group.add_argument("--out", required=True, metavar="OUT",
                       help="output folder: OUT/pred/<video>/<frame>.png and OUT/metrics.json")
    group.add_argument("--cache", default=".cache", metavar="DIR",
                       help="per-video cache folder (default: .cache); re-runs skip finished videos")
    group.add_argument("--max-videos", type=int, default=0, help="only the first N videos (default: 0 = all)")
    group.add_argument("--dilation-ratio", type=float, default=0.02,
                       help="Boundary IoU band width as a ratio of the image diagonal (default: 0.02)")
    group.add_argument("--workers", type=_positive_int, default=1,
                       help="local worker processes (default: 1 = in process)")
    group.add_argument("--dask", default=None, metavar="ADDRESS",
                       help="run on a dask.distributed scheduler at ADDRESS, or 'local' for a LocalCluster")
    group.add_argument("--seed", type=int, default=0, help="seed of baseline training (default: 0)")
    group.add_argument("--no-progress", action="store_true", help="hide progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m vsslib",
                                     description="SAM2 for video semantic segmentation: refine, classify, generate.")
    sub = parser.add_subparsers(dest="command", required=True)

    refine = sub.add_parser("refine", help="approach 1: refine a baseline's predictions with masklets",
                            description="Approach 1: each masklet takes the baseline's majority class inside it.")
    base = refine.add_argument_group("baseline (one of)").add_mutually_exclusive_group(required=True)
    base.add_argument("--predictions", metavar="DIR",
                      help="your model's predictions: DIR/<video>/<frame>.png, class ids 0..C-1, 255 = none")
    base.add_argument("--segmenter", metavar="NAME",
                      help="a baseline network trained on the train split: fcn8-small or fcn16-wide")
    refine.add_argument("--vote", default="masklet", choices=["masklet", "frame"],
                        help="majority over the whole masklet (default) or per frame")
    _add_masklet_options(refine)
    _add_run_options(refine)

    classify = sub.add_parser("classify", help="approach 2: classify pooled masklet features",
                              description="Approach 2: masklets pool features, an MLP classifies each masklet.")
    classify.add_argument("--features", required=True, metavar="SOURCE",
                          help="feature source: appearance, segmenter:fcn8-small, segmenter:fcn16-wide or sam2")
    classify.add_argument("--segmenter", default="fcn16-wide", metavar="NAME",
                          help="baseline network for the fallback and fused variants (default: fcn16-wide)")
    classify.add_argument("--epochs", type=_positive_int, default=60, help="MLP training epochs (default: 60)")
    _add_masklet_options(classify)
    _add_run_options(classify)

    generate = sub.add_parser("generate", help="write the embedded benchmark (VSPW layout) to a folder")
    generate.add_argument("--out", required=True, metavar="ROOT", help="new folder for the dataset")
    generate.add_argument("--videos", type=_positive_int, default=20, help="videos (default: 20)")
    generate.add_argument("--frames", type=_positive_int, default=48, help="frames per video (default: 48)")
    generate.add_argument("--height", type=_positive_int, default=128, help="frame height (default: 128)")
    generate.add_argument("--width", type=_positive_int, default=224, help="frame width (default: 224)")
    generate.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    return parser


def _mask_settings(args: argparse.Namespace) -> dict[str, Any]:
    from .errors import ParameterError
    from .masks import list_masklet_sources

    if args.masks not in list_masklet_sources():
        raise ParameterError(f"--masks {args.masks!r} is not a masklet source; valid: "
                             f"{', '.join(list_masklet_sources())}")
    if args.window < 1:
        raise ParameterError(f"--window {args.window}: a window must hold at least 1 frame")
    if args.points_per_side < 1:
        raise ParameterError(f"--points-per-side {args.points_per_side}: the grid needs at least 1 point per side")
    if not args.dilation_ratio > 0:
        raise ParameterError(f"--dilation-ratio {args.dilation_ratio}: must be a positive ratio of the diagonal")
    if args.masks == "oracle":
        return {"strength": args.oracle_strength}
    settings: dict[str, Any] = {"window": args.window, "link_iou": args.link_iou, "discover_every": args.discover_every}
    if args.masks == "sam2":
        settings.update(config=args.sam2_config, checkpoint=args.sam2_checkpoint, device=args.device,
                        points_per_side=args.points_per_side)
    return settings


def _run(args: argparse.Namespace) -> dict[str, Any]:
    from .executor import create_executor
    from .pipeline import RefineSpec, run_refine

    if args.command == "generate":
        from .data import generate

        root = generate(args.out, n_videos=args.videos, n_frames=args.frames, height=args.height,
                        width=args.width, seed=args.seed, progress=True)
        return {"generated": str(root)}
    executor = create_executor(workers=args.workers, dask=args.dask)
    settings = _mask_settings(args)
    if args.command == "refine":
        spec = RefineSpec(data_root=args.data, split=args.split, segmenter=args.segmenter,
                          predictions=args.predictions, masks=args.masks,
                          mask_settings=RefineSpec.settings_tuple(settings), vote=args.vote,
                          dilation_ratio=args.dilation_ratio, cache_root=args.cache, out=args.out,
                          train_seed=args.seed, max_videos=args.max_videos)
        return run_refine(spec, executor=executor, progress=not args.no_progress)
    from .approach2 import ClassifySpec, run_classify

    spec = ClassifySpec(data_root=args.data, split=args.split, segmenter=args.segmenter, features=args.features,
                        masks=args.masks, mask_settings=RefineSpec.settings_tuple(settings), epochs=args.epochs,
                        dilation_ratio=args.dilation_ratio, cache_root=args.cache, out=args.out,
                        train_seed=args.seed, max_videos=args.max_videos)
    return run_classify(spec, executor=executor, progress=not args.no_progress)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 on bad input, with a one-line message naming the fault)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = _run(args)
    except VsslibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "generate":
        print(f"wrote {result['generated']}")
        return 0
    rows = [(k, result[k]) for k in result if isinstance(result[k], dict) and "miou" in result[k]]
    print(f"{'':<12}{'mIoU':>8}{'mBIoU':>8}{'mVC8':>8}{'mVC16':>8}{'fps':>9}")
    for name, m in rows:
        print(f"{name:<12}{100 * m['miou']:>8.2f}{100 * m['mbiou']:>8.2f}{100 * m['mvc8']:>8.2f}"
              f"{100 * m['mvc16']:>8.2f}{m['fps']:>9.2f}")
    print(f"metrics: {Path(args.out) / 'metrics.json'}")
    return 0
