"""Latent spaces through the SVD: analysis, interpolation, mixing, a linear generative model.

Taught in chapter 8 (*The SVD in generative AI*).

A generative model maps a code ``z`` (a row of a matrix ``Z`` of codes, samples in
rows) to data. The SVD of the centred codes tells how many directions the codes
really use (:func:`latent_analysis`); it gives a basis in which to interpolate
(:func:`subspace_interpolate`) and to mix two codes in a way that means something
(:func:`mix_components`); and probabilistic PCA (:class:`LinearGenerativeModel`) is
the generative model that the SVD fits in closed form.

Corrections to the blog post the chapter started from: its spherical
interpolation applied the SLERP formula to codes that are not unit vectors (the
path then leaves every sphere), its "SVD-guided" interpolation and its style
mixing multiply arrays whose shapes do not match, and its "principal directions"
were columns of ``U`` (directions in *sample* space) instead of rows of ``Vt``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import (
    check_array,
    check_int,
    check_matrix,
    check_option,
    check_random_state,
    check_rank,
    check_scalar,
    check_vector,
)
from .linalg import effective_rank, energy, rank_for_energy, svd

__all__ = [
    "LatentAnalysis",
    "latent_analysis",
    "lerp",
    "slerp",
    "subspace_interpolate",
    "mix_components",
    "LinearGenerativeModel",
]


@dataclass(frozen=True)
class LatentAnalysis:
    """What the SVD of a set of latent codes says about them (see :func:`latent_analysis`).

    Taught in chapter 8.

    Parameters
    ----------
    singular_values : ndarray, shape (min(n, d),)
        Singular values of the (centred) code matrix, non-increasing.
    energy : ndarray, shape (min(n, d),)
        Cumulative energy: ``energy[k-1]`` is the fraction of variance ``k`` directions keep.
    effective_rank : float
        Entropy effective rank (Roy & Vetterli 2007) of the singular values.
    rank90 : int
        Number of directions that keep 90 % of the energy.
    directions : ndarray, shape (k, d)
        Principal directions in latent space, as orthonormal rows.
    mean : ndarray, shape (d,)
        The mean code that was subtracted (zeros if ``center=False``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = latent_analysis(rng.standard_normal((50, 3)))
    >>> a.directions.shape, a.mean.shape
    ((3, 3), (3,))
    """

    singular_values: np.ndarray
    """Singular values of the (centred) code matrix, non-increasing."""
    energy: np.ndarray
    """Cumulative energy ``energy[k-1]``: fraction of variance kept by ``k`` directions."""
    effective_rank: float
    """Entropy effective rank (Roy & Vetterli 2007) of the singular values."""
    rank90: int
    """Number of directions that keep 90 % of the energy."""
    directions: np.ndarray
    """Principal directions in latent space, as orthonormal *rows*, shape ``(k, d)``."""
    mean: np.ndarray
    """The mean code that was subtracted (zeros if ``center=False``)."""


def latent_analysis(Z, n_directions: int | None = None, *, center: bool = True) -> LatentAnalysis:
    """Spectrum, energy, effective rank and principal directions of latent codes.

    Parameters
    ----------
    Z : array_like, shape (n, d)
        Latent codes, one per row.
    n_directions : int, optional
        Number of principal directions to return (default: all ``min(n, d)``).
    center : bool, default True
        Subtract the mean code first, so that the spectrum describes the spread
        of the codes around their mean (PCA) rather than their offset.

    Returns
    -------
    LatentAnalysis

    Notes
    -----
    The principal directions live in latent space (length ``d``): they are
    rows of ``Vt``. The columns of ``U`` have one entry per *sample* and are
    not directions in latent space. Taught in chapter 8.

    References
    ----------
    O. Roy and M. Vetterli, "The effective rank: a measure of effective
    dimensionality", EUSIPCO 2007.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.standard_normal((500, 2)) @ rng.standard_normal((2, 8))  # 8-D codes of rank 2
    >>> a = latent_analysis(Z, 2)
    >>> a.directions.shape, int(np.sum(a.singular_values > 1e-8))
    ((2, 8), 2)
    >>> bool(a.energy[1] > 0.999999)
    True
    """
    Z = check_matrix(Z, "Z")
    if Z.shape[0] < 2 and center:
        raise ValueError(f"Z must have at least 2 codes (rows) to centre, got shape {Z.shape}")
    mean = Z.mean(axis=0) if center else np.zeros(Z.shape[1], dtype=Z.dtype)
    Zc = Z - mean
    _, s, Vt = svd(Zc)
    if not np.any(s > 0):
        raise ValueError("Z must not have all codes equal: the centred code matrix is zero")
    k = s.shape[0] if n_directions is None else check_rank(n_directions, Zc.shape, "n_directions")
    e = energy(s)
    return LatentAnalysis(
        singular_values=s,
        energy=e,
        effective_rank=effective_rank(s),
        rank90=rank_for_energy(s, 0.9),
        directions=Vt[:k],
        mean=mean,
    )


def _check_pair(z1, z2) -> tuple[np.ndarray, np.ndarray]:
    z1 = check_vector(z1, "z1")
    z2 = check_vector(z2, "z2", size=z1.shape[0])
    return z1, z2


def _check_t(t) -> tuple[np.ndarray, bool]:
    """Interpolation parameter(s): a scalar or a 1-D array, finite (values outside [0, 1]
    extrapolate)."""
    scalar = np.ndim(t) == 0
    t = check_array(np.atleast_1d(t) if scalar else t, "t", ndim=1)
    return t.astype(np.float64), scalar


def lerp(z1, z2, t) -> np.ndarray:
    """Linear interpolation ``(1 - t) z1 + t z2``.

    Parameters
    ----------
    z1, z2 : array_like, shape (d,)
    t : float or array_like, shape (s,)

    Returns
    -------
    ndarray, shape (d,) for a scalar ``t``, else (s, d)
        One code per value of ``t``.

    Notes
    -----
    For Gaussian codes in high dimension the midpoint of two codes has about
    ``1/sqrt(2)`` of their norm: it lies where the prior puts almost no mass,
    which is why :func:`slerp` is used for such codes (White 2016). Taught in
    chapter 8.

    References
    ----------
    T. White, "Sampling generative networks", arXiv:1609.04468 (2016).

    Examples
    --------
    >>> lerp([0.0, 0.0], [2.0, 4.0], [0.0, 0.5, 1.0])
    array([[0., 0.],
           [1., 2.],
           [2., 4.]])
    """
    z1, z2 = _check_pair(z1, z2)
    t, scalar = _check_t(t)
    out = z1 + t[:, None] * (z2 - z1)
    return out[0] if scalar else out


def slerp(z1, z2, t, *, normalize: bool = False, atol: float = 1e-6) -> np.ndarray:
    """Spherical linear interpolation along the great circle from ``z1`` to ``z2``.

    ``slerp(t) = sin((1-t) theta)/sin(theta) z1 + sin(t theta)/sin(theta) z2`` with
    ``cos(theta) = z1 . z2``. This formula is a constant-speed path *on the unit
    sphere only when both endpoints are unit vectors*.

    Parameters
    ----------
    z1, z2 : array_like, shape (d,)
    t : float or array_like, shape (s,)
    normalize : bool, default False
        ``False``: ``z1`` and ``z2`` must be unit vectors (within ``atol``), else
        a ``ValueError`` is raised. ``True``: the *directions* are interpolated
        on the unit sphere and the *norm* linearly, from ``||z1||`` to
        ``||z2||`` (the usual treatment of Gaussian latent codes).
    atol : float
        Tolerance on ``| ||z|| - 1 |`` when ``normalize=False``.

    Returns
    -------
    ndarray, shape (d,) for a scalar ``t``, else (s, d)

    Raises
    ------
    ValueError
        If an endpoint is zero, if the endpoints are not unit vectors and
        ``normalize=False``, or if they are antiparallel (every great circle
        through them is a shortest path: the interpolation is not defined).

    Notes
    -----
    For (nearly) parallel endpoints ``sin(theta)`` vanishes; the path is then
    computed as the normalized linear interpolation, which agrees with SLERP
    to second order in ``theta``. Taught in chapter 8.

    References
    ----------
    K. Shoemake, "Animating rotation with quaternion curves", SIGGRAPH 1985.

    Examples
    --------
    >>> P = slerp([1.0, 0.0], [0.0, 1.0], [0.0, 0.5, 1.0])
    >>> P.round(4)
    array([[1.    , 0.    ],
           [0.7071, 0.7071],
           [0.    , 1.    ]])
    >>> np.linalg.norm(slerp([3.0, 0.0], [0.0, 1.0], 0.5, normalize=True)).round(4)
    np.float64(2.0)
    """
    z1, z2 = _check_pair(z1, z2)
    t, scalar = _check_t(t)
    atol = check_scalar(atol, "atol", low=0.0, include_low=False)
    n1, n2 = float(np.linalg.norm(z1)), float(np.linalg.norm(z2))
    for name, n in (("z1", n1), ("z2", n2)):
        if n == 0:
            raise ValueError(f"{name} must be non-zero: a zero code has no direction")
        if not normalize and abs(n - 1.0) > atol:
            raise ValueError(
                f"{name} must be a unit vector for spherical interpolation, got norm {n:.6g}; "
                "normalize it first or pass normalize=True (directions on the sphere, "
                "norm interpolated linearly)"
            )
    u1, u2 = z1 / n1, z2 / n2
    cos = float(np.clip(u1 @ u2, -1.0, 1.0))
    if cos < -1.0 + 1e-12:
        raise ValueError(
            "z1 and z2 must not be antiparallel: the great circle between opposite "
            "points is not unique, so spherical interpolation is undefined"
        )
    theta = np.arccos(cos)
    if np.sin(theta) < 1e-7:  # (nearly) parallel: normalized lerp, exact to O(theta^2)
        P = u1 + t[:, None] * (u2 - u1)
        P /= np.linalg.norm(P, axis=1, keepdims=True)
    else:
        a = np.sin((1.0 - t) * theta) / np.sin(theta)
        b = np.sin(t * theta) / np.sin(theta)
        P = a[:, None] * u1 + b[:, None] * u2
    if normalize:
        P = P * ((1.0 - t) * n1 + t * n2)[:, None]
    return P[0] if scalar else P


def _check_basis(basis, d: int, name: str = "basis") -> np.ndarray:
    B = check_matrix(basis, name)
    if B.shape[1] != d:
        raise ValueError(
            f"{name} must have one column per latent dimension (d = {d}), got shape {B.shape}"
        )
    if B.shape[0] > d:
        raise ValueError(f"{name} must have at most d = {d} rows, got shape {B.shape}")
    gram = B @ B.T
    if not np.allclose(gram, np.eye(B.shape[0]), atol=1e-6):
        raise ValueError(
            f"{name} must have orthonormal rows (e.g. the rows of Vt from an SVD); "
            f"max |B B^T - I| = {np.abs(gram - np.eye(B.shape[0])).max():.3g}"
        )
    return B


def subspace_interpolate(z1, z2, t, basis, *, mean=None, method: str = "linear") -> np.ndarray:
    """Interpolate two codes inside a principal subspace.

    Both codes are projected on the affine subspace ``mean + span(basis rows)``,
    their coordinates ``c = basis (z - mean)`` are interpolated, and the path
    is mapped back: ``z(t) = mean + c(t) basis``. Whatever the codes hold
    outside the subspace (typically noise or detail the model does not
    represent) is dropped, so the path stays where the data are.

    Parameters
    ----------
    z1, z2 : array_like, shape (d,)
    t : float or array_like, shape (s,)
    basis : array_like, shape (k, d)
        Orthonormal rows, e.g. ``latent_analysis(Z, k).directions``.
    mean : array_like, shape (d,), optional
        Origin of the subspace (default zero), e.g. ``latent_analysis(Z).mean``.
    method : {"linear", "spherical"}
        How the coordinates are interpolated; ``"spherical"`` uses
        :func:`slerp` with ``normalize=True`` on the coordinates.

    Returns
    -------
    ndarray, shape (d,) or (s, d)

    Notes
    -----
    Taught in chapter 8.

    References
    ----------
    M. Turk and A. Pentland, "Eigenfaces for recognition", J. Cognitive
    Neuroscience 3 (1991).

    Examples
    --------
    >>> B = np.array([[1.0, 0.0, 0.0]])           # the subspace is the first axis
    >>> subspace_interpolate([0.0, 5.0, 0.0], [2.0, 0.0, 7.0], 0.5, B)
    array([1., 0., 0.])
    """
    z1, z2 = _check_pair(z1, z2)
    d = z1.shape[0]
    B = _check_basis(basis, d)
    mu = np.zeros(d) if mean is None else check_vector(mean, "mean", size=d)
    check_option(method, "method", ("linear", "spherical"))
    c1, c2 = B @ (z1 - mu), B @ (z2 - mu)
    if method == "linear":
        C = lerp(c1, c2, t)
    else:
        C = slerp(c1, c2, t, normalize=True)
    return mu + C @ B


def mix_components(z_content, z_style, basis, split: int, *, mean=None) -> np.ndarray:
    """Mix two codes by swapping coordinates in an SVD basis.

    In the basis of principal directions ``basis`` (rows ordered by decreasing
    variance), the mixed code takes its ``split`` leading coordinates from
    ``z_content`` and all the others (the trailing coordinates, and anything
    outside the span of ``basis``) from ``z_style``:

    ``z = mean + P_lead (z_content - mean) + (I - P_lead)(z_style - mean)``

    with ``P_lead`` the orthogonal projector on the first ``split`` directions.
    Leading directions carry the coarse structure (for faces: pose, lighting,
    overall shape), trailing ones the detail, so the result has the coarse
    structure of one code and the detail of the other, and mixing a code with
    itself returns it unchanged.

    Parameters
    ----------
    z_content, z_style : array_like, shape (d,) or (n, d)
        Codes (rows broadcast against each other).
    basis : array_like, shape (k, d)
        Orthonormal rows, e.g. ``latent_analysis(Z).directions``.
    split : int
        Number of leading coordinates taken from ``z_content``, ``0..k``.
    mean : array_like, shape (d,), optional
        Origin of the basis (default zero).

    Returns
    -------
    ndarray, same shape as the broadcast inputs

    Notes
    -----
    Taught in chapter 8. The same idea (coarse layers from one code, fine from
    another) is StyleGAN's style mixing (Karras, Laine & Aila 2019), here with
    directions ordered by the SVD instead of by generator layer.

    References
    ----------
    T. Karras, S. Laine and T. Aila, "A style-based generator architecture for
    generative adversarial networks", CVPR 2019.

    Examples
    --------
    >>> B = np.eye(3)
    >>> mix_components([1.0, 2.0, 3.0], [7.0, 8.0, 9.0], B, split=1)
    array([1., 8., 9.])
    """
    zc = check_array(z_content, "z_content", ndim=(1, 2))
    zs = check_array(z_style, "z_style", ndim=(1, 2))
    d = zc.shape[-1]
    if zs.shape[-1] != d:
        raise ValueError(
            f"z_content and z_style must have the same latent dimension, got {zc.shape[-1]} "
            f"and {zs.shape[-1]}"
        )
    if zc.ndim == 2 and zs.ndim == 2 and zc.shape[0] != zs.shape[0] and 1 not in (
        zc.shape[0], zs.shape[0]
    ):
        raise ValueError(
            f"z_content and z_style must have the same number of codes (or one), got "
            f"{zc.shape[0]} and {zs.shape[0]}"
        )
    B = _check_basis(basis, d)
    split = check_int(split, "split", min_value=0, max_value=B.shape[0])
    mu = np.zeros(d) if mean is None else check_vector(mean, "mean", size=d)
    L = B[:split]
    dc, ds = zc - mu, zs - mu
    return mu + ds + ((dc - ds) @ L.T) @ L


class LinearGenerativeModel(TransformerMixin, BaseEstimator):
    """Probabilistic PCA: the linear Gaussian generative model fitted by the SVD.

    The model is ``x = W z + mu + eps`` with ``z ~ N(0, I_q)`` and
    ``eps ~ N(0, sigma^2 I_d)``, so ``x ~ N(mu, W W^T + sigma^2 I)``. Its maximum
    likelihood fit is closed form (Tipping & Bishop 1999): with the SVD of the
    centred data ``X - mu = U S V^T`` and the eigenvalues
    ``lambda_i = s_i^2 / n`` of the maximum-likelihood covariance
    ``S = (X - mu)^T (X - mu) / n`` (divided by ``n``, not ``n - 1``: the mean
    is estimated by the same likelihood),

    ``sigma^2 = mean(lambda_{q+1}, ..., lambda_d)``,
    ``W = V_q (Lambda_q - sigma^2 I)^{1/2}``.

    Parameters
    ----------
    n_components : int, optional
        Latent dimension ``q``. Default ``min(n_samples, n_features) - 1``
        (at least 1).
    random_state : int or numpy.random.Generator, optional
        Default seed of :meth:`sample`.

    Attributes
    ----------
    mean_ : ndarray, shape (d,)
    components_ : ndarray, shape (q, d)
        Principal directions (rows, orthonormal), as in ``sklearn.decomposition.PCA``.
    explained_variance_ : ndarray, shape (q,)
        Maximum-likelihood variances ``lambda_1..lambda_q = s_i^2 / n`` along
        ``components_`` (scikit-learn's PCA divides by ``n - 1``).
    singular_values_ : ndarray, shape (min(n, d),)
        All singular values of the centred data.
    noise_variance_ : float
        ``sigma^2``, the average variance of the discarded directions.
    loadings_ : ndarray, shape (d, q)
        The matrix ``W``.
    n_components_ : int
    n_features_in_ : int

    Notes
    -----
    Maximum likelihood determines ``W`` only up to a rotation ``W R``; this
    class takes ``R = I``, so the latent coordinates are ordered by variance.
    :meth:`transform` returns the posterior mean ``E[z | x]`` and
    :meth:`inverse_transform` the mean of ``x`` given ``z``: they are not exact
    inverses (the posterior mean shrinks towards 0 by ``(lambda_i -
    sigma^2)/lambda_i``). ``sklearn.decomposition.PCA(n_components=q)`` fits
    the same model from the unbiased covariance (divided by ``n - 1``): its
    variances and noise variance are this class's times ``n / (n - 1)``, so
    its training likelihood is slightly lower than the maximum. With fewer
    samples than features scikit-learn also averages the discarded variance
    over ``min(n, d) - q`` directions, Tipping & Bishop (and this class) over
    ``d - q``. Taught in chapter 8.

    References
    ----------
    M. E. Tipping and C. M. Bishop, "Probabilistic principal component
    analysis", J. Royal Statistical Society B 61 (1999).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> W = rng.standard_normal((5, 2))
    >>> X = rng.standard_normal((2000, 2)) @ W.T + 0.1 * rng.standard_normal((2000, 5))
    >>> m = LinearGenerativeModel(n_components=2).fit(X)
    >>> round(m.noise_variance_, 2)
    0.01
    >>> m.sample(3, random_state=1).shape
    (3, 5)
    """

    def __init__(self, n_components: int | None = None, random_state=None):
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit the model by the SVD of the centred data (closed form, no iterations).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training data, at least two samples.
        y : None
            Ignored (scikit-learn's convention).

        Returns
        -------
        LinearGenerativeModel
            ``self``, fitted.

        Raises
        ------
        ValueError
            If ``X`` has fewer than 2 samples or non-finite values, or ``n_components``
            exceeds ``min(n_samples, n_features)``.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        n, d = X.shape
        r = min(n, d)
        if self.n_components is None:
            q = max(1, r - 1)
        else:
            q = check_int(self.n_components, "n_components", min_value=1, max_value=r)
        self.mean_ = X.mean(axis=0)
        _, s, Vt = svd(X - self.mean_)
        lam = s**2 / n  # the ML covariance divides by n (Tipping & Bishop, eq. 5)
        self.singular_values_ = s
        self.n_components_ = q
        self.components_ = Vt[:q]
        self.explained_variance_ = lam[:q]
        # the discarded directions: min(n, d) - q of them carry variance, the rest none
        self.noise_variance_ = float(lam[q:].sum() / (d - q)) if d > q else 0.0
        self.loadings_ = (self.components_.T
                          * np.sqrt(np.maximum(self.explained_variance_ - self.noise_variance_,
                                               0.0)))
        return self

    def _sigma2(self) -> float:
        """Noise variance floored so that the model covariance stays invertible."""
        floor = 1e-12 * max(float(self.explained_variance_[0]), 1e-300)
        return max(self.noise_variance_, floor)

    def get_covariance(self) -> np.ndarray:
        """The model covariance ``W W^T + sigma^2 I``, shape (d, d)."""
        check_is_fitted(self)
        W = self.loadings_
        return W @ W.T + self._sigma2() * np.eye(W.shape[0])

    def transform(self, X) -> np.ndarray:
        """Posterior mean of the latent code, ``E[z | x] = M^{-1} W^T (x - mu)``.

        Here ``M = W^T W + sigma^2 I`` (Tipping & Bishop 1999, eq. 6).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Data with the training data's number of features.

        Returns
        -------
        ndarray, shape (n_samples, ``n_components_``)
            The codes.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the model is not fitted.
        ValueError
            If ``X`` has another number of features.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        W = self.loadings_
        M = W.T @ W + self._sigma2() * np.eye(W.shape[1])
        return np.linalg.solve(M, W.T @ (X - self.mean_).T).T

    def inverse_transform(self, Z) -> np.ndarray:
        """Decode: the mean of ``x`` given ``z``, ``W z + mu``.

        Parameters
        ----------
        Z : array_like, shape (n_samples, ``n_components_``)
            Latent codes.

        Returns
        -------
        ndarray, shape (n_samples, ``n_features_in_``)
            The decoded data (without noise).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the model is not fitted.
        ValueError
            If ``Z`` does not have ``n_components_`` columns.
        """
        check_is_fitted(self)
        Z = check_matrix(Z, "Z")
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"Z must have n_components_ = {self.n_components_} columns, got shape {Z.shape}"
            )
        return Z @ self.loadings_.T + self.mean_

    def encode(self, X) -> np.ndarray:
        """Alias of :meth:`transform` (posterior mean of the code).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        ndarray, shape (n_samples, ``n_components_``)
        """
        return self.transform(X)

    def decode(self, Z) -> np.ndarray:
        """Alias of :meth:`inverse_transform`.

        Parameters
        ----------
        Z : array_like, shape (n_samples, ``n_components_``)
            Latent codes to decode.

        Returns
        -------
        ndarray, shape (n_samples, ``n_features_in_``)
        """
        return self.inverse_transform(Z)

    def sample(self, n_samples: int = 1, *, random_state=None, noise: bool = True) -> np.ndarray:
        """Draw new data ``x = W z + mu (+ eps)``.

        Parameters
        ----------
        n_samples : int
        random_state : int or Generator, optional
            Defaults to the estimator's ``random_state``.
        noise : bool, default True
            Add the isotropic noise ``eps``; ``False`` returns the noise-free
            decoded codes (smoother images).
        """
        check_is_fitted(self)
        n_samples = check_int(n_samples, "n_samples", min_value=1)
        rs = self.random_state if random_state is None else random_state
        gen = check_random_state(rs)
        Z = gen.standard_normal((n_samples, self.n_components_))
        X = self.inverse_transform(Z)
        if noise and self.noise_variance_ > 0:
            X = X + np.sqrt(self.noise_variance_) * gen.standard_normal(X.shape)
        return X

    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood of each sample under ``N(mu, W W^T + sigma^2 I)``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Data with the training data's number of features.

        Returns
        -------
        ndarray, shape (n_samples,)
            ``log p(x)`` of each row, in nats.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the model is not fitted.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        C = self.get_covariance()
        L = np.linalg.cholesky(C)
        D = np.linalg.solve(L, (X - self.mean_).T)
        logdet = 2.0 * np.sum(np.log(np.diag(L)))
        d = X.shape[1]
        return -0.5 * (np.sum(D * D, axis=0) + logdet + d * np.log(2.0 * np.pi))

    def score(self, X, y=None) -> float:
        """Average log-likelihood of the samples ``X``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Data with the training data's number of features.
        y : None
            Ignored.

        Returns
        -------
        float
            The mean of :meth:`score_samples`.
        """
        return float(np.mean(self.score_samples(X)))
