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

With ``--minilm`` it runs the case study of chapter 11b instead and writes
``benchmarks/results/compress.json``: all-MiniLM-L6-v2 (NumPy forward pass) with its
dense layers replaced by two factors (``svdlab.nn.lowrank``), plain SVD against ASVD
and SVD-LLM's whitened SVD, calibrated on Brown-corpus sentences and evaluated on
sentences from other Brown documents (``--seeds`` random document splits, default 2). Goal (issue 15):
at 60 % of the factored layers' parameters, mean cosine >= 0.95 to the uncompressed
embeddings on held-out sentences with activation-aware SVD, and a measured speed-up of
the factored layers' forward pass.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/compress.py --minilm

With ``--calibration`` it measures what more calibration could buy at that budget and
writes ``benchmarks/results/compress_calibration.json``: the whitened truncation (all 36
matrices, 60 %, uniform ranks) calibrated on nested sets of 256, 1024 and 3000 sentences
from the same 250 documents, and the block-by-block factorization of
``lowrank.minilm_sequential_factors`` (both targets) on the 256; mean and 5th-percentile
cosine on the held-out sentences and on the first 128 calibration sentences.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/compress.py --calibration
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from svdlab.datasets import load_brown
from svdlab.nn import lowrank, make_mlp, minilm

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


# --- chapter 11b: all-MiniLM-L6-v2 ------------------------------------------------------

SUBSETS = {"all 36 matrices": tuple(minilm.MATRIX_KINDS),
           "attention (q, k, v, out)": ("query", "key", "value", "attn_out"),
           "feed-forward (in, out)": ("ffn_in", "ffn_out"),
           "query and key": ("query", "key")}
ALL = "all 36 matrices"
VARIANTS = ("plain", "asvd", "asvd+refit", "whitened")
N_CAL, N_EVAL, N_CAL_DOCS = 256, 128, 250
DAMPING = 1e-3


def eligible_sentences(brown, docs) -> list[str]:
    """The sentences of 8-25 words of the Brown documents ``docs``, in order."""
    return [s for d in docs for s in brown.texts[d].split("\n") if 8 <= len(s.split()) <= 25]


def brown_split(seed: int, brown=None):
    """Calibration and held-out sentences (8-25 words) from disjoint Brown documents."""
    brown = load_brown() if brown is None else brown
    rng = np.random.default_rng(seed)
    docs = rng.permutation(len(brown.texts))

    def pick(ids, n):
        pool = eligible_sentences(brown, ids)
        return [pool[i] for i in rng.choice(len(pool), n, replace=False)]

    return pick(docs[:N_CAL_DOCS], N_CAL), pick(docs[N_CAL_DOCS:], N_EVAL)


def retrieval(E0, E, k=5):
    """Top-1 agreement and top-k overlap of nearest neighbours among the sentences."""
    def nn(E):
        S = E @ E.T
        np.fill_diagonal(S, -np.inf)
        return np.argsort(-S, axis=1)[:, :k]
    a, b = nn(E0), nn(E)
    top1 = float(np.mean(a[:, 0] == b[:, 0]))
    overlap = float(np.mean([len(set(x) & set(y)) / k for x, y in zip(a, b, strict=True)]))
    return top1, overlap


def uniform_ranks(svds, names, ratio):
    return [max(1, int(ratio * np.prod(svds[p].shape) / sum(svds[p].shape))) for p in names]


def build(w, svds, names, ranks, stats=None, refit=False):
    layers = {}
    for p, r in zip(names, ranks, strict=True):
        f = svds[p].factor(int(r), bias=w[p + ".bias"])
        if refit:
            f = lowrank.refit_right(f, w[p + ".weight"].T, stats[p], damping=DAMPING)
        layers[p] = f
    return layers


def layer_times(layers, w, repeats, n_tokens=1024, seed=0):
    """Interleaved timings of the dense and the factored layers on one token batch."""
    rng = np.random.default_rng(seed)
    dense = {p: np.ascontiguousarray(w[p + ".weight"].T) for p in layers}
    xs = {p: rng.standard_normal((n_tokens, f.shape[0])).astype(np.float32)
          for p, f in layers.items()}
    td, tf = [], []
    for rep in range(repeats + 1):
        order = ("dense", "factored") if rep % 2 == 0 else ("factored", "dense")
        got = {}
        for kind in order:
            t0 = time.perf_counter()
            for p, f in layers.items():
                if kind == "dense":
                    xs[p] @ dense[p] + w[p + ".bias"]
                else:
                    f(xs[p])
            got[kind] = time.perf_counter() - t0
        if rep:                                    # the first round warms up
            td.append(got["dense"])
            tf.append(got["factored"])
    return np.array(td), np.array(tf)


