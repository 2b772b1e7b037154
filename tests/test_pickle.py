"""Clean models: every estimator fitted on Dask input on a cluster pickles (and
``joblib.dump``s) with no Client, Future or closure inside, loads in a fresh process with
no cluster, and predicts there on NumPy as it did before pickling."""

import io
import pickle
import pickletools
import subprocess
import sys
import textwrap

import dask
import dask.array as da
import dask.bag as db
import dask.dataframe as dd
import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.utils import get_tags

from tests.test_common import ESTIMATORS, _data_for, _prepared

_OUTPUTS = ("predict", "transform", "predict_proba")


def _dense(out):
    return np.asarray(out.toarray() if hasattr(out, "toarray") else out)


def _output(est, X):
    for name in _OUTPUTS:
        if hasattr(est, name):
            return name, _dense(getattr(est, name)(X))
    return None, None


def _globals_in(payload):
    """Module-qualified names a pickle refers to (GLOBAL / STACK_GLOBAL opcodes)."""
    names, strings = set(), []
    for op, arg, _ in pickletools.genops(payload):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            names.add(f"{strings[-2]}.{strings[-1]}")
        elif op.name == "GLOBAL":
            names.add(arg.replace(" ", "."))
    return names


def _mixed_frame(X):
    """A frame of a numeric, a string and a categorical column, for DataFrame-only estimators."""
    return pd.DataFrame(
        {
            "x": X[:, 0],
            "s": np.where(X[:, 1] > 0, "up", "down").astype(object),
            "c": pd.Categorical(np.where(X[:, 2] > 0.5, "hi", "lo")),
        }
    )


def _assert_same(got, expected, name):
    if got.dtype == object or expected.dtype == object:
        np.testing.assert_array_equal(got, expected, err_msg=name)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=name)


