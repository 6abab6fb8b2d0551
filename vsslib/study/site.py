"""The study's website: the executed notebooks as a Sphinx book (MyST-NB, sphinx-book-theme), built offline.

:func:`build_site` (``make html``) turns ``<results>/notebooks/*.ipynb`` into ``<results>/html/``: a landing
page with the README's key figures, its findings block (written by :func:`vsslib.study.findings.headline` from
``<results>/tables/``, the same source as the README's) and its run instructions (read from the README's
sections), one page per notebook in reading order, a page with every table of ``<results>/tables/``, and the
whole README and (where given) the sam2-mini model card as pages of their own, so that the sections the
notebooks cite ("Measured run times", ...) are on the site. The theme gives the contents sidebar,
previous/next links and search. Notebooks are rendered as executed; nothing
is run (MyST-NB's ``nb_execution_mode = "off"``).

Before Sphinx reads a notebook, :func:`prepare_notebook` rewrites a copy of it: every image output becomes a
figure whose caption (the one passed to :func:`vsslib.viz.save_figure`) is shown under it and is its alt text,
and papermill's injected-parameters cell becomes a note saying which parameters ``make figures`` passed.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..base.io import atomic_folder, write_text_atomic
from ..base.errors import DataError, ParameterError
from .findings import TERMS, headline
from ..viz import CAPTION_MARK, caption_markdown, shown_width

__all__ = ["build_site", "prepare_notebook", "readme_sections", "RUN_SECTIONS", "KEY_FIGURE_COUNT", "README_PAGE",
           "README_PAGE_TITLE", "MODEL_CARD_PAGE"]

RUN_SECTIONS = ("Read and run the tutorials", "Two commands")
"""The README sections (``## `` headings) the landing page repeats as its run instructions."""
KEY_FIGURE_COUNT = 2
"""How many of the README's images (``![...](results/figures/...)``) the landing page shows."""
README_PAGE, MODEL_CARD_PAGE = "readme", "sam2_mini_model_card"
"""The site's pages of the whole README and of the sam2-mini model card."""
README_PAGE_TITLE = "The README: install, run, reproduce"
"""The README page's heading and sidebar entry (its own first heading is the study's title, the landing page's)."""
CONFIRMATION_ANCHOR = "the-headline-on-held-out-videos"
"""The README heading the findings block refers to for ``make confirm`` (MyST's anchor of it)."""
_TABLE_ROWS_SHOWN = 40  # a longer table is shown by its first rows, with the whole file to download
_IMAGE_TYPES = {"image/png": "png", "image/gif": "gif", "image/jpeg": "jpg"}
_PLAIN_CAPTION = re.compile(r"^<(?:figure|animation): (.*)>$", re.DOTALL)
_README_IMAGE = re.compile(r"^!\[([^\]]*)\]\(results/figures/([^)\s]+)\)\s*$", re.MULTILINE)


# ------------------------------------------------------------------------------------------ pieces
def readme_sections(readme: str, titles: tuple[str, ...]) -> str:
    """The README's ``## <title>`` sections named in ``titles``, in that order, headings demoted to ``###``.

    Raises
    ------
    DataError : a section is missing (the message names it and lists the README's sections).
    """
    parts = re.split(r"^## ", readme, flags=re.MULTILINE)
    sections = {part.split("\n", 1)[0].strip(): part.split("\n", 1)[1] if "\n" in part else "" for part in parts[1:]}
    missing = [t for t in titles if t not in sections]
    if missing:
        raise DataError(f"README.md: no section(s) {missing}; it has {list(sections)}")
    return "\n".join(f"### {t}\n{sections[t].strip()}\n" for t in titles)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _figure_directive(path: str, caption: str, width: int | None) -> str:
    """A MyST figure: the image, ``caption`` as its alt text and, when non-empty, under it."""
    fence = "````"
    options = [f":alt: {_one_line(caption) or 'figure without a caption'}"]
    if width:
        options.append(f":width: {int(width)}px")
    return "\n".join([f"{fence}{{figure}} {path}", *options, "", caption_markdown(caption), fence]) + "\n"


def _caption_of(output) -> str:
    """The caption an image output carries (``text/plain`` ``<figure: ...>`` from :func:`vsslib.viz.save_figure`)."""
    match = _PLAIN_CAPTION.match(str(output.get("data", {}).get("text/plain", "")).strip())
    return match.group(1).strip() if match else ""


def prepare_notebook(nb, figures: Path, stem: str):  # nb: nbformat.NotebookNode, changed in place and returned
    """Rewrite an executed notebook for the site.

    Each image output (PNG, GIF, JPEG) is written to ``figures/<stem>-<cell>-<k>.<ext>`` and replaced by a
    Markdown output holding a MyST figure of that file with its caption under it and as its alt text; the caption
    output that :func:`vsslib.viz.save_figure` shows under a figure (marked ``CAPTION_MARK``) is folded into it.
    Papermill's ``injected-parameters`` cell becomes a note naming the parameters ``make figures`` passed.
    """
    import nbformat

    figures.mkdir(parents=True, exist_ok=True)
    cells = []
    for k, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type == "code" and "injected-parameters" in tags:
            assigned = "\n".join(line for line in cell.source.splitlines() if not line.startswith("#"))
            cells.append(nbformat.v4.new_markdown_cell(
                "`````{note}\nThe parameters above are the defaults of a run by hand. `make figures` ran this page "
                "with these values instead (papermill inserted them as a cell here):\n\n"
                f"```python\n{assigned.strip()}\n```\n`````"))
            continue
        if cell.cell_type == "code":
            outputs = []
            for j, output in enumerate(cell.get("outputs", [])):
                data = output.get("data", {})
                if output.get("metadata", {}).get(CAPTION_MARK) and outputs and outputs[-1].get("_figure"):
                    continue  # the caption is already under the figure it belongs to
                kind = next((m for m in _IMAGE_TYPES if m in data), None)
                if output.get("output_type") not in ("display_data", "execute_result") or kind is None:
                    outputs.append(output)
                    continue
                name = f"{stem}-{k:02d}-{j}.{_IMAGE_TYPES[kind]}"
                (figures / name).write_bytes(base64.b64decode(data[kind]))
                caption = _caption_of(output)
                following = cell.outputs[j + 1] if j + 1 < len(cell.outputs) else None
                if following is not None and following.get("metadata", {}).get(CAPTION_MARK):
                    caption = str(following.get("data", {}).get("text/plain", caption)).strip() or caption
                width = output.get("metadata", {}).get(kind, {}).get("width")
                figure = nbformat.v4.new_output("display_data", data={
                    "text/markdown": _figure_directive(f"{figures.name}/{name}", caption, width),
                    "text/plain": caption})
                figure["_figure"] = True
                outputs.append(figure)
            for output in outputs:
                output.pop("_figure", None)
            cell.outputs = outputs
        cells.append(cell)
    nb.cells = cells
    return nb


def _notebook_title(nb) -> tuple[str, str]:
    """The first ``# `` heading of a notebook and the first paragraph after it."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            head, _, rest = cell.source.strip().partition("\n")
            return head.lstrip("# ").strip(), _one_line(rest.strip().split("\n\n")[0])
    return "", ""


COLUMN_GUIDE = (
    "**Reading the columns.** A metric column (say `mIoU`) is the mean over training seeds; `mIoU_sd` is the "
    "standard deviation over those seeds (`refiner_oracle_sweep` pools each training seed's `n_corruption_seeds` "
    "corruption seeds into one run; in `refiner_mask_quality` the mask quality, vote ceiling and coverage of an "
    "oracle row are over its corruption seeds, and a generator's, measured once, have no spread); `mIoU_ci_low` and "
    "`mIoU_ci_high` bound its 95 % interval, a bootstrap "
    "that resamples both the seeds and the videos. `gain_mIoU` is a refined map's gain over its own baseline "
    "network in points, paired (the same seeds and videos on both sides), with `gain_mIoU_p` the bootstrap's "
    "two-sided p-value. `n_seeds` and `n_videos` count what the intervals rest on (the axes of "
    "`refiner_mask_quality` rest on `n_corruption_seeds`); `n_objects` in "
    "`boundary_gain_by_object_size` counts object-frames (an object counts once in every frame it is in). In "
    "`failure_causes`, an event is one cause's damaged pixels in one masklet on one frame. In `cost_sam2_memory`, "
    "`method` says how the peak was read: `VmHWM` is Linux's high-water mark of the process's resident memory "
    "(reset before each measurement), `ru_maxrss` the process's peak so far, `cuda max_memory_allocated` the "
    "tensors on a GPU, and `tracked_frames` the frames propagated of the frames held. In the generator and "
    "propagation cost tables, `candidates` is the masks a point grid proposes (three a point), `masks_kept` those "
    "the filters keep (-1 where not measured), and `extrapolated` marks a row predicted from the measured ones. "
    "In `failure_causes`, `share_rank` is 1 for the largest share and `share_over_next` its paired lead over the "
    "next cause (percentage points). In `refiner_mask_quality`, `mask_quality` is the mean IoU of each object's "
    "masklet with the object over its window, and `vote_ceiling` is the pixel accuracy the refiner would reach fed "
    "the ground truth instead of a network (its best with those masklets; a pixel in no masklet counts as right), "
    "beside `labelled_coverage`, the percent of labelled pixels inside some masklet. In `boundary_vc8_summary`, "
    "`windows_steadier` is the share of 8-frame windows whose VC8 is higher refined than before refinement. "
    "Two tables compare something other than the baseline: in `refiner_sources_paired`, `gain_*` is the map "
    "refined with the row's `masklets` minus the map refined with its `reference` masklets (same seeds and "
    "videos); in `sam2_knobs`, `change_*` is the map refined at the knob's `value` minus the map refined at the "
    "source's own settings (`default` marks that row), while its `gain_*` is over the baseline as everywhere; "
    "its `masklets_per_frame` counts masklets on a frame and `coverage` is the percent of the frame's pixels "
    "inside some masklet (both means over the videos).")
"""The tables page's key to the column names the CSVs share."""


def _tables_page(results: Path, src: Path, captions: dict[str, dict]) -> tuple[str, list[str]]:
    """The tables page (Markdown) and the table names, each with its caption, CSV download and contents."""
    tables = sorted((results / "tables").glob("*.csv"))
    (src / "tables").mkdir(exist_ok=True)
    lines = ["# Tables", "", "Every table the notebooks wrote to `results/tables/`, with what it shows and the "
             "notebook that made it. Scores (IoU, Boundary IoU, VC, accuracy, coverage, shares) are in percent; "
             "times, memory, frame rates, pixel sizes and counts are in the units their caption or column names.",
             "", COLUMN_GUIDE, ""]
    for csv in tables:
        name = csv.stem
        shutil.copyfile(csv, src / "tables" / csv.name)
        entry = captions.get(name, {})
        lines += [f"## `{name}`", ""]  # its anchor: tables.md#<name> (myst_heading_anchors)
        if entry.get("caption"):
            lines += [f"{entry['caption'].strip()} (notebook `{entry.get('notebook', '?')}`)", ""]
        md = csv.with_suffix(".md")
        rows = md.read_text().strip().splitlines() if md.is_file() else []
        lines += [f"{{download}}`Download {csv.name} <tables/{csv.name}>`", ""]
        if rows:
            shown = rows[: _TABLE_ROWS_SHOWN + 2]
            if len(rows) > len(shown):
                lines += [f"The first {_TABLE_ROWS_SHOWN} of its {len(rows) - 2} rows:", ""]
            lines += [*shown, ""]
    return "\n".join(lines), [t.stem for t in tables]


def _landing_page(results: Path, readme: Path, src: Path, notebooks: list[tuple[str, str, str]],
                  tables: list[str], captions: dict[str, dict], *, model_card: bool) -> str:
    text = readme.read_text()
    title = text.split("\n", 1)[0].lstrip("# ").strip()
    intro = text.split("\n## ", 1)[0].split("\n", 1)[1].strip()
    # the words come before the key figures, whose captions use them
    lines = [f"# {title}", "", intro, "", TERMS, ""]
    for alt, file in _README_IMAGE.findall(text)[:KEY_FIGURE_COUNT]:
        if (src / "key" / file).is_file():  # copied with the README page (:func:`_readme_page`)
            caption = captions.get(Path(file).stem, {}).get("caption") or alt
            lines.append(_key_figure(src, file, caption))
    lines += ["## What the study finds", ""]
    try:
        lines += [headline(results, confirmation=f"[in the README]({README_PAGE}.md#{CONFIRMATION_ANCHOR})",
                           terms=False), ""]
    except DataError as exc:
        lines += [f"Not available: {exc}.", ""]
    lines += ["## The notebooks, in reading order", ""]
    lines += [f"{k + 1}. [{title or stem}]({stem}.ipynb): {summary}" for k, (stem, title, summary) in
              enumerate(notebooks)]
    lines += ["", "## Run it yourself", "", readme_sections(text, RUN_SECTIONS), "",
              f"The [whole README]({README_PAGE}.md) has the rest: how the embedded default differs from the paper, "
              "the metric definitions, seeds, intervals and `make verify`, running on real VSPW, refining your own "
              "model's predictions, and the measured run times the notebooks quote."
              + (f" sam2-mini (SAM2 architecture, trained here on the generated benchmark) has a "
                 f"[model card]({MODEL_CARD_PAGE}.md)." if model_card else ""), "", "## Tables", ""]
    lines += [f"[Every table](tables.md), each with a CSV to download: "
              + ", ".join(f"[`{name}`](tables.md#{name})" for name in tables) + "." if tables
              else "No table yet: run `make figures`.", ""]
    lines += ["```{toctree}", ":hidden:", ":maxdepth: 1", ":caption: Notebooks", "",
              *[stem for stem, _, _ in notebooks], "```", "",
              "```{toctree}", ":hidden:", ":caption: Results", "", "tables", "```", "",
              # the README page's own heading is the study's title, the landing page's too: the sidebar names it
              "```{toctree}", ":hidden:", ":caption: About", "", f"{README_PAGE_TITLE} <{README_PAGE}>",
              *([MODEL_CARD_PAGE] if model_card else []), "```", ""]
    return "\n".join(lines)


def _key_figure(src: Path, file: str, caption: str) -> str:
    """The figure directive of ``src/key/<file>`` (a README image copied beside the page), at its shown width."""
    with open(src / "key" / file, "rb") as png:
        return _figure_directive(f"key/{file}", caption, shown_width(png.read(24)))


def _readme_page(readme: Path, results: Path, src: Path, captions: dict[str, dict]) -> str:
    """The README as a page: its images (``results/figures/...``) copied beside it and shown as figures with the
    caption their notebook gave them (``captions``: ``index.json``'s figures by name; the alt text where none), its
    first heading (the study's title, the landing page's too) replaced by :data:`README_PAGE_TITLE`, so tabs and
    previous/next links tell the two apart."""
    title, _, rest = readme.read_text().partition("\n")
    text = f"# {README_PAGE_TITLE}\n\n*{title[2:].strip()}*\n{rest}" if title.startswith("# ") else f"{title}\n{rest}"

    def figure(match: re.Match) -> str:
        alt, file = match.groups()
        if not (results / "figures" / file).is_file():
            return match.group(0)
        (src / "key").mkdir(exist_ok=True)
        shutil.copyfile(results / "figures" / file, src / "key" / file)
        return _key_figure(src, file, captions.get(Path(file).stem, {}).get("caption") or alt)

    return _README_IMAGE.sub(figure, text)


_CAPTIONED_IMAGE = re.compile(r"^!\[([^\]]*)\]\(([^)\s:]+)\)[ \t]*\n\n\*(.+)\*[ \t]*$", re.MULTILINE)
"""A Markdown image followed, after one blank line, by a one-line italic caption (as the model card writes them)."""


_FILE_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s:#]+\.(?:png|jpg|svg|pdf|json|csv))\)")
"""A plain Markdown link (not an image) to a local file, e.g. the model card's earlier runs' training curves."""


def _model_card_page(card: Path, src: Path) -> str:
    """The model card as a page, the images and files it links beside it (relative names, as in its folder); an
    image with an italic caption line under it becomes a figure with that caption (under it and as its alt text),
    and a plain link to a file a download link (Sphinx resolves a plain link only to another page)."""
    text = card.read_text()
    for file in [*re.findall(r"!\[[^\]]*\]\(([^)\s:]+)\)", text), *(m[1] for m in _FILE_LINK.findall(text))]:
        if (card.parent / file).is_file():
            shutil.copyfile(card.parent / file, src / file)
    text = _FILE_LINK.sub(lambda m: f"{{download}}`{m.group(1)} <{m.group(2)}>`", text)
    return _CAPTIONED_IMAGE.sub(lambda m: _figure_directive(m.group(2), m.group(3).replace("\\", ""), None), text)


_CONF = '''# Written by vsslib.study.site (make html); edit vsslib/study/site.py instead.
project = {title!r}
html_title = {title!r}
extensions = ["myst_nb"]
nb_execution_mode = "off"
nb_render_markdown_format = "myst"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
html_theme = "sphinx_book_theme"
html_theme_options = {{"home_page_in_toc": True, "show_navbar_depth": 1, "show_toc_level": 2,
                       "use_download_button": False, "use_fullscreen_button": False,
                       "footer_content_items": [], "secondary_sidebar_items": []}}
html_sidebars = {{"**": ["navbar-logo.html", "sbt-sidebar-nav.html", "page-toc.html"]}}  # search: in the top bar
html_static_path = ["_static"]
html_css_files = ["{css}"]
html_js_files = ["{js}"]
html_copy_source = False
html_use_index = False  # no general index: the pages define no index entries, it would be empty
html_show_sourcelink = False
html_last_updated_fmt = None
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["mystnb.unknown_mime_type"]
'''


SITE_CSS = "vsslib.css"
SITE_JS = "vsslib.js"
_JS = """// Written by vsslib.study.site (make html): the navigation scrolls in a box of its own (vsslib.css); scroll
// it so the current page's entry is in view, a third of the way down.
document.addEventListener("DOMContentLoaded", () => {
  const links = document.querySelectorAll(".bd-sidebar-primary .bd-docs-nav li.current > a");
  if (!links.length) return;
  const link = links[links.length - 1];
  const nav = link.closest(".sidebar-primary-item");
  const top = link.getBoundingClientRect().top - nav.getBoundingClientRect().top + nav.scrollTop;
  if (top + link.offsetHeight > nav.scrollTop + nav.clientHeight) nav.scrollTop = top - nav.clientHeight / 3;
});
"""
_CSS = """/* Written by vsslib.study.site (make html). The figures are drawn for a page PAGE_WIDTH_IN wide (900 CSS px)
   and their text is checked legible there (vsslib.viz._draw.small_texts): the article takes the width the
   theme's right-hand sidebar held, whose page contents move under the left-hand navigation. */
.bd-page-width { max-width: 100rem; }
.bd-main .bd-content .bd-article-container { max-width: 100%; }
.bd-sidebar-primary .page-toc { margin-top: 1.5rem; font-size: 0.85rem; }
/* the site's navigation and the page's contents scroll each in a box of its own, sharing the sidebar's height,
   so both are in view when a page opens (in one long sidebar the theme scrolled to the current page and the
   contents sat below the window) */
.bd-sidebar-primary .sidebar-primary-items__start { flex: 1 1 auto; min-height: 0; display: flex;
  flex-direction: column; }
.bd-sidebar-primary .sidebar-primary-items__start > .sidebar-primary-item { flex: 0 0 auto; }
.bd-sidebar-primary .sidebar-primary-item:has(.bd-docs-nav),
.bd-sidebar-primary .sidebar-primary-item:has(nav.page-toc) { flex: 2 1 0; min-height: 6rem; overflow-y: auto;
  overflow-x: hidden; }
.bd-sidebar-primary .sidebar-primary-item:has(.bd-docs-nav) { flex-grow: 3; }  /* the longer list */
.bd-sidebar-primary .logo__title { font-size: 1.1rem; }
/* captions in the text colour (the theme's muted grey read faint under large figures) */
figure figcaption, figure figcaption p { color: var(--pst-color-text-base); }
"""


# -------------------------------------------------------------------------------------------- build
def build_site(results: str | os.PathLike[str], *, readme: str | os.PathLike[str],
               model_card: str | os.PathLike[str] | None = None, out: Path | None = None,
               keep_source: Path | None = None) -> Path:
    """Build the site of the executed notebooks in ``<results>/notebooks/`` into ``out`` (``<results>/html``).

    ``readme`` gives the landing page's key figures and run instructions and is a page of its own; ``model_card``
    (a Markdown file, the images it links beside it), where given, too.

    The previous ``out`` is replaced only when the build succeeds. ``keep_source`` keeps the generated Sphinx
    source there (for inspection); otherwise it lives in a temporary folder.

    Returns
    -------
    The landing page, ``<out>/index.html``.

    Raises
    ------
    ParameterError : no executed notebook in ``<results>/notebooks/`` (run ``make figures`` first).
    DataError : Sphinx failed or warned (its messages are in the error).
    """
    import nbformat

    results = Path(results)
    out = Path(out) if out is not None else results / "html"
    executed = [p for p in sorted((results / "notebooks").glob("[0-9][0-9]_*.ipynb")) if ".FAILED" not in p.name]
    if not executed:
        raise ParameterError(f"{results / 'notebooks'}: no executed notebook to render; run `make figures` first")
    index_path = results / "index.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    with tempfile.TemporaryDirectory(prefix="vsslib-site-") as scratch:
        src = Path(keep_source) if keep_source is not None else Path(scratch) / "src"
        if src.exists():
            shutil.rmtree(src)
        src.mkdir(parents=True)
        notebooks = []
        for path in executed:
            nb = prepare_notebook(nbformat.read(path, as_version=4), src / "figures", path.stem)
            nbformat.write(nb, src / path.name)
            notebooks.append((path.stem, *_notebook_title(nb)))
        tables_md, tables = _tables_page(results, src, index.get("tables", {}))
        (src / "tables.md").write_text(tables_md)
        title = Path(readme).read_text().split("\n", 1)[0].lstrip("# ").strip()
        figure_captions = {Path(name).stem: entry for name, entry in index.get("figures", {}).items()}
        (src / f"{README_PAGE}.md").write_text(_readme_page(Path(readme), results, src, figure_captions))  # first
        (src / "index.md").write_text(_landing_page(results, Path(readme), src, notebooks, tables, figure_captions,
                                                    model_card=model_card is not None))
        if model_card is not None:
            (src / f"{MODEL_CARD_PAGE}.md").write_text(_model_card_page(Path(model_card), src))
        (src / "conf.py").write_text(_CONF.format(title=title, css=SITE_CSS, js=SITE_JS))
        (src / "_static").mkdir(exist_ok=True)
        (src / "_static" / SITE_CSS).write_text(_CSS)
        (src / "_static" / SITE_JS).write_text(_JS)
        built = Path(scratch) / "build" / out.name  # MyST-NB writes jupyter_execute/ beside it: left in scratch
        warnings = Path(scratch) / "warnings.txt"
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q", "-j", "1",
                   "-d", str(Path(scratch) / "doctrees"), "-w", str(warnings), str(src), str(built)]
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        problems = (warnings.read_text().strip() if warnings.is_file() else "") or done.stderr.strip()
        if done.returncode != 0 or problems:
            raise DataError(f"sphinx-build of {results / 'notebooks'} failed (exit {done.returncode}):\n{problems}")
        shutil.rmtree(built / ".doctrees", ignore_errors=True)
        if (built / "_sources").is_dir() and not any((built / "_sources").iterdir()):
            (built / "_sources").rmdir()  # html_copy_source is off; Sphinx leaves the folder empty
        (built / ".buildinfo").unlink(missing_ok=True)
        with atomic_folder(out) as staged:  # beside out, so the old site stays whole until the new one is
            shutil.copytree(built, staged, dirs_exist_ok=True)
    write_text_atomic(out / ".nojekyll", "")  # a static host serves the _static/ and _images/ folders as they are
    return out / "index.html"
