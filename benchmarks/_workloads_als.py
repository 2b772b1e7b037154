"""ALS workloads of the classic-workloads benchmark: dml against Spark MLlib and ``implicit``.

Two entries, on the same synthetic ratings (``--als-ratings`` training ratings of
``--als-users`` users x ``--als-items`` items, 10% more held out; 1,000,000 of 50,000 x
10,000 by default):

- ``als-explicit``: ``ALS(rank, max_iter, reg_param)`` (Cholesky solves) of dml on a
  LocalCluster(2 workers x 1 thread), the ratings a persisted Dask DataFrame, against
  Spark MLlib's ``ALS`` on ``local[2]`` in this machine's JVM (the ratings a cached
  Spark DataFrame; the same rank, iterations, regularisation and block counts). Both
  report training and held-out RMSE.
- ``als-implicit``: dml's ``ALS(implicit_prefs=True, solver='cg')`` on the same
  cluster against ``implicit.cpu.als.AlternatingLeastSquares`` (CG, 3 steps as dml,
  ``num_threads=2``, one process) fitting a CSR matrix in memory. ``implicit``
  weights each rating by ``alpha_implicit * r`` and penalises by a plain
  ``regularization``; it is given the same confidences ``1 + alpha * r`` (with
  ``alpha_implicit=1``), so both fit the same data with the same confidences. Both
  report precision@10 of the held-out ratings (users sampled).

Each timed fit includes the library's own blocking of the ratings (dml's two passes and
CSR blocks; Spark's in / out blocks); the input is in memory (persisted) before timing.

Used by ``benchmarks/bench_workloads.py --only als`` (``add_arguments`` / ``run``), or
on its own::

    python -m benchmarks._workloads_als [--als-ratings 1000000] [--repeat 3]
        [--als-skip spark implicit] [--name workloads_als]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from benchmarks._harness import (
    RATIO_COLUMNS,
    entry_recorder,
    interleaved,
    local_cluster,
    ratio_rows,
    table,
    write_json,
)


def add_arguments(parser):
    """The ALS options (``--als-*``) on ``parser``; ``--repeat`` is added if missing."""
    g = parser.add_argument_group("ALS")
    g.add_argument("--als-ratings", type=int, default=1_000_000, help="training ratings")
    g.add_argument("--als-users", type=int, default=50_000)
    g.add_argument("--als-items", type=int, default=10_000)
    g.add_argument("--als-rank", type=int, default=20)
    g.add_argument("--als-iter", type=int, default=10)
    g.add_argument("--als-reg", type=float, default=0.1, help="reg_param (Spark's regParam)")
    g.add_argument("--als-alpha", type=float, default=1.0, help="implicit confidence scale")
    g.add_argument("--als-blocks", type=int, default=10, help="user and item blocks (dml and Spark)")
    g.add_argument("--als-partitions", type=int, default=8, help="partitions of the Dask ratings")
    g.add_argument(
        "--als-skip", nargs="*", default=[], choices=["explicit", "implicit", "spark", "implicit-package"]
    )
    if not any("--repeat" in a.option_strings for a in parser._actions):
        parser.add_argument("--repeat", type=int, default=3, help="timed runs per entry (median)")
    return parser


def make_ratings(n_ratings, n_users, n_items, seed=0, holdout=0.1):
    """Distinct (user, item) pairs with ratings 1..5 from a rank-10 model plus noise.

    Users uniform, items long-tailed (a Pareto popularity, the most rated item about 2%
    of the ratings). Returns ``(train, test)`` pandas frames, ``n_ratings`` rows in
    ``train`` and ``holdout * n_ratings`` in ``test``.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    want = int(n_ratings * (1 + holdout))
    keys = np.zeros(0, dtype=np.int64)
    while keys.size < want:
        m = int((want - keys.size) * 1.2) + 1000
        u = rng.integers(0, n_users, m)
        it = np.minimum((rng.pareto(1.2, m) * n_items / 20).astype(np.int64), n_items - 1)
        keys = np.unique(np.concatenate([keys, u * n_items + it]))
    keys = rng.permutation(keys)[:want]
    perm = rng.permutation(n_items)  # popular items spread over the id range
    u, it = keys // n_items, perm[keys % n_items]
    U = rng.normal(size=(n_users, 10)) / np.sqrt(10)
    V = rng.normal(size=(n_items, 10))
    r = np.clip(np.round(3 + (U[u] * V[it]).sum(1) + 0.5 * rng.normal(size=want)), 1, 5)
    df = pd.DataFrame({"user": u, "item": it, "rating": r})
    return df.iloc[:n_ratings].reset_index(drop=True), df.iloc[n_ratings:].reset_index(drop=True)


def _rmse(pred, truth):
    return float(np.sqrt(np.nanmean((np.asarray(pred) - np.asarray(truth)) ** 2)))


