"""The summary chapter (12) reads every benchmark results file and each file is valid.

Chapter 12 renders ``benchmarks/results/*.json`` through :func:`svdlab.results.load_all`,
:func:`~svdlab.results.summary_table` and :func:`~svdlab.results.to_html`; these tests run
the same helpers on the committed files (whatever their tables hold: files other engineers
add later are covered without editing this module) and check the notebook calls them.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest

from svdlab import results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FILES = sorted(RESULTS.glob("*.json"))
CHAPTER = ROOT / "notebooks" / "12_summary.ipynb"


def _record(**changes):
    t = results.Table("speed", "Seconds per fit", ["method", "n", "seconds"],
                      [["svdlab", 10, 0.5], ["peer", 10, np.float64(1.5)], ["peer", 20, None]])
    rec = results.make_record("demo", "A demo", [t], command="python demo.py", threads=1)
    rec.update(changes)
    return rec


def test_there_are_results_files():
    assert FILES, "benchmarks/results/ holds no results file"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_results_file_validates(path):
    rec = json.loads(path.read_text(encoding="utf-8"))
    assert results.validate(rec) is rec
    assert rec["name"] == path.stem, "a file is named after its record"


def test_load_all_reads_every_file():
    records = results.load_all()
    assert sorted(records) == [p.stem for p in FILES]
    overview = results.summary_table(records)
    assert [r[0] for r in overview.rows] == [p.name for p in FILES]
    for row, rec in zip(overview.rows, records.values(), strict=True):
        assert row[-1] == sum(len(t["rows"]) for t in rec["tables"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_renders_every_table(path):
    """The chapter's helper, applied to each file: every caption, column and row appears."""
    rec = results.load(path.stem, download=False)
    out = results.to_html(rec)
    assert html.escape(rec["title"]) in out
    assert out.count("<table") == len(rec["tables"])
    for t in rec["tables"]:
        assert f"<caption>{html.escape(t['caption'])}</caption>" in out
        for c in t["columns"]:
            assert f"<th>{html.escape(str(c))}</th>" in out
    n_rows = sum(len(t["rows"]) for t in rec["tables"])
    assert out.count("<tr>") == n_rows + len(rec["tables"])  # the rows plus one header each
    md = results.to_markdown(rec)
    assert len(re.findall(r"^\|(---\|)+$", md, re.M)) == len(rec["tables"])
    assert results.provenance(rec).startswith("Measured ")


def test_the_chapter_renders_every_file_with_these_helpers():
    nb = json.loads(CHAPTER.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "results.load_all()" in code
    assert re.search(r"for\s+\w+\s*,\s*\w+\s+in\s+records\.items\(\)", code)
    assert "results.to_html(" in code and "results.summary_table(" in code
    # no number of a results file is typed into the prose: the prose glues them
    md = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "{glue:text}" in md


def test_format_value():
    assert results.format_value(0.123456) == "0.1235"
    assert results.format_value(0.123456, 2) == "0.12"
    assert results.format_value(123456789) == "123456789"
    assert results.format_value(False) == "no"
    assert results.format_value(None) == "–"
    assert results.format_value("abcdef", max_chars=4) == "abc…"
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="digits"):
            results.format_value(1.0, bad)
    with pytest.raises(ValueError, match="max_chars"):
        results.format_value("x", max_chars=1)


def test_rows_and_lookup():
    rec = _record()
    assert results.rows(rec, "speed")[1] == {"method": "peer", "n": 10, "seconds": 1.5}
    assert results.lookup(rec, "speed", "seconds", method="peer", n=10) == 1.5
    assert results.lookup(rec, "speed", "seconds", method="peer", n=20) is None
    with pytest.raises(results.ResultsError, match="2 rows match"):
        results.lookup(rec, "speed", "seconds", method="peer")
    with pytest.raises(results.ResultsError, match="0 rows match"):
        results.lookup(rec, "speed", "seconds", method="nobody")
    with pytest.raises(results.ResultsError, match="no column 'size'"):
        results.lookup(rec, "speed", "seconds", size=3)
    with pytest.raises(results.ResultsError, match="no table 'dense'.*speed"):
        results.rows(rec, "dense")
    with pytest.raises(TypeError, match="table must be"):
        results.rows(rec, 0)
    with pytest.raises(TypeError, match="rec must be"):
        results.rows([rec], "speed")


