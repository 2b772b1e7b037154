"""Splitters and train_test_split for Dask arrays, without index arrays the size of the data.

In-memory input goes to scikit-learn (identical results). For Dask input:

- every random choice is made *per row block*, from a generator seeded by
  ``(seed, block index)`` where ``seed`` is drawn once from ``random_state``: the result
  depends on ``random_state`` and the row chunks, never on the scheduler, the number of
  workers or the order in which tasks run;
- the sizes are scikit-learn's (``_validate_shuffle_split``), shared out among the blocks
  in proportion to their lengths (largest remainder), so the chunks of the outputs are
  known without reading any data;
- index arrays are lazy Dask arrays (one small task per block), generated where they
  are used; nothing of the size of the data is built in the caller.
"""

from __future__ import annotations

import dask
import numpy as np
from sklearn import model_selection as sk_ms
from sklearn.utils import check_random_state

from dml._compat.sklearn import _approximate_mode, _validate_shuffle_split
from dml._engine.inputs import is_dask_collection, is_dask_frame


def _lazy(*arrays):
    return any(a is not None and is_dask_collection(a) for a in arrays)


def _draw_seed(random_state):
    """One integer from ``random_state``: the root of every per-block generator."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _block_rng(*keys):
    return np.random.RandomState(np.random.SeedSequence([int(k) for k in keys]).generate_state(4))


def _as_dask_array(a):
    if is_dask_frame(a):
        raise TypeError(
            "dml.model_selection splits Dask arrays; convert the Dask DataFrame / Series "
            "with .to_dask_array(lengths=True) first."
        )
    return a


def _row_chunks(X):
    """Known row chunks of a Dask array (computing unknown lengths once)."""
    X = _as_dask_array(X)
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    return X, tuple(int(c) for c in X.chunks[0])


def _allocate(total, sizes, capacity=None):
    """Share ``total`` among blocks in proportion to ``sizes`` (largest remainder).

    ``capacity`` bounds each block's share (defaults to ``sizes``).
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    capacity = sizes if capacity is None else np.asarray(capacity, dtype=np.int64)
    n = int(sizes.sum())
    if n == 0 or total == 0:
        return np.zeros(len(sizes), dtype=np.int64)
    quota = total * sizes / n
    share = np.minimum(np.floor(quota).astype(np.int64), capacity)
    left = int(total - share.sum())
    order = np.argsort(-(quota - np.floor(quota)), kind="stable")
    while left > 0:
        progressed = False
        for i in order:
            if left == 0:
                break
            if share[i] < capacity[i]:
                share[i] += 1
                left -= 1
                progressed = True
        if not progressed:  # pragma: no cover - total <= capacity.sum() by construction
            raise ValueError("Cannot allocate the requested number of samples.")
    return share


# --------------------------------------------------------------- per-block selection


def _block_train_test_rows(seed, i, n_i, t_i, r_i, labels=None, split=0):
    """Row positions (within block ``i``) of its train and test samples."""
    rng = _block_rng(seed, split, i)
    if labels is None:
        perm = rng.permutation(n_i)
        return perm[t_i : t_i + r_i], perm[:t_i]
    if n_i == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    classes, y_idx = np.unique(np.asarray(labels).ravel(), return_inverse=True)
    class_counts = np.bincount(y_idx, minlength=len(classes))
    n_cls = _mode(class_counts, r_i, rng)
    t_cls = _mode(class_counts - n_cls, t_i, rng)
    class_indices = np.split(np.argsort(y_idx, kind="mergesort"), np.cumsum(class_counts)[:-1])
    train, test = [], []
    for c in range(len(classes)):
        perm = class_indices[c].take(rng.permutation(class_counts[c]), mode="clip")
        train.extend(perm[: n_cls[c]])
        test.extend(perm[n_cls[c] : n_cls[c] + t_cls[c]])
    return rng.permutation(np.asarray(train, dtype=np.intp)), rng.permutation(np.asarray(test, dtype=np.intp))


def _mode(counts, draws, rng):
    if draws == 0 or counts.sum() == 0:
        return np.zeros_like(counts)
    return _approximate_mode(counts, draws, rng)


