"""Rating prediction by matrix factorization (chapter 6.1), with scikit-learn conventions.

Every estimator takes ``X``, an int array of shape ``(n, 2)`` holding raw (user, item)
ids (any integers, mapped internally), and ``y``, the ratings. Unknown users or items at
predict time fall back to the learned biases; predictions are clipped to the rating
range seen in ``y``.

Models: :class:`GlobalMean`, :class:`Baseline`, :class:`ImputedSVD` (the mean-filled SVD,
as the baseline it is), :class:`FunkSVD`, :class:`ALS`, :class:`SoftImpute`,
:class:`SVDpp` (with the implicit-feedback term) and :class:`BayesianMF` (Gibbs sampling).

Nothing loops over ratings in Python: biases, ALS, SVD++ and the Gibbs sampler use sparse
products and batched ``numpy.linalg.solve``/``cholesky`` over all users or items at once;
:class:`FunkSVD` uses *mini-batch* SGD (all ratings of a batch are updated at once from
the same parameters, and updates of a user or item appearing several times in a batch are
summed), its one departure from Funk's one-rating SGD. :class:`SVDpp` minimizes Koren's
objective by blocks (ridge solves and conjugate gradients) instead of his SGD.

Taught in chapter 6.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import svds
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import check_array, check_int, check_random_state, check_rank, check_scalar

__all__ = [
    "GlobalMean", "Baseline", "ImputedSVD", "FunkSVD", "ALS", "SoftImpute", "SVDpp",
    "BayesianMF",
    "rmse", "mae", "thresholded_accuracy", "precision_at_k", "recall_at_k", "ndcg_at_k",
    "kfold_split", "cross_validate", "explain_factors",
]


# ----------------------------------------------------------------------------- input
def _check_X(X, name="X"):
    arr = np.asarray(X)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be an integer array of (user, item) ids, got dtype "
                        f"{arr.dtype}")
    arr = check_array(arr, name, ndim=2)
    if arr.shape[1] != 2:
        raise ValueError(f"{name} must have 2 columns (user id, item id), got {arr.shape[1]}")
    if not np.all(arr == np.round(arr)):
        raise ValueError(f"{name} must hold integer ids")
    if np.any(arr < 0):
        raise ValueError(f"{name} must hold non-negative ids")
    return arr.astype(np.int64)


def _check_Xy(X, y):
    X = _check_X(X)
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have the same length, got {X.shape[0]} and {y.shape[0]}")
    return X, y.astype(np.float64)


class _Recommender(RegressorMixin, BaseEstimator):
    """Shared id mapping, clipping and bias fallback."""

    def _index(self, X, y):
        X, y = _check_Xy(X, y)
        self.users_, u = np.unique(X[:, 0], return_inverse=True)
        self.items_, i = np.unique(X[:, 1], return_inverse=True)
        self.rating_range_ = (float(y.min()), float(y.max()))
        self.global_mean_ = float(y.mean())
        self.n_features_in_ = 2
        return u, i, y, len(self.users_), len(self.items_)

    def _lookup(self, X):
        check_is_fitted(self, "users_")
        X = _check_X(X)
        def find(ids, ref):
            pos = np.searchsorted(ref, ids).clip(0, len(ref) - 1)
            return np.where(ref[pos] == ids, pos, -1)
        return find(X[:, 0], self.users_), find(X[:, 1], self.items_)

    def _biases(self, u, i, y, n_users, n_items, reg_u, reg_i, n_iter=10):
        bu, bi = np.zeros(n_users), np.zeros(n_items)
        nu = np.bincount(u, minlength=n_users)
        ni = np.bincount(i, minlength=n_items)
        r = y - self.global_mean_
        for _ in range(n_iter):
            bi = np.bincount(i, r - bu[u], n_items) / (reg_i + ni)
            bu = np.bincount(u, r - bi[i], n_users) / (reg_u + nu)
        return bu, bi

    def _base(self, uu, ii):
        bu = np.where(uu >= 0, self.user_bias_[uu], 0.0)
        bi = np.where(ii >= 0, self.item_bias_[ii], 0.0)
        return self.global_mean_ + bu + bi

    def _store(self, P, Q):
        """Split ``[factors, bias]`` rows into the fitted attributes."""
        self.user_factors_, self.user_bias_ = P[:, :-1], P[:, -1]
        self.item_factors_, self.item_bias_ = Q[:, :-1], Q[:, -1]

    def _clip(self, p):
        return np.clip(p, *self.rating_range_)

    def _factor_term(self, uu, ii):
        ok = (uu >= 0) & (ii >= 0)
        out = np.zeros(uu.shape[0])
        out[ok] = np.einsum("nk,nk->n", self.user_factors_[uu[ok]], self.item_factors_[ii[ok]])
        return out

    def predict(self, X):
        """Predicted ratings for the (user, item) pairs in ``X``."""
        uu, ii = self._lookup(X)
        return self._clip(self._base(uu, ii) + self._factor_term(uu, ii))

    def score(self, X, y, sample_weight=None):
        return -rmse(y, self.predict(X))


class GlobalMean(_Recommender):
    """Predict the mean rating for everyone: the floor every model must beat.

    Examples
    --------
    >>> GlobalMean().fit([[0, 0], [1, 1]], [2.0, 4.0]).predict([[5, 5]])
    array([3.])
    """

    def fit(self, X, y):
        _, _, _, m, n = self._index(X, y)
        self.user_bias_, self.item_bias_ = np.zeros(m), np.zeros(n)
        return self

    def predict(self, X):
        uu, ii = self._lookup(X)
        return self._clip(np.full(uu.shape[0], self.global_mean_))


class Baseline(_Recommender):
    r"""Biases only: $\hat r_{ui} = \mu + b_u + b_i$, fitted by regularized ALS.

    References
    ----------
    Y. Koren, "Factor in the neighbors", ACM TKDD 4(1), 2010.

    Taught in chapter 6.

    Examples
    --------
    >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> m = Baseline(reg_user=0, reg_item=0).fit(X, [5.0, 3.0, 4.0, 2.0])
    >>> np.round(m.predict(X), 6)
    array([5., 3., 4., 2.])
    """

    def __init__(self, reg_user=5.0, reg_item=5.0, n_iter=10):
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.n_iter = n_iter

    def fit(self, X, y):
        u, i, y, m, n = self._index(X, y)
        self.user_bias_, self.item_bias_ = self._biases(
            u, i, y, m, n,
            check_scalar(self.reg_user, "reg_user", low=0.0),
            check_scalar(self.reg_item, "reg_item", low=0.0),
            check_int(self.n_iter, "n_iter", min_value=1))
        return self

    def predict(self, X):
        uu, ii = self._lookup(X)
        return self._clip(self._base(uu, ii))


class ImputedSVD(_Recommender):
    """The naive approach: fill the missing ratings, take a truncated SVD.

    The missing entries are filled with the baseline prediction (not with zeros or a
    single mean), the filled matrix is centred on the baseline, and the rank-``k``
    SVD of that residual is added back. Filling treats "missing" as "average", which
    biases the factors towards zero: it is the baseline the factor models must beat.

    References
    ----------
    B. Sarwar, G. Karypis, J. Konstan and J. Riedl, "Application of dimensionality
    reduction in recommender system", WebKDD 2000.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(60, 50, random_state=0)
    >>> ImputedSVD(n_factors=3).fit(r.X, r.y).predict(r.X[:2]).shape
    (2,)
    """

    def __init__(self, n_factors=10, reg=5.0):
        self.n_factors = n_factors
        self.reg = reg

    def fit(self, X, y):
        u, i, y, m, n = self._index(X, y)
        k = check_rank(self.n_factors, (m, n), "n_factors")
        reg = check_scalar(self.reg, "reg", low=0.0)
        self.user_bias_, self.item_bias_ = self._biases(u, i, y, m, n, reg, reg)
        resid = y - (self.global_mean_ + self.user_bias_[u] + self.item_bias_[i])
        R = sparse.csr_matrix((resid, (u, i)), shape=(m, n)).toarray()
        if k < min(m, n) - 1:
            U, s, Vt = svds(R, k=k, random_state=0)
        else:
            U, s, Vt = np.linalg.svd(R, full_matrices=False)
            U, s, Vt = U[:, :k], s[:k], Vt[:k]
        self.user_factors_ = U * s
        self.item_factors_ = Vt.T
        return self


class FunkSVD(_Recommender):
    r"""Biased matrix factorization by vectorized mini-batch SGD (Funk 2006, Koren et al. 2009).

    Minimizes $\sum (r_{ui} - \mu - b_u - b_i - p_u^T q_i)^2 + \lambda(\|p_u\|^2 +
    \|q_i\|^2 + b_u^2 + b_i^2)$. Each step updates a batch of ``batch_size`` ratings
    at once (duplicates summed), the learning rate decays by ``decay`` per epoch.

    SGD's step size depends on the units of the ratings: a learning rate tuned for 1-5
    stars diverges on a 0-100 scale. The ratings are therefore divided by their standard
    deviation for the descent (``lr``, ``reg`` and ``init_std`` are in those units) and the
    fitted parameters scaled back. A descent that still diverges raises an error naming
    ``lr`` instead of returning garbage.

    References
    ----------
    Y. Koren, R. Bell and C. Volinsky, "Matrix factorization techniques for recommender
    systems", IEEE Computer 42(8), 2009.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(80, 60, random_state=0)
    >>> m = FunkSVD(n_factors=4, n_epochs=5, random_state=0).fit(r.X, r.y)
    >>> m.user_factors_.shape[1]
    4
    """

    def __init__(self, n_factors=50, n_epochs=40, lr=0.01, reg=0.05, batch_size=256,
                 decay=0.97, init_std=0.1, random_state=0):
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.lr = lr
        self.reg = reg
        self.batch_size = batch_size
        self.decay = decay
        self.init_std = init_std
        self.random_state = random_state

    def fit(self, X, y):
        u, i, y, m, n = self._index(X, y)
        k = check_int(self.n_factors, "n_factors", min_value=1)
        epochs = check_int(self.n_epochs, "n_epochs", min_value=1)
        lr = check_scalar(self.lr, "lr", low=0.0, include_low=False)
        reg = check_scalar(self.reg, "reg", low=0.0)
        B = check_int(self.batch_size, "batch_size", min_value=1)
        decay = check_scalar(self.decay, "decay", low=0.0, high=1.0, include_low=False)
        rng = check_random_state(self.random_state)
        init_std = check_scalar(self.init_std, "init_std", low=0.0)
        mu = self.global_mean_
        scale = float(np.std(y)) or 1.0
        z = (y - mu) / scale                     # descend on standardized ratings
        P = rng.normal(0, init_std, (m, k))
        Q = rng.normal(0, init_std, (n, k))
        bu, bi = np.zeros(m), np.zeros(n)
        self.train_rmse_ = []
        for _ in range(epochs):
            order = rng.permutation(y.size)
            for start in range(0, y.size, B):
                b = order[start:start + B]
                ub, ib, rb = u[b], i[b], z[b]
                pu, qi = P[ub], Q[ib]
                e = rb - (bu[ub] + bi[ib] + np.einsum("nk,nk->n", pu, qi))
                bu += lr * np.bincount(ub, e - reg * bu[ub], m)
                bi += lr * np.bincount(ib, e - reg * bi[ib], n)
                np.add.at(P, ub, lr * (e[:, None] * qi - reg * pu))
                np.add.at(Q, ib, lr * (e[:, None] * pu - reg * qi))
            lr *= decay
            pred = bu[u] + bi[i] + np.einsum("nk,nk->n", P[u], Q[i])
            self.train_rmse_.append(float(scale * np.sqrt(np.mean((z - pred) ** 2))))
            if not np.isfinite(self.train_rmse_[-1]):
                raise FloatingPointError(
                    f"FunkSVD diverged (training error not finite after {len(self.train_rmse_)}"
                    f" epochs): lower lr (now {self.lr}) or batch_size ({B})")
        root = np.sqrt(scale)
        self.user_factors_, self.item_factors_ = P * root, Q * root
        self.user_bias_, self.item_bias_ = bu * scale, bi * scale
        return self


def _grams(M, F):
    """Batched Gram matrices: ``G[r] = F_S^T F_S`` for each row r of the 0/1 incidence ``M``.

    One sparse-dense product with the row-wise outer products of ``F`` (shape (cols, d))
    gives all of them at once: no Python loop over users or items.
    """
    d = F.shape[1]
    outer = np.einsum("ni,nj->nij", F, F).reshape(F.shape[0], d * d)
    return np.asarray(M @ outer).reshape(-1, d, d)


def _als_half(M, F, r_csr, lam, counts):
    """Solve for all rows at once: (F_S^T F_S + lam n I) x = F_S^T r, for every row's set S.

    ``M`` is the 0/1 sparse incidence (rows x cols), ``F`` the (cols, d) fixed factors and
    ``r_csr`` the targets on the same pattern.
    """
    G = _grams(M, F)
    G += (lam * np.maximum(counts, 1))[:, None, None] * np.eye(F.shape[1])
    rhs = r_csr @ F
    return np.linalg.solve(G, rhs[..., None])[..., 0]


class _Pattern:
    """The observed (user, item) pattern as sparse matrices, shared by the ALS-type models.

    ``Mu`` (users x items) and ``Mi`` (items x users) are 0/1 incidences; ``by_user(t)`` and
    ``by_item(t)`` put per-rating values ``t`` on the same pattern. The CSR structure of
    both orientations is computed once; each call only permutes ``t`` into it (the models
    call them every sweep, SVD++ at every conjugate-gradient step).
    """

    def __init__(self, u, i, m, n):
        self.u, self.i, self.m, self.n = u, i, m, n
        self.nu, self.ni = np.bincount(u, minlength=m), np.bincount(i, minlength=n)
        self._by_u = self._layout(u, i, self.nu)
        self._by_i = self._layout(i, u, self.ni)
        self.Mu = self.by_user(np.ones(u.size))
        self.Mi = self.by_item(np.ones(u.size))

    @staticmethod
    def _layout(rows, cols, counts):
        order = np.lexsort((cols, rows))
        return order, cols[order], np.concatenate([[0], np.cumsum(counts)])

    def by_user(self, t):
        order, indices, indptr = self._by_u
        return sparse.csr_matrix((t[order], indices, indptr), shape=(self.m, self.n))

    def by_item(self, t):
        order, indices, indptr = self._by_i
        return sparse.csr_matrix((t[order], indices, indptr), shape=(self.n, self.m))


def _start(rng, rows, k):
    """Initial ``[factors, bias]`` rows: small Gaussian factors, zero bias."""
    return np.hstack([rng.normal(0, 0.1, (rows, k)), np.zeros((rows, 1))])


def _with_ones(F):
    """``[F, 1]``: the fixed side's factors plus the constant feature that carries the bias."""
    return np.hstack([F, np.ones((F.shape[0], 1))])


