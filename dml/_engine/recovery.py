"""Chunks made again after a lost worker.

Dask input persisted on a cluster is recomputed by the scheduler from its graph when a
worker dies. In-memory input that dml scattered has no graph: only the caller holds it.
So every :class:`~dml._engine.inputs.ChunkedData` records, per array (X, y,
sample_weight), a *recipe* for its chunks:

- ``("host", parts)``: scattered from these host arrays (views of the caller's data);
- ``("like", parts)``: these host arrays put in the namespace of the X chunks;
- ``("map", func, source, kwargs)``: ``func`` of the ``source`` array's chunks
  (:func:`~dml._engine.mapreduce.map_chunks`), with the source's own recipe and parts;
- no recipe: the chunks come from a graph the scheduler can recompute.

The recipes hold whatever chunks were scattered or derived, dense arrays or
``scipy.sparse`` CSR chunks alike (the host parts of sparse X are CSR views of the
caller's matrix), so lost sparse chunks are made again the same way.

When a pass fails because chunks it needed were lost, :func:`with_recovery` sends the lost
host chunks again, re-derives the lost derived ones (only those chunks), forgets the chunk
placement and runs the pass again; a pass that failed with nothing of its data lost (a
task's other input went with a worker) is run once more before the error is raised. The result is the same: the chunks hold the same
values. This module runs on the driver only; workers never import ``distributed`` here.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import CancelledError

from dml._engine.namespace import asarray_like, call_chunk

#: Passes re-run after lost chunks before the error is raised.
MAX_RECOVERIES = 3
#: Seconds to wait for the client to learn which futures were lost.
_LOSS_WAIT = 5.0


def note_host(data, which, parts):
    """Record that ``data``'s ``which`` chunks were scattered from host ``parts``."""
    data._recipes = dict(data._recipes)
    data._recipes[which] = (("host", parts), getattr(data, which))


def note_derived(out, data, which, recipe):
    """Record ``out``'s ``which`` chunks as derived from ``data`` by ``recipe``."""
    recipes = dict(data._recipes)
    if recipe[0] == "map":
        _, func, source, kws = recipe
        src = data._recipes.get(source, (None, getattr(data, source)))
        recipe = ("map", func, src, kws)
    recipes[which] = (recipe, getattr(out, which))
    out._recipes = recipes


def _lost(future):
    return getattr(future, "status", "finished") in ("lost", "cancelled", "error")


def _rebuild(client, entry, i, X_parts):
    """A new future for chunk ``i`` of a recorded ``(recipe, parts)`` entry."""
    recipe, parts = entry
    if recipe is None:
        raise _Unrecoverable()
    kind = recipe[0]
    if kind == "host":
        new = client.scatter(recipe[1][i], hash=False)
    elif kind == "like":
        new = client.submit(asarray_like, recipe[1][i], X_parts[i], pure=False)
    else:
        _, func, src, kws = recipe
        src_parts = src[1]
        if _lost(src_parts[i]):
            src_parts[i] = _rebuild(client, src, i, X_parts)
        new = client.submit(call_chunk, func, src_parts[i], kws[i], pure=False)
    parts[i] = new
    return new


class _Unrecoverable(Exception):
    pass


def _recover(data):
    """Make the lost chunks of ``data`` again; False when none was lost or one cannot be."""
    deadline = time.monotonic() + _LOSS_WAIT
    arrays = [w for w in ("X", "y", "sample_weight") if getattr(data, w) is not None]
    while True:
        lost = {w: [i for i, f in enumerate(getattr(data, w)) if _lost(f)] for w in arrays}
        if any(lost.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if not any(lost.values()):
        return False
    try:
        for w in arrays:  # X first: the "like" recipes of y and weights read it
            current = getattr(data, w)
            entry = data._recipes.get(w, (None, current))
            for i in lost[w]:
                if _lost(current[i]):
                    current[i] = _rebuild(data.client, (entry[0], current), i, data.X)
    except _Unrecoverable:
        return False
    data._groups = None
    return True


class SchedulerLostError(RuntimeError):
    """The connection to the Dask scheduler was lost while a fit was running."""


def _scheduler_lost(client):
    return client is not None and getattr(client, "status", "running") not in ("running", "connecting")


def with_recovery(data, func, *args):
    """``func(*args)`` (one pass over ``data`` on a cluster), run again after chunks of
    ``data`` were lost with a worker and made again (at most :data:`MAX_RECOVERIES`).

    A lost scheduler cannot be recovered from (it holds the cluster's state): the pass
    then raises :class:`SchedulerLostError` at once instead of waiting."""
    attempts, blind_retry = 0, False
    while True:
        try:
            return func(*args)
        except (CancelledError, asyncio.CancelledError, KeyError, OSError) as exc:
            # A task whose input was forgotten is cancelled (FutureCancelledError is a
            # CancelledError); a gather of a lost key can fail with KeyError or a
            # communication error.
            if data.mode != "distributed":
                raise
            if _scheduler_lost(data.client) or "scheduler-connection-lost" in str(exc):
                raise SchedulerLostError(
                    "The connection to the Dask scheduler was lost during the fit; it cannot "
                    "continue without the scheduler (which holds the cluster's state). "
                    "Reconnect a Client and fit again."
                ) from exc
            if attempts >= MAX_RECOVERIES:
                raise
            attempts += 1
            if data.lazy or not _recover(data):
                # Nothing of the data was lost (the scheduler recomputes graph-backed
                # chunks; a scattered broadcast or a task's input may have gone with a
                # worker): run the pass once more, then give up.
                if blind_retry:
                    raise exc
                blind_retry = True
                data._groups = None