def model_times(w, layers, sentences, repeats):
    base, small = minilm.MiniLM(w), lowrank.CompressedMiniLM(w, layers)
    td, tf = [], []
    for rep in range(repeats + 1):
        pair = (base, small) if rep % 2 == 0 else (small, base)
        got = []
        for m in pair:
            t0 = time.perf_counter()
            m.encode(sentences, batch_size=len(sentences))
            got.append(time.perf_counter() - t0)
        if rep:
            (td if pair[0] is base else tf).append(got[0])
            (tf if pair[0] is base else td).append(got[1])
    return np.array(td), np.array(tf)


def run_minilm(args) -> None:
    from svdlab import results

    t_start = time.perf_counter()
    w = minilm.load_weights()
    brown = load_brown()
    # speed and memory at 60 %, whitened factors of split 0, uniform ranks
    cal, held = brown_split(0, brown)
    stats = lowrank.minilm_calibration(cal[:64], w)      # the speed does not need more
    S = lowrank.minilm_layer_svds(w, "whitened", stats, damping=DAMPING)
    speed_rows = []
    for sub in ("all 36 matrices", "query and key", "feed-forward (in, out)"):
        names = [p for p in S if any(p.endswith(minilm.MATRIX_KINDS[k]) for k in SUBSETS[sub])]
        layers = build(w, S, names, uniform_ranks(S, names, 0.6))
        td, tf = layer_times(layers, w, args.repeats)
        ratio = td / tf
        mem_d = sum(w[p + ".weight"].nbytes for p in layers)
        mem_f = sum(f.A.nbytes + f.B.nbytes for f in layers.values())
        speed_rows.append([sub, "factored layers, 1024 tokens", float(np.median(td) * 1e3),
                           float(np.median(tf) * 1e3), float(np.median(ratio)),
                           float(np.min(ratio)), float(np.max(ratio)), mem_d / 2**20,
                           mem_f / 2**20])
        print(f"layers {sub}: dense {np.median(td) * 1e3:.2f} ms, factored "
              f"{np.median(tf) * 1e3:.2f} ms, speed-up median {np.median(ratio):.2f} "
              f"[{ratio.min():.2f}, {ratio.max():.2f}], memory {mem_d / 2**20:.2f} -> "
              f"{mem_f / 2**20:.2f} MiB", flush=True)
        if sub == "all 36 matrices":
            td, tf = model_times(w, layers, held[:32], 5)
            ratio = td / tf
            speed_rows.append([sub, "whole model, batch of 32 sentences",
                               float(np.median(td) * 1e3), float(np.median(tf) * 1e3),
                               float(np.median(ratio)), float(np.min(ratio)),
                               float(np.max(ratio)), mem_d / 2**20, mem_f / 2**20])
            print(f"model: dense {np.median(td) * 1e3:.1f} ms, compressed "
                  f"{np.median(tf) * 1e3:.1f} ms, speed-up {np.median(ratio):.2f} "
                  f"[{ratio.min():.2f}, {ratio.max():.2f}]", flush=True)
    rows = []
    partial = Path(tempfile.gettempdir()) / "svdlab-compress-minilm-rows.json"
    for seed in range(args.seeds):
        cal, held = brown_split(seed, brown)
        stats = lowrank.minilm_calibration(cal, w)
        held_stats = lowrank.minilm_calibration(held, w)
        E0 = minilm.MiniLM(w).encode(held)
        svds = {m: lowrank.minilm_layer_svds(w, m, stats, damping=DAMPING)
                for m in lowrank.METHODS}
        configs = [(ALL, v, 0.6, "uniform") for v in VARIANTS]
        configs += [(ALL, v, r, "uniform") for r in (0.4, 0.8)
                    for v in ("plain", "asvd", "whitened")]
        configs += [(ALL, "whitened", r, "global") for r in (0.4, 0.6, 0.8)]
        configs += [(sub, v, 0.6, "uniform") for sub in list(SUBSETS)[1:3]
                    for v in ("plain", "whitened")]
        configs += [("query and key", v, r, "uniform") for r in (0.4, 0.6)
                    for v in ("plain", "whitened")]
        for sub, variant, ratio, alloc in configs:
            method = variant.split("+")[0]
            S = svds[method]
            names = [p for p in S if any(p.endswith(minilm.MATRIX_KINDS[k])
                                         for k in SUBSETS[sub])]
            if alloc == "uniform":
                ranks = uniform_ranks(S, names, ratio)
            else:
                ranks = lowrank.allocate_ranks([S[p].s for p in names],
                                               [S[p].shape for p in names], ratio)
            layers = build(w, S, names, ranks, stats, refit=variant.endswith("refit"))
            n_f = sum(f.A.size + f.B.size for f in layers.values())
            n_d = sum(f.shape[0] * f.shape[1] for f in layers.values())
            E = lowrank.CompressedMiniLM(w, layers).encode(held)
            cos = np.sum(E * E0, axis=1)
            top1, top5 = retrieval(E0, E)
            out_err = np.mean([lowrank.output_error(f, w[p + ".weight"].T, held_stats[p])
                               for p, f in layers.items()])
            rows.append([seed, sub, variant, alloc, ratio, n_f / n_d, float(cos.mean()),
                         float(np.percentile(cos, 5)), top1, top5, float(out_err)])
            partial.write_text(json.dumps(rows))          # keep what is done if stopped
            print(f"seed {seed} | {sub} | {variant} | {alloc} | {ratio} | params {n_f / n_d:.3f}"
                  f" | cos {cos.mean():.4f} (p5 {np.percentile(cos, 5):.4f}) | top1 {top1:.3f}"
                  f" | top5 {top5:.3f} | held-out layer error {out_err:.3f}", flush=True)
    at60 = [r for r in rows if r[4] == 0.6 and r[3] == "uniform" and r[2] == "whitened"]
    goal_rows = []
    for sub in SUBSETS:
        c = [r[6] for r in at60 if r[1] == sub]
        sp = [r[4] for r in speed_rows if r[0] == sub and r[1].startswith("factored")]
        goal_rows.append([sub, float(np.min(c)), float(np.mean(c)),
                          sp[0] if sp else None, bool(np.min(c) >= 0.95 and
                                                      (not sp or sp[0] > 1))])
    for g in goal_rows:
        print(f"goal at 60 %, {g[0]}: worst-split mean cosine {g[1]:.4f}, speed-up {g[3]} "
              f"-> {'met' if g[4] else 'NOT met'}")
    tables = [
        results.Table("quality", "Held-out quality of MiniLM with dense layers factored, per "
                      "document split (seed): parameter ratio of the factored layers, mean "
                      "and 5th-percentile cosine to the uncompressed embeddings, top-1 "
                      "nearest-neighbour agreement and top-5 overlap among the held-out "
                      "sentences, mean relative output error of the factored layers on "
                      "held-out inputs.",
                      ["seed", "layers", "method", "allocation", "budget", "param ratio",
                       "mean cosine", "p5 cosine", "top-1 agreement", "top-5 overlap",
                       "layer output error"], rows),
        results.Table("speed", "Forward time (ms, median of interleaved repeats, one thread) "
                      "of the dense layers against their whitened factors at a 60 % budget, "
                      "speed-up median / min / max over repeats, weight memory in MiB "
                      "(float32).",
                      ["layers", "what is timed", "dense (ms)", "factored (ms)", "speed-up",
                       "speed-up min", "speed-up max", "dense MiB", "factored MiB"],
                      speed_rows),
        results.Table("goal", "Goal at 60 % of the factored layers' parameters (whitened "
                      "SVD, uniform ranks): worst and average over splits of the mean "
                      "cosine, the factored layers' speed-up, met (cosine >= 0.95 on every "
                      "split and speed-up > 1).",
                      ["layers", "worst mean cosine", "average mean cosine", "speed-up",
                       "goal met"], goal_rows),
    ]
    notes = (f"{N_CAL} calibration sentences from {N_CAL_DOCS} random Brown documents, "
             f"{N_EVAL} held-out sentences (8-25 words) from the other documents, per split; "
             f"damping {DAMPING} of the mean Gram diagonal; ASVD alpha 0.5 (its paper's "
             "value); uniform ranks floor(ratio m n / (m + n)); global = greedy allocation by "
             "relative whitened error per weight. Measured under heavy load on a shared "
             f"2-core machine (total {time.perf_counter() - t_start:.0f} s); only ratios "
             "within the run are meaningful.")
    path = results.write("compress", "Compressing all-MiniLM-L6-v2 by plain, ASVD and "
                         "whitened (SVD-LLM) truncated SVD", tables,
                         command="python benchmarks/compress.py --minilm", threads=1,
                         notes=notes)
    print(f"wrote {path}")


