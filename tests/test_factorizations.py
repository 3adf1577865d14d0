"""svdlab.factorizations (chapters 3-4) against NumPy, SciPy and exact values.

LU, Householder QR, Cholesky, power iteration, one-sided Jacobi and Golub-Kahan
bidiagonalization, each on random, ill-conditioned (cond 1e12) and edge-case
inputs, plus the errors that bad input must raise.
"""

import warnings

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import aslinearoperator

from svdlab import factorizations as F
from svdlab import linalg as L


def _matrix(rng, m, n, kind):
    """Test matrices of a few kinds; 'ill_conditioned' has cond = 1e12 exactly by design."""
    r = min(m, n)
    if kind == "random":
        return rng.standard_normal((m, n))
    if kind == "ill_conditioned":
        U, _ = np.linalg.qr(rng.standard_normal((m, r)))
        V, _ = np.linalg.qr(rng.standard_normal((n, r)))
        return (U * np.logspace(0, -12, r)) @ V.T
    if kind == "rank_deficient":
        k = max(1, r // 2)
        return rng.standard_normal((m, k)) @ rng.standard_normal((k, n))
    if kind == "integer":
        return rng.integers(-5, 6, size=(m, n))
    raise ValueError(kind)


def _spd(rng, n, cond=10.0):
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * np.logspace(0, -np.log10(cond), n)) @ Q.T
    return (A + A.T) / 2


shapes = st.tuples(st.integers(1, 9), st.integers(1, 9))
kinds = st.sampled_from(["random", "ill_conditioned", "rank_deficient", "integer"])
EPS = np.finfo(np.float64).eps

# Tolerances follow the rounding-error analyses in N. J. Higham, *Accuracy and Stability
# of Numerical Algorithms*, 2nd ed., SIAM, 2002 (cited by theorem), with unit roundoff
# u = eps / 2 and gamma_k = k u / (1 - k u), the bound on the relative error of a k-term
# inner product. Where a bound is first order, a factor 2 covers the second-order terms.


def _gamma(k, eps=EPS):
    u = eps / 2
    return k * u / (1 - k * u)


def _lu_forward_bound(Lf, U):
    """How far two backward-stable LU factorizations with the same pivots may differ.

    Each is exact for P^T A + dA with |dA| <= gamma_r |L||U| (Higham, thm 9.3), so their
    difference is that of the factors of two matrices ||dA||_F <= eta = 2 gamma_r
    || |L||U| ||_F apart. To first order, with the square leading blocks L1, U1:
    L1^-1 dA U1^-1 = L1^-1 dL1 + dU1 U1^-1 splits into its strictly lower and its upper
    part, so ||dL1|| <= ||L1|| a eta b and ||dU1|| <= a eta b ||U1|| (a = ||L1^-1||,
    b = ||U1^-1||); the rows below (tall A) follow from L2 = A2 U1^-1, the columns to
    the right (wide A) from U2 = L1^-1 A2. Returns the bounds for L and U.
    """
    r = min(Lf.shape[0], U.shape[1])
    eta = 2 * _gamma(r) * np.linalg.norm(np.abs(Lf) @ np.abs(U))
    L1, U1 = Lf[:r], U[:, :r]
    a = np.linalg.norm(np.linalg.inv(L1), 2)
    b = np.linalg.norm(np.linalg.inv(U1), 2)
    dL = np.linalg.norm(L1, 2) * a * eta * b
    dU = a * eta * b * np.linalg.norm(U1, 2)
    dL += (eta + np.linalg.norm(Lf[r:], 2) * dU) * b if Lf.shape[0] > r else 0.0
    dU += a * (eta + dL * np.linalg.norm(U[:, r:], 2)) if U.shape[1] > r else 0.0
    return 2 * dL, 2 * dU


def _householder_gamma(m, n, eps=EPS):
    """Relative backward error of n Householder reflections of m-vectors (Higham thm 19.4,
    gamma~_{mn}): forming and applying each reflection is a norm, an inner product and
    an update, about 2 (m + 3) roundings per entry, hence gamma_{2 n (m + 3)}."""
    return _gamma(2 * max(n, 1) * (m + 3), eps)


# ---------------------------------------------------------------------------
# LU
# ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(shape=shapes, kind=kinds, seed=st.integers(0, 2**16))
def test_lu_structure_and_reconstruction(shape, kind, seed):
    A = _matrix(np.random.default_rng(seed), *shape, kind)
    m, n = shape
    r = min(m, n)
    with np.errstate(all="raise"):  # no division by zero, even for singular A
        P, Lf, U = F.lu(A)
    assert P.shape == (m, m) and Lf.shape == (m, r) and U.shape == (r, n)
    np.testing.assert_array_equal(np.sort(P.sum(axis=0)), np.ones(m))
    np.testing.assert_array_equal(P.T @ P, np.eye(m))
    np.testing.assert_array_equal(np.diagonal(Lf), np.ones(r))
    assert np.all(np.triu(Lf, 1) == 0) and np.all(np.tril(U, -1) == 0)
    assert np.all(np.abs(Lf) <= 1.0), "partial pivoting keeps every multiplier <= 1"
    # Higham thm 9.3: P^T A = L U + dA with |dA| <= gamma_r |L||U|, entry by entry; the
    # product L @ U formed here adds as much again (P^T A is an exact permutation)
    assert np.all(np.abs(P.T @ A - Lf @ U) <= 2 * _gamma(r) * (np.abs(Lf) @ np.abs(U)))


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_lu_matches_scipy(shape, seed):
    # same pivot rule as LAPACK getrf (first maximum), so the same factors
    A = _matrix(np.random.default_rng(seed), *shape, "random")
    P, Lf, U = F.lu(A)
    P0, L0, U0 = sla.lu(A)
    np.testing.assert_array_equal(P, P0)
    dL, dU = _lu_forward_bound(L0, U0)
    assert np.linalg.norm(Lf - L0, 2) <= dL
    assert np.linalg.norm(U - U0, 2) <= dU


@pytest.mark.parametrize("shape", [(8, 8), (4, 2), (3, 7)])
@pytest.mark.parametrize("seed", range(4))
def test_lu_matches_scipy_cond_1e12(shape, seed):
    A = _matrix(np.random.default_rng(seed), *shape, "ill_conditioned")
    P, Lf, U = F.lu(A)
    P0, L0, U0 = sla.lu(A)
    np.testing.assert_array_equal(P, P0)
    # the last multipliers are divided by pivots of size ~1e-12: ||U1^-1|| ~ 1e12 in the
    # bound, so only a few digits of L are determined, yet both are backward stable
    dL, dU = _lu_forward_bound(L0, U0)
    assert np.linalg.norm(Lf - L0, 2) <= dL
    assert np.linalg.norm(U - U0, 2) <= dU
    r = min(shape)
    assert np.all(np.abs(P.T @ A - Lf @ U) <= 2 * _gamma(r) * (np.abs(Lf) @ np.abs(U)))


