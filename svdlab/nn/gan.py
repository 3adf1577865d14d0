"""A small GAN on a 2-D mixture of Gaussians, to measure what spectral normalization does.

Taught in chapter 10. The generator ``G`` maps noise ``z ~ N(0, I)`` to points of the
plane; the discriminator ``D`` outputs a logit, trained to tell real points from
generated ones. The losses are the non-saturating ones of Goodfellow et al. (2014),
written with ``softplus(t) = log(1 + e^t)``:

    L_D = mean softplus(-D(x_real)) + mean softplus(D(G(z))),
    L_G = mean softplus(-D(G(z))).

Each step updates ``D`` once on a batch of real and generated points, then ``G`` once
by back-propagating ``L_G`` through ``D`` (whose parameter gradients of that pass are
discarded). Both use Adam with the betas of Miyato et al. (2018), ``(0.5, 0.999)``.

The benchmark of Metz et al. (2017): eight Gaussians of standard deviation ``std`` on a
circle of radius 2. A GAN that covers few of the modes has *mode-collapsed*.
:func:`mode_coverage` counts a generated point as high quality when it is within
``3 std`` of a mode centre, and a mode as covered when it receives at least
``min_fraction`` of the generated points (not only a stray one).

References
----------
I. Goodfellow et al., "Generative adversarial nets", NeurIPS 2014.
L. Metz, B. Poole, D. Pfau and J. Sohl-Dickstein, "Unrolled generative adversarial
networks", ICLR 2017.
T. Miyato, T. Kataoka, M. Koyama and Y. Yoshida, "Spectral normalization for
generative adversarial networks", ICLR 2018.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._progress import progress
from .._validation import check_array, check_fraction, check_int, check_random_state, check_scalar
from .layers import Adam, Dense, ReLU, Sequential
from .spectral_norm import SpectralNormalized

__all__ = ["ring_of_gaussians", "ring_centres", "mode_coverage", "ModeCoverage",
           "make_gan", "train_gan"]


def ring_centres(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The ``n_modes`` centres, evenly spaced on a circle, shape (n_modes, 2).

    Parameters
    ----------
    n_modes : int, default 8
        Number of centres; the first is at angle 0.
    radius : float, default 2.0
        Radius of the circle (positive).

    Returns
    -------
    ndarray of shape (n_modes, 2)
        The centres, counter-clockwise.

    Raises
    ------
    ValueError
        If ``n_modes`` is not a positive integer or ``radius`` is not positive.

    Examples
    --------
    >>> np.round(ring_centres(4, 1.0), 12) + 0.0
    array([[ 1.,  0.],
           [ 0.,  1.],
           [-1.,  0.],
           [ 0., -1.]])

    Taught in chapter 10.
    """
    n_modes = check_int(n_modes, "n_modes", min_value=1)
    radius = check_scalar(radius, "radius", low=0.0, include_low=False)
    t = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.column_stack([np.cos(t), np.sin(t)])


def ring_of_gaussians(n: int, *, n_modes: int = 8, radius: float = 2.0, std: float = 0.05,
                      random_state=None) -> np.ndarray:
    """``n`` points from the equal mixture of Gaussians centred on :func:`ring_centres`.

    Parameters
    ----------
    n : int
    n_modes : int
    radius : float
    std : float
        Standard deviation of each component (isotropic).
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of float32, shape (n, 2)

    Raises
    ------
    ValueError
        If ``n`` or ``n_modes`` is not a positive integer, or ``std`` or ``radius`` is not
        positive.

    Examples
    --------
    >>> X = ring_of_gaussians(1000, random_state=0)
    >>> X.shape, bool(abs(np.linalg.norm(X, axis=1).mean() - 2.0) < 0.01)
    ((1000, 2), True)

    Taught in chapter 10.
    """
    n = check_int(n, "n", min_value=1)
    std = check_scalar(std, "std", low=0.0, include_low=False)
    rng = check_random_state(random_state)
    centres = ring_centres(n_modes, radius)
    k = rng.integers(0, n_modes, n)
    return (centres[k] + std * rng.standard_normal((n, 2))).astype(np.float32)


