"""dml on a real multi-process cluster started with the ``dask`` command line.

Every family fits on it and gives the in-process (local scheduler) model; a TLS cluster
and a scheduler file connect as users connect; a worker SIGKILLed mid-fit leaves the
model unchanged; data three times the workers' memory streams through one-pass and
iterative fits.
"""

import os
import threading
import time

import dask
import dask.array as da
import numpy as np
import pytest

import dml
from dml._engine.mapreduce import count_passes
from tests.cli_cluster import start_cli_cluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def cli_cluster(tmp_path_factory):
    with start_cli_cluster(tmp_path_factory.mktemp("cli")) as cluster:
        yield cluster


def _models():
    from dml.cluster import KMeans
    from dml.decomposition import PCA, TruncatedSVD
    from dml.linear_model import Lasso, LinearRegression, LogisticRegression, PoissonRegressor, Ridge
    from dml.preprocessing import MinMaxScaler, StandardScaler

    rng = np.random.default_rng(1)
    init = rng.normal(size=(4, 8))
    return {
        "LinearRegression": (LinearRegression(), "reg"),
        "Ridge": (Ridge(alpha=2.0), "reg"),
        "Lasso": (Lasso(alpha=0.05, tol=1e-10), "reg"),
        "PoissonRegressor": (PoissonRegressor(tol=1e-10), "count"),
        "LogisticRegression": (LogisticRegression(tol=1e-10, max_iter=500), "clf"),
        "KMeans": (KMeans(4, init=init, n_init=1, max_iter=50), None),
        "PCA": (PCA(3), None),
        "PCA-randomized": (PCA(3, svd_solver="randomized", random_state=0), None),
        "TruncatedSVD": (TruncatedSVD(3, random_state=0), None),
        "StandardScaler": (StandardScaler(), None),
        "MinMaxScaler": (MinMaxScaler(), None),
    }


def _data(seed=0):
    from dml.datasets import make_classification

    X, y = make_classification(24_000, 8, n_informative=5, random_state=seed, chunks=3_000)
    coef = np.linspace(-1, 1, 8)
    return X, {"clf": y, "reg": X @ coef + 0.1 * y, "count": da.floor(da.exp(0.2 * (X @ coef)))}


def _fitted_arrays(est):
    return {
        k: np.asarray(v)
        for k, v in vars(est).items()
        if k.endswith("_") and not k.startswith("_") and isinstance(v, np.ndarray) and v.dtype.kind in "fiu"
    }


def _assert_same(a, b, name, rtol=1e-7):
    fa, fb = _fitted_arrays(a), _fitted_arrays(b)
    assert fa.keys() == fb.keys() and fa, name
    for k in fa:
        np.testing.assert_allclose(fa[k], fb[k], rtol=rtol, atol=1e-9, err_msg=f"{name}.{k}")


def test_every_family_on_a_cli_cluster_equals_the_in_process_fit(cli_cluster):
    from sklearn.base import clone

    X, ys = _data()
    with dask.config.set(scheduler="threads"):
        local = {
            name: clone(est).fit(X, None if kind is None else ys[kind])
            for name, (est, kind) in _models().items()
        }
    with cli_cluster.client() as client:
        assert len(client.scheduler_info()["workers"]) == 2
        for name, (est, kind) in _models().items():
            remote = est.fit(X, None if kind is None else ys[kind])
            _assert_same(remote, local[name], name)
        # predictions are lazy and computed on the cluster
        proba = local["LogisticRegression"].predict_proba(X)
        assert isinstance(proba, da.Array)
        np.testing.assert_allclose(proba.sum(axis=1).compute(), 1.0)


def test_connect_by_scheduler_file(cli_cluster):
    from distributed import Client

    from dml.linear_model import LogisticRegression

    X, ys = _data()
    with Client(scheduler_file=cli_cluster.scheduler_file) as client:
        assert client.scheduler_info()["workers"]
        model = LogisticRegression().fit(X, ys["clf"])
    assert model.score(X.compute(), ys["clf"].compute()) > 0.7


