"""Tests of the text corpora and word benchmarks (svdlab.datasets._corpora)."""

import gzip
import json

import numpy as np
import pytest

import svdlab.datasets as D


def test_sotu_shape_and_metadata():
    sotu = D.load_sotu()
    assert len(sotu) == 233
    assert sotu.year.dtype == np.int64 and np.all(np.diff(sotu.year) >= 0)
    assert len(sotu.president) == len(sotu.party) == len(sotu.texts) == 233
    assert set(sotu.party) >= {"Republican", "Democratic", "Whig", "Federalist", "none"}
    n_words = sum(len(t.split()) for t in sotu.texts)
    assert 1_700_000 < n_words < 1_900_000
    assert sotu.texts[0].startswith("Fellow-Citizens of the Senate")


def test_sotu_is_registered_with_hash_and_verified(tmp_path, monkeypatch):
    info = D.get_info("sotu")
    assert info.source == "repository" and len(info.sha256) == 64
    assert D.sha256(D.fetch("sotu")) == info.sha256
    # a corrupt copy in the cache is refused when no checkout copy is found
    monkeypatch.setattr("svdlab.datasets._registry.data_dir", lambda: None)
    bad = tmp_path / info.filename
    with gzip.open(bad, "wt") as f:
        f.write(json.dumps({"year": 1, "president": "x", "party": "y", "text": "z"}) + "\n")
    with pytest.raises(D.DatasetError, match="SHA-256"):
        D.fetch("sotu", cache=tmp_path, download=False)


def test_sotu_offline_error(tmp_path, monkeypatch):
    monkeypatch.setattr("svdlab.datasets._registry.data_dir", lambda: None)
    with pytest.raises(D.DatasetError, match="sotu is not available offline"):
        D.fetch("sotu", cache=tmp_path, download=False)


@pytest.mark.parametrize("name, n", [("wordsim353", 353), ("simlex999", 999)])
def test_word_similarity(name, n):
    pairs, scores = D.load_word_similarity(name)
    assert len(pairs) == n == scores.shape[0]
    assert np.all((scores >= 0) & (scores <= 10))
    assert all(a == a.lower() and b == b.lower() for a, b in pairs)


def test_word_similarity_bad_name():
    with pytest.raises(ValueError, match="name must be"):
        D.load_word_similarity("men")


def test_analogy_questions():
    q = D.load_analogy_questions()
    assert sum(map(len, q.values())) == 19544
    assert all(len(t) == 4 for sec in q.values() for t in sec)
    assert ("athens", "greece", "baghdad", "iraq") in q["capital-common-countries"]


def test_missing_gensim_gives_clear_error(monkeypatch):
    monkeypatch.setattr("svdlab.datasets._corpora.package_file", lambda *a: None)
    with pytest.raises(D.DatasetError, match="install gensim"):
        D.load_word_similarity("simlex999")


def test_brown():
    brown = D.load_brown()
    assert len(brown) == 500 == len(set(brown.fileid))
    assert len(set(brown.category)) == 15
    assert "/" not in brown.texts[0].split("\n")[0].split()[0]
    assert D.sha256(D.fetch("brown")) == D.get_info("brown").sha256


@pytest.mark.parametrize("name, loader", [("sotu", D.load_sotu), ("brown", D.load_brown)])
def test_corpus_downloads_from_svdlab_data_url_without_a_checkout(name, loader, tmp_path,
                                                                  monkeypatch):
    """The Colab path: no data/ folder, no cache; SVDLAB_DATA_URL serves the repository copy."""
    import functools
    import http.server
    import threading

    src = D.fetch(name)  # the checkout's copy, served as the repository would
    www = tmp_path / "www"
    www.mkdir()
    (www / src.name).write_bytes(src.read_bytes())
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args):
            requests.append(self.path)

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr("svdlab.datasets._registry.data_dir", lambda: None)
        monkeypatch.setenv("SVDLAB_DATA_URL", f"http://127.0.0.1:{httpd.server_address[1]}/")
        cache = tmp_path / "cache"
        corpus = loader(cache=cache)
        assert requests == [f"/{src.name}"], requests
        assert (cache / src.name).is_file() and len(corpus) > 200
        # offline afterwards: the verified cached copy is used, no second request
        assert len(loader(cache=cache, download=False)) == len(corpus)
        assert len(requests) == 1
        with pytest.raises(D.DatasetError, match="not available offline"):
            loader(cache=tmp_path / "empty", download=False)
    finally:
        httpd.shutdown()
        httpd.server_close()
