"""The persist policy: whether an iterative fit keeps its Dask input in memory.

One-pass fits (scalers, ``LinearRegression``, ``Ridge``, ``Lasso`` on the Gram path,
``PCA`` covariance/TSQR) never persist: their single pass streams chunk by chunk.
Iterative fits persist their input when it fits comfortably in memory, and otherwise
re-read it from its source (generator, Parquet, Zarr) on every pass, so a fit on data
larger than the cluster's memory runs at the source's speed instead of spilling.
"""

from __future__ import annotations

from dml._config import get_config

#: An iterative fit persists its input when it takes at most this fraction of the memory
#: budget (the workers' total ``memory_limit``; this process's available memory without
#: a client): the rest is left for the per-chunk temporaries and Dask's own headroom.
PERSIST_FRACTION = 0.5
#: A distributed task holds several persisted chunks only while their total stays below
#: this fraction of the worker's memory limit, divided among its threads.
GROUP_FRACTION = 0.25


def _host_memory():
    import psutil  # a dependency of distributed; imported only when a policy is needed

    return int(psutil.virtual_memory().available)


def scheduler_workers(client):
    """The scheduler's ``{address: info}`` of every worker.

    ``Client.scheduler_info()`` lists only the first few workers in recent
    ``distributed`` releases unless asked for all (``n_workers=-1``, absent in older ones).
    """
    try:
        info = client.scheduler_info(n_workers=-1)
    except TypeError:  # distributed releases before the n_workers argument list them all
        info = client.scheduler_info()
    return info["workers"]


def worker_memory(client):
    """``{worker address: memory_limit in bytes}`` (``None`` when a worker has no limit)."""
    workers = scheduler_workers(client)
    return {w: (int(info.get("memory_limit") or 0) or None) for w, info in workers.items()}


def memory_budget(client):
    """Bytes that persisted input may use: the workers' total memory limit (this
    machine's available memory for workers without a limit, or without a client)."""
    if client is None:
        return _host_memory()
    limits = worker_memory(client).values()
    if not limits:
        return 0
    host = None
    total = 0
    for limit in limits:
        if limit is None:
            host = _host_memory() if host is None else host
            limit = host
        total += limit
    return total


def should_persist(nbytes, client, *, iterative):
    """True when a fit should keep input of ``nbytes`` in memory between passes.

    ``iterative=False`` (one pass) is always False. Otherwise ``dml.get_config()
    ["persist"]`` decides: True / False force it; ``"auto"`` persists when ``nbytes`` is
    at most :data:`PERSIST_FRACTION` of :func:`memory_budget`.
    """
    if not iterative:
        return False
    policy = get_config()["persist"]
    if policy is True or policy is False:
        return policy
    return nbytes <= PERSIST_FRACTION * memory_budget(client)


def group_bytes_limit(memory_limit, nthreads):
    """Most bytes of chunks one task may hold on a worker (``None``: no limit)."""
    if not memory_limit:
        return None
    return GROUP_FRACTION * memory_limit / max(1, nthreads)
