"""Benchmark of the metrics against plain per-class loops.

``python -m vsslib.bench.metrics`` times mIoU, Boundary IoU and VC_8 on one VSPW-sized video (32 frames of
480 x 853, 124 classes, blocky label maps with noisy predictions) and the obvious per-class route of each:

- mIoU: one boolean intersection and union per class and frame;
- Boundary IoU: the boundary-iou-api band (pad, erode d times, subtract) per class and frame, for the
  ground truth and the prediction;
- VC_8: per window, ``np.all`` of equality over the window's frames (vectorised over pixels only).

Every route's result is checked against the vectorised one before it is timed.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import cv2
import numpy as np

from ..metrics import boundary_counts, confusion_matrix, consistency_counts
from .refine import time_call

__all__ = ["make_labels", "loop_iou_counts", "loop_boundary_counts", "loop_vc_counts", "run", "main"]


def make_labels(*, num_frames: int = 32, height: int = 480, width: int = 853, num_classes: int = 124,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Blocky (T, H, W) uint8 ground truth drifting over time, and a prediction with 10 % noise."""
    rng = np.random.default_rng(seed)
    cell = 24
    rows, cols = -(-height // cell), -(-width // cell) + num_frames
    coarse = rng.integers(0, num_classes, size=(rows, cols)).astype(np.uint8)
    big = np.repeat(np.repeat(coarse, cell, axis=0), cell, axis=1)
    gt = np.stack([big[:height, t * 2 : t * 2 + width] for t in range(num_frames)])
    gt[:, :8] = 255
    pred = gt.copy()
    noise = rng.random(gt.shape) < 0.1
    pred[noise] = rng.integers(0, num_classes, size=int(noise.sum()))
    return gt, pred


def loop_iou_counts(gt: np.ndarray, pred: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    inter = np.zeros(num_classes, np.int64)
    union = np.zeros(num_classes, np.int64)
    for g, p in zip(gt, pred):
        known = g != 255
        for c in range(num_classes):
            gc = (g == c) & known
            pc = (p == c) & known
            inter[c] += np.count_nonzero(gc & pc)
            union[c] += np.count_nonzero(gc | pc)
    return inter, union


def loop_boundary_counts(gt: np.ndarray, pred: np.ndarray, num_classes: int,
                         ratio: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    inter = np.zeros(num_classes, np.int64)
    union = np.zeros(num_classes, np.int64)
    kernel = np.ones((3, 3), np.uint8)
    for g, p in zip(gt, pred):
        d = max(1, int(round(ratio * np.hypot(*g.shape))))
        known = g != 255
        for c in range(num_classes):
            bands = []
            for m in (g == c, p == c):
                m8 = np.pad(m.astype(np.uint8), 1)
                eroded = cv2.erode(m8, kernel, iterations=d)[1:-1, 1:-1]
                bands.append(m & ~eroded.astype(bool) & known)
            inter[c] += np.count_nonzero(bands[0] & bands[1])
            union[c] += np.count_nonzero(bands[0] | bands[1])
    return inter, union


def loop_vc_counts(gt: np.ndarray, pred: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    num, den = [], []
    for i in range(gt.shape[0] - n + 1):
        g = np.all(gt[i : i + n] == gt[i], axis=0)
        p = np.all(pred[i : i + n] == pred[i], axis=0)
        num.append(np.count_nonzero(g & p))
        den.append(np.count_nonzero(g))
    return np.array(num), np.array(den)


def _vectorised_iou(gt: np.ndarray, pred: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    table = confusion_matrix(gt, pred, num_classes)
    tp = np.diag(table[:, :num_classes])
    return tp, table.sum(axis=1) + table[:, :num_classes].sum(axis=0) - tp


def run(*, num_frames: int = 32, height: int = 480, width: int = 853, num_classes: int = 124,
        repeat: int = 3, seed: int = 0) -> list[tuple[str, float, float]]:
    """(metric, vectorised seconds, loop seconds) rows; raises RuntimeError if the routes disagree."""
    gt, pred = make_labels(num_frames=num_frames, height=height, width=width, num_classes=num_classes, seed=seed)
    routes = [
        ("mIoU", lambda: _vectorised_iou(gt, pred, num_classes), lambda: loop_iou_counts(gt, pred, num_classes)),
        ("Boundary IoU", lambda: boundary_counts(gt, pred, num_classes),
         lambda: loop_boundary_counts(gt, pred, num_classes)),
        ("VC_8", lambda: consistency_counts(gt, pred, 8), lambda: loop_vc_counts(gt, pred, 8)),
    ]
    rows = []
    for name, fast, slow in routes:
        for a, b in zip(fast(), slow()):
            if not np.array_equal(a, b):
                raise RuntimeError(f"{name}: the vectorised route and the loop disagree")
        rows.append((name, time_call(fast, repeat=repeat), time_call(slow, repeat=1)))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: print the timing table."""
    parser = argparse.ArgumentParser(prog="python -m vsslib.bench.metrics", description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=32, help="frames T (default 32)")
    parser.add_argument("--height", type=int, default=480, help="frame rows (default 480)")
    parser.add_argument("--width", type=int, default=853, help="frame columns (default 853)")
    parser.add_argument("--classes", type=int, default=124, help="number of classes (default 124)")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats, best taken (default 3)")
    args = parser.parse_args(argv)
    rows = run(num_frames=args.frames, height=args.height, width=args.width, num_classes=args.classes,
               repeat=args.repeat)
    print(f"metrics on {args.frames} frames of {args.height}x{args.width}, {args.classes} classes")
    print(f"{'metric':<14}{'vectorised s':>14}{'loop s':>10}{'ratio':>9}")
    for name, fast, slow in rows:
        print(f"{name:<14}{fast:>14.3f}{slow:>10.3f}{slow / fast:>8.1f}x")


if __name__ == "__main__":
    main()
