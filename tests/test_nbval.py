"""nbval's reference copies of the notebooks (``tests/notebooks/``, ``make notebook-refs``): made from the notebooks
as they stand, what they excuse and why, and a tiny study in which a changed setting fails nbval on the right cell
until the reference copies are regenerated."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from nbval.plugin import get_sanitize_patterns

from vsslib.base.errors import ParameterError
from vsslib.study.notebooks import list_notebooks
from vsslib.study.references import (IGNORE_OUTPUT_TAG, REFERENCES_DIR, load_ignored_outputs, make_references,
                                     reference_copy, reference_differences, without_progress_bars)

ROOT = Path(__file__).resolve().parent.parent
REFS = ROOT / REFERENCES_DIR
SANITIZE = REFS / "sanitize.cfg"
IGNORED = REFS / "ignore_output.yaml"
REGENERATE = "run `make notebook-refs` (see README, 'Two commands')"


def _sanitize(text: str) -> str:
    """``text`` as nbval compares it: every pattern of sanitize.cfg applied in order (nbval's own parser)."""
    for regex, replace in get_sanitize_patterns(SANITIZE.read_text()):
        text = re.sub(regex, replace, text)
    return text


def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


# ------------------------------------------------------------------------------ the committed references
def test_references_match_notebooks() -> None:
    """Every notebook has a reference copy made from its current cells on params/smoke.yaml; nbval re-runs the
    reference's cells, so a stale copy would test old notebook code."""
    notebooks = list_notebooks(ROOT)
    refs = sorted(REFS.glob("[0-9][0-9]_*.ipynb"))
    assert [r.name for r in refs] == [n.name for n in notebooks], REGENERATE
    problems = [p for nb in notebooks for p in reference_differences(REFS / nb.name, nb)]
    assert problems == [], f"reference copies made from older notebooks; {REGENERATE}:\n" + "\n".join(problems)
    for ref in refs:
        text = ref.read_text()
        assert str(ROOT) not in text, f"{ref.name}: holds this checkout's absolute path"
        nb = nbformat.reads(text, as_version=4)
        assert "papermill" not in nb.metadata, ref.name
        injected = [c for c in nb.cells if "injected-parameters" in _tags(c)]
        assert len(injected) == 1 and 'params_file = "params/smoke.yaml"' in injected[0].source, ref.name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count is not None for c in code), f"{ref.name}: not executed to its end"


