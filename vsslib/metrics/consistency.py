"""Video consistency VC_n (Miao et al., "VSPW: A Large-scale Dataset for Video Scene Parsing in the Wild",
CVPR 2021; VSPW-dataset/VSPW_code ``VC_perclip.py``, function ``get_common``).

For a window of n consecutive frames i .. i+n-1, let G be the pixels whose ground truth is the same in all n
frames and P the pixels whose prediction is the same in all n frames; the window scores ``|G & P| / |G|``
(NaN when G is empty). Raw values are compared, as in VSPW's script, so a pixel that stays ignore (255)
counts in G. mVC_n of a dataset is the NaN-mean over all windows of all its videos, pooled (not averaged per
video first); :class:`vsslib.metrics.MetricAccumulator` computes it.

Difference from VSPW's script, on purpose: its loop ``for i in range(T - n)`` leaves out the last window
(start T - n) and skips videos of exactly n frames; we keep that window, so a video of T frames has
T - n + 1 windows, none when T < n.

Vectorised over pixels: one pass over the frames keeps, per pixel, the last frame at which its ground truth
changed and the last frame at which its ground truth or its prediction changed. The window of frames
i .. j has the pixel in G iff the first is at most i, and in G & P iff the second is, so all window lengths
are counted in the same pass, with one comparison per frame and map instead of one per window and frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError

__all__ = ["consistency_counts", "video_consistency"]


def consistency_counts(gt_frames: np.ndarray, pred_frames: np.ndarray,
                       lengths: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Integer numerators ``|G & P|`` and denominators ``|G|`` of every window, for several window lengths.

    Parameters
    ----------
    gt_frames : (T, H, W) array
        Ground truth of one video (raw values are compared, ignore included).
    pred_frames : (T, H, W) array
        Prediction of the same video.
    lengths : sequence of int
        Window lengths n (VSPW: 8 and 16), each at least 1.

    Returns
    -------
    dict
        ``{n: (numerators, denominators)}``, each a (max(T - n + 1, 0),) int64 array indexed by the
        window's first frame. Counts, so windows of several videos can be pooled exactly.
    """
    gt, pred = np.asarray(gt_frames), np.asarray(pred_frames)
    if gt.shape != pred.shape or gt.ndim != 3:
        raise ParameterError(f"video consistency: expected ground truth and prediction as (T, H, W) arrays of "
                             f"one shape, got {gt.shape} and {pred.shape}")
    lengths = _check_lengths(lengths)
    num_frames = gt.shape[0]
    counts = {n: (np.zeros(max(num_frames - n + 1, 0), np.int64), np.zeros(max(num_frames - n + 1, 0), np.int64))
              for n in lengths}
    if num_frames == 0:
        return counts
    # Per pixel, the last frame (up to the current frame j) at which the ground truth changed, and the last
    # frame at which the ground truth or the prediction changed. The window of frames i .. j (i = j - n + 1)
    # has the pixel in G iff the first is <= i, and in G & P iff the second is.
    # Updated as max(changed_at, j * changed): plain arithmetic, several times faster than a masked copy.
    dtype = np.uint8 if num_frames <= 256 else np.int32
    gt_changed_at = np.zeros(gt.shape[1:], dtype)
    any_changed_at = np.zeros(gt.shape[1:], dtype)
    gt_changed = np.empty(gt.shape[1:], bool)
    any_changed = np.empty(gt.shape[1:], bool)
    stamp = np.empty(gt.shape[1:], dtype)
    for j in range(num_frames):
        if j > 0:
            np.not_equal(gt[j], gt[j - 1], out=gt_changed)
            np.not_equal(pred[j], pred[j - 1], out=any_changed)
            any_changed |= gt_changed
            for changed, changed_at in ((gt_changed, gt_changed_at), (any_changed, any_changed_at)):
                np.multiply(changed.view(np.uint8), dtype(j), out=stamp)
                np.maximum(changed_at, stamp, out=changed_at)
        for n, (numerators, denominators) in counts.items():
            start = j - n + 1
            if start >= 0:
                denominators[start] = np.count_nonzero(gt_changed_at <= start)
                numerators[start] = np.count_nonzero(any_changed_at <= start)
    return counts


def video_consistency(gt_frames: np.ndarray, pred_frames: np.ndarray, n: int) -> np.ndarray:
    """VC_n of every window of one video.

    Parameters
    ----------
    gt_frames, pred_frames : (T, H, W) arrays
        Ground truth and prediction of one video.
    n : int
        Window length in frames.

    Returns
    -------
    (max(T - n + 1, 0),) float64
        Window i (frames i .. i+n-1) scores ``|G & P| / |G|``; NaN where no pixel has a constant ground truth.
        Windows i = 0 .. T-n: VSPW's script stops at T-n-1, leaving the last window out; we keep it.

    Examples
    --------
    >>> gt = np.array([[[0, 1]], [[0, 1]], [[0, 2]]])      # (3, 1, 2): pixel 1 changes at frame 2
    >>> pred = np.array([[[5, 5]], [[6, 5]], [[6, 5]]])    # pixel 0 changes at frame 1
    >>> video_consistency(gt, pred, 2).tolist()
    [0.5, 1.0]
    """
    (n,) = _check_lengths((n,))
    numerators, denominators = consistency_counts(gt_frames, pred_frames, (n,))[n]
    scores = np.full(denominators.shape, np.nan)
    np.divide(numerators, denominators, out=scores, where=denominators > 0)
    return scores


def _check_lengths(lengths: Sequence[int]) -> tuple[int, ...]:
    if isinstance(lengths, (int, np.integer)):
        raise ParameterError(f"lengths={lengths!r} must be a sequence of window lengths, e.g. ({lengths},)")
    checked = []
    for n in lengths:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ParameterError(f"window length n={n!r} must be a positive integer (VSPW reports n = 8 and 16)")
        checked.append(int(n))
    if len(set(checked)) != len(checked):
        raise ParameterError(f"window lengths {tuple(checked)} repeat a value")
    return tuple(checked)
