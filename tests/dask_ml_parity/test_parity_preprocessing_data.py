"""Parity with dask-ml's ``tests/preprocessing/test_data.py``, for the scalers dml has
(``StandardScaler``, ``MinMaxScaler``; dask-ml's other preprocessing names are "not yet"
in docs/migrating_from_dask_ml.md).

dask-ml compares fitted attributes with scikit-learn's except ``n_samples_seen_``; dml's
match scikit-learn's ``n_samples_seen_`` too. dask-ml skips its input-type and
DataFrame-value checks (they fail there); dml's pass: Dask DataFrames give the same
model as their arrays, with ``feature_names_in_``.
"""

from __future__ import annotations

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.preprocessing as spp
from sklearn.exceptions import NotFittedError

import dml.preprocessing as dpp
from dml.datasets import make_classification

X, y = make_classification(chunks=50, random_state=0)

ATTRS = {
    "StandardScaler": ["mean_", "var_", "scale_", "n_samples_seen_", "n_features_in_"],
    "MinMaxScaler": [
        "data_min_",
        "data_max_",
        "data_range_",
        "scale_",
        "min_",
        "n_samples_seen_",
        "n_features_in_",
    ],
}


@pytest.fixture
def pandas_df():
    return pd.DataFrame(5 * [range(42)], dtype=float).T.rename(columns=str)


@pytest.fixture
def dask_df(pandas_df):
    return dd.from_pandas(pandas_df, npartitions=5)


def _assert_same(a, b, names, **kw):
    for name in names:
        np.testing.assert_allclose(np.asarray(getattr(a, name)), np.asarray(getattr(b, name)), **kw)


@pytest.mark.parametrize("name", ["StandardScaler", "MinMaxScaler"])
def test_basic(name):
    a = getattr(dpp, name)().fit(X)
    b = getattr(spp, name)().fit(X.compute())
    _assert_same(a, b, ATTRS[name], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["StandardScaler", "MinMaxScaler"])
def test_input_types(name, dask_df, pandas_df):
    ref = getattr(spp, name)().fit(pandas_df)
    for data in [dask_df, dask_df.values, dask_df.to_dask_array(lengths=True), pandas_df, pandas_df.values]:
        a = getattr(dpp, name)().fit(data)
        _assert_same(a, ref, ATTRS[name], rtol=1e-12)
        has_names = isinstance(data, (pd.DataFrame, dd.DataFrame))
        assert hasattr(a, "feature_names_in_") is has_names
        if has_names:
            np.testing.assert_array_equal(a.feature_names_in_, ref.feature_names_in_)


@pytest.mark.parametrize("name", ["StandardScaler", "MinMaxScaler"])
def test_inverse_transform(name):
    a = getattr(dpp, name)()
    result = a.inverse_transform(a.fit_transform(X))
    assert dask.is_dask_collection(result)
    np.testing.assert_allclose(result.compute(), X.compute(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["StandardScaler", "MinMaxScaler"])
def test_transform_matches_scikit_learn(name):
    a = getattr(dpp, name)().fit(X)
    b = getattr(spp, name)().fit(X.compute())
    out = a.transform(X)
    assert isinstance(out, da.Array) and out.chunks == X.chunks
    np.testing.assert_allclose(out.compute(), b.transform(X.compute()), rtol=1e-10, atol=1e-12)


def test_standard_scaler_nan(pandas_df):
    # NaN rows are ignored in the statistics, as scikit-learn does.
    pandas_df = pandas_df.copy()
    pandas_df.iloc[0] = np.nan
    a = dpp.StandardScaler().fit(dd.from_pandas(pandas_df, npartitions=5).values)
    b = spp.StandardScaler().fit(pandas_df.values)
    assert np.isnan(a.mean_).sum() == 0
    assert np.isnan(a.var_).sum() == 0
    _assert_same(a, b, ["mean_", "var_", "n_samples_seen_"], rtol=1e-12)


def test_minmax_df_values():
    # dask-ml skips this (its values differ); dml: a Dask DataFrame and its array agree.
    df = X.to_dask_dataframe().rename(columns=str)
    est1, est2 = dpp.MinMaxScaler(), dpp.MinMaxScaler()
    result_ar = est1.fit_transform(X)
    result_df = est2.fit_transform(df)
    _assert_same(est1, est2, ["data_min_", "data_max_", "data_range_", "scale_", "min_"])
    result_df = result_df.values if hasattr(result_df, "values") else result_df
    np.testing.assert_allclose(np.asarray(result_ar.compute()), np.asarray(result_df.compute()))


@pytest.mark.parametrize("name", ["StandardScaler", "MinMaxScaler"])
def test_not_fitted(name):
    with pytest.raises(NotFittedError):
        getattr(dpp, name)().transform(X)


def test_columns_parameter_is_gone():
    # dask-ml's removed `columns=` (its own tests skip it); dml never had it.
    with pytest.raises(TypeError):
        dpp.MinMaxScaler(columns=["3", "4"])
