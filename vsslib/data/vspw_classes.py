"""VSPW's 124 class names in id order (raw mask value k = 1..124 is class k-1 after the remap).

Names as listed in VSPW's release and in the VSS-CFFM ``VSPWDataset.CLASSES`` (raw 0 = "others" is void).
The palette is vsslib's own: 124 well-separated colours from a golden-ratio walk around the HSV circle.
"""

from __future__ import annotations

import colorsys

import numpy as np

__all__ = ["VSPW_CLASSES", "make_palette"]

VSPW_CLASSES: tuple[str, ...] = (
    "wall", "ceiling", "door", "stair", "ladder", "escalator", "Playground_slide", "handrail_or_fence",
    "window", "rail", "goal", "pillar", "pole", "floor", "ground", "grass", "sand", "athletic_field", "road",
    "path", "crosswalk", "building", "house", "bridge", "tower", "windmill", "well_or_well_lid",
    "other_construction", "sky", "mountain", "stone", "wood", "ice", "snowfield", "grandstand", "sea", "river",
    "lake", "waterfall", "water", "billboard_or_Bulletin_Board", "sculpture", "pipeline", "flag",
    "parasol_or_umbrella", "cushion_or_carpet", "tent", "roadblock", "car", "bus", "truck", "bicycle",
    "motorcycle", "wheeled_machine", "ship_or_boat", "raft", "airplane", "tyre", "traffic_light", "lamp",
    "person", "cat", "dog", "horse", "cattle", "other_animal", "tree", "flower", "other_plant", "toy",
    "ball_net", "backboard", "skateboard", "bat", "ball", "cupboard_or_showcase_or_storage_rack", "box",
    "traveling_case_or_trolley_case", "basket", "bag_or_package", "trash_can", "cage", "plate",
    "tub_or_bowl_or_pot", "bottle_or_cup", "barrel", "fishbowl", "bed", "pillow", "table_or_desk",
    "chair_or_seat", "bench", "sofa", "shelf", "bathtub", "gun", "commode", "roaster", "other_machine",
    "refrigerator", "washing_machine", "Microwave_oven", "fan", "curtain", "textiles", "clothes",
    "painting_or_poster", "mirror", "flower_pot_or_vase", "clock", "book", "tool", "blackboard", "tissue",
    "screen_or_television", "computer", "printer", "Mobile_phone", "keyboard", "other_electronic_product",
    "fruit", "food", "instrument", "train",
)


def make_palette(num_classes: int) -> np.ndarray:
    """(num_classes, 3) uint8 colours, distinct and stable for a given count."""
    golden = 0.618033988749895
    colours = []
    for k in range(num_classes):
        hue = (k * golden) % 1.0
        saturation = 0.65 + 0.25 * ((k // 3) % 2)
        value = 0.95 - 0.2 * ((k // 2) % 2)
        colours.append([round(255 * c) for c in colorsys.hsv_to_rgb(hue, saturation, value)])
    return np.asarray(colours, dtype=np.uint8).reshape(num_classes, 3)
