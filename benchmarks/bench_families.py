"""Naive Bayes and mixtures: GaussianNB, MultinomialNB and GaussianMixture fits, dml against scikit-learn.

The data (5,000,000 x 50 float64 by default, 2 GB) is a Dask array persisted on a
LocalCluster(n_workers=2, threads_per_worker=1) before timing; scikit-learn fits the same
data, in memory, in this process. The libraries are timed round-robin (``interleaved``)
and medians reported, with each dml fit's passes over the data, its agreement with
scikit-learn's fitted attributes, and the time of one read of the data at the workers'
measured memory bandwidth. dask-ml's GaussianNB is not timed: its fitted attributes
are lazy Dask arrays (its ``fit`` computes nothing), so there is no fit to compare.

GaussianMixture (n_components=8, covariance_type='full') runs on its own data set
(``--gmm-samples`` x ``--gmm-features``, 1,000,000 x 20 by default, persisted alike),
both libraries from the same explicit initialisation (weights, means and precisions of a
two-iteration scikit-learn fit) for ``--gmm-iter`` EM iterations with ``tol=0``, so they
run the same iterations; dask-ml has no Gaussian mixture.

KNeighborsClassifier(n_neighbors=10) searches ``--knn-queries`` queries (100,000) in an
index of ``--knn-index`` x ``--knn-features`` rows (1,000,000 x 50), both drawn from one
set of Gaussian blobs (1,000 centres, cluster_std 4, the blob as the class: clustered data,
as embeddings often are) and persisted: scikit-learn's brute force (n_jobs=2) on the
in-memory copy, dml's exact search, and dml's IVF index (``--knn-lists`` and
``--knn-probe``; without it, the fewest probes, among powers of 2, reaching recall@10 0.96
on 1,000 held-out queries from the same blobs, not timed) whose build is timed apart;
the IVF's recall@10 against the exact neighbours is measured on the first 10,000 timed
queries, and
again on unstructured data (Gaussian noise, at most 100,000 rows, the same share of
the lists probed), where an inverted file does poorly.

    python -m benchmarks bench_families [--n-samples 5000000] [--n-features 50] [--repeat 3]
        [--gmm-samples 1000000] [--gmm-features 20] [--gmm-iter 10]
        [--knn-index 1000000] [--knn-queries 100000] [--knn-features 50]
        [--knn-lists N] [--knn-probe N]
"""

from __future__ import annotations

import gc

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
    write_json,
)


def _max_rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _case(client, add, results, name, X, y, repeat, attributes):
    """Time dml's and scikit-learn's ``name`` on the persisted X, y and their in-memory copy."""
    import dask
    import sklearn.naive_bayes as sk

    import dml.naive_bayes as nb
    from dml._engine.mapreduce import count_passes

    Xl, yl = dask.compute(X, y)
    with count_passes() as c:
        getattr(nb, name)().fit(X, y)
    timed = interleaved(
        {
            "scikit-learn": lambda: getattr(sk, name)().fit(Xl, yl),
            "dml": lambda: getattr(nb, name)().fit(X, y),
        },
        repeat,
    )
    t, ts, ref = timed["scikit-learn"]
    add(name, "scikit-learn", t, None, ts)
    t, ts, est = timed["dml"]
    diff = {k: _max_rel(getattr(est, k), getattr(ref, k)) for k in attributes}
    add(name, "dml", t, {"passes": c.passes, "max_rel_diff": diff}, ts)
    results.setdefault("one_read_s", X.nbytes / results["cluster_read_bandwidth_GBps"] / 1e9)


def _gmm_case(client, add, results, X, repeat, n_iter):
    """Time dml's and scikit-learn's GaussianMixture for the same EM iterations on X."""
    import warnings

    import dask
    import sklearn.mixture as sk
    from sklearn.exceptions import ConvergenceWarning

    from dml._engine.mapreduce import count_passes
    from dml.mixture import GaussianMixture

    (Xl,) = dask.compute(X)
    warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0: a fixed number of iterations
    start = sk.GaussianMixture(8, max_iter=2, random_state=0).fit(Xl[:100_000])
    params = dict(
        n_components=8,
        covariance_type="full",
        max_iter=n_iter,
        tol=0,
        weights_init=start.weights_,
        means_init=start.means_,
        precisions_init=start.precisions_,
    )
    with count_passes() as c:
        GaussianMixture(**params).fit(X)
    timed = interleaved(
        {
            "scikit-learn": lambda: sk.GaussianMixture(**params).fit(Xl),
            "dml": lambda: GaussianMixture(**params).fit(X),
        },
        repeat,
    )
    t, ts, ref = timed["scikit-learn"]
    add("GaussianMixture", "scikit-learn", t, None, ts)
    t, ts, est = timed["dml"]
    attributes = ["weights_", "means_", "covariances_", "lower_bound_"]
    diff = {k: _max_rel(getattr(est, k), getattr(ref, k)) for k in attributes}
    add("GaussianMixture", "dml", t, {"passes": c.passes, "n_iter": est.n_iter_, "max_rel_diff": diff}, ts)


