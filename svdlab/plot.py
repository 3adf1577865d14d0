"""The book's figure style and its recurring figures.

This is the only module of :mod:`svdlab` that imports matplotlib. Every helper
draws into a given ``ax`` (or makes a new figure), labels its axes, and returns
the ``Axes`` (or ``Figure``) so that a chapter can add to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from ._validation import check_array, check_matrix, check_singular_values
from .linalg import energy as _energy
from .linalg import svd as _svd

__all__ = [
    "PALETTE",
    "LINESTYLES",
    "STYLE",
    "use_style",
    "spectrum",
    "cumulative_energy",
    "unit_circle_map",
    "image_grid",
]

#: Okabe & Ito's colour-blind-safe palette (2008), in an order that keeps the first
#: colours far apart for every common colour-vision deficiency; yellow is left out
#: (too faint on white).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

#: Line styles cycled together with the colours, so that lines are told apart without
#: colour too (in grey-scale print, or by a reader with deuteranopia).
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (3, 1, 1, 1)), (0, (1, 1)))

#: The book's matplotlib settings: readable at the width of a page *and* of a phone
#: (a 5.6-inch figure at 100 dpi is 560 px wide; shrunk to a 390 px screen its 11 pt
#: labels stay above 10 px), no chart junk, colours and line styles cycled together.
STYLE: dict = {
    "figure.figsize": (5.6, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "lines.markersize": 5.5,
    "image.cmap": "gray",
    "image.interpolation": "nearest",
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)) + mpl.cycler(linestyle=list(LINESTYLES)),
}


def use_style() -> None:
    """Apply :data:`STYLE` to matplotlib (the setup cell of every chapter calls it).

    Inside a Jupyter kernel it also asks for "retina" PNG figures (twice the pixels,
    shown at the same size), so that figures stay crisp on high-density phone screens
    and when zoomed.

    Examples
    --------
    >>> use_style()
    >>> mpl.rcParams["axes.prop_cycle"].by_key()["color"][:2]
    ['#0072B2', '#D55E00']
    """
    mpl.rcParams.update(STYLE)
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # plain Python: nothing to configure
        shell = None
    if shell is not None and "IPKernelApp" in getattr(shell, "config", {}):
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina")


def _get_ax(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def spectrum(s, ax=None, *, label: str | None = None, normalize: bool = False,
             marker: str | None = None, title: str | None = "Singular value spectrum"):
    """Plot singular values against their index on a log scale.

    Taught in chapter 1 (the spectrum of a matrix); chapters 2, 4 and 5 draw it too.

    Parameters
    ----------
    s : array_like
        Singular values, non-increasing.
    ax : matplotlib Axes, optional
    label : str, optional
        Legend entry.
    normalize : bool
        Divide by ``s[0]`` so that spectra of different matrices compare.
    marker : str, optional
        Matplotlib marker, useful for short spectra.
    title : str or None, default "Singular value spectrum"
        Axes title; ``None`` for none.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into. Zero singular values are left out (a log scale has no 0).

    Raises
    ------
    ValueError
        If ``s`` is not a non-increasing vector of non-negative numbers.

    Examples
    --------
    >>> import numpy as np
    >>> ax = spectrum(np.array([3.0, 1.0, 0.1]), normalize=True, label="A")
    >>> print(ax.get_ylabel())
    $\\sigma_i / \\sigma_1$
    """
    s = check_singular_values(s, "s")
    ax = _get_ax(ax)
    y = s / s[0] if normalize and s[0] > 0 else s
    idx = np.arange(1, len(s) + 1)
    positive = y > 0
    ax.semilogy(idx[positive], y[positive], marker=marker, label=label)
    ax.set_xlabel("index $i$")
    ax.set_ylabel(r"$\sigma_i / \sigma_1$" if normalize else r"singular value $\sigma_i$")
    if title:
        ax.set_title(title)
    if label:
        ax.legend()
    return ax


def cumulative_energy(s, ax=None, *, thresholds: Sequence[float] = (0.9, 0.95),
                      label: str | None = None, max_rank: int | None = None,
                      title: str | None = "Cumulative energy"):
    """Plot the energy kept by the best rank-k approximation, with threshold lines.

    For each threshold a dashed horizontal line and the smallest ``k`` that
    reaches it (a vertical dotted line, named in the legend) are drawn.

    Taught in chapter 2 (choosing the rank by the energy kept); chapter 5 uses it for images.

    Parameters
    ----------
    s : array_like
        Singular values, non-increasing.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    thresholds : sequence of float, default (0.9, 0.95)
        Energy fractions to mark, each in (0, 1].
    label : str, optional
        Legend entry of the curve (default "energy kept").
    max_rank : int, optional
        Draw ranks ``1..max_rank`` only.
    title : str or None, default "Cumulative energy"
        Axes title; ``None`` for none.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into.

    Raises
    ------
    ValueError
        If ``s`` is not a vector of non-negative singular values with a positive sum.

    Examples
    --------
    >>> import numpy as np
    >>> ax = cumulative_energy(np.array([3.0, 2.0, 1.0]), thresholds=(0.9,))
    >>> ax.get_legend().get_texts()[1].get_text()   # 9 + 4 = 13 of 14: k = 2 reaches 90%
    '90% at k = 2'
    """
    e = _energy(s)
    ax = _get_ax(ax)
    kmax = len(e) if max_rank is None else min(int(max_rank), len(e))
    ks = np.arange(1, kmax + 1)
    ax.plot(ks, e[:kmax], label=label or "energy kept")
    styles = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
    for i, t in enumerate(thresholds):
        k_t = int(np.searchsorted(e, t - 1e-12) + 1)
        c, ls = PALETTE[1 + i % (len(PALETTE) - 1)], styles[i % len(styles)]
        ax.axhline(t, color=c, ls=ls, lw=1.2)
        ax.axvline(k_t, color=c, ls=ls, lw=1.2, label=f"{t:.0%} at k = {k_t}")
    ax.set_xlabel("rank $k$")
    ax.set_ylabel(r"$\sum_{i\leq k}\sigma_i^2 / \sum_i \sigma_i^2$")
    low = max(0.0, np.floor(10 * e[0]) / 10 - 0.05)  # zoom in when sigma_1 dominates
    ax.set_ylim(low, 1.005)
    if title:
        ax.set_title(title)
    ax.legend(loc="lower right")
    return ax


def _unit_circle(n: int = 200) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n)
    return np.vstack([np.cos(t), np.sin(t)])


def unit_circle_map(A, axes=None, *, steps: bool = True):
    """The geometry of a 2x2 matrix: rotate (Vt), stretch (s), rotate (U).

    With ``steps=True`` draws four panels (a 2x2 grid, legible on a phone): the
    unit circle with the right singular vectors ``v1, v2``; after ``Vt`` (they land
    on the axes); after ``diag(s)`` (an axis-aligned ellipse with semi-axes ``s1,
    s2``); after ``U`` (the ellipse ``A`` maps the circle to, with semi-axes
    ``s_i u_i``). With ``steps=False`` only the first and last panels, side by side.
    The two vectors are told apart by label and line style, not only by colour.
    When ``det Vt`` or ``det U`` is negative that factor is a reflection, and the
    panel title says so.

    Taught in chapter 2 (the geometry of the SVD).

    Parameters
    ----------
    A : array_like, shape (2, 2)
        The matrix to draw.
    axes : array of matplotlib Axes, optional
        Four axes (two with ``steps=False``) to draw into; a new figure by default.
    steps : bool, default True
        Draw every stage of ``U diag(s) Vt``, or only the circle and its image.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the panels.

    Raises
    ------
    ValueError
        If ``A`` is not a finite 2x2 matrix.

    Examples
    --------
    >>> import numpy as np
    >>> fig = unit_circle_map(np.array([[2.0, 1.0], [0.0, 1.0]]))
    >>> len(fig.axes)
    4
    >>> len(unit_circle_map(np.eye(2), steps=False).axes)
    2
    """
    A = check_matrix(A, "A")
    if A.shape != (2, 2):
        raise ValueError(f"A must be a 2x2 matrix for this picture, got shape {A.shape}")
    U, s, Vt = _svd(A)
    C = _unit_circle()

    def kind(Q):
        return "rotate" if np.linalg.det(Q) > 0 else "reflect"

    stages = [
        ("unit circle, $v_1, v_2$", np.eye(2), Vt.T, ("$v_1$", "$v_2$")),
        (f"after $V^T$ ({kind(Vt)})", Vt, np.eye(2), ("$e_1$", "$e_2$")),
        (r"after $\Sigma$ (stretch)", np.diag(s) @ Vt, np.diag(s),
         (r"$\sigma_1 e_1$", r"$\sigma_2 e_2$")),
        (f"after $U$ ({kind(U)}): $A$ applied", A, U * s,
         (r"$\sigma_1 u_1$", r"$\sigma_2 u_2$")),
    ]
    if not steps:
        stages = [stages[0], stages[-1]]
    if axes is None:
        shape = (2, 2) if steps else (1, 2)
        fig, axes = plt.subplots(*shape, figsize=(5.6, 5.6 if steps else 3.0))
    else:
        fig = np.ravel(axes)[0].figure
    big = 1.15 * max(1.0, float(s[0]))
    arrows = ((PALETTE[1], "-"), (PALETTE[2], "--"))
    for ax, (title, M, vecs, names) in zip(np.ravel(axes), stages, strict=True):
        # the circle panels get their own scale so that v1, v2 stay visible
        lim = 1.3 if M is stages[0][1] or M is Vt else big
        P = M @ C
        ax.plot(P[0], P[1], color=PALETTE[0], ls="-")
        ax.fill(P[0], P[1], color=PALETTE[0], alpha=0.08)
        for j, (c, ls) in enumerate(arrows):
            ax.annotate("", xy=vecs[:, j], xytext=(0, 0),
                        arrowprops=dict(arrowstyle="->", color=c, lw=2, ls=ls))
            ax.annotate(names[j], xy=vecs[:, j], xytext=(4, 4), textcoords="offset points",
                        color=c, fontsize=10)
        ax.set_title(title, fontsize=10)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    return fig


def image_grid(images, titles: Sequence[str] | None = None, *, ncols: int | None = None,
               size: float = 2.6, vmin: float = 0.0, vmax: float = 1.0, suptitle: str | None = None):
    """Show images side by side (grayscale or RGB floats in [0, 1]) with titles.

    Values are clipped to ``[vmin, vmax]`` for display only; axes are hidden.

    Taught in chapter 5 (images before and after compression or denoising).

    Parameters
    ----------
    images : sequence of array_like
        Each of shape ``(m, n)`` (grayscale) or ``(m, n, 3)`` (RGB); sizes may differ.
    titles : sequence of str, optional
        One title per image.
    ncols : int, optional
        Images per row (default: up to 4).
    size : float, default 2.6
        Width and height of one panel in inches.
    vmin, vmax : float, default 0 and 1
        The value range shown as black and white.
    suptitle : str, optional
        A title over the whole grid.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, ``ceil(len(images) / ncols)`` rows of ``ncols`` panels.

    Raises
    ------
    ValueError
        If ``images`` is empty, an image is not 2- or 3-dimensional, or ``titles`` has
        another length than ``images``.

    Examples
    --------
    >>> import numpy as np
    >>> fig = image_grid([np.zeros((8, 8)), np.ones((8, 8, 3))], titles=["black", "white"])
    >>> [ax.get_title() for ax in fig.axes]
    ['black', 'white']
    """
    images = list(images)
    if not images:
        raise ValueError("images must contain at least one image")
    for i, im in enumerate(images):
        check_array(im, f"images[{i}]", ndim=(2, 3))
    if titles is not None and len(titles) != len(images):
        raise ValueError(
            f"titles must have one entry per image ({len(images)}), got {len(titles)}"
        )
    n = len(images)
    ncols = min(n, 4) if ncols is None else max(1, int(ncols))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, im in enumerate(images):
        ax = axes.ravel()[i]
        im = np.clip(np.asarray(im, dtype=float), vmin, vmax)
        if im.ndim == 2:
            ax.imshow(im, cmap="gray", vmin=vmin, vmax=vmax)
        else:
            ax.imshow((im - vmin) / (vmax - vmin))
        if titles is not None:
            ax.set_title(titles[i], fontsize=10)
    if suptitle:
        fig.suptitle(suptitle)
    return fig
