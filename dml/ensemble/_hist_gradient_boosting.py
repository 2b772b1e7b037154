"""HistGradientBoostingRegressor / HistGradientBoostingClassifier: one global model of
histogram-based gradient boosted trees, grown level by level through the task graph."""

from __future__ import annotations

import functools
import itertools
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_array, check_random_state, check_scalar, resample
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from dml._base import RegressorScoreMixin, check_params
from dml._compat.sklearn import Interval, RealNotInt, StrOptions, _check_sample_weight
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import validate_fit_data, validate_predict_data
from dml._engine.mapreduce import chunk_cache, map_chunks, map_reduce, sum_partials
from dml._engine.namespace import is_dask_collection
from dml._engine.quantiles import (
    DEFAULT_SIZE,
    combine_order_stats,
    median_ranks,
    percentile_ranks,
    percentiles_from_order_statistics,
    refine_order_statistics,
)
from dml.ensemble._hist_gradient_boosting_grower import LevelGrower
from dml.ensemble._hist_gradient_boosting_kernels import (
    bin_chunk,
    boost_kernel,
    combine_rows,
    descend,
    find_binning_thresholds,
    gather_rows_kernel,
    leaf_order_stats_kernel,
    local_histograms,
    node_histograms,
    outputs_from_raw,
    pack_trees,
    predict_block,
)

_SUBSAMPLE = 200_000
_SMALL_TRAIN = 10_000  # scikit-learn's subsample of training rows for the scorer
#: A split's rows are fetched (and its subtree's histograms computed here) when they
#: weigh at most this many node histograms ...
_LOCAL_HISTOGRAMS = 128
#: ... and the rows fetched for one iteration's trees stay within this many bytes
_LOCAL_BYTES = 2**27
_ROOT_ONLY = {
    "feature": np.array([-1], dtype=np.int32),
    "bin": np.zeros(1, dtype=np.uint8),
    "missing_left": np.zeros(1, dtype=bool),
    "left": np.array([-1], dtype=np.int32),
    "right": np.array([-1], dtype=np.int32),
    "value": np.zeros(1),
}

_COMMON_PARAMS = """learning_rate : float, default=0.1
        Shrinkage of the leaf values.
    max_iter : int, default=100
        Maximum number of boosting iterations (trees per class).
    max_leaf_nodes : int or None, default=31
        Maximum number of leaves of each tree (grown best first, as scikit-learn).
    max_depth : int or None, default=None
        Maximum depth of each tree (edges from the root).
    min_samples_leaf : int, default=20
        Minimum number of rows per leaf.
    l2_regularization : float, default=0.0
        L2 penalty on the leaf values.
    max_features : float, default=1.0
        Fraction of the features drawn at random at every node split (at least one).
    max_bins : int, default=255
        Maximum number of bins of the non-missing values (plus one bin for NaN).
    categorical_features : array-like of {bool, int, str}, 'from_dtype' or None, default='from_dtype'
        The categorical features: a boolean mask, integer indices, feature names, or
        'from_dtype' (the columns of category dtype of a pandas or Dask DataFrame;
        none for arrays); None: no categorical feature. As scikit-learn >= 1.6, the
        categorical columns are ordinal-encoded (the categories seen in ``fit``, sorted;
        any values, negative or not integers) and placed before the numeric ones; each
        category is a bin (at most ``max_bins`` categories per feature, else
        ValueError), and a split sends a set of categories left (scikit-learn's
        search: categories sorted by gradient / hessian ratio, those under
        ``MIN_CAT_SUPPORT = 10`` to the right, missing values a category of their
        own). Unknown categories at predict time are treated as missing values.
    monotonic_cst : array-like of int of shape (n_features,) or dict, default=None
        Monotonic constraint of each feature: 1 increasing, -1 decreasing, 0 none (a
        dict maps feature names to constraints). Not for multiclass problems.
    interaction_cst : {'pairwise', 'no_interactions'} or sequence of lists/tuples/sets of int, default=None
        Groups of features that may interact: a node's children split on features of
        the groups holding every feature split on above them (scikit-learn's rule;
        unlisted features form one more group).
    warm_start : bool, default=False
        Reuse the fitted trees and add more (same data assumed).
    early_stopping : 'auto' or bool, default='auto'
        'auto': on when there are more than 10000 rows, as scikit-learn.
    scoring : str, callable or None, default='loss'
        The early-stopping score: 'loss' (the negative loss, on every training row
        and the validation rows), or a scikit-learn scorer (a name, a callable
        ``scorer(estimator, X, y)``, or None for ``score``), evaluated as
        scikit-learn does on at most 10000 training rows (its subsample, stratified
        for classifiers) and on the validation rows.
    validation_fraction : int, float or None, default=0.1
        Share (or number) of the rows held out for early stopping, split as
        scikit-learn's ``train_test_split`` (stratified for classifiers) from the
        same seed; None scores the training rows. Unused when ``X_val`` and ``y_val``
        are passed to ``fit``.
    n_iter_no_change : int, default=10
        Stop when none of the last ``n_iter_no_change`` scores improves on the one
        before them by more than ``tol``.
    tol : float, default=1e-7
        Tolerance of the early-stopping comparison.
    verbose : int, default=0
        Print one line per iteration.
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the binning subsample and ``max_features``."""

_COMMON_ATTRS = """do_early_stopping_ : bool
    n_iter_ : int
        Number of boosting iterations run.
    n_trees_per_iteration_ : int
        1 for regression and binary classification, else the number of classes.
    train_score_ : ndarray of shape (n_iter_ + 1,)
        Negative loss on the training rows at each iteration (the first at the
        baseline); empty without early stopping.
    validation_score_ : ndarray of shape (n_iter_ + 1,)
        Same on the validation rows; empty without early stopping or with
        ``validation_fraction=None``.
    is_categorical_ : ndarray of shape (n_features_in_,), dtype=bool, or None
        The categorical features (None when there are none).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)"""

