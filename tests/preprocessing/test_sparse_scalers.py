"""StandardScaler(with_mean=False), MaxAbsScaler and Normalizer on scipy.sparse input
and Dask arrays of CSR chunks, against scikit-learn on the same sparse data."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.preprocessing as skp

import dml
from dml._engine.mapreduce import count_passes
from dml._engine.namespace import is_sparse
from dml.preprocessing import MaxAbsScaler, Normalizer, StandardScaler

RTOL = 1e-10
SMALL = dict(chunk_bytes=4000, fast_path_bytes=500)


def _data(n=1500, p=25, density=0.08, seed=0, nan=False):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=seed)
    X.data = X.data * 10 - 4 + 100 * (X.indices == 3)  # an offset feature, negatives
    if nan:
        X.data[rng.choice(X.nnz, 20, replace=False)] = np.nan
    X = X.tolil()
    X[:, 0] = 0  # feature 0 is never stored (all implicit zeros)
    X[1, :] = 0  # row 1 is empty
    return sp.csr_matrix(X)


def _unequal_chunks(X):
    """A Dask array of CSR chunks with very different row and nnz counts."""
    bounds = [0, 7, 400, 410, 1100, X.shape[0]]
    return da.from_array(X, chunks=(tuple(np.diff(bounds)), X.shape[1]), asarray=False)


def _assert_attrs(ours, theirs, names):
    for name in names:
        a, b = getattr(ours, name), getattr(theirs, name)
        if b is None:
            assert a is None, name
        else:
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-12, err_msg=name)


# --------------------------------------------------------------------- StandardScaler


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr_array"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("with_std", [True, False])
def test_standard_scaler_sparse_matches_sklearn(fmt, weighted, with_std):
    X = _data(nan=True)
    Xf = sp.csr_array(X) if fmt == "csr_array" else X.asformat(fmt)
    w = np.random.default_rng(1).random(X.shape[0]) if weighted else None
    theirs = skp.StandardScaler(with_mean=False, with_std=with_std).fit(Xf, sample_weight=w)
    for config in ({}, SMALL):
        with dml.config_context(**config):
            ours = StandardScaler(with_mean=False, with_std=with_std).fit(Xf, sample_weight=w)
        _assert_attrs(ours, theirs, ["mean_", "var_", "scale_", "n_samples_seen_"])
    Xt = ours.transform(Xf)
    assert is_sparse(Xt) and Xt.format == "csr"
    np.testing.assert_allclose(Xt.toarray(), theirs.transform(Xf).toarray(), rtol=RTOL)
    back = ours.inverse_transform(Xt)
    np.testing.assert_allclose(back.toarray(), Xf.toarray(), rtol=1e-12, atol=1e-12)


def test_standard_scaler_dask_csr_chunks_and_chunking_invariance():
    X = _data(seed=2)
    theirs = skp.StandardScaler(with_mean=False).fit(X)
    fits = []
    for D in (_unequal_chunks(X), da.from_array(X, chunks=(200, X.shape[1]), asarray=False)):
        with count_passes() as counter:
            fits.append(StandardScaler(with_mean=False).fit(D))
        assert counter.passes == 1
        _assert_attrs(fits[-1], theirs, ["mean_", "var_", "scale_"])
        assert fits[-1].n_samples_seen_ == X.shape[0]
    np.testing.assert_allclose(fits[0].var_, fits[1].var_, rtol=1e-13)
    with dml.config_context(**SMALL):
        in_memory = StandardScaler(with_mean=False).fit(X)
    np.testing.assert_allclose(in_memory.var_, fits[0].var_, rtol=1e-13)


def test_standard_scaler_partial_fit_sparse():
    X = _data(seed=3, nan=True)
    theirs = skp.StandardScaler(with_mean=False)
    ours = StandardScaler(with_mean=False)
    for a, b in ((0, 500), (500, 520), (520, 1500)):
        theirs.partial_fit(X[a:b])
        ours.partial_fit(X[a:b])
    _assert_attrs(ours, theirs, ["mean_", "var_", "scale_", "n_samples_seen_"])


def test_standard_scaler_centering_sparse_refused_with_sklearn_wording():
    X = _data()
    for est, call in (
        (skp.StandardScaler(), lambda e: e.fit(X)),
        (skp.StandardScaler().fit(X.toarray()), lambda e: e.transform(X)),
        (skp.StandardScaler().fit(X.toarray()), lambda e: e.inverse_transform(X)),
    ):
        with pytest.raises(ValueError) as expected:
            call(est)
        ours = StandardScaler() if not hasattr(est, "mean_") else StandardScaler().fit(X.toarray())
        with pytest.raises(ValueError) as got:
            call(ours)
        assert str(got.value) == str(expected.value)
    D = da.from_array(X, chunks=(500, X.shape[1]), asarray=False)
    with pytest.raises(ValueError, match="Cannot center sparse matrices"):
        StandardScaler().fit(D)


def test_standard_scaler_dask_transform_is_lazy_and_sparse():
    X = _data(seed=4)
    calls = []

    def spy(block):
        calls.append(1)
        return block

    D = _unequal_chunks(X).map_blocks(spy, meta=X[:0])
    scaler = StandardScaler(with_mean=False).fit(X)
    calls.clear()
    out = scaler.transform(D)
    assert not calls
    assert is_sparse(out._meta) and out.chunks == D.chunks
    got = out.compute()
    assert is_sparse(got)
    np.testing.assert_allclose(
        got.toarray(), skp.StandardScaler(with_mean=False).fit(X).transform(X).toarray(), rtol=RTOL
    )


def test_standard_scaler_sparse_copy_false_scales_in_place():
    X = _data(seed=5)
    scaler = StandardScaler(with_mean=False, copy=False).fit(X)
    expected = skp.StandardScaler(with_mean=False).fit(X).transform(X.copy())
    out = scaler.transform(X)
    assert out is X
    np.testing.assert_allclose(X.toarray(), expected.toarray(), rtol=RTOL)


# ------------------------------------------------------------------------ MaxAbsScaler


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr_array"])
def test_maxabs_scaler_sparse_matches_sklearn(fmt):
    X = _data(seed=6, nan=True).tolil()
    X[:, 7] = -np.abs(X[:, 7].toarray()) - 1  # a dense, all-negative feature
    X[:, 9] = np.nan  # a feature that is all NaN
    X = sp.csr_matrix(X)
    Xf = sp.csr_array(X) if fmt == "csr_array" else X.asformat(fmt)
    theirs = skp.MaxAbsScaler().fit(Xf)
    for config in ({}, SMALL):
        with dml.config_context(**config):
            ours = MaxAbsScaler().fit(Xf)
        np.testing.assert_array_equal(ours.max_abs_, theirs.max_abs_)
        np.testing.assert_array_equal(ours.scale_, theirs.scale_)
        assert ours.n_samples_seen_ == theirs.n_samples_seen_
    Xt = ours.transform(Xf)
    assert is_sparse(Xt)
    np.testing.assert_array_equal(Xt.toarray(), theirs.transform(Xf).toarray())
    np.testing.assert_array_equal(
        ours.inverse_transform(Xt).toarray(), theirs.inverse_transform(Xt).toarray()
    )


def test_maxabs_scaler_dask_csr_chunks_and_partial_fit():
    X = _data(seed=7)
    theirs = skp.MaxAbsScaler().fit(X)
    D = _unequal_chunks(X)
    with count_passes() as counter:
        ours = MaxAbsScaler().fit(D)
    assert counter.passes == 1
    np.testing.assert_array_equal(ours.max_abs_, theirs.max_abs_)
    out = ours.transform(D)
    assert is_sparse(out._meta)
    np.testing.assert_array_equal(out.compute().toarray(), theirs.transform(X).toarray())
    inc = MaxAbsScaler()
    for a, b in ((0, 3), (3, 900), (900, 1500)):
        inc.partial_fit(X[a:b])
    np.testing.assert_array_equal(inc.max_abs_, theirs.max_abs_)


# -------------------------------------------------------------------------- Normalizer


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normalizer_sparse_matches_sklearn(norm, dtype):
    X = _data(seed=8).astype(dtype)
    expected = skp.Normalizer(norm=norm).fit_transform(X)
    got = Normalizer(norm=norm).fit_transform(X)
    assert is_sparse(got) and got.dtype == dtype
    np.testing.assert_allclose(got.toarray(), expected.toarray(), rtol=1e-6 if dtype == np.float32 else RTOL)
    D = _unequal_chunks(X)
    lazy = Normalizer(norm=norm).fit(D).transform(D)
    assert is_sparse(lazy._meta) and lazy.dtype == dtype
    np.testing.assert_array_equal(lazy.compute().toarray(), got.toarray())


def test_normalizer_sparse_nan_is_refused():
    X = _data(seed=9)
    X.data[3] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN."):
        Normalizer().fit(X)
    D = da.from_array(X, chunks=(500, X.shape[1]), asarray=False)
    out = Normalizer().fit(D).transform(D)
    with pytest.raises(ValueError, match="Input X contains NaN."):
        out.compute()


# ------------------------------------------------------------- 2**20 features, sparse


@pytest.mark.slow
def test_fit_with_a_million_features_never_densifies():
    """1,000,000 x 2**20 (8 TB if dense) with 2 million nonzeros, in 20 chunks."""
    rng = np.random.default_rng(10)
    n, p, nnz = 1_000_000, 2**20, 2_000_000
    rows = np.sort(rng.integers(0, n, nnz))
    cols = rng.integers(0, p, nnz)
    X = sp.csr_matrix((rng.normal(size=nnz), (rows, cols)), shape=(n, p))
    with dml.config_context(chunk_bytes=X.nnz * 12 // 20, fast_path_bytes=1):
        with count_passes() as counter:
            ours = StandardScaler(with_mean=False).fit(X)
            maxabs = MaxAbsScaler().fit(X)
    assert counter.passes == 2
    theirs = skp.StandardScaler(with_mean=False).fit(X)
    _assert_attrs(ours, theirs, ["mean_", "var_", "scale_"])
    np.testing.assert_array_equal(maxabs.max_abs_, skp.MaxAbsScaler().fit(X).max_abs_)
    D = da.from_array(X, chunks=(50_000, p), asarray=False)
    lazy = StandardScaler(with_mean=False).fit(D)
    np.testing.assert_allclose(lazy.var_, theirs.var_, rtol=RTOL, atol=1e-12)
    Xt = lazy.transform(D)
    assert Xt.shape == (n, p) and is_sparse(Xt._meta)
    first = Xt.blocks[0].compute()
    np.testing.assert_allclose(first.data, theirs.transform(X[:50_000]).data, rtol=RTOL)
