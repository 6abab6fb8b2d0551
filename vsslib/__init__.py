"""vsslib: a runnable study of SAM2 for video semantic segmentation (VSS).

The folders are the layers, each importing only from those below it:

- ``base``: errors, atomic files, the product cache, executors, devices;
- the method: ``data`` (VSPW reader, generated benchmark), ``metrics`` (mIoU, Boundary IoU, video consistency),
  ``masks`` (masklet sources: SAM2, classical, oracle; the official SAM2 checkpoints), ``sam2_mini`` (a small
  SAM2 trained here), ``segmenters`` (baseline networks, predictions on disk), ``refine`` (approach 1),
  ``classify`` (approach 2), ``analysis`` (boundary analysis, failure cases, cost), ``statistics`` (intervals);
- ``viz``: plots;
- ``study``: settings, cached runs, tables and findings, the notebook runner and the command line
  (``from vsslib.study import Study``; ``python -m vsslib``).
"""

__version__ = "0.1.0"

# The "sam2-mini" masklet source builds on vsslib.masks, so vsslib.masks cannot import it; importing it here
# registers it for every user of vsslib.masks.create_masklet_source.
from .sam2_mini import masklets as _sam2_mini_masklets  # noqa: E402, F401