def _select_block(x, *strat, seed, t, r, which, split=0, block_id=None):
    i = block_id[0]
    labels = strat[0] if strat else None
    train, test = _block_train_test_rows(seed, i, x.shape[0], int(t[i]), int(r[i]), labels, split)
    return x[train if which == "train" else test]


def _index_block(idx, *strat, seed, t, r, which, split=0, block_id=None):
    i = block_id[0]
    labels = strat[0] if strat else None
    train, test = _block_train_test_rows(seed, i, idx.shape[0], int(t[i]), int(r[i]), labels, split)
    rows = train if which == "train" else test
    return np.sort(idx[rows])


# ------------------------------------------------------------------ train_test_split


def train_test_split(
    *arrays, test_size=None, train_size=None, random_state=None, shuffle=True, stratify=None
):
    """Split arrays into random train and test subsets; Dask in gives Dask out.

    Parameters
    ----------
    *arrays : sequence of indexables with the same first dimension
        NumPy / pandas / lists (scikit-learn's :func:`~sklearn.model_selection.train_test_split`
        runs), Dask arrays (a blockwise split: see Notes; in-memory inputs are then wrapped
        with the row chunks of the Dask ones), or Dask DataFrames / Series partitioned
        alike (a partition-wise split).
    test_size : float or int, default=None
        Fraction (float) or number (int) of test samples; 0.25 when both sizes are None.
    train_size : float or int, default=None
        Fraction or number of train samples; the complement of the test size when None.
    random_state : int, RandomState instance or None, default=None
        Seeds the split. With Dask input, the result depends only on this and the row
        chunks (not on the scheduler or the number of workers).
    shuffle : bool, default=True
        Without shuffling, the first ``n_train`` rows train and the next ``n_test`` test.
    stratify : array-like or Dask array of shape (n_samples,), default=None
        Class labels: each split keeps the class proportions (per block on Dask input).

    Returns
    -------
    splitting : list of length 2 * len(arrays)
        ``[a_train, a_test, b_train, b_test, ...]``; Dask arrays with known chunks for
        Dask arrays, Dask DataFrames / Series (index kept) for those.

    Notes
    -----
    Computation on Dask input: nothing is computed (unless a chunk length is unknown: then
    the lengths are computed once). The numbers of train and test rows are scikit-learn's,
    shared out among the row blocks in proportion to their lengths; each block then
    draws its own rows from a generator seeded by ``(seed, block index)``, so each output
    block is a shuffled subset of one input block (rows do not move between blocks: a
    block-local shuffle, not a global one). With ``stratify``, each block picks its rows
    class by class (scikit-learn's ``StratifiedShuffleSplit`` rule inside the block), so
    the class proportions of the whole split match the data's to within one sample per
    class and block. Memory per task: one block of one input.

    Dask DataFrames / Series are split partition by partition with the same per-block
    rule. Fractional sizes are applied to each partition (``ceil(test_size * n_i)`` test
    rows; scikit-learn's rounding per partition) so nothing is computed; integer sizes and
    ``shuffle=False`` need the partition lengths, computed once.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.model_selection import train_test_split
    >>> X = da.random.random((1000, 4), chunks=250)
    >>> y = da.random.randint(0, 2, 1000, chunks=250)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> X_train.chunks[0], X_test.chunks[0]
    ((187, 187, 188, 188), (63, 63, 62, 62))
    """
    # Over 100 lines through its docstring (scikit-learn's parameters, one by one); the
    # body itself is short.
    if not arrays:
        raise ValueError("At least one array required as input")
    if not _lazy(*arrays, stratify):
        return sk_ms.train_test_split(
            *arrays,
            test_size=test_size,
            train_size=train_size,
            random_state=random_state,
            shuffle=shuffle,
            stratify=stratify,
        )
    import dask.array as da  # on Dask input only: in-memory use does not load dask.array

    if any(is_dask_frame(a) for a in (*arrays, stratify) if a is not None):
        return _train_test_split_frames(arrays, test_size, train_size, random_state, shuffle, stratify)
    ref = next(a for a in (*arrays, stratify) if a is not None and is_dask_collection(a))
    ref, rows = _row_chunks(ref)
    n = int(sum(rows))
    lengths = []
    dask_arrays = []
    for a in arrays:
        if is_dask_collection(a):
            a = _as_dask_array(a)
            if any(np.isnan(c) for c in a.chunks[0]):
                a = a.compute_chunk_sizes()
        else:
            a = np.asarray(a)
        lengths.append(int(a.shape[0]))
        dask_arrays.append(a)
    if len(set(lengths + [n])) > 1:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: {lengths}")
    n_train, n_test = _validate_shuffle_split(n, test_size, train_size, default_test_size=0.25)
    if not shuffle:
        if stratify is not None:
            raise ValueError("Stratified train/test split is not implemented for shuffle=False")
        out = []
        for a in dask_arrays:
            a = a if is_dask_collection(a) else da.from_array(a, chunks=(rows,) + a.shape[1:])
            out += [a[:n_train], a[n_train : n_train + n_test]]
        return out
    t = _allocate(n_test, rows)
    r = _allocate(n_train, rows, capacity=np.asarray(rows) - t)
    seed = _draw_seed(random_state)
    strat = None
    if stratify is not None:
        strat = stratify if is_dask_collection(stratify) else np.asarray(stratify)
        strat = _align(strat, rows)
        if strat.ndim != 1:
            raise ValueError(f"stratify should be a 1d array, got shape {strat.shape}.")
    out = []
    for a in dask_arrays:
        a = _align(a, rows)
        extra = ()
        if strat is not None:
            extra = (strat.reshape((n,) + (1,) * (a.ndim - 1)) if a.ndim > 1 else strat,)
        for which, sizes in (("train", r), ("test", t)):
            out.append(
                da.map_blocks(
                    _select_block,
                    a,
                    *extra,
                    seed=seed,
                    t=t,
                    r=r,
                    which=which,
                    chunks=(tuple(int(s) for s in sizes),) + a.chunks[1:],
                    dtype=a.dtype,
                    meta=a._meta,
                )
            )
    return out


