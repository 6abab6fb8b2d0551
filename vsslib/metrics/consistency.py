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

**Correct consistency VCc_n** (a variant of this study, not VSPW's; VC_n stays the default everywhere). VC_n
does not ask the prediction to be right: a pixel whose prediction keeps one wrong class over the window counts
as consistent, so a prediction that is constant along every ground-truth track scores 100 whatever classes it
chose (one vote per masklet with masklets that follow the objects does exactly that). VCc_n also asks for the
right class: with C the pixels whose prediction equals the ground truth in every frame of the window, the window
scores ``|G & P & C| / |G|`` (same G, same windows, NaN where G is empty), so VCc_n <= VC_n, with equality
when every pixel of G & P is right. For a pixel of G, P & C is "prediction constant and equal to the ground
truth". Which ground truth C compares with is the class labels (``truth``: what mIoU scores; by default the
values that define G), and a pixel whose class label is ``ignore_index`` has no class to be wrong about: it
counts as correct in that frame, so on such pixels VCc_n counts as VC_n does (the generated benchmark has
none). :func:`correct_consistency_counts` gives its counts; the pass above adds, per pixel, the last frame
at which the prediction was wrong, plus one (a wrong frame inside the window excludes the pixel, the window's
first frame included), folded into the same stamp as the changes: the pixel is in G & P & C iff that stamp
is at most i. :func:`consistency_and_correct_counts` gives both measures from one pass.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import numpy as np

from ..base.errors import ParameterError
from ._checks import check_lengths

__all__ = ["ConsistencyWindows", "consistency_counts", "video_consistency", "window_count", "window_pixels",
           "correct_consistency_counts", "consistency_and_correct_counts", "video_correct_consistency"]


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
    counts = _window_counts(gt_frames, pred_frames, lengths, windows, correct=False)
    return {n: (numerators, denominators) for n, (numerators, _, denominators) in counts.items()}


