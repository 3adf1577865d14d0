"""A small neural-network toolkit in NumPy, to train, factor and fine-tune real networks.

Taught in chapter 8: the chapter trains an MLP and a small convolutional network on
scikit-learn's digits, replaces their layers by low-rank factors
(:mod:`svdlab.compress`) kept as two layers each, and fine-tunes the result. Chapter 10
trains deep linear and tanh networks, autoencoders and a small GAN with the same pieces.
What is here: dense and convolutional layers (stride 1), ReLU and tanh, 2x2 average
pooling, softmax cross-entropy or squared error, and Adam (Kingma & Ba 2015) or SGD with
momentum. Computations run in float32, as deployed networks do.

Every layer has ``forward(X, train)`` (``train=True`` keeps what ``backward`` needs),
``backward(G)`` (stores the parameter gradients in ``grads`` and returns the gradient
with respect to the input) and ``params`` (the arrays an optimizer updates, in place).
Layers with a weight matrix also have ``weight_matrix()`` (the matrix the layer
multiplies by, as :func:`svdlab.nn.weight_spectra` reads it), and the layers of dense
networks have ``_jvp(H, T)``, the forward-mode product :func:`svdlab.nn.jacobian` uses.
"""

from __future__ import annotations

import numpy as np

from .._progress import progress
from .._validation import (
    check_array,
    check_int,
    check_option,
    check_random_state,
    check_scalar,
)
from ..compress import _im2col, conv2d, factorize_conv, factorize_dense
from . import init as _init

__all__ = [
    "Dense",
    "Conv2d",
    "ReLU",
    "Tanh",
    "AvgPool2",
    "Flatten",
    "Sequential",
    "Adam",
    "SGD",
    "make_mlp",
    "make_cnn",
]

_F = np.float32


class Dense:
    """``y = x W (+ b)`` with ``W`` of shape (n_in, n_out).

    Parameters
    ----------
    W : array_like of shape (n_in, n_out)
        The weight matrix (stored as float32).
    b : array_like of shape (n_out,), optional
        The bias; None for a layer without one (the first factor of a factored layer).

    Attributes
    ----------
    W, b : ndarray
        The parameters, updated in place by an optimizer.
    grads : list of ndarray
        After :meth:`backward`: the gradients of ``W`` (and ``b``).

    Examples
    --------
    >>> layer = Dense(np.eye(3)[:, :2], np.ones(2))
    >>> layer.forward(np.array([[1.0, 2.0, 3.0]], dtype=np.float32))
    array([[2., 3.]], dtype=float32)

    Taught in chapter 8.
    """

    def __init__(self, W, b=None):
        self.W = np.asarray(W, dtype=_F)
        self.b = None if b is None else np.asarray(b, dtype=_F)

    @property
    def params(self) -> list[np.ndarray]:
        return [self.W] if self.b is None else [self.W, self.b]

    def forward(self, X, train=False):
        """``X W + b`` for a batch ``X``.

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
            A batch of inputs (float32).
        train : bool, default False
            Keep what :meth:`backward` needs (call it with ``True`` before a backward pass).

        Returns
        -------
        ndarray of shape (n, n_out)
            The layer's output.
        """
        if train:
            self._X = X
        Y = X @ self.W
        return Y if self.b is None else Y + self.b

    def backward(self, G):
        """Back-propagate ``G = dL/d(output)`` through the layer (after ``forward(X, train=True)``).

        Parameters
        ----------
        G : ndarray of shape (n, n_out)
            Gradient of the loss with respect to the layer's output.

        Returns
        -------
        ndarray of shape (n, n_in)
            Gradient with respect to the input. ``grads`` holds ``X^T G`` (and the column sums of ``G``).
        """
        self.grads = [self._X.T @ G] + ([] if self.b is None else [G.sum(axis=0)])
        return G @ self.W.T

    def flops(self, X_shape) -> int:
        """FLOPs of one forward pass for an input of shape ``X_shape`` (2 per multiply-add).

        Parameters
        ----------
        X_shape : tuple of int
            Shape of the input batch, last axis n_in.

        Returns
        -------
        int
            ``2 * (rows of X) * n_in * n_out``.
        """
        # two FLOPs (a multiply and an add) per weight and input row
        return 2 * int(np.prod(X_shape[:-1])) * self.W.size

    def weight_matrix(self) -> np.ndarray:
        """The matrix ``W`` of ``y = x W + b``, shape (n_in, n_out)."""
        return self.W

    def _jvp(self, H, T):
        W = self.W.astype(np.float64)
        H = H @ W
        return (H if self.b is None else H + self.b), T @ W


