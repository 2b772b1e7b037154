"""Where the tasks of a search run: a ``distributed`` cluster, or the local Dask scheduler.

A search builds its work as tasks (``submit``) over data put once (``put_data``) and
gathers small results (``gather``). Two runners implement that contract:

- :class:`DistributedRunner` (a ``distributed.Client`` is active): the training data is
  scattered (NumPy / pandas) or computed (Dask collections) onto the cluster once per
  search and replicated to every worker, so losing a worker loses no data; every task is
  a ``Client.submit`` whose arguments are futures. Results of lost tasks are recomputed
  by ``distributed``.
- :class:`LocalRunner` (no client): tasks are ``dask.delayed`` calls computed together
  with ``dask.compute`` on the current local scheduler (``threads`` by default,
  ``sync`` runs them one after another in the calling thread).
"""

from __future__ import annotations

import os

from dml._config import get_config
from dml._engine.inputs import is_dask_collection
from dml._engine.runtime import get_client


def _identity(obj):
    return obj


def _nbytes(obj):
    import sys

    n = getattr(obj, "nbytes", None)
    if n is None and hasattr(obj, "memory_usage"):
        n = int(obj.memory_usage(deep=True).sum())
    return int(n) if n is not None else sys.getsizeof(obj)


def _scatter_one(client, obj):
    # Client.scatter splits lists and dicts into several futures: wrap to keep one object.
    return client.scatter([obj], broadcast=True, hash=False)[0]


class DistributedRunner:
    """Tasks as ``Client.submit`` calls on a ``distributed`` cluster."""

    mode = "distributed"

    def __init__(self, client):
        self.client = client

    def put(self, obj, recoverable=False):
        """Ship an object to the workers once; returns a future.

        Dask collections are computed on the cluster (recomputable from their graph).
        In-memory objects are scattered to every worker; with ``recoverable`` and at
        most ``chunk_bytes`` (dml config) they travel inside a task instead, so the
        scheduler can recompute them if every worker holding a copy is lost (the
        scheduler's memory manager may drop the extra copies of scattered data).
        """
        if obj is None:
            return None
        if is_dask_collection(obj):
            fut = self.client.compute(obj)
            self.replicate(fut)
            return fut
        if recoverable and _nbytes(obj) <= get_config()["chunk_bytes"]:
            fut = self.client.submit(_identity, obj, pure=False)
            # A copy on every worker lets the scheduler spread the tasks that read it.
            self.replicate(fut)
            return fut
        return _scatter_one(self.client, obj)

    def replicate(self, fut):
        """Copy a computed future to every worker, best effort.

        A copy on every worker means losing one loses no data; if a worker dies while
        copying, the future is still recomputable from its lineage, so failure here is
        not an error.
        """
        try:
            self.client.replicate([fut])
        except Exception:  # noqa: BLE001 - a worker lost mid-copy; lineage still holds
            pass

    def submit(self, func, *args, **kwargs):
        return self.client.submit(func, *args, pure=False, **kwargs)

    def gather(self, handles):
        return self.client.gather(list(handles))

    def as_completed(self, handles):
        from distributed import as_completed

        return as_completed(list(handles), with_results=True)

    def result(self, handle):
        return handle.result()

    def cancel(self, handles):
        handles = [h for h in handles if h is not None]
        if handles:
            self.client.cancel(handles)


class LocalRunner:
    """Tasks as ``dask.delayed`` calls on the current local scheduler."""

    mode = "local"

    def __init__(self, n_jobs=None):
        self.n_jobs = n_jobs

    def put(self, obj, recoverable=False):
        if obj is None:
            return None
        if is_dask_collection(obj):
            import dask

            (obj,) = dask.compute(obj)
        return obj

    def submit(self, func, *args, **kwargs):
        import dask

        return dask.delayed(func, pure=False)(*args, **kwargs)

    def gather(self, handles):
        import dask

        handles = list(handles)
        if not handles:
            return []
        kwargs = {}
        if self.n_jobs is not None:
            kwargs["num_workers"] = os.cpu_count() if self.n_jobs < 0 else self.n_jobs
        return list(dask.compute(*handles, **kwargs))

    def as_completed(self, handles):
        # The local scheduler runs a batch at once: yield (handle, result) pairs in order.
        handles = list(handles)
        for h, r in zip(handles, self.gather(handles)):
            yield h, r

    def result(self, handle):
        return self.gather([handle])[0]

    def cancel(self, handles):
        pass


def get_runner(n_jobs=None, estimator_name="search"):
    """The runner for the current context: distributed when a client is active.

    ``n_jobs`` sets the thread count of the local scheduler; with a client the
    cluster's workers set the parallelism, so a non-None ``n_jobs`` is rejected.
    """
    client = get_client()
    if client is None:
        return LocalRunner(n_jobs)
    if n_jobs is not None:
        raise ValueError(
            f"n_jobs={n_jobs!r} has no effect when a distributed Client is active: the "
            f"{estimator_name} runs one task per fit on the cluster's workers. Leave "
            "n_jobs=None (scale the cluster instead)."
        )
    return DistributedRunner(client)
