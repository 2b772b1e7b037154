"""KMeans: dml, scikit-learn and dask-ml on the same data.

The Dask array is persisted on a LocalCluster(n_workers=2, threads_per_worker=1) before
timing; scikit-learn fits the same data, in memory, in this process (all its threads).
"Same init" runs start every library from the same explicit centers with ``tol=0`` and
the same ``max_iter``, so they run the same Lloyd iterations (also with
``algorithm='elkan'`` for dml and scikit-learn). Also reports the default
seedings (dml's k-means||, scikit-learn's k-means++, dask-ml's k-means||) with their
inertia, and, on float32 data, the time of a dml Lloyd iteration against one read of
the data at the workers' measured memory bandwidth: both a full step over every row
(the first iteration's cost) and the fit's average per pass (later iterations read
only the rows whose distance bounds do not settle their label).

    python -m benchmarks.bench_cluster [--n-samples 1000000] [--n-features 50] [--repeat 3]
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks._harness import (
    RATIO_COLUMNS,
    cluster_bandwidth,
    entry_recorder,
    interleaved,
    local_cluster,
    parser,
    ratio_rows,
    table,
    timeit,
    write_json,
)


def _blobs(n, p, k, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, p))
    X = np.empty((n, p))
    step = 200_000
    for a in range(0, n, step):
        b = min(n, a + step)
        X[a:b] = centers[rng.integers(0, k, size=b - a)] + rng.normal(size=(b - a, p))
    return X


def main(argv=None):
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n-clusters", type=int, default=8)
    p.add_argument("--max-iter", type=int, default=20, help="Lloyd iterations of the same-init runs")
    p.add_argument(
        "--dask-ml-max-s",
        type=float,
        default=120.0,
        help="if a dask-ml probe on 1/10 of the rows predicts longer, report the estimate",
    )
    args = p.parse_args(argv)
    import dask.array as da
    import sklearn.cluster as skc

    from dml._engine.inputs import validate_fit_data
    from dml._engine.mapreduce import count_passes, map_reduce
    from dml.cluster import KMeans
    from dml.cluster._lloyd_kernels import lloyd_kernel

    n, p_, k = args.n_samples, args.n_features, args.n_clusters
    chunk = -(-n // args.chunks)
    results = {
        "n_samples": n,
        "n_features": p_,
        "n_clusters": k,
        "chunks": args.chunks,
        "max_iter": args.max_iter,
        "entries": [],
    }

    add = entry_recorder(results, 28, 30)

    X = _blobs(n, p_, k)
    rng = np.random.default_rng(1)
    init = X[rng.choice(n, k, replace=False)].copy()
    M = args.max_iter
    with local_cluster() as client:
        bw = cluster_bandwidth(client)
        results["cluster_read_bandwidth_GBps"] = bw / 1e9
        print(f"cluster read bandwidth (2 workers): {bw / 1e9:.1f} GB/s")
        Xd = da.from_array(X, chunks=(chunk, -1)).persist()
        Xd.sum().compute()
        print(f"data: {n:,} x {p_} float64 ({X.nbytes / 2**30:.2f} GiB), {Xd.numblocks[0]} chunks, persisted")

        # ------------------------------------------------------- same init, same iterations
        task = f"KMeans same init, {M} iter"
        with count_passes() as c:
            est = KMeans(k, init=init, n_init=1, max_iter=M, tol=0).fit(Xd)
        res = interleaved(
            {
                "scikit-learn": lambda: skc.KMeans(k, init=init, n_init=1, max_iter=M, tol=0).fit(X),
                "dml": lambda: KMeans(k, init=init, n_init=1, max_iter=M, tol=0).fit(Xd),
            },
            args.repeat,
        )
        t, ts, ref = res["scikit-learn"]
        add(task, "scikit-learn", t, {"n_iter": int(ref.n_iter_), "inertia": float(ref.inertia_)}, ts)
        t, ts, est = res["dml"]
        add(
            task,
            "dml",
            t,
            {
                "n_iter": int(est.n_iter_),
                "inertia": float(est.inertia_),
                "passes": c.passes,
                "inertia_rel_diff": abs(est.inertia_ - ref.inertia_) / ref.inertia_,
                "max_center_diff": float(np.abs(est.cluster_centers_ - ref.cluster_centers_).max()),
            },
            ts,
        )
        if "dask-ml" not in args.skip:
            _dask_ml(add, task, Xd, dict(n_clusters=k, init=init, max_iter=M, tol=0), args.dask_ml_max_s, X)

        # ------------------------------------------- same init, algorithm='elkan' (both)
        task = f"KMeans elkan same init, {M} iter"
        params = dict(init=init, n_init=1, max_iter=M, tol=0, algorithm="elkan")
        res = interleaved(
            {
                "scikit-learn": lambda: skc.KMeans(k, **params).fit(X),
                "dml": lambda: KMeans(k, **params).fit(Xd),
            },
            args.repeat,
        )
        t, ts, ref = res["scikit-learn"]
        add(task, "scikit-learn (elkan)", t, {"n_iter": int(ref.n_iter_), "inertia": float(ref.inertia_)}, ts)
        t, ts, est = res["dml"]
        add(
            task,
            "dml (elkan)",
            t,
            {
                "n_iter": int(est.n_iter_),
                "inertia": float(est.inertia_),
                "inertia_rel_diff": abs(est.inertia_ - ref.inertia_) / ref.inertia_,
            },
            ts,
        )

        # ----------------------------------------------------------------- default seeding
        task = "KMeans default init"
        with count_passes() as c:
            est = KMeans(k, random_state=0).fit(Xd)
        res = interleaved(
            {
                "scikit-learn": lambda: skc.KMeans(k, random_state=0).fit(X),
                "dml": lambda: KMeans(k, random_state=0).fit(Xd),
            },
            args.repeat,
        )
        t, ts, ref = res["scikit-learn"]
        add(
            task,
            "scikit-learn (k-means++, n_init=1)",
            t,
            {"n_iter": int(ref.n_iter_), "inertia": float(ref.inertia_)},
            ts,
        )
        t, ts, est = res["dml"]
        add(
            task,
            "dml (k-means||)",
            t,
            {"n_iter": int(est.n_iter_), "inertia": float(est.inertia_), "passes": c.passes},
            ts,
        )
        if "dask-ml" not in args.skip:
            _dask_ml(
                add,
                task,
                Xd,
                dict(n_clusters=k, random_state=0),
                args.dask_ml_max_s,
                X,
                label="dask-ml (k-means||)",
            )

        # --------------------------------------------------- float32: one Lloyd iteration
        X32 = Xd.astype(np.float32).persist()
        X32.sum().compute()
        est = KMeans(k, init=init.astype(np.float32), n_init=1, max_iter=M, tol=0).fit(X32)
        with count_passes() as c32:
            fit32, _, est = timeit(
                lambda: KMeans(k, init=init.astype(np.float32), n_init=1, max_iter=M, tol=0).fit(X32),
                max(3, args.repeat),
            )
        per_pass = fit32 / (c32.passes / max(3, args.repeat))
        with validate_fit_data(est, X32) as data:
            shift = np.zeros(p_, dtype=np.float32)
            C = est.cluster_centers_
            one, ts, _ = timeit(
                lambda: map_reduce(lloyd_kernel, data, broadcast=(C, shift), counts=True),
                max(5, args.repeat),
                warmup=True,
            )
            read, _, _ = timeit(lambda: map_reduce(_sum_kernel, data), max(5, args.repeat), warmup=True)
        nbytes = n * p_ * 4
        results["float32_lloyd_iteration_s"] = one
        results["float32_read_pass_s"] = read
        results["float32_memory_pass_s_at_bandwidth"] = nbytes / bw
        results["float32_iteration_over_memory_pass"] = one / (nbytes / bw)
        results["float32_iteration_over_read_pass"] = one / read
        results["float32_fit_s"] = fit32
        results["float32_fit_passes"] = c32.passes // max(3, args.repeat)
        results["float32_fit_s_per_pass"] = per_pass
        results["float32_fit_pass_over_memory_pass"] = per_pass / (nbytes / bw)
        results["float32_fit_pass_over_read_pass"] = per_pass / read
        print(
            f"\nfloat32 full Lloyd step (every row): {one * 1e3:.0f} ms; a plain read pass (sum) "
            f"{read * 1e3:.0f} ms; one memory pass at the measured bandwidth {nbytes / bw * 1e3:.0f} ms "
            f"-> {one / (nbytes / bw):.2f}x the memory pass, {one / read:.2f}x the read pass"
        )
        print(
            f"float32 fit, same init, {M} iterations: {fit32:.2f} s over {results['float32_fit_passes']} passes "
            f"= {per_pass * 1e3:.0f} ms per pass -> {per_pass / (nbytes / bw):.2f}x the memory pass, "
            f"{per_pass / read:.2f}x the read pass"
        )

    ratios = ratio_rows(results["entries"], ours=lambda lib: lib.startswith("dml"))
    results["ratios"] = ratios
    print()
    print(table(ratios, RATIO_COLUMNS))
    path = write_json("cluster", results)
    print(f"\nwrote {path}")
    return results


def _sum_kernel(X, y, w, *, xp):
    return {"s": xp.sum(X, axis=0)}


def _dask_ml(add, task, Xd, params, max_s, X, label="dask-ml"):
    import dask.array as da
    from dask_ml.cluster import KMeans as PeerKMeans

    probe_n = max(len(X) // 10, 1000)
    # warm up first (imports, compiled kernels): the probe times the work, not one-time costs
    warm_n = min(len(X), 2000)
    PeerKMeans(**params).fit(da.from_array(X[:warm_n], chunks=(-(-warm_n // 2), -1)))
    Xp = da.from_array(X[:probe_n], chunks=(-(-probe_n // Xd.numblocks[0]), -1)).persist()
    t0 = time.perf_counter()
    PeerKMeans(**params).fit(Xp)
    predicted = (time.perf_counter() - t0) * len(X) / probe_n
    if predicted > max_s:
        add(task, label + " (estimated from 1/10 of the rows)", predicted, {"estimated_from_rows": probe_n})
        return
    t, ts, est = timeit(lambda: PeerKMeans(**params).fit(Xd), 1)
    add(task, label, t, {"n_iter": int(getattr(est, "n_iter_", -1)), "inertia": float(est.inertia_)}, ts)


if __name__ == "__main__":
    main()