def _train_test_split_frames(arrays, test_size, train_size, random_state, shuffle, stratify):
    """train_test_split of Dask DataFrames / Series, partition by partition."""
    import dask.dataframe as dd  # on Dask DataFrames only

    lazy = [a for a in (*arrays, stratify) if a is not None]
    if not all(is_dask_frame(a) for a in lazy):
        raise TypeError(
            "train_test_split got Dask DataFrames / Series mixed with other inputs; pass "
            "only Dask DataFrames / Series (same partitions), or convert them all with "
            ".to_dask_array(lengths=True)."
        )
    nparts = {a.npartitions for a in lazy}
    if len(nparts) > 1:
        raise ValueError(
            f"The Dask DataFrames / Series have different numbers of partitions {sorted(nparts)}; "
            "they must be partitioned alike."
        )
    integral = any(isinstance(v, (int, np.integer)) for v in (test_size, train_size))
    t = r = None
    if integral or not shuffle:
        # Sizes in samples (or a positional head split) need the partition lengths: one pass.
        rows = tuple(int(v) for v in arrays[0].map_partitions(len).compute())
        n = sum(rows)
        n_train, n_test = _validate_shuffle_split(n, test_size, train_size, default_test_size=0.25)
        if not shuffle:
            if stratify is not None:
                raise ValueError("Stratified train/test split is not implemented for shuffle=False")
            starts = np.concatenate([[0], np.cumsum(rows)[:-1]])
            r = np.clip(n_train - starts, 0, rows)
            t = np.clip(n_train + n_test - starts, 0, rows) - r
        else:
            t = _allocate(n_test, rows)
            r = _allocate(n_train, rows, capacity=np.asarray(rows) - t)
    else:
        _check_fraction(test_size, "test_size")
        _check_fraction(train_size, "train_size")
        if test_size is None and train_size is None:
            test_size = 0.25
        if test_size is not None and train_size is not None and test_size + train_size > 1:
            raise ValueError(
                f"The sum of test_size and train_size = {test_size + train_size}, should be in "
                "the (0, 1) range. Reduce test_size and/or train_size."
            )
    seed = _draw_seed(random_state)
    out = []
    for a in arrays:
        extra = () if stratify is None else (stratify,)
        for which in ("train", "test"):
            out.append(
                dd.map_partitions(
                    _select_partition,
                    a,
                    *extra,
                    seed=seed,
                    which=which,
                    t=t,
                    r=r,
                    test_size=test_size,
                    train_size=train_size,
                    shuffle=shuffle,
                    meta=a._meta,
                    align_dataframes=False,
                )
            )
    return out


