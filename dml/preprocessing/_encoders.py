"""OneHotEncoder and OrdinalEncoder: categories from one pass of per-chunk category
counts merged in a tree, blockwise encoding of DataFrame partitions.

The fitted state (categories, infrequent groups, dropped categories) is derived from
the merged counts with scikit-learn's own rules (ported from
``sklearn/preprocessing/_encoders.py``, BSD-3-Clause), so the fitted attributes and the
encoding are scikit-learn's.
"""

from __future__ import annotations

import numbers
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from dml._base import TransformerMixin, check_params
from dml._compat.sklearn import Interval, RealNotInt, StrOptions, check_feature_names_in, get_output_config
from dml._engine.frames import (
    array_blockwise,
    frame_blockwise,
    validate_frame_fit_data,
    validate_frame_predict_data,
)
from dml._engine.inputs import is_dask_collection
from dml._engine.mapreduce import map_reduce
from dml.preprocessing._encoders_kernels import (
    category_counts_kernel,
    combine_category_counts,
    encode_column,
    onehot_kernel,
    ordinal_kernel,
    unique_counts,
)


def _is_scalar_nan(x):
    return isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral) and np.isnan(x)


def fit_category_counts(estimator, X, y=None):
    """Validate X (and y) and count every column's categories in one pass.

    Returns ``(data, stats)``: the :class:`~dml._engine.inputs.ChunkedData` and the
    merged ``{"values", "counts", "n_samples"}``."""
    data = validate_frame_fit_data(estimator, X, y)
    with data:
        stats = map_reduce(category_counts_kernel, data, combine=combine_category_counts)
    return data, stats


def _counts_for(values, counts, cats):
    """The counts of ``cats`` (user categories) among the counted ``values``."""
    codes, valid = encode_column(values, cats)
    out = np.zeros(cats.shape[0], dtype=np.int64)
    np.add.at(out, codes[valid], counts[valid])
    return out


