"""The engine streams: lazy chunks read per pass, the persist policy, bounded memory."""

import io
import logging
import subprocess
import sys
import textwrap
import threading

import dask
import dask.array as da
import numpy as np
import pytest

import dml
from dml._engine import inputs, memory
from dml._engine.inputs import validate_fit_data
from dml._engine.mapreduce import _cap_group, map_chunks, map_reduce, sum_partials


def _sum_kernel(X, y, w, *, xp):
    out = {"sx": xp.sum(X, axis=0), "n": X.shape[0]}
    if y is not None:
        out["sy"] = xp.sum(y)
    if w is not None:
        out["sw"] = xp.sum(w)
    return out


class _FakeClient:
    def __init__(self, limits):
        self._limits = limits

    def scheduler_info(self, n_workers=None):
        return {
            "workers": {f"tcp://w{i}": {"memory_limit": m, "nthreads": 1} for i, m in enumerate(self._limits)}
        }


def test_persist_policy():
    client = _FakeClient([2**30, 2**30])
    assert memory.memory_budget(client) == 2 * 2**30
    assert memory.should_persist(2**30, client, iterative=True)
    assert not memory.should_persist(2**30 + 1, client, iterative=True)
    assert not memory.should_persist(1, client, iterative=False)
    with dml.config_context(persist=False):
        assert not memory.should_persist(1, client, iterative=True)
    with dml.config_context(persist=True):
        assert memory.should_persist(10 * 2**30, client, iterative=True)
        assert not memory.should_persist(1, client, iterative=False)
    # a worker without a limit counts as this machine's available memory
    assert memory.memory_budget(_FakeClient([0, 2**30])) > 2**30
    assert memory.memory_budget(_FakeClient([])) == 0
    with pytest.raises(ValueError, match="persist must be 'auto', True or False"):
        dml.set_config(persist="sometimes")
    with pytest.raises(ValueError, match="persist must be"):
        dml.set_config(persist=1)


def test_group_caps_split_a_threads_chunks():
    data = inputs.ChunkedData("local", [None] * 4, None, None, (100, 100, 100, 100), 10, np.float64)
    row = 10 * 8 + 16
    assert _cap_group([0, 1, 2, 3], data, None) == [[0, 1, 2, 3]]
    assert _cap_group([0, 1, 2, 3], data, 2 * 100 * row) == [[0, 1], [2, 3]]
    assert _cap_group([0, 1, 2, 3], data, 1) == [[0], [1], [2], [3]]  # at least one chunk each
    assert memory.group_bytes_limit(0, 2) is None
    assert memory.group_bytes_limit(2**30, 2) == 0.25 * 2**30 / 2


@pytest.mark.parametrize("persist", [True, False])
def test_lazy_and_persisted_passes_agree(scheduler, persist):
    rng = np.random.default_rng(0)
    X = da.from_array(rng.normal(size=(1_000, 3)), chunks=(130, 3))
    y = da.from_array(rng.normal(size=1_000), chunks=250)  # other chunks: aligned to X
    w = da.from_array(rng.uniform(size=1_000), chunks=500)
    with dml.config_context(persist=persist), validate_fit_data(None, X, y, w) as data:
        assert data.lazy is not persist
        out = map_reduce(_sum_kernel, data, split_every=2)
        assert out["n"] == 1_000
        np.testing.assert_allclose(out["sx"], X.sum(0).compute())
        np.testing.assert_allclose(out["sy"], y.sum().compute())
        np.testing.assert_allclose(out["sw"], w.sum().compute())
        np.testing.assert_allclose(data.gather("y"), y.compute())
        idx = map_chunks(
            lambda X, *, xp, row_offset: xp.arange(row_offset, row_offset + X.shape[0]),
            data,
            which="y",
            source="X",
            pass_row_offset=True,
        )
        np.testing.assert_array_equal(idx.gather("y"), np.arange(1_000))
        doubled = data.with_host("sample_weight", 2 * w.compute())
        np.testing.assert_allclose(map_reduce(_sum_kernel, doubled)["sw"], 2 * out["sw"])


