"""The metrics drawn on frames: each drawing shows the pixel set its metric counts, checked against sets computed
here by other means (a plain loop over squares, hand-made cases), and the figures stay legible at page width."""

from __future__ import annotations

import ast
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from vsslib.analysis import boundary_distance  # noqa: E402
from vsslib.data.vspw_classes import VSPW_PALETTE, class_palette  # noqa: E402
from vsslib.metrics import (band_classes, band_width, biou_from_counts, boundary_counts,  # noqa: E402
                            consistency_counts, window_pixels)
from vsslib.viz import metric_drawings as md  # noqa: E402
from vsslib.viz._draw import (ERROR_COLOURS, HATCH_STEP, MASKLET_EDGE, NO_MASKLET_HATCH, error_colour, masklet_picture,  # noqa: E402
                              small_texts)

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = ["sky", "building", "road", "sidewalk", "vegetation", "pole", "traffic_sign", "car", "person", "bicycle"]
GREY = np.full(3, 128, np.uint8)


def _image(fig: plt.Figure, k: int) -> np.ndarray:
    """The RGB array drawn in the k-th axes of ``fig``."""
    return np.asarray(fig.axes[k].get_images()[0].get_array())


def _square_band(labels: np.ndarray, c: int, d: int) -> np.ndarray:
    """Band of class c by its definition, one pixel at a time: a pixel of c whose (2d+1)-square, with everything
    outside the image counted as another class, holds a pixel that is not c."""
    height, width = labels.shape
    padded = np.full((height + 2 * d, width + 2 * d), -1)
    padded[d:d + height, d:d + width] = labels
    band = np.zeros(labels.shape, bool)
    for r in range(height):
        for col in range(width):
            if labels[r, col] == c:
                band[r, col] = (padded[r:r + 2 * d + 1, col:col + 2 * d + 1] != c).any()
    return band


