"""Compressing dense layers by low-rank factors: plain, activation-aware and whitened SVD.

Taught in chapter 11b. A dense layer ``y = x W + b`` with ``W`` of shape ``(n_in, n_out)``
is replaced by :class:`FactoredLinear`, ``y = (x A) B + b`` with ``A`` of shape
``(n_in, r)`` and ``B`` of shape ``(r, n_out)``: ``r (n_in + n_out)`` weights instead of
``n_in n_out``, and as many multiply-adds per input row. ``W`` is never rebuilt.

Three ways to choose the factors, all truncated SVDs of a transformed matrix ``S W``
(:func:`layer_svd`), undone by ``A = S^{-1} U_r Sigma_r^{1/2}``:

* ``"plain"``: ``S = I``, the Eckart-Young best approximation of ``W`` in the Frobenius
  norm, blind to the inputs the layer sees;
* ``"asvd"``: ``S = diag(mean |x_j|)^alpha`` (ASVD, Yuan et al. 2023), input channels that
  carry large activations weigh more;
* ``"whitened"``: ``S = L^T`` with ``L L^T = X^T X`` the Cholesky factor of the Gram matrix
  of calibration inputs (SVD-LLM, Wang et al. 2025). Then ``||X (W - A B)||_F`` equals the
  Frobenius norm of the discarded singular values of ``L^T W``: the truncation minimizes
  the error of the layer's *outputs* on the calibration data.

:func:`allocate_ranks` spends one global parameter budget over many layers, greedily by
the error reduction per parameter; :func:`refit_right` recomputes ``B`` by least squares
on the calibration inputs once ``A`` is fixed. For the sentence encoder of
:mod:`svdlab.nn.minilm`, :func:`minilm_calibration` gathers the input statistics of its 36
dense layers and :class:`CompressedMiniLM` runs it with some of them factored.

References
----------
C. Eckart and G. Young, "The approximation of one matrix by another of lower rank",
Psychometrika 1 (1936).
Z. Yuan et al., "ASVD: activation-aware singular value decomposition for compressing
large language models", arXiv:2312.05821 (2023).
X. Wang, Y. Zheng, Z. Wan and M. Zhang, "SVD-LLM: truncation-aware singular value
decomposition for large language model compression", ICLR 2025.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg as sla

from .._progress import progress
from .._validation import (
    check_array,
    check_fraction,
    check_int,
    check_matrix,
    check_option,
    check_scalar,
)
from . import minilm as _minilm

__all__ = [
    "METHODS",
    "FactoredLinear",
    "InputStats",
    "LayerSVD",
    "layer_svd",
    "whitening_factor",
    "refit_right",
    "output_error",
    "allocate_ranks",
    "break_even_rank",
    "minilm_calibration",
    "minilm_layer_svds",
    "CompressedMiniLM",
    "minilm_sequential_factors",
]

METHODS = ("plain", "asvd", "whitened")
"""The factorizations :func:`layer_svd` knows."""


class FactoredLinear:
    """A dense layer kept as two factors: ``x -> (x A) B + bias``.

    Parameters
    ----------
    A : array of shape (n_in, r)
        First factor (the layer ``n_in -> r``).
    B : array of shape (r, n_out)
        Second factor (the layer ``r -> n_out``).
    bias : array of shape (n_out,), optional
        Added to the output.

    Attributes
    ----------
    A, B, bias : ndarray
        The factors as given (float32 stays float32).
    rank : int
        ``r``.
    shape : tuple of int
        ``(n_in, n_out)`` of the dense layer it replaces.

    Raises
    ------
    ValueError
        If the inner dimensions of ``A`` and ``B`` differ, or ``bias`` has the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A, B = rng.standard_normal((6, 2)), rng.standard_normal((2, 4))
    >>> layer = FactoredLinear(A, B, bias=np.ones(4))
    >>> x = rng.standard_normal((3, 6))
    >>> bool(np.allclose(layer(x), x @ A @ B + 1))
    True
    >>> layer.rank, layer.shape, layer.n_params, layer.n_params_dense
    (2, (6, 4), 24, 28)

    References
    ----------
    E. Denton et al., "Exploiting linear structure within convolutional networks for
    efficient evaluation", NIPS 2014. Taught in chapter 11b.
    """

    def __init__(self, A, B, bias=None):
        A = check_matrix(A, "A")
        B = check_matrix(B, "B")
        if A.shape[1] != B.shape[0]:
            raise ValueError(f"A has {A.shape[1]} columns but B has {B.shape[0]} rows; "
                             "they must be equal (the rank)")
        if bias is not None:
            bias = check_array(bias, "bias", ndim=1)
            if bias.shape[0] != B.shape[1]:
                raise ValueError(f"bias must have length {B.shape[1]} (n_out), "
                                 f"got {bias.shape[0]}")
        self.A, self.B, self.bias = A, B, bias

    @property
    def rank(self) -> int:
        return self.A.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape[0], self.B.shape[1]

    @property
    def n_params(self) -> int:
        """Weights stored: ``r (n_in + n_out)`` plus the bias."""
        return self.A.size + self.B.size + (0 if self.bias is None else self.bias.size)

    @property
    def n_params_dense(self) -> int:
        """Weights of the dense layer it replaces: ``n_in n_out`` plus the bias."""
        m, n = self.shape
        return m * n + (0 if self.bias is None else self.bias.size)

    @property
    def nbytes(self) -> int:
        """Memory held by the factors and the bias, in bytes."""
        return self.A.nbytes + self.B.nbytes + (0 if self.bias is None else self.bias.nbytes)

    def forward(self, x):
        """Apply the layer to ``x`` of shape ``(..., n_in)``: two products, never ``A @ B``.

        Parameters
        ----------
        x : ndarray of shape (..., n_in)
            Inputs, one per row (leading axes are batch axes).

        Returns
        -------
        ndarray of shape (..., n_out)
        """
        if x.shape[-1] != self.A.shape[0]:
            raise ValueError(f"x must have {self.A.shape[0]} features in its last axis, "
                             f"got shape {x.shape}")
        y = (x @ self.A) @ self.B
        if self.bias is not None:
            y += self.bias
        return y

    __call__ = forward

    def __repr__(self) -> str:
        return f"FactoredLinear(n_in={self.shape[0]}, rank={self.rank}, n_out={self.shape[1]})"


@dataclass(frozen=True)
class InputStats:
    """What calibration inputs of one layer tell the factorization: Gram matrix and scale.

    Add two of them (``a + b``) to pool batches; build one with :meth:`from_inputs`.

    Parameters
    ----------
    gram : ndarray of shape (n_in, n_in)
        ``X^T X`` summed over the calibration rows, float64.
    abs_sum : ndarray of shape (n_in,)
        Sum of ``|x_j|`` over the rows, per input channel.
    n_samples : int
        Number of rows seen.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(6.0).reshape(3, 2)
    >>> s = InputStats.from_inputs(X[:2]) + InputStats.from_inputs(X[2:])
    >>> bool(np.allclose(s.gram, X.T @ X)), s.n_samples, s.abs_mean.tolist()
    (True, 3, [2.0, 3.0])

    References
    ----------
    X. Wang et al., SVD-LLM, ICLR 2025 (the Gram matrix); Z. Yuan et al., ASVD (2023)
    (the mean absolute activation). Taught in chapter 11b.
    """

    gram: np.ndarray
    abs_sum: np.ndarray
    n_samples: int

    @classmethod
    def from_inputs(cls, X) -> InputStats:
        """Statistics of the rows of ``X`` (shape ``(n_samples, n_in)``).

        Parameters
        ----------
        X : array of shape (n_samples, n_in)
            Inputs of the layer, one per row.

        Returns
        -------
        InputStats
        """
        X = check_matrix(X, "X")
        X64 = X.astype(np.float64)
        return cls(X64.T @ X64, np.abs(X64).sum(axis=0), X.shape[0])

    @property
    def abs_mean(self) -> np.ndarray:
        """Mean ``|x_j|`` per input channel."""
        return self.abs_sum / self.n_samples

    def __add__(self, other: InputStats) -> InputStats:
        if not isinstance(other, InputStats):
            return NotImplemented
        if other.gram.shape != self.gram.shape:
            raise ValueError(f"cannot pool statistics of {self.gram.shape[0]} and "
                             f"{other.gram.shape[0]} input channels")
        return InputStats(self.gram + other.gram, self.abs_sum + other.abs_sum,
                          self.n_samples + other.n_samples)


def whitening_factor(gram, damping: float = 1e-6) -> np.ndarray:
    """Lower Cholesky factor ``L`` of ``gram + damping * mean(diag(gram)) * I``.

    With ``X^T X = L L^T``, ``||X M||_F = ||L^T M||_F`` for every ``M``: multiplying by
    ``L^T`` turns the error on the calibration outputs into a Frobenius norm.

    Parameters
    ----------
    gram : array of shape (n, n)
        Symmetric positive semi-definite (a Gram matrix ``X^T X``).
    damping : float, default 1e-6
        Ridge added to the diagonal, relative to its mean: makes a rank-deficient
        Gram matrix (fewer calibration rows than channels) positive definite.

    Returns
    -------
    ndarray of shape (n, n)
        Lower triangular ``L``.

    Raises
    ------
    ValueError
        If ``gram`` is not square, or is not positive definite even after damping.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((50, 4))
    >>> L = whitening_factor(X.T @ X, damping=0.0)
    >>> M = np.ones((4, 3))
    >>> bool(np.isclose(np.linalg.norm(X @ M), np.linalg.norm(L.T @ M)))
    True

    References
    ----------
    X. Wang et al., "SVD-LLM", ICLR 2025 (truncation-aware data whitening).
    Taught in chapter 11b.
    """
    G = check_matrix(gram, "gram").astype(np.float64)
    if G.shape[0] != G.shape[1]:
        raise ValueError(f"gram must be square, got shape {G.shape}")
    damping = check_scalar(damping, "damping", low=0.0)
    G = 0.5 * (G + G.T)
    if damping > 0:
        G = G + damping * np.mean(np.diag(G)) * np.eye(G.shape[0])
    try:
        return np.linalg.cholesky(G)
    except np.linalg.LinAlgError as exc:
        raise ValueError("gram is not positive definite; increase damping or give more "
                         "calibration rows than input channels") from exc


@dataclass(frozen=True)
class LayerSVD:
    """The SVD of a layer's transformed weight ``S W``, ready to truncate at any rank.

    Made by :func:`layer_svd`. ``s`` are the singular values of ``S W``: for
    ``"whitened"``, ``sqrt(sum(s[r:]**2))`` is the error ``||X (W - A B)||_F`` of the
    rank-``r`` factors on the calibration inputs; for ``"plain"``, ``||W - A B||_F``.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    U : ndarray of shape (n_in, k)
    s : ndarray of shape (k,)
    Vt : ndarray of shape (k, n_out)
        Thin SVD of ``S W``.
    left : ndarray or None
        ``L`` (lower triangular) for ``"whitened"``, the diagonal of ``S`` for
        ``"asvd"``, ``None`` for ``"plain"``.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.random.default_rng(0).standard_normal((5, 4))
    >>> svd = layer_svd(W)
    >>> f = svd.factor(4)
    >>> bool(np.allclose(f.A @ f.B, W)), round(svd.error(4), 12)
    (True, 0.0)

    References
    ----------
    X. Wang et al., "SVD-LLM", ICLR 2025. Taught in chapter 11b.
    """

    method: str
    U: np.ndarray
    s: np.ndarray
    Vt: np.ndarray
    left: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.U.shape[0], self.Vt.shape[1]

    def error(self, rank: int) -> float:
        """Norm of the discarded singular values, ``sqrt(sum(s[rank:]**2))``.

        Parameters
        ----------
        rank : int
            Kept rank, ``0 <= rank <= len(s)``.

        Returns
        -------
        float
        """
        rank = check_int(rank, "rank", min_value=0, max_value=len(self.s))
        return float(np.sqrt(np.sum(self.s[rank:] ** 2)))

    def factor(self, rank: int, bias=None, dtype=np.float32) -> FactoredLinear:
        """Rank-``rank`` factors ``A = S^{-1} U_r Sigma_r^{1/2}``, ``B = Sigma_r^{1/2} V_r^T``.

        Parameters
        ----------
        rank : int
            Kept rank, ``1 <= rank <= len(s)``.
        bias : array of shape (n_out,), optional
            The layer's bias, kept as it is.
        dtype : numpy dtype, default float32
            Storage type of the factors (the MiniLM weights are float32).

        Returns
        -------
        FactoredLinear
        """
        rank = check_int(rank, "rank", min_value=1, max_value=len(self.s))
        root = np.sqrt(self.s[:rank])
        A = self.U[:, :rank] * root
        if self.method == "whitened":
            A = sla.solve_triangular(self.left.T, A, lower=False)
        elif self.method == "asvd":
            A = A / self.left[:, None]
        B = root[:, None] * self.Vt[:rank]
        b = None if bias is None else np.asarray(bias, dtype=dtype)
        return FactoredLinear(A.astype(dtype), B.astype(dtype), b)


def layer_svd(W, method: str = "plain", stats: InputStats | None = None, *,
              alpha: float = 0.5, damping: float = 1e-6) -> LayerSVD:
    """SVD of ``S W`` for a layer ``x -> x W``, with ``S`` chosen by ``method``.

    Parameters
    ----------
    W : array of shape (n_in, n_out)
        The layer's weight in the ``x W`` layout (a PyTorch/safetensors weight is ``W.T``).
    method : {"plain", "asvd", "whitened"}
        ``S = I``; ``S = diag(mean|x|)^alpha`` (ASVD); ``S = L^T`` with ``L L^T`` the
        calibration Gram matrix (SVD-LLM).
    stats : InputStats, optional
        Calibration statistics of the layer's inputs; required unless ``"plain"``.
    alpha : float, default 0.5
        ASVD's exponent (the value its paper recommends).
    damping : float, default 1e-6
        Relative ridge for the Cholesky factor (:func:`whitening_factor`).

    Returns
    -------
    LayerSVD

    Raises
    ------
    ValueError
        If ``method`` is unknown, ``stats`` is missing or does not match ``W``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 6)) * np.array([5, 1, 1, 1, 1, 0.1])
    >>> W = rng.standard_normal((6, 5))
    >>> st = InputStats.from_inputs(X)
    >>> out = {m: np.linalg.norm(X @ W - X @ (lambda f: f.A @ f.B)(
    ...     layer_svd(W, m, st).factor(2, dtype=np.float64))) for m in METHODS}
    >>> bool(out["whitened"] <= min(out["plain"], out["asvd"]))
    True

    References
    ----------
    C. Eckart and G. Young (1936); Z. Yuan et al., ASVD (2023); X. Wang et al., SVD-LLM
    (ICLR 2025). Taught in chapter 11b.
    """
    W = check_matrix(W, "W").astype(np.float64)
    method = check_option(method, "method", METHODS)
    left = None
    if method == "plain":
        M = W
    else:
        if not isinstance(stats, InputStats):
            raise ValueError(f"method={method!r} needs stats (an InputStats of the "
                             "layer's calibration inputs)")
        if stats.gram.shape[0] != W.shape[0]:
            raise ValueError(f"stats describe {stats.gram.shape[0]} input channels but W "
                             f"has {W.shape[0]} rows")
        if method == "whitened":
            left = whitening_factor(stats.gram, damping)
            M = left.T @ W
        else:
            alpha = check_scalar(alpha, "alpha", low=0.0)
            a = stats.abs_mean
            left = np.maximum(a, 1e-12 * max(float(a.max()), 1e-300)) ** alpha
            M = left[:, None] * W
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    return LayerSVD(method, U, s, Vt, left)


def refit_right(layer: FactoredLinear, W, stats: InputStats, *,
                damping: float = 1e-6) -> FactoredLinear:
    """Keep ``A``, recompute ``B`` to minimize ``||X W - X A B||_F`` on calibration inputs.

    The least-squares solution is ``B = (A^T G A)^{-1} A^T G W`` with ``G = X^T X``,
    computed stably as ``lstsq(L^T A, L^T W)``. For whitened factors it changes
    nothing (they are already optimal for their ``A``); for plain and ASVD factors it
    lowers the output error at no cost in parameters.

    Parameters
    ----------
    layer : FactoredLinear
        Factors to correct.
    W : array of shape (n_in, n_out)
        The original weight (``x W`` layout).
    stats : InputStats
        Calibration statistics of the layer's inputs.
    damping : float, default 1e-6
        Relative ridge of :func:`whitening_factor`.

    Returns
    -------
    FactoredLinear
        Same ``A`` and bias, new ``B`` (same dtype as before).

    Raises
    ------
    TypeError
        If ``layer`` is not a FactoredLinear or ``stats`` not an InputStats.
    ValueError
        If the shapes disagree.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X = rng.standard_normal((300, 6)) * np.array([4, 2, 1, 1, 0.5, 0.1])
    >>> W = rng.standard_normal((6, 5)); st = InputStats.from_inputs(X)
    >>> f = layer_svd(W).factor(2, dtype=np.float64)
    >>> g = refit_right(f, W, st, damping=0.0)
    >>> bool(np.linalg.norm(X @ (W - g.A @ g.B)) < np.linalg.norm(X @ (W - f.A @ f.B)))
    True

    References
    ----------
    X. Wang et al., "SVD-LLM", ICLR 2025 (the layer-wise update of the factors).
    Taught in chapter 11b.
    """
    if not isinstance(layer, FactoredLinear):
        raise TypeError(f"layer must be a FactoredLinear, got {type(layer).__name__}")
    if not isinstance(stats, InputStats):
        raise TypeError(f"stats must be an InputStats, got {type(stats).__name__}")
    W = check_matrix(W, "W").astype(np.float64)
    if W.shape != layer.shape:
        raise ValueError(f"W has shape {W.shape} but the layer replaces {layer.shape}")
    L = whitening_factor(stats.gram, damping)
    B = np.linalg.lstsq(L.T @ layer.A.astype(np.float64), L.T @ W, rcond=None)[0]
    return FactoredLinear(layer.A, B.astype(layer.B.dtype), layer.bias)


def output_error(layer: FactoredLinear, W, stats: InputStats) -> float:
    """Relative error of the layer's outputs on calibration inputs, without the inputs.

    ``||X (W - A B)||_F / ||X W||_F``, from the Gram matrix: ``tr(D^T G D)`` with
    ``D = W - A B`` (formed here for the measurement only).

    Parameters
    ----------
    layer : FactoredLinear
        The factors.
    W : array of shape (n_in, n_out)
        The original weight (``x W`` layout).
    stats : InputStats
        Statistics of the inputs ``X``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes disagree.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, W = rng.standard_normal((40, 5)), rng.standard_normal((5, 3))
    >>> f = layer_svd(W).factor(2, dtype=np.float64)
    >>> e = np.linalg.norm(X @ (W - f.A @ f.B)) / np.linalg.norm(X @ W)
    >>> bool(np.isclose(output_error(f, W, InputStats.from_inputs(X)), e))
    True

    References
    ----------
    X. Wang et al., "SVD-LLM", ICLR 2025. Taught in chapter 11b.
    """
    W = check_matrix(W, "W").astype(np.float64)
    if W.shape != layer.shape or stats.gram.shape[0] != W.shape[0]:
        raise ValueError(f"W {W.shape}, layer {layer.shape} and stats "
                         f"({stats.gram.shape[0]} channels) must agree")
    D = W - layer.A.astype(np.float64) @ layer.B.astype(np.float64)
    G = stats.gram
    num = np.einsum("ij,ij->", D, G @ D)
    den = np.einsum("ij,ij->", W, G @ W)
    return float(np.sqrt(max(num, 0.0) / den))


def break_even_rank(shape) -> int:
    """Largest rank whose two factors store fewer weights than the dense matrix.

    ``r (m + n) < m n``, i.e. ``r < m n / (m + n)``.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)``.

    Returns
    -------
    int

    Examples
    --------
    >>> break_even_rank((384, 384)), break_even_rank((384, 1536))
    (191, 307)

    References
    ----------
    Taught in chapter 8 (the storage count) and chapter 11b.
    """
    m, n = (check_int(v, "shape", min_value=1) for v in shape)
    return max(1, -(-m * n // (m + n)) - 1)


def allocate_ranks(spectra, shapes, ratio: float, *, normalize: bool = True) -> np.ndarray:
    """Ranks for many layers under one budget of ``ratio`` times their dense parameters.

    Each rank unit of layer ``i`` costs ``m_i + n_i`` weights and removes ``s_{i,k}^2``
    from that layer's squared error (divided by ``sum_k s_{i,k}^2`` when
    ``normalize``, so that every layer's error is relative). Units are taken greedily by
    error removed per weight until the budget is spent; because each spectrum is sorted,
    the units taken from a layer are always its leading ones. Every layer keeps rank at
    least 1 and at most :func:`break_even_rank`.

    Parameters
    ----------
    spectra : sequence of 1-D arrays
        Singular values of each layer's (transformed) weight, in decreasing order.
    shapes : sequence of (int, int)
        Shape of each layer's weight.
    ratio : float in (0, 1]
        Budget: ``ratio * sum(m_i n_i)`` weights in all factors together.
    normalize : bool, default True
        Compare relative errors across layers (else absolute ones).

    Returns
    -------
    ndarray of int
        One rank per layer.

    Raises
    ------
    ValueError
        If the lengths disagree or the budget cannot give every layer rank 1.

    Examples
    --------
    >>> import numpy as np
    >>> fast, slow = 0.5 ** np.arange(10), np.ones(10)
    >>> allocate_ranks([fast, slow], [(10, 10), (10, 10)], 0.6).tolist()
    [2, 4]

    References
    ----------
    The greedy allocation by marginal error reduction is the knapsack relaxation used
    for global rank selection, e.g. by SVD-LLM's successors; here it is a teaching
    baseline. Taught in chapter 11b.
    """
    ratio = check_fraction(ratio, "ratio")
    spectra = [check_array(s, "spectra", ndim=1) for s in spectra]
    shapes = [tuple(int(v) for v in sh) for sh in shapes]
    if len(spectra) != len(shapes):
        raise ValueError(f"spectra ({len(spectra)}) and shapes ({len(shapes)}) must have "
                         "the same length")
    cost = np.array([m + n for m, n in shapes], dtype=np.int64)
    budget = ratio * sum(m * n for m, n in shapes) - cost.sum()   # rank 1 everywhere first
    if budget < 0:
        raise ValueError(f"ratio={ratio:g} cannot give every layer rank 1")
    caps = np.array([min(break_even_rank(sh), len(s)) for sh, s in zip(shapes, spectra,
                                                                          strict=True)])
    gains, owner = [], []
    for i, s in enumerate(spectra):
        g = s.astype(np.float64) ** 2
        if normalize:
            g = g / max(g.sum(), np.finfo(float).tiny)
        gains.append(g[1:caps[i]] / cost[i])
        owner.append(np.full(max(caps[i] - 1, 0), i))
    gains, owner = np.concatenate(gains), np.concatenate(owner)
    order = np.argsort(-gains, kind="stable")
    spent = np.cumsum(cost[owner[order]])
    taken = owner[order[spent <= budget]]
    return 1 + np.bincount(taken, minlength=len(spectra))


# --- all-MiniLM-L6-v2 --------------------------------------------------------------------

class _Recorder(_minilm.MiniLM):
    """MiniLM that pools the input statistics of every dense layer over real tokens."""

    def __init__(self, weights):
        super().__init__(weights)
        self.stats: dict[str, InputStats] = {}
        self._real = None

    def token_states(self, ids, mask, types):
        self._real = mask.astype(bool)
        return super().token_states(ids, mask, types)

    def _linear(self, x, prefix):
        X = x[self._real]                      # padding rows never reach the pooling
        if prefix.endswith(("attention.self.key", "attention.self.value")):
            base = prefix.rsplit(".", 1)[0] + ".query"   # same input as the query
            self.stats[prefix] = self.stats[base]
        else:
            new = InputStats.from_inputs(X)
            self.stats[prefix] = new if prefix not in self.stats else self.stats[prefix] + new
        return super()._linear(x, prefix)


def minilm_calibration(sentences, weights=None, *, batch_size: int = 32,
                       verbose: bool = False) -> dict[str, InputStats]:
    """Input statistics of all 36 dense layers of MiniLM on calibration sentences.

    Parameters
    ----------
    sentences : list of str
        Calibration sentences (keep them apart from the sentences you evaluate on).
    weights : dict, optional
        From :func:`svdlab.nn.minilm.load_weights` (loaded if omitted).
    batch_size : int, default 32
        Sentences per forward pass.
    verbose : bool, default False
        Show a progress bar over the batches.

    Returns
    -------
    dict
        ``{prefix: InputStats}`` for every prefix of :func:`svdlab.nn.minilm.matrix_names`;
        query, key and value share their input and one object.

    Raises
    ------
    TypeError, ValueError
        If ``sentences`` is not a non-empty list of strings.

    Examples
    --------
    >>> from svdlab.nn import minilm
    >>> if minilm.available():
    ...     st = minilm_calibration(["A short sentence.", "Another one here."])
    ...     print(len(st), st[minilm.matrix_names(0, "ffn_out")].gram.shape)
    ... else:
    ...     print(36, (1536, 1536))
    36 (1536, 1536)

    References
    ----------
    X. Wang et al., "SVD-LLM", ICLR 2025 (calibration on a few hundred sentences).
    Taught in chapter 11b.
    """
    if isinstance(sentences, str) or not all(isinstance(s, str) for s in sentences):
        raise TypeError("sentences must be a list of strings")
    sentences = list(sentences)
    if not sentences:
        raise ValueError("sentences must not be empty")
    batch_size = check_int(batch_size, "batch_size", min_value=1)
    rec = _Recorder(weights if weights is not None else _minilm.load_weights())
    for start in progress(range(0, len(sentences), batch_size), verbose=verbose,
                          desc="calibration"):
        ids, mask, types = rec.tokenize(sentences[start:start + batch_size])
        rec.token_states(ids, mask, types)
    return dict(rec.stats)


def minilm_layer_svds(weights, method: str, stats=None, *, kinds=tuple(_minilm.MATRIX_KINDS),
                      layers=range(_minilm.N_LAYERS), **kwargs) -> dict[str, LayerSVD]:
    """:func:`layer_svd` of the chosen MiniLM matrices, by tensor prefix.

    Parameters
    ----------
    weights : dict
        From :func:`svdlab.nn.minilm.load_weights`.
    method : {"plain", "asvd", "whitened"}
        See :func:`layer_svd`.
    stats : dict, optional
        From :func:`minilm_calibration` (required unless ``"plain"``).
    kinds : iterable of str
        Keys of :data:`svdlab.nn.minilm.MATRIX_KINDS` (default: all six).
    layers : iterable of int
        Encoder layers (default: all six).
    **kwargs
        ``alpha``, ``damping`` of :func:`layer_svd`.

    Returns
    -------
    dict
        ``{prefix: LayerSVD}``; each weight is transposed to the ``x W`` layout.

    Raises
    ------
    ValueError
        If ``stats`` lacks a layer that ``method`` needs.

    Examples
    --------
    >>> from svdlab.nn import minilm
    >>> if minilm.available():
    ...     d = minilm_layer_svds(minilm.load_weights(), "plain", kinds=["ffn_in"], layers=[0])
    ...     print(list(d), d["encoder.layer.0.intermediate.dense"].shape)
    ... else:
    ...     print(['encoder.layer.0.intermediate.dense'], (384, 1536))
    ['encoder.layer.0.intermediate.dense'] (384, 1536)

    References
    ----------
    Taught in chapter 11b.
    """
    out = {}
    for i in layers:
        for kind in kinds:
            name = _minilm.matrix_names(i, kind)
            st = None
            if method != "plain":
                if stats is None or name not in stats:
                    raise ValueError(f"stats has no entry for {name}; run "
                                     "minilm_calibration first")
                st = stats[name]
            out[name] = layer_svd(weights[name + ".weight"].T, method, st, **kwargs)
    return out


class CompressedMiniLM(_minilm.MiniLM):
    """all-MiniLM-L6-v2 with some dense layers replaced by :class:`FactoredLinear`.

    Parameters
    ----------
    weights : dict, optional
        From :func:`svdlab.nn.minilm.load_weights` (loaded if omitted).
    layers : dict, optional
        ``{prefix: FactoredLinear}`` (bias included); other layers stay dense.
    max_length : int, default 256
        Tokens per sentence after truncation.

    Attributes
    ----------
    layers : dict
        The factored layers.

    Examples
    --------
    >>> from svdlab.nn import minilm
    >>> if minilm.available():
    ...     w = minilm.load_weights()
    ...     svd = minilm_layer_svds(w, "plain", kinds=["ffn_in"], layers=[0])
    ...     p = "encoder.layer.0.intermediate.dense"
    ...     m = CompressedMiniLM(w, {p: svd[p].factor(384, bias=w[p + ".bias"])})
    ...     e0, e1 = minilm.MiniLM(w).encode(["Hello."]), m.encode(["Hello."])
    ...     print(bool(abs(float(e0[0] @ e1[0]) - 1) < 1e-4))
    ... else:
    ...     print(True)
    True

    References
    ----------
    Taught in chapter 11b.
    """

    def __init__(self, weights=None, layers=None, max_length: int = 256):
        super().__init__(weights, None, max_length)
        self.layers = {} if layers is None else dict(layers)
        for p, f in self.layers.items():
            if not isinstance(f, FactoredLinear):
                raise TypeError(f"layers[{p!r}] must be a FactoredLinear, "
                                f"got {type(f).__name__}")

    def _linear(self, x, prefix):
        if prefix in self.layers:
            return self.layers[prefix](x)
        return super()._linear(x, prefix)


class _Stop(Exception):
    """Raised by :class:`_InputTap` once the block it records is done (saves the rest)."""


class _InputTap(CompressedMiniLM):
    """MiniLM (some layers factored) that keeps the inputs of the layers in ``watch``."""

    def __init__(self, weights, layers, watch, stop_after):
        super().__init__(weights, layers)
        self.watch, self.stop_after = set(watch), stop_after
        self.seen: dict[str, np.ndarray] = {}
        self._real = None
        self._last = (None, None)

    def token_states(self, ids, mask, types):
        self._real, self.seen, self._last = mask.astype(bool), {}, (None, None)
        return super().token_states(ids, mask, types)

    def _linear(self, x, prefix):
        if prefix in self.watch:
            if self._last[0] is not x:         # query, key and value read the same x:
                self._last = (x, x[self._real].astype(np.float64))  # one copy for all three
            self.seen[prefix] = self._last[1]
            if prefix == self.stop_after:
                raise _Stop
        return super()._linear(x, prefix)


def minilm_sequential_factors(weights, sentences, ranks, *, target: str = "original",
                              damping: float = 1e-6, batch_size: int = 32,
                              verbose: bool = False) -> dict[str, FactoredLinear]:
    """Factor MiniLM's layers block by block, on the inputs the factored blocks produce.

    Truncating every layer on statistics of the uncompressed model's inputs (the
    ``"whitened"`` method) ignores that, once the first blocks are factored, the later
    ones see different inputs. Here the encoder blocks are factored in order. For block
    ``i``, the same calibration batches run through the original model and through the
    model whose blocks ``0..i-1`` are already factored; with ``X`` and ``X~`` the inputs
    a layer of block ``i`` receives in the two, its rank-``r`` factors minimize

    .. math:: \\|X W - \\tilde X A B\\|_F .

    With :math:`\\tilde X^\\top \\tilde X = L L^\\top` (plus the damping of
    :func:`whitening_factor`) and :math:`C = \\tilde X^\\top X`, the objective is
    :math:`\\|L^\\top A B - L^{-1} C W\\|_F^2` up to a constant, so the answer is the
    truncated SVD of :math:`L^{-1} C W` mapped back by :math:`L^{-\\top}`. The damping
    :math:`\\delta` adds :math:`\\delta \\|W - A B\\|_F^2` to the objective (so
    :math:`\\delta I` to both :math:`\\tilde X^\\top \\tilde X` and :math:`C`). For block 0
    (``X~ = X``) this is the whitened truncation itself; later blocks also correct the
    error that the earlier ones pass on. With ``target="compressed"`` the target is the
    layer's own output on what it now receives, :math:`\\tilde X W` (:math:`C = \\tilde
    X^\\top \\tilde X`): the whitened truncation recalibrated on the new inputs, as GPTQ
    does for quantization.

    Chapter 11b's benchmark measures both against the one-shot whitened truncation on
    held-out sentences: with a few hundred calibration sentences the compensating target
    fits the calibration set and generalizes worse (``benchmarks/compress.py
    --calibration``).

    Parameters
    ----------
    weights : dict
        From :func:`svdlab.nn.minilm.load_weights`.
    sentences : list of str
        Calibration sentences (keep them apart from the sentences you evaluate on).
    ranks : dict
        ``{prefix: rank}`` for the layers to factor (prefixes of
        :func:`svdlab.nn.minilm.matrix_names`); the others stay dense.
    target : {"original", "compressed"}, default "original"
        Fit each layer to the original model's outputs (compensating the error of the
        blocks before it) or to its own outputs on the inputs it now receives.
    damping : float, default 1e-6
        Relative ridge of :func:`whitening_factor`.
    batch_size : int, default 32
        Sentences per forward pass.
    verbose : bool, default False
        Show a progress bar over the blocks.

    Returns
    -------
    dict
        ``{prefix: FactoredLinear}`` (float32, biases kept), ready for
        :class:`CompressedMiniLM`.

    Raises
    ------
    TypeError
        If ``sentences`` is not a list of strings or ``ranks`` not a dict.
    ValueError
        If ``sentences`` is empty, a prefix is not a MiniLM matrix, or a rank is not in
        ``[1, min(n_in, n_out)]``.

    Examples
    --------
    >>> from svdlab.nn import minilm
    >>> if minilm.available():
    ...     w = minilm.load_weights()
    ...     p = minilm.matrix_names(0, "ffn_in")
    ...     f = minilm_sequential_factors(w, ["A short sentence.", "Another one."], {p: 8})
    ...     print(f[p].rank, f[p].shape)
    ... else:
    ...     print(8, (384, 1536))
    8 (384, 1536)

    References
    ----------
    X. Wang et al., "SVD-LLM", ICLR 2025 (whitening); E. Frantar et al., "GPTQ", ICLR 2023
    (compressing layer by layer on the inputs the compressed layers produce). Taught in
    chapter 11b.
    """
    if isinstance(sentences, str) or not all(isinstance(s, str) for s in sentences):
        raise TypeError("sentences must be a list of strings")
    sentences = list(sentences)
    if not sentences:
        raise ValueError("sentences must not be empty")
    if not isinstance(ranks, dict):
        raise TypeError(f"ranks must be a dict of prefix -> rank, got {type(ranks).__name__}")
    names = [_minilm.matrix_names(i, kind) for i in range(_minilm.N_LAYERS)
             for kind in _minilm.MATRIX_KINDS]
    for p, r in ranks.items():
        if p not in names:
            raise ValueError(f"ranks has {p!r}, which is not a MiniLM matrix; the prefixes "
                             "are those of svdlab.nn.minilm.matrix_names")
        n_out, n_in = weights[p + ".weight"].shape
        check_int(r, f"ranks[{p!r}]", min_value=1, max_value=min(n_in, n_out))
    target = check_option(target, "target", ("original", "compressed"))
    damping = check_scalar(damping, "damping", low=0.0)
    batch_size = check_int(batch_size, "batch_size", min_value=1)
    factored: dict[str, FactoredLinear] = {}
    blocks = sorted({int(p.split(".")[2]) for p in ranks})
    for i in progress(blocks, verbose=verbose, desc="blocks"):
        block = [p for p in names if p in ranks and p.startswith(f"encoder.layer.{i}.")]
        taps = [_InputTap(weights, factored, block, block[-1])]
        if target == "original":                  # the original model's inputs as well
            taps.insert(0, _InputTap(weights, {}, block, block[-1]))
        G = {p: 0.0 for p in block}
        C = {p: 0.0 for p in block}
        for start in range(0, len(sentences), batch_size):
            ids, mask, types = taps[0].tokenize(sentences[start:start + batch_size])
            for tap in taps:
                try:
                    tap.token_states(ids, mask, types)
                except _Stop:
                    pass
            X, Xc = taps[0].seen, taps[-1].seen
            done: dict[tuple[int, int], str] = {}  # layers sharing an input share its sums
            for p in block:
                q = done.setdefault((id(Xc[p]), id(X[p])), p)
                if q != p:
                    G[p], C[p] = G[q], C[q]
                    continue
                G[p] = G[p] + Xc[p].T @ Xc[p]
                C[p] = C[p] + Xc[p].T @ X[p]
        for p in block:
            W = weights[p + ".weight"].T.astype(np.float64)
            L = whitening_factor(G[p], damping)
            # the ridge of the damping pulls A B towards W (not towards 0): it adds
            # delta ||W - A B||^2 to the objective, i.e. delta I to C as to the Gram matrix
            delta = damping * np.mean(np.diag(G[p]))
            Z = sla.solve_triangular(L, (C[p] + delta * np.eye(len(W))) @ W, lower=True)
            U, s, Vt = np.linalg.svd(Z, full_matrices=False)
            factored[p] = LayerSVD("whitened", U, s, Vt, L).factor(
                ranks[p], bias=weights[p + ".bias"])
    return factored
