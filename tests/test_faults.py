"""Faults: a worker killed during an iterative fit; the fit completes with the same result."""

import os
import threading
import time

import numpy as np
import pytest

from dml._engine.mapreduce import count_passes


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_worker_killed_during_logistic_fit():
    import dask
    from distributed import Client, LocalCluster

    from dml.datasets import make_classification
    from dml.linear_model import LogisticRegression

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as cluster, Client(cluster) as client:
        X, y = make_classification(20_000, 10, n_informative=6, n_classes=3, random_state=0, chunks=2_500)
        X, y = client.persist([X, y])
        dask.compute(X.sum(), y.sum())
        reference = LogisticRegression(tol=1e-8, max_iter=300).fit(X, y)

        victim = list(client.scheduler_info()["workers"])[0]
        killed = threading.Event()

        def kill_when_iterating(counter):
            while counter.passes < 5:
                time.sleep(0.005)
            # the nanny starts a new worker; the dying one cannot answer, so ignore that error
            client.run(os._exit, 1, workers=[victim], on_error="ignore")
            killed.set()

        with count_passes() as counter:
            killer = threading.Thread(target=kill_when_iterating, args=(counter,), daemon=True)
            killer.start()
            survived = LogisticRegression(tol=1e-8, max_iter=300).fit(X, y)
            killer.join(timeout=60)
        assert killed.is_set()
        np.testing.assert_allclose(survived.coef_, reference.coef_, rtol=1e-10, atol=1e-12)
        assert survived.n_iter_[0] == reference.n_iter_[0]
