"""scikit-learn's GridSearchCV on a Dask cluster through dml.parallel.parallel_backend.

24 candidates x 5 folds of an SVC (one libsvm fit takes a few tenths of a second, single
threaded) on the same in-memory data:

- scikit-learn, ``n_jobs=1`` (the baseline);
- scikit-learn under ``dml.parallel.parallel_backend(client, scatter=[X, y])`` with
  ``n_jobs=-1`` on a LocalCluster(n_workers=2, threads_per_worker=1);
- scikit-learn's own process parallelism (joblib ``loky``, ``n_jobs=2``), for reference;
- dask-ml's ``GridSearchCV`` on the same cluster.

The ideal speed-up on 2 workers is 2x. BLAS / OpenMP threads are pinned to 1 so that the
baseline uses one core. The scores of every run are checked equal to the baseline's. The
script also measures the machine's *parallel capacity* at the time (two concurrent fits on
the two workers vs the same two fits one after the other): on a shared or busy machine it is
below 2x, and no 2-worker search can beat it. For the backend it also reports the workers'
busy fraction (task compute time from the scheduler's task stream over 2 x wall time), which
shows whether any shortfall is idle workers or slower fits.

    python -m benchmarks.bench_search [--n-samples 4000] [--n-features 20] [--repeat 3]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from benchmarks._harness import (  # noqa: E402
    interleaved,
    local_cluster,
    paired_speedup,
    parser,
    table,
    timeit,
    write_json,
)

GRID = {"C": [0.1, 0.3, 1.0, 3.0, 10.0, 30.0], "gamma": [0.003, 0.01, 0.03, 0.1]}


def _fit_seconds(X, y):
    import time

    from sklearn.svm import SVC

    t0 = time.perf_counter()
    SVC(C=1.0, gamma=0.01).fit(X, y)
    return time.perf_counter() - t0


def _parallel_capacity(client, X, y, repeat=3):
    """How much faster two concurrent fits finish than one after the other, on the workers.

    1.0: the machine gives no parallel speed-up right now (busy or shared cores);
    2.0: two free cores. It bounds the speed-up any 2-worker search can show.
    """
    import statistics
    import time

    workers = list(client.scheduler_info()["workers"])[:2]
    Xf, yf = client.scatter([X, y], broadcast=True)
    client.gather([client.submit(_fit_seconds, Xf, yf, workers=[w], pure=False) for w in workers])
    one, two = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for w in workers:
            client.submit(_fit_seconds, Xf, yf, workers=[w], pure=False).result()
        one.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        client.gather([client.submit(_fit_seconds, Xf, yf, workers=[w], pure=False) for w in workers])
        two.append(time.perf_counter() - t0)
    return statistics.median(one) / statistics.median(two)


def _busy_fraction(task_stream, wall, n_workers):
    """Compute time of the tasks in ``task_stream`` over ``n_workers * wall``."""
    busy = sum(
        s["stop"] - s["start"] for t in task_stream for s in t["startstops"] if s["action"] == "compute"
    )
    return busy / (n_workers * wall)


def main(argv=None):
    p = parser(__doc__.splitlines()[0], n_samples=4000, n_features=20, repeat=3)
    args = p.parse_args(argv)
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV
    from sklearn.svm import SVC

    import dml.parallel

    X, y = make_classification(
        n_samples=args.n_samples,
        n_features=args.n_features,
        n_informative=args.n_features // 2,
        flip_y=0.05,
        random_state=0,
    )
    n_fit = int(args.n_samples * 0.8)
    fit_time, _, _ = timeit(lambda: SVC(C=1.0, gamma=0.01).fit(X[:n_fit], y[:n_fit]), 3)
    n_candidates = int(np.prod([len(v) for v in GRID.values()]))
    print(
        f"data: {args.n_samples} x {args.n_features}; {n_candidates} candidates x 5 folds; "
        f"one SVC fit on {n_fit} rows: {fit_time:.3f} s"
    )
    results = {
        "n_samples": args.n_samples,
        "n_features": args.n_features,
        "candidates": n_candidates,
        "folds": 5,
        "single_fit_seconds": fit_time,
        "entries": [],
    }
    rows = []

    def search(n_jobs):
        return GridSearchCV(SVC(), GRID, cv=5, n_jobs=n_jobs).fit(X, y)

    def add(name, seconds, times, est, baseline):
        if baseline is not None:
            np.testing.assert_allclose(
                est.cv_results_["mean_test_score"], baseline.cv_results_["mean_test_score"]
            )
        entry = {"library": name, "seconds": seconds, "times": times}
        results["entries"].append(entry)
        rows.append(entry)
        print(f"  {name:48s} {seconds:8.2f} s", flush=True)

    with local_cluster() as client:
        capacity = _parallel_capacity(client, X[:n_fit], y[:n_fit])
        results["parallel_capacity"] = capacity
        print(
            f"parallel capacity of the 2 workers right now: {capacity:.2f}x "
            "(2 concurrent fits vs 1; 2.0 = two free cores)"
        )

        busy = []

        def backend():
            import time

            from distributed import get_task_stream

            with get_task_stream(client) as stream:
                t0 = time.perf_counter()
                with dml.parallel.parallel_backend(client, scatter=[X, y]):
                    out = search(-1)
                wall = time.perf_counter() - t0
            busy.append(_busy_fraction(stream.data, wall, len(client.scheduler_info()["workers"])))
            return out

        fns = {"scikit-learn n_jobs=1": lambda: search(1)}
        if "dml" not in args.skip:
            backend()  # warm the workers (imports)
            fns["scikit-learn + dml.parallel_backend (2 workers)"] = backend
        # interleaved rounds: the baseline and the backend see the same machine load
        res = interleaved(fns, args.repeat)
        if busy:
            results["backend_worker_busy_fraction"] = float(np.median(busy[1:] or busy))
            print(
                f"  workers busy during the backend's searches: {results['backend_worker_busy_fraction']:.1%} "
                "of the wall time (median)"
            )
        base = res["scikit-learn n_jobs=1"][2]
        for name, (t, ts, est) in res.items():
            add(name, t, ts, est, None if est is base else base)
        if len(res) == 2:
            results["paired_speedup_backend_vs_n_jobs_1"] = paired_speedup(
                res["scikit-learn n_jobs=1"][1], res["scikit-learn + dml.parallel_backend (2 workers)"][1]
            )
            print(
                f"  paired speed-up of the backend over n_jobs=1: "
                f"{results['paired_speedup_backend_vs_n_jobs_1']:.2f}x"
            )
        if "dask-ml" not in args.skip:
            try:
                from dask_ml.model_selection import GridSearchCV as DaskGridSearchCV

                def daskml():
                    return DaskGridSearchCV(SVC(), GRID, cv=5, scheduler=client).fit(X, y)

                daskml()
                t, ts, est = timeit(daskml, args.repeat)
                add("dask-ml GridSearchCV (2 workers)", t, ts, est, base)
            except Exception as exc:  # noqa: BLE001 - a broken peer is reported, not fatal
                print(f"  dask-ml GridSearchCV failed: {type(exc).__name__}: {exc}")
                results["dask_ml_error"] = f"{type(exc).__name__}: {exc}"
    if "loky" not in args.skip:
        search(2)
        t, ts, est = timeit(lambda: search(2), args.repeat)
        add("scikit-learn n_jobs=2 (joblib loky, reference)", t, ts, est, base)

    serial = rows[0]["seconds"]
    for r in rows:
        r["speedup_vs_n_jobs_1"] = serial / r["seconds"]
    print()
    for r in rows:
        r["speedup_over_capacity"] = r["speedup_vs_n_jobs_1"] / results.get("parallel_capacity", np.nan)
    print(table(rows, ["library", "seconds", "speedup_vs_n_jobs_1", "speedup_over_capacity"]))
    results["load_average_1_5_15"] = os.getloadavg()
    print(f"machine load average (1, 5, 15 min): {results['load_average_1_5_15']}")
    path = write_json("search", {"sklearn_backend": results})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
