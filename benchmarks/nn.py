"""Chapter 10's SVD inside training: the cost of spectral normalization, LoRA, a small GAN.

Goal (issue 14): one warm-started power-iteration step costs under 5 % of a training step
at the chapter's layer sizes, and tracks sigma_1 within 1 % after the first epoch. (Measured:
the cost goal holds at the chapter's sizes; the tracking goal holds for a network that
training leaves alone, not inside spectral normalization, which flattens the top of the
spectrum; see ``sn_tracking``.)

1. ``sn_cost``: time per training step (forward, backward, Adam) of the chapter's networks
   (the digits MLP 64-128-128-10 at batch 64, the GAN discriminator 2-64-64-1 at batch 256,
   and a wider 784-1024-1024-10 MLP at batch 128), with plain dense layers, with
   ``SpectralNormalized`` layers (one power step each) and with an exact SVD of every
   weight at every step; the same for PyTorch (``nn.Linear`` with and without
   ``parametrizations.spectral_norm``) when it is installed. Best of 5 runs of 50 steps,
   interleaved, one BLAS thread (and one torch thread). The share of the power step is
   measured directly: the time of the power steps alone over the time of a plain step.
2. ``sn_tracking``: the relative error of sigma-hat against the exact sigma_1 of the weight
   it was used with, after the first epoch (12 epochs on the digits), for a passive tracker
   on a plain network and inside spectral normalization.
3. ``lora``: adapting the digits MLP to rotated digits (300 examples), LoRA ranks 1-32 with
   zero and PiSSA initialization against full fine-tuning: trainable parameters and test
   accuracy, mean and standard deviation over 3 seeds; step sizes chosen on validation
   digits as in the chapter.
4. ``gan``: the ring of 8 Gaussians, plain against spectrally normalized discriminator,
   2000 steps, 6 seeds: modes covered and fraction of high-quality samples.

    python benchmarks/nn.py            # about 10 minutes on one quiet core
    python benchmarks/nn.py --tables sn_cost    # re-run one table, keep the others
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from svdlab import nn, results  # noqa: E402
from svdlab.nn.layers import _loss_and_grad  # noqa: E402
from svdlab.nn.spectral_norm import _power_steps  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # the PyTorch columns are left empty
    torch = None

REPEAT, STEPS = 5, 50


def _plain(sizes, seed):
    return nn.make_mlp(sizes, random_state=seed)


def _sn(sizes, seed):
    net = nn.make_mlp(sizes, random_state=seed)
    return nn.Sequential([nn.SpectralNormalized(layer, random_state=seed + i)
                          if isinstance(layer, nn.Dense) else layer
                          for i, layer in enumerate(net.layers)])


class _ExactSN(nn.SpectralNormalized):
    """Spectral normalization by an exact SVD of the weight at every training step."""

    def _iterate(self, k):
        U, s, Vt = np.linalg.svd(self.W.T.astype(np.float64), full_matrices=False)
        self.u, self.v = U[:, 0].astype(self.W.dtype), Vt[0].astype(self.W.dtype)
        return float(s[0])


def _exact(sizes, seed):
    net = nn.make_mlp(sizes, random_state=seed)
    return nn.Sequential([_ExactSN(layer, n_init_iterations=0, random_state=seed)
                          if isinstance(layer, nn.Dense) else layer for layer in net.layers])


def _numpy_steps(net, X, y, steps):
    opt = nn.Adam(net.params, lr=1e-3)
    B = 64 if X.shape[0] >= 64 else X.shape[0]
    r = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(steps):
        idx = r.integers(0, X.shape[0], B)
        out = net.forward(X[idx], train=True)
        _, G = _loss_and_grad(out, y[idx], "cross_entropy")
        net.backward(G)
        opt.step(net.grads)
    return (time.perf_counter() - t0) / steps


def _power_only(net, steps):
    Ws = [layer.W for layer in net.layers if isinstance(layer, nn.Dense)]
    # in the weights' dtype, as the layers keep theirs: a float64 v (np.ones(...) / np.sqrt(n)
    # is float64 under NumPy 2's promotion rules) would make every product cast the matrix
    vs = [np.full(W.shape[0], 1 / np.sqrt(W.shape[0]), dtype=W.dtype) for W in Ws]
    t0 = time.perf_counter()
    for _ in range(steps):
        for W, v in zip(Ws, vs, strict=True):
            _power_steps(W.T, v, 1, 1e-12)
    return (time.perf_counter() - t0) / steps


def _torch_steps(sizes, X, y, steps, sn):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        lin = torch.nn.Linear(a, b)
        layers.append(torch.nn.utils.parametrizations.spectral_norm(lin) if sn else lin)
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    g = torch.Generator().manual_seed(0)
    B = 64
    t0 = time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(0, X.shape[0], (B,), generator=g)
        loss = torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.perf_counter() - t0) / steps


def sn_cost():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    r = np.random.default_rng(0)
    cases = [("digits MLP 64-128-128-10", [64, 128, 128, 10], X, y),
             ("GAN discriminator 2-64-64-1 (as a 2-class net)", [2, 64, 64, 2],
              r.standard_normal((512, 2)).astype(np.float32), r.integers(0, 2, 512)),
             ("wide MLP 784-1024-1024-10", [784, 1024, 1024, 10],
              r.standard_normal((512, 784)).astype(np.float32), r.integers(0, 10, 512))]
    rows = []
    for name, sizes, Xc, yc in cases:
        best = {k: np.inf for k in ("plain", "sn", "exact", "power", "t_plain", "t_sn")}
        for _ in range(REPEAT):          # interleaved: every variant in every round
            best["plain"] = min(best["plain"], _numpy_steps(_plain(sizes, 0), Xc, yc, STEPS))
            best["sn"] = min(best["sn"], _numpy_steps(_sn(sizes, 0), Xc, yc, STEPS))
            best["exact"] = min(best["exact"], _numpy_steps(_exact(sizes, 0), Xc, yc,
                                                            max(5, STEPS // 5)))
            best["power"] = min(best["power"], _power_only(_plain(sizes, 0), STEPS))
            if torch is not None:
                best["t_plain"] = min(best["t_plain"], _torch_steps(sizes, Xc, yc, STEPS, False))
                best["t_sn"] = min(best["t_sn"], _torch_steps(sizes, Xc, yc, STEPS, True))
        t = torch is not None
        rows.append([name, 1e3 * best["plain"], 1e3 * best["sn"], 1e3 * best["exact"],
                     100 * best["power"] / best["plain"],
                     100 * (best["sn"] - best["plain"]) / best["plain"],
                     1e3 * best["t_plain"] if t else None, 1e3 * best["t_sn"] if t else None])
        print(f"{name}: " + ", ".join(f"{c} {v:.3f}" if isinstance(v, float) else f"{c} {v}"
                                      for c, v in zip(SN_COLS[1:], rows[-1][1:], strict=True)))
    return results.Table("sn_cost", "Time per training step (ms, best of 5 x 50 steps, one "
                         "thread) of plain, spectrally normalized (one power step) and "
                         "exact-SVD-normalized networks, NumPy and PyTorch; power share = "
                         "the power steps alone over a plain step, SN overhead = (SN - plain) "
                         "/ plain, in percent.", SN_COLS, rows)


SN_COLS = ["network", "numpy plain (ms)", "numpy SN (ms)", "numpy exact SVD (ms)",
           "power step share (%)", "numpy SN overhead (%)", "torch plain (ms)", "torch SN (ms)"]


def sn_tracking():
    """One warm-started power step per update: passive on a plain network, inside SN."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    per_epoch = 1000 // 64 + 1
    rows = []
    for seed in range(3):
        plain = _plain([64, 128, 128, 10], seed)
        dense = [la for la in plain.layers if isinstance(la, nn.Dense)]
        vecs = [nn.spectral_norm_power_iteration(la.W.T, n_iter=15, random_state=seed).v
                for la in dense]
        passive = []

        def watch(model, step, dense=dense, vecs=vecs, passive=passive):
            row = []
            for i, la in enumerate(dense):
                st = nn.spectral_norm_power_iteration(la.W.T, vecs[i])
                vecs[i] = st.v
                e = np.linalg.norm(la.W.astype(np.float64), 2)
                row.append(abs(e - st.sigma) / e)
            passive.append(row)

        plain.fit(X[:1000], y[:1000], epochs=12, lr=2e-3, callback=watch, random_state=seed)
        net = _sn([64, 128, 128, 10], seed)
        layers = [la for la in net.layers if isinstance(la, nn.SpectralNormalized)]
        errs, prev = [], [None]

        def track(model, step, layers=layers, errs=errs, prev=prev):
            if prev[0] is not None:
                exact = [np.linalg.norm(W.astype(np.float64), 2) for W in prev[0]]
                errs.append([abs(e - la.sigma) / e for e, la in zip(exact, layers, strict=True)])
            prev[0] = [la.W.copy() for la in layers]

        net.fit(X[:1000], y[:1000], epochs=12, lr=2e-3, callback=track, random_state=seed)
        p, e = np.array(passive)[per_epoch:], np.array(errs)[per_epoch:]
        rows.append([seed, float(p.max()), float(np.median(p)), float(e.max()),
                     float(np.median(e))])
        print(f"tracking seed {seed}: passive max {rows[-1][1]:.2e}, inside SN max "
              f"{rows[-1][3]:.2e} (median {rows[-1][4]:.2e})")
    return results.Table("sn_tracking", "Relative error of one warm-started power step per "
                         "update against the exact sigma_1, after the first epoch (digits "
                         "MLP, Adam 2e-3, 12 epochs, all three layers): passive tracking of a "
                         "plain network, and the estimate spectral normalization divides by.",
                         ["seed", "passive max", "passive median", "inside SN max",
                          "inside SN median"], rows)


