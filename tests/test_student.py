"""The student edition (tools/student.py): its source tree, its site and its launch buttons.

The hand-outs themselves (stubs, checks, no solutions, plain Markdown) are tested in
tests/test_grading.py. Here: the student tree holds no instructor material and points the
launch buttons at the `student` branch; a small student site built from the fixture chapter
has Colab, Binder and JupyterHub links that open the hand-out, never the solutions.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import classroom as cr  # noqa: E402
import student  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "90_fixture_chapter.ipynb"


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition")
    assert student.main([str(out), "--chapters", str(FIXTURE), "-j", "1"]) == 0
    return out


def test_student_config_points_at_the_student_branch():
    cfg = student.student_config((ROOT / "_config.yml").read_text(encoding="utf-8"), "student")
    assert re.search(r"^title: \".*\(student edition\)\"$", cfg, re.M)
    repo = re.search(r"^repository:\n((?:[ \t]+.*\n)+)", cfg, re.M).group(1)
    assert re.search(r"branch:\s*student\s*$", repo, re.M)
    assert student.site_url({"repository": {"url": "https://github.com/org/book"}}) == \
        "https://org.github.io/book/"


def test_student_tree_has_no_instructor_material(edition):
    src = edition / "src"
    for gone in ("tests", "tools", ".ci", "benchmarks", "Makefile", "CONTRIBUTING.md"):
        assert not (src / gone).exists(), gone
    for kept in ("svdlab/__init__.py", "pyproject.toml", "_config.yml", "book/intro.md",
                 "binder"):
        assert (src / kept).exists(), kept
    hand = json.loads((src / "notebooks" / FIXTURE.name).read_text(encoding="utf-8"))
    text = "\n".join(cr.src(c) for c in hand["cells"])
    assert 'grader.check("ch90-ex-rank")' in text and "k_star = int(" not in text
    for nb in (src / "notebooks").glob("*.ipynb"):
        assert "solution-start" not in nb.read_text(encoding="utf-8"), nb.name


def _site(edition, tmp_path_factory):
    """Build a one-chapter student site from the edition's site tree (execution off)."""
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(edition / "site", site, dirs_exist_ok=True)
    (site / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/90_fixture_chapter\n",
        encoding="utf-8")
    cfg = (site / "_config.yml").read_text(encoding="utf-8")
    cfg = cfg.replace("execute_notebooks: force", 'execute_notebooks: "off"')
    cfg = re.sub(r"    api_links: book/_ext\n", "", cfg)    # no API pages in this little site
    (site / "_config.yml").write_text(cfg, encoding="utf-8")
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(site), "--all"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return site / "_build" / "html"


@pytest.fixture(scope="module")
def site_html(edition, tmp_path_factory):
    return _site(edition, tmp_path_factory)


def test_student_site_launch_buttons_open_the_handouts(edition, site_html):
    page = (site_html / "notebooks" / "90_fixture_chapter.html").read_text(encoding="utf-8")
    links = [html.unescape(u) for u in re.findall(r'href="([^"]+)"', page)]
    colab = [u for u in links if u.startswith("https://colab.research.google.com/")]
    binder = [u for u in links if "mybinder.org" in u]
    hub = [u for u in links if "git-pull" in u]
    assert colab and binder and hub, "launch buttons missing"
    for u in colab:
        m = re.fullmatch(r"https://colab\.research\.google\.com/github/([^/]+)/([^/]+)/blob/"
                         r"(?P<branch>[^/]+)/(?P<path>.+\.ipynb)", u)
        assert m and m.group("branch") == "student", u
        handout = edition / "src" / m.group("path")
        assert handout.exists(), f"{u} opens {m.group('path')}, not in the student branch"
        text = handout.read_text(encoding="utf-8")
        assert "grader.check(" in text and "np.sqrt(np.sum(s**2))" not in text
    assert all("/student?" in u or "/student/" in u for u in binder), binder
    assert all("branch=student" in unquote(u) for u in hub), hub
    repo = re.findall(r'<a href="([^"]+)"[^>]*class="[^"]*btn-source-repository-button', page)
    assert repo and all(u.endswith("/tree/student") for u in repo), repo


def test_student_site_numbers_exercises_per_chapter(site_html):
    page = (site_html / "notebooks" / "90_fixture_chapter.html").read_text(encoding="utf-8")
    numbers = re.findall(r'<span class="caption-number">Exercise ([\w.]+) </span>', page)
    assert numbers == ["90.1", "90.2", "90.3"]
    assert "solution-start" not in page and "np.sqrt(np.sum(s**2))" not in page
