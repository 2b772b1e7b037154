"""Global row indices aligned with the chunks of a :class:`ChunkedData`.

Kernels see one chunk at a time and not where it starts. Draws that must not depend on
the chunking (hashed random numbers) and passes that address rows by their global
position (minibatches, batches aligned with ``batch_size``) get the global row index of
every row in the ``y`` slot of the data.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dml._engine.namespace import get_namespace


def _arange_like(X, start):
    xp = get_namespace(X)
    return xp.arange(int(start), int(start) + int(X.shape[0]), dtype=xp.int64)


def with_row_index(data):
    """A copy of ``data`` whose ``y`` chunks hold the global row indices (int64).

    Notes
    -----
    Computation: the index chunks are created where the data lives (one small task
    per chunk on a cluster, nothing travels); 8 bytes per row.
    """
    starts = [int(s) for s in np.cumsum((0,) + tuple(data.row_chunks[:-1]))]
    if data.mode == "distributed":
        idx = data.client.map(_arange_like, data.X, starts, pure=False)
        keep = list(data._keepalive) + [idx]
    else:
        idx = [_arange_like(X, s) for X, s in zip(data.X, starts)]
        keep = list(data._keepalive)
    return dataclasses.replace(data, y=idx, _keepalive=keep, y_ndim=1)
