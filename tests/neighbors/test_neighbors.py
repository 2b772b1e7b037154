"""dml.neighbors: exact neighbours and distances equal to scikit-learn's brute force, on
NumPy and chunked Dask indexes and queries; chunking invariance; lazy in, lazy out;
float32 kept; ties by index; the votes, means, radius searches and graphs; the IVF
index's recall; bad input with scikit-learn's errors; pickles without the cluster."""

from __future__ import annotations

import pickle
from collections import Counter

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.neighbors as skn
from sklearn.utils.estimator_checks import parametrize_with_checks

import dml.neighbors as dn
from dml._engine.mapreduce import count_passes
from dml.neighbors import _neighbors_kernels as K

METRICS = [
    ("minkowski", 2),
    ("euclidean", 2),
    ("sqeuclidean", 2),
    ("cosine", 2),
    ("manhattan", 1),
    ("minkowski", 3),
    ("chebyshev", 2),
]


@pytest.fixture(autouse=True)
def _small_index_blocks(monkeypatch):
    """Searches merge index blocks below 32768 rows; these tests keep small blocks, so
    they search many of them."""
    import dml.neighbors._base as base

    monkeypatch.setattr(base, "_MIN_INDEX_ROWS", 64)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(900, 6))
    Q = rng.normal(size=(130, 6))
    y = (X[:, 0] + 0.3 * rng.normal(size=900) > 0).astype(int) + (X[:, 1] > 1)
    yr = X @ np.arange(1.0, 7.0) + rng.normal(size=900)
    return X, Q, y, yr


def _chunked(a, rows):
    return da.from_array(a, chunks=(rows, -1))


# ----------------------------------------------------------------- kernels


@pytest.mark.parametrize("metric,p", METRICS)
def test_topk_kernel_equals_sklearn_brute_force(metric, p):
    rng = np.random.default_rng(1)
    X, Q = rng.normal(size=(5000, 7)), rng.normal(size=(300, 7))  # several index tiles
    name = {"minkowski": "minkowski"}.get(metric, metric)
    ref = skn.NearestNeighbors(n_neighbors=9, algorithm="brute", metric=name, p=p).fit(X)
    d0, i0 = ref.kneighbors(Q)
    kmetric, kp = {"chebyshev": ("minkowski", np.inf), "minkowski": ("minkowski", p)}.get(metric, (metric, p))
    if (kmetric, kp) == ("minkowski", 2):
        kmetric = "euclidean"
    d, i = K.topk_block(Q, X, k=9, metric=kmetric, p=kp)
    np.testing.assert_array_equal(i, i0)
    np.testing.assert_allclose(d, d0, rtol=1e-10, atol=1e-10)


def test_merge_of_block_lists_is_the_global_list():
    rng = np.random.default_rng(2)
    X, Q = rng.normal(size=(1000, 3)), rng.normal(size=(50, 3))
    parts = [
        K.topk_block(Q, X[s : s + 300], k=5, metric="euclidean", p=2, offset=s) for s in range(0, 1000, 300)
    ]
    d, i = K.merge_topk([a for a, _ in parts], [b for _, b in parts], 5)
    d0, i0 = K.topk_block(Q, X, k=5, metric="euclidean", p=2)
    np.testing.assert_array_equal(i, i0)
    np.testing.assert_allclose(d, d0)


def test_block_smaller_than_k_pads():
    d, i = K.topk_block(np.zeros((2, 2)), np.ones((3, 2)), k=5, metric="euclidean", p=2)
    assert np.isinf(d[:, 3:]).all() and (i[:, 3:] == K.PAD_INDEX).all()
    np.testing.assert_array_equal(i[:, :3], [[0, 1, 2], [0, 1, 2]])


# ------------------------------------------------------ exact search parity


