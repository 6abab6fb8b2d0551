"""Run the study's notebooks: keep the paired sources in sync, execute them, summarize, render, verify.

Each notebook is edited as a jupytext ``py:percent`` file ``notebooks/NN_name.py``, paired with
``notebooks/NN_name.ipynb`` (stored without outputs; :func:`sync_notebooks`, ``make notebooks``, writes it).
``python -m vsslib.study.notebooks figures --params params/default.yaml`` (``make figures``) executes the notebooks
with papermill into ``<results>/notebooks/`` (two at a time where they do not depend on each other, see
:data:`SCHEDULE`), passing ``params_file`` and ``results_dir`` as
parameters (a notebook run by hand writes to ``scratch/results`` instead). A notebook is re-run only when its
inputs changed: its source, the settings file, or the vsslib sources (their hashes are kept in
``<results>/notebooks/stamps.json``); otherwise the command says that nothing needed running and how to force
it. ``html`` builds the site of the executed notebooks under ``<results>/html/`` (:mod:`vsslib.study.site`). ``verify``
re-runs the whole study into ``scratch/verify/`` with a cold cache and compares it with the committed results:
every table cell for cell and every figure pixel for pixel, except the cells and figures of measured times,
which it lists as machine-dependent.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..base.io import write_json_atomic, write_text_atomic
from ..base.cache import stable_hash
from ..base.errors import ParameterError
from .findings import headline, update_readme
from .settings import StudySettings, load_settings, repo_root
from .verify import VerifyReport, compare_results, record_settings

__all__ = ["KERNELSPEC", "list_notebooks", "list_sources", "notebook_parameters", "paired_notebook", "sync_notebooks",
           "pair_differences", "tidy_outputs", "run_figures", "write_summary", "write_html",
           "verify", "FORCE_HINT", "SCHEDULE", "READS_MASKLETS", "DEFAULT_JOBS", "NotebookFailed", "kernel_threads",
           "run_order"]

FORCE_HINT = "make figures FORCE=1"
"""How a reader forces a re-run of every notebook."""
KERNELSPEC = {"display_name": "Python 3 (vsslib)", "language": "python", "name": "python3"}
"""The kernel every notebook names: the one ``make venv`` installs into .venv (``ipykernel install --name python3
--display-name "Python 3 (vsslib)"``), so JupyterLab opens a notebook without changing its metadata."""
RUNNER_PARAMETERS = ("params_file", "results_dir")
"""The parameters ``make figures`` passes to every notebook that declares them."""


def list_notebooks(root: Path | None = None) -> list[Path]:
    """The study's notebooks in run order (``notebooks/NN_*.ipynb``)."""
    root = root or repo_root()
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def list_sources(root: Path | None = None) -> list[Path]:
    """The notebooks' paired text sources in run order (``notebooks/NN_*.py``, jupytext py:percent)."""
    root = root or repo_root()
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.py"))


def notebook_parameters(path: Path) -> dict[str, object]:
    """Names and default values (source text) of the parameters a notebook declares in its ``parameters`` cell."""
    import papermill

    declared = papermill.inspect_notebook(str(path))
    return {name: info["default"] for name, info in declared.items()}


