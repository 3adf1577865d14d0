"""svdlab.linalg (chapters 1-2) against numpy.linalg / scipy.linalg."""

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

from svdlab import linalg as L

EPS = np.finfo(np.float64).eps


def _matrix(rng, m, n, kind, dtype=np.float64):
    if kind == "random":
        A = rng.standard_normal((m, n))
    elif kind == "rank_deficient":
        r = max(1, min(m, n) // 2)
        A = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
    elif kind == "ill_conditioned":
        r = min(m, n)
        U, _ = np.linalg.qr(rng.standard_normal((m, r)))
        V, _ = np.linalg.qr(rng.standard_normal((n, r)))
        A = (U * np.logspace(0, -10, r)) @ V.T
    else:
        raise ValueError(kind)
    return A.astype(dtype)


shapes = st.tuples(st.integers(1, 12), st.integers(1, 12))
kinds = st.sampled_from(["random", "rank_deficient", "ill_conditioned"])
dtypes = st.sampled_from([np.float64, np.float32])


@settings(max_examples=60, deadline=None)
@given(shape=shapes, kind=kinds, dtype=dtypes, seed=st.integers(0, 2**16))
def test_svd_matches_lapack(shape, kind, dtype, seed):
    rng = np.random.default_rng(seed)
    A = _matrix(rng, *shape, kind, dtype)
    U, s, Vt = L.svd(A)
    r = min(shape)
    eps = np.finfo(dtype).eps
    tol = 50 * max(shape) * eps * max(1.0, float(np.abs(A).max()))
    assert U.shape == (shape[0], r) and s.shape == (r,) and Vt.shape == (r, shape[1])
    assert U.dtype == dtype and s.dtype == dtype
    np.testing.assert_allclose(s, np.linalg.svd(A, compute_uv=False), atol=tol)
    np.testing.assert_allclose(L.reconstruct(U, s, Vt), A, atol=tol)
    np.testing.assert_allclose(U.T @ U, np.eye(r), atol=100 * r * eps)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(r), atol=100 * r * eps)
    assert np.all(np.diff(s) <= tol)
    # the sign convention: the largest-magnitude entry of each row of Vt is positive
    idx = np.argmax(np.abs(Vt), axis=1)
    assert np.all(Vt[np.arange(r), idx] > 0)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)])
def test_full_matrices(shape):
    A = np.random.default_rng(0).standard_normal(shape)
    U, s, Vt = L.svd(A, full_matrices=True)
    assert U.shape == (shape[0], shape[0]) and Vt.shape == (shape[1], shape[1])
    np.testing.assert_allclose(U.T @ U, np.eye(shape[0]), atol=1e-12)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(shape[1]), atol=1e-12)
    S = np.zeros(shape)
    S[: len(s), : len(s)] = np.diag(s)
    np.testing.assert_allclose(U @ S @ Vt, A, atol=1e-12)


def test_svd_is_deterministic_under_sign_flips():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 4))
    U1, s1, Vt1 = L.svd(A)
    U2, s2, Vt2 = L.svd(A.copy())
    np.testing.assert_array_equal(U1, U2)
    # flipping the input's sign flips U, not V (Vt's convention pins the sign)
    U3, s3, Vt3 = L.svd(-A)
    np.testing.assert_allclose(Vt3, Vt1, atol=1e-12)
    np.testing.assert_allclose(U3, -U1, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16), data=st.data())
def test_eckart_young(shape, seed, data):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal(shape)
    k = data.draw(st.integers(1, min(shape)))
    Ak = L.low_rank_approx(A, k)
    s = np.linalg.svd(A, compute_uv=False)
    assert np.linalg.matrix_rank(Ak) <= k
    tail = s[k:]
    np.testing.assert_allclose(np.linalg.norm(A - Ak, 2), tail[0] if tail.size else 0,
                               atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(A - Ak), np.sqrt(np.sum(tail**2)), atol=1e-10)
    # no random rank-k matrix does better
    B = rng.standard_normal((shape[0], k)) @ rng.standard_normal((k, shape[1]))
    assert np.linalg.norm(A - B) >= np.linalg.norm(A - Ak) - 1e-12


def test_truncate_and_rank_one_terms():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((7, 5))
    T = L.rank_one_terms(A)
    assert T.shape == (5, 7, 5)
    np.testing.assert_allclose(T.sum(axis=0), A, atol=1e-12)
    s = np.linalg.svd(A, compute_uv=False)
    np.testing.assert_allclose(np.linalg.norm(T, axis=(1, 2)), s, atol=1e-12)
    assert all(np.linalg.matrix_rank(t) == 1 for t in T)
    np.testing.assert_allclose(L.rank_one_terms(A, 2).sum(axis=0), L.low_rank_approx(A, 2),
                               atol=1e-12)
    Uk, sk, Vtk = L.truncate(*L.svd(A), 3)
    assert Uk.shape == (7, 3) and sk.shape == (3,) and Vtk.shape == (3, 5)


