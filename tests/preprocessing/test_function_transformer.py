"""FunctionTransformer agrees with scikit-learn; blockwise and lazy on Dask input."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import preprocessing as sk

from dml._engine.mapreduce import count_passes
from dml.preprocessing import FunctionTransformer


@pytest.fixture
def X(rng):
    return rng.uniform(0.5, 3.0, size=(250, 4))


def _spy(X):
    calls = []

    def spy(block):
        if block.size:
            calls.append(1)
        return block

    return X.map_blocks(spy, dtype=X.dtype), calls


def test_blockwise_matches_sklearn(scheduler, X):
    kw = dict(func=np.log, inverse_func=np.exp)
    ref = sk.FunctionTransformer(**kw).fit(X)
    Xd = da.from_array(X, chunks=(60, 2))
    est = FunctionTransformer(**kw).fit(Xd)
    assert est.n_features_in_ == ref.n_features_in_ == 4
    out = est.transform(Xd)
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), ref.transform(X))
    back = est.inverse_transform(out)
    assert isinstance(back, da.Array)
    np.testing.assert_allclose(back.compute(), X)
    np.testing.assert_allclose(est.transform(X), ref.transform(X))


def test_fit_reads_the_first_chunk_only(X):
    Xd, calls = _spy(da.from_array(X, chunks=(60, 2)))
    est = FunctionTransformer(np.log, inverse_func=np.exp).fit(Xd)
    assert len(calls) == 2  # the first row chunk's two column blocks, for check_inverse
    out = est.transform(Xd)
    assert len(calls) == 2  # lazy
    np.testing.assert_allclose(out.compute(), np.log(X))


def test_kw_args_and_changing_columns(X):
    def pick(X, cols, scale):
        return X[:, cols] * scale

    est = FunctionTransformer(pick, kw_args={"cols": [0, 2, 3], "scale": 2.0})
    ref = sk.FunctionTransformer(pick, kw_args={"cols": [0, 2, 3], "scale": 2.0})
    out = est.fit_transform(da.from_array(X, chunks=(50, 2)))
    assert out.shape[1] == 3 and out.chunks[1] == (3,)
    np.testing.assert_allclose(out.compute(), ref.fit_transform(X))

    def unscale(X, dtype):  # a keyword named like a map_blocks argument
        return (X / 2.0).astype(dtype)

    inv = FunctionTransformer(inverse_func=unscale, inv_kw_args={"dtype": np.float32}, check_inverse=False)
    got = inv.fit(X).inverse_transform(da.from_array(X, chunks=50))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.compute(), X / 2.0, rtol=1e-6)
    row_sums = FunctionTransformer(lambda X: X.sum(axis=1)).fit_transform(da.from_array(X, chunks=(40, 1)))
    np.testing.assert_allclose(row_sums.compute(), X.sum(axis=1))


def test_dask_dataframe_map_partitions_and_names(X):
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    before = df.copy()
    ddf = dd.from_pandas(df, npartitions=3)
    est = FunctionTransformer(np.sqrt, feature_names_out="one-to-one").fit(ddf)
    ref = sk.FunctionTransformer(np.sqrt, feature_names_out="one-to-one").fit(df)
    np.testing.assert_array_equal(est.feature_names_in_, ref.feature_names_in_)
    np.testing.assert_array_equal(est.get_feature_names_out(), ref.get_feature_names_out())
    out = est.transform(ddf)
    assert isinstance(out, dd.DataFrame)
    pd.testing.assert_frame_equal(out.compute(), ref.transform(df))
    pd.testing.assert_frame_equal(df, before)
    est = FunctionTransformer(np.sqrt, feature_names_out=lambda self, names: [f"sqrt_{n}" for n in names])
    est.set_output(transform="pandas").fit(df)
    ref = sk.FunctionTransformer(np.sqrt, feature_names_out=lambda self, names: [f"sqrt_{n}" for n in names])
    ref.set_output(transform="pandas").fit(df)
    pd.testing.assert_frame_equal(est.transform(df), ref.transform(df))


def test_validate_on_dask(X):
    est = FunctionTransformer(np.negative, validate=True)
    df = pd.DataFrame({"a": pd.array([1, 2, None], dtype="Int64"), "b": [1.0, 2.0, 3.0]})
    out = est.fit(dd.from_pandas(df, npartitions=2)).transform(dd.from_pandas(df.iloc[:2], npartitions=2))
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), [[-1.0, -1.0], [-2.0, -2.0]])
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b"])
    with pytest.raises(ValueError, match="Input X contains NaN."):
        est.transform(dd.from_pandas(df, npartitions=2)).compute()
    with pytest.warns(UserWarning, match="valid feature names"):
        with pytest.raises(ValueError, match="X has 3 features, but FunctionTransformer is expecting 2"):
            est.transform(da.from_array(X[:, :3], chunks=10))
    with pytest.raises(ValueError, match="Input X contains NaN."):
        sk.FunctionTransformer(np.negative, validate=True).fit(df)


def test_check_inverse_warns_as_sklearn(X):
    kw = dict(func=np.sqrt, inverse_func=np.log)
    with pytest.warns(UserWarning, match="not strictly inverse"):
        sk.FunctionTransformer(**kw).fit(X)
    with pytest.warns(UserWarning, match="not strictly inverse"):
        FunctionTransformer(**kw).fit(da.from_array(X, chunks=60))
    with pytest.warns(UserWarning, match="not strictly inverse"):
        FunctionTransformer(**kw).fit(X)
    with count_passes() as counter:
        FunctionTransformer(np.sqrt, inverse_func=np.square).fit(da.from_array(X, chunks=60))
    assert counter.passes == 0


def test_identity_returns_input_and_bad_params(X):
    Xd = da.from_array(X, chunks=50)
    assert FunctionTransformer().fit(Xd).transform(Xd) is Xd
    with pytest.raises(ValueError, match="func"):
        FunctionTransformer(func="log").fit(X)
    with pytest.raises(ValueError, match="empty chunk"):
        FunctionTransformer(lambda X: X[0] + X).fit_transform(Xd)
