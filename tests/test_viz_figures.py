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
                            "pixel_share": [10.0, 90.0], "miou_cost": [0.1, 2.0], "pixel_share_ci_low": [5.0, 80.0],
                            "pixel_share_ci_high": [20.0, 99.0], "miou_cost_ci_low": [-0.1, 1.0],
                            "miou_cost_ci_high": [0.3, 3.0]})
    fig = viz.failures.plot_failure_causes(summary, title="t")
    assert fig.axes[0].get_xlim() == (0.0, 100.0)
    assert fig.axes[1].get_xlim()[1] >= 3.0  # the widest whisker fits
    whiskers = fig.axes[0].collections[0].get_segments()  # the intervals, drawn from ci_low to ci_high
    assert [(s[0][0], s[1][0]) for s in whiskers] == [(5.0, 20.0), (80.0, 99.0)]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["object entered mid-window\n100 px, 3 events",
                      "baseline's majority wrong\ninside a correct masklet\n900 px, 40 events"]  # wrapped: page width
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.axes[0].get_window_extent(renderer)
    assert all(box.x0 <= t.get_window_extent(renderer).x0 and t.get_window_extent(renderer).x1 <= box.x1
               for t in fig.axes[0].texts)  # 90 % with a whisker to 99 %: written inside its bar
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


def test_per_class_gain_colours_a_bar_by_what_its_interval_says() -> None:
    """Green only where the interval lies above zero, orange where below, grey where it holds zero; the whiskers
    run from ci_low to ci_high."""
    table = pd.DataFrame({"class": ["road", "sky", "car"], "iou_baseline": [50.0, 60.0, 70.0],
                          "biou_baseline": [40.0, 50.0, 60.0], "gain_iou": [2.0, -3.0, 1.0],
                          "gain_iou_ci_low": [1.0, -5.0, -1.0], "gain_iou_ci_high": [3.0, -1.0, 2.0],
                          "gain_biou": [4.0, -2.0, 0.5], "gain_biou_ci_low": [2.0, -4.0, -1.0],
                          "gain_biou_ci_high": [6.0, -0.5, 2.0]})
    fig = viz.boundary.plot_per_class_gain(table, title="t")
    ax = fig.axes[1]  # Boundary IoU, classes ordered by its gain: road, car, sky
    colours = [matplotlib.colors.to_hex(bar.get_facecolor()) for bar in ax.patches]
    assert colours == ["#2a9d8f", matplotlib.colors.to_hex("0.65"), "#e76f51"]
    segments = ax.collections[0].get_segments()
    assert [(s[0][0], s[1][0]) for s in segments] == [(2.0, 6.0), (-1.0, 2.0), (-4.0, -0.5)]
    plt.close(fig)


def test_biou_by_dilation_draws_each_interval_as_a_band_and_the_gains_apart() -> None:
    rows = []
    for method, level in (("baseline", 30.0), ("refined (oracle)", 40.0)):
        for ratio in (0.01, 0.02):
            gain = None if method == "baseline" else level - 30.0
            rows.append({"method": method, "ratio": ratio, "mBIoU": level, "mBIoU_ci_low": level - 2,
                         "mBIoU_ci_high": level + 2, "gain_mBIoU": gain, "gain_mBIoU_ci_low": gain and gain - 1,
                         "gain_mBIoU_ci_high": gain and gain + 1})
    fig = viz.boundary.plot_biou_by_dilation(pd.DataFrame(rows), title="t", frame_shape=(128, 224))
    values, gains = fig.axes[0], fig.axes[1]
    assert len(values.collections) == 2  # one band per method
    band = values.collections[1].get_paths()[0].vertices[:, 1]
    assert band.min() == 38.0 and band.max() == 42.0
    assert [line.get_label() for line in gains.get_lines() if not line.get_label().startswith("_")] == [
        "refined (oracle)"]
    assert gains.collections[0].get_paths()[0].vertices[:, 1].min() == 9.0
    plt.close(fig)


