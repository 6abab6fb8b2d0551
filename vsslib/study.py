"""Regenerate the study: run every notebook with papermill, write ``results/summary.md``, verify results.

``python -m vsslib.study figures --params params/default.yaml`` (``make figures``) executes the numbered
notebooks in order into ``<results>/notebooks/`` (executed copies, outputs kept). A notebook is re-run only
when its inputs changed: its own source, the parameters it declares, or the vsslib sources (a stamp of
their hashes is kept in ``<results>/notebooks/stamps.json``). ``python -m vsslib.study verify`` re-runs the
whole study into ``scratch/verify/`` with a cold cache and compares it with the committed results: every
table cell for cell and every figure pixel for pixel, except the cells and figures of measured times,
which it lists as machine-dependent.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._io import write_json_atomic, write_text_atomic
from .cache import stable_hash
from .errors import ParameterError
from .params import StudyParams, load_params, repo_root

__all__ = ["list_notebooks", "notebook_parameters", "run_figures", "write_summary", "compare_results",
           "verify"]


def list_notebooks(root: Path | None = None) -> list[Path]:
    """The study's notebooks in run order (``notebooks/NN_*.ipynb``)."""
    root = root or repo_root()
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def notebook_parameters(path: Path) -> dict[str, object]:
    """Names and default values of the parameters a notebook declares in its ``parameters`` cell."""
    import papermill

    declared = papermill.inspect_notebook(str(path))
    defaults = {}
    for name, info in declared.items():
        defaults[name] = info["default"]
    return defaults


def _source_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / "vsslib").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def run_figures(params: StudyParams, *, force: bool = False, only: list[str] | None = None,
                progress: bool = True) -> list[str]:
    """Execute the notebooks whose inputs changed; return the names of those that ran.

    Raises
    ------
    ParameterError : a notebook declares a parameter that is not a study knob.
    papermill.PapermillExecutionError : a notebook failed (its executed copy shows the failing cell).
    """
    import papermill
    from tqdm.auto import tqdm

    root = repo_root()
    results = params.results
    out_dir = results / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamps_path = out_dir / "stamps.json"
    stamps = json.loads(stamps_path.read_text()) if stamps_path.is_file() else {}
    code_hash = _source_hash(root)
    values = params.to_dict()
    ran = []
    notebooks = [nb for nb in list_notebooks(root) if not only or nb.stem in only or nb.name in only]
    bar = tqdm(notebooks, desc="notebooks", unit="nb", disable=not progress)
    for nb in bar:
        bar.set_postfix_str(nb.stem)
        declared = notebook_parameters(nb)
        unknown = sorted(set(declared) - set(StudyParams.keys()))
        if unknown:
            raise ParameterError(f"{nb}: declares parameter(s) {unknown} that are not study knobs; known: "
                                 f"{', '.join(StudyParams.keys())}")
        injected = {name: values[name] for name in declared}
        stamp = stable_hash({"notebook": hashlib.sha256(nb.read_bytes()).hexdigest(), "params": injected,
                             "code": code_hash})
        out = out_dir / nb.name
        if not force and stamps.get(nb.name) == stamp and out.is_file():
            continue
        os.environ["VSSLIB_NOTEBOOK"] = nb.name
        tmp = out.with_name(f".{out.name}.running.ipynb")
        started = time.perf_counter()
        try:
            papermill.execute_notebook(str(nb), str(tmp), parameters=injected, cwd=str(nb.parent),
                                       kernel_name="python3", progress_bar=False, log_output=False)
        except BaseException:
            if tmp.is_file():  # keep the failed copy for inspection, under a name that says so
                os.replace(tmp, out.with_name(f"{out.stem}.FAILED.ipynb"))
            raise
        finally:
            os.environ.pop("VSSLIB_NOTEBOOK", None)
        os.replace(tmp, out)
        out.with_name(f"{out.stem}.FAILED.ipynb").unlink(missing_ok=True)
        stamps[nb.name] = stamp
        write_json_atomic(stamps_path, stamps)
        ran.append(nb.name)
        tqdm.write(f"  ran {nb.name} in {time.perf_counter() - started:.0f} s")
    write_summary(params)
    return ran


