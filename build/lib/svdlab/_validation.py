"""Input checks shared by every public function of :mod:`svdlab`.

Each check either returns a clean value (a float array, an ``int`` rank, a
``numpy.random.Generator``...) or raises a :class:`TypeError` /
:class:`ValueError` whose message names the argument and says what was
expected. Public functions call these first, so a reader never sees a bare
NumPy traceback from deep inside an algorithm, and never gets a silently wrong
answer (a NaN that propagates, a rank that is silently clipped).

Examples
--------
>>> import numpy as np
>>> check_matrix([[1, 2], [3, 4]]).dtype
dtype('float64')
>>> check_matrix(np.ones(3))
Traceback (most recent call last):
...
ValueError: A must be a 2-D array (a matrix), got a 1-D array of shape (3,)
>>> check_rank(5, (4, 3))
Traceback (most recent call last):
...
ValueError: k must be an integer in 1..3 (= min(m, n) for a 4x3 matrix), got 5
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

__all__ = [
    "check_array",
    "check_matrix",
    "check_vector",
    "check_operator",
    "check_rank",
    "check_int",
    "check_scalar",
    "check_fraction",
    "check_option",
    "check_random_state",
    "check_singular_values",
    "check_same_shape",
    "check_svd_factors",
]

_FLOAT_KINDS = "f"
_NUMERIC_KINDS = "biuf"


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"a {x.ndim}-D array of shape {x.shape}"
    return f"{type(x).__name__} {x!r}" if np.isscalar(x) else type(x).__name__


def _as_float_dtype(dtype: np.dtype) -> np.dtype:
    """float32 and float64 stay as they are; integers and booleans become float64."""
    if dtype.kind == "f" and dtype.itemsize in (4, 8):
        return dtype
    return np.dtype(np.float64)


def check_array(
    x,
    name: str = "A",
    *,
    ndim: int | Sequence[int] | None = None,
    allow_empty: bool = False,
    finite: bool = True,
    nonnegative: bool = False,
    dtype: str = "float",
    copy: bool = False,
) -> np.ndarray:
    """Convert ``x`` to a NumPy array and check it.

    Parameters
    ----------
    x : array_like
        The input. Lists, tuples and arrays are accepted; sparse matrices are
        refused here (use :func:`check_operator` where sparse input is fine).
    name : str
        The argument's name, used in error messages.
    ndim : int or sequence of int, optional
        Allowed numbers of dimensions.
    allow_empty : bool
        Whether arrays with a zero-length axis are accepted.
    finite : bool
        Refuse NaN and infinity.
    nonnegative : bool
        Refuse negative entries.
    dtype : {"float", "int", "any"}
        ``"float"`` returns float32 or float64 (integers and booleans become
        float64); ``"int"`` demands integer values and returns int64;
        ``"any"`` keeps any real numeric dtype.
    copy : bool
        Always return a copy.

    Returns
    -------
    numpy.ndarray
    """
    if sp.issparse(x) or isinstance(x, LinearOperator):
        raise TypeError(
            f"{name} must be a dense array here, got {type(x).__name__}; "
            "convert it with .toarray() if it fits in memory"
        )
    if x is None:
        raise TypeError(f"{name} must be an array, got None")
    if isinstance(x, str | bytes):
        raise TypeError(f"{name} must be a numeric array, got a string")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and similar
        raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real-valued, got complex dtype {arr.dtype}")
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"{name} must hold numbers (bool, int or float), got dtype {arr.dtype}"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            extra = " (a matrix)" if allowed == (2,) else ""
            raise ValueError(f"{name} must be a {want} array{extra}, got {_describe(arr)}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if dtype == "float":
        arr = arr.astype(_as_float_dtype(arr.dtype), copy=copy)
    elif dtype == "int":
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} must hold integers, got NaN or infinity")
            if not np.all(arr == np.round(arr)):
                raise ValueError(f"{name} must hold integers, got non-integer values")
        arr = arr.astype(np.int64, copy=copy)
    elif dtype == "any":
        arr = np.array(arr, copy=True) if copy else arr
    else:  # pragma: no cover - programming error inside svdlab
        raise ValueError(f"unknown dtype rule {dtype!r}")
    if finite and arr.dtype.kind == "f" and arr.size and not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{name} must contain only finite values, found {n_bad} NaN or infinite "
            f"entr{'y' if n_bad == 1 else 'ies'}"
        )
    if nonnegative and arr.size and np.nanmin(arr) < 0:
        raise ValueError(f"{name} must be non-negative, found minimum {np.nanmin(arr):g}")
    return arr


def check_matrix(A, name: str = "A", **kwargs) -> np.ndarray:
    """:func:`check_array` for a 2-D matrix (the common case)."""
    return check_array(A, name, ndim=2, **kwargs)


def check_vector(v, name: str = "v", *, size: int | None = None, **kwargs) -> np.ndarray:
    """:func:`check_array` for a 1-D vector, optionally of a given length."""
    arr = check_array(v, name, ndim=1, **kwargs)
    if size is not None and arr.shape[0] != size:
        raise ValueError(f"{name} must have length {size}, got length {arr.shape[0]}")
    return arr


def check_operator(A, name: str = "A"):
    """Accept a dense matrix, a ``scipy.sparse`` matrix or a ``LinearOperator``.

    Dense input goes through :func:`check_matrix`; sparse input is converted to
    CSR float and its stored values are checked for NaN/inf; a
    ``LinearOperator`` is returned as it is (its entries cannot be checked).

    Returns
    -------
    A : ndarray, scipy.sparse.csr_array/csr_matrix or LinearOperator
    """
    if isinstance(A, LinearOperator):
        if len(A.shape) != 2 or min(A.shape) == 0:
            raise ValueError(f"{name} must be a non-empty 2-D operator, got shape {A.shape}")
        if np.dtype(A.dtype).kind == "c":
            raise TypeError(f"{name} must be real-valued, got complex dtype {A.dtype}")
        return A
    if sp.issparse(A):
        if A.ndim != 2:
            raise ValueError(f"{name} must be a 2-D sparse matrix, got ndim={A.ndim}")
        if min(A.shape) == 0:
            raise ValueError(f"{name} must not be empty, got shape {A.shape}")
        if A.dtype.kind == "c":
            raise TypeError(f"{name} must be real-valued, got complex dtype {A.dtype}")
        if A.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"{name} must hold numbers, got dtype {A.dtype}")
        A = A.tocsr().astype(_as_float_dtype(A.dtype), copy=False)
        if not np.all(np.isfinite(A.data)):
            raise ValueError(f"{name} must contain only finite values, found NaN or infinity")
        return A
    return check_matrix(A, name)


def check_int(
    value,
    name: str,
    *,
    min_value: int | None = None,
    max_value: int | None = None,
) -> int:
    """Check that ``value`` is an integer (not a bool, not a float) within bounds."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    value = int(value)
    if (min_value is not None and value < min_value) or (
        max_value is not None and value > max_value
    ):
        lo = "-inf" if min_value is None else str(min_value)
        hi = "inf" if max_value is None else str(max_value)
        raise ValueError(f"{name} must be an integer in {lo}..{hi}, got {value}")
    return value


