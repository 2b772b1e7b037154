"""Blockwise kernels of the k-means estimators' ``predict`` / ``transform``.

Module-level functions (no closures), so lazy results such as ``labels_`` hold graphs
that pickle, and workers import only NumPy-level code to run them.
"""

from __future__ import annotations

from dml._engine.blockwise import guard_finite
from dml._engine.namespace import is_sparse
from dml.cluster._lloyd_kernels import distances_kernel, labels_kernel


def labels_block(chunk, *, xp, centers):
    """Index of the closest of ``centers`` for every row of ``chunk`` (int32)."""
    out = labels_kernel(chunk, xp=xp, centers=centers)
    if out.shape[0]:
        guard_finite(chunk.data if is_sparse(chunk) else xp.sum(chunk, axis=1), chunk)
    return out


def distances_block(chunk, *, xp, centers, out_dtype=None):
    """Euclidean distances of every row of ``chunk`` to each of ``centers``, in ``out_dtype``
    (the wider of the chunk's and the centers' dtypes, as scikit-learn's ``transform``)."""
    if out_dtype is None or chunk.dtype == out_dtype:
        X = chunk
    else:
        X = chunk.astype(out_dtype) if is_sparse(chunk) else xp.astype(chunk, out_dtype)
    return guard_finite(distances_kernel(X, xp=xp, centers=centers), chunk)
