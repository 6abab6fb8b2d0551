"""Video consistency VC_n (Miao et al., "VSPW: A Large-scale Dataset for Video Scene Parsing in the Wild",
CVPR 2021; VSPW-dataset/VSPW_code ``VC_perclip.py``, function ``get_common``).

For a window of n consecutive frames i .. i+n-1, let G be the pixels whose ground truth is the same in all n
frames and P the pixels whose prediction is the same in all n frames; the window scores ``|G & P| / |G|``
(NaN when G is empty). mVC_n of a dataset is the NaN-mean over all windows of all its videos, pooled (not
averaged per video first); :class:`vsslib.metrics.MetricAccumulator` computes it.

Which windows (:class:`ConsistencyWindows`):

- ``"vspw"`` (the default, and what published mVC numbers use): exactly the windows of ``VC_perclip.py``,
  whose loop ``for i in range(T - n)`` takes the starts i = 0 .. T-n-1, so the last full window (start T-n)
  is left out and a video of T <= n frames has no window (the script skips it);
- ``"all"``: every full window, starts i = 0 .. T-n (T-n+1 windows, none when T < n).

Which values are compared: the values passed in, as they are. ``VC_perclip.py`` reads the raw mask PNGs, in
which VSPW stores 0 ("others") and 255 (void) as two values, while :class:`vsslib.data.VSPWDataset` maps
both to 255. A pixel whose raw label switches between 0 and 255 inside a window is therefore outside G for
the official script and inside G for the remapped labels; every other pixel is counted alike, because the
remap is one-to-one on the other values and an equality test does not depend on the names of the values.
So the ground truth of VC is the raw mask values: :class:`vsslib.data.Video` keeps them as ``raw_labels`` and
the runs pass them as ``MetricAccumulator.update(..., raw_gt=video.raw_labels)``, which reproduces the official
number on any masks. Without ``raw_gt`` the remapped labels are compared, which gives the official number on
masks that hold at most one of the two values (the generated benchmark holds neither). The prediction is
compared as written: any one-to-one renaming of predicted values leaves VC unchanged.

Vectorised over pixels: one pass over the frames keeps, per pixel, the last frame at which its ground truth
changed and the last frame at which its ground truth or its prediction changed. The window of frames
i .. j has the pixel in G iff the first is at most i, and in G & P iff the second is, so all window lengths
are counted in the same pass, with one comparison per frame and map instead of one per window and frame.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError
from ._checks import check_lengths

__all__ = ["ConsistencyWindows", "consistency_counts", "video_consistency", "window_count"]


class ConsistencyWindows(enum.StrEnum):
    """Which windows of n frames VC_n scores in a video of T frames."""

    VSPW = "vspw"  # starts 0 .. T-n-1, as VC_perclip.py; no window when T <= n
    ALL = "all"  # starts 0 .. T-n, every full window; no window when T < n


def window_count(num_frames: int, n: int, windows: ConsistencyWindows | str = ConsistencyWindows.VSPW) -> int:
    """Number of windows of n frames that VC_n scores in a video of ``num_frames`` frames.

    ``max(T - n, 0)`` for ``"vspw"``, ``max(T - n + 1, 0)`` for ``"all"``.
    """
    windows = parse_windows(windows)
    return max(num_frames - n + (windows is ConsistencyWindows.ALL), 0)


def consistency_counts(gt_frames: np.ndarray, pred_frames: np.ndarray, lengths: Sequence[int], *,
                       windows: ConsistencyWindows | str = ConsistencyWindows.VSPW,
                       ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Integer numerators ``|G & P|`` and denominators ``|G|`` of every window, for several window lengths.

    Parameters
    ----------
    gt_frames : (T, H, W) integer array
        Ground truth of one video. Its values are compared as they are (raw mask values reproduce
        ``VC_perclip.py`` exactly; see the module docstring).
    pred_frames : (T, H, W) integer array
        Prediction of the same video.
    lengths : sequence of int
        Window lengths n (VSPW: 8 and 16), each at least 1.
    windows : {"vspw", "all"}
        Which windows (see :class:`ConsistencyWindows`); ``"vspw"`` is the official script's.

    Returns
    -------
    dict
        ``{n: (numerators, denominators)}``, each a (:func:`window_count`,) int64 array indexed by the
        window's first frame. Counts, so windows of several videos can be pooled exactly.
    """
    gt, pred = np.asarray(gt_frames), np.asarray(pred_frames)
    if gt.shape != pred.shape or gt.ndim != 3:
        raise ParameterError(f"video consistency: expected ground truth and prediction as (T, H, W) arrays of "
                             f"one shape, got {gt.shape} and {pred.shape}")
    lengths = check_lengths(lengths)
    windows = parse_windows(windows)
    num_frames = gt.shape[0]
    counts = {n: (np.zeros(window_count(num_frames, n, windows), np.int64),
                  np.zeros(window_count(num_frames, n, windows), np.int64)) for n in lengths}
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
            if 0 <= start < numerators.size:
                denominators[start] = np.count_nonzero(gt_changed_at <= start)
                numerators[start] = np.count_nonzero(any_changed_at <= start)
    return counts


def video_consistency(gt_frames: np.ndarray, pred_frames: np.ndarray, n: int, *,
                      windows: ConsistencyWindows | str = ConsistencyWindows.VSPW) -> np.ndarray:
    """VC_n of every window of one video.

    Parameters
    ----------
    gt_frames, pred_frames : (T, H, W) integer arrays
        Ground truth and prediction of one video (values compared as they are).
    n : int
        Window length in frames.
    windows : {"vspw", "all"}
        ``"vspw"``: starts 0 .. T-n-1 (``VC_perclip.py``); ``"all"``: starts 0 .. T-n.

    Returns
    -------
    (window_count(T, n, windows),) float64
        Window i (frames i .. i+n-1) scores ``|G & P| / |G|``; NaN where no pixel has a constant ground truth.

    Examples
    --------
    >>> gt = np.array([[[0, 1]], [[0, 1]], [[0, 2]]])      # (3, 1, 2): pixel 1 changes at frame 2
    >>> pred = np.array([[[5, 5]], [[6, 5]], [[6, 5]]])    # pixel 0 changes at frame 1
    >>> video_consistency(gt, pred, 2).tolist()            # VSPW's windows: start 0 only
    [0.5]
    >>> video_consistency(gt, pred, 2, windows="all").tolist()
    [0.5, 1.0]
    """
    (n,) = check_lengths((n,))
    numerators, denominators = consistency_counts(gt_frames, pred_frames, (n,), windows=windows)[n]
    scores = np.full(denominators.shape, np.nan)
    np.divide(numerators, denominators, out=scores, where=denominators > 0)
    return scores


def parse_windows(windows: ConsistencyWindows | str) -> ConsistencyWindows:
    """The :class:`ConsistencyWindows` named by ``windows``; ParameterError listing the valid names."""
    try:
        return ConsistencyWindows(windows)
    except ValueError:
        raise ParameterError(f"windows={windows!r} is not one of "
                             f"{', '.join(repr(w.value) for w in ConsistencyWindows)}") from None
