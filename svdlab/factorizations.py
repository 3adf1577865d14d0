"""Teaching implementations of the factorizations of chapters 3 and 4.

Chapter 3 (*The factorization family*): LU with partial pivoting
(:func:`lu_factor`, :func:`lu`, :func:`lu_solve`), Householder QR
(:func:`qr_householder`) and Cholesky (:func:`cholesky`).

Chapter 4 (*Computing the SVD*): power iteration with deflation
(:func:`power_iteration`), one-sided Jacobi (:func:`jacobi_svd`), Golub-Kahan
bidiagonalization (:func:`golub_kahan_bidiag`), and singular values to full
precision by exact arithmetic (:func:`reference_singular_values`), the
reference that measures the others' accuracy.

Chapter 3b (*Krylov methods and rank-revealing QR*): Golub-Kahan-Lanczos
bidiagonalization with no, full or partial reorthogonalization
(:func:`golub_kahan_lanczos`), QR with column pivoting (:func:`qr_pivoted`) and
classical, modified and twice-classical Gram-Schmidt (:func:`gram_schmidt`).

They are written to be read: vectorized NumPy, one loop over columns, steps or
sweeps, each checked against LAPACK (through NumPy/SciPy) in the tests. Use
LAPACK (:func:`svdlab.linalg.svd`, ``scipy.linalg``) for real work. The SVDs
here follow the package's sign convention, :func:`svdlab.linalg.sign_flip`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.sparse.linalg import LinearOperator

from ._validation import (
    check_array,
    check_int,
    check_matrix,
    check_operator,
    check_option,
    check_random_state,
    check_rank,
    check_scalar,
)
from .linalg import sign_flip

__all__ = [
    # chapter 3: the factorization family
    "LUFactor",
    "lu_factor",
    "lu",
    "lu_solve",
    "qr_householder",
    "cholesky",
    # chapter 4: computing the SVD
    "ConvergenceWarning",
    "power_iteration",
    "jacobi_svd",
    "golub_kahan_bidiag",
    "reference_singular_values",
    # chapter 3b: Krylov bidiagonalization, rank-revealing QR, Gram-Schmidt
    "LanczosBidiag",
    "golub_kahan_lanczos",
    "qr_pivoted",
    "gram_schmidt",
]

# ---------------------------------------------------------------------------
# Chapter 3: the factorization family (teaching implementations)
# ---------------------------------------------------------------------------


def _householder(x: np.ndarray) -> np.ndarray | None:
    """Unit vector ``v`` with ``(I - 2 v v^T) x = -sign(x[0]) ||x|| e_1``, or None.

    The sign is chosen so that ``x[0]`` and the added ``||x||`` never cancel
    (Golub & Van Loan, section 5.1.2). None means there is nothing to reflect:
    ``x`` is zero or has a single entry. ``v`` does not depend on the scale of
    ``x``, so ``x`` is first scaled by a power of two (exactly) to a largest
    entry in [1/2, 1): the squares in ``||x||`` can then neither overflow nor
    underflow, and scaled data give bit-for-bit scaled factors.
    """
    if x.shape[0] < 2:
        return None
    big = float(np.max(np.abs(x)))
    if big == 0:
        return None
    v = np.ldexp(x, -math.frexp(big)[1])
    v[0] += math.copysign(np.linalg.norm(v), v[0])
    return v / np.linalg.norm(v)


def _complete_columns(U: np.ndarray, good: np.ndarray) -> np.ndarray:
    """Replace the columns of ``U`` outside ``good`` by an orthonormal completion."""
    if np.all(good):
        return U
    m = U.shape[0]
    n_good = int(good.sum())
    Q, _ = np.linalg.qr(np.hstack([U[:, good], np.eye(m, dtype=U.dtype)]))
    U = np.array(U, copy=True)
    U[:, ~good] = Q[:, n_good : n_good + int((~good).sum())]
    return U


@dataclass(frozen=True, eq=False)
class LUFactor:
    """An LU factorization with partial pivoting in compact form (see :func:`lu_factor`).

    The two triangular factors share one array, as in LAPACK's ``getrf``: the
    strictly lower part of ``lu`` holds the multipliers of ``L`` (its unit
    diagonal is not stored) and the upper part holds ``U``. ``perm`` lists the
    row order: ``A[perm] == L @ U``. Pass the object to :func:`lu_solve` as
    many times as there are right-hand sides; the properties ``P``, ``L`` and
    ``U`` unpack it.

    Attributes
    ----------
    lu : ndarray, shape (m, n)
        ``L`` (strictly lower part, unit diagonal implied) and ``U`` (upper part).
    perm : ndarray of int, shape (m,)
        Row permutation: ``A[perm] = L @ U``.
    """

    lu: np.ndarray
    perm: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """Shape ``(m, n)`` of the factored matrix."""
        return self.lu.shape

    @property
    def L(self) -> np.ndarray:
        """Unit lower-triangular (trapezoidal) factor, shape ``(m, min(m, n))``."""
        m, n = self.lu.shape
        r = min(m, n)
        return np.tril(self.lu[:, :r], -1) + np.eye(m, r, dtype=self.lu.dtype)

    @property
    def U(self) -> np.ndarray:
        """Upper-triangular (trapezoidal) factor, shape ``(min(m, n), n)``."""
        return np.triu(self.lu[: min(self.lu.shape)])

    @property
    def P(self) -> np.ndarray:
        """Permutation matrix with ``A = P @ L @ U`` (SciPy's convention)."""
        m = self.lu.shape[0]
        P = np.zeros((m, m), dtype=self.lu.dtype)
        P[self.perm, np.arange(m)] = 1
        return P


def lu_factor(A) -> LUFactor:
    """LU factorization with partial pivoting, in compact form for repeated solves.

    At step ``k`` the row with the largest ``|entry|`` in column ``k`` (on or
    below the diagonal) is swapped up, so every multiplier satisfies
    ``|L[i, k]| <= 1``; then the trailing block gets a rank-one update
    (Gaussian elimination). A column without a nonzero pivot candidate is
    skipped, as LAPACK's ``getrf`` does: ``U[k, k]`` is then zero, which
    :func:`lu_solve` reports. The factorization costs about ``2n^3/3`` flops
    for an ``n x n`` matrix; every solve with it afterwards costs ``2n^2``.

    Parameters
    ----------
    A : array_like, shape (m, n)
        Any real matrix with finite entries: square, tall, wide or singular.

    Returns
    -------
    LUFactor
        ``lu`` and ``perm`` with ``A[perm] = L @ U``; ``.P, .L, .U`` unpack it.

    See Also
    --------
    lu : the unpacked factors ``P, L, U``.
    lu_solve : solve ``A x = b`` for one or many right-hand sides.

    Notes
    -----
    Defined in chapter 3. The loop runs over the ``min(m, n)`` elimination
    steps; each step is one vectorized outer-product update (the "kji" or
    right-looking form). LAPACK computes the same factors in blocks so that most
    flops run as matrix-matrix products.

    References
    ----------
    G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., Johns
    Hopkins, 2013, section 3.4. L. N. Trefethen and D. Bau, *Numerical Linear
    Algebra*, SIAM, 1997, lectures 20-22.

    Examples
    --------
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> f = lu_factor(A)
    >>> f.perm                     # row 1 holds the larger pivot, 3
    array([1, 0])
    >>> f.L
    array([[1.    , 0.    ],
           [0.3333, 1.    ]])
    >>> np.allclose(f.P @ f.L @ f.U, A)
    True
    """
    A = check_matrix(A, "A")
    LU = np.array(A, copy=True)
    m, n = LU.shape
    perm = np.arange(m)
    for k in range(min(m, n)):
        p = k + int(np.argmax(np.abs(LU[k:, k])))
        if p != k:
            LU[[k, p]] = LU[[p, k]]
            perm[[k, p]] = perm[[p, k]]
        pivot = LU[k, k]
        if pivot != 0:  # a zero pivot means a zero column below: nothing to eliminate
            LU[k + 1 :, k] /= pivot
            LU[k + 1 :, k + 1 :] -= np.outer(LU[k + 1 :, k], LU[k, k + 1 :])
    return LUFactor(lu=LU, perm=perm)


def lu(A) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LU factorization with partial pivoting, ``A = P @ L @ U`` (SciPy's convention).

    Parameters
    ----------
    A : array_like, shape (m, n)

    Returns
    -------
    P : ndarray, shape (m, m)
        Permutation matrix.
    L : ndarray, shape (m, min(m, n))
        Unit lower triangular (trapezoidal when ``m > n``), ``|L| <= 1``.
    U : ndarray, shape (min(m, n), n)
        Upper triangular (trapezoidal when ``m < n``). A singular ``A`` gives
        a zero on the diagonal of ``U``, never a division by zero.

    Notes
    -----
    Defined in chapter 3; the same factors as ``scipy.linalg.lu`` (ties in the
    pivot search go to the first row, as in LAPACK). See :func:`lu_factor`
    for the algorithm and the compact form used for solves.

    References
    ----------
    Golub & Van Loan, *Matrix Computations*, 4th ed., 2013, section 3.4.

    Examples
    --------
    >>> A = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    >>> P, L, U = lu(A)
    >>> U
    array([[4., 5.],
           [0., 1.]])
    >>> np.allclose(P @ L @ U, A), L.shape, U.shape
    (True, (3, 2), (2, 2))
    """
    f = lu_factor(A)
    return f.P, f.L, f.U


def lu_solve(factor: LUFactor, b) -> np.ndarray:
    """Solve ``A x = b`` with a factorization from :func:`lu_factor`.

    Forward substitution with ``L`` on the permuted right-hand side, then back
    substitution with ``U``: ``2n^2`` flops per right-hand side, against the
    ``2n^3/3`` of the factorization. Factor once, solve many times.

    Parameters
    ----------
    factor : LUFactor
        ``lu_factor(A)`` of a square ``n x n`` matrix.
    b : array_like, shape (n,) or (n, p)
        One right-hand side, or ``p`` of them as columns.

    Returns
    -------
    x : ndarray, shape (n,) or (n, p)

    Raises
    ------
    numpy.linalg.LinAlgError
        If ``U`` has a zero on its diagonal (``A`` is singular). It is a
        subclass of ``ValueError``. Nearly singular matrices are solved; check
        the condition number when the digits matter.

    Notes
    -----
    Defined in chapter 3. Each substitution loops over the ``n`` rows and
    updates all right-hand sides at once, so ``p`` columns cost one pass.

    References
    ----------
    Golub & Van Loan, *Matrix Computations*, 4th ed., 2013, sections 3.1
    and 3.4.

    Examples
    --------
    >>> A = np.array([[4.0, 3.0], [6.0, 3.0]])
    >>> f = lu_factor(A)
    >>> lu_solve(f, [10.0, 12.0])
    array([1., 2.])
    >>> B = np.array([[10.0, 7.0], [12.0, 9.0]])   # two right-hand sides
    >>> np.allclose(A @ lu_solve(f, B), B)
    True
    """
    if not isinstance(factor, LUFactor):
        raise TypeError(
            "factor must be the LUFactor returned by lu_factor(A), got "
            f"{type(factor).__name__}"
        )
    LU, perm = factor.lu, factor.perm
    m, n = LU.shape
    if m != n:
        raise ValueError(
            f"factor must come from a square matrix to solve A x = b, got an {m}x{n} "
            "factorization (use lstsq for least squares)"
        )
    b = check_array(b, "b", ndim=(1, 2))
    if b.shape[0] != n:
        raise ValueError(f"b must have {n} rows (A is {n}x{n}), got b of shape {b.shape}")
    zero = np.flatnonzero(np.diagonal(LU) == 0)
    if zero.size:
        k = int(zero[0])
        raise np.linalg.LinAlgError(
            f"A is singular: U[{k}, {k}] = 0 (column {k} has no nonzero pivot), so A x = b "
            "has no unique solution; use lstsq for a least-squares solution"
        )
    x = b[perm].astype(np.result_type(LU.dtype, b.dtype), copy=True)
    for k in range(n - 1):  # L y = P^T b, unit diagonal
        x[k + 1 :] -= np.multiply.outer(LU[k + 1 :, k], x[k])
    for k in range(n - 1, -1, -1):  # U x = y
        x[k] /= LU[k, k]
        x[:k] -= np.multiply.outer(LU[:k, k], x[k])
    return x


def qr_householder(A, mode: str = "reduced") -> tuple[np.ndarray, np.ndarray]:
    """QR factorization by Householder reflections, with ``diag(R) >= 0``.

    Step ``k`` reflects column ``k`` (from the diagonal down) onto a multiple
    of the first unit vector, zeroing everything below the diagonal. The
    reflections are orthogonal, so the computed ``Q`` is orthogonal to
    working precision whatever the condition of ``A`` (unlike Gram-Schmidt),
    and the factorization is backward stable. Cost: ``2mn^2 - 2n^3/3`` flops
    for ``R``, as much again to form ``Q``.

    Parameters
    ----------
    A : array_like, shape (m, n)
    mode : {"reduced", "complete"}
        As in ``numpy.linalg.qr``: ``"reduced"`` returns ``Q`` of shape
        ``(m, k)`` and ``R`` of shape ``(k, n)``, ``k = min(m, n)``;
        ``"complete"`` returns a square ``Q`` ``(m, m)`` and ``R`` ``(m, n)``.

    Returns
    -------
    Q : ndarray
        Orthonormal columns.
    R : ndarray
        Upper triangular (trapezoidal) with a non-negative diagonal.

    Notes
    -----
    Defined in chapter 3. **Sign convention.** A QR factorization of a matrix
    of full column rank is unique once the signs of ``diag(R)`` are fixed; here
    they are made non-negative by flipping rows of ``R`` together with columns
    of ``Q``. ``numpy.linalg.qr`` (LAPACK ``geqrf``) does not fix them, so the
    two agree up to the signs of the columns of ``Q``. When ``A`` is rank
    deficient, the columns of ``Q`` past a zero diagonal entry of ``R`` are
    not unique.

    References
    ----------
    A. S. Householder, "Unitary triangularization of a nonsymmetric matrix",
    J. ACM 5 (1958). Golub & Van Loan, *Matrix Computations*, 4th ed., 2013,
    section 5.2.2. Trefethen & Bau, *Numerical Linear Algebra*, 1997,
    lectures 10 and 16.

    Examples
    --------
    >>> A = np.array([[3.0, 3.0], [4.0, 4.0], [0.0, 12.0]])
    >>> Q, R = qr_householder(A)
    >>> R
    array([[ 5.,  5.],
           [ 0., 12.]])
    >>> np.allclose(Q @ R, A), np.allclose(Q.T @ Q, np.eye(2))
    (True, True)
    >>> [x.shape for x in qr_householder(A, mode="complete")]
    [(3, 3), (3, 2)]
    """
    A = check_matrix(A, "A")
    mode = check_option(mode, "mode", ("reduced", "complete"))
    R = np.array(A, copy=True)
    m, n = R.shape
    r = min(m, n)
    vs = []
    for k in range(min(m - 1, n)):
        v = _householder(R[k:, k])
        if v is not None:
            R[k:, k:] -= 2.0 * np.outer(v, v @ R[k:, k:])
            R[k + 1 :, k] = 0.0  # exact zeros where rounding left ~eps
        vs.append(v)
    ncols = m if mode == "complete" else r
    Q = np.eye(m, ncols, dtype=R.dtype)
    for k in range(len(vs) - 1, -1, -1):  # Q = H_0 H_1 ... H_{r-1} I
        v = vs[k]
        if v is not None and k < ncols:
            Q[k:, k:] -= 2.0 * np.outer(v, v @ Q[k:, k:])
    R = np.triu(R[:ncols])
    signs = np.sign(np.diagonal(R)).astype(R.dtype)
    signs[signs == 0] = 1
    R[:r] *= signs[:, None]
    R += 0.0  # turn the -0.0 of flipped rows into 0.0
    Q[:, :r] *= signs
    return Q, R


def cholesky(A) -> np.ndarray:
    """Cholesky factor ``L`` (lower triangular, positive diagonal) with ``A = L @ L.T``.

    Exists exactly when ``A`` is symmetric positive definite; then it needs no
    pivoting, is backward stable and costs ``n^3/3`` flops, half of LU.

    Parameters
    ----------
    A : array_like, shape (n, n)
        Symmetric (to rounding: asymmetry up to ``100 n eps max|A|`` is
        accepted, and only the lower triangle is read) and positive definite.

    Returns
    -------
    L : ndarray, shape (n, n)

    Raises
    ------
    ValueError
        If ``A`` is not square, not symmetric, or not positive definite. The
        message names the first leading principal minor that is not positive:
        the pivot ``d_j`` of step ``j`` equals ``det(A_j) / det(A_{j-1})`` for
        the leading ``j x j`` blocks ``A_j``, so the first pivot ``<= 0``
        pinpoints it (Sylvester's criterion).

    Notes
    -----
    Defined in chapter 3 (column by column, the "left-looking" form: column
    ``j`` of ``L`` is one matrix-vector product away from column ``j`` of
    ``A``). Uses: solving symmetric positive definite systems, normal
    equations (chapter 3 shows what they cost in accuracy), sampling Gaussians
    with covariance ``A`` as ``L z``.

    References
    ----------
    Golub & Van Loan, *Matrix Computations*, 4th ed., 2013, section 4.2.
    Trefethen & Bau, *Numerical Linear Algebra*, 1997, lecture 23.

    Examples
    --------
    >>> A = np.array([[4.0, 2.0], [2.0, 5.0]])
    >>> cholesky(A)
    array([[2., 0.],
           [1., 2.]])
    >>> cholesky([[1.0, 2.0], [2.0, 1.0]])
    Traceback (most recent call last):
    ...
    ValueError: A must be positive definite, but its leading principal minor of order 2 is not positive (pivot -3 at step 2)
    """
    A = check_matrix(A, "A")
    n = A.shape[0]
    if A.shape[1] != n:
        raise ValueError(f"A must be square for a Cholesky factorization, got shape {A.shape}")
    eps = np.finfo(A.dtype).eps
    asym = np.abs(A - A.T)
    if asym.max() > 100 * n * eps * np.abs(A).max():
        i, j = np.unravel_index(int(np.argmax(asym)), A.shape)
        raise ValueError(
            f"A must be symmetric, but A[{i}, {j}] = {A[i, j]:.6g} and "
            f"A[{j}, {i}] = {A[j, i]:.6g}"
        )
    L = np.zeros_like(A)
    for j in range(n):
        col = A[j:, j] - L[j:, :j] @ L[j, :j]
        d = col[0]
        if not d > 0:
            raise ValueError(
                f"A must be positive definite, but its leading principal minor of order "
                f"{j + 1} is not positive (pivot {d:.3g} at step {j + 1})"
            )
        L[j, j] = np.sqrt(d)
        L[j + 1 :, j] = col[1:] / L[j, j]
    return L


# ---------------------------------------------------------------------------
# Chapter 4: computing the SVD (teaching implementations)
# ---------------------------------------------------------------------------


class ConvergenceWarning(UserWarning):
    """An iterative method reached its iteration cap before meeting its tolerance."""


def power_iteration(
    A,
    k: int = 1,
    *,
    tol: float = 1e-10,
    max_iter: int = 1000,
    random_state=None,
    return_n_iter: bool = False,
):
    """Top-``k`` singular triplets by power iteration with deflation.

    Triplet ``j`` comes from the deflated matrix ``B = (I - U U^T) A (I - V V^T)``,
    where ``U`` and ``V`` hold the triplets found so far; with exact triplets
    this is the explicit deflation ``A - sum_i s_i u_i v_i^T``. ``B`` is never
    formed: only products with ``A`` and ``A^T`` are used, so ``A`` may be
    sparse or a ``LinearOperator``. From a random unit ``v`` orthogonal to
    ``V``, each iteration computes

    ``w = (I - U U^T) A v``, ``s = ||w||``, ``u = w / s``, ``z = (I - V V^T) A^T u``,

    then moves on to ``v <- z / ||z||``, which is ``v <- B^T B v`` normalized.
    It stops when the residual ``r = z - s v`` (which is ``A^T u - s v`` up to
    rounding, as ``A V`` lies in the span of ``U``) satisfies
    ``||r|| <= max(tol * s, max(m, n) * eps * s_1)``, ``eps`` being float64's.
    The triplets are returned in non-increasing order of ``s``.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or LinearOperator, shape (m, n)
    k : int, default 1
        Number of triplets, ``1 <= k <= min(m, n)``.
    tol : float, default 1e-10
        Relative residual at which a triplet is accepted (see above).
    max_iter : int, default 1000
        Iteration cap per triplet (two products each); reaching it issues a
        :class:`ConvergenceWarning`.
    random_state : None, int or numpy.random.Generator
        Seeds the random start vectors.
    return_n_iter : bool, default False
        Also return the number of iterations used for each triplet.

    Returns
    -------
    U : ndarray, shape (m, k)
    s : ndarray, shape (k,)
        Non-increasing.
    Vt : ndarray, shape (k, n)
        Signs follow :func:`svdlab.linalg.sign_flip`. The dtype of the three is
        the input's (float32 or float64); the work is done in float64.
    n_iter : ndarray of int, shape (k,)
        Only if ``return_n_iter``.

    Warns
    -----
    ConvergenceWarning
        When a triplet reaches ``max_iter`` before its residual test.

    Notes
    -----
    Defined in chapter 4.

    **Why the residual.** ``B v = s u`` holds by construction, so the triplet
    ``(s, u, v)`` is exact for the matrix ``B - u r^T``: ``||r||`` is its
    backward error. By Weyl's inequality ``s`` is then within ``||r||`` of a
    singular value of ``B``, and by Wedin's theorem ``v`` is within an angle of
    about ``||r|| / (s_j - s_{j+1})`` of the singular vector. A small step
    ``||v_new - v||`` certifies neither. The angle to ``v_j`` shrinks by the
    factor ``(s_{j+1} / s_j)^2`` per iteration, so a small gap means many
    iterations (and a warning when ``max_iter`` runs out); equal singular
    values leave ``v`` anywhere in their common subspace, which is as good.

    **Accuracy.** Each product ``A x`` is computed with a rounding error of
    order ``eps ||A|| ||x|| = eps s_1``, whatever the singular value being
    sought, so no residual below about ``eps s_1`` can be certified: the rule
    accepts ``max(m, n) * eps * s_1``, and the returned values satisfy

    ``|s_j - sigma_j| <= tol * sigma_j + 2 max(m, n) eps sigma_1``

    (the residual, plus the rounding of the last product). This absolute
    accuracy is what any method that only multiplies by ``A`` can promise: a
    singular value far below ``sigma_1`` has a *relative* error of about
    ``eps sigma_1 / sigma_j`` (LAPACK's bidiagonalization has the same
    absolute bound; only methods like :func:`jacobi_svd` do better, on
    matrices whose smallness is in their scaling). Deflation adds no error of
    first order: an error ``delta`` in an earlier ``v_i`` changes the
    deflated matrix's singular values only by ``O(delta^2)``. Nothing is
    squared (``A^T A`` is applied as two products), so values below
    ``sqrt(eps) s_1`` are resolved, down to the ``eps s_1`` floor. A deflated
    matrix that is zero to working precision (``k`` above the rank) meets the
    floor at once; its ``s`` is of order ``eps s_1`` and its vectors complete
    ``U`` and ``V`` orthonormally. Projecting both sides keeps ``U`` and ``V``
    orthonormal to working precision even when ``s_j`` is tiny (with
    ``u_j = A v_j / s_j`` alone, ``U`` would lose orthogonality like
    ``||r_i|| / s_j``).

    Use :func:`svdlab.linalg.svd` or ``scipy.sparse.linalg.svds`` for real
    work; chapter 10 uses the same iteration to estimate spectral norms.

    References
    ----------
    Golub & Van Loan, *Matrix Computations*, 4th ed., 2013, sections 8.2.1
    and 7.3.1 (power iteration), 8.6.1 (Weyl and Wedin). Y. Saad, *Numerical
    Methods for Large Eigenvalue Problems*, 2nd ed., SIAM, 2011, section 4.2
    (deflation). J. W. Daniel, W. B. Gragg, L. Kaufman and G. W. Stewart,
    "Reorthogonalization and stable algorithms for updating the Gram-Schmidt QR
    factorization", Math. Comp. 30 (1976) (the repeated projection).
    Trefethen & Bau, *Numerical Linear Algebra*, 1997, lecture 27.

    Examples
    --------
    >>> A = np.diag([3.0, 2.0, 1.0])
    >>> U, s, Vt, n_iter = power_iteration(A, k=2, random_state=0, return_n_iter=True)
    >>> s
    array([3., 2.])
    >>> bool(np.all(n_iter < 100))     # (2/3)^2 and (1/2)^2: fast
    True
    >>> r = A.T @ U - Vt.T * s         # the certified residuals
    >>> bool(np.all(np.linalg.norm(r, axis=0) <= 1e-10 * s))
    True
    """
    A = check_operator(A, "A")
    m, n = A.shape
    k = check_rank(k, (m, n))
    tol = check_scalar(tol, "tol", low=0.0, include_low=False)
    max_iter = check_int(max_iter, "max_iter", min_value=1)
    rng = check_random_state(random_state)
    out_dtype = np.dtype(A.dtype) if np.dtype(A.dtype).kind == "f" else np.dtype(np.float64)
    if not isinstance(A, LinearOperator):
        A = A.astype(np.float64, copy=False)  # float32 data, float64 work
    eps = np.finfo(np.float64).eps
    U = np.zeros((m, k))
    V = np.zeros((n, k))
    s = np.zeros(k)
    n_iter = np.zeros(k, dtype=np.int64)
    s_max = 0.0  # the largest s seen: s_1, or a lower estimate while j = 0

    def project_out(X, x):
        # (I - X X^T) x, repeated while a pass removes most of x (Daniel, Gragg, Kaufman
        # and Stewart 1976): a pass leaves components along X of relative size
        # eps * ||x_before|| / ||x_after||, small once the norm stops collapsing. If it
        # collapses three times, x lies in span(X) to working precision (A v of a
        # rank-deficient A, a start vector in the row space): the answer is zero.
        for _ in range(3):
            y = x - X @ (X.T @ x)
            if np.linalg.norm(y) > np.linalg.norm(x) / np.sqrt(2):
                return y
            x = y
        return np.zeros_like(x)

    def unit_orthogonal_to(X, size):
        while True:  # j < size, so a random vector leaves span(X) with probability 1
            x = project_out(X, rng.standard_normal(size))
            if np.any(x):
                return x / np.linalg.norm(x)

    for j in range(k):
        Uj, Vj = U[:, :j], V[:, :j]
        v = unit_orthogonal_to(Vj, n)
        for it in range(1, max_iter + 1):  # noqa: B007 (it is used after the loop)
            w = project_out(Uj, np.asarray(A @ v, dtype=np.float64).ravel())
            sigma = float(np.linalg.norm(w))
            if sigma == 0.0:  # B v = 0 to working precision: v is a null vector of B
                u, r_norm = unit_orthogonal_to(Uj, m), 0.0
                break
            u = w / sigma
            z = project_out(Vj, np.asarray(A.T @ u, dtype=np.float64).ravel())
            r_norm = float(np.linalg.norm(z - sigma * v))
            s_max = max(s_max, sigma)
            if r_norm <= max(tol * sigma, max(m, n) * eps * s_max) or not np.any(z):
                break  # (z = 0 makes r_norm = sigma: then sigma itself is rounding noise)
            v = z / np.linalg.norm(z)
        else:
            warnings.warn(
                f"power_iteration: triplet {j + 1} did not converge in max_iter={max_iter} "
                f"iterations (residual ||A^T u - s v|| = {r_norm:.2e} > tol * s = "
                f"{tol * sigma:.2e}); the rate is (s_{j + 2}/s_{j + 1})^2 per iteration, "
                "slow when the two are close",
                ConvergenceWarning,
                stacklevel=2,
            )
        n_iter[j] = it
        U[:, j], s[j], V[:, j] = u, sigma, v
    order = np.argsort(-s, kind="stable")  # already sorted unless a start was unlucky
    U, s, V, n_iter = U[:, order], s[order], V[:, order], n_iter[order]
    U, Vt = sign_flip(U, V.T)
    U, s, Vt = U.astype(out_dtype), s.astype(out_dtype), Vt.astype(out_dtype)
    return (U, s, Vt, n_iter) if return_n_iter else (U, s, Vt)


def _round_robin(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``n - 1`` rounds of a round-robin tournament on ``n`` (even) players.

    Each round pairs every index with exactly one other, so the rotations of
    a round touch disjoint columns and can be applied at once; over the
    ``n - 1`` rounds every pair meets once (one sweep).
    """
    idx = np.arange(n)
    rounds = []
    for _ in range(n - 1):
        rounds.append((idx[: n // 2].copy(), idx[::-1][: n // 2].copy()))
        idx = np.concatenate([idx[:1], idx[-1:], idx[1:-1]])
    return rounds


def jacobi_svd(
    A,
    *,
    tol: float | None = None,
    max_sweeps: int = 50,
    return_n_sweeps: bool = False,
):
    """One-sided Jacobi (Hestenes) SVD, accurate to high relative precision.

    The columns of ``G = A`` (or of ``A^T`` when ``A`` is wide) are
    orthogonalized in place by plane rotations, ``G <- G J``, each rotation
    making one pair of columns orthogonal. When all pairs are orthogonal,
    ``G = U diag(s)`` with ``s`` the column norms, and the product of the
    rotations is ``V``. Every rotation of a sweep is applied, one round of
    disjoint pairs at a time (round-robin order), as vectorized column updates.
    Columns that have become rounding noise are left alone (see Notes).

    Parameters
    ----------
    A : array_like, shape (m, n)
    tol : float, optional
        A pair ``(p, q)`` is rotated while
        ``|g_p . g_q| > tol ||g_p|| ||g_q||``. Default ``max(m, n) * eps``.
    max_sweeps : int, default 50
        Cap on the number of sweeps; reaching it issues a
        :class:`ConvergenceWarning`. Convergence is quadratic in the end and
        usually takes 5-10 sweeps.
    return_n_sweeps : bool, default False
        Also return the number of sweeps (the last one finds nothing to rotate).

    Returns
    -------
    U : ndarray, shape (m, r)
    s : ndarray, shape (r,)
        Non-increasing, ``r = min(m, n)``.
    Vt : ndarray, shape (r, n)
        Signs follow :func:`svdlab.linalg.sign_flip`.
    n_sweeps : int
        Only if ``return_n_sweeps``.

    Notes
    -----
    Defined in chapter 4. **Relative accuracy.** If ``A = B D`` with ``D``
    diagonal, every singular value comes out with relative error of order
    ``eps * cond(B)``, however small it is and however wildly ``D`` scales the
    columns (Demmel & Veselic 1992). The usual route (Householder
    bidiagonalization, then QR iteration or divide and conquer) guarantees
    only an absolute error of order ``eps * s_1``, so on a graded matrix
    ``D1 @ B @ D2`` with scrambled scales its small singular values can lose
    most of their digits; chapter 4 measures this against
    :func:`reference_singular_values`. The price is speed: each sweep costs
    about ``3mn^2`` flops, and several sweeps are needed.

    **Negligible columns.** The data are exact, but every rotation
    ``g_p <- c g_p - s g_q`` adds a rounding error of about
    ``eps (|c| ||g_p|| + |s| ||g_q||)`` to the column it writes, and passes on
    the errors its inputs carried (each column's error is tracked, the
    independent contributions added in quadrature). On a singular matrix one column is rotated
    towards zero: once its norm is below the error it carries, it is rounding
    noise, its cosine with any other column is meaningless (of order one,
    forever), and rotating it only shrinks it towards underflow. Such a column
    is therefore never rotated again; its norm (zero within its error) is
    returned as the singular value, with an orthonormal completion as left
    vector, which changes ``A`` by no more than that error. The threshold is
    the column's *own* accumulated error, not ``eps ||A||_F``: a column of a
    graded matrix scaled down to ``1e-40`` never met a large column in a
    rotation that cancelled, so it carries an error ``eps * 1e-40`` and keeps
    its relative accuracy. (``eps ||A||_F`` is what the error grows to on a
    column that has cancelled down from the size of ``A``, which is why a
    column below it can rarely be rotated meaningfully.) The matrix is scaled
    by a power of two first (exact), so squared norms neither overflow nor
    underflow at extreme scales.

    References
    ----------
    M. R. Hestenes, "Inversion of matrices by biorthogonalization and related
    results", J. SIAM 6 (1958). J. Demmel and K. Veselic, "Jacobi's method is
    more accurate than QR", SIAM J. Matrix Anal. Appl. 13 (1992). R. P. Brent
    and F. T. Luk, SIAM J. Sci. Stat. Comput. 6 (1985) for the parallel
    (round-robin) ordering. Z. Drmac and K. Veselic, "New fast and accurate
    Jacobi SVD algorithm II", SIAM J. Matrix Anal. Appl. 29 (2008), on the
    care LAPACK's ``gesvj`` takes with small and zero columns. Golub & Van
    Loan, *Matrix Computations*, 4th ed., 2013, section 8.6.4.

    Examples
    --------
    >>> A = np.array([[3.0, 0.0], [4.0, 5.0]])
    >>> U, s, Vt = jacobi_svd(A)
    >>> s**2
    array([45.,  5.])
    >>> np.allclose((U * s) @ Vt, A)
    True
    >>> U, s, Vt, sweeps = jacobi_svd([[1, 2, 3], [1, 2, 3], [2, 5, 6]], return_n_sweeps=True)
    >>> bool(s[2] < 1e-15 * s[0]), sweeps <= 6      # singular: converges all the same
    (True, True)
    """
    A = check_matrix(A, "A")
    if tol is not None:
        tol = check_scalar(tol, "tol", low=0.0, include_low=False)
    max_sweeps = check_int(max_sweeps, "max_sweeps", min_value=1)
    m, n = A.shape
    if m < n:  # A^T = U' S V'^T, so A = V' S U'^T
        Ut, s, V_t, sweeps = jacobi_svd(
            A.T, tol=tol, max_sweeps=max_sweeps, return_n_sweeps=True
        )
        U, Vt = sign_flip(V_t.T, Ut.T)
        return (U, s, Vt, sweeps) if return_n_sweeps else (U, s, Vt)
    dtype = A.dtype
    eps = np.finfo(dtype).eps
    if tol is None:
        tol = max(m, n) * eps
    big = float(np.abs(A).max())
    shift = -math.frexp(big)[1] if big > 0 else 0  # max |entry| in [1/2, 1) after scaling
    nn = n + (n % 2)  # a zero column pads an odd n; it is never rotated
    G = np.zeros((m, nn), dtype=dtype)
    G[:, :n] = np.ldexp(A, shift)
    V = np.eye(nn, dtype=dtype)
    err = np.zeros(nn)  # bound on the rounding error each column carries (data: exact)
    rounds = _round_robin(nn)
    converged, sweep = False, 0
    while not converged and sweep < max_sweeps:
        sweep += 1
        n_rot = 0
        for p, q in rounds:
            gp, gq = G[:, p], G[:, q]
            norm_p = np.linalg.norm(gp, axis=0)
            norm_q = np.linalg.norm(gq, axis=0)
            gamma = np.einsum("ij,ij->j", gp, gq)
            live = (norm_p > err[p]) & (norm_q > err[q])  # neither column is noise
            act = live & (np.abs(gamma) > tol * norm_p * norm_q)
            if not act.any():
                continue
            n_rot += int(act.sum())
            p, q, gamma = p[act], q[act], gamma[act]
            norm_p, norm_q = norm_p[act], norm_q[act]
            zeta = (norm_q - norm_p) * (norm_q + norm_p) / (2 * gamma)
            t = np.where(zeta >= 0, 1.0, -1.0) / (np.abs(zeta) + np.hypot(1.0, zeta))
            c = 1 / np.sqrt(1 + t * t)
            sn = c * t
            for M in (G, V):
                Mp, Mq = M[:, p], M[:, q]
                M[:, p] = c * Mp - sn * Mq
                M[:, q] = sn * Mp + c * Mq
            # the errors carried over plus this rotation's rounding, eps (|c| ||g_p|| +
            # |s| ||g_q||), added in quadrature: independent roundings grow like the
            # square root of their number (a worst-case sum would freeze columns that
            # are still shrinking meaningfully, at ~100 eps ||A||_F)
            ac, asn = np.abs(c), np.abs(sn)
            ep, eq = err[p], err[q]
            err[p] = np.sqrt((ac * ep) ** 2 + (asn * eq) ** 2
                             + (eps * (ac * norm_p + asn * norm_q)) ** 2)
            err[q] = np.sqrt((asn * ep) ** 2 + (ac * eq) ** 2
                             + (eps * (asn * norm_p + ac * norm_q)) ** 2)
        converged = n_rot == 0
    if not converged:
        warnings.warn(
            f"jacobi_svd: columns not orthogonal to tol={tol:.2g} after "
            f"max_sweeps={max_sweeps} sweeps",
            ConvergenceWarning,
            stacklevel=2,
        )
    G, V, err = G[:, :n], V[:n, :n], err[:n]
    s = np.linalg.norm(G, axis=0)
    order = np.argsort(-s, kind="stable")
    s, G, V, err = s[order], G[:, order], V[:, order], err[order]
    good = s > err
    U = np.zeros_like(G)
    U[:, good] = G[:, good] / s[good]
    U = _complete_columns(U, good)
    U, Vt = sign_flip(U, V.T)
    s = np.ldexp(s, -shift)
    return (U, s, Vt, sweep) if return_n_sweeps else (U, s, Vt)


def golub_kahan_bidiag(A) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Golub-Kahan bidiagonalization ``A = U @ B @ Vt`` by alternating Householder reflections.

    For ``m >= n``, step ``k`` reflects from the left to zero column ``k``
    below the diagonal, then from the right to zero row ``k`` beyond the
    superdiagonal. ``B`` has the singular values of ``A`` (the factors are
    orthogonal) in only ``2n - 1`` numbers.

    Parameters
    ----------
    A : array_like, shape (m, n)

    Returns
    -------
    U : ndarray, shape (m, r)
        Orthonormal columns, ``r = min(m, n)``.
    B : ndarray, shape (r, r)
        Upper bidiagonal with non-negative entries (signs moved into ``U`` and
        ``Vt``, which is always possible for a bidiagonal matrix).
    Vt : ndarray, shape (r, n)
        Orthonormal rows.

    Notes
    -----
    Defined in chapter 4. **Why LAPACK bidiagonalizes first.** An SVD cannot
    be computed in finitely many steps (singular values are roots of
    polynomials), so some phase must iterate. Applying the iteration to a
    dense ``A`` would cost ``O(mn^2)`` per sweep; the reduction to ``B`` costs
    ``4mn^2 - 4n^3/3`` flops *once*, is finite and backward stable, and
    afterwards each implicit-QR sweep (``gesvd``, via ``bdsqr``) or the divide
    and conquer (``gesdd``, via ``bdsdc``) works on ``O(n)`` numbers: the
    singular values alone cost ``O(n^2)``, and ``bdsqr`` finds them to high
    relative accuracy (Demmel & Kahan 1990). Singular vectors add the cost of
    applying the rotations to ``U`` and ``V``. Orthogonal reflections never
    form ``A^T A``, so no digits are lost to squaring the condition number.

    For a wide matrix this routine first computes ``A = L Q^T`` (QR of
    ``A^T``) and bidiagonalizes the square ``L``, so ``B`` is upper bidiagonal
    in every case (LAPACK's ``gebrd`` returns a *lower* bidiagonal ``B`` for
    ``m < n``). The same idea for ``m >> n``, QR first and then the small
    ``R``, is Chan's R-bidiagonalization, which LAPACK uses when it saves
    flops.

    References
    ----------
    G. Golub and W. Kahan, "Calculating the singular values and pseudo-inverse
    of a matrix", SIAM J. Numer. Anal. 2 (1965). Golub & Van Loan, *Matrix
    Computations*, 4th ed., 2013, section 5.4.8. Trefethen & Bau, *Numerical
    Linear Algebra*, 1997, lecture 31. J. Demmel and W. Kahan, "Accurate
    singular values of bidiagonal matrices", SIAM J. Sci. Stat. Comput. 11
    (1990).

    Examples
    --------
    >>> A = np.arange(1.0, 13.0).reshape(4, 3)
    >>> U, B, Vt = golub_kahan_bidiag(A)
    >>> bool(np.all(np.triu(B, 2) == 0) and np.all(np.tril(B, -1) == 0))
    True
    >>> np.allclose(U @ B @ Vt, A)
    True
    >>> np.allclose(np.linalg.svd(B, compute_uv=False), np.linalg.svd(A, compute_uv=False))
    True
    """
    A = check_matrix(A, "A")
    m, n = A.shape
    if m < n:  # A^T = Q R, so A = R^T Q^T with R^T square (lower triangular)
        Q, R = qr_householder(A.T)
        U, B, Wt = golub_kahan_bidiag(R.T)
        return U, B, Wt @ Q.T
    W = np.array(A, copy=True)
    left, right = [], []
    for k in range(n):
        v = _householder(W[k:, k])
        if v is not None:
            W[k:, k:] -= 2.0 * np.outer(v, v @ W[k:, k:])
        left.append(v)
        if k < n - 2:
            w = _householder(W[k, k + 1 :])
            if w is not None:
                W[k:, k + 1 :] -= 2.0 * np.outer(W[k:, k + 1 :] @ w, w)
            right.append(w)
    d, e = np.diagonal(W).copy(), np.diagonal(W, 1).copy()
    U = np.eye(m, n, dtype=W.dtype)
    for k in range(n - 1, -1, -1):  # U = H_0 ... H_{n-1} I
        v = left[k]
        if v is not None:
            U[k:, k:] -= 2.0 * np.outer(v, v @ U[k:, k:])
    V = np.eye(n, dtype=W.dtype)
    for k in range(len(right) - 1, -1, -1):  # V = G_0 ... G_{n-3}, G_k acts on k+1:
        w = right[k]
        if w is not None:
            V[k + 1 :, k + 1 :] -= 2.0 * np.outer(w, w @ V[k + 1 :, k + 1 :])
    # non-negative B: s_u[i] d_i s_v[i] = |d_i| and s_u[i] e_i s_v[i+1] = |e_i|
    sd, se = np.sign(d), np.sign(e)
    sd[sd == 0], se[se == 0] = 1, 1
    s_v = np.concatenate([[1.0], np.cumprod(sd[:-1] * se)]).astype(W.dtype)
    s_u = sd * s_v
    B = np.diag(np.abs(d)) + np.diag(np.abs(e), 1)
    return U * s_u, B.astype(W.dtype), (V * s_v).T


def _inertia_count(G: list[list[int]], num: int, den: int) -> int | None:
    """Number of eigenvalues of the symmetric integer matrix ``G`` below ``num / den``.

    Sylvester's law of inertia: ``G - x I = L D L^T`` has as many negative
    pivots in ``D`` as ``G`` has eigenvalues below ``x``, and the pivots are
    ratios of consecutive leading principal minors. The minors of
    ``den * G - num * I`` (same inertia) are computed exactly in integers by
    Bareiss' fraction-free elimination. None if a minor is exactly zero (the
    caller then nudges ``x``).
    """
    n = len(G)
    M = [[G[i][j] * den - (num if i == j else 0) for j in range(n)] for i in range(n)]
    negative, prev = 0, 1
    for k in range(n):
        pivot = M[k][k]  # the leading principal minor of order k + 1
        if pivot == 0:
            return None
        negative += (pivot < 0) != (prev < 0)
        row_k = M[k]
        for i in range(k + 1, n):
            row_i = M[i]
            f = row_i[k]
            for j in range(k + 1, n):
                row_i[j] = (row_i[j] * pivot - f * row_k[j]) // prev
        prev = pivot
    return negative


def reference_singular_values(A) -> np.ndarray:
    """Singular values of a small matrix to full double precision, by exact arithmetic.

    Every double is an integer times a power of two, so ``G = A^T A`` can be
    formed exactly in Python's unbounded integers (after one common scaling).
    Each eigenvalue ``lambda_i`` of ``G`` is then located by bisection,
    counting the eigenvalues below a trial point exactly with Sylvester's law
    of inertia (integer Bareiss elimination). The bisection stops
    when the bracket is one unit in the last place of ``lambda_i``, so each
    returned ``s_i = sqrt(lambda_i)`` has a relative error of about ``eps``
    however small it is: a reference for testing the relative accuracy of
    SVD algorithms without extended-precision libraries.

    Parameters
    ----------
    A : array_like, shape (m, n)
        Small (``min(m, n) <= 12``): the cost grows like ``n^4`` times the
        length of the exact numbers. Singular values below about ``1e-150``
        (whose squares underflow) come out as 0.

    Returns
    -------
    s : ndarray of float64, shape (min(m, n),)
        Non-increasing.

    Notes
    -----
    Defined in chapter 4, where it measures how many digits LAPACK and
    :func:`jacobi_svd` get right on a graded matrix.

    References
    ----------
    Golub & Van Loan, *Matrix Computations*, 4th ed., 2013, section 8.4.1
    (Sturm sequences and inertia counting for symmetric eigenvalues).

    Examples
    --------
    >>> reference_singular_values([[3.0, 0.0], [4.0, 5.0]]) ** 2
    array([45.,  5.])
    """
    A = check_matrix(A, "A").astype(np.float64)
    if A.shape[0] < A.shape[1]:
        A = A.T
    m, n = A.shape
    if n > 12:
        raise ValueError(
            f"A must be small for exact arithmetic (min(m, n) <= 12), got min(m, n) = {n}"
        )
    # every double is an integer times a power of two: A = Ai / 2**e exactly
    e = max(0, max(-(math.frexp(float(x))[1] - 53) for x in A.ravel() if x != 0)
            if np.any(A) else 0)
    Ai = [[int(Fraction(float(x)) * 2**e) for x in row] for row in A]
    G = [[sum(Ai[r][i] * Ai[r][j] for r in range(m)) for j in range(n)] for i in range(n)]

    def count(x: float) -> int:  # eigenvalues of A^T A = G / 4**e below x
        while True:
            num, den = x.as_integer_ratio()  # x * 4**e = num * 4**e / den
            c = _inertia_count(G, num * 4**e, den)
            if c is not None:
                return c
            x = float(np.nextafter(x, np.inf))  # x hit an eigenvalue of a leading block

    top = 2.0 * float(np.sum(A * A)) + 1e-300  # above every eigenvalue (the trace)
    lam = np.zeros(n)
    for i in range(n):  # the i-th smallest eigenvalue: count(lo) <= i < count(hi)
        lo, hi = 0.0, top
        while True:
            if lo == 0.0:
                if hi < 1e-300:
                    break
                mid = hi * 2.0**-60
            elif hi / lo > 2.0:
                mid = math.sqrt(lo) * math.sqrt(hi)
            else:
                mid = lo + (hi - lo) / 2
            if not lo < mid < hi:
                break
            if count(mid) > i:
                hi = mid
            else:
                lo = mid
        if lo == 0.0:  # bracket (0, hi) with hi < 1e-300: zero to double range
            lam[i] = 0.0 if hi < 1e-300 else hi
        else:
            lam[i] = lo + (hi - lo) / 2
    return np.sqrt(lam[::-1])


# ---------------------------------------------------------------------------
# Chapter 3b: Krylov bidiagonalization, rank-revealing QR, Gram-Schmidt
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LanczosBidiag:
    """Result of :func:`golub_kahan_lanczos`: ``A V_k = U_k B_k`` and
    ``A^T U_k = V_k B_k^T + beta_k v_{k+1} e_k^T``.

    Attributes
    ----------
    U : ndarray, shape (m, k)
        Left Lanczos vectors.
    V : ndarray, shape (n, k + 1)
        Right Lanczos vectors; the last continues the recurrence.
    alpha : ndarray, shape (k,)
        Diagonal of the upper bidiagonal ``B_k``.
    beta : ndarray, shape (k,)
        ``beta[:-1]`` is the superdiagonal of ``B_k``, ``beta[-1]`` the residual norm.
    n_reorth : int
        How many vectors were reorthogonalized.
    """

    U: np.ndarray
    V: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    n_reorth: int

    @property
    def B(self) -> np.ndarray:
        """The ``(k, k)`` upper bidiagonal matrix ``U_k^T A V_k``."""
        return np.diag(self.alpha) + np.diag(self.beta[:-1], 1)


def _orthogonalize(x: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Classical Gram-Schmidt against the columns of ``Q``, done twice ("twice is enough")."""
    for _ in range(2):
        x = x - Q @ (Q.T @ x)
    return x


def golub_kahan_lanczos(
    A,
    k: int,
    *,
    reorth: str = "full",
    v0=None,
    random_state=None,
) -> LanczosBidiag:
    """``k`` steps of Golub-Kahan-Lanczos bidiagonalization, with a choice of reorthogonalization.

    From a unit vector ``v_1``, the two coupled three-term recurrences

    ``alpha_j u_j = A v_j - beta_{j-1} u_{j-1}``,
    ``beta_j v_{j+1} = A^T u_j - alpha_j v_j``

    build orthonormal bases of the Krylov spaces ``K_k(A^T A, v_1)`` and
    ``K_k(A A^T, A v_1)`` and an upper bidiagonal ``B_k = U_k^T A V_k`` whose
    singular values (the Ritz values) approximate the largest singular values
    of ``A`` after a few dozen steps. It is the Lanczos process applied to the
    Jordan-Wielandt matrix ``[[0, A], [A^T, 0]]`` from ``[0; v_1]``, with half
    of the work skipped. Only products with ``A`` and ``A^T`` are needed, so
    ``A`` may be sparse or a ``LinearOperator``: this is the engine of PROPACK
    (``scipy.sparse.linalg.svds(solver="propack")``).

    In floating point the vectors lose orthogonality as soon as a Ritz value
    converges, and copies ("ghosts") of converged singular values appear.
    ``reorth`` chooses the remedy:

    * ``"none"``: the bare recurrence (cheap, loses orthogonality);
    * ``"full"``: each new vector is orthogonalized against all previous ones
      (twice), ``O((m + n) k^2)`` extra flops, orthogonal to working precision;
    * ``"partial"``: Simon's and Larsen's partial reorthogonalization. The
      inner products ``u_j^T u_i`` and ``v_j^T v_i`` are *estimated* from the
      recurrence itself (``O(k)`` per step, no products with the vectors) and
      a vector is reorthogonalized, at that step and the next, only when an
      estimate exceeds ``sqrt(eps)``. Semi-orthogonality (``sqrt(eps)``) is
      enough for ``B_k`` to have the Ritz values of the fully reorthogonalized
      process to working precision.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or LinearOperator, shape (m, n)
    k : int
        Number of steps, ``1 <= k <= min(m, n)``.
    reorth : {"full", "partial", "none"}
    v0 : array_like, shape (n,), optional
        Start vector (normalized here); default a random Gaussian vector.
    random_state : None, int or numpy.random.Generator
        Seeds the default start vector.

    Returns
    -------
    LanczosBidiag
        With fewer than ``k`` steps if an invariant subspace is found first
        (a ``beta_j`` or ``alpha_j`` below ``max(m, n) * eps * ||A||``).

    Raises
    ------
    ValueError
        For an unknown ``reorth``, ``k`` out of range or a zero ``v0``.

    References
    ----------
    G. Golub and W. Kahan, "Calculating the singular values and pseudo-inverse
    of a matrix", SIAM J. Numer. Anal. 2 (1965). H. D. Simon, "The Lanczos
    algorithm with partial reorthogonalization", Math. Comp. 42 (1984).
    R. M. Larsen, "Lanczos bidiagonalization with partial reorthogonalization",
    DAIMI PB-357, Aarhus University, 1998 (PROPACK). Golub & Van Loan,
    *Matrix Computations*, 4th ed., 2013, section 10.4. Taught in chapter 3b.

    Examples
    --------
    >>> A = np.diag(np.arange(1.0, 31.0))
    >>> lb = golub_kahan_lanczos(A, 12, random_state=0)
    >>> s = np.linalg.svd(lb.B, compute_uv=False)
    >>> round(float(s[0]), 6)                     # the largest singular value, 30
    30.0
    >>> np.allclose(A @ lb.V[:, :12], lb.U @ lb.B)
    True
    """
    A = check_operator(A, "A")
    m, n = A.shape
    k = check_rank(k, A.shape, "k")
    reorth = check_option(reorth, "reorth", ("full", "partial", "none"))
    if v0 is None:
        v = check_random_state(random_state).standard_normal(n)
    else:
        v = np.asarray(check_array(v0, "v0", ndim=1), dtype=np.float64)
        if v.shape[0] != n:
            raise ValueError(f"v0 must have length n = {n}, got length {v.shape[0]}")
    nv = np.linalg.norm(v)
    if nv == 0:
        raise ValueError("v0 must not be the zero vector")
    eps = np.finfo(np.float64).eps
    thresh = np.sqrt(eps)
    U = np.zeros((m, k))
    V = np.zeros((n, k + 1))
    alpha, beta = np.zeros(k), np.zeros(k)
    V[:, 0] = v / nv
    # estimated inner products: mu[j, i] ~ u_j^T u_i, nu[j, i] ~ v_j^T v_i (partial only)
    mu = np.eye(k + 1)
    nu = np.eye(k + 2)
    force_u = force_v = False
    n_reorth = 0
    anorm = 0.0
    p = np.asarray(A @ V[:, 0], dtype=np.float64).ravel()
    steps = k
    for j in range(k):
        if j > 0:
            p = np.asarray(A @ V[:, j], dtype=np.float64).ravel() - beta[j - 1] * U[:, j - 1]
        if reorth == "full" and j > 0:
            p = _orthogonalize(p, U[:, :j])
            n_reorth += 1
        a = np.linalg.norm(p)
        if reorth == "partial" and j > 0:
            # alpha_j mu_{j,i} = alpha_i nu_{j,i} + beta_i nu_{j,i+1} - beta_{j-1} mu_{j-1,i}
            i = np.arange(j)
            est = alpha[i] * nu[j, i] + beta[i] * nu[j, i + 1] - beta[j - 1] * mu[j - 1, i]
            est = est / max(a, eps * anorm)
            est += np.where(est >= 0, 1.0, -1.0) * 2 * eps * max(anorm, a) / max(a, eps * anorm)
            mu[j, :j] = est
            if force_u or np.max(np.abs(est)) > thresh:
                p = _orthogonalize(p, U[:, :j])
                a = np.linalg.norm(p)
                mu[j, :j] = eps
                n_reorth += 1
                force_u = not force_u
        anorm = max(anorm, a)
        if a <= max(m, n) * eps * anorm:  # A v_j lies in span(U): invariant subspace
            steps = j
            break
        alpha[j] = a
        U[:, j] = p / a
        r = np.asarray(A.T @ U[:, j], dtype=np.float64).ravel() - a * V[:, j]
        if reorth == "full":
            r = _orthogonalize(r, V[:, : j + 1])
            n_reorth += 1
        b = np.linalg.norm(r)
        if reorth == "partial":
            # beta_j nu_{j+1,i} = alpha_i mu_{j,i} + beta_{i-1} mu_{j,i-1} - alpha_j nu_{j,i}
            i = np.arange(j + 1)
            prev = np.where(i > 0, beta[np.maximum(i - 1, 0)] * mu[j, np.maximum(i - 1, 0)], 0.0)
            est = alpha[i] * mu[j, i] + prev - a * nu[j, i]
            est = est / max(b, eps * anorm)
            est += np.where(est >= 0, 1.0, -1.0) * 2 * eps * max(anorm, b) / max(b, eps * anorm)
            nu[j + 1, : j + 1] = est
            if force_v or np.max(np.abs(est)) > thresh:
                r = _orthogonalize(r, V[:, : j + 1])
                b = np.linalg.norm(r)
                nu[j + 1, : j + 1] = eps
                n_reorth += 1
                force_v = not force_v
        anorm = max(anorm, np.hypot(a, b))
        beta[j] = b
        if b <= max(m, n) * eps * anorm:  # A^T u_j lies in span(V): invariant subspace
            steps = j + 1
            break
        V[:, j + 1] = r / b
    return LanczosBidiag(U=U[:, :steps], V=V[:, : steps + 1], alpha=alpha[:steps],
                         beta=beta[:steps], n_reorth=n_reorth)


def qr_pivoted(A) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Householder QR with column pivoting, ``A[:, perm] = Q @ R`` (Businger-Golub).

    At step ``k`` the remaining column of largest norm (in the rows not yet
    reduced) is swapped into position ``k`` before it is reflected. The
    diagonal of ``R`` then decreases, ``|r_11| >= |r_22| >= ...``, and each
    ``|r_kk|`` is the distance of column ``perm[k]`` from the span of the
    columns chosen before it: a cheap, usually reliable, revealer of numerical
    rank, and a greedy choice of well-conditioned columns (column subset
    selection). The column norms are downdated, ``||x||^2 - r_kj^2``, and
    recomputed when cancellation has eaten half the digits (LAPACK's
    ``geqp3`` rule), so pivoting costs ``O(mn)`` extra flops.

    Parameters
    ----------
    A : array_like, shape (m, n)

    Returns
    -------
    Q : ndarray, shape (m, r)
        Orthonormal columns, ``r = min(m, n)``.
    R : ndarray, shape (r, n)
        Upper trapezoidal with ``R[0, 0] >= R[1, 1] >= ... >= 0``.
    perm : ndarray of int, shape (n,)
        The column permutation.

    Raises
    ------
    ValueError
        If ``A`` is not a finite, non-empty matrix.

    Notes
    -----
    In the worst case plain column pivoting can overestimate the smallest
    singular value of the leading columns by a factor exponential in their
    number (Kahan's matrix comes close); strong rank-revealing QR (Gu &
    Eisenstat) bounds the factor by a low-degree polynomial in ``k`` and ``n``
    at the price of a few extra column swaps. Plain pivoting rarely fails in
    practice. ``scipy.linalg.qr(A, pivoting=True)`` (LAPACK ``geqp3``)
    chooses the same pivots, up to ties.

    References
    ----------
    P. Businger and G. H. Golub, "Linear least squares solutions by
    Householder transformations", Numer. Math. 7 (1965). M. Gu and S. C.
    Eisenstat, "Efficient algorithms for computing a strong rank-revealing QR
    factorization", SIAM J. Sci. Comput. 17 (1996). Golub & Van Loan, *Matrix
    Computations*, 4th ed., 2013, section 5.4.2. Taught in chapter 3b.

    Examples
    --------
    >>> A = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 5.0], [1.0, 2.0, 7.0]])
    >>> Q, R, perm = qr_pivoted(A)
    >>> perm                           # the largest column first
    array([2, 1, 0])
    >>> np.allclose(Q @ R, A[:, perm]), bool(abs(R[2, 2]) < 1e-12)   # rank 2
    (True, True)
    """
    A = check_matrix(A, "A")
    W = np.array(A, dtype=np.float64 if A.dtype != np.float32 else np.float32, copy=True)
    m, n = W.shape
    r = min(m, n)
    perm = np.arange(n)
    eps = np.finfo(W.dtype).eps
    vn1 = np.linalg.norm(W, axis=0)  # partial column norms, downdated
    vn2 = vn1.copy()  # the norms when last computed exactly
    vs = []
    for k in range(r):
        p = k + int(np.argmax(vn1[k:]))
        if p != k:
            W[:, [k, p]] = W[:, [p, k]]
            perm[[k, p]] = perm[[p, k]]
            vn1[[k, p]], vn2[[k, p]] = vn1[[p, k]], vn2[[p, k]]
        v = _householder(W[k:, k]) if k < m - 1 else None
        if v is not None:
            W[k:, k:] -= 2.0 * np.outer(v, v @ W[k:, k:])
            W[k + 1 :, k] = 0.0
        vs.append(v)
        if k + 1 < n:
            j = slice(k + 1, n)
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = np.where(vn1[j] > 0, np.abs(W[k, j]) / vn1[j], 0.0)
                keep = np.maximum(0.0, 1.0 - ratio**2)
                drift = keep * np.where(vn2[j] > 0, (vn1[j] / vn2[j]) ** 2, 0.0)
            redo = drift <= np.sqrt(eps)
            new = vn1[j] * np.sqrt(keep)
            if np.any(redo):
                cols = np.flatnonzero(redo) + k + 1
                exact = np.linalg.norm(W[k + 1 :, cols], axis=0) if k + 1 < m else 0.0 * cols
                new[redo] = exact
                vn2[cols] = exact
            vn1[j] = new
    Q = np.eye(m, r, dtype=W.dtype)
    for k in range(len(vs) - 1, -1, -1):
        v = vs[k]
        if v is not None:
            Q[k:, k:] -= 2.0 * np.outer(v, v @ Q[k:, k:])
    R = np.triu(W[:r])
    signs = np.sign(np.diagonal(R)).astype(R.dtype)
    signs[signs == 0] = 1
    R *= signs[:, None]
    R += 0.0
    Q *= signs
    return Q, R, perm


def gram_schmidt(A, method: str = "modified") -> tuple[np.ndarray, np.ndarray]:
    """QR by Gram-Schmidt orthogonalization: classical, modified, or classical twice.

    * ``"classical"`` (CGS): ``q_j`` is ``a_j`` minus its projections on
      ``q_1..q_{j-1}``, all computed from the *original* ``a_j``
      (``r_ij = q_i^T a_j``). The loss of orthogonality ``||I - Q^T Q||``
      grows like ``eps * kappa(A)^2``.
    * ``"modified"`` (MGS): the projections are removed one at a time and each
      ``r_ij`` is computed from the partially reduced vector. Mathematically
      the same, numerically ``||I - Q^T Q|| = O(eps * kappa(A))`` (Björck).
    * ``"classical2"`` (CGS2): classical Gram-Schmidt applied twice to each
      column, orthogonal to ``O(eps)`` while ``kappa(A) < 1/eps`` (Giraud et
      al.), with the BLAS-2 speed of CGS. Householder QR
      (:func:`qr_householder`) is orthogonal to ``O(eps)`` unconditionally.

    Parameters
    ----------
    A : array_like, shape (m, n), ``m >= n``
    method : {"modified", "classical", "classical2"}

    Returns
    -------
    Q : ndarray, shape (m, n)
    R : ndarray, shape (n, n)
        Upper triangular with a positive diagonal.

    Raises
    ------
    ValueError
        For ``m < n`` or an unknown ``method``.
    numpy.linalg.LinAlgError
        If a column is exactly dependent on the previous ones (``r_jj = 0``).

    References
    ----------
    Å. Björck, "Solving linear least squares problems by Gram-Schmidt
    orthogonalization", BIT 7 (1967). L. Giraud, J. Langou, M. Rozložník and
    J. van den Eshof, "Rounding error analysis of the classical Gram-Schmidt
    orthogonalization process", Numer. Math. 101 (2005). Trefethen & Bau,
    *Numerical Linear Algebra*, 1997, lectures 8 and 9. Taught in chapter 3b.

    Examples
    --------
    >>> A = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> Q, R = gram_schmidt(A, "classical")
    >>> np.allclose(Q @ R, A), np.allclose(Q.T @ Q, np.eye(2))
    (True, True)
    >>> np.round(R, 4)
    array([[1.4142, 0.7071],
           [0.    , 1.2247]])
    """
    A = check_matrix(A, "A")
    method = check_option(method, "method", ("modified", "classical", "classical2"))
    m, n = A.shape
    if m < n:
        raise ValueError(f"gram_schmidt needs m >= n (at most m independent columns), "
                         f"got A of shape {A.shape}")
    Q = np.array(A, copy=True)
    R = np.zeros((n, n), dtype=Q.dtype)
    for j in range(n):
        # MGS (row-oriented) has already removed q_1..q_{j-1} from column j, one at a time
        if method != "modified":
            # CGS: all projections from the same vector (the original a_j on the first pass)
            for _ in range(1 if method == "classical" else 2):
                c = Q[:, :j].T @ Q[:, j]
                Q[:, j] -= Q[:, :j] @ c
                R[:j, j] += c
        rjj = np.linalg.norm(Q[:, j])
        if rjj == 0:
            raise np.linalg.LinAlgError(
                f"column {j} of A is linearly dependent on the previous ones (r_jj = 0)")
        R[j, j] = rjj
        Q[:, j] /= rjj
        if method == "modified" and j + 1 < n:
            R[j, j + 1 :] = Q[:, j] @ Q[:, j + 1 :]
            Q[:, j + 1 :] -= np.outer(Q[:, j], R[j, j + 1 :])
    return Q, R
