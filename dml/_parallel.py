"""scikit-learn's own parallel work (searches, cross-validation) on a Dask cluster.

:class:`DaskBackend` is dml's joblib backend, registered with joblib as ``"dml-dask"``;
:func:`parallel_backend` resolves the client when the context is entered and makes it the
active backend. Compared with joblib's own ``"dask"`` backend it

- sends large arguments (``X``, ``y``, fold indices) from the caller straight to a worker
  (``client.scatter(direct=True)``), never through the scheduler, once per ``Parallel``
  call (once per context for ``scatter=`` objects), and keeps the caller's objects so that
  data lost with a worker is sent again;
- resubmits a batch whose task was cancelled or whose data was lost with a worker (a
  batch is a list of pure calls on clones, so running it again gives the same result);
- spreads the batches over the workers itself (a loose ``workers=`` preference: the
  least loaded worker, ``allow_other_workers=True``), so the worker holding a large
  argument does not get every task; a worker that has not finished a batch yet (one that
  replaces a lost worker) gets one at a time;
- runs nested joblib calls inside a task one after the other (joblib's sequential
  backend), so ``RandomForestClassifier(n_jobs=-1)`` inside a search neither starts
  threads on the worker nor sends tasks of its own.
"""

from __future__ import annotations

import inspect
import pickle
import threading
import time
import traceback
import uuid
from concurrent.futures import CancelledError
from concurrent.futures import Future as _CallFuture
from contextlib import contextmanager

import joblib
from joblib.parallel import (
    AutoBatchingMixin,
    ParallelBackendBase,
    SequentialBackend,
    register_parallel_backend,
)

BACKEND_NAME = "dml-dask"

# Arguments above this size are scattered once per call instead of being pickled into
# every task (joblib's "dask" backend uses 1 kB; fold indices of small data stay inline).
_SCATTER_MIN_BYTES = 10_000

# How long the list of workers (for spreading batches) is reused before asking again.
_WORKERS_MAX_AGE = 0.5

# client.submit keywords that may be passed through parallel_backend(**backend_kwargs).
_SUBMIT_KWARGS = frozenset(
    {"workers", "resources", "retries", "priority", "fifo_timeout", "allow_other_workers"}
)


class _RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, shown as its cause."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __str__(self):
        return self.text


class _Raised:
    """An exception raised by a call inside a task, returned as the task's value so that
    the caller can tell it from a task that failed for the cluster's sake (lost worker)."""

    def __init__(self, exc):
        self.text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - any unpicklable exception is sent as its text
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        self.exc = exc.with_traceback(None)

    def reraise(self):
        raise self.exc from _RemoteTraceback(self.text)


def _run_batch(calls):
    """Run joblib's calls one after the other in a worker thread (the task of a batch).

    Nested joblib calls run sequentially (``n_jobs=1``): the worker's threads are the
    parallelism, and an estimator's own ``n_jobs`` must not oversubscribe them.
    """
    out = []
    with joblib.parallel_config(backend="sequential", n_jobs=1):
        for func, args, kwargs in calls:
            try:
                out.append(func(*args, **kwargs))
            except Exception as exc:  # noqa: BLE001 - raised again in the caller
                return _Raised(exc)
    return out


def _batch_name(batch):
    func = batch.items[0][0] if batch.items else None
    func = getattr(func, "function", func)  # scikit-learn's delayed wraps the function
    name = getattr(func, "__name__", type(func).__name__)
    return f"joblib-{name}-{len(batch.items)}"


class _Job(_CallFuture):
    """The future joblib gets for one batch; resolved once, after any resubmissions."""

    def __init__(self, batch, callback):
        super().__init__()
        self.batch = batch
        self.callback = callback
        self.attempts = 0
        self.aborted = False
        self.future = None
        self.worker = None
        self.data = []  # the dask futures of the shared arguments of the current attempt


