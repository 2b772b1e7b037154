"""Putting the parts' outputs side by side: in memory as scikit-learn's ColumnTransformer
does, and on Dask input partition by partition (row block by row block), lazily.

Every part of a ColumnTransformer transforms the same rows, so its output on Dask input
has one row block per input partition (or row chunk). Each part's output is taken as
its per-block pieces (``to_delayed``) and block ``i`` of the result stacks piece ``i``
of every part; row lengths are never needed, so unknown partition lengths stay unknown
and nothing is computed.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_array

from dml._engine.namespace import get_namespace, is_dask_frame, is_device_array


def _is_pandas_frame(X):
    return (type(X).__module__ or "").startswith("pandas") and hasattr(X, "iloc") and X.ndim == 2


def _to_sparse_parts(Xs):
    try:
        # as scikit-learn: every part numeric before it is stacked in a sparse matrix
        return [check_array(X, accept_sparse=True, ensure_all_finite=False, ensure_min_samples=0) for X in Xs]
    except ValueError as e:
        raise ValueError(
            "For a sparse output, all columns should be a numeric or convertible to a numeric."
        ) from e


def hstack_in_memory(Xs, *, sparse_output, pandas, names, index, n_samples):
    """scikit-learn's stacking of in-memory outputs: sparse CSR when ``sparse_output``;
    with pandas output, the parts' DataFrames concatenated (their dtypes kept) when they
    all are DataFrames, else a NumPy ``hstack`` put in a DataFrame; NumPy otherwise."""
    import pandas as pd

    if sparse_output:
        if pandas:
            raise ValueError(
                "The transformer outputs a scipy sparse matrix. Try to set the transformer "
                "output to a dense array or disable pandas output with "
                "set_output(transform='default')."
            )
        return sparse.hstack(_to_sparse_parts(Xs)).tocsr()
    Xs = [X.toarray() if sparse.issparse(X) else X for X in Xs]
    if pandas and all(_is_pandas_frame(X) for X in Xs):
        renamed = [
            X.set_axis([f"tmp_col_name_{i}_{j}" for j in range(X.shape[1])], axis=1) for i, X in enumerate(Xs)
        ]
        out = pd.concat(renamed, axis=1)
        if out.shape[0] != n_samples:
            raise ValueError(
                "Concatenating DataFrames from the transformer's output lead to an inconsistent "
                "number of samples. The output may have Pandas Indexes that do not match, or "
                "that transformers are returning number of samples which are not the same as "
                "the number input samples."
            )
        return out.set_axis(list(names), axis=1)
    out = np.hstack(Xs)
    if pandas:
        return pd.DataFrame(out, index=index, columns=list(names))
    return out


def hstack_block(Xs, sparse_output, pandas, names, index):
    """One row block of the result from the parts' pieces of that block (also run on
    the parts' empty metadata to give the result's). Pandas output: each part becomes a
    DataFrame on the block's index (its dtypes kept) and they are concatenated."""
    import pandas as pd

    if sparse_output:
        return sparse.hstack(_to_sparse_parts(Xs), format="csr")
    Xs = [X.toarray() if sparse.issparse(X) else X for X in Xs]
    if not pandas:
        if Xs and all(is_device_array(X) for X in Xs):  # CuPy (array-API) blocks stay on their device
            return get_namespace(*Xs).concat(Xs, axis=1)
        return np.hstack([np.asarray(X) for X in Xs])
    frames = []
    for i, X in enumerate(Xs):
        tmp = [f"tmp_col_name_{i}_{j}" for j in range(X.shape[1])]
        if _is_pandas_frame(X):
            frames.append(X.set_axis(tmp, axis=1).set_axis(index, axis=0))
        else:
            frames.append(pd.DataFrame(X, index=index, columns=tmp))
    out = pd.concat(frames, axis=1) if frames else pd.DataFrame(index=index)
    return out.set_axis(list(names), axis=1)


def _empty_rows(block):
    return np.zeros((block.shape[0], 0))


def empty_meta(out):
    """A part's (or a piece's) output with no rows: its type, columns and dtypes."""
    if hasattr(out, "iloc"):
        return out.iloc[:0]
    return out[:0]


