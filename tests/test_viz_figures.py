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
    clear = 5 * fig.dpi / 72  # a value beside its whisker sits 5 pt or more past the cap (it was about 3)
    for ax, caps in ((fig.axes[0], [20.0]), (fig.axes[1], [0.3, 3.0])):
        outside = [t for t in ax.texts if t.get_horizontalalignment() == "left"]
        assert len(outside) == len(caps)
        for text, cap in zip(outside, caps):
            assert text.get_window_extent(renderer).x0 >= ax.transData.transform((cap, 0))[0] + clear, text.get_text()
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


def test_an_animation_wider_than_the_page_draws_its_text_large_enough_to_read_8_pt_there() -> None:
    from vsslib.viz._draw import legible_px

    assert legible_px(700) == 12  # shown at its own width: 8 pt = 8/72 in = 11.1 px at 100 px per inch
    assert legible_px(1356) == 17  # shown at 900 of its 1356 px: 11.1 / (900 / 1356) = 16.7 px
    assert legible_px(1800) == 23
    t, h, w = 1, 4, 226  # 3 panels of 452 px and two gaps: 1368 px wide, so 17 px text and a 24-px header
    gt = np.ones((t, h, w), np.uint8)
    gif = animate_refinement(np.zeros((t, h, w, 3), np.uint8), gt, gt, gt, np.zeros((t, h, w), np.int32),
                             np.array([[200, 0, 0], [0, 0, 200]], np.uint8), ["road", "sky"], alpha=1.0)
    with Image.open(io.BytesIO(gif)) as image:
        rgb = np.asarray(image.convert("RGB"))
    assert rgb.shape[1] == 1368
    column = rgb[:, 2 * w // 2]  # the middle of the first panel, top to bottom
    assert (column[23] >= 240).all() and tuple(column[24]) == (0, 0, 200)  # the panel starts under a 24-px header
    ink = np.flatnonzero((rgb[:24, :200] < 128).all(axis=-1).any(axis=1))  # the title's dark text rows
    assert ink.max() - ink.min() + 1 >= 12  # "ground truth | frame 0" drawn at 17 px: glyphs 12+ rows tall


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


def test_per_class_gain_labels_stay_inside_their_panel_and_clear_of_the_whisker_caps() -> None:
    table = pd.DataFrame({"class": ["car", "sky", "pole"], "iou_baseline": [80.0, 66.0, 0.0],
                          "biou_baseline": [51.0, 51.0, 0.0], "gain_iou": [-24.4, 5.1, -0.01],
                          "gain_iou_ci_low": [-28.0, 2.0, -0.02], "gain_iou_ci_high": [-21.0, 8.3, 0.0],
                          "gain_biou": [-20.1, 7.9, 0.0], "gain_biou_ci_low": [-23.0, 3.0, -0.01],
                          "gain_biou_ci_high": [-17.0, 12.3, 0.0]})
    fig = viz.boundary.plot_per_class_gain(table, title="t")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes[:2]:
        frame = ax.get_window_extent(renderer)
        for text in ax.texts:
            box = text.get_window_extent(renderer)
            assert frame.x0 < box.x0 and box.x1 < frame.x1, (text.get_text(), box, frame)  # "-24.4 (from 80)" crossed
            tip = ax.transData.transform(text.xy)[0]  # the whisker's end the label belongs to
            clear = 6 * fig.dpi / 72  # 6 pt: labels 4 pt off the cap looked as if they touched it
            assert box.x0 >= tip + clear or box.x1 <= tip - clear, text.get_text()
    # each label sits on the far side of zero from its bar, or past a whisker that crosses zero: the axis keeps
    # the data's range (labels beside the bars' ends had widened it to -150..+130 for gains within -28..+12);
    # rows sky, pole, car; pole's Boundary IoU gain 0 counts as a bar to the right, its whisker reaches -0.01
    expected = {"iou": [0.0, 0.0, 0.0], "biou": [0.0, -0.01, 0.0]}
    for ax, key in zip(fig.axes[:2], ("iou", "biou"), strict=True):
        assert [float(text.xy[0]) for text in ax.texts] == expected[key]
        span = max(table[f"gain_{key}_ci_high"].max(), 0) - min(table[f"gain_{key}_ci_low"].min(), 0)
        x0, x1 = ax.get_xlim()
        assert x1 - x0 < 1.5 * span, (key, x0, x1, span)
    left, right = (ax.get_window_extent(renderer) for ax in fig.axes[:2])
    # no room kept between the panels for labels that were then moved inside (it was 1.7 in)
    assert (right.x0 - left.x1) / fig.dpi < 0.5
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
    top = values.child_axes[0]  # the band width in pixels: a tick at each plotted ratio, d = round(ratio x 258.1)
    fig.canvas.draw()
    assert top.get_xticks().tolist() == [0.01, 0.02]
    assert [t.get_text() for t in top.get_xticklabels()] == ["3", "5"]
    plt.close(fig)


def test_failure_panel_rows_sit_close_with_their_labels_above_them_and_inside_the_figure() -> None:
    from vsslib.viz.failures import CAUSE_LABELS, plot_failure_panel

    rng = np.random.default_rng(0)
    rows = [{"image": rng.integers(0, 255, (32, 56, 3), dtype=np.uint8), "gt": np.zeros((32, 56), np.uint8),
             "baseline": np.zeros((32, 56), np.uint8), "refined": np.ones((32, 56), np.uint8),
             "masklets": np.zeros((32, 56), np.int32), "video": "synth_000", "frame": 3, "cause": cause,
             "masklet": 0, "pixels": 1792} for cause in list(CAUSE_LABELS)[:6]]
    fig = plot_failure_panel(rows, np.array([[0, 0, 0], [255, 0, 0]], np.uint8), title="t")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    inch = fig.dpi
    figure_box = fig.bbox
    panels = [[fig.axes[5 * r + c].get_window_extent(renderer) for c in range(5)] for r in range(len(rows))]
    assert min(b.width for b in panels[0]) / inch >= 1.6  # the panels take the page's width (were 1.38 in)
    for r, row in enumerate(rows):
        (label,) = fig.axes[5 * r].texts
        assert label.get_text() == (f"{r + 1}. {CAUSE_LABELS[row['cause']]}: synth_000 frame 3, 1,792 px damaged")
        box = label.get_window_extent(renderer)
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1 and box.y1 <= figure_box.y1  # inside
        assert box.y0 >= panels[r][0].y1  # above its own row
        if r:
            assert box.y1 <= panels[r - 1][0].y0  # under the row above
            assert (panels[r - 1][0].y0 - panels[r][0].y1) / inch <= 0.4  # no wide gap between rows
    titles = [fig.axes[c].title.get_window_extent(renderer) for c in range(5)]
    assert min(t.y0 for t in titles) >= fig.axes[0].texts[0].get_window_extent(renderer).y1  # over row 1's label
    gaps = [right.x0 - left.x1 for left, right in zip(titles[:-1], titles[1:])]
    assert min(gaps) >= 8, gaps  # column titles apart (at 56-px frames, the old two-line ones touched)
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
    fig = viz.intervals.plot_sweep_intervals(sweep, title="t", xlabel="s", metrics=metrics, seeds="corruption seeds")
    assert fig.axes[0].get_legend().get_title().get_text() == "mean over corruption seeds\nband: 95 % interval"
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
    long = pd.DataFrame({"video": "v", "window_start": range(60), "vc_baseline": 90.0, "vc_refined": 91.0})
    fig = viz.boundary.plot_vc_over_time(long, title="t", n=8, key_every=32)
    spans = [(p.get_x(), p.get_x() + p.get_width()) for p in fig.axes[0].patches]  # the axvspan rectangles
    assert spans == [(24.5, 31.5), (56.5, 63.5)]  # starts 25 .. 31 hold frames on both sides of key frame 32;
    # starts 57 .. 59 (the last drawn) those of key frame 64; the windows at 0 and at 32 stay inside one set
    assert all(p.get_y() == 0.93 and abs(p.get_height() - 0.07) < 1e-9 for p in fig.axes[0].patches)  # a top strip
    assert "top strip: window spans a re-proposal (new masklets every 32 frames)" in [
        t.get_text() for t in fig.legends[0].get_texts()]
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


def test_size_gains_are_labelled_on_the_far_side_of_their_whisker_from_zero() -> None:
    rows = [{"method": m, "size_bin": b, "n_objects": 10, "accuracy": 50.0, "accuracy_ci_low": 45.0,
             "accuracy_ci_high": 55.0, "gain_accuracy": np.nan if m == "baseline" else g,
             "gain_accuracy_ci_low": g - 5, "gain_accuracy_ci_high": g + 4}
            for b, g in (("< 50", -7.3), ("50-199", 6.0)) for m in ("baseline", "refined (classical)")]
    fig = viz.boundary.plot_size_gain(pd.DataFrame(rows), title="t")
    gain_ax = fig.axes[1]
    labels = {t.get_text(): t for t in gain_ax.texts}
    assert labels["-7.3"].xy[1] == -12.3 and labels["-7.3"].get_va() == "top"  # under the lower whisker end
    assert labels["+6.0"].xy[1] == 10.0 and labels["+6.0"].get_va() == "bottom"  # over the upper one
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    zero = gain_ax.transData.transform((0, 0))[1]
    for text in labels.values():
        box = text.get_window_extent(renderer)
        assert not box.y0 <= zero <= box.y1  # no label across the zero line
    bars = fig.axes[0]  # the legend sits above the bars' panel, off the whiskers of the tallest bars
    assert bars.get_legend().get_window_extent(renderer).y0 >= bars.get_window_extent(renderer).y1
    plt.close(fig)


def test_quality_axes_strength_labels_keep_off_the_sweep_line() -> None:
    cells = lambda v, g: {**{f"vote_ceiling{s}": v + d for s, d in (("", 0), ("_ci_low", -1), ("_ci_high", 1))},  # noqa: E731
                          **{f"gain_mIoU{s}": g + d for s, d in (("", 0), ("_ci_low", -1), ("_ci_high", 1))}}
    quality = pd.DataFrame([{"masklets": "oracle", "strength": s, **cells(v, g)}  # a curve rising to the right
                            for s, v, g in ((1.0, 60.0, -20.0), (0.75, 70.0, -12.0), (0.5, 80.0, -5.0),
                                            (0.25, 90.0, 2.0), (0.0, 99.0, 12.0))]
                           + [{"masklets": "classical", "strength": np.nan, **cells(75.0, -8.0)}])
    fig = viz.intervals.plot_quality_axes(quality, title="t", axes={"vote_ceiling": "vote ceiling"},
                                          break_even={"vote_ceiling": None})
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    line = ax.transData.transform(ax.get_lines()[0].get_xydata())  # the sweep's polyline in pixels
    samples = np.concatenate([np.linspace(a, b, 200) for a, b in zip(line[:-1], line[1:])])
    labels = [t for t in ax.texts if t.get_text().startswith("s = ")]
    assert len(labels) == 5
    for text in labels:
        box = text.get_window_extent(renderer)
        x, y = samples[:, 0], samples[:, 1]
        assert not ((x > box.x0) & (x < box.x1) & (y > box.y0) & (y < box.y1)).any(), text.get_text()
    assert ax.get_legend().get_window_extent(renderer).y1 <= ax.get_window_extent(renderer).y0  # under the panel
    plt.close(fig)


def test_a_strength_label_moves_off_the_break_even_line_or_is_backed_in_white() -> None:
    cells = lambda v, g: {**{f"vote_ceiling{s}": v + d for s, d in (("", 0), ("_ci_low", -1), ("_ci_high", 1))},  # noqa: E731
                          **{f"gain_mIoU{s}": g + d for s, d in (("", 0), ("_ci_low", -1), ("_ci_high", 1))}}
    sweep = [{"masklets": "oracle", "strength": s, **cells(v, g)}
             for s, v, g in ((1.0, 60.0, -20.0), (0.5, 80.0, -5.0), (0.25, 90.0, 2.0), (0.0, 99.0, 12.0))]
    for generator, moved in ((75.0, True), (91.5, False)):  # far from the 0.25 point; right under it
        quality = pd.DataFrame(sweep + [{"masklets": "classical", "strength": np.nan, **cells(generator, 0.5)}])
        fig = viz.intervals.plot_quality_axes(quality, title="t", axes={"vote_ceiling": "vote ceiling"},
                                              break_even={"vote_ceiling": 89.0})  # the above-left label crosses it
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        (label,) = [t for t in ax.texts if t.get_text() == "s = 0.25"]
        box = label.get_window_extent(renderer)
        line_x = ax.transData.transform((89.0, 0.0))[0]
        point = ax.transData.transform((90.0, 2.0))
        assert bool(box.x0 > line_x) is moved  # moved clear of the line, or left where it began
        if moved:
            assert box.x0 >= point[0] and box.y1 <= point[1]  # below-right of its point
        else:
            assert box.x1 <= point[0] and box.y0 >= point[1] and box.x0 < line_x < box.x1  # above-left, on the line
        assert all(t.get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0) for t in ax.texts
                   if t.get_text().startswith("s = "))  # each label on white: a dashed line under it stops
        plt.close(fig)


