"""Where work runs, resolved at call time; progress reporting for iterative fits.

Estimators never store a client. Each call asks :func:`get_client` which returns the
default ``distributed.Client`` when one exists and Dask is configured to use it, else
``None`` (the current local Dask scheduler runs the work).
"""

from __future__ import annotations

import sys

import dask

from dml._config import get_config


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
    from distributed import default_client

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
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=True)
