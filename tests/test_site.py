"""The built site as a reader sees it, in headless Chromium (Playwright + Debian chromium).

Run after a book build (`make test` does both). With SVDLAB_REQUIRE_SITE=1 (set by
`make test`) a missing site or browser is a failure, not a skip. Screenshots are
saved under _build/screenshots/.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
REQUIRED = os.environ.get("SVDLAB_REQUIRE_SITE") == "1"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))


def _need(condition, why):
    if not condition:
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    _need((HTML / "index.html").is_file(), f"no built site at {HTML} (run make book)")
    _need(Path(CHROMIUM).exists(), "Debian chromium is not installed (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    errors = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    ctx.close()


def _open(page, rel):
    page.goto((HTML / rel).as_uri())
    page.wait_for_load_state("load")
    # wait for MathJax to typeset, if the page has math
    page.wait_for_function(
        "() => !window.MathJax || !MathJax.startup || MathJax.startup.promise"
        " .then(() => true)", timeout=20000)
    page.wait_for_timeout(300)


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_index_page(page):
    _open(page, "index.html")
    assert "SVD" in page.title()
    sidebar = page.locator("nav.bd-links").inner_text()
    for caption in ("Foundations", "Notation"):
        assert caption in sidebar
    _shot(page, "index")
    assert page.errors == []


@pytest.mark.parametrize("stem", CHAPTERS)
def test_chapter_page(page, stem):
    html = HTML / "notebooks" / f"{stem}.html"
    _need(html.is_file(), f"{html} was not built")
    _open(page, f"notebooks/{stem}.html")
    # title and a sidebar entry for this chapter
    h1 = page.locator("article h1").first.inner_text()
    assert h1.strip()
    current = page.locator("nav.bd-links a.current").first.inner_text()
    assert current.strip() and current.strip()[:12] in h1, (current, h1)
    # figures: at least one output image that actually loaded
    loaded = page.evaluate(
        "() => Array.from(document.querySelectorAll('article .cell_output img'))"
        ".filter(i => i.complete && i.naturalWidth > 0).length")
    assert loaded >= 1, "no figure image loaded"
    # math typeset by the vendored MathJax, and no raw TeX delimiters left in the text
    assert page.locator("mjx-container").count() >= 1
    text = page.locator("article").inner_text()
    assert "\\(" not in text and "\\[" not in text
    # no error output cells (tracebacks) in the rendered page
    assert page.locator("article .output.traceback, article .output.error").count() == 0
    assert not re.search(r"Traceback \(most recent call last\)", text)
    # nor warnings: a chapter's output is what the reader should see, not library noise
    stderr = page.locator("article .output.stderr").all_inner_texts()
    assert not [t for t in stderr if "Warning" in t], stderr
    # the Colab launch button points at this notebook in the repository
    hrefs = page.eval_on_selector_all("a[href*='colab.research.google.com']",
                                      "els => els.map(e => e.href)")
    assert any(h.endswith(f"/notebooks/{stem}.ipynb") for h in hrefs), hrefs
    # solutions are hidden until a reader opens them
    sol = page.locator("details.solution, .solution.dropdown")
    if sol.count():
        assert not sol.first.evaluate("e => e.open === true")
    _shot(page, stem)
    assert page.errors == []
