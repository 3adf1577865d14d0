"""Tests for svdlab.recsys on simulated ratings (no network, no MovieLens needed)."""

import numpy as np
import pytest

from svdlab import recsys as rs
from svdlab.datasets import make_ratings

MODELS = [rs.GlobalMean(), rs.Baseline(), rs.ImputedSVD(n_factors=5),
          rs.FunkSVD(n_factors=5, n_epochs=10), rs.ALS(n_factors=5),
          rs.SoftImpute(shrinkage=5.0, max_rank=8, n_iter=5),
          rs.SVDpp(n_factors=4, n_iter=5), rs.BayesianMF(n_factors=3, n_samples=10, burn_in=5)]
RANKERS = [rs.Popularity(), rs.PureSVD(n_factors=5), rs.ImplicitALS(n_factors=4, n_iter=5),
           rs.ImplicitALS(n_factors=4, n_iter=5, solver="cholesky")]


@pytest.fixture(scope="module")
def data():
    r = make_ratings(150, 120, rank=4, density=0.15, random_state=0)
    return r.X, r.y


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_fit_predict_contract(model, data):
    X, y = data
    m = model.fit(X, y)
    p = m.predict(X)
    assert p.shape == y.shape and np.all(np.isfinite(p))
    assert p.min() >= y.min() and p.max() <= y.max()
    # unknown users and items fall back, never crash
    q = m.predict([[10_000, 0], [0, 10_000], [10_000, 10_000]])
    assert np.all(np.isfinite(q))
    assert q[2] == pytest.approx(np.clip(m.global_mean_, y.min(), y.max()))


@pytest.mark.parametrize("offset", [1000, -5000])
def test_raw_ids_are_mapped(data, offset):
    # any integers are ids, negative ones included (the module docstring says so)
    X, y = data
    shifted = X * 7 + offset
    a = rs.ALS(n_factors=3).fit(X, y).predict(X)
    b = rs.ALS(n_factors=3).fit(shifted, y).predict(shifted)
    np.testing.assert_allclose(a, b)


def test_factor_models_beat_baselines(data):
    X, y = data
    folds = rs.kfold_split(X, y, 3, random_state=0)
    score = {type(m).__name__: rs.cross_validate(m, X, y, folds=folds)["rmse"].mean()
             for m in [rs.GlobalMean(), rs.Baseline(), rs.FunkSVD(n_factors=4)]}
    assert score["Baseline"] < score["GlobalMean"]
    assert score["FunkSVD"] < score["Baseline"]


def test_baseline_matches_least_squares():
    # with no regularization and complete data, biases reproduce an additive matrix exactly
    bu, bi = np.array([0.5, -0.5, 0.0]), np.array([1.0, -1.0])
    u, i = np.meshgrid(range(3), range(2), indexing="ij")
    X = np.column_stack([u.ravel(), i.ravel()])
    y = 3 + bu[X[:, 0]] + bi[X[:, 1]]
    m = rs.Baseline(reg_user=0, reg_item=0, n_iter=50).fit(X, y)
    np.testing.assert_allclose(m.predict(X), y, atol=1e-8)


def test_als_solves_its_normal_equations(data):
    X, y = data
    m = rs.ALS(n_factors=3, reg=0.1, n_iter=3).fit(X, y)
    # the last half-step: items are exact minimizers given users
    j = 0
    rows = np.flatnonzero(X[:, 1] == m.items_[j])
    uu = np.searchsorted(m.users_, X[rows, 0])
    F = np.hstack([m.user_factors_[uu], np.ones((rows.size, 1))])
    t = y[rows] - m.global_mean_ - m.user_bias_[uu]
    sol = np.linalg.solve(F.T @ F + 0.1 * rows.size * np.eye(4), F.T @ t)
    np.testing.assert_allclose(np.r_[m.item_factors_[j], m.item_bias_[j]], sol, atol=1e-8)


