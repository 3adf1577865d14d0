"""svdlab.nn.spectra (chapter 10): power-law fits, stable rank, Marchenko-Pastur, Jacobians."""

import logging

import numpy as np
import pytest
from scipy.integrate import quad

from svdlab import linalg as sl
from svdlab import nn


def _pareto(alpha, n, xmin, rng):
    """Continuous power law p(x) ~ x^-alpha on [xmin, inf) by inversion."""
    return xmin * (1 - rng.random(n)) ** (-1 / (alpha - 1))


@pytest.mark.parametrize("alpha", [1.8, 2.5, 4.0])
def test_power_law_fit_recovers_known_exponents(alpha):
    rng = np.random.default_rng(int(alpha * 10))
    x = np.r_[rng.uniform(0.05, 1.0, 3000), _pareto(alpha, 3000, 1.0, rng)]
    fit = nn.power_law_fit(x)
    # the MLE has standard error (alpha - 1) / sqrt(n_tail); 4 sigma for three draws
    assert abs(fit.alpha - alpha) < 4 * fit.sigma
    assert 0.7 < fit.xmin < 1.6 and fit.n_tail > 1500


def test_power_law_fit_by_brute_force():
    # The vectorized scan equals the definition, candidate by candidate.
    rng = np.random.default_rng(0)
    x = np.sort(np.r_[rng.uniform(0.1, 1, 40), _pareto(3.0, 60, 1.0, rng)])
    best = (np.inf, None, None)
    for i in range(x.size - 1):
        t = x[i:]
        a = 1 + t.size / np.sum(np.log(t / t[0]))
        D = np.max(np.abs(1 - (t / t[0]) ** (1 - a) - np.arange(t.size) / t.size))
        best = min(best, (D, a, t[0]))
    fit = nn.power_law_fit(x, block=7)
    np.testing.assert_allclose([fit.ks_distance, fit.alpha, fit.xmin], best, rtol=1e-12)


def test_power_law_fit_agrees_with_weightwatcher():
    ww_powerlaw = pytest.importorskip("weightwatcher.WW_powerlaw")
    logging.getLogger("weightwatcher").setLevel(logging.ERROR)
    rng = np.random.default_rng(0)
    for df in (2.5, 4.0, 30.0):          # heavy, moderate, light tails
        W = rng.standard_t(df, (300, 120))
        ev = np.linalg.svd(W, compute_uv=False) ** 2
        ours = nn.power_law_fit(ev)
        ref = ww_powerlaw.WWFit(ev[ev > 1e-5])
        # same formulas in float64, different summation order: ~1e-13 relative
        np.testing.assert_allclose([ours.alpha, ours.xmin, ours.ks_distance],
                                   [ref.alpha, ref.xmin, ref.D], rtol=1e-9)


def test_power_law_fit_against_the_powerlaw_package_on_pareto_data():
    powerlaw = pytest.importorskip("powerlaw")
    rng = np.random.default_rng(5)
    x = _pareto(2.5, 2000, 1.0, rng)
    ours = nn.power_law_fit(x)
    ref = powerlaw.Fit(x, xmin=ours.xmin, verbose=False)   # the MLE at our xmin
    np.testing.assert_allclose(ref.power_law.alpha, ours.alpha, rtol=1e-6)
    assert abs(ours.alpha - 2.5) < 4 * ours.sigma


def test_power_law_fit_bad_input():
    with pytest.raises(ValueError, match="at least 3"):
        nn.power_law_fit([1.0, 2.0])
    with pytest.raises(ValueError, match="constant"):
        nn.power_law_fit(np.ones(10))
    with pytest.raises(ValueError, match="finite"):
        nn.power_law_fit([1.0, np.nan, 3.0, 4.0])


def test_stable_rank():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 20))
    s = np.linalg.svd(A, compute_uv=False)
    np.testing.assert_allclose(nn.stable_rank(A), np.linalg.norm(A) ** 2 / s[0] ** 2,
                               rtol=1e-12)
    np.testing.assert_allclose(nn.stable_rank(s[::-1]), nn.stable_rank(A), rtol=1e-12)
    assert nn.stable_rank(np.outer(s[:30], s[:20])) == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(ValueError, match="zero"):
        nn.stable_rank(np.zeros((3, 3)))


