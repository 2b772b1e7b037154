"""Parity with dask-ml's ``tests/metrics/test_regression.py``.

dml's regression metrics return numbers after one pass; dask-ml's ``compute=False``
(lazy results) is gone (docs/migrating_from_dask_ml.md, "General differences"), as is
``squared=`` (``root_mean_squared_error`` / ``root_mean_squared_log_error``, as in
scikit-learn). Weighted ``multioutput`` and ``r2_score``'s ``raw_values``, which dask-ml
refuses, follow scikit-learn in dml.
"""

from __future__ import annotations

import numbers

import dask.array as da
import numpy as np
import pytest
import sklearn.metrics

import dml.metrics

METRICS = [
    "mean_squared_error",
    "mean_squared_log_error",
    "mean_absolute_error",
    "r2_score",
    "mean_absolute_percentage_error",
    "root_mean_squared_error",
    "root_mean_squared_log_error",
]


def _pair(rng, shape, chunks):
    a = rng.uniform(size=shape)
    b = rng.uniform(size=shape)
    return a, b, da.from_array(a, chunks=chunks), da.from_array(b, chunks=chunks)


@pytest.mark.parametrize("name", METRICS)
def test_ok(name):
    a, b, da_a, da_b = _pair(np.random.default_rng(0), (100,), 25)
    result = getattr(dml.metrics, name)(da_a, da_b)
    assert isinstance(result, numbers.Real)
    assert result == pytest.approx(getattr(sklearn.metrics, name)(a, b), rel=1e-10)


@pytest.mark.parametrize("name", METRICS)
def test_compute_keyword_is_gone(name):
    a, b, da_a, da_b = _pair(np.random.default_rng(0), (20,), 10)
    with pytest.raises(TypeError):
        getattr(dml.metrics, name)(da_a, da_b, compute=False)


@pytest.mark.parametrize("name", ["mean_squared_error", "mean_squared_log_error"])
def test_squared_keyword_is_gone(name):
    a, b, da_a, da_b = _pair(np.random.default_rng(0), (20,), 10)
    with pytest.raises(TypeError):
        getattr(dml.metrics, name)(da_a, da_b, squared=False)


@pytest.mark.parametrize(
    "name,multioutput",
    [(m, o) for m in METRICS for o in ["uniform_average", "raw_values"]]
    + [("r2_score", "variance_weighted")],
)
def test_multioutput(name, multioutput):
    # dask-ml refuses r2_score's raw_values; dml gives scikit-learn's.
    a, b, da_a, da_b = _pair(np.random.default_rng(1), (100, 3), (25, 3))
    result = getattr(dml.metrics, name)(da_a, da_b, multioutput=multioutput)
    expected = getattr(sklearn.metrics, name)(a, b, multioutput=multioutput)
    if multioutput == "raw_values":
        assert isinstance(result, np.ndarray) and result.shape == (3,)
    np.testing.assert_allclose(result, expected, rtol=1e-10)


@pytest.mark.parametrize("name", METRICS)
def test_weighted_multioutput_as_scikit_learn(name):
    # dask-ml raises "Weighted 'multioutput' not supported"; dml weighs as scikit-learn.
    a, b, da_a, da_b = _pair(np.random.default_rng(2), (100, 3), (25, 3))
    weights = np.array([0.2, 0.3, 0.5])
    result = getattr(dml.metrics, name)(da_a, da_b, multioutput=weights)
    assert result == pytest.approx(getattr(sklearn.metrics, name)(a, b, multioutput=weights), rel=1e-10)


@pytest.mark.parametrize("name", METRICS)
def test_sample_weight(name):
    rng = np.random.default_rng(3)
    a, b, da_a, da_b = _pair(rng, (100,), 25)
    w = rng.uniform(size=100)
    result = getattr(dml.metrics, name)(da_a, da_b, sample_weight=da.from_array(w, chunks=25))
    assert result == pytest.approx(getattr(sklearn.metrics, name)(a, b, sample_weight=w), rel=1e-10)


def test_r2_score_with_different_chunk_patterns():
    rng = np.random.default_rng(4)
    a, b = rng.uniform(size=100), rng.uniform(size=100)
    result = dml.metrics.r2_score(da.from_array(a, chunks=25), da.from_array(b, chunks=20))
    assert isinstance(result, float)
    assert result == pytest.approx(sklearn.metrics.r2_score(a, b), rel=1e-10)
    am, bm = rng.uniform(size=(100, 3)), rng.uniform(size=(100, 3))
    result = dml.metrics.r2_score(
        da.from_array(am, chunks=(25, 3)), da.from_array(bm, chunks=(20, 3)), multioutput="uniform_average"
    )
    assert isinstance(result, float)
    assert result == pytest.approx(sklearn.metrics.r2_score(am, bm), rel=1e-10)