@pytest.mark.parametrize("metric,p", METRICS)
@pytest.mark.parametrize("kind", ["numpy", "dask-index", "dask-queries", "dask-both"])
def test_kneighbors_equal_sklearn_brute_force(data, metric, p, kind):
    X, Q, _, _ = data
    ref = skn.NearestNeighbors(n_neighbors=7, algorithm="brute", metric=metric, p=p).fit(X)
    Xf = _chunked(X, 200) if kind in ("dask-index", "dask-both") else X
    Qf = _chunked(Q, 40) if kind in ("dask-queries", "dask-both") else Q
    nn = dn.NearestNeighbors(n_neighbors=7, metric=metric, p=p).fit(Xf)
    assert nn.effective_metric_ == ref.effective_metric_
    d, i = nn.kneighbors(Qf)
    if kind in ("dask-queries", "dask-both"):
        assert isinstance(d, da.Array) and isinstance(i, da.Array)
        d, i = dask.compute(d, i)
    d0, i0 = ref.kneighbors(Q)
    np.testing.assert_array_equal(i, i0)
    np.testing.assert_allclose(d, d0, rtol=1e-7, atol=1e-7)
    # the index itself as queries: each point is not its own neighbour
    d, i = dask.compute(*nn.kneighbors(n_neighbors=4))
    d0, i0 = ref.kneighbors(n_neighbors=4)
    np.testing.assert_array_equal(i, i0)
    np.testing.assert_allclose(d, d0, rtol=1e-7, atol=1e-7)
    i = nn.kneighbors(Qf, 3, return_distance=False)
    np.testing.assert_array_equal(np.asarray(i), i0[:0].reshape(0, 3) if False else ref.kneighbors(Q, 3)[1])


def test_chunking_invariance(data):
    X, Q, _, _ = data
    ref = dn.NearestNeighbors(n_neighbors=6).fit(X).kneighbors(Q)
    for rows, qrows in [(900, 130), (100, 7), (333, 64)]:
        out = dask.compute(
            *dn.NearestNeighbors(n_neighbors=6).fit(_chunked(X, rows)).kneighbors(_chunked(Q, qrows))
        )
        np.testing.assert_array_equal(out[1], ref[1])
        np.testing.assert_allclose(out[0], ref[0], rtol=1e-12)
    uneven = da.from_array(X, chunks=((50, 400, 3, 447), (6,)))
    out = dask.compute(*dn.NearestNeighbors(n_neighbors=6).fit(uneven).kneighbors(Q))
    np.testing.assert_array_equal(out[1], ref[1])


def test_ties_go_to_the_lower_index():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [1.0, 0.0], [5.0, 5.0]])
    Q = np.zeros((1, 2))
    for Xf in (X, _chunked(X, 2)):
        d, i = dask.compute(*dn.NearestNeighbors(n_neighbors=3).fit(Xf).kneighbors(Q))
        np.testing.assert_array_equal(i, [[0, 1, 2]])
        np.testing.assert_allclose(d, [[1.0, 1.0, 1.0]])
    # duplicates of a query point: the point itself stays out (scikit-learn's rule), the
    # same neighbours as scikit-learn's, in index order (its heap leaves tied ones unordered)
    Xd = np.array([[0.0], [0.0], [0.0], [3.0]])
    ind = dn.NearestNeighbors(n_neighbors=2).fit(Xd).kneighbors()[1]
    np.testing.assert_array_equal(ind, [[1, 2], [0, 2], [0, 1], [0, 1]])
    ref = skn.NearestNeighbors(n_neighbors=2).fit(Xd).kneighbors()[1]
    np.testing.assert_array_equal(np.sort(ind, axis=1), np.sort(ref, axis=1))


def test_dask_queries_are_lazy(data):
    X, Q, y, _ = data
    calls = []

    def spy(block):
        if block.size:
            calls.append(1)
        return block

    Qd = _chunked(Q, 50).map_blocks(spy, dtype=Q.dtype)
    for est in (dn.NearestNeighbors(), dn.KNeighborsClassifier(), dn.RadiusNeighborsClassifier(radius=3.0)):
        est.fit(_chunked(X, 300), y)
        outs = [est.kneighbors(Qd, return_distance=False)] if hasattr(est, "kneighbors") else []
        outs += [getattr(est, m)(Qd) for m in ("predict", "predict_proba") if hasattr(est, m)]
        assert all(isinstance(o, da.Array) for o in outs)
        assert not calls
    dist, ind = dn.NearestNeighbors().fit(X).kneighbors(Qd)
    assert not calls
    dask.compute(dist, ind)
    assert len(calls) == Qd.numblocks[0]  # one search: each query chunk read once


