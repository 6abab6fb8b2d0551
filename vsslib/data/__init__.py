"""Data: the VSPW-layout reader (:mod:`~vsslib.data.vspw`), VSPW's classes and palettes
(:mod:`~vsslib.data.vspw_classes`), the generated benchmark (:mod:`~vsslib.data.synth`) and dataset
statistics (:mod:`~vsslib.data.stats`, imported on its own: it needs pandas)."""

from ..base.io import read_image  # one PNG as an array: label maps written by a run read back with it
from .synth import SYNTH_CLASSES, BenchmarkSettings, ensure_benchmark, generate
from .vspw import IGNORE_INDEX, SPLITS, Video, VSPWDataset, remap_labels
from .vspw_classes import VSPW_CLASSES, VSPW_PALETTE, class_palette, make_palette

__all__ = ["read_image", "Video", "VSPWDataset", "IGNORE_INDEX", "SPLITS", "remap_labels", "VSPW_CLASSES",
           "VSPW_PALETTE", "class_palette", "make_palette", "SYNTH_CLASSES", "BenchmarkSettings", "generate",
           "ensure_benchmark"]
