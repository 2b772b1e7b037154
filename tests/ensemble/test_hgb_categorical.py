"""HistGradientBoosting with categorical features: scikit-learn's encoding, binning,
categorical splits and bitset predictions."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import ensemble as sk
from threadpoolctl import threadpool_limits

from dml.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _data(n=2500, seed=0):
    """Columns: numeric, categorical (12 codes, NaN), numeric (NaN), categorical (30
    codes, some rare)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4)
    X[:, 1] = rng.randint(0, 12, n)
    X[:, 3] = np.minimum(rng.geometric(0.12, n) - 1, 29)
    X[rng.rand(n) < 0.05, 1] = np.nan
    X[rng.rand(n) < 0.05, 2] = np.nan
    effect = rng.randn(30)
    y = X[:, 0] + effect[np.nan_to_num(X[:, 1], nan=5).astype(int)] + effect[X[:, 3].astype(int)]
    return X, y + 0.1 * rng.randn(n)


def _frame(X):
    letters = np.array(list("abcdefghijkl"), dtype=object)
    c1 = np.where(np.isnan(X[:, 1]), None, letters[np.nan_to_num(X[:, 1]).astype(int)])
    return pd.DataFrame(
        {
            "x0": X[:, 0],
            "c1": pd.Categorical(c1, categories=list("lkjihgfedcbaz")),
            "x2": X[:, 2],
            "c3": pd.Categorical(X[:, 3].astype(int)),
        }
    )


def _unseen(X):
    """Rows with categories unseen in training (negative, too large) and NaN."""
    Xt = X[:60].copy()
    Xt[:10, 1] = -1
    Xt[10:20, 3] = 99
    Xt[20:30, 1] = np.nan
    Xt[30:40, 3] = np.nan  # no NaN in training for this feature
    return Xt