def test_float32_is_kept(data):
    X, Q, y, yr = data
    X32, Q32 = X.astype(np.float32), Q.astype(np.float32)
    nn = dn.NearestNeighbors(n_neighbors=5).fit(X32)
    d, i = nn.kneighbors(Q32)
    assert d.dtype == np.float32 and i.dtype == np.int64
    d0, i0 = skn.NearestNeighbors(n_neighbors=5, algorithm="brute").fit(X32).kneighbors(Q32)
    np.testing.assert_array_equal(i, i0)
    np.testing.assert_allclose(d, d0, rtol=1e-5)
    dd_, _ = dn.NearestNeighbors(n_neighbors=5).fit(_chunked(X32, 100)).kneighbors(_chunked(Q32, 50))
    assert dd_.dtype == np.float32 and dd_.compute().dtype == np.float32
    assert nn.radius_neighbors(Q32[:3], 2.0)[0][0].dtype == np.float32


def test_fit_is_one_pass(data):
    X, _, y, _ = data
    with count_passes() as counter:
        dn.NearestNeighbors().fit(_chunked(X, 100))
    assert counter.passes == 1
    with count_passes() as counter:
        dn.KNeighborsClassifier().fit(_chunked(X, 100), da.from_array(y, chunks=100))
    assert counter.passes <= 2


def test_n_jobs_threads_give_the_same_result():
    rng = np.random.default_rng(3)
    X, Q = rng.normal(size=(3000, 4)), rng.normal(size=(5000, 4))
    a = dn.NearestNeighbors(n_neighbors=4).fit(X).kneighbors(Q)
    b = dn.NearestNeighbors(n_neighbors=4, n_jobs=2).fit(X).kneighbors(Q)
    np.testing.assert_array_equal(a[1], b[1])


# ------------------------------------------------------ supervised parity


@pytest.mark.parametrize("weights", ["uniform", "distance", lambda d: np.exp(-d)])
@pytest.mark.parametrize("dask_input", [False, True])
def test_kneighbors_classifier_and_regressor_equal_sklearn(data, weights, dask_input):
    X, Q, y, yr = data
    Xf = _chunked(X, 250) if dask_input else X
    Qf = _chunked(Q, 60) if dask_input else Q
    yf = da.from_array(y, chunks=250) if dask_input else y
    clf = dn.KNeighborsClassifier(n_neighbors=8, weights=weights).fit(Xf, yf)
    ref = skn.KNeighborsClassifier(n_neighbors=8, weights=weights, algorithm="brute").fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ref.classes_)
    np.testing.assert_array_equal(np.asarray(clf.predict(Qf)), ref.predict(Q))
    np.testing.assert_allclose(np.asarray(clf.predict_proba(Qf)), ref.predict_proba(Q), atol=1e-12)
    assert clf.score(Qf, ref.predict(Q)) == 1.0
    reg = dn.KNeighborsRegressor(n_neighbors=8, weights=weights).fit(Xf, yr)
    sref = skn.KNeighborsRegressor(n_neighbors=8, weights=weights, algorithm="brute").fit(X, yr)
    np.testing.assert_allclose(np.asarray(reg.predict(Qf)), sref.predict(Q), rtol=1e-10)


def test_multi_output_targets(data):
    X, Q, y, yr = data
    Y = np.column_stack([y, (X[:, 2] > 0).astype(int)])
    clf = dn.KNeighborsClassifier(n_neighbors=4).fit(X, Y)
    ref = skn.KNeighborsClassifier(n_neighbors=4).fit(X, Y)
    np.testing.assert_array_equal(clf.predict(Q), ref.predict(Q))
    np.testing.assert_array_equal(clf.predict(_chunked(Q, 50)).compute(), ref.predict(Q))
    for a, b in zip(clf.predict_proba(Q), ref.predict_proba(Q)):
        np.testing.assert_allclose(a, b)
    YR = np.column_stack([yr, -yr])
    np.testing.assert_allclose(
        dn.KNeighborsRegressor().fit(X, YR).predict(_chunked(Q, 50)).compute(),
        skn.KNeighborsRegressor().fit(X, YR).predict(Q),
    )


def test_string_labels(data):
    X, Q, y, _ = data
    labels = np.array(["a", "b", "c"])[y]
    clf = dn.KNeighborsClassifier().fit(_chunked(X, 300), labels)
    ref = skn.KNeighborsClassifier().fit(X, labels)
    np.testing.assert_array_equal(clf.predict(_chunked(Q, 40)).compute(), ref.predict(Q))


# ----------------------------------------------------------------- radius


