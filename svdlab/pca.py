"""Principal component analysis through the SVD, and its robust and kernel relatives.

Taught in chapter 9 (*PCA and the SVD*).

PCA of data :math:`X \\in \\mathbb{R}^{n\\times d}` (samples in rows) is the SVD of the
centred data :math:`X_c = X - \\mathbf 1\\bar x^\\top = U\\Sigma V^\\top`: the rows of
:math:`V^\\top` are the principal axes, :math:`\\lambda_i = \\sigma_i^2/(n-1)` the variances
along them, and :math:`U\\Sigma = X_c V` the scores. The textbook route, the eigendecomposition
of the covariance :math:`C = X_c^\\top X_c/(n-1)`, gives the same answer in exact arithmetic
but squares the condition number (chapter 1, section 1.6): a computed eigenvalue of
:math:`C` has an absolute error of order :math:`\\varepsilon\\lambda_1`, so the relative
error of :math:`\\lambda_i` is of order :math:`\\varepsilon\\,(\\sigma_1/\\sigma_i)^2`,
against :math:`\\varepsilon\\,\\sigma_1/\\sigma_i` for :math:`\\sigma_i` from the SVD.

* :class:`PCA` -- scikit-learn's ``PCA`` re-implemented on :mod:`svdlab`: the solvers
  ``"full"`` (LAPACK SVD of :math:`X_c`), ``"covariance_eigh"`` (eigendecomposition of
  :math:`C`, formed by a symmetric rank-``n`` update) and ``"randomized"``
  (:func:`svdlab.randomized.randomized_svd`, on sparse input through a
  :class:`~scipy.sparse.linalg.LinearOperator` that centres implicitly, so the data are
  never densified), the same ``"auto"`` policy, Minka's MLE for the number of components,
  whitening, and the probabilistic-PCA likelihood (``score``).
* Choosing the number of components: :func:`minka_log_evidence` (Minka 2000),
  :func:`parallel_analysis` (Horn 1965), :func:`gavish_donoho_rank` (the optimal hard
  threshold of chapter 5 applied to the centred data) and :func:`pca_cross_validation`
  (element-wise k-fold cross-validation with EM imputation, Bro et al. 2008).
* :class:`Whitening` -- PCA and ZCA whitening.
* :class:`RobustPCA` -- principal component pursuit (Candès, Li, Ma and Wright 2011) by the
  inexact augmented Lagrange multiplier method (Lin, Chen and Ma 2010).
* :class:`KernelPCA` -- PCA in a feature space, as the eigendecomposition of the centred
  kernel matrix (Schölkopf, Smola and Müller 1998).

Sign convention: every principal axis follows :func:`svdlab.linalg.sign_flip` (the entry of
largest absolute value of each row of ``components_`` is positive), as scikit-learn's ``PCA``
does since version 1.5, so components agree with scikit-learn's entry by entry.

References
----------
T. P. Minka, "Automatic choice of dimensionality for PCA", NIPS 13, 2000.
J. L. Horn, "A rationale and test for the number of factors in factor analysis",
Psychometrika 30(2), 1965.
M. Gavish and D. L. Donoho, "The optimal hard threshold for singular values is
:math:`4/\\sqrt 3`", IEEE Trans. Information Theory 60(8), 2014.
R. Bro, K. Kjeldahl, A. K. Smilde and H. A. L. Kiers, "Cross-validation of component
models: a critical look at current methods", Analytical and Bioanalytical Chemistry 390,
2008. S. Wold, "Cross-validatory estimation of the number of components in factor and
principal components models", Technometrics 20(4), 1978.
M. E. Tipping and C. M. Bishop, "Probabilistic principal component analysis", J. Royal
Statistical Society B 61(3), 1999.
E. J. Candès, X. Li, Y. Ma and J. Wright, "Robust principal component analysis?",
J. ACM 58(3), 2011. Z. Lin, M. Chen and Y. Ma, "The augmented Lagrange multiplier method
for exact recovery of corrupted low-rank matrices", arXiv:1009.5055, 2010.
B. Schölkopf, A. Smola and K.-R. Müller, "Nonlinear component analysis as a kernel
eigenvalue problem", Neural Computation 10(5), 1998.
A. Kessy, A. Lewin and K. Strimmer, "Optimal whitening and decorrelation", The American
Statistician 72(4), 2018.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from math import lgamma, log, pi

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator
from sklearn.base import BaseEstimator, TransformerMixin
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
from .image import mp_median, optimal_hard_threshold
from .linalg import sign_flip, svd
from .randomized import randomized_svd

__all__ = [
    "PCA",
    "centered_operator",
    "minka_log_evidence",
    "ParallelAnalysis",
    "parallel_analysis",
    "GavishDonohoRank",
    "gavish_donoho_rank",
    "PCACrossValidation",
    "pca_cross_validation",
    "Whitening",
    "RobustPCA",
    "KernelPCA",
]

_SOLVERS = ("auto", "full", "covariance_eigh", "randomized")


# ----------------------------------------------------------------------------- helpers
def _flip_rows(Vt: np.ndarray) -> np.ndarray:
    """The package's sign convention on principal axes alone (no ``U`` to flip with them)."""
    return sign_flip(np.zeros((0, Vt.shape[0]), dtype=Vt.dtype), Vt)[1]


def _column_mean_var(X):
    """Column means and sample variances (ddof = 1) of a dense or CSR/CSC matrix.

    For a sparse matrix the variance sums ``(x - mean)^2`` over the stored entries and adds
    ``mean^2`` once per implicit zero: the two-pass formula, without the cancellation of
    ``E[x^2] - mean^2`` and without densifying.
    """
    n = X.shape[0]
    if not sp.issparse(X):
        mean = X.mean(axis=0)
        return mean, np.var(X, axis=0, ddof=1)
    Xc = X.tocsc()
    mean = np.asarray(Xc.sum(axis=0)).ravel() / n
    nnz = np.diff(Xc.indptr)
    cols = np.repeat(np.arange(X.shape[1]), nnz)
    dev = np.bincount(cols, weights=(Xc.data - mean[cols]) ** 2, minlength=X.shape[1])
    var = (dev + (n - nnz) * mean**2) / (n - 1)
    return mean.astype(X.dtype), var


def centered_operator(X, mean=None) -> LinearOperator:
    """The centred matrix ``X - 1 mean^T`` as a LinearOperator, without forming it.

    Products cost one product with ``X`` plus a rank-one correction:
    ``(X - 1 m^T) V = X V - 1 (m^T V)`` and ``(X - 1 m^T)^T W = X^T W - m (1^T W)``. A
    sparse ``X`` therefore stays sparse: the memory used is that of ``X`` and of the blocks
    multiplied, never ``n * d`` numbers.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix, shape (n, d)
    mean : array_like, shape (d,), optional
        The vector subtracted from every row; default the column means of ``X``.

    Returns
    -------
    scipy.sparse.linalg.LinearOperator, shape (n, d), dtype of ``X``

    Raises
    ------
    ValueError
        If ``X`` is not a non-empty finite matrix or ``mean`` has the wrong length.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> X = sp.random(50, 20, density=0.1, random_state=0, format="csr")
    >>> op = centered_operator(X)
    >>> V = np.ones((20, 2))
    >>> dense = X.toarray() - X.toarray().mean(axis=0)
    >>> bool(np.allclose(op.matmat(V), dense @ V))
    True

    Taught in chapter 9.
    """
    X = check_operator(X, "X")
    if isinstance(X, LinearOperator):
        raise TypeError("X must be a dense array or a scipy.sparse matrix, got a LinearOperator")
    if mean is None:
        mean = np.asarray(X.mean(axis=0)).ravel()
    mean = np.asarray(mean, dtype=X.dtype).ravel()
    if mean.shape[0] != X.shape[1]:
        raise ValueError(f"mean must have length {X.shape[1]} (columns of X), got {mean.shape[0]}")

    def matmat(V):
        V = np.asarray(V)
        return np.asarray(X @ V) - (mean @ V)[None, :]

    def rmatmat(W):
        W = np.asarray(W)
        return np.asarray(X.T @ W) - np.outer(mean, W.sum(axis=0))

    return LinearOperator(
        X.shape, dtype=X.dtype,
        matvec=lambda v: matmat(np.asarray(v).reshape(-1, 1)).ravel(),
        rmatvec=lambda w: rmatmat(np.asarray(w).reshape(-1, 1)).ravel(),
        matmat=matmat, rmatmat=rmatmat,
    )


