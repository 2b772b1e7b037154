"""Plumbing shared by every dml estimator."""

from __future__ import annotations

import numpy as np

from dml._compat.sklearn import validate_parameter_constraints


def check_params(estimator):
    """Check ``estimator``'s parameters against its ``_parameter_constraints``.

    Called once at the top of ``fit`` / ``partial_fit``; raises scikit-learn's
    ``InvalidParameterError`` (a ``ValueError``) with scikit-learn's wording.
    """
    validate_parameter_constraints(
        estimator._parameter_constraints,
        estimator.get_params(deep=False),
        caller_name=type(estimator).__name__,
    )


def lazy_accuracy(y_true, y_pred, sample_weight=None):
    """Accuracy of ``y_pred`` against ``y_true``; one pass when either is a Dask array.

    In-memory inputs go to :func:`sklearn.metrics.accuracy_score` (its checks and
    messages); lazy ones are compared blockwise and reduced in a single ``compute``.
    """
    from dml._engine.inputs import is_dask_collection

    if not any(is_dask_collection(v) for v in (y_true, y_pred, sample_weight)):
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))
    import dask
    import dask.array as da

    def as_dask(v, chunks):
        if is_dask_collection(v):
            v = v.to_dask_array(lengths=True) if hasattr(v, "divisions") else v
            return v.rechunk({0: chunks}) if chunks is not None else v
        return da.from_array(np.asarray(v), chunks=chunks if chunks is not None else -1)

    y_pred = y_pred if is_dask_collection(y_pred) else da.from_array(np.asarray(y_pred))
    if any(np.isnan(c) for c in y_pred.chunks[0]):
        y_pred = y_pred.compute_chunk_sizes()
    chunks = y_pred.chunks[0]
    y_true = as_dask(y_true, chunks)
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"{[int(y_true.shape[0]), int(y_pred.shape[0])]}"
        )
    hit = (y_true.ravel() == y_pred).astype(np.float64)
    if sample_weight is None:
        num, den = hit.sum(), hit.shape[0]
    else:
        w = as_dask(sample_weight, chunks).astype(np.float64)
        num, den = (hit * w).sum(), w.sum()
    num, den = dask.compute(num, den)
    return float(num) / float(den)
