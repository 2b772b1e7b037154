"""SpectralClustering: dask-ml's Nyström approximation, two passes, then k-means."""

import pickle

import dask.array as da
import numpy as np
import pytest
from scipy.linalg import pinv, svd
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans as SkKMeans
from sklearn.cluster import SpectralClustering as SkSpectralClustering
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import pairwise_kernels as sk_pairwise_kernels
from sklearn.utils import check_random_state

from dml._engine.mapreduce import count_passes
from dml.cluster import KMeans, SpectralClustering
from dml.cluster._spectral_kernels import degrees_kernel, embed_block, take_rows_kernel
from dml.datasets import make_blobs


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=1500, n_features=3, centers=4, cluster_std=0.6, random_state=3, chunks=500)
    return X.compute(), y.compute()


class _Recorder(BaseEstimator):
    """Label assignment that keeps the embedding it was given."""

    def fit(self, X, y=None):
        self.embedding_ = np.asarray(X)
        self.labels_ = np.zeros(len(self.embedding_), dtype=np.int64)
        return self


def _dask_ml_embedding(X, k, m, seed, metric, params):
    """dask-ml's algorithm, written densely: exact blocks A, B, both degree vectors, the
    eigenvector extension (its Eq. 16) and the row normalisation, rows in X's order."""
    n = len(X)
    keep = np.sort(check_random_state(seed).choice(n, m, replace=False))
    rest = np.setdiff1d(np.arange(n), keep)
    A = sk_pairwise_kernels(X[keep], metric=metric, filter_params=True, **params)
    B = sk_pairwise_kernels(X[keep], X[rest], metric=metric, filter_params=True, **params)
    a, b1, b2 = A.sum(0), B.sum(1), B.sum(0)
    d1 = 1 / np.sqrt(a + b1)
    d2 = 1 / np.sqrt(b2 + B.T @ (pinv(A) @ b1))
    A2 = d1[:, None] * A * d1[None, :]
    B2 = d1[:, None] * B * d2[None, :]
    U, S, _ = svd(A2)
    V2 = np.sqrt(m / n) * np.vstack([A2, B2.T]) @ U[:, :k] / np.sqrt(S[:k])
    U2 = V2 / np.sqrt((V2**2).sum(1))[:, None]
    out = np.empty_like(U2)
    out[np.concatenate([keep, rest])] = U2
    return out, S[:k]


def _same_up_to_column_signs(a, b, **kw):
    signs = np.sign(np.sum(a * b, axis=0))
    np.testing.assert_allclose(a * signs, b, **kw)


@pytest.mark.parametrize(
    "affinity, params",
    [
        ("rbf", {"gamma": 0.2}),
        ("polynomial", {"gamma": 0.1, "degree": 2, "coef0": 1.0}),
        ("linear", {}),
    ],
)
def test_embedding_is_dask_mls(blobs, affinity, params):
    X, _ = blobs
    X = X - X.min(axis=0)  # non-negative features: the linear kernel is non-negative too
    sc = SpectralClustering(
        n_clusters=4, n_components=60, affinity=affinity, random_state=5, assign_labels=_Recorder(), **params
    ).fit(da.from_array(X, chunks=(400, -1)))
    expected, eig = _dask_ml_embedding(X, 4, 60, 5, affinity, params)
    # atol: the linear kernel of 3 features has rank 3, and its 4th direction (noise
    # in dask-ml, divided by a singular value near 0) is zero here
    _same_up_to_column_signs(sc.assign_labels_.embedding_, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sc.eigenvalues_, eig, rtol=1e-10)


def test_callable_affinity_is_called_blockwise(blobs):
    X, y = blobs
    calls = []

    def rbf(A, B, gamma, degree, coef0, scale):
        calls.append((len(A), len(B)))
        return scale * np.exp(-gamma * ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1))

    sc = SpectralClustering(
        n_clusters=4, gamma=0.2, n_components=50, affinity=rbf, kernel_params={"scale": 2.0}, random_state=0
    ).fit(X)
    ref = SpectralClustering(n_clusters=4, gamma=0.2, n_components=50, random_state=0).fit(X)
    np.testing.assert_allclose(sc.eigenvalues_, ref.eigenvalues_, rtol=1e-8)
    assert adjusted_rand_score(ref.labels_, sc.labels_) == 1.0
    assert (50, 50) in calls and all(b == 50 for _, b in calls)


