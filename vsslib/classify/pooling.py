"""Mask pooling: one feature vector per masklet, the mean of the features over all its pixels in all frames.

Feature maps are coarser than the frame (a cell covers 4 x 4 pixels for the appearance features, 8 x 8 or
16 x 16 for the baseline networks, 2 x 3.5 for SAM2 on a 128 x 224 frame). Two ways to bring masks and
features together:

- shrink the masks to the feature grid: a mask smaller than a cell (a pole, a sign) vanishes, and every
  boundary cell is given to one side;
- bring the features to the frame: every frame pixel takes the cell it falls in (nearest neighbour).

We do the second, exactly and cheaply. With nearest-neighbour correspondence the mean of the upsampled
features over a masklet equals a weighted mean of cells, the weight of a cell being how many of the
masklet's pixels fall in it. Per frame, one sparse (N masklets x h*w cells) count matrix is built from the
(masklet, cell) pairs of the frame's pixels (duplicates summed: a sparse bincount), and one sparse-dense
product with the frame's (h*w, C) feature matrix adds every masklet's sums at once. No (T, C, H, W) tensor is
materialised and there is no loop over masklets or pixels; the only loop is over frames, which bounds the
memory to one frame's features in float64.

Correspondence: the feature grid is taken to span the frame, pixel centres aligned (as ``cv2.resize`` and
``torch.nn.functional.interpolate(mode="nearest-exact")`` place them): along an axis of ``n`` pixels and
``m`` cells, pixel ``i`` falls in cell ``floor((i + 0.5) * m / n)``. When ``n`` is a multiple of ``m`` this is
``i // (n / m)``, i.e. ``np.repeat`` upsampling. It is also how SAM2 squeezes a frame into its 1024 x 1024
input (aspect ratio not kept), and how the baseline networks upsample their own logits (bilinear,
``align_corners=False``, from a ``ceil(H / stride)`` grid to H x W), so one rule serves every feature source.
"""

from __future__ import annotations

import numpy as np

from ..base.errors import ParameterError
from ..masks.base import unique_ids

__all__ = ["pool", "pixel_cells"]


def pixel_cells(length: int, cells: int) -> np.ndarray:
    """Feature cell of every pixel along one axis.

    Parameters
    ----------
    length : number of pixels along the axis (H or W).
    cells : number of feature cells along the same axis (h or w).

    Returns
    -------
    (length,) int64 cell index in ``0..cells-1``: ``floor((i + 0.5) * cells / length)``.

    Examples
    --------
    >>> pixel_cells(4, 2).tolist()
    [0, 0, 1, 1]
    >>> pixel_cells(7, 2).tolist()
    [0, 0, 0, 1, 1, 1, 1]
    """
    if length < 1 or cells < 1:
        raise ParameterError(f"pixel_cells: length={length} and cells={cells} must both be at least 1")
    # (2i + 1) * cells // (2 * length) is floor((i + 0.5) * cells / length) in exact integer arithmetic.
    return (2 * np.arange(length, dtype=np.int64) + 1) * cells // (2 * length)


def pool(features: np.ndarray, masklets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean feature vector of every masklet over all its pixels in all frames.

    Parameters
    ----------
    features : (T, C, h, w) float32 feature maps, one per frame; the grid spans the frame (see the module
        docstring for the pixel-to-cell rule).
    masklets : (T, H, W) int32 masklet ids, -1 = no masklet (any negative id is ignored).

    Returns
    -------
    ids : (N,) int32 masklet ids present in ``masklets``, ascending.
    vectors : (N, C) float32; row k is the mean, over every pixel of masklet ``ids[k]`` in every frame, of
        the feature vector of the cell under that pixel (accumulated in float64). With no masklet:
        shapes (0,) and (0, C).

    Raises
    ------
    ParameterError : arrays of the wrong rank or dtype, or different numbers of frames.
    """
    features = np.asarray(features)
    masklets = np.asarray(masklets)
    if features.ndim != 4 or not np.issubdtype(features.dtype, np.floating):
        raise ParameterError(f"pool: features must be a (T, C, h, w) float array, got shape {features.shape} and "
                             f"dtype {features.dtype}")
    if masklets.ndim != 3 or not np.issubdtype(masklets.dtype, np.integer):
        raise ParameterError(f"pool: masklets must be a (T, H, W) integer id map, got shape {masklets.shape} and "
                             f"dtype {masklets.dtype}")
    if features.shape[0] != masklets.shape[0]:
        raise ParameterError(f"pool: features {features.shape} and masklets {masklets.shape} have different "
                             f"numbers of frames ({features.shape[0]} and {masklets.shape[0]})")
    from scipy.sparse import csr_array

    num_frames, channels, grid_h, grid_w = features.shape
    _, height, width = masklets.shape
    valid = masklets >= 0
    ids, inverse = unique_ids(masklets[valid])  # np.unique's result, by counting
    if ids.size == 0:
        return np.zeros(0, np.int32), np.zeros((0, channels), np.float32)
    if ids[-1] > np.iinfo(np.int32).max:
        raise ParameterError(f"pool: masklet id {ids[-1]} does not fit in int32")

    cell = pixel_cells(height, grid_h)[:, None] * grid_w + pixel_cells(width, grid_w)[None, :]  # (H, W)
    per_frame = valid.reshape(num_frames, -1).sum(axis=1)
    bounds = np.concatenate([[0], np.cumsum(per_frame)])  # masklets[valid] is in frame order
    sums = np.zeros((ids.size, channels), np.float64)
    for t in np.flatnonzero(per_frame):
        rows = inverse[bounds[t] : bounds[t + 1]]
        counts = csr_array((np.ones(rows.size), (rows, cell[valid[t]])), shape=(ids.size, grid_h * grid_w))
        sums += counts @ features[t].reshape(channels, grid_h * grid_w).T.astype(np.float64)
    area = np.bincount(inverse, minlength=ids.size)
    return ids.astype(np.int32), (sums / area[:, None]).astype(np.float32)
