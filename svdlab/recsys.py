"""Rating prediction and top-N recommendation by matrix factorization (chapter 6.1).

Every estimator takes ``X``, an int array of shape ``(n, 2)`` holding raw (user, item)
ids (any integers, negative ones included: they are mapped to positions internally),
and ``y``, the ratings. Unknown users or items at predict time fall back to the learned
biases; predictions are clipped to the rating range seen in ``y``.

Rating models (scikit-learn regressors, scored by RMSE): :class:`GlobalMean`,
:class:`Baseline`, :class:`ImputedSVD` (the mean-filled SVD, as the baseline it is),
:class:`FunkSVD`, :class:`ALS`, :class:`SoftImpute`, :class:`SVDpp` (with the
implicit-feedback term) and :class:`BayesianMF` (Gibbs sampling).

Ranking models (scores, not ratings; judged by :func:`top_n_metrics` over all the items a
user has not rated): :class:`Popularity`, :class:`PureSVD` (the zero-filled SVD of
Cremonesi, Koren and Turrin) and :class:`ImplicitALS` (Hu, Koren and Volinsky's
weighted matrix factorization of implicit feedback). Every model has ``score_items``,
so rating models are ranked the same way.

Nothing loops over ratings in Python: biases, ALS, SVD++, implicit ALS and the Gibbs
sampler use sparse products and batched ``numpy.linalg.solve``/``cholesky`` over all
users or items at once; :class:`FunkSVD` uses *mini-batch* SGD (all ratings of a batch
are updated at once from the same parameters, and updates of a user or item appearing
several times in a batch are summed), its one departure from Funk's one-rating SGD.
:class:`SVDpp` minimizes Koren's objective by blocks (ridge solves and conjugate
gradients) instead of his SGD.

Long fits take ``verbose=True`` for a progress bar with the current loss
(:func:`svdlab._progress.progress`).

Taught in chapter 6.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import svds
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from ._progress import progress
from ._validation import (
    check_array,
    check_fraction,
    check_int,
    check_option,
    check_random_state,
    check_rank,
    check_scalar,
)

__all__ = [
    "GlobalMean", "Baseline", "ImputedSVD", "FunkSVD", "ALS", "SoftImpute", "SVDpp",
    "BayesianMF", "Popularity", "PureSVD", "ImplicitALS",
    "rmse", "mae", "thresholded_accuracy", "precision_at_k", "recall_at_k", "ndcg_at_k",
    "top_n_metrics", "kfold_split", "train_validation_split", "cross_validate", "tune",
    "TuneResult", "explain_factors", "canonical_factors", "CanonicalFactors", "split_rhat",
    "geweke_z",
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
    return arr.astype(np.int64)


def _check_Xy(X, y):
    X = _check_X(X)
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have the same length, got {X.shape[0]} and {y.shape[0]}")
    return X, y.astype(np.float64)


def _check_factors(k, m, n, name="n_factors"):
    """A number of factors is a rank: at most min(n_users, n_items).

    More factors than that cannot raise the rank of the fit, and the batched Gram
    matrices cost ``8 (n_users + n_items) (k + 1)^2`` bytes: ``ALS(n_factors=1000)`` on
    300 users would allocate 2.4 GB for nothing.
    """
    return check_rank(k, (m, n), name)


class _Base(BaseEstimator):
    """Shared id mapping and item scoring of every model."""

    def _index(self, X, y):
        X, y = _check_Xy(X, y)
        self.users_, u = np.unique(X[:, 0], return_inverse=True)
        self.items_, i = np.unique(X[:, 1], return_inverse=True)
        self.rating_range_ = (float(y.min()), float(y.max()))
        self.global_mean_ = float(y.mean())
        self.item_counts_ = np.bincount(i, minlength=len(self.items_))
        self.n_features_in_ = 2
        return u, i, y, len(self.users_), len(self.items_)

    def _lookup(self, X):
        check_is_fitted(self, "users_")
        X = _check_X(X)
        return self._find(X[:, 0], self.users_), self._find(X[:, 1], self.items_)

    @staticmethod
    def _find(ids, ref):
        pos = np.searchsorted(ref, ids).clip(0, len(ref) - 1)
        return np.where(ref[pos] == ids, pos, -1)

    def user_index(self, user_ids):
        """Positions of raw user ids among ``users_`` (-1 for users unseen in training)."""
        check_is_fitted(self, "users_")
        ids = check_array(np.atleast_1d(user_ids), "user_ids", ndim=1, dtype="int")
        return self._find(ids, self.users_)

    def score_items(self, users):
        """Scores of every fitted item (``items_``) for the users at positions ``users``.

        Returns an array of shape ``(len(users), len(items_))``; a higher score means a
        stronger recommendation. For rating models the score is the unclipped predicted
        rating. Used by :func:`top_n_metrics` and :meth:`recommend`.
        """
        check_is_fitted(self, "users_")
        users = np.asarray(users, dtype=np.int64)
        return self._scores(users)

    def recommend(self, user_id, n=10, exclude=None):
        """The ``n`` raw item ids with the highest scores for one raw ``user_id``.

        ``exclude`` is an optional array of raw item ids left out (usually the items the
        user rated in training). A user unseen in training gets the scores of an
        average user (biases only, or popularity).
        """
        n = check_int(n, "n", min_value=1)
        pos = int(self.user_index([user_id])[0])
        if pos >= 0:
            s = self.score_items([pos])[0]
        else:
            s = self._cold_scores()
        if exclude is not None:
            ex = self._find(check_array(np.atleast_1d(exclude), "exclude", ndim=1,
                                        dtype="int"), self.items_)
            s = s.copy()
            s[ex[ex >= 0]] = -np.inf
        top = np.argsort(-s, kind="stable")[:n]
        return self.items_[top[np.isfinite(s[top])]]


class _Recommender(RegressorMixin, _Base):
    """Shared clipping and bias fallback of the rating models."""

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
        if hasattr(self, "user_factors_"):
            out[ok] = np.einsum("nk,nk->n", self.user_factors_[uu[ok]],
                                self.item_factors_[ii[ok]])
        return out

    def _scores(self, users):
        s = self.global_mean_ + self.user_bias_[users][:, None] + self.item_bias_[None, :]
        if hasattr(self, "user_factors_"):
            s = s + self.user_factors_[users] @ self.item_factors_.T
        return s

    def _cold_scores(self):
        return self.global_mean_ + self.item_bias_

    def predict(self, X):
        """Predicted ratings for the (user, item) pairs in ``X``."""
        uu, ii = self._lookup(X)
        return self._clip(self._base(uu, ii) + self._factor_term(uu, ii))

    def score(self, X, y, sample_weight=None):
        """Minus the RMSE on ``(X, y)`` (higher is better, as scikit-learn expects)."""
        return -rmse(y, self.predict(X))


class GlobalMean(_Recommender):
    """Predict the mean rating for everyone: the floor every model must beat.

    Attributes
    ----------
    global_mean_ : float
        The mean training rating.

    Taught in chapter 6.

    Examples
    --------
    >>> GlobalMean().fit([[0, 0], [1, 1]], [2.0, 4.0]).predict([[5, 5]])
    array([3.])
    """

    def fit(self, X, y):
        """Store the mean of ``y`` (the ids of ``X`` only fix the known users and items).

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,)
            Their ratings.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        _, _, _, m, n = self._index(X, y)
        self.user_bias_, self.item_bias_ = np.zeros(m), np.zeros(n)
        return self

    def predict(self, X):
        """The global mean for every pair of ``X``.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.

        Returns
        -------
        ndarray, shape (n_pairs,)
            The training mean for every pair.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        """
        uu, ii = self._lookup(X)
        return self._clip(np.full(uu.shape[0], self.global_mean_))


class Baseline(_Recommender):
    r"""Biases only: $\hat r_{ui} = \mu + b_u + b_i$, fitted by regularized ALS.

    Parameters
    ----------
    reg_user, reg_item : float
        Ridge penalties $\lambda_u$, $\lambda_i$ on the biases.
    n_iter : int
        Alternating sweeps (items, then users).

    Attributes
    ----------
    user_bias_, item_bias_ : ndarray
        The fitted $b_u$ and $b_i$.

    Raises
    ------
    ValueError
        On a negative penalty or ``n_iter < 1``.

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
        """Fit the biases to the ratings ``y`` of the pairs ``X``.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,)
            Their ratings.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        u, i, y, m, n = self._index(X, y)
        self.user_bias_, self.item_bias_ = self._biases(
            u, i, y, m, n,
            check_scalar(self.reg_user, "reg_user", low=0.0),
            check_scalar(self.reg_item, "reg_item", low=0.0),
            check_int(self.n_iter, "n_iter", min_value=1))
        return self

    def predict(self, X):
        """$\\mu + b_u + b_i$ for the pairs of ``X``, clipped to the rating range.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.

        Returns
        -------
        ndarray, shape (n_pairs,)
            Baseline ratings, clipped to the training range.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        """
        uu, ii = self._lookup(X)
        return self._clip(self._base(uu, ii))


