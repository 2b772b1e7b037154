"""Documents (or samples of features) as row partitions, and CSR results as Dask arrays.

Text chunks are 1-D sequences of strings, which neither :mod:`dml._engine.inputs` (float
row chunks) nor :mod:`dml._engine.frames` (2-D columns) validates; this driver-side module
turns the inputs the vectorizers accept into one list of partitions:

- a Dask Series (one partition per partition; lengths unknown unless Dask knows them),
- a Dask Bag (one partition per partition; lengths unknown),
- a Dask array of objects (1-D documents, or 2-D rows of a FeatureHasher's strings; one
  partition per row chunk, lengths known),
- in-memory sequences (lists, NumPy arrays, pandas Series): one in-memory partition, run
  in the calling thread with no graph (scikit-learn's speed on small data).

Passes (:func:`reduce_partitions`) run one task per partition and a tree of combines, on
the current client or the local Dask scheduler, and count as passes for
:func:`dml._engine.mapreduce.count_passes`. Results (:func:`csr_blocks`) are lazy Dask arrays
of CSR chunks, one column block.
"""

from __future__ import annotations

import functools
import pickle

import dask
import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.delayed import Delayed
from dask.highlevelgraph import HighLevelGraph

from dml._config import get_config
from dml._engine.mapreduce import record_pass
from dml._engine.namespace import is_dask_collection, is_dask_frame
from dml._engine.runtime import get_client

#: A transform's state (fitted vectorizer) above this many pickled bytes is one shared key
#: of the graph rather than a copy inside every task.
SHARE_BYTES = 2**20


class Partitions:
    """Row partitions of documents: ``parts`` (``dask.delayed`` or one in-memory
    sequence) and ``rows`` (lengths, ``nan`` where unknown)."""

    def __init__(self, parts, rows, lazy):
        self.parts = parts
        self.rows = tuple(rows)
        self.lazy = lazy


def _is_bag(X):
    return type(X).__name__ == "Bag" and type(X).__module__.startswith("dask.bag")


def as_partitions(X, *, two_d=False):
    """Validate the documents ``X`` (metadata only) and give their :class:`Partitions`.

    ``two_d=True`` (FeatureHasher) lets a 2-D Dask array through (rows of features)."""
    if isinstance(X, str):
        raise ValueError("Iterable over raw text documents expected, string object received.")
    if not is_dask_collection(X):
        return Partitions([X], [np.nan], lazy=False)
    if _is_bag(X):
        return Partitions(list(X.to_delayed(optimize_graph=False)), [np.nan] * X.npartitions, lazy=True)
    if is_dask_frame(X):
        if X.ndim != 1:
            raise ValueError(
                "Expected a Dask Series, Bag or 1-D Dask array of documents, got a Dask DataFrame "
                "(select its text column: X[column])."
            )
        parts = list(X.to_delayed(optimize_graph=False))
        return Partitions(parts, [np.nan] * len(parts), lazy=True)
    if not hasattr(X, "chunks") or X.ndim not in ((1, 2) if two_d else (1,)):
        raise ValueError(
            f"Expected a Dask Series, Bag or 1-D Dask array of documents, got {type(X).__name__}"
            f" of {getattr(X, 'ndim', '?')} dimensions."
        )
    if X.ndim == 2 and len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    d = X.to_delayed(optimize_graph=False)
    parts = list(d.reshape(d.shape[0], -1)[:, 0])
    return Partitions(parts, X.chunks[0], lazy=True)


def _compute(obj):
    client = get_client()
    if client is None:
        return dask.compute(obj)[0]
    return client.compute(obj, optimize_graph=False).result()


def reduce_partitions(kernel, combine, docs, *args):
    """One pass: ``kernel(part, *args)`` per partition, ``combine(list)`` as a tree
    (``split_every`` wide) on the workers; the combined partial comes back."""
    record_pass(kernel)
    if not docs.lazy:
        return combine([kernel(docs.parts[0], *args)])
    args = [dask.delayed(a) for a in args]  # one key each, shared by the tasks
    run = dask.delayed(kernel, pure=True)
    parts = [run(p, *args) for p in docs.parts]
    merge = dask.delayed(combine, pure=True)
    split_every = get_config()["split_every"]
    while len(parts) > split_every:
        parts = [merge(parts[i : i + split_every]) for i in range(0, len(parts), split_every)]
    return _compute(merge(parts))


def csr_blocks(func, docs, state, *, n_features, meta):
    """``func(part, state)`` (a CSR matrix of ``n_features`` columns per partition) over
    ``docs``: in-memory in gives the in-memory matrix; lazy in gives a lazy Dask array of
    CSR chunks with a CSR ``meta``, the partitions' row chunks (``nan`` where unknown) and
    one column block. ``state`` (a fitted scikit-learn vectorizer) goes inside every task
    when it pickles to at most ``SHARE_BYTES``, else it is one key the tasks share."""
    if not docs.lazy:
        return func(docs.parts[0], state)
    # A small state travels inside every task; a large one (a big vocabulary) is one key
    # the tasks share. Measured on a 2-worker LocalCluster: a shared key holding a
    # HashingVectorizer doubled the transform's time (100k documents, 16 partitions:
    # 2.6 -> 1.2 s embedded), the tasks waiting on the key's placement.
    shared = state if len(pickle.dumps(state)) <= SHARE_BYTES else dask.delayed(state, pure=True)
    # The partition tasks are the array's chunks themselves (keys ``(name, i, 0)``):
    # ``from_delayed`` + ``concatenate`` would add two aliases per partition, tasks of
    # their own in every unoptimised graph (dml persists its inputs unoptimised).
    name = f"{getattr(func, '__name__', 'csr-blocks')}-{tokenize(func, state, [p.key for p in docs.parts])}"
    deps = list(docs.parts)
    if isinstance(shared, Delayed):
        deps.append(shared)
        dsk = {(name, i, 0): (func, p.key, shared.key) for i, p in enumerate(docs.parts)}
    else:  # bound to the callable: travels with every task as it is, never parsed as a task
        call = functools.partial(func, state=shared)
        dsk = {(name, i, 0): (call, p.key) for i, p in enumerate(docs.parts)}
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=deps)
    return da.Array(graph, name, chunks=(docs.rows, (n_features,)), meta=meta)