def lora():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    XB = np.rot90(X.reshape(-1, 8, 8), 1, axes=(1, 2)).reshape(-1, 64)
    trB, vaB, te = np.arange(300), np.arange(300, 500), np.arange(1000, len(y))
    acc = {}
    params = {}
    for seed in range(3):
        pre = nn.make_mlp([64, 128, 128, 10], random_state=seed).fit(
            X[:1000], y[:1000], epochs=40, lr=2e-3, random_state=seed)

        def adapt(make, seed=seed):
            best = None
            for lr in (3e-3, 1e-2):
                m = make().fit(XB[trB], y[trB], epochs=30, lr=lr, random_state=seed)
                va = m.accuracy(XB[vaB], y[vaB])
                if best is None or va > best[0]:
                    best = (va, m)
            return best[1].n_params(), best[1].accuracy(XB[te], y[te])

        methods = [("full fine-tuning", None, pre.copy)]
        methods += [(f"LoRA {init}", r, (lambda init=init, r=r, pre=pre, seed=seed:
                                         nn.add_lora(pre, r, init=init, random_state=seed)))
                    for init in ("zero", "pissa") for r in (1, 2, 4, 8, 16, 32)]
        for name, r, make in methods:
            p, a = adapt(make)
            acc.setdefault((name, r), []).append(a)
            params[name, r] = p
        print(f"lora seed {seed} done")
    rows = [[name, r, params[name, r], float(np.mean(a)), float(np.std(a, ddof=1))]
            for (name, r), a in acc.items()]
    for row in rows:
        print(row)
    return results.Table("lora", "Adapting the digits MLP (pre-trained on 1000 digits) to "
                         "digits rotated by 90 degrees from 300 examples: trainable "
                         "parameters and test accuracy (797 rotated digits), mean and sd "
                         "over 3 seeds.",
                         ["method", "rank", "trainable parameters", "accuracy", "sd"], rows)