class DaskBackend(AutoBatchingMixin, ParallelBackendBase):
    """dml's joblib backend on a ``distributed`` cluster (registered as ``"dml-dask"``).

    Use it through :func:`parallel_backend`; ``joblib.parallel_config("dml-dask",
    client=client)`` also works.

    Parameters
    ----------
    client : distributed.Client, default=None
        ``None``: the current client (``distributed.get_client()``).
    scatter : list of objects, default=None
        Objects sent to a worker once, when the backend is created; calls whose
        arguments are these very objects receive them from the cluster.
    wait_for_workers_timeout : float, default=10
        Seconds to wait for a first worker when the cluster has none.
    max_resubmits : int, default=3
        How many times one batch is submitted again after its task was cancelled or its
        data was lost with a worker, before the error is raised.
    nesting_level : int, default=None
        joblib's nesting level (set by joblib).
    **submit_kwargs
        Passed to ``client.submit``: ``workers``, ``resources``, ``retries``,
        ``priority``, ``fifo_timeout``, ``allow_other_workers``. ``workers`` is a
        preference unless ``allow_other_workers=False`` is passed too.

    Attributes
    ----------
    client : distributed.Client
        The client the tasks are sent with.
    n_submitted : int
        Tasks submitted (one per batch of joblib calls, plus resubmissions).
    n_resubmitted : int
        Batches submitted again after a lost worker.
    n_scattered : int
        Arguments sent to the cluster (including those sent again).

    Notes
    -----
    Computation: one task per batch of joblib calls; joblib sizes batches so that a task
    takes 0.2-1 s. Arguments over 10 kB are sent once per ``Parallel`` call from the
    caller to one worker (``direct=True``); the workers fetch them from each other. A
    worker holds the shared arguments of the calls it runs (usually ``X``, ``y`` and the
    folds' indices) plus one batch's work. Batches go to the worker with the fewest of
    this backend's batches per thread; one that has not finished a batch yet gets one at
    a time while another has.

    Examples
    --------
    >>> import joblib
    >>> from distributed import Client
    >>> import dml.parallel
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=2,
    ...                 dashboard_address=":0", set_as_default=False)
    >>> with joblib.parallel_config("dml-dask", client=client):
    ...     squares = joblib.Parallel()(joblib.delayed(pow)(i, 2) for i in range(4))
    >>> squares
    [0, 1, 4, 9]
    >>> client.close()
    """

    MIN_IDEAL_BATCH_DURATION = 0.2
    MAX_IDEAL_BATCH_DURATION = 1.0
    supports_retrieve_callback = True
    supports_sharedmem = False
    uses_threads = False
    default_n_jobs = -1

    def __init__(
        self,
        client=None,
        scatter=None,
        *,
        wait_for_workers_timeout=10,
        max_resubmits=3,
        nesting_level=None,
        **submit_kwargs,
    ):
        super().__init__(nesting_level=nesting_level)
        unknown = sorted(set(submit_kwargs) - _SUBMIT_KWARGS)
        if unknown:
            raise TypeError(
                f"Unexpected keyword argument(s) {unknown} for the dml-dask joblib backend; it takes "
                f"client, scatter, wait_for_workers_timeout, max_resubmits, joblib's parallel_config "
                f"options and client.submit's {sorted(_SUBMIT_KWARGS)}."
            )
        if "workers" in submit_kwargs:
            submit_kwargs.setdefault("allow_other_workers", True)
        if client is None:
            from distributed import get_client  # `import dml` stays free of distributed

            try:
                client = get_client()
            except ValueError as exc:
                raise ValueError(
                    "The dml-dask joblib backend needs a distributed.Client: create one first "
                    "(Client() or Client('scheduler-address:8786')), or use "
                    "dml.parallel.parallel_backend(), which starts a LocalCluster when there is none."
                ) from exc
        if scatter is not None and not isinstance(scatter, (list, tuple)):
            raise TypeError(f"scatter must be a list or tuple of objects, got {type(scatter).__name__}.")
        self.client = client
        self.wait_for_workers_timeout = wait_for_workers_timeout
        self.max_resubmits = max_resubmits
        self.submit_kwargs = submit_kwargs
        self.n_submitted = 0
        self.n_resubmitted = 0
        self.n_scattered = 0
        self._lock = threading.RLock()
        self._held = {}  # id(obj) -> (obj, future): scatter=, for the backend's life
        self._call_held = {}  # id(obj) -> (obj, future): large arguments of this call
        self._jobs = set()
        self._load = {}  # worker address -> batches of ours on it
        self._proven = set()  # workers that finished a batch of ours
        self._workers, self._workers_at = {}, -float("inf")  # client.nthreads(), when
        for obj in scatter or ():
            self._share(obj, self._held)

    # -- joblib's backend interface ---------------------------------------------------

    def effective_n_jobs(self, n_jobs):
        """The worker threads of the cluster for ``n_jobs`` (``-1``/``None``: all)."""
        if n_jobs == 0:
            raise ValueError("n_jobs == 0 in Parallel has no meaning")
        if n_jobs is not None and n_jobs > 0:
            return n_jobs
        threads = sum(self.client.nthreads().values())
        if threads == 0 and self.wait_for_workers_timeout:
            try:
                self.client.wait_for_workers(1, timeout=self.wait_for_workers_timeout)
            except TimeoutError as exc:
                raise TimeoutError(
                    f"The Dask cluster has no worker after {self.wait_for_workers_timeout} s; "
                    "start workers, or pass a larger wait_for_workers_timeout to parallel_backend."
                ) from exc
            threads = sum(self.client.nthreads().values())
        return max(threads + 1 + n_jobs, 1) if n_jobs is not None else max(threads, 1)

    def configure(self, n_jobs=1, parallel=None, **backend_kwargs):
        """Start a ``Parallel`` call; returns the number of concurrent batches."""
        self.parallel = parallel
        return self.effective_n_jobs(n_jobs)

    def get_nested_backend(self):
        """Nested calls inside a task run sequentially (joblib's sequential backend)."""
        return SequentialBackend(nesting_level=(self.nesting_level or 0) + 1), None

    def submit(self, func, callback=None):
        """Send one batch of joblib calls to the cluster; returns its future."""
        job = _Job(func, callback)
        self._launch(job)
        return job

    def retrieve_result_callback(self, out):
        """The results of a finished batch (raises the exception of a failed call)."""
        result = out.result()
        if isinstance(result, _Raised):
            result.reraise()
        return result

    def abort_everything(self, ensure_ready=True):
        """Cancel the batches still running (joblib stops after a call raised)."""
        with self._lock:
            jobs, self._jobs = self._jobs, set()
            for job in jobs:
                job.aborted = True
        futures = [job.future for job in jobs if job.future is not None]
        if futures:
            self.client.cancel(futures)

    def stop_call(self):
        """End of a ``Parallel`` call: release the arguments it sent to the cluster."""
        with self._lock:
            self._call_held = {}

    def terminate(self):
        """Release this call's shared arguments (``scatter=`` objects stay until close)."""
        self.stop_call()

    def close(self):
        """Release everything this backend sent to the cluster."""
        with self._lock:
            self._call_held = {}
            self._held = {}

    @contextmanager
    def retrieval_context(self):
        """Inside a Dask task (a nested search), give the thread back while waiting."""
        from distributed import get_worker, rejoin, secede  # only when results are awaited

        try:
            get_worker()
        except ValueError:
            yield
            return
        secede()
        try:
            yield
        finally:
            rejoin()

    # -- shared arguments -------------------------------------------------------------

    def _share(self, obj, table):
        """Scatter ``obj`` straight from here to one worker, retrying if that worker dies
        meanwhile; remember it in ``table`` (which keeps ``obj`` alive, so its id stays
        its own)."""
        last = None
        for _ in range(3):
            try:
                (future,) = self.client.scatter([obj], direct=True, hash=False)
            except OSError as exc:  # the chosen worker went away (CommClosedError, timeouts)
                last = exc
                continue
            table[id(obj)] = (obj, future)
            self.n_scattered += 1
            return future
        raise last

    def _shared(self, obj):
        from dask.sizeof import sizeof  # dask is loaded once a client exists

        for table in (self._held, self._call_held):
            entry = table.get(id(obj))
            if entry is not None and entry[0] is obj:
                if entry[1].status in ("finished", "pending"):
                    return entry[1]
                return self._share(obj, table)  # its data was lost with the workers holding it
        if sizeof(obj) > _SCATTER_MIN_BYTES:
            return self._share(obj, self._call_held)
        return None

    def _calls(self, job):
        """The batch's calls with shared arguments replaced by their futures."""
        calls, data = [], []

        def swap(value):
            future = self._shared(value)
            if future is None:
                return value
            data.append(future)
            return future

        with self._lock:
            for func, args, kwargs in job.batch.items:
                calls.append((func, [swap(a) for a in args], {k: swap(v) for k, v in kwargs.items()}))
        job.data = data
        return calls

    def _send_again_lost(self, job):
        """Scatter again the shared arguments of ``job`` that no worker holds any more."""
        if not job.data:
            return
        lost = {f.key for f in job.data if f.status != "finished"}
        known = [f for f in job.data if f.key not in lost]
        holders = self.client.who_has(known) if known else {}
        lost.update(f.key for f in known if not holders.get(f.key))
        with self._lock:
            for table in (self._held, self._call_held):
                for obj, future in list(table.values()):
                    if future.key in lost:
                        self._share(obj, table)

    # -- submission and completion ----------------------------------------------------

    def _pick_worker(self, fresh=False):
        """The worker with the fewest of our batches per thread (a loose preference)."""
        now = time.monotonic()
        if fresh or now - self._workers_at > _WORKERS_MAX_AGE:  # one scheduler call per 0.5 s
            self._workers, self._workers_at = self.client.nthreads(), now
        nthreads = self._workers
        if not nthreads:
            return None
        with self._lock:
            self._load = {w: self._load.get(w, 0) for w in nthreads}
            # A worker that has not finished a batch of ours yet (one that replaces a lost
            # worker is still importing scikit-learn, and answers nothing meanwhile) gets
            # one batch at a time while another worker has proven itself.
            ready = [w for w in nthreads if w in self._proven or self._load[w] == 0]
            if not any(w in self._proven for w in nthreads):
                ready = list(nthreads)
            worker = min(sorted(ready or nthreads), key=lambda w: self._load[w] / max(nthreads[w], 1))
            self._load[worker] += 1
        return worker

    def _launch(self, job):
        try:
            calls = self._calls(job)
            kwargs = dict(self.submit_kwargs)
            if "workers" not in kwargs:
                job.worker = self._pick_worker(fresh=job.attempts > 0)
                if job.worker is not None:
                    kwargs.update(workers=[job.worker], allow_other_workers=True)
            future = self.client.submit(
                _run_batch, calls, key=f"{_batch_name(job.batch)}-{uuid.uuid4().hex}", pure=False, **kwargs
            )
        except CancelledError as exc:  # data of this batch lost in the meantime
            self._resubmit(job, exc)
            return
        except Exception as exc:  # noqa: BLE001 - joblib receives it as the batch's error
            self._finish(job, exc=exc)
            return
        with self._lock:
            self.n_submitted += 1
            job.future = future
            self._jobs.add(job)
        future.add_done_callback(lambda f, job=job: self._done(job, f))

    def _done(self, job, future):
        """Runs in distributed's callback thread when a batch's task ends."""
        if job.aborted or future is not job.future:
            return
        with self._lock:
            if job.worker in self._load:
                self._load[job.worker] = max(self._load[job.worker] - 1, 0)
        status = future.status
        if status == "finished":
            try:
                result = future.result()
            except CancelledError as exc:  # its result was lost with its worker
                self._resubmit(job, exc)
            else:
                with self._lock:
                    self._proven.add(job.worker)
                self._finish(job, result=result)
        elif status in ("cancelled", "lost"):
            self._resubmit(job, CancelledError(f"task {future.key} was {status}"))
        else:
            exc = future.exception()
            if isinstance(exc, CancelledError):
                self._resubmit(job, exc)
            else:
                self._finish(job, exc=exc)

    def _resubmit(self, job, exc):
        if job.aborted:
            return
        if job.attempts >= self.max_resubmits:
            self._finish(job, exc=exc)
            return
        job.attempts += 1
        with self._lock:
            self.n_resubmitted += 1
        try:
            self._send_again_lost(job)
        except Exception as err:  # noqa: BLE001 - e.g. the scheduler itself is gone
            self._finish(job, exc=err)
            return
        self._launch(job)

    def _finish(self, job, result=None, exc=None):
        with self._lock:
            self._jobs.discard(job)
        job.future = None
        if exc is not None:
            job.set_exception(exc)
        else:
            job.set_result(result)
        if job.callback is not None:
            job.callback(job)


