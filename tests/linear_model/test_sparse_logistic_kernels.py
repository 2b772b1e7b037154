"""The folding CSR kernel of binary LogisticRegression's L-BFGS: the same sums as the
per-chunk kernel combined by sum_partials, bit for bit, and one gradient per task."""

import numpy as np
import pytest
import scipy.sparse as sp

from dml._engine.mapreduce import count_passes, sum_partials
from dml.linear_model import LogisticRegression
from dml.linear_model._logistic_kernels import binary_loss_grad_csr_kernel, binary_loss_grad_kernel


def _chunks(dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(300, 40, density=0.2, format="csr", random_state=seed, dtype=dtype)
    y = (rng.random(300) < 0.4).astype(np.float64)
    w = rng.uniform(0.5, 2.0, 300)
    cuts = [0, 7, 150, 151, 300]
    return [(X[a:b], y[a:b], w[a:b]) for a, b in zip(cuts[:-1], cuts[1:])], rng.normal(size=41)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_folding_equals_per_chunk_sums(dtype, weighted, fit_intercept):
    chunks, coef = _chunks(dtype)
    coef = coef if fit_intercept else coef[:40]
    cw = np.array([1.0, 2.5]) if weighted else None
    parts, acc = [], None
    for X, y, w in chunks:
        w = w if weighted else None
        parts.append(binary_loss_grad_kernel(X, y, w, coef, cw, xp=np, fit_intercept=fit_intercept))
        before = acc
        acc = binary_loss_grad_csr_kernel(X, y, w, coef, cw, xp=np, fit_intercept=fit_intercept, out=acc)
        if before is not None:
            assert acc["grad"] is before["grad"]  # added in place, no new gradient
    ref = sum_partials(parts)
    assert acc["grad"].dtype == np.float64 and acc["grad"].shape == ref["grad"].shape
    np.testing.assert_array_equal(acc["grad"], ref["grad"])
    assert float(acc["loss"]) == float(ref["loss"]) and float(acc["sw"]) == float(ref["sw"])


def test_sparse_lbfgs_fit_uses_the_folding_kernel(scheduler):
    import dask.array as da

    chunks, _ = _chunks(np.float64, seed=1)
    X = sp.vstack([c[0] for c in chunks], format="csr")
    y = np.concatenate([c[1] for c in chunks]).astype(int)
    Xd = da.from_array(X, chunks=(60, 40), asarray=False)
    yd = da.from_array(y, chunks=60)
    with count_passes() as passes:
        ours = LogisticRegression(tol=1e-8).fit(Xd, yd)
    assert "binary_loss_grad_csr_kernel" in passes.kernels
    assert "binary_loss_grad_kernel" not in passes.kernels
    ref = LogisticRegression(tol=1e-8).fit(X.toarray(), y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
