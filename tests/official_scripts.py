"""Plain transcriptions of the official evaluation loops, the independent route the metric tests compare with.

Written loop for loop after the originals (read on GitHub), with the same operations in the same order and
without their file handling or printing, so that a disagreement with :mod:`vsslib.metrics` is a disagreement
with the official definition:

- :func:`vc_get_common`, :func:`vc_score_folders`: VSPW-dataset/VSPW_code ``VC_perclip.py`` (``get_common``
  and the script body: sorted mask names, videos of T <= n skipped, raw mask values, ``np.nanmean`` of the
  pooled window list);
- :class:`VSPWEvaluator`, :func:`evaluator_score_folders`: VSPW-dataset/VSPW_code ``evaluator_test.py`` with
  the ``Evaluator`` of its ``utils.py`` (that file is not in the repository; the class as copied into
  GuoleiSun/VSS-CFFM ``VC_perclip.py``), masks remapped first as CFFM's copy does
  (``img[img == 0] = 255; img = img - 1; img[img == 254] = 255``);
- :func:`mask_to_boundary`, :func:`binary_boundary_iou`, :func:`panoptic_boundary_counts`:
  bowenc0221/boundary-iou-api ``boundary_iou/utils/boundary_utils.py`` (the band) and the boundary part of
  ``boundary_iou/cityscapes_panoptic_api/evalPanopticSemanticLabeling.py`` (``pq_compute_single_core``:
  per-segment bands, boundary intersection per (gt, pred) pair, union less the predicted band on VOID).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image


# ------------------------------------------------------------------------------ VC_perclip.py (VSPW_code)
def vc_get_common(list_: list[np.ndarray], predlist: list[np.ndarray], clip_num: int, h: int,
                  w: int) -> list[float]:
    """``get_common``: one score per window start i in ``range(len(list_) - clip_num)``."""
    accs = []
    for i in range(len(list_) - clip_num):
        global_common = np.ones((h, w))
        predglobal_common = np.ones((h, w))
        for j in range(1, clip_num):
            common = list_[i] == list_[i + j]
            global_common = np.logical_and(global_common, common)
            pred_common = predlist[i] == predlist[i + j]
            predglobal_common = np.logical_and(predglobal_common, pred_common)
        pred = predglobal_common * global_common
        with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 gives NaN, as in the script
            acc = pred.sum() / global_common.sum()
        accs.append(acc)
    return accs


def vc_windows_of_videos(videos: list[tuple[list[np.ndarray], list[np.ndarray]]], clip_num: int) -> list[float]:
    """The script body on frames in memory: ``(masks, predictions)`` per video, videos of T <= n skipped."""
    total_acc: list[float] = []
    for imglist, predlist in videos:
        if len(imglist) <= clip_num:
            continue
        h, w = imglist[0].shape
        total_acc.extend(vc_get_common(imglist, predlist, clip_num, h, w))
    return total_acc


def vc_score_folders(data_root: Path, pred_root: Path, clip_num: int, split: str = "val") -> float:
    """The script on files: ``DIR/<split>.txt``, raw masks ``DIR/data/<video>/mask/*.png``, predictions
    ``PRED/<video>/<mask name>``; returns ``np.nanmean`` of the pooled window scores."""
    with open(os.path.join(data_root, split + ".txt")) as f:
        videolist = [line.rstrip("\n") for line in f if line.strip()]
    videos = []
    for video in videolist:
        images = sorted(os.listdir(os.path.join(data_root, "data", video, "mask")))
        imglist, predlist = [], []
        for imgname in images:
            imglist.append(np.array(Image.open(os.path.join(data_root, "data", video, "mask", imgname))))
            predlist.append(np.array(Image.open(os.path.join(pred_root, video, imgname))))
        videos.append((imglist, predlist))
    return float(np.nanmean(np.array(vc_windows_of_videos(videos, clip_num))))


# ---------------------------------------------------------------- evaluator_test.py + utils.Evaluator
class VSPWEvaluator:
    """``Evaluator(num_class)``: one confusion table, ``add_batch`` per frame, the "present classes" mean."""

    def __init__(self, num_class: int) -> None:
        self.num_class = num_class
        self.confusion_matrix = np.zeros((self.num_class,) * 2)

    def _generate_matrix(self, gt_image: np.ndarray, pre_image: np.ndarray) -> np.ndarray:
        mask = (gt_image >= 0) & (gt_image < self.num_class)
        label = self.num_class * gt_image[mask].astype("int") + pre_image[mask]
        count = np.bincount(label, minlength=self.num_class**2)
        return count.reshape(self.num_class, self.num_class)

    def add_batch(self, gt_image: np.ndarray, pre_image: np.ndarray) -> None:
        assert gt_image.shape == pre_image.shape
        self.confusion_matrix += self._generate_matrix(gt_image, pre_image)

    def mean_intersection_over_union(self) -> float:
        """``Mean_Intersection_over_Union``: ``nansum(IoU * isval) / isval.sum()``, isval = row sum > 0."""
        with np.errstate(invalid="ignore", divide="ignore"):
            miou = np.diag(self.confusion_matrix) / (
                np.sum(self.confusion_matrix, axis=1) + np.sum(self.confusion_matrix, axis=0)
                - np.diag(self.confusion_matrix))
            isval = np.sum(self.confusion_matrix, axis=1) > 0
            return float(np.nansum(miou * isval) / isval.sum())


def remap_like_cffm(img: np.ndarray) -> np.ndarray:
    """CFFM's lines before ``add_batch``: raw 0 and 255 -> 255, raw k -> k - 1 (uint8 arithmetic)."""
    img = img.copy()
    img[img == 0] = 255
    img = img - 1
    img[img == 254] = 255
    return img


def evaluator_score_folders(data_root: Path, pred_root: Path, num_class: int, split: str = "val") -> float:
    """``evaluator_test.py`` on files, the masks remapped as CFFM's copy does; returns the mIoU."""
    eval_ = VSPWEvaluator(num_class)
    with open(os.path.join(data_root, split + ".txt")) as f:
        videolist = [line.rstrip("\n") for line in f if line.strip()]
    for video in videolist:
        for tar in os.listdir(os.path.join(data_root, "data", video, "mask")):
            tar_ = remap_like_cffm(np.array(Image.open(os.path.join(data_root, "data", video, "mask", tar))))
            pred_ = np.array(Image.open(os.path.join(pred_root, video, tar)))
            eval_.add_batch(tar_[np.newaxis, :], pred_[np.newaxis, :])
    return eval_.mean_intersection_over_union()


# ------------------------------------------------------------------------------------ boundary-iou-api
def mask_to_boundary(mask: np.ndarray, dilation_ratio: float = 0.02) -> np.ndarray:
    """``mask_to_boundary``: the (H, W) uint8 mask minus its erosion (zero pad, 3x3 kernel, d iterations)."""
    h, w = mask.shape
    img_diag = np.sqrt(h**2 + w**2)
    dilation = int(round(dilation_ratio * img_diag))
    if dilation < 1:
        dilation = 1
    new_mask = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    kernel = np.ones((3, 3), dtype=np.uint8)
    new_mask_erode = cv2.erode(new_mask, kernel, iterations=dilation)
    mask_erode = new_mask_erode[1 : h + 1, 1 : w + 1]
    return mask - mask_erode


def binary_boundary_iou(gt: np.ndarray, dt: np.ndarray, dilation_ratio: float = 0.02) -> tuple[int, int]:
    """Boundary intersection and union of two binary (H, W) masks (no void)."""
    gt_boundary = mask_to_boundary(gt.astype(np.uint8), dilation_ratio)
    dt_boundary = mask_to_boundary(dt.astype(np.uint8), dilation_ratio)
    intersection = int(((gt_boundary * dt_boundary) > 0).sum())
    union = int(((gt_boundary + dt_boundary) > 0).sum())
    return intersection, union


VOID = 0


def panoptic_boundary_counts(pan_gt: np.ndarray, pan_pred: np.ndarray, segment_ids: list[int],
                             boundary_id: int, dilation_ratio: float) -> dict[int, tuple[int, int]]:
    """The boundary part of ``pq_compute_single_core`` for one image whose segments carry the same id in the
    ground truth and the prediction (one segment per class: semantic segmentation as panoptic).

    Parameters
    ----------
    pan_gt, pan_pred : (H, W) int arrays of segment ids, VOID = 0 (ignored ground truth, or no prediction).
    segment_ids : the ids to evaluate (each absent side has an empty mask).
    boundary_id : the id written over segment interiors (the script: largest category id + 1).

    Returns
    -------
    ``{id: (boundary_intersection, boundary_union)}``, the union as the script computes it: both band
    areas, less the intersection, less the predicted band on VOID.
    """
    boundary_area = {}
    pan_gt_boundary = pan_gt.copy()
    for segment in segment_ids:
        binary_mask = (pan_gt_boundary == segment).astype(np.uint8)
        binary_boundary = mask_to_boundary(binary_mask, dilation_ratio)
        pan_gt_boundary[binary_mask > 0] = boundary_id
        pan_gt_boundary[binary_boundary > 0] = segment
        boundary_area[("gt", segment)] = int(np.sum(binary_boundary > 0))
    pan_pred_boundary = pan_pred.copy()
    for segment in segment_ids:
        binary_mask = (pan_pred_boundary == segment).astype(np.uint8)
        binary_boundary = mask_to_boundary(binary_mask, dilation_ratio)
        pan_pred_boundary[binary_mask > 0] = boundary_id
        pan_pred_boundary[binary_boundary > 0] = segment
        boundary_area[("pred", segment)] = int(np.sum(binary_boundary > 0))
    offset = 256 * 256 * 256
    pan_gt_pred_boundary = pan_gt_boundary.astype(np.uint64) * offset + pan_pred_boundary.astype(np.uint64)
    gt_pred_map_boundary = {}
    labels, labels_cnt = np.unique(pan_gt_pred_boundary, return_counts=True)
    for label, intersection in zip(labels, labels_cnt):
        gt_pred_map_boundary[(int(label // offset), int(label % offset))] = int(intersection)
    counts = {}
    for segment in segment_ids:
        boundary_intersection = gt_pred_map_boundary.get((segment, segment), 0)
        boundary_union = (boundary_area[("pred", segment)] + boundary_area[("gt", segment)]
                          - boundary_intersection - gt_pred_map_boundary.get((VOID, segment), 0))
        counts[segment] = (boundary_intersection, boundary_union)
    return counts
