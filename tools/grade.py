"""Grade a folder of submitted hand-outs locally, with otter-grader and no Docker.

    python tools/grade.py SUBMISSIONS [--grader _build/student/grader] [--out _build/grades]
                          [-j 2] [--timeout 1800] [--cell-timeout 300]
    python tools/grade.py --instructor [--grader ...] [--chapters STEM ...]

A submission is a hand-out notebook (``.ipynb``, or an otter export ``.zip`` holding one)
anywhere under SUBMISSIONS. The student is the first folder under SUBMISSIONS when there is
one (``SUBMISSIONS/alice/06_recommenders_and_lsa.ipynb``), else the file name
(``SUBMISSIONS/alice.ipynb``); the chapter is read from the notebook's metadata
(``otter.assignment_name``, set in the hand-out), so a renamed file still grades.

How a submission is graded (the reasons are in book/instructors.md):

1. **Rebuild from the pristine hand-out.** Only the student's *answer regions* are taken:
   each answer cell (metadata ``exercise.role == "answer"``) with the code cells the student
   added after it, up to the exercise's check cell. Every other cell - the chapter, the
   check cells, the cell holding the public tests - comes from the grader's copy, so edited
   or deleted tests, checks or metadata change nothing.
2. **Static check** of each region: code that assigns into numpy/scipy/svdlab/builtins/
   otter, rebinds their aliases, or reaches for ``exec``/``setattr``/``sys.modules``/
   ``__dict__``... is not run; the exercise scores zero and the feedback says why.
3. **Run with otter** (``otter run``'s own function, ``otter.run.main``, in a subprocess per
   submission, ``-j`` at a time): the rebuilt notebook runs top to bottom; each answer cell
   has a time limit; an exception in one answer costs that exercise's tests only. Every
   test case first verifies that no function of numpy, scipy, svdlab, builtins, doctest or
   otter was replaced since the answers started, drops names that shadow builtins and
   re-imports the chapter's modules, then checks again at its end.
4. **Check the results** against the grader's manifest: every test case must be the one
   the grader wrote (a test file rewritten during the run gives zero for that exercise).

Writes ``OUT/grades.csv`` (one row per student: points per exercise, total, maximum),
``OUT/feedback/STUDENT.md`` (per exercise: points, the failing public tests with their
messages, the names of failing hidden tests, errors raised by the answer cells) and
``OUT/results.json`` (everything, for other tools). ``--instructor`` grades the instructor
notebooks (the solutions) and exits non-zero unless each scores full marks.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classroom as cr  # noqa: E402

ROOT = cr.ROOT
GUARD_MODULE = "_svdlab_guard"

# ----------------------------------------------------------------------------------------
# the guard, run inside the grading kernel
# ----------------------------------------------------------------------------------------

GUARD_SOURCE = r'''
"""Snapshot of the test environment, taken before the first answer runs."""
import builtins
import importlib
import signal
import sys

ROOTS = ("numpy", "scipy", "sklearn", "svdlab", "math", "builtins", "otter", "doctest",
         "pickle", "dill", "random", "operator", "functools", "inspect", "types", "json")
CLASSES = (("otter.execute.checker", "Checker"), ("otter.test_files", "GradingResults"),
           ("otter.test_files.abstract_test", "TestFile"),
           ("otter.test_files.abstract_test", "TestCaseResult"),
           ("otter.test_files.ok_test", "OKTestFile"), ("otter.check.notebook", "Notebook"),
           ("doctest", "DocTestRunner"), ("doctest", "DocTest"), ("doctest", "DocTestParser"),
           ("doctest", "Example"), ("doctest", "OutputChecker"))
SHADOWABLE = ("abs", "all", "any", "bool", "callable", "complex", "dict", "divmod",
              "enumerate", "filter", "float", "frozenset", "getattr", "hasattr", "int",
              "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next",
              "pow", "range", "repr", "reversed", "round", "set", "sorted", "str", "sum",
              "tuple", "type", "zip", "AssertionError", "Exception", "ValueError",
              "TypeError", "KeyError", "IndexError", "ZeroDivisionError", "print")
_owners, _snap = {}, {}
_limit = [0]


#: replaced on every cell by ipykernel itself (it forwards input() to the front end)
VOLATILE = {"builtins.input", "builtins.raw_input", "getpass.getpass"}


def _public(name):
    return not any(part.startswith("_") for part in name.split(".")) or name == "builtins"


def _watch(obj):
    try:
        items = vars(obj).items()
    except TypeError:
        return {}
    return {k: v for k, v in items
            if callable(v) or isinstance(v, type(sys)) or k in ("testing", "linalg")}


def snapshot():
    for name in ("numpy.testing", "numpy.linalg", "numpy.random", "doctest", "pickle", "math",
                 "otter.execute.checker", "otter.test_files", "otter.test_files.ok_test"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    for name, mod in list(sys.modules.items()):
        if mod is not None and name.split(".")[0] in ROOTS and _public(name):
            _owners[name], _snap[name] = mod, _watch(mod)
    for modname, clsname in CLASSES:
        cls = getattr(sys.modules.get(modname), clsname, None)
        if cls is not None:
            key = f"{modname}.{clsname}"
            _owners[key], _snap[key] = cls, _watch(cls)


def changes():
    out = []
    for name, owner in _owners.items():
        if isinstance(owner, type(sys)) and sys.modules.get(name) is not owner:
            out.append(f"sys.modules[{name!r}] was replaced")
            continue
        try:
            now = vars(owner)
        except TypeError:
            continue
        for key, value in _snap[name].items():
            if now.get(key, _snap) is not value and f"{name}.{key}" not in VOLATILE:
                out.append(f"{name}.{key} was replaced")
    return out


def verify(globs):
    found = changes()
    if found:
        more = f" (and {len(found) - 6} more)" if len(found) > 6 else ""
        raise AssertionError("the grading environment was changed: "
                             + ", ".join(found[:6]) + more)
    for name in SHADOWABLE:  # the test sees the builtin, not the student's definition
        if name in globs and globs[name] is not getattr(builtins, name):
            del globs[name]


def _timeout(signum, frame):
    raise TimeoutError(f"this answer cell ran longer than {_limit[0]} s, its time limit")


def arm(seconds):
    _limit[0] = seconds
    signal.signal(signal.SIGALRM, _timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def disarm():
    signal.setitimer(signal.ITIMER_REAL, 0)
'''


def _guard_cell() -> dict:
    source = ("# Grading (added by tools/grade.py): snapshot of the test environment\n"
              "import sys as _g_sys, types as _g_types\n"
              f"_g_mod = _g_types.ModuleType({GUARD_MODULE!r})\n"
              f"exec(compile({GUARD_SOURCE!r}, {GUARD_MODULE!r}, 'exec'), _g_mod.__dict__)\n"
              f"_g_sys.modules[{GUARD_MODULE!r}] = _g_mod\n"
              "_g_mod.snapshot()\n"
              "del _g_sys, _g_types, _g_mod")
    return _code(source, {cr.META: {"role": "grading"}})


def _code(source: str, metadata: dict | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": metadata or {},
            "outputs": [], "source": source}


# ----------------------------------------------------------------------------------------
# the static check of an answer region
# ----------------------------------------------------------------------------------------

GUARDED_ROOTS = ("numpy", "scipy", "sklearn", "svdlab", "math", "builtins", "otter",
                 "doctest", "pickle", "dill", "sys", "random", "operator", "functools",
                 "inspect", "importlib", "gc", "ctypes", "types")
FORBIDDEN_IMPORTS = ("otter", "builtins", "doctest", "gc", "ctypes", "importlib", "inspect",
                     "dill", "pickle", GUARD_MODULE, "__builtin__")
FORBIDDEN_NAMES = ("exec", "eval", "compile", "setattr", "delattr", "globals", "vars",
                   "__import__", "__builtins__", "locals", GUARD_MODULE, "breakpoint")
FORBIDDEN_ATTRS = ("__dict__", "__globals__", "__code__", "__builtins__", "__setattr__",
                   "__delattr__", "__class__", "__subclasses__", "__bases__", "__mro__",
                   "__closure__", "__func__", "__self__", "f_globals", "f_locals", "f_back",
                   "modules", "__defaults__", "__kwdefaults__")


def module_aliases(sources: list[str]) -> set[str]:
    """Names that the given code binds to modules of the guarded packages."""
    names = set()
    for s in sources:
        try:
            tree = ast.parse(s)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] in GUARDED_ROOTS:
                        names.add(a.asname or a.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.split(".")[0] in GUARDED_ROOTS:
                for a in node.names:
                    names.add(a.asname or a.name)
    return names


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def tamper_findings(code: str, aliases: set[str]) -> list[str]:
    """Why this answer code may not run (empty if it may); line numbers are the cell's."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []          # it fails when it runs, costing its own exercise only
    found = []

    def flag(node, why):
        found.append(f"line {getattr(node, 'lineno', '?')}: {why}")

    def targets(node):
        if isinstance(node, (ast.Assign,)):
            return node.targets
        if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
            return [node.target]
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            return [node.target]
        if isinstance(node, ast.Delete):
            return node.targets
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return [i.optional_vars for i in node.items if i.optional_vars is not None]
        return []

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in FORBIDDEN_IMPORTS:
                    flag(node, f"imports {a.name}")
                elif (a.asname or a.name.split(".")[0]) in aliases and \
                        a.name.split(".")[0] not in GUARDED_ROOTS:
                    flag(node, f"binds {a.asname} to another module")
        elif isinstance(node, ast.ImportFrom):
            if node.module and node.module.split(".")[0] in FORBIDDEN_IMPORTS:
                flag(node, f"imports from {node.module}")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            flag(node, f"uses {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRS and (
                node.attr != "modules" or _root(node) in aliases | {"sys"}):
            flag(node, f"uses .{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                (GUARD_MODULE in node.value or "tests/" in node.value):
            flag(node, "names the grader's files")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
                node.name in aliases:
            flag(node, f"redefines {node.name}, a module the tests use")
        for t in targets(node):
            for sub in ast.walk(t):
                if isinstance(sub, (ast.Attribute, ast.Subscript)) and _root(sub) in aliases:
                    flag(node, f"assigns into {ast.unparse(sub)}, part of a module the tests use")
                    break
                if isinstance(sub, ast.Name) and sub.id in aliases:
                    flag(node, f"rebinds {sub.id}, a module the tests use")
                    break
        if isinstance(node, ast.Global):
            flag(node, "declares globals")
    return sorted(set(found), key=lambda s: (len(s.split(":")[0]), s))


# ----------------------------------------------------------------------------------------
# rebuilding a submission from the pristine hand-out
# ----------------------------------------------------------------------------------------

def _role(cell) -> tuple[str | None, str | None]:
    meta = cell.get("metadata", {}).get(cr.META) or {}
    role, label = meta.get("role"), meta.get("label")
    cid = cell.get("id") or ""
    if role is None and cid.startswith("answer-"):
        role, label = "answer", cid[len("answer-"):].rsplit("-", 1)[0]
    if role is None and cid.startswith("check-"):
        role, label = "check", cid[len("check-"):]
    if role is None and cell.get("metadata", {}).get("editable") is False:
        role = "locked"
    return role, label


def answer_regions(sub: dict, pristine_sources: set[str]) -> dict[str, list[str]]:
    """label -> the code of the student's answer cells and the code cells added after them."""
    regions: dict[str, list[str]] = {}
    current = None
    for cell in sub.get("cells", []):
        role, label = _role(cell)
        if role == "answer" and label:
            current = label
            regions.setdefault(label, []).append(cr.src(cell))
        elif role is not None:
            current = None
        elif cell.get("cell_type") == "code" and current is not None:
            if cr.src(cell) in pristine_sources:
                current = None
            elif cr.src(cell).strip():
                regions[current].append(cr.src(cell))
    return regions


@dataclass
class Rebuilt:
    notebook: dict
    notes: dict[str, list[str]] = field(default_factory=dict)    # label -> notes
    flagged: set[str] = field(default_factory=set)               # labels scored zero


def rebuild(sub: dict, handout: dict, cell_timeout: float, static_check: bool = True) -> Rebuilt:
    pristine = {cr.src(c) for c in handout["cells"] if _role(c)[0] != "answer"}
    regions = answer_regions(sub, pristine)
    aliases = module_aliases([cr.src(c) for c in handout["cells"] if c["cell_type"] == "code"])
    out = Rebuilt(notebook={**handout, "cells": []})
    cells = out.notebook["cells"]
    done, guard = set(), False
    for cell in handout["cells"]:
        role, label = _role(cell)
        if role != "answer":
            cells.append(cell)
            continue
        if label in done:
            continue
        done.add(label)
        if not guard:
            cells.append(_guard_cell())
            guard = True
        stub = [cr.src(c) for c in handout["cells"] if _role(c) == ("answer", label)]
        code = regions.get(label)
        if code is None:
            out.notes.setdefault(label, []).append(
                "no answer cell for this exercise was found in the submission (deleted, or its "
                "metadata lost); the hand-out's stub was graded")
            code = stub
        elif static_check:
            own = module_aliases(code)
            findings = [f for c in code for f in tamper_findings(c, aliases | own)]
            if findings:
                out.flagged.add(label)
                out.notes.setdefault(label, []).append(
                    "the answer was not run: it changes what the tests rely on ("
                    + "; ".join(findings[:4]) + ("; ..." if len(findings) > 4 else "") + ")")
                code = stub
        for k, source in enumerate(code):
            cells.append(_code(f"{GUARD_MODULE!s} = __import__('sys').modules[{GUARD_MODULE!r}]"
                               f"; {GUARD_MODULE}.arm({cell_timeout}); del {GUARD_MODULE}",
                               {cr.META: {"role": "grading"}}))
            cells.append(_code(source, {cr.META: {"role": "graded", "label": label,
                                                  "answer": k}}))
        cells.append(_code(f"__import__('sys').modules[{GUARD_MODULE!r}].disarm()",
                           {cr.META: {"role": "grading"}}))
    for i, c in enumerate(cells):
        c["id"] = f"g{i}"
    return out


# ----------------------------------------------------------------------------------------
# running otter on one rebuilt notebook (in a subprocess: python tools/grade.py --worker)
# ----------------------------------------------------------------------------------------

def worker(nb_path: str, zip_path: str, out_path: str) -> int:
    import contextlib

    from otter.run import main as otter_run

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from kernels import ipc_for_nbconvert

    ipc_for_nbconvert()    # two graders at a time: no TCP ports to collide on

    log = io_log = open(out_path + ".log", "w", encoding="utf-8")
    with contextlib.redirect_stdout(io_log), contextlib.redirect_stderr(io_log):
        try:
            results = otter_run(nb_path, autograder=zip_path, output_dir=None, no_logo=True)
            error = None
        except Exception as e:   # a notebook that cannot run at all
            results, error = None, f"{type(e).__name__}: {e}"
    log.close()
    data = {"error": error, "questions": {}, "cells": []}
    if results is not None:
        for name, tf in results.results.items():
            data["questions"][name] = {
                "score": tf.score, "possible": tf.possible,
                "cases": [{"passed": bool(r.passed), "hidden": bool(r.test_case.hidden),
                           "points": r.test_case.points, "body": r.test_case.body,
                           "message": r.message} for r in tf.test_case_results]}
        nb = getattr(results, "notebook", None)
        for cell in (nb or {}).get("cells", []):
            meta = cell.get("metadata", {}).get(cr.META) or {}
            if meta.get("role") == "graded":
                errs = [f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", [])
                        if o.get("output_type") == "error"]
                data["cells"].append({"label": meta.get("label"), "answer": meta.get("answer"),
                                      "errors": errs})
    Path(out_path).write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    return 0


# ----------------------------------------------------------------------------------------
# grading a folder
# ----------------------------------------------------------------------------------------

@dataclass
class Submission:
    student: str
    path: Path
    chapter: str | None = None
    error: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    feedback: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0


def _load(path: Path) -> dict:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.endswith(".ipynb") and "/." not in n]
            if len(names) != 1:
                raise ValueError(f"{path.name} holds {len(names)} notebooks, want one")
            return json.loads(z.read(names[0]).decode("utf-8"))
    return json.loads(path.read_text(encoding="utf-8"))


