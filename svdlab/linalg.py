"""The SVD and what follows from it.

Taught in chapter 1 (*What the SVD is*) and chapter 2 (*Geometry and theory*):
the SVD with one sign convention (:func:`svd`, :func:`sign_flip`),
reconstruction, truncation, norms, condition number, energy, effective and
numerical rank, pseudo-inverse, least squares, and the SVD through the
eigendecomposition of the Gram matrix (:func:`svd_via_eig`, shown as the
numerically poor route). Chapter 2b (*Regularization, polar decomposition and
alignment*) adds the regularized solvers of ill-posed problems (:func:`tsvd_solve`,
:func:`tikhonov_solve`, :func:`gcv`, :func:`l_curve`), the polar decomposition
(:func:`polar`), orthogonal Procrustes and Kabsch alignment (:func:`procrustes`) and
total least squares (:func:`total_least_squares`). The teaching factorizations of chapters 3 and 4 (LU,
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
    check_array,
    check_fraction,
    check_matrix,
    check_option,
    check_rank,
    check_same_shape,
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
    # chapter 2b: regularization, polar decomposition, Procrustes, total least squares
    "tsvd_solve",
    "tikhonov_solve",
    "RegularizationPath",
    "gcv",
    "l_curve",
    "polar",
    "ProcrustesResult",
    "procrustes",
    "total_least_squares",
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

    Parameters
    ----------
    U : array_like, shape (m, r)
        Left singular vectors (columns).
    s : array_like, shape (r,)
        Singular values.
    Vt : array_like, shape (r, n)
        Right singular vectors (rows).

    Returns
    -------
    ndarray, shape (m, n)
        ``U @ diag(s) @ Vt``.

    Raises
    ------
    ValueError
        If the shapes of the three factors do not fit together.

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

    Parameters
    ----------
    U : array_like, shape (m, r)
        Left singular vectors (columns), in the order of ``s``.
    s : array_like, shape (r,)
        Singular values in non-increasing order.
    Vt : array_like, shape (r, n)
        Right singular vectors (rows).
    k : int
        Number of triplets to keep, ``1 <= k <= r``.

    Returns
    -------
    tuple of ndarray
        ``(U[:, :k], s[:k], Vt[:k])``.

    Raises
    ------
    ValueError
        If the factors do not fit together or ``k`` is out of range.

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

    Parameters
    ----------
    A : array_like, shape (m, n)
        The matrix.
    k : int
        Target rank, ``1 <= k <= min(m, n)``.

    Returns
    -------
    ndarray, shape (m, n)
        The truncated SVD ``A_k``.

    Raises
    ------
    ValueError
        If ``A`` is not a finite 2-D array or ``k`` is out of range.

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
    """The three unitarily invariant norms that the singular values determine.

    Attributes
    ----------
    spectral : float
        ``||A||_2 = s_1``.
    frobenius : float
        ``||A||_F = sqrt(sum s_i^2)``.
    nuclear : float
        ``||A||_* = sum s_i``.
    """

    spectral: float
    frobenius: float
    nuclear: float


def matrix_norms(s) -> MatrixNorms:
    """Spectral, Frobenius and nuclear norms computed from singular values.

    Parameters
    ----------
    s : array_like, shape (r,)
        Singular values (non-negative, non-increasing).

    Returns
    -------
    MatrixNorms
        ``spectral = s_1``, ``frobenius = sqrt(sum s_i^2)``, ``nuclear = sum s_i``.

    Raises
    ------
    ValueError
        If ``s`` is empty, negative, not finite or not sorted.

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

    Parameters
    ----------
    s : array_like, shape (r,)
        Singular values (non-negative, non-increasing).

    Returns
    -------
    float
        ``s[0] / s[-1]``, or ``inf`` when the smallest is zero.

    Raises
    ------
    ValueError
        If ``s`` is empty, negative, not finite or not sorted.

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

    Parameters
    ----------
    s : array_like, shape (r,)
        Singular values (non-negative, non-increasing).

    Returns
    -------
    ndarray, shape (r,)
        The cumulative energy fractions, ending at 1.

    Raises
    ------
    ValueError
        If ``s`` is invalid or all zeros.

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

    Parameters
    ----------
    s : array_like, shape (r,)
        Singular values (non-negative, non-increasing).
    fraction : float
        Energy to keep, in (0, 1].

    Returns
    -------
    int
        The smallest ``k`` with ``energy(s)[k-1] >= fraction`` (up to the rounding of the
        cumulative sum).

    Raises
    ------
    ValueError
        If ``fraction`` is outside (0, 1] or ``s`` is invalid or all zeros.

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

    Parameters
    ----------
    s : array_like, shape (r,)
        Singular values (non-negative, non-increasing).

    Returns
    -------
    float
        ``exp`` of the Shannon entropy of ``s / sum(s)``, between 1 and ``r``.

    Raises
    ------
    ValueError
        If ``s`` is invalid or all zeros.

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
    """Result of :func:`lstsq`.

    Attributes
    ----------
    x : ndarray
        The minimum-norm least-squares solution.
    residual_norm : float or ndarray
        ``||A x - b||_2`` (one per column when ``b`` is a matrix).
    rank : int
        Number of singular values kept.
    s : ndarray
        All singular values of ``A``.
    """

    x: np.ndarray
    residual_norm: float | np.ndarray
    rank: int
    s: np.ndarray


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

    Parameters
    ----------
    A : array_like, shape (m, n)
        The matrix.

    Returns
    -------
    U : ndarray, shape (m, r)
    s : ndarray, shape (r,)
    Vt : ndarray, shape (r, n)
        The thin SVD, ``r = min(m, n)``, as accurate as the Gram matrix allows.

    Raises
    ------
    ValueError
        If ``A`` is not a finite 2-D array.

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
# Chapter 2b: regularization, the polar decomposition, Procrustes, total least squares
# ---------------------------------------------------------------------------