def _truncated_svd(R, k):
    """Top-``k`` SVD of a (sparse or dense) matrix, largest first, in the package's signs."""
    from .linalg import sign_flip

    if k < min(R.shape) - 1:
        # ARPACK from a fixed start vector: the result does not depend on a global seed
        v0 = np.full(min(R.shape), 1.0 / np.sqrt(min(R.shape)))
        U, s, Vt = svds(R, k=k, v0=v0)
        order = np.argsort(s)[::-1]
        U, s, Vt = U[:, order], s[order], Vt[order]
    else:
        dense = R.toarray() if sparse.issparse(R) else R
        U, s, Vt = np.linalg.svd(dense, full_matrices=False)
        U, s, Vt = U[:, :k], s[:k], Vt[:k]
    U, Vt = sign_flip(U, Vt)
    return U, s, Vt


class ImputedSVD(_Recommender):
    """The naive approach: fill the missing ratings, take a truncated SVD.

    The missing entries are filled with the baseline prediction (not with zeros or a
    single mean), the filled matrix is centred on the baseline, and the rank-``k``
    SVD of that residual is added back. Filling treats "missing" as "average", which
    shrinks the factors towards zero: it is the baseline the factor models must beat.

    Parameters
    ----------
    n_factors : int
        Rank of the truncated SVD.
    reg : float
        Ridge penalty of the baseline biases.

    Attributes
    ----------
    user_factors_ : ndarray (n_users, n_factors)
        $U_k\\Sigma_k$ of the filled residual.
    item_factors_ : ndarray (n_items, n_factors)
        $V_k$.
    user_bias_, item_bias_ : ndarray
        The baseline biases.

    Raises
    ------
    ValueError
        If ``n_factors`` exceeds min(n_users, n_items).

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
        """Fill, centre and factor the rating matrix of ``(X, y)``.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,)
            Their ratings.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        u, i, y, m, n = self._index(X, y)
        k = check_rank(self.n_factors, (m, n), "n_factors")
        reg = check_scalar(self.reg, "reg", low=0.0)
        self.user_bias_, self.item_bias_ = self._biases(u, i, y, m, n, reg, reg)
        resid = y - (self.global_mean_ + self.user_bias_[u] + self.item_bias_[i])
        R = sparse.csr_matrix((resid, (u, i)), shape=(m, n))
        U, s, Vt = _truncated_svd(R, k)
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
    fitted parameters scaled back. A descent that diverges raises an error naming
    ``lr`` instead of returning garbage (and without NumPy's overflow warnings first).

    Parameters
    ----------
    n_factors : int
        Number of latent factors.
    n_epochs : int
        Passes over the ratings.
    lr : float
        Initial learning rate (standardized units).
    reg : float
        Ridge penalty $\lambda$.
    batch_size : int
        Ratings per SGD step.
    decay : float
        Learning-rate factor per epoch, in (0, 1].
    init_std : float
        Standard deviation of the initial factors.
    random_state : int, Generator or None
        Seed of the initial factors and of the shuffles.
    verbose : bool
        Show a progress bar with the training RMSE.

    Attributes
    ----------
    user_factors_, item_factors_, user_bias_, item_bias_ : ndarray
        The fitted parameters, in rating units.
    train_rmse_ : list of float
        Training RMSE after each epoch.

    Raises
    ------
    ValueError
        On a non-positive ``lr`` and other out-of-range hyperparameters.
    FloatingPointError
        If the descent diverges.

    References
    ----------
    S. Funk, "Netflix update: try this at home", 2006. Y. Koren, R. Bell and
    C. Volinsky, "Matrix factorization techniques for recommender systems", IEEE
    Computer 42(8), 2009.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(80, 60, random_state=0)
    >>> m = FunkSVD(n_factors=4, n_epochs=5, random_state=0).fit(r.X, r.y)
    >>> m.user_factors_.shape[1], len(m.train_rmse_)
    (4, 5)
    """

    def __init__(self, n_factors=50, n_epochs=40, lr=0.01, reg=0.05, batch_size=256,
                 decay=0.97, init_std=0.1, random_state=0, verbose=False):
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.lr = lr
        self.reg = reg
        self.batch_size = batch_size
        self.decay = decay
        self.init_std = init_std
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Run the mini-batch SGD on the ratings ``y`` of the pairs ``X``.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,)
            Their ratings.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        u, i, y, m, n = self._index(X, y)
        k = _check_factors(self.n_factors, m, n)
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
        bar = progress(range(epochs), verbose=self.verbose, desc="FunkSVD")
        for _ in bar:
            order = rng.permutation(y.size)
            # a diverging descent overflows; the check after the epoch reports it by name
            with np.errstate(over="ignore", invalid="ignore"):
                for start in range(0, y.size, B):
                    b = order[start:start + B]
                    ub, ib, rb = u[b], i[b], z[b]
                    pu, qi = P[ub], Q[ib]
                    e = rb - (bu[ub] + bi[ib] + np.einsum("nk,nk->n", pu, qi))
                    bu += lr * np.bincount(ub, e - reg * bu[ub], m)
                    bi += lr * np.bincount(ib, e - reg * bi[ib], n)
                    _scatter_add(P, ub, lr * (e[:, None] * qi - reg * pu))
                    _scatter_add(Q, ib, lr * (e[:, None] * pu - reg * qi))
                pred = bu[u] + bi[i] + np.einsum("nk,nk->n", P[u], Q[i])
                err = float(scale * np.sqrt(np.mean((z - pred) ** 2)))
            lr *= decay
            self.train_rmse_.append(err)
            bar.set_postfix(train_rmse=err)
            if not np.isfinite(err) or err > 1e3 * scale:
                raise FloatingPointError(
                    f"FunkSVD diverged (training error {err:.3g} after {len(self.train_rmse_)}"
                    f" epochs): lower lr (now {self.lr}) or batch_size ({B})")
        root = np.sqrt(scale)
        self.user_factors_, self.item_factors_ = P * root, Q * root
        self.user_bias_, self.item_bias_ = bu * scale, bi * scale
        return self


def _scatter_add(A, rows, G):
    """``A[rows] += G`` with repeated rows summed (as ``np.add.at``, several times faster).

    Sort the rows, sum each run of equal rows with ``np.add.reduceat``, add once per row.
    """
    order = np.argsort(rows, kind="stable")
    r = rows[order]
    start = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    A[r[start]] += np.add.reduceat(G[order], start, axis=0)


def _grams(M, F):
    """Batched Gram matrices: ``G[r] = sum_c M[r, c] F_c F_c^T`` for each row r of ``M``.

    One sparse-dense product with the row-wise outer products of ``F`` (shape (cols, d))
    gives all of them at once: no Python loop over users or items. With a 0/1 incidence
    ``M`` this is ``F_S^T F_S``; with weights it is ``F_S^T diag(w) F_S``.
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


def _residual(y, mu, P, Q, u, i, k):
    return y - mu - P[u, k] - Q[i, k] - np.einsum("nk,nk->n", P[u, :k], Q[i, :k])


class ALS(_Recommender):
    r"""Biased matrix factorization by alternating least squares with weighted-$\lambda$.

    Each half-step solves, for all users at once, $\min_{p_u, b_u} \sum_{i \in I_u}
    (r_{ui} - \mu - b_i - b_u - p_u^T q_i)^2 + \lambda n_u (\|p_u\|^2 + b_u^2)$ (and the
    same for items), with batched ``numpy.linalg.solve``.

    Parameters
    ----------
    n_factors : int
        Number of latent factors, at most min(n_users, n_items).
    reg : float
        The weighted-lambda penalty $\lambda$ (> 0).
    n_iter : int
        Sweeps (users, then items).
    random_state : int, Generator or None
        Seed of the initial factors.
    verbose : bool
        Show a progress bar with the training RMSE.

    Attributes
    ----------
    user_factors_, item_factors_, user_bias_, item_bias_ : ndarray
        The fitted parameters.
    train_rmse_ : list of float
        Training RMSE after each sweep.

    Raises
    ------
    ValueError
        If ``n_factors`` exceeds min(n_users, n_items) or ``reg <= 0``.

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

    def __init__(self, n_factors=10, reg=0.15, n_iter=15, random_state=0, verbose=False):
        self.n_factors = n_factors
        self.reg = reg
        self.n_iter = n_iter
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Alternate the batched ridge solves on ``(X, y)``.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,)
            Their ratings.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        u, i, y, m, n = self._index(X, y)
        k = _check_factors(self.n_factors, m, n)
        lam = check_scalar(self.reg, "reg", low=0.0, include_low=False)
        n_iter = check_int(self.n_iter, "n_iter", min_value=1)
        rng = check_random_state(self.random_state)
        mu = self.global_mean_
        pat = _Pattern(u, i, m, n)
        P, Q = _start(rng, m, k), _start(rng, n, k)   # rows [p_u, b_u] and [q_i, b_i]
        self.train_rmse_ = []
        bar = progress(range(n_iter), verbose=self.verbose, desc="ALS")
        for _ in bar:
            # users: features [q_i, 1], target r - mu - b_i; then items likewise
            P = _als_half(pat.Mu, _with_ones(Q[:, :k]), pat.by_user(y - mu - Q[i, k]),
                          lam, pat.nu)
            Q = _als_half(pat.Mi, _with_ones(P[:, :k]), pat.by_item(y - mu - P[u, k]),
                          lam, pat.ni)
            self.train_rmse_.append(float(np.sqrt(np.mean(_residual(y, mu, P, Q, u, i, k)
                                                          ** 2))))
            bar.set_postfix(train_rmse=self.train_rmse_[-1])
        self._store(P, Q)
        return self


class SoftImpute(_Recommender):
    r"""Nuclear-norm regularized completion of the residual after the baseline.

    Iterates $Z \leftarrow S_\lambda(P_\Omega(R) + P_\Omega^\perp(Z))$ where $S_\lambda$
    soft-thresholds the singular values (Mazumder, Hastie and Tibshirani 2010), keeping at
    most ``max_rank`` of them.

    Parameters
    ----------
    shrinkage : float
        The threshold $\lambda$ subtracted from every singular value.
    max_rank : int
        A cap on the number of singular values computed per step; clipped to
        min(n_users, n_items), so small data sets need no special setting.
    n_iter : int
        Iterations.
    reg_bias : float
        Ridge penalty of the baseline biases.
    verbose : bool
        Show a progress bar with the relative change of $Z$ and its rank.

    Attributes
    ----------
    rank_ : int
        Number of singular values left after thresholding.
    user_factors_, item_factors_ : ndarray
        $U\Sigma$ and $V$ of the final thresholded $Z$.
    change_ : list of float
        $\|Z_{t} - Z_{t-1}\|_F / \|Z_{t}\|_F$ per iteration.

    Raises
    ------
    ValueError
        On a negative ``shrinkage`` or ``max_rank < 1``.

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
    >>> SoftImpute().fit([[0, 0], [0, 1], [1, 0]], [4.0, 3.0, 5.0]).rank_ <= 2   # tiny data
    True
    """

    def __init__(self, shrinkage=15.0, max_rank=30, n_iter=15, reg_bias=5.0, verbose=False):
        self.shrinkage = shrinkage
        self.max_rank = max_rank
        self.n_iter = n_iter
        self.reg_bias = reg_bias
        self.verbose = verbose

    def fit(self, X, y):
        """Iterate the soft-thresholded SVD on the residual of ``(X, y)``.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,)
            Their ratings.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        u, i, y, m, n = self._index(X, y)
        lam = check_scalar(self.shrinkage, "shrinkage", low=0.0)
        r = min(check_int(self.max_rank, "max_rank", min_value=1), min(m, n))  # a cap
        n_iter = check_int(self.n_iter, "n_iter", min_value=1)
        reg = check_scalar(self.reg_bias, "reg_bias", low=0.0)
        self.user_bias_, self.item_bias_ = self._biases(u, i, y, m, n, reg, reg)
        resid = y - (self.global_mean_ + self.user_bias_[u] + self.item_bias_[i])
        Z = np.zeros((m, n))
        self.change_ = []
        bar = progress(range(n_iter), verbose=self.verbose, desc="SoftImpute")
        for _ in bar:
            filled = Z.copy()
            filled[u, i] = resid                 # P_Omega(R) + P_Omega^perp(Z)
            U, s, Vt = _truncated_svd(filled, r)
            s = np.maximum(s - lam, 0.0)
            Z_new = (U * s) @ Vt
            self.change_.append(float(np.linalg.norm(Z_new - Z)
                                      / max(np.linalg.norm(Z_new), np.finfo(float).tiny)))
            Z = Z_new
            bar.set_postfix(change=self.change_[-1], rank=int(np.sum(s > 0)))
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
    verbose : bool
        Show a progress bar with the objective.

    Attributes
    ----------
    user_factors_ : ndarray (n_users, n_factors)
        The effective user vectors $p_u + |N(u)|^{-1/2}\sum_{N(u)} y_j$.
    implicit_factors_ : ndarray (n_items, n_factors)
        The $y_j$.
    objective_, train_rmse_ : list of float
        Objective and training RMSE after each sweep.

    Raises
    ------
    ValueError
        If ``n_factors`` exceeds min(n_users, n_items) or a penalty is not positive.

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
                 random_state=0, verbose=False):
        self.n_factors = n_factors
        self.reg = reg
        self.reg_implicit = reg_implicit
        self.n_iter = n_iter
        self.cg_iter = cg_iter
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Minimize the SVD++ objective on ``(X, y)`` by blocks.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,)
            Their ratings.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        u, i, y, m, n = self._index(X, y)
        k = _check_factors(self.n_factors, m, n)
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
        bar = progress(range(n_iter), verbose=self.verbose, desc="SVDpp")
        for _ in bar:
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
            bar.set_postfix(objective=self.objective_[-1], train_rmse=self.train_rmse_[-1])
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

    **Burn-in.** The average is only a posterior mean if the kept draws come from the
    stationary distribution. From small random factors the chain needs a few hundred
    sweeps on MovieLens 100K before the noise precision and the training error stop
    drifting; started, as in the paper, from a regularized point estimate (``init="als"``,
    an :class:`ALS` fit) it needs a few dozen. ``rhat_`` reports the split-$\hat R$ of the
    kept part of each trace (:func:`split_rhat`): values near 1 say the first and second
    halves of the kept draws agree; :func:`geweke_z` compares the start and the end of the
    kept draws. Judge stationarity by identified quantities, functions of the predictions
    (``noise_precision_``, ``train_rmse_``, ``signal_rms_``): the norms of $P$ and $Q$
    separately are not identified ($P c$, $Q / c$ give the same ratings), nor is the split
    of the signal between the biases and $p_u^\top q_i$ (a constant part of the factors
    acts as a bias), and those drift freely.

    Parameters
    ----------
    n_factors : int
        Number of latent factors.
    n_samples : int
        Number of posterior draws averaged for prediction.
    burn_in : int
        Sweeps discarded first.
    init : {"als", "random"}
        Start from an :class:`ALS` fit with the same number of factors (the paper's
        choice), or from small Gaussian factors.
    noise_precision : float or None
        Fix $\alpha$ (e.g. 2, the paper's value); ``None`` samples it.
    random_state : int, Generator or None
        Seed of the sampler (and of the ALS start).
    verbose : bool
        Show a progress bar with the training RMSE and $\alpha$ of the current draw.

    Attributes
    ----------
    user_samples_, item_samples_ : ndarray (n_samples, n, n_factors + 1), float32
        The kept draws of $[p_u, b_u]$ and $[q_i, b_i]$ (memory:
        ``4 n_samples (n_users + n_items)(n_factors + 1)`` bytes).
    user_factors_, item_factors_, user_bias_, item_bias_ : ndarray
        Posterior means (used by :func:`explain_factors` and for unknown ids).
    noise_precision_ : ndarray (burn_in + n_samples,)
        The trace of $\alpha$ over every sweep, burn-in included.
    train_rmse_ : ndarray (burn_in + n_samples,)
        Training RMSE of each sweep's draw.
    signal_rms_ : ndarray (burn_in + n_samples,)
        Root mean square over the training pairs of the predicted deviation from the mean,
        $b_u + b_i + p_u^\top q_i$ (identified).
    interaction_rms_ : ndarray (burn_in + n_samples,)
        Root mean square of $p_u^\top q_i$ alone (not identified: it trades with the biases).
    user_norm_, item_norm_ : ndarray (burn_in + n_samples,)
        Root mean square of $\|p_u\|$ and of $\|q_i\|$ (not identified separately).
    rhat_ : dict
        Split-$\hat R$ of the kept draws of the six traces above.

    Raises
    ------
    ValueError
        On ``n_samples < 1``, ``burn_in < 0``, a non-positive ``noise_precision`` or
        ``n_factors`` above min(n_users, n_items).

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
    >>> m.noise_precision_.shape                               # every sweep is traced
    (25,)
    """

    def __init__(self, n_factors=10, n_samples=100, burn_in=100, init="als",
                 noise_precision=None, random_state=0, verbose=False):
        self.n_factors = n_factors
        self.n_samples = n_samples
        self.burn_in = burn_in
        self.init = init
        self.noise_precision = noise_precision
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Run the Gibbs sampler on ``(X, y)`` and keep the draws after burn-in.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,)
            Their ratings.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        u, i, y, m, n = self._index(X, y)
        k = _check_factors(self.n_factors, m, n)
        n_samples = check_int(self.n_samples, "n_samples", min_value=1)
        burn_in = check_int(self.burn_in, "burn_in", min_value=0)
        check_option(self.init, "init", ("als", "random"))
        fixed = self.noise_precision is not None
        alpha = (check_scalar(self.noise_precision, "noise_precision", low=0.0,
                              include_low=False) if fixed else 1.0)
        rng = check_random_state(self.random_state)
        mu, d = self.global_mean_, k + 1
        pat = _Pattern(u, i, m, n)
        if self.init == "als":
            start = ALS(n_factors=k, random_state=rng).fit(X, y)
            P = np.hstack([start.user_factors_, start.user_bias_[:, None]])
            Q = np.hstack([start.item_factors_, start.item_bias_[:, None]])
            if not fixed:   # the noise precision of the point estimate's residual
                e = _residual(y, mu, P, Q, u, i, k)
                alpha = 1.0 / max(float(np.mean(e ** 2)), np.finfo(float).tiny)
        else:
            P, Q = _start(rng, m, k), _start(rng, n, k)   # rows [p_u, b_u] and [q_i, b_i]
        Ps = np.empty((n_samples, m, d), np.float32)
        Qs = np.empty((n_samples, n, d), np.float32)
        trace = {key: np.empty(burn_in + n_samples) for key in
                 ("noise_precision", "train_rmse", "signal_rms", "interaction_rms", "user_norm",
                  "item_norm")}
        bar = progress(range(burn_in + n_samples), verbose=self.verbose, desc="BayesianMF")
        for s in bar:
            mean, Lam = _sample_hyper(rng, P, 2.0, d)
            P = _sample_half(rng, pat.Mu, _with_ones(Q[:, :k]), pat.by_user(y - mu - Q[i, k]),
                             alpha, mean, Lam)
            mean, Lam = _sample_hyper(rng, Q, 2.0, d)
            Q = _sample_half(rng, pat.Mi, _with_ones(P[:, :k]), pat.by_item(y - mu - P[u, k]),
                             alpha, mean, Lam)
            dot = np.einsum("nk,nk->n", P[u, :k], Q[i, :k])
            e = y - mu - P[u, k] - Q[i, k] - dot
            if not fixed:
                alpha = rng.gamma(1.0 + y.size / 2, 1.0 / (1.0 + e @ e / 2))
            trace["noise_precision"][s] = alpha
            trace["train_rmse"][s] = np.sqrt(np.mean(e ** 2))
            trace["signal_rms"][s] = np.sqrt(np.mean((y - mu - e) ** 2))
            trace["interaction_rms"][s] = np.sqrt(np.mean(dot ** 2))
            trace["user_norm"][s] = np.sqrt(np.mean(np.sum(P[:, :k] ** 2, axis=1)))
            trace["item_norm"][s] = np.sqrt(np.mean(np.sum(Q[:, :k] ** 2, axis=1)))
            bar.set_postfix(train_rmse=trace["train_rmse"][s], alpha=alpha)
            if s >= burn_in:
                Ps[s - burn_in], Qs[s - burn_in] = P, Q
        self.user_samples_, self.item_samples_ = Ps, Qs
        for key, values in trace.items():
            setattr(self, key + "_", values)
        self.rhat_ = ({key: split_rhat(values[burn_in:]) for key, values in trace.items()}
                      if n_samples >= 4 else {})
        Pm, Qm = Ps.mean(0, dtype=np.float64), Qs.mean(0, dtype=np.float64)
        self._store(Pm, Qm)
        return self

    def predict_draws(self, X):
        """Unclipped predictions of every kept draw, shape ``(n_samples, len(X))``.

        ``predict`` is their mean, clipped to the rating range. Unknown users or items
        get the posterior-mean biases in every draw.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.

        Returns
        -------
        ndarray, shape (n_samples, n_pairs)
            One row of predictions per kept draw of the chain.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the sampler has not been run.
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
        """Posterior-mean predicted ratings (the average over draws), clipped.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.

        Returns
        -------
        ndarray, shape (n_pairs,)
            Posterior-mean ratings, clipped to the training range.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        """
        X = _check_X(X)   # in chunks, so memory stays n_samples x 4096 whatever len(X)
        out = [self.predict_draws(X[c:c + 4096]).mean(axis=0) for c in range(0, len(X), 4096)]
        return self._clip(np.concatenate(out) if out else np.zeros(0))

    def _scores(self, users):
        # the posterior mean of b_u + b_i + p_u.q_i: one product of the stacked draws
        S, _, d = self.user_samples_.shape
        P = np.moveaxis(self.user_samples_[:, users], 0, 1).astype(np.float64)
        Q = np.moveaxis(self.item_samples_, 0, 1).astype(np.float64)
        Pf, Qf = P[..., :d - 1].reshape(len(users), -1), Q[..., :d - 1].reshape(Q.shape[0], -1)
        return (self.global_mean_ + P[..., d - 1].mean(1)[:, None]
                + Q[..., d - 1].mean(1)[None, :] + Pf @ Qf.T / S)


# ----------------------------------------------------------------------------- MCMC checks
def split_rhat(trace, n_splits=2) -> float:
    r"""Split-$\hat R$ of one or several Markov chains (Gelman et al., BDA3, section 11.4).

    Each chain (a row of ``trace``; a 1-D trace is one chain) is cut into ``n_splits``
    equal segments, and the segments are compared as if they were separate chains:
    $\hat R = \sqrt{\hat V^+ / W}$ with $W$ the mean within-segment variance and
    $\hat V^+ = \frac{n-1}{n} W + B/n$, $B/n$ the variance of the segment means. A chain
    still drifting has segments with different means, so $\hat R > 1$; stationary,
    well-mixed chains give values near 1 (1.1 is the classic threshold; 1.01 needs
    many more draws than a chapter can afford).

    Parameters
    ----------
    trace : array_like, shape (n_draws,) or (n_chains, n_draws)
        The draws of one scalar quantity.
    n_splits : int
        Segments per chain (2 in BDA3).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a segment would hold fewer than 2 draws.

    References
    ----------
    A. Gelman, J. B. Carlin, H. S. Stern, D. B. Dunson, A. Vehtari and D. B. Rubin,
    *Bayesian Data Analysis*, 3rd ed., CRC Press, 2013.

    Taught in chapter 6.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bool(split_rhat(rng.normal(size=1000)) < 1.01)       # white noise: stationary
    True
    >>> bool(split_rhat(np.linspace(0, 1, 1000)) > 1.5)       # a trend: not stationary
    True
    """
    x = check_array(trace, "trace", ndim=(1, 2))
    x = x[None, :] if x.ndim == 1 else x
    n_splits = check_int(n_splits, "n_splits", min_value=1)
    n = x.shape[1] // n_splits
    if n < 2:
        raise ValueError(f"trace must have at least {2 * n_splits} draws per chain, "
                         f"got {x.shape[1]}")
    segs = x[:, :n * n_splits].reshape(x.shape[0] * n_splits, n)
    W = float(segs.var(axis=1, ddof=1).mean())
    if segs.shape[0] < 2 or W == 0.0:
        return 1.0 if W == 0.0 and np.ptp(segs.mean(axis=1)) == 0 else float("inf")
    B_over_n = float(segs.mean(axis=1).var(ddof=1))
    return float(np.sqrt(((n - 1) / n * W + B_over_n) / W))


def _var_of_mean(x):
    """Variance of the mean of an autocorrelated series (Geyer's initial positive sequence)."""
    x = x - x.mean()
    n = x.size
    f = np.fft.rfft(x, 2 * n)
    acov = np.fft.irfft(f * np.conj(f), 2 * n)[:n] / n
    if acov[0] <= 0:
        return 0.0
    rho = acov / acov[0]
    pairs = rho[:2 * (n // 2)].reshape(-1, 2).sum(axis=1)
    stop = int(np.argmax(pairs <= 0)) if np.any(pairs <= 0) else pairs.size
    tau = max(-1.0 + 2.0 * pairs[:stop].sum(), 1.0)
    return float(acov[0] * tau / n)


def geweke_z(trace, first=0.1, last=0.5) -> float:
    """Geweke's z-score: the mean of the first 10% of a chain against the last 50%.

    Each mean's standard error accounts for autocorrelation (the integrated
    autocorrelation time by Geyer's initial positive sequence). Under stationarity z is
    approximately standard normal.

    Parameters
    ----------
    trace : array_like, shape (n_draws,)
    first, last : float
        Fractions of the chain compared (``first + last <= 1``).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the fractions overlap or a window holds fewer than 2 draws.

    References
    ----------
    J. Geweke, "Evaluating the accuracy of sampling-based approaches to the calculation
    of posterior moments", Bayesian Statistics 4, 1992.

    Taught in chapter 6.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bool(abs(geweke_z(rng.normal(size=2000))) < 4)
    True
    >>> bool(abs(geweke_z(np.linspace(0, 1, 2000) + rng.normal(0, 0.1, 2000))) > 4)
    True
    """
    x = check_array(trace, "trace", ndim=1)
    first = check_fraction(first, "first")
    last = check_fraction(last, "last")
    if first + last > 1:
        raise ValueError(f"first + last must be at most 1, got {first + last}")
    a, b = x[:int(first * x.size)], x[x.size - int(last * x.size):]
    if a.size < 2 or b.size < 2:
        raise ValueError(f"trace is too short ({x.size} draws) for these windows")
    se = np.sqrt(_var_of_mean(a) + _var_of_mean(b))
    return float((a.mean() - b.mean()) / se) if se > 0 else 0.0


# ----------------------------------------------------------------------------- ranking models
class _Ranker(_Base):
    """Models that score items for a user without predicting a rating."""

    def predict(self, X):
        """Scores of the (user, item) pairs in ``X`` (not ratings; 0 for unknown ids)."""
        uu, ii = self._lookup(X)
        out = np.zeros(uu.shape[0])
        ok = (uu >= 0) & (ii >= 0)
        if ok.any():
            out[ok] = self._pair_scores(uu[ok], ii[ok])
        return out

    def _pair_scores(self, uu, ii):
        return np.einsum("nk,nk->n", self.user_factors_[uu], self.item_factors_[ii])

    def _scores(self, users):
        return self.user_factors_[users] @ self.item_factors_.T

    def _cold_scores(self):
        return self.item_counts_.astype(np.float64)


class Popularity(_Ranker):
    """Recommend the items with the most training ratings, the same list for everyone.

    The baseline every top-N recommender must beat: on MovieLens it is hard to beat by
    much, because which films people rate is itself mostly popularity.

    Attributes
    ----------
    item_counts_ : ndarray (n_items,)
        Number of training ratings of each item (the score).

    References
    ----------
    P. Cremonesi, Y. Koren and R. Turrin, "Performance of recommender algorithms on
    top-N recommendation tasks", RecSys 2010.

    Taught in chapter 6.

    Examples
    --------
    >>> X = [[0, 7], [1, 7], [1, 3], [2, 5]]
    >>> Popularity().fit(X).recommend(user_id=2, n=2, exclude=[5])
    array([7, 3])
    """

    def fit(self, X, y=None):
        """Count the training ratings of each item of ``X``; ``y`` is ignored.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,), optional
            Ignored (each listed pair counts as one interaction).

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        X = _check_X(X)
        self._index(X, np.ones(X.shape[0]) if y is None else y)
        return self

    def _pair_scores(self, uu, ii):
        return self.item_counts_[ii].astype(np.float64)

    def _scores(self, users):
        return np.broadcast_to(self.item_counts_.astype(np.float64),
                               (len(users), self.item_counts_.size)).copy()


class PureSVD(_Ranker):
    r"""Cremonesi, Koren and Turrin's PureSVD: the truncated SVD of the *zero-filled* ratings.

    Missing ratings are zeros, not means: $R \approx U_k\Sigma_kV_k^\top$ and user $u$'s
    scores are $r_u V_k V_k^\top$ (the row of $U_k\Sigma_k V_k^\top$). As a rating
    predictor this is terrible (most predictions are near 0 stars); as a *ranker* over all
    items it is strong, because a zero says "not rated", and on MovieLens not rated
    mostly means not seen and not liked. This is the caveat to "mean filling is biased":
    the bias that ruins RMSE is the signal for top-N.

    Parameters
    ----------
    n_factors : int
        Rank $k$ of the truncated SVD.
    binary : bool
        Factor the 0/1 pattern of ratings instead of the ratings.

    Attributes
    ----------
    user_factors_ : ndarray (n_users, n_factors)
        $U_k\Sigma_k$.
    item_factors_ : ndarray (n_items, n_factors)
        $V_k$.
    singular_values_ : ndarray (n_factors,)

    Raises
    ------
    ValueError
        If ``n_factors`` exceeds min(n_users, n_items).

    References
    ----------
    P. Cremonesi, Y. Koren and R. Turrin, "Performance of recommender algorithms on
    top-N recommendation tasks", RecSys 2010.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(60, 50, random_state=0)
    >>> m = PureSVD(n_factors=5).fit(r.X, r.y)
    >>> m.score_items([0]).shape == (1, len(m.items_))   # every item the data rated
    True
    """

    def __init__(self, n_factors=50, binary=False):
        self.n_factors = n_factors
        self.binary = binary

    def fit(self, X, y):
        """Take the truncated SVD of the zero-filled rating matrix.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,)
            Their ratings.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        u, i, y, m, n = self._index(X, y)
        k = check_rank(self.n_factors, (m, n), "n_factors")
        vals = np.ones_like(y) if self.binary else y
        R = sparse.csr_matrix((vals, (u, i)), shape=(m, n))
        U, s, Vt = _truncated_svd(R, k)
        self.user_factors_, self.singular_values_, self.item_factors_ = U * s, s, Vt.T
        return self


def _ials_exact(W, C, F, lam):
    """Every row's x = (F^T F + F^T (C_r - I) F + lam I)^{-1} F^T C_r p_r, by batched Cholesky.

    ``W`` holds c - 1 and ``C`` holds c on the pattern (rows x cols); ``F`` is (cols, k).
    """
    G = _grams(W, F) + (F.T @ F + lam * np.eye(F.shape[1]))
    L = np.linalg.cholesky(G)
    rhs = np.asarray(C @ F)                   # F^T C_r p_r: p = 1 on the pattern
    w = np.linalg.solve(L, rhs[..., None])
    return np.linalg.solve(np.swapaxes(L, 1, 2), w)[..., 0]


def _ials_cg(W, C, F, X0, lam, steps):
    """``steps`` conjugate-gradient steps on all rows' systems of :func:`_ials_exact` at once.

    The operator is A X = X (F^T F + lam I) + [W o (X F^T)] F, the bracket evaluated on the
    pattern only: no Gram matrix per row is formed. Warm start from ``X0``.
    """
    rows = np.repeat(np.arange(W.shape[0]), np.diff(W.indptr))
    cols = W.indices
    G = F.T @ F + lam * np.eye(F.shape[1])
    Wt = W.copy()

    def A(D):
        Wt.data = W.data * np.einsum("nk,nk->n", D[rows], F[cols])
        return D @ G + Wt @ F

    X = X0.copy()
    R = np.asarray(C @ F) - A(X)
    Pd, rr = R.copy(), np.einsum("nk,nk->n", R, R)
    for _ in range(steps):
        AP = A(Pd)
        pAp = np.einsum("nk,nk->n", Pd, AP)
        step = np.divide(rr, pAp, out=np.zeros_like(rr), where=pAp > 0)
        X += step[:, None] * Pd
        R -= step[:, None] * AP
        rr_new = np.einsum("nk,nk->n", R, R)
        beta = np.divide(rr_new, rr, out=np.zeros_like(rr), where=rr > 0)
        Pd, rr = R + beta[:, None] * Pd, rr_new
    return X


class ImplicitALS(_Ranker):
    r"""Weighted matrix factorization of implicit feedback (Hu, Koren and Volinsky 2008).

    Every (user, item) cell counts: the preference is $p_{ui} = 1$ if the user interacted
    with the item and 0 otherwise, with confidence $c_{ui} = 1 + \alpha r_{ui}$ (or
    $1 + \alpha\log(1 + r_{ui})$), where $r_{ui}$ is the strength in ``y`` (a rating, a
    count; all ones if ``y`` is None). It minimizes

    $$\sum_{u,i} c_{ui}(p_{ui} - x_u^\top y_i)^2 + \lambda\Big(\sum_u\|x_u\|^2 +
    \sum_i\|y_i\|^2\Big)$$

    over *all* $m n$ cells by alternating least squares. The user step is
    $x_u = (Y^\top Y + Y^\top(C^u - I)Y + \lambda I)^{-1} Y^\top C^u p(u)$: $Y^\top Y$ is
    computed once per half-step, and $Y^\top(C^u - I)Y$ involves only the items $u$
    interacted with, so a sweep costs $O(k^2 |\Omega| + k^3 (m + n))$, not $O(k^2 m n)$.
    With ``solver="cholesky"`` all users' corrections come from one sparse product (the
    same batched Gram matrices as :class:`ALS`) and all their systems from one batched
    Cholesky solve: exact, $O(k^2|\Omega| + k^3(m+n))$ per sweep. With ``solver="cg"``
    (Takacs, Pilaszy and Tikk 2011) each half-step takes ``cg_steps`` conjugate-gradient
    steps on all users' systems at once, warm-started from the previous factors, without
    forming any Gram matrix: $O(k|\Omega| + k^2(m+n))$ per step, the faster choice beyond
    a dozen factors; the loss still decreases, since each step lowers a convex quadratic.

    Parameters
    ----------
    n_factors : int
        Number of latent factors.
    reg : float
        Ridge penalty $\lambda$ (> 0).
    alpha : float
        Confidence slope $\alpha$ (> 0).
    confidence : {"linear", "log"}
        $1 + \alpha r$ or $1 + \alpha \log(1 + r)$.
    n_iter : int
        Sweeps (users, then items).
    solver : {"cg", "cholesky"}
        Conjugate gradients (warm-started, ``cg_steps`` per half-step) or exact solves.
    cg_steps : int
        Conjugate-gradient steps per half-step.
    random_state : int, Generator or None
        Seed of the initial factors.
    verbose : bool
        Show a progress bar with the weighted loss.

    Attributes
    ----------
    user_factors_, item_factors_ : ndarray
        $X$ and $Y$; a user's scores are $X Y^\top$.
    loss_ : list of float
        The objective after each sweep (it never increases).

    Raises
    ------
    ValueError
        If ``n_factors`` exceeds min(n_users, n_items), ``reg`` or ``alpha`` is not
        positive, or ``y`` holds negative strengths.

    References
    ----------
    Y. Hu, Y. Koren and C. Volinsky, "Collaborative filtering for implicit feedback
    datasets", ICDM 2008. G. Takacs, I. Pilaszy and D. Tikk, "Applications of the
    conjugate gradient method for implicit feedback collaborative filtering", RecSys 2011.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(80, 60, random_state=0)
    >>> m = ImplicitALS(n_factors=4, n_iter=5).fit(r.X, r.y)
    >>> bool(np.all(np.diff(m.loss_) <= 1e-9 * m.loss_[0]))
    True
    """

    def __init__(self, n_factors=32, reg=1.0, alpha=1.0, confidence="linear", n_iter=15,
                 solver="cg", cg_steps=3, random_state=0, verbose=False):
        self.n_factors = n_factors
        self.reg = reg
        self.alpha = alpha
        self.confidence = confidence
        self.n_iter = n_iter
        self.solver = solver
        self.cg_steps = cg_steps
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Alternate the weighted ridge solves over all cells.

        Parameters
        ----------
        X : array_like of int, shape (n_pairs, 2)
            (user id, item id) pairs.
        y : array_like of float, shape (n_pairs,), optional
            Interaction strengths r_ui >= 0 (counts, plays); all ones when omitted. The confidence is ``1 + alpha r_ui``.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        TypeError
            If ``X`` does not hold integer ids.
        ValueError
            If ``X`` and ``y`` do not match in length, or a hyperparameter is out of range.
        """
        X = _check_X(X)
        y = np.ones(X.shape[0]) if y is None else y
        u, i, y, m, n = self._index(X, y)
        if np.any(y < 0):
            raise ValueError("y must hold non-negative interaction strengths")
        k = _check_factors(self.n_factors, m, n)
        lam = check_scalar(self.reg, "reg", low=0.0, include_low=False)
        a = check_scalar(self.alpha, "alpha", low=0.0, include_low=False)
        check_option(self.confidence, "confidence", ("linear", "log"))
        n_iter = check_int(self.n_iter, "n_iter", min_value=1)
        check_option(self.solver, "solver", ("cg", "cholesky"))
        cg_steps = check_int(self.cg_steps, "cg_steps", min_value=1)
        rng = check_random_state(self.random_state)
        # duplicates of a (user, item) pair add their strengths
        key = u * n + i
        key, inv = np.unique(key, return_inverse=True)
        strength = np.bincount(inv, y)
        u, i = key // n, key % n
        c = 1.0 + a * (strength if self.confidence == "linear" else np.log1p(strength))
        pat = _Pattern(u, i, m, n)
        W_u, C_u = pat.by_user(c - 1.0), pat.by_user(c)
        W_i, C_i = pat.by_item(c - 1.0), pat.by_item(c)
        Xf = rng.normal(0, 0.01, (m, k))
        Yf = rng.normal(0, 0.01, (n, k))
        if self.solver == "cholesky":
            def half(W, C, F, X0):
                return _ials_exact(W, C, F, lam)
        else:
            def half(W, C, F, X0):
                return _ials_cg(W, C, F, X0, lam, cg_steps)
        self.loss_ = []
        bar = progress(range(n_iter), verbose=self.verbose, desc="ImplicitALS")
        for _ in bar:
            Xf = half(W_u, C_u, Yf, Xf)
            Yf = half(W_i, C_i, Xf, Yf)
            s = np.einsum("nk,nk->n", Xf[u], Yf[i])
            # sum over all m n cells of s^2 is trace(X^T X Y^T Y); the pattern corrects it
            loss = (np.sum((Xf.T @ Xf) * (Yf.T @ Yf)) + np.sum(c * (1 - s) ** 2 - s ** 2)
                    + lam * (np.sum(Xf ** 2) + np.sum(Yf ** 2)))
            self.loss_.append(float(loss))
            bar.set_postfix(loss=self.loss_[-1])
        self.user_factors_, self.item_factors_ = Xf, Yf
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

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n,)

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the lengths differ or an entry is not finite.

    Examples
    --------
    >>> rmse([1, 2, 3], [1, 2, 5])
    1.1547005383792515
    """
    a, b = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((a - b) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n,)

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the lengths differ or an entry is not finite.

    Examples
    --------
    >>> mae([1, 2, 3], [1, 2, 5])
    0.6666666666666666
    """
    a, b = _pair(y_true, y_pred)
    return float(np.mean(np.abs(a - b)))


def thresholded_accuracy(y_true, y_pred, threshold=3.5) -> float:
    """Fraction of ratings whose "liked" status (``>= threshold``) is predicted right.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n,)
    threshold : float
        A rating at or above it counts as liked (the source blog post's 3.5).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the lengths differ.

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
    """Precision@k *among each user's test items*: the share of the top ``k`` that are relevant.

    Relevant means ``y_true >= threshold``; a user with fewer than ``k`` test items is
    scored on the items they have (Surprise's convention). Only the items a user rated
    in the test set are ranked, which flatters every model: a recommender must rank *all*
    the items the user has not rated, as :func:`top_n_metrics` does.

    Parameters
    ----------
    X : array_like, shape (n, 2)
        The test (user, item) pairs.
    y_true, y_pred : array_like, shape (n,)
        True and predicted ratings of those pairs.
    k : int
        Length of the list.
    threshold : float
        Relevance threshold on the true rating.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the lengths differ or ``k < 1``.

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
    """Recall@k among each user's test items (see :func:`precision_at_k` for the caveat).

    Mean over users with a relevant test item of the fraction of them in the top ``k``.

    Parameters
    ----------
    X : array_like, shape (n, 2)
    y_true, y_pred : array_like, shape (n,)
    k : int
    threshold : float

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the lengths differ or ``k < 1``.

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
    """NDCG@k among each user's test items, the true ratings as gains.

    Parameters
    ----------
    X : array_like, shape (n, 2)
    y_true, y_pred : array_like, shape (n,)
    k : int

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the lengths differ or ``k < 1``.

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


def top_n_metrics(model, X_train, X_test, y_test, k=10, threshold=4.0, batch=512) -> dict:
    """Precision, recall and NDCG at ``k`` of a top-N list over *all* the items a user has not rated.

    For every user with at least one relevant test rating (``y_test >= threshold``), the
    fitted ``model`` scores every training item (``model.score_items``), the items the
    user rated in ``X_train`` are removed, and the ``k`` best form the list. A hit is a
    relevant test item in the list (binary gain). Recall divides by the user's number of
    relevant test items (those of items unseen in training count too: no model can
    recommend them), NDCG by the ideal DCG of ``min(k, n_relevant)`` hits.

    Parameters
    ----------
    model : fitted svdlab.recsys model
        Fitted on ``X_train``.
    X_train : array_like, shape (n_train, 2)
        The training pairs (excluded from the lists).
    X_test : array_like, shape (n_test, 2)
    y_test : array_like, shape (n_test,)
        Test ratings (or strengths).
    k : int
        Length of the list.
    threshold : float
        A test rating at or above it is relevant (4 stars out of 5, as Cremonesi et al.
        take 5-star ratings; the chapter uses 4).
    batch : int
        Users scored at once (memory ``8 batch n_items`` bytes).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``ndcg`` (means over the evaluated users) and
        ``n_users``.

    Raises
    ------
    ValueError
        If ``k < 1`` or the lengths of ``X_test`` and ``y_test`` differ.

    References
    ----------
    P. Cremonesi, Y. Koren and R. Turrin, "Performance of recommender algorithms on
    top-N recommendation tasks", RecSys 2010.

    Taught in chapter 6.

    Examples
    --------
    >>> Xtr = [[0, 0], [0, 1], [1, 1], [1, 2], [2, 0]]
    >>> m = Popularity().fit(Xtr)
    >>> top_n_metrics(m, Xtr, [[2, 1]], [5.0], k=1)["precision"]   # item 1 is the top
    1.0
    """
    k = check_int(k, "k", min_value=1)
    batch = check_int(batch, "batch", min_value=1)
    threshold = check_scalar(threshold, "threshold")
    Xtr = _check_X(X_train, "X_train")
    Xte, yte = _check_Xy(X_test, y_test)
    tu, ti = model._lookup(Xtr)
    ok = (tu >= 0) & (ti >= 0)
    m_users, n_items = len(model.users_), len(model.items_)
    seen = sparse.csr_matrix((np.ones(ok.sum()), (tu[ok], ti[ok])), shape=(m_users, n_items))
    rel = yte >= threshold
    ru, ri = model._lookup(Xte[rel])
    known_user = ru >= 0
    n_rel = np.bincount(ru[known_user], minlength=m_users)
    good = ri >= 0
    relevant = sparse.csr_matrix((np.ones((known_user & good).sum()),
                                  (ru[known_user & good], ri[known_user & good])),
                                 shape=(m_users, n_items))
    users = np.flatnonzero(n_rel > 0)
    kk = min(k, n_items)
    disc = 1.0 / np.log2(np.arange(2, kk + 2))
    prec, rec, ndcg = [], [], []
    for start in range(0, users.size, batch):
        b = users[start:start + batch]
        S = np.array(model.score_items(b), dtype=np.float64)
        S[seen[b].nonzero()] = -np.inf
        top = np.argpartition(-S, kk - 1, axis=1)[:, :kk]
        order = np.argsort(-np.take_along_axis(S, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        finite = np.isfinite(np.take_along_axis(S, top, axis=1))
        hits = (relevant[b].toarray()[np.arange(b.size)[:, None], top] > 0) & finite
        nr = n_rel[b]
        prec.append(hits.sum(1) / k)
        rec.append(hits.sum(1) / nr)
        ideal = np.cumsum(disc)[np.minimum(nr, kk) - 1]
        ndcg.append((hits * disc).sum(1) / ideal)
    if not users.size:
        return {"precision": 0.0, "recall": 0.0, "ndcg": 0.0, "n_users": 0}
    return {"precision": float(np.mean(np.concatenate(prec))),
            "recall": float(np.mean(np.concatenate(rec))),
            "ndcg": float(np.mean(np.concatenate(ndcg))), "n_users": int(users.size)}


# ----------------------------------------------------------------------------- evaluation
def kfold_split(X, y, n_splits=5, random_state=0):
    """Shuffled K-fold split of the ratings: a list of ``(train_idx, test_idx)``.

    Parameters
    ----------
    X : array_like, shape (n, 2)
    y : array_like, shape (n,)
    n_splits : int
        Number of folds (at least 2).
    random_state : int, Generator or None
        Seed of the shuffle.

    Returns
    -------
    list of (ndarray, ndarray)
        Sorted index arrays; the test parts partition ``range(n)``.

    Raises
    ------
    ValueError
        If ``n_splits`` is below 2 or above the number of ratings.

    Taught in chapter 6.

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


def train_validation_split(X, y, valid_fraction=0.2, random_state=0):
    """Indices of a random training/validation split, for choosing hyperparameters.

    Call it on a *training* fold only, so that the test fold is never seen while tuning
    (a nested split).

    Parameters
    ----------
    X : array_like, shape (n, 2)
    y : array_like, shape (n,)
    valid_fraction : float
        Share of the ratings held out, in (0, 1).
    random_state : int, Generator or None

    Returns
    -------
    (ndarray, ndarray)
        Sorted indices of the fitting and of the validation part.

    Raises
    ------
    ValueError
        If ``valid_fraction`` is not in (0, 1).

    Taught in chapter 6.

    Examples
    --------
    >>> fit, valid = train_validation_split([[0, 0]] * 10, np.ones(10), 0.2)
    >>> len(fit), len(valid)
    (8, 2)
    """
    X, y = _check_Xy(X, y)
    f = check_scalar(valid_fraction, "valid_fraction", low=0.0, high=1.0,
                     include_low=False, include_high=False)
    perm = check_random_state(random_state).permutation(y.size)
    n_valid = max(1, int(round(f * y.size)))
    return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])