def _check_fraction(v, name):
    if v is not None and not 0 < v < 1:
        raise ValueError(
            f"{name}={v} should be either positive and smaller than the number of samples "
            "or a float in the (0, 1) range"
        )


def _select_partition(part, *strat, seed, which, t, r, test_size, train_size, shuffle, partition_info=None):
    i = partition_info["number"] if partition_info else 0
    n_i = len(part)
    if t is not None:
        t_i, r_i = int(t[i]), int(r[i])
    else:
        t_i = int(np.ceil(test_size * n_i)) if test_size is not None else None
        r_i = int(np.floor(train_size * n_i)) if train_size is not None else None
        t_i = n_i - r_i if t_i is None else t_i
        r_i = n_i - t_i if r_i is None else r_i
    if not shuffle:
        return part.iloc[:r_i] if which == "train" else part.iloc[r_i : r_i + t_i]
    labels = np.asarray(strat[0]) if strat else None
    train, test = _block_train_test_rows(seed, i, n_i, t_i, r_i, labels)
    return part.iloc[train if which == "train" else test]


def _align(a, rows):
    import dask.array as da  # on Dask input only: in-memory use does not load dask.array

    if not is_dask_collection(a):
        a = np.asarray(a)
        return da.from_array(a, chunks=(rows,) + tuple((s,) for s in a.shape[1:]))
    a = _as_dask_array(a)
    if any(np.isnan(c) for c in a.chunks[0]):
        a = a.compute_chunk_sizes()
    if tuple(a.chunks[0]) != tuple(rows):
        a = a.rechunk({0: rows})
    return a


# ------------------------------------------------------------------------ splitters


def _index_array(n, rows):
    import dask.array as da  # on Dask input only: in-memory use does not load dask.array

    return da.arange(n, chunks=(rows,), dtype=np.int64)


