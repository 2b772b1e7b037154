"""QuantileTransformer: quantiles from one pass of mergeable rank-bounded summaries."""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, TransformerMixin, check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.blockwise import apply_blockwise, guard_finite
from dml._engine.inputs import is_dask_collection, validate_fit_data, validate_predict_data
from dml._engine.namespace import get_namespace
from dml._engine.quantiles import DEFAULT_SIZE, summarize, summary_quantiles, summary_rank_error
from dml.preprocessing._quantile_kernels import quantile_transform_kernel


def _summary_size(subsample, n_quantiles):
    """Kept values per feature: the whole subsample (with the Bernoulli sample's
    spread), so a subsample is summarised exactly; at least DEFAULT_SIZE."""
    size = max(DEFAULT_SIZE, 2 * n_quantiles)
    if subsample is not None:
        size = max(size, int(subsample + 8 * np.sqrt(subsample) + 16))
    return size


class QuantileTransformer(CpuMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Transform features using quantiles information.

    A drop-in for :class:`sklearn.preprocessing.QuantileTransformer` on row-chunked
    data: each feature is mapped through its estimated cumulative distribution to a
    uniform or a normal distribution. NaNs are disregarded in ``fit`` and kept in
    ``transform``. Dense input only (``ignore_implicit_zeros`` applies to sparse
    input, which dml does not take here; True only warns, as scikit-learn on dense
    input).

    Parameters
    ----------
    n_quantiles : int, default=1000
        Number of quantiles computed (landmarks of the cumulative distribution).
    output_distribution : {'uniform', 'normal'}, default='uniform'
        Marginal distribution of the transformed data.
    ignore_implicit_zeros : bool, default=False
        Only for sparse matrices (warns on dense input, as scikit-learn).
    subsample : int or None, default=10_000
        Rows used to estimate the quantiles, for speed. With more rows than this,
        each row is kept with probability ``subsample / n_samples`` (a Bernoulli
        sample drawn from a hash of its global row index, so the same rows are kept
        however the data is chunked; scikit-learn draws exactly ``subsample`` rows
        without replacement). ``None``: every row, summarised by the rank-bounded
        summary (see Notes).
    random_state : int, RandomState instance or None, default=None
        Seeds the row sample's hash (used only when the data has more rows than
        ``subsample``).
    copy : bool, default=True
        If False, in-memory float input of the fitted dtype is transformed in place.

    Attributes
    ----------
    n_quantiles_ : int
        The number of quantiles used (at most the number of rows).
    quantiles_ : ndarray of shape (n_quantiles_, n_features)
        The values corresponding to the quantiles of reference.
    references_ : ndarray of shape (n_quantiles_,)
        Quantiles of references.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.

    Notes
    -----
    Computation: ``fit`` makes one pass (one round trip). Every chunk summarises each
    feature (its sampled rows) into at most ``size`` values with exact rank bounds,
    and the summaries merge in the tree combine (:mod:`dml._engine.quantiles`), with
    ``size = max(4096, 2 * n_quantiles, subsample + 8 sqrt(subsample) + 16)``.

    Rank error: when the summarised values number at most ``size`` (every subsample,
    and any data set that small) the summary is exact and ``quantiles_`` equal
    NumPy's ``nanpercentile`` of those rows bit for bit (scikit-learn's result on data
    of at most ``subsample`` rows). Otherwise each order statistic read is within
    ``summary_rank_error`` ranks of the wanted one, a bound the summary proves from
    its own rank bounds; it is at most about ``(2 d + 3) m / size`` for ``m``
    summarised values and ``d`` levels of merging (measured in
    ``tests/preprocessing/test_robust_quantile_kbins.py``), so below 0.1 % of the
    ranks with the default size and a merge tree of depth 3. The bound of the last
    fit is kept in ``_rank_error`` (ranks, per feature).

    Memory per task: one chunk plus ``24 * size`` bytes per feature. ``transform`` and
    ``inverse_transform`` are blockwise with ``np.interp`` per column as
    scikit-learn's: Dask in, lazy Dask out.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.preprocessing import QuantileTransformer
    >>> X = np.arange(10.0).reshape(-1, 1)
    >>> qt = QuantileTransformer(n_quantiles=5).fit(X)
    >>> qt.quantiles_.ravel()
    array([0.  , 2.25, 4.5 , 6.75, 9.  ])
    >>> qt.transform([[4.5]])
    array([[0.5]])
    """

    _parameter_constraints = {
        "n_quantiles": [Interval(Integral, 1, None, closed="left")],
        "output_distribution": [StrOptions({"uniform", "normal"})],
        "ignore_implicit_zeros": ["boolean"],
        "subsample": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "copy": ["boolean"],
    }

    def __init__(
        self,
        *,
        n_quantiles=1000,
        output_distribution="uniform",
        ignore_implicit_zeros=False,
        subsample=10_000,
        random_state=None,
        copy=True,
    ):
        self.n_quantiles = n_quantiles
        self.output_distribution = output_distribution
        self.ignore_implicit_zeros = ignore_implicit_zeros
        self.subsample = subsample
        self.random_state = random_state
        self.copy = copy

    def fit(self, X, y=None):
        """Compute the quantiles used for transforming.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_params(self)
        if self.subsample is not None and self.n_quantiles > self.subsample:
            raise ValueError(
                "The number of quantiles cannot be greater than"
                " the number of samples used. Got {} quantiles"
                " and {} samples.".format(self.n_quantiles, self.subsample)
            )
        with validate_fit_data(self, X, iterative=False) as data:
            n_samples = data.n_samples
            if self.n_quantiles > n_samples:
                warnings.warn(
                    "n_quantiles (%s) is greater than the total number "
                    "of samples (%s). n_quantiles is set to "
                    "n_samples." % (self.n_quantiles, n_samples)
                )
            self.n_quantiles_ = max(1, min(self.n_quantiles, n_samples))
            self.references_ = np.linspace(0, 1, self.n_quantiles_, endpoint=True)
            if self.ignore_implicit_zeros:
                warnings.warn(
                    "'ignore_implicit_zeros' takes effect only with sparse matrix. This parameter has no effect."
                )
            sample = None
            if self.subsample is not None and self.subsample < n_samples:
                seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
                sample = (seed, self.subsample / n_samples)
            size = _summary_size(self.subsample, self.n_quantiles_)
            summaries = summarize(data, size=size, sample=sample)
            dtype = data.dtype
        # as nanpercentile(X, references_ * 100): the same fractions, bit for bit
        fractions = np.true_divide(self.references_ * 100, np.dtype(dtype).type(100))
        with np.errstate(all="ignore"):
            self.quantiles_ = np.stack([summary_quantiles(s, fractions) for s in summaries], axis=1)
        self._rank_error = np.array([summary_rank_error(s) for s in summaries], dtype=np.int64)
        return self

    def _transform(self, X, inverse):
        from scipy import stats

        check_is_fitted(self)
        X = validate_predict_data(self, X)
        params = dict(
            quantiles=self.quantiles_,
            references=self.references_,
            inverse=inverse,
            normal=self.output_distribution == "normal",
            ppf=stats.norm.ppf,
            cdf=stats.norm.cdf,
        )

        def guarded(chunk, *, xp, **kw):
            return guard_finite(quantile_transform_kernel(chunk, xp=xp, **kw), chunk, allow_nan=True)

        if is_dask_collection(X) or self.copy:
            return apply_blockwise(guarded, X, n_outputs=X.shape[1], dtype=X.dtype, **params)
        X[...] = guarded(X, xp=get_namespace(X), **params)
        return X

    def transform(self, X):
        """Feature-wise transformation of the data.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        Xt : ndarray or Dask array of shape (n_samples, n_features)
            Lazy for Dask input.
        """
        return self._transform(X, inverse=False)

    def inverse_transform(self, X):
        """Back-projection to the original space.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)
        """
        return self._transform(X, inverse=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
