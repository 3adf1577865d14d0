"""Images with the SVD: compression, denoising by singular-value shrinkage, completion.

Images are float arrays in ``[0, 1]`` (as returned by
:func:`svdlab.datasets.load_image`), of shape ``(m, n)`` (grayscale) or
``(m, n, c)`` (colour). Taught in chapter 5.

References
----------
Gavish, M. & Donoho, D. L. (2014). The optimal hard threshold for singular values
is 4/sqrt(3). IEEE Trans. Inf. Theory 60(8), 5040-5053.
Gavish, M. & Donoho, D. L. (2017). Optimal shrinkage of singular values.
IEEE Trans. Inf. Theory 63(4), 2137-2152.
Candès, E. J., Sing-Long, C. A. & Trzasko, J. D. (2013). Unbiased risk estimates for
singular value thresholding and spectral estimators. IEEE Trans. Signal Process. 61(19).
Cai, J.-F., Candès, E. J. & Shen, Z. (2010). A singular value thresholding algorithm
for matrix completion. SIAM J. Optim. 20(4), 1956-1982.
Mazumder, R., Hastie, T. & Tibshirani, R. (2010). Spectral regularization algorithms
for learning large incomplete matrices. JMLR 11, 2287-2322.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy import integrate, optimize
from scipy.sparse.linalg import svds

from ._progress import progress
from ._validation import (
    check_array,
    check_int,
    check_matrix,
    check_option,
    check_rank,
    check_same_shape,
    check_scalar,
    check_singular_values,
    check_vector,
)
from .linalg import rank_for_energy as _rank_for_energy
from .linalg import reconstruct, svd, truncate

__all__ = [
    "compress", "storage_count", "compression_ratio", "mse", "psnr", "ssim",
    "energy_retained", "rank_for_psnr", "rank_for_energy", "CompressionCurve",
    "compression_curve", "CodecResult", "jpeg_at_bytes", "svd_at_bytes",
    "hard_threshold", "soft_threshold", "universal_threshold", "visushrink_threshold",
    "SureResult", "sure_svt", "mp_median", "optimal_hard_threshold_coef", "optimal_hard_threshold",
    "estimate_noise", "optimal_shrinkage", "denoise_patches", "CompletionResult",
    "svt_complete", "soft_impute",
]


# --------------------------------------------------------------------------- helpers
def _check_image(image, name: str = "image") -> np.ndarray:
    img = check_array(image, name, ndim=(2, 3))
    if img.ndim == 3 and img.shape[2] not in (1, 3, 4):
        raise ValueError(f"{name} must have 1, 3 or 4 channels, got shape {img.shape}")
    if min(img.shape[:2]) < 2:
        raise ValueError(f"{name} must be at least 2x2, got shape {img.shape}")
    return img.astype(np.float64, copy=False)


def _channels(img: np.ndarray) -> list[np.ndarray]:
    return [img] if img.ndim == 2 else [img[:, :, c] for c in range(img.shape[2])]


def _stack(chans: list[np.ndarray], ndim: int) -> np.ndarray:
    return chans[0] if ndim == 2 else np.stack(chans, axis=2)


# --------------------------------------------------------------------------- compression
def compress(image, k: int, *, mode: str = "channel", clip: bool = True) -> np.ndarray:
    """Rank-``k`` approximation of an image.

    Grayscale: the truncated SVD. Colour, ``mode="channel"``: each channel
    separately (storage ``c*k*(m+n+1)``); ``mode="stacked"``: one SVD of the
    ``m x (c*n)`` matrix ``[R | G | B]`` (storage ``k*(m+c*n+1)``), which shares
    the left singular vectors between channels. Taught in chapter 5.

    Parameters
    ----------
    image : array_like, shape (m, n) or (m, n, c)
        A grayscale or colour image (c = 1, 3 or 4), values in [0, 1].
    k : int
        The rank kept, 1 <= k <= min(m, n) (min(m, c n) when stacked).
    mode : {"channel", "stacked"}
        One SVD per channel, or one of the stacked ``[R | G | B]`` matrix.
    clip : bool
        Clip the result to [0, 1].

    Returns
    -------
    ndarray of float64, the shape of ``image``
        The rank-``k`` approximation.

    Raises
    ------
    ValueError
        On a bad image, rank or mode.
    TypeError
        If ``k`` is not an integer.

    References
    ----------
    Eckart, C. & Young, G. (1936). The approximation of one matrix by another of lower rank.
    Psychometrika 1(3), 211-218.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> img = rng.random((6, 5))
    >>> np.allclose(compress(img, 5, clip=False), img)
    True
    >>> compress(rng.random((6, 5, 3)), 2, mode="stacked").shape
    (6, 5, 3)
    """
    img = _check_image(image)
    mode = check_option(mode, "mode", ("channel", "stacked"))
    if mode == "stacked" and img.ndim == 3:
        m, n, c = img.shape
        flat = img.transpose(0, 2, 1).reshape(m, c * n)  # [R | G | B]
        k = check_rank(k, flat.shape)
        out = reconstruct(*truncate(*svd(flat), k)).reshape(m, c, n).transpose(0, 2, 1)
    else:
        k = check_rank(k, img.shape[:2])
        out = _stack([reconstruct(*truncate(*svd(ch), k)) for ch in _channels(img)], img.ndim)
    return np.clip(out, 0.0, 1.0) if clip else out


def storage_count(shape, k: int, *, mode: str = "channel") -> int:
    """Numbers stored by a rank-``k`` SVD of an image of ``shape``.

    ``k*(m+n+1)`` per channel (``U_k``, ``V_k`` and ``k`` singular values), or
    ``k*(m+c*n+1)`` for the stacked colour variant. Taught in chapter 5.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)`` or ``(m, n, c)``.
    k : int
        The rank.
    mode : {"channel", "stacked"}
        How a colour image is factored (see :func:`compress`).

    Returns
    -------
    int
        The count of stored numbers.

    Raises
    ------
    ValueError
        On a shape that is not 2- or 3-long, or a rank out of range.

    Examples
    --------
    >>> storage_count((512, 512), 50)
    51250
    >>> storage_count((512, 512, 3), 50), storage_count((512, 512, 3), 50, mode="stacked")
    (153750, 102450)
    """
    shape = tuple(shape)
    if len(shape) not in (2, 3):
        raise ValueError(f"shape must have length 2 or 3, got {shape}")
    for i, d in enumerate(shape):
        check_int(d, f"shape[{i}]", min_value=1)
    mode = check_option(mode, "mode", ("channel", "stacked"))
    m, n = shape[:2]
    c = shape[2] if len(shape) == 3 else 1
    if mode == "stacked":
        k = check_rank(k, (m, c * n))
        return k * (m + c * n + 1)
    k = check_rank(k, (m, n))
    return c * k * (m + n + 1)


def compression_ratio(shape, k: int, *, mode: str = "channel") -> float:
    """Pixel count divided by :func:`storage_count` (above 1 means a saving).

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)`` or ``(m, n, c)``.
    k : int
        The rank.
    mode : {"channel", "stacked"}
        How a colour image is factored (see :func:`compress`).

    Returns
    -------
    float
        ``prod(shape) / storage_count(shape, k, mode=mode)``.

    Raises
    ------
    ValueError
        As :func:`storage_count`.

    Taught in chapter 5.

    Examples
    --------
    >>> round(compression_ratio((512, 512), 50), 3)
    5.115
    """
    return float(np.prod(tuple(shape))) / storage_count(shape, k, mode=mode)


def mse(reference, estimate) -> float:
    """Mean squared error between two images of the same shape.

    Parameters
    ----------
    reference, estimate : array_like, shape (m, n) or (m, n, c)
        Two images of the same shape.

    Returns
    -------
    float
        ``mean((reference - estimate)**2)``.

    Raises
    ------
    ValueError
        On different shapes or arrays that are not 2- or 3-D.

    Taught in chapter 5.

    Examples
    --------
    >>> mse([[0.0, 1.0]], [[0.0, 0.5]])
    0.125
    """
    a = check_array(reference, "reference", ndim=(2, 3))
    b = check_array(estimate, "estimate", ndim=(2, 3))
    check_same_shape(a, b, ("reference", "estimate"))
    return float(np.mean((a.astype(np.float64) - b) ** 2))


def _data_range(reference, data_range) -> float:
    """``data_range`` checked, or inferred from ``reference``'s dtype as scikit-image does."""
    if data_range is not None:
        return check_scalar(data_range, "data_range", low=0.0, include_low=False)
    a = np.asarray(reference)
    if a.dtype == bool:
        return 1.0
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        if info.min < 0:
            raise ValueError(f"data_range must be given for signed integer images "
                             f"(reference has dtype {a.dtype})")
        return float(info.max)
    if np.issubdtype(a.dtype, np.floating):
        lo, hi = float(np.min(a)), float(np.max(a))
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"data_range must be given: the float reference spans "
                             f"[{lo:.4g}, {hi:.4g}], outside the [0, 1] assumed for floats")
        return 1.0
    raise TypeError(f"reference must be a numeric image, got dtype {a.dtype}")