class ALS(_Recommender):
    r"""Biased matrix factorization by alternating least squares with weighted-$\lambda$.

    Each half-step solves, for all users at once, $\min_{p_u, b_u} \sum_{i \in I_u}
    (r_{ui} - \mu - b_i - b_u - p_u^T q_i)^2 + \lambda n_u (\|p_u\|^2 + b_u^2)$ (and the
    same for items), with batched ``numpy.linalg.solve``.

    References
    ----------
    Y. Zhou, D. Wilkinson, R. Schreiber and R. Pan, "Large-scale parallel collaborative
    filtering for the Netflix prize", AAIM 2008.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(80, 60, random_state=0)
    >>> m = ALS(n_factors=4, random_state=0).fit(r.X, r.y)
    >>> bool(rmse(r.y, m.predict(r.X)) < rmse(r.y, Baseline().fit(r.X, r.y).predict(r.X)))
    True
    """

    def __init__(self, n_factors=10, reg=0.15, n_iter=15, random_state=0):
        self.n_factors = n_factors
        self.reg = reg
        self.n_iter = n_iter
        self.random_state = random_state

    def fit(self, X, y):
        u, i, y, m, n = self._index(X, y)
        k = check_int(self.n_factors, "n_factors", min_value=1)
        lam = check_scalar(self.reg, "reg", low=0.0, include_low=False)
        n_iter = check_int(self.n_iter, "n_iter", min_value=1)
        rng = check_random_state(self.random_state)
        mu = self.global_mean_
        pat = _Pattern(u, i, m, n)
        P, Q = _start(rng, m, k), _start(rng, n, k)   # rows [p_u, b_u] and [q_i, b_i]
        for _ in range(n_iter):
            # users: features [q_i, 1], target r - mu - b_i; then items likewise
            P = _als_half(pat.Mu, _with_ones(Q[:, :k]), pat.by_user(y - mu - Q[i, k]),
                          lam, pat.nu)
            Q = _als_half(pat.Mi, _with_ones(P[:, :k]), pat.by_item(y - mu - P[u, k]),
                          lam, pat.ni)
        self._store(P, Q)
        return self


