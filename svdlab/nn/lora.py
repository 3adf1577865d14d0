"""Low-rank adaptation (LoRA) of dense layers, with zero or principal (PiSSA) initialization.

Taught in chapter 10. To adapt a trained layer ``y = x W + b`` to a new task, LoRA
(Hu et al. 2022) freezes ``W`` and learns a low-rank update,

    y = x (W + s A B) + b,   A: n_in x r,  B: r x n_out,  s = alpha / r,

training ``r (n_in + n_out)`` parameters instead of ``n_in n_out``. Hu et al. start
from ``A`` Gaussian and ``B = 0`` (**zero** initialization): the adapted network starts
as the pre-trained one, and the scale ``alpha / r`` with ``alpha`` fixed keeps the
effective step size roughly independent of ``r``. Here ``A`` has entries
``N(0, 1 / n_in)``.

PiSSA (Meng, Wang & Zhang 2024) initializes the adapter with the **principal** part of
``W`` instead: with the SVD ``W = U S V^T``,

    A = U_r S_r^(1/2),   B = S_r^(1/2) V_r^T,   W_res = W - A B   (frozen),  s = 1,

so that the network also starts as the pre-trained one, but the trainable factors hold
the directions that matter most, and the frozen residual holds the small singular
values. Meng et al. compute the SVD with a randomized method (``torch.svd_lowrank``);
``svd="randomized"`` uses :func:`svdlab.randomized.randomized_svd`.

The learned update ``Delta W = W_eff - W`` has rank at most ``r`` (zero initialization)
or ``2 r`` (PiSSA: ``A B - A_0 B_0``); its singular values (:meth:`LoRADense.delta_weight`
and :func:`svdlab.linalg.svd`) show how many directions the adaptation really used,
the "intrinsic rank" of Hu et al.

References
----------
E. J. Hu, Y. Shen, P. Wallis, Z. Allen-Zhu, Y. Li, S. Wang, L. Wang and W. Chen,
"LoRA: low-rank adaptation of large language models", ICLR 2022.
F. Meng, Z. Wang and M. Zhang, "PiSSA: principal singular values and singular vectors
adaptation of large language models", NeurIPS 2024.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_option, check_random_state, check_rank, check_scalar
from ..linalg import svd as _svd
from ..randomized import randomized_svd
from .layers import Dense, Sequential, _copy

__all__ = ["LoRADense", "add_lora", "merge_lora"]

_F = np.float32


class LoRADense:
    """A frozen dense layer plus a trainable rank-``r`` update ``s A B``.

    Parameters
    ----------
    layer : Dense
        The pre-trained layer (copied, never modified).
    rank : int
        ``r``, between 1 and ``min(n_in, n_out)``.
    init : {"zero", "pissa"}
        ``"zero"``: ``A ~ N(0, 1/n_in)``, ``B = 0``, ``s = alpha / r`` (Hu et al.).
        ``"pissa"``: the top-``r`` singular triplets in ``A`` and ``B``, the rest frozen,
        ``s = 1`` (Meng et al.).
    alpha : float
        Numerator of the scale ``alpha / r`` of zero initialization (unused by PiSSA).
    svd : {"exact", "randomized"}
        How PiSSA computes the top ``r`` triplets.
    n_iter : int
        Power iterations of the randomized SVD.
    random_state : None, int or numpy.random.Generator

    Attributes
    ----------
    W0 : ndarray (n_in, n_out)
        The frozen matrix: ``W`` (zero init) or ``W - A_0 B_0`` (PiSSA).
    A, B : ndarray
        The trainable factors; ``params`` is ``[A, B]``.
    b : ndarray or None
        The frozen bias.
    scale : float
    W_pretrained : ndarray
        The pre-trained ``W``, to measure the update.

    Raises
    ------
    TypeError
        If ``layer`` is not a :class:`~svdlab.nn.Dense` layer.
    ValueError
        If ``rank`` is not in ``1..min(n_in, n_out)``, ``init`` or ``svd`` is unknown,
        ``alpha`` is not positive or ``n_iter`` is negative.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> base = Dense(rng.standard_normal((30, 20)), np.zeros(20))
    >>> X = rng.standard_normal((4, 30)).astype(np.float32)
    >>> for init in ("zero", "pissa"):
    ...     lo = LoRADense(base, rank=4, init=init, random_state=0)
    ...     print(init, np.allclose(lo.forward(X), base.forward(X), atol=1e-4), lo.n_params())
    zero True 200
    pissa True 200

    References
    ----------
    E. J. Hu et al., "LoRA: low-rank adaptation of large language models", ICLR 2022.
    F. Meng, Z. Wang and M. Zhang, "PiSSA", NeurIPS 2024. Taught in chapter 10.
    """

    def __init__(self, layer, rank: int, *, init: str = "zero", alpha: float = 8.0,
                 svd: str = "exact", n_iter: int = 4, random_state=None):
        if not isinstance(layer, Dense):
            raise TypeError(f"layer must be a Dense layer, got {type(layer).__name__}")
        n_in, n_out = layer.W.shape
        self.rank = check_rank(rank, (n_in, n_out), "rank")
        self.init = check_option(init, "init", ("zero", "pissa"))
        alpha = check_scalar(alpha, "alpha", low=0.0, include_low=False)
        svd = check_option(svd, "svd", ("exact", "randomized"))
        n_iter = check_int(n_iter, "n_iter", min_value=0)
        rng = check_random_state(random_state)
        W = layer.W.astype(np.float64)
        self.W_pretrained = layer.W.copy()
        self.b = None if layer.b is None else layer.b.copy()
        r = self.rank
        if self.init == "zero":
            self.scale = alpha / r
            self.A = (rng.standard_normal((n_in, r)) / np.sqrt(n_in)).astype(_F)
            self.B = np.zeros((r, n_out), dtype=_F)
            self.W0 = layer.W.copy()
        else:
            self.scale = 1.0
            if svd == "exact":
                U, s, Vt = _svd(W)
                U, s, Vt = U[:, :r], s[:r], Vt[:r]
            else:
                U, s, Vt = randomized_svd(W, r, n_iter=n_iter, random_state=rng)
            root = np.sqrt(s)
            A, B = U * root, root[:, None] * Vt
            self.A, self.B = A.astype(_F), B.astype(_F)
            self.W0 = (W - A @ B).astype(_F)

    @property
    def params(self) -> list[np.ndarray]:
        return [self.A, self.B]

    def n_params(self) -> int:
        """Trainable parameters, ``r (n_in + n_out)``."""
        return int(self.A.size + self.B.size)

    def effective_weight(self) -> np.ndarray:
        """``W0 + s A B``, the matrix the layer applies."""
        return self.W0 + np.asarray(self.scale, dtype=_F) * (self.A @ self.B)

    weight_matrix = effective_weight

    def delta_weight(self) -> np.ndarray:
        """The learned update ``W_eff - W_pretrained`` (float64)."""
        return (self.W0.astype(np.float64) + self.scale * (self.A.astype(np.float64)
                                                          @ self.B.astype(np.float64))
                - self.W_pretrained.astype(np.float64))

    def forward(self, X, train=False):
        """``X W0 + s (X A) B + b``: the update is never formed as a matrix.

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
            A batch of inputs (float32).
        train : bool, default False
            Keep ``X`` and ``X A`` for :meth:`backward`.

        Returns
        -------
        ndarray of shape (n, n_out)
            The layer's output.
        """
        XA = X @ self.A
        if train:
            self._X, self._XA = X, XA
        Y = X @ self.W0 + np.asarray(self.scale, dtype=_F) * (XA @ self.B)
        return Y if self.b is None else Y + self.b

    def backward(self, G):
        """Back-propagate ``G = dL/d(output)`` (after ``forward(X, train=True)``).

        Parameters
        ----------
        G : ndarray of shape (n, n_out)
            Gradient of the loss with respect to the layer's output.

        Returns
        -------
        ndarray of shape (n, n_in)
            Gradient with respect to the input; ``grads`` holds the gradients of ``A`` and ``B`` only (``W0`` and ``b`` are frozen).
        """
        s = np.asarray(self.scale, dtype=_F)
        GBt = G @ self.B.T
        self.grads = [s * (self._X.T @ GBt), s * (self._XA.T @ G)]
        return G @ self.W0.T + s * (GBt @ self.A.T)

    def _jvp(self, H, T):
        W = self.effective_weight().astype(np.float64)
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
            ``2 * (rows of X) * (n_in n_out + r (n_in + n_out))``: the frozen product plus the
            two thin ones.
        """
        # 2 FLOPs per multiply-add, through W0 and the two adapter factors
        return 2 * int(np.prod(X_shape[:-1])) * (self.W0.size + self.A.size + self.B.size)

    def copy(self) -> LoRADense:
        new = LoRADense.__new__(LoRADense)
        new.__dict__.update({k: (v.copy() if isinstance(v, np.ndarray) else v)
                             for k, v in self.__dict__.items() if not k.startswith("_")})
        return new

    def merged(self) -> Dense:
        """A plain dense layer with the adapted weight (for deployment)."""
        return Dense(self.effective_weight(), None if self.b is None else self.b.copy())


