"""Global row indices aligned with the chunks of a :class:`ChunkedData`.

Kernels see one chunk at a time and not where it starts. Draws that must not depend on
the chunking (hashed random numbers) and passes that address rows by their global
position (minibatches, batches aligned with ``batch_size``) get the global row index of
every row in the ``y`` slot of the data.
"""

from __future__ import annotations

from dml._engine.mapreduce import map_chunks


def _arange_like(X, *, xp, row_offset):
    return xp.arange(int(row_offset), int(row_offset) + int(X.shape[0]), dtype=xp.int64)


def with_row_index(data):
    """A copy of ``data`` whose ``y`` chunks hold the global row indices (int64).

    Notes
    -----
    Computation: the index chunks are created where the data lives (one small task
    per chunk on a cluster, nothing travels; inside each pass for lazy data); 8 bytes
    per row.
    """
    return map_chunks(_arange_like, data, which="y", source="X", pass_row_offset=True)
