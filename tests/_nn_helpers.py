"""Helpers shared by the tests of svdlab.nn: float64 copies and gradient checks."""

import numpy as np

from svdlab import nn


def _as64(net):
    """Cast every array of a network to float64, for clean finite differences."""
    for layer in net.layers:
        for name in ("W", "b", "A", "B", "W0", "u", "v"):
            if isinstance(getattr(layer, name, None), np.ndarray):
                setattr(layer, name, getattr(layer, name).astype(np.float64))
    return net


def _num_grad(f, p, eps=1e-6):
    g = np.zeros_like(p, dtype=np.float64)
    it = np.nditer(p, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = p[i]
        p[i] = old + eps
        fp = f()
        p[i] = old - eps
        fm = f()
        p[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def _check_grads(net, X, y, loss):
    """Back-propagated gradients (params and input) against central differences.

    In float64 the central difference with step 1e-6 has truncation error
    ~1e-12 |f'''| and rounding error ~1e-16 |f| / 1e-6 = 1e-10 |f|: rtol 1e-6 with a
    small atol leaves a wide margin.
    """
    X = X.astype(np.float64)

    def f():
        return nn.layers._loss_and_grad(_forward(net, X), y, loss)[0]

    out = _forward(net, X, train=True)
    _, G = nn.layers._loss_and_grad(out, y, loss)
    gx = net.backward(G)
    for p, g in zip(net.params, net.grads, strict=True):
        np.testing.assert_allclose(g, _num_grad(f, p), rtol=1e-6, atol=1e-9)

    def fx():
        return nn.layers._loss_and_grad(_forward(net, Xv), y, loss)[0]

    Xv = X.copy()
    np.testing.assert_allclose(gx, _num_grad(fx, Xv), rtol=1e-6, atol=1e-9)


def _forward(net, X, train=False):
    H = X
    for layer in net.layers:
        H = layer.forward(H, train)
    return H
