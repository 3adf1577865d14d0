"""Every chapter notebook follows the house rules (see CONTRIBUTING.md)."""

import json
import re
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import classroom  # noqa: E402

import notebooks as nbtool  # noqa: E402

NOTEBOOKS = nbtool.notebooks()


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_clean_with_the_current_setup_cell(path):
    assert nbtool.problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_structure(path):
    cells = _cells(path)
    md = "\n".join(_src(c) for c in cells if c["cell_type"] == "markdown")
    code = "\n".join(_src(c) for c in cells if c["cell_type"] == "code")
    assert cells[0]["cell_type"] == "markdown" and _src(cells[0]).startswith("# "), \
        "a chapter opens with its title"
    exercises = re.findall(r"```\{exercise\}", md)
    solutions = re.findall(r"```\{solution-start\}", md)
    assert len(exercises) >= 5, f"{len(exercises)} exercises, want >= 5"
    assert len(solutions) >= len(exercises), "every exercise has a solution"
    assert len(re.findall(r"```\{solution-end\}", md)) == len(solutions)
    # sphinx-exercise rejects nested gated solutions: starts and ends must alternate
    gates = re.findall(r"```\{solution-(start|end)\}", md)
    assert gates == ["start", "end"] * (len(gates) // 2), "solution-start/end must alternate"
    checks = re.findall(r"^\s*(?:assert |np\.testing\.assert_)", code, re.M)
    assert len(checks) >= 10, f"{len(checks)} checks, want >= 5 claims + 5 solutions"
    assert "{cite}" in md, "a chapter cites its sources"
    assert "../shared" not in code, "nothing in the project may read ../shared"


def test_toc_lists_exactly_the_notebooks():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r"file:\s*(notebooks/\S+)", toc))
    present = {f"notebooks/{p.stem}" for p in NOTEBOOKS}
    assert listed == present


def test_bibliography_keys_are_unique():
    # sphinxcontrib-bibtex warns (and the strict build fails) on a key defined twice
    files = [ROOT / "book" / "references.bib", *sorted((ROOT / "book" / "bib").glob("*.bib"))]
    keys = [k for f in files for k in re.findall(r"^@\w+\{([^,\s]+),", f.read_text(), re.M)]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    assert not dupes, f"bibliography keys defined twice: {dupes}"


#: When every chapter is converted, set this to True: a chapter whose exercises are not in
#: the grading format (CONTRIBUTING.md, "Exercises and grading") then fails.
GRADING_FORMAT_REQUIRED = False


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_are_in_the_grading_format(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = classroom.format_problems(nb, path.stem)
    if not problems:
        return
    report = f"{path.name}: {len(problems)} problems keep its exercises from being graded:\n" \
        + "\n".join(f"    {p}" for p in problems)
    print(report)
    if GRADING_FORMAT_REQUIRED:
        pytest.fail(report)
    warnings.warn(report, UserWarning, stacklevel=1)
