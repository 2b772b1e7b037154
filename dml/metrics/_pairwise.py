"""Pairwise distances and kernels: a lazy Dask result chunked by X's rows.

NumPy (in-memory) input goes to scikit-learn's own functions. For Dask ``X`` (row
chunks), ``Y`` is held in memory (a Dask ``Y`` is computed once: it must be small) and
broadcast to every task; each task turns one row chunk of ``X`` into the same rows of
the result (:mod:`dml.metrics._pairwise_kernels`). Nothing is computed at call time
except a Dask ``Y``.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

from dml._engine.blockwise import apply_blockwise
from dml.metrics._common import align, any_lazy
from dml.metrics._pairwise_kernels import (
    DISTANCE_METRICS,
    KERNEL_METRICS,
    argmin_min_block,
    distance_block,
    kernel_block,
)

_KERNEL_PARAMS = {
    "linear": (),
    "cosine": (),
    "rbf": ("gamma",),
    "polynomial": ("gamma", "degree", "coef0"),
    "poly": ("gamma", "degree", "coef0"),
    "sigmoid": ("gamma", "coef0"),
}


def _check_metric(metric, supported, func):
    if not isinstance(metric, str) or metric not in supported:
        raise ValueError(
            f"{func} on Dask input supports metric in {sorted(supported)}; got {metric!r}. "
            "Compute X into memory (X.compute()) for scikit-learn's other metrics and "
            "callables."
        )


def _prepare(X, Y, func, check_y=True):
    """Validate on metadata; return (X as a row-chunked Dask array, Y in memory or None,
    the result dtype)."""
    (Xd,) = align(X)
    if Xd.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {Xd.ndim}D array instead. Reshape your data either "
            "using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    if Y is not None:
        if any_lazy(Y):
            (Yd,) = align(Y)
            Y = Yd.compute()  # small by contract: computed once, broadcast to every task
        Y = np.asarray(Y)
        if Y.ndim != 2:
            raise ValueError(
                f"Expected 2D array, got {Y.ndim}D array instead. Reshape your data "
                "either using array.reshape(-1, 1) if your data has a single feature or "
                "array.reshape(1, -1) if it contains a single sample."
            )
        if Y.shape[1] != Xd.shape[1]:
            raise ValueError(
                "Incompatible dimension for X and Y matrices: "
                f"X.shape[1] == {Xd.shape[1]} while Y.shape[1] == {Y.shape[1]}"
            )
        if Y.dtype.kind not in "biuf" or Xd.dtype.kind not in "biuf":
            raise ValueError(f"{func} needs numeric X and Y, got {Xd.dtype} and {Y.dtype}.")
        if check_y is True and np.any(np.isnan(Y)):
            raise ValueError("Input Y contains NaN.")
        if check_y is not False and np.any(np.isinf(Y)):
            raise ValueError(f"Input Y contains infinity or a value too large for dtype({Y.dtype.name!r}).")
    elif Xd.dtype.kind not in "biuf":
        raise ValueError(f"{func} needs numeric X, got {Xd.dtype}.")
    return _result(Xd, Y)


def _result(Xd, Y):
    both32 = Xd.dtype == np.float32 and (Y is None or Y.dtype == np.float32)
    return Xd, Y, np.dtype(np.float32 if both32 else np.float64)


def _self_input(Xd):
    """``X`` with a last column of global row indices, and ``X`` in memory (``Y = X``)."""
    import dask.array as da  # only for Dask input (in-memory metrics never load dask.array)

    if any(np.isnan(c) for c in Xd.chunks[0]):
        Xd = Xd.compute_chunk_sizes()
    index = da.arange(Xd.shape[0], chunks=Xd.chunks[0], dtype=np.float64)[:, None]
    both = da.concatenate([Xd.astype(np.float64), index], axis=1).rechunk({1: -1})
    return both, Xd.compute()


def _blockwise_distances(X, Y, metric, func, *, allow_nan=False, Y_sq=None):
    check_y = False if allow_nan is None else ("allow-nan" if allow_nan else True)
    Xd, Y, dtype = _prepare(X, Y, func, check_y)
    if metric in ("manhattan", "cityblock", "l1"):
        dtype = np.dtype(np.float64)  # scikit-learn's (scipy's cdist)
    self_index = Y is None
    if self_index:
        Xd, Y = _self_input(Xd)
    Y64 = np.asarray(Y, dtype=np.float64)
    Y_sq = np.einsum("ij,ij->i", Y64, Y64) if Y_sq is None else np.asarray(Y_sq, np.float64).reshape(-1)
    return apply_blockwise(
        distance_block,
        Xd,
        n_outputs=int(Y64.shape[0]),
        dtype=dtype,
        Y=Y64,
        Y_sq=Y_sq,
        metric=metric,
        out_dtype=dtype,
        self_index=self_index,
        allow_nan=allow_nan,
    )


_NOTES = """Dask ``X`` (row chunks): a lazy Dask array of shape (n_samples_X, n_samples_Y)
    chunked by X's rows, with one column block; nothing is computed at call time. ``Y``
    travels whole to every task: in memory, or a Dask array computed once at call time
    (it must fit in memory; the result's columns are its rows). ``Y=None`` means
    ``Y = X``: X is then computed once too, and the result is
    n_samples_X x n_samples_X. One pass when the result is computed; memory per task: one
    chunk of X, Y, and the chunk's rows of the result (float64 while computed)."""


def euclidean_distances(X, Y=None, *, Y_norm_squared=None, squared=False, X_norm_squared=None):
    """Euclidean distances between the rows of X and of Y (scikit-learn's; lazy on Dask X).

    Parameters
    ----------
    X : array-like or Dask array of shape (n_samples_X, n_features)
    Y : array-like or Dask array of shape (n_samples_Y, n_features), default=None
        ``None`` means ``Y = X``.
    Y_norm_squared : array-like of shape (n_samples_Y,) or (1, n_samples_Y), default=None
        Precomputed squared norms of the rows of ``Y``.
    squared : bool, default=False
        Return squared distances.
    X_norm_squared : array-like of shape (n_samples_X,) or (n_samples_X, 1), default=None
        Precomputed squared norms of the rows of ``X`` (in-memory ``X`` only; on Dask
        ``X`` each task computes its chunk's norms).

    Returns
    -------
    distances : ndarray or Dask array of shape (n_samples_X, n_samples_Y)

    Notes
    -----
    Computation: in-memory input calls :func:`sklearn.metrics.pairwise.euclidean_distances`.
    ``dist(x, y) = sqrt(x.x - 2 x.y + y.y)`` in float64 (clipped at 0), as scikit-learn.
    {notes}

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from dml.metrics import euclidean_distances
    >>> X = np.array([[0.0, 1.0], [1.0, 1.0], [3.0, 5.0]])
    >>> euclidean_distances(X, [[0.0, 0.0]])
    array([[1.        ],
           [1.41421356],
           [5.83095189]])
    >>> D = euclidean_distances(da.from_array(X, chunks=2), [[0.0, 0.0]])  # lazy
    >>> D.chunks
    ((2, 1), (1,))
    >>> np.allclose(D.compute(), euclidean_distances(X, [[0.0, 0.0]]))
    True
    """
    if not any_lazy(X, Y):
        return skm.pairwise.euclidean_distances(
            X, Y, Y_norm_squared=Y_norm_squared, squared=squared, X_norm_squared=X_norm_squared
        )
    if X_norm_squared is not None:
        raise ValueError(
            "X_norm_squared is supported for in-memory X only: on Dask X each task "
            "computes its chunk's norms (pass X_norm_squared=None)."
        )
    if Y is None and Y_norm_squared is not None:
        raise ValueError("Y_norm_squared needs Y (with Y=None the norms of X are used).")
    return _blockwise_distances(
        X,
        Y,
        "sqeuclidean" if squared else "euclidean",
        "euclidean_distances",
        Y_sq=Y_norm_squared,
    )


def pairwise_distances(X, Y=None, metric="euclidean", *, n_jobs=None, ensure_all_finite=True, **kwds):
    """Distances between the rows of X and of Y (scikit-learn's; lazy on Dask X).

    Parameters
    ----------
    X : array-like or Dask array of shape (n_samples_X, n_features)
    Y : array-like or Dask array of shape (n_samples_Y, n_features), default=None
        ``None`` means ``Y = X``.
    metric : str or callable, default="euclidean"
        Any of scikit-learn's for in-memory input. Dask ``X``: "euclidean" ("l2"),
        "sqeuclidean", "manhattan" ("cityblock", "l1") or "cosine"; others raise a
        ValueError that says so.
    n_jobs : int, default=None
        scikit-learn's, for in-memory input; Dask input runs one task per chunk of X.
    ensure_all_finite : bool or "allow-nan", default=True
        Raise scikit-learn's error for NaN / infinity in X (on Dask X: checked in each
        task, on the chunk's result) and in Y.
    **kwds : dict
        Passed to scikit-learn's metric (in-memory input); the Dask metrics take none.

    Returns
    -------
    D : ndarray or Dask array of shape (n_samples_X, n_samples_Y)

    Notes
    -----
    Computation: in-memory input calls :func:`sklearn.metrics.pairwise_distances`.
    Euclidean distances as :func:`euclidean_distances`; cosine as ``1 - cos`` clipped to
    [0, 2]; manhattan from differences in cache-sized tiles (rows x rows of Y). With ``Y=None`` the
    diagonal is exactly 0 (scikit-learn's rule for ``Y is X``).
    {notes}

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from dml.metrics import pairwise_distances
    >>> X = np.array([[0.0, 1.0], [1.0, 1.0], [3.0, 5.0]])
    >>> pairwise_distances(X, [[0.0, 0.0]], metric="manhattan")
    array([[1.],
           [2.],
           [8.]])
    >>> D = pairwise_distances(da.from_array(X, chunks=2), metric="cosine")  # lazy, 3 x 3
    >>> np.allclose(D.compute(), pairwise_distances(X, metric="cosine"))
    True
    """
    if not any_lazy(X, Y):
        return skm.pairwise_distances(
            X, Y, metric=metric, n_jobs=n_jobs, ensure_all_finite=ensure_all_finite, **kwds
        )
    _check_metric(metric, DISTANCE_METRICS, "pairwise_distances")
    if kwds:
        raise TypeError(
            f"pairwise_distances with metric={metric!r} on Dask input takes no extra "
            f"keyword arguments; got {sorted(kwds)}."
        )
    if ensure_all_finite not in (True, False, "allow-nan"):
        raise ValueError(
            f"ensure_all_finite should be a bool or 'allow-nan'. Got {ensure_all_finite!r} instead."
        )
    allow_nan = None if ensure_all_finite is False else ensure_all_finite == "allow-nan"
    return _blockwise_distances(X, Y, metric, "pairwise_distances", allow_nan=allow_nan)


def pairwise_distances_argmin_min(X, Y, *, axis=1, metric="euclidean", metric_kwargs=None):
    """For each row of X, the index of the closest row of Y and its distance.

    Parameters
    ----------
    X : array-like or Dask array of shape (n_samples_X, n_features)
    Y : array-like or Dask array of shape (n_samples_Y, n_features)
    axis : int, default=1
        1: closest row of Y for each row of X. 0: closest row of X for each row of Y
        (results of shape (n_samples_Y,)).
    metric : str or callable, default="euclidean"
        Any of scikit-learn's for in-memory input; on Dask ``X`` as
        :func:`pairwise_distances`.
    metric_kwargs : dict, default=None
        Passed to scikit-learn's metric (in-memory input); must be empty on Dask input.

    Returns
    -------
    argmin : ndarray or Dask array of shape (n_samples_X,) (axis=0: n_samples_Y), int64
    distances : ndarray or Dask array of the same shape, float64

    Notes
    -----
    Computation: in-memory input calls
    :func:`sklearn.metrics.pairwise_distances_argmin_min`. Dask ``X``: two lazy Dask
    arrays chunked by X's rows, from one blockwise task per chunk (they share it: one
    pass when both are computed together). ``Y`` travels whole to every task (a Dask
    ``Y`` is computed once at call time); memory per task: one chunk of X, Y and the
    chunk's (n_rows, n_samples_Y) float64 distances. ``axis=0``: two lazy Dask arrays
    of shape (n_samples_Y,), a tree reduction (Dask's ``argmin`` / ``min`` over axis 0)
    of the same distance blocks (X from a Dask DataFrame with unknown partition lengths
    has them computed first: one extra pass). Ties go to the first index. Euclidean minima come from
    summed squared differences (not the norm expansion), so a row's distance to a copy
    of itself is exactly 0, as scikit-learn's.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from dml.metrics import pairwise_distances_argmin_min
    >>> X = np.array([[0.0, 1.0], [4.0, 4.0], [3.0, 5.0]])
    >>> Y = np.array([[0.0, 0.0], [3.0, 4.0]])
    >>> idx, dist = pairwise_distances_argmin_min(da.from_array(X, chunks=2), Y)  # lazy
    >>> idx.compute()
    array([0, 1, 1])
    >>> dist.compute()
    array([1., 1., 1.])
    """
    if not any_lazy(X, Y):
        return skm.pairwise_distances_argmin_min(X, Y, axis=axis, metric=metric, metric_kwargs=metric_kwargs)
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1, got {axis!r}.")
    _check_metric(metric, DISTANCE_METRICS, "pairwise_distances_argmin_min")
    if metric_kwargs:
        raise TypeError(
            f"pairwise_distances_argmin_min with metric={metric!r} on Dask input takes no "
            f"metric_kwargs; got {sorted(metric_kwargs)}."
        )
    if Y is None:
        raise ValueError("pairwise_distances_argmin_min needs Y.")
    if axis == 0:
        return _argmin_min_over_x(X, Y, metric)
    Xd, Y, _ = _prepare(X, Y, "pairwise_distances_argmin_min")
    Y64 = np.asarray(Y, dtype=np.float64)
    out = apply_blockwise(
        argmin_min_block,
        Xd,
        n_outputs=2,
        dtype=np.float64,
        Y=Y64,
        Y_sq=np.einsum("ij,ij->i", Y64, Y64),
        metric=metric,
    )
    return out[:, 0].astype(np.int64), out[:, 1]


def _argmin_min_over_x(X, Y, metric):
    """``axis=0`` on Dask X: a lazy column-wise argmin / min of the distance blocks."""
    import dask.array as da  # only for Dask input (in-memory metrics never load dask.array)

    (X,) = align(X)
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()  # Dask's arg-reductions need the chunk lengths
    squared = metric in ("euclidean", "l2", "sqeuclidean")  # the min of the squared, exact
    D = _blockwise_distances(
        X,
        Y,
        "sqeuclidean_exact" if squared else metric,
        "pairwise_distances_argmin_min",
        allow_nan=False,
    ).astype(np.float64)
    best = D.min(axis=0)
    root = metric in ("euclidean", "l2")
    return da.argmin(D, axis=0).astype(np.int64), da.sqrt(best) if root else best


def pairwise_kernels(X, Y=None, metric="linear", *, filter_params=False, n_jobs=None, **kwds):
    """Kernel between the rows of X and of Y (scikit-learn's; lazy on Dask X).

    Parameters
    ----------
    X : array-like or Dask array of shape (n_samples_X, n_features)
    Y : array-like or Dask array of shape (n_samples_Y, n_features), default=None
        ``None`` means ``Y = X``.
    metric : str or callable, default="linear"
        Any of scikit-learn's for in-memory input. Dask ``X``: "linear", "rbf",
        "polynomial" ("poly"), "sigmoid" or "cosine"; others raise a ValueError.
    filter_params : bool, default=False
        Drop the keyword arguments the kernel does not take (scikit-learn's).
    n_jobs : int, default=None
        scikit-learn's, for in-memory input; Dask input runs one task per chunk of X.
    **kwds : dict
        The kernel's parameters, scikit-learn's names and defaults: ``gamma`` (None:
        ``1 / n_features``) for rbf, polynomial and sigmoid; ``degree=3`` and ``coef0=1``
        for polynomial; ``coef0=1`` for sigmoid.

    Returns
    -------
    K : ndarray or Dask array of shape (n_samples_X, n_samples_Y)

    Notes
    -----
    Computation: in-memory input calls :func:`sklearn.metrics.pairwise.pairwise_kernels`.
    Each task computes its chunk's products with Y in float64 (rbf through the
    euclidean expansion of :func:`euclidean_distances`).
    {notes}

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from dml.metrics import pairwise_kernels
    >>> X = np.array([[0.0, 1.0], [1.0, 1.0], [3.0, 5.0]])
    >>> pairwise_kernels(X, [[1.0, 2.0]], metric="linear")
    array([[ 2.],
           [ 3.],
           [13.]])
    >>> K = pairwise_kernels(da.from_array(X, chunks=2), metric="rbf", gamma=0.5)  # lazy
    >>> np.allclose(K.compute(), pairwise_kernels(X, metric="rbf", gamma=0.5))
    True
    """
    if not any_lazy(X, Y):
        return skm.pairwise.pairwise_kernels(
            X, Y, metric=metric, filter_params=filter_params, n_jobs=n_jobs, **kwds
        )
    _check_metric(metric, KERNEL_METRICS, "pairwise_kernels")
    allowed = _KERNEL_PARAMS[metric]
    if filter_params:
        kwds = {k: v for k, v in kwds.items() if k in allowed}
    unknown = sorted(set(kwds) - set(allowed))
    if unknown:
        raise TypeError(
            f"pairwise_kernels with metric={metric!r} got unexpected keyword arguments "
            f"{unknown} (it takes {list(allowed)})."
        )
    Xd, Y, dtype = _prepare(X, Y, "pairwise_kernels")
    if Y is None:
        Y = Xd.compute()  # Y = X: X is computed once (the result is n x n)
    Y64 = np.asarray(Y, dtype=np.float64)
    params = {"degree": kwds.get("degree", 3), "coef0": kwds.get("coef0", 1)}
    gamma = kwds.get("gamma")
    params["gamma"] = 1.0 / Xd.shape[1] if gamma is None else gamma
    return apply_blockwise(
        kernel_block,
        Xd,
        n_outputs=int(Y64.shape[0]),
        dtype=dtype,
        Y=Y64,
        Y_sq=np.einsum("ij,ij->i", Y64, Y64),
        metric=metric,
        out_dtype=dtype,
        **params,
    )


for _f in (euclidean_distances, pairwise_distances, pairwise_kernels):
    _f.__doc__ = _f.__doc__.replace("{notes}", _NOTES)
del _f
