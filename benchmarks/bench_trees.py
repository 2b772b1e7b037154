"""Trees: HistGradientBoostingClassifier fits, dml against scikit-learn.

A HIGGS-shaped problem (``--n-samples`` x 28 float64, binary, from
``dml.datasets.make_classification``; 1,000,000 rows by default), 80% for training and 20%
to test. dml fits the training part persisted on a LocalCluster(n_workers=2,
threads_per_worker=1); scikit-learn fits the same rows in memory in this process with 2
OpenMP threads. Both with ``max_iter`` (100), ``max_leaf_nodes=31``, ``learning_rate=0.1``
and early stopping off. Reported: the median fit times (round-robin), their ratio, dml's
passes over the data, the test accuracies and the largest difference of the predicted
probabilities.

    python -m benchmarks bench_trees [--n-samples 1000000] [--max-iter 100] [--repeat 1]

``--case forest``: RandomForestClassifier instead (dml's binned forest, all trees grown
in the same passes, beside scikit-learn's with ``n_jobs=2``), ``--n-estimators`` trees of
``--max-depth`` levels; accuracies and the fit-time ratio reported.

    python -m benchmarks bench_trees -- --case forest --n-samples 100000 --n-estimators 20
"""

from __future__ import annotations

import numpy as np

from benchmarks._harness import entry_recorder, interleaved, local_cluster, parser, write_json


def main(argv=None):
    p = parser(__doc__.splitlines()[0], n_samples=1_000_000, n_features=28, repeat=1)
    p.add_argument("--name", default="trees", help="results go to benchmarks/results/<name>.json")
    p.add_argument("--max-iter", type=int, default=100, help="boosting iterations of both fits")
    p.add_argument("--case", choices=("hgb", "forest"), default="hgb", help="the estimator compared")
    p.add_argument("--n-estimators", type=int, default=20, help="forest: number of trees")
    p.add_argument("--max-depth", type=int, default=10, help="forest: depth of the trees")
    args = p.parse_args(argv)
    if args.case == "forest":
        return _forest(args)
    import dask
    import sklearn.ensemble as sk
    from threadpoolctl import threadpool_limits

    from dml._engine.mapreduce import count_passes
    from dml.datasets import make_classification
    from dml.ensemble import HistGradientBoostingClassifier

    n, p_ = args.n_samples, args.n_features
    n_train = int(0.8 * n)
    chunk = -(-n_train // args.chunks)
    params = dict(max_iter=args.max_iter, max_leaf_nodes=31, learning_rate=0.1, early_stopping=False)
    results = {"n_samples": n, "n_features": p_, "chunks": args.chunks, "params": params, "entries": []}
    add = entry_recorder(results, 32, 14)
    with local_cluster() as client:
        X, y = make_classification(
            n, p_, n_informative=p_ // 2, n_redundant=p_ // 4, flip_y=0.1, random_state=0, chunks=chunk
        )
        Xtr, ytr = X[:n_train].rechunk((chunk, -1)), y[:n_train].rechunk(chunk)
        Xtr, ytr = client.persist([Xtr, ytr])
        Xl, yl, Xte, yte = dask.compute(Xtr, ytr, X[n_train:], y[n_train:])
        print(
            f"data: {n_train:,} x {p_} training rows persisted in {Xtr.numblocks[0]} chunks, {n - n_train:,} test"
        )
        with count_passes() as c:
            HistGradientBoostingClassifier(**params).fit(Xtr, ytr)

        def fit_sk():
            with threadpool_limits(limits=2, user_api="openmp"):
                return sk.HistGradientBoostingClassifier(**params).fit(Xl, yl)

        timed = interleaved(
            {"scikit-learn": fit_sk, "dml": lambda: HistGradientBoostingClassifier(**params).fit(Xtr, ytr)},
            args.repeat,
        )
        t_sk, ts, ref = timed["scikit-learn"]
        add(
            "HistGradientBoostingClassifier",
            "scikit-learn",
            t_sk,
            {"accuracy": float(ref.score(Xte, yte))},
            ts,
        )
        t, ts, est = timed["dml"]
        extra = {
            "accuracy": float(est.score(Xte, yte)),
            "passes": c.passes,
            "ratio_to_sklearn": t / t_sk,
            "max_proba_diff": float(np.max(np.abs(est.predict_proba(Xte) - ref.predict_proba(Xte)))),
        }
        add("HistGradientBoostingClassifier", "dml", t, extra, ts)
    print(f"dml / scikit-learn fit time: {t / t_sk:.2f}")
    write_json(args.name, results)


def _forest(args):
    import dask
    import sklearn.ensemble as sk

    from dml._engine.mapreduce import count_passes
    from dml.datasets import make_classification
    from dml.ensemble import RandomForestClassifier

    n, p_ = args.n_samples, args.n_features
    n_train = int(0.8 * n)
    chunk = -(-n_train // args.chunks)
    params = dict(n_estimators=args.n_estimators, max_depth=args.max_depth, random_state=0)
    results = {"n_samples": n, "n_features": p_, "chunks": args.chunks, "params": params, "entries": []}
    add = entry_recorder(results, 32, 14)
    with local_cluster() as client:
        X, y = make_classification(
            n, p_, n_informative=p_ // 2, n_redundant=p_ // 4, flip_y=0.1, random_state=0, chunks=chunk
        )
        Xtr, ytr = X[:n_train].rechunk((chunk, -1)), y[:n_train].rechunk(chunk)
        Xtr, ytr = client.persist([Xtr, ytr])
        Xl, yl, Xte, yte = dask.compute(Xtr, ytr, X[n_train:], y[n_train:])
        print(f"data: {n_train:,} x {p_} training rows persisted in {Xtr.numblocks[0]} chunks")
        with count_passes() as c:
            RandomForestClassifier(**params).fit(Xtr, ytr)
        timed = interleaved(
            {
                "scikit-learn": lambda: sk.RandomForestClassifier(n_jobs=2, **params).fit(Xl, yl),
                "dml": lambda: RandomForestClassifier(**params).fit(Xtr, ytr),
            },
            args.repeat,
        )
        t_sk, ts, ref = timed["scikit-learn"]
        add("RandomForestClassifier", "scikit-learn", t_sk, {"accuracy": float(ref.score(Xte, yte))}, ts)
        t, ts, est = timed["dml"]
        extra = {"accuracy": float(est.score(Xte, yte)), "passes": c.passes, "ratio_to_sklearn": t / t_sk}
        add("RandomForestClassifier", "dml", t, extra, ts)
    print(f"dml / scikit-learn fit time: {t / t_sk:.2f}")
    write_json(args.name, results)


if __name__ == "__main__":
    main()
