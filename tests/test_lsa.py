"""Tests for TF-IDF, log-entropy and LSA (svdlab.text._lsa)."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer

from svdlab.text import LSA, log_entropy, tfidf

DOCS = ["the cat sat on the mat", "the dog sat on the log", "cats and dogs are pets",
        "stocks fell as markets slid", "markets rallied and stocks rose",
        "the central bank raised rates", "my cat chased the dog", "bond markets and rates"]


@pytest.fixture(scope="module")
def counts():
    cv = CountVectorizer()
    return cv.fit_transform(DOCS), cv.get_feature_names_out()


def test_tfidf_matches_sklearn(counts):
    C, _ = counts
    np.testing.assert_allclose(tfidf(C).toarray(),
                               TfidfTransformer().fit_transform(C).toarray(), atol=1e-12)
    np.testing.assert_allclose(tfidf(C, sublinear=True).toarray(),
                               TfidfTransformer(sublinear_tf=True).fit_transform(C).toarray(),
                               atol=1e-12)
    np.testing.assert_allclose(tfidf(C.toarray()).toarray(), tfidf(C).toarray())


def test_log_entropy_term_normalization():
    C = np.array([[1, 3, 0], [1, 0, 0], [1, 0, 2], [1, 0, 0]])
    W = log_entropy(C).toarray()
    assert np.allclose(W[:, 0], 0)               # even over all documents: weight 0
    np.testing.assert_allclose(W[0, 1], np.log(4))  # in one document: weight 1
    # by hand for term 2 too
    np.testing.assert_allclose(W[2, 2], np.log(3))


def test_lsa_agrees_with_sklearn_up_to_signs(counts):
    C, _ = counts
    ref = TruncatedSVD(n_components=3, algorithm="arpack").fit(
        TfidfVectorizer().fit_transform(DOCS))
    lsa = LSA(n_components=3).fit(C)
    np.testing.assert_allclose(lsa.singular_values_, ref.singular_values_, rtol=1e-8)
    signs = np.sign(np.sum(lsa.components_ * ref.components_, axis=1))
    np.testing.assert_allclose(lsa.components_, ref.components_ * signs[:, None], atol=1e-8)
    Z = TfidfVectorizer().fit(DOCS).transform(DOCS)
    np.testing.assert_allclose(lsa.transform(C), ref.transform(Z) * signs, atol=1e-8)
    np.testing.assert_allclose(lsa.fit_transform(C), lsa.transform(C), atol=1e-8)


def test_lsa_dense_equals_sparse(counts):
    C, _ = counts
    a = LSA(n_components=2, weighting="log_entropy").fit(C)
    b = LSA(n_components=2, weighting="log_entropy").fit(C.toarray())
    np.testing.assert_allclose(a.embedding_, b.embedding_, atol=1e-10)


def test_similarity_and_concepts(counts):
    C, names = counts
    lsa = LSA(n_components=2).fit(C)
    # finance documents are closer to each other than to pet documents
    assert lsa.similarity(3, 4) > lsa.similarity(3, 0)
    idx, sims = lsa.most_similar_documents(3, n=2)
    assert 3 not in idx and np.all(np.diff(sims) <= 0)
    top, bottom = lsa.concepts(names, n_words=3)[0]
    assert len(top) == 3 and set(top) <= set(names)
    assert np.all(np.diff(lsa.energy_ratio_) <= 0)


@pytest.mark.parametrize("bad, exc", [(np.zeros((0, 3)), ValueError),
                                      (np.array([[1.0, np.nan]]), ValueError),
                                      (np.array([[1, -1], [0, 1]]), ValueError),
                                      (np.ones(3), ValueError),
                                      (np.array([["a", "b"]]), TypeError)])
def test_bad_counts(bad, exc):
    with pytest.raises(exc):
        tfidf(bad)


def test_bad_parameters(counts):
    C, names = counts
    with pytest.raises(ValueError, match="weighting"):
        LSA(weighting="bm25").fit(C)
    with pytest.raises(ValueError, match="n_components"):
        LSA(n_components=100).fit(C)
    lsa = LSA(n_components=2).fit(C)
    with pytest.raises(ValueError):
        lsa.transform(sparse.csr_matrix((1, 3)))
    with pytest.raises(ValueError):
        lsa.concepts(names[:3])
    with pytest.raises(ValueError):
        lsa.similarity(0, 99)


@pytest.mark.parametrize("weighting", ["tfidf", "none"])
def test_explained_variance_ratio_means_what_sklearn_means(counts, weighting):
    # TruncatedSVD: variance of each projected column over the total column variance of
    # the (uncentred) input; the ARPACK results agree to ~ eps kappa, far below 1e-10
    C, _ = counts
    lsa = LSA(n_components=3, weighting=weighting).fit(C)
    Z = TfidfTransformer().fit_transform(C) if weighting == "tfidf" else C.astype(float)
    ref = TruncatedSVD(n_components=3, algorithm="arpack").fit(Z)
    np.testing.assert_allclose(lsa.explained_variance_, ref.explained_variance_,
                               rtol=1e-10, atol=0)
    np.testing.assert_allclose(lsa.explained_variance_ratio_, ref.explained_variance_ratio_,
                               rtol=1e-10, atol=0)
    # the other quantity, under its own name: shares of ||W||_F^2
    W = Z.toarray()
    np.testing.assert_allclose(lsa.energy_ratio_, lsa.singular_values_ ** 2 / np.sum(W ** 2),
                               rtol=1e-12)
