"""Non-negative matrix factorization: multiplicative updates, projected gradient and HALS.

Taught in chapter 11a (*Non-negative matrix factorization*).

Given a non-negative ``X`` (``m x n``, samples in rows, dense or ``scipy.sparse``) and a
rank ``k``, NMF looks for ``W >= 0`` (``m x k``) and ``H >= 0`` (``k x n``) minimizing

.. math:: F(W, H) = \\tfrac12\\|X - WH\\|_F^2 + R_W(W) + R_H(H)

(scikit-learn's naming: ``W = transform(X)``, ``H = components_``). The problem is
non-convex in ``(W, H)`` but convex in each factor alone: with ``H`` fixed, each row
``w`` of ``W`` solves the non-negative least-squares problem
``min_{w >= 0} 1/2 w^T G w - b^T w`` with the *same* Gram matrix ``G = HH^T`` and
``b`` a row of ``XH^T``. Every solver here alternates such half-steps, and all of them
need only the products ``XH^T``, ``HH^T``, ``W^TX`` and ``W^TW``: a sparse ``X`` is
never densified.

The three solvers
-----------------
``"mu"``: multiplicative updates (Lee and Seung 2001), ``H <- H * (W^T X) / (W^T W H)``
    and symmetrically for ``W``. The step is a gradient step with the entry-wise step
    size ``H / (W^T W H)``, chosen so that the update stays non-negative and the
    objective never increases (an auxiliary-function argument). Cheap, but an entry
    can approach zero only geometrically and never reach it, so convergence slows down
    exactly where the solution is sparse. The only solver here that also fits the
    generalized Kullback-Leibler divergence ``sum x log(x / wh) - x + wh``.
``"pg"``: alternating non-negative least squares by projected gradient (Lin 2007).
    Each half-step iterates ``Z <- max(Z - a grad, 0)`` on its convex subproblem, with
    the step ``a`` found by an Armijo search (grow or shrink by 10 until the sufficient
    decrease ``f(Z_new) - f(Z) <= 0.01 <grad, Z_new - Z>`` holds; the quadratic gives
    ``f(Z_new) - f(Z)`` in closed form), until the subproblem's projected gradient is
    below a tolerance that starts at ``max(tol, 1e-3)`` times the initial one and is
    divided by 10 whenever a subproblem is already solved at its first iterate.
``"hals"`` (default): hierarchical alternating least squares (Cichocki and Phan 2009),
    i.e. exact coordinate descent on the rows of ``H`` (columns of ``W``): row ``j`` has
    the closed-form minimizer ``h_j <- max(0, (b_j - sum_{l != j} G_jl h_l) / G_jj)``.
    The expensive part of a half-step is the product ``XH^T`` (``O(nnz(X) k)``), while a
    pass over the ``k`` rows costs ``O(m k^2)``; Gillis and Glineur (2012) therefore
    repeat the pass on the same products, at most ``1 + alpha rho`` times with ``rho =
    1 + (nnz(X) + nk) / (m(k + 1))`` the ratio of the two costs and ``alpha = 0.5``,
    stopping earlier once a pass changes the factor by less than ``delta = 0.1`` times
    what the first pass changed it (in NumPy a pass also pays a fixed cost per row for
    the calls that update it, which the cost ratio here counts). On top of that,
    ``"hals"`` extrapolates (Ang and Gillis 2019): after each half-step the factor is
    pushed further along its last change, ``W_y = max(0, W_n + beta (W_n - W))``, the
    next half-step starts from there, and when the objective rises the scheme restarts
    from the last accepted iterate with a smaller ``beta`` (``beta`` grows slowly after
    each success). The objective is flat along ``(W D, D^{-1} H)`` for positive diagonal
    ``D``, and extrapolation drifts along that valley; without penalties every iterate
    is therefore rebalanced (``||w_j|| = ||h_j||``), which changes neither ``WH`` nor the
    objective. scikit-learn's ``solver="cd"`` is plain HALS (one pass, no
    extrapolation), in Cython; with those settings the code here reproduces it step for
    step.

Stationarity and the stopping rule
----------------------------------
A point is stationary (satisfies the KKT conditions) when its *projected gradient*
vanishes: ``P[g]_ij = g_ij`` where ``z_ij > 0`` and ``min(g_ij, 0)`` where ``z_ij = 0``.
Every solver stops when ``||P[grad F(W, H)]||_F <= tol * ||P[grad F(W_0, H_0)]||_F``
(Lin's criterion) or when that norm is down to the rounding error of computing the
gradient (each gradient is a difference of two non-negative products, each accurate to
``N eps`` relative for inner dimension ``N``), and records after every iteration the
objective and that norm in ``history_``. Both are computed *exactly at the current iterate* at almost no extra
cost: the gradient in ``W`` at ``(W_t, H_t)`` is ``W_t (H_t H_t^T) - X H_t^T``, made of
the products the next ``W`` half-step computes anyway, and the gradient in ``H`` and the
objective ``1/2 ||X||^2 - <W^T X, H> + 1/2 <W^T W, H H^T>`` come from the products of the
``H`` half-step just done (for the Kullback-Leibler loss, one extra product ``W^T (X /
WH)`` per iteration).

Regularization follows scikit-learn's conventions exactly:
``R_W = alpha_W * l1_ratio * n_features * ||W||_1 + 1/2 alpha_W (1 - l1_ratio) n_features
||W||_F^2`` and ``R_H`` the same with ``alpha_H`` and ``n_samples``, so that the
penalties keep their weight relative to the data term when the number of samples changes.

Initialization: NNDSVD (Boutsidis and Gallopoulos 2008) seeds NMF with the truncated SVD
(computed by :func:`svdlab.randomized.randomized_svd`): the leading singular pair is
non-negative (Perron-Frobenius), and each later pair ``(u, v)`` is replaced by the larger,
in ``||u_+|| ||v_+||`` against ``||u_-|| ||v_-||``, of its positive and negative parts,
scaled to ``sqrt(sigma * ||u_+-|| ||v_+-||)``. That choice does not depend on the sign of
the pair, so the package's sign convention gives scikit-learn's result (except on an exact
tie of the two parts). ``"nndsvda"`` fills the zeros of NNDSVD with the mean of ``X``,
``"nndsvdar"`` with small random values.

References
----------
D. D. Lee and H. S. Seung, "Learning the parts of objects by non-negative matrix
factorization", Nature 401, 1999; "Algorithms for non-negative matrix factorization",
NIPS 13, 2001. C.-J. Lin, "Projected gradient methods for nonnegative matrix
factorization", Neural Computation 19(10), 2007. A. Cichocki and A.-H. Phan, "Fast local
algorithms for large scale nonnegative matrix and tensor factorizations", IEICE Trans.
Fundamentals E92-A(3), 2009. N. Gillis and F. Glineur, "Accelerated multiplicative
updates and hierarchical ALS algorithms for nonnegative matrix factorization", Neural
Computation 24(4), 2012. A. M. S. Ang and N. Gillis, "Accelerating nonnegative matrix
factorization algorithms using extrapolation", Neural Computation 31(2), 2019.
C. Boutsidis and E. Gallopoulos, "SVD based initialization: a
head start for nonnegative matrix factorization", Pattern Recognition 41(4), 2008.
"""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._progress import progress
from ._validation import (
    check_int,
    check_matrix,
    check_operator,
    check_option,
    check_random_state,
    check_scalar,
)
from .factorizations import ConvergenceWarning
from .randomized import randomized_svd

