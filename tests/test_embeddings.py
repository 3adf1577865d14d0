"""Tests of svdlab.text._embeddings (chapter 7)."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from svdlab.text import (
    SVDEmbedding,
    WordVectors,
    bootstrap_scores,
    build_vocab,
    cooccurrence,
    ppmi,
    tokenize,
)

DOCS = [["a", "b", "c", "a", "x", "b"], ["c", "a"], ["b"], ["a", "b", "a", "c", "c"]]


def naive_cooccurrence(docs, vocab, window, weight):
    n = len(vocab)
    C = np.zeros((n, n))
    for d in docs:
        ids = [vocab.index[t] for t in d if t in vocab]
        for i in range(len(ids)):
            for j in range(i + 1, min(i + window + 1, len(ids))):
                C[ids[i], ids[j]] += weight(j - i)
                C[ids[j], ids[i]] += weight(j - i)
    return C


@pytest.mark.parametrize("window", [1, 2, 3, 10])
@pytest.mark.parametrize("weighting, weight", [
    ("harmonic", lambda d: 1 / d), ("uniform", lambda d: 1.0), ("linear", None)])
def test_cooccurrence_equals_naive_count(window, weighting, weight):
    vocab = build_vocab(DOCS, min_count=2)
    assert "x" not in vocab
    if weight is None:
        def weight(d):
            return (window - d + 1) / window
    C = cooccurrence(DOCS, vocab, window=window, weighting=weighting)
    assert sp.issparse(C) and C.shape == (len(vocab), len(vocab))
    np.testing.assert_allclose(C.toarray(), naive_cooccurrence(DOCS, vocab, window, weight))


def test_cooccurrence_random_corpus_against_naive():
    rng = np.random.default_rng(0)
    docs = [list(rng.choice(list("abcdefghij"), size=rng.integers(1, 40))) for _ in range(20)]
    vocab = build_vocab(docs)
    C = cooccurrence(docs, vocab, window=4)
    np.testing.assert_allclose(C.toarray(), naive_cooccurrence(docs, vocab, 4, lambda d: 1 / d))
    np.testing.assert_allclose(C.toarray(), C.toarray().T)


def dense_ppmi(C, alpha, shift):
    C = np.asarray(C, float)
    pw = C.sum(1) / C.sum()
    pc = C.sum(0) ** alpha
    pc = pc / pc.sum()
    with np.errstate(divide="ignore"):
        pmi = np.log(C / C.sum()) - np.log(pw)[:, None] - np.log(pc)[None, :] - np.log(shift)
    return np.maximum(np.nan_to_num(pmi, neginf=0.0), 0.0)


@pytest.mark.parametrize("alpha, shift", [(1.0, 1.0), (0.75, 1.0), (0.5, 5.0)])
def test_ppmi_against_dense_reference(alpha, shift):
    rng = np.random.default_rng(1)
    C = rng.poisson(1.0, size=(12, 9)).astype(float)
    P = ppmi(sp.csr_array(C), alpha=alpha, shift=shift)
    assert sp.issparse(P)
    np.testing.assert_allclose(P.toarray(), dense_ppmi(C, alpha, shift), atol=1e-12)
    np.testing.assert_allclose(ppmi(C, alpha, shift).toarray(), P.toarray())
    assert P.nnz <= np.count_nonzero(C)


def test_ppmi_bad_inputs():
    with pytest.raises(ValueError, match="non-negative"):
        ppmi(np.array([[1.0, -1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="finite"):
        ppmi(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="alpha"):
        ppmi(np.eye(2), alpha=0.0)
    with pytest.raises(ValueError, match="shift"):
        ppmi(np.eye(2), shift=0.5)
    with pytest.raises(ValueError, match="positive count"):
        ppmi(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="must hold numbers"):
        ppmi(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="2-D"):
        ppmi(np.ones(3))


def test_tokenize_and_vocab():
    assert tokenize("It's 1790, the NATION's year!") == ["it's", "the", "nation's", "year"]
    with pytest.raises(TypeError, match="text"):
        tokenize(3)
    v = build_vocab(["b", "a", "b", "c", "a", "b"], max_size=2)
    assert v.words == ("b", "a") and v.counts.tolist() == [3, 2]
    np.testing.assert_array_equal(v.ids(["a", "z", "b"]), [1, -1, 0])
    with pytest.raises(ValueError, match="min_count"):
        build_vocab(["a"], min_count=2)
    with pytest.raises(ValueError, match="min_count"):
        build_vocab(["a"], min_count=0)
    with pytest.raises(TypeError, match="max_size"):
        build_vocab(["a"], max_size=1.5)
    with pytest.raises(ValueError, match="tokens must not be empty"):
        build_vocab([])
    with pytest.raises(TypeError, match="token lists"):
        build_vocab("abc")
    with pytest.raises(TypeError, match="strings"):
        build_vocab([["a", 1]])


def test_cooccurrence_bad_inputs():
    v = build_vocab(DOCS)
    with pytest.raises(TypeError, match="vocab"):
        cooccurrence(DOCS, {"a": 0})
    with pytest.raises(ValueError, match="window"):
        cooccurrence(DOCS, v, window=0)
    with pytest.raises(ValueError, match="weighting"):
        cooccurrence(DOCS, v, weighting="gaussian")
    with pytest.raises(TypeError, match="dtype"):
        cooccurrence(DOCS, v, dtype=np.int64)


def test_svd_embedding_single_precision_default():
    """float32 (the default) agrees with the exact SVD to single precision."""
    X = sp.random_array((60, 40), density=0.3, random_state=3, format="csr")
    U, s, Vt = np.linalg.svd(X.toarray(), full_matrices=False)
    e = SVDEmbedding(dim=5, eig_weight=0.5, n_iter=20, random_state=0).fit(X)
    assert e.embedding_.dtype == np.float32
    np.testing.assert_allclose(e.singular_values_, s[:5], rtol=1e-5)
    ref = (U[:, :5] * s[:5] ** 0.5) @ (U[:, :5] * s[:5] ** 0.5).T
    np.testing.assert_allclose(e.embedding_ @ e.embedding_.T, ref, atol=1e-4)
    with pytest.raises(ValueError, match="dtype"):
        SVDEmbedding(dim=2, dtype="float16").fit(X)


def test_svd_embedding_matches_scipy_and_eig_weight():
    rng = np.random.default_rng(2)
    X = sp.random_array((60, 40), density=0.3, random_state=3, format="csr")
    U, s, Vt = np.linalg.svd(X.toarray(), full_matrices=False)
    for algorithm in ("randomized", "arpack"):
        for p in (0.0, 0.5, 1.0):
            e = SVDEmbedding(dim=5, eig_weight=p, algorithm=algorithm, n_iter=20,
                             dtype="float64", random_state=rng).fit(X)
            np.testing.assert_allclose(e.singular_values_, s[:5], rtol=1e-6)
            # same subspace and scaling: W W^T = U_5 S^(2p) U_5^T
            ref = (U[:, :5] * s[:5] ** p) @ (U[:, :5] * s[:5] ** p).T
            np.testing.assert_allclose(e.embedding_ @ e.embedding_.T, ref, atol=1e-6)
            np.testing.assert_allclose(e.transform(X), e.embedding_, atol=1e-6)


def test_svd_embedding_bad_inputs():
    X = np.random.default_rng(0).random((10, 8))
    with pytest.raises(ValueError, match="dim"):
        SVDEmbedding(dim=9).fit(X)
    with pytest.raises(ValueError, match="eig_weight"):
        SVDEmbedding(dim=2, eig_weight=1.5).fit(X)
    with pytest.raises(ValueError, match="algorithm"):
        SVDEmbedding(dim=2, algorithm="lanczos").fit(X)
    with pytest.raises(ValueError, match="square"):
        SVDEmbedding(dim=2, add_context=True).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        SVDEmbedding(dim=2).fit(np.full((4, 4), np.nan))
    with pytest.raises(ValueError, match="one entry per row"):
        SVDEmbedding(dim=2).fit(X, words=["a"])


@parametrize_with_checks([SVDEmbedding(dim=1, random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture
def toy_wv():
    words = ["king", "queen", "man", "woman", "apple", "pear"]
    V = np.array([[1, 1, 0], [1, -1, 0], [0, 1, 0.1], [0, -1, 0.1], [0, 0, 1], [0.1, 0, 1]],
                 dtype=float)
    return WordVectors(V, words)


def test_most_similar_is_cosine_ranking(toy_wv):
    top = toy_wv.most_similar("apple", 2)
    assert top[0][0] == "pear"
    cos = toy_wv.unit @ toy_wv.unit[toy_wv.index["apple"]]
    assert top[0][1] == pytest.approx(np.sort(cos)[-2], abs=1e-4)
    assert toy_wv.most_similar(np.array([0, 0, 1.0]), 1)[0][0] == "apple"
    with pytest.raises(KeyError, match="not in the vocabulary"):
        toy_wv.most_similar("banana")
    with pytest.raises(ValueError, match="n must be"):
        toy_wv.most_similar("king", 0)
    with pytest.raises(ValueError, match="length 3"):
        toy_wv.most_similar(np.ones(2))


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogy_and_evaluation(toy_wv, method):
    assert toy_wv.analogy("man", "king", "woman", method=method)[0][0] == "queen"
    res = toy_wv.evaluate_analogies({"royal": [("man", "king", "woman", "queen"),
                                               ("man", "king", "girl", "queen")]}, method=method)
    assert res.accuracy == 1.0 and res.n_found == 1 and res.coverage == 0.5
    assert res.by_section["royal"] == (1.0, 1)
    with pytest.raises(ValueError, match="method"):
        toy_wv.analogy("man", "king", "woman", method="pairdirection")
    with pytest.raises(ValueError, match="questions must not be empty"):
        toy_wv.evaluate_analogies([])


def test_evaluate_similarity_against_scipy(toy_wv):
    from scipy.stats import spearmanr

    pairs = [("king", "queen"), ("apple", "pear"), ("man", "apple"), ("king", "zebra"),
             ("woman", "queen")]
    scores = np.array([6.0, 9.0, 1.0, 3.0, 7.0])
    r = toy_wv.evaluate_similarity(pairs, scores)
    assert r.n_found == 4 and r.coverage == 0.8
    ok = [0, 1, 2, 4]
    cos = [toy_wv.similarity(*pairs[i]) for i in ok]
    assert r.rho == pytest.approx(spearmanr(cos, scores[ok]).statistic)
    with pytest.raises(ValueError, match="same length"):
        toy_wv.evaluate_similarity(pairs, scores[:2])
    with pytest.raises(ValueError, match="finite"):
        toy_wv.evaluate_similarity(pairs, [np.nan] * 5)


def test_word_vectors_bad_inputs():
    with pytest.raises(ValueError, match="unique"):
        WordVectors(np.eye(2), ["a", "a"])
    with pytest.raises(TypeError, match="strings"):
        WordVectors(np.eye(2), ["a", 2])
    with pytest.raises(ValueError, match="2-D"):
        WordVectors(np.ones(3), ["a", "b", "c"])


def test_end_to_end_small_corpus():
    from svdlab.datasets import load_sotu

    docs = [tokenize(t) for t in load_sotu().texts[-20:]]
    vocab = build_vocab(docs, min_count=5)
    P = ppmi(cooccurrence(docs, vocab, window=4))
    wv = SVDEmbedding(dim=50, random_state=0).fit(P, words=vocab.words).wv_
    near = [w for w, _ in wv.most_similar("tax", 15)]
    assert {"taxes", "cuts", "cut", "relief", "income"} & set(near)


def test_default_embedding_is_converged_on_a_flat_spectrum():
    """Defect (issue 17): the default solver was a randomized SVD with the adaptive pass
    rule, which stops early on a slowly decaying spectrum like PPMI's (sigma_k several per
    cent low). The default is now ARPACK run to machine precision."""
    rng = np.random.default_rng(5)
    # singular values 1/sqrt(i): a gap of only ~1 % between sigma_20 and sigma_21
    n = 300
    Q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
    Q2, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = 1 / np.sqrt(np.arange(1, n + 1))
    X = (Q1 * s) @ Q2.T
    e = SVDEmbedding(dim=20, dtype="float64", random_state=0).fit(X)
    # backward-stable Lanczos: singular values to a few eps * sigma_1 * n
    tol = 10 * n * np.finfo(float).eps * s[0]
    np.testing.assert_allclose(e.singular_values_, s[:20], rtol=0, atol=tol)
    # and the subspace: all principal cosines with the exact top-20 left space are 1
    # (sin of the angle <= residual / gap; the gap sigma_20 - sigma_21 is ~2.7e-3)
    cos = np.linalg.svd(Q1[:, :20].T @ (e.embedding_ / s[:20] ** 0.5), compute_uv=False)
    assert cos.min() > 1 - 1e-8


def test_pair_cosines_and_analogy_hits_match_evaluators(toy_wv):
    pairs = [("king", "queen"), ("apple", "pear"), ("man", "zebra"), ("woman", "queen")]
    cos = toy_wv.pair_cosines(pairs)
    assert np.isnan(cos[2])
    np.testing.assert_allclose(cos[[0, 1, 3]], [toy_wv.similarity(*pairs[i]) for i in (0, 1, 3)],
                               rtol=1e-12)
    qs = {"a": [("man", "king", "woman", "queen"), ("king", "man", "queen", "woman")],
          "b": [("man", "king", "girl", "queen"), ("apple", "pear", "man", "king")]}
    for method in ("3cosadd", "3cosmul"):
        hits = toy_wv.analogy_hits(qs, method=method, batch_size=1)
        assert np.isnan(hits[2]) and not np.isnan(hits[[0, 1, 3]]).any()
        res = toy_wv.evaluate_analogies(qs, method=method)
        assert np.nanmean(hits) == pytest.approx(res.accuracy)
    with pytest.raises(TypeError, match="pairs"):
        toy_wv.pair_cosines(["king"])
    with pytest.raises(TypeError, match="questions"):
        toy_wv.analogy_hits([("a", "b")])
    with pytest.raises(ValueError, match="questions must not be empty"):
        toy_wv.analogy_hits([])
    with pytest.raises(ValueError, match="method"):
        toy_wv.analogy_hits(qs, method="cos")


def test_bootstrap_scores_estimates_match_scipy():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(7)
    human = rng.random(150)
    a = human + 0.3 * rng.standard_normal(150)
    b = human + 0.6 * rng.standard_normal(150)
    b[:10] = np.nan                                  # model b misses ten items
    res = bootstrap_scores({"a": a, "b": b}, human, n_boot=500, random_state=0)
    assert res.n_items == 140 and res.coverage == pytest.approx(140 / 150)
    assert res.estimate["a"] == pytest.approx(spearmanr(a[10:], human[10:]).statistic)
    assert res.estimate["b"] == pytest.approx(spearmanr(b[10:], human[10:]).statistic)
    # every resample's rho equals SciPy's on the same items (ties included)
    from svdlab.text._embeddings import _spearman_rows

    x = rng.integers(0, 5, size=(4, 30)).astype(float)
    y = rng.integers(0, 5, size=(4, 30)).astype(float)
    np.testing.assert_allclose(_spearman_rows(x, y),
                               [spearmanr(x[i], y[i]).statistic for i in range(4)], rtol=1e-12)
    for nm in ("a", "b"):
        lo, hi = res.ci[nm]
        assert lo < res.estimate[nm] < hi
    est, lo, hi = res.diff("a", "a")
    assert est == lo == hi == 0
    est, lo, hi = res.diff("a", "b")
    assert est == pytest.approx(res.estimate["a"] - res.estimate["b"]) and lo < est < hi


def test_bootstrap_mean_interval_against_scipy():
    """For an accuracy (no scores) the interval is the percentile bootstrap of the mean;
    SciPy's agrees within the Monte Carlo error of the quantiles (a few 1e-3 here)."""
    from scipy.stats import bootstrap

    rng = np.random.default_rng(8)
    hits = (rng.random(400) < 0.3).astype(float)
    res = bootstrap_scores({"m": hits}, n_boot=4000, random_state=1)
    ref = bootstrap((hits,), np.mean, n_resamples=4000, method="percentile", random_state=2)
    assert res.estimate["m"] == pytest.approx(hits.mean())
    np.testing.assert_allclose(res.ci["m"], [ref.confidence_interval.low,
                                             ref.confidence_interval.high], rtol=0, atol=0.01)


