"""Every chapter notebook follows the house rules (see CONTRIBUTING.md)."""

import json
import re
import sys
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


#: Chapter 4 lost its randomized half (and exercises) to 4b; its rewrite adds them back.
PENDING_STRUCTURE = set()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_structure(path):
    if path.stem in PENDING_STRUCTURE:
        pytest.xfail("chapter 4's exercises come back with its rewrite (issue 17/18)")
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


def _display_math_problems(md: str) -> list[str]:
    """Math that MyST renders as raw TeX.

    * a ``$$`` block glued to a paragraph (no blank line before or after it), or text
      beside its ``$$`` on the same line (a ``(label)`` after the closing ``$$`` is allowed);
    * a line that Markdown reads as a list item or quote (it starts with ``+``, ``-``, ``*``
      or ``>``) while inside ``$$...$$`` or inside inline ``$...$`` math that continues
      from the previous line.
    """
    out, inside, inline = [], False, False
    lines, fence = md.split("\n"), False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fence = not fence
            continue
        if fence:
            continue
        if not stripped:
            inline = False  # a blank line ends a paragraph, and any unclosed inline math
        if (inside or inline) and stripped[:1] in ("+", "-", "*", ">"):
            out.append(f"line inside math starts with {stripped[0]!r}: {stripped[:50]!r}")
        if "$$" in line:
            parts = line.split("$$")
            if not inside:
                if parts[0].strip():
                    out.append(f"text before $$ on one line: {stripped[:60]!r}")
                prev = lines[i - 1].strip() if i else ""
                if prev and not prev.startswith("```"):
                    out.append(f"$$ glued to the previous line {prev[:50]!r}")
            n_delims = len(parts) - 1
            closes = inside or n_delims >= 2
            inside = (inside + n_delims) % 2 == 1
            if closes and not inside:
                after = parts[-1].strip()
                if after and not re.fullmatch(r"\([\w:-]+\)", after):
                    out.append(f"text after the closing $$: {after[:50]!r}")
                nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
                if nxt and not nxt.startswith("```"):
                    out.append(f"the line after the closing $$ is not blank: {nxt[:50]!r}")
            continue
        if not inside:
            text = re.sub(r"`[^`]*`", "", line.replace("\\$", ""))
            if text.count("$") % 2:
                inline = not inline
    if inside:
        out.append("a $$ block is never closed")
    return out


#: Chapters being rewritten whose math fixes land with them (issue 11); must end up empty.
PENDING_MATH = set()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_display_math_is_a_paragraph_of_its_own(path):
    if path.stem in PENDING_MATH:
        pytest.xfail("math fix lands with the chapter's rewrite (issue 11)")
    problems = [f"cell {i}: {msg}" for i, c in enumerate(_cells(path))
                if c["cell_type"] == "markdown" for msg in _display_math_problems(_src(c))]
    assert not problems, problems


def test_display_math_checker():
    good = "Text.\n\n$$\na = b +\nc\n$$\n\nMore."
    assert _display_math_problems(good) == []
    assert _display_math_problems("Text\n$$ a $$\n")  # glued to the paragraph
    assert _display_math_problems("Text.\n\n$$\na\n+ b\n$$\n")  # read as a list item
    assert _display_math_problems("\n$$ x $$ and more\n")
    assert _display_math_problems("* item $a\n  + b$ more\n")  # inline math, '+' line
    assert _display_math_problems("Text.\n\n$$ x $$ (eq-one)\n\nMore.") == []


def test_bibliography_files_parse():
    # a merge that joins two appended entries can drop a closing brace; sphinxcontrib-bibtex
    # then loses every entry after it, and the student edition's citations fail to build
    from pybtex.database import parse_file

    files = [ROOT / "book" / "references.bib", *sorted((ROOT / "book" / "bib").glob("*.bib"))]
    keys: dict[str, str] = {}
    for f in files:
        for key in parse_file(str(f)).entries:
            assert key.lower() not in keys, f"{key} in both {keys[key.lower()]} and {f.name}"
            keys[key.lower()] = f.name


def test_bibliography_titles_have_no_raw_math():
    # sphinxcontrib-bibtex's plain style prints $...$ in titles as raw TeX
    files = [ROOT / "book" / "references.bib", *sorted((ROOT / "book" / "bib").glob("*.bib"))]
    bad = [f"{f.name}: {line.strip()[:70]}" for f in files
           for line in f.read_text(encoding="utf-8").splitlines()
           if re.match(r"\s*(title|booktitle|journal)\s*=", line) and ("$" in line or "\\" in line
                                                                       and "\\&" not in line)]
    assert not bad, bad

#: Chapters whose exercises are not yet in the grading format (CONTRIBUTING.md, "Exercises
#: and grading"); each is converted with its rewrite (issues 16/17) and removed from here.
#: Every other chapter must comply. The set must be empty when issue 16 is closed.
PENDING_GRADING = set()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_are_in_the_grading_format(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = classroom.format_problems(nb, path.stem)
    if not problems:
        return
    report = f"{path.name}: {len(problems)} problems keep its exercises from being graded:\n" \
        + "\n".join(f"    {p}" for p in problems)
    if path.stem in PENDING_GRADING:
        pytest.xfail(report)
    pytest.fail(report)
