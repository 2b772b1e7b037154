"""Blockwise kernels of the pairwise distances and kernels.

Each function maps one row chunk ``X`` of shape (n_rows, n_features) and the whole
in-memory ``Y`` of shape (n_Y, n_features) to the chunk's rows of the result, with the
array namespace ``xp`` only (NumPy, CuPy, ``array_api_strict``). Products are computed
in float64 and cast to ``out_dtype`` (float32 when X and Y are both float32, as
scikit-learn). When ``self_index`` is true the chunk's last column holds the global row
index of each row (the result of ``X`` with itself): the diagonal is set to exactly
zero (distances) as scikit-learn does when ``Y is X``.
"""

from __future__ import annotations

from dml._engine.blockwise import guard_finite
from dml._engine.kernels import BLOCK_BYTES
from dml._engine.namespace import as_float64

DISTANCE_METRICS = ("euclidean", "l2", "sqeuclidean", "manhattan", "cityblock", "l1", "cosine")
KERNEL_METRICS = ("linear", "rbf", "polynomial", "poly", "sigmoid", "cosine")


def _split_index(X, self_index, xp):
    if not self_index:
        return X, None
    return X[:, :-1], xp.astype(X[:, -1], xp.int64)


def _zero_diagonal(D, index, xp):
    """Set ``D[i, index[i]] = 0`` (the distance of a row to itself)."""
    cols = xp.arange(D.shape[1], dtype=xp.int64)
    return xp.where(cols[None, :] == index[:, None], xp.zeros_like(D), D)


def _sq_euclidean(X, Y, Y_sq, xp):
    X = as_float64(X, xp)
    XX = xp.sum(X * X, axis=1)
    D = XX[:, None] - 2.0 * (X @ xp.matrix_transpose(Y)) + Y_sq[None, :]
    return xp.maximum(D, xp.zeros_like(D))


def _normalize(A, xp):
    norms = xp.sqrt(xp.sum(A * A, axis=1))
    norms = xp.where(norms == 0, xp.ones_like(norms), norms)
    return A / norms[:, None]


def _by_differences(X, Y, xp, squared=False, block_bytes=BLOCK_BYTES):
    """Sum over features of ``|x - y|`` (or ``(x - y)**2``), in cache-sized tiles.

    The (rows, Y rows, features) difference tile is kept near ``block_bytes``: tiles
    span rows and, when Y is large, a slice of Y's rows too (``row_blocks`` alone would
    hold at least 256 rows against all of Y).
    """
    X = as_float64(X, xp)
    n_rows = X.shape[0]
    n_y, p = Y.shape
    per_pair = max(1, p * 8)
    step_r = max(1, min(n_rows, block_bytes // max(1, n_y * per_pair)))
    step_y = max(1, min(n_y, block_bytes // (step_r * per_pair)))
    if n_rows == 0 or n_y == 0:
        return xp.zeros((n_rows, n_y), dtype=xp.float64)
    rows = []
    for lo in range(0, n_rows, step_r):
        Xb = X[lo : min(n_rows, lo + step_r), None, :]
        cols = []
        for ylo in range(0, n_y, step_y):
            diff = Xb - Y[None, ylo : min(n_y, ylo + step_y), :]
            cols.append(xp.sum(diff * diff if squared else xp.abs(diff), axis=2))
        rows.append(cols[0] if len(cols) == 1 else xp.concat(cols, axis=1))
    return rows[0] if len(rows) == 1 else xp.concat(rows, axis=0)


def distance_block(X, *, xp, Y, Y_sq, metric, out_dtype, self_index=False, allow_nan=None):
    """Distances of the chunk's rows to every row of ``Y``: shape (n_rows, n_Y).

    Parameters
    ----------
    X : array of shape (n_rows, n_features) (plus the index column with ``self_index``)
    Y : float64 array of shape (n_Y, n_features)
    Y_sq : float64 array of shape (n_Y,)
        Squared row norms of ``Y`` (euclidean metrics).
    metric : str
        One of :data:`DISTANCE_METRICS`, or "sqeuclidean_exact" (squared differences
        summed, without the norm expansion: exact for nearby rows, for the minima).
    out_dtype : dtype
    self_index : bool
    allow_nan : bool or None
        ``None``: no finiteness check; otherwise scikit-learn's error for NaN (unless
        allowed) / infinity in ``X`` when the result is not finite.
    """
    X, index = _split_index(X, self_index, xp)
    if metric in ("euclidean", "l2", "sqeuclidean"):
        D = _sq_euclidean(X, Y, Y_sq, xp)
        if index is not None:
            D = _zero_diagonal(D, index, xp)
        if metric != "sqeuclidean":
            D = xp.sqrt(D)
    elif metric in ("manhattan", "cityblock", "l1"):
        D = _by_differences(X, Y, xp)
    elif metric == "sqeuclidean_exact":  # (x - y)**2 summed: exact for nearby rows
        D = _by_differences(X, Y, xp, squared=True)
    else:  # cosine
        S = _normalize(as_float64(X, xp), xp) @ xp.matrix_transpose(_normalize(Y, xp))
        D = xp.clip(1.0 - S, 0.0, 2.0)
        if index is not None:
            D = _zero_diagonal(D, index, xp)
    if allow_nan is not None:
        guard_finite(D, X, allow_nan=allow_nan)
    return xp.astype(D, out_dtype)


def kernel_block(X, *, xp, Y, Y_sq, metric, out_dtype, gamma=None, degree=3, coef0=1):
    """Kernel values of the chunk's rows with every row of ``Y``: shape (n_rows, n_Y).

    ``metric`` is one of :data:`KERNEL_METRICS`; ``gamma`` is already resolved (scikit-learn's
    default ``1 / n_features``) for the metrics that use it.
    """
    Xf = as_float64(X, xp)
    if metric == "rbf":
        K = xp.exp(-gamma * _sq_euclidean(Xf, Y, Y_sq, xp))
    elif metric == "cosine":
        K = _normalize(Xf, xp) @ xp.matrix_transpose(_normalize(Y, xp))
    else:
        K = Xf @ xp.matrix_transpose(Y)
        if metric in ("polynomial", "poly"):
            K = (gamma * K + coef0) ** degree
        elif metric == "sigmoid":
            K = xp.tanh(gamma * K + coef0)
    guard_finite(K, X)
    return xp.astype(K, out_dtype)


def argmin_min_block(X, *, xp, Y, Y_sq, metric):
    """Index of the closest row of ``Y`` and its distance, per row: shape (n_rows, 2).

    Column 0 holds the index (exact in float64), column 1 the distance (float64). Ties
    go to the first index, as ``argmin``.
    """
    if X.shape[0] == 0:
        return xp.zeros((0, 2), dtype=xp.float64)
    squared = metric in ("euclidean", "l2", "sqeuclidean")  # the min of the squared (then the root)
    D = distance_block(
        X,
        xp=xp,
        Y=Y,
        Y_sq=Y_sq,
        metric="sqeuclidean_exact" if squared else metric,
        out_dtype=xp.float64,
        allow_nan=False,
    )
    idx = xp.argmin(D, axis=1)
    best = xp.min(D, axis=1)
    if metric in ("euclidean", "l2"):
        best = xp.sqrt(best)
    return xp.stack([xp.astype(idx, xp.float64), best], axis=1)


__all__ = [
    "DISTANCE_METRICS",
    "KERNEL_METRICS",
    "argmin_min_block",
    "distance_block",
    "kernel_block",
]
