"""Plot helpers for the notebooks. No algorithm lives here: every number plotted comes from vsslib.

Topic modules, named for what they draw: ``dataset`` (frames, class frequencies, object sizes), ``training``
(loss curves, boundary close-ups), ``masks`` (masklet pictures), ``refiner`` (the method step by step, gains,
the mask-quality sweep, animations), ``classify`` (approach 2), ``boundary`` (boundary analyses),
``failures`` (failure causes and examples), ``cost`` (times and memory), ``metric_drawings`` (the metrics,
the vote scopes and the masklet sources drawn on real frames) and ``prose`` (numbers in sentences).

Shared pieces live here: the figure style, colourising label maps, and :func:`save_figure` /
:func:`save_animation` / :func:`save_table`, which write into ``<results>/`` with deterministic bytes (so
``make verify`` can compare them) and show the figure inline when called inside a notebook.
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..base.io import atomic_path, write_bytes_atomic, write_json_atomic, write_text_atomic
from ._draw import FIGURE_DPI, colorize, in_notebook, overlay, set_style, shown_width, smallest_text_pt

__all__ = ["FIGURE_DPI", "CAPTION_MARK", "set_style", "colorize", "overlay", "save_figure", "save_animation",
           "save_table", "ResultsFolder", "INTERACTIVE", "in_notebook", "prune_index", "caption_markdown",
           "shown_width"]

INTERACTIVE = "interactive"
"""The notebook name :func:`save_figure` and :func:`save_table` record when none is given (a hand session)."""


@dataclass(frozen=True)
class ResultsFolder:
    """Where one notebook writes its figures and tables, and the notebook name ``<root>/index.json`` records
    for each of them (so that :func:`prune_index` can drop what that notebook no longer makes).

    ``root`` : the results folder (``figures/``, ``tables/`` and ``index.json`` go inside).
    ``notebook`` : the notebook's file name, e.g. ``"03_refiner.ipynb"``.
    """

    root: Path
    notebook: str = INTERACTIVE

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))
        if not isinstance(self.notebook, str) or not self.notebook or "/" in self.notebook:
            raise ValueError(f"ResultsFolder: notebook={self.notebook!r} must be a file name such as "
                             "'03_refiner.ipynb'")

    def save_figure(self, fig: plt.Figure, name: str, *, caption: str, machine_dependent: bool = False) -> None:
        """:func:`save_figure` into this folder."""
        save_figure(fig, name, caption=caption, root=self.root, notebook=self.notebook,
                    machine_dependent=machine_dependent)

    def save_animation(self, gif: bytes, name: str, *, caption: str) -> None:
        """:func:`save_animation` into this folder."""
        save_animation(gif, name, caption=caption, root=self.root, notebook=self.notebook)

    def save_table(self, table: pd.DataFrame, name: str, *, caption: str, float_format: str = "%.4f",
                   machine_dependent_columns: tuple[str, ...] = ()) -> Path:
        """:func:`save_table` into this folder."""
        return save_table(table, name, caption=caption, root=self.root, notebook=self.notebook,
                          float_format=float_format, machine_dependent_columns=machine_dependent_columns)


CAPTION_MARK = "vsslib_caption"
"""Output-metadata key marking the caption :func:`save_figure` shows under a figure (the site folds it into the
figure, :mod:`vsslib.study.site`)."""


def _show(data: bytes, mimetype: str, *, width: int, caption: str) -> None:
    """Display an image in the running notebook (``mimetype`` data, ``width`` CSS pixels wide) and its caption
    under it, as a Markdown output marked ``CAPTION_MARK``."""
    from IPython.display import display

    bundle = {mimetype: base64.b64encode(data).decode("ascii"), "text/plain": f"<figure: {caption}>"}
    display(bundle, raw=True, metadata={mimetype: {"width": width}})
    display({"text/markdown": f"*{caption_markdown(caption)}*", "text/plain": caption}, raw=True,
            metadata={CAPTION_MARK: True})


def caption_markdown(text: str) -> str:
    """A caption (plain text) as Markdown that shows it verbatim: one line, with the characters Markdown would
    read as emphasis or markup escaped."""
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in " ".join(text.split()))


def _check_caption(name: str, caption: str) -> None:
    """Every figure needs a caption saying what is plotted, on which data and how to read it."""
    if not isinstance(caption, str) or not caption.strip():
        raise ValueError(f"figure {name!r}: caption {caption!r} is empty; say in a sentence what is plotted, on "
                         "which data (network, seeds, videos) and how to read it")


def save_figure(fig: plt.Figure, name: str, *, caption: str, root: str | os.PathLike[str],
                notebook: str = INTERACTIVE, machine_dependent: bool = False) -> None:
    """Save ``fig`` as ``<results>/figures/<name>.png`` (150 dpi) and ``.pdf``, show it inline, close it.

    Both files are written atomically without timestamps (same figure, same bytes). Inside a notebook the
    PNG is displayed as the cell's output, so executed notebooks carry every figure; elsewhere nothing is
    shown. ``caption`` (one sentence: what the reader should see) goes into ``<results>/index.json``, from
    which ``results/summary.md`` is built. ``machine_dependent`` marks figures of measured times, which
    ``make verify`` reports but cannot compare pixel for pixel. ``notebook`` is recorded beside the caption, and
    so is the figure's smallest text in points once shown at the page's width (``smallest_text_pt``,
    :func:`vsslib.viz._draw.smallest_text_pt`; a test holds every committed figure to ``MIN_TEXT_PT``).
    Returns nothing, so that a notebook cell ending with this call prints no path.
    """
    _check_caption(name, caption)
    base = Path(root)
    folder = base / "figures"
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight", metadata={"Software": None})
    smallest = smallest_text_pt(fig, draw=False)  # measured on the render savefig just made
    png = buffer.getvalue()
    write_bytes_atomic(folder / f"{name}.png", png)
    with atomic_path(folder / f"{name}.pdf") as tmp:
        fig.savefig(tmp, format="pdf", bbox_inches="tight",
                    metadata={"Creator": None, "Producer": None, "CreationDate": None})
    plt.close(fig)
    _record(base, "figures", name, {"file": f"figures/{name}.png", "vector": f"figures/{name}.pdf",
                                    "caption": caption, "machine_dependent": machine_dependent,
                                    "smallest_text_pt": smallest}, notebook)
    if in_notebook():
        _show(png, "image/png", width=shown_width(png), caption=caption)


def save_animation(gif: bytes, name: str, *, caption: str, root: str | os.PathLike[str],
                   notebook: str = INTERACTIVE) -> None:
    """Save an animated GIF (bytes, e.g. from :func:`vsslib.viz.refiner.animate_refinement`) as
    ``<results>/figures/<name>.gif``, index it and show it inline in a notebook."""
    if gif[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError(f"save_animation({name!r}): the data is not a GIF (starts with {gif[:6]!r})")
    _check_caption(name, caption)
    base = Path(root)
    write_bytes_atomic(base / "figures" / f"{name}.gif", gif)
    _record(base, "figures", f"{name}.gif", {"file": f"figures/{name}.gif", "caption": caption,
                                             "machine_dependent": False}, notebook)
    if in_notebook():
        _show(gif, "image/gif", width=int.from_bytes(gif[6:8], "little"), caption=caption)


def save_table(table: pd.DataFrame, name: str, *, caption: str, root: str | os.PathLike[str],
               notebook: str = INTERACTIVE, float_format: str = "%.4f",
               machine_dependent_columns: tuple[str, ...] = ()) -> Path:
    """Save ``table`` as ``<results>/tables/<name>.csv`` plus a Markdown copy ``<name>.md``.

    ``machine_dependent_columns`` name columns of measured times (seconds, frames per second), which
    ``make verify`` reports but does not require to match.
    """
    base = Path(root)
    folder = base / "tables"
    csv_path = folder / f"{name}.csv"
    write_text_atomic(csv_path, table.to_csv(index=False, float_format=float_format, lineterminator="\n"))
    write_text_atomic(folder / f"{name}.md", _to_markdown(table, float_format) + "\n")
    missing = [c for c in machine_dependent_columns if c not in table.columns]
    if missing:
        raise ValueError(f"table {name}: machine_dependent_columns {missing} are not columns of the table "
                         f"({list(table.columns)})")
    _record(base, "tables", name, {"file": f"tables/{name}.csv", "caption": caption,
                                   "machine_dependent_columns": list(machine_dependent_columns)}, notebook)
    return csv_path


def _record(base: Path, kind: str, name: str, entry: dict, notebook: str) -> None:
    """Add one entry to ``<results>/index.json`` (what each file shows and which notebook made it)."""
    entry = {**entry, "notebook": notebook}
    with _locked_index(base) as index:
        index.setdefault(kind, {})[name] = entry


@contextmanager
def _locked_index(base: Path) -> Iterator[dict]:
    """``<base>/index.json`` as a dict (empty if absent), written back on exit; one process at a time, since
    notebooks run side by side."""
    import fcntl

    index_path = base / "index.json"
    with open(base / ".index.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        index = json.loads(index_path.read_text()) if index_path.is_file() else {}
        yield index
        write_json_atomic(index_path, index)


def prune_index(base: str | os.PathLike[str], notebook: str, since: float) -> list[Path]:
    """Drop what ``notebook`` recorded in ``<base>/index.json`` on an earlier run and did not write again.

    After a notebook has run to its end, its entries whose files are older than ``since`` (the run's start,
    seconds since the epoch) belong to figures and tables it no longer makes: their entries and files go, so
    ``results/`` holds only what the current notebooks produce.

    Returns
    -------
    The files removed, sorted.
    """
    base = Path(base)
    if not (base / "index.json").is_file():
        return []
    removed: list[Path] = []
    with _locked_index(base) as index:
        for kind in ("figures", "tables"):
            for name, entry in list(index.get(kind, {}).items()):
                if entry.get("notebook") != notebook:
                    continue
                files = [base / entry["file"]] + ([base / entry["vector"]] if entry.get("vector") else [])
                if kind == "tables":
                    files.append((base / entry["file"]).with_suffix(".md"))
                if any(f.is_file() and f.stat().st_mtime >= since for f in files):
                    continue  # written by this run
                del index[kind][name]
                for f in files:
                    if f.is_file():
                        f.unlink()
                        removed.append(f)
    return sorted(removed)


def _to_markdown(table: pd.DataFrame, float_format: str) -> str:
    """The table as Markdown for people (the CSV beside it keeps ``nan`` and ``inf``): an empty cell (NaN: a
    gain of the baseline itself, a class absent) reads "n/a", an unbounded one (a bin's open upper edge) "∞"."""
    def cell(value: object) -> str:
        if isinstance(value, (float, np.floating)):
            if np.isnan(value):
                return "n/a"
            return ("∞" if value > 0 else "-∞") if np.isinf(value) else float_format % value
        return str(value)

    header = "| " + " | ".join(str(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


# The topic modules use the helpers above.
from . import (boundary, classify, cost, dataset, failures, intervals, masks, metric_drawings,  # noqa: E402, F401
               prose, refiner, training)
