"""Run scikit-learn's parallel work (searches, cross-validation) on a Dask cluster.

:func:`parallel_backend` is a context manager: inside it, every ``joblib.Parallel``
call of scikit-learn (searches with ``n_jobs``, ``cross_validate``, ensembles) sends its
tasks to the cluster; its docstring has a runnable example. Without a ``client`` it
starts a ``LocalCluster`` for the duration of the block.
"""

from dml._parallel import parallel_backend

__all__ = ["parallel_backend"]