def test_blobs_match_the_truth_and_scikit_learn(blobs, scheduler):
    X, y = blobs
    sc = SpectralClustering(n_clusters=4, gamma=0.2, n_components=80, random_state=0)
    labels = sc.fit(da.from_array(X, chunks=(300, -1))).labels_
    assert isinstance(labels, da.Array)
    labels = labels.compute()
    assert adjusted_rand_score(y, labels) == pytest.approx(1.0)
    sk = SkSpectralClustering(n_clusters=4, gamma=0.2, random_state=0).fit(X[:600])
    mine = SpectralClustering(n_clusters=4, gamma=0.2, n_components=80, random_state=0).fit(X[:600])
    assert adjusted_rand_score(sk.labels_, mine.labels_) == pytest.approx(1.0)
    assert isinstance(mine.labels_, np.ndarray) and isinstance(sc.assign_labels_, KMeans)


def test_deterministic_and_the_same_for_any_chunking(blobs):
    X, _ = blobs
    params = dict(n_clusters=4, gamma=0.2, n_components=70, random_state=11)
    ref = SpectralClustering(**params).fit(X)
    for chunks in ((1500,), (200, 700, 11, 589), (500, 500, 500)):
        sc = SpectralClustering(**params).fit(da.from_array(X, chunks=(chunks, -1)))
        np.testing.assert_allclose(sc.eigenvalues_, ref.eigenvalues_, rtol=1e-10)
        np.testing.assert_array_equal(sc.labels_.compute(), ref.labels_)
    other = SpectralClustering(**dict(params, random_state=12)).fit(X)
    assert not np.allclose(other.eigenvalues_, ref.eigenvalues_)


def test_two_passes_then_the_label_assignment(blobs):
    X, _ = blobs
    with count_passes() as counter:
        sc = SpectralClustering(n_clusters=4, gamma=0.2, n_components=50, random_state=0).fit(
            da.from_array(X, chunks=(500, -1))
        )
    assert counter.kernels[:2] == ["take_rows_kernel", "degrees_kernel"]
    assert "take_rows_kernel" not in counter.kernels[2:] and "degrees_kernel" not in counter.kernels[2:]
    assert sc.n_features_in_ == 3


def test_all_rows_when_n_components_exceeds_n_samples(blobs):
    X, y = blobs
    sc = SpectralClustering(n_clusters=4, gamma=0.2, n_components=5000, random_state=0).fit(X[:300])
    assert adjusted_rand_score(y[:300], sc.labels_) == pytest.approx(1.0)
    # fewer sampled rows than clusters: a smaller embedding, as dask-ml's
    small = SpectralClustering(n_clusters=4, gamma=0.2, n_components=3, random_state=0).fit(X)
    assert small.eigenvalues_.shape == (3,) and len(np.unique(small.labels_)) <= 4


def test_assign_labels_choices_and_kmeans_params(blobs):
    X, y = blobs
    given = SkKMeans(n_clusters=4, n_init=3, random_state=0)
    sc = SpectralClustering(
        n_clusters=4, gamma=0.2, n_components=50, random_state=0, assign_labels=given
    ).fit(X)
    assert sc.assign_labels_ is not given and not hasattr(given, "labels_")
    assert adjusted_rand_score(y, sc.labels_) == pytest.approx(1.0)
    sc = SpectralClustering(
        n_clusters=4,
        gamma=0.2,
        n_components=50,
        random_state=0,
        assign_labels="sklearn-kmeans",
        kmeans_params={"max_iter": 7},
    ).fit(da.from_array(X, chunks=(500, -1)))
    assert isinstance(sc.assign_labels_, SkKMeans) and sc.assign_labels_.max_iter == 7
    assert adjusted_rand_score(y, sc.labels_) == pytest.approx(1.0)
    sc = SpectralClustering(
        n_clusters=4, gamma=0.2, n_components=50, random_state=0, kmeans_params={"tol": 0.5}
    ).fit(X)
    assert sc.assign_labels_.tol == 0.5


