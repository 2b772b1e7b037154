"""Discovery of every public dml estimator."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClusterMixin,
    RegressorMixin,
    TransformerMixin,
)

import dml

# Subpackages that hold no estimators (or are private).
_SKIP = {"utils", "datasets", "demo"}


def all_estimators(type_filter=None):
    """Every public estimator class of dml, as sorted ``(name, class)`` pairs.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "cluster"} or list, optional
        Keep only estimators of these kinds (scikit-learn's mixin-based kinds).

    Returns
    -------
    estimators : list of (str, type)

    Notes
    -----
    Walks the public subpackages of :mod:`dml` and collects the ``BaseEstimator``
    subclasses named in their ``__all__``; a new family is listed as soon as its
    subpackage exports it.

    Examples
    --------
    >>> from dml.utils import all_estimators
    >>> names = [name for name, cls in all_estimators(type_filter="cluster")]
    >>> "KMeans" in names
    True
    """
    found = {}
    for info in pkgutil.iter_modules(dml.__path__):
        if info.name.startswith("_") or info.name in _SKIP or not info.ispkg:
            continue
        module = importlib.import_module(f"dml.{info.name}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            # a public submodule (dml.feature_extraction.text): its own names too
            members = [(n, getattr(obj, n)) for n in obj.__all__] if inspect.ismodule(obj) else [(name, obj)]
            for member, value in members:
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseEstimator)
                    and not inspect.isabstract(value)
                ):
                    found[member] = value
    estimators = sorted(found.items())
    if type_filter is None:
        return estimators
    kinds = {
        "classifier": ClassifierMixin,
        "regressor": RegressorMixin,
        "transformer": TransformerMixin,
        "cluster": ClusterMixin,
    }
    filters = [type_filter] if isinstance(type_filter, str) else list(type_filter)
    unknown = [f for f in filters if f not in kinds]
    if unknown:
        raise ValueError(
            f"Parameter type_filter must be 'classifier', 'regressor', 'transformer', "
            f"'cluster' or None, got {unknown!r}."
        )
    return [(n, c) for n, c in estimators if any(issubclass(c, kinds[f]) for f in filters)]
