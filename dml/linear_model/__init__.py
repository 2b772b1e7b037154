"""Linear models trained over row-chunked data."""

from dml.linear_model._coordinate_descent import ElasticNet, ElasticNetCV, Lasso, LassoCV
from dml.linear_model._glm import GammaRegressor, PoissonRegressor, TweedieRegressor
from dml.linear_model._linear import LinearRegression
from dml.linear_model._logistic import LogisticRegression
from dml.linear_model._logistic_cv import LogisticRegressionCV
from dml.linear_model._ridge import Ridge, RidgeCV
from dml.linear_model._summary import LinearModelSummary

__all__ = [
    "ElasticNet",
    "ElasticNetCV",
    "GammaRegressor",
    "Lasso",
    "LassoCV",
    "LinearModelSummary",
    "LinearRegression",
    "LogisticRegression",
    "LogisticRegressionCV",
    "PoissonRegressor",
    "Ridge",
    "RidgeCV",
    "TweedieRegressor",
]
