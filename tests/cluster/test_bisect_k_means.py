"""BisectingKMeans against scikit-learn, across chunkings; passes; lazy predict; bad input."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import sklearn.cluster as skc
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from dml._engine.mapreduce import count_passes
from dml.cluster import BisectingKMeans


def _blobs(n=3000, p=4, k=6, seed=0, scale=20.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    C = rng.normal(scale=scale, size=(k, p))
    return (C[rng.integers(0, k, n)] + rng.normal(size=(n, p)) + 5.0).astype(dtype)


def _first_and_last(X, n_clusters, random_state=None):
    """A deterministic init: the first and the last row of the leaf (same for both)."""
    return X[[0, -1]].copy()


@pytest.mark.parametrize("strategy", ["biggest_inertia", "largest_cluster"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_model_as_sklearn_from_the_same_seeds(strategy, weighted, dtype):
    X = _blobs(dtype=dtype)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0]) if weighted else None
    kw = dict(init=_first_and_last, bisecting_strategy=strategy)
    ref = skc.BisectingKMeans(6, **kw).fit(X, sample_weight=sw)
    rtol = 1e-8 if dtype == np.float64 else 1e-4
    for Xin in (X, da.from_array(X, chunks=(700, -1))):
        est = BisectingKMeans(6, **kw).fit(Xin, sample_weight=sw)
        assert est.cluster_centers_.dtype == dtype
        np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=rtol, atol=rtol)
        np.testing.assert_array_equal(np.asarray(est.labels_), ref.labels_)
        assert est.inertia_ == pytest.approx(ref.inertia_, rel=rtol)
        np.testing.assert_array_equal(np.asarray(est.predict(Xin)), ref.predict(X))
        # float32 distances near a center are rounded from expanded norms (both libraries)
        datol = rtol if dtype == np.float64 else 2e-3
        np.testing.assert_allclose(np.asarray(est.transform(Xin)), ref.transform(X), rtol=rtol, atol=datol)
        assert est.score(Xin) == pytest.approx(ref.score(X), rel=rtol)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_bounds_skip_rows_and_give_the_same_model(algorithm):
    X = _blobs(n=4000, k=6, seed=8, scale=3.0)  # overlapping blobs: several iterations
    ref = skc.BisectingKMeans(6, init=_first_and_last, algorithm=algorithm, tol=0.0).fit(X)
    full = BisectingKMeans(6, init=_first_and_last, tol=0.0, verbose=0)
    Xd = da.from_array(X, chunks=(1000, -1))
    est = BisectingKMeans(6, init=_first_and_last, algorithm=algorithm, tol=0.0).fit(Xd)
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(np.asarray(est.labels_), ref.labels_)
    assert est.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    assert max(est._split_iters) > 3
    # the rows read per Lloyd pass shrink as the 2-means settles (the bounds kernel's count)
    from dml.cluster import _bisect_k_means_kernels as kern

    seen = []
    real = kern.lloyd_bounds_kernel

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        seen.append(float(out["recomputed"]) / args[0].shape[0])
        return out

    kern.lloyd_bounds_kernel = spy
    try:
        full.set_params(algorithm=algorithm).fit(X)
    finally:
        kern.lloyd_bounds_kernel = real
    assert seen[0] == 1.0 and min(seen) < 0.5


def test_predict_follows_the_tree_as_sklearn():
    # three clusters where a point is nearest one leaf's center but on the other side of
    # the first split: scikit-learn's predict goes down the tree
    X = _blobs(n=2000, k=5, seed=4, scale=6.0)
    ref = skc.BisectingKMeans(5, init=_first_and_last).fit(X)
    est = BisectingKMeans(5, init=_first_and_last).fit(X)
    rng = np.random.default_rng(0)
    Q = rng.uniform(X.min(axis=0) - 5, X.max(axis=0) + 5, size=(5000, X.shape[1]))
    np.testing.assert_array_equal(est.predict(Q), ref.predict(Q))
    nearest = np.argmin(est.transform(Q), axis=1)
    assert (nearest != est.predict(Q)).any()  # the tree differs from the nearest center here


@pytest.mark.parametrize("init", ["random", "k-means++"])
@pytest.mark.parametrize("n_init", [1, 3])
def test_inertia_close_to_sklearn_on_random_data(init, n_init):
    X = np.random.default_rng(3).normal(size=(2000, 5))
    with threadpool_limits(1):  # scikit-learn's OpenMP loops crawl on a loaded machine (23 s)
        sk = np.mean(
            [
                skc.BisectingKMeans(8, init=init, n_init=n_init, random_state=r).fit(X).inertia_
                for r in range(4)
            ]
        )
    ours = np.mean(
        [BisectingKMeans(8, init=init, n_init=n_init, random_state=r).fit(X).inertia_ for r in range(4)]
    )
    assert ours == pytest.approx(sk, rel=0.03)


@pytest.mark.parametrize("init", ["random", "k-means++"])
def test_chunking_invariance(init):
    X = _blobs(n=1500, seed=2)
    ests = [
        BisectingKMeans(5, init=init, n_init=2, random_state=0).fit(Xin)
        for Xin in (X, da.from_array(X, chunks=(1500, -1)), da.from_array(X, chunks=((100, 600, 7, 793), -1)))
    ]
    for e in ests[1:]:
        np.testing.assert_allclose(e.cluster_centers_, ests[0].cluster_centers_, rtol=1e-10)
        np.testing.assert_array_equal(np.asarray(e.labels_), ests[0].labels_)
        assert e.inertia_ == pytest.approx(ests[0].inertia_, rel=1e-10)


def test_passes_one_per_lloyd_iteration():
    X = _blobs(n=1200)
    Xd = da.from_array(X, chunks=(300, -1))
    with count_passes() as c:
        BisectingKMeans(4, init="random", random_state=0, max_iter=3, tol=0.0).fit(Xd)
    k = c.kernels
    assert k[0] == "first_pass_kernel"
    # 3 bisections, each: one seeding pass, at most 3 Lloyd passes, one split pass
    assert k.count("bisect_keys_kernel") == 3
    assert k.count("bisect_split_kernel") == 3
    assert 3 <= k.count("bisect_lloyd_kernel") <= 9
    assert c.passes == 1 + 3 + 3 + k.count("bisect_lloyd_kernel") + k.count("bisect_far_points_kernel")


def test_dask_input_gives_lazy_labels_and_predict():
    X = _blobs(n=800)
    Xd = da.from_array(X, chunks=(200, -1))
    est = BisectingKMeans(3, random_state=0).fit(Xd)
    assert isinstance(est.labels_, da.Array)
    calls = []

    def spy(block):
        if block.size:
            calls.append(1)
        return block

    Xs = Xd.map_blocks(spy, dtype=Xd.dtype)
    out = est.predict(Xs)
    assert isinstance(out, da.Array) and not calls
    np.testing.assert_array_equal(out.compute(), est.predict(X))
    np.testing.assert_array_equal(est.labels_.compute(), est.predict(X))


def test_one_cluster_and_empty_cluster():
    X = _blobs(n=300)
    ref = skc.BisectingKMeans(1).fit(X)
    est = BisectingKMeans(1).fit(X)
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-12)
    assert est.inertia_ == pytest.approx(ref.inertia_, rel=1e-12)
    assert (np.asarray(est.labels_) == 0).all()

    # duplicated points: a 2-means start with both centers on one row empties a cluster
    Xdup = np.vstack([np.zeros((50, 2)), np.ones((50, 2))])

    def same_row(Xl, n, random_state=None):
        return np.vstack([Xl[0], Xl[0]])

    ref = skc.BisectingKMeans(2, init=same_row).fit(Xdup)
    with count_passes() as c:
        est = BisectingKMeans(2, init=same_row).fit(da.from_array(Xdup, chunks=(30, -1)))
    assert "bisect_far_points_kernel" in c.kernels
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_)
    assert est.inertia_ == pytest.approx(ref.inertia_)


@pytest.mark.parametrize(
    "params, err, match",
    [
        ({"init": np.zeros((2, 4))}, InvalidParameterError, "The 'init' parameter"),
        ({"init": "k-means||"}, InvalidParameterError, "The 'init' parameter"),
        ({"n_init": "auto"}, InvalidParameterError, "The 'n_init' parameter"),
        ({"bisecting_strategy": "x"}, InvalidParameterError, "The 'bisecting_strategy' parameter"),
        ({"n_clusters": 0}, InvalidParameterError, "The 'n_clusters' parameter"),
        ({"n_clusters": 50}, ValueError, "n_samples=20 should be >= n_clusters=50"),
        ({"init": lambda X, n, random_state: X[:3]}, ValueError, "does not match the number of clusters 2"),
    ],
)
def test_bad_parameters_as_sklearn(params, err, match):
    X = _blobs(n=20)
    for cls in (skc.BisectingKMeans, BisectingKMeans):
        with pytest.raises(err, match=match):
            cls(**params).fit(X)


def test_bad_weights():
    X = _blobs(n=30)
    for cls in (skc.BisectingKMeans, BisectingKMeans):
        with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero number"):
            cls(3, random_state=0).fit(X, sample_weight=np.zeros(30))
    # scikit-learn fails inside NumPy ('a must be greater than 0 ...') on the empty leaf
    with pytest.raises(ValueError, match="The cluster to bisect is empty"):
        BisectingKMeans(3, random_state=0).fit(X, sample_weight=-np.ones(30))


def test_bad_input_as_sklearn():
    X = _blobs(n=50)
    X[3, 1] = np.nan
    for cls in (skc.BisectingKMeans, BisectingKMeans):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            cls(2).fit(X)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        BisectingKMeans(2).fit(da.from_array(X, chunks=(10, -1)))
    est = BisectingKMeans(2, random_state=0).fit(_blobs(n=50))
    with pytest.raises(ValueError, match="X has 3 features, but BisectingKMeans is expecting 4"):
        est.predict(np.zeros((2, 3)))


def test_kernels_are_namespace_generic():
    xps = pytest.importorskip("array_api_strict")
    from dml._engine.namespace import get_namespace
    from dml.cluster import _bisect_k_means_kernels as K

    X = _blobs(n=300, k=5, seed=9)
    xnp = get_namespace(X)  # the namespace the engine gives NumPy chunks
    est = BisectingKMeans(5, random_state=0).fit(X)
    tree = dict(
        shift=est._X_mean, nodes=est._tree_nodes, centers=est._tree_centers, leaf_labels=est._leaf_labels
    )
    got = K.tree_labels_block(xps.asarray(X), xp=xps, **tree)
    np.testing.assert_array_equal(np.asarray(got), est.labels_)
    idx = np.arange(X.shape[0])
    bc = (est._X_mean, est._tree_nodes[:2], est._tree_centers[:2])  # the tree after two splits
    two = X[:2].copy()
    cases = [
        (K.bisect_lloyd_kernel, (two,), {}),
        (K.bisect_lloyd_kernel, (two,), {"bounds": (0, 0)}),
        (K.bisect_far_points_kernel, (two,), {"n_far": 2}),
        (K.bisect_split_kernel, (two,), {}),
        (K.bisect_keys_kernel, (), {"seed": 1, "stream": 2}),
        (K.bisect_races_kernel, (X[:1].copy(), None), {"seed": 1, "stream": 2, "n_races": 2}),
        (K.bisect_rows_kernel, (), {}),
    ]
    for node in (3, 4):
        for kern, extra, kw in cases:
            a = kern(X, idx, None, *bc, *extra, xp=xnp, node=node, **kw)
            b = kern(xps.asarray(X), xps.asarray(idx), None, *bc, *extra, xp=xps, node=node, **kw)
            assert a.keys() == b.keys() and a, kern.__name__
            for k in a:
                np.testing.assert_allclose(np.asarray(b[k]), np.asarray(a[k]), rtol=1e-12, err_msg=k)


def test_same_model_under_every_scheduler(scheduler):
    """The leaf ids and bounds live in chunk caches on the workers: same model anywhere."""
    X = _blobs(n=1200, seed=11)
    ref = BisectingKMeans(4, init="k-means++", random_state=0).fit(X)
    est = BisectingKMeans(4, init="k-means++", random_state=0).fit(da.from_array(X, chunks=(300, -1)))
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
    assert est.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    np.testing.assert_array_equal(est.labels_.compute(), ref.labels_)
