"""Plumbing shared by every dml estimator."""

from __future__ import annotations

import functools

import numpy as np
from sklearn.base import TransformerMixin as _SkTransformerMixin

from dml._compat.sklearn import (
    get_output_config,
    validate_parameter_constraints,
    wrap_data_with_container,
)
from dml._engine.namespace import is_dask_collection, to_numpy


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


# ----------------------------------------------------------------- set_output on Dask


def _dask_container(out, X, estimator):
    """``out`` (a Dask result of ``transform(X)``) in the configured container."""
    config = get_output_config("transform", estimator)["dense"]
    if config == "default" or not hasattr(estimator, "get_feature_names_out"):
        return out
    if isinstance(out, tuple):
        return out
    import dask.dataframe as dd

    meta = getattr(out, "_meta", None)
    if meta is not None and hasattr(meta, "tocsr"):
        raise ValueError(
            "The transformer outputs a scipy sparse matrix. Try to set the transformer "
            "output to a dense array or disable "
            f"{config.capitalize()} output with set_output(transform='default')."
        )
    if config != "pandas":
        raise ValueError(
            f"set_output(transform={config!r}) is not available for Dask input: dml "
            "gives a Dask DataFrame with transform='pandas', or a Dask array with "
            "transform='default'."
        )
    columns = list(estimator.get_feature_names_out())
    if isinstance(out, dd.DataFrame):
        return out.rename(columns=dict(zip(out.columns, columns)))
    if out.ndim != 2:
        return out
    if out.chunksize[1] != out.shape[1]:
        out = out.rechunk({1: -1})
    index = X.index if isinstance(X, dd.DataFrame | dd.Series) else None
    if index is not None and out.numblocks[0] == X.npartitions:
        return out.to_dask_dataframe(columns=columns, index=index)
    return out.to_dask_dataframe(columns=columns)


def _wrap_transform(method):
    @functools.wraps(method)
    def wrapped(self, X, *args, **kwargs):
        out = method(self, X, *args, **kwargs)
        if is_dask_collection(out) or (isinstance(out, tuple) and any(map(is_dask_collection, out))):
            return _dask_container(out, X, self)
        if isinstance(out, tuple):  # (Xt, ...) as scikit-learn: only the first is wrapped
            return (wrap_data_with_container("transform", out[0], X, self), *out[1:])
        return wrap_data_with_container("transform", out, X, self)

    wrapped._dml_output = True
    return wrapped


class TransformerMixin(_SkTransformerMixin):
    """scikit-learn's ``TransformerMixin`` whose ``set_output`` also covers Dask input.

    With ``set_output(transform="pandas")`` (or scikit-learn's global
    ``transform_output="pandas"``), in-memory input gives what scikit-learn gives (a
    pandas DataFrame with the input's index and ``get_feature_names_out()`` as columns),
    and Dask input gives a lazy Dask DataFrame with those columns, partitioned as the
    output's row chunks (the input DataFrame's partitions and index when it is one).
    ``transform="default"`` returns what ``transform`` returns. dml's transformers
    inherit this instead of scikit-learn's mixin; it wraps ``transform`` and
    ``fit_transform`` of each subclass that defines them, as scikit-learn does.

    Notes
    -----
    Computation: nothing; the conversion of a Dask result is lazy (no lengths are
    computed: unknown row chunk lengths stay unknown divisions).
    """

    def __init_subclass__(cls, auto_wrap_output_keys=("transform",), **kwargs):
        # the methods as the class resolves them before scikit-learn wraps its own ones
        # (a transform from a mixin that is not a transformer is wrapped too)
        methods = {m: getattr(cls, m) for m in ("transform", "fit_transform") if hasattr(cls, m)}
        super().__init_subclass__(auto_wrap_output_keys=auto_wrap_output_keys, **kwargs)
        if auto_wrap_output_keys is None or "transform" not in auto_wrap_output_keys:
            return
        for name, method in methods.items():
            if not getattr(method, "_dml_output", False):
                setattr(cls, name, _wrap_transform(method))

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to data, then transform it (scikit-learn's ``fit_transform``).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
        **fit_params : dict
            Passed to ``fit``.

        Returns
        -------
        X_new : array, Dask array or DataFrame
            In the container that ``set_output`` configured.
        """
        return _SkTransformerMixin.fit_transform.__wrapped__(self, X, y, **fit_params)


# scikit-learn's own __init_subclass__ wrapped the method above with its container
# wrapper, which cannot hold a Dask result: replace it with dml's.
TransformerMixin.fit_transform = _wrap_transform(TransformerMixin.fit_transform.__wrapped__)
