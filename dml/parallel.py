"""Run scikit-learn's parallel work (searches, cross-validation) on a Dask cluster.

Examples
--------
>>> import dml.parallel
>>> with dml.parallel.parallel_backend(scatter=[X, y]):  # doctest: +SKIP
...     GridSearchCV(SVC(), grid, n_jobs=-1).fit(X, y)
"""

from dml._parallel import parallel_backend

__all__ = ["parallel_backend"]