def test_imputed_svd_full_rank_reproduces_residual():
    r = make_ratings(30, 20, density=0.5, random_state=2)
    k = min(np.unique(r.user).size, np.unique(r.item).size)
    m = rs.ImputedSVD(n_factors=k, reg=0.0).fit(r.X, r.y)
    np.testing.assert_allclose(m.predict(r.X), r.y, atol=1e-6)


def test_softimpute_rank_bounded_and_shrinks(data):
    X, y = data
    a = rs.SoftImpute(shrinkage=1.0, max_rank=10, n_iter=5).fit(X, y)
    b = rs.SoftImpute(shrinkage=50.0, max_rank=10, n_iter=5).fit(X, y)
    assert a.rank_ <= 10 and b.rank_ <= a.rank_


def test_metrics_against_sklearn():
    from sklearn.metrics import mean_absolute_error, mean_squared_error, ndcg_score
    rng = np.random.default_rng(0)
    a, b = rng.integers(1, 6, 50).astype(float), rng.uniform(1, 5, 50)
    assert rs.rmse(a, b) == pytest.approx(np.sqrt(mean_squared_error(a, b)))
    assert rs.mae(a, b) == pytest.approx(mean_absolute_error(a, b))
    X = np.column_stack([np.zeros(50, int), np.arange(50)])
    assert rs.ndcg_at_k(X, a, b, k=10) == pytest.approx(ndcg_score([a], [b], k=10))


def test_precision_recall_by_hand():
    X = np.array([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]])
    yt = np.array([5, 1, 4, 2, 5])
    yp = np.array([4.0, 4.5, 1.0, 3.0, 2.0])
    # user 0 top-2: items 1 (irrelevant), 0 (relevant) -> 1/2; user 1 top-2: both, 1 relevant
    assert rs.precision_at_k(X, yt, yp, k=2) == pytest.approx(0.5)
    assert rs.recall_at_k(X, yt, yp, k=1) == pytest.approx(0.0)
    assert rs.thresholded_accuracy(yt, yp) == pytest.approx(2 / 5)


def test_kfold_partition(data):
    X, y = data
    folds = rs.kfold_split(X, y, 4, random_state=1)
    tests = np.concatenate([te for _, te in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(y.size))
    for tr, te in folds:
        assert np.intersect1d(tr, te).size == 0


def test_explain_factors(data):
    X, y = data
    m = rs.ALS(n_factors=2).fit(X, y)
    ends = rs.explain_factors(m, {int(j): f"movie {j}" for j in m.items_}, n=3)
    assert len(ends) == 2 and ends[0][0][0].startswith("movie")
    with pytest.raises(ValueError):
        rs.explain_factors(rs.Baseline())


@pytest.mark.parametrize("X, y, match", [
    ([[0, 0], [1, 1]], [np.nan, 3.0], "y"),
    (np.zeros((0, 2), int), np.zeros(0), "X"),
    ([[0, 0, 0]], [3.0], "2 columns"),
    ([[0, 0], [1, 1]], [3.0], "same length"),
    ([[0.5, 0]], [3.0], "integer"),
    ([["a", "b"]], [3.0], "X"),
])
def test_bad_input(X, y, match):
    with pytest.raises((ValueError, TypeError), match=match):
        rs.ALS().fit(X, y)


@pytest.mark.parametrize("model", [rs.ALS(n_factors=0), rs.ALS(reg=-1), rs.FunkSVD(lr=0),
                                   rs.ImputedSVD(n_factors=10_000),
                                   rs.SoftImpute(max_rank=0), rs.SVDpp(reg_implicit=0),
                                   rs.SVDpp(cg_iter=0), rs.BayesianMF(n_samples=0),
                                   rs.BayesianMF(burn_in=-1),
                                   rs.BayesianMF(noise_precision=-2.0)])
def test_bad_hyperparameters(model, data):
    X, y = data
    with pytest.raises(ValueError):
        model.fit(X, y)


@pytest.mark.parametrize("model", MODELS + RANKERS, ids=lambda m: type(m).__name__)
def test_sklearn_estimator_contract(model, data):
    # the checks of sklearn.utils.estimator_checks that fit an (n, 2) id input: the
    # others feed float features, which these estimators rightly reject
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.utils import estimator_checks as ec

    name = type(model).__name__
    ec.check_parameters_default_constructible(name, model)
    ec.check_no_attributes_set_in_init(name, model)
    ec.check_get_params_invariance(name, model)
    ec.check_set_params(name, model)
    with pytest.raises(NotFittedError):
        clone(model).predict([[0, 0]])
    X, y = data
    a = clone(model).fit(X, y).predict(X)
    b = clone(model).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)            # seeded: refitting reproduces
    import pickle
    fitted = clone(model).fit(X, y)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict(X), a)


