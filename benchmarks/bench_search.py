"""scikit-learn's GridSearchCV on a Dask cluster through dml.parallel.parallel_backend.

24 candidates x 5 folds of an SVC (one libsvm fit takes about a tenth of a second, single
threaded) on the same in-memory data:

- scikit-learn, ``n_jobs=1`` (the baseline);
- scikit-learn under ``dml.parallel.parallel_backend(client, scatter=[X, y])`` with
  ``n_jobs=-1`` on a LocalCluster(n_workers=2, threads_per_worker=1);
- the same under joblib's own ``"dask"`` backend (``joblib.parallel_config("dask")``);
- the dml backend with one of the two worker processes SIGKILLed mid-search (its nanny
  starts a new one): it must finish with the same ``cv_results_``; the same kill under
  joblib's ``"dask"`` backend is tried once and its outcome recorded;
- scikit-learn's own process parallelism (joblib ``loky``, ``n_jobs=2``), for reference;
- dask-ml's ``GridSearchCV`` on the same cluster.

The machine's ceiling is 2x: two worker processes on 2 cores (``os.cpu_count()`` is
recorded), and the calling process shares them. BLAS / OpenMP threads are pinned to 1 so
that the baseline uses one core. The scores of every run are checked equal to the
baseline's. The script also measures the machine's *parallel capacity* at the time (two
concurrent fits on the two workers vs the same two fits one after the other): on a shared
or busy machine it is below 2x, and no 2-worker search can beat it. For the backend it also
reports the workers' busy fraction (task compute time from the scheduler's task stream
over 2 x wall time), which shows whether any shortfall is idle workers or slower fits.

    python -m benchmarks bench_search [-- --n-samples 2000 --repeat 3 --skip loky dask-ml]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

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
DML = "scikit-learn + dml.parallel_backend (2 workers)"
JOBLIB_DASK = "scikit-learn + joblib 'dask' backend (2 workers)"


def _kill_a_busy_worker(client, after_tasks=6):
    """Start a thread that SIGKILLs the process of a worker running a task once
    ``after_tasks`` tasks were seen running; returns ``(thread, state)``, ``state["stop"] =
    True`` ends it, ``state["victim"]`` is the worker killed."""
    pids = client.run(os.getpid)
    state = {"seen": set()}

    def kill():
        while not state.get("stop"):
            running = client.processing()
            state["seen"].update(k for keys in running.values() for k in keys)
            busy = [w for w, keys in running.items() if keys and w in pids]
            if busy and len(state["seen"]) >= after_tasks:
                state["victim"] = busy[0]
                state["at"] = time.perf_counter()
                os.kill(pids[busy[0]], signal.SIGKILL)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread, state


def _with_a_worker_killed(client, run):
    """``run()`` with a worker SIGKILLed mid-way; returns (seconds, result or exception,
    state). Waits for the nanny's new worker before returning."""
    client.wait_for_workers(2, timeout=120)
    thread, state = _kill_a_busy_worker(client)
    t0 = time.perf_counter()
    try:
        out = run()
    except Exception as exc:  # noqa: BLE001 - joblib's backend is expected to fail; recorded
        out = exc
    seconds = time.perf_counter() - t0
    state["stop"] = True
    thread.join(timeout=30)
    client.wait_for_workers(2, timeout=120)
    return seconds, out, state


