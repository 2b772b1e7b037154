"""Independent tasks (a search's fits), run where the current context says work runs.

:mod:`~dml._engine.mapreduce` runs one kernel over every chunk of one data set and
combines the partials; this module runs *independent* Python calls (fit one candidate on
one fold, advance one model of a search) over data put once. Both resolve the place
they run the same way, at call time, with :func:`~dml._engine.runtime.get_client`.

:func:`task_runner` returns one of two runners with one contract (``put`` data once,
``submit`` a call, ``gather`` / ``wait_first`` / ``result`` its results):

- :class:`DistributedRunner` (a ``distributed.Client`` is active): the training data is
  scattered (NumPy / pandas) or computed (Dask collections) onto the cluster once and
  replicated to every worker, so losing a worker loses no data; every task is a
  ``Client.submit`` whose arguments are futures. Results of lost tasks are recomputed
  by ``distributed``.
- :class:`LocalRunner` (no client): tasks are ``dask.delayed`` calls computed together
  with ``dask.compute`` on the current local scheduler (``threads`` by default,
  ``sync`` runs them one after another in the calling thread).
"""

from __future__ import annotations

import operator
import os
import sys
import uuid

import dask
from dask.utils import funcname

from dml._config import get_config
from dml._engine.inputs import is_dask_collection
from dml._engine.runtime import get_client

__all__ = ["DistributedRunner", "LocalRunner", "task_runner"]


def _caller_sklearn_config():
    """The caller's scikit-learn settings (thread-local there), for the task to run under
    (``None`` when scikit-learn is not loaded: nothing to carry)."""
    sklearn = sys.modules.get("sklearn")
    return None if sklearn is None else sklearn.get_config()


def _run_in_config(sk_config, func, *args, _dml_limit=None, **kwargs):
    """``func(*args, **kwargs)`` under the caller's scikit-learn settings (metadata
    routing, ``transform_output``, ``assume_finite``, ...), as scikit-learn's own joblib
    tasks run: settings are per thread, and a task runs in a worker's thread.

    ``_dml_limit=(name, n)``: the task first takes one of ``n`` leases of the cluster-wide
    semaphore ``name`` (``n_jobs`` on a cluster: at most ``n`` such tasks run at once)."""
    if _dml_limit is not None:
        from distributed import Semaphore  # a limited task runs on a distributed worker

        name, n = _dml_limit
        with Semaphore(max_leases=n, name=name):
            return _run_in_config(sk_config, func, *args, **kwargs)
    if sk_config is None:
        return func(*args, **kwargs)
    from sklearn import config_context  # a search task: it runs scikit-learn estimators

    with config_context(**sk_config):
        return func(*args, **kwargs)


def _task_key(func):
    """A new key named after ``func`` (the dashboard and task prefixes show the work, not
    the settings wrapper); never deduplicated."""
    return f"{funcname(func)}-{uuid.uuid4().hex}"


def _identity(obj):
    return obj


def _nbytes(obj):
    n = getattr(obj, "nbytes", None)
    if n is None and hasattr(obj, "memory_usage"):
        n = int(obj.memory_usage(deep=True).sum())
    return int(n) if n is not None else sys.getsizeof(obj)


def _scatter_one(client, obj):
    # Client.scatter splits lists and dicts into several futures: wrap to keep one object.
    return client.scatter([obj], broadcast=True, hash=False)[0]