_NOTES = """Computation: one pass gathers the binning subsample (at most 200000 training
    rows, drawn as scikit-learn draws them) to this process, where the bin edges are
    found per feature as scikit-learn's; the chunks are then binned where they live
    (uint8, kept with the data on a cluster; for lazy Dask input the binning runs
    inside every pass). Each boosting iteration is one pass for the root, then one
    pass per tree level while the splits are large: every chunk brings its raw
    predictions up to date (the previous tree applied, in the root's pass), sends its
    rows down the trees being grown (a chunk cache keeps raw predictions, gradients
    and row nodes, recomputed from the trees when absent) and returns the (gradient,
    hessian, count) histograms of the nodes asked for; only the smaller child of each
    split is computed, the other is the parent's minus it. A split whose training
    rows weigh at most 128 node histograms (``n_features + 24`` bytes a row: binned
    X, gradient, hessian, index; at most 128 MiB an iteration) has its rows fetched
    in that pass instead, and its subtree grows here from them with no more passes
    (its histograms summed here in row order); when every training row is that
    small, the root's pass fetches them all. So a tree costs one pass for its root
    and about one per level above the fetched splits: one pass per iteration up to
    about 400000 training rows (28 features, 256 bins; fewer for more trees per
    iteration), a few more beyond. The histograms are summed in a tree; splits are
    chosen here (a compiled scan) with scikit-learn's gain, missing-value direction
    and constraints, and the ``n_trees_per_iteration_`` trees of an iteration grow
    in the same passes. Early-stopping losses ride along in the first pass of the
    next iteration (one extra pass after the last). Memory per task: one chunk, its
    binned copy, raw predictions and node ids (about ``8 * (2 K + 1)`` bytes a row),
    the histograms (``nodes * n_features * (max_bins + 1) * 24`` bytes) and the
    fetched rows of its chunk; here, the fetched rows (at most 128 MiB). In-memory
    input that fits one chunk runs with no graph. The fitted model is plain NumPy;
    predict is blockwise (lazy for Dask input).

    Growth: scikit-learn grows a tree best first, one node at a time. A node's best
    split depends only on its rows, so its tree is the part of the fully grown tree
    that its heap (largest gain first, until ``max_leaf_nodes``) reaches: every round
    replays that heap over the nodes known so far, and the nodes it would split whose
    children are not known yet are expanded together in the next pass. The trees,
    raw predictions and scores are therefore scikit-learn's (to rounding; tested
    bitwise-close on one chunk). The cost: a round per level of the tree (a pass
    each until the splits' rows are fetched) and a few speculative node histograms
    that the final heap does not use.
    Differences: ``max_features`` draws its features per node in this evaluation
    order, so its draws differ from scikit-learn's. Not supported: sparse X
    (TypeError, as dml's input layer).

    Scorers other than 'loss': the rows they see (the training subsample and the
    validation rows) are gathered once, binned, to this process (``p`` bytes a row);
    after each iteration the first growth pass also returns their raw predictions
    (``8 K`` bytes a row), and the scorer runs here on the estimator answering from
    those raw predictions, as scikit-learn's ``_patch_raw_predict``. ``X_val`` /
    ``y_val`` in ``fit``: the validation rows are appended to the training rows
    (through the fitted preprocessor) and flagged, so they are binned with the
    training bin edges, predicted in the same passes, and never trained on.

    ``loss='absolute_error'`` / ``'quantile'``: after each tree, the exact
    order statistics of every leaf's residuals (the engine's rank-bounded summaries,
    one column per leaf, narrowed pass by pass) give scikit-learn's leaf values:
    ``np.median`` / ``np.percentile`` (linear) without sample weights, bit for bit,
    and the inverted-CDF weighted percentile with them (whose weight sums add up in a
    different order, so a threshold falling on a cumulative weight could pick the
    neighbouring value: equal up to that rounding). One pass when every leaf holds
    at most 4096 distinct residuals, else about two (three beyond millions of rows
    per leaf), per iteration.

    Categorical features: the ordinal encoder (dml's ``ColumnTransformer`` of an
    ``OrdinalEncoder``, as scikit-learn's preprocessor) costs one more pass to learn
    the categories of Dask input, and runs blockwise before binning and prediction.
    Their splits are found here from the same histograms (one bin per category) and
    travel as a bitset of left bins per node (a boolean row of ``max_bins + 1``)."""


def combine_boost(parts):
    """Combine of :func:`boost_kernel` partials carrying rows: histograms and losses
    add up, the rows (scorer rows ``rows_*``, fetched rows ``fetch_*``) are
    concatenated."""
    parts = [p for p in parts if p]
    rows = {}
    for k in sorted({k for p in parts for k in p if k.startswith(("rows_", "fetch_"))}):
        got = [p[k] for p in parts if k in p]
        if got:
            rows[k] = np.concatenate(got)
    out = sum_partials([{k: v for k, v in p.items() if k not in rows} for p in parts])
    out.update(rows)
    return out


def _keep_fetched(res, fetch, owners, local, X=None):
    """The rows a pass fetched for each entry of ``fetch``, in their global order, kept
    in ``local[k][split]`` for the ``(k, split)`` of ``owners``; ``X``: the binned
    rows of every entry, held here already (not fetched)."""
    order = np.lexsort((res["fetch_idx"], res["fetch_slot"]))
    bounds = np.searchsorted(res["fetch_slot"][order], np.arange(len(fetch) + 1))
    for j, (k, split) in enumerate(owners):
        sel = order[bounds[j] : bounds[j + 1]]
        local[k][split] = {key: res[f"fetch_{key}"][sel] for key in ("g", "h", "node")}
        local[k][split]["X"] = res["fetch_X"][sel] if X is None else X


def _num_rows(v, compute=True):
    """The number of rows of ``v``; for Dask collections of unknown length, computed
    (a read of the collection) or, with ``compute=False``, NaN."""
    if not is_dask_collection(v):
        return np.shape(v)[0] if hasattr(v, "shape") else len(v)
    n = v.shape[0] if hasattr(v, "chunks") else np.nan
    if isinstance(n, (int, np.integer)) or not compute:
        return n
    return len(v) if not hasattr(v, "chunks") else int(v.compute_chunk_sizes().shape[0])


def _as_dask(v):
    import dask.array as da

    if hasattr(v, "to_dask_array"):
        return v.to_dask_array(lengths=True)
    if is_dask_collection(v):
        return v
    return da.from_array(np.asarray(v), chunks=(-1,) + (np.ndim(v) - 1) * (-1,))


def _concat_rows(a, b):
    """``a`` then ``b`` by rows (Dask when either is; pandas frames kept)."""
    import pandas as pd

    if is_dask_collection(a) or is_dask_collection(b):
        import dask.array as da

        return da.concatenate([_as_dask(a), _as_dask(b)], axis=0)
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        return pd.concat([a, b], axis=0, ignore_index=True)
    return np.concatenate([np.asarray(a), np.asarray(b)], axis=0)


def _check_val_X(X, X_val, preprocessor, name):
    """X_val as scikit-learn's ``_preprocess_X(reset=False)`` sees it: through the
    fitted preprocessor, else checked against X's features (names, count)."""
    if preprocessor is not None:
        out = preprocessor.transform(X_val)
        return out.astype(np.float64) if is_dask_collection(out) else np.asarray(out, dtype=np.float64)
    names = getattr(X, "columns", None)
    names_val = getattr(X_val, "columns", None)
    if names is not None and names_val is not None and list(names) != list(names_val):
        raise ValueError("The feature names should match those that were passed during fit.")
    p = len(names) if names is not None else X.shape[1]
    p_val = len(names_val) if names_val is not None else X_val.shape[1]
    if p_val != p:
        raise ValueError(f"X has {p_val} features, but {name} is expecting {p} features as input.")
    return X_val


def _leaf_nodes(tree):
    """The leaves reached from the root of a finished tree, sorted."""
    out, stack = [], [0]
    while stack:
        node = stack.pop()
        if tree["feature"][node] >= 0:
            stack += [int(tree["left"][node]), int(tree["right"][node])]
        else:
            out.append(node)
    return np.array(sorted(out), dtype=np.int64)


