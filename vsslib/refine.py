"""Approach 1: refine a semantic prediction by a majority vote inside class-agnostic masklets.

The refiner of Syed Ariff et al., "Evaluating SAM2 for Video Semantic Segmentation" (arXiv 2512.01774,
2025), Sec. "SAM2 as a refiner": each masklet m_i takes the majority class of the semantic map S over its
pixels, ``c_i = argmax_c sum_{p in m_i} [S(p) = c]``, and the refined map is ``R(p) = c_i`` on m_i and
``R(p) = S(p)`` elsewhere.

Two vote scopes are offered, after the two systems users compare it with:

- ``vote="masklet"``: one vote over all pixels of all frames of a masklet (a whole-track vote, as DEVA,
  hkchengrex/Tracking-Anything-with-DEVA, takes the mode of an object's category ids over time);
- ``vote="frame"``: one vote per masklet per frame (the image-level rule of Semantic Segment Anything,
  fudan-zvg/Semantic-Segment-Anything, which takes the top-1 ``bincount`` class inside each SAM mask; SSA
  paints masks largest first, an overlap order that the masklet id map has already fixed here).

Choices the paper leaves open, fixed here: ties go to the lowest class id; pixels whose semantic value is
``ignore_index`` or outside ``0..num_classes-1`` do not vote (they are still overwritten by their
masklet's winner); a masklet (or masklet-frame) without any vote keeps the semantic values.

The whole computation is one vectorised pass: a row key per pixel (the masklet id, used directly when
ids are small, else compacted with ``np.unique(..., return_inverse=True)``), one ``np.bincount`` over
``(row, class)`` pairs, ``argmax`` per row (the first maximum, hence the lowest class id), one gather.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

import numpy as np

from .base.errors import ParameterError

__all__ = ["Vote", "MaskletVotes", "refine", "masklet_votes", "vote_ceiling"]


class Vote(str, enum.Enum):
    """Scope of the majority vote."""

    MASKLET = "masklet"  # one vote over all frames of a masklet
    FRAME = "frame"  # one vote per (masklet, frame)


class MaskletVotes(NamedTuple):
    """The vote table behind a refinement, for explanation plots and failure analysis.

    Attributes
    ----------
    ids : (N,) int32 masklet ids, ascending, for ``vote="masklet"``; (N, 2) int32 rows
        ``(masklet id, frame index)`` sorted by id then frame, for ``vote="frame"``. Only masklets (or
        masklet-frames) that cover at least one pixel appear.
    votes : (N, C) int64, ``votes[i, c]`` = number of pixels of row ``i`` whose semantic class is ``c``.
    winners : (N,) int64 majority class of each row (lowest id on ties); ``-1`` where the row has no vote.
    """

    ids: np.ndarray
    votes: np.ndarray
    winners: np.ndarray


def refine(semantic: np.ndarray, masklets: np.ndarray, num_classes: int, *, vote: Vote | str = "masklet",
           ignore_index: int = 255) -> np.ndarray:
    """Replace the semantic labels inside every masklet by the masklet's majority class.

    Parameters
    ----------
    semantic : (T, H, W) integer label map (uint8 in the pipeline): classes ``0..num_classes-1``;
        ``ignore_index`` and values ``>= num_classes`` do not vote.
    masklets : (T, H, W) signed integer id map (int32 in the pipeline); ``-1`` = no masklet.
    num_classes : number of classes C.
    vote : ``"masklet"`` (one vote over all frames of a masklet) or ``"frame"`` (one vote per frame).
    ignore_index : semantic value that never votes.

    Returns
    -------
    (T, H, W) array of ``semantic``'s dtype: the winner of each pixel's masklet (or masklet-frame), or the
    semantic value where the pixel lies in no masklet or its masklet had no vote.

    Raises
    ------
    ParameterError : shapes differ, an array is not 3-D integer, ``vote`` is unknown, ``num_classes`` is
        not positive, or a masklet id is below -1.
    """
    semantic, masklets, vote = _validate(semantic, masklets, num_classes, vote)
    _, inverse, table, _ = _vote_table(semantic, masklets, num_classes, vote, ignore_index)
    winners = _winners(table)
    pixel_winner = winners[inverse].reshape(semantic.shape)
    refined = np.where(pixel_winner >= 0, pixel_winner, semantic)
    return refined.astype(semantic.dtype, copy=False)


def masklet_votes(semantic: np.ndarray, masklets: np.ndarray, num_classes: int, *,
                  vote: Vote | str = "masklet", ignore_index: int = 255) -> MaskletVotes:
    """The per-masklet (or per masklet-frame) vote table that :func:`refine` decides by.

    Parameters
    ----------
    semantic, masklets, num_classes, vote, ignore_index : as in :func:`refine`.

    Returns
    -------
    MaskletVotes : ``(ids, votes, winners)``; see :class:`MaskletVotes` for shapes.
    """
    semantic, masklets, vote = _validate(semantic, masklets, num_classes, vote)
    keys, _, table, covered = _vote_table(semantic, masklets, num_classes, vote, ignore_index)
    table = table[covered]
    if vote is Vote.MASKLET:
        ids = (keys - 1).astype(np.int32)
    else:
        masklet_ids, frames = np.divmod(keys, semantic.shape[0])
        ids = np.stack([masklet_ids - 1, frames], axis=1).astype(np.int32).reshape(-1, 2)
    return MaskletVotes(ids=ids, votes=table, winners=_winners(table))


# ------------------------------------------------------------------------------------------------------
def _validate(semantic: np.ndarray, masklets: np.ndarray, num_classes: int,
              vote: Vote | str) -> tuple[np.ndarray, np.ndarray, Vote]:
    semantic = np.asarray(semantic)
    masklets = np.asarray(masklets)
    try:
        vote = Vote(vote)
    except ValueError:
        valid = ", ".join(repr(v.value) for v in Vote)
        raise ParameterError(f"vote={vote!r} is not a vote scope; valid: {valid}") from None
    if semantic.ndim != 3 or masklets.shape != semantic.shape:
        raise ParameterError(f"semantic has shape {semantic.shape} and masklets {masklets.shape}; both must be "
                             f"the same (T, H, W)")
    if not np.issubdtype(semantic.dtype, np.integer):
        raise ParameterError(f"semantic must hold integer class ids, got dtype {semantic.dtype}")
    if not np.issubdtype(masklets.dtype, np.signedinteger):
        raise ParameterError(f"masklets must be a signed integer id map (int32, -1 = no masklet), got dtype "
                             f"{masklets.dtype}; convert with masklets.astype(np.int32)")
    if int(num_classes) < 1:
        raise ParameterError(f"num_classes={num_classes} must be at least 1")
    if masklets.size and int(masklets.min()) < -1:
        raise ParameterError(f"masklets hold the id {int(masklets.min())}; ids must be >= 0, with -1 = no "
                             f"masklet")
    return semantic, masklets, vote


def _vote_table(semantic: np.ndarray, masklets: np.ndarray, num_classes: int, vote: Vote,
                ignore_index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Count the votes of every row (masklet, or masklet-frame) that covers a pixel.

    Returns
    -------
    keys : (K,) int64 ascending keys of the covered rows: ``id + 1`` (masklet vote) or
        ``(id + 1) * T + frame`` (frame vote).
    inverse : (T*H*W,) intp row of every pixel.
    table : (R, C) int64 vote counts, all-zero on "no masklet" rows and on rows that cover no pixel.
    covered : (R,) bool, the rows of real masklets (or masklet-frames) that cover at least one pixel.
    """
    num_frames = semantic.shape[0]
    keys = masklets.reshape(-1).astype(np.intp) + 1
    if vote is Vote.FRAME:
        keys *= num_frames
        keys += np.repeat(np.arange(num_frames, dtype=np.intp), semantic[0].size)
    top = int(keys.max()) if keys.size else 0
    if (top + 1) * (num_classes + 1) <= max(keys.size, 1 << 22):
        # Small ids (the usual case): the keys index the rows directly, no compaction pass needed.
        row_keys, inverse = np.arange(top + 1, dtype=np.int64), keys
    else:
        row_keys, inverse = np.unique(keys, return_inverse=True)
        inverse = inverse.reshape(-1)

    classes = semantic.reshape(-1)
    votes = (classes >= 0) & (classes < num_classes) & (classes != ignore_index)
    # Non-voting pixels are counted in an extra column C: it is dropped afterwards, yet it records that
    # the row covers pixels, and it spares a boolean selection over every pixel.
    columns = np.where(votes, classes, np.intp(num_classes)).astype(np.intp, copy=False)
    counts = np.bincount(inverse * (num_classes + 1) + columns, minlength=len(row_keys) * (num_classes + 1))
    counts = counts.reshape(len(row_keys), num_classes + 1)
    covered = counts.sum(axis=1) > 0
    covered[row_keys < (num_frames if vote is Vote.FRAME else 1)] = False  # "no masklet" never votes
    table = counts[:, :num_classes]
    table[~covered] = 0
    return row_keys[covered], inverse, table, covered


