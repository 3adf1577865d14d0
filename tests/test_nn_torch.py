"""svdlab.nn against PyTorch's reference implementations (skipped without torch).

Everything is compared in float64 on both sides, so the tolerances are rounding
tolerances: the same operations in a different order differ by a few units of
``n * eps`` relative to the magnitudes involved.
"""

import importlib
import os

import numpy as np
import pytest
from _nn_helpers import _forward  # (tests/ is on sys.path)
from scipy import stats

from svdlab import nn
from svdlab.randomized import randomized_svd


def _peer(name):
    """Import a peer library: skipped when absent, except in CI (SVDLAB_REQUIRE_TORCH=1),
    where .ci/run installs the torch extra and a missing peer is a failure."""
    if os.environ.get("SVDLAB_REQUIRE_TORCH") == "1":
        return importlib.import_module(name)
    return pytest.importorskip(name)


torch = _peer("torch")
parametrizations = _peer("torch.nn.utils.parametrizations")

EPS = np.finfo(np.float64).eps


def _torch_linear(W, b):
    """A torch Linear computing x W + b (torch stores the (out, in) matrix W^T)."""
    lin = torch.nn.Linear(W.shape[0], W.shape[1], bias=b is not None, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(W.T.copy()))
        if b is not None:
            lin.bias.copy_(torch.from_numpy(b))
    return lin