register_parallel_backend(BACKEND_NAME, DaskBackend)

# parallel_config's own options (n_jobs, verbose, prefer, ...) vs the backend's.
_CONFIG_OPTIONS = frozenset(inspect.signature(joblib.parallel_config).parameters) - {"backend"}


def _default_client():
    try:
        from distributed import default_client  # `import dml` stays free of distributed

        return default_client()
    except (ImportError, ValueError):
        return None


@contextmanager
def parallel_backend(client=None, *, scatter=None, **backend_kwargs):
    """Run scikit-learn's joblib-parallel work on a Dask cluster.

    Inside the context, every ``joblib.Parallel`` call (scikit-learn's
    :class:`~sklearn.model_selection.GridSearchCV`, ``RandomizedSearchCV``,
    :func:`~sklearn.model_selection.cross_validate`, ensembles with ``n_jobs``, ...)
    sends its tasks to the cluster's workers, through dml's joblib backend
    (:class:`DaskBackend`, registered with joblib as ``"dml-dask"``).

    Parameters
    ----------
    client : distributed.Client, default=None
        The cluster to use. ``None``: the default client (the last ``Client()``
        created, or the one of the worker this runs on); when there is none, a
        ``distributed.LocalCluster`` with default settings (one worker process per
        group of cores) is started for the duration of the context and closed on exit.
    scatter : object or list of objects, default=None
        Data to send to the cluster once, when the context is entered, typically
        ``[X, y]``. Tasks whose arguments are these very objects (scikit-learn passes
        the same ``X`` and ``y`` to every fit) use the cluster's copy instead of a new
        transfer. Without it, large arguments (over 10 kB) are sent once per
        ``Parallel`` call. Either way they go from this process straight to a worker,
        not through the scheduler, and are sent again if a lost worker held the last
        copy.
    **backend_kwargs
        Options of :func:`joblib.parallel_config` (``n_jobs``, ``verbose``, ...), of
        the backend (``wait_for_workers_timeout``, ``max_resubmits``: see
        :class:`DaskBackend`), or of ``client.submit`` (``workers``, ``resources``,
        ``retries``, ``priority``).

    Yields
    ------
    client : distributed.Client
        The client the tasks run on.

    Notes
    -----
    Computation: one task per batch of joblib calls (joblib sizes batches to keep
    each task between 0.2 and 1 s); each large argument is sent once (per context
    with ``scatter``, else per ``Parallel`` call). Batches are spread over the
    workers by their load, not by where the data is. A batch whose task is lost with
    a worker is submitted again (the calls are fits of clones: the result is the
    same). Nested joblib calls inside a task (an estimator's own ``n_jobs``) run
    sequentially in that task. Use ``n_jobs=-1`` (or leave ``n_jobs=None``: every
    worker thread) in the scikit-learn call; ``n_jobs=1`` runs in this process. This
    is for in-memory data and scikit-learn estimators; for data that lives on the
    cluster as Dask arrays, use dml's estimators and :mod:`dml.model_selection`.

    Examples
    --------
    >>> from distributed import Client
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.svm import SVC
    >>> from dml.parallel import parallel_backend
    >>> X, y = make_classification(100, random_state=0)
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=2,
    ...                 dashboard_address=":0", set_as_default=False)
    >>> with parallel_backend(client, scatter=[X, y]):
    ...     search = GridSearchCV(SVC(), {"C": [0.1, 1, 10]}, cv=3, n_jobs=-1).fit(X, y)
    >>> sorted(search.best_params_)
    ['C']
    >>> client.close()
    """
    owned = []
    if client is None:
        client = _default_client()
    if client is None:
        from distributed import Client, LocalCluster  # only when no client is given

        cluster = LocalCluster(dashboard_address=None, silence_logs=40)
        owned.append(cluster)
        client = Client(cluster, set_as_default=False)
        owned.append(client)
    if scatter is not None and not isinstance(scatter, (list, tuple)):
        scatter = [scatter]
    config = {k: v for k, v in backend_kwargs.items() if k in _CONFIG_OPTIONS}
    options = {k: v for k, v in backend_kwargs.items() if k not in _CONFIG_OPTIONS}
    try:
        backend = DaskBackend(client, scatter, **options)
        try:
            with joblib.parallel_config(backend=backend, **config):
                yield client
        finally:
            backend.close()
    finally:
        for obj in reversed(owned):
            obj.close()
