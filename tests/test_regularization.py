"""svdlab.linalg, chapter 2b: regularization, polar decomposition, Procrustes, TLS.

Each function is checked against a peer (NumPy normal equations, scikit-learn's Ridge,
scipy.linalg.polar, scipy.linalg.orthogonal_procrustes, Rotation.align_vectors) and on
bad input.
"""

import numpy as np
import pytest
import scipy.linalg as sla
from scipy.spatial.transform import Rotation

from svdlab import linalg as L

EPS = np.finfo(np.float64).eps


def _ill_posed(rng, m=40, n=25, decay=1e-10, noise=1e-4):
    """A matrix with geometrically decaying singular values and a noisy right-hand side."""
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.logspace(0, np.log10(decay), n)
    A = (U * s) @ V.T
    x = V @ (s ** 0.5)  # satisfies the discrete Picard condition
    return A, x, A @ x + noise * rng.standard_normal(m)


@pytest.mark.parametrize("seed", range(3))
def test_tikhonov_matches_the_augmented_least_squares_problem(seed):
    rng = np.random.default_rng(seed)
    A, _, b = _ill_posed(rng)
    for lam in (1e-6, 1e-3, 1e-1):
        x = L.tikhonov_solve(A, b, lam)
        # min ||[A; lam I] x - [b; 0]||: a well-conditioned (kappa <= s_1/lam) QR-based lstsq
        Aug = np.vstack([A, lam * np.eye(A.shape[1])])
        ref = np.linalg.lstsq(Aug, np.concatenate([b, np.zeros(A.shape[1])]), rcond=None)[0]
        kappa = np.sqrt(1 + 1 / lam**2)  # condition number bound of the augmented matrix
        assert np.linalg.norm(x - ref) <= 100 * A.shape[0] * EPS * kappa * np.linalg.norm(ref)


def test_tikhonov_matches_sklearn_ridge():
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(3)
    A, _, b = _ill_posed(rng, decay=1e-3)
    lam = 0.05
    ridge = sklearn.Ridge(alpha=lam**2, fit_intercept=False, solver="svd").fit(A, b)
    np.testing.assert_allclose(L.tikhonov_solve(A, b, lam), ridge.coef_, rtol=1e-9, atol=0)


def test_tikhonov_lam_zero_is_lstsq_and_matrix_rhs():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((12, 5))
    B = rng.standard_normal((12, 3))
    ref = np.linalg.lstsq(A, B, rcond=None)[0]
    # well-conditioned random A: the two least-squares solvers agree to ~ eps * kappa^2
    np.testing.assert_allclose(L.tikhonov_solve(A, B, 0.0), ref, rtol=0, atol=1e-12)
    X = L.tikhonov_solve(A, B, 0.3)
    for j in range(3):
        np.testing.assert_allclose(X[:, j], L.tikhonov_solve(A, B[:, j], 0.3), rtol=0,
                                   atol=1e-13)


def test_tsvd_equals_rank_k_pseudo_inverse():
    rng = np.random.default_rng(5)
    A, _, b = _ill_posed(rng)
    s = np.linalg.svd(A, compute_uv=False)
    for k in (1, 5, 12, 25):
        # numpy's pinv keeps the singular values above rcond * s_1: cut between s_k, s_k+1
        rcond = (s[k - 1] + s[k]) / 2 / s[0] if k < s.size else 0.0
        ref = np.linalg.pinv(A, rcond=rcond) @ b
        x = L.tsvd_solve(A, b, k)
        # the error of an SVD-based solve with k terms grows like eps * s_1 / s_k
        assert np.linalg.norm(x - ref) <= 100 * EPS * s[0] / s[k - 1] * np.linalg.norm(ref)
    full = L.tsvd_solve(A, b, 25)
    np.testing.assert_allclose(full, L.lstsq(A, b, rcond=0.0).x, rtol=0,
                               atol=1e-6 * np.linalg.norm(full))


def test_gcv_matches_its_definition_with_the_influence_matrix():
    rng = np.random.default_rng(6)
    A, _, b = _ill_posed(rng, m=30, n=20, decay=1e-6, noise=1e-3)
    lams = np.logspace(-7, 0, 8)
    path = L.gcv(A, b, lams)
    m, n = A.shape
    rows = zip(lams, path.criterion, path.residual_norm, path.solution_norm, strict=True)
    for lam, g, rho, eta in rows:
        H = A @ np.linalg.solve(A.T @ A + lam**2 * np.eye(n), A.T)  # influence matrix
        r = H @ b - b
        ref = (r @ r) / np.trace(np.eye(m) - H) ** 2
        # the normal equations lose digits as kappa^2 = (s_1 / lam)^2 grows: compare loosely
        tol = 1e-6 if lam >= 1e-4 else 1e-2
        np.testing.assert_allclose(g, ref, rtol=tol)
        x = L.tikhonov_solve(A, b, lam)
        np.testing.assert_allclose([rho, eta], [np.linalg.norm(A @ x - b), np.linalg.norm(x)],
                                   rtol=1e-8)
    assert path.best == lams[np.argmin(path.criterion)]