def _scene(seed: int, height: int = 30, width: int = 44) -> tuple[np.ndarray, np.ndarray]:
    """A ground truth of rectangles (with an ignored patch) and a prediction that shifts and relabels some."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((height, width), np.uint8)
    for c in (1, 2, 3):
        r, col = rng.integers(0, height - 8), rng.integers(0, width - 10)
        gt[r:r + rng.integers(5, 12), col:col + rng.integers(6, 16)] = c
    gt[2:5, 30:36] = 255
    pred = np.roll(gt, (1, 2), axis=(0, 1)).copy()
    pred[pred == 255] = 0
    pred[10:14, 5:9] = 3
    return gt, pred


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_band_classes_are_the_bands_of_the_definition_and_sum_to_boundary_counts(seed: int) -> None:
    gt, pred = _scene(seed)
    ratio = 0.05
    d = band_width(*gt.shape, ratio)
    gt_band, pred_band = band_classes(gt, pred, 4, ratio)
    counted = gt != 255
    for c in range(4):
        assert np.array_equal(gt_band == c, _square_band(gt.astype(int), c, d) & counted)
        assert np.array_equal(pred_band == c, _square_band(pred.astype(int), c, d) & counted)
    assert set(np.unique(gt_band)) <= {-1, 0, 1, 2, 3}
    intersection, union = boundary_counts(gt, pred, 4, ratio)
    for c in range(4):
        mine = ((gt_band == c) & (pred_band == c)).sum(), ((gt_band == c) | (pred_band == c)).sum()
        assert mine == (intersection[c], union[c])
    numbers = md.band_numbers(gt, pred, 4, ratio)
    assert numbers["d"] == d and numbers["intersection_px"] == intersection.sum()
    assert numbers["mbiou"] == pytest.approx(100 * biou_from_counts(intersection, union)[0])


def test_the_band_drawn_is_the_band_the_metric_counts() -> None:
    gt, pred = _scene(3)
    frame = np.broadcast_to(GREY, (*gt.shape, 3)).copy()
    palette = class_palette(BENCHMARK[:4])
    fig = md.plot_boundary_band(frame, gt, pred, 4, palette, BENCHMARK[:4], dilation_ratio=0.05, title="t")
    gt_band, pred_band = band_classes(gt, pred, 4, 0.05)
    backdrop = _image(fig, 1)[0, 0] if gt_band[0, 0] < 0 else None
    for k, band in ((1, gt_band), (2, pred_band)):
        drawn = _image(fig, k)
        edge = np.zeros(band.shape, bool)  # band pixels with a 4-neighbour of another band class or outside any
        padded = np.pad(band, 1, mode="edge")
        for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
            edge |= padded[dy:dy + band.shape[0], dx:dx + band.shape[1]] != band
        edge &= band >= 0
        assert edge.any() and (drawn[edge] == md.BAND_EDGE).all()  # each band outlined, so a grey band shows
        inner = (band >= 0) & ~edge
        assert np.array_equal(drawn[inner], palette[band[inner]])  # every other band pixel in its class colour
        outside = drawn[band < 0]
        assert (outside == outside[0]).all() and (backdrop is None or (outside[0] == backdrop).all())
    kinds = _image(fig, 3)
    teal = np.array([int(md.BAND_COLOURS["same class in both bands (intersection)"][k:k + 2], 16) for k in (1, 3, 5)])
    assert np.array_equal((kinds == teal).all(axis=-1), (gt_band >= 0) & (gt_band == pred_band))
    plt.close(fig)


def _cielab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB 0-255 -> CIELAB (D65), by the textbook formulas."""
    c = np.asarray(rgb, float) / 255
    linear = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    f = (lambda t: np.where(t > 216 / 24389, np.cbrt(t), (24389 / 27 * t + 16) / 116))(xyz / [0.9505, 1.0, 1.089])
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def test_band_kinds_are_coloured_unlike_any_class_of_the_benchmark() -> None:
    colours = {name: np.array([int(c[k:k + 2], 16) for k in (1, 3, 5)]) for name, c in md.BAND_COLOURS.items()}
    assert tuple(colours["same class in both bands (intersection)"]) == (42, 157, 143)  # "right", as everywhere
    classes = _cielab(class_palette(BENCHMARK))
    nearest = {name: float(np.sqrt(((classes - _cielab(rgb)) ** 2).sum(axis=1)).min())
               for name, rgb in colours.items() if "intersection" not in name}
    assert min(nearest.values()) >= 40, nearest  # the old violet (38 from car) and coral (30 from person) fail
    assert _cielab(np.array([255, 0, 0])) == pytest.approx([53.24, 80.09, 67.20], abs=0.1)  # sRGB red's Lab


def test_trimap_band_drawn_is_the_chebyshev_band_with_right_and_wrong_pixels() -> None:
    gt = np.zeros((20, 30), np.uint8)
    gt[:, 15:] = 1  # one vertical boundary between columns 14 and 15
    pred = gt.copy()
    pred[:, 13:15] = 1  # two columns wrong, left of the boundary
    distance = boundary_distance(gt, 10)
    assert distance[0, 14] == 1 and distance[0, 12] == 3 and distance[0, 17] == 3  # Chebyshev: columns only here
    palette = class_palette(BENCHMARK[:2])
    frame = np.broadcast_to(GREY, (20, 30, 3)).copy()
    fig = md.plot_trimap_band(frame, gt, pred, (2, 4), palette, title="t")
    _, error = error_colour(palette)
    for k, w in ((2, 2), (3, 4)):
        drawn = _image(fig, k)
        band = np.zeros(gt.shape, bool)
        band[:, 15 - w:15 + w] = True  # within w of the boundary, on both sides
        wrong = (drawn == error).all(axis=-1)
        right = (drawn == np.array([42, 157, 143])).all(axis=-1)
        assert np.array_equal(wrong | right, band)
        assert np.array_equal(wrong, band & (pred != gt))
    assert "50.0 % right" in fig.axes[2].get_title()  # w = 2: columns 13-16, two of four wrong
    plt.close(fig)


