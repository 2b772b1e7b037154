"""glibc's allocation thresholds while a chunk kernel runs on a Dask worker.

Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, and setting that
variable also pins glibc's mmap threshold at 128 KiB: every temporary above 128 KiB is
then mapped afresh and page-faulted on first touch, and freed memory goes straight back
to the kernel. Kernels that allocate many large temporaries (the forests' level-wise
growth, the ALS block solves) spend much of their time in page faults there: a 126k-row
tree took 1.91 s instead of 0.68 s, and an implicit ALS block solve used 3 to 6 times the
CPU it used in an ordinary process.

:func:`kept_allocations` raises both thresholds while such a kernel runs, only in a process
started with ``MALLOC_TRIM_THRESHOLD_`` or ``MALLOC_MMAP_THRESHOLD_`` (glibc's adaptive
thresholds are left alone elsewhere), restores the environment's values when the last
kernel using it ends, and trims the heap then. Nothing happens off glibc.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from contextlib import contextmanager

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_lock = threading.Lock()
_users = [0]


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


@contextmanager
def kept_allocations(mmap_threshold=32 << 20, trim_threshold=1 << 30):
    """Keep freed memory in the heap and serve arrays up to ``mmap_threshold`` bytes from
    it while the block runs (see the module's docstring); reentrant and thread-safe."""
    trim_env = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    mmap_env = os.environ.get("MALLOC_MMAP_THRESHOLD_")
    fns = _glibc() if (trim_env or mmap_env) else None
    if fns is None:
        yield
        return
    mallopt, trim = fns
    with _lock:
        _users[0] += 1
        if _users[0] == 1:
            mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))
            mallopt(_M_TRIM_THRESHOLD, int(trim_threshold))
    try:
        yield
    finally:
        with _lock:
            _users[0] -= 1
            if _users[0] == 0:
                mallopt(_M_TRIM_THRESHOLD, int(trim_env or 128 << 10))
                mallopt(_M_MMAP_THRESHOLD, int(mmap_env or 128 << 10))
                trim(0)
