"""Chunk kernels of SpectralClustering's Nyström approximation.

The sampled rows ``Y`` (n_components of them) are small and travel with every task;
each kernel computes the chunk's affinity block ``K(X_chunk, Y)`` of shape
(n_rows, n_components) in cache-sized row blocks and keeps only what its step needs:
the sampled rows themselves, the column sums (degrees), or the embedded rows.
"""

from __future__ import annotations

from dml._engine.kernels import row_blocks
from dml._engine.namespace import as_float64, get_namespace
from dml.metrics._pairwise_kernels import kernel_block


def affinity_block(X, Y, Y_sq, *, xp, affinity, params):
    """``K(X, Y)`` in float64, shape (n_rows, n_Y).

    ``affinity`` is a kernel name of :func:`dml.metrics._pairwise_kernels.kernel_block`
    (``params``: its ``gamma``, ``degree``, ``coef0``) or a callable
    ``affinity(X, Y, **params)``.
    """
    if callable(affinity):
        K = xp.asarray(affinity(X, Y, **params))
        if tuple(K.shape) != (X.shape[0], Y.shape[0]):
            raise ValueError(
                f"The affinity callable returned shape {tuple(K.shape)} for inputs of "
                f"{X.shape[0]} and {Y.shape[0]} rows; expected ({X.shape[0]}, {Y.shape[0]})."
            )
        return as_float64(K, xp)
    return kernel_block(X, xp=xp, Y=Y, Y_sq=Y_sq, metric=affinity, out_dtype=xp.float64, **params)


def take_rows_kernel(X, y, w, *, xp, row_offset, rows):
    """The chunk's rows whose global index is in the sorted ``rows``: ``{"index", "rows"}``
    (global indices, int64, and the rows in float64)."""
    n = X.shape[0]
    mine = rows[(rows >= row_offset) & (rows < row_offset + n)]
    local = xp.asarray(mine - row_offset, dtype=xp.int64)
    return {
        "index": xp.asarray(mine, dtype=xp.int64),
        "rows": as_float64(xp.take(X, local, axis=0), xp),
    }


def combine_rows(parts):
    """Concatenate :func:`take_rows_kernel` partials (the caller orders them by index)."""
    xp = get_namespace(parts[0]["rows"])
    return {
        "index": xp.concat([p["index"] for p in parts]),
        "rows": xp.concat([p["rows"] for p in parts], axis=0),
    }


def degrees_kernel(X, y, w, Y, Y_sq, *, xp, affinity, params):
    """Column sums of the chunk's affinity block: ``{"degrees": (n_Y,)}`` (add up)."""
    Y, Y_sq = xp.asarray(Y), xp.asarray(Y_sq)  # host arrays, put in the chunk's namespace
    total = xp.zeros((Y.shape[0],), dtype=xp.float64)
    for a, b in row_blocks(X.shape[0], max(Y.shape[0], X.shape[1])):
        total = total + xp.sum(
            affinity_block(X[a:b, :], Y, Y_sq, xp=xp, affinity=affinity, params=params), axis=0
        )
    return {"degrees": total}


def embed_block(X, *, xp, Y, Y_sq, affinity, params, projection):
    """Rows of the spectral embedding: ``K(X, Y) @ projection``, each row scaled to unit
    length (Ng, Jordan and Weiss's normalisation; a zero row stays zero). Shape
    (n_rows, n_clusters), float64."""
    Y, Y_sq, projection = xp.asarray(Y), xp.asarray(Y_sq), xp.asarray(projection)  # host arrays
    out = []
    for a, b in row_blocks(X.shape[0], max(Y.shape[0], X.shape[1])):
        E = affinity_block(X[a:b, :], Y, Y_sq, xp=xp, affinity=affinity, params=params) @ projection
        norms = xp.sqrt(xp.sum(E * E, axis=1))
        norms = xp.where(norms > 0, norms, xp.ones_like(norms))
        out.append(E / norms[:, None])
    if not out:
        return xp.zeros((0, projection.shape[1]), dtype=xp.float64)
    return out[0] if len(out) == 1 else xp.concat(out, axis=0)
