"""pandas and Dask DataFrames with nullable dtypes through the validation layer.

Nullable (``Int64``, ``Float64``, ``boolean``) and ``bool`` columns become float, ``pd.NA``
NaN, as scikit-learn converts them; non-numeric columns get an error naming them.
"""

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import cluster as sk_cluster
from sklearn import decomposition as sk_decomposition
from sklearn import linear_model as sk_linear
from sklearn import preprocessing as sk_preprocessing

from dml._engine.mapreduce import count_passes
from dml.cluster import KMeans
from dml.decomposition import PCA
from dml.linear_model import LinearRegression, LogisticRegression
from dml.preprocessing import MinMaxScaler, StandardScaler

N = 90


def _frame(rng, missing):
    a = pd.array(rng.integers(-5, 20, N), dtype="Int64")
    b = pd.array(rng.normal(3.0, 2.0, N), dtype="Float64")
    c = pd.array(rng.random(N) > 0.4, dtype="boolean")
    if missing:
        a[[3, 40]] = pd.NA
        b[[5, 41, 77]] = pd.NA
        c[[0, 88]] = pd.NA
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": rng.random(N) > 0.5, "e": rng.normal(size=N)})


def _as(kind, df):
    """The frame as given (pandas), as a Dask frame of 3 partitions, or as one whose
    partition lengths are unknown (divisions cleared)."""
    if kind == "pandas":
        return df
    ddf = dd.from_pandas(df, npartitions=3)
    if kind == "unknown":
        ddf = ddf.clear_divisions()
    return ddf


KINDS = ["pandas", "dask", "unknown"]


def _float(df):
    return df.astype("float64").to_numpy(na_value=np.nan)


@pytest.fixture
def df(rng):
    return _frame(rng, missing=False)


@pytest.fixture
def df_na(rng):
    return _frame(rng, missing=True)


def _unchanged(df):
    before = df.copy()

    def check():
        pd.testing.assert_frame_equal(df, before)

    return check


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["StandardScaler", "MinMaxScaler"])
def test_scalers_ignore_pd_na_as_sklearn(df_na, kind, name):
    ours = {"StandardScaler": StandardScaler, "MinMaxScaler": MinMaxScaler}[name]()
    ref = getattr(sk_preprocessing, name)().fit(df_na)
    check = _unchanged(df_na)
    X = _as(kind, df_na)
    ours.fit(X)
    check()
    attrs = ("mean_", "var_", "scale_") if name == "StandardScaler" else ("data_min_", "data_max_", "scale_")
    for attr in attrs:
        np.testing.assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=1e-12)
    np.testing.assert_array_equal(ours.feature_names_in_, ref.feature_names_in_)
    assert ours.n_features_in_ == ref.n_features_in_ == 5
    out = ours.transform(X)
    if kind != "pandas":
        assert not isinstance(out, np.ndarray)  # lazy
        out = out.compute()
    np.testing.assert_allclose(out, ref.transform(df_na), rtol=1e-12, equal_nan=True)
    check()


def test_dask_conversion_is_lazy_and_one_pass(df_na):
    X = dd.from_pandas(df_na, npartitions=3)
    with count_passes() as counter:
        est = StandardScaler().fit(X)
        out = est.transform(X)
    assert counter.passes == 1
    assert out.dtype == np.float64 and out.chunks[1] == (5,)


