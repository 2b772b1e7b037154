"""Generators of Dask DataFrames (dask-ml's make_classification_df) and random dates."""

from __future__ import annotations

import datetime
import numbers

import numpy as np

from dml.datasets._samples_generator import _base_seed, make_classification


def _seconds_between(start, end):
    """Whole seconds from ``start`` to ``end`` (dates or datetimes), checked positive."""
    if not isinstance(start, datetime.date) or not isinstance(end, datetime.date):
        raise TypeError(
            f"start and end must be datetime.date or datetime.datetime objects, got "
            f"{type(start).__name__} and {type(end).__name__}."
        )
    seconds = int((end - start).total_seconds())
    if seconds < 1:
        raise ValueError(f"end ({end}) must be at least one second after start ({start}).")
    return seconds


def random_date(start, end, random_state=None):
    """A random datetime between ``start`` (included) and ``end`` (excluded), to the second.

    Parameters
    ----------
    start, end : datetime.date or datetime.datetime
        The range; ``end`` must be at least one second after ``start``.
    random_state : int, RandomState instance or None, default=None
        ``None`` draws from NumPy's global random state (as dask-ml's ``random_date``,
        so ``np.random.seed`` makes it reproducible); an int or a RandomState draws from
        that generator.

    Returns
    -------
    date : datetime.datetime or datetime.date
        ``start`` plus a random whole number of seconds; a ``datetime.date`` start gives
        a ``date`` (Python's ``date + timedelta`` keeps whole days), as dask-ml's.

    Examples
    --------
    >>> from datetime import datetime
    >>> from dml.datasets import random_date
    >>> d = random_date(datetime(2020, 1, 1), datetime(2020, 12, 31), random_state=0)
    >>> datetime(2020, 1, 1) <= d < datetime(2020, 12, 31)
    True
    """
    # scikit-learn's check_random_state: imported when called (datasets stays light)
    from sklearn.utils import check_random_state

    seconds = _seconds_between(start, end)
    draw = np.random.randint if random_state is None else check_random_state(random_state).randint
    return start + datetime.timedelta(seconds=int(draw(seconds)))


