"""dml.metrics calibration metrics: brier_score_loss, calibration_curve, normalized_entropy.

Each equals scikit-learn (or, for normalized entropy, scikit-learn's log loss over the
entropy of the base rate) on NumPy input and on Dask input with uneven chunks, in one pass.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve as sk_calibration_curve

import dml.metrics as M
from dml._engine.mapreduce import count_passes

N = 300
CHUNKS = (50, 143, 7, 100)


def D(a, chunks=CHUNKS):
    a = np.asarray(a)
    return da.from_array(a, chunks=(chunks,) + a.shape[1:])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = (rng.random(N) < 0.3).astype(int)
    p = np.clip(0.3 + 0.25 * rng.normal(size=N) + 0.2 * y, 0, 1)
    p[:3] = [0.0, 1.0, 0.5]  # the clipping of the log loss and the bin edges
    return dict(y=y, p=p, w=rng.random(N) * 2, s=np.where(y == 1, "click", "none"))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("scale_by_half", ["auto", False])
def test_brier_score_loss_equals_sklearn(data, weighted, scale_by_half):
    y, p = data["y"], data["p"]
    w = data["w"] if weighted else None
    expected = skm.brier_score_loss(y, p, sample_weight=w, scale_by_half=scale_by_half)
    assert M.brier_score_loss(y, p, sample_weight=w, scale_by_half=scale_by_half) == expected
    with count_passes() as c:
        got = M.brier_score_loss(
            D(y), D(p), sample_weight=None if w is None else D(w), scale_by_half=scale_by_half
        )
    assert c.passes == 1
    assert isinstance(got, float)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_brier_score_loss_pos_label(data):
    s, p = data["s"], data["p"]
    expected = skm.brier_score_loss(s, p, pos_label="click")
    np.testing.assert_allclose(M.brier_score_loss(D(s), D(p), pos_label="click"), expected, rtol=1e-12)
    expected = skm.brier_score_loss(s, 1 - p, pos_label="none")
    np.testing.assert_allclose(M.brier_score_loss(D(s), D(1 - p), pos_label="none"), expected, rtol=1e-12)
    y3 = data["y"] * 2 + 3  # numeric labels outside {0, 1}: the greater one is positive
    np.testing.assert_allclose(M.brier_score_loss(D(y3), D(p)), skm.brier_score_loss(y3, p), rtol=1e-12)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 5, 10])
def test_calibration_curve_equals_sklearn(data, strategy, n_bins):
    y, p = data["y"], data["p"]
    exp_true, exp_pred = sk_calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    got_true, got_pred = M.calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    np.testing.assert_array_equal(got_true, exp_true)
    with count_passes() as c:
        got_true, got_pred = M.calibration_curve(D(y), D(p), n_bins=n_bins, strategy=strategy)
    assert c.passes == 1
    np.testing.assert_allclose(got_true, exp_true, rtol=1e-12)
    np.testing.assert_allclose(got_pred, exp_pred, rtol=1e-12)


def test_calibration_curve_pos_label_and_empty_bins(data):
    s, p = data["s"], data["p"] * 0.5  # the upper bins are empty
    exp = sk_calibration_curve(s, p, pos_label="click", n_bins=8)
    got = M.calibration_curve(D(s), D(p), pos_label="click", n_bins=8)
    assert len(got[0]) == len(exp[0]) < 8
    np.testing.assert_allclose(got, exp, rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_normalized_entropy(data, weighted):
    y, p = data["y"], data["p"]
    w = data["w"] if weighted else None
    base = np.average(y, weights=w)
    expected = skm.log_loss(y, p, sample_weight=w) / -(base * np.log(base) + (1 - base) * np.log(1 - base))
    np.testing.assert_allclose(M.normalized_entropy(y, p, sample_weight=w), expected, rtol=1e-12)
    with count_passes() as c:
        got = M.normalized_entropy(D(y), D(p), sample_weight=None if w is None else D(w))
    assert c.passes == 1
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_normalized_entropy_of_the_base_rate_is_one(data):
    y = data["y"]
    p = np.full(N, y.mean())
    np.testing.assert_allclose(M.normalized_entropy(D(y), D(p)), 1.0, rtol=1e-12)
    assert M.normalized_entropy(D(y), D(np.where(y == 1, 0.9, 0.1))) < 0.5
    s = data["s"]
    np.testing.assert_allclose(
        M.normalized_entropy(D(s), D(p), pos_label="click"), M.normalized_entropy(s, p, pos_label="click")
    )


def test_chunking_invariance(data):
    y, p = data["y"], data["p"]
    a = M.calibration_curve(D(y, -1), D(p, -1), n_bins=6)
    b = M.calibration_curve(D(y, (1, 299)), D(p, (100, 200)), n_bins=6)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(
        M.brier_score_loss(D(y, -1), D(p, -1)), M.brier_score_loss(D(y, (7, 293)), D(p)), rtol=1e-12
    )


@pytest.mark.parametrize(
    "func, kwargs, p_bad, message",
    [
        (M.brier_score_loss, {}, 1.5, "y_prob contains values greater than 1: 1.5"),
        (M.brier_score_loss, {}, -0.5, "y_prob contains values less than 0: -0.5"),
        (M.calibration_curve, {}, 1.5, r"y_prob has values outside \[0, 1\]."),
        (M.normalized_entropy, {}, 1.5, "y_prob contains values greater than 1"),
        (M.brier_score_loss, {}, np.nan, "Input contains NaN."),
    ],
)
def test_bad_probabilities(data, func, kwargs, p_bad, message):
    y, p = data["y"], data["p"].copy()
    p[10] = p_bad
    with pytest.raises(ValueError, match=message):
        func(D(y), D(p), **kwargs)
    if not np.isnan(p_bad):
        with pytest.raises(ValueError, match=message):
            func(y, p, **kwargs)


def test_bad_labels(data):
    y3 = np.arange(N) % 3
    p = data["p"]
    with pytest.raises(ValueError, match="multiclass but should be binary"):
        M.brier_score_loss(D(y3), D(p))
    for y_true in (y3, D(y3)):  # scikit-learn's message in memory and on Dask input
        with pytest.raises(
            ValueError, match=r"Only binary classification is supported. Provided labels \[0 1 2\]"
        ):
            M.calibration_curve(y_true, D(p) if y_true is not y3 else p, pos_label=1)
    with pytest.raises(ValueError, match="pos_label is not specified"):
        M.calibration_curve(D(data["s"]), D(p))
    with pytest.raises(ValueError, match="pos_label is not specified"):
        M.brier_score_loss(D(data["s"]), D(p))
    with pytest.raises(ValueError, match="base rate is 0"):
        M.normalized_entropy(D(np.zeros(N, int)), D(p))
    with pytest.raises(ValueError, match="n_bins"):
        M.calibration_curve(D(data["y"]), D(p), n_bins=0)
    with pytest.raises(ValueError, match="supports binary problems"):
        M.brier_score_loss(D(data["y"]), D(np.stack([1 - p, p], axis=1)))


def test_kernel_is_namespace_generic(data):
    xps = pytest.importorskip("array_api_strict")
    from dml.metrics._metrics_kernels import binary_bins_kernel

    y, p, w = data["y"], data["p"], data["w"]
    a = binary_bins_kernel(y, p, w, xp=np, edges=[0.2, 0.5], eps=1e-15)
    b = binary_bins_kernel(
        xps.asarray(y), xps.asarray(p), xps.asarray(w), xp=xps, edges=[0.2, 0.5], eps=1e-15
    )
    np.testing.assert_allclose(np.asarray(b["sums"]), a["sums"], rtol=1e-12)
    np.testing.assert_array_equal(np.asarray(b["labels"]), a["labels"])
