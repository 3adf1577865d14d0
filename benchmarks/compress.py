"""Low-rank compression of a trained MLP (chapter 8): parameters, FLOPs, time, accuracy.

Goal (after Denton et al. 2014, who report 2x with < 1 % loss): on the trained MLP,
>= 2x fewer parameters and >= 1.5x faster inference with <= 1 % accuracy loss.

The network is a 64 -> 1024 -> 1024 -> 10 ReLU MLP trained on scikit-learn's digits
(70/30 stratified split) with svdlab.nn. Its 1024 x 1024 hidden layer, 93 % of
the parameters, is replaced by two layers W1 (1024 x r) and W2 (r x 1024) from the
truncated SVD, then optionally fine-tuned for 2 epochs. Inference is timed in float32
on a batch of 5400 images (the test set 10 times), median of 15 runs, all models in
this one process, so that the ratios are comparable.

    python benchmarks/compress.py
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from svdlab.nn import make_mlp

RANKS = (32, 64, 128, 200, 256)
REPEATS = 15


def median_time(net, X) -> float:
    net.forward(X)  # warm-up
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        net.forward(X)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    Xb = np.tile(Xte, (10, 1))

    t0 = time.perf_counter()
    net = make_mlp([64, 1024, 1024, 10], random_state=0).fit(Xtr, ytr, epochs=10)
    train_s = time.perf_counter() - t0
    acc0, p0, f0 = net.accuracy(Xte, yte), net.n_params(), net.flops((1, 64))
    t_full = median_time(net, Xb)
    print(f"trained 64-1024-1024-10 MLP in {train_s:.1f} s: test accuracy {acc0:.4f}, "
          f"{p0} parameters, {f0} multiply-adds per image, "
          f"{t_full * 1e3:.2f} ms per batch of {Xb.shape[0]}")
    print()
    print("| rank | params | param ratio | FLOPs ratio | speed-up | acc (no FT) | acc (FT 2 ep) "
          "| loss after FT | goal |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    met = []
    for r in RANKS:
        small = net.factorized({2: r})
        acc_raw = small.accuracy(Xte, yte)
        small.fit(Xtr, ytr, epochs=2, lr=3e-4, random_state=1)
        acc_ft = small.accuracy(Xte, yte)
        p, f = small.n_params(), small.flops((1, 64))
        speed = t_full / median_time(small, Xb)
        loss = acc0 - acc_ft
        ok = p0 / p >= 2 and speed >= 1.5 and loss <= 0.01
        met.append(ok)
        print(f"| {r} | {p} | {p0 / p:.2f}x | {f0 / f:.2f}x | {speed:.2f}x | {acc_raw:.4f} "
              f"| {acc_ft:.4f} | {100 * loss:+.2f} pp | {'yes' if ok else 'no'} |")
    print()
    print(f"goal (>= 2x params, >= 1.5x speed, <= 1 pp loss) met at ranks: "
          f"{[r for r, ok in zip(RANKS, met, strict=True) if ok]}")


if __name__ == "__main__":
    main()
