"""The exercise format of CONTRIBUTING.md, read once for every classroom tool.

A chapter's exercise is a markdown ```{exercise}``` block with a ``:label: chNN-ex-slug``,
a gated solution (```{solution-start} label``` ... ```{solution-end}```) whose code cells
mark the student's part with ``# BEGIN SOLUTION``/``# END SOLUTION`` or ``# SOLUTION``,
and, after it, test cells tagged ``exercise-test`` with metadata
``{"exercise": {"label": ..., "points": ..., "hidden": ...}}``.

This module parses that format (:func:`parse`), lists what a chapter does wrong
(:func:`format_problems`), writes the otter-assign master notebook
(:func:`to_master`), numbers exercises per chapter ("Exercise 6.3", the rule of
``book/_ext/exercise_numbers.py``) and turns MyST markdown into the plain Markdown that
Jupyter and Colab render (:func:`myst_to_markdown`). ``tools/student.py`` and
``tools/grade.py`` build on it.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from exercise_numbers import chapter_number  # noqa: E402  (one rule for site and hand-outs)

TEST_TAG = "exercise-test"
#: Metadata key of the cells this tooling adds or recognizes (the same key as the test
#: cells' metadata in CONTRIBUTING.md): {"label": ..., "role": "prompt"|"answer"|"check"}.
META = "exercise"

_FENCE = r"(?P<fence>`{3,}|:{3,})"
EXERCISE_RE = re.compile(_FENCE + r"\{exercise\}(?P<title>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$\n?",
                         re.M | re.S)
START_RE = re.compile(_FENCE + r"\{solution-start\}[ \t]*(?P<label>\S+)[^\n]*\n(?P<opts>(?::[^\n]*\n)*)"
                      r"^(?P=fence)[ \t]*$\n?", re.M)
END_RE = re.compile(_FENCE + r"\{solution-end\}[^\n]*\n^(?P=fence)[ \t]*$\n?", re.M)
LABEL_RE = re.compile(r"^:label:[ \t]*(\S+)[ \t]*$", re.M)
MARKER_RE = re.compile(r"#\s*(BEGIN SOLUTION|END SOLUTION)\b|#\s*SOLUTION\s*$", re.M)


def src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _md(text: str, metadata: dict | None = None) -> dict:
    return {"cell_type": "markdown", "metadata": metadata or {}, "source": text}


def _raw(text: str) -> dict:
    return {"cell_type": "raw", "metadata": {}, "source": text}


@dataclass
class Test:
    label: str
    points: float
    hidden: bool
    source: str
    cell_index: int

    @property
    def description(self) -> str:
        """The comment a test cell starts with (CONTRIBUTING: it says what it checks)."""
        lines = []
        for line in self.source.splitlines():
            s = line.strip()
            if not s:
                continue
            if not s.startswith("#"):
                break
            lines.append(s.lstrip("#").strip())
        return " ".join(lines) or "(no description)"


@dataclass
class Exercise:
    label: str
    title: str
    number: str                 # "6.3"
    body: str                   # the directive's content without its options
    block: str                  # the whole ```{exercise}``` block as written
    solution_code: list[int] = field(default_factory=list)    # cell indices
    tests: list[Test] = field(default_factory=list)
    has_solution: bool = False

    @property
    def points(self) -> float:
        p = sum(t.points for t in self.tests)
        return int(p) if float(p).is_integer() else p

    @property
    def public(self) -> list[Test]:
        return [t for t in self.tests if not t.hidden]

    @property
    def hidden(self) -> list[Test]:
        return [t for t in self.tests if t.hidden]


def test_meta(cell) -> dict | None:
    """The ``exercise`` metadata of a test cell, or None if the cell is not one."""
    if cell.get("cell_type") != "code":
        return None
    md = cell.get("metadata", {})
    if TEST_TAG not in md.get("tags", []):
        return None
    return md.get(META, {})


def segments(text: str) -> list[tuple[str, object]]:
    """Split a markdown cell at exercise blocks and solution gates, in order.

    Returns ``(kind, value)`` pairs: ``("md", text)``, ``("exercise", match)``,
    ``("start", label)``, ``("start-block", text)`` follows each start, ``("end", text)``.
    """
    found = []
    for kind, rx in (("exercise", EXERCISE_RE), ("start", START_RE), ("end", END_RE)):
        found += [(m.start(), m.end(), kind, m) for m in rx.finditer(text)]
    found.sort(key=lambda t: t[0])
    out, pos = [], 0
    for start, end, kind, m in found:
        if start < pos:      # a gate quoted inside an exercise block: part of that block
            continue
        if text[pos:start].strip():
            out.append(("md", text[pos:start]))
        out.append((kind, m))
        pos = end
    if text[pos:].strip():
        out.append(("md", text[pos:]))
    return out


def title_of(nb) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            m = re.search(r"^#\s+(.+)$", src(cell), re.M)
            if m:
                return m.group(1).strip()
    return ""


def parse(nb, stem: str) -> list[Exercise]:
    """The exercises of a chapter notebook, with their solution cells and tests."""
    chap = chapter_number(title_of(nb), stem)
    exercises: list[Exercise] = []
    by_label: dict[str, Exercise] = {}
    inside = None
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            for kind, m in segments(src(cell)):
                if kind == "exercise":
                    body = m.group("body")
                    lab = LABEL_RE.search(body)
                    label = lab.group(1) if lab else f"(unlabelled exercise {len(exercises) + 1})"
                    content = re.sub(r"^:[\w-]+:[^\n]*\n", "", body, flags=re.M).strip("\n")
                    ex = Exercise(label, m.group("title").strip(),
                                  f"{chap}.{len(exercises) + 1}" if chap else str(len(exercises) + 1),
                                  content, m.group(0))
                    exercises.append(ex)
                    by_label[label] = ex
                elif kind == "start":
                    inside = m.group("label")
                    if inside in by_label:
                        by_label[inside].has_solution = True
                elif kind == "end":
                    inside = None
        elif cell["cell_type"] == "code":
            meta = test_meta(cell)
            if meta is not None:
                label = meta.get("label", "")
                ex = by_label.get(label)
                test = Test(label, meta.get("points", 1), bool(meta.get("hidden", False)),
                            src(cell), i)
                if ex is not None:
                    ex.tests.append(test)
            elif inside is not None and inside in by_label:
                by_label[inside].solution_code.append(i)
    return exercises


def format_problems(nb, stem: str) -> list[str]:
    """What keeps a chapter's exercises from being graded (empty when all is in the format)."""
    out = []
    exercises = parse(nb, stem)
    labels = [e.label for e in exercises]
    for dup in sorted({x for x in labels if labels.count(x) > 1}):
        out.append(f"exercise label {dup} is used twice")
    known = set(labels)
    for i, cell in enumerate(nb["cells"]):
        meta = test_meta(cell)
        if meta is not None and meta.get("label") not in known:
            out.append(f"test cell {i} names exercise {meta.get('label')!r}, which does not exist")
    for ex in exercises:
        where = f"{ex.label}:"
        if ex.label.startswith("("):
            out.append(f"{ex.label} has no :label:")
            continue
        if not ex.has_solution:
            out.append(f"{where} no gated solution (solution-start/solution-end)")
        if not ex.solution_code:
            out.append(f"{where} the solution has no code cell")
        for i in ex.solution_code:
            if not MARKER_RE.search(src(nb["cells"][i])):
                out.append(f"{where} solution cell {i} has no # BEGIN SOLUTION/# SOLUTION marker "
                           "(the hand-out would get the whole cell as a stub)")
        if not ex.public:
            out.append(f"{where} no public test cell (hidden: false)")
        if not ex.hidden:
            out.append(f"{where} no hidden test cell (hidden: true)")
        for t in ex.tests:
            cell = nb["cells"][t.cell_index]
            if not isinstance(t.points, (int, float)) or t.points <= 0:
                out.append(f"{where} test cell {t.cell_index} has no positive points")
            if t.hidden and "hide-input" not in cell.get("metadata", {}).get("tags", []):
                out.append(f"{where} hidden test cell {t.cell_index} lacks the hide-input tag")
            if not t.source.lstrip().startswith("#"):
                out.append(f"{where} test cell {t.cell_index} does not start with a comment")
            try:
                ast.parse(t.source)
            except SyntaxError as e:
                out.append(f"{where} test cell {t.cell_index} is not valid Python ({e.msg})")
    # tests must follow their own solution, before the next exercise
    order = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            order += [("exercise", m) for k, m in segments(src(cell)) if k == "exercise"]
        elif test_meta(cell) is not None:
            order.append(("test", test_meta(cell).get("label")))
    current = None
    for kind, value in order:
        if kind == "exercise":
            lab = LABEL_RE.search(value.group("body"))
            current = lab.group(1) if lab else None
        elif value != current:
            out.append(f"a test cell of {value} comes after exercise {current}, not after its own")
    return out


