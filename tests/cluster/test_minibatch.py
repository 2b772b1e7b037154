"""MiniBatchKMeans: quality against scikit-learn, chunking invariance, partial_fit."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import sklearn.cluster as skc

from dml._engine.mapreduce import count_passes
from dml.cluster import KMeans, MiniBatchKMeans


def _blobs(n=3000, p=5, k=4, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=5.0, size=(k, p))
    return centers[rng.integers(0, k, size=n)] + rng.normal(size=(n, p))


def test_quality_close_to_sklearn():
    X = _blobs()
    ref = skc.MiniBatchKMeans(4, batch_size=256, random_state=0, n_init=3).fit(X)
    est = MiniBatchKMeans(4, batch_size=256, random_state=0, n_init=3).fit(X)
    assert est.inertia_ <= ref.inertia_ * 1.02
    exact = np.sum((X - est.cluster_centers_[est.labels_]) ** 2)
    assert est.inertia_ == pytest.approx(exact, rel=1e-10)


def test_chunking_invariance_and_lazy_labels():
    X = _blobs(n=1500)
    ref = MiniBatchKMeans(4, batch_size=200, random_state=0).fit(X)
    est = MiniBatchKMeans(4, batch_size=200, random_state=0).fit(da.from_array(X, chunks=(333, -1)))
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
    assert est.n_steps_ == ref.n_steps_
    assert isinstance(est.labels_, da.Array)
    np.testing.assert_array_equal(est.labels_.compute(), ref.labels_)


def test_minibatches_fetched_in_few_round_trips():
    X = _blobs(n=2000)
    with count_passes() as c:
        est = MiniBatchKMeans(4, batch_size=100, random_state=0, max_no_improvement=None, max_iter=3).fit(
            da.from_array(X, chunks=(500, -1))
        )
    assert est.n_steps_ == 60
    assert c.kernels.count("gather_rows_kernel") <= 3  # validation, seeding, one prefetch


def test_partial_fit_stream():
    X = _blobs(n=4000)
    rng = np.random.default_rng(1)
    est = MiniBatchKMeans(4, random_state=0)
    for block in np.array_split(X[rng.permutation(len(X))], 8):
        with count_passes() as c:
            est.partial_fit(da.from_array(block, chunks=(200, -1)))
        assert c.kernels.count("lloyd_kernel") == 1
    assert est.n_steps_ == 8
    ref = skc.KMeans(4, random_state=0, n_init=3).fit(X)
    assert -est.score(X) <= ref.inertia_ * 1.05


def test_bad_input():
    X = _blobs(n=20)
    with pytest.raises(ValueError, match=r"n_samples=20 should be >= n_clusters=30\."):
        MiniBatchKMeans(30).fit(X)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MiniBatchKMeans(2).fit(da.from_array(Xn, chunks=5))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MiniBatchKMeans(2).partial_fit(Xn)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_explicit_init_warning_points_at_the_caller(method):
    """KMeans and MiniBatchKMeans share the n_init warning for explicit centers; it
    names the estimator and points at the line that called fit / partial_fit."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    for est in (KMeans(2, init=X[:2], n_init=3), MiniBatchKMeans(2, init=X[:2], n_init=3)):
        if method == "partial_fit" and isinstance(est, KMeans):
            continue
        with pytest.warns(
            RuntimeWarning, match=f"only one init in {type(est).__name__} instead of n_init=3"
        ) as rec:
            getattr(est, method)(X)
        assert rec[0].filename == __file__
