"""Chapter 5 quality tables: global SVD denoising rules, the patch denoiser, JPEG, completion.

Run: ``python benchmarks/image.py`` (add ``--quick`` to skip the 1000x1000 completion).
All timings are wall-clock seconds in this process.
"""

import sys
import time

import numpy as np
from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, denoise_wavelet

from svdlab import image as im
from svdlab.datasets import load_image

SIGMAS = (0.02, 0.05, 0.1)
IMAGES = ("camera", "astronaut")


def oracle_errors(Y, X):
    """Squared errors ||X - Y_k||_F^2 for every k, by rank-one updates of one SVD."""
    U, s, Vt = np.linalg.svd(Y, full_matrices=False)
    c = np.einsum("ik,ij,kj->k", U, X, Vt)  # u_k^T X v_k
    return np.sum(X**2) + np.cumsum(s**2 - 2 * s * c), (U, s, Vt)


def hard_mse(svd_factors, tau, X):
    U, s, Vt = svd_factors
    k = int(np.sum(s > tau))
    return float(np.mean((X - (U[:, :k] * s[:k]) @ Vt[:k]) ** 2)), k


def global_table():
    print("\nGlobal SVD hard thresholding (MSE ratio to the oracle best rank)")
    print(f"{'image':10s} {'sigma':>5s} {'noisy dB':>8s} {'oracle k':>8s} {'oracle dB':>9s} "
          f"{'GD known':>8s} {'sigma_mad':>9s} {'GD(mad)':>7s} {'sigma_mp':>8s} {'GD omega':>8s}")
    for name in IMAGES:
        x = load_image(name, as_gray=True)
        for sig in SIGMAS:
            y = x + sig * np.random.default_rng(0).standard_normal(x.shape)
            errs, f = oracle_errors(y, x)
            ko = int(np.argmin(errs)) + 1
            best = errs[ko - 1] / x.size
            known, _ = hard_mse(f, im.optimal_hard_threshold(x.shape, sigma=sig), x)
            s_mad = im.estimate_noise(y, method="mad")
            mad, _ = hard_mse(f, im.optimal_hard_threshold(x.shape, sigma=s_mad), x)
            s_mp = im.estimate_noise(y, method="mp")
            omg, _ = hard_mse(f, im.optimal_hard_threshold(x.shape, s=f[1]), x)
            print(f"{name:10s} {sig:5.2f} {im.psnr(x, y):8.2f} {ko:8d} {-10*np.log10(best):9.2f} "
                  f"{known/best:8.3f} {s_mad:9.4f} {mad/best:7.3f} {s_mp:8.4f} {omg/best:8.3f}")


def denoise_table():
    print("\nDenoisers, sigma known (PSNR dB / SSIM / seconds)")
    print(f"{'image':10s} {'sigma':>5s} {'noisy':>6s} {'patches':>20s} {'patches(s^)':>12s} "
          f"{'nl_means':>20s} {'tv':>20s} {'wavelet':>20s}")
    for name in IMAGES:
        x = load_image(name, as_gray=True)
        for sig in SIGMAS:
            y = x + sig * np.random.default_rng(0).standard_normal(x.shape)
            row = []
            t = time.perf_counter()
            d = im.denoise_patches(y, sig)
            row.append((d, time.perf_counter() - t))
            d2 = im.denoise_patches(y)
            t = time.perf_counter()
            # scikit-image docs: h = 0.8 sigma with fast_mode, sigma passed, 5x5 patches
            d = denoise_nl_means(y, h=0.8 * sig, sigma=sig, fast_mode=True, patch_size=5,
                                 patch_distance=6)
            row.append((d, time.perf_counter() - t))
            t = time.perf_counter()
            d = denoise_tv_chambolle(y, weight=2 * sig)
            row.append((d, time.perf_counter() - t))
            t = time.perf_counter()
            d = denoise_wavelet(y, sigma=sig, method="BayesShrink", mode="soft",
                                rescale_sigma=True)
            row.append((d, time.perf_counter() - t))
            cells = [f"{im.psnr(x, d):6.2f}/{im.ssim(x, d):.3f}/{tt:5.1f}s" for d, tt in row]
            print(f"{name:10s} {sig:5.2f} {im.psnr(x, y):6.2f} {cells[0]:>20s} "
                  f"{im.psnr(x, d2):12.2f} {cells[1]:>20s} {cells[2]:>20s} {cells[3]:>20s}")


def jpeg_table():
    print("\nSVD vs JPEG at the same byte budget (camera, PSNR dB / SSIM)")
    x = load_image("camera", as_gray=True)
    print(f"{'bytes':>7s} {'jpeg q':>6s} {'jpeg':>13s} {'svd f16 k':>9s} {'svd f16':>13s} "
          f"{'svd u8 k':>8s} {'svd u8':>13s}")
    for nb in (4000, 8000, 16000, 32000, 64000):
        j = im.jpeg_at_bytes(x, nb)
        a = im.svd_at_bytes(x, nb, dtype="float16")
        b = im.svd_at_bytes(x, nb, dtype="uint8")
        print(f"{nb:7d} {j.param:6.0f} {j.psnr:6.2f}/{j.ssim:.3f} {a.param:9d} "
              f"{a.psnr:6.2f}/{a.ssim:.3f} {b.param:8d} {b.psnr:6.2f}/{b.ssim:.3f}")


def completion_table():
    print("\nSVT completion of a 1000x1000 rank-10 matrix from 5 r (2n - r) entries")
    rng = np.random.default_rng(0)
    n, r = 1000, 10
    A = rng.standard_normal((n, r)) @ rng.standard_normal((r, n))
    mask = rng.random(A.shape) < 5 * r * (2 * n - r) / n**2
    for max_iter in (500, 1500):
        t = time.perf_counter()
        res = im.svt_complete(A, mask, max_iter=max_iter)
        tt = time.perf_counter() - t
        rel = np.linalg.norm(res.X - A) / np.linalg.norm(A)
        print(f"observed {mask.mean():.4f}, max_iter {max_iter}: converged {res.converged}, "
              f"rank {res.rank}, iterations {res.n_iter}, relative error {rel:.2e}, {tt:.1f} s")
        if res.converged:
            break


if __name__ == "__main__":
    global_table()
    jpeg_table()
    denoise_table()
    if "--quick" not in sys.argv:
        completion_table()