# ----------------------------------------------------------------------------------------
# The otter-assign master notebook (otter-grader's v1 format of raw-cell boundaries)
# ----------------------------------------------------------------------------------------

def ensure_markers(code: str) -> str:
    """A solution cell without otter markers is all solution: wrap it in a BEGIN/END block."""
    if MARKER_RE.search(code):
        return code
    return "# BEGIN SOLUTION\n" + code.rstrip("\n") + "\n# END SOLUTION\n"


def _test_cell(test: Test, label: str) -> dict:
    config = {"hidden": test.hidden, "points": test.points,
              "failure_message": test.description}
    header = '""" # BEGIN TEST CONFIG\n' + "\n".join(
        f"{k}: {json.dumps(v)}" for k, v in config.items()) + '\n""" # END TEST CONFIG\n'
    return {"cell_type": "code", "execution_count": None, "outputs": [],
            "metadata": {META: {"label": label, "role": "test"}},
            "source": header + test.source.rstrip("\n")}


def assignment_name(stem: str) -> str:
    return stem


def to_master(nb, stem: str) -> tuple[dict, list[Exercise]]:
    """The otter-assign master notebook of a chapter, and its parsed exercises.

    Every exercise becomes a question named by its label, worth the sum of its test cells'
    points; its solution code cells form the SOLUTION block (otter replaces the marked
    lines by ``...``) and its test cells the TESTS block. The gated-solution markdown goes
    inside the SOLUTION block too, so otter removes it from the student's notebook.
    """
    exercises = parse(nb, stem)
    by_label = {e.label: e for e in exercises}
    config = ("# ASSIGNMENT CONFIG\n"
              f"name: {assignment_name(stem)}\n"
              "init_cell: false\nexport_cell: false\ncheck_all_cell: false\n"
              "run_tests: false\nsolutions_pdf: false\ntemplate_pdf: false\n"
              "generate:\n  pdf: false\n  filtering: false\n")
    cells = [_raw(config)]
    state = None           # None | "question" | "solution" | "tests"
    current: Exercise | None = None
    answer_no = 0

    def close():
        nonlocal state, current
        if state == "tests":
            cells.append(_raw("# END TESTS"))
        if state == "solution":
            cells.append(_raw("# END SOLUTION"))
        if state is not None:
            cells.append(_raw("# END QUESTION"))
        state, current = None, None

    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for kind, m in segments(src(cell)):
                text = m if kind == "md" else m.group(0)
                if kind == "exercise":
                    close()
                    lab = LABEL_RE.search(m.group("body"))
                    current = by_label.get(lab.group(1) if lab else None)
                    if current is None:
                        cells.append(_md(text))
                        continue
                    q = {"name": current.label, "points": current.points or 0,
                         "check_cell": bool(current.tests)}
                    cells.append(_raw("# BEGIN QUESTION\n" + "\n".join(
                        f"{k}: {json.dumps(v)}" for k, v in q.items())))
                    cells.append(_md(text, {META: {"label": current.label, "role": "prompt"}}))
                    state, answer_no = "question", 0
                elif kind == "start":
                    if state == "tests":
                        close()
                    if state is None:   # a solution outside any exercise: keep it out of sight
                        cells.append(_md(text))
                        continue
                    cells.append(_raw("# BEGIN SOLUTION"))
                    cells.append(_md(text))
                    state = "solution"
                elif kind == "end":
                    cells.append(_md(text))
                    if state == "solution":
                        cells.append(_raw("# END SOLUTION"))
                        state = "question"
                else:
                    if state == "tests":
                        close()
                    cells.append({**copy.deepcopy(cell), "source": text, "id": None})
            continue
        meta = test_meta(cell)
        if meta is not None and current is not None and meta.get("label") == current.label \
                and state in ("question", "tests"):
            if state == "question":
                cells.append(_raw("# BEGIN TESTS"))
                state = "tests"
            test = next(t for t in current.tests if t.source == src(cell))
            cells.append(_test_cell(test, current.label))
            continue
        if state == "tests" or (state == "question" and cell["cell_type"] == "code"):
            close()
        new = copy.deepcopy(cell)
        new.pop("id", None)
        if state == "solution" and cell["cell_type"] == "code":
            new["source"] = ensure_markers(src(cell))
            new.setdefault("metadata", {})[META] = {"label": current.label, "role": "answer",
                                                    "answer": answer_no}
            answer_no += 1
        new["outputs"] = [] if new["cell_type"] == "code" else new.get("outputs")
        if new["cell_type"] != "code":
            new.pop("outputs", None)
            new.pop("execution_count", None)
        cells.append(new)
    close()
    for c in cells:
        c.pop("id", None)
    master = {"cells": cells, "metadata": copy.deepcopy(nb.get("metadata", {})),
              "nbformat": 4, "nbformat_minor": 5}
    master["metadata"].setdefault("kernelspec", {"name": "python3", "display_name": "Python 3",
                                                 "language": "python"})
    for i, c in enumerate(master["cells"]):
        c["id"] = f"m{i}"
    return master, exercises


