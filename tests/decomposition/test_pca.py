"""PCA against scikit-learn, across chunkings and schedulers; passes; bad input."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import sklearn.decomposition as skd

from dml._engine.mapreduce import count_passes
from dml.decomposition import PCA


def _data(n=1500, p=12, seed=0, dtype=np.float64, offset=5.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) @ rng.normal(size=(p, p)) * np.linspace(3, 0.1, p) + offset
    return X.astype(dtype)


def _compare(est, ref, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(est.explained_variance_, ref.explained_variance_, rtol=rtol)
    np.testing.assert_allclose(est.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=rtol)
    np.testing.assert_allclose(est.singular_values_, ref.singular_values_, rtol=rtol)
    np.testing.assert_allclose(est.components_, ref.components_, rtol=rtol, atol=atol)
    np.testing.assert_allclose(est.mean_, ref.mean_, rtol=rtol, atol=atol)
    assert est.noise_variance_ == pytest.approx(ref.noise_variance_, rel=rtol)
    assert est.n_components_ == ref.n_components_


@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "arpack"])
@pytest.mark.parametrize("n_components", [3, None, 0.9])
def test_exact_solvers_match_sklearn(solver, n_components):
    if solver == "arpack" and not isinstance(n_components, int):
        pytest.skip("arpack needs an int n_components")
    X = _data()
    ref = skd.PCA(n_components=n_components, svd_solver=solver, random_state=0).fit(X)
    for Xin in (X, da.from_array(X, chunks=(200, -1)), da.from_array(X, chunks=((7, 993, 500), (5, 7)))):
        est = PCA(n_components=n_components, svd_solver=solver, random_state=0).fit(Xin)
        _compare(est, ref)
    np.testing.assert_allclose(est.transform(X), ref.transform(X), rtol=1e-6, atol=1e-7)


def test_mle_and_auto():
    X = _data(n=800, p=10)
    for solver in ("full", "covariance_eigh"):
        ref = skd.PCA(n_components="mle", svd_solver=solver).fit(X)
        est = PCA(n_components="mle", svd_solver=solver).fit(da.from_array(X, chunks=300))
        _compare(est, ref)
    est = PCA(n_components=4).fit(X)
    assert est._fit_svd_solver == "covariance_eigh"


def test_randomized_close_to_sklearn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 30)) * 0.8 ** np.arange(30) + 1.0
    for power in ("auto", 3):
        ref = skd.PCA(n_components=5, svd_solver="randomized", random_state=0, iterated_power=power).fit(X)
        est = PCA(n_components=5, svd_solver="randomized", random_state=0, iterated_power=power).fit(
            da.from_array(X, chunks=(300, -1))
        )
        _compare(est, ref, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("whiten", [False, True])
def test_transform_inverse_score(whiten):
    X = _data(n=600, p=8)
    ref = skd.PCA(n_components=4, whiten=whiten).fit(X)
    est = PCA(n_components=4, whiten=whiten).fit(X)
    Xd = da.from_array(X, chunks=(100, -1))
    Z = est.transform(Xd)
    assert isinstance(Z, da.Array)
    np.testing.assert_allclose(Z.compute(), ref.transform(X), rtol=1e-7, atol=1e-8)
    back = est.inverse_transform(Z)
    assert isinstance(back, da.Array)
    np.testing.assert_allclose(back.compute(), ref.inverse_transform(ref.transform(X)), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(est.score_samples(Xd).compute(), ref.score_samples(X), rtol=1e-7)
    assert est.score(Xd) == pytest.approx(ref.score(X), rel=1e-7)
    np.testing.assert_allclose(est.get_precision(), ref.get_precision(), rtol=1e-6, atol=1e-9)


def test_one_pass_claims():
    X = _data(n=600, p=8)
    Xd = da.from_array(X, chunks=(100, -1))
    for solver in ("full", "covariance_eigh", "arpack"):
        with count_passes() as c:
            PCA(n_components=3, svd_solver=solver).fit(Xd)
        assert c.passes == 1, (solver, c.kernels)
    with count_passes() as c:
        PCA(n_components=3, svd_solver="randomized", iterated_power=4).fit(Xd)
    assert c.passes == 4 + 2  # moments, then one pass per power iteration (+ the last product)


def test_scheduler_invariance(scheduler):
    X = _data(n=700, p=6)
    ref = skd.PCA(n_components=3, svd_solver="full").fit(X)
    for solver in ("full", "covariance_eigh"):
        est = PCA(n_components=3, svd_solver=solver).fit(da.from_array(X, chunks=(90, -1)))
        _compare(est, ref)


def test_float32_kept():
    X = _data(n=500, p=6, dtype=np.float32)
    est = PCA(n_components=3).fit(da.from_array(X, chunks=(100, -1)))
    ref = skd.PCA(n_components=3).fit(X)
    assert est.components_.dtype == np.float32
    assert est.transform(X).dtype == np.float32
    np.testing.assert_allclose(est.explained_variance_, ref.explained_variance_, rtol=1e-4)


def test_wide_data_full_solver():
    X = _data(n=30, p=50, seed=2)
    ref = skd.PCA(n_components=20, svd_solver="full").fit(X)
    est = PCA(n_components=20, svd_solver="full").fit(da.from_array(X, chunks=(8, -1)))
    _compare(est, ref, rtol=1e-6, atol=1e-7)


def test_bad_input():
    X = _data(n=20, p=5)
    with pytest.raises(
        ValueError,
        match=r"n_components=6 must be between 0 and min\(n_samples, n_features\)=5 with svd_solver='full'",
    ):
        PCA(n_components=6, svd_solver="full").fit(X)
    with pytest.raises(
        ValueError,
        match=r"n_components=6 must be between 0 and min\(n_samples, n_features\)=5 with svd_solver='covariance_eigh'",
    ):
        PCA(n_components=6, svd_solver="covariance_eigh").fit(da.from_array(X, chunks=7))
    with pytest.raises(
        ValueError,
        match=r"n_components=6 must be between 1 and min\(n_samples, n_features\)=5 with svd_solver='randomized'",
    ):
        PCA(n_components=6, svd_solver="randomized").fit(X)
    with pytest.raises(ValueError, match="must be strictly less than"):
        PCA(n_components=5, svd_solver="arpack").fit(X)
    with pytest.raises(ValueError, match="cannot be a string"):
        PCA(n_components="mle", svd_solver="randomized").fit(X)
    Xn = X.copy()
    Xn[2, 2] = np.nan
    for solver in ("full", "covariance_eigh", "randomized"):
        for Xin in (Xn, da.from_array(Xn, chunks=7)):
            with pytest.raises(ValueError, match="Input X contains NaN"):
                PCA(n_components=2, svd_solver=solver).fit(Xin)
    est = PCA(2).fit(X)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.transform(Xn)


@pytest.mark.gpu
def test_cupy_pca():
    cp = pytest.importorskip("cupy")
    X = _data(n=3000, p=20)
    ref = skd.PCA(n_components=5, svd_solver="full").fit(X)
    for solver in ("full", "covariance_eigh"):
        est = PCA(n_components=5, svd_solver=solver).fit(da.from_array(cp.asarray(X), chunks=(700, -1)))
        _compare(est, ref)
    est = PCA(n_components=5, svd_solver="randomized", random_state=0).fit(
        da.from_array(cp.asarray(X), chunks=(700, -1))
    )
    np.testing.assert_allclose(est.explained_variance_, ref.explained_variance_, rtol=1e-3)
