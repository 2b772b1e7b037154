"""Shared pieces of the PCA family: sign convention, the probabilistic model, and
blockwise transform / inverse_transform / score_samples."""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, TransformerMixin
from dml._engine.blockwise import apply_blockwise, guard_finite
from dml._engine.inputs import is_dask_collection, validate_predict_data
from dml._engine.namespace import is_device_array
from dml.decomposition._pca_kernels import loglik_kernel, projection_kernel, reconstruction_kernel


def svd_flip_v(Vt):
    """Flip the rows of ``Vt`` so that the largest entry (in absolute value) of each
    row is positive: scikit-learn's ``svd_flip(u_based_decision=False)``."""
    if Vt.shape[0] == 0:
        return Vt
    rows = np.argmax(np.abs(Vt), axis=1)
    signs = np.sign(Vt[np.arange(Vt.shape[0]), rows])
    signs[signs == 0] = 1.0
    return Vt * signs[:, None]


def normalize_power(Z, normalizer):
    """Normalise a block of power-iteration vectors (``'none'``, ``'LU'``, ``'QR'``)."""
    if normalizer == "QR":
        return linalg.qr(Z, mode="economic")[0]
    if normalizer == "LU":
        return linalg.lu(Z, permute_l=True, check_finite=False)[0]
    return Z


def power_normalizer(normalizer, n_iter):
    """scikit-learn's choice for ``power_iteration_normalizer='auto'``."""
    if normalizer == "auto":
        return "none" if n_iter <= 2 else "LU"
    return normalizer


class _BasePCA(CpuMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """transform / inverse_transform / covariance model of PCA and IncrementalPCA."""

    #: sparse X taken by ``transform`` (one sparse product per CSR chunk)
    _sparse_transform = False

    def get_covariance(self):
        """Data covariance under the generative model.

        Returns
        -------
        cov : ndarray of shape (n_features, n_features)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import PCA
        >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]], dtype=float)
        >>> bool(np.allclose(PCA().fit(X).get_covariance(), np.cov(X.T)))
        True
        """
        components_ = self.components_.astype(np.float64)
        exp_var = np.asarray(self.explained_variance_, dtype=np.float64)
        if self.whiten:
            components_ = components_ * np.sqrt(exp_var[:, np.newaxis])
        exp_var_diff = np.where(exp_var > self.noise_variance_, exp_var - self.noise_variance_, 0.0)
        cov = (components_.T * exp_var_diff) @ components_
        cov.flat[:: len(cov) + 1] += self.noise_variance_
        return cov

    def get_precision(self):
        """Data precision matrix under the generative model (matrix inversion lemma).

        Returns
        -------
        precision : ndarray of shape (n_features, n_features)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import PCA
        >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]], dtype=float)
        >>> pca = PCA(n_components=1).fit(X)
        >>> bool(np.allclose(pca.get_precision() @ pca.get_covariance(), np.eye(2)))
        True
        """
        n_features = self.components_.shape[1]
        if self.n_components_ == 0:
            return np.eye(n_features) / self.noise_variance_
        if self.noise_variance_ == 0.0:
            return linalg.inv(self.get_covariance())
        components_ = self.components_.astype(np.float64)
        exp_var = np.asarray(self.explained_variance_, dtype=np.float64)
        if self.whiten:
            components_ = components_ * np.sqrt(exp_var[:, np.newaxis])
        exp_var_diff = np.where(exp_var > self.noise_variance_, exp_var - self.noise_variance_, 0.0)
        precision = components_ @ components_.T / self.noise_variance_
        precision.flat[:: len(precision) + 1] += 1.0 / exp_var_diff
        precision = components_.T @ linalg.inv(precision) @ components_
        precision /= -(self.noise_variance_**2)
        precision.flat[:: len(precision) + 1] += 1.0 / self.noise_variance_
        return precision

    def transform(self, X):
        """Project X on the principal components.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray or Dask array of shape (n_samples, n_components)
            Lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import PCA
        >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]], dtype=float)
        >>> PCA(n_components=1).fit(X).transform(X).shape
        (6, 1)
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X, accept_sparse=("csr", "csc") if self._sparse_transform else False)
        scale = None
        if self.whiten:
            scale = np.sqrt(np.asarray(self.explained_variance_, dtype=np.float64))
            min_scale = np.finfo(np.asarray(self.explained_variance_).dtype).eps
            scale[scale < min_scale] = min_scale
        mean, components = self.mean_, self.components_

        def func(chunk, *, xp):
            out = projection_kernel(chunk, xp=xp, mean=mean, components=components, scale=scale)
            return guard_finite(out, chunk) if out.shape[1] else out

        return apply_blockwise(func, X, n_outputs=components.shape[0], dtype=X.dtype)

    def inverse_transform(self, X):
        """Transform data back to its original space.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_components)

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import PCA
        >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]], dtype=float)
        >>> pca = PCA().fit(X)
        >>> bool(np.allclose(pca.inverse_transform(pca.transform(X)), X))
        True
        """
        check_is_fitted(self)
        components = np.asarray(self.components_)
        if self.whiten:
            components = np.sqrt(np.asarray(self.explained_variance_))[:, np.newaxis] * components
        mean = self.mean_
        if is_dask_collection(X):
            if X.ndim == 2 and len(X.chunks[1]) > 1:
                X = X.rechunk({1: -1})
        else:
            X = X if is_device_array(X) else np.asarray(X)

        def func(chunk, *, xp):
            return reconstruction_kernel(chunk, xp=xp, mean=mean, components=components)

        return apply_blockwise(func, X, n_outputs=components.shape[1], dtype=components.dtype)

    def score_samples(self, X):
        """Log-likelihood of each sample under the probabilistic PCA model.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ll : ndarray or Dask array of shape (n_samples,)
            Lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import PCA
        >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]], dtype=float)
        >>> PCA(n_components=1).fit(X).score_samples(X).shape
        (6,)
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        precision = self.get_precision()
        n_features = X.shape[1]
        sign, logdet = np.linalg.slogdet(precision)
        logdet = logdet if sign > 0 else -np.inf
        const = 0.5 * (n_features * np.log(2.0 * np.pi) - logdet)
        mean = self.mean_

        def func(chunk, *, xp):
            return guard_finite(
                loglik_kernel(chunk, xp=xp, mean=mean, precision=precision, const=const), chunk
            )

        return apply_blockwise(func, X, n_outputs=None, dtype=X.dtype)

    def score(self, X, y=None):
        """Average log-likelihood of the samples (computes for Dask input).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        ll : float

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import PCA
        >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]], dtype=float)
        >>> pca = PCA(n_components=1).fit(X)
        >>> bool(np.isclose(pca.score(X), pca.score_samples(X).mean()))
        True
        """
        ll = self.score_samples(X)
        if is_dask_collection(ll):
            ll = ll.mean().compute()
        return float(np.mean(ll))

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
