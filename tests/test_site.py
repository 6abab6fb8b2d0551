"""The study's site (``make html``): built from a tiny executed notebook, every link and image resolves, every figure
has its caption under it and as alt text, and the pages render with images and navigation in headless Chromium."""

from __future__ import annotations

import base64
import io
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pandas as pd
import pytest
from conftest import readme_words
from PIL import Image

from vsslib import viz
from vsslib.base.errors import DataError
from vsslib.study.site import build_site, prepare_notebook, readme_sections
from vsslib.viz._draw import FIGURE_DPI, PAGE_WIDTH_IN, SCREEN_DPI

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WINDOW_WIDTH = 1280
"""The browser window the pages are checked in (the README promises full-width figures from this width on)."""
README = """# A toy study

This toy reproduces *a method* as a small library.

## Read and run the tutorials

```bash
make lab    # opens the first notebook
```

## What the study finds

<!-- HEADLINE:START -->
old block
<!-- HEADLINE:END -->

![The key figure](results/figures/toy_line.png)

## Two commands

Run `make figures`, then `make html`.

## Another section

Not on the landing page.

### The headline on held-out videos

Confirmed on untouched toys.
"""
CAPTIONS = {"toy_line": "A rising line: value against step, on the toy data; read the slope as the gain per step",
            "toy_dots": "Two dots [left, right] on the toy data; the *right* one is the larger"}


FINDINGS = ("Written from `{results}`:\n\n| baseline | gain |\n|---|---|\n| net | +10.0 [+9.0, +11.0] (a gain) |\n\n"
            "- **Mask quality decides the sign of the gain.** Confirmed elsewhere ({confirmation}).")
MODEL_CARD = ("# Model card: toy-mini\n\nTrained on toys.\n\n![training curves](curves.png)\n\n*Loss against step, on toys.*\n"
              "\n| run | curves |\n|---|---|\n| 1 | [earlier_curves.png](earlier_curves.png) |\n")
"""What the fixture's findings block says: the site calls :func:`vsslib.study.findings.headline` (tested in
test_findings.py), replaced here by this stand-in so the fixture needs no study tables."""


def _tables(results: Path) -> None:
    for name, caption in (("refiner", "Toy refiner table: mIoU of the baseline and the refined maps"),
                          ("refiner_oracle_sweep", "Toy sweep table"), ("long", "A table of 50 rows")):
        rows = 50 if name == "long" else 2
        viz.save_table(pd.DataFrame({"step": range(rows), "value": [0.5 * k for k in range(rows)]}), name,
                       caption=caption, root=results)


def _executed_notebook(results: Path) -> None:
    """``00_toy``: a parameters cell, papermill's injected cell, two figures in one cell and one in another, all
    made by :func:`vsslib.viz.save_figure` in a real kernel; and ``01_more``, text and a printed line only."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('results_dir = "scratch/results"  # where figures go')
    parameters.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell(f"# Parameters\nresults_dir = {str(results)!r}\n")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# The toy notebook\n\nWhat the toy teaches.\n\n## Parameters"), parameters,
        injected,
        nbformat.v4.new_markdown_cell("## Two figures"),
        nbformat.v4.new_code_cell(
            "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nfrom vsslib import viz\n"
            "fig, ax = plt.subplots(figsize=(12, 1.5))\nax.plot([0, 1], [0, 1])\n"  # wider than the page
            f"viz.save_figure(fig, 'toy_line', caption={CAPTIONS['toy_line']!r}, root=results_dir)\n"
            "fig, ax = plt.subplots(figsize=(2, 1.5))\nax.scatter([0, 1], [0, 0], s=[10, 90])\n"
            f"viz.save_figure(fig, 'toy_dots', caption={CAPTIONS['toy_dots']!r}, root=results_dir)"),
        nbformat.v4.new_markdown_cell("## What we learned\n\nLines rise.")]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (results / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, results / "notebooks" / "00_toy.ipynb")
    more = nbformat.v4.new_notebook(metadata={"language_info": nb.metadata["language_info"]})
    printed = nbformat.v4.new_code_cell("print('searchable zebra')")
    printed.outputs = [nbformat.v4.new_output("stream", name="stdout", text="searchable zebra\n")]
    more.cells = [nbformat.v4.new_markdown_cell("# More toys\n\nA second page.\n\n## A first part\n\nText.\n\n"
                                                "## A second part\n\nText."), printed]
    nbformat.write(more, results / "notebooks" / "01_more.ipynb")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("site")
    results = base / "results"
    _tables(results)
    _executed_notebook(results)
    (base / "README.md").write_text(README)
    (base / "card").mkdir()
    (base / "card" / "MODEL_CARD.md").write_text(MODEL_CARD)
    Image.new("RGB", (40, 30), (200, 30, 30)).save(base / "card" / "curves.png")
    Image.new("RGB", (40, 30), (30, 30, 200)).save(base / "card" / "earlier_curves.png")  # linked, not shown
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("vsslib.study.site.headline", lambda folder, confirmation, terms: FINDINGS.format(
            results=Path(folder).name, confirmation=confirmation))
        index = build_site(results, readme=base / "README.md", model_card=base / "card" / "MODEL_CARD.md",
                           out=base / "html")
    assert index == base / "html" / "index.html"
    assert sorted(p.name for p in base.iterdir()) == ["README.md", "card", "html", "results"], \
        "the build left something beside the site (MyST-NB's jupyter_execute/, a staging folder)"
    return base


class _Page(HTMLParser):
    """Links, images (with alt), ids, figure captions of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.ids: set[str] = set()
        self.captions: list[str] = []
        self._in_caption = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag in ("link", "script") and (attributes.get("href") or attributes.get("src")):
            self.links.append(attributes.get("href") or attributes.get("src"))
        if tag == "img":
            self.images.append(attributes)
        if tag == "figcaption":
            self._in_caption += 1
            self.captions.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption":
            self._in_caption -= 1

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.captions[-1] += data


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text())
    return page


