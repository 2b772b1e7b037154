"""dml's main job: train a scaler + logistic regression pipeline on a Dask cluster.

Run with ``python -m dml.demo`` (``make demo``). It starts an embedded ``LocalCluster``,
prints the dashboard link, generates a chunked classification data set of a few million
rows on the workers, fits ``StandardScaler`` + ``LogisticRegression`` with a progress bar,
prints accuracy and fit time, then fits the same pipeline with scikit-learn on the same
data (in this process) for comparison.
"""

from __future__ import annotations

import argparse
import time


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dml.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=3_000_000)
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--no-sklearn", action="store_true", help="skip the scikit-learn comparison")
    args = parser.parse_args(argv)

    # The demo's imports are inside main(): `python -m dml.demo --help` and the tests that
    # import the module load no cluster machinery.
    import dask
    from distributed import Client, LocalCluster
    from sklearn.pipeline import make_pipeline

    import dml
    from dml.datasets import make_classification
    from dml.linear_model import LogisticRegression
    from dml.preprocessing import StandardScaler

    print(f"dml {dml.__version__}: StandardScaler + LogisticRegression on a Dask cluster\n")
    with (
        LocalCluster(
            n_workers=args.n_workers, threads_per_worker=1, processes=True, silence_logs=40
        ) as cluster,
        Client(cluster) as client,
    ):
        print(f"Dashboard: {client.dashboard_link}")
        print(f"Workers:   {len(client.scheduler_info()['workers'])} x 1 thread\n")

        X, y = make_classification(
            args.n_samples,
            args.n_features,
            n_informative=args.n_features // 2,
            n_redundant=2,
            class_sep=0.8,
            random_state=0,
            chunks=args.chunk_rows,
        )
        n_train = int(0.8 * args.n_samples) // args.chunk_rows * args.chunk_rows
        t0 = time.perf_counter()
        X, y = client.persist([X, y])
        dask.compute(X.sum(), y.sum())  # wait until generated on the workers
        gib = X.nbytes / 2**30
        print(
            f"Generated {args.n_samples:,} x {args.n_features} float64 ({gib:.2f} GiB) on the "
            f"workers in {time.perf_counter() - t0:.1f} s, {X.numblocks[0]} row chunks"
        )
        X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0))
        with dml.config_context(progress=True):
            t0 = time.perf_counter()
            model.fit(X_train, y_train)
            dml_time = time.perf_counter() - t0
        acc = model.score(X_test, y_test)
        lr = model[-1]
        print(
            f"\ndml:          fit {dml_time:6.2f} s  ({lr.n_iter_[0]} L-BFGS iterations)  "
            f"test accuracy {acc:.4f}"
        )

        if not args.no_sklearn:
            from sklearn.linear_model import LogisticRegression as SkLogisticRegression
            from sklearn.preprocessing import StandardScaler as SkStandardScaler

            Xtr, ytr, Xte, yte = dask.compute(X_train, y_train, X_test, y_test)
            sk_model = make_pipeline(SkStandardScaler(), SkLogisticRegression(C=1.0))
            t0 = time.perf_counter()
            sk_model.fit(Xtr, ytr)
            sk_time = time.perf_counter() - t0
            sk_acc = sk_model.score(Xte, yte)
            print(
                f"scikit-learn: fit {sk_time:6.2f} s  ({sk_model[-1].n_iter_[0]} L-BFGS iterations)  "
                f"test accuracy {sk_acc:.4f}  (one process, data in memory)"
            )
            diff = abs(sk_model[-1].coef_ - lr.coef_).max()
            print(
                f"\nfit time ratio dml / scikit-learn: {dml_time / sk_time:.2f}; "
                f"max |coef difference|: {diff:.2e}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
