"""Cached, resumable runs over a dataset split: approach 1 (refine) and approach 2 (classify) as siblings.

- :mod:`vsslib.study.runs.products`: the shared skeleton: a run's spec, the per-video products both approaches
  need (inputs, baseline labels, masklets), their cache, and the per-process memo of heavy objects.
- :mod:`vsslib.study.runs.approach1`: baseline + masklets -> refined labels -> counts (:func:`run_refine`).
- :mod:`vsslib.study.runs.approach2`: masklets + features -> pooled vectors -> MLP -> labels (:func:`run_classify`).
- :mod:`vsslib.study.runs.report`: per-video counts -> :class:`Scores` per variant -> ``metrics.json``.
"""

from .approach1 import REFINE_STAGES, REFINE_VARIANTS, RefineSpec, refine_video, run_refine
from .approach2 import CLASSIFY_STAGES, CLASSIFY_VARIANTS, ClassifySpec, run_classify
from .products import RunSpec, baseline_labels, load_video, masklet_ids
from .report import RunResult, Scores, VideoRecord

__all__ = ["RunSpec", "RefineSpec", "ClassifySpec", "refine_video", "run_refine", "run_classify", "RunResult",
           "Scores", "VideoRecord", "REFINE_STAGES", "REFINE_VARIANTS", "CLASSIFY_STAGES", "CLASSIFY_VARIANTS",
           "baseline_labels", "load_video", "masklet_ids"]
