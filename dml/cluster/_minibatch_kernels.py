"""Chunk kernels of MiniBatchKMeans: pure functions of ``(chunk, idx, w, ..., *, xp)``,
each ``<name>_kernel`` paired with its combine ``combine_<name>``.

- :func:`gather_rows_kernel` / :func:`combine_gather_rows`: the rows (and weights) at
  given global row indices: minibatches and seeding samples, fetched where the data
  lives;
- :func:`weight_count_kernel` / :func:`combine_weight_count`: the number of non-zero
  weights.

The minibatch step itself runs :func:`dml.cluster._lloyd_kernels.lloyd_kernel` (in
``partial_fit``) or on the caller (in ``fit``).
"""

from __future__ import annotations

import numpy as np

from dml._engine.mapreduce import sum_partials
from dml._engine.namespace import get_namespace, is_sparse, to_numpy
from dml.cluster._lloyd_kernels import _n_nonzero


def gather_rows_kernel(X, idx, w, *, xp, indices):
    """The rows of the chunk whose global indices are in the sorted host array
    ``indices`` (repeats allowed), with their weights and positions in ``indices``."""
    n = X.shape[0]
    if n == 0:
        return {}
    start = int(to_numpy(idx[0:1])[0])
    lo, hi = np.searchsorted(indices, [start, start + n])
    local = xp.asarray(indices[lo:hi] - start, dtype=xp.int64)
    out = {
        # a CSR chunk gives its rows as a CSR matrix (never densified)
        "rows": X[np.asarray(local)] if is_sparse(X) else xp.take(X, local, axis=0),
        "pos": xp.asarray(np.arange(lo, hi), dtype=xp.int64),
    }
    if w is not None:
        out["w"] = xp.take(w, local)
    return out


def combine_gather_rows(parts):
    """Concatenate :func:`gather_rows_kernel` partials."""
    parts = [p for p in parts if p]
    out = {}
    if is_sparse(parts[0]["rows"]):
        from scipy.sparse import vstack  # CSR rows only: SciPy is there already

        out["rows"] = vstack([p["rows"] for p in parts], format="csr")
    xp = get_namespace(parts[0]["pos"])
    for k in parts[0]:
        if k not in out:
            out[k] = xp.concat([p[k] for p in parts], axis=0)
    return out


def weight_count_kernel(X, y, w, *, xp):
    """Number of non-zero weights of a chunk."""
    return {"nonzero": _n_nonzero(w, xp)}


#: :func:`weight_count_kernel`'s partials add up.
combine_weight_count = sum_partials
