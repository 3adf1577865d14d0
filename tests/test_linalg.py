"""svdlab.linalg (chapters 1-2) against numpy.linalg / scipy.linalg."""

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

from svdlab import linalg as L

EPS = np.finfo(np.float64).eps


def _svd_floor(A):
    """Error allowed to a backward-stable SVD (LAPACK's gesdd/gesvd): the computed
    factors are exact for A + E with ||E||_2 <= p(m, n) eps ||A||_2, p a modest multiple
    of max(m, n) (Golub & Van Loan, section 8.6.2), taken as 10 max(m, n). By Weyl's
    inequality every singular value moves by at most ||E||_2; reconstruction and
    orthogonality errors are of the same order. Two such SVDs (ours and NumPy's, which
    may come from different LAPACK builds) differ by twice that."""
    eps = np.finfo(A.dtype).eps
    return 10 * max(A.shape) * eps * float(np.linalg.norm(A.astype(np.float64), 2))


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
    tol = _svd_floor(A)
    assert U.shape == (shape[0], r) and s.shape == (r,) and Vt.shape == (r, shape[1])
    assert U.dtype == dtype and s.dtype == dtype
    np.testing.assert_allclose(s, np.linalg.svd(A, compute_uv=False), rtol=0, atol=2 * tol)
    assert np.linalg.norm(L.reconstruct(U, s, Vt) - A, 2) <= tol
    # orthonormal to p(m, n) eps: the same modest multiple, relative to 1
    np.testing.assert_allclose(U.T @ U, np.eye(r), rtol=0, atol=10 * max(shape) * eps)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(r), rtol=0, atol=10 * max(shape) * eps)
    assert np.all(np.diff(s) <= 0)  # LAPACK sorts
    # the sign convention: the largest-magnitude entry of each row of Vt is positive
    idx = np.argmax(np.abs(Vt), axis=1)
    assert np.all(Vt[np.arange(r), idx] > 0)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)])
def test_full_matrices(shape):
    A = np.random.default_rng(0).standard_normal(shape)
    U, s, Vt = L.svd(A, full_matrices=True)
    assert U.shape == (shape[0], shape[0]) and Vt.shape == (shape[1], shape[1])
    np.testing.assert_allclose(U.T @ U, np.eye(shape[0]), rtol=0, atol=10 * max(shape) * EPS)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(shape[1]), rtol=0, atol=10 * max(shape) * EPS)
    S = np.zeros(shape)
    S[: len(s), : len(s)] = np.diag(s)
    assert np.linalg.norm(U @ S @ Vt - A, 2) <= _svd_floor(A)


def test_svd_is_deterministic_under_sign_flips():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 4))
    U1, s1, Vt1 = L.svd(A)
    U2, s2, Vt2 = L.svd(A.copy())
    np.testing.assert_array_equal(U1, U2)
    # flipping the input's sign flips U, not V (Vt's convention pins the sign); each
    # vector is determined to ~ ||E|| / gap (Wedin), E the backward error of each SVD
    U3, s3, Vt3 = L.svd(-A)
    vec_tol = 2 * _svd_floor(A) / np.min(np.abs(np.diff(np.append(s1, 0.0))))
    np.testing.assert_allclose(Vt3, Vt1, rtol=0, atol=vec_tol)
    np.testing.assert_allclose(U3, -U1, rtol=0, atol=vec_tol)


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
    # A_k is the truncation of an SVD exact for A + E: its errors are off by at most
    # ||E|| (in the 2-norm; sqrt(r) ||E||_2 in Frobenius), plus the same again for the
    # reference values and the norms computed here
    tol = 3 * _svd_floor(A)
    np.testing.assert_allclose(np.linalg.norm(A - Ak, 2), tail[0] if tail.size else 0,
                               rtol=0, atol=tol)
    np.testing.assert_allclose(np.linalg.norm(A - Ak), np.sqrt(np.sum(tail**2)), rtol=0,
                               atol=np.sqrt(min(shape)) * tol)
    # no random rank-k matrix does better
    B = rng.standard_normal((shape[0], k)) @ rng.standard_normal((k, shape[1]))
    assert np.linalg.norm(A - B) >= np.linalg.norm(A - Ak) - np.sqrt(min(shape)) * tol


def test_truncate_and_rank_one_terms():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((7, 5))
    T = L.rank_one_terms(A)
    assert T.shape == (5, 7, 5)
    tol = 2 * _svd_floor(A)  # the SVD's backward error, and summing 5 terms adds less
    assert np.linalg.norm(T.sum(axis=0) - A, 2) <= tol
    s = np.linalg.svd(A, compute_uv=False)
    np.testing.assert_allclose(np.linalg.norm(T, axis=(1, 2)), s, rtol=0, atol=tol)
    assert all(np.linalg.matrix_rank(t) == 1 for t in T)
    assert np.linalg.norm(L.rank_one_terms(A, 2).sum(axis=0) - L.low_rank_approx(A, 2)) <= tol
    Uk, sk, Vtk = L.truncate(*L.svd(A), 3)
    assert Uk.shape == (7, 3) and sk.shape == (3,) and Vtk.shape == (3, 5)


