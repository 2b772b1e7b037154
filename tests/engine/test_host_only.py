"""Host-only estimators refuse device arrays with a clear TypeError (array_api_strict
stands in for CuPy: both are arrays NumPy must not convert implicitly)."""

import dask.array as da
import numpy as np
import pytest
from sklearn.base import BaseEstimator

from dml._engine.inputs import check_host_input, validate_fit_data, validate_predict_data

xps = pytest.importorskip("array_api_strict")


class _HostOnly(BaseEstimator):
    _host_only = True


class _AnyDevice(BaseEstimator):
    pass


def test_host_only_estimator_refuses_device_arrays():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(TypeError, match=r"_HostOnly runs on host \(NumPy\) chunks .*array_api_strict\.Array"):
        validate_fit_data(_HostOnly(), xps.asarray(X))
    with pytest.raises(TypeError, match="move it to the host first"):
        validate_predict_data(_HostOnly(), xps.asarray(X))
    Xd = da.from_array(X, chunks=10).map_blocks(xps.asarray)
    with pytest.raises(TypeError, match="runs on host"):
        check_host_input(_HostOnly(), Xd)
    with pytest.raises(TypeError, match="runs on host"):
        check_host_input(_HostOnly(), X, xps.asarray(X[:, 0]))


def test_host_input_and_other_estimators_pass():
    X = np.random.default_rng(0).normal(size=(20, 3))
    check_host_input(_HostOnly(), X, da.from_array(X, chunks=10), None)
    check_host_input(_AnyDevice(), xps.asarray(X))
    check_host_input(None, xps.asarray(X))


@pytest.mark.parametrize(
    "make",
    [
        "ensemble.HistGradientBoostingClassifier",
        "ensemble.HistGradientBoostingRegressor",
        "ensemble.RandomForestClassifier",
        "ensemble.ExtraTreesRegressor",
        "neighbors.KNeighborsClassifier",
        "neighbors.NearestNeighbors",
        "neighbors.RadiusNeighborsRegressor",
    ],
)
def test_host_only_families_refuse_device_input(make):
    import importlib

    module, name = make.split(".")
    est = getattr(importlib.import_module(f"dml.{module}"), name)()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    with pytest.raises(TypeError, match=f"{name} runs on host"):
        est.fit(xps.asarray(X), None if name == "NearestNeighbors" else xps.asarray(y))
    fitted = est.fit(X, None if name == "NearestNeighbors" else y)
    method = "kneighbors" if name == "NearestNeighbors" else "predict"
    with pytest.raises(TypeError, match=f"{name} runs on host"):
        getattr(fitted, method)(xps.asarray(X))
