"""The metrics and the method's knobs drawn on real frames: what each number counts, pixel by pixel.

- :func:`plot_boundary_band`: the bands Boundary IoU compares (:func:`vsslib.metrics.band_classes`, the pixel
  sets :func:`vsslib.metrics.boundary_counts` sums), their intersection and union;
- :func:`plot_trimap_band`: the trimap band of width w (Chebyshev distance to another ground-truth class,
  :func:`vsslib.analysis.boundary_distance`) and which of its pixels a map gets right;
- :func:`plot_vc_window`: one window of VC_n (:func:`vsslib.metrics.window_pixels`): the pixels whose ground
  truth stays the same, and which of them keep their prediction;
- :func:`plot_vote_scopes`: one masklet's vote with both scopes (:func:`vsslib.refine.masklet_votes`);
- :func:`plot_masklet_sources`: masklets of several sources (the oracle at growing corruption strength, the
  classical generator) on one frame, drawn as outlines.

No metric is computed here: every pixel set comes from the function named above, and the number in each panel
title from the metric itself. :func:`contested_masklet` only picks an example.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ..base.errors import ParameterError
from ._draw import (FOCUS_COLOUR, GAIN_UP, SPANNING_HATCH, error_colour, grey, hatch, image_grid,
                    legend_patches, mark_border, masklet_legend, masklet_picture, overlay, panel_legend, set_style,
                    stack_legends, top_title)
from .masks import masklet_outlines

__all__ = ["BAND_COLOURS", "band_numbers", "plot_boundary_band", "plot_trimap_band", "vc_window_numbers",
           "plot_vc_window", "contested_masklet", "vote_numbers", "plot_vote_scopes", "masklet_numbers",
           "plot_masklet_sources"]

BAND_COLOURS: dict[str, str] = {"same class in both bands (intersection)": GAIN_UP,
                                "ground-truth band only": "#ff7f00", "predicted band only": "#604000",
                                "both bands, different classes": "#00ffff"}
"""The four kinds of band pixel of :func:`plot_boundary_band`; their union is the union Boundary IoU divides by.
Teal is "right" as in every figure, cyan the wrong-class colour of the benchmark's palette
(:func:`vsslib.viz._draw.error_colour`); orange and dark brown are at CIELAB distance >= 40 from every class colour of
the benchmark, so no kind reads as a class (violet sat next to road's purple and car's blue, coral next to person's
red)."""
BAND_EDGE = (20, 20, 20)
"""The outline of each class's band in the band panels, so a band coloured like the grey frame (pole) still shows."""


def _rgb(hex_colour: str) -> np.ndarray:
    """``"#2a9d8f"`` as a (3,) uint8 array."""
    return np.array([int(hex_colour[k:k + 2], 16) for k in (1, 3, 5)], np.uint8)


_KEPT = tuple(int(v) for v in _rgb(GAIN_UP))  # teal: the pixel kept its prediction / is right


def _paint(backdrop: np.ndarray, where: np.ndarray, colour: Sequence[int] | np.ndarray) -> np.ndarray:
    out = backdrop.copy()
    out[np.asarray(where, bool)] = np.asarray(colour, np.uint8)
    return out


def _check_frame(frame: np.ndarray, *maps: np.ndarray, what: str) -> tuple[int, int]:
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ParameterError(f"{what}: frame must be (H, W, 3) uint8, got shape {frame.shape}")
    bad = [np.shape(m) for m in maps if np.shape(m) != frame.shape[:2]]
    if bad:
        raise ParameterError(f"{what}: the label maps {bad} do not match the frame's (H, W) = {frame.shape[:2]}")
    return frame.shape[0], frame.shape[1]


