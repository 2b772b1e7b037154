"""CuPy on one GPU: dml on CuPy arrays against dml and scikit-learn on the host's CPUs.

The same float64 data (``--n-samples`` x ``--n-features``, default 2,000,000 x 50, a
deterministic generator) is fitted four ways, in one process:

- ``sklearn``: scikit-learn on the NumPy array (every CPU core of the machine);
- ``dml numpy``: dml on the NumPy array (in memory: no task graph);
- ``dml cupy``: dml on the same data as one CuPy array on the GPU;
- ``dml dask-cupy``: dml on a Dask array of ``--chunks`` CuPy row chunks (threaded scheduler).

Times include moving nothing: the data is on its device before the clock starts, and the
GPU is synchronised before the clock stops. The fitted models are compared (largest
relative difference of the fitted attribute against ``dml numpy``). Needs CuPy and a CUDA
device; exits with a line saying so otherwise.

    python -m benchmarks bench_gpu [--n-samples 2000000] [--n-features 50] [--repeat 3]
"""

from __future__ import annotations

import numpy as np

from benchmarks._harness import RATIO_COLUMNS, entry_recorder, parser, ratio_rows, table, timeit, write_json


def _cases(n_features):
    import sklearn.cluster as skc
    import sklearn.decomposition as skd
    import sklearn.linear_model as skl
    import sklearn.mixture as skm

    from dml import cluster, decomposition, linear_model, mixture

    return {
        "LogisticRegression": (
            lambda: skl.LogisticRegression(max_iter=100, tol=1e-8),
            lambda: linear_model.LogisticRegression(max_iter=100, tol=1e-8),
            "coef_",
        ),
        "KMeans(8)": (
            lambda init: skc.KMeans(8, init=init, n_init=1, max_iter=30, tol=0),
            lambda init: cluster.KMeans(8, init=init, n_init=1, max_iter=30, tol=0),
            "cluster_centers_",
        ),
        "PCA(10, covariance_eigh)": (
            lambda: skd.PCA(10, svd_solver="covariance_eigh"),
            lambda: decomposition.PCA(10, svd_solver="covariance_eigh"),
            "explained_variance_",
        ),
        "GaussianMixture(8, diag)": (
            lambda init: skm.GaussianMixture(
                8, covariance_type="diag", means_init=init, max_iter=10, tol=0, random_state=0
            ),
            lambda init: mixture.GaussianMixture(
                8, covariance_type="diag", means_init=init, max_iter=10, tol=0, random_state=0
            ),
            "means_",
        ),
    }


def main(argv=None):
    p = parser(__doc__.splitlines()[0], n_samples=2_000_000, n_features=50, repeat=3)
    p.add_argument("--name", default="gpu", help="results go to benchmarks/results/<name>.json")
    args = p.parse_args(argv)
    try:
        import cupy as cp

        cp.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001 - no CuPy, no driver, no device
        print(f"bench_gpu: no CUDA device ({type(exc).__name__}: {exc}); nothing measured")
        return
    import warnings

    import dask
    import dask.array as da
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # fixed iteration counts
    rng = np.random.default_rng(0)
    n, d = args.n_samples, args.n_features
    X = rng.standard_normal((n, d))
    X[:, :4] += 3.0 * rng.integers(0, 2, (n, 4))
    y = (X[:, 0] - X[:, 1] + rng.standard_normal(n) > 1.5).astype(np.int64)
    init = X[:: n // 8][:8].copy()
    Xg, yg = cp.asarray(X), cp.asarray(y)
    step = -(-n // args.chunks)
    Xd = da.from_array(Xg, chunks=(step, -1), asarray=False)
    yd = da.from_array(yg, chunks=step, asarray=False)
    Xd, yd = dask.persist(Xd, yd, scheduler="threads")
    sync = cp.cuda.Device().synchronize
    results = {
        "n_samples": n,
        "n_features": d,
        "device": cp.cuda.runtime.getDeviceProperties(0)["name"].decode(),
    }
    results["entries"] = []
    add = entry_recorder(results)
    for task, (make_sk, make_dml, attr) in _cases(d).items():
        needs_init = task.startswith(("KMeans", "Gaussian"))
        target = None if task.startswith(("KMeans", "PCA", "Gaussian")) else y

        def build(make, device):
            if not needs_init:
                return make()
            return make(cp.asarray(init) if device else init)

        runs = {
            "sklearn": lambda: build(make_sk, False).fit(X, target),
            "dml numpy": lambda: build(make_dml, False).fit(X, target),
            "dml cupy": lambda: build(make_dml, True).fit(Xg, None if target is None else yg),
        }

        def chunked():
            with dask.config.set(scheduler="threads"):
                return build(make_dml, True).fit(Xd, None if target is None else yd)

        runs["dml dask-cupy"] = chunked
        reference = None
        for library, fn in runs.items():

            def timed(fn=fn):
                est = fn()
                sync()
                return est

            seconds, times, est = timeit(
                timed, repeat=args.repeat, warmup=library in ("dml cupy", "dml dask-cupy")
            )
            value = getattr(est, attr)
            value = cp.asnumpy(value) if isinstance(value, cp.ndarray) else np.asarray(value)
            if library == "dml numpy":
                reference = value
            diff = None
            if reference is not None and library != "sklearn":
                diff = float(np.max(np.abs(value - reference)) / max(np.max(np.abs(reference)), 1e-300))
            add(task, library, seconds, {"max_rel_diff_vs_dml_numpy": diff}, times)
    rows = ratio_rows(results["entries"], ours=lambda lib: lib == "dml cupy")
    results["ratios"] = rows
    print(table(rows, RATIO_COLUMNS))
    print("wrote", write_json(args.name, results))


if __name__ == "__main__":
    main()
