"""Approach 2: SAM2 (or any masklet source) as a semantic segmentor.

Each masklet pools one feature vector from a feature source (:mod:`.features`, :mod:`.pooling`); a small MLP
trained on the train split's masklets classifies it (:mod:`.dataset`, :mod:`.mlp`); masks and classes are
painted into a segmentation, with three rules for what decides each pixel (:mod:`.combine`).
"""

from .combine import combine, fuse, masklet_index, network_votes
from .dataset import PooledMasklets, build_training_set, masklet_targets, pool_video
from .features import (APPEARANCE_CHANNELS, AppearanceFeatures, AppearanceSettings, FeatureSource, SAM2Features,
                       SAM2FeatureSettings, SegmenterFeatures, SegmenterFeatureSettings, check_feature_settings,
                       create_feature_source, feature_settings_type, list_feature_sources, resolve_feature_settings)
from .mlp import MaskletClassifier, MLPHistory, MLPSettings, class_weights, weighted_cross_entropy
from .pooling import pixel_cells, pool

__all__ = [
    "pool", "pixel_cells",
    "FeatureSource", "check_feature_settings", "create_feature_source", "list_feature_sources", "feature_settings_type",
    "resolve_feature_settings", "APPEARANCE_CHANNELS",
    "AppearanceFeatures", "AppearanceSettings", "SegmenterFeatures", "SegmenterFeatureSettings", "SAM2Features",
    "SAM2FeatureSettings",
    "masklet_targets", "PooledMasklets", "pool_video", "build_training_set",
    "MaskletClassifier", "MLPSettings", "MLPHistory", "class_weights", "weighted_cross_entropy",
    "combine", "fuse", "network_votes", "masklet_index",
]