def test_svdpp_objective_decreases_and_reduces_to_als(data):
    X, y = data
    m = rs.SVDpp(n_factors=3, n_iter=8).fit(X, y)
    assert np.all(np.diff(m.objective_) <= 1e-10 * m.objective_[0])
    # an enormous penalty on the implicit vectors leaves them at 0: plain ALS
    a = rs.SVDpp(n_factors=3, reg_implicit=1e12, n_iter=4).fit(X, y)
    b = rs.ALS(n_factors=3, n_iter=4).fit(X, y)
    assert np.abs(a.implicit_factors_).max() < 1e-8
    np.testing.assert_allclose(a.predict(X), b.predict(X), atol=1e-6)


def test_svdpp_implicit_step_is_the_ridge_solution():
    # with enough CG steps, Y is the exact ridge solution given the final P, Q and biases
    r = make_ratings(25, 15, density=0.4, rank=2, random_state=3)
    lam_y = 3.0
    m = rs.SVDpp(n_factors=2, reg_implicit=lam_y, n_iter=3, cg_iter=200).fit(r.X, r.y)
    u = np.searchsorted(m.users_, r.X[:, 0])
    i = np.searchsorted(m.items_, r.X[:, 1])
    n_u = np.bincount(u, minlength=m.users_.size)
    N = np.zeros((m.users_.size, m.items_.size))
    N[u, i] = 1 / np.sqrt(n_u[u])
    Y = m.implicit_factors_
    P = m.user_factors_ - N @ Y
    Q = m.item_factors_
    t = r.y - m.global_mean_ - m.user_bias_[u] - m.item_bias_[i] - np.sum(P[u] * Q[i], 1)
    design = np.einsum("rj,rf->rjf", N[u], Q[i]).reshape(len(t), -1)
    ridge = np.linalg.solve(design.T @ design + lam_y * np.eye(design.shape[1]), design.T @ t)
    np.testing.assert_allclose(Y.ravel(), ridge, atol=1e-8)


def test_gibbs_conditional_has_the_right_mean_and_covariance():
    from scipy import sparse

    from svdlab.recsys import _sample_half
    rng = np.random.default_rng(0)
    reps, F = 40_000, rng.normal(size=(3, 2))
    M = sparse.csr_matrix(np.ones((reps, 3)))
    r = np.array([1.0, -0.5, 2.0])
    alpha, mean0, Lam = 2.0, np.array([0.3, -0.2]), np.array([[2.0, 0.5], [0.5, 1.0]])
    draws = _sample_half(rng, M, F, sparse.csr_matrix(np.tile(r, (reps, 1))), alpha, mean0, Lam)
    prec = Lam + alpha * F.T @ F
    cov = np.linalg.inv(prec)
    mean = cov @ (alpha * F.T @ r + Lam @ mean0)
    se = np.sqrt(np.diag(cov) / reps)
    assert np.all(np.abs(draws.mean(0) - mean) < 5 * se)
    np.testing.assert_allclose(np.cov(draws.T), cov, rtol=0.05, atol=0.02 * cov.max())


def test_wishart_draws_have_the_right_mean():
    from svdlab.recsys import _wishart
    rng = np.random.default_rng(1)
    scale, df = np.array([[1.0, 0.3], [0.3, 0.5]]), 5
    mean = np.mean([_wishart(rng, df, scale) for _ in range(20_000)], axis=0)
    np.testing.assert_allclose(mean, df * scale, rtol=0.03, atol=0.02)


