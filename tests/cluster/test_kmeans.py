"""KMeans against scikit-learn, across chunkings and schedulers; passes; bad input."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import sklearn.cluster as skc
from sklearn.exceptions import ConvergenceWarning

from dml._engine.mapreduce import count_passes
from dml.cluster import KMeans


def _blobs(n=1200, p=6, k=5, seed=0, spread=1.5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(k, p))
    lab = rng.integers(0, k, size=n)
    X = centers[lab] + rng.normal(scale=spread, size=(n, p)) + 10.0
    return X.astype(dtype)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_identical_to_sklearn_from_explicit_init(dtype, weighted, algorithm):
    X = _blobs(dtype=dtype)
    rng = np.random.default_rng(1)
    init = X[rng.choice(X.shape[0], 5, replace=False)]
    sw = rng.uniform(0.5, 2.0, size=X.shape[0]) if weighted else None
    ref = skc.KMeans(5, init=init, n_init=1, tol=1e-6, algorithm=algorithm).fit(X, sample_weight=sw)
    for Xin in (X, da.from_array(X, chunks=(250, -1))):
        est = KMeans(5, init=init, n_init=1, tol=1e-6, algorithm=algorithm).fit(Xin, sample_weight=sw)
        rtol = 1e-10 if dtype == np.float64 else 1e-5
        assert est.cluster_centers_.dtype == dtype
        np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=rtol, atol=rtol)
        np.testing.assert_array_equal(np.asarray(est.labels_), ref.labels_)
        assert est.n_iter_ == ref.n_iter_
        assert est.inertia_ == pytest.approx(ref.inertia_, rel=rtol)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_empty_cluster_relocated_as_sklearn(algorithm):
    X = _blobs(n=400, k=3)
    init = np.vstack([X[:2], np.full((1, X.shape[1]), 1e3)])  # the third center gets no point
    ref = skc.KMeans(3, init=init, n_init=1, algorithm=algorithm).fit(X)
    for Xin in (X, da.from_array(X, chunks=(100, -1))):
        with count_passes() as c:
            est = KMeans(3, init=init, n_init=1, algorithm=algorithm).fit(Xin)
        assert "far_points_kernel" in c.kernels
        np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
        np.testing.assert_array_equal(np.asarray(est.labels_), ref.labels_)
        assert est.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)


@pytest.mark.parametrize("init", ["k-means||", "k-means++", "random"])
def test_inertia_within_one_percent_of_sklearn(init):
    X = _blobs(n=2000, p=5, k=8, spread=2.5, seed=3)
    n_init = 3
    sk_init = "k-means++" if init == "k-means||" else init
    ref = skc.KMeans(8, init=sk_init, n_init=n_init, random_state=0).fit(X)
    est = KMeans(8, init=init, n_init=n_init, random_state=0).fit(da.from_array(X, chunks=(300, -1)))
    assert est.inertia_ <= ref.inertia_ * 1.01
    # inertia_ is the exact (squared) objective of the final centers and labels
    labels = np.asarray(est.labels_.compute())
    exact = np.sum((X - est.cluster_centers_[labels]) ** 2)
    assert est.inertia_ == pytest.approx(exact, rel=1e-10)
    assert -est.score(X) == pytest.approx(exact, rel=1e-10)


@pytest.mark.parametrize("init", ["k-means||", "k-means++", "random"])
def test_chunking_and_scheduler_invariance(scheduler, init):
    X = _blobs(n=900, k=4, spread=2.0)
    params = dict(init=init, n_init=1, max_iter=10, random_state=0)
    ref = KMeans(4, **params).fit(X)
    chunkings = [((100, 333, 7, 460), (6,)), ((450, 450), (3, 3))]
    if scheduler != "distributed":
        chunkings.append(((900,), (6,)))
    for chunks in chunkings:
        est = KMeans(4, **params).fit(da.from_array(X, chunks=chunks))
        np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
        assert est.n_iter_ == ref.n_iter_
        assert est.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)
        np.testing.assert_array_equal(est.labels_.compute(), ref.labels_)


def test_lloyd_is_one_pass_per_iteration():
    X = _blobs(n=800, k=4)
    init = X[:4]
    with count_passes() as c:
        est = KMeans(4, init=init, n_init=1, max_iter=50).fit(da.from_array(X, chunks=(200, -1)))
    # one pass per iteration, plus the final E-step (labels, inertia and cluster sizes
    # of the final centers, from the bounds and the per-cluster sums)
    assert c.kernels.count("lloyd_bounds_kernel") == est.n_iter_ + 1
    assert "lloyd_kernel" not in c.kernels
    # an explicit init needs no pass of its own: the first iteration also gives the
    # moments for the tolerance and the value checks
    assert c.passes == 1 + est.n_iter_
    labels = np.asarray(est.labels_.compute())
    exact = np.sum((X - est.cluster_centers_[labels]) ** 2)
    assert est.inertia_ == pytest.approx(exact, rel=1e-12)


def test_generic_namespace_final_e_step_is_one_pass(monkeypatch):
    """Chunks of another namespace keep no per-row state: each iteration is a full step,
    and the final E-step is the exact inertia pass itself (not a step and then that pass)."""
    import dml.cluster._bounds_kernels as B
    import dml.cluster._lloyd_kernels as L

    for K in (B, L):  # NumPy through the generic code
        monkeypatch.setattr(K, "is_numpy_namespace", lambda xp: False)
    X = _blobs(n=800, k=4)
    init = X[:4]
    with count_passes() as c:
        est = KMeans(4, init=init, n_init=1, max_iter=50).fit(da.from_array(X, chunks=(200, -1)))
    assert c.passes == est.n_iter_ + 1
    assert c.kernels.count("lloyd_bounds_kernel") == est.n_iter_ + 1
    assert "inertia_kernel" not in c.kernels
    ref = skc.KMeans(4, init=init, n_init=1, max_iter=50).fit(X)
    assert est.n_iter_ == ref.n_iter_
    assert est.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-10)


def test_seeding_passes():
    X = _blobs(n=800, k=4)
    Xd = da.from_array(X, chunks=(200, -1))
    with count_passes() as c:
        KMeans(4, random_state=0, max_iter=1).fit(Xd)
    assert c.kernels.count("smallest_keys_kernel") == 5  # k-means|| rounds
    with count_passes() as c:
        KMeans(6, init="k-means++", random_state=0, max_iter=1).fit(Xd)
    assert c.kernels.count("races_kernel") == 6  # one pass per center
    with count_passes() as c:
        KMeans(4, init="random", n_init=1, random_state=0, max_iter=1).fit(Xd)
    assert c.kernels.count("smallest_keys_kernel") == 1


def test_max_iter_reached_gives_consistent_inertia():
    X = _blobs(n=600, k=4, spread=3.0)
    init = X[:4]
    ref = skc.KMeans(4, init=init, n_init=1, max_iter=2).fit(X)
    est = KMeans(4, init=init, n_init=1, max_iter=2).fit(X)
    assert est.n_iter_ == 2
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
    assert est.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    np.testing.assert_array_equal(est.labels_, ref.labels_)


def test_outputs_lazy_for_dask_numpy_for_numpy():
    X = _blobs(n=500, k=3)
    est = KMeans(3, random_state=0).fit(X)
    assert isinstance(est.labels_, np.ndarray) and est.labels_.dtype == np.int32
    Xd = da.from_array(X, chunks=(100, -1))
    estd = KMeans(3, random_state=0).fit(Xd)
    assert isinstance(estd.labels_, da.Array)
    assert isinstance(estd.predict(Xd), da.Array)
    assert isinstance(estd.transform(Xd), da.Array)
    assert isinstance(estd.fit_predict(Xd), da.Array)
    np.testing.assert_array_equal(estd.predict(Xd).compute(), est.predict(X))
    np.testing.assert_allclose(estd.transform(Xd).compute(), est.transform(X), rtol=1e-9)
    np.testing.assert_allclose(
        est.transform(X),
        np.sqrt(((X[:, None, :] - est.cluster_centers_[None]) ** 2).sum(-1)),
        rtol=1e-6,
    )


def test_float32_kept():
    X = _blobs(n=500, k=3, dtype=np.float32)
    est = KMeans(3, random_state=0).fit(da.from_array(X, chunks=(128, -1)))
    assert est.cluster_centers_.dtype == np.float32
    assert est.transform(X).dtype == np.float32
    assert est.transform(da.from_array(X, chunks=100)).dtype == np.float32


def test_dataframe_input():
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X = _blobs(n=400, k=3)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = KMeans(3, random_state=0).fit(dd.from_pandas(df, npartitions=3))
    ref = KMeans(3, random_state=0).fit(df)
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-9)
    assert list(est.feature_names_in_) == list(df.columns)


def test_duplicate_points_warn_like_sklearn():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 10, axis=0)
    with pytest.warns(ConvergenceWarning, match="Number of distinct clusters"):
        KMeans(3, random_state=0).fit(X)


def test_callable_init():
    X = _blobs(n=300, k=3)

    def init(X, k, random_state):
        return np.asarray(X)[:k]

    est = KMeans(3, init=init, n_init=1).fit(X)
    ref = skc.KMeans(3, init=X[:3], n_init=1).fit(X)
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-10)


# ------------------------------------------------------------------------ bad input


def test_bad_input_messages():
    X = _blobs(n=20, k=2)
    with pytest.raises(ValueError, match=r"n_samples=20 should be >= n_clusters=30\."):
        KMeans(30).fit(X)
    with pytest.raises(ValueError, match=r"n_samples=20 should be >= n_clusters=30\."):
        KMeans(30).fit(da.from_array(X, chunks=7))
    Xn = X.copy()
    Xn[3, 1] = np.nan
    for Xin in (Xn, da.from_array(Xn, chunks=7)):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            KMeans(2).fit(Xin)
    Xi = X.copy()
    Xi[3, 1] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        KMeans(2).fit(da.from_array(Xi, chunks=7))
    with pytest.raises(ValueError, match="does not match the number of clusters 3"):
        KMeans(3, init=X[:2]).fit(X)
    with pytest.raises(ValueError, match="does not match the number of features"):
        KMeans(2, init=X[:2, :3]).fit(X)
    with pytest.raises(ValueError, match="algorithm"):
        KMeans(2, algorithm="full").fit(X)
    with pytest.warns(RuntimeWarning, match="algorithm='elkan' doesn't make sense for a single cluster"):
        one = KMeans(1, algorithm="elkan").fit(X)
    assert one.inertia_ == pytest.approx(skc.KMeans(1).fit(X).inertia_, rel=1e-12)
    with pytest.raises(ValueError, match="oversampling_factor"):
        KMeans(2, oversampling_factor=0).fit(X)
    with pytest.warns(RuntimeWarning, match="Explicit initial center position passed"):
        KMeans(2, init=X[:2], n_init=3).fit(X)
    est = KMeans(2, random_state=0).fit(X)
    Xp = Xn[:5]
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.predict(Xp)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.predict(da.from_array(Xp, chunks=2)).compute()
    with pytest.raises(ValueError, match="X has 3 features"):
        est.predict(X[:, :3])


# ------------------------------------------------------------------------------ GPU


@pytest.mark.gpu
def test_cupy_fit_matches_numpy():
    cp = pytest.importorskip("cupy")
    X = _blobs(n=2000, k=4)
    init = X[:4]
    ref = KMeans(4, init=init, n_init=1).fit(X)
    est = KMeans(4, init=init, n_init=1).fit(da.from_array(cp.asarray(X), chunks=(500, -1)))
    centers = est.cluster_centers_
    np.testing.assert_allclose(np.asarray(centers), ref.cluster_centers_, rtol=1e-8)
    assert est.inertia_ == pytest.approx(ref.inertia_, rel=1e-8)
    est2 = KMeans(4, random_state=0).fit(da.from_array(cp.asarray(X), chunks=(500, -1)))
    ref2 = KMeans(4, random_state=0).fit(X)
    assert est2.inertia_ == pytest.approx(ref2.inertia_, rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_kernel_ties_go_to_the_first_center(dtype, weighted):
    """Small integer data, a repeated center and no shift: the scores are exact, many
    rows tie, and each goes to the lowest center index (argmin's rule, scikit-learn's)."""
    from dml.cluster._lloyd_kernels import _lloyd_numpy

    rng = np.random.default_rng(3)
    X = rng.integers(0, 4, size=(3000, 3)).astype(dtype)
    C = np.array([[1, 1, 1], [1, 1, 1], [3, 0, 2], [0, 3, 1], [2, 2, 2]], dtype=dtype)
    w = rng.integers(1, 4, size=3000).astype(dtype) if weighted else None
    d2 = ((X[:, None, :].astype(np.float64) - C[None].astype(np.float64)) ** 2).sum(axis=2)
    lab = np.argmin(d2, axis=1)
    assert len(np.unique(d2.min(axis=1))) < len(X)  # ties do occur
    ww = np.ones(len(X)) if w is None else w.astype(np.float64)
    out = _lloyd_numpy(X, w, C, np.zeros(3, dtype=dtype), True)
    np.testing.assert_array_equal(out["n"], np.bincount(lab, minlength=5))
    np.testing.assert_allclose(out["weights"], np.bincount(lab, weights=ww, minlength=5))
    np.testing.assert_allclose(
        out["sums"], np.stack([(ww[lab == j, None] * X[lab == j]).sum(0) for j in range(5)])
    )
    assert float(out["inertia"]) == pytest.approx(float((ww * d2.min(axis=1)).sum()), rel=1e-12)


def test_tight_clusters_get_the_exact_inertia_from_a_full_pass():
    rng = np.random.default_rng(7)
    centers = np.array([[0.0, 0.0, 0.0], [50.0, 0.0, 0.0], [0.0, 50.0, 0.0]])
    X = centers[rng.integers(0, 3, 900)] + rng.normal(scale=1e-5, size=(900, 3))
    with count_passes() as c:
        est = KMeans(3, init=centers + 0.1, n_init=1).fit(da.from_array(X, chunks=(300, -1)))
    assert "inertia_kernel" in c.kernels  # the sums identity would cancel: a full final pass
    labels = np.asarray(est.labels_.compute())
    exact = np.sum((X - est.cluster_centers_[labels]) ** 2)
    assert est.inertia_ == pytest.approx(exact, rel=1e-9)


def test_lloyd_state_is_dropped_from_the_workers_after_fit(cluster_client):
    import time

    from dml._engine.mapreduce import chunk_cache_size

    X = _blobs(n=2000, k=4)
    with cluster_client.as_current():
        est = KMeans(4, init=X[:4], n_init=1).fit(da.from_array(X, chunks=(250, -1)))
    assert est.n_iter_ > 1
    deadline = time.monotonic() + 10
    while sum(cluster_client.run(chunk_cache_size).values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sum(cluster_client.run(chunk_cache_size).values()) == 0


@pytest.mark.parametrize("bad", ["nan", "inf", "zero_weights"])
def test_explicit_init_checks_ride_on_the_first_iteration(bad):
    X = _blobs(n=400, k=3)
    sw = None
    if bad == "zero_weights":
        sw = np.zeros(X.shape[0])
    else:
        X[123, 2] = np.nan if bad == "nan" else np.inf
    Xd = da.from_array(X, chunks=(100, -1))
    init = _blobs(n=400, k=3)[:3]
    msg = {
        "nan": "Input X contains NaN",
        "inf": "Input X contains infinity",
        "zero_weights": "Sample weights must contain at least one non-zero number",
    }[bad]
    with pytest.raises(ValueError, match=msg):
        KMeans(3, init=init, n_init=1).fit(Xd, sample_weight=sw)


def test_process_pool_scheduler_with_stale_chunk_caches():
    # chunks land on arbitrary pool processes: caches are missing or from older iterations
    import dask

    X = _blobs(n=3000, p=6, k=5, spread=1.0)
    init = X[:5]
    ref = KMeans(5, init=init, n_init=1, tol=0, max_iter=50).fit(X)
    ref_par = KMeans(5, random_state=0).fit(da.from_array(X, chunks=(400, -1)))
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool, dask.config.set(scheduler="processes", pool=pool):
        got = KMeans(5, init=init, n_init=1, tol=0, max_iter=50).fit(da.from_array(X, chunks=(400, -1)))
        got_par = KMeans(5, random_state=0).fit(da.from_array(X, chunks=(400, -1)))
    assert got.n_iter_ == ref.n_iter_
    np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-10)
    assert got.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    np.testing.assert_allclose(got_par.cluster_centers_, ref_par.cluster_centers_, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k", [1, 2, 7])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_edge_shapes_zero_weights_and_one_row_chunks_match_sklearn(k, dtype):
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(500, 3)) + 5).astype(dtype)
    sw = rng.uniform(0, 2, 500)
    sw[::5] = 0
    ref = skc.KMeans(k, init=X[:k], n_init=1, tol=0).fit(X, sample_weight=sw)
    for Xin in (X, da.from_array(X, chunks=((1, 99, 200, 200), (3,)))):
        got = KMeans(k, init=X[:k], n_init=1, tol=0).fit(Xin, sample_weight=sw)
        assert got.n_iter_ == ref.n_iter_
        rtol = 1e-10 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, rtol=rtol, atol=rtol)
        assert got.inertia_ == pytest.approx(ref.inertia_, rel=rtol)
        np.testing.assert_array_equal(np.asarray(got.labels_), ref.labels_)


@pytest.mark.parametrize("fit_dtype", [np.float64, np.float32])
@pytest.mark.parametrize("in_dtype", [np.float64, np.float32])
def test_transform_dtype_follows_scikit_learn(fit_dtype, in_dtype):
    """The distances come in the wider of the input's and the centers' dtypes."""
    import dask.array as da
    from sklearn.cluster import KMeans as SkKMeans

    from dml.cluster import KMeans

    X = np.random.default_rng(0).normal(size=(300, 3))
    ours = KMeans(3, n_init=1, random_state=0).fit(X.astype(fit_dtype))
    theirs = SkKMeans(3, n_init=1, random_state=0).fit(X.astype(fit_dtype))
    Xin = X.astype(in_dtype)
    expected = theirs.transform(Xin).dtype
    assert ours.transform(Xin).dtype == expected
    lazy = ours.transform(da.from_array(Xin, chunks=100))
    assert lazy.dtype == expected and lazy.compute().dtype == expected
    np.testing.assert_allclose(lazy.compute(), ours.transform(Xin), rtol=1e-6)
