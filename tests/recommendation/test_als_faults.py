"""A worker killed in the middle of an ALS fit: its persisted blocks are recomputed from
their lineage and the model equals the undisturbed fit's."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pandas as pd
import pytest


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_worker_killed_during_als_fit():
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from dml.recommendation import ALS

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"user": rng.integers(0, 2000, 30_000), "item": rng.integers(0, 500, 30_000)})
    df = df.drop_duplicates().reset_index(drop=True)
    df["rating"] = rng.normal(size=len(df))
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        ) as cluster,
        Client(cluster) as client,
        dask.config.set(scheduler="dask.distributed"),
    ):
        ratings = dd.from_pandas(df, npartitions=6)
        reference = ALS(rank=5, max_iter=15, n_user_blocks=4, n_item_blocks=4, random_state=0).fit(ratings)

        victim = list(client.scheduler_info()["workers"])[0]
        killed = threading.Event()
        killed_at = []

        survivor = ALS(rank=5, max_iter=15, n_user_blocks=4, n_item_blocks=4, random_state=0)

        def solves_done(dask_scheduler):  # block solves finished so far (the fit is one graph)
            prefix = dask_scheduler.task_prefixes.get("solve")  # key prefix of _solve's tasks
            return 0 if prefix is None else prefix.state_counts.get("memory", 0)

        done_at_kill = []
        before = client.run_on_scheduler(solves_done)  # the reference fit's

        def kill_mid_fit():
            while client.run_on_scheduler(solves_done) - before < 40:  # of 120 (15 sweeps x 8)
                time.sleep(0.005)
            done_at_kill.append(client.run_on_scheduler(solves_done) - before)
            client.run(os._exit, 1, workers=[victim], on_error="ignore")
            killed_at.append(time.perf_counter())
            killed.set()

        killer = threading.Thread(target=kill_mid_fit, daemon=True)
        killer.start()
        survived = survivor.fit(ratings)
        finished = time.perf_counter()
        killer.join(timeout=60)
        assert killed.is_set() and killed_at[0] < finished  # killed while the fit ran
        assert done_at_kill[0] < 120
        np.testing.assert_allclose(survived.user_factors_, reference.user_factors_, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(survived.item_factors_, reference.item_factors_, rtol=1e-12, atol=1e-12)
