"""Masklet sources: class-agnostic object masks carried through time, as (T, H, W) int32 id maps.

- ``"sam2"``: :class:`SAM2Masklets`, the real SAM2 automatic mask generator and video predictor.
- ``"classical"``: :class:`ClassicalMasklets`, the embedded default (graph-based regions + optical flow).
- ``"oracle"``: :class:`OracleMasklets`, the dataset's own objects with controlled corruption.
"""

from .base import MaskletSource, create_masklet_source, list_masklet_sources, paint, relabel_sequential
from .classical import ClassicalMasklets, ClassicalSettings, FlowSettings
from .oracle import OracleMasklets, OracleSettings, components_in_time
from .sam2_masklets import SAM2Masklets, SAM2Settings
from .windows import WindowSettings, link_ids, mask_iou_matrix, run_windows

__all__ = ["MaskletSource", "create_masklet_source", "list_masklet_sources", "paint", "relabel_sequential",
           "ClassicalMasklets", "ClassicalSettings", "FlowSettings", "OracleMasklets", "OracleSettings",
           "components_in_time", "SAM2Masklets", "SAM2Settings", "WindowSettings", "link_ids", "mask_iou_matrix",
           "run_windows"]
