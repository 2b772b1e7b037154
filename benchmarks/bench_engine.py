"""The engine in production: fixed cost per fit, data larger than memory, a lost worker.

Three parts, each on a process-based LocalCluster(n_workers=2, threads_per_worker=1):

1. fixed cost: one-pass and short fits on ``da.from_array(X).persist()`` data
   (1,000,000 x 50 float64), dml beside scikit-learn fitting the same NumPy array in this
   process, interleaved rounds, paired medians (PCA(10), Ridge, Lasso, LinearRegression,
   KMeans(8, n_init=1, each library's default init));
2. larger than memory: 2 workers x 300 MiB and lazily generated data ~3x their total
   memory limit; seconds per pass of one-pass (StandardScaler, LinearRegression) and
   iterative (LogisticRegression, re-reading its source) fits, against the same fits on
   in-memory data of the same chunking; peak resident memory per worker;
3. a worker killed (os._exit in the worker process, the nanny restarts it) during a
   LogisticRegression fit: time against the undisturbed fit, same coefficients.

    python -m benchmarks bench_engine [-- --repeat 3 --n-samples 1000000 --skip ...]
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np

from benchmarks._harness import (
    RATIO_COLUMNS,
    entry_recorder,
    interleaved,
    local_cluster,
    parser,
    ratio_rows,
    table,
    write_json,
)


def _worker_peak_rss(client):
    """Peak resident memory (MiB) of each worker process: ``VmHWM`` of its address space
    (``getrusage``'s ``ru_maxrss`` would carry the benchmark process's peak across the
    fork and exec that started the worker)."""

    def peak():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return float("nan")

    return {w: v / 2**20 for w, v in client.run(peak).items()}


def _fixed_cost(args, add, results):
    import dask.array as da
    import sklearn.cluster as skc
    import sklearn.decomposition as skd
    import sklearn.linear_model as sklm

    from dml.cluster import KMeans
    from dml.decomposition import PCA
    from dml.linear_model import Lasso, LinearRegression, Ridge

    n, p = args.n_samples, args.n_features
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    # k-means on blobs (8 true clusters), as bench_cluster: on structureless data both
    # libraries run to max_iter
    centers = rng.normal(scale=4.0, size=(8, p))
    X_blobs = centers[rng.integers(0, 8, n)] + rng.normal(size=(n, p))
    chunk = -(-n // args.chunks)
    tasks = {
        "PCA(10)": (lambda: PCA(10), lambda: skd.PCA(10), False),
        "Ridge": (lambda: Ridge(1.0), lambda: sklm.Ridge(1.0), True),
        "Lasso(alpha=0.1)": (lambda: Lasso(0.1), lambda: sklm.Lasso(0.1), True),
        "LinearRegression": (lambda: LinearRegression(), lambda: sklm.LinearRegression(), True),
        "KMeans(8, n_init=1)": (
            lambda: KMeans(8, n_init=1, random_state=0),
            lambda: skc.KMeans(8, n_init=1, random_state=0),
            "blobs",
        ),
    }
    with local_cluster():
        Xd = da.from_array(X, chunks=(chunk, -1)).persist()
        yd = da.from_array(y, chunks=chunk).persist()
        Xb = da.from_array(X_blobs, chunks=(chunk, -1)).persist()
        Xd.sum().compute(), yd.sum().compute(), Xb.sum().compute()
        for task, (ours, theirs, kind) in tasks.items():
            if task in args.skip:
                continue
            if kind == "blobs":
                fit_ours, fit_theirs = (lambda o=ours: o().fit(Xb)), (lambda t=theirs: t().fit(X_blobs))
            elif kind:
                fit_ours, fit_theirs = (lambda o=ours: o().fit(Xd, yd)), (lambda t=theirs: t().fit(X, y))
            else:
                fit_ours, fit_theirs = (lambda o=ours: o().fit(Xd)), (lambda t=theirs: t().fit(X))
            fit_ours()  # warm: workers import the kernels once
            timed = interleaved({"dml": fit_ours, "scikit-learn": fit_theirs}, repeat=args.repeat)
            for lib, (med, times, _) in timed.items():
                add(f"fixed cost: {task}", lib, med, times=times)
    results["fixed_cost_ratios"] = ratio_rows(
        [e for e in results["entries"] if e["task"].startswith("fixed cost")]
    )


def _per_pass(fit, counter_factory):
    with counter_factory() as c:
        t0 = time.perf_counter()
        fit()
        seconds = time.perf_counter() - t0
    return seconds, c.passes


def _larger_than_memory(args, add, results):
    import dask.array as da

    from dml._engine.mapreduce import count_passes
    from dml.linear_model import LinearRegression, LogisticRegression
    from dml.preprocessing import StandardScaler

    p = 25
    limit = 300 * 2**20
    n_big = int(3.2 * 2 * limit / (8 * p))
    n_small = 1_000_000
    rows = 150_000

    def data(n):
        X = da.random.RandomState(0).standard_normal((n, p), chunks=(rows, p))
        y = X[:, 0] + 0.5 * X[:, 1]
        return X, y, (y > 0).astype(np.float64)

    fits = {
        "StandardScaler": lambda X, y, c: StandardScaler().fit(X),
        "LinearRegression": lambda X, y, c: LinearRegression().fit(X, y),
        "LogisticRegression(max_iter=4)": lambda X, y, c: LogisticRegression(max_iter=4).fit(X, c),
    }
    per_pass = {}
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)
    with local_cluster(memory_limit="300MiB") as client:
        X, y, c = data(n_big)
        print(
            f"  larger than memory: {X.nbytes / 2**30:.2f} GiB lazy on 2 x 300 MiB workers "
            f"({X.nbytes / (2 * limit):.1f}x their memory)",
            flush=True,
        )
        # The ceiling: one pass that only generates the chunks (and sums them), on the
        # same cluster.
        X[:rows].sum().compute()  # warm: the workers' first tasks import dask.array
        t0 = time.perf_counter()
        X.sum().compute()
        gen = (time.perf_counter() - t0) / (n_big / n_small)
        add(
            "larger than memory: generate X (ceiling)",
            "dask",
            gen * n_big / n_small,
            {"s_per_pass_per_1M_rows": gen},
        )
        for name, fit in fits.items():
            s, passes = _per_pass(lambda f=fit: f(X, y, c), count_passes)
            per_pass[(name, "big")] = s / passes / (n_big / n_small)
            add(
                f"larger than memory: {name}",
                "dml",
                s,
                {
                    "passes": passes,
                    "s_per_pass_per_1M_rows": per_pass[(name, "big")],
                    "pass_vs_generation": per_pass[(name, "big")] / gen,
                },
            )
        results["peak_rss_mib_per_worker_small"] = _worker_peak_rss(client)
        results["generation_s_per_pass_per_1M_rows"] = gen
    with local_cluster() as client:
        X, y, c = data(n_small)
        X, y, c = client.persist([X, y, c])
        X.sum().compute()
        for name, fit in fits.items():
            fit(X, y, c)
            s, passes = _per_pass(lambda f=fit: f(X, y, c), count_passes)
            per_pass[(name, "mem")] = s / passes
            add(f"in memory: {name}", "dml", s, {"passes": passes, "s_per_pass_per_1M_rows": s / passes})
    results["larger_than_memory_slowdown_per_pass"] = {
        name: per_pass[(name, "big")] / per_pass[(name, "mem")] for name in fits
    }
    results["larger_than_memory_pass_vs_generation"] = {name: per_pass[(name, "big")] / gen for name in fits}
    for name, r in results["larger_than_memory_slowdown_per_pass"].items():
        print(
            f"  per pass, larger than memory / in memory: {name}: {r:.2f}x; "
            f"/ generating the data alone: "
            f"{results['larger_than_memory_pass_vs_generation'][name]:.2f}x",
            flush=True,
        )
    print(f"  peak RSS per 300 MiB worker: {results['peak_rss_mib_per_worker_small']}", flush=True)


def _worker_killed(args, add, results):
    import dask.array as da

    from dml._engine.mapreduce import count_passes
    from dml.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    n, p = args.n_samples, args.n_features
    X = rng.normal(size=(n, p))
    y = (X @ rng.normal(size=p) + rng.normal(size=n) > 0).astype(int)
    with local_cluster() as client:
        Xd = da.from_array(X, chunks=(-(-n // args.chunks), -1)).persist()
        yd = da.from_array(y, chunks=-(-n // args.chunks)).persist()
        Xd.sum().compute()
        LogisticRegression(max_iter=2).fit(Xd, yd)
        t0 = time.perf_counter()
        ref = LogisticRegression(tol=1e-8, max_iter=300).fit(Xd, yd)
        undisturbed = time.perf_counter() - t0
        victim = list(client.scheduler_info()["workers"])[0]
        with count_passes() as counter:

            def kill():
                while counter.passes < 5:
                    time.sleep(0.002)
                client.run(os._exit, 1, workers=[victim], on_error="ignore")

            threading.Thread(target=kill, daemon=True).start()
            t0 = time.perf_counter()
            got = LogisticRegression(tol=1e-8, max_iter=300).fit(Xd, yd)
            disturbed = time.perf_counter() - t0
        diff = float(np.max(np.abs(got.coef_ - ref.coef_)))
        add("worker killed: LogisticRegression", "dml undisturbed", undisturbed)
        add(
            "worker killed: LogisticRegression",
            "dml killed",
            disturbed,
            {"max_coef_diff": diff, "bar_seconds": 2 * undisturbed + 10},
        )


def main(argv=None):
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--parts", nargs="*", default=["fixed", "memory", "kill"])
    args = p.parse_args(argv)
    results = {"n_samples": args.n_samples, "n_features": args.n_features, "entries": []}
    add = entry_recorder(results, 44, 22)
    if "fixed" in args.parts:
        _fixed_cost(args, add, results)
        print(table(results["fixed_cost_ratios"], RATIO_COLUMNS))
    if "memory" in args.parts:
        _larger_than_memory(args, add, results)
    if "kill" in args.parts:
        _worker_killed(args, add, results)
    write_json("engine", results)
    return results
