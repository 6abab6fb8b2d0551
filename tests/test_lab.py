"""JupyterLab without friction: opening and saving a stored notebook changes no byte of it or of its paired source."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat

from vsslib.study.notebooks import KERNELSPEC, list_notebooks

ROOT = Path(__file__).resolve().parent.parent


def _installed_kernel() -> dict[str, str]:
    """The kernel ``make venv`` installs, read from the Makefile's ``ipykernel install`` line."""
    line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if "ipykernel install" in line)
    name = re.search(r"--name (\S+)", line).group(1)
    display = re.search(r'--display-name "([^"]+)"', line).group(1)
    return {"display_name": display, "language": "python", "name": name}


def test_every_notebook_names_the_kernel_make_venv_installs() -> None:
    assert _installed_kernel() == KERNELSPEC == {"display_name": "Python 3 (vsslib)", "language": "python",
                                                 "name": "python3"}
    notebooks = list_notebooks(ROOT)
    assert len(notebooks) == 9
    for path in notebooks:
        assert nbformat.read(path, as_version=4).metadata["kernelspec"] == KERNELSPEC, path.name
        header = jupytext.read(path.with_suffix(".py"), fmt="py:percent").metadata
        assert header["kernelspec"] == KERNELSPEC, path.with_suffix(".py").name


def test_saving_a_notebook_in_lab_rewrites_neither_file() -> None:
    """Lab (with jupytext's pairing) saves the ``.ipynb`` with nbformat and the ``.py`` with jupytext: both must
    give back the stored bytes."""
    for path in list_notebooks(ROOT):
        nb = nbformat.read(path, as_version=4)
        assert nbformat.writes(nb) + "\n" == path.read_text(), path.name
        source = path.with_suffix(".py")
        assert jupytext.writes(nb, fmt="py:percent") == source.read_text(), source.name


def test_make_lab_opens_the_repository_root_on_the_tour() -> None:
    recipe = (ROOT / "Makefile").read_text().split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert '--ServerApp.root_dir="$(CURDIR)"' in recipe and "--LabApp.default_url=/lab/tree/$(LAB_START)" in recipe
    assert "LAB_START := notebooks/00_tour.ipynb" in (ROOT / "Makefile").read_text()
    assert (ROOT / "notebooks" / "00_tour.ipynb").is_file()
