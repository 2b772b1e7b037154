"""RandomForestClassifier / RandomForestRegressor / ExtraTreesClassifier /
ExtraTreesRegressor: one global forest of binned trees grown level by level through the
task graph, all trees of the forest in the same passes."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import dask
import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from dml._base import RegressorScoreMixin, check_params
from dml._compat.sklearn import Interval, RealNotInt, StrOptions, _check_sample_weight
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import validate_fit_data, validate_predict_data
from dml._engine.mapreduce import chunk_cache, map_chunks, map_reduce
from dml._engine.namespace import is_dask_collection
from dml._engine.tasks import task_runner
from dml.ensemble._forest_kernels import (
    binned_rows_kernel,
    concat_chunks,
    forest_kernel,
    forest_predict_block,
    gather_nodes_kernel,
    oob_kernel,
)
from dml.ensemble._forest_kernels import combine_rows as combine_oob
from dml.ensemble._forest_local import (
    best_first_keep,
    build_subtrees,
    build_trees,
    feature_order,
    node_impurity,
    node_keys,
    renumber,
    tree_base,
    uniforms,
)
from dml.ensemble._hist_gradient_boosting_kernels import (
    bin_chunk,
    combine_rows,
    find_binning_thresholds,
    gather_rows_kernel,
)

_SUBSAMPLE = 200_000
_MAX_BINS = 255
_HIST_BYTES = 1 << 27  # at most 128 MiB of histograms per pass and task
#: rows (binned X, y, weight) up to this size are grown whole, one task per tree
_LOCAL_BYTES = 1 << 28
#: rows of small nodes gathered per pass (bins, target, weight, row and job: p + 32 bytes each)
_GATHER_ROWS = 1 << 22

_NOTES = """Computation: one pass gathers the binning sample (every row up to 200000,
    else 200000 drawn at random) to this process, where the bin edges of every
    feature are found as scikit-learn's histogram gradient boosting finds them (at
    most 255 bins); the chunks are then binned to uint8 where they live. Then:

    - Up to 256 MiB of rows (``n_samples * (n_features + 16)`` bytes: 6.2 million
      rows of 28 features), every tree grows whole in its own task: the binned chunks
      are concatenated once on the cluster (a task, copied to every worker; in-memory
      or local-scheduler input: one gathering pass) and each task recomputes its
      tree's bootstrap weights from their hash. No further pass. Memory per task: the
      binned rows (``n_features`` bytes a row), target and weights (16 bytes a row),
      the tree's in-bag rows transposed (``n_features`` bytes each) and one level's
      temporaries (about ``24 * max_features`` bytes per in-bag row).
    - Larger data: the trees grow level by level through the chunks, all
      ``n_estimators`` trees in the same passes: one pass per level (more when the
      level's histograms pass 128 MiB), in which every chunk sends its rows down the
      trees (node ids kept in a chunk cache, recomputed from the trees when absent)
      and returns, for every requested (tree, node), the histogram over (feature,
      bin) of the weighted class counts (classification) or of the weights, ``w y``
      and ``w y**2`` (regression), plus the count of rows; only the smaller child of
      a split is computed, the larger is the parent's minus it. A node whose rows fit
      the 256 MiB above is not grown there: once the level-wise growth ends, one pass
      per group of at most 4,194,304 such rows gathers them (bins, target, weight,
      global row) and each node's subtree grows in a task, grafted into its tree.

    A task grows its tree (or subtree) level by level over all its nodes at once: the
    level's rows are counted per (node, drawn feature, bin) with one ``np.bincount``
    while the nodes are few, and by sorting the rows' cell ids when the cells would
    outnumber the rows' values, so the cost follows the rows (``rows x
    max_features`` per level) rather than 256 bins per node and feature; every node's
    best split is then searched at once over the occupied bins. ``max_leaf_nodes``
    grows best-first as scikit-learn: the nodes are split in decreasing order of
    weighted impurity decrease until there are ``max_leaf_nodes`` leaves; each level
    splits the nodes that order reaches (a walk from the root after every level), and
    the tree is cut to scikit-learn's when the walk reaches no unsplit node. With
    every feature, no bootstrap and at most 255 distinct values a feature, trees equal
    scikit-learn's (tested, with and without ``max_leaf_nodes``). ``oob_score=True``
    adds one pass. The fitted model is plain NumPy; predict is blockwise (lazy for
    Dask input): a compiled loop sends blocks of 2,048 rows down one tree at a time and
    sums the leaf values in tree order, with no per-(row, tree) temporary.

    Bootstrap: scikit-learn draws ``max_samples`` rows with replacement (a
    multinomial). Here the count of row ``i`` in tree ``t`` is an independent
    Poisson(``max_samples / n_samples``) draw from a hash of (random_state, t, i)
    (inverse CDF of a splitmix64 uniform), so the counts, and the forest, are the same
    however the rows are chunked or scheduled; the total is ``max_samples`` only on
    average. Rows with a zero count are the tree's out-of-bag rows.
    ``class_weight='balanced_subsample'`` weights each tree by scikit-learn's
    ``compute_sample_weight('balanced', y, indices=bootstrap)`` of its counts (with
    ``bootstrap=False`` it is 'balanced'). It and ``monotonic_cst`` are refused
    (ValueError) above the 256 MiB of whole-tree growth.

    Differences from scikit-learn's exact splits: thresholds are bin edges (the
    midpoints between distinct values when a feature has at most 255 of them, else
    its 255-quantiles), so on features with more distinct values a split can only
    fall on one of 254 edges; the features of a node are the first ``max_features``
    of an order hashed from (random_state, tree, node) (constant ones count, as in
    scikit-learn; only when all are constant is the next non-constant one used), not
    scikit-learn's random stream; extra trees draw a node's threshold uniformly among
    the bin edge holding a value drawn uniformly between the edges around the node's
    smallest and largest bins of the feature (scikit-learn: uniformly between the
    node's smallest and largest values). Trees therefore differ from scikit-learn's
    for the same seed; accuracy and R^2 are tested within 1% of scikit-learn's. Not
    supported (ValueError): criterion
    'absolute_error' (leaf medians, not sums), missing values, sparse X and 2-D y. ``n_jobs`` is
    the number of threads that ``predict`` / ``predict_proba`` / ``apply`` use on
    in-memory input (row blocks); fits and Dask input are parallel over the chunks
    and the tree tasks as the Dask scheduler runs them.

    Introspection: scikit-learn's ``estimators_`` (a list of DecisionTree objects)
    does not exist; ``trees_`` holds every tree as a dict of node arrays named as
    scikit-learn's ``tree_`` attributes."""

_PARAMS = """n_estimators : int, default=100
        Number of trees, all grown in the same passes.
    max_depth : int or None, default=None
        Maximum depth of the trees; None grows until the leaves are pure or smaller
        than ``min_samples_split``.
    min_samples_split : int or float, default=2
        Minimum rows (a fraction of them when float) to split a node.
    min_samples_leaf : int or float, default=1
        Minimum rows (a fraction when float) in each leaf.
    min_weight_fraction_leaf : float, default=0.0
        Minimum share of the tree's total weight in each leaf.
    max_leaf_nodes : int or None, default=None
        Grow each tree best-first (scikit-learn's order: largest weighted impurity
        decrease first) up to this many leaves; None: no limit.
    min_impurity_decrease : float, default=0.0
        A node is split only when its weighted impurity decrease reaches this.
    bootstrap : bool
        Weight every row by its hashed Poisson bootstrap count (see Notes).
    oob_score : bool or callable, default=False
        Score the out-of-bag predictions (accuracy / R^2, or ``callable(y, pred)``).
    n_jobs : int or None, default=None
        Threads for prediction on in-memory input (row blocks, joblib's threading
        backend; None is 1, -1 all cores). Fits and Dask input run in parallel over
        the chunks as the Dask scheduler runs them.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap, the binning sample and the feature and threshold draws.
    verbose : int, default=0
        Print one line per level.
    warm_start : bool, default=False
        Keep the fitted trees and grow the missing ones up to ``n_estimators`` (the
        same data assumed); tree ``t`` is the same as in a fit at once.
    ccp_alpha : float, default=0.0
        Minimal cost-complexity pruning of every grown tree, as scikit-learn's (the
        weakest links pruned while their effective alpha is at most ``ccp_alpha``).
    max_samples : int, float or None, default=None
        Expected number (share when float) of bootstrap draws per tree.
    monotonic_cst : array-like of int of shape (n_features,), default=None
        -1, 0 or 1 per feature: predictions decreasing, unconstrained or increasing
        in it (scikit-learn's split rejection, children bounds and clipped values;
        binary classification and regression), up to the size of whole-tree growth."""

_ATTRS = """trees_ : list of dict
        Every tree as node arrays: ``feature`` (-2 at leaves, as scikit-learn's),
        ``threshold``, ``children_left``, ``children_right`` (-1 at leaves),
        ``value``, ``impurity``, ``n_node_samples``, ``weighted_n_node_samples``.
    feature_importances_ : ndarray of shape (n_features,)
        Impurity-based importances, normalised as scikit-learn's.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)"""


def _impurity(criterion, stats):
    """Impurity of nodes from their stats (..., ch) and their weights (...,)."""
    if criterion in ("gini", "entropy", "log_loss"):
        cls = stats[..., :-1]
        wt = cls.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            pr = cls / wt[..., None]
            if criterion == "gini":
                imp = 1.0 - np.sum(pr * pr, axis=-1)
            else:
                imp = -np.sum(np.where(pr > 0, pr * np.log2(np.where(pr > 0, pr, 1)), 0.0), axis=-1)
        return np.where(wt > 0, imp, 0.0), wt
    if criterion == "poisson":
        return node_impurity(criterion, stats[..., :3], 0)
    wt = stats[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = stats[..., 1] / wt
        imp = stats[..., 2] / wt - mean * mean
    return np.where(wt > 0, np.maximum(imp, 0.0), 0.0), wt


class _Tree:
    """One tree being grown: node lists, filled level by level."""

    def __init__(self):
        self.feature, self.bin, self.threshold = [], [], []
        self.left, self.right = [], []
        self.stats, self.imp, self.n, self.w, self.depth = [], [], [], [], []
        self.gain = []

    def add(self, stats, n, depth, criterion):
        imp, w = _impurity(criterion, np.asarray(stats))
        for lst, v in (
            (self.feature, -1),
            (self.bin, 0),
            (self.threshold, -2.0),
            (self.left, -1),
            (self.right, -1),
            (self.stats, np.asarray(stats, dtype=np.float64)),
            (self.imp, float(imp)),
            (self.n, float(n)),
            (self.w, float(w)),
            (self.depth, depth),
            (self.gain, 0.0),
        ):
            lst.append(v)
        return len(self.feature) - 1

    def binned(self):
        m = len(self.feature)
        return {
            "feature": np.asarray(self.feature, dtype=np.int32),
            "bin": np.asarray(self.bin, dtype=np.uint8),
            "missing_left": np.zeros(m, dtype=bool),
            "left": np.asarray(self.left, dtype=np.int32),
            "right": np.asarray(self.right, dtype=np.int32),
        }


class _BaseForest(BaseEstimator):
    """Shared fit and predict of dml's binned forests."""

    _host_only = True  # NumPy binning and growth: CuPy input gets check_host_input's TypeError

    _extra = False

    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_samples_split": [
            Interval(Integral, 2, None, closed="left"),
            Interval(RealNotInt, 0.0, 1.0, closed="right"),
        ],
        "min_samples_leaf": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0.0, 1.0, closed="neither"),
        ],
        "min_weight_fraction_leaf": [Interval(Real, 0.0, 0.5, closed="both")],
        "max_features": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0.0, 1.0, closed="right"),
            StrOptions({"sqrt", "log2"}),
            None,
        ],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left"), None],
        "min_impurity_decrease": [Interval(Real, 0.0, None, closed="left")],
        "bootstrap": ["boolean"],
        "oob_score": ["boolean", callable],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "ccp_alpha": [Interval(Real, 0.0, None, closed="left")],
        "max_samples": [
            None,
            Interval(RealNotInt, 0.0, 1.0, closed="right"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "monotonic_cst": ["array-like", None],
    }

    # --------------------------------------------------------------------- checks

    def _check_unsupported(self):
        name = type(self).__name__
        if self.criterion == "absolute_error":
            raise ValueError(f"criterion={self.criterion!r} is not supported by dml's {name}.")
        if not self.bootstrap and self.max_samples is not None:
            raise ValueError(
                "`max_sample` cannot be set if `bootstrap=False`. "
                "Either switch to `bootstrap=True` or set "
                "`max_sample=None`."
            )
        if not self.bootstrap and self.oob_score:
            raise ValueError("Out of bag estimation only available if bootstrap=True")

    def _n_max_features(self, p):
        mf = self.max_features
        if mf is None:
            return p
        if mf == "sqrt":
            return max(1, int(np.sqrt(p)))
        if mf == "log2":
            return max(1, int(np.log2(p)))
        if isinstance(mf, Integral):
            return min(int(mf), p)
        return max(1, int(mf * p))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    # ------------------------------------------------------------------------ fit

    def fit(self, X, y, sample_weight=None):
        """Grow the forest.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import RandomForestRegressor
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> reg = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, X[:, 0])
        >>> len(reg.trees_)
        3
        """
        check_params(self)
        self._check_unsupported()
        classifier = isinstance(self, ClassifierMixin)
        warm = bool(self.warm_start) and hasattr(self, "trees_")
        if warm and self.n_estimators < len(self.trees_):
            raise ValueError(
                "n_estimators=%d must be larger or equal to len(estimators_)=%d when warm_start==True"
                % (self.n_estimators, len(self.trees_))
            )
        if warm and self.n_estimators == len(self.trees_):
            warnings.warn("Warm-start fitting without increasing n_estimators does not fit new trees.")
            return self
        with validate_fit_data(
            self, X, y, sample_weight, dtype=(np.float64,), y_numeric=not classifier
        ) as data:
            n = data.n_samples
            y_host = data.gather("y")
            w_host = data.gather("sample_weight")
            y_enc = self._encode_y(y_host)
            if w_host is not None:
                w_host = _check_sample_weight(w_host, np.empty((n, 0)), dtype=np.float64)
            w_host = self._finalize_sample_weight(w_host, y_enc)
            if not warm:
                rng = check_random_state(self.random_state)
                self._seed = int(rng.randint(np.iinfo(np.int32).max))
                self._bin_thresholds = self._find_thresholds(data, n)
                self.trees_, self._gains = [], []
            thresholds = self._bin_thresholds
            sw = np.ones(n) if w_host is None else w_host
            data2 = data.with_host("y", np.column_stack([y_enc, sw]))
            datab = map_chunks(bin_chunk, data2, which="X", thresholds=thresholds, missing_bin=_MAX_BINS)
            boot = None
            if self.bootstrap:
                ms = self.max_samples
                m = n if ms is None else (max(1, round(n * ms)) if isinstance(ms, float) else int(ms))
                if isinstance(ms, Integral) and ms > n:
                    raise ValueError(f"`max_samples` must be <= n_samples={n} but got value {ms}")
                boot = (self._seed, m / n)
            self._boot = boot
            start = len(self.trees_)
            ids = list(range(start, self.n_estimators))
            if n * (len(thresholds) + 16) <= _LOCAL_BYTES:
                new = self._grow_whole(datab, thresholds, ids, boot, y_enc, sw)
            else:
                new = self._grow(datab, thresholds, ids, boot, n, sw)
            if self.ccp_alpha > 0:
                new = [_ccp_prune(t, self.ccp_alpha) for t in new]
            for t in new:
                t.pop("_cand")
            self.trees_ = self.trees_ + new
            self._pack()
            if self.oob_score:
                self._set_oob(data2, y_enc)
        return self

    def _find_thresholds(self, data, n):
        if n > _SUBSAMPLE:
            rows = np.unique(check_random_state(self._seed).choice(n, _SUBSAMPLE, replace=False))
        else:
            rows = np.arange(n)
        got = map_reduce(
            gather_rows_kernel, data, combine=combine_rows, ordered=True, pass_row_offset=True, rows=rows
        )
        Xs = np.asarray(got["X"])
        if not np.isfinite(Xs).all():
            if np.isnan(Xs).any():
                raise ValueError("Input X contains NaN.")
            raise ValueError("Input X contains infinity or a value too large for dtype('float64').")
        return [find_binning_thresholds(Xs[:, f], _MAX_BINS) for f in range(Xs.shape[1])]

    def _local_cfg(self, n, thresholds):
        """The growth settings of :func:`~dml.ensemble._forest_local.grow_local`."""
        C = getattr(self, "n_classes_", 0) if isinstance(self, ClassifierMixin) else 0
        p = len(thresholds)
        msl = self.min_samples_leaf
        msl = int(np.ceil(msl * n)) if isinstance(msl, float) else int(msl)
        mss = self.min_samples_split
        mss = max(2, int(np.ceil(mss * n))) if isinstance(mss, float) else int(mss)
        edges = np.full((p, _MAX_BINS + 1), np.inf)
        n_edges = np.zeros(p, dtype=np.int64)
        for f, t in enumerate(thresholds):
            edges[f, : t.shape[0]] = t
            n_edges[f] = t.shape[0]
        return {
            "n_classes": C,
            "criterion": "entropy" if self.criterion == "log_loss" else self.criterion,
            "S": C if C else 3,
            "k": self._n_max_features(p),
            "max_depth": np.inf if self.max_depth is None else int(self.max_depth),
            "depth0": 0,
            "msl": msl,
            "mss": max(mss, 2 * msl),
            "max_leaf_nodes": self.max_leaf_nodes,
            "extra": self._extra,
            "edges": edges,
            "n_edges": n_edges,
            "count": msl > 1,
            "seed": self._seed,
            "mono": self._monotonic(p),
        }

    def _monotonic(self, p):
        """The effective monotonic constraints (scikit-learn's checks; sign-flipped for
        classification, whose constraints bound the class-0 share), or None."""
        if self.monotonic_cst is None:
            return None
        cst = np.asarray(self.monotonic_cst)
        if cst.shape[0] != p:
            raise ValueError(f"monotonic_cst has shape {cst.shape[0]} but the input data X has {p} features.")
        if not np.all(np.isin(cst, (-1, 0, 1))):
            raise ValueError(
                f"monotonic_cst must be None or an array-like of -1, 0 or 1, but got {np.unique(cst)}"
            )
        cst = cst.astype(np.int64)
        if isinstance(self, ClassifierMixin):
            if self.n_classes_ > 2:
                raise ValueError("Monotonicity constraints are not supported with multiclass classification")
            cst = -cst
        return cst

    def _grow_whole(self, datab, thresholds, tree_ids, boot, y_enc, sw):
        """Every tree grown whole in one task from all the binned rows (gathered once)."""
        if datab.mode == "distributed":
            Xb = None  # concatenated on the cluster (recomputable from the chunks' lineage)
        else:
            Xb = np.asarray(map_reduce(binned_rows_kernel, datab, combine=combine_oob, ordered=True)["X"])
        cfg = self._local_cfg(y_enc.shape[0], thresholds)
        kw = dict(
            boot=boot,
            balanced=getattr(self, "class_weight", None) == "balanced_subsample" and boot is not None,
            cfg=cfg,
            fractions=(self.min_weight_fraction_leaf, self.min_impurity_decrease),
        )
        if datab.mode == "direct":
            res = build_trees(Xb, y_enc, sw, trees=tree_ids, **kw)
        else:
            runner = task_runner(None, type(self).__name__)
            if Xb is None:  # bins, targets and weights from the chunks where they live
                whole = runner.put(dask.delayed(concat_chunks, pure=False)(len(datab.X), *datab.X, *datab.y))
                hx, hy, hw = (runner.result_part(whole, None, i) for i in range(3))
            else:
                hx, hy, hw = runner.put(Xb), runner.put(y_enc), runner.put(sw)
            futs = [runner.submit(build_trees, hx, hy, hw, trees=[t], **kw) for t in tree_ids]
            res = [r for part in runner.gather(futs) for r in part]
        edges = np.concatenate([cfg["edges"], np.full((len(thresholds), 1), np.inf)], axis=1)
        return [self._local_tree(r, edges, cfg) for r in res]

    def _local_tree(self, r, edges, cfg):
        """A tree dict (scikit-learn's ``tree_`` names) from a grown local tree."""
        C = cfg["n_classes"]
        stats, feat = r["stats"], r["feature"]
        leaf = feat < 0
        if C:
            s = stats.sum(axis=1, keepdims=True)
            value = np.divide(stats, s, out=np.zeros_like(stats), where=s > 0)
        else:
            value = np.divide(stats[:, 1], stats[:, 0], out=np.zeros(stats.shape[0]), where=stats[:, 0] > 0)[
                :, None
            ]
        if cfg.get("mono") is not None:  # scikit-learn clips every node's value to its bounds
            if C:
                v0 = np.clip(value[:, 0], r["lo"], r["hi"])
                value = np.column_stack([v0, 1 - v0])
            else:
                value = np.clip(value, r["lo"][:, None], r["hi"][:, None])
        imp, w = node_impurity(cfg["criterion"], stats, C)
        return {
            "feature": np.where(leaf, -2, feat),
            "threshold": np.where(leaf, -2.0, edges[np.maximum(feat, 0), r["bin"]]),
            "children_left": r["left"],
            "children_right": r["right"],
            "value": value,
            "impurity": imp,
            "n_node_samples": r["cnt"],
            "weighted_n_node_samples": w,
            "_gain": np.where(leaf, 0.0, r["gain"]),
            "_cand": r["gain"],
        }

    def _grow(self, datab, thresholds, tree_ids, boot, n, sw):
        """Level-wise growth through the chunks for the nodes whose rows pass
        ``_LOCAL_BYTES``; smaller nodes are gathered and finished in tasks."""
        if self.monotonic_cst is not None:
            raise ValueError(
                f"monotonic_cst is supported by dml's {type(self).__name__} up to "
                f"{_LOCAL_BYTES // (len(thresholds) + 16)} rows of {len(thresholds)} features "
                f"(trees grown whole in one task); got {n} rows."
            )
        if getattr(self, "class_weight", None) == "balanced_subsample" and boot is not None:
            raise ValueError(
                "class_weight='balanced_subsample' is supported by dml's "
                f"{type(self).__name__} up to {_LOCAL_BYTES // (len(thresholds) + 16)} rows "
                f"of {len(thresholds)} features (trees grown whole in one task); got {n} rows."
            )
        crit = self.criterion
        C = getattr(self, "n_classes_", 0) if isinstance(self, ClassifierMixin) else 0
        p = len(thresholds)
        n_bins = _MAX_BINS + 1
        ch = C + 1 if C else 4
        msl = self.min_samples_leaf
        msl = int(np.ceil(msl * n)) if isinstance(msl, float) else int(msl)
        mss = self.min_samples_split
        mss = max(2, int(np.ceil(mss * n))) if isinstance(mss, float) else int(mss)
        mss = max(mss, 2 * msl)
        k_feat = self._n_max_features(p)
        max_depth = np.inf if self.max_depth is None else self.max_depth
        trees = [_Tree() for _ in tree_ids]
        group = max(1, _HIST_BYTES // (p * n_bins * ch * 8))
        totals = [None] * len(trees)
        small_rows = _LOCAL_BYTES // (p + 16)

        def run(kernel, reqs, level, cache, combine, size):
            out = []
            for a in range(0, len(reqs), size):
                part = np.asarray(reqs[a : a + size], dtype=np.int64).reshape(-1, 2)
                if kernel is forest_kernel:
                    kw = dict(compute=part, n_bins=n_bins, n_classes=C, criterion=crit)
                else:
                    kw = dict(jobs=part, combine=combine, ordered=True)
                out.append(
                    map_reduce(
                        kernel,
                        datab,
                        broadcast=([t.binned() for t in trees],),
                        cache=cache,
                        pass_row_offset=True,
                        tree_ids=tuple(tree_ids),
                        boot=boot,
                        level=level,
                        **kw,
                    )
                )
            return out

        def histograms(reqs, level, cache):
            out = {}
            for a, res in zip(
                range(0, len(reqs), group), run(forest_kernel, reqs, level, cache, None, group)
            ):
                H = np.asarray(res["H"])
                for s, key in enumerate(reqs[a : a + group]):
                    out[tuple(key)] = H[s]
            return out

        def can_split(tree, node):
            return (
                tree.depth[node] < max_depth
                and tree.n[node] >= mss
                and tree.w[node] >= 2 * min_wl[tree_index[id(tree)]]
                and tree.imp[node] > 1e-7
            )

        def is_small(tree, node):
            return tree.n[node] <= small_rows

        tree_index = {id(t): i for i, t in enumerate(trees)}
        min_wl = [0.0] * len(trees)
        jobs = []
        level = 0
        with chunk_cache(datab) as cache:
            hists = histograms([(k, 0) for k in range(len(trees))], 0, cache)
            pending = {}
            for k, tree in enumerate(trees):
                h = hists[(k, 0)]
                stats = h[0].sum(axis=0)
                totals[k] = stats
                tree.add(stats, stats[-1], 0, crit)
                min_wl[k] = self.min_weight_fraction_leaf * tree.w[0]
                if can_split(tree, 0):
                    pending[(k, 0)] = h
            while pending:
                expand = {}
                for (k, node), h in pending.items():
                    tree = trees[k]
                    s = self._best_split(h, tree, node, k, tree_ids[k], k_feat, msl, min_wl[k], totals[k])
                    if s is None:
                        continue
                    f, j, lstats, rstats, gain = s
                    tree.feature[node], tree.bin[node] = f, j
                    t = thresholds[f]
                    tree.threshold[node] = float(t[j]) if j < t.shape[0] else np.inf
                    tree.gain[node] = gain
                    d = tree.depth[node] + 1
                    lc = tree.add(lstats, lstats[-1], d, crit)
                    rc = tree.add(rstats, rstats[-1], d, crit)
                    tree.left[node], tree.right[node] = lc, rc
                    big = []
                    for c in (lc, rc):
                        if can_split(tree, c):
                            if is_small(tree, c):
                                jobs.append((k, c))
                            else:
                                big.append(c)
                    if big:
                        small = lc if tree.n[lc] <= tree.n[rc] else rc
                        expand[(k, node)] = (h, small, rc if small == lc else lc, big)
                level += 1
                if self.verbose:
                    print(f"level {level}: {len(expand)} nodes split with children to grow")
                if not expand:
                    break
                got = histograms([(k, sm) for (k, _), (_, sm, _, _) in expand.items()], level, cache)
                pending = {}
                for (k, _), (h, sm, lg, big) in expand.items():
                    hs = got[(k, sm)]
                    for c, hc in ((sm, hs), (lg, h - hs)):
                        if c in big:
                            pending[(k, c)] = hc
            out = [self._finish(t) for t in trees]
            if jobs:
                self._finish_small(
                    out,
                    trees,
                    jobs,
                    run,
                    level + 1,
                    cache,
                    tree_ids,
                    boot,
                    thresholds,
                    min_wl,
                    (msl, mss),
                    datab.mode == "direct",
                )
        if self.max_leaf_nodes is not None:
            out = [_prune(t, self.max_leaf_nodes - 1) for t in out]
        return out

    def _finish_small(
        self, out, trees, jobs, run, level, cache, tree_ids, boot, thresholds, min_wl, msl_mss, direct
    ):
        """Gather the rows of the small nodes (one pass per group of at most
        ``_GATHER_ROWS`` of them) and grow their subtrees in tasks, grafted into ``out``."""
        cfg = self._local_cfg(1, thresholds)
        cfg["msl"], cfg["mss"] = msl_mss
        edges = np.concatenate([cfg["edges"], np.full((len(thresholds), 1), np.inf)], axis=1)
        groups, cur, rows = [], [], 0
        for k, node in jobs:
            m = trees[k].n[node]
            if cur and rows + m > _GATHER_ROWS:
                groups.append(cur)
                cur, rows = [], 0
            cur.append((k, node))
            rows += m
        groups.append(cur)
        runner = None
        for part in groups:
            (got,) = run(gather_nodes_kernel, part, level, cache, combine_oob, len(part))
            job = np.asarray(got["job"])
            order = np.argsort(job, kind="stable")
            bounds = np.searchsorted(job[order], np.arange(len(part) + 1))
            items = []
            for j, (k, node) in enumerate(part):
                sel = order[bounds[j] : bounds[j + 1]]
                tw = trees[k].w[0]
                items.append(
                    (
                        np.asarray(got["X"])[sel],
                        np.asarray(got["y"])[sel],
                        np.asarray(got["sw"])[sel],
                        np.asarray(got["row"])[sel],
                        tree_ids[k],
                        node,
                        trees[k].depth[node],
                        min_wl[k],
                        self.min_impurity_decrease * tw,
                    )
                )
            if direct:
                res = build_subtrees(items, boot=boot, cfg=cfg)
            else:
                runner = runner or task_runner(None, type(self).__name__)
                futs = [runner.submit(build_subtrees, [it], boot=boot, cfg=cfg) for it in items]
                res = [r for q in runner.gather(futs) for r in q]
            for (k, node), r in zip(part, res):
                out[k] = _graft(out[k], node, self._local_tree(r, edges, cfg))

    def _best_split(self, h, tree, node, k, tid, k_feat, msl, min_wl, total):
        """(feature, bin, left stats, right stats, weighted impurity decrease) of the
        best split of a node from its histogram ``h`` (p, B, ch), or None. The features
        tried: the first ``k_feat`` of the node's hashed order (constant ones included,
        as scikit-learn), or the first non-constant one when all of those are constant."""
        crit = self.criterion
        cnt = h[..., -1]
        nz = cnt > 0
        nonconst = nz.sum(axis=1) > 1
        keys = node_keys(tree_base(self._seed, tid), [node])
        order = feature_order(keys, h.shape[0])[0]
        cand = order[:k_feat][nonconst[order[:k_feat]]]
        if not cand.size:
            rest = order[k_feat:][nonconst[order[k_feat:]]]
            if not rest.size:
                return None
            cand = rest[:1]
        hc = h[cand]  # (q, B, ch)
        L = np.cumsum(hc, axis=1)[:, :-1]  # split after bin j: bins <= j left
        tot = hc[0].sum(axis=0)
        R = tot - L
        imp_l, wl = _impurity(crit, L)
        imp_r, wr = _impurity(crit, R)
        imp_t, wt = _impurity(crit, tot)
        gain = wt * imp_t - wl * imp_l - wr * imp_r
        ok = (L[..., -1] >= msl) & (R[..., -1] >= msl) & (wl >= min_wl) & (wr >= min_wl) & (wl > 0) & (wr > 0)
        if crit == "poisson":
            eps = np.finfo(np.float64).eps
            ok &= (L[..., 1] > eps) & (R[..., 1] > eps)
            gain = np.where(ok, gain, -np.inf)  # inf - inf where a side's sum is 0
        if self._extra:
            B1 = L.shape[1]
            lo = np.argmax(nz[cand], axis=1)
            hi = h.shape[1] - 1 - np.argmax(nz[cand][:, ::-1], axis=1)
            u = uniforms(keys, cand[None, :])[0]
            draw = np.empty(cand.shape[0], dtype=np.int64)
            for i, f in enumerate(cand):  # uniform in value between the node's edges
                t = self._bin_thresholds[f]
                a = t[max(lo[i] - 1, 0)]
                b = t[min(hi[i], t.shape[0] - 1)]
                v = a + u[i] * (b - a)
                draw[i] = min(max(int(np.searchsorted(t, v, side="left")), lo[i]), hi[i] - 1)
            pick = np.zeros((cand.shape[0], B1), dtype=bool)
            pick[np.arange(cand.shape[0]), np.minimum(draw, B1 - 1)] = True
            ok &= pick
        gain = np.where(ok, gain, -np.inf)
        flat = int(np.argmax(gain))
        qi, j = divmod(flat, gain.shape[1])
        g = gain[qi, j]
        if not np.isfinite(g):
            return None
        root_w = _impurity(crit, total)[1]
        if g / root_w + np.finfo(np.float64).eps < self.min_impurity_decrease:
            return None
        return int(cand[qi]), int(j), L[qi, j].copy(), R[qi, j].copy(), float(g)

    def _finish(self, tree):
        feature = np.asarray(tree.feature, dtype=np.int64)
        leaf = feature < 0
        stats = np.asarray(tree.stats)
        if isinstance(self, ClassifierMixin):
            cls = stats[:, :-1]
            s = cls.sum(axis=1, keepdims=True)
            value = np.divide(cls, s, out=np.zeros_like(cls), where=s > 0)
        else:
            value = np.divide(stats[:, 1], stats[:, 0], out=np.zeros(stats.shape[0]), where=stats[:, 0] > 0)[
                :, None
            ]
        return {
            "feature": np.where(leaf, -2, feature),
            "threshold": np.where(leaf, -2.0, np.asarray(tree.threshold)),
            "children_left": np.asarray(tree.left, dtype=np.int64),
            "children_right": np.asarray(tree.right, dtype=np.int64),
            "value": value,
            "impurity": np.asarray(tree.imp),
            "n_node_samples": np.asarray(tree.n, dtype=np.int64),
            "weighted_n_node_samples": np.asarray(tree.w),
            "_gain": np.asarray(tree.gain),
            "_cand": np.where(leaf, -np.inf, np.asarray(tree.gain)),
        }

    def _pack(self):
        trees = self.trees_
        offs = np.cumsum([0] + [t["feature"].shape[0] for t in trees])[:-1]
        feat = np.concatenate([t["feature"] for t in trees])
        self._table = {
            "feature": np.where(feat < 0, -1, feat),
            "threshold": np.concatenate([t["threshold"] for t in trees]),
            "left": np.concatenate(
                [np.where(t["children_left"] < 0, 0, t["children_left"] + o) for t, o in zip(trees, offs)]
            ),
            "right": np.concatenate(
                [np.where(t["children_right"] < 0, 0, t["children_right"] + o) for t, o in zip(trees, offs)]
            ),
            "value": np.concatenate([t["value"] for t in trees]),
        }
        self._roots = np.asarray(offs, dtype=np.int64)
        p = self.n_features_in_
        imps = []
        for t in trees:
            if t["feature"].shape[0] <= 1:
                continue
            imp = np.zeros(p)
            sp = t["feature"] >= 0
            np.add.at(imp, t["feature"][sp], t["_gain"][sp])
            s = imp.sum()
            imps.append(imp / s if s > 0 else imp)
        if not imps:
            self.feature_importances_ = np.zeros(p)
        else:
            m = np.mean(imps, axis=0)
            self.feature_importances_ = m / m.sum() if m.sum() > 0 else m

    def _set_oob(self, data, y_enc):
        got = map_reduce(
            oob_kernel,
            data,
            combine=combine_oob,
            ordered=True,
            pass_row_offset=True,
            table=self._table,
            roots=self._roots,
            boot=self._boot,
        )
        s, c = np.asarray(got["sum"]), np.asarray(got["count"])
        if (c == 0).any():
            warnings.warn(
                "Some inputs do not have OOB scores. This probably means too few trees were used "
                "to compute any reliable OOB estimates.",
                UserWarning,
            )
        pred = s / np.where(c == 0, 1, c)[:, None]
        self._store_oob(pred, y_enc)

    # -------------------------------------------------------------------- predict

    def _blockwise(self, X, output, n_outputs=None, dtype=np.float64, **extra):
        check_is_fitted(self, "trees_")
        X = validate_predict_data(self, X, dtype=(np.float64,))

        def run(block):
            return apply_blockwise(
                forest_predict_block,
                block,
                n_outputs=n_outputs,
                dtype=dtype,
                table=self._table,
                roots=self._roots,
                output=output,
                **extra,
            )

        n_threads = (
            1 if is_dask_collection(X) else min(effective_n_jobs(self.n_jobs), max(1, X.shape[0] // 1000))
        )
        if n_threads <= 1:
            return run(X)
        # in-memory rows in n_jobs blocks on threads (the compiled traversal releases
        # the GIL); each row's result does not depend on the blocks
        bounds = np.linspace(0, X.shape[0], n_threads + 1).astype(int)
        parts = Parallel(n_jobs=n_threads, prefer="threads")(
            delayed(run)(X[a:b]) for a, b in zip(bounds[:-1], bounds[1:])
        )
        return np.concatenate(parts, axis=0)

    def apply(self, X):
        """The leaf index of every row in every tree.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        leaves : ndarray or Dask array of shape (n_samples, n_estimators)
            Node indices into ``trees_[t]`` arrays; lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import RandomForestRegressor
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> reg = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, X[:, 0])
        >>> reg.apply(X[:2]).shape
        (2, 3)
        """
        check_is_fitted(self, "trees_")
        return self._blockwise(X, "apply", n_outputs=len(self.trees_), dtype=np.int64)


# ----------------------------------------------------------------------- classifier


class _ForestClassifier(ClassifierMixin, _BaseForest):
    _parameter_constraints = {
        **_BaseForest._parameter_constraints,
        "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
        "class_weight": [StrOptions({"balanced_subsample", "balanced"}), dict, list, None],
    }

    def _encode_y(self, y):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please change the shape "
                "of y to (n_samples,), for example using ravel().",
                _data_conversion_warning(),
            )
            y = y.ravel()
        check_classification_targets(y)
        enc = LabelEncoder()
        y_enc = enc.fit_transform(y)
        self.classes_ = enc.classes_
        self.n_classes_ = self.classes_.shape[0]
        return y_enc.astype(np.float64)

    def _finalize_sample_weight(self, w, y):
        if self.class_weight is None:
            return w
        if self.class_weight == "balanced_subsample":
            if self.bootstrap:
                return w  # computed on each tree's bootstrap (build_trees)
            cw = compute_sample_weight("balanced", y)  # scikit-learn's rule without bootstrap
            return cw if w is None else w * cw
        cw = compute_sample_weight(self.class_weight, y)
        return cw if w is None else w * cw

    def _store_oob(self, pred, y_enc):
        self.oob_decision_function_ = pred
        y_pred = np.argmax(pred, axis=1)
        if callable(self.oob_score):
            self.oob_score_ = self.oob_score(self.classes_[y_enc.astype(np.int64)], self.classes_[y_pred])
        else:
            self.oob_score_ = float(np.mean(y_pred == y_enc))

    def predict_proba(self, X):
        """Class probabilities: the trees' leaf class distributions, averaged.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray or Dask array of shape (n_samples, n_classes)
            Lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import RandomForestClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, X[:, 0] > 20)
        >>> clf.predict_proba(X[:2]).shape
        (2, 2)
        """
        check_is_fitted(self, "trees_")
        return self._blockwise(X, "proba", n_outputs=self.n_classes_)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray or Dask array of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import RandomForestClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, X[:, 0] > 20)
        >>> clf.predict_log_proba(X[:2]).shape
        (2, 2)
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba)

    def predict(self, X):
        """Predicted classes: the argmax of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray or Dask array of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.ensemble import RandomForestClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, X[:, 0] > 20)
        >>> clf.predict(X[[0, -1]]).tolist()
        [False, True]
        """
        check_is_fitted(self, "trees_")
        return self._blockwise(X, "predict_class", dtype=self.classes_.dtype, classes=self.classes_)

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
        >>> from dml.ensemble import RandomForestClassifier
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> clf = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, X[:, 0] > 20)
        >>> bool(clf.score(X, X[:, 0] > 20) > 0.9)
        True
        """
        from dml.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))


def _data_conversion_warning():
    from sklearn.exceptions import DataConversionWarning

    return DataConversionWarning


class _ForestRegressor(RegressorScoreMixin, RegressorMixin, _BaseForest):
    _parameter_constraints = {
        **_BaseForest._parameter_constraints,
        "criterion": [StrOptions({"squared_error", "absolute_error", "friedman_mse", "poisson"})],
    }

    def _encode_y(self, y):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please change the shape "
                "of y to (n_samples,), for example using ravel().",
                _data_conversion_warning(),
            )
            y = y.ravel()
        if self.criterion == "poisson":
            if np.any(y < 0):
                raise ValueError(
                    "Some value(s) of y are negative which is not allowed for Poisson regression."
                )
            if np.sum(y) <= 0:
                raise ValueError(
                    "Sum of y is not strictly positive which is necessary for Poisson regression."
                )
        return y

    def _finalize_sample_weight(self, w, y):
        return w

    def _store_oob(self, pred, y):
        from sklearn.metrics import r2_score

        self.oob_prediction_ = pred[:, 0]
        score = self.oob_score if callable(self.oob_score) else r2_score
        self.oob_score_ = score(y, self.oob_prediction_)

    def predict(self, X):
        """Predicted values: the trees' leaf means, averaged.

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
        >>> from dml.ensemble import RandomForestRegressor
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> reg = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, X[:, 0])
        >>> reg.predict(X[:2]).shape
        (2,)
        """
        check_is_fitted(self, "trees_")
        return self._blockwise(X, "predict")


def _graft(tree, node, sub):
    """``tree`` (a tree dict) with the subtree ``sub`` grown from its node ``node``."""
    m = tree["feature"].shape[0]
    off = m - 1  # sub's node i > 0 becomes m - 1 + i

    def ids(c):
        return np.where(c > 0, c + off, -1)

    out = {}
    for key, arr in tree.items():
        add = sub[key][1:]
        if key in ("children_left", "children_right"):
            add = ids(add)
        out[key] = np.concatenate([arr, add])
    for key in ("feature", "threshold", "_gain", "_cand"):
        out[key][node] = sub[key][0]
    out["children_left"][node] = ids(sub["children_left"][:1])[0]
    out["children_right"][node] = ids(sub["children_right"][:1])[0]
    return out


def _kept_subtree(tree, keep, is_split):
    """The tree dict reduced to the ``keep`` nodes (renumbered), the kept nodes that do
    not split (``is_split`` False) made leaves."""
    left, right = tree["children_left"], tree["children_right"]
    order, nl, nr = renumber(keep, is_split, left, right)
    out = {k: v[order] for k, v in tree.items()}
    leaf = nl < 0
    out["children_left"], out["children_right"] = nl, nr
    out["feature"] = np.where(leaf, -2, out["feature"])
    out["threshold"] = np.where(leaf, -2.0, out["threshold"])
    out["_gain"] = np.where(leaf, 0.0, out["_gain"])
    return out


def _prune(tree, budget):
    """scikit-learn's best-first tree of ``budget`` splits within a tree dict grown
    further (nodes split in scikit-learn's order of impurity decrease)."""
    left, right = tree["children_left"], tree["children_right"]
    keep, is_split = best_first_keep(tree["_cand"], left, right, budget)
    return _kept_subtree(tree, keep, is_split)


def _ccp_prune(tree, alpha):
    """scikit-learn's minimal cost-complexity pruning of a tree dict: while the weakest
    link (the internal node of smallest ``(R(t) - R(T_t)) / (|leaves(T_t)| - 1)``, with
    ``R`` the impurity times the node's share of the root's weight) has an effective
    alpha of at most ``alpha``, its subtree becomes a leaf."""
    left, right = tree["children_left"], tree["children_right"]
    n = left.shape[0]
    w = tree["weighted_n_node_samples"]
    r_node = tree["impurity"] * w / w[0]
    internal = left >= 0
    parent = np.full(n, -1, dtype=np.int64)
    parent[left[internal]] = np.flatnonzero(internal)
    parent[right[internal]] = np.flatnonzero(internal)
    r_branch = np.where(internal, 0.0, r_node)
    n_leaves = (~internal).astype(np.int64)
    for i in np.flatnonzero(internal)[::-1]:  # children come after their parent
        r_branch[i] = r_branch[left[i]] + r_branch[right[i]]
        n_leaves[i] = n_leaves[left[i]] + n_leaves[right[i]]
    candidate = internal.copy()
    while candidate[0]:
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(candidate, (r_node - r_branch) / (n_leaves - 1), np.inf)
        i = int(np.argmin(a))
        if alpha < a[i]:
            break
        stack = [i]
        while stack:  # the subtree of i leaves the candidates
            v = stack.pop()
            candidate[v] = False
            if left[v] >= 0:
                stack += [int(left[v]), int(right[v])]
        d_leaves, d_r = n_leaves[i] - 1, r_branch[i] - r_node[i]
        n_leaves[i], r_branch[i] = 1, r_node[i]
        j = parent[i]
        while j >= 0:
            n_leaves[j] -= d_leaves
            r_branch[j] -= d_r
            j = parent[j]
        internal[i] = False
    # nodes kept: those whose ancestors are all still split
    keep = np.zeros(n, dtype=bool)
    keep[0] = True
    for i in range(n):
        if keep[i] and internal[i]:
            keep[left[i]] = keep[right[i]] = True
    is_split = keep & internal
    return _kept_subtree(tree, keep, is_split)


def _init_common(self, kw):
    for k, v in kw.items():
        if k not in ("self", "__class__"):
            setattr(self, k, v)


_CLF_ATTRS = """classes_ : ndarray of shape (n_classes,)
    n_classes_ : int
    oob_score_ : float
        Accuracy of the out-of-bag predictions (``oob_score=True``).
    oob_decision_function_ : ndarray of shape (n_samples, n_classes)
        Out-of-bag class probabilities (zeros for rows in every bootstrap).
    """
_REG_ATTRS = """oob_score_ : float
        R^2 of the out-of-bag predictions (``oob_score=True``).
    oob_prediction_ : ndarray of shape (n_samples,)
    """
_CLF_PARAMS = """
    criterion : {'gini', 'entropy', 'log_loss'}, default='gini'
        Split quality ('log_loss' is 'entropy').
    max_features : {'sqrt', 'log2'}, int, float or None, default='sqrt'
        Features tried at each node."""
_REG_PARAMS = """
    criterion : {'squared_error', 'friedman_mse', 'poisson'}, default='squared_error'
        Split quality: the variance decrease ('friedman_mse' is the same, as in
        scikit-learn >= 1.9), or the half Poisson deviance decrease;
        'absolute_error' raises ValueError.
    max_features : {'sqrt', 'log2'}, int, float or None, default=1.0
        Features tried at each node."""
_CW = """
    class_weight : dict, list of dict, 'balanced' or 'balanced_subsample', default=None
        Class weights multiplying ``sample_weight`` (scikit-learn's rule);
        'balanced_subsample' computes them on each tree's bootstrap (see Notes)."""


def _doc(summary, params, attrs, example):
    return (
        summary
        + "\n\n    Parameters\n    ----------\n    "
        + _PARAMS
        + params
        + "\n\n    Attributes\n    ----------\n    "
        + attrs
        + _ATTRS
        + "\n\n    Notes\n    -----\n    "
        + _NOTES
        + "\n\n    Examples\n    --------\n"
        + example
    )


_CLF_EX = """    >>> import numpy as np
    >>> from dml.ensemble import {name}
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(200, 3)
    >>> y = (X[:, 0] + X[:, 1] > 1).astype(int)
    >>> clf = {name}(n_estimators=10, random_state=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
"""
_REG_EX = """    >>> import numpy as np
    >>> from dml.ensemble import {name}
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(200, 3)
    >>> y = 3 * X[:, 0] + X[:, 1] ** 2
    >>> reg = {name}(n_estimators=10, random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.9)
    True
"""


class RandomForestClassifier(_ForestClassifier):
    __doc__ = _doc(
        """A random forest classifier of binned trees on row-chunked data.

    A drop-in for :class:`sklearn.ensemble.RandomForestClassifier`, fitted as one
    global forest through Dask task graphs: all trees grow in the same passes, one per
    level, so the forest does not depend on the number of workers or the scheduling.""",
        _CLF_PARAMS + _CW,
        _CLF_ATTRS,
        _CLF_EX.format(name="RandomForestClassifier"),
    ).replace("bootstrap : bool", "bootstrap : bool, default=True", 1)

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features="sqrt",
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        bootstrap=True,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        class_weight=None,
        ccp_alpha=0.0,
        max_samples=None,
        monotonic_cst=None,
    ):
        _init_common(self, locals())


