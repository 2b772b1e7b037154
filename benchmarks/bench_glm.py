"""Logistic regression and GLMs: dml vs scikit-learn vs dask-ml on the same data.

Tasks (binary logistic and Poisson data, float64, well conditioned):

- LogisticRegression(solver='newton-cholesky')   vs scikit-learn's newton-cholesky
  and dask-ml's LogisticRegression(solver='newton');
- LogisticRegression, L1 (dml: solver='saga', its proximal Newton) vs scikit-learn's
  saga (same objective, same tol) and dask-ml's proximal_grad (penalty='l1');
- LogisticRegression(solver='lbfgs') vs scikit-learn's lbfgs and dask-ml's lbfgs;
- PoissonRegressor (lbfgs and newton-cholesky) vs scikit-learn and dask-ml's
  PoissonRegression(solver='lbfgs').

The Dask arrays are persisted on a LocalCluster(n_workers=2, threads_per_worker=1)
before timing; scikit-learn fits the same data in memory in this process. Reports the
median of ``--repeat`` runs, the passes over the data of each dml fit, the iterations,
and the largest coefficient difference to scikit-learn relative to its largest
coefficient.

    python -m benchmarks.bench_glm [--n-samples 1000000] [--n-features 50] [--repeat 3]
"""

from __future__ import annotations

import time
import warnings

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


