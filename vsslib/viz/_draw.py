"""Drawing pieces shared by the topic modules: fixed colours, legends, outlines, titles, column checks."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ..errors import ParameterError

METHOD_COLOURS = {"baseline": "#8d99ae", "refined": "#2a9d8f"}
"""Fixed colours of the two maps every comparison shows; other method names get seaborn's "deep" colours."""
GAIN_UP, GAIN_DOWN = "#2a9d8f", "#e76f51"
ERROR_RED = (230, 30, 30)


def legend_patches(class_names: Sequence[str], palette: np.ndarray, present: Sequence[int]) -> list[Patch]:
    """Legend handles for the classes ``present``, in their palette colours."""
    return [Patch(facecolor=np.asarray(palette[c]) / 255.0, edgecolor="0.3", label=class_names[c]) for c in present]


def mark_border(image: np.ndarray, where: np.ndarray, colour: tuple[int, int, int], *,
                thickness: int = 1) -> np.ndarray:
    """``image`` (H, W, 3) uint8 with the inner border (``thickness`` px) of the ``where`` region painted."""
    import cv2

    region = np.asarray(where, bool)
    inner = cv2.erode(region.view(np.uint8), np.ones((3, 3), np.uint8), iterations=thickness,
                      borderType=cv2.BORDER_REPLICATE).astype(bool)
    out = image.copy()
    out[region & ~inner] = colour
    return out


def outline_errors(image: np.ndarray, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Outline the wrong pixels of ``pred`` (ground truth not ignored) in red."""
    return mark_border(image, (pred != gt) & (gt != 255), ERROR_RED)


def fade(image: np.ndarray, amount: float) -> np.ndarray:
    """Blend an (H, W, 3) uint8 image towards white by ``amount``."""
    return ((1 - amount) * image.astype(np.float32) + amount * 255.0).round().astype(np.uint8)


def method_palette(names: Sequence[str]) -> dict[str, str]:
    """Colour per method name: the fixed baseline/refined colours, seaborn "deep" for the others."""
    import seaborn as sns

    others = [n for n in dict.fromkeys(names) if n not in METHOD_COLOURS]
    deep = sns.color_palette("deep", len(others) + 2).as_hex()[2:]
    return {**{n: c for n, c in METHOD_COLOURS.items() if n in names}, **dict(zip(others, deep, strict=True))}


def figure_title(fig: plt.Figure, title: str) -> None:
    """Figure title, wrapped to the figure's width."""
    fig.suptitle(textwrap.fill(title, width=max(int(fig.get_figwidth() * 9), 40)))


def require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise ParameterError naming the missing columns of ``table``."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ParameterError(f"{what}: the table lacks column(s) {missing}; it has {list(table.columns)}")
