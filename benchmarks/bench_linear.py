"""Squared-error linear models: Ridge, Lasso, ElasticNet, LassoCV, ElasticNetCV, RidgeCV.

dml, scikit-learn and dask-ml on the same data: the Dask arrays are persisted on a
LocalCluster(n_workers=2, threads_per_worker=1) before timing; scikit-learn fits the same
data, in memory, in this process. dask-ml has no Ridge / Lasso / ElasticNet classes; its
``LinearRegression(penalty=...)`` (default solver) is timed as the peer. Also reports the
passes over the data of each dml fit and, for the one-pass statistics, the fraction of the
workers' measured memory bandwidth.

    python -m benchmarks.bench_linear [--n-samples 1000000] [--n-features 50] [--repeat 3]
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks._harness import (
    cluster_bandwidth,
    entry_recorder,
    local_cluster,
    parser,
    table,
    timeit,
    write_json,
)


def main(argv=None):
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--dask-ml-timeout",
        type=float,
        default=300.0,
        help="skip a dask-ml fit if a probe on 1/10 of the rows predicts longer than this",
    )
    p.add_argument("--name", default="linear", help="results go to benchmarks/results/<name>.json")
    args = p.parse_args(argv)
    import dask
    from sklearn import linear_model as sk

    import dml.linear_model as dl
    from dml._engine.mapreduce import count_passes
    from dml.datasets import make_regression

    n, p_ = args.n_samples, args.n_features
    chunk = -(-n // args.chunks)
    results = {"n_samples": n, "n_features": p_, "chunks": args.chunks, "entries": []}

    add = entry_recorder(results, 22, 34)

    with local_cluster() as client:
        bw = cluster_bandwidth(client)
        results["cluster_read_bandwidth_GBps"] = bw / 1e9
        print(f"cluster read bandwidth (2 workers): {bw / 1e9:.1f} GB/s")
        X, y = make_regression(n, p_, n_informative=p_ // 2, noise=10.0, random_state=0, chunks=chunk)
        X, y = client.persist([X, y])
        dask.compute(X.sum(), y.sum())
        Xl, yl = dask.compute(X, y)
        print(f"data: {n:,} x {p_} float64 ({X.nbytes / 2**30:.2f} GiB), {X.numblocks[0]} chunks, persisted")

        def dml_fit(task, make):
            with count_passes() as c:
                make().fit(X, y)
            t, ts, est = timeit(lambda: make().fit(X, y), args.repeat)
            return t, ts, est, c.passes

        # --------------------------------------------- single fits: Ridge, Lasso, ElasticNet
        cases = [
            ("Ridge", dict(alpha=1.0), "l2"),
            ("Lasso", dict(alpha=1.0), "l1"),
            ("ElasticNet", dict(alpha=1.0, l1_ratio=0.5), "elastic_net"),
        ]
        for name, params, penalty in cases:
            if name in args.skip:
                continue
            t, ts, ref = timeit(lambda: getattr(sk, name)(**params).fit(Xl, yl), args.repeat)
            add(name, "scikit-learn", t, {"n_iter": _n_iter(ref)}, ts)
            t, ts, est, passes = dml_fit(name, lambda: getattr(dl, name)(**params))
            add(
                name,
                "dml",
                t,
                {
                    "passes": passes,
                    "n_iter": _n_iter(est),
                    "max_rel_coef_diff": float(np.abs(est.coef_ - ref.coef_).max() / np.abs(ref.coef_).max()),
                    "zeros": int((est.coef_ == 0).sum()),
                    "sklearn_zeros": int((ref.coef_ == 0).sum()),
                },
                ts,
            )
            if "dask-ml" not in args.skip:
                _dask_ml(add, name, penalty, X, y, args.dask_ml_timeout)

        # --------------------------------------------------------------- cross-validation
        cv_cases = [
            ("LassoCV", dict(cv=5, alphas=100)),
            ("ElasticNetCV", dict(cv=5, alphas=100, l1_ratio=[0.5, 0.9])),
            ("RidgeCV", dict(alphas=np.logspace(-3, 3, 13))),
        ]
        for name, params in cv_cases:
            if name in args.skip:
                continue
            # scikit-learn's CV fits take minutes at full size: timed once
            t, ts, ref = timeit(lambda: getattr(sk, name)(**params).fit(Xl, yl), 1)
            add(name, "scikit-learn", t, {"alpha": float(np.ravel(ref.alpha_)[0])}, ts)
            t, ts, est, passes = dml_fit(name, lambda: getattr(dl, name)(**params))
            add(
                name,
                "dml",
                t,
                {
                    "passes": passes,
                    "alpha": float(np.ravel(est.alpha_)[0]),
                    "same_alpha": bool(np.allclose(est.alpha_, ref.alpha_, rtol=1e-8)),
                },
                ts,
            )

        # ------------------------------------------- the one pass against memory bandwidth
        from dml._engine.inputs import validate_fit_data
        from dml.linear_model._base import compute_sufficient_stats

        with validate_fit_data(dl.Ridge(), X, y, y_numeric=True) as cd:
            one_pass, _, _ = timeit(lambda: compute_sufficient_stats(cd), max(3, args.repeat), warmup=True)
        achieved = X.nbytes / one_pass
        results["stats_pass_s"] = one_pass
        results["stats_pass_bandwidth_fraction"] = achieved / bw
        flops = 2.0 * n * (p_ + 1) ** 2 / one_pass
        print(
            f"\none-pass statistics: {one_pass * 1e3:.0f} ms = {achieved / 1e9:.2f} GB/s "
            f"= {achieved / bw:.0%} of the measured read bandwidth ({flops / 1e9:.1f} GFLOP/s)"
        )

    ratios = []
    by = {(e["task"], e["library"]): e["seconds"] for e in results["entries"]}
    for task in dict.fromkeys(e["task"] for e in results["entries"]):
        d = by.get((task, "dml"))
        for (tk, lib), s in by.items():
            if tk == task and lib != "dml" and d:
                ratios.append({"task": task, "versus": lib, "their_s": s, "dml_s": d, "speedup": s / d})
    results["ratios"] = ratios
    print()
    print(table(ratios, ["task", "versus", "their_s", "dml_s", "speedup"]))
    path = write_json(args.name, results)
    print(f"\nwrote {path}")
    return results


def _n_iter(est):
    n_iter = getattr(est, "n_iter_", None)
    return None if n_iter is None else int(np.max(n_iter))


def _dask_ml(add, name, penalty, X, y, timeout):
    import dask_ml.linear_model as peer

    label = f"dask-ml LinearRegression(penalty='{penalty}')"
    k = max(1, X.numblocks[0] // 10)
    probe_n = sum(X.chunks[0][:k])
    # the probe runs twice: the first fit pays one-time costs (imports, compiled code,
    # graph caches), which would inflate the estimate
    peer.LinearRegression(penalty=penalty).fit(X[:probe_n], y[:probe_n])
    t0 = time.perf_counter()
    peer.LinearRegression(penalty=penalty).fit(X[:probe_n], y[:probe_n])
    predicted = (time.perf_counter() - t0) * X.shape[0] / probe_n
    if predicted > timeout:
        add(name, label + " (estimated)", predicted, {"estimated_from_rows": probe_n})
        return
    t, ts, _ = timeit(lambda: peer.LinearRegression(penalty=penalty).fit(X, y), 1)
    add(name, label, t, None, ts)


if __name__ == "__main__":
    main()
