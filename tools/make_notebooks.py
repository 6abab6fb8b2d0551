"""Write notebooks/*.ipynb from the cell lists below (run: python tools/make_notebooks.py).

Notebooks are stored without outputs; the parameters cell of each is generated from vsslib/params.py so
its defaults always equal params/default.yaml (tests/test_params.py checks it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from notebook_cells import NOTEBOOKS  # noqa: E402

PARAM_LINE = re.compile(r"^    (\w+): ([^=]+?) = (.+?)  # (.+)$")


def parameter_lines(names: list[str]) -> str:
    from vsslib.params import StudyParams

    source = (ROOT / "vsslib" / "params.py").read_text().splitlines()
    comments, types = {}, {}
    for line in source:
        match = PARAM_LINE.match(line)
        if match:
            types[match.group(1)] = match.group(2).strip()
            comments[match.group(1)] = match.group(4).strip()
    defaults = StudyParams().to_dict()
    lines = []
    for name in names:
        value = defaults[name]
        annotation = types[name].replace("tuple[str, ...]", "list").replace("tuple[float, ...]", "list").replace(
            "tuple[int, ...]", "list")
        lines.append(f"{name}: {annotation} = {value!r}  # {comments[name]}")
    return "\n".join(lines)


def build(spec: dict) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    cells = []
    for kind, text in spec["cells"]:
        if kind == "md":
            cells.append(nbformat.v4.new_markdown_cell(text.strip("\n")))
        elif kind == "params":
            cell = nbformat.v4.new_code_cell(parameter_lines(spec["params"]))
            cell.metadata["tags"] = ["parameters"]
            cells.append(cell)
        else:
            cells.append(nbformat.v4.new_code_cell(text.strip("\n")))
    for k, cell in enumerate(cells):
        cell["id"] = f"{spec['name'][:2]}-{k:02d}"
    nb.cells = cells
    return nb


def main() -> None:
    for spec in NOTEBOOKS:
        path = ROOT / "notebooks" / f"{spec['name']}.ipynb"
        nbformat.write(build(spec), path)
        print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":
    main()