# ------------------------------------------------------------------------------------------ pairing
def paired_notebook(source: Path):  # -> nbformat.NotebookNode
    """The notebook a ``py:percent`` source stands for: its cells, no outputs, ids ``NN-00``, ``NN-01``, ...

    Cell ids are numbered rather than random, so rewriting an unchanged source gives the same bytes.
    """
    import jupytext

    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    nb.metadata["jupytext"].pop("text_representation", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"{source.stem[:2]}-{k:02d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def sync_notebooks(root: Path | None = None) -> list[Path]:
    """Write every ``notebooks/NN_*.ipynb`` from its paired ``.py`` source (stored without outputs).

    Returns the notebooks whose bytes changed.
    """
    import nbformat

    changed = []
    for source in list_sources(root):
        target = source.with_suffix(".ipynb")
        text = nbformat.writes(paired_notebook(source)) + "\n"
        if not target.is_file() or target.read_text() != text:
            write_text_atomic(target, text)
            changed.append(target)
    return changed


def pair_differences(source: Path) -> list[str]:
    """How ``source`` (``.py``) and its paired ``.ipynb`` disagree: cells, kinds, sources, tags, outputs.

    An empty list means the pair is in sync and the notebook is stored without outputs.
    """
    import nbformat

    target = source.with_suffix(".ipynb")
    if not target.is_file():
        return [f"{target.name}: missing (run `make notebooks`)"]
    expected = paired_notebook(source).cells
    stored = nbformat.read(target, as_version=4).cells
    problems = []
    if len(expected) != len(stored):
        problems.append(f"{target.name}: {len(stored)} cells, but {source.name} has {len(expected)}")
    for k, (a, b) in enumerate(zip(expected, stored)):
        where = f"{target.name} cell {k}"
        if a.cell_type != b.cell_type:
            problems.append(f"{where}: {b.cell_type} cell, but {a.cell_type} in {source.name}")
        elif a.source != b.source:
            problems.append(f"{where}: source differs from {source.name} (first line {b.source.splitlines()[:1]})")
        elif a.get("metadata", {}).get("tags", []) != b.get("metadata", {}).get("tags", []):
            problems.append(f"{where}: tags {b.metadata.get('tags', [])}, but {a.metadata.get('tags', [])} in "
                            f"{source.name}")
        if b.cell_type == "code" and b.get("outputs"):
            problems.append(f"{where}: stored with outputs (notebooks are stored without; run `make notebooks`)")
    return problems


# ---------------------------------------------------------------------------------------- outputs
_CARRIAGE = re.compile(r"[^\n]*\r(?!\n)")
_BAR_LINE = re.compile(r"^\S.*: .*\[\d+:\d\d[^\]]*\]\s*$")  # tqdm's last state: "desc: ... [00:05<00:00, ...]"


def tidy_outputs(nb, root: Path) -> None:  # nb: nbformat.NotebookNode, changed in place
    """Make an executed notebook's outputs read as a terminal would show them, with no machine paths.

    Consecutive stream outputs of one cell are merged and carriage returns applied (a progress bar keeps
    only its final state: one line per bar; standard error holding nothing but such lines becomes standard
    output, so a page does not show progress as an error); ``root`` (the repository's absolute path) is removed from
    stream text and tracebacks, and papermill's input and output paths are made relative to it.
    """
    prefix = str(root).rstrip("/") + "/"

    def strip(text: str) -> str:
        return text.replace(prefix, "").replace(str(root), ".")

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for output in cell.get("outputs", []):
            if (output.output_type == "stream" and merged and merged[-1].output_type == "stream"
                    and merged[-1].name == output.name):
                merged[-1].text += output.text
                continue
            merged.append(output)
        for output in merged:
            if output.output_type == "stream":
                output.text = strip(_CARRIAGE.sub("", output.text))
                lines = output.text.strip().splitlines()
                if output.name == "stderr" and lines and all(_BAR_LINE.match(line) for line in lines):
                    output.name = "stdout"  # progress bars, not errors: shown as plain output, not in red
                    output.text = "".join(line.rstrip() + "\n" for line in lines)  # without tqdm's padding
            elif output.output_type == "error":
                output.traceback = [strip(line) for line in output.traceback]
        cell.outputs = merged
    info = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if isinstance(info.get(key), str):
            info[key] = strip(info[key])


# ---------------------------------------------------------------------------------------- running
def _source_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / "vsslib").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it (so no machine path reaches a notebook), else absolute."""
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path.resolve())


SCHEDULE: dict[str, str] = {"02_baselines": "first", "03_refiner": "long", "04_mask_classifier": "long",
                            "06_failure_cases": "long", "07_cost": "alone"}
"""How ``make figures`` orders the notebooks it runs. ``first``: before any other, alone (02 generates the
benchmark and trains every network the others read from the cache). ``alone``: after the others, with the
machine to itself (07 measures time). Every other notebook runs ``jobs`` at a time, ``long`` ones first (those
that take minutes once the sam2-mini masklets are made, :data:`READS_MASKLETS`: started early, they do not finish alone
at the end; in the cold verify of c7529aa, 03 342 s, 04 412 s, 06 221 s, the others 12-141 s), then in name order;
they share only the cache, whose products are written atomically and made under a per-product lock, so two
notebooks that need the same product at once compute it once: the second waits for the first and reads it.
Each kernel then gets its share of the cores (:func:`kernel_threads`)."""
DEFAULT_JOBS = 2  # processes at once, notebooks or videos whose masklets are made ahead: one per core of the
# 2-core machines the study is sized for
READS_MASKLETS: dict[str, tuple[str, ...]] = {
    "00_tour": ("first video",), "03_refiner": ("evaluated",), "04_mask_classifier": ("evaluated", "classifier"),
    "05_boundary_analysis": ("evaluated",), "06_failure_cases": ("evaluated",), "08_sam2_knobs": ("knob sweep",)}
"""The sam2-mini masklets each notebook reads (purposes of :func:`vsslib.study.prefetch.masklet_jobs`): ``make
figures`` makes those of the notebooks it is about to run after the ``first`` stage of :data:`SCHEDULE` and before
the others, ``jobs`` at a time (:func:`~vsslib.study.prefetch.prefetch_masklets`), so no notebook waits on
another's."""