def test_tls_cluster(tmp_path):
    from dml.linear_model import LogisticRegression
    from dml.preprocessing import StandardScaler

    X, ys = _data()
    with dask.config.set(scheduler="threads"):
        ref = LogisticRegression(tol=1e-10).fit(StandardScaler().fit_transform(X), ys["clf"])
    with start_cli_cluster(tmp_path, tls=True) as cluster:
        assert cluster.address.startswith("tls://")
        with cluster.client() as client:
            assert all(w.startswith("tls://") for w in client.scheduler_info()["workers"])
            got = LogisticRegression(tol=1e-10).fit(StandardScaler().fit_transform(X), ys["clf"])
    _assert_same(got, ref, "LogisticRegression over TLS")


def _kill_during(client, counter, after_passes):
    victim = list(client.scheduler_info()["workers"])[0]

    def kill():
        while counter.passes < after_passes:
            time.sleep(0.002)
        client.run(os._exit, 1, workers=[victim], on_error="ignore")

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("source", ["numpy", "lazy"])
def test_worker_sigkilled_mid_fit_gives_the_same_model(cli_cluster, source):
    """In-memory input (scattered: sent again when its holder dies) and lazy input
    re-read each pass (recomputed by the scheduler) both finish with the same model."""
    from dml.linear_model import LogisticRegression

    X, ys = _data()
    if source == "numpy":
        X, y = X.compute(), ys["clf"].compute()
        settings = dict(chunk_bytes=100_000)
    else:
        y = ys["clf"]
        settings = dict(persist=False)
    with cli_cluster.client() as client, dml.config_context(**settings):
        t0 = time.perf_counter()
        ref = LogisticRegression(tol=1e-10, max_iter=500).fit(X, y)
        undisturbed = time.perf_counter() - t0
        with count_passes() as counter:
            killer = _kill_during(client, counter, after_passes=4)
            t0 = time.perf_counter()
            got = LogisticRegression(tol=1e-10, max_iter=500).fit(X, y)
            disturbed = time.perf_counter() - t0
            killer.join(timeout=60)
        client.wait_for_workers(2, timeout=60)
    assert counter.passes > 4
    # Chunks made again are placed anew, so partial sums may add in another order: the
    # same model to rounding (the optimiser's tolerance is 1e-10).
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    assert abs(got.n_iter_[0] - ref.n_iter_[0]) <= 1
    assert disturbed < 2 * undisturbed + 10


def test_data_three_times_the_workers_memory_streams(tmp_path):
    """2 workers x 300 MiB and ~1.9 GB of lazily generated data: one-pass fits stream
    (never persist), the iterative fit re-reads its source each pass; both give the
    in-process models."""
    from dml.decomposition import PCA
    from dml.linear_model import LogisticRegression
    from dml.preprocessing import StandardScaler

    n, p = 9_600_000, 25
    X = da.random.RandomState(0).standard_normal((n, p), chunks=(150_000, p))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.float64)
    assert X.nbytes > 3 * 2 * 300 * 2**20
    with dask.config.set(scheduler="threads"):
        ref_scaler = StandardScaler().fit(X)
        ref_pca = PCA(2, svd_solver="covariance_eigh").fit(X)
        ref_lr = LogisticRegression(max_iter=3).fit(X, y)
    with start_cli_cluster(tmp_path, memory_limit="300MiB") as cluster, cluster.client() as client:
        scaler = StandardScaler().fit(X)
        pca = PCA(2, svd_solver="covariance_eigh").fit(X)
        with count_passes() as counter:
            lr = LogisticRegression(max_iter=3).fit(X, y)
        assert counter.passes >= 3
        assert not client.has_what() or all(not keys for keys in client.has_what().values())
    _assert_same(scaler, ref_scaler, "StandardScaler", rtol=1e-9)
    _assert_same(pca, ref_pca, "PCA", rtol=1e-6)
    _assert_same(lr, ref_lr, "LogisticRegression", rtol=1e-6)


