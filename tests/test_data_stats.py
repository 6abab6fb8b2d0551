"""Dataset statistics on a tiny hand-built dataset (every expected number worked out in the comments), and
the vectorised object table against a plain loop."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from vsslib.data import Video
from vsslib.data.stats import (class_frequencies, entries_mid_window, instance_counts, object_sizes,
                               object_table, video_motion)
from vsslib.data.synth import BenchmarkSettings, render_video
from vsslib.base.errors import DataError, ParameterError

# Video v1: 3 frames of 2x4, classes a=0, b=1, 255 ignored, instance maps given.
V1_LABELS = np.array([[[0, 0, 1, 1], [0, 0, 1, 255]],
                      [[0, 0, 0, 1], [0, 0, 0, 1]],
                      [[0, 0, 0, 0], [0, 0, 0, 0]]], np.uint8)
V1_INSTANCES = np.array([[[1, 1, 2, 2], [1, 1, 2, 2]],  # object 2's ignored pixel does not count
                         [[1, 1, 1, 2], [1, 1, 3, 2]],  # object 3 (class a) enters at frame 1
                         [[1, 1, 1, 1], [1, 1, 3, 3]]], np.int32)  # object 2 has left
# Video v2: 2 frames of 2x3, no instance maps: objects are the components of the label volume,
# A = class b (frame 0: 2x2 block, frame 1: two pixels touching it) and B = class a (the rest).
V2_LABELS = np.array([[[1, 1, 0], [1, 1, 0]],
                      [[1, 0, 0], [255, 1, 0]]], np.uint8)


def _video(name: str, labels: np.ndarray, instances: np.ndarray | None) -> Video:
    t, h, w = labels.shape
    return Video(name, [f"{i:08d}" for i in range(t)], np.zeros((t, h, w, 3), np.uint8), labels, instances)


@dataclass
class TinyDataset:
    videos: list[Video]
    num_classes: int = 2
    class_names: tuple[str, ...] = ("a", "b")

    def __iter__(self):
        return iter(self.videos)


TINY = TinyDataset([_video("v1", V1_LABELS, V1_INSTANCES), _video("v2", V2_LABELS, None)])


def test_class_frequencies() -> None:
    table = class_frequencies(TINY)
    # class a: v1 4 + 6 + 8, v2 2 + 3 = 23 pixels; class b: v1 3 + 2 + 0, v2 4 + 2 = 11; 2 ignored.
    assert table["class"].tolist() == ["a", "b"]
    assert table["pixels"].tolist() == [23, 11]
    np.testing.assert_allclose(table["pixel_share"], [100 * 23 / 34, 100 * 11 / 34])  # percent
    assert table["frames_present"].tolist() == [5, 4]  # a: 3 + 2 frames; b: 2 + 2
    assert table["videos_present"].tolist() == [2, 2]


def test_object_table_by_hand() -> None:
    table = object_table(TINY).set_index(["video", "object"])
    one, two, three = (table.loc[("v1", k)] for k in (1, 2, 3))
    assert (one["class"], one["frames"], one["first_frame"], one["last_frame"]) == ("a", 3, 0, 2)
    assert (one["mean_area"], one["max_area"]) == (5.0, 6.0)  # areas 4, 5, 6
    # centroids (row, col): (0.5, 0.5) -> (0.4, 0.8) -> (1/3, 7/6)
    assert one["speed"] == pytest.approx((np.hypot(0.1, 0.3) + np.hypot(0.4 - 1 / 3, 7 / 6 - 0.8)) / 2)
    assert (two["class"], two["frames"], two["first_frame"], two["last_frame"]) == ("b", 2, 0, 1)
    assert (two["mean_area"], two["max_area"]) == (2.5, 3.0)  # 3 labelled pixels, then 2
    assert two["speed"] == pytest.approx(np.hypot(0.5 - 1 / 3, 3 - 7 / 3))  # (1/3, 7/3) -> (0.5, 3)
    assert (three["class"], three["first_frame"], three["mean_area"], three["speed"]) == ("a", 1, 1.5, 0.5)
    components = table.loc["v2"].sort_values("class")
    assert components["class"].tolist() == ["a", "b"]
    assert components["mean_area"].tolist() == [2.5, 3.0]  # B: 2 then 3 pixels; A: 4 then 2
    np.testing.assert_allclose(components["speed"], [np.hypot(1 / 6, 1 / 3), 0.0])


def test_instance_counts_sizes_motion_and_entries() -> None:
    counts = instance_counts(TINY).set_index("class")
    assert counts.loc["a", "instances"] == 3 and counts.loc["b", "instances"] == 2
    assert counts.loc["a", "mean_area"] == pytest.approx((5 + 1.5 + 2.5) / 3)
    assert counts.loc["a", "median_area"] == 2.5 and counts.loc["b", "mean_area"] == 2.75
    sizes = object_sizes(TINY)
    assert len(sizes) == 7 + 4  # v1: 2 + 3 + 2 visible objects per frame; v2: 2 + 2
    assert sizes.groupby("video")["area"].sum().to_dict() == {"v1": 23, "v2": 11}  # all labelled pixels
    assert sizes.query("video == 'v1' and object == 1")["area"].tolist() == [4, 5, 6]
    motion = video_motion(TINY).set_index("video")
    v1_steps = np.hypot(0.1, 0.3) + np.hypot(0.4 - 1 / 3, 7 / 6 - 0.8) + np.hypot(1 / 6, 2 / 3) + 0.5
    assert motion.loc["v1", "mean_displacement"] == pytest.approx(v1_steps / 4)  # 4 consecutive pairs
    assert motion.loc["v2", "mean_displacement"] == pytest.approx(np.hypot(1 / 6, 1 / 3) / 2)
    assert motion["objects"].tolist() == [3, 2]
    entries = entries_mid_window(TINY, 2).set_index("class")  # key frames 0 and 2
    assert entries.loc["a", "objects"] == 3 and entries.loc["a", "enters_mid_window"] == 1  # object 3
    assert entries.loc["b", "enters_mid_window"] == 0 and entries.loc["a", "share"] == pytest.approx(1 / 3)
    assert entries_mid_window(TINY, 1)["enters_mid_window"].sum() == 0  # every frame is a key frame
    # A precomputed object table gives the same answers as the dataset.
    objects = object_table(TINY)
    pd.testing.assert_frame_equal(entries_mid_window(objects, 2), entries_mid_window(TINY, 2))
    pd.testing.assert_frame_equal(instance_counts(objects), instance_counts(TINY))


def _plain_object_table(video: Video, class_names: tuple[str, ...]) -> dict[int, dict]:
    """Reference: one object and one frame at a time with boolean masks."""
    rows = {}
    for obj in np.unique(video.instances[video.labels != 255]):
        areas, centroids = [], []
        for t in range(video.num_frames):
            mask = (video.instances[t] == obj) & (video.labels[t] != 255)
            areas.append(int(mask.sum()))
            centroids.append(np.argwhere(mask).mean(axis=0) if mask.any() else None)
        steps = [float(np.hypot(*(centroids[t + 1] - centroids[t]))) for t in range(video.num_frames - 1)
                 if centroids[t] is not None and centroids[t + 1] is not None]
        seen = [t for t, a in enumerate(areas) if a]
        classes = video.labels[(video.instances == obj) & (video.labels != 255)]
        rows[int(obj)] = {"class": class_names[np.bincount(classes).argmax()], "frames": len(seen),
                          "first_frame": seen[0], "last_frame": seen[-1],
                          "mean_area": sum(areas) / len(seen), "max_area": max(areas),
                          "speed": float(np.mean(steps)) if steps else float("nan")}
    return rows


def test_object_table_matches_a_plain_loop_on_a_generated_video() -> None:
    settings = BenchmarkSettings(n_videos=3, n_frames=5, height=48, width=80, seed=5)
    frames, labels, instances = render_video(settings, 1)
    labels[:, :3] = 255  # some ignored pixels
    video = Video("g", [str(t) for t in range(5)], frames, labels, instances)
    names = tuple(f"c{k}" for k in range(10))
    table = object_table(TinyDataset([video], 10, names)).set_index("object")
    expected = _plain_object_table(video, names)
    assert sorted(table.index) == sorted(expected)
    for obj, row in expected.items():
        got = table.loc[obj]
        for key, value in row.items():
            if isinstance(value, str):
                assert got[key] == value
            else:
                np.testing.assert_allclose(got[key], value, rtol=1e-9, equal_nan=True, err_msg=f"{obj} {key}")


def test_errors() -> None:
    unlabelled = TinyDataset([Video("t1", ["0"], np.zeros((1, 2, 4, 3), np.uint8), labels=None)])
    with pytest.raises(DataError, match=r"video 't1' has no labels"):
        class_frequencies(unlabelled)
    with pytest.raises(ParameterError, match=r"window=0 must be a positive integer"):
        entries_mid_window(TINY, 0)
    with pytest.raises(ParameterError, match=r"the table lacks the column\(s\) \['frames', 'first_frame'"):
        entries_mid_window(pd.DataFrame({"video": [], "object": [], "class": []}), 8)