def test_one_pass_fits_never_persist_and_iterative_fits_follow_the_policy(cluster_client, monkeypatch):
    from dml.linear_model import LogisticRegression
    from dml.preprocessing import StandardScaler

    calls = []
    real = inputs._persisted_data
    monkeypatch.setattr(inputs, "_persisted_data", lambda *a: calls.append(1) or real(*a))
    X = da.random.RandomState(0).normal(size=(4_000, 4), chunks=(1_000, 4))
    y = (X[:, 0] > 0).astype(int)
    with cluster_client.as_current(), dask.config.set(scheduler="dask.distributed"):
        StandardScaler().fit(X)
        assert calls == []
        LogisticRegression().fit(X, y)  # small: the policy persists it
        assert calls == [1]
        with dml.config_context(persist=False):
            lazy = LogisticRegression().fit(X, y)
        assert calls == [1]
    np.testing.assert_allclose(
        lazy.coef_, LogisticRegression().fit(X.compute(), y.compute()).coef_, rtol=1e-6
    )


def test_randomized_pca_persists_once_it_knows_it_iterates(monkeypatch):
    from dml.decomposition import PCA

    calls = []
    real = inputs._persisted_data
    monkeypatch.setattr(inputs, "_persisted_data", lambda *a: calls.append(1) or real(*a))
    X = da.random.RandomState(0).normal(size=(2_000, 30), chunks=(500, 30))
    PCA(3, svd_solver="covariance_eigh").fit(X)
    assert calls == []
    PCA(3, svd_solver="randomized", random_state=0).fit(X)
    assert calls == [1]


def test_unknown_chunk_lengths_are_read_once_and_checked():
    import dask.dataframe as dd
    import pandas as pd

    df = dd.from_pandas(pd.DataFrame({"a": np.arange(10.0), "b": np.ones(10)}), npartitions=3)
    with validate_fit_data(None, df, df["a"], iterative=False) as data:
        assert data.row_chunks == (4, 3, 3) or sum(data.row_chunks) == 10
        np.testing.assert_allclose(data.gather("y"), np.arange(10.0))
    short = dd.from_pandas(pd.Series(np.ones(9)), npartitions=2)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        validate_fit_data(None, df, short)