def test_norms_condition_energy():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6, 4))
    s = L.svd(A)[1]
    n = L.matrix_norms(s)
    # every singular value is off by at most the SVD's backward error (Weyl), so the
    # norms are off by that much relative to s_1, the nuclear norm by r times that;
    # the condition number s_1 / s_r inherits it relative to s_r, i.e. times kappa
    rel = 2 * _svd_floor(A) / s[0]
    kappa = s[0] / s[-1]
    assert n.spectral == pytest.approx(np.linalg.norm(A, 2), rel=rel, abs=0)
    assert n.frobenius == pytest.approx(np.linalg.norm(A, "fro"), rel=rel, abs=0)
    assert n.nuclear == pytest.approx(np.linalg.norm(A, "nuc"), rel=len(s) * rel, abs=0)
    assert L.condition_number(s) == pytest.approx(np.linalg.cond(A), rel=2 * kappa * rel,
                                                  abs=0)
    e = L.energy(s)
    assert e[-1] == 1.0 and np.all(np.diff(e) >= 0)  # e / e[-1] is exactly 1 at the end
    for f in (0.1, 0.5, 0.9, 0.99, 1.0):
        k = L.rank_for_energy(s, f)
        # a cumulative sum of r terms has relative rounding error at most r eps
        assert e[k - 1] >= f * (1 - len(s) * EPS) and (k == 1 or e[k - 2] < f)


def test_effective_rank_properties():
    # exp(-sum p log p) of r terms: a few eps per term in the sum, relative in exp
    rel = lambda r: 4 * r * EPS  # noqa: E731
    assert L.effective_rank([5.0]) == 1.0  # p = 1 exactly, log 1 = 0
    assert L.effective_rank([2.0, 2.0, 2.0, 2.0]) == pytest.approx(4.0, rel=rel(4), abs=0)
    assert L.effective_rank([3.0, 3.0, 0.0]) == pytest.approx(2.0, rel=rel(2), abs=0)
    s = np.sort(np.random.default_rng(4).random(10))[::-1]
    er = L.effective_rank(s)
    assert 1.0 <= er <= 10.0
    # scale invariant (p = s / sum(s) changes by rounding only)
    assert L.effective_rank(7 * s) == pytest.approx(er, rel=rel(10), abs=0)
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
    s0 = L.svd(A)[1]
    # eigh of A^T A has absolute errors ~ n eps s_1^2 in s^2, i.e. n eps s_1^2 / (2 s_j)
    # in s_j: relative n eps kappa^2 / 2 at worst; U = A V / s adds n eps kappa
    kappa = s0[0] / s0[-1]
    gram = 10 * max(A.shape) * EPS * kappa**2
    np.testing.assert_allclose(s, s0, rtol=gram, atol=0)
    assert np.linalg.norm(L.reconstruct(U, s, Vt) - A, 2) <= gram * s0[0]
    Uw, sw, Vtw = L.svd_via_eig(A.T)
    np.testing.assert_allclose(sw, s, rtol=2 * gram, atol=0)
    assert np.linalg.norm(L.reconstruct(Uw, sw, Vtw) - A.T, 2) <= gram * s0[0]
    # graded spectrum down to 1e-12: LAPACK keeps every value to its absolute bound
    # ~ eps s_1, while the Gram matrix holds s^2 = 1e-24, far below its rounding level
    # eps s_1^2: the computed value is noise ~ sqrt(n eps) s_1 or clipped to zero,
    # a relative error >= 1 either way
    Q1, _ = np.linalg.qr(rng.standard_normal((30, 10)))
    Q2, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    s_true = np.logspace(0, -12, 10)
    B = (Q1 * s_true) @ Q2.T  # the product is exact to ~ n eps: in the floor below
    assert np.all(np.abs(L.svd(B)[1] - s_true) <= 2 * _svd_floor(B))
    rel_eig = np.abs(L.svd_via_eig(B)[1] - s_true) / s_true
    assert rel_eig[-1] >= 1 - 1e-6  # the smallest singular value is lost


def test_svd_via_eig_rank_deficient_gives_orthonormal_U():
    A = np.outer(np.arange(1.0, 6.0), [1.0, 2.0, 3.0])
    U, s, Vt = L.svd_via_eig(A)
    # the one good column is A v / s, the others a Householder completion: orthonormal
    # to a few n eps; the lost values are noise of size sqrt(n eps) s_1 (see above)
    np.testing.assert_allclose(U.T @ U, np.eye(3), rtol=0, atol=10 * 5 * EPS)
    assert np.linalg.norm(L.reconstruct(U, s, Vt) - A, 2) <= np.sqrt(10 * 5 * EPS) * s[0]


def test_agrees_with_scipy_svd_values_on_big_range():
    A = np.vander(np.linspace(0, 1, 12), 8)
    # both backward stable: within twice the absolute floor (not relative: kappa ~ 1e5)
    np.testing.assert_allclose(L.svd(A)[1], sla.svdvals(A), rtol=0, atol=2 * _svd_floor(A))


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