def _gram(Xc: np.ndarray) -> np.ndarray:
    """``Xc^T Xc``, symmetrized (NumPy hands ``A.T @ A`` to BLAS as one product)."""
    G = Xc.T @ Xc
    return (G + G.T) * 0.5


# ----------------------------------------------------------------------------- Minka's MLE
def minka_log_evidence(spectrum, n_samples: int) -> np.ndarray:
    """Laplace approximation of the evidence ``log p(X | k)`` of probabilistic PCA, k = 1..d-1.

    Minka (2000, equation 30): with the eigenvalues ``l_1 >= ... >= l_d`` of the sample
    covariance, ``v = mean(l_{k+1..d})``, ``m = dk - k(k+1)/2`` and ``N`` samples,

    ``log p = log p(U) - N/2 sum_{j<=k} log l_j - N(d-k)/2 log v + (m+k)/2 log(2 pi)
    - 1/2 log|A_Z| - k/2 log N``,

    ``log p(U) = -k log 2 + sum_{i<=k} [lgamma((d-i+1)/2) - (d-i+1)/2 log pi]``,
    ``log|A_Z| = sum_{i<=k} sum_{j>i} log(N (l_j'^-1 - l_i'^-1)(l_i - l_j))``, ``l'`` equal to
    ``l`` for the first ``k`` and to ``v`` beyond. The double sum is vectorized.

    Parameters
    ----------
    spectrum : array_like, shape (d,)
        Eigenvalues of the sample covariance (``PCA.explained_variance_`` of a full fit),
        non-increasing. Their scale does not change the maximizer.
    n_samples : int
        ``N``.

    Returns
    -------
    ndarray, shape (d - 1,)
        ``out[k - 1] = log p(X | k)``; ``-inf`` where ``l_k`` is numerically zero (as
        scikit-learn does).

    Raises
    ------
    ValueError
        If the spectrum has fewer than two values, is negative, or ``n_samples < 1``.

    References
    ----------
    T. P. Minka, "Automatic choice of dimensionality for PCA", NIPS 13, 2000.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 3)) @ rng.standard_normal((3, 10))
    >>> X += 0.1 * rng.standard_normal((500, 10))
    >>> lam = np.linalg.eigvalsh(np.cov(X.T))[::-1]
    >>> int(np.argmax(minka_log_evidence(lam, 500)) + 1)
    3

    Taught in chapter 9.
    """
    lam = np.asarray(spectrum, dtype=np.float64)
    if lam.ndim != 1 or lam.shape[0] < 2:
        raise ValueError(f"spectrum must be a 1-D array of at least 2 eigenvalues, got shape "
                         f"{lam.shape}")
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError("spectrum must hold finite, non-negative eigenvalues")
    N = check_int(n_samples, "n_samples", min_value=1)
    d = lam.shape[0]
    out = np.full(d - 1, -np.inf)
    tail = np.cumsum(lam[::-1])[::-1]                  # tail[k] = sum(lam[k:])
    i = np.arange(1, d)
    log_pu_terms = np.array([lgamma((d - j + 1) / 2.0) - log(pi) * (d - j + 1) / 2.0 for j in i])
    log_pu = -i * log(2.0) + np.cumsum(log_pu_terms)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lam = np.log(lam)
    cum_log = np.cumsum(log_lam)
    for k in range(1, d):
        if lam[k - 1] < 1e-15:
            continue
        v = max(1e-15, tail[k] / (d - k))
        lam_hat = lam.copy()
        lam_hat[k:] = v
        li, lj = lam[:k, None], lam[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.log((li - lj) * (1.0 / lam_hat[None, :] - 1.0 / lam_hat[:k, None])) \
                + log(N)
        upper = np.arange(d)[None, :] > np.arange(k)[:, None]
        pa = float(np.sum(terms[upper]))
        m = d * k - k * (k + 1) / 2.0
        out[k - 1] = (log_pu[k - 1] - N / 2.0 * cum_log[k - 1] - log(v) * N * (d - k) / 2.0
                      + log(2.0 * pi) * (m + k) / 2.0 - pa / 2.0 - k * log(N) / 2.0)
    return out


# ----------------------------------------------------------------------------- PCA
class PCA(TransformerMixin, BaseEstimator):
    """Principal component analysis by the SVD of the centred data (scikit-learn's API).

    Parameters
    ----------
    n_components : None, int, float in (0, 1) or "mle", default None
        Components kept. ``None``: ``min(n_samples, n_features)``. An int: that many. A
        float ``f``: the smallest number whose cumulative explained variance ratio exceeds
        ``f`` (``"full"`` and ``"covariance_eigh"`` only). ``"mle"``: Minka's maximum of
        :func:`minka_log_evidence` (``"full"``/``"covariance_eigh"``, needs
        ``n_samples >= n_features``).
    whiten : bool, default False
        Divide the scores by ``sqrt(explained_variance_)`` so that each has unit variance
        (see :class:`Whitening` for PCA against ZCA whitening).
    svd_solver : {"auto", "full", "covariance_eigh", "randomized"}, default "auto"
        ``"full"``: LAPACK SVD of the centred data. ``"covariance_eigh"``: eigendecomposition
        of the covariance matrix (fast for ``n_samples >> n_features``, loses accuracy on
        small variances: relative error about ``eps * (sigma_1/sigma_i)^2``).
        ``"randomized"``: :func:`svdlab.randomized.randomized_svd`; with sparse input the
        centring is implicit (:func:`centered_operator`). ``"auto"`` is scikit-learn 1.9's
        policy for dense input: ``covariance_eigh`` when ``n_features <= 1000`` and
        ``n_samples >= 10 n_features``, else ``full`` when the data are at most 500 x 500 or
        ``n_components == "mle"``, else ``randomized`` when ``1 <= n_components < 0.8
        min(n_samples, n_features)``, else ``full``. For sparse input ``"auto"`` picks
        ``randomized`` for an int or ``None`` and ``covariance_eigh`` for a float or
        ``"mle"`` (scikit-learn picks ARPACK, which svdlab does not wrap).
    n_oversamples : int or None, default None
        Oversampling of the randomized solver; ``None`` takes
        :func:`~svdlab.randomized.randomized_svd`'s own choice (4 under its adaptive
        ``n_iter="auto"`` block Krylov rule, 10 for a fixed ``n_iter``).
    n_iter : "auto" or int, default "auto"
        Power iterations of the randomized solver (``"auto"``: the adaptive rule of
        :mod:`svdlab.randomized`).
    random_state : None, int or numpy.random.Generator
        Seed of the randomized solver.

    Attributes
    ----------
    components_ : ndarray, shape (n_components, n_features)
        Principal axes (orthonormal rows), sign-fixed by :func:`svdlab.linalg.sign_flip`.
    explained_variance_ : ndarray, shape (n_components,)
        Variances along the axes, ``sigma_i^2 / (n_samples - 1)``.
    explained_variance_ratio_ : ndarray, shape (n_components,)
        ``explained_variance_`` over the total variance.
    singular_values_ : ndarray, shape (n_components,)
        Singular values of the centred data.
    mean_ : ndarray, shape (n_features,)
    noise_variance_ : float
        Probabilistic-PCA noise variance: the average variance of the
        ``min(n_samples, n_features) - n_components_`` discarded directions (0 when none is
        discarded). Chapter 8's :class:`svdlab.latent.LinearGenerativeModel` averages over
        ``n_features - n_components_`` (Tipping and Bishop); the two agree when
        ``n_samples > n_features``.
    n_components_ : int
    n_samples_ : int
    n_features_in_ : int
    svd_solver_ : str
        The solver used (``"auto"`` resolved).

    Notes
    -----
    Differences from scikit-learn 1.9: ``score``/``get_covariance`` do not depend on
    ``whiten`` (scikit-learn scales the components by ``sqrt(explained_variance_)`` there
    when ``whiten=True``, which changes the fitted density); ``noise_variance_`` of
    ``"covariance_eigh"`` averages over ``min(n_samples, n_features) - k`` directions like
    the other solvers (scikit-learn averages over ``n_features - k`` there, so it differs
    when ``n_samples < n_features``); the covariance is formed from the centred data
    (scikit-learn subtracts ``n mean mean^T`` from ``X^T X``, which cancels digits when the
    mean is large against the spread), except for sparse input, which cannot be centred
    without densifying. Taught in chapter 9.

    References
    ----------
    M. E. Tipping and C. M. Bishop, "Probabilistic principal component analysis",
    J. Royal Statistical Society B 61(3), 1999 (``score``). T. P. Minka (2000) for
    ``"mle"``. N. Halko, P.-G. Martinsson and J. A. Tropp (2011) for ``"randomized"``.

    Raises
    ------
    ValueError, TypeError
        In ``fit``: bad hyperparameters (naming the argument), non-finite data, fewer than
        two samples, sparse input with ``svd_solver="full"`` (TypeError).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 2)) @ np.array([[3.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    >>> pca = PCA(n_components=2).fit(X)
    >>> pca.explained_variance_ratio_.round(3)
    array([0.905, 0.095])
    >>> bool(np.allclose(pca.inverse_transform(pca.transform(X)), X))
    True
    """

    def __init__(self, n_components=None, *, whiten: bool = False, svd_solver: str = "auto",
                 n_oversamples: int | None = None, n_iter="auto", random_state=None):
        self.n_components = n_components
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.n_oversamples = n_oversamples
        self.n_iter = n_iter
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.svd_solver in ("auto", "randomized", "covariance_eigh")
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # -- validation
    def _check_params(self, n: int, d: int, sparse: bool):
        solver = check_option(self.svd_solver, "svd_solver", _SOLVERS)
        if not isinstance(self.whiten, bool | np.bool_):
            raise TypeError(f"whiten must be True or False, got {self.whiten!r}")
        nc = self.n_components
        r = min(n, d)
        if nc is None:
            pass
        elif isinstance(nc, str):
            if nc != "mle":
                raise ValueError(f"n_components must be None, an int, a float in (0, 1) or "
                                 f"'mle'; got {nc!r}")
        elif isinstance(nc, numbers.Integral) and not isinstance(nc, bool | np.bool_):
            check_int(nc, "n_components", min_value=1, max_value=r)
        elif isinstance(nc, numbers.Real) and not isinstance(nc, bool | np.bool_):
            check_scalar(nc, "n_components", low=0.0, high=1.0, include_low=False,
                         include_high=False)
        else:
            raise TypeError(f"n_components must be None, an int, a float in (0, 1) or 'mle'; "
                            f"got {type(nc).__name__} {nc!r}")
        if solver == "auto":
            if sparse:
                # an int (or all components) by products only; a variance fraction or "mle"
                # needs the whole spectrum, from the d x d covariance
                solver = ("randomized" if nc is None or isinstance(nc, numbers.Integral)
                          else "covariance_eigh")
            elif d <= 1000 and n >= 10 * d:
                solver = "covariance_eigh"
            elif max(n, d) <= 500 or nc == "mle":
                solver = "full"
            elif isinstance(nc, numbers.Integral) and 1 <= nc < 0.8 * r:
                solver = "randomized"
            else:
                solver = "full"
        if sparse and solver == "full":
            raise TypeError("svd_solver='full' needs dense input (it centres X explicitly); "
                            "use svd_solver='randomized' or 'covariance_eigh' for sparse X")
        if solver == "randomized" and not (isinstance(nc, numbers.Integral) or nc is None):
            raise ValueError(f"n_components={nc!r} needs svd_solver 'full' or "
                             "'covariance_eigh'; the randomized solver needs an int")
        if nc == "mle" and n < d:
            raise ValueError(f"n_components='mle' needs n_samples >= n_features, got "
                             f"{n} < {d}")
        if solver == "randomized" and self.n_oversamples is not None:
            check_int(self.n_oversamples, "n_oversamples", min_value=0)
        return solver, nc

    # -- fitting
    def _fit(self, X):
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32],
                          ensure_min_samples=2)
        n, d = X.shape
        r = min(n, d)
        solver, nc = self._check_params(n, d, sp.issparse(X))
        U = None
        if solver == "randomized":
            k = r if nc is None else int(nc)
            if sp.issparse(X):
                mean, var = _column_mean_var(X)
                self.mean_ = np.asarray(mean, dtype=X.dtype)
                op = centered_operator(X, self.mean_)
                total = float(np.sum(var))
            else:   # one centred copy; its squared norm is the total variance (no temporary)
                self.mean_ = X.mean(axis=0)
                op = X - self.mean_
                flat = op.reshape(-1)
                sq = (np.vdot(flat, flat) if op.dtype == np.float64
                      else np.einsum("i,i->", flat, flat, dtype=np.float64))
                total = float(sq) / (n - 1)
            U, s, Vt = randomized_svd(op, k, n_oversamples=self.n_oversamples,
                                      n_iter=self.n_iter, random_state=self.random_state)
            ev = s**2 / (n - 1)
            ratio = ev / total if total > 0 else np.zeros_like(ev)
            noise = (total - float(ev.sum())) / (r - k) if k < r else 0.0
            self.n_components_ = k
            self.components_ = Vt
            self.explained_variance_ = ev
            self.explained_variance_ratio_ = ratio.astype(X.dtype)
            self.singular_values_ = s
            self.noise_variance_ = max(noise, 0.0)
        else:
            if sp.issparse(X):           # covariance of sparse data without densifying it
                self.mean_ = np.asarray(X.mean(axis=0), dtype=X.dtype).ravel()
                C = np.asarray((X.T @ X).toarray(), dtype=X.dtype)
                C -= n * np.outer(self.mean_, self.mean_)
                C = (C + C.T) / 2
            else:
                self.mean_ = X.mean(axis=0)
                Xc = X - self.mean_
            if solver == "full":
                U, s, Vt = svd(Xc)
                ev = s**2 / (n - 1)
            else:
                if not sp.issparse(X):
                    C = _gram(Xc)
                lam, W = np.linalg.eigh(C / (n - 1))
                lam, W = np.maximum(lam[::-1], 0.0), W[:, ::-1]
                Vt = _flip_rows(np.ascontiguousarray(W.T))
                lam, Vt = lam[:r], Vt[:r]       # beyond min(n, d) the variance is zero
                ev = lam.astype(X.dtype)
                s = np.sqrt(ev * (n - 1))
            total = float(np.sum(ev, dtype=np.float64))
            ratio = ev / total if total > 0 else np.zeros_like(ev)
            if nc is None:
                k = r
            elif nc == "mle":
                k = int(np.argmax(minka_log_evidence(ev, n)) + 1)
            elif isinstance(nc, numbers.Integral):
                k = int(nc)
            else:   # scikit-learn's rule: the first k whose cumulative ratio exceeds nc
                k = int(np.searchsorted(np.cumsum(ratio), nc, side="right") + 1)
                k = min(k, r)
            self.n_components_ = k
            self.components_ = np.ascontiguousarray(Vt[:k])
            self.explained_variance_ = ev[:k].copy()
            self.explained_variance_ratio_ = ratio[:k].copy()
            self.singular_values_ = s[:k].copy()
            self.noise_variance_ = float(np.mean(ev[k:r])) if k < r else 0.0
        self.noise_variance_ = float(self.noise_variance_)
        self.n_samples_ = n
        self.svd_solver_ = solver
        return U, X

    def fit(self, X, y=None):
        """Fit the principal axes to ``X`` (n_samples, n_features), dense or sparse; ``self``.

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input is taken by the ``"randomized"`` and
            ``"covariance_eigh"`` solvers, centred implicitly (the data matrix is never
            densified).
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        PCA
            ``self``, fitted.

        Raises
        ------
        TypeError
            If ``X`` is sparse and ``svd_solver="full"``.
        ValueError
            If ``X`` is not a finite 2-D array or ``n_components`` is out of range for its
            shape.
        """
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return the scores ``U * s`` (or ``U * sqrt(n - 1)`` when whitening).

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The scores of the training rows, from the SVD's left factor (no second product
            with ``X``).

        Raises
        ------
        ValueError
            As :meth:`fit`.
        """
        U, X = self._fit(X)
        if U is None:
            return self._transform(X)
        k = self.n_components_
        U = U[:, :k]
        if self.whiten:
            return U * np.sqrt(X.shape[0] - 1)
        return U * self.singular_values_

    def _transform(self, X):
        Z = np.asarray(X @ self.components_.T) - self.mean_ @ self.components_.T
        if self.whiten:
            scale = np.sqrt(self.explained_variance_)
            Z = Z / np.maximum(scale, np.finfo(scale.dtype).eps)
        return Z

    def transform(self, X):
        """Scores of new rows: ``(X - mean_) @ components_.T`` (divided by the standard
        deviations when ``whiten``).

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_samples, n_features)
            Rows with the training data's number of features.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The scores.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has the wrong number of features.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32],
                          reset=False)
        return self._transform(X)

    def inverse_transform(self, X):
        """Map scores back to feature space: ``X @ components_ + mean_`` (un-whitened).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_components)
            Scores.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The projections of the original rows onto the principal subspace, shifted back by
            the mean.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` does not have ``n_components_`` columns.
        """
        check_is_fitted(self)
        Z = check_matrix(X, "X")
        if Z.shape[1] != self.n_components_:
            raise ValueError(f"X must have n_components_ = {self.n_components_} columns, "
                             f"got shape {Z.shape}")
        if self.whiten:
            Z = Z * np.sqrt(self.explained_variance_)
        return Z @ self.components_ + self.mean_

    # -- probabilistic PCA
    def _ppca_spectrum(self):
        """Model variances along the axes and off them: ``max(lambda_i, sigma^2)`` and ``sigma^2``."""
        s2 = self.noise_variance_
        if s2 <= 0:   # no discarded direction: floor it so that the density exists
            s2 = 1e-12 * max(float(self.explained_variance_[0]), 1e-300)
        lam = np.maximum(self.explained_variance_.astype(np.float64), s2)
        return lam, s2

    def get_covariance(self) -> np.ndarray:
        """Model covariance ``V^T diag(lambda - sigma^2) V + sigma^2 I`` (Tipping and Bishop)."""
        check_is_fitted(self)
        V = self.components_.astype(np.float64)
        diff = np.maximum(self.explained_variance_ - self.noise_variance_, 0.0)
        C = (V.T * diff) @ V
        C[np.diag_indices_from(C)] += self.noise_variance_
        return C

    def get_precision(self) -> np.ndarray:
        """Inverse of :meth:`get_covariance`, from its eigendecomposition (no d x d solve)."""
        check_is_fitted(self)
        V = self.components_.astype(np.float64)
        lam, s2 = self._ppca_spectrum()
        P = (V.T * (1.0 / lam - 1.0 / s2)) @ V
        P[np.diag_indices_from(P)] += 1.0 / s2
        return P

    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood of each row under the probabilistic PCA model ``N(mean_, C)``.

        ``C`` has eigenvalues ``max(lambda_i, sigma^2)`` along the components and
        ``sigma^2`` off them, so with ``z = (x - mean_) V^T`` the quadratic form is
        ``sum z_i^2 / lambda_i + (|x - mean_|^2 - |z|^2) / sigma^2``: ``O(d k)`` per row,
        no ``d x d`` matrix.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Dense rows.

        Returns
        -------
        ndarray of shape (n_samples,)
            The log-density of each row (natural logarithm).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has the wrong number of features.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        Xc = (X - self.mean_).astype(np.float64)
        V = self.components_.astype(np.float64)
        lam, s2 = self._ppca_spectrum()
        Z = Xc @ V.T
        d, k = X.shape[1], V.shape[0]
        if k < d:
            resid = np.maximum(np.sum(Xc * Xc, axis=1) - np.sum(Z * Z, axis=1), 0.0)
        else:   # no direction off the components: the difference would be rounding alone
            resid = np.zeros(X.shape[0])
        quad = np.sum(Z * Z / lam, axis=1) + resid / s2
        logdet = float(np.sum(np.log(lam)) + (d - k) * np.log(s2))
        return -0.5 * (quad + logdet + d * np.log(2.0 * np.pi))

    def score(self, X, y=None) -> float:
        """Average log-likelihood of the rows of ``X`` (see :meth:`score_samples`).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Dense rows.
        y : None
            Ignored.

        Returns
        -------
        float
            The mean log-density, the criterion of Minka's choice of rank and of
            cross-validation over ``n_components``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has the wrong number of features.
        """
        return float(np.mean(self.score_samples(X)))