def _target(page: Path, url: str) -> tuple[Path, str] | None:
    """The file and fragment a relative URL of ``page`` points at; None for external and data URLs."""
    parts = urlsplit(url)
    if parts.scheme or url.startswith("//"):
        return None
    file = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    return file, parts.fragment


# ------------------------------------------------------------------------------------------- offline
def test_prepare_notebook_turns_images_into_captioned_figures_and_explains_injected_parameters(tmp_path: Path) -> None:
    png = io.BytesIO()
    Image.new("RGB", (3, 2), (0, 128, 255)).save(png, format="PNG")
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell('# Parameters\nresults_dir = "results"\n')
    injected.metadata["tags"] = ["injected-parameters"]
    code = nbformat.v4.new_code_cell("show()")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(png.getvalue()).decode(),
                                                     "text/plain": "<figure: Blue pixels of the toy>"},
                               metadata={"image/png": {"width": 40}}),
        nbformat.v4.new_output("display_data", data={"text/markdown": "*Blue pixels of the toy*",
                                                     "text/plain": "Blue pixels of the toy"},
                               metadata={viz.CAPTION_MARK: True}),
        nbformat.v4.new_output("stream", name="stdout", text="done\n")]
    nb.cells = [injected, code]
    prepare_notebook(nb, tmp_path / "figures", "00_toy")
    note, cell = nb.cells
    assert note.cell_type == "markdown" and '```python\nresults_dir = "results"\n```' in note.source
    assert "{note}" in note.source and "# Parameters" not in note.source
    assert [o.output_type for o in cell.outputs] == ["display_data", "stream"]  # caption folded into the figure
    figure = cell.outputs[0].data["text/markdown"]
    assert figure == ("````{figure} figures/00_toy-01-0.png\n:alt: Blue pixels of the toy\n:width: 40px\n\n"
                      "Blue pixels of the toy\n````\n")
    assert (tmp_path / "figures" / "00_toy-01-0.png").read_bytes() == png.getvalue()


def test_readme_sections_are_cut_at_the_next_heading_and_a_missing_one_is_named() -> None:
    text = readme_sections(README, ("Two commands", "Read and run the tutorials"))
    assert text == ("### Two commands\nRun `make figures`, then `make html`.\n\n"
                    "### Read and run the tutorials\n```bash\nmake lab    # opens the first notebook\n```\n")
    with pytest.raises(DataError, match=r"no section\(s\) \['Nope'\]; it has \['Read and run the tutorials'"):
        readme_sections(README, ("Nope",))