def _vc_case() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A (9, 2, 3) video with a hand-computed first window of 8 frames (see the test)."""
    gt = np.zeros((9, 2, 3), np.uint8)
    pred = np.zeros((9, 2, 3), np.uint8)
    pred[3:, 0, 1] = 1  # (0, 1): ground truth fixed, prediction changes at frame 3 -> in G, not kept
    gt[7:, 0, 2] = 2  # (0, 2): ground truth changes at frame 7 -> not in G
    gt[8:, 1, 0] = 2  # (1, 0): changes at frame 8, after the window -> in G, kept
    pred[8:, 1, 1] = 1  # (1, 1): prediction changes after the window -> in G, kept
    pred[1:, 1, 2] = 1  # (1, 2): prediction changes at frame 1 -> in G, not kept
    constant = np.array([[1, 1, 0], [1, 1, 1]], bool)
    kept = np.array([[1, 0, 0], [1, 1, 0]], bool)
    return gt, pred, constant, kept


def test_vc_window_pixels_match_a_hand_computed_window_and_the_metric_counts() -> None:
    gt, pred, constant, kept = _vc_case()
    g, gp = window_pixels(gt, pred, 0, 8)
    assert np.array_equal(g, constant) and np.array_equal(gp, kept)
    numerators, denominators = consistency_counts(gt, pred, (8,))[8]  # VSPW's windows: start 0 only
    assert (numerators[0], denominators[0]) == (3, 5)
    table = md.vc_window_numbers(gt, {"m": pred}, 0, 8)
    assert table.iloc[0][["constant_px", "kept_px"]].tolist() == [5, 3] and table.iloc[0]["vc"] == pytest.approx(60.0)
    with pytest.raises(Exception, match="not a window"):
        md.vc_window_numbers(gt, {"m": pred}, 1, 8)  # start 1 is the last full window, which VSPW leaves out
    for start in range(2):  # every window of every length agrees with the vectorised counts
        for n in (1, 3, 8):
            if start + n <= 9:
                g, gp = window_pixels(gt, pred, start, n)
                counts = consistency_counts(gt, pred, (n,), windows="all")[n]
                assert (counts[0][start], counts[1][start]) == (gp.sum(), g.sum())


def test_the_vc_window_drawn_colours_kept_and_changed_pixels_of_g() -> None:
    gt, pred, constant, kept = _vc_case()
    frames = np.broadcast_to(GREY, (9, 2, 3, 3)).copy()
    palette = class_palette(BENCHMARK[:3])
    fig = md.plot_vc_window(frames, gt, {"baseline": pred}, 0, 8, palette, title="t")
    drawn = _image(fig, 3)  # the second row's first panel: the baseline
    _, error = error_colour(palette)
    assert np.array_equal((drawn == np.array([42, 157, 143])).all(axis=-1), kept)
    assert np.array_equal((drawn == error).all(axis=-1), constant & ~kept)
    assert "VC8 = 60.0 %" in fig.axes[3].get_title()
    plt.close(fig)


def test_vote_scopes_name_each_frames_winner_and_the_masklets() -> None:
    semantic = np.zeros((3, 2, 2), np.uint8)
    semantic[0] = [[1, 1], [1, 2]]  # frame 0: class 1 wins 3 to 1
    semantic[1] = [[1, 2], [2, 2]]  # frame 1: class 2 wins 3 to 1
    semantic[2] = 2  # frame 2: class 2, 4 to 0; over all frames class 2 wins 8 to 4
    masklets = np.zeros((3, 2, 2), np.int32)
    table = md.vote_numbers(semantic, masklets, 0, [0, 1, 2], 3, ["a", "b", "c"])
    assert table["frame_winner"].tolist() == ["b", "c", "c"]
    assert table["frame_share"].tolist() == [75.0, 75.0, 100.0]
    assert table["masklet_winner"].unique().tolist() == ["c"]
    assert table["masklet_share"].iloc[0] == pytest.approx(100 * 8 / 12)
    masklet, times = md.contested_masklet(semantic, masklets, 3, columns=3, min_pixels=1)
    assert masklet == 0 and times == [0, 1, 2]
    frames = np.broadcast_to(GREY, (3, 2, 2, 3)).copy()
    fig = md.plot_vote_scopes(frames, semantic, masklets, 0, [0, 1, 2], 3, class_palette(["a", "b", "c"]),
                              ["a", "b", "c"], title="t")
    # each winner inside its own panel (a note under a panel read as the next row's); the row label says the scope
    assert [[t.get_text() for t in ax.texts] for ax in fig.axes[3:6]] == [["c 67 %"]] * 3
    assert [[t.get_text() for t in ax.texts] for ax in fig.axes[6:9]] == [["b 75 %"], ["c 75 %"], ["c 100 %"]]
    assert all(not ax.texts for ax in fig.axes[:3]) and "share over all frames" in fig.axes[3].get_ylabel()
    assert "share in this frame" in fig.axes[6].get_ylabel()
    plt.close(fig)


def test_each_vote_scope_column_zooms_on_the_masklet_in_its_own_frame() -> None:
    frames = np.broadcast_to(GREY, (2, 40, 80, 3)).copy()
    semantic = np.zeros((2, 40, 80), np.uint8)
    masklets = np.full((2, 40, 80), -1, np.int32)
    masklets[0, 2:6, 2:10] = 0  # small, top left
    masklets[1, 10:30, 20:60] = 0  # large, in the middle
    assert md._crop(masklets[0] == 0, (40, 80)) == (0, 0, 10, 20)  # the smallest box: a quarter of the frame
    # 20 x 40 px, 35 % margins each side: 34 x 68 around the centre (19.5, 39.5), rounded half to even
    assert md._crop(masklets[1] == 0, (40, 80)) == (2, 6, 36, 74)
    fig = md.plot_vote_scopes(frames, semantic, masklets, 0, [0, 1], 2, class_palette(["a", "b"]), ["a", "b"],
                              title="t")
    shapes = {ax.images[0].get_array().shape[:2] for ax in fig.axes[:2]}
    assert shapes == {(34, 68)}  # both columns scaled to the largest box
    plt.close(fig)


def test_the_vote_scope_example_prefers_a_masklet_the_crop_can_zoom_in_on() -> None:
    semantic = np.zeros((3, 8, 8), np.uint8)
    masklets = np.full((3, 8, 8), -1, np.int32)
    masklets[:, 6:, :6] = 0  # wide: its box spans 6 of the frame's 8 columns (though only 2 of its rows)
    semantic[0, 6:, :6], semantic[1:, 6:, :6] = 1, 2  # per frame 1, 2, 2; over all frames 2 (24 to 12): 1 disagrees
    masklets[:, 6:, 6:] = 1  # compact: a 2 x 2 box
    semantic[:2, 6:, 6:], semantic[2, 6:, 6:] = 1, 2  # per frame 1, 1, 2; over all frames 1 (8 to 4): 1 disagrees
    # equal disagreements: the larger masklet would win the tie; the compact one comes first
    masklet, times = md.contested_masklet(semantic, masklets, 3, columns=3, min_pixels=1)
    assert masklet == 1 and times == [0, 1, 2]
    masklets[:, 6:, 6:] = 0  # one masklet left, and not compact: still the example
    assert md.contested_masklet(semantic, masklets, 3, columns=3, min_pixels=1)[0] == 0


def test_masklet_numbers_count_masklets_spanning_classes() -> None:
    gt = np.zeros((4, 6), np.uint8)
    gt[:, 3:] = 1
    ids = np.full((4, 6), -1, np.int32)
    ids[:, :2] = 0  # pure: class 0 only
    ids[:, 2:4] = 1  # half class 0, half class 1: spans classes
    ids[:2, 4:] = 2  # pure: class 1; the rest of the frame is in no masklet
    table = md.masklet_numbers(gt, {"m": ids}).iloc[0]
    assert (table["count"], table["spanning"]) == (3, 1)
    assert table["spanning_share"] == pytest.approx(100 * 8 / 24)
    assert table["uncovered_share"] == pytest.approx(100 * 4 / 24)


def test_the_error_colour_is_far_from_every_class_colour() -> None:
    assert error_colour(class_palette(BENCHMARK)) == ("cyan", ERROR_COLOURS["cyan"])
    for palette in (class_palette(BENCHMARK), VSPW_PALETTE):
        _, rgb = error_colour(palette)
        assert np.sqrt(((palette.astype(float) - np.asarray(rgb)) ** 2).sum(axis=1)).min() >= 100


def test_masklets_are_drawn_in_greys_never_in_class_colours() -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)
    ids = np.zeros((12, 16), np.int32)
    ids[:, 8:] = 1
    picture = masklet_picture(frame, ids)
    assert (picture[..., 0] == picture[..., 1]).all() and (picture[..., 1] == picture[..., 2]).all()
    assert (picture[:, 7:9] == MASKLET_EDGE).all()  # the border between the two masklets, both sides
    ids[:2] = -1
    hatched = masklet_picture(frame, ids)
    assert (hatched == hatched[..., :1]).all()  # still no hue anywhere
    lines = (np.add.outer(np.arange(2), np.arange(16)) % HATCH_STEP) == 0  # "////" lines of the no-masklet rows
    assert (hatched[:2][lines] == NO_MASKLET_HATCH).all()
    faded = hatched[:2][~lines, 0].astype(int)  # between the lines: the grey frame faded 60 % towards white
    assert (faded >= 0.6 * 255 - 1).all() and (faded >= picture[:2][~lines, 0]).all()


def test_the_drawings_and_the_mended_figures_keep_text_legible_at_page_width() -> None:
    from vsslib import viz

    gt, pred = _scene(4, 64, 112)
    frame = np.broadcast_to(GREY, (*gt.shape, 3)).copy()
    palette = class_palette(BENCHMARK)
    masklets = np.where(gt == 255, -1, gt).astype(np.int32)
    sizes = pd.DataFrame([{"method": m, "size_bin": b, "n_objects": 10, "accuracy": 95.0, "accuracy_ci_low": 90.0,
                           "accuracy_ci_high": 99.5, "gain_accuracy": np.nan if m == "baseline" else 3.0,
                           "gain_accuracy_ci_low": 1.0, "gain_accuracy_ci_high": 5.0}
                          for b in ("< 50", "50-199", ">= 200") for m in ("baseline", "refined (oracle)")])
    iou = pd.DataFrame([{"class": c, "method": m, "iou": 50.0} for c in BENCHMARK for m in ("baseline", "approach 1")])
    change = {f"change_{m}{c}": v for m in ("mIoU", "mBIoU") for c, v in (("", 0.5), ("_ci_low", -1.0),
                                                                       ("_ci_high", 2.0))}
    knobs = pd.DataFrame([{"knob": k, "value": v, "default": v == 8, "masklets_per_frame": 10.0 + v, "coverage": 90.0,
                           **change} for k in ("points_per_side", "pred_iou_thresh", "stability_score_thresh",
                                               "window") for v in (4, 8, 16)])
    cells = {f"{c}{s}": v for c in ("vote_ceiling", "mask_quality", "gain_mIoU")
             for s, v in (("", 80.0), ("_ci_low", 75.0), ("_ci_high", 85.0))}
    quality = pd.DataFrame([{"masklets": "oracle", "strength": s, **cells} for s in (0.0, 0.5, 1.0)]
                           + [{"masklets": g, "strength": np.nan, **cells} for g in ("classical", "sam2-mini")])
    frequencies = pd.DataFrame({"class": BENCHMARK, "pixel_share": np.linspace(30, 0.1, len(BENCHMARK)),
                                "frames_present": np.linspace(96, 3, len(BENCHMARK)).astype(int),
                                "videos_present": np.linspace(2, 1, len(BENCHMARK)).astype(int)})
    examples = [{"image": frame, "gt": gt, "baseline": pred, "refined": pred, "masklets": masklets, "video": "v",
                 "frame": 0, "cause": "drift", "masklet": 1, "pixels": 10}] * 3
    figures = {
        "band": md.plot_boundary_band(frame, gt, pred, 10, palette, BENCHMARK, dilation_ratio=0.02, title="t"),
        "trimap": md.plot_trimap_band(frame, gt, pred, (2, 8), palette, title="t"),
        # as 03 draws it: the ground truth and seven masklet sets, four panels a row
        "sources": md.plot_masklet_sources(frame, gt, {**{f"oracle, s = {s}": masklets for s in (0, 0.25, 0.5, 0.75, 1)},
                                                       "classical": masklets, "sam2-mini": masklets}, palette,
                                           BENCHMARK, title="t"),
        "steps": viz.refiner.plot_steps(frame, gt, pred, masklets, pred, palette, BENCHMARK, title="t"),
        "failures": viz.failures.plot_failure_panel(examples, palette, class_names=BENCHMARK, title="t"),
        "pooled": viz.classify.plot_pooled_masks(frame, masklets, np.array([0, 1, 2, 3]), np.array([0, 1, 2, 3]),
                                                 palette, "t", class_names=BENCHMARK, gt=gt),
        "sizes": viz.boundary.plot_size_gain(sizes, title="t"),
        "per_class_iou": viz.classify.plot_per_class_iou(iou, "t"),
        "knobs": viz.intervals.plot_knob_sweep(knobs, title="t"),
        "quality": viz.intervals.plot_quality_axes(quality, title="t", axes={"vote_ceiling": "vote ceiling",
                                                                            "mask_quality": "mask quality"},
                                                   break_even={"vote_ceiling": 90.0, "mask_quality": None}),
        "closeup": viz.training.plot_boundary_closeup(frame, gt, pred, palette, (8, 8, 40, 60), "t",
                                                      others={"other": pred}, pred_name="net"),
        "frequencies": viz.dataset.plot_class_frequencies(frequencies, "t", palette=palette, total_frames=96),
    }
    assert {name: small_texts(fig) for name, fig in figures.items()} == {name: [] for name in figures}
    assert {name: overlapping_titles(fig) for name, fig in figures.items()} == {name: [] for name in figures}
    assert {name: covered_pictures(fig) for name, fig in figures.items()} == {name: [] for name in figures}
    assert figures["sizes"].axes[0].get_ylim() == (0.0, 100.0)  # an accuracy axis stops at 100 %
    assert figures["per_class_iou"].axes[0].get_xlim() == (0.0, 100.0)  # percent, as every score
    assert figures["frequencies"].axes[1].get_xlim() == (0.0, 96.0)  # no class is in more frames than the split has
    # classes named as the tables name them ("traffic_sign", not "traffic sign")
    assert [t.get_text() for t in figures["frequencies"].axes[0].get_yticklabels()] == BENCHMARK
    plt.close("all")


def overlapping_titles(fig: plt.Figure) -> list[tuple[str, str]]:
    """Pairs of panel titles whose drawn boxes overlap (neighbouring panels' titles running into each other)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    titles = [t for ax in fig.axes for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in titles]
    return [(a.get_text(), b.get_text()) for i, (a, p) in enumerate(zip(titles, boxes))
            for b, q in zip(titles[i + 1:], boxes[i + 1:]) if p.overlaps(q)]


def covered_pictures(fig: plt.Figure) -> list[str]:
    """Titles of the image panels a legend is drawn over (a legend spilling out of its own slot)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
    pictures = [ax for ax in fig.axes if ax.images and ax.get_legend() is None]
    return [ax.get_title() for ax in pictures for legend in legends
            if legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))]


def test_the_smallest_text_measured_on_savefigs_render_equals_a_fresh_draw() -> None:
    import io

    from vsslib.viz._draw import smallest_text_pt
    from vsslib.viz.cost import plot_stage_times

    def figures():
        fig, ax = plt.subplots(figsize=(12, 3))  # wider than the page: its text shrinks
        ax.plot([0, 1], [0, 1])
        ax.set_title("title", fontsize=9)
        ax.annotate("a note", (0.5, 0.5), fontsize=7)
        yield fig
        table = pd.DataFrame({"stage": ["a", "b"], "frames": [4, 4], "seconds": [2.0, 8.0], "seconds_per_frame":
                              [0.5, 2.0], "min_seconds": [1.6, 8.0], "max_seconds": [2.8, 8.0], "repeats": [3, 1]})
        yield plot_stage_times(table, title="t")

    for fresh, saved in zip(figures(), figures()):
        expected = smallest_text_pt(fresh)
        saved.savefig(io.BytesIO(), format="png", dpi=150, bbox_inches="tight")
        assert smallest_text_pt(saved, draw=False) == expected and expected is not None
    plt.close("all")


def test_small_texts_measures_text_at_the_page_width() -> None:
    fig, ax = plt.subplots(figsize=(18, 3))  # twice the page: shown at half size
    fig.subplots_adjust(left=0, right=1)  # the saved (tight) figure is 18 in wide
    ax.set_title("title", fontsize=12)
    ax.set_xticks([])
    ax.set_yticks([])
    assert small_texts(fig) == [("title", pytest.approx(6.0, abs=0.6))]
    plt.close(fig)


def test_readable_tables_do_not_round_a_small_ratio_to_zero() -> None:
    from vsslib.study.tables import readable

    shown = readable(pd.DataFrame({"ratio": [0.005, 0.02], "fps": [12.3456, 3.0]}))
    assert shown["ratio"].tolist() == ["0.005", "0.02"] and shown["fps"].tolist() == [12.35, 3.0]


# ------------------------------------------------------------------------------------ notebooks' knobs
def _parameters(source: Path) -> tuple[dict[str, object], set[str]]:
    """The parameters cell's names and defaults, and the keywords ``Study.open_notebook`` is called with."""
    text = source.read_text()
    cell = text.split('# %% tags=["parameters"]\n', 1)[1].split("\n# %%", 1)[0]
    defaults = {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(cell).body
                if isinstance(node, ast.Assign)}
    calls = [node for node in ast.walk(ast.parse("\n".join(line for line in text.splitlines()
                                                           if not line.startswith("%"))))
             if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "open_notebook"]
    assert len(calls) == 1, source.name
    passed = {k.arg for k in calls[0].keywords if isinstance(k.value, ast.Name) and k.value.id == k.arg}
    return defaults, passed


def test_every_notebook_offers_knobs_that_it_passes_to_the_study_and_ends_with_exercises() -> None:
    from vsslib.study.settings import NOTEBOOK_KNOBS

    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    assert len(sources) == 9
    for source in sources:
        defaults, passed = _parameters(source)
        knobs = set(defaults) - {"params_file", "results_dir"}
        assert 1 <= len(knobs) <= 2 and knobs <= set(NOTEBOOK_KNOBS), (source.name, knobs)
        assert all(defaults[k] is None for k in knobs), source.name  # make figures runs the settings file
        assert passed == knobs, (source.name, passed)
        cell = source.read_text().split('# %% tags=["parameters"]\n', 1)[1].split("\n# %%", 1)[0]
        assert all(f"{k} = None  # " in cell for k in knobs), source.name  # each with a comment
        exercises = source.read_text().split("# ## Exercises", 1)
        assert len(exercises) == 2, source.name
        assert 2 <= exercises[1].count("<details><summary>Solution</summary>") <= 3, source.name
        assert exercises[1].count("</details>") == exercises[1].count("<details>"), source.name