def _leaf_order_statistics(run, n_leaves, thresholds_for, weighted=False):
    """Exact (weighted) order statistics of the leaves' residuals over passes ``run``
    (the engine's bracketing, :func:`dml._engine.quantiles.refine_order_statistics`):
    the totals and, per leaf, the first values whose count (weight) at or below
    reaches each threshold."""
    totals, found, _ = refine_order_statistics(run, n_leaves, thresholds_for, weighted=weighted)
    return totals, found


def _weighted_percentile(y, w, q):
    """scikit-learn's ``_weighted_percentile`` (inverted CDF): the smallest value whose
    cumulative weight reaches ``q / 100`` of the total."""
    order = np.argsort(y)
    cdf = np.cumsum(w[order])
    t = q / 100 * cdf[-1]
    if t == 0:
        t = np.nextafter(t, t + 1)
    return y[order][min(int(np.searchsorted(cdf, t)), y.shape[0] - 1)]


def _is_nan(v):
    return isinstance(v, float) and v != v


def _check_categorical_features(X, categorical_features):
    """The categorical mask (n_features,) of X, or None; scikit-learn's
    ``_check_categorical_features`` rules and messages, for pandas and Dask DataFrames
    ('from_dtype': the columns of category dtype) and arrays."""
    import pandas as pd

    dtypes = getattr(X, "dtypes", None)
    is_frame = hasattr(X, "columns") and dtypes is not None and not hasattr(dtypes, "kind")
    by_dtype = isinstance(categorical_features, str) and categorical_features == "from_dtype"
    if categorical_features is None or (by_dtype and not is_frame):
        return None
    if by_dtype:
        categorical_features = np.asarray([isinstance(d, pd.CategoricalDtype) for d in dtypes])
    else:
        categorical_features = np.asarray(categorical_features)
    if categorical_features.size == 0:
        return None
    if categorical_features.dtype.kind not in ("i", "b", "U", "O"):
        raise ValueError(
            "categorical_features must be an array-like of bool, int or "
            f"str, got: {categorical_features.dtype.name}."
        )
    if categorical_features.dtype.kind == "O":
        types = set(type(f) for f in categorical_features)
        if types != {str}:
            raise ValueError(
                "categorical_features must be an array-like of bool, int or "
                f"str, got: {', '.join(sorted(t.__name__ for t in types))}."
            )
    names = list(X.columns) if is_frame else None
    n_features = len(names) if is_frame else X.shape[1]
    if categorical_features.dtype.kind in ("U", "O"):
        if names is None:
            raise ValueError(
                "categorical_features should be passed as an array of "
                "integers or as a boolean mask when the model is fitted "
                "on data without feature names."
            )
        is_categorical = np.zeros(n_features, dtype=bool)
        for name in categorical_features:
            try:
                is_categorical[names.index(name)] = True
            except ValueError as e:
                raise ValueError(
                    f"categorical_features has an item value '{name}' "
                    "which is not a valid feature name of the training "
                    f"data. Observed feature names: {names}"
                ) from e
    elif categorical_features.dtype.kind == "i":
        if np.max(categorical_features) >= n_features or np.min(categorical_features) < 0:
            raise ValueError("categorical_features set as integer indices must be in [0, n_features - 1]")
        is_categorical = np.zeros(n_features, dtype=bool)
        is_categorical[categorical_features] = True
    else:
        if categorical_features.shape[0] != n_features:
            raise ValueError(
                "categorical_features set as a boolean mask "
                "must have shape (n_features,), got: "
                f"{categorical_features.shape}"
            )
        is_categorical = categorical_features
    if not np.any(is_categorical):
        return None
    return is_categorical


