"""MaxAbsScaler and Normalizer agree with scikit-learn; one pass; partial_fit; lazy."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import preprocessing as sk

from dml._engine.mapreduce import count_passes
from dml.preprocessing import MaxAbsScaler, Normalizer


@pytest.fixture
def X(rng):
    X = rng.normal(scale=5.0, size=(400, 5))
    X[7, 2] = np.nan
    X[:, 3] = 0.0
    X[:, 4] = np.nan
    return X


def test_maxabs_matches_sklearn(scheduler, X):
    with pytest.warns(RuntimeWarning):  # scikit-learn's nanmax of the all-NaN column
        ref = sk.MaxAbsScaler().fit(X)
    est = MaxAbsScaler().fit(da.from_array(X, chunks=(77, 2)))
    np.testing.assert_array_equal(est.max_abs_, ref.max_abs_)
    np.testing.assert_array_equal(est.scale_, ref.scale_)
    assert est.n_samples_seen_ == ref.n_samples_seen_ == 400
    out = est.transform(da.from_array(X, chunks=100))
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), ref.transform(X), equal_nan=True)
    back = est.inverse_transform(out)
    assert isinstance(back, da.Array)
    np.testing.assert_allclose(back.compute(), X, rtol=1e-15, equal_nan=True)
    np.testing.assert_allclose(est.inverse_transform(ref.transform(X)), X, rtol=1e-15, equal_nan=True)


def test_maxabs_partial_fit_equals_fit(X):
    X = X[:, :4]
    est = MaxAbsScaler()
    for part in np.array_split(X, 3):
        est.partial_fit(da.from_array(part, chunks=40))
    ref = sk.MaxAbsScaler().fit(X)
    np.testing.assert_array_equal(est.max_abs_, ref.max_abs_)
    assert est.n_samples_seen_ == ref.n_samples_seen_


def test_maxabs_is_one_pass_and_rejects_inf(X):
    with count_passes() as counter:
        MaxAbsScaler().fit(da.from_array(X[:, :4], chunks=100))
    assert counter.passes == 1
    X = X.copy()
    X[3, 0] = -np.inf
    for XX in (X, da.from_array(X, chunks=100)):
        with pytest.raises(ValueError, match="Input X contains infinity"):
            MaxAbsScaler().fit(XX)


def test_maxabs_float32_and_copy(rng):
    X = rng.normal(size=(50, 3)).astype(np.float32)
    est = MaxAbsScaler().fit(X)
    assert est.transform(da.from_array(X, chunks=20)).dtype == np.float32
    Xc = X.copy()
    out = MaxAbsScaler(copy=False).fit(Xc).transform(Xc)
    assert out is Xc
    np.testing.assert_allclose(Xc, sk.MaxAbsScaler().fit_transform(X), rtol=1e-6)


def test_maxabs_dataframe_set_output(rng):
    df = pd.DataFrame({"a": rng.normal(size=30), "b": pd.array(rng.integers(-9, 9, 30), dtype="Int64")})
    ref = sk.MaxAbsScaler().set_output(transform="pandas").fit(df)
    est = MaxAbsScaler().set_output(transform="pandas").fit(dd.from_pandas(df, npartitions=3))
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b"])
    np.testing.assert_array_equal(est.get_feature_names_out(), ["a", "b"])
    out = est.transform(df)
    pd.testing.assert_frame_equal(out, ref.transform(df))


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
def test_normalizer_matches_sklearn(scheduler, rng, norm):
    X = rng.normal(size=(300, 4))
    X[5] = 0.0
    ref = sk.Normalizer(norm=norm).fit_transform(X)
    with count_passes() as counter:
        est = Normalizer(norm=norm).fit(da.from_array(X, chunks=64))
    assert counter.passes == 0  # stateless: metadata only on Dask input
    out = est.transform(da.from_array(X, chunks=64))
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), ref, rtol=1e-12)
    np.testing.assert_allclose(Normalizer(norm=norm).transform(X), ref, rtol=1e-12)
    assert est.n_features_in_ == 4


def test_normalizer_nan_and_copy(rng):
    X = rng.normal(size=(40, 3))
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN."):
        Normalizer().fit(Xn)
    with pytest.raises(ValueError, match="Input X contains NaN."):
        Normalizer().fit(da.from_array(X, chunks=10)).transform(da.from_array(Xn, chunks=10)).compute()
    Xc = X.copy()
    assert Normalizer(copy=False).transform(Xc) is Xc
    np.testing.assert_allclose(Xc, sk.normalize(X), rtol=1e-12)
    X2 = X.copy()
    Normalizer(copy=False).transform(X2, copy=True)
    np.testing.assert_array_equal(X2, X)


def test_normalizer_bad_norm():
    with pytest.raises(ValueError, match="norm"):
        Normalizer(norm="l3").fit(np.ones((2, 2)))


def test_kernels_are_namespace_generic(rng):
    import array_api_strict as xps

    from dml._engine.namespace import get_namespace, to_numpy
    from dml.preprocessing._scale_kernels import (
        divide_kernel,
        maxabs_kernel,
        multiply_kernel,
        nonfinite_kernel,
        normalize_kernel,
    )

    X = rng.normal(size=(40, 3))
    X[2, 1] = np.nan
    xnp, xst = get_namespace(X), xps.asarray(X)
    for key in ("max_abs", "n_rows"):
        np.testing.assert_array_equal(
            to_numpy(maxabs_kernel(xst, None, None, xp=xps)[key]), maxabs_kernel(X, None, None, xp=xnp)[key]
        )
    for key in ("nan", "inf"):
        assert int(nonfinite_kernel(xst, None, None, xp=xps)[key]) == int(
            nonfinite_kernel(X, None, None, xp=xnp)[key]
        )
    scale = np.array([1.0, 2.0, 4.0])
    for kernel, kw in ((divide_kernel, {"scale": scale}), (multiply_kernel, {"scale": scale})):
        np.testing.assert_array_equal(to_numpy(kernel(xst, xp=xps, **kw)), kernel(X, xp=xnp, **kw))
    X[2, 1] = 0.0
    X[5] = 0.0
    for norm in ("l1", "l2", "max"):
        np.testing.assert_allclose(
            to_numpy(normalize_kernel(xps.asarray(X), xp=xps, norm=norm)),
            normalize_kernel(X, xp=xnp, norm=norm),
        )
