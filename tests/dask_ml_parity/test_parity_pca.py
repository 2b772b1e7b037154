"""Parity with dask-ml's ``tests/test_pca.py``.

dask-ml ports scikit-learn's PCA tests onto Dask arrays with its own solver list
(``'full'``, ``'randomized'``, ``'auto'``, ``'tsqr'``). dml takes scikit-learn's
``svd_solver`` names (docs/migrating_from_dask_ml.md, ``dask_ml.decomposition``): ``'tsqr'``
is refused and ``'covariance_eigh'`` is the exact tall-and-skinny solver that replaces it.
Where dask-ml raises (fractional ``n_components``, in-memory input, ``'auto'`` on unknown
chunk sizes) dml does what scikit-learn does, and that is what is checked.
"""

from __future__ import annotations

import dask.array as da
import dask.dataframe as ddf
import numpy as np
import pandas as pd
import pytest
import sklearn.decomposition as sd
from numpy.testing import assert_almost_equal, assert_array_almost_equal
from sklearn import datasets
from sklearn.utils._param_validation import InvalidParameterError

import dml.decomposition as dd

SOLVERS = ["full", "covariance_eigh", "randomized", "auto"]
iris = datasets.load_iris()
X = iris.data
n_samples, n_features = X.shape
dX = da.from_array(X, chunks=(n_samples // 2, n_features))


def _flip(u):
    """Make each row's largest-magnitude entry positive (sign-free comparison)."""
    u = np.asarray(u)
    idx = np.abs(u).argmax(axis=1)
    return u * np.sign(u[np.arange(len(u)), idx])[:, None]


def test_basic_against_scikit_learn():
    a = dd.PCA().fit(dX)
    b = sd.PCA().fit(X)
    for name in ["explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_"]:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-7, atol=1e-12)
    assert a.n_components_ == b.n_components_ and a.n_samples_ == b.n_samples_
    assert a.noise_variance_ == pytest.approx(b.noise_variance_, abs=1e-12)
    np.testing.assert_allclose(_flip(a.components_), _flip(b.components_), atol=1e-8)


def test_pca_n_components_covariance_precision():
    for n_comp in range(X.shape[1]):
        pca = dd.PCA(n_components=n_comp, svd_solver="full")
        X_r = pca.fit(dX).transform(dX)
        assert isinstance(X_r, da.Array) and X_r.shape[1] == n_comp
        X_r2 = pca.fit_transform(dX)
        assert_array_almost_equal(X_r.compute(), X_r2.compute())
        cov, precision = pca.get_covariance(), pca.get_precision()
        assert_array_almost_equal(cov @ precision, np.eye(X.shape[1]), 12)
    pca = dd.PCA(svd_solver="full").fit(dX)
    assert_almost_equal(pca.explained_variance_ratio_.sum(), 1.0, 3)


def test_pca_randomized_solver():
    rng = np.random.RandomState(0)
    Xr = rng.randn(200, 10)
    Xr[:, :2] *= 20
    a = dd.PCA(n_components=2, svd_solver="randomized", random_state=0).fit(da.from_array(Xr, chunks=50))
    b = sd.PCA(n_components=2, svd_solver="full").fit(Xr)
    np.testing.assert_allclose(a.explained_variance_, b.explained_variance_, rtol=1e-3)
    np.testing.assert_allclose(_flip(a.components_), _flip(b.components_), atol=1e-2)


@pytest.mark.parametrize("solver", SOLVERS)
def test_pca_check_projection(solver):
    rng = np.random.RandomState(0)
    n, p = 100, 3
    Xp = rng.randn(n, p) * 0.1
    Xp[:10] += np.array([3, 4, 5])
    Xt = 0.1 * rng.randn(1, p) + np.array([3, 4, 5])
    Yt = dd.PCA(n_components=2, svd_solver=solver, random_state=0).fit(da.from_array(Xp, chunks=(n, p)))
    Yt = Yt.transform(da.from_array(Xt)).compute()
    Yt /= np.sqrt((Yt**2).sum())
    assert_almost_equal(np.abs(Yt[0][0]), 1.0, 1)


@pytest.mark.parametrize("solver", SOLVERS)
def test_pca_inverse(solver):
    rng = np.random.RandomState(0)
    n, p = 50, 3
    Xi = rng.randn(n, p)
    Xi[:, 1] *= 0.00001
    Xi += [5, 4, 3]
    dXi = da.from_array(Xi, chunks=(n // 2, p))
    for whiten in (False, True):
        pca = dd.PCA(n_components=2, whiten=whiten, svd_solver=solver, random_state=0).fit(dXi)
        Y_inverse = pca.inverse_transform(pca.transform(dXi))
        assert isinstance(Y_inverse, da.Array)
        assert_almost_equal(Y_inverse.compute(), Xi, decimal=3)


@pytest.mark.parametrize("solver", SOLVERS + ["arpack"])
def test_pca_validation(solver):
    Xv = da.from_array(np.array([[0.0, 1, 0], [1, 0, 0]]), chunks=(2, 3))
    for n_components in [-1, 3]:
        with pytest.raises(ValueError, match="n_components"):
            dd.PCA(n_components, svd_solver=solver).fit(Xv)
    if solver == "arpack":
        with pytest.raises(ValueError, match="n_components"):
            dd.PCA(2, svd_solver=solver).fit(Xv)


@pytest.mark.parametrize("solver", SOLVERS + ["arpack"])
def test_n_components_none(solver):
    pca = dd.PCA(svd_solver=solver, random_state=0).fit(da.from_array(X, chunks=X.shape))
    expected = min(X.shape) - 1 if solver == "arpack" else min(X.shape)
    assert pca.n_components_ == expected


def test_pca_score():
    n, p = 1000, 3
    rng = np.random.RandomState(0)
    Xs = rng.randn(n, p) * 0.1 + np.array([3, 4, 5])
    dXs = da.from_array(Xs, chunks=(n // 2, p))
    h = -0.5 * np.log(2 * np.pi * np.exp(1) * 0.1**2) * p
    for solver in SOLVERS:
        pca = dd.PCA(n_components=2, svd_solver=solver, random_state=0).fit(dXs)
        ll1 = pca.score(dXs)
        assert_almost_equal(ll1 / h, 1, 0)
        assert ll1 == pytest.approx(sd.PCA(n_components=2).fit(Xs).score(Xs), rel=1e-6)


def test_pca_score_separates_datasets_and_whitening():
    n, p = 100, 3
    rng = np.random.RandomState(0)
    Xs = rng.randn(n, p) * 0.1 + np.array([3, 4, 5])
    dXs = da.from_array(Xs, chunks=(n // 2, p))
    for solver in SOLVERS:
        pca = dd.PCA(n_components=2, svd_solver=solver, random_state=0).fit(dXs)
        ll1 = pca.score(dXs)
        assert ll1 > pca.score(rng.randn(n, p) * 0.2 + np.array([3, 4, 5]))
        wpca = dd.PCA(n_components=2, whiten=True, svd_solver=solver, random_state=0).fit(dXs)
        assert ll1 > wpca.score(dXs)


def test_pca_score_selects_right_model():
    n, p = 200, 3
    rng = np.random.RandomState(0)
    Xl = rng.randn(n, p) + rng.randn(n, 1) * np.array([3, 4, 5]) + np.array([1, 0, 7])
    Xt = rng.randn(n, p) + rng.randn(n, 1) * np.array([3, 4, 5]) + np.array([1, 0, 7])
    ll = [
        dd.PCA(n_components=k, svd_solver="full")
        .fit(da.from_array(Xl, chunks=(n // 2, p)))
        .score(da.from_array(Xt, chunks=(n // 2, p)))
        for k in range(p)
    ]
    assert int(np.argmax(ll)) == 1


@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "randomized"])
def test_pca_zero_noise_variance_edge_cases(solver):
    rng = np.random.RandomState(0)
    Xz = rng.randn(100, 3) * 0.1 + np.array([3, 4, 5])
    pca = dd.PCA(svd_solver=solver, n_components=3, random_state=0).fit(da.from_array(Xz, chunks=(50, 3)))
    assert pca.noise_variance_ == 0


@pytest.mark.parametrize("solver", ["bad_argument", "tsqr"])
def test_pca_bad_solver(solver):
    # 'tsqr' is dask-ml's; dml takes scikit-learn's names only.
    pca = dd.PCA(n_components=3, svd_solver=solver)
    with pytest.raises(InvalidParameterError, match="svd_solver"):
        pca.fit(da.from_array(np.random.RandomState(0).rand(5, 4)))


@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "randomized"])
def test_pca_float_dtype_preservation(solver):
    # dask-ml marks 'randomized' xfail (dask's svd_compressed promotes); dml keeps float32.
    X_64 = np.random.RandomState(0).rand(1000, 4)
    X_32 = X_64.astype(np.float32)
    pca_64 = dd.PCA(n_components=3, svd_solver=solver, random_state=0).fit(da.from_array(X_64, chunks=500))
    pca_32 = dd.PCA(n_components=3, svd_solver=solver, random_state=0).fit(da.from_array(X_32, chunks=500))
    assert pca_64.components_.dtype == np.float64
    assert pca_64.transform(da.from_array(X_64)).dtype == np.float64
    assert pca_32.components_.dtype == np.float32
    assert pca_32.transform(da.from_array(X_32)).dtype == np.float32
    assert_array_almost_equal(_flip(pca_64.components_), _flip(pca_32.components_), decimal=4)


@pytest.mark.parametrize("solver", SOLVERS)
def test_pca_int_dtype_upcast_to_double(solver):
    X_i64 = np.random.RandomState(0).randint(0, 1000, (1000, 4)).astype(np.int64)
    X_i32 = X_i64.astype(np.int32)
    pca_64 = dd.PCA(n_components=3, svd_solver=solver, random_state=0).fit(da.from_array(X_i64, chunks=500))
    pca_32 = dd.PCA(n_components=3, svd_solver=solver, random_state=0).fit(da.from_array(X_i32, chunks=500))
    assert pca_64.components_.dtype == pca_32.components_.dtype == np.float64
    assert pca_64.transform(da.from_array(X_i64)).dtype == np.float64
    assert pca_32.transform(da.from_array(X_i32)).dtype == np.float64
    assert_array_almost_equal(pca_64.components_, pca_32.components_, decimal=5)


def test_fractional_n_components():
    # dask-ml raises NotImplementedError; dml follows scikit-learn: the number of
    # components that explain the given fraction of the variance.
    Xf = np.random.RandomState(0).uniform(size=(40, 5))
    ours = dd.PCA(n_components=0.5, svd_solver="full").fit(da.from_array(Xf, chunks=(20, 5)))
    ref = sd.PCA(n_components=0.5, svd_solver="full").fit(Xf)
    assert ours.n_components_ == ref.n_components_
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-8)


@pytest.mark.parametrize("solver", ["auto", "covariance_eigh", "randomized", "full"])
@pytest.mark.parametrize("fn", ["fit", "fit_transform"])
def test_unknown_shapes(fn, solver):
    # dask-ml cannot pick a solver for 'auto' on unknown chunk sizes and raises; dml
    # reads the row count in its pass and fits.
    Xu = np.random.RandomState(42).uniform(-1, 1, size=(10, 3))
    Xd = ddf.from_pandas(pd.DataFrame(Xu), npartitions=2).values
    assert np.isnan(Xd.shape[0])
    pca = dd.PCA(n_components=2, svd_solver=solver, random_state=0)
    X_hat = getattr(pca, fn)(Xd)
    assert pca.n_components_ == 2 and pca.n_features_in_ == 3 and pca.n_samples_ == 10
    ref = sd.PCA(n_components=2, svd_solver="full").fit(Xu)
    np.testing.assert_allclose(pca.explained_variance_, ref.explained_variance_, rtol=1e-6)
    if fn == "fit_transform":
        assert X_hat.shape[1] == 2
        assert X_hat.compute().shape == (10, 2)


@pytest.mark.parametrize("solver", ["randomized", "covariance_eigh", "full"])
def test_unknown_shapes_n_components_larger_than_num_rows(solver):
    Xw = np.random.RandomState(0).randn(2, 10)
    Xd = ddf.from_pandas(pd.DataFrame(Xw), npartitions=2).values
    with pytest.raises(ValueError, match="n_components"):
        dd.PCA(n_components=3, svd_solver=solver).fit(Xd)


@pytest.mark.parametrize("input_type", [np.array, pd.DataFrame])
@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "auto"])
def test_pca_in_memory_inputs(input_type, solver):
    # dask-ml refuses in-memory input ("unsupported type"); dml runs on it directly and
    # gives scikit-learn's model.
    Y = input_type(X)
    a = dd.PCA(svd_solver=solver).fit(Y)
    b = sd.PCA().fit(X)
    np.testing.assert_allclose(a.explained_variance_, b.explained_variance_, rtol=1e-8)
    out = dd.PCA(svd_solver=solver).fit_transform(Y)
    assert isinstance(out, np.ndarray) and out.shape == (n_samples, n_features)
