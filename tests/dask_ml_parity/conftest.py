"""Fixtures for the dask-ml parity tests: small generated data sets in the shapes
dask-ml's own fixtures use, and an in-process distributed scheduler."""

from __future__ import annotations

import dask
import numpy as np
import pytest


@pytest.fixture(scope="module")
def inproc_client():
    """An in-process ``distributed.Client`` (threads, no worker processes), shared by a
    module; never the default client (tests enter it with ``as_current``). Not longer:
    distributed's ``gen_cluster`` tests elsewhere close every in-process worker they find,
    and this cluster's would then belong to a closed event loop."""
    from distributed import Client

    with Client(
        processes=False, n_workers=2, threads_per_worker=1, dashboard_address=":0", set_as_default=False
    ) as client:
        yield client


@pytest.fixture(params=["threads", "distributed"])
def parity_scheduler(request):
    """Run the test body on Dask's threaded scheduler and on an in-process cluster."""
    if request.param == "distributed":
        client = request.getfixturevalue("inproc_client")
        with client.as_current(), dask.config.set(scheduler="dask.distributed"):
            yield "distributed"
    else:
        with dask.config.set(scheduler="threads"):
            yield "threads"


@pytest.fixture
def xy_classification():
    """100 x 20 binary classification, rows in chunks of 10 (Dask arrays)."""
    from dml.datasets import make_classification

    return make_classification(chunks=10, random_state=0)


@pytest.fixture
def xy_regression():
    """100 x 20 regression, rows in chunks of 10 (Dask arrays)."""
    from dml.datasets import make_regression

    return make_regression(chunks=10, random_state=0)


@pytest.fixture
def single_chunk_classification():
    from dml.datasets import make_classification

    return make_classification(chunks=100, random_state=0)


@pytest.fixture
def single_chunk_regression():
    from dml.datasets import make_regression

    return make_regression(chunks=100, random_state=0)


@pytest.fixture
def single_chunk_counts():
    """Count features with a binary target (dask-ml's count classification fixture)
    as a Poisson regression problem: counts as targets from a linear model."""
    from dml.datasets import make_counts

    return make_counts(n_samples=100, n_features=5, chunks=100, random_state=0)


@pytest.fixture
def Xl_blobs():
    """1000 x 4 classification in two row chunks, the data dask-ml's metrics tests use."""
    from dml.datasets import make_classification

    return make_classification(n_samples=1000, n_features=4, chunks=500, random_state=1)


@pytest.fixture
def X_blobs(Xl_blobs):
    return Xl_blobs[0]


@pytest.fixture
def Xl_blobs_easy():
    """Three tight, far-apart blobs in 2-D, chunks of 50 rows."""
    from dml.datasets import make_blobs

    centers = np.array([[-7.0, -7.0], [0.0, 0.0], [7.0, 7.0]])
    return make_blobs(cluster_std=0.1, centers=centers, chunks=50, random_state=0)