@pytest.mark.parametrize(
    "params",
    [
        dict(categorical_features=[1, 3]),
        dict(categorical_features=[False, True, False, True], max_leaf_nodes=7, min_samples_leaf=5),
        dict(categorical_features=[3], l2_regularization=1.0, max_depth=3, max_bins=40),
        dict(categorical_features=[1, 3], interaction_cst=[[0, 1], [2, 3]]),
    ],
)
def test_regressor_categorical_matches_sklearn(params):
    X, y = _data()
    a = sk.HistGradientBoostingRegressor(max_iter=12, random_state=0, **params).fit(X, y)
    b = HistGradientBoostingRegressor(max_iter=12, random_state=0, **params).fit(X, y)
    assert b.n_iter_ == a.n_iter_
    np.testing.assert_array_equal(b.is_categorical_, a.is_categorical_)
    Xt = np.vstack([X, _unseen(X)])
    np.testing.assert_allclose(b.predict(Xt), a.predict(Xt), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_categorical_with_weights_matches_sklearn(n_classes):
    """Sample weights: the hessians are not constant (support scaled by n / H)."""
    X, y = _data(2000)
    yc = np.digitize(y, [0.0] if n_classes == 2 else [-1.0, 1.0])
    w = np.random.RandomState(2).rand(2000) * 2
    kw = dict(max_iter=8, random_state=0, categorical_features=[1, 3])
    a = sk.HistGradientBoostingClassifier(**kw).fit(X, yc, sample_weight=w)
    b = HistGradientBoostingClassifier(**kw).fit(X, yc, sample_weight=w)
    Xt = np.vstack([X[:500], _unseen(X)])
    np.testing.assert_allclose(b.predict_proba(Xt), a.predict_proba(Xt), rtol=1e-8, atol=1e-12)


def test_from_dtype_on_pandas_and_dask_dataframes():
    """'from_dtype' (the default): category columns, encoded as scikit-learn's
    OrdinalEncoder (categories seen in training, sorted), placed first."""
    X, y = _data(2000)
    df = _frame(X)
    a = sk.HistGradientBoostingRegressor(max_iter=10, random_state=0).fit(df, y)
    b = HistGradientBoostingRegressor(max_iter=10, random_state=0).fit(df, y)
    np.testing.assert_array_equal(b.is_categorical_, [False, True, False, True])
    assert list(b.feature_names_in_) == ["x0", "c1", "x2", "c3"]
    np.testing.assert_allclose(b.predict(df), a.predict(df), rtol=1e-9, atol=1e-9)
    ddf = dd.from_pandas(df, npartitions=4)
    assert ddf["c1"].cat.known
    yd = da.from_array(y, chunks=500)
    c = HistGradientBoostingRegressor(max_iter=10, random_state=0).fit(ddf, yd)
    pred = c.predict(ddf)
    assert isinstance(pred, da.Array)
    np.testing.assert_allclose(pred.compute(), a.predict(df), rtol=1e-9, atol=1e-9)
    # by names, and an unseen category at predict time (as missing)
    kw = dict(max_iter=5, random_state=0, categorical_features=["c1", "c3"])
    a = sk.HistGradientBoostingRegressor(**kw).fit(df, y)
    b = HistGradientBoostingRegressor(**kw).fit(df, y)
    dt = df.iloc[:30].copy()
    dt["c1"] = pd.Categorical(["z"] * 30, categories=list("lkjihgfedcbaz"))
    np.testing.assert_allclose(b.predict(dt), a.predict(dt), rtol=1e-9, atol=1e-9)


def test_categorical_dask_array_and_chunking():
    X, y = _data(2000)
    ref = HistGradientBoostingRegressor(max_iter=6, random_state=0, categorical_features=[1, 3]).fit(X, y)
    Xd, yd = da.from_array(X, chunks=(600, -1)), da.from_array(y, chunks=600)
    m = HistGradientBoostingRegressor(max_iter=6, random_state=0, categorical_features=[1, 3]).fit(Xd, yd)
    np.testing.assert_allclose(m.predict(Xd).compute(), ref.predict(X), rtol=1e-12, atol=1e-12)


def test_negative_and_non_integer_categories_are_encoded_as_sklearn():
    """scikit-learn >= 1.6 ordinal-encodes the categorical columns: negative or
    non-integer codes are categories like any other (no error)."""
    X, y = _data(1500)
    X[:, 1] = X[:, 1] - 5.5
    kw = dict(max_iter=6, random_state=0, categorical_features=[1])
    a = sk.HistGradientBoostingRegressor(**kw).fit(X, y)
    b = HistGradientBoostingRegressor(**kw).fit(X, y)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9, atol=1e-9)


def test_bad_categorical_input_errors_as_sklearn():
    X, y = _data(400)
    df = _frame(X)
    cases = [
        (
            dict(categorical_features=[3], max_bins=10),
            X,
            "Categorical feature at index 0 is expected to have a cardinality <= 10",
        ),
        (dict(max_bins=10), df, "Categorical feature 'c1' is expected to have a cardinality <= 10"),
        (dict(categorical_features=[7]), X, "integer indices must be in"),
        (dict(categorical_features=[True, False]), X, "must have shape"),
        (dict(categorical_features=["c1"]), X, "without feature names"),
        (dict(categorical_features=["nope"]), df, "not a valid feature name"),
        (dict(categorical_features=[0.5]), X, "array-like of bool, int or str"),
        (dict(categorical_features=[1], monotonic_cst=[0, 1, 0, 0]), X, "cannot have monotonic constraints"),
    ]
    for params, data, match in cases:
        with pytest.raises(ValueError, match=match):
            sk.HistGradientBoostingRegressor(max_iter=2, **params).fit(data, y)
        with pytest.raises(ValueError, match=match):
            HistGradientBoostingRegressor(max_iter=2, **params).fit(data, y)


def test_no_categorical_features_keep_numeric_model():
    X, y = _data(800)
    for cf in (None, [], [False] * 4, "from_dtype"):
        m = HistGradientBoostingRegressor(max_iter=3, categorical_features=cf).fit(X, y)
        assert m.is_categorical_ is None and "cat_left" not in m._table