class Conv2d:
    """Convolution (stride 1) with kernel ``K`` of shape (c_out, c_in, kh, kw).

    Parameters
    ----------
    K : array_like of shape (c_out, c_in, kh, kw)
        The kernel (stored as float32).
    b : array_like of shape (c_out,), optional
        One bias per output channel; None for none.
    padding : int, default 0
        Zeros added on each side of the image (1 with a 3x3 kernel keeps the size).

    Attributes
    ----------
    K, b : ndarray
        The parameters, updated in place by an optimizer.
    grads : list of ndarray
        After :meth:`backward`: the gradients of ``K`` (and ``b``).

    Examples
    --------
    >>> conv = Conv2d(np.ones((2, 1, 3, 3)), padding=1)
    >>> conv.forward(np.ones((1, 1, 4, 4), dtype=np.float32)).shape
    (1, 2, 4, 4)

    Taught in chapter 8.
    """

    def __init__(self, K, b=None, padding: int = 0):
        self.K = np.asarray(K, dtype=_F)
        self.b = None if b is None else np.asarray(b, dtype=_F)
        self.padding = padding

    @property
    def params(self) -> list[np.ndarray]:
        return [self.K] if self.b is None else [self.K, self.b]

    def forward(self, X, train=False):
        """The convolution of a batch of images with ``K`` (plus ``b``).

        Parameters
        ----------
        X : ndarray of shape (N, c_in, H, W)
            A batch of inputs (float32).
        train : bool, default False
            Keep what :meth:`backward` needs (call it with ``True`` before a backward pass).

        Returns
        -------
        ndarray of shape (N, c_out, H', W')
            The layer's output.
        """
        c_out, c_in, kh, kw = self.K.shape
        if kh == kw == 1 and self.padding == 0:  # a 1x1 convolution: mix channels per pixel
            N, _, H, W = X.shape
            Y = (X.transpose(0, 2, 3, 1).reshape(-1, c_in) @ self.K[:, :, 0, 0].T)
            Y = Y.reshape(N, H, W, c_out).transpose(0, 3, 1, 2)
            if train:
                self._X = X
        else:
            cols, Ho, Wo = _im2col(X, kh, kw, self.padding)
            Y = (cols @ self.K.reshape(c_out, -1).T).reshape(X.shape[0], Ho, Wo, c_out)
            Y = Y.transpose(0, 3, 1, 2)
            if train:
                self._cols = cols
        if train:
            self._xshape = X.shape
        return Y if self.b is None else Y + self.b[:, None, None]

    def backward(self, G):
        """Back-propagate ``G = dL/d(output)`` through the layer (after ``forward(X, train=True)``).

        Parameters
        ----------
        G : ndarray of shape (N, c_out, H', W')
            Gradient of the loss with respect to the layer's output.

        Returns
        -------
        ndarray of shape (N, c_in, H, W)
            Gradient with respect to the input. ``grads`` holds the gradients of ``K`` (and ``b``).
        """
        c_out, c_in, kh, kw = self.K.shape
        Gm = G.transpose(0, 2, 3, 1).reshape(-1, c_out)
        if kh == kw == 1 and self.padding == 0:
            Xm = self._X.transpose(0, 2, 3, 1).reshape(-1, c_in)
            dK = (Gm.T @ Xm).reshape(self.K.shape)
        else:
            dK = (Gm.T @ self._cols).reshape(self.K.shape)
        self.grads = [dK] + ([] if self.b is None else [G.sum(axis=(0, 2, 3))])
        # input gradient: full correlation of G with the flipped, transposed kernel
        Kf = self.K[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        return conv2d(G, Kf, padding=kh - 1 - self.padding).astype(_F, copy=False)

    def flops(self, X_shape) -> int:
        """FLOPs of one forward pass for an input of shape ``X_shape`` (2 per multiply-add).

        Parameters
        ----------
        X_shape : tuple of int
            Shape of the input batch (N, c_in, H, W).

        Returns
        -------
        int
            ``2 * N * H' * W' * K.size`` with ``H' = H + 2 padding - kh + 1``.
        """
        c_out, c_in, kh, kw = self.K.shape
        Ho = X_shape[2] + 2 * self.padding - kh + 1
        Wo = X_shape[3] + 2 * self.padding - kw + 1
        return 2 * X_shape[0] * Ho * Wo * self.K.size  # 2 FLOPs per multiply-add

    def weight_matrix(self) -> np.ndarray:
        """The kernel as the (c_in kh kw, c_out) matrix that multiplies the im2col patches."""
        return self.K.reshape(self.K.shape[0], -1).T


class ReLU:
    """Elementwise ``max(x, 0)``.

    Attributes
    ----------
    params : list
        Empty: the layer has nothing to train.

    Examples
    --------
    >>> ReLU().forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])

    Taught in chapter 8.
    """
    params: list = []

    def forward(self, X, train=False):
        """``max(X, 0)``, elementwise.

        Parameters
        ----------
        X : ndarray of shape (n, ...)
            A batch of inputs (float32).
        train : bool, default False
            Keep what :meth:`backward` needs (call it with ``True`` before a backward pass).

        Returns
        -------
        ndarray of shape (n, ...)
            The layer's output.
        """
        if train:
            self._mask = X > 0
        return np.maximum(X, 0)

    def backward(self, G):
        """Back-propagate ``G = dL/d(output)`` through the layer (after ``forward(X, train=True)``).

        Parameters
        ----------
        G : ndarray of shape (n, ...)
            Gradient of the loss with respect to the layer's output.

        Returns
        -------
        ndarray of shape (n, ...)
            Gradient with respect to the input. ``G`` where the input was positive, 0 elsewhere. The layer has no parameters: ``grads`` is set to an empty list.
        """
        self.grads = []
        return G * self._mask

    def _jvp(self, H, T):
        mask = H > 0
        return H * mask, T * mask[:, None, :]


class Tanh:
    """Elementwise ``tanh``; its derivative ``1 - tanh^2`` is read off the output.

    Examples
    --------
    >>> Tanh().forward(np.array([[0.0, 100.0]]))
    array([[0., 1.]])

    Taught in chapter 10.
    """

    params: list = []

    def forward(self, X, train=False):
        """``tanh(X)``, elementwise.

        Parameters
        ----------
        X : ndarray of shape (n, ...)
            A batch of inputs (float32).
        train : bool, default False
            Keep what :meth:`backward` needs (call it with ``True`` before a backward pass).

        Returns
        -------
        ndarray of shape (n, ...)
            The layer's output.
        """
        Y = np.tanh(X)
        if train:
            self._Y = Y
        return Y

    def backward(self, G):
        """Back-propagate ``G = dL/d(output)`` through the layer (after ``forward(X, train=True)``).

        Parameters
        ----------
        G : ndarray of shape (n, ...)
            Gradient of the loss with respect to the layer's output.

        Returns
        -------
        ndarray of shape (n, ...)
            Gradient with respect to the input. ``G * (1 - tanh(X)^2)``. The layer has no parameters: ``grads`` is set to an empty list.
        """
        self.grads = []
        return G * (1 - self._Y * self._Y)

    def _jvp(self, H, T):
        Y = np.tanh(H)
        return Y, T * (1 - Y * Y)[:, None, :]


class AvgPool2:
    """2x2 average pooling with stride 2 (H and W must be even).

    Examples
    --------
    >>> AvgPool2().forward(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])

    Taught in chapter 8.
    """

    params: list = []

    def forward(self, X, train=False):
        """Means over non-overlapping 2x2 blocks.

        Parameters
        ----------
        X : ndarray of shape (N, C, H, W), H and W even
            A batch of inputs (float32).
        train : bool, default False
            Keep what :meth:`backward` needs (call it with ``True`` before a backward pass).

        Returns
        -------
        ndarray of shape (N, C, H/2, W/2)
            The layer's output.
        """
        N, C, H, W = X.shape
        return X.reshape(N, C, H // 2, 2, W // 2, 2).mean(axis=(3, 5))

    def backward(self, G):
        """Back-propagate ``G = dL/d(output)`` through the layer (after ``forward(X, train=True)``).

        Parameters
        ----------
        G : ndarray of shape (N, C, H/2, W/2)
            Gradient of the loss with respect to the layer's output.

        Returns
        -------
        ndarray of shape (N, C, H, W)
            Gradient with respect to the input. Each block gets a quarter of its gradient. The layer has no parameters: ``grads`` is set to an empty list.
        """
        self.grads = []
        return np.repeat(np.repeat(G, 2, axis=2), 2, axis=3) / 4


class Flatten:
    """Reshape (N, C, H, W) feature maps into (N, C H W) rows, between convolutions and dense layers.

    Attributes
    ----------
    params : list
        Empty: the layer has nothing to train.

    Examples
    --------
    >>> Flatten().forward(np.zeros((2, 3, 4, 4))).shape
    (2, 48)

    Taught in chapter 8.
    """
    params: list = []

    def forward(self, X, train=False):
        """``X`` reshaped to one row per sample.

        Parameters
        ----------
        X : ndarray of shape (N, ...)
            A batch of inputs (float32).
        train : bool, default False
            Keep what :meth:`backward` needs (call it with ``True`` before a backward pass).

        Returns
        -------
        ndarray of shape (N, prod(...))
            The layer's output.
        """
        self._shape = X.shape
        return X.reshape(X.shape[0], -1)

    def backward(self, G):
        """Back-propagate ``G = dL/d(output)`` through the layer (after ``forward(X, train=True)``).

        Parameters
        ----------
        G : ndarray of shape (N, prod(...))
            Gradient of the loss with respect to the layer's output.

        Returns
        -------
        ndarray of shape (N, ...)
            Gradient with respect to the input. ``G`` reshaped back. The layer has no parameters: ``grads`` is set to an empty list.
        """
        self.grads = []
        return G.reshape(self._shape)

    def _jvp(self, H, T):
        return H, T


class Adam:
    """Adam (Kingma & Ba 2015) on a list of arrays, updated in place.

    Parameters
    ----------
    params : list of ndarray
        The arrays to update (``Sequential.params``).
    lr : float
        Step size.
    betas : (float, float)
        Decay rates of the first and second moment estimates.
    eps : float
        Added to the root of the second moment.
    weight_decay : float
        L2 penalty ``weight_decay / 2 * ||W||_F^2`` on every array with two or more
        dimensions (weights, not biases), added to the gradient (coupled, as in the
        original Adam; the Frobenius penalty of chapter 10 is exactly this).

    Raises
    ------
    ValueError
        If ``lr`` or ``eps`` is not positive, a beta is outside [0, 1), or ``weight_decay``
        is negative.

    Examples
    --------
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adam([w], lr=0.1)
    >>> opt.step([2 * w])             # the first step moves each entry by lr
    >>> w
    array([ 0.9, -1.9])

    References
    ----------
    D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    Taught in chapters 8 and 10.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        self.params = list(params)
        self.lr = check_scalar(lr, "lr", low=0.0, include_low=False)
        self.b1, self.b2 = (check_scalar(b, "betas[i]", low=0.0, high=1.0, include_high=False)
                            for b in betas)
        self.eps = check_scalar(eps, "eps", low=0.0, include_low=False)
        self.weight_decay = check_scalar(weight_decay, "weight_decay", low=0.0)
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, grads) -> None:
        """One update with the gradients ``grads`` (one per parameter, same shapes), in place.

        Parameters
        ----------
        grads : list of ndarray
            ``dL/dp`` for each array of ``params``, in the same order (``Sequential.grads``).

        Returns
        -------
        None
            The arrays of ``params`` are updated in place.

        Raises
        ------
        ValueError
            If ``grads`` does not have one array per parameter.
        """
        self.t += 1
        b1, b2, lr, wd = self.b1, self.b2, self.lr, self.weight_decay
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for p, g, mi, vi in zip(self.params, grads, self.m, self.v, strict=True):
            if wd and p.ndim > 1:
                g = g + wd * p
            # p -= lr * (m / c1) / (sqrt(v / c2) + eps), in place, in this order
            t1 = np.multiply(g, 1 - b1)
            mi *= b1
            mi += t1
            np.multiply(g, 1 - b2, out=t1)
            t1 *= g
            vi *= b2
            vi += t1
            t2 = np.divide(vi, c2)
            np.sqrt(t2, out=t2)
            t2 += self.eps
            np.divide(mi, c1, out=t1)
            t1 *= lr
            t1 /= t2
            p -= t1.astype(p.dtype, copy=False)


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum, in place.

    Parameters
    ----------
    params : list of ndarray
    lr : float
    momentum : float in [0, 1)
        ``velocity = momentum * velocity + g``; ``p -= lr * velocity``.
    weight_decay : float
        As in :class:`Adam`.

    Raises
    ------
    ValueError
        If ``lr`` is not positive, ``momentum`` is outside [0, 1), or ``weight_decay`` is
        negative.

    Examples
    --------
    >>> w = np.array([1.0])
    >>> SGD([w], lr=0.25).step([2 * w])
    >>> w
    array([0.5])

    Taught in chapter 10 (deep linear networks train by plain gradient descent).
    """

    def __init__(self, params, lr: float = 1e-2, momentum: float = 0.0,
                 weight_decay: float = 0.0):
        self.params = list(params)
        self.lr = check_scalar(lr, "lr", low=0.0, include_low=False)
        self.momentum = check_scalar(momentum, "momentum", low=0.0, high=1.0,
                                     include_high=False)
        self.weight_decay = check_scalar(weight_decay, "weight_decay", low=0.0)
        self.vel = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, grads) -> None:
        """One update with the gradients ``grads``, in place.

        Parameters
        ----------
        grads : list of ndarray
            ``dL/dp`` for each array of ``params``, in the same order (``Sequential.grads``).

        Returns
        -------
        None
            The arrays of ``params`` are updated in place.

        Raises
        ------
        ValueError
            If ``grads`` does not have one array per parameter.
        """
        self.t += 1
        for p, g, vel in zip(self.params, grads, self.vel, strict=True):
            if self.weight_decay and p.ndim > 1:
                g = g + self.weight_decay * p
            if self.momentum:
                vel *= self.momentum
                vel += g
                g = vel
            p -= (self.lr * g).astype(p.dtype, copy=False)


_LOSSES = ("cross_entropy", "mse")


def _loss_and_grad(out, y, loss):
    """Mean loss over the batch and its gradient with respect to ``out``."""
    B = out.shape[0]
    if loss == "cross_entropy":
        Z = out - out.max(axis=1, keepdims=True)
        P = np.exp(Z)
        total = P.sum(axis=1, keepdims=True)
        value = float(np.mean(np.log(total[:, 0]) - Z[np.arange(B), y]))
        P /= total
        P[np.arange(B), y] -= 1.0
        return value, P / B
    R = out - y
    return float(0.5 * np.sum(R * R) / B), R / B


class Sequential:
    """A feed-forward network: a list of layers, trained on cross-entropy or squared error.

    Parameters
    ----------
    layers : list
        :class:`Dense`, :class:`Conv2d`, :class:`ReLU`, :class:`Tanh`,
        :class:`AvgPool2`, :class:`Flatten` objects (and the layers of
        :mod:`svdlab.nn.spectral_norm` and :mod:`svdlab.nn.lora`); for a classifier
        the last layer outputs the class logits.

    Attributes
    ----------
    loss_curve_ : list of float
        After :meth:`fit`: the mean training loss of each epoch (over its mini-batches,
        each measured before its update).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> net = make_mlp([64, 64, 64, 10], random_state=0).fit(X[:1000] / 16, y[:1000], epochs=10)
    >>> bool(net.accuracy(X[1000:] / 16, y[1000:]) > 0.85)
    True
    >>> small = net.factorized({2: 8})     # the 64 x 64 hidden layer becomes 64x8 and 8x64
    >>> net.n_params(), small.n_params()
    (8970, 5898)
    >>> bool(net.loss_curve_[-1] < net.loss_curve_[0])
    True

    References
    ----------
    D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    Taught in chapters 8 and 10.
    """

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X, train: bool = False) -> np.ndarray:
        """Outputs (logits) for a batch ``X``.

        Parameters
        ----------
        X : array_like of shape (n, n_in) or (N, C, H, W)
            The batch (converted to float32).
        train : bool, default False
            Let each layer keep what :meth:`backward` needs.

        Returns
        -------
        ndarray
            The last layer's output, one row per sample.
        """
        H = np.asarray(X, dtype=_F)
        for layer in self.layers:
            H = layer.forward(H, train)
        return H

    def backward(self, G) -> np.ndarray:
        """Back-propagate ``G = dL/d(output)`` after ``forward(X, train=True)``.

        Fills each layer's ``grads`` and returns ``dL/dX`` (a GAN's generator is
        trained through it).

        Parameters
        ----------
        G : ndarray, the shape of the output
            Gradient of the loss with respect to the network's output.

        Returns
        -------
        ndarray, the shape of ``X``
            Gradient with respect to the input.
        """
        for layer in reversed(self.layers):
            G = layer.backward(G)
        return G

    @property
    def params(self) -> list[np.ndarray]:
        """Every trainable array, in layer order (what an optimizer updates)."""
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self) -> list[np.ndarray]:
        """The gradients of :attr:`params` from the last :meth:`backward`."""
        return [g for layer in self.layers for g in layer.grads]

    def predict(self, X, batch_size: int = 4096) -> np.ndarray:
        """Predicted classes: the arg-max of the logits.

        Parameters
        ----------
        X : array_like of shape (n, n_in) or (N, C, H, W)
            The samples.
        batch_size : int, default 4096
            Samples per forward pass (bounds the memory used).

        Returns
        -------
        ndarray of int, shape (n,)
            The predicted class of each sample.

        Raises
        ------
        ValueError
            If ``X`` is not 2-D or 4-D, or holds NaN or infinity.
        """
        X = check_array(X, "X", ndim=(2, 4))
        return np.concatenate([self.forward(X[i:i + batch_size]).argmax(axis=1)
                               for i in range(0, X.shape[0], batch_size)])

    def accuracy(self, X, y) -> float:
        """Fraction of correctly classified samples.

        Parameters
        ----------
        X : array_like of shape (n, n_in) or (N, C, H, W)
            The samples.
        y : array_like of int, shape (n,)
            Their classes.

        Returns
        -------
        float
            In [0, 1].

        Raises
        ------
        ValueError
            If ``y`` is not a 1-D integer array or ``X`` is malformed.
        """
        y = check_array(y, "y", ndim=1, dtype="int")
        return float(np.mean(self.predict(X) == y))

    def loss(self, X, y, loss: str = "cross_entropy") -> float:
        """Mean loss on ``(X, y)``: cross-entropy (``y`` class labels) or ``"mse"``
        (``y`` targets; half the squared error, averaged over samples).

        Parameters
        ----------
        X : array_like of shape (n, n_in) or (N, C, H, W)
            The samples.
        y : array_like
            Class labels of shape (n,) for ``"cross_entropy"``, targets of shape (n, n_out) for
            ``"mse"``.
        loss : {"cross_entropy", "mse"}, default "cross_entropy"
            Which loss.

        Returns
        -------
        float
            The mean loss (computed in float64 from the float32 outputs).

        Raises
        ------
        ValueError
            If ``loss`` is not one of the two, or ``X`` or ``y`` has the wrong shape.
        """
        loss = check_option(loss, "loss", _LOSSES)
        X = check_array(X, "X", ndim=(2, 4))
        y = (check_array(y, "y", ndim=1, dtype="int") if loss == "cross_entropy"
             else check_array(y, "y", ndim=2))
        return _loss_and_grad(self.forward(X).astype(np.float64), y, loss)[0]

    def n_params(self) -> int:
        """Number of trainable parameters (weights and biases)."""
        return int(sum(p.size for p in self.params))

    def flops(self, X_shape) -> int:
        """FLOPs of the weight layers for an input of shape ``X_shape`` (2 per multiply-add).

        Parameters
        ----------
        X_shape : tuple of int
            Shape of an input batch; a zero batch of that shape is propagated to find each
            layer's input shape.

        Returns
        -------
        int
            The sum of the layers' ``flops`` (activations and pooling are not counted).
        """
        total, H = 0, np.zeros(X_shape, dtype=_F)
        for layer in self.layers:
            if hasattr(layer, "flops"):
                total += layer.flops(H.shape)
            H = layer.forward(H)
        return int(total)

    def copy(self) -> Sequential:
        """An independent copy (weights copied, no training state)."""
        return Sequential([_copy(layer) for layer in self.layers])

    def fit(self, X, y, *, epochs: int = 10, batch_size: int = 64, lr: float = 1e-3,
            weight_decay: float = 0.0, loss: str = "cross_entropy", optimizer: str = "adam",
            momentum: float = 0.0, spectral_penalty: float = 0.0, callback=None,
            verbose=False, random_state=0) -> Sequential:
        """Train (or fine-tune) by mini-batch gradient steps; returns ``self``.

        Parameters
        ----------
        X : ndarray, shape (n, ...)
        y : ndarray
            Class labels, shape (n,), for ``loss="cross_entropy"``; targets of the
            output's shape for ``loss="mse"`` (an autoencoder passes ``X``).
        epochs, batch_size : int
            Passes over the data, and samples per step (shuffled every epoch).
        lr : float
            Step size of the optimizer.
        weight_decay : float
            L2 (Frobenius) penalty on the weight matrices, see :class:`Adam`.
        loss : {"cross_entropy", "mse"}
        optimizer : {"adam", "sgd"}
        momentum : float
            Momentum of SGD (ignored by Adam).
        spectral_penalty : float
            ``lambda`` of the spectral-norm regularization of Yoshida & Miyato (2017):
            adds ``lambda / 2 * sigma_1(W)^2`` for every :class:`Dense` weight, whose
            gradient ``lambda sigma_1 u_1 v_1^T`` comes from one warm-started power
            iteration per step (:func:`svdlab.nn.spectral_norm_penalty`).
        callback : callable, optional
            ``callback(model, step)`` after every update (step counts from 1).
        verbose : bool
            Show a progress bar over the epochs with the current loss.
        random_state : None, int or numpy.random.Generator
            Seeds the shuffling (and the start vectors of ``spectral_penalty``).

        Returns
        -------
        self
            With ``loss_curve_`` set.

        Raises
        ------
        ValueError
            If ``X`` and ``y`` disagree in length or a hyperparameter is out of range.
        FloatingPointError
            If the loss overflows (the step size is too large for this network).
        """
        loss = check_option(loss, "loss", _LOSSES)
        optimizer = check_option(optimizer, "optimizer", ("adam", "sgd"))
        X = check_array(X, "X", ndim=(2, 4)).astype(_F)
        if loss == "cross_entropy":
            y = check_array(y, "y", ndim=1, dtype="int")
        else:
            y = check_array(y, "y", ndim=2).astype(_F)
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"X and y must have the same number of samples, got "
                             f"{X.shape[0]} and {y.shape[0]}")
        epochs = check_int(epochs, "epochs", min_value=1)
        batch_size = check_int(batch_size, "batch_size", min_value=1)
        lr = check_scalar(lr, "lr", low=0.0, include_low=False)
        weight_decay = check_scalar(weight_decay, "weight_decay", low=0.0)
        spectral_penalty = check_scalar(spectral_penalty, "spectral_penalty", low=0.0)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        rng = check_random_state(random_state)
        params = self.params
        opt = (Adam(params, lr=lr, weight_decay=weight_decay) if optimizer == "adam"
               else SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay))
        penalized = []
        if spectral_penalty:
            from .spectral_norm import _penalty_step

            penalized = [(i, layer) for i, layer in enumerate(self.layers)
                         if isinstance(layer, Dense)]
            offset = {id(p): k for k, p in enumerate(params)}
            vecs = {}
            for i, layer in penalized:
                v0 = rng.standard_normal(layer.W.shape[0])
                vecs[i] = (v0 / np.linalg.norm(v0)).astype(layer.W.dtype)
        n = X.shape[0]
        self.loss_curve_ = []
        bar = progress(range(epochs), verbose=verbose, desc="Sequential.fit")
        step = 0
        for _ in bar:
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                out = self.forward(X[idx], train=True)
                with np.errstate(over="ignore", invalid="ignore"):
                    value, G = _loss_and_grad(out, y[idx], loss)
                if not np.isfinite(value):
                    raise FloatingPointError(
                        f"the training loss became {value} at step {step + 1}: training "
                        f"diverged; use a smaller lr (got lr={lr:g})")
                total += value * idx.size
                self.backward(G)
                grads = self.grads
                if penalized:
                    grads = list(grads)
                    for i, layer in penalized:
                        _, gW, vecs[i] = _penalty_step(layer.W, vecs[i],
                                                               spectral_penalty)
                        k = offset[id(layer.W)]
                        grads[k] = grads[k] + gW.astype(grads[k].dtype)
                opt.step(grads)
                step += 1
                if callback is not None:
                    callback(self, step)
            self.loss_curve_.append(total / n)
            bar.set_postfix(loss=self.loss_curve_[-1])
        return self

    def factorized(self, ranks: dict[int, int], *, on_no_saving: str = "warn") -> Sequential:
        """A copy with layer ``i`` replaced by two low-rank layers, for each ``i: rank``.

        A :class:`Dense` layer becomes ``Dense(W1)`` then ``Dense(W2, b)``
        (:func:`~svdlab.compress.factorize_dense`); a :class:`Conv2d` becomes a
        convolution with ``rank`` filters then a 1x1 convolution
        (:func:`~svdlab.compress.factorize_conv`). The factors are computed in
        float64 and stored in float32.

        Parameters
        ----------
        ranks : dict of int to int
            Layer index (in ``layers``) to the rank kept.
        on_no_saving : {"warn", "raise", "ignore"}, default "warn"
            What to do when a rank stores no fewer parameters than the layer it replaces
            (passed on to the factorization).

        Returns
        -------
        Sequential
            A new network; this one is unchanged.

        Raises
        ------
        TypeError
            If ``ranks`` is not a dict.
        ValueError
            If an index names no layer, or a layer without a weight matrix, or a rank is out of
            range.

        Examples
        --------
        >>> net = make_mlp([16, 32, 4], random_state=0)
        >>> [type(layer).__name__ for layer in net.factorized({0: 4}).layers]
        ['Dense', 'Dense', 'ReLU', 'Dense']
        """
        if not isinstance(ranks, dict):
            raise TypeError(f"ranks must be a dict {{layer index: rank}}, got {type(ranks).__name__}")
        bad = [i for i in ranks if not isinstance(i, int) or not 0 <= i < len(self.layers)]
        if bad:
            raise ValueError(f"ranks: no layer with index {bad[0]!r} (the network has "
                             f"{len(self.layers)} layers)")
        new = []
        for i, layer in enumerate(self.layers):
            if i not in ranks:
                new.append(_copy(layer))
                continue
            if not isinstance(layer, Dense | Conv2d):
                raise ValueError(f"ranks: layer {i} is a {type(layer).__name__}, which has no "
                                 "weight matrix to factor")
            b = None if layer.b is None else layer.b.copy()
            if isinstance(layer, Dense):
                W1, W2 = factorize_dense(layer.W.astype(np.float64), rank=ranks[i],
                                         on_no_saving=on_no_saving)
                new += [Dense(W1), Dense(W2, b)]
            else:
                K1, K2 = factorize_conv(layer.K.astype(np.float64), ranks[i],
                                        on_no_saving=on_no_saving)
                new += [Conv2d(K1, padding=layer.padding), Conv2d(K2, b)]
        return Sequential(new)


