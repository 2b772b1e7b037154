"""Sparse LogisticRegression: hashed features, dml against scikit-learn on the same CSR matrix.

``--n-samples`` rows (2,000,000 by default) hashed to ``--n-features`` columns (2**20 by
default), ``--nnz`` stored values per row (40): column indices drawn from a long-tailed
mix (half uniform over all columns, half from the 1% most frequent ones), values 1.0 as
a hashing vectorizer gives, labels from a sparse true model (about 30% positives). The
generator is deterministic (seed 0, one seed per block of rows). scikit-learn fits the
in-memory ``csr_matrix`` in this process; dml fits the same rows as a Dask array of
``--chunks`` CSR chunks scattered to a LocalCluster(n_workers=2, threads_per_worker=1)
and persisted there (where a hashing step on the cluster leaves them). Both use
``solver='lbfgs', C=1`` and scikit-learn's defaults otherwise (tol 1e-4, max_iter 100).

The machine's ceiling is measured in the same run: one evaluation of the logistic loss
and its gradient (``X @ w`` and ``X.T @ r``, the data work of every L-BFGS step) on all
rows in this process, and on one half of the rows on each worker at once (the halves
already there). The ceiling is scikit-learn's fit with every evaluation's data work
split that way and nothing else changed (no vector traffic, the same driver-side
L-BFGS): ``t_sklearn - n_evaluations * (t_all_rows - t_halves_at_once)``, with dml's
count of evaluations. A second ceiling adds the least traffic a data-parallel evaluation
needs, measured in the same run: the coefficient vector scattered to every worker and
one gradient-sized vector gathered back from each (no data work). On a machine whose cores other work keeps busy it stays close to
scikit-learn's own time.

Reported: the median fit times, their ratio (target: dml <= 1.2x scikit-learn's time),
the log loss of both models on the training rows (target: equal to 1e-4), the peak
resident memory of each worker (``ru_maxrss``) next to the bytes of its share of the
matrix, and the load average before and after. With ``--order-check`` scikit-learn is
also fitted (untimed) on the same rows in another order: the difference of its log loss
from scikit-learn's is how far the stopping point of L-BFGS at ``tol`` moves when only
the rounding of the sums changes (the same kind of change as summing per chunk).

    python -m benchmarks bench_sparse_linear [--n-samples 2000000] [--chunks 8] [--repeat 3]
        [--tol 1e-4] [--order-check]
"""

from __future__ import annotations

import gc
import os
import time
import warnings

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

BLOCK = 100_000