def _date_rows(seed, index, n, start, seconds):
    """``n`` random datetimes for chunk ``index``: their own stream, apart from X's."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, index + 1, 1]))
    offsets = rng.integers(0, seconds, size=n).astype("timedelta64[s]")
    return (np.datetime64(start, "s") + offsets).astype("datetime64[ns]")


def _frame_part(X, y, dates, start_row, columns):
    import pandas as pd  # on the worker that builds the partition

    index = pd.RangeIndex(start_row, start_row + len(X))
    frame = pd.DataFrame(X, columns=columns, index=index)
    if dates is not None:
        frame["date"] = dates
    return frame, pd.Series(y, index=index, name="target")


def make_classification_df(
    n_samples=10000,
    response_rate=0.5,
    predictability=0.1,
    random_state=None,
    chunks=None,
    dates=None,
    **kwargs,
):
    """A binary classification problem as a Dask DataFrame and Series (dask-ml's).

    The data are :func:`make_classification`'s with two classes:
    ``weights=[1 - response_rate, response_rate]`` and label noise
    ``flip_y = 1 - predictability``. Columns are named ``var0``, ``var1``, ...; with
    ``dates`` a ``date`` column of random datetimes is added.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of rows.
    response_rate : float in (0, 1), default=0.5
        Fraction of rows of class 1 before the label noise (the noise draws labels
        uniformly, so the observed rate is ``response_rate * predictability +
        (1 - predictability) / 2``).
    predictability : float in [0, 1], default=0.1
        How easy the target is to predict: 1 means no label noise, 0 pure noise.
    random_state : int, RandomState, Generator or None
        Same value (and same ``chunks``) gives the same data on any scheduler.
    chunks : int, tuple of int or None
        Rows per partition, as :func:`make_classification`.
    dates : tuple of (start, end), default=None
        ``datetime.date`` / ``datetime.datetime`` bounds of the ``date`` column; each row
        gets its own random datetime, to the second, in ``[start, end)``.
    **kwargs
        Other parameters of :func:`make_classification` (``n_features``,
        ``n_informative``, ``class_sep``, ...); ``n_classes`` must be 2.

    Returns
    -------
    X : dask.dataframe.DataFrame of shape (n_samples, n_features) or (n_samples, n_features + 1)
        Float columns ``var0 ... var{n_features - 1}`` (and ``date``, datetime64[ns]),
        with known divisions: the index is the row number.
    y : dask.dataframe.Series of shape (n_samples,)
        The int64 ``target``, partitioned like ``X``.

    Notes
    -----
    Computation: lazy; one task per partition draws the rows (the same rows as
    ``make_classification`` with these parameters) and their dates, and builds the
    pandas partitions of ``X`` and ``y``; memory per task is one partition. Unlike
    dask-ml's (one date repeated on every row, drawn from NumPy's global state), every
    row has its own date drawn from ``random_state``.

    Examples
    --------
    >>> from datetime import date
    >>> from dml.datasets import make_classification_df
    >>> X, y = make_classification_df(n_samples=1000, n_features=4, chunks=250, random_state=0,
    ...                               dates=(date(2021, 1, 1), date(2022, 1, 1)))
    >>> list(X.columns)
    ['var0', 'var1', 'var2', 'var3', 'date']
    >>> X.npartitions, y.name
    (4, 'target')
    """
    # Dask and pandas load when the generator runs: `import dml.datasets` stays light.
    import dask
    import dask.dataframe as dd
    import pandas as pd

    if kwargs.get("n_classes", 2) != 2:
        raise ValueError(
            f"make_classification_df makes a binary target: n_classes must be 2, got {kwargs['n_classes']}."
        )
    for name in ("flip_y", "weights"):
        if name in kwargs:
            raise TypeError(f"make_classification_df sets {name} from response_rate and predictability.")
    if not isinstance(response_rate, numbers.Real) or not 0 < response_rate < 1:
        raise ValueError(f"response_rate must be in (0, 1), got {response_rate!r}.")
    if not isinstance(predictability, numbers.Real) or not 0 <= predictability <= 1:
        raise ValueError(f"predictability must be in [0, 1], got {predictability!r}.")
    seed = _base_seed(random_state)
    if dates is not None:
        start, end = dates
        seconds = _seconds_between(start, end)
    X, y = make_classification(
        n_samples=n_samples,
        flip_y=1.0 - predictability,
        weights=[1.0 - response_rate, response_rate],
        random_state=seed,
        chunks=chunks,
        **kwargs,
    )
    columns = [f"var{i}" for i in range(X.shape[1])]
    rows = X.chunks[0]
    starts = np.concatenate([[0], np.cumsum(rows)]).astype(int)
    date_parts = [None] * len(rows)
    if dates is not None:
        date_parts = [
            dask.delayed(_date_rows, pure=True)(seed, i, n, start, seconds) for i, n in enumerate(rows)
        ]
    make = dask.delayed(_frame_part, nout=2, pure=True)
    parts = [
        make(Xc, yc, dc, int(s), columns)
        for Xc, yc, dc, s in zip(X.to_delayed().ravel(), y.to_delayed().ravel(), date_parts, starts)
    ]
    meta_X = pd.DataFrame({c: np.empty(0, X.dtype) for c in columns})
    if dates is not None:
        meta_X["date"] = np.empty(0, "datetime64[ns]")
    meta_y = pd.Series(np.empty(0, np.int64), name="target")
    divisions = tuple(int(v) for v in starts[:-1]) + (int(starts[-1]) - 1,)
    X_df = dd.from_delayed([p[0] for p in parts], meta=meta_X, divisions=divisions, verify_meta=False)
    y_s = dd.from_delayed([p[1] for p in parts], meta=meta_y, divisions=divisions, verify_meta=False)
    return X_df, y_s