__all__ = [
    "NMF",
    "initialize_nmf",
    "nmf_loss",
    "projected_gradient_norm",
    "SOLVERS",
    "INITS",
]

SOLVERS = ("hals", "mu", "pg")
"""The solvers of :class:`NMF`."""
INITS = ("nndsvda", "nndsvd", "nndsvdar", "random", "custom")
"""The initializations of :class:`NMF` (``"custom"``: ``W`` and ``H`` given to ``fit``)."""
LOSSES = ("frobenius", "kullback-leibler")

EPSILON = float(np.finfo(np.float32).eps)
"""Floor of denominators and of ``WH`` in the Kullback-Leibler loss (scikit-learn's)."""

HALS_ALPHA = 0.5
"""Gillis and Glineur's ``alpha``: inner passes per half-step at most ``1 + alpha rho``."""
HALS_DELTA = 0.1
"""Inner passes stop once a pass moves the factor by less than ``delta`` times the first."""
HER_BETA0, HER_ETA, HER_GAMMA, HER_GAMMA_BAR = 0.5, 1.5, 1.01, 1.005
"""Extrapolation of Ang and Gillis (2019) for HALS: initial ``beta``, its division on a
restart and its growth factors (with that of its upper bound) after a success."""
HER_BETA_MAX = 1.0
"""Upper bound of the extrapolation parameter."""
_CALL_COST = 1000
"""Overhead of the NumPy calls of one row update, in multiply-adds, for the cost model: about
1 microsecond, measured against the 0.6-1 G multiply-adds per second of the row's
matrix-vector product on one core."""
_STACK_BELOW = 2000
"""Rows shorter than this are updated with the stacked right-hand side (two calls)."""
PG_SIGMA = 0.01
"""Lin's sufficient-decrease constant in the Armijo rule."""
PG_BETA = 0.1
"""Lin's factor by which the step grows or shrinks in the Armijo search."""


# ----------------------------------------------------------------------------- checks
def _check_nonnegative_input(X, name: str = "X"):
    """Dense or sparse non-negative float matrix (CSR for sparse)."""
    X = check_operator(X, name)
    if not (sp.issparse(X) or isinstance(X, np.ndarray)):
        raise TypeError(f"{name} must be a dense array or a scipy.sparse matrix, "
                        f"got {type(X).__name__}")
    _refuse_negative(X, name)
    return X


def _refuse_negative(X, name: str = "X") -> None:
    data = X.data if sp.issparse(X) else X
    if data.size and data.min() < 0:
        raise ValueError(
            f"Negative values in data passed to NMF: {name} must be non-negative "
            f"(NMF factors a matrix with entries >= 0), found minimum {float(data.min()):g}"
        )


def _mean(X) -> float:
    return float(X.sum()) / (X.shape[0] * X.shape[1])


def _sq_norm(X) -> float:
    d = X.data if sp.issparse(X) else X.ravel()
    return float(np.dot(d, d))


# ----------------------------------------------------------------------------- init
def initialize_nmf(X, n_components: int, init: str = "nndsvda", *, eps: float = 1e-6,
                   random_state=None):
    """Starting factors for NMF: NNDSVD and its two variants, or random.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (m, n), non-negative
    n_components : int
        Rank ``k``; at most ``min(m, n)`` for the NNDSVD variants.
    init : {"nndsvda", "nndsvd", "nndsvdar", "random"}
        ``"nndsvd"``: Boutsidis and Gallopoulos' NNDSVD from the rank-``k`` truncated SVD
        (entries below ``eps`` set to zero; good for sparse factors). ``"nndsvda"``:
        NNDSVD with its zeros replaced by the mean of ``X`` (every entry can then move,
        which multiplicative updates need). ``"nndsvdar"``: zeros replaced by
        ``|N(0, 1)| mean(X) / 100``. ``"random"``: ``|N(0, 1)| sqrt(mean(X) / k)``
        entry-wise, scikit-learn's scaling.
    eps : float
        Entries of NNDSVD below this are set to zero (scikit-learn's ``1e-6``).
    random_state : None, int or numpy.random.Generator
        Seeds the randomized SVD and the random fills.

    Returns
    -------
    W : ndarray, shape (m, k)
    H : ndarray, shape (k, n)
        Non-negative, in the dtype of ``X`` (float32 or float64).

    Raises
    ------
    ValueError
        If ``X`` has a negative entry, ``init`` is unknown, or ``k > min(m, n)`` with
        an NNDSVD variant.

    Notes
    -----
    The SVD is :func:`svdlab.randomized.randomized_svd` (adaptive power iterations), with
    the package's sign convention. NNDSVD keeps, for each pair ``(u_j, v_j)``, the larger
    of ``(u_+, v_+)`` and ``(u_-, v_-)``, which swaps with the sign of the pair: the
    result equals scikit-learn's ``_initialize_nmf`` whatever sign convention either
    SVD used, except when the two parts tie exactly.

    References
    ----------
    C. Boutsidis and E. Gallopoulos, "SVD based initialization: a head start for
    nonnegative matrix factorization", Pattern Recognition 41(4), 2008.

    Taught in chapter 11a.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((6, 2)) @ rng.random((2, 5))
    >>> W, H = initialize_nmf(X, 2, "nndsvd", random_state=0)
    >>> W.shape, H.shape, bool((W >= 0).all() and (H >= 0).all())
    ((6, 2), (2, 5), True)
    >>> bool(np.linalg.norm(X - W @ H) < 0.5 * np.linalg.norm(X))
    True
    """
    X = _check_nonnegative_input(X, "X")
    m, n = X.shape
    check_option(init, "init", INITS[:-1])
    k = check_int(n_components, "n_components", min_value=1)
    eps = check_scalar(eps, "eps", low=0.0)
    rng = check_random_state(random_state)
    dtype = X.dtype
    mean = _mean(X)
    if init == "random":
        avg = np.sqrt(mean / k)
        H = np.abs(avg * rng.standard_normal((k, n))).astype(dtype)
        W = np.abs(avg * rng.standard_normal((m, k))).astype(dtype)
        return W, H
    if k > min(m, n):
        raise ValueError(
            f"n_components must be <= min(n_samples, n_features) = {min(m, n)} with "
            f"init={init!r} (NNDSVD needs k singular vectors), got {k}; use init='random'"
        )
    U, s, Vt = randomized_svd(X, k, random_state=rng)
    W, H = _nndsvd_from_svd(U, s, Vt)
    W[W < eps] = 0
    H[H < eps] = 0
    if init == "nndsvda":
        W[W == 0] = mean
        H[H == 0] = mean
    elif init == "nndsvdar":
        zw, zh = W == 0, H == 0
        W[zw] = np.abs(mean * rng.standard_normal(int(zw.sum())) / 100)
        H[zh] = np.abs(mean * rng.standard_normal(int(zh.sum())) / 100)
    return W.astype(dtype, copy=False), H.astype(dtype, copy=False)


