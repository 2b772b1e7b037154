"""Dask input the caller already persisted on the cluster is used where it lies: the
persist policy counts it as no extra memory (a Dask array of CSR chunks, whose size is
unknown and counted as dense, would otherwise be read from its graph on every pass)."""

import dask.array as da
import numpy as np
import scipy.sparse as sp
from distributed import futures_of, wait

import dml
from dml._engine.inputs import validate_fit_data
from dml._engine.mapreduce import map_reduce


def _sums_kernel(X, y, w, *, xp):
    return {"col": np.asarray(X.sum(axis=0)).ravel(), "y": np.sum(y), "n": X.shape[0]}


def test_caller_persisted_sparse_input_is_kept_as_it_lies(cluster_client):
    rng = np.random.default_rng(0)
    n, p = 2_000, 2**20  # dense: 16 GiB, more than the policy's half of 2 x 4 GiB
    X = sp.csr_matrix(
        (np.ones(20 * n), rng.integers(0, p, 20 * n), np.arange(0, 20 * n + 1, 20)), shape=(n, p)
    )
    X.sum_duplicates()
    y = rng.integers(0, 2, n).astype(float)
    Xd = da.from_array(X, chunks=(500, p), asarray=False)
    yd = da.from_array(y, chunks=500)
    expected = np.asarray(X.sum(axis=0)).ravel()
    with cluster_client.as_current():
        with validate_fit_data(None, Xd, yd, accept_sparse="csr") as data:
            assert data.lazy  # not persisted: too large counted as dense
        Xp, yp = cluster_client.persist([Xd, yd])
        wait([Xp, yp])
        with validate_fit_data(None, Xp, yp, accept_sparse="csr") as data:
            assert not data.lazy and data.mode == "distributed" and data.sparse
            assert {f.key for f in data.X} == {f.key for f in futures_of(Xp)}  # the caller's chunks
            out = map_reduce(_sums_kernel, data)
        np.testing.assert_allclose(out["col"], expected)
        assert out["n"] == n and out["y"] == y.sum()
        with dml.config_context(persist=False), validate_fit_data(None, Xp, yp, accept_sparse="csr") as data:
            assert data.lazy  # the policy's override still holds
        # persisted X with a lazy y: only y is persisted for the fit
        with validate_fit_data(None, Xp, yd, accept_sparse="csr") as data:
            assert not data.lazy
            np.testing.assert_allclose(map_reduce(_sums_kernel, data)["col"], expected)
