"""Weight initializations, and what each does to the singular values of a layer.

Taught in chapter 10. A dense layer ``y = x W`` with ``W`` of shape (fan_in, fan_out)
multiplies the signal by the singular values of ``W``; a deep network multiplies by
the product of its layers. The classical schemes fix the *scale* of the entries so
that the mean squared singular value is about right:

* :func:`gaussian_init` -- entries ``N(0, gain^2 / fan_in)`` (LeCun's scaling for
  ``gain = 1``): ``E ||x W||^2 = gain^2 ||x||^2``, so a linear network keeps the
  signal's norm *on average*.
* :func:`he_init` -- ``gain = sqrt(2)``, which compensates the half of the signal a
  ReLU zeroes (He et al. 2015).
* :func:`glorot_init` -- variance ``2 / (fan_in + fan_out)``, a compromise between the
  forward and the backward pass (Glorot & Bengio 2010).

A Gaussian matrix still has singular values spread over the Marchenko-Pastur
interval ``[1 - sqrt(c), 1 + sqrt(c)]`` (times ``gain``, for ``c = fan_out / fan_in
<= 1``), and in a product of ``L`` such matrices the spread compounds: a few
directions are amplified and many are crushed. :func:`orthogonal_init` (Saxe,
McClelland & Ganguli 2014) makes *every* singular value equal to ``gain``: a
product of orthogonal layers is orthogonal, whatever the depth.

The orthogonal matrix is drawn from the Haar (uniform) distribution: the ``Q`` of
the QR factorization of a Gaussian matrix, with the columns' signs fixed so that the
diagonal of ``R`` is positive (Mezzadri 2007). Without that sign fix, LAPACK's
Householder QR returns a ``Q`` whose first entry is always negative, which is not
uniform. ``torch.nn.init.orthogonal_`` draws the same distribution.

References
----------
A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the nonlinear
dynamics of learning in deep linear neural networks", ICLR 2014.
F. Mezzadri, "How to generate random matrices from the classical compact groups",
Notices of the AMS 54(5), 2007.
K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers", ICCV 2015.
X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
neural networks", AISTATS 2010.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_random_state, check_scalar

__all__ = ["gaussian_init", "he_init", "glorot_init", "orthogonal_init"]


def _shape(shape) -> tuple[int, int]:
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise ValueError(f"shape must be (fan_in, fan_out), got {shape!r}")
    return (check_int(shape[0], "shape[0]", min_value=1),
            check_int(shape[1], "shape[1]", min_value=1))


def gaussian_init(shape, gain: float = 1.0, *, random_state=None) -> np.ndarray:
    """Entries drawn from ``N(0, gain^2 / fan_in)``.

    Parameters
    ----------
    shape : (int, int)
        ``(fan_in, fan_out)``, the layout of :class:`svdlab.nn.Dense`.
    gain : float
        ``1`` keeps the mean squared singular value at 1 (LeCun); ``sqrt(2)`` is He's.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of float64, shape ``shape``

    Raises
    ------
    ValueError
        If ``shape`` is not a pair of positive integers or ``gain <= 0``.

    Examples
    --------
    >>> W = gaussian_init((400, 300), random_state=0)
    >>> round(float(np.mean(W**2) * 400), 2)       # E w^2 = 1 / fan_in
    1.0

    References
    ----------
    Y. LeCun, L. Bottou, G. B. Orr and K.-R. Mueller, "Efficient backprop", in
    *Neural Networks: Tricks of the Trade*, 1998. Taught in chapter 10.
    """
    fan_in, fan_out = _shape(shape)
    gain = check_scalar(gain, "gain", low=0.0, include_low=False)
    rng = check_random_state(random_state)
    return rng.standard_normal((fan_in, fan_out)) * (gain / np.sqrt(fan_in))


def he_init(shape, *, random_state=None) -> np.ndarray:
    """Entries drawn from ``N(0, 2 / fan_in)`` (He et al. 2015), for ReLU networks.

    Parameters
    ----------
    shape : (int, int)
        ``(fan_in, fan_out)``.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        If ``shape`` is not two positive integers.

    Examples
    --------
    >>> W = he_init((400, 300), random_state=0)
    >>> round(float(np.mean(W**2) * 400), 1)
    2.0

    References
    ----------
    K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers", ICCV 2015.
    Taught in chapters 8 and 10.
    """
    fan_in, fan_out = _shape(shape)
    rng = check_random_state(random_state)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def glorot_init(shape, *, random_state=None) -> np.ndarray:
    """Entries drawn from ``N(0, 2 / (fan_in + fan_out))`` (Glorot & Bengio 2010).

    Parameters
    ----------
    shape : (int, int)
        ``(fan_in, fan_out)``.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        If ``shape`` is not two positive integers.

    Examples
    --------
    >>> W = glorot_init((300, 100), random_state=0)
    >>> round(float(np.mean(W**2) * 400 / 2), 2)
    1.0

    References
    ----------
    X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
    neural networks", AISTATS 2010. Taught in chapter 10.
    """
    fan_in, fan_out = _shape(shape)
    rng = check_random_state(random_state)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))


def orthogonal_init(shape, gain: float = 1.0, *, random_state=None) -> np.ndarray:
    """A Haar-distributed matrix with orthonormal rows or columns, times ``gain``.

    For ``fan_in >= fan_out`` the columns are orthonormal (``W^T W = gain^2 I``),
    otherwise the rows are (``W W^T = gain^2 I``): either way every singular value
    equals ``gain``.

    Parameters
    ----------
    shape : (int, int)
        ``(fan_in, fan_out)``.
    gain : float
        The common singular value.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        If ``shape`` is not a pair of positive integers or ``gain <= 0``.

    Notes
    -----
    Draw ``Z`` with iid ``N(0, 1)`` entries of shape (max, min), take the thin QR
    ``Z = QR`` and multiply column ``j`` of ``Q`` by ``sign(R_jj)``. The result is
    uniform on the Stiefel manifold, because the Gaussian distribution is invariant
    under orthogonal transformations and the sign fix makes the factorization unique
    (Mezzadri 2007).

    Examples
    --------
    >>> W = orthogonal_init((6, 4), random_state=0)
    >>> np.allclose(W.T @ W, np.eye(4))
    True
    >>> np.allclose(np.linalg.svd(orthogonal_init((3, 5), 2.0, random_state=1),
    ...                           compute_uv=False), 2.0)
    True

    References
    ----------
    A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the nonlinear
    dynamics of learning in deep linear neural networks", ICLR 2014.
    F. Mezzadri, "How to generate random matrices from the classical compact groups",
    Notices of the AMS 54(5), 2007. Taught in chapter 10.
    """
    fan_in, fan_out = _shape(shape)
    gain = check_scalar(gain, "gain", low=0.0, include_low=False)
    rng = check_random_state(random_state)
    tall = fan_in >= fan_out
    Z = rng.standard_normal((max(fan_in, fan_out), min(fan_in, fan_out)))
    Q, R = np.linalg.qr(Z)
    signs = np.sign(np.diag(R))
    signs[signs == 0] = 1.0
    Q = Q * signs
    return gain * (Q if tall else Q.T)
