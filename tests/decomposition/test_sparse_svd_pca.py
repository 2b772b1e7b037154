"""TruncatedSVD (and PCA where scikit-learn takes sparse input) on scipy.sparse input
and Dask arrays of CSR chunks, against scikit-learn on the same sparse data."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.decomposition as skd

import dml
import dml.decomposition
from dml._engine.mapreduce import count_passes
from dml.decomposition import TruncatedSVD

SMALL = dict(chunk_bytes=6000, fast_path_bytes=500)


def _data(n=1500, p=120, density=0.08, seed=0):
    """Sparse data with a decaying spectrum (columns scaled by 0.6**j): the top
    components are well separated, so approximate solvers agree."""
    X = sp.random(n, p, density=density, format="csr", random_state=seed)
    X.data = (X.data + 0.5) * (0.6 ** np.arange(p))[X.indices] * 10
    X = X.tolil()
    X[1, :] = 0  # an empty row
    return sp.csr_matrix(X)


def _unequal(X):
    bounds = [0, 9, 600, 640, 1200, X.shape[0]]
    return da.from_array(X, chunks=(tuple(np.diff(bounds)), X.shape[1]), asarray=False)


def _assert_svd(ours, theirs, rtol=1e-7):
    np.testing.assert_allclose(ours.singular_values_, theirs.singular_values_, rtol=rtol)
    np.testing.assert_allclose(ours.components_, theirs.components_, atol=1e3 * rtol)
    np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e2 * rtol)
    np.testing.assert_allclose(
        ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e2 * rtol
    )


@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "csr_array", "coo_matrix"])
def test_truncated_svd_matches_sklearn(algorithm, fmt):
    X = getattr(sp, fmt)(_data())
    theirs = skd.TruncatedSVD(4, algorithm=algorithm, random_state=0).fit(X)
    for config in ({}, SMALL):
        with dml.config_context(**config):
            ours = TruncatedSVD(4, algorithm=algorithm, random_state=0).fit(X)
        _assert_svd(ours, theirs)
        np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-6, atol=1e-6)


def test_randomized_pass_count_and_chunking_invariance():
    X = _data(seed=2)
    with dml.config_context(**SMALL), count_passes() as c:
        ref = TruncatedSVD(3, n_iter=5, random_state=0).fit(X)
    assert c.passes == 5 + 1  # power iterations (the first with the moments), the final product
    Xd = _unequal(X)
    ours = TruncatedSVD(3, n_iter=5, random_state=0).fit(Xd)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-10)
    np.testing.assert_allclose(ours.components_, ref.components_, atol=1e-9)
    other = TruncatedSVD(3, n_iter=5, random_state=0).fit(Xd.rechunk({0: 500}))
    np.testing.assert_allclose(other.components_, ref.components_, atol=1e-9)


def test_dask_csr_chunks_lazy_transform():
    X = _data(seed=4)
    Xd = _unequal(X)
    theirs = skd.TruncatedSVD(3, algorithm="arpack").fit(X)
    ours = TruncatedSVD(3, algorithm="arpack").fit(Xd)
    _assert_svd(ours, theirs)
    with count_passes() as c:
        Xt = ours.transform(Xd)
    assert c.passes == 0 and isinstance(Xt, da.Array) and Xt.chunks[0] == Xd.chunks[0]
    np.testing.assert_allclose(Xt.compute(), theirs.transform(X), rtol=1e-6, atol=1e-8)


def test_float32_and_nan():
    X = _data(seed=6).astype(np.float32)
    ours = TruncatedSVD(3, random_state=0).fit(X)
    assert ours.components_.dtype == np.float32
    assert ours.transform(X).dtype == np.float32
    X = X.astype(np.float64)
    X.data[5] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        TruncatedSVD(3).fit(X)


@pytest.mark.slow
def test_hashed_2_pow_20_features():
    """2**20 columns (8 TB of dense float64 for 1e6 rows): memory follows the nonzeros
    plus n_features * (n_components + n_oversamples)."""
    rng = np.random.default_rng(0)
    n, p, per_row = 4000, 2**20, 20
    hot = rng.choice(p, 10, replace=False)  # frequent columns of decaying weight: the top components
    j = rng.integers(0, 10, n * per_row)
    is_hot = rng.random(n * per_row) < 0.5
    cols = np.where(is_hot, hot[j], rng.integers(0, p, n * per_row))
    vals = np.where(is_hot, 4 * 0.5**j, 0.1) * (rng.random(n * per_row) + 0.5)
    X = sp.csr_matrix((vals, (np.repeat(np.arange(n), per_row), cols)), shape=(n, p))
    with dml.config_context(chunk_bytes=X.nnz * 12 // 4):
        ours = TruncatedSVD(3, n_iter=7, random_state=0).fit(_unequal_rows(X))
    theirs = skd.TruncatedSVD(3, algorithm="arpack").fit(X)
    assert ours.components_.shape == (3, p)
    np.testing.assert_allclose(ours.singular_values_, theirs.singular_values_, rtol=1e-4)


def _unequal_rows(X):
    return da.from_array(X, chunks=((100, 1900, 2000), X.shape[1]), asarray=False)


PCA_ATTRS = ["mean_", "components_", "explained_variance_", "explained_variance_ratio_", "singular_values_"]


@pytest.mark.parametrize("solver", ["arpack", "covariance_eigh", "auto"])
def test_pca_sparse_matches_sklearn(solver):
    X = _data(seed=8)
    theirs = skd.PCA(4, svd_solver=solver, random_state=0).fit(X)
    for Xin in (X, sp.csc_array(X), _unequal(X)):
        ours = dml.decomposition.PCA(4, svd_solver=solver, random_state=0).fit(Xin)
        for name in PCA_ATTRS:
            np.testing.assert_allclose(
                np.ravel(getattr(ours, name)), np.ravel(getattr(theirs, name)), rtol=1e-7, atol=1e-10
            )
        np.testing.assert_allclose(ours.noise_variance_, theirs.noise_variance_, rtol=1e-7)
        assert ours._fit_svd_solver == theirs._fit_svd_solver
    Xt = ours.transform(_unequal(X))
    assert isinstance(Xt, da.Array)
    np.testing.assert_allclose(Xt.compute(), theirs.transform(X), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("solver", ["full", "randomized"])
def test_pca_other_solvers_refuse_sparse(solver):
    X = _data(n=200, p=20, seed=1)
    msg = 'PCA only support sparse inputs with the "arpack" and "covariance_eigh" solvers'
    with pytest.raises(TypeError, match=msg):
        skd.PCA(3, svd_solver=solver).fit(X)
    with pytest.raises(TypeError, match=msg):
        dml.decomposition.PCA(3, svd_solver=solver).fit(X)


@pytest.mark.parametrize("sparse", [True, False])
def test_svd_power_kernel_folds_chunks_into_one_partial(sparse):
    """``map_reduce(..., accumulate=True)``: a task folds its chunks into one ``Z`` in
    place; the fold equals the kernel on the stacked chunks and the pairwise combine."""
    from dml._engine.namespace import get_namespace
    from dml.decomposition._pca_kernels import combine_svd_power, svd_power_kernel

    X = _data(n=300, p=40, seed=5)
    X = X if sparse else X.toarray()
    xp = get_namespace(np.zeros(1))
    V = np.random.default_rng(0).normal(size=(40, 6))
    kw = dict(xp=xp, moments=True, r_factor=True)
    whole = svd_power_kernel(X, None, None, V, **kw)
    first = svd_power_kernel(X[:120], None, None, V, **kw)
    Z_buffer = first["Z"]
    folded = svd_power_kernel(X[120:], None, None, V, out=first, **kw)
    assert folded["Z"] is Z_buffer  # added in place, no second buffer
    pair = combine_svd_power(
        [svd_power_kernel(X[:120], None, None, V, **kw), svd_power_kernel(X[120:], None, None, V, **kw)]
    )
    Xd = X.toarray() if sparse else X
    for got in (folded, pair):
        np.testing.assert_allclose(got["Z"], whole["Z"], rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(got["Z"], Xd.T @ (Xd @ V), rtol=1e-12, atol=1e-10)
        R = got["R"]
        np.testing.assert_allclose(R.T @ R, (Xd @ V).T @ (Xd @ V), rtol=1e-10)
        np.testing.assert_allclose(got["mom"]["mean"], Xd.mean(axis=0), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(got["mom"]["m2"] / 300, Xd.var(axis=0), rtol=1e-10, atol=1e-15)
    Z32 = svd_power_kernel(X.astype(np.float32), None, None, V, xp=xp)["Z"]
    assert Z32.dtype == np.float32  # float32 data iterate in float32, as scikit-learn


@pytest.mark.parametrize("normalizer", ["auto", "QR", "none"])
def test_randomized_equals_sklearn_to_rounding_on_a_cluster(cluster_client, normalizer):
    """n_samples >= n_features: the same random block and Krylov subspace as scikit-learn's
    randomized SVD, and its Rayleigh-Ritz step (B = Q^T X), so the fit equals scikit-learn's
    to rounding; on a 2-worker cluster each task folds its worker's chunks."""
    X = _data(n=2000, p=150, seed=3)
    n_iter = 2 if normalizer == "none" else 4
    theirs = skd.TruncatedSVD(5, n_iter=n_iter, power_iteration_normalizer=normalizer, random_state=0).fit(X)
    Xd = da.from_array(X, chunks=((300,) * 6 + (200,), X.shape[1]), asarray=False)
    with cluster_client.as_current(), count_passes() as c:
        ours = TruncatedSVD(5, n_iter=n_iter, power_iteration_normalizer=normalizer, random_state=0).fit(Xd)
    assert c.passes == n_iter + 1
    np.testing.assert_allclose(ours.singular_values_, theirs.singular_values_, rtol=1e-12)
    np.testing.assert_allclose(ours.components_, theirs.components_, atol=1e-10)
    np.testing.assert_allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-9)


