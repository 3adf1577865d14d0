"""Computing a truncated SVD: randomized, block Krylov, streaming and distributed.

Taught in chapter 4 (*Computing the SVD*).

Every function here needs only products with the matrix, so it accepts a dense
array, a ``scipy.sparse`` matrix or a ``scipy.sparse.linalg.LinearOperator``
(except :func:`dask_svd`, which takes a Dask or NumPy array, and
:class:`IncrementalSVD`, which reads dense row blocks).

* :func:`randomized_range_finder` -- an orthonormal basis of the range of
  :math:`(AA^\\top)^q A\\Omega` (Halko, Martinsson and Tropp 2011, Algorithm 4.4).
* :func:`randomized_svd` -- the randomized SVD. Its default ``n_iter="auto"``
  runs *block Krylov* iteration with a Rayleigh-Ritz step after every pass pair
  and stops when the Ritz approximation has stopped changing (see below), at most
  ``AUTO_MAX_ITER`` steps. An integer ``n_iter`` runs exactly that many steps of
  subspace (power) iteration, HMT's Algorithm 4.4. ``tol`` stops instead on an a
  posteriori estimate of the range error (HMT section 4.3) and warns when the
  cap comes first.
* :func:`block_krylov_svd` -- randomized block Krylov (Musco and Musco 2015).
* :class:`IncrementalSVD` -- Brand's (2006) update of a truncated SVD by blocks
  of rows, for data read from disk one chunk at a time.
* :func:`single_pass_svd` -- a one-pass sketch with an error guarantee (Tropp,
  Yurtsever, Udell and Cevher 2017), for the same kind of data.
* :func:`dask_svd` -- the same computations on Dask arrays: exact (TSQR) for
  tall-skinny arrays, randomized (``svd_compressed``) otherwise.
* :class:`RandomizedSVD` -- a scikit-learn transformer (like ``TruncatedSVD``).

The adaptive default and its stopping rule
------------------------------------------
Subspace iteration keeps only its last block :math:`(AA^\\top)^q A\\Omega`; the
error of its ``j``-th Ritz vector shrinks like :math:`(\\sigma_{\\ell+1}/\\sigma_j)^{2q+1}`
(HMT sections 4.5 and 9), which is slow when :math:`\\sigma_k/\\sigma_{\\ell+1}` is
close to 1. Keeping *every* block costs no extra pass: the product
:math:`Z_j = A^\\top Q_j` that builds the next block is also what a Rayleigh-Ritz
step on :math:`K = [Q_0, \\dots, Q_q]` needs (the SVD of :math:`K^\\top A`). The
Krylov space contains every polynomial of degree :math:`2q+1` in :math:`A`
applied to :math:`\\Omega`, so the error of the Ritz vectors shrinks like
:math:`1/T_{2q+1}(1 + \\gamma)` with the Chebyshev polynomial :math:`T` and the
relative gap :math:`\\gamma` between :math:`\\sigma_k` and the part of the spectrum
the block does not capture: in terms of passes, about the square root of subspace
iteration's rate (Musco and Musco 2015). That is why a block of only
``k + AUTO_OVERSAMPLES`` columns is used: the rate depends on the gap, and a
narrow block makes each pass cheaper. (Four extra columns and five steps were
chosen on ``j^-1/2`` and ``1/j`` spectra with ``k = 5, 10, 20`` and six seeds, as the
cheapest pair whose errors never exceeded scikit-learn's default; two extra
columns and four steps lost to it at ``k = 5`` and ``k = 10``.)

The rule stops when the approximation no longer changes. Since the spaces are
nested, the Ritz values only grow, and an error that shrinks by a factor
:math:`\\rho < 1` per step is bounded by the last change divided by
:math:`1 - \\rho`. After step ``i`` the change is measured as the larger of the
sine of the largest angle between the successive top-``k`` Ritz subspaces and
the square root of the largest relative increase of a top-``k`` Ritz value (a
value error is quadratic in the vector error); the iteration stops once it is
below ``AUTO_TOL = 1e-6``, or after ``AUTO_MAX_ITER = 5`` steps
(``2i + 2`` passes over ``A``; the short-side variant below makes ``2i + 3``
and one step more, since its first block is :math:`\\Omega` itself). Stopped by the cap,
the answer is finished as the exact SVD of ``A V_k`` (one more pass), so that ``U S = A
V_k`` holds to rounding as on every other path. When ``(cap + 1)`` blocks would fill the
short side of ``A`` (``n <= 6 (k + 4)``), the exact SVD of ``A`` costs no more than the
iteration and is returned instead (``scheme="exact (short side)"``). A
fast-decaying spectrum therefore stops after two or three steps, at rounding
level; on slowly decaying, flat or clustered spectra the cap decides, and the
cap was chosen so that the cost stays below half of scikit-learn's default
(seven power iterations with 10 extra columns, 16 passes over ``A`` with blocks
of ``k + 10``) in products of blocks, ``12 (k + 4)`` against ``16 (k + 10)`` columns, while
the accuracy at the cap beats it. ``benchmarks/randomized.py`` measures both. In its
run at one BLAS thread on a shared machine (``benchmarks/results/randomized.json``) the
default was at least as accurate as scikit-learn's in all three measures on all eight
matrices, but its median time ratio was 0.38-0.78 where the rule stopped early
(cliff, graded), 0.73-0.84 on the slowly decaying and flat dense matrices, and 1.2-1.3
on the two sparse ones, where the orthonormalization and the Gram matrix of the growing
basis cost more than the cheap passes save: the goal "half of scikit-learn's time" is
not met there. The explicit Krylov basis is orthonormalized by block
Gram-Schmidt twice; for sparse matrices and operators, whose passes are cheap,
only the ``n``-row basis is kept and orthonormalized, and the Rayleigh-Ritz step
uses the Gram matrix of the ``m``-row blocks, formed on the short side (accurate to
:math:`\\varepsilon\\sigma_1^2/(\\sigma_k^2 - \\sigma_{k+1}^2)`; a spectrum too
graded for it falls back to the explicit basis).

Orthonormalizing only the short side
------------------------------------
Each pass of subspace iteration makes two products, :math:`Y = AV` (``m`` rows)
and :math:`A^\\top Q` (``n`` rows), and the textbook version orthonormalizes both
blocks. For a sparse matrix the products are cheap and the QR of the tall
``m x l`` block is most of the cost. :func:`randomized_svd` therefore iterates
on the short side (it works with :math:`A^\\top` when ``m < n``) and never
orthonormalizes :math:`Y`: the Gram matrix :math:`Y^\\top Y = V^\\top(A^\\top Y)`
is formed from the product it needs anyway, its Cholesky factor :math:`R` makes
:math:`Q = YR^{-1}` orthonormal *implicitly*, and :math:`A^\\top Q = (A^\\top
Y)R^{-1}` is all the iteration uses. This is the normal-equations trade of
chapter 3: the Gram matrix squares the condition number, so the loss of
orthogonality of :math:`Q` is about :math:`\\varepsilon\\,\\mathrm{cond}(Y)^2`.
It is used only while :math:`\\mathrm{cond}(Y) \\le \\varepsilon^{-1/4}`
(8192 in double precision, 54 in single), which keeps that loss below
:math:`\\sqrt\\varepsilon`; a block beyond that hands the iteration over to the
two-sided version (with ``tol`` the two-sided version is used throughout, since
the residual estimate must be resolved more finely than a Gram matrix allows).
The last two implicit blocks give the top ``k`` right singular vectors
:math:`V_k` of the Rayleigh-Ritz step, and the answer returned is the SVD of
:math:`AV_k` computed by one more product and a stable QR, i.e. the best
approximation of ``A`` with row space :math:`V_k`: whatever rounding did to the
implicit blocks only affects which :math:`V_k` is chosen, and the returned
singular values do not exceed the true ones (up to rounding). On the
benchmark's sparse matrix this cuts the time of a pass by more than half.
Small dense factorizations go through NumPy's LAPACK, which shares its
threads with NumPy's matrix products: SciPy's copy of OpenBLAS has its own
thread pool, and alternating between the two pools slowed every operation of
an iteration on two cores.

References
----------
N. Halko, P.-G. Martinsson and J. A. Tropp, "Finding structure with randomness",
SIAM Review 53(2), 2011. C. Musco and C. Musco, "Randomized block Krylov
methods for stronger and faster approximate singular value decomposition",
NeurIPS 2015. M. Brand, "Fast low-rank modifications of the thin singular value
decomposition", Linear Algebra and its Applications 415(1), 2006.
Y. Yamamoto, Y. Nakatsukasa, Y. Yanagisawa and T. Fukaya, "Roundoff error
analysis of the CholeskyQR2 algorithm", Electronic Transactions on Numerical
Analysis 44, 2015 (the orthonormalization of the tall blocks).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._progress import progress
from ._validation import (
    check_int,
    check_matrix,
    check_operator,
    check_random_state,
    check_rank,
    check_scalar,
)
from .factorizations import ConvergenceWarning
from .linalg import sign_flip

__all__ = [
    "randomized_range_finder",
    "randomized_svd",
    "block_krylov_svd",
    "IncrementalSVD",
    "single_pass_svd",
    "dask_svd",
    "RandomizedSVD",
]

AUTO_MAX_ITER = 5
"""Cap on the passes of subspace iteration of ``randomized_svd(n_iter="auto")``."""
AUTO_TOL = 1e-6
"""Threshold of the adaptive stopping rule on the change of the Ritz approximation
(see the module docstring)."""
AUTO_OVERSAMPLES = 4
"""Oversampling of the block of ``randomized_svd(n_iter="auto")`` (block Krylov)."""


# ----------------------------------------------------------------------------- helpers
class _Op:
    """Products ``A @ X`` and ``A.T @ X`` for dense, sparse and LinearOperator ``A``."""

    def __init__(self, A, name: str = "A"):
        A = check_operator(A, name)
        self.A = A
        self.shape = A.shape
        dt = np.dtype(A.dtype)
        self.dtype = dt if dt in (np.float32, np.float64) else np.dtype(np.float64)
        self.is_linop = isinstance(A, LinearOperator)

    def mat(self, X):
        out = self.A.matmat(X) if self.is_linop else self.A @ X
        return np.asarray(out, dtype=self.dtype)

    def rmat(self, X):
        out = self.A.rmatmat(X) if self.is_linop else self.A.T @ X
        return np.asarray(out, dtype=self.dtype)

    @property
    def T(self):
        return _Transposed(self)


class _Transposed:
    """The products of ``A.T`` from those of ``A``."""

    def __init__(self, op):
        self.op, self.shape, self.dtype = op, op.shape[::-1], op.dtype
        self.mat, self.rmat = op.rmat, op.mat


def _householder_qr(X):
    return np.linalg.qr(X)


def _sym(G):
    return (G + G.T) * 0.5


def _inv_upper(R):
    """Inverse of a well-conditioned upper-triangular matrix."""
    return np.triu(np.linalg.inv(R))


def _cholesky_upper(G):
    """Upper Cholesky factor of a Gram matrix, or ``None`` if it is not safely positive."""
    try:
        R = np.linalg.cholesky(_sym(G)).T
    except np.linalg.LinAlgError:
        return None
    d = np.abs(np.diag(R))
    # CholeskyQR is accurate while cond(X) stays below ~eps^(-1/2); diag(R) is a cheap,
    # optimistic proxy for it, so keep a safety factor of 100
    if not np.all(np.isfinite(R)) or d.min() <= 100 * np.sqrt(np.finfo(G.dtype).eps) * d.max():
        return None
    return R


def _qr(X):
    """Thin QR of a tall, narrow block: CholeskyQR(2) where it is safe, Householder otherwise.

    CholeskyQR forms the small Gram matrix :math:`X^\\top X = R^\\top R` and
    returns :math:`Q = XR^{-1}`: two matrix-matrix products, several times faster
    than Householder QR on the tall blocks of randomized SVD. Its loss of
    orthogonality grows like :math:`\\varepsilon\\,\\mathrm{cond}(X)^2`, so a second
    pass on ``Q`` (CholeskyQR2, Yamamoto et al. 2015) follows unless
    ``cond(R) <= 4`` already makes ``Q`` orthonormal to working precision. Both are
    accurate while ``cond(X)`` stays below about ``eps**-0.5``; beyond that (or if the
    Cholesky factorization fails) this falls back to LAPACK's Householder QR.
    """
    m, n = X.shape
    if m < 4 * n:
        return _householder_qr(X)
    R = _cholesky_upper(X.T @ X)
    if R is None:
        return _householder_qr(X)
    Q = X @ _inv_upper(R)
    if np.linalg.cond(R) <= 4.0:
        return Q, R
    R1 = _cholesky_upper(Q.T @ Q)
    if R1 is None:
        return _householder_qr(X)
    return Q @ _inv_upper(R1), R1 @ R


def _orth(X):
    return _qr(X)[0]


def _gaussian(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype, copy=False)


def _check_n_iter(n_iter, allow_auto: bool = True):
    if allow_auto and isinstance(n_iter, str):
        if n_iter != "auto":
            raise ValueError(f"n_iter must be 'auto' or a non-negative integer, got {n_iter!r}")
        return n_iter
    return check_int(n_iter, "n_iter", min_value=0)


def _svd_of_AV(op, Vk):
    """The exact SVD of ``A V_k`` (one pass, a stable QR): ``(U, s, Vt)`` with ``U S = A V_k``.

    The best approximation of ``A`` with row space ``span V_k``; its values do not exceed
    the true ones, and ``U``, ``s``, ``V`` are consistent to rounding.
    """
    Qy, Ry = _qr(op.mat(Vk))
    Ur, s, Wt = np.linalg.svd(Ry)
    return Qy @ Ur, s, Wt @ Vk.T


def _finish(Q, Qz, Rz, k):
    """SVD of ``Q.T @ A = Rz.T @ Qz.T``, lifted back: returns the top ``k`` triplets."""
    Ur, s, Wt = np.linalg.svd(Rz.T, full_matrices=False)
    U = Q @ Ur[:, :k]
    Vt = Wt[:k] @ Qz.T
    return U, s[:k].copy(), Vt


def _finish_two_blocks(Q0, Q1, Z0, Z1, k):
    """Rayleigh-Ritz on ``span[Q0, Q1]`` using the products ``Z = A.T @ Q`` already made.

    ``Q0`` and ``Q1`` are orthonormal. The part of ``Q1`` outside ``span Q0`` is
    ``R = Q1 - Q0 M`` with ``M = Q0^T Q1``; its Gram matrix is ``I - M^T M``
    (no pass over the tall blocks), whose eigenvectors give the new directions
    and whose eigenvalues are the squared sines of the principal angles between
    the two subspaces. Directions whose squared sine is at the rounding level are
    already in ``span Q0`` and are dropped; the others are normalized, re-orthonormalized
    once (CholeskyQR) and appended to ``Q0``. Their products with ``A`` follow
    from ``Z0`` and ``Z1`` by the same linear maps: a subspace twice as large at
    no extra pass over ``A``.
    """
    M = Q0.T @ Q1
    lam, V = np.linalg.eigh(np.eye(M.shape[1], dtype=M.dtype) - M.T @ M)
    # sines below the rounding level of I - M^T M are noise: amplified by 1/sin they would
    # corrupt the basis (1e-10 in double precision, ~1e-3 in single)
    keep = lam > max(1e-10, 1e4 * np.finfo(M.dtype).eps)
    if not np.any(keep):
        return _finish(Q0, *_qr(Z0), k)
    T = V[:, keep] / np.sqrt(lam[keep])          # R @ T has (nearly) orthonormal columns
    X = (Q1 - Q0 @ M) @ T
    ZX = (Z1 - Z0 @ M) @ T                        # = A^T X
    C = Q0.T @ X                                  # re-orthogonalize against Q0 ...
    X, ZX = X - Q0 @ C, ZX - Z0 @ C
    R2 = _cholesky_upper(X.T @ X)                 # ... and within the new block
    if R2 is None:
        Qh, Rh = _householder_qr(X)
        X, ZX = Qh, np.linalg.solve(Rh.T, ZX.T).T
    else:
        inv = _inv_upper(R2)
        X, ZX = X @ inv, ZX @ inv
    W = np.hstack([Q0, X])
    return _finish(W, *_qr(np.hstack([Z0, ZX])), k)   # A^T W = [Z0, ZX]


# ----------------------------------------------------------------------------- range finder
def randomized_range_finder(A, size: int, n_iter: int = 4, random_state=None) -> np.ndarray:
    """Orthonormal basis of an approximate range of ``A`` (HMT Algorithm 4.4).

    Draws a Gaussian test matrix :math:`\\Omega` of ``size`` columns and returns
    :math:`Q` with orthonormal columns spanning :math:`(AA^\\top)^q A\\Omega`,
    re-orthonormalizing (QR) after every product so that rounding does not
    collapse the basis onto the top singular vector.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or LinearOperator, shape (m, n)
    size : int
        Number of columns of the basis, ``1 <= size <= min(m, n)``.
    n_iter : int
        Number ``q`` of power (subspace) iterations; each costs two passes over ``A``.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    Q : ndarray of shape (m, size), orthonormal columns.

    References
    ----------
    Halko, Martinsson and Tropp (2011), Algorithm 4.4.

    Taught in chapter 4.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((50, 5)) @ rng.standard_normal((5, 40))
    >>> Q = randomized_range_finder(A, 5, n_iter=1, random_state=0)
    >>> bool(np.allclose(Q @ (Q.T @ A), A))
    True
    """
    op = _Op(A)
    size = check_rank(size, op.shape, "size")
    n_iter = _check_n_iter(n_iter, allow_auto=False)
    rng = check_random_state(random_state)
    Q = _orth(op.mat(_gaussian(rng, (op.shape[1], size), op.dtype)))
    for _ in range(n_iter):
        Q = _orth(op.mat(_orth(op.rmat(Q))))
    return Q


# ----------------------------------------------------------------------------- randomized SVD
def randomized_svd(
    A,
    k: int,
    *,
    n_oversamples: int | None = None,
    n_iter="auto",
    tol: float | None = None,
    random_state=None,
    return_info: bool = False,
):
    """Randomized truncated SVD with an adaptive number of power iterations.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or LinearOperator, shape (m, n)
    k : int
        Target rank, ``1 <= k <= min(m, n)``.
    n_oversamples : int, optional
        Extra columns ``p``: the sketch has ``l = min(k + p, min(m, n))`` columns.
        Default ``AUTO_OVERSAMPLES = 4`` for ``n_iter="auto"`` without ``tol``
        (block Krylov), 10 otherwise (subspace iteration, HMT's advice).
    n_iter : "auto" or int
        ``"auto"`` (default): block Krylov iteration with a Rayleigh-Ritz step
        after every step, stopped by the rule of the module docstring (at most
        ``AUTO_MAX_ITER`` steps). An integer: exactly that many power
        iterations of subspace iteration (or at most that many when ``tol`` is
        given); whenever at least one iteration is made, the answer is
        extracted from the span of the last two iterates (see the module
        docstring), which costs no extra pass over ``A``. Only the short side
        of each iterate is orthonormalized while that is numerically safe.
    tol : float, optional
        Accuracy target in (0, 1). Iterate until the a posteriori estimate
        (HMT section 4.3, five Gaussian probes)
        :math:`10\\sqrt{2/\\pi}\\max_i \\|(I - QQ^\\top)A\\omega_i\\|` of the
        range error :math:`\\|(I-QQ^\\top)A\\|_2` falls below
        ``tol * sigma_1_estimate`` (then with probability at least
        :math:`1 - 10^{-5}` the rank-``k`` error is at most
        :math:`\\sigma_{k+1} + \\text{tol}\\cdot\\sigma_1`), or the cap on
        iterations is reached.
    random_state : None, int or numpy.random.Generator
    return_info : bool
        Also return a dict with ``n_iter`` (steps made), ``passes`` (products of
        blocks with ``A`` or ``A.T``), ``scheme`` (``"block Krylov"``,
        ``"block Krylov, short side"``, ``"short side"`` or ``"both sides"``),
        for ``"auto"`` the last ``change`` of the stopping rule and, when ``tol``
        is given, ``residual_estimate`` and ``converged``.

    Returns
    -------
    U : ndarray (m, k), s : ndarray (k,), Vt : ndarray (k, n)
        Like ``numpy.linalg.svd`` truncated to ``k``, with the sign convention
        of :func:`svdlab.linalg.sign_flip`. The dtype follows ``A`` (float32
        or float64).

    Raises
    ------
    ValueError
        If ``k`` is not in ``[1, min(m, n)]``, ``n_oversamples`` or ``n_iter`` is
        negative, or ``tol`` is not in (0, 1).
    TypeError
        If ``A`` is not a real matrix or operator.

    Warns
    -----
    ConvergenceWarning
        When ``tol`` is given and the cap on iterations stops the iteration first.

    References
    ----------
    Halko, Martinsson and Tropp (2011); Musco and Musco (2015) for the
    block Krylov default.

    Taught in chapter 4.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((200, 8)) @ rng.standard_normal((8, 100))
    >>> U, s, Vt = randomized_svd(A, 8, random_state=0)
    >>> bool(np.allclose(U * s @ Vt, A))
    True
    >>> np.allclose(s, np.linalg.svd(A, compute_uv=False)[:8])
    True
    """
    op = _Op(A)
    k = check_rank(k, op.shape)
    n_iter = _check_n_iter(n_iter)
    auto = n_iter == "auto"
    if n_oversamples is None:
        n_oversamples = AUTO_OVERSAMPLES if auto and tol is None else 10
    n_oversamples = check_int(n_oversamples, "n_oversamples", min_value=0)
    if tol is not None:
        tol = check_scalar(tol, "tol", low=0.0, high=1.0, include_low=False, include_high=False)
    rng = check_random_state(random_state)
    transposed = op.shape[0] < op.shape[1]
    if transposed:              # iterate on A^T so that the short side has n rows
        op = op.T
    m, n = op.shape
    ell = min(k + n_oversamples, n)
    cap = AUTO_MAX_ITER if auto else n_iter
    n_probe = 5 if tol is not None else 0
    info = {}

    V = _gaussian(rng, (n, ell + n_probe), op.dtype)
    if auto and tol is None and n <= (cap + 1) * ell:
        # The Krylov basis could fill the short side within the cap (it would stop short
        # of it, unconverged): the exact SVD of the m x n matrix costs no more, so take it.
        Uf, sf, Vtf = np.linalg.svd(op.mat(np.eye(n, dtype=op.dtype)), full_matrices=False)
        result, i = (Uf[:, :k], sf[:k].copy(), Vtf[:k].copy()), 0
        info["scheme"], info["passes"], info["change"] = "exact (short side)", 1, 0.0
    elif auto and tol is None:
        if isinstance(A, np.ndarray):
            result, i, change = _krylov_auto(op, V, k, cap)
            info["scheme"] = "block Krylov"
            info["passes"] = 2 * i + 2 + (change > AUTO_TOL)   # the consistent finish
        else:
            out = _krylov_gram(op, V, k, cap + 1)   # its first block is Omega itself: one more
            if out is None:     # spectrum too graded for a Gram matrix: explicit basis
                out = _krylov_auto(op, V, k, cap)
                info["scheme"] = "block Krylov"
                info["passes"] = 2 * out[1] + 2 + (out[2] > AUTO_TOL)
            else:
                info["scheme"], info["passes"] = "block Krylov, short side", 2 * out[1] + 3
            result, i, change = out
        info["change"] = change
    else:
        result, Y, i = None, None, 0
        if tol is None:
            result, V, Y, i = _short_side_iteration(op, V, k, ell, cap)
        info["scheme"] = "short side" if result is not None else "both sides"
        if result is None:
            result, i = _two_sided_iteration(op, V, Y, i, k, ell, cap, n_probe, tol, rng, info)
        info["passes"] = 2 * i + 2 + (info["scheme"] == "short side")
    U, s, Vt = result
    if tol is not None and not info["converged"]:
        warnings.warn(
            f"randomized_svd stopped at the cap of {cap} power iterations with the range-error "
            f"estimate {info['residual_estimate']:.3g} above tol * sigma_1 = "
            f"{info['tol_threshold']:.3g}; raise n_iter or tol",
            ConvergenceWarning, stacklevel=2)
    if transposed:
        U, Vt = Vt.T, U.T
    U, Vt = sign_flip(U, Vt)
    info["n_iter"] = i
    if return_info:
        return U, s, Vt, info
    return U, s, Vt


def _gram_factor(G, kappa_max):
    """``R`` with ``Y R^-1`` orthonormal, from the Gram matrix ``G = Y^T Y``.

    Returns ``(R, cond(Y))``, or ``(None, inf)`` when ``cond(Y) > kappa_max``:
    then the Gram matrix has lost too many digits to be trusted.
    """
    lam = np.linalg.eigvalsh(G)
    if not (np.all(np.isfinite(lam)) and lam[0] > 0 and lam[-1] <= kappa_max**2 * lam[0]):
        return None, np.inf
    try:
        R = np.linalg.cholesky(G).T
    except np.linalg.LinAlgError:
        return None, np.inf
    return R, float(np.sqrt(lam[-1] / lam[0]))


def _short_side_iteration(op, V, k, ell, cap):
    """Subspace iteration that orthonormalizes only the ``n``-row side (module docstring).

    Returns ``((U, s, Vt), None, None, i)``, or ``(None, V, A V, i)`` to hand the
    iteration over to :func:`_two_sided_iteration` when the tall block is too
    ill-conditioned for its Gram matrix.
    """
    eps = np.finfo(op.dtype).eps
    kappa_max = eps ** -0.25
    prev = None
    i = 0
    while True:
        Y = op.mat(V)
        Zp = op.rmat(Y)
        R, kappa = _gram_factor(_sym(V.T @ Zp), kappa_max)
        if R is None:
            return None, V, Y, i
        Rinv = _inv_upper(R)
        Z = Zp @ Rinv                              # = A^T Q for the orthonormal Q = Y R^-1
        lam, E = np.linalg.eigh(_sym(Z.T @ Z))
        lam, E = lam[::-1], E[:, ::-1]
        cur = (V, Zp, Rinv, Z, kappa)
        if i >= cap:
            break
        prev = cur
        i += 1
        # next block: span(Z), orthonormal up to eps * cond(Z)^2 -- only its conditioning matters
        V = Z @ (E / np.sqrt(np.maximum(lam, eps * lam[0])))
    return _short_side_finish(op, prev, cur, k), None, None, i


def _short_side_finish(op, prev, cur, k):
    """Rayleigh-Ritz on ``span[Q_prev, Q]`` from short-side quantities, then ``A V_k``.

    The tall orthonormal blocks ``Q = Y R^-1`` are never formed: ``Q0^T Q1 =
    R0^-T (V0^T A^T Y1) R1^-1`` and ``A^T Q = Z`` are known. The top ``k`` right
    singular vectors ``V_k`` of ``W^T A`` (``W`` an orthonormal basis of the two
    blocks) are computed on the short side, and the answer is the exact SVD of
    ``A V_k``, i.e. of the best approximation of ``A`` with row space ``V_k``.
    """
    eps = np.finfo(op.dtype).eps
    if prev is None:
        ZW = cur[3]
    else:
        V0, _, Rinv0, Z0, kappa0 = prev
        _, Zp1, Rinv1, Z1, kappa1 = cur
        M = Rinv0.T @ (V0.T @ Zp1) @ Rinv1         # Q0^T Q1, since V0^T A^T Y1 = Y0^T Y1
        ell = M.shape[0]
        eye = np.eye(ell, dtype=M.dtype)
        mu, E = np.linalg.eigh(np.block([[eye, M], [M.T, eye]]))
        # eigenvalues 1 -/+ cos(theta) of the Gram matrix of [Q0, Q1]; those at the level
        # of the blocks' loss of orthogonality (eps * cond^2) mean "already in span Q0"
        keep = mu > max(1e-10, 1e4 * eps, 100 * eps * max(kappa0, kappa1) ** 2)
        T = E[:, keep] / np.sqrt(mu[keep])
        ZW = np.hstack([Z0, Z1]) @ T               # A^T W for the orthonormal W = [Q0, Q1] T
    Qz, Rz = _qr(ZW)                               # W^T A = Rz^T Qz^T
    Wt = np.linalg.svd(Rz.T, full_matrices=False)[2]
    return _svd_of_AV(op, Qz @ Wt[:k].T)


def _two_sided_iteration(op, V, Y, i, k, ell, cap, n_probe, tol, rng, info):
    """Subspace iteration orthonormalizing both sides, from the block ``V`` (and ``Y = A V``).

    Used with ``tol`` (the residual estimate must be resolved below the accuracy of a
    Gram matrix) and when :func:`_short_side_iteration` hands over.
    """
    n = op.shape[1]
    if Y is None:
        Y = op.mat(V)
    start = i
    est = np.inf
    while True:
        Q = _orth(Y[:, :ell])
        if n_probe:
            # HMT (4.3): the probes' residual bounds ||(I - QQ^T) A|| with prob 1 - 10^-r
            P = Y[:, ell:]
            res = P - Q @ (Q.T @ P)
            est = 10.0 * np.sqrt(2.0 / np.pi) * np.max(np.linalg.norm(res, axis=0))
            info["residual_estimate"] = float(est)
        Z = op.rmat(Q)
        Qz, Rz = _qr(Z)
        s_hat = np.linalg.svd(Rz, compute_uv=False)
        if n_probe and est <= tol * s_hat[0]:
            break
        if i >= cap:
            break
        Q_prev, Z_prev = Q, Z
        i += 1
        if n_probe:
            Y = op.mat(np.hstack([Qz, _gaussian(rng, (n, n_probe), op.dtype)]))
        else:
            Y = op.mat(Qz)
    if n_probe:
        info["converged"] = bool(est <= tol * s_hat[0])
        info["tol_threshold"] = float(tol * s_hat[0])
    if i > start:
        return _finish_two_blocks(Q_prev, Q, Z_prev, Z, k), i
    return _finish(Q, Qz, Rz, k), i


def _extend_qr(Q, Y):
    """Extend the orthonormal ``Q`` by the block ``Y``: ``Y = Q C + Q_new D``.

    Block Gram-Schmidt twice, which is enough for orthogonality to working
    precision (Giraud, Langou and Rozloznik 2005), then a QR of what is left and
    one more projection, since normalizing a small remainder amplifies what it
    still has in ``span Q``. Directions of ``Y`` already in ``span Q`` come out
    as arbitrary unit vectors orthogonal to ``Q`` with a negligible ``D``, which
    a Rayleigh-Ritz step may use like any others. Returns ``(Q_new, C, D)``.
    """
    C = Q.T @ Y
    X = Y - Q @ C
    C2 = Q.T @ X
    X -= Q @ C2
    C += C2
    Qn, D = _qr(X)
    E = Q.T @ Qn
    Qn, F = _qr(Qn - Q @ E)
    return Qn, C + E @ D, F @ D


def _krylov_auto(op, Omega, k, cap):
    """Block Krylov iteration with Rayleigh-Ritz after every step (``n_iter="auto"``).

    The basis ``K = [Q_0, ..., Q_i]`` of ``span{A Omega, (A A^T) A Omega, ...}`` is
    kept orthonormal explicitly; each ``Z_j = A^T Q_j`` is the product that builds
    the next block, so the Rayleigh-Ritz step, the SVD of ``K^T A``, needs no extra
    pass over ``A``: ``2i + 2`` passes in all. ``[Z_0, ..., Z_i] = Q_z R_z`` is
    updated block by block (:func:`_extend_qr`), so a step costs ``O((m + n) L b)``
    besides its two products (``L`` columns so far, blocks of ``b``), and the SVD is
    that of the small ``R_z``. Stops by :func:`_krylov_change` and ``AUTO_TOL``.
    Returns ``((U, s, Vt), i, change)``.
    """
    n = op.shape[1]
    K, _ = _qr(op.mat(Omega))
    Z = op.rmat(K)
    Qz, Rz = _qr(Z)
    prev = None
    i = 0
    while True:
        Ur, s, Wt = np.linalg.svd(Rz.T)               # K^T A = Ur S (Qz Wt^T)^T
        Vk = Qz @ Wt[:k].T
        change = _krylov_change(prev, s, Vk, k)
        if i >= cap or change <= AUTO_TOL or K.shape[1] + Z.shape[1] > n:
            break
        prev = (s, Vk)
        i += 1
        Q, _, _ = _extend_qr(K, op.mat(Z))            # (A A^T) Q_i, minus its part in span K
        K = np.hstack([K, Q])
        Z = op.rmat(Q)
        Qn, C, D = _extend_qr(Qz, Z)
        L, b = Rz.shape[1], Z.shape[1]
        Rz = np.block([[Rz, C], [np.zeros((b, L), dtype=Rz.dtype), D]])
        Qz = np.hstack([Qz, Qn])
    if change > AUTO_TOL:
        # Stopped by the cap: the one-sided Ritz pair has U S = P_K A V_k, not A V_k. One
        # more pass makes the answer the exact SVD of A V_k (U S V^T = A V_k V_k^T), whose
        # values do not exceed the true ones and whose U, s, V are consistent, as the
        # fixed-n_iter path returns them.
        return _svd_of_AV(op, Vk), i, change
    U = K @ Ur[:, :k]
    return (U, s[:k].copy(), Vk.T.copy()), i, change


def _krylov_gram(op, Omega, k, cap):
    """Block Krylov on the short side, for sparse matrices and operators (``n_iter="auto"``).

    Where a pass over ``A`` is cheap, orthonormalizing or even storing ``m``-row
    blocks would cost more than the products. Here only the ``n``-row basis
    ``K = [V_0, ..., V_i]`` of ``span{Omega, (A^T A) Omega, ...}`` is kept and
    orthonormalized (:func:`_extend_qr`). Each block's ``Z_i = A^T A V_i`` is the
    product that builds the next block, and it also gives the Gram matrix
    ``(AK)^T (AK) = K^T [Z_0, ..., Z_i]`` of the Rayleigh-Ritz step on the short
    side. The Gram matrix squares the condition number, so the right Ritz vectors
    are accurate to about ``eps sigma_1^2 / (sigma_k^2 - sigma_{k+1}^2)``; the
    answer is the exact SVD of ``A V_k`` (one more product and a stable QR), so
    ``U`` and ``s`` are consistent with ``V_k`` to working precision. ``2i + 3``
    passes over ``A`` and ``O((m + n) b)`` memory besides ``K``.
    Returns ``((U, s, Vt), i, change)``, or ``None`` when ``sigma_k^2`` is at the
    rounding level of the Gram matrix (then the explicit :func:`_krylov_auto` is used).
    """
    n = op.shape[1]
    b = Omega.shape[1]
    nmax = min(cap + 1, n // b)                        # blocks that fit in n columns
    Kbuf = np.empty((n, nmax * b), dtype=op.dtype)     # preallocated: no copies per step
    Kbuf[:, :b] = _qr(Omega)[0]
    Z = op.rmat(op.mat(Kbuf[:, :b]))                   # A^T A V_0
    G = _sym(Kbuf[:, :b].T @ Z)
    prev = None
    i = L = 0
    while True:
        L += b
        K = Kbuf[:, :L]
        lam, C = np.linalg.eigh(G)
        lam, C = np.maximum(lam[::-1], 0.0), C[:, ::-1]
        if lam[k - 1] <= 1e4 * L * np.finfo(op.dtype).eps * lam[0]:
            # sigma_k^2 at the rounding level of the Gram matrix: it cannot resolve V_k
            return None
        s = np.sqrt(lam)
        Vk = K @ C[:, :k]
        change = _krylov_change(prev, s, Vk, k)
        if i >= cap or change <= AUTO_TOL or L + b > nmax * b:
            break
        prev = (s, Vk)
        i += 1
        Vn, _, _ = _extend_qr(K, Z)                    # (A^T A) V_i, minus its part in span K
        Kbuf[:, L:L + b] = Vn
        Z = op.rmat(op.mat(Vn))
        B = K.T @ Z                                    # (A K)^T (A V_new)
        G = np.block([[G, B], [B.T, _sym(Vn.T @ Z)]])
    return _svd_of_AV(op, Vk), i, change


def _krylov_change(prev, s, Vk, k):
    """Change between successive Ritz approximations (the stopping rule, module docstring).

    The larger of the sine of the largest angle between the successive top-``k``
    Ritz subspaces and the square root of the largest relative increase of a Ritz
    value (Ritz values from nested subspaces only grow); ``inf`` on the first step.
    """
    if prev is None:
        return np.inf
    s0, V0 = prev
    sine = np.linalg.norm(Vk - V0 @ (V0.T @ Vk), 2)
    top = s[:k]
    rel = np.max(np.abs(top - s0[:k]) / np.where(top > 0, top, 1.0))
    return float(max(min(sine, 1.0), np.sqrt(rel)))


def block_krylov_svd(A, k: int, n_iter: int = 2, block_size: int | None = None,
                     random_state=None):
    """Randomized block Krylov SVD (Musco and Musco 2015, Algorithm 2).

    Builds the Krylov basis :math:`[A\\Omega, (AA^\\top)A\\Omega, \\dots,
    (AA^\\top)^q A\\Omega]`, orthonormalizes it, and returns the best rank-``k``
    approximation inside its span. With ``q = n_iter`` it reads ``A`` as many
    times as subspace iteration with ``q`` power iterations (``2q + 2`` passes)
    but keeps every intermediate block, which makes it converge like
    :math:`\\sqrt{\\varepsilon}` where subspace iteration converges like
    :math:`\\varepsilon`.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or LinearOperator, shape (m, n)
    k : int
        Target rank.
    n_iter : int
        Number ``q`` of Krylov steps.
    block_size : int, optional
        Columns of :math:`\\Omega`; default ``k``.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    U : ndarray (m, k), s : ndarray (k,), Vt : ndarray (k, n)

    References
    ----------
    Musco and Musco (2015).

    Taught in chapter 4.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> A = rng.standard_normal((100, 6)) @ rng.standard_normal((6, 80))
    >>> U, s, Vt = block_krylov_svd(A, 6, n_iter=1, random_state=0)
    >>> bool(np.allclose(U * s @ Vt, A))
    True
    """
    op = _Op(A)
    m, n = op.shape
    k = check_rank(k, op.shape)
    n_iter = _check_n_iter(n_iter, allow_auto=False)
    b = k if block_size is None else check_rank(block_size, op.shape, "block_size")
    rng = check_random_state(random_state)
    blocks = [_orth(op.mat(_gaussian(rng, (n, b), op.dtype)))]
    for _ in range(n_iter):
        blocks.append(_orth(op.mat(op.rmat(blocks[-1]))))
    K = np.hstack(blocks)
    Q = _orth(K)
    Qz, Rz = _qr(op.rmat(Q))
    U, s, Vt = _finish(Q, Qz, Rz, min(k, Q.shape[1]))
    U, Vt = sign_flip(U, Vt)
    return U, s, Vt


# ----------------------------------------------------------------------------- streaming
class IncrementalSVD(TransformerMixin, BaseEstimator):
    """Truncated SVD updated one block of rows at a time (Brand 2006).

    Keeps the top ``n_components`` singular values and right singular vectors
    of all rows seen so far. A new block :math:`X` is split into its part in
    the current row space :math:`C = XV` and the rest :math:`R = X - CV^\\top
    = T Q_R^\\top` (:math:`Q_R` an orthonormal basis of the new directions,
    found by an SVD of :math:`R^\\top` truncated at its numerical rank); then

    .. math:: \\begin{pmatrix}\\Sigma V^\\top\\\\ X\\end{pmatrix} =
       \\begin{pmatrix}\\Sigma & 0\\\\ C & T\\end{pmatrix}
       \\begin{pmatrix}V^\\top\\\\ Q_R^\\top\\end{pmatrix},

    and the SVD of the small middle matrix updates :math:`\\Sigma, V`. The
    result is exact when ``n_components`` is at least the rank of the data;
    otherwise each update drops the smallest directions (an approximation).
    The data is not centred (like ``TruncatedSVD``).

    Parameters
    ----------
    n_components : int
        Number of singular triplets kept.
    batch_size : int, optional
        Rows per block in :meth:`fit`; default ``max(5 * n_components, 100)``.
    verbose : bool
        Show a progress bar over the blocks of :meth:`fit` (a long stream or a memmap),
        with the rows seen and the current leading singular value.

    Attributes
    ----------
    components_ : ndarray (n_components, n_features)
        Right singular vectors (rows).
    singular_values_ : ndarray (n_components,)
    n_samples_seen_ : int

    Raises
    ------
    ValueError
        In :meth:`fit` and :meth:`partial_fit`, if ``n_components`` exceeds the
        number of features (a truncated SVD has at most that many components).
    TypeError
        If ``X`` is sparse.

    References
    ----------
    Brand (2006).

    Taught in chapter 4.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 4)) @ rng.standard_normal((4, 20))
    >>> inc = IncrementalSVD(n_components=4, batch_size=50).fit(X)
    >>> np.allclose(inc.singular_values_, np.linalg.svd(X, compute_uv=False)[:4])
    True
    """

    def __init__(self, n_components: int = 2, batch_size: int | None = None,
                 verbose: bool = False):
        self.n_components = n_components
        self.batch_size = batch_size
        self.verbose = verbose

    def fit(self, X, y=None):
        """Fit on ``X`` read in blocks of ``batch_size`` rows (works on a memmap).

        Parameters
        ----------
        X : array_like or numpy.memmap, shape (n_samples, n_features)
            Dense data; only ``batch_size`` rows are in memory at a time.
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` is sparse.
        ValueError
            If ``n_components`` exceeds the number of features or ``X`` is not 2-D and finite.
        """
        k = check_int(self.n_components, "n_components", min_value=1)
        if sp.issparse(X):
            raise TypeError("X must be a dense array (or numpy.memmap), got a sparse matrix")
        if getattr(X, "ndim", None) != 2:
            X = check_matrix(X, "X")
        bs = self.batch_size
        bs = max(5 * k, 100) if bs is None else check_int(bs, "batch_size", min_value=1)
        for attr in ("components_", "singular_values_", "n_samples_seen_"):
            self.__dict__.pop(attr, None)
        bar = progress(range(0, X.shape[0], bs), verbose=self.verbose, desc="IncrementalSVD")
        for start in bar:
            self.partial_fit(X[start : start + bs])
            bar.set_postfix(rows=self.n_samples_seen_, s1=float(self.singular_values_[0]))
        if X.shape[0] == 0:
            check_matrix(X, "X")
        return self

    def partial_fit(self, X, y=None):
        """Update the truncated SVD with a new block of rows ``X`` (Brand's update).

        Parameters
        ----------
        X : array_like, shape (n_rows, n_features)
            The new rows; ``n_features`` must match earlier blocks.
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        self
            The updated estimator.

        Raises
        ------
        ValueError
            If ``n_components`` exceeds the number of features or the block's width changed.
        """
        k = check_int(self.n_components, "n_components", min_value=1)
        first = not hasattr(self, "components_")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=first)
        if k > X.shape[1]:
            raise ValueError(
                f"n_components={k} must be <= n_features = {X.shape[1]}: a truncated SVD "
                f"of {X.shape[1]} features has at most {X.shape[1]} components"
            )
        if first:
            M = X
            self.n_samples_seen_ = 0
        else:
            Vt, s = self.components_, self.singular_values_
            X = X.astype(Vt.dtype, copy=False)
            C = X @ Vt.T
            R = X - C @ Vt
            # R.T = P S W^T, keeping only its numerical rank, so that P is
            # orthogonal to the current row space (a plain QR would pad P with
            # arbitrary columns when a block has more rows than new directions)
            P, sr, Wt_r = np.linalg.svd(R.T, full_matrices=False)
            scale = max(float(s[0]), float(sr[0]) if sr.size else 0.0)
            keep = sr > max(R.shape) * np.finfo(R.dtype).eps * scale
            P = P[:, keep]
            P -= Vt.T @ (Vt @ P)
            P, _ = np.linalg.qr(P)
            T_t = R @ P  # coefficients of the new rows in the new directions
            top = np.hstack([np.diag(s), np.zeros((s.size, P.shape[1]), dtype=s.dtype)])
            mid = np.vstack([top, np.hstack([C, T_t])])
            basis = np.vstack([Vt, P.T])
            Um, sm, Wt = np.linalg.svd(mid, full_matrices=False)
            self._update(sm, Wt @ basis, k)
            self.n_samples_seen_ += X.shape[0]
            return self
        _, sm, Wt = np.linalg.svd(M, full_matrices=False)
        self._update(sm, Wt, k)
        self.n_samples_seen_ += X.shape[0]
        return self

    def _update(self, s, Vt, k):
        r = min(k, s.size)
        Vt = Vt[:r]
        _, Vt = sign_flip(None, Vt)  # the package's sign rule, on the components
        self.singular_values_ = s[:r].copy()
        self.components_ = np.ascontiguousarray(Vt)

    def transform(self, X):
        """Coordinates ``X @ components_.T`` of the rows in the kept subspace.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Rows to project.

        Returns
        -------
        ndarray, shape (n_samples, n_components)
            Their coordinates.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return X @ self.components_.T

    def inverse_transform(self, Z):
        """Map coordinates back: ``Z @ components_``.

        Parameters
        ----------
        Z : array_like, shape (n_samples, n_components)
            Coordinates in the kept subspace.

        Returns
        -------
        ndarray, shape (n_samples, n_features)
            The rows they represent (the projection of the original rows).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If ``Z`` has the wrong number of columns.
        """
        check_is_fitted(self)
        Z = check_matrix(Z, "Z")
        if Z.shape[1] != self.components_.shape[0]:
            raise ValueError(
                f"Z must have {self.components_.shape[0]} columns, got shape {Z.shape}"
            )
        return Z @ self.components_


def single_pass_svd(A, k: int, *, range_size: int | None = None,
                    corange_size: int | None = None, batch_size: int = 1000,
                    random_state=None):
    """Rank-``k`` SVD from one pass over the rows of ``A`` (Tropp et al. 2017).

    Reads ``A`` once, one block of ``batch_size`` rows at a time (a ``numpy.memmap``
    or a sparse matrix works), and keeps two sketches: the *range sketch*
    :math:`Y = A\\Omega` (``m x r_1``, ``Omega`` Gaussian ``n x r_1``) and the
    *co-range sketch* :math:`W = \\Psi A` (``r_2 x n``, ``Psi`` Gaussian ``r_2 x m``,
    drawn block by block, so it is never stored). After the pass, with
    :math:`Q` an orthonormal basis of :math:`Y`, the approximation is
    :math:`\\hat A = Q X` with :math:`X = (\\Psi Q)^+ W`, a least-squares solve
    with the small ``r_2 x r_1`` matrix :math:`\\Psi Q`; its truncation to rank
    ``k`` is the SVD of :math:`X`. Tropp, Yurtsever, Udell and Cevher (2017,
    Theorem 4.3) prove, for ``r_2 >= r_1 + 2`` and every ``rho < r_1 - 1``,

    .. math:: \\mathbb E\\|A - \\hat A\\|_F^2 \\le \\Big(1 + \\frac{r_1}{r_2 - r_1 - 1}\\Big)
       \\Big(1 + \\frac{\\rho}{r_1 - \\rho - 1}\\Big)\\sum_{j > \\rho}\\sigma_j^2 ,

    and recommend ``r_1 = 2k + 1``, ``r_2 = 2 r_1 + 1`` (the defaults). Unlike
    :class:`IncrementalSVD`, which keeps ``k`` rows of size ``n`` but updates them
    with an SVD per block and has no such guarantee, the sketch stores
    ``m r_1 + n r_2`` numbers and every block costs two products.

    Parameters
    ----------
    A : array_like or scipy.sparse matrix, shape (m, n)
    k : int
        Rank of the answer, ``1 <= k <= min(m, n)``.
    range_size, corange_size : int, optional
        ``r_1`` (default ``2k + 1``) and ``r_2`` (default ``2 r_1 + 1``), each
        capped at ``min(m, n)``; ``k <= r_1 <= r_2``.
    batch_size : int
        Rows per block.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    U : ndarray (m, k), s : ndarray (k,), Vt : ndarray (k, n)
        With the sign convention of :func:`svdlab.linalg.sign_flip`.

    Raises
    ------
    ValueError
        If ``k``, ``range_size``, ``corange_size`` or ``batch_size`` is out of range.
    TypeError
        If ``A`` is not a real matrix.

    References
    ----------
    J. A. Tropp, A. Yurtsever, M. Udell and V. Cevher, "Practical sketching
    algorithms for low-rank matrix approximation", SIAM Journal on Matrix
    Analysis and Applications 38(4), 2017, Algorithm 7 and Theorem 4.3.

    Taught in chapter 4.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((500, 4)) @ rng.standard_normal((4, 60))
    >>> U, s, Vt = single_pass_svd(A, 4, batch_size=100, random_state=0)
    >>> bool(np.allclose((U * s) @ Vt, A))
    True
    """
    if not sp.issparse(A) and getattr(A, "ndim", None) != 2:
        A = check_matrix(A, "A")
    if sp.issparse(A):
        A = check_operator(A, "A").tocsr()
    elif A.dtype.kind not in "biuf" or min(A.shape) == 0:
        A = check_matrix(A, "A")
    m, n = A.shape
    k = check_rank(k, (m, n))
    r1 = min(2 * k + 1, m, n) if range_size is None else check_rank(range_size, (m, n),
                                                                    "range_size")
    r2 = min(2 * r1 + 1, m, n) if corange_size is None else check_rank(corange_size, (m, n),
                                                                       "corange_size")
    if not k <= r1 <= r2:
        raise ValueError(f"need k <= range_size <= corange_size, got k = {k}, "
                         f"range_size = {r1}, corange_size = {r2}")
    bs = check_int(batch_size, "batch_size", min_value=1)
    rng = check_random_state(random_state)
    dtype = np.float32 if A.dtype == np.float32 else np.float64
    Omega = rng.standard_normal((n, r1)).astype(dtype, copy=False)
    Y = np.empty((m, r1), dtype=dtype)
    W = np.zeros((r2, n), dtype=dtype)
    PsiY = np.zeros((r2, r1), dtype=dtype)    # Psi Y: Psi itself is never stored
    for start in range(0, m, bs):
        block = A[start:start + bs]
        block = block.toarray() if sp.issparse(block) else np.asarray(block, dtype=dtype)
        if not np.all(np.isfinite(block)):
            raise ValueError("A must not contain NaN or infinity")
        Psi_b = rng.standard_normal((r2, block.shape[0])).astype(dtype, copy=False)
        Yb = block @ Omega
        Y[start:start + bs] = Yb
        W += Psi_b @ block
        PsiY += Psi_b @ Yb
    Q, R = np.linalg.qr(Y)
    # Psi Q = (Psi Y) R^-1, from the small product accumulated during the pass
    PsiQ = np.linalg.solve(R.T, PsiY.T).T if np.all(np.abs(np.diag(R)) > 0) else None
    if PsiQ is None or not np.all(np.isfinite(PsiQ)):
        raise ValueError("the range sketch is rank deficient: lower range_size")
    X = np.linalg.lstsq(PsiQ, W, rcond=None)[0]
    Ux, s, Vt = np.linalg.svd(X, full_matrices=False)
    U, Vt = sign_flip(Q @ Ux[:, :k], Vt[:k])
    return U, s[:k].copy(), Vt


# ----------------------------------------------------------------------------- Dask
def dask_svd(A, k: int | None = None, *, n_iter: int = 2, n_oversamples: int = 10,
             chunks=None, random_state=None):
    """Exact or randomized SVD of a Dask array; returns computed NumPy arrays.

    With ``k=None`` the exact thin SVD is computed by Dask's TSQR
    (``dask.array.linalg.svd``), which needs the array to be tall and skinny
    and chunked along rows only (it is rechunked so). With an integer ``k``
    the randomized ``dask.array.linalg.svd_compressed`` is used. Both run on
    whatever scheduler is active: Dask's local threads by default, or a
    ``dask.distributed`` cluster once a ``Client`` is created.

    Parameters
    ----------
    A : dask.array.Array or array_like, shape (m, n)
        NumPy input is wrapped with ``chunks`` (default: about 4 row blocks).
    k : int, optional
        Target rank; ``None`` for the exact thin SVD.
    n_iter, n_oversamples : int
        Power iterations and oversampling of ``svd_compressed``.
    chunks : optional
        Chunking for NumPy input.
    random_state : None or int
        Seed of ``svd_compressed``.

    Returns
    -------
    U : ndarray (m, r), s : ndarray (r,), Vt : ndarray (r, n)
        ``r = k`` or ``min(m, n)``.

    References
    ----------
    Benson, Gleich and Demmel's TSQR via Dask; Halko, Martinsson and Tropp
    (2011) for the randomized path.

    Taught in chapter 4.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((400, 10))
    >>> U, s, Vt = dask_svd(A)
    >>> np.allclose(s, np.linalg.svd(A, compute_uv=False))
    True
    """
    import dask
    import dask.array as da

    if isinstance(A, da.Array):
        if A.ndim != 2:
            raise ValueError(f"A must be a 2-D array (a matrix), got a {A.ndim}-D dask array")
        if A.dtype.kind not in "biuf":
            raise TypeError(f"A must hold real numbers, got dtype {A.dtype}")
        if min(A.shape) == 0:
            raise ValueError(f"A must not be empty, got shape {A.shape}")
        X = A if A.dtype.kind == "f" else A.astype(np.float64)
    else:
        arr = check_matrix(A)
        if chunks is None:
            chunks = (max(1, -(-arr.shape[0] // 4)), arr.shape[1])
        X = da.from_array(arr, chunks=chunks)
    m, n = X.shape
    n_iter = check_int(n_iter, "n_iter", min_value=0)
    n_oversamples = check_int(n_oversamples, "n_oversamples", min_value=0)
    if k is None:
        transpose = m < n
        if transpose:
            X = X.T
        X = X.rechunk({1: -1})
        if X.numblocks[0] > 1 and any(c < X.shape[1] for c in X.chunks[0]):
            X = X.rechunk({0: max(X.shape[1], X.chunks[0][0])})
        u, s, vt = da.linalg.svd(X)
        U, s, Vt = dask.compute(u, s, vt)
        if transpose:
            U, Vt = Vt.T, U.T
    else:
        k = check_rank(k, (m, n))
        seed = None if random_state is None else check_int(random_state, "random_state",
                                                            min_value=0)
        u, s, vt = da.linalg.svd_compressed(X, k, n_power_iter=n_iter,
                                            n_oversamples=n_oversamples, seed=seed,
                                            compute=False)
        U, s, Vt = dask.compute(u, s, vt)
    U, Vt = sign_flip(np.asarray(U), np.asarray(Vt))
    return U, np.asarray(s), Vt


# ----------------------------------------------------------------------------- estimator
class RandomizedSVD(TransformerMixin, BaseEstimator):
    """Truncated SVD by :func:`randomized_svd`, as a scikit-learn transformer.

    Like :class:`sklearn.decomposition.TruncatedSVD` (no centring, so it works
    on sparse data), with the adaptive power iteration of this module.

    Parameters
    ----------
    n_components : int
    n_oversamples : int, optional
        Default as in :func:`randomized_svd` (4 for the block Krylov default, else 10).
    n_iter : "auto" or int
    tol : float, optional
    random_state : None, int or numpy.random.Generator

    Attributes
    ----------
    components_ : ndarray (n_components, n_features)
    singular_values_ : ndarray (n_components,)
    explained_variance_ : ndarray (n_components,)
        Variance of each column of the transformed training data.
    explained_variance_ratio_ : ndarray (n_components,)
        ``explained_variance_`` divided by the total variance of the features.
    n_iter_ : int
        Steps actually made: power iterations, or block Krylov steps for ``n_iter="auto"``.

    References
    ----------
    Halko, Martinsson and Tropp (2011).

    Taught in chapter 4.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 3)) @ rng.standard_normal((3, 12))
    >>> est = RandomizedSVD(n_components=3, random_state=0).fit(X)
    >>> np.allclose(est.inverse_transform(est.transform(X)), X)
    True
    """

    def __init__(self, n_components: int = 2, *, n_oversamples: int | None = None, n_iter="auto",
                 tol: float | None = None, random_state=None):
        self.n_components = n_components
        self.n_oversamples = n_oversamples
        self.n_iter = n_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def fit(self, X, y=None):
        """Fit the model on ``X`` (dense or sparse).

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
            The data (not centred: this is a truncated SVD, not a PCA).
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        ValueError
            If ``n_components`` exceeds ``min(n_samples, n_features)``.
        """
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return ``U * s``, the coordinates of the rows.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
            The data.
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        ndarray, shape (n_samples, n_components)
            ``U * s``, equal to ``X @ components_.T``.

        Raises
        ------
        ValueError
            If ``n_components`` exceeds ``min(n_samples, n_features)``.
        """
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32])
        k = check_int(self.n_components, "n_components", min_value=1)
        m, n = X.shape
        if k > min(m, n):
            raise ValueError(
                f"n_components={k} must be <= min(n_samples, n_features); got "
                f"n_samples = {m}, n_features = {n}"
            )
        random_state = self.random_state
        if isinstance(random_state, np.random.RandomState):
            random_state = random_state.randint(0, 2**31 - 1)
        elif not (random_state is None or isinstance(random_state, numbers.Integral | np.random.Generator)):
            check_random_state(random_state)
        U, s, Vt, info = randomized_svd(
            X, k, n_oversamples=self.n_oversamples, n_iter=self.n_iter, tol=self.tol,
            random_state=random_state, return_info=True,
        )
        Xt = U * s
        self.components_ = Vt
        self.singular_values_ = s
        self.n_iter_ = info["n_iter"]
        self.explained_variance_ = np.var(Xt, axis=0)
        if sp.issparse(X):
            mean = np.asarray(X.mean(axis=0)).ravel()
            sq = np.asarray(X.multiply(X).mean(axis=0)).ravel()
            full_var = float(np.sum(sq - mean**2))
        else:
            full_var = float(np.var(X, axis=0).sum())
        self.explained_variance_ratio_ = (
            self.explained_variance_ / full_var if full_var > 0
            else np.zeros_like(self.explained_variance_)
        )
        return Xt

    def transform(self, X):
        """Project ``X`` on the components: ``X @ components_.T``.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
            Rows to project.

        Returns
        -------
        ndarray, shape (n_samples, n_components)
            Their coordinates.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=False)
        return np.asarray(X @ self.components_.T)

    def inverse_transform(self, X):
        """Map coordinates back to feature space: ``X @ components_``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_components)
            Coordinates.

        Returns
        -------
        ndarray, shape (n_samples, n_features)
            The rank-``n_components`` approximation of the rows.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If ``X`` has the wrong number of columns.
        """
        check_is_fitted(self)
        X = check_matrix(X, "X")
        if X.shape[1] != self.components_.shape[0]:
            raise ValueError(
                f"X must have {self.components_.shape[0]} columns, got shape {X.shape}"
            )
        return X @ self.components_
