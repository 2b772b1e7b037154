"""dml._engine.tasks: the runners of independent tasks (a search's fits) keep one contract
on the local scheduler and on a distributed cluster."""

from __future__ import annotations

import operator

import dask
import dask.array as da
import numpy as np
import pytest

from dml._engine.tasks import DistributedRunner, LocalRunner, task_runner


def _contract(runner):
    X = np.arange(12.0).reshape(6, 2)
    X_h = runner.put(X, recoverable=True)
    assert runner.put(None) is None
    (Xd,) = runner.compute([da.from_array(X, chunks=3)])
    handles = [runner.submit(operator.mul, X_h, k) for k in (1, 2, 3)]
    assert [float(r.sum()) for r in runner.gather(handles)] == [66.0, 132.0, 198.0]
    pairs = runner.wait_first(handles)
    assert pairs and {id(h) for h, _ in pairs} <= {id(h) for h in handles}
    pair = runner.submit(lambda a: (a.sum(), a.shape), X_h)
    result = runner.result(pair)
    assert result == (66.0, (6, 2))
    part = runner.result_part(pair, result, 1)
    assert (runner.result(part) if runner.mode == "distributed" else part) == (6, 2)
    assert runner.n_slots() >= 1
    runner.cancel(handles)
    return Xd


def test_local_runner_contract():
    with dask.config.set(scheduler="sync"):
        runner = task_runner(n_jobs=None)
        assert isinstance(runner, LocalRunner) and runner.mode == "local"
        Xd = _contract(runner)
    np.testing.assert_array_equal(Xd, np.arange(12.0).reshape(6, 2))


def test_local_runner_uses_n_jobs_threads():
    runner = task_runner(n_jobs=2)
    assert runner.gather([runner.submit(operator.add, 1, 2)]) == [3]
    assert runner.gather([]) == []


def test_distributed_runner_contract(cluster_client):
    with cluster_client.as_current(), dask.config.set(scheduler="dask.distributed"):
        runner = task_runner(n_jobs=None, owner="GridSearchCV")
        assert isinstance(runner, DistributedRunner) and runner.mode == "distributed"
        Xd = _contract(runner)
        np.testing.assert_array_equal(Xd.result(), np.arange(12.0).reshape(6, 2))
        assert runner.n_slots() == sum(cluster_client.nthreads().values())
        # n_jobs bounds the calls running at once (a semaphore, when below the threads)
        threads = sum(cluster_client.nthreads().values())
        assert task_runner(n_jobs=1, owner="GridSearchCV")._limit[1] == 1
        assert task_runner(n_jobs=-1, owner="GridSearchCV")._limit is None
        assert task_runner(n_jobs=threads, owner="GridSearchCV")._limit is None
        limited = task_runner(n_jobs=1, owner="GridSearchCV")
        assert limited.gather([limited.submit(np.add, 1, 2), limited.submit(np.add, 3, 4)]) == [3, 7]
        with pytest.raises(ValueError, match="n_jobs == 0 in GridSearchCV"):
            task_runner(n_jobs=0, owner="GridSearchCV")
