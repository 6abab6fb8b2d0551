"""Cost measurements: stage timing, peak memory, and one tiny real-SAM2 timing with random weights."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from vsslib.analysis import STAGES, measure_seconds, peak_memory, refiner_stages, sam2_cost_grid, time_stages
from vsslib.base.devices import resident_mib
from vsslib.base.errors import ParameterError
from vsslib.refine import refine


def test_time_stages_measures_a_sleep() -> None:
    table = time_stages({"sleep": lambda: time.sleep(0.05), "noop": lambda: None},
                        num_frames={"sleep": 5, "noop": 1}, repeats=3, warmup=0)
    assert table["stage"].tolist() == ["sleep", "noop"]
    assert table["frames"].tolist() == [5, 1]
    assert table["repeats"].tolist() == [3, 3]
    sleep = table.iloc[0]
    assert 0.05 <= sleep["seconds"] < 0.15  # a sleep never returns early; a busy machine may add a little
    assert sleep["seconds_per_frame"] == pytest.approx(sleep["seconds"] / 5)
    assert sleep["min_seconds"] <= sleep["seconds"] <= sleep["max_seconds"]
    assert (table["seconds"] > 0).all()
    assert table.iloc[1]["seconds"] < 0.01


def test_measure_seconds_warms_up_then_times_each_repeat() -> None:
    calls = []
    seconds = measure_seconds(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6 and seconds.shape == (4,) and (seconds >= 0).all()
    with pytest.raises(ParameterError, match="repeats=0"):
        measure_seconds(lambda: None, repeats=0)
    with pytest.raises(ParameterError, match=r"no frame count for stage\(s\) \['b'\]"):
        time_stages({"a": lambda: None, "b": lambda: None}, num_frames={"a": 1})


def test_peak_memory_sees_a_200_mib_allocation() -> None:
    size = 200 * 2**20

    before: list[float | None] = []

    def anonymous_mib() -> float | None:
        """RssAnon of /proc/self/status (MiB): the resident pages no file backs, which the kernel cannot drop
        the way it drops clean file pages (VmRSS fell by 5 MiB during the block on CI once, so it is no floor)."""
        status = Path("/proc/self/status")
        line = next((x for x in status.read_text().splitlines() if x.startswith("RssAnon:")), None) \
            if status.is_file() else None
        return int(line.split()[1]) / 1024.0 if line else resident_mib()

    def allocate() -> float:
        before.append(anonymous_mib())  # what is resident just before the block (the process may have freed some
        block = np.ones(size, np.uint8)  # memory since peak_memory read its start: CI measured 194 MiB above it)
        return float(block[::4096].sum())  # np.ones writes every page, so all of it is resident

    seen = peak_memory(allocate)
    assert seen.result == size / 4096
    if sys.platform.startswith("linux"):
        assert seen.method == "VmHWM"
        assert seen.peak_mib >= before[0] + 199  # the peak holds the whole block on top of the anonymous pages
        assert 150 <= seen.increase_mib < 400
    else:
        assert seen.peak_mib >= 200
    small = peak_memory(lambda: None)  # the high-water mark was reset: the earlier peak is not seen again
    if small.method == "VmHWM":
        assert small.increase_mib < 20


class _BoxSource:
    """A masklet source with the SAM2 interface: one box per key frame, carried unchanged."""

    def __init__(self, window: int) -> None:
        self.settings = SimpleNamespace(windows=SimpleNamespace(window=window))
        self.calls = {"propose": 0, "propagate": 0}

    def propose(self, frame: np.ndarray) -> np.ndarray:
        self.calls["propose"] += 1
        masks = np.zeros((1,) + frame.shape[:2], bool)
        masks[0, :2, :2] = True
        return masks

    def propagate(self, frames: np.ndarray, masks: np.ndarray, ids: np.ndarray) -> np.ndarray:
        self.calls["propagate"] += 1
        return np.where(masks[0], ids[0], -1).astype(np.int32)[None].repeat(len(frames), axis=0)

    def __call__(self, frames: np.ndarray, video=None) -> np.ndarray:
        ids = np.full(frames.shape[:3], -1, np.int32)
        ids[:, :2, :2] = 0
        return ids


def test_refiner_stages_cover_every_stage_and_compute_the_real_outputs() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (5, 4, 6)).astype(np.uint8)
    video = SimpleNamespace(frames=rng.integers(0, 255, (5, 4, 6, 3), dtype=np.uint8), labels=labels,
                            num_frames=5)
    segmenter = SimpleNamespace(predict=lambda v: labels[::-1].copy())
    source = _BoxSource(window=2)
    stages = refiner_stages(video, segmenter, source, 3)
    assert tuple(stages) == STAGES
    before = dict(source.calls)
    assert len(stages["proposal"]()) == 3  # key frames 0, 2, 4
    assert len(stages["propagation"]()) == 3
    assert source.calls == {"propose": before["propose"] + 3, "propagate": before["propagate"] + 3}
    np.testing.assert_array_equal(stages["refinement"](), refine(labels[::-1], source(video.frames), 3))
    assert stages["metrics"]().frames == 5
    table = time_stages(stages, num_frames=5, repeats=1, warmup=0)
    assert table["stage"].tolist() == list(STAGES) and (table["seconds"] > 0).all()
    # a source without propose/propagate is timed as one stage
    whole = refiner_stages(video, segmenter, lambda frames, v=None: np.zeros(frames.shape[:3], np.int32), 3)
    assert tuple(whole) == ("baseline", "masklets", "refinement", "metrics")


@pytest.mark.sam2
def test_a_generator_line_that_does_not_rise_predicts_the_slowest_measured_time_as_a_lower_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import vsslib.analysis.cost as cost_module

    times = iter([4.0, 2.7])  # 1x1 then 2x2, as once measured on a loaded machine: the fitted line falls

    def timed(fn, *, repeats: int = 1, warmup: int = 0) -> list[float]:
        fn()
        return [next(times)]

    monkeypatch.setattr(cost_module, "measure_seconds", timed)
    gen = sam2_cost_grid([1, 2, 4], [], frame_shape=(32, 48), max_measured_grid=2).generator
    gen = gen.set_index("points_per_side")
    assert gen["seconds"].tolist() == [4.0, 2.7, 4.0]  # the line would give 4.0 - 0.144 * 45 = -2.5 s
    assert gen.loc[4, "extrapolated"] and gen.loc[4, "label"] == (
        "generator, 4x4 points, 1 key frame (the measured 1x1, 2x2 did not take longer with more prompts (timing "
        "noise), so the slowest of them: a lower bound)")


def test_sam2_cost_grid_with_random_weights() -> None:
    """Real sam2, random hiera-tiny, tiny frames: grids 1 and 2 timed, grid 4 predicted from them; two
    propagated frames measured, a window of 3 extended by repeating the last one."""
    cost = sam2_cost_grid([1, 2, 4], [2, 3], frame_shape=(32, 48), n_objects=1, measured_frames=2,
                          max_measured_grid=2)
    gen = cost.generator.set_index("points_per_side")
    assert gen["candidates"].tolist() == [3, 12, 48]
    assert gen["extrapolated"].tolist() == [False, False, True]
    assert (gen["seconds"] > 0).all() and gen.loc[4, "masks_kept"] == -1
    # the line through the two measured grids, in seconds per candidate (where it rises: timing noise on these
    # tiny grids can make 2x2 the faster one, which the next test covers)
    slope = (gen.loc[2, "seconds"] - gen.loc[1, "seconds"]) / (12 - 3)
    if slope > 0:
        assert gen.loc[4, "seconds"] == pytest.approx(gen.loc[1, "seconds"] + slope * (48 - 3))
        assert gen.loc[4, "label"] == "generator, 4x4 points, 1 key frame (extrapolated from 1x1, 2x2)"

    frames = cost.frames
    assert frames["frame"].tolist() == [0, 1, 2] and frames["measured"].tolist() == [True, True, False]
    assert (frames["seconds"] > 0).all() and cost.setup_seconds > 0
    # stopped before the memory bank filled (7 frames): the unmeasured frame repeats the last measured one
    assert frames["seconds"][2] == frames["seconds"][1]
    rows = cost.propagation.set_index("window")
    assert rows.loc[2, "seconds"] == pytest.approx(cost.setup_seconds + frames["seconds"][:2].sum())
    assert rows.loc[3, "seconds"] == pytest.approx(cost.setup_seconds + frames["seconds"].sum())
    assert rows["extrapolated"].tolist() == [False, True]
    assert rows.loc[3, "label"] == ("propagation, 1 seeded mask, window 3 (extrapolated beyond 2 measured "
                                    "frames, before the memory bank filled: a lower bound)")
    per_frame = cost.per_video_frame().set_index(["points_per_side", "window"])["seconds_per_frame"]
    assert per_frame[(2, 3)] == pytest.approx((gen.loc[2, "seconds"] + rows.loc[3, "seconds"]) / 3)
    import matplotlib.pyplot as plt

    from vsslib import viz

    fig = viz.cost.plot_sam2_cost(cost, title="t")  # the figure says what the table says: a lower bound
    labels = [line.get_label() for ax in fig.axes for line in ax.get_lines()]
    assert "extended at the last measured rate (memory bank not yet full: a lower bound)" in labels
    assert not any("flat rate" in label for label in labels)
    heatmap = fig.axes[2]  # window 2 measured, window 3 extended early; grid 4 predicted
    cells = {t.get_text() for t in heatmap.texts}
    expected = {f"{'≥ ' if w == 3 else ''}{per_frame[(g, w)]:.1f}{'*' if g == 4 else ''}" for g in (1, 2, 4)
                for w in (2, 3)}
    assert cells == expected
    colours = heatmap.images[0].norm  # from zero: cells a few percent apart do not look like opposites
    assert colours.vmin == 0.0 and colours.vmax == pytest.approx(per_frame.max())
    assert "≥ a lower bound" in heatmap.get_xlabel() and "* generator time predicted" in heatmap.get_xlabel()
    plt.close(fig)
    with pytest.raises(ParameterError, match="predicting \\[4\\] needs two"):
        sam2_cost_grid([1, 4], [], max_measured_grid=2)


def test_synthetic_frames_drift_one_pixel_a_frame_and_seeds_are_disjoint_boxes() -> None:
    from vsslib.analysis.cost import seed_masks, synthetic_frames

    frames = synthetic_frames(3, (32, 48), seed=0)
    assert frames.shape == (3, 32, 48, 3) and frames.dtype == np.uint8
    np.testing.assert_array_equal(frames[1][:, :-1], frames[0][:, 1:])  # the field moves left by one column
    np.testing.assert_array_equal(synthetic_frames(3, (32, 48), seed=0), frames)  # deterministic
    masks = seed_masks(5, (32, 48))  # a 3 x 2 grid of cells, 5 used, each box the middle half of its cell
    assert masks.shape == (5, 32, 48) and masks.sum(axis=0).max() == 1
    cell = np.zeros((32, 48), bool)
    cell[4:12, 4:12] = True  # rows 0..16 -> 4..12, columns 0..16 -> 4..12
    np.testing.assert_array_equal(masks[0], cell)


def test_sam2_rates_divide_the_sources_counters() -> None:
    from vsslib.analysis import sam2_rates

    table = sam2_rates({"sam2-mini": {"build": 0.5, "generate": 3.0, "generate_frames": 2, "propagate": 12.0,
                                      "propagate_frames": 10, "propagate_object_frames": 40},
                        "idle": {"generate": 0.0, "generate_frames": 0, "propagate": 0.0, "propagate_frames": 0,
                                 "propagate_object_frames": 0}})
    first = table.iloc[0]
    assert (first["key_frames"], first["seconds_per_key_frame"], first["object_frames"]) == (2, 1.5, 40)
    assert (first["objects_per_frame"], first["seconds_per_object_frame"]) == (4.0, 0.3)
    assert table.iloc[1][["seconds_per_key_frame", "seconds_per_object_frame"]].isna().all()
    with pytest.raises(ParameterError, match="timings of 'x' lack \\['propagate_object_frames'\\]"):
        sam2_rates({"x": {"generate": 1.0, "generate_frames": 1, "propagate": 1.0, "propagate_frames": 1}})


def test_pipeline_summary_leaves_the_metrics_stage_out_of_each_pipeline() -> None:
    import pandas as pd

    from vsslib.analysis import pipeline_summary

    times = pd.DataFrame([("net", "classical", stage, s) for stage, s in
                          [("baseline", 0.02), ("proposal", 0.01), ("propagation", 0.05), ("refinement", 0.02),
                           ("metrics", 0.40)]]
                         + [("net", "oracle", stage, s) for stage, s in
                            [("baseline", 0.02), ("masklets", 0.0), ("refinement", 0.03), ("metrics", 0.40)]],
                         columns=["baseline", "masklets", "stage", "seconds_per_frame"])
    summary = pipeline_summary(times)
    assert list(summary["masklets"]) == ["classical", "oracle"]
    # classical: 0.02 + 0.01 + 0.05 + 0.02 = 0.10 s, the vote 0.02 of it; metrics (0.40) is not the slowest
    np.testing.assert_allclose(summary["seconds_per_frame"], [0.10, 0.05])
    np.testing.assert_allclose(summary["vote_share"], [0.2, 0.6])
    assert list(summary["slowest"]) == ["propagation", "refinement"]
    np.testing.assert_allclose(summary["slowest_seconds_per_frame"], [0.05, 0.03])
    # the next slowest: classical's baseline and refinement tie at 0.02 (the first in stage order is named)
    assert list(summary["runner_up"]) == ["baseline", "baseline"]
    np.testing.assert_allclose(summary["slowest_lead"], [0.05 / 0.02, 0.03 / 0.02])
    alone = pipeline_summary(times[times["stage"].isin(["baseline", "metrics"])])
    assert np.isnan(alone["slowest_lead"]).all() and list(alone["runner_up"]) == ["", ""]
    free = times.assign(seconds_per_frame=times["seconds_per_frame"].where(times["stage"] != "baseline", 0.0))
    assert pipeline_summary(free[free["stage"].isin(["baseline", "refinement"])])["slowest_lead"].tolist() == [
        np.inf, np.inf]
    with pytest.raises(ParameterError, match=r"stage times: the table lacks the column\(s\) \['stage'\]"):
        pipeline_summary(times.drop(columns="stage"))