# ------------------------------------------------------------------------------------------- Boundary IoU
def band_numbers(gt: np.ndarray, pred: np.ndarray, num_classes: int, dilation_ratio: float,
                 ignore_index: int = 255) -> dict[str, float]:
    """What :func:`plot_boundary_band` shows, as numbers (for the takeaway under it).

    Parameters
    ----------
    gt, pred : (H, W) uint8 label maps of one frame. num_classes, dilation_ratio, ignore_index : as
        :func:`vsslib.metrics.boundary_counts`.

    Returns
    -------
    ``d`` (band width, px); ``scored_px`` (pixels whose ground truth is not ignored); ``gt_band_px`` and
    ``pred_band_px`` (pixels in some class's ground-truth / predicted band); ``intersection_px`` and
    ``union_px`` (summed over classes, as Boundary IoU counts them); ``mbiou`` and ``miou`` (percent) of the
    frame, from :mod:`vsslib.metrics`.
    """
    from ..metrics import band_classes, band_width, biou_from_counts, boundary_counts, mean_iou

    gt, pred = np.asarray(gt), np.asarray(pred)
    gt_band, pred_band = band_classes(gt, pred, num_classes, dilation_ratio, ignore_index)
    intersection, union = boundary_counts(gt, pred, num_classes, dilation_ratio, ignore_index)
    mbiou, _ = biou_from_counts(intersection, union)
    miou = mean_iou(gt, pred, num_classes, ignore_index=ignore_index)["miou"]
    return {"d": float(band_width(*gt.shape, dilation_ratio)), "scored_px": float((gt != ignore_index).sum()),
            "gt_band_px": float((gt_band >= 0).sum()), "pred_band_px": float((pred_band >= 0).sum()),
            "intersection_px": float(intersection.sum()), "union_px": float(union.sum()),
            "mbiou": 100 * mbiou, "miou": 100 * float(miou)}