def test_bayesian_mf_averages_predictions_over_draws(data):
    X, y = data
    m = rs.BayesianMF(n_factors=3, n_samples=15, burn_in=5).fit(X, y)
    u, i = np.searchsorted(m.users_, X[:5, 0]), np.searchsorted(m.items_, X[:5, 1])
    P, Q = m.user_samples_[:, u].astype(float), m.item_samples_[:, i].astype(float)
    draws = np.sum(P[..., :3] * Q[..., :3], axis=2) + P[..., 3] + Q[..., 3]  # p.q + b_u + b_i
    by_hand = m.global_mean_ + draws.mean(axis=0)
    np.testing.assert_allclose(m.predict(X[:5]), np.clip(by_hand, y.min(), y.max()), atol=1e-5)
    assert m.noise_precision_.shape == (20,) and np.all(m.noise_precision_ > 0)
    d = m.predict_draws([[X[0, 0], X[0, 1]], [10_000, X[0, 1]]])
    assert d.shape == (15, 2)
    assert np.all(d[:, 1] == d[0, 1])          # an unknown user: biases only, every draw


def test_factor_models_beat_baseline_when_there_is_structure():
    # rank-4 signal with noise 0.3 on 8.5k ratings: the factor models must find it
    r = make_ratings(400, 300, rank=4, density=0.1, noise=0.3, random_state=0)
    X, y = r.X, r.y
    folds = rs.kfold_split(X, y, 3, random_state=0)
    score = {type(m).__name__: rs.cross_validate(m, X, y, folds=folds)["rmse"].mean()
             for m in [rs.Baseline(), rs.ALS(n_factors=4), rs.SVDpp(n_factors=4),
                       rs.BayesianMF(n_factors=4, n_samples=30)]}
    for name in ("ALS", "SVDpp", "BayesianMF"):
        assert score[name] < score["Baseline"] - 0.03, score


def test_funk_svd_does_not_depend_on_the_rating_units(data):
    # SGD runs on standardized ratings: stars x 20 gives predictions x 20
    X, y = data
    a = rs.FunkSVD(n_factors=3, n_epochs=3).fit(X, y).predict(X)
    b = rs.FunkSVD(n_factors=3, n_epochs=3).fit(X, 20 * y).predict(X)
    np.testing.assert_allclose(b, 20 * a, rtol=1e-9)


def test_funk_svd_divergence_is_an_error_without_numpy_warnings(data):
    # the clear error comes alone: no "overflow encountered" RuntimeWarnings before it
    import warnings

    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FloatingPointError, match="lr"):
            rs.FunkSVD(lr=50.0, n_epochs=30).fit(X, y)


# ----------------------------------------------------------------------------- defaults
def test_softimpute_default_runs_on_small_data():
    # max_rank is a cap: 20 users x 12 items must not need a special setting
    r = make_ratings(20, 12, density=0.5, random_state=4)
    m = rs.SoftImpute().fit(r.X, r.y)
    assert m.rank_ <= 12 and np.all(np.isfinite(m.predict(r.X)))


@pytest.mark.parametrize("cls", [rs.ALS, rs.SVDpp, rs.BayesianMF, rs.FunkSVD,
                                 rs.ImplicitALS, rs.PureSVD, rs.ImputedSVD])
def test_more_factors_than_the_rank_allows_is_refused_at_once(cls):
    # ALS(n_factors=1000) on 300 x 200 ratings once ran 8 minutes at 2.4 GB; the rank of
    # the fit cannot exceed min(n_users, n_items), so that is the bound
    r = make_ratings(30, 20, density=0.5, random_state=5)
    with pytest.raises(ValueError, match="n_factors"):
        cls(n_factors=1000).fit(r.X, r.y)


