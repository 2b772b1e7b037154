"""GaussianMixture's small-array algebra, run in the caller: scikit-learn's checks of the
initial values, the M-step from the merged statistics, the Cholesky factors of the
precisions and their log-determinants (input already validated)."""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.utils import check_array

from dml._engine.namespace import to_numpy

_PRECISION_ERROR = (
    "Fitting the mixture model failed because some components have "
    "ill-defined empirical covariance (for instance caused by singleton "
    "or collapsed samples). Try to decrease the number of components, "
    "increase reg_covar, or scale the input data."
)


# ------------------------------------------------------------- parameter checks


def _check_shape(param, param_shape, name):
    if param.shape != param_shape:
        raise ValueError(
            "The parameter '%s' should have the shape of %s, but got %s" % (name, param_shape, param.shape)
        )


def _check_weights(weights, n_components):
    weights = check_array(weights, dtype=[np.float64, np.float32], ensure_2d=False)
    _check_shape(weights, (n_components,), "weights")
    if np.any(weights < 0.0) or np.any(weights > 1.0):
        raise ValueError(
            "The parameter 'weights' should be in the range [0, 1], but got max value %.5f, min value %.5f"
            % (np.min(weights), np.max(weights))
        )
    atol = 1e-6 if weights.dtype == np.float32 else 1e-8
    if not np.allclose(float(np.abs(1.0 - np.sum(weights))), 0.0, atol=atol):
        raise ValueError(
            "The parameter 'weights' should be normalized, but got sum(weights) = %.5f" % np.sum(weights)
        )
    return weights


def _check_means(means, n_components, n_features):
    means = check_array(means, dtype=[np.float64, np.float32], ensure_2d=False)
    _check_shape(means, (n_components, n_features), "means")
    return means


def _check_precision_matrix(precision, covariance_type):
    if not (np.allclose(precision, precision.T) and np.all(linalg.eigvalsh(precision) > 0.0)):
        raise ValueError("'%s precision' should be symmetric, positive-definite" % covariance_type)


def _check_precisions(precisions, covariance_type, n_components, n_features):
    precisions = check_array(
        precisions, dtype=[np.float64, np.float32], ensure_2d=False, allow_nd=covariance_type == "full"
    )
    shape = {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]
    _check_shape(precisions, shape, "%s precision" % covariance_type)
    if covariance_type == "full":
        for i in range(precisions.shape[0]):
            _check_precision_matrix(precisions[i], covariance_type)
    elif covariance_type == "tied":
        _check_precision_matrix(precisions, covariance_type)
    elif np.any(precisions <= 0.0):
        raise ValueError("'%s precision' should be positive" % covariance_type)
    return precisions


# ------------------------------------------------------------------ small algebra


def _precision_cholesky(covariances, covariance_type, dtype):
    """scikit-learn's ``precisions_cholesky_`` of ``covariances`` (float64 in, ``dtype`` out)."""
    message = _PRECISION_ERROR
    if np.dtype(dtype) == np.float32:
        message += " The numerical accuracy can also be improved by passing float64 data instead of float32."
    if covariance_type in ("full", "tied"):
        covs = covariances[None] if covariance_type == "tied" else covariances
        out = np.empty_like(covs)
        eye = np.eye(covs.shape[-1])
        for k, cov in enumerate(covs):
            try:
                chol = linalg.cholesky(cov, lower=True)
            except linalg.LinAlgError:
                raise ValueError(message) from None
            out[k] = linalg.solve_triangular(chol, eye, lower=True).T
        out = out[0] if covariance_type == "tied" else out
    else:
        if np.any(covariances <= 0.0):
            raise ValueError(message)
        out = 1.0 / np.sqrt(covariances)
    return out.astype(dtype, copy=False)


def _flip(a):
    return a[..., ::-1, ::-1]


def _cholesky_from_precisions(precisions, covariance_type):
    if covariance_type == "full":
        return np.stack([_flip(linalg.cholesky(_flip(p), lower=True)) for p in precisions])
    if covariance_type == "tied":
        return _flip(linalg.cholesky(_flip(precisions), lower=True))
    return np.sqrt(precisions)


def _log_det_cholesky(prec_chol, covariance_type, n_features, n_components):
    """(k,) float64 log-determinants of the precision Cholesky factors."""
    pc = np.asarray(prec_chol, dtype=np.float64)
    if covariance_type == "full":
        return np.sum(np.log(np.diagonal(pc, axis1=1, axis2=2)), axis=1)
    if covariance_type == "tied":
        return np.full(n_components, np.sum(np.log(np.diag(pc))))
    if covariance_type == "diag":
        return np.sum(np.log(pc), axis=1)
    return n_features * np.log(pc)


def _precisions_of(prec_chol, covariance_type):
    if covariance_type == "full":
        return np.einsum("kij,klj->kil", prec_chol, prec_chol)
    if covariance_type == "tied":
        return prec_chol @ prec_chol.T
    return prec_chol**2


def _covariances_of(precisions, covariance_type):
    if covariance_type == "full":
        return np.stack([linalg.inv(p) for p in precisions])
    if covariance_type == "tied":
        return linalg.inv(precisions)
    return 1.0 / precisions


def _m_step(stats, reg_covar, covariance_type, dtype):
    """``(nk, means, covariances)`` in float64 from the merged statistics (scikit-learn's
    ``_estimate_gaussian_parameters``: ``nk`` with its ``10 * eps``, covariances around
    the new means, ``reg_covar`` on the diagonal)."""
    nk_true = np.asarray(to_numpy(stats["nk"]), dtype=np.float64)
    b = np.asarray(to_numpy(stats["b"]), dtype=np.float64)
    s2 = np.asarray(to_numpy(stats["s2"]), dtype=np.float64)
    c = np.asarray(stats["centres"], dtype=np.float64)
    nk = nk_true + 10 * np.finfo(dtype).eps
    d = b / nk[:, None]
    means = c + d
    p = means.shape[1]
    if covariance_type == "full":
        # sum r (x - mu)(x - mu)^T = s2 - d b^T - b d^T + Nk d d^T   (mu = c + d)
        outer_db = d[:, :, None] * b[:, None, :]
        cov = (
            s2
            - outer_db
            - np.swapaxes(outer_db, 1, 2)
            + nk_true[:, None, None] * d[:, :, None] * d[:, None, :]
        )
        cov = cov / nk[:, None, None]
        cov[:, np.arange(p), np.arange(p)] += reg_covar
    elif covariance_type == "tied":
        # scikit-learn's (X^T X - sum_k nk mu_k mu_k^T) / sum(nk), written around the
        # shift s so that nothing of the size of s s^T cancels: with e_k = mu_k - s,
        # T = sum_i (x_i - s)(x_i - s)^T over all rows and the rows' responsibilities
        # summing to 1 (else q_u, q_n count the rows left out)
        s = np.asarray(stats["shift"], dtype=np.float64)
        q_u = np.asarray(to_numpy(stats["q_u"]), dtype=np.float64)
        q_n = float(to_numpy(stats["q_n"]))
        e = means - s
        uD = q_u + np.sum(b - nk_true[:, None] * d, axis=0)
        cov = s2 + np.outer(uD, s) + np.outer(s, uD) + q_n * np.outer(s, s) - (e.T * nk_true) @ e
        cov = cov / float(np.sum(nk))
        cov[np.arange(p), np.arange(p)] += reg_covar
    else:
        cov = (s2 - 2.0 * d * b + nk_true[:, None] * d * d) / nk[:, None] + reg_covar
        if covariance_type == "spherical":
            cov = cov.mean(axis=1)
    return nk, means, cov
