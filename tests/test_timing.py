"""Tests of svdlab.timing."""

import pytest

from svdlab.timing import best_time


def test_best_time_returns_the_minimum_and_the_result():
    calls = []
    t, out = best_time(lambda: calls.append(1) or len(calls), repeat=4, return_result=True)
    assert len(calls) == 4 and out == 4
    assert 0.0 <= t < 1.0
    assert isinstance(best_time(lambda: None), float)


@pytest.mark.parametrize("f, repeat, exc, match", [
    (None, 3, TypeError, "f must be callable"),
    (lambda: None, 0, ValueError, "repeat"),
    (lambda: None, 1.5, TypeError, "repeat"),
])
def test_best_time_bad_input(f, repeat, exc, match):
    with pytest.raises(exc, match=match):
        best_time(f, repeat)
