"""Low-rank compression of dense and convolutional layers, with exact cost accounting.

Taught in chapter 8 (*The SVD in generative AI and model compression*).

A dense layer ``y = x W`` with ``W`` of shape ``(m, n)`` costs ``m n`` parameters and
``m n`` multiply-adds, that is ``2 m n`` floating-point operations (FLOPs), per input.
Replacing ``W`` by the product of two factors ``W1 (m, r)`` and ``W2 (r, n)`` - kept as
*two layers*, ``y = (x W1) W2``, never multiplied back - costs ``r (m + n)`` parameters
and ``2 r (m + n)`` FLOPs. It saves something only when

``r (m + n) < m n``, i.e. ``r < m n / (m + n)``

(:func:`break_even_rank`). For a square ``n x n`` layer that is ``r < n / 2``: the
"keep half the rank" rule of the blog post this chapter corrects saves nothing,
and rebuilding ``W1 @ W2`` into a full matrix (as its second source does) saves
neither memory nor time.

A convolution kernel ``K`` of shape ``(c_out, c_in, kh, kw)`` is a matrix of shape
``(c_out, c_in kh kw)`` in disguise (each output channel is one row). Its rank-``r``
factorization is a ``kh x kw`` convolution with ``r`` filters followed by a ``1 x 1``
convolution from ``r`` to ``c_out`` channels (:func:`factorize_conv`).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ._validation import (
    check_array,
    check_fraction,
    check_int,
    check_matrix,
    check_rank,
)
from .linalg import rank_for_energy, svd

__all__ = [
    "NoSavingWarning",
    "break_even_rank",
    "param_count",
    "flops",
    "choose_rank_for_budget",
    "factorize_dense",
    "factorize_conv",
    "conv2d",
]


class NoSavingWarning(UserWarning):
    """A factorization keeps at least as many parameters as the layer it replaces."""


def _check_shape(shape, name: str = "shape") -> tuple[int, ...]:
    """A dense shape (m, n) or a kernel shape (c_out, c_in, kh, kw) of positive ints."""
    if isinstance(shape, np.ndarray) and shape.ndim > 1:
        raise TypeError(f"{name} must be a shape tuple, got an array; pass W.shape")
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of 2 or 4 integers, got {shape!r}") from None
    if len(shape) not in (2, 4):
        raise ValueError(
            f"{name} must be (m, n) for a dense layer or (c_out, c_in, kh, kw) for a "
            f"convolution, got {shape!r}"
        )
    return tuple(check_int(s, f"{name}[{i}]", min_value=1) for i, s in enumerate(shape))


def _as_matrix_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 2:
        return shape
    c_out, c_in, kh, kw = shape
    return c_in * kh * kw, c_out


def break_even_rank(shape) -> int:
    """Largest rank whose factorization has *strictly fewer* parameters than the layer.

    That is the largest ``r`` with ``r (m + n) < m n`` (for a kernel, with
    ``m = c_in kh kw`` and ``n = c_out``). Zero means that no factorization
    saves anything.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)`` for a dense layer (its weight matrix), or ``(c_out, c_in, kh, kw)``
        for a convolution kernel.

    Returns
    -------
    int
        ``(m n - 1) // (m + n)``, the largest rank that saves parameters (0 if none).

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of integers (an array must be passed as ``W.shape``).
    ValueError
        If ``shape`` has neither 2 nor 4 entries, or an entry is below 1.

    References
    ----------
    E. Denton, W. Zaremba, J. Bruna, Y. LeCun and R. Fergus, "Exploiting linear
    structure within convolutional networks for efficient evaluation", NeurIPS
    2014. Taught in chapter 8.

    Examples
    --------
    >>> break_even_rank((1024, 1024))      # a square layer: strictly below n / 2
    511
    >>> break_even_rank((64, 1024))
    60
    >>> break_even_rank((32, 16, 3, 3))    # 3x3 conv, 16 -> 32 channels
    26
    """
    m, n = _as_matrix_shape(_check_shape(shape))
    return (m * n - 1) // (m + n)


def param_count(shape, rank: int | None = None, *, bias: bool = False) -> int:
    """Number of parameters of a dense or convolutional layer, full or factored.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)`` for a dense layer, or ``(c_out, c_in, kh, kw)`` for a convolution.
    rank : int, optional
        ``None``: the full layer (``m n``, or ``c_out c_in kh kw``). Else the
        factored layer: ``r (m + n)``, or ``r c_in kh kw + c_out r`` for a
        convolution factored by :func:`factorize_conv`.
    bias : bool
        Add the ``n`` (or ``c_out``) biases, which factoring leaves unchanged.

    References
    ----------
    E. Denton, W. Zaremba, J. Bruna, Y. LeCun and R. Fergus, "Exploiting linear
    structure within convolutional networks for efficient evaluation", NeurIPS
    2014. Taught in chapter 8.

    Examples
    --------
    >>> param_count((1024, 1024)), param_count((1024, 1024), rank=512)
    (1048576, 1048576)
    >>> param_count((1024, 1024), rank=128)
    262144
    >>> param_count((32, 16, 3, 3), rank=8, bias=True)   # 8*144 + 32*8 + 32
    1440
    """
    shape = _check_shape(shape)
    m, n = _as_matrix_shape(shape)
    if rank is None:
        count = m * n
    else:
        rank = check_rank(rank, (m, n), "rank")
        count = rank * (m + n)
    return count + (n if bias else 0)


def flops(shape, rank: int | None = None, *, n_positions: int = 1, batch: int = 1) -> int:
    """Floating-point operations (FLOPs) of one forward pass through a layer, full or factored.

    One multiply-add is two FLOPs (a multiplication and an addition), the convention
    of LAPACK's and the BLAS's operation counts: a dense layer costs twice as many FLOPs
    per input as it has weights; a convolution costs that many per output position
    (``n_positions = H_out W_out``, the same for both factors of :func:`factorize_conv`
    at stride 1). Biases and activations are not counted.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)`` for a dense layer, or ``(c_out, c_in, kh, kw)`` for a convolution.
    rank : int, optional
        ``None`` for the full layer, else the rank of its factorization
        (see :func:`param_count`).
    n_positions : int, default 1
        Output positions a convolution is applied at (``H_out W_out``); 1 for a dense layer.
    batch : int, default 1
        Inputs in the batch.

    Returns
    -------
    int
        ``2 * param_count(shape, rank) * n_positions * batch``.

    Raises
    ------
    TypeError, ValueError
        If ``shape`` is not a valid layer shape, ``rank`` is not in ``1..min(m, n)``, or
        ``n_positions`` or ``batch`` is not a positive integer.

    References
    ----------
    G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., Johns Hopkins
    University Press, 2013, section 1.1.15 (a flop is one floating-point operation).
    Taught in chapter 8.

    Examples
    --------
    >>> flops((1024, 1024))                    # 1024**2 multiply-adds
    2097152
    >>> flops((1024, 1024), batch=100) // flops((1024, 1024), rank=128, batch=100)
    4
    >>> flops((32, 16, 3, 3), n_positions=64)  # 2 * 64 * 32 * 144
    589824
    """
    n_positions = check_int(n_positions, "n_positions", min_value=1)
    batch = check_int(batch, "batch", min_value=1)
    return 2 * param_count(shape, rank) * n_positions * batch


def choose_rank_for_budget(shape, budget) -> int:
    """Largest rank whose factored layer fits a parameter budget.

    Parameters
    ----------
    shape : (m, n) or (c_out, c_in, kh, kw)
    budget : float in (0, 1) or int
        A float is a fraction of the full layer's parameters (``0.5``: at most
        half of them); an int is an absolute number of parameters.

    Returns
    -------
    int
        The largest ``r`` with ``param_count(shape, r) <= budget`` (never above
        ``min(m, n)``).

    Raises
    ------
    ValueError
        If not even rank 1 fits the budget, or if the budget is at least the
        full layer's size (then do not factor: keep the layer).

    References
    ----------
    E. Denton, W. Zaremba, J. Bruna, Y. LeCun and R. Fergus, "Exploiting linear
    structure within convolutional networks for efficient evaluation", NeurIPS
    2014. Taught in chapter 8.

    Examples
    --------
    >>> choose_rank_for_budget((1024, 1024), 0.25)
    128
    >>> choose_rank_for_budget((64, 1024), 10_000)
    9
    """
    shape = _check_shape(shape)
    m, n = _as_matrix_shape(shape)
    full = m * n
    if isinstance(budget, bool | np.bool_):
        raise TypeError(f"budget must be a fraction or a parameter count, got {budget!r}")
    if isinstance(budget, numbers.Integral):
        limit = check_int(budget, "budget", min_value=1)
    elif isinstance(budget, numbers.Real):
        frac = check_fraction(budget, "budget")
        limit = int(np.floor(frac * full))
    else:
        raise TypeError(f"budget must be a fraction or a parameter count, got {budget!r}")
    if limit >= full:
        raise ValueError(
            f"budget ({limit} parameters) must be below the full layer's {full}: a layer "
            "that fits its budget needs no factorization"
        )
    r = min(limit // (m + n), min(m, n))
    if r < 1:
        raise ValueError(
            f"budget ({limit} parameters) is too small: rank 1 already needs {m + n}"
        )
    return r


def _rank_from_spec(s: np.ndarray, shape: tuple[int, int], rank, ratio, energy) -> int:
    given = [x is not None for x in (rank, ratio, energy)]
    if sum(given) != 1:
        raise ValueError("give exactly one of rank, ratio or energy")
    m, n = shape
    if rank is not None:
        return check_rank(rank, shape, "rank")
    if ratio is not None:
        ratio = check_fraction(ratio, "ratio")
        r = int(np.floor(ratio * m * n / (m + n)))
        if r < 1:
            raise ValueError(
                f"ratio={ratio:g} of the parameters is below one rank-1 term "
                f"({m + n} of {m * n} parameters)"
            )
        return min(r, min(m, n))
    energy = check_fraction(energy, "energy")
    if not np.any(s > 0):
        raise ValueError("W must not be zero: energy is undefined for a zero matrix")
    return rank_for_energy(s, energy)


def factorize_dense(
    W,
    rank: int | None = None,
    ratio: float | None = None,
    energy: float | None = None,
    *,
    on_no_saving: str = "warn",
) -> tuple[np.ndarray, np.ndarray]:
    """Factor a dense weight matrix ``W ~ W1 @ W2`` by the truncated SVD.

    Parameters
    ----------
    W : array_like, shape (m, n)
        The layer computes ``x @ W`` (or ``W @ x``: the factorization does not care).
    rank, ratio, energy
        Exactly one: the rank ``r``; or ``ratio``, the fraction of the
        parameters to keep (``r = floor(ratio m n / (m + n))``, so that
        ``r (m + n) <= ratio m n``); or ``energy``, the fraction of
        ``||W||_F^2`` to keep.
    on_no_saving : {"warn", "raise", "ignore"}
        What to do when ``r (m + n) >= m n``, i.e. when the two factors hold
        at least as many parameters as ``W`` (``r >= m n / (m + n)``).

    Returns
    -------
    W1 : ndarray, shape (m, r)
        ``U_r diag(sqrt(s_r))``.
    W2 : ndarray, shape (r, n)
        ``diag(sqrt(s_r)) Vt_r``. The singular values are split evenly so that
        both factors have the same scale (better conditioned for fine-tuning).
        ``W1 @ W2`` is the best rank-``r`` approximation of ``W``
        (Eckart-Young); keep the two factors as two layers.

    References
    ----------
    E. Denton, W. Zaremba, J. Bruna, Y. LeCun and R. Fergus, "Exploiting
    linear structure within convolutional networks for efficient
    evaluation", NeurIPS 2014. Taught in chapter 8.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> W = rng.standard_normal((300, 200))
    >>> W1, W2 = factorize_dense(W, ratio=0.5)
    >>> W1.shape, W2.shape, (W1.size + W2.size) / W.size
    ((300, 60), (60, 200), 0.5)
    >>> W1, W2 = factorize_dense(np.eye(4), rank=2, on_no_saving="raise")
    Traceback (most recent call last):
    ...
    ValueError: rank 2 of a 4x4 matrix keeps 16 parameters, not fewer than the 16 of W: ...
    """
    W = check_matrix(W, "W")
    if on_no_saving not in ("warn", "raise", "ignore"):
        raise ValueError(f"on_no_saving must be 'warn', 'raise' or 'ignore'; got {on_no_saving!r}")
    U, s, Vt = svd(W)
    r = _rank_from_spec(s, W.shape, rank, ratio, energy)
    m, n = W.shape
    if r * (m + n) >= m * n and on_no_saving != "ignore":
        msg = (
            f"rank {r} of a {m}x{n} matrix keeps {r * (m + n)} parameters, not fewer than the "
            f"{m * n} of W: factoring saves nothing above rank {break_even_rank((m, n))} "
            f"(r must be < mn/(m+n) = {m * n / (m + n):.4g})"
        )
        if on_no_saving == "raise":
            raise ValueError(msg)
        warnings.warn(msg, NoSavingWarning, stacklevel=2)
    root = np.sqrt(s[:r])
    return U[:, :r] * root, root[:, None] * Vt[:r]


def factorize_conv(K, rank: int, *, on_no_saving: str = "warn") -> tuple[np.ndarray, np.ndarray]:
    """Factor a convolution kernel into a ``kh x kw`` conv with ``rank`` filters and a 1x1 conv.

    Parameters
    ----------
    K : array_like, shape (c_out, c_in, kh, kw)
        Kernel in the (PyTorch) cross-correlation layout used by :func:`conv2d`.
    rank : int
        Number of intermediate channels ``r``, ``1..min(c_out, c_in kh kw)``.
    on_no_saving : {"warn", "raise", "ignore"}
        As in :func:`factorize_dense`.

    Returns
    -------
    K1 : ndarray, shape (rank, c_in, kh, kw)
        The first convolution (same padding and stride as ``K``), no bias.
    K2 : ndarray, shape (c_out, rank, 1, 1)
        The 1x1 convolution; the original bias goes here.

    Notes
    -----
    Output channel ``o`` is ``sum_{c,i,j} K[o, c, i, j] x[c, y+i, x+j]``, a row
    ``M[o]`` of ``M = K.reshape(c_out, c_in kh kw)`` applied to a patch. The SVD
    ``M ~ A B`` (``A`` of shape ``(c_out, r)``, ``B`` of shape ``(r, c_in kh kw)``)
    first applies the ``r`` rows of ``B`` to every patch - a convolution with
    kernel ``B.reshape(r, c_in, kh, kw)`` - then mixes the ``r`` channels with
    ``A`` at every pixel - a 1x1 convolution with ``A.reshape(c_out, r, 1, 1)``.
    (Reshaping the *left* factor into spatial filters, as the blog post did,
    does not even have the right number of entries in general.) At full rank
    the two convolutions reproduce ``K`` exactly. Taught in chapter 8.

    References
    ----------
    X. Zhang, J. Zou, X. Ming, K. He and J. Sun, "Efficient and accurate
    approximations of nonlinear convolutional networks", CVPR 2015; X. Zhang,
    J. Zou, K. He and J. Sun, "Accelerating very deep convolutional networks
    for classification and detection", IEEE TPAMI 38 (2016): the ``k x k``
    convolution with ``r`` filters followed by a ``1 x 1`` convolution. (The
    schemes of Jaderberg, Vedaldi and Zisserman, BMVC 2014, separate the
    kernel spatially into ``k x 1`` and ``1 x k`` filters; Denton et al., NeurIPS
    2014, cluster and factor it differently.)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> K = rng.standard_normal((8, 3, 3, 3))
    >>> K1, K2 = factorize_conv(K, rank=8, on_no_saving="ignore")
    >>> K1.shape, K2.shape
    ((8, 3, 3, 3), (8, 8, 1, 1))
    >>> X = rng.standard_normal((2, 3, 6, 6))
    >>> np.allclose(conv2d(conv2d(X, K1, padding=1), K2), conv2d(X, K, padding=1))
    True
    """
    K = check_array(K, "K", ndim=4)
    c_out, c_in, kh, kw = K.shape
    M = K.reshape(c_out, c_in * kh * kw)
    rank = check_rank(rank, M.shape, "rank")
    A, B = factorize_dense(M, rank=rank, on_no_saving=on_no_saving)
    return B.reshape(rank, c_in, kh, kw), A.reshape(c_out, rank, 1, 1)


def _im2col(X: np.ndarray, kh: int, kw: int, padding: int) -> tuple[np.ndarray, int, int]:
    """Patches of ``X`` (N, C, H, W) as rows: shape (N Ho Wo, C kh kw)."""
    if padding:
        X = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = np.lib.stride_tricks.sliding_window_view(X, (kh, kw), axis=(2, 3))
    N, C, Ho, Wo = win.shape[:4]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(N * Ho * Wo, C * kh * kw)
    return cols, Ho, Wo


def conv2d(X, K, bias=None, *, padding: int = 0) -> np.ndarray:
    """2-D convolution (cross-correlation, stride 1) of a batch of images, by im2col.

    Parameters
    ----------
    X : array_like, shape (N, c_in, H, W)
    K : array_like, shape (c_out, c_in, kh, kw)
    bias : array_like, shape (c_out,), optional
    padding : int
        Zeros added on each side of both spatial axes.

    Returns
    -------
    ndarray, shape (N, c_out, H + 2 padding - kh + 1, W + 2 padding - kw + 1)

    Notes
    -----
    Every ``kh x kw`` patch becomes a row of a matrix (im2col), so the
    convolution is one matrix product with ``K.reshape(c_out, -1).T``: this is
    why a kernel is a ``c_out x (c_in kh kw)`` matrix for the SVD. Agrees with
    ``scipy.signal.correlate`` summed over input channels. Taught in chapter 8.

    References
    ----------
    K. Chellapilla, S. Puri and P. Simard, "High performance convolutional
    neural networks for document processing", IWFHR 2006.

    Examples
    --------
    >>> X = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(X, np.ones((1, 1, 2, 2)))[0, 0]
    array([[10., 14., 18.],
           [26., 30., 34.],
           [42., 46., 50.]])
    """
    X = check_array(X, "X", ndim=4)
    K = check_array(K, "K", ndim=4)
    padding = check_int(padding, "padding", min_value=0)
    c_out, c_in, kh, kw = K.shape
    if X.shape[1] != c_in:
        raise ValueError(
            f"X must have c_in = {c_in} channels (K.shape[1]), got X of shape {X.shape}"
        )
    if X.shape[2] + 2 * padding < kh or X.shape[3] + 2 * padding < kw:
        raise ValueError(
            f"X (shape {X.shape}, padding {padding}) is smaller than the {kh}x{kw} kernel"
        )
    cols, Ho, Wo = _im2col(X, kh, kw, padding)
    Y = cols @ K.reshape(c_out, -1).T
    if bias is not None:
        Y = Y + check_array(bias, "bias", ndim=1)
    return Y.reshape(X.shape[0], Ho, Wo, c_out).transpose(0, 3, 1, 2)
