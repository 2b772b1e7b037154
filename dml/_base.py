"""Plumbing shared by every dml estimator."""

from __future__ import annotations

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


class RegressorScoreMixin:
    """``score`` of dml's regressors: :func:`dml.metrics.r2_score` of ``predict(X)``.

    scikit-learn's ``RegressorMixin.score`` with the metric computed by dml: exactly
    scikit-learn's value for in-memory input, one lazy pass (no gathering of ``y`` or
    the predictions) for Dask input. Put it before ``RegressorMixin`` in the bases.
    """

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 of ``self.predict(X)`` against ``y``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        score : float
            R^2 averaged uniformly over the outputs, as scikit-learn's.

        Notes
        -----
        Computation: ``predict`` plus one pass over ``y`` and the predictions.
        """
        from dml.metrics import r2_score

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))
