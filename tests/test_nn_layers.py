"""svdlab.nn.layers and svdlab.nn.init (chapter 10): new layers, losses, optimizers, inits."""

import numpy as np
import pytest
from _nn_helpers import _as64, _check_grads  # noqa: E402  (tests/ is on sys.path)
from scipy import stats
from sklearn.datasets import load_digits

from svdlab import nn


def test_tanh_mse_backprop_matches_finite_differences():
    rng = np.random.default_rng(0)
    net = _as64(nn.make_mlp([5, 7, 6, 3], activation="tanh", init="glorot", random_state=1))
    X = rng.standard_normal((4, 5))
    Y = rng.standard_normal((4, 3))
    _check_grads(net, X, Y, "mse")


def test_cross_entropy_backprop_on_a_deep_linear_net():
    rng = np.random.default_rng(1)
    net = _as64(nn.make_mlp([4, 5, 5, 5, 3], activation="linear", init="orthogonal",
                            random_state=2))
    _check_grads(net, rng.standard_normal((6, 4)), np.array([0, 1, 2, 2, 1, 0]),
                 "cross_entropy")


def test_adam_is_the_textbook_update_bit_for_bit():
    # The in-place Adam must compute exactly what chapter 8 was written with.
    rng = np.random.default_rng(0)
    p = rng.standard_normal((7, 5)).astype(np.float32)
    ref, m, v = p.copy(), np.zeros_like(p), np.zeros_like(p)
    opt = nn.Adam([p], lr=3e-3, weight_decay=1e-2)
    for t in range(1, 6):
        g = rng.standard_normal(p.shape).astype(np.float32)
        opt.step([g])
        g = g + 1e-2 * ref
        m *= 0.9
        m += (1 - 0.9) * g
        v *= 0.999
        v += (1 - 0.999) * g * g
        ref -= (3e-3 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)).astype(
            np.float32)
        assert np.array_equal(p, ref)


def test_sgd_momentum_and_weight_decay():
    p = np.array([[1.0, 2.0]])
    opt = nn.SGD([p], lr=0.1, momentum=0.5, weight_decay=0.1)
    opt.step([np.zeros_like(p)])          # gradient of the penalty only: 0.1 p
    np.testing.assert_allclose(p, [[0.99, 1.98]], rtol=1e-15)
    opt.step([np.zeros_like(p)])          # v = 0.5 * 0.1 p0 + 0.1 p1
    np.testing.assert_allclose(p, [[0.99 - 0.1 * (0.05 + 0.099), 1.98 - 0.1 * (0.1 + 0.198)]],
                               rtol=1e-14)


def test_fit_mse_autoencoder_callback_and_divergence():
    X, _ = load_digits(return_X_y=True)
    X = (X / 16 - 0.3).astype(np.float32)[:300]
    net = nn.make_mlp([64, 16, 64], activation="tanh", init="glorot", random_state=0)
    steps = []
    net.fit(X, X, loss="mse", epochs=15, batch_size=50, lr=3e-3,
            callback=lambda model, step: steps.append(step))
    assert steps == list(range(1, 15 * 6 + 1))
    assert net.loss_curve_[-1] < 0.5 * net.loss_curve_[0]
    np.testing.assert_allclose(net.loss(X, X, "mse"), net.loss_curve_[-1], rtol=0.2)
    # 32 He layers without ReLU multiply the signal by ~2^16: the first steps overflow
    bad = nn.make_mlp([64] + [32] * 32 + [10], activation="linear", init="he", random_state=0)
    with pytest.raises(FloatingPointError, match="lr"), np.errstate(all="ignore"):
        bad.fit(X, np.zeros(300, dtype=int), epochs=5, optimizer="sgd", lr=0.1, momentum=0.9)


def test_fit_verbose_shows_a_bar(capsys):
    X, y = load_digits(return_X_y=True)
    nn.make_mlp([64, 8, 10]).fit(X[:100] / 16, y[:100], epochs=2, verbose=True)
    assert "Sequential.fit" in capsys.readouterr().err