def test_persist_embedding_same_labels(blobs):
    X, _ = blobs
    Xd = da.from_array(X, chunks=(500, -1))
    a = SpectralClustering(n_clusters=4, gamma=0.2, n_components=50, random_state=0).fit(Xd)
    b = SpectralClustering(
        n_clusters=4, gamma=0.2, n_components=50, random_state=0, persist_embedding=True
    ).fit(Xd)
    np.testing.assert_array_equal(a.labels_.compute(), b.labels_.compute())
    restored = pickle.loads(pickle.dumps(b))  # the lazy labels_ stay behind
    np.testing.assert_array_equal(restored.eigenvalues_, b.eigenvalues_)


def test_bad_input(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="affinity='precomputed' is not supported"):
        SpectralClustering(affinity="precomputed").fit(X)
    with pytest.raises(ValueError, match="nearest-neighbours graph"):
        SpectralClustering(affinity="nearest_neighbors").fit(X)
    with pytest.raises(ValueError, match="affinity='laplacian' is not supported"):
        SpectralClustering(affinity="laplacian").fit(X)
    with pytest.raises(ValueError, match="The 'affinity' parameter"):
        SpectralClustering(affinity="nonsense").fit(X)
    with pytest.raises(ValueError, match="kernel_params is for a callable affinity"):
        SpectralClustering(kernel_params={"gamma": 2.0}).fit(X)
    with pytest.raises(ValueError, match="The 'eigen_solver' parameter"):
        SpectralClustering(eigen_solver="arpack").fit(X)
    with pytest.raises(ValueError, match="non-positive degrees"):
        SpectralClustering(n_clusters=2, affinity="sigmoid", coef0=-5.0, gamma=0.01, n_components=20).fit(X)
    with pytest.raises(ValueError, match=r"n_samples=3 should be >= n_clusters=4"):
        SpectralClustering(n_clusters=4).fit(X[:3])
    Xn = X.copy()
    Xn[700, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SpectralClustering(n_clusters=2, n_components=20, random_state=0).fit(
            da.from_array(Xn, chunks=(500, -1))
        )
    assert not np.isnan(X).any()


def test_kernels_are_namespace_generic(blobs):
    xps = pytest.importorskip("array_api_strict")
    X, _ = blobs
    X = X[:300]
    rows = np.array([3, 40, 41, 250])
    ref = take_rows_kernel(X, None, None, xp=np, row_offset=0, rows=rows)
    strict = take_rows_kernel(xps.asarray(X), None, None, xp=xps, row_offset=0, rows=rows)
    np.testing.assert_array_equal(np.asarray(strict["rows"]), ref["rows"])
    Y = X[rows]
    Y_sq = (Y * Y).sum(1)
    kw = dict(affinity="rbf", params={"gamma": 0.3, "degree": 3, "coef0": 1})
    a = degrees_kernel(X, None, None, Y, Y_sq, xp=np, **kw)["degrees"]
    b = degrees_kernel(xps.asarray(X), None, None, xps.asarray(Y), xps.asarray(Y_sq), xp=xps, **kw)["degrees"]
    np.testing.assert_allclose(np.asarray(b), a, rtol=1e-12)
    P = np.random.default_rng(0).normal(size=(4, 2))
    e1 = embed_block(X, xp=np, Y=Y, Y_sq=Y_sq, projection=P, **kw)
    e2 = embed_block(
        xps.asarray(X), xp=xps, Y=xps.asarray(Y), Y_sq=xps.asarray(Y_sq), projection=xps.asarray(P), **kw
    )
    np.testing.assert_allclose(np.asarray(e2), e1, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(e1, axis=1), 1.0)


def test_dataframe_with_unknown_partition_lengths(blobs):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, _ = blobs
    df = dd.from_pandas(pd.DataFrame(X, columns=list("abc")), npartitions=3)
    df = df[df.a > -1e9]  # a filter: the partition lengths are unknown
    params = dict(n_clusters=4, gamma=0.2, n_components=60, random_state=0)
    sc = SpectralClustering(**params).fit(df)
    np.testing.assert_array_equal(sc.labels_.compute(), SpectralClustering(**params).fit(X).labels_)
    np.testing.assert_array_equal(sc.feature_names_in_, list("abc"))
