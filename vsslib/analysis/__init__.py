"""Analyses of the study: where the refiner's gain comes from, where it fails, and what it costs.

- :mod:`.boundary`: mBIoU against the band width, trimap accuracy, per-class gains, gains by object size,
  video consistency over time.
- :mod:`.failures`: frames where refinement hurts, damaged pixels sorted into causes, the mIoU each costs.
- :mod:`.cost`: seconds per frame of every stage, SAM2's cost against grid and window, peak memory.
"""

from .boundary import (biou_by_dilation, boundary_distance, consistency_over_time, gain_by_object_size,
                       per_class_gain, trimap_accuracy)
from .cost import (STAGES, PeakMemory, SAM2Cost, measure_seconds, peak_memory, refiner_stages, sam2_cost_grid,
                   sam2_memory_by_length, time_stages)
from .failures import (CAUSES, FailureReport, FailureSettings, FrameMetric, damage_causes, diagnose,
                       merge_reports)

__all__ = [
    "biou_by_dilation",
    "boundary_distance",
    "trimap_accuracy",
    "per_class_gain",
    "gain_by_object_size",
    "consistency_over_time",
    "CAUSES",
    "FrameMetric",
    "FailureSettings",
    "FailureReport",
    "diagnose",
    "damage_causes",
    "merge_reports",
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
