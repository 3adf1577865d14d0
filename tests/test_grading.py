"""The autograder (tools/student.py + tools/grade.py, otter-grader underneath).

The mechanics are tested on the small fixture chapter tests/fixtures/90_fixture_chapter.ipynb
(three exercises, nine points): the instructor notebook scores full marks, the untouched
hand-out scores zero without crashing, one wrong answer and one exception lose exactly their
points, and submissions that tamper with the tests gain nothing, both with the static check
of answer code and, with it switched off, through the runtime guard alone.

The same checks on the real chapters execute every chapter once more, so they run only when
SVDLAB_GRADE_CHAPTERS=1 (``make grade-instructor``, which doubles as CI's second-seed run:
``SVDLAB_SEED=1 make grade-instructor``). Without it they are skipped with that reason.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import pickle
import sys
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import classroom as cr  # noqa: E402
import grade  # noqa: E402
import student  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "90_fixture_chapter.ipynb"
STEM = FIXTURE.stem
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))


def _nb(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _in_format(path):
    nb = _nb(path)
    return bool(cr.parse(nb, path.stem)) and not cr.format_problems(nb, path.stem)


FORMATTED = [p for p in CHAPTERS if _in_format(p)]


def _shared(tmp_path_factory, name, make):
    """``make()`` once per test run, also under pytest-xdist: the workers' temporary folders
    share a parent, where the first worker leaves the result (a pickle) for the others."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = root / f"classroom-{name}.pickle"
    with FileLock(str(path) + ".lock"):
        if path.exists():
            return pickle.loads(path.read_bytes())
        value = make(root / f"classroom-{name}")
        path.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    def make(out):
        assert student.main([str(out), "--chapters", str(FIXTURE), "--no-trees", "-j", "1"]) == 0
        return out

    return _shared(tmp_path_factory, "built", make)


