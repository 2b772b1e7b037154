"""ColumnTransformer: scikit-learn's results on pandas / NumPy; on Dask input the parts'
outputs stacked partition by partition, lazily, with known or unknown lengths."""

from __future__ import annotations

import re

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from dask.callbacks import Callback
from scipy import sparse
from sklearn import compose as skc
from sklearn import preprocessing as skp
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.pipeline import make_pipeline

from dml._engine.mapreduce import count_passes
from dml.compose import ColumnTransformer, make_column_selector, make_column_transformer
from dml.linear_model import LogisticRegression
from dml.preprocessing import MinMaxScaler, StandardScaler


@pytest.fixture
def df():
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(3.0, 2.0, size=n),
            "s": rng.choice(["x", "y", "z"], n),
            "i": rng.integers(0, 5, n),
            "c": rng.uniform(size=n),
        }
    )


def _dense(X):
    X = X.toarray() if sparse.issparse(X) else X
    return np.asarray(X, dtype=float)


def _assert_same(a, b):
    """Equal outputs: numbers to rounding, strings exactly (object arrays column by column)."""
    a, b = (x.toarray() if sparse.issparse(x) else np.asarray(x) for x in (a, b))
    assert a.shape == b.shape
    if a.dtype != object and b.dtype != object:
        np.testing.assert_allclose(a, b, atol=1e-12)
        return
    for j in range(a.shape[1]):
        try:
            left, right = a[:, j].astype(float), b[:, j].astype(float)
        except ValueError:
            np.testing.assert_array_equal(a[:, j], b[:, j])
        else:
            np.testing.assert_allclose(left, right, atol=1e-12)


