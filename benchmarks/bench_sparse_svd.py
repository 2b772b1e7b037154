"""TruncatedSVD on hashed sparse features: dml against scikit-learn's randomized solver.

Target: "TruncatedSVD(n_components=50) [2,000,000 rows hashed to 2**20 features, ~40
nonzeros per row]: dml <= scikit-learn's randomized time". Rows are generated per chunk
(a deterministic generator seeded by the chunk index): 40 column draws per row, half from a
Zipf-like distribution, half uniform, over 2**20 hashed columns (a few frequent columns and a long
tail, as hashed text), values 1 + a small uniform noise. On a LocalCluster(n_workers=2,
threads_per_worker=1) dml fits a Dask array of CSR chunks held on the workers;
scikit-learn fits the same matrix (concatenated) in this process, with the same
n_components, n_iter and n_oversamples. Reported: medians, the ratio, the singular
values' agreement, and each worker's peak resident memory (ru_maxrss of the worker
process over the run, data included). With n_samples < 2**20 scikit-learn transposes
(draws its random block on the sample side), so the singular values agree to the power
iterations' convergence (about 1%), not to rounding as they do from 2**20 rows on.
Duplicate column draws are summed, so rows hold about 33 distinct nonzeros.

    python -m benchmarks bench_sparse_svd [--n-samples 2000000] [--chunks 16] [--repeat 1]
"""

from __future__ import annotations

import os

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

N_FEATURES = 2**20
PER_ROW = 40


def make_chunk(i, rows, p=N_FEATURES, per_row=PER_ROW):
    """Chunk ``i`` of ``rows`` rows (CSR, float64), deterministic for ``i``."""
    import scipy.sparse as sp

    rng = np.random.default_rng(1000 + i)
    ranks = np.minimum(rng.zipf(1.3, rows * per_row), p) - 1
    cols = (ranks * 2654435761) % p  # spread the frequent ranks over the hashed space
    tail = rng.random(rows * per_row) < 0.5  # half the draws uniform: ~40 distinct per row
    cols[tail] = rng.integers(0, p, int(tail.sum()))
    vals = 1.0 + 0.1 * rng.random(rows * per_row)
    X = sp.csr_matrix((vals, (np.repeat(np.arange(rows), per_row), cols)), shape=(rows, p))
    X.sum_duplicates()
    return X


def _peak_rss_mib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    p = parser(__doc__.splitlines()[0], n_samples=2_000_000, n_features=N_FEATURES, repeat=1)
    p.set_defaults(chunks=16)
    p.add_argument("--n-components", type=int, default=50)
    p.add_argument("--name", default="sparse_svd", help="results go to benchmarks/results/<name>.json")
    args = p.parse_args(argv)
    import dask
    import dask.array as da
    import scipy.sparse as sp
    from distributed import wait
    from sklearn.decomposition import TruncatedSVD as SkTruncatedSVD

    from dml.decomposition import TruncatedSVD

    n, k = args.n_samples, args.n_components
    size = -(-n // args.chunks)
    sizes = [min(size, n - a) for a in range(0, n, size)]
    results = {
        "n_samples": n,
        "n_features": N_FEATURES,
        "n_components": k,
        "chunks": len(sizes),
        "sklearn_transposes": n < N_FEATURES,
        "entries": [],
        "load_average": {"start": os.getloadavg()},  # the machine is shared
    }
    add = entry_recorder(results, 30, 16)
    local = sp.vstack([make_chunk(i, r) for i, r in enumerate(sizes)], format="csr")
    print(
        f"data: {n:,} x 2**20, {local.nnz / n:.1f} nonzeros per row, {local.data.nbytes / 2**20:.0f} MiB of values",
        flush=True,
    )
    with local_cluster(memory_limit="12GiB") as client:
        meta = sp.csr_matrix((0, N_FEATURES))
        blocks = [
            da.from_delayed(
                dask.delayed(make_chunk)(i, r), shape=(r, N_FEATURES), dtype=np.float64, meta=meta
            )
            for i, r in enumerate(sizes)
        ]
        X = client.persist(da.concatenate(blocks, axis=0))
        wait(X)  # the data on the workers before timing
        got = interleaved(
            {
                "scikit-learn": lambda: SkTruncatedSVD(k, algorithm="randomized", random_state=0).fit(local),
                "dml": lambda: TruncatedSVD(k, algorithm="randomized", random_state=0).fit(X),
            },
            repeat=args.repeat,
        )
        peaks = client.run(_peak_rss_mib)
    sv_sk, sv_dml = got["scikit-learn"][2].singular_values_, got["dml"][2].singular_values_
    rel = float(np.max(np.abs(sv_sk - sv_dml) / sv_sk))
    task = f"TruncatedSVD({k}) {n:,} x 2**20"
    add(task, "scikit-learn", got["scikit-learn"][0], None, got["scikit-learn"][1])
    add(
        task,
        "dml",
        got["dml"][0],
        {"sv_max_rel_diff": rel, "worker_peak_rss_mib": list(peaks.values())},
        got["dml"][1],
    )
    results["ratios"] = ratio_rows(results["entries"])
    results["worker_peak_rss_mib"] = peaks
    print(table(results["ratios"], RATIO_COLUMNS))
    print(f"singular values: max relative difference {rel:.2e}; worker peak RSS (MiB): {peaks}")
    results["load_average"]["end"] = os.getloadavg()
    print("wrote", write_json(args.name, results))


if __name__ == "__main__":
    main()