class SoftImpute(_Recommender):
    r"""Nuclear-norm regularized completion of the residual after the baseline.

    Iterates $Z \leftarrow S_\lambda(P_\Omega(R) + P_\Omega^\perp(Z))$ where $S_\lambda$
    soft-thresholds the singular values (Mazumder, Hastie and Tibshirani 2010), keeping at
    most ``max_rank`` of them.

    References
    ----------
    R. Mazumder, T. Hastie and R. Tibshirani, "Spectral regularization algorithms for
    learning large incomplete matrices", JMLR 11, 2010.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(60, 50, random_state=0)
    >>> SoftImpute(shrinkage=5.0, max_rank=5).fit(r.X, r.y).rank_ <= 5
    True
    """

    def __init__(self, shrinkage=15.0, max_rank=30, n_iter=15, reg_bias=5.0):
        self.shrinkage = shrinkage
        self.max_rank = max_rank
        self.n_iter = n_iter
        self.reg_bias = reg_bias

    def fit(self, X, y):
        u, i, y, m, n = self._index(X, y)
        lam = check_scalar(self.shrinkage, "shrinkage", low=0.0)
        r = check_rank(self.max_rank, (m, n), "max_rank")
        n_iter = check_int(self.n_iter, "n_iter", min_value=1)
        reg = check_scalar(self.reg_bias, "reg_bias", low=0.0)
        self.user_bias_, self.item_bias_ = self._biases(u, i, y, m, n, reg, reg)
        resid = y - (self.global_mean_ + self.user_bias_[u] + self.item_bias_[i])
        Z = np.zeros((m, n))
        for _ in range(n_iter):
            Z[u, i] = resid
            if r < min(m, n) - 1:
                U, s, Vt = svds(Z, k=r, random_state=0)
            else:
                U, s, Vt = np.linalg.svd(Z, full_matrices=False)
                U, s, Vt = U[:, :r], s[:r], Vt[:r]
            s = np.maximum(s - lam, 0.0)
            Z = (U * s) @ Vt
        keep = s > 0
        self.rank_ = int(keep.sum())
        self.user_factors_ = U[:, keep] * s[keep]
        self.item_factors_ = Vt[keep].T
        return self


