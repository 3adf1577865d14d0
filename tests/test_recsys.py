"""Tests for svdlab.recsys on simulated ratings (no network, no MovieLens needed)."""

import numpy as np
import pytest

from svdlab import recsys as rs
from svdlab.datasets import make_ratings

MODELS = [rs.GlobalMean(), rs.Baseline(), rs.ImputedSVD(n_factors=5),
          rs.FunkSVD(n_factors=5, n_epochs=10), rs.ALS(n_factors=5),
          rs.SoftImpute(shrinkage=5.0, max_rank=8, n_iter=5),
          rs.SVDpp(n_factors=4, n_iter=5), rs.BayesianMF(n_factors=3, n_samples=10, burn_in=5)]


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


def test_raw_ids_are_mapped(data):
    X, y = data
    shifted = X * 7 + 1000
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
    ([[0, 0], [-1, 1]], [3.0, 3.0], "non-negative"),
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


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
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


def test_funk_svd_divergence_is_an_error(data):
    X, y = data
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="lr"):
        rs.FunkSVD(lr=50.0, n_epochs=30).fit(X, y)