def psnr(reference, estimate, *, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio ``10 log10(data_range**2 / mse)`` in dB.

    Parameters
    ----------
    reference, estimate : array_like, shape (m, n) or (m, n, c)
        The clean image and its approximation, of the same shape.
    data_range : float or None
        The peak-to-peak range of the pixel values. ``None`` infers it from the
        reference's dtype as scikit-image does: 255 for ``uint8``, 65535 for
        ``uint16``, 1 for ``bool`` and for float images in ``[0, 1]`` (the book's
        convention, :func:`svdlab.datasets.load_image`).

    Returns
    -------
    float
        The PSNR in dB; ``inf`` for identical images.

    Raises
    ------
    ValueError
        On different shapes, a non-positive ``data_range``, or ``data_range=None`` with a
        signed integer reference or a float reference outside ``[0, 1]`` (give the range).

    Examples
    --------
    >>> round(psnr(np.zeros((4, 4)), np.full((4, 4), 0.1)), 6)
    20.0
    >>> u8 = np.full((4, 4), 100, dtype=np.uint8)
    >>> round(psnr(u8, u8 + np.uint8(1)), 2)   # data_range 255 from the dtype
    48.13

    References
    ----------
    scikit-image, ``skimage.metrics.peak_signal_noise_ratio`` (the dtype rule).

    Taught in chapter 5.
    """
    data_range = _data_range(reference, data_range)
    e = mse(reference, estimate)
    return float("inf") if e == 0 else float(10 * np.log10(data_range**2 / e))


def ssim(reference, estimate, *, data_range: float | None = None) -> float:
    """Structural similarity (scikit-image's implementation; colour on the last axis).

    ``data_range=None`` infers the range from the reference's dtype as :func:`psnr` does.

    Parameters
    ----------
    reference, estimate : array_like, shape (m, n) or (m, n, c)
        Two images of the same shape, at least 7x7.
    data_range : float or None
        Peak-to-peak range of the pixel values; ``None`` infers it as :func:`psnr` does.

    Returns
    -------
    float
        The mean structural similarity, 1 for identical images.

    Raises
    ------
    ValueError
        On different shapes, images smaller than 7x7 or a bad ``data_range``.

    References
    ----------
    Wang, Z., Bovik, A. C., Sheikh, H. R. & Simoncelli, E. P. (2004). Image quality
    assessment: from error visibility to structural similarity. IEEE Trans. Image
    Process. 13(4), 600-612.

    Taught in chapter 5.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((32, 32))
    >>> ssim(img, img)
    1.0
    """
    from skimage.metrics import structural_similarity

    data_range = _data_range(reference, data_range)
    a = check_array(reference, "reference", ndim=(2, 3))
    b = check_array(estimate, "estimate", ndim=(2, 3))
    check_same_shape(a, b, ("reference", "estimate"))
    if min(a.shape[:2]) < 7:
        raise ValueError(f"reference must be at least 7x7 for SSIM, got shape {a.shape}")
    return float(structural_similarity(a.astype(np.float64), b.astype(np.float64),
                                       data_range=data_range,
                                       channel_axis=2 if a.ndim == 3 else None))


def energy_retained(image, k: int) -> float:
    """Fraction of ``||image||_F^2`` kept by the rank-``k`` SVD (summed over channels).

    Parameters
    ----------
    image : array_like, shape (m, n) or (m, n, c)
        A grayscale or colour image (c = 1, 3 or 4), values in [0, 1].
    k : int
        The rank.

    Returns
    -------
    numpy.float64
        ``sum_(i<=k) s_i**2 / sum_i s_i**2``, summed over channels.

    Raises
    ------
    ValueError
        On a bad image or rank, or an all-zero image.

    Taught in chapter 5.

    Examples
    --------
    >>> energy_retained(np.diag([3.0, 2.0, 1.0, 1.0]), 2).round(4)
    np.float64(0.8667)
    """
    img = _check_image(image)
    k = check_rank(k, img.shape[:2])
    s2 = np.array([svd(ch)[1] ** 2 for ch in _channels(img)])
    total = s2.sum()
    if total == 0:
        raise ValueError("image must not be all zeros")
    return np.float64(s2[:, :k].sum() / total)


def rank_for_energy(image, fraction: float) -> int:
    """Smallest ``k`` keeping ``fraction`` of a grayscale image's energy.

    A thin wrapper of :func:`svdlab.linalg.rank_for_energy` on the image's singular values.

    Parameters
    ----------
    image : array_like, shape (m, n)
        A grayscale image.
    fraction : float
        The energy to keep, in (0, 1].

    Returns
    -------
    int
        The rank.

    Raises
    ------
    ValueError
        On a bad image or a fraction outside (0, 1].

    Taught in chapter 5.

    Examples
    --------
    >>> rank_for_energy(np.diag([3.0, 2.0, 1.0, 1.0]), 0.85)
    2
    """
    img = check_matrix(image, "image")
    return _rank_for_energy(svd(img)[1], fraction)


def rank_for_psnr(image, target: float, *, data_range: float = 1.0) -> int:
    """Smallest ``k`` whose (unclipped) rank-``k`` approximation reaches ``target`` dB.

    By Eckart--Young the error of the rank-``k`` truncation is
    ``sum_{i>k} s_i**2 / (m n)``, so no reconstruction is needed. Colour images
    use per-channel truncation. Returns ``min(m, n)`` if only the full rank reaches it.

    Parameters
    ----------
    image : array_like, shape (m, n) or (m, n, c)
        A grayscale or colour image (c = 1, 3 or 4), values in [0, 1].
    target : float
        The PSNR to reach, in dB.
    data_range : float
        The peak of the PSNR.

    Returns
    -------
    int
        The rank.

    Raises
    ------
    ValueError
        On a bad image or a non-positive ``data_range``.

    References
    ----------
    Eckart, C. & Young, G. (1936). The approximation of one matrix by another of lower rank.
    Psychometrika 1(3), 211-218.

    Taught in chapter 5.

    Examples
    --------
    >>> img = np.diag([1.0, 0.5, 0.1, 0.0])
    >>> rank_for_psnr(img, 20.0), rank_for_psnr(img, 40.0)
    (2, 3)
    """
    img = _check_image(image)
    target = check_scalar(target, "target")
    data_range = check_scalar(data_range, "data_range", low=0.0, include_low=False)
    s2 = np.array([svd(ch)[1] ** 2 for ch in _channels(img)]).sum(axis=0)
    tail = np.concatenate([np.cumsum(s2[::-1])[::-1][1:], [0.0]]) / img.size
    with np.errstate(divide="ignore"):
        p = 10 * np.log10(data_range**2 / tail)
    return int(np.argmax(p >= target) + 1) if np.any(p >= target) else len(s2)


@dataclass(frozen=True)
class CompressionCurve:
    """Quality of the rank-``k`` approximations of one image for several ``k``.

    Parameters
    ----------
    ks, storage, ratio : ndarray
        The ranks, the numbers stored and the compression ratios.
    mse, psnr, ssim, energy : ndarray
        Quality of each rank-``k`` approximation (SSIM is NaN when not computed).

    Taught in chapter 5.
    """

    ks: np.ndarray
    storage: np.ndarray
    ratio: np.ndarray
    mse: np.ndarray
    psnr: np.ndarray
    ssim: np.ndarray
    energy: np.ndarray


def compression_curve(image, ks, *, with_ssim: bool = True) -> CompressionCurve:
    """Quality against rank for all ``ks`` from a single SVD per channel.

    The approximations are built by rank-one updates
    ``A_k = A_{k'} + U[:, k':k] diag(s[k':k]) V[:, k':k]^T`` in increasing ``k``, so
    the cost is one SVD plus ``O(m n max(ks))``, not a fresh product per ``k``.
    MSE/PSNR/SSIM are measured after clipping to ``[0, 1]``.

    Parameters
    ----------
    image : array_like, shape (m, n) or (m, n, c)
        A grayscale or colour image (c = 1, 3 or 4), values in [0, 1].
    ks : array_like of int
        The ranks, each in 1..min(m, n), any order.
    with_ssim : bool
        Also compute SSIM (the slowest part).

    Returns
    -------
    CompressionCurve
        One entry per ``k`` of ``ks``, in the order given.

    Raises
    ------
    ValueError
        On a bad image or empty or out-of-range ``ks``.

    Taught in chapter 5.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((16, 12))
    >>> c = compression_curve(img, [1, 4, 12], with_ssim=False)
    >>> bool(np.all(np.diff(c.mse) < 0)), float(c.mse[-1]) < 1e-25
    (True, True)
    """
    img = _check_image(image)
    kmax_allowed = min(img.shape[:2])
    ks = check_vector(ks, "ks", dtype="int")
    if ks.size == 0:
        raise ValueError("ks must not be empty")
    if ks.min() < 1 or ks.max() > kmax_allowed:
        raise ValueError(f"ks must lie in 1..{kmax_allowed}, got {ks.min()}..{ks.max()}")
    order = np.argsort(ks)
    facs = [svd(ch) for ch in _channels(img)]
    total = sum(float(np.sum(f[1] ** 2)) for f in facs)
    approx = [np.zeros(img.shape[:2]) for _ in facs]
    done = 0
    out = {key: np.empty(ks.size) for key in ("mse", "psnr", "ssim", "energy")}
    for idx in order:
        k = int(ks[idx])
        if k > done:
            for a, (U, s, Vt) in zip(approx, facs, strict=True):
                a += (U[:, done:k] * s[done:k]) @ Vt[done:k]
            done = k
        est = np.clip(_stack(approx, img.ndim), 0.0, 1.0)
        out["mse"][idx] = mse(img, est)
        out["psnr"][idx] = psnr(img, est, data_range=1.0)
        out["ssim"][idx] = ssim(img, est, data_range=1.0) if with_ssim else np.nan
        out["energy"][idx] = sum(float(np.sum(f[1][:k] ** 2)) for f in facs) / total
    storage = np.array([storage_count(img.shape, int(k)) for k in ks])
    return CompressionCurve(ks=ks, storage=storage, ratio=img.size / storage, **out)


@dataclass(frozen=True)
class CodecResult:
    """An image coded within a byte budget: the decoded image and what it cost.

    Parameters
    ----------
    image : ndarray
        The decoded image.
    n_bytes : int
        Bytes used.
    param : float
        JPEG quality or SVD rank.
    psnr, ssim : float
        Quality against the original.

    Taught in chapter 5.
    """

    image: np.ndarray
    n_bytes: int
    param: float
    psnr: float
    ssim: float


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)


def _jpeg(u8: np.ndarray, quality: int) -> tuple[np.ndarray, int]:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(u8).save(buf, format="JPEG", quality=int(quality), optimize=True)
    n = buf.tell()
    buf.seek(0)
    return np.asarray(Image.open(buf), dtype=np.float64) / 255.0, n


def jpeg_at_bytes(image, n_bytes: int) -> CodecResult:
    """The best-quality JPEG (Pillow) of ``image`` that fits in ``n_bytes``.

    Binary search on the quality setting 1..95 (file size grows with quality);
    ``param`` is the chosen quality. Raises ``ValueError`` if even quality 1 does
    not fit. Sizes include the JPEG headers.

    Parameters
    ----------
    image : array_like, shape (m, n) or (m, n, c)
        A grayscale or colour image (c = 1, 3 or 4), values in [0, 1].
    n_bytes : int
        The budget, headers included.

    Returns
    -------
    CodecResult
        The decoded image, its size, quality, PSNR and SSIM.

    Raises
    ------
    ValueError
        If even quality 1 does not fit, or on a bad image.

    References
    ----------
    Wallace, G. K. (1992). The JPEG still picture compression standard. IEEE Trans.
    Consumer Electronics 38(1), xviii-xxxiv.

    Taught in chapter 5.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((64, 64))
    >>> r = jpeg_at_bytes(img, 3000)
    >>> r.n_bytes <= 3000 and 1 <= r.param <= 95
    True
    """
    img = _check_image(image)
    n_bytes = check_int(n_bytes, "n_bytes", min_value=1)
    u8 = _to_uint8(img[:, :, :3] if img.ndim == 3 else img)
    lo, hi, best = 1, 95, None
    while lo <= hi:
        q = (lo + hi) // 2
        dec, n = _jpeg(u8, q)
        if n <= n_bytes:
            best, lo = (q, dec, n), q + 1
        else:
            hi = q - 1
    if best is None:
        raise ValueError(f"n_bytes={n_bytes} is too small: quality 1 needs more")
    q, dec, n = best
    ref = img[:, :, :3] if img.ndim == 3 else img
    return CodecResult(image=dec, n_bytes=n, param=q, psnr=psnr(ref, dec, data_range=1.0),
                      ssim=ssim(ref, dec, data_range=1.0))


def _quantize_cols(F: np.ndarray) -> np.ndarray:
    """Round each column of ``F`` to 256 levels between its min and max (uint8 + 2 float16)."""
    lo = F.min(axis=0).astype(np.float16).astype(np.float64)
    hi = F.max(axis=0).astype(np.float16).astype(np.float64)
    scale = np.where(hi > lo, (hi - lo) / 255.0, 1.0)
    return np.round((F - lo) / scale).clip(0, 255) * scale + lo


def svd_at_bytes(image, n_bytes: int, *, dtype: str = "float16") -> CodecResult:
    """The largest-rank SVD of ``image`` whose factors fit in ``n_bytes``.

    Storage is counted honestly. ``dtype="float16"``: ``U_k diag(s)`` and ``V_k``
    stored as float16, ``2 k (m + n)`` bytes per channel. ``dtype="uint8"``: the
    balanced factors ``U_k diag(sqrt s)`` and ``V_k diag(sqrt s)`` quantized per
    column to 8 bits with a float16 minimum and maximum, ``k (m + n + 8)`` bytes
    per channel. The decoded image uses the rounded factors; ``param`` is ``k``.

    Parameters
    ----------
    image : array_like, shape (m, n) or (m, n, c)
        A grayscale or colour image (c = 1, 3 or 4), values in [0, 1].
    n_bytes : int
        The budget for the factors.
    dtype : {"float16", "uint8"}
        How the factors are stored.

    Returns
    -------
    CodecResult
        The decoded image, the bytes used, the rank, PSNR and SSIM.

    Raises
    ------
    ValueError
        If rank 1 does not fit, or on a bad image or dtype.

    Taught in chapter 5.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((64, 64))
    >>> r = svd_at_bytes(img, 2000)
    >>> r.param, r.n_bytes
    (7, 1792)
    """
    img = _check_image(image)
    n_bytes = check_int(n_bytes, "n_bytes", min_value=1)
    dtype = check_option(dtype, "dtype", ("float16", "uint8"))
    chans = _channels(img[:, :, :3] if img.ndim == 3 else img)
    m, n = img.shape[:2]
    per_rank = len(chans) * (2 * (m + n) if dtype == "float16" else (m + n + 8))
    k = min(n_bytes // per_rank, min(m, n))
    if k < 1:
        raise ValueError(f"n_bytes={n_bytes} is too small: rank 1 needs {per_rank} bytes")
    out = []
    for ch in chans:
        U, s, Vt = truncate(*svd(ch), k)
        if dtype == "float16":
            L = (U * s).astype(np.float16).astype(np.float64)
            R = Vt.T.astype(np.float16).astype(np.float64)
        else:
            r = np.sqrt(s)
            L, R = _quantize_cols(U * r), _quantize_cols(Vt.T * r)
        out.append(np.clip(L @ R.T, 0, 1))
    dec = _stack(out, 2 if len(chans) == 1 else 3)
    ref = img[:, :, :3] if img.ndim == 3 else img
    return CodecResult(image=dec, n_bytes=int(k * per_rank), param=int(k),
                       psnr=psnr(ref, dec, data_range=1.0),
                       ssim=ssim(ref, dec, data_range=1.0))


# --------------------------------------------------------------------------- thresholding
def _shrink(A, fn):
    A = check_matrix(A, "A")
    U, s, Vt = svd(A)
    return reconstruct(U, fn(s), Vt)


def hard_threshold(A, tau: float) -> np.ndarray:
    """Keep the singular values above ``tau``, zero the others.

    Parameters
    ----------
    A : array_like, shape (m, n)
        The matrix.
    tau : float
        The threshold, >= 0.

    Returns
    -------
    ndarray, shape (m, n)
        ``sum_(s_i > tau) s_i u_i v_i^T``.

    Raises
    ------
    ValueError
        On a bad matrix or a negative ``tau``.

    References
    ----------
    Gavish, M. & Donoho, D. L. (2014). The optimal hard threshold for singular values
    is 4/sqrt(3). IEEE Trans. Inf. Theory 60(8), 5040-5053.

    Taught in chapter 5.

    Examples
    --------
    >>> hard_threshold(np.diag([3.0, 1.0]), 2.0)
    array([[3., 0.],
           [0., 0.]])
    """
    tau = check_scalar(tau, "tau", low=0.0)
    return _shrink(A, lambda s: np.where(s > tau, s, 0.0))


def soft_threshold(A, tau: float) -> np.ndarray:
    """Singular value thresholding ``sum_i (s_i - tau)_+ u_i v_i^T``: the prox of ``tau ||.||_*``.

    Parameters
    ----------
    A : array_like, shape (m, n)
        The matrix.
    tau : float
        The threshold, >= 0.

    Returns
    -------
    ndarray, shape (m, n)
        The proximal point of ``tau ||.||_*`` at ``A``.

    Raises
    ------
    ValueError
        On a bad matrix or a negative ``tau``.

    References
    ----------
    Cai, J.-F., Candès, E. J. & Shen, Z. (2010). A singular value thresholding algorithm
    for matrix completion. SIAM J. Optim. 20(4), 1956-1982.

    Taught in chapter 5.

    Examples
    --------
    >>> soft_threshold(np.diag([3.0, 1.0]), 2.0)
    array([[1., 0.],
           [0., 0.]])
    """
    tau = check_scalar(tau, "tau", low=0.0)
    return _shrink(A, lambda s: np.maximum(s - tau, 0.0))


def universal_threshold(s) -> float:
    """The source blog post's "universal" rule ``median(s) / 0.6745 * sqrt(2 log len(s))``.

    Donoho--Johnstone's universal threshold for *wavelet coefficients*, where the
    median of the finest-scale coefficients estimates the noise level. Singular
    values are not noisy coefficients of a sparse signal: their median is dominated
    by the noise bulk edge, so the rule has no justification here; it is kept as a
    baseline. Taught in chapter 5.

    Parameters
    ----------
    s : array_like
        Singular values.

    Returns
    -------
    float
        The threshold.

    Raises
    ------
    ValueError
        On an empty or negative ``s``.

    References
    ----------
    Donoho, D. L. & Johnstone, I. M. (1994). Ideal spatial adaptation by wavelet
    shrinkage. Biometrika 81(3), 425-455.

    Examples
    --------
    >>> round(universal_threshold([4.0, 2.0, 1.0, 0.5]), 4)
    3.703
    """
    s = check_singular_values(s)
    return float(np.median(s) / 0.6745 * np.sqrt(2 * np.log(s.size)))


def visushrink_threshold(s) -> float:
    """The source blog post's "VisuShrink" rule ``std(s) * sqrt(2 log len(s))`` (a misapplied wavelet heuristic).

    Parameters
    ----------
    s : array_like
        Singular values.

    Returns
    -------
    float
        The threshold.

    Raises
    ------
    ValueError
        On an empty or negative ``s``.

    References
    ----------
    Donoho, D. L. & Johnstone, I. M. (1994). Ideal spatial adaptation by wavelet
    shrinkage. Biometrika 81(3), 425-455.

    Taught in chapter 5 (as a rule that does not apply to singular values).

    Examples
    --------
    >>> round(visushrink_threshold([4.0, 2.0, 1.0, 0.5]), 4)
    2.232
    """
    s = check_singular_values(s)
    return float(np.std(s) * np.sqrt(2 * np.log(s.size)))


@dataclass(frozen=True)
class SureResult:
    """SURE of singular value thresholding over a grid of thresholds.

    Parameters
    ----------
    taus, risk : ndarray
        The thresholds and their SURE values.
    tau : float
        The minimizer.
    estimate : ndarray
        ``soft_threshold(Y, tau)``.

    Taught in chapter 5.
    """

    taus: np.ndarray
    risk: np.ndarray
    tau: float
    estimate: np.ndarray


def sure_svt(Y, sigma: float, taus=None) -> SureResult:
    """Stein's unbiased risk estimate of ``soft_threshold(Y, tau)`` for each ``tau``.

    For ``Y = X + sigma Z`` (``m x n`` real, iid standard Gaussian ``Z``),
    Candès, Sing-Long & Trzasko (2013, eq. 10-11) give

    ``SURE(tau) = -m n sigma^2 + sum_i min(tau^2, s_i^2) + 2 sigma^2 div(tau)``,

    ``div = sum_i [1(s_i > tau) + |m - n| (1 - tau/s_i)_+]
    + 2 sum_{i != j} s_i (s_i - tau)_+ / (s_i^2 - s_j^2)``,

    an unbiased estimate of ``E ||SVT_tau(Y) - X||_F^2``. Returns the risks, the
    minimizing ``tau`` and the corresponding estimate. ``taus`` defaults to 200
    points between 0 and ``s_1`` together with the singular values and the midpoints
    between consecutive ones (an even grid alone is too coarse when ``s_1`` is far
    above the noise, as for an image's mean brightness).

    Parameters
    ----------
    Y : array_like, shape (m, n)
        The noisy matrix.
    sigma : float
        The noise standard deviation, > 0.
    taus : array_like or None
        Non-negative thresholds to evaluate.

    Returns
    -------
    SureResult
        ``taus``, ``risk`` (one per threshold), the best ``tau`` and its estimate.

    Raises
    ------
    ValueError
        On a bad matrix, a non-positive ``sigma`` or empty or negative ``taus``.

    References
    ----------
    Candès, E. J., Sing-Long, C. A. & Trzasko, J. D. (2013). Unbiased risk estimates for
    singular value thresholding and spectral estimators. IEEE Trans. Signal Process. 61(19).

    Taught in chapter 5.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 30))
    >>> r = sure_svt(X + 0.5 * rng.standard_normal((40, 30)), 0.5)
    >>> bool(r.risk.min() < 0.25 * 40 * 30)
    True
    """
    Y = check_matrix(Y, "Y").astype(np.float64)
    sigma = check_scalar(sigma, "sigma", low=0.0, include_low=False)
    m, n = Y.shape
    U, s, Vt = svd(Y)
    if taus is None:  # SURE is smooth between singular values: try them and their midpoints
        taus = np.unique(np.concatenate([np.linspace(0.0, s[0], 200), s, (s[1:] + s[:-1]) / 2]))
    taus = check_vector(taus, "taus", nonnegative=True)
    if taus.size == 0:
        raise ValueError("taus must not be empty")
    d = s[:, None] ** 2 - s[None, :] ** 2
    np.fill_diagonal(d, np.inf)
    with np.errstate(divide="ignore"):
        c = s * np.sum(1.0 / d, axis=1)  # s_i sum_{j != i} 1/(s_i^2 - s_j^2)
    t = taus[:, None]
    pos = np.maximum(s[None, :] - t, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(s[None, :] > 0, np.maximum(1 - t / s[None, :], 0.0), 0.0)
    div = np.sum((s[None, :] > t) + abs(m - n) * ratio, axis=1) + 2 * np.sum(pos * c, axis=1)
    risk = -m * n * sigma**2 + np.sum(np.minimum(t**2, s[None, :] ** 2), axis=1) + 2 * sigma**2 * div
    best = float(taus[np.argmin(risk)])
    return SureResult(taus=taus, risk=risk, tau=best,
                      estimate=reconstruct(U, np.maximum(s - best, 0.0), Vt))


@lru_cache(maxsize=256)
def _mp_median(beta: float) -> float:
    lo, hi = (1 - np.sqrt(beta)) ** 2, (1 + np.sqrt(beta)) ** 2

    def density(x):
        return np.sqrt(max((hi - x) * (x - lo), 0.0)) / (2 * np.pi * beta * x)

    def cdf(x):
        return integrate.quad(density, lo, x, limit=200, epsabs=1e-13, epsrel=1e-12)[0]

    return float(optimize.brentq(lambda x: cdf(x) - 0.5, lo, hi, xtol=1e-14))


def mp_median(beta: float) -> float:
    """Median of the Marchenko--Pastur law with aspect ratio ``beta`` in (0, 1].

    The law of the eigenvalues of ``Z^T Z / n`` for an ``n x m`` matrix ``Z`` of
    iid unit-variance entries, ``beta = m/n``; computed by root-finding on its
    numerically integrated distribution function.

    Parameters
    ----------
    beta : float
        The aspect ratio ``m / n`` in (0, 1].

    Returns
    -------
    float
        The median of the law.

    Raises
    ------
    ValueError
        If ``beta`` is outside (0, 1].

    References
    ----------
    Marchenko, V. A. & Pastur, L. A. (1967). Distribution of eigenvalues for some sets of
    random matrices. Math. USSR-Sbornik 1(4), 457-483.

    Taught in chapter 5.

    Examples
    --------
    >>> round(mp_median(1.0), 4)
    0.6528
    """
    beta = check_scalar(beta, "beta", low=0.0, high=1.0, include_low=False)
    return _mp_median(round(beta, 12))


def _lambda_star(beta: float) -> float:
    return float(np.sqrt(2 * (beta + 1) + 8 * beta / (beta + 1 + np.sqrt(beta**2 + 14 * beta + 1))))


def optimal_hard_threshold_coef(beta: float, sigma_known: bool = True) -> float:
    """Gavish--Donoho coefficient: ``lambda*(beta)`` (known noise) or ``omega(beta)`` (unknown).

    ``lambda*(beta) = sqrt(2(beta+1) + 8 beta / (beta + 1 + sqrt(beta^2 + 14 beta + 1)))``
    and ``omega(beta) = lambda*(beta) / sqrt(mu_beta)`` with ``mu_beta`` the exact
    Marchenko--Pastur median (:func:`mp_median`), not the cubic fit
    ``0.56 b^3 - 0.95 b^2 + 1.82 b + 1.43``.

    Parameters
    ----------
    beta : float
        The aspect ratio ``m / n`` in (0, 1].
    sigma_known : bool
        ``lambda*`` (True) or ``omega`` (False).

    Returns
    -------
    float
        The coefficient.

    Raises
    ------
    ValueError
        If ``beta`` is outside (0, 1].

    References
    ----------
    Gavish, M. & Donoho, D. L. (2014). The optimal hard threshold for singular values
    is 4/sqrt(3). IEEE Trans. Inf. Theory 60(8), 5040-5053.

    Taught in chapter 5.

    Examples
    --------
    >>> round(optimal_hard_threshold_coef(1.0), 4), round(4 / 3**0.5, 4)
    (2.3094, 2.3094)
    >>> round(optimal_hard_threshold_coef(1.0, sigma_known=False), 4)
    2.8584
    """
    beta = check_scalar(beta, "beta", low=0.0, high=1.0, include_low=False)
    lam = _lambda_star(beta)
    return float(lam if sigma_known else lam / np.sqrt(mp_median(beta)))


def optimal_hard_threshold(shape, sigma: float | None = None, s=None) -> float:
    """Gavish--Donoho (2014) optimal hard threshold for singular values.

    Known noise level: ``lambda*(beta) sqrt(n) sigma`` with ``n`` the larger
    dimension and ``beta = m/n``. Unknown: ``omega(beta) median(s)``, with the
    singular values ``s`` of the observed matrix. Taught in chapter 5.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)`` of the matrix.
    sigma : float or None
        The noise level, if known.
    s : array_like or None
        The observed singular values (used when ``sigma`` is None).

    Returns
    -------
    float
        The threshold on the singular values.

    Raises
    ------
    ValueError
        On a bad shape, or if neither ``sigma`` nor ``s`` is given.

    References
    ----------
    Gavish, M. & Donoho, D. L. (2014). The optimal hard threshold for singular values
    is 4/sqrt(3). IEEE Trans. Inf. Theory 60(8), 5040-5053.

    Examples
    --------
    >>> round(optimal_hard_threshold((100, 100), sigma=1.0), 3)
    23.094
    >>> round(optimal_hard_threshold((100, 100), s=np.full(100, 10.0)), 3)
    28.584
    """
    shape = tuple(shape)
    if len(shape) != 2:
        raise ValueError(f"shape must be (m, n), got {shape}")
    m, n = (check_int(d, f"shape[{i}]", min_value=1) for i, d in enumerate(shape))
    m, n = min(m, n), max(m, n)
    beta = m / n
    if sigma is not None:
        sigma = check_scalar(sigma, "sigma", low=0.0)
        return float(_lambda_star(beta) * np.sqrt(n) * sigma)
    if s is None:
        raise ValueError("give either sigma (known noise) or s (singular values)")
    s = check_singular_values(s)
    return optimal_hard_threshold_coef(beta, sigma_known=False) * float(np.median(s))


def estimate_noise(Y, *, method: str = "mp") -> float:
    """Estimate the noise standard deviation ``sigma`` of ``Y = X + sigma Z``.

    ``method="mp"`` (matrices with a low-rank signal): ``median(s) / sqrt(n mu_beta)``
    (Gavish & Donoho 2014). On natural images the signal is not low rank, the
    median singular value contains signal, and this over-estimates ``sigma``.
    ``method="mad"`` (images): the median absolute deviation of the finest
    diagonal Haar detail ``(a - b - c + d)/2`` over 2x2 blocks, divided by
    0.6745 (Donoho & Johnstone 1994): the detail has the noise's variance and is
    nearly zero on smooth image regions. Edges and texture leak into it, so only
    the half of the blocks where a Gaussian-smoothed copy (2 px) has the smallest
    gradient is used; the smoothing makes that selection nearly independent of the
    noise in the detail.

    Parameters
    ----------
    Y : array_like, shape (m, n)
        The noisy matrix or image.
    method : {"mp", "mad"}
        Marchenko--Pastur median (low-rank matrices) or high-pass MAD (images).

    Returns
    -------
    float
        The estimate of ``sigma``.

    Raises
    ------
    ValueError
        On a bad matrix or method, or an image smaller than 4x4 for ``"mad"``.

    References
    ----------
    Gavish, M. & Donoho, D. L. (2014), see :func:`optimal_hard_threshold`; Donoho, D. L. &
    Johnstone, I. M. (1994). Ideal spatial adaptation by wavelet shrinkage. Biometrika 81(3).

    Taught in chapter 5.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Z = 0.1 * rng.standard_normal((300, 200))
    >>> round(estimate_noise(Z), 2), round(estimate_noise(Z, method="mad"), 2)
    (0.1, 0.1)
    """
    Y = check_matrix(Y, "Y").astype(np.float64)
    method = check_option(method, "method", ("mp", "mad"))
    m, n = min(Y.shape), max(Y.shape)
    if method == "mp":
        s = np.linalg.svd(Y, compute_uv=False)
        return float(np.median(s) / np.sqrt(n * mp_median(m / n)))
    from scipy import ndimage

    a = Y[: Y.shape[0] // 2 * 2, : Y.shape[1] // 2 * 2]
    if min(a.shape) < 4:
        raise ValueError(f"Y must be at least 4x4 for method='mad', got shape {Y.shape}")
    d = (a[0::2, 0::2] - a[0::2, 1::2] - a[1::2, 0::2] + a[1::2, 1::2]) / 2
    smooth = ndimage.gaussian_filter(a, 2.0)
    grad = np.hypot(ndimage.sobel(smooth, 0), ndimage.sobel(smooth, 1))[0::2, 0::2]
    flat = grad <= np.median(grad)
    return float(np.median(np.abs(d[flat])) / 0.6744897501960817)


def _gd_shrink(s: np.ndarray, n: int, beta: float, sigma: float) -> np.ndarray:
    """Frobenius-optimal shrinker of Gavish & Donoho (2017) in units of ``sqrt(n) sigma``."""
    scale = np.sqrt(n) * sigma
    y = s / scale
    with np.errstate(invalid="ignore", divide="ignore"):
        eta = np.sqrt(np.maximum((y**2 - beta - 1) ** 2 - 4 * beta, 0.0)) / y
    return np.where(y > 1 + np.sqrt(beta), eta, 0.0) * scale


def optimal_shrinkage(Y, sigma: float | None = None) -> np.ndarray:
    """Gavish--Donoho (2017) optimal singular value shrinkage for Frobenius loss.

    With ``y = s / (sqrt(n) sigma)``, each singular value becomes
    ``sqrt(n) sigma sqrt((y^2 - beta - 1)^2 - 4 beta) / y`` if ``y > 1 + sqrt(beta)``
    and zero otherwise. Unknown ``sigma`` is estimated by :func:`estimate_noise`.

    Parameters
    ----------
    Y : array_like, shape (m, n)
        The noisy matrix.
    sigma : float or None
        The noise level; None estimates it (``method="mp"``).

    Returns
    -------
    ndarray, shape (m, n)
        The shrunken estimate.

    Raises
    ------
    ValueError
        On a bad matrix or a non-positive ``sigma``.

    References
    ----------
    Gavish, M. & Donoho, D. L. (2017). Optimal shrinkage of singular values.
    IEEE Trans. Inf. Theory 63(4), 2137-2152.

    Taught in chapter 5.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = 5 * rng.standard_normal((200, 2)) @ rng.standard_normal((2, 100))
    >>> Y = X + rng.standard_normal((200, 100))
    >>> bool(np.linalg.norm(optimal_shrinkage(Y, 1.0) - X) < 0.3 * np.linalg.norm(Y - X))
    True
    """
    Y = check_matrix(Y, "Y").astype(np.float64)
    m, n = min(Y.shape), max(Y.shape)
    sigma = estimate_noise(Y) if sigma is None else check_scalar(sigma, "sigma", low=0.0,
                                                                   include_low=False)
    U, s, Vt = svd(Y)
    return reconstruct(U, _gd_shrink(s, n, m / n, sigma), Vt)


# --------------------------------------------------------------------------- patch denoiser
def _window_sums(a: np.ndarray, p: int, starts: np.ndarray, g: int) -> np.ndarray:
    """``a[r:r + p].sum(axis=0)`` for every ``r`` in ``starts``, without a cumulative sum.

    ``g`` divides ``p`` and the regular starts: the rows are first summed in blocks of
    ``g`` (a reshape), then each window adds ``p / g`` consecutive blocks. Starts off
    that lattice (the grid's last, edge-aligned patch) are summed directly.
    """
    nb = a.shape[0] // g
    blk = a[: nb * g].reshape(nb, g, *a.shape[1:]).sum(axis=1)
    regular = (starts % g == 0) & (starts + p <= nb * g)
    first = starts[regular] // g
    out = np.empty((starts.size, *a.shape[1:]), dtype=a.dtype)
    acc = blk[first]
    for t in range(1, p // g):
        acc += blk[first + t]
    out[regular] = acc
    for i in np.flatnonzero(~regular):
        out[i] = a[starts[i]: starts[i] + p].sum(axis=0)
    return out


def _grid(size: int, p: int, step: int) -> np.ndarray:
    g = np.arange(0, size - p + 1, step)
    return g if g[-1] == size - p else np.append(g, size - p)


def _match(guide: np.ndarray, p: int, step: int, window: int, n_similar: int):
    """Block matching: for each reference patch on a grid, the ``n_similar`` closest patches."""
    H, W = guide.shape
    rows, cols = _grid(H, p, step), _grid(W, p, step)
    ri, ci = np.meshgrid(rows, cols, indexing="ij")
    ri, ci = ri.ravel(), ci.ravel()
    offs = np.arange(-window, window + 1)
    dy, dx = np.meshgrid(offs, offs, indexing="ij")
    dy, dx = dy.ravel(), dx.ravel()
    pad = np.pad(guide, window, mode="reflect")
    dist = np.empty((rows.size, cols.size, dy.size), dtype=np.float32)
    g = math.gcd(step, p)
    for j in range(dy.size):  # one vectorized pass over the image per offset
        sh = pad[window + dy[j]: window + dy[j] + H, window + dx[j]: window + dx[j] + W]
        # p x p window sums of the squared difference, only at the grid's rows and columns
        by_rows = _window_sums(np.square(guide - sh), p, rows, g)
        dist[:, :, j] = _window_sums(by_rows.T, p, cols, g).T
    dist = dist.reshape(ri.size, dy.size)
    tr = np.clip(ri[:, None] + dy[None, :], 0, H - p)
    tc = np.clip(ci[:, None] + dx[None, :], 0, W - p)
    dist[(tr != ri[:, None] + dy[None, :]) | (tc != ci[:, None] + dx[None, :])] = np.inf
    best = np.argpartition(dist, n_similar - 1, axis=1)[:, :n_similar]
    take = np.take_along_axis
    return take(tr, best, 1), take(tc, best, 1)


def _gram_eig(Xc: np.ndarray):
    """Singular values of a batch of small matrices, and the eigenvectors of the smaller Gram.

    For ``Xc`` of shape ``(g, K, d)`` returns ``s`` (g, r), descending, with
    ``r = min(K, d)``, and ``E``: the left singular vectors (g, K, r), the eigenvectors
    of ``Xc Xc^T``, when ``K <= d``, else the right ones (g, d, r) of ``Xc^T Xc``. One
    batched ``eigh`` of the smaller Gram matrix is about twice as fast as a batched SVD;
    singular values below ``sqrt(eps) s_1`` lose relative accuracy this way, and the
    denoiser shrinks all of them to zero (they lie far below the noise).
    """
    K, d = Xc.shape[1:]
    G = Xc @ np.swapaxes(Xc, 1, 2) if K <= d else np.swapaxes(Xc, 1, 2) @ Xc
    w, E = np.linalg.eigh(G)
    return np.sqrt(np.maximum(w[:, ::-1], 0.0)), E[:, :, ::-1]


def _group_svd(Xc: np.ndarray):
    """Singular values and right singular vectors of a batch of small matrices, via Gram.

    For ``Xc`` of shape ``(g, K, d)`` returns ``s`` (g, r), descending, and ``V`` (g, d, r)
    with ``r = min(K, d)``, from :func:`_gram_eig`. When ``K <= d``, ``V = Xc^T U / s``;
    the columns of ``V`` for singular values below ``1e-7 s_1`` are zeroed.
    """
    K, d = Xc.shape[1:]
    s, E = _gram_eig(Xc)
    if K > d:
        return s, E
    tiny = s <= 1e-7 * s[:, :1]
    inv = np.where(tiny, 0.0, 1.0 / np.where(tiny, 1.0, s))
    return s, (np.swapaxes(Xc, 1, 2) @ E) * inv[:, None, :]


def _group_pixels(gr: np.ndarray, gc: np.ndarray, p: int, W: int) -> np.ndarray:
    py, px = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")
    return ((gr[..., None] + py.ravel()) * W + gc[..., None] + px.ravel())  # (g, K, p*p)


def _per_stage(value, name: str, min_value: int, max_value: int | None = None):
    """An int, or a pair of ints (stage 1, stage 2), as a pair."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair (stage 1, stage 2), got {value!r}")
    return tuple(check_int(v, f"{name}[{i}]", min_value=min_value, max_value=max_value)
                 for i, v in enumerate(pair))


def denoise_patches(image, sigma: float | None = None, *, patch_size: int = 8,
                    n_similar: int = 48, window=(16, 6), step=(6, 5),
                    shrinkage: str = "wnnm", n_stages: int = 2,
                    chunk: int = 512, verbose: bool = False) -> np.ndarray:
    """Low-rank denoising of groups of similar patches (block matching + SVD).

    Stage 1: for reference patches on a grid (every ``step[0]`` pixels) find the
    ``n_similar`` closest patches within ``+-window[0]`` pixels; stack them as the
    columns of a ``p^2 x K`` matrix, remove the mean patch, shrink its singular
    values -- weighted nuclear-norm shrinkage as in WNNM (``shrinkage="wnnm"``,
    the default) or Gavish--Donoho optimal Frobenius shrinkage for that shape
    (``"gd"``) -- and average the overlapping estimates. The WNNM shrinker is the
    closed-form weighted nuclear-norm shrinkage of WNNM,
    ``t = (s + sqrt(s^2 - 4C)) / 2`` above ``2 sqrt(C) = sigma (sqrt(K) + p)``, the
    noise bulk edge; a single pass, without WNNM's iterations. Stage 2
    (``n_stages=2``) repeats the matching on the stage-1 image (grid ``step[1]``,
    search ``+-window[1]``) and applies the empirical Wiener filter in the group's
    singular basis of the stage-1 estimate (as in LPG-PCA and BM3D). Grayscale only;
    ``sigma=None`` uses :func:`estimate_noise` with ``method="mad"``. All patch work
    is batched through NumPy (batched eigendecompositions of the groups' Gram
    matrices, ``bincount`` aggregation).

    Parameters
    ----------
    image : array_like, shape (m, n)
        The noisy grayscale image.
    sigma : float or None
        The noise level; None estimates it.
    patch_size : int
        Side ``p`` of the square patches.
    n_similar : int
        Patches per group ``K``.
    window : int or (int, int)
        Half-width of the search window in pixels, one for both stages or a pair
        (stage 1, stage 2).
    step : int or (int, int)
        Spacing of the reference patches, 1..``patch_size``, one or a pair as for
        ``window``. Each group costs one eigendecomposition, so the steps set the run
        time: about ``(m / step) (n / step)`` groups per stage.
    shrinkage : {"wnnm", "gd"}
        The stage-1 shrinker. The defaults (48 patches, ``"wnnm"``, windows 16 and 6,
        steps 6 and 5) were chosen on the cameraman image at sigma = 0.05 and 0.1:
        the best PSNR among the settings that ran there in less wall time than BM3D
        (chapter 5's benchmark tests them on other images).
    n_stages : {1, 2}
        Add the Wiener stage (2) or not.
    chunk : int
        Groups processed per batch (memory).
    verbose : bool
        Show a progress bar over the batches of groups of each stage.

    Returns
    -------
    ndarray, shape (m, n)
        The denoised image.

    Raises
    ------
    ValueError
        On a bad image or argument, an image too small for the patch and window, or more
        similar patches than the window holds.

    References
    ----------
    Gu, S., Zhang, L., Zuo, W. & Feng, X. (2014). Weighted nuclear norm minimization
    with application to image denoising. CVPR.
    Zhang, L., Dong, W., Zhang, D. & Shi, G. (2010). Two-stage image denoising by
    principal component analysis with local pixel grouping. Pattern Recognition 43(4).

    Taught in chapter 5.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> clean = np.tile(np.linspace(0, 1, 48), (48, 1))
    >>> noisy = clean + 0.1 * rng.standard_normal(clean.shape)
    >>> den = denoise_patches(noisy, 0.1, n_similar=16, window=6)
    >>> bool(psnr(clean, den) > psnr(clean, noisy) + 8)
    True
    """
    img = check_matrix(image, "image").astype(np.float64)
    p = check_int(patch_size, "patch_size", min_value=2)
    K = check_int(n_similar, "n_similar", min_value=2)
    windows = _per_stage(window, "window", 1)
    steps = _per_stage(step, "step", 1, p)
    n_stages = check_int(n_stages, "n_stages", min_value=1, max_value=2)
    chunk = check_int(chunk, "chunk", min_value=1)
    shrinkage = check_option(shrinkage, "shrinkage", ("wnnm", "gd"))
    if (2 * min(windows[:n_stages]) + 1) ** 2 < K:
        raise ValueError(f"n_similar={K} exceeds the (2*window+1)^2 candidates of the search "
                         f"window (window={window})")
    H, W = img.shape
    if min(H, W) < p or min(H, W) <= max(windows[:n_stages]):
        raise ValueError(f"image of shape {img.shape} is too small for patch_size={p}, "
                         f"window={window}")
    sigma = estimate_noise(img, method="mad") if sigma is None else check_scalar(
        sigma, "sigma", low=0.0, include_low=False)
    flat = img.ravel()
    d = p * p
    m_, n_ = min(d, K), max(d, K)
    beta = m_ / n_

    def aggregate(est_groups, idx, wts):
        num = np.bincount(idx.ravel(), weights=(est_groups * wts[:, None, None]).ravel(),
                          minlength=H * W)
        den = np.bincount(idx.ravel(), weights=np.broadcast_to(wts[:, None, None],
                          idx.shape).ravel(), minlength=H * W)
        return num, den

    estimate = img
    for stage in range(n_stages):
        gr, gc = _match(estimate.astype(np.float32), p, steps[stage], windows[stage], K)
        num = np.zeros(H * W)
        den = np.zeros(H * W)
        batches = progress(range(0, gr.shape[0], chunk), verbose=verbose,
                           desc=f"denoise_patches stage {stage + 1}/{n_stages}")
        batches.set_postfix(groups=gr.shape[0])
        for a in batches:
            idx = _group_pixels(gr[a:a + chunk], gc[a:a + chunk], p, W)  # (g, K, d)
            Y = flat[idx]
            mu = Y.mean(axis=1, keepdims=True)
            if stage == 0:
                Xc = Y - mu
                # X = U diag(s) V^T; E is U (K <= d, the defaults) or V, so that
                # U diag(t) V^T = U diag(t/s) U^T X  or  X V diag(t/s) V^T
                s, E = _gram_eig(Xc)
                if shrinkage == "gd":
                    t = _gd_shrink(s, n_, beta, sigma)
                else:
                    # weighted nuclear norm with w_i = 2C / t_i: its prox has the closed form
                    # t = (s + sqrt(s^2 - 4C)) / 2 for s > 2 sqrt(C), else 0 (Gu et al. 2014,
                    # section 3); C puts the cut at the noise bulk edge sigma(sqrt K + sqrt d)
                    C = (sigma * (np.sqrt(K) + p)) ** 2 / 4
                    disc = np.maximum(s**2 - 4 * C, 0.0)
                    t = np.where(s > 2 * np.sqrt(C), (s + np.sqrt(disc)) / 2, 0.0)
                gain = np.divide(t, s, out=np.zeros_like(t), where=s > 0)
                if K <= d:
                    est = mu + ((E * gain[:, None, :]) @ np.swapaxes(E, 1, 2)) @ Xc
                else:
                    est = mu + ((Xc @ E) * gain[:, None, :]) @ np.swapaxes(E, 1, 2)
                wts = 1.0 / (1.0 + np.count_nonzero(t, axis=1))
            else:
                B = estimate.ravel()[idx]
                bmu = B.mean(axis=1, keepdims=True)
                _, Vb = _group_svd(B - bmu)  # the group's basis from the stage-1 estimate
                cb = (B - bmu) @ Vb
                cy = (Y - mu) @ Vb
                wien = cb**2 / (cb**2 + sigma**2)
                est = mu + (cy * wien) @ np.swapaxes(Vb, 1, 2)
                wts = 1.0 / (sigma**2 * np.sum(wien**2, axis=(1, 2)) + 1e-12)
            nu, de = aggregate(est, idx, wts)
            num += nu
            den += de
        estimate = (num / np.maximum(den, 1e-300)).reshape(H, W)
    return estimate


# --------------------------------------------------------------------------- completion
@dataclass(frozen=True)
class CompletionResult:
    """A completed matrix and its convergence history.

    Parameters
    ----------
    X : ndarray
        The completed matrix.
    rank : int
        Its rank.
    n_iter : int
        Iterations run.
    converged : bool
        Whether the stopping rule was met.
    history : ndarray
        Relative residual on the observed entries per iteration.

    Taught in chapter 5.
    """

    X: np.ndarray
    rank: int
    n_iter: int
    converged: bool
    history: np.ndarray  # relative residual on the observed entries per iteration


def _check_completion(M, mask):
    mask = check_array(mask, "mask", ndim=2, dtype="any", finite=False)
    if mask.dtype != bool:
        raise TypeError(f"mask must be a boolean array, got dtype {mask.dtype}")
    M = check_array(M, "M", ndim=2, finite=False).astype(np.float64)
    check_same_shape(M, mask, ("M", "mask"))
    if not mask.any():
        raise ValueError("mask must observe at least one entry")
    if not np.all(np.isfinite(M[mask])):
        raise ValueError("M must be finite on the observed entries (mask)")
    return M, mask


def _svds_above(Y, tau: float, k: int, kmax: int, increment: int):
    """Top singular triplets of sparse ``Y``, ``k`` growing by ``increment`` until one is <= tau."""
    while True:
        U, s, Vt = svds(Y, k=k, random_state=0)
        order = np.argsort(s)[::-1]
        U, s, Vt = U[:, order], s[order], Vt[order]
        if s[-1] <= tau or k == kmax:
            return U, s, Vt
        k = min(k + increment, kmax)


def svt_complete(M, mask, tau: float | None = None, delta: float | None = None, *,
                 tol: float = 1e-4, max_iter: int = 500, increment: int = 5,
                 verbose: bool = False) -> CompletionResult:
    """Singular value thresholding for matrix completion (Cai, Candès & Shen 2010).

    Iterates ``X_k = shrink(Y_{k-1}, tau)``, ``Y_k = Y_{k-1} + delta P_Omega(M - X_k)``
    with their defaults ``tau = 5 sqrt(n1 n2)`` and ``delta = 1.2 n1 n2 / |Omega|``,
    the kicking start ``Y_0 = k0 delta P_Omega(M)``, and the stopping rule
    ``||P_Omega(X_k - M)||_F / ||P_Omega(M)||_F <= tol``. ``Y`` is sparse
    (supported on ``Omega``), so only the singular triplets above ``tau`` are
    computed (``scipy.sparse.linalg.svds``, increasing the count by ``increment``
    until one falls below ``tau``; a dense SVD when ``min(n1, n2) <= 300``, where it
    is cheaper), and ``X_k`` is evaluated only on ``Omega``.
    Entries of ``M`` outside ``mask`` are ignored (they may be NaN).

    Parameters
    ----------
    M : array_like, shape (n1, n2)
        The matrix, finite on ``mask``.
    mask : ndarray of bool, shape (n1, n2)
        The observed entries.
    tau, delta : float or None
        Threshold and step; None gives the defaults above.
    tol : float
        Relative residual on the observed entries at which to stop.
    max_iter : int
        Iteration cap.
    increment : int
        Growth of the number of triplets computed (sparse path).
    verbose : bool
        Show a progress bar with the rank and the relative residual.

    Returns
    -------
    CompletionResult
        The estimate, its rank, iterations, convergence flag and residual history.

    Raises
    ------
    TypeError
        If ``mask`` is not boolean.
    ValueError
        On mismatched shapes, an empty mask, non-finite observed entries or bad parameters.

    References
    ----------
    Cai, J.-F., Candès, E. J. & Shen, Z. (2010). A singular value thresholding algorithm
    for matrix completion. SIAM J. Optim. 20(4), 1956-1982.

    Taught in chapter 5.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((150, 3)) @ rng.standard_normal((3, 120))
    >>> mask = rng.random(A.shape) < 0.5
    >>> r = svt_complete(A, mask)
    >>> r.converged, r.rank, bool(np.linalg.norm(r.X - A) < 1e-3 * np.linalg.norm(A))
    (True, 3, True)
    """
    M, mask = _check_completion(M, mask)
    n1, n2 = M.shape
    rows, cols = np.nonzero(mask)
    b = M[rows, cols]
    m_obs = b.size
    tau = 5 * np.sqrt(n1 * n2) if tau is None else check_scalar(tau, "tau", low=0.0,
                                                                 include_low=False)
    delta = 1.2 * n1 * n2 / m_obs if delta is None else check_scalar(
        delta, "delta", low=0.0, include_low=False)
    tol = check_scalar(tol, "tol", low=0.0, include_low=False)
    max_iter = check_int(max_iter, "max_iter", min_value=1)
    increment = check_int(increment, "increment", min_value=1)
    norm_b = np.linalg.norm(b)
    if norm_b == 0:
        raise ValueError("M must not be zero on every observed entry")
    P = sp.csr_array((b, (rows, cols)), shape=M.shape)
    k0 = np.ceil(tau / (delta * svds(P, k=1, return_singular_vectors=False,
                                     random_state=0)[0]))
    y = k0 * delta * b
    r, hist, converged = 0, [], False
    kmax = min(n1, n2) - 1
    U = s = Vt = None
    # a dense SVD of a small matrix (an image) costs less than svds for ten or more triplets
    dense = min(n1, n2) <= 300
    bar = progress(range(max_iter), verbose=verbose, desc="SVT")
    for _ in bar:
        Y = sp.csr_array((y, (rows, cols)), shape=M.shape)
        if dense:
            U, s, Vt = np.linalg.svd(Y.toarray(), full_matrices=False)
        else:
            U, s, Vt = _svds_above(Y, tau, min(r + 1, kmax), kmax, increment)
        r = int(np.sum(s > tau))
        U, s, Vt = U[:, :r], s[:r] - tau, Vt[:r]
        x_obs = np.einsum("ij,ij->i", U[rows] * s, Vt.T[cols]) if r else np.zeros(m_obs)
        res = np.linalg.norm(x_obs - b) / norm_b
        hist.append(res)
        bar.set_postfix(rank=r, residual=res)
        if res <= tol:
            converged = True
            break
        y += delta * (b - x_obs)
    X = (U * s) @ Vt if r else np.zeros(M.shape)
    return CompletionResult(X=X, rank=r, n_iter=len(hist), converged=converged,
                            history=np.array(hist))


def soft_impute(M, mask, lam: float, *, tol: float = 1e-5, max_iter: int = 200,
                X0=None, verbose: bool = False) -> CompletionResult:
    """Soft-Impute (Mazumder, Hastie & Tibshirani 2010).

    Repeats ``Z <- SVT_lam(P_Omega(M) + P_Omega^perp(Z))`` (fill the missing
    entries with the current estimate, then soft-threshold the singular values)
    until ``||Z_new - Z||_F^2 / ||Z||_F^2 < tol``; ``history`` records the
    relative residual on the observed entries. It solves
    ``min_Z 1/2 ||P_Omega(M - Z)||_F^2 + lam ||Z||_*``.

    Parameters
    ----------
    M : array_like, shape (m, n)
        The matrix, finite on ``mask``.
    mask : ndarray of bool, shape (m, n)
        The observed entries.
    lam : float
        The nuclear-norm penalty, >= 0.
    tol : float
        Stop when the squared relative change is below it.
    max_iter : int
        Iteration cap.
    X0 : array_like or None
        Warm start (a previous solution along a path of ``lam``).
    verbose : bool
        Show a progress bar with the rank and the relative change.

    Returns
    -------
    CompletionResult
        ``Z`` (not merged with ``M``: use ``np.where(mask, M, Z)``), rank, iterations,
        convergence flag and residual history.

    Raises
    ------
    TypeError
        If ``mask`` is not boolean.
    ValueError
        On mismatched shapes, an empty mask or bad parameters.

    References
    ----------
    Mazumder, R., Hastie, T. & Tibshirani, R. (2010). Spectral regularization algorithms
    for learning large incomplete matrices. JMLR 11, 2287-2322.

    Taught in chapter 5.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((40, 2)) @ rng.standard_normal((2, 30))
    >>> mask = rng.random(A.shape) < 0.6
    >>> r = soft_impute(A, mask, lam=1.0, max_iter=500)
    >>> r.rank, bool(np.linalg.norm(r.X - A) < 0.1 * np.linalg.norm(A))
    (2, True)
    """
    M, mask = _check_completion(M, mask)
    lam = check_scalar(lam, "lam", low=0.0)
    tol = check_scalar(tol, "tol", low=0.0, include_low=False)
    max_iter = check_int(max_iter, "max_iter", min_value=1)
    obs = np.where(mask, M, 0.0)
    norm_b = np.linalg.norm(obs)
    Z = np.zeros(M.shape) if X0 is None else check_matrix(X0, "X0").astype(np.float64)
    check_same_shape(M, Z, ("M", "X0"))
    hist, converged, r = [], False, 0
    bar = progress(range(max_iter), verbose=verbose, desc="Soft-Impute")
    for _ in bar:
        U, s, Vt = svd(np.where(mask, M, Z))
        s = np.maximum(s - lam, 0.0)
        r = int(np.count_nonzero(s))
        Znew = (U[:, :r] * s[:r]) @ Vt[:r]
        change = np.sum((Znew - Z) ** 2) / max(np.sum(Z**2), 1e-300)
        Z = Znew
        hist.append(np.linalg.norm((Z - obs)[mask]) / max(norm_b, 1e-300))
        bar.set_postfix(rank=r, change=change)
        if change < tol:
            converged = True
            break
    return CompletionResult(X=Z, rank=r, n_iter=len(hist), converged=converged,
                            history=np.array(hist))