def find_submissions(folder: Path) -> list[Submission]:
    subs = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".ipynb", ".zip") or ".ipynb_checkpoints" in path.parts:
            continue
        rel = path.relative_to(folder)
        student = rel.parts[0] if len(rel.parts) > 1 else path.stem
        subs.append(Submission(student, path))
    return subs


def _chapter_of(nb: dict, path: Path, manifests: dict) -> str | None:
    name = (nb.get("metadata", {}).get("otter") or {}).get("assignment_name")
    if name in manifests:
        return name
    for stem in manifests:
        if stem in path.name:
            return stem
    return None


def failure_summary(message: str, limit: int = 1200) -> str:
    """The failing lines of a doctest report and what each raised (or printed instead).

    A doctest report lists, per failure, ``Failed example:`` with the source indented under
    it, then ``Exception raised:`` with the traceback (or ``Expected:``/``Got:``), each
    block indented deeper than its heading.
    """
    lines = message.splitlines()

    def block(i, base):
        out = []
        while i < len(lines) and (not lines[i].strip() or
                                  len(lines[i]) - len(lines[i].lstrip()) > base):
            if lines[i].strip():
                out.append(lines[i].strip())
            i += 1
        return out, i

    found, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.strip() != "Failed example:":
            i += 1
            continue
        base = len(line) - len(line.lstrip())
        example, i = block(i + 1, base)
        what = ""
        if i < len(lines) and lines[i].strip() in ("Exception raised:", "Expected:"):
            kind = lines[i].strip()
            body, i = block(i + 1, base)
            if kind == "Exception raised:":
                what = body[-1] if body else ""
            else:
                what = "printed " + " ".join(body)
        found.append(f"{' '.join(example)}  ->  {what}")
    text = "\n".join(found) or (message.strip().splitlines() or [""])[0]
    return text if len(text) <= limit else text[:limit] + " ..."