def _fit_seconds(X, y):

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
    p = parser(__doc__.splitlines()[0], n_samples=2000, n_features=20, repeat=3)
    args = p.parse_args(argv)
    import joblib
    from distributed import get_task_stream
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
        f"one SVC fit on {n_fit} rows: {fit_time:.3f} s; {os.cpu_count()} cores: the ceiling "
        "of a 2-worker search is 2x"
    )
    results = {
        "n_samples": args.n_samples,
        "n_features": args.n_features,
        "candidates": n_candidates,
        "folds": 5,
        "single_fit_seconds": fit_time,
        "cores": os.cpu_count(),
        "ceiling_speedup": min(2, os.cpu_count() or 1),
        "skipped": args.skip,
        "entries": [],
    }
    rows = []

    def search(n_jobs):
        return GridSearchCV(SVC(), GRID, cv=5, n_jobs=n_jobs).fit(X, y)

    def check(est, baseline):
        assert est.cv_results_["params"] == baseline.cv_results_["params"]
        for key in ("mean_test_score", "std_test_score", "rank_test_score"):
            np.testing.assert_allclose(est.cv_results_[key], baseline.cv_results_[key])

    def add(name, seconds, times, est, baseline):
        if baseline is not None:
            check(est, baseline)
        entry = {"library": name, "seconds": seconds, "times": times}
        results["entries"].append(entry)
        rows.append(entry)
        print(f"  {name:52s} {seconds:8.2f} s", flush=True)

    with local_cluster() as client:
        capacity = _parallel_capacity(client, X[:n_fit], y[:n_fit])
        results["parallel_capacity"] = capacity
        print(
            f"parallel capacity of the 2 workers right now: {capacity:.2f}x "
            "(2 concurrent fits vs 1; 2.0 = two free cores)"
        )

        busy = []

        def backend():
            with get_task_stream(client) as stream:
                t0 = time.perf_counter()
                with dml.parallel.parallel_backend(client, scatter=[X, y]):
                    out = search(-1)
                wall = time.perf_counter() - t0
            busy.append(_busy_fraction(stream.data, wall, len(client.scheduler_info()["workers"])))
            return out

        def joblib_dask():
            with joblib.parallel_config(backend="dask", client=client, scatter=[X, y]):
                return search(-1)

        fns = {"scikit-learn n_jobs=1": lambda: search(1)}
        if "dml" not in args.skip:
            backend()  # warm the workers (imports)
            fns[DML] = backend
        if "joblib-dask" not in args.skip:
            joblib_dask()
            fns[JOBLIB_DASK] = joblib_dask
        # interleaved rounds: the baseline and the backends see the same machine load
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
        for name, key in (
            (DML, "paired_speedup_backend_vs_n_jobs_1"),
            (JOBLIB_DASK, "paired_speedup_joblib_dask_vs_n_jobs_1"),
        ):
            if name in res:
                results[key] = paired_speedup(res["scikit-learn n_jobs=1"][1], res[name][1])
                print(f"  paired speed-up of {name} over n_jobs=1: {results[key]:.2f}x")

        if "dml" not in args.skip and "killed" not in args.skip:
            # a worker SIGKILLed mid-search, as many rounds as the undisturbed runs
            times, victims = [], []
            for _ in range(args.repeat):
                seconds, est, state = _with_a_worker_killed(client, backend)
                if isinstance(est, Exception):
                    raise est
                assert state.get("victim"), "no worker was killed during the search"
                check(est, base)  # same cv_results_ as n_jobs=1
                times.append(seconds)
                victims.append(state["victim"])
            undisturbed = res[DML][0]
            killed = {
                "seconds": float(np.median(times)),
                "times": times,
                "undisturbed_seconds": undisturbed,
                "ratio_to_undisturbed": float(np.median(times)) / undisturbed,
                "speedup_vs_n_jobs_1": res["scikit-learn n_jobs=1"][0] / float(np.median(times)),
                "same_cv_results_as_n_jobs_1": True,
            }
            results["worker_killed_mid_search"] = killed
            print(
                f"  {DML}, a worker SIGKILLed mid-search: {killed['seconds']:.2f} s median "
                f"({killed['ratio_to_undisturbed']:.2f}x the undisturbed {undisturbed:.2f} s), "
                "same cv_results_ as n_jobs=1"
            )
            if "joblib-dask" not in args.skip:
                seconds, est, state = _with_a_worker_killed(client, joblib_dask)
                if isinstance(est, Exception):
                    outcome = (
                        f"failed after {seconds:.1f} s: {type(est).__name__}: {str(est).splitlines()[0]}"
                    )
                else:
                    check(est, base)
                    outcome = f"finished in {seconds:.1f} s with the same cv_results_"
                results["joblib_dask_worker_killed_mid_search"] = outcome
                print(f"  {JOBLIB_DASK}, a worker SIGKILLed mid-search: {outcome}")

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
