"""TargetEncoder: per-category target statistics from one pass (per fold for the
cross-fitting of ``fit_transform``), merged in a tree; blockwise encoding."""

from __future__ import annotations

import dataclasses
import numbers
from numbers import Real

import numpy as np
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from dml._base import check_params
from dml._compat.sklearn import Interval, StrOptions, check_feature_names_in
from dml._engine.frames import (
    frame_blockwise,
    lazy_chunks_blockwise,
    validate_frame_fit_data,
    validate_frame_predict_data,
)
from dml._engine.inputs import is_dask_collection
from dml._engine.mapreduce import map_reduce
from dml.preprocessing._encoders import _BaseEncoder, _check_not_empty
from dml.preprocessing._encoders_kernels import encode_column
from dml.preprocessing._target_encoder_kernels import (
    combine_target_labels,
    combine_target_stats,
    encodings_from_stats,
    target_labels_kernel,
    target_stats_kernel,
    target_transform_kernel,
)

_ACCEPTED = ("binary", "multiclass", "continuous")


class TargetEncoder(OneToOneFeatureMixin, _BaseEncoder):
    """Target Encoder for regression and classification targets.

    A drop-in for :class:`sklearn.preprocessing.TargetEncoder` on pandas or Dask
    DataFrames of mixed dtypes (and NumPy / Dask arrays): each category is encoded by a
    shrunk mean of the target (binary: the rate of the second class; multiclass: one
    column per class; continuous: the mean), learned in one pass of per-category
    statistics merged in a tree.

    Parameters
    ----------
    categories : "auto" or list of array-like, default="auto"
        Categories per feature (``"auto"``: learned, sorted as scikit-learn sorts them).
    target_type : {"auto", "continuous", "binary", "multiclass"}, default="auto"
        Type of target (``"auto"``: inferred as :func:`~sklearn.utils.multiclass.type_of_target`).
    smooth : "auto" or float, default="auto"
        Shrinkage towards the target mean; ``"auto"`` is the empirical Bayes estimate.
    cv : int, default=5
        Number of cross-fitting folds of :meth:`fit_transform` (at least 2). dml assigns
        each row a deterministic fold (see Notes); cross-validation splitters are not
        accepted (they need the rows in memory) and raise ``ValueError``.
    shuffle : bool, default="deprecated"
        ``True`` (also the meaning of ``"deprecated"``, scikit-learn's default): hashed
        folds; ``False``: contiguous folds as ``KFold(cv)``. scikit-learn 1.9 deprecates
        it in favour of a splitter as ``cv``; dml accepts no splitter, so it keeps this
        parameter as its way to choose the folds and does not warn.
    random_state : int, RandomState instance or None, default="deprecated"
        The seed of the hashed folds (``None`` and ``"deprecated"``: 0; a RandomState
        draws one seed per ``fit_transform``). Not deprecated in dml (see ``shuffle``).

    Attributes
    ----------
    encodings_ : list of shape (n_features,) or (n_features * n_classes) of ndarray
        Encodings learned on all of X (per feature, then per class for multiclass).
    categories_ : list of shape (n_features,) of ndarray
        The categories of each feature.
    target_type_ : str
        Type of target.
    target_mean_ : float or ndarray of shape (n_classes,)
        The overall target mean (per class for multiclass).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X has string column names.
    classes_ : ndarray or None
        The class labels (binary, multiclass), else ``None``.

    Notes
    -----
    Computation: ``fit`` makes two passes on Dask input: one over y (its labels, the
    target type, and each chunk's rows; skipped with ``target_type="continuous"`` when
    chunk lengths are known), and one over X and y whose chunks return per column the
    categories seen with their row counts, target sums and sums of squares, merged in a
    tree (memory per task: one chunk plus O(categories x targets)). In-memory y skips
    the first. ``fit_transform`` computes those statistics per fold in the same single
    statistics pass (one set per fold, O(cv x categories x targets)), then encodes each
    row with the statistics of the other folds, blockwise and lazily for Dask input;
    ``transform`` is blockwise (lazy Dask array out, nothing computed until asked).

    Folds: scikit-learn's ``fit_transform`` draws ``KFold`` / ``StratifiedKFold``
    splits (shuffled by default). dml cannot shuffle rows it holds as chunks, so the fold
    of a row is a function of its global position: with ``shuffle=False`` exactly
    ``KFold(cv)`` (contiguous blocks; scikit-learn's splits for a continuous target, not
    stratified for classes), else a hash of the row index and ``random_state``
    (deterministic even with ``random_state=None``, independent of the chunking, folds
    of about equal sizes but not stratified). The statistics use sums of squares where
    scikit-learn centers first: ``smooth="auto"`` agrees to rounding (about 1e-12).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from dml.preprocessing import TargetEncoder
    >>> X = pd.DataFrame({"animal": ["dog"] * 20 + ["cat"] * 30 + ["snake"] * 38})
    >>> y = [90.3] * 5 + [80.1] * 15 + [20.4] * 5 + [20.1] * 25 + [21.2] * 8 + [49] * 30
    >>> enc = TargetEncoder(smooth=5000.0).fit(X, y)
    >>> round(float(enc.target_mean_), 1)
    44.3
    >>> [np.round(e, 1) for e in enc.encodings_]
    [array([44.1, 44.4, 44.3])]
    """

    _parameter_constraints: dict = {
        "categories": [StrOptions({"auto"}), list],
        "target_type": [StrOptions({"auto", "continuous", "binary", "multiclass"})],
        "smooth": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "cv": ["cv_object"],
        "shuffle": ["boolean", StrOptions({"deprecated"})],
        "random_state": ["random_state", StrOptions({"deprecated"})],
    }

    def __init__(
        self,
        categories="auto",
        target_type="auto",
        smooth="auto",
        cv=5,
        shuffle="deprecated",
        random_state="deprecated",
    ):
        self.categories = categories
        self.smooth = smooth
        self.target_type = target_type
        self.cv = cv
        self.shuffle = shuffle
        self.random_state = random_state

    # ------------------------------------------------------------------------ fitting

    def _target_info(self, data, y_host):
        """target_type_, classes_ and the chunks' rows (None when not read)."""
        rows = None
        if y_host is not None:
            if self.target_type == "auto":
                inferred = type_of_target(y_host, input_name="y")
                if inferred not in _ACCEPTED:
                    raise ValueError(
                        f"Unknown label type: Target type was inferred to be {inferred!r}. "
                        f"Only {_ACCEPTED} are supported."
                    )
                self.target_type_ = inferred
            else:
                self.target_type_ = self.target_type
            if self.target_type_ == "continuous":
                y_num = np.asarray(y_host, dtype=np.float64)
                if np.isnan(y_num).any():
                    raise ValueError("Input y contains NaN.")
                if not np.isfinite(y_num).all():
                    raise ValueError("Input y contains infinity or a value too large for dtype('float64').")
                self.classes_ = None
            else:
                self.classes_ = np.unique(y_host)
            return rows
        info = map_reduce(target_labels_kernel, data, combine=combine_target_labels, ordered=True)
        rows = tuple(int(r) for r in info["rows"])
        if self.target_type == "auto":
            if info["continuous"]:
                inferred = "continuous"
            else:
                labels = info["labels"]
                if labels.dtype.kind == "f" and np.isnan(labels).any():
                    raise ValueError("Input y contains NaN.")
                inferred = "binary" if labels.shape[0] <= 2 else "multiclass"
            self.target_type_ = inferred
        else:
            self.target_type_ = self.target_type
        if self.target_type_ == "continuous":
            if info["nan"]:
                raise ValueError("Input y contains NaN.")
            self.classes_ = None
        else:
            self.classes_ = info["labels"]
        return rows

    def _fit_all(self, X, y, cross_fit):
        check_params(self)
        self._infrequent_enabled = False
        if cross_fit:
            self._check_cv()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        y_host = None
        if not is_dask_collection(y):
            y_host = np.asarray(_host_target(y))
            if y_host.ndim == 2 and y_host.shape[1] > 1 and self.target_type == "auto":
                inferred = type_of_target(y_host, input_name="y")
                raise ValueError(
                    f"Unknown label type: Target type was inferred to be {inferred!r}. "
                    f"Only {_ACCEPTED} are supported."
                )
            y_host = column_or_1d(y_host, warn=True)
        data = validate_frame_fit_data(self, X, y)
        if self.categories != "auto" and len(self.categories) != self.n_features_in_:
            raise ValueError(
                "Shape mismatch: if categories is an array, it has to be of shape (n_features,)."
            )
        with data:
            rows = self._target_info(data, y_host)
            if rows is not None:
                data = dataclasses.replace(data, row_chunks=rows)
            folds = None
            if cross_fit:
                folds = self._folds(int(np.sum(data.row_chunks)))
            stats = map_reduce(
                target_stats_kernel,
                data,
                combine=combine_target_stats,
                pass_row_offset=folds is not None,
                target_type=self.target_type_,
                classes=self.classes_,
                folds=folds,
            )
            self._set_fitted(stats)
            if not cross_fit:
                return None, folds
            if data.lazy:
                chunks = (True, list(data.X), data.row_chunks)
            else:
                chunks = (False, _host_chunks(data), data.row_chunks)
            return chunks, folds

    def _check_cv(self):
        if not isinstance(self.cv, numbers.Integral) or isinstance(self.cv, bool):
            raise ValueError(
                "dml's TargetEncoder cross-fits with its own deterministic folds: cv must be "
                f"an int (the number of folds), got {self.cv!r}."
            )
        if self.cv < 2:
            raise ValueError(
                f"k-fold cross-validation requires at least one train/test split by setting n_splits=2 or more, got n_splits={self.cv}."
            )

    def _folds(self, n_samples):
        if n_samples < self.cv:
            raise ValueError(
                f"Cannot have number of splits n_splits={self.cv} greater than the number of samples: n_samples={n_samples}."
            )
        shuffle = True if self.shuffle == "deprecated" else bool(self.shuffle)
        rs = self.random_state
        if rs is None or rs == "deprecated":
            seed = 0
        elif isinstance(rs, numbers.Integral):
            seed = int(rs)
        else:
            seed = int(rs.randint(np.iinfo(np.int32).max))
        return {"n_samples": n_samples, "n_splits": int(self.cv), "shuffle": shuffle, "seed": seed % 2**63}

    def _set_fitted(self, stats):
        _check_not_empty(self, stats["n"].sum(), self.n_features_in_)
        self.categories_ = []
        per_col = []
        for j in range(self.n_features_in_):
            values = stats["values"][j]
            count, csum, csumsq = stats["count"][j], stats["csum"][j], stats["csumsq"][j]
            if self.categories == "auto":
                cats = values
            else:
                cats = self._user_categories(j, values, "ignore")
                idx, valid = encode_column(values, cats)
                k, t = csum.shape[0], csum.shape[2]
                c2 = np.zeros((k, cats.shape[0]))
                s2 = np.zeros((k, cats.shape[0], t))
                q2 = np.zeros((k, cats.shape[0], t))
                np.add.at(c2, (slice(None), idx[valid]), count[:, valid])
                for f in range(k):
                    np.add.at(s2[f], idx[valid], csum[f][valid])
                    np.add.at(q2[f], idx[valid], csumsq[f][valid])
                count, csum, csumsq = c2, s2, q2
            self.categories_.append(cats)
            per_col.append((count, csum, csumsq))
        self._stats = (stats["n"], stats["sum"], stats["sumsq"], per_col)
        n, s, q = stats["n"].sum(), stats["sum"].sum(axis=0), stats["sumsq"].sum(axis=0)
        encodings, mean = [], None
        for count, csum, csumsq in per_col:
            enc, mean = encodings_from_stats(
                count.sum(axis=0), csum.sum(axis=0), csumsq.sum(axis=0), n, s, q, self.smooth
            )
            encodings.extend(list(enc))
        if mean is None:
            mean = s / n
        self.encodings_ = encodings
        self.target_mean_ = mean if self.target_type_ == "multiclass" else np.float64(mean[0])

    def fit(self, X, y):
        """Fit the TargetEncoder to X and y.

        Parameters
        ----------
        X : DataFrame (pandas or Dask), array-like or Dask array of shape (n_samples, n_features)
            The data to determine the categories of each feature.
        y : array-like, pandas / Dask Series or Dask array of shape (n_samples,)
            The target data used to encode the categories.

        Returns
        -------
        self : object
            Fitted encoder.
        """
        self._fit_all(X, y, cross_fit=False)
        del self._stats
        return self

    def fit_transform(self, X, y):
        """Fit the TargetEncoder and transform X with cross-fitted target encodings.

        Parameters
        ----------
        X : DataFrame (pandas or Dask), array-like or Dask array of shape (n_samples, n_features)
            The data to determine the categories of each feature.
        y : array-like, pandas / Dask Series or Dask array of shape (n_samples,)
            The target data used to encode the categories.

        Returns
        -------
        X_trans : ndarray or Dask array of shape (n_samples, n_features) or (n_samples, n_features * n_classes)
            Each row encoded with the statistics of the folds it is not in; lazy for Dask
            input (known row chunks).
        """
        (lazy, chunks, row_chunks), folds = self._fit_all(X, y, cross_fit=True)
        n_f, s_f, q_f, per_col = self._stats
        del self._stats
        n, s, q = n_f.sum(), s_f.sum(axis=0), q_f.sum(axis=0)
        k = folds["n_splits"]
        encodings, means = [], np.empty((k, s.shape[0]))
        for count, csum, csumsq in per_col:
            per_fold = []
            for f in range(k):
                enc, mean = encodings_from_stats(
                    count.sum(axis=0) - count[f],
                    csum.sum(axis=0) - csum[f],
                    csumsq.sum(axis=0) - csumsq[f],
                    n - n_f[f],
                    s - s_f[f],
                    q - q_f[f],
                    self.smooth,
                )
                per_fold.append(enc)
                means[f] = mean
            encodings.append(np.stack(per_fold))
        if not per_col:
            means = (s - s_f) / (n - n_f)[:, None]
        kwargs = dict(categories=self.categories_, encodings=encodings, means=means, folds=folds)
        n_out = self.n_features_in_ * s.shape[0]
        if lazy:
            return lazy_chunks_blockwise(
                target_transform_kernel,
                chunks,
                n_outputs=n_out,
                dtype=np.float64,
                row_chunks=row_chunks,
                **kwargs,
            )
        parts = [target_transform_kernel(x, xp=None, row_offset=int(o), **kwargs) for x, o in chunks]
        return np.concatenate(parts, axis=0)

    def transform(self, X):
        """Transform X with the target encoding learned by ``fit``.

        Parameters
        ----------
        X : DataFrame (pandas or Dask), array-like or Dask array of shape (n_samples, n_features)
            The data to encode.

        Returns
        -------
        X_trans : ndarray or Dask array of shape (n_samples, n_features) or (n_samples, n_features * n_classes)
            Transformed input (unknown categories get ``target_mean_``); lazy for Dask input.
        """
        check_is_fitted(self)
        X = validate_frame_predict_data(self, X)
        means = np.atleast_1d(np.asarray(self.target_mean_, dtype=np.float64))
        t = means.shape[0]
        encodings = [
            np.stack(self.encodings_[j * t : (j + 1) * t])[None, :, :] for j in range(self.n_features_in_)
        ]
        return frame_blockwise(
            target_transform_kernel,
            X,
            n_outputs=self.n_features_in_ * t,
            dtype=np.float64,
            categories=self.categories_,
            encodings=encodings,
            means=means[None, :],
        )

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Not used, present here for API consistency by convention.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``feature_names_in_`` (or ``x0, x1, ...``); ``<feature>_<class>`` for multiclass.
        """
        check_is_fitted(self, "n_features_in_")
        names = check_feature_names_in(self, input_features)
        if self.target_type_ == "multiclass":
            return np.asarray([f"{f}_{c}" for f in names for c in self.classes_], dtype=object)
        return names

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _host_target(y):
    if hasattr(y, "iloc"):
        from dml.preprocessing._target_encoder_kernels import target_values

        if y.ndim == 2:
            return y.to_numpy()
        return target_values(y)
    return y


def _host_chunks(data):
    """(chunk, first row) of in-memory data (scattered chunks gathered)."""
    X = data.X
    if data.mode == "distributed":
        X = data.client.gather(X)
    starts = np.cumsum((0,) + tuple(data.row_chunks[:-1]))
    return list(zip(X, starts))