def test_gcv_tsvd_and_l_curve_choose_sensible_parameters():
    rng = np.random.default_rng(7)
    A, x_true, b = _ill_posed(rng, m=60, n=30, decay=1e-12, noise=1e-5)
    lams = np.logspace(-12, 1, 131)
    errors = [np.linalg.norm(L.tikhonov_solve(A, b, lam) - x_true) for lam in lams]
    best_err = min(errors)
    for lam in (L.gcv(A, b, lams).best, L.l_curve(A, b, lams).best):
        # both rules land within a factor 10 of the best error over the grid (a bound far
        # from the unregularized error, which is ~ noise / s_min = 1e7 times larger)
        assert np.linalg.norm(L.tikhonov_solve(A, b, lam) - x_true) <= 10 * best_err
    ks = np.arange(1, 31)
    k = L.gcv(A, b, ks, method="tsvd").best
    assert isinstance(k, int) and 1 <= k < 30


@pytest.mark.parametrize("bad, err", [
    (dict(b=np.ones(3)), ValueError),
    (dict(lam=-1.0), ValueError),
    (dict(lam=np.nan), ValueError),
    (dict(lam="1"), TypeError),
])
def test_tikhonov_bad_input(bad, err):
    args = dict(A=np.eye(4), b=np.ones(4), lam=0.1) | bad
    with pytest.raises(err, match=next(iter(bad))):
        L.tikhonov_solve(**args)


def test_tsvd_gcv_lcurve_bad_input():
    A, b = np.eye(4), np.ones(4)
    with pytest.raises(ValueError, match="k"):
        L.tsvd_solve(A, b, 5)
    with pytest.raises(TypeError, match="k"):
        L.tsvd_solve(A, b, 2.0)
    with pytest.raises(ValueError, match="b"):
        L.tsvd_solve(A, np.ones(5), 2)
    with pytest.raises(ValueError, match="method"):
        L.gcv(A, b, [0.1], method="ridge")
    with pytest.raises(ValueError, match="ks"):
        L.gcv(A, b, [0, 2], method="tsvd")
    with pytest.raises(ValueError, match="lams"):
        L.gcv(A, b, [-0.1])
    with pytest.raises(ValueError, match="lams"):
        L.l_curve(A, b, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="lams"):
        L.l_curve(A, b, np.logspace(0, -3, 6))
    with pytest.raises(ValueError, match="A"):
        L.gcv(np.ones(4), b, [0.1])


@pytest.mark.parametrize("shape", [(5, 5), (8, 3), (3, 8)])
@pytest.mark.parametrize("side", ["right", "left"])
def test_polar_matches_scipy(shape, side):
    rng = np.random.default_rng(sum(shape))
    A = rng.standard_normal(shape)
    W, P = L.polar(A, side=side)
    Wr, Pr = sla.polar(A, side=side)
    # both come from a backward-stable SVD of a well-conditioned matrix
    tol = 100 * max(shape) * EPS * np.linalg.norm(A, 2)
    assert np.linalg.norm(W - Wr, 2) <= tol / np.linalg.svd(A, compute_uv=False)[-1]
    assert np.linalg.norm(P - Pr, 2) <= tol
    np.testing.assert_allclose(P, P.T, rtol=0, atol=0)
    assert np.linalg.eigvalsh(P).min() >= -tol


def test_polar_factor_is_the_nearest_orthogonal_matrix():
    rng = np.random.default_rng(9)
    A = rng.standard_normal((6, 6))
    W, _ = L.polar(A)
    d_best = np.linalg.norm(A - W)
    for _ in range(50):  # Fan-Hoffman: no other orthogonal matrix is closer in Frobenius norm
        Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
        assert np.linalg.norm(A - Q) >= d_best


def test_polar_bad_input():
    with pytest.raises(ValueError, match="side"):
        L.polar(np.eye(2), side="up")
    with pytest.raises(ValueError, match="A"):
        L.polar(np.ones(3))