class DistributedRunner:
    """Tasks as ``Client.submit`` calls on a ``distributed`` cluster.

    Parameters
    ----------
    client : distributed.Client
        The cluster the tasks run on (resolved by :func:`task_runner`, never stored by
        an estimator).
    """

    mode = "distributed"

    def __init__(self, client, n_jobs=None):
        self.client = client
        threads = max(1, sum(client.nthreads().values()))
        if n_jobs is None or n_jobs == -1:
            limit = None
        else:
            limit = n_jobs if n_jobs > 0 else max(1, threads + 1 + n_jobs)
        # at most ``limit`` tasks run at once (a cluster-wide semaphore), or all of them
        self._limit = None if limit is None or limit >= threads else (f"dml-n-jobs-{uuid.uuid4().hex}", limit)

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

    def compute(self, collections):
        """Compute a list of Dask collections onto the cluster; a list of futures."""
        return self.client.compute(list(collections))

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
        """``func(*args, **kwargs)`` as one task (never deduplicated), run under the
        caller's scikit-learn settings; a future."""
        if self._limit is not None:
            kwargs["_dml_limit"] = self._limit
        return self.client.submit(
            _run_in_config, _caller_sklearn_config(), func, *args, key=_task_key(func), **kwargs
        )

    def result_part(self, handle, result, index):
        """A handle to ``result[index]`` of the finished task ``handle``: a future
        computed where the result lives (nothing travels)."""
        return self.client.submit(operator.getitem, handle, index, pure=False)

    def gather(self, handles):
        """The results of ``handles``, in order."""
        return self.client.gather(list(handles))

    def wait_first(self, handles):
        """Block until at least one of ``handles`` is done; ``[(handle, result), ...]`` of
        the finished ones, in the order given."""
        from distributed import wait  # imported: a client exists

        handles = list(handles)
        done, _ = wait(handles, return_when="FIRST_COMPLETED")
        finished = [h for h in handles if h in done]
        return list(zip(finished, self.gather(finished)))

    def result(self, handle):
        """The result of one handle."""
        return handle.result()

    def n_slots(self):
        """Tasks that can run at once: the cluster's worker threads."""
        return max(1, sum(self.client.nthreads().values()))

    def cancel(self, handles):
        """Cancel pending tasks (finished ones release their results)."""
        handles = [h for h in handles if h is not None]
        if handles:
            self.client.cancel(handles)


class LocalRunner:
    """Tasks as ``dask.delayed`` calls on the current local scheduler.

    Parameters
    ----------
    n_jobs : int or None, default=None
        Threads of the local scheduler (``-1``: one per core); ``None``: Dask's default.
    """

    mode = "local"

    def __init__(self, n_jobs=None):
        self.n_jobs = n_jobs

    def put(self, obj, recoverable=False):
        """In-memory data as is; Dask collections computed once by the local scheduler."""
        if obj is None:
            return None
        if is_dask_collection(obj):
            (obj,) = dask.compute(obj)
        return obj

    def compute(self, collections):
        """Compute a list of Dask collections in this process; a list of results."""
        return list(dask.compute(*collections))

    def replicate(self, handle):
        """Nothing to copy: the local scheduler shares this process's memory."""

    def submit(self, func, *args, **kwargs):
        """``func(*args, **kwargs)`` as a ``dask.delayed`` call (run by :meth:`gather`)
        under the caller's scikit-learn settings."""
        return dask.delayed(_run_in_config)(
            _caller_sklearn_config(), func, *args, dask_key_name=_task_key(func), **kwargs
        )

    def result_part(self, handle, result, index):
        """``result[index]`` of the finished task ``handle`` (results live here)."""
        return result[index]

    def gather(self, handles):
        """Run ``handles`` together on the local scheduler; their results, in order."""
        handles = list(handles)
        if not handles:
            return []
        kwargs = {}
        if self.n_jobs is not None:
            kwargs["num_workers"] = os.cpu_count() if self.n_jobs < 0 else self.n_jobs
        return list(dask.compute(*handles, **kwargs))

    def wait_first(self, handles):
        """The local scheduler runs a batch at once: every ``(handle, result)`` pair."""
        handles = list(handles)
        return list(zip(handles, self.gather(handles)))

    def result(self, handle):
        """The result of one handle (runs it)."""
        return self.gather([handle])[0]

    def n_slots(self):
        """Tasks that can run at once: this machine's cores."""
        return os.cpu_count() or 1

    def cancel(self, handles):
        """Nothing runs before :meth:`gather`: nothing to cancel."""


def task_runner(n_jobs=None, owner="search"):
    """The runner for the current context: distributed when a client is active.

    Parameters
    ----------
    n_jobs : int or None, default=None
        How many tasks run at once, as scikit-learn's ``n_jobs``: the local scheduler's
        threads; on a cluster, ``None`` or ``-1`` every worker thread, ``k > 0`` at most
        ``k`` tasks at once (a cluster-wide semaphore), ``k < -1`` all threads but
        ``-k - 1``.
    owner : str, default="search"
        Name of the caller, for the error message.

    Returns
    -------
    runner : DistributedRunner or LocalRunner
    """
    client = get_client()
    if client is None:
        return LocalRunner(n_jobs)
    if n_jobs == 0:
        raise ValueError(f"n_jobs == 0 in {owner} has no meaning.")
    return DistributedRunner(client, n_jobs)
