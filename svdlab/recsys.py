"""Rating prediction by matrix factorization (chapter 6.1), with scikit-learn conventions.

Every estimator takes ``X``, an int array of shape ``(n, 2)`` holding raw (user, item)
ids (any integers, mapped internally), and ``y``, the ratings. Unknown users or items at
predict time fall back to the learned biases; predictions are clipped to the rating
range seen in ``y``.

Nothing loops over ratings in Python: biases and ALS use sparse products and batched
``numpy.linalg.solve``; :class:`FunkSVD` uses *mini-batch* SGD (all ratings of a batch
are updated at once from the same parameters, and updates of a user or item appearing
several times in a batch are summed), which is the one departure from Funk's one-rating
SGD.

Taught in chapter 6.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import svds
from sklearn.base import BaseEstimator, RegressorMixin

from ._validation import check_array, check_int, check_random_state, check_rank, check_scalar

__all__ = [
    "GlobalMean", "Baseline", "ImputedSVD", "FunkSVD", "ALS", "SoftImpute",
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
        return u, i, y

    def _lookup(self, X):
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
        u, i, y = self._index(X, y)
        self.user_bias_ = np.zeros(len(self.users_))
        self.item_bias_ = np.zeros(len(self.items_))
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
        u, i, y = self._index(X, y)
        self.user_bias_, self.item_bias_ = self._biases(
            u, i, y, len(self.users_), len(self.items_),
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
        u, i, y = self._index(X, y)
        m, n = len(self.users_), len(self.items_)
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
        u, i, y = self._index(X, y)
        m, n = len(self.users_), len(self.items_)
        k = check_int(self.n_factors, "n_factors", min_value=1)
        epochs = check_int(self.n_epochs, "n_epochs", min_value=1)
        lr = check_scalar(self.lr, "lr", low=0.0, include_low=False)
        reg = check_scalar(self.reg, "reg", low=0.0)
        B = check_int(self.batch_size, "batch_size", min_value=1)
        decay = check_scalar(self.decay, "decay", low=0.0, high=1.0, include_low=False)
        rng = check_random_state(self.random_state)
        P = rng.normal(0, self.init_std, (m, k))
        Q = rng.normal(0, self.init_std, (n, k))
        bu, bi = np.zeros(m), np.zeros(n)
        mu = self.global_mean_
        self.train_rmse_ = []
        for _ in range(epochs):
            order = rng.permutation(y.size)
            for start in range(0, y.size, B):
                b = order[start:start + B]
                ub, ib, rb = u[b], i[b], y[b]
                pu, qi = P[ub], Q[ib]
                e = rb - (mu + bu[ub] + bi[ib] + np.einsum("nk,nk->n", pu, qi))
                bu += lr * np.bincount(ub, e - reg * bu[ub], m)
                bi += lr * np.bincount(ib, e - reg * bi[ib], n)
                np.add.at(P, ub, lr * (e[:, None] * qi - reg * pu))
                np.add.at(Q, ib, lr * (e[:, None] * pu - reg * qi))
            lr *= decay
            pred = mu + bu[u] + bi[i] + np.einsum("nk,nk->n", P[u], Q[i])
            self.train_rmse_.append(float(np.sqrt(np.mean((y - pred) ** 2))))
        self.user_factors_, self.item_factors_ = P, Q
        self.user_bias_, self.item_bias_ = bu, bi
        return self


def _als_half(M, F, r_csr, lam, counts):
    """Solve for all rows at once: (F_S^T F_S + lam n I) x = F_S^T r, for every row's set S.

    ``M`` is the 0/1 sparse incidence (rows x cols), ``F`` the (cols, d) fixed factors.
    The Gram matrices come from one sparse-dense product with the outer products of F.
    """
    d = F.shape[1]
    outer = np.einsum("ni,nj->nij", F, F).reshape(F.shape[0], d * d)
    G = (M @ outer).reshape(-1, d, d)
    G += (lam * np.maximum(counts, 1))[:, None, None] * np.eye(d)
    rhs = r_csr @ F
    return np.linalg.solve(G, rhs[..., None])[..., 0]


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
        u, i, y = self._index(X, y)
        m, n = len(self.users_), len(self.items_)
        k = check_int(self.n_factors, "n_factors", min_value=1)
        lam = check_scalar(self.reg, "reg", low=0.0, include_low=False)
        n_iter = check_int(self.n_iter, "n_iter", min_value=1)
        rng = check_random_state(self.random_state)
        mu = self.global_mean_
        ones = np.ones(y.size)
        Mu = sparse.csr_matrix((ones, (u, i)), shape=(m, n))
        Mi = Mu.T.tocsr()
        nu, ni = np.bincount(u, minlength=m), np.bincount(i, minlength=n)
        P = np.hstack([rng.normal(0, 0.1, (m, k)), np.zeros((m, 1))])   # [p_u, b_u]
        Q = np.hstack([rng.normal(0, 0.1, (n, k)), np.zeros((n, 1))])   # [q_i, b_i]
        for _ in range(n_iter):
            # users: features [q_i, 1], target r - mu - b_i
            F = np.hstack([Q[:, :k], np.ones((n, 1))])
            t = y - mu - Q[i, k]
            P = _als_half(Mu, F, sparse.csr_matrix((t, (u, i)), shape=(m, n)), lam, nu)
            F = np.hstack([P[:, :k], np.ones((m, 1))])
            t = y - mu - P[u, k]
            Q = _als_half(Mi, F, sparse.csr_matrix((t, (i, u)), shape=(n, m)), lam, ni)
        self.user_factors_, self.user_bias_ = P[:, :k], P[:, k]
        self.item_factors_, self.item_bias_ = Q[:, :k], Q[:, k]
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
        u, i, y = self._index(X, y)
        m, n = len(self.users_), len(self.items_)
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
