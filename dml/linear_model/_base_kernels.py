"""Chunk kernels shared by the linear models: pure functions of ``(chunk, ..., *, xp)``."""

from __future__ import annotations

from dml._engine.blockwise import guard_finite


def linear_predict_kernel(X, *, xp, coef, intercept):
    """``X @ coef.T + intercept``: shape (n,) for 1-D ``coef``, else (n, k).

    Raises scikit-learn's NaN/inf error when the chunk holds non-finite values.
    """
    coef = xp.astype(xp.asarray(coef), X.dtype)
    intercept = xp.astype(xp.asarray(intercept), X.dtype)
    if coef.ndim == 1:
        out = xp.matmul(X, coef) + intercept
    else:
        out = xp.matmul(X, xp.permute_dims(coef, (1, 0))) + intercept
    return guard_finite(out, X)
