"""svdlab.nn.lowrank: factored layers, plain / ASVD / whitened SVD, refit, rank allocation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg as sla

from svdlab.nn import lowrank as lr
from svdlab.nn import minilm

EPS = np.finfo(np.float64).eps


def _data(seed=0, n=400, m=12, k=9):
    """Inputs with very unequal channel scales (as in a transformer) and a weight."""
    rng = np.random.default_rng(seed)
    scales = np.geomspace(10.0, 0.05, m)
    X = (rng.standard_normal((n, m)) @ rng.standard_normal((m, m)) / np.sqrt(m)) * scales
    W = rng.standard_normal((m, k))
    return X, W, lr.InputStats.from_inputs(X)


def test_factored_linear_applies_two_products():
    rng = np.random.default_rng(0)
    A, B, b = rng.standard_normal((7, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    f = lr.FactoredLinear(A, B, b)
    x = rng.standard_normal((2, 4, 7))      # leading batch axes are kept
    # two products in a different association order: rounding of a few eps * |x||A||B|
    np.testing.assert_allclose(f(x), np.einsum("bti,ij->btj", x, A @ B) + b,
                               rtol=0, atol=50 * EPS * np.abs(x).max()
                               * np.abs(A).sum() * np.abs(B).max())
    assert f.n_params == 7 * 3 + 3 * 5 + 5 and f.n_params_dense == 35 + 5
    assert f.nbytes == A.nbytes + B.nbytes + b.nbytes
    assert "rank=3" in repr(f)


def test_factored_linear_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="rank"):
        lr.FactoredLinear(rng.standard_normal((4, 2)), rng.standard_normal((3, 5)))
    with pytest.raises(ValueError, match="bias"):
        lr.FactoredLinear(rng.standard_normal((4, 2)), rng.standard_normal((2, 5)), np.ones(4))
    f = lr.FactoredLinear(rng.standard_normal((4, 2)), rng.standard_normal((2, 5)))
    with pytest.raises(ValueError, match="x must have 4"):
        f(np.ones((3, 5)))
    with pytest.raises(TypeError, match="A"):
        lr.FactoredLinear("abc", np.ones((2, 2)))


def test_plain_svd_is_eckart_young_and_matches_scipy():
    _, W, _ = _data()
    svd = lr.layer_svd(W)
    s = sla.svdvals(W)
    # singular values agree with SciPy to backward-stable accuracy: eps * ||W||_2 * n
    np.testing.assert_allclose(svd.s, s, rtol=0, atol=10 * EPS * s[0] * max(W.shape))
    for r in (1, 4, 8):
        f = svd.factor(r, dtype=np.float64)
        err = np.linalg.norm(W - f.A @ f.B)
        assert err == pytest.approx(np.sqrt(np.sum(s[r:] ** 2)), rel=1e-10)
        assert svd.error(r) == pytest.approx(err, rel=1e-10)


def test_whitened_error_equals_discarded_singular_values():
    X, W, st = _data()
    svd = lr.layer_svd(W, "whitened", st, damping=0.0)
    for r in (2, 5, 8):
        f = svd.factor(r, dtype=np.float64)
        err = np.linalg.norm(X @ W - X @ f.A @ f.B)
        # the theorem of SVD-LLM: the output error is the tail of the whitened spectrum;
        # both sides carry kappa(L) * eps relative rounding (kappa(L) <= ~1e3 here)
        assert err == pytest.approx(svd.error(r), rel=1e-8)


def test_whitened_is_optimal_among_rank_r_on_the_calibration_outputs():
    X, W, st = _data(seed=3)
    r = 4
    errs = {m: lr.output_error(lr.layer_svd(W, m, st, damping=0.0).factor(r, dtype=np.float64),
                               W, st) for m in lr.METHODS}
    # the optimum of min ||X(W - M)|| over rank r via the SVD of X W projected (a peer
    # computation: the best rank-r approximation of X W lies in range(X))
    U, s, Vt = np.linalg.svd(X @ W, full_matrices=False)
    best = np.sqrt(np.sum(s[r:] ** 2)) / np.linalg.norm(X @ W)
    assert errs["whitened"] == pytest.approx(best, rel=1e-8)
    assert errs["whitened"] < errs["asvd"] < errs["plain"]


def test_asvd_scaling_matches_definition():
    X, W, st = _data(seed=1)
    svd = lr.layer_svd(W, "asvd", st, alpha=0.5)
    S = np.mean(np.abs(X), axis=0) ** 0.5
    np.testing.assert_allclose(svd.s, sla.svdvals(S[:, None] * W), rtol=1e-12)
    f = svd.factor(W.shape[1], dtype=np.float64)        # full rank undoes the scaling
    np.testing.assert_allclose(f.A @ f.B, W, rtol=0, atol=1e3 * EPS * np.abs(W).max())


def test_refit_improves_plain_and_leaves_whitened_unchanged():
    X, W, st = _data(seed=2)
    r = 3
    plain = lr.layer_svd(W).factor(r, dtype=np.float64)
    fixed = lr.refit_right(plain, W, st, damping=0.0)
    np.testing.assert_array_equal(fixed.A, plain.A)
    e0, e1 = lr.output_error(plain, W, st), lr.output_error(fixed, W, st)
    assert e1 < e0
    # the refit is the least-squares solution: compare with NumPy's lstsq on X itself
    B = np.linalg.lstsq(X @ plain.A, X @ W, rcond=None)[0]
    np.testing.assert_allclose(fixed.B, B, rtol=1e-8, atol=1e-10)
    wh = lr.layer_svd(W, "whitened", st, damping=0.0).factor(r, dtype=np.float64)
    again = lr.refit_right(wh, W, st, damping=0.0)
    np.testing.assert_allclose(again.B, wh.B, rtol=1e-7, atol=1e-9 * np.abs(wh.B).max())


def test_whitening_factor_and_damping():
    X, _, st = _data()
    L = lr.whitening_factor(st.gram, damping=0.0)
    np.testing.assert_allclose(L @ L.T, X.T @ X, rtol=1e-12, atol=1e-12 * st.gram.max())
    assert np.allclose(L, np.tril(L))
    low = np.ones((3, 3))                       # rank 1: not positive definite
    with pytest.raises(ValueError, match="positive definite"):
        lr.whitening_factor(low, damping=0.0)
    L = lr.whitening_factor(low, damping=1e-3)
    np.testing.assert_allclose(L @ L.T, low + 1e-3 * np.eye(3), rtol=1e-12)
    with pytest.raises(ValueError, match="square"):
        lr.whitening_factor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="damping"):
        lr.whitening_factor(low, damping=-1.0)


def test_input_stats_pool_and_errors():
    X, _, st = _data()
    pooled = lr.InputStats.from_inputs(X[:100]) + lr.InputStats.from_inputs(X[100:])
    np.testing.assert_allclose(pooled.gram, st.gram, rtol=1e-12)
    np.testing.assert_allclose(pooled.abs_mean, np.abs(X).mean(axis=0), rtol=1e-12)
    with pytest.raises(ValueError, match="input channels"):
        st + lr.InputStats.from_inputs(np.ones((3, 2)))


def test_layer_svd_bad_input():
    _, W, st = _data()
    with pytest.raises(ValueError, match="method"):
        lr.layer_svd(W, "qr")
    with pytest.raises(ValueError, match="needs stats"):
        lr.layer_svd(W, "whitened")
    with pytest.raises(ValueError, match="input channels"):
        lr.layer_svd(W.T, "asvd", st)
    with pytest.raises(ValueError, match="rank"):
        lr.layer_svd(W).factor(0)
    with pytest.raises(TypeError, match="FactoredLinear"):
        lr.refit_right(W, W, st)


def test_break_even_rank():
    for m, n in [(384, 384), (384, 1536), (5, 7), (1, 1), (100, 3)]:
        r = lr.break_even_rank((m, n))
        assert r * (m + n) < m * n or r == 1
        assert (r + 1) * (m + n) >= m * n


def test_allocate_ranks_spends_the_budget_greedily():
    rng = np.random.default_rng(0)
    shapes = [(40, 40), (40, 80), (60, 30)]
    spectra = [np.sort(rng.gamma(1.0, size=min(sh)))[::-1] * rng.uniform(0.5, 5)
               for sh in shapes]
    ratio = 0.5
    ranks = lr.allocate_ranks(spectra, shapes, ratio)
    cost = sum(r * (m + n) for r, (m, n) in zip(ranks, shapes, strict=True))
    budget = ratio * sum(m * n for m, n in shapes)
    assert cost <= budget
    # the greedy stops at the first unit that does not fit: less than one unit is left
    caps = [lr.break_even_rank(sh) for sh in shapes]
    assert budget - cost < max(m + n for m, n in shapes)
    # greedy by error removed per weight: every unit taken removes at least as much
    # normalized error per weight as any unit left out
    gain = [(s**2 / np.sum(s**2)) / (m + n) for s, (m, n) in zip(spectra, shapes, strict=True)]
    last_taken = min(g[r - 1] for g, r in zip(gain, ranks, strict=True) if r > 1)
    first_left = max(g[r] for g, r, c in zip(gain, ranks, caps, strict=True) if r < c)
    assert last_taken >= first_left


def test_allocate_ranks_bad_input():
    with pytest.raises(ValueError, match="same length"):
        lr.allocate_ranks([np.ones(3)], [(3, 3), (3, 3)], 0.5)
    with pytest.raises(ValueError, match="rank 1"):
        lr.allocate_ranks([np.ones(3)], [(3, 3)], 0.1)
    with pytest.raises(ValueError, match="ratio"):
        lr.allocate_ranks([np.ones(3)], [(3, 3)], 1.5)


needs_minilm = pytest.mark.skipif(not minilm.available(), reason="MiniLM weights not installed")


@needs_minilm
def test_minilm_calibration_and_compressed_model():
    w = minilm.load_weights()
    sents = ["The quick brown fox jumps over the lazy dog.", "Prices rose in March.",
             "She read the letter twice before answering it."]
    st = lr.minilm_calibration(sents, w, batch_size=2)
    assert len(st) == 36
    q, k = minilm.matrix_names(0, "query"), minilm.matrix_names(0, "key")
    assert st[q] is st[k]
    ids, mask, _ = minilm.MiniLM(w).tokenize(sents)
    assert st[q].n_samples == int(mask.sum())          # padding is left out
    # the first layer's query input is the embedding layer's output: check one Gram entry
    p = minilm.matrix_names(0, "ffn_out")
    assert st[p].gram.shape == (1536, 1536)
    # full-rank factors reproduce the model (float32 forward pass: cosines 1 to ~1e-5)
    svds = lr.minilm_layer_svds(w, "whitened", st, kinds=["ffn_in"], layers=[0, 5],
                                damping=1e-3)
    full = {p: s.factor(384, bias=w[p + ".bias"]) for p, s in svds.items()}
    e0 = minilm.MiniLM(w).encode(sents)
    e1 = lr.CompressedMiniLM(w, full).encode(sents)
    np.testing.assert_allclose(np.sum(e0 * e1, axis=1), 1.0, rtol=0, atol=1e-4)
    with pytest.raises(TypeError, match="FactoredLinear"):
        lr.CompressedMiniLM(w, {p: (1, 2)})
    with pytest.raises(ValueError, match="stats has no entry"):
        lr.minilm_layer_svds(w, "asvd", {}, kinds=["query"], layers=[0])
    with pytest.raises(TypeError, match="list of strings"):
        lr.minilm_calibration("one sentence", w)


def _block_inputs(w, sents, prefix, layers):
    """Inputs of layer ``prefix`` in the original model and in one with ``layers`` factored."""
    out = []
    for model_layers in ({}, layers):
        tap = lr._InputTap(w, model_layers, [prefix], prefix)
        ids, mask, types = tap.tokenize(sents)
        with pytest.raises(lr._Stop):
            tap.token_states(ids, mask, types)
        out.append(tap.seen[prefix])
    return out


@needs_minilm
def test_sequential_factors_block_0_is_the_whitened_truncation():
    w = minilm.load_weights()
    sents = ["The quick brown fox jumps over the lazy dog.", "Prices rose in March.",
             "She read the letter twice before answering it.", "Rain is expected tonight."]
    p = minilm.matrix_names(0, "ffn_in")
    st = lr.minilm_calibration(sents, w)
    wh = lr.layer_svd(w[p + ".weight"].T, "whitened", st[p], damping=1e-3)
    W = w[p + ".weight"].T.astype(np.float64)
    L = lr.whitening_factor(st[p].gram, 1e-3)
    for r in (16, 384):
        seq = lr.minilm_sequential_factors(w, sents, {p: r}, damping=1e-3, batch_size=3)[p]
        ref = wh.factor(r)
        # the same objective value ||L^T (W - A B)|| (float32 factors: ~1e-6 relative)
        e_seq = np.linalg.norm(L.T @ (W - seq.A.astype(np.float64) @ seq.B))
        e_ref = np.linalg.norm(L.T @ (W - ref.A.astype(np.float64) @ ref.B))
        assert abs(e_seq - e_ref) <= 1e-4 * np.linalg.norm(L.T @ W), (r, e_seq, e_ref)
        assert seq.rank == r and seq.shape == (384, 1536)
        np.testing.assert_array_equal(seq.bias, w[p + ".bias"])


@needs_minilm
def test_sequential_factors_minimize_the_error_against_the_original_outputs():
    w = minilm.load_weights()
    sents = ["The quick brown fox jumps over the lazy dog.", "Prices rose in March.",
             "She read the letter twice before answering it.", "Rain is expected tonight."]
    p0, p1 = minilm.matrix_names(0, "ffn_out"), minilm.matrix_names(1, "query")
    damping = 1e-3
    seq = lr.minilm_sequential_factors(w, sents, {p0: 24, p1: 16}, damping=damping)
    # block 1's layer sees what the factored block 0 produces
    X, Xc = _block_inputs(w, sents, p1, {p0: seq[p0]})
    assert np.abs(X - Xc).max() > 1e-3           # block 0's factors do change the input
    W = w[p1 + ".weight"].T.astype(np.float64)
    delta = damping * np.mean(np.diag(Xc.T @ Xc))

    def objective(f):
        M = f.A.astype(np.float64) @ f.B
        return np.linalg.norm(X @ W - Xc @ M) ** 2 + delta * np.linalg.norm(W - M) ** 2

    # the whitened truncation on the original inputs, the same rank: never better
    st = lr.minilm_calibration(sents, w)
    wh = lr.layer_svd(w[p1 + ".weight"].T, "whitened", st[p1], damping=damping).factor(16)
    assert objective(seq[p1]) <= objective(wh) * (1 + 1e-5)
    # nor is any other rank-16 matrix: a random perturbation of the optimum
    rng = np.random.default_rng(0)
    bumped = lr.FactoredLinear(seq[p1].A, seq[p1].B + 1e-3 * rng.standard_normal((16, 384)))
    assert objective(seq[p1]) <= objective(bumped)
    # target="compressed": the layer's own outputs on its new inputs are the target
    own = lr.minilm_sequential_factors(w, sents, {p0: 24, p1: 16}, target="compressed",
                                       damping=damping)
    np.testing.assert_allclose(own[p0].A @ own[p0].B, seq[p0].A @ seq[p0].B, rtol=0,
                               atol=1e-5 * np.abs(seq[p0].A @ seq[p0].B).max())   # block 0

    def own_objective(f):
        M = f.A.astype(np.float64) @ f.B
        return np.linalg.norm(Xc @ (W - M)) ** 2 + delta * np.linalg.norm(W - M) ** 2

    assert own_objective(own[p1]) <= own_objective(seq[p1]) * (1 + 1e-5)
    assert own_objective(own[p1]) <= own_objective(wh) * (1 + 1e-5)


@needs_minilm
def test_sequential_factors_bad_input():
    w = minilm.load_weights()
    p = minilm.matrix_names(0, "query")
    with pytest.raises(TypeError, match="sentences"):
        lr.minilm_sequential_factors(w, "one sentence", {p: 4})
    with pytest.raises(ValueError, match="sentences"):
        lr.minilm_sequential_factors(w, [], {p: 4})
    with pytest.raises(TypeError, match="ranks"):
        lr.minilm_sequential_factors(w, ["a b"], [(p, 4)])
    with pytest.raises(ValueError, match="not a MiniLM matrix"):
        lr.minilm_sequential_factors(w, ["a b"], {"encoder.layer.9.x": 4})
    with pytest.raises(ValueError, match="ranks"):
        lr.minilm_sequential_factors(w, ["a b"], {p: 0})
    with pytest.raises(ValueError, match="ranks"):
        lr.minilm_sequential_factors(w, ["a b"], {p: 385})
    with pytest.raises(ValueError, match="target"):
        lr.minilm_sequential_factors(w, ["a b"], {p: 4}, target="both")