# ----------------------------------------------------------------------------- choosing k
@dataclass(frozen=True)
class ParallelAnalysis:
    """Result of :func:`parallel_analysis`.

    Attributes
    ----------
    n_components : int
        Leading eigenvalues of the data above their permutation threshold.
    eigenvalues : ndarray
        Eigenvalues of the (centred, optionally standardized) sample covariance.
    thresholds : ndarray
        The ``quantile`` of each eigenvalue over the permuted data sets.
    null_eigenvalues : ndarray, shape (n_permutations, len(eigenvalues))

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 2)) @ rng.standard_normal((2, 8)) * 2
    >>> pa = parallel_analysis(X + rng.standard_normal((300, 8)), n_permutations=20,
    ...                        random_state=0)
    >>> pa.n_components, pa.null_eigenvalues.shape
    (2, (20, 8))

    Taught in chapter 9.
    """

    n_components: int
    eigenvalues: np.ndarray
    thresholds: np.ndarray
    null_eigenvalues: np.ndarray


def _spectrum(X: np.ndarray) -> np.ndarray:
    n = X.shape[0]
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    return s[: min(n - 1, X.shape[1])] ** 2 / (n - 1)


def parallel_analysis(X, *, n_permutations: int = 50, quantile: float = 0.95,
                      standardize: bool = True, random_state=None) -> ParallelAnalysis:
    """Horn's parallel analysis: keep components that beat those of permuted data.

    Each column of ``X`` is permuted independently, which keeps every feature's
    distribution (and variance) but destroys the correlations between features; the
    eigenvalues of such data are what sampling noise alone produces. Component ``i`` is kept
    while its eigenvalue exceeds the ``quantile`` of the ``i``-th permuted eigenvalue
    (``quantile=0.5`` is close to Horn's original mean; 0.95 is the stricter rule of
    Glorfeld 1995).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    n_permutations : int, default 50
    quantile : float in (0, 1), default 0.95
    standardize : bool, default True
        Scale every feature to unit variance first (Horn's correlation-matrix version).
        Without it, a permuted data set keeps every column's variance, so its leading
        eigenvalues are about the largest column variances: on features of unequal
        scale these can exceed the true second or third eigenvalue, and the rule keeps too
        few components.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    ParallelAnalysis

    Raises
    ------
    ValueError, TypeError
        On non-finite data, fewer than 3 samples or 2 features, or bad arguments.

    References
    ----------
    J. L. Horn, Psychometrika 30(2), 1965. L. W. Glorfeld, "An improvement on Horn's
    parallel analysis methodology for selecting the correct number of factors to retain",
    Educational and Psychological Measurement 55(3), 1995.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 2)) @ rng.standard_normal((2, 8)) * 2
    >>> X += rng.standard_normal((300, 8))
    >>> parallel_analysis(X, n_permutations=20, random_state=0).n_components
    2

    Taught in chapter 9.
    """
    X = check_matrix(X, "X").astype(np.float64)
    n, d = X.shape
    if n < 3 or d < 2:
        raise ValueError(f"X must have at least 3 samples and 2 features, got shape {X.shape}")
    B = check_int(n_permutations, "n_permutations", min_value=1)
    q = check_scalar(quantile, "quantile", low=0.0, high=1.0, include_low=False,
                     include_high=False)
    if not isinstance(standardize, bool | np.bool_):
        raise TypeError(f"standardize must be True or False, got {standardize!r}")
    rng = check_random_state(random_state)
    if standardize:
        sd = X.std(axis=0, ddof=1)
        if np.any(sd == 0):
            raise ValueError("X has a constant column: it cannot be standardized")
        X = (X - X.mean(axis=0)) / sd
    lam = _spectrum(X)
    null = np.empty((B, lam.shape[0]))
    for b in range(B):
        order = np.argsort(rng.random((n, d)), axis=0)     # an independent shuffle per column
        null[b] = _spectrum(np.take_along_axis(X, order, axis=0))
    thr = np.quantile(null, q, axis=0)
    above = lam > thr
    k = int(np.argmin(above)) if not np.all(above) else int(above.size)
    return ParallelAnalysis(n_components=k, eigenvalues=lam, thresholds=thr,
                            null_eigenvalues=null)


