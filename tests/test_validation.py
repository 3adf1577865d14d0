"""The shared input checks: every failure names the argument and the expectation."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import aslinearoperator

from svdlab._validation import (
    check_array,
    check_fraction,
    check_int,
    check_matrix,
    check_operator,
    check_option,
    check_random_state,
    check_rank,
    check_scalar,
    check_singular_values,
    check_svd_factors,
    check_vector,
)


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        (np.array([[1.0, np.nan]]), ValueError, "finite"),
        (np.array([[1.0, np.inf]]), ValueError, "finite"),
        (np.zeros((0, 3)), ValueError, "empty"),
        (np.ones(3), ValueError, "2-D"),
        (np.ones((2, 2, 2)), ValueError, "2-D"),
        (np.array([["a", "b"]]), TypeError, "numbers"),
        (np.ones((2, 2), dtype=complex), TypeError, "real"),
        (np.array([[object()]]), TypeError, "numbers"),
        ("abc", TypeError, "string"),
        (None, TypeError, "None"),
        (sp.eye(3), TypeError, "dense"),
    ],
)
def test_check_matrix_rejects(bad, exc, words):
    with pytest.raises(exc, match=words) as info:
        check_matrix(bad, "M")
    assert "M" in str(info.value)


def test_check_matrix_converts_and_keeps_float32():
    assert check_matrix([[1, 2]]).dtype == np.float64
    assert check_matrix(np.ones((2, 2), np.float32)).dtype == np.float32
    assert check_matrix(np.ones((2, 2), bool)).dtype == np.float64
    x = np.ones((2, 2))
    assert check_matrix(x) is x
    assert check_matrix(x, copy=True) is not x


def test_ragged_input():
    with pytest.raises(ValueError, match="X"):
        check_array([[1, 2], [3]], "X")


def test_nonnegative_and_int_rules():
    with pytest.raises(ValueError, match="non-negative"):
        check_array([[-1.0]], "X", nonnegative=True)
    assert check_array([1.0, 2.0], "ids", dtype="int").dtype == np.int64
    with pytest.raises(ValueError, match="integers"):
        check_array([1.5], "ids", dtype="int")


def test_check_vector_size():
    with pytest.raises(ValueError, match="length 3"):
        check_vector([1.0, 2.0], "b", size=3)


def test_check_operator_accepts_three_kinds():
    A = np.arange(6.0).reshape(2, 3)
    assert check_operator(A) is not None
    S = check_operator(sp.csr_matrix(A))
    assert sp.issparse(S) and S.dtype == np.float64
    L = aslinearoperator(A)
    assert check_operator(L) is L
    bad = sp.csr_matrix(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="finite"):
        check_operator(bad, "X")
    with pytest.raises(ValueError, match="empty"):
        check_operator(sp.csr_matrix((0, 3)), "X")


@pytest.mark.parametrize("k, exc", [(0, ValueError), (4, ValueError), (-1, ValueError),
                                    (2.0, TypeError), (True, TypeError), ("2", TypeError)])
def test_check_rank(k, exc):
    with pytest.raises(exc, match="k"):
        check_rank(k, (5, 3))


def test_check_rank_accepts_numpy_int():
    assert check_rank(np.int64(3), (5, 3)) == 3
    assert check_rank(2, 2) == 2


def test_scalars():
    assert check_scalar(0.5, "tol", low=0) == 0.5
    with pytest.raises(ValueError, match=r"tol must be in \(0"):
        check_scalar(0.0, "tol", low=0, include_low=False)
    with pytest.raises(TypeError, match="tol"):
        check_scalar("1", "tol")
    with pytest.raises(ValueError, match="finite"):
        check_scalar(np.nan, "tol")
    with pytest.raises(ValueError, match="fraction"):
        check_fraction(1.5)
    with pytest.raises(ValueError, match="n_iter"):
        check_int(-1, "n_iter", min_value=0)
    with pytest.raises(TypeError, match="n_iter"):
        check_int(1.0, "n_iter")
    with pytest.raises(ValueError, match="method"):
        check_option("x", "method", ["a", "b"])


def test_random_state():
    a = check_random_state(3).standard_normal(3)
    b = check_random_state(3).standard_normal(3)
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    assert isinstance(check_random_state(np.random.RandomState(0)), np.random.Generator)
    with pytest.raises(TypeError, match="random_state"):
        check_random_state("seed")
    with pytest.raises(ValueError, match="random_state"):
        check_random_state(-5)


def test_singular_values_and_factors():
    with pytest.raises(ValueError, match="non-increasing"):
        check_singular_values([1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        check_singular_values([1.0, -1.0])
    U, s, Vt = np.ones((4, 2)), np.ones(2), np.ones((2, 3))
    check_svd_factors(U, s, Vt)
    with pytest.raises(ValueError, match="U must have"):
        check_svd_factors(np.ones((4, 3)), s, Vt)
    with pytest.raises(ValueError, match="Vt must have"):
        check_svd_factors(U, s, np.ones((3, 3)))