def _evaluate(est, X, y, tr, te, k, threshold, top_n):
    out = {}
    if isinstance(est, _Recommender):
        p = est.predict(X[te])
        out.update(rmse=rmse(y[te], p), mae=mae(y[te], p),
                   precision_at_k=precision_at_k(X[te], y[te], p, k=k))
    else:
        out.update(rmse=np.nan, mae=np.nan, precision_at_k=np.nan)
    if top_n:
        t = top_n_metrics(est, X[tr], X[te], y[te], k=k, threshold=threshold)
        out.update(top_precision=t["precision"], top_recall=t["recall"], top_ndcg=t["ndcg"])
    return out


def cross_validate(model, X, y, n_splits=5, random_state=0, k=10, folds=None, top_n=False,
                   threshold=4.0):
    """Fit a clone of ``model`` on each fold; return per-fold errors, top-N scores, fit time.

    Parameters
    ----------
    model : svdlab.recsys estimator
    X : array_like, shape (n, 2)
    y : array_like, shape (n,)
    n_splits : int
        Folds, when ``folds`` is not given.
    random_state : int, Generator or None
        Seed of the folds, when ``folds`` is not given.
    k : int
        List length of the ranking metrics.
    folds : list of (train_idx, test_idx), optional
        Precomputed folds (the same for every model compared).
    top_n : bool
        Also compute :func:`top_n_metrics` (``top_precision``, ``top_recall``,
        ``top_ndcg``) over all unrated items.
    threshold : float
        Relevance threshold of the top-N metrics.

    Returns
    -------
    dict of numpy arrays
        ``rmse``, ``mae``, ``precision_at_k`` (NaN for ranking models), ``fit_time`` and,
        with ``top_n``, the three top-N scores; one entry per fold.

    Raises
    ------
    ValueError
        On malformed ``X``/``y`` or folds.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(60, 50, random_state=0)
    >>> res = cross_validate(Baseline(), r.X, r.y, n_splits=3)
    >>> res["rmse"].shape
    (3,)
    """
    X, y = _check_Xy(X, y)
    folds = folds if folds is not None else kfold_split(X, y, n_splits, random_state)
    out = {}
    for tr, te in folds:
        est = clone(model)
        t0 = time.perf_counter()
        est.fit(X[tr], y[tr])
        fit_time = time.perf_counter() - t0
        scores = _evaluate(est, X, y, tr, te, k, threshold, top_n)
        scores["fit_time"] = fit_time
        for key, v in scores.items():
            out.setdefault(key, []).append(v)
    return {key: np.array(v) for key, v in out.items()}


