"""map_reduce: one round trip, the same answer on every scheduler and chunking."""

import dask.array as da
import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

import dml
from dml._engine.inputs import validate_fit_data
from dml._engine.kernels import combine_centered, gram_kernel, moments_kernel
from dml._engine.mapreduce import (
    combine_value_counts,
    count_passes,
    make_combine,
    map_chunks,
    map_reduce,
    sum_partials,
)


class _Probe(RegressorMixin, BaseEstimator):
    pass


def _sum_kernel(X, y, w, scale, *, xp, power=1):
    return {"s": xp.sum(X**power, axis=0) * scale, "n": xp.asarray(X.shape[0])}


@pytest.mark.parametrize("chunks", [-1, 17, (50, 150, 1, 99)])
def test_same_result_on_every_scheduler_and_chunking(scheduler, chunks, rng):
    X = rng.normal(size=(300, 3))
    with validate_fit_data(
        _Probe(), da.from_array(X, chunks=(chunks, 3)), np.zeros(300), y_numeric=True
    ) as data:
        with count_passes() as counter:
            out = map_reduce(_sum_kernel, data, broadcast=(2.0,), power=2, split_every=2)
    assert counter.passes == 1 and counter.kernels == ["_sum_kernel"]
    np.testing.assert_allclose(out["s"], 2.0 * (X**2).sum(axis=0))
    assert int(out["n"]) == 300


def test_combines():
    parts = [{"a": np.array([1.0, 5.0]), "b": np.array(2.0)}, {"a": np.array([3.0, 0.0]), "b": np.array(1.0)}]
    np.testing.assert_array_equal(sum_partials(parts)["a"], [4.0, 5.0])
    mm = make_combine(a="max")(parts)
    np.testing.assert_array_equal(mm["a"], [3.0, 5.0])
    assert float(mm["b"]) == 3.0
    with pytest.raises(ValueError, match="Unknown combine op"):
        make_combine(a="median")
    labels = combine_value_counts(
        [
            {"labels": np.array(["a", "c"]), "label_counts": np.array([1.0, 2.0])},
            {"labels": np.array(["b", "c"]), "label_counts": np.array([4.0, 1.0])},
        ]
    )
    assert labels["labels"].tolist() == ["a", "b", "c"]
    assert labels["label_counts"].tolist() == [1.0, 4.0, 3.0]


def test_moments_combine_is_exact_with_large_offsets(rng):
    X = 1e8 + rng.normal(size=(1000, 3))
    w = rng.uniform(0, 2, size=1000)
    parts = [moments_kernel(X[a:b], None, w[a:b], xp=np) for a, b in [(0, 10), (10, 600), (600, 1000)]]
    out = combine_centered(parts)
    mean = np.average(X, axis=0, weights=w)
    var = np.average((X - mean) ** 2, axis=0, weights=w)
    np.testing.assert_allclose(out["mean"], mean, rtol=1e-14)
    np.testing.assert_allclose(out["m2"] / out["n"], var, rtol=1e-7)


def test_gram_combine_matches_direct(rng):
    X = 50 + rng.normal(size=(500, 4))
    y = rng.normal(size=500)
    full = gram_kernel(X, y, None, xp=np)
    parts = combine_centered(
        [gram_kernel(X[a:b], y[a:b], None, xp=np) for a, b in [(0, 1), (1, 250), (250, 500)]]
    )
    np.testing.assert_allclose(parts["scatter"], full["scatter"], rtol=1e-9, atol=1e-9)
    A = np.column_stack([X, y])
    Ac = A - A.mean(axis=0)
    np.testing.assert_allclose(full["scatter"], Ac.T @ Ac, rtol=1e-9)


def test_map_chunks_keeps_alignment(scheduler, rng):
    X = rng.normal(size=(120, 2))
    y = np.arange(120) % 3
    with validate_fit_data(_Probe(), da.from_array(X, chunks=40), y) as data:
        enc = map_chunks(lambda c, *, xp, k: c * k, data, k=10)
        out = map_reduce(lambda X, y, w, *, xp: {"s": xp.sum(y)}, enc)
    assert int(out["s"]) == 10 * y.sum()


def test_config_context_controls_chunking_and_validates():
    with dml.config_context(chunk_bytes=1024, progress=True):
        assert dml.get_config()["chunk_bytes"] == 1024
        assert dml.get_config()["progress"] is True
    assert dml.get_config()["progress"] is False
    with pytest.raises(TypeError, match="Unknown dml setting"):
        with dml.config_context(nope=1):
            pass
    with pytest.raises(ValueError, match="split_every"):
        dml.set_config(split_every=1)


# ---------------------------------------------------------------- distributed placement


def test_place_prefers_holders_and_balances_rows():
    from dml._engine.mapreduce import place_chunks

    workers = {"a": 1, "b": 1}
    # All chunks on "a": half of the rows move to "b".
    loc = place_chunks((10, 10, 10, 10), [("a",)] * 4, workers)
    assert sorted(loc) == ["a", "a", "b", "b"]
    # Replicas on both: split between holders without moving anything.
    loc = place_chunks((10, 10, 10, 10), [("a", "b")] * 4, workers)
    assert sorted(loc) == ["a", "a", "b", "b"]
    # Threads count: a worker with 3 threads takes about 3/4 of the rows.
    loc = place_chunks((10,) * 8, [("a",)] * 8, {"a": 3, "b": 1})
    assert loc.count("a") == 6
    # Unknown holders stay unplaced.
    assert place_chunks((5, 5), [(), ("a",)], workers) == [None, "a"]


