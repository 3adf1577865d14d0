"""Randomized SVD: svdlab vs scikit-learn vs SciPy ``svds`` (chapter 4).

    python benchmarks/randomized.py            # the issue's three matrices, k = 20
    python benchmarks/randomized.py --repeat 5
    python benchmarks/randomized.py --threads 1 --more   # one BLAS thread; two more matrices

For each matrix and method it prints the best wall time over ``--repeat`` runs
and the spectral error ``||A - U diag(s) Vt||_2 / sigma_{k+1}`` (1.000 is the
optimum of Eckart-Young-Mirsky). The spectral norm of the residual is computed
with ARPACK (``svds(k=1)``) on the residual as a ``LinearOperator``, and
``sigma_{k+1}`` with ``svds(A, k+1)`` at tight tolerance. All methods run in
one process, so the time ratios are meaningful even on a busy machine.

``--more`` adds two matrices the issue does not name: Gaussian noise (a flat
spectrum, where the adaptive rule stops earlier than scikit-learn's fixed seven
power iterations and trades some accuracy for time) and a sparse matrix with
power-law row and column counts, like a ratings matrix.
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, svds
from sklearn.utils.extmath import randomized_svd as sk_randomized_svd
from threadpoolctl import threadpool_limits

from svdlab.randomized import randomized_svd
from svdlab.timing import best_time

K = 20


def decaying(m, n, decay, noise, seed):
    """``U diag(sigma) V^T + noise * G`` with ``sigma_j = j**-decay``."""
    rng = np.random.default_rng(seed)
    r = min(m, n)
    U, _ = np.linalg.qr(rng.standard_normal((m, r)))
    V, _ = np.linalg.qr(rng.standard_normal((n, r)))
    sigma = np.arange(1, r + 1, dtype=float) ** -decay
    A = (U * sigma) @ V.T
    if noise:
        A += noise * rng.standard_normal((m, n))
    return A


def power_law_sparse(m, n, nnz, seed):
    """Sparse matrix whose row and column counts follow Zipf laws (a ratings-like pattern)."""
    rng = np.random.default_rng(seed)
    rows = rng.zipf(1.6, nnz) % m
    cols = rng.zipf(1.4, nnz) % n
    A = sp.csr_matrix((rng.random(nnz), (rows, cols)), shape=(m, n))
    A.sum_duplicates()
    return A


def matrices(more=False):
    yield "4000x3000 dense, sigma_j = 1/j + noise", decaying(4000, 3000, 1.0, 1e-5, 0)
    yield "3000x2000 dense, sigma_j = j^-0.5", decaying(3000, 2000, 0.5, 0.0, 1)
    S = sp.random(20000, 5000, density=1e-3, format="csr", random_state=2, dtype=np.float64)
    yield "20000x5000 sparse, density 1e-3", S
    if more:
        yield "2000x2000 dense Gaussian noise", np.random.default_rng(3).standard_normal((2000, 2000))
        yield "30000x6000 sparse, power-law counts", power_law_sparse(30000, 6000, 300000, 4)


def spectral_norm_of_residual(A, U, s, Vt):
    m, n = A.shape

    def mv(X):
        X = X.reshape(n, -1)
        return A @ X - U @ (s[:, None] * (Vt @ X))

    def rmv(X):
        X = X.reshape(m, -1)
        return A.T @ X - Vt.T @ (s[:, None] * (U.T @ X))

    R = LinearOperator((m, n), matvec=mv, rmatvec=rmv, matmat=mv, rmatmat=rmv, dtype=float)
    return float(svds(R, k=1, tol=1e-6, return_singular_vectors=False, random_state=0)[0])


def methods():
    yield "svdlab randomized_svd", lambda A: randomized_svd(A, K, random_state=0)
    yield "sklearn randomized_svd", lambda A: sk_randomized_svd(A, K, random_state=0)

    def scipy_svds(A):
        U, s, Vt = svds(A, k=K, random_state=0)
        order = np.argsort(s)[::-1]
        return U[:, order], s[order], Vt[order]

    yield "scipy svds (ARPACK)", scipy_svds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads for every method (default: the library's own)")
    parser.add_argument("--more", action="store_true", help="two more matrices (see above)")
    args = parser.parse_args(argv)
    with threadpool_limits(args.threads):
        run(args)


def run(args):
    for name, A in matrices(args.more):
        s_opt = svds(A, k=K + 1, tol=1e-10, return_singular_vectors=False, random_state=0)
        sigma_next = float(np.sort(s_opt)[0])
        print(f"\n{name}   (k = {K}, sigma_(k+1) = {sigma_next:.4g})")
        print(f"{'method':<26}{'time [s]':>10}{'error / sigma_(k+1)':>22}")
        rows = {}
        for mname, fn in methods():
            best, (U, s, Vt) = best_time(lambda fn=fn, A=A: fn(A), args.repeat,
                                         return_result=True)
            err = spectral_norm_of_residual(A, U, s, Vt) / sigma_next
            rows[mname] = (best, err)
            print(f"{mname:<26}{best:>10.3f}{err:>22.4f}")
        (t_us, e_us), (t_sk, e_sk) = rows["svdlab randomized_svd"], rows["sklearn randomized_svd"]
        print(f"ratio svdlab/sklearn: time {t_us / t_sk:.2f}, error {e_us / e_sk:.4f}")


if __name__ == "__main__":
    main()
