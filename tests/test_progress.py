"""Long fits show a progress bar with their criterion when asked, and nothing otherwise.

DESIGN.md and issue 16: every fit or loop that can take more than a few seconds takes
``verbose`` and, when it is true, shows a tqdm bar whose postfix carries the current loss
(or stopping criterion); by default it prints nothing. One case per such fit, on data small
enough to run in well under a second each: the bar must appear on stderr with a postfix
(``name=value``), and the silent run must write nothing at all.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from svdlab import image, nmf, nn, pca, randomized, recsys
from svdlab._progress import progress
from svdlab.datasets import make_ratings


def _ratings():
    data = make_ratings(40, 30, rank=2, density=0.3, random_state=0)
    return data.X, data.rating


def _recsys(cls, **kw):
    def run(verbose):
        X, y = _ratings()
        cls(verbose=verbose, **kw).fit(X, y)
    return run


def _nmf(solver):
    def run(verbose):
        X = np.abs(np.random.default_rng(0).standard_normal((30, 20)))
        nmf.NMF(3, solver=solver, max_iter=20, tol=0.0, random_state=0,
                verbose=verbose).fit(X)
    return run


def _robust_pca(verbose):
    rng = np.random.default_rng(0)
    L = rng.standard_normal((30, 2)) @ rng.standard_normal((2, 25))
    pca.RobustPCA(max_iter=30, verbose=verbose).fit(L)


def _pca_cv(verbose):
    X = np.random.default_rng(0).standard_normal((30, 6))
    pca.pca_cross_validation(X, 2, n_folds=2, max_iter=20, random_state=0, verbose=verbose)


def _sequential(verbose):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    net = nn.make_mlp([5, 8, 2], random_state=0)
    net.fit(X, y, epochs=3, batch_size=16, verbose=verbose, random_state=0)


def _autoencoder(verbose):
    X = np.random.default_rng(0).standard_normal((40, 6))
    nn.LinearAutoencoder(2, max_iter=20, random_state=0, verbose=verbose).fit(X)


def _gan(verbose):
    G, D = nn.make_gan(width=8, depth=1, random_state=0)
    real = nn.ring_of_gaussians(64, random_state=0)
    nn.train_gan(G, D, real, n_steps=5, batch_size=16, random_state=0, verbose=verbose)


def _completion(fn, **kw):
    def run(verbose):
        rng = np.random.default_rng(0)
        A = rng.standard_normal((30, 2)) @ rng.standard_normal((2, 24))
        fn(A, rng.random(A.shape) < 0.6, max_iter=5, verbose=verbose, **kw)
    return run


def _denoise(verbose):
    rng = np.random.default_rng(0)
    clean = np.add.outer(np.linspace(0, 1, 32), np.linspace(0, 1, 32)) / 2
    image.denoise_patches(clean + 0.05 * rng.standard_normal(clean.shape), 0.05,
                          n_similar=8, window=4, verbose=verbose)


def _incremental(verbose):
    X = np.random.default_rng(0).standard_normal((300, 12))
    randomized.IncrementalSVD(3, batch_size=50, verbose=verbose).fit(X)


CASES = {
    "FunkSVD": _recsys(recsys.FunkSVD, n_factors=2, n_epochs=3),
    "ALS": _recsys(recsys.ALS, n_factors=2, n_iter=3),
    "SoftImpute": _recsys(recsys.SoftImpute, max_rank=3, n_iter=3),
    "SVDpp": _recsys(recsys.SVDpp, n_factors=2, n_iter=2),
    "BayesianMF": _recsys(recsys.BayesianMF, n_factors=2, burn_in=2, n_samples=2),
    "ImplicitALS": _recsys(recsys.ImplicitALS, n_factors=2, n_iter=2),
    "NMF hals": _nmf("hals"),
    "NMF mu": _nmf("mu"),
    "NMF pg": _nmf("pg"),
    "RobustPCA": _robust_pca,
    "pca_cross_validation": _pca_cv,
    "Sequential.fit": _sequential,
    "LinearAutoencoder": _autoencoder,
    "train_gan": _gan,
    "svt_complete": _completion(image.svt_complete),
    "soft_impute": _completion(image.soft_impute, lam=1.0),
    "denoise_patches": _denoise,
    "IncrementalSVD": _incremental,
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.filterwarnings("ignore::svdlab.factorizations.ConvergenceWarning")  # tiny budgets
def test_verbose_shows_a_bar_with_its_criterion_and_default_is_silent(name, capsys):
    CASES[name](True)
    err = capsys.readouterr().err
    assert re.search(r"\d+%\||\d+it \[", err), f"{name}: no progress bar on stderr: {err!r}"
    assert re.search(r"[A-Za-z_]+=[-+0-9.e]+", err), f"{name}: the bar shows no criterion"
    CASES[name](False)
    out = capsys.readouterr()
    assert out.err == "" and out.out == "", f"{name} printed with verbose=False: {out}"


def test_progress_rejects_a_non_boolean_verbose():
    with pytest.raises(TypeError, match="verbose"):
        progress(range(2), verbose="yes")