@dataclass(frozen=True)
class ModeCoverage:
    """How well a sample covers the modes (see :func:`mode_coverage`).

    Attributes
    ----------
    n_covered : int
        Modes that received at least ``min_fraction`` of the points as high-quality.
    high_quality : float
        Fraction of points within ``3 std`` of some centre.
    counts : ndarray of int
        High-quality points per mode.

    Examples
    --------
    >>> c = ring_centres(4)
    >>> cov = mode_coverage(np.repeat(c[:3], 10, axis=0), c, std=0.1)
    >>> cov.n_covered, cov.high_quality, cov.counts.tolist()
    (3, 1.0, [10, 10, 10, 0])

    Taught in chapter 10.
    """

    n_covered: int
    high_quality: float
    counts: np.ndarray


def mode_coverage(X, centres, std: float, *, min_fraction: float = 0.01) -> ModeCoverage:
    """Count the modes a generated sample covers, and the fraction of good points.

    Parameters
    ----------
    X : array_like, shape (n, 2)
        Generated points.
    centres : array_like, shape (n_modes, 2)
    std : float
        The components' standard deviation: a point is high quality within ``3 std``.
    min_fraction : float
        A mode counts as covered with at least ``min_fraction * n`` high-quality points.

    Returns
    -------
    ModeCoverage

    Raises
    ------
    ValueError
        If ``X`` or ``centres`` is not a 2-D finite array, ``std`` is not positive, or
        ``min_fraction`` is not in (0, 1].

    Examples
    --------
    >>> c = ring_centres()
    >>> real = ring_of_gaussians(2000, std=0.05, random_state=0)
    >>> cov = mode_coverage(real, c, 0.05)
    >>> cov.n_covered, bool(cov.high_quality > 0.98)
    (8, True)
    >>> mode_coverage(np.repeat(c[:1], 100, axis=0), c, 0.05).n_covered   # collapsed
    1

    References
    ----------
    L. Metz et al., "Unrolled generative adversarial networks", ICLR 2017 (the metric).
    Taught in chapter 10.
    """
    X = check_array(X, "X", ndim=2).astype(np.float64)
    centres = check_array(centres, "centres", ndim=2).astype(np.float64)
    std = check_scalar(std, "std", low=0.0, include_low=False)
    min_fraction = check_fraction(min_fraction, "min_fraction")
    d2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    nearest = d2.argmin(axis=1)
    good = d2[np.arange(X.shape[0]), nearest] <= (3 * std) ** 2
    counts = np.bincount(nearest[good], minlength=centres.shape[0])
    return ModeCoverage(int(np.sum(counts >= min_fraction * X.shape[0])),
                        float(good.mean()), counts)


def make_gan(*, noise_dim: int = 2, width: int = 128, depth: int = 2,
             spectral_norm: bool = False, random_state=None) -> tuple[Sequential, Sequential]:
    """A ReLU generator ``noise_dim -> 2`` and discriminator ``2 -> 1`` with ``depth`` hidden layers.

    Parameters
    ----------
    noise_dim, width, depth : int
    spectral_norm : bool
        Wrap every dense layer of the discriminator in
        :class:`~svdlab.nn.SpectralNormalized`.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    (generator, discriminator)

    Raises
    ------
    ValueError
        If ``noise_dim``, ``width`` or ``depth`` is not a positive integer.

    Examples
    --------
    >>> G, D = make_gan(spectral_norm=True, random_state=0)
    >>> [type(layer).__name__ for layer in D.layers][:2]
    ['SpectralNormalized', 'ReLU']

    Taught in chapter 10.
    """
    noise_dim = check_int(noise_dim, "noise_dim", min_value=1)
    width = check_int(width, "width", min_value=1)
    depth = check_int(depth, "depth", min_value=1)
    rng = check_random_state(random_state)

    def mlp(sizes, sn):
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            # PyTorch's default nn.Linear initialization, U(-1/sqrt(a), 1/sqrt(a))
            bound = 1 / np.sqrt(a)
            dense = Dense(rng.uniform(-bound, bound, (a, b)), rng.uniform(-bound, bound, b))
            layers.append(SpectralNormalized(dense, random_state=rng) if sn else dense)
            if i < len(sizes) - 2:
                layers.append(ReLU())
        return Sequential(layers)

    G = mlp([noise_dim] + [width] * depth + [2], False)
    D = mlp([2] + [width] * depth + [1], spectral_norm)
    return G, D


