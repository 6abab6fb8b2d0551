"""Plots of the study: the method step by step, gains, sweeps, boundary analysis, failures, cost, animations.

Every function returns a Matplotlib figure (or writes a GIF) and computes nothing it plots: the numbers
come from vsslib's runs and analyses.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from .._io import write_bytes_atomic
from . import colorize, overlay, set_style

__all__ = ["masklet_colors", "outline", "show_masklets", "plot_steps", "plot_gains", "plot_lines",
           "plot_per_class_gain", "plot_size_gain", "plot_vc_over_time", "plot_failure_causes", "plot_failure_panel",
           "plot_cost", "write_animation", "legend_patches"]


def masklet_colors(ids: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """(..., 3) uint8 colours for a masklet id map: a fixed random colour per id, black for -1."""
    ids = np.asarray(ids)
    top = int(ids.max()) + 2 if ids.size else 2
    table = np.random.default_rng(seed).integers(40, 255, (top, 3)).astype(np.uint8)
    table[0] = 0
    return table[ids + 1]


def outline(ids: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels on the border between two masklets (or a masklet and nothing)."""
    edge = np.zeros(ids.shape, bool)
    edge[:, 1:] |= ids[:, 1:] != ids[:, :-1]
    edge[1:, :] |= ids[1:, :] != ids[:-1, :]
    return edge


def show_masklets(frame: np.ndarray, ids: np.ndarray, *, alpha: float = 0.55) -> np.ndarray:
    """Frame blended with masklet colours and white outlines: (H, W, 3) uint8."""
    colour = masklet_colors(ids).astype(np.float32)
    out = (1 - alpha) * frame.astype(np.float32) + alpha * colour
    out = np.where((ids < 0)[..., None], frame, out)
    out[outline(ids)] = 255
    return out.round().astype(np.uint8)


def legend_patches(class_names: Sequence[str], palette: np.ndarray, present: Sequence[int]) -> list[Patch]:
    return [Patch(color=palette[c] / 255.0, label=class_names[c]) for c in present]


def plot_steps(frame: np.ndarray, gt: np.ndarray, baseline: np.ndarray, masklets: np.ndarray, refined: np.ndarray,
               palette: np.ndarray, class_names: Sequence[str], *, title: str) -> plt.Figure:
    """One row: frame, ground truth, baseline, masklets, refined; errors against the gt outlined in red."""
    set_style()
    fig, axes = plt.subplots(1, 5, figsize=(17, 3.4))
    panels = [("frame", frame), ("ground truth", overlay(frame, gt, palette, alpha=0.7)),
              ("baseline", _with_errors(overlay(frame, baseline, palette, alpha=0.7), baseline, gt)),
              ("masklets", show_masklets(frame, masklets)),
              ("refined", _with_errors(overlay(frame, refined, palette, alpha=0.7), refined, gt))]
    for ax, (name, image) in zip(axes, panels):
        ax.imshow(image)
        ax.set_title(name)
        ax.axis("off")
    present = sorted(set(np.unique(gt).tolist()) - {255})
    fig.legend(handles=legend_patches(class_names, palette, present), loc="lower center", ncol=len(present),
               frameon=False, bbox_to_anchor=(0.5, -0.08))
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _with_errors(image: np.ndarray, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    wrong = ((pred != gt) & (gt != 255)).astype(np.uint8)
    edge = cv2.morphologyEx(wrong, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)).astype(bool)
    out = image.copy()
    out[edge] = (255, 0, 0)
    return out


def plot_gains(table: pd.DataFrame, *, title: str, metrics: Sequence[str] = ("mIoU", "mBIoU", "mVC8", "mVC16")) -> plt.Figure:
    """Bars of (refined - baseline) per metric, one group per baseline, one colour per masklet source."""
    set_style()
    rows = []
    for baseline, group in table.groupby("baseline", sort=False):
        base = group[group["method"] == "baseline"].iloc[0]
        for _, row in group[group["method"] != "baseline"].iterrows():
            for metric in metrics:
                rows.append({"baseline": baseline, "masklets": row["masklets"], "metric": metric,
                             "gain": row[metric] - base[metric]})
    gains = pd.DataFrame(rows)
    import seaborn as sns

    grid = sns.catplot(data=gains, x="metric", y="gain", hue="masklets", col="baseline", kind="bar", height=3.4,
                       aspect=1.2, palette="deep")
    for ax in grid.axes.flat:
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel("gain (points)")
        for container in ax.containers:
            ax.bar_label(container, fmt="%+.1f", fontsize=7, padding=1)
    grid.figure.suptitle(title, y=1.04)
    return grid.figure


def plot_lines(data: pd.DataFrame, *, x: str, y: str, hue: str, title: str, xlabel: str, ylabel: str,
               logx: bool = False) -> plt.Figure:
    """A line plot with markers, one line per ``hue`` value."""
    set_style()
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(6.4, 4))
    sns.lineplot(data=data, x=x, y=y, hue=hue, marker="o", ax=ax, palette="deep")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
    fig.tight_layout()
    return fig


