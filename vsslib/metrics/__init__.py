"""Metrics: pure functions on numpy arrays, split into counts (which add over frames and videos) and scores.

- :mod:`.iou`: mIoU (mmsegmentation convention; VSPW's "present classes" as an option).
- :mod:`.boundary`: Boundary IoU per class (Cheng et al., CVPR 2021).
- :mod:`.consistency`: VSPW's video consistency VC_n.
- :mod:`.accumulator`: all of them accumulated exactly over videos.
"""

from .accumulator import MetricAccumulator
from .boundary import band_width, biou_from_counts, boundary_band, boundary_counts, label_bands, mean_boundary_iou
from .consistency import consistency_counts, video_consistency
from .iou import confusion_matrix, iou_from_confusion, mean_iou

__all__ = ["confusion_matrix", "iou_from_confusion", "mean_iou", "band_width", "boundary_band", "label_bands",
           "boundary_counts", "biou_from_counts", "mean_boundary_iou", "consistency_counts", "video_consistency",
           "MetricAccumulator"]
