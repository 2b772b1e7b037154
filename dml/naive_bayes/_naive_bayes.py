"""Naive Bayes classifiers: one pass of per-class statistics per fit.

``fit`` and ``partial_fit`` run one :func:`~dml._engine.mapreduce.map_reduce` pass:
every chunk returns its labels with their per-class counts, sums or Gaussian moments
(``_naive_bayes_kernels``), the partials merge in the engine's tree, and the model is
made from the small merged statistics in the caller, with scikit-learn's formulas.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from dml._base import check_params
from dml._compat.sklearn import Interval, check_partial_fit_first_call
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import raise_if_not_finite, validate_fit_data, validate_predict_data
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import is_dask_collection
from dml.metrics import accuracy_score
from dml.naive_bayes._naive_bayes_kernels import (
    category_counts_kernel,
    class_counts_kernel,
    combine_class_stats,
    gaussian_stats_kernel,
    log_prior_of,
    nb_predict_kernel,
)


def _reject_sparse(estimator, X):
    """A clear error for scipy.sparse input, in memory or as the chunks of a Dask array."""
    meta = getattr(X, "_meta", None) if is_dask_collection(X) else X
    if sparse.issparse(meta):
        where = "a Dask array of scipy.sparse chunks" if meta is not X else f"a scipy.sparse {meta.format}"
        raise TypeError(
            f"{type(estimator).__name__} does not support sparse input yet (dml's engine "
            f"runs on dense chunks); got {where}. Pass dense data: X.toarray(), or "
            "X.map_blocks(lambda b: b.toarray()) for a Dask array."
        )


def _unknown_labels_error(unknown, classes):
    return ValueError(
        "The target label(s) %s in y do not exist in the initial classes %s" % (unknown, classes)
    )


def _check_label_type(labels):
    """scikit-learn's errors for targets that are not class labels."""
    if labels.dtype.kind == "f":
        if np.isinf(labels).any():
            raise ValueError(
                f"Input y contains infinity or a value too large for dtype({labels.dtype.name!r})."
            )
        if not np.all(np.mod(labels, 1) == 0):
            raise ValueError(
                "Unknown label type: continuous. Maybe you are trying to fit a classifier, "
                "which expects discrete classes on a regression target with continuous values."
            )


def _align(stats, classes, keys):
    """The per-class arrays of ``stats`` (keyed by the labels seen) on ``classes``' rows;
    scikit-learn's error for labels outside ``classes``."""
    labels = stats["labels"]
    idx = np.searchsorted(classes, labels)
    known = idx < len(classes)
    known[known] = classes[idx[known]] == labels[known]
    if not known.all():
        raise _unknown_labels_error(labels[~known], classes)
    out = dict(stats)
    K = len(classes)
    for key in keys:
        value = stats.get(key)
        if value is None:
            continue
        if isinstance(value, tuple):
            out[key] = tuple(_rows(v, idx, K) for v in value)
        else:
            out[key] = _rows(value, idx, K)
    return out


def _rows(a, idx, K):
    out = np.zeros((K,) + a.shape[1:], dtype=np.float64)
    out[idx] = a
    return out