def test_the_close_up_box_is_drawn_in_the_focus_orange_never_a_class_yellow() -> None:
    from vsslib.viz._draw import FOCUS_COLOUR

    gt = np.zeros((32, 48), np.uint8)
    gt[:, 20:] = 1
    palette = np.array([[220, 220, 0], [0, 0, 142]], np.uint8)  # traffic_sign's yellow is a class colour
    fig = viz.training.plot_boundary_closeup(np.zeros((32, 48, 3), np.uint8), gt, gt, palette, (4, 10, 28, 40), "t")
    (box,) = [p for p in fig.axes[0].patches]
    assert tuple(np.round(np.asarray(box.get_edgecolor()[:3]) * 255)) == FOCUS_COLOUR
    plt.close(fig)


def test_confusion_cells_are_percent_of_their_row_with_blank_and_tiny_cells_explained() -> None:
    cm = np.array([[997, 3, 0], [0, 50, 50]])  # rows: 1000 and 100 pixels; last column: outside every masklet
    fig = viz.classify.plot_confusion(cm, ["road", "car"], "t")
    ax = fig.axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert cells == {(0, 0): "100", (0, 1): "<1", (1, 1): "50", (1, 2): "50"}  # 99.7 %, 0.3 %; zero cells blank
    assert "blank cell: no pixel; <1: under 0.5 %" in ax.get_xlabel()
    plt.close(fig)