def test_spectral_norm_matches_torch_from_the_same_start_vector():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((20, 12))
    b = rng.standard_normal(12)
    ours = nn.SpectralNormalized(nn.Dense(W.copy(), b.copy()), random_state=0)
    ours.W, ours.b = W.copy(), b.copy()          # float64 on our side too
    ours.u, ours.v = ours.u.astype(np.float64), ours.v.astype(np.float64)
    lin = parametrizations.spectral_norm(_torch_linear(W, b))
    sn = lin.parametrizations.weight[0]
    with torch.no_grad():                        # the same state: u (out), v (in)
        sn._u.copy_(torch.from_numpy(ours.u))
        sn._v.copy_(torch.from_numpy(ours.v))
    opt_t = torch.optim.SGD(lin.parameters(), lr=0.05)
    X = rng.standard_normal((8, 20))
    T = rng.standard_normal((8, 12))
    for _ in range(5):                           # five training steps, one power step each
        out = ours.forward(X, train=True)
        ours.backward((out - T) / 8)
        yt = lin(torch.from_numpy(X))
        loss = 0.5 * ((yt - torch.from_numpy(T)) ** 2).sum() / 8
        opt_t.zero_grad()
        loss.backward()
        np.testing.assert_allclose(out, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours.u, sn._u.numpy(), rtol=0, atol=100 * EPS)
        np.testing.assert_allclose(ours.v, sn._v.numpy(), rtol=0, atol=100 * EPS)
        gW = lin.parametrizations.weight.original.grad.numpy().T
        np.testing.assert_allclose(ours.grads[0], gW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(ours.grads[1], lin.bias.grad.numpy(), rtol=1e-10, atol=1e-14)
        opt_t.step()
        ours.W -= 0.05 * ours.grads[0]
        ours.b -= 0.05 * ours.grads[1]
    lin.eval()
    np.testing.assert_allclose(ours.forward(X), lin(torch.from_numpy(X)).detach().numpy(),
                               rtol=1e-12, atol=1e-12)


def test_orthogonal_init_has_torchs_distribution():
    n, draws = 5, 3000
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    ours = np.stack([nn.orthogonal_init((n, n), random_state=rng) for _ in range(draws)])
    theirs = np.stack([torch.nn.init.orthogonal_(torch.empty(n, n, dtype=torch.float64)).numpy()
                       for _ in range(draws)])
    for Q in (ours, theirs):
        np.testing.assert_allclose(np.linalg.svd(Q, compute_uv=False), 1.0, rtol=0,
                                   atol=20 * n * EPS)
    # two-sample KS tests on an entry, the trace and the angle of the first eigenvalue
    pairs = [(ours[:, 0, 0], theirs[:, 0, 0]), (ours[:, 2, 3], theirs[:, 2, 3]),
             (np.trace(ours, axis1=1, axis2=2), np.trace(theirs, axis1=1, axis2=2)),
             (np.sort(np.abs(np.angle(np.linalg.eigvals(ours))), axis=1)[:, -1],
              np.sort(np.abs(np.angle(np.linalg.eigvals(theirs))), axis=1)[:, -1])]
    for a, b in pairs:
        assert stats.ks_2samp(a, b).pvalue > 1e-3
    # rectangular: torch's (out, in) = our (in, out) transposed; both have unit rows/cols
    W = torch.nn.init.orthogonal_(torch.empty(3, 7, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(W @ W.T, np.eye(3), atol=20 * 7 * EPS)


def test_randomized_svd_against_svd_lowrank():
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((300, 100)))
    V, _ = np.linalg.qr(rng.standard_normal((200, 100)))
    s = 0.8 ** np.arange(100)
    A = (U * s) @ V.T
    k = 10
    Ur, sr, Vtr = randomized_svd(A, k, n_oversamples=10, n_iter=4, random_state=0)
    torch.manual_seed(0)
    Ut, st, Vt_t = torch.svd_lowrank(torch.from_numpy(A), q=k + 10, niter=4)
    Ut, st, Vt_t = Ut.numpy()[:, :k], st.numpy()[:k], Vt_t.numpy()[:, :k].T
    err_ours = np.linalg.norm(A - (Ur * sr) @ Vtr, 2)
    err_torch = np.linalg.norm(A - (Ut * st) @ Vt_t, 2)
    # both reach the optimal error sigma_{k+1} up to a small factor, and agree on sigma
    assert err_ours < 1.01 * s[k] and err_torch < 1.05 * s[k]
    np.testing.assert_allclose(sr, s[:k], rtol=1e-6)
    np.testing.assert_allclose(st, s[:k], rtol=1e-4)


def test_layer_gradients_match_autograd():
    rng = np.random.default_rng(0)
    W1, b1 = rng.standard_normal((6, 9)), rng.standard_normal(9)
    W2, b2 = rng.standard_normal((9, 9)), rng.standard_normal(9)
    W3 = rng.standard_normal((9, 4))
    base = nn.Sequential([nn.Dense(W1, b1), nn.Tanh(), nn.Dense(W2, b2), nn.ReLU(),
                          nn.Dense(W3)])
    net = nn.add_lora(base, 3, init="pissa", layers=[0, 4])
    for layer in net.layers:                  # float64 everywhere
        for name in ("W", "b", "A", "B", "W0"):
            if isinstance(getattr(layer, name, None), np.ndarray):
                setattr(layer, name, getattr(layer, name).astype(np.float64))
    net.layers[4].B += 0.1 * rng.standard_normal(net.layers[4].B.shape)
    X = rng.standard_normal((7, 6))
    y = rng.integers(0, 4, 7)
    out = _forward(net, X, train=True)           # layer by layer: Sequential casts to float32
    _, G = nn.layers._loss_and_grad(out, y, "cross_entropy")
    gx = net.backward(G)
    L0, L4 = net.layers[0], net.layers[4]
    tA0, tB0 = (torch.tensor(L0.A, requires_grad=True), torch.tensor(L0.B, requires_grad=True))
    tA4, tB4 = (torch.tensor(L4.A, requires_grad=True), torch.tensor(L4.B, requires_grad=True))
    tX = torch.tensor(X, requires_grad=True)
    h = tX @ torch.tensor(L0.W0) + (tX @ tA0) @ tB0 + torch.tensor(L0.b)
    h = torch.tanh(h)
    h = torch.relu(h @ torch.tensor(net.layers[2].W) + torch.tensor(net.layers[2].b))
    logits = h @ torch.tensor(L4.W0) + L4.scale * (h @ tA4) @ tB4
    torch.nn.functional.cross_entropy(logits, torch.tensor(y)).backward()
    for ours, t in zip(net.grads, (tA0, tB0, tA4, tB4), strict=True):
        np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(gx, tX.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_jacobian_matches_torch_func():
    rng = np.random.default_rng(1)
    net = nn.make_mlp([5, 8, 8, 3], activation="tanh", init="orthogonal", random_state=0)
    Ws = [torch.tensor(layer.W.astype(np.float64)) for layer in net.layers[::2]]
    bs = [torch.tensor(layer.b.astype(np.float64)) for layer in net.layers[::2]]

    def f(x):
        h = x
        for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
            h = h @ W + b
            if i < len(Ws) - 1:
                h = torch.tanh(h)
        return h

    X = rng.standard_normal((3, 5))
    J = nn.jacobian(net, X)
    for i in range(3):
        Jt = torch.func.jacrev(f)(torch.tensor(X[i])).numpy()
        np.testing.assert_allclose(J[i], Jt, rtol=1e-12, atol=1e-14)


def test_weightwatcher_alphas_of_a_torch_copy():
    ww = _peer("weightwatcher")
    import logging

    logging.getLogger("weightwatcher").setLevel(logging.ERROR)
    rng = np.random.default_rng(0)
    mats = [rng.standard_t(3, (300, 200)), rng.standard_t(5, (200, 100))]
    net = nn.Sequential([nn.Dense(mats[0].astype(np.float32)), nn.ReLU(),
                         nn.Dense(mats[1].astype(np.float32))])
    model = torch.nn.Sequential(_torch_linear(mats[0], None), torch.nn.ReLU(),
                                _torch_linear(mats[1], None)).float()
    df = ww.WeightWatcher(model=model).analyze(plot=False)
    ours = [s.alpha for s in nn.weight_spectra(net)]
    # float32 weights on both sides; WeightWatcher takes the SVD in float64 too
    np.testing.assert_allclose([a.alpha for a in ours], df["alpha"].to_numpy(), rtol=1e-4)
    np.testing.assert_allclose([a.xmin for a in ours], df["xmin"].to_numpy(), rtol=1e-4)
