"""OneHotEncoder / OrdinalEncoder against scikit-learn's on mixed-dtype DataFrames:
exact equality of the fitted attributes and the encodings, on pandas and on Dask
DataFrames of unknown partition lengths; one pass; lazy transform; bad input."""

import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn import preprocessing as sk

import dml
from dml._engine.mapreduce import count_passes
from dml.preprocessing import OneHotEncoder, OrdinalEncoder


def _frame(n=240, seed=0, none=True):
    rng = np.random.default_rng(seed)
    missing = None if none else np.nan
    return pd.DataFrame(
        {
            "obj": pd.Series(rng.choice(np.array(["a", "b", "c", missing], dtype=object), n), dtype=object),
            "str": pd.Series(rng.choice(["x", "y", "zz", "w"], n, p=[0.5, 0.3, 0.15, 0.05])),
            "cat": pd.Series(rng.choice(["q", "p", "r"], n)).astype("category"),
            "catnum": pd.Categorical(rng.choice([5.0, 1.0, 3.0, np.nan], n), categories=[5, 1, 3, 9]),
            "int": rng.integers(0, 6, n),
            "flt": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 4, n).astype(float)),
            "bool": rng.random(n) < 0.5,
            "Int64": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 3, n)), dtype="Int64"),
            "Float64": pd.array(
                np.where(rng.random(n) < 0.1, None, rng.integers(0, 3, n) / 2), dtype="Float64"
            ),
            "boolean": pd.array(np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.5), dtype="boolean"),
        }
    )


def _dask(df, npartitions=3):
    """A Dask DataFrame of unknown partition lengths (no divisions)."""
    return dd.from_pandas(df, npartitions=npartitions).clear_divisions()


def _same_values(a, b):
    assert a.dtype == b.dtype, (a, b)
    assert a.shape == b.shape, (a, b)
    for u, v in zip(a.ravel(), b.ravel()):
        assert (u is None and v is None) or (u != u and v != v) or u == v, (a, b)