@pytest.mark.parametrize("metric,p", [("minkowski", 2), ("cosine", 2), ("manhattan", 1), ("minkowski", 3)])
def test_radius_neighbors_equal_sklearn(data, metric, p):
    X, Q, _, _ = data
    ref = skn.NearestNeighbors(radius=1.6 if metric != "cosine" else 0.2, metric=metric, p=p).fit(X)
    nn = dn.NearestNeighbors(radius=ref.radius, metric=metric, p=p).fit(_chunked(X, 200))
    for Qf in (Q, _chunked(Q, 40), None):
        d, i = nn.radius_neighbors(Qf, sort_results=True)
        d0, i0 = ref.radius_neighbors(None if Qf is None else Q, sort_results=True)
        assert len(i) == len(i0)
        for a, b, c, e in zip(i, i0, d, d0):
            np.testing.assert_array_equal(a, b)
            np.testing.assert_allclose(c, e, rtol=1e-7, atol=1e-7)
    unsorted = nn.radius_neighbors(Q, return_distance=False)
    assert all((np.diff(a) > 0).all() for a in unsorted)  # index order


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_radius_estimators_equal_sklearn(data, weights):
    X, Q, y, yr = data
    for Xf, Qf in ((X, Q), (_chunked(X, 200), _chunked(Q, 40))):
        clf = dn.RadiusNeighborsClassifier(radius=3.0, weights=weights, outlier_label="most_frequent").fit(
            Xf, y
        )
        ref = skn.RadiusNeighborsClassifier(radius=3.0, weights=weights, outlier_label="most_frequent").fit(
            X, y
        )
        Qo = np.vstack([Q, np.full((1, 6), 50.0)])  # an outlier
        Qof = Qo if Qf is Q else _chunked(Qo, 40)
        np.testing.assert_array_equal(np.asarray(clf.predict(Qof)), ref.predict(Qo))
        np.testing.assert_allclose(np.asarray(clf.predict_proba(Qof)), ref.predict_proba(Qo), atol=1e-12)
        reg = dn.RadiusNeighborsRegressor(radius=3.0, weights=weights).fit(Xf, yr)
        sref = skn.RadiusNeighborsRegressor(radius=3.0, weights=weights).fit(X, yr)
        np.testing.assert_allclose(np.asarray(reg.predict(Qf)), sref.predict(Q), rtol=1e-10)
    with pytest.raises(ValueError, match="No neighbors found for test samples"):
        dn.RadiusNeighborsClassifier(radius=0.01).fit(X, y).predict(Q)
    with pytest.warns(UserWarning, match="no neighbors within specified radius"):
        out = dn.RadiusNeighborsRegressor(radius=0.01).fit(X, yr).predict(Q[:3])
    assert np.isnan(out).all()


# ----------------------------------------------------------------- graphs


@pytest.mark.parametrize("mode", ["connectivity", "distance"])
def test_graphs_equal_sklearn(data, mode):
    X, Q, _, _ = data
    Xd = _chunked(X, 300)
    for include_self in (False, True):
        a = dn.kneighbors_graph(Xd, 4, mode=mode, include_self=include_self)
        b = skn.kneighbors_graph(X, 4, mode=mode, include_self=include_self)
        assert sp.isspmatrix_csr(a) and a.shape == b.shape
        assert abs(a - b).max() < 1e-9
        a = dn.radius_neighbors_graph(Xd, 1.5, mode=mode, include_self=include_self)
        b = skn.radius_neighbors_graph(X, 1.5, mode=mode, include_self=include_self)
        assert a.nnz == b.nnz and abs(a - b).max() < 1e-9
    nn = dn.NearestNeighbors(n_neighbors=3, radius=1.5).fit(Xd)
    ref = skn.NearestNeighbors(n_neighbors=3, radius=1.5).fit(X)
    assert (
        abs(nn.kneighbors_graph(_chunked(Q, 50), mode=mode) - ref.kneighbors_graph(Q, mode=mode)).max() < 1e-9
    )
    assert (
        abs(nn.radius_neighbors_graph(Q, mode=mode) - ref.radius_neighbors_graph(Q, mode=mode)).max() < 1e-9
    )


# -------------------------------------------------------------------- IVF


def _recall(approx, exact):
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(approx, exact)]))