def grade_one(sub: Submission, grader: Path, manifests: dict, timeout: float,
              cell_timeout: float, static_check: bool) -> Submission:
    t0 = time.perf_counter()
    try:
        nb = _load(sub.path)
    except (ValueError, json.JSONDecodeError, zipfile.BadZipFile) as e:
        sub.error = f"cannot read {sub.path.name}: {e}"
        return sub
    sub.chapter = _chapter_of(nb, sub.path, manifests)
    if sub.chapter is None:
        sub.error = f"{sub.path.name}: not a hand-out of a chapter this grader knows"
        return sub
    man = manifests[sub.chapter]
    gdir = grader / sub.chapter
    handout = json.loads((gdir / "handout.ipynb").read_text(encoding="utf-8"))
    rebuilt = rebuild(nb, handout, cell_timeout, static_check)
    with tempfile.TemporaryDirectory(prefix="svdlab-grade-") as tmp:
        nb_path = Path(tmp) / f"{sub.chapter}.ipynb"
        nb_path.write_text(json.dumps(rebuilt.notebook), encoding="utf-8")
        out_path = Path(tmp) / "result.json"
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        try:
            subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker",
                            str(nb_path), str(gdir / "autograder.zip"), str(out_path)],
                           cwd=tmp, env=env, timeout=timeout, check=False,
                           capture_output=True)
            result = json.loads(out_path.read_text(encoding="utf-8")) if out_path.exists() \
                else {"error": "the grader's worker wrote no results", "questions": {}, "cells": []}
        except subprocess.TimeoutExpired:
            result = {"error": f"grading took longer than {timeout:.0f} s and was stopped",
                      "questions": {}, "cells": []}
    if result.get("error"):
        sub.error = result["error"]
    errors: dict[str, list[str]] = {}
    for c in result.get("cells", []):
        for e in c["errors"]:
            errors.setdefault(c["label"], []).append(f"answer cell {c['answer'] + 1} raised {e}")
    for ex in man["exercises"]:
        if not ex["graded"]:
            continue
        label = ex["label"]
        notes = list(rebuilt.notes.get(label, [])) + errors.get(label, [])
        q = result.get("questions", {}).get(label)
        expected = [t["body"] for t in ex["tests"]]
        score = 0.0
        if q is None:
            notes.append("its tests did not run (the notebook stopped before them)")
        elif [c["body"] for c in q["cases"]] != expected:
            notes.append("its tests were changed while the notebook ran: scored zero")
        elif label not in rebuilt.flagged:
            for t, case in zip(ex["tests"], q["cases"], strict=True):
                if case["passed"]:
                    score += t["points"]
                elif t["hidden"]:
                    notes.append(f"hidden test failed: {t['description']}")
                else:
                    notes.append(f"public test failed: {t['description']}\n"
                                 + _indent(failure_summary(case["message"])))
        sub.scores[label] = score
        sub.feedback[label] = notes
    sub.seconds = time.perf_counter() - t0
    return sub


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def load_manifests(grader: Path) -> dict:
    mans = {}
    for f in sorted(grader.glob("*/manifest.json")):
        m = json.loads(f.read_text(encoding="utf-8"))
        mans[m["chapter"]] = m
    return mans