def check_rank(k, shape: tuple[int, ...] | int, name: str = "k") -> int:
    """Check a target rank ``k`` against a matrix shape: ``1 <= k <= min(m, n)``.

    ``shape`` is the matrix shape ``(m, n)`` or directly the largest allowed rank.
    """
    if isinstance(shape, numbers.Integral):
        kmax, where = int(shape), ""
    else:
        m, n = shape[-2], shape[-1]
        kmax, where = min(m, n), f" (= min(m, n) for a {m}x{n} matrix)"
    if isinstance(k, bool | np.bool_) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} must be an integer rank, got {_describe(k)}")
    if not 1 <= int(k) <= kmax:
        raise ValueError(f"{name} must be an integer in 1..{kmax}{where}, got {int(k)}")
    return int(k)


def check_scalar(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    include_low: bool = True,
    include_high: bool = True,
) -> float:
    """Check a real finite scalar within optional bounds and return it as ``float``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    bad_low = low is not None and (value < low if include_low else value <= low)
    bad_high = high is not None and (value > high if include_high else value >= high)
    if bad_low or bad_high:
        left = "[" if include_low else "("
        right = "]" if include_high else ")"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value:g}")
    return value


def check_fraction(value, name: str = "fraction", *, include_zero: bool = False) -> float:
    """A fraction in (0, 1] (or [0, 1] with ``include_zero``)."""
    return check_scalar(value, name, low=0.0, high=1.0, include_low=include_zero)


def check_option(value, name: str, options: Iterable):
    """Check that ``value`` is one of ``options``."""
    options = tuple(options)
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def check_random_state(random_state, name: str = "random_state") -> np.random.Generator:
    """Turn ``None``, an int, a ``Generator`` or a legacy ``RandomState`` into a Generator.

    ``None`` gives fresh OS entropy (not reproducible; every function of the
    book passes a seed). A legacy ``RandomState`` is used to draw a seed, so
    results stay reproducible from it.
    """
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"{name} must be a non-negative integer seed, got {random_state}")
        return np.random.default_rng(int(random_state))
    raise TypeError(
        f"{name} must be None, a non-negative int or a numpy.random.Generator, "
        f"got {_describe(random_state)}"
    )


def check_singular_values(s, name: str = "s") -> np.ndarray:
    """Check a vector of singular values: 1-D, finite, non-negative, non-increasing."""
    s = check_vector(s, name)
    if np.any(s < 0):
        raise ValueError(f"{name} must be non-negative singular values, found {s.min():g}")
    scale = s[0] if s[0] > 0 else 1.0
    if np.any(np.diff(s) > 1e-12 * scale):
        raise ValueError(
            f"{name} must be sorted in non-increasing order (sigma_1 >= sigma_2 >= ...)"
        )
    return s


def check_same_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Raise if two arrays differ in shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {a.shape} and {b.shape}"
        )


def check_svd_factors(U, s, Vt) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check the thin-SVD triple ``(U, s, Vt)``: shapes (m, r), (r,), (r, n)."""
    U = check_matrix(U, "U")
    s = check_vector(s, "s")
    Vt = check_matrix(Vt, "Vt")
    r = s.shape[0]
    if U.shape[1] != r:
        raise ValueError(f"U must have len(s) = {r} columns, got U of shape {U.shape}")
    if Vt.shape[0] != r:
        raise ValueError(f"Vt must have len(s) = {r} rows, got Vt of shape {Vt.shape}")
    return U, s, Vt
