"""Benchmark results as files: what ``benchmarks/`` measured, where, when and with what.

Every script in ``benchmarks/`` ends with :func:`write`, which stores its tables in
``benchmarks/results/NAME.json`` together with the date, the machine (CPU, cores, BLAS
library and kernel), the number of BLAS threads, the command that produced it and the
versions of the libraries compared. The summary chapter reads these files with
:func:`load_all` and renders them, so that no number in it is typed by hand; ``make bench``
regenerates them. :func:`validate` is the schema, used by :func:`write`, :func:`load` and the
tests.

A file has the keys ``name``, ``title``, ``command``, ``date`` (ISO 8601), ``machine``
(``platform``, ``cpu``, ``cores``, ``blas``), ``threads`` (int or ``"default"``),
``versions`` (library -> version string), ``tables`` (a list of tables, each with ``name``,
``caption``, ``columns`` and ``rows``, every row as long as ``columns``; cells are numbers,
strings, booleans or null) and ``notes`` (a string).

Examples
--------
>>> t = Table("speed", "Time per fit", ["method", "seconds"], [["svdlab", 0.12], ["peer", 0.3]])
>>> d = make_record("demo", "A demonstration", [t], command="python demo.py")
>>> validate(d) is d
True
>>> d["tables"][0]["rows"][1]
['peer', 0.3]
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

__all__ = ["Table", "ResultsError", "make_record", "write", "load", "load_all", "validate",
           "results_dir", "RESULTS_URL"]

#: Where the committed results are read from when svdlab is installed without a checkout
#: (the summary chapter on Colab). ``$SVDLAB_RESULTS_URL`` overrides it.
RESULTS_URL = os.environ.get(
    "SVDLAB_RESULTS_URL",
    "https://github.com/svd-course-book/svd-book/raw/main/benchmarks/results/")

_KEYS = ("name", "title", "command", "date", "machine", "threads", "versions", "tables", "notes")


class ResultsError(ValueError):
    """A results file is missing or does not follow the schema; the message says which key."""


@dataclass(frozen=True)
class Table:
    """One table of a benchmark: named columns and rows of plain values.

    Parameters
    ----------
    name : str
        Short identifier, unique within the file (``"dense"``, ``"sparse"``).
    caption : str
        One sentence saying what is measured and in which units.
    columns : list of str
        Column headers.
    rows : list of list
        Each row has one value per column: a number, a string, a bool or None.
    """

    name: str
    caption: str
    columns: list
    rows: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"name": self.name, "caption": self.caption, "columns": list(self.columns),
                "rows": [[_plain(v) for v in row] for row in self.rows]}


def _plain(v):
    """NumPy scalars become Python ones; NaN and inf become None (JSON has neither)."""
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def results_dir() -> Path | None:
    """``benchmarks/results/`` of the source checkout svdlab was imported from, if any."""
    candidate = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    return candidate if candidate.parent.is_dir() else None


def _machine() -> dict:
    info = {"platform": platform.platform(), "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "blas": []}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = sorted({f"{p.get('internal_api')} {p.get('version')} "
                               f"{p.get('architecture') or ''}".strip()
                               for p in threadpool_info() if p.get("user_api") == "blas"})
    except Exception:  # threadpoolctl missing or unable to inspect
        pass
    return info


def _versions(extra) -> dict:
    out = {"python": sys.version.split()[0]}
    for dist in ("svdlab", "numpy", "scipy", "scikit-learn", *extra):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def make_record(name: str, title: str, tables, *, command: str, threads="default",
                versions=(), notes: str = "") -> dict:
    """The dictionary :func:`write` stores, with the machine and versions filled in.

    Parameters
    ----------
    name : str
        File stem: the record is stored as ``NAME.json``.
    title : str
        What the benchmark compares, in one line.
    tables : list of Table
        The measured tables.
    command : str
        The command that produced them (``python benchmarks/pca.py --repeat 5``).
    threads : int or "default"
        BLAS threads the run was limited to.
    versions : iterable of str
        Distributions to record beyond Python, svdlab, NumPy, SciPy and scikit-learn
        (the peers: ``"gensim"``, ``"scikit-surprise"``...).
    notes : str
        Anything a reader needs to interpret the numbers.

    Returns
    -------
    dict
        A record that passes :func:`validate`.
    """
    rec = {
        "name": name, "title": title, "command": command,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": _machine(), "threads": threads, "versions": _versions(versions),
        "tables": [t.as_dict() if isinstance(t, Table) else t for t in tables],
        "notes": notes,
    }
    return validate(rec)


def write(name: str, title: str, tables, *, command: str, threads="default", versions=(),
          notes: str = "", directory=None) -> Path:
    """Store a benchmark's tables in ``benchmarks/results/NAME.json``; return the path.

    Parameters are those of :func:`make_record`; ``directory`` overrides the folder
    (default: ``benchmarks/results`` of the checkout).

    Raises
    ------
    ResultsError
        If the record does not follow the schema, or there is no checkout and no
        ``directory`` was given.
    """
    rec = make_record(name, title, tables, command=command, threads=threads,
                      versions=versions, notes=notes)
    folder = Path(directory) if directory is not None else results_dir()
    if folder is None:
        raise ResultsError("directory must be given when svdlab is not run from a checkout")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(rec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def validate(rec: dict) -> dict:
    """Check that ``rec`` follows the results schema; return it unchanged.

    Raises
    ------
    ResultsError
        Naming the first key that is missing or malformed.
    """
    if not isinstance(rec, dict):
        raise ResultsError(f"a results record must be a dict, got {type(rec).__name__}")
    missing = [k for k in _KEYS if k not in rec]
    if missing:
        raise ResultsError(f"results record lacks keys {missing}")
    for key in ("name", "title", "command", "date", "notes"):
        if not isinstance(rec[key], str):
            raise ResultsError(f"results key {key!r} must be a string, got {rec[key]!r}")
    try:
        _dt.datetime.fromisoformat(rec["date"])
    except ValueError:
        raise ResultsError(f"results key 'date' must be ISO 8601, got {rec['date']!r}") from None
    m = rec["machine"]
    if not isinstance(m, dict) or not {"platform", "cpu", "cores", "blas"} <= set(m):
        raise ResultsError("results key 'machine' needs platform, cpu, cores and blas")
    if not (rec["threads"] == "default" or (isinstance(rec["threads"], int)
                                             and rec["threads"] >= 1)):
        raise ResultsError(f"results key 'threads' must be a positive int or 'default', "
                           f"got {rec['threads']!r}")
    if not isinstance(rec["versions"], dict) or "numpy" not in rec["versions"]:
        raise ResultsError("results key 'versions' must map libraries to versions")
    tables = rec["tables"]
    if not isinstance(tables, list) or not tables:
        raise ResultsError("results key 'tables' must be a non-empty list")
    names = set()
    for i, t in enumerate(tables):
        if not isinstance(t, dict) or not {"name", "caption", "columns", "rows"} <= set(t):
            raise ResultsError(f"table {i} needs name, caption, columns and rows")
        if t["name"] in names:
            raise ResultsError(f"table name {t['name']!r} appears twice")
        names.add(t["name"])
        ncol = len(t["columns"])
        for j, row in enumerate(t["rows"]):
            if not isinstance(row, list) or len(row) != ncol:
                raise ResultsError(f"table {t['name']!r} row {j} must have {ncol} cells")
            for v in row:
                if v is not None and not isinstance(v, (int, float, str, bool)):
                    raise ResultsError(f"table {t['name']!r} row {j} holds {type(v).__name__}")
    return rec


def load(name: str, *, directory=None, download: bool = True) -> dict:
    """Read and validate ``NAME.json``: from the checkout, else from :data:`RESULTS_URL`.

    Raises
    ------
    ResultsError
        If the file is in neither place or fails :func:`validate`.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a benchmark name (str), got {name!r}")
    folder = Path(directory) if directory is not None else results_dir()
    if folder is not None and (folder / f"{name}.json").is_file():
        return validate(json.loads((folder / f"{name}.json").read_text(encoding="utf-8")))
    if not download:
        raise ResultsError(f"no results file {name}.json in {folder}")
    import urllib.request

    base = os.environ.get("SVDLAB_RESULTS_URL", RESULTS_URL)  # read now, not at import
    url = base.rstrip("/") + f"/{name}.json"
    try:
        with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 (fixed https URL)
            return validate(json.loads(r.read().decode("utf-8")))
    except OSError as exc:
        raise ResultsError(f"results {name!r}: not in a checkout and {url} failed ({exc})") from exc


def load_all(*, directory=None) -> dict[str, dict]:
    """Every results file of the checkout's ``benchmarks/results/``, by name.

    Raises
    ------
    ResultsError
        If there is no results folder or a file fails :func:`validate`.
    """
    folder = Path(directory) if directory is not None else results_dir()
    if folder is None or not folder.is_dir():
        raise ResultsError(f"no benchmark results folder ({folder}); run make bench")
    return {p.stem: validate(json.loads(p.read_text(encoding="utf-8")))
            for p in sorted(folder.glob("*.json"))}