def test_make_mlp_keeps_chapter_8_weights():
    # The default initialization draws exactly what chapter 8's make_mlp drew.
    rng = np.random.default_rng(3)
    W0 = (rng.standard_normal((64, 32)) * np.sqrt(2.0 / 64)).astype(np.float32)
    W1 = (rng.standard_normal((32, 10)) * np.sqrt(2.0 / 32)).astype(np.float32)
    net = nn.make_mlp([64, 32, 10], random_state=3)
    assert np.array_equal(net.layers[0].W, W0) and np.array_equal(net.layers[2].W, W1)


def test_copy_is_independent():
    net = nn.make_mlp([4, 3, 2], activation="tanh")
    twin = net.copy()
    twin.layers[0].W += 1
    assert not np.array_equal(twin.layers[0].W, net.layers[0].W)
    assert [type(a) for a in twin.layers] == [type(b) for b in net.layers]


def test_bad_input():
    net = nn.make_mlp([4, 3, 2])
    with pytest.raises(ValueError, match="loss"):
        net.fit(np.ones((5, 4)), np.zeros(5, dtype=int), loss="hinge")
    with pytest.raises(ValueError, match="optimizer"):
        net.fit(np.ones((5, 4)), np.zeros(5, dtype=int), optimizer="lbfgs")
    with pytest.raises(TypeError, match="callback"):
        net.fit(np.ones((5, 4)), np.zeros(5, dtype=int), callback=3)
    with pytest.raises(ValueError, match="activation"):
        nn.make_mlp([4, 2], activation="gelu")
    with pytest.raises(ValueError, match="init"):
        nn.make_mlp([4, 2], init="xavier")
    with pytest.raises(ValueError, match="gain"):
        nn.make_mlp([4, 2], gain=0.0)
    with pytest.raises(ValueError, match="shape"):
        nn.orthogonal_init((3,))
    with pytest.raises(ValueError, match="momentum"):
        nn.SGD([np.ones(2)], momentum=1.0)


# ---------------------------------------------------------------- initializations
@pytest.mark.parametrize("shape", [(8, 8), (12, 5), (5, 12)])
def test_orthogonal_init_has_unit_singular_values(shape):
    W = nn.orthogonal_init(shape, gain=1.5, random_state=0)
    # QR in float64: orthogonality to a few units of n * eps
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), 1.5,
                               rtol=0, atol=1.5 * 10 * max(shape) * np.finfo(float).eps)


def test_orthogonal_init_is_haar():
    # For Haar Q in O(n), (Q_11 + 1) / 2 ~ Beta((n-1)/2, (n-1)/2) and tr Q has mean 0,
    # variance 1. 4000 draws: the KS test has power against the unsigned-QR sample,
    # whose Q_11 is always negative.
    n, draws = 6, 4000
    rng = np.random.default_rng(0)
    Qs = np.stack([nn.orthogonal_init((n, n), random_state=rng) for _ in range(draws)])
    beta = stats.beta((n - 1) / 2, (n - 1) / 2)
    assert stats.kstest((Qs[:, 0, 0] + 1) / 2, beta.cdf).pvalue > 1e-3
    tr = np.trace(Qs, axis1=1, axis2=2)
    assert abs(tr.mean()) < 4 / np.sqrt(draws) and abs(tr.var() - 1) < 0.15
    unsigned = np.stack([np.linalg.qr(rng.standard_normal((n, n)))[0] for _ in range(500)])
    assert stats.kstest((unsigned[:, 0, 0] + 1) / 2, beta.cdf).pvalue < 1e-6


@pytest.mark.parametrize("init, var", [("gaussian", 1 / 300), ("he", 2 / 300),
                                       ("glorot", 2 / 500)])
def test_scaled_gaussian_inits(init, var):
    f = {"gaussian": nn.gaussian_init, "he": nn.he_init, "glorot": nn.glorot_init}[init]
    W = f((300, 200), random_state=0)
    # 60 000 draws: the sample variance has relative sd sqrt(2 / 60000) = 0.006
    np.testing.assert_allclose(W.var(), var, rtol=0.03)
