"""Import hygiene, and the CuPy path (run on a GPU machine; skipped elsewhere)."""

import subprocess
import sys

import numpy as np
import pytest


def test_import_dml_is_light():
    code = (
        "import sys, dml, dml.linear_model, dml.preprocessing, dml.datasets, dml.wrappers, dml.utils;"
        "dml.utils.all_estimators();"
        "bad = [m for m in ('cupy', 'distributed') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    # bare `import dml` does not even import Dask or scikit-learn
    code = "import sys, dml; assert 'dask' not in sys.modules and 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_worker_side_kernel_imports_skip_the_estimators():
    """Workers unpickle kernels by reference, importing the kernel's module and its
    parent packages: the estimator families load lazily, so a fresh worker does not
    import scikit-learn (or every estimator) to run a chunk kernel."""
    import pathlib

    import dml

    root = pathlib.Path(dml.__file__).parent
    kernel_modules = sorted(
        "dml." + ".".join(f.relative_to(root).with_suffix("").parts) for f in root.rglob("*kernels.py")
    )
    cluster_kernels = {f"dml.cluster._{m}_kernels" for m in ("lloyd", "bounds", "seeding", "minibatch")}
    assert cluster_kernels <= set(kernel_modules) and len(kernel_modules) >= 10
    worker_side = kernel_modules + ["dml._engine.mapreduce", "dml._engine.blockwise"]
    code = (
        "import importlib, sys;"
        f"[importlib.import_module(m) for m in {worker_side!r}];"
        "loaded = [m for m in ('sklearn', 'scipy', 'pandas', 'dml.linear_model._logistic', 'dml.cluster._kmeans',"
        " 'dml.cluster._minibatch', 'dml.decomposition._pca')"
        " if m in sys.modules];"
        "assert not loaded, loaded;"
        "from dml.linear_model import LogisticRegression; import dml.cluster as c;"
        "assert c.KMeans.__module__ == 'dml.cluster._kmeans' and 'KMeans' in dir(c)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    import dml.cluster

    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        dml.cluster.Nope  # noqa: B018


@pytest.fixture
def cp():
    return pytest.importorskip("cupy")


@pytest.mark.gpu
def test_cupy_linear_models_and_scaler_match_numpy(cp, rng):
    from dml.linear_model import LinearRegression, LogisticRegression
    from dml.preprocessing import StandardScaler

    X = rng.normal(size=(2000, 6))
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    yr = X @ np.arange(6.0) + 1
    Xg, yg, yrg = cp.asarray(X), cp.asarray(y), cp.asarray(yr)
    a, b = LogisticRegression().fit(Xg, yg), LogisticRegression().fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6)
    proba = a.predict_proba(Xg)
    assert isinstance(proba, cp.ndarray)
    np.testing.assert_allclose(proba.get(), b.predict_proba(X), atol=1e-8)
    np.testing.assert_allclose(LinearRegression().fit(Xg, yrg).coef_, np.arange(6.0), atol=1e-8)
    sc = StandardScaler().fit(Xg)
    np.testing.assert_allclose(sc.mean_, X.mean(axis=0))
    assert isinstance(sc.transform(Xg), cp.ndarray)


@pytest.mark.gpu
def test_cupy_backed_dask_array(cp, rng):
    import dask.array as da

    from dml.linear_model import LogisticRegression

    X = rng.normal(size=(3000, 5))
    y = (X[:, 0] > 0).astype(np.int64)
    Xd = da.from_array(X, chunks=700).map_blocks(cp.asarray)
    yd = da.from_array(y, chunks=700).map_blocks(cp.asarray)
    a = LogisticRegression().fit(Xd, yd)
    b = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6)
    pred = a.predict(Xd)
    assert isinstance(pred._meta, cp.ndarray)
    np.testing.assert_array_equal(pred.compute().get(), b.predict(X))
