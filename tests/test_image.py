"""Tests for svdlab.image (chapter 5)."""

import math

import numpy as np
import pytest
from skimage import metrics

from svdlab import image as im
from svdlab.linalg import low_rank_approx

RNG = np.random.default_rng(5)
IMG = RNG.random((24, 20))
RGB = RNG.random((24, 20, 3))


def test_compress_matches_eckart_young_and_storage():
    k = 5
    np.testing.assert_allclose(im.compress(IMG, k, clip=False), low_rank_approx(IMG, k))
    assert im.compress(RGB, k).shape == RGB.shape
    assert im.storage_count(IMG.shape, k) == k * (24 + 20 + 1)
    assert im.storage_count(RGB.shape, k, mode="stacked") == k * (24 + 60 + 1)
    assert im.compression_ratio(IMG.shape, k) == pytest.approx(480 / 225)
    stacked = im.compress(RGB, 24, mode="stacked", clip=False)
    np.testing.assert_allclose(stacked, RGB, atol=1e-10)


def test_metrics_match_skimage():
    noisy = np.clip(IMG + 0.05 * RNG.standard_normal(IMG.shape), 0, 1)
    assert im.mse(IMG, noisy) == pytest.approx(metrics.mean_squared_error(IMG, noisy))
    assert im.psnr(IMG, noisy) == pytest.approx(
        metrics.peak_signal_noise_ratio(IMG, noisy, data_range=1.0))
    assert im.ssim(IMG, noisy) == pytest.approx(
        metrics.structural_similarity(IMG, noisy, data_range=1.0))


def test_curve_energy_and_ranks():
    ks = [8, 1, 3]
    c = im.compression_curve(IMG, ks)
    for i, k in enumerate(ks):
        assert c.mse[i] == pytest.approx(im.mse(IMG, im.compress(IMG, k)))
        assert c.energy[i] == pytest.approx(im.energy_retained(IMG, k))
    k = im.rank_for_energy(IMG, 0.95)
    assert im.energy_retained(IMG, k) >= 0.95 > im.energy_retained(IMG, k - 1)
    k = im.rank_for_psnr(IMG, 25.0)
    assert im.psnr(IMG, im.compress(IMG, k, clip=False)) >= 25.0
    assert im.psnr(IMG, im.compress(IMG, k - 1, clip=False)) < 25.0


def test_codecs_respect_budget():
    img = RNG.random((64, 64))
    j = im.jpeg_at_bytes(img, 3000)
    assert j.n_bytes <= 3000
    for dt in ("float16", "uint8"):
        s = im.svd_at_bytes(img, 3000, dtype=dt)
        assert s.n_bytes <= 3000 and s.param >= 1
    with pytest.raises(ValueError, match="n_bytes"):
        im.svd_at_bytes(img, 10)


def test_gavish_donoho_table_values():
    # Gavish & Donoho (2014): lambda*(1) = 4/sqrt(3); omega(1) = 2.858 (their table / text);
    # the cubic approximation 0.56b^3 - 0.95b^2 + 1.82b + 1.43 is within 0.01 of omega.
    assert im.optimal_hard_threshold_coef(1.0) == pytest.approx(4 / np.sqrt(3))
    assert im.optimal_hard_threshold_coef(1.0, sigma_known=False) == pytest.approx(2.858, abs=1e-3)
    for b in np.linspace(0.05, 1.0, 20):
        cubic = 0.56 * b**3 - 0.95 * b**2 + 1.82 * b + 1.43
        assert im.optimal_hard_threshold_coef(b, sigma_known=False) == pytest.approx(cubic, abs=0.01)
    # the MP median: half the eigenvalues of a large white Wishart matrix lie below it
    Z = np.random.default_rng(0).standard_normal((2000, 1000))
    ev = np.linalg.eigvalsh(Z.T @ Z / 2000)
    assert np.median(ev) == pytest.approx(im.mp_median(0.5), rel=5e-3)