def run_order(stems: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The notebooks (stems, in name order) of each stage of :data:`SCHEDULE`: first (alone), side by side
    (``long`` ones first, then name order), alone at the end."""
    first = [stem for stem in stems if SCHEDULE.get(stem) == "first"]
    middle = [stem for stem in stems if SCHEDULE.get(stem) not in ("first", "alone")]
    alone = [stem for stem in stems if SCHEDULE.get(stem) == "alone"]
    return first, sorted(middle, key=lambda stem: SCHEDULE.get(stem) != "long"), alone


def run_figures(params_file: Path, *, force: bool = False, only: list[str] | None = None,
                progress: bool = True, jobs: int = DEFAULT_JOBS, tidy: bool = True) -> list[str]:
    """Execute the notebooks whose inputs changed into ``<results>/notebooks/``; return the names that ran.

    Every notebook gets ``params_file`` and ``results_dir`` (the settings' results folder) as papermill
    parameters when it declares them. Inputs of a notebook: its bytes, those two values, the settings file's
    bytes and the vsslib sources; unchanged inputs and an existing executed copy skip it unless ``force``.
    Notebooks run in the order of :data:`SCHEDULE`, up to ``jobs`` at a time (each in its own process); after
    the first stage, the sam2-mini masklets the rest will read are made, ``jobs`` at a time (:data:`READS_MASKLETS`).
    ``tidy=False`` keeps the outputs as the kernel sent them (no :func:`tidy_outputs`), as nbval compares them.

    Raises
    ------
    ParameterError : the settings file is invalid, ``only`` names no notebook, or ``jobs`` < 1.
    NotebookFailed : a notebook failed (its executed copy, ``NN_name.FAILED.ipynb``, shows the failing cell);
        notebooks already running are finished first, none is started after the failure.
    """
    root = repo_root()
    if jobs < 1:
        raise ParameterError(f"jobs={jobs}: at least one notebook must run at a time")
    params_file = Path(params_file)
    settings = load_settings(params_file)
    params_path = params_file if params_file.is_absolute() or params_file.is_file() else root / params_file
    results = settings.results
    out_dir = results / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamps_path = out_dir / "stamps.json"
    stamps = json.loads(stamps_path.read_text()) if stamps_path.is_file() else {}
    values = {"params_file": _relative(params_path, root), "results_dir": _relative(results, root)}
    code_hash = _source_hash(root)
    settings_hash = hashlib.sha256(params_path.read_bytes()).hexdigest()
    notebooks = [nb for nb in list_notebooks(root) if not only or nb.stem in only or nb.name in only]
    if only and not notebooks:
        raise ParameterError(f"--only {only}: no such notebook; known: {[nb.stem for nb in list_notebooks(root)]}")
    runs = []
    for nb in notebooks:
        declared = notebook_parameters(nb)
        injected = {name: values[name] for name in RUNNER_PARAMETERS if name in declared}
        stamp = stable_hash({"notebook": hashlib.sha256(nb.read_bytes()).hexdigest(), "params": injected,
                             "settings": settings_hash, "code": code_hash})
        if force or stamps.get(nb.name) != stamp or not (out_dir / nb.name).is_file():
            runs.append(_NotebookRun(nb, out_dir / nb.name, injected, stamp))
    position: dict[str, int] = {}  # each notebook's number in the order the runs start

    def report(run: _NotebookRun, what: str) -> None:
        number = position.setdefault(run.notebook.stem, len(position) + 1)
        if progress:
            print(f"[{number}/{len(runs)}] {run.notebook.stem} {what}", flush=True)

    def finish(run: _NotebookRun, outcome: _Outcome) -> None:
        if outcome.error is not None:
            failed = run.out.with_name(f"{run.out.stem}.FAILED.ipynb")
            if run.tmp.is_file():  # keep the failed copy for inspection, under a name that says so
                os.replace(run.tmp, failed)
            report(run, f"failed; its executed copy: {_relative(failed, root)}")
            raise NotebookFailed(f"{run.notebook.name} failed:\n{outcome.error}")
        import nbformat

        executed = nbformat.read(run.tmp, as_version=4)
        if tidy:
            tidy_outputs(executed, root)
        write_text_atomic(run.out, nbformat.writes(executed) + "\n")
        run.tmp.unlink()
        run.out.with_name(f"{run.out.stem}.FAILED.ipynb").unlink(missing_ok=True)
        stamps[run.notebook.name] = run.stamp
        write_json_atomic(stamps_path, stamps)
        from ..viz import prune_index

        gone = prune_index(results, run.notebook.name, outcome.started)
        report(run, f"done in {outcome.seconds:.0f} s" + (
            f"; removed what it no longer makes: {', '.join(_relative(f, root) for f in gone)}" if gone else ""))

    by_stem = {r.notebook.stem: r for r in runs}
    stages = [[by_stem[stem] for stem in stage] for stage in run_order(list(by_stem))]
    purposes = {purpose for stage in stages[1:] for run in stage
                for purpose in READS_MASKLETS.get(run.notebook.stem, ())}
    for number, (stage, width) in enumerate(zip(stages, (1, jobs, 1), strict=True)):
        if number == 1 and purposes:
            from .prefetch import prefetch_masklets

            made = prefetch_masklets(settings, jobs=jobs, purposes=purposes, progress=progress)
            if progress:
                print(f"[masklets] {made.summary()}", flush=True)
        if width == 1 or len(stage) == 1:
            for run in stage:
                report(run, "running")
                finish(run, _execute(run))
        elif stage:
            _run_side_by_side(stage, width, report, finish)
    record_settings(results, settings.to_dict())
    write_summary(settings)
    return [run.notebook.name for run in runs]


class NotebookFailed(RuntimeError):
    """A notebook raised; the message holds the failing cell's error."""


@dataclass(frozen=True)
class _NotebookRun:
    notebook: Path
    out: Path
    parameters: dict[str, str]
    stamp: str

    @property
    def tmp(self) -> Path:
        return self.out.with_name(f".{self.out.name}.running.ipynb")


@dataclass(frozen=True)
class _Outcome:
    started: float  # seconds since the epoch
    seconds: float
    error: str | None  # None: the notebook ran to its end


THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
"""Environment variables that cap a kernel's compute threads (torch, numpy's BLAS read them at import)."""


def kernel_threads(jobs: int, cores: int | None = None) -> int:
    """Compute threads of each notebook's kernel when ``jobs`` run side by side: the cores shared out, at least 1.

    Each kernel would otherwise start one thread per core, and two kernels on two cores would run four threads
    that take turns (measured: a cold ``make figures`` stalled in ``03_refiner`` while ``04`` ran beside it)."""
    return max(1, (cores or os.cpu_count() or 1) // jobs)


KERNEL_START_FAILURE = "Kernel died before replying to kernel_info"
"""jupyter_client's error when a kernel exits before its first reply. Seen once in CI (2026-12-06) with two
notebooks starting side by side: both kernels were given the same free TCP port ("Address already in use"), a
race between picking a port and binding it. No cell has run then, so the notebook is started again."""
KERNEL_START_ATTEMPTS = 3


def _execute(run: _NotebookRun, threads: int | None = None) -> _Outcome:
    """Run one notebook with papermill into ``run.tmp`` (in this process; see :func:`_run_side_by_side`), its
    kernel capped at ``threads`` compute threads (None: the environment's setting)."""
    import papermill

    if threads is not None:  # the kernel papermill starts inherits this process's environment
        os.environ.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    started_at = time.time()
    started = time.perf_counter()
    for attempt in range(KERNEL_START_ATTEMPTS):
        try:
            papermill.execute_notebook(str(run.notebook), str(run.tmp), parameters=run.parameters,
                                       cwd=str(run.notebook.parent), kernel_name="python3", progress_bar=False,
                                       log_output=False)
        except Exception as exc:  # noqa: BLE001 - reported to the parent as text (papermill's errors do not pickle)
            if KERNEL_START_FAILURE in str(exc) and attempt + 1 < KERNEL_START_ATTEMPTS:
                time.sleep(1.0)  # no cell ran: start a new kernel, on new ports
                continue
            return _Outcome(started_at, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
        break
    return _Outcome(started_at, time.perf_counter() - started, None)


def _run_side_by_side(stage: list[_NotebookRun], jobs: int, report: Any, finish: Any) -> None:
    """Run ``stage``'s notebooks ``jobs`` at a time, each in a worker process, finishing each as it ends."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    waiting = list(stage)
    running: dict[Any, _NotebookRun] = {}
    failure: NotebookFailed | None = None
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                             max_tasks_per_child=1) as pool:
        while waiting or running:
            while waiting and len(running) < jobs and failure is None:
                run = waiting.pop(0)
                report(run, "running")
                running[pool.submit(_execute, run, kernel_threads(jobs))] = run
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                run = running.pop(future)
                try:
                    finish(run, future.result())
                except NotebookFailed as exc:
                    failure = failure or exc
    if failure is not None:
        raise failure


def write_summary(settings: StudySettings) -> Path:
    """Write ``<results>/summary.md``: headline tables and an index of every figure and table."""
    results = settings.results
    index_path = results / "index.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    data_name = ("generated benchmark (VSPW layout, not VSPW)" if settings.data.dataset == "generated" else "VSPW")
    lines = ["# Results summary", "",
             f"Data: {data_name}; masklet sources: {', '.join(settings.masklets.sources)}; "
             f"baselines: {', '.join(settings.baselines.networks)}.",
             "Regenerate with `make figures` (see README); every number below is read from the tables.", ""]
    for name, title in (("refiner", "Approach 1: SAM2-style masklets refine a baseline network"),
                        ("mask_classifier", "Approach 2: classifying pooled masklet features"),
                        ("failure_causes", "Failure cases of the refiner, by detected cause"),
                        ("cost_stages", "Cost per stage")):
        md = results / "tables" / f"{name}.md"
        if md.is_file():
            lines += [f"## {title}", "", md.read_text().strip(), ""]
    for kind in ("figures", "tables"):
        entries = index.get(kind, {})
        if not entries:
            continue
        lines += [f"## All {kind}", "", "| file | what it shows | notebook |", "|---|---|---|"]
        for name in sorted(entries):
            entry = entries[name]
            lines.append(f"| [{entry['file']}]({entry['file']}) | {entry['caption']} | {entry['notebook']} |")
        lines.append("")
    return write_text_atomic(results / "summary.md", "\n".join(lines))


# ------------------------------------------------------------------------------------------- html
def write_html(results: Path, *, readme: Path | None = None) -> Path:
    """Build the study's site from the executed notebooks in ``<results>/notebooks/`` into ``<results>/html/``
    (:func:`vsslib.study.site.build_site`: Sphinx with MyST-NB and the book theme, offline, nothing executed); returns
    its landing page ``<results>/html/index.html``. ``readme`` (the repository's README.md) supplies the landing
    page's key figures and run instructions and is a page of its own, as is sam2-mini's model card.

    Raises
    ------
    ParameterError : no executed notebook in ``<results>/notebooks/`` (run ``make figures`` first).
    """
    from ..sam2_mini.model import ASSETS
    from .site import build_site

    return build_site(results, readme=readme or repo_root() / "README.md", model_card=ASSETS / "MODEL_CARD.md")


# ------------------------------------------------------------------------------------------ verify
def verify(params_file: Path, *, scratch: Path | None = None) -> VerifyReport:
    """Re-run the whole study into a scratch folder with a cold cache and compare it with the committed results
    within the tolerances of :mod:`vsslib.study.verify` (tables cell by cell, figures through their tables)."""
    root = repo_root()
    settings = load_settings(params_file)
    scratch = scratch or root / "scratch" / "verify"
    if scratch.exists():
        shutil.rmtree(scratch)
    tree = settings.to_dict()
    tree["run"]["results_dir"] = str(scratch / "results")
    tree["run"]["cache_dir"] = str(scratch / "cache")
    if settings.data.dataset == "generated":
        tree["data"]["root"] = str(scratch / "cache" / "benchmark")
    fresh = scratch / "params.yaml"
    write_text_atomic(fresh, yaml.safe_dump(tree, sort_keys=False))
    run_figures(fresh, force=True)
    return compare_results(settings.results, scratch / "results")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vsslib.study.notebooks", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fig = sub.add_parser("figures", help="run the notebooks whose inputs changed into results/")
    fig.add_argument("--params", type=Path, default=Path("params/default.yaml"), help="settings file")
    fig.add_argument("--force", action="store_true", help="re-run every notebook")
    fig.add_argument("--only", nargs="*", help="run only these notebooks (e.g. 03_refiner)")
    fig.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                     help=f"notebooks run at once (default {DEFAULT_JOBS}; 02 first and 07 last always run alone)")
    sub.add_parser("sync", help="write notebooks/*.ipynb from their paired .py sources")
    page = sub.add_parser("html", help="build the site of the executed notebooks: results/html/index.html")
    page.add_argument("--params", type=Path, default=Path("params/default.yaml"), help="settings file")
    ver = sub.add_parser("verify", help="re-run the default study into scratch/ and compare with results/")
    ver.add_argument("--params", type=Path, default=Path("params/default.yaml"), help="settings file")
    summ = sub.add_parser("summary", help="rewrite results/summary.md from the tables and index")
    summ.add_argument("--params", type=Path, default=Path("params/default.yaml"), help="settings file")
    args = parser.parse_args(argv)
    root = repo_root()
    try:
        if args.command == "figures":
            started = time.perf_counter()
            ran = run_figures(args.params, force=args.force, only=args.only, jobs=args.jobs)
            results_path = load_settings(args.params).results
            results = _relative(results_path, root)
            if ran and results_path == root / "results":  # the README's findings follow the committed tables
                if update_readme(root / "README.md", headline(results_path)):
                    print("README.md: findings rewritten from results/tables/")
            if ran:
                print(f"ran {len(ran)} notebook(s) in {time.perf_counter() - started:.0f} s into {results}/: "
                      f"{', '.join(ran)}")
            else:
                print(f"nothing to run: the executed notebooks in {results}/notebooks/ are up to date with the "
                      f"notebooks, {args.params} and the vsslib sources (stamps in {results}/notebooks/stamps.json).\n"
                      f"To re-run every notebook anyway: {FORCE_HINT}")
            return 0
        if args.command == "sync":
            changed = sync_notebooks(root)
            print(f"wrote {len(changed)} notebook(s) from their .py sources: "
                  f"{', '.join(_relative(p, root) for p in changed) or 'all were in sync'}")
            return 0
        if args.command == "html":
            index = write_html(load_settings(args.params).results)
            print(f"wrote {_relative(index, root)} (open it in a browser)")
            return 0
        if args.command == "summary":
            print(_relative(write_summary(load_settings(args.params)), root))
            return 0
        started = time.perf_counter()
        report = verify(args.params)
        print(report.summary())
        print(f"verify: {'reproduced' if report.ok else 'NOT reproduced'} ({time.perf_counter() - started:.0f} s)")
        return 0 if report.ok else 1
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
