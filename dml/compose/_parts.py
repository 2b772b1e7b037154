"""The parts of a ColumnTransformer: which run on Dask, fitting and transforming one
part (scikit-learn's rules), and fitting several at once from threads."""

from __future__ import annotations

import contextvars
import copy
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from joblib import effective_n_jobs
from scipy import sparse
from sklearn import config_context as sklearn_config_context
from sklearn import get_config as sklearn_get_config
from sklearn.utils.validation import check_array

from dml._compat.sklearn import print_elapsed_time

_ERR_MSG_1DCOLUMN = (
    "1D data passed to a transformer that expects 2D data. Try to specify the column "
    "selection as a list of one item instead of a scalar."
)


def _is_empty_column_selection(column):
    """True for an empty list or an all-False boolean mask (scikit-learn's rule)."""
    if (
        hasattr(column, "dtype")
        and isinstance(column.dtype, np.dtype)
        and np.issubdtype(column.dtype, np.bool_)
    ):
        return not column.any()
    if hasattr(column, "__len__"):
        return len(column) == 0 or (all(isinstance(col, bool) for col in column) and not any(column))
    return False


def _runs_on_dask(trans):
    """Whether ``trans`` takes Dask input itself: a dml transformer, or a pipeline of
    them. Anything else is fitted on its columns brought into this process."""
    if isinstance(trans, str):
        return True
    module = type(trans).__module__ or ""
    if module.startswith("dml."):
        return True
    steps = getattr(trans, "steps", None)
    if module.startswith("sklearn.pipeline") and isinstance(steps, list):
        return all(s is None or s == "passthrough" or _runs_on_dask(s) for _, s in steps)
    return False


def _default_output(trans):
    """A shallow copy of a fitted Dask-native part that returns its own default
    container (a Dask array): the column transformer names the result itself."""
    if not hasattr(trans, "set_output"):
        return trans
    trans = copy.copy(trans)
    vars(trans).pop("_sklearn_output_config", None)
    return trans.set_output(transform="default")


def _transform_block(block, trans, weight, params):
    """A scikit-learn part's transform of one partition (in a task)."""
    out = trans.transform(block, **params)
    return out if weight is None else out * weight


def _name_estimators(estimators):
    """Names from the lower-cased class names, numbered when repeated (scikit-learn's)."""
    names = [est if isinstance(est, str) else type(est).__name__.lower() for est in estimators]
    namecount = Counter(names)
    for k, v in list(namecount.items()):
        if v == 1:
            del namecount[k]
    for i in reversed(range(len(estimators))):
        name = names[i]
        if name in namecount:
            names[i] += "-%d" % namecount[name]
            namecount[name] -= 1
    return list(zip(names, estimators))


def _in_threads(n_jobs, calls):
    """``[f(*args) for f, args in calls]``, up to ``n_jobs`` at once in threads. Each call
    runs in a copy of the caller's context (the current Dask client, dml's and
    scikit-learn's settings), which joblib's threads would not carry."""
    n = min(effective_n_jobs(n_jobs), len(calls))
    if n <= 1:
        return [f(*args) for f, args in calls]
    config = sklearn_get_config()

    def run(f, args):
        with sklearn_config_context(**config):
            return f(*args)

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(contextvars.copy_context().run, run, f, args) for f, args in calls]
        return [f.result() for f in futures]


def _first_row(X):
    return X.iloc[:1] if hasattr(X, "iloc") else X[:1]


def _is_drop(trans):
    return isinstance(trans, str) and trans == "drop"


def _check_X(X):
    """scikit-learn's rule: lists and other non-array-likes become object arrays."""
    if (hasattr(X, "__array__") and hasattr(X, "shape")) or hasattr(X, "iloc") or sparse.issparse(X):
        return X
    return check_array(X, ensure_all_finite="allow-nan", dtype=object)


def _check_n_features_only(estimator, X):
    n = X.shape[1]
    if n != estimator.n_features_in_:
        raise ValueError(
            f"X has {n} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


def _fit_transform_one(transformer, X, y, weight, message, params):
    """scikit-learn's fit_transform of one part (timed when ``message``), weighted."""
    params = params or {}
    with print_elapsed_time("ColumnTransformer", message):
        if hasattr(transformer, "fit_transform"):
            res = transformer.fit_transform(X, y, **params.get("fit_transform", {}))
        else:
            res = transformer.fit(X, y, **params.get("fit", {})).transform(X, **params.get("transform", {}))
    return (res, transformer) if weight is None else (res * weight, transformer)


def _transform_one(transformer, X, weight, params):
    res = transformer.transform(X, **params["transform"])
    return res if weight is None else res * weight