class _BaseNB(ClassifierMixin, BaseEstimator):
    """Shared fit / predict plumbing of dml's naive Bayes classifiers."""

    #: whether sparse X is taken (CSR chunks: the counting models, as scikit-learn)
    _accept_sparse = False

    def _check_sparse(self, X):
        """Refuse sparse X where the model does not take it."""
        if not self._accept_sparse:
            _reject_sparse(self, X)

    def _pass(self, X, y, sample_weight, classes, kernel, keys, *, reset, **kwargs):
        """Validate, run the one pass, check values; the merged statistics on the
        classes (``classes`` None: the sorted labels found, as ``fit``)."""
        self._check_sparse(X)
        accept = "csr" if self._accept_sparse else False
        with validate_fit_data(
            self, X, y, sample_weight, iterative=False, reset=reset, accept_sparse=accept
        ) as data:
            # the fast path returns the kernel's own result: through the combine, it is
            # on the host like the merged results of a graph
            stats = combine_class_stats([map_reduce(kernel, data, combine=combine_class_stats, **kwargs)])
            raise_if_not_finite(
                data, *(v for k, v in stats.items() if k not in ("labels", "category_count", "w_nonzero"))
            )
            dtype = data.dtype
            weighted = data.sample_weight is not None
        if weighted and not int(stats["w_nonzero"]):
            raise ValueError("Sample weights must contain at least one non-zero number.")
        _check_label_type(stats["labels"])
        if classes is None:
            classes = stats["labels"]
            self.classes_ = classes
        return _align(stats, self.classes_, keys), dtype

    def _check_negative(self, negative):
        if np.any(negative):
            raise ValueError(f"Negative values in data passed to {type(self).__name__} (input X).")

    def _blockwise(self, X, output):
        check_is_fitted(self)
        self._check_sparse(X)
        X = validate_predict_data(self, X, accept_sparse="csr" if self._accept_sparse else False)
        model, params, dtype = self._predict_params(X.dtype)
        kwargs = {"model": model, "params": params, "output": output}
        if output == "predict":
            return apply_blockwise(
                nb_predict_kernel,
                X,
                n_outputs=None,
                dtype=self.classes_.dtype,
                classes=self.classes_,
                **kwargs,
            )
        return apply_blockwise(nb_predict_kernel, X, n_outputs=len(self.classes_), dtype=dtype, **kwargs)

    def predict_joint_log_proba(self, X):
        """Joint log probability ``log P(x, c) = log P(c) + log P(x | c)`` of every sample.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        C : ndarray or Dask array of shape (n_samples, n_classes)
            Columns ordered as ``classes_``; lazy for Dask input.
        """
        return self._blockwise(X, "joint")

    def predict(self, X):
        """Predict class labels: the class of largest joint log probability.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        C : ndarray or Dask array of shape (n_samples,)
        """
        return self._blockwise(X, "predict")

    def predict_log_proba(self, X):
        """Log-probability estimates, columns ordered as ``classes_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        C : ndarray or Dask array of shape (n_samples, n_classes)
        """
        return self._blockwise(X, "log_proba")

    def predict_proba(self, X):
        """Probability estimates, columns ordered as ``classes_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        C : ndarray or Dask array of shape (n_samples, n_classes)
        """
        return self._blockwise(X, "proba")

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given data (one lazy pass for Dask input).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))


# ---------------------------------------------------------------------------- Gaussian


