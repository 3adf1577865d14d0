"""svdlab.latent (chapter 8): latent analysis, interpolation, mixing, probabilistic PCA."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from sklearn.decomposition import PCA, FactorAnalysis
from sklearn.utils.estimator_checks import parametrize_with_checks

from svdlab import latent as lt
from svdlab.linalg import effective_rank, svd


def _unit(v):
    return v / np.linalg.norm(v)


# ---------------------------------------------------------------- latent_analysis
def test_latent_analysis_matches_pca():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((300, 3)) @ rng.standard_normal((3, 10)) + 5.0
    a = lt.latent_analysis(Z, 3)
    pca = PCA(3).fit(Z)
    np.testing.assert_allclose(np.abs(a.directions @ pca.components_.T), np.eye(3), atol=1e-8)
    np.testing.assert_allclose(a.singular_values[:3], pca.singular_values_, rtol=1e-10)
    np.testing.assert_allclose(a.mean, Z.mean(axis=0))
    assert a.rank90 <= 3 and a.energy[2] > 1 - 1e-10
    assert a.effective_rank == pytest.approx(effective_rank(a.singular_values))


def test_latent_analysis_uncentered_and_bad_input():
    Z = np.ones((5, 3))
    a = lt.latent_analysis(Z, center=False)
    assert a.directions.shape == (3, 3) and a.effective_rank == pytest.approx(1.0)
    with pytest.raises(ValueError, match="all codes equal"):
        lt.latent_analysis(Z)
    with pytest.raises(ValueError, match="2-D"):
        lt.latent_analysis(np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        lt.latent_analysis([[1.0, np.nan], [0.0, 1.0]])
    with pytest.raises(ValueError, match="n_directions"):
        lt.latent_analysis(np.eye(3), 4)
    with pytest.raises(ValueError, match="at least 2"):
        lt.latent_analysis([[1.0, 2.0]])
    with pytest.raises(TypeError):
        lt.latent_analysis([["a", "b"], ["c", "d"]])


# ---------------------------------------------------------------- lerp / slerp
def test_lerp_endpoints_and_shapes():
    z1, z2 = np.array([1.0, 2.0]), np.array([3.0, -2.0])
    P = lt.lerp(z1, z2, np.linspace(0, 1, 5))
    assert P.shape == (5, 2)
    np.testing.assert_allclose(P[0], z1)
    np.testing.assert_allclose(P[-1], z2)
    np.testing.assert_allclose(lt.lerp(z1, z2, 0.25), 0.75 * z1 + 0.25 * z2)


@settings(max_examples=60, deadline=None)
@given(d=st.integers(2, 30), seed=st.integers(0, 2**16))
def test_slerp_stays_on_unit_sphere_at_constant_speed(d, seed):
    rng = np.random.default_rng(seed)
    z1, z2 = _unit(rng.standard_normal(d)), _unit(rng.standard_normal(d))
    t = np.linspace(0, 1, 11)
    P = lt.slerp(z1, z2, t)
    np.testing.assert_allclose(np.linalg.norm(P, axis=1), 1.0, atol=1e-10)
    np.testing.assert_allclose(P[0], z1, atol=1e-10)
    np.testing.assert_allclose(P[-1], z2, atol=1e-10)
    steps = np.arccos(np.clip(np.sum(P[1:] * P[:-1], axis=1), -1, 1))
    np.testing.assert_allclose(steps, steps.mean(), atol=1e-6)  # constant angular speed
    # the path stays in the plane of z1 and z2
    Q, _ = np.linalg.qr(np.stack([z1, z2], axis=1))
    np.testing.assert_allclose(P - (P @ Q) @ Q.T, 0.0, atol=1e-9)


def test_slerp_unnormalized_codes():
    z1, z2 = np.array([3.0, 0.0, 0.0]), np.array([0.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="unit vector"):
        lt.slerp(z1, z2, 0.5)
    t = np.linspace(0, 1, 7)
    P = lt.slerp(z1, z2, t, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(P, axis=1), 3 - t)
    np.testing.assert_allclose(P[[0, -1]], [z1, z2], atol=1e-12)
    # directions follow the unit great circle
    D = P / np.linalg.norm(P, axis=1, keepdims=True)
    np.testing.assert_allclose(D, lt.slerp(_unit(z1), _unit(z2), t), atol=1e-12)
    # the seed's formula applied to raw codes leaves the sphere: |path(1/2)| != 1 and != radii
    seed_mid = (np.sin(0.5 * np.pi / 2) * (z1 + z2)) / np.sin(np.pi / 2)
    assert not np.isclose(np.linalg.norm(seed_mid), np.linalg.norm(P[3]))


def test_slerp_parallel_and_antiparallel():
    z = _unit(np.array([1.0, 2.0, 2.0]))
    P = lt.slerp(z, z, np.linspace(0, 1, 4))
    np.testing.assert_allclose(P, np.tile(z, (4, 1)), atol=1e-12)
    z2 = _unit(z + 1e-9 * np.array([0.0, 1.0, -1.0]))
    assert np.all(np.isfinite(lt.slerp(z, z2, [0.3, 0.7])))
    with pytest.raises(ValueError, match="antiparallel"):
        lt.slerp(z, -z, 0.5)
    with pytest.raises(ValueError, match="non-zero"):
        lt.slerp(np.zeros(3), z, 0.5, normalize=True)


def test_interpolation_bad_input():
    with pytest.raises(ValueError, match="length"):
        lt.lerp([1.0, 0.0], [1.0, 0.0, 0.0], 0.5)
    with pytest.raises(ValueError, match="finite"):
        lt.lerp([1.0, 0.0], [0.0, 1.0], np.nan)
    with pytest.raises(ValueError, match="1-D"):
        lt.slerp(np.eye(2), [1.0, 0.0], 0.5)
    with pytest.raises(ValueError, match="empty"):
        lt.lerp([], [], 0.5)
    with pytest.raises(TypeError):
        lt.lerp(["a"], ["b"], 0.5)


# ---------------------------------------------------------------- subspace / mixing
def test_subspace_interpolate_equals_lerp_of_projections():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((200, 6)) @ np.diag([5, 4, 3, 0.1, 0.1, 0.1])
    a = lt.latent_analysis(Z, 3)
    z1, z2 = Z[0], Z[1]
    t = np.linspace(0, 1, 5)
    P = lt.subspace_interpolate(z1, z2, t, a.directions, mean=a.mean)
    proj = lambda z: a.mean + (z - a.mean) @ a.directions.T @ a.directions  # noqa: E731
    np.testing.assert_allclose(P, lt.lerp(proj(z1), proj(z2), t), atol=1e-12)
    # every point lies in the affine subspace
    R = (P - a.mean) - (P - a.mean) @ a.directions.T @ a.directions
    np.testing.assert_allclose(R, 0, atol=1e-12)
    # full basis, zero mean: ordinary lerp
    np.testing.assert_allclose(lt.subspace_interpolate(z1, z2, t, np.eye(6)), lt.lerp(z1, z2, t))
    S = lt.subspace_interpolate(z1, z2, t, a.directions, mean=a.mean, method="spherical")
    np.testing.assert_allclose(S[[0, -1]], [proj(z1), proj(z2)], atol=1e-10)


def test_mix_components():
    rng = np.random.default_rng(2)
    _, _, Vt = svd(rng.standard_normal((20, 5)))
    mu = rng.standard_normal(5)
    zc, zs = rng.standard_normal(5), rng.standard_normal(5)
    for split in range(6):
        z = lt.mix_components(zc, zs, Vt, split, mean=mu)
        c = Vt @ (z - mu)
        np.testing.assert_allclose(c[:split], (Vt @ (zc - mu))[:split], atol=1e-12)
        np.testing.assert_allclose(c[split:], (Vt @ (zs - mu))[split:], atol=1e-12)
    np.testing.assert_allclose(lt.mix_components(zc, zs, Vt, 0, mean=mu), zs, atol=1e-12)
    np.testing.assert_allclose(lt.mix_components(zc, zs, Vt, 5, mean=mu), zc, atol=1e-12)
    np.testing.assert_allclose(lt.mix_components(zc, zc, Vt, 2), zc, atol=1e-12)
    # batches broadcast
    Zc = rng.standard_normal((4, 5))
    assert lt.mix_components(Zc, zs, Vt, 2).shape == (4, 5)
    # a partial basis: outside its span the style code wins
    z = lt.mix_components(zc, zs, Vt[:2], 2)
    np.testing.assert_allclose(Vt[2:] @ z, Vt[2:] @ zs, atol=1e-12)


def test_mix_and_subspace_bad_input():
    B = np.eye(3)
    with pytest.raises(ValueError, match="split"):
        lt.mix_components(np.ones(3), np.ones(3), B, 4)
    with pytest.raises(TypeError, match="split"):
        lt.mix_components(np.ones(3), np.ones(3), B, 1.5)
    with pytest.raises(ValueError, match="same latent dimension"):
        lt.mix_components(np.ones(3), np.ones(4), B, 1)
    with pytest.raises(ValueError, match="orthonormal"):
        lt.mix_components(np.ones(3), np.ones(3), 2 * B, 1)
    with pytest.raises(ValueError, match="one column per latent"):
        lt.subspace_interpolate(np.ones(3), np.ones(3), 0.5, np.eye(4))
    with pytest.raises(ValueError, match="method"):
        lt.subspace_interpolate(np.ones(3), np.ones(3), 0.5, B, method="cubic")
    with pytest.raises(ValueError, match="same number of codes"):
        lt.mix_components(np.ones((2, 3)), np.ones((3, 3)), B, 1)


# ---------------------------------------------------------------- probabilistic PCA
def _ppca_data(n=3000, d=8, q=2, sigma=0.3, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((d, q)) * 2
    X = rng.standard_normal((n, q)) @ W.T + 1.0 + sigma * rng.standard_normal((n, d))
    return X, W, sigma


def test_ppca_matches_sklearn_pca_up_to_the_ml_divisor():
    X, _, sigma = _ppca_data()
    n = X.shape[0]
    m = lt.LinearGenerativeModel(n_components=2).fit(X)
    pca = PCA(n_components=2).fit(X)
    # scikit-learn estimates the covariance with 1/(n - 1), maximum likelihood with 1/n
    assert m.noise_variance_ == pytest.approx(pca.noise_variance_ * (n - 1) / n, rel=1e-10)
    np.testing.assert_allclose(m.explained_variance_, pca.explained_variance_ * (n - 1) / n,
                               rtol=1e-10)
    np.testing.assert_allclose(m.get_covariance(), pca.get_covariance() * (n - 1) / n,
                               rtol=1e-8, atol=1e-10)
    assert m.noise_variance_ == pytest.approx(sigma**2, rel=0.1)
    # FactorAnalysis (diagonal noise) reaches about the same likelihood on isotropic noise
    fa = FactorAnalysis(n_components=2, random_state=0).fit(X)
    assert abs(fa.score(X) - m.score(X)) < 0.02 * abs(m.score(X))


def test_ppca_score_is_the_gaussian_log_density():
    X, _, _ = _ppca_data()
    m = lt.LinearGenerativeModel(n_components=2).fit(X)
    ref = multivariate_normal(m.mean_, m.get_covariance()).logpdf(X[:50])
    np.testing.assert_allclose(m.score_samples(X[:50]), ref, rtol=1e-10)


@pytest.mark.parametrize("n", [12, 40, 400])
def test_ppca_is_the_maximum_of_the_training_likelihood(n):
    # the fit used 1/(n - 1) (issue 17): scaling the fitted covariance C by any c != 1
    # lowers the training likelihood only if C is the maximum-likelihood estimate; scikit-
    # learn's 1/(n - 1) estimate, C n/(n - 1), is one such scaling and must score lower
    X, _, _ = _ppca_data(n=n)
    m = lt.LinearGenerativeModel(n_components=2).fit(X)
    C = m.get_covariance()

    def ll(scale):
        return multivariate_normal(m.mean_, scale * C).logpdf(X).mean()

    best = ll(1.0)
    assert m.score(X) == pytest.approx(best, rel=1e-10)
    for scale in (n / (n - 1), (n - 1) / n, 1.01, 0.99):
        assert ll(scale) < best
    assert PCA(n_components=2).fit(X).score(X) < m.score(X)


def test_ppca_sampling_reproduces_covariance_and_encode_decode():
    X, _, _ = _ppca_data(seed=3)
    m = lt.LinearGenerativeModel(n_components=2, random_state=0).fit(X)
    S = m.sample(40000)
    C = m.get_covariance()
    np.testing.assert_allclose(np.cov(S.T), C, atol=0.03 * np.abs(C).max())
    np.testing.assert_allclose(S.mean(axis=0), m.mean_, atol=0.1)
    np.testing.assert_allclose(m.sample(3), m.sample(3))  # seeded by random_state
    Z = m.encode(X)
    assert Z.shape == (X.shape[0], 2)
    # the ML variances divide by n, so the codes' variance does too (ddof=0)
    np.testing.assert_allclose(Z.var(axis=0),
                               1 - m.noise_variance_ / m.explained_variance_, rtol=1e-8)
    R = m.decode(Z)
    assert np.mean((R - X) ** 2) < np.mean((X - X.mean(0)) ** 2)
    # posterior mean, shrunk: decoding the codes of the means returns the mean
    np.testing.assert_allclose(m.decode(m.encode(m.mean_[None]))[0], m.mean_)
    clean = m.sample(5, noise=False, random_state=1)
    np.testing.assert_allclose((clean - m.mean_) - (clean - m.mean_) @ m.components_.T
                               @ m.components_, 0, atol=1e-10)


def test_ppca_bad_input():
    X, _, _ = _ppca_data(n=50)
    with pytest.raises(ValueError, match="n_components"):
        lt.LinearGenerativeModel(n_components=9).fit(X)
    with pytest.raises(TypeError, match="n_components"):
        lt.LinearGenerativeModel(n_components=1.5).fit(X)
    m = lt.LinearGenerativeModel(n_components=2).fit(X)
    with pytest.raises(ValueError, match="columns"):
        m.decode(np.ones((3, 3)))
    with pytest.raises(ValueError):
        m.transform(np.ones((3, 7)))
    with pytest.raises(ValueError, match="n_samples"):
        m.sample(0)
    with pytest.raises(ValueError):
        lt.LinearGenerativeModel().fit(np.full((4, 3), np.nan))


@parametrize_with_checks([lt.LinearGenerativeModel(n_components=1, random_state=0)])
def test_sklearn_contract(estimator, check):
    check(estimator)