def _same_list(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if x is None or y is None:
            assert x is None and y is None
        else:
            _same_values(np.asarray(x), np.asarray(y))


def _dense(a):
    return a.toarray() if sp.issparse(a) else np.asarray(a)


ONEHOT_PARAMS = [
    {},
    {"drop": "first"},
    {"drop": "if_binary", "handle_unknown": "ignore"},
    {"min_frequency": 30},
    {"min_frequency": 0.2, "handle_unknown": "infrequent_if_exist"},
    {"max_categories": 2, "handle_unknown": "warn"},
    {"max_categories": 3, "drop": "first", "handle_unknown": "infrequent_if_exist"},
    {"sparse_output": False, "dtype": np.float32},
]


def _check_onehot(ref, est, df):
    _same_list(ref.categories_, est.categories_)
    if ref.drop_idx_ is None:
        assert est.drop_idx_ is None
    else:
        _same_values(ref.drop_idx_, est.drop_idx_)
    if hasattr(ref, "_infrequent_indices"):
        _same_list(ref.infrequent_categories_, est.infrequent_categories_)
    np.testing.assert_array_equal(ref.get_feature_names_out(), est.get_feature_names_out())
    a, b = ref.transform(df), est.transform(df)
    assert type(a) is type(b) and a.dtype == b.dtype
    np.testing.assert_array_equal(_dense(a), _dense(b))
    _same_values(ref.inverse_transform(a), est.inverse_transform(a))


@pytest.mark.parametrize("params", ONEHOT_PARAMS, ids=str)
def test_onehot_matches_sklearn_on_pandas(params):
    df = _frame()
    ref = sk.OneHotEncoder(**params).fit(df)
    est = OneHotEncoder(**params).fit(df)
    _check_onehot(ref, est, df)
    assert list(est.feature_names_in_) == list(df.columns) and est.n_features_in_ == df.shape[1]


@pytest.mark.parametrize("params", ONEHOT_PARAMS, ids=str)
def test_onehot_matches_sklearn_on_dask_unknown_lengths(params):
    df = _frame(none=False)  # Dask reads object columns as strings: missing is NaN there
    ddf = _dask(df)
    assert np.isnan(ddf.to_dask_array().chunks[0][0])
    ref = sk.OneHotEncoder(**params).fit(df)
    with count_passes() as counter:
        est = OneHotEncoder(**params).fit(ddf)
    assert counter.passes == 1
    _check_onehot(ref, est, df)
    out = est.transform(ddf)
    assert isinstance(out, da.Array)
    assert out.shape[1] == len(ref.get_feature_names_out())
    if est.sparse_output:
        assert sp.issparse(out._meta) and out._meta.format == "csr"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        got = out.compute()
    assert sp.issparse(got) == est.sparse_output
    np.testing.assert_array_equal(_dense(got), _dense(ref.transform(df)))


def test_chunking_invariance_and_schedulers(scheduler):
    df = _frame(n=300, none=False)
    one = OneHotEncoder(min_frequency=20).fit(_dask(df, 1))
    many = OneHotEncoder(min_frequency=20).fit(_dask(df, 7))
    _same_list(one.categories_, many.categories_)
    _same_list(one.infrequent_categories_, many.infrequent_categories_)
    np.testing.assert_array_equal(
        _dense(one.transform(_dask(df, 2)).compute()), _dense(many.transform(_dask(df, 5)).compute())
    )


def test_in_memory_data_in_several_chunks(scheduler):
    df = _frame(n=500)
    ref = sk.OneHotEncoder(max_categories=3).fit(df)
    with dml.config_context(chunk_bytes=2000, fast_path_bytes=0), count_passes() as counter:
        est = OneHotEncoder(max_categories=3).fit(df)
    assert counter.passes == 1
    _check_onehot(ref, est, df)


def test_transform_is_lazy():
    df = _frame(none=False)
    est = OneHotEncoder().fit(df)
    calls = []

    def spy(part):
        if len(part):
            calls.append(1)
        return part

    ddf = _dask(df, 4).map_partitions(spy, meta=df.iloc[:0])
    for enc in (est, OrdinalEncoder().fit(df)):
        out = enc.transform(ddf)
        assert isinstance(out, da.Array) and not calls
        np.testing.assert_array_equal(_dense(out.compute()), _dense(enc.transform(df)))
        calls.clear()


def test_unknown_categories_for_each_handle_unknown():
    train = pd.DataFrame({"c": ["a", "b", "b", "c", "c", "c"], "n": [1, 2, 2, 3, 3, 3]})
    test = pd.DataFrame({"c": ["a", "zz", "c"], "n": [9, 2, 3]})
    dtest = _dask(test, 2)
    for handle in ("error", "ignore", "infrequent_if_exist", "warn"):
        kw = {"handle_unknown": handle, "min_frequency": 2} if handle != "error" else {}
        ref = sk.OneHotEncoder(sparse_output=False, **kw).fit(train)
        est = OneHotEncoder(sparse_output=False, **kw).fit(_dask(train, 2))
        if handle == "error":
            with pytest.raises(
                ValueError, match=r"Found unknown categories \['zz'\] in column 0 during transform"
            ):
                ref.transform(test)
            with pytest.raises(
                ValueError, match=r"Found unknown categories \['zz'\] in column 0 during transform"
            ):
                est.transform(test)
            lazy = est.transform(dtest)  # raises when the chunk is computed, not before
            with pytest.raises(
                ValueError, match=r"Found unknown categories \['zz'\] in column 0 during transform"
            ):
                lazy.compute()
            continue
        if handle == "warn":
            with pytest.warns(UserWarning, match="unknown categories will be encoded as the infrequent"):
                expected = ref.transform(test)
            with pytest.warns(UserWarning, match="unknown categories will be encoded as the infrequent"):
                got = est.transform(test)
        else:
            expected, got = ref.transform(test), est.transform(test)
        np.testing.assert_array_equal(got, expected)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            np.testing.assert_array_equal(est.transform(dtest).compute(), expected)
        _same_values(ref.inverse_transform(expected), est.inverse_transform(expected))
        back = est.inverse_transform(da.from_array(expected, chunks=(2, -1)))
        assert isinstance(back, da.Array)
        _same_values(ref.inverse_transform(expected), back.compute())
    # OrdinalEncoder: error, or the unknown_value
    ref = sk.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(train)
    est = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(_dask(train, 3))
    np.testing.assert_array_equal(est.transform(dtest).compute(), ref.transform(test))
    with pytest.raises(ValueError, match=r"Found unknown categories \['zz'\] in column 0 during transform"):
        OrdinalEncoder().fit(train).transform(test)


ORDINAL_PARAMS = [
    {},
    {"encoded_missing_value": -1},
    {"min_frequency": 25},
    {"max_categories": 2, "encoded_missing_value": -2},
    {"handle_unknown": "use_encoded_value", "unknown_value": np.nan},
    {"dtype": np.int64, "encoded_missing_value": -1},
]


@pytest.mark.parametrize("params", ORDINAL_PARAMS, ids=str)
def test_ordinal_matches_sklearn(params):
    df = _frame()
    ref = sk.OrdinalEncoder(**params).fit(df)
    est = OrdinalEncoder(**params).fit(df)
    _same_list(ref.categories_, est.categories_)
    if hasattr(ref, "_infrequent_indices"):
        _same_list(ref.infrequent_categories_, est.infrequent_categories_)
    a, b = ref.transform(df), est.transform(df)
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)
    try:
        expected = ref.inverse_transform(a)
    except IndexError:  # scikit-learn 1.9: infrequent groups with a negative encoded_missing_value
        expected = None
    if expected is not None:
        _same_values(expected, est.inverse_transform(a))
    np.testing.assert_array_equal(ref.get_feature_names_out(), est.get_feature_names_out())
    dfn = _frame(none=False)
    ref = sk.OrdinalEncoder(**params).fit(dfn)
    est = OrdinalEncoder(**params).fit(_dask(dfn, 4))
    _same_list(ref.categories_, est.categories_)
    np.testing.assert_array_equal(est.transform(_dask(dfn, 3)).compute(), ref.transform(dfn))
    if expected is not None:
        back = est.inverse_transform(da.from_array(ref.transform(dfn), chunks=(50, -1)))
        _same_values(ref.inverse_transform(ref.transform(dfn)), back.compute())