@dataclass(frozen=True)
class GavishDonohoRank:
    """Result of :func:`gavish_donoho_rank`.

    Attributes
    ----------
    n_components : int
        Singular values of the centred data above the threshold.
    threshold : float
    singular_values : ndarray
        Of the centred data (the ``min(n - 1, d)`` that can be nonzero).
    sigma : float
        The noise level used (given, or estimated from the median singular value).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = 3 * rng.standard_normal((400, 4)) @ rng.standard_normal((4, 100))
    >>> res = gavish_donoho_rank(X + rng.standard_normal((400, 100)))
    >>> res.n_components, bool(res.singular_values[3] > res.threshold > res.singular_values[4])
    (4, True)

    Taught in chapter 9.
    """

    n_components: int
    threshold: float
    singular_values: np.ndarray
    sigma: float


def gavish_donoho_rank(X, sigma: float | None = None) -> GavishDonohoRank:
    """Number of principal components by the Gavish--Donoho optimal hard threshold.

    Centring removes one dimension: with an orthonormal basis ``Q`` of the vectors
    orthogonal to ``1``, ``X_c = Q Q^T X`` and ``Q^T X`` is ``(n-1) x d`` with the same
    nonzero singular values, and white noise stays white under ``Q^T``. So the threshold
    of chapter 5 (:func:`svdlab.image.optimal_hard_threshold`) is applied to the
    singular values of ``X_c`` with the shape ``(n - 1, d)``: ``lambda*(beta) sqrt(n') sigma``
    for a known noise level, ``omega(beta) median(s)`` for an unknown one.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    sigma : float, optional
        Noise standard deviation per entry, if known.

    Returns
    -------
    GavishDonohoRank

    Raises
    ------
    ValueError
        On non-finite data, fewer than 3 samples, or a negative ``sigma``.

    References
    ----------
    M. Gavish and D. L. Donoho, IEEE Trans. Information Theory 60(8), 2014.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = 3 * rng.standard_normal((400, 4)) @ rng.standard_normal((4, 100))
    >>> X += rng.standard_normal((400, 100))
    >>> gavish_donoho_rank(X).n_components, gavish_donoho_rank(X, sigma=1.0).n_components
    (4, 4)

    Taught in chapter 9.
    """
    X = check_matrix(X, "X").astype(np.float64)
    n, d = X.shape
    if n < 3:
        raise ValueError(f"X must have at least 3 samples, got {n}")
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)[: min(n - 1, d)]
    shape = (n - 1, d)
    if sigma is None:
        tau = optimal_hard_threshold(shape, s=s)
        big, beta = max(shape), min(shape) / max(shape)
        sig = float(np.median(s) / np.sqrt(big * mp_median(beta)))
    else:
        sig = check_scalar(sigma, "sigma", low=0.0)
        tau = optimal_hard_threshold(shape, sigma=sig)
    return GavishDonohoRank(n_components=int(np.count_nonzero(s > tau)), threshold=float(tau),
                            singular_values=s, sigma=sig)


