"""ConstantFunction: a model whose score is its ``value`` parameter (dask-ml's test
utility of the same name), for testing adaptive searches without training anything."""

from __future__ import annotations

from sklearn.base import BaseEstimator


class ConstantFunction(BaseEstimator):
    def __init__(self, value=0.0):
        self.value = value

    def partial_fit(self, X, y=None, **fit_params):
        self.n_partial_fit_calls_ = getattr(self, "n_partial_fit_calls_", 0) + 1
        return self

    def fit(self, X, y=None, **fit_params):
        return self.partial_fit(X, y, **fit_params)

    def score(self, X, y=None):
        return self.value