def add_lora(model, rank: int, *, init: str = "zero", alpha: float = 8.0, layers=None,
             svd: str = "exact", n_iter: int = 4, random_state=None) -> Sequential:
    """A copy of ``model`` with LoRA adapters on its dense layers (everything else frozen).

    Parameters
    ----------
    model : Sequential
    rank : int
        Adapter rank, clipped to ``min(n_in, n_out)`` of each layer.
    init, alpha, svd, n_iter
        As in :class:`LoRADense`.
    layers : iterable of int, optional
        Indices of the dense layers to adapt (default: all). Dense layers not listed
        are frozen; the other layers (activations) are copied.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    Sequential
        Its ``params`` are the adapters' factors only.

    Raises
    ------
    ValueError
        If an index in ``layers`` is not a dense layer.

    Examples
    --------
    >>> from svdlab.nn import make_mlp
    >>> net = make_mlp([64, 32, 10], random_state=0)
    >>> lo = add_lora(net, 4, random_state=0)
    >>> lo.n_params(), 4 * (64 + 32) + 4 * (32 + 10)
    (552, 552)
    >>> X = np.ones((2, 64), dtype=np.float32)
    >>> np.allclose(lo.forward(X), net.forward(X))
    True

    Taught in chapter 10.
    """
    rng = check_random_state(random_state)
    dense = [i for i, layer in enumerate(model.layers) if isinstance(layer, Dense)]
    chosen = dense if layers is None else list(layers)
    bad = [i for i in chosen if i not in dense]
    if bad:
        raise ValueError(f"layers: layer {bad[0]!r} is not a Dense layer of the model "
                         f"(dense layers: {dense})")
    new = []
    for i, layer in enumerate(model.layers):
        if i in chosen:
            r = min(check_int(rank, "rank", min_value=1), *layer.W.shape)
            new.append(LoRADense(layer, r, init=init, alpha=alpha, svd=svd, n_iter=n_iter,
                                 random_state=rng))
        elif isinstance(layer, Dense):
            new.append(_Frozen(layer.W.copy(), None if layer.b is None else layer.b.copy()))
        else:
            new.append(_copy(layer))
    return Sequential(new)


class _Frozen(Dense):
    """A dense layer that trains nothing (no parameters offered to the optimizer)."""

    @property
    def params(self) -> list[np.ndarray]:
        return []

    def backward(self, G):
        self.grads = []
        return G @ self.W.T

    def copy(self):
        return _Frozen(self.W.copy(), None if self.b is None else self.b.copy())


def merge_lora(model) -> Sequential:
    """Replace every LoRA layer by the plain dense layer it computes.

    Parameters
    ----------
    model : Sequential

    Returns
    -------
    Sequential

    Examples
    --------
    >>> from svdlab.nn import make_mlp
    >>> lo = add_lora(make_mlp([8, 6, 3], random_state=0), 2, init="pissa")
    >>> [type(layer).__name__ for layer in merge_lora(lo).layers]
    ['Dense', 'ReLU', 'Dense']

    Taught in chapter 10.
    """
    out = []
    for layer in model.layers:
        if isinstance(layer, LoRADense):
            out.append(layer.merged())
        elif isinstance(layer, _Frozen):
            out.append(Dense(layer.W.copy(), None if layer.b is None else layer.b.copy()))
        else:
            out.append(layer)
    return Sequential(out)
