"""svdlab.nn spectral norm, LoRA, linear autoencoder and GAN (chapter 10), without PyTorch."""

import numpy as np
import pytest
from _nn_helpers import _as64, _check_grads, _num_grad  # (tests/ is on sys.path)
from scipy.linalg import subspace_angles
from sklearn.datasets import load_digits
from sklearn.utils.estimator_checks import parametrize_with_checks

from svdlab import linalg as sl
from svdlab import nn


# ---------------------------------------------------------------- spectral norm
def test_power_iteration_converges_and_never_overshoots():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 25)) @ np.diag(0.9 ** np.arange(25))
    s = np.linalg.svd(A, compute_uv=False)
    st = nn.spectral_norm_power_iteration(A, random_state=0)
    sig = []
    for _ in range(200):
        st = nn.spectral_norm_power_iteration(A, st.v)
        sig.append(st.sigma)
    # u^T A v <= sigma_1 for unit vectors (up to rounding, 10 n eps sigma_1)
    assert max(sig) <= s[0] * (1 + 10 * 40 * np.finfo(float).eps)
    np.testing.assert_allclose(sig[-1], s[0], rtol=1e-10)
    assert np.all(np.diff(sig) >= -1e-12 * s[0])          # monotone from below
    with pytest.raises(ValueError, match="length 25"):
        nn.spectral_norm_power_iteration(A, np.ones(3))


def test_penalty_gradient_is_the_derivative_of_half_sigma_squared():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((12, 7))
    v = np.linalg.svd(W)[0][:, 0]                     # converged: exact top vector
    pen, grad, _ = nn.spectral_norm_penalty(W, v, lam=0.3, n_iter=50)
    s = np.linalg.svd(W, compute_uv=False)[0]
    np.testing.assert_allclose(pen, 0.15 * s**2, rtol=1e-12)
    h = 1e-6

    def f(M):
        return 0.15 * np.linalg.svd(M, compute_uv=False)[0] ** 2

    E = rng.standard_normal(W.shape)
    fd = (f(W + h * E) - f(W - h * E)) / (2 * h)      # directional derivative
    np.testing.assert_allclose(np.sum(grad * E), fd, rtol=1e-6)


def test_spectral_penalty_lowers_sigma1_and_spreads_the_spectrum():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)[:500]
    y = y[:500]
    base = nn.make_mlp([64, 64, 10], random_state=0).fit(X, y, epochs=20, random_state=0)
    sn = nn.make_mlp([64, 64, 10], random_state=0).fit(X, y, epochs=20, random_state=0,
                                                        spectral_penalty=0.5)
    s_base = nn.weight_spectra(base)[0]
    s_sn = nn.weight_spectra(sn)[0]
    assert s_sn.spectral_norm < 0.7 * s_base.spectral_norm
    assert s_sn.stable_rank > s_base.stable_rank         # only the top is pushed down


def test_spectral_normalized_backprop_and_bound():
    rng = np.random.default_rng(0)
    layers = [nn.SpectralNormalized(nn.Dense(rng.standard_normal((5, 6)), np.zeros(6)),
                                    random_state=0),
              nn.Tanh(),
              nn.SpectralNormalized(nn.Dense(rng.standard_normal((6, 3))), random_state=1)]
    net = nn.Sequential(layers)
    for layer in layers[::2]:
        layer.W = layer.W.astype(np.float64)
        layer.u, layer.v = layer.u.astype(np.float64), layer.v.astype(np.float64)
        for _ in range(100):                          # converge, so train/eval agree
            layer.forward(np.zeros((1, layer.W.shape[0])), train=True)
        layer.n_power_iterations = 1

    class Frozen(nn.Sequential):
        pass

    # the gradient treats u, v as constants (as PyTorch does): finite differences must
    # not re-run the iteration, so compare in evaluation mode around converged vectors
    X = rng.standard_normal((4, 5))
    Y = rng.standard_normal((4, 3))
    out = net.forward(X, train=True)
    _, G = nn.layers._loss_and_grad(out, Y, "mse")
    net.backward(G)
    grads = [g.copy() for g in net.grads]

    def f():
        return nn.layers._loss_and_grad(net.forward(X), Y, "mse")[0]

    for p, g in zip(net.params, grads, strict=True):
        # f recomputes sigma = v^T W u with fixed u, v: exactly the function differentiated
        np.testing.assert_allclose(g, _num_grad(f, p), rtol=1e-6, atol=1e-9)
    assert nn.lipschitz_upper_bound(net) == pytest.approx(1.0, rel=1e-6)
    J = nn.jacobian_singular_values(net, X)
    assert J.max() <= 1 + 1e-6


def test_spectral_normalized_copy_and_errors():
    sn = nn.SpectralNormalized(nn.Dense(np.eye(3)), random_state=0)
    twin = sn.copy()
    twin.W += 1
    assert not np.array_equal(twin.W, sn.W)
    with pytest.raises(TypeError, match="Dense"):
        nn.SpectralNormalized(nn.ReLU())


# ---------------------------------------------------------------- LoRA
def test_lora_backprop_matches_finite_differences():
    rng = np.random.default_rng(0)
    base = nn.make_mlp([6, 8, 4], activation="tanh", random_state=0)
    for init in ("zero", "pissa"):
        net = nn.add_lora(base, 2, init=init, random_state=0)
        for layer in net.layers:
            if isinstance(layer, nn.LoRADense):
                layer.B = layer.B + 0.1 * rng.standard_normal(layer.B.shape)  # B != 0
        _check_grads(_as64(net), rng.standard_normal((5, 6)), np.array([0, 1, 2, 3, 0]),
                     "cross_entropy")


