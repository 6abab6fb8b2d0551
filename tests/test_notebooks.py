"""The notebooks and their runner: paired sources, inline figures, tidy outputs, HTML, results comparison."""

from __future__ import annotations

import re

import base64
import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import toy_repository
from PIL import Image

from vsslib import viz
from vsslib.study.notebooks import (FORCE_HINT, READS_MASKLETS, SCHEDULE, NotebookFailed, kernel_threads,
                                    list_notebooks, list_sources, main, pair_differences, run_figures, run_order,
                                    sync_notebooks, tidy_outputs, write_summary)
from vsslib.study.settings import StudySettings

ROOT = Path(__file__).resolve().parent.parent


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


# --------------------------------------------------------------------------------- the notebooks
def test_every_notebook_has_a_paired_source_in_sync_and_no_outputs() -> None:
    sources = list_sources(ROOT)
    assert [s.stem for s in sources] == [n.stem for n in list_notebooks(ROOT)]
    assert len(sources) == 9
    problems = [p for source in sources for p in pair_differences(source)]
    assert problems == []


def test_every_notebook_is_parameterised_for_scratch_and_ends_with_what_we_learned_and_exercises() -> None:
    for path in list_notebooks(ROOT):
        nb = nbformat.read(path, as_version=4)
        parameters = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(parameters) == 1, path.name
        assert 'results_dir = "scratch/results"' in parameters[0].source, path.name
        # "What we learned" (its sentences with numbers may be printed by code cells in it), then the exercises
        headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
        assert headings[-2:] == ["## What we learned", "## Exercises"], path.name
        assert nb.cells[-1].cell_type == "markdown" or "takeaway(" in nb.cells[-1].source, path.name
        assert "/work/" not in "".join(c.source for c in nb.cells), path.name


