"""Sparse LogisticRegression: hashed features, dml against scikit-learn on the same CSR matrix.

``--n-samples`` rows (2,000,000 by default) hashed to ``--n-features`` columns (2**20 by
default), ``--nnz`` stored values per row (40): column indices drawn from a long-tailed
mix (half uniform over all columns, half from the 1% most frequent ones), values 1.0 as
a hashing vectorizer gives, labels from a sparse true model (about 30% positives). The
generator is deterministic (seed 0, one seed per block of rows). scikit-learn fits the
in-memory ``csr_matrix`` in this process; dml fits the same rows as a Dask array of
``--chunks`` CSR chunks persisted on a LocalCluster(n_workers=2, threads_per_worker=1)
(where a hashing step on the cluster leaves them). Both use ``solver='lbfgs', C=1`` and
scikit-learn's defaults otherwise (tol 1e-4, max_iter 100).

Reported: the median fit times, their ratio (target: dml <= 1.2x scikit-learn's time),
the log loss of both models on the training rows (target: equal to 1e-4), and the peak
resident memory of each worker (``ru_maxrss``) next to the bytes of its share of the
matrix.

    python -m benchmarks bench_sparse_linear [--n-samples 2000000] [--chunks 8] [--repeat 3]
"""

from __future__ import annotations

import gc
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


def run_logistic(client, X, y, args, add):
    import dask.array as da
    from distributed import wait
    from sklearn.linear_model import LogisticRegression as SkLR
    from sklearn.metrics import log_loss

    from dml.linear_model import LogisticRegression

    n = X.shape[0]
    rows = -(-n // args.chunks)
    Xd = client.persist(da.from_array(X, chunks=(rows, X.shape[1]), asarray=False))
    yd = client.persist(da.from_array(y, chunks=(rows,)))
    wait([Xd, yd])
    fitted = {}

    def fit_sklearn():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted["sklearn"] = SkLR(solver="lbfgs", C=1.0).fit(X, y)

    def fit_dml():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted["dml"] = LogisticRegression(solver="lbfgs", C=1.0).fit(Xd, yd)

    timed = interleaved({"scikit-learn": fit_sklearn, "dml": fit_dml}, repeat=args.repeat)
    losses = {k: log_loss(y, m.predict_proba(X)) for k, m in fitted.items()}
    task = f"logreg lbfgs {n}x2^{int(np.log2(X.shape[1]))}"
    peaks = client.run(_peak_rss)
    share = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    extra_dml = {
        "log_loss": losses["dml"],
        "n_iter": int(fitted["dml"].n_iter_[0]),
        "worker_peak_rss_bytes": list(peaks.values()),
        "matrix_bytes_per_worker": share / max(1, len(peaks)),
    }
    add(
        task,
        "scikit-learn",
        timed["scikit-learn"][0],
        {"log_loss": losses["sklearn"], "n_iter": int(fitted["sklearn"].n_iter_[0])},
        timed["scikit-learn"][1],
    )
    add(task, "dml", timed["dml"][0], extra_dml, timed["dml"][1])
    print(
        f"  time ratio dml / scikit-learn: {timed['dml'][0] / timed['scikit-learn'][0]:.3f} (target <= 1.2); "
        f"log loss difference {abs(losses['dml'] - losses['sklearn']):.2e} (target <= 1e-4)"
    )
    print(
        "  worker peak RSS: "
        + ", ".join(f"{v / 2**20:.0f} MiB" for v in peaks.values())
        + f" (matrix share {share / max(1, len(peaks)) / 2**20:.0f} MiB each)"
    )
    gc.collect()


def main(argv=None):
    p = parser(__doc__.splitlines()[0], n_samples=2_000_000, n_features=2**20, repeat=3)
    p.add_argument("--nnz", type=int, default=40, help="stored values per row")
    p.add_argument("--name", default="sparse_linear", help="results file name")
    args = p.parse_args(argv)
    X, y = make_hashed_csr(args.n_samples, args.n_features, args.nnz)
    print(f"{X.shape[0]} x {X.shape[1]} CSR, {X.nnz} stored values, {y.mean():.3f} positive", flush=True)
    results = {"config": vars(args), "entries": []}
    add = entry_recorder(results)
    with local_cluster(n_workers=2, threads_per_worker=1) as client:
        run_logistic(client, X, y, args, add)
    results["ratios"] = ratio_rows(results["entries"], ours=lambda lib: lib == "dml")
    print(table(results["ratios"], RATIO_COLUMNS))
    print("wrote", write_json(args.name, results))


if __name__ == "__main__":
    main()
