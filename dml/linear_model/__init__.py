"""Linear models trained over row-chunked data."""

from dml.linear_model._linear import LinearRegression
from dml.linear_model._glm import GammaRegressor, PoissonRegressor, TweedieRegressor
from dml.linear_model._logistic import LogisticRegression

__all__ = ["LinearRegression", "LogisticRegression",
    "PoissonRegressor", "GammaRegressor", "TweedieRegressor"]