def _softplus(t):
    return np.logaddexp(0.0, t)


def _sigmoid(t):
    return 0.5 * (1.0 + np.tanh(0.5 * t))


def train_gan(G, D, real, *, n_steps: int = 2000, batch_size: int = 256, lr: float = 1e-3,
              betas=(0.5, 0.999), noise_dim: int | None = None, random_state=None,
              verbose=False) -> dict:
    """Train ``G`` and ``D`` (in place) against samples of ``real``; return the loss history.

    Parameters
    ----------
    G, D : Sequential
        From :func:`make_gan` (any dense networks with matching widths).
    real : callable or ndarray
        ``real(n, rng)`` returns ``n`` real points, or an array to sample rows from.
    n_steps : int
        Discriminator-then-generator updates.
    batch_size : int
    lr : float
        Adam's step size, for both networks.
    betas : (float, float)
    noise_dim : int, optional
        Input width of ``G`` (read from its first layer when omitted).
    random_state : None, int or numpy.random.Generator
    verbose : bool
        Progress bar with both losses.

    Returns
    -------
    dict
        ``"d_loss"`` and ``"g_loss"``: arrays of the losses at each step.

    Raises
    ------
    TypeError
        If ``real`` is neither callable nor an array.

    Examples
    --------
    >>> G, D = make_gan(width=16, random_state=0)
    >>> hist = train_gan(G, D, lambda n, rng: ring_of_gaussians(n, random_state=rng),
    ...                  n_steps=20, batch_size=32, random_state=0)
    >>> hist["d_loss"].shape
    (20,)

    References
    ----------
    I. Goodfellow et al., "Generative adversarial nets", NeurIPS 2014.
    Taught in chapter 10.
    """
    n_steps = check_int(n_steps, "n_steps", min_value=1)
    batch_size = check_int(batch_size, "batch_size", min_value=1)
    rng = check_random_state(random_state)
    if noise_dim is None:
        first = G.layers[0]
        noise_dim = first.W.shape[0]
    if callable(real):
        draw = real
    elif isinstance(real, np.ndarray):
        data = check_array(real, "real", ndim=2).astype(np.float32)

        def draw(n, rng):
            return data[rng.integers(0, data.shape[0], n)]
    else:
        raise TypeError(f"real must be a callable real(n, rng) or an array, got "
                        f"{type(real).__name__}")
    opt_d = Adam(D.params, lr=lr, betas=betas)
    opt_g = Adam(G.params, lr=lr, betas=betas)
    d_hist, g_hist = np.empty(n_steps), np.empty(n_steps)
    B = batch_size
    bar = progress(range(n_steps), verbose=verbose, desc="train_gan")
    for t in bar:
        # discriminator: real batch then fake batch, one forward/backward on both
        z = rng.standard_normal((B, noise_dim)).astype(np.float32)
        fake = G.forward(z)
        Xd = np.concatenate([np.asarray(draw(B, rng), dtype=np.float32), fake])
        logit = D.forward(Xd, train=True)[:, 0].astype(np.float64)
        lr_, lf = logit[:B], logit[B:]
        d_hist[t] = float(np.mean(_softplus(-lr_)) + np.mean(_softplus(lf)))
        grad = np.concatenate([-_sigmoid(-lr_), _sigmoid(lf)]) / B
        D.backward(grad[:, None].astype(np.float32))
        opt_d.step(D.grads)
        # generator: non-saturating loss through the (just updated) discriminator
        z = rng.standard_normal((B, noise_dim)).astype(np.float32)
        fake = G.forward(z, train=True)
        lf = D.forward(fake, train=True)[:, 0].astype(np.float64)
        g_hist[t] = float(np.mean(_softplus(-lf)))
        gx = D.backward((-_sigmoid(-lf) / B)[:, None].astype(np.float32))
        G.backward(gx)
        opt_g.step(G.grads)
        if t % 50 == 0:
            bar.set_postfix(d_loss=d_hist[t], g_loss=g_hist[t])
    return {"d_loss": d_hist, "g_loss": g_hist}
