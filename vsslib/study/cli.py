"""Command line: ``python -m vsslib {refine,classify,generate} ...`` (``--help`` on each explains every option).

- ``refine``: approach 1, a baseline (``--segmenter NAME`` or ``--predictions DIR``) refined by masklets
  (:func:`vsslib.study.runs.run_refine`).
- ``classify``: approach 2, masklets classified from pooled features (:func:`vsslib.study.runs.run_classify`).
- ``generate``: write the embedded benchmark in the VSPW layout (:func:`vsslib.data.synth.generate`).

Bad input stops with exit status 2 and one line on stderr, ``error: ...``, naming the option, file or value
at fault (no traceback). Outputs are written atomically and ``OUT/metrics.json`` last, so an interrupted
run loses nothing already written: re-run the same command to resume.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ..base.errors import ParameterError, VsslibError
from ..masks.oracle import MAX_STRENGTH
from ..masks.sam2_model import OVERLAP_RULES
from .runs import RunResult
from .settings import MASKLET_SECTIONS, SPLITS, VOTES, StudySettings, setting_keys

DEFAULTS = StudySettings()
"""Option defaults are the settings' defaults (vsslib.study.settings)."""

CACHE_ENV = "VSSLIB_CACHE"
"""Environment variable that, when set, is the default of ``--cache`` (the only one the package reads)."""