def test_no_cluster_one_pass_fit_streams_in_bounded_memory():
    """1.2 GB of lazy random data through StandardScaler with no Client: the peak stays
    near a few chunks (it computed the whole input into memory before: ~1.9 GB)."""
    # the peak from /proc (this process's own memory map): getrusage's ru_maxrss keeps the
    # parent's high-water mark across fork and exec, so a large pytest process inflated it
    script = textwrap.dedent("""
        import dask.array as da
        from dml.preprocessing import StandardScaler
        X = da.random.RandomState(0).random_sample((1_600_000, 100), chunks=(50_000, 100))
        s = StandardScaler().fit(X)
        assert abs(s.mean_.mean() - 0.5) < 1e-3
        with open("/proc/self/status") as f:
            peak_kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        print(peak_kib / 1024)
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True, timeout=300
    )
    peak_mib = float(out.stdout.strip().splitlines()[-1])
    assert peak_mib < 600, peak_mib


def test_concurrent_fits_submit_one_task_per_key(cluster_client):
    """Overlapping fits on X and y made by one generator never give the scheduler two
    different tasks for one key (the engine submits unoptimised graphs)."""
    from dml.cluster import KMeans
    from dml.datasets import make_classification
    from dml.linear_model import LogisticRegression
    from dml.preprocessing import StandardScaler

    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    log = logging.getLogger("distributed.scheduler")
    log.addHandler(handler)
    try:
        X, y = make_classification(8_000, 6, random_state=0, chunks=1_000)
        fits = [
            lambda: LogisticRegression().fit(X, y),
            lambda: KMeans(3, n_init=1).fit(X),
            lambda: StandardScaler().fit(X),
            lambda: LogisticRegression().fit(StandardScaler().fit_transform(X), y),
        ]
        errors, done = [], []

        def run(fit):
            try:
                # dask.config.set is process-wide (set once around the threads, below);
                # the current client is per thread.
                with cluster_client.as_current():
                    fit()
                done.append(1)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(f,)) for f in fits]
        with dask.config.set(scheduler="dask.distributed"):
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
        assert not errors and len(done) == len(fits), errors
    finally:
        log.removeHandler(handler)
    assert "Detected different `run_spec`" not in buf.getvalue()


def test_sum_partials_is_the_default_combine():
    assert sum_partials([{"a": 1}, {"a": 2}]) == {"a": 3}


class _RunClient(_FakeClient):
    def __init__(self, answers):
        super().__init__([0] * len(answers))
        self.answers = answers
        self.id = f"fake-{id(self)}"
        self.calls = 0

    def scheduler_info(self, n_workers=None):
        return {"workers": {w: {"memory_limit": 0, "nthreads": 1} for w in self.answers}}

    def run(self, func, *args, on_error="raise"):
        self.calls += 1
        return dict(self.answers)


def test_worker_check_warns_on_other_versions_and_runs_once():
    from dml import __version__
    from dml._engine.runtime import WorkerEnvironmentError, check_workers

    same = _RunClient({"tcp://a": __version__, "tcp://b": __version__})
    check_workers(same)
    check_workers(same)
    assert same.calls == 1
    other = _RunClient({"tcp://a": __version__, "tcp://b": "0.0.1"})
    with pytest.warns(RuntimeWarning, match=r"workers have other versions: \{'tcp://b': '0.0.1'\}"):
        check_workers(other)
    broken = _RunClient({"tcp://a": ImportError("No module named 'dml'")})
    with pytest.raises(WorkerEnvironmentError, match="tcp://a: ImportError: No module named 'dml'"):
        check_workers(broken)


def test_worker_check_on_a_real_cluster(cluster_client):
    from dml._engine.runtime import check_workers

    check_workers(cluster_client)  # same environment: no error, no warning


def test_a_closed_client_is_not_used():
    """A Client that was closed is no longer the current one: fits run on the local
    scheduler (no hang, no error about the closed connection)."""
    from distributed import Client, LocalCluster

    from dml._engine.runtime import get_client
    from dml.linear_model import LogisticRegression

    X = da.random.RandomState(0).normal(size=(2_000, 3), chunks=500)
    y = (X[:, 0] > 0).astype(int)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        client = Client(cluster)
        client.close()
        assert get_client() is None
        model = LogisticRegression().fit(X, y)
    assert model.score(X.compute(), y.compute()) > 0.9


def test_progress_shows_a_bar_of_passes_for_fits_without_their_own(capsys):
    """``progress=True``: fits with a graph count their passes over the data on a bar;
    the L-BFGS / Newton fits keep their bar of iterations instead; off by default."""
    from dml._engine.mapreduce import count_passes
    from dml.cluster import KMeans
    from dml.linear_model import LogisticRegression

    X = da.random.RandomState(0).normal(size=(4_000, 3), chunks=1_000)
    y = (X[:, 0] > 0).astype(int)
    KMeans(3, n_init=1, random_state=0).fit(X)
    assert "passes over the data" not in capsys.readouterr().err
    with dml.config_context(progress=True):
        with count_passes() as counter:
            KMeans(3, n_init=1, random_state=0).fit(X)
        err = capsys.readouterr().err
        assert "KMeans: passes over the data" in err
        assert f"{counter.passes}it" in err.replace(" ", "")
        LogisticRegression().fit(X, y)
        err = capsys.readouterr().err
        assert "passes over the data" not in err and "LogisticRegression (lbfgs)" in err
