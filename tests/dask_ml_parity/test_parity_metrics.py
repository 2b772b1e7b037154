"""Parity with dask-ml's ``tests/metrics/test_metrics.py`` (pairwise distances, kernels,
``log_loss``).

dml's pairwise functions are lazy on Dask ``X`` (chunked by its rows) with ``Y`` in
memory; dask-ml's separate kernel functions are ``pairwise_kernels(..., metric=...)``
(docs/migrating_from_dask_ml.md, ``dask_ml.metrics``). dask-ml skips its ``log_loss``
tests (they break on current scikit-learn); dml's ``log_loss`` is scikit-learn's, checked
here on Dask input.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
import sklearn
import sklearn.linear_model
import sklearn.metrics
import sklearn.metrics.pairwise

import dml.metrics
import dml.wrappers


def test_pairwise_distances(X_blobs):
    centers = X_blobs[::100].compute()
    result = dml.metrics.pairwise_distances(X_blobs, centers)
    assert isinstance(result, da.Array) and result.chunks[0] == X_blobs.chunks[0]
    expected = sklearn.metrics.pairwise_distances(X_blobs.compute(), centers)
    np.testing.assert_allclose(result.compute(), expected, atol=1e-4)


def test_pairwise_distances_argmin_min(X_blobs):
    centers = X_blobs[::100].compute()
    with sklearn.config_context(working_memory=float(80 * 500) / 2**20):
        a_, b_ = sklearn.metrics.pairwise_distances_argmin_min(X_blobs.compute(), centers)
    a, b = dml.metrics.pairwise_distances_argmin_min(X_blobs, centers)
    assert isinstance(a, da.Array) and isinstance(b, da.Array)
    a, b = dask.compute(a, b)
    np.testing.assert_array_equal(a, a_)
    np.testing.assert_allclose(b, b_, rtol=1e-10, atol=1e-7)


def test_euclidean_distances():
    rng = np.random.default_rng(0)
    Xn, Yn = rng.uniform(size=(100, 4)), rng.uniform(size=(100, 4))
    X = da.from_array(Xn, chunks=50)
    a = dml.metrics.euclidean_distances(X, Yn)
    np.testing.assert_allclose(a.compute(), sklearn.metrics.euclidean_distances(Xn, Yn), atol=1e-10)

    # dask-ml takes X_norm_squared with Dask X; dml computes each chunk's norms in its
    # task and takes X_norm_squared with in-memory X only (its docstring), refusing it
    # on Dask X with a message rather than ignoring it.
    x_norm_squared = (Xn**2).sum(axis=1)[:, np.newaxis]
    b = sklearn.metrics.euclidean_distances(Xn, Yn, X_norm_squared=x_norm_squared)
    a = dml.metrics.euclidean_distances(Xn, Yn, X_norm_squared=x_norm_squared)
    np.testing.assert_allclose(a, b, atol=1e-10)
    with pytest.raises(ValueError, match="X_norm_squared is supported for in-memory X only"):
        dml.metrics.euclidean_distances(X, Yn, X_norm_squared=x_norm_squared)

    y_norm_squared = (Yn**2).sum(axis=1)[np.newaxis, :]
    a = dml.metrics.euclidean_distances(X, Yn, Y_norm_squared=y_norm_squared)
    b = sklearn.metrics.euclidean_distances(Xn, Yn, Y_norm_squared=y_norm_squared)
    np.testing.assert_allclose(a.compute(), b, atol=1e-10)

    a = dml.metrics.euclidean_distances(X, Yn, squared=True)
    np.testing.assert_allclose(
        a.compute(), sklearn.metrics.euclidean_distances(Xn, Yn, squared=True), atol=1e-10
    )


def test_euclidean_distances_same():
    Xn = np.random.default_rng(1).uniform(size=(100, 4))
    X = da.from_array(Xn, chunks=50)
    b = sklearn.metrics.euclidean_distances(Xn, Xn)
    np.testing.assert_allclose(dml.metrics.euclidean_distances(X, Xn).compute(), b, atol=1e-4)
    one = dml.metrics.euclidean_distances(X).compute()
    np.testing.assert_allclose(one, sklearn.metrics.euclidean_distances(Xn), atol=1e-4)
    np.testing.assert_array_equal(np.diag(one), 0.0)


@pytest.mark.parametrize("kernel", ["linear", "polynomial", "rbf", "sigmoid", "cosine"])
def test_pairwise_kernels(kernel):
    Xn = np.random.default_rng(2).uniform(size=(100, 4))
    X = da.from_array(Xn, chunks=(50, 4))
    r1 = dml.metrics.pairwise_kernels(X, metric=kernel)
    assert isinstance(r1, da.Array)
    r2 = sklearn.metrics.pairwise.PAIRWISE_KERNEL_FUNCTIONS[kernel](Xn)
    np.testing.assert_allclose(r1.compute(), r2, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "kernel,params", [("rbf", {"gamma": 0.3}), ("polynomial", {"degree": 2, "coef0": 0.5})]
)
def test_pairwise_kernels_parameters(kernel, params):
    rng = np.random.default_rng(3)
    Xn, Yn = rng.uniform(size=(60, 4)), rng.uniform(size=(7, 4))
    r1 = dml.metrics.pairwise_kernels(da.from_array(Xn, chunks=20), Yn, metric=kernel, **params)
    r2 = sklearn.metrics.pairwise_kernels(Xn, Yn, metric=kernel, **params)
    np.testing.assert_allclose(r1.compute(), r2, rtol=1e-10)


@pytest.mark.filterwarnings("ignore:Labels passed were:UserWarning")
@pytest.mark.parametrize("sample_weight", [True, False])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("labels", [[0, 1], [0, 1, 3], [1, 0]])
@pytest.mark.parametrize("daskify", [True, False])
def test_log_loss(labels, normalize, sample_weight, daskify):
    rng = np.random.RandomState(0)
    n, c = 100, 25
    y_true = rng.choice(labels, size=n)
    y_prob = rng.uniform(size=(n, len(labels)))
    y_prob /= y_prob.sum(1, keepdims=True)
    w = rng.uniform(size=n) if sample_weight else None
    if daskify:
        args = (da.from_array(y_true, chunks=c), da.from_array(y_prob, chunks=c))
        dw = None if w is None else da.from_array(w, chunks=c)
    else:
        args, dw = (y_true, y_prob), w
    a = sklearn.metrics.log_loss(y_true, y_prob, normalize=normalize, sample_weight=w, labels=labels)
    b = dml.metrics.log_loss(*args, labels=labels, normalize=normalize, sample_weight=dw)
    assert b == pytest.approx(a, rel=1e-10)


@pytest.mark.parametrize(
    "yhat",
    [
        np.array([0.25, 0.25, 0.75, 0.75]),
        np.array([0.0, 0, 1, 1]),
        np.array([[0.75, 0.25], [0.75, 0.25], [0.25, 0.75], [0.25, 0.75]]),
    ],
)
def test_log_loss_shape(yhat):
    y = np.array([0, 0, 1, 1])
    a = sklearn.metrics.log_loss(y, yhat)
    b = dml.metrics.log_loss(da.from_array(y, chunks=2), da.from_array(yhat, chunks=2), labels=[0, 1])
    assert b == pytest.approx(a, rel=1e-10)


@pytest.mark.parametrize("y", [[0, 1, 1, 0], [0, 1, 2, 0]])
def test_log_loss_scoring(y):
    # dask-ml builds its scorer with make_scorer(needs_proba=True), removed from
    # scikit-learn; dml: make_scorer(response_method="predict_proba") or "neg_log_loss".
    rng = np.random.default_rng(0)
    Xn = rng.uniform(size=(4, 2))
    labels = np.unique(y)
    yn = np.array(y)
    X, yd = da.from_array(Xn, chunks=2), da.from_array(yn, chunks=2)
    clf = dml.wrappers.ParallelPostFit(sklearn.linear_model.LogisticRegression()).fit(Xn, yn)
    ours = dml.metrics.make_scorer(
        dml.metrics.log_loss, greater_is_better=False, response_method="predict_proba", labels=labels
    )
    theirs = sklearn.metrics.make_scorer(
        sklearn.metrics.log_loss, greater_is_better=False, response_method="predict_proba", labels=labels
    )
    expected = theirs(clf.estimator_, Xn, yn)
    assert ours(clf, X, yd) == pytest.approx(expected, rel=1e-10)
    assert dml.metrics.get_scorer("neg_log_loss")(clf, X, yd) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("metric", ["manhattan", "cityblock", "l1", "sqeuclidean", "cosine"])
def test_pairwise_distances_other_metrics(metric):
    rng = np.random.default_rng(4)
    Xn, Yn = rng.normal(size=(60, 4)), rng.normal(size=(5, 4))
    result = dml.metrics.pairwise_distances(da.from_array(Xn, chunks=20), Yn, metric=metric)
    assert isinstance(result, da.Array)
    np.testing.assert_allclose(
        result.compute(), sklearn.metrics.pairwise_distances(Xn, Yn, metric=metric), atol=1e-10
    )


@pytest.mark.parametrize("metric", ["chebyshev", "minkowski", lambda a, b: float(np.abs(a - b).max())])
def test_pairwise_distances_metrics_outside_dask_set(metric):
    # dask-ml maps scikit-learn's pairwise_distances over the blocks, so any metric runs;
    # dml's Dask kernels cover the metrics its docstring lists and raise a ValueError
    # naming them (and the fix) for the others, which run on in-memory X.
    rng = np.random.default_rng(5)
    Xn, Yn = rng.normal(size=(30, 3)), rng.normal(size=(4, 3))
    with pytest.raises(ValueError, match="supports metric in"):
        dml.metrics.pairwise_distances(da.from_array(Xn, chunks=10), Yn, metric=metric)
    np.testing.assert_allclose(
        dml.metrics.pairwise_distances(Xn, Yn, metric=metric),
        sklearn.metrics.pairwise_distances(Xn, Yn, metric=metric),
    )


def test_pairwise_distances_argmin_min_axis0():
    rng = np.random.default_rng(6)
    Xn = rng.normal(size=(60, 4))
    a, b = dml.metrics.pairwise_distances_argmin_min(da.from_array(Xn, chunks=20), Xn[:5], axis=0)
    a_, b_ = sklearn.metrics.pairwise_distances_argmin_min(Xn, Xn[:5], axis=0)
    a, b = dask.compute(a, b)
    np.testing.assert_array_equal(a, a_)
    # each of Y's rows is a row of X: distance 0 (scikit-learn's expansion rounds to ~1e-8)
    np.testing.assert_allclose(b, b_, atol=1e-7)
