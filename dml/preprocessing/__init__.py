"""Scalers, normalizers and encoders that fit in one pass over row-chunked data."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_categorical": ["Categorizer", "DummyEncoder"],
        "_data": ["MinMaxScaler", "StandardScaler"],
        "_discretization": ["KBinsDiscretizer"],
        "_encoders": ["OneHotEncoder", "OrdinalEncoder"],
        "_function_transformer": ["FunctionTransformer"],
        "_label": ["LabelEncoder"],
        "_polynomial": ["PolynomialFeatures"],
        "_power": ["PowerTransformer"],
        "_quantile": ["QuantileTransformer"],
        "_robust": ["RobustScaler"],
        "_scale": ["MaxAbsScaler", "Normalizer"],
        "_target_encoder": ["TargetEncoder"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.preprocessing._categorical import Categorizer, DummyEncoder  # noqa: F401
    from dml.preprocessing._data import MinMaxScaler, StandardScaler  # noqa: F401
    from dml.preprocessing._discretization import KBinsDiscretizer  # noqa: F401
    from dml.preprocessing._encoders import OneHotEncoder, OrdinalEncoder  # noqa: F401
    from dml.preprocessing._function_transformer import FunctionTransformer  # noqa: F401
    from dml.preprocessing._label import LabelEncoder  # noqa: F401
    from dml.preprocessing._polynomial import PolynomialFeatures  # noqa: F401
    from dml.preprocessing._power import PowerTransformer  # noqa: F401
    from dml.preprocessing._quantile import QuantileTransformer  # noqa: F401
    from dml.preprocessing._robust import RobustScaler  # noqa: F401
    from dml.preprocessing._scale import MaxAbsScaler, Normalizer  # noqa: F401
    from dml.preprocessing._target_encoder import TargetEncoder  # noqa: F401
