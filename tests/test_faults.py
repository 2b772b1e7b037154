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

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        ) as cluster,
        Client(cluster) as client,
    ):
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


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_worker_killed_during_kmeans_fit_loses_only_its_chunk_caches():
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    from dml.cluster import KMeans

    rng = np.random.default_rng(0)
    centers = rng.normal(scale=3.0, size=(6, 8))
    X_np = centers[rng.integers(0, 6, 40_000)] + rng.normal(size=(40_000, 8))
    init = X_np[rng.choice(40_000, 6, replace=False)]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        ) as cluster,
        Client(cluster) as client,
    ):
        X = client.persist(da.from_array(X_np, chunks=(5_000, -1)))
        dask.compute(X.sum())
        reference = KMeans(6, init=init, n_init=1, tol=0, max_iter=100).fit(X)
        assert reference.n_iter_ >= 6

        victim = list(client.scheduler_info()["workers"])[0]
        killed = threading.Event()
        at_kill = []

        def kill_when_iterating(counter):
            while counter.kernels.count("lloyd_bounds_kernel") < 3:
                time.sleep(0.002)
            client.run(os._exit, 1, workers=[victim], on_error="ignore")
            at_kill.append(counter.passes)
            killed.set()

        with count_passes() as counter:
            killer = threading.Thread(target=kill_when_iterating, args=(counter,), daemon=True)
            killer.start()
            survived = KMeans(6, init=init, n_init=1, tol=0, max_iter=100).fit(X)
            passes_at_end = counter.passes
            killer.join(timeout=60)
        assert killed.is_set()
        assert at_kill[0] < passes_at_end  # the fit went on iterating after the kill
        assert survived.n_iter_ == reference.n_iter_
        np.testing.assert_allclose(
            survived.cluster_centers_, reference.cluster_centers_, rtol=1e-10, atol=1e-12
        )
        assert survived.inertia_ == pytest.approx(reference.inertia_, rel=1e-10)
