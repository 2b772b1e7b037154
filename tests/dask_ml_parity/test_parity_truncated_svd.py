"""Parity with dask-ml's ``tests/test_svd.py`` (TruncatedSVD).

dask-ml's default ``algorithm='tsqr'`` and its ``compute=`` keyword do not exist in dml
(docs/migrating_from_dask_ml.md, ``dask_ml.decomposition``): the exact solver is
``'arpack'``, the default ``'randomized'`` as scikit-learn, and fitted attributes are
always concrete NumPy. The checks dask-ml ports from scikit-learn are kept.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from numpy.testing import assert_array_almost_equal
from sklearn import decomposition as sd
from sklearn.utils._param_validation import InvalidParameterError

from dml import decomposition as dd

_rng = np.random.RandomState(42)
_X = np.maximum(_rng.randint(-100, 20, 60 * 55).reshape(60, 55), 0).astype(np.float64)
_X[_X > 0] = 1 + np.log(_X[_X > 0])  # a small dense tf-idf-like matrix
Xdense = _X
n_samples, n_features = Xdense.shape
dXdense = da.from_array(Xdense, chunks=(30, 55))


def _flip_cols(u):
    u = np.asarray(u)
    idx = np.abs(u).argmax(axis=0)
    return u * np.sign(u[idx, np.arange(u.shape[1])])


@pytest.mark.parametrize("algorithm", ["arpack", "randomized"])
def test_basic(algorithm):
    a = dd.TruncatedSVD(random_state=0, algorithm=algorithm).fit(dXdense)
    b = sd.TruncatedSVD(random_state=0, algorithm=algorithm).fit(Xdense)
    np.testing.assert_allclose(_flip_cols(a.components_.T), _flip_cols(b.components_.T), atol=1e-3)
    np.testing.assert_allclose(a.singular_values_, b.singular_values_, rtol=1e-3)
    np.testing.assert_allclose(a.explained_variance_ratio_, b.explained_variance_ratio_, rtol=1e-2)
    assert a.explained_variance_.shape == b.explained_variance_.shape
    np.testing.assert_allclose(a.explained_variance_, b.explained_variance_, rtol=0.01)


def test_tsqr_is_not_an_algorithm():
    with pytest.raises(InvalidParameterError, match="algorithm"):
        dd.TruncatedSVD(algorithm="tsqr").fit(dXdense)


def test_algorithms():
    svd_a = sd.TruncatedSVD(30, algorithm="arpack")
    svd_r = dd.TruncatedSVD(30, algorithm="arpack", random_state=42)
    Xa = svd_a.fit_transform(Xdense)[:, :6]
    Xr = svd_r.fit_transform(dXdense).compute()[:, :6]
    assert_array_almost_equal(_flip_cols(Xa), _flip_cols(Xr), decimal=5)
    comp_a, comp_r = np.abs(svd_a.components_), np.abs(svd_r.components_)
    assert_array_almost_equal(comp_a[:9], comp_r[:9])
    assert_array_almost_equal(comp_a[9:], comp_r[9:], decimal=2)


@pytest.mark.parametrize("n_components", [10, 25, 41])
def test_attributes(n_components):
    tsvd = dd.TruncatedSVD(n_components, random_state=0).fit(dXdense)
    assert tsvd.n_components == n_components
    assert tsvd.components_.shape == (n_components, n_features)


@pytest.mark.parametrize("algorithm", ["arpack", "randomized"])
def test_fitted_attributes_are_concrete(algorithm):
    # dask-ml's compute=False left these lazy; dml has no compute= and they are NumPy.
    est = dd.TruncatedSVD(random_state=0, algorithm=algorithm).fit(dXdense)
    for name in ["components_", "explained_variance_", "explained_variance_ratio_", "singular_values_"]:
        assert isinstance(getattr(est, name), np.ndarray)
    with pytest.raises(TypeError):
        dd.TruncatedSVD(compute=False)


@pytest.mark.parametrize("algorithm", ["arpack", "randomized"])
def test_too_many_components(algorithm):
    # As scikit-learn: 'arpack' needs n_components < n_features, 'randomized' <= n_features.
    too_many = (n_features, n_features + 1) if algorithm == "arpack" else (n_features + 1,)
    for n_components in too_many:
        with pytest.raises(ValueError):
            dd.TruncatedSVD(n_components=n_components, algorithm=algorithm).fit(dXdense)


def test_inverse_transform():
    a = dd.TruncatedSVD(n_components=52, random_state=42, n_iter=5)
    Xt = a.fit_transform(dXdense)
    Xinv = a.inverse_transform(Xt)
    assert isinstance(Xinv, da.Array)
    assert_array_almost_equal(Xinv.compute(), Xdense, decimal=1)


def test_integers():
    tsvd = dd.TruncatedSVD(n_components=6, random_state=0)
    Xtrans = tsvd.fit_transform(dXdense.astype(np.int64))
    assert Xtrans.shape == (n_samples, tsvd.n_components)
    assert Xtrans.dtype == np.float64


def test_singular_values():
    rng = np.random.RandomState(0)
    Xs = rng.randn(100, 80)
    dX = da.from_array(Xs, chunks=(50, 80))
    apca = dd.TruncatedSVD(n_components=2, algorithm="arpack", random_state=0).fit(dX)
    rpca = sd.TruncatedSVD(n_components=2, algorithm="arpack", random_state=0).fit(Xs)
    assert_array_almost_equal(apca.singular_values_, rpca.singular_values_, 12)
    X_apca = apca.transform(Xs)
    assert_array_almost_equal(np.sum(apca.singular_values_**2.0), np.linalg.norm(X_apca, "fro") ** 2.0, 10)
    assert_array_almost_equal(apca.singular_values_, np.sqrt(np.sum(X_apca**2.0, axis=0)), 12)

    # Set the singular values and read them back: a rank-3 matrix with orthonormal left
    # factors scaled by known values, its right factors a fitted model's components.
    Xs = rng.randn(100, 110)
    apca = dd.TruncatedSVD(n_components=3, algorithm="randomized", random_state=0).fit(
        da.from_array(Xs, chunks=(50, 110))
    )
    Q, _ = np.linalg.qr(rng.randn(100, 3))
    X_hat = (Q * [3.142, 2.718, 1.0]) @ apca.components_
    for algorithm in ["randomized", "arpack"]:
        est = dd.TruncatedSVD(n_components=3, algorithm=algorithm, random_state=0)
        est.fit(da.from_array(X_hat, chunks=(50, 110)))
        assert_array_almost_equal(est.singular_values_, [3.142, 2.718, 1.0], 12)
