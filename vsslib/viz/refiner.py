"""Plots of approach 1, the refiner: one frame step by step, gains per metric, the mask-quality sweep, and
an animation of a whole video.

Every function draws numbers computed elsewhere (:mod:`vsslib.pipeline`, :mod:`vsslib.experiment`) and
returns a Matplotlib figure, except :func:`animate_refinement`, which returns GIF bytes for
:func:`vsslib.viz.save_animation`. Titles are passed in by the caller and name the data and the masklet
source. The baseline is always slate grey and the refined map teal.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ..base.errors import ParameterError
from ._draw import NOTE_GREY, NOTE_PT, overlay, set_style
from ._draw import (GAIN_DOWN, GAIN_UP, MASKLET_EDGE, METHOD_COLOURS, error_colour, figure_title, image_grid,
                    legible_px, legend_patches, masklet_legend, masklet_picture, outline_errors, panel_legend,
                    require_columns, top_title)
from .masks import masklet_outlines
from .prose import number

__all__ = ["plot_steps", "plot_quality_sweep", "oracle_strength_note", "animate_refinement"]


def plot_steps(frame: np.ndarray, gt: np.ndarray, baseline: np.ndarray, masklets: np.ndarray, refined: np.ndarray,
               palette: np.ndarray, class_names: Sequence[str], *, title: str) -> plt.Figure:
    """The refiner on one frame: frame, ground truth, baseline, masklets, refined, errors outlined.

    Parameters
    ----------
    frame : (H, W, 3) uint8. gt, baseline, refined : (H, W) label maps. masklets : (H, W) int32 ids.
    palette : (C, 3) uint8. class_names : C names (the legend lists the classes in the ground truth).

    Returns
    -------
    Figure of two rows at the page's width: frame, ground truth, baseline; masklets (outlines on the grey
    frame, :func:`vsslib.viz._draw.masklet_picture`), refined, and the legend. Wrong pixels are outlined in
    :func:`vsslib.viz._draw.error_colour`, a colour no class of ``palette`` comes near.
    """
    set_style()
    height, width = np.asarray(gt).shape
    error_name, error_rgb = error_colour(palette)
    panels = [("frame", frame), ("ground truth", overlay(frame, gt, palette, alpha=0.7)),
              (f"baseline (errors in {error_name})",
               outline_errors(overlay(frame, baseline, palette, alpha=0.7), baseline, gt, palette)),
              (f"masklets ({len(np.unique(masklets[masklets >= 0]))})", masklet_picture(frame, masklets)),
              (f"refined (errors in {error_name})",
               outline_errors(overlay(frame, refined, palette, alpha=0.7), refined, gt, palette))]
    fig, axes = image_grid(2, 3, height, width)
    for ax, (name, image) in zip(axes.flat, panels, strict=False):
        ax.imshow(image)
        ax.set_title(name, fontsize=10)
    present = sorted(set(np.unique(gt).tolist()) - {255})
    handles = legend_patches(class_names, palette, present) + [
        Patch(facecolor="none", edgecolor=np.asarray(error_rgb) / 255, lw=2, label=f"wrong pixels ({error_name})"),
        *masklet_legend()]
    panel_legend(axes[1, 2], handles, ncol=2, handlelength=1.3, columnspacing=0.8)
    top_title(fig, title)
    return fig


def oracle_strength_note() -> str:
    """What the corruption strength s of the oracle masklets does, read from ``OracleSettings.from_strength``."""
    from ..masks.oracle import MAX_STRENGTH, OracleSettings

    full = OracleSettings.from_strength(1.0)
    return (f"strength s in [0, {MAX_STRENGTH:g}] scales four corruptions of the exact objects at once: boundaries "
            f"jittered by up to {full.jitter:g}s px, a masklet split in two with probability {full.split:g}s, merged "
            f"with a neighbour of another class with probability {full.merge:g}s, masks under {full.drop_below}s px "
            f"dropped")


def plot_quality_sweep(sweep: pd.DataFrame, *, title: str, metrics: Sequence[str] = ("mIoU", "mBIoU", "mVC8"),
                       note: str | None = None) -> plt.Figure:
    """Baseline and refined score against the corruption strength of the masklets, one panel per metric.

    Parameters
    ----------
    sweep : DataFrame[strength, method, <metrics>]: a ``"baseline"`` and a ``"refined"`` row per strength,
        metric values in points (percent).
    title : names the baseline network and the data.
    metrics : the panels, in order.
    note : a line under the panels saying what the strength means (default :func:`oracle_strength_note`).

    Returns
    -------
    matplotlib Figure: the baseline dashed grey, the refined map teal, the gap shaded teal where the refiner
    helps and orange where it hurts, the gain written above each point; one legend under the panels.
    """
    set_style()
    require_columns(sweep, ["strength", "method", *metrics], "plot_quality_sweep")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.1 * len(metrics), 3.9), sharex=True, squeeze=False)
    base = sweep[sweep["method"] == "baseline"].sort_values("strength")
    refined = sweep[sweep["method"] == "refined"].sort_values("strength")
    if base.empty or refined.empty:
        raise ParameterError(f"plot_quality_sweep: needs 'baseline' and 'refined' rows; methods are "
                             f"{sorted(set(sweep['method']))}")
    x = refined["strength"].to_numpy(dtype=np.float64)
    for ax, metric in zip(axes[0], metrics, strict=True):
        b = np.interp(x, base["strength"].to_numpy(np.float64), base[metric].to_numpy(np.float64))
        r = refined[metric].to_numpy(dtype=np.float64)
        ax.plot(x, b, ls="--", color=METHOD_COLOURS["baseline"], lw=2, label="baseline (no masklets)")
        ax.plot(x, r, marker="o", color=METHOD_COLOURS["refined"], lw=2, label="refined with oracle masklets")
        ax.fill_between(x, b, r, where=r >= b, interpolate=True, color=GAIN_UP, alpha=0.15, lw=0,
                        label="refiner helps")
        ax.fill_between(x, b, r, where=r < b, interpolate=True, color=GAIN_DOWN, alpha=0.25, lw=0,
                        label="refiner hurts")
        for xi, bi, ri in zip(x, b, r, strict=True):
            ax.annotate(number(ri - bi), (xi, max(bi, ri)), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=8, color=GAIN_UP if ri >= bi else GAIN_DOWN, fontweight="bold")
        low, high = min(b.min(), r.min()), max(b.max(), r.max())
        ax.set_ylim(low - 0.08 * (high - low + 1), high + 0.2 * (high - low + 1))
        ax.set_title(metric)
        ax.set_xlabel("corruption strength s")
        ax.set_xticks(x)
    axes[0, 0].set_ylabel("score (%)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, 0.06))
    fig.text(0.5, 0.01, note if note is not None else oracle_strength_note(), ha="center", fontsize=NOTE_PT,
             color=NOTE_GREY, wrap=True)
    figure_title(fig, title)
    fig.tight_layout(rect=(0, 0.15, 1, 1))
    return fig


def animate_refinement(frames: np.ndarray, gt: np.ndarray, baseline: np.ndarray, refined: np.ndarray,
                       masklets: np.ndarray, palette: np.ndarray, class_names: Sequence[str], *,
                       fps: float = 8.0, alpha: float = 0.6, scale: int = 2, every: int = 1) -> bytes:
    """An animated GIF of a video: ground truth, baseline and refined side by side, with a class legend.

    Parameters
    ----------
    frames : (T, H, W, 3) uint8.
    gt, baseline, refined : (T, H, W) label maps; 255 = none.
    masklets : (T, H, W) int32 ids, -1 = none; their borders are drawn dark on the refined panel.
    palette : (C, 3) uint8 class colours. class_names : C names (the legend lists the classes present).
    fps : frames per second (GIF delays are whole hundredths of a second).
    alpha : opacity of the label colours over the frame.
    scale : integer upscaling (nearest neighbour), so 128-px frames are readable.
    every : show every ``every``-th frame (the panels keep the true frame numbers); at 128x224 and
        ``scale=2``, a 48-frame video takes about 4.4 MB with ``every=1`` and 2.2 MB with ``every=2``.

    Returns
    -------
    GIF bytes that depend on the inputs only: one global palette (class colours first), no dithering, no
    timestamps. Wrong pixels (ground truth not ignored) of the baseline and refined panels are outlined in the
    error colour (:func:`vsslib.viz._draw.error_colour`, named in the legend).
    """
    from PIL import Image, ImageDraw, ImageFont

    frames = np.asarray(frames)
    arrays = {"gt": np.asarray(gt), "baseline": np.asarray(baseline), "refined": np.asarray(refined),
              "masklets": np.asarray(masklets)}
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ParameterError(f"animate_refinement: frames must be (T, H, W, 3) uint8, got {frames.shape} "
                             f"{frames.dtype}")
    bad = {k: a.shape for k, a in arrays.items() if a.shape != frames.shape[:3]}
    if bad:
        raise ParameterError(f"animate_refinement: frames are {frames.shape[:3]} (T, H, W) but {bad}")
    if not (isinstance(scale, int) and scale >= 1) or not (isinstance(every, int) and every >= 1) or fps <= 0:
        raise ParameterError(f"animate_refinement: scale={scale!r} and every={every!r} must be positive integers "
                             f"and fps={fps!r} > 0")
    gap = 6
    height, width = frames.shape[1] * scale, frames.shape[2] * scale
    total_width = 3 * width + 2 * gap
    text_px = max(15, legible_px(total_width))  # the page may show the GIF narrower than its pixels
    font = ImageFont.load_default(size=text_px)
    header = text_px + 7
    present = sorted(set(np.unique(arrays["gt"]).tolist()) - {255})
    error_name, error_rgb = error_colour(palette)
    extras = [(error_rgb, f"wrong pixels ({error_name})"), (MASKLET_EDGE, "masklet border (refined)")]
    legend = _legend_strip(present, palette, class_names, total_width, text_px, extras=extras)
    titles = {"gt": "ground truth", "baseline": "baseline", "refined": "refined"}
    pictures = []
    for t in range(0, len(frames), every):
        canvas = Image.new("RGB", (total_width, header + height + legend.height), (255, 255, 255))
        draw = ImageDraw.Draw(canvas)
        for k, key in enumerate(("gt", "baseline", "refined")):
            image = overlay(frames[t], arrays[key][t], palette, alpha=alpha)
            if key != "gt":
                image = outline_errors(image, arrays[key][t], arrays["gt"][t], palette)
            if key == "refined":
                image[masklet_outlines(arrays["masklets"][t])] = MASKLET_EDGE
            image = image.repeat(scale, axis=0).repeat(scale, axis=1)
            left = k * (width + gap)
            canvas.paste(Image.fromarray(image), (left, header))
            draw.text((left + 3, 2), f"{titles[key]} | frame {t}", fill=(20, 20, 20), font=font)
        canvas.paste(legend, (0, header + height))
        pictures.append(canvas)
    palette_image = _gif_palette(pictures[0], palette, [error_rgb, MASKLET_EDGE])
    images = [p.quantize(palette=palette_image, dither=Image.Dither.NONE) for p in pictures]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps),
                   loop=0, optimize=False)
    return buffer.getvalue()


def _legend_strip(present: Sequence[int], palette: np.ndarray, class_names: Sequence[str], width: int,
                  text_px: int, *, extras: Sequence[tuple[Sequence[int], str]] = ()) -> object:
    """A white strip with a colour box and the name (``text_px`` high) of every class in ``present`` (then each
    ``(colour, name)`` of ``extras``), wrapped to ``width``."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=text_px)
    box, pad, row_height = text_px - 1, 6, text_px + 7
    items = [(tuple(int(v) for v in palette[c]), str(class_names[c])) for c in present]
    items += [(tuple(int(v) for v in colour), name) for colour, name in extras]
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    rows, x = 1, pad
    for _, name in items:
        step = box + 4 + int(probe.textlength(name, font=font)) + 2 * pad
        if x + step > width and x > pad:
            rows, x = rows + 1, pad
        x += step
    strip = Image.new("RGB", (width, rows * row_height + pad), (255, 255, 255))
    draw = ImageDraw.Draw(strip)
    x, y = pad, pad // 2
    for colour, name in items:
        step = box + 4 + int(draw.textlength(name, font=font)) + 2 * pad
        if x + step > width and x > pad:
            x, y = pad, y + row_height
        draw.rectangle((x, y + 2, x + box, y + 2 + box), fill=colour, outline=(60, 60, 60))
        draw.text((x + box + 4, y), name, fill=(20, 20, 20), font=font)
        x += step
    return strip


def _gif_palette(first: object, palette: np.ndarray, marks: Sequence[Sequence[int]]) -> object:
    """One 256-colour palette for every frame: the class colours, white, the ``marks`` colours (errors,
    masklet borders), then a median cut of the first frame."""
    from PIL import Image

    cut = first.quantize(colors=256 - len(palette) - 1 - len(marks), method=Image.Quantize.MEDIANCUT,
                         dither=Image.Dither.NONE)
    colours = [tuple(int(v) for v in c) for c in np.asarray(palette, np.uint8)]
    colours += [(255, 255, 255), *(tuple(int(v) for v in c) for c in marks)]
    rest = cut.getpalette()[: 3 * (256 - len(colours))]
    flat = [v for c in colours for v in c] + rest
    flat += [0] * (768 - len(flat))
    image = Image.new("P", (1, 1))
    image.putpalette(flat)
    return image
