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
PAGES = ["index", "book/notation", "book/references"]
PHONE = {"width": 390, "height": 844}

#: Chapters whose figures do not yet all carry alt text (issue 11). Each chapter's owner
#: adds ``{"mystnb": {"image": {"alt": ...}}}`` to its figure cells and removes it here;
#: the set must be empty when the issue is closed.
PENDING_ALT = set()

# TeX that a reader should never see as text: it means a formula was not typeset.
RAW_TEX = re.compile(r"\$\$|\\(frac|sigma|sum|mathbb|mathcal|mathrm|operatorname|top|sqrt|"
                     r"alpha|lambda|varepsilon|left|right|begin|end|cdot|le|ge|ne|in)\b|"
                     r"\^\{|_\{|\\[()\[\]]")

# The visible text of the article, without code, outputs and typeset math.
_PROSE_JS = """() => {
  const a = document.querySelector('article').cloneNode(true);
  a.querySelectorAll('mjx-container, pre, code, script, style, .cell_input, .cell_output, '
                     + '.output, .MathJax, .math').forEach(e => e.remove());
  return a.innerText;
}"""


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


def _raw_tex(page) -> list[str]:
    text = page.evaluate(_PROSE_JS)
    return sorted({text[max(0, m.start() - 30): m.end() + 30].replace("\n", " ")
                   for m in RAW_TEX.finditer(text)})


@pytest.fixture()
def phone(browser):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    pg = ctx.new_page()
    errors = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    ctx.close()


@pytest.mark.parametrize("rel", PAGES)
def test_front_and_back_matter_show_no_raw_tex(page, rel):
    _need((HTML / f"{rel}.html").is_file(), f"{rel}.html was not built")
    _open(page, f"{rel}.html")
    assert _raw_tex(page) == []
    assert page.errors == []


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
    assert _raw_tex(page) == [], "TeX shown as text: a formula did not typeset"
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
    # figures: crisp (retina: at least 1.5 image pixels per CSS pixel) and described
    imgs = page.evaluate(
        "() => Array.from(document.querySelectorAll('article .cell_output img'))"
        ".map(i => ({alt: i.getAttribute('alt') || '', src: i.getAttribute('src'),"
        " natural: i.naturalWidth, shown: i.getBoundingClientRect().width}))")
    blurry = [i["src"] for i in imgs if i["shown"] > 0 and i["natural"] < 1.5 * i["shown"]]
    assert not blurry, f"figures below 1.5x pixel density: {blurry}"
    if stem not in PENDING_ALT:
        undescribed = [i["src"] for i in imgs if len(i["alt"].split()) < 4
                       or re.search(r"\.(png|jpe?g|svg|gif)$", i["alt"])]
        assert not undescribed, f"figures without alt text (cell metadata mystnb.image.alt): " \
                                f"{undescribed}"
    _shot(page, stem)
    assert page.errors == []


@pytest.mark.parametrize("stem", CHAPTERS)
def test_chapter_on_a_phone(phone, stem):
    """At 390 px: the page does not scroll sideways, the menu and contents buttons open
    their panels, and figures fit the screen. Screenshots of the top of the page and of
    the first figures go to _build/screenshots/phone/ (look at them)."""
    html = HTML / "notebooks" / f"{stem}.html"
    _need(html.is_file(), f"{html} was not built")
    _open(phone, f"notebooks/{stem}.html")
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page is {width} px wide on a 390 px screen"
    shots = SHOTS / "phone"
    shots.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(shots / f"{stem}.png"))
    figs = phone.locator("article .cell_output img")
    for i in range(min(3, figs.count())):
        fig = figs.nth(i)
        fig.scroll_into_view_if_needed()
        box = fig.bounding_box()
        assert box["width"] <= PHONE["width"], f"figure {i} is wider than the screen"
        phone.screenshot(path=str(shots / f"{stem}_fig{i + 1}.png"))
    phone.evaluate("() => window.scrollTo(0, 0)")
    # the menu button opens the site navigation
    phone.locator(".primary-toggle").first.click()
    phone.wait_for_function(
        "() => document.querySelector('#pst-primary-sidebar-modal').open === true", timeout=5000)
    nav = phone.locator("#pst-primary-sidebar-modal nav.bd-links")
    assert nav.is_visible() and "Foundations" in nav.inner_text()
    phone.keyboard.press("Escape")
    phone.wait_for_function(
        "() => !document.querySelector('#pst-primary-sidebar-modal').open", timeout=5000)
    # the contents button opens this page's table of contents
    phone.locator(".secondary-toggle").first.click()
    phone.wait_for_function(
        "() => document.querySelector('#pst-secondary-sidebar-modal').open === true",
        timeout=5000)
    toc = phone.locator("#pst-secondary-sidebar-modal")
    assert toc.is_visible() and "Exercises" in toc.inner_text()
    assert phone.errors == []


def test_one_header_on_desktop(page):
    """The theme's duplicate header (a second search box, dead toggles) is gone."""
    _open(page, f"notebooks/{CHAPTERS[0]}.html")
    assert page.locator("#pst-header .primary-toggle, #pst-header .search-button").count() == 0
    assert page.locator(".primary-toggle").count() == 1
    assert page.locator(".secondary-toggle").count() == 1
    page.locator(".primary-toggle").first.click()  # on a wide screen: hide the sidebar
    page.wait_for_timeout(400)
    assert page.evaluate("() => document.querySelector('#pst-primary-sidebar')"
                         ".classList.contains('pst-sidebar-hidden')")
