"""Command line: ``python -m vsslib {refine,classify,generate} ...`` (``--help`` on each explains every option).

- ``refine``: approach 1, a baseline (``--segmenter NAME`` or ``--predictions DIR``) refined by masklets
  (:func:`vsslib.pipeline.run_refine`).
- ``classify``: approach 2, masklets classified from pooled features (:func:`vsslib.approach2.run_classify`).
- ``generate``: write the embedded benchmark in the VSPW layout (:func:`vsslib.data.synth.generate`).

Bad input stops with exit status 2 and one line on stderr, ``error: ...``, naming the option, file or value
at fault (no traceback). Outputs are written atomically and ``OUT/metrics.json`` last, so an interrupted
run loses nothing already written: re-run the same command to resume.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from .cache import default_cache_root
from .errors import ParameterError, VsslibError

__all__ = ["main", "build_parser", "EXIT_BAD_INPUT"]

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _add_masklet_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("masklets")
    group.add_argument("--masks", required=True, metavar="SOURCE",
                       help="masklet source: sam2 (real SAM2, needs --sam2-checkpoint), classical (embedded default: "
                            "graph-based regions + optical flow), oracle (the dataset's own objects)")
    group.add_argument("--sam2-config", default="tiny", metavar="SIZE",
                       help="SAM2.1 Hiera size: tiny, small, base_plus, large (default: tiny)")
    group.add_argument("--sam2-checkpoint", default=None, metavar="PATH",
                       help="checkpoint matching --sam2-config, e.g. checkpoints/sam2.1_hiera_tiny.pt "
                            "(default: none; required with --masks sam2)")
    group.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="device for SAM2 (default: cpu)")
    group.add_argument("--points-per-side", type=int, default=16, metavar="N",
                       help="SAM2 automatic generator point grid per side (default: 16, the paper's)")
    group.add_argument("--window", type=int, default=32, metavar="N",
                       help="frames per window: key frame + propagation (default: 32, the paper's)")
    group.add_argument("--link-iou", type=float, default=0.5, metavar="IOU",
                       help="mask IoU above which a key-frame mask continues a masklet of the previous window "
                            "(default: 0.5)")
    group.add_argument("--discover-every", type=int, default=0, metavar="K",
                       help="add masklets on uncovered area every k frames (default: 0 = off, the paper's)")
    group.add_argument("--oracle-strength", type=float, default=0.0, metavar="S",
                       help="oracle corruption strength in [0, 1] (default: 0 = exact objects)")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data and execution")
    group.add_argument("--data", required=True, metavar="ROOT", help="dataset root in the VSPW layout (required)")
    group.add_argument("--split", default="val", choices=["train", "val", "test"],
                       help="evaluated split (default: val)")
    group.add_argument("--out", required=True, metavar="OUT",
                       help="output folder: OUT/pred/<video>/<frame>.png and, last, OUT/metrics.json (required)")
    group.add_argument("--cache", default=str(default_cache_root()), metavar="DIR",
                       help="per-video cache; re-runs skip finished videos (default: $VSSLIB_CACHE or .cache)")
    group.add_argument("--max-videos", type=int, default=0, metavar="N",
                       help="only the first N videos (default: 0 = all)")
    group.add_argument("--dilation-ratio", type=float, default=0.02, metavar="R",
                       help="Boundary IoU band width as a ratio of the image diagonal (default: 0.02)")
    group.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                       help="local worker processes (default: 1 = in this process)")
    group.add_argument("--dask", default=None, metavar="ADDRESS",
                       help="run on the dask.distributed scheduler at ADDRESS (tcp://HOST:PORT), or 'local' for "
                            "a LocalCluster of 2 processes (default: off)")
    group.add_argument("--seed", type=int, default=0, metavar="N", help="seed of baseline training (default: 0)")
    group.add_argument("--no-progress", action="store_true", help="hide progress bars (default: shown)")


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m vsslib`` parser with its three commands."""
    parser = _Parser(prog="python -m vsslib",
                     description="SAM2 for video semantic segmentation: refine, classify, generate.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{refine,classify,generate}")

    refine = sub.add_parser("refine", help="approach 1: refine a baseline's predictions with masklets",
                            description="Approach 1: each masklet takes the baseline's majority class inside it.")
    base = refine.add_argument_group("baseline (exactly one)").add_mutually_exclusive_group(required=True)
    base.add_argument("--predictions", metavar="DIR",
                      help="your model's predictions: DIR/<video>/<frame>.png, class ids 0..C-1, 255 = none")
    base.add_argument("--segmenter", metavar="NAME",
                      help="a baseline network trained on the train split on first use: fcn8-small or fcn16-wide")
    refine.add_argument("--vote", default="masklet", choices=["masklet", "frame"],
                        help="majority over the whole masklet, or per frame (default: masklet)")
    _add_masklet_options(refine)
    _add_run_options(refine)

    classify = sub.add_parser("classify", help="approach 2: classify pooled masklet features",
                              description="Approach 2: masklets pool features, an MLP trained on the train split "
                                          "classifies each masklet; metrics.json holds the baseline and the none, "
                                          "fallback and fused combinations.")
    classify.add_argument("--features", required=True, metavar="SOURCE",
                          help="feature source: appearance, segmenter:fcn8-small, segmenter:fcn16-wide or sam2 "
                               "(required)")
    classify.add_argument("--segmenter", default="fcn16-wide", metavar="NAME",
                          help="baseline network for the fallback and fused combinations (default: fcn16-wide)")
    classify.add_argument("--epochs", type=_positive_int, default=60, metavar="N",
                          help="MLP training epochs (default: 60)")
    _add_masklet_options(classify)
    _add_run_options(classify)

    generate = sub.add_parser("generate", help="write the embedded benchmark (VSPW layout) to a new folder",
                              description="Write the generated street-scene benchmark in the VSPW layout.")
    generate.add_argument("--out", required=True, metavar="ROOT", help="new (or empty) folder for the dataset")
    generate.add_argument("--videos", type=_positive_int, default=20, help="videos (default: 20)")
    generate.add_argument("--frames", type=_positive_int, default=48, help="frames per video (default: 48)")
    generate.add_argument("--height", type=_positive_int, default=128, help="frame height (default: 128)")
    generate.add_argument("--width", type=_positive_int, default=224, help="frame width (default: 224)")
    generate.add_argument("--splits", type=int, nargs=3, default=None, metavar=("TRAIN", "VAL", "TEST"),
                          help="videos per split (default: 60%% / 30%% / the rest)")
    generate.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    generate.add_argument("--no-progress", action="store_true", help="hide the progress bar (default: shown)")
    return parser


