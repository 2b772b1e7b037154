"""Chunk functions of :class:`dml.calibration.CalibratedClassifierCV`: the response of a
fitted classifier on one chunk and the calibrated probabilities of one chunk. They
import only NumPy and the engine's light modules (the fitted objects they receive bring
their own modules)."""

from __future__ import annotations

import numpy as np

from dml._engine.namespace import to_numpy


def response_block(X, *, estimator, method):
    """The classifier's response on one chunk as scikit-learn's calibration reads it:
    ``(n, 1)`` for a binary problem (the decision values, or the probability of
    ``classes_[1]``), ``(n, n_classes)`` otherwise."""
    out = np.asarray(to_numpy(getattr(estimator, method)(X)), dtype=np.float64)
    if out.ndim == 1:
        return out[:, None]
    if method == "predict_proba" and out.shape[1] == 2:
        return out[:, 1:2]
    return out


def calibrated_proba_block(X, *, folds):
    """The mean over ``folds`` (fitted classifier and calibration pairs) of the
    calibrated probabilities of one chunk, summed in scikit-learn's order."""
    mean = None
    for f in folds:
        proba = f.calibration.predict_proba(response_block(X, estimator=f.estimator, method=f.method))
        mean = proba.astype(np.float64) if mean is None else mean + proba
    return mean / len(folds)


def labels_block(P, *, classes):
    """The label of each row's most probable class (``classes[argmax]``)."""
    return np.asarray(classes)[np.argmax(to_numpy(P), axis=1)]


__all__ = ["calibrated_proba_block", "labels_block", "response_block"]
