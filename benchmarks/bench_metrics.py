"""Metrics on Dask arrays: dml.metrics vs dask-ml.metrics vs scikit-learn (in memory).

The targets and predictions are persisted on a LocalCluster(n_workers=2,
threads_per_worker=1) before timing; scikit-learn computes on the same values in memory in
this process. dml's metrics run one pass (one ``compute``); dask-ml has no
``roc_auc_score``, ``f1_score`` or ``confusion_matrix``. Every result is checked against
scikit-learn's.

    python -m benchmarks.bench_metrics [--n-samples 5000000] [--chunks 8] [--repeat 3]
"""

from __future__ import annotations

import os

import numpy as np

from benchmarks._harness import local_cluster, parser, table, timeit, write_json


def main(argv=None):
    p = parser(__doc__.splitlines()[0], n_samples=5_000_000, n_features=1, repeat=3)
    args = p.parse_args(argv)
    import dask
    import dask.array as da
    from sklearn import metrics as skm

    import dml.metrics as dm

    try:
        import dask_ml.metrics as dkm
    except Exception as exc:  # noqa: BLE001
        print(f"dask-ml unavailable: {exc}")
        dkm = None

    n = args.n_samples
    chunk = -(-n // args.chunks)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    score = rng.normal(size=n) + y
    proba = 1 / (1 + np.exp(-score))
    pred = (score > 0.5).astype(np.int64)
    yr = rng.normal(size=n)
    yr_pred = yr + rng.normal(scale=0.3, size=n)
    P2 = np.column_stack([1 - proba, proba])
    score_r = np.round(score, 3)  # scores with ~10^4 distinct values

    cases = [
        ("accuracy_score", (y, pred), {}, True),
        ("f1_score", (y, pred), {}, False),
        ("confusion_matrix", (y, pred), {}, False),
        ("log_loss", (y, P2), {}, True),
        ("roc_auc_score", (y, score_r), {}, False),
        ("roc_auc_score (all distinct)", (y, score), {}, False),
        ("mean_squared_error", (yr, yr_pred), {}, True),
        ("mean_absolute_error", (yr, yr_pred), {}, True),
        ("r2_score", (yr, yr_pred), {}, True),
    ]
    rows, results = [], {"n_samples": n, "chunks": args.chunks, "entries": []}
    with local_cluster() as client:
        for name, arrays, kwargs, in_dask_ml in cases:
            if name in args.skip:
                continue
            fname = name.split(" ")[0]
            lazy = [da.from_array(a, chunks=(chunk,) + a.shape[1:]) for a in arrays]
            lazy = client.persist(lazy)
            dask.compute(*[a.sum() for a in lazy])
            expected = getattr(skm, fname)(*arrays, **kwargs)
            t_sk, ts_sk, _ = timeit(lambda: getattr(skm, fname)(*arrays, **kwargs), args.repeat)
            t_dml, ts_dml, got = timeit(lambda: getattr(dm, fname)(*lazy, **kwargs), args.repeat, warmup=True)
            np.testing.assert_allclose(got, expected, rtol=1e-9)
            entry = {
                "metric": name,
                "dml_s": t_dml,
                "sklearn_s": t_sk,
                "dml_times": ts_dml,
                "sklearn_times": ts_sk,
            }
            if dkm is not None and in_dask_ml:
                try:
                    t_dk, ts_dk, got_dk = timeit(
                        lambda: getattr(dkm, fname)(*lazy, **kwargs), args.repeat, warmup=True
                    )
                    entry.update(
                        dask_ml_s=t_dk,
                        dask_ml_times=ts_dk,
                        dask_ml_matches=bool(np.allclose(got_dk, expected, rtol=1e-6)),
                    )
                except Exception as exc:  # noqa: BLE001 - a broken peer is reported
                    entry["dask_ml_error"] = f"{type(exc).__name__}: {exc}"[:200]
            entry["sklearn/dml"] = t_sk / t_dml
            if "dask_ml_s" in entry:
                entry["dask_ml/dml"] = entry["dask_ml_s"] / t_dml
            results["entries"].append(entry)
            rows.append(entry)
            print(
                f"  {name:30s} dml {t_dml:7.3f} s  sklearn {t_sk:7.3f} s  dask-ml {entry.get('dask_ml_s', '-')}",
                flush=True,
            )
    print()
    print(table(rows, ["metric", "dml_s", "sklearn_s", "dask_ml_s", "sklearn/dml", "dask_ml/dml"]))
    results["load_average_1_5_15"] = os.getloadavg()
    print(f"machine load average (1, 5, 15 min): {results['load_average_1_5_15']}")
    path = write_json("metrics", results)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
