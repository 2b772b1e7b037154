"""dml.model_selection splitters and train_test_split: scikit-learn on NumPy, lazy on Dask."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import numpy as np
import pytest
from sklearn import model_selection as sk

from dml.model_selection import KFold, ShuffleSplit, StratifiedKFold, train_test_split

N = 1000
ROWS = (300, 250, 1, 449)


@pytest.fixture(scope="module")
def arrays():
    X = np.column_stack([np.arange(N), np.arange(N) % 7]).astype(float)
    y = np.random.default_rng(0).choice(3, size=N, p=[0.6, 0.3, 0.1])
    return X, y


def D(a, rows=ROWS):
    return da.from_array(a, chunks=(rows,) + a.shape[1:])


def _spy(x):
    calls = []

    def spy(block):
        if block.size:
            calls.append(1)
        return block

    return x.map_blocks(spy, dtype=x.dtype, meta=x._meta), calls


# ----------------------------------------------------------------------- NumPy path


def test_numpy_input_is_sklearn(arrays):
    X, y = arrays
    ours = train_test_split(X, y, random_state=3, stratify=y)
    ref = sk.train_test_split(X, y, random_state=3, stratify=y)
    for a, b in zip(ours, ref):
        np.testing.assert_array_equal(a, b)
    for ours, ref in (
        (KFold(4, shuffle=True, random_state=1), sk.KFold(4, shuffle=True, random_state=1)),
        (ShuffleSplit(3, test_size=0.2, random_state=1), sk.ShuffleSplit(3, test_size=0.2, random_state=1)),
        (
            StratifiedKFold(3, shuffle=True, random_state=2),
            sk.StratifiedKFold(3, shuffle=True, random_state=2),
        ),
    ):
        for (a, b), (c, d) in zip(ours.split(X, y), ref.split(X, y)):
            np.testing.assert_array_equal(a, c)
            np.testing.assert_array_equal(b, d)
        assert ours.get_n_splits(X, y) == ref.get_n_splits(X, y)
        assert repr(ours) == repr(ref)


# ------------------------------------------------------------------ train_test_split


@pytest.mark.parametrize("sizes", [{}, {"test_size": 0.3}, {"train_size": 500, "test_size": 100}])
def test_train_test_split_dask_lazy_sizes_alignment(arrays, sizes):
    X, y = arrays
    Xd, calls = _spy(D(X))
    out = train_test_split(Xd, D(y), random_state=0, **sizes)
    assert len(out) == 4 and all(isinstance(o, da.Array) for o in out)
    assert not calls, "train_test_split computed on the data"
    ref = sk.train_test_split(X, y, random_state=0, **sizes)
    for got, exp in zip(out, ref):
        assert got.shape == exp.shape
        assert not any(np.isnan(c) for c in got.chunks[0])
    Xtr, Xte, ytr, yte = dask.compute(*out)
    # rows stay aligned across arrays, and train / test are disjoint subsets of the rows
    np.testing.assert_array_equal(ytr, y[Xtr[:, 0].astype(int)])
    np.testing.assert_array_equal(yte, y[Xte[:, 0].astype(int)])
    assert not set(Xtr[:, 0]) & set(Xte[:, 0])
    assert len(set(Xtr[:, 0])) == len(Xtr)
    # a shuffled split: not just the first rows
    assert sorted(Xtr[:, 0]) != list(range(len(Xtr)))


def test_train_test_split_reproducible_regardless_of_scheduler(arrays, scheduler):
    X, y = arrays
    out = dask.compute(*train_test_split(D(X), D(y), test_size=0.2, random_state=42))
    with dask.config.set(scheduler="sync"):
        ref = dask.compute(*train_test_split(D(X), D(y), test_size=0.2, random_state=42))
    for a, b in zip(out, ref):
        np.testing.assert_array_equal(a, b)
    other = dask.compute(*train_test_split(D(X), D(y), test_size=0.2, random_state=43))
    assert not np.array_equal(other[0], ref[0])


def test_train_test_split_stratify(arrays):
    X, y = arrays
    Xtr, Xte, ytr, yte = dask.compute(
        *train_test_split(D(X), D(y), test_size=0.25, random_state=0, stratify=D(y))
    )
    n_blocks = len(ROWS)
    for part in (ytr, yte):
        expected = np.bincount(y, minlength=3) * len(part) / N
        assert np.all(np.abs(np.bincount(part, minlength=3) - expected) <= n_blocks)
    np.testing.assert_array_equal(ytr, y[Xtr[:, 0].astype(int)])
    # stratify given in memory with Dask arrays
    out = train_test_split(D(X), stratify=y, random_state=0, test_size=0.25)
    np.testing.assert_array_equal(out[0].compute(), Xtr)


def test_train_test_split_no_shuffle_and_mixed_inputs(arrays):
    X, y = arrays
    Xtr, Xte, ytr, yte = train_test_split(D(X), y, shuffle=False, test_size=0.2)
    assert isinstance(ytr, da.Array)
    np.testing.assert_array_equal(Xtr.compute(), X[:800])
    np.testing.assert_array_equal(yte.compute(), y[800:])


def test_train_test_split_errors(arrays):
    X, y = arrays
    with pytest.raises(
        ValueError,
        match=r"test_size=1000 should be either positive and smaller than the number of samples 1000",
    ):
        train_test_split(D(X), test_size=1000)
    with pytest.raises(ValueError, match="Stratified train/test split is not implemented for shuffle=False"):
        train_test_split(D(X), shuffle=False, stratify=D(y))
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[1000, 999\]"):
        train_test_split(D(X), y[:-1])
    with pytest.raises(ValueError, match="At least one array required"):
        train_test_split()


# ------------------------------------------------------------------------ splitters


def test_kfold_unshuffled_is_sklearn_and_lazy(arrays):
    X, y = arrays
    Xd, calls = _spy(D(X))
    folds = list(KFold(3).split(Xd))
    assert not calls
    for (tr, te), (rtr, rte) in zip(folds, sk.KFold(3).split(X)):
        assert isinstance(tr, da.Array) and isinstance(te, da.Array)
        np.testing.assert_array_equal(tr.compute(), rtr)
        np.testing.assert_array_equal(te.compute(), rte)


def test_kfold_shuffled_partition_and_sizes(arrays, scheduler):
    X, _ = arrays
    kf = KFold(4, shuffle=True, random_state=0)
    tests = []
    for (tr, te), (rtr, rte) in zip(kf.split(D(X)), sk.KFold(4).split(X)):
        assert te.shape == rte.shape and tr.shape == rtr.shape  # scikit-learn's fold sizes
        tr, te = dask.compute(tr, te)
        assert not set(tr) & set(te) and len(tr) + len(te) == N
        tests.append(te)
    np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(N))
    assert not np.array_equal(tests[0], np.arange(len(tests[0])))
    again = [te.compute() for _, te in KFold(4, shuffle=True, random_state=0).split(D(X))]
    for a, b in zip(tests, again):
        np.testing.assert_array_equal(a, b)


def test_shuffle_split_dask(arrays):
    X, _ = arrays
    ss = ShuffleSplit(3, test_size=0.2, random_state=0)
    seen = []
    for (tr, te), (rtr, rte) in zip(ss.split(D(X)), sk.ShuffleSplit(3, test_size=0.2).split(X)):
        assert tr.shape == rtr.shape and te.shape == rte.shape
        tr, te = dask.compute(tr, te)
        assert not set(tr) & set(te)
        seen.append(te)
    assert not np.array_equal(seen[0], seen[1])


def test_stratified_kfold_dask(arrays, scheduler):
    X, y = arrays
    skf = StratifiedKFold(5, shuffle=True, random_state=0)
    tests = []
    for tr, te in skf.split(D(X), D(y)):
        tr, te = dask.compute(tr, te)
        assert not set(tr) & set(te) and len(tr) + len(te) == N
        # every fold holds each class's share to within one sample
        expected = np.bincount(y, minlength=3) / 5
        assert np.all(np.abs(np.bincount(y[te], minlength=3) - expected) <= 1)
        tests.append(te)
    np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(N))
    # indices index Dask arrays lazily
    tr, te = next(StratifiedKFold(5).split(D(X), y))
    np.testing.assert_array_equal(D(X)[te].compute(), X[te.compute()])


def test_index_graphs_hold_no_data_sized_arrays():
    n = 200_000
    X = da.zeros((n, 2), chunks=(50_000, 2))
    for tr, te in (
        next(KFold(5, shuffle=True, random_state=0).split(X)),
        next(ShuffleSplit(1, random_state=0).split(X)),
    ):
        size = len(pickle.dumps(dict(tr.__dask_graph__()))) + len(pickle.dumps(dict(te.__dask_graph__())))
        assert size < n  # an index array would be 8 * n bytes
    out = train_test_split(X, random_state=0)
    assert len(pickle.dumps(dict(out[0].__dask_graph__()))) < n


def test_splitter_errors():
    X = da.zeros((3, 2), chunks=2)
    with pytest.raises(
        ValueError,
        match="Cannot have number of splits n_splits=5 greater than the number of samples: n_samples=3",
    ):
        next(KFold(5).split(X))
    with pytest.raises(TypeError, match="to_dask_array"):
        import dask.dataframe as dd
        import pandas as pd

        next(KFold(2).split(dd.from_pandas(pd.DataFrame({"a": range(4)}), npartitions=2)))


def test_train_test_split_dask_dataframes(arrays):
    import dask.dataframe as dd
    import pandas as pd

    X, y = arrays
    df = dd.from_pandas(pd.DataFrame({"a": X[:, 0], "b": X[:, 1]}), npartitions=4)
    ys = dd.from_pandas(pd.Series(y, name="y"), npartitions=4)
    tr, te, ytr, yte = train_test_split(df, ys, test_size=0.2, random_state=0, stratify=ys)
    assert isinstance(tr, dd.DataFrame) and isinstance(ytr, dd.Series)
    tr, te, ytr, yte = dask.compute(tr, te, ytr, yte)
    assert len(te) == 200 and len(tr) == 800  # 4 partitions of 250: ceil(0.2 * 250) each
    np.testing.assert_array_equal(tr.index, ytr.index)
    np.testing.assert_array_equal(ytr.to_numpy(), y[tr.index])
    assert not set(tr.index) & set(te.index)
    again = train_test_split(df, ys, test_size=0.2, random_state=0, stratify=ys)[1].compute()
    pd.testing.assert_frame_equal(again, te)
    # integer sizes and shuffle=False use the partition lengths
    tr, te = dask.compute(*train_test_split(df, test_size=100, train_size=300, random_state=0))
    assert (len(tr), len(te)) == (300, 100)
    tr, te = dask.compute(*train_test_split(df, test_size=0.25, shuffle=False))
    np.testing.assert_array_equal(tr.index, np.arange(750))
    with pytest.raises(TypeError, match="mixed with other inputs"):
        train_test_split(df, D(y))
