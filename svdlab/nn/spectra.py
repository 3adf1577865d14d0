"""Singular values of weight matrices and of input-output Jacobians.

Taught in chapter 10. Four measures of a weight matrix ``W`` (shape ``m x n``,
singular values ``sigma_1 >= ... >= sigma_p``, ``p = min(m, n)``):

* the **stable rank** ``||W||_F^2 / ||W||_2^2 = sum_i sigma_i^2 / sigma_1^2``
  (:func:`stable_rank`), between 1 and ``rank W``, insensitive to tiny singular values;
* the **effective rank** ``exp(entropy(sigma / sum sigma))`` of Roy & Vetterli
  (:func:`svdlab.linalg.effective_rank`, chapter 2);
* the **Marchenko-Pastur bulk**: if the entries of ``W`` were independent with mean 0
  and variance ``s^2``, the eigenvalues ``lambda = sigma^2`` of ``W^T W`` would fill
  ``[s^2 (sqrt(M) - sqrt(N))^2, s^2 (sqrt(M) + sqrt(N))^2]`` (``M = max(m, n)``,
  ``N = min(m, n)``) with the density of :func:`marchenko_pastur_pdf` (Marchenko &
  Pastur 1967). Eigenvalues above the upper edge are *outliers*: structure that
  training put in. :func:`weight_spectra` matches ``s^2 = ||W||_F^2 / (m n)``, the
  variance with the same trace;
* the **power-law exponent** ``alpha`` of the tail of the empirical spectral density
  (ESD) of ``W^T W`` (:func:`power_law_fit`). Martin & Mahoney (2021) found that
  well-trained layers have heavy-tailed ESDs, ``p(lambda) ~ lambda^(-alpha)`` above
  some ``lambda_min``, with ``alpha`` between 2 and 4 in good models and smaller
  ``alpha`` (heavier tails) with more training and more correlation, and they use
  it to rank models without test data (the WeightWatcher tool).

The fit of ``alpha`` follows Clauset, Shalizi & Newman (2009): for each candidate
``x_min`` among the eigenvalues, the maximum-likelihood exponent of the continuous
power law on the tail ``x >= x_min`` is

    alpha_hat = 1 + n_tail / sum_{x_i >= x_min} log(x_i / x_min),

and ``x_min`` is chosen to minimize the Kolmogorov-Smirnov distance ``D`` between the
tail's empirical CDF and the fitted one, ``1 - (x / x_min)^(1 - alpha)``. Like the
``powerlaw`` package (Alstott et al. 2014) and WeightWatcher, the empirical CDF is
evaluated at the sorted tail points as ``0, 1/n, ..., (n-1)/n`` and every eigenvalue
but the largest is a candidate; the standard error is ``(alpha - 1) / sqrt(n_tail)``.
All candidates are scored at once (a triangular array, in row blocks).

The **input-output Jacobian** ``J(x) = df/dx`` of a dense network is the product of
its layers' linearizations, ``J^T = W_1 D_1 W_2 D_2 ... W_L`` in the row-vector layout
``h_l = phi(h_{l-1} W_l + b_l)``, with ``D_l = diag(phi'(.))``. Its singular values
say how the network stretches small input perturbations and, read backwards, how it
scales back-propagated gradients. Pennington, Schoenholz & Ganguli (2017) call a
network *dynamically isometric* when they all concentrate near 1. :func:`jacobian`
computes ``J`` exactly, by forward-mode products: the identity matrix (one tangent
per input coordinate) is pushed through the layers in float64 beside the input.

References
----------
C. H. Martin and M. W. Mahoney, "Implicit self-regularization in deep neural
networks: evidence from random matrix theory and implications for learning", JMLR
22(165), 2021.
C. H. Martin, T. S. Peng and M. W. Mahoney, "Predicting trends in the quality of
state-of-the-art neural networks without access to training or testing data", Nature
Communications 12, 4122, 2021.
A. Clauset, C. R. Shalizi and M. E. J. Newman, "Power-law distributions in empirical
data", SIAM Review 51(4), 2009.
J. Alstott, E. Bullmore and D. Plenz, "powerlaw: a Python package for analysis of
heavy-tailed distributions", PLoS ONE 9(1), 2014.
V. A. Marchenko and L. A. Pastur, "Distribution of eigenvalues for some sets of random
matrices", Math. USSR-Sbornik 1(4), 1967.
J. Pennington, S. S. Schoenholz and S. Ganguli, "Resurrecting the sigmoid in deep
learning through dynamical isometry: theory and practice", NeurIPS 2017.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_array, check_int, check_matrix, check_scalar
from ..linalg import effective_rank

__all__ = [
    "PowerLawFit",
    "power_law_fit",
    "stable_rank",
    "marchenko_pastur_edges",
    "marchenko_pastur_pdf",
    "LayerSpectrum",
    "weight_spectra",
    "jacobian",
    "jacobian_singular_values",
]


# ----------------------------------------------------------------------------- power laws
@dataclass(frozen=True)
class PowerLawFit:
    """A power-law fit ``p(x) ~ x^(-alpha)`` of the tail ``x >= xmin`` of a sample.

    Attributes
    ----------
    alpha : float
        Maximum-likelihood exponent on the tail.
    xmin : float
        Start of the tail, chosen by the smallest KS distance.
    ks_distance : float
        Kolmogorov-Smirnov distance ``D`` of the fit on the tail.
    n_tail : int
        Number of sample points ``>= xmin``.
    sigma : float
        Standard error ``(alpha - 1) / sqrt(n_tail)``.

    Examples
    --------
    >>> x = (1 - np.random.default_rng(0).random(2000)) ** (-1 / 1.5)   # Pareto, alpha = 2.5
    >>> fit = power_law_fit(x)
    >>> bool(abs(fit.alpha - 2.5) < 3 * fit.sigma + 0.1), fit.n_tail <= 2000
    (True, True)

    Taught in chapter 10.
    """

    alpha: float
    xmin: float
    ks_distance: float
    n_tail: int
    sigma: float


def power_law_fit(x, *, threshold: float = 1e-5, block: int = 256) -> PowerLawFit:
    """Clauset-Shalizi-Newman fit of a continuous power-law tail: ``xmin`` by KS, MLE ``alpha``.

    Parameters
    ----------
    x : array_like, shape (n,)
        Positive sample, e.g. the eigenvalues ``sigma_i^2`` of ``W^T W``.
    threshold : float
        Values ``<= threshold`` are dropped first (WeightWatcher's default, 1e-5,
        removes the zero eigenvalues of rank-deficient matrices).
    block : int
        Candidates scored per block (memory ``block * n`` floats).

    Returns
    -------
    PowerLawFit

    Raises
    ------
    ValueError
        If fewer than 3 values exceed ``threshold`` or they are all equal.

    Notes
    -----
    The KS distance of candidate ``x_i`` (sorted ascending, tail ``x_i..x_n`` of
    length ``k = n - i + 1``) is ``max_j |1 - (x_j / x_i)^(1 - alpha_i) - (j - i) / k|``.
    The empirical CDF in it jumps *after* each point (the convention of the
    ``powerlaw`` package and WeightWatcher); the exact supremum would also compare
    ``(j - i + 1) / k``, which moves ``D`` by at most ``1 / k``.

    Examples
    --------
    A Pareto sample with exponent 2.5 above ``x = 1``, below it a uniform bulk:

    >>> rng = np.random.default_rng(0)
    >>> tail = (1 - rng.random(4000)) ** (-1 / 1.5)           # p(x) ~ x^-2.5, x >= 1
    >>> bulk = rng.uniform(0.1, 1.0, 1000)
    >>> fit = power_law_fit(np.r_[bulk, tail])
    >>> bool(abs(fit.alpha - 2.5) < 3 * fit.sigma), bool(0.8 < fit.xmin < 1.5)
    (True, True)

    References
    ----------
    A. Clauset, C. R. Shalizi and M. E. J. Newman, "Power-law distributions in
    empirical data", SIAM Review 51(4), 2009, sections 3.1 and 3.3.
    C. H. Martin and M. W. Mahoney, JMLR 22(165), 2021. Taught in chapter 10.
    """
    x = check_array(x, "x", ndim=1)
    threshold = check_scalar(threshold, "threshold", low=0.0)
    block = check_int(block, "block", min_value=1)
    x = np.sort(x[x > threshold].astype(np.float64))
    n = x.size
    if n < 3:
        raise ValueError(f"x must have at least 3 values above threshold={threshold:g}, "
                         f"got {n}")
    if x[0] == x[-1]:
        raise ValueError("x must not be constant: a power law needs a spread of values")
    logx = np.log(x)
    cand = np.arange(n - 1)                         # every point but the largest
    k = (n - cand).astype(np.float64)               # tail sizes
    tail_log_sum = np.cumsum(logx[::-1])[::-1]      # sum_{j >= i} log x_j
    s = tail_log_sum[cand] - k * logx[cand]         # sum log(x_j / x_i)
    with np.errstate(divide="ignore"):
        alpha = np.where(s > 0, 1.0 + k / np.where(s > 0, s, 1.0), np.inf)
    D = np.full(n - 1, np.inf)
    j = np.arange(n)
    for start in range(0, n - 1, block):
        rows = cand[start:start + block]
        ok = np.isfinite(alpha[rows]) & (alpha[rows] > 1)
        a = np.where(ok, alpha[rows], 2.0)[:, None]
        # log(x_j / x_i) for j >= i; masked below the diagonal
        L = logx[None, :] - logx[rows][:, None]
        inside = j[None, :] >= rows[:, None]
        F_fit = 1.0 - np.exp(np.where(inside, (1.0 - a) * L, 0.0))
        F_emp = (j[None, :] - rows[:, None]) / k[rows][:, None]
        diff = np.where(inside, np.abs(F_fit - F_emp), 0.0)
        D[start:start + rows.size] = np.where(ok, diff.max(axis=1), np.inf)
    best = int(np.argmin(D))
    n_tail = int(n - best)
    a_best = float(alpha[best])
    return PowerLawFit(a_best, float(x[best]), float(D[best]), n_tail,
                       float((a_best - 1.0) / np.sqrt(n_tail)))


# ----------------------------------------------------------------------------- simple measures
def _singular_values(W):
    W = np.asarray(W)
    if W.ndim == 1:
        return check_array(W, "s", ndim=1)
    return np.linalg.svd(check_matrix(W, "W").astype(np.float64), compute_uv=False)


def stable_rank(W) -> float:
    """Stable rank ``||W||_F^2 / ||W||_2^2`` of a matrix, or of its singular values.

    Parameters
    ----------
    W : array_like
        A matrix (2-D) or its singular values (1-D, any order).

    Returns
    -------
    float
        Between 1 and the rank; ``min(m, n)`` for an orthogonal matrix.

    Raises
    ------
    ValueError
        If ``W`` is zero.

    Examples
    --------
    >>> stable_rank(np.eye(4))
    4.0
    >>> stable_rank([2.0, 1.0, 1.0])          # (4 + 1 + 1) / 4
    1.5

    References
    ----------
    M. Rudelson and R. Vershynin, "Sampling from large matrices: an approach through
    geometric functional analysis", Journal of the ACM 54(4), 2007. Taught in chapter 10.
    """
    s = _singular_values(W)
    top = float(np.max(np.abs(s)))
    if top == 0:
        raise ValueError("W must not be zero: the stable rank of a zero matrix is undefined")
    return float(np.sum((s / top) ** 2))


def _mn(shape):
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise ValueError(f"shape must be (m, n), got {shape!r}")
    m = check_int(shape[0], "shape[0]", min_value=1)
    n = check_int(shape[1], "shape[1]", min_value=1)
    return max(m, n), min(m, n)


def marchenko_pastur_edges(shape, variance: float = 1.0) -> tuple[float, float]:
    """Edges of the Marchenko-Pastur bulk of the eigenvalues of ``W^T W``.

    Parameters
    ----------
    shape : (int, int)
        Shape ``(m, n)`` of ``W``.
    variance : float
        Variance ``s^2`` of the (independent, mean-zero) entries of ``W``.

    Returns
    -------
    (lambda_minus, lambda_plus) : (float, float)
        ``s^2 (sqrt(M) -+ sqrt(N))^2``; the singular values of ``W`` fill
        ``[sqrt(lambda_minus), sqrt(lambda_plus)]`` as the matrix grows.

    Raises
    ------
    ValueError
        If ``shape`` is not two positive integers or ``variance`` is not positive.

    Examples
    --------
    >>> marchenko_pastur_edges((400, 100), variance=1 / 400)   # (1 -+ sqrt(1/4))^2
    (0.25, 2.25)

    References
    ----------
    V. A. Marchenko and L. A. Pastur, Math. USSR-Sbornik 1(4), 1967. Taught in chapter 10.
    """
    M, N = _mn(shape)
    variance = check_scalar(variance, "variance", low=0.0, include_low=False)
    return (float(variance * (np.sqrt(M) - np.sqrt(N)) ** 2),
            float(variance * (np.sqrt(M) + np.sqrt(N)) ** 2))


def marchenko_pastur_pdf(lam, shape, variance: float = 1.0) -> np.ndarray:
    """Marchenko-Pastur density of the eigenvalues of ``W^T W`` (``N = min(m, n)`` of them).

    ``p(lambda) = sqrt((lambda_+ - lambda)(lambda - lambda_-)) / (2 pi s^2 N lambda)``
    inside the bulk and 0 outside; it integrates to 1.

    Parameters
    ----------
    lam : array_like
        Points at which to evaluate.
    shape : (int, int)
        Shape of ``W``.
    variance : float
        Entry variance ``s^2``.

    Returns
    -------
    ndarray, shape of ``lam``

    Examples
    --------
    >>> from scipy.integrate import quad
    >>> lo, hi = marchenko_pastur_edges((300, 100))
    >>> round(quad(marchenko_pastur_pdf, lo, hi, args=((300, 100),))[0], 8)
    1.0

    References
    ----------
    V. A. Marchenko and L. A. Pastur, Math. USSR-Sbornik 1(4), 1967. Taught in chapter 10.
    """
    M, N = _mn(shape)
    lo, hi = marchenko_pastur_edges(shape, variance)
    lam = np.asarray(lam, dtype=np.float64)
    inside = (lam > lo) & (lam < hi)
    safe = np.where(inside, lam, 1.0)
    dens = np.sqrt(np.clip((hi - safe) * (safe - lo), 0.0, None)) / (
        2 * np.pi * variance * N * safe)
    return np.where(inside, dens, 0.0)


# ----------------------------------------------------------------------------- weight spectra
@dataclass(frozen=True)
class LayerSpectrum:
    """Spectral summary of one weight matrix (see :func:`weight_spectra`).

    Attributes
    ----------
    name : str
        ``"layer i (Dense)"`` for a network, the key for a dict of matrices.
    shape : (int, int)
    singular_values : ndarray
        Non-increasing.
    stable_rank, effective_rank : float
    spectral_norm, frobenius_norm : float
    mp_variance : float
        ``||W||_F^2 / (m n)``, the entry variance of the random matrix matched to ``W``.
    mp_edge : float
        Upper bulk edge ``lambda_+`` of the eigenvalues ``sigma^2`` for that variance.
    n_outliers : int
        Eigenvalues above ``mp_edge``.
    alpha : PowerLawFit or None
        The ESD's power-law fit, when there are at least ``min_evals`` eigenvalues.

    Examples
    --------
    >>> W = np.random.default_rng(0).standard_normal((200, 100)) / 10
    >>> spec = weight_spectra({"W": W})[0]
    >>> spec.shape, bool(np.isclose(spec.spectral_norm, spec.singular_values[0]))
    ((200, 100), True)

    Taught in chapter 10.
    """

    name: str
    shape: tuple
    singular_values: np.ndarray
    stable_rank: float
    effective_rank: float
    spectral_norm: float
    frobenius_norm: float
    mp_variance: float
    mp_edge: float
    n_outliers: int
    alpha: PowerLawFit | None

    @property
    def eigenvalues(self) -> np.ndarray:
        """The ESD: eigenvalues ``sigma_i^2`` of ``W^T W`` (non-increasing)."""
        return self.singular_values**2


def _spectrum(name, W, min_evals):
    W = np.asarray(W, dtype=np.float64)
    s = np.linalg.svd(W, compute_uv=False)
    m, n = W.shape
    fro2 = float(np.sum(s**2))
    var = fro2 / (m * n)
    edge = marchenko_pastur_edges((m, n), var)[1] if var > 0 else 0.0
    alpha = None
    if s.size >= min_evals and np.count_nonzero(s**2 > 1e-5) >= 3 and s[0] > s[-1]:
        alpha = power_law_fit(s**2)
    return LayerSpectrum(name, (m, n), s, stable_rank(s), effective_rank(s), float(s[0]),
                         np.sqrt(fro2), var, float(edge), int(np.sum(s**2 > edge)), alpha)


def weight_spectra(model, *, min_evals: int = 20) -> list[LayerSpectrum]:
    """The spectra of every weight matrix of a network (or of a dict of matrices).

    Parameters
    ----------
    model : Sequential or dict
        A :class:`~svdlab.nn.Sequential` (every layer with ``weight_matrix()``: dense
        layers, convolutions as ``(c_in k k, c_out)`` matrices, spectrally normalized
        and LoRA layers as the matrix their forward pass uses), or ``{name: matrix}``
        (e.g. the weights of :mod:`svdlab.nn.minilm`).
    min_evals : int
        Fit ``alpha`` only for matrices with at least this many eigenvalues
        (WeightWatcher's small-sample cut).

    Returns
    -------
    list of LayerSpectrum
        In layer order.

    Raises
    ------
    TypeError
        If ``model`` is neither.

    Examples
    --------
    >>> from svdlab.nn import make_mlp
    >>> spec = weight_spectra(make_mlp([64, 256, 10], random_state=0))
    >>> [(s.name, s.shape, s.alpha is None) for s in spec]
    [('layer 0 (Dense)', (64, 256), False), ('layer 2 (Dense)', (256, 10), True)]
    >>> s0 = spec[0]                        # a random matrix sits inside its bulk
    >>> bool(s0.singular_values[0] ** 2 < 1.1 * s0.mp_edge)
    True

    References
    ----------
    C. H. Martin and M. W. Mahoney, JMLR 22(165), 2021. Taught in chapter 10.
    """
    min_evals = check_int(min_evals, "min_evals", min_value=3)
    if isinstance(model, dict):
        return [_spectrum(str(k), check_matrix(W, f"model[{k!r}]"), min_evals)
                for k, W in model.items()]
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(f"model must be a Sequential or a dict of matrices, got "
                        f"{type(model).__name__}")
    return [_spectrum(f"layer {i} ({type(layer).__name__})", layer.weight_matrix(), min_evals)
            for i, layer in enumerate(layers) if hasattr(layer, "weight_matrix")]


# ----------------------------------------------------------------------------- Jacobians
def jacobian(model, X) -> np.ndarray:
    """Exact input-output Jacobians ``df/dx`` of a dense network at the rows of ``X``.

    Parameters
    ----------
    model : Sequential
        Made of layers with a forward-mode rule (:class:`~svdlab.nn.Dense`,
        :class:`~svdlab.nn.ReLU`, :class:`~svdlab.nn.Tanh`, :class:`~svdlab.nn.Flatten`
        on 2-D input, spectrally normalized and LoRA layers).
    X : array_like, shape (B, n_in)

    Returns
    -------
    ndarray of float64, shape (B, n_out, n_in)
        ``J[b, i, j] = d f_i / d x_j`` at ``X[b]``.

    Raises
    ------
    TypeError
        If a layer has no forward-mode rule (convolutions, pooling).

    Notes
    -----
    Forward mode pushes ``T = I`` (one tangent per input coordinate) through each
    layer with the layer's linearization at the current point: ``T <- T W`` for a
    dense layer, ``T <- T diag(phi'(h))`` for an activation. It costs about ``n_in``
    forward passes, in float64: products of many layers spread singular values over
    more orders of magnitude than float32 resolves.

    Examples
    --------
    >>> from svdlab.nn import make_mlp
    >>> net = make_mlp([3, 5, 2], activation="linear", random_state=0)
    >>> J = jacobian(net, np.zeros((1, 3)))
    >>> W = net.layers[0].W.astype(float) @ net.layers[1].W.astype(float)
    >>> np.allclose(J[0], W.T)
    True

    References
    ----------
    A. Griewank and A. Walther, *Evaluating Derivatives*, 2nd ed., SIAM 2008,
    chapter 3 (forward mode). Taught in chapter 10.
    """
    X = check_array(X, "X", ndim=2).astype(np.float64)
    B, d = X.shape
    T = np.broadcast_to(np.eye(d), (B, d, d)).copy()
    H = X
    for i, layer in enumerate(model.layers):
        if not hasattr(layer, "_jvp"):
            raise TypeError(f"layer {i} ({type(layer).__name__}) has no forward-mode rule; "
                            "jacobian supports dense networks")
        H, T = layer._jvp(H, T)
    return np.ascontiguousarray(T.transpose(0, 2, 1))


def jacobian_singular_values(model, X) -> np.ndarray:
    """Singular values of the input-output Jacobian at each row of ``X``.

    Parameters
    ----------
    model : Sequential
        A dense network, see :func:`jacobian`.
    X : array_like, shape (B, n_in)

    Returns
    -------
    ndarray, shape (B, min(n_in, n_out))
        Non-increasing in each row.

    Examples
    --------
    >>> from svdlab.nn import make_mlp
    >>> deep = make_mlp([8] * 33, activation="linear", init="orthogonal", bias=False,
    ...                 random_state=0)
    >>> s = jacobian_singular_values(deep, np.ones((2, 8)))
    >>> bool(np.allclose(s, 1.0, atol=1e-5))       # 32 orthogonal layers: an isometry
    True

    References
    ----------
    J. Pennington, S. S. Schoenholz and S. Ganguli, "Resurrecting the sigmoid in deep
    learning through dynamical isometry: theory and practice", NeurIPS 2017.
    Taught in chapter 10.
    """
    return np.linalg.svd(jacobian(model, X), compute_uv=False)
