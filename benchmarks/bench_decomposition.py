"""PCA and TruncatedSVD: dml, scikit-learn and dask-ml on the same data.

The Dask array is persisted on a LocalCluster(n_workers=2, threads_per_worker=1) before
timing; scikit-learn fits the same data, in memory, in this process. Every solver is
compared with the same solver of the peers where they have it, and the fitted
explained variances are checked against scikit-learn's exact answer.

    python -m benchmarks.bench_decomposition [--n-samples 1000000] [--n-features 50] [--repeat 3]
"""

from __future__ import annotations

import numpy as np

from benchmarks._harness import (
    RATIO_COLUMNS,
    entry_recorder,
    interleaved,
    local_cluster,
    parser,
    ratio_rows,
    table,
    timeit,
    write_json,
)


def _data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(p, p)) * (0.85 ** np.arange(p))[:, None]
    X = np.empty((n, p))
    step = 200_000
    for a in range(0, n, step):
        b = min(n, a + step)
        X[a:b] = rng.normal(size=(b - a, p)) @ mix + 3.0
    return X


def main(argv=None):
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n-components", type=int, default=10)
    args = p.parse_args(argv)
    import dask.array as da
    import sklearn.decomposition as skd

    from dml._engine.mapreduce import count_passes
    from dml.decomposition import PCA, TruncatedSVD

    n, p_, k = args.n_samples, args.n_features, args.n_components
    chunk = -(-n // args.chunks)
    results = {"n_samples": n, "n_features": p_, "n_components": k, "chunks": args.chunks, "entries": []}

    add = entry_recorder(results, 34, 28)

    X = _data(n, p_)
    exact = skd.PCA(k, svd_solver="covariance_eigh").fit(X).explained_variance_
    with local_cluster() as client:
        Xd = da.from_array(X, chunks=(chunk, -1)).persist()
        Xd.sum().compute()
        print(f"data: {n:,} x {p_} float64 ({X.nbytes / 2**30:.2f} GiB), {Xd.numblocks[0]} chunks, persisted")

        def err(est):
            return float(np.max(np.abs(np.asarray(est.explained_variance_) / exact - 1)))

        for solver in ("covariance_eigh", "full", "randomized"):
            task = f"PCA({k}) svd_solver={solver}"
            with count_passes() as c:
                PCA(k, svd_solver=solver, random_state=0).fit(Xd)
            res = interleaved(
                {
                    "scikit-learn": lambda: skd.PCA(k, svd_solver=solver, random_state=0).fit(X),
                    "dml": lambda: PCA(k, svd_solver=solver, random_state=0).fit(Xd),
                },
                args.repeat,
            )
            t, ts, ref = res["scikit-learn"]
            add(task, "scikit-learn", t, {"max_rel_var_err": err(ref)}, ts)
            t, ts, est = res["dml"]
            add(task, "dml", t, {"passes": c.passes, "max_rel_var_err": err(est)}, ts)
            if "dask-ml" not in args.skip and solver != "covariance_eigh":
                _dask_ml_pca(add, task, Xd, k, solver, err, args.repeat)
        task = f"PCA({k}) default"
        res = interleaved(
            {"scikit-learn": lambda: skd.PCA(k).fit(X), "dml": lambda: PCA(k).fit(Xd)}, args.repeat
        )
        t, ts, ref = res["scikit-learn"]
        add(task, "scikit-learn", t, {"max_rel_var_err": err(ref)}, ts)
        t, ts, est = res["dml"]
        add(task, "dml", t, {"max_rel_var_err": err(est)}, ts)
        if "dask-ml" not in args.skip:
            _dask_ml_pca(add, task, Xd, k, "auto", err, args.repeat)

        task = f"TruncatedSVD({k}) randomized"
        res = interleaved(
            {
                "scikit-learn": lambda: skd.TruncatedSVD(k, random_state=0).fit(X),
                "dml": lambda: TruncatedSVD(k, random_state=0).fit(Xd),
            },
            args.repeat,
        )
        t, ts, ref = res["scikit-learn"]
        add(task, "scikit-learn", t, None, ts)
        t, ts, est = res["dml"]
        add(
            task,
            "dml",
            t,
            {"max_rel_sv_diff": float(np.max(np.abs(est.singular_values_ / ref.singular_values_ - 1)))},
            ts,
        )
        if "dask-ml" not in args.skip:
            from dask_ml.decomposition import TruncatedSVD as Peer

            t, ts, _ = timeit(lambda: Peer(k, algorithm="randomized", random_state=0).fit(Xd), args.repeat)
            add(task, "dask-ml", t, None, ts)

    ratios = ratio_rows(results["entries"])
    for r in ratios:
        r["dml_over_them"] = r["dml_s"] / r["their_s"]
    results["ratios"] = ratios
    print()
    print(table(ratios, RATIO_COLUMNS + ["dml_over_them"]))
    path = write_json("decomposition", results)
    print(f"\nwrote {path}")
    return results


def _dask_ml_pca(add, task, Xd, k, solver, err, repeat):
    from dask_ml.decomposition import PCA as Peer

    peer_solver = {"full": "tsqr"}.get(solver, solver)
    try:
        t, ts, est = timeit(lambda: Peer(k, svd_solver=peer_solver, random_state=0).fit(Xd), repeat)
    except Exception as exc:  # noqa: BLE001 - report what the peer does with this input
        add(
            task,
            f"dask-ml (svd_solver={peer_solver!r})",
            float("nan"),
            {"error": f"{type(exc).__name__}: {exc}"[:200]},
        )
        return
    add(task, f"dask-ml (svd_solver={peer_solver!r})", t, {"max_rel_var_err": err(est)}, ts)


if __name__ == "__main__":
    main()