class GaussianNB(_BaseNB):
    """Gaussian naive Bayes, fitted in one pass over row-chunked data.

    The same parameters, fitted attributes and predictions as scikit-learn's
    ``GaussianNB``. Each chunk's per-class means and centred sums of squares are
    merged with Chan et al.'s pairwise update (scikit-learn's
    ``_update_mean_variance``), so the model does not depend on the chunking.

    Parameters
    ----------
    priors : array-like of shape (n_classes,), default=None
        Prior probabilities of the classes; by default the (weighted) class frequencies.
    var_smoothing : float, default=1e-9
        Portion of the largest feature variance added to the variances for stability.

    Attributes
    ----------
    class_count_ : ndarray of shape (n_classes,)
        (Weighted) number of training samples of each class.
    class_prior_ : ndarray of shape (n_classes,)
        Probability of each class.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    epsilon_ : float
        Absolute additive value to variances.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X has string column names.
    var_ : ndarray of shape (n_classes, n_features)
        Variance of each feature per class.
    theta_ : ndarray of shape (n_classes, n_features)
        Mean of each feature per class.

    Notes
    -----
    Computation: one pass over the data per ``fit`` / ``partial_fit`` (the labels are
    found in the same pass), one round trip; Dask input is never persisted. Memory per
    task: one chunk plus O(block_rows * n_features + n_classes * n_features); without
    weights the variance behind ``epsilon_`` comes from the class moments, with weights
    the kernel also keeps the unweighted moments. ``theta_``, ``var_`` and
    ``class_count_`` keep X's float dtype (float32 stays float32), as scikit-learn's.
    ``predict`` and the probabilities are blockwise: lazy for Dask input.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.naive_bayes import GaussianNB
    >>> X = np.array([[-1.0, -1.0], [-2.0, -1.0], [1.0, 1.0], [2.0, 1.0]])
    >>> y = np.array([1, 1, 2, 2])
    >>> clf = GaussianNB().fit(X, y)
    >>> clf.predict(np.array([[-0.8, -1.0]])).tolist()
    [1]
    >>> clf.theta_.tolist()
    [[-1.5, -1.0], [1.5, 1.0]]
    """

    _parameter_constraints: dict = {
        "priors": ["array-like", None],
        "var_smoothing": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, *, priors=None, var_smoothing=1e-9):
        self.priors = priors
        self.var_smoothing = var_smoothing

    def fit(self, X, y, sample_weight=None):
        """Fit Gaussian naive Bayes: one pass over the data.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        check_params(self)
        for name in ("classes_", "theta_"):
            vars(self).pop(name, None)
        return self._fit(X, y, None, sample_weight, reset=True)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with a batch of samples: one pass over the batch.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear in ``y``; required on the first call.
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        check_params(self)
        first = check_partial_fit_first_call(self, classes)
        if first:
            vars(self).pop("theta_", None)
        return self._fit(X, y, self.classes_, sample_weight, reset=first)

    def _fit(self, X, y, classes, sample_weight, *, reset):
        keys = ("n", "mean", "m2")
        stats, dtype = self._pass(X, y, sample_weight, classes, gaussian_stats_kernel, keys, reset=reset)
        n, mean, m2 = stats["n"], stats["mean"], stats["m2"]
        if "g_n" in stats:
            g_n, g_m2 = stats["g_n"], stats["g_m2"]
        else:  # unweighted: the moments of all rows from the class moments
            g_n = n.sum()
            g_mean = (n[:, None] * mean).sum(axis=0) / g_n
            g_m2 = m2.sum(axis=0) + (n[:, None] * (mean - g_mean) ** 2).sum(axis=0)
        epsilon = self.var_smoothing * float(np.max(g_m2 / g_n))
        first = not hasattr(self, "theta_")
        if first:
            dtype = np.dtype(dtype)
        else:
            dtype = self.theta_.dtype
            n0 = np.asarray(self.class_count_, dtype=np.float64)
            var0 = np.asarray(self.var_, dtype=np.float64) - float(self.epsilon_)
            old = (n0, np.asarray(self.theta_, dtype=np.float64), var0 * n0[:, None])
            n, mean, m2 = _chan_host(*old, n, mean, m2)
        var = np.divide(m2, n[:, None], out=np.zeros_like(m2), where=n[:, None] != 0)
        if first:
            self._set_priors(len(self.classes_), dtype)
        self.epsilon_ = dtype.type(epsilon)
        self.theta_ = mean.astype(dtype)
        self.var_ = (var + epsilon).astype(dtype)
        self.class_count_ = n.astype(dtype)
        if self.priors is None:
            self.class_prior_ = (n / n.sum()).astype(dtype)
        return self

    def _set_priors(self, n_classes, dtype):
        if self.priors is None:
            return
        priors = np.asarray(self.priors, dtype=dtype)
        if priors.shape[0] != n_classes:
            raise ValueError("Number of priors must match number of classes.")
        if not np.isclose(priors.sum(), 1.0):
            raise ValueError("The sum of the priors should be 1.")
        if (priors < 0).any():
            raise ValueError("Priors must be non-negative.")
        self.class_prior_ = priors

    def _predict_params(self, dtype):
        with np.errstate(divide="ignore"):
            log_prior = np.log(np.asarray(self.class_prior_, dtype=np.float64))
        params = {"theta": self.theta_, "var": self.var_, "log_prior": log_prior}
        return "gaussian", params, np.result_type(dtype, self.theta_.dtype)


def _chan_host(na, ma, sa, nb, mb, sb):
    n = na + nb
    safe = np.where(n != 0, n, 1.0)
    delta = mb - ma
    mean = ma + delta * (nb / safe)[:, None]
    m2 = sa + sb + (na * nb / safe)[:, None] * delta**2
    return n, mean, m2


# ---------------------------------------------------------------------------- discrete


class _BaseDiscreteNB(_BaseNB):
    """Counting naive Bayes models: feature counts per class in one pass."""

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "fit_prior": ["boolean"],
        "class_prior": ["array-like", None],
        "force_alpha": ["boolean"],
    }
    #: the pass's kernel, and the per-class statistics it returns
    _kernel = staticmethod(class_counts_kernel)
    _count_keys = ("class_count", "feature_count")
    _accept_sparse = True
    #: whether negative values of X are refused (scikit-learn's check_non_negative)
    _negative_check = True

    def _kernel_kwargs(self):
        """The kernel's keyword arguments, from the parameters."""
        return {}

    def fit(self, X, y, sample_weight=None):
        """Fit the model: one pass over the data.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        check_params(self)
        vars(self).pop("classes_", None)
        self._init_counts()
        return self._fit(X, y, None, sample_weight, reset=True)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the counts with a batch of samples: one pass over the batch.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear in ``y``; required on the first call. A label
            of ``y`` outside them raises an error (scikit-learn's discrete models drop
            such rows silently; dml raises GaussianNB's error).
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        check_params(self)
        first = check_partial_fit_first_call(self, classes)
        if first:
            self._init_counts()
        return self._fit(X, y, self.classes_, sample_weight, reset=first)

    def _init_counts(self):
        for name in ("class_count_", "feature_count_", "category_count_"):
            vars(self).pop(name, None)

    def _fit(self, X, y, classes, sample_weight, *, reset):
        kwargs = self._kernel_kwargs()
        stats, _ = self._pass(
            X, y, sample_weight, classes, self._kernel, self._count_keys, reset=reset, **kwargs
        )
        self._update_counts(stats)
        alpha = self._check_alpha()
        self._update_feature_log_prob(alpha)
        self._update_class_log_prior()
        return self

    def _update_counts(self, stats):
        if self._negative_check:
            self._check_negative(stats["x_min"] < 0)
        if hasattr(self, "class_count_"):
            self.class_count_ = self.class_count_ + stats["class_count"]
            self.feature_count_ = self.feature_count_ + stats["feature_count"]
        else:
            self.class_count_ = stats["class_count"]
            self.feature_count_ = stats["feature_count"]

    def _check_alpha(self):
        """scikit-learn's alpha checks and messages (``force_alpha`` rules)."""
        alpha = np.asarray(self.alpha) if not isinstance(self.alpha, Real) else self.alpha
        alpha_min = np.min(alpha)
        if isinstance(alpha, np.ndarray):
            if not alpha.shape[0] == self.n_features_in_:
                raise ValueError(
                    "When alpha is an array, it should contains `n_features`. "
                    f"Got {alpha.shape[0]} elements instead of {self.n_features_in_}."
                )
            if alpha_min < 0:
                raise ValueError("All values in alpha must be greater than 0.")
        lower = 1e-10
        if alpha_min < lower and not self.force_alpha:
            warnings.warn(
                "alpha too small will result in numeric errors, setting alpha ="
                f" {lower:.1e}. Use `force_alpha=True` to keep alpha"
                " unchanged."
            )
            return np.maximum(alpha, lower)
        return alpha

    def _update_class_log_prior(self):
        n_classes = len(self.classes_)
        if self.class_prior is not None:
            if len(self.class_prior) != n_classes:
                raise ValueError("Number of priors must match number of classes.")
            self.class_log_prior_ = np.log(self.class_prior)
        elif self.fit_prior:
            self.class_log_prior_ = log_prior_of(self.class_count_)
        else:
            self.class_log_prior_ = np.full(n_classes, -np.log(n_classes))

    def _predict_params(self, dtype):
        weights, bias = self._linear_terms()
        return "linear", {"weights": weights, "bias": bias}, np.dtype(np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        tags.input_tags.sparse = self._accept_sparse
        return tags


class MultinomialNB(_BaseDiscreteNB):
    """Naive Bayes for multinomial models (counts, tf-idf), fitted in one pass.

    The same parameters, fitted attributes and predictions as scikit-learn's
    ``MultinomialNB``: ``feature_count_ = Y^T X`` and ``class_count_`` summed over the
    chunks in float64.

    Parameters
    ----------
    alpha : float or array-like of shape (n_features,), default=1.0
        Additive (Laplace/Lidstone) smoothing parameter (0 for no smoothing).
    force_alpha : bool, default=True
        If False and alpha is less than 1e-10, alpha is set to 1e-10 (with a warning).
    fit_prior : bool, default=True
        Whether to learn class prior probabilities; if False a uniform prior is used.
    class_prior : array-like of shape (n_classes,), default=None
        Prior probabilities of the classes; if given they are not adjusted to the data.

    Attributes
    ----------
    class_count_ : ndarray of shape (n_classes,)
        (Weighted) number of samples of each class.
    class_log_prior_ : ndarray of shape (n_classes,)
        Smoothed empirical log probability of each class.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    feature_count_ : ndarray of shape (n_classes, n_features)
        (Weighted) sum of each feature per class.
    feature_log_prob_ : ndarray of shape (n_classes, n_features)
        Empirical log probability of the features given a class.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X has string column names.

    Notes
    -----
    Computation: one pass over the data per ``fit`` / ``partial_fit`` (labels found in
    the same pass, the negativity and NaN checks ride along), one round trip; Dask
    input is never persisted. Memory per task: one chunk plus
    O(block_rows * n_classes + n_classes * n_features). Sparse X (scipy.sparse, or Dask
    arrays of CSR chunks) is read from its stored values only: one sparse product per
    chunk, never densified. ``predict`` and the probabilities are blockwise: lazy for Dask input.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.naive_bayes import MultinomialNB
    >>> rng = np.random.RandomState(1)
    >>> X = rng.randint(5, size=(6, 100)).astype(float)
    >>> y = np.array([1, 2, 3, 4, 5, 6])
    >>> MultinomialNB().fit(X, y).predict(X[2:3]).tolist()
    [3]
    """

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _update_feature_log_prob(self, alpha):
        smoothed_fc = self.feature_count_ + alpha
        smoothed_cc = smoothed_fc.sum(axis=1)
        self.feature_log_prob_ = np.log(smoothed_fc) - np.log(smoothed_cc.reshape(-1, 1))

    def _linear_terms(self):
        return self.feature_log_prob_, self.class_log_prior_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags


class ComplementNB(_BaseDiscreteNB):
    """The Complement naive Bayes classifier (Rennie et al., 2003), fitted in one pass.

    The same parameters, fitted attributes and predictions as scikit-learn's
    ``ComplementNB``.

    Parameters
    ----------
    alpha : float or array-like of shape (n_features,), default=1.0
        Additive (Laplace/Lidstone) smoothing parameter (0 for no smoothing).
    force_alpha : bool, default=True
        If False and alpha is less than 1e-10, alpha is set to 1e-10 (with a warning).
    fit_prior : bool, default=True
        Whether to learn class prior probabilities; if False a uniform prior is used.
    class_prior : array-like of shape (n_classes,), default=None
        Prior probabilities of the classes; if given they are not adjusted to the data.
    norm : bool, default=False
        Whether a second normalization of the weights is performed.

    Attributes
    ----------
    class_count_ : ndarray of shape (n_classes,)
        (Weighted) number of samples of each class.
    class_log_prior_ : ndarray of shape (n_classes,)
        Smoothed empirical log probability of each class (used with one class only).
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    feature_all_ : ndarray of shape (n_features,)
        Empirical weights for class complements.
    feature_count_ : ndarray of shape (n_classes, n_features)
        (Weighted) sum of each feature per class.
    feature_log_prob_ : ndarray of shape (n_classes, n_features)
        Empirical weights for class complements.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X has string column names.

    Notes
    -----
    Computation: one pass over the data per ``fit`` / ``partial_fit``, one round trip,
    as :class:`MultinomialNB`; Dask input is never persisted. Memory per task: one
    chunk plus O(block_rows * n_classes + n_classes * n_features).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.naive_bayes import ComplementNB
    >>> rng = np.random.RandomState(1)
    >>> X = rng.randint(5, size=(6, 100)).astype(float)
    >>> y = np.array([1, 2, 3, 4, 5, 6])
    >>> ComplementNB().fit(X, y).predict(X[2:3]).tolist()
    [3]
    """

    _parameter_constraints: dict = {**_BaseDiscreteNB._parameter_constraints, "norm": ["boolean"]}

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None, norm=False):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior
        self.norm = norm

    def _update_counts(self, stats):
        super()._update_counts(stats)
        self.feature_all_ = self.feature_count_.sum(axis=0)

    def _update_feature_log_prob(self, alpha):
        comp_count = self.feature_all_ + alpha - self.feature_count_
        logged = np.log(comp_count / comp_count.sum(axis=1, keepdims=True))
        if self.norm:
            self.feature_log_prob_ = logged / logged.sum(axis=1, keepdims=True)
        else:
            self.feature_log_prob_ = -logged

    def _linear_terms(self):
        bias = self.class_log_prior_ if len(self.classes_) == 1 else np.zeros(len(self.classes_))
        return self.feature_log_prob_, bias

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags


