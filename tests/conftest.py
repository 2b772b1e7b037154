"""Shared fixtures: schedulers (sync, threads, a process-based LocalCluster), data."""

from __future__ import annotations

import os

import dask
import numpy as np
import pytest


def pytest_collection_modifyitems(config, items):
    try:
        import cupy  # noqa: F401

        has_gpu = cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy, no driver, or no device
        has_gpu = False
    skip = pytest.mark.skip(reason="needs CuPy and a CUDA device")
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cluster_client():
    """A process-based LocalCluster (2 workers x 1 thread) shared by the session."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
            memory_limit="4GiB",
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


@pytest.fixture(autouse=True, scope="session")
def _gen_cluster_spares_the_session_cluster():
    """distributed's ``gen_cluster`` ends by terminating every child process of the test
    process: the session cluster's workers too, whose later tests then wait on restarting
    workers. The suite's ``gen_cluster`` tests run in-process clusters (no processes of
    their own), so that step has nothing of theirs to end and is switched off."""
    import distributed.utils_test

    original = distributed.utils_test.term_or_kill_active_children
    distributed.utils_test.term_or_kill_active_children = lambda timeout=None: None
    yield
    distributed.utils_test.term_or_kill_active_children = original


@pytest.fixture(params=["sync", "threads", "distributed"])
def scheduler(request):
    """Run the test body under each scheduler; yields its name."""
    if request.param == "distributed":
        client = request.getfixturevalue("cluster_client")
        with client.as_current(), dask.config.set(scheduler="dask.distributed"):
            yield "distributed"
    else:
        with dask.config.set(scheduler=request.param):
            yield request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_report_header(config):
    return [f"dml tests: CPU count {os.cpu_count()}"]
