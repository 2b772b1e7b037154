"""Parity with dask-ml's ``tests/test_datasets.py``.

dml's generators take scikit-learn's parameters plus ``chunks`` (row chunks only) and
draw each chunk from ``(random_state, chunk index)``, so the data do not depend on the
scheduler (docs/migrating_from_dask_ml.md, ``dask_ml.datasets``).
"""

from __future__ import annotations

from datetime import date

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pytest

import dml.datasets


@pytest.mark.parametrize("generator", [dml.datasets.make_blobs, dml.datasets.make_regression])
def test_column_chunks_are_refused(generator):
    # dask-ml reads chunks=(100, 40) as a column split and raises "partitioned along the
    # first axis"; dml reads a tuple as row counts, which must sum to n_samples.
    with pytest.raises(ValueError, match="chunks"):
        generator(n_features=50, chunks=(100, 40))


def test_make_regression():
    X, y = dml.datasets.make_regression(n_samples=150, n_features=75, chunks=50, random_state=0)
    assert isinstance(X, da.Array) and X.shape == (150, 75) and X.chunks == ((50, 50, 50), (75,))
    assert X.compute().shape == X.shape
    assert isinstance(y, da.Array) and y.shape == (150,) and y.compute().shape == y.shape

    X, y, coef = dml.datasets.make_regression(
        n_samples=150, n_features=75, chunks=50, random_state=0, coef=True, bias=1.0, noise=2.0
    )
    assert isinstance(coef, np.ndarray)
    e = y - X.dot(coef)
    mean, std = dask.compute(e.mean(0), e.std(0))
    assert abs(mean - 1.0) <= 0.4
    assert abs(std - 2.0) <= 0.4


@pytest.mark.parametrize(
    "generator",
    [
        dml.datasets.make_blobs,
        dml.datasets.make_classification,
        dml.datasets.make_counts,
        dml.datasets.make_regression,
    ],
)
def test_deterministic(generator, parity_scheduler):
    a, t = generator(chunks=100, random_state=10)
    b, u = generator(chunks=100, random_state=10)
    np.testing.assert_array_equal(a.compute(), b.compute())
    np.testing.assert_array_equal(t.compute(), u.compute())


@pytest.mark.parametrize(
    "generator",
    [dml.datasets.make_blobs, dml.datasets.make_classification, dml.datasets.make_regression],
)
def test_same_data_on_every_scheduler(generator):
    a, t = generator(n_samples=200, chunks=50, random_state=3)
    ref = dask.compute(a, t, scheduler="sync")
    got = dask.compute(a, t, scheduler="threads")
    for r, g in zip(ref, got):
        np.testing.assert_array_equal(r, g)


def test_make_classification_df():
    X_df, y_series = dml.datasets.make_classification_df(
        n_samples=100,
        n_features=5,
        random_state=123,
        chunks=100,
        dates=(date(2014, 1, 1), date(2015, 1, 1)),
    )
    assert isinstance(X_df, dd.DataFrame)
    assert isinstance(y_series, dd.Series)
    assert "date" in X_df.columns
    assert len(X_df.columns) == 6
    assert len(X_df) == 100
    assert len(y_series) == 100
