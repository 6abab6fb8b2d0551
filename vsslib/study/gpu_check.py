"""``python -m vsslib.study.gpu_check``: time the real SAM2 path on a GPU, stage by stage, with peak memory.

It builds SAM2 with the masklet source's settings and the shared plumbing of
:mod:`vsslib.masks.sam2_model` (random weights, or a checkpoint when one is given), generates a video of smooth random
colour fields at 480p (:func:`vsslib.analysis.cost.synthetic_frames`), and times, after one untimed warm-up call each:

- **encoder**: SAM2's image encoder on every frame (``SAM2ImagePredictor.set_image``), seconds per frame;
- **generator**: the automatic mask generator on the key frame at the study's grid (16 x 16 by default);
- **propagation**: ``--objects`` seeded masks (disjoint boxes; a random model's own masks are meaningless)
  carried through the video by the shared propagation loop, ``--max-objects-per-batch`` at a time,
  reported per frame and per object and frame.

The report ends with what Meta's published single-object speed of the same checkpoint predicts for the
propagation just timed (:func:`published_propagation_seconds`), so a GPU run can be read against it.

Each stage's peak memory is measured with :class:`vsslib.base.devices.PeakMemory` (CUDA ``max_memory_allocated``,
or the resident peak on the CPU). The defaults are meant for CUDA; ``--device cpu`` with a small
``--image-size`` and few frames is a smoke test of the script itself. Exit status 2 with one line on
stderr when the device is not there or an option is impossible.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base.errors import ParameterError, VsslibError

__all__ = ["run_gpu_check", "published_propagation_seconds", "format_report", "main"]


def published_propagation_seconds(config: str, objects: int, frames: float) -> float | None:
    """Seconds of propagation that Meta's published speed of ``config`` predicts for ``objects`` masklets carried
    through ``frames`` frames: ``objects * frames / fps``, fps being single-object tracking on an A100 with the
    whole model compiled (:attr:`vsslib.masks.checkpoints.OfficialCheckpoint.published_fps`). sam2 tracks each
    object separately (1.1.0's ``propagate_in_video`` runs one forward per object and frame), so cost is linear in
    ``objects``; the image encoder, run once per frame, is not counted separately. An estimate, not a measurement;
    None where no speed is published (the SAM 2.0 files).

    Raises
    ------
    ParameterError : an unknown ``config``, or ``objects`` / ``frames`` not positive.
    """
    from ..masks.checkpoints import official_checkpoint
    from ..masks.sam2_model import check_number

    check_number("objects", objects, low=1, integer=True)
    check_number("frames", frames, low=1)
    fps = official_checkpoint(config).published_fps
    return None if fps is None else objects * frames / fps


def run_gpu_check(*, device: str = "cuda", config: str | None = None, checkpoint: str | None = None,
                  frames: int = 16, height: int = 480, width: int = 854, objects: int = 16, grid: int = 16,
                  max_objects_per_batch: int = 32, autocast: bool = True, vos_optimized: bool = False,
                  image_size: int = 1024, seed: int = 0) -> dict[str, Any]:
    """Time SAM2's encoder, generator and propagation on ``device``; see the module docstring.

    Parameters
    ----------
    device : ``"cuda"``, ``"cuda:<index>"`` or ``"cpu"``.
    config, checkpoint : the SAM2 model (no checkpoint: random weights of ``config``, default tiny).
    frames, height, width : the generated video, (frames, height, width, 3) uint8.
    objects : masks seeded on frame 0 and propagated.
    grid : points per side of the automatic generator.
    max_objects_per_batch, autocast, vos_optimized : as in :class:`vsslib.masks.SAM2Settings`.
    image_size : the model's input side (1024 for every checkpoint; smaller only for smoke tests).
    seed : torch seed of random weights and seed of the frames.

    Returns
    -------
    dict
        ``"setup"`` (device name, torch version, model, precision, video shape) and ``"stages"``: a list of
        ``{"stage", "seconds", "per", "count", "seconds_per", "peak_mib", "memory_method"}``.

    Raises
    ------
    ParameterError, CheckpointError : a device that is not there, an impossible setting, a bad checkpoint.
    """
    import torch

    from ..analysis.cost import seed_masks, synthetic_frames
    from ..base.devices import PeakMemory, resolve_device
    from ..masks import GeneratorSettings, SAM2Settings
    from ..masks.sam2_model import (build_image_predictor, build_mask_generator, build_sam2_model, check_number,
                                    inference, propagate_masks)

    for key, value in (("frames", frames), ("height", height), ("width", width), ("objects", objects),
                       ("grid", grid)):
        check_number(key, value, low=1, integer=True)
    target = resolve_device(device)
    settings = SAM2Settings(config=config, checkpoint=checkpoint, random_weights=checkpoint is None, device=device,
                            autocast=autocast, vos_optimized=vos_optimized,
                            max_objects_per_batch=max_objects_per_batch,
                            generator=GeneratorSettings(points_per_side=grid))
    torch.manual_seed(seed)
    started = time.perf_counter()
    model = build_sam2_model(settings.resolved_config, settings.checkpoint, device=device,
                             random_weights=settings.random_weights, vos_optimized=vos_optimized, image_size=image_size)
    build_seconds = time.perf_counter() - started
    video = synthetic_frames(frames, (height, width), seed=seed)
    stages: list[dict[str, Any]] = []

    def timed(stage: str, fn: Any, per: str, count: int) -> Any:
        fn()  # warm-up: lazy set-up, cuDNN autotuning, torch.compile
        with PeakMemory(target) as seen:
            started = time.perf_counter()
            result = fn()
            if target.type == "cuda":
                torch.cuda.synchronize(target)
            seconds = time.perf_counter() - started
        stages.append({"stage": stage, "seconds": seconds, "per": per, "count": count,
                       "seconds_per": seconds / count, "peak_mib": seen.peak_mib, "memory_method": seen.method})
        return result

    predictor = build_image_predictor(model)

    def encode() -> None:
        with inference(target, autocast=autocast):
            for frame in video:
                predictor.set_image(np.ascontiguousarray(frame))

    timed("encoder", encode, "frame", frames)
    generator = build_mask_generator(model, settings.generator)

    def generate() -> int:
        with inference(target, autocast=autocast):
            return len(generator.generate(np.ascontiguousarray(video[0])))

    kept = timed(f"generator ({grid}x{grid} points)", generate, "key frame", 1)
    masks = seed_masks(objects, (height, width))
    ids = np.arange(objects)
    propagated = [None]

    def propagate() -> None:
        propagated[0] = propagate_masks(model, video, masks, ids, threshold=settings.generator.mask_threshold,
                                        max_objects_per_batch=max_objects_per_batch, autocast=autocast)

    timed(f"propagation ({objects} objects, batches of {max_objects_per_batch or objects})", propagate,
          "frame", frames)
    whole = stages[-1]
    stages.append({**whole, "stage": "propagation per object", "per": "object x frame", "count": objects * frames,
                   "seconds_per": whole["seconds"] / (objects * frames)})
    name = torch.cuda.get_device_name(target) if target.type == "cuda" else (platform.processor() or "CPU")
    setup = {"device": str(target), "device_name": name, "torch": torch.__version__,
             "model": settings.resolved_config, "weights": checkpoint or "random", "image_size": image_size,
             "precision": "bfloat16 autocast" if autocast and target.type == "cuda" else "float32",
             "vos_optimized": vos_optimized, "video": [frames, height, width, 3], "objects": objects,
             "build_seconds": build_seconds,
             "generator_masks_kept": kept, "torch_threads": torch.get_num_threads()}
    return {"setup": setup, "stages": stages}


def format_report(report: dict[str, Any]) -> str:
    """The report of :func:`run_gpu_check` as text: a setup line, then one line per stage."""
    s = report["setup"]
    lines = [f"SAM2 GPU check on {s['device']} ({s['device_name']}), torch {s['torch']}, {s['precision']}, "
             f"model {s['model']} ({s['weights']} weights, {s['image_size']} px input"
             f"{', vos_optimized' if s['vos_optimized'] else ''}), video {'x'.join(map(str, s['video'][:3]))}, "
             f"build {s['build_seconds']:.1f} s",
             f"{'stage':<52}{'seconds':>10}{'per':>16}{'ms per':>12}{'peak MiB':>11}"]
    for row in report["stages"]:
        lines.append(f"{row['stage']:<52}{row['seconds']:>10.3f}{row['per']:>16}{1000 * row['seconds_per']:>12.2f}"
                     f"{row['peak_mib']:>11.0f}")
    method = report["stages"][0]["memory_method"] if report["stages"] else ""
    lines.append(f"peak memory: {method}; the generator kept {s['generator_masks_kept']} masks")
    propagation = next((row for row in report["stages"] if row["stage"].startswith("propagation (")), None)
    frames, objects = s["video"][0], s["objects"]
    if propagation is not None:
        try:
            predicted = published_propagation_seconds(s["model"], objects, frames)
        except ParameterError:  # a config outside the official table
            predicted = None
        if predicted is not None:
            lines.append(f"published speed of this model (A100, compiled, one object) predicts {predicted:.3f} s for "
                         f"this propagation ({objects} objects x {frames} frames); measured "
                         f"{propagation['seconds']:.3f} s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the check, print the report. Exit status 0, or 2 with one line on stderr."""
    parser = argparse.ArgumentParser(prog="python -m vsslib.study.gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (default: cuda)")
    parser.add_argument("--checkpoint", default=None, help="SAM2 checkpoint (default: random weights)")
    parser.add_argument("--config", default=None,
                        help="tiny, small, base_plus, large (default: from the checkpoint's name, else tiny)")
    parser.add_argument("--frames", type=int, default=16, help="frames of the generated video (default: 16)")
    parser.add_argument("--height", type=int, default=480, help="frame height (default: 480)")
    parser.add_argument("--width", type=int, default=854, help="frame width (default: 854)")
    parser.add_argument("--objects", type=int, default=16, help="seeded objects to propagate (default: 16)")
    parser.add_argument("--grid", type=int, default=16, help="generator points per side (default: 16)")
    parser.add_argument("--max-objects-per-batch", type=int, default=32,
                        help="objects propagated together, 0 = all (default: 32)")
    parser.add_argument("--no-autocast", action="store_true", help="float32 on CUDA (default: bfloat16 autocast)")
    parser.add_argument("--vos-optimized", action="store_true", help="torch.compile every component (CUDA only)")
    parser.add_argument("--image-size", type=int, default=1024,
                        help="model input side; below 1024 only for smoke tests with random weights (default: 1024)")
    args = parser.parse_args(argv)
    try:
        report = run_gpu_check(device=args.device, config=args.config, checkpoint=args.checkpoint, frames=args.frames,
                               height=args.height, width=args.width, objects=args.objects, grid=args.grid,
                               max_objects_per_batch=args.max_objects_per_batch, autocast=not args.no_autocast,
                               vos_optimized=args.vos_optimized, image_size=args.image_size)
    except VsslibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