def write_summary(params: StudyParams) -> Path:
    """Write ``<results>/summary.md``: headline tables and an index of every figure and table."""
    results = params.results
    index_path = results / "index.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    data_name = "generated benchmark (VSPW layout, not VSPW)" if params.dataset == "generated" else "VSPW"
    lines = ["# Results summary", "",
             f"Data: {data_name}; masklet sources: {', '.join(params.masklet_sources)}; "
             f"baselines: {', '.join(params.segmenters)}.",
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


@dataclass
class Comparison:
    """What ``compare_results`` found."""

    differences: list[str] = field(default_factory=list)
    machine_dependent: list[str] = field(default_factory=list)
    compared: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences


def compare_results(committed: Path, fresh: Path) -> Comparison:
    """Compare two results folders: tables cell for cell, figures pixel for pixel.

    Cells of columns listed as machine-dependent (measured times) in ``index.json`` and figures marked
    machine-dependent are listed in ``machine_dependent`` rather than compared.
    """
    from PIL import Image

    report = Comparison()
    index_path = committed / "index.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    timing_columns = {f"tables/{n}.csv": set(e.get("machine_dependent_columns", []))
                      for n, e in index.get("tables", {}).items()}
    timing_figures = {f"figures/{n}.png" for n, e in index.get("figures", {}).items()
                      if e.get("machine_dependent")}
    for sub, pattern in (("tables", "*.csv"), ("figures", "*.png")):
        old = {p.name for p in (committed / sub).glob(pattern)}
        new = {p.name for p in (fresh / sub).glob(pattern)}
        for name in sorted(old - new):
            report.differences.append(f"{sub}/{name}: committed but not produced by the re-run")
        for name in sorted(new - old):
            report.differences.append(f"{sub}/{name}: produced by the re-run but not committed")
        for name in sorted(old & new):
            rel = f"{sub}/{name}"
            report.compared += 1
            if sub == "tables":
                _compare_table(committed / rel, fresh / rel, rel, timing_columns.get(rel, set()), report)
            elif rel in timing_figures:
                report.machine_dependent.append(f"{rel}: a figure of measured times (not compared)")
            else:
                a = np.asarray(Image.open(committed / rel).convert("RGBA"))
                b = np.asarray(Image.open(fresh / rel).convert("RGBA"))
                if a.shape != b.shape:
                    report.differences.append(f"{rel}: size {a.shape[1]}x{a.shape[0]} committed, "
                                              f"{b.shape[1]}x{b.shape[0]} re-run")
                elif not np.array_equal(a, b):
                    n = int(np.any(a != b, axis=-1).sum())
                    report.differences.append(f"{rel}: {n} of {a.shape[0] * a.shape[1]} pixels differ")
    return report


def _compare_table(a_path: Path, b_path: Path, rel: str, timing: set[str], report: Comparison) -> None:
    a = pd.read_csv(a_path, dtype=str, keep_default_na=False)
    b = pd.read_csv(b_path, dtype=str, keep_default_na=False)
    if list(a.columns) != list(b.columns) or a.shape != b.shape:
        report.differences.append(f"{rel}: columns/shape differ: committed {list(a.columns)} {a.shape}, "
                                  f"re-run {list(b.columns)} {b.shape}")
        return
    for column in a.columns:
        if column in timing:
            report.machine_dependent.append(f"{rel}: column '{column}' holds measured times (not compared)")
            continue
        for row in np.flatnonzero(a[column].to_numpy() != b[column].to_numpy()):
            report.differences.append(f"{rel}: row {row}, column '{column}': committed {a[column][row]!r}, "
                                      f"re-run {b[column][row]!r}")


def verify(params_path: Path, *, scratch: Path | None = None) -> Comparison:
    """Re-run the whole study into a scratch folder with a cold cache and compare with committed results."""
    params = load_params(params_path)
    root = repo_root()
    scratch = scratch or root / "scratch" / "verify"
    if scratch.exists():
        shutil.rmtree(scratch)
    os.environ["VSSLIB_RESULTS"] = str(scratch / "results")
    os.environ["VSSLIB_CACHE"] = str(scratch / "cache")
    fresh_params = StudyParams.from_mapping({**params.to_dict(),
                                            "data_root": str(scratch / "cache" / "benchmark")
                                            if params.dataset == "generated" else params.data_root})
    try:
        run_figures(fresh_params, force=True)
    finally:
        os.environ.pop("VSSLIB_RESULTS", None)
        os.environ.pop("VSSLIB_CACHE", None)
    return compare_results(params.results, scratch / "results")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vsslib.study", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fig = sub.add_parser("figures", help="run the notebooks whose inputs changed into results/")
    fig.add_argument("--params", type=Path, default=Path("params/default.yaml"), help="parameter file")
    fig.add_argument("--force", action="store_true", help="re-run every notebook")
    fig.add_argument("--only", nargs="*", help="run only these notebooks (e.g. 03_refiner)")
    ver = sub.add_parser("verify", help="re-run the default study into scratch/ and compare with results/")
    ver.add_argument("--params", type=Path, default=Path("params/default.yaml"), help="parameter file")
    summ = sub.add_parser("summary", help="rewrite results/summary.md from the tables and index")
    summ.add_argument("--params", type=Path, default=Path("params/default.yaml"), help="parameter file")
    args = parser.parse_args(argv)
    try:
        if args.command == "figures":
            started = time.perf_counter()
            ran = run_figures(load_params(args.params), force=args.force, only=args.only)
            print(f"ran {len(ran)} notebook(s) in {time.perf_counter() - started:.0f} s: {', '.join(ran) or '-'}")
            return 0
        if args.command == "summary":
            print(write_summary(load_params(args.params)))
            return 0
        started = time.perf_counter()
        report = verify(args.params)
        for line in report.machine_dependent:
            print(f"  machine-dependent  {line}")
        for line in report.differences:
            print(f"  DIFFERS            {line}")
        verdict = "reproduced" if report.ok else f"{len(report.differences)} difference(s)"
        print(f"verify: {report.compared} files compared in {time.perf_counter() - started:.0f} s: {verdict}")
        return 0 if report.ok else 1
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