@pytest.mark.slow
def test_every_internal_link_and_image_of_the_site_resolves(site: Path) -> None:
    pages = sorted(p for p in (site / "html").rglob("*.html") if "_static" not in p.parts)  # not theme templates
    assert {p.name for p in pages} >= {"index.html", "00_toy.html", "01_more.html", "tables.html", "search.html"}
    checked, broken = 0, []
    parsed = {p.resolve(): _parse(p) for p in pages}
    for page, info in parsed.items():
        for url in info.links + [str(image.get("src")) for image in info.images]:
            target = _target(page, url)
            if target is None:
                continue
            file, fragment = target
            checked += 1
            if not file.is_file():
                broken.append(f"{page.name}: {url} (no file)")
            elif fragment and file.suffix == ".html" and fragment not in parsed[file].ids:
                broken.append(f"{page.name}: {url} (no id {fragment!r} in {file.name})")
    assert broken == [] and checked > 50
    external = [url for info in parsed.values() for url in info.links if urlsplit(url).scheme in ("http", "https")
                and "{" not in url]
    assert all(not url.endswith((".js", ".css")) for url in external), external  # offline: nothing fetched


@pytest.mark.slow
def test_every_figure_has_its_caption_under_it_and_as_alt_text(site: Path) -> None:
    page = _parse(site / "html" / "00_toy.html")
    alts = [image.get("alt") for image in page.images if "_images/" in str(image.get("src"))]
    assert alts == [CAPTIONS["toy_line"], CAPTIONS["toy_dots"]]
    captions = [" ".join(c.split()).removesuffix("#") for c in page.captions]  # "#": Sphinx's permalink
    assert captions == [CAPTIONS["toy_line"], CAPTIONS["toy_dots"]]
    for image in page.images:  # the files shown are the figures the notebook saved, byte for byte
        if "_images/" in str(image.get("src")):
            name = next(k for k, v in CAPTIONS.items() if v == image.get("alt"))
            shown = (site / "html" / str(image["src"])).read_bytes()
            assert shown == (site / "results" / "figures" / f"{name}.png").read_bytes()
    text = (site / "html" / "00_toy.html").read_text()
    assert "make figures</span></code> ran this page" in text or "ran this page" in text
    assert "No description has been provided" not in text


