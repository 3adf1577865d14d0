"""NPMI topic coherence (svdlab.text) against a direct double loop over term pairs."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from svdlab.text import npmi_coherence, top_terms


def _npmi_loop(topic, B):
    n = B.shape[0]
    vals = []
    for i, j in itertools.combinations(topic, 2):
        pij = np.sum(B[:, i] & B[:, j]) / n
        pi, pj = B[:, i].mean(), B[:, j].mean()
        if pij == 0:
            vals.append(-1.0)
        elif pij == 1:
            vals.append(1.0)
        else:
            vals.append(np.log(pij / (pi * pj)) / -np.log(pij))
    return np.mean(vals)


@pytest.mark.parametrize("sparse", [False, True])
def test_npmi_matches_the_definition(sparse):
    rng = np.random.default_rng(0)
    counts = rng.poisson(0.4, size=(60, 25))
    counts[:, 3] = 0
    counts[:30, 3] = 1                      # term 3 never meets term 4
    counts[:, 4] = 0
    counts[30:, 4] = 2
    counts[:, 5] = 1                        # term 5 occurs everywhere
    B = counts > 0
    topics = np.array([[0, 1, 2, 6], [3, 4, 7, 8], [5, 9, 10, 11]])
    X = sp.csr_matrix(counts) if sparse else counts
    got, M = npmi_coherence(topics, X, return_matrix=True)
    want = [_npmi_loop(t, B) for t in topics]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert M.shape == (3, 4, 4) and np.all(np.diagonal(M, axis1=1, axis2=2) == 1)
    assert M[1, 0, 1] == -1.0                              # never together
    np.testing.assert_allclose(M, np.transpose(M, (0, 2, 1)))


@pytest.mark.parametrize("sparse", [False, True])
def test_sample_weights_are_repeated_documents(sparse):
    rng = np.random.default_rng(1)
    counts = rng.poisson(0.5, size=(40, 12))
    idx = rng.integers(0, 40, size=40)                 # a bootstrap resample
    weights = np.bincount(idx, minlength=40)
    topics = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    X = sp.csr_matrix(counts) if sparse else counts
    np.testing.assert_allclose(npmi_coherence(topics, X, sample_weight=weights),
                               npmi_coherence(topics, counts[idx]), rtol=1e-12)
    many = np.array([weights, np.ones(40), np.arange(40.0)])
    got = npmi_coherence(topics, X, sample_weight=many)
    assert got.shape == (3, 3)
    for row, w in zip(got, many, strict=True):
        np.testing.assert_allclose(row, npmi_coherence(topics, X, sample_weight=w), rtol=1e-12)


def test_npmi_extremes_and_independence():
    X = np.zeros((100, 4))
    X[:50, 0] = X[:50, 1] = 1                 # always together
    X[::2, 2] = 1                             # independent of the block structure
    X[:, 3] = 1
    X[0, 3] = 0
    c = npmi_coherence([[0, 1], [0, 2]], X)
    assert c[0] == pytest.approx(1.0, abs=1e-12)
    assert abs(c[1]) < 1e-12                  # p(0, 2) = 1/4 = p(0) p(2)


def test_top_terms_and_errors():
    C = np.array([[0.1, 0.5, 0.3, 0.0], [0.9, 0.0, 0.2, 0.4]])
    np.testing.assert_array_equal(top_terms(C, 3), [[1, 2, 0], [0, 3, 2]])
    X = np.eye(4)
    with pytest.raises(ValueError, match="repeat"):
        npmi_coherence([[0, 0]], X)
    with pytest.raises(ValueError, match="columns 0..3"):
        npmi_coherence([[0, 9]], X)
    with pytest.raises(ValueError, match=">= 2 terms"):
        npmi_coherence([[0]], X)
    # a term in no document co-occurs with nothing
    assert npmi_coherence([[0, 1]], np.array([[1.0, 0.0], [1.0, 0.0]]))[0] == -1.0
    with pytest.raises(ValueError, match="sample_weight"):
        npmi_coherence([[0, 1]], X, sample_weight=[1, 1, -1, 1])
    with pytest.raises(ValueError, match="sample_weight"):
        npmi_coherence([[0, 1]], X, sample_weight=[1, 1])
    with pytest.raises(ValueError, match="n_terms"):
        top_terms(C, 5)