def test_user_categories_and_their_errors():
    df = pd.DataFrame({"c": ["b", "a", "b"], "n": [1, 3, 1]})
    cats = [["a", "b", "c"], [1, 2, 3]]
    ref = sk.OneHotEncoder(categories=cats, min_frequency=2, handle_unknown="infrequent_if_exist").fit(df)
    est = OneHotEncoder(categories=cats, min_frequency=2, handle_unknown="infrequent_if_exist").fit(
        _dask(df, 2)
    )
    _check_onehot(ref, est, df)
    for bad, match in (
        ([["a"], [1, 3]], r"Found unknown categories \['b'\] in column 0 during fit"),
        ([["a", "b"], [3, 1]], "Unsorted categories are not supported for numerical categories"),
        ([["a", "b", "a"], [1, 3]], "In column 0, the predefined categories contain duplicate elements."),
        ([["a", "b"]], r"Shape mismatch: if categories is an array, it has to be of shape \(n_features,\)."),
    ):
        with pytest.raises(ValueError, match=match):
            sk.OneHotEncoder(categories=bad).fit(df)
        with pytest.raises(ValueError, match=match):
            OneHotEncoder(categories=bad).fit(_dask(df, 2))
    ref = sk.OrdinalEncoder(categories=cats).fit(df)
    est = OrdinalEncoder(categories=cats).fit(df)
    np.testing.assert_array_equal(ref.transform(df), est.transform(df))