class Computes(Callback):
    """Counts the Dask computations started inside it."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def _start(self, dsk):
        self.n += 1


def _onehot(**kw):
    return skp.OneHotEncoder(**kw)


# (dml ColumnTransformer spec, scikit-learn's spec, kwargs): the dml side mixes dml and
# scikit-learn transformers; the reference uses scikit-learn's equivalents.
CONFIGS = {
    "names-drop": (
        lambda: [("num", StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])],
        lambda: [("num", skp.StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])],
        {},
    ),
    "passthrough": (
        lambda: [("num", StandardScaler(), ["a"])],
        lambda: [("num", skp.StandardScaler(), ["a"])],
        {"remainder": "passthrough"},
    ),
    "remainder-estimator": (
        lambda: [("cat", _onehot(sparse_output=False), ["s"])],
        lambda: [("cat", _onehot(sparse_output=False), ["s"])],
        {"remainder": MinMaxScaler()},
    ),
    "selectors": (
        lambda: [
            ("num", StandardScaler(), make_column_selector(dtype_include="float64")),
            ("cat", _onehot(sparse_output=False), make_column_selector(pattern="^s$")),
        ],
        lambda: [
            ("num", skp.StandardScaler(), skc.make_column_selector(dtype_include="float64")),
            ("cat", _onehot(sparse_output=False), skc.make_column_selector(pattern="^s$")),
        ],
        {"remainder": "drop"},
    ),
    "dtype-exclude-callable": (
        lambda: [
            ("num", StandardScaler(), make_column_selector(dtype_exclude=["object", "string"])),
            ("first", "passthrough", lambda X: list(X.columns[:1])),
        ],
        lambda: [
            ("num", skp.StandardScaler(), skc.make_column_selector(dtype_exclude=["object", "string"])),
            ("first", "passthrough", lambda X: list(X.columns[:1])),
        ],
        {},
    ),
    "ints-slice-bools": (
        lambda: [
            ("s1", StandardScaler(), slice(0, 2)),
            ("m", "passthrough", [False, False, False, True, True]),
        ],
        lambda: [
            ("s1", skp.StandardScaler(), slice(0, 2)),
            ("m", "passthrough", [False, False, False, True, True]),
        ],
        {},
    ),
    "drop-and-empty": (
        lambda: [("num", StandardScaler(), ["a"]), ("gone", "drop", ["b"]), ("none", StandardScaler(), [])],
        lambda: [
            ("num", skp.StandardScaler(), ["a"]),
            ("gone", "drop", ["b"]),
            ("none", skp.StandardScaler(), []),
        ],
        {"remainder": "passthrough"},
    ),
    "names-out-false": (
        lambda: [("num", StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])],
        lambda: [("num", skp.StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])],
        {"verbose_feature_names_out": False, "remainder": "passthrough"},
    ),
    "names-out-format": (
        lambda: [("num", StandardScaler(), ["a"])],
        lambda: [("num", skp.StandardScaler(), ["a"])],
        {"verbose_feature_names_out": "{feature_name}:{transformer_name}", "remainder": "passthrough"},
    ),
    "names-out-callable": (
        lambda: [("num", StandardScaler(), ["a"]), ("cat", _onehot(sparse_output=False), ["s"])],
        lambda: [("num", skp.StandardScaler(), ["a"]), ("cat", _onehot(sparse_output=False), ["s"])],
        {"verbose_feature_names_out": lambda t, f: f"{t.upper()}-{f}"},
    ),
    "weights": (
        lambda: [("num", StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])],
        lambda: [("num", skp.StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])],
        {"transformer_weights": {"num": 2.0, "cat": 0.5}},
    ),
    "sparse-dense-out": (
        lambda: [("num", StandardScaler(), ["a", "b", "c"]), ("cat", _onehot(), ["s"])],
        lambda: [("num", skp.StandardScaler(), ["a", "b", "c"]), ("cat", _onehot(), ["s"])],
        {"sparse_threshold": 0.3},
    ),
    "sparse-out": (
        lambda: [("num", StandardScaler(), ["a"]), ("cat", _onehot(), ["s", "i"])],
        lambda: [("num", skp.StandardScaler(), ["a"]), ("cat", _onehot(), ["s", "i"])],
        {"sparse_threshold": 0.8},
    ),
    "sparse-threshold-0": (
        lambda: [("num", StandardScaler(), ["a"]), ("cat", _onehot(), ["s", "i"])],
        lambda: [("num", skp.StandardScaler(), ["a"]), ("cat", _onehot(), ["s", "i"])],
        {"sparse_threshold": 0.0},
    ),
}


def _pair(config):
    ours, theirs, kw = CONFIGS[config]
    return ColumnTransformer(ours(), **clone(kw, safe=False)), skc.ColumnTransformer(
        theirs(), **clone(kw, safe=False)
    )


def _same_fitted(ct, ref):
    assert ct.sparse_output_ == ref.sparse_output_
    assert ct.output_indices_ == ref.output_indices_
    assert ct.n_features_in_ == ref.n_features_in_
    np.testing.assert_array_equal(ct.feature_names_in_, ref.feature_names_in_)
    np.testing.assert_array_equal(ct.get_feature_names_out(), ref.get_feature_names_out())
    assert [(n, c) for n, _, c in ct.transformers_] == [(n, c) for n, _, c in ref.transformers_]
    assert list(ct.named_transformers_) == list(ref.named_transformers_)


@pytest.mark.parametrize("config", list(CONFIGS))
def test_pandas_matches_sklearn(df, config):
    ct, ref = _pair(config)
    expected = ref.fit_transform(df)
    out = ct.fit_transform(df)
    assert sparse.issparse(out) == sparse.issparse(expected)
    _assert_same(out, expected)
    _same_fitted(ct, ref)
    _assert_same(ct.transform(df), ref.transform(df))
    # columns in another order, and an extra column: read by name, as scikit-learn
    shuffled = df[df.columns[::-1]].assign(extra=1.0)
    _assert_same(ct.transform(shuffled), ref.transform(shuffled))


@pytest.mark.parametrize("config", list(CONFIGS))
def test_dask_frame_matches_pandas(df, config):
    ct, ref = _pair(config)
    expected = ref.fit_transform(df)
    ddf = dd.from_pandas(df, npartitions=4)
    out = ct.fit_transform(ddf)
    assert isinstance(out, da.Array) and out.numblocks[0] == 4
    # Dask's rule: sparse when a part's output is sparse and sparse_threshold > 0
    assert ct.sparse_output_ == (config in ("sparse-dense-out", "sparse-out"))
    computed = out.compute()
    assert sparse.issparse(computed) == ct.sparse_output_
    _assert_same(computed, expected)
    assert ct.output_indices_ == ref.output_indices_
    np.testing.assert_array_equal(ct.get_feature_names_out(), ref.get_feature_names_out())


def test_sparse_rule_on_dask(df):
    """Dask input: sparse output exactly when a part is sparse and sparse_threshold > 0
    (the density needs a pass over the data); in memory scikit-learn's density rule."""
    spec = [("num", StandardScaler(), ["a", "b", "c"]), ("cat", _onehot(), ["s"])]
    ddf = dd.from_pandas(df, npartitions=3)
    dense_in_memory = ColumnTransformer(spec, sparse_threshold=0.3).fit(df)
    assert not dense_in_memory.sparse_output_  # density 4/6 > 0.3
    on_dask = ColumnTransformer(spec, sparse_threshold=0.3).fit(ddf)
    assert on_dask.sparse_output_
    out = on_dask.transform(ddf)
    assert isinstance(out._meta, sparse.csr_matrix)
    assert sparse.isspmatrix_csr(out.compute())
    never = ColumnTransformer(spec, sparse_threshold=0.0).fit(ddf)
    assert not never.sparse_output_
    np.testing.assert_allclose(never.transform(ddf).compute(), out.compute().toarray())
    np.testing.assert_allclose(out.compute().toarray(), dense_in_memory.transform(df))
    dense_only = ColumnTransformer([("num", StandardScaler(), ["a"])], sparse_threshold=1.0).fit(ddf)
    assert not dense_only.sparse_output_