@pytest.mark.parametrize("model", [rs.FunkSVD(n_factors=3, n_epochs=2), rs.ALS(n_iter=2),
                                   rs.SoftImpute(n_iter=2, max_rank=5),
                                   rs.SVDpp(n_factors=3, n_iter=2),
                                   rs.BayesianMF(n_factors=3, n_samples=2, burn_in=1),
                                   rs.ImplicitALS(n_factors=3, n_iter=2)],
                         ids=lambda m: type(m).__name__)
def test_verbose_shows_a_bar_with_the_loss_and_is_silent_by_default(model, data, capsys):
    X, y = data
    model.fit(X, y)
    quiet = capsys.readouterr()
    assert quiet.err == "" and quiet.out == ""
    model.set_params(verbose=True).fit(X, y)
    err = capsys.readouterr().err
    assert type(model).__name__ in err
    assert any(key in err for key in ("rmse", "loss", "objective", "change")), err


# ----------------------------------------------------------------------------- ranking
def _dense_implicit_loss(m, X, y, alpha, lam):
    u, i = np.searchsorted(m.users_, X[:, 0]), np.searchsorted(m.items_, X[:, 1])
    C = np.ones((m.users_.size, m.items_.size))
    P = np.zeros_like(C)
    np.add.at(C, (u, i), alpha * y)
    P[u, i] = 1.0
    S = m.user_factors_ @ m.item_factors_.T
    return float(np.sum(C * (P - S) ** 2) + lam * (np.sum(m.user_factors_ ** 2)
                                                   + np.sum(m.item_factors_ ** 2)))


def test_implicit_als_exact_half_step_and_loss(data):
    X, y = data
    lam, alpha = 2.0, 0.7
    m = rs.ImplicitALS(n_factors=3, reg=lam, alpha=alpha, n_iter=4, solver="cholesky").fit(X, y)
    # the loss it reports is the objective over all m n cells, computed densely here
    np.testing.assert_allclose(m.loss_[-1], _dense_implicit_loss(m, X, y, alpha, lam),
                               rtol=1e-10)
    assert np.all(np.diff(m.loss_) <= 1e-12 * m.loss_[0])
    # the last half-step: each item vector solves its weighted ridge problem exactly
    Xu = m.user_factors_
    for j in (0, 7):
        rows = np.flatnonzero(X[:, 1] == m.items_[j])
        uu = np.searchsorted(m.users_, X[rows, 0])
        c = np.ones(m.users_.size)
        c[uu] = 1 + alpha * y[rows]
        p = np.zeros(m.users_.size)
        p[uu] = 1.0
        A = Xu.T @ (c[:, None] * Xu) + lam * np.eye(3)
        np.testing.assert_allclose(m.item_factors_[j], np.linalg.solve(A, Xu.T @ (c * p)),
                                   rtol=1e-9, atol=1e-12)


def test_implicit_als_cg_converges_to_the_exact_solve(data):
    from svdlab.recsys import _ials_cg, _ials_exact, _Pattern

    X, y = data
    rng = np.random.default_rng(0)
    m = rs.ImplicitALS(n_factors=4).fit(X, y)
    u, i = np.searchsorted(m.users_, X[:, 0]), np.searchsorted(m.items_, X[:, 1])
    pat = _Pattern(u, i, m.users_.size, m.items_.size)
    c = 1 + 0.5 * y
    W, C, F = pat.by_user(c - 1), pat.by_user(c), rng.normal(size=(m.items_.size, 4))
    exact = _ials_exact(W, C, F, 1.5)
    # 4 unknowns per user: CG is exact in 4 steps up to rounding (kappa ~ 1e2 here)
    approx = _ials_cg(W, C, F, np.zeros_like(exact), 1.5, 8)
    np.testing.assert_allclose(approx, exact, rtol=0, atol=1e-8 * np.abs(exact).max())