def _rhs(b, m: int) -> np.ndarray:
    """Check a right-hand side ``b`` of shape (m,) or (m, p) against ``A`` with m rows."""
    b = check_array(b, "b", ndim=(1, 2))
    if b.shape[0] != m:
        raise ValueError(f"b must have as many rows as A (m = {m}), got b of shape {b.shape}")
    return b


def _filtered_solution(U, s, Vt, b, f) -> np.ndarray:
    """``x = V diag(f_i / s_i) U^T b`` for filter factors ``f`` (zero where ``s_i = 0``)."""
    phi = np.zeros_like(s)
    pos = s > 0
    phi[pos] = f[pos] / s[pos]
    coef = U.T @ b
    coef = coef * (phi if b.ndim == 1 else phi[:, None])
    return Vt.T @ coef


def tsvd_solve(A, b, k: int) -> np.ndarray:
    """Truncated-SVD solution ``x_k = sum_{i <= k} (u_i^T b / s_i) v_i`` of ``A x ~ b``.

    The filter factors are ``f_i = 1`` for the ``k`` largest singular values and
    ``0`` for the rest: the components of ``b`` along the small singular values,
    which noise dominates in an ill-posed problem, are dropped instead of being
    divided by tiny numbers. ``k = rank(A)`` gives the minimum-norm least-squares
    solution :func:`lstsq`; ``pinv(A, rcond)`` is the same truncation with ``k``
    fixed by a relative cut-off on ``s``.

    Parameters
    ----------
    A : array_like, shape (m, n)
    b : array_like, shape (m,) or (m, p)
    k : int
        Number of singular triplets kept, ``1 <= k <= min(m, n)``.

    Returns
    -------
    x : ndarray, shape (n,) or (n, p)

    Raises
    ------
    ValueError
        If ``b`` does not have ``m`` rows or ``k`` is out of range.
    TypeError
        If ``k`` is not an integer.

    References
    ----------
    P. C. Hansen, "The truncated SVD as a method for regularization", BIT 27
    (1987). P. C. Hansen, *Rank-Deficient and Discrete Ill-Posed Problems*,
    SIAM, 1998, chapter 3. Taught in chapter 2b.

    Examples
    --------
    >>> A = np.diag([1.0, 1e-8])
    >>> b = np.array([1.0, 1e-6])     # the second entry is noise
    >>> tsvd_solve(A, b, 2)           # noise divided by 1e-8
    array([  1., 100.])
    >>> tsvd_solve(A, b, 1)
    array([1., 0.])
    """
    A = check_matrix(A, "A")
    b = _rhs(b, A.shape[0])
    k = check_rank(k, A.shape, "k")
    U, s, Vt = svd(A)
    f = np.zeros_like(s)
    f[:k] = 1.0
    return _filtered_solution(U, s, Vt, b, f)


