"""Regression metrics: scikit-learn's results, one pass over Dask input."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning

from dml._compat.sklearn import StrOptions, validate_parameter_constraints
from dml._engine.kernels import combine_centered
from dml.metrics._common import align, any_lazy, one_pass
from dml.metrics._metrics_kernels import (
    finite_flags_kernel,
    log_percentage_kernel,
    regression_kernel,
)


def _regression_sums(
    y_true, y_pred, sample_weight, multioutput, name, allowed, stats, kernel=regression_kernel
):
    """Validate on metadata, run the one pass, return (sums, n_outputs, multioutput)."""
    validate_parameter_constraints(
        {"multioutput": [StrOptions(set(allowed)), "array-like"]},
        {"multioutput": multioutput},
        caller_name=name,
    )
    a, b, w = align(y_true, y_pred, sample_weight)
    for v, what in ((a, "y_true"), (b, "y_pred")):
        if v.ndim > 2:
            raise ValueError(f"Found array with dim {v.ndim}. None expected <= 2.")
        if v.dtype.kind not in "biuf":
            raise ValueError(f"{name} needs numeric {what}, got dtype {v.dtype}.")
    if w is not None and w.ndim != 1:
        raise ValueError(
            f"Sample weights must be 1D array or scalar, got {w.ndim}D array. Expected "
            f"either a scalar value or a 1D array of length {a.shape[0]}."
        )
    if a.ndim == 1:
        a = a[:, None]
    if b.ndim == 1:
        b = b[:, None]
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"y_true and y_pred have different number of output ({a.shape[1]}!={b.shape[1]})")
    n_outputs = int(a.shape[1])
    if not isinstance(multioutput, str):
        multioutput = np.asarray(multioutput, dtype=np.float64)
        if n_outputs == 1:
            raise ValueError("Custom weights are useful only in multi-output cases.")
        if multioutput.shape[0] != n_outputs:
            raise ValueError(
                f"There must be equally many custom weights ({multioutput.shape[0]}) as "
                f"outputs ({n_outputs})."
            )
    if kernel is regression_kernel:
        res = one_pass(kernel, a, b, w, combine=combine_centered, stats=stats)
    else:
        res = one_pass(kernel, a, b, w, stats=stats)
    values = [res[k] for k in ("n", "mean", "m2", "sse", "sae", "sle", "ape") if k in res]
    if not all(np.all(np.isfinite(np.asarray(v))) for v in values):
        _raise_not_finite(a, b, w)
    return res, n_outputs, multioutput


def _raise_not_finite(a, b, w):
    flags = one_pass(finite_flags_kernel, a, b, w)
    for what, label in (("y_true", "Input"), ("y_pred", "Input"), ("sample_weight", "Input sample_weight")):
        if int(np.asarray(flags.get(what + "_nan", 0))):
            raise ValueError(f"{label} contains NaN.")
        if int(np.asarray(flags.get(what + "_inf", 0))):
            raise ValueError(f"{label} contains infinity or a value too large for dtype('float64').")
    raise ValueError("The input values are finite but the error sums overflowed to infinity.")


def _aggregate(errors, multioutput):
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return errors
        multioutput = None
    return float(np.average(errors, weights=multioutput))


def _check_weight_sum(res):
    if float(res["n"]) == 0:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")


def mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean squared error (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
            default='uniform_average'

    Returns
    -------
    loss : float or ndarray of shape (n_outputs,)

    Notes
    -----
    Computation: in-memory input calls :func:`sklearn.metrics.mean_squared_error`.
    Dask input: one pass (one ``compute``); each chunk returns float64 sums per output
    (the weight, and the squared or absolute errors; for R^2 also the mean and centred
    sum of squares of ``y_true``), merged exactly (Chan's update); each chunk is read
    once, in cache-sized row blocks. Memory per task: one chunk of each
    input. NaN / infinity give scikit-learn's errors (found by a second pass, only on
    that error path).

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import mean_squared_error
    >>> y_true = da.from_array([3.0, -0.5, 2.0, 7.0], chunks=2)
    >>> y_pred = da.from_array([2.5, 0.0, 2.0, 8.0], chunks=2)
    >>> float(mean_squared_error(y_true, y_pred))
    0.375
    """
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.mean_squared_error(y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput)
    res, _, multioutput = _regression_sums(
        y_true,
        y_pred,
        sample_weight,
        multioutput,
        "mean_squared_error",
        ("raw_values", "uniform_average"),
        ("sse",),
    )
    _check_weight_sum(res)
    return _aggregate(np.asarray(res["sse"]) / float(res["n"]), multioutput)