@dataclass(frozen=True)
class TuneResult:
    """What :func:`tune` tried and what it chose.

    Attributes
    ----------
    best_params : dict
        The candidate with the best validation score.
    scores : ndarray
        The validation score of every candidate (RMSE, or minus NDCG@k).
    candidates : tuple of dict
        The candidates, in the order tried.
    metric : str
    """

    best_params: dict
    scores: np.ndarray
    candidates: tuple
    metric: str


def tune(model, candidates, X, y, *, metric="rmse", valid_fraction=0.2, k=10,
         threshold=4.0, random_state=0) -> TuneResult:
    """Choose hyperparameters on a validation split of ``(X, y)``, never on test data.

    Every candidate (a dict of parameters for ``model.set_params``) is fitted on the
    fitting part of :func:`train_validation_split` and scored on its validation part.
    Pass a *training fold* as ``(X, y)``: the outer test fold then stays unseen, and
    the same candidates and split give every compared model the same budget.

    Parameters
    ----------
    model : svdlab.recsys estimator
    candidates : list of dict
        The parameter settings tried (the budget is their number).
    X : array_like, shape (n, 2)
    y : array_like, shape (n,)
    metric : {"rmse", "ndcg"}
        Validation RMSE (lower is better), or top-N NDCG@k over all unrated items.
    valid_fraction : float
        Share of ``(X, y)`` held out for validation.
    k, threshold
        Of the NDCG metric.
    random_state : int, Generator or None
        Seed of the split.

    Returns
    -------
    TuneResult

    Raises
    ------
    ValueError
        If ``candidates`` is empty or ``metric`` unknown.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(80, 60, random_state=0)
    >>> res = tune(ALS(n_factors=2), [{"reg": 0.01}, {"reg": 0.3}], r.X, r.y)
    >>> res.best_params in res.candidates, res.scores.shape
    (True, (2,))
    """
    check_option(metric, "metric", ("rmse", "ndcg"))
    candidates = tuple(dict(c) for c in candidates)
    if not candidates:
        raise ValueError("candidates must hold at least one parameter dict")
    X, y = _check_Xy(X, y)
    fit, valid = train_validation_split(X, y, valid_fraction, random_state)
    scores = []
    for params in candidates:
        est = clone(model).set_params(**params).fit(X[fit], y[fit])
        if metric == "rmse":
            scores.append(rmse(y[valid], est.predict(X[valid])))
        else:
            scores.append(-top_n_metrics(est, X[fit], X[valid], y[valid], k=k,
                                         threshold=threshold)["ndcg"])
    scores = np.array(scores)
    return TuneResult(candidates[int(np.argmin(scores))], scores, candidates, metric)