@dataclass(frozen=True)
class PCACrossValidation:
    """Result of :func:`pca_cross_validation`.

    Attributes
    ----------
    ranks : ndarray of int
        The numbers of components tried, ``1..max_components``.
    press : ndarray
        Predicted residual sum of squares over all held-out entries, per rank.
    rmse : ndarray
        ``sqrt(press / n_held_out)``.
    fold_press : ndarray, shape (n_folds, len(ranks))
    n_components : int
        The rank of least PRESS.
    n_iter : ndarray of int, shape (n_folds, len(ranks))
        EM iterations made.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 3)) @ rng.standard_normal((3, 15)) * 3
    >>> cv = pca_cross_validation(X + rng.standard_normal((60, 15)), 6, random_state=0)
    >>> cv.ranks.tolist(), int(cv.ranks[np.argmin(cv.press)]) == cv.n_components
    ([1, 2, 3, 4, 5, 6], True)

    Taught in chapter 9.
    """

    ranks: np.ndarray
    press: np.ndarray
    rmse: np.ndarray
    fold_press: np.ndarray
    n_components: int
    n_iter: np.ndarray


def _entry_folds(n: int, d: int, n_folds: int, rng) -> np.ndarray:
    """Fold labels of the ``n*d`` entries: a random balanced split, re-drawn (at most 100
    times) until no fold holds a whole row or a whole column, which EM could not impute."""
    for _ in range(100):
        lab = rng.permutation(np.arange(n * d) % n_folds).reshape(n, d)
        ok = all(np.all((lab == f).sum(axis=1) < d) and np.all((lab == f).sum(axis=0) < n)
                 for f in range(n_folds))
        if ok:
            return lab
    raise ValueError("could not split the entries so that every row and column keeps an "
                     "observed entry in every fold; use more features or more folds")


