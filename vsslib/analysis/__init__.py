"""Analyses of the study: boundary accuracy, failure causes, and cost."""

from .boundary import (biou_by_dilation, consistency_over_time, distance_to_boundary, gain_by_object_size,
                       per_class_table, trimap_accuracy)
from .cost import median_seconds, peak_memory_mib, sam2_cost_grid, sam2_memory_by_length
from .failures import CAUSES, FailureReport, FailureSettings, diagnose_video, summarise_failures

__all__ = ["biou_by_dilation", "trimap_accuracy", "distance_to_boundary", "per_class_table", "gain_by_object_size",
           "consistency_over_time", "median_seconds", "peak_memory_mib", "sam2_cost_grid", "sam2_memory_by_length",
           "CAUSES", "FailureReport", "FailureSettings", "diagnose_video", "summarise_failures"]
