"""scipy.sparse CSR chunks through the engine: validation, map_reduce in every mode,
map_chunks, recovery of lost chunks, blockwise transforms with CSR output."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import check_array

import dml
from dml._engine.blockwise import apply_blockwise, guard_finite
from dml._engine.inputs import (
    raise_if_not_finite,
    validate_blockwise_data,
    validate_fit_data,
    validate_predict_data,
)
from dml._engine.mapreduce import count_passes, map_chunks, map_reduce
from dml._engine.namespace import get_namespace, is_sparse, to_numpy


class _Probe(BaseEstimator):
    pass


def _csr(n=400, p=30, density=0.1, seed=0, dtype=np.float64):
    return sp.random(n, p, density=density, format="csr", random_state=seed, dtype=dtype)


def _col_kernel(X, y, w, *, xp):
    """Per-column sums and squares from the stored entries, and the row count."""
    assert is_sparse(X) and X.format == "csr"
    p = X.shape[1]
    out = {
        "s": np.bincount(X.indices, weights=X.data, minlength=p),
        "q": np.bincount(X.indices, weights=X.data**2, minlength=p),
        "n": np.asarray(X.shape[0]),
        "nnz": np.asarray(X.nnz),
    }
    if y is not None:
        out["y"] = np.asarray(y, dtype=np.float64).sum()
    return out


SMALL = dict(chunk_bytes=1500, fast_path_bytes=500)


# ---------------------------------------------------------------- namespace helpers


def test_is_sparse_and_namespace_without_densifying():
    X = _csr()
    for m in (X, X.tocsc(), X.tocoo(), sp.csr_array(X)):
        assert is_sparse(m)
        assert get_namespace(m) is get_namespace(np.empty(0))
        assert to_numpy(m) is m
    for a in (np.ones(3), da.ones(3), None, 3.0, [1]):
        assert not is_sparse(a)
    assert not is_sparse(da.from_array(X, asarray=False))


# ------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr_array"])
def test_sparse_refused_with_sklearn_wording(fmt):
    X = _csr()
    X = sp.csr_array(X) if fmt == "csr_array" else X.asformat(fmt)
    with pytest.raises(TypeError) as expected:
        check_array(X, input_name="X")
    for call in (
        lambda: validate_fit_data(_Probe(), X),
        lambda: validate_predict_data(_fitted(), X),
        lambda: validate_blockwise_data(_Probe(), X, reset=True),
        lambda: validate_fit_data(_Probe(), da.from_array(_csr(), asarray=False, chunks=(100, 30))),
        lambda: validate_predict_data(_fitted(), da.from_array(_csr(), asarray=False, chunks=(100, 30))),
    ):
        with pytest.raises(TypeError) as got:
            call()
        assert str(got.value) == str(expected.value)
        assert str(got.value).startswith("Sparse data was passed for X, but dense data is required.")


def _fitted():
    est = _Probe()
    est.n_features_in_ = 30
    return est


def test_bad_accept_sparse_value():
    with pytest.raises(ValueError, match="should be a string, boolean or list of strings"):
        validate_fit_data(_Probe(), _csr(), accept_sparse=1)


# ---------------------------------------------------------------------- conversions


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr_array", "csc_array", "coo_array"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_in_memory_formats_become_csr_row_chunks(fmt, dtype):
    X = (_csr() * 10).astype(dtype)
    cls = {"csr_array": sp.csr_array, "csc_array": sp.csc_array, "coo_array": sp.coo_array}
    Xf = cls[fmt](X) if fmt in cls else X.asformat(fmt)
    with dml.config_context(**SMALL):
        with validate_fit_data(_Probe(), Xf, accept_sparse=True) as data:
            assert data.mode == "local" and data.sparse and data.n_chunks > 3
            expected = np.float64 if dtype == np.int64 else dtype
            assert data.dtype == expected
            for chunk in data.X:
                assert is_sparse(chunk) and chunk.format == "csr" and chunk.dtype == expected
                assert isinstance(chunk, sp.sparray) == isinstance(Xf, sp.sparray)
                assert chunk.has_canonical_format
            stacked = sp.vstack(data.X).toarray()
            out = map_reduce(_col_kernel, data)
    np.testing.assert_array_equal(stacked, X.toarray().astype(expected))
    np.testing.assert_allclose(out["s"], X.toarray().sum(axis=0), rtol=1e-6)
    assert int(out["n"]) == 400 and int(out["nnz"]) == X.nnz


def test_csr_chunks_are_views_of_the_input():
    X = _csr(2000, 20, 0.2)
    with dml.config_context(**SMALL):
        with validate_fit_data(_Probe(), X, accept_sparse="csr") as data:
            assert data.n_chunks > 5
            assert all(np.shares_memory(c.data, X.data) for c in data.X)
            assert all(np.shares_memory(c.indices, X.indices) for c in data.X)


def test_chunks_balance_nonzeros_not_rows():
    # the first 100 rows hold most of the nonzeros
    dense_part = _csr(100, 50, 0.9, seed=1)
    sparse_part = _csr(3900, 50, 0.01, seed=2)
    X = sp.vstack([dense_part, sparse_part]).tocsr()
    with dml.config_context(chunk_bytes=8000, fast_path_bytes=100):
        with validate_fit_data(_Probe(), X, accept_sparse=True) as data:
            nnz = [c.nnz for c in data.X]
            rows = data.row_chunks
    assert sum(rows) == 4000 and sum(nnz) == X.nnz
    assert rows[0] < 200 < max(rows)  # few rows where they are dense
    assert max(nnz[:-1]) < 2 * min(nnz[:-1])


def test_unsorted_indices_and_duplicates_are_canonicalised_without_touching_the_input():
    # row 0: columns 3, 1 (unsorted), row 1: column 2 twice (duplicates) and an explicit zero
    data = np.array([1.0, 2.0, 3.0, 4.0, 0.0])
    indices = np.array([3, 1, 2, 2, 0], dtype=np.int32)
    indptr = np.array([0, 2, 5], dtype=np.int32)
    X = sp.csr_matrix((data, indices, indptr), shape=(2, 4))
    before = (X.data.copy(), X.indices.copy())
    with validate_fit_data(_Probe(), X, accept_sparse=True) as d:
        chunk = d.X[0]
    assert chunk.has_canonical_format
    np.testing.assert_array_equal(chunk.toarray(), X.toarray())
    np.testing.assert_array_equal(X.data, before[0])
    np.testing.assert_array_equal(X.indices, before[1])
    assert 0.0 in chunk.data  # explicit zeros kept, as scikit-learn keeps them


def test_wrapped_int32_indptr_is_a_clear_error():
    X = _csr(10, 5, 0.5)
    X.indptr[5:] -= 2**31 - 1 + 0  # what an int32 row pointer past 2**31 - 1 looks like
    with pytest.raises(ValueError, match="int32 range"):
        validate_fit_data(_Probe(), X, accept_sparse=True)


def test_dask_sparse_chunks_keep_known_shapes_and_other_formats_become_csr():
    X = _csr(500, 40)
    D = da.from_array(X.tocsc(), chunks=(120, 40), asarray=False)
    V = validate_predict_data(_fitted_with(40), D, accept_sparse=True)
    assert is_sparse(V._meta) and V._meta.format == "csr"
    assert V.shape == (500, 40) and V.chunks[0] == (120, 120, 120, 120, 20)
    blocks = V.to_delayed().ravel()
    assert dask.compute(*blocks)[0].format == "csr"
    # column-chunked CSR is made one column block (metadata only)
    W = validate_blockwise_data(
        _Probe(), da.from_array(X, chunks=(100, 10), asarray=False), reset=True, accept_sparse=True
    )
    assert len(W.chunks[1]) == 1 and is_sparse(W._meta)
    # integer chunks are cast lazily
    Wi = validate_predict_data(
        _fitted_with(40), da.from_array((X * 10).astype(np.int32), asarray=False), accept_sparse=True
    )
    assert Wi.dtype == np.float64 and is_sparse(Wi._meta)
    assert Wi.blocks[0].compute().dtype == np.float64


def _fitted_with(p):
    est = _Probe()
    est.n_features_in_ = p
    return est


def test_dask_sparse_integer_chunks_cast_to_float():
    X = (_csr(300, 10) * 10).astype(np.int32)
    with validate_fit_data(
        _Probe(), da.from_array(X, chunks=(100, 10), asarray=False), accept_sparse=True, iterative=False
    ) as data:
        assert data.dtype == np.float64 and data.sparse and data.lazy
        out = map_reduce(_col_kernel, data)
    np.testing.assert_allclose(out["s"], X.toarray().sum(axis=0))


# ------------------------------------------------------------------ every run mode


def _sources(X):
    return {
        "in-memory": X,
        "dask": da.from_array(X, chunks=(150, X.shape[1]), asarray=False),
    }


@pytest.mark.parametrize("source", ["in-memory", "dask"])
@pytest.mark.parametrize("iterative", [False, True])
def test_map_reduce_every_mode(scheduler, source, iterative):
    X = _csr(1000, 25, 0.1, seed=3)
    y = np.arange(1000.0)
    Xin = _sources(X)[source]
    dense = X.toarray()
    with dml.config_context(**SMALL):
        with validate_fit_data(_Probe(), Xin, y, accept_sparse=True, iterative=iterative) as data:
            assert data.sparse and data.n_chunks > 1
            with count_passes() as counter:
                out = map_reduce(_col_kernel, data)
                out2 = map_reduce(_col_kernel, data)
    assert counter.passes == 2
    for o in (out, out2):
        np.testing.assert_allclose(o["s"], dense.sum(axis=0), rtol=1e-12)
        np.testing.assert_allclose(o["q"], (dense**2).sum(axis=0), rtol=1e-12)
        assert int(o["n"]) == 1000 and int(o["nnz"]) == X.nnz
        assert float(o["y"]) == y.sum()


def test_direct_mode_is_the_fast_path():
    X = _csr(50, 5)
    with validate_fit_data(_Probe(), X, accept_sparse=True) as data:
        assert data.mode == "direct" and data.X[0].format == "csr"
        out = map_reduce(_col_kernel, data)
    np.testing.assert_allclose(out["s"], X.toarray().sum(axis=0))


def test_in_memory_sparse_with_dask_y():
    X = _csr(600, 12)
    y = da.arange(600, chunks=200).astype(float)
    with dml.config_context(**SMALL):
        with validate_fit_data(_Probe(), X, y, accept_sparse=True) as data:
            assert data.sparse
            out = map_reduce(_col_kernel, data)
    np.testing.assert_allclose(out["s"], X.toarray().sum(axis=0))
    assert float(out["y"]) == np.arange(600.0).sum()


def _row_nnz(X, *, xp):
    return np.diff(X.indptr).astype(np.float64)


def test_map_chunks_from_sparse_X(scheduler):
    X = _csr(900, 20, seed=4)
    with dml.config_context(**SMALL):
        with validate_fit_data(_Probe(), X, accept_sparse=True) as data:
            derived = map_chunks(_row_nnz, data, which="y", source="X")
            np.testing.assert_array_equal(derived.gather("y"), np.diff(X.indptr))
            out = map_reduce(_col_kernel, derived)
    assert float(out["y"]) == X.nnz


def test_lost_sparse_chunks_are_made_again(cluster_client):
    X = _csr(1200, 15, seed=5)
    with cluster_client.as_current(), dml.config_context(**SMALL):
        with validate_fit_data(_Probe(), X, accept_sparse=True) as data:
            assert data.mode == "distributed" and data.n_chunks > 3
            first = map_reduce(_col_kernel, data)
            derived = map_chunks(_row_nnz, data, which="y", source="X")
            # lose a scattered X chunk and a derived y chunk
            cluster_client.cancel([data.X[1], derived.y[2]])
            again = map_reduce(_col_kernel, derived)
    np.testing.assert_allclose(again["s"], first["s"])
    np.testing.assert_allclose(first["s"], X.toarray().sum(axis=0))
    assert float(again["y"]) == X.nnz


# --------------------------------------------------------------- ride-along checks


@pytest.mark.parametrize("bad, message", [(np.nan, "Input X contains NaN."), (np.inf, "infinity")])
def test_ride_along_finite_check_reads_the_stored_values(bad, message):
    X = _csr(500, 10, seed=6)
    X.data[7] = bad
    with dml.config_context(**SMALL):
        with validate_fit_data(_Probe(), X, accept_sparse=True) as data:
            out = map_reduce(_col_kernel, data)
            with pytest.raises(ValueError, match=message):
                raise_if_not_finite(data, out["s"])


def test_ride_along_overflow_message_for_finite_sparse_input():
    with validate_fit_data(_Probe(), _csr(50, 4), accept_sparse=True) as data:
        with pytest.raises(ValueError, match="overflowed"):
            raise_if_not_finite(data, np.array([np.nan]))


# ---------------------------------------------------------------------- blockwise


def _scale_rows(X, *, xp, factor):
    out = X.copy()
    out.data = out.data * factor
    return out


def test_apply_blockwise_sparse_output_lazy_with_csr_meta():
    X = _csr(500, 30, seed=7)
    calls = []

    def spy(block):
        calls.append(1)
        return block

    D = da.from_array(X, chunks=(100, 30), asarray=False).map_blocks(spy, meta=X[:0])
    out = apply_blockwise(_scale_rows, D, n_outputs=30, sparse_output=True, factor=2.0)
    assert not calls
    assert is_sparse(out._meta) and out._meta.format == "csr"
    assert out.chunks == ((100,) * 5, (30,))
    got = out.compute()
    assert is_sparse(got)
    np.testing.assert_allclose(got.toarray(), 2 * X.toarray())
    # csr_array chunks keep their class in the meta
    Da = da.from_array(sp.csr_array(X), chunks=(100, 30), asarray=False)
    assert isinstance(
        apply_blockwise(_scale_rows, Da, n_outputs=30, sparse_output=True, factor=1.0)._meta, sp.sparray
    )


def _dense_to_csr(X, *, xp):
    return sp.csr_matrix(X)


def test_apply_blockwise_sparse_output_from_dense_and_in_memory():
    X = np.eye(6)
    D = da.from_array(X, chunks=(2, 6))
    out = apply_blockwise(_dense_to_csr, D, n_outputs=6, sparse_output=True)
    assert isinstance(out._meta, sp.csr_matrix)
    np.testing.assert_array_equal(out.compute().toarray(), X)
    got = apply_blockwise(_scale_rows, _csr(10, 3), n_outputs=3, sparse_output=True, factor=3.0)
    assert is_sparse(got)
    with pytest.raises(ValueError, match="needs n_outputs"):
        apply_blockwise(_dense_to_csr, D, sparse_output=True)


def test_dense_output_from_sparse_chunks():
    X = _csr(300, 8, seed=8)

    def row_sums(chunk, *, xp):
        return np.asarray(chunk.sum(axis=1)).ravel()

    D = da.from_array(X, chunks=(100, 8), asarray=False)
    out = apply_blockwise(row_sums, D)
    assert isinstance(out._meta, np.ndarray)
    np.testing.assert_allclose(out.compute(), X.toarray().sum(axis=1))


def test_guard_finite_on_sparse():
    X = _csr(20, 4, 0.5, seed=9)
    assert guard_finite(X, X) is X
    bad = X.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN."):
        guard_finite(bad, bad)
    assert guard_finite(bad, bad, allow_nan=True) is bad
    bad.data[0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        guard_finite(bad, bad, allow_nan=True)