@pytest.mark.parametrize("A", [
    [[1.0, 2.0], [2.0, 4.0]],          # singular, exact zero pivot at the end
    [[0.0, 1.0], [0.0, 2.0]],          # zero first column: skipped like getrf
    [[0.0, 0.0, 0.0]] * 3,             # zero matrix
    [[0.0, 1.0, 2.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]],
])
def test_lu_singular_matches_scipy_without_dividing_by_zero(A):
    A = np.array(A)
    with np.errstate(all="raise"):
        P, Lf, U = F.lu(A)
    P0, L0, U0 = sla.lu(A)
    # small integers whose multipliers are 0, 1/2 or 1: every operation is exact
    np.testing.assert_array_equal(P @ Lf @ U, A)
    np.testing.assert_array_equal(U, U0)
    np.testing.assert_array_equal(Lf, L0)
    assert np.any(np.diagonal(U) == 0)


def test_lu_edge_cases_and_dtypes():
    P, Lf, U = F.lu([[5]])                      # 1x1 integer
    assert P.dtype == Lf.dtype == U.dtype == np.float64
    assert (P.item(), Lf.item(), U.item()) == (1.0, 1.0, 5.0)
    P, Lf, U = F.lu(np.array([[1, 2], [3, 4]]))  # integers become float64
    np.testing.assert_allclose(P @ Lf @ U, [[1, 2], [3, 4]])
    A32 = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    P, Lf, U = F.lu(A32)
    assert U.dtype == np.float32
    eps32 = np.finfo(np.float32).eps
    bound = 2 * _gamma(4, eps32) * (np.abs(Lf) @ np.abs(U))  # thm 9.3 in float32
    assert np.all(np.abs(P.T @ A32 - Lf @ U) <= bound)
    f = F.lu_factor(np.arange(6.0).reshape(2, 3))
    assert f.shape == (2, 3) and f.L.shape == (2, 2) and f.U.shape == (2, 3)


def test_lu_solve_many_right_hand_sides():
    rng = np.random.default_rng(1)
    n = 40
    A = rng.standard_normal((n, n))
    f = F.lu_factor(A)
    B = rng.standard_normal((n, 25))
    X = F.lu_solve(f, B)
    # each solve is backward stable, (A + dA) x = b with |dA| <= gamma_3n |L||U| (Higham
    # thm 9.4), so two solvers differ by the forward error kappa ||dA|| / ||A||, twice
    kappa = np.linalg.cond(A)
    rel = 2 * kappa * _gamma(3 * n) * np.linalg.norm(np.abs(f.L) @ np.abs(f.U), 2) \
        / np.linalg.norm(A, 2)
    for X_ref in (np.linalg.solve(A, B), sla.lu_solve(sla.lu_factor(A), B)):
        assert np.all(np.linalg.norm(X - X_ref, axis=0) <= rel * np.linalg.norm(X_ref, axis=0))
    for j in (0, 7, 24):  # column by column: the same operations, in the same order
        np.testing.assert_array_equal(F.lu_solve(f, B[:, j]), X[:, j])
    assert F.lu_solve(f, B[:, 0]).shape == (n,)
    # integer right-hand side, 1x1 system
    np.testing.assert_allclose(F.lu_solve(F.lu_factor([[2.0]]), [3]), [1.5])


def test_lu_solve_ill_conditioned_is_backward_stable():
    rng = np.random.default_rng(2)
    A = _matrix(rng, 30, 30, "ill_conditioned")
    b = rng.standard_normal(30)
    f = F.lu_factor(A)
    x = F.lu_solve(f, b)
    # the residual is small relative to || |L||U| || ||x|| (Higham thm 9.4: the backward
    # error is gamma_3n |L||U|; computing A x - b here adds gamma_n ||A|| ||x||) even
    # though x itself is inaccurate (kappa = 1e12)
    LU_abs = np.linalg.norm(np.abs(f.L) @ np.abs(f.U), 2)
    bound = (_gamma(3 * 30) * LU_abs + _gamma(30) * np.linalg.norm(A, 2)) * np.linalg.norm(x)
    assert np.linalg.norm(A @ x - b) <= bound


def test_lu_solve_errors():
    f = F.lu_factor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(np.linalg.LinAlgError, match=r"singular: U\[1, 1\] = 0"):
        F.lu_solve(f, [1.0, 2.0])
    with pytest.raises(ValueError, match="singular"):  # LinAlgError is a ValueError
        F.lu_solve(F.lu_factor(np.zeros((3, 3))), np.ones(3))
    good = F.lu_factor(np.eye(3))
    with pytest.raises(ValueError, match="b must have 3 rows"):
        F.lu_solve(good, np.ones(4))
    with pytest.raises(ValueError, match="b must contain only finite"):
        F.lu_solve(good, [1.0, np.nan, 0.0])
    with pytest.raises(ValueError, match="b must be a 1-D or 2-D"):
        F.lu_solve(good, np.ones((3, 1, 1)))
    with pytest.raises(ValueError, match="square"):
        F.lu_solve(F.lu_factor(np.ones((3, 2))), np.ones(3))
    with pytest.raises(TypeError, match="factor must be the LUFactor"):
        F.lu_solve(sla.lu_factor(np.eye(3)), np.ones(3))


# ---------------------------------------------------------------------------
# Householder QR
# ---------------------------------------------------------------------------


def _positive_diag(Q, R):
    d = np.sign(np.diagonal(R)).copy()
    d[d == 0] = 1
    return Q[:, : len(d)] * d, R * d[:, None]


@settings(max_examples=60, deadline=None)
@given(shape=shapes, kind=kinds, seed=st.integers(0, 2**16),
       mode=st.sampled_from(["reduced", "complete"]))