def test_sparse_dask_array_part():
    """A part whose Dask output has SciPy sparse blocks is stacked per block."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    Xs = sparse.random(40, 4, density=0.3, format="csr", random_state=0)
    Xd = da.concatenate(
        [da.from_array(X, chunks=(10, 3)), da.from_array(Xs, chunks=(10, 4), asarray=False)], axis=1
    )
    ct = ColumnTransformer([("s", "passthrough", [3, 4, 5, 6]), ("d", StandardScaler(), [0, 1, 2])])
    ct.fit(X_np := np.hstack([X, Xs.toarray()]))
    out = ct.transform(Xd)
    ref = skc.ColumnTransformer([("s", "passthrough", [3, 4, 5, 6]), ("d", skp.StandardScaler(), [0, 1, 2])])
    np.testing.assert_allclose(_dense(out.compute()), _dense(ref.fit_transform(X_np)))


@pytest.mark.parametrize("lengths", ["known-divisions", "cleared", "filtered", "from_map"])
def test_unknown_partition_lengths(df, lengths):
    spec = [("num", StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])]
    expected_df = df
    if lengths == "known-divisions":
        ddf = dd.from_pandas(df, npartitions=3)
    elif lengths == "cleared":
        ddf = dd.from_pandas(df, npartitions=3).clear_divisions()
    elif lengths == "filtered":
        ddf = dd.from_pandas(df, npartitions=3)
        ddf = ddf[ddf.a > -0.5]
        expected_df = df[df.a > -0.5]
    else:
        pieces = [df.iloc[:25], df.iloc[25:31], df.iloc[31:]]
        ddf = dd.from_map(lambda p: p, pieces, enforce_metadata=False)
    ref = skc.ColumnTransformer(
        [("num", skp.StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])],
        remainder="passthrough",
    )
    expected = ref.fit_transform(expected_df)
    ct = ColumnTransformer(spec, remainder="passthrough")
    with Computes() as c:
        ct.fit(ddf)
        fit_computes = c.n
        out = ct.transform(ddf)
        assert c.n == fit_computes  # transform is lazy
    assert np.isnan(out.shape[0]) and out.numblocks[0] == ddf.npartitions
    np.testing.assert_allclose(out.compute().astype(float), expected.astype(float))
    framed = ct.set_output(transform="pandas").transform(ddf)
    assert isinstance(framed, dd.DataFrame) and framed.npartitions == ddf.npartitions
    assert framed.divisions == ddf.divisions
    got = framed.compute()
    pd.testing.assert_frame_equal(
        got, ref.set_output(transform="pandas").transform(expected_df), check_dtype=False
    )


def test_dask_array_known_chunks(df):
    X = df[["a", "b", "c", "i"]].to_numpy()
    Xd = da.from_array(X, chunks=((20, 15, 25), (2, 2)))
    ct = ColumnTransformer(
        [("s", StandardScaler(), [0, 1]), ("m", skp.MinMaxScaler(), [3])], remainder="passthrough"
    )
    ref = skc.ColumnTransformer(
        [("s", skp.StandardScaler(), [0, 1]), ("m", skp.MinMaxScaler(), [3])], remainder="passthrough"
    )
    out = ct.fit_transform(Xd)
    assert out.chunks[0] == (20, 15, 25) and out.shape == (60, 4)
    np.testing.assert_allclose(out.compute(), ref.fit_transform(X))
    np.testing.assert_array_equal(ct.get_feature_names_out(), ref.get_feature_names_out())
    framed = ct.set_output(transform="pandas").transform(Xd)
    pd.testing.assert_frame_equal(framed.compute(), ref.set_output(transform="pandas").transform(X))


def test_transform_is_lazy_and_fit_passes(df):
    ddf = dd.from_pandas(df, npartitions=4)
    ct = ColumnTransformer(
        [("num", StandardScaler(), ["a", "b"]), ("mm", MinMaxScaler(), ["c"]), ("cat", _onehot(), ["s"])],
        remainder="passthrough",
    )
    with Computes() as alone:  # the dml parts fitted by themselves
        StandardScaler().fit(ddf[["a", "b"]])
        MinMaxScaler().fit(ddf[["c"]])
    with count_passes() as passes, Computes() as computes:
        ct.fit(ddf)
    # one pass per dml part, one computation of the scikit-learn part's columns
    assert passes.passes == 2
    assert computes.n == alone.n + 1
    in_memory = clone(ct).fit(df)  # fitted on pandas, transforming Dask input
    with count_passes() as passes, Computes() as computes:
        out = ct.transform(ddf)
        framed = in_memory.transform(ddf)
    assert passes.passes == 0 and computes.n == 0
    assert isinstance(out, da.Array) and isinstance(framed, da.Array)
    np.testing.assert_allclose(_dense(out.compute()), _dense(framed.compute()))


def test_schedulers(df, scheduler):
    ddf = dd.from_pandas(df, npartitions=3)
    ct = ColumnTransformer(
        [("num", StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])], n_jobs=2
    )
    ref = skc.ColumnTransformer(
        [("num", skp.StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])]
    )
    np.testing.assert_allclose(ct.fit_transform(ddf).compute(), ref.fit_transform(df))


def test_n_jobs_in_memory(df):
    import joblib

    ct, ref = _pair("names-drop")
    with joblib.parallel_config(backend="threading"):  # no process pool to start in a test
        np.testing.assert_allclose(ct.set_params(n_jobs=2).fit_transform(df), ref.fit_transform(df))


def test_pandas_output_in_memory(df):
    for config in ["names-drop", "passthrough", "names-out-false", "drop-and-empty"]:
        ct, ref = _pair(config)
        ct.set_output(transform="pandas")
        ref.set_output(transform="pandas")
        pd.testing.assert_frame_equal(ct.fit_transform(df), ref.fit_transform(df))
        pd.testing.assert_frame_equal(ct.transform(df), ref.transform(df))


def test_pandas_output_on_dask_keeps_partitions_and_dtypes(df):
    ddf = dd.from_pandas(df, npartitions=3)
    ct = ColumnTransformer([("num", StandardScaler(), ["a"])], remainder="passthrough").set_output(
        transform="pandas"
    )
    out = ct.fit_transform(ddf)
    assert isinstance(out, dd.DataFrame)
    assert out.npartitions == 3 and out.divisions == ddf.divisions
    assert list(out.columns) == ["num__a", "remainder__b", "remainder__s", "remainder__i", "remainder__c"]
    ref = skc.ColumnTransformer([("num", skp.StandardScaler(), ["a"])], remainder="passthrough")
    expected = ref.set_output(transform="pandas").fit_transform(df)
    got = out.compute()
    # Dask reads strings as Arrow strings: the same values, another string dtype
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got.dtypes.drop("remainder__s").tolist() == expected.dtypes.drop("remainder__s").tolist()
    sparse_ct = ColumnTransformer([("cat", _onehot(), ["s"])], sparse_threshold=1.0).set_output(
        transform="pandas"
    )
    with pytest.raises(ValueError, match="sparse"):
        sparse_ct.fit_transform(ddf)


def test_pipeline_with_dml_logistic_regression(df):
    y = (df.a + 0.3 * df.b + (df.s == "x") > 1.0).astype(int)
    ddf = dd.from_pandas(df, npartitions=4)
    dy = dd.from_pandas(y, npartitions=4)
    pipe = make_pipeline(
        ColumnTransformer(
            [("num", StandardScaler(), ["a", "b", "c"]), ("cat", _onehot(sparse_output=False), ["s"])]
        ),
        LogisticRegression(),
    )
    ref = make_pipeline(
        skc.ColumnTransformer(
            [("num", skp.StandardScaler(), ["a", "b", "c"]), ("cat", _onehot(sparse_output=False), ["s"])]
        ),
        SkLogisticRegression(),
    )
    pipe.fit(ddf, dy)
    ref.fit(df, y)
    pred = pipe.predict(ddf)
    assert dask.is_dask_collection(pred)
    np.testing.assert_array_equal(np.asarray(pred.compute()), ref.predict(df))
    np.testing.assert_allclose(pipe.predict_proba(ddf).compute(), ref.predict_proba(df), atol=1e-4)


# ------------------------------------------------------------------ bad input


def _sk_error(func):
    with pytest.raises(Exception) as info:
        func()
    return type(info.value), str(info.value)


def test_missing_column_at_transform(df):
    ct, ref = _pair("names-drop")
    ct.fit(df)
    ref.fit(df)
    kind, message = _sk_error(lambda: ref.transform(df.drop(columns="b")))
    with pytest.raises(kind, match=re.escape(message)):
        ct.transform(df.drop(columns="b"))
    with pytest.raises(kind, match=re.escape(message)):
        ct.transform(dd.from_pandas(df.drop(columns="b"), npartitions=2))
    # a dropped column may be missing, as in scikit-learn
    ct2, ref2 = _pair("drop-and-empty")
    ct2.fit(df)
    ref2.fit(df)
    _assert_same(ct2.transform(df.drop(columns="b")), ref2.transform(df.drop(columns="b")))


def test_reordered_columns_on_dask(df):
    ct, ref = _pair("passthrough")
    ddf = dd.from_pandas(df, npartitions=2)
    ct.fit(ddf)
    ref.fit(df)
    reordered = df[["c", "i", "s", "b", "a"]]
    _assert_same(ct.transform(dd.from_pandas(reordered, npartitions=2)).compute(), ref.transform(reordered))


@pytest.mark.parametrize(
    "make",
    [
        lambda sk: (sk.ColumnTransformer([("n", skp.StandardScaler(), ["nope"])]), "frame"),
        lambda sk: (sk.ColumnTransformer([("n", skp.StandardScaler(), ["a"])]), "array"),
        lambda sk: (sk.ColumnTransformer([("n", skp.StandardScaler(), "a")]), "frame"),
        lambda sk: (sk.ColumnTransformer([("n", skp.StandardScaler(), [0]), ("n", "drop", [1])]), "array"),
        lambda sk: (sk.ColumnTransformer([("a__b", skp.StandardScaler(), [0])]), "array"),
        lambda sk: (sk.ColumnTransformer([("n", skp.StandardScaler, [0])]), "array"),
        lambda sk: (sk.ColumnTransformer([("n", skp.StandardScaler(), [0])], remainder="keep"), "array"),
        lambda sk: (sk.ColumnTransformer([("n", skp.StandardScaler(), [0])], sparse_threshold=2.0), "array"),
    ],
)
def test_fit_errors_as_sklearn(df, make):
    ref, kind = make(skc)
    ours, _ = make(__import__("dml.compose", fromlist=["ColumnTransformer"]))
    X = df[["a", "b", "c"]] if kind == "frame" else df[["a", "b", "c"]].to_numpy()
    err, message = _sk_error(lambda: ref.fit(X))
    with pytest.raises(err, match=re.escape(message)):
        ours.fit(X)
    Xd = dd.from_pandas(X, npartitions=2) if kind == "frame" else da.from_array(X, chunks=20)
    with pytest.raises(err, match=re.escape(message)):
        ours.fit(Xd)


def test_wrong_number_of_features_on_arrays(df):
    X = df[["a", "b", "c"]].to_numpy()
    ct = ColumnTransformer([("n", StandardScaler(), [0])]).fit(X)
    ref = skc.ColumnTransformer([("n", skp.StandardScaler(), [0])]).fit(X)
    err, message = _sk_error(lambda: ref.transform(X[:, :2]))
    with pytest.raises(err, match=re.escape(message)):
        ct.transform(X[:, :2])
    with pytest.raises(err, match=re.escape(message)):
        ct.transform(da.from_array(X[:, :2], chunks=20))


def test_callers_frame_is_not_modified(df):
    before = df.copy()
    ddf = dd.from_pandas(df, npartitions=3)
    spec = [("num", StandardScaler(), ["a", "b"]), ("cat", _onehot(sparse_output=False), ["s"])]
    dask_before = ddf.compute()
    ColumnTransformer(spec, remainder="passthrough").fit_transform(df)
    ColumnTransformer(spec, remainder="passthrough").set_output(transform="pandas").fit_transform(df)
    ColumnTransformer(spec, remainder="passthrough").fit_transform(ddf).compute()
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_frame_equal(ddf.compute(), dask_before)


# ------------------------------------------------------------------ API


def test_make_column_transformer_and_selector(df):
    ours = make_column_transformer((StandardScaler(), ["a"]), (StandardScaler(), ["b"]), ("drop", ["c"]))
    ref = skc.make_column_transformer(
        (skp.StandardScaler(), ["a"]), (skp.StandardScaler(), ["b"]), ("drop", ["c"])
    )
    assert [n for n, *_ in ours.transformers] == [n for n, *_ in ref.transformers]
    ddf = dd.from_pandas(df, npartitions=2)
    for kw in [{"dtype_include": np.number}, {"pattern": "[ab]"}, {"dtype_exclude": "float64"}, {}]:
        expected = skc.make_column_selector(**kw)(df)
        assert make_column_selector(**kw)(df) == expected
        assert make_column_selector(**kw)(ddf) == expected
    with pytest.raises(ValueError, match="only be applied to pandas"):
        make_column_selector()(df.to_numpy())


def test_params_and_indexing(df):
    ct, ref = _pair("names-drop")
    assert set(ct.get_params()) == set(ref.get_params())
    ct.set_params(num__with_mean=False, cat="drop")
    assert ct.get_params()["num__with_mean"] is False and ct.get_params()["cat"] == "drop"
    with pytest.raises(TypeError, match="subscriptable after it is fitted"):
        ct["num"]
    ct.fit(df)
    assert ct["num"] is ct.named_transformers_.num
    assert clone(ct).get_params(deep=False).keys() == ct.get_params(deep=False).keys()


def test_verbose_messages_as_sklearn(df, capsys):
    ct, ref = _pair("names-drop")
    ref.set_params(verbose=True).fit(df)
    theirs = capsys.readouterr().out
    ct.set_params(verbose=True).fit(df)
    ours = capsys.readouterr().out
    strip = lambda s: re.sub(r"total=\s*[\d.]+s", "", s)  # noqa: E731
    assert strip(ours) == strip(theirs) and "(2 of 2) Processing cat" in ours
    ct.fit(dd.from_pandas(df, npartitions=2))
    assert "(1 of 2) Processing num" in capsys.readouterr().out


def test_nothing_selected(df):
    ct = ColumnTransformer([("n", StandardScaler(), [])])
    ref = skc.ColumnTransformer([("n", skp.StandardScaler(), [])])
    assert ct.fit_transform(df).shape == ref.fit_transform(df).shape == (60, 0)
    out = ct.fit_transform(dd.from_pandas(df, npartitions=2))
    assert out.compute().shape == (60, 0)


def test_dml_one_hot_encoder_part(df):
    """dml's OneHotEncoder is a Dask-native part: fitted on the Dask column itself (no
    column brought into the driver), its sparse blocks stacked per partition."""
    try:
        from dml.preprocessing import OneHotEncoder
    except ImportError:  # pragma: no cover - dml's encoders not there
        pytest.skip("dml.preprocessing.OneHotEncoder is not available")
    ddf = dd.from_pandas(df, npartitions=3)
    for sparse_output in (False, True):
        ct = ColumnTransformer(
            [
                ("num", StandardScaler(), ["a", "b"]),
                ("cat", OneHotEncoder(sparse_output=sparse_output), ["s", "i"]),
            ],
            remainder="passthrough",
        )
        ref = skc.ColumnTransformer(
            [
                ("num", skp.StandardScaler(), ["a", "b"]),
                ("cat", _onehot(sparse_output=sparse_output), ["s", "i"]),
            ],
            remainder="passthrough",
        )
        expected = ref.fit_transform(df)
        out = ct.fit_transform(ddf)
        assert ct._probes == {}  # nothing of the data kept in the model
        assert ct.sparse_output_ == sparse_output
        _assert_same(out.compute(), expected)
        np.testing.assert_array_equal(ct.get_feature_names_out(), ref.get_feature_names_out())
        _assert_same(ColumnTransformer(ct.transformers, remainder="passthrough").fit_transform(df), expected)


def test_one_dimensional_text_column(df):
    """A scalar column gives the part a 1-D column (a Series), as scikit-learn: here a
    CountVectorizer on a text column, with its sparse output."""
    from sklearn.feature_extraction.text import CountVectorizer

    text = df.assign(t=[f"w{i % 4} w{i % 3} common" for i in range(len(df))])
    ct = ColumnTransformer([("text", CountVectorizer(), "t"), ("num", StandardScaler(), ["a"])])
    ref = skc.ColumnTransformer([("text", CountVectorizer(), "t"), ("num", skp.StandardScaler(), ["a"])])
    expected = ref.fit_transform(text)
    _assert_same(ct.fit_transform(text), expected)
    out = ct.fit_transform(dd.from_pandas(text, npartitions=3))
    _assert_same(out.compute(), expected)
    np.testing.assert_array_equal(ct.get_feature_names_out(), ref.get_feature_names_out())
    # a scalar column for a transformer that needs 2-D data: scikit-learn's message
    err, message = _sk_error(lambda: skc.ColumnTransformer([("n", skp.StandardScaler(), "a")]).fit(df))
    with pytest.raises(err, match=re.escape(message)):
        ColumnTransformer([("n", skp.StandardScaler(), "a")]).fit(df)


def test_global_pandas_output_and_routing_errors(df):
    import sklearn

    ddf = dd.from_pandas(df, npartitions=2)
    with sklearn.config_context(transform_output="pandas"):
        ct = ColumnTransformer([("num", StandardScaler(), ["a"])]).fit(df)
        assert isinstance(ct.transform(df), pd.DataFrame)
        assert isinstance(ct.transform(ddf), dd.DataFrame)
    ct.set_output(transform="default")
    assert isinstance(ct.transform(ddf), da.Array)
    with pytest.raises(ValueError, match="'default' and 'pandas'"):
        ColumnTransformer([("num", StandardScaler(), ["a"])]).set_output(transform="polars")
    ref = skc.ColumnTransformer([("num", skp.StandardScaler(), ["a"])])
    err, message = _sk_error(lambda: ref.fit(df, sample_weight=np.ones(len(df))))
    with pytest.raises(err, match=re.escape(message)):
        ColumnTransformer([("num", StandardScaler(), ["a"])]).fit(ddf, sample_weight=np.ones(len(df)))


# ----------------------------------------------- dask-ml's open ColumnTransformer issues


def test_dask_ml_993_names_and_positions_on_a_dask_frame(scheduler):
    """dask-ml #993: string and integer column selections on a Dask DataFrame."""
    df = pd.DataFrame({"A": np.random.default_rng(0).random(1000), "B": np.arange(1000.0)})
    ddf = dd.from_pandas(df, npartitions=2)
    for cols in (["A"], [0]):
        ct = ColumnTransformer([("StandardScaler", StandardScaler(), cols)], remainder="passthrough")
        ref = skc.ColumnTransformer([("StandardScaler", skp.StandardScaler(), cols)], remainder="passthrough")
        np.testing.assert_allclose(ct.fit_transform(ddf).compute(), ref.fit_transform(df))