def _nndsvd_from_svd(U, s, Vt):
    """NNDSVD factors from a rank-k SVD, all pairs at once (no loop over components)."""
    xp, xn = np.maximum(U, 0), np.maximum(-U, 0)          # columns
    yp, yn = np.maximum(Vt, 0), np.maximum(-Vt, 0)        # rows
    nxp, nxn = np.linalg.norm(xp, axis=0), np.linalg.norm(xn, axis=0)
    nyp, nyn = np.linalg.norm(yp, axis=1), np.linalg.norm(yn, axis=1)
    mp, mn = nxp * nyp, nxn * nyn
    pos = mp > mn                                          # scikit-learn's tie rule
    sigma = np.where(pos, mp, mn)
    u = np.where(pos, xp, xn) / np.where(pos, nxp, nxn).clip(min=np.finfo(U.dtype).tiny)
    v = np.where(pos[:, None], yp, yn) / np.where(pos, nyp, nyn).clip(
        min=np.finfo(U.dtype).tiny)[:, None]
    lam = np.sqrt(s * sigma)
    W = u * lam
    H = v * lam[:, None]
    # the leading pair is non-negative (Perron-Frobenius) up to rounding: take |.|
    W[:, 0] = np.sqrt(s[0]) * np.abs(U[:, 0])
    H[0] = np.sqrt(s[0]) * np.abs(Vt[0])
    return W, H


# ----------------------------------------------------------------------------- losses
def _reg_terms(alpha_W, alpha_H, l1_ratio, shape):
    """scikit-learn's scaled penalties: (l1_W, l2_W, l1_H, l2_H)."""
    m, n = shape
    a_h = alpha_W if isinstance(alpha_H, str) else alpha_H
    return (n * alpha_W * l1_ratio, n * alpha_W * (1 - l1_ratio),
            m * a_h * l1_ratio, m * a_h * (1 - l1_ratio))


def _penalty(Z, l1, l2) -> float:
    out = 0.0
    if l1:
        out += l1 * float(Z.sum())
    if l2:
        out += 0.5 * l2 * float(np.vdot(Z, Z))
    return out