def test_numpy_object_string_and_numeric_arrays():
    rng = np.random.default_rng(1)
    X_obj = rng.choice(np.array(["u", "v", None, 3.5], dtype=object), size=(50, 1))
    X_str = rng.choice(["alpha", "b", "c"], size=(50, 2))
    X_num = rng.integers(0, 4, size=(50, 3)).astype(float)
    X_num[::7, 1] = np.nan
    lists = [["a", "b"], ["b", "c"], ["a", "c"]]
    for X in (X_str, X_num, lists, X_str.astype(object)):
        for Enc, Sk in ((OneHotEncoder, sk.OneHotEncoder), (OrdinalEncoder, sk.OrdinalEncoder)):
            ref, est = Sk().fit(X), Enc().fit(X)
            _same_list(ref.categories_, est.categories_)
            np.testing.assert_array_equal(_dense(ref.transform(X)), _dense(est.transform(X)))
    # a Dask array of objects and one of numbers
    for X in (X_str.astype(object), X_num):
        ref = sk.OrdinalEncoder().fit(X)
        est = OrdinalEncoder().fit(da.from_array(X, chunks=(13, 1)))
        _same_list(ref.categories_, est.categories_)
        np.testing.assert_array_equal(
            est.transform(da.from_array(X, chunks=(20, -1))).compute(), ref.transform(X)
        )
    # mixed types in an object column: scikit-learn's TypeError
    msg = (
        r"Encoders require their input argument must be uniformly strings or numbers. Got \['float', 'str'\]"
    )
    with pytest.raises(TypeError, match=msg):
        sk.OneHotEncoder().fit(X_obj[~np.equal(X_obj[:, 0], None)])
    with pytest.raises(TypeError, match=msg):
        OneHotEncoder().fit(X_obj[~np.equal(X_obj[:, 0], None)])


def test_mixed_type_dataframe_column_and_datetimes():
    df = pd.DataFrame({"m": pd.Series(["a", 1, "b"], dtype=object)})
    msg = r"Encoders require their input argument must be uniformly strings or numbers. Got \['int', 'str'\]"
    with pytest.raises(TypeError, match=msg):
        sk.OneHotEncoder().fit(df)
    with pytest.raises(TypeError, match=msg):
        OneHotEncoder().fit(df)
    # chunks of one type each: the merge of their categories finds the mix
    mixed = pd.DataFrame({"m": pd.Series(["a", "b"] * 50 + [1, 2] * 50, dtype=object)})
    with dml.config_context(chunk_bytes=400, fast_path_bytes=0), pytest.raises(TypeError, match="uniformly"):
        OneHotEncoder().fit(mixed)
    dates = pd.DataFrame({"d": pd.date_range("2020-01-01", periods=4), "c": list("abab")})
    for X in (dates, _dask(dates, 2)):
        with pytest.raises(
            ValueError, match=r"OneHotEncoder does not encode datetime or timedelta columns.*'d'"
        ):
            OneHotEncoder().fit(X)


def test_columns_missing_or_reordered_at_transform():
    df = _frame(n=40)
    ref = sk.OneHotEncoder().fit(df)
    est = OneHotEncoder().fit(_dask(df, 2))
    for bad in (df[df.columns[::-1]], df.drop(columns=["int"])):
        with pytest.raises(ValueError) as theirs:
            ref.transform(bad)
        with pytest.raises(ValueError) as ours:
            est.transform(bad)
        assert str(ours.value) == str(theirs.value)
        with pytest.raises(ValueError) as lazy:
            est.transform(_dask(bad, 2))
        assert str(lazy.value) == str(theirs.value)
    with pytest.raises(ValueError, match="X has 2 features, but OrdinalEncoder is expecting 3 features"):
        OrdinalEncoder().fit(np.zeros((4, 3))).transform(np.zeros((4, 2)))


def test_callers_dataframe_is_not_modified():
    df = _frame(n=60)
    df.loc[3, "str"] = "unseen-later"
    before = df.copy()
    train = df.iloc[4:]
    OneHotEncoder(handle_unknown="ignore").fit(train).transform(df)
    OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(train).transform(df)
    OneHotEncoder(handle_unknown="ignore").fit(_dask(train, 2)).transform(_dask(df, 3)).compute()
    pd.testing.assert_frame_equal(df, before)