def _copy(layer):
    if hasattr(layer, "copy"):  # the spectrally normalized and LoRA layers
        return layer.copy()
    if isinstance(layer, Dense):
        return Dense(layer.W.copy(), None if layer.b is None else layer.b.copy())
    if isinstance(layer, Conv2d):
        return Conv2d(layer.K.copy(), None if layer.b is None else layer.b.copy(),
                      layer.padding)
    return type(layer)()


_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "linear": None}


def make_mlp(sizes, random_state=0, *, activation: str = "relu", init: str = "he",
             gain: float | None = None, bias: bool = True) -> Sequential:
    """A multilayer perceptron with the given widths, e.g. ``[64, 1024, 1024, 10]``.

    Parameters
    ----------
    sizes : list of int
        Input width, hidden widths, output width.
    random_state : None, int or numpy.random.Generator
    activation : {"relu", "tanh", "linear"}
        Between consecutive dense layers (none after the last); ``"linear"`` makes a
        deep linear network, a product of matrices.
    init : {"he", "glorot", "gaussian", "orthogonal"}
        The weight initialization, see :mod:`svdlab.nn.init`.
    gain : float, optional
        Scale of ``"gaussian"`` (std ``gain / sqrt(fan_in)``, default 1) and
        ``"orthogonal"`` (all singular values equal ``gain``, default 1).
    bias : bool
        Give each dense layer a (zero-initialized) bias.

    Returns
    -------
    Sequential

    Raises
    ------
    ValueError
        If ``sizes`` has fewer than two widths or a width is not a positive integer,
        ``activation`` or ``init`` is unknown, or ``gain`` is not positive.

    References
    ----------
    K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers", ICCV 2015
    (the default initialization). Taught in chapters 8 and 10.

    Examples
    --------
    >>> [type(layer).__name__ for layer in make_mlp([4, 8, 3]).layers]
    ['Dense', 'ReLU', 'Dense']
    >>> net = make_mlp([5, 5, 5], activation="linear", init="orthogonal", bias=False)
    >>> W = net.layers[0].W
    >>> bool(np.allclose(W.T @ W, np.eye(5), atol=1e-6))
    True
    """
    sizes = [check_int(s, "sizes[i]", min_value=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
    activation = check_option(activation, "activation", tuple(_ACTIVATIONS))
    init = check_option(init, "init", ("he", "glorot", "gaussian", "orthogonal"))
    if gain is not None:
        gain = check_scalar(gain, "gain", low=0.0, include_low=False)
    rng = check_random_state(random_state)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        if init == "he":
            W = _init.he_init((a, b), random_state=rng)
        elif init == "glorot":
            W = _init.glorot_init((a, b), random_state=rng)
        elif init == "gaussian":
            W = _init.gaussian_init((a, b), 1.0 if gain is None else gain, random_state=rng)
        else:
            W = _init.orthogonal_init((a, b), 1.0 if gain is None else gain, random_state=rng)
        layers.append(Dense(W, np.zeros(b) if bias else None))
        if i < len(sizes) - 2 and _ACTIVATIONS[activation] is not None:
            layers.append(_ACTIVATIONS[activation]())
    return Sequential(layers)


def make_cnn(channels: tuple[int, int] = (16, 32), n_classes: int = 10, side: int = 8,
             random_state=0) -> Sequential:
    """A small CNN for ``side x side`` grey images (N, 1, side, side).

    conv 3x3 (1 -> c1, padding 1), ReLU, conv 3x3 (c1 -> c2, padding 1), ReLU,
    2x2 average pooling, flatten, dense to ``n_classes``.

    Parameters
    ----------
    channels : (int, int), default (16, 32)
        Output channels of the two convolutions.
    n_classes : int, default 10
        Number of classes (outputs).
    side : int, default 8
        Height and width of the images (even, for the pooling).
    random_state : None, int or numpy.random.Generator, default 0
        Seeds the He-style initialization of every kernel and of the dense layer.

    Returns
    -------
    Sequential
        The network, with zero biases.

    Raises
    ------
    ValueError
        If a channel count or ``n_classes`` is not a positive integer (``n_classes`` at least
        2), or ``side`` is odd or below 2.

    References
    ----------
    K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers", ICCV 2015
    (the initialization). Taught in chapter 8.

    Examples
    --------
    >>> net = make_cnn()
    >>> net.forward(np.zeros((2, 1, 8, 8))).shape, net.n_params()
    ((2, 10), 9930)
    """
    c1, c2 = (check_int(c, "channels[i]", min_value=1) for c in channels)
    n_classes = check_int(n_classes, "n_classes", min_value=2)
    side = check_int(side, "side", min_value=2)
    if side % 2:
        raise ValueError(f"side must be even (2x2 pooling), got {side}")
    rng = check_random_state(random_state)
    flat = c2 * (side // 2) ** 2
    return Sequential([
        Conv2d(rng.standard_normal((c1, 1, 3, 3)) * np.sqrt(2 / 9), np.zeros(c1), padding=1),
        ReLU(),
        Conv2d(rng.standard_normal((c2, c1, 3, 3)) * np.sqrt(2 / (9 * c1)), np.zeros(c2),
               padding=1),
        ReLU(),
        AvgPool2(),
        Flatten(),
        Dense(rng.standard_normal((flat, n_classes)) * np.sqrt(1 / flat), np.zeros(n_classes)),
    ])
