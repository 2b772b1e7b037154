"""dml.metrics, the dask-ml names: log / percentage errors, subset accuracy, pairwise.

Each equals scikit-learn on NumPy input (scikit-learn's own function) and on Dask input with
uneven chunks; Dask in gives one pass (scalars) or a lazy Dask array (pairwise).
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.metrics import pairwise as skp

import dml.metrics as M
from dml._engine.mapreduce import count_passes

N = 300
CHUNKS = (50, 143, 7, 100)


def D(a, chunks=CHUNKS):
    a = np.asarray(a)
    return da.from_array(a, chunks=(chunks,) + a.shape[1:])


@pytest.fixture(scope="module")
def reg():
    rng = np.random.default_rng(0)
    Y = rng.random((N, 2)) * [3, 50]
    P = np.abs(Y + rng.normal(size=(N, 2)))
    P[::17, 0] = 0.0
    return dict(Y=Y, P=P, y=Y[:, 1], p=P[:, 1], w=rng.random(N) * 2)


REGRESSION = ["mean_squared_log_error", "root_mean_squared_log_error", "mean_absolute_percentage_error"]


@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("multioutput", ["uniform_average", "raw_values", [0.2, 0.8]])
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_matches_sklearn(reg, name, multioutput, weighted):
    w = reg["w"] if weighted else None
    expected = getattr(skm, name)(reg["Y"], reg["P"], sample_weight=w, multioutput=multioutput)
    assert np.allclose(getattr(M, name)(reg["Y"], reg["P"], sample_weight=w, multioutput=multioutput), expected)
    with count_passes() as counter:
        got = getattr(M, name)(
            D(reg["Y"]), D(reg["P"], (100, 100, 100)), sample_weight=None if w is None else D(w),
            multioutput=multioutput,
        )
    assert counter.passes == 1
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_1d_and_mixed_inputs(reg, name):
    expected = getattr(skm, name)(reg["y"], reg["p"])
    np.testing.assert_allclose(getattr(M, name)(D(reg["y"]), reg["p"]), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "name, title",
    [
        ("mean_squared_log_error", "Mean Squared Logarithmic Error"),
        ("root_mean_squared_log_error", "Root Mean Squared Logarithmic Error"),
    ],
)
@pytest.mark.parametrize("which", [0, 1])
def test_log_error_rejects_values_le_minus_one(reg, name, title, which):
    args = [reg["y"].copy(), reg["p"].copy()]
    args[which][5] = -1.0
    msg = f"{title} cannot be used when targets contain values less than or equal to -1."
    with pytest.raises(ValueError, match=msg):
        getattr(skm, name)(*args)
    with pytest.raises(ValueError, match=msg):
        getattr(M, name)(D(args[0]), D(args[1]))


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_bad_input(reg, name):
    y = reg["y"].copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="Input contains NaN."):
        getattr(M, name)(D(y), reg["p"])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        getattr(M, name)(D(reg["y"]), reg["p"][:-1])
    with pytest.raises(ValueError, match="different number of output"):
        getattr(M, name)(D(reg["Y"]), reg["P"][:, :1])
    with pytest.raises(ValueError, match="multioutput"):
        getattr(M, name)(D(reg["Y"]), reg["P"], multioutput="variance_weighted")


# ---------------------------------------------------------------- subset accuracy


@pytest.fixture(scope="module")
def labels():
    rng = np.random.default_rng(1)
    Y = rng.integers(0, 2, (N, 4))
    P = np.where(rng.random((N, 4)) < 0.9, Y, 1 - Y)
    return Y, P, rng.random(N)


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_subset_accuracy_matches_sklearn(labels, normalize, weighted):
    Y, P, w = labels
    w = w if weighted else None
    expected = skm.accuracy_score(Y, P, normalize=normalize, sample_weight=w)
    with count_passes() as counter:
        got = M.accuracy_score(
            D(Y), D(P, (100, 200)), normalize=normalize, sample_weight=None if w is None else D(w)
        )
    assert counter.passes == 1
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-12)
    # two distinct integers make an indicator matrix too (scikit-learn's type_of_target)
    assert M.accuracy_score(D(2 * Y), 2 * P) == pytest.approx(skm.accuracy_score(2 * Y, 2 * P))


def test_subset_accuracy_bad_input(labels):
    Y, P, _ = labels
    cases = [
        (Y[:, :3], P, "Multi-label binary indicator input with different numbers of labels"),
        (Y + (P == 0), P, "can't handle a mix of multiclass-multioutput and multilabel-indicator"),
        (Y + 0.5, P, "can't handle a mix of continuous-multioutput and multilabel-indicator"),
    ]
    for t, p, msg in cases:
        with pytest.raises(ValueError, match=msg):
            skm.accuracy_score(t, p)
        with pytest.raises(ValueError, match=msg):
            M.accuracy_score(D(t), p)
    with pytest.raises(ValueError, match="mix of multilabel-indicator and binary or multiclass"):
        M.accuracy_score(D(Y), P[:, 0])
    with pytest.raises(ValueError, match="multiclass-multioutput is not supported"):
        M.accuracy_score(D(Y * [0, 1, 2, 3]), Y * [0, 1, 2, 3])