def test_a_source_edit_is_reported_until_synced(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    source = tmp_path / "notebooks" / "00_toy.py"
    source.write_text('# %% [markdown]\n# # Toy\n\n# %% tags=["parameters"]\nresults_dir = "scratch/results"\n\n'
                      "# %%\nprint(1)\n")
    assert pair_differences(source) == ["00_toy.ipynb: missing (run `make notebooks`)"]
    assert [p.name for p in sync_notebooks(tmp_path)] == ["00_toy.ipynb"]
    assert pair_differences(source) == [] and sync_notebooks(tmp_path) == []
    stored = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert [c.id for c in stored.cells] == ["00-00", "00-01", "00-02"]
    source.write_text(source.read_text().replace("print(1)", "print(2)"))
    assert pair_differences(source) == ["00_toy.ipynb cell 2: source differs from 00_toy.py (first line ['print(1)'])"]


def test_tidy_outputs_keeps_the_last_state_of_a_progress_bar_and_drops_the_machine_path() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("run()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="\rbar:   0%| 0/6"),
                    nbformat.v4.new_output("stream", name="stderr", text="\rbar:  50%| 3/6"),
                    nbformat.v4.new_output("stream", name="stderr", text="\rbar: 100%| 6/6\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="wrote /repo/x/results/a.png\n")]
    nb.cells = [cell]
    nb.metadata["papermill"] = {"input_path": "/repo/x/notebooks/00.ipynb"}
    tidy_outputs(nb, Path("/repo/x"))
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [("stderr", "bar: 100%| 6/6\n"),
                                                               ("stdout", "wrote results/a.png\n")]
    assert nb.metadata["papermill"]["input_path"] == "notebooks/00.ipynb"


def test_tidy_outputs_shows_a_finished_progress_bar_as_plain_output_and_a_warning_as_an_error() -> None:
    nb = nbformat.v4.new_notebook()
    bars, warning = nbformat.v4.new_code_cell("run()"), nbformat.v4.new_code_cell("warn()")
    bars.outputs = [nbformat.v4.new_output("stream", name="stderr", text="\rstep: 0 runs [00:00]\rstep: 3 runs "
                                           "[00:41]   \nrefine (oracle): 100%|##########| 20/20 [00:05<00:00, "
                                           " 3.86video/s]\n")]
    warning.outputs = [nbformat.v4.new_output("stream", name="stderr", text="\rbar: 100%| 6/6 [00:01]\n"
                                              "x.py:3: UserWarning: careful\n")]
    nb.cells = [bars, warning]
    tidy_outputs(nb, Path("/repo/x"))
    assert [o.name for o in bars.outputs] == ["stdout"]
    assert bars.outputs[0].text.splitlines()[0] == "step: 3 runs [00:41]"
    assert [o.name for o in warning.outputs] == ["stderr"]


# ------------------------------------------------------------------------------- figures on disk
def test_save_figure_writes_a_150_dpi_png_and_a_pdf_with_the_same_bytes_each_time(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [1, 0])
        assert viz.save_figure(fig, "line", caption="a line", root=tmp_path / folder) is None
    png, pdf = tmp_path / "a" / "figures" / "line.png", tmp_path / "a" / "figures" / "line.pdf"
    with Image.open(png) as image:
        assert image.info["dpi"] == pytest.approx((150, 150), abs=0.1)
        assert image.size[0] >= 3 * 150 * 0.8  # 3 inches wide before tight cropping
    assert pdf.read_bytes()[:5] == b"%PDF-"
    for name in ("line.png", "line.pdf"):
        assert (tmp_path / "a" / "figures" / name).read_bytes() == (tmp_path / "b" / "figures" / name).read_bytes()
    index = json.loads((tmp_path / "a" / "index.json").read_text())
    assert index["figures"]["line"]["vector"] == "figures/line.pdf"


@pytest.mark.slow
def test_figures_and_animations_show_inline_in_an_executed_notebook(tmp_path: Path) -> None:
    """A real kernel: save_figure and save_animation leave image outputs and nothing else."""
    from nbclient import NotebookClient

    gif = viz.refiner.animate_refinement(np.zeros((2, 4, 6, 3), np.uint8), *(np.zeros((2, 4, 6), np.uint8),) * 3,
                                         np.zeros((2, 4, 6), np.int32), np.array([[200, 0, 0]], np.uint8), ["road"],
                                         scale=1)
    (tmp_path / "toy.gif").write_bytes(gif)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\nfrom pathlib import Path\nfrom vsslib import viz\n"
        "fig, ax = plt.subplots()\nax.plot([0, 1])\n"
        f"viz.save_figure(fig, 'inline', caption='a line', root={str(tmp_path)!r})"),
        nbformat.v4.new_code_cell(f"viz.save_animation(Path({str(tmp_path / 'toy.gif')!r}).read_bytes(), 'anim', "
                                  f"caption='toy', root={str(tmp_path)!r})")]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    first, second = (cell.outputs for cell in nb.cells)
    assert [o.output_type for o in first] == [o.output_type for o in second] == ["display_data"] * 2
    for outputs, caption in ((first, "a line"), (second, "toy")):  # each image, then its caption under it
        assert outputs[1].data == {"text/markdown": f"*{caption}*", "text/plain": caption}
        assert outputs[1].metadata == {viz.CAPTION_MARK: True}
    png = base64.b64decode(first[0].data["image/png"])
    assert png == (tmp_path / "figures" / "inline.png").read_bytes()
    with Image.open(tmp_path / "figures" / "inline.png") as image:
        assert first[0].metadata["image/png"]["width"] == round(image.size[0] / 1.5)
    assert base64.b64decode(second[0].data["image/gif"]) == gif


@pytest.mark.slow
def test_make_figures_runs_once_then_says_nothing_to_do_and_how_to_force(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    seen = ("from pathlib import Path\n"
            "Path('../' + results_dir, 'seen.txt').write_text(params_file + ' ' + results_dir)\n")
    toy_repository(tmp_path, {"00_toy": seen})
    monkeypatch.chdir(tmp_path)
    assert main(["figures", "--params", "params.yaml"]) == 0
    assert "ran 1 notebook(s)" in capsys.readouterr().out
    assert (tmp_path / "out" / "seen.txt").read_text() == "params.yaml out"
    executed = nbformat.read(tmp_path / "out" / "notebooks" / "00_toy.ipynb", as_version=4)
    assert str(tmp_path) not in nbformat.writes(executed)
    assert main(["figures", "--params", "params.yaml"]) == 0
    assert FORCE_HINT in capsys.readouterr().out and FORCE_HINT == "make figures FORCE=1"
    assert main(["figures", "--params", "params.yaml", "--force"]) == 0
    assert "ran 1 notebook(s)" in capsys.readouterr().out


# --------------------------------------------------------------------------- summary (verify: tests/test_verify.py)
def test_save_table_rejects_unknown_timing_column(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"machine_dependent_columns \['fps'\]"):
        viz.save_table(pd.DataFrame({"a": [1]}), "t", caption="c", root=tmp_path,
                       machine_dependent_columns=("fps",))


def test_summary_lists_headline_tables_and_every_file(tmp_path: Path) -> None:
    settings = StudySettings.from_mapping({"run": {"results_dir": str(tmp_path)}})
    _make_results(tmp_path, iou=0.6, fps=12.0, dot=(2, 2))
    summary = write_summary(settings).read_text()
    assert "## Approach 1" in summary and "| refined | 0.6000 | 12.0000 |" in summary
    assert "| [figures/toy_figure.png](figures/toy_figure.png) | a dot | interactive |" in summary
    assert "generated benchmark (VSPW layout, not VSPW)" in summary
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["tables"]["refiner"]["machine_dependent_columns"] == ["fps"]


@pytest.mark.slow
def test_make_figures_runs_the_first_notebook_alone_then_the_others_side_by_side(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Each toy notebook logs when it starts and ends; the two of the middle stage wait for each other, so they
    # can only both finish if they run at the same time.
    cell = ("import time\nfrom pathlib import Path\nlog = Path('../' + results_dir, 'log.txt')\n"
            "log.parent.mkdir(exist_ok=True)\n"
            "with log.open('a') as f: f.write('start {name}\\n')\n{body}\n"
            "with log.open('a') as f: f.write('end {name}\\n')\n"
            "import os, torch\nPath('../' + results_dir, '{name}.threads').write_text("
            "f\"{os.environ.get('OMP_NUM_THREADS', '-')} {torch.get_num_threads()}\")\n")
    wait_for_other = ("other = Path('../' + results_dir, '{other}.here')\nPath('../' + results_dir, '{name}.here')"
                      ".write_text('')\ndeadline = time.time() + 60\nwhile not other.exists() and time.time() < deadline:"
                      "\n    time.sleep(0.1)\nassert other.exists(), 'ran alone'")
    bodies = {"02_baselines": "time.sleep(0.5)", "07_cost": "time.sleep(0.5)",
              "03_a": wait_for_other.format(name="03_a", other="04_b"),
              "04_b": wait_for_other.format(name="04_b", other="03_a")}
    toy_repository(tmp_path, {name: cell.replace("{name}", name).replace("{body}", body)
                              for name, body in bodies.items()})
    monkeypatch.chdir(tmp_path)
    assert main(["figures", "--params", "params.yaml", "--jobs", "2"]) == 0
    assert "ran 4 notebook(s)" in capsys.readouterr().out
    log = (tmp_path / "out" / "log.txt").read_text().split("\n")
    assert log[:2] == ["start 02_baselines", "end 02_baselines"]  # first, alone
    assert log[-3:] == ["start 07_cost", "end 07_cost", ""]  # last, alone
    assert sorted(log[2:6]) == ["end 03_a", "end 04_b", "start 03_a", "start 04_b"]
    assert {log[2], log[3]} == {"start 03_a", "start 04_b"}  # both started before either ended
    for name in bodies:
        assert (tmp_path / "out" / "notebooks" / f"{name}.ipynb").is_file()
    # side by side, each kernel gets its share of the cores (torch reads the cap at import); alone, no cap is set
    share = max(1, (os.cpu_count() or 1) // 2)
    for name in ("03_a", "04_b"):
        assert (tmp_path / "out" / f"{name}.threads").read_text() == f"{share} {share}"
    assert kernel_threads(2, cores=2) == 1 and kernel_threads(2, cores=16) == 8 and kernel_threads(4, cores=2) == 1


@pytest.mark.slow
def test_a_notebook_that_fails_side_by_side_stops_the_run_and_keeps_its_executed_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toy_repository(tmp_path, {"03_fine": "x = 1\n", "04_broken": "raise ValueError('broken on purpose')\n",
                              "07_cost": "x = 2\n"})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NotebookFailed, match=r"(?s)04_broken.ipynb failed:.*broken on purpose"):
        run_figures(Path("params.yaml"), jobs=2, progress=False)
    notebooks = tmp_path / "out" / "notebooks"
    assert (notebooks / "04_broken.FAILED.ipynb").is_file() and (notebooks / "03_fine.ipynb").is_file()
    assert not (notebooks / "07_cost.ipynb").exists()  # nothing starts after a failure


def test_prune_index_drops_what_a_notebook_no_longer_writes_and_keeps_the_rest(tmp_path: Path) -> None:
    import time

    table = pd.DataFrame({"a": [1.0]})
    x, y = viz.ResultsFolder(tmp_path, "03_x.ipynb"), viz.ResultsFolder(tmp_path, "04_y.ipynb")
    x.save_table(table, "kept", caption="written again")
    x.save_table(table, "dropped", caption="not written again")
    y.save_table(table, "other", caption="another notebook's")
    old = time.time() - 60
    for name in ("kept", "dropped", "other"):  # all three from an earlier run
        for suffix in (".csv", ".md"):
            os.utime(tmp_path / "tables" / f"{name}{suffix}", (old, old))
    started = time.time()
    x.save_table(table, "kept", caption="written again")  # this run of 03_x writes only "kept"
    removed = viz.prune_index(tmp_path, "03_x.ipynb", started)
    assert removed == [tmp_path / "tables" / "dropped.csv", tmp_path / "tables" / "dropped.md"]
    index = json.loads((tmp_path / "index.json").read_text())
    assert sorted(index["tables"]) == ["kept", "other"]  # 04_y's older table is not 03_x's to drop
    assert (tmp_path / "tables" / "other.csv").is_file() and (tmp_path / "tables" / "kept.md").is_file()


def test_long_notebooks_start_first_in_the_side_by_side_stage() -> None:
    stems = [nb.stem for nb in list_notebooks(ROOT)]
    assert stems == ["00_tour", "01_dataset", "02_baselines", "03_refiner", "04_mask_classifier",
                     "05_boundary_analysis", "06_failure_cases", "07_cost", "08_sam2_knobs"]
    assert run_order(stems) == (["02_baselines"], ["03_refiner", "04_mask_classifier", "06_failure_cases", "00_tour",
                                                    "01_dataset", "05_boundary_analysis", "08_sam2_knobs"],
                                ["07_cost"])
    assert run_order(["00_tour"]) == ([], ["00_tour"], [])


def test_the_schedule_and_the_masklets_each_notebook_reads_name_real_notebooks_and_purposes() -> None:
    """A misspelt stem would leave a notebook out of its stage, or its masklets to be made after 02 by the
    notebook itself; a misspelt purpose would fail only after 02 had run."""
    from vsslib.study.prefetch import PURPOSES

    stems = {nb.stem for nb in list_notebooks(ROOT)}
    assert set(SCHEDULE) <= stems and set(READS_MASKLETS) <= stems
    assert set(SCHEDULE.values()) <= {"first", "long", "alone"}
    assert {purpose for purposes in READS_MASKLETS.values() for purpose in purposes} == set(PURPOSES)
    # the notebooks that read no SAM2 masklets: the dataset, the networks, and cost (07 makes and times its own)
    assert stems - set(READS_MASKLETS) == {"01_dataset", "02_baselines", "07_cost"}


def test_each_notebook_names_itself_when_it_opens_the_study_and_a_bad_name_is_refused(tmp_path: Path) -> None:
    import ast

    for source in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        tree = ast.parse("\n".join(line for line in source.read_text().splitlines() if not line.startswith("%")))
        calls = [node for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "open_notebook"]
        assert len(calls) == 1 and ast.literal_eval(calls[0].args[0]) == source.stem, source.name
        assert "viz.save_" not in source.read_text(), source.name  # figures go through the study's folder
    for bad in ("", "notebooks/03_x.ipynb"):
        with pytest.raises(ValueError, match="must be a file name"):
            viz.ResultsFolder(tmp_path, bad)
    viz.save_table(pd.DataFrame({"a": [1]}), "by_hand", caption="c", root=tmp_path)
    assert json.loads((tmp_path / "index.json").read_text())["tables"]["by_hand"]["notebook"] == viz.INTERACTIVE


def _times(readme: str) -> str:
    """The README's "Measured run times" section (between its TIMES markers)."""
    return readme.split("<!-- TIMES:START -->", 1)[1].split("<!-- TIMES:END -->", 1)[0]


def _reference_row(times: str) -> str:
    """The reference cold run: the first `make verify` in a fresh clone row, which the First-run lines follow."""
    return next(line for line in times.splitlines() if line.startswith("| `make verify` in a fresh clone"))


def test_each_notebook_states_the_first_run_time_the_readme_measured() -> None:
    """The "First run" line of every notebook is within 10 % (+ 3 s) of the README's cold ``make verify`` row, so
    a notebook whose first run grows or shrinks by more than that fails until its line is updated."""
    import re

    readme = (ROOT / "README.md").read_text()
    times = _times(readme)
    row = _reference_row(times)
    measured = {number: int(seconds) for number, seconds in re.findall(r"`(\d\d)[a-z0-9_]*` (\d+) s", row)}
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    assert sorted(measured) == sorted(s.stem[:2] for s in sources), row  # the row times every notebook
    for source in sources:
        text = " ".join(line[2:] for line in source.read_text().splitlines() if line.startswith("# "))
        found = re.search(r"\*\*First run:\*\* about (\d+(?:\.\d)?) (s|min) in a cold `make verify`", text)
        assert found, f"{source.name}: no '**First run:** about N s|min in a cold `make verify`' line"
        stated = float(found.group(1)) * (60 if found.group(2) == "min" else 1)
        truth = measured[source.stem[:2]]
        assert abs(stated - truth) <= 0.1 * truth + 3, (source.name, f"states {stated} s, README measured {truth} s")
    # the README's range names the quickest and the slowest notebook of that row, within the same margin
    span = re.search(r"from about (\d+) s \(`(\d\d)_\w+`\) to about (\d+) min \(`(\d\d)_\w+`", " ".join(readme.split()))
    assert span, "README: no 'from about N s (`NN_name`) to about M min (`NN_name`' range of first runs"
    quickest, slowest = min(measured, key=measured.get), max(measured, key=measured.get)
    assert (span.group(2), span.group(4)) == (quickest, slowest), span.group(0)
    for stated, truth in ((int(span.group(1)), measured[quickest]), (60 * int(span.group(3)), measured[slowest])):
        assert abs(stated - truth) <= 0.1 * truth + 3, (span.group(0), f"README measured {truth} s")


def test_the_readme_cold_cost_paragraph_quotes_the_two_cold_runs_it_names() -> None:
    """The paragraph on what sam2-mini costs a cold run gives each cited run the numbers of its README row, and its
    bounds are computed from them."""
    readme = (ROOT / "README.md").read_text()
    text = " ".join(readme.split("**What it costs a cold `make figures`.**", 1)[1].split("\n\n", 1)[0].split())
    rows = _times(readme).splitlines()
    before = next(row for row in rows if row.startswith("| `make figures FORCE=1 JOBS=2` of commit 996634d"))
    after = next(row for row in rows if row.startswith("| `make verify` in a fresh clone of commit c7529aa"))
    old_run = text[text.index("In the cold run of commit 996634d"):text.index("`make figures` now makes them")]
    new_run = text[text.index("The cold `make verify` of commit c7529aa"):text.index("The 20 minutes")]
    for number in ("2194 s of computing", "75 % busy", "44 min 55 s"):
        assert number in old_run and number.split(" busy")[0] in before, number
    for number in ("38 min 21 s", "89 % busy"):
        assert number in new_run and number.split(" busy")[0] in after, number
    assert "55 products" in old_run and "55 products" in before and "55 sam2-mini products" in after
    cold = [row for row in rows if row.startswith(("| `make verify` in a fresh clone of commit",
                                                   "| `make figures FORCE=1 JOBS=2` of commit"))]
    every = sorted(int(n) for row in cold for n in re.findall(r"(\d+) s of computing", row))
    count = {3: "three", 4: "four", 5: "five"}[len(every)]
    assert f"{every[0]}-{every[-1]} s of computing in the {count} cold runs" in text
    assert f"at least {every[0] / 2 / 60:.1f} min of both cores" in text
    computing = sorted(int(n) for n in re.findall(r"(\d+) s of computing", before + after))
    busy, minutes = 0.89, 38 + 21 / 60
    assert f"about {round(busy * minutes)} min of both cores" in text
    # the knob sweep left out: the products at sam2-mini's own settings (one per video of the three splits) and 02
    settings = json.loads((ROOT / "results" / "settings.json").read_text())
    videos = sum(settings["data"]["splits"])
    products = int(re.search(r"(\d+) sam2-mini products", after)[1])
    own = videos * computing[0] / products
    first = int(re.search(r"`02` (\d+) s", after)[1])
    assert f"are {videos} of that run's {products} products, about {own:.0f} s of its {computing[0]} s" in text
    assert f"{own / 2 / 60:.1f} min of both cores, and with `02`'s {first} s ({first / 60:.1f} min)" in text
    assert f"{own / 2 / 60 + first / 60:.1f} min pass before" in text


def test_the_hand_written_costs_agree_with_the_run_and_the_table_they_cite() -> None:
    """The costs the README and the notebooks write by hand: the masklets stage and the seconds a sam2-mini video
    against the README's reference cold run (its first `make verify` row), 02's breakdown against its own speeds
    and that run, and the classical masklets' row against the committed ``cost_stages.csv``."""
    readme = (ROOT / "README.md").read_text()
    times = _times(readme)
    row = _reference_row(times)
    found = re.search(r"the masklets stage (\d+) s \((\d+) sam2-mini products, (\d+) s of computing", row)
    assert found, row
    stage, products, computing = (int(g) for g in found.groups())
    a_video = computing / products

    def text(name: str) -> str:
        source = (ROOT / "notebooks" / f"{name}.py").read_text()
        return " ".join(" ".join(line[2:] for line in source.splitlines() if line.startswith("# ")).split())

    def near(stated: float, truth: float) -> bool:
        return abs(stated - truth) <= 0.1 * truth

    flat = " ".join(readme.split())
    for where in (flat, text("03_refiner")):
        minutes = re.search(r"about (\d+) min (?:cold, two videos at a time|for all the study reads)", where)
        assert minutes and near(60 * int(minutes.group(1)), stage), (minutes, stage)
    for name in ("03_refiner", "04_mask_classifier", "08_sam2_knobs"):
        seconds = re.search(r"about (\d+) s a video", text(name))
        assert seconds and near(int(seconds.group(1)), a_video), (name, a_video)
    settings = json.loads((ROOT / "results" / "settings.json").read_text())
    val_videos = settings["data"]["splits"][1]
    by_hand = re.search(r"masklets of the val videos itself, one at a time \(about (\d+) min more\)",
                        text("03_refiner"))
    assert by_hand and near(60 * int(by_hand.group(1)), val_videos * a_video), val_videos * a_video
    # 03: what the grown corruption sweep added, against the two warm runs of the README it cites
    grown = re.search(r"added about (\d+(?:\.\d)?) min in a `make figures` that had only those runs to make \(`03` "
                      r"(\d+) s, against (\d+) s before", text("03_refiner"))
    assert grown, "03: no cost of the grown sweep"
    assert near(60 * float(grown[1]), int(grown[2]) - int(grown[3]))
    warm = [line for line in times.splitlines() if line.startswith("| `make figures JOBS=2`")]
    assert any(f"`03` {grown[2]} s" in line and "sweep" in line for line in warm)
    assert any(f"`03` {grown[3]} s" in line for line in warm)
    # 02: 3 seeds of each network at the speeds it quotes, and the rest of its cold run
    baselines = text("02_baselines")
    speeds = re.search(r"\((\d+)-(\d+) s a `fcn8-small`, (\d+)-(\d+) s a `fcn16-wide`", baselines)
    assert speeds, "02: no training speeds"
    seeds = len(settings["baselines"]["train_seeds"])
    low, high = seeds * (int(speeds[1]) + int(speeds[3])), seeds * (int(speeds[2]) + int(speeds[4]))
    training = re.search(r"training 2 networks x (\d) seeds \(about (\d+(?:\.\d)?) min together", baselines)
    assert training and int(training[1]) == seeds and low <= 60 * float(training[2]) <= high + 0.1 * high
    parts = re.search(r"benchmark \(about (\d+) s\).*\((\d+) s a network alone\); the rest, about (\d+(?:\.\d)?) min",
                      baselines)
    assert parts, "02: no breakdown"
    whole = int(re.search(r"`02` (\d+) s", row)[1])
    rest = whole - int(parts[1]) - (low + high) / 2 - 2 * int(parts[2])
    assert abs(60 * float(parts[3]) - rest) <= 30, (parts[3], rest)
    # the classical masklets' costs, against the committed 07 (mean over the networks' rows)
    stages = pd.read_csv(ROOT / "results" / "tables" / "cost_stages.csv")
    classical = stages[stages["masklets"] == "classical"].groupby("stage")["seconds_per_frame"].mean()
    quoted = re.search(r"propagation about (\d+) ms a frame; proposals about (\d+\.\d) ms a frame averaged over every "
                       r"frame, about (\d+) ms a key frame \(two key frames a (\d+)-frame video", flat)
    assert quoted, "README: no classical masklets row"
    frames, window = settings["data"]["frames"], settings["masklets"]["window"]
    assert int(quoted[4]) == frames and -(-frames // window) == 2
    # "about": the rounding, or a tenth where that is wider (07 re-times them on every run)
    propagation, proposal = 1000 * classical["propagation"], 1000 * classical["proposal"]
    assert abs(int(quoted[1]) - propagation) <= max(0.5, 0.1 * propagation), propagation
    assert abs(float(quoted[2]) - proposal) <= max(0.05, 0.1 * proposal), proposal
    per_key_frame = proposal * frames / 2
    assert abs(int(quoted[3]) - per_key_frame) <= max(0.5, 0.1 * per_key_frame), per_key_frame


def test_a_kernel_that_dies_before_its_first_reply_is_started_again_and_other_errors_are_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two kernels started side by side once got the same TCP port in CI; no cell had run, so a new start is safe."""
    import papermill

    from vsslib.study import notebooks

    monkeypatch.setattr(notebooks.time, "sleep", lambda seconds: None)
    run = notebooks._NotebookRun(tmp_path / "a.ipynb", tmp_path / "out" / "a.ipynb", {}, "stamp")
    calls = []

    def flaky(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 1:
            raise RuntimeError(notebooks.KERNEL_START_FAILURE)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    assert notebooks._execute(run).error is None and len(calls) == 2
    calls.clear()
    def never_starts(*args, **kwargs):
        calls.append(args[0])
        raise RuntimeError(notebooks.KERNEL_START_FAILURE)

    monkeypatch.setattr(papermill, "execute_notebook", never_starts)
    error = notebooks._execute(run).error  # a kernel that never starts: reported after the last attempt
    assert len(calls) == notebooks.KERNEL_START_ATTEMPTS and notebooks.KERNEL_START_FAILURE in error
    calls.clear()

    def failing_cell(*args, **kwargs):
        calls.append(args[0])
        raise ValueError("a cell failed")

    monkeypatch.setattr(papermill, "execute_notebook", failing_cell)
    assert notebooks._execute(run).error == "ValueError: a cell failed" and len(calls) == 1  # not started again
