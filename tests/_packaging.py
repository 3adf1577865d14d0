"""Build the sdist and wheel once per test session; make fresh virtual environments.

Shared by tests/test_packaging.py (the distributions pass `twine check` and install into a
clean venv) and the Colab-like install test: ``dists(tmp_path_factory)`` returns the built
files, ``fresh_venv(path)`` a new venv's python.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_BUILT: dict[str, tuple[Path, Path]] = {}


def build_dists(outdir: Path) -> tuple[Path, Path]:
    """``python -m build`` into ``outdir``: (sdist, wheel). Uses the installed setuptools
    (``--no-isolation``) so that the build needs no download."""
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                           str(outdir), str(ROOT)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"python -m build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    (sdist,) = outdir.glob("svdlab-*.tar.gz")
    (wheel,) = outdir.glob("svdlab-*.whl")
    return sdist, wheel


def dists(tmp_path_factory) -> tuple[Path, Path]:
    """The session's sdist and wheel, built on first use."""
    if "dists" not in _BUILT:
        _BUILT["dists"] = build_dists(tmp_path_factory.mktemp("dist"))
    return _BUILT["dists"]


def fresh_venv(path: Path) -> Path:
    """A new virtual environment (no site packages of this one); returns its python."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin" / "python"
