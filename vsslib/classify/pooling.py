"""Mask pooling: one feature vector per masklet, the mean of the features over all its pixels and frames.

Features usually live on a coarser grid than the frame (stride 4, 8, 16). We map every frame pixel to the
feature cell it falls in (nearest-neighbour correspondence, i.e. features upsampled to the frame by
repetition) rather than shrinking masks to the feature grid, because shrinking loses masks smaller than a
cell (poles, signs) and blurs every boundary. The mean over a masklet then equals a weighted mean of cells,
the weights being how many of the masklet's pixels fall in each cell: one ``np.bincount`` over
(masklet, cell) pairs builds that sparse count matrix, and one sparse-dense product with the feature
matrix gives every masklet's vector at once, without materialising a (T, C, H, W) upsampled tensor.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["pool", "pixel_to_cell"]


def pixel_to_cell(height: int, width: int, feature_height: int, feature_width: int) -> np.ndarray:
    """(H, W) int64 index of the feature cell (row-major in h x w) under each frame pixel.

    Pixel (r, c) maps to cell (floor((r + 0.5) * h / H), floor((c + 0.5) * w / W)): pixel centres, so the
    correspondence is symmetric and exact when H is a multiple of h.
    """
    rows = np.minimum(((np.arange(height) + 0.5) * feature_height / height).astype(np.int64), feature_height - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * feature_width / width).astype(np.int64), feature_width - 1)
    return rows[:, None] * feature_width + cols[None, :]


def pool(features: np.ndarray, masklets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean feature vector of each masklet over all its pixels in all frames.

    Parameters
    ----------
    features : (T, C, h, w) float32 feature maps.
    masklets : (T, H, W) int32 masklet ids, -1 = no masklet.

    Returns
    -------
    ids : (N,) int32 masklet ids in ascending order.
    vectors : (N, C) float32 mean features.
    """
    from scipy.sparse import csr_matrix

    features = np.asarray(features)
    masklets = np.asarray(masklets)
    if features.ndim != 4 or masklets.ndim != 3 or features.shape[0] != masklets.shape[0]:
        raise ParameterError(f"pool: expected features (T, C, h, w) and masklets (T, H, W) with the same T, got "
                             f"{features.shape} and {masklets.shape}")
    t, c, h, w = features.shape
    _, height, width = masklets.shape
    valid = masklets >= 0
    ids, inverse = np.unique(masklets[valid], return_inverse=True)
    if not len(ids):
        return np.zeros(0, np.int32), np.zeros((0, c), np.float32)
    cell = pixel_to_cell(height, width, h, w)
    frame_cell = (np.arange(t)[:, None, None] * (h * w) + cell[None]).astype(np.int64)[valid]
    counts = csr_matrix((np.ones(len(inverse), np.float64), (inverse, frame_cell)), shape=(len(ids), t * h * w))
    counts.sum_duplicates()
    matrix = features.transpose(0, 2, 3, 1).reshape(t * h * w, c).astype(np.float64)
    sums = counts @ matrix
    area = np.asarray(counts.sum(axis=1)).ravel()
    return ids.astype(np.int32), (sums / area[:, None]).astype(np.float32)