class SVDpp(_Recommender):
    r"""SVD++: biased factors plus the implicit feedback of *which* items a user rated.

    Koren's model (2008) adds to the user vector the normalized sum of one
    vector $y_j$ per item the user rated, $N(u)$:

    $$\hat r_{ui} = \mu + b_u + b_i + q_i^\top\Big(p_u + |N(u)|^{-1/2}\sum_{j\in N(u)}
    y_j\Big).$$

    Here $N(u)$ is the set of items the user rated in the training data (the implicit
    signal MovieLens offers). The objective is the squared error on the observed ratings
    plus $\lambda n_u(\|p_u\|^2+b_u^2)$, $\lambda n_i(\|q_i\|^2+b_i^2)$ and
    $\lambda_y\|Y\|_F^2$. Koren fits it by SGD over ratings; this class minimizes the same
    objective by blocks, which vectorizes and needs no learning rate: users and items by
    batched ridge solves exactly as in :class:`ALS`, then $Y$ (a linear least-squares
    problem once the rest is fixed) by ``cg_iter`` warm-started conjugate-gradient steps
    on its normal equations. Every block step lowers the objective, recorded in
    ``objective_``.

    Parameters
    ----------
    n_factors : int
        Number of latent factors.
    reg : float
        Weighted-lambda regularization of the explicit factors and biases.
    reg_implicit : float
        Ridge penalty $\lambda_y$ on the implicit item vectors $y_j$.
    n_iter : int
        Number of sweeps (users, items, implicit vectors).
    cg_iter : int
        Conjugate-gradient steps on $Y$ per sweep.
    random_state : int, Generator or None
        Seed of the initial factors.

    Attributes
    ----------
    user_factors_ : ndarray (n_users, n_factors)
        The effective user vectors $p_u + |N(u)|^{-1/2}\sum_{N(u)} y_j$.
    implicit_factors_ : ndarray (n_items, n_factors)
        The $y_j$.
    objective_, train_rmse_ : list of float
        Objective and training RMSE after each sweep.

    References
    ----------
    Y. Koren, "Factorization meets the neighborhood: a multifaceted collaborative
    filtering model", KDD 2008.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(80, 60, random_state=0)
    >>> m = SVDpp(n_factors=4, n_iter=5).fit(r.X, r.y)
    >>> bool(np.all(np.diff(m.objective_) <= 1e-9 * m.objective_[0]))
    True
    """

    def __init__(self, n_factors=10, reg=0.15, reg_implicit=100.0, n_iter=15, cg_iter=5,
                 random_state=0):
        self.n_factors = n_factors
        self.reg = reg
        self.reg_implicit = reg_implicit
        self.n_iter = n_iter
        self.cg_iter = cg_iter
        self.random_state = random_state

    def fit(self, X, y):
        u, i, y, m, n = self._index(X, y)
        k = check_int(self.n_factors, "n_factors", min_value=1)
        lam = check_scalar(self.reg, "reg", low=0.0, include_low=False)
        lam_y = check_scalar(self.reg_implicit, "reg_implicit", low=0.0, include_low=False)
        n_iter = check_int(self.n_iter, "n_iter", min_value=1)
        cg_iter = check_int(self.cg_iter, "cg_iter", min_value=1)
        rng = check_random_state(self.random_state)
        mu = self.global_mean_
        pat = _Pattern(u, i, m, n)
        # N: row u holds |N(u)|^{-1/2} on the items u rated, so Z = N @ Y
        N = sparse.diags(1.0 / np.sqrt(np.maximum(pat.nu, 1))) @ pat.Mu
        Nt = N.T.tocsr()
        P, Q = _start(rng, m, k), _start(rng, n, k)   # rows [p_u, b_u] and [q_i, b_i]
        Y = np.zeros((n, k))

        def apply(D, Qk):            # the linear map Y -> (q_i^T (N Y)_u) over ratings
            return np.einsum("nk,nk->n", (N @ D)[u], Qk[i])

        def adjoint(e, Qk):          # its transpose: N^T (E Q), E = residuals on the pattern
            return Nt @ (pat.by_user(e) @ Qk)

        self.objective_, self.train_rmse_ = [], []
        for _ in range(n_iter):
            Z = N @ Y
            t = y - mu - Q[i, k] - np.einsum("nk,nk->n", Z[u], Q[i, :k])
            P = _als_half(pat.Mu, _with_ones(Q[:, :k]), pat.by_user(t), lam, pat.nu)
            Q = _als_half(pat.Mi, _with_ones(P[:, :k] + Z), pat.by_item(y - mu - P[u, k]),
                          lam, pat.ni)
            # Y: minimize ||t - A(Y)||^2 + lam_y ||Y||^2 by CG on the normal equations
            Qk = Q[:, :k]
            t = y - mu - P[u, k] - Q[i, k] - np.einsum("nk,nk->n", P[u, :k], Qk[i])
            R = adjoint(t - apply(Y, Qk), Qk) - lam_y * Y
            D, rr = R.copy(), np.sum(R * R)
            for _ in range(cg_iter):
                if rr == 0.0:
                    break
                AD = adjoint(apply(D, Qk), Qk) + lam_y * D
                step = rr / np.sum(D * AD)
                Y += step * D
                R -= step * AD
                rr, rr_old = np.sum(R * R), rr
                D = R + (rr / rr_old) * D
            e = t - apply(Y, Qk)
            penalty = lam * (pat.nu @ np.sum(P ** 2, 1) + pat.ni @ np.sum(Q ** 2, 1))
            self.objective_.append(float(e @ e + penalty + lam_y * np.sum(Y ** 2)))
            self.train_rmse_.append(float(np.sqrt(np.mean(e ** 2))))
        self.implicit_factors_ = Y
        self._store(P + np.hstack([N @ Y, np.zeros((m, 1))]), Q)
        return self