def tikhonov_solve(A, b, lam: float) -> np.ndarray:
    """Tikhonov (ridge) solution ``argmin_x ||A x - b||^2 + lam^2 ||x||^2`` through the SVD.

    The normal equations ``(A^T A + lam^2 I) x = A^T b`` have the solution
    ``x = sum_i f_i (u_i^T b / s_i) v_i`` with filter factors
    ``f_i = s_i^2 / (s_i^2 + lam^2)``: close to 1 for ``s_i >> lam``, close to
    ``s_i^2 / lam^2`` for ``s_i << lam``. It is a smooth version of the
    truncated SVD (:func:`tsvd_solve`) with ``lam`` in the role of the cut-off
    singular value. The SVD is used instead of the normal equations, whose
    condition number is ``(s_1^2 + lam^2) / (s_n^2 + lam^2)``.

    Parameters
    ----------
    A : array_like, shape (m, n)
    b : array_like, shape (m,) or (m, p)
    lam : float
        Regularization parameter ``lam >= 0`` (``lam = 0`` is :func:`lstsq`
        without a cut-off). scikit-learn's ``Ridge(alpha)`` is ``lam**2 = alpha``
        without an intercept.

    Returns
    -------
    x : ndarray, shape (n,) or (n, p)

    Raises
    ------
    ValueError
        If ``b`` does not have ``m`` rows or ``lam`` is negative or not finite.

    References
    ----------
    A. N. Tikhonov, "Solution of incorrectly formulated problems and the
    regularization method", Soviet Math. Dokl. 4 (1963). P. C. Hansen,
    *Rank-Deficient and Discrete Ill-Posed Problems*, SIAM, 1998, chapter 5.
    Taught in chapter 2b.

    Examples
    --------
    >>> A = np.diag([1.0, 1e-8])
    >>> b = np.array([1.0, 1e-6])
    >>> x = tikhonov_solve(A, b, 1e-3)
    >>> np.round(x, 4)                # the noisy component is filtered out
    array([1., 0.])
    >>> np.allclose(x, np.linalg.solve(A.T @ A + 1e-6 * np.eye(2), A.T @ b))
    True
    """
    A = check_matrix(A, "A")
    b = _rhs(b, A.shape[0])
    lam = check_scalar(lam, "lam", low=0.0)
    U, s, Vt = svd(A)
    f = s**2 / (s**2 + lam**2) if lam > 0 else (s > 0).astype(s.dtype)
    return _filtered_solution(U, s, Vt, b, f)


@dataclass(frozen=True)
class RegularizationPath:
    """Result of :func:`gcv` and :func:`l_curve`: a family of regularized solutions.

    Attributes
    ----------
    params : ndarray
        The parameters tried: ``lam`` (Tikhonov) or ``k`` (truncated SVD).
    residual_norm, solution_norm : ndarray
        ``||A x - b||_2`` and ``||x||_2`` for each parameter.
    criterion : ndarray
        The GCV function or the signed curvature of the L-curve.
    best : float
        The parameter the criterion picks.
    """

    params: np.ndarray
    residual_norm: np.ndarray
    solution_norm: np.ndarray
    criterion: np.ndarray
    best: float


