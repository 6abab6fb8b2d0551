"""Analyses of the study: where the refiner's gain comes from, where it fails, and what it costs.

- :mod:`.boundary`: mBIoU against the band width, trimap accuracy, per-class gains, gains by object size,
  video consistency over time.
- :mod:`.failures`: frames where refinement hurts, damaged pixels sorted into causes, the mIoU each costs;
  :mod:`.failure_statistics`: their spread over seeds and intervals over seeds and videos.
- :mod:`.cost`: seconds per frame of every stage, SAM2's cost against grid and window, peak memory.
- :mod:`.coverage`: how often the tables' intervals cover the truth in simulated studies (imported on its
  own).
"""

from .boundary import (BoundaryCounts, biou_by_dilation, biou_counts_by_dilation, boundary_distance,
                       collect_boundary_counts, errors_near_boundaries,
                       gain_by_object_size,
                       object_size_counts, per_class_gain, per_class_summary, size_bins, trimap_accuracy,
                       trimap_counts)
from .consistency import consistency_counts, consistency_over_time
from .cost import (STAGES, PeakMemory, SAM2Cost, measure_seconds, peak_memory, pipeline_summary, refiner_stages,
                   sam2_cost_grid, sam2_memory_by_length, sam2_rates, time_stages)
from .failure_statistics import summarize_failures, summarize_hurt_frames
from .failures import (CAUSES, FailureReport, FailureSettings, FrameMetric, damage_causes, diagnose,
                       merge_reports)

__all__ = [
    "sam2_rates",
    "biou_by_dilation",
    "biou_counts_by_dilation",
    "boundary_distance",
    "errors_near_boundaries",
    "trimap_accuracy",
    "trimap_counts",
    "per_class_gain",
    "per_class_summary",
    "gain_by_object_size",
    "object_size_counts",
    "size_bins",
    "consistency_over_time",
    "consistency_counts",
    "BoundaryCounts",
    "collect_boundary_counts",
    "CAUSES",
    "FrameMetric",
    "FailureSettings",
    "FailureReport",
    "diagnose",
    "damage_causes",
    "merge_reports",
    "summarize_failures",
    "summarize_hurt_frames",
    "STAGES",
    "PeakMemory",
    "SAM2Cost",
    "measure_seconds",
    "peak_memory",
    "time_stages",
    "refiner_stages",
    "sam2_cost_grid",
    "sam2_memory_by_length",
]
