"""Video consistency VC_n (Miao et al., VSPW, CVPR 2021; VSPW_code ``VC_perclip.py``).

For a window of n consecutive frames, let G be the pixels whose ground truth is the same in all n frames
and P the pixels whose prediction is the same in all n frames; the window's score is |G and P| / |G|.
Raw values are compared, as in VSPW's script, so a pixel that stays ignore (255) counts in G.
mVC_n of a dataset is the mean over all windows of all its videos (windows pooled, not per video).

Difference from VSPW's script, on purpose: its loop ``for i in range(T - n)`` leaves out the last window
(start T - n); we keep it, so a video of T frames has T - n + 1 windows (none when T < n).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["consistency_counts", "video_consistency"]


def _constant_windows(maps: np.ndarray, n: int) -> np.ndarray:
    """(T-n+1, H, W) bool: whether each pixel's value is the same over frames i..i+n-1."""
    changes = np.zeros((maps.shape[0],) + maps.shape[1:], np.int32)
    changes[1:] = maps[1:] != maps[:-1]
    cumulative = np.cumsum(changes, axis=0, dtype=np.int32)
    # changes inside window i are those at frames i+1 .. i+n-1
    return (cumulative[n - 1 :] - cumulative[: maps.shape[0] - n + 1]) == 0


def consistency_counts(gt_frames: np.ndarray, pred_frames: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer numerator |G and P| and denominator |G| of every window.

    Parameters
    ----------
    gt_frames, pred_frames : (T, H, W) integer label maps.
    n : window length in frames (8 or 16 in VSPW).

    Returns
    -------
    (numerators, denominators), each (max(T-n+1, 0),) int64.
    """
    gt = np.asarray(gt_frames)
    pred = np.asarray(pred_frames)
    if gt.shape != pred.shape or gt.ndim != 3:
        raise ParameterError(f"video_consistency: expected two (T, H, W) arrays of one shape, got {gt.shape} "
                             f"and {pred.shape}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n={n!r} must be a positive integer window length")
    if gt.shape[0] < n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    g = _constant_windows(gt, n)
    p = _constant_windows(pred, n)
    den = g.reshape(g.shape[0], -1).sum(axis=1, dtype=np.int64)
    num = (g & p).reshape(g.shape[0], -1).sum(axis=1, dtype=np.int64)
    return num, den


def video_consistency(gt_frames: np.ndarray, pred_frames: np.ndarray, n: int) -> np.ndarray:
    """VC_n of every window of one video.

    Returns
    -------
    (max(T-n+1, 0),) float64 scores; NaN for a window where no pixel has a constant ground truth.
    """
    num, den = consistency_counts(gt_frames, pred_frames, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