def test_implicit_als_agrees_with_the_implicit_package(data):
    # the reference implementation of Hu, Koren and Volinsky: its least_squares step
    # takes C = the matrix entries and adds (c - 1) y y^T, so pass 1 + alpha r
    als = pytest.importorskip("implicit.cpu.als")
    from scipy import sparse

    from svdlab.recsys import _ials_exact, _Pattern

    X, y = data
    m = rs.ImplicitALS(n_factors=3).fit(X, y)
    u, i = np.searchsorted(m.users_, X[:, 0]), np.searchsorted(m.items_, X[:, 1])
    pat = _Pattern(u, i, m.users_.size, m.items_.size)
    c = 1 + 0.8 * y
    F = np.random.default_rng(1).normal(size=(m.items_.size, 3))
    ours = _ials_exact(pat.by_user(c - 1), pat.by_user(c), F, 0.3)
    Cui = sparse.csr_matrix((c, (u, i)), shape=(m.users_.size, m.items_.size))
    theirs = np.zeros_like(ours)
    als.least_squares(Cui, theirs, F, 0.3)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_pure_svd_is_the_truncated_svd_of_the_zero_filled_matrix():
    r = make_ratings(40, 30, density=0.3, random_state=6)
    m = rs.PureSVD(n_factors=4).fit(r.X, r.y)
    u, i = np.searchsorted(m.users_, r.X[:, 0]), np.searchsorted(m.items_, r.X[:, 1])
    R = np.zeros((m.users_.size, m.items_.size))
    R[u, i] = r.y
    U, s, Vt = np.linalg.svd(R)
    best = (U[:, :4] * s[:4]) @ Vt[:4]
    # both are the rank-4 truncation; ARPACK agrees with LAPACK to ~ eps s_1 / gap
    np.testing.assert_allclose(m.score_items(np.arange(m.users_.size)), best,
                               rtol=0, atol=1e-8 * s[0])
    np.testing.assert_allclose(m.singular_values_, s[:4], rtol=1e-10)


def _brute_top_n(model, Xtr, Xte, yte, k, threshold):
    prec, rec, nd = [], [], []
    for user in np.unique(Xte[:, 0]):
        rel = set(Xte[(Xte[:, 0] == user) & (yte >= threshold), 1].tolist())
        if not rel or user not in model.users_:
            continue
        pos = int(np.searchsorted(model.users_, user))
        s = model.score_items([pos])[0].copy()
        seen = Xtr[Xtr[:, 0] == user, 1]
        s[np.searchsorted(model.items_, seen)] = -np.inf
        top = model.items_[np.argsort(-s, kind="stable")[:k]]
        hit = np.array([t in rel for t in top], float)
        prec.append(hit.sum() / k)
        rec.append(hit.sum() / len(rel))
        ideal = sum(1 / np.log2(j + 2) for j in range(min(k, len(rel))))
        nd.append(sum(h / np.log2(j + 2) for j, h in enumerate(hit)) / ideal)
    return np.mean(prec), np.mean(rec), np.mean(nd)


@pytest.mark.parametrize("model", [rs.PureSVD(n_factors=4), rs.ALS(n_factors=3),
                                   rs.BayesianMF(n_factors=2, n_samples=5, burn_in=2)],
                         ids=lambda m: type(m).__name__)
def test_top_n_metrics_match_a_loop_over_users(model):
    r = make_ratings(60, 45, density=0.2, random_state=7)
    tr, te = rs.kfold_split(r.X, r.y, 4, random_state=0)[0]
    model.fit(r.X[tr], r.y[tr])
    got = rs.top_n_metrics(model, r.X[tr], r.X[te], r.y[te], k=5, threshold=4.0)
    want = _brute_top_n(model, r.X[tr], r.X[te], r.y[te], 5, 4.0)
    # continuous scores: no ties, so the lists (and the means) agree to rounding
    np.testing.assert_allclose([got["precision"], got["recall"], got["ndcg"]], want,
                               rtol=1e-12)


def test_top_n_metrics_by_hand():
    Xtr = np.array([[0, 0], [0, 1], [1, 1], [1, 2], [2, 0], [2, 1]])
    m = rs.Popularity().fit(Xtr)            # counts: item 0: 2, item 1: 3, item 2: 1
    # user 0 has seen 0 and 1: the list is [2]; user 1 gets [0]
    out = rs.top_n_metrics(m, Xtr, [[0, 2], [1, 0], [1, 3]], [5.0, 4.0, 5.0], k=1)
    assert out["n_users"] == 2
    assert out["precision"] == pytest.approx(1.0)
    # user 1's relevant item 3 never appeared in training: a miss no model can avoid
    assert out["recall"] == pytest.approx((1 + 0.5) / 2)