def _path_norms(A, b, params, method):
    """Residual and solution norms, filter factors, of a family of filtered solutions."""
    A = check_matrix(A, "A")
    b = check_vector(b, "b", size=A.shape[0])
    method = check_option(method, "method", ("tikhonov", "tsvd"))
    U, s, Vt = svd(A)
    if method == "tikhonov":
        params = check_array(params, "lams", ndim=1, nonnegative=True)
        lam2 = params[:, None] ** 2
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 where lam = s = 0
            f = np.where(lam2 > 0, s**2 / (s**2 + lam2), (s > 0) * 1.0)
    else:
        params = check_array(params, "ks", ndim=1, dtype="int")
        if params.min() < 1 or params.max() > min(A.shape):
            raise ValueError(f"ks must be integers in 1..{min(A.shape)}, got {params.min()}.."
                             f"{params.max()}")
        f = (np.arange(s.size)[None, :] < params[:, None]).astype(s.dtype)
    beta = U.T @ b
    outside = max(float(b @ b - beta @ beta), 0.0)  # ||b - U U^T b||^2, zero if m <= n
    xi = np.zeros_like(s)
    xi[s > 0] = beta[s > 0] / s[s > 0]
    rho2 = np.sum(((1.0 - f) * beta) ** 2, axis=1) + outside
    eta2 = np.sum((f * xi) ** 2, axis=1)
    return A, params, f, np.sqrt(rho2), np.sqrt(eta2)


def gcv(A, b, params, method: str = "tikhonov") -> RegularizationPath:
    """Generalized cross-validation over a family of Tikhonov or truncated-SVD solutions.

    For a solution ``x = A^# b`` that depends linearly on ``b`` (influence
    matrix ``H = A A^#``), GCV picks the parameter minimizing

    ``G = ||A x - b||^2 / (trace(I - H))^2 = ||A x - b||^2 / (m - sum_i f_i)^2``,

    the rotation-invariant version of leave-one-out cross-validation. It needs
    no estimate of the noise level. The sums run over the SVD, computed once.

    Parameters
    ----------
    A : array_like, shape (m, n)
    b : array_like, shape (m,)
    params : array_like, 1-D
        Values of ``lam >= 0`` (``method="tikhonov"``) or ranks ``k`` in
        ``1..min(m, n)`` (``method="tsvd"``).
    method : {"tikhonov", "tsvd"}

    Returns
    -------
    RegularizationPath
        ``criterion`` holds ``G`` and ``best`` its minimizer. ``G`` is infinite
        where ``sum_i f_i = m`` (an interpolating solution).

    Raises
    ------
    ValueError
        For a ``b`` of the wrong length, an unknown ``method``, negative
        ``lam`` or ranks out of range.

    References
    ----------
    G. H. Golub, M. Heath and G. Wahba, "Generalized cross-validation as a
    method for choosing a good ridge parameter", Technometrics 21 (1979).
    Taught in chapter 2b.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = np.vander(np.linspace(0, 1, 30), 12, increasing=True)
    >>> b = A @ np.ones(12) + 1e-3 * rng.standard_normal(30)
    >>> path = gcv(A, b, np.logspace(-8, 0, 17))
    >>> 1e-8 <= path.best <= 1.0 and path.criterion.shape == (17,)
    True
    >>> gcv(A, b, [2, 4, 6], method="tsvd").best in (2, 4, 6)
    True
    """
    A, params, f, rho, eta = _path_norms(A, b, params, method)
    dof = A.shape[0] - f.sum(axis=1)
    with np.errstate(divide="ignore"):
        G = np.where(dof > 0, rho**2 / np.where(dof > 0, dof, 1.0) ** 2, np.inf)
    best = params[int(np.argmin(G))]
    return RegularizationPath(params=params, residual_norm=rho, solution_norm=eta,
                              criterion=G, best=best.item())