class ExtraTreesClassifier(_ForestClassifier):
    __doc__ = _doc(
        """An extra-trees classifier of binned trees on row-chunked data.

    A drop-in for :class:`sklearn.ensemble.ExtraTreesClassifier`: at each node, one
    random threshold per drawn feature, the best of them kept; all trees grow in the
    same passes, one per level.""",
        _CLF_PARAMS + _CW,
        _CLF_ATTRS,
        _CLF_EX.format(name="ExtraTreesClassifier"),
    ).replace("bootstrap : bool", "bootstrap : bool, default=False", 1)

    _extra = True

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features="sqrt",
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        bootstrap=False,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        class_weight=None,
        ccp_alpha=0.0,
        max_samples=None,
        monotonic_cst=None,
    ):
        _init_common(self, locals())


class RandomForestRegressor(_ForestRegressor):
    __doc__ = _doc(
        """A random forest regressor of binned trees on row-chunked data.

    A drop-in for :class:`sklearn.ensemble.RandomForestRegressor`, fitted as one
    global forest through Dask task graphs: all trees grow in the same passes, one per
    level.""",
        _REG_PARAMS,
        _REG_ATTRS,
        _REG_EX.format(name="RandomForestRegressor"),
    ).replace("bootstrap : bool", "bootstrap : bool, default=True", 1)

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="squared_error",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features=1.0,
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        bootstrap=True,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        ccp_alpha=0.0,
        max_samples=None,
        monotonic_cst=None,
    ):
        _init_common(self, locals())


class ExtraTreesRegressor(_ForestRegressor):
    __doc__ = _doc(
        """An extra-trees regressor of binned trees on row-chunked data.

    A drop-in for :class:`sklearn.ensemble.ExtraTreesRegressor`: at each node, one
    random threshold per drawn feature, the best of them kept; all trees grow in the
    same passes, one per level.""",
        _REG_PARAMS,
        _REG_ATTRS,
        _REG_EX.format(name="ExtraTreesRegressor"),
    ).replace("bootstrap : bool", "bootstrap : bool, default=False", 1)

    _extra = True

    def __init__(
        self,
        n_estimators=100,
        *,
        criterion="squared_error",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        min_weight_fraction_leaf=0.0,
        max_features=1.0,
        max_leaf_nodes=None,
        min_impurity_decrease=0.0,
        bootstrap=False,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        ccp_alpha=0.0,
        max_samples=None,
        monotonic_cst=None,
    ):
        _init_common(self, locals())
