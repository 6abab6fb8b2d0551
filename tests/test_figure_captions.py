"""Every figure a notebook saves has a caption: required by the one call that saves and shows figures."""

from __future__ import annotations

import ast
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from vsslib import viz
from vsslib.viz._draw import MIN_TEXT_PT

ROOT = Path(__file__).resolve().parent.parent
SAVERS = ("save_figure", "save_animation")


def _calls(source: Path) -> list[ast.Call]:
    """The calls of ``save_figure`` / ``save_animation`` in a notebook's paired source."""
    tree = ast.parse("\n".join(line for line in source.read_text().splitlines() if not line.startswith("%")))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) in SAVERS]


def test_every_figure_a_notebook_saves_is_given_a_caption() -> None:
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    assert len(sources) == 9
    counted, missing = 0, []
    for source in sources:
        for call in _calls(source):
            counted += 1
            caption = next((k.value for k in call.keywords if k.arg == "caption"), None)
            literal = caption.value if isinstance(caption, ast.Constant) else None
            if caption is None or (literal is not None and not str(literal).strip()):
                missing.append(f"{source.name}:{call.lineno}")
    assert missing == [] and counted >= 20, (missing, counted)


def test_a_figure_without_a_caption_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"figure 'bare': caption ' ' is empty; say in a sentence what is plotted"):
        viz.save_figure(fig, "bare", caption=" ", root=tmp_path)
    plt.close(fig)
    with pytest.raises(TypeError, match="caption"):
        viz.save_figure(plt.figure(), "bare", root=tmp_path)  # type: ignore[call-arg]
    plt.close("all")
    with pytest.raises(ValueError, match=r"figure 'anim': caption '' is empty"):
        viz.save_animation(b"GIF89a....", "anim", caption="", root=tmp_path)
    assert not (tmp_path / "figures").exists() and not (tmp_path / "index.json").exists()


def test_a_caption_is_shown_verbatim_as_markdown() -> None:
    assert viz.caption_markdown("IoU *per* class_name [0, 1]\n  on `val`") == \
        "IoU \\*per\\* class\\_name \\[0, 1\\] on \\`val\\`"


def test_the_smallest_text_of_a_figure_is_recorded_at_the_page_width(tmp_path: Path) -> None:
    import json

    for name, width_in, size in (("narrow", 4, 6.5), ("wide", 18, 12)):  # the wide one is shown at half size
        fig, ax = plt.subplots(figsize=(width_in, 2))
        fig.subplots_adjust(left=0, right=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("title", fontsize=size)
        ax.text(0.5, 0.5, "big", fontsize=20)
        viz.save_figure(fig, name, caption=f"A {name} figure", root=tmp_path)
    recorded = json.loads((tmp_path / "index.json").read_text())["figures"]
    assert recorded["narrow"]["smallest_text_pt"] == pytest.approx(6.5)
    assert recorded["wide"]["smallest_text_pt"] == pytest.approx(6.0, abs=0.6)  # 12 pt at 9 in of ~18


def test_every_committed_figure_keeps_its_text_legible_at_the_page_width() -> None:
    import json

    figures = json.loads((ROOT / "results" / "index.json").read_text())["figures"]
    assert len(figures) >= 20
    smallest = {name: entry.get("smallest_text_pt") for name, entry in figures.items()
                if not entry["file"].endswith(".gif")}
    assert {n: s for n, s in smallest.items() if s is None or s < MIN_TEXT_PT} == {}


def test_a_tables_markdown_copy_reads_n_a_and_infinity_where_the_csv_has_nan_and_inf(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    table = pd.DataFrame({"bin": ["< 50", ">= 3200"], "high": [50.0, np.inf], "gain": [np.nan, -4.5]})
    viz.save_table(table, "bins", caption="Bins", root=tmp_path)
    assert (tmp_path / "tables" / "bins.md").read_text().splitlines()[2:] == [
        "| < 50 | 50.0000 | n/a |", "| >= 3200 | ∞ | -4.5000 |"]
    assert (tmp_path / "tables" / "bins.csv").read_text().splitlines()[1:] == ["< 50,50.0000,", ">= 3200,inf,-4.5000"]
