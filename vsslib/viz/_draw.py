"""Drawing pieces shared by the topic modules: the plot style, label colouring and overlays, fixed colours,
legends, outlines, titles, column checks, and whether a notebook kernel shows the figures."""

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

FIGURE_DPI = 150
"""Resolution of every saved PNG (and of the inline copy); the PDF beside it is vector."""
SCREEN_DPI = 100  # inline images are shown at this many pixels per inch, so 150-dpi PNGs stay crisp


def set_style() -> None:
    """Apply the study's plot style (seaborn whitegrid, readable fonts, no figure-level randomness)."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.95)
    plt.rcParams.update({
        "figure.dpi": SCREEN_DPI,
        "savefig.dpi": FIGURE_DPI,
        "axes.titlesize": 11,
        "axes.titleweight": "bold",
        "figure.titlesize": 12,
        "figure.titleweight": "bold",
        "image.interpolation": "nearest",
        "svg.hashsalt": "vsslib",
        "pdf.compression": 9,
    })


def colorize(labels: np.ndarray, palette: np.ndarray, *, ignore_color: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """Colour a label map.

    Parameters
    ----------
    labels : (..., H, W) integer label map; values outside the palette (255 = ignore) get ``ignore_color``.
    palette : (C, 3) uint8 colours.

    Returns
    -------
    (..., H, W, 3) uint8 image.
    """
    palette = np.asarray(palette, dtype=np.uint8)
    lut = np.tile(np.asarray(ignore_color, dtype=np.uint8), (256, 1))
    lut[: min(len(palette), 256)] = palette[:256]
    return lut[np.asarray(labels).astype(np.int64).clip(0, 255)]


def overlay(frame: np.ndarray, labels: np.ndarray, palette: np.ndarray, *, alpha: float = 0.5) -> np.ndarray:
    """Blend a coloured label map onto a (H, W, 3) uint8 frame; ignore pixels (255) stay unblended."""
    colour = colorize(labels, palette).astype(np.float32)
    frame_f = frame.astype(np.float32)
    keep = (np.asarray(labels) == 255)[..., None]
    out = np.where(keep, frame_f, (1 - alpha) * frame_f + alpha * colour)
    return out.round().astype(np.uint8)


def in_notebook() -> bool:
    """Whether the code runs in a Jupyter kernel (JupyterLab, papermill, nbval), where figures are shown."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


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
