"""The k-means kernels are namespace-generic: array_api_strict gives NumPy's results."""

from __future__ import annotations

import numpy as np
import pytest

from dml._engine.namespace import get_namespace, to_numpy
from dml.cluster import _kmeans_kernels as K

xps = pytest.importorskip("array_api_strict")


def _data(n=700, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 3.0
    w = rng.uniform(0.5, 2.0, size=n)
    idx = np.arange(100, 100 + n, dtype=np.int64)
    return X, w, idx


def _both(kernel, X, y, w, *broadcast, **kw):
    ref = kernel(X, y, w, *broadcast, xp=get_namespace(X), **kw)
    s = kernel(
        xps.asarray(X), None if y is None else xps.asarray(y), None if w is None else xps.asarray(w),
        *broadcast, xp=xps, **kw,
    )
    return ref, s


def _close(ref, s):
    assert ref.keys() == s.keys()
    for k in ref:
        np.testing.assert_allclose(to_numpy(s[k]), np.asarray(ref[k]), rtol=1e-12, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_kernel(weighted):
    X, w, idx = _data()
    C = X[:3].copy()
    ref, s = _both(K.lloyd_kernel, X, None, w if weighted else None, C, X.mean(0), counts=True)
    _close(ref, s)
    lab = np.argmin(((X[:, None] - C[None]) ** 2).sum(-1), axis=1)
    ww = w if weighted else np.ones(len(X))
    np.testing.assert_allclose(ref["weights"], np.bincount(lab, ww, minlength=3))
    np.testing.assert_allclose(ref["inertia"], np.sum(ww * ((X - C[lab]) ** 2).sum(1)))


def test_sampling_kernels():
    X, w, idx = _data()
    C = X[:2].copy()
    ref, s = _both(K.race_kernel, X, idx, w, X.mean(0), C, X[5:8], seed=3, stream=7, n_races=2)
    _close(ref, s)
    ref, s = _both(K.smallest_keys_kernel, X, idx, w, X.mean(0), C, seed=3, stream=1, cap=9)
    _close(ref, s)
    ref, s = _both(K.far_points_kernel, X, None, w, C, n_far=3)
    _close(ref, s)
    ref, s = _both(K.gather_rows_kernel, X, idx, w, indices=np.array([100, 103, 103, 799]))
    _close(ref, s)
    np.testing.assert_allclose(ref["rows"], X[[0, 3, 3, 699]])


def test_hash_uniform_is_uniform_and_generic():
    idx = np.arange(200_000, dtype=np.int64)
    u = K.hash_uniform(idx, 1, 2, xp=get_namespace(idx))
    assert 0 < u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 3e-3 and abs(u.var() - 1 / 12) < 2e-3
    us = K.hash_uniform(xps.asarray(idx[:100]), 1, 2, xp=xps)
    np.testing.assert_array_equal(to_numpy(us), u[:100])
    assert not np.array_equal(u[:100], K.hash_uniform(idx[:100], 1, 3, xp=get_namespace(idx)))


def test_predict_kernels():
    X, _, _ = _data(n=50)
    C = X[:3]
    a = K.labels_kernel(X, xp=get_namespace(X), centers=C)
    b = K.labels_kernel(xps.asarray(X), xp=xps, centers=C)
    np.testing.assert_array_equal(to_numpy(b), a)
    a = K.distances_kernel(X, xp=get_namespace(X), centers=C)
    b = K.distances_kernel(xps.asarray(X), xp=xps, centers=C)
    np.testing.assert_allclose(to_numpy(b), a, rtol=1e-12)
