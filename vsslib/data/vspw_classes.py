"""VSPW's 124 class names in id order, and the colour palettes used to draw label maps.

VSPW (Miao et al., "VSPW: A Large-scale Dataset for Video Scene Parsing in the Wild", CVPR 2021) stores
raw mask value k = 1..124 for class ``VSPW_CLASSES[k - 1]``; raw 0 ("others") and 255 are void. The names
and their order are those of VSPW's release, as listed by the VSS-CFFM code base
(``mmseg/datasets/vspw.py``, ``VSPWDataset.CLASSES``, without its leading "others").

Palettes are vsslib's own: classes whose name is a Cityscapes street-scene class (sky, road, car, ...)
get the colour that convention gives them, so the same class has the same colour on VSPW and on the
generated benchmark; every other class gets a colour from a golden-ratio walk around the hue circle.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

import numpy as np

__all__ = ["VSPW_CLASSES", "VSPW_PALETTE", "NAMED_COLOURS", "make_palette", "class_palette"]

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

# Cityscapes' conventional colours for street-scene classes (plus "tree" drawn as vegetation).
NAMED_COLOURS: dict[str, tuple[int, int, int]] = {
    "road": (128, 64, 128),
    "sidewalk": (244, 35, 232),
    "building": (70, 70, 70),
    "wall": (102, 102, 156),
    "fence": (190, 153, 153),
    "pole": (153, 153, 153),
    "traffic_light": (250, 170, 30),
    "traffic_sign": (220, 220, 0),
    "vegetation": (107, 142, 35),
    "tree": (107, 142, 35),
    "terrain": (152, 251, 152),
    "sky": (70, 130, 180),
    "person": (220, 20, 60),
    "rider": (255, 0, 0),
    "car": (0, 0, 142),
    "truck": (0, 0, 70),
    "bus": (0, 60, 100),
    "train": (0, 80, 100),
    "motorcycle": (0, 0, 230),
    "bicycle": (119, 11, 32),
}


def make_palette(num_classes: int) -> np.ndarray:
    """Distinct colours from a golden-ratio walk around the hue circle (alternating saturation and value).

    Parameters
    ----------
    num_classes : number of colours C.

    Returns
    -------
    (C, 3) uint8 RGB; colour k is the same for every C > k.
    """
    golden = 0.618033988749895
    colours = np.empty((num_classes, 3), dtype=np.uint8)
    for k in range(num_classes):
        hue = (0.1 + k * golden) % 1.0
        saturation = 0.6 + 0.3 * ((k // 3) % 2)
        value = 0.95 - 0.25 * ((k // 2) % 2)
        colours[k] = [round(255 * c) for c in colorsys.hsv_to_rgb(hue, saturation, value)]
    return colours


def class_palette(class_names: Sequence[str]) -> np.ndarray:
    """Colours for a list of classes: :data:`NAMED_COLOURS` where the name is known, else :func:`make_palette`.

    Names are matched case-insensitively, with spaces read as underscores ("traffic sign" = "traffic_sign").

    Returns
    -------
    (C, 3) uint8 RGB, row k for ``class_names[k]``.
    """
    palette = make_palette(len(class_names))
    for k, name in enumerate(class_names):
        key = name.strip().lower().replace(" ", "_")
        if key in NAMED_COLOURS:
            palette[k] = NAMED_COLOURS[key]
    return palette


VSPW_PALETTE: np.ndarray = class_palette(VSPW_CLASSES)
VSPW_PALETTE.flags.writeable = False