def test_failure_panel_row_labels_stay_beside_their_rows_and_inside_the_figure() -> None:
    from vsslib.viz.failures import CAUSE_LABELS, plot_failure_panel

    rng = np.random.default_rng(0)
    rows = [{"image": rng.integers(0, 255, (32, 56, 3), dtype=np.uint8), "gt": np.zeros((32, 56), np.uint8),
             "baseline": np.zeros((32, 56), np.uint8), "refined": np.ones((32, 56), np.uint8),
             "masklets": np.zeros((32, 56), np.int32), "video": "synth_000", "frame": 3, "cause": cause,
             "masklet": 0, "pixels": 1792} for cause in list(CAUSE_LABELS)[:6]]
    fig = plot_failure_panel(rows, np.array([[0, 0, 0], [255, 0, 0]], np.uint8), title="t")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    figure_box = fig.bbox
    labels = [fig.axes[5 * r].yaxis.label for r in range(len(rows))]
    boxes = [label.get_window_extent(renderer) for label in labels]
    for r, box in enumerate(boxes):
        row = fig.axes[5 * r].get_window_extent(renderer)
        assert figure_box.x0 <= box.x0 and box.y0 >= figure_box.y0 and box.y1 <= figure_box.y1  # inside
        assert box.x1 <= row.x0 and not _overlaps(box, fig.axes[5 * r + 1].get_window_extent(renderer))
        if r:
            assert not _overlaps(box, boxes[r - 1])  # no label runs into the row above
    plt.close(fig)


def test_a_per_class_bar_too_short_to_see_has_its_value_written_and_an_absent_class_reads_n_a() -> None:
    table = pd.DataFrame([{"class": "pole", "method": "baseline", "iou": 0.04},
                          {"class": "sky", "method": "baseline", "iou": 55.0},
                          {"class": "boat", "method": "baseline", "iou": float("nan")}])
    fig = viz.classify.plot_per_class_iou(table, "t")
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["0.04", "n/a"]
    plt.close(fig)


def test_metric_lines_never_take_a_masklet_sources_colour() -> None:
    from matplotlib.colors import to_hex

    from vsslib.viz._draw import METRIC_COLOURS, SOURCE_COLOURS

    metrics = ("mIoU", "mBIoU", "mVC16")
    sweep = pd.DataFrame([{"strength": s, **{f"gain_{m}{c}": v for m in metrics
                                              for c, v in (("", 1.0), ("_ci_low", 0.0), ("_ci_high", 2.0))}}
                          for s in (0.0, 0.5)])
    fig = viz.intervals.plot_sweep_intervals(sweep, title="t", xlabel="s", metrics=metrics)
    colours = {line.get_label(): to_hex(line.get_color()) for line in fig.axes[0].get_lines() if line.get_label() in metrics}
    assert colours == {m: METRIC_COLOURS[m] for m in metrics}
    assert not set(colours.values()) & set(SOURCE_COLOURS.values())
    plt.close(fig)


def test_vc_over_time_draws_the_refined_line_in_its_sources_colour_and_names_the_shading() -> None:
    from matplotlib.colors import to_hex

    from vsslib.viz._draw import METHOD_COLOURS, SOURCE_COLOURS

    table = pd.DataFrame({"video": "v", "window_start": [0, 1, 2], "vc_baseline": [90.0, 91.0, 92.0],
                          "vc_refined": [95.0, 89.0, 93.0]})
    fig = viz.boundary.plot_vc_over_time(table, title="t", n=8, source="sam2-mini")
    lines = {line.get_label(): to_hex(line.get_color()) for line in fig.axes[0].get_lines()}
    assert lines == {"baseline": METHOD_COLOURS["baseline"], "refined (sam2-mini)": SOURCE_COLOURS["sam2-mini"]}
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["baseline", "refined (sam2-mini)", "refined steadier", "refined flickers more"]
    plt.close(fig)
    fig = viz.boundary.plot_vc_over_time(table, title="t", n=8)  # no source named: the fixed refined colour
    assert to_hex(fig.axes[0].get_lines()[1].get_color()) == METHOD_COLOURS["refined"]
    plt.close(fig)


def test_approach_two_bars_never_take_a_masklet_sources_colour() -> None:
    from matplotlib.colors import to_hex

    from vsslib.viz._draw import METHOD_COLOURS, SOURCE_COLOURS

    methods = ["baseline", "approach 1 (refiner)", *(f"approach 2, v{k}" for k in range(8))]
    table = pd.DataFrame([{"class": "sky", "method": m, "iou": 50.0} for m in methods])
    fig = viz.classify.plot_per_class_iou(table, "t")
    colours = [to_hex(bars.patches[0].get_facecolor()) for bars in fig.axes[0].containers]
    assert colours[:2] == [METHOD_COLOURS["baseline"], METHOD_COLOURS["refined"]]
    assert not set(colours[2:]) & set(SOURCE_COLOURS.values()) and len(set(colours[2:])) == 6  # 6 free, cycled
    plt.close(fig)