def test_string_na_and_nullable_columns():
    s = pd.DataFrame({"s": pd.array(["b", None, "a", "b"], dtype="string")})
    est = OneHotEncoder(sparse_output=False).fit(s)  # scikit-learn refuses pd.NA in strings
    _same_list(est.categories_, [np.array(["a", "b", np.nan], dtype=object)])
    ref = sk.OneHotEncoder(sparse_output=False).fit(s.astype(object).fillna(np.nan))
    np.testing.assert_array_equal(est.transform(s), ref.transform(s.astype(object).fillna(np.nan)))
    nullable = pd.DataFrame(
        {
            "i": pd.array([1, None, 3, 1], dtype="Int64"),
            "b": pd.array([True, None, False, True], dtype="boolean"),
        }
    )
    ref = sk.OrdinalEncoder().fit(nullable)
    est = OrdinalEncoder().fit(_dask(nullable, 2))
    _same_list(ref.categories_, est.categories_)
    np.testing.assert_array_equal(ref.transform(nullable), est.transform(_dask(nullable, 3)).compute())


def test_fitted_encoders_take_dask_series_and_frames_of_unknown_lengths():
    s = pd.Series(["a", "b", "a", "c", "b"], name="letter")
    ref = sk.OneHotEncoder(sparse_output=False).fit(s.to_frame())
    est = OneHotEncoder(sparse_output=False).fit(dd.from_pandas(s, npartitions=2).clear_divisions())
    np.testing.assert_array_equal(est.feature_names_in_, ["letter"])
    out = est.transform(dd.from_pandas(s, npartitions=3).clear_divisions())
    assert isinstance(out, da.Array) and np.isnan(out.chunks[0][0])
    np.testing.assert_array_equal(out.compute(), ref.transform(s.to_frame()))


def test_sparse_chunks_have_csr_meta_and_concatenate():
    df = _frame(none=False)
    out = OneHotEncoder().fit(df).transform(_dask(df, 4))
    assert sp.issparse(out._meta)
    blocks = dask.compute(*out.to_delayed().ravel())
    assert all(sp.issparse(b) and b.format == "csr" for b in blocks)
    assert sum(b.shape[0] for b in blocks) == len(df)


def test_parameter_errors_as_sklearn():
    df = pd.DataFrame({"c": ["a", None, "b"]})
    for Enc, Sk, kw in (
        (OrdinalEncoder, sk.OrdinalEncoder, {"dtype": np.int64}),
        (OrdinalEncoder, sk.OrdinalEncoder, {"encoded_missing_value": 1}),
        (OrdinalEncoder, sk.OrdinalEncoder, {"handle_unknown": "use_encoded_value", "unknown_value": 0}),
        (OneHotEncoder, sk.OneHotEncoder, {"drop": ["zz"]}),
    ):
        with pytest.raises(ValueError) as theirs:
            Sk(**kw).fit(df)
        with pytest.raises(ValueError) as ours:
            Enc(**kw).fit(df)
        assert str(ours.value) == str(theirs.value)
    # scikit-learn 1.9 means this error but fails on string categories (AttributeError)
    with pytest.raises(
        ValueError, match="Unable to drop category 'a' from feature 0 because it is infrequent"
    ):
        OneHotEncoder(min_frequency=2, drop=["a"]).fit(df)
    with pytest.raises(TypeError, match="unknown_value should only be set"):
        OrdinalEncoder(unknown_value=1).fit(df)


def test_set_output_pandas():
    df = _frame(none=False)
    ref = sk.OrdinalEncoder().set_output(transform="pandas").fit(df)
    est = OrdinalEncoder().set_output(transform="pandas").fit(df)
    pd.testing.assert_frame_equal(est.transform(df), ref.transform(df))
    out = est.transform(_dask(df, 3))
    assert isinstance(out, dd.DataFrame)
    np.testing.assert_array_equal(out.compute().to_numpy(), ref.transform(df).to_numpy())
    with pytest.raises(ValueError, match="Pandas output does not support sparse data"):
        OneHotEncoder().set_output(transform="pandas").fit(df).transform(df)


def test_empty_dask_frame_is_refused():
    empty = _dask(_frame(n=10), 2).head(0, npartitions=2, compute=False)
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\) \(shape=\(0, 10\)\)"):
        OneHotEncoder().fit(empty)