def pca_cross_validation(X, max_components: int, *, n_folds: int = 5, tol: float = 1e-6,
                         max_iter: int = 500, random_state=None,
                         verbose: bool = False) -> PCACrossValidation:
    """Element-wise k-fold cross-validation of PCA by EM imputation of held-out entries.

    Leaving out whole rows does not test a PCA model: a held-out row is projected on the
    components, and the projection error falls with every component added. Wold (1978)
    therefore leaves out *entries*. Here the entries are split at random into ``n_folds``
    folds. For each fold, the held-out entries are treated as missing and the rank-``k``
    PCA model (mean + ``k`` components) is fitted to the others by expectation
    maximization: fill the missing entries (column means at first), fit the PCA, replace
    them by the reconstruction, repeat until the filled values change by less than ``tol``
    (relative). The held-out entries are then predicted by the reconstruction: their
    squared errors, summed over folds, are the PRESS of rank ``k``. This is the
    "element-wise k-fold, EM" scheme of Bro et al. (2008), who show that it, unlike
    row-wise schemes, does not favour ever larger models. Ranks are tried in increasing
    order, each EM started from the previous rank's imputation.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
    max_components : int
        Largest rank tried, at most ``min(n_samples, n_features) - 1``.
    n_folds : int, default 5
    tol : float, default 1e-6
        Stop EM when ``|change of imputed values| <= tol * |imputed values|``.
    max_iter : int, default 500
        EM iterations per rank and fold.
    random_state : None, int or numpy.random.Generator
        Seeds the split of the entries.
    verbose : bool, default False
        Show a progress bar over folds and ranks, with the current PRESS.

    Returns
    -------
    PCACrossValidation

    Raises
    ------
    ValueError, TypeError
        On non-finite data or bad arguments.

    References
    ----------
    R. Bro, K. Kjeldahl, A. K. Smilde and H. A. L. Kiers, Analytical and Bioanalytical
    Chemistry 390, 2008. S. Wold, Technometrics 20(4), 1978.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 3)) @ rng.standard_normal((3, 15)) * 3
    >>> X += rng.standard_normal((60, 15))
    >>> pca_cross_validation(X, 6, random_state=0).n_components
    3

    Taught in chapter 9.
    """
    X = check_matrix(X, "X").astype(np.float64)
    n, d = X.shape
    kmax = check_int(max_components, "max_components", min_value=1,
                     max_value=max(1, min(n, d) - 1))
    F = check_int(n_folds, "n_folds", min_value=2)
    tol = check_scalar(tol, "tol", low=0.0, include_low=False)
    max_iter = check_int(max_iter, "max_iter", min_value=1)
    rng = check_random_state(random_state)
    lab = _entry_folds(n, d, F, rng)
    fold_press = np.zeros((F, kmax))
    n_iter = np.zeros((F, kmax), dtype=np.int64)
    bar = progress(total=F * kmax, verbose=verbose, desc="PCA cross-validation")
    for f in range(F):
        miss = lab == f
        obs = ~miss
        colmean = np.where(obs, X, 0).sum(axis=0) / obs.sum(axis=0)
        Xf = np.where(obs, X, colmean)
        for k in range(1, kmax + 1):
            it = 0
            while it < max_iter:
                it += 1
                mu = Xf.mean(axis=0)
                U, s, Vt = np.linalg.svd(Xf - mu, full_matrices=False)
                R = (U[:, :k] * s[:k]) @ Vt[:k] + mu
                change = np.linalg.norm(R[miss] - Xf[miss])
                Xf[miss] = R[miss]
                if change <= tol * max(np.linalg.norm(Xf[miss]), 1e-300):
                    break
            n_iter[f, k - 1] = it
            fold_press[f, k - 1] = np.sum((X[miss] - R[miss]) ** 2)
            bar.update(1)
            bar.set_postfix(fold=f, k=k, press=float(fold_press[f, k - 1]))
    bar.close()
    press = fold_press.sum(axis=0)
    return PCACrossValidation(ranks=np.arange(1, kmax + 1), press=press,
                              rmse=np.sqrt(press / (n * d)), fold_press=fold_press,
                              n_components=int(np.argmin(press) + 1), n_iter=n_iter)


