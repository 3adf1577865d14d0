"""Spectral norms of weight matrices during training: estimate, penalize, normalize.

Taught in chapter 10. The spectral norm ``sigma_1(W) = max ||x W|| / ||x||`` bounds how
much a layer can stretch its input, so the product of the layers' spectral norms
bounds the Lipschitz constant of a network with 1-Lipschitz activations (ReLU, tanh).
Two uses of it in training:

* **Spectral-norm regularization** (Yoshida & Miyato 2017) adds
  ``lambda / 2 * sum_l sigma_1(W_l)^2`` to the loss. Its gradient is
  ``lambda * sigma_1 * u_1 v_1^T``: only the top singular direction is pushed down.
  Weight decay, the Frobenius penalty ``lambda / 2 ||W||_F^2 = lambda / 2 sum_i
  sigma_i^2``, shrinks every singular value instead (the source blog post calls the
  Frobenius norm a constraint on the singular values, which blurs the difference).
* **Spectral normalization** (Miyato et al. 2018) divides the weight by its spectral
  norm in every forward pass, ``W_SN = W / sigma_1(W)``, and back-propagates through
  the division. A GAN discriminator built from such layers is 1-Lipschitz.

An exact SVD per layer per step would cost ``O(m n min(m, n))``. Both methods instead
keep the singular vector estimates from the previous step and make **one** power
iteration per training step, ``O(m n)``: the weights move little between steps, so the
warm-started vectors start close to the top singular vectors. Chapter 10 measures how
close they stay: for a network that training leaves alone the median error is ~1e-4
(a few percent when the top two singular values cross); inside spectral normalization,
which stops the estimated top direction from growing and so flattens the top of the
spectrum, the estimate lags by several percent. :func:`spectral_norm_power_iteration` is that step, in the layout
and the order of ``torch.nn.utils.parametrizations.spectral_norm``: for the
``(out, in)`` matrix ``A``,

    u = normalize(A v),   v = normalize(A^T u),   sigma = u^T A v.

``sigma`` is a Rayleigh-type quotient, never above ``sigma_1`` (``|u^T A v| <=
sigma_1`` for unit ``u, v``), and its error is second order in the angle of ``v``
from the top right singular vector.

References
----------
Y. Yoshida and T. Miyato, "Spectral norm regularization for improving the
generalizability of deep learning", arXiv:1705.10941, 2017.
T. Miyato, T. Kataoka, M. Koyama and Y. Yoshida, "Spectral normalization for
generative adversarial networks", ICLR 2018.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg.blas import get_blas_funcs

from .._validation import check_int, check_matrix, check_random_state, check_scalar, check_vector
from .layers import Dense

__all__ = [
    "PowerIterationState",
    "spectral_norm_power_iteration",
    "spectral_norm_penalty",
    "SpectralNormalized",
    "lipschitz_upper_bound",
]


@dataclass(frozen=True)
class PowerIterationState:
    """Result of :func:`spectral_norm_power_iteration`.

    Attributes
    ----------
    sigma : float
        The estimate ``u^T A v`` of the spectral norm (never above the true one).
    u : ndarray, shape (m,)
        Unit estimate of the top left singular vector of ``A``.
    v : ndarray, shape (n,)
        Unit estimate of the top right singular vector; pass it back as ``v`` for
        the next (warm-started) step.

    Examples
    --------
    >>> st = spectral_norm_power_iteration(np.diag([2.0, 1.0]), n_iter=30, random_state=0)
    >>> round(st.sigma, 8), st.u.shape
    (2.0, (2,))

    Taught in chapter 10.
    """

    sigma: float
    u: np.ndarray
    v: np.ndarray


def _normalize(x, eps):
    return x / max(float(np.linalg.norm(x)), eps)


def _power_steps(A, v, k, eps):
    """The iteration itself, unchecked: the layers call it once per training step.

    ``sigma = u^T A v`` with the new ``v = A^T u / ||A^T u||`` equals ``||A^T u||``, so
    the norm computed for the normalization is the estimate: two products per step.
    """
    # np.dot, not @: for a transposed view (a layer passes W.T) the matmul ufunc takes a
    # slow non-BLAS path on matrix-vector products
    for _ in range(k):
        u = np.dot(A, v)
        u /= max(np.sqrt(np.dot(u, u)), eps)
        v = np.dot(A.T, u)
        sigma = np.sqrt(np.dot(v, v))
        v /= max(sigma, eps)
    return PowerIterationState(float(sigma), u, v)


def spectral_norm_power_iteration(A, v=None, n_iter: int = 1, *, eps: float = 1e-12,
                                  random_state=None) -> PowerIterationState:
    """``n_iter`` power-iteration steps for the spectral norm of ``A``, from ``v``.

    Parameters
    ----------
    A : array_like, shape (m, n)
        The matrix in PyTorch's ``(out, in)`` layout (for a :class:`~svdlab.nn.Dense`
        layer, ``W.T``). The dtype of ``A`` is kept (float32 stays float32).
    v : array_like, shape (n,), optional
        Start vector (normalized here); the previous step's ``v`` when warm-starting.
        Default: a random Gaussian vector from ``random_state``.
    n_iter : int
        Number of steps ``u = normalize(A v); v = normalize(A^T u)``.
    eps : float
        Floor of the norms divided by (PyTorch's ``eps``), for a zero matrix.
    random_state : None, int or numpy.random.Generator
        Seeds the start vector when ``v`` is None.

    Returns
    -------
    PowerIterationState
        ``sigma = u^T A v`` and the updated unit vectors.

    Raises
    ------
    ValueError
        If ``v`` does not have ``A.shape[1]`` entries or ``n_iter < 1``.

    Notes
    -----
    After ``k`` steps from a cold start the angle of ``v`` from ``v_1`` shrinks like
    ``(sigma_2 / sigma_1)^(2k)``; warm-started, the step only has to follow the drift
    of ``v_1`` caused by one update of ``A``. Cost: two matrix-vector products,
    ``4 m n`` flops.

    Examples
    --------
    >>> A = np.diag([3.0, 1.0])
    >>> st = spectral_norm_power_iteration(A, v=np.array([1.0, 1.0]), n_iter=1)
    >>> round(st.sigma, 4)                 # one step from (1, 1): sqrt(8.2), below 3
    2.8636
    >>> st = spectral_norm_power_iteration(A, v=st.v, n_iter=5)
    >>> round(st.sigma, 10)
    3.0

    References
    ----------
    T. Miyato, T. Kataoka, M. Koyama and Y. Yoshida, "Spectral normalization for
    generative adversarial networks", ICLR 2018, algorithm 1. Taught in chapter 10.
    """
    A = check_matrix(A, "A")
    n_iter = check_int(n_iter, "n_iter", min_value=1)
    eps = check_scalar(eps, "eps", low=0.0, include_low=False)
    if v is None:
        v = check_random_state(random_state).standard_normal(A.shape[1])
    v = check_vector(v, "v", size=A.shape[1]).astype(A.dtype, copy=False)
    return _power_steps(A, _normalize(v, eps), n_iter, eps)


def spectral_norm_penalty(W, v, lam: float, n_iter: int = 1):
    """Spectral-norm penalty ``lam / 2 * sigma_1(W)^2`` and its gradient, warm-started.

    Parameters
    ----------
    W : array_like, shape (n_in, n_out)
        A weight matrix in the layout of :class:`~svdlab.nn.Dense`.
    v : array_like, shape (n_in,)
        The previous step's vector (from this function), or any start vector.
    lam : float
        ``lambda >= 0``.
    n_iter : int
        Power-iteration steps (1 in Yoshida & Miyato).

    Returns
    -------
    penalty : float
        ``lam / 2 * sigma^2`` with the estimate ``sigma``.
    grad : ndarray, shape of ``W``
        ``lam * sigma * v u^T`` in ``W``'s layout (``lam * sigma * u v^T`` for the
        ``(out, in)`` matrix ``W.T``), the gradient of the penalty.
    v : ndarray, shape (n_in,)
        To pass to the next call.

    Raises
    ------
    ValueError
        If ``lam < 0`` or ``v`` has the wrong length.

    Notes
    -----
    For a simple top singular value, ``d sigma_1 / dA = u_1 v_1^T``, so
    ``d(sigma_1^2 / 2) = sigma_1 u_1 v_1^T``. The estimate's vectors stand in for the
    exact ones.

    Examples
    --------
    >>> W = np.diag([2.0, 0.5])
    >>> pen, grad, v = spectral_norm_penalty(W, np.array([1.0, 0.1]), lam=0.1, n_iter=20)
    >>> round(pen, 6), np.round(grad, 6)
    (0.2, array([[0.2, 0. ],
           [0. , 0. ]]))

    References
    ----------
    Y. Yoshida and T. Miyato, "Spectral norm regularization for improving the
    generalizability of deep learning", arXiv:1705.10941, 2017. Taught in chapter 10.
    """
    W = check_matrix(W, "W")
    lam = check_scalar(lam, "lam", low=0.0)
    n_iter = check_int(n_iter, "n_iter", min_value=1)
    v = check_vector(v, "v", size=W.shape[0]).astype(W.dtype, copy=False)
    return _penalty_step(W, _normalize(v, 1e-12), lam, n_iter)


def _penalty_step(W, v, lam, n_iter=1):
    st = _power_steps(W.T, v, n_iter, 1e-12)
    grad = (lam * st.sigma) * np.outer(st.v, st.u)
    return 0.5 * lam * st.sigma**2, grad, st.v


class SpectralNormalized:
    """A dense layer whose weight is divided by its (estimated) spectral norm.

    ``y = x (W / sigma) + b`` where ``sigma`` comes from one warm-started power
    iteration per training-mode forward pass, exactly as in PyTorch's
    ``parametrizations.spectral_norm``. In evaluation mode (``train=False``) the
    vectors are not updated and ``sigma = u^T W^T v`` is recomputed from them.

    Parameters
    ----------
    layer : Dense
        The layer to normalize (its arrays are used, not copied).
    n_power_iterations : int
        Steps per training forward pass.
    n_init_iterations : int
        Steps made once at construction (PyTorch makes 15).
    eps : float
        Norm floor of the power iteration.
    random_state : None, int or numpy.random.Generator
        Seeds the start vectors.

    Attributes
    ----------
    W, b : ndarray
        The raw weight (n_in, n_out) and bias; ``params`` is ``[W, b]``.
    u : ndarray, shape (n_out,)
    v : ndarray, shape (n_in,)
        The current singular vector estimates of the ``(out, in)`` matrix ``W.T``.
    sigma : float
        The current estimate, used by the last forward pass.

    Raises
    ------
    TypeError
        If ``layer`` is not a :class:`~svdlab.nn.Dense` layer.
    ValueError
        If an iteration count is negative (``n_power_iterations`` below 1) or ``eps`` is
        not positive.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sn = SpectralNormalized(Dense(rng.standard_normal((20, 10))), random_state=0)
    >>> X = rng.standard_normal((5, 20)).astype(np.float32)
    >>> Y = sn.forward(X, train=True)            # 15 + 1 steps
    >>> s = np.linalg.svd(sn.W.astype(np.float64), compute_uv=False)
    >>> bool(sn.sigma <= s[0]), round(float(s[1] / s[0]), 2)   # a small gap: slow
    (True, 0.96)
    >>> for _ in range(300):
    ...     _ = sn.forward(X, train=True)
    >>> bool(abs(sn.sigma - s[0]) / s[0] < 1e-6)
    True

    References
    ----------
    T. Miyato, T. Kataoka, M. Koyama and Y. Yoshida, "Spectral normalization for
    generative adversarial networks", ICLR 2018. Taught in chapter 10.
    """

    def __init__(self, layer, n_power_iterations: int = 1, n_init_iterations: int = 15,
                 eps: float = 1e-12, random_state=None):
        if not isinstance(layer, Dense):
            raise TypeError(f"layer must be a Dense layer, got {type(layer).__name__}")
        self.W, self.b = layer.W, layer.b
        self.n_power_iterations = check_int(n_power_iterations, "n_power_iterations",
                                            min_value=1)
        self.eps = check_scalar(eps, "eps", low=0.0, include_low=False)
        n_init_iterations = check_int(n_init_iterations, "n_init_iterations", min_value=0)
        rng = check_random_state(random_state)
        # PyTorch draws u and v, normalizes both, then iterates; u is overwritten by the
        # first step, so only v matters.
        self.u = _normalize(rng.standard_normal(self.W.shape[1]), self.eps).astype(self.W.dtype)
        self.v = _normalize(rng.standard_normal(self.W.shape[0]), self.eps).astype(self.W.dtype)
        if n_init_iterations:
            self._iterate(n_init_iterations)
        self.sigma = float(self.v @ self.W @ self.u)

    def _iterate(self, k):
        st = _power_steps(self.W.T, self.v, k, self.eps)
        self.u, self.v = st.u, st.v
        return st.sigma

    @property
    def params(self) -> list[np.ndarray]:
        return [self.W] if self.b is None else [self.W, self.b]

    def weight_matrix(self) -> np.ndarray:
        """The normalized weight ``W / sigma`` the forward pass uses."""
        return self.W / self.sigma

    def forward(self, X, train=False):
        """``X (W / sigma) + b``, dividing the product rather than the matrix.

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
            A batch of inputs (float32).
        train : bool, default False
            Run ``n_power_iterations`` warm-started power steps first (updating ``u``, ``v`` and ``sigma``) and keep what :meth:`backward` needs; otherwise ``sigma = v^T W u`` from the stored vectors.

        Returns
        -------
        ndarray of shape (n, n_out)
            The layer's output.
        """
        if train:
            self.sigma = self._iterate(self.n_power_iterations)
        else:
            self.sigma = float(self.v @ self.W @ self.u)
        XW = X @ self.W
        if train:
            self._X, self._XW = X, XW
        Y = XW / np.asarray(self.sigma, dtype=XW.dtype)     # X (W / sigma), O(batch n_out)
        return Y if self.b is None else Y + self.b

    def backward(self, G):
        # d(W / sigma) with d sigma = <dW, v u^T>:
        #   dL/dW = X^T (G / sigma) - <G, X W> / sigma^2 * v u^T,
        # with <X^T G, W> = <G, X W> read off the forward pass. Only the product X^T (G /
        # sigma) and one in-place rank-1 update (BLAS ger) touch an m x n array.
        """Back-propagate ``G = dL/d(output)`` (after ``forward(X, train=True)``).

        Parameters
        ----------
        G : ndarray of shape (n, n_out)
            Gradient of the loss with respect to the layer's output.

        Returns
        -------
        ndarray of shape (n, n_in)
            Gradient with respect to the input; ``grads`` holds the gradient of ``W`` through ``W / sigma(W)`` (including ``sigma``'s own dependence on ``W``) and of ``b``.
        """
        Gs = G / np.asarray(self.sigma, dtype=G.dtype)
        c = float(np.sum(Gs * self._XW)) / self.sigma
        dW = self._X.T @ Gs
        ger = get_blas_funcs("ger", (dW,))
        # dW^T (Fortran-ordered) -= c u v^T updates dW in place
        dWt = ger(-c, self.u.astype(dW.dtype, copy=False), self.v.astype(dW.dtype, copy=False),
                  a=dW.T, overwrite_a=True)
        dW = dWt.T
        self.grads = [dW.astype(self.W.dtype, copy=False)]
        if self.b is not None:
            self.grads.append(G.sum(axis=0))
        return Gs @ self.W.T

    def _jvp(self, H, T):
        W = self.weight_matrix().astype(np.float64)
        H = H @ W
        return (H if self.b is None else H + self.b), T @ W

    def flops(self, X_shape) -> int:
        """FLOPs of one forward pass for an input of shape ``X_shape`` (2 per multiply-add).

        Parameters
        ----------
        X_shape : tuple of int
            Shape of the input batch (last axis n_in).

        Returns
        -------
        int
            ``2 * (rows of X) * n_in * n_out``: the power step's matrix-vector products are
            not counted.
        """
        return 2 * int(np.prod(X_shape[:-1])) * self.W.size  # 2 FLOPs per multiply-add

    def copy(self) -> SpectralNormalized:
        new = SpectralNormalized.__new__(SpectralNormalized)
        new.__dict__.update({k: (v.copy() if isinstance(v, np.ndarray) else v)
                             for k, v in self.__dict__.items() if not k.startswith("_")})
        return new


def lipschitz_upper_bound(model) -> float:
    """Product of the spectral norms of the weight layers of a dense network.

    With 1-Lipschitz activations (ReLU, tanh) this bounds ``||f(x) - f(y)|| /
    ||x - y||`` and so every singular value of every input-output Jacobian
    (:func:`svdlab.nn.jacobian_singular_values`). Exact spectral norms (LAPACK), of
    the matrices the forward pass uses.

    Parameters
    ----------
    model : Sequential

    Returns
    -------
    float

    Examples
    --------
    >>> from svdlab.nn import make_mlp
    >>> net = make_mlp([3, 4, 2], activation="tanh", init="orthogonal")
    >>> round(lipschitz_upper_bound(net), 12)
    1.0

    Taught in chapter 10.
    """
    bound = 1.0
    for layer in model.layers:
        if hasattr(layer, "weight_matrix"):
            bound *= float(np.linalg.norm(layer.weight_matrix().astype(np.float64), 2))
    return bound
