"""Progress bars for long fits: one helper, so that every loop reports the same way.

Every fit or loop of :mod:`svdlab` that can take more than a few seconds takes a
``verbose`` argument. Silent by default; with ``verbose=True`` it shows a
`tqdm <https://tqdm.github.io>`_ bar whose postfix carries the current loss or
stopping criterion. In a notebook ``tqdm.auto`` draws a widget when ipywidgets is
installed and a text bar otherwise.

Examples
--------
>>> bar = progress(range(3), verbose=False, desc="fit")
>>> for i in bar:
...     bar.set_postfix(loss=1.0 / (i + 1))
>>> list(progress([1, 2], verbose=False))
[1, 2]
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

__all__ = ["progress"]


class _Silent:
    """The interface of a tqdm bar that the fits use, doing nothing."""

    def __init__(self, iterable):
        self._iterable = iterable

    def __iter__(self):
        return iter(self._iterable)

    def set_postfix(self, *args, **kwargs) -> None:
        pass

    def set_description(self, *args, **kwargs) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def progress(iterable: Iterable | None = None, *, verbose: bool = False, desc: str | None = None,
             total: int | None = None, leave: bool = True):
    """Wrap ``iterable`` in a tqdm progress bar when ``verbose`` is true.

    Parameters
    ----------
    iterable : iterable, optional
        What the loop runs over (``range(max_iter)``, a list of blocks...). With
        ``None`` the bar is advanced by hand with ``update`` (give ``total``).
    verbose : bool or int, default False
        Show the bar (any true value; integers as in scikit-learn's ``verbose``). False returns an object with the same methods that does nothing,
        so fits call ``bar.set_postfix(loss=...)`` unconditionally.
    desc : str, optional
        Label shown before the bar, usually the estimator's name.
    total : int, optional
        Number of steps, when ``iterable`` has no length.
    leave : bool, default True
        Keep the finished bar on screen.

    Returns
    -------
    tqdm.tqdm or a silent stand-in
        Iterate over it; call ``set_postfix(**values)`` to show the current criterion.

    Raises
    ------
    TypeError
        If ``verbose`` is not a bool or an integer.
    """
    if not isinstance(verbose, (numbers.Integral, np.bool_)):  # bool, numpy ints and bools
        raise TypeError(f"verbose must be True/False or an integer, "
                        f"got {type(verbose).__name__} {verbose!r}")
    if not verbose:
        return _Silent(iterable if iterable is not None else ())
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=leave, dynamic_ncols=True)
