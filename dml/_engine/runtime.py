"""Where work runs, resolved at call time; progress reporting for iterative fits.

Estimators never store a client. Each call asks :func:`get_client` which returns the
default ``distributed.Client`` when one exists and Dask is configured to use it, else
``None`` (the current local Dask scheduler runs the work).
"""

from __future__ import annotations

import functools
import sys
import threading
import warnings
from contextlib import contextmanager

import dask

from dml._config import __version__, get_config
from dml._engine.memory import scheduler_workers


def get_client():
    """Return the active ``distributed.Client``, or ``None`` for local scheduling.

    ``distributed`` is only consulted when it is already imported (a client can only
    exist then), so plain local use never pays its import. A scheduler chosen with
    ``dask.config.set(scheduler="sync" | "threads" | "processes")`` wins over a client.
    """
    if "distributed" not in sys.modules:
        return None
    scheduler = dask.config.get("scheduler", None)
    if scheduler not in (None, "dask.distributed", "distributed"):
        return None
    from distributed import default_client  # imported already (checked above)

    try:
        return default_client()
    except ValueError:
        return None


class _NoProgress:
    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def progress_bar(total, desc):
    """A tqdm bar (terminal or notebook) when ``progress=True`` is configured, else a no-op.

    Parameters
    ----------
    total : int or None
        Expected number of steps (e.g. ``max_iter``); ``None`` for unknown.
    desc : str
        Label shown before the bar.
    """
    if not get_config()["progress"]:
        return _NoProgress()
    from tqdm.auto import tqdm  # only when progress is on: tqdm.auto probes for Jupyter

    return tqdm(total=total, desc=desc, leave=True)


_driver_lock = threading.Lock()
_driver_depth = 0
_driver_limiter = None


@functools.lru_cache(maxsize=1)
def _this_host():
    """Names and addresses of this machine (looked up once per process)."""
    import socket  # once per process (lru_cache), only with a client

    hosts = {"127.0.0.1", "localhost", "::1"}
    try:
        hostname = socket.gethostname()
        hosts.add(hostname)
        hosts.update(socket.gethostbyname_ex(hostname)[2])
    except OSError:
        pass
    return frozenset(hosts)


def _workers_share_this_host(client):
    """True when some worker of ``client`` runs on this machine (a ``LocalCluster``)."""
    hosts = _this_host()
    workers = client.scheduler_info().get("workers", {})
    return any(info.get("host") in hosts for info in workers.values())


@contextmanager
def driver_blas(client):
    """Run the block with one BLAS thread in this (driver) process when ``client``'s
    workers share this machine.

    An iterative fit's driver calls BLAS on small arrays between round trips (the
    optimiser's own algebra). OpenBLAS then keeps its pool threads spinning while the
    driver waits for the workers, taking cores the workers on the same machine need:
    on a 2-core ``LocalCluster`` a LogisticRegression fit lost ~30% to it. Process-wide
    and reference-counted, so concurrent fits in threads nest safely; remote clusters
    are left alone.
    """
    global _driver_depth, _driver_limiter
    if client is None or not _workers_share_this_host(client):
        yield
        return
    from threadpoolctl import threadpool_limits  # only for clusters on this machine

    with _driver_lock:
        if _driver_depth == 0:
            _driver_limiter = threadpool_limits(limits=1, user_api="blas")
        _driver_depth += 1
    try:
        yield
    finally:
        with _driver_lock:
            _driver_depth -= 1
            if _driver_depth == 0:
                _driver_limiter.restore_original_limits()
                _driver_limiter = None


class WorkerEnvironmentError(ImportError):
    """A worker cannot run dml's kernels (dml missing there, or not importable)."""


#: clients (and their worker sets) whose workers were checked
_checked_workers = {}
_checked_lock = threading.Lock()
#: evaluated on each worker by the builtin ``eval``: the probe must not need dml itself
_PROBE = "__import__('dml').__version__"


def check_workers(client):
    """Check once per client and set of workers that every worker can import dml, at
    this process's version.

    Raises :class:`WorkerEnvironmentError` naming the workers where ``import dml`` fails
    (and why), and warns (``RuntimeWarning``) when a worker's dml version differs. The
    probe is the builtin ``eval`` of an import expression, so it runs on a worker that
    lacks dml. Costs one ``Client.run`` round trip per new set of workers.
    """
    workers = frozenset(scheduler_workers(client))
    key = (getattr(client, "id", id(client)), workers)
    with _checked_lock:
        if key in _checked_workers:
            return
    answers = client.run(eval, _PROBE, on_error="return")
    missing = {w: v for w, v in answers.items() if isinstance(v, BaseException)}
    if missing:
        detail = "; ".join(f"{w}: {type(e).__name__}: {e}" for w, e in sorted(missing.items()))
        raise WorkerEnvironmentError(
            f"dml cannot be imported on {len(missing)} of {len(answers)} Dask workers "
            f"({detail}). Install dml {__version__} (and its dependencies) in every "
            "worker's environment."
        )
    other = {w: v for w, v in answers.items() if v != __version__}
    if other:
        warnings.warn(
            f"dml {__version__} runs here but the workers have other versions: "
            f"{dict(sorted(other.items()))}; results may differ or fail. Install the same "
            "dml version everywhere.",
            RuntimeWarning,
            stacklevel=3,
        )
    with _checked_lock:
        _checked_workers[key] = True
