"""dml._engine.compiled: numba kernels imported and compiled on first call."""

import pickle
import subprocess
import sys

import numpy as np

from dml._engine.compiled import compiled


@compiled
def _scatter_add(out, idx, w):
    for i in range(idx.shape[0]):
        out[idx[i]] += w[i]
    return out


def test_compiled_equals_python_and_pickles_by_reference():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 7, 1000)
    w = rng.random(1000)
    got = _scatter_add(np.zeros(7), idx, w)
    np.testing.assert_allclose(got, np.bincount(idx, weights=w, minlength=7))
    np.testing.assert_allclose(got, _scatter_add.py_func(np.zeros(7), idx, w))
    np.testing.assert_allclose(_scatter_add(np.zeros(7), idx=idx, w=w), got)
    again = pickle.loads(pickle.dumps(_scatter_add))
    assert again is _scatter_add


def test_decorating_imports_nothing():
    code = (
        "import sys; from dml._engine.compiled import compiled\n"
        "@compiled\ndef f(a):\n    return a + 1\n"
        "assert 'numba' not in sys.modules and 'scipy' not in sys.modules\n"
        "assert f(1) == 2 and 'numba' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_options_pass_through():
    @compiled(boundscheck=True)
    def get(a, i):
        return a[i]

    assert get(np.arange(3), 2) == 2
    import pytest

    with pytest.raises(IndexError):
        get(np.arange(3), 5)
