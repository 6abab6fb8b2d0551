"""vsslib: a runnable study of SAM2 for video semantic segmentation (VSS).

Subpackages: ``data`` (VSPW reader, generated benchmark), ``metrics`` (mIoU, Boundary IoU, video
consistency), ``masks`` (masklet generators: SAM2, classical, oracle), ``segmenters`` (baseline networks,
predictions on disk), ``refine`` (approach 1), ``classify`` (approach 2), ``pipeline`` (cached, resumable
runs over a dataset), ``viz`` (plots), ``analysis`` (boundary analysis, failure cases, cost).
"""

__version__ = "0.1.0"

# The "sam2-mini" masklet source builds on vsslib.masks, so vsslib.masks cannot import it; importing it here
# registers it for every user of vsslib.masks.create_masklet_source.
from .sam2_mini import masklets as _sam2_mini_masklets  # noqa: E402, F401