def test_stage_times_draw_the_median_with_the_spread_of_the_repeats_and_mark_a_stage_timed_once() -> None:
    table = pd.DataFrame({"stage": ["baseline", "masklets"], "frames": [4, 4], "seconds": [2.0, 8.0],
                          "seconds_per_frame": [0.5, 2.0], "min_seconds": [1.6, 8.0], "max_seconds": [2.8, 8.0],
                          "repeats": [3, 1]})
    fig = viz.cost.plot_stage_times(table, title="t")
    ax = fig.axes[0]
    segments = ax.collections[0].get_segments()  # whiskers: min and max seconds over the frames
    assert [(s[0][0], s[1][0]) for s in segments] == [(0.4, 0.7)]  # the stage timed once has none
    bars = {round(p.get_width(), 6): p for p in ax.patches}
    assert bars[0.5].get_hatch() is None and bars[2.0].get_hatch() == "///"  # timed once: hatched and pale
    assert [t.get_text() for t in ax.texts] == ["500.0 ms", "2.0 s (once)"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "median of 3 timed runs; whiskers: fastest to slowest", "timed once (no spread)"]
    plt.close(fig)


def test_knob_sweep_puts_each_measure_on_one_scale_down_its_column() -> None:
    change = {f"change_{m}{c}": v for m in ("mIoU", "mBIoU") for c, v in (("", 0.5), ("_ci_low", -1.0),
                                                                       ("_ci_high", 2.0))}
    rows = [{"knob": "points_per_side", "value": v, "default": v == 16, "masklets_per_frame": m, "coverage": 80.0 + v,
             **change} for v, m in ((8, 19.0), (16, 36.0), (24, 40.0))]
    rows += [{"knob": "window", "value": v, "default": v == 32, "masklets_per_frame": m, "coverage": 84.0, **change}
             for v, m in ((16, 35.0), (32, 36.0))]  # a one-masklet change: drawn flat, not zoomed to fill the panel
    fig = viz.intervals.plot_knob_sweep(pd.DataFrame(rows), title="t")
    axes = np.asarray(fig.axes).reshape(2, 3)
    assert axes[0, 0].get_ylim() == axes[1, 0].get_ylim() and axes[0, 0].get_ylim()[1] - axes[0, 0].get_ylim()[0] > 20
    plt.close(fig)


def test_titles_break_between_their_parts_not_inside_them() -> None:
    from vsslib.viz._draw import wrap_title

    title = "Seconds per frame of each stage | generated benchmark (not VSPW), val | CPU"
    assert wrap_title(title, 67) == "Seconds per frame of each stage\ngenerated benchmark (not VSPW), val | CPU"
    assert wrap_title(title, 200) == title
    assert wrap_title("a | " + "word " * 10 + "| b", 13) == "a\nword word\nword word\nword word\nword word\nword word | b"


def test_panel_legend_wraps_long_labels_before_their_parentheses_and_hides_the_slot_axes():
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from vsslib.viz._draw import panel_legend

    fig, ax = plt.subplots()
    handles = [Patch(label="short (kept)"), Patch(label="no masklet (faded, thin pale stripes)"),
               Patch(label="already two lines\n(left as written) (here too)")]
    panel_legend(ax, handles, ncol=2)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["short (kept)", "no masklet\n(faded, thin pale stripes)",
                      "already two lines\n(left as written) (here too)"]
    assert not ax.axison and ax.get_legend()._ncols == 2 and not ax.get_legend().get_frame_on()
    plt.close(fig)