def test_norms_condition_energy():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6, 4))
    s = L.svd(A)[1]
    n = L.matrix_norms(s)
    assert n.spectral == pytest.approx(np.linalg.norm(A, 2))
    assert n.frobenius == pytest.approx(np.linalg.norm(A, "fro"))
    assert n.nuclear == pytest.approx(np.linalg.norm(A, "nuc"))
    assert L.condition_number(s) == pytest.approx(np.linalg.cond(A))
    e = L.energy(s)
    assert e[-1] == pytest.approx(1.0) and np.all(np.diff(e) >= 0)
    for f in (0.1, 0.5, 0.9, 0.99, 1.0):
        k = L.rank_for_energy(s, f)
        assert e[k - 1] >= f - 1e-12 and (k == 1 or e[k - 2] < f)


def test_effective_rank_properties():
    assert L.effective_rank([5.0]) == pytest.approx(1.0)
    assert L.effective_rank([2.0, 2.0, 2.0, 2.0]) == pytest.approx(4.0)
    assert L.effective_rank([3.0, 3.0, 0.0]) == pytest.approx(2.0)
    s = np.sort(np.random.default_rng(4).random(10))[::-1]
    er = L.effective_rank(s)
    assert 1.0 <= er <= 10.0
    # scale invariant
    assert L.effective_rank(7 * s) == pytest.approx(er)
    with pytest.raises(ValueError, match="zero"):
        L.effective_rank([0.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numerical_rank_matches_numpy(dtype):
    rng = np.random.default_rng(5)
    for r in (1, 3, 5):
        A = (rng.standard_normal((8, r)) @ rng.standard_normal((r, 6))).astype(dtype)
        s = L.svd(A)[1]
        assert L.numerical_rank(s, shape=A.shape) == np.linalg.matrix_rank(A) == r
    assert L.numerical_rank([1.0, 0.5, 1e-3], tol=1e-2) == 2


@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (6, 6)])
@pytest.mark.parametrize("kind", ["random", "rank_deficient", "ill_conditioned"])
def test_pinv_and_lstsq_match_numpy(shape, kind):
    rng = np.random.default_rng(6)
    A = _matrix(rng, *shape, kind)
    P = L.pinv(A)
    # Tolerances from rounding analysis: a backward-stable SVD perturbs A by
    # ~ n eps ||A||, which moves A+ by ~ n eps kappa ||A+|| and leaves the Penrose
    # residuals at ~ n eps kappa times their scale (kappa over the kept singular values).
    s = np.linalg.svd(A, compute_uv=False)
    kept = s[s > max(shape) * EPS * s[0]]
    kappa, normA, normP = kept[0] / kept[-1], kept[0], 1.0 / kept[-1]
    c = 10 * max(shape) * EPS * kappa
    assert np.linalg.norm(P - np.linalg.pinv(A), 2) <= c * normP
    # Moore-Penrose conditions
    assert np.linalg.norm(A @ P @ A - A, 2) <= c * normA
    assert np.linalg.norm(P @ A @ P - P, 2) <= c * normP
    b = rng.standard_normal(shape[0])
    res = L.lstsq(A, b)
    ref, _, rank, _ = np.linalg.lstsq(A, b, rcond=None)
    assert res.rank == rank
    # backward stability of the least-squares solve: the normal-equations residual is
    # at the rounding level of ||A|| (||A|| ||x|| + ||b||), whatever kappa is ...
    r = b - A @ res.x
    scale = normA * (normA * np.linalg.norm(res.x) + np.linalg.norm(b))
    assert np.linalg.norm(A.T @ r) <= 10 * max(shape) * EPS * scale
    # ... while two stable solvers may differ by the problem's own sensitivity,
    # ~ eps (kappa ||x|| + kappa^2 ||r|| / ||A||) (Golub & Van Loan, thm 5.3.1)
    sens = 10 * max(shape) * EPS * (kappa * np.linalg.norm(ref)
                                    + kappa**2 * np.linalg.norm(b - A @ ref) / normA)
    assert np.linalg.norm(res.x - ref) <= sens
    assert np.linalg.norm(res.x - P @ b) <= sens
    B = rng.standard_normal((shape[0], 3))
    resB = L.lstsq(A, B)
    assert resB.x.shape == (shape[1], 3) and resB.residual_norm.shape == (3,)


def test_pinv_of_zero_matrix():
    np.testing.assert_array_equal(L.pinv(np.zeros((2, 3))), np.zeros((3, 2)))


