"""Context-local settings for dml (target chunk size, progress bars, tree width).

Settings live in a :class:`contextvars.ContextVar`, so ``config_context`` is safe
across threads and asyncio tasks and never leaks between concurrent callers.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

#: dml's version (here, so that the engine can compare it with the workers' without
#: importing the package's top level)
__version__ = "0.1.0"

_DEFAULTS = MappingProxyType(
    {
        # Target bytes of one row chunk when dml chunks in-memory data itself.
        "chunk_bytes": 64 * 2**20,
        # In-memory input up to this many bytes runs the kernels directly, with no graph.
        # None means "same as chunk_bytes" (input below one chunk).
        "fast_path_bytes": None,
        # Show tqdm progress bars: iterations of the L-BFGS / Newton fits, passes over the
        # data of the other fits that run a task graph.
        "progress": False,
        # Fan-in of the tree combine on the workers.
        "split_every": 8,
        # Whether iterative fits keep lazy (Dask) input in memory between passes:
        # "auto" when it fits in half the workers' memory (see dml._engine.memory),
        # True always, False never (every pass re-reads the source). One-pass fits never do.
        "persist": "auto",
    }
)

_config: ContextVar = ContextVar("dml_config", default=_DEFAULTS)


def get_config():
    """Return a copy of the current dml settings as a dict.

    Returns
    -------
    config : dict
        ``chunk_bytes``, ``fast_path_bytes``, ``progress`` and ``split_every``; see
        :func:`set_config`.

    Examples
    --------
    >>> import dml
    >>> dml.get_config()["progress"]
    False
    >>> with dml.config_context(progress=True):
    ...     dml.get_config()["progress"]
    True
    """
    return dict(_config.get())


def _validate(updates):
    for key, value in updates.items():
        if key not in _DEFAULTS:
            raise TypeError(f"Unknown dml setting {key!r}; known settings are {sorted(_DEFAULTS)}.")
        if key in ("chunk_bytes", "split_every") and (
            not isinstance(value, int) or value < (2 if key == "split_every" else 1)
        ):
            raise ValueError(f"{key} must be an int >= {2 if key == 'split_every' else 1}, got {value!r}.")
        if key == "fast_path_bytes" and value is not None and (not isinstance(value, int) or value < 0):
            raise ValueError(f"fast_path_bytes must be None or an int >= 0, got {value!r}.")
        if key == "persist" and not (value is True or value is False or value == "auto"):
            raise ValueError(f"persist must be 'auto', True or False, got {value!r}.")
        if key == "progress" and not isinstance(value, bool):
            raise ValueError(f"progress must be True or False, got {value!r}.")


def set_config(**settings):
    """Change dml settings for the current context (and contexts it spawns).

    Parameters
    ----------
    chunk_bytes : int, optional
        Target size in bytes of one row chunk when dml splits in-memory data.
    fast_path_bytes : int or None, optional
        In-memory input at most this large runs kernels directly with no task graph.
        ``None`` (default) uses ``chunk_bytes``.
    progress : bool, optional
        Show progress bars (``tqdm.auto``: terminal or notebook): the iterations and loss
        of the L-BFGS / Newton fits, and the passes over the data of the other fits that
        run a task graph (KMeans, PCA, the scalers on Dask input, ...).
    split_every : int, optional
        Fan-in of the tree combine of per-chunk partial results.
    persist : {"auto", True, False}, optional
        Whether iterative fits (``LogisticRegression``, ``KMeans``, ...) keep Dask input
        in the cluster's memory (or this process's, without a client) between passes.
        ``"auto"`` (default) does when the input takes at most half of the workers' total
        memory limit (half of this machine's available memory without a client), and
        otherwise re-reads it from its source on every pass. One-pass fits never persist.

    Examples
    --------
    >>> import dml
    >>> before = dml.get_config()["split_every"]
    >>> dml.set_config(split_every=4)
    >>> dml.get_config()["split_every"]
    4
    >>> dml.set_config(split_every=before)
    """
    _validate(settings)
    new = dict(_config.get())
    new.update(settings)
    _config.set(MappingProxyType(new))


@contextmanager
def config_context(**settings):
    """Temporarily change dml settings; see :func:`set_config` for the names.

    Parameters
    ----------
    **settings
        The settings of :func:`set_config`, restored when the block ends (also on error).

    Examples
    --------
    >>> import dml
    >>> with dml.config_context(chunk_bytes=1 << 20):
    ...     dml.get_config()["chunk_bytes"]
    1048576
    >>> dml.get_config()["chunk_bytes"] == 1 << 20
    False
    """
    _validate(settings)
    new = dict(_config.get())
    new.update(settings)
    token = _config.set(MappingProxyType(new))
    try:
        yield
    finally:
        _config.reset(token)