def l_curve(A, b, lams) -> RegularizationPath:
    """The L-curve of Tikhonov regularization and its corner (maximum curvature).

    The L-curve is ``(log ||A x_lam - b||, log ||x_lam||)`` as ``lam`` runs
    over a range: small ``lam`` fits the noise (a vertical branch of huge
    ``||x||``), large ``lam`` over-smooths (a horizontal branch of growing
    residual). The corner between them balances the two. Its location is the
    ``lam`` of largest signed curvature
    ``kappa = (x' y'' - x'' y') / (x'^2 + y'^2)^{3/2}``, with derivatives
    taken in ``t = log lam`` by finite differences on the given grid.

    Parameters
    ----------
    A : array_like, shape (m, n)
    b : array_like, shape (m,)
    lams : array_like, 1-D
        At least 5 strictly increasing positive values, log-spaced (the
        curvature is computed on this grid, so a fine grid locates the
        corner better).

    Returns
    -------
    RegularizationPath
        ``criterion`` holds the curvature and ``best`` the corner's ``lam``.

    Raises
    ------
    ValueError
        If ``lams`` has fewer than 5 values, is not strictly increasing or not
        positive, or ``b`` has the wrong length.

    References
    ----------
    P. C. Hansen and D. P. O'Leary, "The use of the L-curve in the
    regularization of discrete ill-posed problems", SIAM J. Sci. Comput. 14
    (1993). Taught in chapter 2b.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = np.vander(np.linspace(0, 1, 30), 12, increasing=True)
    >>> b = A @ np.ones(12) + 1e-3 * rng.standard_normal(30)
    >>> path = l_curve(A, b, np.logspace(-8, 0, 41))
    >>> bool(1e-8 < path.best < 1.0)
    True
    """
    lams = check_array(lams, "lams", ndim=1)
    if lams.size < 5 or np.any(lams <= 0) or np.any(np.diff(lams) <= 0):
        raise ValueError("lams must hold at least 5 strictly increasing positive values, "
                         f"got {lams.size} values")
    A, lams, f, rho, eta = _path_norms(A, b, lams, "tikhonov")
    t = np.log(lams)
    x, y = np.log(rho), np.log(eta)
    dx, dy = np.gradient(x, t), np.gradient(y, t)
    ddx, ddy = np.gradient(dx, t), np.gradient(dy, t)
    kappa = (dx * ddy - ddx * dy) / np.maximum(dx**2 + dy**2, np.finfo(float).tiny) ** 1.5
    inner = kappa[1:-1]  # one-sided differences at the ends are less accurate
    best = lams[1 + int(np.argmax(inner))]
    return RegularizationPath(params=lams, residual_norm=rho, solution_norm=eta,
                              criterion=kappa, best=float(best))


def polar(A, side: str = "right") -> tuple[np.ndarray, np.ndarray]:
    """Polar decomposition ``A = W P`` (right) or ``A = P W`` (left) from the SVD.

    With ``A = U diag(s) V^T``: ``W = U V^T`` has orthonormal columns (rows,
    for a wide ``A``) and ``P = V diag(s) V^T`` (``U diag(s) U^T`` for the
    left form) is symmetric positive semi-definite. ``W`` is the orthogonal
    matrix nearest to ``A`` in every unitarily invariant norm (Fan & Hoffman),
    the matrix version of ``z = e^{i theta} |z|``.

    Parameters
    ----------
    A : array_like, shape (m, n)
    side : {"right", "left"}
        As in ``scipy.linalg.polar``.

    Returns
    -------
    W : ndarray, shape (m, n)
        ``W^T W = I`` if ``m >= n``, ``W W^T = I`` if ``m < n``.
    P : ndarray, shape (n, n) for "right", (m, m) for "left"
        Symmetric positive semi-definite; unique, and ``W`` unique too when
        ``A`` has full rank.

    Raises
    ------
    ValueError
        For an unknown ``side`` or input that is not a finite matrix.

    References
    ----------
    N. J. Higham, *Functions of Matrices*, SIAM, 2008, chapter 8. K. Fan and
    A. J. Hoffman, "Some metric inequalities in the space of matrices", Proc.
    AMS 6 (1955). Taught in chapter 2b.

    Examples
    --------
    >>> A = np.array([[1.0, -1.0], [2.0, 4.0]])
    >>> W, P = polar(A)
    >>> np.allclose(W @ P, A), np.allclose(W.T @ W, np.eye(2))
    (True, True)
    >>> bool(np.all(np.linalg.eigvalsh(P) > 0))
    True
    """
    A = check_matrix(A, "A")
    side = check_option(side, "side", ("right", "left"))
    U, s, Vt = svd(A)
    W = U @ Vt
    if side == "right":
        P = (Vt.T * s) @ Vt
    else:
        P = (U * s) @ U.T
    return W, (P + P.T) / 2


