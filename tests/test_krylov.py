"""svdlab.factorizations, chapter 3b: Lanczos bidiagonalization, pivoted QR, Gram-Schmidt.

Peers: scipy.sparse.linalg.svds (PROPACK and ARPACK), numpy.linalg.svd,
scipy.linalg.qr(pivoting=True) and numpy.linalg.qr.
"""

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.sparse.linalg import aslinearoperator, svds

from svdlab import factorizations as F

EPS = np.finfo(np.float64).eps


def _with_spectrum(rng, m, n, s):
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (U * s) @ V.T


def _test_matrix(seed, m=200, n=150):
    rng = np.random.default_rng(seed)
    s = np.concatenate([np.linspace(10, 5, 8), np.linspace(1, 0.01, n - 8)])
    return _with_spectrum(rng, m, n, s), s


def _orth_loss(Q):
    return np.linalg.norm(Q.T @ Q - np.eye(Q.shape[1]), 2)


@pytest.mark.parametrize("reorth", ["full", "partial", "none"])
def test_lanczos_relations_hold_for_every_reorthogonalization(reorth):
    A, _ = _test_matrix(0)
    lb = F.golub_kahan_lanczos(A, 40, reorth=reorth, random_state=1)
    k = lb.alpha.size
    assert k == 40 and lb.U.shape == (200, 40) and lb.V.shape == (150, 41)
    # the recurrences hold to rounding, eps ||A|| per step, whatever the orthogonality; a
    # partial reorthogonalization removes components of size up to sqrt(eps) from p and r,
    # which the recurrence does not account for: its residual is sqrt(eps) ||A|| then
    tol = 50 * 200 * EPS * 10 if reorth != "partial" else 10 * np.sqrt(EPS) * 10
    assert np.linalg.norm(A @ lb.V[:, :k] - lb.U @ lb.B, 2) <= tol
    E = A.T @ lb.U - lb.V[:, :k] @ lb.B.T
    E[:, -1] -= lb.beta[-1] * lb.V[:, k]
    assert np.linalg.norm(E, 2) <= tol


def test_lanczos_orthogonality_none_full_partial():
    A, s = _test_matrix(2)
    k = 80
    none = F.golub_kahan_lanczos(A, k, reorth="none", random_state=3)
    full = F.golub_kahan_lanczos(A, k, reorth="full", random_state=3)
    part = F.golub_kahan_lanczos(A, k, reorth="partial", random_state=3)
    # full: orthogonal to working precision (a few eps * k); partial: semi-orthogonal
    # (sqrt(eps) is the threshold the estimates keep); none: orthogonality is lost
    assert max(_orth_loss(full.U), _orth_loss(full.V)) <= 10 * k * EPS
    assert max(_orth_loss(part.U), _orth_loss(part.V)) <= 10 * np.sqrt(EPS)
    assert min(_orth_loss(none.U), _orth_loss(none.V)) > 0.1
    assert 0 < part.n_reorth < full.n_reorth and none.n_reorth == 0
    # the Ritz values of full and partial agree to working precision (semi-orthogonality
    # suffices, Simon 1984); without reorthogonalization the top value reappears (a ghost)
    rf = np.linalg.svd(full.B, compute_uv=False)
    rp = np.linalg.svd(part.B, compute_uv=False)
    np.testing.assert_allclose(rp[:8], rf[:8], rtol=0, atol=100 * EPS * s[0] * np.sqrt(k))
    rn = np.linalg.svd(none.B, compute_uv=False)
    assert np.sum(np.abs(rn - s[0]) < 1e-8) >= 2


def test_lanczos_top_singular_values_match_svds_and_lapack():
    A, s = _test_matrix(4)
    lb = F.golub_kahan_lanczos(A, 60, reorth="full", random_state=5)
    ritz = np.linalg.svd(lb.B, compute_uv=False)[:5]
    lapack = np.linalg.svd(A, compute_uv=False)[:5]
    propack = np.sort(svds(A, k=5, solver="propack", random_state=0,
                           return_singular_vectors=False))[::-1]
    arpack = np.sort(svds(A, k=5, solver="arpack", random_state=0,
                          return_singular_vectors=False))[::-1]
    # the top 5 are well separated and converge quickly: backward-stable accuracy eps ||A|| n
    tol = 100 * 200 * EPS * s[0]
    for ref in (lapack, propack, arpack):
        np.testing.assert_allclose(ritz, ref, rtol=0, atol=tol)


def test_lanczos_sparse_and_operator_input_and_invariant_subspace():
    rng = np.random.default_rng(6)
    S = sp.random(80, 60, density=0.1, random_state=6, format="csr")
    v0 = rng.standard_normal(60)
    dense = F.golub_kahan_lanczos(S.toarray(), 15, v0=v0)
    for op in (S, aslinearoperator(S)):
        lb = F.golub_kahan_lanczos(op, 15, v0=v0)
        np.testing.assert_allclose(lb.alpha, dense.alpha, rtol=1e-12)
        np.testing.assert_allclose(lb.beta, dense.beta, rtol=1e-12)
    # rank 3 and a start in its row space: the Krylov space is exhausted after 3 steps
    R3 = rng.standard_normal((30, 3)) @ rng.standard_normal((3, 20))
    lb = F.golub_kahan_lanczos(R3, 10, v0=R3.T @ rng.standard_normal(30))
    assert lb.alpha.size == 3
    np.testing.assert_allclose(np.linalg.svd(lb.B, compute_uv=False),
                               np.linalg.svd(R3, compute_uv=False)[:3], rtol=1e-10)


