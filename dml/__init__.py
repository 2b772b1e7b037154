"""dml: scikit-learn-compatible estimators that train and predict as Dask task graphs.

Importing :mod:`dml` is cheap and has no side effects: it imports neither CuPy nor
``distributed``; estimator families load when their subpackage is imported.
"""

from dml._config import __version__, config_context, get_config, set_config

__all__ = ["__version__", "config_context", "get_config", "parallel_backend", "set_config"]


def __getattr__(name):
    # Imported on first use, so that `import dml` stays free of Dask and joblib.
    if name == "parallel_backend":
        from dml._parallel import parallel_backend

        return parallel_backend
    raise AttributeError(f"module 'dml' has no attribute {name!r}")
