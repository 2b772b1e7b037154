"""Parity with dask-ml's ``tests/test_kmeans.py``.

dask-ml checks that its KMeans fits tiny and empty-chunked Dask arrays, NumPy, pandas and
Dask DataFrames, refuses empty input, agrees with scikit-learn on easy blobs, keeps the
input's float dtype, and validates ``init``. dml keeps dask-ml's default
``init='k-means||'`` (docs/migrating_from_dask_ml.md, ``dask_ml.cluster``) but its seeding
draws differ, so clusterings are compared after aligning labels, not by equal draws.
dask-ml's ``k_init`` / ``row_norms`` helpers are private and have no dml counterpart.
"""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans as SKKMeans

from dml.cluster import KMeans


def _align(ours_centers, ref_centers):
    """Index into ref_centers of the closest reference center for each of ours."""
    d = ((ours_centers[:, None, :] - ref_centers[None, :, :]) ** 2).sum(-1)
    order = d.argmin(axis=1)
    assert len(set(order)) == len(order)
    return order


def test_too_small():
    X = da.random.default_rng(0).uniform(size=(20, 2), chunks=(10, 2))
    km = KMeans(random_state=0).fit(X)
    assert km.cluster_centers_.shape == (8, 2)
    labels = km.labels_.compute()
    assert labels.shape == (20,) and set(labels) <= set(range(8))


@pytest.mark.parametrize("shape", [(0, 1), (1, 0)])
def test_fit_raises_on_empty(shape):
    with pytest.raises(ValueError):
        KMeans().fit(np.empty(shape))


@pytest.mark.parametrize("init", ["k-means||", "k-means++"])
def test_basic_against_scikit_learn(Xl_blobs_easy, init):
    X, _ = Xl_blobs_easy
    a = KMeans(n_clusters=3, init=init, random_state=0).fit(X)
    b = SKKMeans(n_clusters=3, random_state=0, n_init="auto").fit(X.compute())
    assert a.n_clusters == b.n_clusters and a.init == init
    assert a.n_features_in_ == b.n_features_in_ == 2
    assert abs(a.inertia_ - b.inertia_) < 0.01
    order = _align(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_[order], rtol=1e-3)
    assert isinstance(a.labels_, da.Array)
    np.testing.assert_array_equal(order[a.labels_.compute()], b.labels_)
    assert a.n_iter_ >= 1
    yhat = a.predict(X)
    assert isinstance(yhat, da.Array)
    np.testing.assert_array_equal(order[yhat.compute()], b.predict(X.compute()))
    np.testing.assert_allclose(
        a.transform(X).compute(), b.transform(X.compute())[:, order], rtol=1e-3, atol=1e-6
    )


def test_given_init_array_matches_scikit_learn():
    from sklearn.datasets import make_blobs

    Xn, _ = make_blobs(n_samples=1000, n_features=4, random_state=1)
    init = Xn[[0, 1, 2]]
    X = da.from_array(Xn, chunks=500)
    ours = KMeans(3, init=init, n_init=1, random_state=0).fit(X)
    ref = SKKMeans(3, init=init, n_init=1, random_state=0).fit(Xn)
    assert abs(ours.inertia_ - ref.inertia_) < 1e-3
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-6)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_string_inits_reach_scikit_learns_optimum(Xl_blobs_easy, init):
    X, _ = Xl_blobs_easy
    ours = KMeans(3, init=init, n_init=3, random_state=0).fit(X)
    ref = SKKMeans(3, init=init, n_init=3, random_state=0).fit(X.compute())
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-6)
    assert ours.init == init


