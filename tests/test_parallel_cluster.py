"""dml.parallel.parallel_backend on a real multi-process cluster (``dask scheduler`` and
``dask worker`` processes): a worker SIGKILLed mid-search, large X without ``scatter=``,
nested ``n_jobs`` inside tasks."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import cloudpickle
import numpy as np
import pytest
from distributed import get_task_stream
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.svm import SVC

from dml.parallel import parallel_backend
from tests.cli_cluster import start_cli_cluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

# The workers import dml but not the tests: the classes below travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


class ProbeClassifier(ClassifierMixin, BaseEstimator):
    """Majority classifier that records where and how it was fitted: the worker's pid,
    the effective n_jobs of joblib's active backend for n_jobs=-1, and the threads of
    the process during the fit."""

    def __init__(self, shift=0.0, delay=0.0):
        self.shift = shift
        self.delay = delay

    def fit(self, X, y):
        from joblib import Parallel, delayed
        from joblib.parallel import get_active_backend

        backend, _ = get_active_backend()
        self.nested_n_jobs_ = backend.effective_n_jobs(-1)
        # a nested call of its own, as RandomForest(n_jobs=-1) makes
        Parallel(n_jobs=-1, prefer="threads")(delayed(abs)(i) for i in range(4))
        self.threads_ = threading.active_count()
        self.pid_ = os.getpid()
        time.sleep(self.delay)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


@pytest.fixture(scope="module")
def cli_cluster(tmp_path_factory):
    with start_cli_cluster(tmp_path_factory.mktemp("parallel"), memory_limit="3GiB") as cluster:
        yield cluster


@pytest.fixture
def client(cli_cluster):
    with cli_cluster.client() as client:
        client.wait_for_workers(2, timeout=60)
        yield client


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 20))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.8, size=1500) > 0).astype(int)
    return X, y


def _same_cv_results(got, ref):
    assert got.cv_results_["params"] == ref.cv_results_["params"]
    for key in ("mean_test_score", "std_test_score", "rank_test_score", "split0_test_score"):
        np.testing.assert_array_equal(got.cv_results_[key], ref.cv_results_[key])


def _kill_a_busy_worker(client, after_batches):
    """SIGKILL the process of a worker that is running a task, once ``after_batches``
    tasks were seen running; returns the thread and a dict that gets the victim."""
    done = {"seen": set()}
    pids = client.run(os.getpid)

    def kill():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not done.get("stop"):
            running = client.processing()
            done["seen"].update(k for keys in running.values() for k in keys)
            busy = [w for w, keys in running.items() if keys and w in pids]
            if busy and len(done["seen"]) >= after_batches:
                done["victim"] = busy[0]
                os.kill(pids[busy[0]], signal.SIGKILL)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread, done


GRID = {"C": [0.3, 1.0, 3.0], "gamma": [0.01, 0.1]}


@pytest.mark.parametrize("use_scatter", [True, False], ids=["scatter", "no-scatter"])
def test_sigkilled_worker_mid_search_gives_the_same_cv_results(client, data, use_scatter):
    X, y = data
    ref = GridSearchCV(SVC(), GRID, cv=3, n_jobs=1).fit(X, y)
    t0 = time.perf_counter()
    with parallel_backend(client, scatter=[X, y] if use_scatter else None):
        GridSearchCV(SVC(), GRID, cv=3, n_jobs=-1).fit(X, y)
    undisturbed = time.perf_counter() - t0

    killer, killed = _kill_a_busy_worker(client, after_batches=4)
    t0 = time.perf_counter()
    with parallel_backend(client, scatter=[X, y] if use_scatter else None):
        got = GridSearchCV(SVC(), GRID, cv=3, n_jobs=-1).fit(X, y)
    disturbed = time.perf_counter() - t0
    killed["stop"] = True
    killer.join(timeout=30)
    print(f"undisturbed {undisturbed:.2f} s, with a worker killed {disturbed:.2f} s")
    assert killed.get("victim"), f"no worker was killed during the search; seen {killed['seen']}"
    assert killed["victim"] not in client.scheduler_info()["workers"]
    _same_cv_results(got, ref)
    assert disturbed < 3 * undisturbed + 30  # the new worker imports scikit-learn again


def _start_rss_probe(dask_scheduler):
    """In the scheduler: sample its resident memory every 2 ms until the probe stops."""
    import psutil

    proc = psutil.Process()
    state = {"base": proc.memory_info().rss, "peak": 0, "stop": False}

    def sample():
        while not state["stop"]:
            state["peak"] = max(state["peak"], proc.memory_info().rss)
            time.sleep(0.002)

    threading.Thread(target=sample, daemon=True).start()
    dask_scheduler._dml_test_rss_probe = state


def _stop_rss_probe(dask_scheduler):
    """The scheduler's peak memory growth since the probe started (bytes)."""
    state = dask_scheduler._dml_test_rss_probe
    state["stop"] = True
    return state["peak"] - state["base"]


def test_large_X_without_scatter_keeps_both_workers_busy_and_skips_the_scheduler(client):
    """150 MB X, no ``scatter=``: batches run on both workers, and X goes from the caller
    to a worker directly (the scheduler's memory does not grow by X's size)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(75_000, 250))
    y = (X[:, 0] > 0).astype(int)
    assert X.nbytes > 140e6
    pids = set(client.run(os.getpid).values())
    with parallel_backend(client):  # the scheduler's one-off growth on its first tasks
        cross_validate(ProbeClassifier(), X[:100], y[:100], cv=2, n_jobs=-1)
    client.run_on_scheduler(_start_rss_probe)
    with parallel_backend(client):
        res = cross_validate(ProbeClassifier(delay=0.3), X, y, cv=8, n_jobs=-1, return_estimator=True)
    growth = client.run_on_scheduler(_stop_rss_probe)
    ran_on = [est.pid_ for est in res["estimator"]]
    # both workers fitted, evenly (not every task on the worker holding X)
    assert set(ran_on) == pids and all(ran_on.count(p) >= 3 for p in pids), ran_on
    assert growth < X.nbytes / 4, f"the scheduler's memory grew by {growth / 1e6:.0f} MB"


def test_nested_n_jobs_runs_serially_inside_tasks(client, data):
    X, y = data
    with parallel_backend(client):
        res = cross_validate(ProbeClassifier(), X, y, cv=3, n_jobs=-1, return_estimator=True)
    assert [est.nested_n_jobs_ for est in res["estimator"]] == [1] * 3

    # RandomForest(n_jobs=-1) inside GridSearchCV: one task per batch of fits (18 fits at
    # most), and no thread started on the workers (the executor's thread was started above)
    grid = {"max_depth": [2, 4, 6], "min_samples_leaf": [1, 5]}
    ref = GridSearchCV(RandomForestClassifier(n_estimators=20, random_state=0), grid, cv=3, refit=False)
    ref.fit(X, y)
    threads_before = client.run(_thread_names)
    with get_task_stream(client) as stream, parallel_backend(client):
        rf = RandomForestClassifier(n_estimators=20, n_jobs=-1, random_state=0)
        got = GridSearchCV(rf, grid, cv=3, n_jobs=-1, refit=False).fit(X, y)
    keys = [str(t["key"]) for t in stream.data]
    assert 1 <= len(keys) <= 18 and all(k.startswith("joblib-_fit_and_score-") for k in keys), keys
    assert client.run(_thread_names) == threads_before
    _same_cv_results(got, ref)


def _thread_names():
    return sorted(t.name for t in threading.enumerate())