def plot_boundary_band(frame: np.ndarray, gt: np.ndarray, pred: np.ndarray, num_classes: int,
                       palette: np.ndarray, class_names: Sequence[str], *, dilation_ratio: float, title: str,
                       pred_name: str = "baseline", ignore_index: int = 255) -> plt.Figure:
    """The bands Boundary IoU compares on one frame, at the study's dilation ratio.

    Parameters
    ----------
    frame : (H, W, 3) uint8. gt, pred : (H, W) uint8 label maps (``ignore_index`` in gt = not scored).
    num_classes, palette ((C, 3) uint8), class_names (C names) : the dataset's classes.
    dilation_ratio : band width as a ratio of the frame diagonal (``metrics.dilation_ratio``).
    title : names the data, video, frame and map. pred_name : how panels name ``pred``.

    Returns
    -------
    Figure of four panels: the ground truth; each ground-truth class's band (pixels within d of another class
    or of the frame's edge, d = :func:`vsslib.metrics.band_width`) in its class colour; the same for ``pred``;
    and every band pixel by kind (:data:`BAND_COLOURS`). The last panel's title is this frame's mBIoU, from
    :func:`vsslib.metrics.boundary_counts`.
    """
    from ..metrics import band_classes

    set_style()
    height, width = _check_frame(frame, gt, pred, what="plot_boundary_band")
    gt_band, pred_band = band_classes(gt, pred, num_classes, dilation_ratio, ignore_index)
    numbers = band_numbers(gt, pred, num_classes, dilation_ratio, ignore_index)
    backdrop = grey(frame, lighten=0.5)
    palette = np.asarray(palette, np.uint8)

    def classes_on(band: np.ndarray) -> np.ndarray:
        picture = np.where((band >= 0)[..., None], palette[np.maximum(band, 0)], backdrop)
        return _paint(picture, masklet_outlines(band) & (band >= 0), BAND_EDGE)

    kinds = {"same class in both bands (intersection)": (gt_band >= 0) & (gt_band == pred_band),
             "ground-truth band only": (gt_band >= 0) & (pred_band < 0),
             "predicted band only": (pred_band >= 0) & (gt_band < 0),
             "both bands, different classes": (gt_band >= 0) & (pred_band >= 0) & (gt_band != pred_band)}
    counted = backdrop.copy()
    for name, where in kinds.items():
        counted[where] = _rgb(BAND_COLOURS[name])
    present = sorted(set(np.unique(gt_band[gt_band >= 0]).tolist())
                     | set(np.unique(pred_band[pred_band >= 0]).tolist()))
    legends = [(legend_patches(class_names, palette, present), min(len(present), 6) or 1),
               ([Patch(facecolor=c, label=n) for n, c in BAND_COLOURS.items()], 2)]
    fig, axes = image_grid(2, 2, height, width, legend_rows=[-(-len(h) // n) for h, n in legends])
    panels = [("ground truth", overlay(frame, gt, palette, alpha=0.6)),
              (f"ground-truth band of each class (d = {numbers['d']:.0f} px)", classes_on(gt_band)),
              (f"{pred_name}: band of each predicted class", classes_on(pred_band)),
              (f"what is counted: mBIoU of this frame {numbers['mbiou']:.1f} %", counted)]
    for ax, (name, image) in zip(axes.flat, panels, strict=True):
        ax.imshow(image)
        ax.set_title(name, fontsize=10)
    stack_legends(fig, legends)
    top_title(fig, title)
    return fig


# ----------------------------------------------------------------------------------------------- trimap
def plot_trimap_band(frame: np.ndarray, gt: np.ndarray, pred: np.ndarray, widths: Sequence[int],
                     palette: np.ndarray, *, title: str, pred_name: str = "baseline",
                     ignore_index: int = 255) -> plt.Figure:
    """The trimap bands of two widths on one frame, and which of their pixels ``pred`` gets right.

    Parameters
    ----------
    frame : (H, W, 3) uint8. gt, pred : (H, W) uint8 label maps (``ignore_index`` in gt = not scored).
    widths : two band widths w in pixels. palette : (C, 3) uint8 class colours.

    Returns
    -------
    Figure of four panels: the ground truth; the Chebyshev distance of every pixel to the nearest pixel of
    another ground-truth class (:func:`vsslib.analysis.boundary_distance`: the side of the smallest square
    around the pixel that holds another class); and for each w, the band (distance <= w) with the pixels
    ``pred`` gets right in teal and wrong in the error colour. Panel titles give the band's accuracy from
    :func:`vsslib.analysis.trimap_accuracy`.
    """
    from ..analysis import boundary_distance, trimap_accuracy

    set_style()
    height, width = _check_frame(frame, gt, pred, what="plot_trimap_band")
    widths = [int(w) for w in widths]
    if len(widths) != 2 or min(widths) < 1:
        raise ParameterError(f"plot_trimap_band: widths={widths} must be two positive band widths in pixels")
    gt, pred = np.asarray(gt), np.asarray(pred)
    cap = max(widths) * 2
    distance = boundary_distance(gt, cap)
    scored = gt != ignore_index
    table = trimap_accuracy(gt[None], pred[None], widths, ignore_index).set_index("width")
    error_name, error_rgb = error_colour(palette)
    backdrop = grey(frame, lighten=0.5)
    fig, axes = image_grid(2, 2, height, width, legend_rows=[1], title_lines=2, gap_in=0.7)
    axes[0, 0].imshow(overlay(frame, gt, palette, alpha=0.6))
    axes[0, 0].set_title("ground truth", fontsize=10)
    image = axes[0, 1].imshow(np.where(distance > cap, np.nan, distance), cmap="viridis_r", vmin=1, vmax=cap)
    bar = fig.colorbar(image, cax=axes[0, 1].inset_axes((1.03, 0.0, 0.05, 1.0)))
    bar.set_label("px", fontsize=9)
    axes[0, 1].set_title(f"Chebyshev distance to another class\n(white: over {cap} px)", fontsize=10)
    for ax, w in zip(axes[1], widths, strict=True):
        band = scored & (distance <= w)
        right = band & (pred == gt)
        picture = _paint(_paint(backdrop, right, _KEPT), band & ~right, error_rgb)
        ax.imshow(picture)
        row = table.loc[w]
        ax.set_title(f"band w = {w} px: {pred_name} {100 * row['accuracy']:.1f} % right\n"
                     f"of {int(row['pixels']):,} px", fontsize=10)
    stack_legends(fig, [([Patch(facecolor=np.asarray(_KEPT) / 255, label=f"in the band, {pred_name} right"),
                     Patch(facecolor=np.asarray(error_rgb) / 255, edgecolor="0.4",
                           label=f"in the band, {pred_name} wrong ({error_name})")], 2)])
    top_title(fig, title)
    return fig


# ------------------------------------------------------------------------------------------------- VC_n
def vc_window_numbers(gt: np.ndarray, preds: Mapping[str, np.ndarray], start: int, n: int, *,
                      windows: str = "vspw") -> pd.DataFrame:
    """What :func:`plot_vc_window` shows, as numbers: per map, the window's G, G & P and VC_n.

    Parameters
    ----------
    gt : (T, H, W) uint8. preds : name -> (T, H, W) label map. start, n, windows : the window (as
        :func:`vsslib.metrics.consistency_counts`; ``start`` must be one of the windows it scores).

    Returns
    -------
    DataFrame[map, constant_px, kept_px, vc] (``vc`` in percent): ``constant_px`` = |G| (ground truth the same
    in all n frames), ``kept_px`` = |G & P|, both from :func:`vsslib.metrics.window_pixels`, and ``vc`` from
    :func:`vsslib.metrics.consistency_counts` (equal to their ratio).
    """
    from ..metrics import consistency_counts, window_count, window_pixels

    gt = np.asarray(gt)
    count = window_count(gt.shape[0], n, windows)
    if not 0 <= start < count:
        raise ParameterError(f"start={start} is not a window VC_{n} scores ({windows!r} windows of a "
                             f"{gt.shape[0]}-frame video start at 0..{count - 1})")
    rows = []
    for name, pred in preds.items():
        constant, kept = window_pixels(gt, np.asarray(pred), start, n)
        numerators, denominators = consistency_counts(gt, np.asarray(pred), (n,), windows=windows)[n]
        vc = 100 * numerators[start] / denominators[start] if denominators[start] else float("nan")
        rows.append({"map": name, "constant_px": int(constant.sum()), "kept_px": int(kept.sum()), "vc": vc})
    return pd.DataFrame(rows)


def plot_vc_window(frames: np.ndarray, gt: np.ndarray, preds: Mapping[str, np.ndarray], start: int, n: int,
                   palette: np.ndarray, *, title: str, windows: str = "vspw") -> plt.Figure:
    """One window of VC_n: the pixels whose ground truth stays the same for n frames (G), and which of them
    keep their prediction (G & P), for each map.

    Parameters
    ----------
    frames : (T, H, W, 3) uint8. gt : (T, H, W) uint8. preds : name -> (T, H, W) label map (one or two).
    start : the window's first frame; it must be a window VC_n scores (``windows``, see
        :class:`vsslib.metrics.ConsistencyWindows`). n : window length. palette : (C, 3) uint8.

    Returns
    -------
    Figure: the ground truth at the window's first and last frame, G, then one panel per map with G's pixels
    that keep their prediction in teal and those whose prediction changes in the error colour; each map's
    title gives VC_n of this window from :func:`vsslib.metrics.consistency_counts`.
    """
    from ..metrics import window_pixels

    set_style()
    frames, gt = np.asarray(frames), np.asarray(gt)
    if not preds or len(preds) > 2:
        raise ParameterError(f"plot_vc_window: give one or two maps, got {len(preds)}")
    if frames.ndim != 4 or frames.shape[:3] != gt.shape:
        raise ParameterError(f"plot_vc_window: frames {frames.shape} and gt {gt.shape} must be (T, H, W, 3) and "
                             "(T, H, W)")
    numbers = vc_window_numbers(gt, preds, start, n, windows=windows).set_index("map")
    height, width = gt.shape[1:]
    end = start + n - 1
    error_name, error_rgb = error_colour(palette)
    fig, axes = image_grid(2, 3, height, width, title_lines=2)
    constant = None
    for ax, t in zip(axes[0, :2], (start, end), strict=True):
        ax.imshow(overlay(frames[t], gt[t], palette, alpha=0.6))
        ax.set_title(f"ground truth, frame {t}", fontsize=10)
    for k, (name, pred) in enumerate(preds.items()):
        constant, kept = window_pixels(gt, np.asarray(pred), start, n)
        picture = _paint(_paint(grey(frames[start], lighten=0.5), kept, _KEPT), constant & ~kept, error_rgb)
        axes[1, k].imshow(picture)
        axes[1, k].set_title(f"{name}: VC{n} = {numbers.loc[name, 'vc']:.1f} %", fontsize=10)
    g = _paint(grey(frames[start], lighten=0.5), constant, (90, 90, 90))
    axes[0, 2].imshow(g)
    axes[0, 2].set_title(f"G: ground truth the same\nin frames {start}-{end} ({int(constant.sum()):,} px)",
                         fontsize=10)
    legend_ax = axes[1, 2] if len(preds) < 3 else None
    handles = [Patch(facecolor=(90 / 255,) * 3, label="in G (scored)"),
               Patch(facecolor=np.asarray(_KEPT) / 255, label="in G, prediction the same\nin all frames"),
               Patch(facecolor=np.asarray(error_rgb) / 255, edgecolor="0.4",
                     label=f"in G, prediction changes\n({error_name})"),
               Patch(facecolor="0.85", edgecolor="0.6", label="not in G: not scored")]
    for ax in axes[1, len(preds):]:
        ax.set_axis_off()
    if legend_ax is not None:
        panel_legend(legend_ax, handles, labelspacing=1.0)
    top_title(fig, title)
    return fig


# ------------------------------------------------------------------------------------------ vote scopes
def contested_masklet(semantic: np.ndarray, masklets: np.ndarray, num_classes: int, *, columns: int = 4,
                      min_pixels: int = 150) -> tuple[int, list[int]]:
    """An example for :func:`plot_vote_scopes`: the masklet whose per-frame votes most often disagree with its
    whole-masklet vote (ties: the larger masklet), and ``columns`` of its frames (the disagreeing ones first).
    Masklets seen in at least ``columns`` frames come first, then those whose box over all their frames spans
    at most half the frame's height and half its width (so the figure's crop can zoom in on them).

    Parameters
    ----------
    semantic : (T, H, W) uint8 label map that votes. masklets : (T, H, W) int32 ids, -1 = none.
    min_pixels : a masklet-frame counts only with at least this many pixels.

    Returns
    -------
    (masklet id, sorted frame indices).
    """
    from ..refine import masklet_votes

    whole = masklet_votes(semantic, masklets, num_classes, vote="masklet")
    per_frame = masklet_votes(semantic, masklets, num_classes, vote="frame")
    winner_of = dict(zip(whole.ids.tolist(), whole.winners.tolist(), strict=True))
    big = per_frame.votes.sum(axis=1) >= min_pixels
    ids, frames, winners = per_frame.ids[big, 0], per_frame.ids[big, 1], per_frame.winners[big]
    if ids.size == 0:
        raise ParameterError(f"contested_masklet: no masklet covers {min_pixels} pixels in any frame")
    disagree = winners != np.array([winner_of[i] for i in ids.tolist()])
    candidates = np.unique(ids)
    frames_of = {i: frames[ids == i] for i in candidates.tolist()}
    masklets = np.asarray(masklets)
    height, width = masklets.shape[1:]

    def compact(masklet: int) -> bool:
        where = (masklets[frames_of[masklet]] == masklet).any(axis=0)
        rows, cols = np.flatnonzero(where.any(axis=1)), np.flatnonzero(where.any(axis=0))
        return rows[-1] - rows[0] + 1 <= height / 2 and cols[-1] - cols[0] + 1 <= width / 2

    score = [(len(frames_of[i]) >= columns, compact(i), int(disagree[ids == i].sum()),
              int(per_frame.votes[big][ids == i].sum())) for i in candidates.tolist()]
    best = int(candidates[max(range(len(candidates)), key=score.__getitem__)])
    mine, odd = frames_of[best], disagree[ids == best]
    chosen = list(mine[odd][np.linspace(0, odd.sum() - 1, min(columns // 2, int(odd.sum()))).round().astype(int)]) \
        if odd.any() else []
    rest = [f for f in mine.tolist() if f not in chosen]
    spread = np.linspace(0, len(rest) - 1, min(columns - len(chosen), len(rest))).round().astype(int) if rest else []
    return best, sorted({int(f) for f in chosen} | {int(rest[k]) for k in spread})


def plot_vote_scopes(frames: np.ndarray, semantic: np.ndarray, masklets: np.ndarray, masklet: int,
                     times: Sequence[int], num_classes: int, palette: np.ndarray, class_names: Sequence[str], *,
                     title: str, gt: np.ndarray | None = None) -> plt.Figure:
    """One masklet's vote with both scopes, frame by frame.

    Parameters
    ----------
    frames : (T, H, W, 3) uint8. semantic : (T, H, W) uint8, the map that votes (the baseline).
    masklets : (T, H, W) int32 ids. masklet : the id shown. times : the frames shown (columns).
    num_classes, palette ((C, 3) uint8), class_names : the classes. gt : (T, H, W) uint8, drawn as a last row.

    Returns
    -------
    Figure with one column per frame (each cropped to the box around the masklet in that frame, with a margin,
    and scaled to one panel size, so the scale differs between columns; the masklet outlined in orange) and
    rows: the baseline inside the masklet; ``vote="masklet"`` (one winner over all its frames); ``vote="frame"``
    (one winner per frame); the ground truth. The winner and its share of the votes are written inside each
    panel of the two vote rows, at its top left. Winners and shares come from
    :func:`vsslib.refine.masklet_votes`, the maps from :func:`vsslib.refine.refine`.
    """
    import cv2

    from ..refine import refine

    set_style()
    frames, semantic, masklets = np.asarray(frames), np.asarray(semantic), np.asarray(masklets)
    inside = masklets == masklet
    times = [int(t) for t in times]
    if not times or any(not inside[t].any() for t in times):
        raise ParameterError(f"plot_vote_scopes: masklet {masklet} must cover a pixel in every frame of {times}")
    maps = {"baseline inside the masklet": semantic,
            "vote per masklet (vote=\"masklet\";\nwinner, share over all frames)":
                refine(semantic, masklets, num_classes, vote="masklet"),
            "vote per masklet and frame (vote=\"frame\";\nwinner, share in this frame)":
                refine(semantic, masklets, num_classes, vote="frame")}
    if gt is not None:
        maps["ground truth"] = np.asarray(gt)
    votes = vote_numbers(semantic, masklets, masklet, times, num_classes, class_names).set_index("frame")
    boxes = {t: _crop(inside[t], frames.shape[1:3]) for t in times}  # (top, left, bottom, right) per frame
    panel_h = max(bottom - top for top, _, bottom, _ in boxes.values())
    panel_w = max(right - left for _, left, _, right in boxes.values())
    shown = sorted({int(v) for labels in maps.values() for t in times for v in np.unique(labels[t][inside[t]])}
                   - {255})
    handles = legend_patches(class_names, palette, shown) + [
        plt.Line2D([], [], color=np.asarray(FOCUS_COLOUR) / 255, lw=3, label=f"masklet {masklet}")]
    ncol = min(len(handles), 6)
    fig, axes = image_grid(len(maps), len(times), panel_h, panel_w, legend_rows=[-(-len(handles) // ncol)],
                           title_lines=1, row_title_lines=0, left_in=2.1, width_in=8.8)
    for c, t in enumerate(times):
        vote = votes.loc[t]
        notes = {1: f"{vote.masklet_winner} {vote.masklet_share:.0f} %",
                 2: f"{vote.frame_winner} {vote.frame_share:.0f} %"}
        top, left, bottom, right = boxes[t]
        for r, (name, labels) in enumerate(maps.items()):
            coloured = overlay(grey(frames[t], lighten=0.55), np.where(inside[t], labels[t], 255), palette, alpha=0.85)
            crop = mark_border(coloured, inside[t], FOCUS_COLOUR)[top:bottom, left:right]  # zoomed: 1 px is thick
            ax = axes[r, c]
            ax.imshow(cv2.resize(crop, (panel_w, panel_h), interpolation=cv2.INTER_NEAREST))
            if r == 0:
                ax.set_title(f"frame {t}", fontsize=10)
            if r in notes:  # inside its panel: a note between two rows read as the lower row's
                ax.text(0.03, 0.96, notes[r], transform=ax.transAxes, ha="left", va="top", fontsize=8.5,
                        bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5})
            if c == 0:
                ax.set_ylabel(name.replace(" (", "\n(", 1), fontsize=9, rotation=0, ha="right", va="center",
                              labelpad=6)
    stack_legends(fig, [(handles, ncol)])
    top_title(fig, title)
    return fig


def vote_numbers(semantic: np.ndarray, masklets: np.ndarray, masklet: int, times: Sequence[int], num_classes: int,
                 class_names: Sequence[str]) -> pd.DataFrame:
    """What :func:`plot_vote_scopes` shows, as numbers: one masklet's winners under both vote scopes.

    Parameters
    ----------
    semantic : (T, H, W) uint8, the map that votes. masklets : (T, H, W) int32 ids. masklet : the id.
    times : frames (each must hold the masklet). num_classes, class_names : the classes.

    Returns
    -------
    DataFrame[frame, pixels, frame_winner, frame_share, masklet_winner, masklet_share], one row per frame of
    ``times``: the masklet's pixels in the frame, the winner of its vote in this frame (``vote="frame"``) and
    of its vote over all its frames (``vote="masklet"``), each with its share of the votes (percent), from
    :func:`vsslib.refine.masklet_votes`; "none" where no pixel voted.
    """
    from ..refine import masklet_votes

    whole = masklet_votes(semantic, masklets, num_classes, vote="masklet")
    per_frame = masklet_votes(semantic, masklets, num_classes, vote="frame")
    match = np.flatnonzero(whole.ids == masklet)
    if match.size == 0:
        raise ParameterError(f"vote_numbers: masklet {masklet} covers no pixel")
    row = int(match[0])

    def named(votes: np.ndarray, winner: int) -> tuple[str, float]:
        if winner < 0:
            return "none", float("nan")
        return str(class_names[winner]), 100 * float(votes[winner]) / max(float(votes.sum()), 1.0)

    masklet_winner, masklet_share = named(whole.votes[row], int(whole.winners[row]))
    rows = []
    for t in times:
        k = np.flatnonzero((per_frame.ids[:, 0] == masklet) & (per_frame.ids[:, 1] == int(t)))
        if k.size == 0:
            raise ParameterError(f"vote_numbers: masklet {masklet} covers no pixel in frame {t}")
        frame_winner, frame_share = named(per_frame.votes[k[0]], int(per_frame.winners[k[0]]))
        rows.append({"frame": int(t), "pixels": int((np.asarray(masklets[int(t)]) == masklet).sum()),
                     "frame_winner": frame_winner, "frame_share": frame_share, "masklet_winner": masklet_winner,
                     "masklet_share": masklet_share})
    return pd.DataFrame(rows)


def _crop(region: np.ndarray, shape: tuple[int, int], *, margin: float = 0.35,
          smallest: float = 0.25) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of a box around ``region`` ((K, H, W) or (H, W) bool) with ``margin`` of its
    size on each side, widened to the frame's aspect ratio, at least ``smallest`` of the frame's height and width
    (a zoom of at most 1 / ``smallest``), and kept inside the frame."""
    height, width = shape
    rows = np.flatnonzero(np.asarray(region).reshape(-1, height, width).any(axis=(0, 2)))
    cols = np.flatnonzero(np.asarray(region).reshape(-1, height, width).any(axis=(0, 1)))
    box_h = (rows[-1] - rows[0] + 1) * (1 + 2 * margin)
    box_w = (cols[-1] - cols[0] + 1) * (1 + 2 * margin)
    box_h = max(box_h, box_w * height / width, height * smallest)
    box_w = max(box_w, box_h * width / height, width * smallest)
    box_h, box_w = min(int(round(box_h)), height), min(int(round(box_w)), width)
    centre_r, centre_c = (rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2
    top = int(np.clip(round(centre_r - box_h / 2), 0, height - box_h))
    left = int(np.clip(round(centre_c - box_w / 2), 0, width - box_w))
    return top, left, top + box_h, left + box_w


# ---------------------------------------------------------------------------------------- masklet sources
def plot_masklet_sources(frame: np.ndarray, gt: np.ndarray, masklets: Mapping[str, np.ndarray], palette: np.ndarray,
                         class_names: Sequence[str], *, title: str, ignore_index: int = 255,
                         purity: float = 0.9) -> plt.Figure:
    """Masklets of several sources on one frame, drawn as outlines, next to the ground truth.

    Parameters
    ----------
    frame : (H, W, 3) uint8. gt : (H, W) uint8. masklets : panel title -> (H, W) int32 ids (-1 = none), e.g.
        the oracle at strengths 0, 0.25, 0.5, 1 and the classical generator. palette, class_names : classes.
    purity : a masklet whose most frequent ground-truth class holds less than this share of its labelled
        pixels is striped dark (:data:`SPANNING_HATCH`): it spans several classes, and the vote will overwrite
        the minority.

    Returns
    -------
    Figure of ``1 + len(masklets)`` panels, two to four per row (the fewest empty slots); each masklet panel's
    title counts its masklets and those spanning classes (:func:`masklet_numbers`).
    """
    set_style()
    gt = np.asarray(gt)
    height, width = _check_frame(frame, gt, *masklets.values(), what="plot_masklet_sources")
    panels = [("ground truth", overlay(frame, gt, palette, alpha=0.6))]
    for name, ids in masklets.items():
        ids = np.asarray(ids)
        picture = masklet_picture(frame, ids)
        present, mixed = _spanning(gt, ids, purity, ignore_index)
        spanning = np.isin(ids, mixed)
        picture = hatch(picture, spanning, SPANNING_HATCH, rising=False, thickness=2)
        panels.append((f"{name}\n{len(present)} masklets,\n{len(mixed)} of them span classes", picture))
    cols = min((3, 4, 2), key=lambda c: -len(panels) % c)  # the fewest empty slots, three a row if possible
    rows = -(-len(panels) // cols)
    present = sorted(set(np.unique(gt).tolist()) - {ignore_index})
    legends = [(legend_patches(class_names, palette, present), min(len(present), 7) or 1),
               (masklet_legend() + [Patch(facecolor="white", edgecolor=np.asarray(SPANNING_HATCH) / 255,
                                          hatch="\\\\\\\\", label=f"masklet spans classes (thick dark stripes; < "
                                          f"{100 * purity:.0f} % one class)")], 3)]
    fig, axes = image_grid(rows, cols, height, width, legend_rows=[-(-len(h) // n) for h, n in legends],
                           title_lines=2)
    for ax in axes.flat[len(panels):]:
        ax.set_axis_off()
    for ax, (name, image) in zip(axes.flat, panels, strict=False):
        ax.imshow(image)
        ax.set_title(name, fontsize=9.5 if cols < 4 else 9)
    stack_legends(fig, legends)
    top_title(fig, title)
    return fig


def _spanning(gt: np.ndarray, ids: np.ndarray, purity: float, ignore_index: int) -> tuple[np.ndarray, np.ndarray]:
    """The masklet ids of one frame, and those whose most frequent ground-truth class holds less than
    ``purity`` of their labelled pixels."""
    present = np.unique(ids[ids >= 0])
    labelled = (ids >= 0) & (gt != ignore_index)
    if not labelled.any():
        return present, present[:0]
    values, inverse = np.unique(ids[labelled], return_inverse=True)
    counts = np.zeros((len(values), int(gt[labelled].max()) + 1), np.int64)
    np.add.at(counts, (inverse.ravel(), gt[labelled].astype(np.int64)), 1)
    return present, values[counts.max(axis=1) < purity * counts.sum(axis=1)]


def masklet_numbers(gt: np.ndarray, masklets: Mapping[str, np.ndarray], *, purity: float = 0.9,
                    ignore_index: int = 255) -> pd.DataFrame:
    """What :func:`plot_masklet_sources` shows, as numbers: per masklet set of one frame, how many masklets, how
    many span several classes, and the share of labelled pixels in such masklets.

    Parameters
    ----------
    gt : (H, W) uint8. masklets : name -> (H, W) int32 ids (-1 = none). purity, ignore_index : as the plot.

    Returns
    -------
    DataFrame[masklets, count, spanning, spanning_share, uncovered_share] (shares in percent of the labelled
    pixels; ``uncovered_share``: pixels in no masklet).
    """
    gt = np.asarray(gt)
    labelled = gt != ignore_index
    rows = []
    for name, ids in masklets.items():
        ids = np.asarray(ids)
        present, mixed = _spanning(gt, ids, purity, ignore_index)
        rows.append({"masklets": name, "count": len(present), "spanning": len(mixed),
                     "spanning_share": 100 * (np.isin(ids, mixed) & labelled).sum() / max(labelled.sum(), 1),
                     "uncovered_share": 100 * ((ids < 0) & labelled).sum() / max(labelled.sum(), 1)})
    return pd.DataFrame(rows)