def test_lanczos_bad_input():
    A = np.ones((5, 4))
    with pytest.raises(ValueError, match="reorth"):
        F.golub_kahan_lanczos(A, 2, reorth="some")
    with pytest.raises(ValueError, match="k"):
        F.golub_kahan_lanczos(A, 5)
    with pytest.raises(TypeError, match="k"):
        F.golub_kahan_lanczos(A, 2.5)
    with pytest.raises(ValueError, match="v0"):
        F.golub_kahan_lanczos(A, 2, v0=np.zeros(4))
    with pytest.raises(ValueError, match="v0"):
        F.golub_kahan_lanczos(A, 2, v0=np.ones(5))
    with pytest.raises(ValueError, match="A"):
        F.golub_kahan_lanczos(np.full((3, 3), np.inf), 2)


@pytest.mark.parametrize("shape", [(30, 20), (20, 30), (25, 25)])
@pytest.mark.parametrize("seed", range(3))
def test_qr_pivoted_matches_scipy_geqp3(shape, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal(shape) * np.logspace(0, -8, shape[1])  # graded columns
    Q, R, perm = F.qr_pivoted(A)
    Q2, R2, perm2 = sla.qr(A, pivoting=True, mode="economic")
    np.testing.assert_array_equal(perm, perm2)  # random data: no ties in the norms
    d = np.abs(np.diagonal(R))
    assert np.all(np.diff(d) <= 0) and np.all(np.diagonal(R) >= 0)
    # Householder QR is backward stable: errors ~ eps ||A|| times a modest multiple of m
    tol = 10 * max(shape) * EPS * np.linalg.norm(A, 2)
    np.testing.assert_allclose(np.abs(R), np.abs(R2), rtol=0, atol=tol)
    assert np.linalg.norm(Q @ R - A[:, perm], 2) <= tol
    assert _orth_loss(Q) <= 10 * max(shape) * EPS


def test_qr_pivoted_reveals_rank_and_norm_downdating_is_recomputed():
    rng = np.random.default_rng(8)
    A = rng.standard_normal((40, 5)) @ rng.standard_normal((5, 12))
    Q, R, perm = F.qr_pivoted(A)
    d = np.diagonal(R)
    assert np.sum(d > 12 * 40 * EPS * d[0]) == 5
    # columns nearly parallel to the first pivot: the downdated norms cancel almost fully
    x = rng.standard_normal(20)
    B = np.column_stack([x, x + 1e-9 * rng.standard_normal(20), rng.standard_normal(20)])
    _, R, perm = F.qr_pivoted(B)
    _, R2, perm2 = sla.qr(B, pivoting=True, mode="economic")
    np.testing.assert_array_equal(perm, perm2)
    np.testing.assert_allclose(np.abs(np.diagonal(R)), np.abs(np.diagonal(R2)), rtol=1e-6)


def test_qr_pivoted_bad_input():
    with pytest.raises(ValueError, match="A"):
        F.qr_pivoted(np.ones(4))
    with pytest.raises(TypeError, match="A"):
        F.qr_pivoted(np.ones((2, 2), dtype=complex))


@pytest.mark.parametrize("method", ["classical", "modified", "classical2"])
def test_gram_schmidt_matches_numpy_qr_on_well_conditioned_input(method):
    rng = np.random.default_rng(9)
    A = rng.standard_normal((30, 10))
    Q, R = F.gram_schmidt(A, method)
    Qn, Rn = np.linalg.qr(A)
    sg = np.sign(np.diagonal(Rn))
    # kappa(A) ~ 3: every variant is accurate to a small multiple of eps * kappa^2 * m
    tol = 100 * 30 * EPS
    np.testing.assert_allclose(Q, Qn * sg, rtol=0, atol=tol)
    np.testing.assert_allclose(R, Rn * sg[:, None], rtol=0, atol=tol * np.linalg.norm(A, 2))
    np.testing.assert_array_equal(R, np.triu(R))


def test_gram_schmidt_loss_of_orthogonality_follows_kappa_squared_kappa_one():
    rng = np.random.default_rng(10)
    m, n = 60, 20
    for kappa in (1e3, 1e6):
        A = _with_spectrum(rng, m, n, np.logspace(0, -np.log10(kappa), n))
        cgs = _orth_loss(F.gram_schmidt(A, "classical")[0])
        mgs = _orth_loss(F.gram_schmidt(A, "modified")[0])
        cgs2 = _orth_loss(F.gram_schmidt(A, "classical2")[0])
        hh = _orth_loss(F.qr_householder(A)[0])
        # Bjorck: MGS <= c eps kappa; Giraud et al.: CGS ~ eps kappa^2 (here > eps kappa * 10)
        assert mgs <= 10 * n * EPS * kappa
        assert cgs > 10 * mgs
        assert max(cgs2, hh) <= 10 * n * EPS


def test_gram_schmidt_bad_input():
    with pytest.raises(ValueError, match="method"):
        F.gram_schmidt(np.eye(3), "householder")
    with pytest.raises(ValueError, match="m >= n"):
        F.gram_schmidt(np.ones((2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="column 1"):
        F.gram_schmidt(np.array([[1.0, 2.0], [0.0, 0.0]]), "modified")