def test_svd_via_eig_agrees_when_well_conditioned_and_loses_digits_when_not():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((30, 10))
    U, s, Vt = L.svd_via_eig(A)
    np.testing.assert_allclose(s, L.svd(A)[1], rtol=1e-10)
    np.testing.assert_allclose(L.reconstruct(U, s, Vt), A, atol=1e-10)
    Uw, sw, Vtw = L.svd_via_eig(A.T)
    np.testing.assert_allclose(sw, s, rtol=1e-10)
    np.testing.assert_allclose(L.reconstruct(Uw, sw, Vtw), A.T, atol=1e-10)
    # graded spectrum down to 1e-12: the Gram matrix squares it below eps
    Q1, _ = np.linalg.qr(rng.standard_normal((30, 10)))
    Q2, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    s_true = np.logspace(0, -12, 10)
    B = (Q1 * s_true) @ Q2.T
    rel_svd = np.abs(L.svd(B)[1] - s_true) / s_true
    rel_eig = np.abs(L.svd_via_eig(B)[1] - s_true) / s_true
    assert rel_svd.max() < 1e-3
    assert rel_eig[-1] > 1e-2  # the smallest singular value is lost


def test_svd_via_eig_rank_deficient_gives_orthonormal_U():
    A = np.outer(np.arange(1.0, 6.0), [1.0, 2.0, 3.0])
    U, s, Vt = L.svd_via_eig(A)
    np.testing.assert_allclose(U.T @ U, np.eye(3), atol=1e-10)
    np.testing.assert_allclose(L.reconstruct(U, s, Vt), A, atol=1e-10)


def test_agrees_with_scipy_svd_values_on_big_range():
    A = np.vander(np.linspace(0, 1, 12), 8)
    np.testing.assert_allclose(L.svd(A)[1], sla.svdvals(A), rtol=1e-12)


# ---- bad input: every public function names the argument -------------------------------
GOOD = np.arange(12.0).reshape(4, 3) + np.eye(4, 3)
MATRIX_FUNCS = {
    "svd": lambda A: L.svd(A),
    "low_rank_approx": lambda A: L.low_rank_approx(A, 1),
    "rank_one_terms": lambda A: L.rank_one_terms(A),
    "pinv": lambda A: L.pinv(A),
    "lstsq": lambda A: L.lstsq(A, np.ones(4)),
    "svd_via_eig": lambda A: L.svd_via_eig(A),
}
BAD = {
    "nan": (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError),
    "inf": (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError),
    "empty": (np.zeros((0, 2)), ValueError),
    "1-D": (np.ones(4), ValueError),
    "3-D": (np.ones((2, 2, 2)), ValueError),
    "strings": (np.array([["a", "b"], ["c", "d"]]), TypeError),
    "complex": (np.eye(2) * 1j, TypeError),
}


@pytest.mark.parametrize("func", list(MATRIX_FUNCS))
@pytest.mark.parametrize("case", list(BAD))
def test_matrix_functions_reject_bad_input(func, case):
    bad, exc = BAD[case]
    with pytest.raises(exc, match="^A "):
        MATRIX_FUNCS[func](bad)


@pytest.mark.parametrize("func", [L.matrix_norms, L.condition_number, L.energy,
                                  L.effective_rank, L.numerical_rank,
                                  lambda s: L.rank_for_energy(s, 0.9)])
@pytest.mark.parametrize("bad, exc", [([np.nan, 1.0], ValueError), ([], ValueError),
                                      ([[1.0]], ValueError), ([1.0, 2.0], ValueError),
                                      ([1.0, -1.0], ValueError), (["a"], TypeError)])
def test_singular_value_functions_reject_bad_input(func, bad, exc):
    with pytest.raises(exc, match="^s "):
        func(bad)


@pytest.mark.parametrize("k, exc", [(0, ValueError), (4, ValueError), (1.5, TypeError)])
def test_rank_errors(k, exc):
    with pytest.raises(exc, match="^k "):
        L.low_rank_approx(GOOD, k)
    with pytest.raises(exc, match="^k "):
        L.truncate(*L.svd(GOOD), k)


def test_other_argument_errors():
    with pytest.raises(ValueError, match="^b "):
        L.lstsq(GOOD, np.ones(3))
    with pytest.raises(ValueError, match="^rcond "):
        L.pinv(GOOD, rcond=-1.0)
    with pytest.raises(ValueError, match="^fraction "):
        L.rank_for_energy([2.0, 1.0], 0.0)
    with pytest.raises(ValueError, match="^tol "):
        L.numerical_rank([2.0, 1.0], tol=-1.0)
    with pytest.raises(ValueError, match="^U "):
        L.reconstruct(np.ones((3, 2)), np.ones(3), np.ones((3, 3)))
