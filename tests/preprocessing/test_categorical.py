"""Categorizer and DummyEncoder against dask-ml's documented behaviour: pandas'
astype('category') and get_dummies on the same data; Dask in, lazy Dask out."""

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from dml._engine.mapreduce import count_passes
from dml.preprocessing import Categorizer, DummyEncoder


def _frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    s = rng.choice(np.array(["x", "y", "z", "w"], dtype=object), n)
    s[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "A": rng.integers(0, 5, n),
            "B": pd.Series(rng.choice(["b", "a", "c"], n), dtype=object),
            "S": pd.Series(s, dtype="str"),
            "C": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "hi", "never"]),
            "F": rng.normal(size=n),
        }
    )


def _refuse(*args, **kwargs):
    raise AssertionError("something was computed")


def test_categorizer_on_pandas_is_astype_category():
    df = _frame()
    ce = Categorizer().fit(df)
    assert list(ce.columns_) == ["B", "S", "C"]
    out = ce.transform(df)
    for c in ("B", "S"):
        pd.testing.assert_series_equal(out[c], df[c].astype("category"))
    pd.testing.assert_series_equal(out["C"], df["C"])  # known categories kept (unused too)
    pd.testing.assert_frame_equal(out[["A", "F"]], df[["A", "F"]])


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_categorizer_on_dask_one_pass_known_categories(npartitions):
    df = _frame()
    ddf = dd.from_pandas(df, npartitions=npartitions)
    with count_passes() as c:
        ce = Categorizer().fit(ddf)
    assert c.passes == 1
    with dask.config.set(scheduler=_refuse):
        out = ce.transform(ddf)
    assert isinstance(out, dd.DataFrame)
    for col in ("B", "S", "C"):
        assert isinstance(out._meta[col].dtype, pd.CategoricalDtype)
        assert "__UNKNOWN_CATEGORIES__" not in list(out._meta[col].cat.categories)
        want = df[col].astype("category")
        assert list(ce.categories_[col].categories) == list(want.cat.categories)
    got = out.compute()
    for col in ("B", "S"):
        np.testing.assert_array_equal(
            got[col].astype(object).fillna("NA"), df[col].astype(object).fillna("NA")
        )
        assert list(got[col].cat.categories) == list(df[col].astype("category").cat.categories)


def test_categorizer_columns_and_given_categories():
    df = _frame()
    ce = Categorizer(columns=["B"]).fit(dd.from_pandas(df, npartitions=2))
    assert list(ce.categories_) == ["B"]
    dtype = pd.CategoricalDtype(["c", "b", "a", "q"], ordered=True)
    ce = Categorizer(categories={"B": dtype, "S": (["w", "x", "y", "z", "q"], False)})
    with count_passes() as c:
        ce.fit(dd.from_pandas(df, npartitions=2))
    assert c.passes == 0
    out = ce.transform(df)
    assert out["B"].dtype == dtype
    assert list(out["S"].cat.categories) == ["w", "x", "y", "z", "q"]
    np.testing.assert_array_equal(out["S"].isna(), df["S"].isna())


def test_categorizer_refuses_arrays():
    with pytest.raises(TypeError, match="Expected a pandas or dask DataFrame"):
        Categorizer().fit(np.zeros((3, 2)))


@pytest.mark.parametrize("drop_first", [False, True])
def test_dummy_encoder_is_get_dummies_and_inverts(drop_first):
    df = Categorizer().fit_transform(_frame())
    de = DummyEncoder(drop_first=drop_first).fit(df)
    want = pd.get_dummies(df, drop_first=drop_first)
    got = de.transform(df)
    pd.testing.assert_frame_equal(got, want)
    assert list(de.transformed_columns_) == list(want.columns)
    assert list(de.non_categorical_columns_) == ["A", "F"]
    for col, sl in de.categorical_blocks_.items():
        assert all(name.startswith(col + "_") for name in want.columns[sl])
    complete = df.dropna()  # rows without missing values invert exactly
    pd.testing.assert_frame_equal(de.inverse_transform(de.transform(complete)), complete)
    np.testing.assert_array_equal(de.inverse_transform(got.to_numpy())["B"], df["B"])  # B has no NaN


@pytest.mark.parametrize("npartitions", [1, 4])
def test_dummy_encoder_on_dask(npartitions):
    pdf = Categorizer().fit_transform(_frame())
    ddf = Categorizer().fit_transform(dd.from_pandas(_frame(), npartitions=npartitions))
    with count_passes() as c:
        de = DummyEncoder().fit(ddf)  # categories known: metadata only
    assert c.passes == 0
    with dask.config.set(scheduler=_refuse):
        out = de.transform(ddf)
        back = de.inverse_transform(out)
        back_arr = de.inverse_transform(out.to_dask_array())
    assert isinstance(out, dd.DataFrame) and isinstance(back, dd.DataFrame)
    want = pd.get_dummies(pdf)
    pd.testing.assert_frame_equal(out.compute(), want)
    for b in (back.compute(), back_arr.compute().set_index(want.index)):
        np.testing.assert_array_equal(b["B"], pdf["B"])
        np.testing.assert_array_equal(b["A"], pdf["A"])


def test_dummy_encoder_learns_unknown_categories_in_one_pass():
    df = _frame()
    ddf = dd.from_pandas(df, npartitions=3)
    ddf = ddf.assign(B=ddf["B"].astype("category"))  # categories unknown to Dask
    with count_passes() as c:
        de = DummyEncoder(columns=["B"]).fit(ddf)
    assert c.passes == 1
    assert list(de.dtypes_["B"].categories) == ["a", "b", "c"]
    got = de.transform(ddf).compute()
    want = pd.get_dummies(df.assign(B=df["B"].astype("category")), columns=["B"])
    np.testing.assert_array_equal(
        got[["B_a", "B_b", "B_c"]].to_numpy(), want[["B_a", "B_b", "B_c"]].to_numpy()
    )


def test_dummy_encoder_errors():
    df = Categorizer().fit_transform(_frame())
    with pytest.raises(ValueError, match="Must be categorical"):
        DummyEncoder(columns=["A"]).fit(df)
    de = DummyEncoder().fit(df)
    with pytest.raises(ValueError, match="Columns of 'X' do not match the training columns"):
        de.transform(df[["B", "A", "S", "C", "F"]])