# ----------------------------------------------------------------------------- factors
@dataclass(frozen=True)
class CanonicalFactors:
    """The factors of a fitted model in the basis of the SVD of their product.

    Attributes
    ----------
    user : ndarray (n_users, r)
        Orthonormal columns.
    singular_values : ndarray (r,)
        Decreasing.
    item : ndarray (n_items, r)
        Orthonormal columns; ``user @ diag(singular_values) @ item.T`` is the model's
        interaction matrix $PQ^\\top$.
    explained : ndarray (r,)
        ``singular_values**2`` over their sum: each factor's share of $\\|PQ^\\top\\|_F^2$.
    """

    user: np.ndarray
    singular_values: np.ndarray
    item: np.ndarray
    explained: np.ndarray


def canonical_factors(model) -> CanonicalFactors:
    r"""Rotate a factor model's $P, Q$ to the SVD of $PQ^\top$, the one basis the data fixes.

    A factorization $PQ^\top$ is unchanged by $P \to PA$, $Q \to QA^{-\top}$ for any
    invertible $A$, so the variances and correlations of the raw columns of $P$ (the
    source blog post's "variance explained" and "factor correlation") describe the
    arbitrary basis the optimizer stopped in, not the data. The SVD of the product is
    unique (up to signs, fixed by :func:`svdlab.linalg.sign_flip`): its user factors are
    uncorrelated by construction, and $\sigma_j^2 / \sum \sigma^2$ is a share of the
    interaction term. Computed from thin QR factorizations of $P$ and $Q$ and the SVD of
    the small $R_P R_Q^\top$, never forming $PQ^\top$.

    Parameters
    ----------
    model : fitted model with ``user_factors_`` and ``item_factors_``

    Returns
    -------
    CanonicalFactors

    Raises
    ------
    ValueError
        If ``model`` has no factors.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(60, 50, random_state=0)
    >>> m = ALS(n_factors=3).fit(r.X, r.y)
    >>> c = canonical_factors(m)
    >>> np.allclose(c.user * c.singular_values @ c.item.T, m.user_factors_ @ m.item_factors_.T)
    True
    """
    from .linalg import sign_flip

    if not hasattr(model, "item_factors_") or not hasattr(model, "user_factors_"):
        raise ValueError("model must be a fitted factor model (with user_factors_ and "
                         "item_factors_)")
    P, Q = np.asarray(model.user_factors_, float), np.asarray(model.item_factors_, float)
    Qp, Rp = np.linalg.qr(P)
    Qq, Rq = np.linalg.qr(Q)
    U, s, Vt = np.linalg.svd(Rp @ Rq.T)
    U, Vt = sign_flip(Qp @ U, Vt @ Qq.T)
    total = float(np.sum(s ** 2))
    return CanonicalFactors(U, s, Vt.T, s ** 2 / total if total > 0 else s * 0)


