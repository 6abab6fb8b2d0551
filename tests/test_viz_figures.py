"""The figures a reviewer reads first: legends off the data, axes that fit their quantity, readable animations."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from vsslib import viz  # noqa: E402
from vsslib.viz.refiner import animate_refinement, plot_quality_sweep  # noqa: E402


def _overlaps(a, b) -> bool:  # two display-space bounding boxes
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_quality_sweep_keeps_its_legend_off_the_panels_and_colours_the_two_maps_as_everywhere() -> None:
    strengths = [0.0, 0.5, 1.0]
    sweep = pd.DataFrame([{"strength": s, "method": m, "mIoU": v, "mBIoU": v - 5, "mVC8": v + 20}
                          for s in strengths for m, v in (("baseline", 53.0), ("refined", 68.0 - 20 * s))])
    fig = plot_quality_sweep(sweep, title="t")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(renderer)
    assert not any(_overlaps(legend, ax.get_window_extent(renderer)) for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()][:2] == ["baseline (no masklets)",
                                                                     "refined with oracle masklets"]
    base_line, refined_line = fig.axes[0].get_lines()[:2]
    assert (base_line.get_color(), refined_line.get_color()) == ("#8d99ae", "#2a9d8f")
    assert any("jitter" in t.get_text() and "strength s" in t.get_text() for t in fig.texts)
    gains = [t.get_text() for t in fig.axes[0].texts]
    assert gains == ["+15.0", "+5.0", "-5.0"]  # refined - baseline at s = 0, 0.5, 1
    plt.close(fig)


def test_failure_causes_share_axis_stops_at_100_percent() -> None:
    summary = pd.DataFrame({"cause": ["late_entry", "wrong_majority"], "events": [3, 40], "pixels": [100, 900],
                            "pixel_share": [0.1, 0.9], "miou_cost": [0.001, 0.02]})
    fig = viz.failures.plot_failure_causes(summary, title="t")
    assert fig.axes[0].get_xlim() == (0.0, 100.0)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["object entered mid-window", "baseline's majority wrong inside a correct masklet"]
    plt.close(fig)


def test_per_class_iou_legend_sits_beside_the_bars() -> None:
    table = pd.DataFrame([{"class": c, "method": m, "iou": 0.9} for c in ("road", "sky")
                          for m in ("baseline", "approach 1 (refiner)", "approach 2, fused (appearance)")])
    fig = viz.classify.plot_per_class_iou(table, "t")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    assert ax.get_legend().get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    plt.close(fig)


def test_animation_shows_ground_truth_baseline_and_refined_at_twice_the_size_with_a_legend() -> None:
    t, h, w = 3, 8, 120  # wide enough for the panel titles ("... | frame t") to differ per frame
    frames = np.zeros((t, h, w, 3), np.uint8)
    gt = np.zeros((t, h, w), np.uint8)
    gt[:, :, 5:] = 1
    baseline = np.zeros((t, h, w), np.uint8)
    palette = np.array([[200, 0, 0], [0, 0, 200]], np.uint8)
    gif = animate_refinement(frames, gt, baseline, gt, np.zeros((t, h, w), np.int32), palette, ["road", "sky"],
                             alpha=1.0)
    assert gif == animate_refinement(frames, gt, baseline, gt, np.zeros((t, h, w), np.int32), palette,
                                     ["road", "sky"], alpha=1.0)
    with Image.open(io.BytesIO(gif)) as image:
        assert image.n_frames == t
        width, height = image.size
        assert width == 3 * 2 * w + 2 * 6
        assert height > 18 + 2 * h  # header, panels, then the class legend
        rgb = np.asarray(image.convert("RGB"))
    panel_top = 18
    # ground-truth panel: left half road (red), right half sky (blue); scaled by 2
    assert tuple(rgb[panel_top + 8, 2]) == (200, 0, 0) and tuple(rgb[panel_top + 8, 2 * w - 3]) == (0, 0, 200)


def test_object_sizes_mark_the_median_of_the_objects_that_have_a_value() -> None:
    objects = pd.DataFrame({"mean_area": [10.0, 100.0, 1000.0], "speed": [np.nan, 2.0, 4.0]})
    fig = viz.dataset.plot_object_sizes(objects, "t")
    assert [[t.get_text() for t in ax.texts] for ax in fig.axes] == [[" median 100 px"], [" median 3 px/frame"]]
    plt.close(fig)
