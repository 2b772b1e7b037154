"""ColumnTransformer: a transformer per column subset, on pandas, NumPy and Dask input."""

from __future__ import annotations

from collections import Counter
from itertools import chain
from numbers import Integral, Real

import dask
import numpy as np
from scipy import sparse
from sklearn import get_config as sklearn_get_config
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import Bunch, get_tags
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data

from dml._base import check_params
from dml._compat.sklearn import (
    HasMethods,
    Interval,
    StrOptions,
    check_feature_names_in,
    determine_key_type,
    print_elapsed_time,
    raise_for_params,
)
from dml._engine.inputs import check_features
from dml._engine.namespace import is_dask_collection, is_dask_frame
from dml.compose._parts import (
    _ERR_MSG_1DCOLUMN,
    _check_n_features_only,
    _check_X,
    _default_output,
    _first_row,
    _fit_transform_one,
    _in_threads,
    _is_drop,
    _is_empty_column_selection,
    _name_estimators,
    _runs_on_dask,
    _transform_block,
    _transform_one,
)
from dml.compose._selector import metadata_of, resolve_columns, select
from dml.compose._stack import blocks_of, empty_meta, hstack_in_memory, part_pieces, stitch
from dml.preprocessing import FunctionTransformer


class ColumnTransformer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Applies transformers to columns of an array or (Dask) DataFrame.

    A drop-in for :class:`sklearn.compose.ColumnTransformer` that also takes Dask
    DataFrames and Dask arrays. Each transformer sees its columns and the outputs are
    put side by side; on pandas / NumPy input the result is scikit-learn's. dml and
    scikit-learn transformers can be mixed.

    On Dask input the column specifications are resolved on the DataFrame's metadata
    (``_meta``: names and dtypes; callables are called with it), each part is fitted on
    ``X[cols]`` and transformed lazily, and the outputs are stacked partition by
    partition: the result has the input's partitions (row chunks), also when their
    lengths are unknown, and nothing is computed by ``transform``. dml transformers
    (and pipelines of them) take the Dask columns directly; any other transformer is
    fitted on its columns **computed into this process** as pandas / NumPy (all such
    parts' columns in one computation) and then transforms each partition in a task.

    Parameters
    ----------
    transformers : list of tuples
        ``(name, transformer, columns)`` tuples. ``transformer`` is an estimator with
        ``fit`` and ``transform``, ``"drop"`` or ``"passthrough"``; ``columns`` is a
        str, int, list of str / int / bool, slice, boolean mask or callable (for
        example :class:`make_column_selector`), as in scikit-learn.
    remainder : {"drop", "passthrough"} or estimator, default="drop"
        What becomes of the columns no transformer selects.
    sparse_threshold : float, default=0.3
        In memory, as scikit-learn: when some part is sparse, the result is sparse if
        its overall density is below this value. On Dask input the density is not known
        without a pass over the data, so the rule is: the result is sparse (a Dask array
        of SciPy CSR blocks) when any part's output is sparse and ``sparse_threshold >
        0``; ``sparse_threshold=0`` always gives dense output.
    n_jobs : int, default=None
        Parts fitted concurrently: joblib processes / threads as scikit-learn on
        in-memory input; on Dask input threads, each submitting its part's graphs.
    transformer_weights : dict, default=None
        Multiplicative weights of the parts' outputs, keyed by transformer name.
    verbose : bool, default=False
        Print the time taken by each part's fit.
    verbose_feature_names_out : bool, str or callable, default=True
        True prefixes output names with the transformer's name (``name__feature``);
        a str is a format with ``{transformer_name}`` and ``{feature_name}``; a
        callable is called with both; False keeps the names and requires them unique.

    Attributes
    ----------
    transformers_ : list
        The fitted transformers as ``(name, fitted_transformer, column)`` tuples,
        ``"passthrough"`` parts as a one-to-one FunctionTransformer, plus the
        ``remainder`` entry when columns remain.
    named_transformers_ : Bunch
        The fitted transformers by name.
    sparse_output_ : bool
        Whether ``transform`` returns sparse output.
    output_indices_ : dict
        The slice of output columns each transformer produced, by name.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names (pandas or Dask DataFrame).

    Notes
    -----
    Computation: ``fit`` on Dask input runs each dml part's own passes (the parts'
    graphs submitted concurrently with ``n_jobs``) plus one computation of the
    columns of all other parts, which then live in this process; one row of those
    columns is kept to learn their outputs' type without reading data again.
    ``transform`` computes nothing: one task per partition and part, one stacking task
    per partition; memory per task is one partition's output. ``fit_transform`` on Dask
    input is ``fit`` then the lazy ``transform`` for the dml parts; the other parts run
    their own ``fit_transform`` on the computed columns (as scikit-learn, so a
    ``TargetEncoder`` cross-fits), and their output, cut at the partitions' boundaries
    (read in the same computation), enters the result's graph from this process.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from dml.compose import ColumnTransformer
    >>> from dml.preprocessing import StandardScaler
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 1.0, 3.0, 3.0], "c": [5, 6, 7, 8]})
    >>> ct = ColumnTransformer([("scale", StandardScaler(), ["a", "b"])], remainder="passthrough")
    >>> out = ct.fit_transform(dd.from_pandas(df, npartitions=2))
    >>> out.compute()
    array([[-1.34164079, -1.        ,  5.        ],
           [-0.4472136 , -1.        ,  6.        ],
           [ 0.4472136 ,  1.        ,  7.        ],
           [ 1.34164079,  1.        ,  8.        ]])
    >>> ct.get_feature_names_out()
    array(['scale__a', 'scale__b', 'remainder__c'], dtype=object)
    """

    _parameter_constraints: dict = {
        "transformers": [list],
        "remainder": [
            StrOptions({"drop", "passthrough"}),
            HasMethods(["fit", "transform"]),
            HasMethods(["fit_transform", "transform"]),
        ],
        "sparse_threshold": [Interval(Real, 0, 1, closed="both")],
        "n_jobs": [Integral, None],
        "transformer_weights": [dict, None],
        "verbose": ["verbose"],
        "verbose_feature_names_out": ["boolean", str, callable],
    }

    def __init__(
        self,
        transformers,
        *,
        remainder="drop",
        sparse_threshold=0.3,
        n_jobs=None,
        transformer_weights=None,
        verbose=False,
        verbose_feature_names_out=True,
    ):
        self.transformers = transformers
        self.remainder = remainder
        self.sparse_threshold = sparse_threshold
        self.n_jobs = n_jobs
        self.transformer_weights = transformer_weights
        self.verbose = verbose
        self.verbose_feature_names_out = verbose_feature_names_out

    # ------------------------------------------------------------ parameters

    def get_params(self, deep=True):
        """Get parameters of this estimator and of the transformers in ``transformers``.

        Parameters
        ----------
        deep : bool, default=True
            Also the parameters of the transformers (``name__param``).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out = super().get_params(deep=deep)
        if not deep:
            return out
        try:
            pairs = [(name, trans) for name, trans, _ in self.transformers]
        except (TypeError, ValueError):
            return out
        out.update(pairs)
        for name, trans in pairs:
            if hasattr(trans, "get_params") and not isinstance(trans, type):
                for key, value in trans.get_params(deep=True).items():
                    out[f"{name}__{key}"] = value
        return out

    def set_params(self, **params):
        """Set the parameters of this estimator; a transformer is replaced by its name.

        Parameters
        ----------
        **params : dict
            Estimator parameters, ``name`` (a whole transformer) or ``name__param``.

        Returns
        -------
        self : ColumnTransformer
        """
        if "transformers" in params:
            self.transformers = params.pop("transformers")
        try:
            names = [t[0] for t in self.transformers]
        except (TypeError, IndexError):
            names = []
        for key in list(params):
            if "__" not in key and key in names:
                new = params.pop(key)
                self.transformers = [(n, new if n == key else t, c) for n, t, c in self.transformers]
        super().set_params(**params)
        return self

    def set_output(self, *, transform=None):
        """Set the output container of ``transform`` and ``fit_transform``.

        Also sets it on every transformer (as scikit-learn's ``ColumnTransformer``).

        Parameters
        ----------
        transform : {"default", "pandas"}, default=None
            ``"pandas"``: a pandas DataFrame for in-memory input, a Dask DataFrame with
            the input's partitions for Dask input, named by ``get_feature_names_out``;
            ``"default"``: arrays (NumPy, SciPy sparse or Dask); None: unchanged.

        Returns
        -------
        self : ColumnTransformer
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas"):
            raise ValueError(
                f"ColumnTransformer.set_output(transform={transform!r}): dml supports 'default' and 'pandas'."
            )
        self._sklearn_output_config = {"transform": transform}
        parts = chain(self.transformers, getattr(self, "transformers_", []))
        for trans in chain((t for _, t, _ in parts), [self.remainder]):
            if isinstance(trans, str):
                continue
            if hasattr(trans, "transform") or hasattr(trans, "fit_transform"):
                if not hasattr(trans, "set_output"):
                    raise ValueError(
                        f"Unable to configure output for {trans} because `set_output` is not available."
                    )
                trans.set_output(transform=transform)
        return self

    def _output_pandas(self):
        config = getattr(self, "_sklearn_output_config", {}).get("transform")
        config = config or sklearn_get_config()["transform_output"]
        if config not in ("default", "pandas"):
            raise ValueError(
                f"transform_output={config!r}: dml's ColumnTransformer supports 'default' and 'pandas'."
            )
        return config == "pandas"

    # ------------------------------------------------------------ validation

    def _check_transformers(self):
        if not self.transformers:
            return
        names, transformers, _ = zip(*self.transformers)
        if len(set(names)) != len(names):
            raise ValueError("Names provided are not unique: {0!r}".format(list(names)))
        invalid = set(names).intersection(self.get_params(deep=False))
        if invalid:
            raise ValueError(
                "Estimator names conflict with constructor arguments: {0!r}".format(sorted(invalid))
            )
        invalid = [name for name in names if "__" in name]
        if invalid:
            raise ValueError("Estimator names must not contain __: got {0!r}".format(invalid))
        for t in transformers:
            if isinstance(t, type):
                raise TypeError(
                    f"Expected an estimator instance ({t.__name__}()), got estimator class instead ({t.__name__})."
                )
            if t in ("drop", "passthrough"):
                continue
            if not (hasattr(t, "fit") or hasattr(t, "fit_transform")) or not hasattr(t, "transform"):
                raise TypeError(
                    "All estimators should implement fit and transform, or can be 'drop' or "
                    "'passthrough' specifiers. '%s' (type %s) doesn't." % (t, type(t))
                )

    def _resolve(self, X):
        """Column specifications (callables called) and their indices, plus the remainder."""
        self._columns, self._indices = [], {}
        for name, _, columns in self.transformers:
            spec, idx = resolve_columns(X, columns)
            self._columns.append(spec)
            self._indices[name] = idx
        used = set(chain(*self._indices.values()))
        remaining = sorted(set(range(self.n_features_in_)) - used)
        self._indices["remainder"] = remaining
        try:
            kinds = {determine_key_type(c) for *_, c in self.transformers}  # as given (callables too)
            kind = next(iter(kinds)) if len(kinds) == 1 else "int"
        except ValueError:  # a callable's result of no single kind
            kind = "int"
        if kind == "str":
            cols = list(self.feature_names_in_[remaining])
        elif kind == "bool":
            cols = [i in remaining for i in range(self.n_features_in_)]
        else:
            cols = remaining
        self._remainder = ("remainder", self.remainder, cols)

    def _iter(self, *, fitted, by_label=False, skip_drop=True, skip_empty=True):
        """(name, transformer, columns, weight) of the parts, the remainder included."""
        if fitted:
            parts = self.transformers_
        else:
            parts = [(n, t, c) for (n, t, _), c in zip(self.transformers, self._columns)]
            if self._remainder[2]:
                parts = parts + [self._remainder]
        weights = self.transformer_weights or {}
        for name, trans, columns in parts:
            if skip_drop and isinstance(trans, str) and trans == "drop":
                continue
            if skip_empty and _is_empty_column_selection(columns):
                continue
            if by_label:
                scalar = np.isscalar(columns)
                columns = self.feature_names_in_[self._indices[name]]
                columns = columns[0] if scalar else list(columns)
            yield name, trans, columns, weights.get(name)

    def _set_fitted(self, fitted):
        fitted = iter(fitted)
        out = []
        for name, old, column, _ in self._iter(fitted=False, skip_drop=False, skip_empty=False):
            if isinstance(old, str) and old == "drop":
                trans = "drop"
            elif _is_empty_column_selection(column):
                trans = old
            else:
                trans = next(fitted)
            out.append((name, trans, column))
        self.transformers_ = out

    def _record_output_indices(self, widths):
        idx, self.output_indices_ = 0, {}
        for (name, *_), width in zip(self._iter(fitted=True), widths):
            self.output_indices_[name] = slice(idx, idx + width)
            idx += width
        for name in [t[0] for t in self.transformers] + ["remainder"]:
            self.output_indices_.setdefault(name, slice(0, 0))

    def _message(self, name, idx, total):
        return "(%d of %d) Processing %s" % (idx, total, name) if self.verbose else None

    @staticmethod
    def _instance(trans, pandas):
        if isinstance(trans, str) and trans == "passthrough":
            return FunctionTransformer(
                accept_sparse=True, check_inverse=False, feature_names_out="one-to-one"
            ).set_output(transform="pandas" if pandas else "default")
        return clone(trans)

    # ------------------------------------------------------------ fit

    def _start_fit(self, X, y, params, method):
        raise_for_params(params, self, method)
        check_params(self)
        if is_dask_collection(X):
            if not is_dask_frame(X) and X.ndim != 2:
                raise ValueError(f"Expected 2D array, got {X.ndim}D array instead.")
            check_features(self, X, reset=True)
        else:
            validate_data(self, X=X, skip_check_array=True)
            X = _check_X(X)
        self._check_transformers()
        self._resolve(X)
        return X, process_routing(self, method, **params)

    def fit(self, X, y=None, **params):
        """Fit all transformers using X.

        Parameters
        ----------
        X : array-like, DataFrame, Dask array or Dask DataFrame of shape (n_samples, n_features)
            Input data, of which specified subsets are used to fit the transformers.
        y : array-like or Dask collection of shape (n_samples, ...), default=None
            Targets for supervised learning.
        **params : dict
            Parameters routed to the transformers (metadata routing enabled only).

        Returns
        -------
        self : ColumnTransformer
        """
        raise_for_params(params, self, "fit")
        if is_dask_collection(X):
            X, routed = self._start_fit(X, y, params, "fit")
            self._fit_dask(X, y, routed)
        else:
            self.fit_transform(X, y=y, **params)
        return self

    def fit_transform(self, X, y=None, **params):
        """Fit all transformers, transform the data and concatenate the results.

        Parameters
        ----------
        X : array-like, DataFrame, Dask array or Dask DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,), default=None
        **params : dict
            Parameters routed to the transformers (metadata routing enabled only).

        Returns
        -------
        X_t : ndarray, sparse matrix, DataFrame, Dask array or Dask DataFrame
            The parts' outputs side by side; lazy for Dask input.
        """
        X, routed = self._start_fit(X, y, params, "fit_transform")
        if is_dask_collection(X):
            kept = self._fit_dask(X, y, routed, keep_outputs=True)
            return self._transform_dask(X, routed, by_label=False, overrides=kept)
        pandas = self._output_pandas()
        parts = list(self._iter(fitted=False))
        jobs = [
            delayed(_fit_transform_one)(
                self._instance(trans, pandas),
                select(X, columns),
                y,
                weight,
                self._message(name, i, len(parts)),
                routed[name],
            )
            for i, (name, trans, columns, weight) in enumerate(parts, start=1)
        ]
        try:
            result = Parallel(n_jobs=self.n_jobs)(jobs)
        except ValueError as e:
            if "Expected 2D array, got 1D array instead" in str(e):
                raise ValueError(_ERR_MSG_1DCOLUMN) from e
            raise
        n_samples = X.shape[0]
        if not result:
            self._probes = {}
            self._set_fitted([])
            self.sparse_output_ = False
            self._record_output_indices([])
            return np.zeros((n_samples, 0))
        Xs, fitted = zip(*result)
        if any(sparse.issparse(Xt) for Xt in Xs):
            nnz = sum(Xt.nnz if sparse.issparse(Xt) else Xt.shape[0] * Xt.shape[1] for Xt in Xs)
            total = sum(Xt.shape[0] * Xt.shape[1] for Xt in Xs)
            self.sparse_output_ = nnz / total < self.sparse_threshold
        else:
            self.sparse_output_ = False
        self._set_fitted(fitted)
        # one row of each scikit-learn part's columns, to learn its output's type when it
        # later transforms Dask input (lazily, per partition)
        self._probes = {
            name: _first_row(select(X, columns))
            for name, trans, columns, _ in parts
            if not _runs_on_dask(trans)
        }
        self._check_outputs(Xs)
        self._record_output_indices([Xt.shape[1] for Xt in Xs])
        return self._stack(Xs, X, pandas)

    def _fit_dask(self, X, y, routed, keep_outputs=False):
        """Fit every part on Dask input: dml parts on the Dask columns (their graphs
        submitted from concurrent threads), the others on their columns computed into
        this process (one computation for all of them). With ``keep_outputs``
        (``fit_transform``) those parts run their own ``fit_transform``, as in
        scikit-learn (a TargetEncoder's cross-fitting), and their outputs are returned,
        cut at the partitions' boundaries, as ``{name: (pieces, meta)}``."""
        parts = list(self._iter(fitted=False))
        # the scikit-learn parts' columns (and y) in this process, in one computation
        local = [i for i, (_, trans, _, _) in enumerate(parts) if not _runs_on_dask(trans)]
        y_local, local_X, bounds = y, {}, None
        if local:
            wanted = [select(X, parts[i][2]) for i in local]
            extra = [y] if is_dask_collection(y) else []
            lengths = []
            if keep_outputs:  # the partitions' lengths, in the same computation
                lengths = [wanted[0].map_partitions(len)] if is_dask_frame(wanted[0]) else wanted[0].chunks[0]
                if any(np.isnan(n) for n in lengths if not is_dask_collection(n)):
                    lengths = [dask.delayed(len)(b) for b in blocks_of(wanted[0])]
            pending = [n for n in lengths if is_dask_collection(n)]
            values = dask.compute(*wanted, *extra, *pending)
            if pending:
                lengths = np.concatenate(
                    [np.atleast_1d(np.asarray(v)) for v in values[len(local) + len(extra) :]]
                )
            local_X = dict(zip(local, values[: len(local)]))
            if extra:
                y_local = values[len(local)]
            if keep_outputs:
                bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(int)
        probes, kept = {}, {}

        def fit_one(i, name, trans, columns, weight):
            message = self._message(name, i + 1, len(parts))
            est = self._instance(trans, False)
            with print_elapsed_time("ColumnTransformer", message):
                if i not in local_X:
                    return est.fit(select(X, columns), y, **routed[name].get("fit", {}))
                Xi = local_X[i]
                probes[name] = _first_row(Xi)
                if not keep_outputs:
                    return est.fit(Xi, y_local, **routed[name].get("fit", {}))
                res, est = _fit_transform_one(est, Xi, y_local, weight, None, routed[name])
            if getattr(res, "ndim", 0) != 2:
                raise ValueError(
                    f"The output of the '{name}' transformer should be 2D (numpy array, "
                    "scipy sparse array, dataframe)."
                )
            cut = (lambda a, b: res.iloc[a:b]) if hasattr(res, "iloc") else (lambda a, b: res[a:b])
            kept[name] = ([cut(a, b) for a, b in zip(bounds[:-1], bounds[1:])], empty_meta(res))
            return est

        try:
            fitted = _in_threads(
                self.n_jobs,
                [(fit_one, (i, *part)) for i, part in enumerate(parts)],
            )
        except ValueError as e:
            if "Expected 2D array, got 1D array instead" in str(e):
                raise ValueError(_ERR_MSG_1DCOLUMN) from e
            raise
        self._probes = probes
        self._set_fitted(fitted)
        outputs = self._dask_parts(X, {}, overrides=kept)
        metas = [meta for _, meta in outputs]
        self.sparse_output_ = bool(any(sparse.issparse(m) for m in metas) and self.sparse_threshold > 0)
        self._record_output_indices([m.shape[1] for m in metas])
        return kept

    # ------------------------------------------------------------ transform

    def transform(self, X, **params):
        """Transform X separately by each transformer and concatenate the results.

        Parameters
        ----------
        X : array-like, DataFrame, Dask array or Dask DataFrame of shape (n_samples, n_features)
            A DataFrame after a fit on a DataFrame is read by column name: extra
            columns are ignored and the order does not matter, as in scikit-learn.
        **params : dict
            Parameters routed to the transformers' ``transform`` (routing enabled only).

        Returns
        -------
        X_t : ndarray, sparse matrix, DataFrame, Dask array or Dask DataFrame
            The parts' outputs side by side: lazy for Dask input (nothing computed),
            with the input's partitions.
        """
        raise_for_params(params, self, "transform")
        check_is_fitted(self)
        dask_in = is_dask_collection(X)
        if not dask_in:
            X = _check_X(X)
        meta = metadata_of(X) if dask_in else X
        by_label = hasattr(self, "feature_names_in_") and hasattr(meta, "columns")
        if by_label:
            named = self.named_transformers_
            kept = [ind for name, ind in self._indices.items() if name in named and not _is_drop(named[name])]
            names = {self.feature_names_in_[i] for i in chain(*kept)}
            diff = names - set(meta.columns)
            if diff:
                raise ValueError(f"columns are missing: {diff}")
        else:  # arrays, or a fit without names: only the number of columns is checked
            _check_n_features_only(self, meta)
        routed = process_routing(self, "transform", **params)
        pandas = self._output_pandas()
        if dask_in:
            return self._transform_dask(X, routed, by_label=by_label)
        Xs = [
            _transform_one(trans, select(X, columns), weight, routed[name])
            for name, trans, columns, weight in self._iter(fitted=True, by_label=by_label)
        ]
        self._check_outputs(Xs)
        if not Xs:
            return np.zeros((X.shape[0], 0))
        return self._stack(Xs, X, pandas)

    def _transform_dask(self, X, routed, *, by_label, overrides=None):
        """The lazy result on Dask input: the parts' outputs stacked per partition."""
        pandas = self._output_pandas()
        if self.sparse_output_ and pandas:
            raise ValueError(
                "The transformer outputs a scipy sparse matrix. Try to set the transformer "
                "output to a dense array or disable pandas output with "
                "set_output(transform='default')."
            )
        parts = self._dask_parts(X, routed, by_label=by_label, overrides=overrides)
        names = self.get_feature_names_out() if pandas else None
        return stitch(parts, X, sparse_output=self.sparse_output_, pandas=pandas, names=names)

    def _dask_parts(self, X, routed, by_label=False, overrides=None):
        """``(pieces, meta)`` of every fitted part's lazy output on Dask input X
        (``overrides``: parts whose pieces are already known)."""
        n_blocks = X.npartitions if is_dask_frame(X) else X.numblocks[0]
        out = []
        for name, trans, columns, weight in self._iter(fitted=True, by_label=by_label):
            if overrides and name in overrides:
                out.append(overrides[name])
                continue
            kwargs = routed[name].get("transform", {}) if routed else {}
            Xi = select(X, columns)
            if name in self._probes:  # a scikit-learn part: per partition, in tasks
                probe = _transform_block(self._probes[name], trans, weight, kwargs)
                if getattr(probe, "ndim", 2) != 2:
                    raise ValueError(
                        f"The output of the '{name}' transformer should be 2D (numpy array, "
                        "scipy sparse array, dataframe)."
                    )
                task, held = dask.delayed(_transform_block, pure=True), dask.delayed(trans, traverse=False)
                pieces = [task(b, held, weight, kwargs) for b in blocks_of(Xi)]
                out.append((pieces, empty_meta(probe)))
                continue
            Xt = _default_output(trans).transform(Xi, **kwargs)
            if not is_dask_collection(Xt):
                raise TypeError(
                    f"The '{name}' transformer returned {type(Xt).__name__} for Dask input; "
                    "a Dask-native part must return a Dask array or DataFrame."
                )
            if weight is not None:
                Xt = Xt * weight
            out.append(part_pieces(Xt, n_blocks, name))
        return out

    def _check_outputs(self, Xs):
        names = [name for name, *_ in self._iter(fitted=True)]
        for Xt, name in zip(Xs, names):
            if getattr(Xt, "ndim", 0) != 2:
                raise ValueError(
                    f"The output of the '{name}' transformer should be 2D (numpy array, scipy sparse array, dataframe)."
                )
        if self._output_pandas():
            return
        import pandas as pd

        for Xt, name in zip(Xs, names):  # scikit-learn's refusal of pd.NA in array output
            if not hasattr(Xt, "iloc"):
                continue
            for col, dtype in Xt.dtypes.to_dict().items():
                if getattr(dtype, "na_value", None) is pd.NA and pd.NA in Xt[col].values:
                    cls = type(self).__name__
                    raise ValueError(
                        f"The output of the '{name}' transformer for column '{col}' has dtype {dtype} "
                        "and uses pandas.NA to represent null values. Storing this output in a numpy "
                        "array can cause errors in downstream scikit-learn estimators, and "
                        "inefficiencies. To avoid this problem you can (i) store the output in a pandas "
                        f"DataFrame by using {cls}.set_output(transform='pandas') or (ii) modify the "
                        f"input data or the '{name}' transformer to avoid the presence of pandas.NA (for "
                        "example by using pandas.DataFrame.astype)."
                    )

    def _stack(self, Xs, X, pandas):
        return hstack_in_memory(
            list(Xs),
            sparse_output=self.sparse_output_,
            pandas=pandas,
            names=self.get_feature_names_out() if pandas and not self.sparse_output_ else None,
            index=X.index if hasattr(X, "index") and hasattr(X, "iloc") else None,
            n_samples=X.shape[0],
        )

    # ------------------------------------------------------------ names

    @property
    def named_transformers_(self):
        """The fitted transformers by name (a Bunch)."""
        return Bunch(**{name: trans for name, trans, _ in self.transformers_})

    def __getitem__(self, key):
        try:
            return self.named_transformers_[key]
        except AttributeError as e:
            raise TypeError("ColumnTransformer is subscriptable after it is fitted") from e
        except KeyError as e:
            raise KeyError(f"'{key}' is not a valid transformer name") from e

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; by default ``feature_names_in_``, or ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Transformed feature names.
        """
        check_is_fitted(self)
        input_features = check_feature_names_in(self, input_features)
        named = []
        for name, trans, *_ in self._iter(fitted=True):
            if not hasattr(trans, "get_feature_names_out"):
                raise AttributeError(
                    f"Transformer {name} (type {type(trans).__name__}) does not provide get_feature_names_out."
                )
            names = trans.get_feature_names_out(input_features[self._indices[name]])
            if names is not None:
                named.append((name, names))
        if not named:
            return np.array([], dtype=object)
        return self._prefixed(named)

    def _prefixed(self, named):
        verbose = self.verbose_feature_names_out
        if callable(verbose):
            fmt = verbose
        elif isinstance(verbose, str):
            fmt = lambda t, f: verbose.format(transformer_name=t, feature_name=f)  # noqa: E731
        elif verbose is True:
            fmt = lambda t, f: f"{t}__{f}"  # noqa: E731
        else:
            fmt = None
        if fmt is not None:
            return np.asarray([fmt(name, f) for name, names in named for f in names], dtype=object)
        counts = Counter(chain.from_iterable(names for _, names in named))
        overlap = sorted(n for n, c in counts.most_common(6) if c > 1)
        if overlap:
            shown = str(overlap[:5])[:-1] + ", ...]" if len(overlap) == 6 else str(overlap)
            raise ValueError(
                f"Output feature names: {shown} are not unique. Please set "
                "verbose_feature_names_out=True to add prefixes to feature names"
            )
        return np.concatenate([names for _, names in named])

    # ------------------------------------------------------------ routing, tags

    def get_metadata_routing(self):
        """Get the metadata routing of this object (scikit-learn's rules).

        Returns
        -------
        routing : MetadataRouter
            The routing of the metadata to the transformers.
        """
        router = MetadataRouter(owner=self)
        transformers = self.transformers
        if self.remainder != "drop":
            transformers = chain(transformers, [("remainder", self.remainder, None)])
        for name, step, _ in transformers:
            mapping = MethodMapping()
            if hasattr(step, "fit_transform"):
                mapping.add(caller="fit", callee="fit_transform").add(
                    caller="fit_transform", callee="fit_transform"
                )
            else:
                mapping.add(caller="fit", callee="fit").add(caller="fit", callee="transform")
                mapping.add(caller="fit_transform", callee="fit").add(
                    caller="fit_transform", callee="transform"
                )
            mapping.add(caller="transform", callee="transform")
            router.add(method_mapping=mapping, **{name: step})
        return router

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            tags.input_tags.sparse = all(
                get_tags(trans).input_tags.sparse
                for _, trans, _ in self.transformers
                if trans not in {"passthrough", "drop"}
            )
        except Exception:  # transformers not as the API says: fit's validation will tell
            pass
        return tags


def make_column_transformer(
    *transformers,
    remainder="drop",
    sparse_threshold=0.3,
    n_jobs=None,
    verbose=False,
    verbose_feature_names_out=True,
):
    """Construct a ColumnTransformer from ``(transformer, columns)`` tuples.

    The transformers are named after their classes (lower case, numbered when
    repeated), as :func:`sklearn.compose.make_column_transformer` names them.

    Parameters
    ----------
    *transformers : tuples
        ``(transformer, columns)`` tuples; see :class:`ColumnTransformer`.
    remainder : {"drop", "passthrough"} or estimator, default="drop"
    sparse_threshold : float, default=0.3
    n_jobs : int, default=None
    verbose : bool, default=False
    verbose_feature_names_out : bool, str or callable, default=True

    Returns
    -------
    ct : ColumnTransformer

    Notes
    -----
    Computation: none (a constructor).

    Examples
    --------
    >>> from dml.compose import make_column_transformer
    >>> from dml.preprocessing import StandardScaler
    >>> make_column_transformer((StandardScaler(), ["a"]), remainder="passthrough").transformers
    [('standardscaler', StandardScaler(), ['a'])]
    """
    estimators, columns = zip(*transformers) if transformers else ((), ())
    names = [name for name, _ in _name_estimators(estimators)]
    return ColumnTransformer(
        list(zip(names, estimators, columns)),
        remainder=remainder,
        sparse_threshold=sparse_threshold,
        n_jobs=n_jobs,
        verbose=verbose,
        verbose_feature_names_out=verbose_feature_names_out,
    )