def test_qr_structure(shape, kind, seed, mode):
    A = _matrix(np.random.default_rng(seed), *shape, kind)
    m, n = shape
    Q, R = F.qr_householder(A, mode=mode)
    q = m if mode == "complete" else min(m, n)
    assert Q.shape == (m, q) and R.shape == (q, n)
    # orthogonal to working precision whatever the conditioning (unlike Gram-Schmidt):
    # each column is within gamma~_mn of an exactly orthonormal one (Higham thm 19.4),
    # and forming Q^T Q here adds gamma_m
    h = _householder_gamma(m, n)
    np.testing.assert_allclose(Q.T @ Q, np.eye(q), rtol=0, atol=2 * h + _gamma(m))
    assert np.all(np.tril(R, -1) == 0)
    assert np.all(np.diagonal(R) >= 0)
    # column-wise backward error ||a_j - Q r_j|| <= gamma~_mn ||a_j||, plus Q @ R here
    resid = np.linalg.norm(Q @ R - A, axis=0)
    assert np.all(resid <= (h + np.sqrt(m) * _gamma(n)) * np.linalg.norm(A, axis=0))


@settings(max_examples=40, deadline=None)
@given(shape=shapes, kind=st.sampled_from(["random", "ill_conditioned"]),
       seed=st.integers(0, 2**16))
def test_qr_matches_numpy_up_to_column_signs(shape, kind, seed):
    A = _matrix(np.random.default_rng(seed), *shape, kind)
    Q, R = F.qr_householder(A)
    Q0, R0 = _positive_diag(*np.linalg.qr(A))
    m, n = shape
    r = min(shape)
    # with diag(R) > 0 the factorization is unique. Both are backward stable (||dA||_F <=
    # gamma~_mn ||A||_F each); to first order ||dR||_F <= sqrt(2) kappa ||dA||_F and
    # ||dQ||_F <= sqrt(2) kappa ||dA||_F / ||A||_2 (Higham thm 19.11 and its notes)
    s = np.linalg.svd(A, compute_uv=False)
    kappa = s[0] / s[r - 1]
    dA = 2 * _householder_gamma(m, n) * np.linalg.norm(A)
    assert np.linalg.norm(R - R0) <= 2 * np.sqrt(2) * kappa * dA
    if kind == "random" and m >= n:
        assert np.linalg.norm(Q - Q0) <= 2 * np.sqrt(2) * kappa * dA / s[0]
    # the first column, a_1 / ||a_1||, is determined whatever kappa is
    np.testing.assert_allclose(Q[:, 0], Q0[:, 0], rtol=0,
                               atol=4 * _householder_gamma(m, n) * np.sqrt(m))


def test_qr_edge_cases():
    Q, R = F.qr_householder([[-3]])
    assert Q.item() == -1.0 and R.item() == 3.0
    Q, R = F.qr_householder(np.zeros((4, 2)), mode="complete")
    np.testing.assert_allclose(Q, np.eye(4))
    assert np.all(R == 0)
    Q, R = F.qr_householder(np.arange(6).reshape(1, 6))  # a single row
    assert Q.shape == (1, 1) and R.shape == (1, 6)
    np.testing.assert_allclose(Q @ R, np.arange(6).reshape(1, 6))
    A32 = np.random.default_rng(3).standard_normal((6, 3)).astype(np.float32)
    Q, R = F.qr_householder(A32)
    assert Q.dtype == R.dtype == np.float32
    eps32 = np.finfo(np.float32).eps
    np.testing.assert_allclose(Q.T @ Q, np.eye(3), rtol=0,
                               atol=2 * _householder_gamma(6, 3, eps32) + _gamma(6, eps32))


@pytest.mark.parametrize("scale", [2.0**-1000, 2.0**-600, 2.0**600, 2.0**1000])
def test_factorizations_scale_exactly(scale):
    # LU, QR, Cholesky and bidiagonalization commute with scaling by a power of two, which
    # is exact: the factors must be the scaled factors to the last bit. Squared norms of
    # 2^600-scaled columns overflow and of 2^-600-scaled ones underflow, so a reflection
    # built from ||x|| directly broke down (overflow, or a column taken for zero).
    g = np.random.default_rng(11)
    A = g.standard_normal((6, 4))
    S = A @ A.T + np.eye(6)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        P, Lf, U = F.lu(A * scale)
        Q, R = F.qr_householder(A * scale)
        Lc = F.cholesky(S * scale)  # even exponents: sqrt(scale) is exact
        Ub, B, Vtb = F.golub_kahan_bidiag(A * scale)
    P0, L0, U0 = F.lu(A)
    Q0, R0 = F.qr_householder(A)
    Ub0, B0, Vtb0 = F.golub_kahan_bidiag(A)
    for x, y in [(P, P0), (Lf, L0), (U, U0 * scale), (Q, Q0), (R, R0 * scale),
                 (Lc, F.cholesky(S) * np.sqrt(scale)), (Ub, Ub0), (B, B0 * scale), (Vtb, Vtb0)]:
        np.testing.assert_array_equal(x, y)


def test_qr_bad_input():
    with pytest.raises(ValueError, match="mode must be one of"):
        F.qr_householder(np.eye(2), mode="full")
    with pytest.raises(ValueError, match="A must be a 2-D array"):
        F.qr_householder(np.ones(3))
    with pytest.raises(TypeError, match="dense array"):
        F.qr_householder(sp.eye(3, format="csr"))


# ---------------------------------------------------------------------------
# Cholesky
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n, cond", [(1, 1.0), (5, 10.0), (30, 1e3), (30, 1e12)])
def test_cholesky_matches_numpy(n, cond):
    A = _spd(np.random.default_rng(n), n, cond)
    Lc = F.cholesky(A)
    assert np.all(np.triu(Lc, 1) == 0) and np.all(np.diagonal(Lc) > 0)
    _check_cholesky(A, Lc)


def _check_cholesky(A, Lc):
    """Backward error and agreement with NumPy (LAPACK potrf).

    L L^T = A + dA with |dA| <= gamma_{n+1} |L||L^T| (Higham thm 10.3), the product
    formed here adding as much again; two such factors differ, to first order, by
    ||dL||_F <= 2^{-1/2} kappa(A) ||L||_2 ||dA||_F / ||A||_2 (Higham thm 10.8), with
    ||dA||_F bounded for both factorizations.
    """
    n = A.shape[0]
    eps = np.finfo(A.dtype).eps
    LL = np.abs(Lc) @ np.abs(Lc.T)
    assert np.all(np.abs(Lc @ Lc.T - A) <= 2 * _gamma(n + 1, eps) * LL)
    if A.dtype == np.float64:
        dA = 2 * _gamma(n + 1) * np.linalg.norm(LL)
        bound = 2 * np.linalg.cond(A) * np.linalg.norm(Lc, 2) * dA / np.linalg.norm(A, 2)
        assert np.linalg.norm(Lc - np.linalg.cholesky(A)) <= bound / np.sqrt(2)


