"""StandardScaler / MinMaxScaler agree with scikit-learn; one pass; partial_fit; lazy."""

import dask.array as da
import numpy as np
import pytest
from sklearn import preprocessing as sk

from dml._engine.mapreduce import count_passes
from dml.preprocessing import MinMaxScaler, StandardScaler


@pytest.fixture
def X(rng):
    X = rng.normal(loc=1e4, scale=3.0, size=(500, 4))
    X[7, 2] = np.nan
    return X


@pytest.mark.parametrize("with_mean,with_std", [(True, True), (False, True), (True, False), (False, False)])
def test_standard_scaler_matches_sklearn(scheduler, X, with_mean, with_std):
    w = np.random.default_rng(1).uniform(0.5, 2, size=500)
    ref = sk.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X, sample_weight=w)
    est = StandardScaler(with_mean=with_mean, with_std=with_std).fit(
        da.from_array(X, chunks=(123, 2)), sample_weight=da.from_array(w, chunks=50)
    )
    for attr in ("mean_", "var_", "scale_"):
        a, b = getattr(est, attr), getattr(ref, attr)
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-10)
    np.testing.assert_allclose(est.n_samples_seen_, ref.n_samples_seen_)
    out = est.transform(da.from_array(X, chunks=100))
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), ref.transform(X), rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(est.inverse_transform(ref.transform(X)), X, rtol=1e-9, equal_nan=True)


def test_standard_scaler_partial_fit_equals_fit(X):
    est = StandardScaler()
    for part in np.array_split(X, 4):
        est.partial_fit(da.from_array(part, chunks=40))
    ref = sk.StandardScaler().fit(X)
    np.testing.assert_allclose(est.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(est.var_, ref.var_, rtol=1e-9)
    np.testing.assert_array_equal(est.n_samples_seen_, ref.n_samples_seen_)


def test_scalers_are_one_pass(X):
    for est in (StandardScaler(), MinMaxScaler()):
        with count_passes() as c:
            est.fit(da.from_array(X, chunks=100))
        assert c.passes == 1


def test_constant_feature_gets_unit_scale(rng):
    X = np.column_stack([np.full(100, 3.0), rng.normal(size=100)])
    est = StandardScaler().fit(da.from_array(X, chunks=30))
    assert est.scale_[0] == 1.0
    np.testing.assert_allclose(est.transform(X)[:, 0], 0.0)


@pytest.mark.parametrize("clip", [False, True])
def test_minmax_scaler_matches_sklearn(scheduler, X, clip):
    ref = sk.MinMaxScaler(feature_range=(-1, 2), clip=clip).fit(X)
    est = MinMaxScaler(feature_range=(-1, 2), clip=clip).fit(da.from_array(X, chunks=(77, 4)))
    for attr in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        np.testing.assert_allclose(getattr(est, attr), getattr(ref, attr), rtol=1e-12)
    assert est.n_samples_seen_ == ref.n_samples_seen_
    X_new = X * 1.5
    np.testing.assert_allclose(
        est.transform(da.from_array(X_new, chunks=100)).compute(), ref.transform(X_new), equal_nan=True
    )
    np.testing.assert_allclose(est.inverse_transform(ref.transform(X)), X, rtol=1e-9, equal_nan=True)


def test_minmax_partial_fit(X):
    est = MinMaxScaler()
    for part in np.array_split(X, 3):
        est.partial_fit(part)
    ref = sk.MinMaxScaler().fit(X)
    np.testing.assert_allclose(est.data_min_, ref.data_min_)
    assert est.n_samples_seen_ == 500


def test_copy_false_scales_in_place_only_in_memory(rng):
    X = rng.normal(size=(50, 2))
    est = StandardScaler(copy=False).fit(X)
    Z = X.copy()
    out = est.transform(Z)
    assert out is Z
    np.testing.assert_allclose(Z, sk.StandardScaler().fit(X).transform(X))
    Xd = da.from_array(X, chunks=10)
    est.transform(Xd).compute()
    np.testing.assert_array_equal(Xd.compute(), X)  # Dask input never modified


def test_float32_preserved(rng):
    X = rng.normal(size=(100, 3)).astype(np.float32)
    for cls in (StandardScaler, MinMaxScaler):
        assert cls().fit_transform(da.from_array(X, chunks=30)).dtype == np.float32
