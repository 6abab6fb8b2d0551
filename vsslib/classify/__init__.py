"""Approach 2: masklets pool features, a small MLP classifies each masklet, masks + classes segment."""

from .combine import combine, fuse, network_votes
from .features import (AppearanceFeatures, SAM2Features, SegmenterFeatures, create_feature_source,
                       list_feature_sources)
from .mlp import MaskletClassifier, MLPSettings, class_weights
from .pooling import pixel_to_cell, pool
from .targets import masklet_targets

__all__ = ["pool", "pixel_to_cell", "masklet_targets", "MaskletClassifier", "MLPSettings", "class_weights",
           "combine", "fuse", "network_votes", "create_feature_source", "list_feature_sources",
           "AppearanceFeatures", "SegmenterFeatures", "SAM2Features"]
