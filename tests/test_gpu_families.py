"""CuPy input across the estimator families (run on a GPU machine; skipped elsewhere).

Each case fits the same estimator on NumPy data and on CuPy data, in memory and as a Dask
array of CuPy chunks, and compares what it predicts or transforms: the CuPy fits must give
the NumPy fit's numbers (within the solver's tolerance), and their per-row results must stay
CuPy (in memory) or Dask arrays of CuPy chunks (Dask input).
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

pytestmark = pytest.mark.gpu


def _data(kind, n=1200, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    if kind == "clf":
        y = (X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(np.int64)
    elif kind == "multiclass":
        y = np.digitize(X[:, 0] + 0.5 * X[:, 2], [-0.5, 0.5]).astype(np.int64)
    elif kind == "counts":
        X = rng.poisson(2.0, size=(n, p)).astype(np.float64)
        y = (X[:, 0] > X[:, 1]).astype(np.int64)
    elif kind == "positive":
        y = np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1]) + 0.1
    elif kind == "blobs":
        centers = rng.normal(scale=5, size=(4, p))
        X = centers[rng.integers(0, 4, n)] + rng.normal(size=(n, p))
        y = None
    else:
        y = X @ np.arange(1.0, p + 1) + 0.1 * rng.normal(size=n)
    return X, y


def _cases():
    from dml import cluster, decomposition, linear_model, mixture, naive_bayes, neural_network, preprocessing

    blob_init = _data("blobs")[0][:4]
    return {
        "LinearRegression": (lambda: linear_model.LinearRegression(), "reg", "predict", 1e-8),
        "Ridge": (lambda: linear_model.Ridge(alpha=2.0), "reg", "predict", 1e-8),
        "Lasso": (lambda: linear_model.Lasso(alpha=0.05), "reg", "predict", 1e-7),
        "ElasticNet": (lambda: linear_model.ElasticNet(alpha=0.05), "reg", "predict", 1e-7),
        "LogisticRegression": (lambda: linear_model.LogisticRegression(), "clf", "predict_proba", 1e-6),
        "LogisticRegression-multinomial": (
            lambda: linear_model.LogisticRegression(),
            "multiclass",
            "predict_proba",
            1e-6,
        ),
        "LogisticRegression-newton-cholesky": (
            lambda: linear_model.LogisticRegression(solver="newton-cholesky"),
            "clf",
            "predict_proba",
            1e-6,
        ),
        "PoissonRegressor": (lambda: linear_model.PoissonRegressor(alpha=0.1), "positive", "predict", 1e-6),
        "GammaRegressor": (lambda: linear_model.GammaRegressor(alpha=0.1), "positive", "predict", 1e-6),
        "StandardScaler": (lambda: preprocessing.StandardScaler(), "reg", "transform", 1e-10),
        "MinMaxScaler": (lambda: preprocessing.MinMaxScaler(), "reg", "transform", 1e-10),
        "MaxAbsScaler": (lambda: preprocessing.MaxAbsScaler(), "reg", "transform", 1e-10),
        "Normalizer": (lambda: preprocessing.Normalizer(), "reg", "transform", 1e-10),
        "KMeans": (lambda: cluster.KMeans(4, init=blob_init, n_init=1), "blobs", "transform", 1e-8),
        "MiniBatchKMeans": (
            lambda: cluster.MiniBatchKMeans(4, init=blob_init, n_init=1, random_state=0),
            "blobs",
            "transform",
            1e-6,
        ),
        "PCA": (lambda: decomposition.PCA(3, svd_solver="covariance_eigh"), "reg", "transform", 1e-6),
        "IncrementalPCA": (lambda: decomposition.IncrementalPCA(3, batch_size=300), "reg", "transform", 1e-6),
        "TruncatedSVD": (
            lambda: decomposition.TruncatedSVD(3, algorithm="arpack", random_state=0),
            "reg",
            "explained_variance_",
            1e-6,
        ),
        "GaussianMixture": (
            lambda: mixture.GaussianMixture(4, means_init=blob_init, max_iter=20, random_state=0),
            "blobs",
            "predict_proba",
            1e-6,
        ),
        "GaussianNB": (lambda: naive_bayes.GaussianNB(), "clf", "predict_proba", 1e-8),
        "MultinomialNB": (lambda: naive_bayes.MultinomialNB(), "counts", "predict_proba", 1e-8),
        "BernoulliNB": (lambda: naive_bayes.BernoulliNB(binarize=2.0), "counts", "predict_proba", 1e-8),
        "MLPClassifier-lbfgs": (
            lambda: neural_network.MLPClassifier(
                hidden_layer_sizes=(8,), solver="lbfgs", max_iter=300, random_state=0
            ),
            "clf",
            "predict_proba",
            1e-5,
        ),
        "MLPRegressor-adam": (
            lambda: neural_network.MLPRegressor(
                hidden_layer_sizes=(8,), max_iter=5, batch_size=200, shuffle=False, random_state=0
            ),
            "reg",
            "predict",
            1e-5,
        ),
    }


CASES = sorted(_cases())


def _output(est, method, X):
    out = getattr(est, method)
    return out(X) if callable(out) else out


def _host(a):
    import cupy as cp

    if isinstance(a, da.Array):
        a = a.compute()
    return cp.asnumpy(a) if isinstance(a, cp.ndarray) else np.asarray(a)


@pytest.mark.parametrize("name", CASES)
def test_cupy_input_matches_numpy(name):
    cp = pytest.importorskip("cupy")
    factory, kind, method, rtol = _cases()[name]
    X, y = _data(kind)
    ref = factory().fit(X, y)
    expected = np.asarray(_output(ref, method, X))
    scale = np.abs(expected).max()

    Xg = cp.asarray(X)
    yg = None if y is None else cp.asarray(y)
    in_memory = factory().fit(Xg, yg)
    got = _output(in_memory, method, Xg)
    if callable(getattr(in_memory, method)):
        assert isinstance(got, cp.ndarray), type(got)
    np.testing.assert_allclose(_host(got), expected, rtol=rtol, atol=rtol * scale)

    Xd = da.from_array(X, chunks=(300, -1)).map_blocks(cp.asarray)
    yd = None if y is None else da.from_array(y, chunks=300).map_blocks(cp.asarray)
    chunked = factory().fit(Xd, yd)
    got = _output(chunked, method, Xd)
    if callable(getattr(chunked, method)):
        assert isinstance(got, da.Array) and isinstance(got._meta, cp.ndarray), type(got)
    np.testing.assert_allclose(_host(got), expected, rtol=rtol, atol=rtol * scale)
