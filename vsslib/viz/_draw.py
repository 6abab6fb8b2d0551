"""Drawing pieces shared by the topic modules: the plot style, label colouring and overlays, fixed colours,
legends, outlines, titles, column checks, and whether a notebook kernel shows the figures."""

from __future__ import annotations

import itertools
import re
import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ..base.errors import ParameterError
from ..base.errors import require_columns as require

METHOD_COLOURS = {"baseline": "#8d99ae", "refined": "#2a9d8f"}
"""Fixed colours of the two maps every comparison shows; other method names get seaborn's "deep" colours."""
SOURCE_COLOURS = {"classical": "#4c72b0", "sam2-mini": "#dd8452", "sam2": "#c44e52", "oracle": "#55a868"}
"""One colour per masklet source in every plot of numbers (seaborn "deep" blue, orange, red, green), so a source
is recognised from figure to figure; :func:`source_colour` finds the source a label names."""
METRIC_COLOURS = {"mIoU": "#222222", "mBIoU": "#8172b3", "mVC8": "#937860", "mVC16": "#a0522d",
                  "mVCc8": "#da8bc3", "mVCc16": "#b8479b"}
"""One colour per metric where lines are metrics, not masklet sources (black, purple, browns, pinks): no hue of
:data:`SOURCE_COLOURS`, so a blue line always means classical masklets, never a metric."""
GAIN_UP, GAIN_DOWN = "#2a9d8f", "#e76f51"
ERROR_COLOURS: dict[str, tuple[int, int, int]] = {"cyan": (0, 255, 255), "white": (255, 255, 255),
                                                   "lime": (0, 255, 0)}
"""Candidate colours of wrong pixels, in order of preference: :func:`error_colour` takes the first that no class
of the palette comes near (the generated benchmark: cyan; VSPW's 124 classes: white)."""
MASKLET_EDGE = (20, 20, 20)
"""Masklet borders: drawn as dark outlines on a grey frame, so no masklet is coloured like a class."""
FOCUS_COLOUR = (255, 150, 0)
"""The one masklet a figure points at (the blamed masklet, the masklet whose votes are shown): orange outline."""
NO_MASKLET_HATCH = (165, 165, 165)
"""Pixels outside every masklet: the grey frame faded towards white and hatched with thin lines of this grey
("////", every :data:`HATCH_STEP` px), named in the legend; no hue, so no class and no highlight colour is near."""
SPANNING_HATCH = (25, 25, 25)
"""A masklet whose pixels span several ground-truth classes: dark stripes the other way ("\\\\"), 2 px wide."""
HATCH_STEP = 5

FIGURE_DPI = 150
"""Resolution of every saved PNG (and of the inline copy); the PDF beside it is vector."""
SCREEN_DPI = 100  # inline images are shown at this many pixels per inch, so 150-dpi PNGs stay crisp


def shown_width(png: bytes) -> int | None:
    """The CSS width (px) a saved ``FIGURE_DPI`` PNG is shown at, in the notebooks and on the site: ``SCREEN_DPI``
    pixels per inch of the figure; None for bytes that are not a PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return round(int.from_bytes(png[16:20], "big") * SCREEN_DPI / FIGURE_DPI)  # IHDR: width, height, big-endian


PAGE_WIDTH_IN = 9.0
"""Width (inches) of the page a figure is read at: the site's content column and a notebook's output area
(about 900 CSS px at :data:`SCREEN_DPI`). A figure wider than this is shown shrunk to it."""
MIN_TEXT_PT = 8.0
"""The smallest legible text (points) once a figure is shown at :data:`PAGE_WIDTH_IN`."""
LABEL_GAP_PT = 7
"""Gap (points) between a whisker's cap and the value written beside it (at 4 pt they looked as if they touched)."""
NOTE_PT, NOTE_GREY = 8.5, "0.2"
"""Size (points) and grey of the small notes written into a figure (reference lines, footnotes): above
:data:`MIN_TEXT_PT` and dark enough to read on white."""


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


def error_colour(palette: np.ndarray | None = None) -> tuple[str, tuple[int, int, int]]:
    """The colour of wrong pixels: the first of :data:`ERROR_COLOURS` at RGB distance >= 100 from every class
    colour of ``palette`` ((C, 3) uint8; None: the first candidate), else the farthest one.

    Returns
    -------
    (name, (r, g, b)): the name goes into titles and legends ("errors outlined in cyan").
    """
    if palette is None or len(palette) == 0:
        return next(iter(ERROR_COLOURS.items()))
    colours = np.asarray(palette, np.float64).reshape(-1, 3)
    distance = {name: float(np.sqrt(((colours - np.asarray(rgb)) ** 2).sum(axis=1)).min())
                for name, rgb in ERROR_COLOURS.items()}
    name = next((n for n, d in distance.items() if d >= 100.0), max(distance, key=distance.__getitem__))
    return name, ERROR_COLOURS[name]


