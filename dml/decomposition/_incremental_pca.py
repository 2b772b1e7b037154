"""IncrementalPCA: scikit-learn's batch-by-batch algorithm, with every batch reduced to
its R factor on the workers in one pass."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from scipy import linalg
from sklearn.utils import gen_batches

from dml._base import check_params
from dml._compat.sklearn import Interval
from dml._engine.inputs import raise_if_not_finite, validate_fit_data
from dml._engine.mapreduce import map_reduce, with_row_index
from dml._engine.namespace import to_numpy
from dml.decomposition._base import _BasePCA, svd_flip_v
from dml.decomposition._pca_kernels import combine_tsqr, tsqr_kernel

_FITTED = (
    "components_",
    "n_components_",
    "n_samples_seen_",
    "mean_",
    "var_",
    "singular_values_",
    "explained_variance_",
    "explained_variance_ratio_",
    "noise_variance_",
    "batch_size_",
)


class IncrementalPCA(_BasePCA):
    """Incremental principal components analysis on row-chunked data.

    A drop-in for :class:`sklearn.decomposition.IncrementalPCA` (dense input): the same
    sequence of batch updates, hence the same model. ``partial_fit`` takes one batch
    (which may itself be a large Dask array: it is reduced in one pass).

    Parameters
    ----------
    n_components : int or None, default=None
        Components to keep; None keeps ``min(n_samples of the first batch,
        n_features)``.
    whiten : bool, default=False
        Scale the projected data to unit variance.
    copy : bool, default=True
        X is never modified, so both values behave the same; kept for compatibility.
    batch_size : int or None, default=None
        Rows per batch in ``fit`` (``5 * n_features`` when None), numbered over the
        whole data as scikit-learn's ``gen_batches``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features)
    explained_variance_ : ndarray of shape (n_components_,)
    explained_variance_ratio_ : ndarray of shape (n_components_,)
    singular_values_ : ndarray of shape (n_components_,)
    mean_ : ndarray of shape (n_features,)
    var_ : ndarray of shape (n_features,)
    noise_variance_ : float
    n_components_ : int
    n_samples_seen_ : int
    batch_size_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: ``fit`` makes one pass: every chunk returns, for each batch (of the
    global row numbering) it holds, the batch's mean, row count and the R factor of the
    batch centred at its mean; pieces of a batch split between chunks merge exactly
    (TSQR). The caller then applies scikit-learn's updates batch by batch, with ``R``
    in place of the centred batch (same singular values and vectors), on
    ``(n_components + n_features + 1, n_features)`` matrices. Memory: O(n_features^2)
    per batch on the caller, i.e. about ``n_samples / batch_size * n_features^2``
    floats; raise ``batch_size`` for very long data. ``partial_fit`` makes one pass
    over its batch. ``transform`` is blockwise: Dask in, lazy Dask out.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.decomposition import IncrementalPCA
    >>> X = np.random.default_rng(0).normal(size=(100, 4))
    >>> IncrementalPCA(n_components=2, batch_size=25).fit(X).components_.shape
    (2, 4)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "whiten": ["boolean"],
        "copy": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_components=None, *, whiten=False, copy=True, batch_size=None):
        self.n_components = n_components
        self.whiten = whiten
        self.copy = copy
        self.batch_size = batch_size

    def _reset(self):
        for attr in _FITTED:
            if hasattr(self, attr):
                delattr(self, attr)

    def fit(self, X, y=None):
        """Fit the model with X, in batches of ``batch_size`` rows.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import IncrementalPCA
        >>> X = np.random.default_rng(0).normal(size=(100, 4))
        >>> ipca = IncrementalPCA(n_components=2, batch_size=25).fit(X)
        >>> ipca.n_samples_seen_, ipca.batch_size_
        (100, 25)
        """
        check_params(self)
        self._reset()
        with validate_fit_data(self, X) as data:
            n, p = data.n_samples, data.n_features
            self.batch_size_ = 5 * p if self.batch_size is None else self.batch_size
            starts = np.array(
                [b.start for b in gen_batches(n, self.batch_size_, min_batch_size=self.n_components or 0)],
                dtype=np.int64,
            )
            res = map_reduce(tsqr_kernel, with_row_index(data), combine=combine_tsqr, batch_starts=starts)
            batches = res["batches"]
            raise_if_not_finite(data, *[batches[g]["R"] for g in sorted(batches)])
        batch_size_ = self.batch_size_
        for g in sorted(batches):
            self._update(batches[g])
        self.batch_size_ = batch_size_
        return self

    def partial_fit(self, X, y=None, check_input=True):
        """Incremental fit with X as one batch (one pass over it).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.
        check_input : bool, default=True
            Kept for compatibility; X's metadata is always checked (no values are
            scanned, the NaN/inf check rides along in the pass).

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import IncrementalPCA
        >>> X = np.random.default_rng(0).normal(size=(100, 4))
        >>> ipca = IncrementalPCA(n_components=2)
        >>> for batch in np.split(X, 4):  # one pass over each batch
        ...     ipca = ipca.partial_fit(batch)
        >>> ipca.n_samples_seen_, ipca.components_.shape
        (100, (2, 4))
        """
        check_params(self)
        first = not hasattr(self, "components_")
        with validate_fit_data(self, X, reset=first) as data:
            stats = map_reduce(tsqr_kernel, data, combine=combine_tsqr)
            raise_if_not_finite(data, stats["mean"], stats["R"])
        if not hasattr(self, "batch_size_"):
            self.batch_size_ = 5 * data.n_features if self.batch_size is None else self.batch_size
        self._update(stats)
        return self

    def _update(self, stats):
        """scikit-learn's partial_fit step for one batch given as (mean, R, n)."""
        n_samples = int(stats["n"])
        mean_b = to_numpy(stats["mean"]).astype(np.float64)
        R = to_numpy(stats["R"]).astype(np.float64)
        n_features = mean_b.shape[0]
        first_pass = getattr(self, "components_", None) is None
        if first_pass:
            self.components_ = None
        if self.n_components is None:
            if self.components_ is None:
                self.n_components_ = min(n_samples, n_features)
            else:
                self.n_components_ = self.components_.shape[0]
        elif not self.n_components <= n_features:
            raise ValueError(
                "n_components=%r invalid for n_features=%d, need more rows than columns "
                "for IncrementalPCA processing" % (self.n_components, n_features)
            )
        elif self.n_components > n_samples and first_pass:
            raise ValueError(
                f"n_components={self.n_components} must be less or equal to the batch "
                f"number of samples {n_samples} for the first partial_fit call."
            )
        else:
            self.n_components_ = self.n_components
        if self.components_ is not None and self.components_.shape[0] != self.n_components_:
            raise ValueError(
                "Number of input features has changed from %i to %i between calls to "
                "partial_fit! Try setting n_components to a fixed value."
                % (self.components_.shape[0], self.n_components_)
            )
        m2_b = np.sum(R**2, axis=0)
        if not hasattr(self, "n_samples_seen_") or self.n_samples_seen_ == 0:
            n_seen, mean_seen, m2_seen = 0, np.zeros(n_features), np.zeros(n_features)
        else:
            n_seen = self.n_samples_seen_
            mean_seen = np.asarray(self._mean64)
            m2_seen = np.asarray(self._var64) * n_seen
        n_total = n_seen + n_samples
        delta = mean_b - mean_seen
        col_mean = mean_seen + delta * (n_samples / n_total)
        col_m2 = m2_seen + m2_b + delta**2 * (n_seen * n_samples / n_total)
        col_var = col_m2 / n_total
        if n_seen == 0:
            A = R
        else:
            corr = np.sqrt((n_seen / n_total) * n_samples) * (mean_seen - mean_b)
            A = np.vstack((self._sv64.reshape((-1, 1)) * self._comp64, R, corr[None, :]))
        _, S, Vt = linalg.svd(A, full_matrices=False, check_finite=False)
        # as many values as scikit-learn's SVD of [S V; X_batch; correction] has
        r = min(n_samples + (0 if n_seen == 0 else self._comp64.shape[0] + 1), n_features)
        S, Vt = S[:r], Vt[:r]
        Vt = svd_flip_v(Vt)
        explained_variance = S**2 / (n_total - 1) if n_total > 1 else S**2 * np.inf
        explained_variance_ratio = S**2 / np.sum(col_var * n_total)
        k = self.n_components_
        self.n_samples_seen_ = n_total
        self._comp64, self._sv64 = Vt[:k], S[:k]
        self._mean64, self._var64 = col_mean, col_var
        self.components_ = Vt[:k]
        self.singular_values_ = S[:k]
        self.mean_ = col_mean
        self.var_ = col_var
        self.explained_variance_ = explained_variance[:k]
        self.explained_variance_ratio_ = explained_variance_ratio[:k]
        if k not in (n_samples, n_features):
            self.noise_variance_ = float(explained_variance[k:].mean())
        else:
            self.noise_variance_ = 0.0
