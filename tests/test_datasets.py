"""The data layer: registry, lookup order, verified downloads from a local server."""

import functools
import gzip
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest

from svdlab import datasets as D
from svdlab.datasets import _registry as R

FIXTURE = b"user\titem\trating\ttimestamp\n1\t2\t5\t881250949\n3\t4\t1\t891717742\n"


@pytest.fixture()
def server(tmp_path):
    """Serve tmp_path/www over HTTP on 127.0.0.1 (an ephemeral port)."""
    www = tmp_path / "www"
    www.mkdir()
    (www / "ratings.tsv.gz").write_bytes(gzip.compress(FIXTURE, mtime=0))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))

    class Quiet(handler.func):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
        Quiet, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", www
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def entry(server):
    url, www = server
    digest = hashlib.sha256((www / "ratings.tsv.gz").read_bytes()).hexdigest()
    ds = D.Dataset(name="_fixture", description="test fixture", license="CC0",
                   citation="none", filename="_fixture.tsv.gz",
                   url=f"{url}/ratings.tsv.gz", sha256=digest)
    D.register(ds)
    yield ds
    R.REGISTRY.pop("_fixture", None)
    R.REGISTRY.pop("_fixture_bad", None)


def test_download_verifies_hash_and_caches(entry, tmp_path, capsys):
    cache = tmp_path / "cache"
    path = D.fetch("_fixture", cache=cache, verbose=True)
    assert path == cache / "_fixture.tsv.gz"
    assert gzip.decompress(path.read_bytes()) == FIXTURE
    assert "downloaded" in capsys.readouterr().out
    # the second call uses the cache, with the server gone it would still work
    assert D.fetch("_fixture", cache=cache, download=False, verbose=True) == path
    assert "cached" in capsys.readouterr().out


def test_hash_mismatch_raises_and_leaves_nothing(entry, tmp_path):
    bad = D.Dataset(name="_fixture_bad", description="", license="", citation="",
                    filename="_bad.tsv.gz", url=entry.url, sha256="0" * 64)
    D.register(bad)
    cache = tmp_path / "cache"
    with pytest.raises(D.DatasetError, match="hash"):
        D.fetch("_fixture_bad", cache=cache)
    assert not (cache / "_bad.tsv.gz").exists()
    assert not any(p.is_file() for p in cache.rglob("*")) if cache.exists() else True


def test_corrupt_cached_file_is_refused(entry, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "_fixture.tsv.gz").write_bytes(b"not the file")
    with pytest.raises(D.DatasetError, match="SHA-256"):
        D.fetch("_fixture", cache=cache)


def test_offline_error_names_the_set_and_the_remedy(tmp_path):
    ds = D.Dataset(name="_offline", description="", license="", citation="",
                   filename="_offline.bin", url="http://127.0.0.1:9/none", sha256="1" * 64)
    D.register(ds)
    try:
        with pytest.raises(D.DatasetError, match="_offline.*not available offline"):
            D.fetch("_offline", cache=tmp_path, download=False)
        # a closed port: the download fails with a clear message, not a traceback
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        D.register(D.Dataset(name="_offline", description="", license="", citation="",
                             filename="_offline.bin", url=f"http://127.0.0.1:{port}/x",
                             sha256="1" * 64))
        with pytest.raises(D.DatasetError, match="could not download"):
            D.fetch("_offline", cache=tmp_path)
    finally:
        R.REGISTRY.pop("_offline", None)


def test_registry_errors():
    with pytest.raises(ValueError, match="name must be a registered dataset"):
        D.get_info("no-such-set")
    with pytest.raises(TypeError, match="name"):
        D.get_info(3)
    with pytest.raises(ValueError, match="sha256"):
        D.Dataset(name="x", description="", license="", citation="", url="http://x")
    with pytest.raises(TypeError, match="dataset"):
        D.register("x")
    with pytest.raises(ValueError, match="not a file dataset"):
        D.fetch("camera")


def test_every_entry_has_license_and_citation():
    for ds in D.list_datasets():
        assert ds.license and ds.citation, ds.name
        if ds.source == "download":
            assert ds.url and ds.sha256, ds.name


@pytest.mark.parametrize("name", ["camera", "astronaut", "coffee", "chelsea", "china", "flower"])
def test_load_image_range_and_shape(name):
    img = D.load_image(name)
    assert img.dtype == np.float64 and img.min() >= 0 and img.max() <= 1
    assert img.ndim in (2, 3)
    gray = D.load_image(name, as_gray=True)
    assert gray.ndim == 2 and gray.shape == img.shape[:2]
    assert 0 <= gray.min() and gray.max() <= 1


def test_load_image_bad_name():
    with pytest.raises(ValueError, match="name must be one of"):
        D.load_image("lena")


def test_cache_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SVDLAB_DATA", str(tmp_path))
    assert D.cache_dir() == tmp_path


def test_package_file():
    assert D.package_file("numpy", "__init__.py").name == "__init__.py"
    assert D.package_file("numpy", "no/such/file") is None
    assert D.package_file("no_such_package_xyz", "a") is None


def test_no_network_at_import():
    """Importing svdlab and its datasets must not open a socket.

    Run in a fresh interpreter: deleting svdlab from this process's
    ``sys.modules`` would leave other tests holding stale classes.
    """
    import subprocess
    import sys

    code = (
        "import socket\n"
        "calls = []\n"
        "orig = socket.socket.connect\n"
        "def guard(self, *a, **k):\n"
        "    calls.append(a)\n"
        "    return orig(self, *a, **k)\n"
        "socket.socket.connect = guard\n"
        "import svdlab, svdlab.datasets, svdlab.text\n"
        "assert calls == [], calls\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_repository_data_url_follows_config():
    """Committed data is downloadable from the repository named in _config.yml."""
    import re
    from pathlib import Path

    from svdlab.datasets import _registry

    config = (Path(__file__).parents[1] / "_config.yml").read_text(encoding="utf-8")
    block = re.search(r"^repository:\n((?:[ \t]+.*\n)+)", config, re.M).group(1)
    url = re.search(r"url:\s*(\S+)", block).group(1).strip("\"'").rstrip("/")
    branch = re.search(r"branch:\s*(\S+)", block)
    branch = branch.group(1).strip("\"'") if branch else "main"
    expected = f"{url}/raw/{branch}/data/"
    if "SVDLAB_DATA_URL" not in __import__("os").environ:
        assert _registry.REPOSITORY_DATA_URL == expected
    for ds in _registry.list_datasets():
        if ds.source == "repository":
            assert ds.url == _registry.REPOSITORY_DATA_URL + ds.filename
            assert ds.sha256


def test_load_faces_lfw_subset():
    from svdlab.datasets import load_faces

    f = load_faces()
    assert f.images.shape == (200, 25, 25) and f.data.shape == (200, 625)
    assert f.images.min() >= 0.0 and f.images.max() <= 1.0
    assert f.target[:100].all() and not f.target[100:].any()
    with pytest.raises(ValueError, match="name"):
        load_faces("yale")


def test_load_faces_olivetti_offline_says_how(monkeypatch, tmp_path):
    from svdlab.datasets import DatasetError, load_faces

    monkeypatch.setenv("SVDLAB_DATA", str(tmp_path))
    with pytest.raises(DatasetError, match="download=True"):
        load_faces("olivetti", download=False)
