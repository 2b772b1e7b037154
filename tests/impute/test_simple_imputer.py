"""SimpleImputer against scikit-learn's on the same data: statistics_ equal (bit for bit
for median / most_frequent / constant, and mean on one chunk), the same transform and
warnings, lazy in -> lazy out, the caller's data untouched, scikit-learn's errors."""

import warnings

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import impute as sk

from dml._engine.mapreduce import count_passes
from dml.impute import SimpleImputer

STRATEGIES = ["mean", "median", "most_frequent", "constant"]


def _X(rng, n=1000, dtype=np.float64):
    X = rng.normal(size=(n, 5))
    X[:, 3] = np.round(X[:, 3] * 2)  # ties for most_frequent
    X[rng.random(n) < 0.2, 1] = np.nan
    X[rng.random(n) < 0.05, 3] = np.nan
    X[:, 4] = np.nan  # a feature with no observed value
    return X.astype(dtype)


def _equal(a, b):
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    if a.dtype == object:
        assert all(x == y or (x != x and y != y) for x, y in zip(a, b)), (a, b)
    else:
        np.testing.assert_array_equal(a, b)


def _transform(est, X):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = est.transform(X)
        out = out.compute() if hasattr(out, "compute") else out
    return out, [str(w.message) for w in rec]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("keep_empty_features", [False, True])
@pytest.mark.parametrize("add_indicator", [False, True])
def test_matches_sklearn(rng, strategy, dtype, keep_empty_features, add_indicator):
    X = _X(rng, dtype=dtype)
    kw = dict(strategy=strategy, keep_empty_features=keep_empty_features, add_indicator=add_indicator)
    ref = sk.SimpleImputer(**kw).fit(X)
    ref_out, ref_warn = _transform(ref, X)
    for Xin, exact in ((X, True), (da.from_array(X, chunks=(130, -1)), strategy != "mean")):
        est = SimpleImputer(**kw).fit(Xin)
        if exact:
            _equal(est.statistics_, ref.statistics_)
        else:  # per-chunk float64 sums: within float rounding of NumPy's
            np.testing.assert_allclose(
                est.statistics_, ref.statistics_, rtol=1e-6 if dtype == np.float32 else 1e-13
            )
        out, warn = _transform(est, Xin)
        assert warn == ref_warn
        assert out.dtype == ref_out.dtype
        np.testing.assert_allclose(out, ref_out, rtol=1e-6 if dtype == np.float32 else 1e-13)
        if add_indicator:
            np.testing.assert_array_equal(est.indicator_.features_, ref.indicator_.features_)
            if not keep_empty_features:  # scikit-learn's own raises IndexError there
                np.testing.assert_array_equal(est.inverse_transform(ref_out), ref.inverse_transform(ref_out))
        np.testing.assert_array_equal(est.get_feature_names_out(), ref.get_feature_names_out())


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_numeric_missing_marker(rng, strategy):
    X = np.round(rng.normal(size=(800, 3)) * 3)
    X[:, 2] = -1.0
    est = SimpleImputer(missing_values=-1, strategy=strategy).fit(da.from_array(X, chunks=(90, -1)))
    ref = sk.SimpleImputer(missing_values=-1, strategy=strategy).fit(X)
    _equal(est.statistics_, ref.statistics_)
    out, warn = _transform(est, X)
    ref_out, ref_warn = _transform(ref, X)
    np.testing.assert_array_equal(out, ref_out)
    assert warn == ref_warn


def test_most_frequent_ties_take_the_smallest_value():
    X = np.array([[3.0], [1.0], [3.0], [1.0], [2.0], [np.nan]])
    Xd = da.from_array(X, chunks=2)  # the tie spans chunks
    assert SimpleImputer(strategy="most_frequent").fit(Xd).statistics_[0] == 1.0
    assert sk.SimpleImputer(strategy="most_frequent").fit(X).statistics_[0] == 1.0


def test_median_is_exact_in_a_bounded_number_of_passes(rng):
    X = rng.normal(size=(200_000, 2))
    X[rng.random(200_000) < 0.3, 0] = np.nan
    Xd = da.from_array(X, chunks=(25_000, -1))
    with count_passes() as c:
        est = SimpleImputer(strategy="median").fit(Xd)
    # the stats pass, then the order statistics (2 passes at this size)
    assert c.passes <= 3, c.kernels
    np.testing.assert_array_equal(est.statistics_, sk.SimpleImputer(strategy="median").fit(X).statistics_)
    for strategy in ("mean", "most_frequent", "constant"):
        with count_passes() as c:
            SimpleImputer(strategy=strategy).fit(Xd[:2000])
        assert c.passes == (2 if strategy == "most_frequent" else 1)