def mask_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword settings of the masklet source named by ``--masks``, from the masklet options.

    Raises
    ------
    ParameterError : unknown source (lists the valid ones), window or grid below 1, dilation ratio not
        positive.
    """
    from .masks import list_masklet_sources

    valid = list_masklet_sources()
    if args.masks not in valid:
        raise ParameterError(f"--masks {args.masks!r} is not a masklet source; valid: {', '.join(valid)}")
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
    if args.command == "generate":
        from .data import generate

        root = generate(args.out, n_videos=args.videos, n_frames=args.frames, height=args.height,
                        width=args.width, seed=args.seed, split_counts=tuple(args.splits) if args.splits else None,
                        progress=not args.no_progress)
        return {"generated": str(root)}

    from .executor import create_executor
    from .pipeline import RefineSpec

    settings = RefineSpec.settings_tuple(mask_settings(args))
    if args.command == "classify":
        from .classify import list_feature_sources

        if args.features not in list_feature_sources():
            raise ParameterError(f"--features {args.features!r} is not a feature source; valid: "
                                 f"{', '.join(list_feature_sources())}")
    with create_executor(workers=args.workers, dask=args.dask) as executor:
        return _run_on(args, executor, settings)


def _run_on(args: argparse.Namespace, executor: Any, settings: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """Build the run's spec from the options and run it on ``executor``."""
    from .pipeline import RefineSpec, run_refine

    common = {"data_root": args.data, "split": args.split, "masks": args.masks, "mask_settings": settings,
              "dilation_ratio": args.dilation_ratio, "cache_root": args.cache, "out": args.out,
              "train_seed": args.seed, "max_videos": args.max_videos}
    if args.command == "refine":
        spec = RefineSpec(segmenter=args.segmenter, predictions=args.predictions, vote=args.vote, **common)
        return run_refine(spec, executor=executor, progress=not args.no_progress)
    from .approach2 import ClassifySpec, run_classify

    spec = ClassifySpec(segmenter=args.segmenter, features=args.features, epochs=args.epochs, **common)
    return run_classify(spec, executor=executor, progress=not args.no_progress)


def _print_table(result: dict[str, Any], out: str) -> None:
    rows = [(k, v) for k, v in result.items() if isinstance(v, dict) and "miou" in v]
    print(f"{'':<12}{'mIoU':>8}{'mBIoU':>8}{'mVC8':>8}{'mVC16':>8}{'fps':>9}")
    for name, m in rows:
        print(f"{name:<12}{100 * m['miou']:>8.2f}{100 * m['mbiou']:>8.2f}{100 * m['mvc8']:>8.2f}"
              f"{100 * m['mvc16']:>8.2f}{m['fps']:>9.2f}")
    print(f"metrics: {Path(out) / 'metrics.json'}")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the command.

    Returns
    -------
    Exit status: 0 on success, 2 on bad input (one line on stderr naming the fault), 130 when interrupted.
    """
    args = build_parser().parse_args(argv)
    try:
        result = _run(args)
    except VsslibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: finished videos are cached; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.command == "generate":
        print(f"wrote {result['generated']}")
    else:
        _print_table(result, args.out)
    return 0