class _BaseEncoder(TransformerMixin, BaseEstimator):
    """Shared fit logic: categories and counts from one pass, scikit-learn's rules."""

    def _fit_categories(self, X, handle_unknown, return_counts=False, missing_for_infrequent=False, y=None):
        max_categories = getattr(self, "max_categories", None)
        min_frequency = getattr(self, "min_frequency", None)
        self._infrequent_enabled = (
            max_categories is not None and max_categories >= 1
        ) or min_frequency is not None
        data, stats = fit_category_counts(self, X, y)
        n_features = self.n_features_in_
        _check_not_empty(self, stats["n_samples"], n_features)
        if self.categories != "auto" and len(self.categories) != n_features:
            raise ValueError(
                "Shape mismatch: if categories is an array, it has to be of shape (n_features,)."
            )
        self.categories_ = []
        category_counts = []
        for i in range(n_features):
            values, counts = stats["values"][i], stats["counts"][i]
            if self.categories == "auto":
                cats = values
            else:
                cats = self._user_categories(i, values, handle_unknown)
                counts = _counts_for(values, counts, cats)
            self.categories_.append(cats)
            category_counts.append(counts)
        n_samples = int(stats["n_samples"])
        missing_indices = {}
        if missing_for_infrequent:
            for j, cats in enumerate(self.categories_):
                if cats.size and _is_scalar_nan_obj(cats[-1]):
                    missing_indices[j] = cats.size - 1
        if self._infrequent_enabled:
            self._fit_infrequent_category_mapping(n_samples, category_counts, missing_indices)
        return {
            "n_samples": n_samples,
            "category_counts": category_counts,
            "missing_indices": missing_indices,
            "data": data,
        }

    def _user_categories(self, i, values, handle_unknown):
        dtype = values.dtype
        if np.issubdtype(dtype, np.str_):
            dtype = object
        cats = np.array(self.categories[i], dtype=dtype)
        if cats.dtype == object and cats.size and isinstance(cats[0], bytes) and values.dtype.kind != "S":
            first = values[0] if values.size else ""
            raise ValueError(
                f"In column {i}, the predefined categories have type 'bytes' which is "
                f"incompatible with values of type '{type(first).__name__}'."
            )
        for c in cats[:-1]:
            if _is_scalar_nan_obj(c):
                raise ValueError(
                    f"Nan should be the last element in user provided categories, see categories {cats} in column #{i}"
                )
        if cats.size != len(unique_counts(cats)[0]):
            raise ValueError(f"In column {i}, the predefined categories contain duplicate elements.")
        if values.dtype.kind not in "OUS":
            sorted_cats = np.sort(cats)
            stop = -1 if np.isnan(sorted_cats[-1]) else None
            if np.any(sorted_cats[:stop] != cats[:stop]):
                raise ValueError("Unsorted categories are not supported for numerical categories")
        if handle_unknown == "error":
            _, valid = encode_column(values, cats)
            if not valid.all():
                diff = list(values[~valid])
                raise ValueError(f"Found unknown categories {diff} in column {i} during fit")
        return cats

    # ---------------------------------------------------- scikit-learn's infrequent rules

    @property
    def infrequent_categories_(self):
        """Infrequent categories for each feature."""
        infrequent_indices = self._infrequent_indices
        return [
            None if indices is None else category[indices]
            for category, indices in zip(self.categories_, infrequent_indices)
        ]

    def _identify_infrequent(self, category_count, n_samples):
        if isinstance(self.min_frequency, numbers.Integral):
            infrequent_mask = category_count < self.min_frequency
        elif isinstance(self.min_frequency, numbers.Real):
            infrequent_mask = category_count < n_samples * self.min_frequency
        else:
            infrequent_mask = np.zeros(category_count.shape[0], dtype=bool)
        n_current = category_count.size - infrequent_mask.sum() + 1
        if self.max_categories is not None and self.max_categories < n_current:
            frequent = self.max_categories - 1
            if frequent == 0:
                infrequent_mask[:] = True
            else:
                smallest = np.argsort(category_count, kind="mergesort")[:-frequent]
                infrequent_mask[smallest] = True
        output = np.flatnonzero(infrequent_mask)
        return output if output.size > 0 else None

    def _fit_infrequent_category_mapping(self, n_samples, category_counts, missing_indices):
        counts = [
            np.delete(c, missing_indices[j]) if j in missing_indices else c
            for j, c in enumerate(category_counts)
        ]
        self._infrequent_indices = [self._identify_infrequent(c, n_samples) for c in counts]
        self._default_to_infrequent_mappings = []
        for j, infreq in enumerate(self._infrequent_indices):
            if infreq is None:
                self._default_to_infrequent_mappings.append(None)
                continue
            n_cats = len(self.categories_[j]) - (1 if j in missing_indices else 0)
            mapping = np.empty(n_cats, dtype=np.int64)
            n_frequent = n_cats - infreq.size
            mapping[infreq] = n_frequent
            mapping[np.setdiff1d(np.arange(n_cats), infreq)] = np.arange(n_frequent)
            self._default_to_infrequent_mappings.append(mapping)

    def _kernel_state(self):
        enabled = self._infrequent_enabled
        return {
            "categories": self.categories_,
            "infrequent_enabled": enabled,
            "infrequent_indices": self._infrequent_indices if enabled else None,
            "mappings": self._default_to_infrequent_mappings if enabled else None,
            "drop_idx_after_grouping": getattr(self, "_drop_idx_after_grouping", None),
            "n_features_outs": getattr(self, "_n_features_outs", None),
            "missing_indices": getattr(self, "_missing_indices", {}),
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags


def _check_not_empty(estimator, n_samples, n_features):
    """scikit-learn's refusal of 0 rows (a Dask input's row count is known after the pass)."""
    if int(n_samples) == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape=(0, {n_features})) while a minimum of 1 is "
            f"required by {type(estimator).__name__}."
        )


def _is_scalar_nan_obj(v):
    return v is not None and _is_scalar_nan(v)