def test_dask_ml_1000_outputs_side_by_side_not_stacked():
    """dask-ml #1000: the parts' outputs are side by side, row for row (not one below
    the other), also after reset_index(drop=True) (a repeated index)."""
    df = pd.DataFrame({"A": pd.Categorical(["a", "a", "b", "a"]), "B": [1.0, 2, 4, 5]})
    ddf = dd.from_pandas(df, npartitions=2).reset_index(drop=True)
    spec = [("A", _onehot(dtype="uint8", sparse_output=False), ["A"]), ("B", skp.RobustScaler(), ["B"])]
    ct = ColumnTransformer(spec).set_output(transform="pandas")
    out = ct.fit_transform(ddf).compute()
    expected = skc.ColumnTransformer(clone(spec, safe=False)).fit_transform(df)
    assert out.shape == (4, 3)
    np.testing.assert_allclose(out.to_numpy(dtype=float), expected)
    assert list(out.index) == [0, 1, 0, 1]


def test_dask_ml_1019_hashing_vectorizers_on_text_columns():
    """dask-ml #1019: text columns through two HashingVectorizers (1-D selections)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    df = pd.DataFrame({"test1": ["example", "text", "more text"], "test2": ["lorem", "ipsum", "dolor"]})
    ddf = dd.from_pandas(df, npartitions=2).astype(str)
    spec = [
        ("test1", HashingVectorizer(n_features=16), "test1"),
        ("test2", HashingVectorizer(n_features=16), "test2"),
    ]
    ct = ColumnTransformer(spec).fit(ddf)
    expected = skc.ColumnTransformer(clone(spec, safe=False)).fit_transform(df)
    assert ct.sparse_output_
    np.testing.assert_allclose(ct.transform(ddf).compute().toarray(), expected.toarray())


def test_dask_ml_887_pipeline_with_target_encoder():
    """dask-ml #887: a pipeline (imputer + TargetEncoder) on a column with missing
    values, with y. fit_transform on Dask input runs the part's own fit_transform (the
    TargetEncoder's cross-fitting), as scikit-learn does; transform uses the full fit."""
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import KFold

    rng = np.random.default_rng(0)
    n = 80
    df = pd.DataFrame(
        {
            "hi": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "bye": rng.integers(0, 5, n).astype(float),
            "hc": pd.Series(rng.choice(["hi", "h", "no", None], n), dtype=object),
        }
    )
    y = pd.Series(rng.integers(0, 2, n))
    # Dask would read the strings as Arrow strings, missing values as pd.NA, which
    # scikit-learn's SimpleImputer does not take: keep the object column as it is
    with dask.config.set({"dataframe.convert-string": False}):
        ddf, dy = dd.from_pandas(df, npartitions=3), dd.from_pandas(y, npartitions=3)

    def spec():
        encoder = make_pipeline(SimpleImputer(strategy="most_frequent"), skp.TargetEncoder(cv=KFold(5)))
        return [("hc", encoder, ["hc"])]

    ct = ColumnTransformer(spec(), remainder="passthrough")
    ref = skc.ColumnTransformer(spec(), remainder="passthrough")
    expected = ref.fit_transform(df, y)
    out = ct.fit_transform(ddf, dy)
    assert isinstance(out, da.Array) and out.numblocks[0] == 3
    np.testing.assert_allclose(out.compute(), expected, equal_nan=True)
    np.testing.assert_allclose(ct.transform(ddf).compute(), ref.transform(df), equal_nan=True)