@dataclass(frozen=True)
class ProcrustesResult:
    """Result of :func:`procrustes`: ``B ~ scale * (A - mean_A) @ R + mean_B``.

    Attributes
    ----------
    R : ndarray, shape (d, d)
        The orthogonal map (a rotation when ``proper=True``).
    scale : float
        The scale factor (1.0 unless ``scaling=True``).
    translation : ndarray, shape (d,)
        ``t`` with ``B ~ scale * A @ R + t``.
    residual : float
        ``||scale * A @ R + t - B||_F``.
    """

    R: np.ndarray
    scale: float
    translation: np.ndarray
    residual: float


def procrustes(A, B, *, center: bool = False, proper: bool = False,
               scaling: bool = False) -> ProcrustesResult:
    """Orthogonal Procrustes: the orthogonal ``R`` minimizing ``||A R - B||_F``.

    Expanding the norm, only ``trace(R^T A^T B)`` depends on ``R``; with
    ``A^T B = U diag(s) V^T`` it is at most ``sum(s)``, reached by
    ``R = U V^T``, the orthogonal factor of the polar decomposition of
    ``A^T B`` (:func:`polar`). With ``proper=True`` ``R`` must be a rotation
    (``det R = +1``): when ``det(U V^T) = -1`` the last singular direction is
    flipped, ``R = U diag(1, ..., 1, -1) V^T`` (Kabsch's algorithm). With
    ``center=True`` both point sets are first moved to their centroids (the
    optimal translation), and ``scaling=True`` adds the optimal similarity
    scale ``trace(diag(s) D) / ||A - mean_A||_F^2`` (Umeyama).

    Parameters
    ----------
    A, B : array_like, shape (N, d)
        Corresponding points, one per row (or any two matrices of one shape).
    center : bool, default False
        Also fit a translation.
    proper : bool, default False
        Restrict ``R`` to rotations (no reflections).
    scaling : bool, default False
        Also fit a scale factor.

    Returns
    -------
    ProcrustesResult

    Raises
    ------
    ValueError
        If ``A`` and ``B`` differ in shape or are not finite matrices.

    References
    ----------
    P. H. Schönemann, "A generalized solution of the orthogonal Procrustes
    problem", Psychometrika 31 (1966). W. Kabsch, "A solution for the best
    rotation to relate two sets of vectors", Acta Cryst. A32 (1976).
    S. Umeyama, "Least-squares estimation of transformation parameters between
    two point patterns", IEEE TPAMI 13 (1991). Taught in chapter 2b.

    Examples
    --------
    >>> c, s = np.cos(0.3), np.sin(0.3)
    >>> R_true = np.array([[c, -s], [s, c]])
    >>> A = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    >>> fit = procrustes(A, 3.0 * A @ R_true + [1.0, -1.0], center=True, scaling=True)
    >>> np.allclose(fit.R, R_true), round(fit.scale, 12), round(fit.residual, 12)
    (True, 3.0, 0.0)
    """
    A = check_matrix(A, "A")
    B = check_matrix(B, "B")
    check_same_shape(A, B, ("A", "B"))
    mu_a = A.mean(axis=0) if center else np.zeros(A.shape[1])
    mu_b = B.mean(axis=0) if center else np.zeros(B.shape[1])
    A0, B0 = A - mu_a, B - mu_b
    U, s, Vt = np.linalg.svd(A0.T @ B0)
    d = np.ones_like(s)
    if proper and np.linalg.det(U) * np.linalg.det(Vt) < 0:
        d[-1] = -1.0
    R = (U * d) @ Vt
    if scaling:
        denom = float(np.sum(A0**2))
        scale = float(s @ d) / denom if denom > 0 else 1.0
    else:
        scale = 1.0
    t = mu_b - scale * mu_a @ R
    resid = float(np.linalg.norm(scale * A @ R + t - B))
    return ProcrustesResult(R=R, scale=scale, translation=t, residual=resid)