def _wh_at_nonzeros(X, W, H, chunk: int = 1 << 20):
    """(WH)_ij at the stored entries of a CSR matrix, in chunks of about ``chunk`` floats."""
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    cols = X.indices
    out = np.empty(X.nnz, dtype=np.result_type(W, H))
    Ht = np.ascontiguousarray(H.T)
    step = max(1, chunk // max(1, W.shape[1]))
    for a in range(0, X.nnz, step):
        b = min(a + step, X.nnz)
        out[a:b] = np.einsum("ij,ij->i", W[rows[a:b]], Ht[cols[a:b]])
    return out


def _kl(X, W, H) -> float:
    """scikit-learn's generalized KL divergence: entries of X below EPSILON are skipped."""
    if sp.issparse(X):
        x, wh = X.data, _wh_at_nonzeros(X, W, H)
    else:
        x, wh = X.ravel(), (W @ H).ravel()
    keep = x > EPSILON
    x, wh = x[keep], np.maximum(wh[keep], EPSILON)
    total = float(W.sum(axis=0) @ H.sum(axis=1))
    return float(np.dot(x, np.log(x / wh))) + total - float(x.sum())


def nmf_loss(X, W, H, beta_loss: str = "frobenius", *, square_root: bool = False) -> float:
    """The data term of NMF: ``1/2 ||X - WH||_F^2`` or the generalized KL divergence.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (m, n), non-negative
    W : array_like, shape (m, k)
    H : array_like, shape (k, n)
    beta_loss : {"frobenius", "kullback-leibler"}
    square_root : bool
        Return ``sqrt(2 * loss)`` (for the Frobenius loss, ``||X - WH||_F``): the
        definition of scikit-learn's and :class:`NMF`'s ``reconstruction_err_``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If shapes do not match or ``X`` has a negative entry.

    Notes
    -----
    For a sparse ``X`` the Frobenius loss is ``1/2 (||X||^2 - 2 <XH^T, W> + <W^TW,
    HH^T>)`` and the KL loss needs ``WH`` only at the stored entries, so ``WH`` is never
    formed. As in scikit-learn, entries of ``X`` below float32's epsilon are left out of
    the logarithmic part of the KL loss and ``WH`` is floored there.

    Taught in chapter 11a.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> W, H = np.array([[1.0], [2.0]]), np.array([[1.0, 2.0]])
    >>> nmf_loss(X, W, H)            # residual [[0, 0], [1, 0]]
    0.5
    >>> nmf_loss(X, W, H, square_root=True)
    1.0
    """
    X = _check_nonnegative_input(X, "X")
    W, H = check_matrix(W, "W"), check_matrix(H, "H")
    if W.shape[0] != X.shape[0] or H.shape[1] != X.shape[1] or W.shape[1] != H.shape[0]:
        raise ValueError(f"W @ H must have the shape of X: got W {W.shape}, H {H.shape}, "
                         f"X {X.shape}")
    check_option(beta_loss, "beta_loss", LOSSES)
    if beta_loss == "frobenius":
        if sp.issparse(X):
            val = 0.5 * (_sq_norm(X) - 2 * float(np.vdot(np.asarray(X @ H.T), W))
                         + float(np.vdot(W.T @ W, H @ H.T)))
        else:
            R = X - W @ H
            val = 0.5 * float(np.vdot(R, R))
    else:
        val = _kl(X, W, H)
    return float(np.sqrt(2 * max(val, 0.0))) if square_root else val


def _pg_sq(grad, Z) -> float:
    """Squared Frobenius norm of the projected gradient (KKT residual) of a factor."""
    P = np.where(Z > 0, grad, np.minimum(grad, 0))
    return float(np.vdot(P, P))


def _kkt(T1, T2, Z, N):
    """Projected gradient and its rounding floor for a gradient ``T1 - T2``, both >= 0.

    Every gradient here is a difference of two non-negative matrices (for ``W``:
    ``T1 = W (HH^T) + l1 + l2 W`` and ``T2 = XH^T``). A product of non-negative
    matrices with inner dimension ``N`` is computed with entry-wise relative error at most
    ``N eps`` (Higham 2002, section 3.5), so the computed gradient is off by at most
    ``N eps (T1 + T2)`` entry-wise: a projected gradient below ``N eps ||T1 + T2||_F``
    is rounding, and asking an iteration for less cannot succeed.

    Returns ``(||P[T1 - T2]||^2, floor^2)``.
    """
    S = T1 + T2
    eps = np.finfo(S.dtype).eps
    return _pg_sq(T1 - T2, Z), float((N * eps) ** 2 * np.vdot(S, S))


def projected_gradient_norm(X, W, H, *, beta_loss: str = "frobenius", alpha_W: float = 0.0,
                            alpha_H="same", l1_ratio: float = 0.0) -> float:
    """Norm of the projected gradient of the NMF objective at ``(W, H)``: zero iff KKT.

    ``P[g]_ij = g_ij`` where the factor entry is positive and ``min(g_ij, 0)`` where it
    is zero; the value is ``sqrt(||P[grad_W F]||^2 + ||P[grad_H F]||^2)``, with the
    penalties of :class:`NMF` (same ``alpha_W``, ``alpha_H``, ``l1_ratio``) included in
    ``F``.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (m, n), non-negative
    W : array_like, shape (m, k), non-negative
    H : array_like, shape (k, n), non-negative
    beta_loss : {"frobenius", "kullback-leibler"}
    alpha_W, alpha_H, l1_ratio : float
        As in :class:`NMF`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a matrix has a negative entry or the shapes do not match.

    References
    ----------
    C.-J. Lin, "Projected gradient methods for nonnegative matrix factorization",
    Neural Computation 19(10), 2007 (the stopping criterion).

    Taught in chapter 11a.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [2.0, 4.0]])          # rank one: X = w h
    >>> projected_gradient_norm(X, np.array([[1.0], [2.0]]), np.array([[1.0, 2.0]]))
    0.0
    """
    X = _check_nonnegative_input(X, "X")
    W = check_matrix(W, "W", nonnegative=True)
    H = check_matrix(H, "H", nonnegative=True)
    if W.shape[0] != X.shape[0] or H.shape[1] != X.shape[1] or W.shape[1] != H.shape[0]:
        raise ValueError(f"W @ H must have the shape of X: got W {W.shape}, H {H.shape}, "
                         f"X {X.shape}")
    check_option(beta_loss, "beta_loss", LOSSES)
    l1w, l2w, l1h, l2h = _reg_terms(alpha_W, alpha_H, l1_ratio, X.shape)
    if beta_loss == "frobenius":
        gW = W @ (H @ H.T) - np.asarray(X @ H.T)
        gH = (W.T @ W) @ H - np.asarray((X.T @ W).T)
    else:
        R = _Data(X).ratio(np.ascontiguousarray(W.T), H)
        gW = H.sum(axis=1)[None, :] - np.asarray(R @ H.T)
        gH = W.sum(axis=0)[:, None] - np.asarray((R.T @ W).T)
    gW = gW + l1w + l2w * W
    gH = gH + l1h + l2h * H
    return float(np.sqrt(_pg_sq(gW, W) + _pg_sq(gH, H)))


# ----------------------------------------------------------------------------- data
class _Data:
    """``X`` with the products the solvers need; factors are held as ``Wt = W^T`` (k x m)."""

    def __init__(self, X):
        self.X = X
        self.sparse = sp.issparse(X)
        # X^T in row-major order too: H X^T then reads it with unit stride (sparse: CSR)
        self.Xt = X.T.tocsr() if self.sparse else np.ascontiguousarray(X.T)
        self.shape = X.shape
        self.sq_norm = _sq_norm(X)
        self.nnz = X.nnz if self.sparse else X.shape[0] * X.shape[1]
        if self.sparse:
            self.rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))

    def hxt(self, H):
        """``H X^T = (X H^T)^T``, shape (k, m)."""
        if self.sparse:
            return np.ascontiguousarray((self.X @ H.T).T)
        return H @ self.Xt

    def wtx(self, Wt):
        """``W^T X``, shape (k, n)."""
        if self.sparse:
            return np.ascontiguousarray((self.Xt @ Wt.T).T)
        return Wt @ self.X

    def ratio(self, Wt, H):
        """``X / WH`` (WH floored at EPSILON), sparse like X or dense."""
        if self.sparse:
            X = self.X
            wh = _wh_at_nonzeros(X, Wt.T, H)
            return sp.csr_matrix((X.data / np.maximum(wh, EPSILON), X.indices, X.indptr),
                                 shape=X.shape)
        return self.X / np.maximum(Wt.T @ H, EPSILON)

    def kl(self, Wt, H, R):
        """KL divergence from the ratio ``R = X / max(WH, EPSILON)`` already computed."""
        if self.sparse:
            x, r = self.X.data, R.data
        else:
            x, r = self.X.ravel(), R.ravel()
        keep = x > EPSILON
        total = float(Wt.sum(axis=1) @ H.sum(axis=1))
        # x / wh_floored = r, so x log(x / wh) = x log(r)
        return float(np.dot(x[keep], np.log(r[keep]))) + total - float(x[keep].sum())


# ----------------------------------------------------------------------------- solvers
# A half-step updates Z (k x p, the rows are components) to decrease
#     1/2 tr(Z^T G Z) - <B, Z> + l1 * sum(Z),   G = Gram (+ l2 I), B = cross product,
# whose gradient is G Z - B + l1. For W: Z = W^T, G = HH^T, B = HX^T; for H: Z = H,
# G = W^TW, B = W^TX.

def _hals_step(Z, G, B, l1, state):
    """Up to ``state['max_inner']`` HALS passes over the rows of Z (Gillis-Glineur).

    Row ``j`` becomes ``max(0, (b_j - sum_{l != j} G_jl z_l) / G_jj)``; rows with
    ``G_jj = 0`` (a dead partner component) are left as they are, as in scikit-learn.
    For short rows the NumPy calls, not the flops, are the cost: the right-hand side is
    then stacked under ``Z`` so that one matrix-vector product gives
    ``b_j - sum_l G_jl z_l`` (two calls per row instead of three). Returns a new array.
    """
    k, p = Z.shape
    d = np.diag(G).copy()
    active = [int(j) for j in np.flatnonzero(d > 0)]
    dd = np.where(d > 0, d, 1.0)
    Gs = G / dd[:, None]
    np.fill_diagonal(Gs, 0.0)
    Bs = (B - l1) / dd[:, None] if l1 else B / dd[:, None]
    tmp = np.empty(p, dtype=Z.dtype)
    stacked = p < _STACK_BELOW
    if stacked:
        Za = np.empty((2 * k, p), dtype=Z.dtype)
        Za[:k] = Z
        Za[k:] = Bs
        Z = Za[:k]
        C = np.zeros((k, 2 * k), dtype=Gs.dtype)
        np.negative(Gs, out=C[:, :k])
        C[:, k:].flat[::k + 1] = 1.0
        rows = [(C[j], Z[j]) for j in active]
    else:
        Z = Z.copy()
        rows = [(Bs[j], Gs[j], Z[j]) for j in active]
    first = None
    for _ in range(state["max_inner"]):
        before = Z.copy()
        if stacked:
            for c, z in rows:
                np.maximum(np.dot(c, Za, out=tmp), 0.0, out=z)
        else:
            for b, g, z in rows:
                np.maximum(np.subtract(b, g @ Z, out=tmp), 0.0, out=z)
        before -= Z
        change = float(np.vdot(before, before))
        if first is None:
            first = change
        elif change <= HALS_DELTA**2 * first:
            break
    return np.ascontiguousarray(Z) if stacked else Z