# ----------------------------------------------------------------------------------------
# MyST -> plain Markdown, for notebooks opened in Jupyter or Colab
# ----------------------------------------------------------------------------------------

def _plain_tex(s: str) -> str:
    s = re.sub(r"\\[a-zA-Z]+\s*", "", s)
    return s.replace("{", "").replace("}", "").strip()


def bibliography(bibfiles: list[Path]) -> dict[str, tuple[str, str]]:
    """key -> (authors as cited, year) for every entry of the book's .bib files."""
    from pybtex.database import parse_file

    out = {}
    for f in bibfiles:
        if not f.exists():
            continue
        db = parse_file(str(f))
        for key, e in db.entries.items():
            people = e.persons.get("author") or e.persons.get("editor") or []
            names = [_plain_tex(" ".join(p.prelast_names + p.last_names)) for p in people]
            if not names:
                who = _plain_tex(e.fields.get("organization", e.fields.get("title", key)))
            elif len(names) == 1:
                who = names[0]
            elif len(names) == 2:
                who = f"{names[0]} and {names[1]}"
            else:
                who = f"{names[0]} et al."
            out[key] = (who, _plain_tex(e.fields.get("year", "n.d.")))
    return out


@dataclass
class MystContext:
    bib: dict[str, tuple[str, str]]
    references_url: str               # the bibliography page of the published site
    exercise_numbers: dict[str, str]  # label -> "6.3"
    site_url: str = ""


ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention",
               "danger", "error", "seealso", "admonition", "margin", "sidebar", "topic",
               "dropdown", "card"}
