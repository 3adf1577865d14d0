"""Make the student edition: every chapter without its exercise solutions.

    python tools/student.py [OUT]      # default OUT = _build/student

Writes OUT/src/ (a copy of the book's sources in which every gated solution,
from ```{solution-start}``` to ```{solution-end}```, is replaced by an empty
answer cell) and OUT/notebooks/ (the same notebooks, ready to hand out as
assignments). `make student` then builds OUT/src into a site. The instructor's
notebooks in notebooks/ keep the solutions, whose asserts check each answer.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START = re.compile(r"```\{solution-start\}")
END = re.compile(r"```\{solution-end\}[^\n]*\n```[^\n]*\n?")


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _answer_cells() -> list[dict]:
    return [{"cell_type": "markdown", "metadata": {}, "source": "*Your solution:*\n"},
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": "# your code here\n"}]


def strip_solutions(nb: dict) -> tuple[dict, int]:
    """Remove gated solutions from a notebook dict; return it and the number removed.

    A markdown cell may hold several markers (a solution's end, the next exercise and
    the next solution's start), so each cell is scanned until no marker is left.
    """
    out, inside, removed = [], False, 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            if not inside:
                out.append(cell)
            continue
        text = _src(cell)
        while True:
            if not inside:
                m = START.search(text)
                if m is None:
                    if text.strip():
                        out.append({**cell, "source": text})
                    break
                before = text[: m.start()].rstrip()
                if before:
                    out.append({**cell, "source": before + "\n"})
                inside, removed = True, removed + 1
                text = text[m.end():]
            else:
                m = END.search(text)
                if m is None:
                    break                      # the whole cell is part of the solution
                inside = False
                out.extend(_answer_cells())
                text = text[m.end():].lstrip("\n")
    if inside:
        raise ValueError("a solution-start has no matching solution-end")
    for i, cell in enumerate(out):  # fresh, unique cell ids
        cell["id"] = f"c{i}"
    return {**nb, "cells": out}, removed


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "_build" / "student"
    src = out / "src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("book", "_mathjax"):
        shutil.copytree(ROOT / folder, src / folder)
    (src / "notebooks").mkdir()
    handout = out / "notebooks"
    handout.mkdir(parents=True, exist_ok=True)
    total = 0
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]*.ipynb")):
        nb, removed = strip_solutions(json.loads(path.read_text(encoding="utf-8")))
        total += removed
        text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        (src / "notebooks" / path.name).write_text(text, encoding="utf-8")
        (handout / path.name).write_text(text, encoding="utf-8")
    cfg = src / "_config.yml"
    cfg.write_text(re.sub(r'^title: "(.*)"', r'title: "\1 (student edition)"',
                          cfg.read_text(encoding="utf-8"), count=1, flags=re.M),
                   encoding="utf-8")
    print(f"removed {total} solutions; sources in {src}, hand-out notebooks in {handout}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
