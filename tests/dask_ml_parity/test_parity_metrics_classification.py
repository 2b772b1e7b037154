"""Parity with dask-ml's ``tests/metrics/test_classification.py`` (``accuracy_score``).

dml has no ``compute=`` keyword (docs/migrating_from_dask_ml.md, ``dask_ml.metrics``):
the score is a number after one pass. 2-D (multilabel indicator) input gives subset
accuracy, as scikit-learn.
"""

from __future__ import annotations

import numbers

import dask.array as da
import numpy as np
import pytest
import sklearn.metrics

import dml.metrics


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("size", [(100,), (100, 2)])
def test_ok(size, normalize):
    rng = np.random.default_rng(0)
    hi = 3 if len(size) == 1 else 1
    a = rng.integers(0, hi + 1, size=size)
    b = rng.integers(0, hi + 1, size=size)
    result = dml.metrics.accuracy_score(
        da.from_array(a, chunks=25), da.from_array(b, chunks=25), normalize=normalize
    )
    assert isinstance(result, numbers.Real)
    assert result == pytest.approx(sklearn.metrics.accuracy_score(a, b, normalize=normalize), abs=1e-12)


@pytest.mark.parametrize("normalize", [True, False])
def test_sample_weight(normalize):
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 4, size=100), rng.integers(0, 4, size=100)
    w = rng.random(100)
    result = dml.metrics.accuracy_score(
        da.from_array(a, chunks=25),
        da.from_array(b, chunks=25),
        sample_weight=da.from_array(w, chunks=25),
        normalize=normalize,
    )
    assert result == pytest.approx(sklearn.metrics.accuracy_score(a, b, sample_weight=w, normalize=normalize))


def test_compute_keyword_is_gone():
    a = da.from_array(np.array([0, 1, 1, 0]), chunks=2)
    with pytest.raises(TypeError):
        dml.metrics.accuracy_score(a, a, compute=False)
