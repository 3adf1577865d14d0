"""Tests of svdlab.pca against scikit-learn and against the numerical analysis.

Tolerances. Two LAPACK SVDs of the same matrix are backward stable: each computed
singular value is within ``c max(m, n) eps sigma_1`` of the exact one (Weyl), and a singular
vector within that divided by the gap to its neighbours (Wedin). Forming the covariance
``C = X_c^T X_c / (n - 1)`` adds an error of at most about ``(n + d) eps trace(C)`` to every
entry sum (a dot product of length ``n`` per entry, then a symmetric eigensolver), so an
eigenvalue of ``C`` moves by at most that (Weyl) and an eigenvector by that over the eigenvalue
gap (Davis-Kahan): relative to ``lambda_i = sigma_i^2/(n-1)`` this is ``kappa_i^2 eps``, the
squared condition number. ``c = 10`` covers the constants.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import PCA as SkPCA
from sklearn.decomposition import KernelPCA as SkKernelPCA
from sklearn.utils.estimator_checks import parametrize_with_checks

from svdlab import pca as sp_pca
from svdlab.image import optimal_hard_threshold
from svdlab.latent import LinearGenerativeModel
from svdlab.pca import (
    PCA,
    KernelPCA,
    RobustPCA,
    Whitening,
    centered_operator,
    gavish_donoho_rank,
    minka_log_evidence,
    parallel_analysis,
    pca_cross_validation,
)

C = 10.0


def centred_factors(m, r, rng):
    """Orthonormal columns orthogonal to the ones vector (so centring leaves them alone)."""
    G = rng.standard_normal((m, r))
    G -= G.mean(axis=0)
    return np.linalg.qr(G)[0]


def make_data(m, n, s, seed=0, offset=5.0, dtype=np.float64):
    """``X = U diag(s) V^T + 1 mu^T`` with known singular values ``s`` of the centred data."""
    rng = np.random.default_rng(seed)
    s = np.asarray(s, dtype=np.float64)
    U = centred_factors(m, s.size, rng)
    V = np.linalg.qr(rng.standard_normal((n, s.size)))[0]
    X = (U * s) @ V.T + offset * rng.standard_normal(n)
    return X.astype(dtype), s


def gaps(values):
    """Distance of each value to its nearest neighbour (the isolation of an eigenpair)."""
    v = np.asarray(values, dtype=np.float64)
    d = np.abs(np.diff(v))
    return np.minimum(np.r_[np.inf, d], np.r_[d, np.inf])


CASES = {
    # name: (m, n, singular values)
    "tall": (400, 20, np.logspace(1, -1, 20)),
    "wide": (30, 200, np.logspace(1, 0, 29)),             # centring 30 rows leaves rank 29
    "rank_deficient": (200, 40, np.linspace(10, 3, 8)),   # rank 8 of 40
}


def _compare_exact(a, b, s_ref, dtype, k=None):
    """Attributes of two exact fits: singular values to C max(m,n) eps s_1, vectors / gap."""
    m = a.n_samples_
    eps = np.finfo(dtype).eps
    k = a.n_components_ if k is None else k
    n = a.mean_.shape[0]
    tol_s = C * max(m, n) * eps * s_ref[0]
    np.testing.assert_allclose(a.singular_values_[:k], b.singular_values_[:k], rtol=0,
                               atol=tol_s)
    np.testing.assert_allclose(a.explained_variance_[:k], b.explained_variance_[:k], rtol=0,
                               atol=2 * s_ref[0] * tol_s / (m - 1))
    np.testing.assert_allclose(a.explained_variance_ratio_[:k], b.explained_variance_ratio_[:k],
                               rtol=0, atol=4 * tol_s / s_ref[0])
    g = gaps(s_ref)[:k]
    np.testing.assert_allclose(a.components_[:k], b.components_[:k], rtol=0,
                               atol=float(np.max(2 * tol_s / g)))


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_components", [None, 5, 0.7])
def test_full_solver_agrees_with_sklearn(case, dtype, n_components):
    m, n, s = CASES[case]
    X, s = make_data(m, n, s, dtype=dtype)
    a = PCA(n_components, svd_solver="full").fit(X)
    b = SkPCA(n_components, svd_solver="full").fit(X)
    assert a.n_components_ == b.n_components_
    assert a.components_.dtype == b.components_.dtype == dtype
    rank = int(np.count_nonzero(s > 0))
    _compare_exact(a, b, s, dtype, k=min(a.n_components_, rank))
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(a.mean_, b.mean_, rtol=0, atol=C * eps * np.abs(X).max())
    np.testing.assert_allclose(a.noise_variance_, b.noise_variance_, rtol=0,
                               atol=C * max(m, n) * eps * s[0] ** 2 / (m - 1))
    # the exact singular values of the centred data are known
    np.testing.assert_allclose(a.singular_values_[:rank], s[: min(a.n_components_, rank)][:rank],
                               rtol=0, atol=C * max(m, n) * eps * s[0] * 10)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_covariance_solver_within_the_squared_condition_bound(case, dtype):
    m, n, s = CASES[case]
    X, s = make_data(m, n, s, dtype=dtype)
    eps = np.finfo(dtype).eps
    a = PCA(svd_solver="covariance_eigh").fit(X)
    b = SkPCA(svd_solver="covariance_eigh").fit(X)
    lam = s**2 / (m - 1)
    k = lam.size
    # ours forms the covariance of centred data, sklearn subtracts n mean mean^T from X^T X:
    # the bound for each uses the trace of the matrix it actually forms
    bound_ours = (m + n) * eps * lam.sum()
    X64 = X.astype(np.float64)
    bound_sk = (m + n) * eps * np.sum(X64 * X64) / (m - 1)
    np.testing.assert_allclose(a.explained_variance_[:k], lam, rtol=0, atol=C * bound_ours)
    np.testing.assert_allclose(b.explained_variance_[:k], lam, rtol=0, atol=C * bound_sk)
    np.testing.assert_allclose(a.explained_variance_[:k], b.explained_variance_[:k], rtol=0,
                               atol=C * (bound_ours + bound_sk))
    # eigenvectors: Davis-Kahan, error over the eigenvalue gap (only well-isolated ones)
    g = gaps(lam)
    ok = C * (bound_ours + bound_sk) / g < 0.1
    if ok.any():
        np.testing.assert_allclose(a.components_[:k][ok], b.components_[:k][ok], rtol=0,
                                   atol=float(np.max(4 * C * (bound_ours + bound_sk) / g[ok])))
    assert a.n_components_ == b.n_components_ == min(m, n)


def test_covariance_route_loses_digits_as_kappa_squared():
    # sigma from 1 to 1e-6: kappa^2 eps = 2e-4 at the bottom, kappa eps = 2e-10
    m, n = 600, 12
    s = np.logspace(0, -6, n)
    X, s = make_data(m, n, s, offset=0.0)
    lam = s**2 / (m - 1)
    full = PCA(svd_solver="full").fit(X).explained_variance_
    cov = PCA(svd_solver="covariance_eigh").fit(X).explained_variance_
    eps = np.finfo(float).eps
    rel_full = np.abs(full - lam) / lam
    rel_cov = np.abs(cov - lam) / lam
    kappa = s[0] / s
    assert np.all(rel_full <= C * max(m, n) * eps * kappa)
    assert np.all(rel_cov <= C * (m + n) * eps * kappa**2)
    assert rel_cov[-1] > 1e3 * rel_full[-1]        # the smallest variance: digits lost


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m,n", [(1500, 300), (300, 1500)])
def test_randomized_solver_meets_its_design_accuracy(dtype, m, n):
    # rank 10 + noise; randomized_svd's adaptive rule aims at rank-k errors within 1 % of the
    # optimum, i.e. a relative error of sigma_j^2 of about 0.01 (sigma_{k+1}/sigma_j)^2
    rng = np.random.default_rng(1)
    k = 10
    X, _ = make_data(m, n, np.linspace(100, 50, k), seed=1)
    X = (X + 0.1 * rng.standard_normal((m, n))).astype(dtype)
    exact = PCA(k, svd_solver="full").fit(X)
    ours = PCA(k, svd_solver="randomized", random_state=0).fit(X)
    sk = SkPCA(k, svd_solver="randomized", random_state=0).fit(X)
    s_next = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)[k]
    allowed = 0.01 * (s_next / exact.singular_values_) ** 2 + C * np.finfo(dtype).eps * m
    err = np.abs(ours.explained_variance_ - exact.explained_variance_) / exact.explained_variance_
    assert np.all(err <= allowed)
    err_sk = np.abs(sk.explained_variance_ - exact.explained_variance_) / exact.explained_variance_
    assert np.all(err_sk <= allowed)           # the peer meets the same standard
    Xc = (X - X.mean(axis=0)).astype(np.float64)

    def resid(V):
        return np.linalg.norm(Xc - Xc @ V.T.astype(np.float64) @ V.astype(np.float64))

    assert resid(ours.components_) <= 1.01 * resid(exact.components_)
    np.testing.assert_allclose(ours.noise_variance_, sk.noise_variance_, rtol=1e-3)
    np.testing.assert_allclose(ours.explained_variance_ratio_, sk.explained_variance_ratio_,
                               rtol=2 * allowed.max())
    assert ours.components_.dtype == dtype


def test_auto_policy_is_sklearns():
    rng = np.random.default_rng(0)
    for shape, nc in [((2000, 50), 5), ((300, 200), 5), ((600, 700), 5), ((600, 700), 500),
                      ((600, 700), 0.5), ((600, 100), "mle"), ((5000, 1200), 10)]:
        X = rng.standard_normal(shape)
        ours = PCA(nc, random_state=0).fit(X).svd_solver_
        theirs = SkPCA(nc, random_state=0).fit(X)._fit_svd_solver
        assert ours == theirs, (shape, nc, ours, theirs)


@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "randomized"])
@pytest.mark.parametrize("whiten", [False, True])
def test_transform_fit_transform_and_inverse(solver, whiten):
    X, s = make_data(300, 15, np.logspace(1, 0, 15))
    pca = PCA(6, svd_solver=solver, whiten=whiten, random_state=0)
    Z = pca.fit_transform(X)
    tol = C * max(X.shape) * np.finfo(float).eps * s[0] ** 2 / s[5] ** 2
    np.testing.assert_allclose(Z, pca.transform(X), rtol=0, atol=tol * np.abs(Z).max())
    sk = SkPCA(6, svd_solver="full", whiten=whiten).fit(X)
    np.testing.assert_allclose(Z, sk.transform(X), rtol=0, atol=1e-6 * np.abs(Z).max())
    if whiten:
        np.testing.assert_allclose(np.var(Z, axis=0, ddof=1), 1.0, rtol=1e-8)
    full = PCA(svd_solver=solver, whiten=whiten, random_state=0).fit(X)
    np.testing.assert_allclose(full.inverse_transform(full.transform(X)), X, rtol=0,
                               atol=1e-10 * np.abs(X).max())


def test_fraction_and_mle_choose_what_sklearn_chooses():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((300, 4)) @ rng.standard_normal((4, 25))
        X += 0.3 * rng.standard_normal((300, 25))
        for nc in (0.5, 0.9, 0.99, "mle"):
            a, b = PCA(nc, svd_solver="full").fit(X), SkPCA(nc, svd_solver="full").fit(X)
            assert a.n_components_ == b.n_components_, (seed, nc)
        assert PCA("mle").fit(X).n_components_ == 4


def test_minka_evidence_matches_sklearns_formula():
    from sklearn.decomposition._pca import _assess_dimension

    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 3)) @ rng.standard_normal((3, 12)) + rng.standard_normal((200, 12))
    lam = SkPCA().fit(X).explained_variance_
    ours = minka_log_evidence(lam, 200)
    theirs = np.array([_assess_dimension(lam, k, 200) for k in range(1, 12)])
    # sums of ~d^2 logarithms of moderate size: rounding of order d^2 eps |terms|
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    with pytest.raises(ValueError, match="spectrum"):
        minka_log_evidence([1.0], 10)


def test_score_is_the_ppca_likelihood():
    X, _ = make_data(500, 12, np.logspace(1, 0, 12))
    rng = np.random.default_rng(0)
    Xt = X[:50] + 0.1 * rng.standard_normal((50, 12))
    for k in (1, 4, 11):
        ours = PCA(k, svd_solver="full").fit(X)
        sk = SkPCA(k, svd_solver="full").fit(X)
        ppca = LinearGenerativeModel(n_components=k).fit(X)   # chapter 8: same model, n > d
        np.testing.assert_allclose(ours.score_samples(Xt), sk.score_samples(Xt), rtol=1e-9)
        # chapter 8's model is the maximum-likelihood fit (covariance over n); PCA follows
        # scikit-learn (over n - 1): the same model with every variance scaled by n / (n - 1)
        c = X.shape[0] / (X.shape[0] - 1)
        np.testing.assert_allclose(ours.explained_variance_, c * ppca.explained_variance_,
                                   rtol=1e-9)
        np.testing.assert_allclose(ours.noise_variance_, c * ppca.noise_variance_, rtol=1e-9)
        assert ppca.score(X) >= ours.score(X)   # the ML fit maximizes the training likelihood
        np.testing.assert_allclose(ours.get_precision() @ ours.get_covariance(), np.eye(12),
                                   rtol=0, atol=1e-9)
        # the density model does not depend on whether the scores are whitened
        w = PCA(k, svd_solver="full", whiten=True).fit(X)
        np.testing.assert_allclose(w.score(Xt), ours.score(Xt), rtol=1e-12)


def test_wide_noise_variance_conventions():
    X, _ = make_data(30, 100, np.logspace(1, 0, 29))
    k = 5
    full = PCA(k, svd_solver="full").fit(X)
    cov = PCA(k, svd_solver="covariance_eigh").fit(X)
    sk_cov = SkPCA(k, svd_solver="covariance_eigh").fit(X)
    np.testing.assert_allclose(cov.noise_variance_, full.noise_variance_, rtol=1e-8)
    # sklearn's covariance solver averages over d - k directions, d - min(n, d) of them empty
    np.testing.assert_allclose(sk_cov.noise_variance_ * (100 - k), cov.noise_variance_ * (30 - k),
                               rtol=1e-8)
    ppca = LinearGenerativeModel(n_components=k).fit(X)
    # chapter 8's model divides the covariance by n (maximum likelihood), PCA by n - 1
    np.testing.assert_allclose(ppca.noise_variance_ * (100 - k) * 30 / 29,
                               full.noise_variance_ * (30 - k), rtol=1e-8)


def _sparse_lowrank(m, n, density, seed):
    rng = np.random.default_rng(seed)
    X = sp.random(m, n, density=density, random_state=rng, format="csr")
    X.data = rng.exponential(1.0, X.nnz)
    return X


def test_sparse_randomized_equals_dense_and_sklearn_arpack():
    X = _sparse_lowrank(800, 300, 0.03, 0)
    D = X.toarray()
    k = 6
    exact = PCA(k, svd_solver="full").fit(D)
    ours = PCA(k, svd_solver="randomized", random_state=0).fit(X)
    assert ours.svd_solver_ == "randomized" and PCA(k).fit(X).svd_solver_ == "randomized"
    assert PCA().fit(X).svd_solver_ == "randomized"
    assert PCA(0.5).fit(X).svd_solver_ == "covariance_eigh"
    arpack = SkPCA(k, svd_solver="arpack", random_state=0).fit(X)
    Dc = D - D.mean(axis=0)

    def resid(V):
        return np.linalg.norm(Dc - Dc @ V.T @ V)

    assert resid(ours.components_) <= 1.01 * resid(exact.components_)
    np.testing.assert_allclose(ours.mean_, arpack.mean_, rtol=0, atol=1e-15)
    # the total variance from the sparse two-pass formula
    np.testing.assert_allclose(ours.explained_variance_ / ours.explained_variance_ratio_,
                               np.var(D, axis=0, ddof=1).sum(), rtol=1e-12)
    cov = PCA(k, svd_solver="covariance_eigh").fit(X)
    lam = exact.explained_variance_
    np.testing.assert_allclose(cov.explained_variance_, lam, rtol=0,
                               atol=C * sum(X.shape) * np.finfo(float).eps
                               * np.sum(D * D) / (X.shape[0] - 1))
    Z = ours.transform(X)
    np.testing.assert_allclose(Z, (D - ours.mean_) @ ours.components_.T, rtol=0, atol=1e-12)


def test_sparse_randomized_never_densifies():
    m, n, k = 30000, 4000, 10
    X = _sparse_lowrank(m, n, 0.0005, 1)                  # 60 000 entries; dense: 960 MB
    stored = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    tracemalloc.start()
    PCA(k, svd_solver="randomized", random_state=0).fit(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # what the fit must hold: a few copies of X (CSC for the variances) and a few blocks of
    # (m + n) x (k + oversampling) doubles; anything of order m * n would be 120 times more
    blocks = (m + n) * (k + 10) * 8
    assert peak < 4 * stored + 12 * blocks
    assert peak < 0.05 * m * n * 8


def test_centered_operator_products():
    X = _sparse_lowrank(60, 25, 0.2, 2)
    D = X.toarray()
    op = centered_operator(X)
    Dc = D - D.mean(axis=0)
    rng = np.random.default_rng(0)
    V, W = rng.standard_normal((25, 3)), rng.standard_normal((60, 2))
    np.testing.assert_allclose(op.matmat(V), Dc @ V, atol=1e-12)
    np.testing.assert_allclose(op.rmatmat(W), Dc.T @ W, atol=1e-12)
    np.testing.assert_allclose(op.matvec(V[:, 0]), Dc @ V[:, 0], atol=1e-12)
    with pytest.raises(ValueError, match="mean"):
        centered_operator(X, np.zeros(3))


def test_sign_convention():
    X, _ = make_data(100, 10, np.logspace(1, 0, 10))
    for solver in ("full", "covariance_eigh", "randomized"):
        V = PCA(4, svd_solver=solver, random_state=0).fit(X).components_
        assert np.all(V[np.arange(4), np.argmax(np.abs(V), axis=1)] > 0)


def test_bad_input_names_the_argument():
    X = np.random.default_rng(0).standard_normal((20, 5))
    with pytest.raises(ValueError, match="svd_solver"):
        PCA(svd_solver="arpack").fit(X)
    with pytest.raises(ValueError, match="n_components"):
        PCA(6).fit(X)
    with pytest.raises(ValueError, match="n_components"):
        PCA(1.5).fit(X)
    with pytest.raises(TypeError, match="n_components"):
        PCA([2]).fit(X)
    with pytest.raises(ValueError, match="randomized"):
        PCA(0.5, svd_solver="randomized").fit(X)
    with pytest.raises(ValueError, match="mle"):
        PCA("mle").fit(X.T)
    with pytest.raises(TypeError, match="full"):
        PCA(2, svd_solver="full").fit(sp.csr_matrix(X))
    with pytest.raises(TypeError, match="whiten"):
        PCA(whiten="yes").fit(X)
    with pytest.raises(ValueError, match="columns"):
        PCA(2).fit(X).inverse_transform(np.ones((3, 3)))
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        PCA().fit(bad)


# ----------------------------------------------------------------------------- choosing k
def _factor_data(seed, n=400, d=30, k=4, noise=1.0, scale=2.0):
    rng = np.random.default_rng(seed)
    X = scale * rng.standard_normal((n, k)) @ rng.standard_normal((k, d))
    return X + noise * rng.standard_normal((n, d))


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_parallel_analysis_finds_the_factors(seed):
    X = _factor_data(seed)
    res = parallel_analysis(X, n_permutations=30, random_state=seed)
    assert res.n_components == 4
    assert res.null_eigenvalues.shape == (30, 30)
    again = parallel_analysis(X, n_permutations=30, random_state=seed)
    np.testing.assert_array_equal(res.thresholds, again.thresholds)   # seeded
    with pytest.raises(ValueError, match="quantile"):
        parallel_analysis(X, quantile=1.0)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_gavish_donoho_rank(seed):
    X = _factor_data(seed, n=500, d=80, k=5, noise=1.0, scale=1.0)
    known = gavish_donoho_rank(X, sigma=1.0)
    unknown = gavish_donoho_rank(X)
    assert known.n_components == unknown.n_components == 5
    assert abs(unknown.sigma - 1.0) < 0.05
    Xc = X - X.mean(axis=0)
    s = np.linalg.svd(Xc, compute_uv=False)[:80]
    assert unknown.threshold == pytest.approx(optimal_hard_threshold((499, 80), s=s))
    with pytest.raises(ValueError, match="sigma"):
        gavish_donoho_rank(X, sigma=-1.0)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_cross_validation_has_its_minimum_at_the_rank(seed):
    X = _factor_data(seed, n=120, d=20, k=3)
    res = pca_cross_validation(X, 8, n_folds=4, random_state=seed)
    assert res.n_components == 3
    assert res.press[2] < res.press[1] < res.press[0]
    assert res.press[5] > res.press[2]                # overfitting ranks predict worse
    assert res.fold_press.shape == (4, 8) and np.all(res.n_iter >= 1)
    with pytest.raises(ValueError, match="max_components"):
        pca_cross_validation(X, 20)


# ----------------------------------------------------------------------------- whitening
def test_whitening_pca_and_zca():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 6))
    X = rng.standard_normal((2000, 6)) @ A + 3.0
    zca = Whitening("zca").fit(X)
    pw = Whitening("pca").fit(X)
    Zz, Zp = zca.transform(X), pw.transform(X)
    # covariance of the whitened data: identity to rounding amplified by kappa(C)
    kappa_c = zca.explained_variance_[0] / zca.explained_variance_[-1]
    tol = C * X.shape[0] * np.finfo(float).eps * kappa_c
    np.testing.assert_allclose(np.cov(Zz.T), np.eye(6), rtol=0, atol=tol)
    np.testing.assert_allclose(np.cov(Zp.T), np.eye(6), rtol=0, atol=tol)
    np.testing.assert_allclose(zca.whitening_, zca.whitening_.T, atol=1e-12)   # C^{-1/2}
    Xc = X - X.mean(axis=0)
    d_zca = np.linalg.norm(Xc - Zz)
    for _ in range(20):                    # every other whitening Q W_pca is farther away
        Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
        assert np.linalg.norm(Xc - Zp @ Q.T) >= d_zca
    np.testing.assert_allclose(zca.inverse_transform(Zz), X, atol=1e-10)
    np.testing.assert_allclose(pw.inverse_transform(Zp), X, atol=1e-10)
    reg = Whitening("zca", epsilon=0.1).fit(X)
    assert np.all(np.var(reg.transform(X), axis=0, ddof=1) < 1.0)
    with pytest.raises(ValueError, match="method"):
        Whitening("cholesky").fit(X)
    with pytest.raises(ValueError, match="epsilon"):
        Whitening(epsilon=-1.0).fit(X)


def test_whitening_rank_deficient():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 3)) @ rng.standard_normal((3, 8))
    w = Whitening("pca").fit(X)
    assert w.rank_ == 3 and w.whitening_.shape == (3, 8)
    np.testing.assert_allclose(np.cov(w.transform(X).T), np.eye(3), atol=1e-8)


# ----------------------------------------------------------------------------- robust PCA
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_robust_pca_recovers_low_rank_and_sparse(seed):
    rng = np.random.default_rng(seed)
    m, n, r = 150, 120, 4
    L = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
    mask = rng.random((m, n)) < 0.08
    S = np.where(mask, rng.uniform(-20, 20, (m, n)), 0.0)
    rp = RobustPCA().fit(L + S)
    assert rp.converged_ and rp.rank_ == r
    assert np.linalg.norm(rp.low_rank_ - L) <= 1e-5 * np.linalg.norm(L)
    assert np.linalg.norm(rp.sparse_ - S) <= 1e-5 * np.linalg.norm(S)
    h = rp.history_
    assert h["primal"][-1] < 1e-7 and len(h["dual"]) == rp.n_iter_ == len(h["rank"])
    # plain PCA of the same rank spreads the corruption over all entries
    p = PCA(r, svd_solver="full").fit(L + S)
    plain = p.inverse_transform(p.transform(L + S))
    assert np.linalg.norm(plain - L) > 100 * np.linalg.norm(rp.low_rank_ - L)
    np.testing.assert_allclose(rp.transform(L), L @ rp.components_.T)


def test_robust_pca_errors_and_verbose(capsys):
    X = np.random.default_rng(0).standard_normal((20, 10))
    for kw, name in [({"lam": -1.0}, "lam"), ({"rho": 1.0}, "rho"), ({"tol": 0.0}, "tol"),
                     ({"max_iter": 0}, "max_iter"), ({"mu": 0.0}, "mu")]:
        with pytest.raises(ValueError, match=name):
            RobustPCA(**kw).fit(X)
    with pytest.raises(ValueError, match="zeros"):
        RobustPCA().fit(np.zeros((5, 4)))
    rp = RobustPCA(max_iter=3, verbose=True).fit(X)
    assert rp.n_iter_ == 3 and not rp.converged_
    assert "RobustPCA" in capsys.readouterr().err


# ----------------------------------------------------------------------------- kernel PCA
@pytest.mark.parametrize("kernel,kw", [("rbf", {"gamma": 5.0}), ("poly", {"degree": 3}),
                                       ("cosine", {}), ("rbf", {})])
def test_kernel_pca_agrees_with_sklearn(kernel, kw):
    from sklearn.datasets import make_circles

    X, _ = make_circles(200, factor=0.3, noise=0.05, random_state=0)
    Xn, _ = make_circles(40, factor=0.3, noise=0.05, random_state=1)
    k = 2 if kernel == "cosine" else 4          # the cosine kernel of 2-D data has rank 2
    a = KernelPCA(k, kernel=kernel, **kw).fit(X)
    b = SkKernelPCA(k, kernel=kernel, **kw).fit(X)
    lam = b.eigenvalues_
    # eigenvalues of the n x n centred kernel: errors ~ n eps lam_1; vectors over the gap
    tol = C * X.shape[0] * np.finfo(float).eps * lam[0]
    np.testing.assert_allclose(a.eigenvalues_, lam, rtol=0, atol=tol)
    g = gaps(np.r_[lam, 0.0])[:k]
    vec_tol = float(np.max(2 * tol / g))
    np.testing.assert_allclose(a.eigenvectors_, b.eigenvectors_, rtol=0, atol=vec_tol)
    scale = np.sqrt(lam[0])
    np.testing.assert_allclose(a.fit_transform(X), b.fit_transform(X), rtol=0,
                               atol=vec_tol * scale)
    np.testing.assert_allclose(a.transform(Xn), b.transform(Xn), rtol=0,
                               atol=vec_tol * scale * 10)


def test_kernel_pca_linear_is_pca_and_callable():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5)) @ np.diag([5.0, 4, 3, 2, 1])
    kp = KernelPCA(3).fit(X)
    p = PCA(3, svd_solver="full").fit(X)
    np.testing.assert_allclose(kp.eigenvalues_, p.singular_values_**2, rtol=1e-10)
    np.testing.assert_allclose(np.abs(kp.transform(X[:7])), np.abs(p.transform(X[:7])),
                               atol=1e-10)
    lin = KernelPCA(3, kernel=lambda A, B: A @ B.T).fit(X)
    np.testing.assert_allclose(lin.eigenvalues_, kp.eigenvalues_, rtol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        KernelPCA(kernel=lambda A, B: np.ones(3)).fit(X)
    with pytest.raises(ValueError, match="kernel"):
        KernelPCA(kernel="sigmoid-ish").fit(X)
    with pytest.raises(ValueError, match="gamma"):
        KernelPCA(kernel="rbf", gamma=-1.0).fit(X)


@parametrize_with_checks([
    PCA(), PCA(1, svd_solver="randomized", random_state=0), PCA(svd_solver="covariance_eigh"),
    PCA(0.9, whiten=True), Whitening(), Whitening("pca", epsilon=1e-3),
    RobustPCA(max_iter=100), KernelPCA(), KernelPCA(2, kernel="rbf"),
])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_module_lists_its_api():
    for name in sp_pca.__all__:
        assert getattr(sp_pca, name).__doc__