CAL_SIZES = (256, 1024, 3000)


def calibration_sets(seed, brown):
    """Nested calibration sets of ``CAL_SIZES`` sentences and the split's held-out sentences.

    The first ``N_CAL`` are those of :func:`brown_split`; the rest are drawn from the other
    eligible sentences of the same ``N_CAL_DOCS`` documents.
    """
    cal, held = brown_split(seed, brown)
    docs = np.random.default_rng(seed).permutation(len(brown.texts))
    chosen = set(cal)
    pool = [t for t in eligible_sentences(brown, docs[:N_CAL_DOCS]) if t not in chosen]
    extra = [pool[i] for i in np.random.default_rng([seed, 1]).permutation(len(pool))]
    return [cal + extra[:n - len(cal)] for n in CAL_SIZES], held


def run_calibration(args) -> None:
    from svdlab import results

    t_start = time.perf_counter()
    w = minilm.load_weights()
    brown = load_brown()
    rows = []
    for seed in range(args.seeds):
        sets, held = calibration_sets(seed, brown)
        E0, C0 = minilm.MiniLM(w).encode(held), minilm.MiniLM(w).encode(sets[0][:128])

        def score(layers, method, cal, ntok, seed=seed, held=held, E0=E0, C0=C0):
            e = np.sum(lowrank.CompressedMiniLM(w, layers).encode(held) * E0, axis=1)
            c = np.sum(lowrank.CompressedMiniLM(w, layers).encode(cal[:128]) * C0, axis=1)
            rows.append([seed, len(cal), ntok, method, float(e.mean()),
                         float(np.percentile(e, 5)), float(c.mean())])
            print(f"seed {seed} | {len(cal)} sentences ({ntok} tokens) | {method} | held-out "
                  f"cos {e.mean():.4f} (p5 {np.percentile(e, 5):.4f}) | calibration cos "
                  f"{c.mean():.4f}", flush=True)

        for cal in sets:
            ntok = int(sum(minilm.MiniLM(w).tokenize([t])[1].sum() for t in cal))  # real tokens
            S = lowrank.minilm_layer_svds(w, "whitened", lowrank.minilm_calibration(cal, w),
                                          damping=DAMPING)
            names = list(S)
            ranks = uniform_ranks(S, names, 0.6)
            score(build(w, S, names, ranks), "whitened", cal, ntok)
            if len(cal) == CAL_SIZES[0]:
                for target in ("original", "compressed"):
                    layers = lowrank.minilm_sequential_factors(
                        w, cal, dict(zip(names, ranks, strict=True)), target=target,
                        damping=DAMPING)
                    score(layers, f"sequential, target {target}", cal, ntok)
    table = results.Table(
        "calibration", "All 36 matrices of MiniLM at 60 % of their parameters (uniform ranks): "
        "held-out mean and 5th-percentile cosine to the uncompressed embeddings, and the mean "
        "cosine on the first 128 calibration sentences, against the calibration set (nested "
        "sets from the same documents) and the factorization: one-shot whitened, or block by "
        "block on the inputs the factored blocks produce, fitted to the original outputs "
        "('original') or to the layer's own outputs on its new inputs ('compressed').",
        ["seed", "calibration sentences", "calibration tokens", "method", "held-out mean cosine",
         "held-out p5 cosine", "calibration mean cosine"], rows)
    path = results.write(
        "compress_calibration", "MiniLM at 60 %: more calibration data and block-by-block "
        "factorization", [table], command="python benchmarks/compress.py --calibration",
        threads=1, notes=(f"Damping {DAMPING}; held-out sentences as in compress.json (128 "
                          f"per split); total {time.perf_counter() - t_start:.0f} s."))
    print(f"wrote {path}")


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _parser.add_argument("--minilm", action="store_true",
                         help="run the MiniLM case study (chapter 11b) and write compress.json")
    _parser.add_argument("--seeds", type=int, default=2, help="document splits (MiniLM)")
    _parser.add_argument("--repeats", type=int, default=21, help="timing repeats (MiniLM)")
    _parser.add_argument("--calibration", action="store_true",
                         help="calibration size and block-by-block factorization at 60 %% "
                              "(writes compress_calibration.json)")
    _args = _parser.parse_args()
    if _args.calibration:
        run_calibration(_args)
    elif _args.minilm:
        run_minilm(_args)
    else:
        main()
