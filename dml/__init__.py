"""dml: scikit-learn-compatible estimators that train and predict as Dask task graphs.

Importing :mod:`dml` is cheap and has no side effects: it imports neither CuPy nor
``distributed``; estimator families load when their subpackage is imported.
"""

from dml._config import config_context, get_config, set_config

__version__ = "0.1.0"

__all__ = ["__version__", "config_context", "get_config", "set_config"]
