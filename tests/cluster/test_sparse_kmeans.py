"""KMeans and MiniBatchKMeans on scipy.sparse input and Dask arrays of CSR chunks,
against scikit-learn (and dml's dense fit) on the same data."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.cluster as skc

import dml
from dml._engine.mapreduce import count_passes
from dml.cluster import KMeans, MiniBatchKMeans

SMALL = dict(chunk_bytes=6000, fast_path_bytes=500)


def _data(n=1600, p=150, seed=0):
    """Sparse rows with four planted groups (a few heavy columns each)."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.05, format="csr", random_state=seed)
    group = rng.integers(0, 4, n)
    heavy = sp.csr_matrix(
        ((group[:, None] * 5 <= np.arange(p)) & (np.arange(p) < group[:, None] * 5 + 5)) * 3.0
    )
    X = (X + heavy).tolil()
    X[1, :] = 0  # an empty row
    return sp.csr_matrix(X)


def _unequal(X):
    bounds = [0, 11, 700, 720, 1300, X.shape[0]]
    return da.from_array(X, chunks=(tuple(np.diff(bounds)), X.shape[1]), asarray=False)


@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "csr_array"])
def test_kmeans_explicit_init_matches_sklearn(fmt):
    X = _data()
    init = X[[0, 2, 3, 5]].toarray()
    Xf = getattr(sp, fmt)(X)
    w = np.random.default_rng(1).uniform(0.5, 2, X.shape[0])
    theirs = skc.KMeans(4, init=init, n_init=1).fit(X, sample_weight=w)
    for config in ({}, SMALL):
        with dml.config_context(**config):
            ours = KMeans(4, init=init, n_init=1).fit(Xf, sample_weight=w)
        np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-9)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
        assert ours.n_iter_ == theirs.n_iter_
        np.testing.assert_allclose(ours.transform(Xf), theirs.transform(X), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(ours.score(Xf), theirs.score(X), rtol=1e-9)


@pytest.mark.parametrize("init", ["k-means++", "random", "k-means||"])
def test_kmeans_seeded_chunking_invariance_and_quality(init):
    X = _data(seed=2)
    ref = KMeans(4, init=init, random_state=0).fit(X)
    ours = KMeans(4, init=init, random_state=0).fit(_unequal(X))
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-9)
    # as good as scikit-learn's k-means++ on the same sparse input
    theirs = skc.KMeans(4, init="k-means++", n_init=3, random_state=0).fit(X)
    assert ours.inertia_ <= theirs.inertia_ * 1.02


def test_kmeans_dask_lazy_predict_and_no_densify():
    X = _data(seed=4)
    Xd = _unequal(X)
    km = KMeans(4, random_state=0).fit(Xd)
    with count_passes() as c:
        labels = km.predict(Xd)
        dist = km.transform(Xd)
    assert c.passes == 0
    assert isinstance(labels, da.Array) and isinstance(dist, da.Array)
    assert labels.chunks[0] == Xd.chunks[0]
    np.testing.assert_array_equal(labels.compute(), km.predict(X))
    # 2**15 columns: centers are dense (k x p) but no chunk is densified
    rng = np.random.default_rng(0)
    n, p = 3000, 2**15
    W = sp.csr_matrix(
        (np.ones(10 * n), (np.repeat(np.arange(n), 10), rng.integers(0, 40, 10 * n) * 797)), shape=(n, p)
    )
    wide = KMeans(3, random_state=0, n_init=1).fit(W)
    assert wide.cluster_centers_.shape == (3, p)


def test_kmeans_nan_in_sparse_values():
    X = _data(seed=5)
    X.data[7] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        KMeans(3, n_init=1).fit(X)


def test_minibatch_sparse_equals_dense_and_partial_fit_matches_sklearn():
    X = _data(seed=6)
    init = X[[0, 2, 3, 5]].toarray()
    dense = MiniBatchKMeans(4, init=init, n_init=1, random_state=0).fit(X.toarray())
    for Xin in (X, _unequal(X)):
        ours = MiniBatchKMeans(4, init=init, n_init=1, random_state=0).fit(Xin)
        np.testing.assert_allclose(ours.cluster_centers_, dense.cluster_centers_, rtol=1e-10, atol=1e-12)
        assert ours.n_steps_ == dense.n_steps_
    ours = MiniBatchKMeans(4, random_state=0).fit(X)
    assert ours.inertia_ <= skc.KMeans(4, n_init=3, random_state=0).fit(X).inertia_ * 1.1
    theirs = skc.MiniBatchKMeans(4, random_state=0)
    mine = MiniBatchKMeans(4, random_state=0)
    for a in range(0, X.shape[0], 400):
        theirs.partial_fit(X[a : a + 400])
        mine.partial_fit(X[a : a + 400])
    np.testing.assert_allclose(mine.cluster_centers_, theirs.cluster_centers_, rtol=1e-9, atol=1e-12)