def _targets(Xb, beta, seed):
    rng = np.random.default_rng(seed)
    z = Xb @ beta + 0.2
    y_bin = (rng.random(len(z)) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    y_pois = rng.poisson(np.exp(0.3 * z / max(1.0, np.abs(beta).sum() ** 0.5))).astype(np.float64)
    return np.stack([y_bin, y_pois], axis=1)


def _data(n, p, chunk, seed=0):
    """Data generated on the workers (as a real pipeline's chunks would be: aligned,
    owned), labels from a sparse logistic / Poisson model."""
    import dask.array as da

    rng = np.random.default_rng(seed)
    beta = rng.normal(scale=0.5, size=p) * (rng.random(p) < 0.5)
    X = da.random.default_rng(seed).standard_normal((n, p), chunks=(chunk, p))
    Y = X.map_blocks(
        lambda b, block_info=None: _targets(b, beta, block_info[0]["chunk-location"][0]),
        chunks=(X.chunks[0], (2,)),
        dtype=np.float64,
    )
    return X, Y[:, 0], Y[:, 1]


def main(argv=None):
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--dask-ml-timeout",
        type=float,
        default=120.0,
        help="skip a dask-ml fit if a probe on 1/10 of the rows predicts longer than this",
    )
    p.add_argument(
        "--l1-C",
        type=float,
        default=None,
        help="C of the L1 fits (default 20 / n_samples: a sparse solution)",
    )
    args = p.parse_args(argv)
    import dask
    from sklearn import linear_model as sk

    import dml.linear_model as dl
    from dml._engine.mapreduce import count_passes

    n, p_ = args.n_samples, args.n_features
    chunk = -(-n // args.chunks)
    l1_C = args.l1_C or 20.0 / n
    results = {"n_samples": n, "n_features": p_, "chunks": args.chunks, "l1_C": l1_C, "entries": []}

    add = entry_recorder(results, 34, 40)

    with local_cluster() as client:
        bw = cluster_bandwidth(client)
        results["cluster_read_bandwidth_GBps"] = bw / 1e9
        print(f"cluster read bandwidth (2 workers): {bw / 1e9:.1f} GB/s")
        X, Yb, Yp = _data(n, p_, chunk)
        X, Yb, Yp = client.persist([X, Yb, Yp])
        Xl, yb, yp = dask.compute(X, Yb, Yp)
        print(f"data: {n:,} x {p_} float64 ({X.nbytes / 2**30:.2f} GiB), {X.numblocks[0]} chunks, persisted")

        cases = [
            (
                "LogisticRegression newton-cholesky",
                "logistic",
                lambda: sk.LogisticRegression(solver="newton-cholesky"),
                lambda: dl.LogisticRegression(solver="newton-cholesky"),
                ("LogisticRegression", dict(solver="newton")),
            ),
            (
                "LogisticRegression L1",
                "logistic",
                lambda: sk.LogisticRegression(solver="saga", l1_ratio=1.0, C=l1_C),
                lambda: dl.LogisticRegression(solver="saga", l1_ratio=1.0, C=l1_C),
                ("LogisticRegression", dict(solver="proximal_grad", penalty="l1", C=l1_C)),
            ),
            (
                "LogisticRegression lbfgs",
                "logistic",
                lambda: sk.LogisticRegression(),
                lambda: dl.LogisticRegression(),
                ("LogisticRegression", dict(solver="lbfgs")),
            ),
            (
                "PoissonRegressor lbfgs",
                "poisson",
                lambda: sk.PoissonRegressor(),
                lambda: dl.PoissonRegressor(),
                ("PoissonRegression", dict(solver="lbfgs")),
            ),
            (
                "PoissonRegressor newton-cholesky",
                "poisson",
                lambda: sk.PoissonRegressor(solver="newton-cholesky"),
                lambda: dl.PoissonRegressor(solver="newton-cholesky"),
                None,
            ),
        ]
        for task, kind, make_sk, make_dml, peer in cases:
            if task in args.skip:
                continue
            y_mem, y_dask = (yb, Yb) if kind == "logistic" else (yp, Yp)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t, ts, ref = timeit(lambda: make_sk().fit(Xl, y_mem), args.repeat)
            add(task, "scikit-learn", t, {"n_iter": _n_iter(ref)}, ts)
            with count_passes() as c:
                make_dml().fit(X, y_dask)
            t, ts, est = timeit(lambda: make_dml().fit(X, y_dask), args.repeat)
            rc, ec = np.ravel(ref.coef_), np.ravel(est.coef_)
            add(
                task,
                "dml",
                t,
                {
                    "passes": c.passes,
                    "n_iter": _n_iter(est),
                    "max_rel_coef_diff": float(np.abs(ec - rc).max() / np.abs(rc).max()),
                    "zeros": int((ec == 0).sum()),
                    "sklearn_zeros": int((rc == 0).sum()),
                },
                ts,
            )
            if peer is not None and "dask-ml" not in args.skip:
                _dask_ml(add, task, peer, X, y_dask, rc, args.dask_ml_timeout)

    by = {(e["task"], e["library"]): e["seconds"] for e in results["entries"]}
    ratios = []
    for task in dict.fromkeys(e["task"] for e in results["entries"]):
        d = by.get((task, "dml"))
        for (tk, lib), s in by.items():
            if tk == task and lib != "dml" and d:
                ratios.append(
                    {
                        "task": task,
                        "versus": lib,
                        "their_s": s,
                        "dml_s": d,
                        "dml/their": d / s,
                        "speedup": s / d,
                    }
                )
    results["ratios"] = ratios
    print()
    print(table(ratios, ["task", "versus", "their_s", "dml_s", "dml/their", "speedup"]))
    path = write_json("glm", results)
    print(f"\nwrote {path}")
    return results


def _n_iter(est):
    n_iter = getattr(est, "n_iter_", None)
    return None if n_iter is None else int(np.max(n_iter))


def _dask_ml(add, task, peer, X, y, ref_coef, timeout):
    try:
        import dask_ml.linear_model as dml_peer
    except ImportError:  # pragma: no cover - optional
        return
    name, params = peer
    label = f"dask-ml {name}({', '.join(f'{k}={v!r}' for k, v in params.items())})"
    cls = getattr(dml_peer, name)
    k = max(1, X.numblocks[0] // 10)
    probe_n = sum(X.chunks[0][:k])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # the probe runs twice: the first fit pays one-time costs (imports, compiled
            # code, graph caches), which would inflate the estimate
            cls(**params).fit(X[:probe_n], y[:probe_n])
            t0 = time.perf_counter()
            cls(**params).fit(X[:probe_n], y[:probe_n])
            predicted = (time.perf_counter() - t0) * X.shape[0] / probe_n
            if predicted > timeout:
                add(task, label + " (estimated)", predicted, {"estimated_from_rows": probe_n})
                return
            t, ts, est = timeit(lambda: cls(**params).fit(X, y), 1)
    except Exception as e:  # noqa: BLE001 - dask-ml is partly broken on current Dask
        print(f"  {task:34s} {label:40s} failed: {type(e).__name__}: {str(e)[:80]}")
        results_note = {"error": f"{type(e).__name__}: {str(e)[:200]}"}
        add(task, label + " (failed)", float("nan"), results_note)
        return
    ec = np.ravel(est.coef_)
    add(
        task, label, t, {"max_rel_coef_diff": float(np.abs(ec - ref_coef).max() / np.abs(ref_coef).max())}, ts
    )


if __name__ == "__main__":
    main()