def _answer(nb, label, source, k=0):
    """A copy of the hand-out with answer cell k of `label` replaced by `source`."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        meta = cell["metadata"].get("exercise", {})
        if meta.get("role") == "answer" and meta.get("label") == label and meta.get("answer") == k:
            cell["source"] = source
            return nb
    raise AssertionError(f"no answer cell {k} for {label}")


def _write(folder, name, nb):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


CORRECT = {
    "ch90-ex-norm": "s = sl.svd(A)[1]\nfro = float(np.sqrt(np.sum(s**2)))",
    "ch90-ex-rank": "s = sl.svd(A)[1]\nk_star = int(np.sum(s > 1e-10 * s[0]))",
    "ch90-ex-power": "def top_singular_value(M, iters):\n    return float(np.linalg.norm(M, 2))",
}

TAMPER_NUMPY = {
    "ch90-ex-norm": "np.testing.assert_allclose = lambda *a, **k: None\nfro = 1.0",
    "ch90-ex-rank": "import numpy.linalg as nla\nnla.matrix_rank = lambda *a, **k: 7\nk_star = 7",
    "ch90-ex-power": ("import numpy\nnumpy.testing.assert_allclose = lambda *a, **k: None\n"
                      "def top_singular_value(M, iters):\n    return 0.0"),
}

TAMPER_NAMES = {
    "ch90-ex-norm": "isinstance = lambda *a, **k: True\nfro = '3'",
    "ch90-ex-rank": "type = lambda x: int\nk_star = 99.5",
    "ch90-ex-power": ("abs = lambda x: 0.0\n"
                      "def top_singular_value(M, iters):\n    return 0.0"),
}

TAMPER_TEST_FILE = {
    "ch90-ex-norm": (
        "import glob, pathlib\n"
        "for _f in glob.glob('test' + 's/*.py'):\n"
        "    _t = {'name': pathlib.Path(_f).stem, 'points': 3, 'suites': [{'cases': "
        "[{'code': '>>> True\\nTrue\\n', 'hidden': False, 'locked': False, 'points': 3}], "
        "'scored': True, 'setup': '', 'teardown': '', 'type': 'doctest'}]}\n"
        "    pathlib.Path(_f).write_text('OK_FORMAT = True\\ntest = ' + repr(_t))\n"
        "fro = 1.0"),
}


def _edit_tests(handout):
    """Weakens every test it can reach in the notebook: the embedded public tests, the check
    cells (one deleted, one rewritten), the notebook metadata."""
    nb = copy.deepcopy(handout)
    cells = []
    for cell in nb["cells"]:
        role = cell["metadata"].get("exercise", {}).get("role")
        if role == "init":
            cell["source"] = cell["source"].replace("assert ", "assert True or ")
        if role == "check":
            if "ch90-ex-norm" in cell["source"]:
                continue
            cell["source"] = "grader.check = lambda *a: None\npass"
        cells.append(cell)
    nb["cells"] = cells
    nb["metadata"]["otter"]["tests"] = {}
    return _answer(nb, "ch90-ex-rank", "k_star = 1")


@pytest.fixture(scope="session")
def graded(built, tmp_path_factory):
    """Grade every variant in one run (two at a time), as `make grade` would."""
    return _shared(tmp_path_factory, "graded", lambda root: _grade_variants(built, root))


def _grade_variants(built, root):
    root.mkdir(parents=True, exist_ok=True)
    gdir = built / "grader" / STEM
    handout = _nb(gdir / "handout.ipynb")
    subs = root / "submissions"
    subs.mkdir()
    (subs / "instructor").mkdir()
    (subs / "instructor" / f"{STEM}.ipynb").write_text(
        (gdir / "instructor.ipynb").read_text(encoding="utf-8"), encoding="utf-8")
    _write(subs, "untouched", handout)
    nb = _answer(handout, "ch90-ex-norm", CORRECT["ch90-ex-norm"])
    nb = _answer(nb, "ch90-ex-rank", "s = sl.svd(A)[1]\nk_star = 4  # wrong")
    nb = _answer(nb, "ch90-ex-power", "raise RuntimeError('not done yet')\n"
                 + CORRECT["ch90-ex-power"])
    _write(subs, "wrong_and_exception", nb)
    _write(subs, "edits_tests", _edit_tests(handout))
    for name, answers in (("monkeypatches_numpy", TAMPER_NUMPY), ("redefines_names", TAMPER_NAMES),
                          ("writes_test_file", TAMPER_TEST_FILE)):
        nb = handout
        for label, code in answers.items():
            nb = _answer(nb, label, code)
        _write(subs, name, nb)
        _write(root / "runtime-only", name, nb)
    # a correct answer spread over an extra cell the student added, in a sub-folder
    nb = _answer(handout, "ch90-ex-rank", "s = sl.svd(A)[1]")
    i = next(i for i, c in enumerate(nb["cells"]) if c["id"] == "answer-ch90-ex-rank-0")
    nb["cells"].insert(i + 1, {"cell_type": "code", "metadata": {}, "outputs": [],
                               "execution_count": None, "id": "added",
                               "source": "k_star = int(np.sum(s > 1e-10 * s[0]))"})
    _write(subs / "added_cell", "my_copy_of_the_handout", nb)
    out = root / "grades"
    done = grade.grade_folder(subs, built / "grader", out, jobs=2, timeout=600)
    runtime_out = root / "grades-runtime"
    runtime = grade.grade_folder(root / "runtime-only",
                                 built / "grader", runtime_out, jobs=2, timeout=600,
                                 static_check=False)
    return {s.student: s for s in done}, out, {s.student: s for s in runtime}


def _total(sub):
    return sum(sub.scores.values())


def test_master_notebook_is_otters_format(built):
    master = _nb(built / "grader" / STEM / "master" / f"{STEM}.ipynb")
    raw = [c["source"].splitlines()[0] for c in master["cells"] if c["cell_type"] == "raw"]
    assert raw[0] == "# ASSIGNMENT CONFIG"
    assert raw[1:] == ["# BEGIN QUESTION", "# BEGIN SOLUTION", "# END SOLUTION", "# BEGIN TESTS",
                       "# END TESTS", "# END QUESTION"] * 3
    questions = [c["source"] for c in master["cells"] if c["source"].startswith("# BEGIN QUESTION")]
    assert 'name: "ch90-ex-rank"' in questions[1] and "points: 3" in questions[1]
    configs = [c["source"] for c in master["cells"] if "BEGIN TEST CONFIG" in c["source"]]
    assert len(configs) == 6 and sum("hidden: true" in c for c in configs) == 3


def test_handout_has_stubs_checks_and_no_solution(built):
    hand = _nb(built / "notebooks" / f"{STEM}.ipynb")
    text = "\n".join(cr.src(c) for c in hand["cells"])
    for solution_line in ("np.sqrt(np.sum(s**2))", "k_star = int(", "v = M.T @ (M @ v)",
                          "squared singular values add up"):
        assert solution_line not in text
    for hidden in ("computed entrywise", "k_star == np.linalg", "_r = np.random"):
        assert hidden not in text, "a hidden test leaked into the hand-out"
    assert "fro = ...\n" in text + "\n" and "def top_singular_value(M, iters):\n    ..." in text
    for label in ("ch90-ex-norm", "ch90-ex-rank", "ch90-ex-power"):
        assert f'grader.check("{label}")' in text
    # plain Markdown: no MyST left, numbered headings, author-year citations with a link
    md = "\n".join(cr.src(c) for c in hand["cells"] if c["cell_type"] == "markdown")
    assert "```{" not in md and "{cite" not in md and ":label:" not in md
    assert "### Exercise 90.2: Numerical rank" in md and "### Exercise 90.3" in md
    assert "([Golub and Van Loan, 2013](https://" in md and "book/references.html" in md
    assert "[Golub and Van Loan (2013)](" in md
    assert "> **Note.** The matrix is random" in md


def test_site_version_keeps_myst_and_skips_answers(built):
    site = _nb(built / "site-notebooks" / f"{STEM}.ipynb")
    md = "\n".join(cr.src(c) for c in site["cells"] if c["cell_type"] == "markdown")
    assert "```{exercise}" in md and "{cite}`golub2013`" in md and "solution-start" not in md
    for c in site["cells"]:
        role = c["metadata"].get("exercise", {}).get("role")
        if role in ("answer", "check", "init"):
            assert "skip-execution" in c["metadata"]["tags"]


def test_instructor_notebook_scores_full_marks(graded):
    subs, _, _ = graded
    s = subs["instructor"]
    assert s.error is None and s.scores == {"ch90-ex-norm": 3, "ch90-ex-rank": 3,
                                            "ch90-ex-power": 3}


def test_untouched_handout_scores_zero_without_crashing(graded):
    s = graded[0]["untouched"]
    assert s.error is None, s.error
    assert _total(s) == 0
    for label, notes in s.feedback.items():
        assert any(n.startswith("hidden test failed") for n in notes), (label, notes)


def test_one_wrong_answer_and_one_exception_lose_exactly_their_points(graded):
    s = graded[0]["wrong_and_exception"]
    # the wrong rank passes its public type test (1) and fails the hidden one (2);
    # the exception leaves top_singular_value undefined: both of its tests fail (3)
    assert s.scores == {"ch90-ex-norm": 3, "ch90-ex-rank": 1, "ch90-ex-power": 0}
    notes = s.feedback
    assert notes["ch90-ex-norm"] == []
    assert notes["ch90-ex-rank"] == ["hidden test failed: k_star is the rank that NumPy finds"]
    assert any("RuntimeError: not done yet" in n for n in notes["ch90-ex-power"])


def test_an_added_cell_counts_as_part_of_the_answer(graded):
    s = graded[0]["added_cell"]
    assert s.scores["ch90-ex-rank"] == 3 and _total(s) == 3


#: what each tampering submission's answers earn honestly, without the tampering lines:
#: a wrong value of the right type passes its exercise's public test (1 point)
HONEST = {"edits_tests": 1,            # k_star = 1
          "monkeypatches_numpy": 3,    # fro = 1.0, k_star = 7, top_singular_value -> 0.0
          "redefines_names": 1,        # fro = '3', k_star = 99.5, top_singular_value -> 0.0
          "writes_test_file": 1}       # fro = 1.0


@pytest.mark.parametrize("name", sorted(HONEST))
def test_tampering_gains_nothing(graded, name):
    s = graded[0][name]
    assert s.error is None, s.error
    assert _total(s) <= HONEST[name], (s.scores, s.feedback)


@pytest.mark.parametrize("name", ["monkeypatches_numpy", "redefines_names", "writes_test_file"])
def test_tampering_gains_nothing_without_the_static_check(graded, name):
    s = graded[2][name]
    assert _total(s) <= HONEST[name], (s.scores, s.feedback)


def test_runtime_guard_catches_a_patched_numpy(graded):
    notes = graded[2]["monkeypatches_numpy"].feedback
    assert _total(graded[2]["monkeypatches_numpy"]) == 0
    assert any("grading environment was changed" in n for n in notes["ch90-ex-norm"]), notes


def test_a_rewritten_test_file_scores_zero(graded):
    s = graded[0]["writes_test_file"]
    assert _total(s) == 0
    assert any("tests were changed" in n for n in s.feedback["ch90-ex-norm"]), s.feedback


def test_static_check_says_why(graded):
    notes = graded[0]["monkeypatches_numpy"].feedback["ch90-ex-norm"]
    assert any("np.testing.assert_allclose" in n and "not run" in n for n in notes), notes


def test_grade_csv_and_feedback(graded):
    subs, out, _ = graded
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert [r["student"] for r in rows] == sorted(subs)
    by = {r["student"]: r for r in rows}
    assert by["instructor"]["total"] == "9" and by["instructor"]["max"] == "9"
    assert by["wrong_and_exception"]["ch90-ex-rank"] == "1"
    fb = (out / "feedback" / "wrong_and_exception.md").read_text(encoding="utf-8")
    assert "### Exercise 90.2: Numerical rank (ch90-ex-rank): 1 / 3" in fb
    assert "hidden test failed: k_star is the rank that NumPy finds" in fb
    assert "matrix_rank(A) == 3" not in fb, "a hidden test's code leaked into the feedback"
    fb = (out / "feedback" / "untouched.md").read_text(encoding="utf-8")
    assert "public test failed: fro is a float" in fb and "isinstance(fro, float)" in fb


def test_static_check_lets_ordinary_code_through():
    aliases = {"np", "sl", "plt", "svdlab"}
    ok = ("import numpy as np\nfrom scipy.linalg import svd\nU, s, Vt = np.linalg.svd(A)\n"
          "k = int(np.sum(s > 1e-10))\nplt.plot(s)\nB = A.copy(); B[0, 0] = 1\n"
          "def f(x):\n    return np.sum(x)\nfor i in range(3):\n    pass\nresult = {'a': 1}")
    assert grade.tamper_findings(ok, aliases) == []
    for bad in ("np.allclose = lambda *a, **k: True", "np = None", "setattr(np, 'dot', 1)",
                "import builtins", "exec('x = 1')", "sys.modules['numpy'] = None",
                "np.testing.__dict__['assert_allclose'] = 1", "del np.linalg.svd",
                "from otter.execute import Checker"):
        assert grade.tamper_findings(bad, aliases | {"sys"}), bad


# --------------------------------------------------------------------------------------
# the real chapters
# --------------------------------------------------------------------------------------

_CHAPTER_BUILDS: dict[Path, Path] = {}


def _build_chapter(path, tmp_path_factory):
    """The grader and hand-out of one chapter, built once per test session (and worker)."""
    if path not in _CHAPTER_BUILDS:
        out = tmp_path_factory.mktemp(path.stem)
        assert student.main([str(out), "--chapters", str(path), "--no-trees", "-j", "1"]) == 0
        _CHAPTER_BUILDS[path] = out
    return _CHAPTER_BUILDS[path]


@pytest.mark.parametrize("path", FORMATTED, ids=lambda p: p.stem)
def test_chapter_converts_to_an_assignment(path, tmp_path_factory):
    """Fast (no execution): master, otter assign, hand-out without solutions or hidden tests."""
    out = _build_chapter(path, tmp_path_factory)
    man = json.loads((out / "grader" / path.stem / "manifest.json").read_text())
    hand = _nb(out / "notebooks" / path.name)
    text = "\n".join(cr.src(c) for c in hand["cells"])
    nb = _nb(path)
    for ex in cr.parse(nb, path.stem):
        assert f'grader.check("{ex.label}")' in text
        for t in ex.hidden:     # the hidden asserts (not the set-up lines they may share)
            asserts = [ln.strip() for ln in t.source.splitlines()
                       if ln.strip().startswith(("assert ", "np.testing.assert"))]
            public = {ln.strip() for p in ex.public for ln in p.source.splitlines()}
            leaked = [ln for ln in asserts if ln not in public and ln in text]
            assert not leaked, f"{ex.label}: hidden test lines in the hand-out: {leaked}"
        for i in ex.solution_code:
            for ln in cr.src(nb["cells"][i]).splitlines():
                if ln.rstrip().endswith("# SOLUTION"):
                    assert ln not in text, f"{ex.label}: a solution line is in the hand-out"
    assert sum(e["points"] for e in man["exercises"]) > 0


GRADE_CHAPTERS = os.environ.get("SVDLAB_GRADE_CHAPTERS") == "1"
needs_chapter_run = pytest.mark.skipif(
    not GRADE_CHAPTERS, reason="executes the chapter: run by `make grade-instructor` "
    "(SVDLAB_GRADE_CHAPTERS=1), CI's second-seed run")


@needs_chapter_run
@pytest.mark.parametrize("path", FORMATTED, ids=lambda p: p.stem)
def test_chapter_instructor_notebook_scores_full_marks(path, tmp_path, tmp_path_factory):
    built = _build_chapter(path, tmp_path_factory)
    assert grade.instructor(built / "grader", tmp_path / "grades", [path.stem], 1, 1800) == 0


@needs_chapter_run
@pytest.mark.parametrize("path", FORMATTED, ids=lambda p: p.stem)
def test_chapter_handout_scores_zero(path, tmp_path, tmp_path_factory):
    """CONTRIBUTING: a stub answer fails every test of its exercise."""
    built = _build_chapter(path, tmp_path_factory)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "handout.ipynb").write_text((built / "notebooks" / path.name).read_text())
    (s,) = grade.grade_folder(subs, built / "grader", tmp_path / "grades", jobs=1)
    assert s.error is None, s.error
    assert {k: v for k, v in s.scores.items() if v} == {}, s.feedback
