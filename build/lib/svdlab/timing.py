"""Wall-clock timing for the book's measured claims.

Chapters and benchmarks report the *best* of a few runs: other work on the
machine can only slow a run down, so the minimum is the least disturbed
measurement. No test asserts a timing; these numbers are printed, never checked.

Examples
--------
>>> seconds, value = best_time(lambda: sum(range(1000)), repeat=3, return_result=True)
>>> seconds >= 0.0, value
(True, 499500)
"""

from __future__ import annotations

import time

from ._validation import check_int

__all__ = ["best_time"]


def best_time(f, repeat: int = 3, *, return_result: bool = False):
    """Best wall time in seconds of ``repeat`` calls of ``f()``.

    Parameters
    ----------
    f : callable
        Called with no arguments.
    repeat : int
        Number of calls, at least 1.
    return_result : bool
        Also return what the last call returned.

    Returns
    -------
    float, or (float, object) when ``return_result`` is true.

    Taught in chapters 3 and 4.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    repeat = check_int(repeat, "repeat", min_value=1)
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - t0)
    return (best, result) if return_result else best
