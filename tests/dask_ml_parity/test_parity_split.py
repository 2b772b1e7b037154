"""Parity with dask-ml's ``tests/model_selection/test_split.py``.

dml's splitters are scikit-learn's classes with lazy index arrays on Dask input; its
``train_test_split`` has scikit-learn's signature, splits within each chunk (no global
shuffle) and keeps X and y chunked alike. Where dask-ml differs on purpose (its
``ShuffleSplit(test_size=0.1)`` default and ``blockwise=``, ``train_test_split``'s
refusal of ``shuffle=False`` and of absolute sizes, ``convert_mixed_types=``), dml's
scikit-learn behaviour is checked (docs/migrating_from_dask_ml.md,
``dask_ml.model_selection``).
"""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_regression

import dml.model_selection as ms

X, y = make_regression(n_samples=110, n_features=5, random_state=0)
dX = da.from_array(X, 50)
dy = da.from_array(y, 50)


@pytest.fixture
def xy_frames(xy_classification):
    Xc, yc = xy_classification
    return dd.from_dask_array(Xc, columns=[f"c{i}" for i in range(Xc.shape[1])]), dd.from_dask_array(
        yc, "target"
    )


def _is_partition(train_idx, test_idx, n):
    train_idx, test_idx = np.asarray(train_idx), np.asarray(test_idx)
    assert pd.Series(train_idx).value_counts().max() == 1
    np.testing.assert_array_equal(np.unique(np.concatenate([train_idx, test_idx])), np.arange(n))
    assert not set(train_idx) & set(test_idx)


def test_blockwise_shufflesplit():
    splitter = ms.ShuffleSplit(random_state=0)
    assert splitter.get_n_splits() == 10
    train_idx, test_idx = next(splitter.split(dX))
    assert isinstance(train_idx, da.Array) and isinstance(test_idx, da.Array)
    assert train_idx.shape == (99,) and test_idx.shape == (11,)
    # split within each of X's row chunks (50, 50, 10)
    assert train_idx.chunks == ((45, 45, 9),)
    assert test_idx.chunks == ((5, 5, 1),)
    _is_partition(train_idx.compute(), test_idx.compute(), len(X))


def test_blockwise_shufflesplit_rng():
    splits = list(ms.ShuffleSplit(n_splits=2, random_state=0).split(dX))
    assert not np.array_equal(splits[0][0].compute(), splits[1][0].compute())
    assert not np.array_equal(splits[0][1].compute(), splits[1][1].compute())
    again = ms.ShuffleSplit(n_splits=2, random_state=0).split(dX)
    for (tr1, te1), (tr2, te2) in zip(splits, again):
        np.testing.assert_array_equal(tr1.compute(), tr2.compute())
        np.testing.assert_array_equal(te1.compute(), te2.compute())


@pytest.mark.parametrize("shuffle", [False, True])
def test_kfold(shuffle):
    splitter = ms.KFold(n_splits=5, random_state=0 if shuffle else None, shuffle=shuffle)
    assert splitter.get_n_splits() == 5
    folds = list(splitter.split(dX))
    assert len(folds) == 5
    seen_test = []
    for train_idx, test_idx in folds:
        assert isinstance(train_idx, da.Array) and isinstance(test_idx, da.Array)
        assert train_idx.shape == (88,) and test_idx.shape == (22,)
        _is_partition(train_idx.compute(), test_idx.compute(), len(X))
        seen_test.append(test_idx.compute())
    np.testing.assert_array_equal(np.sort(np.concatenate(seen_test)), np.arange(len(X)))
    if not shuffle:
        # scikit-learn's folds, exactly
        ref = list(__import__("sklearn.model_selection").model_selection.KFold(5).split(X))
        for (tr, te), (rtr, rte) in zip(folds, ref):
            np.testing.assert_array_equal(tr.compute(), rtr)
            np.testing.assert_array_equal(te.compute(), rte)
        assert folds[0][0].chunks == ((28, 50, 10),) and folds[0][1].chunks == ((22,),)


def test_train_test_split():
    X_train, X_test, y_train, y_test = ms.train_test_split(dX, dy, random_state=0)
    # scikit-learn's default test_size=0.25 (dask-ml: 0.1), rounded within each chunk
    assert len(X_train) + len(X_test) == 110
    assert abs(len(X_test) - 0.25 * 110) <= 3
    assert X_train.chunks[0] == y_train.chunks[0]
    assert X_test.chunks[0] == y_test.chunks[0]
    # rows stay paired with their targets
    pos = {row.tobytes(): i for i, row in enumerate(X)}
    for Xs, ys in [(X_train, y_train), (X_test, y_test)]:
        idx = [pos[r.tobytes()] for r in Xs.compute()]
        np.testing.assert_array_equal(ys.compute(), y[idx])