def correct_consistency_counts(gt_frames: np.ndarray, pred_frames: np.ndarray, lengths: Sequence[int], *,
                               windows: ConsistencyWindows | str = ConsistencyWindows.VSPW,
                               truth: np.ndarray | None = None, ignore_index: int | None = None,
                               ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Integer numerators ``|G & P & C|`` and denominators ``|G|`` of every window of correct consistency VCc_n.

    C: pixels whose prediction equals ``truth`` in every frame of the window (a frame where ``truth`` is
    ``ignore_index`` counts as correct); G and P, the windows and the denominators are those of
    :func:`consistency_counts` (see the module docstring).

    Parameters
    ----------
    gt_frames, pred_frames, lengths, windows : as in :func:`consistency_counts` (``gt_frames`` defines G).
    truth : (T, H, W) integer array, optional
        The class labels the prediction must equal (default ``gt_frames``). Give the remapped labels when
        ``gt_frames`` holds raw mask values (as :class:`vsslib.metrics.MetricAccumulator` does).
    ignore_index : int, optional
        A ``truth`` value with no class: such a pixel counts as correct in that frame. Default: none.

    Returns
    -------
    dict
        ``{n: (numerators, denominators)}``, each a (:func:`window_count`,) int64 array indexed by the
        window's first frame; ``numerators`` are at most :func:`consistency_counts`' numerators.
    """
    counts = _window_counts(gt_frames, pred_frames, lengths, windows, correct=True, truth=truth,
                            ignore_index=ignore_index)
    return {n: (correct, denominators) for n, (_, correct, denominators) in counts.items()}


def consistency_and_correct_counts(gt_frames: np.ndarray, pred_frames: np.ndarray, lengths: Sequence[int], *,
                                   windows: ConsistencyWindows | str = ConsistencyWindows.VSPW,
                                   truth: np.ndarray | None = None, ignore_index: int | None = None,
                                   ) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """VC_n's and VCc_n's window counts from one pass over the frames.

    Arguments as in :func:`correct_consistency_counts`.

    Returns
    -------
    dict
        ``{n: (numerators, correct_numerators, denominators)}``: ``|G & P|`` (:func:`consistency_counts`),
        ``|G & P & C|`` (:func:`correct_consistency_counts`) and ``|G|``, each a (:func:`window_count`,)
        int64 array indexed by the window's first frame.
    """
    return _window_counts(gt_frames, pred_frames, lengths, windows, correct=True, truth=truth,
                          ignore_index=ignore_index)


def _window_counts(gt_frames: np.ndarray, pred_frames: np.ndarray, lengths: Sequence[int],
                   windows: ConsistencyWindows | str, *, correct: bool, truth: np.ndarray | None = None,
                   ignore_index: int | None = None) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The one pass: ``{n: (|G & P|, |G & P & C|, |G|)}``; the middle arrays stay zero unless ``correct``."""
    gt, pred = np.asarray(gt_frames), np.asarray(pred_frames)
    if gt.shape != pred.shape or gt.ndim != 3:
        raise ParameterError(f"video consistency: expected ground truth and prediction as (T, H, W) arrays of "
                             f"one shape, got {gt.shape} and {pred.shape}")
    labels = gt if truth is None else np.asarray(truth)
    if labels.shape != gt.shape:
        raise ParameterError(f"correct consistency: the class labels (truth) have shape {labels.shape}, the ground "
                             f"truth {gt.shape}; pass the same video's labels")
    lengths = check_lengths(lengths)
    windows = parse_windows(windows)
    num_frames = gt.shape[0]
    counts = {n: (np.zeros(window_count(num_frames, n, windows), np.int64),
                  np.zeros(window_count(num_frames, n, windows), np.int64),
                  np.zeros(window_count(num_frames, n, windows), np.int64)) for n in lengths}
    if num_frames == 0:
        return counts
    # Per pixel, the last frame (up to the current frame j) at which the ground truth changed, and the last
    # frame at which the ground truth or the prediction changed. The window of frames i .. j (i = j - n + 1)
    # has the pixel in G iff the first is <= i, and in G & P iff the second is.
    # Updated as max(changed_at, j * changed): plain arithmetic, several times faster than a masked copy.
    # With ``correct``, a third stamp also takes j + 1 where the prediction is wrong at frame j: the pixel is in
    # G & P & C iff it is <= i (no change after frame i and no wrong frame from frame i on).
    dtype = np.uint8 if num_frames < 256 else np.int32  # stamps up to T (j + 1 for the wrong frames)
    gt_changed_at = np.zeros(gt.shape[1:], dtype)
    any_changed_at = np.zeros(gt.shape[1:], dtype)
    bad_at = np.zeros(gt.shape[1:], dtype)
    gt_changed = np.empty(gt.shape[1:], bool)
    any_changed = np.empty(gt.shape[1:], bool)
    wrong = np.empty(gt.shape[1:], bool)
    judged = np.empty(gt.shape[1:], bool)  # the label is a class (not ignore_index)
    stamp = np.empty(gt.shape[1:], dtype)
    for j in range(num_frames):
        if j > 0:
            np.not_equal(gt[j], gt[j - 1], out=gt_changed)
            np.not_equal(pred[j], pred[j - 1], out=any_changed)
            any_changed |= gt_changed
            for changed, changed_at in ((gt_changed, gt_changed_at), (any_changed, any_changed_at)):
                np.multiply(changed.view(np.uint8), dtype(j), out=stamp)
                np.maximum(changed_at, stamp, out=changed_at)
            if correct:
                np.maximum(bad_at, stamp, out=bad_at)  # stamp holds j * any_changed
        if correct:
            np.not_equal(pred[j], labels[j], out=wrong)
            if ignore_index is not None:
                np.not_equal(labels[j], ignore_index, out=judged)
                wrong &= judged
            np.multiply(wrong.view(np.uint8), dtype(j + 1), out=stamp)
            np.maximum(bad_at, stamp, out=bad_at)
        for n, (numerators, correct_numerators, denominators) in counts.items():
            start = j - n + 1
            if 0 <= start < numerators.size:
                denominators[start] = np.count_nonzero(gt_changed_at <= start)
                numerators[start] = np.count_nonzero(any_changed_at <= start)
                if correct:
                    correct_numerators[start] = np.count_nonzero(bad_at <= start)
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


def video_correct_consistency(gt_frames: np.ndarray, pred_frames: np.ndarray, n: int, *,
                              windows: ConsistencyWindows | str = ConsistencyWindows.VSPW,
                              truth: np.ndarray | None = None, ignore_index: int | None = None) -> np.ndarray:
    """Correct consistency VCc_n of every window of one video: ``|G & P & C| / |G|`` (NaN where G is empty).

    Arguments as in :func:`correct_consistency_counts`; windows as :func:`video_consistency`'s.

    Examples
    --------
    >>> gt = np.array([[[0, 1]], [[0, 1]], [[0, 1]]])      # (3, 1, 2): both pixels constant
    >>> pred = np.array([[[0, 2]], [[0, 2]], [[0, 2]]])    # both constant; pixel 1 constant but wrong
    >>> video_consistency(gt, pred, 2, windows="all").tolist()
    [1.0, 1.0]
    >>> video_correct_consistency(gt, pred, 2, windows="all").tolist()
    [0.5, 0.5]
    """
    (n,) = check_lengths((n,))
    numerators, denominators = correct_consistency_counts(gt_frames, pred_frames, (n,), windows=windows,
                                                          truth=truth, ignore_index=ignore_index)[n]
    scores = np.full(denominators.shape, np.nan)
    np.divide(numerators, denominators, out=scores, where=denominators > 0)
    return scores


def window_pixels(gt_frames: np.ndarray, pred_frames: np.ndarray, start: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The pixel sets of one window of VC_n, for drawing it: G (ground truth constant) and G & P.

    Parameters
    ----------
    gt_frames, pred_frames : (T, H, W) integer arrays of one video (values compared as they are).
    start : the window's first frame; the window is frames ``start .. start + n - 1``.
    n : window length in frames.

    Returns
    -------
    constant_gt : (H, W) bool
        G: pixels whose ground truth is the same in all n frames.
    kept : (H, W) bool
        G & P: pixels of G whose prediction is also the same in all n frames. The window scores
        ``kept.sum() / constant_gt.sum()``, the numerator and denominator :func:`consistency_counts` gives for
        this start.

    Raises
    ------
    ParameterError : shapes differ, or the window does not fit in the video.
    """
    gt, pred = np.asarray(gt_frames), np.asarray(pred_frames)
    if gt.shape != pred.shape or gt.ndim != 3:
        raise ParameterError(f"window_pixels: expected ground truth and prediction as (T, H, W) arrays of one "
                             f"shape, got {gt.shape} and {pred.shape}")
    (n,) = check_lengths((n,))
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start <= gt.shape[0] - n:
        raise ParameterError(f"window_pixels: start={start!r} must be a frame index in 0..{gt.shape[0] - n} for "
                             f"windows of {n} frames in a video of {gt.shape[0]}")
    window = slice(start, start + n)
    constant_gt = (gt[window] == gt[start]).all(axis=0)
    constant_pred = (pred[window] == pred[start]).all(axis=0)
    return constant_gt, constant_gt & constant_pred


def parse_windows(windows: ConsistencyWindows | str) -> ConsistencyWindows:
    """The :class:`ConsistencyWindows` named by ``windows``; ParameterError listing the valid names."""
    try:
        return ConsistencyWindows(windows)
    except ValueError:
        raise ParameterError(f"windows={windows!r} is not one of "
                             f"{', '.join(repr(w.value) for w in ConsistencyWindows)}") from None
