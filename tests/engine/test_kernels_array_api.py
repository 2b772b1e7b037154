"""Every chunk kernel runs on array_api_strict arrays: proof it is namespace-generic."""

import array_api_strict as xps
import numpy as np
import pytest

from dml._engine.kernels import gram_kernel, moments_kernel
from dml._engine.namespace import get_namespace, to_numpy
from dml.linear_model._base_kernels import linear_predict_kernel
from dml.linear_model._logistic_kernels import (
    binary_loss_grad_kernel,
    decision_kernel,
    encode_binary,
    encode_multiclass,
    multinomial_loss_grad_kernel,
    proba_kernel,
)
from dml.preprocessing._data_kernels import (
    minmax_inverse_kernel,
    minmax_kernel,
    minmax_transform_kernel,
    standardize_kernel,
    unstandardize_kernel,
)


@pytest.fixture
def data(rng):
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(np.float64)
    w = rng.uniform(0.5, 1.5, size=40)
    return X, y, w


def _both(kernel, arrays, *args, **kwargs):
    np_out = kernel(*arrays, *args, xp=get_namespace(np.zeros(1)), **kwargs)
    strict = [None if a is None else xps.asarray(a) for a in arrays]
    st_out = kernel(*strict, *args, xp=xps, **kwargs)
    return np_out, st_out


def _assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_allclose(to_numpy(a[k]), to_numpy(b[k]), rtol=1e-12, atol=1e-12, err_msg=k)
    else:
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-12, atol=1e-12)


def test_strict_namespace_is_detected():
    assert get_namespace(xps.asarray([1.0])) is xps


@pytest.mark.parametrize("allow_nan", [False, True])
def test_moments_kernel(data, allow_nan):
    X, _, w = data
    _assert_same(*_both(moments_kernel, (X, None, w), allow_nan=allow_nan))


@pytest.mark.parametrize("weighted", [False, True])
def test_moments_kernel_nan_chunks_take_the_masked_path(data, weighted):
    """NumPy chunks take the unmasked path first; a chunk with a NaN gets the masked
    sums (each feature its own count), the same as the generic computation."""
    X, _, w = data
    w = w if weighted else None
    X = X.copy()
    X[[3, 7], 1] = np.nan
    X[5, 2] = np.nan
    np_out, st_out = _both(moments_kernel, (X, None, w), allow_nan=True)
    _assert_same(np_out, st_out)
    ww = np.ones(len(X)) if w is None else w
    valid = ~np.isnan(X)
    np.testing.assert_allclose(np_out["n"], (ww[:, None] * valid).sum(0))
    mean = np.nansum(ww[:, None] * X, axis=0) / (ww[:, None] * valid).sum(0)
    np.testing.assert_allclose(np_out["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(np_out["m2"], np.nansum(ww[:, None] * (X - mean) ** 2, axis=0), rtol=1e-12)
    X[2, 0] = np.inf  # an inf is not skipped: non-finite moments, as before
    with np.errstate(all="ignore"):  # as map_reduce runs kernels
        assert not np.isfinite(moments_kernel(X, None, w, xp=np, allow_nan=True)["m2"][0])


def test_gram_kernel(data):
    X, y, w = data
    _assert_same(*_both(gram_kernel, (X, y, w)))
    _assert_same(*_both(gram_kernel, (X, None, None)))


def test_scaler_kernels(data):
    X, _, _ = data
    _assert_same(*_both(minmax_kernel, (X, None, None)))
    mean, scale = np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 3.0])
    _assert_same(*_both(standardize_kernel, (X,), mean=mean, scale=scale))
    _assert_same(*_both(unstandardize_kernel, (X,), mean=mean, scale=scale))
    _assert_same(*_both(minmax_transform_kernel, (X,), scale=scale, min_=mean, clip_range=(0.0, 1.0)))
    _assert_same(*_both(minmax_inverse_kernel, (X,), scale=scale, min_=mean))


def test_linear_kernels(data):
    X, _, _ = data
    _assert_same(*_both(linear_predict_kernel, (X,), coef=np.array([1.0, 2.0, 3.0]), intercept=0.5))
    _assert_same(*_both(linear_predict_kernel, (X,), coef=np.ones((2, 3)), intercept=np.zeros(2)))


def test_logistic_kernels(data, rng):
    X, y, w = data
    coef = np.array([0.3, -0.2, 0.1, 0.05])
    _assert_same(*_both(binary_loss_grad_kernel, (X, y, w), coef, None, fit_intercept=True))
    _assert_same(
        *_both(binary_loss_grad_kernel, (X, y, None), coef[:3], np.array([1.0, 2.0]), fit_intercept=False)
    )
    yk = (np.arange(40) % 3).astype(np.int64)
    C = rng.normal(size=(3, 4))
    _assert_same(
        *_both(
            multinomial_loss_grad_kernel,
            (X, yk, w),
            C,
            np.array([1.0, 0.5, 2.0]),
            fit_intercept=True,
            n_classes=3,
        )
    )
    _assert_same(*_both(decision_kernel, (X,), coef=C[:, :3], intercept=C[:, 3]))
    _assert_same(*_both(proba_kernel, (X,), coef=C[:1, :3], intercept=C[:1, 3]))
    _assert_same(*_both(proba_kernel, (X,), coef=C[:, :3], intercept=C[:, 3], log=True))
    _assert_same(*_both(encode_binary, (np.array([1.0, 2.0, 2.0]),), positive=2.0))
    _assert_same(
        *_both(encode_multiclass, (np.array([5.0, 7.0, 9.0, 5.0]),), classes=np.array([5.0, 7.0, 9.0]))
    )