def _wishart(rng, df, scale):
    """One draw from the Wishart distribution W(scale, df) by Bartlett's decomposition."""
    d = scale.shape[0]
    A = np.zeros((d, d))
    A[np.diag_indices(d)] = np.sqrt(rng.chisquare(df - np.arange(d)))
    A[np.tril_indices(d, -1)] = rng.normal(size=d * (d - 1) // 2)
    LA = np.linalg.cholesky(scale) @ A
    return LA @ LA.T


def _sample_hyper(rng, V, beta0, nu0):
    """Draw (mean, precision) of the rows of ``V`` from their Gaussian-Wishart posterior.

    Prior: mean 0, ``beta0``, ``nu0`` degrees of freedom, scale matrix the identity
    (Salakhutdinov and Mnih 2008, eq. 14).
    """
    n, d = V.shape
    vbar = V.mean(0)
    S = (V - vbar).T @ (V - vbar) / n
    beta, nu = beta0 + n, nu0 + n
    W_inv = np.eye(d) + n * S + (beta0 * n / beta) * np.outer(vbar, vbar)
    W = np.linalg.inv(W_inv)
    Lam = _wishart(rng, nu, (W + W.T) / 2)
    L = np.linalg.cholesky(beta * Lam)
    mean = n * vbar / beta + np.linalg.solve(L.T, rng.normal(size=d))
    return mean, Lam


def _sample_half(rng, M, F, r_csr, alpha, mean, Lam):
    """Draw every row's vector from its Gaussian conditional, all rows at once.

    Row r: precision ``Lam + alpha F_S^T F_S``, mean its inverse times
    ``alpha F_S^T r + Lam mean``. The noise is ``L^{-T} z`` with ``L`` the Cholesky factor
    of the precision, so its covariance is the inverse precision.
    """
    G = alpha * _grams(M, F) + Lam
    rhs = alpha * (r_csr @ F) + Lam @ mean
    L = np.linalg.cholesky(G)
    z = rng.normal(size=rhs.shape)
    return (np.linalg.solve(G, rhs[..., None])
            + np.linalg.solve(np.swapaxes(L, 1, 2), z[..., None]))[..., 0]


class BayesianMF(_Recommender):
    r"""Bayesian probabilistic matrix factorization with biases, by Gibbs sampling.

    The model of Salakhutdinov and Mnih (2008): ratings
    $r_{ui} \sim \mathcal N(\mu + b_u + b_i + p_u^\top q_i, \alpha^{-1})$, the vectors
    $[p_u, b_u]$ drawn from a Gaussian whose mean and precision have a Gaussian-Wishart
    prior (likewise $[q_i, b_i]$), and here also a Gamma(1, 1) prior on the noise
    precision $\alpha$. Each sweep draws the hyperparameters, then every user vector,
    then every item vector (batched Cholesky factorizations, the same Gram matrices as
    :class:`ALS`), then $\alpha$. A prediction is the average of $\hat r_{ui}$ over the
    ``n_samples`` draws kept after ``burn_in``: averaging over the posterior instead of
    picking one regularized point is what buys the accuracy, and there is no
    regularization weight to tune.

    Parameters
    ----------
    n_factors : int
        Number of latent factors.
    n_samples : int
        Number of posterior draws averaged for prediction.
    burn_in : int
        Sweeps discarded first.
    noise_precision : float or None
        Fix $\alpha$ (e.g. 2, the paper's value); ``None`` samples it.
    random_state : int, Generator or None
        Seed of the sampler.

    Attributes
    ----------
    user_samples_, item_samples_ : ndarray (n_samples, n, n_factors + 1), float32
        The kept draws of $[p_u, b_u]$ and $[q_i, b_i]$ (memory:
        ``4 n_samples (n_users + n_items)(n_factors + 1)`` bytes).
    user_factors_, item_factors_, user_bias_, item_bias_ : ndarray
        Posterior means (used by :func:`explain_factors` and for unknown ids).
    noise_precision_ : ndarray (burn_in + n_samples,)
        The trace of $\alpha$.
    train_rmse_ : list of float
        Training RMSE of each sweep's draw.

    References
    ----------
    R. Salakhutdinov and A. Mnih, "Bayesian probabilistic matrix factorization using
    Markov chain Monte Carlo", ICML 2008.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(80, 60, random_state=0)
    >>> m = BayesianMF(n_factors=3, n_samples=20, burn_in=5).fit(r.X, r.y)
    >>> m.user_samples_.shape[0], m.user_samples_.shape[2]   # draws, factors + bias
    (20, 4)
    """

    def __init__(self, n_factors=10, n_samples=100, burn_in=20, noise_precision=None,
                 random_state=0):
        self.n_factors = n_factors
        self.n_samples = n_samples
        self.burn_in = burn_in
        self.noise_precision = noise_precision
        self.random_state = random_state

    def fit(self, X, y):
        u, i, y, m, n = self._index(X, y)
        k = check_int(self.n_factors, "n_factors", min_value=1)
        n_samples = check_int(self.n_samples, "n_samples", min_value=1)
        burn_in = check_int(self.burn_in, "burn_in", min_value=0)
        fixed = self.noise_precision is not None
        alpha = (check_scalar(self.noise_precision, "noise_precision", low=0.0,
                              include_low=False) if fixed else 1.0)
        rng = check_random_state(self.random_state)
        mu, d = self.global_mean_, k + 1
        pat = _Pattern(u, i, m, n)
        P, Q = _start(rng, m, k), _start(rng, n, k)   # rows [p_u, b_u] and [q_i, b_i]
        Ps = np.empty((n_samples, m, d), np.float32)
        Qs = np.empty((n_samples, n, d), np.float32)
        alphas, self.train_rmse_ = [], []
        for s in range(burn_in + n_samples):
            mean, Lam = _sample_hyper(rng, P, 2.0, d)
            P = _sample_half(rng, pat.Mu, _with_ones(Q[:, :k]), pat.by_user(y - mu - Q[i, k]),
                             alpha, mean, Lam)
            mean, Lam = _sample_hyper(rng, Q, 2.0, d)
            Q = _sample_half(rng, pat.Mi, _with_ones(P[:, :k]), pat.by_item(y - mu - P[u, k]),
                             alpha, mean, Lam)
            e = y - mu - P[u, k] - Q[i, k] - np.einsum("nk,nk->n", P[u, :k], Q[i, :k])
            if not fixed:
                alpha = rng.gamma(1.0 + y.size / 2, 1.0 / (1.0 + e @ e / 2))
            alphas.append(alpha)
            self.train_rmse_.append(float(np.sqrt(np.mean(e ** 2))))
            if s >= burn_in:
                Ps[s - burn_in], Qs[s - burn_in] = P, Q
        self.user_samples_, self.item_samples_ = Ps, Qs
        self.noise_precision_ = np.array(alphas)
        Pm, Qm = Ps.mean(0, dtype=np.float64), Qs.mean(0, dtype=np.float64)
        self._store(Pm, Qm)
        return self

    def predict_draws(self, X):
        """Unclipped predictions of every kept draw, shape ``(n_samples, len(X))``.

        ``predict`` is their mean, clipped to the rating range. Unknown users or items
        get the posterior-mean biases in every draw.
        """
        uu, ii = self._lookup(X)
        j = np.flatnonzero((uu >= 0) & (ii >= 0))
        out = np.tile(self._base(uu, ii), (self.user_samples_.shape[0], 1))
        k = self.item_factors_.shape[1]
        P, Q = self.user_samples_[:, uu[j]], self.item_samples_[:, ii[j]]
        out[:, j] = (self.global_mean_ + P[..., k] + Q[..., k]
                     + np.einsum("snk,snk->sn", P[..., :k], Q[..., :k], dtype=np.float64))
        return out

    def predict(self, X):
        """Posterior-mean predicted ratings (the average over draws), clipped."""
        X = _check_X(X)   # in chunks, so memory stays n_samples x 4096 whatever len(X)
        out = [self.predict_draws(X[c:c + 4096]).mean(axis=0) for c in range(0, len(X), 4096)]
        return self._clip(np.concatenate(out) if out else np.zeros(0))


# ----------------------------------------------------------------------------- metrics
def _pair(y_true, y_pred):
    a = check_array(y_true, "y_true", ndim=1)
    b = check_array(y_pred, "y_pred", ndim=1)
    if a.shape != b.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {a.shape[0]} "
                         f"and {b.shape[0]}")
    return a, b


