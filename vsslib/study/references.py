"""nbval's reference copies of the notebooks: make them, keep them honest, compare them without progress bars.

``make notebook-refs`` (``python -m vsslib.study.references``) executes every notebook with papermill on
``params/smoke.yaml`` through :func:`vsslib.study.notebooks.run_figures` (into the settings' scratch results folder,
never ``results/``) and stores each executed copy, with its outputs, under ``tests/notebooks/``.
``make test-notebooks`` re-executes those copies with ``pytest --nbval`` and compares every output with the stored
one. What nbval cannot compare is excused in three places, each with its reason: ``tests/notebooks/sanitize.cfg``
(substitutions: absolute paths, a cell's temporary file name, animations), ``tests/notebooks/ignore_output.yaml``
(the cells that print measured time, tagged ``nbval-ignore-output`` here) and ``tests/notebooks/conftest.py``
(progress bars, :func:`without_progress_bars`). A reference copy made from an older notebook is reported by
:func:`reference_differences`, since nbval would re-run the old cells.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from ..base.io import write_text_atomic
from ..base.errors import ParameterError
from .notebooks import list_notebooks, run_figures, run_order
from .settings import load_settings, repo_root

__all__ = ["REFERENCES_DIR", "IGNORE_OUTPUT_TAG", "PROGRESS_LINE", "load_ignored_outputs", "reference_copy",
           "reference_differences", "without_progress_bars", "make_references"]

REFERENCES_DIR = Path("tests") / "notebooks"
"""Where ``make notebook-refs`` stores the executed reference copies that ``make test-notebooks`` re-executes
with nbval and compares with, output by output."""
IGNORE_OUTPUT_TAG = "nbval-ignore-output"
"""nbval's cell tag: run the cell, do not compare its output."""
_VOLATILE_METADATA = ("papermill", "execution")  # per-cell run times papermill and the kernel record


def load_ignored_outputs(path: Path) -> list[dict[str, str]]:
    """The cells whose output nbval does not compare, from a YAML list of ``{notebook, cell, reason}``.

    ``notebook`` is a stem (``07_cost``), ``cell`` a piece of the cell's source that only that cell holds,
    ``reason`` one line saying why its output cannot be compared.

    Raises
    ------
    ParameterError : the file is not such a list, or an entry lacks one of the three keys.
    """
    entries = yaml.safe_load(Path(path).read_text()) or []
    if not isinstance(entries, list):
        raise ParameterError(f"{path}: expected a list of {{notebook, cell, reason}}, got {type(entries).__name__}")
    for k, entry in enumerate(entries):
        missing = [key for key in ("notebook", "cell", "reason")
                   if not isinstance(entry, dict) or not str(entry.get(key) or "").strip()]
        if missing:
            raise ParameterError(f"{path}: entry {k} ({entry!r}) lacks {', '.join(missing)}")
    return entries


def reference_copy(nb, name: str, root: Path, ignored: list[dict[str, str]] = ()):  # nb: NotebookNode, changed
    """An executed notebook as an nbval reference copy: no machine paths, no run times, time cells tagged.

    ``root`` (the repository's absolute path) is removed from every text output and traceback; papermill's
    notebook metadata and the per-cell timing metadata are dropped (so an unchanged run gives the same bytes);
    each code cell that ``ignored`` names for this notebook (``name``, a stem such as ``07_cost``; see
    :func:`load_ignored_outputs`) gets the tag
    :data:`IGNORE_OUTPUT_TAG`. Outputs are otherwise kept as the kernel sent them (streams unmerged, stderr
    kept as stderr), since nbval compares them so.

    Raises
    ------
    ParameterError : an entry of ``ignored`` for this notebook matches no code cell, or more than one.
    """
    prefix = str(root).rstrip("/") + "/"

    def strip(value: Any) -> Any:
        return value.replace(prefix, "").replace(str(root), ".") if isinstance(value, str) else value

    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        for key in _VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = strip(output.text)
            elif output.output_type == "error":
                output.traceback = [strip(line) for line in output.traceback]
            else:
                output["data"] = {kind: strip(value) for kind, value in output.get("data", {}).items()}
    for entry in ignored:
        if entry["notebook"] != name:
            continue
        hits = [cell for cell in nb.cells if cell.cell_type == "code" and entry["cell"] in cell.source]
        if len(hits) != 1:
            raise ParameterError(f"{name}: {len(hits)} code cells hold {entry['cell']!r} (listed to skip their "
                                 "output); name a piece of source that exactly one cell holds")
        tags = hits[0].metadata.setdefault("tags", [])
        if IGNORE_OUTPUT_TAG not in tags:
            tags.append(IGNORE_OUTPUT_TAG)
    return nb


PROGRESS_LINE = re.compile(r"^[^\n]*: (?:\s*\d+%\|[^|\n]*\| )?\d+(?:/\d+)?(?: ?\w+)? ?"
                           r"\[\d+:\d\d(?::\d\d)?(?:[<,][^\]\n]*)?\] *$")