class KFold(sk_ms.KFold):
    """K-fold cross-validation; lazy index arrays for Dask input.

    scikit-learn's :class:`~sklearn.model_selection.KFold` (same parameters; NumPy
    input gives its exact folds). For a Dask ``X``, :meth:`split` yields Dask arrays
    of indices, chunked like ``X``'s rows.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds (at least 2).
    shuffle : bool, default=False
        Shuffle before splitting into folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffle.

    Notes
    -----
    Computation on Dask input: nothing is computed. Without shuffling the folds are
    scikit-learn's (consecutive ranges, the first ``n % n_splits`` folds one sample
    larger). With shuffling, the fold sizes are still scikit-learn's: sample ``p`` is
    given slot ``p % n_splits``, and the slots are permuted within each row block by a
    generator seeded by ``(seed, block)``; so the folds are block-locally shuffled and
    do not depend on the scheduler. Each index block is made by one small task from
    ``arange`` (no data read).

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.model_selection import KFold
    >>> X = da.ones((10, 2), chunks=5)
    >>> train, test = next(KFold(n_splits=5).split(X))
    >>> test.compute()
    array([0, 1])
    >>> train.chunks  # lazy, chunked like X's rows
    ((3, 5),)
    """

    def split(self, X, y=None, groups=None):
        """Generate train / test indices (Dask arrays for Dask ``X``).

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
        y : ignored
        groups : ignored

        Yields
        ------
        train, test : ndarray or Dask array of int64
        """
        if not _lazy(X):
            yield from super().split(X, y, groups)
            return
        X, rows = _row_chunks(X)
        n, k = int(sum(rows)), self.n_splits
        if k > n:
            raise ValueError(
                f"Cannot have number of splits n_splits={k} greater than the number of samples: n_samples={n}."
            )
        import dask.array as da  # on Dask input only: in-memory use does not load dask.array

        idx = _index_array(n, rows)
        if not self.shuffle:
            sizes = np.full(k, n // k, dtype=np.int64)
            sizes[: n % k] += 1
            stop = 0
            for size in sizes:
                start, stop = stop, stop + int(size)
                yield da.concatenate([idx[:start], idx[stop:]]), idx[start:stop]
            return
        seed = _draw_seed(self.random_state)
        offsets = np.concatenate([[0], np.cumsum(rows)[:-1]])
        for f in range(k):
            test_sizes = tuple(int(_slot_count(o, m, k, f)) for o, m in zip(offsets, rows))
            train_sizes = tuple(m - s for m, s in zip(rows, test_sizes))
            out = []
            for which, sizes in (("train", train_sizes), ("test", test_sizes)):
                out.append(
                    idx.map_blocks(
                        _kfold_block,
                        seed=seed,
                        k=k,
                        fold=f,
                        which=which,
                        chunks=(sizes,),
                        dtype=np.int64,
                    )
                )
            yield tuple(out)


def _slot_count(offset, m, k, f):
    """How many p in [offset, offset + m) have p % k == f."""
    return (offset + m - f + k - 1) // k - (offset - f + k - 1) // k


def _kfold_block(idx, *, seed, k, fold, which, block_id=None):
    i = block_id[0]
    m = idx.shape[0]
    if m == 0:
        return idx
    slots = (idx[0] + np.arange(m)) % k
    slots = _block_rng(seed, i).permutation(slots)
    mask = slots == fold if which == "test" else slots != fold
    return idx[mask]


class ShuffleSplit(sk_ms.ShuffleSplit):
    """Random permutation cross-validator; lazy index arrays for Dask input.

    scikit-learn's :class:`~sklearn.model_selection.ShuffleSplit` (same parameters;
    NumPy input gives its exact splits).

    Parameters
    ----------
    n_splits : int, default=10
    test_size : float or int, default=None
        0.1 when both sizes are None.
    train_size : float or int, default=None
    random_state : int, RandomState instance or None, default=None

    Notes
    -----
    Computation on Dask input: nothing is computed. Sizes are scikit-learn's, shared
    among the row blocks in proportion to their lengths; each block draws its rows for
    split ``s`` from a generator seeded by ``(seed, s, block)`` (a block-local shuffle,
    independent of the scheduler). Yields Dask arrays of sorted indices, one small task
    per block.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.model_selection import ShuffleSplit
    >>> X = da.ones((10, 2), chunks=5)
    >>> train, test = next(ShuffleSplit(n_splits=2, test_size=0.2, random_state=0).split(X))
    >>> train.chunks, test.chunks  # one test row from each block of five
    (((4, 4),), ((1, 1),))
    >>> len(set(train.compute()) | set(test.compute()))
    10
    """

    def split(self, X, y=None, groups=None):
        """Generate train / test indices (Dask arrays for Dask ``X``).

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
        y : ignored
        groups : ignored

        Yields
        ------
        train, test : ndarray or Dask array of int64
        """
        if not _lazy(X):
            yield from super().split(X, y, groups)
            return
        X, rows = _row_chunks(X)
        n = int(sum(rows))
        n_train, n_test = _validate_shuffle_split(
            n, self.test_size, self.train_size, default_test_size=self._default_test_size
        )
        t = _allocate(n_test, rows)
        r = _allocate(n_train, rows, capacity=np.asarray(rows) - t)
        seed = _draw_seed(self.random_state)
        idx = _index_array(n, rows)
        for s in range(self.n_splits):
            yield tuple(
                idx.map_blocks(
                    _index_block,
                    seed=seed,
                    t=t,
                    r=r,
                    which=which,
                    split=s,
                    chunks=(tuple(int(v) for v in sizes),),
                    dtype=np.int64,
                )
                for which, sizes in (("train", r), ("test", t))
            )


class StratifiedKFold(sk_ms.StratifiedKFold):
    """Stratified K-fold; lazy index arrays for Dask input.

    scikit-learn's :class:`~sklearn.model_selection.StratifiedKFold` (same parameters;
    NumPy input gives its exact folds).

    Parameters
    ----------
    n_splits : int, default=5
    shuffle : bool, default=False
        Shuffle each class's samples (within each block on Dask input).
    random_state : int, RandomState instance or None, default=None

    Notes
    -----
    Computation on Dask input: nothing is computed at ``split``. Fold labels are made
    block by block: within a block, the samples of each class (in order, or shuffled
    by a generator seeded by ``(seed, block)``) go to folds round-robin, starting where
    the previous blocks left that class, so every fold gets the same share of each
    class to within one sample, as scikit-learn's. The running class counts travel
    along a chain of small tasks (one per block). Each yielded index array is
    ``arange(n)[fold_labels == f]``: lazy, with unknown chunk lengths, and computing
    it reads ``y`` once. scikit-learn's check that every class has at least
    ``n_splits`` members needs the class counts and is not made on Dask input.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from dml.model_selection import StratifiedKFold
    >>> X = da.ones((10, 2), chunks=5)
    >>> y = da.from_array(np.array([0, 1] * 5), chunks=5)
    >>> train, test = next(StratifiedKFold(n_splits=5).split(X, y))
    >>> y[test].compute()  # one sample of each class per fold
    array([0, 1])
    """

    def split(self, X, y, groups=None):
        """Generate train / test indices (Dask arrays when ``X`` or ``y`` is Dask).

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
        y : array-like or Dask array of shape (n_samples,)
            Class labels.
        groups : ignored

        Yields
        ------
        train, test : ndarray or Dask array of int64
        """
        if not _lazy(X, y):
            yield from super().split(X, y, groups)
            return
        import dask.array as da  # on Dask input only: in-memory use does not load dask.array

        ref = X if is_dask_collection(X) else y
        ref, rows = _row_chunks(ref)
        n = int(sum(rows))
        y = _align(y, rows)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                "Supported target types are: ('binary', 'multiclass'). Got a Dask array "
                f"of shape {y.shape} instead."
            )
        if self.n_splits > n:
            raise ValueError(
                f"Cannot have number of splits n_splits={self.n_splits} greater than the "
                f"number of samples: n_samples={n}."
            )
        seed = _draw_seed(self.random_state) if self.shuffle else 0
        blocks = y.to_delayed().ravel()
        count = dask.delayed(_class_counts, pure=True)
        assign = dask.delayed(_stratified_folds, pure=True)
        prefix = {}
        parts = []
        for i, b in enumerate(blocks):
            folds = assign(b, prefix, k=self.n_splits, shuffle=self.shuffle, seed=seed, block=i)
            parts.append(da.from_delayed(folds, shape=(rows[i],), dtype=np.int64))
            prefix = dask.delayed(_add_counts, pure=True)(prefix, count(b))
        fold_of = da.concatenate(parts) if parts else da.zeros(0, dtype=np.int64)
        fold_of = fold_of.rechunk({0: rows})
        idx = _index_array(n, rows)
        for f in range(self.n_splits):
            yield idx[fold_of != f], idx[fold_of == f]


def _class_counts(y):
    vals, counts = np.unique(np.asarray(y), return_counts=True)
    return dict(zip(vals.tolist(), counts.tolist()))


def _add_counts(a, b):
    out = dict(a)
    for key, v in b.items():
        out[key] = out.get(key, 0) + v
    return out


def _stratified_folds(y, prefix, *, k, shuffle, seed, block):
    y = np.asarray(y)
    folds = np.empty(y.shape[0], dtype=np.int64)
    if y.shape[0] == 0:
        return folds
    rng = _block_rng(seed, block) if shuffle else None
    classes, inv = np.unique(y, return_inverse=True)
    for c, label in enumerate(classes.tolist()):
        members = np.flatnonzero(inv == c)
        if rng is not None:
            members = rng.permutation(members)
        start = prefix.get(label, 0)
        folds[members] = (start + np.arange(members.shape[0])) % k
    return folds


__all__ = ["KFold", "ShuffleSplit", "StratifiedKFold", "train_test_split"]
