"""The study runner: results comparison (make verify) and the summary."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from vsslib import viz
from vsslib.params import StudyParams
from vsslib.study import compare_results, write_summary


def _make_results(root: Path, *, iou: float, fps: float, dot: tuple[int, int]) -> None:
    table = pd.DataFrame({"method": ["baseline", "refined"], "miou": [0.5, iou], "fps": [10.0, fps]})
    viz.save_table(table, "refiner", caption="toy table", root=root, machine_dependent_columns=("fps",))
    image = np.zeros((8, 8))
    image[dot] = 1
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.imshow(image)
    viz.save_figure(fig, "toy_figure", caption="a dot", root=root)
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.bar([0], [fps])
    viz.save_figure(fig, "cost_bars", caption="timing", root=root, machine_dependent=True)


def test_identical_results_reproduce_even_with_other_timings(tmp_path: Path) -> None:
    _make_results(tmp_path / "a", iou=0.6, fps=12.0, dot=(2, 2))
    _make_results(tmp_path / "b", iou=0.6, fps=13.5, dot=(2, 2))
    report = compare_results(tmp_path / "a", tmp_path / "b")
    assert report.ok, report.differences
    assert report.compared == 3
    assert any("column 'fps' holds measured times" in line for line in report.machine_dependent)
    assert any("cost_bars.png" in line for line in report.machine_dependent)


def test_a_changed_cell_and_a_changed_pixel_are_reported(tmp_path: Path) -> None:
    _make_results(tmp_path / "a", iou=0.6, fps=12.0, dot=(2, 2))
    _make_results(tmp_path / "b", iou=0.61, fps=12.0, dot=(5, 5))
    report = compare_results(tmp_path / "a", tmp_path / "b")
    assert not report.ok
    assert "tables/refiner.csv: row 1, column 'miou': committed '0.6000', re-run '0.6100'" in report.differences
    assert any(line.startswith("figures/toy_figure.png:") and "pixels differ" in line
               for line in report.differences)


def test_missing_files_are_reported(tmp_path: Path) -> None:
    _make_results(tmp_path / "a", iou=0.6, fps=12.0, dot=(2, 2))
    _make_results(tmp_path / "b", iou=0.6, fps=12.0, dot=(2, 2))
    (tmp_path / "b" / "figures" / "toy_figure.png").unlink()
    report = compare_results(tmp_path / "a", tmp_path / "b")
    assert report.differences == ["figures/toy_figure.png: committed but not produced by the re-run"]


def test_save_table_rejects_unknown_timing_column(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"machine_dependent_columns \['fps'\]"):
        viz.save_table(pd.DataFrame({"a": [1]}), "t", caption="c", root=tmp_path,
                       machine_dependent_columns=("fps",))


def test_summary_lists_headline_tables_and_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VSSLIB_RESULTS", str(tmp_path))
    _make_results(tmp_path, iou=0.6, fps=12.0, dot=(2, 2))
    summary = write_summary(StudyParams()).read_text()
    assert "## Approach 1" in summary and "| refined | 0.6000 | 12.0000 |" in summary
    assert "| [figures/toy_figure.png](figures/toy_figure.png) | a dot | interactive |" in summary
    assert "generated benchmark (VSPW layout, not VSPW)" in summary
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["tables"]["refiner"]["machine_dependent_columns"] == ["fps"]