def test_marchenko_pastur_matches_large_random_matrices():
    rng = np.random.default_rng(0)
    m, n, s2 = 2000, 500, 0.3
    W = np.sqrt(s2) * rng.standard_normal((m, n))
    ev = np.linalg.svd(W, compute_uv=False) ** 2
    lo, hi = nn.marchenko_pastur_edges((m, n), s2)
    # the extreme eigenvalues sit within a few Tracy-Widom scales (~N^(-2/3)) of the edges
    assert abs(ev.max() / hi - 1) < 0.02 and abs(ev.min() / lo - 1) < 0.05
    # the histogram follows the density: compare the CDF at ten points
    qs = np.linspace(lo, hi, 12)[1:-1]
    cdf = [quad(nn.marchenko_pastur_pdf, lo, q, args=((m, n), s2))[0] for q in qs]
    emp = [(ev <= q).mean() for q in qs]
    np.testing.assert_allclose(emp, cdf, atol=0.02, rtol=0)
    assert quad(nn.marchenko_pastur_pdf, lo, hi, args=((n, m), s2))[0] == pytest.approx(1)
    assert nn.marchenko_pastur_pdf([lo / 2, 2 * hi], (m, n), s2).tolist() == [0.0, 0.0]


def test_weight_spectra_of_networks_and_dicts():
    net = nn.make_mlp([64, 128, 128, 10], random_state=0)
    spec = nn.weight_spectra(net)
    assert [s.name for s in spec] == ["layer 0 (Dense)", "layer 2 (Dense)", "layer 4 (Dense)"]
    for s, i in zip(spec, (0, 2, 4), strict=True):
        W = net.layers[i].W.astype(np.float64)
        np.testing.assert_allclose(s.singular_values, np.linalg.svd(W, compute_uv=False),
                                   rtol=1e-12)
        assert s.effective_rank == pytest.approx(sl.effective_rank(s.singular_values))
        np.testing.assert_allclose(s.mp_variance, np.mean(W**2), rtol=1e-12)
        np.testing.assert_allclose(s.eigenvalues, s.singular_values**2)
    assert spec[2].alpha is None and spec[1].alpha is not None
    # He-initialized layers are random matrices: no eigenvalue far outside the bulk
    assert spec[1].singular_values[0] ** 2 < 1.15 * spec[1].mp_edge
    rng = np.random.default_rng(0)
    spiked = rng.standard_normal((200, 100)) + 3 * np.outer(np.ones(200), np.ones(100)) / 10
    d = nn.weight_spectra({"a": np.eye(30), "b": spiked})
    # sigma_1 of the spike, 3 sqrt(200 * 100) / 10 = 42, is far above the bulk edge 24
    assert d[0].stable_rank == pytest.approx(30) and d[1].n_outliers == 1
    cnn = nn.weight_spectra(nn.make_cnn(random_state=0))
    assert cnn[1].shape == (16 * 9, 32)
    with pytest.raises(TypeError, match="Sequential"):
        nn.weight_spectra(np.eye(3))


def test_jacobian_against_finite_differences():
    rng = np.random.default_rng(0)
    for act in ("relu", "tanh", "linear"):
        net = nn.make_mlp([5, 9, 7, 3], activation=act, init="glorot", random_state=1)
        for layer in net.layers:
            if getattr(layer, "b", None) is not None:
                layer.b = rng.standard_normal(layer.b.shape).astype(np.float32)
        X = rng.standard_normal((4, 5))
        J = nn.jacobian(net, X)
        h = 1e-6
        for b in range(4):
            fd = np.column_stack([
                (_f64(net, X[b] + h * e) - _f64(net, X[b] - h * e)) / (2 * h)
                for e in np.eye(5)])
            # central differences in float64: error ~h^2 + eps/h ~ 1e-10 (ReLU kinks
            # are met with probability 0)
            np.testing.assert_allclose(J[b], fd, rtol=1e-6, atol=1e-8)


def _f64(net, x):
    H = x[None, :]
    for layer in net.layers:
        H, _ = layer._jvp(H, np.zeros((1, 1, H.shape[1])))
    return H[0]


def test_jacobian_singular_values_isometry_and_errors():
    deep = nn.make_mlp([16] * 33, activation="linear", init="orthogonal", bias=False,
                       random_state=0)
    s = nn.jacobian_singular_values(deep, np.ones((3, 16)))
    # 32 products of float32-rounded orthogonal matrices: each is orthogonal to ~1e-7
    np.testing.assert_allclose(s, 1.0, rtol=0, atol=32 * 16 * np.finfo(np.float32).eps)
    gauss = nn.make_mlp([16] * 33, activation="linear", init="gaussian", bias=False,
                        random_state=0)
    sg = nn.jacobian_singular_values(gauss, np.ones((1, 16)))
    assert sg[0, 0] / sg[0, -1] > 1e6
    with pytest.raises(TypeError, match="forward-mode"):
        nn.jacobian(nn.make_cnn(), np.ones((1, 64)))