def test_pandas_and_dask_dataframes(rng):
    X = _X(rng, n=300)[:, :4]
    df = pd.DataFrame(X, columns=list("abcd"))
    df["e"] = pd.array([1, None, 3] * 100, dtype="Int64")  # pd.NA is missing
    before = df.copy()
    ref = sk.SimpleImputer(strategy="median").fit(df)
    for Xin in (df, dd.from_pandas(df, npartitions=3)):
        est = SimpleImputer(strategy="median").fit(Xin)
        _equal(est.statistics_, ref.statistics_)
        np.testing.assert_array_equal(est.feature_names_in_, ref.feature_names_in_)
        out, _ = _transform(est, Xin)
        np.testing.assert_array_equal(out, ref.transform(df))
    pd.testing.assert_frame_equal(df, before)  # the caller's DataFrame is never modified


def test_all_missing_feature_names_in_warning(rng):
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [np.nan] * 3})
    est = SimpleImputer().fit(df)
    with pytest.warns(UserWarning, match=r"Skipping features without any observed values: \['b'\]"):
        est.transform(df)
    np.testing.assert_array_equal(est.get_feature_names_out(), ["a"])


def test_lazy_in_lazy_out(rng):
    X = _X(rng)
    est = SimpleImputer(strategy="median", add_indicator=True).fit(X)
    calls = []

    def spy(block):
        if block.size:
            calls.append(1)
        return block

    Xd = da.from_array(X, chunks=(100, -1)).map_blocks(spy, dtype=X.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = est.transform(Xd)
        assert isinstance(out, da.Array) and not calls
        np.testing.assert_array_equal(out.compute(), est.transform(X))


def test_copy_false_imputes_in_place_only_in_memory(rng):
    X = _X(rng)[:, :4]
    est = SimpleImputer(copy=False).fit(X)
    Z = X.copy()
    assert est.transform(Z) is Z and not np.isnan(Z).any()
    Xd = da.from_array(X, chunks=100)
    est.transform(Xd).compute()
    assert np.isnan(Xd.compute()).any()  # Dask input never modified


def test_errors_as_sklearn(rng):
    X = rng.normal(size=(20, 2))
    X[0, 0] = np.nan
    for est in (SimpleImputer(missing_values=-1), sk.SimpleImputer(missing_values=-1)):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            est.fit(X)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        SimpleImputer().fit(da.from_array(X, chunks=5))
    with pytest.raises(ValueError, match="cannot be cast to the input data"):
        SimpleImputer(strategy="constant", fill_value="x").fit(X[1:])
    with pytest.raises(ValueError, match="'X' and 'missing_values' types are expected to be both numerical"):
        SimpleImputer(missing_values="x").fit(X[1:])
    with pytest.raises(ValueError, match="'inverse_transform' works only when"):
        SimpleImputer().fit(X[1:]).inverse_transform(X[1:])


@pytest.mark.parametrize("strategy", ["mean", "median"])
def test_string_columns_are_refused_with_advice(strategy):
    """scikit-learn's message for the numeric strategies, with the advice to encode."""
    df = pd.DataFrame({"a": ["x", "y", None], "b": [1.0, 2.0, 3.0]})
    for X in (df, dd.from_pandas(df, npartitions=1), [["x", 1.0], ["y", 2.0]]):
        with pytest.raises(ValueError, match=f"Cannot use {strategy} strategy with non-numeric data") as info:
            SimpleImputer(strategy=strategy).fit(X)
        assert "encode" in str(info.value)


def test_callable_strategy_is_refused():
    with pytest.raises(ValueError, match="callable strategy"):
        SimpleImputer(strategy=np.nanmax).fit(np.ones((3, 1)))


def test_kernels_are_namespace_generic(rng):
    """The fit statistics and the imputation kernels run on array_api_strict as on NumPy."""
    xps = pytest.importorskip("array_api_strict")
    from dml.impute._base_kernels import impute_kernel, impute_stats_kernel

    X = _X(rng, n=50)
    Xs = xps.asarray(X)
    ref = impute_stats_kernel(X, None, None, xp=np, missing_values=np.nan, want_sum=True)
    got = impute_stats_kernel(Xs, None, None, xp=xps, missing_values=np.nan, want_sum=True)
    for k in ref:
        np.testing.assert_array_equal(np.asarray(got[k]), ref[k])
    kw = dict(
        statistics=np.arange(4.0),
        keep=np.array([0, 1, 2, 3]),
        missing_values=np.nan,
        indicator_features=[1, 3],
    )
    np.testing.assert_array_equal(np.asarray(impute_kernel(Xs, xp=xps, **kw)), impute_kernel(X, xp=np, **kw))