@pytest.mark.slow
def test_landing_page_has_key_figure_findings_run_instructions_and_every_table(site: Path) -> None:
    index = site / "html" / "index.html"
    page = _parse(index)
    text = index.read_text()
    assert [image.get("alt") for image in page.images if "_images/" in str(image.get("src"))] == [CAPTIONS["toy_line"]]
    assert "Written from <code" in text and "<td><p>+10.0 [+9.0, +11.0] (a gain)</p></td>" in text
    # the words the key figures' captions and the findings use are defined before both
    body = text.index("<article")  # the page itself, after the navigation (which names its headings)
    terms, figure, heading, findings = (text.index(t, body) for t in ("The words the study uses, in short",
                                                                      "_images/", "What the study finds",
                                                                      "Written from <code"))
    assert terms < figure < heading < findings and "<em>mBIoU</em> scores only thin bands" in text
    assert "(<code class=\"docutils literal notranslate\"><span class=\"pre\">fallback</span></code>)" in text
    # the names the pages use without defining them are defined on the landing page, before the findings
    names = text.index("Names.</strong>")
    assert terms < names < findings and text.count("The words the study uses, in short") == 1  # not again above the table
    assert "<em>Holm\u2019s correction</em> reads" in text and "(output stride 8)" in text and "<em>VSPW</em> (Video Scene Parsing in the Wild)" in text
    assert all(f"<em>{name}</em>" in text for name in ("SAM2", "VSS", "MLP", "memory bank", "linking", "papermill"))
    assert "<strong>Mask quality decides the sign of the gain.</strong>" in text
    assert "opens the first notebook" in text and "Run <code" in text and "Not on the landing page" not in text
    for name in ("refiner", "refiner_oracle_sweep", "long"):
        assert f'href="tables.html#{name.replace("_", "-")}"' in text  # the section's id (docutils spelling)
    tables = (site / "html" / "tables.html").read_text()
    assert "Toy refiner table: mIoU of the baseline and the refined maps" in tables
    # a key to the shared column names comes before the first table
    assert tables.index("Reading the columns.") < tables.index("Toy refiner table")
    assert "<code class=\"docutils literal notranslate\"><span class=\"pre\">mIoU_ci_low</span></code>" in tables
    assert "counts object-frames" in tables
    # the words the table columns use and no page defines: failure events and the memory peak's method
    assert "an event is one cause\u2019s damaged pixels in one masklet on one frame" in tables
    assert "is Linux\u2019s high-water mark of the process\u2019s resident memory" in tables
    assert "<code class=\"docutils literal notranslate\"><span class=\"pre\">share_rank</span></code> is 1" in tables
    assert "is the map refined at the knob\u2019s" in tables and "minus the map refined with its" in tables
    assert "corruption seeds into one run; in" in tables and "is the percent of the frame\u2019s pixels" in tables
    for column in ("mask_quality", "vote_ceiling", "windows_steadier"):  # columns of refiner_mask_quality, boundary_vc8_summary
        assert f"<code class=\"docutils literal notranslate\"><span class=\"pre\">{column}</span></code> is the" in tables
    assert "the percent of labelled pixels inside some masklet" in tables and "pre\">labelled_coverage</span>" in tables
    assert "The first 40 of its 50 rows" in tables and "<td><p>39</p></td>" in tables and "<td><p>40</p></td>" not in tables

    assert 'href="00_toy.html"' in text and 'href="01_more.html"' in text
    # the whole README and the model card are pages; the findings' reference to the confirmation links into the
    # README page (the link checker above resolves its anchor); no "By Author name not set" footer
    assert 'href="readme.html"' in text and 'href="sam2_mini_model_card.html"' in text
    assert 'href="readme.html#the-headline-on-held-out-videos"' in text
    assert '<a class="reference internal" href="readme.html">The README: install, run, reproduce</a>' in text  # sidebar
    assert "<title>The README: install, run, reproduce" in (site / "html" / "readme.html").read_text()
    readme = _parse(site / "html" / "readme.html")
    assert "the-headline-on-held-out-videos" in readme.ids
    assert "Not on the landing page" in (site / "html" / "readme.html").read_text()
    # the README's image is a figure with its notebook's caption under it and as alt text (not the alt it has)
    assert [image.get("alt") for image in readme.images if "toy_line" in str(image.get("src"))] == [
        CAPTIONS["toy_line"]]
    assert [" ".join(c.split()).removesuffix("#") for c in readme.captions] == [CAPTIONS["toy_line"]]
    # the key figure at the size its notebook shows it (2/3 of its 150-dpi pixels), not stretched to the column
    with Image.open(site / "results" / "figures" / "toy_line.png") as png:
        shown = f"width: {round(png.width * SCREEN_DPI / FIGURE_DPI)}px"
    for parsed in (readme, page):
        styles = [str(i.get("style")) for i in parsed.images if "toy_line" in str(i.get("src"))]
        assert styles and all(shown in style for style in styles), (styles, shown)
    card = _parse(site / "html" / "sam2_mini_model_card.html")
    assert [image.get("alt") for image in card.images if "_images/" in str(image.get("src"))] == [
        "Loss against step, on toys."]
    assert [" ".join(c.split()).removesuffix("#") for c in card.captions] == ["Loss against step, on toys."]
    # a plain link to a file beside the card (an earlier run's curves) becomes a download of that very file
    (earlier,) = [link for link in card.links if link.endswith("earlier_curves.png")]
    assert earlier.startswith("_downloads/")
    assert (site / "html" / earlier).read_bytes() == (site / "card" / "earlier_curves.png").read_bytes()
    assert all("Author name not set" not in p.read_text() for p in (site / "html").glob("*.html"))
    assert not (site / "html" / "genindex.html").exists()  # an empty index, linked from every page's head
    assert all("genindex" not in p.read_text() for p in (site / "html").glob("*.html"))


def test_the_landing_page_findings_come_from_the_readme_source() -> None:
    import vsslib.study.findings
    import vsslib.study.site

    assert vsslib.study.site.headline is vsslib.study.findings.headline


# ----------------------------------------------------------------------------------------- browser
def _browser(tmp_path: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={WINDOW_WIDTH},1000"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
                    reason="no Chromium installed (apt-get install chromium chromium-driver; .ci/run does)")