def test_train_test_split_test_size():
    X_train, X_test, y_train, y_test = ms.train_test_split(dX, dy, random_state=10, test_size=0.8)
    assert len(X_train) + len(X_test) == 110
    assert abs(len(X_test) - 88) <= 3


def test_train_test_split_no_shuffle():
    # dask-ml raises NotImplementedError for shuffle=False on arrays; dml keeps the order.
    X_train, X_test, y_train, y_test = ms.train_test_split(dX, dy, shuffle=False, test_size=0.2)
    got = np.concatenate([X_train.compute(), X_test.compute()])
    assert sorted(map(bytes, got)) == sorted(map(bytes, X))
    tr = X_train.compute()
    idx = [int(np.where((X == r).all(1))[0][0]) for r in tr]
    assert idx == sorted(idx)


@pytest.mark.parametrize("kwargs", [{"train_size": 10}, {"test_size": 10}])
def test_absolute_sizes(kwargs):
    # dask-ml: "Dask-ML does not support absolute sizes"; dml takes them as scikit-learn.
    X_train, X_test, _, _ = ms.train_test_split(dX, dy, random_state=0, **kwargs)
    n = kwargs.get("train_size", kwargs.get("test_size"))
    assert (len(X_train) if "train_size" in kwargs else len(X_test)) == n
    assert len(X_train) + len(X_test) == 110


def test_sizes_summing_over_one_raise():
    with pytest.raises(ValueError, match="sum"):
        ms.train_test_split(dX, dy, train_size=0.9, test_size=0.2)


def test_train_test_split_shuffle_dataframe(xy_frames):
    Xf, yf = xy_frames
    X_train, X_test, y_train, y_test = ms.train_test_split(Xf, yf, random_state=42, shuffle=True)
    idx = X_train.index.compute()
    assert not np.array_equal(idx, np.sort(idx))
    X_train, X_test, y_train, y_test = ms.train_test_split(Xf, yf, random_state=42, shuffle=False)
    idx = X_train.index.compute()
    np.testing.assert_array_equal(idx, np.sort(idx))


@pytest.mark.parametrize("train_size, test_size", [(None, None), (0.9, None), (None, 0.1), (0.9, 0.1)])
def test_train_test_split_dask_dataframe(xy_frames, train_size, test_size):
    Xf, yf = xy_frames
    X_train, X_test, y_train, y_test = ms.train_test_split(Xf, yf, train_size=train_size, test_size=test_size)
    assert isinstance(X_train, dd.DataFrame) and isinstance(y_train, dd.Series)
    assert (y_train.size + y_test.size).compute() == len(yf)
    np.testing.assert_array_equal(X_train.index.compute(), y_train.index.compute())


def test_train_test_split_dask_dataframe_rng(xy_frames):
    Xf, yf = xy_frames
    split1 = ms.train_test_split(Xf, yf, train_size=0.25, test_size=0.75, random_state=0)
    split2 = ms.train_test_split(Xf, yf, train_size=0.25, test_size=0.75, random_state=0)
    for a, b in zip(split1, split2):
        pd.testing.assert_frame_equal(pd.DataFrame(a.compute()), pd.DataFrame(b.compute()))


def test_split_mixed():
    # As dask-ml without convert_mixed_types (gone in dml): an array mixed with a Dask
    # Series is refused with a TypeError that names the conversion; converted, the split
    # is the arrays' split.
    y_series = dd.from_dask_array(dy)
    with pytest.raises(TypeError, match="to_dask_array"):
        ms.train_test_split(dX, y_series)
    with pytest.raises(TypeError):
        ms.train_test_split(dX, dy, convert_mixed_types=True)
    expected = ms.train_test_split(dX, dy, random_state=0)
    results = ms.train_test_split(dX, y_series.to_dask_array(lengths=True), random_state=0)
    assert len(expected) == len(results)
    for a, b in zip(expected, results):
        np.testing.assert_array_equal(a.compute(), b.compute())


def test_split_3d_in_memory():
    X_3d = np.arange(1.0, 5001.0).reshape((100, 10, 5))
    y_3d = np.arange(1.0, 101.0).reshape(100, 1)
    X_train, X_test, y_train, y_test = ms.train_test_split(X_3d, y_3d, random_state=0)
    assert X_train.ndim == X_3d.ndim and X_train.shape[1:] == X_3d.shape[1:]
    assert len(X_train) + len(X_test) == 100


def test_lists_of_strings():
    # dask-ml's 20-newsgroups test, without the download: in-memory lists split as
    # scikit-learn splits them.
    docs = [f"document {i}" for i in range(40)]
    target = np.arange(40) % 3
    X_train, X_test, y_train, y_test = ms.train_test_split(docs, target, random_state=0)
    assert isinstance(X_train, list) and isinstance(X_train[0], str)
    assert isinstance(y_train, np.ndarray) and y_train.dtype == target.dtype
    assert len(X_train) + len(X_test) == 40
