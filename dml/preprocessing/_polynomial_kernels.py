"""Blockwise kernel of PolynomialFeatures: a pure function of ``(chunk, *, xp, ...)``."""

from __future__ import annotations

import numpy as np

from dml._engine.blockwise import guard_finite
from dml._engine.namespace import is_numpy_namespace


def polynomial_block(
    X, *, xp, n_out_full, n_output, max_degree, min_degree, interaction_only, include_bias, order
):
    """The polynomial features of a chunk, columns in scikit-learn's order.

    scikit-learn's dense recursion: the terms of degree ``d`` that end with feature
    ``j`` are the terms of degree ``d - 1`` over features ``>= j`` (``> j`` with
    ``interaction_only``) times column ``j``, so every output column is one product of
    an earlier column and an input column (the same products, hence the same
    rounding, as scikit-learn's). NumPy chunks fill one ``order`` buffer in place;
    other namespaces stack the columns.
    """
    n, p = X.shape
    if is_numpy_namespace(xp):
        out = _polynomial_numpy(
            np.asarray(X), n_out_full, n_output, max_degree, min_degree, interaction_only, include_bias, order
        )
    else:
        out = _polynomial_generic(
            X, xp, n_output, n_out_full, max_degree, min_degree, interaction_only, include_bias
        )
    return guard_finite(out, X)


def _polynomial_numpy(X, n_out_full, n_output, max_degree, min_degree, interaction_only, include_bias, order):
    n, p = X.shape
    XP = np.empty((n, n_out_full), dtype=X.dtype, order=order)
    if include_bias:
        XP[:, 0] = 1
        col = 1
    else:
        col = 0
    if max_degree == 0:
        return XP
    XP[:, col : col + p] = X
    index = list(range(col, col + p))
    col += p
    index.append(col)
    for _ in range(2, max_degree + 1):
        new_index = []
        end = index[-1]
        for j in range(p):
            start = index[j]
            new_index.append(col)
            if interaction_only:
                start += index[j + 1] - index[j]
            nxt = col + end - start
            if nxt <= col:
                break
            np.multiply(XP[:, start:end], X[:, j : j + 1], out=XP[:, col:nxt], casting="no")
            col = nxt
        new_index.append(col)
        index = new_index
    if min_degree > 1:
        if include_bias:
            out = np.empty((n, n_output), dtype=XP.dtype, order=order)
            out[:, 0] = 1
            out[:, 1:] = XP[:, n_out_full - n_output + 1 :]
        else:
            out = XP[:, n_out_full - n_output :].copy(order=order)
        XP = out
    return XP


def _polynomial_generic(X, xp, n_output, n_out_full, max_degree, min_degree, interaction_only, include_bias):
    n, p = X.shape
    cols = []
    if include_bias:
        cols.append(xp.ones((n,), dtype=X.dtype))
    if max_degree == 0:
        return xp.stack(cols, axis=1)
    cols.extend(X[:, j] for j in range(p))
    index = list(range(len(cols) - p, len(cols)))
    index.append(len(cols))
    for _ in range(2, max_degree + 1):
        new_index = []
        end = index[-1]
        for j in range(p):
            start = index[j]
            new_index.append(len(cols))
            if interaction_only:
                start += index[j + 1] - index[j]
            if end <= start:
                break
            cols.extend(cols[c] * X[:, j] for c in range(start, end))
        new_index.append(len(cols))
        index = new_index
    if min_degree > 1:
        cols = (cols[:1] if include_bias else []) + cols[n_out_full - n_output + (1 if include_bias else 0) :]
    if not cols:
        return xp.zeros((n, 0), dtype=X.dtype)
    return xp.stack(cols, axis=1)