def test_pandas_na_in_array_output_as_sklearn():
    df = pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "f": [1.0, 2.0, 3.0]})
    ref = skc.ColumnTransformer([("keep", "passthrough", ["n"])])
    err, message = _sk_error(lambda: ref.fit_transform(df))
    with pytest.raises(err, match=re.escape(message)):
        ColumnTransformer([("keep", "passthrough", ["n"])]).fit_transform(df)
    out = ColumnTransformer([("keep", "passthrough", ["n"])]).set_output(transform="pandas").fit_transform(df)
    pd.testing.assert_frame_equal(out, ref.set_output(transform="pandas").fit_transform(df))


def test_pipeline_of_dml_transformers_is_a_dask_part(df):
    """A scikit-learn Pipeline of dml transformers fits on the Dask columns themselves."""
    ddf = dd.from_pandas(df, npartitions=3)
    ct = ColumnTransformer([("p", make_pipeline(StandardScaler(), MinMaxScaler()), ["a", "b"])])
    ref = skc.ColumnTransformer([("p", make_pipeline(skp.StandardScaler(), skp.MinMaxScaler()), ["a", "b"])])
    out = ct.fit_transform(ddf)
    assert ct._probes == {}
    np.testing.assert_allclose(out.compute(), ref.fit_transform(df))
    np.testing.assert_array_equal(ct.get_feature_names_out(), ref.get_feature_names_out())


def test_blocks_of_another_array_library_are_stacked_in_it():
    """A row block whose parts are array-API arrays (CuPy on GPU workers) is stacked in
    their namespace, not through NumPy (array_api_strict stands in for CuPy on CPU)."""
    xps = pytest.importorskip("array_api_strict")
    from dml.compose._stack import hstack_block

    a = xps.asarray(np.arange(6.0).reshape(3, 2))
    b = xps.asarray(np.ones((3, 1)))
    out = hstack_block([a, b], False, False, None, None)
    assert type(out) is type(a)
    np.testing.assert_array_equal(np.asarray(out), np.hstack([np.arange(6.0).reshape(3, 2), np.ones((3, 1))]))
