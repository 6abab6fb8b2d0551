"""Benchmark of the vectorised metrics against plain per-class loops.

``python -m vsslib.study.bench.metrics`` builds one VSPW-sized video (32 frames of 480 x 853, 124 classes by
default): a blocky ground truth panning two pixels a frame with a few ignored blobs, and a prediction with
shifted region edges, wrong blocks, salt noise and some "no class" pixels. It then times each metric and the
obvious route to it:

- mIoU: :func:`vsslib.metrics.confusion_matrix` (one bincount) against one boolean intersection and union
  per class and frame;
- Boundary IoU: :func:`vsslib.metrics.boundary_counts` (one min and one max filter per frame for all classes)
  against the boundary-iou-api band (pad, erode d times, crop, subtract) per class and frame, for the ground
  truth and the prediction;
- VC_8 and VC_16: :func:`vsslib.metrics.consistency_counts` (one pass over the frames for both lengths,
  VSPW's windows) against VSPW's ``get_common``: per window start 0 .. T-n-1, an AND of equalities with the
  window's first frame;
- correct consistency VCc_8 and VCc_16: :func:`vsslib.metrics.correct_consistency_counts` (the same pass)
  against the same loop with, per window, an AND of "prediction equals the ground truth (or it is ignored)"
  over its frames;
- everything at once: :meth:`vsslib.metrics.MetricAccumulator.update` against the sum of the loops.

Each loop's counts are checked equal to the vectorised ones before anything is timed. Vectorised routes
report the best of ``--repeat`` runs, loops a single run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from ...metrics import (MetricAccumulator, band_width, boundary_counts, confusion_matrix, consistency_counts,
                        correct_consistency_counts)

__all__ = ["make_labels", "loop_iou_counts", "loop_boundary_counts", "loop_consistency_counts",
           "loop_correct_consistency_counts", "run", "main"]

VC_LENGTHS = (8, 16)


def make_labels(*, frames: int = 32, height: int = 480, width: int = 853, num_classes: int = 124,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A structured, seeded ground truth and prediction.

    Returns
    -------
    gt : (T, H, W) uint8
        Blocks of 16 to 48 px with random classes ``0..C-1``, panning 2 px per frame, about 3 % ignored (255)
        in blobs.
    pred : (T, H, W) uint8
        The ground truth with region edges moved by up to 8 px, 2 % of blocks wrong, 5 % salt noise and 1 %
        of 255 ("no class").
    """
    rng = np.random.default_rng(seed)
    pan = 2 * frames
    # Coarse label grid with blocks of uneven size: draw cell edges at random spacings.
    row_edges = np.cumsum(rng.integers(16, 49, size=height // 16 + 2))
    col_edges = np.cumsum(rng.integers(16, 49, size=(width + pan) // 16 + 2))
    cells = rng.integers(0, num_classes, size=(row_edges.size + 1, col_edges.size + 1)).astype(np.uint8)
    rows = np.searchsorted(row_edges, np.arange(height), side="right")
    cols = np.searchsorted(col_edges, np.arange(width + pan), side="right")
    scene = cells[rows[:, None], cols[None, :]]
    ignored = cv2.resize((rng.random((height // 32, (width + pan) // 32)) < 0.03).astype(np.uint8),
                         (width + pan, height), interpolation=cv2.INTER_NEAREST).astype(bool)
    scene[ignored] = 255
    gt = np.stack([scene[:, 2 * t : 2 * t + width] for t in range(frames)])
    # Prediction: the edges of the same scene drawn with a small error, then block errors and pixel noise.
    jitter_rows = np.searchsorted(row_edges + rng.integers(-8, 9, size=row_edges.size), np.arange(height),
                                  side="right")
    jitter_cols = np.searchsorted(col_edges + rng.integers(-8, 9, size=col_edges.size), np.arange(width + pan),
                                  side="right")
    wrong = rng.random(cells.shape) < 0.02
    predicted_cells = np.where(wrong, rng.integers(0, num_classes, size=cells.shape), cells).astype(np.uint8)
    predicted_scene = predicted_cells[jitter_rows[:, None], jitter_cols[None, :]]
    pred = np.stack([predicted_scene[:, 2 * t : 2 * t + width] for t in range(frames)])
    salt = rng.random(pred.shape)
    pred[salt < 0.05] = rng.integers(0, num_classes, size=int((salt < 0.05).sum()), dtype=np.uint8)
    pred[(salt >= 0.05) & (salt < 0.06)] = 255
    return np.ascontiguousarray(gt), pred


def loop_iou_counts(gt: np.ndarray, pred: np.ndarray, num_classes: int,
                    ignore_index: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """Per class and frame: intersection and union of two boolean masks over the non-ignored pixels."""
    intersection = np.zeros(num_classes, np.int64)
    union = np.zeros(num_classes, np.int64)
    for gt_frame, pred_frame in zip(gt, pred, strict=True):
        counted = gt_frame != ignore_index
        for c in range(num_classes):
            gt_mask = gt_frame == c
            pred_mask = (pred_frame == c) & counted
            intersection[c] += np.count_nonzero(gt_mask & pred_mask)
            union[c] += np.count_nonzero(gt_mask | pred_mask)
    return intersection, union


def loop_boundary_counts(gt: np.ndarray, pred: np.ndarray, num_classes: int, dilation_ratio: float = 0.02,
                         ignore_index: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """Per class and frame: the boundary-iou-api bands of ``gt == c`` and ``pred == c``."""
    intersection = np.zeros(num_classes, np.int64)
    union = np.zeros(num_classes, np.int64)
    d = band_width(gt.shape[1], gt.shape[2], dilation_ratio)
    square = np.ones((3, 3), np.uint8)
    for gt_frame, pred_frame in zip(gt, pred, strict=True):
        counted = gt_frame != ignore_index
        for c in range(num_classes):
            bands = []
            for mask in (gt_frame == c, pred_frame == c):
                padded = cv2.copyMakeBorder(mask.view(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
                eroded = cv2.erode(padded, square, iterations=d)[1:-1, 1:-1]
                bands.append(mask & (eroded == 0) & counted)
            intersection[c] += np.count_nonzero(bands[0] & bands[1])
            union[c] += np.count_nonzero(bands[0] | bands[1])
    return intersection, union


def loop_consistency_counts(gt: np.ndarray, pred: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """VSPW's ``get_common``: per window start 0 .. T-n-1 (``range(T - n)``), the pixels equal to the window's
    first frame in every frame of the window, for the ground truth and for the prediction."""
    numerators, denominators = [], []
    for start in range(gt.shape[0] - n):
        gt_constant = np.ones(gt.shape[1:], bool)
        pred_constant = np.ones(gt.shape[1:], bool)
        for t in range(start + 1, start + n):
            gt_constant &= gt[t] == gt[start]
            pred_constant &= pred[t] == pred[start]
        numerators.append(np.count_nonzero(gt_constant & pred_constant))
        denominators.append(np.count_nonzero(gt_constant))
    return np.array(numerators, np.int64), np.array(denominators, np.int64)


def loop_correct_consistency_counts(gt: np.ndarray, pred: np.ndarray, n: int,
                                    ignore_index: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """:func:`loop_consistency_counts` whose numerators also ask, in every frame of the window, that the
    prediction equal the ground truth (a pixel whose ground truth is ``ignore_index`` counts as right)."""
    numerators, denominators = [], []
    for start in range(gt.shape[0] - n):
        gt_constant = np.ones(gt.shape[1:], bool)
        kept = (pred[start] == gt[start]) | (gt[start] == ignore_index)
        for t in range(start + 1, start + n):
            gt_constant &= gt[t] == gt[start]
            kept &= (pred[t] == pred[start]) & ((pred[t] == gt[t]) | (gt[t] == ignore_index))
        numerators.append(np.count_nonzero(gt_constant & kept))
        denominators.append(np.count_nonzero(gt_constant))
    return np.array(numerators, np.int64), np.array(denominators, np.int64)


def _best_seconds(call: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def _check_equal(name: str, fast: Sequence[np.ndarray], slow: Sequence[np.ndarray]) -> None:
    for a, b in zip(fast, slow, strict=True):
        if not np.array_equal(a, b):
            raise RuntimeError(f"{name}: the vectorised counts and the plain loop disagree (a bug, not a timing)")


def run(*, frames: int = 32, height: int = 480, width: int = 853, num_classes: int = 124, repeat: int = 3,
        seed: int = 0) -> list[tuple[str, float, float]]:
    """Check and time every route.

    Returns
    -------
    list of (metric, vectorised seconds, loop seconds)

    Raises
    ------
    RuntimeError
        A loop's counts differ from the vectorised ones.
    """
    gt, pred = make_labels(frames=frames, height=height, width=width, num_classes=num_classes, seed=seed)

    def iou_counts() -> tuple[np.ndarray, np.ndarray]:
        table = confusion_matrix(gt, pred, num_classes)
        hits = np.diag(table)
        return hits, table.sum(axis=1) + table[:, :num_classes].sum(axis=0) - hits

    def vc_counts() -> list[np.ndarray]:
        counts = consistency_counts(gt, pred, VC_LENGTHS)
        return [array for n in VC_LENGTHS for array in counts[n]]

    def vc_loop() -> list[np.ndarray]:
        return [array for n in VC_LENGTHS for array in loop_consistency_counts(gt, pred, n)]

    def vcc_counts() -> list[np.ndarray]:
        counts = correct_consistency_counts(gt, pred, VC_LENGTHS, ignore_index=255)
        return [array for n in VC_LENGTHS for array in counts[n]]

    def vcc_loop() -> list[np.ndarray]:
        return [array for n in VC_LENGTHS for array in loop_correct_consistency_counts(gt, pred, n)]

    routes = [("mIoU", iou_counts, lambda: loop_iou_counts(gt, pred, num_classes)),
              ("Boundary IoU", lambda: boundary_counts(gt, pred, num_classes),
               lambda: loop_boundary_counts(gt, pred, num_classes)),
              ("VC_8 + VC_16", vc_counts, vc_loop), ("VCc_8 + VCc_16", vcc_counts, vcc_loop)]
    rows = []
    for name, fast, slow in routes:
        started = time.perf_counter()
        slow_counts = slow()
        slow_seconds = time.perf_counter() - started
        _check_equal(name, fast(), slow_counts)
        rows.append((name, _best_seconds(fast, repeat), slow_seconds))
    everything = _best_seconds(lambda: MetricAccumulator(num_classes, vc_lengths=VC_LENGTHS).update(gt, pred), repeat)
    rows.append(("all (MetricAccumulator.update)", everything, sum(row[2] for row in rows)))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: print the timing table."""
    parser = argparse.ArgumentParser(prog="python -m vsslib.study.bench.metrics", description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=32, help="frames T (default 32)")
    parser.add_argument("--height", type=int, default=480, help="frame rows (default 480)")
    parser.add_argument("--width", type=int, default=853, help="frame columns (default 853)")
    parser.add_argument("--classes", type=int, default=124, help="number of classes C (default 124)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each vectorised route, best kept (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the label maps (default 0)")
    args = parser.parse_args(argv)
    rows = run(frames=args.frames, height=args.height, width=args.width, num_classes=args.classes,
               repeat=args.repeat, seed=args.seed)
    print(f"metrics on {args.frames} frames of {args.height} x {args.width}, {args.classes} classes "
          f"(counts checked equal before timing)")
    print(f"{'metric':<32}{'vectorised s':>13}{'loop s':>10}{'ratio':>9}")
    for name, fast, slow in rows:
        print(f"{name:<32}{fast:>13.3f}{slow:>10.3f}{slow / fast:>8.1f}x")


if __name__ == "__main__":
    main()
