"""One sign convention for every singular vector svdlab returns (issue 12).

`svdlab.linalg.sign_flip` is scikit-learn's rule since 1.5: in each row of ``Vt``
(``components_``) the entry of largest magnitude is positive. Every public function
and estimator of the package that returns singular vectors, or factors made of them,
is run here on one matrix, and its right vectors are checked twice:

* the convention itself (the largest-magnitude entry of each row is positive), and
* agreement, entry by entry, with scikit-learn's ``TruncatedSVD`` (ARPACK, converged
  to machine precision) or ``PCA`` (full LAPACK SVD) on the same data.

The matrix is nonnegative (LSA takes counts), of exact rank 6 with relative gaps
of at least 10 % between its singular values: its top-6 singular subspaces are then
determined to about ``eps sigma_1 / gap`` (Wedin), and every method, randomized or
not, must find them. Each method is held to the accuracy it documents:

* direct methods (LAPACK, ARPACK with ``tol=0``, Jacobi, TSQR, exact-rank range
  finders with a stable QR): ``C max(m, n) eps sigma_1 / gap``;
* the Gram-matrix route (``svd_via_eig``, and the short-side scheme of
  ``randomized_svd``, which orthonormalizes through a Cholesky factor while that
  loses at most ``sqrt(eps)``, see svdlab.randomized): the eigenvector bound
  ``eps sigma_1^2 / (sigma_j^2 - sigma_{j+1}^2)``, resp. ``sqrt(eps) sigma_1 / gap``;
* ``power_iteration``: its residual ``tol sigma_j + max(m, n) eps sigma_1`` over the gap.

Where a method returns left vectors too, ``A v_j = s_j u_j`` is checked, so a sign
flipped on one side only is caught. Learned factor models (ALS, FunkSVD, SVD++,
Bayesian MF) have no singular vectors; ``svdlab.image`` returns reconstructions, never
factors.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import PCA, TruncatedSVD

from svdlab import compress, factorizations, latent, linalg, randomized, recsys, text
from svdlab.datasets import make_ratings

EPS = np.finfo(np.float64).eps
M, N, RANK = 80, 30, 6


def _data():
    g = np.random.default_rng(12)
    W = g.random((M, RANK))
    H = g.random((RANK, N)) * (0.6 ** np.arange(RANK))[:, None]  # spread the spectrum
    return W @ H


X = _data()


def _gap(s, k):
    """Smallest distance between s_1..s_k and their neighbours (s_{k+1} included)."""
    s = np.append(s, 0.0)
    return float(np.min(np.abs(np.diff(s[: k + 1]))))


def _reference(kind, A, k):
    if kind == "pca":
        return PCA(n_components=k, svd_solver="full").fit(A).components_
    return TruncatedSVD(n_components=k, algorithm="arpack", random_state=0).fit(A).components_


# Each case returns the components (k x n), the matching U * s (or None when the method
# keeps no left vectors) and the kind of accuracy bound it is held to.
def _svd(A):
    U, s, Vt = linalg.svd(A)
    return Vt[:RANK], (U * s)[:, :RANK], "direct"


def _svd_via_eig(A):
    U, s, Vt = linalg.svd_via_eig(A)
    return Vt[:RANK], (U * s)[:, :RANK], "gram"


def _power(A):
    U, s, Vt = factorizations.power_iteration(A, RANK, random_state=0)
    return Vt, U * s, "power"


def _jacobi(A):
    U, s, Vt = factorizations.jacobi_svd(A)
    return Vt[:RANK], (U * s)[:, :RANK], "direct"


def _randomized_svd(A):
    U, s, Vt = randomized.randomized_svd(A, RANK, random_state=0)
    return Vt, U * s, "short side"


def _randomized_svd_sparse(A):
    U, s, Vt = randomized.randomized_svd(sp.csr_array(A), RANK, random_state=1)
    return Vt, U * s, "short side"


def _block_krylov(A):
    U, s, Vt = randomized.block_krylov_svd(A, RANK, n_iter=2, random_state=0)
    return Vt, U * s, "direct"


def _dask_exact(A):
    U, s, Vt = randomized.dask_svd(A)
    return Vt[:RANK], (U * s)[:, :RANK], "direct"


def _dask_randomized(A):
    U, s, Vt = randomized.dask_svd(A, RANK, random_state=0)
    return Vt, U * s, "short side"


def _randomized_estimator(A):
    est = randomized.RandomizedSVD(n_components=RANK, random_state=0)
    Z = est.fit_transform(A)  # U * s: the columns scikit-learn's fit_transform returns
    return est.components_, Z, "short side"


def _incremental(A):
    est = randomized.IncrementalSVD(n_components=RANK, batch_size=25).fit(A)
    return est.components_, None, "direct"


def _lsa(A):
    est = text.LSA(n_components=RANK, weighting="none").fit(A)
    return est.components_, est.embedding_, "direct"


def _embedding_arpack(A):
    est = text.SVDEmbedding(dim=RANK, eig_weight=1.0, algorithm="arpack", dtype="float64",
                            random_state=0).fit(A)
    return est.components_, est.embedding_, "direct"


def _embedding_randomized(A):
    est = text.SVDEmbedding(dim=RANK, eig_weight=1.0, dtype="float64", random_state=0).fit(A)
    return est.components_, est.embedding_, "short side"


def _factorize_dense(A):
    Wl, Wr = compress.factorize_dense(A, rank=RANK, on_no_saving="ignore")
    norms = np.linalg.norm(Wr, axis=1)  # rows sqrt(s_j) v_j^T: positive scaling of v_j
    return Wr / norms[:, None], Wl * norms, "direct"


def _factorize_conv(A):
    K = A.reshape(M, 2, 3, 5)  # c_out x (c_in, kh, kw), flattened back to A's rows
    K1, K2 = compress.factorize_conv(K, rank=RANK, on_no_saving="ignore")
    B = K1.reshape(RANK, -1)
    norms = np.linalg.norm(B, axis=1)
    return B / norms[:, None], K2.reshape(M, RANK) * norms, "direct"


def _latent_analysis(A):
    return latent.latent_analysis(A, RANK).directions, None, "direct"


def _linear_generative_model(A):
    return latent.LinearGenerativeModel(n_components=RANK).fit(A).components_, None, "direct"


CASES = {
    "linalg.svd": (_svd, "tsvd"),
    "linalg.svd_via_eig": (_svd_via_eig, "tsvd"),
    "factorizations.power_iteration": (_power, "tsvd"),
    "factorizations.jacobi_svd": (_jacobi, "tsvd"),
    "randomized.randomized_svd": (_randomized_svd, "tsvd"),
    "randomized.randomized_svd (sparse)": (_randomized_svd_sparse, "tsvd"),
    "randomized.block_krylov_svd": (_block_krylov, "tsvd"),
    "randomized.dask_svd (exact)": (_dask_exact, "tsvd"),
    "randomized.dask_svd (randomized)": (_dask_randomized, "tsvd"),
    "randomized.RandomizedSVD": (_randomized_estimator, "tsvd"),
    "randomized.IncrementalSVD": (_incremental, "tsvd"),
    "text.LSA": (_lsa, "tsvd"),
    "text.SVDEmbedding (arpack)": (_embedding_arpack, "tsvd"),
    "text.SVDEmbedding (randomized)": (_embedding_randomized, "tsvd"),
    "compress.factorize_dense": (_factorize_dense, "tsvd"),
    "compress.factorize_conv": (_factorize_conv, "tsvd"),
    "latent.latent_analysis": (_latent_analysis, "pca"),
    "latent.LinearGenerativeModel": (_linear_generative_model, "pca"),
}


def _bound(kind, s, k, shape):
    """How far the computed right vectors may be from the exact ones (see the docstring)."""
    gap = _gap(s, k)
    direct = 10 * max(shape) * EPS * s[0] / gap
    if kind == "direct":
        return direct
    if kind == "gram":
        s2 = np.append(s, 0.0) ** 2
        return 10 * max(shape) * EPS * s2[0] / np.min(-np.diff(s2[: k + 1]))
    if kind == "power":
        return 2 * (1e-10 * s[0] + max(shape) * EPS * s[0]) / gap + direct
    if kind == "short side":
        return np.sqrt(EPS) * s[0] / gap + direct
    raise ValueError(kind)


def _check(C, US, A, ref, kind):
    k = C.shape[0]
    idx = np.argmax(np.abs(C), axis=1)
    assert np.all(C[np.arange(k), idx] > 0), "largest-magnitude entry of a row negative"
    Ac = A - A.mean(axis=0) if ref == "pca" else A
    s = np.linalg.svd(Ac, compute_uv=False)
    assert _gap(s, k) > 0.1 * s[k - 1]  # the subspaces are well determined
    bound = _bound(kind, s, k, A.shape)
    C_ref = _reference(ref, A, k)
    assert np.max(np.abs(C - C_ref)) <= bound, (np.max(np.abs(C - C_ref)), bound)
    if US is not None:  # the left side was flipped with the right: A v_j = s_j u_j
        assert np.max(np.abs(Ac @ C.T - US)) <= bound * s[0]


@pytest.mark.parametrize("name", list(CASES))
def test_components_follow_scikit_learn_convention(name):
    func, ref = CASES[name]
    C, US, kind = func(X)
    _check(C, US, X, ref, kind)


@pytest.mark.parametrize("model", [recsys.ImputedSVD(n_factors=4),
                                   recsys.SoftImpute(shrinkage=2.0, max_rank=4)],
                         ids=["recsys.ImputedSVD", "recsys.SoftImpute"])
def test_recommender_factors_follow_scikit_learn_convention(model):
    # item_factors_ holds right singular vectors as columns, user_factors_ = U s: the
    # factorization of their product, whatever ratings it came from
    r = make_ratings(60, 40, random_state=0)
    model.fit(r.X, r.y)
    C, US = model.item_factors_.T, model.user_factors_
    P = US @ C
    assert np.all(np.diff(np.linalg.norm(US, axis=0)) <= 0)  # factors ordered like s
    _check(C, US, P, "tsvd", "direct")
