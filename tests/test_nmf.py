"""svdlab.nmf against scikit-learn, SciPy's NNLS and the analysis behind each tolerance."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import nnls
from sklearn.decomposition import NMF as SKNMF
from sklearn.decomposition import _nmf as sknmf
from sklearn.utils.estimator_checks import parametrize_with_checks

import svdlab.nmf as N
from svdlab.datasets import load_faces
from svdlab.nmf import NMF, ConvergenceWarning, initialize_nmf, nmf_loss, projected_gradient_norm

EPS = np.finfo(np.float64).eps


def _data(seed=0, m=30, n=20, sparse=False):
    """A non-negative matrix with exact zeros (a third of the entries)."""
    rng = np.random.default_rng(seed)
    X = rng.random((m, n)) ** 3
    X[X < 0.05] = 0.0
    return sp.csr_matrix(X) if sparse else X


def _separable(seed=3, m=20, n=15, k=3, noise=1e-3):
    """X = W H + noise with W, H containing identity blocks: a unique exact NMF."""
    rng = np.random.default_rng(seed)
    W = rng.random((m, k))
    W[:k] = np.eye(k)
    H = rng.random((k, n))
    H[:, :k] = np.eye(k)
    return W @ H + noise * rng.random((m, n))


def _balanced(W, H):
    d = N._balance(W.T, H)
    return W * d, H / d[:, None]


def _sk_start(X, k, init="nndsvda"):
    return sknmf._initialize_nmf(X, k, init=init, random_state=0)


@parametrize_with_checks([NMF(n_components=1, random_state=0),
                          NMF(n_components=1, solver="mu", random_state=0),
                          NMF(n_components=1, solver="mu", beta_loss="kullback-leibler",
                              random_state=0),
                          NMF(n_components=1, solver="pg", random_state=0)])
def test_sklearn_contract(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# ---------------------------------------------------------------- step-by-step agreement
# The same formulas evaluated in a different order (BLAS against Cython loops) differ by
# rounding: each entry of a product with inner dimension N by at most N eps relative, and
# an iteration is a composition of such products and non-expansive clippings. After T
# iterations the products WH may differ by about T (m + n) eps max|X|: the bound asserted.
T_STEPS = 30


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("reg", [{}, {"alpha_W": 0.01, "l1_ratio": 0.3},
                                 {"alpha_W": 0.01, "alpha_H": 0.02, "l1_ratio": 1.0}])
def test_plain_hals_is_sklearn_cd_step_by_step(sparse, reg):
    X = _data(sparse=sparse)
    Xd = X.toarray() if sparse else X
    W0, H0 = _sk_start(X, 4)
    r = N._reg_terms(reg.get("alpha_W", 0.0), reg.get("alpha_H", "same"),
                     reg.get("l1_ratio", 0.0), X.shape)
    Wt, H, _, _, hist = N._fit_hals(N._Data(X), np.ascontiguousarray(W0.T), H0.copy(), r,
                                    0.0, T_STEPS, False, extrapolate=False, scale=False,
                                    max_inner=(1, 1))
    ref = SKNMF(4, solver="cd", init="custom", max_iter=T_STEPS, tol=0, **reg)
    Wr = ref.fit_transform(X, W=W0.copy(), H=H0.copy())
    bound = T_STEPS * sum(X.shape) * EPS * Xd.max()
    np.testing.assert_allclose(Wt.T @ H, Wr @ ref.components_, rtol=0, atol=bound)
    assert len(hist["objective"]) == T_STEPS + 1


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("beta_loss", ["frobenius", "kullback-leibler"])
@pytest.mark.parametrize("reg", [{}, {"alpha_W": 0.01, "alpha_H": 0.02, "l1_ratio": 0.5}])
def test_mu_is_sklearn_mu_step_by_step(sparse, beta_loss, reg):
    X = _data(seed=1, sparse=sparse)
    Xd = X.toarray() if sparse else X
    W0, H0 = _sk_start(X, 4)
    ours = NMF(4, solver="mu", beta_loss=beta_loss, init="custom", max_iter=T_STEPS, tol=0,
               **reg)
    W = ours.fit_transform(X, W=W0, H=H0)
    ref = SKNMF(4, solver="mu", beta_loss=beta_loss, init="custom", max_iter=T_STEPS, tol=0,
                **reg)
    Wr = ref.fit_transform(X, W=W0.copy(), H=H0.copy())
    bound = T_STEPS * sum(X.shape) * EPS * Xd.max()
    np.testing.assert_allclose(W @ ours.components_, Wr @ ref.components_, rtol=0, atol=bound)
    # reconstruction_err_: the same definition (sqrt(2 * divergence)) on the same factors
    assert ours.reconstruction_err_ == pytest.approx(
        sknmf._beta_divergence(X, W, ours.components_, beta_loss, square_root=True),
        rel=sum(X.shape) * EPS)


# ---------------------------------------------------------------- agreement at convergence
def test_converged_objective_matches_sklearn_cd():
    """From the same start, on data with a unique NMF, every solver reaches sklearn's point.

    At a point whose projected gradient is gamma, near a strict local minimizer whose
    Hessian has smallest eigenvalue mu on the free variables (modulo the flat scaling
    directions, which the gradient is orthogonal to), f - f* <= gamma^2 / (2 mu). mu is
    estimated by the Gauss-Newton matrix J^T J of the residual on the free variables; the
    neglected term is bounded by the residual norm (here 4e-3, against mu = 0.16), hence
    the factor 2. The objectives themselves are computed with error
    ||R|| ||dR||, ||dR|| <= (k + 1) eps || |X| + |W||H| ||.
    """
    X = _separable()
    m, n = X.shape
    k = 3
    W0, H0 = _sk_start(X, k)
    ref = SKNMF(k, solver="cd", init="custom", max_iter=100000, tol=1e-13)
    Wr = ref.fit_transform(X, W=W0.copy(), H=H0.copy())
    Wb, Hb = _balanced(Wr, ref.components_)
    gamma_ref = projected_gradient_norm(X, Wb, Hb)
    free_w, free_h = Wb > 1e-12, Hb > 1e-12
    J = np.hstack([np.kron(np.eye(m), Hb.T)[:, free_w.ravel()],
                   np.kron(Wb, np.eye(n))[:, free_h.ravel()]])
    sv = np.linalg.svd(J, compute_uv=False)
    mu = sv[sv > 1e-8 * sv[0]][-1] ** 2
    R_ref = X - Wr @ ref.components_
    assert np.linalg.norm(R_ref, 2) < 0.1 * mu          # the Gauss-Newton estimate holds
    f_ref = nmf_loss(X, Wr, ref.components_)
    for solver in ("hals", "pg"):
        est = NMF(k, solver=solver, init="custom", max_iter=20000, tol=1e-10)
        W = est.fit_transform(X, W=W0, H=H0)
        H = est.components_
        gamma = projected_gradient_norm(X, *_balanced(W, H))
        rounding = (np.linalg.norm(R_ref) * (k + 1) * EPS
                    * np.linalg.norm(np.abs(X) + np.abs(W) @ np.abs(H)))
        bound = 2 * max(gamma, gamma_ref) ** 2 / (2 * mu) + 2 * rounding
        assert abs(nmf_loss(X, W, H) - f_ref) <= bound, solver
        assert est.reconstruction_err_ == pytest.approx(np.linalg.norm(X - W @ H),
                                                        rel=1e-12)


def test_transform_solves_the_nnls_problem():
    """transform = argmin_{W >= 0} ||X - W H||: compared with SciPy's active-set NNLS.

    The subproblem is strongly convex with modulus lambda_min(HH^T), so a W whose
    projected gradient is gamma lies within gamma / lambda_min of the minimizer.
    """
    X = _data(seed=2)
    est = NMF(4, tol=1e-10, max_iter=5000).fit(X)
    H = est.components_
    lam = np.linalg.eigvalsh(H @ H.T)[0]
    W_ref = np.array([nnls(H.T, x)[0] for x in X])
    for solver in ("hals", "pg", "mu"):
        est.set_params(solver=solver)
        W = est.transform(X)
        G = W @ (H @ H.T) - X @ H.T
        gamma = np.linalg.norm(np.where(W > 0, G, np.minimum(G, 0)))
        assert np.linalg.norm(W - W_ref) <= gamma / lam + 1e3 * EPS * np.linalg.norm(W_ref)
        if solver != "mu":            # MU approaches zeros geometrically: not this close
            assert gamma <= 1e-8 * np.linalg.norm(X @ H.T)


# ---------------------------------------------------------------- NNDSVD
@pytest.mark.parametrize("init", ["nndsvd", "nndsvda"])
@pytest.mark.parametrize("sparse", [False, True])
def test_nndsvd_equals_sklearn(init, sparse):
    """Exactly rank k, so both randomized SVDs are exact up to rounding.

    A singular vector is perturbed by about eps sigma_1 / gap (Wedin), the NNDSVD factors
    carry sqrt(sigma_1): entries agree within n eps sigma_1^1.5 / gap. No entry lies within
    that distance of the zero threshold 1e-6 (checked), so the zero patterns agree too.
    """
    rng = np.random.default_rng(1)
    m, n, k = 40, 30, 5
    X = rng.random((m, k)) @ rng.random((k, n))
    s = np.linalg.svd(X, compute_uv=False)[:k]
    gap = np.min(np.abs(np.diff(s)))
    tol = max(m, n) * EPS * s[0] ** 1.5 / gap
    Xi = sp.csr_matrix(X) if sparse else X
    W, H = initialize_nmf(Xi, k, init, random_state=0)
    Wr, Hr = sknmf._initialize_nmf(Xi, k, init=init, random_state=0)
    assert np.all(np.abs(Wr - 1e-6) > tol) and np.all(np.abs(Hr - 1e-6) > tol)
    np.testing.assert_allclose(W, Wr, rtol=0, atol=tol)
    np.testing.assert_allclose(H, Hr, rtol=0, atol=tol)
    if init == "nndsvd":
        assert np.array_equal(W == 0, Wr == 0) and (W == 0).any()


def test_nndsvd_does_not_depend_on_signs():
    """Flipping any singular pair swaps its positive and negative parts: same factors."""
    rng = np.random.default_rng(4)
    X = rng.random((25, 18))
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    U, s, Vt = U[:, :6], s[:6], Vt[:6]
    flip = np.array([1, -1, 1, -1, -1, 1.0])
    W1, H1 = N._nndsvd_from_svd(U, s, Vt)
    W2, H2 = N._nndsvd_from_svd(U * flip, s, Vt * flip[:, None])
    np.testing.assert_array_equal(W1, W2)
    np.testing.assert_array_equal(H1, H2)


def test_nndsvdar_and_random_starts():
    X = _data(seed=5)
    W, H = initialize_nmf(X, 4, "nndsvdar", random_state=0)
    W0, H0 = initialize_nmf(X, 4, "nndsvd", random_state=0)
    assert np.all(W > 0) and np.all(H > 0)
    np.testing.assert_array_equal(W[W0 > 0], W0[W0 > 0])     # only the zeros are filled
    assert W[W0 == 0].max() < 0.1 * X.mean()
    Wr, Hr = initialize_nmf(X, 4, "random", random_state=0)
    Wr2, _ = initialize_nmf(X, 4, "random", random_state=0)
    np.testing.assert_array_equal(Wr, Wr2)
    # E|N(0,1)| sqrt(mean / k) is the scale of each entry (scikit-learn's)
    assert Wr.mean() == pytest.approx(np.sqrt(2 / np.pi) * np.sqrt(X.mean() / 4), rel=0.3)


# ---------------------------------------------------------------- objective and gradient
def test_projected_gradient_matches_finite_differences():
    """The gradient of the penalized objective (scikit-learn's penalties) by central
    differences: error O(h^2 f''') plus rounding eps f / h, with h = 1e-5."""
    X = _data(seed=6, m=8, n=6)
    rng = np.random.default_rng(6)
    W, H = rng.random((8, 2)) + 0.1, rng.random((2, 6)) + 0.1      # interior point
    reg = dict(alpha_W=0.05, alpha_H=0.02, l1_ratio=0.4)
    l1w, l2w, l1h, l2h = N._reg_terms(0.05, 0.02, 0.4, X.shape)

    def F(W, H):
        return (nmf_loss(X, W, H) + l1w * W.sum() + 0.5 * l2w * np.sum(W**2)
                + l1h * H.sum() + 0.5 * l2h * np.sum(H**2))

    h = 1e-5
    gW = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        gW[idx] = (F(W + E, H) - F(W - E, H)) / (2 * h)
    gH = np.zeros_like(H)
    for idx in np.ndindex(H.shape):
        E = np.zeros_like(H)
        E[idx] = h
        gH[idx] = (F(W, H + E) - F(W, H - E)) / (2 * h)
    fd = np.sqrt(np.sum(gW**2) + np.sum(gH**2))
    assert projected_gradient_norm(X, W, H, **reg) == pytest.approx(fd, rel=1e-6)
    # at an exact factorization the projected gradient vanishes
    assert projected_gradient_norm(W @ H, W, H) <= 10 * EPS * np.linalg.norm(W @ H) ** 1.5


def test_kl_loss_and_gradient():
    X = _data(seed=7, m=8, n=6)
    rng = np.random.default_rng(7)
    W, H = rng.random((8, 2)) + 0.1, rng.random((2, 6)) + 0.1
    WH = W @ H
    keep = X > 0
    direct = np.sum(X[keep] * np.log(X[keep] / WH[keep])) - X.sum() + WH.sum()
    assert nmf_loss(X, W, H, "kullback-leibler") == pytest.approx(direct, rel=1e-13)
    assert nmf_loss(sp.csr_matrix(X), W, H, "kullback-leibler") == pytest.approx(direct,
                                                                                 rel=1e-13)
    G_W = (1 - X / WH) @ H.T
    G_H = W.T @ (1 - X / WH)
    expected = np.sqrt(np.sum(G_W**2) + np.sum(G_H**2))      # interior: no projection
    assert projected_gradient_norm(X, W, H, beta_loss="kullback-leibler") == pytest.approx(
        expected, rel=1e-12)


@pytest.mark.parametrize("solver", ["hals", "mu", "pg"])
@pytest.mark.parametrize("sparse", [False, True])
def test_history_is_the_objective_and_stationarity_of_the_iterates(solver, sparse):
    X = _data(seed=8, sparse=sparse)
    reg = {"alpha_W": 0.001, "l1_ratio": 0.5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = NMF(4, solver=solver, tol=1e-5, max_iter=2000, random_state=0, **reg)
        W = est.fit_transform(X)
    h = est.history_
    assert set(h) == {"objective", "projected_gradient", "seconds"}
    assert all(len(v) == est.n_iter_ + 1 for v in h.values())
    assert np.all(np.diff(h["seconds"]) >= 0)
    H = est.components_
    l1w, l2w, l1h, l2h = N._reg_terms(0.001, "same", 0.5, X.shape)
    F = (nmf_loss(X, W, H) + l1w * W.sum() + 0.5 * l2w * np.sum(W**2) + l1h * H.sum()
         + 0.5 * l2h * np.sum(H**2))
    Xd = X.toarray() if sparse else X
    # the last record is the returned iterate; F computed two ways differs by rounding of
    # ||X||^2 - 2<.,.> + <.,.> (cancellation of terms of size ||X||^2)
    assert h["objective"][-1] == pytest.approx(F, abs=1e3 * EPS * np.sum(Xd**2))
    assert h["projected_gradient"][-1] == pytest.approx(
        projected_gradient_norm(X, W, H, **reg), rel=1e-6)
    if solver != "hals":                 # HALS extrapolates: not monotone, by design
        assert np.all(np.diff(h["objective"]) <= 1e-12 * h["objective"][0])
    if solver != "mu":
        assert h["projected_gradient"][-1] <= 1e-5 * h["projected_gradient"][0]


def test_hals_beats_plain_hals_in_iterations():
    """Extrapolation and inner passes: fewer iterations to plain HALS's 200-step objective."""
    faces = load_faces("lfw_subset")
    X = faces.data[faces.target == 1]                  # the 100 faces
    W0, H0 = _sk_start(X, 10)
    data = N._Data(X)
    _, _, _, _, plain = N._fit_hals(data, np.ascontiguousarray(W0.T), H0.copy(),
                                    (0, 0, 0, 0), 0.0, 200, False, extrapolate=False,
                                    scale=False, max_inner=(1, 1))
    est = NMF(10, init="custom", tol=0, max_iter=200).fit(X, W=W0, H=H0)
    target = plain["objective"][-1]
    reached = np.flatnonzero(est.history_["objective"] <= target)
    assert reached.size and reached[0] < 100


def test_sparse_input_is_never_densified(monkeypatch):
    X = _data(seed=9, sparse=True)
    dense_fit = NMF(3, solver="hals", tol=1e-6, max_iter=500).fit(X.toarray())

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse X was densified")

    for cls in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)
    for solver, loss in (("hals", "frobenius"), ("pg", "frobenius"), ("mu", "frobenius"),
                         ("mu", "kullback-leibler")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = NMF(3, solver=solver, beta_loss=loss, max_iter=50).fit(X)
            est.transform(X)
    sparse_fit = NMF(3, solver="hals", tol=1e-6, max_iter=500).fit(X)
    monkeypatch.undo()
    # same start, same iterations: the two differ only by rounding
    np.testing.assert_allclose(sparse_fit.reconstruction_err_, dense_fit.reconstruction_err_,
                               rtol=1e-8)


def test_float32_stays_float32():
    X = _data(seed=10).astype(np.float32)
    est = NMF(3, max_iter=50, tol=1e-3)
    W = est.fit_transform(X)
    assert W.dtype == np.float32 and est.components_.dtype == np.float32
    assert est.transform(X).dtype == np.float32


def test_dead_component_does_not_make_nans():
    X = _data(seed=11)
    W0, H0 = _sk_start(X, 3, "nndsvd")
    W0[:, 2] = 0.0                             # a dead column: its Gram diagonal is zero
    for solver in ("hals", "pg", "mu"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = NMF(3, solver=solver, init="custom", max_iter=30).fit(X, W=W0, H=H0)
        assert np.all(np.isfinite(est.components_))


def test_verbose_shows_a_progress_bar(capsys):
    X = _data(seed=12)
    NMF(2, verbose=True, max_iter=5, tol=0).fit(X)
    assert "NMF (hals)" in capsys.readouterr().err


# ---------------------------------------------------------------- errors
def test_clear_errors():
    X = _data()
    with pytest.raises(ValueError, match="X must be non-negative"):
        NMF(2).fit(X - 0.5)
    with pytest.raises(ValueError, match="X must be non-negative"):
        NMF(2).fit(sp.csr_matrix(X - 0.5))
    with pytest.raises(ValueError, match="kullback-leibler.*only available with solver='mu'"):
        NMF(2, beta_loss="kullback-leibler").fit(X)
    with pytest.raises(ValueError, match="solver must be one of"):
        NMF(2, solver="cd").fit(X)
    with pytest.raises(ValueError, match="init must be one of"):
        NMF(2, init="svd").fit(X)
    with pytest.raises(ValueError, match="n_components must be <= min"):
        NMF(25).fit(X)
    with pytest.raises(ValueError, match="init='custom' needs both W and H"):
        NMF(2, init="custom").fit(X)
    with pytest.raises(ValueError, match="W and H must have shapes"):
        NMF(2, init="custom").fit(X, W=np.ones((30, 3)), H=np.ones((3, 20)))
    with pytest.raises(ValueError, match="l1_ratio"):
        NMF(2, l1_ratio=2).fit(X)
    with pytest.raises(ValueError, match="alpha_H"):
        NMF(2, alpha_H="other").fit(X)
    with pytest.raises(TypeError, match="n_components"):
        NMF(2.5).fit(X)
    with pytest.raises(ValueError, match="W @ H must have the shape of X"):
        nmf_loss(X, np.ones((30, 2)), np.ones((3, 20)))
    with pytest.warns(UserWarning, match="cannot move the zeros"):
        NMF(2, solver="mu", init="nndsvd", max_iter=5, tol=0).fit(X)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        NMF(2, solver="mu", max_iter=3).fit(X)
