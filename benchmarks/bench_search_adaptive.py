"""Searches: dml GridSearchCV (shared pipeline prefixes) and HyperbandSearchCV.

1. GridSearchCV over a pipeline whose first step is expensive (PCA with a full SVD):
   dml fits that step folds x distinct prefixes times; scikit-learn folds x candidates.
   Timed for dml (LocalCluster 2 workers x 1 thread), scikit-learn (n_jobs=2) and
   dask-ml's GridSearchCV (on the same cluster) when it runs.
2. HyperbandSearchCV on SGDClassifier against a random search with the same candidate
   budget (every candidate trained max_iter partial_fit calls on the same hold-out
   split): best score reached and partial_fit calls used. dask-ml's HyperbandSearchCV
   is timed on the same data and cluster when it runs.

    python -m benchmarks.bench_search_adaptive [--n-samples N]
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks import _harness as H


def grid_part(args, client, rows):
    import dask.array as da
    from sklearn.datasets import make_classification
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV as SkGrid
    from sklearn.pipeline import Pipeline

    from dml.model_selection import GridSearchCV

    n = args.n_samples
    X, y = make_classification(n, args.n_features, n_informative=20, random_state=0)
    pipe = Pipeline([("pca", PCA(svd_solver="full")), ("clf", LogisticRegression(max_iter=200))])
    grid = {"pca__n_components": [10, 30], "clf__C": [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]}
    cv = 3
    out = {}
    t, _, s = H.timeit(lambda: GridSearchCV(pipe, grid, cv=cv).fit(X, y), repeat=args.repeat)
    out["dml"] = t
    counts = s.fit_counts_
    t_sk, _, s_sk = H.timeit(lambda: SkGrid(pipe, grid, cv=cv, n_jobs=2).fit(X, y), repeat=args.repeat)
    out["sklearn"] = t_sk
    assert s.best_params_ == s_sk.best_params_
    np.testing.assert_allclose(s.cv_results_["mean_test_score"], s_sk.cv_results_["mean_test_score"])
    try:
        from dask_ml.model_selection import GridSearchCV as DmGrid

        Xd = da.from_array(X, chunks=(n // args.chunks, -1)).persist()
        yd = da.from_array(y, chunks=n // args.chunks).persist()
        t_dm, _, _ = H.timeit(lambda: DmGrid(pipe, grid, cv=cv).fit(Xd, yd), repeat=args.repeat)
        out["dask-ml"] = t_dm
    except Exception as e:  # noqa: BLE001 - dask-ml is partly broken on current releases
        out["dask-ml"] = None
        out["dask-ml error"] = f"{type(e).__name__}: {str(e)[:120]}"
    rows.append(
        {
            "entry": "GridSearchCV(PCA -> LogisticRegression)",
            "dml_s": out["dml"],
            "sklearn_s": out["sklearn"],
            "dask_ml_s": out.get("dask-ml"),
            "sklearn/dml": out["sklearn"] / out["dml"],
            "dask_ml/dml": (out["dask-ml"] / out["dml"]) if out.get("dask-ml") else None,
        }
    )
    out["pca_fits_dml"] = counts["pca"]
    out["pca_fits_sklearn"] = cv * len(grid["pca__n_components"]) * len(grid["clf__C"])
    return out


def hyperband_part(args, client, rows):
    import dask.array as da
    from scipy.stats import loguniform
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier

    from dml.model_selection import HyperbandSearchCV, SuccessiveHalvingSearchCV

    n = args.n_samples
    X, y = make_classification(n, args.n_features, n_informative=20, flip_y=0.05, random_state=1)
    Xd = da.from_array(X, chunks=(n // args.chunks, -1)).persist()
    yd = da.from_array(y, chunks=n // args.chunks).persist()
    params = {
        "alpha": loguniform(1e-7, 1e-1),
        "l1_ratio": [0.0, 0.15, 0.5, 1.0],
        "learning_rate": ["optimal", "invscaling"],
        "eta0": [0.01, 0.1],
    }
    model = SGDClassifier(tol=None, penalty="elasticnet", random_state=0)
    R = args.max_iter
    hb = HyperbandSearchCV(model, params, max_iter=R, random_state=0)
    n_models = hb.metadata["n_models"]
    # Random search with the same candidate budget: every candidate to R calls.
    rs = SuccessiveHalvingSearchCV(
        model, params, n_initial_parameters=n_models, n_initial_iter=R, max_iter=R, random_state=0
    )
    t_hb, _, hb = H.timeit(
        lambda: HyperbandSearchCV(**hb.get_params(deep=False)).fit(Xd, yd), repeat=args.repeat
    )
    t_rs, _, rs = H.timeit(
        lambda: SuccessiveHalvingSearchCV(**rs.get_params(deep=False)).fit(Xd, yd), repeat=args.repeat
    )
    out = {
        "n_models": n_models,
        "hyperband_calls": hb.metadata_["partial_fit_calls"],
        "random_calls": rs.metadata_["partial_fit_calls"],
        "hyperband_best": hb.best_score_,
        "random_best": rs.best_score_,
        "hyperband_s": t_hb,
        "random_s": t_rs,
    }
    out["calls_ratio"] = out["random_calls"] / out["hyperband_calls"]
    try:
        from dask_ml.model_selection import HyperbandSearchCV as DmHB

        t_dm, _, dm = H.timeit(
            lambda: DmHB(model, params, max_iter=R, random_state=0).fit(Xd, yd, classes=[0, 1]),
            repeat=args.repeat,
        )
        out["dask-ml_s"] = t_dm
        out["dask-ml_best"] = dm.best_score_
    except Exception as e:  # noqa: BLE001
        out["dask-ml_s"] = None
        out["dask-ml error"] = f"{type(e).__name__}: {str(e)[:120]}"
    rows.append(
        {
            "entry": f"HyperbandSearchCV(SGD, max_iter={R})",
            "dml_s": t_hb,
            "sklearn_s": None,
            "dask_ml_s": out["dask-ml_s"],
            "sklearn/dml": None,
            "dask_ml/dml": (out["dask-ml_s"] / t_hb) if out["dask-ml_s"] else None,
        }
    )
    rows.append(
        {
            "entry": f"random search, same {n_models} candidates",
            "dml_s": t_rs,
            "sklearn_s": None,
            "dask_ml_s": None,
            "sklearn/dml": None,
            "dask_ml/dml": None,
        }
    )
    return out


def main(argv=None):
    p = H.parser(__doc__, n_samples=20_000, n_features=100, repeat=3)
    p.add_argument("--max-iter", type=int, default=27)
    args = p.parse_args(argv)
    rows = []
    with H.local_cluster() as client, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = grid_part(args, client, rows) if "grid" not in args.skip else None
        hyper = hyperband_part(args, client, rows) if "hyperband" not in args.skip else None
    print(H.table(rows, ["entry", "dml_s", "sklearn_s", "dask_ml_s", "sklearn/dml", "dask_ml/dml"]))
    if grid:
        print(f"\nPCA fits: dml {grid['pca_fits_dml']}, scikit-learn {grid['pca_fits_sklearn']}")
    if hyper:
        print(
            f"Hyperband: best score {hyper['hyperband_best']:.4f} with "
            f"{hyper['hyperband_calls']} partial_fit calls; random search: best "
            f"{hyper['random_best']:.4f} with {hyper['random_calls']} calls "
            f"({hyper['calls_ratio']:.2f}x more)"
        )
    path = H.write_json(
        "search_adaptive", {"args": vars(args), "rows": rows, "grid": grid, "hyperband": hyper}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