def _winners(table: np.ndarray) -> np.ndarray:
    """(R,) int64 argmax of each row (first maximum = lowest class id), ``-1`` where the row is empty."""
    if table.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    winners = table.argmax(axis=1).astype(np.int64)
    winners[table.sum(axis=1) == 0] = -1
    return winners


def vote_ceiling(labels: np.ndarray, masklets: np.ndarray, num_classes: int, *, vote: Vote | str = "masklet",
                 ignore_index: int = 255) -> tuple[int, int]:
    """How far a set of masklets lets the refiner go: the pixel accuracy of :func:`refine` fed the ground truth.

    With the ground truth as the baseline, every masklet takes the majority class of its true pixels, so the
    pixels it gets wrong are those of its minority classes: a masklet spanning two objects of different classes
    costs the smaller one, a masklet inside one object costs nothing. Pixels in no masklet keep their (true)
    class. This is the accuracy approach 1 reaches with these masklets and a perfect network.

    Parameters
    ----------
    labels : (T, H, W) uint8 ground truth, ``ignore_index`` for unlabelled pixels.
    masklets : (T, H, W) int ids, -1 = none.

    Returns
    -------
    (correct, labelled): labelled pixels whose refined class equals their true class, and labelled pixels.
    """
    refined = refine(labels, masklets, num_classes, vote=vote, ignore_index=ignore_index)
    labelled = labels != ignore_index
    return int(np.count_nonzero((refined == labels) & labelled)), int(np.count_nonzero(labelled))