def rmse(y_true, y_pred) -> float:
    """Root mean squared error.

    Examples
    --------
    >>> rmse([1, 2, 3], [1, 2, 5])
    1.1547005383792515
    """
    a, b = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((a - b) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error.

    Examples
    --------
    >>> mae([1, 2, 3], [1, 2, 5])
    0.6666666666666666
    """
    a, b = _pair(y_true, y_pred)
    return float(np.mean(np.abs(a - b)))


def thresholded_accuracy(y_true, y_pred, threshold=3.5) -> float:
    """Fraction of ratings whose "liked" status (``>= threshold``) is predicted right.

    Examples
    --------
    >>> thresholded_accuracy([5, 1, 4], [4.2, 2.0, 3.0])
    0.6666666666666666
    """
    a, b = _pair(y_true, y_pred)
    t = check_scalar(threshold, "threshold")
    return float(np.mean((a >= t) == (b >= t)))


def _ranked(X, y_true, y_pred, k):
    X = _check_X(X)
    a, b = _pair(y_true, y_pred)
    if X.shape[0] != a.shape[0]:
        raise ValueError("X and y_true must have the same length")
    k = check_int(k, "k", min_value=1)
    order = np.lexsort((-b, X[:, 0]))
    users = X[order, 0]
    start = np.r_[0, np.flatnonzero(np.diff(users)) + 1]
    sizes = np.diff(np.r_[start, users.size])
    rank = np.arange(users.size) - np.repeat(start, sizes)
    group = np.repeat(np.arange(start.size), sizes)
    return a[order], rank, group, start.size, k


def precision_at_k(X, y_true, y_pred, k=10, threshold=3.5) -> float:
    """Mean over users of the fraction of their top-``k`` predicted items that are relevant.

    Relevant means ``y_true >= threshold``; a user with fewer than ``k`` test items is
    scored on the items they have (Surprise's convention).

    Examples
    --------
    >>> X = [[0, 0], [0, 1], [0, 2]]
    >>> precision_at_k(X, [5, 1, 4], [4.9, 4.5, 1.0], k=2)
    0.5
    """
    a, rank, group, n_users, k = _ranked(X, y_true, y_pred, k)
    top = rank < k
    hits = np.bincount(group, top & (a >= threshold), n_users)
    return float(np.mean(hits / np.bincount(group, top, n_users)))


def recall_at_k(X, y_true, y_pred, k=10, threshold=3.5) -> float:
    """Mean over users with a relevant item of the fraction of them found in the top ``k``.

    Examples
    --------
    >>> X = [[0, 0], [0, 1], [0, 2]]
    >>> recall_at_k(X, [5, 1, 4], [4.9, 4.5, 1.0], k=2)
    0.5
    """
    a, rank, group, n_users, k = _ranked(X, y_true, y_pred, k)
    rel = a >= threshold
    hits = np.bincount(group, (rank < k) & rel, n_users)
    n_rel = np.bincount(group, rel, n_users)
    ok = n_rel > 0
    return float(np.mean(hits[ok] / n_rel[ok])) if ok.any() else 0.0


def ndcg_at_k(X, y_true, y_pred, k=10) -> float:
    """Mean over users of NDCG@k with the true ratings as gains.

    Examples
    --------
    >>> ndcg_at_k([[0, 0], [0, 1]], [5, 1], [4.0, 3.0], k=2)
    1.0
    """
    a, rank, group, n_users, k = _ranked(X, y_true, y_pred, k)
    disc = np.where(rank < k, 1.0 / np.log2(rank + 2.0), 0.0)
    dcg = np.bincount(group, a * disc, n_users)
    # ideal: sort true ratings within each user
    order = np.lexsort((-a, group))
    ideal = np.bincount(group[order], a[order] * disc, n_users)
    return float(np.mean(np.where(ideal > 0, dcg / np.where(ideal > 0, ideal, 1), 0.0)))


# ----------------------------------------------------------------------------- evaluation
def kfold_split(X, y, n_splits=5, random_state=0):
    """Shuffled K-fold split of the ratings: a list of ``(train_idx, test_idx)``.

    Examples
    --------
    >>> folds = kfold_split([[0, 0]] * 10, np.ones(10), n_splits=5, random_state=0)
    >>> [len(te) for _, te in folds]
    [2, 2, 2, 2, 2]
    """
    X, y = _check_Xy(X, y)
    n_splits = check_int(n_splits, "n_splits", min_value=2, max_value=max(2, y.size))
    perm = check_random_state(random_state).permutation(y.size)
    folds = np.array_split(perm, n_splits)
    return [(np.sort(np.concatenate(folds[:j] + folds[j + 1:])), np.sort(folds[j]))
            for j in range(n_splits)]


def cross_validate(model, X, y, n_splits=5, random_state=0, k=10, folds=None):
    """Fit a clone of ``model`` on each fold; return per-fold RMSE, MAE, precision@k, fit time.

    Returns
    -------
    dict of numpy arrays: ``rmse``, ``mae``, ``precision_at_k``, ``fit_time``.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(60, 50, random_state=0)
    >>> res = cross_validate(Baseline(), r.X, r.y, n_splits=3)
    >>> res["rmse"].shape
    (3,)
    """
    import time

    from sklearn.base import clone

    X, y = _check_Xy(X, y)
    folds = folds if folds is not None else kfold_split(X, y, n_splits, random_state)
    out = {"rmse": [], "mae": [], "precision_at_k": [], "fit_time": []}
    for tr, te in folds:
        est = clone(model)
        t0 = time.perf_counter()
        est.fit(X[tr], y[tr])
        out["fit_time"].append(time.perf_counter() - t0)
        p = est.predict(X[te])
        out["rmse"].append(rmse(y[te], p))
        out["mae"].append(mae(y[te], p))
        out["precision_at_k"].append(precision_at_k(X[te], y[te], p, k=k))
    return {key: np.array(v) for key, v in out.items()}


def explain_factors(model, item_names=None, n=5):
    """The items at both ends of each latent factor of a fitted model.

    Returns a list with, per factor, ``(top_names, bottom_names)``: the ``n`` items with
    the largest and the smallest loading. ``item_names`` maps the model's raw item ids
    to names (a dict or a callable); by default the ids themselves.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(60, 50, random_state=0)
    >>> ends = explain_factors(ALS(n_factors=2).fit(r.X, r.y), n=3)
    >>> len(ends), len(ends[0][0])
    (2, 3)
    """
    if not hasattr(model, "item_factors_"):
        raise ValueError("model must be a fitted factor model (with item_factors_)")
    n = check_int(n, "n", min_value=1)
    Q = model.item_factors_
    ids = model.items_
    if item_names is None:
        name = int
    elif callable(item_names):
        name = item_names
    else:
        name = lambda j: item_names.get(int(j), str(j))  # noqa: E731
    out = []
    for f in range(Q.shape[1]):
        order = np.argsort(Q[:, f])
        out.append(([name(j) for j in ids[order[::-1][:n]]], [name(j) for j in ids[order[:n]]]))
    return out