def _mu_step(Z, G, B, l1, state):
    """One Lee-Seung multiplicative update (B >= 0 is the plain cross product)."""
    denom = G @ Z
    if l1:
        denom += l1
    denom[denom == 0] = EPSILON
    return Z * (B / denom)


def _lin_subproblem(Z, G, B, tol, N, max_inner: int = 1000):
    """Lin's projected gradient with Armijo steps on 1/2 <Z, GZ> - <B, Z>, Z >= 0.

    Stops when the projected gradient is below ``tol`` or at its rounding floor
    (:func:`_kkt`, ``N`` the inner dimension of ``G`` and ``B``); returns ``(Z, its)``.
    """
    alpha = 1.0
    it = 0
    while it < max_inner:
        it += 1
        GZ = G @ Z
        pg2, floor2 = _kkt(GZ, B, Z, N)
        grad = GZ - B
        if pg2 < tol * tol or pg2 <= floor2:
            break
        decrease_alpha = None
        Zp = Z
        for inner in range(20):
            Zn = np.maximum(Z - alpha * grad, 0.0)
            dZ = Zn - Z
            gd = float(np.vdot(grad, dZ))
            dQd = float(np.vdot(G @ dZ, dZ))
            sufficient = (1 - PG_SIGMA) * gd + 0.5 * dQd <= 0
            if inner == 0:
                decrease_alpha = not sufficient
                Zp = Z
            if decrease_alpha:
                if sufficient:
                    Z = Zn
                    break
                alpha *= PG_BETA
            else:
                if not sufficient or np.array_equal(Zp, Zn):
                    Z = Zp
                    break
                alpha /= PG_BETA
                Zp = Zn
        else:
            Z = Zp if not decrease_alpha else Z
    return Z, it


def _pg_step(Z, G, B, l1, state):
    Z, it = _lin_subproblem(Z, G, B - l1 if l1 else B, state["tol"], state["N"])
    if it == 1:                    # solved at once: ask more of the next subproblem
        state["tol"] *= 0.1
    return Z


_STEPS = {"hals": _hals_step, "mu": _mu_step, "pg": _pg_step}


def _hals_inner(nnz, p_other, p, k):
    """Cap on HALS passes per half-step: Gillis and Glineur's ``floor(1 + alpha rho)``.

    ``rho`` is the cost of the products of a half-step (``nnz k + p_other k^2``
    multiply-adds for ``XH^T`` and ``HH^T``) over the cost of one pass (``p k (k + 1)``);
    here a pass also pays ``_CALL_COST`` per row for the NumPy calls of the row update.
    """
    rho = 1 + (nnz * k + p_other * k * k) / (p * k * (k + 1) + k * _CALL_COST)
    return int(1 + HALS_ALPHA * rho)


def _record(hist, f, pg, t0):
    hist["objective"].append(f)
    hist["projected_gradient"].append(pg)
    hist["seconds"].append(time.perf_counter() - t0)


def _fit_frobenius(data, Wt, H, solver, reg, tol, max_iter, update_H, verbose):
    """Alternate half-steps; history at every iterate (see the module docstring).

    Used by ``"mu"`` and ``"pg"``, and by every solver's ``transform``
    (``update_H=False``: a convex problem in ``W`` alone).
    """
    m, n = data.shape
    k = H.shape[0]
    l1w, l2w, l1h, l2h = reg
    step = _STEPS[solver]
    eye = np.eye(k, dtype=H.dtype)
    state_w = {"max_inner": _hals_inner(data.nnz, n, m, k), "N": n + k}
    state_h = {"max_inner": _hals_inner(data.nnz, m, n, k), "N": m + k}
    hist = {"objective": [], "projected_gradient": [], "seconds": []}
    t0 = time.perf_counter()
    HHt = H @ H.T
    BW = data.hxt(H)
    WWt = Wt @ Wt.T
    f = (0.5 * data.sq_norm - float(np.vdot(BW, Wt)) + 0.5 * float(np.vdot(HHt, WWt))
         + _penalty(Wt, l1w, l2w) + _penalty(H, l1h, l2h))
    kkt_h = (0.0, 0.0)
    if update_H:
        BH = data.wtx(Wt)
        kkt_h = _kkt((WWt + l2h * eye) @ H + l1h, BH, H, m + k)
    bar = progress(total=max_iter, verbose=verbose, desc=f"NMF ({solver})")
    pg0, it, converged = None, 0, False
    while True:
        GW = HHt + l2w * eye if l2w else HHt
        kkt_w = _kkt(GW @ Wt + l1w, BW, Wt, n + k)
        pg = float(np.sqrt(kkt_w[0] + kkt_h[0]))
        floor = float(np.sqrt(kkt_w[1] + kkt_h[1]))
        _record(hist, f, pg, t0)
        if pg0 is None:
            pg0 = pg
            state_w["tol"] = state_h["tol"] = max(tol, 1e-3) * pg0
        if it >= 1 and pg <= max(tol * pg0, floor):   # at least one iteration
            converged = True
            break
        if it == max_iter:
            break
        bar.update(1)
        bar.set_postfix(objective=f, pg=pg / pg0 if pg0 else 0.0)
        Wt = step(Wt, GW, BW, l1w, state_w)
        if update_H:
            WWt = Wt @ Wt.T
            BH = data.wtx(Wt)
            GH = WWt + l2h * eye if l2h else WWt
            H = step(H, GH, BH, l1h, state_h)
            kkt_h = _kkt(GH @ H + l1h, BH, H, m + k)
            HHt = H @ H.T
            f = (0.5 * data.sq_norm - float(np.vdot(BH, H)) + 0.5 * float(np.vdot(WWt, HHt))
                 + _penalty(Wt, l1w, l2w) + _penalty(H, l1h, l2h))
            BW = data.hxt(H)
        else:
            f = (0.5 * data.sq_norm - float(np.vdot(BW, Wt))
                 + 0.5 * float(np.vdot(HHt, Wt @ Wt.T)) + _penalty(Wt, l1w, l2w))
        it += 1
    bar.close()
    return Wt, H, it, converged, hist


def _balance(Wt, H):
    """Scales ``d`` with ``||d_j w_j|| = ||h_j / d_j||`` (1 for a zero component)."""
    nw, nh = np.linalg.norm(Wt, axis=1), np.linalg.norm(H, axis=1)
    ok = (nw > 0) & (nh > 0)
    d = np.ones_like(nw)
    d[ok] = np.sqrt(nh[ok] / nw[ok])
    return d


