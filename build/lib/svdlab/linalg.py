"""The SVD and what follows from it, and the factorizations around it.

Taught in chapter 1 (*What the SVD is*) and chapter 2 (*Geometry and theory*):
reconstruction, truncation, norms, energy, rank, pseudo-inverse, least squares.

Chapter 3 (*The factorization family*) adds teaching implementations of LU with
partial pivoting (:func:`lu`, :func:`lu_factor`, :func:`lu_solve`), Householder
QR (:func:`qr_householder`) and Cholesky (:func:`cholesky`); chapter 4
(*Computing the SVD*) adds power iteration with deflation
(:func:`power_iteration`), one-sided Jacobi (:func:`jacobi_svd`) and
Golub-Kahan bidiagonalization (:func:`golub_kahan_bidiag`). They are written to
be read: vectorized NumPy, one loop over columns or steps, each checked against
LAPACK (through NumPy/SciPy) in the tests. Use LAPACK for real work.

Conventions (see the notation page of the book):

* ``A = U @ np.diag(s) @ Vt`` with ``A`` of shape ``(m, n)``; the thin SVD has
  ``U`` of shape ``(m, r)``, ``s`` of shape ``(r,)``, ``Vt`` of shape ``(r, n)``,
  ``r = min(m, n)``, and ``s[0] >= s[1] >= ... >= 0``.
* Singular vectors are unique only up to a simultaneous sign flip of
  ``U[:, i]`` and ``Vt[i, :]``. Every function of the package that returns
  singular vectors fixes the sign with :func:`sign_flip`: in each *row* of
  ``Vt``, the entry of largest absolute value is positive (scikit-learn's rule
  for ``PCA`` and ``TruncatedSVD`` since 1.5). Results are then reproducible
  across LAPACK builds and agree with scikit-learn's components.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.linalg as sla

from ._validation import (
    check_array,
    check_fraction,
    check_int,
    check_matrix,
    check_operator,
    check_option,
    check_random_state,
    check_rank,
    check_scalar,
    check_singular_values,
    check_svd_factors,
    check_vector,
)

__all__ = [
    "svd",
    "reconstruct",
    "truncate",
    "low_rank_approx",
    "rank_one_terms",
    "MatrixNorms",
    "matrix_norms",
    "condition_number",
    "energy",
    "rank_for_energy",
    "effective_rank",
    "numerical_rank",
    "pinv",
    "LstsqResult",
    "lstsq",
    "svd_via_eig",
    "sign_flip",
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
]


def sign_flip(U: np.ndarray, Vt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fix the sign ambiguity of singular vector pairs: the package's one convention.

    For each ``i < min(U.shape[1], Vt.shape[0])`` the pair ``(U[:, i], Vt[i, :])``
    is negated when the entry of largest absolute value of the *row* ``Vt[i, :]``
    is negative (the first such entry on a tie). This is scikit-learn's rule since
    version 1.5 (``svd_flip(u, v, u_based_decision=False)``), used by its
    ``PCA`` and ``TruncatedSVD``, so components computed by svdlab and by
    scikit-learn agree entry by entry. The product ``U @ diag(s) @ Vt`` does not
    change. Extra columns of ``U`` (or rows of ``Vt``) of a full SVD, which have
    no partner, follow the same rule on their own (largest entry positive).

    Parameters
    ----------
    U : ndarray, shape (m, p)
        Left singular vectors as columns.
    Vt : ndarray, shape (q, n)
        Right singular vectors as rows.

    Returns
    -------
    U, Vt : ndarray
        Copies with the signs fixed.

    Notes
    -----
    Defined in chapter 1 (section 1.2, uniqueness up to signs); the notation page
    states the convention. Why the right vectors: for data ``X`` with samples in
    rows, ``Vt`` holds the principal axes (``components_``), which do not depend
    on how many samples there are, while ``U`` does.

    Examples
    --------
    >>> U = np.array([[0.6, 0.8], [0.8, -0.6]])
    >>> Vt = np.array([[-1.0, 0.0], [0.0, 1.0]])
    >>> Uf, Vtf = sign_flip(U, Vt)
    >>> Vtf
    array([[ 1., -0.],
           [ 0.,  1.]])
    >>> Uf
    array([[-0.6,  0.8],
           [-0.8, -0.6]])
    """
    U = np.array(U, copy=True)
    Vt = np.array(Vt, copy=True)
    if U.ndim != 2 or Vt.ndim != 2:
        raise ValueError(f"U and Vt must be 2-D arrays, got shapes {U.shape} and {Vt.shape}")
    r = min(U.shape[1], Vt.shape[0])
    if Vt.shape[0] and Vt.shape[1]:
        idx = np.argmax(np.abs(Vt), axis=1)
        signs = np.sign(Vt[np.arange(Vt.shape[0]), idx])
        signs[signs == 0] = 1.0
        Vt *= signs[:, None].astype(Vt.dtype)
        if U.shape[0]:
            U[:, :r] *= signs[:r].astype(U.dtype)
    if U.shape[1] > r and U.shape[0]:  # columns of a full U with no partner row in Vt
        extra = U[:, r:]
        idx = np.argmax(np.abs(extra), axis=0)
        s2 = np.sign(extra[idx, np.arange(extra.shape[1])])
        s2[s2 == 0] = 1.0
        U[:, r:] *= s2.astype(U.dtype)
    return U, Vt


