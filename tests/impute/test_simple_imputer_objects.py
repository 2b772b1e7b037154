"""SimpleImputer on string, object and category columns (most_frequent / constant)
against scikit-learn's on the same pandas data; Dask input lazy and equal."""

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer as SkSimpleImputer

from dml.impute import SimpleImputer


def _frame():
    return pd.DataFrame(
        {
            "o": pd.Series(["a", "c", np.nan, "b", "a", np.nan, "b", "b", "c", "a"], dtype=object),
            "c": pd.Categorical(["x", "y", None, "y", "x", "x", None, "z", "y", "y"]),
            "s": pd.Series(["u", None, "v", "u", "u", None, "v", "w", "v", "v"], dtype="str"),
            "f": [1.0, np.nan, 2.0, 2.0, 3.0, np.nan, 1.0, 5.0, 2.0, 1.0],
        }
    )


def _same(a, b):
    assert a.dtype == b.dtype == object
    assert pd.DataFrame(a).equals(pd.DataFrame(b))


COLUMNS = [["o"], ["c"], ["s"], ["o", "c", "s", "f"]]


@pytest.mark.parametrize("strategy", ["most_frequent", "constant"])
@pytest.mark.parametrize("cols", COLUMNS)
def test_equal_to_scikit_learn_on_pandas(strategy, cols):
    df = _frame()[cols]
    ref = SkSimpleImputer(strategy=strategy).fit(df)
    est = SimpleImputer(strategy=strategy).fit(df)
    assert list(est.statistics_) == list(ref.statistics_)
    assert est.statistics_.dtype == object
    _same(est.transform(df), ref.transform(df))
    np.testing.assert_array_equal(est.get_feature_names_out(), ref.get_feature_names_out())


@pytest.mark.parametrize("strategy", ["most_frequent", "constant"])
def test_dask_frame_lazy_and_chunking_invariant(strategy):
    df = _frame()
    ref = SkSimpleImputer(strategy=strategy).fit(df)
    for npartitions in (1, 3, 5):
        ddf = dd.from_pandas(df, npartitions=npartitions)
        est = SimpleImputer(strategy=strategy).fit(ddf)
        assert list(est.statistics_) == list(ref.statistics_)
        with dask.config.set(scheduler=_refuse):
            out = est.transform(ddf)  # nothing computed at transform
        assert isinstance(out, dask.array.Array) and out.dtype == object
        _same(out.compute(), ref.transform(df))


def _refuse(*args, **kwargs):
    raise AssertionError("transform computed something")


def test_unknown_partition_lengths():
    df = _frame()
    ddf = dd.from_pandas(df, npartitions=3)
    ddf = ddf[ddf["f"].isna() | (ddf["f"] > -1)]  # same rows, lengths unknown
    assert np.isnan(ddf.to_dask_array().chunks[0][0])
    est = SimpleImputer(strategy="most_frequent").fit(ddf)
    ref = SkSimpleImputer(strategy="most_frequent").fit(df)
    _same(est.transform(ddf).compute(), ref.transform(df))


def test_string_marker_fill_value_and_ties():
    X = np.array([["b", "?"], ["a", "q"], ["?", "q"], ["b", "?"], ["a", "r"]], dtype=object)
    for kw in (
        dict(strategy="most_frequent", missing_values="?"),
        dict(strategy="constant", missing_values="?", fill_value="zz"),
    ):
        ref = SkSimpleImputer(**kw).fit(X)
        est = SimpleImputer(**kw).fit(X)
        assert list(est.statistics_) == list(ref.statistics_)  # tie a/b: the smallest
        _same(est.transform(X), ref.transform(X))
    rows = [["b", "x"], ["a", None], [None, "x"]]
    kw = dict(strategy="most_frequent", missing_values=None)
    _same(SimpleImputer(**kw).fit_transform(rows), SkSimpleImputer(**kw).fit_transform(rows))


def test_empty_column_dropped_or_kept_as_scikit_learn():
    df = pd.DataFrame({"a": ["x", "y", "x"], "b": pd.Series([np.nan] * 3, dtype=object)})
    for strategy in ("most_frequent", "constant"):
        for keep in (False, True):
            ref = SkSimpleImputer(strategy=strategy, keep_empty_features=keep).fit(df)
            est = SimpleImputer(strategy=strategy, keep_empty_features=keep).fit(df)
            assert [str(v) for v in est.statistics_] == [str(v) for v in ref.statistics_]
            if not keep:
                with pytest.warns(UserWarning, match="Skipping features without any observed values"):
                    got = est.transform(df)
                with pytest.warns(UserWarning, match="Skipping features"):
                    want = ref.transform(df)
            else:
                got, want = est.transform(df), ref.transform(df)
            assert pd.DataFrame(got).astype(str).equals(pd.DataFrame(want).astype(str))


def test_mean_on_strings_is_refused_and_indicator_refused():
    df = _frame()[["o"]]
    with pytest.raises(ValueError, match="non-numeric data"):
        SimpleImputer(strategy="mean").fit(df)
    with pytest.raises(ValueError, match="Cannot use median strategy with non-numeric data"):
        SkSimpleImputer(strategy="median").fit(df)
        SimpleImputer(strategy="median").fit(df)
    with pytest.raises(ValueError, match="numeric data only"):
        SimpleImputer(strategy="most_frequent", add_indicator=True).fit(df)


def test_caller_frame_not_modified():
    df = _frame()
    before = df.copy()
    SimpleImputer(strategy="most_frequent").fit(df).transform(df)
    pd.testing.assert_frame_equal(df, before)