DIRECTIVE_RE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}(?P<arg>[^\n]*)\n"
                          r"(?P<body>.*?)^(?P=fence)[ \t]*$\n?", re.M | re.S)
ROLE_RE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<content>[^`]*)`")


def _cite(keys: str, ctx: MystContext, textual: bool) -> str:
    parts = []
    for key in [k.strip() for k in keys.split(",") if k.strip()]:
        who, year = ctx.bib.get(key, (key, ""))
        parts.append(f"{who} ({year})" if textual else f"{who}, {year}")
    text = "; ".join(parts)
    link = f"[{text}]({ctx.references_url})" if ctx.references_url else text
    return link if textual else f"({link})"


def _role(m: re.Match, ctx: MystContext) -> str:
    name, content = m.group("name"), m.group("content")
    if name.startswith("cite"):
        return _cite(content, ctx, textual=name in ("cite:t", "cite:ts", "cite:author"))
    if name.startswith("glue"):
        # the value is computed when the notebook runs: name the variable that holds it
        return f"`{content.split(':')[0]}`"
    if name == "math":
        return f"${content}$"
    if name == "eq":
        return f"({content})"
    target = re.match(r"^(?P<text>.*?)\s*<(?P<target>[^>]+)>$", content, re.S)
    text, label = (target.group("text"), target.group("target")) if target else ("", content)
    if name in ("ref", "numref") and label in ctx.exercise_numbers:
        return text or f"Exercise {ctx.exercise_numbers[label]}"
    if name == "doc" and not text:
        return f"`{label}`"
    return text or (f"`{label}`" if name in ("func", "class", "meth", "mod", "py:func",
                                              "py:class", "py:mod", "attr", "data") else label)


def _quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.strip("\n").splitlines())