def _fit_hals(data, Wt, H, reg, tol, max_iter, verbose, *, extrapolate=True, scale=True,
              max_inner=None):
    """Accelerated HALS with Ang and Gillis' extrapolation and restarts (fit only).

    With ``extrapolate=False, scale=False, max_inner=(1, 1)`` this is plain HALS, i.e.
    scikit-learn's ``solver="cd"`` step for step.

    Each iteration: ``W_n = HALS(W_y; H_y)``; ``W_y = max(0, W_n + beta (W_n - W))``;
    ``H_n = HALS(H_y; W_y)``; ``H_y = H_n + beta (H_n - H)``. The evaluated (feasible)
    iterate is ``(W_y, H_n)``. If its objective rose, the extrapolation restarts from the
    last accepted ``(W, H)`` and ``beta`` shrinks; otherwise ``(W, H) = (W_n, H_n)`` and
    ``beta`` grows (up to a bound that grows more slowly). ``H_y`` is not projected, so
    ``H_y X^T = H_n X^T + beta (H_n X^T - H X^T)`` costs no product: an iteration makes
    the same two products with ``X`` as plain HALS, and they also give the objective and
    the projected gradient at ``(W_y, H_n)``.
    """
    m, n = data.shape
    k = H.shape[0]
    l1w, l2w, l1h, l2h = reg
    eye = np.eye(k, dtype=H.dtype)
    caps = max_inner or (_hals_inner(data.nnz, n, m, k), _hals_inner(data.nnz, m, n, k))
    state_w, state_h = {"max_inner": caps[0]}, {"max_inner": caps[1]}
    hist = {"objective": [], "projected_gradient": [], "seconds": []}
    t0 = time.perf_counter()
    HXt = data.hxt(H)
    HHt = H @ H.T
    if scale:   # the best multiple of the start W (Gillis' thesis, p. 72)
        num = float(np.vdot(HXt, Wt)) - l1w * float(Wt.sum())
        den = float(np.vdot(HHt, Wt @ Wt.T)) + l2w * float(np.vdot(Wt, Wt))
        if num > 0 and den > 0:
            Wt = Wt * (num / den)
    balance = not any(reg)      # without penalties, F is flat along (W D, D^-1 H)
    if balance:
        d = _balance(Wt, H)
        Wt, H, HXt, HHt = Wt * d[:, None], H / d[:, None], HXt / d[:, None], HHt / np.outer(d, d)
    WtX = data.wtx(Wt)
    WW = Wt @ Wt.T

    def evaluate(Wy, Hn, WtX, WW, HnXt, HnHn):
        f = (0.5 * data.sq_norm - float(np.vdot(WtX, Hn)) + 0.5 * float(np.vdot(WW, HnHn))
             + _penalty(Wy, l1w, l2w) + _penalty(Hn, l1h, l2h))
        pw, fw = _kkt((HnHn + l2w * eye) @ Wy + l1w, HnXt, Wy, n + k)
        ph, fh = _kkt((WW + l2h * eye) @ Hn + l1h, WtX, Hn, m + k)
        return f, float(np.sqrt(pw + ph)), float(np.sqrt(fw + fh))

    f, pg0, floor = evaluate(Wt, H, WtX, WW, HXt, HHt)
    _record(hist, f, pg0, t0)
    best = (f, Wt, H)
    W_acc, H_acc, HXt_acc = Wt, H, HXt          # last accepted (raw) iterate
    Wy, Hy, HyXt = Wt, H, HXt                   # extrapolated points
    beta = min(HER_BETA0, HER_BETA_MAX) if extrapolate else 0.0
    beta_max, beta_before = HER_BETA_MAX, beta
    f_prev, it, converged = f, 0, False
    out = (Wt, H)
    bar = progress(total=max_iter, verbose=verbose, desc="NMF (hals)")
    while not converged and it < max_iter:
        it += 1
        Wn = _hals_step(Wy, Hy @ Hy.T + l2w * eye if l2w else Hy @ Hy.T, HyXt, l1w, state_w)
        Wy = np.maximum(Wn + beta * (Wn - W_acc), 0.0) if beta else Wn
        WtX = data.wtx(Wy)
        WW = Wy @ Wy.T
        Hn = _hals_step(Hy, WW + l2h * eye if l2h else WW, WtX, l1h, state_h)
        HnXt = data.hxt(Hn)
        HnHn = Hn @ Hn.T
        if balance:       # extrapolation drifts along the flat scaling: undo it (exactly)
            d = _balance(Wy, Hn)
            dd = np.outer(d, d)
            Wy, Wn, W_acc, WtX, WW = (Wy * d[:, None], Wn * d[:, None], W_acc * d[:, None],
                                      WtX * d[:, None], WW * dd)
            Hn, H_acc, HnXt, HXt_acc, HnHn = (Hn / d[:, None], H_acc / d[:, None],
                                              HnXt / d[:, None], HXt_acc / d[:, None], HnHn / dd)
        f, pg, floor = evaluate(Wy, Hn, WtX, WW, HnXt, HnHn)
        _record(hist, f, pg, t0)
        bar.update(1)
        bar.set_postfix(objective=f, pg=pg / pg0 if pg0 else 0.0)
        if f < best[0]:
            best = (f, Wy, Hn)
        if pg <= max(tol * pg0, floor):
            converged, out = True, (Wy, Hn)
            break
        used = beta
        if extrapolate and f > f_prev:          # restart from the accepted iterate
            Wy, Hy, HyXt = W_acc, H_acc, HXt_acc
            beta_max, beta = beta_before, used / HER_ETA
        else:
            Hy = Hn + used * (Hn - H_acc) if used else Hn
            HyXt = HnXt + used * (HnXt - HXt_acc) if used else HnXt
            W_acc, H_acc, HXt_acc = Wn, Hn, HnXt
            if extrapolate:
                beta = min(beta_max, HER_GAMMA * used)
                beta_max = min(HER_BETA_MAX, HER_GAMMA_BAR * beta_max)
        beta_before, f_prev = used, f
    bar.close()
    if not converged:
        out = best[1:]
    return out[0], out[1], it, converged, hist


def _fit_kl(data, Wt, H, reg, tol, max_iter, update_H, verbose):
    """Multiplicative updates for the generalized Kullback-Leibler divergence."""
    m, n = data.shape
    l1w, l2w, l1h, l2h = reg
    hist = {"objective": [], "projected_gradient": [], "seconds": []}
    t0 = time.perf_counter()
    bar = progress(total=max_iter, verbose=verbose, desc="NMF (mu, KL)")
    pg0, it, converged = None, 0, False
    tiny = np.finfo(np.float64).eps
    while True:
        R = data.ratio(Wt, H)                         # at (W_t, H_t)
        f = data.kl(Wt, H, R) + _penalty(Wt, l1w, l2w) + _penalty(H, l1h, l2h)
        RHt = np.ascontiguousarray(np.asarray(R @ H.T).T)          # k x m
        sum_h = H.sum(axis=1)[:, None]
        pg2, floor2 = _kkt(sum_h + l1w + l2w * Wt, RHt, Wt, n)
        if update_H:
            WtR = np.asarray((R.T @ Wt.T).T)
            ph, fh = _kkt(Wt.sum(axis=1)[:, None] + l1h + l2h * H, WtR, H, m)
            pg2, floor2 = pg2 + ph, floor2 + fh
        pg, floor = float(np.sqrt(pg2)), float(np.sqrt(floor2))
        _record(hist, f, pg, t0)
        if pg0 is None:
            pg0 = pg
        if it >= 1 and pg <= max(tol * pg0, floor):   # at least one iteration
            converged = True
            break
        if it == max_iter:
            break
        bar.update(1)
        bar.set_postfix(objective=f, pg=pg / pg0 if pg0 else 0.0)
        denom = sum_h + l1w + l2w * Wt
        denom[denom == 0] = EPSILON
        Wt *= RHt / denom
        if update_H:
            R = data.ratio(Wt, H)
            WtR = np.asarray((R.T @ Wt.T).T)
            sum_w = Wt.sum(axis=1)
            sum_w[sum_w == 0] = 1.0
            denom = sum_w[:, None] + l1h + l2h * H
            denom[denom == 0] = EPSILON
            H *= WtR / denom
            H[H < tiny] = 0.0                         # scikit-learn's stabilization
        it += 1
    bar.close()
    return Wt, H, it, converged, hist


