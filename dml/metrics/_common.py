"""Input handling shared by the metrics: is any input lazy, align the chunks, run one pass.

In-memory inputs go straight to scikit-learn. When any input is a Dask collection, every
input becomes a Dask array with the same row chunks and one column block, and the metric
runs one :func:`~dml._engine.mapreduce.map_reduce` pass (a single ``dask.compute`` on the
current scheduler: the default ``distributed`` client when there is one).
"""

from __future__ import annotations

import numpy as np

from dml._engine.inputs import is_dask_collection, is_dask_frame, pass_data
from dml._engine.mapreduce import map_reduce, sum_partials


def any_lazy(*arrays):
    """True when any of ``arrays`` is a Dask collection."""
    return any(v is not None and is_dask_collection(v) for v in arrays)


def _as_dask_array(v):
    if is_dask_frame(v):
        return v.to_dask_array()
    return v


def _known(chunks):
    return not any(np.isnan(c) for c in chunks)


def align(*arrays):
    """Return the inputs as Dask arrays sharing one row chunking (``None`` kept).

    Pandas / NumPy / list inputs are wrapped with the chunks of the lazy ones. Lengths
    known from metadata are checked with scikit-learn's message. Inputs whose chunk
    lengths are unknown (from Dask DataFrames) are used as they are when every input has
    the same number of chunks (their lengths are checked chunk by chunk during the pass);
    otherwise their lengths are computed first (one extra pass).
    """
    import dask.array as da  # only for Dask input (in-memory metrics never load dask.array)

    arrays = [None if v is None else _as_dask_array(v) for v in arrays]
    lazy = [v for v in arrays if v is not None and is_dask_collection(v)]
    for i, v in enumerate(arrays):
        if v is not None and not is_dask_collection(v):
            arrays[i] = np.asarray(v)
    for v in arrays:
        if v is not None and v.ndim == 0:
            raise TypeError(f"Expected array-like (array or non-string sequence), got {v!r}")
    ref = next((v for v in lazy if _known(v.chunks[0])), None)
    if ref is None:
        n_blocks = {len(v.chunks[0]) for v in lazy}
        eager = any(v is not None and not is_dask_collection(v) for v in arrays)
        if len(n_blocks) > 1 or eager:
            arrays = [
                v.compute_chunk_sizes() if v is not None and is_dask_collection(v) else v for v in arrays
            ]
            lazy = [v for v in arrays if v is not None and is_dask_collection(v)]
            ref = lazy[0]
    lengths = [int(v.shape[0]) for v in arrays if v is not None and not np.isnan(v.shape[0])]
    if len(set(lengths)) > 1:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: {lengths}")
    out = []
    for v in arrays:
        if v is None:
            out.append(None)
            continue
        if not is_dask_collection(v):
            v = da.from_array(v, chunks=(ref.chunks[0],) + tuple((s,) for s in v.shape[1:]))
        elif ref is not None and tuple(v.chunks[0]) != tuple(ref.chunks[0]):
            if not _known(v.chunks[0]):
                v = v.compute_chunk_sizes()
            v = v.rechunk({0: ref.chunks[0]})
        if v.ndim == 2 and len(v.chunks[1]) > 1:
            v = v.rechunk({1: -1})
        out.append(v)
    return out


def one_pass(kernel, a, b, w=None, *, combine=sum_partials, **kwargs):
    """Run ``kernel`` over the aligned Dask arrays ``a``, ``b``, ``w``: one pass.

    Returns the combined partial (a dict of small arrays).
    """
    return map_reduce(kernel, pass_data(a, b, w), combine=combine, **kwargs)


def check_1d(v, name, func):
    """Reject 2-D label arrays on the lazy path (column vectors are raveled)."""
    if v.ndim == 2 and v.shape[1] == 1:
        return v[:, 0]
    if v.ndim != 1:
        raise ValueError(
            f"{func} on Dask input supports 1-D {name} (binary or multiclass targets); "
            f"got an array of shape {v.shape}. Compute multilabel / multioutput targets "
            "into memory first."
        )
    return v