def test_ignore_tags_sit_only_on_the_listed_cells_each_with_a_reason() -> None:
    entries = load_ignored_outputs(IGNORED)
    assert all(len(e["reason"].split()) >= 5 for e in entries)
    for ref in sorted(REFS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(ref, as_version=4)
        tagged = [c.source for c in nb.cells if IGNORE_OUTPUT_TAG in _tags(c)]
        listed = [e["cell"] for e in entries if e["notebook"] == ref.stem]
        assert len(tagged) == len(listed), ref.name
        assert all(sum(piece in source for source in tagged) == 1 for piece in listed), ref.name
        sources = "".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "NBVAL_IGNORE_OUTPUT" not in sources and "NBVAL_SKIP" not in sources, ref.name


# ------------------------------------------------------------------------------------------- sanitize.cfg
def test_every_substitution_has_a_one_line_reason() -> None:
    text = SANITIZE.read_text()
    sections = re.split(r"^\[[\w-]+\]\n", text, flags=re.M)[1:]
    assert len(sections) == len(get_sanitize_patterns(text)) >= 1
    for section in sections:
        lines = section.strip().splitlines()
        assert lines[0].startswith("# reason: ") and len(lines[0].split()) >= 8, lines[0]
        assert lines[1].startswith("regex: ") and lines[2].startswith("replace: "), section


@pytest.mark.parametrize("run_a, run_b", [
    ("/work/main/vsslib/refine.py:40: UserWarning: empty masklet\n",
     "/home/ci/clone/vsslib/refine.py:40: UserWarning: empty masklet\n"),
    ("/tmp/ipykernel_4121/2718281828.py:3: UserWarning: no masklet\n",
     "/tmp/ipykernel_977/3141592653.py:3: UserWarning: no masklet\n"),
    ("R0lGODlhAQABAIAAAP///wAAACw=\n", "R0lGODlhAQABAIAAAAAAAP///yw=\n"),  # two frames of an animation (base64 GIF)
    ("**Takeaway.** Each further frame adds about 128 MiB at the peak here",
     "**Takeaway.** Each further frame adds about 124 MiB at the peak here"),
])
def test_what_varies_between_runs_is_made_equal(run_a: str, run_b: str) -> None:
    assert run_a != run_b
    assert _sanitize(run_a) == _sanitize(run_b)


@pytest.mark.parametrize("reference, changed", [
    ("| fcn8-small | oracle | 57.0 | 66.9 | +9.8 |", "| fcn8-small | oracle | 57.0 | 66.8 | +9.8 |"),
    ("**Takeaway.** The refined mIoU rises by 9.8 points [8.3, 11.1].",
     "**Takeaway.** The refined mIoU falls by 9.8 points [8.3, 11.1]."),
    ("figures and tables go to scratch/smoke/results/\n", "figures and tables go to scratch/smoke/results2/\n"),
    ("/work/main/vsslib/refine.py:40: UserWarning: empty masklet\n",
     "/work/main/vsslib/masks/common.py:40: UserWarning: empty masklet\n"),
    ("/tmp/ipykernel_4121/2718281828.py:3: UserWarning: no masklet\n",
     "/tmp/ipykernel_4121/2718281828.py:3: UserWarning: 2 masklets\n"),
    ("mIoU 57.0\nR0lGODlhAQABAAAAACw=", "mIoU 56.0\nR0lGODlhAQABAAAAACw="),  # text, not a whole GIF: compared
    ("adds about 128 MiB with 8-frame windows", "adds about 128 MiB with 16-frame windows"),
])
def test_what_carries_the_study_stays_compared(reference: str, changed: str) -> None:
    assert _sanitize(reference) != _sanitize(changed)


def test_substitutions_take_linear_time_on_an_image() -> None:
    """An animation or an inline image is megabytes of base64, full of ``/``: a path pattern that could start
    anywhere in it would backtrack for minutes (seen with an earlier pattern); these finish at once."""
    import base64
    import time

    image = base64.b64encode(bytes(range(256)) * 6000).decode()  # 2 MB
    started = time.perf_counter()
    assert _sanitize("R0lGOD" + image) == "GIF"
    assert _sanitize(f'<img src="data:image/png;base64,{image}">') == f'<img src="data:image/png;base64,{image}">'
    assert time.perf_counter() - started < 5


def _stream(name: str, text: str):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_progress_bars_leave_the_comparison_and_warnings_stay() -> None:
    bars = ("generating videos: 100%|\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588| 7/7 "
            "[00:03<00:00,  2.09video/s]\n"
            "every network, every training seed: 4 runs [05:41]                     \n"
            "approach 1 runs:   0%|          | 0/8 runs [00:00, refine (oracle) 0/3]\n"
            "pool masklets: 5video [00:01, 3.20video/s]\n")
    warning = "vsslib/refine.py:40: UserWarning: masklet 3 covers no pixel\n"
    outputs = [_stream("stderr", bars), _stream("stdout", "mIoU 57.0 [00:03<00:00]\n"),
               nbformat.v4.new_output("display_data", data={"text/markdown": "**Takeaway.** 4 runs [05:41]"})]
    kept = without_progress_bars(outputs)
    assert [o.get("name") for o in kept] == ["stdout", None]  # standard error held only bars: dropped
    assert kept[0]["text"] == "mIoU 57.0 [00:03<00:00]\n"  # standard output and displays are never touched
    mixed = without_progress_bars([_stream("stderr", bars.splitlines(keepends=True)[0] + warning)])
    assert [o["text"] for o in mixed] == [warning]


# ----------------------------------------------------------------------------------------- the machinery
def _executed(root: Path):
    nb = nbformat.v4.new_notebook(metadata={"papermill": {"input_path": f"{root}/notebooks/07_cost.ipynb"}})
    nb.cells = [
        nbformat.v4.new_code_cell("stages = time_stages()", metadata={"papermill": {"duration": 1.5},
                                                                      "execution": {"iopub.status.idle": "x"}},
                                  outputs=[nbformat.v4.new_output("stream", name="stderr",
                                                                  text=f"{root}/vsslib/a.py:3: UserWarning: w\n")]),
        nbformat.v4.new_code_cell("slowest = stages.max()\ntakeaway(slowest)", outputs=[
            nbformat.v4.new_output("display_data", data={"text/markdown": f"slowest: 3 ms ({root}/x)"})]),
        nbformat.v4.new_code_cell("raise ValueError", outputs=[
            nbformat.v4.new_output("error", ename="ValueError", evalue="", traceback=[f"File {root}/vsslib/b.py"])]),
    ]
    return nb


def test_reference_copy_drops_paths_and_run_times_and_tags_listed_cells(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    nb = reference_copy(_executed(root), "07_cost", root,
                        [{"notebook": "07_cost", "cell": "slowest = ", "reason": "prints measured ms"},
                         {"notebook": "03_refiner", "cell": "stages", "reason": "another notebook's cell"}])
    assert "papermill" not in nb.metadata
    assert nb.cells[0].metadata == {}
    assert nb.cells[0].outputs[0].text == "vsslib/a.py:3: UserWarning: w\n"
    assert nb.cells[0].outputs[0].name == "stderr"  # nbval compares the stream's name: kept as the kernel sent it
    assert nb.cells[1].outputs[0].data == {"text/markdown": "slowest: 3 ms (x)"}
    assert nb.cells[2].outputs[0].traceback == ["File vsslib/b.py"]
    assert [_tags(c) for c in nb.cells] == [[], [IGNORE_OUTPUT_TAG], []]


def test_reference_copy_refuses_a_cell_piece_that_is_not_unique(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"07_cost: 2 code cells hold 'stages'"):
        reference_copy(_executed(tmp_path), "07_cost", tmp_path,
                       [{"notebook": "07_cost", "cell": "stages", "reason": "x"}])


def test_ignored_outputs_file_names_the_entry_that_lacks_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "ignore.yaml"
    path.write_text(yaml.safe_dump([{"notebook": "07_cost", "cell": "slowest = "}]))
    with pytest.raises(ParameterError, match=r"ignore.yaml: entry 0 .* lacks reason"):
        load_ignored_outputs(path)


def test_references_are_never_made_into_the_committed_results(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"run": {"results_dir": "results"}}))
    with pytest.raises(ParameterError, match="committed results/"):
        make_references(params, out_dir=tmp_path / "refs")
    assert not (tmp_path / "refs").exists()


