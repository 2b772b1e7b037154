"""Alternating least squares for explicit and implicit feedback, blocked as Spark's ALS."""

from __future__ import annotations

from numbers import Integral, Real

import dask
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from dml._base import check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.allocation import kept_allocations
from dml._engine.mapreduce import combine_value_counts
from dml._engine.namespace import is_dask_collection
from dml.recommendation._als_kernels import (
    assemble_block,
    block_pieces,
    block_terms,
    init_factors,
    solve_block,
    top_k_block,
)

#: Scores (rows x columns) computed at once by the recommend methods.
_SCORE_BUDGET = 1 << 23


def _id_values(values, name):
    """The ids of one chunk as a NumPy array of integers or of strings (objects)."""
    arr = np.asarray(values.to_numpy(dtype=object) if str(values.dtype) in ("string", "str") else values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "O" and all(isinstance(v, str) for v in arr):
        return arr
    if arr.dtype.kind == "U":
        return arr.astype(object)
    raise TypeError(f"ALS ids must be integers or strings; column {name!r} has dtype {arr.dtype}.")


def _chunk_arrays(part, user_col, item_col, rating_col):
    """``(users, items, ratings)`` NumPy arrays of one pandas chunk (or COO triple)."""
    if isinstance(part, tuple):
        return part
    u = _id_values(part[user_col], user_col)
    i = _id_values(part[item_col], item_col)
    if rating_col is None:
        r = np.ones(len(part))
    else:
        r = np.asarray(part[rating_col], dtype=np.float64)
    return u, i, r


def _chunk_stats(part, cols):
    """One chunk's unique users / items with counts, and its rating checks."""
    u, i, r = _chunk_arrays(part, *cols)
    uu, uc = np.unique(u, return_counts=True)
    ii, ic = np.unique(i, return_counts=True)
    return (
        {"labels": uu, "label_counts": uc},
        {"labels": ii, "label_counts": ic},
        {"n_nan": int(np.count_nonzero(~np.isfinite(r))), "n_negative": int(np.count_nonzero(r < 0))},
    )


def _combine_stats(*stats):
    users = combine_value_counts([s[0] for s in stats])
    items = combine_value_counts([s[1] for s in stats])
    n_nan = sum(s[2]["n_nan"] for s in stats)
    n_negative = sum(s[2]["n_negative"] for s in stats)
    return users, items, n_nan, n_negative


def _index(ids, values):
    """Positions of ``values`` in the sorted ``ids``; -1 where unknown.

    Integer ids spanning a range at most a few times their number are looked up in a
    table (one gather) rather than by binary search.
    """
    if ids.dtype.kind in "iu" and len(ids) and values.dtype.kind in "iu":
        lo, hi = int(ids[0]), int(ids[-1])
        if hi - lo < 4 * len(ids) + 1024:
            table = np.full(hi - lo + 1, -1, dtype=np.int64)
            table[ids - lo] = np.arange(len(ids))
            inside = (values >= lo) & (values <= hi)
            return np.where(inside, table[np.clip(values - lo, 0, hi - lo)], -1)
    pos = np.searchsorted(ids, values)
    pos = np.minimum(pos, len(ids) - 1)
    known = ids[pos] == values if len(ids) else np.zeros(len(values), dtype=bool)
    return np.where(known, pos, -1)


def _chunk_pieces(part, cols, user_ids, item_ids, user_bounds, item_bounds):
    u, i, r = _chunk_arrays(part, *cols)
    return block_pieces(_index(user_ids, u), _index(item_ids, i), r, user_bounds, item_bounds)


def _pick(pieces, side, block):
    return pieces[side][block]


def _bounds(n, n_blocks):
    n_blocks = max(1, min(n_blocks, n))
    return np.linspace(0, n, n_blocks + 1).round().astype(np.int64)


class ALS(BaseEstimator):
    """Matrix factorisation by alternating least squares (Spark MLlib's ``ALS``).

    Fits ``ratings ~ U V^T`` of rank ``rank`` from (user, item, rating) triples. Explicit
    feedback minimises the squared error with Spark's ALS-WR regularisation (each
    user's and item's penalty is ``reg_param`` times its number of ratings); implicit
    feedback (``implicit_prefs=True``) is Hu, Koren and Volinsky's weighted
    factorisation of the preferences ``r > 0`` with confidences ``1 + alpha * r``.

    Parameters
    ----------
    rank : int, default=10
        Number of latent factors (Spark's ``rank``).
    max_iter : int, default=10
        Number of sweeps; a sweep solves all item factors, then all user factors.
    reg_param : float, default=0.1
        Regularisation, scaled per user / item by its number of (explicit, or positive
        implicit) ratings, as Spark's ``regParam``.
    implicit_prefs : bool, default=False
        Implicit feedback (Spark's ``implicitPrefs``). Ratings must then be >= 0.
    alpha : float, default=1.0
        Confidence scale of implicit feedback: ``c = 1 + alpha * r``.
    nonnegative : bool, default=False
        Constrain all factors to be >= 0 (each normal-equation system solved by NNLS;
        needs ``solver='cholesky'``).
    solver : {'cholesky', 'cg'}, default='cholesky'
        How each user's and item's normal equations are solved. ``'cholesky'``: form the
        ``(rank, rank)`` systems and solve them exactly (Spark's solver). ``'cg'``:
        ``cg_steps`` conjugate-gradient steps warm-started from the previous factors,
        without forming the systems (Takacs et al.'s CG for Hu, Koren and Volinsky's
        model, the default of the ``implicit`` package); each sweep then only
        approximates the exact alternating update, but the factors converge to the
        same fixed points.
    cg_steps : int, default=3
        Conjugate-gradient steps per system and half-sweep (``solver='cg'`` only; with
        ``cg_steps >= rank`` each step is the exact solve, up to rounding).
    cold_start_strategy : {'nan', 'drop'}, default='nan'
        What :meth:`predict` gives for a user or item not seen in fit: NaN, or the row
        is dropped.
    user_col, item_col, rating_col : str, default='user', 'item', 'rating'
        Column names of the input frames. ``rating_col=None``: every pair rated 1.
    n_user_blocks, n_item_blocks : int, default=10
        Number of user and item blocks (Spark's ``numUserBlocks`` / ``numItemBlocks``):
        one task per block and half-sweep.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial factors.

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users, rank)
        The user factors, row ``j`` for ``user_ids_[j]``.
    item_factors_ : ndarray of shape (n_items, rank)
        The item factors, row ``j`` for ``item_ids_[j]``.
    user_ids_ : ndarray of shape (n_users,)
        Sorted distinct user ids of the training data.
    item_ids_ : ndarray of shape (n_items,)
        Sorted distinct item ids of the training data.
    n_iter_ : int
        Number of sweeps run (``max_iter``).

    Notes
    -----
    Computation: fit reads the ratings twice. One pass of per-chunk distinct user and
    item counts (merged with the engine's value-count combine, it also checks the
    ratings) fixes the ids and the blocks; then the rest of the fit is one task graph,
    submitted once: a pass that cuts each chunk into per-user-block and per-item-block
    pieces, one CSR block per user block and per item block (the two blocked copies of
    the ratings Spark keeps as in-blocks, held by the workers for the whole fit), and
    for each half-sweep one task per block plus one task that stacks the new factor
    blocks into the factor matrix (and its ``F^T F`` for implicit feedback, computed
    once per half-sweep). A block task gets its CSR block and the other side's whole
    factor matrix (``rank * n`` floats, one transfer to each worker per half-sweep,
    small next to the ratings, so it is broadcast whole rather than row by row as
    Spark's out-blocks do). ``solver='cholesky'`` forms its rows' ``(rank, rank)``
    systems by batched matrix products over rows grouped by length and solves them by
    one batched Cholesky factorisation (NNLS for ``nonnegative``); ``solver='cg'``
    runs ``cg_steps`` conjugate-gradient steps row by row in a compiled loop (numba),
    each step one dot product and one update of length ``rank`` per rating plus a
    ``(rank, rank)`` product, from the block's previous factors. No round trip to the
    caller between sweeps (the iteration count is fixed); only the final factors travel
    back. Memory per task: the block's ratings and, for Cholesky, ``rank`` floats per
    rating gathered and ``rank^2`` floats per row of the block (CG: ``3 * rank`` floats). A lost worker's blocks and factors are recomputed
    from the graph. The fitted model holds only NumPy factors and id arrays (it
    pickles without a cluster). Ratings within a row are summed in column order, so
    the model is the same whatever the input chunking, and the same for Dask and
    pandas input.

    Differences from Spark: implicit ratings must be >= 0 (Spark takes ``|r|`` for
    confidence); a sparse matrix input keeps users / items without ratings (their
    factors are zero).

    Examples
    --------
    >>> import pandas as pd
    >>> from dml.recommendation import ALS
    >>> ratings = pd.DataFrame({"user": [0, 0, 1, 1, 2], "item": [0, 1, 1, 2, 0],
    ...                         "rating": [4.0, 2.0, 3.0, 5.0, 1.0]})
    >>> als = ALS(rank=2, max_iter=5, random_state=0).fit(ratings)
    >>> als.user_factors_.shape, als.item_factors_.shape
    ((3, 2), (3, 2))
    >>> pairs = pd.DataFrame({"user": [0, 9], "item": [1, 1]})
    >>> bool(als.predict(pairs)["prediction"].isna().iloc[1])
    True
    """

    _parameter_constraints = {
        "rank": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "reg_param": [Interval(Real, 0, None, closed="left")],
        "implicit_prefs": ["boolean"],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "nonnegative": ["boolean"],
        "solver": [StrOptions({"cholesky", "cg"})],
        "cg_steps": [Interval(Integral, 1, None, closed="left")],
        "cold_start_strategy": [StrOptions({"nan", "drop"})],
        "user_col": [str],
        "item_col": [str],
        "rating_col": [str, None],
        "n_user_blocks": [Interval(Integral, 1, None, closed="left")],
        "n_item_blocks": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        rank=10,
        max_iter=10,
        reg_param=0.1,
        implicit_prefs=False,
        alpha=1.0,
        nonnegative=False,
        solver="cholesky",
        cg_steps=3,
        cold_start_strategy="nan",
        user_col="user",
        item_col="item",
        rating_col="rating",
        n_user_blocks=10,
        n_item_blocks=10,
        random_state=None,
    ):
        self.rank = rank
        self.max_iter = max_iter
        self.reg_param = reg_param
        self.implicit_prefs = implicit_prefs
        self.alpha = alpha
        self.nonnegative = nonnegative
        self.solver = solver
        self.cg_steps = cg_steps
        self.cold_start_strategy = cold_start_strategy
        self.user_col = user_col
        self.item_col = item_col
        self.rating_col = rating_col
        self.n_user_blocks = n_user_blocks
        self.n_item_blocks = n_item_blocks
        self.random_state = random_state

    # ------------------------------------------------------------------ input

    def _cols(self):
        return (self.user_col, self.item_col, self.rating_col)

    def _parts(self, X):
        """The input as a list of chunks (delayed for Dask) and whether it is a matrix."""
        import scipy.sparse as sp

        if sp.issparse(X):
            coo = sp.coo_matrix(X)
            data = (coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64))
            return [data], coo.shape
        if is_dask_collection(X) and hasattr(X, "to_delayed") and hasattr(X, "columns"):
            self._check_columns(X.columns)
            return list(X.to_delayed()), None
        if hasattr(X, "columns") and hasattr(X, "iloc"):
            self._check_columns(X.columns)
            return [X], None
        raise TypeError(
            "ALS.fit expects a pandas or Dask DataFrame of (user, item, rating) rows or a "
            f"scipy sparse user x item matrix, got {type(X).__name__}."
        )

    def _check_columns(self, columns, rating=True):
        needed = [self.user_col, self.item_col] + ([self.rating_col] if rating and self.rating_col else [])
        missing = [c for c in needed if c not in columns]
        if missing:
            raise ValueError(f"Columns {missing} not found in the input (columns: {list(columns)}).")

    # ------------------------------------------------------------------ fit

    def fit(self, X, y=None):
        """Fit the user and item factors.

        Parameters
        ----------
        X : pandas or Dask DataFrame, or scipy sparse matrix of shape (n_users, n_items)
            The ratings: rows ``(user_col, item_col, rating_col)``, or a sparse matrix
            whose stored entries are the ratings (ids are the row / column indices).
        y : None
            Ignored.

        Returns
        -------
        self : ALS
            The fitted model.
        """
        check_params(self)
        if self.nonnegative and self.solver == "cg":
            raise ValueError("nonnegative=True needs solver='cholesky' (NNLS); got solver='cg'.")
        parts, shape = self._parts(X)
        cols = self._cols()
        stats = dask.compute(*[dask.delayed(_chunk_stats)(p, cols) for p in parts])
        users, items, n_nan, n_negative = _combine_stats(*stats)
        if n_nan:
            raise ValueError(f"Input contains NaN or infinity: {n_nan} ratings are not finite.")
        if self.implicit_prefs and n_negative:
            raise ValueError(f"implicit_prefs=True needs ratings >= 0; {n_negative} ratings are negative.")
        if shape is not None:
            user_ids, item_ids = np.arange(shape[0]), np.arange(shape[1])
        else:
            user_ids, item_ids = users["labels"], items["labels"]
        if len(users["labels"]) == 0:
            raise ValueError("Found 0 ratings while a minimum of 1 is required.")
        n_users, n_items = len(user_ids), len(item_ids)
        ub, ib = _bounds(n_users, self.n_user_blocks), _bounds(n_items, self.n_item_blocks)

        ids = dask.delayed(user_ids, pure=True), dask.delayed(item_ids, pure=True)  # in the graph once
        pieces = [dask.delayed(_chunk_pieces, nout=2)(p, cols, *ids, ub, ib) for p in parts]
        pick = dask.delayed(_pick, pure=True)
        user_blocks = [
            dask.delayed(assemble_block)(ub[b], ub[b + 1], *[pick(pc, 0, b) for pc in pieces])
            for b in range(len(ub) - 1)
        ]
        item_blocks = [
            dask.delayed(assemble_block)(ib[b], ib[b + 1], *[pick(pc, 1, b) for pc in pieces])
            for b in range(len(ib) - 1)
        ]

        # each block's weights, targets and counts: computed once, used every sweep
        terms = dask.delayed(_terms, pure=True)
        implicit, alpha = bool(self.implicit_prefs), float(self.alpha)
        user_blocks = [(b, terms(b, implicit, alpha)) for b in user_blocks]
        item_blocks = [(b, terms(b, implicit, alpha)) for b in item_blocks]

        rng = (
            np.random.RandomState(self.random_state)
            if not hasattr(self.random_state, "randint")
            else self.random_state
        )
        seeds = rng.randint(0, 2**31 - 1, size=2)
        init = dask.delayed(init_factors, pure=True)
        U0 = init(n_users, self.rank, int(seeds[0]), self.nonnegative)
        V0 = init(n_items, self.rank, int(seeds[1]), self.nonnegative)
        stack = dask.delayed(_stack, pure=True)
        rows = dask.delayed(_rows, pure=True)
        U = [rows(U0, ub[b], ub[b + 1]) for b in range(len(ub) - 1)]
        V = [rows(V0, ib[b], ib[b + 1]) for b in range(len(ib) - 1)]
        U_side = stack(implicit, U0)
        for _ in range(self.max_iter):
            V = self._half_sweep(item_blocks, U_side, V)
            V_side = stack(implicit, *V)
            U = self._half_sweep(user_blocks, V_side, U)
            U_side = stack(implicit, *U)
        (U, _), (V, _) = dask.compute(stack(False, *U), V_side)
        self.user_factors_, self.item_factors_ = U, V
        self.user_ids_, self.item_ids_ = user_ids, item_ids
        self.n_iter_ = self.max_iter
        return self

    def _half_sweep(self, blocks, side, previous):
        """The tasks solving every block's rows given the other side's factors: one round.

        ``side`` is the task holding the other side's whole factor matrix (and its Gram
        matrix for implicit feedback); ``previous`` this side's factor blocks, which
        warm-start CG. Nothing is computed here: the whole fit is one graph.
        """
        kw = {
            "reg_param": float(self.reg_param),
            "implicit_prefs": bool(self.implicit_prefs),
            "alpha": float(self.alpha),
            "nonnegative": bool(self.nonnegative),
            "solver": self.solver,
            "cg_steps": int(self.cg_steps),
        }
        solve = dask.delayed(_solve, pure=True)
        cg = self.solver == "cg"
        return [
            solve(block, terms, side, x0 if cg else None, kw) for (block, terms), x0 in zip(blocks, previous)
        ]

    # ------------------------------------------------------------------ predict

    def predict(self, X):
        """Predicted ratings of (user, item) pairs.

        Parameters
        ----------
        X : pandas or Dask DataFrame
            Rows with ``user_col`` and ``item_col``.

        Returns
        -------
        pandas or Dask DataFrame
            ``X`` with a ``prediction`` column (NaN for a user or item unknown at fit;
            those rows dropped with ``cold_start_strategy='drop'``). Lazy for Dask input.

        Notes
        -----
        Computation: blockwise, no pass at call for Dask input (one task per partition
        holding the factors); in memory for pandas.
        """
        check_is_fitted(self)
        if not hasattr(X, "columns"):
            raise TypeError(
                f"ALS.predict expects a pandas or Dask DataFrame of pairs, got {type(X).__name__}."
            )
        self._check_columns(X.columns, rating=False)
        args = (self.user_col, self.item_col, self.user_ids_, self.item_ids_)
        args += (self.user_factors_, self.item_factors_, self.cold_start_strategy)
        if is_dask_collection(X):
            meta = X._meta.assign(prediction=np.float64(0))
            return X.map_partitions(_predict_frame, *args, meta=meta)
        return _predict_frame(X, *args)

    # ------------------------------------------------------------------ recommend

    def _recommend(self, F, G, rows, k, src_ids, dst_ids, src_col, dst_col):
        import pandas as pd

        if not isinstance(k, Integral) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}.")
        kk = min(int(k), G.shape[0])
        step = max(1, _SCORE_BUDGET // max(1, G.shape[0]))
        idx, score = [], []
        for start in range(0, len(rows), step):
            i, s = top_k_block(F[rows[start : start + step]], G, kk)
            idx.append(i)
            score.append(s)
        idx = np.concatenate(idx) if idx else np.zeros((0, kk), dtype=np.int64)
        score = np.concatenate(score) if score else np.zeros((0, kk))
        return pd.DataFrame(
            {
                src_col: np.repeat(src_ids[rows], kk),
                dst_col: dst_ids[idx.ravel()],
                "score": score.ravel(),
                "rank": np.tile(np.arange(1, kk + 1), len(rows)),
            }
        )

    def recommend_for_all_users(self, k):
        """Top ``k`` items of every user.

        Parameters
        ----------
        k : int
            Number of items per user (all items if fewer).

        Returns
        -------
        pandas.DataFrame
            Long format, one row per (user, recommended item): columns ``user_col``,
            ``item_col``, ``score`` and ``rank`` (1 = best), users in id order (Spark
            returns one row per user with a list of (item, score) structs; the long
            format is the pandas-friendly equivalent).

        Notes
        -----
        Computation: in memory on the fitted factors, a block of users at a time
        (about 8 million scores per block); ties ordered by item id index.
        """
        check_is_fitted(self)
        rows = np.arange(len(self.user_ids_))
        return self._recommend(
            self.user_factors_,
            self.item_factors_,
            rows,
            k,
            self.user_ids_,
            self.item_ids_,
            self.user_col,
            self.item_col,
        )

    def recommend_for_all_items(self, k):
        """Top ``k`` users of every item.

        Parameters
        ----------
        k : int
            Number of users per item.

        Returns
        -------
        pandas.DataFrame
            Columns ``item_col``, ``user_col``, ``score``, ``rank``.

        Notes
        -----
        Computation: in memory on the fitted factors, a block of items at a time.
        """
        check_is_fitted(self)
        rows = np.arange(len(self.item_ids_))
        return self._recommend(
            self.item_factors_,
            self.user_factors_,
            rows,
            k,
            self.item_ids_,
            self.user_ids_,
            self.item_col,
            self.user_col,
        )

    def recommend_for_user_subset(self, users, k):
        """Top ``k`` items of the given users (unknown users are left out, as Spark).

        Parameters
        ----------
        users : array-like, pandas Series or DataFrame with ``user_col``
            The user ids.
        k : int
            Number of items per user.

        Returns
        -------
        pandas.DataFrame
            Columns ``user_col``, ``item_col``, ``score``, ``rank``, users in id order.

        Notes
        -----
        Computation: in memory on the fitted factors.
        """
        check_is_fitted(self)
        rows = self._subset_rows(users, self.user_col, self.user_ids_)
        return self._recommend(
            self.user_factors_,
            self.item_factors_,
            rows,
            k,
            self.user_ids_,
            self.item_ids_,
            self.user_col,
            self.item_col,
        )

    def recommend_for_item_subset(self, items, k):
        """Top ``k`` users of the given items (unknown items are left out).

        Parameters
        ----------
        items : array-like, pandas Series or DataFrame with ``item_col``
            The item ids.
        k : int
            Number of users per item.

        Returns
        -------
        pandas.DataFrame
            Columns ``item_col``, ``user_col``, ``score``, ``rank``.

        Notes
        -----
        Computation: in memory on the fitted factors.
        """
        check_is_fitted(self)
        rows = self._subset_rows(items, self.item_col, self.item_ids_)
        return self._recommend(
            self.item_factors_,
            self.user_factors_,
            rows,
            k,
            self.item_ids_,
            self.user_ids_,
            self.item_col,
            self.user_col,
        )

    @staticmethod
    def _subset_rows(values, col, ids):
        if is_dask_collection(values):
            values = values.compute()
        if hasattr(values, "columns"):
            values = values[col]
        values = _id_values(values if hasattr(values, "dtype") else np.asarray(values), col)
        pos = _index(ids, np.unique(values))
        return pos[pos >= 0]


def _solve(block, terms, side, X0, kw):
    indptr, indices, data = block
    Y, YtY = side
    with kept_allocations():  # the block's temporaries are reused, not page-faulted afresh
        return solve_block(indptr, indices, data, Y, YtY, X0, terms=terms, **kw)


def _terms(block, implicit_prefs, alpha):
    return block_terms(block[0], block[2], implicit_prefs=implicit_prefs, alpha=alpha)


def _stack(gram, *blocks):
    """One side's factor matrix from its blocks, with its Gram matrix ``F^T F`` if asked."""
    F = blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=0)
    return F, (F.T @ F if gram else None)


def _rows(F, start, stop):
    return F[start:stop]


def _predict_frame(part, user_col, item_col, user_ids, item_ids, U, V, strategy):
    u = _index(user_ids, _id_values(part[user_col], user_col)) if len(part) else np.zeros(0, dtype=np.int64)
    i = _index(item_ids, _id_values(part[item_col], item_col)) if len(part) else np.zeros(0, dtype=np.int64)
    known = (u >= 0) & (i >= 0)
    pred = np.full(len(part), np.nan)
    pred[known] = np.einsum("ij,ij->i", U[u[known]], V[i[known]])
    out = part.assign(prediction=pred)
    return out[known] if strategy == "drop" else out
