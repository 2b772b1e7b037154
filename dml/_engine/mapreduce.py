"""One round trip: a fused kernel per chunk, a tree combine, one small result.

A kernel is a pure function ``kernel(X, y, w, *broadcast, xp, **kwargs) -> dict`` of
small arrays. It imports no Dask and uses ``xp`` (the chunk's array namespace), so the
same kernel runs on NumPy, CuPy and any array-API library. ``y`` and ``w`` are ``None``
when the data has none.

X chunks may be ``scipy.sparse`` CSR matrices (``data.sparse``, from
``validate_fit_data(..., accept_sparse=...)``): the kernel then gets a CSR chunk and
NumPy's namespace, and branches on :func:`dml._engine.namespace.is_sparse`. Every mode
(direct, local, lazy, distributed) passes such chunks as they are; scattered CSR chunks
lost with a worker are scattered again from their host views (:mod:`recovery`).

Combines take a list of partial dicts and return one; they must be associative, since
they run as a tree (``split_every`` wide) on the workers.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import uuid
from collections import OrderedDict
from contextlib import contextmanager

import dask
import numpy as np

from dml._config import get_config
from dml._engine.memory import group_bytes_limit, scheduler_workers
from dml._engine.namespace import asarray_like, call_chunk, get_namespace, is_sparse, to_numpy
from dml._engine.recovery import note_derived, with_recovery

# ----------------------------------------------------------------------- pass count

_counters = []
_counters_lock = threading.Lock()


class PassCounter:
    """Counts :func:`map_reduce` round trips (each one is a pass over the data)."""

    def __init__(self):
        self.passes = 0
        self.kernels = []

    def _record(self, kernel):
        self.passes += 1
        self.kernels.append(getattr(kernel, "__name__", repr(kernel)))


@contextmanager
def count_passes():
    """Context manager yielding a :class:`PassCounter` of the passes run inside it.

    Used by tests to assert one-pass claims and the number of round trips per fit.
    """
    counter = PassCounter()
    with _counters_lock:
        _counters.append(counter)
    try:
        yield counter
    finally:
        with _counters_lock:
            _counters.remove(counter)


def record_pass(kernel):
    """Count one pass of ``kernel`` in every open :func:`count_passes` counter: for a
    module that runs a pass over the chunks by its own graph (not :func:`map_reduce`)."""
    with _counters_lock:
        for c in _counters:
            c._record(kernel)


# ------------------------------------------------------------------------- combines


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def sum_partials(parts):
    """Default combine: add partials key by key (``None`` values are skipped)."""
    parts = [p for p in parts if p]
    if not parts:
        return {}
    out = {}
    for p in parts:
        for k, v in p.items():
            out[k] = _add(out.get(k), v)
    return out


def _combine_ops(parts, ops):
    parts = [p for p in parts if p]
    if not parts:
        return {}
    out = {}
    for p in parts:
        for k, v in p.items():
            if v is None:
                out.setdefault(k, None)
                continue
            prev = out.get(k)
            if prev is None:
                out[k] = v
                continue
            op = ops.get(k, "sum")
            if op == "sum":
                out[k] = prev + v
            else:
                xp = get_namespace(v)
                if op == "min":
                    out[k] = xp.minimum(prev, v)
                elif op == "max":
                    out[k] = xp.maximum(prev, v)
                else:  # pragma: no cover - guarded in make_combine
                    raise ValueError(op)
    return out


def make_combine(**ops):
    """A combine that reduces each key with ``"sum"`` (default), ``"min"`` or ``"max"``.

    Examples
    --------
    >>> combine = make_combine(data_min="min", data_max="max")
    """
    for k, op in ops.items():
        if op not in ("sum", "min", "max"):
            raise ValueError(f"Unknown combine op {op!r} for key {k!r}.")
    return functools.partial(_combine_ops, ops=ops)


def _count_union(values, counts):
    order = np.argsort(values, kind="stable")
    values, counts = values[order], counts[order]
    uniq, start = np.unique(values, return_index=True)
    return uniq, np.add.reduceat(counts, start) if len(values) else counts


def combine_value_counts(parts, key="labels", count_key="label_counts"):
    """Combine for label sets: merges ``(values, counts)`` pairs; other keys are summed.

    Label arrays are small; they are merged on the host (NumPy) whatever the chunk type.
    """
    parts = [p for p in parts if p]
    rest = sum_partials([{k: v for k, v in p.items() if k not in (key, count_key)} for p in parts])
    values = np.concatenate([to_numpy(p[key]) for p in parts])
    counts = np.concatenate([to_numpy(p[count_key]) for p in parts])
    uniq, cnt = _count_union(values, counts)
    rest[key] = uniq
    rest[count_key] = cnt
    return rest


# ------------------------------------------------------------------------ execution


def settle(chunk):
    """Return ``chunk``, or an aligned copy when it is a NumPy array whose data is not
    aligned for its dtype.

    Arrays deserialised from the network (scattered, or moved between workers) can land
    at any byte offset; NumPy's ``matmul`` then skips BLAS for a naive loop several
    times slower. Copying once where the chunk lives keeps every later pass fast.
    """
    if isinstance(chunk, np.ndarray) and not chunk.flags.aligned:
        return chunk.copy(order="K")
    if is_sparse(chunk) and not all(
        getattr(chunk, a).flags.aligned for a in ("data", "indices", "indptr") if hasattr(chunk, a)
    ):
        return chunk.copy()
    return chunk


# ---------------------------------------------------------------------- chunk caches

#: Per-process store of chunk caches: ``token -> {chunk index: dict}``. On a cluster each
#: worker process holds the entries of the chunks it ran; locally, this process does.
_chunk_caches = OrderedDict()
_chunk_caches_lock = threading.Lock()
#: Tokens kept per process; the oldest is dropped beyond this (a cache is only a cache).
CHUNK_CACHE_TOKENS = 32


def _chunk_cache_entry(token, index):
    with _chunk_caches_lock:
        store = _chunk_caches.get(token)
        if store is None:
            store = _chunk_caches[token] = {}
            while len(_chunk_caches) > CHUNK_CACHE_TOKENS:
                _chunk_caches.popitem(last=False)
        return store.setdefault(index, {})


def _drop_chunk_cache(token):
    with _chunk_caches_lock:
        _chunk_caches.pop(token, None)


async def _drop_chunk_cache_async(token):
    """:func:`_drop_chunk_cache` as a coroutine, for ``Client.run(..., wait=False)``."""
    _drop_chunk_cache(token)


def chunk_cache_size(token=None):
    """Number of chunk entries held in this process (for ``token``, or all)."""
    with _chunk_caches_lock:
        stores = [_chunk_caches.get(token, {})] if token is not None else list(_chunk_caches.values())
        return sum(len(s) for s in stores)


@contextmanager
def chunk_cache(data):
    """A token for per-chunk caches kept where each chunk is processed, across passes.

    Inside the block, ``map_reduce(kernel, data, cache=token)`` gives each kernel call a
    ``cache=`` dict of its own chunk, living in the process that runs the chunk (a
    worker's memory on a cluster) and surviving from one pass to the next. Iterative
    kernels keep per-row state there (k-means distance bounds and labels) instead of
    recomputing it or shipping it. The dict may be empty on any call (first pass, a chunk
    re-run on another worker after a failure, a process-pool scheduler, an evicted token),
    so a kernel must treat it strictly as a cache: its result may not depend on what the
    dict holds. Leaving the block drops the entries everywhere.
    """
    token = uuid.uuid4().hex
    try:
        yield token
    finally:
        _drop_chunk_cache(token)
        if data.mode == "distributed" and data.client is not None:
            try:
                data.client.run(_drop_chunk_cache_async, token, wait=False)
            except Exception:  # noqa: BLE001 - a closed client: its workers went with it
                pass


def run_kernel(kernel, X, y, w, broadcast, kwargs):
    """``kernel(X, y, w, *broadcast, xp=xp, **kwargs)`` on one chunk as :func:`map_reduce`
    runs it (cached state attached, parts settled, floating-point warnings off); for a
    module that calls chunk kernels in its own tasks."""
    if "_cache" in kwargs:
        kwargs = dict(kwargs)
        kwargs["cache"] = _chunk_cache_entry(*kwargs.pop("_cache"))
    X, y, w = settle(X), settle(y), settle(w)
    broadcast = tuple(settle(b) for b in broadcast)
    xp = get_namespace(X)
    # NaN/inf in the data are reported by the ride-along checks, not as warnings.
    with np.errstate(all="ignore"):
        return kernel(X, y, w, *broadcast, xp=xp, **kwargs)


def _tree_local(parts, combine, split_every):
    while len(parts) > 1:
        parts = [combine(parts[i : i + split_every]) for i in range(0, len(parts), split_every)]
    return parts[0]


def map_reduce(
    kernel,
    data,
    *,
    broadcast=(),
    combine=sum_partials,
    split_every=None,
    pass_row_offset=False,
    ordered=False,
    cache=None,
    accumulate=False,
    **kwargs,
):
    """Run ``kernel`` on every chunk of ``data``, combine in a tree, return the result.

    Parameters
    ----------
    kernel : callable
        ``kernel(X, y, w, *broadcast, xp=xp, **kwargs) -> dict`` of small arrays.
    data : ChunkedData
        From :func:`dml._engine.inputs.validate_fit_data`.
    broadcast : tuple
        Small state (coefficients, centers) sent with every kernel call. Arrays larger
        than 1 MiB are scattered once per call on a distributed cluster.
    combine : callable
        ``combine(list_of_partials) -> partial``; associative.
    split_every : int, optional
        Fan-in of the tree; default from ``dml.get_config()["split_every"]``.
    pass_row_offset : bool, default=False
        Also pass ``row_offset=`` (the index of the chunk's first row in the data set)
        to the kernel, for kernels that treat rows by global position (e.g. folds).
    ordered : bool, default=False
        ``combine`` is not commutative: it must receive the partials in chunk order
        (for example it concatenates per-row results). On a cluster the per-chunk
        partials then travel back uncombined and are combined in the caller.
    cache : str, optional
        A token from :func:`chunk_cache`: the kernel also gets ``cache=``, a dict of its
        chunk kept where the chunk runs from one pass to the next.
    accumulate : bool, default=False
        The kernel folds chunks into one partial: it also gets ``out=``, the partial of
        the chunks run before it in the same task (``None`` for the first), and returns
        that partial updated with its chunk (it may add into ``out``'s arrays in place,
        which the task owns). A task over several chunks (a worker thread's group on a
        cluster) then holds one partial and one chunk, instead of one partial per chunk,
        and returns one partial; ``combine`` still merges the tasks' partials.
    **kwargs
        Static keyword arguments for the kernel.

    Returns
    -------
    dict
        The combined partial, arrays in the chunks' namespace.

    Notes
    -----
    Computation: one pass over the data, one round trip. ``direct`` data (one in-memory
    chunk) runs the kernel in the calling thread with no graph. ``local`` data runs one
    task per chunk on the current Dask scheduler and combines in the caller. Distributed
    data submits one task per worker thread, running the kernel over the chunks that
    worker holds and combining them there (so a round trip costs a few tasks however
    many chunks there are); the per-thread partials are gathered and combined in the
    caller, or first in a tree of ``split_every`` on the workers when there are more
    than ``split_every`` of them.
    """
    split_every = split_every or get_config()["split_every"]
    record_pass(kernel)
    if data._progress is not None:
        data._progress.update(1)
    broadcast = tuple(broadcast)
    chunk_kwargs = _chunk_kwargs(data, kwargs, pass_row_offset)
    if cache is not None:
        chunk_kwargs = [dict(kw, _cache=(cache, i)) for i, kw in enumerate(chunk_kwargs)]
    if accumulate:
        chunk_kwargs = [dict(kw, out=None) for kw in chunk_kwargs]
    if data.mode == "direct":
        X, y, w = next(data.parts())
        return run_kernel(kernel, X, y, w, broadcast, chunk_kwargs[0])
    if data.lazy:
        return with_recovery(
            data, _map_reduce_lazy, kernel, data, broadcast, combine, split_every, chunk_kwargs
        )
    if data.mode == "local" and accumulate:
        # one folding task per scheduler thread over a run of consecutive chunks: the
        # caller then holds one partial per thread, not one per chunk
        from dask.system import CPU_COUNT

        parts = list(data.parts())
        t = max(1, min(len(parts), dask.config.get("num_workers", None) or CPU_COUNT))
        bounds = np.linspace(0, len(parts), t + 1).astype(int)
        run = dask.delayed(_run_group, pure=False)
        tasks = [
            run(kernel, *map(list, zip(*parts[a:b])), broadcast, chunk_kwargs[a:b], combine)
            for a, b in zip(bounds[:-1], bounds[1:])
        ]
        return _tree_local(list(dask.compute(*tasks)), combine, split_every)
    if data.mode == "local":
        run = dask.delayed(run_kernel, pure=False)
        tasks = [run(kernel, X, y, w, broadcast, kw) for (X, y, w), kw in zip(data.parts(), chunk_kwargs)]
        parts = list(dask.compute(*tasks))
        return _tree_local(parts, combine, split_every)
    return with_recovery(
        data,
        _map_reduce_distributed,
        kernel,
        data,
        broadcast,
        combine,
        split_every,
        chunk_kwargs,
        ordered,
    )


def _map_reduce_lazy(kernel, data, broadcast, combine, split_every, chunk_kwargs):
    """A pass over lazy chunks: one task per chunk reading it from its source, a tree of
    ``combine`` tasks (``split_every`` wide, consecutive chunks together, so the order is
    kept), computed on the cluster or the current local scheduler. A task holds one
    chunk; the scheduler releases it once its kernel ran, so the pass streams."""
    client = data.client if data.mode == "distributed" else None
    if client is not None:
        broadcast = _ship(client, broadcast)
    run = dask.delayed(run_kernel, pure=False)
    parts = [run(kernel, X, y, w, broadcast, kw) for (X, y, w), kw in zip(data.parts(), chunk_kwargs)]
    merge = dask.delayed(combine, pure=False)
    while len(parts) > split_every:
        parts = [merge(parts[i : i + split_every]) for i in range(0, len(parts), split_every)]
    root = merge(parts)
    if client is None:
        return dask.compute(root)[0]
    # Unoptimised: low-level fusion rewrites a key's task by what else is in the graph
    # (X alone, or X with y from the same generator), and the scheduler then sees two
    # specs for one key when fits or a user's computations overlap.
    return client.compute(root, optimize_graph=False).result()


def _ship(client, broadcast):
    """Broadcast arrays over 1 MiB scattered once for the call (small ones travel inline)."""
    shipped = []
    for b in broadcast:
        if getattr(b, "nbytes", 0) > 2**20:
            b = client.scatter(b, broadcast=True, hash=False)
        shipped.append(b)
    return tuple(shipped)


def _run_group(kernel, Xs, ys, ws, broadcast, chunk_kwargs, combine):
    """One task: the kernel over several chunks held by one worker, combined locally
    (``combine=None``: the list of per-chunk partials). An accumulating kernel (its
    keyword arguments carry ``out``) folds the chunks into one partial as it goes."""
    if combine is not None and chunk_kwargs and "out" in chunk_kwargs[0]:
        acc = None
        for X, y, w, kw in zip(Xs, ys, ws, chunk_kwargs):
            acc = run_kernel(kernel, X, y, w, broadcast, dict(kw, out=acc))
        return acc
    parts = [run_kernel(kernel, X, y, w, broadcast, kw) for X, y, w, kw in zip(Xs, ys, ws, chunk_kwargs)]
    return parts if combine is None else combine(parts)


def place_chunks(rows, holders, workers):
    """Choose a worker for every chunk: ``[worker or None]``.

    ``holders[i]`` are the workers holding chunk ``i`` (replicas too); ``workers`` maps
    each worker to its thread count. Each chunk first goes to its least loaded holder
    (load = rows per thread); chunks then move from the most to the least loaded worker
    while that lowers the maximum load. Chunks no known worker holds get ``None``.
    """
    load = {w: 0.0 for w in workers}
    per = lambda w: load[w] / workers[w]  # noqa: E731
    loc = [None] * len(rows)
    for i in sorted(range(len(rows)), key=lambda i: -rows[i]):
        known = [w for w in holders[i] if w in load]
        if known:
            loc[i] = min(known, key=lambda w: (load[w] + rows[i]) / workers[w])
            load[loc[i]] += rows[i]
    if not load:
        return loc
    while True:
        hi, lo = max(load, key=per), min(load, key=per)
        best = None
        for i, w in enumerate(loc):
            if w != hi:
                continue
            r = rows[i]
            if max((load[hi] - r) / workers[hi], (load[lo] + r) / workers[lo]) < per(hi) and (
                best is None or r < rows[best]
            ):
                best = i
        if best is None:
            return loc
        loc[best] = lo
        load[hi] -= rows[best]
        load[lo] += rows[best]


def chunk_groups(data):
    """Chunk indices grouped by the worker thread that will run them: ``[(worker, [i...])]``.

    Computed once per :class:`ChunkedData` (once per fit) and cached. Chunk holders come
    from ``who_has``; :func:`place_chunks` balances rows across worker threads, preferring
    holders, so few chunks move. Every chunk (X with its y and weights) is then
    :func:`settle`-d on its chosen worker: this moves the chunks that must move, and
    leaves each one aligned where it stays, so that later round trips run on local,
    aligned data (work stealing would otherwise ship chunks to an idle worker every
    iteration, and transferred replicas can be misaligned). A worker's chunks are dealt
    round-robin to its threads. Chunks whose holder is unknown form groups of their own
    with no worker.
    """
    if data._groups is not None:
        return data._groups
    client = data.client
    info = scheduler_workers(client)
    workers = {w: max(1, i.get("nthreads", 1)) for w, i in info.items()}
    limits = {w: group_bytes_limit(i.get("memory_limit"), workers[w]) for w, i in info.items()}
    who = client.who_has(data.X)
    loc = place_chunks(data.row_chunks, [who.get(f.key) or () for f in data.X], workers)
    settled = []
    for parts in (data.X, data.y, data.sample_weight):
        if parts is None:
            continue
        for i, w in enumerate(loc):
            if w is not None:
                parts[i] = client.submit(settle, parts[i], workers=[w], allow_other_workers=True, pure=False)
                settled.append(parts[i])
    data._keepalive.append(settled)
    by_worker = {}
    for i, w in enumerate(loc):
        by_worker.setdefault(w, []).append(i)
    groups = []
    for worker, idx in by_worker.items():
        if worker is None:
            groups.extend((None, [i]) for i in idx)
            continue
        t = max(1, min(workers.get(worker, 1), len(idx)))
        for j in range(t):
            groups.extend((worker, g) for g in _cap_group(idx[j::t], data, limits.get(worker)))
    data._groups = groups
    return groups


def _cap_group(idx, data, limit):
    """Split a thread's chunk list into runs whose bytes (X, y and weights) stay within
    ``limit``, so one task never holds more of a worker's memory than that (each run
    keeps at least one chunk). Sparse chunks count their nonzeros (``data.row_bytes``);
    Dask CSR chunks, whose nonzeros are not known, are not capped."""
    if limit is None:
        return [idx]
    row_bytes = getattr(data, "row_bytes", None)
    if row_bytes is not None and np.isnan(row_bytes):
        return [idx]
    if row_bytes is None:
        row_bytes = data.n_features * np.dtype(data.dtype).itemsize
    row_bytes += 16
    runs, run, size = [], [], 0
    for i in idx:
        b = data.row_chunks[i] * row_bytes
        if run and size + b > limit:
            runs.append(run)
            run, size = [], 0
        run.append(i)
        size += b
    return runs + ([run] if run else [])


def _map_reduce_distributed(kernel, data, broadcast, combine, split_every, chunk_kwargs, ordered):
    """One task per worker thread over the chunks it holds (fewer tasks per round trip
    than one per chunk), then the group partials: gathered directly when few, else
    combined in a tree of ``split_every`` on the workers."""
    client = data.client
    shipped = _ship(client, broadcast)
    n = data.n_chunks
    ys = data.y if data.y is not None else [None] * n
    ws = data.sample_weight if data.sample_weight is not None else [None] * n
    groups = chunk_groups(data)
    parts = [
        client.submit(
            _run_group,
            kernel,
            [data.X[i] for i in idx],
            [ys[i] for i in idx],
            [ws[i] for i in idx],
            shipped,
            [chunk_kwargs[i] for i in idx],
            None if ordered else combine,
            pure=False,
            **({} if worker is None else {"workers": [worker], "allow_other_workers": True}),
        )
        for worker, idx in groups
    ]
    if ordered:
        by_chunk = {}
        for (_, idx), chunk_parts in zip(groups, client.gather(parts)):
            by_chunk.update(zip(idx, chunk_parts))
        return _tree_local([by_chunk[i] for i in sorted(by_chunk)], combine, split_every)
    while len(parts) > split_every:
        parts = [
            client.submit(combine, parts[i : i + split_every], pure=False)
            for i in range(0, len(parts), split_every)
        ]
    return combine(client.gather(parts))


def _chunk_starts(data):
    """The first row of every chunk in the data set."""
    return [int(v) for v in np.cumsum((0,) + tuple(data.row_chunks[:-1]))]


def _chunk_kwargs(data, kwargs, pass_row_offset):
    """Per-chunk keyword arguments: ``kwargs``, plus ``row_offset`` when asked."""
    if pass_row_offset:
        return [dict(kwargs, row_offset=s) for s in _chunk_starts(data)]
    return [kwargs] * data.n_chunks


def _each_chunk(data, func, *columns):
    """``func(*args)`` for every chunk, ``args`` taken from ``columns`` (one list each),
    where the chunks live: inside later passes for lazy data, as tasks whose futures are
    kept with the data on a cluster, at once in memory. Returns ``(results, keepalive)``."""
    keep = list(data._keepalive)
    if data.lazy:
        call = dask.delayed(func, pure=False)
        return [call(*args) for args in zip(*columns)], keep
    if data.mode == "distributed":
        new = data.client.map(func, *columns, pure=False)
        return new, keep + [new]
    return [func(*args) for args in zip(*columns)], keep


def map_chunks(func, data, *, which="y", source=None, pass_row_offset=False, **kwargs):
    """Return a copy of ``data`` whose ``which`` arrays are ``func(chunk, xp=xp, **kwargs)``
    of the ``source`` arrays (default: ``which`` itself).

    The new chunks stay where the old ones are (on the workers for distributed data);
    nothing travels back. Used for per-fit preprocessing such as label encoding, so
    that iterations do not repeat it, and, with ``source="X", pass_row_offset=True``,
    for per-row global indices.

    Parameters
    ----------
    func : callable
        ``func(chunk, *, xp, **kwargs) -> array`` with one entry per row of the chunk.
    data : ChunkedData
    which : {"y", "sample_weight", "X"}, default="y"
        The array to replace.
    source : {"X", "y", "sample_weight"}, optional
        The array ``func`` reads (default: ``which``).
    pass_row_offset : bool, default=False
        Also pass ``row_offset=`` (the chunk's first row in the data set).

    Notes
    -----
    Computation: no pass for in-memory data beyond ``func`` itself; on a cluster one task
    per chunk, whose results are kept (as futures) for the lifetime of the returned data
    and made again from their source if a worker holding one dies. Lazy data stays lazy:
    ``func`` runs inside every later pass, beside the read of its chunk.
    """
    source = which if source is None else source
    parts = getattr(data, source)
    if parts is None:
        raise ValueError(f"The data has no {source!r} to map.")
    kws = _chunk_kwargs(data, kwargs, pass_row_offset)
    new, keep = _each_chunk(data, call_chunk, [func] * len(parts), parts, kws)
    out = dataclasses.replace(data, **{which: new, "_keepalive": keep})
    if which == "y" and source != "y":
        out.y_ndim = 1
    note_derived(out, data, which, ("map", func, source, kws))
    return out


def gather_parts(data, which="y"):
    """The ``which`` array of ``data`` concatenated on the host (NumPy).

    For small per-row arrays (labels, weights). Lazy data reads its source once.
    """
    if getattr(data, which) is None:
        return None
    if data.lazy:
        parts = getattr(data, which)
        if data.mode == "distributed":
            got = data.client.gather(data.client.compute(parts, optimize_graph=False))
        else:
            got = dask.compute(*parts)
    elif data.mode == "distributed":
        got = with_recovery(data, lambda: data.client.gather(getattr(data, which)))
    else:
        got = getattr(data, which)
    return np.concatenate([to_numpy(p) for p in got])


def replace_with_host(data, which, values):
    """A copy of ``data`` whose ``which`` array holds the host vector ``values`` (one
    entry per row), chunked like the data, in its chunks' namespace and where they live."""
    values = np.asarray(values)
    if values.shape[0] != data.n_samples:
        raise ValueError(f"Expected {data.n_samples} values, got {values.shape[0]}.")
    host = [values[a : a + n] for a, n in zip(_chunk_starts(data), data.row_chunks)]
    new, keep = _each_chunk(data, asarray_like, host, data.X)
    out = dataclasses.replace(data, **{which: new, "_keepalive": keep})
    note_derived(out, data, which, ("like", host))
    return out


def _arange_like(X, *, xp, row_offset):
    return xp.arange(int(row_offset), int(row_offset) + int(X.shape[0]), dtype=xp.int64)


def with_row_index(data):
    """A copy of ``data`` whose ``y`` chunks hold the global row indices (int64).

    Kernels see one chunk at a time and not where it starts. Draws that must not depend
    on the chunking (hashed random numbers) and passes that address rows by their global
    position (minibatches, batches aligned with ``batch_size``) read these indices.

    Notes
    -----
    Computation: the index chunks are created where the data lives (one small task
    per chunk on a cluster, nothing travels; inside each pass for lazy data); 8 bytes
    per row.
    """
    return map_chunks(_arange_like, data, which="y", source="X", pass_row_offset=True)