# --------------------------------------------------------------------------------------- it bites
_TINY = """# %% [markdown]
# # A tiny study

# %% tags=["parameters"]
params_file = "params/default.yaml"
results_dir = "scratch/results"

# %%
import time
import warnings
import pandas as pd
from tqdm.std import tqdm
from vsslib.study.settings import load_settings
settings = load_settings(params_file)
window = settings.masklets.window
started = time.perf_counter()
done = settings.cache / "benchmark.done"
if not done.is_file():  # a cold cache: "generate the benchmark", with a progress bar
    for _ in tqdm(range(3), desc="generating videos", unit="video"):
        time.sleep(0.01)
    done.parent.mkdir(parents=True, exist_ok=True)
    done.touch()
print(f"frames per window: {window}")

# %%
pd.DataFrame({"window": [window], "windows in 48 frames": [48 // window]})

# %%
if window > 8:
    warnings.warn(f"a window of {window} frames is longer than the benchmark's objects stay in view")

# %%
print(f"measured: {time.perf_counter() - started:.6f} s")
"""


def _nbval(notebook: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``pytest --nbval`` on one notebook as ``make test-notebooks`` runs it: from the root, with relative paths and
    the sanitize file and conftest.py beside the notebook (an absolute path outside the root makes pytest name no
    notebook in a failure), in a fresh process."""
    for name in (SANITIZE.name, "conftest.py"):
        shutil.copy(REFS / name, notebook.parent / name)
    return subprocess.run([sys.executable, "-m", "pytest", str(notebook.relative_to(cwd)), "--nbval",
                           "--nbval-current-env", "--nbval-sanitize-with",
                           str((notebook.parent / SANITIZE.name).relative_to(cwd)), "-p", "no:cacheprovider", "-q",
                           "--color=no"],
                          cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, "PWD": str(cwd)})


@pytest.mark.slow  # five kernels: two papermill runs and three nbval runs of a 4-cell notebook
def test_a_changed_setting_fails_nbval_on_its_cell_until_the_references_are_regenerated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jupytext

    (tmp_path / "pyproject.toml").write_text("")  # a repository root for repo_root(): pyproject.toml + vsslib/
    (tmp_path / "vsslib").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "params").mkdir()
    tiny = jupytext.reads(_TINY, fmt="py:percent")
    tiny.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(tiny, tmp_path / "notebooks" / "00_tiny.ipynb")
    settings = tmp_path / "params" / "tiny.yaml"
    settings.write_text("masklets:\n  window: 8\nrun:\n  results_dir: scratch/results\n  cache_dir: scratch/cache\n")
    ignored = tmp_path / "ignore.yaml"
    ignored.write_text(yaml.safe_dump([{"notebook": "00_tiny", "cell": "measured: ", "reason": "prints seconds"}]))
    monkeypatch.chdir(tmp_path)
    refs = tmp_path / "tests" / "notebooks"
    make_references(Path("params/tiny.yaml"), out_dir=refs, ignored_file=ignored, progress=False)  # a cold cache
    reference = refs / "00_tiny.ipynb"
    stored = nbformat.read(reference, as_version=4)  # cells: title, parameters, injected parameters, 4 of code
    streams = {name: "".join(o.text for o in stored.cells[3].outputs if o.get("name") == name)
               for name in ("stdout", "stderr")}
    assert streams["stdout"] == "frames per window: 8\n"
    assert streams["stderr"].startswith("\rgenerating videos:   0%|")  # the bar, as tqdm wrote it, then \n
    assert "| 3/3 [00:00<00:00, " in streams["stderr"]
    assert stored.cells[5].outputs == [] and _tags(stored.cells[6]) == [IGNORE_OUTPUT_TAG]

    # The same code and settings on a warm cache: no bar, other seconds; both excused, so every cell passes.
    passed = _nbval(reference, tmp_path)
    assert passed.returncode == 0, passed.stdout[-3000:]
    assert "6 passed" in passed.stdout

    settings.write_text(settings.read_text().replace("window: 8", "window: 16"))
    failed = _nbval(reference, tmp_path)
    assert failed.returncode == 1, failed.stdout[-3000:]
    # nbval numbers code cells from 0: Cell 2 prints the window, Cell 3 shows the table drawn from it, Cell 4
    # now warns; pytest names the notebook and the cell of each, and nbval shows each difference
    for cell in (2, 3, 4):
        assert f"FAILED tests/notebooks/00_tiny.ipynb::Cell {cell} " in failed.stdout, failed.stdout[-3000:]
    assert "3 failed, 3 passed" in failed.stdout
    assert "frames per window: 8" in failed.stdout and "frames per window: 16" in failed.stdout
    assert "<td>6</td>" in failed.stdout and "<td>3</td>" in failed.stdout  # the table's cell, in the diff
    assert "Unexpected output fields from running code: {'stderr'}" in failed.stdout  # the new warning

    make_references(Path("params/tiny.yaml"), out_dir=refs, ignored_file=ignored, progress=False)
    again = _nbval(reference, tmp_path)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "6 passed" in again.stdout