def test_pages_render_with_images_navigation_and_search_in_chromium(site: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser = _browser(tmp_path)
    try:
        browser.get((site / "html" / "index.html").as_uri())
        loaded = browser.execute_script(
            "return Array.from(document.images).filter(i => i.closest('article'))"
            ".map(i => [i.alt, i.complete && i.naturalWidth > 0, i.getBoundingClientRect().width])")
        assert loaded and all(ok and width > 50 for _, ok, width in loaded), loaded
        sidebar = [a.text.strip() for a in browser.find_elements(By.CSS_SELECTOR, "nav.bd-links a")]
        assert sidebar[:3] == ["A toy study", "The toy notebook", "More toys"] and "Tables" in sidebar
        browser.find_element(By.CSS_SELECTOR, "a.right-next").click()  # "next" from the landing page
        WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("00_toy.html"))
        shown = browser.execute_script(
            "return Array.from(document.querySelectorAll('article figure')).map(f => "
            "[f.querySelector('img').alt, f.querySelector('img').naturalWidth, f.querySelector('figcaption').innerText])")
        assert [[alt, caption.strip().removesuffix("#")] for alt, _, caption in shown] == [[c, c] for c in
                                                                                            CAPTIONS.values()]
        assert all(width > 0 for _, width, _ in shown)
        # figures are drawn, and their text checked legible, for a page PAGE_WIDTH_IN wide: shown no narrower
        page_px = PAGE_WIDTH_IN * SCREEN_DPI
        widths = browser.execute_script(
            "return Array.from(document.querySelectorAll('article figure img')).map(i => "
            "[i.naturalWidth, i.getBoundingClientRect().width])")
        assert widths[0][0] * SCREEN_DPI / FIGURE_DPI > page_px  # the toy line is wider than the page
        assert all(shown_px >= min(natural * SCREEN_DPI / FIGURE_DPI, page_px) - 1 for natural, shown_px in widths), \
            widths
        sidebar_contents = [a.text.strip() for a in browser.find_elements(
            By.CSS_SELECTOR, ".bd-sidebar-primary nav.page-toc a")]
        assert "Two figures" in sidebar_contents and "What we learned" in sidebar_contents, sidebar_contents
        assert browser.find_element(By.CSS_SELECTOR, "a.left-prev").get_attribute("href").endswith("index.html")
        assert browser.find_element(By.CSS_SELECTOR, "a.right-next").get_attribute("href").endswith("01_more.html")
        # the navigation and the page's contents scroll in boxes of their own: both in view when a page opens, the
        # current page's entry scrolled into its box, and the sidebar itself never longer than the window
        browser.set_window_size(WINDOW_WIDTH, 520)
        browser.get((site / "html" / "01_more.html").as_uri())  # its entry below the navigation's box at this height
        boxes = browser.execute_script(
            "const side = document.querySelector('.bd-sidebar-primary');"
            "const link = Array.from(side.querySelectorAll('.bd-docs-nav li.current > a')).pop();"
            "const nav = link.closest('.sidebar-primary-item');"
            "const toc = side.querySelector('nav.page-toc').closest('.sidebar-primary-item');"
            "const r = e => { const b = e.getBoundingClientRect(); return [b.top, b.bottom]; };"
            "return {side: [side.scrollHeight, side.clientHeight], link: r(link), nav: r(nav), toc: r(toc),"
            "        navScroll: [nav.scrollTop, nav.scrollHeight, nav.clientHeight], height: window.innerHeight,"
            "        overflow: [getComputedStyle(nav).overflowY, getComputedStyle(toc).overflowY],"
            "        linkTop: link.offsetTop}")
        assert boxes["side"][0] <= boxes["side"][1] + 1, boxes  # nothing of the sidebar below the window
        assert boxes["overflow"] == ["auto", "auto"], boxes
        assert boxes["navScroll"][1] > boxes["navScroll"][2] and boxes["navScroll"][0] > 0, boxes  # it scrolled...
        assert boxes["nav"][0] <= boxes["link"][0] and boxes["link"][1] <= boxes["nav"][1], boxes  # ...to the page
        assert boxes["nav"][1] <= boxes["toc"][0] and boxes["toc"][1] <= boxes["height"], boxes
        browser.set_window_size(WINDOW_WIDTH, 1000)
        browser.get((site / "html" / "search.html").as_uri() + "?q=zebra")
        WebDriverWait(browser, 20).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, "ul.search li a") or "did not match" in b.page_source)
        hits = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "ul.search li a")]
        assert any(h.split("?")[0].endswith("01_more.html") for h in hits), hits
    finally:
        browser.quit()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_the_readme_states_the_page_width_and_text_size_the_tests_hold_figures_to() -> None:
    from vsslib.viz._draw import MIN_TEXT_PT

    readme = readme_words()
    assert (f"drawn for a page {PAGE_WIDTH_IN:g} inches ({PAGE_WIDTH_IN * SCREEN_DPI:.0f} CSS pixels) wide, and no "
            f"text in them is under {MIN_TEXT_PT:g} pt there") in readme
    assert f"in any window {WINDOW_WIDTH} pixels wide or more" in readme