def _recall(found, truth):
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth)]))


def _knn_case(client, add, results, n_index, n_queries, n_features, repeat, n_lists, n_probe):
    """Time KNeighborsClassifier(n_neighbors=10): scikit-learn's brute force, dml's exact
    search and dml's IVF index, on the same persisted blobs; the IVF's recall@10 on
    them and, at the same n_probe / n_lists, on unstructured Gaussian noise."""
    import time

    import dask
    import sklearn.neighbors as sk

    from dml.datasets import make_blobs
    from dml.neighbors import KNeighborsClassifier, NearestNeighbors

    n_cal = 1000  # held-out queries from the same blobs that choose n_probe (not timed)
    n = n_index + n_queries + n_cal
    X, y = make_blobs(n, n_features, centers=1000, cluster_std=4.0, random_state=2, chunks=-(-n // 40))
    X, y = client.persist([X, y])
    Xi, yi, Q = X[:n_index], y[:n_index], X[n_index : n_index + n_queries]
    Xi, yi, Q = client.persist([Xi, yi, Q])
    dask.compute(Xi.sum(), Q.sum())
    Xl, yl, Ql, Qcal = dask.compute(Xi, yi, Q, X[n_index + n_queries :])
    print(
        f"KNeighborsClassifier data: {n_index:,} x {n_features} index, {n_queries:,} queries "
        f"({Q.numblocks[0]} chunks), persisted"
    )
    ref = sk.KNeighborsClassifier(n_neighbors=10, algorithm="brute", n_jobs=2).fit(Xl, yl)
    t0 = time.perf_counter()
    exact = KNeighborsClassifier(n_neighbors=10).fit(Xi, yi)
    fit_exact = time.perf_counter() - t0
    t0 = time.perf_counter()
    ivf = KNeighborsClassifier(n_neighbors=10, algorithm="ivf", n_lists=n_lists).fit(Xi, yi)
    build = time.perf_counter() - t0
    calibration = {}
    if n_probe is None:  # the fewest lists (powers of 2) reaching recall@10 0.96 on the held-out queries
        cal_truth = exact.kneighbors(Qcal, return_distance=False)
        n_probe = 1
        while True:
            found = ivf.set_params(n_probe=n_probe).kneighbors(Qcal, return_distance=False)
            calibration[n_probe] = _recall(found, cal_truth)
            if calibration[n_probe] >= 0.96 or n_probe >= ivf._ivf.n_lists:
                break
            n_probe *= 2
        print(f"IVF n_probe chosen on {n_cal} held-out queries: recall@10 {calibration}")
    ivf.set_params(n_probe=n_probe)
    timed = interleaved(
        {
            "scikit-learn": lambda: ref.predict(Ql),
            "dml": lambda: exact.predict(Q).compute(),
            "dml-ivf": lambda: ivf.predict(Q).compute(),
        },
        repeat,
    )
    m = min(n_queries, 10_000)
    truth = exact.kneighbors(Ql[:m], return_distance=False)
    recall = _recall(ivf.kneighbors(Ql[:m], return_distance=False), truth)
    t, ts, pred_ref = timed["scikit-learn"]
    add("KNeighborsClassifier", "scikit-learn", t, None, ts)
    t_exact, ts, pred = timed["dml"]
    extra = {"agreement": float(np.mean(pred == pred_ref)), "fit_s": fit_exact}
    add("KNeighborsClassifier", "dml", t_exact, extra, ts)
    t, ts, pred_ivf = timed["dml-ivf"]
    # unstructured data: the same share of lists probed, on Gaussian noise
    rng = np.random.default_rng(0)
    n_noise = min(n_index, 100_000)
    noise, noise_q = rng.normal(size=(n_noise, n_features)), rng.normal(size=(1000, n_features))
    noise_lists = max(1, round(ivf._ivf.n_lists * (n_noise / n_index) ** 0.5))
    noise_probe = max(1, round(noise_lists * ivf._n_probe() / ivf._ivf.n_lists))
    noise_ivf = NearestNeighbors(n_neighbors=10, algorithm="ivf", n_lists=noise_lists, n_probe=noise_probe)
    noise_truth = NearestNeighbors(n_neighbors=10).fit(noise).kneighbors(noise_q, return_distance=False)
    noise_recall = _recall(noise_ivf.fit(noise).kneighbors(noise_q, return_distance=False), noise_truth)
    extra = {
        "recall_at_10": recall,
        "n_lists": ivf._ivf.n_lists,
        "n_probe": ivf._n_probe(),
        "build_s": build,
        "speedup_vs_dml_exact": t_exact / t,
        "agreement": float(np.mean(pred_ivf == pred_ref)),
        "n_probe_calibration": {str(p): r for p, r in calibration.items()},
        "noise_recall_at_10": noise_recall,
        "noise_data": f"Gaussian noise {n_noise:,} x {n_features}, {noise_lists} lists, n_probe {noise_probe}",
    }
    add("KNeighborsClassifier-ivf", "dml", t, extra, ts)


def main(argv=None):
    p = parser(__doc__.splitlines()[0], n_samples=5_000_000, n_features=50)
    p.add_argument("--name", default="families", help="results go to benchmarks/results/<name>.json")
    p.add_argument("--gmm-samples", type=int, default=1_000_000, help="rows of the GaussianMixture data")
    p.add_argument("--gmm-features", type=int, default=20, help="columns of the GaussianMixture data")
    p.add_argument("--gmm-iter", type=int, default=10, help="EM iterations of both GaussianMixture fits")
    p.add_argument("--knn-index", type=int, default=1_000_000, help="rows of the KNeighborsClassifier index")
    p.add_argument("--knn-queries", type=int, default=100_000, help="KNeighborsClassifier queries")
    p.add_argument("--knn-features", type=int, default=50, help="columns of the KNeighborsClassifier data")
    p.add_argument("--knn-lists", type=int, default=None, help="IVF lists (default: dml's, about sqrt(n))")
    p.add_argument(
        "--knn-probe", type=int, default=None, help="IVF lists probed (default: chosen on held-out queries)"
    )
    args = p.parse_args(argv)
    import dask.array as da

    from dml.datasets import make_classification

    n, p_ = args.n_samples, args.n_features
    chunk = -(-n // args.chunks)
    results = {"n_samples": n, "n_features": p_, "chunks": args.chunks, "repeat": args.repeat, "entries": []}
    add = entry_recorder(results, 16, 14)

    with local_cluster() as client:
        bw = cluster_bandwidth(client)
        results["cluster_read_bandwidth_GBps"] = bw / 1e9
        print(f"cluster read bandwidth (2 workers): {bw / 1e9:.1f} GB/s")
        X, y = make_classification(n, p_, n_informative=p_ // 2, n_classes=3, random_state=0, chunks=chunk)
        X, y = client.persist([X, y])
        da.compute(X.sum(), y.sum())
        print(f"data: {n:,} x {p_} float64 ({X.nbytes / 2**30:.2f} GiB), {X.numblocks[0]} chunks, persisted")

        if "GaussianNB" not in args.skip:
            _case(client, add, results, "GaussianNB", X, y, args.repeat, ["theta_", "var_", "class_count_"])
            gc.collect()  # the in-memory copy of X goes before the next case's
        if "MultinomialNB" not in args.skip:
            counts = client.persist(da.floor(abs(X) * 2.0))  # non-negative "counts"
            del X
            da.compute(counts.sum())
            _case(
                client,
                add,
                results,
                "MultinomialNB",
                counts,
                y,
                args.repeat,
                ["feature_count_", "class_count_", "feature_log_prob_"],
            )
            del counts
            gc.collect()
        if "GaussianMixture" not in args.skip:
            X = None
            gc.collect()
            ng, pg = args.gmm_samples, args.gmm_features
            Xg, _ = make_classification(
                ng, pg, n_informative=pg // 2, n_classes=8, random_state=1, chunks=-(-ng // args.chunks)
            )
            Xg = client.persist(Xg)
            da.compute(Xg.sum())
            print(f"GaussianMixture data: {ng:,} x {pg} float64, {Xg.numblocks[0]} chunks, persisted")
            _gmm_case(client, add, results, Xg, args.repeat, args.gmm_iter)
            del Xg
            gc.collect()
        if "KNeighborsClassifier" not in args.skip:
            X = None
            gc.collect()
            _knn_case(
                client,
                add,
                results,
                args.knn_index,
                args.knn_queries,
                args.knn_features,
                args.repeat,
                args.knn_lists,
                args.knn_probe,
            )

    rows = ratio_rows(results["entries"])
    results["ratios"] = rows
    print()
    print(table(rows, RATIO_COLUMNS))
    print(f"one read of the data at the cluster's bandwidth: {results.get('one_read_s', 0):.3f} s")
    path = write_json(args.name, results)
    print(f"\nwrote {path}")
    return results
