"""Lazy, chunked, reproducible versions of scikit-learn's sample generators.

Each generator draws its global parameters (centroids, mixing matrices, coefficients,
feature permutation) from ``random_state`` in the caller, and every row chunk draws its
rows from its own seed derived from ``(random_state, chunk index)``. So the same
``random_state`` and ``chunks`` give the same data on any scheduler or cluster, and data
sets larger than memory are generated where they are used, on the workers.
"""

from __future__ import annotations

import numbers

import numpy as np

from dml._config import get_config


def _base_seed(random_state):
    """An integer seed from ``random_state`` (None draws fresh entropy once)."""
    if random_state is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(random_state, numbers.Integral):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, got {random_state}.")
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    raise ValueError(
        f"random_state must be None, an int, a RandomState or a Generator; got {random_state!r}."
    )


def _row_chunks(n_samples, n_features, chunks, itemsize):
    if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be an int >= 1, got {n_samples!r}.")
    if chunks is None:
        rows = max(1, get_config()["chunk_bytes"] // max(1, n_features * itemsize))
    elif isinstance(chunks, numbers.Integral):
        if chunks < 1:
            raise ValueError(f"chunks must be >= 1, got {chunks}.")
        rows = int(chunks)
    else:
        chunks = tuple(int(c) for c in chunks)
        if sum(chunks) != n_samples or any(c < 1 for c in chunks):
            raise ValueError(f"chunks {chunks} must be positive row counts summing to n_samples={n_samples}.")
        return chunks
    full, rest = divmod(n_samples, rows)
    return (rows,) * full + ((rest,) if rest else ())


def _chunk_rng(seed, index):
    """Generator for chunk ``index`` (``-1``: the global parameters)."""
    return np.random.default_rng(np.random.SeedSequence([seed, index + 1]))


def _assemble(gen, rows, n_features, n_targets, dtype, y_dtype, params):
    """Build lazy X (and y) from a per-chunk generator ``gen(rng, n, **params) -> (X, y)``."""
    # Dask loads when a generator runs: `import dml.datasets` stays light.
    import dask
    import dask.array as da  # driver-side only: workers import this module for its chunk generators

    Xs, ys = [], []
    seed = params.pop("seed")
    for i, n in enumerate(rows):
        part = dask.delayed(_generate_chunk, nout=2, pure=True)(gen, seed, i, n, dtype, params)
        Xs.append(da.from_delayed(part[0], shape=(n, n_features), dtype=dtype, meta=np.empty((0, 0), dtype)))
        yshape = (n,) if n_targets is None else (n, n_targets)
        ys.append(
            da.from_delayed(part[1], shape=yshape, dtype=y_dtype, meta=np.empty((0,) * len(yshape), y_dtype))
        )
    return da.concatenate(Xs, axis=0), da.concatenate(ys, axis=0)


def _generate_chunk(gen, seed, index, n, dtype, params):
    X, y = gen(_chunk_rng(seed, index), n, **params)
    return X.astype(dtype, copy=False), y


# ------------------------------------------------------------------ classification


def _classification_rows(
    rng,
    n,
    *,
    cluster_p,
    centroids,
    mixers,
    n_classes_per,
    redundant,
    repeat_idx,
    n_useless,
    flip_y,
    n_classes,
    shift,
    scale,
    perm,
):
    cluster = rng.choice(len(cluster_p), size=n, p=cluster_p)
    n_inf = centroids.shape[1]
    Xi = rng.standard_normal((n, n_inf))
    for k in range(len(cluster_p)):
        rows = cluster == k
        if rows.any():
            Xi[rows] = Xi[rows] @ mixers[k] + centroids[k]
    parts = [Xi]
    if redundant is not None:
        parts.append(Xi @ redundant)
    if len(repeat_idx):
        parts.append(np.concatenate(parts, axis=1)[:, repeat_idx])
    if n_useless:
        parts.append(rng.standard_normal((n, n_useless)))
    X = np.concatenate(parts, axis=1)
    y = (cluster % n_classes_per).astype(np.int64)
    if flip_y > 0:
        flip = rng.random(n) < flip_y
        y[flip] = rng.integers(0, n_classes, size=int(flip.sum()))
    X = (X + shift) * scale
    return X[:, perm], y


def make_classification(
    n_samples=100,
    n_features=20,
    *,
    n_informative=2,
    n_redundant=2,
    n_repeated=0,
    n_classes=2,
    n_clusters_per_class=2,
    weights=None,
    flip_y=0.01,
    class_sep=1.0,
    hypercube=True,
    shift=0.0,
    scale=1.0,
    shuffle=True,
    random_state=None,
    chunks=None,
    dtype=np.float64,
):
    """Generate a random n-class classification problem as lazy, row-chunked Dask arrays.

    The model is scikit-learn's :func:`sklearn.datasets.make_classification`: gaussian
    clusters on the vertices of a hypercube in the informative subspace, then redundant
    (linear combinations), repeated and useless features, label noise ``flip_y``, shift
    and scale.

    Parameters
    ----------
    n_samples, n_features, n_informative, n_redundant, n_repeated, n_classes,
    n_clusters_per_class, weights, flip_y, class_sep, hypercube, shift, scale :
        As in scikit-learn. ``shift`` / ``scale`` may be None (random per feature).
    shuffle : bool, default=True
        Permute the features. Rows are always in random order within each chunk (each
        row's cluster is drawn independently), so there is no row ordering to undo.
    random_state : int, RandomState, Generator or None
        Same value (and same ``chunks``) gives the same data on any scheduler.
    chunks : int, tuple of int or None
        Rows per chunk (an int) or explicit row chunks; default about
        ``dml.get_config()["chunk_bytes"]`` per chunk.
    dtype : {np.float64, np.float32}, default=np.float64

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features)
    y : dask.array.Array of shape (n_samples,), int64

    Notes
    -----
    Computation: nothing is generated at call time. Each chunk is one task that draws
    its rows from its own seed; memory per task is one chunk. Rows are drawn
    independently, so class proportions follow ``weights`` in expectation (scikit-learn
    fixes the count per cluster exactly).

    Examples
    --------
    >>> from dml.datasets import make_classification
    >>> X, y = make_classification(1000, 5, n_informative=3, random_state=0, chunks=250)
    >>> X.chunks
    ((250, 250, 250, 250), (5,))
    """
    # Over 100 lines through its docstring (scikit-learn's parameters, one by one); the
    # body itself is short.
    if n_informative + n_redundant + n_repeated > n_features:
        raise ValueError(
            "Number of informative, redundant and repeated features must sum to less than "
            "the number of total features"
        )
    if n_informative < np.log2(n_classes * n_clusters_per_class):
        msg = "n_classes({}) * n_clusters_per_class({}) must be"
        msg += " smaller or equal 2**n_informative({})={}"
        raise ValueError(msg.format(n_classes, n_clusters_per_class, n_informative, 2**n_informative))
    if weights is not None:
        weights = list(weights)
        if len(weights) not in (n_classes, n_classes - 1):
            raise ValueError("Weights specified but incompatible with number of classes.")
        if len(weights) == n_classes - 1:
            weights.append(1.0 - sum(weights))
    else:
        weights = [1.0 / n_classes] * n_classes
    seed = _base_seed(random_state)
    rng = _chunk_rng(seed, -1)
    n_clusters = n_classes * n_clusters_per_class
    cluster_p = np.array([weights[k % n_classes] / n_clusters_per_class for k in range(n_clusters)])
    cluster_p = cluster_p / cluster_p.sum()
    if hypercube:
        if n_informative <= 30:
            # scikit-learn's own draw of the vertices (its _generate_hypercube): every vertex
            # in order when all are used, so the classes' layout is its layout (a random
            # order gave some seeds an XOR of opposite corners: no linear model separates it).
            # Imported here: the workers, which import this module for the chunk
            # generator, never need scikit-learn.
            from sklearn.utils.random import sample_without_replacement

            vertices = sample_without_replacement(
                2**n_informative, n_clusters, random_state=int(rng.integers(2**31 - 1))
            )
            centroids = ((vertices[:, None] >> np.arange(n_informative)) & 1).astype(float)
        else:
            centroids = rng.integers(0, 2, size=(n_clusters, n_informative)).astype(float)
        centroids = centroids * 2 * class_sep - class_sep
    else:
        centroids = rng.random((n_clusters, n_informative)) * 2 * class_sep - class_sep
    mixers = [2 * rng.random((n_informative, n_informative)) - 1 for _ in range(n_clusters)]
    redundant = 2 * rng.random((n_informative, n_redundant)) - 1 if n_redundant else None
    n_base = n_informative + n_redundant
    repeat_idx = (
        ((n_base - 1) * rng.random(n_repeated) + 0.5).astype(np.intp)
        if n_repeated
        else np.array([], dtype=np.intp)
    )
    shift = (
        (2 * rng.random(n_features) - 1) * class_sep
        if shift is None
        else np.broadcast_to(np.asarray(shift, dtype=float), (n_features,))
    )
    scale = (
        1 + 100 * rng.random(n_features)
        if scale is None
        else np.broadcast_to(np.asarray(scale, dtype=float), (n_features,))
    )
    perm = rng.permutation(n_features) if shuffle else np.arange(n_features)
    # labels: cluster k belongs to class k % n_classes
    rows = _row_chunks(n_samples, n_features, chunks, np.dtype(dtype).itemsize)
    return _assemble(
        _classification_rows,
        rows,
        n_features,
        None,
        np.dtype(dtype),
        np.int64,
        dict(
            seed=seed,
            cluster_p=cluster_p,
            centroids=centroids,
            mixers=mixers,
            n_classes_per=n_classes,
            redundant=redundant,
            repeat_idx=repeat_idx,
            n_useless=n_features - n_base - n_repeated,
            flip_y=flip_y,
            n_classes=n_classes,
            shift=shift,
            scale=scale,
            perm=perm,
        ),
    )


# ---------------------------------------------------------------------- regression


def _regression_rows(rng, n, *, coef, bias, noise, n_features, squeeze):
    X = rng.standard_normal((n, n_features))
    y = X @ coef + bias
    if noise > 0:
        y = y + noise * rng.standard_normal(y.shape)
    return X, (y[:, 0] if squeeze else y)


def make_regression(
    n_samples=100,
    n_features=100,
    *,
    n_informative=10,
    n_targets=1,
    bias=0.0,
    effective_rank=None,
    tail_strength=0.5,
    noise=0.0,
    shuffle=True,
    coef=False,
    random_state=None,
    chunks=None,
    dtype=np.float64,
):
    """Generate a random linear regression problem as lazy, row-chunked Dask arrays.

    As :func:`sklearn.datasets.make_regression`: standard normal X, a ground-truth
    coefficient vector with ``n_informative`` non-zero entries drawn from
    ``100 * U(0, 1)``, ``y = X @ coef + bias + noise * N(0, 1)``.

    Parameters
    ----------
    n_samples, n_features, n_informative, n_targets, bias, noise, shuffle, coef :
        As in scikit-learn (``shuffle`` permutes the features; rows are i.i.d.).
    effective_rank : None
        Only None: scikit-learn's low-rank design needs an ``n_samples x n_samples``
        orthogonal factor, which cannot be generated chunk by chunk; other values raise.
    tail_strength : float
        Only used with ``effective_rank``; accepted for signature compatibility.
    random_state, chunks, dtype :
        See :func:`make_classification`.

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features)
    y : dask.array.Array of shape (n_samples,) or (n_samples, n_targets)
    coef : ndarray of shape (n_features,) or (n_features, n_targets)
        Only when ``coef=True``.

    Notes
    -----
    Computation: lazy; one task per chunk; memory per task is one chunk.

    Examples
    --------
    >>> from dml.datasets import make_regression
    >>> X, y = make_regression(n_samples=1000, n_features=5, chunks=250, random_state=0)
    >>> X.shape, y.chunks
    ((1000, 5), ((250, 250, 250, 250),))
    """
    if effective_rank is not None:
        raise ValueError(
            "effective_rank is not supported by dml.datasets.make_regression: the low-rank "
            "design needs a global n_samples x n_samples factor. Use "
            "sklearn.datasets.make_regression for in-memory data."
        )
    n_informative = min(n_features, n_informative)
    seed = _base_seed(random_state)
    rng = _chunk_rng(seed, -1)
    ground = np.zeros((n_features, n_targets))
    ground[:n_informative, :] = 100 * rng.random((n_informative, n_targets))
    if shuffle:
        ground = ground[rng.permutation(n_features)]
    rows = _row_chunks(n_samples, n_features, chunks, np.dtype(dtype).itemsize)
    squeeze = n_targets == 1
    X, y = _assemble(
        _regression_rows,
        rows,
        n_features,
        None if squeeze else n_targets,
        np.dtype(dtype),
        np.float64,
        dict(seed=seed, coef=ground, bias=bias, noise=noise, n_features=n_features, squeeze=squeeze),
    )
    if coef:
        return X, y, (ground[:, 0] if squeeze else ground)
    return X, y


# --------------------------------------------------------------------------- blobs


def _blob_rows(rng, n, *, centers, cluster_std, n_features):
    label = rng.integers(0, len(centers), size=n)
    X = centers[label] + rng.standard_normal((n, n_features)) * cluster_std[label][:, None]
    return X, label.astype(np.int64)


def make_blobs(
    n_samples=100,
    n_features=2,
    *,
    centers=None,
    cluster_std=1.0,
    center_box=(-10.0, 10.0),
    shuffle=True,
    random_state=None,
    return_centers=False,
    chunks=None,
    dtype=np.float64,
):
    """Generate isotropic Gaussian blobs as lazy, row-chunked Dask arrays.

    Parameters
    ----------
    n_samples : int
        Total number of points (each point's blob is drawn uniformly). Per-blob counts
        (array-like ``n_samples``) are not supported and raise.
    n_features, centers, cluster_std, center_box, return_centers :
        As in :func:`sklearn.datasets.make_blobs` (``centers`` int or array; default 3).
    shuffle : bool, default=True
        Accepted for compatibility: rows are always in random blob order.
    random_state, chunks, dtype :
        See :func:`make_classification`.

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features)
    y : dask.array.Array of shape (n_samples,), int64 blob labels
    centers : ndarray of shape (n_centers, n_features)
        Only when ``return_centers=True``.

    Notes
    -----
    Computation: lazy; one task per chunk; memory per task is one chunk.

    Examples
    --------
    >>> from dml.datasets import make_blobs
    >>> X, y = make_blobs(n_samples=1000, centers=3, chunks=250, random_state=0)
    >>> X.chunks  # lazy: each chunk is generated by its own task
    ((250, 250, 250, 250), (2,))
    >>> sorted(set(y.compute().tolist()))
    [0, 1, 2]
    """
    if not isinstance(n_samples, numbers.Integral):
        raise ValueError(
            "dml.datasets.make_blobs takes an int n_samples; per-blob counts are not "
            "supported (use sklearn.datasets.make_blobs for in-memory data)."
        )
    seed = _base_seed(random_state)
    rng = _chunk_rng(seed, -1)
    if centers is None:
        centers = 3
    if isinstance(centers, numbers.Integral):
        centers = rng.uniform(center_box[0], center_box[1], size=(centers, n_features))
    else:
        centers = np.asarray(centers, dtype=float)
        if centers.ndim != 2:
            raise ValueError(f"centers must be an int or a 2-D array, got shape {centers.shape}.")
        n_features = centers.shape[1]
    stds = np.broadcast_to(np.asarray(cluster_std, dtype=float), (len(centers),)).copy()
    if len(np.atleast_1d(cluster_std)) not in (1, len(centers)):
        raise ValueError(
            "Length of `clusters_std` not consistent with number of centers. Got centers = "
            f"{centers} and cluster_std = {cluster_std}"
        )
    rows = _row_chunks(n_samples, n_features, chunks, np.dtype(dtype).itemsize)
    X, y = _assemble(
        _blob_rows,
        rows,
        n_features,
        None,
        np.dtype(dtype),
        np.int64,
        dict(seed=seed, centers=centers, cluster_std=stds, n_features=n_features),
    )
    if return_centers:
        return X, y, centers
    return X, y


# -------------------------------------------------------------------------- counts


def _count_rows(rng, n, *, informative, beta, n_features):
    X = rng.standard_normal((n, n_features))
    rate = np.exp(X[:, informative] @ beta)
    return X, rng.poisson(rate).astype(np.int64)


def make_counts(
    n_samples=1000,
    n_features=100,
    n_informative=2,
    scale=1.0,
    chunks=100,
    random_state=None,
    *,
    dtype=np.float64,
):
    """Generate count data from a Poisson model, as lazy, row-chunked Dask arrays.

    dask-ml's generator: standard normal ``X``, ``n_informative`` features (chosen at
    random) with coefficients ``beta`` drawn from ``scale * U(-1, 0)``, and
    ``y ~ Poisson(exp(X[:, informative] @ beta))``: a data set for Poisson regression
    (:class:`dml.linear_model.PoissonRegressor`).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=100
        Number of columns of ``X``.
    n_informative : int, default=2
        Number of features the rate depends on (distinct features, at most
        ``n_features``).
    scale : float, default=1.0
        Scale of the coefficients: ``beta = scale * (U(0, 1) - 1)``.
    chunks : int or tuple of int, default=100
        Rows per chunk (an int, dask-ml's default) or explicit row chunks.
    random_state : int, RandomState, Generator or None
        Same value (and same ``chunks``) gives the same data on any scheduler.
    dtype : {np.float64, np.float32}, default=np.float64
        dtype of ``X``.

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features)
    y : dask.array.Array of shape (n_samples,), int64
        Non-negative counts.

    Notes
    -----
    Computation: lazy; one task per chunk draws its rows of ``X`` and their counts from
    its own seed; memory per task is one chunk. (dask-ml draws the informative features
    with replacement; they are distinct here.)

    Examples
    --------
    >>> from dml.datasets import make_counts
    >>> X, y = make_counts(n_samples=1000, n_features=5, chunks=250, random_state=0)
    >>> X.chunks
    ((250, 250, 250, 250), (5,))
    >>> bool((y >= 0).all().compute()), y.dtype
    (True, dtype('int64'))
    """
    if not isinstance(n_features, numbers.Integral) or n_features < 1:
        raise ValueError(f"n_features must be an int >= 1, got {n_features!r}.")
    if not isinstance(n_informative, numbers.Integral) or not 0 <= n_informative <= n_features:
        raise ValueError(
            f"n_informative must be an int between 0 and n_features={n_features}, got {n_informative!r}."
        )
    seed = _base_seed(random_state)
    rng = _chunk_rng(seed, -1)
    informative = np.sort(rng.choice(n_features, n_informative, replace=False))
    beta = (rng.random(n_informative) - 1.0) * scale
    rows = _row_chunks(n_samples, n_features, chunks, np.dtype(dtype).itemsize)
    return _assemble(
        _count_rows,
        rows,
        n_features,
        None,
        np.dtype(dtype),
        np.int64,
        dict(seed=seed, informative=informative, beta=beta, n_features=n_features),
    )