def test_lora_starts_at_the_pretrained_net_and_counts_parameters():
    rng = np.random.default_rng(0)
    base = nn.make_mlp([64, 48, 10], random_state=0)
    X = rng.standard_normal((8, 64)).astype(np.float32)
    for init in ("zero", "pissa"):
        lo = nn.add_lora(base, 4, init=init, random_state=0)
        # float32 W0 + A B: rounding of order eps32 * ||W|| per entry
        np.testing.assert_allclose(lo.forward(X), base.forward(X), rtol=0, atol=1e-4)
        assert lo.n_params() == 4 * (64 + 48) + 4 * (48 + 10)
        np.testing.assert_allclose(nn.merge_lora(lo).forward(X), lo.forward(X), atol=1e-5)
    pissa = nn.LoRADense(base.layers[0], 4, init="pissa")
    U, s, Vt = sl.svd(base.layers[0].W.astype(np.float64))
    np.testing.assert_allclose(pissa.A.astype(float) @ pissa.B.astype(float),
                               (U[:, :4] * s[:4]) @ Vt[:4], atol=1e-5)
    # the residual keeps the other singular values
    np.testing.assert_allclose(np.linalg.svd(pissa.W0.astype(float), compute_uv=False)[:5],
                               s[4:9], rtol=1e-5)


def test_lora_update_has_the_adapter_rank():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    base = nn.make_mlp([64, 32, 10], random_state=0).fit(X[:800], y[:800], epochs=5)
    for init, bound in (("zero", 3), ("pissa", 6)):
        lo = nn.add_lora(base, 3, init=init, random_state=0)
        lo.fit(X[800:1200], (y[800:1200] + 1) % 10, epochs=5, lr=3e-3)
        s = np.linalg.svd(lo.layers[0].delta_weight(), compute_uv=False)
        # rank <= r (zero init) or 2r (PiSSA); beyond it only float32 rounding of W0 + AB
        assert s[bound] < 1e-5 * s[0] and s[0] > 0


def test_pissa_randomized_svd_matches_exact():
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((80, 60)) @ np.diag(0.7 ** np.arange(60))
         @ rng.standard_normal((60, 60)))
    base = nn.Dense(W)
    ex = nn.LoRADense(base, 5, init="pissa")
    rnd = nn.LoRADense(base, 5, init="pissa", svd="randomized", n_iter=6, random_state=0)
    ref = ex.A.astype(float) @ ex.B.astype(float)
    err = np.linalg.norm(rnd.A.astype(float) @ rnd.B.astype(float) - ref) / np.linalg.norm(ref)
    assert err < 1e-4


def test_lora_errors():
    base = nn.make_mlp([4, 3, 2])
    with pytest.raises(ValueError, match="not a Dense"):
        nn.add_lora(base, 1, layers=[1])
    with pytest.raises(ValueError, match="init"):
        nn.LoRADense(base.layers[0], 1, init="lora+")
    with pytest.raises(ValueError, match="rank"):
        nn.LoRADense(base.layers[0], 4)


# ---------------------------------------------------------------- linear autoencoder
def test_principal_angles_match_scipy():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((20, 4)), rng.standard_normal((20, 6))
    np.testing.assert_allclose(nn.principal_angles(A, B), np.sort(subspace_angles(A, B)),
                               rtol=1e-10, atol=1e-14)
    tiny = A + 1e-10 * rng.standard_normal(A.shape)
    # the sine formula resolves angles of 1e-10 (arccos would return ~1e-8 or 0)
    th = nn.principal_angles(A, tiny)
    assert 1e-12 < th.max() < 1e-9
    with pytest.raises(ValueError, match="rows"):
        nn.principal_angles(A, B[:5])


def test_linear_autoencoder_learns_the_pca_subspace_not_the_basis():
    X, _ = load_digits(return_X_y=True)
    X = X / 16
    ae = nn.LinearAutoencoder(4, random_state=0).fit(X)
    Vt = sl.svd(X - X.mean(0))[2][:4]
    assert nn.principal_angles(ae.subspace_.T, Vt.T).max() < 1e-3
    # individual hidden units are mixtures of components: some are far from every axis
    cos = np.abs(Vt @ (ae.decoder_.T / np.linalg.norm(ae.decoder_, axis=1)))
    assert cos.max(axis=0).min() < 0.99
    assert ae.loss_curve_[-1] < ae.loss_curve_[0]
    Z = ae.transform(X)
    np.testing.assert_allclose(ae.inverse_transform(Z), Z @ ae.decoder_ + ae.mean_)


@parametrize_with_checks([nn.LinearAutoencoder(1, max_iter=200, random_state=0)])
def test_sklearn_compatible(estimator, check):
    import warnings

    from svdlab.factorizations import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# ---------------------------------------------------------------- GAN
def test_gan_losses_and_coverage():
    c = nn.ring_centres(8)
    G, D = nn.make_gan(width=32, random_state=0)
    hist = nn.train_gan(G, D, nn.ring_of_gaussians(2000, random_state=0), n_steps=30,
                        batch_size=64, random_state=0)
    assert np.all(np.isfinite(hist["d_loss"])) and np.all(np.isfinite(hist["g_loss"]))
    cov = nn.mode_coverage(nn.ring_of_gaussians(4000, std=0.05, random_state=1), c, 0.05)
    assert cov.n_covered == 8 and cov.counts.sum() == pytest.approx(4000 * cov.high_quality)
    with pytest.raises(TypeError, match="real"):
        nn.train_gan(G, D, "ring", n_steps=1)
    Gs, Ds = nn.make_gan(spectral_norm=True, random_state=0)
    # 15 power steps at construction: each sigma estimate is below the true one, by a
    # little (the product of the three normalized layers is just above 1)
    assert 1 - 1e-6 < nn.lipschitz_upper_bound(Ds) < 1.05