def total_least_squares(A, b) -> np.ndarray:
    """Total least squares: ``A x ~ b`` with errors in ``A`` as well as in ``b``.

    Ordinary least squares changes only ``b``; TLS finds the smallest
    correction ``[E, r]`` (in the Frobenius norm) such that
    ``(A + E) x = b + r`` is consistent. By Eckart-Young, the nearest rank-``n``
    matrix to ``C = [A, b]`` removes its last singular triplet, and ``x`` is
    read from the last right singular vector ``v = (v_1, v_2)`` of ``C``:
    ``x = -v_1 / v_2`` (for ``d`` right-hand sides ``X = -V_12 V_22^{-1}``).
    TLS is the consistent estimator of the errors-in-variables model when the
    errors in all columns are independent with equal variance (scale the
    columns first otherwise); OLS is biased towards zero there.

    Parameters
    ----------
    A : array_like, shape (m, n)
        ``m >= n + d``.
    b : array_like, shape (m,) or (m, d)

    Returns
    -------
    x : ndarray, shape (n,) or (n, d)

    Raises
    ------
    ValueError
        If ``b`` has the wrong number of rows or ``m < n + d``.
    numpy.linalg.LinAlgError
        If ``V_22`` is singular to working precision: the TLS problem has no
        solution (the last singular vectors of ``C`` lie in the ``A`` columns).

    References
    ----------
    G. H. Golub and C. F. Van Loan, "An analysis of the total least squares
    problem", SIAM J. Numer. Anal. 17 (1980). I. Markovsky and S. Van Huffel,
    "Overview of total least-squares methods", Signal Processing 87 (2007).
    Taught in chapter 2b.

    Examples
    --------
    >>> A = np.array([[1.0], [2.0], [3.0]])
    >>> b = np.array([2.0, 4.0, 6.0])
    >>> total_least_squares(A, b)
    array([2.])
    >>> x = total_least_squares(A + [[0.1], [-0.1], [0.0]], b)
    >>> bool(abs(x[0] - 2.0) < 0.1)
    True
    """
    A = check_matrix(A, "A")
    b = _rhs(b, A.shape[0])
    B = b[:, None] if b.ndim == 1 else b
    m, n = A.shape
    d = B.shape[1]
    if m < n + d:
        raise ValueError(f"total_least_squares needs m >= n + d rows, got A of shape {A.shape} "
                         f"and {d} right-hand side(s)")
    _, _, Vt = np.linalg.svd(np.hstack([A, B]), full_matrices=False)
    V = Vt.T
    V12, V22 = V[:n, n:], V[n:, n:]
    s22 = np.linalg.svd(V22, compute_uv=False)
    if s22[-1] <= (n + d) * np.finfo(A.dtype).eps:
        raise np.linalg.LinAlgError(
            "the TLS problem has no solution: the smallest right singular vectors of [A, b] "
            "have no component along b (V_22 is singular)")
    X = -np.linalg.solve(V22.T, V12.T).T
    return X[:, 0] if b.ndim == 1 else X