class BernoulliNB(_BaseDiscreteNB):
    """Naive Bayes for multivariate Bernoulli models, fitted in one pass.

    The same parameters, fitted attributes and predictions as scikit-learn's
    ``BernoulliNB``: features are binarized at ``binarize`` inside the pass.

    Parameters
    ----------
    alpha : float or array-like of shape (n_features,), default=1.0
        Additive (Laplace/Lidstone) smoothing parameter (0 for no smoothing).
    force_alpha : bool, default=True
        If False and alpha is less than 1e-10, alpha is set to 1e-10 (with a warning).
    fit_prior : bool, default=True
        Whether to learn class prior probabilities; if False a uniform prior is used.
    class_prior : array-like of shape (n_classes,), default=None
        Prior probabilities of the classes; if given they are not adjusted to the data.
    binarize : float or None, default=0.0
        Threshold for binarizing the features; None means the input is already binary.

    Attributes
    ----------
    class_count_ : ndarray of shape (n_classes,)
        (Weighted) number of samples of each class.
    class_log_prior_ : ndarray of shape (n_classes,)
        Log probability of each class (smoothed).
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    feature_count_ : ndarray of shape (n_classes, n_features)
        (Weighted) number of samples per class and feature with the feature set.
    feature_log_prob_ : ndarray of shape (n_classes, n_features)
        Empirical log probability of features given a class.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X has string column names.

    Notes
    -----
    Computation: one pass over the data per ``fit`` / ``partial_fit``, one round trip;
    the chunk's minimum and maximum ride along so NaN and inf are reported although
    binarizing hides them. Memory per task: one chunk plus
    O(block_rows * (n_classes + n_features) + n_classes * n_features).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.naive_bayes import BernoulliNB
    >>> rng = np.random.RandomState(1)
    >>> X = rng.randint(5, size=(6, 100)).astype(float)
    >>> y = np.array([1, 2, 3, 4, 4, 5])
    >>> BernoulliNB().fit(X, y).predict(X[2:3]).tolist()
    [3]
    """

    _parameter_constraints: dict = {
        **_BaseDiscreteNB._parameter_constraints,
        "binarize": [None, Interval(Real, 0, None, closed="left")],
    }
    _negative_check = False

    def __init__(self, *, alpha=1.0, force_alpha=True, binarize=0.0, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.binarize = binarize
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _kernel_kwargs(self):
        return {"binarize": self.binarize}

    def _update_feature_log_prob(self, alpha):
        smoothed_fc = self.feature_count_ + alpha
        smoothed_cc = self.class_count_ + alpha * 2
        self.feature_log_prob_ = np.log(smoothed_fc) - np.log(smoothed_cc.reshape(-1, 1))

    def _predict_params(self, dtype):
        with np.errstate(divide="ignore", invalid="ignore"):
            neg_prob = np.log(1 - np.exp(self.feature_log_prob_))
        params = {
            "weights": self.feature_log_prob_ - neg_prob,
            "bias": self.class_log_prior_ + neg_prob.sum(axis=1),
            "binarize": self.binarize,
        }
        return "bernoulli", params, np.dtype(np.float64)


class CategoricalNB(_BaseDiscreteNB):
    """Naive Bayes for categorical features, fitted in one pass.

    The same parameters, fitted attributes and predictions as scikit-learn's
    ``CategoricalNB``. Each feature's categories are the integers 0, ..., n - 1 (X is
    cast to integers, as scikit-learn does; encode with ``OrdinalEncoder`` first).

    Parameters
    ----------
    alpha : float, default=1.0
        Additive (Laplace/Lidstone) smoothing parameter (0 for no smoothing).
    force_alpha : bool, default=True
        If False and alpha is less than 1e-10, alpha is set to 1e-10 (with a warning).
    fit_prior : bool, default=True
        Whether to learn class prior probabilities; if False a uniform prior is used.
    class_prior : array-like of shape (n_classes,), default=None
        Prior probabilities of the classes; if given they are not adjusted to the data.
    min_categories : int or array-like of shape (n_features,), default=None
        Minimum number of categories per feature.

    Attributes
    ----------
    category_count_ : list of arrays of shape (n_features,)
        For each feature, an array of shape (n_classes, n_categories of the feature):
        (weighted) number of samples per class and category.
    class_count_ : ndarray of shape (n_classes,)
        (Weighted) number of samples of each class.
    class_log_prior_ : ndarray of shape (n_classes,)
        Smoothed empirical log probability of each class.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    feature_log_prob_ : list of arrays of shape (n_features,)
        For each feature, an array of shape (n_classes, n_categories of the feature):
        empirical log probability of the categories given the class.
    n_categories_ : ndarray of shape (n_features,), dtype=np.int64
        Number of categories of each feature (in the last batch, and at least
        ``min_categories``), as scikit-learn's.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X has string column names.

    Notes
    -----
    Computation: one pass over the data per ``fit`` / ``partial_fit`` (each chunk
    reads its column minima and maxima, then counts), one round trip. Memory per
    task: one chunk plus O(n_classes * total categories); on namespaces other than
    NumPy the counts use one-hot blocks of O(block_rows * max categories).
    ``predict`` raises an ``IndexError`` naming the feature for a category beyond
    those seen in fit.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.naive_bayes import CategoricalNB
    >>> rng = np.random.RandomState(1)
    >>> X = rng.randint(5, size=(6, 100))
    >>> y = np.array([1, 2, 3, 4, 5, 6])
    >>> CategoricalNB().fit(X, y).predict(X[2:3]).tolist()
    [3]
    """

    _parameter_constraints: dict = {
        **_BaseDiscreteNB._parameter_constraints,
        "min_categories": [None, "array-like", Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
    }
    _kernel = staticmethod(category_counts_kernel)
    _count_keys = ("class_count", "category_count")
    _accept_sparse = False

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None, min_categories=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior
        self.min_categories = min_categories

    def _update_counts(self, stats):
        # NaN / inf were reported by the pass; categories are X truncated to integers,
        # so a value is a negative category when it is at most -1
        self._check_negative(stats["x_min"] <= -1)
        n_categories = self._validate_n_categories(np.trunc(stats["x_max"]).astype(np.int64) + 1)
        counts = stats["category_count"]
        K = len(self.classes_)
        if hasattr(self, "class_count_"):
            self.class_count_ = self.class_count_ + stats["class_count"]
            old = self.category_count_
        else:
            self.class_count_ = stats["class_count"]
            old = [np.zeros((K, 0)) for _ in range(self.n_features_in_)]
        new = []
        for j, (prev, add) in enumerate(zip(old, counts)):
            width = max(prev.shape[1], int(n_categories[j]), add.shape[1])
            table = np.zeros((K, width))
            table[:, : prev.shape[1]] += prev
            table[:, : add.shape[1]] += add
            new.append(table)
        self.category_count_ = new
        self.n_categories_ = n_categories

    def _validate_n_categories(self, n_categories_X):
        """scikit-learn's ``min_categories`` rules and messages."""
        min_categories = self.min_categories
        if min_categories is None:
            return n_categories_X
        min_categories_ = np.array(min_categories)
        if not np.issubdtype(min_categories_.dtype, np.signedinteger):
            raise ValueError(
                f"'min_categories' should have integral type. Got {min_categories_.dtype} instead."
            )
        n_categories_ = np.maximum(n_categories_X, min_categories_, dtype=np.int64)
        if n_categories_.shape != n_categories_X.shape:
            raise ValueError(
                f"'min_categories' should have shape ({n_categories_X.shape[0]},"
                f") when an array-like is provided. Got {min_categories_.shape} instead."
            )
        return n_categories_

    def _update_feature_log_prob(self, alpha):
        flp = []
        for counts in self.category_count_:
            smoothed = counts + alpha
            flp.append(np.log(smoothed) - np.log(smoothed.sum(axis=1).reshape(-1, 1)))
        self.feature_log_prob_ = flp

    def _predict_params(self, dtype):
        params = {"feature_log_prob": self.feature_log_prob_, "log_prior": self.class_log_prior_}
        return "categorical", params, np.dtype(np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.positive_only = True
        return tags