def test_optimal_threshold_and_noise_estimate_on_low_rank():
    rng = np.random.default_rng(1)
    X = 3 * rng.standard_normal((300, 4)) @ rng.standard_normal((4, 200))
    Y = X + rng.standard_normal(X.shape)
    assert im.estimate_noise(Y) == pytest.approx(1.0, rel=0.05)
    tau = im.optimal_hard_threshold(Y.shape, sigma=1.0)
    assert np.linalg.matrix_rank(im.hard_threshold(Y, tau)) == 4
    tau_u = im.optimal_hard_threshold(Y.shape, s=np.linalg.svd(Y, compute_uv=False))
    assert tau_u == pytest.approx(tau, rel=0.05)
    err_shr = np.linalg.norm(im.optimal_shrinkage(Y, 1.0) - X)
    err_hard = np.linalg.norm(im.hard_threshold(Y, tau) - X)
    assert err_shr <= err_hard


def test_sure_matches_monte_carlo_risk():
    rng = np.random.default_rng(2)
    m, n, sigma = 30, 20, 1.0
    X = 2 * rng.standard_normal((m, 3)) @ rng.standard_normal((3, n))
    taus = np.array([2.0, 5.0, 8.0])
    sure, true = [], []
    for _ in range(300):
        Y = X + sigma * rng.standard_normal((m, n))
        sure.append(im.sure_svt(Y, sigma, taus).risk)
        true.append([np.sum((im.soft_threshold(Y, t) - X) ** 2) for t in taus])
    sure, true = np.mean(sure, axis=0), np.mean(true, axis=0)
    np.testing.assert_allclose(sure, true, rtol=0.05)


def test_seed_rules_and_thresholds():
    s = np.array([4.0, 2.0, 1.0, 0.5])
    assert im.universal_threshold(s) == pytest.approx(1.5 / 0.6745 * np.sqrt(2 * np.log(4)))
    assert im.visushrink_threshold(s) == pytest.approx(np.std(s) * np.sqrt(2 * np.log(4)))
    A = np.diag([3.0, 1.0])
    np.testing.assert_allclose(im.soft_threshold(A, 0.5), np.diag([2.5, 0.5]))
    np.testing.assert_allclose(im.hard_threshold(A, 2.0), np.diag([3.0, 0.0]))


def test_noise_mad_on_image():
    from svdlab.datasets import load_image

    x = load_image("camera", as_gray=True)
    y = x + 0.05 * np.random.default_rng(3).standard_normal(x.shape)
    assert im.estimate_noise(y, method="mad") == pytest.approx(0.05, rel=0.1)


def test_denoise_patches_beats_global_truncation():
    from svdlab.datasets import load_image

    x = load_image("camera", as_gray=True)[128:256, 128:256]
    y = x + 0.1 * np.random.default_rng(4).standard_normal(x.shape)
    d = im.denoise_patches(y, 0.1)
    best_global = max(im.psnr(x, low_rank_approx(y, k)) for k in range(1, 40))
    assert im.psnr(x, d) > best_global + 1.0
    assert im.psnr(x, im.denoise_patches(y)) > im.psnr(x, y) + 5  # sigma estimated


def test_svt_recovers_low_rank():
    rng = np.random.default_rng(6)
    n, r = 150, 3
    A = rng.standard_normal((n, r)) @ rng.standard_normal((r, n))
    mask = rng.random(A.shape) < 0.5
    res = im.svt_complete(A, mask)
    assert res.converged and res.rank == r
    assert np.linalg.norm(res.X - A) / np.linalg.norm(A) < 1e-3
    assert res.history[-1] <= 1e-4
    s = im.soft_impute(A, mask, lam=1.0)
    assert np.linalg.norm(s.X - A) / np.linalg.norm(A) < 0.1


@pytest.mark.parametrize("bad, exc", [
    (np.array([[np.nan, 1.0], [0.0, 1.0]]), ValueError),
    (np.zeros((0, 3)), ValueError),
    (np.zeros(5), ValueError),
    (np.array([["a", "b"], ["c", "d"]]), TypeError),
])
def test_bad_images(bad, exc):
    with pytest.raises(exc):
        im.compress(bad, 1)
    with pytest.raises(exc):
        im.optimal_shrinkage(bad, 1.0)