def explain_factors(model, item_names=None, n=5, min_support=0, canonical=False):
    """The items at both ends of each latent factor of a fitted model.

    An item rated a handful of times gets a loading fitted to those few ratings (and to
    the prior), so the ends of a factor are dominated by obscure films. ``min_support``
    keeps only items with at least that many training ratings.

    Parameters
    ----------
    model : fitted factor model
    item_names : dict or callable, optional
        Maps the model's raw item ids to names; by default the ids themselves.
    n : int
        Items at each end.
    min_support : int
        Minimum number of training ratings of an item to be listed.
    canonical : bool
        Use the factors of :func:`canonical_factors` (ordered by their share of the
        interaction term) instead of the model's raw columns.

    Returns
    -------
    list of (list, list)
        Per factor, the names of the ``n`` items with the largest and with the smallest
        loading.

    Raises
    ------
    ValueError
        If ``model`` is not a fitted factor model or no item has ``min_support`` ratings.

    Taught in chapter 6.

    Examples
    --------
    >>> from svdlab.datasets import make_ratings
    >>> r = make_ratings(60, 50, random_state=0)
    >>> ends = explain_factors(ALS(n_factors=2).fit(r.X, r.y), n=3, min_support=5)
    >>> len(ends), len(ends[0][0])
    (2, 3)
    """
    if not hasattr(model, "item_factors_"):
        raise ValueError("model must be a fitted factor model (with item_factors_)")
    n = check_int(n, "n", min_value=1)
    min_support = check_int(min_support, "min_support", min_value=0)
    Q = canonical_factors(model).item if canonical else model.item_factors_
    keep = np.flatnonzero(model.item_counts_ >= min_support)
    if keep.size == 0:
        raise ValueError(f"min_support={min_support} leaves no item (the most rated has "
                         f"{int(model.item_counts_.max())} ratings)")
    ids = model.items_[keep]
    Q = Q[keep]
    if item_names is None:
        name = int
    elif callable(item_names):
        name = item_names
    else:
        name = lambda j: item_names.get(int(j), str(j))  # noqa: E731
    out = []
    for f in range(Q.shape[1]):
        order = np.argsort(Q[:, f], kind="stable")
        out.append(([name(j) for j in ids[order[::-1][:n]]], [name(j) for j in ids[order[:n]]]))
    return out