def make_hashed_csr(n, p=2**20, nnz=40, seed=0):
    """``(X, y)``: a deterministic CSR matrix of hashed binary features and 0/1 labels."""
    import scipy.sparse as sp

    hot = max(1, p // 100)
    rng0 = np.random.default_rng(seed)
    w_true = np.where(rng0.random(p) < 0.05, rng0.normal(0.0, 1.0, p), 0.0)
    indices, ys = [], []
    for b, start in enumerate(range(0, n, BLOCK)):
        m = min(BLOCK, n - start)
        rng = np.random.default_rng([seed, b])
        cols = np.where(
            rng.random((m, nnz)) < 0.5, rng.integers(0, p, (m, nnz)), rng.integers(0, hot, (m, nnz))
        )
        cols.sort(axis=1)
        indices.append(cols.astype(np.int32))
        z = w_true[cols].sum(axis=1) - 0.5
        ys.append((rng.random(m) < 1.0 / (1.0 + np.exp(-z))).astype(np.int64))
    idx = np.concatenate(indices).ravel()
    X = sp.csr_matrix((np.ones(idx.size), idx, np.arange(0, idx.size + 1, nnz, dtype=np.int64)), shape=(n, p))
    X.sum_duplicates()  # a column drawn twice in a row counts twice, as hashing does
    return X, np.concatenate(ys)


def _peak_rss():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _loss_grad(X, y, w):
    """The data work of one L-BFGS evaluation: logistic loss and gradient sums (intercept
    last), from the sparse products ``X @ w`` and ``X.T @ r``."""
    z = X @ w[:-1] + w[-1]
    r = 1.0 / (1.0 + np.exp(-z)) - y
    return float(np.sum(np.logaddexp(0.0, z) - y * z)), X.T @ r, float(r.sum())


def _place(client, X, y, n_chunks):
    """``(Xd, yd)``: ``X`` and ``y`` as Dask arrays of ``n_chunks`` row chunks scattered to
    the workers (round-robin) and persisted there; the data never enter a task graph."""
    import dask
    import dask.array as da
    from distributed import wait

    n = X.shape[0]
    bounds = np.linspace(0, n, n_chunks + 1).astype(int)
    spans = list(zip(bounds[:-1], bounds[1:]))
    xf = client.scatter([X[a:b] for a, b in spans])
    yf = client.scatter([y[a:b] for a, b in spans], workers=None)
    Xd = da.concatenate(
        [
            da.from_delayed(dask.delayed(f), shape=(b - a, X.shape[1]), dtype=X.dtype, meta=X[:0])
            for f, (a, b) in zip(xf, spans)
        ]
    )
    yd = da.concatenate(
        [da.from_delayed(dask.delayed(f), shape=(b - a,), dtype=y.dtype) for f, (a, b) in zip(yf, spans)]
    )
    Xd, yd = client.persist([Xd, yd])
    wait([Xd, yd])
    return Xd, yd


def _ceiling(client, X, y, repeat):
    """Seconds of one loss-and-gradient evaluation on all rows here, and on one half of
    the rows on each worker at once (the halves and the coefficients already there)."""
    from distributed import wait

    n, p = X.shape
    w = np.full(p + 1, 1e-3)
    yf = y.astype(np.float64)
    workers = sorted(client.scheduler_info()["workers"])
    half = n // 2
    spans = [(0, half), (half, n)]
    futs = [
        client.scatter([X[a:b], yf[a:b], w], workers=[wk], broadcast=False)
        for (a, b), wk in zip(spans, workers)
    ]

    def split():
        wait([client.submit(_loss_grad, *f, workers=[wk], pure=False) for f, wk in zip(futs, workers)])

    split()  # the workers' first call imports
    got = interleaved({"all": lambda: _loss_grad(X, yf, w), "split": split}, repeat=max(3, repeat))
    return got["all"][0], got["split"][0]


def _scaled(v):
    return v * 1.0


def _vector_traffic(client, p, repeat):
    """Seconds of the least traffic of one data-parallel evaluation: the coefficients
    (``p + 1`` float64) to every worker and one gradient of that size back from each,
    summed here, with no data work."""
    import statistics

    from distributed import wait

    workers = sorted(client.scheduler_info()["workers"])
    v = np.full(p + 1, 1e-3)
    times = []
    for _ in range(max(5, 3 * repeat)):
        t0 = time.perf_counter()
        f = client.scatter(v, broadcast=True, hash=False)
        futs = [client.submit(_scaled, f, workers=[w], pure=False) for w in workers]
        wait(futs)
        total = sum(client.gather(futs))
        times.append(time.perf_counter() - t0)
        del total
    return statistics.median(times)


def run_logistic(client, X, y, args, add, results):
    from sklearn.linear_model import LogisticRegression as SkLR
    from sklearn.metrics import log_loss

    from dml._engine.mapreduce import count_passes
    from dml.linear_model import LogisticRegression

    n = X.shape[0]
    Xd, yd = _place(client, X, y, args.chunks)
    kw = dict(solver="lbfgs", C=1.0, tol=args.tol, max_iter=args.max_iter)
    fitted = {}

    def fit_sklearn():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted["sklearn"] = SkLR(**kw).fit(X, y)

    def fit_dml():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted["dml"] = LogisticRegression(**kw).fit(Xd, yd)

    with count_passes() as passes:
        timed = interleaved({"scikit-learn": fit_sklearn, "dml": fit_dml}, repeat=args.repeat)
    n_eval = sum(passes.kernels.count(k) for k in ("binary_loss_grad_kernel", "binary_loss_grad_csr_kernel"))
    n_eval //= args.repeat
    losses = {k: log_loss(y, m.predict_proba(X)) for k, m in fitted.items()}
    task = f"logreg lbfgs {n}x2^{int(np.log2(X.shape[1]))}"
    peaks = client.run(_peak_rss)
    share = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    t_all, t_split = _ceiling(client, X, y, args.repeat)
    t_traffic = _vector_traffic(client, X.shape[1], args.repeat)
    sk_s = timed["scikit-learn"][0]
    ceiling = sk_s - n_eval * (t_all - t_split)
    ceiling_traffic = ceiling + n_eval * t_traffic
    extra_dml = {
        "log_loss": losses["dml"],
        "n_iter": int(fitted["dml"].n_iter_[0]),
        "n_evaluations": n_eval,
        "worker_peak_rss_bytes": list(peaks.values()),
        "matrix_bytes_per_worker": share / max(1, len(peaks)),
    }
    add(
        task,
        "scikit-learn",
        sk_s,
        {"log_loss": losses["sklearn"], "n_iter": int(fitted["sklearn"].n_iter_[0])},
        timed["scikit-learn"][1],
    )
    add(task, "dml", timed["dml"][0], extra_dml, timed["dml"][1])
    results["ceiling"] = {
        "seconds": ceiling,
        "evaluation_all_rows_s": t_all,
        "evaluation_halves_at_once_s": t_split,
        "n_evaluations": n_eval,
        "fraction_of_ceiling": ceiling / timed["dml"][0],
        "vector_traffic_per_evaluation_s": t_traffic,
        "seconds_with_traffic": ceiling_traffic,
        "fraction_of_ceiling_with_traffic": ceiling_traffic / timed["dml"][0],
    }
    results["log_loss_difference"] = abs(losses["dml"] - losses["sklearn"])
    print(
        f"  time ratio dml / scikit-learn: {timed['dml'][0] / sk_s:.3f} (target <= 1.2); "
        f"log loss difference {results['log_loss_difference']:.2e} (target <= 1e-4)"
    )
    print(
        f"  ceiling: one evaluation {t_all:.3f} s on all rows, {t_split:.3f} s on two halves at once; "
        f"x {n_eval} evaluations: {ceiling:.1f} s ({ceiling / sk_s:.3f} of scikit-learn's time); "
        f"dml at {100 * ceiling / timed['dml'][0]:.0f}% of it; with the least vector traffic "
        f"({t_traffic * 1e3:.0f} ms an evaluation: coefficients out, gradients back) "
        f"{ceiling_traffic:.1f} s, dml at {100 * ceiling_traffic / timed['dml'][0]:.0f}% of it"
    )
    print(
        "  worker peak RSS: "
        + ", ".join(f"{v / 2**20:.0f} MiB" for v in peaks.values())
        + f" (matrix share {share / max(1, len(peaks)) / 2**20:.0f} MiB each)",
        flush=True,
    )
    if args.order_check:
        order = np.random.default_rng(1).permutation(n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            other = SkLR(**kw).fit(X[order], y[order])
        ll = log_loss(y, other.predict_proba(X))
        results["order_check"] = {
            "log_loss": ll,
            "n_iter": int(other.n_iter_[0]),
            "difference_from_sklearn": abs(ll - losses["sklearn"]),
        }
        print(
            f"  scikit-learn on the rows in another order: log loss {ll:.6f}, {int(other.n_iter_[0])} "
            f"iterations, {abs(ll - losses['sklearn']):.2e} from scikit-learn's",
            flush=True,
        )
    gc.collect()


def main(argv=None):
    p = parser(__doc__.splitlines()[0], n_samples=2_000_000, n_features=2**20, repeat=3)
    p.add_argument("--nnz", type=int, default=40, help="stored values per row")
    p.add_argument("--name", default="sparse_linear", help="results file name")
    p.add_argument("--tol", type=float, default=1e-4, help="LogisticRegression's tol (both libraries)")
    p.add_argument("--max-iter", type=int, default=100, help="LogisticRegression's max_iter (both)")
    p.add_argument("--order-check", action="store_true", help="also fit scikit-learn on permuted rows")
    args = p.parse_args(argv)
    X, y = make_hashed_csr(args.n_samples, args.n_features, args.nnz)
    print(f"{X.shape[0]} x {X.shape[1]} CSR, {X.nnz} stored values, {y.mean():.3f} positive", flush=True)
    results = {"config": vars(args), "entries": [], "load_average_before": os.getloadavg()}
    add = entry_recorder(results)
    with local_cluster(n_workers=2, threads_per_worker=1) as client:
        run_logistic(client, X, y, args, add, results)
    results["load_average_after"] = os.getloadavg()
    print(
        f"  load average (1, 5, 15 min) before {results['load_average_before']}, after {results['load_average_after']}"
    )
    results["ratios"] = ratio_rows(results["entries"], ours=lambda lib: lib == "dml")
    print(table(results["ratios"], RATIO_COLUMNS))
    print("wrote", write_json(args.name, results))


if __name__ == "__main__":
    main()