# ----------------------------------------------------------------------------- whitening
class Whitening(TransformerMixin, BaseEstimator):
    """PCA or ZCA whitening: a linear map after which the data have identity covariance.

    With the covariance ``C = V Lambda V^T`` of the training data, PCA whitening is
    ``W = (Lambda + eps I)^{-1/2} V^T`` (rotate to the principal axes, then scale each to
    unit variance) and ZCA whitening is ``W = V (Lambda + eps I)^{-1/2} V^T`` (rotate back
    afterwards). Any ``Q W_pca`` with ``Q`` orthogonal whitens; among them ZCA (the
    symmetric one, ``C^{-1/2}``) changes the data least: it minimizes
    ``E |x - W x|^2`` (Kessy, Lewin and Strimmer 2018), which is why whitened images
    still look like images and why it is the whitening of image preprocessing in deep
    learning (Krizhevsky 2009; Goodfellow et al. 2013).

    Parameters
    ----------
    method : {"zca", "pca"}, default "zca"
    epsilon : float, default 0.0
        Added to every variance before the inverse square root: it caps the gain on
        low-variance (mostly noise) directions, as in image preprocessing.

    Attributes
    ----------
    mean_ : ndarray (n_features,)
    components_ : ndarray (rank, n_features)
        Principal axes with nonzero variance (sign convention of
        :func:`svdlab.linalg.sign_flip`).
    explained_variance_ : ndarray (rank,)
    rank_ : int
        Directions kept: variances above ``max(n, d) eps_machine lambda_1`` (with
        ``epsilon = 0`` the null directions cannot be scaled to unit variance).
    whitening_ : ndarray, shape (rank, n_features) for "pca", (n_features, n_features)
        for "zca"
    n_features_in_ : int

    Raises
    ------
    ValueError
        In ``fit``: bad ``method`` or negative ``epsilon``, non-finite data.

    References
    ----------
    A. Kessy, A. Lewin and K. Strimmer, "Optimal whitening and decorrelation", The
    American Statistician 72(4), 2018. A. Krizhevsky, "Learning multiple layers of features
    from tiny images", technical report, University of Toronto, 2009.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 3)) @ np.array([[2.0, 1, 0], [0, 1, 0], [0, 0, 0.5]])
    >>> Z = Whitening("zca").fit_transform(X)
    >>> np.allclose(np.cov(Z.T), np.eye(3))
    True

    Taught in chapter 9.
    """

    def __init__(self, method: str = "zca", epsilon: float = 0.0):
        self.method = method
        self.epsilon = epsilon

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    def fit(self, X, y=None):
        """Fit the whitening map to ``X`` (n_samples, n_features); returns ``self``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data, at least two rows.
        y : None
            Ignored.

        Returns
        -------
        Whitening
            ``self``, fitted.

        Raises
        ------
        ValueError
            If ``method`` is not ``"zca"`` or ``"pca"``, ``epsilon`` is negative, or ``X`` is
            not a finite 2-D array with two rows or more.
        """
        method = check_option(self.method, "method", ("zca", "pca"))
        eps = check_scalar(self.epsilon, "epsilon", low=0.0)
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        n, d = X.shape
        self.mean_ = X.mean(axis=0)
        _, s, Vt = svd(X - self.mean_)
        lam = s**2 / (n - 1)
        keep = lam > max(n, d) * np.finfo(np.float64).eps * max(lam[0], 1e-300)
        if not np.any(keep):
            keep[0] = True      # constant data: keep one direction so that shapes hold
        self.rank_ = int(np.count_nonzero(keep))
        self.components_ = Vt[: self.rank_]
        self.explained_variance_ = lam[: self.rank_]
        scale = 1.0 / np.sqrt(np.maximum(self.explained_variance_ + eps, 1e-300))
        W = self.components_ * scale[:, None]
        self.whitening_ = self.components_.T @ W if method == "zca" else W
        return self

    def transform(self, X):
        """Whiten: ``(X - mean_) @ whitening_.T``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Rows to whiten.

        Returns
        -------
        ndarray of shape (n_samples, n_features) for ZCA, (n_samples, rank) for PCA whitening
            Rows with (up to ``epsilon``) identity covariance on the kept directions.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has the wrong number of features.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return (X - self.mean_) @ self.whitening_.T

    def inverse_transform(self, Z):
        """Undo the whitening on the kept directions: ``Z @ pinv(whitening_).T + mean_``.

        Parameters
        ----------
        Z : array_like
            Whitened rows, with as many columns as :meth:`transform` returns.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The rows projected on the kept directions, in the original coordinates.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``Z`` has the wrong number of columns.
        """
        check_is_fitted(self)
        Z = check_matrix(Z, "Z").astype(np.float64)
        if Z.shape[1] != self.whitening_.shape[0]:
            raise ValueError(f"Z must have {self.whitening_.shape[0]} columns, got shape "
                             f"{Z.shape}")
        sd = np.sqrt(self.explained_variance_ + float(self.epsilon))
        V = self.components_
        back = (V.T * sd).T if self.method == "pca" else (V.T * sd) @ V
        return Z @ back + self.mean_


# ----------------------------------------------------------------------------- robust PCA
def _shrink(A: np.ndarray, tau: float) -> np.ndarray:
    return np.sign(A) * np.maximum(np.abs(A) - tau, 0.0)


class RobustPCA(TransformerMixin, BaseEstimator):
    """Robust PCA by principal component pursuit: ``M = L + S``, ``L`` low rank, ``S`` sparse.

    Solves ``min |L|_* + lam |S|_1`` subject to ``L + S = M`` (Candès, Li, Ma and Wright
    2011) by the inexact augmented Lagrange multiplier method (Lin, Chen and Ma 2010,
    Algorithm 5). With the multiplier ``Y`` and penalty ``mu``, one iteration is

    * ``S <- shrink(M - L + Y/mu, lam/mu)`` (soft threshold of the entries),
    * ``L <- D_{1/mu}(M - S + Y/mu)`` (soft threshold of the singular values, chapter 5),
    * ``Y <- Y + mu (M - L - S)``, ``mu <- min(rho mu, mu_max)``.

    It stops when the primal residual ``|M - L - S|_F / |M|_F`` falls below ``tol``. The
    history records it, the dual residual ``mu |S_k - S_{k-1}|_F / |M|_F`` (the change of
    the other block, which measures how far the iterate is from stationarity), the rank of
    ``L`` and the fraction of nonzeros of ``S``, per iteration.

    Parameters
    ----------
    lam : float, optional
        Weight of the sparse part; default ``1 / sqrt(max(m, n))``, the value for which the
        recovery theorem of Candès et al. holds with no tuning.
    mu : float, optional
        Initial penalty; default ``1.25 / |M|_2`` (Lin et al.).
    rho : float, default 1.5
        Growth of ``mu`` per iteration (``> 1``).
    tol : float, default 1e-7
    max_iter : int, default 500
    verbose : bool, default False
        Progress bar with the residuals and the rank.

    Attributes
    ----------
    low_rank_ : ndarray, shape (m, n)
        ``L`` for the data passed to ``fit``.
    sparse_ : ndarray, shape (m, n)
        ``S``.
    rank_ : int
        Rank of ``L`` (singular values kept by the last singular value threshold).
    components_ : ndarray, shape (rank, n)
        Right singular vectors of ``L`` (sign convention of :func:`svdlab.linalg.sign_flip`);
        :meth:`transform` projects rows on them (no centring: PCP models ``M`` itself).
    singular_values_ : ndarray, shape (rank,)
    n_iter_ : int
    converged_ : bool
    history_ : dict of ndarray
        ``primal``, ``dual``, ``rank``, ``sparsity`` per iteration.
    n_features_in_ : int

    Raises
    ------
    ValueError, TypeError
        In ``fit``: non-finite or all-zero data, non-positive ``lam``/``mu``/``tol``,
        ``rho <= 1``, a bad ``max_iter`` (each error names the argument).

    References
    ----------
    E. J. Candès, X. Li, Y. Ma and J. Wright, "Robust principal component analysis?",
    J. ACM 58(3), 2011. Z. Lin, M. Chen and Y. Ma, "The augmented Lagrange multiplier method
    for exact recovery of corrupted low-rank matrices", arXiv:1009.5055, 2010.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> L = rng.standard_normal((80, 2)) @ rng.standard_normal((2, 60))
    >>> S = np.where(rng.random((80, 60)) < 0.05, 10.0, 0.0)
    >>> rpca = RobustPCA().fit(L + S)
    >>> rpca.rank_, bool(np.linalg.norm(rpca.low_rank_ - L) < 1e-5 * np.linalg.norm(L))
    (2, True)

    Taught in chapter 9.
    """

    def __init__(self, lam: float | None = None, *, mu: float | None = None, rho: float = 1.5,
                 tol: float = 1e-7, max_iter: int = 500, verbose: bool = False):
        self.lam = lam
        self.mu = mu
        self.rho = rho
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose

    def fit(self, X, y=None):
        """Split ``X`` into ``low_rank_ + sparse_``; returns ``self``.

        Parameters
        ----------
        X : array_like of shape (m, n)
            The observed matrix.
        y : None
            Ignored.

        Returns
        -------
        RobustPCA
            ``self``, fitted; ``converged_`` says whether the primal residual fell below ``tol``
            within ``max_iter`` iterations.

        Raises
        ------
        ValueError
            If ``X`` is not a finite 2-D array or is all zeros, or ``lam``, ``mu``, ``rho``,
            ``tol`` or ``max_iter`` is out of range.
        """
        M = validate_data(self, X, dtype=np.float64)
        m, n = M.shape
        lam = (1.0 / np.sqrt(max(m, n)) if self.lam is None
               else check_scalar(self.lam, "lam", low=0.0, include_low=False))
        rho = check_scalar(self.rho, "rho", low=1.0, include_low=False)
        tol = check_scalar(self.tol, "tol", low=0.0, include_low=False)
        max_iter = check_int(self.max_iter, "max_iter", min_value=1)
        normM = np.linalg.norm(M)
        if normM == 0:
            raise ValueError("X must not be all zeros: there is nothing to decompose")
        norm2 = float(sla.norm(M, 2))
        mu = (1.25 / norm2 if self.mu is None
              else check_scalar(self.mu, "mu", low=0.0, include_low=False))
        mu_max = mu * 1e7
        Y = M / max(norm2, np.abs(M).max() / lam)       # dual feasible start (Lin et al.)
        L = np.zeros_like(M)
        S = np.zeros_like(M)
        hist = {"primal": [], "dual": [], "rank": [], "sparsity": []}
        bar = progress(range(max_iter), verbose=self.verbose, desc="RobustPCA")
        self.converged_ = False
        rank = 0
        for _ in bar:
            S_old = S
            S = _shrink(M - L + Y / mu, lam / mu)
            U, s, Vt = sla.svd(M - S + Y / mu, full_matrices=False, check_finite=False)
            keep = s > 1.0 / mu
            rank = int(np.count_nonzero(keep))
            L = (U[:, :rank] * (s[:rank] - 1.0 / mu)) @ Vt[:rank]
            Z = M - L - S
            Y = Y + mu * Z
            primal = float(np.linalg.norm(Z) / normM)
            dual = float(mu * np.linalg.norm(S - S_old) / normM)
            hist["primal"].append(primal)
            hist["dual"].append(dual)
            hist["rank"].append(rank)
            hist["sparsity"].append(float(np.count_nonzero(S) / S.size))
            bar.set_postfix(primal=f"{primal:.2e}", dual=f"{dual:.2e}", rank=rank)
            mu = min(rho * mu, mu_max)
            if primal < tol:
                self.converged_ = True
                break
        bar.close()
        self.history_ = {k: np.asarray(v) for k, v in hist.items()}
        self.n_iter_ = len(hist["primal"])
        self.low_rank_ = L
        self.sparse_ = S
        self.rank_ = rank
        if rank:
            Uf, sf, Vtf = svd(L)
            self.components_ = Vtf[:rank]
            self.singular_values_ = sf[:rank]
        else:
            self.components_ = np.zeros((0, n))
            self.singular_values_ = np.zeros(0)
        return self

    def transform(self, X):
        """Coordinates of rows in the robust row space: ``X @ components_.T``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n)
            Rows with the training matrix's number of columns.

        Returns
        -------
        ndarray of shape (n_samples, rank)
            The coordinates (not centred: principal component pursuit fits no mean).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has the wrong number of columns.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.components_.T


