"""The student edition (tools/student.py) must remove every solution and nothing else."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import student  # noqa: E402

CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))


def _text(nb, kind=None):
    return "\n".join("".join(c["source"]) for c in nb["cells"]
                     if kind is None or c["cell_type"] == kind)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_solution_is_removed(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    n_solutions = len(re.findall(r"```\{solution-start\}", _text(nb, "markdown")))
    out, removed = student.strip_solutions(nb)
    assert removed == n_solutions
    text = _text(out)
    assert "solution-start" not in text and "solution-end" not in text
    # every exercise is still there, each followed by an empty answer cell
    assert text.count("```{exercise}") == _text(nb).count("```{exercise}")
    assert text.count("# your code here") == n_solutions


def test_markers_sharing_a_cell():
    def md(s):
        return {"cell_type": "markdown", "metadata": {}, "source": s}

    def code(s):
        return {"cell_type": "code", "metadata": {}, "source": s, "outputs": [],
                "execution_count": None}

    nb = {"cells": [md("Intro\n\n```{exercise}\n:label: a\nQ1\n```\n\n"
                       "```{solution-start} a\n```\nhint A"),
                    code("answer_a = 1"),
                    md("```{solution-end}\n```\n\n```{exercise}\n:label: b\nQ2\n```\n\n"
                       "```{solution-start} b\n```"),
                    code("answer_b = 2"),
                    md("```{solution-end}\n```\n\nAfter.")]}
    out, removed = student.strip_solutions(nb)
    text = _text(out)
    assert removed == 2
    assert "answer_a" not in text and "answer_b" not in text and "hint A" not in text
    assert "Q1" in text and "Q2" in text and "After." in text
