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


def _aligned_lazy(y_true, y_pred, sample_weight):
    """``y_true``, ``y_pred`` (and weights) as Dask arrays with the same row chunks."""
    import dask.array as da

    from dml._engine.inputs import is_dask_collection

    def as_dask(v, chunks):
        if is_dask_collection(v):
            v = v.to_dask_array(lengths=True) if hasattr(v, "divisions") else v
            return v.rechunk({0: chunks})
        return da.from_array(np.asarray(v), chunks={0: chunks})

    y_pred = y_pred if is_dask_collection(y_pred) else da.from_array(np.asarray(y_pred))
    if any(np.isnan(c) for c in y_pred.chunks[0]):
        y_pred = y_pred.compute_chunk_sizes()
    chunks = y_pred.chunks[0]
    y_true = y_true if is_dask_collection(y_true) else np.asarray(y_true)
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"{[int(y_true.shape[0]), int(y_pred.shape[0])]}"
        )
    y_true = as_dask(y_true, chunks)
    w = None if sample_weight is None else as_dask(sample_weight, chunks).astype(np.float64)
    return y_true, y_pred, w


def lazy_accuracy(y_true, y_pred, sample_weight=None):
    """Accuracy of ``y_pred`` against ``y_true``; one pass when either is a Dask array.

    In-memory inputs go to :func:`sklearn.metrics.accuracy_score` (its checks and
    messages); lazy ones are compared blockwise and reduced in a single ``compute``.
    """
    import dask

    from dml._engine.inputs import is_dask_collection

    if not any(is_dask_collection(v) for v in (y_true, y_pred, sample_weight)):
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))
    y_true, y_pred, w = _aligned_lazy(y_true, y_pred, sample_weight)
    hit = (y_true.ravel() == y_pred).astype(np.float64)
    num, den = (hit.sum(), hit.shape[0]) if w is None else ((hit * w).sum(), w.sum())
    num, den = dask.compute(num, den)
    return float(num) / float(den)


def lazy_r2(y_true, y_pred, sample_weight=None):
    """R^2 of ``y_pred`` (uniform average over outputs); one pass on Dask input.

    In-memory inputs go to :func:`sklearn.metrics.r2_score`. On Dask input the sums
    ``sum(w)``, ``sum(w y)``, ``sum(w y^2)`` and ``sum(w (y - y_pred)^2)`` are computed
    together in one ``compute``.
    """
    import dask

    from dml._engine.inputs import is_dask_collection

    if not any(is_dask_collection(v) for v in (y_true, y_pred, sample_weight)):
        from sklearn.metrics import r2_score

        return float(r2_score(y_true, y_pred, sample_weight=sample_weight))
    y_true, y_pred, w = _aligned_lazy(y_true, y_pred, sample_weight)
    y_true = y_true.astype(np.float64)
    if y_true.ndim == 1:
        y_true, y_pred = y_true[:, None], y_pred.reshape((-1, 1))
    ww = 1.0 if w is None else w[:, None]
    sums = dask.compute(
        (ww * (y_true * 0 + 1)).sum(axis=0), (ww * y_true).sum(axis=0),
        (ww * y_true**2).sum(axis=0), (ww * (y_true - y_pred) ** 2).sum(axis=0),
    )
    sw, s1, s2, sse = (np.asarray(v, dtype=np.float64) for v in sums)
    sst = s2 - s1**2 / sw
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(sst > 0, 1 - sse / sst, np.where(sse == 0, 1.0, 0.0))
    return float(np.mean(r2))