def test_bad_arguments():
    with pytest.raises(ValueError):
        im.compress(IMG, 0)
    with pytest.raises(TypeError):
        im.compress(IMG, 2.5)
    with pytest.raises(ValueError, match="mode"):
        im.compress(RGB, 2, mode="bogus")
    with pytest.raises(ValueError):
        im.mse(IMG, IMG[:5])
    with pytest.raises(ValueError, match="sigma"):
        im.sure_svt(IMG, -1.0)
    with pytest.raises(ValueError):
        im.optimal_hard_threshold((10, 10))
    with pytest.raises(ValueError, match="beta"):
        im.mp_median(1.5)
    with pytest.raises(TypeError, match="mask"):
        im.svt_complete(IMG, np.ones(IMG.shape))
    with pytest.raises(ValueError, match="mask"):
        im.soft_impute(IMG, np.zeros(IMG.shape, bool), 1.0)
    with pytest.raises(ValueError):
        im.denoise_patches(IMG, 0.1, n_similar=1000, window=2)
    with pytest.raises(ValueError, match="ks"):
        im.compression_curve(IMG, [0, 3])


@pytest.mark.parametrize("size,p,step", [(37, 5, 3), (64, 8, 4), (50, 7, 7), (20, 4, 2), (9, 9, 1)])
def test_window_sums_match_direct_sums(size, p, step):
    """The block-matching window sums equal plain sums, on and off the regular lattice."""
    from svdlab.image import _grid, _window_sums

    a = np.random.default_rng(size).random((size, 6))
    starts = _grid(size, p, step)
    expected = np.array([a[r: r + p].sum(axis=0) for r in starts])
    np.testing.assert_allclose(_window_sums(a, p, starts, math.gcd(step, p)), expected)


def test_group_svd_matches_batched_svd():
    from svdlab.image import _group_svd

    rng = np.random.default_rng(0)
    for shape in [(5, 8, 16), (5, 16, 8)]:
        X = rng.standard_normal(shape)
        s, V = _group_svd(X)
        s_ref = np.linalg.svd(X, compute_uv=False)
        np.testing.assert_allclose(s, s_ref, rtol=1e-10)
        # the projector onto the row space is basis-independent
        _, _, Vt = np.linalg.svd(X, full_matrices=False)
        np.testing.assert_allclose(V @ np.swapaxes(V, 1, 2),
                                   np.swapaxes(Vt, 1, 2) @ Vt, atol=1e-10)


def test_psnr_infers_data_range_from_dtype_like_skimage():
    # uint8 images once gave -27.5 dB: data_range defaulted to 1 whatever the dtype
    rng = np.random.default_rng(8)
    ref = rng.integers(0, 256, (16, 16), dtype=np.uint8)
    est = np.clip(ref.astype(int) + rng.integers(-5, 6, ref.shape), 0, 255).astype(np.uint8)
    expected = metrics.peak_signal_noise_ratio(ref, est)
    assert im.psnr(ref, est) == pytest.approx(expected, rel=1e-12)
    assert im.psnr(ref, est) > 30
    r16 = ref.astype(np.uint16) * 257
    assert im.psnr(r16, est.astype(np.uint16) * 257) == pytest.approx(
        metrics.peak_signal_noise_ratio(r16, est.astype(np.uint16) * 257), rel=1e-12)
    assert im.ssim(ref, est) == pytest.approx(metrics.structural_similarity(ref, est), rel=1e-12)
    # floats in [0, 1] keep range 1; floats outside it and signed integers must name the range
    assert im.psnr(ref / 255.0, est / 255.0) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="data_range"):
        im.psnr(ref * 1.0, est * 1.0)
    with pytest.raises(ValueError, match="data_range"):
        im.psnr(ref.astype(np.int16), est.astype(np.int16))
    assert im.psnr(ref * 1.0, est * 1.0, data_range=255) == pytest.approx(expected, rel=1e-12)


def test_svt_sparse_path_on_a_larger_matrix():
    # min(n1, n2) > 300 takes the svds path (smaller matrices use a dense SVD)
    rng = np.random.default_rng(9)
    A = rng.standard_normal((320, 3)) @ rng.standard_normal((3, 310))
    mask = rng.random(A.shape) < 0.3
    res = im.svt_complete(A, mask)
    assert res.converged and res.rank == 3
    assert np.linalg.norm(res.X - A) / np.linalg.norm(A) < 1e-3