__all__ = ["main", "build_parser", "settings_from_options", "EXIT_BAD_INPUT", "CACHE_ENV"]

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
    m = DEFAULTS.masklets
    group = parser.add_argument_group("masklets")
    group.add_argument("--masks", required=True, metavar="SOURCE",
                       help="masklet source: sam2 (real SAM2, needs --sam2-checkpoint), sam2-mini (SAM2 architecture, "
                            "trained here on the generated benchmark), classical (graph-based regions + optical flow), "
                            "oracle (the dataset's own objects)")
    group.add_argument("--sam2-config", default=m.sam2.config, metavar="SIZE",
                       help="SAM2.1 Hiera size of the checkpoint: tiny, small, base_plus, large (default: taken from "
                            "the checkpoint's official file name); must match --sam2-checkpoint")
    group.add_argument("--sam2-checkpoint", default=m.sam2.checkpoint, metavar="PATH",
                       help="checkpoint matching --sam2-config, e.g. checkpoints/sam2.1_hiera_large.pt with "
                            "--sam2-config large (default: none; required with --masks sam2; python -m vsslib "
                            "sam2-checkpoint downloads one)")
    group.add_argument("--device", default=m.sam2.device, metavar="DEVICE",
                       help=f"device for SAM2: cpu, cuda or cuda:N (default: {m.sam2.device})")
    group.add_argument("--no-autocast", dest="autocast", action="store_false", default=m.sam2.autocast,
                       help="SAM2 on CUDA: run in float32 instead of bfloat16 autocast (default: autocast on CUDA)")
    group.add_argument("--vos-optimized", action="store_true", default=m.sam2.vos_optimized,
                       help="SAM2 on CUDA: sam2's torch.compile'd video predictor (default: off; slow first frames)")
    shown = {source: getattr(m, section) for source, section in MASKLET_SECTIONS.items()}

    def defaults(leaf: str) -> str:
        return ", ".join(f"{source} {getattr(section, leaf)}" for source, section in shown.items())

    for leaf, metavar, text in (
            ("max_objects_per_batch", "K", "propagate at most K masklets at a time, each batch its own predictor "
                                           "state (bounds GPU memory; the masklets do not change; 0 = all)"),
            ("points_per_side", "N", "automatic generator point grid per side (the paper's: 16)"),
            ("pred_iou_thresh", "T", "keep masks with predicted IoU above T (the paper's: 0.6; sam2-mini's "
                                     "default is calibrated for it on training videos)"),
            ("stability_score_thresh", "T", "keep masks with stability at least T (the paper's: 0.8; sam2-mini's "
                                            "default is calibrated for it)"),
            ("stability_score_offset", "O", "stability score offset (the paper's: 0.9)")):
        group.add_argument(f"--{leaf.replace('_', '-')}", type=int if metavar in "KN" else float, default=None,
                           metavar=metavar, help=f"SAM2 sources (--masks sam2 or sam2-mini): {text} (default: the "
                                                 f"source's own: {defaults(leaf)})")
    group.add_argument("--overlap", choices=list(OVERLAP_RULES), default=None,
                       help="SAM2 sources: where masks carried from a key frame overlap, which one takes the pixel: "
                            "logit (the highest logit, as sam2's non_overlap_masks) or area (the smaller mask, the "
                            f"key frames' rule) (default: the source's own: {defaults('overlap')})")
    group.add_argument("--window", type=int, default=m.window, metavar="N",
                       help=f"frames per window: key frame + propagation (default: {m.window}, the paper's)")
    group.add_argument("--link-iou", type=float, default=m.link_iou, metavar="IOU",
                       help="mask IoU above which a key-frame mask continues a masklet of the previous window "
                            f"(default: {m.link_iou})")
    group.add_argument("--discover-every", type=int, default=m.discover_every, metavar="K",
                       help="add masklets on uncovered area every k frames (default: 0 = off, the paper's)")
    group.add_argument("--oracle-strength", type=float, default=0.0, metavar="S",
                       help=f"oracle corruption strength in [0, {MAX_STRENGTH:g}] (default: 0 = exact objects)")
    group.add_argument("--oracle-seed", type=int, default=m.oracle.seeds[0], metavar="N",
                       help=f"oracle corruption seed (default: {m.oracle.seeds[0]})")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data and execution")
    group.add_argument("--data", required=True, metavar="ROOT", help="dataset root in the VSPW layout (required)")
    group.add_argument("--split", default=DEFAULTS.data.split, choices=list(SPLITS),
                       help=f"evaluated split (default: {DEFAULTS.data.split})")
    group.add_argument("--out", required=True, metavar="OUT",
                       help="output folder: OUT/pred/<video>/<frame>.png and, last, OUT/metrics.json (required)")
    group.add_argument("--cache", default=None, metavar="DIR",
                       help=f"per-video cache; re-runs skip finished videos (default: ${CACHE_ENV} if set, else "
                            f"{DEFAULTS.run.cache_dir})")
    group.add_argument("--max-videos", type=int, default=DEFAULTS.data.max_videos, metavar="N",
                       help="only the first N videos (default: 0 = all)")
    group.add_argument("--dilation-ratio", type=float, default=DEFAULTS.metrics.dilation_ratio, metavar="R",
                       help="Boundary IoU band width as a ratio of the image diagonal (default: "
                            f"{DEFAULTS.metrics.dilation_ratio})")
    group.add_argument("--workers", type=_positive_int, default=DEFAULTS.run.workers, metavar="N",
                       help="local worker processes (default: 1 = in this process)")
    group.add_argument("--dask", default=None, metavar="ADDRESS",
                       help="run on the dask.distributed scheduler at ADDRESS (tcp://HOST:PORT), or 'local' for "
                            "a LocalCluster of 2 processes (default: off)")
    group.add_argument("--seed", type=int, default=DEFAULTS.baselines.train_seeds[0], metavar="N",
                       help="seed of baseline training (default: 0)")
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
    refine.add_argument("--vote", default=DEFAULTS.refiner.vote, choices=list(VOTES),
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
    classify.add_argument("--segmenter", default=DEFAULTS.baselines.networks[-1], metavar="NAME",
                          help="baseline network for the fallback and fused combinations (default: fcn16-wide)")
    classify.add_argument("--epochs", type=_positive_int, default=DEFAULTS.classifier.epochs, metavar="N",
                          help="MLP training epochs (default: 60)")
    _add_masklet_options(classify)
    _add_run_options(classify)

    generate = sub.add_parser("generate", help="write the embedded benchmark (VSPW layout) to a new folder",
                              description="Write the generated street-scene benchmark in the VSPW layout.")
    generate.add_argument("--out", required=True, metavar="ROOT", help="new (or empty) folder for the dataset")
    generate.add_argument("--videos", type=_positive_int, default=sum(DEFAULTS.data.splits),
                          help=f"videos (default: {sum(DEFAULTS.data.splits)})")
    generate.add_argument("--frames", type=_positive_int, default=DEFAULTS.data.frames,
                          help=f"frames per video (default: {DEFAULTS.data.frames})")
    generate.add_argument("--height", type=_positive_int, default=DEFAULTS.data.height,
                          help=f"frame height (default: {DEFAULTS.data.height})")
    generate.add_argument("--width", type=_positive_int, default=DEFAULTS.data.width,
                          help=f"frame width (default: {DEFAULTS.data.width})")
    generate.add_argument("--splits", type=int, nargs=3, default=None, metavar=("TRAIN", "VAL", "TEST"),
                          help="videos per split (default: 60%% / 30%% / the rest)")
    generate.add_argument("--seed", type=int, default=DEFAULTS.data.seed, help="seed (default: 0)")
    generate.add_argument("--no-progress", action="store_true", help="hide the progress bar (default: shown)")

    from ..masks.checkpoints import SAM2_SIZES  # sam2-checkpoint: the logic is checkpoints.fetch_checkpoint
    fetch = sub.add_parser("sam2-checkpoint", help="download and verify an official SAM2.1 checkpoint",
                           description="Download an official SAM2.1 checkpoint (resuming a broken transfer), verify "
                                       "its SHA-256 and size, and only then write it under its official name.")
    fetch.add_argument("--size", required=True, choices=SAM2_SIZES, help="SAM2.1 Hiera size")
    fetch.add_argument("--dir", default="checkpoints", metavar="DIR", help="destination folder (default: checkpoints)")
    fetch.add_argument("--url", default=None, help="a mirror of the same file, held to the same checks "
                                                   "(default: the official address)")
    fetch.add_argument("--sha256", default=None, metavar="HEX",
                       help="expected SHA-256 (default: the package's table, vsslib.masks.checkpoints)")
    fetch.add_argument("--no-progress", action="store_true", help="hide the progress bar (default: shown)")
    return parser


def _option_dests() -> set[str]:
    """The destinations of every option of ``refine`` and ``classify`` (one parser built)."""
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    return {a.dest for command in ("refine", "classify") for a in commands[command]._actions}


OPTION_DESTS: set[str] = _option_dests()
"""Destinations of the options of ``refine`` and ``classify``, from which the two maps below are found."""


def _option_keys() -> dict[str, str]:
    """Options of ``refine``/``classify`` that set one settings key each, found by name: an option's
    destination is the unique leaf of that key (``window`` -> ``masklets.window``) or ``<section>_<leaf>``
    of a masklet section (``sam2_config`` -> ``masklets.sam2.config``). Their defaults are those settings'.
    The ``knob_sweep`` section holds lists of values to try, not settings of a run: no option sets it (its
    ``window`` would otherwise make ``--window`` ambiguous)."""
    keys = [key for key in setting_keys() if not key.startswith("knob_sweep.")]
    leaves: dict[str, list[str]] = {}
    for key in keys:
        leaves.setdefault(key.rsplit(".", 1)[-1], []).append(key)
        if key.startswith("masklets.") and key.count(".") == 2:
            leaves.setdefault("_".join(key.split(".")[1:]), []).append(key)
    lists = {"features", "predictions"}  # one item of a list setting: set by _run and below, not as the whole list
    return {dest: found[0] for dest in sorted(OPTION_DESTS - lists) if len(found := leaves.get(dest, [])) == 1}


OPTION_KEYS: dict[str, str] = _option_keys()
"""Options of ``refine``/``classify`` that set one settings key each (see :func:`_option_keys`)."""


def _section_options() -> dict[str, list[str]]:
    """Options whose leaf is a knob of several sources' own sections (``--points-per-side`` ->
    ``masklets.sam2.points_per_side`` and ``masklets.sam2_mini.points_per_side``): each sets the knob of
    the section of the chosen ``--masks`` source; -> the sources whose section has it."""
    out: dict[str, list[str]] = {}
    for source, section in MASKLET_SECTIONS.items():
        for f in dataclasses.fields(getattr(DEFAULTS.masklets, section)):
            if f.name in OPTION_DESTS and f.name not in OPTION_KEYS:
                out.setdefault(f.name, []).append(source)
    return out


SECTION_OPTIONS: dict[str, list[str]] = _section_options()
"""Options that set a knob of the chosen source's own section, and the sources that have one."""

SOURCE_OPTIONS: dict[str, str] = {"oracle_strength": "strength", "oracle_seed": "seed"}
"""Options that are a masklet source's keyword but no study setting (the oracle's corruption)."""


def _owners(dest: str) -> list[str] | None:
    """The masklet sources that take the option ``dest`` (None: not a masklet source's knob)."""
    from ..masks import knob_declarations, list_masklet_sources

    if dest in SOURCE_OPTIONS:
        return [name for name in list_masklet_sources() if SOURCE_OPTIONS[dest] in knob_declarations(name)]
    if dest in SECTION_OPTIONS:
        return SECTION_OPTIONS[dest]
    key = OPTION_KEYS.get(dest, "")
    if not key.startswith("masklets."):
        return None
    node: Any = DEFAULTS
    *parents, leaf = key.split(".")
    for part in parents:
        node = getattr(node, part)
    declared = next((f.metadata.get("declared_in") for f in dataclasses.fields(node) if f.name == leaf), None)
    if declared is None:
        return None
    return [name for name in list_masklet_sources() if knob_declarations(name).get(leaf) == declared]


def settings_from_options(args: argparse.Namespace) -> StudySettings:
    """The study settings that the options of ``refine`` or ``classify`` describe (validated).

    Raises
    ------
    ParameterError : an unknown masklet source (lists the valid ones), a masklet option the source does not
        take (names the sources that do), or an impossible value (names the option and the settings key).
    """
    from ..masks import list_masklet_sources

    valid = list_masklet_sources()
    if args.masks not in valid:
        raise ParameterError(f"--masks {args.masks!r} is not a masklet source; valid: {', '.join(valid)}")
    parser_defaults = {a.dest: a.default
                       for a in build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
                       .choices[args.command]._actions}
    given = {dest for dest in parser_defaults if hasattr(args, dest) and getattr(args, dest) != parser_defaults[dest]}
    for dest in sorted(given):
        owners = _owners(dest)
        if owners is not None and args.masks not in owners:
            takes = sorted(f"--{d.replace('_', '-')}" for d in parser_defaults if args.masks in (_owners(d) or []))
            raise ParameterError(f"--{dest.replace('_', '-')} is a setting of {' and '.join(owners)}, not of --masks "
                                 f"{args.masks} (which takes {', '.join(takes) or 'none of the masklet options'})")
    keys = dict(OPTION_KEYS)
    if args.masks in MASKLET_SECTIONS:
        keys.update({dest: f"masklets.{MASKLET_SECTIONS[args.masks]}.{dest}" for dest in SECTION_OPTIONS
                     if dest in given})
    for dest in sorted(given & set(keys)):  # each option alone first, so an error names its option
        value = getattr(args, dest)
        DEFAULTS.replace({keys[dest]: value}, source=f"--{dest.replace('_', '-')} {value}")
    cache = args.cache or os.environ.get(CACHE_ENV) or DEFAULTS.run.cache_dir
    changes = {key: getattr(args, dest) for dest, key in keys.items() if hasattr(args, dest)}
    changes.update({
        "data.dataset": "vspw", "data.root": str(Path(args.data).resolve()),
        "run.cache_dir": str(Path(cache).resolve()), "masklets.oracle.seeds": [args.oracle_seed],
        "baselines.networks": [args.segmenter] if args.segmenter else [], "baselines.train_seeds": [args.seed],
        "baselines.predictions": [args.predictions] if getattr(args, "predictions", None) else []})
    return DEFAULTS.replace(changes, source="command line")


def _run(args: argparse.Namespace) -> Any:
    if args.command == "sam2-checkpoint":
        from ..masks.checkpoints import fetch_checkpoint
        from ..masks.sam2_model import strict_load_check

        return fetch_checkpoint(args.size, folder=args.dir, url=args.url, sha256=args.sha256,
                                progress=not args.no_progress, strict_load=strict_load_check)
    if args.command == "generate":
        from ..data import generate

        root = generate(args.out, n_videos=args.videos, n_frames=args.frames, height=args.height,
                        width=args.width, seed=args.seed, split_counts=tuple(args.splits) if args.splits else None,
                        progress=not args.no_progress)
        return root

    from ..base.executor import create_executor
    from .runs import run_classify, run_refine
    from .specs import baseline_names, classify_spec, refine_spec

    settings = settings_from_options(args)
    if args.masks == "sam2" and not args.sam2_checkpoint:
        raise ParameterError("--masks sam2 needs --sam2-checkpoint PATH (and the matching --sam2-config); "
                             "python -m vsslib sam2-checkpoint --size SIZE downloads one")
    overrides = {"strength": args.oracle_strength} if args.masks == "oracle" else {}
    baseline = baseline_names(settings)[0]
    with create_executor(workers=args.workers, dask=args.dask) as executor:
        if args.command == "refine":
            spec = refine_spec(settings, baseline, args.masks, out=args.out, **overrides)
            return run_refine(spec, executor=executor, progress=not args.no_progress)
        from ..classify import list_feature_sources

        if args.features not in list_feature_sources():
            raise ParameterError(f"--features {args.features!r} is not a feature source; valid: "
                                 f"{', '.join(list_feature_sources())}")
        spec = classify_spec(settings, args.features, args.masks, baseline=baseline, out=args.out, **overrides)
        return run_classify(spec, executor=executor, progress=not args.no_progress)


def _print_table(result: RunResult) -> None:
    print(f"{'':<12}{'mIoU':>8}{'mBIoU':>8}{'mVC8':>8}{'mVC16':>8}{'mVCc16':>8}{'fps':>9}")
    for name, m in result.scores.items():
        print(f"{name:<12}{100 * m.miou:>8.2f}{100 * m.mbiou:>8.2f}{100 * m.mvc8:>8.2f}{100 * m.mvc16:>8.2f}"
              f"{100 * m.mvcc16:>8.2f}{m.fps:>9.2f}")
    print(f"metrics: {Path(result.out) / 'metrics.json'}")


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
    if args.command == "sam2-checkpoint":
        print(f"verified {result}")
    elif args.command == "generate":
        print(f"wrote {result}")
    else:
        _print_table(result)
    return 0
