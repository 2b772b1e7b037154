"""Plumbing shared by every dml estimator."""

from __future__ import annotations

import numpy as np

from dml._compat.sklearn import validate_parameter_constraints
from dml._engine.namespace import to_numpy


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
        from dml.metrics import r2_score  # metrics imports the estimators' base: a cycle at load

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))


class LazyAttributesPickleMixin:
    """Pickling without the cluster for estimators whose fitted attributes can be lazy.

    A fitted attribute that is a Dask collection (``labels_`` of a clustering fitted on
    Dask input) is a graph over the training data: pickled, it would carry that graph,
    and any persisted chunks in it would be futures tied to the cluster that made them.
    Such attributes are therefore left out of the pickle; after loading, reading one
    raises an ``AttributeError`` that says how to get it again (``predict`` on the
    training data). Everything else (centers, coefficients: NumPy) pickles as usual.
    """

    def __getstate__(self):
        state = super().__getstate__()
        # is_dask_collection without importing the engine's validation layer
        lazy = tuple(k for k, v in state.items() if hasattr(v, "__dask_graph__"))
        if lazy:
            state = {k: v for k, v in state.items() if k not in lazy}
            state["_lazy_not_pickled"] = lazy
        return state

    def __getattr__(self, name):
        # only called when normal lookup fails
        if name in vars(self).get("_lazy_not_pickled", ()):
            raise AttributeError(
                f"{name} was a lazy Dask array over the training data and is not kept "
                f"when a {type(self).__name__} is pickled; call predict on the training "
                "data to compute it again."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class CpuMixin:
    """``to_cpu()`` for estimators that can be fitted on GPU (CuPy) chunks."""

    def to_cpu(self):
        """Move the fitted array attributes to host memory (NumPy), in place.

        A model fitted on CuPy data keeps its fitted arrays (``coef_``,
        ``cluster_centers_``, ..., and private fitted state such as running sums) on the
        GPU; after ``to_cpu()`` they are NumPy arrays,
        so the model predicts on NumPy input and pickles for a machine without a GPU.
        Attributes already on the host are left as they are.

        Returns
        -------
        self : object
            The estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.preprocessing import StandardScaler
        >>> scaler = StandardScaler().fit(np.array([[0.0], [2.0]])).to_cpu()
        >>> type(scaler.mean_).__name__
        'ndarray'
        """
        params = self.get_params(deep=False)
        for name, value in list(vars(self).items()):
            # fitted state, public or private; constructor parameters stay as given
            if (
                name not in params
                and hasattr(value, "shape")
                and not isinstance(value, np.ndarray)
                and not hasattr(value, "__dask_graph__")
            ):
                setattr(self, name, to_numpy(value))
        return self