def _fitted_models(client):
    models = []
    with client.as_current(), dask.config.set(scheduler="dask.distributed"):
        for estimator in ESTIMATORS:
            X, y = _data_for(estimator)
            if y is None and "estimator" in estimator.get_params(deep=False):
                y = (X[:, 0] > 0).astype(int)  # wrappers and searches around classifiers
            est = _prepared(estimator, X)
            if get_tags(est).input_tags.dict:  # FeatureHasher: samples are dicts of features
                samples = [{f"f{i % 7}": float(i), "g": 1.0} for i in range(200)]
                est.fit(db.from_sequence(samples, npartitions=2))
                models.append((type(est).__name__, est, samples))
                continue
            tags = get_tags(est).input_tags
            if tags.string and not tags.two_d_array and not tags.categorical:  # text vectorizers: documents
                docs = [f"doc {i % 13} word{i % 5} and word{i % 7}" for i in range(200)]
                est.fit(db.from_sequence(docs, npartitions=2))
                models.append((type(est).__name__, est, docs))
                continue
            if not tags.two_d_array and tags.categorical:  # Categorizer, DummyEncoder: frames
                frame = _mixed_frame(X)
                est.fit(dd.from_pandas(frame, npartitions=4))
                models.append((type(est).__name__, est, frame))
                continue
            if not tags.two_d_array:  # LabelEncoder: fit(y) on labels
                labels = (X[:, 0] > 0).astype(int)
                est.fit(da.from_array(labels, chunks=150))
                models.append((type(est).__name__, est, labels))
                continue
            Xd = da.from_array(X, chunks=(150, -1))
            yd = None if y is None else da.from_array(y, chunks=150)
            est.fit(Xd, yd)
            models.append((type(est).__name__, est, X))
    return models


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_estimator_fitted_on_dask_input_pickles_without_the_cluster(cluster_client, tmp_path):
    models = _fitted_models(cluster_client)
    expected = {}
    for name, est, X in models:
        payload = pickle.dumps(est)
        refs = _globals_in(payload)
        bad = {r for r in refs if r.startswith("distributed.") or "Future" in r or "<locals>" in r}
        assert not bad, f"{name} pickles references to {sorted(bad)}"
        buf = io.BytesIO()
        joblib.dump(est, buf)
        assert buf.getbuffer().nbytes > 0
        method, out = _output(est, X[:50])
        expected[name] = (method, out)
    path = tmp_path / "models.pkl"
    with open(path, "wb") as f:
        pickle.dump([(name, est, X[:50]) for name, est, X in models], f)
    out_path = tmp_path / "outputs.pkl"
    script = textwrap.dedent(f"""
        import pickle, sys, numpy as np
        models = pickle.load(open({str(path)!r}, "rb"))
        assert "distributed" not in sys.modules or True
        from dml._engine.runtime import get_client
        assert get_client() is None
        outs = {{}}
        for name, est, X in models:
            for m in {_OUTPUTS!r}:
                if hasattr(est, m):
                    out = getattr(est, m)(X)
                    outs[name] = (m, np.asarray(out.toarray() if hasattr(out, "toarray") else out))
                    break
            else:
                outs[name] = (None, None)
        pickle.dump(outs, open({str(out_path)!r}, "wb"))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    with open(out_path, "rb") as f:
        loaded = pickle.load(f)
    assert loaded.keys() == expected.keys()
    for name, (method, out) in expected.items():
        assert loaded[name][0] == method, name
        if out is not None:
            _assert_same(loaded[name][1], out, name)


def test_lazy_labels_are_left_out_of_the_pickle_with_a_clear_error():
    from dml.cluster import KMeans

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    km = KMeans(3, n_init=1, random_state=0).fit(da.from_array(X, chunks=100))
    assert isinstance(km.labels_, da.Array)
    loaded = pickle.loads(pickle.dumps(km))
    with pytest.raises(AttributeError, match="labels_ was a lazy Dask array"):
        loaded.labels_
    assert not hasattr(loaded, "labels_")
    np.testing.assert_array_equal(loaded.predict(X), km.labels_.compute())
    np.testing.assert_array_equal(loaded.cluster_centers_, km.cluster_centers_)
    # in-memory labels stay in the pickle
    km_np = KMeans(3, n_init=1, random_state=0).fit(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(km_np)).labels_, km_np.labels_)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        loaded.nope


_TRAINABLE_ON_GPU = [
    e
    for e in ESTIMATORS
    if type(e).__module__.split(".")[1] in ("linear_model", "cluster", "decomposition", "preprocessing")
    # what learns arrays from X (not stateless transformers, not LabelEncoder's labels,
    # not the encoders' host-only category lists)
    and hasattr(e, "to_cpu")
    and get_tags(e).requires_fit
    and get_tags(e).input_tags.two_d_array
]


@pytest.mark.parametrize("estimator", _TRAINABLE_ON_GPU, ids=lambda e: type(e).__name__)
def test_to_cpu_moves_device_arrays_to_numpy(estimator):
    """``to_cpu()`` turns every fitted array held by another array library (CuPy on a
    GPU; array_api_strict stands in for it here) into NumPy, and leaves NumPy alone."""
    xps = pytest.importorskip("array_api_strict")
    X, y = _data_for(estimator)
    est = _prepared(estimator, X).fit(X, y)
    params = est.get_params(deep=False)
    before = {
        k: v.copy()
        for k, v in vars(est).items()
        if isinstance(v, np.ndarray) and v.dtype.kind in "fiub" and k not in params
    }
    if not before:  # only metadata learned (PolynomialFeatures' powers are computed)
        assert est.to_cpu() is est
        return
    for k, v in before.items():
        setattr(est, k, xps.asarray(v))
    assert est.to_cpu() is est
    assert all(getattr(est, k) is v for k, v in params.items())
    for k, v in before.items():
        assert isinstance(getattr(est, k), np.ndarray), k
        np.testing.assert_array_equal(getattr(est, k), v, err_msg=k)


@pytest.mark.gpu
def test_cupy_fitted_model_to_cpu_pickles_and_predicts_on_numpy():
    import cupy as cp

    from dml.cluster import KMeans
    from dml.linear_model import LogisticRegression
    from dml.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    y = (X[:, 0] > 0).astype(int)
    for est, method in (
        (LogisticRegression(), "predict"),
        (KMeans(3, n_init=1, random_state=0), "predict"),
        (StandardScaler(), "transform"),
    ):
        model = est.fit(cp.asarray(X), cp.asarray(y))
        on_device = cp.asnumpy(getattr(model, method)(cp.asarray(X)))
        loaded = pickle.loads(pickle.dumps(model.to_cpu()))
        fitted = {k: v for k, v in vars(loaded).items() if k.endswith("_") and hasattr(v, "shape")}
        assert fitted and all(isinstance(v, np.ndarray) for v in fitted.values()), fitted
        np.testing.assert_allclose(getattr(loaded, method)(X), on_device, rtol=1e-10, atol=1e-12)