def _misaligned(n, p):
    buf = bytearray(n * p * 8 + 1)
    a = np.frombuffer(buf, dtype=np.float64, offset=1, count=n * p).reshape(n, p)
    a[...] = np.arange(n * p, dtype=np.float64).reshape(n, p)
    assert not a.flags.aligned
    return a


def _is_aligned(a):
    return bool(a.flags.aligned)


def _sum_all_kernel(X, y, w, *, xp):
    return {"s": xp.sum(X, axis=0), "aligned": xp.asarray(float(X.flags.aligned))}


def test_fit_data_is_settled_balanced_and_aligned_on_workers(cluster_client):
    """Chunks all on one worker (one misaligned, as after a network transfer) are spread
    over both workers once, aligned, and the passes see aligned data."""
    from dml._engine.inputs import ChunkedData
    from dml._engine.mapreduce import chunk_groups

    client = cluster_client
    w0, w1 = sorted(client.scheduler_info()["workers"])
    X = [client.submit(_misaligned, 50, 3, workers=[w0], pure=False)] + [
        client.submit(np.full, (50, 3), float(i), workers=[w0], pure=False) for i in range(3)
    ]
    client.gather(X)
    data = ChunkedData("distributed", list(X), None, None, (50,) * 4, 3, np.dtype("float64"), client)
    groups = chunk_groups(data)
    assert sorted(w for w, _ in groups) == [w0, w1]
    assert sorted(len(idx) for _, idx in groups) == [2, 2]
    assert all(client.gather([client.submit(_is_aligned, f, pure=False) for f in data.X]))
    assert chunk_groups(data) is groups  # once per data set
    with client.as_current():
        out = map_reduce(_sum_all_kernel, data)
    expected = _misaligned(50, 3).sum(axis=0) + 50 * np.array([0.0 + 1 + 2] * 3)
    np.testing.assert_allclose(out["s"], expected)
    assert float(out["aligned"]) == 4.0


def test_settle_copies_only_misaligned():
    from dml._engine.mapreduce import settle

    a = np.ones((4, 2))
    assert settle(a) is a
    m = _misaligned(4, 2)
    s = settle(m)
    assert s.flags.aligned and s is not m
    np.testing.assert_array_equal(s, m)
    assert settle(None) is None


def _rows_kernel(X, y, w, *, xp):
    return {"rows": X[:, 0]}


def _concat(parts):
    return {"rows": np.concatenate([np.asarray(p["rows"]) for p in parts])}


def test_ordered_combine_gets_chunk_order(scheduler, rng):
    X = rng.normal(size=(400, 2))
    with validate_fit_data(_Probe(), da.from_array(X, chunks=(37, 2)), np.zeros(400), y_numeric=True) as data:
        out = map_reduce(_rows_kernel, data, combine=_concat, ordered=True, split_every=2)
    np.testing.assert_array_equal(out["rows"], X[:, 0])


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_driver_blas_is_one_thread_during_a_local_cluster_fit(cluster_client, rng):
    from threadpoolctl import threadpool_limits

    from dml._engine.runtime import driver_blas

    X = da.from_array(rng.normal(size=(200, 3)), chunks=50)
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        with cluster_client.as_current():
            with validate_fit_data(_Probe(), X, np.zeros(200), y_numeric=True) as data:
                assert data.mode == "distributed"
                assert set(_blas_threads()) == {1}
                with driver_blas(cluster_client):  # nested (a concurrent fit): still one
                    assert set(_blas_threads()) == {1}
                assert set(_blas_threads()) == {1}
        assert _blas_threads() == before
    with threadpool_limits(limits=2, user_api="blas"):
        with driver_blas(None):  # no client: the driver keeps its threads
            assert set(_blas_threads()) == {2}


def _cache_kernel(X, y, w, *, xp, cache):
    cache["calls"] = cache.get("calls", 0) + 1
    first = cache.setdefault("first_value", float(X[0, 0]))
    return {"calls": xp.asarray(float(cache["calls"])), "own": xp.asarray(float(first == float(X[0, 0])))}


def _held(data, token):
    from dml._engine.mapreduce import chunk_cache_size

    if data.mode != "distributed":
        return chunk_cache_size(token)
    return sum(data.client.run(chunk_cache_size, token).values())


def test_chunk_cache_persists_per_chunk_across_passes_and_is_dropped(scheduler, rng):
    import time

    from dml._engine.mapreduce import chunk_cache

    X = rng.normal(size=(300, 2))
    with validate_fit_data(_Probe(), da.from_array(X, chunks=(60, 2)), np.zeros(300), y_numeric=True) as data:
        with chunk_cache(data) as token:
            for i in range(1, 4):
                out = map_reduce(_cache_kernel, data, cache=token)
                assert float(out["calls"]) == 5 * i  # every chunk found its own entry again
                assert float(out["own"]) == 5
            assert _held(data, token) == 5
        # a fresh token starts empty
        with chunk_cache(data) as other:
            assert float(map_reduce(_cache_kernel, data, cache=other)["calls"]) == 5
        deadline = time.monotonic() + 10
        while _held(data, token) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _held(data, token) == 0


def test_chunk_cache_keeps_a_bounded_number_of_tokens():
    from dml._engine import mapreduce as mr

    tokens = [f"probe-{i}" for i in range(mr.CHUNK_CACHE_TOKENS + 3)]
    try:
        for t in tokens:
            mr._chunk_cache_entry(t, 0)["x"] = 1
        assert mr.chunk_cache_size(tokens[0]) == 0  # the oldest were dropped
        assert mr.chunk_cache_size(tokens[-1]) == 1
        assert mr._chunk_cache_entry(tokens[-1], 0) == {"x": 1}
    finally:
        for t in tokens:
            mr._drop_chunk_cache(t)
