"""Plots of approach 2 (classifying pooled masklet features): confusion matrix, per-class IoU, pooled masks.

No algorithm here: the confusion matrix comes from :func:`vsslib.metrics.confusion_matrix`, the IoUs from
the metrics, the masklet classes from :class:`vsslib.classify.MaskletClassifier`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from ..base.errors import ParameterError
from ._draw import (MASKLET_EDGE, METHOD_COLOURS, image_grid, legend_patches, masklet_legend, masklet_picture,
                    overlay, require_columns, spare_colours, stack_legends, top_title)
from .masks import masklet_outlines

__all__ = ["plot_confusion", "plot_per_class_iou", "plot_pooled_masks"]

_MAX_ANNOTATED = 25  # classes up to which every confusion cell is written out


def plot_confusion(cm: np.ndarray, class_names: Sequence[str], title: str, *,
                   annotate: bool | None = None) -> plt.Figure:
    """Row-normalised confusion matrix: where each ground-truth class's pixels went.

    Parameters
    ----------
    cm : (C, C) or (C, C + 1) integer pixel counts, rows = ground truth, columns = prediction; an extra last
        column counts pixels predicted as no class (255), as :func:`vsslib.metrics.confusion_matrix` returns.
    class_names : C names.
    title : figure title (name the dataset, masklet source and feature source).
    annotate : write each non-zero share in its cell (as a percentage); default: when C <= 25.

    Returns
    -------
    matplotlib Figure. Rows without ground-truth pixels are left blank; the diagonal is the per-class
    recall, the "none" column the share left unlabelled (pixels outside every masklet), and the row label
    carries the row's pixel count.
    """
    cm = np.asarray(cm)
    num_classes = len(class_names)
    if cm.ndim != 2 or cm.shape[0] != num_classes or cm.shape[1] not in (num_classes, num_classes + 1):
        raise ParameterError(f"plot_confusion: cm of shape {cm.shape} does not match {num_classes} class names; "
                             f"expected ({num_classes}, {num_classes}) or ({num_classes}, {num_classes + 1})")
    columns = list(class_names) + (["none"] if cm.shape[1] > num_classes else [])
    totals = cm.sum(axis=1)
    share = np.full(cm.shape, np.nan)
    np.divide(cm, totals[:, None], out=share, where=totals[:, None] > 0)
    annotate = num_classes <= _MAX_ANNOTATED if annotate is None else annotate
    side = float(np.clip(0.42 * num_classes + 2.5, 4.5, 16.0))
    fig, ax = plt.subplots(figsize=(side + 1.0, side))
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
    colorbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
    colorbar.set_label("share of the ground-truth class's pixels (%)")
    colorbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}"))  # % as in the cells
    fontsize = float(np.clip(120 / max(num_classes, 1), 4, 9))
    if annotate:
        rows, cols = np.nonzero(cm)
        for r, c in zip(rows, cols):
            value = share[r, c]
            ax.text(c, r, f"{100 * value:.0f}" if value >= 0.005 else "<1", ha="center", va="center",
                    fontsize=fontsize, color="white" if value > 0.55 else "black")
    if len(columns) > num_classes:
        ax.axvline(num_classes - 0.5, color="0.3", linewidth=0.8)
    ax.set_xticks(np.arange(len(columns)), labels=columns, rotation=90, fontsize=fontsize)
    ax.set_yticks(np.arange(num_classes), labels=[f"{name} ({_count(n)})" for name, n in zip(class_names, totals)],
                  fontsize=fontsize)
    ax.set_xlabel("predicted class" + ("\n(blank cell: no pixel; <1: under 0.5 %)" if annotate else ""))
    ax.set_ylabel("ground-truth class (pixels)")
    ax.grid(False)
    ax.set_title(f"{title}\nrow-normalised (%)" if annotate else f"{title}\nrow-normalised")
    fig.tight_layout()
    return fig


def _count(n: int) -> str:
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(int(n))


def plot_per_class_iou(table: pd.DataFrame, title: str) -> plt.Figure:
    """Per-class IoU of several methods side by side (horizontal grouped bars).

    Parameters
    ----------
    table : long table with columns ``class``, ``method`` and ``iou`` (percent, 0-100, as every score of the
        study; NaN = class absent, written "n/a"; an IoU under 1 % is written beside its invisible bar). Classes
        and methods appear in the order of their first row.
    title : figure title (name the dataset and masklet source).

    Returns
    -------
    matplotlib Figure; the legend gives each method's mean over the classes with an IoU.
    """
    require_columns(table, ["class", "method", "iou"], "plot_per_class_iou")
    classes = list(pd.unique(table["class"]))
    methods = list(pd.unique(table["method"]))
    wide = table.pivot_table(index="class", columns="method", values="iou", aggfunc="mean", dropna=False)
    wide = wide.reindex(index=classes, columns=methods)
    bar = 0.8 / max(len(methods), 1)
    height = float(np.clip(0.12 * len(classes) * max(len(methods), 1) + 1.4, 3.0, 40.0))
    fig, ax = plt.subplots(figsize=(8.8, height))
    positions = np.arange(len(classes))
    colours = _method_colours(methods)
    for k, method in enumerate(methods):
        values = wide[method].to_numpy(dtype=np.float64)
        offset = (k - (len(methods) - 1) / 2) * bar
        mean = np.nanmean(values) if np.isfinite(values).any() else np.nan
        ax.barh(positions + offset, np.nan_to_num(values, nan=0.0), height=bar, color=colours[method],
                label=f"{method}\n(mean {mean:.1f} %)")
        for position in positions[np.isnan(values)] + offset:
            ax.text(0.5, position, "n/a", va="center", ha="left", fontsize=8, color="0.45")
        tiny = np.isfinite(values) & (values < 1.0)  # a bar too short to see: its value written instead
        for position, value in zip(positions[tiny] + offset, values[tiny], strict=True):
            ax.text(0.5, position, f"{value:.2f}", va="center", ha="left", fontsize=8, color=colours[method])
    ax.set_yticks(positions, labels=[str(c) for c in classes])
    ax.invert_yaxis()  # first class on top
    ax.set_xlim(0, 100)
    ax.set_xlabel("IoU (%; numbers: IoUs under 1 %; n/a: class in neither map)")
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8.5, labelspacing=0.9)
    fig.tight_layout()
    return fig


def _method_colours(methods: Sequence[str]) -> dict[str, str]:
    """The baseline grey and the refiner teal as everywhere; approach-2 variants in the colours no masklet source
    uses (:func:`spare_colours`), cycling when there are more variants than colours."""
    import itertools

    fixed = {}
    deep = itertools.cycle(spare_colours())
    for method in methods:
        if method.startswith("baseline"):
            fixed[method] = METHOD_COLOURS["baseline"]
        elif method.startswith("approach 1"):
            fixed[method] = METHOD_COLOURS["refined"]
        else:
            fixed[method] = next(deep)
    return fixed


def plot_pooled_masks(frame: np.ndarray, masklets: np.ndarray, ids: np.ndarray, classes: np.ndarray,
                      palette: np.ndarray, title: str, *, class_names: Sequence[str] | None = None,
                      gt: np.ndarray | None = None, alpha: float = 0.85) -> plt.Figure:
    """One frame's masklets, then the same masklets painted with the class the classifier gave them.

    Parameters
    ----------
    frame : (H, W, 3) uint8 RGB.
    masklets : (H, W) int32 masklet ids of this frame, -1 = none.
    ids : (N,) masklet ids, strictly ascending; classes : (N,) their predicted classes (-1 = none).
    palette : (C, 3) uint8 class colours.
    title : figure title (name the dataset, video, frame, masklet and feature sources).
    class_names : C names for the legend (classes shown in the frame only).
    gt : (H, W) uint8 ground truth to show as a third panel, 255 = ignore.
    alpha : opacity of the class colours over the frame (near 1, so they match the legend's).

    Returns
    -------
    matplotlib Figure at the page's width: the masklets as outlines on the grey frame, each masklet painted in
    its predicted class with its outline, and the ground truth; pixels outside every masklet hatched (legend).
    """
    from ..classify import combine

    frame = np.asarray(frame)
    masklets = np.asarray(masklets)
    if frame.ndim != 3 or frame.shape[2] != 3 or masklets.shape != frame.shape[:2]:
        raise ParameterError(f"plot_pooled_masks: frame {frame.shape} must be (H, W, 3) and masklets "
                             f"{masklets.shape} (H, W)")
    if gt is not None and np.shape(gt) != masklets.shape:
        raise ParameterError(f"plot_pooled_masks: gt of shape {np.shape(gt)} and masklets {masklets.shape} differ")
    painted = combine(masklets[None], ids, classes)[0]
    none = masklets < 0
    classified = overlay(frame, painted, palette, alpha=alpha)
    picture = masklet_picture(frame, masklets)
    classified[none] = picture[none]  # outside every masklet: as in the masklet panel
    classified[masklet_outlines(masklets) & ~none] = MASKLET_EDGE  # the masklets' borders, as there
    panels = {f"masklets ({len(np.unique(masklets[~none]))})": picture,
              "each masklet in the class\nthe MLP gave it": classified}
    if gt is not None:
        panels["ground truth"] = overlay(frame, np.asarray(gt), palette, alpha=alpha)
    shown = np.unique(painted[painted != 255])
    if gt is not None:
        shown = np.union1d(shown, np.unique(np.asarray(gt)[np.asarray(gt) != 255]))
    handles = legend_patches(class_names, palette, [int(c) for c in shown if c < len(class_names)]) \
        if class_names is not None else []
    handles += masklet_legend()
    ncol = min(len(handles), 5)
    fig, axes = image_grid(1, len(panels), frame.shape[0], frame.shape[1], legend_rows=[-(-len(handles) // ncol)],
                           title_lines=2)
    for ax, (name, image) in zip(axes.flat, panels.items(), strict=True):
        ax.imshow(image)
        ax.set_title(name, fontsize=10)
    stack_legends(fig, [(handles, ncol)])
    top_title(fig, title)
    return fig