def test_provenance_says_when_where_and_with_what():
    rec = _record(date="2026-12-01T23:29:41+01:00")
    s = results.provenance(rec)
    assert "2026-12-01 22:29 UTC" in s  # converted to UTC
    assert f"{rec['machine']['cores']} cores" in s and "with 1 BLAS thread;" in s
    assert f"numpy {rec['versions']['numpy']}" in s and "`python demo.py`" in s
    assert "default number of BLAS threads" in results.provenance(_record(threads="default"))
    assert "4 BLAS threads" in results.provenance(_record(threads=4))


def test_renderers_escape_and_cut():
    t = results.Table("t", "a <b> & c", ["x|y"], [["<script>" + "z" * 100]])
    out = results.to_html(t, max_chars=10)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'title="&lt;script&gt;' in out  # the full text on hover
    assert "x\\|y" in results.to_markdown(t)
    # a "$" in a cell must not start a formula on the site
    assert out.count('class="mathjax_ignore') == out.count("<table")
    with pytest.raises(TypeError, match="rec must be"):
        results.to_html([1])
    with pytest.raises(TypeError, match="rec must be"):
        results.to_markdown("pca")
    with pytest.raises(ValueError, match="digits"):
        results.to_html(t, digits=0)


def test_invalid_records_are_refused_naming_the_key(tmp_path):
    with pytest.raises(results.ResultsError, match="'threads'"):
        results.to_html(_record(threads=0))
    with pytest.raises(results.ResultsError, match="'date'"):
        results.provenance(_record(date="yesterday"))
    with pytest.raises(results.ResultsError, match="holds the results named 'demo'"):
        results.summary_table({"other": _record()})
    with pytest.raises(TypeError, match="records must be"):
        results.summary_table([_record()])
    (tmp_path / "good.json").write_text(json.dumps(_record(name="good")))
    (tmp_path / "bad.json").write_text(json.dumps(_record(name="bad", tables=[])))
    with pytest.raises(results.ResultsError, match="bad.json: .*'tables'"):
        results.load_all(directory=tmp_path)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(results.ResultsError, match="bad.json is not valid JSON"):
        results.load_all(directory=tmp_path)


def test_write_then_load_round_trip(tmp_path):
    t = results.Table("t", "c", ["v"], [[np.float32(0.5)], [float("nan")], [np.int64(3)]])
    path = results.write("rt", "Round trip", [t], command="none", directory=tmp_path)
    rec = results.load("rt", directory=tmp_path, download=False)
    assert path.name == "rt.json" and rec["tables"][0]["rows"] == [[0.5], [None], [3]]
    assert results.load_all(directory=tmp_path) == {"rt": rec}


@pytest.fixture
def served_results(tmp_path):
    """Two results files behind a local HTTP server with a directory index (no network)."""
    import functools
    import http.server
    import threading

    folder = tmp_path / "served"
    for name in ("alpha", "beta"):
        results.write(name, name.title(), [results.Table("t", "c", ["x"], [[1]])],
                      command="none", directory=folder)
    (folder / "README.txt").write_text("not a results file")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_load_all_without_a_checkout_lists_and_fetches_the_results_url(
        served_results, monkeypatch, tmp_path):
    """Chapter 12 on Colab: no benchmarks/ folder, the files come from $SVDLAB_RESULTS_URL."""
    monkeypatch.setattr(results, "results_dir", lambda: None)
    monkeypatch.setenv("SVDLAB_RESULTS_URL", served_results)
    records = results.load_all()
    assert sorted(records) == ["alpha", "beta"] and records["beta"]["title"] == "Beta"
    with pytest.raises(results.ResultsError, match="no benchmark results folder"):
        results.load_all(download=False)
    monkeypatch.setenv("SVDLAB_RESULTS_URL", served_results + "nowhere/")
    with pytest.raises(results.ResultsError, match="listing .* failed"):
        results.load_all()


def test_the_repository_results_url_is_listed_through_githubs_api():
    url, api = results._listing_url(
        "https://github.com/svd-course-book/svd-book/raw/main/benchmarks/results/")
    assert api and url == ("https://api.github.com/repos/svd-course-book/svd-book/contents/"
                           "benchmarks/results?ref=main")
    assert results._listing_url("http://127.0.0.1:8000/benchmarks/results") == \
        ("http://127.0.0.1:8000/benchmarks/results/", False)
