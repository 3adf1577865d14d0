"""The SVD and what follows from it.

Taught in chapter 1 (*What the SVD is*) and chapter 2 (*Geometry and theory*):
the SVD with one sign convention (:func:`svd`, :func:`sign_flip`),
reconstruction, truncation, norms, condition number, energy, effective and
numerical rank, pseudo-inverse, least squares, and the SVD through the
eigendecomposition of the Gram matrix (:func:`svd_via_eig`, shown as the
numerically poor route). The teaching factorizations of chapters 3 and 4 (LU,
QR, Cholesky, power iteration, Jacobi, bidiagonalization) live in
:mod:`svdlab.factorizations`.

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

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from ._validation import (
    check_fraction,
    check_matrix,
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
]


def sign_flip(U: np.ndarray | None, Vt: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
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
    U : ndarray, shape (m, p), or None
        Left singular vectors as columns; None when only the right vectors are
        kept (an estimator's ``components_``), as scikit-learn allows.
    Vt : ndarray, shape (q, n)
        Right singular vectors as rows.

    Returns
    -------
    U, Vt : ndarray
        Copies with the signs fixed (``U`` is None if it was None).

    Notes
    -----
    Defined in chapter 1 (section 1.2, uniqueness up to signs); the notation page
    states the convention. Why the right vectors: for data ``X`` with samples in
    rows, ``Vt`` holds the principal axes (``components_``), which do not depend
    on how many samples there are, while ``U`` does. An exact tie in magnitude
    between entries of opposite signs is decided by position, so a near tie can
    be decided differently by two computations whose rounding differs.

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
    >>> sign_flip(None, Vt)[1]          # the components alone
    array([[ 1., -0.],
           [ 0.,  1.]])
    """
    Vt = np.array(Vt, copy=True)
    U = None if U is None else np.array(U, copy=True)
    if Vt.ndim != 2 or (U is not None and U.ndim != 2):
        shape_u = None if U is None else U.shape
        raise ValueError(f"U and Vt must be 2-D arrays, got shapes {shape_u} and {Vt.shape}")
    r = Vt.shape[0] if U is None else min(U.shape[1], Vt.shape[0])
    if Vt.shape[0] and Vt.shape[1]:
        idx = np.argmax(np.abs(Vt), axis=1)
        signs = np.sign(Vt[np.arange(Vt.shape[0]), idx])
        signs[signs == 0] = 1.0
        Vt *= signs[:, None].astype(Vt.dtype)
        if U is not None and U.shape[0]:
            U[:, :r] *= signs[:r].astype(U.dtype)
    if U is not None and U.shape[1] > r and U.shape[0]:  # a full U's unpaired columns
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
    # a cumulative sum of r terms carries a relative rounding error of at most r eps, so
    # a fraction reached exactly in exact arithmetic may come out that much short
    slack = len(e) * np.finfo(np.float64).eps
    return int(np.searchsorted(e, fraction * (1 - slack), side="left") + 1)


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