def plot_per_class_gain(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Horizontal bars of IoU and BIoU gains per class."""
    set_style()
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.35 * len(table) + 1.5), sharey=True)
    for ax, key, name in ((axes[0], "iou_gain", "IoU"), (axes[1], "biou_gain", "Boundary IoU")):
        values = 100 * table[key].to_numpy()
        colours = ["#2a9d8f" if v >= 0 else "#e76f51" for v in np.nan_to_num(values)]
        ax.barh(table["class"], values, color=colours)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(f"{name} gain (points)")
    axes[0].invert_yaxis()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_size_gain(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Accuracy of baseline and refined per object-size bin, with the number of objects."""
    set_style()
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(table))
    ax.bar(x - 0.2, 100 * table["acc_baseline"], 0.4, label="baseline", color="#8d99ae")
    ax.bar(x + 0.2, 100 * table["acc_refined"], 0.4, label="refined", color="#2a9d8f")
    ax.set_xticks(x, [f"{b}\n(n={n})" for b, n in zip(table["size_bin"], table["n_objects"])])
    ax.set_xlabel("object area in a frame (pixels)")
    ax.set_ylabel("pixel accuracy on the object (%)")
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_vc_over_time(table: pd.DataFrame, *, title: str, n: int) -> plt.Figure:
    """VC_n per window start, one panel per video, baseline vs refined."""
    set_style()
    videos = list(dict.fromkeys(table["video"]))
    cols = min(3, len(videos))
    rows = -(-len(videos) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.6 * rows), squeeze=False, sharey=True)
    for ax, video in zip(axes.flat, videos):
        part = table[table["video"] == video]
        ax.plot(part["window_start"], 100 * part["vc_baseline"], label="baseline", color="#8d99ae")
        ax.plot(part["window_start"], 100 * part["vc_refined"], label="refined", color="#2a9d8f")
        ax.set_title(video, fontsize=9)
        ax.set_xlabel("window start (frame)")
    for ax in axes.flat[len(videos):]:
        ax.axis("off")
    axes[0, 0].set_ylabel(f"VC{n} (%)")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_failure_causes(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Damaged pixels and mIoU cost per cause."""
    set_style()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    axes[0].barh(table["cause"], table["damaged_pixels"], color="#e76f51")
    axes[0].set_xlabel("damaged pixels (baseline right, refined wrong)")
    axes[1].barh(table["cause"], table["miou_cost"], color="#264653")
    axes[1].set_xlabel("mIoU cost (points)")
    for ax in axes:
        ax.invert_yaxis()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_failure_panel(rows: Sequence[dict], palette: np.ndarray, *, title: str) -> plt.Figure:
    """One row per example: frame, ground truth, baseline, masklets (culprit highlighted), refined."""
    set_style()
    fig, axes = plt.subplots(len(rows), 5, figsize=(15, 2.6 * len(rows)), squeeze=False)
    for r, row in enumerate(rows):
        culprit = row["masklets"] == row["masklet"]
        masks = show_masklets(row["frame"], row["masklets"])
        masks[outline(culprit.astype(np.int32))] = (255, 0, 0)
        images = [row["frame"], colorize(row["gt"], palette), colorize(row["baseline"], palette), masks,
                  colorize(row["refined"], palette)]
        names = ["frame", "ground truth", "baseline", "masklets (culprit in red)", "refined"]
        for c, (image, name) in enumerate(zip(images, names)):
            axes[r, c].imshow(image)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if r == 0:
                axes[r, c].set_title(name, fontsize=9)
        axes[r, 0].set_ylabel(f"{row['cause']}\n{row['video']} f{row['frame_index']}", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_cost(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """Seconds per frame of each stage (log scale)."""
    set_style()
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(table) + 1.5))
    labels = [f"{s} [{v}]" if v else s for s, v in zip(table["stage"], table.get("setting", [""] * len(table)))]
    ax.barh(labels, table["seconds_per_frame"], color="#457b9d")
    ax.set_xscale("log")
    ax.set_xlabel("seconds per frame (log scale)")
    ax.invert_yaxis()
    for k, value in enumerate(table["seconds_per_frame"]):
        ax.text(value, k, f" {value:.3g}s", va="center", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def write_animation(path: str | os.PathLike[str], frames: np.ndarray, left: np.ndarray, right: np.ndarray,
                    masklets: np.ndarray, palette: np.ndarray, *, titles: tuple[str, str] = ("baseline", "refined"),
                    fps: int = 8) -> Path:
    """An animated GIF: baseline (left) beside refined (right) over the frames, masklets outlined in white.

    Parameters
    ----------
    frames : (T, H, W, 3) uint8; left, right : (T, H, W) label maps; masklets : (T, H, W) int32.
    """
    from PIL import Image, ImageDraw

    images = []
    for t in range(len(frames)):
        panels = []
        for labels, name in ((left, titles[0]), (right, titles[1])):
            image = overlay(frames[t], labels[t], palette, alpha=0.6)
            image[outline(masklets[t])] = 255
            canvas = Image.fromarray(np.pad(image, ((14, 0), (0, 0), (0, 0)), constant_values=255))
            ImageDraw.Draw(canvas).text((3, 1), f"{name}  frame {t}", fill=(0, 0, 0))
            panels.append(np.asarray(canvas))
        gap = np.full((panels[0].shape[0], 4, 3), 255, np.uint8)
        images.append(Image.fromarray(np.concatenate([panels[0], gap, panels[1]], axis=1)))
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0,
                   optimize=False)
    return write_bytes_atomic(path, buffer.getvalue())