def test_zarr_three_times_the_workers_memory_streams(tmp_path):
    """A Zarr array on disk three times the workers' total memory limit once read (2
    workers x 400 MiB, ~2.6 GB of float64; values on a grid of 1/8 so the chunks compress;
    a worker that imported zarr holds ~215 MiB before any data):
    LinearRegression, StandardScaler and LogisticRegression fit from ``da.from_zarr`` with
    no worker restarted, nothing persisted, and the in-process models."""
    pytest.importorskip("zarr")
    from dml.linear_model import LinearRegression, LogisticRegression
    from dml.preprocessing import StandardScaler

    n, p = 12_800_000, 25
    source = da.floor(da.random.RandomState(0).standard_normal((n, p), chunks=(100_000, p)) * 8) / 8
    with dask.config.set(scheduler="threads"):
        source.to_zarr(str(tmp_path / "X.zarr"))
    X = da.from_zarr(str(tmp_path / "X.zarr"))
    y = (X[:, 0] + 0.5 * X[:, 1] - 0.25 * X[:, 2] > 0).astype(np.float64)
    assert X.nbytes > 3 * 2 * 400 * 2**20 and X.numblocks == (128, 1)
    with dask.config.set(scheduler="threads"):
        ref_mean, ref_var = da.compute(X.mean(axis=0), X.var(axis=0))
        ref_lr = LogisticRegression(max_iter=2).fit(X, y)
    with start_cli_cluster(tmp_path, memory_limit="400MiB") as cluster, cluster.client() as client:
        before = set(client.scheduler_info()["workers"])
        linear = LinearRegression().fit(X, y)
        scaler = StandardScaler().fit(X)
        with count_passes() as counter:
            lr = LogisticRegression(max_iter=2).fit(X, y)
        assert counter.passes >= 3
        assert set(client.scheduler_info()["workers"]) == before  # no worker restarted
        assert not client.has_what() or all(not keys for keys in client.has_what().values())
    np.testing.assert_allclose(scaler.mean_, ref_mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(scaler.var_, ref_var, rtol=1e-9)
    # y depends on columns 0-2 only: least squares gives (almost) nothing to the others
    assert np.all(np.abs(linear.coef_[3:]) < 1e-3) and linear.coef_[0] > 0.1
    _assert_same(lr, ref_lr, "LogisticRegression", rtol=1e-6)


def test_parquet_table_with_unknown_partition_lengths(cli_cluster, tmp_path):
    """A Parquet table read with ``dd.read_parquet`` (partitions of unknown length) fits on
    the command-line cluster as scikit-learn fits the same table in pandas."""
    import dask.dataframe as dd
    import pandas as pd
    from sklearn import linear_model as sk_linear
    from sklearn import preprocessing as sk_pre

    from dml.linear_model import LinearRegression, LogisticRegression
    from dml.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    pdf = pd.DataFrame(rng.normal(size=(60_000, 6)), columns=[f"f{i}" for i in range(6)])
    pdf["y"] = (pdf["f0"] - pdf["f3"] + rng.normal(scale=0.5, size=len(pdf)) > 0).astype("float64")
    dd.from_pandas(pdf, npartitions=7).to_parquet(str(tmp_path / "t"), write_index=False)
    table = dd.read_parquet(str(tmp_path / "t"))
    names = [f"f{i}" for i in range(6)]
    assert np.isnan(table[names].to_dask_array().chunks[0][0])
    with cli_cluster.client():
        scaler = StandardScaler().fit(table[names])
        linear = LinearRegression().fit(table[names], table["y"])
        lr = LogisticRegression(tol=1e-10).fit(table[names], table["y"])
    ref_scaler = sk_pre.StandardScaler().fit(pdf[names])
    np.testing.assert_allclose(scaler.mean_, ref_scaler.mean_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(scaler.scale_, ref_scaler.scale_, rtol=1e-10)
    np.testing.assert_allclose(
        linear.coef_, sk_linear.LinearRegression().fit(pdf[names], pdf["y"]).coef_, rtol=1e-8, atol=1e-12
    )
    ref_lr = sk_linear.LogisticRegression(tol=1e-10).fit(pdf[names], pdf["y"])
    np.testing.assert_allclose(lr.coef_, ref_lr.coef_, rtol=1e-5)
    assert list(lr.feature_names_in_) == names == list(scaler.feature_names_in_)


@pytest.mark.parametrize("persist", [True, False])
def test_scheduler_lost_mid_fit_raises_a_clear_error_quickly(tmp_path, persist):
    import signal

    from dml._engine.recovery import SchedulerLostError
    from dml.linear_model import LogisticRegression

    X, ys = _data()
    with start_cli_cluster(tmp_path) as cluster, cluster.client() as client:
        assert client.scheduler_info()["workers"]
        with count_passes() as counter, dml.config_context(persist=persist):

            def kill():
                while counter.passes < 3:
                    time.sleep(0.002)
                os.killpg(cluster.scheduler.pid, signal.SIGKILL)

            threading.Thread(target=kill, daemon=True).start()
            t0 = time.perf_counter()
            with pytest.raises(SchedulerLostError, match="connection to the Dask scheduler was lost"):
                LogisticRegression(tol=1e-14, max_iter=10_000).fit(X, ys["clf"])
            assert time.perf_counter() - t0 < 60


def test_workers_without_dml_give_a_clear_error(tmp_path):
    """Workers whose environment cannot import dml: the fit fails at once naming them."""
    from dml._engine.runtime import WorkerEnvironmentError
    from dml.linear_model import LogisticRegression

    fake = tmp_path / "site" / "dml"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named dml (test)')\n")
    X, ys = _data()
    with dask.config.set(scheduler="threads"):
        X_np, y_np = X.compute(), ys["clf"].compute()  # dml's generator cannot run there
    with (
        start_cli_cluster(tmp_path, worker_env={"PYTHONPATH": str(fake.parent)}) as cluster,
        cluster.client() as client,
    ):
        assert client.scheduler_info()["workers"]
        with pytest.raises(WorkerEnvironmentError, match=r"dml cannot be imported on 2 of 2 Dask workers"):
            LogisticRegression().fit(X, ys["clf"])
        with (
            pytest.raises(WorkerEnvironmentError, match="Install dml"),
            dml.config_context(chunk_bytes=100_000),
        ):
            LogisticRegression().fit(X_np, y_np)


def _iterative_models():
    from dml.cluster import KMeans, MiniBatchKMeans
    from dml.decomposition import PCA, TruncatedSVD
    from dml.linear_model import LogisticRegression, PoissonRegressor, Ridge, TweedieRegressor

    init = np.random.default_rng(3).normal(size=(4, 8))
    return {
        "LogisticRegression-lbfgs": (LogisticRegression(tol=1e-10, max_iter=300), "clf"),
        "LogisticRegression-newton-cholesky": (
            LogisticRegression(solver="newton-cholesky", tol=1e-10),
            "clf",
        ),
        "LogisticRegression-saga-l1": (
            LogisticRegression(solver="saga", l1_ratio=1.0, C=0.5, tol=1e-8, max_iter=300),
            "clf",
        ),
        "PoissonRegressor-lbfgs": (PoissonRegressor(tol=1e-10), "count"),
        "TweedieRegressor-newton-cholesky": (
            TweedieRegressor(power=1.5, solver="newton-cholesky", tol=1e-10),
            "count",
        ),
        "Ridge-sparse_cg": (Ridge(solver="sparse_cg", tol=1e-10), "reg"),
        "KMeans": (KMeans(4, init=init, n_init=1, tol=0, max_iter=60), None),
        "MiniBatchKMeans": (
            MiniBatchKMeans(4, init=init, n_init=1, batch_size=2048, max_iter=5, random_state=0),
            None,
        ),
        "PCA-randomized": (PCA(3, svd_solver="randomized", random_state=0), None),
        "TruncatedSVD": (TruncatedSVD(3, n_iter=8, random_state=0), None),
    }


@pytest.mark.parametrize("name", list(_iterative_models()))
def test_every_iterative_estimator_survives_a_sigkilled_worker(cli_cluster, name):
    """The worker holding persisted chunks is killed after the second pass; the fit ends
    with the undisturbed model (to rounding: chunks recomputed elsewhere may add their
    partials in another order), within twice its time plus 10 s."""
    from sklearn.base import clone

    est, kind = _iterative_models()[name]
    # Data of its own (other keys): the previous test's client may still be releasing its
    # keys on the shared scheduler while its killed worker restarts.
    X, ys = _data(seed=list(_iterative_models()).index(name) + 1)
    with cli_cluster.client() as client:
        client.wait_for_workers(2, timeout=60)
        X, y = client.persist([X, ys[kind] if kind else X[:, 0]])
        dask.compute(X.sum(), y.sum())
        t0 = time.perf_counter()
        ref = clone(est).fit(X, y if kind else None)
        undisturbed = time.perf_counter() - t0
        with count_passes() as counter:
            killer = _kill_during(client, counter, after_passes=2)
            t0 = time.perf_counter()
            got = clone(est).fit(X, y if kind else None)
            disturbed = time.perf_counter() - t0
            killer.join(timeout=60)
        assert not killer.is_alive() and counter.passes > 2
        client.wait_for_workers(2, timeout=60)
    _assert_same(got, ref, name, rtol=1e-6)
    assert disturbed < 2 * undisturbed + 10
