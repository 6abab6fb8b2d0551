"""Every figure a notebook saves has a caption: required by the one call that saves and shows figures."""

from __future__ import annotations

import ast
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from vsslib import viz

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