def blocks_of(X):
    """The per-row-block pieces (``Delayed``) of a Dask DataFrame, Series or array
    (arrays in one column block)."""
    if is_dask_frame(X):
        return list(X.to_delayed())
    if X.ndim == 2 and X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    return list(X.to_delayed().ravel())


def part_pieces(out, n_blocks, name):
    """``(pieces, meta)`` of one part's lazy output (Dask DataFrame, Series or 2-D
    array) with one piece per input row block."""
    if is_dask_frame(out):
        if out.ndim == 1:
            out = out.to_frame()
        meta = out._meta
    else:
        if out.ndim != 2:
            raise ValueError(
                f"The output of the '{name}' transformer should be 2D (numpy array, scipy sparse array, dataframe)."
            )
        if sparse.issparse(out._meta):
            meta = type(out._meta)((0, out.shape[1]), dtype=out.dtype)
        elif is_device_array(out._meta):
            meta = get_namespace(out._meta).empty((0, out.shape[1]), dtype=out._meta.dtype)
        else:
            meta = np.empty((0, out.shape[1]), dtype=out.dtype)
    pieces = blocks_of(out)
    if len(pieces) != n_blocks:
        raise ValueError(
            f"The output of the '{name}' transformer has {len(pieces)} row blocks for input with "
            f"{n_blocks}: a transformer inside a ColumnTransformer on Dask input must keep the "
            "input's partitions (one output block per input block)."
        )
    return pieces, meta


def stitch(parts, X, *, sparse_output, pandas, names):
    """The lazy result on Dask input X: block ``i`` stacks piece ``i`` of every part.

    ``parts`` is a list of ``(pieces, meta)``. Default output: a Dask array with X's
    row chunks (NaN lengths when unknown, e.g. from a Dask DataFrame), a SciPy CSR
    meta when ``sparse_output``. Pandas output: a Dask DataFrame with X's partitions,
    divisions and index (a Dask DataFrame input) and ``names`` as columns.
    """
    import dask.dataframe as dd
    import pandas as pd

    frame_in = is_dask_frame(X)
    n_blocks = X.npartitions if frame_in else X.numblocks[0]
    rows = (np.nan,) * n_blocks if frame_in else X.chunks[0]
    if pandas:
        if frame_in:
            index_pieces, meta_index = list(X.index.to_delayed()), X._meta.index
        else:
            starts = np.concatenate([[0], np.cumsum(rows)])
            index_pieces = [
                pd.RangeIndex(int(a), int(a + n)) if not np.isnan(n) else None for a, n in zip(starts, rows)
            ]
            if any(i is None for i in index_pieces):  # unknown lengths: the block's own positions
                index_pieces = [dask.delayed(pd.RangeIndex)(dask.delayed(len)(b)) for b in blocks_of(X)]
            meta_index = pd.RangeIndex(0)
    else:
        index_pieces, meta_index = [None] * n_blocks, None
    if not parts:  # nothing selected: n_samples x 0, as scikit-learn
        pieces = [dask.delayed(_empty_rows)(b) for b in blocks_of(X)]
        meta = np.zeros((0, 0))
        if pandas:
            pieces = [dask.delayed(pd.DataFrame)(index=i) for i in index_pieces]
            return dd.from_delayed(
                pieces, meta=pd.DataFrame(index=meta_index), divisions=_divisions(X), verify_meta=False
            )
    else:
        meta = hstack_block([m for _, m in parts], sparse_output, pandas, names, meta_index)
        block = dask.delayed(hstack_block, pure=True)
        pieces = [
            block([p[i] for p, _ in parts], sparse_output, pandas, names, index_pieces[i])
            for i in range(n_blocks)
        ]
    if pandas:
        return dd.from_delayed(pieces, meta=meta, divisions=_divisions(X), verify_meta=False)
    arrays = [
        da.from_delayed(p, shape=(rows[i], meta.shape[1]), dtype=meta.dtype, meta=meta)
        for i, p in enumerate(pieces)
    ]
    return da.concatenate(arrays, axis=0)


def _divisions(X):
    if is_dask_frame(X):
        return X.divisions
    return (None,) * (X.numblocks[0] + 1)
