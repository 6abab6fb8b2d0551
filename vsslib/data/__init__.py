"""Data: the VSPW-layout reader and the generated benchmark (see :mod:`vsslib.data.synth`)."""

from .synth import SYNTH_CLASSES, BenchmarkSettings, ensure_benchmark, generate
from .vspw import IGNORE_INDEX, SPLITS, Video, VSPWDataset, remap_labels
from .vspw_classes import VSPW_CLASSES, make_palette

__all__ = ["Video", "VSPWDataset", "IGNORE_INDEX", "SPLITS", "remap_labels", "VSPW_CLASSES", "make_palette",
           "SYNTH_CLASSES", "BenchmarkSettings", "generate", "ensure_benchmark"]
