"""A linear autoencoder trained by gradient descent, and principal angles between subspaces.

Taught in chapter 10. A linear autoencoder with ``k`` hidden units encodes a centred
sample ``x`` as ``z = x E`` (``E``: d x k) and decodes it as ``x_hat = z D`` (``D``:
k x d). Baldi & Hornik (1989) proved that the mean squared reconstruction error

    L(E, D) = 1 / (2 n) ||X_c - X_c E D||_F^2

has no local minima other than the global ones, and that at every global minimum
the product ``E D`` is the orthogonal projector onto the span of the top ``k``
principal directions (when ``lambda_k > lambda_{k+1}``). So gradient descent from a
small random start learns the **PCA subspace**. It does not learn the PCA **basis**:
``E D = (E M)(M^{-1} D)`` for any invertible ``M``, so the hidden units are an
arbitrary mixture of the principal components, and the rows of ``D`` need be neither
orthogonal nor ordered by variance. The chapter measures both facts with principal
angles (:func:`principal_angles`).

Gradient descent here is full-batch on the exact gradient, written through the
covariance ``C = X_c^T X_c / n`` so that an iteration costs ``O(d^2 k)`` whatever the
number of samples: with ``P = E D``,

    dL/dD = E^T C (P - I),    dL/dE = C (P - I) D^T.

The step size defaults to ``0.5 / lambda_hat`` with ``lambda_hat`` an upper estimate of
the largest eigenvalue of ``C`` from a few power iterations (only that scalar; no
eigenvector is used). Convergence is slow when the gap ``lambda_k - lambda_{k+1}`` is
small: the subspace error shrinks roughly like ``(1 - lr (lambda_k -
lambda_{k+1}))^t``.

References
----------
P. Baldi and K. Hornik, "Neural networks and principal component analysis: learning
from examples without local minima", Neural Networks 2(1), 53-58, 1989.
A. Bjorck and G. H. Golub, "Numerical methods for computing angles between linear
subspaces", Mathematics of Computation 27(123), 579-594, 1973.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._progress import progress
from .._validation import check_int, check_matrix, check_random_state, check_scalar
from ..factorizations import ConvergenceWarning

__all__ = ["LinearAutoencoder", "principal_angles"]


def _orthonormal_basis(A):
    """Orthonormal basis of the column space of ``A`` (via the SVD: robust to near-dependence)."""
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    tol = max(A.shape) * np.finfo(A.dtype).eps * (s[0] if s.size else 0.0)
    return U[:, s > tol]


def principal_angles(A, B) -> np.ndarray:
    """Principal angles (radians, increasing) between the column spaces of ``A`` and ``B``.

    Parameters
    ----------
    A : array_like, shape (d, p)
    B : array_like, shape (d, q)
        Their columns span the two subspaces (need not be orthonormal).

    Returns
    -------
    ndarray, shape (min(rank A, rank B),)
        ``0 <= theta_1 <= ... <= pi / 2``.

    Raises
    ------
    ValueError
        If ``A`` and ``B`` have different numbers of rows.

    Notes
    -----
    With orthonormal bases ``Q_A, Q_B``, the cosines of the angles are the singular
    values of ``Q_A^T Q_B`` (Bjorck & Golub 1973). Cosines near 1 lose the small angles
    to rounding (``arccos(1 - eps)`` is about ``1e-8``), so angles below ``pi / 4`` are
    read from the sines instead: the singular values of ``Q_B - Q_A (Q_A^T Q_B)``.
    ``scipy.linalg.subspace_angles`` does the same (in decreasing order).

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> B = np.array([[1.0], [0.0], [1.0]])
    >>> np.degrees(principal_angles(A, B))
    array([45.])
    >>> float(principal_angles(A, A @ np.array([[2.0, 1.0], [0.0, 3.0]]))[1]) < 1e-15
    True

    References
    ----------
    A. Bjorck and G. H. Golub, Mathematics of Computation 27(123), 1973.
    Taught in chapter 10.
    """
    A = check_matrix(A, "A").astype(np.float64)
    B = check_matrix(B, "B").astype(np.float64)
    if A.shape[0] != B.shape[0]:
        raise ValueError(f"A and B must have the same number of rows, got {A.shape[0]} "
                         f"and {B.shape[0]}")
    QA, QB = _orthonormal_basis(A), _orthonormal_basis(B)
    if QA.shape[1] < QB.shape[1]:
        QA, QB = QB, QA
    M = QA.T @ QB
    cos = np.clip(np.linalg.svd(M, compute_uv=False)[::-1], -1.0, 1.0)   # increasing angle
    sin = np.clip(np.linalg.svd(QB - QA @ M, compute_uv=False), 0.0, 1.0)  # increasing
    theta = np.arccos(cos)
    small = theta < np.pi / 4
    theta[small] = np.arcsin(sin[small])
    return np.sort(theta)


class LinearAutoencoder(TransformerMixin, BaseEstimator):
    """A ``d -> k -> d`` linear autoencoder fitted by full-batch gradient descent.

    Parameters
    ----------
    n_components : int
        Width ``k`` of the code.
    lr : "auto" or float
        Step size; ``"auto"`` is ``0.5 / lambda_hat`` (module docstring).
    max_iter : int
        Gradient steps at most.
    tol : float
        Stop when the loss decreased by less than ``tol`` (relative) over the last
        100 steps. (A gradient-norm test would wait for the components of ``E``
        along directions of almost zero variance, which barely move and do not matter.)
    init_scale : float
        Entries of ``E`` and ``D`` start as ``N(0, init_scale^2 / d)``.
    random_state : None, int or numpy.random.Generator
    verbose : bool
        Show a progress bar with the loss.

    Attributes
    ----------
    mean_ : ndarray (n_features,)
    encoder_ : ndarray (n_features, n_components)
    decoder_ : ndarray (n_components, n_features)
    subspace_ : ndarray (n_components, n_features)
        Orthonormal rows spanning the decoder's row space (the learned subspace).
    loss_curve_ : ndarray
        ``L(E, D)`` before each step.
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 2)) @ np.array([[3.0, 0, 0, 0], [0, 2.0, 0, 0]])
    >>> X += 0.1 * rng.standard_normal((300, 4))
    >>> ae = LinearAutoencoder(2, random_state=0).fit(X)
    >>> Vt = np.linalg.svd(X - X.mean(0), full_matrices=False)[2][:2]
    >>> bool(principal_angles(ae.subspace_.T, Vt.T).max() < 1e-5)
    True

    References
    ----------
    P. Baldi and K. Hornik, Neural Networks 2(1), 1989. Taught in chapter 10.
    """

    def __init__(self, n_components: int = 2, *, lr="auto", max_iter: int = 20000,
                 tol: float = 1e-10, init_scale: float = 0.1, random_state=None,
                 verbose=False):
        self.n_components = n_components
        self.lr = lr
        self.max_iter = max_iter
        self.tol = tol
        self.init_scale = init_scale
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Fit by gradient descent on the reconstruction error; returns ``self``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training data (centred internally).
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        LinearAutoencoder
            ``self``, fitted.

        Raises
        ------
        ValueError
            If ``X`` is not a finite 2-D array, ``n_components`` exceeds ``n_features``, a
            hyperparameter is out of range, or gradient descent diverges (the message suggests
            a smaller ``lr``).

        Warns
        -----
        ConvergenceWarning
            If the loss still decreased by more than ``tol`` per 100 steps after ``max_iter``.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        n, d = X.shape
        k = check_int(self.n_components, "n_components", min_value=1, max_value=d)
        max_iter = check_int(self.max_iter, "max_iter", min_value=1)
        tol = check_scalar(self.tol, "tol", low=0.0)
        init_scale = check_scalar(self.init_scale, "init_scale", low=0.0, include_low=False)
        random_state = self.random_state
        if isinstance(random_state, np.random.RandomState):
            random_state = random_state.randint(0, 2**31 - 1)
        rng = check_random_state(random_state)
        X64 = X.astype(np.float64)
        self.mean_ = X64.mean(axis=0)
        Xc = X64 - self.mean_
        C = Xc.T @ Xc / n
        trace = float(np.trace(C))
        lam = _top_eigenvalue_bound(C, rng)
        if self.lr == "auto":
            lr = 0.5 / lam if lam > 0 else 1.0
        else:
            lr = check_scalar(self.lr, "lr", low=0.0, include_low=False)
        E = rng.standard_normal((d, k)) * (init_scale / np.sqrt(d))
        D = rng.standard_normal((k, d)) * (init_scale / np.sqrt(d))
        eye = np.eye(d)
        losses = []
        converged = False
        bar = progress(range(max_iter), verbose=self.verbose, desc="LinearAutoencoder")
        it = 0
        for it in bar:  # noqa: B007 (the count is reported)
            R = E @ D - eye                            # P - I
            CR = C @ R
            # L = 1/2 tr(R^T C R)
            losses.append(0.5 * float(np.sum(R * CR)))
            if it % 200 == 0:
                bar.set_postfix(loss=losses[-1])
            if (it >= 100 and losses[-101] - losses[-1] <= tol * losses[-1]) \
                    or losses[-1] <= 1e-15 * trace:
                converged = True
                break
            gD = E.T @ CR
            gE = CR @ D.T
            D -= lr * gD
            E -= lr * gE
            if not np.isfinite(losses[-1]):
                raise ValueError(f"gradient descent diverged with lr={lr:g}; use a smaller lr")
        if not converged:
            warnings.warn(f"LinearAutoencoder: the loss still decreased by more than "
                          f"tol={tol:g} per 100 steps after max_iter={max_iter} steps (the "
                          f"rate is set by the gap lambda_k - lambda_(k+1))",
                          ConvergenceWarning, stacklevel=2)
        self.encoder_, self.decoder_ = E, D
        self.subspace_ = _orthonormal_basis(D.T).T
        self.loss_curve_ = np.asarray(losses)
        self.n_iter_ = it
        return self

    def transform(self, X):
        """The codes ``(X - mean_) E``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Data with as many features as the training data.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The codes.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has the wrong number of features.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return (X - self.mean_) @ self.encoder_

    def inverse_transform(self, Z):
        """Decode: ``Z D + mean_``.

        Parameters
        ----------
        Z : array_like of shape (n_samples, n_components)
            Codes.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The reconstructions.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``Z`` does not have ``n_components`` columns.
        """
        check_is_fitted(self)
        Z = check_matrix(Z, "Z")
        if Z.shape[1] != self.decoder_.shape[0]:
            raise ValueError(f"Z must have {self.decoder_.shape[0]} columns, got shape {Z.shape}")
        return Z @ self.decoder_ + self.mean_

    def reconstruction_error(self, X) -> float:
        """Mean squared reconstruction error per sample, ``||x - x_hat||^2`` averaged.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Data to encode and decode.

        Returns
        -------
        float
            The mean over samples of the squared Euclidean reconstruction error.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` is malformed or has the wrong number of features.
        """
        X = check_matrix(X, "X")
        R = self.inverse_transform(self.transform(X)) - X
        return float(np.mean(np.sum(R * R, axis=1)))


def _top_eigenvalue_bound(C, rng, n_iter: int = 50) -> float:
    """An upper estimate of ``lambda_max(C)`` for a PSD ``C``: power iteration, then a margin.

    The Rayleigh quotient after ``n_iter`` steps is below ``lambda_max``; it is raised
    by the residual norm ``||C v - rho v||``, which bounds the distance from ``rho`` to an
    eigenvalue (Bauer-Fike for symmetric matrices), and kept below the trace.
    """
    v = rng.standard_normal(C.shape[0])
    v /= np.linalg.norm(v)
    for _ in range(n_iter):
        w = C @ v
        nrm = np.linalg.norm(w)
        if nrm == 0:
            return 0.0
        v = w / nrm
    rho = float(v @ C @ v)
    return min(rho + float(np.linalg.norm(C @ v - rho * v)), float(np.trace(C))) * 1.01