def gan(n_seeds=6, n_steps=2000):
    centres, std = nn.ring_centres(8), 0.05

    def real(n, r):
        return nn.ring_of_gaussians(n, std=std, random_state=r)

    rows = []
    for use_sn in (False, True):
        cov, hq = [], []
        for seed in range(n_seeds):
            G, D = nn.make_gan(width=64, spectral_norm=use_sn, random_state=seed)
            nn.train_gan(G, D, real, n_steps=n_steps, batch_size=128, lr=1e-3,
                         random_state=seed)
            z = np.random.default_rng(1000 + seed).standard_normal((2000, 2)).astype(np.float32)
            c = nn.mode_coverage(G.forward(z), centres, std)
            cov.append(c.n_covered)
            hq.append(c.high_quality)
        rows.append(["spectral norm" if use_sn else "plain", n_seeds, float(np.mean(cov)),
                     float(np.std(cov, ddof=1)), int(np.min(cov)), float(np.mean(hq))])
        print(rows[-1], cov)
    return results.Table("gan", f"Ring of 8 Gaussians (std {std}), {n_steps} steps, batch "
                         "128, Adam 1e-3 (0.5, 0.999), width 64: modes covered (>= 1 % of "
                         "2000 samples within 3 std) over seeds.",
                         ["discriminator", "seeds", "modes covered", "sd", "min",
                          "high-quality fraction"], rows)


TABLES = {"sn_cost": sn_cost, "sn_tracking": sn_tracking, "lora": lora, "gan": gan}


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", nargs="+", choices=list(TABLES), default=list(TABLES),
                    help="re-run only these tables; the others are kept from nn.json")
    args = ap.parse_args(argv)
    kept = {}
    if set(args.tables) != set(TABLES):
        kept = {t["name"]: t for t in results.load("nn", download=False)["tables"]}
    with threadpool_limits(1):
        new = {name: TABLES[name]() for name in args.tables}
    tables = [new[name] if name in new else kept[name] for name in TABLES]
    versions = ("torch", "weightwatcher") if torch is not None else ()
    command = "python benchmarks/nn.py" + ("" if not kept else " --tables " + " ".join(args.tables))
    path = results.write("nn", "Spectral normalization, LoRA and a small GAN in svdlab.nn "
                         "(NumPy) against PyTorch", tables, command=command,
                         threads=1, versions=versions,
                         notes="Timings on a shared 2-core machine unless re-run quietly; "
                               "accuracy columns do not depend on the machine.")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