def test_bayesian_mf_posterior_mean_scores_average_the_draws(data):
    X, y = data
    m = rs.BayesianMF(n_factors=2, n_samples=6, burn_in=2).fit(X, y)
    users = np.array([0, 3])
    items = np.arange(m.items_.size)
    pairs = np.column_stack([np.repeat(m.users_[users], items.size),
                             np.tile(m.items_, users.size)])
    by_draw = m.predict_draws(pairs).mean(axis=0).reshape(users.size, -1)
    np.testing.assert_allclose(m.score_items(users), by_draw, rtol=1e-5)


@pytest.mark.parametrize("model", RANKERS, ids=lambda m: type(m).__name__)
def test_rankers_recommend_unseen_items(model, data):
    X, y = data
    m = model.fit(X, y)
    user = int(X[0, 0])
    seen = X[X[:, 0] == user, 1]
    rec = m.recommend(user, n=5, exclude=seen)
    assert rec.size == 5 and not np.isin(rec, seen).any()
    assert m.recommend(10_000, n=3).size == 3          # an unknown user: popular items
    assert m.predict(X[:4]).shape == (4,)


# ----------------------------------------------------------------------------- MCMC
def test_split_rhat_by_hand():
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    a, b = x[:100], x[100:]
    W = (a.var(ddof=1) + b.var(ddof=1)) / 2
    B_n = np.var([a.mean(), b.mean()], ddof=1)
    assert rs.split_rhat(x) == pytest.approx(np.sqrt((99 / 100 * W + B_n) / W), rel=1e-12)
    # a trend splits into halves with different means
    assert rs.split_rhat(x + np.linspace(0, 3, 200)) > 1.2
    with pytest.raises(ValueError):
        rs.split_rhat([1.0, 2.0, 3.0])


def test_geweke_z_is_standard_normal_under_stationarity():
    # AR(1) chains with rho = 0.7, started in their stationary law: the
    # autocorrelation-aware standard errors keep z close to N(0, 1); ignoring the
    # autocorrelation would inflate its spread by sqrt((1 + rho) / (1 - rho)) = 2.4
    from scipy.signal import lfilter

    rng = np.random.default_rng(4)
    rho, n = 0.7, 4000
    e = rng.normal(size=(300, n))
    e[:, 0] /= np.sqrt(1 - rho ** 2)
    x = lfilter([1.0], [1.0, -rho], e, axis=1)
    zs = np.array([rs.geweke_z(c) for c in x])
    # 300 draws: the sample sd of N(0, 1) is 1 +- 0.04; allow the estimated SEs' t-like tails
    assert 0.85 < zs.std() < 1.25 and abs(zs.mean()) < 0.2
    assert abs(rs.geweke_z(x[0] + np.linspace(0, 2, n))) > 4        # a drift is caught


def test_bayesian_mf_traces_and_rhat(data):
    X, y = data
    m = rs.BayesianMF(n_factors=3, n_samples=30, burn_in=10).fit(X, y)
    for key in ("noise_precision_", "train_rmse_", "signal_rms_", "interaction_rms_",
                "user_norm_", "item_norm_"):
        assert getattr(m, key).shape == (40,)
    assert set(m.rhat_) == {"noise_precision", "train_rmse", "signal_rms", "interaction_rms",
                            "user_norm", "item_norm"}
    # the traces are what they say: the last sweep's draw is the last kept sample
    u, i = np.searchsorted(m.users_, X[:, 0]), np.searchsorted(m.items_, X[:, 1])
    P, Q = m.user_samples_[-1].astype(float), m.item_samples_[-1].astype(float)
    dev = P[u, 3] + Q[i, 3] + np.sum(P[u, :3] * Q[i, :3], 1)
    np.testing.assert_allclose(m.signal_rms_[-1], np.sqrt(np.mean(dev ** 2)), rtol=1e-5)
    np.testing.assert_allclose(m.train_rmse_[-1],
                               np.sqrt(np.mean((y - m.global_mean_ - dev) ** 2)), rtol=1e-5)
    r = rs.BayesianMF(n_factors=3, n_samples=5, burn_in=3, init="random").fit(X, y)
    assert r.train_rmse_.shape == (8,)
    with pytest.raises(ValueError, match="init"):
        rs.BayesianMF(init="pmf").fit(X, y)