def outline_errors(image: np.ndarray, pred: np.ndarray, gt: np.ndarray, palette: np.ndarray | None = None,
                   ) -> np.ndarray:
    """Outline the wrong pixels of ``pred`` (ground truth not ignored) in :func:`error_colour` of ``palette``.

    image : (H, W, 3) uint8; pred, gt : (H, W) label maps (255 = ignore). Returns a (H, W, 3) uint8 copy.
    """
    return mark_border(image, (pred != gt) & (gt != 255), error_colour(palette)[1])


def grey(image: np.ndarray, *, lighten: float = 0.35) -> np.ndarray:
    """A (H, W, 3) uint8 frame in grey (luma), blended towards white by ``lighten``: the backdrop of masklet
    pictures and metric drawings, so that only what is drawn on it has colour."""
    luma = np.asarray(image, np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return fade(np.repeat(luma.round().clip(0, 255).astype(np.uint8)[..., None], 3, axis=-1), lighten)


def hatch(image: np.ndarray, where: np.ndarray, colour: tuple[int, int, int], *, rising: bool = True,
          thickness: int = 1, step: int = HATCH_STEP) -> np.ndarray:
    """``image`` (H, W, 3) uint8 with diagonal lines of ``colour`` (``thickness`` px, every ``step`` px) painted
    inside the (H, W) bool region ``where``: rising ("////") or falling ("\\\\")."""
    rows, cols = np.indices(np.shape(where))
    lines = ((cols + rows) if rising else (cols - rows)) % step < thickness
    out = image.copy()
    out[np.asarray(where, bool) & lines] = colour
    return out


def masklet_picture(frame: np.ndarray, ids: np.ndarray, *, focus: np.ndarray | None = None) -> np.ndarray:
    """Masklets drawn as outlines, never in class colours: the frame in grey, every masklet border dark
    (:data:`MASKLET_EDGE`), pixels outside every masklet faded and hatched grey (:data:`NO_MASKLET_HATCH`),
    and the ``focus`` region's border in :data:`FOCUS_COLOUR` (2 px).

    Parameters
    ----------
    frame : (H, W, 3) uint8. ids : (H, W) int masklet ids, -1 = no masklet. focus : (H, W) bool or None.

    Returns
    -------
    (H, W, 3) uint8. :func:`masklet_legend` gives the matching legend handles.
    """
    from .masks import masklet_outlines

    ids = np.asarray(ids)
    frame = np.asarray(frame)
    if frame.shape[:2] != ids.shape or frame.ndim != 3:
        raise ParameterError(f"masklet_picture: frame {frame.shape} and ids {ids.shape} must be (H, W, 3) and (H, W)")
    out = grey(frame)
    none = ids < 0
    out[none] = fade(out[none], 0.6)
    out = hatch(out, none, NO_MASKLET_HATCH)
    out[masklet_outlines(ids) & ~none] = MASKLET_EDGE
    if focus is not None and np.asarray(focus).any():
        out = mark_border(out, np.asarray(focus, bool), FOCUS_COLOUR, thickness=2)
    return out


def panel_legend(ax: plt.Axes, handles: Sequence, *, wrap_over: int = 24, **legend_kwargs) -> None:
    """A legend filling the grid slot ``ax`` (its axes hidden): a label longer than ``wrap_over`` characters
    breaks before each parenthesis, so that the legend stays inside its slot and off the panels beside it.
    ``legend_kwargs`` go to :meth:`matplotlib.axes.Axes.legend` (defaults: centred, no frame, 9 pt)."""
    for handle in handles:
        label = handle.get_label()
        if len(label) > wrap_over and "\n" not in label:
            handle.set_label(label.replace(" (", "\n("))
    ax.set_axis_off()
    ax.legend(handles=list(handles), **{"loc": "center", "frameon": False, "fontsize": 9, **legend_kwargs})


def masklet_legend(*, focus: str | None = None) -> list:
    """Legend handles of :func:`masklet_picture`: the masklet border, the hatched no-masklet pixels and (named
    ``focus``) the highlighted masklet."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=np.asarray(MASKLET_EDGE) / 255, lw=1.5, label="masklet border"),
               Patch(facecolor="white", edgecolor=np.asarray(NO_MASKLET_HATCH) / 255, hatch="////",
                     label="no masklet (faded, thin pale stripes)")]
    if focus:
        handles.append(Line2D([], [], color=np.asarray(FOCUS_COLOUR) / 255, lw=3, label=focus))
    return handles


def small_texts(fig: plt.Figure, *, page_width_in: float = PAGE_WIDTH_IN, min_pt: float = MIN_TEXT_PT,
                draw: bool = True) -> list[tuple[str, float]]:
    """The texts of ``fig`` smaller than ``min_pt`` once the saved figure (``bbox_inches="tight"``) is shown at
    ``page_width_in``: a figure wider than the page is shrunk, and its text with it. ``draw=False`` measures a
    figure ``savefig`` has just drawn without drawing it again.

    Returns
    -------
    [(text, size in points at the page's width)], smallest first; empty when every drawn text is legible.
    """
    from matplotlib.text import Text

    if draw:
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width_in = fig.get_tightbbox(renderer).width
    scale = min(1.0, page_width_in / width_in) if width_in > 0 else 1.0
    tick_texts, drawn_ticks = set(), set()  # ticks past the view keep their label objects, undrawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            tick_texts |= {id(t) for tick in axis.majorTicks + axis.minorTicks for t in (tick.label1, tick.label2)}
            drawn_ticks |= {id(t) for tick in axis._update_ticks() for t in (tick.label1, tick.label2)}
    found = []
    for text in fig.findobj(lambda artist: isinstance(artist, Text)):
        if not text.get_visible() or not text.get_text().strip() or text.get_window_extent(renderer).width <= 0:
            continue
        if id(text) in tick_texts and id(text) not in drawn_ticks:
            continue
        size = text.get_fontsize() * scale
        if size < min_pt - 1e-6:
            found.append((text.get_text(), round(size, 2)))
    return sorted(found, key=lambda item: item[1])


def smallest_text_pt(fig: plt.Figure, *, page_width_in: float = PAGE_WIDTH_IN, draw: bool = True) -> float | None:
    """The size (points) of the smallest drawn text of ``fig`` once shown at ``page_width_in`` (as
    :func:`small_texts` measures it); None for a figure without text."""
    sizes = small_texts(fig, page_width_in=page_width_in, min_pt=float("inf"), draw=draw)
    return sizes[0][1] if sizes else None


def legible_px(width_px: int, *, page_width_in: float = PAGE_WIDTH_IN, min_pt: float = MIN_TEXT_PT) -> int:
    """The font size (image pixels) text drawn into a raster image ``width_px`` wide needs to read as ``min_pt``
    once shown: at its own width (one image pixel per CSS pixel, :data:`SCREEN_DPI` per inch) or, if wider than
    the page, shrunk to ``page_width_in``. A 1356-px GIF: 17 px (15 px read as 7.2 pt)."""
    shrink = min(1.0, page_width_in * SCREEN_DPI / max(int(width_px), 1))
    return int(np.ceil(min_pt / 72.0 * SCREEN_DPI / shrink - 1e-9))


def fit_texts(ax: plt.Axes, *, pad: float = 0.02, rounds: int = 50) -> None:
    """Widen ``ax``'s x-limits until every text drawn in it (``ax.texts``: labels beside bars) lies inside the
    axes, with ``pad`` of the range to spare; call it after the figure's layout is set. Rounds until it fits, since a
    text's extent in data units changes with the limits."""
    if not ax.texts:
        return
    for _ in range(rounds):
        renderer = ax.figure.canvas.get_renderer()
        to_data = ax.transData.inverted()
        boxes = [text.get_window_extent(renderer).transformed(to_data) for text in ax.texts if text.get_text()]
        x0, x1 = ax.get_xlim()
        margin = pad * (x1 - x0)
        low, high = min(b.x0 for b in boxes) - margin, max(b.x1 for b in boxes) + margin
        if low >= x0 and high <= x1:
            return
        ax.set_xlim(min(x0, low), max(x1, high))


def fade(image: np.ndarray, amount: float) -> np.ndarray:
    """Blend an (H, W, 3) uint8 image towards white by ``amount``."""
    return ((1 - amount) * image.astype(np.float32) + amount * 255.0).round().astype(np.uint8)


def source_colour(label: str) -> str | None:
    """The colour of :data:`SOURCE_COLOURS` of the masklet source ``label`` names: the name itself, a name in
    parentheses ("refined (sam2-mini)") or a name the label starts with ("oracle, s = 0.5"); None for none."""
    text = str(label)
    for name in sorted(SOURCE_COLOURS, key=len, reverse=True):  # sam2-mini before sam2
        if text == name or f"({name})" in text or re.match(rf"{re.escape(name)}(?![\w-])", text):
            return SOURCE_COLOURS[name]
    return None


def metric_colour(metric: str) -> str:
    """The colour of ``metric`` in :data:`METRIC_COLOURS` (a dark grey for a metric it does not list)."""
    return METRIC_COLOURS.get(metric, "0.35")


def spare_colours() -> list[str]:
    """Seaborn's "deep" colours that no masklet source uses (:data:`SOURCE_COLOURS`), in seaborn's order: the
    colours of methods that are neither baseline, refined nor a source."""
    import seaborn as sns

    return [c for c in sns.color_palette("deep", 10).as_hex() if c not in SOURCE_COLOURS.values()]


def method_palette(names: Sequence[str]) -> dict[str, str]:
    """Colour per method name: the fixed baseline/refined colours, a masklet source's own colour where the name
    names one (:func:`source_colour`), seaborn "deep" colours no source uses for the others."""
    names = list(dict.fromkeys(names))
    fixed = {n: METHOD_COLOURS.get(n) or source_colour(n) for n in names}
    spare = itertools.cycle(spare_colours())
    return {n: fixed[n] or next(spare) for n in names}


def figure_title(fig: plt.Figure, title: str, **options: object) -> None:
    """Figure title, wrapped to the figure's width (``options`` go to ``fig.suptitle``)."""
    fig.suptitle(wrap_title(title, max(int(fig.get_figwidth() * 9), 40)), **options)


def wrap_title(title: str, width: int) -> str:
    """``title`` in lines of at most ``width`` characters, broken between its `` | ``-separated parts (the
    separator dropped at a break) and inside a part only where the part alone is longer than a line."""
    lines: list[str] = []
    current = ""
    for part in title.split(" | "):
        joined = f"{current} | {part}" if current else part
        if len(joined) <= width:
            current = joined
            continue
        if current:
            lines.append(current)
        pieces = textwrap.wrap(part, width) or [""]
        lines += pieces[:-1]
        current = pieces[-1]
    lines.append(current)
    return "\n".join(lines)


def image_grid(rows: int, cols: int, height: int, width: int, *, legend_rows: Sequence[int] = (),
               title_lines: int = 1, left_in: float = 0.05, gap_in: float = 0.12,
               width_in: float = PAGE_WIDTH_IN, row_title_lines: int | None = None) -> tuple[plt.Figure, np.ndarray]:
    """A figure ``width_in`` wide of ``rows x cols`` image panels (frames of ``height x width`` px) placed
    explicitly: room for ``title_lines`` of panel title above the first row and ``row_title_lines`` (default:
    as many) above each later one, ``left_in`` for row labels, and at the bottom one block per legend of
    ``legend_rows[k]`` rows (filled by :func:`stack_legends`)."""
    panel_w = (width_in - left_in - 0.05 - (cols - 1) * gap_in) / cols
    panel_h = panel_w * height / width
    first_in = 0.12 + 0.2 * title_lines
    title_in = 0.12 + 0.2 * (title_lines if row_title_lines is None else row_title_lines)
    top_in = 0.5
    legend_in = sum(_legend_height(n) for n in legend_rows)
    fig_h = top_in + first_in + panel_h + (rows - 1) * (panel_h + title_in) + legend_in + 0.05
    fig = plt.figure(figsize=(width_in, fig_h))
    axes = np.empty((rows, cols), dtype=object)
    for r in range(rows):
        for c in range(cols):
            bottom = fig_h - (top_in + first_in + panel_h + r * (panel_h + title_in))
            ax = fig.add_axes(((left_in + c * (panel_w + gap_in)) / width_in, bottom / fig_h, panel_w / width_in,
                               panel_h / fig_h))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            axes[r, c] = ax
    return fig, axes


def _legend_height(rows: int) -> float:
    return 0.12 + 0.24 * rows


def stack_legends(fig: plt.Figure, blocks: Sequence[tuple[list, int]]) -> None:
    """Legends stacked at the bottom, each ``(handles, columns)``, in the blocks :func:`image_grid` left."""
    fig_h = fig.get_figheight()
    top = sum(_legend_height(-(-len(h) // n)) for h, n in blocks) + 0.05
    for handles, ncol in blocks:
        fig.legend(handles=handles, loc="upper center", ncol=ncol, frameon=False, fontsize=9,
                   bbox_to_anchor=(0.5, top / fig_h), handlelength=1.4, columnspacing=1.2, borderaxespad=0.1)
        top -= _legend_height(-(-len(handles) // ncol))


def top_title(fig: plt.Figure, title: str) -> None:
    """The figure title of an :func:`image_grid`, in the room it left at the top."""
    figure_title(fig, title, y=1 - 0.08 / fig.get_figheight(), va="top")


def require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """:func:`vsslib.base.errors.require_columns`, raising ParameterError: a plot was handed the wrong table."""
    require(table, columns, what, error=ParameterError)
