"""TargetEncoder against scikit-learn's: the fit (encodings_, target_mean_, transform) on
the same data, and fit_transform's cross-fitting against scikit-learn's on dml's folds
(given to scikit-learn as a PredefinedSplit); Dask DataFrames of unknown partition
lengths, pass counts, laziness, chunking invariance."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import preprocessing as sk
from sklearn.model_selection import KFold, PredefinedSplit

import dml
from dml._engine.mapreduce import count_passes
from dml.preprocessing import TargetEncoder
from dml.preprocessing._target_encoder_kernels import fold_of

N = 300


def _X(n=N, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.choice(["x", "y", "z", "w"], n, p=[0.4, 0.3, 0.25, 0.05]),
            "b": pd.Series(rng.choice(np.array(["p", "q", np.nan], dtype=object), n), dtype=object).astype(
                "category"
            ),
            "c": rng.integers(0, 6, n),
            "d": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 3, n)), dtype="Int64"),
        }
    )


def _y(kind, n=N, seed=1):
    rng = np.random.default_rng(seed)
    return {
        "continuous": rng.normal(size=n) * 3 + 1,
        "binary": rng.choice(["no", "yes"], n),
        "multiclass": rng.integers(0, 3, n),
    }[kind]


def _dask(obj, npartitions):
    return dd.from_pandas(obj, npartitions=npartitions).clear_divisions()


KINDS = ["continuous", "binary", "multiclass"]


@pytest.mark.parametrize("smooth", ["auto", 4.0])
@pytest.mark.parametrize("kind", KINDS)
def test_fit_matches_sklearn(kind, smooth):
    X, y = _X(), _y(kind)
    ref = sk.TargetEncoder(smooth=smooth).fit(X, y)
    for Xin, yin in ((X, y), (_dask(X, 4), _dask(pd.Series(y), 4))):
        est = TargetEncoder(smooth=smooth).fit(Xin, yin)
        assert est.target_type_ == ref.target_type_ == kind
        if kind == "continuous":
            assert est.classes_ is None
        else:
            np.testing.assert_array_equal(est.classes_, ref.classes_)
        assert len(est.encodings_) == len(ref.encodings_)
        for a, b in zip(ref.encodings_, est.encodings_):
            np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(est.target_mean_, ref.target_mean_, rtol=1e-12)
        for u, v in zip(ref.categories_, est.categories_):
            assert u.dtype == v.dtype and len(u) == len(v)
        np.testing.assert_allclose(est.transform(X), ref.transform(X), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(est.get_feature_names_out(), ref.get_feature_names_out())


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("smooth", ["auto", 4.0])
@pytest.mark.parametrize("kind", KINDS)
def test_fit_transform_cross_fits_as_sklearn_on_dml_folds(kind, smooth, shuffle):
    X, y = _X(), _y(kind)
    folds = fold_of(np.arange(N), n_samples=N, n_splits=5, shuffle=shuffle, seed=0)
    assert np.bincount(folds).min() > 40  # five folds of about N / 5 rows
    ref = sk.TargetEncoder(smooth=smooth, cv=PredefinedSplit(folds)).fit_transform(X, y)
    kw = {} if shuffle else {"shuffle": False}
    got = TargetEncoder(smooth=smooth, **kw).fit_transform(X, y)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
    with count_passes() as counter:
        lazy = TargetEncoder(smooth=smooth, **kw).fit_transform(_dask(X, 4), _dask(pd.Series(y), 4))
    assert counter.passes == 2, counter.kernels  # the target's labels and rows; the statistics
    assert isinstance(lazy, da.Array) and not np.isnan(lazy.chunks[0][0])
    np.testing.assert_allclose(lazy.compute(), ref, rtol=1e-10, atol=1e-12)
    if not shuffle and kind == "continuous":  # exactly scikit-learn's KFold(5)
        ref = sk.TargetEncoder(smooth=smooth, cv=KFold(5)).fit_transform(X, y)
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_folds_do_not_depend_on_the_chunking():
    X, y = _X(), _y("continuous")
    outs = [
        TargetEncoder().fit_transform(_dask(X, k), _dask(pd.Series(y), k)).compute() for k in (1, 3, 7)
    ] + [TargetEncoder().fit_transform(X, y)]
    for o in outs[1:]:
        np.testing.assert_allclose(o, outs[0], rtol=1e-12)
    a = fold_of(np.arange(1000), n_samples=1000, n_splits=5, shuffle=True, seed=3)
    b = np.concatenate(
        [
            fold_of(np.arange(s, s + 250), n_samples=1000, n_splits=5, shuffle=True, seed=3)
            for s in range(0, 1000, 250)
        ]
    )
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fold_of(np.arange(1000), n_samples=1000, n_splits=5, shuffle=True, seed=4))


def test_in_memory_target_costs_one_pass_and_dask_arrays_work():
    X, y = _X(), _y("binary")
    with count_passes() as counter:
        TargetEncoder().fit(X, y)
    assert counter.passes == 1
    Xo = X[["a", "c"]].to_numpy(dtype=object)
    ref = sk.TargetEncoder().fit(Xo, y)
    est = TargetEncoder().fit(da.from_array(Xo, chunks=(70, -1)), da.from_array(y, chunks=100))
    for a, b in zip(ref.encodings_, est.encodings_):
        np.testing.assert_allclose(b, a, rtol=1e-10)
    # a Dask X with an in-memory y: X's partition lengths are read once
    est = TargetEncoder().fit(_dask(X, 3), y)
    np.testing.assert_allclose(est.transform(X), sk.TargetEncoder().fit(X, y).transform(X), rtol=1e-10)


def test_transform_is_lazy_and_unknown_categories_get_the_mean():
    X, y = _X(), _y("multiclass")
    est = TargetEncoder().fit(X, y)
    calls = []

    def spy(part):
        if len(part):
            calls.append(1)
        return part

    Xt = pd.DataFrame(
        {
            "a": ["x", "new"],
            "b": pd.Categorical(["p", "q"]),
            "c": [1, 99],
            "d": pd.array([1, 2], dtype="Int64"),
        }
    )
    lazy = est.transform(_dask(Xt, 2).map_partitions(spy, meta=Xt.iloc[:0]))
    assert isinstance(lazy, da.Array) and not calls
    ref = sk.TargetEncoder().fit(X, y)
    np.testing.assert_allclose(lazy.compute(), ref.transform(Xt), rtol=1e-10)
    assert np.allclose(lazy.compute()[1, :3], est.target_mean_)


def test_bad_input():
    X, y = _X(), _y("continuous")
    with pytest.raises(ValueError, match="cv must be an int"):
        TargetEncoder(cv=KFold(3)).fit_transform(X, y)
    y_nan = y.copy()
    y_nan[3] = np.nan
    for yy in (y_nan, _dask(pd.Series(y_nan), 3)):
        with pytest.raises(ValueError, match="Input y contains NaN"):
            TargetEncoder(target_type="continuous").fit(X if not hasattr(yy, "dask") else _dask(X, 3), yy)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        TargetEncoder().fit(X, y[:-1])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        TargetEncoder().fit(_dask(X, 2), _dask(pd.Series(y[:-5]), 2)).encodings_
    with pytest.raises(ValueError, match="Unknown label type"):
        TargetEncoder().fit(X, np.c_[y, y])
    with pytest.raises(ValueError, match="requires y to be passed"):
        TargetEncoder().fit(X, None)


def test_set_output_pandas_on_dask_is_lazy(scheduler):
    X, y = _X(), _y("binary")
    ddf, dy = _dask(X, 3), _dask(pd.Series(y), 3)
    est = TargetEncoder().set_output(transform="pandas")
    out = est.fit_transform(ddf, dy)
    assert isinstance(out, dd.DataFrame) and list(out.columns) == list(X.columns)
    np.testing.assert_allclose(out.compute().to_numpy(), TargetEncoder().fit_transform(X, y), rtol=1e-10)
    got = est.transform(ddf)
    assert isinstance(got, dd.DataFrame)
    np.testing.assert_allclose(
        got.compute().to_numpy(), sk.TargetEncoder().fit(X, y).transform(X), rtol=1e-10
    )


def test_in_memory_data_in_several_chunks(scheduler):
    X, y = _X(), _y("continuous")
    with dml.config_context(chunk_bytes=2000, fast_path_bytes=0), count_passes() as counter:
        got = TargetEncoder(shuffle=False).fit_transform(X, y)
    assert counter.passes == 1
    np.testing.assert_allclose(got, sk.TargetEncoder(cv=KFold(5)).fit_transform(X, y), rtol=1e-10, atol=1e-12)