class _BaseHGB(BaseEstimator):
    """Shared fit of dml's histogram gradient boosting estimators."""

    _host_only = True  # NumPy binning and histograms: CuPy input gets check_host_input's TypeError

    _parameter_constraints = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left"), None],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "l2_regularization": [Interval(Real, 0, None, closed="left")],
        "max_features": [Interval(RealNotInt, 0, 1, closed="right")],
        "monotonic_cst": ["array-like", dict, None],
        "interaction_cst": [list, tuple, StrOptions({"pairwise", "no_interactions"}), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [
            Interval(RealNotInt, 0, 1, closed="neither"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_bins": [Interval(Integral, 2, 255, closed="both")],
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "warm_start": ["boolean"],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "scoring": [str, callable, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    # --------------------------------------------------------------------- checks

    def _encode_categories(self, X):
        """scikit-learn's ``_preprocess_X`` at fit: find the categorical features and,
        when there are any, fit the preprocessor (an ordinal encoder of the categorical
        columns, placed first, then the numeric columns; one pass for Dask input) and
        return its (lazy for Dask input) output with the number of categories of each
        categorical feature."""
        self.is_categorical_ = _check_categorical_features(X, self.categorical_features)
        if self.is_categorical_ is None:
            self._preprocessor = None
            return X, None
        from dml.compose import ColumnTransformer
        from dml.preprocessing import OrdinalEncoder

        is_cat = self.is_categorical_
        encoder = OrdinalEncoder(
            categories="auto",
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            encoded_missing_value=np.nan,
            dtype=np.float64,
        )
        self._preprocessor = ColumnTransformer(
            [("encoder", encoder, is_cat), ("numerical", "passthrough", ~is_cat)]
        )
        Xe = self._preprocessor.fit_transform(X)
        names = getattr(self._preprocessor, "feature_names_in_", None)
        n_categories = []
        # scikit-learn names the feature by its position among the categorical ones
        for idx, cats in enumerate(self._preprocessor.named_transformers_["encoder"].categories_):
            if len(cats) and _is_nan(cats[-1]):
                cats = cats[:-1]
            if len(cats) > self.max_bins:
                feature = repr(names[is_cat][idx]) if names is not None else f"at index {idx}"
                raise ValueError(
                    f"Categorical feature {feature} is expected to have a cardinality <= "
                    f"{self.max_bins} but actually has a cardinality of {len(cats)}."
                )
            n_categories.append(len(cats))
        return Xe, np.array(n_categories, dtype=np.int64)

    def _transform_X(self, X):
        """The preprocessor's output for predict (lazy for Dask input), validated."""
        if self._preprocessor is None:
            return validate_predict_data(self, X, dtype=(np.float64,))
        Xe = self._preprocessor.transform(X)
        if is_dask_collection(Xe):
            Xe = Xe.astype(np.float64)
            return Xe.rechunk({1: -1}) if len(Xe.chunks[1]) > 1 else Xe
        return np.asarray(Xe, dtype=np.float64)

    def _check_monotonic_cst(self, n_features):
        """The constraints as int8 (n_features,), or None; scikit-learn's rules and
        messages (``_check_monotonic_cst``)."""
        cst = self.monotonic_cst
        if cst is None:
            return None
        if self.n_trees_per_iteration_ != 1:
            raise ValueError("monotonic constraints are not supported for multiclass classification.")
        if isinstance(cst, dict):
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError(
                    f"{type(self).__name__} was not fitted on data with feature names. "
                    "Pass monotonic_cst as an integer array instead."
                )
            unexpected = sorted(set(cst) - set(names))
            if unexpected:
                shown = unexpected[:5] + (["..."] if len(unexpected) > 5 else [])
                raise ValueError(
                    f"monotonic_cst contains {len(unexpected)} unexpected feature names: {shown}."
                )
            out = np.zeros(n_features, dtype=np.int8)
            for i, name in enumerate(names):
                if name in cst:
                    if cst[name] not in (-1, 0, 1):
                        raise ValueError(
                            f"monotonic_cst['{name}'] must be either -1, 0 or 1. Got {cst[name]!r}."
                        )
                    out[i] = cst[name]
            return out
        bad = np.setdiff1d(cst, [-1, 0, 1])
        if bad.shape[0]:
            raise ValueError(
                f"monotonic_cst must be an array-like of -1, 0 or 1. Observed values: {bad.tolist()}."
            )
        out = np.asarray(cst, dtype=np.int8)
        if out.shape[0] != n_features:
            raise ValueError(
                f"monotonic_cst has shape {out.shape} but the input data X has {n_features} features."
            )
        return out

    def _remapped_monotonic_cst(self, n_features):
        """The monotonic constraints in the preprocessor's feature order (categorical
        features first), refused on categorical features as scikit-learn does."""
        cst = self._check_monotonic_cst(n_features)
        is_cat = self.is_categorical_
        if cst is None or is_cat is None:
            return cst
        if np.any(cst[is_cat] != 0):
            raise ValueError("Categorical features cannot have monotonic constraints.")
        return np.concatenate([cst[is_cat], cst[~is_cat]])

    def _check_interaction_cst(self, n_features):
        """The interaction groups as a list of sets (unlisted features forming one more
        group), or None; scikit-learn's rules and messages."""
        if self.interaction_cst is None:
            return None
        if self.interaction_cst == "no_interactions":
            groups = [[i] for i in range(n_features)]
        elif self.interaction_cst == "pairwise":
            groups = itertools.combinations(range(n_features), 2)
        else:
            groups = self.interaction_cst
        try:
            constraints = [set(group) for group in groups]
        except TypeError:
            raise ValueError(
                f"Interaction constraints must be a sequence of tuples or lists, got: {self.interaction_cst!r}."
            ) from None
        for group in constraints:
            for x in group:
                if not (isinstance(x, Integral) and 0 <= x < n_features):
                    raise ValueError(
                        "Interaction constraints must consist of integer indices in"
                        f" [0, n_features - 1] = [0, {n_features - 1}], specifying the"
                        f" position of features, got invalid indices: {group!r}"
                    )
        rest = set(range(n_features)) - set().union(*constraints)
        if rest:
            constraints.append(rest)
        return constraints

    # ------------------------------------------------------------------------ fit

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the gradient boosting model.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            NaN is a missing value (its direction is learned at every split).
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None
        X_val : array-like, Dask array or DataFrame of shape (n_val, n_features), default=None
            Validation rows for early stopping (instead of a ``validation_fraction``
            of X), as scikit-learn >= 1.7; they go through the same preprocessing and
            binning and are scored, never trained on.
        y_val : array-like or Dask collection of shape (n_val,), default=None
        sample_weight_val : array-like or Dask array of shape (n_val,), default=None

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import HistGradientBoostingRegressor
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> reg = HistGradientBoostingRegressor(max_iter=5, min_samples_leaf=2).fit(X, X[:, 0])
        >>> reg.n_iter_
        5
        """
        check_params(self)
        Xe, n_cat = self._encode_categories(X)
        has_val = X_val is not None or y_val is not None
        n_val = 0
        if has_val:
            if y_val is None:
                raise ValueError("X_val is provided, but y_val was not provided.")
            if X_val is None:
                raise ValueError("y_val is provided, but X_val was not provided.")
            Xv = _check_val_X(X, X_val, self._preprocessor, type(self).__name__)
            n_val = int(_num_rows(y_val))
            n_xv = _num_rows(Xv, compute=False)
            if n_xv == n_xv and int(n_xv) != n_val:
                raise ValueError(
                    f"Found input variables with inconsistent numbers of samples: [{int(n_xv)}, {n_val}]"
                )
            if self.early_stopping is False:
                raise ValueError(
                    "X_val and y_val are passed to fit while at the same time "
                    "early_stopping is False. When passing X_val and y_val to fit,"
                    "early_stopping should be set to either 'auto' or True."
                )
            # the validation rows ride with the training rows, flagged as validation
            Xe = _concat_rows(Xe, Xv)
            if sample_weight is not None or sample_weight_val is not None:
                w_fit = np.ones(int(_num_rows(y))) if sample_weight is None else sample_weight
                w_val = np.ones(n_val) if sample_weight_val is None else sample_weight_val
                weights_given = sample_weight is not None
                sample_weight = _concat_rows(w_fit, w_val)
            else:
                weights_given = False
            y = _concat_rows(y, y_val)
        else:
            weights_given = sample_weight is not None
        warm = bool(self.warm_start) and hasattr(self, "_trees")
        if warm and self.max_iter < self.n_iter_:
            raise ValueError(
                f"max_iter={self.max_iter} must be larger than or equal to n_iter_={self.n_iter_} "
                "when warm_start==True"
            )
        classifier = isinstance(self, ClassifierMixin)
        with validate_fit_data(
            self, Xe, y, sample_weight, dtype=(np.float64,), y_numeric=not classifier
        ) as data:
            if n_cat is not None:
                self.n_features_in_ = self._preprocessor.n_features_in_
                if hasattr(self._preprocessor, "feature_names_in_"):
                    self.feature_names_in_ = self._preprocessor.feature_names_in_
                # the preprocessor puts the categorical features first
                self._n_categories = np.concatenate(
                    [n_cat, np.zeros(self.n_features_in_ - n_cat.shape[0], np.int64)]
                )
            else:
                self._n_categories = None
            n_all = data.n_samples
            n = n_all - n_val
            y_host = data.gather("y")
            w_host = data.gather("sample_weight")
            y_enc = self._encode_y(y_host[:n])
            if w_host is not None:
                w_host = _check_sample_weight(w_host, np.empty((n_all, 0)), dtype=np.float64)
            w_fit = None if not weights_given else w_host[:n]
            w_fit = self._finalize_sample_weight(w_fit, y_enc)
            if has_val:
                y_enc = np.concatenate([y_enc, self._encode_y_val(y_host[n:])])
                if w_fit is not None or w_host is not None:
                    w_val_host = np.ones(n_val) if w_host is None else w_host[n:]
                    w_host = np.concatenate([np.ones(n) if w_fit is None else w_fit, w_val_host])
            else:
                w_host = w_fit
            if not warm:
                rng = check_random_state(self.random_state)
                self._random_seed = rng.randint(np.iinfo(np.uint32).max, dtype="u8")
                self._fs_seed = rng.randint(np.iinfo(np.uint32).max, dtype="u8")
                self._feature_rng = np.random.default_rng(self._fs_seed)
            if self.early_stopping == "auto":
                self.do_early_stopping_ = n > 10_000
            else:
                self.do_early_stopping_ = bool(self.early_stopping)
            use_val = self.validation_fraction is not None or has_val
            idx = np.arange(n)
            if has_val:
                train_idx, val_idx = idx, np.arange(n, n_all)
            elif self.do_early_stopping_ and use_val:
                train_idx, val_idx = train_test_split(
                    idx,
                    test_size=self.validation_fraction,
                    stratify=y_enc if classifier else None,
                    random_state=self._random_seed,
                )
            else:
                train_idx, val_idx = idx, idx[:0]
            w_train = None if w_host is None or (w_fit is None and has_val) else w_host[train_idx]
            if warm:
                thresholds = self._bin_thresholds
            else:
                thresholds = self._find_thresholds(data, train_idx, w_train)
            max_bins = self.max_bins
            train = np.zeros(n_all)
            train[train_idx] = 1.0
            scoring = self.do_early_stopping_ and self.scoring != "loss"
            if scoring:
                small = self._small_trainset(train_idx, y_enc[train_idx], classifier)
                train[small] = 2.0  # a training row the scorer sees
            Yh = np.column_stack([y_enc, train, np.ones(n_all) if w_host is None else w_host])
            data2 = data.with_host("y", Yh)
            datab = map_chunks(bin_chunk, data2, which="X", thresholds=thresholds, missing_bin=max_bins)
            if not warm:
                self._baseline = self._baseline_prediction(y_enc[train_idx], w_train)
                self._trees = []
                self.train_score_, self.validation_score_ = [], []
            else:
                self.train_score_ = list(self.train_score_)
                self.validation_score_ = list(self.validation_score_)
            self._bin_thresholds = thresholds
            score_sets = None
            if scoring:
                val_weighted = sample_weight_val is not None if has_val else w_host is not None
                score_sets = self._score_sets(
                    datab,
                    {"train": (small, w_train is not None), "val": (val_idx, val_weighted)}
                    if use_val
                    else {"train": (small, w_train is not None)},
                    y_enc,
                    w_host,
                )
            self._boost(
                datab,
                thresholds,
                warm,
                use_val,
                n_train=train_idx.shape[0],
                const_hess=w_train is None
                and self._loss_name in ("squared_error", "absolute_error", "quantile"),
                score_sets=score_sets,
            )
        self.n_iter_ = len(self._trees)
        self.train_score_ = np.asarray(self.train_score_)
        self.validation_score_ = np.asarray(self.validation_score_)
        flat = [t for it in self._trees for t in it]
        self._table, self._roots = pack_trees(flat, self._n_categories)
        return self

    def _find_thresholds(self, data, train_idx, w_train):
        """Bin edges from the training rows (or scikit-learn's subsample of them),
        gathered to this process in one pass."""
        n_train = train_idx.shape[0]
        w_bins = w_train
        if n_train > _SUBSAMPLE:
            rng = check_random_state(self._random_seed)
            prob = None if w_train is None else w_train / np.sum(w_train)
            subset = rng.choice(n_train, _SUBSAMPLE, p=prob, replace=True)
            rows = train_idx[subset]
            w_bins = None
        else:
            rows = train_idx
        uniq, inverse = np.unique(rows, return_inverse=True)
        got = map_reduce(
            gather_rows_kernel, data, combine=combine_rows, ordered=True, pass_row_offset=True, rows=uniq
        )
        Xs = np.asarray(got["X"])[inverse]
        n_cat = self._n_categories
        return [
            np.arange(n_cat[f], dtype=np.float64)
            if n_cat is not None and n_cat[f]
            else find_binning_thresholds(Xs[:, f], self.max_bins, w_bins)
            for f in range(Xs.shape[1])
        ]

    def _small_trainset(self, train_idx, y_train, classifier):
        """scikit-learn's ``_get_small_trainset``: the (at most 10000) training rows
        the scorer sees, drawn from the same seed (stratified for classifiers)."""
        if train_idx.shape[0] <= _SMALL_TRAIN:
            return train_idx
        ind = resample(
            np.arange(train_idx.shape[0]),
            n_samples=_SMALL_TRAIN,
            replace=False,
            random_state=self._random_seed,
            stratify=y_train if classifier else None,
        )
        return train_idx[ind]

    def _score_sets(self, datab, sets, y_enc, w_host):
        """The rows the scorer sees (scikit-learn's order), with their binned X
        (gathered once), targets and weights; the scorer."""
        rows = np.unique(np.concatenate([idx for idx, _ in sets.values()]))
        got = map_reduce(
            gather_rows_kernel, datab, combine=combine_rows, ordered=True, pass_row_offset=True, rows=rows
        )
        Xr = np.asarray(got["X"]).astype(np.uint8)
        out = {"scorer": check_scoring(self, self.scoring)}
        classes = getattr(self, "classes_", None)
        for name, (idx, weighted) in sets.items():
            yv = y_enc[idx]
            out[name] = {
                "idx": idx,
                "X": Xr[np.searchsorted(rows, idx)],
                "y": classes[yv.astype(np.int64)] if classes is not None else yv,
                "w": w_host[idx] if weighted else None,
            }
        return out

    def _score_raw(self, entry, scorer, rows_idx, rows_raw):
        """The scorer on ``entry``'s rows, the estimator answering from their raw
        predictions (scikit-learn's ``_patch_raw_predict``)."""
        self._raw_override = rows_raw[np.searchsorted(rows_idx, entry["idx"])]
        try:
            if entry["w"] is None:
                return scorer(self, entry["X"], entry["y"])
            return scorer(self, entry["X"], entry["y"], sample_weight=entry["w"])
        finally:
            del self._raw_override

    def _boost(self, datab, thresholds, warm, use_val, const_hess, score_sets=None, n_train=None):
        K = self.n_trees_per_iteration_
        n_bins = self.max_bins + 1
        nbnm = np.array([t.shape[0] + 1 for t in thresholds])
        p = len(thresholds)
        params = {
            "min_samples_leaf": self.min_samples_leaf,
            "min_hessian_to_split": 1e-3,
            "l2_regularization": float(self.l2_regularization),
            "max_leaf_nodes": self.max_leaf_nodes,
            "max_depth": self.max_depth,
            "monotonic": self._remapped_monotonic_cst(p),
            "interaction_cst": self._check_interaction_cst(p),
            "n_categories": self._n_categories,
        }
        model = {"baseline": self._baseline, "trees": self._trees, "current": None}
        es = self.do_early_stopping_
        kw = {
            "loss": self._loss_name,
            "n_bins": n_bins,
            "missing_bin": self.max_bins,
            "const_hess": const_hess,
            "quantile": getattr(self, "quantile", None),
        }

        scored = score_sets is not None

        def run(compute, want_loss, cache, fetch=(), fetch_X=True):
            extra = {}
            if want_loss and scored:
                # the scorer's rows: their raw predictions instead of the losses
                want_loss = False
                extra = dict(want_rows=True, pass_row_offset=True, combine=combine_boost)
            if len(fetch):
                extra.update(
                    fetch=np.asarray(fetch, dtype=np.int64).reshape(-1, 3),
                    fetch_X=fetch_X,
                    pass_row_offset=True,
                    combine=combine_boost,
                )
            res = map_reduce(
                boost_kernel,
                datab,
                broadcast=(model,),
                cache=cache,
                compute=np.asarray(compute, dtype=np.int64).reshape(-1, 2),
                want_loss=want_loss,
                **kw,
                **extra,
            )
            return {k: np.asarray(v) for k, v in res.items()}

        def record(res):
            if scored:
                order = np.argsort(res["rows_idx"])
                rows_idx, rows_raw = res["rows_idx"][order], res["rows_raw"][order]
                scorer = score_sets["scorer"]
                self.train_score_.append(self._score_raw(score_sets["train"], scorer, rows_idx, rows_raw))
                if use_val:
                    self.validation_score_.append(
                        self._score_raw(score_sets["val"], scorer, rows_idx, rows_raw)
                    )
            else:
                self.train_score_.append(-float(res["train_loss"][0] / res["train_w"][0]))
                if use_val:
                    self.validation_score_.append(-float(res["val_loss"][0] / res["val_w"][0]))
            return self._should_stop(self.validation_score_ if use_val else self.train_score_)

        # a split's subtree grows here from its rows once they weigh at most
        # _LOCAL_HISTOGRAMS node histograms (p + 24 bytes a fetched row)
        local_rows = _LOCAL_HISTOGRAMS * p * n_bins * 24 // (p + 24)
        # when every training row is small enough, the root's pass fetches them all
        root_local = n_train is not None and n_train <= local_rows and K * n_train * (p + 24) <= _LOCAL_BYTES
        has_missing = None
        held_X = None  # with root_local: the binned training rows, in their order
        begin = len(self._trees)
        with chunk_cache(datab) as cache:
            stopped = False
            for it in range(begin, self.max_iter):
                model["current"] = [_ROOT_ONLY] * K
                root_fetch = [(k, 0, 0) for k in range(K)] if root_local else []
                # every training row is fetched each iteration: binned X only once
                res = run([(k, 0) for k in range(K)], es, cache, root_fetch, fetch_X=held_X is None)
                if es and (it > begin or not warm):
                    if record(res) and it > begin:
                        stopped = True
                        break
                if has_missing is None:
                    has_missing = res["hist"][0, :, self.max_bins, 2] > 0
                growers = []
                for k in range(K):
                    pk = dict(params)
                    if self.max_features < 1:
                        pk["feature_draw"] = (self._feature_rng, self.max_features)
                    g = LevelGrower(
                        params=pk, nbnm=nbnm, has_missing=has_missing, n_bins=n_bins, thresholds=thresholds
                    )
                    g.receive({0: node_histograms(res["hist"], k)})
                    growers.append(g)
                # per tree: split node -> its fetched rows; the bytes left to fetch
                local = [{} for _ in range(K)] + [_LOCAL_BYTES]
                if root_fetch:
                    local[-1] -= K * n_train * (p + 24)
                    _keep_fetched(res, root_fetch, [(k, 0) for k in range(K)], local, held_X)
                    held_X = local[0][0]["X"]
                while not all(g.done for g in growers):
                    model["current"] = [g.arrays() for g in growers]
                    self._grow_round(
                        growers, model["current"], local, run, cache, (local_rows, p + 24), n_bins, const_hess
                    )
                trees = [g.arrays(shrinkage=self.learning_rate) for g in growers]
                model["current"] = None
                if self._loss_name in ("absolute_error", "quantile"):
                    self._update_leaf_values(trees[0], datab, model, cache, weighted=not const_hess)
                self._trees.append(trees)
                if self.verbose:
                    print(
                        f"[{it + 1}/{self.max_iter}] {K} tree(s), {sum(len(g.feature) for g in growers)} nodes"
                    )
            if es and not stopped and len(self._trees) > begin:
                record(run([], True, cache))

    def _grow_round(self, growers, trees, local, run, cache, limits, n_bins, const_hess):
        """One round of growth of every tree: the histograms its grower asks for, from
        the rows fetched here when their split's rows are (``local[k]``), else from a
        pass, which also fetches the rows of the splits of at most ``local_rows`` rows
        while the bytes left (``local[-1]``, ``row_bytes`` a row) allow. Fetched rows
        are summed in their global order, as one chunk would sum them."""
        local_rows, row_bytes = limits
        remote, fetch, owners, wanted = [], [], [], []
        for k, g in enumerate(growers):
            for node in g.requests():
                split = g.parent[node]
                owner = split
                while owner >= 0 and owner not in local[k]:
                    owner = g.parent[owner]
                if owner < 0 and g.n[split] <= local_rows and g.n[split] * row_bytes <= local[-1]:
                    local[-1] -= g.n[split] * row_bytes
                    fetch.append((k, g.left[split], g.right[split]))
                    owners.append((k, split))
                    owner = split
                    local[k][split] = None  # arrives with this round's pass
                if owner < 0:
                    remote.append((k, node))
                wanted.append((k, node, owner))
        res = run(remote, False, cache, fetch) if remote or fetch else {}
        if fetch:
            _keep_fetched(res, fetch, owners, local)
        hists = [{} for _ in growers]
        remote_slot = {kn: s for s, kn in enumerate(remote)}
        by_store = {}
        for k, node, owner in wanted:
            if owner < 0:
                hists[k][node] = node_histograms(res["hist"], remote_slot[(k, node)])
            else:
                by_store.setdefault((k, owner), []).append(node)
        for (k, owner), nodes in by_store.items():
            rows = local[k][owner]
            rows["node"] = descend(rows["X"], trees[k], rows["node"], self.max_bins)
            h = local_histograms(rows["X"], rows["node"], rows["g"], rows["h"], nodes, n_bins, const_hess)
            for s, node in enumerate(nodes):
                hists[k][node] = node_histograms(h, s)
        for k, g in enumerate(growers):
            if hists[k]:
                g.receive(hists[k])

    def _update_leaf_values(self, tree, datab, model, cache, weighted):
        """scikit-learn's ``_update_leaves_values``: every leaf's value becomes
        ``learning_rate`` times the (weighted) median / quantile of the residuals of
        its training rows, found exactly by the engine's order-statistics passes (one
        column per leaf)."""
        leaves = _leaf_nodes(tree)
        q = 50.0 if self._loss_name == "absolute_error" else 100 * self.quantile
        size = DEFAULT_SIZE
        combine = functools.partial(combine_order_stats, size=size)

        def run(brackets):
            res = map_reduce(
                leaf_order_stats_kernel,
                datab,
                broadcast=(dict(model, leaf_tree=tree),),
                cache=cache,
                combine=combine,
                leaves=leaves,
                brackets=brackets,
                size=size,
                weighted=weighted,
                missing_bin=self.max_bins,
            )
            return res["order_stats"]

        if weighted:

            def thresholds(total):
                t = q / 100 * total
                return [np.array([np.nextafter(0.0, 1.0) if v == 0 else v]) for v in t]

            _, values = _leaf_order_statistics(run, len(leaves), thresholds, weighted=True)
            update = np.array([v[0] for v in values])
        elif self._loss_name == "absolute_error":
            n, values = _leaf_order_statistics(run, len(leaves), lambda n: [r + 1 for r in median_ranks(n)])
            update = np.array([(v[0] + v[1]) / 2 for v in values])
        else:
            qa = np.array([q])

            def ranks(n):
                return [r + 1 for r in percentile_ranks(n, qa, np.float64)]

            n, values = _leaf_order_statistics(run, len(leaves), ranks)
            update = percentiles_from_order_statistics(n, values, qa, np.float64)[0]
        # the nodes below a leaf (expanded, then dropped by the final heap) carry its
        # value: rows cached at such nodes take it
        for leaf, v in zip(leaves, self.learning_rate * update):
            stack = [int(leaf)]
            while stack:
                node = stack.pop()
                tree["value"][node] = v
                if tree["left"][node] >= 0:
                    stack += [int(tree["left"][node]), int(tree["right"][node])]

    def _should_stop(self, scores):
        ref = self.n_iter_no_change + 1
        if len(scores) < ref:
            return False
        reference = scores[-ref] + self.tol
        return not any(s > reference for s in scores[-ref + 1 :])

    # --------------------------------------------------------------------- predict

    def _blockwise(self, X, output, n_iter=None, n_outputs=None, dtype=np.float64, **extra):
        check_is_fitted(self, "_trees")
        raw = getattr(self, "_raw_override", None)
        if raw is not None:  # scoring during fit: the rows' raw predictions are known
            return outputs_from_raw(raw, output, self._loss_name, extra.get("classes"))
        X = self._transform_X(X)
        return apply_blockwise(
            predict_block,
            X,
            n_outputs=n_outputs,
            dtype=dtype,
            table=self._table,
            roots=self._roots,
            baseline=self._baseline,
            n_iter=self.n_iter_ if n_iter is None else n_iter,
            output=output,
            loss=self._loss_name,
            **extra,
        )


# ------------------------------------------------------------------------ regressor


class HistGradientBoostingRegressor(RegressorScoreMixin, RegressorMixin, _BaseHGB):
    """Histogram-based gradient boosting regression tree on row-chunked data.

    A drop-in for :class:`sklearn.ensemble.HistGradientBoostingRegressor`: the same
    binning, gain, missing-value handling and early stopping, fitted as one global
    model through Dask task graphs (one pass per tree level until the splits are
    small enough to grow here from their rows), so the model does not depend on the
    number of workers, and a lost worker is recomputed by the graph.

    Parameters
    ----------
    loss : {'squared_error', 'absolute_error', 'gamma', 'poisson', 'quantile'}, default='squared_error'
        scikit-learn's losses ('gamma' and 'poisson' with a log link). For
        'absolute_error' and 'quantile' the trees are grown on the subgradients
        (hessian 1) and every leaf's value is then the (weighted) median / quantile of
        the residuals of its training rows, as scikit-learn.
    quantile : float, default=None
        The quantile predicted with ``loss='quantile'`` (in (0, 1)).
    """

    __doc__ += (
        _COMMON_PARAMS
        + """

    Attributes
    ----------
    """
        + _COMMON_ATTRS
        + """

    Notes
    -----
    """
        + _NOTES
        + """

    Examples
    --------
    >>> import numpy as np
    >>> from dml.ensemble import HistGradientBoostingRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(200, 3)
    >>> y = 3 * X[:, 0] + X[:, 1] ** 2
    >>> reg = HistGradientBoostingRegressor(max_iter=50).fit(X, y)
    >>> bool(reg.score(X, y) > 0.9)
    True
    """
    )

    _parameter_constraints = {
        **_BaseHGB._parameter_constraints,
        "loss": [StrOptions({"squared_error", "absolute_error", "poisson", "gamma", "quantile"})],
        "quantile": [Interval(Real, 0, 1, closed="both"), None],
    }

    def __init__(
        self,
        loss="squared_error",
        *,
        quantile=None,
        learning_rate=0.1,
        max_iter=100,
        max_leaf_nodes=31,
        max_depth=None,
        min_samples_leaf=20,
        l2_regularization=0.0,
        max_features=1.0,
        max_bins=255,
        categorical_features="from_dtype",
        monotonic_cst=None,
        interaction_cst=None,
        warm_start=False,
        early_stopping="auto",
        scoring="loss",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-7,
        verbose=0,
        random_state=None,
    ):
        self.loss = loss
        self.quantile = quantile
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_features = max_features
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.monotonic_cst = monotonic_cst
        self.interaction_cst = interaction_cst
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.scoring = scoring
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    @property
    def _loss_name(self):
        return self.loss

    def _encode_y(self, y):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        self.n_trees_per_iteration_ = 1
        if self.loss == "quantile":
            check_scalar(
                self.quantile,
                "quantile",
                target_type=Real,
                min_val=0,
                max_val=1,
                include_boundaries="neither",
            )
        if self.loss == "gamma" and not np.all(y > 0):
            raise ValueError("loss='gamma' requires strictly positive y.")
        if self.loss == "poisson" and not (np.all(y >= 0) and np.sum(y) > 0):
            raise ValueError("loss='poisson' requires non-negative y and sum(y) > 0.")
        return y

    def _finalize_sample_weight(self, w, y):
        return w

    def _encode_y_val(self, y):
        return check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")

    def _baseline_prediction(self, y, w):
        if self.loss in ("absolute_error", "quantile"):
            q = 50 if self.loss == "absolute_error" else 100 * self.quantile
            if w is not None:
                return np.array([_weighted_percentile(y, w, q)])
            return np.array([np.median(y) if self.loss == "absolute_error" else np.percentile(y, q)])
        avg = np.average(y, weights=w)
        if self.loss == "squared_error":
            return np.array([avg])
        return np.array([np.log(np.clip(avg, 10 * np.finfo(np.float64).eps, None))])

    def predict(self, X):
        """Predict values for X.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray or Dask array of shape (n_samples,)
            Lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import HistGradientBoostingRegressor
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> reg = HistGradientBoostingRegressor(max_iter=5, min_samples_leaf=2).fit(X, X[:, 0])
        >>> reg.predict(X[:2]).shape
        (2,)
        """
        return self._blockwise(X, "predict")

    def staged_predict(self, X):
        """Predictions after each iteration.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Yields
        ------
        y : ndarray or Dask array of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import HistGradientBoostingRegressor
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> reg = HistGradientBoostingRegressor(max_iter=3, min_samples_leaf=2).fit(X, X[:, 0])
        >>> len(list(reg.staged_predict(X)))
        3
        """
        check_is_fitted(self, "_trees")
        for i in range(self.n_iter_):
            yield self._blockwise(X, "predict", n_iter=i + 1)


# ----------------------------------------------------------------------- classifier


class HistGradientBoostingClassifier(ClassifierMixin, _BaseHGB):
    """Histogram-based gradient boosting classification tree on row-chunked data.

    A drop-in for :class:`sklearn.ensemble.HistGradientBoostingClassifier`: binary
    and multiclass log loss (one tree per class and iteration, the trees of an
    iteration grown in the same passes), fitted as one global model through Dask task
    graphs (one pass per tree level until the splits are small enough to grow here
    from their rows).

    Parameters
    ----------
    loss : {'log_loss'}, default='log_loss'
    """

    __doc__ += (
        _COMMON_PARAMS
        + """
    class_weight : dict or 'balanced', default=None
        Weights of the classes, multiplying ``sample_weight`` (scikit-learn's rule).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    """
        + _COMMON_ATTRS
        + """

    Notes
    -----
    """
        + _NOTES
        + """

    Examples
    --------
    >>> import numpy as np
    >>> from dml.ensemble import HistGradientBoostingClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(200, 3)
    >>> y = (X[:, 0] + X[:, 1] > 1).astype(int)
    >>> clf = HistGradientBoostingClassifier(max_iter=30).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """
    )

    _parameter_constraints = {
        **_BaseHGB._parameter_constraints,
        "loss": [StrOptions({"log_loss"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        loss="log_loss",
        *,
        learning_rate=0.1,
        max_iter=100,
        max_leaf_nodes=31,
        max_depth=None,
        min_samples_leaf=20,
        l2_regularization=0.0,
        max_features=1.0,
        max_bins=255,
        categorical_features="from_dtype",
        monotonic_cst=None,
        interaction_cst=None,
        warm_start=False,
        early_stopping="auto",
        scoring="loss",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-7,
        verbose=0,
        random_state=None,
        class_weight=None,
    ):
        self.loss = loss
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_features = max_features
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.monotonic_cst = monotonic_cst
        self.interaction_cst = interaction_cst
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.scoring = scoring
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.class_weight = class_weight

    _loss_name = "log_loss"

    def _encode_y(self, y):
        check_classification_targets(y)
        enc = self._label_encoder = LabelEncoder()
        y_enc = enc.fit_transform(y)
        self.classes_ = enc.classes_
        n_classes = self.classes_.shape[0]
        self.n_trees_per_iteration_ = 1 if n_classes <= 2 else n_classes
        return y_enc.astype(np.float64)

    def _encode_y_val(self, y):
        return self._label_encoder.transform(y).astype(np.float64)

    def _finalize_sample_weight(self, w, y):
        if self.class_weight is None:
            return w
        cw = compute_sample_weight(self.class_weight, y)
        return cw if w is None else w * cw

    def _baseline_prediction(self, y, w):
        K = self.n_trees_per_iteration_
        if K == 1:
            eps = 10 * np.finfo(np.float64).eps
            pr = np.clip(np.average(y, weights=w), eps, 1 - eps)
            return np.array([np.log(pr / (1 - pr))])
        eps = np.finfo(np.float64).eps
        pr = np.array([np.clip(np.average(y == k, weights=w), eps, 1 - eps) for k in range(K)])
        lp = np.log(pr)
        return lp - lp.mean()

    def _K(self):
        check_is_fitted(self, "_trees")
        return self.n_trees_per_iteration_

    def decision_function(self, X):
        """Raw predictions (log-odds for binary problems).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        decision : ndarray or Dask array of shape (n_samples,) or (n_samples, n_classes)
            Lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import HistGradientBoostingClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = HistGradientBoostingClassifier(max_iter=3, min_samples_leaf=2).fit(X, X[:, 0] > 20)
        >>> clf.decision_function(X[:2]).shape
        (2,)
        """
        return self._decision(X, None)

    def _decision(self, X, n_iter):
        K = self._K()
        return self._blockwise(X, "raw", n_iter=n_iter, n_outputs=None if K == 1 else K)

    def predict_proba(self, X):
        """Class probabilities, columns ordered as ``classes_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray or Dask array of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import HistGradientBoostingClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = HistGradientBoostingClassifier(max_iter=3, min_samples_leaf=2).fit(X, X[:, 0] > 20)
        >>> clf.predict_proba(X[:2]).shape
        (2, 2)
        """
        return self._proba(X, None)

    def _proba(self, X, n_iter):
        return self._blockwise(X, "proba", n_iter=n_iter, n_outputs=2 if self._K() == 1 else self._K())

    def predict(self, X):
        """Predicted classes.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray or Dask array of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import HistGradientBoostingClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = HistGradientBoostingClassifier(max_iter=3, min_samples_leaf=2).fit(X, X[:, 0] > 20)
        >>> clf.predict(X[[0, -1]]).tolist()
        [False, True]
        """
        return self._predict(X, None)

    def _predict(self, X, n_iter):
        check_is_fitted(self, "_trees")
        return self._blockwise(
            X, "predict_class", n_iter=n_iter, dtype=self.classes_.dtype, classes=self.classes_
        )

    def staged_predict(self, X):
        """Predicted classes after each iteration.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Yields
        ------
        y : ndarray or Dask array of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import HistGradientBoostingClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = HistGradientBoostingClassifier(max_iter=3, min_samples_leaf=2).fit(X, X[:, 0] > 20)
        >>> len(list(clf.staged_predict(X)))
        3
        """
        check_is_fitted(self, "_trees")
        for i in range(self.n_iter_):
            yield self._predict(X, i + 1)

    def staged_predict_proba(self, X):
        """Class probabilities after each iteration.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Yields
        ------
        proba : ndarray or Dask array of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import HistGradientBoostingClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = HistGradientBoostingClassifier(max_iter=3, min_samples_leaf=2).fit(X, X[:, 0] > 20)
        >>> [p.shape for p in clf.staged_predict_proba(X[:1])]
        [(1, 2), (1, 2), (1, 2)]
        """
        check_is_fitted(self, "_trees")
        for i in range(self.n_iter_):
            yield self._proba(X, i + 1)

    def staged_decision_function(self, X):
        """Raw predictions after each iteration.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Yields
        ------
        decision : ndarray or Dask array of shape (n_samples,) or (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import HistGradientBoostingClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = HistGradientBoostingClassifier(max_iter=2, min_samples_leaf=2).fit(X, X[:, 0] > 20)
        >>> len(list(clf.staged_decision_function(X)))
        2
        """
        check_is_fitted(self, "_trees")
        for i in range(self.n_iter_):
            yield self._decision(X, i + 1)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of ``predict(X)`` (one lazy pass for Dask input).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import HistGradientBoostingClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = HistGradientBoostingClassifier(max_iter=3, min_samples_leaf=2).fit(X, X[:, 0] > 20)
        >>> clf.score(X, X[:, 0] > 20)
        1.0
        """
        from dml.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))