def test_bootstrap_covers_the_truth_at_its_level():
    """Over repeated draws of the items, the 90 % interval of an accuracy covers the
    true rate about 90 % of the time (binomial spread over 200 trials: +-4.5 %)."""
    rng = np.random.default_rng(9)
    covered = 0
    for t in range(200):
        hits = (rng.random(300) < 0.4).astype(float)
        lo, hi = bootstrap_scores({"m": hits}, n_boot=400, level=0.9, random_state=t).ci["m"]
        covered += lo <= 0.4 <= hi
    assert 0.8 <= covered / 200 <= 0.97


def test_bootstrap_bad_inputs():
    x = np.arange(5.0)
    with pytest.raises(TypeError, match="values must be a dict"):
        bootstrap_scores([x])
    with pytest.raises(ValueError, match="values must not be empty"):
        bootstrap_scores({})
    with pytest.raises(ValueError, match="same length"):
        bootstrap_scores({"a": x, "b": x[:3]})
    with pytest.raises(ValueError, match="scores"):
        bootstrap_scores({"a": x}, np.arange(4.0))
    with pytest.raises(ValueError, match="level"):
        bootstrap_scores({"a": x}, level=1.0)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_scores({"a": x}, n_boot=0)
    with pytest.raises(ValueError, match="at least 3 items"):
        bootstrap_scores({"a": np.array([1.0, np.nan, np.nan, 2.0])})
    res = bootstrap_scores({"a": x}, random_state=0)
    with pytest.raises(KeyError, match="not one of the models"):
        res.diff("a", "c")
