"""Compiled chunk kernels: numba, imported and run on first call.

Most chunk kernels are NumPy expressions. A few inner loops cannot be written as whole-array
operations without temporaries many times the chunk's size (a tree histogram is one
scattered add per row and feature; a per-row conjugate-gradient solve is a short loop of
tiny products); those are written as plain Python loops and compiled by numba.

:func:`compiled` keeps the kernel modules light: decorating a function imports nothing,
and numba (which imports SciPy) is imported, and the function compiled, on its first
call in a process. A worker that never runs a compiled kernel never imports numba.
Compiled code is cached on disk (``cache=True``: beside the module, or in numba's
per-user cache directory where the package is read-only), so a fresh worker loads the
machine code instead of compiling it again. Compiled kernels release the GIL
(``nogil=True``): two threads of one worker run them at the same time.

The decorated function is an ordinary module-level function (it pickles by reference, as
kernels travel); ``fn.py_func`` is the undecorated Python function (tests compare the
two), and ``fn.dispatcher()`` the numba dispatcher, for a compiled kernel that calls
another.
"""

from __future__ import annotations

import functools
import threading

__all__ = ["compiled"]

_lock = threading.Lock()


def compiled(fn=None, **options):
    """Decorate ``fn`` to run numba-compiled (``njit(cache=True, nogil=True, **options)``).

    Parameters
    ----------
    fn : callable, optional
        A function numba's nopython mode compiles (NumPy arrays, scalars, loops).
    **options
        More :func:`numba.njit` options (``fastmath``, ``boundscheck``, ...).

    Returns
    -------
    callable
        A function with ``fn``'s name and signature; the first call imports numba and
        compiles (or loads the cached machine code of) ``fn`` for the argument types.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._engine.compiled import compiled
    >>> @compiled
    ... def total(a):
    ...     s = 0.0
    ...     for x in a:
    ...         s += x
    ...     return s
    >>> float(total(np.arange(4.0)))
    6.0
    >>> float(total.py_func(np.arange(4.0)))
    6.0

    Notes
    -----
    Computation: none at decoration; the first call in a process imports numba (about
    0.5 s) and compiles the function (a second or two; a cached compile loads in
    milliseconds). ``cache=True`` applies to functions defined in a module file; one
    defined interactively compiles without a disk cache.
    """
    if fn is None:
        return lambda f: compiled(f, **options)
    state = {}

    def dispatcher():
        d = state.get("d")
        if d is None:
            with _lock:
                d = state.get("d")
                if d is None:
                    import numba

                    opts = {"nogil": True, "cache": _cacheable(fn), **options}
                    d = state["d"] = numba.njit(**opts)(fn)
        return d

    @functools.wraps(fn)
    def call(*args, **kwargs):
        return dispatcher()(*args, **kwargs)

    call.py_func = fn
    call.dispatcher = dispatcher
    return call


def _cacheable(fn):
    """numba caches only functions defined in a file (not ``<string>`` or a doctest)."""
    code = getattr(fn, "__code__", None)
    name = "" if code is None else code.co_filename
    return bool(name) and not name.startswith("<")