def test_wnnm_shrinkage_cuts_at_the_noise_bulk_edge():
    # the weights c sqrt(K) / (s_hat + eps) with c = 2.8 left the noise bulk in place
    # (22.9 dB against 29.1 for "gd" at sigma = 0.1); the closed form cut at the edge
    from svdlab.datasets import load_image

    x = load_image("camera", as_gray=True)[128:256, 128:256]
    y = x + 0.1 * np.random.default_rng(10).standard_normal(x.shape)
    gd = im.psnr(x, im.denoise_patches(y, 0.1, shrinkage="gd"))
    wn = im.psnr(x, im.denoise_patches(y, 0.1, shrinkage="wnnm"))
    assert wn > im.psnr(x, y) + 6 and wn > gd - 0.5


def test_sure_default_grid_resolves_thresholds_far_below_s1():
    # one huge singular value (an image's mean) made the even 200-point grid skip every
    # threshold near the noise level, so SURE returned tau = 0 (no denoising at all)
    rng = np.random.default_rng(11)
    X = 3 * rng.standard_normal((60, 3)) @ rng.standard_normal((3, 50)) + 200.0
    Y = X + rng.standard_normal(X.shape)
    r = im.sure_svt(Y, 1.0)
    fine = im.sure_svt(Y, 1.0, np.linspace(0, 30, 3001))
    assert r.tau > 0 and r.risk.min() <= fine.risk.min() * 1.01
    assert np.sum((r.estimate - X) ** 2) < 0.5 * np.sum((Y - X) ** 2)


@pytest.mark.parametrize("K", [8, 24])  # K <= d = 16 (left Gram) and K > d (right Gram)
def test_denoise_patches_stage1_matches_per_group_svd(K):
    """One WNNM stage equals shrinking each group's SVD from np.linalg.svd and averaging."""
    from svdlab.image import _group_pixels, _match

    rng = np.random.default_rng(3)
    clean = np.add.outer(np.sin(np.arange(40) / 5), np.cos(np.arange(36) / 7))
    y = clean + 0.1 * rng.standard_normal(clean.shape)
    p, sig, step, window = 4, 0.1, 3, 5
    got = im.denoise_patches(y, sig, patch_size=p, n_similar=K, window=window, step=step,
                             n_stages=1, chunk=7)
    gr, gc = _match(y.astype(np.float32), p, step, window, K)
    idx = _group_pixels(gr, gc, p, y.shape[1])
    num, den = np.zeros(y.size), np.zeros(y.size)
    edge = sig * (np.sqrt(K) + p)  # 2 sqrt(C)
    for g in range(idx.shape[0]):
        Yg = y.ravel()[idx[g]]
        mu = Yg.mean(axis=0)
        U, s, Vt = np.linalg.svd(Yg - mu, full_matrices=False)
        t = np.where(s > edge, (s + np.sqrt(np.maximum(s**2 - edge**2, 0))) / 2, 0.0)
        w = 1.0 / (1.0 + np.count_nonzero(t))
        np.add.at(num, idx[g].ravel(), w * (mu + (U * t) @ Vt).ravel())
        np.add.at(den, idx[g].ravel(), w)
    ref = (num / den).reshape(y.shape)
    # kept singular values exceed the edge, so the Gram route's error is
    # eps * (s_1 / edge)^2 relative; the image is O(1)
    s1 = max(np.linalg.norm(y.ravel()[i] - y.ravel()[i].mean(0), 2) for i in idx)
    tol = 50 * np.finfo(float).eps * (s1 / edge) ** 2
    assert np.max(np.abs(got - ref)) < tol, (np.max(np.abs(got - ref)), tol)


def test_denoise_patches_per_stage_arguments():
    with pytest.raises(ValueError, match="window"):
        im.denoise_patches(IMG, 0.1, window=(4,))
    with pytest.raises(ValueError, match=r"step\[1\]"):
        im.denoise_patches(IMG, 0.1, step=(4, 9))
    a = im.denoise_patches(IMG, 0.1, n_similar=8, window=(4, 3), step=(3, 2))
    assert a.shape == IMG.shape and np.all(np.isfinite(a))
