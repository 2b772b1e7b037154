"""LabelEncoder agrees with scikit-learn on Dask arrays and Series; one pass; lazy."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import preprocessing as sk
from sklearn.exceptions import DataConversionWarning

from dml._engine.mapreduce import count_passes
from dml.preprocessing import LabelEncoder

LABELS = {
    "int": np.array([3, 1, 1, 7, 3, 9, 1, 12, 7, 3]),
    "float_nan": np.array([1.5, np.nan, 2.0, np.nan, 1.5, 0.0, 3.0, 2.0, 0.0, 1.5]),
    "str": np.array(["b", "a", "c", "a", "b", "zz", "b", "c", "a", "a"]),
}


@pytest.mark.parametrize("kind", list(LABELS))
def test_matches_sklearn(scheduler, kind):
    y = LABELS[kind]
    ref = sk.LabelEncoder().fit(y)
    yd = da.from_array(y, chunks=3)
    with count_passes() as counter:
        est = LabelEncoder().fit(yd)
    assert counter.passes == 1
    np.testing.assert_array_equal(est.classes_, ref.classes_)
    assert est.classes_.dtype == ref.classes_.dtype
    out = est.transform(yd)
    assert isinstance(out, da.Array)
    np.testing.assert_array_equal(out.compute(), ref.transform(y))
    back = est.inverse_transform(da.from_array(ref.transform(y), chunks=4))
    assert isinstance(back, da.Array)
    np.testing.assert_array_equal(back.compute(), y)
    np.testing.assert_array_equal(est.transform(y), ref.transform(y))
    np.testing.assert_array_equal(LabelEncoder().fit_transform(yd).compute(), ref.fit_transform(y))


def test_dask_series_of_strings_unknown_lengths():
    s = pd.Series(["b", "a", "c", "a", "b", "zz", "b"], name="label")
    ds = dd.from_pandas(s, npartitions=3).clear_divisions()
    ref = sk.LabelEncoder().fit(s)
    est = LabelEncoder().fit(ds)
    np.testing.assert_array_equal(est.classes_, ref.classes_)
    np.testing.assert_array_equal(est.transform(ds).compute(), ref.transform(s))
    ints = pd.Series(pd.array([4, 2, 2, 9], dtype="Int64"))
    est = LabelEncoder().fit(dd.from_pandas(ints, npartitions=2))
    np.testing.assert_array_equal(est.classes_, [2, 4, 9])


def test_unseen_labels_error_as_sklearn():
    for fitted, unseen in (([1, 2, 3], [1, 5, 8]), (["a", "b"], ["a", "c"])):
        ref = sk.LabelEncoder().fit(fitted)
        with pytest.raises(ValueError) as err:
            ref.transform(unseen)
        est = LabelEncoder().fit(da.from_array(np.array(fitted), chunks=2))
        with pytest.raises(ValueError) as ours:
            est.transform(da.from_array(np.array(unseen), chunks=3)).compute()
        assert str(ours.value) == str(err.value)
        with pytest.raises(ValueError) as ours:
            est.transform(np.array(unseen))
        assert str(ours.value) == str(err.value)
    est = LabelEncoder().fit(da.from_array(np.array([1, 2, 3]), chunks=2))
    with pytest.raises(ValueError, match=r"y contains previously unseen labels: \[9\]"):
        est.inverse_transform(da.from_array(np.array([0, 9]), chunks=1)).compute()
    with pytest.raises(ValueError, match="Input y contains NaN."):
        est.transform(da.from_array(np.array([1.0, np.nan]), chunks=1)).compute()


def test_shapes_and_empty():
    est = LabelEncoder().fit(np.array([2, 1]))
    assert est.transform([]).shape == (0,)
    assert est.inverse_transform([]).shape == (0,)
    with pytest.warns(DataConversionWarning):
        est.fit(da.from_array(np.array([[1], [2]]), chunks=1))
    with pytest.raises(ValueError, match="y should be a 1d array"):
        est.fit(da.from_array(np.ones((3, 2)), chunks=1))
    with pytest.raises(ValueError, match="y should be a 1d array"):
        est.fit(dd.from_pandas(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), npartitions=1))


def test_kernels_merge_in_any_order():
    from dml.preprocessing._label_kernels import combine_unique_labels, unique_labels_kernel

    parts = [unique_labels_kernel(np.array(p), None, None, xp=None) for p in (["c", "a"], ["b"], ["a", "d"])]
    left = combine_unique_labels([combine_unique_labels(parts[:2]), parts[2]])
    right = combine_unique_labels([parts[0], combine_unique_labels(parts[1:])])
    np.testing.assert_array_equal(left["classes"], ["a", "b", "c", "d"])
    np.testing.assert_array_equal(left["classes"], right["classes"])