"""The last state of a tqdm bar: ``desc: 100%|####| 7/7 [00:03<00:00, 2.1video/s]`` or ``desc: 4 runs [05:41]``."""


def without_progress_bars(outputs: list) -> list:  # outputs: nbformat output nodes of one cell, streams merged
    """A cell's outputs without its progress bars: every standard-error line that is a bar's last state
    (:data:`PROGRESS_LINE`, after carriage returns are applied) is removed, and a standard-error output left
    empty is dropped; warnings and everything else stay. ``tests/notebooks/conftest.py`` applies it to both
    sides of nbval's comparison, since a bar shows only while something is computed (it depends on what the
    cache held) and its times vary."""
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            lines = output["text"].splitlines(keepends=True)
            output["text"] = "".join(line for line in lines if not PROGRESS_LINE.match(line.rstrip("\r\n")))
            if not output["text"].strip():
                continue
        kept.append(output)
    return kept


def reference_differences(reference: Path, notebook: Path) -> list[str]:
    """How a reference copy's cells disagree with its notebook's (kinds, sources, tags other than nbval's and
    papermill's); an empty list means the reference was made from the notebook as it stands."""
    import nbformat

    mine = [c for c in nbformat.read(reference, as_version=4).cells
            if "injected-parameters" not in c.metadata.get("tags", [])]
    theirs = nbformat.read(notebook, as_version=4).cells
    problems = []
    if len(mine) != len(theirs):
        problems.append(f"{reference.name}: {len(mine)} cells, but {notebook.name} has {len(theirs)}")
    for k, (a, b) in enumerate(zip(theirs, mine)):
        tags = [t for t in b.metadata.get("tags", []) if t != IGNORE_OUTPUT_TAG]
        if a.cell_type != b.cell_type or a.source != b.source or a.metadata.get("tags", []) != tags:
            problems.append(f"{reference.name} cell {k}: differs from {notebook.name} "
                            f"(first line {a.source.splitlines()[:1]})")
    return problems


def make_references(params_file: Path, *, out_dir: Path | None = None, ignored_file: Path | None = None,
                    progress: bool = True) -> list[Path]:
    """Execute every notebook on ``params_file`` with papermill and store the executed copies as nbval
    reference copies in ``out_dir`` (default :data:`REFERENCES_DIR`); return their paths.

    Notebooks run one at a time through :func:`run_figures` (``02_baselines`` first, ``07_cost`` last), into
    the settings' results folder, which must not be the committed ``results/``; each copy goes through
    :func:`reference_copy` with the cells of ``ignored_file``. References of notebooks that no longer exist are
    removed.

    Raises
    ------
    ParameterError : the settings write to ``results/``, or ``ignored_file`` is invalid or names an unknown
        notebook. NotebookFailed : a notebook failed (no reference is written for it).
    """
    import nbformat

    root = repo_root()
    settings = load_settings(params_file)
    if settings.results.resolve() == (root / "results").resolve():
        raise ParameterError(f"{params_file}: its results folder is the committed results/; reference copies are "
                             "made on a scratch setting (params/smoke.yaml)")
    out_dir = Path(out_dir) if out_dir else root / REFERENCES_DIR
    ignored = load_ignored_outputs(ignored_file) if ignored_file else []
    by_stem = {nb.stem: nb for nb in list_notebooks(root)}
    notebooks = [by_stem[stem] for stage in run_order(list(by_stem)) for stem in stage]  # make figures' order
    unknown = sorted({entry["notebook"] for entry in ignored} - {nb.stem for nb in notebooks})
    if unknown:
        raise ParameterError(f"{ignored_file}: no such notebook {unknown}; known: {[nb.stem for nb in notebooks]}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for nb in notebooks:  # one at a time, each stored as soon as it ran
        run_figures(params_file, force=True, only=[nb.stem], jobs=1, tidy=False, progress=progress)
        executed = nbformat.read(settings.results / "notebooks" / nb.name, as_version=4)
        text = nbformat.writes(reference_copy(executed, nb.stem, root, ignored)) + "\n"
        written.append(write_text_atomic(out_dir / nb.name, text))
    for stale in sorted(set(out_dir.glob("[0-9][0-9]_*.ipynb")) - set(written)):
        stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vsslib.study.references", description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", type=Path, default=Path("params/smoke.yaml"), help="settings file (scratch)")
    parser.add_argument("--out", type=Path, default=None, help=f"folder of the copies (default {REFERENCES_DIR})")
    parser.add_argument("--ignore-output", type=Path, default=None,
                        help="YAML list of the cells whose output nbval does not compare, each with its reason")
    args = parser.parse_args(argv)
    root = repo_root()
    started = time.perf_counter()
    try:
        written = make_references(args.params, out_dir=args.out, ignored_file=args.ignore_output)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = ", ".join(str(p.resolve().relative_to(root)) if p.resolve().is_relative_to(root) else str(p)
                      for p in written)
    print(f"wrote {len(written)} reference copies in {time.perf_counter() - started:.0f} s: {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