@pytest.mark.parametrize("seed", range(4))
def test_procrustes_matches_scipy_orthogonal_procrustes(seed):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((20, 4)), rng.standard_normal((20, 4))
    fit = L.procrustes(A, B)
    R_ref, _ = sla.orthogonal_procrustes(A, B)
    s = np.linalg.svd(A.T @ B, compute_uv=False)
    # R = U V^T is determined to ~ eps * s_1 / (smallest gap s_i + s_j) (polar factor bound)
    np.testing.assert_allclose(fit.R, R_ref, rtol=0, atol=1e3 * EPS * s[0] / (s[-1] + s[-2]))
    np.testing.assert_allclose(fit.residual, np.linalg.norm(A @ R_ref - B), rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_kabsch_matches_rotation_align_vectors(seed):
    rng = np.random.default_rng(seed)
    P = rng.standard_normal((30, 3))
    R_true = Rotation.random(random_state=seed).as_matrix()
    Q = P @ R_true.T + 1e-2 * rng.standard_normal((30, 3))  # q_i = R_true p_i + noise
    fit = L.procrustes(P, Q, proper=True)
    rot, _ = Rotation.align_vectors(Q, P)  # the rotation C with q_i ~ C p_i
    # row convention: Q ~ P @ fit.R, so fit.R = C^T; both solve the same 3x3 problem exactly
    np.testing.assert_allclose(fit.R, rot.as_matrix().T, rtol=0, atol=1e-10)
    assert np.isclose(np.linalg.det(fit.R), 1.0)


def test_kabsch_refuses_a_reflection_that_procrustes_takes():
    rng = np.random.default_rng(11)
    P = rng.standard_normal((10, 3))
    Q = P * np.array([1.0, 1.0, -1.0])  # a mirror image
    free = L.procrustes(P, Q)
    rot = L.procrustes(P, Q, proper=True)
    assert np.isclose(np.linalg.det(free.R), -1.0) and free.residual < 1e-12
    assert np.isclose(np.linalg.det(rot.R), 1.0) and rot.residual > 0.1


def test_procrustes_similarity_recovers_scale_and_translation():
    rng = np.random.default_rng(12)
    A = rng.standard_normal((15, 2))
    c, s = np.cos(1.1), np.sin(1.1)
    R = np.array([[c, -s], [s, c]])
    B = 2.5 * A @ R + np.array([3.0, -4.0])
    fit = L.procrustes(A, B, center=True, proper=True, scaling=True)
    np.testing.assert_allclose(fit.R, R, rtol=0, atol=1e-13)
    np.testing.assert_allclose([fit.scale, *fit.translation], [2.5, 3.0, -4.0], rtol=1e-13)
    assert fit.residual <= 1e-12 * np.linalg.norm(B)


def test_procrustes_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        L.procrustes(np.ones((4, 2)), np.ones((4, 3)))
    with pytest.raises(ValueError, match="B"):
        L.procrustes(np.ones((4, 2)), np.full((4, 2), np.nan))


def test_tls_matches_the_smallest_singular_vector_and_beats_ols_bias():
    rng = np.random.default_rng(13)
    n_rep, m, slope, sigma = 400, 50, 2.0, 0.3
    ols, tls = [], []
    for _ in range(n_rep):
        t = rng.standard_normal(m)
        a = t + sigma * rng.standard_normal(m)
        b = slope * t + sigma * rng.standard_normal(m)
        A = a[:, None]
        x = L.total_least_squares(A, b)[0]
        v = np.linalg.svd(np.column_stack([a, b]))[2][-1]
        assert np.isclose(x, -v[0] / v[1], rtol=1e-12)
        ols.append(np.linalg.lstsq(A, b, rcond=None)[0][0])
        tls.append(x)
    ols, tls = np.array(ols), np.array(tls)
    # OLS attenuates the slope by var(t) / (var(t) + sigma^2) = 1 / 1.09: bias about -0.17;
    # the standard error of a mean of 400 estimates is about 0.15 / 20 < 0.01
    assert abs(ols.mean() - slope / (1 + sigma**2)) < 0.05
    assert abs(tls.mean() - slope) < 0.05 < abs(ols.mean() - slope)


def test_tls_multiple_right_hand_sides_and_exact_data():
    rng = np.random.default_rng(14)
    A = rng.standard_normal((20, 3))
    X = rng.standard_normal((3, 2))
    np.testing.assert_allclose(L.total_least_squares(A, A @ X), X, rtol=0, atol=1e-12)
    np.testing.assert_allclose(L.total_least_squares(A, A @ X[:, 0]), X[:, 0], rtol=0,
                               atol=1e-12)


def test_tls_bad_input():
    with pytest.raises(ValueError, match="m >= n"):
        L.total_least_squares(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="b"):
        L.total_least_squares(np.ones((5, 2)), np.ones(4))
    # [A, b] whose smallest singular direction is a column of A: V_22 = 0, no TLS solution
    A = np.zeros((4, 3))
    A[0, 0], A[1, 1], A[2, 2] = 3.0, 3.0, 1e-3
    with pytest.raises(np.linalg.LinAlgError, match="no solution"):
        L.total_least_squares(A, np.array([0.0, 0.0, 0.0, 1.0]))