def test_cholesky_integer_and_float32():
    np.testing.assert_array_equal(F.cholesky([[4, 2], [2, 5]]), [[2, 0], [1, 2]])  # exact
    A = _spd(np.random.default_rng(0), 6).astype(np.float32)
    Lc = F.cholesky(A)
    assert Lc.dtype == np.float32
    _check_cholesky(A, Lc)


@pytest.mark.parametrize("A, order", [
    ([[0.0]], 1),
    ([[-1.0, 0.0], [0.0, 1.0]], 1),
    ([[1.0, 2.0], [2.0, 1.0]], 2),
    (np.diag([1.0, 1.0, -1.0]), 3),
    ([[1.0, 1.0], [1.0, 1.0]], 2),          # positive semidefinite is not enough
    (np.zeros((3, 3)), 1),
])
def test_cholesky_names_the_failing_minor(A, order):
    with pytest.raises(ValueError, match=f"leading principal minor of order {order} "):
        F.cholesky(A)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 8), seed=st.integers(0, 2**16), data=st.data())
def test_cholesky_fails_exactly_when_numpy_does(n, seed, data):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    signs = np.array(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    lam = signs * rng.uniform(0.1, 10.0, n)  # eigenvalues well away from zero
    A = (Q * lam) @ Q.T
    A = (A + A.T) / 2
    try:
        np.linalg.cholesky(A)
        numpy_ok = True
    except np.linalg.LinAlgError:
        numpy_ok = False
    assert numpy_ok == bool(np.all(lam > 0))
    if numpy_ok:
        _check_cholesky(A, F.cholesky(A))
    else:
        with pytest.raises(ValueError, match="positive definite"):
            F.cholesky(A)


def test_cholesky_bad_input():
    with pytest.raises(ValueError, match="A must be square"):
        F.cholesky(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"A must be symmetric, but A\[0, 1\]"):
        F.cholesky([[2.0, 1.0], [0.0, 2.0]])
    with pytest.raises(ValueError, match="finite"):
        F.cholesky([[1.0, np.nan], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="2-D"):
        F.cholesky(np.ones((2, 2, 2)))
    with pytest.raises(TypeError, match="dense array"):
        F.cholesky(sp.eye(3, format="csr"))
    # rounding-level asymmetry, as from B @ B.T, is accepted
    B = np.random.default_rng(4).standard_normal((5, 5))
    A = B @ B.T + np.eye(5)
    A[0, 1] *= 1 + 4 * EPS
    F.cholesky(A)


# ---------------------------------------------------------------------------
# Power iteration
# ---------------------------------------------------------------------------


def _decaying(m, n, s, seed):
    g = np.random.default_rng(seed)
    U, _ = np.linalg.qr(g.standard_normal((m, len(s))))
    V, _ = np.linalg.qr(g.standard_normal((n, len(s))))
    return (U * s) @ V.T


def _lapack_floor(A):
    """LAPACK's backward error, 10 max(m, n) eps ||A||_2 (Golub & Van Loan 8.6.2)."""
    return 10 * max(A.shape) * EPS * float(np.linalg.norm(np.asarray(A, np.float64), 2))


def test_power_iteration_matches_svd():
    s_true = 0.7 ** np.arange(12)
    A = _decaying(40, 25, s_true, seed=0)
    k, tol = 4, 1e-10
    U, s, Vt, n_iter = F.power_iteration(A, k, tol=tol, random_state=0, return_n_iter=True)
    U0, s0, Vt0 = L.svd(A)
    floor = _lapack_floor(A)
    assert np.all(np.abs(s - s0[:k]) <= _power_bound(A, s0[:k], tol) + floor)
    # Wedin: each vector pair is within an angle ||residual|| / gap of the exact one; the
    # residuals are bounded by tol s_1 plus the floors (both sides, sqrt(k) for the earlier
    # triplets), and LAPACK's own vectors are within floor / gap. Same sign convention,
    # so the vectors agree entrywise.
    res = np.sqrt(k) * (tol * s0[0] + 2 * max(A.shape) * EPS * s0[0]) + floor
    gaps = np.minimum(-np.diff(s0[: k + 1]), np.r_[np.inf, -np.diff(s0[:k])])
    vec = 2 * res / gaps
    assert np.all(np.linalg.norm(U - U0[:, :k], axis=0) <= vec)
    assert np.all(np.linalg.norm(Vt - Vt0[:k], axis=1) <= vec)
    # so the rank-k approximations differ by at most sum_j |ds_j| + 2 s_j (angle of j)
    diff = np.linalg.norm(L.reconstruct(U, s, Vt) - L.low_rank_approx(A, k), 2)
    assert diff <= np.sum(_power_bound(A, s0[:k], tol) + floor + 2 * s0[:k] * vec)
    assert n_iter.dtype.kind == "i" and np.all(n_iter > 1)


def test_power_iteration_rate_depends_on_the_gap():
    # iterations ~ log(tol) / (2 log(s_2 / s_1)): 9.6 at ratio 0.3, 225 at 0.95, a factor
    # 23; the start vector's components shift each count by a few iterations only
    fast = np.diag([1.0, 0.3, 0.1])
    slow = np.diag([1.0, 0.95, 0.1])
    *_, n_fast = F.power_iteration(fast, random_state=1, return_n_iter=True)
    *_, n_slow = F.power_iteration(slow, random_state=1, return_n_iter=True)
    assert n_slow[0] > 5 * n_fast[0]


def test_power_iteration_warns_when_max_iter_is_reached():
    A = np.diag([1.0, 0.999, 0.5])
    with pytest.warns(F.ConvergenceWarning, match="did not converge"):
        _, s, _, n_iter = F.power_iteration(A, max_iter=20, random_state=0,
                                            return_n_iter=True)
    assert n_iter[0] == 20
    # ||A v|| of a unit v lies in [s_3, s_1]; mostly along the top two it exceeds s_2
    assert 0.999 <= s[0] <= 1.0 + 2 * EPS


def test_power_iteration_sparse_and_linear_operator():
    S = sp.random(60, 30, density=0.2, format="csr", random_state=2)
    dense = F.power_iteration(S.toarray(), 3, random_state=3)
    s_ref = np.linalg.svd(S.toarray(), compute_uv=False)[:3]
    bound = _power_bound(S, s_ref, 1e-10)
    for M in (S, aslinearoperator(S)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the gaps are wide enough to converge
            U, s, Vt = F.power_iteration(M, 3, random_state=3)
        # the same iteration with other rounding: both within the bound of the truth
        assert np.all(np.abs(s - dense[1]) <= 2 * bound + 2 * _lapack_floor(S.toarray()))
        assert np.all(np.abs(s - s_ref) <= bound + _lapack_floor(S.toarray()))


def test_power_iteration_reproducible_and_float32():
    A = _decaying(20, 10, 0.5 ** np.arange(10), seed=4)
    a = F.power_iteration(A, 2, random_state=5)
    b = F.power_iteration(A, 2, random_state=np.random.default_rng(5))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    A32 = A.astype(np.float32)
    U, s, Vt = F.power_iteration(A32, 2, random_state=5)
    assert U.dtype == s.dtype == Vt.dtype == np.float32
    s_ref = F.reference_singular_values(A32)[:2]  # the stored float32 matrix, exactly
    assert np.all(np.abs(s - s_ref) <= _power_bound(A32, s_ref, 1e-10))


def test_power_iteration_zero_and_rank_deficient():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        U, s, Vt = F.power_iteration(np.zeros((5, 3)), 3, random_state=0)
        np.testing.assert_array_equal(s, 0)
        np.testing.assert_allclose(U.T @ U, np.eye(3), rtol=0, atol=8 * 3 * EPS)
        A = np.outer([1.0, 2.0, 3.0, 4.0], [1.0, -1.0, 2.0])  # rank one, exactly
        U, s, Vt = F.power_iteration(A, 3, random_state=0)
    s_ref = np.array([np.linalg.norm(A, 2), 0.0, 0.0])
    assert np.all(np.abs(s - s_ref) <= _power_bound(A, s_ref, 1e-10) + [_lapack_floor(A), 0, 0])
    np.testing.assert_allclose(U.T @ U, np.eye(3), rtol=0, atol=8 * 3 * EPS)


def _power_bound(A, s_ref, tol):
    """The accuracy power_iteration promises (its Notes): tol * s_j + 2 max(m, n) eps s_1.

    The stopping rule certifies a backward error of max(tol s_j, max(m, n) eps s_1) per
    triplet, and the final product A v adds rounding of at most the same floor; the work is
    float64 whatever the input dtype, so eps is float64's. A float32 result is then rounded
    once more, by half an ulp of float32 relative to s_j.
    """
    m, n = A.shape
    out_eps = np.finfo(A.dtype).eps / 2 if A.dtype == np.float32 else 0.0
    return (tol + out_eps) * s_ref + 2 * max(m, n) * EPS * s_ref[0]


def _triplet_residuals(A, U, s, Vt):
    """||A^T u_j - s_j v_j|| and ||A v_j - s_j u_j|| in float64, one per triplet."""
    A64, U64, s64, V64 = (np.asarray(x, dtype=np.float64) for x in (A, U, s, Vt.T))
    return (np.linalg.norm(A64.T @ U64 - V64 * s64, axis=0),
            np.linalg.norm(A64 @ V64 - U64 * s64, axis=0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rotated", [False, True])
def test_power_iteration_graded_spectrum_is_sorted_accurate_and_orthonormal(dtype, rotated):
    # sigma = 1, 0.1, 0.01, 0.001 (issue 12): the deflated matrix is never zero here, yet
    # the old zero test (float32's eps on float64 work, applied to the first iterate)
    # stopped unlucky starts after one iteration, returning unsorted, wrong triplets
    s_true = 10.0 ** -np.arange(4)
    for seed in range(40):
        A = (_decaying(4, 4, s_true, seed) if rotated else np.diag(s_true)).astype(dtype)
        s_ref = F.reference_singular_values(A)  # exact values of the stored matrix
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            U, s, Vt = F.power_iteration(A, 4, random_state=seed)
        assert np.all(np.diff(s) <= 0), (seed, s)
        assert np.all(np.abs(s - s_ref) <= _power_bound(A, s_ref, 1e-10)), (seed, s, s_ref)
        # both factors are projected against the earlier vectors, so they are orthonormal
        # to rounding of the output dtype (a few eps per entry of the Gram matrix)
        eps_out = np.finfo(dtype).eps
        np.testing.assert_allclose(Vt @ Vt.T, np.eye(4), rtol=0, atol=8 * eps_out)
        np.testing.assert_allclose(U.T @ U, np.eye(4), rtol=0, atol=8 * eps_out)


@pytest.mark.parametrize("shape, s_true", [
    ((10, 8), np.logspace(0, -12, 8)),
    ((8, 8), np.array([1.0, 3e-7])),
])
def test_power_iteration_small_singular_values_to_absolute_accuracy(shape, s_true):
    # Products with A carry rounding errors of order eps ||A|| = eps s_1, so s_j is found to
    # an absolute accuracy of a few max(m, n) eps s_1, not to a relative one: exactly the
    # bound of the docstring is checked (against exact singular values), nothing stronger.
    # Before issue 12's fix a sigma of 3e-7 came back as ~1e-7 (the first iterate was
    # taken for a zero deflated matrix).
    k = len(s_true)
    for seed in range(10):
        A = _decaying(*shape, s_true, seed)
        s_ref = F.reference_singular_values(A)[:k]
        U, s, Vt = F.power_iteration(A, k, random_state=seed)
        assert np.all(np.abs(s - s_ref) <= _power_bound(A, s_ref, 1e-10)), (seed, s - s_ref)


@pytest.mark.parametrize("tol", [1e-4, 1e-10])
def test_power_iteration_stops_on_the_residual(tol):
    # the stopping rule is the backward error ||A^T u - s v|| <= max(tol s, max(m, n) eps s_1)
    # of each triplet (recomputed here, so one more floor covers the recomputation); then
    # A v_j = s_j u_j holds up to the residuals of the earlier triplets
    A = _decaying(30, 20, np.array([1.0, 0.97, 0.9, 0.5, 0.45, 1e-3]), seed=3)
    U, s, Vt = F.power_iteration(A, 5, tol=tol, random_state=4)
    floor = max(A.shape) * EPS * s[0]
    left, right = _triplet_residuals(A, U, s, Vt)
    bound = np.maximum(tol * s, floor) + floor
    assert np.all(left <= bound), (left, bound)
    earlier = np.sqrt(np.concatenate([[0.0], np.cumsum(bound[:-1] ** 2)]))
    assert np.all(right <= earlier + floor), (right, earlier)
    # Weyl: a backward error r moves a singular value by at most ||r||
    s_ref = np.linalg.svd(A, compute_uv=False)[:5]
    assert np.all(np.abs(s - s_ref) <= bound + earlier + floor)


@pytest.mark.parametrize("scale", [1e-150, 1.0, 1e150])
@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (6, 1), (7, 4), (3, 8)])
def test_power_iteration_any_shape_and_scale_full_rank(shape, scale):
    # k = min(m, n): the last triplet lives in a one-dimensional complement; huge and
    # tiny scales must neither overflow (no s^2 is formed) nor stop early (the floor
    # scales with s_1)
    rng = np.random.default_rng(sum(shape))
    A = rng.standard_normal(shape) * scale
    k = min(shape)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        U, s, Vt = F.power_iteration(A, k, random_state=0)
    s_ref = np.linalg.svd(A, compute_uv=False)
    # the gaps of a random matrix are not tiny, so tol = 1e-10 holds; LAPACK's own
    # error is another max(m, n) eps s_1
    bound = _power_bound(A, s_ref, 1e-10) + max(shape) * EPS * s_ref[0]
    assert np.all(np.abs(s - s_ref) <= bound)
    assert np.all(Vt[np.arange(k), np.argmax(np.abs(Vt), axis=1)] > 0)


@settings(max_examples=60, deadline=None)
@given(shape=shapes, kind=kinds, seed=st.integers(0, 2**16))
@example(shape=(5, 3), kind="integer", seed=141)  # s_2/s_1 = 0.990, s_3/s_2 = 0.59: warns
def test_power_iteration_all_triplets_property(shape, kind, seed):
    # every triplet of random, cond-1e12, rank-deficient and integer matrices: sorted,
    # orthonormal factors, and the documented bound against LAPACK (whose own error is
    # another max(m, n) eps s_1). A warning is allowed only where a gap is tiny.
    A = _matrix(np.random.default_rng(seed), *shape, kind)
    k = min(shape)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        U, s, Vt = F.power_iteration(A, k, random_state=seed)
    assert np.all(np.diff(s) <= 0)
    np.testing.assert_allclose(U.T @ U, np.eye(k), rtol=0, atol=8 * k * EPS)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(k), rtol=0, atol=8 * k * EPS)
    s_ref = np.linalg.svd(A, compute_uv=False)
    if caught:
        assert all(issubclass(w.category, F.ConvergenceWarning) for w in caught)
        # some triplet's gap is too small for max_iter = 1000 steps of A^T A to resolve:
        # (s_{j+1}/s_j)^2000 > 1e-9 (equal zeros count as no gap)
        ratio = np.divide(s_ref[1:], s_ref[:-1], out=np.ones(k - 1), where=s_ref[:-1] > 0)
        assert ratio.size and ratio.max() ** 2000 > 1e-9, s_ref
    else:
        bound = _power_bound(A, s_ref, 1e-10) + max(shape) * EPS * s_ref[0]
        assert np.all(np.abs(s - s_ref) <= bound)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_power_iteration_rank_deficient(dtype):
    # rank 2 in float64, asked for 4 triplets: the last two deflated matrices are zero to
    # rounding and must be recognized at once (no warning, a few iterations), with the
    # vectors completed orthonormally. Rounded to float32 the same matrix has full rank,
    # with singular values ~ eps_32 s_1 that the float64 work resolves like any other.
    # (The same seed draws A and the start vectors, so for seed 16 a start vector lies
    # in the row space: projected once or twice it is noise, not orthogonal to V.)
    for seed in range(20):
        g = np.random.default_rng(seed)
        A = (g.standard_normal((9, 2)) @ g.standard_normal((2, 6))).astype(dtype)
        s_ref = F.reference_singular_values(A)[:4]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            U, s, Vt, n_iter = F.power_iteration(A, 4, random_state=seed, return_n_iter=True)
        assert np.all(np.abs(s - s_ref) <= _power_bound(A, s_ref, 1e-10)), (seed, s, s_ref)
        if dtype == np.float64:
            assert np.all(n_iter[2:] == 1), n_iter
        eps_out = np.finfo(dtype).eps
        np.testing.assert_allclose(U.T @ U, np.eye(4), rtol=0, atol=8 * eps_out)
        np.testing.assert_allclose(Vt @ Vt.T, np.eye(4), rtol=0, atol=8 * eps_out)


def test_power_iteration_bad_input():
    A = np.eye(3)
    with pytest.raises(ValueError, match="k must be an integer in 1..3"):
        F.power_iteration(A, 4)
    with pytest.raises(ValueError, match="tol must be in"):
        F.power_iteration(A, tol=0.0)
    with pytest.raises(ValueError, match="max_iter must be an integer in 1"):
        F.power_iteration(A, max_iter=0)
    with pytest.raises(TypeError, match="random_state"):
        F.power_iteration(A, random_state="seed")
    with pytest.raises(ValueError, match="finite"):
        F.power_iteration(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match="2-D"):
        F.power_iteration(np.ones(3))


# ---------------------------------------------------------------------------
# One-sided Jacobi and the exact reference
# ---------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(shape=shapes, kind=kinds, seed=st.integers(0, 2**16))
def test_jacobi_svd_matches_lapack(shape, kind, seed):
    A = _matrix(np.random.default_rng(seed), *shape, kind)
    r = min(shape)
    U, s, Vt, n_sweeps = F.jacobi_svd(A, return_n_sweeps=True)
    assert U.shape == (shape[0], r) and s.shape == (r,) and Vt.shape == (r, shape[1])
    _jacobi_checks(A, U, s, Vt, n_sweeps)
    idx = np.argmax(np.abs(Vt), axis=1)
    assert np.all(Vt[np.arange(r), idx] > 0)  # the package's sign convention


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_jacobi_svd_high_relative_accuracy_on_graded_matrices(seed):
    # A = B D with B well conditioned and D scrambled column scales down to 1e-12: one-sided
    # Jacobi finds every singular value to a relative error of O(n eps kappa(B)) (Demmel &
    # Veselic 1992, for one-sided Jacobi, B the column-normalized A), while
    # bidiagonalization guarantees only the absolute 10 max(m, n) eps s_1, which allows the
    # smallest values to lose most of their digits. (Chapter 4 measures the two-sided case.)
    g = np.random.default_rng(seed)
    A = g.standard_normal((7, 6)) * g.permutation(np.logspace(0, -12, 6))
    ref = F.reference_singular_values(A)
    B = A / np.linalg.norm(A, axis=0)
    kappa_B = np.linalg.cond(B)
    U, s, Vt = F.jacobi_svd(A)
    assert np.all(np.abs(s - ref) <= 10 * 7 * EPS * kappa_B * ref), np.abs(s - ref) / ref
    # what LAPACK may lose here, against what Jacobi guarantees
    assert _lapack_floor(A) / ref[-1] > 1e6 * 10 * 7 * EPS * kappa_B
    assert np.all(np.abs(np.linalg.svd(A, compute_uv=False) - ref) <= _lapack_floor(A))


def test_reference_singular_values_exact_cases():
    # the bisection brackets each eigenvalue of A^T A to one ulp, and the square root adds
    # half an ulp: a few eps relative, 4 eps allowed
    np.testing.assert_allclose(F.reference_singular_values([[3, 0], [4, 5]]) ** 2, [45, 5],
                               rtol=4 * EPS)
    # a scrambled diagonal: the singular values are the |entries|, down to 1e-120
    d = np.array([1.0, 3e-5, 2e-40, 7e-120])
    A = np.zeros((5, 4))
    A[[2, 0, 4, 1], [3, 1, 0, 2]] = d * [1, -1, 1, -1]
    np.testing.assert_allclose(F.reference_singular_values(A), d, rtol=4 * EPS)
    np.testing.assert_allclose(F.jacobi_svd(A)[1], d, rtol=4 * EPS)
    np.testing.assert_array_equal(F.reference_singular_values(np.zeros((2, 3))), [0, 0])
    np.testing.assert_allclose(F.reference_singular_values([[1.0, 2.0], [2.0, 4.0]]), [5, 0],
                               rtol=4 * EPS, atol=0)
    B = np.random.default_rng(5).standard_normal((4, 7))  # wide
    ref = F.reference_singular_values(B)
    assert np.all(np.abs(ref - np.linalg.svd(B, compute_uv=False)) <= _lapack_floor(B) + 4 * EPS * ref)
    with pytest.raises(ValueError, match="small"):
        F.reference_singular_values(np.ones((20, 13)))


def test_jacobi_svd_edge_cases():
    U, s, Vt = F.jacobi_svd([[-2]])
    assert (U.item(), s.item(), Vt.item()) == (-1.0, 2.0, 1.0)
    A = np.zeros((4, 3))
    A[:, 1] = [1.0, 2.0, 2.0, 0.0]  # zero columns: U is completed to orthonormal
    U, s, Vt, sweeps = F.jacobi_svd(A, return_n_sweeps=True)
    np.testing.assert_array_equal(s, [3.0, 0.0, 0.0])  # nothing to rotate: exact norms
    _jacobi_checks(A, U, s, Vt, sweeps)
    U, s, Vt, sweeps = F.jacobi_svd(np.eye(5), return_n_sweeps=True)
    assert sweeps == 1  # already orthogonal: one sweep finds nothing to rotate
    A32 = np.random.default_rng(6).standard_normal((7, 5)).astype(np.float32)
    U, s, Vt, sweeps = F.jacobi_svd(A32, return_n_sweeps=True)
    assert s.dtype == np.float32
    _jacobi_checks(A32, U, s, Vt, sweeps)


def _jacobi_checks(A, U, s, Vt, n_sweeps):
    """Orthonormal factors, sorted values, backward error and agreement with LAPACK.

    A column takes part in n_sweeps (n - 1) rotations, each adding at most about
    4 eps (|c| ||g_p|| + |s| ||g_q||) (two products, a sum, the rounding of c and s), so
    ||U diag(s) V^T - A||_F <= 4 n_sweeps max(m, n) eps ||A||_F (the worst-case sum;
    Demmel & Veselic 1992 give the column-wise form); V, a product of as many rotations,
    is orthogonal to the same relative level. U's columns are orthogonal to the stopping
    tolerance max(m, n) eps (plus a few eps of normalization), and LAPACK's values are
    within its floor of the truth.
    """
    A = np.asarray(A)
    A = A.astype(np.float64) if A.dtype.kind != "f" else A  # integers are read as float64
    m, n = A.shape
    r = min(m, n)
    eps = np.finfo(A.dtype).eps
    normF = float(np.linalg.norm(A.astype(np.float64)))
    backward = 4 * n_sweeps * max(m, n) * eps
    assert np.all(np.diff(s) <= 0)
    np.testing.assert_allclose(U.T @ U, np.eye(r), rtol=0, atol=(max(m, n) + 8 * r) * eps)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(r), rtol=0, atol=backward)
    assert np.linalg.norm(L.reconstruct(U, s, Vt) - A) <= backward * normF
    s_ref = np.linalg.svd(A.astype(np.float64), compute_uv=False)
    lapack = 10 * max(m, n) * eps * s_ref[0]
    assert np.all(np.abs(s - s_ref) <= backward * normF + lapack)


@pytest.mark.parametrize("A", [
    [[1, 2, 3], [1, 2, 3], [2, 5, 6]],                    # issue 12: two equal rows
    [[1, 2, 3], [4, 5, 6], [7, 8, 9]],                    # rank 2, no equal rows
    np.outer([1.0, 2.0, 3.0, 4.0], [1.0, -1.0, 2.0]),     # rank one
    np.outer(np.arange(1.0, 8.0), np.arange(1.0, 6.0)) + np.outer(np.ones(7), [1, 0, 1, 0, 1]),
    [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]],  # equal columns and a zero column
    np.zeros((4, 3)),
    np.zeros((2, 5)),
    [[0.0, 3.0], [0.0, 4.0]],                             # a zero column first
    np.tile([[1.0, 2.0], [3.0, 4.0]], (3, 3)),            # 6x6 of rank 2
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("transpose", [False, True])
def test_jacobi_svd_singular_matrices_converge_without_warnings(A, dtype, transpose):
    # A column that rotations have shrunk to its own rounding error is noise: its cosine
    # with any other column is meaningless, so rotating it never converged (50 sweeps, a
    # ConvergenceWarning and 60 'overflow in divide' on the first matrix). It is skipped,
    # and its left vector completed orthonormally.
    A = np.array(A, dtype=dtype)
    A = A.T if transpose else A
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        U, s, Vt, n_sweeps = F.jacobi_svd(A, return_n_sweeps=True)
    assert n_sweeps <= 8, n_sweeps  # quadratic convergence: a handful of sweeps
    _jacobi_checks(A, U, s, Vt, n_sweeps)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("shape, rank", [((8, 6), 3), ((6, 6), 5), ((12, 4), 1), ((5, 9), 2)])
def test_jacobi_svd_rank_deficient_random(seed, shape, rank):
    g = np.random.default_rng(seed)
    A = g.standard_normal((shape[0], rank)) @ g.standard_normal((rank, shape[1]))
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        U, s, Vt, n_sweeps = F.jacobi_svd(A, return_n_sweeps=True)
    assert n_sweeps <= 10, n_sweeps
    _jacobi_checks(A, U, s, Vt, n_sweeps)
    assert np.all(s[rank:] <= 4 * n_sweeps * max(shape) * EPS * np.linalg.norm(A))


@pytest.mark.parametrize("scale", [2.0**-1000, 2.0**-600, 2.0**600, 2.0**1000])
def test_jacobi_svd_huge_and_tiny_scales(scale):
    # squared column norms of data scaled by 2^600 (~1e180) overflow, by 2^-600 underflow:
    # the work is scaled by a power of two (exact), so the answer is the scaled answer to
    # the last bit
    A = np.random.default_rng(9).standard_normal((7, 5))
    U1, s1, Vt1 = F.jacobi_svd(A)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        U, s, Vt = F.jacobi_svd(A * scale)
    np.testing.assert_array_equal(s, s1 * scale)
    np.testing.assert_array_equal(U, U1)
    np.testing.assert_array_equal(Vt, Vt1)


def test_jacobi_svd_keeps_relative_accuracy_of_tiny_columns():
    # A = B D with columns scaled down to 1e-40: far below eps ||A||_F, yet meaningful,
    # since the rounding error a column carries is relative to its own history, not to
    # ||A||_F. Skipping them by an eps ||A||_F threshold would return their norms instead
    # of the singular values (wrong in the first digit here, where the columns of B are
    # far from orthogonal); Jacobi gets each value to a few eps * cond(B).
    g = np.random.default_rng(10)
    B = g.standard_normal((6, 5))
    B[:, 1:] += 3 * B[:, :1]  # columns of B at ~20 degrees from the first
    B /= np.linalg.norm(B, axis=0)
    A = B * np.array([1.0, 1e-10, 1e-20, 1e-30, 1e-40])
    ref = F.reference_singular_values(A)
    U, s, Vt = F.jacobi_svd(A)
    cond_B = np.linalg.cond(B)
    assert np.all(np.abs(s - ref) <= 10 * 6 * EPS * cond_B * ref), np.abs(s - ref) / ref
    naive = np.linalg.norm(A, axis=0)
    assert np.max(np.abs(naive[1:] - ref[1:]) / ref[1:]) > 0.1  # what skipping would give


def test_jacobi_svd_warns_and_rejects_bad_input():
    A = np.random.default_rng(7).standard_normal((20, 10))
    with pytest.warns(F.ConvergenceWarning, match="max_sweeps=1"):
        F.jacobi_svd(A, max_sweeps=1)
    with pytest.raises(ValueError, match="tol must be in"):
        F.jacobi_svd(A, tol=-1.0)
    with pytest.raises(ValueError, match="max_sweeps must be an integer in 1"):
        F.jacobi_svd(A, max_sweeps=0)
    with pytest.raises(ValueError, match="finite"):
        F.jacobi_svd([[np.nan]])
    with pytest.raises(TypeError, match="dense array"):
        F.jacobi_svd(sp.eye(3, format="csr"))


# ---------------------------------------------------------------------------
# Golub-Kahan bidiagonalization
# ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(shape=shapes, kind=kinds, seed=st.integers(0, 2**16))
def test_bidiagonalization(shape, kind, seed):
    A = _matrix(np.random.default_rng(seed), *shape, kind)
    m, n = shape
    r = min(m, n)
    U, B, Vt = F.golub_kahan_bidiag(A)
    assert U.shape == (m, r) and B.shape == (r, r) and Vt.shape == (r, n)
    assert np.all(np.triu(B, 2) == 0) and np.all(np.tril(B, -1) == 0), "upper bidiagonal"
    assert np.all(B >= 0)
    # at most 3 r Householder reflections of vectors of length <= max(m, n) (a QR of A^T
    # first when A is wide, then r from the left and r - 2 from the right): each factor
    # and the product are within gamma~ of exact (Higham thm 19.4, applied per side)
    h = _householder_gamma(max(m, n), 3 * r)
    np.testing.assert_allclose(U.T @ U, np.eye(r), rtol=0, atol=2 * h + _gamma(m))
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(r), rtol=0, atol=2 * h + _gamma(n))
    normF = np.linalg.norm(A)
    assert np.linalg.norm(U @ B @ Vt - A) <= (h + 2 * _gamma(r) * np.sqrt(r)) * normF
    # Weyl: the singular values of B are those of A + dA, ||dA||_2 <= h ||A||_F; LAPACK
    # computes both sets within its floor
    sB, sA = np.linalg.svd(B, compute_uv=False), np.linalg.svd(A, compute_uv=False)
    assert np.all(np.abs(sB - sA) <= h * normF + _lapack_floor(A) + _lapack_floor(B))


def test_bidiagonalization_first_right_vector_is_e1():
    # the reflections from the right never touch column 0, so V e_1 = e_1 and then
    # B^T B is the tridiagonal Lanczos matrix of A^T A started from e_1
    A = np.random.default_rng(8).standard_normal((9, 6))
    U, B, Vt = F.golub_kahan_bidiag(A)
    np.testing.assert_array_equal(Vt[:, 0], np.eye(6)[0])  # untouched: exactly e_1
    # V^T A^T A V = B^T B up to the backward error dA of the reduction (2 ||A|| ||dA||)
    # and the rounding of the four products formed here
    T = Vt @ A.T @ A @ Vt.T
    h = _householder_gamma(9, 3 * 6)
    normA = np.linalg.norm(A, 2)
    assert np.linalg.norm(T - B.T @ B) <= (2 * h * np.linalg.norm(A) + 4 * _gamma(9)) * normA
    assert np.all(np.triu(B.T @ B, 2) == 0)  # a product of bidiagonals: exact zeros


def test_bidiagonalization_edge_cases_and_bad_input():
    U, B, Vt = F.golub_kahan_bidiag([[-4]])
    assert B.item() == 4.0 and U.item() * Vt.item() == -1.0
    U, B, Vt = F.golub_kahan_bidiag(np.zeros((3, 5)))
    assert np.all(B == 0) and U.shape == (3, 3) and Vt.shape == (3, 5)
    U, B, Vt = F.golub_kahan_bidiag(np.array([[1, 2, 2]]))  # 1x3 integer
    np.testing.assert_allclose(B, [[3.0]])
    with pytest.raises(ValueError, match="2-D"):
        F.golub_kahan_bidiag(np.ones(4))
    with pytest.raises(ValueError, match="not be empty"):
        F.golub_kahan_bidiag(np.ones((0, 3)))
