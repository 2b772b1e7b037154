"""scikit-learn's own parallel work (searches, cross-validation) on a Dask cluster.

:func:`parallel_backend` is joblib's ``"dask"`` backend with the client resolved when the
context is entered and the training data scattered to every worker once.
"""

from __future__ import annotations

from contextlib import contextmanager


def _default_client():
    try:
        from distributed import default_client  # `import dml` stays free of distributed

        return default_client()
    except (ImportError, ValueError):
        return None


@contextmanager
def parallel_backend(client=None, *, scatter=None, **backend_kwargs):
    """Run scikit-learn's joblib-parallel work on a Dask cluster.

    Inside the context, every ``joblib.Parallel`` call (scikit-learn's
    :class:`~sklearn.model_selection.GridSearchCV`, ``RandomizedSearchCV``,
    :func:`~sklearn.model_selection.cross_validate`, ensembles with ``n_jobs``, ...)
    sends its tasks to the cluster's workers.

    Parameters
    ----------
    client : distributed.Client, default=None
        The cluster to use. ``None``: the default client (the last ``Client()``
        created, or the one of the worker this runs on); when there is none, a
        ``distributed.LocalCluster`` with default settings (one worker process per
        group of cores) is started for the duration of the context and closed on exit.
    scatter : object or list of objects, default=None
        Data to send to every worker once, when the context is entered, typically
        ``[X, y]``. Tasks whose arguments are these very objects (scikit-learn passes
        the same ``X`` and ``y`` to every fit) receive the worker's copy instead of a
        new transfer. Without it, joblib still scatters large arguments once per
        ``Parallel`` call, to one worker, from where the others fetch them.
    **backend_kwargs
        Passed to joblib's Dask backend (e.g. ``wait_for_workers_timeout``) or to
        :func:`joblib.parallel_config` (``n_jobs``, ``verbose``, ...).

    Yields
    ------
    client : distributed.Client
        The client the tasks run on.

    Notes
    -----
    Computation: one task per batch of joblib calls (joblib sizes batches to keep
    each task above a fraction of a second); ``scatter`` costs one broadcast per
    object at entry. Use ``n_jobs=-1`` (or leave ``n_jobs=None``: the Dask backend
    then uses every worker thread) in the scikit-learn call. This is for in-memory
    data and scikit-learn estimators; for data that lives on the cluster as Dask
    arrays, use dml's estimators and :mod:`dml.model_selection`.

    Examples
    --------
    >>> from distributed import Client
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.svm import SVC
    >>> from dml.parallel import parallel_backend
    >>> X, y = make_classification(100, random_state=0)
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=2,
    ...                 dashboard_address=":0", set_as_default=False)
    >>> with parallel_backend(client, scatter=[X, y]):
    ...     search = GridSearchCV(SVC(), {"C": [0.1, 1, 10]}, cv=3, n_jobs=-1).fit(X, y)
    >>> sorted(search.best_params_)
    ['C']
    >>> client.close()
    """
    import joblib  # `import dml` stays free of joblib

    owned = []
    if client is None:
        client = _default_client()
    if client is None:
        from distributed import Client, LocalCluster  # only when no client is given

        cluster = LocalCluster(dashboard_address=None, silence_logs=40)
        owned.append(cluster)
        client = Client(cluster, set_as_default=False)
        owned.append(client)
    if scatter is not None and not isinstance(scatter, (list, tuple)):
        scatter = [scatter]
    try:
        with joblib.parallel_config(backend="dask", client=client, scatter=scatter, **backend_kwargs):
            yield client
    finally:
        for obj in reversed(owned):
            obj.close()
