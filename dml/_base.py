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
