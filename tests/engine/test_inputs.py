"""The one validation layer: every input kind becomes aligned row chunks."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from dml._engine.inputs import validate_fit_data, validate_predict_data
from dml._engine.mapreduce import map_reduce
from dml.linear_model import LinearRegression


class _Probe(RegressorMixin, BaseEstimator):
    pass


def _gather(data, which):
    parts = getattr(data, which)
    if data.mode == "distributed":
        parts = data.client.gather(parts)
    return np.concatenate([np.asarray(p) for p in parts])


@pytest.fixture
def xy(rng):
    X = rng.normal(size=(300, 4))
    y = X @ np.arange(1.0, 5.0) + 1.0
    w = rng.uniform(0.5, 2.0, size=300)
    return X, y, w


def _variants(X, y, w):
    df = pd.DataFrame(X, columns=list("abcd"))
    ddf = dd.from_pandas(df, npartitions=3)
    unknown = ddf.to_dask_array()  # unknown chunk lengths
    return {
        "numpy": (X, y, w),
        "pandas": (df, pd.Series(y), pd.Series(w)),
        "dask": (da.from_array(X, chunks=(70, 4)), da.from_array(y, chunks=70), da.from_array(w, chunks=70)),
        "dask-column-chunked": (da.from_array(X, chunks=(100, 2)), y, w),
        "dask-y-chunked-differently": (da.from_array(X, chunks=(100, 4)), da.from_array(y, chunks=33), w),
        "dask-dataframe": (ddf, dd.from_pandas(pd.Series(y), npartitions=3), w),
        "dask-unknown-lengths": (unknown, y, w),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "numpy",
        "pandas",
        "dask",
        "dask-column-chunked",
        "dask-y-chunked-differently",
        "dask-dataframe",
        "dask-unknown-lengths",
    ],
)
def test_every_input_kind_gives_aligned_row_chunks(kind, xy, scheduler):
    X, y, w = xy
    Xi, yi, wi = _variants(X, y, w)[kind]
    est = _Probe()
    with validate_fit_data(est, Xi, yi, wi, y_numeric=True) as data:
        assert data.n_samples == 300 and data.n_features == 4
        assert len(data.X) == len(data.y) == len(data.sample_weight) == data.n_chunks
        np.testing.assert_array_equal(_gather(data, "X"), X)
        np.testing.assert_array_equal(_gather(data, "y"), y)
        np.testing.assert_array_equal(_gather(data, "sample_weight"), w)
        sizes = map_reduce(
            lambda X, y, w, *, xp: {"rows": np.array([X.shape[0], y.shape[0], w.shape[0]])}, data
        )
        assert sizes["rows"].tolist() == [300, 300, 300]
    assert est.n_features_in_ == 4
    if kind in ("pandas", "dask-dataframe"):
        assert list(est.feature_names_in_) == list("abcd")


def test_float32_is_preserved_and_ints_become_float64(rng):
    X32 = rng.normal(size=(50, 3)).astype(np.float32)
    for X in (X32, da.from_array(X32, chunks=20)):
        with validate_fit_data(_Probe(), X, np.arange(50.0), y_numeric=True) as data:
            assert data.dtype == np.float32
    Xi = np.arange(150).reshape(50, 3)
    with validate_fit_data(_Probe(), da.from_array(Xi, chunks=10), np.arange(50.0), y_numeric=True) as data:
        assert data.dtype == np.float64


def test_caller_data_is_never_modified(rng):
    X = rng.normal(size=(200, 3))
    y = rng.normal(size=200)
    X0, y0 = X.copy(), y.copy()
    LinearRegression().fit(X, y)
    LinearRegression().fit(da.from_array(X, chunks=50), da.from_array(y, chunks=50))
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_fast_path_runs_without_a_graph(rng):
    X = rng.normal(size=(100, 3))
    with validate_fit_data(_Probe(), X, np.zeros(100), y_numeric=True) as data:
        assert data.mode == "direct" and data.X[0] is X  # a view of the caller's array, not a copy


def test_large_in_memory_input_is_split_into_views(rng):
    import dml

    X = rng.normal(size=(1000, 4))
    with dml.config_context(chunk_bytes=8 * 4 * 300):
        with validate_fit_data(_Probe(), X, np.zeros(1000), y_numeric=True) as data:
            assert data.mode == "local"
            assert data.row_chunks == (300, 300, 300, 100)
            assert all(np.shares_memory(c, X) for c in data.X)


def test_distributed_mode_uses_futures(cluster_client, rng):
    import dask

    X = da.from_array(rng.normal(size=(200, 3)), chunks=50)
    with cluster_client.as_current(), dask.config.set(scheduler="dask.distributed"):
        with validate_fit_data(_Probe(), X, np.zeros(200), y_numeric=True) as data:
            assert data.mode == "distributed"
            assert len(data.X) == 4


def test_predict_data_is_lazy_and_single_column_block(rng):
    est = LinearRegression().fit(rng.normal(size=(50, 4)), rng.normal(size=50))
    Xd = da.from_array(rng.normal(size=(100, 4)), chunks=(25, 2))
    out = validate_predict_data(est, Xd)
    assert isinstance(out, da.Array) and len(out.chunks[1]) == 1