def root_mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Root mean squared error (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
            default='uniform_average'

    Returns
    -------
    loss : float or ndarray of shape (n_outputs,)

    Notes
    -----
    Computation: as :func:`mean_squared_error`.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import root_mean_squared_error
    >>> y_true = da.from_array([3.0, -0.5, 2.0, 7.0], chunks=2)
    >>> y_pred = da.from_array([2.5, 0.0, 2.0, 8.0], chunks=2)
    >>> round(float(root_mean_squared_error(y_true, y_pred)), 4)
    0.6124
    """
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.root_mean_squared_error(
            y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput
        )
    res, _, multioutput = _regression_sums(
        y_true,
        y_pred,
        sample_weight,
        multioutput,
        "root_mean_squared_error",
        ("raw_values", "uniform_average"),
        ("sse",),
    )
    _check_weight_sum(res)
    return _aggregate(np.sqrt(np.asarray(res["sse"]) / float(res["n"])), multioutput)


def mean_absolute_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean absolute error (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
            default='uniform_average'

    Returns
    -------
    loss : float or ndarray of shape (n_outputs,)

    Notes
    -----
    Computation: as :func:`mean_squared_error`.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import mean_absolute_error
    >>> y_true = da.from_array([3.0, -0.5, 2.0, 7.0], chunks=2)
    >>> y_pred = da.from_array([2.5, 0.0, 2.0, 8.0], chunks=2)
    >>> float(mean_absolute_error(y_true, y_pred))
    0.5
    """
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.mean_absolute_error(y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput)
    res, _, multioutput = _regression_sums(
        y_true,
        y_pred,
        sample_weight,
        multioutput,
        "mean_absolute_error",
        ("raw_values", "uniform_average"),
        ("sae",),
    )
    _check_weight_sum(res)
    return _aggregate(np.asarray(res["sae"]) / float(res["n"]), multioutput)


def r2_score(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average", force_finite=True):
    """R^2, the coefficient of determination (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    multioutput : {'raw_values', 'uniform_average', 'variance_weighted'} or array-like, \
            default='uniform_average'
    force_finite : bool, default=True
        Replace the NaN / -inf of constant ``y_true`` by 1.0 (perfect predictions) or
        0.0, as scikit-learn.

    Returns
    -------
    z : float or ndarray of shape (n_outputs,)

    Notes
    -----
    Computation: as :func:`mean_squared_error`: the residual and total sums of squares
    come from the same pass (the latter from exactly merged centred moments, so large
    offsets in ``y_true`` do not cancel).

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import r2_score
    >>> y_true = da.from_array([3.0, -0.5, 2.0, 7.0], chunks=2)
    >>> y_pred = da.from_array([2.5, 0.0, 2.0, 8.0], chunks=2)
    >>> round(float(r2_score(y_true, y_pred)), 4)
    0.9486
    """
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.r2_score(
            y_true,
            y_pred,
            sample_weight=sample_weight,
            multioutput=multioutput,
            force_finite=force_finite,
        )
    validate_parameter_constraints(
        {"force_finite": ["boolean"]}, {"force_finite": force_finite}, caller_name="r2_score"
    )
    res, n_outputs, multioutput = _regression_sums(
        y_true,
        y_pred,
        sample_weight,
        multioutput,
        "r2_score",
        ("raw_values", "uniform_average", "variance_weighted"),
        ("sse", "moments"),
    )
    if int(res["n_rows"]) < 2:
        warnings.warn(
            "R^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return float("nan")
    numerator = np.asarray(res["sse"], dtype=np.float64)
    denominator = np.asarray(res["m2"], dtype=np.float64)
    return _assemble_r2(numerator, denominator, n_outputs, multioutput, force_finite)


def _assemble_r2(numerator, denominator, n_outputs, multioutput, force_finite):
    nonzero_denominator = denominator != 0
    if not force_finite:
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = 1 - numerator / denominator
    else:
        nonzero_numerator = numerator != 0
        scores = np.ones(n_outputs)
        valid = nonzero_denominator & nonzero_numerator
        scores[valid] = 1 - numerator[valid] / denominator[valid]
        scores[nonzero_numerator & ~nonzero_denominator] = 0.0
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return scores
        if multioutput == "uniform_average":
            weights = None
        else:
            weights = denominator if np.any(nonzero_denominator) else None
    else:
        weights = multioutput
    return float(np.average(scores, weights=weights))


def _msle_values(y_true, y_pred, sample_weight, multioutput, name, title):
    """One pass: the per-output mean squared log errors (and the checked multioutput)."""
    res, _, multioutput = _regression_sums(
        y_true,
        y_pred,
        sample_weight,
        multioutput,
        name,
        ("raw_values", "uniform_average"),
        ("sle",),
        kernel=log_percentage_kernel,
    )
    if int(res["n_le_minus1"]):
        raise ValueError(f"{title} cannot be used when targets contain values less than or equal to -1.")
    _check_weight_sum(res)
    return np.asarray(res["sle"]) / float(res["n"]), multioutput


def mean_squared_log_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean squared logarithmic error (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,) or (n_samples, n_outputs)
        Values greater than -1.
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
            default='uniform_average'

    Returns
    -------
    loss : float or ndarray of shape (n_outputs,)

    Notes
    -----
    Computation: in-memory input calls scikit-learn's function. Dask input: one pass
    (one ``compute``); each chunk returns float64 sums per output (the weight, the
    weighted squared differences of ``log1p``, and the number of values <= -1, which
    give scikit-learn's error), read once in cache-sized row blocks. Memory per task:
    one chunk of each input. NaN / infinity give scikit-learn's errors (found by a
    second pass, only on that error path).
    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import mean_squared_log_error
    >>> y_true = da.from_array([3.0, 5.0, 2.5, 7.0], chunks=2)
    >>> y_pred = da.from_array([2.5, 5.0, 4.0, 8.0], chunks=2)
    >>> round(float(mean_squared_log_error(y_true, y_pred)), 4)
    0.0397
    """
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.mean_squared_log_error(
            y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput
        )
    errors, multioutput = _msle_values(
        y_true,
        y_pred,
        sample_weight,
        multioutput,
        "mean_squared_log_error",
        "Mean Squared Logarithmic Error",
    )
    return _aggregate(errors, multioutput)


def root_mean_squared_log_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Root mean squared logarithmic error (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,) or (n_samples, n_outputs)
        Values greater than -1.
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
            default='uniform_average'

    Returns
    -------
    loss : float or ndarray of shape (n_outputs,)

    Notes
    -----
    Computation: in-memory input calls scikit-learn's function. Dask input: one pass
    (one ``compute``); each chunk returns float64 sums per output (the weight, the
    weighted squared differences of ``log1p``, and the number of values <= -1, which
    give scikit-learn's error), read once in cache-sized row blocks. Memory per task:
    one chunk of each input. NaN / infinity give scikit-learn's errors (found by a
    second pass, only on that error path).
    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import root_mean_squared_log_error
    >>> y_true = da.from_array([3.0, 5.0, 2.5, 7.0], chunks=2)
    >>> y_pred = da.from_array([2.5, 5.0, 4.0, 8.0], chunks=2)
    >>> round(float(root_mean_squared_log_error(y_true, y_pred)), 4)
    0.1993
    """
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.root_mean_squared_log_error(
            y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput
        )
    errors, multioutput = _msle_values(
        y_true,
        y_pred,
        sample_weight,
        multioutput,
        "root_mean_squared_log_error",
        "Root Mean Squared Logarithmic Error",
    )
    return _aggregate(np.sqrt(errors), multioutput)


def mean_absolute_percentage_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Mean absolute percentage error (scikit-learn's, one pass on Dask input).

    The mean of ``|y_true - y_pred| / max(|y_true|, eps)`` (``eps`` is float64's machine
    epsilon): a relative error, not a percentage (0.1 means 10 %).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    multioutput : {'raw_values', 'uniform_average'} or array-like of shape (n_outputs,), \
            default='uniform_average'

    Returns
    -------
    loss : float or ndarray of shape (n_outputs,)

    Notes
    -----
    Computation: in-memory input calls
    :func:`sklearn.metrics.mean_absolute_percentage_error`. Dask input: one pass (one
    ``compute``); each chunk returns float64 sums per output (the weight and the
    weighted relative errors), read once in cache-sized row blocks. Memory per task: one
    chunk of each input. NaN / infinity give scikit-learn's errors (found by a second
    pass, only on that error path).

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import mean_absolute_percentage_error
    >>> y_true = da.from_array([3.0, -0.5, 2.0, 7.0], chunks=2)
    >>> y_pred = da.from_array([2.5, 0.0, 2.0, 8.0], chunks=2)
    >>> round(float(mean_absolute_percentage_error(y_true, y_pred)), 4)
    0.3274
    """
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.mean_absolute_percentage_error(
            y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput
        )
    res, _, multioutput = _regression_sums(
        y_true,
        y_pred,
        sample_weight,
        multioutput,
        "mean_absolute_percentage_error",
        ("raw_values", "uniform_average"),
        ("ape",),
        kernel=log_percentage_kernel,
    )
    _check_weight_sum(res)
    return _aggregate(np.asarray(res["ape"]) / float(res["n"]), multioutput)
