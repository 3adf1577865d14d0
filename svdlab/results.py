"""Benchmark results as files: what ``benchmarks/`` measured, where, when and with what.

Every script in ``benchmarks/`` ends with :func:`write`, which stores its tables in
``benchmarks/results/NAME.json`` together with the date, the machine (CPU, cores, BLAS
library and kernel), the number of BLAS threads, the command that produced it and the
versions of the libraries compared. The summary chapter reads these files with
:func:`load_all` and renders them, so that no number in it is typed by hand; ``make bench``
regenerates them. :func:`validate` is the schema, used by :func:`write`, :func:`load` and the
tests. :func:`to_html`, :func:`to_markdown` and :func:`summary_table` render any valid file
(whatever its tables hold) and :func:`provenance` says when, where and with what it was
measured; :func:`rows` and :func:`lookup` read single cells for the summary's decision guide.

Taught in chapter 12.

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
import re
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

__all__ = ["Table", "ResultsError", "make_record", "write", "load", "load_all", "validate",
           "results_dir", "RESULTS_URL", "format_value", "provenance", "rows", "lookup",
           "summary_table", "to_html", "to_markdown"]

#: Where the committed results are read from when svdlab is installed without a checkout
#: (the summary chapter on Colab). ``$SVDLAB_RESULTS_URL`` overrides it.
RESULTS_URL = os.environ.get(
    "SVDLAB_RESULTS_URL",
    "https://github.com/svd-course-book/svd-book/raw/main/benchmarks/results/")

_KEYS = ("name", "title", "command", "date", "machine", "threads", "versions", "tables", "notes")


class ResultsError(ValueError):
    """A results file is missing or does not follow the schema; the message says which key.

    A subclass of ``ValueError``, so ``except ValueError`` catches it too.

    Examples
    --------
    >>> try:
    ...     validate({"name": "x"})
    ... except ResultsError as exc:
    ...     print(str(exc)[:30])
    results record lacks keys ['ti

    Taught in chapter 12.
    """


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

    Attributes
    ----------
    name, caption, columns, rows
        The parameters, unchanged; :meth:`as_dict` gives the JSON form.

    Examples
    --------
    >>> Table("t", "Two numbers", ["a", "b"], [[1, 2.5]]).as_dict()["rows"]
    [[1, 2.5]]

    Taught in chapter 12.
    """

    name: str
    caption: str
    columns: list
    rows: list = field(default_factory=list)

    def as_dict(self) -> dict:
        """The table as the plain dictionary stored in a results file.

        Returns
        -------
        dict
            Keys ``name``, ``caption``, ``columns`` and ``rows``; NumPy scalars become Python
            numbers and NaN or infinity become None (JSON has neither).
        """
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
    """``benchmarks/results/`` of the source checkout svdlab was imported from, if any.

    Returns
    -------
    pathlib.Path or None
        The folder (it may not exist yet), or None when svdlab is installed without a
        checkout (a wheel, Colab).

    Examples
    --------
    >>> d = results_dir()
    >>> d is None or d.name == "results"
    True

    Taught in chapter 12.
    """
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

    Raises
    ------
    ResultsError
        If a table is malformed (a row with the wrong number of cells, a cell that is not a
        number, string, bool or None, two tables with one name).

    Examples
    --------
    >>> rec = make_record("demo", "Demo", [Table("t", "c", ["x"], [[1]])], command="none")
    >>> sorted(rec["machine"])
    ['blas', 'cores', 'cpu', 'platform']

    Taught in chapter 12.
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

    Parameters
    ----------
    name, title, tables, command, threads, versions, notes
        As in :func:`make_record`.
    directory : str or pathlib.Path, optional
        Folder to write to (created if needed); default ``benchmarks/results`` of the
        checkout.

    Returns
    -------
    pathlib.Path
        The file written, ``directory / f"{name}.json"``.

    Raises
    ------
    ResultsError
        If the record does not follow the schema, or there is no checkout and no
        ``directory`` was given.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write("demo", "Demo", [Table("t", "c", ["x"], [[1]])], command="none",
    ...                  directory=tmp)
    ...     load("demo", directory=tmp)["tables"][0]["rows"]
    [[1]]

    Taught in chapter 12.
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

    Parameters
    ----------
    rec : dict
        A record as read from a results file (see the module docstring for its keys).

    Returns
    -------
    dict
        ``rec`` itself.

    Raises
    ------
    ResultsError
        Naming the first key that is missing or malformed.

    Examples
    --------
    >>> rec = make_record("demo", "Demo", [Table("t", "c", ["x"], [[1]])], command="none")
    >>> validate(rec)["name"]
    'demo'
    >>> rec["tables"][0]["rows"].append([1, 2])
    >>> validate(rec)
    Traceback (most recent call last):
    ...
    svdlab.results.ResultsError: table 't' row 1 must have 1 cells

    Taught in chapter 12.
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

    Parameters
    ----------
    name : str
        The benchmark's name (the file stem: ``"pca"``).
    directory : str or pathlib.Path, optional
        Folder to read from; default ``benchmarks/results`` of the checkout.
    download : bool, default True
        When the file is not in the folder, fetch it from ``$SVDLAB_RESULTS_URL`` (default
        :data:`RESULTS_URL`, the repository's committed results).

    Returns
    -------
    dict
        The validated record.

    Raises
    ------
    TypeError
        If ``name`` is not a non-empty string.
    ResultsError
        If the file is in neither place or fails :func:`validate`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = write("demo", "Demo", [Table("t", "c", ["x"], [[1]])], command="none",
    ...               directory=tmp)
    ...     load("demo", directory=tmp)["title"]
    'Demo'

    Taught in chapter 12.
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


def _listing_url(base: str) -> tuple[str, bool]:
    """Where the names of the results files are listed, and whether it is GitHub's API."""
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)/raw/([^/]+)/(.+?)/?", base)
    if m:
        owner, repo, ref, path = m.groups()
        return f"https://api.github.com/repos/{owner}/{repo}/contents/{path}?ref={ref}", True
    return base.rstrip("/") + "/", False


def _remote_names(base: str) -> list[str]:
    """Stems of the ``*.json`` files at the results URL ``base``, sorted."""
    import urllib.request

    url, api = _listing_url(base)
    try:
        with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 (http(s) URL)
            text = r.read().decode("utf-8")
    except OSError as exc:
        raise ResultsError(f"no results folder in a checkout, and listing {url} failed "
                           f"({exc})") from exc
    if api:
        entries = json.loads(text)
        files = [e["name"] for e in entries if isinstance(e, dict) and "name" in e]
    else:
        files = re.findall(r'href="([^"/?#]+\.json)"', text)
    names = sorted({f[:-5] for f in files if f.endswith(".json")})
    if not names:
        raise ResultsError(f"no results files listed at {url}")
    return names


def load_all(*, directory=None, download: bool = True) -> dict[str, dict]:
    """Every results file of the checkout's ``benchmarks/results/``, by name.

    Without a checkout (svdlab installed from a wheel, as on Colab) the files are listed
    and fetched from ``$SVDLAB_RESULTS_URL`` (default :data:`RESULTS_URL`): for the
    repository's ``github.com/OWNER/REPO/raw/REF/PATH`` address the listing comes from
    GitHub's contents API, for any other address from the server's directory index (the
    ``href`` of every ``*.json`` in it).

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        Folder to read every ``*.json`` of; default ``benchmarks/results`` of the checkout.
    download : bool, default True
        When there is no such folder, list and fetch the files from the results URL.

    Returns
    -------
    dict of str to dict
        Validated records keyed by file stem, in alphabetical order.

    Raises
    ------
    ResultsError
        If there is no results folder (and ``download`` is false, or the listing fails or
        is empty) or a file fails :func:`validate` (the message names the file).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for n in ("b", "a"):
    ...         _ = write(n, n.upper(), [Table("t", "c", ["x"], [[1]])], command="none",
    ...                   directory=tmp)
    ...     list(load_all(directory=tmp))
    ['a', 'b']

    Taught in chapter 12.
    """
    folder = Path(directory) if directory is not None else results_dir()
    if folder is None or not folder.is_dir():
        if not download:
            raise ResultsError(f"no benchmark results folder ({folder}); run make bench")
        names = _remote_names(os.environ.get("SVDLAB_RESULTS_URL", RESULTS_URL))
        return {n: load(n, directory=folder, download=True) for n in names}
    out = {}
    for p in sorted(folder.glob("*.json")):
        try:
            out[p.stem] = validate(json.loads(p.read_text(encoding="utf-8")))
        except ResultsError as exc:
            raise ResultsError(f"{p.name}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise ResultsError(f"{p.name} is not valid JSON ({exc})") from None
    return out


# --- reading and rendering (the summary chapter) ------------------------------------------

def _check_record(rec, name="rec") -> dict:
    if not isinstance(rec, dict):
        raise TypeError(f"{name} must be a results record (dict), got {type(rec).__name__}")
    return validate(rec)


def _table(rec: dict, table: str) -> dict:
    if not isinstance(table, str):
        raise TypeError(f"table must be a table name (str), got {table!r}")
    for t in rec["tables"]:
        if t["name"] == table:
            return t
    raise ResultsError(f"results {rec['name']!r} have no table {table!r}; "
                       f"they have {[t['name'] for t in rec['tables']]}")


def format_value(v, digits: int = 4, *, max_chars: int | None = None) -> str:
    """One cell as text: numbers to ``digits`` significant digits, None as a dash.

    Parameters
    ----------
    v : int, float, str, bool or None
        A cell of a results table.
    digits : int, default 4
        Significant digits of a float (integers are printed in full).
    max_chars : int, optional
        Cut strings longer than this, ending them with an ellipsis.

    Returns
    -------
    str
        ``"yes"``/``"no"`` for booleans, ``"–"`` for None (a method that did not finish,
        or a column that does not apply), the number or the string otherwise.

    Raises
    ------
    ValueError
        If ``digits`` is not a positive integer or ``max_chars`` is below 2.

    Examples
    --------
    >>> [format_value(x) for x in (0.000123456, 12345.678, 7, True, None, "svdlab")]
    ['0.0001235', '1.235e+04', '7', 'yes', '–', 'svdlab']
    >>> format_value("a very long cell", max_chars=6)
    'a ver…'

    Taught in chapter 12.
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be a positive int, got {digits!r}")
    if max_chars is not None and (isinstance(max_chars, bool) or not isinstance(max_chars, int)
                                  or max_chars < 2):
        raise ValueError(f"max_chars must be an int >= 2 or None, got {max_chars!r}")
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    text = str(v)
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars - 1] + "…"
    return text


def provenance(rec: dict) -> str:
    """When, where and with what a results file was measured, as one sentence.

    Parameters
    ----------
    rec : dict
        A results record (from :func:`load` or :func:`load_all`).

    Returns
    -------
    str
        The date (UTC), the CPU and its core count, the BLAS libraries, the BLAS thread
        limit, the library versions and the command that produced the file.

    Raises
    ------
    TypeError
        If ``rec`` is not a dict.
    ResultsError
        If ``rec`` fails :func:`validate`.

    Examples
    --------
    >>> rec = make_record("demo", "Demo", [Table("t", "c", ["x"], [[1]])], command="make demo",
    ...                   threads=1)
    >>> s = provenance(rec)
    >>> "1 BLAS thread" in s and s.endswith("`make demo`.")
    True

    Taught in chapter 12.
    """
    rec = _check_record(rec)
    when = _dt.datetime.fromisoformat(rec["date"])
    if when.tzinfo is not None:
        when = when.astimezone(_dt.timezone.utc)
    m = rec["machine"]
    blas = ", ".join(m["blas"]) if m["blas"] else "BLAS not recorded"
    t = rec["threads"]
    threads = ("the default number of BLAS threads" if t == "default"
               else f"{t} BLAS thread{'s' if t != 1 else ''}")
    versions = ", ".join(f"{k} {v}" for k, v in rec["versions"].items() if v is not None)
    return (f"Measured {when:%Y-%m-%d %H:%M} UTC on {m['cpu']} ({m['cores']} cores; {blas}) "
            f"with {threads}; {versions}; by `{rec['command']}`.")


def rows(rec: dict, table: str) -> list[dict]:
    """The rows of one table as dictionaries keyed by column name.

    Parameters
    ----------
    rec : dict
        A results record.
    table : str
        The table's ``name``.

    Returns
    -------
    list of dict
        One dict per row, in the stored order.

    Raises
    ------
    TypeError
        If ``rec`` is not a dict or ``table`` is not a string.
    ResultsError
        If ``rec`` fails :func:`validate` or has no table of that name (the message lists
        the tables it has).

    Examples
    --------
    >>> t = Table("speed", "Seconds", ["method", "seconds"], [["a", 1.0], ["b", 2.0]])
    >>> rows(make_record("demo", "Demo", [t], command="none"), "speed")[1]
    {'method': 'b', 'seconds': 2.0}

    Taught in chapter 12.
    """
    rec = _check_record(rec)
    t = _table(rec, table)
    return [dict(zip(t["columns"], row, strict=True)) for row in t["rows"]]


def lookup(rec: dict, table: str, column: str, **where):
    """The one cell of ``column`` in the row of ``table`` that matches ``where``.

    Parameters
    ----------
    rec : dict
        A results record.
    table : str
        The table's ``name``.
    column : str
        The column to read.
    **where
        Column values the row must have (``library="svdlab", solver="full"``); a column
        name that is not an identifier can be passed as ``**{"rating model": True}``.

    Returns
    -------
    int, float, str, bool or None
        The cell.

    Raises
    ------
    TypeError
        If ``rec`` is not a dict or ``table`` is not a string.
    ResultsError
        If the table or a column does not exist, or no row or more than one row matches
        (so that a benchmark whose layout changed fails loudly instead of quoting the wrong
        number).

    Examples
    --------
    >>> t = Table("speed", "Seconds", ["method", "n", "seconds"],
    ...           [["a", 10, 1.0], ["a", 20, 3.0], ["b", 10, 2.0]])
    >>> rec = make_record("demo", "Demo", [t], command="none")
    >>> lookup(rec, "speed", "seconds", method="a", n=20)
    3.0
    >>> lookup(rec, "speed", "seconds", method="a")
    Traceback (most recent call last):
    ...
    svdlab.results.ResultsError: results 'demo', table 'speed': 2 rows match {'method': 'a'}, want exactly one

    Taught in chapter 12.
    """
    rec = _check_record(rec)
    t = _table(rec, table)
    for key in (column, *where):
        if key not in t["columns"]:
            raise ResultsError(f"results {rec['name']!r}, table {table!r} have no column "
                               f"{key!r}; columns are {t['columns']}")
    found = [r for r in rows(rec, table) if all(r[k] == v for k, v in where.items())]
    if len(found) != 1:
        raise ResultsError(f"results {rec['name']!r}, table {table!r}: {len(found)} rows match "
                           f"{where}, want exactly one")
    return found[0][column]


def summary_table(records: dict) -> Table:
    """One row per results file: what it compares, when and where it was measured.

    Parameters
    ----------
    records : dict of str to dict
        Records keyed by name, as :func:`load_all` returns them.

    Returns
    -------
    Table
        Columns ``file``, ``title``, ``date (UTC)``, ``cpu``, ``cores``, ``threads``,
        ``tables`` and ``rows`` (the number of measured rows over all its tables).

    Raises
    ------
    TypeError
        If ``records`` is not a dict of records.
    ResultsError
        If a record fails :func:`validate`, or is stored under another name than its own.

    Examples
    --------
    >>> a = make_record("a", "First", [Table("t", "c", ["x"], [[1], [2]])], command="none")
    >>> summary_table({"a": a}).rows[0][-2:]
    [1, 2]

    Taught in chapter 12.
    """
    if not isinstance(records, dict):
        raise TypeError(f"records must be a dict name -> record (load_all()), "
                        f"got {type(records).__name__}")
    out = []
    for key, rec in records.items():
        rec = _check_record(rec, f"records[{key!r}]")
        if rec["name"] != key:
            raise ResultsError(f"records[{key!r}] holds the results named {rec['name']!r}")
        when = _dt.datetime.fromisoformat(rec["date"])
        if when.tzinfo is not None:
            when = when.astimezone(_dt.timezone.utc)
        out.append([f"{key}.json", rec["title"], f"{when:%Y-%m-%d %H:%M}",
                    rec["machine"]["cpu"], rec["machine"]["cores"], rec["threads"],
                    len(rec["tables"]), sum(len(t["rows"]) for t in rec["tables"])])
    return Table("results", "Every benchmark results file the book holds",
                 ["file", "title", "date (UTC)", "cpu", "cores", "threads", "tables", "rows"],
                 out)


def _as_tables(obj) -> tuple[list[dict], dict | None]:
    if isinstance(obj, Table):
        return [obj.as_dict()], None
    rec = _check_record(obj, "rec")
    return rec["tables"], rec


def to_html(rec, *, digits: int = 4, max_chars: int = 80) -> str:
    """A results record (or one :class:`Table`) as HTML: a heading, provenance, each table.

    Parameters
    ----------
    rec : dict or Table
        A record from :func:`load`/:func:`load_all`, or a single table.
    digits : int, default 4
        Significant digits of floats (:func:`format_value`).
    max_chars : int, default 80
        Longer strings are cut (the full text stays in the cell's ``title``, shown on hover).

    Returns
    -------
    str
        HTML fragment; every value is escaped. Wide tables scroll in their own box, which
        MathJax leaves alone (a ``$`` in a cell stays a dollar sign).

    Raises
    ------
    TypeError
        If ``rec`` is neither a dict nor a Table.
    ResultsError
        If ``rec`` fails :func:`validate`.
    ValueError
        If ``digits`` or ``max_chars`` is invalid.

    Examples
    --------
    >>> t = Table("speed", "Seconds <per fit>", ["method", "seconds"], [["svdlab", 0.125]])
    >>> html = to_html(t)
    >>> "<caption>Seconds &lt;per fit&gt;</caption>" in html and "<td>0.125</td>" in html
    True

    Taught in chapter 12.
    """
    import html as _html

    if not isinstance(rec, (dict, Table)):
        raise TypeError(f"rec must be a results record (dict) or a Table, got "
                        f"{type(rec).__name__}")
    format_value(0.0, digits, max_chars=max_chars)  # checks digits and max_chars
    tables, record = _as_tables(rec)
    esc = _html.escape
    parts = []
    if record is not None:
        parts.append(f"<h4>{esc(record['title'])} (<code>{esc(record['name'])}.json</code>)"
                     f"</h4>\n<p>{esc(provenance(record))}</p>")
        if record["notes"]:
            parts.append(f"<p><em>Notes:</em> {esc(record['notes'])}</p>")
    for t in tables:
        head = "".join(f"<th>{esc(str(c))}</th>" for c in t["columns"])
        body = []
        for row in t["rows"]:
            cells = []
            for v in row:
                text = format_value(v, digits, max_chars=max_chars)
                full = format_value(v, digits)
                title = f' title="{esc(full)}"' if text != full else ""
                cells.append(f"<td{title}>{esc(text)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        # mathjax_ignore: a "$" in a caption or cell is text, never the start of a formula
        parts.append(f'<div class="mathjax_ignore tex2jax_ignore" style="overflow-x: auto">'
                     f'<table class="results-table">'
                     f"<caption>{esc(t['caption'])}</caption>"
                     f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
                     f"</table></div>")
    return "\n".join(parts)


def to_markdown(rec, *, digits: int = 4, max_chars: int = 80) -> str:
    """A results record (or one :class:`Table`) as Markdown text, for a terminal or a note.

    Parameters
    ----------
    rec : dict or Table
        A record from :func:`load`/:func:`load_all`, or a single table.
    digits : int, default 4
        Significant digits of floats (:func:`format_value`).
    max_chars : int, default 80
        Longer strings are cut with an ellipsis.

    Returns
    -------
    str
        A heading and provenance line (for a record), then one pipe table per table, each
        preceded by its caption; ``|`` inside cells is escaped.

    Raises
    ------
    TypeError
        If ``rec`` is neither a dict nor a Table.
    ResultsError
        If ``rec`` fails :func:`validate`.
    ValueError
        If ``digits`` or ``max_chars`` is invalid.

    Examples
    --------
    >>> print(to_markdown(Table("t", "Seconds", ["method", "s"], [["a|b", 1.5]])))
    Seconds
    <BLANKLINE>
    | method | s |
    |---|---|
    | a\\|b | 1.5 |

    Taught in chapter 12.
    """
    if not isinstance(rec, (dict, Table)):
        raise TypeError(f"rec must be a results record (dict) or a Table, got "
                        f"{type(rec).__name__}")
    format_value(0.0, digits, max_chars=max_chars)
    tables, record = _as_tables(rec)
    parts = []
    if record is not None:
        parts.append(f"### {record['title']} ({record['name']}.json)\n\n{provenance(record)}")
    for t in tables:
        def line(cells):
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
        lines = [t["caption"], "", line([str(c) for c in t["columns"]]),
                 "|" + "---|" * len(t["columns"])]
        lines += [line([format_value(v, digits, max_chars=max_chars) for v in row])
                  for row in t["rows"]]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