def test_ivf_recall_at_the_default_n_probe():
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=20000, n_features=16, centers=40, cluster_std=2.0, random_state=0)
    Q = X[:500] + np.random.default_rng(0).normal(scale=0.5, size=(500, 16))
    exact = (
        skn.NearestNeighbors(n_neighbors=10, algorithm="brute").fit(X).kneighbors(Q, return_distance=False)
    )
    ivf = dn.NearestNeighbors(n_neighbors=10, algorithm="ivf").fit(X)
    assert ivf._ivf.n_lists == 141 and ivf._n_probe() == 9
    dist, ind = ivf.kneighbors(Q)
    assert _recall(ind, exact) >= 0.95
    # distances of the neighbours found are exact
    Xd = np.linalg.norm(X[ind] - Q[:, None, :], axis=2)
    np.testing.assert_allclose(dist, Xd, rtol=1e-9)
    # Dask queries: lazy, and the same answer
    lazy = ivf.kneighbors(_chunked(Q, 128), return_distance=False)
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), ind)
    # every list probed: exact
    full = dn.NearestNeighbors(n_neighbors=10, algorithm="ivf", n_lists=20, n_probe=20).fit(X)
    np.testing.assert_array_equal(full.kneighbors(Q, return_distance=False), exact)


def test_ivf_classifier_and_dask_index(data):
    X, Q, y, _ = data
    ivf = dn.KNeighborsClassifier(algorithm="ivf", n_lists=10, n_probe=10).fit(_chunked(X, 300), y)
    np.testing.assert_array_equal(ivf.predict(Q), skn.KNeighborsClassifier().fit(X, y).predict(Q))


# -------------------------------------------------------------- bad input