# ----------------------------------------------------------------------------- factors, tuning
def test_canonical_factors_are_invariant_to_the_basis(data):
    X, y = data
    m = rs.ALS(n_factors=3).fit(X, y)
    c = rs.canonical_factors(m)
    np.testing.assert_allclose(c.user.T @ c.user, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(c.item.T @ c.item, np.eye(3), atol=1e-12)
    PQ = m.user_factors_ @ m.item_factors_.T
    np.testing.assert_allclose((c.user * c.singular_values) @ c.item.T, PQ,
                               rtol=0, atol=1e-12 * np.abs(PQ).max())
    # P A, Q A^{-T}: same product, different raw columns, same canonical factors
    A = np.array([[2.0, 0.3, 0.0], [0.1, 1.0, -0.4], [0.0, 0.5, 0.7]])
    m2 = rs.ALS(n_factors=3).fit(X, y)
    m2.user_factors_ = m.user_factors_ @ A
    m2.item_factors_ = m.item_factors_ @ np.linalg.inv(A).T
    c2 = rs.canonical_factors(m2)
    np.testing.assert_allclose(c2.singular_values, c.singular_values, rtol=1e-10)
    np.testing.assert_allclose(c2.item, c.item, atol=1e-8)
    assert c.explained.sum() == pytest.approx(1.0)


def test_explain_factors_min_support(data):
    X, y = data
    m = rs.ALS(n_factors=2).fit(X, y)
    cut = int(np.median(m.item_counts_))
    ends = rs.explain_factors(m, n=4, min_support=cut, canonical=True)
    frequent = set(m.items_[m.item_counts_ >= cut].tolist())
    assert all(j in frequent for top, bottom in ends for j in top + bottom)
    with pytest.raises(ValueError, match="min_support"):
        rs.explain_factors(m, min_support=10 ** 6)


def test_tune_picks_the_best_validation_score(data):
    X, y = data
    cands = [{"reg": 1e-3}, {"reg": 0.2}, {"reg": 50.0}]
    res = rs.tune(rs.ALS(n_factors=3), cands, X, y, random_state=1)
    fit, valid = rs.train_validation_split(X, y, 0.2, random_state=1)
    by_hand = [rs.rmse(y[valid], rs.ALS(n_factors=3, **c).fit(X[fit], y[fit]).predict(X[valid]))
               for c in cands]
    np.testing.assert_allclose(res.scores, by_hand)
    assert res.best_params == cands[int(np.argmin(by_hand))]
    res_n = rs.tune(rs.PureSVD(), [{"n_factors": 2}, {"n_factors": 5}], X, y, metric="ndcg")
    assert res_n.metric == "ndcg" and np.all(res_n.scores <= 0)
    assert np.intersect1d(fit, valid).size == 0 and fit.size + valid.size == y.size


def test_cross_validate_top_n_for_rankers_and_raters(data):
    X, y = data
    folds = rs.kfold_split(X, y, 3, random_state=0)
    a = rs.cross_validate(rs.PureSVD(n_factors=3), X, y, folds=folds, top_n=True)
    b = rs.cross_validate(rs.ALS(n_factors=3), X, y, folds=folds, top_n=True)
    assert np.all(np.isnan(a["rmse"])) and np.all(np.isfinite(b["rmse"]))
    for r in (a, b):
        assert r["top_ndcg"].shape == (3,) and np.all((0 <= r["top_ndcg"]) & (r["top_ndcg"] <= 1))