def write_reports(subs: list[Submission], manifests: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    chapters = sorted({s.chapter for s in subs if s.chapter} or manifests)
    columns = [(ch, ex) for ch in chapters for ex in manifests[ch]["exercises"] if ex["graded"]]
    possible = sum(ex["points"] for _, ex in columns)
    students = sorted({s.student for s in subs})
    by_student: dict[str, list[Submission]] = {}
    for s in subs:
        by_student.setdefault(s.student, []).append(s)
    csv_path = out / "grades.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", *[ex["label"] for _, ex in columns], "total", "max"])
        for st in students:
            scores = {}
            for s in by_student[st]:
                scores.update(s.scores)
            row = [scores.get(ex["label"]) for _, ex in columns]
            total = sum(x for x in row if x is not None)
            w.writerow([st, *["" if x is None else _fmt(x) for x in row], _fmt(total),
                        _fmt(possible)])
    fb = out / "feedback"
    if fb.exists():
        shutil.rmtree(fb)
    fb.mkdir()
    for st in students:
        lines = [f"# Feedback for {st}", ""]
        for s in sorted(by_student[st], key=lambda s: s.chapter or ""):
            man = manifests.get(s.chapter or "")
            if man is None:
                lines += [f"## {s.path.name}", "", f"Not graded: {s.error}", ""]
                continue
            got = sum(s.scores.values())
            mx = sum(ex["points"] for ex in man["exercises"] if ex["graded"])
            lines += [f"## {man['title']}: {_fmt(got)} / {_fmt(mx)} points", ""]
            if s.error:
                lines += [f"The notebook did not run to the end: {s.error}", ""]
            for ex in man["exercises"]:
                if not ex["graded"]:
                    continue
                title = f"Exercise {ex['number']}" + (f": {ex['title']}" if ex["title"] else "")
                lines.append(f"### {title} ({ex['label']}): "
                             f"{_fmt(s.scores.get(ex['label'], 0))} / {_fmt(ex['points'])}")
                notes = s.feedback.get(ex["label"], [])
                lines += [f"- {n}" for n in notes] if notes else ["- all tests passed"]
                lines.append("")
        (fb / f"{_safe(st)}.md").write_text("\n".join(lines), encoding="utf-8")
    (out / "results.json").write_text(json.dumps(
        [{"student": s.student, "file": str(s.path), "chapter": s.chapter, "error": s.error,
          "scores": s.scores, "feedback": s.feedback, "seconds": round(s.seconds, 1)}
         for s in subs], indent=1), encoding="utf-8")
    return csv_path


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "student"


