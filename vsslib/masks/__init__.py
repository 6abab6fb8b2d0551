"""Masklet sources: class-agnostic object masks carried through time, as (T, H, W) int32 id maps (-1 = none).

- ``"sam2"``: :class:`SAM2Masklets`, the real SAM2 automatic mask generator and video predictor.
- ``"classical"``: :class:`ClassicalMasklets`, the embedded default (graph-based regions + optical flow).
- ``"oracle"``: :class:`OracleMasklets`, the dataset's own objects with controlled corruption.
- ``"sam2-mini"``: SAM2's path with sam2-mini (SAM2 architecture, trained here on the generated benchmark),
  :class:`vsslib.sam2_mini.masklets.SAM2MiniMasklets`; it builds on this package, so this package does not
  import it: the package root ``vsslib`` does, which registers it for every user of the registry.

Create one by name with :func:`create_masklet_source`; the window, linking and discovery logic the first
two share lives in :mod:`vsslib.masks.windows`, the contract and painting order in :mod:`vsslib.masks.base`.
"""

from .base import (MaskletSource, check_frames, create_masklet_source, knob_declarations, knob_paths,
                   list_masklet_sources, masklet_knobs, masklet_settings_type, merge_settings, paint,
                   relabel_sequential, resolve_masklet_settings, unique_ids)
from .classical import ClassicalMasklets, ClassicalSettings, FlowSettings, propagate_ids, propose_regions
from .oracle import OracleMasklets, OracleSettings, components_in_time, corrupt_masklets, oracle_ids
from .sam2_masklets import GeneratorSettings, SAM2Masklets, SAM2Settings, build_sam2_model
from .quality import best_ious, masklet_quality, objects_of, track_ious
from .windows import WindowedMasklets, WindowSettings, link_ids, mask_iou_matrix, region_iou, run_windows

__all__ = ["MaskletSource", "check_frames", "create_masklet_source", "resolve_masklet_settings",
           "masklet_settings_type", "knob_paths", "list_masklet_sources", "masklet_knobs", "knob_declarations",
           "merge_settings", "paint", "relabel_sequential",
           "unique_ids", "ClassicalMasklets", "ClassicalSettings", "FlowSettings", "propagate_ids",
           "propose_regions", "OracleMasklets", "OracleSettings", "components_in_time", "corrupt_masklets",
           "oracle_ids", "GeneratorSettings", "SAM2Masklets", "SAM2Settings", "build_sam2_model", "WindowedMasklets",
           "WindowSettings",
           "link_ids", "mask_iou_matrix", "region_iou", "run_windows", "objects_of", "best_ious", "track_ious",
           "masklet_quality"]
