"""Metrics of video semantic segmentation: pure functions on numpy label maps.

Each metric is split into counts, which add over frames and videos, and a score computed from the summed
counts (scores never add):

- :mod:`.iou`: mIoU, averaged as mmsegmentation does (``miou``) and as VSPW's evaluator does (``miou_present``);
- :mod:`.boundary`: Boundary IoU per class (Cheng et al., CVPR 2021), all classes in one min/max filter pass;
- :mod:`.consistency`: VSPW's video consistency VC_n (``VC_perclip.py``'s windows by default), and this
  study's correct consistency VCc_n beside it (VC_n that also asks for the right class);
- :mod:`.accumulator`: all of them over many videos, exact and mergeable in any order.
"""

from .accumulator import MetricAccumulator
from .boundary import (band_classes, band_width, biou_from_counts, boundary_band, boundary_counts, label_bands,
                       mean_boundary_iou)
from .consistency import (ConsistencyWindows, consistency_and_correct_counts, consistency_counts,
                          correct_consistency_counts, video_consistency, video_correct_consistency, window_count,
                          window_pixels)
from .iou import Average, class_counts, confusion_matrix, iou_from_confusion, mean_iou

__all__ = [
    "Average",
    "confusion_matrix",
    "class_counts",
    "iou_from_confusion",
    "mean_iou",
    "band_width",
    "boundary_band",
    "label_bands",
    "band_classes",
    "boundary_counts",
    "biou_from_counts",
    "mean_boundary_iou",
    "ConsistencyWindows",
    "consistency_counts",
    "video_consistency",
    "window_count",
    "window_pixels",
    "correct_consistency_counts",
    "consistency_and_correct_counts",
    "video_correct_consistency",
    "MetricAccumulator",
]
