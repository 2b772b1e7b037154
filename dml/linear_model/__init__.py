"""Linear models trained over row-chunked data."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_coordinate_descent": ["ElasticNet", "ElasticNetCV", "Lasso", "LassoCV"],
        "_glm": ["GammaRegressor", "PoissonRegressor", "TweedieRegressor"],
        "_linear": ["LinearRegression"],
        "_logistic": ["LogisticRegression"],
        "_logistic_cv": ["LogisticRegressionCV"],
        "_ridge": ["Ridge", "RidgeCV"],
        "_summary": ["LinearModelSummary"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.linear_model._coordinate_descent import ElasticNet, ElasticNetCV, Lasso, LassoCV  # noqa: F401
    from dml.linear_model._glm import GammaRegressor, PoissonRegressor, TweedieRegressor  # noqa: F401
    from dml.linear_model._linear import LinearRegression  # noqa: F401
    from dml.linear_model._logistic import LogisticRegression  # noqa: F401
    from dml.linear_model._logistic_cv import LogisticRegressionCV  # noqa: F401
    from dml.linear_model._ridge import Ridge, RidgeCV  # noqa: F401
    from dml.linear_model._summary import LinearModelSummary  # noqa: F401