# ----------------------------------------------------------------------------- kernel PCA
_KERNELS = ("linear", "poly", "rbf", "cosine")


def _kernel(X, Y, kernel, gamma, degree, coef0):
    if callable(kernel):
        K = np.asarray(kernel(X, Y), dtype=np.float64)
        if K.shape != (X.shape[0], Y.shape[0]):
            raise ValueError(f"kernel(X, Y) must return an array of shape "
                             f"{(X.shape[0], Y.shape[0])}, got {K.shape}")
        return K
    if kernel == "linear":
        return X @ Y.T
    if kernel == "poly":
        return (gamma * (X @ Y.T) + coef0) ** degree
    if kernel == "rbf":
        sq = (np.sum(X * X, axis=1)[:, None] + np.sum(Y * Y, axis=1)[None, :] - 2 * X @ Y.T)
        return np.exp(-gamma * np.maximum(sq, 0.0))
    nx = np.linalg.norm(X, axis=1)
    ny = np.linalg.norm(Y, axis=1)
    nx[nx == 0], ny[ny == 0] = 1.0, 1.0
    return (X / nx[:, None]) @ (Y / ny[:, None]).T


class KernelPCA(TransformerMixin, BaseEstimator):
    """Kernel PCA: PCA in a feature space, by the eigendecomposition of the centred kernel.

    With a kernel ``k(x, y) = <phi(x), phi(y)>`` and the training kernel matrix ``K``, the
    centred kernel ``K_c = H K H`` (``H = I - 11^T/n``) is the Gram matrix of the centred
    features. Its eigendecomposition ``K_c = A Lambda A^T`` gives the scores of the
    training points, ``A Lambda^{1/2}`` (as the SVD of centred data gives ``U Sigma``), and
    a new point ``y`` gets ``k_c(y) A Lambda^{-1/2}``, where ``k_c(y)`` is its kernel row
    centred with the training means. No feature vector is ever formed, which is how PCA
    becomes nonlinear: the "SVD is linear" limitation of the source blog post. There is
    no exact inverse map (a pre-image need not exist); this class does not provide one.

    Parameters
    ----------
    n_components : int, optional
        Default: all eigenvalues that are positive.
    kernel : {"linear", "poly", "rbf", "cosine"} or callable, default "linear"
        A callable takes two matrices ``(X, Y)`` and returns the kernel matrix (vectorized,
        unlike scikit-learn's per-pair callables).
    gamma : float, optional
        For "rbf" (``exp(-gamma |x - y|^2)``) and "poly"; default ``1 / n_features``.
    degree : int, default 3
        For "poly": ``(gamma <x, y> + coef0)^degree``.
    coef0 : float, default 1.0

    Attributes
    ----------
    eigenvalues_ : ndarray, shape (n_components,)
        Eigenvalues of the centred kernel matrix, decreasing.
    eigenvectors_ : ndarray, shape (n_samples, n_components)
        Orthonormal eigenvectors; the entry of largest absolute value of each is positive
        (:func:`svdlab.linalg.sign_flip` applied to ``K_c = A Lambda A^T`` read as an SVD,
        the same choice as scikit-learn's ``KernelPCA``).
    n_components_ : int
    X_fit_ : ndarray
        The training data (needed to evaluate kernels of new points).
    gamma_ : float
    n_features_in_ : int

    Raises
    ------
    ValueError, TypeError
        In ``fit``: unknown kernel, bad ``gamma``/``degree``/``n_components``, non-finite
        data, or a callable returning the wrong shape.

    References
    ----------
    B. Schölkopf, A. Smola and K.-R. Müller, "Nonlinear component analysis as a kernel
    eigenvalue problem", Neural Computation 10(5), 1998.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 3))
    >>> kp = KernelPCA(n_components=2).fit(X)        # linear kernel: ordinary PCA scores
    >>> Z = PCA(2, svd_solver="full").fit_transform(X)
    >>> bool(np.allclose(np.abs(kp.transform(X)), np.abs(Z)))
    True

    Taught in chapter 9.
    """

    def __init__(self, n_components: int | None = None, *, kernel="linear",
                 gamma: float | None = None, degree: int = 3, coef0: float = 1.0):
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0

    def _params(self, d: int):
        if not callable(self.kernel):
            check_option(self.kernel, "kernel", _KERNELS)
        gamma = (1.0 / d if self.gamma is None
                 else check_scalar(self.gamma, "gamma", low=0.0, include_low=False))
        degree = check_int(self.degree, "degree", min_value=1)
        coef0 = check_scalar(self.coef0, "coef0")
        return gamma, degree, coef0

    def fit(self, X, y=None):
        """Eigendecompose the centred kernel matrix of ``X``; returns ``self``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data (kept: :meth:`transform` needs kernel rows against it).
        y : None
            Ignored.

        Returns
        -------
        KernelPCA
            ``self``, fitted.

        Raises
        ------
        ValueError
            If ``X`` is not a finite 2-D array, a hyperparameter is out of range, or a callable
            kernel returns an array of the wrong shape.
        """
        X = validate_data(self, X, dtype=np.float64)
        n, d = X.shape
        self.gamma_, degree, coef0 = self._params(d)
        k = None if self.n_components is None else check_int(
            self.n_components, "n_components", min_value=1)
        K = _kernel(X, X, self.kernel, self.gamma_, degree, coef0)
        K = (K + K.T) / 2
        self._row_mean = K.mean(axis=0)
        self._all_mean = float(self._row_mean.mean())
        Kc = K - self._row_mean[None, :] - self._row_mean[:, None] + self._all_mean
        kk = n if k is None else min(k, n)
        lam, A = sla.eigh(Kc, subset_by_index=(n - kk, n - 1))
        lam, A = lam[::-1], A[:, ::-1]
        # K_c is PSD; its computed eigenvalues carry errors of about n eps lam_max, so any
        # below that (negative ones included) are zeros in disguise: dividing by their
        # square roots in transform would amplify rounding
        lam = np.where(lam > n * np.finfo(np.float64).eps * max(lam[0], 0.0), lam, 0.0)
        A = sign_flip(A, np.ascontiguousarray(A.T))[0]
        if k is None:
            pos = lam > 0
            lam, A = lam[pos], A[:, pos]
        self.eigenvalues_ = lam
        self.eigenvectors_ = A
        self.n_components_ = int(lam.shape[0])
        self.X_fit_ = X
        return self

    def fit_transform(self, X, y=None):
        """Fit and return the training scores ``A Lambda^{1/2}``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The scores of the training points.

        Raises
        ------
        ValueError
            As :meth:`fit`.
        """
        self.fit(X)
        return self.eigenvectors_ * np.sqrt(self.eigenvalues_)

    def transform(self, X):
        """Scores of new points: centred kernel rows times ``A Lambda^{-1/2}``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            New points.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Their scores; on the training points this equals :meth:`fit_transform` up to rounding.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has the wrong number of features.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        _, degree, coef0 = self._params(X.shape[1])
        Ky = _kernel(X, self.X_fit_, self.kernel, self.gamma_, degree, coef0)
        Kc = Ky - Ky.mean(axis=1, keepdims=True) - self._row_mean[None, :] + self._all_mean
        scale = np.zeros_like(self.eigenvalues_)
        pos = self.eigenvalues_ > 0
        scale[pos] = 1.0 / np.sqrt(self.eigenvalues_[pos])
        return Kc @ (self.eigenvectors_ * scale)