def test_bad_input_gets_sklearn_errors(data):
    X, Q, y, _ = data
    small = X[:4]
    for Xf in (small, _chunked(small, 2)):
        nn = dn.NearestNeighbors(n_neighbors=5).fit(Xf)
        with pytest.raises(ValueError, match="Expected n_neighbors <= n_samples_fit, but n_neighbors = 5"):
            nn.kneighbors(Q[:2])
        with pytest.raises(ValueError, match="n_neighbors = 5, n_samples_fit = 4"):
            nn.kneighbors(n_neighbors=4)
    with pytest.raises(ValueError, match="Expected n_neighbors > 0. Got 0"):
        dn.NearestNeighbors().fit(X).kneighbors(Q, n_neighbors=0)
    with pytest.raises(TypeError, match="n_neighbors does not take"):
        dn.NearestNeighbors().fit(X).kneighbors(Q, n_neighbors=2.5)
    Xn = X.copy()
    Xn[3, 2] = np.nan
    for Xf in (Xn, _chunked(Xn, 100)):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            dn.NearestNeighbors().fit(Xf)
    Xi = X.copy()
    Xi[5, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        dn.KNeighborsClassifier().fit(_chunked(Xi, 100), y)
    nn = dn.NearestNeighbors().fit(X)
    Qn = Q.copy()
    Qn[1, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        nn.kneighbors(Qn)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        dask.compute(*nn.kneighbors(_chunked(Qn, 50)))
    with pytest.raises(ValueError, match="X has 3 features, but NearestNeighbors is expecting 6"):
        nn.kneighbors(Q[:, :3])
    for algorithm in ("ball_tree", "kd_tree"):
        with pytest.raises(ValueError, match="is not available in dml"):
            dn.NearestNeighbors(algorithm=algorithm).fit(X)
    with pytest.raises(ValueError, match="algorithm"):
        dn.NearestNeighbors(algorithm="lsh").fit(X)
    with pytest.raises(ValueError, match="n_lists and n_probe are parameters of algorithm='ivf'"):
        dn.NearestNeighbors(n_probe=3).fit(X)
    with pytest.raises(ValueError, match="euclidean metrics only"):
        dn.NearestNeighbors(algorithm="ivf", metric="cosine").fit(X)
    with pytest.raises(ValueError, match="metric_params"):
        dn.NearestNeighbors(metric_params={"w": 1}).fit(X)
    with pytest.raises(ValueError, match="metric"):
        dn.NearestNeighbors(metric="precomputed").fit(X)
    with pytest.raises(TypeError, match="Sparse data was passed"):
        dn.NearestNeighbors().fit(sp.csr_matrix(X))


# ------------------------------------------------------------------ pickle


def test_pickle_of_a_dask_fitted_model_holds_numpy(data):
    X, Q, y, _ = data
    clf = dn.KNeighborsClassifier().fit(_chunked(X.copy(), 300).persist(), da.from_array(y, chunks=300))
    loaded = pickle.loads(pickle.dumps(clf))
    assert isinstance(loaded._fit_X, np.ndarray)
    assert isinstance(clf._fit_X, da.Array)  # the model itself keeps its Dask index
    np.testing.assert_array_equal(loaded.predict(Q), clf.predict(Q))


# -------------------------------------------------------- scikit-learn suite


@parametrize_with_checks(
    [
        dn.NearestNeighbors(),
        dn.KNeighborsClassifier(),
        dn.KNeighborsRegressor(),
        dn.RadiusNeighborsClassifier(),
        dn.RadiusNeighborsRegressor(),
        dn.KNeighborsClassifier(algorithm="ivf"),
        dn.KNeighborsRegressor(weights="distance", metric="manhattan"),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_every_scheduler_gives_sklearn_predictions(data, scheduler):
    X, Q, y, yr = data
    Xd, Qd = _chunked(X, 300).persist(), _chunked(Q, 50)
    ref = skn.KNeighborsClassifier(n_neighbors=6).fit(X, y).predict(Q)
    clf = dn.KNeighborsClassifier(n_neighbors=6).fit(Xd, da.from_array(y, chunks=300))
    np.testing.assert_array_equal(clf.predict(Qd).compute(), ref)
    ivf = dn.KNeighborsClassifier(n_neighbors=6, algorithm="ivf", n_lists=4, n_probe=4).fit(Xd, y)
    np.testing.assert_array_equal(ivf.predict(Qd).compute(), ref)
    reg = dn.RadiusNeighborsRegressor(radius=3.0).fit(Xd, yr)
    np.testing.assert_allclose(
        reg.predict(Qd).compute(), skn.RadiusNeighborsRegressor(radius=3.0).fit(X, yr).predict(Q)
    )


def test_small_index_blocks_are_merged_for_a_search(data, monkeypatch):
    import dml.neighbors._base as base

    X, Q, _, _ = data
    nn = dn.NearestNeighbors(n_neighbors=5).fit(_chunked(X, 100))
    monkeypatch.setattr(base, "_MIN_INDEX_ROWS", 400)
    Id, offsets = nn._index_blocks(nn._fit_X)
    assert Id.chunks[0] == (400, 400, 100) and offsets.compute().tolist() == [0, 400, 800]
    ref = skn.NearestNeighbors(n_neighbors=5).fit(X).kneighbors(Q)[1]
    np.testing.assert_array_equal(nn.kneighbors(_chunked(Q, 50), return_distance=False).compute(), ref)


# ------------------------------------------------ single-precision candidates


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_single_precision_kernel_equals_sklearn(metric, dtype):
    rng = np.random.default_rng(3)
    # far from the origin: the slab centres its rows before the float32 product
    X = (rng.normal(size=(5000, 9)) + 1000.0).astype(dtype)
    Q = (rng.normal(size=(600, 9)) + 1000.0).astype(dtype)
    ref = skn.NearestNeighbors(n_neighbors=7, algorithm="brute", metric=metric).fit(X.astype(np.float64))
    d0, i0 = ref.kneighbors(Q.astype(np.float64))
    offsets = [0, 1700, 3100]
    blocks = [X[0:1700], X[1700:3100], X[3100:]]
    slab = K.EuclideanSlab.from_blocks(blocks[::-1], offsets[::-1])  # any order in: index order kept
    d, i = K.topk_slab(Q, slab, k=7, metric=metric)
    np.testing.assert_array_equal(i, i0)
    # exact distances (from the differences); scikit-learn's lose digits to |x|^2 here
    exact = np.sum((X[i0].astype(np.float64) - Q.astype(np.float64)[:, None, :]) ** 2, axis=2)
    np.testing.assert_allclose(d, exact if metric == "sqeuclidean" else np.sqrt(exact), rtol=1e-12)
    np.testing.assert_allclose(d, d0, rtol=1e-6)
    np.testing.assert_array_equal(slab.ids, np.arange(5000))


def test_single_precision_kernel_searches_ties_again_in_double(monkeypatch):
    # duplicated grid points: tied distances at the k-th neighbour cannot be certified
    # from the float32 bound, so those rows are searched again by topk_block
    rng = np.random.default_rng(4)
    X = np.repeat(rng.integers(0, 4, size=(300, 3)).astype(float), 4, axis=0)[rng.permutation(1200)]
    Q = rng.integers(0, 4, size=(50, 3)).astype(float)
    calls = []
    original = K.topk_block
    monkeypatch.setattr(K, "topk_block", lambda Q, *a, **kw: calls.append(len(Q)) or original(Q, *a, **kw))
    d, i = K.topk_slab(Q, K.EuclideanSlab(X), k=6, metric="euclidean")
    assert sum(calls) > 0
    d0, i0 = original(Q, X, k=6, metric="euclidean", p=2.0)
    np.testing.assert_array_equal(i, i0)  # ties by index
    np.testing.assert_allclose(d, d0, rtol=1e-12)


def test_single_precision_kernel_nan_queries_and_small_slabs():
    X = np.random.default_rng(5).normal(size=(40, 4))
    d, i = K.topk_slab(np.full((2, 4), np.nan), K.EuclideanSlab(X), k=3, metric="euclidean")
    assert not np.isfinite(d).any()
    d, i = K.topk_slab(X[:2], K.EuclideanSlab(X[:3]), k=5, metric="euclidean")  # fewer rows than k
    assert (i[:, 3:] == K.PAD_INDEX).all() and np.isinf(d[:, 3:]).all()
    np.testing.assert_array_equal(np.sort(i[:, :3], axis=1), [[0, 1, 2], [0, 1, 2]])


def test_index_slabs_on_the_workers(data, cluster_client):
    from distributed import get_task_stream

    X, Q, _, _ = data
    with cluster_client.as_current(), dask.config.set(scheduler="dask.distributed"):
        Xd = cluster_client.persist(_chunked(X, 100))
        nn = dn.NearestNeighbors(n_neighbors=5).fit(Xd)
        client, slabs, places = nn._resident
        assert len(slabs) == 2  # one per worker thread
        holder = {key: next(iter(ws)) for key, ws in client.who_has(slabs).items()}
        assert len(set(holder.values())) == 2 and [holder[f.key] for f in slabs] == places
        with get_task_stream(client) as ts:
            d, i = nn.kneighbors(_chunked(Q, 40))
            d, i = dask.compute(d, i)
        ref = skn.NearestNeighbors(n_neighbors=5).fit(X).kneighbors(Q)
        np.testing.assert_array_equal(i, ref[1])
        np.testing.assert_allclose(d, ref[0], rtol=1e-10)
        # the (query chunk, slab) tasks run where their slabs are: both workers search.
        # They are placed with allow_other_workers=True (a lost worker's slab tasks run
        # elsewhere), so under load the scheduler may move one; no exact count per worker.
        ran = Counter(t["worker"] for t in ts.data if "_slab_task" in str(t["key"]))
        assert set(ran) == set(holder.values()) and sum(ran.values()) <= 8, ran
        ids = np.concatenate(client.gather(client.map(lambda s: s.ids, slabs)))
        np.testing.assert_array_equal(np.sort(ids), np.arange(len(X)))  # each row once


def test_ivf_slabs_and_short_lists():
    from dml.neighbors._ivf import IVFIndex

    rng = np.random.default_rng(6)
    X, Q = rng.normal(size=(3000, 5)), rng.normal(size=(200, 5))
    ivf = IVFIndex.build(X, n_lists=60)
    probes = ivf.coarse().probes(Q, n_probe=6, k=10)
    one = ivf.slab().search(Q, probes, k=10, metric="euclidean")
    parts = [s.search(Q, probes, k=10, metric="euclidean") for s in ivf.slabs(3)]
    assert len(parts) == 3
    merged = K.merge_topk([p[0] for p in parts], [p[1] for p in parts], 10)
    np.testing.assert_array_equal(merged[1], one[1])
    np.testing.assert_allclose(merged[0], one[0])
    # n_probe=1 of 600 lists (about 5 rows each): queries probe on until k rows
    small = IVFIndex.build(X, n_lists=600)
    pr = small.coarse().probes(Q, n_probe=1, k=10)
    assert pr.shape[1] > 1 and (np.diff(small.starts)[np.where(pr < 0, 0, pr)] * (pr >= 0)).sum(1).min() >= 10
    d, i = small.search(Q, k=10, n_probe=1)
    assert (i != K.PAD_INDEX).all() and np.isfinite(d).all()
