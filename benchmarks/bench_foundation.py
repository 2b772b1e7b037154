"""Foundation benchmark: LogisticRegression (binary, multinomial) and LinearRegression.

dml, scikit-learn and dask-ml on the same data: the Dask arrays are persisted on a
LocalCluster(n_workers=2, threads_per_worker=1) before timing; scikit-learn fits the same
data, in memory, in this process. Also reports dml's per-iteration round-trip overhead
and, for one data pass of the logistic kernel, the fraction of the workers' measured
memory bandwidth.

    python -m benchmarks.bench_foundation [--n-samples 1000000] [--repeat 3]
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


def _noop_kernel(X, y, w, *, xp):
    return {"n": xp.asarray(X.shape[0])}


def main(argv=None):
    p = parser(__doc__.splitlines()[0])
    p.epilog = "--skip takes: binary multinomial linear dask-ml dask-ml-default"
    p.add_argument(
        "--dask-ml-timeout",
        type=float,
        default=600.0,
        help="stop dask-ml's default solver after this many seconds (its time is then a lower bound)",
    )
    args = p.parse_args(argv)
    import dask
    import dask.array as da
    from sklearn import linear_model as sk

    from dml._engine.inputs import validate_fit_data
    from dml._engine.mapreduce import map_reduce
    from dml.datasets import make_classification, make_regression
    from dml.linear_model import LinearRegression, LogisticRegression
    from dml.linear_model._logistic_kernels import binary_loss_grad_kernel

    n, p_ = args.n_samples, args.n_features
    chunk = -(-n // args.chunks)
    results = {"n_samples": n, "n_features": p_, "chunks": args.chunks, "entries": []}

    add = entry_recorder(results, 28, 26)

    with local_cluster() as client:
        print(f"dashboard: {client.dashboard_link}")
        bw = cluster_bandwidth(client)
        results["cluster_read_bandwidth_GBps"] = bw / 1e9
        print(f"cluster read bandwidth (2 workers): {bw / 1e9:.1f} GB/s")

        data = {}
        Xb, yb = make_classification(n, p_, n_informative=p_ // 2, random_state=0, chunks=chunk)
        Xm, ym = make_classification(n, p_, n_informative=p_ // 2, n_classes=10, random_state=1, chunks=chunk)
        Xr, yr = make_regression(n, p_, n_informative=p_ // 2, noise=10.0, random_state=2, chunks=chunk)
        persisted = client.persist([Xb, yb, Xm, ym, Xr, yr])
        dask.compute(*[a.sum() for a in persisted])
        Xb, yb, Xm, ym, Xr, yr = persisted
        local = dask.compute(Xb, yb, Xm, ym, Xr, yr)
        data = dict(zip(["Xb", "yb", "Xm", "ym", "Xr", "yr"], local))
        print(
            f"data: {n:,} x {p_} float64 ({Xb.nbytes / 2**30:.2f} GiB per set), {Xb.numblocks[0]} chunks, persisted"
        )

        # Each task runs its libraries round-robin (interleaved), so load drift on a shared
        # machine hits them alike; ratios are medians of per-round ratios.
        peer = None
        if "dask-ml" not in args.skip:
            import dask_ml.linear_model as peer

        # ---------------------------------------------------------------- binary logistic
        if "binary" not in args.skip:
            _binary(args, add, sk, data, Xb, yb, n, peer, LogisticRegression)
        # ------------------------------------------------------------ multinomial logistic
        if "multinomial" not in args.skip:
            _multinomial(args, add, sk, data, Xm, ym, LogisticRegression)
        # --------------------------------------------------------------- linear regression
        if "linear" not in args.skip:
            _linear(args, add, sk, data, Xr, yr, peer, LinearRegression)

        # ------------------------------------------- round-trip overhead and bandwidth
        with validate_fit_data(LogisticRegression(), Xb, yb) as cd:
            with dask.config.set(scheduler="dask.distributed"):
                overhead, _, _ = timeit(
                    lambda: map_reduce(_noop_kernel, cd), max(5, 3 * args.repeat), warmup=True
                )
                yenc = cd  # y is 0/1 already; the kernel accepts it as float targets
                coef = np.zeros(p_ + 1)
                one_pass, _, _ = timeit(
                    lambda: map_reduce(
                        binary_loss_grad_kernel, yenc, broadcast=(coef, None), fit_intercept=True
                    ),
                    max(5, 3 * args.repeat),
                    warmup=True,
                )
        achieved = Xb.nbytes / one_pass
        results["round_trip_overhead_s"] = overhead
        results["logistic_pass_s"] = one_pass
        results["logistic_pass_bandwidth_fraction"] = achieved / bw
        print(
            f"\nround trip with an empty kernel: {overhead * 1e3:.1f} ms; one logistic loss+gradient "
            f"pass: {one_pass * 1e3:.1f} ms = {achieved / 1e9:.1f} GB/s = {achieved / bw:.0%} of the "
            "measured read bandwidth"
        )

        # ------------------------------------------- dask-ml's default solver, last
        if peer is not None and "binary" not in args.skip and "dask-ml-default" not in args.skip:
            _dask_ml_default(add, peer, Xb, yb, args.dask_ml_timeout)

    ratios = ratio_rows(results["entries"])
    results["ratios"] = ratios
    print()
    print("speedup: their median / dml median; paired_speedup: median of per-round ratios")
    print(table(ratios, RATIO_COLUMNS))
    path = write_json("foundation", results)
    print(f"\nwrote {path}")
    return results


def _binary(args, add, sk, data, Xb, yb, n, peer, LogisticRegression):
    fns = {
        "scikit-learn": lambda: sk.LogisticRegression().fit(data["Xb"], data["yb"]),
        "dml": lambda: LogisticRegression().fit(Xb, yb),
    }
    if peer is not None:
        fns["dask-ml (solver=lbfgs)"] = lambda: peer.LogisticRegression(solver="lbfgs").fit(Xb, yb)
    res = interleaved(fns, args.repeat)
    sk_bin, dml_bin = res["scikit-learn"][2], res["dml"][2]
    add(
        "logistic binary",
        "scikit-learn",
        res["scikit-learn"][0],
        {"n_iter": int(sk_bin.n_iter_[0])},
        res["scikit-learn"][1],
    )
    add(
        "logistic binary",
        "dml",
        res["dml"][0],
        {
            "n_iter": int(dml_bin.n_iter_[0]),
            "accuracy": dml_bin.score(Xb, yb),
            "sklearn_accuracy": sk_bin.score(data["Xb"], data["yb"]),
        },
        res["dml"][1],
    )
    if peer is not None:
        m = res["dask-ml (solver=lbfgs)"][2]
        add(
            "logistic binary",
            "dask-ml (solver=lbfgs)",
            res["dask-ml (solver=lbfgs)"][0],
            {"accuracy": float((m.predict(Xb) == yb).mean().compute())},
            res["dask-ml (solver=lbfgs)"][1],
        )


def _dask_ml_default(add, peer, Xb, yb, limit):
    """dask-ml's default solver on the full data, stopped at ``limit`` seconds: past it the
    entry is a lower bound (its time is at least ``limit``), so ratios are lower bounds."""
    import threading

    out = {}

    def run():
        t0 = time.perf_counter()
        m = peer.LogisticRegression().fit(Xb, yb)
        out["seconds"] = time.perf_counter() - t0
        out["accuracy"] = float((m.predict(Xb) == yb).mean().compute())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    if "accuracy" in out:
        add(
            "logistic binary",
            "dask-ml (default solver)",
            out["seconds"],
            {"accuracy": out["accuracy"]},
            [out["seconds"]],
        )
    else:
        add(
            "logistic binary",
            "dask-ml (default solver, stopped: time is a lower bound)",
            float(limit),
            {"lower_bound": True},
        )


def _multinomial(args, add, sk, data, Xm, ym, LogisticRegression):
    res = interleaved(
        {
            "scikit-learn": lambda: sk.LogisticRegression().fit(data["Xm"], data["ym"]),
            "dml": lambda: LogisticRegression().fit(Xm, ym),
        },
        args.repeat,
    )
    sk_mul, dml_mul = res["scikit-learn"][2], res["dml"][2]
    add(
        "logistic multinomial (10)",
        "scikit-learn",
        res["scikit-learn"][0],
        {"n_iter": int(sk_mul.n_iter_[0])},
        res["scikit-learn"][1],
    )
    add(
        "logistic multinomial (10)",
        "dml",
        res["dml"][0],
        {
            "n_iter": int(dml_mul.n_iter_[0]),
            "max_abs_coef_diff": float(np.abs(dml_mul.coef_ - sk_mul.coef_).max()),
        },
        res["dml"][1],
    )


def _linear(args, add, sk, data, Xr, yr, peer, LinearRegression):
    fns = {
        "scikit-learn": lambda: sk.LinearRegression().fit(data["Xr"], data["yr"]),
        "dml": lambda: LinearRegression().fit(Xr, yr),
    }
    if peer is not None:
        fns["dask-ml (default solver)"] = lambda: peer.LinearRegression().fit(Xr, yr)
    res = interleaved(fns, args.repeat)
    add("linear regression", "scikit-learn", res["scikit-learn"][0], None, res["scikit-learn"][1])
    add(
        "linear regression",
        "dml",
        res["dml"][0],
        {"max_abs_coef_diff": float(np.abs(res["dml"][2].coef_ - res["scikit-learn"][2].coef_).max())},
        res["dml"][1],
    )
    if peer is not None:
        add(
            "linear regression",
            "dask-ml (default solver)",
            res["dask-ml (default solver)"][0],
            None,
            res["dask-ml (default solver)"][1],
        )


if __name__ == "__main__":
    main()