def test_random_state_none_and_fixed(Xl_blobs_easy):
    X, _ = Xl_blobs_easy
    KMeans(3, init="k-means++").fit(X)
    a = KMeans(3, random_state=0).fit(X)
    b = KMeans(3, random_state=0).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_invalid_init(Xl_blobs_easy):
    # dask-ml checks its private k_init; dml validates init in fit (scikit-learn's errors).
    X, _ = Xl_blobs_easy
    Xn = X.compute()
    with pytest.raises(ValueError, match="shape"):
        KMeans(3, init=Xn[:2], n_init=1).fit(X)
    with pytest.raises(ValueError, match="shape"):
        KMeans(2, init=Xn[:2, :-1], n_init=1).fit(X)
    with pytest.raises(ValueError):
        KMeans(2, init="invalid").fit(X)
    with pytest.raises((TypeError, ValueError)):
        KMeans(2, init=2).fit(X)


@pytest.mark.parametrize("kind", ["numpy", "dask", "pandas", "dask-frame"])
def test_inputs(kind):
    Xn = np.random.default_rng(0).uniform(size=(100, 4))
    X = {
        "numpy": Xn,
        "dask": da.from_array(Xn, chunks=(10, 4)),
        "pandas": pd.DataFrame(Xn),
        "dask-frame": dd.from_pandas(pd.DataFrame(Xn), npartitions=2),
    }[kind]
    km = KMeans(n_clusters=3, random_state=0).fit(X)
    ref = KMeans(n_clusters=3, random_state=0).fit(Xn)
    np.testing.assert_allclose(km.cluster_centers_, ref.cluster_centers_, rtol=1e-8)
    t = km.transform(X)
    t = t.compute() if hasattr(t, "compute") else np.asarray(t)
    assert t.shape == (100, 3)


def test_dtypes():
    X = da.random.default_rng(0).uniform(size=(100, 2), chunks=(50, 2))
    X2 = X.astype("f4")
    for xx, yy in [(X, X), (X2, X2), (X, X2), (X2, X)]:
        a = KMeans(random_state=0).fit(xx)
        b = SKKMeans(n_init="auto", random_state=0).fit(xx.compute())
        assert a.cluster_centers_.dtype == b.cluster_centers_.dtype
        assert a.labels_.dtype == b.labels_.dtype
        assert a.transform(xx).dtype == b.transform(xx.compute()).dtype
        assert a.transform(yy).dtype == b.transform(yy.compute()).dtype


def test_empty_chunks():
    # dask-ml's issue 551: a zero-row chunk. dask-ml drops it from the output chunks; dml
    # keeps the input's row chunks (blockwise transform), so the result lines up with X.
    Xn = np.random.default_rng(0).random((100, 4))
    X = da.from_array(Xn, chunks=((0, 5, 95), (4,)))
    km = KMeans(n_clusters=2, random_state=0)
    trn = km.fit_transform(X)
    assert trn.shape == (100, 2)
    assert sum(trn.chunks[0]) == 100 and trn.chunks[1] == (2,)
    np.testing.assert_allclose(trn.compute(), km.transform(Xn), rtol=1e-12)
    np.testing.assert_array_equal(km.labels_.compute(), km.predict(Xn))


def test_dask_ml_only_parameters(Xl_blobs_easy):
    # docs/migrating_from_dask_ml.md: algorithm is scikit-learn's ('full' is 'lloyd');
    # precompute_distances, n_jobs and init_max_iter are gone; oversampling_factor stays.
    from sklearn.utils._param_validation import InvalidParameterError

    X, _ = Xl_blobs_easy
    with pytest.raises(InvalidParameterError, match="algorithm"):
        KMeans(3, algorithm="full").fit(X)
    for name in ["precompute_distances", "n_jobs", "init_max_iter"]:
        with pytest.raises(TypeError):
            KMeans(3, **{name: 1})
    for algorithm in ["lloyd", "elkan"]:
        km = KMeans(3, algorithm=algorithm, oversampling_factor=3, random_state=0).fit(X)
        ref = SKKMeans(3, random_state=0, n_init="auto").fit(X.compute())
        assert km.inertia_ == pytest.approx(ref.inertia_, rel=1e-6)