def grade_folder(folder: Path, grader: Path, out: Path, jobs: int = 2, timeout: float = 1800,
                 cell_timeout: float = 300, static_check: bool = True) -> list[Submission]:
    manifests = load_manifests(grader)
    if not manifests:
        raise SystemExit(f"no grader in {grader}: run `make student` first")
    subs = find_submissions(folder)
    if not subs:
        raise SystemExit(f"no .ipynb or .zip submissions under {folder}")
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        done = list(pool.map(lambda s: grade_one(s, grader, manifests, timeout, cell_timeout,
                                                 static_check), subs))
    write_reports(done, manifests, out)
    return done


def instructor(grader: Path, out: Path, chapters: list[str] | None, jobs: int,
               timeout: float) -> int:
    """Grade every chapter's instructor notebook: each must score full marks."""
    manifests = load_manifests(grader)
    stems = chapters or sorted(manifests)
    with tempfile.TemporaryDirectory(prefix="svdlab-instructor-") as tmp:
        for stem in stems:
            d = Path(tmp) / "instructor"
            d.mkdir(exist_ok=True)
            shutil.copy(grader / stem / "instructor.ipynb", d / f"{stem}.ipynb")
        t0 = time.perf_counter()
        subs = grade_folder(Path(tmp), grader, out, jobs, timeout)
        wall = time.perf_counter() - t0
    bad = 0
    print(f"{'chapter':40s} {'points':>10s} {'seconds':>8s}")
    for s in sorted(subs, key=lambda s: s.chapter or ""):
        man = manifests[s.chapter]
        mx = sum(ex["points"] for ex in man["exercises"] if ex["graded"])
        got = sum(s.scores.values())
        ok = got == mx and not s.error
        bad += not ok
        print(f"{s.chapter:40s} {_fmt(got):>5s}/{_fmt(mx):<4s} {s.seconds:8.1f}"
              + ("" if ok else "  <-- not full marks"))
        if not ok:
            for label, notes in s.feedback.items():
                for n in notes:
                    print(f"    {label}: {n.splitlines()[0]}")
            if s.error:
                print(f"    {s.error}")
    print(f"SVDLAB_SEED={os.environ.get('SVDLAB_SEED', '0')}: {len(subs) - bad} of {len(subs)} "
          f"instructor notebooks score full marks ({wall:.0f} s wall)")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return worker(*argv[1:4])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("submissions", nargs="?", help="folder of submitted notebooks")
    ap.add_argument("--grader", default=str(ROOT / "_build" / "student" / "grader"))
    ap.add_argument("--out", default=None, help="default: _build/grades")
    ap.add_argument("-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per submission")
    ap.add_argument("--cell-timeout", type=float, default=300, help="seconds per answer cell")
    ap.add_argument("--instructor", action="store_true",
                    help="grade the instructor notebooks; fail unless all score full marks")
    ap.add_argument("--chapters", nargs="*", help="with --instructor: these chapter stems")
    args = ap.parse_args(argv)
    grader = Path(args.grader).resolve()
    if args.instructor:
        out = Path(args.out or ROOT / "_build" / "grades-instructor")
        return instructor(grader, out, args.chapters, args.jobs, args.timeout)
    if not args.submissions:
        ap.error("give the folder of submissions (or --instructor)")
    out = Path(args.out or ROOT / "_build" / "grades").resolve()
    subs = grade_folder(Path(args.submissions), grader, out, args.jobs, args.timeout,
                        args.cell_timeout)
    failed = [s for s in subs if s.error]
    print(f"graded {len(subs)} submissions of {len({s.student for s in subs})} students: "
          f"{out / 'grades.csv'}, feedback in {out / 'feedback'}")
    for s in failed:
        print(f"  {s.student} ({s.path.name}): {s.error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
