"""End to end: Pipeline(ColumnTransformer(...), LogisticRegression()) on a Dask DataFrame
with every column kind (numbers with NaN, integers, category, strings / objects, bool,
nullable Int64 / Float64 / boolean with pd.NA) predicts as scikit-learn's pipeline on the
pandas frame; unknown partition lengths, lazy transform and predict, a Parquet table
read with dask.dataframe.read_parquet."""

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.compose as skc
import sklearn.impute as ski
import sklearn.linear_model as sklm
import sklearn.preprocessing as skp
from sklearn.pipeline import make_pipeline

import dml.compose as dc
import dml.impute as di
import dml.linear_model as dlm
import dml.preprocessing as dp

NUM = ["f", "i", "I", "F"]
CAT = ["c", "o", "b", "B"]


def _table(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    f[rng.random(n) < 0.05] = np.nan
    F = pd.array(rng.normal(size=n), dtype="Float64")
    F[rng.random(n) < 0.05] = pd.NA
    I = pd.array(rng.integers(0, 20, n), dtype="Int64")  # noqa: E741
    I[rng.random(n) < 0.05] = pd.NA
    B = pd.array(rng.random(n) < 0.4, dtype="boolean")
    B[rng.random(n) < 0.05] = pd.NA
    o = rng.choice(np.array(["red", "green", "blue", "grey"], dtype=object), n)
    o[rng.random(n) < 0.05] = np.nan
    c = pd.Categorical(rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi", "unused"])
    df = pd.DataFrame(
        {
            "f": f,
            "i": rng.integers(-5, 5, n),
            "I": I,
            "F": F,
            "c": c,
            "o": pd.Series(o, dtype=object),
            "b": rng.random(n) < 0.5,
            "B": B,
        }
    )
    logit = np.nan_to_num(f) + 0.1 * df["i"] + (df["c"] == "hi") - (df["o"] == "red") + 0.5 * df["b"]
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64), name="y")
    return df, y


def _pipelines():
    sk = make_pipeline(
        skc.ColumnTransformer(
            [
                ("num", make_pipeline(ski.SimpleImputer(), skp.StandardScaler()), NUM),
                ("cat", skp.OneHotEncoder(handle_unknown="ignore", sparse_output=False), CAT),
            ]
        ),
        sklm.LogisticRegression(),
    )
    ours = make_pipeline(
        dc.ColumnTransformer(
            [
                ("num", make_pipeline(di.SimpleImputer(), dp.StandardScaler()), NUM),
                ("cat", dp.OneHotEncoder(handle_unknown="ignore", sparse_output=False), CAT),
            ]
        ),
        dlm.LogisticRegression(),
    )
    return sk, ours


def _refuse(*args, **kwargs):
    raise AssertionError("something was computed")


def _check(ours, sk, X, df):
    with dask.config.set(scheduler=_refuse):  # lazy in, lazy out: nothing computed
        Z = ours[0].transform(X)
        pred = ours.predict(X)
        proba = ours.predict_proba(X)
    assert isinstance(Z, da.Array) and isinstance(pred, da.Array)
    np.testing.assert_allclose(Z.compute(), sk[0].transform(df), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(pred.compute(), sk.predict(df))
    np.testing.assert_allclose(proba.compute(), sk.predict_proba(df), atol=1e-4)


@pytest.fixture(scope="module")
def data():
    df, y = _table()
    sk, _ = _pipelines()
    return df, y, sk.fit(df, y)


def test_every_column_kind_predicts_as_scikit_learn(data):
    df, y, sk = data
    ddf, dy = dd.from_pandas(df, npartitions=4), dd.from_pandas(y, npartitions=4)
    _, ours = _pipelines()
    ours.fit(ddf, dy)
    np.testing.assert_array_equal(ours[0].get_feature_names_out(), sk[0].get_feature_names_out())
    np.testing.assert_allclose(ours[-1].coef_, sk[-1].coef_, atol=1e-4)
    _check(ours, sk, ddf, df)
    # the in-memory pandas frame as well, and the caller's frame unchanged
    before = df.copy()
    np.testing.assert_array_equal(ours.predict(df), sk.predict(df))
    pd.testing.assert_frame_equal(df, before)


def test_unknown_partition_lengths_and_other_chunking(data):
    df, y, sk = data
    whole = dd.from_pandas(df.assign(y=y), npartitions=7)
    kept = whole[whole["i"] > -100]  # every row, partition lengths unknown
    assert np.isnan(kept.to_dask_array().chunks[0][0])
    _, ours = _pipelines()
    ours.fit(kept[list(df.columns)], kept["y"])
    _check(ours, sk, kept[list(df.columns)], df)


def test_unknown_categories_at_predict_are_ignored(data):
    df, y, sk = data
    _, ours = _pipelines()
    ours.fit(dd.from_pandas(df, npartitions=3), dd.from_pandas(y, npartitions=3))
    new = df.iloc[:50].copy()
    new["o"] = new["o"].where(new.index % 2 == 0, "purple")  # unseen
    np.testing.assert_array_equal(ours.predict(dd.from_pandas(new, npartitions=2)).compute(), sk.predict(new))


def test_parquet_table_read_with_dask(tmp_path, data):
    df, y, sk = data
    path = tmp_path / "table.parquet"
    df.assign(y=y).to_parquet(path, row_group_size=700)
    ddf = dd.read_parquet(path, split_row_groups=True)
    assert ddf.npartitions > 1
    X = ddf[list(df.columns)]
    _, ours = _pipelines()
    ours.fit(X, ddf["y"])
    _check(ours, sk, X, pd.read_parquet(path)[list(df.columns)])