def _precision_at_10(U, V, train, test, n_users=2000, seed=0):
    """Mean over sampled test users of the share of their top 10 (training items
    excluded) that are test items; U, V indexed by raw ids."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    users = rng.choice(np.unique(test.user), size=min(n_users, test.user.nunique()), replace=False)
    shape = (U.shape[0], V.shape[0])
    seen = sp.csr_matrix((np.ones(len(train)), (train.user, train.item)), shape=shape)
    held = sp.csr_matrix((np.ones(len(test)), (test.user, test.item)), shape=shape)
    scores = U[users] @ V.T
    scores[seen[users].nonzero()] = -np.inf
    top = np.argpartition(-scores, 10, axis=1)[:, :10]
    hits = np.asarray(held[users][np.arange(len(users))[:, None], top].sum(axis=1)).ravel()
    return float(np.mean(hits / 10))


def _dml_entry(ddf, args, implicit):
    from dml.recommendation import ALS

    def fit():
        return ALS(
            rank=args.als_rank,
            max_iter=args.als_iter,
            reg_param=args.als_reg,
            implicit_prefs=implicit,
            alpha=args.als_alpha,
            solver="cg" if implicit else "cholesky",
            n_user_blocks=args.als_blocks,
            n_item_blocks=args.als_blocks,
            random_state=0,
        ).fit(ddf)

    return fit


def _dense(model, n_users, n_items):
    U = np.zeros((n_users, model.user_factors_.shape[1]))
    V = np.zeros((n_items, model.item_factors_.shape[1]))
    U[model.user_ids_] = model.user_factors_
    V[model.item_ids_] = model.item_factors_
    return U, V


def _spark_session():
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[2]")
        .appName("dml-als-bench")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def run(args):
    """Run the ALS entries; return the list of entries (``_harness.entry_recorder``'s)."""
    import dask.dataframe as dd

    results = {"entries": []}
    add = entry_recorder(results, task_width=14, library_width=34)
    skip = set(args.als_skip)
    n_users, n_items = args.als_users, args.als_items
    train, test = make_ratings(args.als_ratings, n_users, n_items)
    size = {"n_ratings": len(train), "n_users": n_users, "n_items": n_items, "rank": args.als_rank}
    size["iterations"] = args.als_iter
    print(
        f"ALS: {len(train):,} ratings, {n_users:,} users x {n_items:,} items, rank {args.als_rank}, "
        f"{args.als_iter} iterations; load {os.getloadavg()[0]:.2f}",
        flush=True,
    )

    spark = None
    if "spark" not in skip and "explicit" not in skip:
        try:
            spark = _spark_session()
        except Exception as exc:  # no pyspark or no Java: the dml entry still runs
            print(f"  Spark skipped: {exc!r}", flush=True)

    with local_cluster(n_workers=2, threads_per_worker=1) as client:
        ddf = dd.from_pandas(train, npartitions=args.als_partitions).persist()
        client.wait_for_workers(2)

        if "explicit" not in skip:
            fns = {"dml": _dml_entry(ddf, args, implicit=False)}
            if spark is not None:
                from pyspark.ml.recommendation import ALS as SparkALS

                sdf = spark.createDataFrame(train.astype({"user": "int32", "item": "int32"})).cache()
                sdf.count()
                spark_als = SparkALS(
                    rank=args.als_rank,
                    maxIter=args.als_iter,
                    regParam=args.als_reg,
                    numUserBlocks=args.als_blocks,
                    numItemBlocks=args.als_blocks,
                    userCol="user",
                    itemCol="item",
                    ratingCol="rating",
                    seed=0,
                )
                fns["spark-mllib local[2]"] = lambda: spark_als.fit(sdf)
            timed = interleaved(fns, args.repeat)
            for lib, (t, ts, model) in timed.items():
                if lib == "dml":
                    fit_rmse = _rmse(model.predict(train)["prediction"], train.rating)
                    test_rmse = _rmse(model.predict(test)["prediction"], test.rating)
                else:
                    fit_pred = model.transform(sdf).select("rating", "prediction").toPandas()
                    fit_rmse = _rmse(fit_pred.prediction, fit_pred.rating)
                    tdf = spark.createDataFrame(test.astype({"user": "int32", "item": "int32"}))
                    test_pred = model.transform(tdf).select("rating", "prediction").toPandas()
                    test_rmse = _rmse(test_pred.prediction, test_pred.rating)
                add("als-explicit", lib, t, {**size, "train_rmse": fit_rmse, "test_rmse": test_rmse}, ts)

        if "implicit" not in skip:
            fns = {"dml": _dml_entry(ddf, args, implicit=True)}
            if "implicit-package" not in skip:
                try:
                    from implicit.cpu.als import AlternatingLeastSquares
                except ImportError as exc:
                    print(f"  implicit skipped: {exc!r}", flush=True)
                else:
                    import scipy.sparse as sp
                    from threadpoolctl import threadpool_limits

                    conf = sp.csr_matrix(
                        (1.0 + args.als_alpha * train.rating.to_numpy(), (train.user, train.item)),
                        shape=(n_users, n_items),
                    )

                    def implicit_fit():
                        model = AlternatingLeastSquares(
                            factors=args.als_rank,
                            regularization=args.als_reg,
                            alpha=1.0,
                            iterations=args.als_iter,
                            use_cg=True,
                            num_threads=2,
                            random_state=0,
                            calculate_training_loss=False,
                        )
                        with threadpool_limits(1, "blas"):  # implicit's advice
                            model.fit(conf, show_progress=False)
                        return model

                    fns["implicit (CPU, 2 threads)"] = implicit_fit
            timed = interleaved(fns, args.repeat)
            for lib, (t, ts, model) in timed.items():
                if lib == "dml":
                    U, V = _dense(model, n_users, n_items)
                else:
                    U, V = np.asarray(model.user_factors), np.asarray(model.item_factors)
                p10 = _precision_at_10(U, V, train, test)
                add("als-implicit", lib, t, {**size, "precision_at_10": p10}, ts)
    if spark is not None:
        spark.stop()
    for e in results["entries"]:
        e["load_avg_1min"] = os.getloadavg()[0]
    return results["entries"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    p.add_argument("--name", default="workloads_als", help="results file benchmarks/results/<name>.json")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    entries = run(args)
    rows = ratio_rows(entries)
    print(table(rows, RATIO_COLUMNS))
    path = write_json(
        args.name,
        {
            "args": vars(args),
            "entries": entries,
            "ratios": rows,
            "wall_s": time.perf_counter() - t0,
            "uptime_load": os.getloadavg(),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