def _directive(m: re.Match, ctx: MystContext) -> str:
    name, arg, body = m.group("name"), m.group("arg").strip(), m.group("body")
    opts = dict(re.findall(r"^:([\w-]+):[ \t]*(.*)$", body, re.M))
    body = re.sub(r"^:[\w-]+:[^\n]*\n", "", body, flags=re.M).strip("\n")
    body = myst_to_markdown(body, ctx)
    if name == "exercise":
        label = opts.get("label", "")
        number = ctx.exercise_numbers.get(label, "")
        head = f"### Exercise {number}" + (f": {arg}" if arg else "")
        return f"{head}\n\n{body}\n"
    if name in ("solution", "solution-start", "solution-end", "bibliography", "glue:figure",
                "glue", "glue:any", "glue:math", "glue:md", "toctree", "tableofcontents"):
        return ""
    if name in ("math",):
        return f"$$\n{body}\n$$\n"
    if name in ("code", "code-block", "code-cell", "sourcecode"):
        return f"```{arg}\n{body}\n```\n"
    if name in ("figure", "image"):
        alt = opts.get("alt", body.splitlines()[0] if body else "")
        cap = f"\n\n*{body}*" if name == "figure" and body else ""
        return f"![{alt}]({arg}){cap}\n"
    if name in ADMONITIONS or name.split(":")[-1] in ADMONITIONS:
        title = arg if (name == "admonition" or arg) else name.capitalize()
        return _quote(f"**{title}.** {body}" if title else body) + "\n"
    if name in ("epigraph", "pull-quote", "highlights"):
        return _quote(body) + "\n"
    return body + "\n"


def myst_to_markdown(text: str, ctx: MystContext) -> str:
    """Plain Markdown (what JupyterLab without the MyST extension and Colab render)."""
    prev = None
    while prev != text:        # nested directives: innermost-first is not needed, repeat
        prev = text
        text = DIRECTIVE_RE.sub(lambda m: _directive(m, ctx), text)
    text = ROLE_RE.sub(lambda m: _role(m, ctx), text)
    text = re.sub(r"^\([\w:.-]+\)=[ \t]*\n", "", text, flags=re.M)      # (target)= lines
    text = re.sub(r"^:label:[^\n]*\n", "", text, flags=re.M)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text