def svd(A, full_matrices: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Singular value decomposition ``A = U @ diag(s) @ Vt`` with a fixed sign convention.

    A thin wrapper around LAPACK (``scipy.linalg.svd``, driver ``gesdd`` with a
    fall-back to the slower but more robust ``gesvd``) that validates the input
    and removes the sign ambiguity with :func:`sign_flip`.

    Parameters
    ----------
    A : array_like, shape (m, n)
        Real matrix with finite entries. float32 input stays float32.
    full_matrices : bool, default False
        If False (the thin SVD), ``U`` is ``(m, r)`` and ``Vt`` is ``(r, n)``
        with ``r = min(m, n)``. If True, ``U`` is ``(m, m)`` and ``Vt`` is
        ``(n, n)``.

    Returns
    -------
    U : ndarray, shape (m, r) or (m, m)
        Left singular vectors as orthonormal columns.
    s : ndarray, shape (r,)
        Singular values, non-increasing.
    Vt : ndarray, shape (r, n) or (n, n)
        Right singular vectors as orthonormal *rows* (NumPy's convention).

    Notes
    -----
    Defined in chapter 1. Algorithm: Golub-Kahan bidiagonalization followed by
    divide and conquer, see Golub & Van Loan, *Matrix Computations*, 4th ed.,
    section 8.6; chapter 4 of the book builds the pieces by hand.

    Examples
    --------
    >>> A = np.array([[3.0, 0.0], [4.0, 5.0]])
    >>> U, s, Vt = svd(A)
    >>> s**2                      # the eigenvalues of A.T @ A
    array([45.,  5.])
    >>> np.allclose(U @ np.diag(s) @ Vt, A)
    True
    """
    A = check_matrix(A, "A")
    try:
        U, s, Vt = sla.svd(A, full_matrices=full_matrices, check_finite=False)
    except np.linalg.LinAlgError:  # gesdd can fail to converge on rare inputs
        U, s, Vt = sla.svd(
            A, full_matrices=full_matrices, check_finite=False, lapack_driver="gesvd"
        )
    U, Vt = sign_flip(U, Vt)
    return U, s, Vt


def reconstruct(U, s, Vt) -> np.ndarray:
    """Multiply the factors back: ``U @ diag(s) @ Vt``, without forming ``diag(s)``.

    Scaling the columns of ``U`` costs O(mr) instead of the O(mr^2) of a
    product with a dense diagonal matrix.

    Examples
    --------
    >>> A = np.arange(6.0).reshape(2, 3)
    >>> np.allclose(reconstruct(*svd(A)), A)
    True
    """
    U, s, Vt = check_svd_factors(U, s, Vt)
    return (U * s) @ Vt


def truncate(U, s, Vt, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the ``k`` leading singular triplets ``(U[:, :k], s[:k], Vt[:k])``.

    Examples
    --------
    >>> U, s, Vt = svd(np.eye(4) * [4.0, 3.0, 2.0, 1.0])
    >>> [x.shape for x in truncate(U, s, Vt, 2)]
    [(4, 2), (2,), (2, 4)]
    """
    U, s, Vt = check_svd_factors(U, s, Vt)
    k = check_rank(k, s.shape[0])
    return U[:, :k], s[:k], Vt[:k]


def low_rank_approx(A, k: int) -> np.ndarray:
    """The best rank-``k`` approximation of ``A`` (Eckart-Young-Mirsky).

    ``A_k = sum_{i<k} s_i u_i v_i^T`` minimises ``||A - B||`` over all matrices
    ``B`` of rank at most ``k``, in the spectral and in the Frobenius norm, with
    errors ``s[k]`` and ``sqrt(sum(s[k:]**2))`` respectively.

    References
    ----------
    C. Eckart and G. Young, "The approximation of one matrix by another of lower
    rank", Psychometrika 1 (1936). Taught in chapter 2.

    Examples
    --------
    >>> A = np.diag([5.0, 2.0, 1.0])
    >>> low_rank_approx(A, 1)
    array([[5., 0., 0.],
           [0., 0., 0.],
           [0., 0., 0.]])
    """
    A = check_matrix(A, "A")
    k = check_rank(k, A.shape)
    return reconstruct(*truncate(*svd(A), k))


def rank_one_terms(A, k: int | None = None) -> np.ndarray:
    """The SVD as a sum of rank-1 matrices: ``A = sum_i s_i u_i v_i^T``.

    Parameters
    ----------
    A : array_like, shape (m, n)
    k : int, optional
        Number of terms to return (default: all ``min(m, n)``).

    Returns
    -------
    terms : ndarray, shape (k, m, n)
        ``terms[i] = s[i] * outer(U[:, i], Vt[i])``; ``terms.sum(axis=0)`` is
        ``A`` when all terms are kept. Each term has rank one and Frobenius
        norm ``s[i]``. Taught in chapter 1.

    Examples
    --------
    >>> A = np.array([[2.0, 0.0], [0.0, 1.0]])
    >>> T = rank_one_terms(A)
    >>> T.shape, np.allclose(T.sum(axis=0), A)
    ((2, 2, 2), True)
    """
    A = check_matrix(A, "A")
    k = min(A.shape) if k is None else check_rank(k, A.shape)
    U, s, Vt = svd(A)
    return np.einsum("i,ki,ij->ikj", s[:k], U[:, :k], Vt[:k])


@dataclass(frozen=True)
class MatrixNorms:
    """The three unitarily invariant norms that the singular values determine."""

    spectral: float
    """``||A||_2 = s_1``, the largest stretch of a unit vector."""
    frobenius: float
    """``||A||_F = sqrt(sum s_i^2)``, the root of the sum of squared entries."""
    nuclear: float
    """``||A||_* = sum s_i``, the convex surrogate of rank."""


def matrix_norms(s) -> MatrixNorms:
    """Spectral, Frobenius and nuclear norms computed from singular values.

    Examples
    --------
    >>> matrix_norms([3.0, 4.0][::-1])
    MatrixNorms(spectral=4.0, frobenius=5.0, nuclear=7.0)
    """
    s = check_singular_values(s)
    return MatrixNorms(
        spectral=float(s[0]),
        frobenius=float(np.sqrt(np.sum(s.astype(np.float64) ** 2))),
        nuclear=float(np.sum(s, dtype=np.float64)),
    )


def condition_number(s) -> float:
    """The 2-norm condition number ``s_1 / s_min`` (``inf`` for a singular matrix).

    A relative perturbation of size ``eps`` in ``A`` or ``b`` can change the
    solution of ``Ax = b`` by up to about ``condition_number * eps``: this is
    the number of digits a computation may lose (chapter 2).

    Examples
    --------
    >>> condition_number([10.0, 1.0, 0.001])
    10000.0
    >>> condition_number([1.0, 0.0])
    inf
    """
    s = check_singular_values(s)
    if s[-1] == 0:
        return float("inf")
    return float(s[0] / s[-1])


def energy(s) -> np.ndarray:
    """Cumulative energy: ``energy(s)[k-1] = sum(s[:k]**2) / sum(s**2)``.

    The fraction of ``||A||_F^2`` that the best rank-``k`` approximation keeps
    (for centred data: the explained variance). Taught in chapter 2.

    Examples
    --------
    >>> energy([3.0, 2.0, 1.0, 1.0]).round(4)
    array([0.6   , 0.8667, 0.9333, 1.    ])
    """
    s = check_singular_values(s)
    e = np.cumsum(s.astype(np.float64) ** 2)
    if e[-1] == 0:
        raise ValueError("s must not be all zeros: the energy of a zero matrix is undefined")
    return e / e[-1]


def rank_for_energy(s, fraction: float) -> int:
    """Smallest ``k`` whose rank-``k`` approximation keeps ``fraction`` of the energy.

    Examples
    --------
    >>> rank_for_energy([3.0, 2.0, 1.0, 1.0], 0.85)
    2
    >>> rank_for_energy([3.0, 2.0, 1.0, 1.0], 1.0)
    4
    """
    fraction = check_fraction(fraction, "fraction")
    e = energy(s)
    # a tolerance so that fraction=1.0 is reached despite rounding in cumsum
    return int(np.searchsorted(e, fraction - 1e-12, side="left") + 1)


def effective_rank(s) -> float:
    """Entropy effective rank of Roy & Vetterli (2007).

    With ``p_i = s_i / sum(s)``, ``erank = exp(-sum p_i log p_i)``. It is 1 for
    a rank-one matrix, ``r`` for ``r`` equal singular values, and between the
    two for a decaying spectrum: a smooth measure of how many directions
    matter.

    References
    ----------
    O. Roy and M. Vetterli, "The effective rank: a measure of effective
    dimensionality", EUSIPCO 2007. Taught in chapter 2.

    Examples
    --------
    >>> effective_rank([1.0, 1.0, 1.0, 0.0])
    3.0000...
    >>> round(effective_rank([10.0, 1.0]), 3)
    1.357
    """
    s = check_singular_values(s)
    total = np.sum(s, dtype=np.float64)
    if total == 0:
        raise ValueError("s must not be all zeros: the effective rank of a zero matrix is undefined")
    p = s[s > 0] / total
    return float(np.exp(-np.sum(p * np.log(p))))


def numerical_rank(s, tol: float | None = None, *, shape: tuple[int, int] | None = None) -> int:
    """Number of singular values above a tolerance.

    Parameters
    ----------
    s : array_like
        Singular values, non-increasing.
    tol : float, optional
        Absolute threshold. Default ``max(m, n) * eps * s[0]``, the rule of
        ``numpy.linalg.matrix_rank``: singular values below it are
        indistinguishable from rounding errors of a backward-stable SVD.
    shape : (m, n), optional
        Shape of the matrix, for the default ``tol``; without it ``len(s)``
        stands in for ``max(m, n)``.

    Examples
    --------
    >>> A = np.outer([1.0, 2.0, 3.0], [1.0, 1.0])       # rank one
    >>> s = svd(A)[1]
    >>> int(np.sum(s > 0)), numerical_rank(s, shape=A.shape)
    (2, 1)
    """
    s = check_singular_values(s)
    if tol is None:
        big = max(shape) if shape is not None else len(s)
        tol = big * np.finfo(s.dtype).eps * s[0]
    else:
        tol = check_scalar(tol, "tol", low=0.0)
    return int(np.count_nonzero(s > tol))


def pinv(A, rcond: float | None = None) -> np.ndarray:
    """Moore-Penrose pseudo-inverse ``A^+ = V diag(1/s_i) U^T`` over the kept ``s_i``.

    Parameters
    ----------
    A : array_like, shape (m, n)
    rcond : float, optional
        Relative cut-off: singular values ``<= rcond * s[0]`` are treated as
        zero. Default ``max(m, n) * eps`` as in ``numpy.linalg.pinv``.

    Returns
    -------
    ndarray, shape (n, m)

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    >>> pinv(A)
    array([[1. , 0. , 0. ],
           [0. , 0.5, 0. ]])
    """
    A = check_matrix(A, "A")
    if rcond is None:
        rcond = max(A.shape) * np.finfo(A.dtype).eps
    else:
        rcond = check_scalar(rcond, "rcond", low=0.0)
    U, s, Vt = svd(A)
    keep = s > rcond * s[0] if s[0] > 0 else np.zeros_like(s, dtype=bool)
    s_inv = np.zeros_like(s)
    s_inv[keep] = 1.0 / s[keep]
    return (Vt.T * s_inv) @ U.T


@dataclass(frozen=True)
class LstsqResult:
    """Result of :func:`lstsq`."""

    x: np.ndarray
    """The minimum-norm least-squares solution."""
    residual_norm: float | np.ndarray
    """``||A x - b||_2`` (one per column when ``b`` is a matrix)."""
    rank: int
    """Number of singular values kept."""
    s: np.ndarray
    """All singular values of ``A``."""


def lstsq(A, b, rcond: float | None = None) -> LstsqResult:
    """Minimum-norm least squares ``min ||A x - b||_2`` through the SVD.

    ``x = V_r diag(1/s_r) U_r^T b`` where ``r`` counts the singular values above
    ``rcond * s[0]``. Among all minimisers this ``x`` has the smallest norm;
    it equals ``pinv(A) @ b`` but never forms the pseudo-inverse.

    Parameters
    ----------
    A : array_like, shape (m, n)
    b : array_like, shape (m,) or (m, p)
    rcond : float, optional
        Relative cut-off, default ``max(m, n) * eps``.

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> b = np.array([1.0, 2.0, 2.0])
    >>> res = lstsq(A, b)
    >>> res.x, res.rank
    (array([1.1666..., 0.5...]), 2)
    """
    A = check_matrix(A, "A")
    b = np.asarray(b)
    b = check_vector(b, "b") if b.ndim == 1 else check_matrix(b, "b")
    if b.shape[0] != A.shape[0]:
        raise ValueError(
            f"b must have as many rows as A (m = {A.shape[0]}), got b of shape {b.shape}"
        )
    if rcond is None:
        rcond = max(A.shape) * np.finfo(A.dtype).eps
    else:
        rcond = check_scalar(rcond, "rcond", low=0.0)
    U, s, Vt = svd(A)
    r = int(np.count_nonzero(s > rcond * s[0])) if s[0] > 0 else 0
    coef = U[:, :r].T @ b
    coef = coef / (s[:r] if b.ndim == 1 else s[:r, None])
    x = Vt[:r].T @ coef
    resid = A @ x - b
    rnorm = float(np.linalg.norm(resid)) if b.ndim == 1 else np.linalg.norm(resid, axis=0)
    return LstsqResult(x=x, residual_norm=rnorm, rank=r, s=s)


def svd_via_eig(A) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The SVD computed from the eigendecomposition of ``A^T A`` (or ``A A^T``).

    Mathematically ``A^T A = V diag(s^2) V^T``, so ``s = sqrt(eig(A^T A))`` and
    ``U = A V / s``. Numerically this is a poor algorithm, shown in chapters 1
    and 2 for that reason: forming ``A^T A`` squares the condition number, so
    singular values below about ``sqrt(eps) * s[0]`` (``~1e-8 s[0]`` in double
    precision) are lost in rounding, and the left vectors computed from them
    are not orthogonal. Use :func:`svd` for real work.

    Returns the thin SVD with the same sign convention as :func:`svd`.
    Negative eigenvalues produced by rounding are clipped to zero, and columns
    of ``U`` for zero singular values are completed to an orthonormal basis.

    Examples
    --------
    >>> A = np.array([[3.0, 0.0], [4.0, 5.0]])
    >>> U, s, Vt = svd_via_eig(A)
    >>> np.allclose(s, svd(A)[1])
    True
    """
    A = check_matrix(A, "A")
    m, n = A.shape
    if m < n:  # work with the smaller Gram matrix: A^T = V S U^T
        V, s, Ut = svd_via_eig(A.T)
        U, Vt = sign_flip(Ut.T, V.T)
        return U, s, Vt
    evals, V = np.linalg.eigh(A.T @ A)
    order = np.argsort(evals)[::-1]
    evals, V = evals[order], V[:, order]
    s = np.sqrt(np.clip(evals, 0.0, None))
    AV = A @ V
    # Eigenvalues of the Gram matrix below n * eps * lambda_max are rounding noise, so
    # singular values below about sqrt(n * eps) * s[0] cannot be resolved this way.
    tol = max(m, n) * np.finfo(A.dtype).eps * (evals[0] if evals.size else 0.0)
    good = evals > tol
    U = np.zeros((m, n), dtype=A.dtype)
    U[:, good] = AV[:, good] / s[good]
    if not np.all(good):
        # complete with an orthonormal basis of the complement of the good columns
        Q, _ = np.linalg.qr(np.hstack([U[:, good], np.eye(m, dtype=A.dtype)]))
        U[:, ~good] = Q[:, good.sum() : good.sum() + (~good).sum()]
    U, Vt = sign_flip(U, V.T)
    return U, s, Vt


# ---------------------------------------------------------------------------
# Chapter 3: the factorization family (teaching implementations)
# ---------------------------------------------------------------------------


def _householder(x: np.ndarray) -> np.ndarray | None:
    """Unit vector ``v`` with ``(I - 2 v v^T) x = -sign(x[0]) ||x|| e_1``, or None.

    The sign is chosen so that ``x[0]`` and the added ``||x||`` never cancel
    (Golub & Van Loan, section 5.1.2). None means there is nothing to reflect:
    ``x`` is zero or has a single entry.
    """
    if x.shape[0] < 2:
        return None
    alpha = np.linalg.norm(x)
    if alpha == 0:
        return None
    v = np.array(x, copy=True)
    v[0] += math.copysign(alpha, v[0])
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
    """

    lu: np.ndarray
    """``L`` (strictly lower part) and ``U`` (upper part) in one ``(m, n)`` array."""
    perm: np.ndarray
    """Row permutation of length ``m``: ``A[perm] = L @ U``."""

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
    """Top-``k`` singular triplets by power iteration on ``A^T A`` with deflation.

    For triplet ``j`` the iteration ``v <- B^T B v / ||B^T B v||`` runs on the
    deflated matrix ``B = A - sum_{i<j} s_i u_i v_i^T`` (never formed: only
    products with ``A``, ``A^T`` and the triplets found so far are used, so
    ``A`` may be sparse or a ``LinearOperator``). It stops when ``v`` moves by
    less than ``tol``; then ``s_j = ||B v||`` and ``u_j = B v / s_j``.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or LinearOperator, shape (m, n)
    k : int, default 1
        Number of triplets, ``1 <= k <= min(m, n)``.
    tol : float, default 1e-10
        Stop when ``||v_new - v|| <= tol`` (unit vectors).
    max_iter : int, default 1000
        Iteration cap per triplet; reaching it issues a
        :class:`ConvergenceWarning`.
    random_state : None, int or numpy.random.Generator
        Seeds the random start vectors.
    return_n_iter : bool, default False
        Also return the number of iterations used for each triplet.

    Returns
    -------
    U : ndarray, shape (m, k)
    s : ndarray, shape (k,)
    Vt : ndarray, shape (k, n)
        Signs follow :func:`sign_flip`.
    n_iter : ndarray of int, shape (k,)
        Only if ``return_n_iter``.

    Notes
    -----
    Defined in chapter 4. The angle between ``v`` and ``v_j`` shrinks by the
    factor ``(s_{j+1} / s_j)^2`` per iteration, so a small gap means many
    iterations (and a warning when ``max_iter`` runs out); equal singular
    values leave ``v`` anywhere in their common subspace. Deflation errors
    accumulate: an error ``delta`` in triplet ``i`` stays in ``B`` as a
    perturbation of size about ``s_i delta`` and limits the accuracy of every
    later triplet. Working with ``A^T A`` also means that singular values below
    about ``sqrt(eps) s_1`` are not resolved (a deflated matrix that small is
    treated as zero). Use :func:`svd` or ``scipy.sparse.linalg.svds`` for real
    work; chapter 10 uses the same iteration to estimate spectral norms.

    References
    ----------
    Golub & Van Loan, *Matrix Computations*, 4th ed., 2013, sections 8.2.1
    and 7.3.1. Trefethen & Bau, *Numerical Linear Algebra*, 1997, lecture 27.

    Examples
    --------
    >>> A = np.diag([3.0, 2.0, 1.0])
    >>> U, s, Vt, n_iter = power_iteration(A, k=2, random_state=0, return_n_iter=True)
    >>> s
    array([3., 2.])
    >>> bool(np.all(n_iter < 100))     # (2/3)^2 and (1/2)^2: fast
    True
    """
    A = check_operator(A, "A")
    m, n = A.shape
    k = check_rank(k, (m, n))
    tol = check_scalar(tol, "tol", low=0.0, include_low=False)
    max_iter = check_int(max_iter, "max_iter", min_value=1)
    rng = check_random_state(random_state)
    out_dtype = np.dtype(A.dtype) if np.dtype(A.dtype).kind == "f" else np.dtype(np.float64)
    U = np.zeros((m, k))
    V = np.zeros((n, k))
    s = np.zeros(k)
    n_iter = np.zeros(k, dtype=np.int64)
    eps = np.finfo(out_dtype).eps

    def apply_B(v, j):  # (A - U_j S_j V_j^T) v
        return A @ v - U[:, :j] @ (s[:j] * (V[:, :j].T @ v))

    def apply_Bt(w, j):  # (A - U_j S_j V_j^T)^T w
        return A.T @ w - V[:, :j] @ (s[:j] * (U[:, :j].T @ w))

    def orthonormal_to(X, size):  # a random unit vector orthogonal to the columns of X
        x = rng.standard_normal(size)
        for _ in range(2):  # twice is enough (Kahan-Parlett)
            x -= X @ (X.T @ x)
        return x / np.linalg.norm(x)

    for j in range(k):
        v = orthonormal_to(V[:, :j], n)
        # a deflated matrix this small is zero to working precision (see Notes)
        floor = 0.0 if j == 0 else 10 * max(m, n) * eps * s[0] ** 2
        converged, delta, it = False, np.inf, 0
        while not converged and it < max_iter:
            it += 1
            z = apply_Bt(apply_B(v, j), j)
            z_norm = np.linalg.norm(z)
            if z_norm <= floor:
                converged = True
                break
            v_new = z / z_norm
            delta = np.linalg.norm(v_new - v)
            v = v_new
            converged = delta <= tol
        n_iter[j] = it
        if not converged:
            warnings.warn(
                f"power_iteration: triplet {j + 1} did not converge in max_iter={max_iter} "
                f"iterations (last change of v {delta:.2e} > tol={tol:g}); the rate is "
                f"(s_{j + 2}/s_{j + 1})^2 per iteration, slow when the two are close",
                ConvergenceWarning,
                stacklevel=2,
            )
        w = apply_B(v, j)
        sigma = np.linalg.norm(w)
        s[j], V[:, j] = sigma, v
        if sigma > 0 and sigma**2 > floor:
            U[:, j] = w / sigma
        else:
            U[:, j] = orthonormal_to(U[:, :j], m)
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
        Signs follow :func:`sign_flip`.
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

    References
    ----------
    M. R. Hestenes, "Inversion of matrices by biorthogonalization and related
    results", J. SIAM 6 (1958). J. Demmel and K. Veselic, "Jacobi's method is
    more accurate than QR", SIAM J. Matrix Anal. Appl. 13 (1992). R. P. Brent
    and F. T. Luk, SIAM J. Sci. Stat. Comput. 6 (1985) for the parallel
    (round-robin) ordering. Golub & Van Loan, *Matrix Computations*, 4th ed.,
    2013, section 8.6.4.

    Examples
    --------
    >>> A = np.array([[3.0, 0.0], [4.0, 5.0]])
    >>> U, s, Vt = jacobi_svd(A)
    >>> s**2
    array([45.,  5.])
    >>> np.allclose((U * s) @ Vt, A)
    True
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
    if tol is None:
        tol = max(m, n) * np.finfo(dtype).eps
    nn = n + (n % 2)  # a zero column pads an odd n; it is never rotated
    G = np.zeros((m, nn), dtype=dtype)
    G[:, :n] = A
    V = np.eye(nn, dtype=dtype)
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
            act = np.abs(gamma) > tol * norm_p * norm_q
            if not act.any():
                continue
            n_rot += int(act.sum())
            p, q, gamma = p[act], q[act], gamma[act]
            zeta = (norm_q[act] ** 2 - norm_p[act] ** 2) / (2 * gamma)
            t = np.where(zeta >= 0, 1.0, -1.0) / (np.abs(zeta) + np.hypot(1.0, zeta))
            c = 1 / np.sqrt(1 + t * t)
            sn = c * t
            for M in (G, V):
                Mp, Mq = M[:, p], M[:, q]
                M[:, p] = c * Mp - sn * Mq
                M[:, q] = sn * Mp + c * Mq
        converged = n_rot == 0
    if not converged:
        warnings.warn(
            f"jacobi_svd: columns not orthogonal to tol={tol:.2g} after "
            f"max_sweeps={max_sweeps} sweeps",
            ConvergenceWarning,
            stacklevel=2,
        )
    G, V = G[:, :n], V[:n, :n]
    s = np.linalg.norm(G, axis=0)
    order = np.argsort(-s, kind="stable")
    s, G, V = s[order], G[:, order], V[:, order]
    good = s > np.finfo(dtype).tiny
    U = np.zeros_like(G)
    U[:, good] = G[:, good] / s[good]
    U = _complete_columns(U, good)
    U, Vt = sign_flip(U, V.T)
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