# ----------------------------------------------------------------------------- estimator
class NMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Non-negative matrix factorization ``X ~ W H`` by HALS, multiplicative updates or PG.

    Minimizes ``1/2 ||X - WH||_F^2`` (or, with ``solver="mu"``, the generalized
    Kullback-Leibler divergence) plus scikit-learn's penalties over ``W, H >= 0``; see
    the module docstring for the derivation of each solver, the stopping rule and the
    penalties. The interface is scikit-learn's :class:`sklearn.decomposition.NMF`:
    ``fit_transform(X)`` returns ``W``, ``components_`` is ``H``, ``transform(X)``
    solves for ``W`` with ``H`` fixed by the same solver.

    Parameters
    ----------
    n_components : int, default 2
        Rank ``k``.
    solver : {"hals", "mu", "pg"}, default "hals"
        Accelerated HALS (Cichocki and Phan 2009; Gillis and Glineur 2012; with Ang and
        Gillis' 2019 extrapolation), multiplicative updates (Lee and Seung 2001) or alternating projected gradient
        with Armijo steps (Lin 2007).
    beta_loss : {"frobenius", "kullback-leibler"}, default "frobenius"
        The data term. ``"kullback-leibler"`` only with ``solver="mu"``.
    init : {"nndsvda", "nndsvd", "nndsvdar", "random", "custom"}, default "nndsvda"
        See :func:`initialize_nmf`; ``"custom"`` takes ``W`` and ``H`` given to
        ``fit``/``fit_transform``.
    tol : float, default 1e-4
        Stop when the projected-gradient norm falls below ``tol`` times its initial
        value, or to the rounding level of its computation (0: run ``max_iter``
        iterations). At least one iteration is always made.
    max_iter : int, default 200
        Maximum number of iterations (each updates ``W`` then ``H``).
    random_state : None, int or numpy.random.Generator
        Seeds the initialization (randomized SVD, random fills).
    alpha_W : float, default 0.0
        Penalty weight of ``W``: ``alpha_W * n_features * (l1_ratio ||W||_1 +
        (1 - l1_ratio)/2 ||W||_F^2)`` (scikit-learn's scaling).
    alpha_H : float or "same", default "same"
        Penalty weight of ``H``, scaled by ``n_samples``; ``"same"`` uses ``alpha_W``.
    l1_ratio : float in [0, 1], default 0.0
        Share of the L1 penalty (1: pure L1, sparse factors; 0: pure L2).
    verbose : bool or int, default False
        Show a progress bar with the objective and the relative projected gradient.

    Attributes
    ----------
    components_ : ndarray, shape (n_components, n_features)
        ``H``.
    n_components_ : int
    reconstruction_err_ : float
        ``||X - WH||_F`` (``sqrt(2 KL)`` for the KL loss) at the end of ``fit``, without
        the penalties: scikit-learn's definition.
    n_iter_ : int
        Iterations made.
    history_ : dict of ndarray
        ``"objective"`` (the penalized objective), ``"projected_gradient"`` (its
        projected-gradient norm) and ``"seconds"`` (since the end of the initialization)
        at the start point and after each iteration: ``n_iter_ + 1`` entries each. For
        ``"hals"`` the iterates are the extrapolated ones, whose objective may rise
        (a rise triggers a restart); the factors returned are the last iterate when the
        tolerance is met, else the one with the lowest objective.
    n_features_in_ : int

    Raises
    ------
    ValueError
        On negative input (naming ``X``), an unknown option, the KL loss with a solver
        other than ``"mu"``, or ``n_components > min(X.shape)`` with an NNDSVD start.

    See Also
    --------
    sklearn.decomposition.NMF : the peer; ``solver="cd"`` is plain HALS.

    References
    ----------
    Lee and Seung (1999, 2001); Lin (2007); Cichocki and Phan (2009); Gillis and Glineur
    (2012); Ang and Gillis (2019); Boutsidis and Gallopoulos (2008). Full entries in the module docstring.

    Taught in chapter 11a.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 3)) @ rng.random((3, 30)) + 0.01 * rng.random((40, 30))
    >>> model = NMF(3).fit(X)                          # rank 3 plus 1 % noise, all >= 0
    >>> W = model.transform(X)
    >>> bool(model.reconstruction_err_ < 0.01 * np.linalg.norm(X))
    True
    >>> bool(np.all(W >= 0) and np.all(model.components_ >= 0))
    True
    >>> NMF(2).fit(-X)
    Traceback (most recent call last):
    ...
    ValueError: Negative values in data passed to NMF: X must be non-negative ...
    """

    def __init__(self, n_components=2, *, solver="hals", beta_loss="frobenius",
                 init="nndsvda", tol=1e-4, max_iter=200, random_state=None, alpha_W=0.0,
                 alpha_H="same", l1_ratio=0.0, verbose=False):
        self.n_components = n_components
        self.solver = solver
        self.beta_loss = beta_loss
        self.init = init
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # -- checks
    def _check_params(self, fitting: bool = True):
        check_option(self.solver, "solver", SOLVERS)
        check_option(self.beta_loss, "beta_loss", LOSSES)
        if self.beta_loss != "frobenius" and self.solver != "mu":
            raise ValueError(
                f"beta_loss={self.beta_loss!r} is only available with solver='mu' "
                f"(HALS and projected gradient minimize the Frobenius loss); got "
                f"solver={self.solver!r}"
            )
        check_option(self.init, "init", INITS)
        k = check_int(self.n_components, "n_components", min_value=1)
        tol = check_scalar(self.tol, "tol", low=0.0)
        max_iter = check_int(self.max_iter, "max_iter", min_value=1)
        alpha_W = check_scalar(self.alpha_W, "alpha_W", low=0.0)
        if isinstance(self.alpha_H, str):
            check_option(self.alpha_H, "alpha_H", ("same",))
            alpha_H = "same"
        else:
            alpha_H = check_scalar(self.alpha_H, "alpha_H", low=0.0)
        l1_ratio = check_scalar(self.l1_ratio, "l1_ratio", low=0.0, high=1.0)
        if not isinstance(self.verbose, (numbers.Integral, np.bool_)):
            raise TypeError(f"verbose must be True/False or an integer, got {self.verbose!r}")
        if fitting and self.solver == "mu" and self.init == "nndsvd":
            warnings.warn(
                "multiplicative updates cannot move the zeros of init='nndsvd'; "
                "use init='nndsvda' or 'nndsvdar' with solver='mu'", UserWarning, stacklevel=3)
        return k, tol, max_iter, alpha_W, alpha_H, l1_ratio

    def _validate(self, X, reset):
        X = validate_data(self, X, accept_sparse=("csr", "csc"),
                          dtype=[np.float64, np.float32], reset=reset)
        if sp.issparse(X):
            X = X.tocsr()
        _refuse_negative(X, "X")
        return X

    def _random_state(self):
        rs = self.random_state
        if isinstance(rs, np.random.RandomState):
            rs = rs.randint(0, 2**31 - 1)
        return check_random_state(rs)

    def _solve(self, data, Wt, H, update_H, tol, max_iter, reg):
        if self.solver == "hals" and update_H:
            return _fit_hals(data, Wt, H, reg, tol, max_iter, self.verbose)
        if self.beta_loss == "kullback-leibler":
            return _fit_kl(data, Wt, H, reg, tol, max_iter, update_H, self.verbose)
        return _fit_frobenius(data, Wt, H, self.solver, reg, tol, max_iter, update_H,
                              self.verbose)

    # -- API
    def fit(self, X, y=None, W=None, H=None):
        """Fit the factorization to ``X`` (dense or sparse, non-negative); return ``self``.

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_samples, n_features)
            Non-negative data.
        y : None
            Ignored (scikit-learn's signature).
        W : array_like of shape (n_samples, n_components), optional
            Starting ``W`` when ``init="custom"``.
        H : array_like of shape (n_components, n_features), optional
            Starting ``H`` when ``init="custom"``.

        Returns
        -------
        NMF
            ``self``, fitted.

        Raises
        ------
        ValueError
            If ``X`` has a negative or non-finite entry, a hyperparameter is out of range
            (``beta_loss="kullback-leibler"`` needs ``solver="mu"``), or custom starting factors
            are missing, negative or of the wrong shape.

        Warns
        -----
        ConvergenceWarning
            If the stopping criterion was not met within ``max_iter`` iterations.
        """
        self.fit_transform(X, W=W, H=H)
        return self

    def fit_transform(self, X, y=None, W=None, H=None):
        """Fit to ``X`` and return ``W`` (shape ``(n_samples, n_components)``).

        ``W`` and ``H`` are the starting factors when ``init="custom"`` (ignored, with a
        warning, otherwise).

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_samples, n_features)
            Non-negative data.
        y : None
            Ignored.
        W : array_like of shape (n_samples, n_components), optional
            Starting ``W`` when ``init="custom"``.
        H : array_like of shape (n_components, n_features), optional
            Starting ``H`` when ``init="custom"``.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The fitted ``W``; ``components_`` holds ``H``.

        Raises
        ------
        ValueError
            As :meth:`fit`.

        Warns
        -----
        ConvergenceWarning
            If the stopping criterion was not met within ``max_iter`` iterations.
        """
        k, tol, max_iter, alpha_W, alpha_H, l1_ratio = self._check_params()
        X = self._validate(X, reset=True)
        m, n = X.shape
        if self.init == "custom":
            if W is None or H is None:
                raise ValueError("init='custom' needs both W and H passed to fit")
            W0 = check_matrix(W, "W", nonnegative=True).astype(X.dtype, copy=True)
            H0 = check_matrix(H, "H", nonnegative=True).astype(X.dtype, copy=True)
            if W0.shape != (m, k) or H0.shape != (k, n):
                raise ValueError(f"W and H must have shapes {(m, k)} and {(k, n)} for a "
                                 f"{m}x{n} X and n_components={k}; got {W0.shape} and "
                                 f"{H0.shape}")
        else:
            if W is not None or H is not None:
                warnings.warn("W and H are used only with init='custom'; ignored",
                              RuntimeWarning, stacklevel=2)
            W0, H0 = initialize_nmf(X, k, self.init, random_state=self._random_state())
        reg = _reg_terms(alpha_W, alpha_H, l1_ratio, X.shape)
        data = _Data(X)
        Wt, Hf, it, converged, hist = self._solve(
            data, np.ascontiguousarray(W0.T), np.ascontiguousarray(H0), True, tol,
            max_iter, reg)
        if not converged and tol > 0:
            warnings.warn(f"NMF ({self.solver}) reached max_iter={max_iter} before the "
                          f"projected gradient fell to tol={tol:g} of its initial value; "
                          "increase max_iter", ConvergenceWarning, stacklevel=2)
        Wf = np.ascontiguousarray(Wt.T)
        self.components_ = Hf
        self.n_components_ = k
        self.n_iter_ = it
        self.history_ = {key: np.asarray(v) for key, v in hist.items()}
        self.reconstruction_err_ = nmf_loss(X, Wf, Hf, self.beta_loss, square_root=True)
        return Wf

    def transform(self, X):
        """``W >= 0`` minimizing the objective for ``X`` with ``H = components_`` fixed.

        Solved by the fitted solver from a zero start (a constant start
        ``sqrt(mean(X) / k)`` for multiplicative updates, which cannot leave zero), to the
        same relative projected-gradient tolerance as ``fit``.

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_samples, n_features)
            Non-negative rows with the training data's number of features.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The codes ``W``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has a negative or non-finite entry or the wrong number of features.
        """
        check_is_fitted(self)
        k, tol, max_iter, alpha_W, alpha_H, l1_ratio = self._check_params(fitting=False)
        X = self._validate(X, reset=False)
        H = self.components_.astype(X.dtype, copy=False)
        m = X.shape[0]
        if self.solver == "mu":
            Wt = np.full((H.shape[0], m), np.sqrt(_mean(X) / H.shape[0]), dtype=X.dtype)
        else:
            Wt = np.zeros((H.shape[0], m), dtype=X.dtype)
        reg = _reg_terms(alpha_W, alpha_H, l1_ratio, X.shape)
        Wt, _, _, _, _ = self._solve(_Data(X), Wt, H.copy(), False, tol, max_iter, reg)
        return np.ascontiguousarray(Wt.T)

    def inverse_transform(self, X):
        """``X @ components_``: the reconstruction from codes ``W``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_components)
            Codes ``W`` (from :meth:`transform` or :meth:`fit_transform`).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            ``W H``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` does not have ``n_components`` columns.
        """
        check_is_fitted(self)
        X = check_matrix(X, "X")
        if X.shape[1] != self.components_.shape[0]:
            raise ValueError(f"X must have {self.components_.shape[0]} columns (one per "
                             f"component), got shape {X.shape}")
        return X @ self.components_

    @property
    def _n_features_out(self):
        return self.components_.shape[0]
