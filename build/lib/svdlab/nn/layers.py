"""A small neural-network toolkit in NumPy, to train, factor and fine-tune real networks.

Taught in chapter 8: the chapter trains an MLP and a small convolutional network on
scikit-learn's digits, replaces their layers by low-rank factors
(:mod:`svdlab.compress`) kept as two layers each, and fine-tunes the result. Only
what that needs is here: dense and convolutional layers (stride 1), ReLU, 2x2
average pooling, softmax cross-entropy and Adam (Kingma & Ba 2015). Computations
run in float32, as deployed networks do.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array, check_int, check_random_state, check_scalar
from ..compress import _im2col, conv2d, factorize_conv, factorize_dense

__all__ = [
    "Dense",
    "Conv2d",
    "ReLU",
    "AvgPool2",
    "Flatten",
    "Sequential",
    "make_mlp",
    "make_cnn",
]

_F = np.float32


class Dense:
    """``y = x W (+ b)`` with ``W`` of shape (n_in, n_out)."""

    def __init__(self, W, b=None):
        self.W = np.asarray(W, dtype=_F)
        self.b = None if b is None else np.asarray(b, dtype=_F)

    @property
    def params(self) -> list[np.ndarray]:
        return [self.W] if self.b is None else [self.W, self.b]

    def forward(self, X, train=False):
        if train:
            self._X = X
        Y = X @ self.W
        return Y if self.b is None else Y + self.b

    def backward(self, G):
        self.grads = [self._X.T @ G] + ([] if self.b is None else [G.sum(axis=0)])
        return G @ self.W.T

    def flops(self, X_shape) -> int:
        return int(np.prod(X_shape[:-1])) * self.W.size


class Conv2d:
    """Convolution (stride 1) with kernel ``K`` of shape (c_out, c_in, kh, kw)."""

    def __init__(self, K, b=None, padding: int = 0):
        self.K = np.asarray(K, dtype=_F)
        self.b = None if b is None else np.asarray(b, dtype=_F)
        self.padding = padding

    @property
    def params(self) -> list[np.ndarray]:
        return [self.K] if self.b is None else [self.K, self.b]

    def forward(self, X, train=False):
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
        c_out, c_in, kh, kw = self.K.shape
        Ho = X_shape[2] + 2 * self.padding - kh + 1
        Wo = X_shape[3] + 2 * self.padding - kw + 1
        return X_shape[0] * Ho * Wo * self.K.size


class ReLU:
    params: list = []

    def forward(self, X, train=False):
        if train:
            self._mask = X > 0
        return np.maximum(X, 0)

    def backward(self, G):
        self.grads = []
        return G * self._mask


class AvgPool2:
    """2x2 average pooling with stride 2 (H and W must be even)."""

    params: list = []

    def forward(self, X, train=False):
        N, C, H, W = X.shape
        return X.reshape(N, C, H // 2, 2, W // 2, 2).mean(axis=(3, 5))

    def backward(self, G):
        self.grads = []
        return np.repeat(np.repeat(G, 2, axis=2), 2, axis=3) / 4


class Flatten:
    params: list = []

    def forward(self, X, train=False):
        self._shape = X.shape
        return X.reshape(X.shape[0], -1)

    def backward(self, G):
        self.grads = []
        return G.reshape(self._shape)


class Sequential:
    """A feed-forward classifier: a list of layers, softmax cross-entropy, Adam.

    Parameters
    ----------
    layers : list
        :class:`Dense`, :class:`Conv2d`, :class:`ReLU`, :class:`AvgPool2`,
        :class:`Flatten` objects; the last layer outputs the class logits.

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

    References
    ----------
    D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    Taught in chapter 8.
    """

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, X, train: bool = False) -> np.ndarray:
        """Logits for a batch ``X``."""
        H = np.asarray(X, dtype=_F)
        for layer in self.layers:
            H = layer.forward(H, train)
        return H

    def predict(self, X, batch_size: int = 4096) -> np.ndarray:
        """Predicted classes."""
        X = check_array(X, "X", ndim=(2, 4))
        return np.concatenate([self.forward(X[i:i + batch_size]).argmax(axis=1)
                               for i in range(0, X.shape[0], batch_size)])

    def accuracy(self, X, y) -> float:
        """Fraction of correctly classified samples."""
        y = check_array(y, "y", ndim=1, dtype="int")
        return float(np.mean(self.predict(X) == y))

    def n_params(self) -> int:
        """Number of parameters (weights and biases)."""
        return int(sum(p.size for layer in self.layers for p in layer.params))

    def flops(self, X_shape) -> int:
        """Multiply-adds of the weight layers for an input of shape ``X_shape``."""
        total, H = 0, np.zeros(X_shape, dtype=_F)
        for layer in self.layers:
            if hasattr(layer, "flops"):
                total += layer.flops(H.shape)
            H = layer.forward(H)
        return int(total)

    def fit(self, X, y, *, epochs: int = 10, batch_size: int = 64, lr: float = 1e-3,
            weight_decay: float = 0.0, random_state=0) -> Sequential:
        """Train (or fine-tune) with Adam on softmax cross-entropy; returns ``self``."""
        X = check_array(X, "X", ndim=(2, 4)).astype(_F)
        y = check_array(y, "y", ndim=1, dtype="int")
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"X and y must have the same number of samples, got "
                             f"{X.shape[0]} and {y.shape[0]}")
        epochs = check_int(epochs, "epochs", min_value=1)
        batch_size = check_int(batch_size, "batch_size", min_value=1)
        lr = check_scalar(lr, "lr", low=0.0, include_low=False)
        weight_decay = check_scalar(weight_decay, "weight_decay", low=0.0)
        rng = check_random_state(random_state)
        params = [p for layer in self.layers for p in layer.params]
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        b1, b2, eps, step = 0.9, 0.999, 1e-8, 0
        n = X.shape[0]
        for _ in range(epochs):
            order = rng.permutation(n)
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                logits = self.forward(X[idx], train=True)
                P = np.exp(logits - logits.max(axis=1, keepdims=True))
                P /= P.sum(axis=1, keepdims=True)
                P[np.arange(idx.size), y[idx]] -= 1.0
                G = P / idx.size
                for layer in reversed(self.layers):
                    G = layer.backward(G)
                grads = [g for layer in self.layers for g in layer.grads]
                step += 1
                for p, g, mi, vi in zip(params, grads, m, v, strict=True):
                    if weight_decay and p.ndim > 1:
                        g = g + weight_decay * p
                    mi *= b1
                    mi += (1 - b1) * g
                    vi *= b2
                    vi += (1 - b2) * g * g
                    mhat = mi / (1 - b1**step)
                    vhat = vi / (1 - b2**step)
                    p -= (lr * mhat / (np.sqrt(vhat) + eps)).astype(_F)
        return self

    def factorized(self, ranks: dict[int, int], *, on_no_saving: str = "warn") -> Sequential:
        """A copy with layer ``i`` replaced by two low-rank layers, for each ``i: rank``.

        A :class:`Dense` layer becomes ``Dense(W1)`` then ``Dense(W2, b)``
        (:func:`~svdlab.compress.factorize_dense`); a :class:`Conv2d` becomes a
        convolution with ``rank`` filters then a 1x1 convolution
        (:func:`~svdlab.compress.factorize_conv`). The factors are computed in
        float64 and stored in float32. ``on_no_saving`` is passed on.
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
    if isinstance(layer, Dense):
        return Dense(layer.W.copy(), None if layer.b is None else layer.b.copy())
    if isinstance(layer, Conv2d):
        return Conv2d(layer.K.copy(), None if layer.b is None else layer.b.copy(),
                      layer.padding)
    return type(layer)()


def make_mlp(sizes, random_state=0) -> Sequential:
    """A ReLU MLP with He-initialized layers of the given widths, e.g. ``[64, 1024, 1024, 10]``.

    References
    ----------
    K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers", ICCV 2015
    (the initialization). Taught in chapter 8.

    Examples
    --------
    >>> [type(layer).__name__ for layer in make_mlp([4, 8, 3]).layers]
    ['Dense', 'ReLU', 'Dense']
    """
    sizes = [check_int(s, "sizes[i]", min_value=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
    rng = check_random_state(random_state)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Dense(rng.standard_normal((a, b)) * np.sqrt(2.0 / a), np.zeros(b)))
        if i < len(sizes) - 2:
            layers.append(ReLU())
    return Sequential(layers)


def make_cnn(channels: tuple[int, int] = (16, 32), n_classes: int = 10, side: int = 8,
             random_state=0) -> Sequential:
    """A small CNN for ``side x side`` grey images (N, 1, side, side).

    conv 3x3 (1 -> c1, padding 1), ReLU, conv 3x3 (c1 -> c2, padding 1), ReLU,
    2x2 average pooling, flatten, dense to ``n_classes``.

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