def test_float32_nullable_columns_stay_float32(rng):
    df = pd.DataFrame(
        {"a": pd.array(rng.normal(size=20), dtype="Float32"), "b": rng.normal(size=20).astype("float32")}
    )
    df.loc[4, "a"] = pd.NA
    out = StandardScaler().fit(dd.from_pandas(df, npartitions=2)).transform(dd.from_pandas(df, npartitions=2))
    assert out.dtype == np.float32
    ref = sk_preprocessing.StandardScaler().fit(df)
    np.testing.assert_allclose(out.compute(), ref.transform(df), rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("kind", KINDS)
def test_linear_regression_matches_sklearn(df, rng, kind):
    y = pd.Series(pd.array(rng.normal(size=N), dtype="Float64"), name="y")
    ref = sk_linear.LinearRegression().fit(df, y)
    check = _unchanged(df)
    yy = y if kind == "pandas" else dd.from_pandas(y, npartitions=3)
    if kind == "unknown":
        yy = yy.clear_divisions()
    est = LinearRegression().fit(_as(kind, df), yy)
    check()
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-9)
    np.testing.assert_array_equal(est.feature_names_in_, ref.feature_names_in_)
    pred = est.predict(_as(kind, df))
    pred = pred if kind == "pandas" else pred.compute()
    np.testing.assert_allclose(pred, ref.predict(df), rtol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
def test_logistic_regression_matches_sklearn(df, rng, kind):
    y = pd.Series(pd.array(rng.integers(0, 2, N), dtype="Int64"), name="y")
    ref = sk_linear.LogisticRegression().fit(df, y)
    yy = y if kind == "pandas" else dd.from_pandas(y, npartitions=3)
    est = LogisticRegression().fit(_as(kind, df), yy)
    np.testing.assert_array_equal(est.classes_, ref.classes_)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(est.feature_names_in_, ref.feature_names_in_)
    proba = est.predict_proba(_as(kind, df))
    proba = proba if kind == "pandas" else proba.compute()
    np.testing.assert_allclose(proba, ref.predict_proba(df), atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_kmeans_and_pca_match_sklearn(df, kind):
    init = _float(df.iloc[[0, 30, 60]])
    ref = sk_cluster.KMeans(3, init=init, n_init=1).fit(df)
    est = KMeans(3, init=init, n_init=1).fit(_as(kind, df))
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-9)
    np.testing.assert_allclose(est.inertia_, ref.inertia_, rtol=1e-9)
    np.testing.assert_array_equal(est.feature_names_in_, ref.feature_names_in_)

    ref = sk_decomposition.PCA(3).fit(df)
    est = PCA(3).fit(_as(kind, df))
    np.testing.assert_allclose(est.explained_variance_, ref.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose(np.abs(est.components_), np.abs(ref.components_), rtol=1e-7, atol=1e-10)
    assert est.n_features_in_ == 5
    out = est.transform(_as(kind, df))
    out = out if kind == "pandas" else out.compute()
    np.testing.assert_allclose(np.abs(out), np.abs(ref.transform(df)), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "make",
    [
        lambda: LinearRegression(),
        lambda: LogisticRegression(),
        lambda: KMeans(2, n_init=1),
        lambda: PCA(2),
    ],
    ids=["LinearRegression", "LogisticRegression", "KMeans", "PCA"],
)
def test_pd_na_is_nan_for_estimators_that_reject_nan(df_na, rng, kind, make):
    y = rng.integers(0, 2, N).astype(float)
    check = _unchanged(df_na)
    with pytest.raises(ValueError, match="Input X contains NaN."):
        make().fit(_as(kind, df_na), y)
    check()


def test_pd_na_is_nan_in_predict(df, df_na, rng):
    est = LinearRegression().fit(df, rng.normal(size=N))
    with pytest.raises(ValueError, match="Input X contains NaN."):
        est.predict(dd.from_pandas(df_na, npartitions=3)).compute()


def test_nullable_target_and_weights(df, rng):
    y = pd.Series(pd.array(rng.normal(size=N), dtype="Float64"))
    w = pd.Series(pd.array(rng.integers(1, 4, N), dtype="Int64"))
    ref = sk_linear.LinearRegression().fit(df, y, sample_weight=w.to_numpy(dtype=float))
    for yy, ww in ((y, w), (dd.from_pandas(y, npartitions=3), dd.from_pandas(w, npartitions=3))):
        est = LinearRegression().fit(dd.from_pandas(df, npartitions=3), yy, sample_weight=ww)
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
    y_na = y.copy()
    y_na[7] = pd.NA
    with pytest.raises(ValueError, match="Input y contains NaN."):
        LinearRegression().fit(dd.from_pandas(df, npartitions=3), dd.from_pandas(y_na, npartitions=3))


def _bad_frame():
    return pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0],
            "cat": pd.Series(["a", "b", "a"], dtype="category"),
            "s": pd.Series(["u", "v", "w"], dtype="string"),
            "when": pd.to_datetime(["2020-01-01", "2021-01-01", "2022-01-01"]),
        }
    )


@pytest.mark.parametrize("kind", ["pandas", "dask"])
@pytest.mark.parametrize(
    "cols,kinds",
    [
        (["x", "cat"], ["category: 'cat'"]),
        (["x", "s"], ["string: 's'"]),
        (["cat", "s"], ["category: 'cat'", "string: 's'"]),
        (["x", "when"], ["datetime: 'when'", "convert datetime"]),
    ],
)
def test_non_numeric_columns_are_named(kind, cols, kinds):
    X = _as(kind, _bad_frame()[cols])
    for est in (StandardScaler(), LinearRegression()):
        with pytest.raises(ValueError, match="needs numeric input") as err:
            est.fit(X, np.arange(3.0))
        for k in kinds:
            assert k in str(err.value)
        assert "'x'" not in str(err.value)


@pytest.mark.parametrize("kind", ["pandas", "dask"])
def test_object_column_is_named(kind):
    X = pd.DataFrame({"x": [1.0, 2.0], "o": pd.Series([1, "b"], dtype=object)})
    with pytest.raises(ValueError, match="non-numeric columns.*'o'"):
        StandardScaler().fit(_as(kind, X))


def test_non_numeric_columns_in_transform():
    est = StandardScaler().fit(pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]}))
    X = pd.DataFrame({"x": [1.0, 2.0], "y": pd.Series(["a", "b"], dtype="category")})
    for XX in (X, dd.from_pandas(X, npartitions=1)):
        with pytest.raises(ValueError, match="category: 'y'"):
            est.transform(XX)


def test_bool_columns_with_floats(rng):
    df = pd.DataFrame({"flag": rng.random(30) > 0.5, "v": rng.normal(size=30)})
    ref = sk_preprocessing.StandardScaler().fit(df)
    est = StandardScaler().fit(dd.from_pandas(df, npartitions=4))
    np.testing.assert_allclose(est.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(est.var_, ref.var_, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["str", "category", "object"])
def test_string_and_category_labels_from_a_dask_series(df, rng, dtype):
    y = pd.Series(np.array(["ant", "bee", "cat"])[rng.integers(0, 3, N)]).astype(dtype)
    ref = sk_linear.LogisticRegression().fit(df, y)
    est = LogisticRegression().fit(dd.from_pandas(df, npartitions=3), dd.from_pandas(y, npartitions=3))
    np.testing.assert_array_equal(est.classes_, ref.classes_)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_arrow_columns_with_missing_values(kind):
    df = pd.DataFrame(
        {
            "a": pd.array([1, 2, None, 4, 7, 1], dtype="int64[pyarrow]"),
            "b": pd.array([1.5, None, 2.0, 3.0, 0.5, 1.0], dtype="double[pyarrow]"),
            "c": pd.array([True, None, False, True, True, False], dtype="bool[pyarrow]"),
        }
    )
    ref = sk_preprocessing.StandardScaler().fit(df)
    est = StandardScaler().fit(_as(kind, df))
    np.testing.assert_allclose(est.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(est.var_, ref.var_, rtol=1e-12)
