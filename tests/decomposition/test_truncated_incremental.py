"""TruncatedSVD and IncrementalPCA against scikit-learn; passes; array-API kernels."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import sklearn.decomposition as skd

from dml._engine.mapreduce import count_passes
from dml._engine.namespace import get_namespace, to_numpy
from dml.decomposition import IncrementalPCA, TruncatedSVD
from dml.decomposition import _pca_kernels as K


def _data(n=1200, p=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, p)) @ rng.normal(size=(p, p)) + 2.0


@pytest.mark.parametrize("algorithm", ["arpack", "randomized"])
def test_truncated_svd_matches_sklearn(algorithm):
    X = _data()
    ref = skd.TruncatedSVD(4, algorithm=algorithm, random_state=0).fit(X)
    est = TruncatedSVD(4, algorithm=algorithm, random_state=0).fit(da.from_array(X, chunks=(250, -1)))
    rtol = 1e-8 if algorithm == "arpack" else 1e-5
    np.testing.assert_allclose(est.singular_values_, ref.singular_values_, rtol=rtol)
    np.testing.assert_allclose(est.components_, ref.components_, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(est.explained_variance_, ref.explained_variance_, rtol=rtol)
    np.testing.assert_allclose(est.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=rtol)
    Z = est.transform(da.from_array(X, chunks=100))
    assert isinstance(Z, da.Array)
    np.testing.assert_allclose(Z.compute(), ref.transform(X), rtol=1e-5, atol=1e-6)


def test_truncated_svd_passes_and_errors():
    X = _data(n=400, p=6)
    with count_passes() as c:
        TruncatedSVD(2, n_iter=3, random_state=0).fit(da.from_array(X, chunks=100))
    assert c.passes == 3 + 1
    with count_passes() as c:
        TruncatedSVD(2, algorithm="arpack").fit(da.from_array(X, chunks=100))
    assert c.passes == 1
    with pytest.raises(ValueError, match=r"n_components\(7\) must be <= n_features\(6\)"):
        TruncatedSVD(7).fit(X)
    with pytest.raises(ValueError, match="a minimum of 2 is required"):
        TruncatedSVD(1).fit(X[:, :1])


@pytest.mark.parametrize("n_components,batch_size", [(None, None), (3, None), (3, 77)])
def test_incremental_pca_matches_sklearn(n_components, batch_size):
    X = _data()
    ref = skd.IncrementalPCA(n_components, batch_size=batch_size).fit(X)
    for Xin in (X, da.from_array(X, chunks=(333, -1))):
        with count_passes() as c:
            est = IncrementalPCA(n_components, batch_size=batch_size).fit(Xin)
        assert c.passes == 1
        np.testing.assert_allclose(est.components_, ref.components_, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(est.explained_variance_, ref.explained_variance_, rtol=1e-8)
        np.testing.assert_allclose(est.var_, ref.var_, rtol=1e-8)
        assert est.noise_variance_ == pytest.approx(ref.noise_variance_, rel=1e-8)
        assert est.batch_size_ == ref.batch_size_
    ref.partial_fit(X[:200])
    est.partial_fit(da.from_array(X[:200], chunks=(60, -1)))
    np.testing.assert_allclose(est.components_, ref.components_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(est.transform(X), ref.transform(X), rtol=1e-7, atol=1e-8)


def test_incremental_pca_errors():
    X = _data(n=50, p=6)
    with pytest.raises(ValueError, match="must be less or equal to the batch number of samples 4"):
        IncrementalPCA(5).partial_fit(X[:4])
    with pytest.raises(ValueError, match="invalid for n_features=6"):
        IncrementalPCA(8, batch_size=20).fit(X)
    Xn = X.copy()
    Xn[3, 3] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        IncrementalPCA(2).fit(da.from_array(Xn, chunks=20))


xps = pytest.importorskip("array_api_strict")


def test_kernels_on_array_api_strict():
    X = _data(n=300, p=5)
    ref = K.tsqr_kernel(X, None, None, xp=get_namespace(X))
    s = K.tsqr_kernel(xps.asarray(X), None, None, xp=xps)
    np.testing.assert_allclose(to_numpy(s["mean"]), ref["mean"], rtol=1e-12)
    R1, R2 = to_numpy(s["R"]), ref["R"]
    np.testing.assert_allclose(R1.T @ R1, R2.T @ R2, rtol=1e-10)
    Xc = X - X.mean(0)
    np.testing.assert_allclose(R2.T @ R2, Xc.T @ Xc, rtol=1e-10)
    merged = K.combine_tsqr(
        [
            K.tsqr_kernel(X[:100], None, None, xp=get_namespace(X)),
            K.tsqr_kernel(X[100:], None, None, xp=get_namespace(X)),
        ]
    )
    np.testing.assert_allclose(merged["R"].T @ merged["R"], Xc.T @ Xc, rtol=1e-10)
    V = np.random.default_rng(0).normal(size=(5, 3))
    ref = K.power_kernel(X, None, None, V, X.mean(0), xp=get_namespace(X))
    s = K.power_kernel(xps.asarray(X), None, None, V, X.mean(0), xp=xps)
    np.testing.assert_allclose(to_numpy(s["Z"]), ref["Z"], rtol=1e-10)
    np.testing.assert_allclose(ref["Z"], Xc.T @ (Xc @ V), rtol=1e-10)
    idx = np.arange(40, 340)
    ref = K.tsqr_kernel(X, idx, None, xp=get_namespace(X), batch_starts=np.array([0, 50, 100, 330]))
    assert sorted(ref["batches"]) == [0, 1, 2, 3]
    assert [ref["batches"][g]["n"] for g in range(4)] == [10, 50, 230, 10]
    s = K.tsqr_kernel(
        xps.asarray(X), xps.asarray(idx), None, xp=xps, batch_starts=np.array([0, 50, 100, 330])
    )
    assert [s["batches"][g]["n"] for g in range(4)] == [10, 50, 230, 10]