_FREQ = {
    "max_categories": [Interval(Integral, 1, None, closed="left"), None],
    "min_frequency": [
        Interval(Integral, 1, None, closed="left"),
        Interval(RealNotInt, 0, 1, closed="neither"),
        None,
    ],
}


class OneHotEncoder(_BaseEncoder):
    """Encode categorical features as a one-hot numeric array.

    A drop-in for :class:`sklearn.preprocessing.OneHotEncoder` that learns the categories
    in one pass over pandas or Dask DataFrames of mixed dtypes (numbers, ``category``,
    strings / objects, ``bool``, nullable ``Int64`` / ``Float64`` / ``boolean`` with
    ``pd.NA``), NumPy or Dask arrays, and encodes blockwise.

    Parameters
    ----------
    categories : 'auto' or a list of array-like, default='auto'
        Categories per feature: ``'auto'`` learns them (sorted as scikit-learn sorts
        them); a list gives ``categories[i]`` for column ``i``.
    drop : {'first', 'if_binary'} or array-like of shape (n_features,), default=None
        A category to drop per feature (scikit-learn's meaning).
    sparse_output : bool, default=True
        Return a CSR matrix (in-memory) or a Dask array of CSR chunks (Dask input).
    dtype : number type, default=np.float64
        Output dtype.
    handle_unknown : {'error', 'ignore', 'infrequent_if_exist', 'warn'}, default='error'
        What an unknown category at ``transform`` does (scikit-learn's meaning).
    min_frequency : int or float, default=None
        Categories rarer than this are grouped as infrequent.
    max_categories : int, default=None
        Upper limit of output features per input feature, infrequent group included.
    feature_name_combiner : "concat" or callable, default="concat"
        Builds the output feature names.

    Attributes
    ----------
    categories_ : list of arrays
        The categories of each feature (NaN or ``None`` last when seen).
    drop_idx_ : array of shape (n_features,)
        The index in ``categories_[i]`` of the dropped category, or None.
    infrequent_categories_ : list of ndarray
        The infrequent categories of each feature (``None`` where none).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X has string column names.

    Notes
    -----
    Computation: ``fit`` makes one pass: each chunk (a DataFrame partition or a row chunk)
    returns, per column, its sorted distinct values and their counts (missing values
    ``None`` / NaN counted as categories), merged in a tree on the workers (memory per
    task: one chunk plus the categories). Partition lengths are never computed: they may
    be unknown. ``transform`` is blockwise: Dask input gives a lazy Dask array (CSR chunks
    with ``sparse_output=True``, whose ``_meta`` is a CSR matrix; row chunk lengths as the
    input's, ``nan`` when unknown), nothing computed until asked; an unknown category with
    ``handle_unknown='error'`` raises scikit-learn's ``ValueError`` (naming the column
    and the values) when its chunk is computed, and the ``'warn'`` warnings are per chunk.
    A ``string`` column's ``pd.NA`` is read as NaN (scikit-learn refuses it); Dask turns
    object columns into such strings, so their ``None`` becomes NaN there.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from dml.preprocessing import OneHotEncoder
    >>> df = pd.DataFrame({"color": ["red", "blue", "red", "green"], "size": [1, 2, 1, 1]})
    >>> enc = OneHotEncoder(sparse_output=False).fit(dd.from_pandas(df, npartitions=2))
    >>> enc.categories_
    [array(['blue', 'green', 'red'], dtype=object), array([1, 2])]
    >>> enc.transform(df.head(2))
    array([[0., 0., 1., 1., 0.],
           [1., 0., 0., 0., 1.]])
    >>> list(enc.get_feature_names_out())
    ['color_blue', 'color_green', 'color_red', 'size_1', 'size_2']
    """

    _parameter_constraints: dict = {
        "categories": [StrOptions({"auto"}), list],
        "drop": [StrOptions({"first", "if_binary"}), "array-like", None],
        "dtype": "no_validation",
        "handle_unknown": [StrOptions({"error", "ignore", "infrequent_if_exist", "warn"})],
        **_FREQ,
        "sparse_output": ["boolean"],
        "feature_name_combiner": [StrOptions({"concat"}), callable],
    }

    def __init__(
        self,
        *,
        categories="auto",
        drop=None,
        sparse_output=True,
        dtype=np.float64,
        handle_unknown="error",
        min_frequency=None,
        max_categories=None,
        feature_name_combiner="concat",
    ):
        self.categories = categories
        self.sparse_output = sparse_output
        self.dtype = dtype
        self.handle_unknown = handle_unknown
        self.drop = drop
        self.min_frequency = min_frequency
        self.max_categories = max_categories
        self.feature_name_combiner = feature_name_combiner

    def fit(self, X, y=None):
        """Fit OneHotEncoder to X: learn the categories of each column in one pass.

        Parameters
        ----------
        X : DataFrame (pandas or Dask), array-like or Dask array of shape (n_samples, n_features)
            The data to determine the categories of each feature.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted encoder.
        """
        check_params(self)
        self._fit_categories(X, self.handle_unknown)
        self._set_drop_idx()
        self._n_features_outs = self._compute_n_features_outs()
        return self

    def _map_drop_idx_to_infrequent(self, feature_idx, drop_idx):
        if not self._infrequent_enabled:
            return drop_idx
        mapping = self._default_to_infrequent_mappings[feature_idx]
        if mapping is None:
            return drop_idx
        infreq = self._infrequent_indices[feature_idx]
        if infreq is not None and drop_idx in infreq:
            cat = self.categories_[feature_idx][drop_idx]
            cat = cat.item() if hasattr(cat, "item") else cat  # scikit-learn 1.9 fails on str here
            raise ValueError(
                f"Unable to drop category {cat!r} from feature {feature_idx} because it is infrequent"
            )
        return mapping[drop_idx]

    def _set_drop_idx(self):
        if self.drop is None:
            after = None
        elif isinstance(self.drop, str):
            if self.drop == "first":
                after = np.zeros(len(self.categories_), dtype=object)
            else:
                n_out = [len(c) for c in self.categories_]
                if self._infrequent_enabled:
                    for i, infreq in enumerate(self._infrequent_indices):
                        if infreq is not None:
                            n_out[i] -= infreq.size - 1
                after = np.array([0 if n == 2 else None for n in n_out], dtype=object)
        else:
            drop_array = np.asarray(self.drop, dtype=object)
            if len(drop_array) != len(self.categories_):
                raise ValueError(
                    "`drop` should have length equal to the number of features "
                    f"({len(self.categories_)}), got {len(drop_array)}"
                )
            missing, indices = [], []
            for j, (val, cats) in enumerate(zip(drop_array, self.categories_)):
                if not _is_scalar_nan_obj(val):
                    idx = np.where(cats == val)[0]
                    if idx.size:
                        indices.append(self._map_drop_idx_to_infrequent(j, idx[0]))
                    else:
                        missing.append((j, val))
                    continue
                if cats.size and _is_scalar_nan_obj(cats[-1]):
                    indices.append(self._map_drop_idx_to_infrequent(j, cats.size - 1))
                else:
                    missing.append((j, val))
            if missing:
                raise ValueError(
                    "The following categories were supposed to be dropped, but were not found "
                    "in the training data.\n" + "\n".join(f"Category: {c}, Feature: {v}" for c, v in missing)
                )
            after = np.array(indices, dtype=object)
        self._drop_idx_after_grouping = after
        if not self._infrequent_enabled or after is None:
            self.drop_idx_ = after
        else:
            out = []
            for j, d in enumerate(after):
                mapping = self._default_to_infrequent_mappings[j]
                out.append(d if d is None or mapping is None else np.flatnonzero(mapping == d)[0])
            self.drop_idx_ = np.asarray(out, dtype=object)

    def _compute_transformed_categories(self, i, remove_dropped=True):
        cats = self.categories_[i]
        if self._infrequent_enabled:
            mapping = self._default_to_infrequent_mappings[i]
            if mapping is not None:
                frequent = mapping < mapping.max()
                cats = np.concatenate((cats[frequent], np.array(["infrequent_sklearn"], dtype=object)))
        if remove_dropped:
            cats = self._remove_dropped_categories(cats, i)
        return cats

    def _remove_dropped_categories(self, cats, i):
        if self._drop_idx_after_grouping is not None and self._drop_idx_after_grouping[i] is not None:
            return np.delete(cats, self._drop_idx_after_grouping[i])
        return cats

    def _compute_n_features_outs(self):
        output = [len(c) for c in self.categories_]
        if self._drop_idx_after_grouping is not None:
            for i, d in enumerate(self._drop_idx_after_grouping):
                if d is not None:
                    output[i] -= 1
        if not self._infrequent_enabled:
            return output
        for i, infreq in enumerate(self._infrequent_indices):
            if infreq is not None:
                output[i] -= infreq.size - 1
        return output

    def transform(self, X):
        """Transform X using one-hot encoding.

        Parameters
        ----------
        X : DataFrame (pandas or Dask), array-like or Dask array of shape (n_samples, n_features)
            The data to encode.

        Returns
        -------
        X_out : {ndarray, sparse matrix, Dask array} of shape (n_samples, n_encoded_features)
            CSR with ``sparse_output=True``; a lazy Dask array (of CSR chunks when sparse)
            for Dask input.
        """
        check_is_fitted(self)
        transform_output = get_output_config("transform", estimator=self)["dense"]
        if transform_output != "default" and self.sparse_output:
            cap = transform_output.capitalize()
            raise ValueError(
                f"{cap} output does not support sparse data. Set sparse_output=False to output "
                f"{transform_output} dataframes or disable {cap} output via"
                '` ohe.set_output(transform="default").'
            )
        if self.handle_unknown == "warn":
            warn, handle = True, "infrequent_if_exist"
        else:
            warn = self.drop is not None and self.handle_unknown in {"ignore", "infrequent_if_exist"}
            handle = self.handle_unknown
        X = validate_frame_predict_data(self, X)
        return frame_blockwise(
            onehot_kernel,
            X,
            n_outputs=int(sum(self._n_features_outs)),
            dtype=self.dtype,
            sparse=bool(self.sparse_output),
            sparse_output=bool(self.sparse_output),
            out_dtype=self.dtype,
            state=self._kernel_state(),
            handle_unknown=handle,
            warn_on_unknown=warn,
        )

    def inverse_transform(self, X):
        """Convert the data back to the original representation.

        Parameters
        ----------
        X : {array-like, sparse matrix, Dask array} of shape (n_samples, n_encoded_features)
            The transformed data (a Dask array of dense or CSR chunks gives a lazy result).

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)
            Inverse transformed array (unknown categories as ``None``).
        """
        check_is_fitted(self)
        n_out = int(np.sum(self._n_features_outs))
        if is_dask_collection(X):
            if X.shape[1] != n_out:
                raise ValueError(
                    f"Shape of the passed X data is not correct. Expected {n_out} columns, got {X.shape[1]}."
                )
            return array_blockwise(
                _onehot_inverse_chunk, X, n_outputs=self.n_features_in_, dtype=self._inverse_dtype(), enc=self
            )
        X = check_array(X, accept_sparse="csr")
        if X.shape[1] != n_out:
            raise ValueError(
                f"Shape of the passed X data is not correct. Expected {n_out} columns, got {X.shape[1]}."
            )
        return self._inverse(X)

    def _inverse_dtype(self):
        feats = [
            self._compute_transformed_categories(i, remove_dropped=False)
            for i in range(len(self.categories_))
        ]
        dt = np.result_type(*[c.dtype for c in feats])
        if self.handle_unknown != "error":
            return np.dtype(object)
        return dt

    def _inverse(self, X):
        n_samples = X.shape[0]
        n_features = len(self.categories_)
        feats = [self._compute_transformed_categories(i, remove_dropped=False) for i in range(n_features)]
        dt = np.result_type(*[c.dtype for c in feats])
        X_tr = np.empty((n_samples, n_features), dtype=dt)
        j = 0
        found_unknown = {}
        infreq_idx = self._infrequent_indices if self._infrequent_enabled else [None] * n_features
        drop = self._drop_idx_after_grouping
        for i in range(n_features):
            cats_wo_dropped = self._remove_dropped_categories(feats[i], i)
            k = cats_wo_dropped.shape[0]
            if k == 0:
                X_tr[:, i] = self.categories_[i][drop[i]]
                continue
            sub = X[:, j : j + k]
            labels = np.asarray(sub.argmax(axis=1)).flatten()
            X_tr[:, i] = cats_wo_dropped[labels]
            zero = np.asarray(sub.sum(axis=1) == 0).flatten()
            if self.handle_unknown == "ignore" or (
                self.handle_unknown in ("infrequent_if_exist", "warn") and infreq_idx[i] is None
            ):
                if zero.any():
                    if drop is None or drop[i] is None:
                        found_unknown[i] = zero
                    else:
                        X_tr[zero, i] = self.categories_[i][drop[i]]
            elif zero.any():
                if drop is None:
                    raise ValueError(
                        f"Samples {np.flatnonzero(zero)} can not be inverted when drop=None and "
                        "handle_unknown='error' because they contain all zeros"
                    )
                X_tr[zero, i] = feats[i][drop[i]]
            j += k
        if found_unknown:
            if X_tr.dtype != object:
                X_tr = X_tr.astype(object)
            for idx, mask in found_unknown.items():
                X_tr[mask, idx] = None
        return X_tr

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input features (``feature_names_in_`` or ``x0, x1, ...`` by default).

        Returns
        -------
        feature_names_out : ndarray of str objects
            Transformed feature names.
        """
        check_is_fitted(self)
        input_features = check_feature_names_in(self, input_features)
        cats = [self._compute_transformed_categories(i) for i in range(len(self.categories_))]
        combiner = self._check_get_feature_name_combiner()
        names = []
        for i in range(len(cats)):
            names.extend(combiner(input_features[i], t) for t in cats[i])
        return np.array(names, dtype=object)

    def _check_get_feature_name_combiner(self):
        if self.feature_name_combiner == "concat":
            return lambda feature, category: feature + "_" + str(category)
        dry = self.feature_name_combiner("feature", "category")
        if not isinstance(dry, str):
            raise TypeError(
                "When `feature_name_combiner` is a callable, it should return a Python string. "
                f"Got {type(dry)} instead."
            )
        return self.feature_name_combiner


def _onehot_inverse_chunk(X, *, xp, enc):
    out = enc._inverse(X)
    return out.astype(enc._inverse_dtype(), copy=False)


class OrdinalEncoder(OneToOneFeatureMixin, _BaseEncoder):
    """Encode categorical features as an integer array.

    A drop-in for :class:`sklearn.preprocessing.OrdinalEncoder` that learns the
    categories in one pass over pandas or Dask DataFrames of mixed dtypes, NumPy or Dask
    arrays, and encodes blockwise.

    Parameters
    ----------
    categories : 'auto' or a list of array-like, default='auto'
        Categories per feature (``'auto'``: learned, sorted as scikit-learn sorts them).
    dtype : number type, default=np.float64
        Output dtype.
    handle_unknown : {'error', 'use_encoded_value'}, default='error'
        ``'use_encoded_value'`` encodes unknown categories as ``unknown_value``.
    unknown_value : int or np.nan, default=None
        The encoding of unknown categories (with ``handle_unknown='use_encoded_value'``).
    encoded_missing_value : int or np.nan, default=np.nan
        The encoding of missing values.
    min_frequency : int or float, default=None
        Categories rarer than this are grouped as one infrequent category.
    max_categories : int, default=None
        Upper limit of categories per feature, the infrequent group included.

    Attributes
    ----------
    categories_ : list of arrays
        The categories of each feature.
    infrequent_categories_ : list of ndarray
        The infrequent categories of each feature (``None`` where none).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X has string column names.

    Notes
    -----
    Computation: ``fit`` makes one pass (per-chunk category counts merged in a tree, as
    :class:`OneHotEncoder`); ``transform`` is blockwise (lazy Dask array out for Dask
    input, nothing computed until asked; row chunk lengths as the input's).

    Examples
    --------
    >>> import pandas as pd
    >>> from dml.preprocessing import OrdinalEncoder
    >>> df = pd.DataFrame({"color": ["red", "blue", None], "n": pd.array([3, 1, 3], dtype="Int64")})
    >>> enc = OrdinalEncoder().fit(df)
    >>> enc.categories_
    [array(['blue', 'red', nan], dtype=object), array([1., 3.])]
    >>> enc.transform(df)
    array([[ 1.,  1.],
           [ 0.,  0.],
           [nan,  1.]])
    """

    _parameter_constraints: dict = {
        "categories": [StrOptions({"auto"}), list],
        "dtype": "no_validation",
        "encoded_missing_value": [Integral, type(np.nan)],
        "handle_unknown": [StrOptions({"error", "use_encoded_value"})],
        "unknown_value": [Integral, type(np.nan), None],
        **_FREQ,
    }

    def __init__(
        self,
        *,
        categories="auto",
        dtype=np.float64,
        handle_unknown="error",
        unknown_value=None,
        encoded_missing_value=np.nan,
        min_frequency=None,
        max_categories=None,
    ):
        self.categories = categories
        self.dtype = dtype
        self.handle_unknown = handle_unknown
        self.unknown_value = unknown_value
        self.encoded_missing_value = encoded_missing_value
        self.min_frequency = min_frequency
        self.max_categories = max_categories

    def fit(self, X, y=None):
        """Fit the OrdinalEncoder to X: learn the categories of each column in one pass.

        Parameters
        ----------
        X : DataFrame (pandas or Dask), array-like or Dask array of shape (n_samples, n_features)
            The data to determine the categories of each feature.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted encoder.
        """
        check_params(self)
        if self.handle_unknown == "use_encoded_value":
            if _is_scalar_nan(self.unknown_value):
                if np.dtype(self.dtype).kind != "f":
                    raise ValueError(
                        f"When unknown_value is np.nan, the dtype parameter should be a float dtype. Got {self.dtype}."
                    )
            elif not isinstance(self.unknown_value, numbers.Integral):
                raise TypeError(
                    "unknown_value should be an integer or np.nan when handle_unknown is "
                    f"'use_encoded_value', got {self.unknown_value}."
                )
        elif self.unknown_value is not None:
            raise TypeError(
                f"unknown_value should only be set when handle_unknown is 'use_encoded_value', got {self.unknown_value}."
            )
        res = self._fit_categories(X, self.handle_unknown, missing_for_infrequent=True)
        self._missing_indices = res["missing_indices"]
        card = [len(c) for c in self.categories_]
        if self._infrequent_enabled:
            for j, infreq in enumerate(self.infrequent_categories_):
                if infreq is not None:
                    card[j] -= len(infreq)
        for j, cats in enumerate(self.categories_):
            if cats.size and _is_scalar_nan_obj(cats[-1]):
                card[j] -= 1
        if self.handle_unknown == "use_encoded_value":
            for c in card:
                if 0 <= self.unknown_value < c:
                    raise ValueError(
                        f"The used value for unknown_value {self.unknown_value} is one of the values "
                        "already used for encoding the seen categories."
                    )
        if self._missing_indices:
            if np.dtype(self.dtype).kind != "f" and _is_scalar_nan(self.encoded_missing_value):
                raise ValueError(
                    f"There are missing values in features {list(self._missing_indices)}. For "
                    f"OrdinalEncoder to encode missing values with dtype: {self.dtype}, set "
                    "encoded_missing_value to a non-nan value, or set dtype to a float"
                )
            if not _is_scalar_nan(self.encoded_missing_value):
                invalid = [
                    j
                    for j, c in enumerate(card)
                    if j in self._missing_indices and 0 <= self.encoded_missing_value < c
                ]
                if invalid:
                    if hasattr(self, "feature_names_in_"):
                        invalid = self.feature_names_in_[invalid]
                    raise ValueError(
                        f"encoded_missing_value ({self.encoded_missing_value}) is already used to "
                        f"encode a known category in features: {invalid}"
                    )
        return self

    def transform(self, X):
        """Transform X to ordinal codes.

        Parameters
        ----------
        X : DataFrame (pandas or Dask), array-like or Dask array of shape (n_samples, n_features)
            The data to encode.

        Returns
        -------
        X_out : ndarray or Dask array of shape (n_samples, n_features)
            Transformed input; lazy for Dask input.
        """
        check_is_fitted(self, "categories_")
        X = validate_frame_predict_data(self, X)
        return frame_blockwise(
            ordinal_kernel,
            X,
            n_outputs=self.n_features_in_,
            dtype=self.dtype,
            state=self._kernel_state(),
            handle_unknown=self.handle_unknown,
            out_dtype=self.dtype,
            unknown_value=self.unknown_value,
            encoded_missing_value=self.encoded_missing_value,
        )

    def inverse_transform(self, X):
        """Convert the data back to the original representation.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_encoded_features)
            The transformed data.

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)
            Inverse transformed array; lazy for Dask input.
        """
        check_is_fitted(self)
        n_features = len(self.categories_)
        if is_dask_collection(X):
            if X.shape[1] != n_features:
                raise ValueError(
                    f"Shape of the passed X data is not correct. Expected {n_features} columns, got {X.shape[1]}."
                )
            return array_blockwise(_ordinal_inverse_chunk, X, n_outputs=n_features, dtype=object, enc=self)
        X = check_array(X, ensure_all_finite="allow-nan")
        if X.shape[1] != n_features:
            raise ValueError(
                f"Shape of the passed X data is not correct. Expected {n_features} columns, got {X.shape[1]}."
            )
        return self._inverse(X)

    def _inverse(self, X):
        X = np.array(X, dtype=float, copy=True) if X.dtype.kind != "f" else X.copy()
        n_samples, n_features = X.shape
        dt = np.result_type(*[c.dtype for c in self.categories_])
        X_tr = np.empty((n_samples, n_features), dtype=dt)
        found_unknown, infreq_masks = {}, {}
        infreq_idx = getattr(self, "_infrequent_indices", None)
        for i in range(n_features):
            labels = X[:, i]
            if i in self._missing_indices:
                labels[_get_mask(labels, self.encoded_missing_value)] = self._missing_indices[i]
            rows = slice(None)
            cats = self.categories_[i]
            if infreq_idx is not None and infreq_idx[i] is not None:
                infreq_value = len(cats) - len(infreq_idx[i])
                infreq_masks[i] = labels == infreq_value
                rows = ~infreq_masks[i]
                keep = np.ones_like(cats, dtype=bool)
                keep[infreq_idx[i]] = False
                cats = cats[keep]
            if self.handle_unknown == "use_encoded_value":
                unknown = _get_mask(labels, self.unknown_value)
                found_unknown[i] = unknown
                rows = rows & ~unknown if isinstance(rows, np.ndarray) else ~unknown
            X_tr[rows, i] = cats[labels[rows].astype("int64", copy=False)]
        if found_unknown or infreq_masks:
            X_tr = X_tr.astype(object, copy=False)
        for idx, mask in found_unknown.items():
            X_tr[mask, idx] = None
        for idx, mask in infreq_masks.items():
            X_tr[mask, idx] = "infrequent_sklearn"
        return X_tr


def _get_mask(X, value):
    if _is_scalar_nan(value):
        return np.isnan(X)
    return X == value


def _ordinal_inverse_chunk(X, *, xp, enc):
    return enc._inverse(np.asarray(X)).astype(object, copy=False)