def test_randomized_on_lazy_csr_chunks_streams(cluster_client):
    """Data not persisted (``persist=False``): every pass re-reads the CSR chunks from
    their source and keeps no transposes on the workers; the same fit."""
    from dml._engine.mapreduce import chunk_cache_size

    X = _data(n=2000, p=150, seed=3)
    theirs = skd.TruncatedSVD(5, n_iter=3, random_state=0).fit(X)
    Xd = da.from_array(X, chunks=((400,) * 5, X.shape[1]), asarray=False)
    with cluster_client.as_current(), dml.config_context(persist=False):
        ours = TruncatedSVD(5, n_iter=3, random_state=0).fit(Xd)
    assert sum(cluster_client.run(chunk_cache_size).values()) == 0
    np.testing.assert_allclose(ours.singular_values_, theirs.singular_values_, rtol=1e-12)
    np.testing.assert_allclose(ours.components_, theirs.components_, atol=1e-10)


@pytest.mark.parametrize("sparse", [True, False])
def test_svd_slab_kernel_equals_the_whole_block_kernel(sparse):
    """The slab kernel (V and Z split by feature slabs) gives the slabs of
    :func:`svd_power_kernel`'s Z, folds chunks into its slabs in place, and its compiled
    in-place CSR product equals the Python loop."""
    from dml._engine.namespace import get_namespace
    from dml.decomposition._pca_kernels import _csr_dense_accumulate, svd_power_kernel, svd_slab_kernel

    X = _data(n=300, p=40, seed=5)
    X = X if sparse else X.toarray()
    xp = get_namespace(np.zeros(1))
    V = np.random.default_rng(0).normal(size=(40, 6))
    bounds = [0, 13, 29, 40]
    Vs = [V[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    kw = dict(xp=xp, moments=True, r_factor=True)
    whole = svd_power_kernel(X, None, None, V, **kw)
    cache = {}
    first = svd_slab_kernel(X[:120], None, None, *Vs, bounds=bounds, cache=cache, **kw)
    buffers = [z for z in first["Z"]]
    folded = svd_slab_kernel(X[120:], None, None, *Vs, bounds=bounds, out=first, **kw)
    assert all(a is b for a, b in zip(folded["Z"], buffers))  # added in place
    assert len(folded["Z"]) == 3
    for (a, b), Zs in zip(zip(bounds[:-1], bounds[1:]), folded["Z"]):
        np.testing.assert_allclose(Zs, whole["Z"][a:b], rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(folded["R"].T @ folded["R"], whole["R"].T @ whole["R"], rtol=1e-10)
    np.testing.assert_allclose(folded["mom"]["m2"], whole["mom"]["m2"], rtol=1e-10, atol=1e-15)
    if sparse:
        assert len(cache[("xt_slabs", tuple(bounds))]) == 3  # the chunk's transpose, per slab
        A = X.T.tocsr()
        D = np.random.default_rng(1).normal(size=(300, 4))
        out, ref = np.ones((40, 4)), np.ones((40, 4))
        _csr_dense_accumulate(A.indptr, A.indices, A.data, D, out)
        _csr_dense_accumulate.py_func(A.indptr, A.indices, A.data, D, ref)
        np.testing.assert_allclose(out, ref, rtol=1e-14)
        np.testing.assert_allclose(out, 1 + A @ D, rtol=1e-12)


@pytest.mark.parametrize("normalizer", ["auto", "LU", "QR", "none"])
def test_randomized_keeps_the_tall_blocks_on_the_workers(cluster_client, normalizer):
    """CSR chunks on a cluster run the slab passes (V and Z as one row slab per worker,
    one :func:`svd_slab_kernel` pass per power iteration): equal to scikit-learn's fit
    to rounding whatever the normaliser ('LU' and 'QR' both orthonormalise by the R
    factor of Z: the same subspace as scikit-learn's factors), and to the local fit."""
    X = _data(n=2000, p=150, seed=7)
    n_iter = 2 if normalizer == "none" else 5
    kw = dict(n_iter=n_iter, power_iteration_normalizer=normalizer, random_state=0)
    theirs = skd.TruncatedSVD(6, **kw).fit(X)
    local = TruncatedSVD(6, **kw).fit(X)
    Xd = da.from_array(X, chunks=((300,) * 6 + (200,), X.shape[1]), asarray=False)
    with cluster_client.as_current(), count_passes() as c:
        ours = TruncatedSVD(6, **kw).fit(Xd)
    assert c.kernels == ["svd_slab_kernel"] * (n_iter + 1)
    for other in (theirs, local):
        np.testing.assert_allclose(ours.singular_values_, other.singular_values_, rtol=1e-12)
        np.testing.assert_allclose(ours.components_, other.components_, atol=1e-10)
        np.testing.assert_allclose(ours.explained_variance_, other.explained_variance_, rtol=1e-9)


def test_randomized_slab_passes_float32_and_rank_deficient(cluster_client):
    """float32 CSR chunks iterate in float32 on the slabs; data of rank 3 under a
    15-column block (a rank-deficient Z) give finite components and scikit-learn's
    top singular values."""
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(rng.normal(size=(900, 3)) @ sp.random(3, 200, density=0.3, random_state=1).toarray())
    Xd = da.from_array(X, chunks=(300, X.shape[1]), asarray=False)
    theirs = skd.TruncatedSVD(5, random_state=0).fit(X)
    with cluster_client.as_current():
        ours = TruncatedSVD(5, random_state=0).fit(Xd)
        ours32 = TruncatedSVD(5, random_state=0).fit(Xd.astype(np.float32))
    assert np.all(np.isfinite(ours.components_))
    np.testing.assert_allclose(ours.singular_values_[:3], theirs.singular_values_[:3], rtol=1e-10)
    np.testing.assert_allclose(ours.components_[:3], theirs.components_[:3], atol=1e-9)
    assert ours32.components_.dtype == np.float32 and np.all(np.isfinite(ours32.components_))
    np.testing.assert_allclose(ours32.singular_values_[:3], theirs.singular_values_[:3], rtol=1e-4)
