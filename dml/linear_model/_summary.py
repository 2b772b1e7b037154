"""Training summaries of the squared-error linear models, from the one-pass statistics.

``LinearRegression`` and ``Ridge`` keep the (p + t)^2 statistics of their one pass;
:meth:`SummaryMixin.summary` turns them into standard errors, t- and p-values, RMSE,
R^2 and adjusted R^2 without touching the data again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from dml.linear_model._base import gram_system


@dataclass
class LinearModelSummary:
    """Coefficient table and fit statistics of a fitted linear model.

    Arrays have shape (n_features,) for a 1-D target, (n_targets, n_features)
    otherwise; per-target scalars are floats or arrays of shape (n_targets,).

    Attributes
    ----------
    coef, std_err, t_values, p_values : ndarray
        Coefficients, their standard errors, t statistics and two-sided p-values
        (Student t with ``df_resid`` degrees of freedom).
    intercept, intercept_std_err, intercept_t_value, intercept_p_value : float or ndarray
        The same for the intercept (NaN without an intercept).
    rmse : float or ndarray
        Root (weighted) mean squared training error, ``sqrt(RSS / sum(w))``.
    r2, adj_r2 : float or ndarray
        Training R^2 (``1 - RSS / TSS``, TSS about the weighted mean, as
        ``score``) and ``1 - (1 - R^2) (n - 1) / df_resid`` (``n / df_resid``
        without an intercept).
    sigma2 : float or ndarray
        Residual variance ``RSS / df_resid``.
    df_model, df_resid : float
        Effective number of coefficients (``trace`` of the hat matrix of the centred
        model: ``rank(X)`` for least squares, ``sum(lam / (lam + alpha))`` for ridge)
        and ``n_samples - df_model - fit_intercept``.
    n_samples : int
    feature_names : list of str

    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import LinearRegression
    >>> X = np.arange(10.0).reshape(-1, 1); y = 2 * X.ravel() + 1 + np.tile([0.1, -0.1], 5)
    >>> s = LinearRegression().fit(X, y).summary()
    >>> s.coef.round(3).tolist(), s.n_samples, round(float(s.r2), 4), float(s.df_resid)
    ([1.994], 10, 0.9997, 8.0)
    >>> s.to_frame()["term"].tolist()
    ['intercept', 'x0']
    """

    coef: np.ndarray
    std_err: np.ndarray
    t_values: np.ndarray
    p_values: np.ndarray
    intercept: object
    intercept_std_err: object
    intercept_t_value: object
    intercept_p_value: object
    rmse: object
    r2: object
    adj_r2: object
    sigma2: object
    df_model: object
    df_resid: float
    n_samples: int
    feature_names: list

    def to_frame(self):
        """The coefficient table as a pandas DataFrame (one row per term and target).

        Returns
        -------
        pandas.DataFrame
            Columns ``term``, ``coef``, ``std_err``, ``t``, ``p_value`` (and ``target``
            for several targets).
        """
        coef = np.atleast_2d(self.coef)
        rows = []
        for k in range(coef.shape[0]):
            pick = (lambda a: np.atleast_2d(a)[k]) if np.ndim(self.coef) == 2 else (lambda a: np.ravel(a))
            terms = [
                (
                    "intercept",
                    self.intercept,
                    self.intercept_std_err,
                    self.intercept_t_value,
                    self.intercept_p_value,
                )
            ]
            icp = [np.ravel([v])[k] if np.ndim(v) else v for v in terms[0][1:]]
            rows.append(
                {
                    "target": k,
                    "term": "intercept",
                    "coef": icp[0],
                    "std_err": icp[1],
                    "t": icp[2],
                    "p_value": icp[3],
                }
            )
            for j, name in enumerate(self.feature_names):
                rows.append(
                    {
                        "target": k,
                        "term": name,
                        "coef": pick(self.coef)[j],
                        "std_err": pick(self.std_err)[j],
                        "t": pick(self.t_values)[j],
                        "p_value": pick(self.p_values)[j],
                    }
                )
        frame = pd.DataFrame(rows)
        if np.ndim(self.coef) == 1:
            frame = frame.drop(columns="target")
        return frame

    def __str__(self):
        lines = [
            f"n_samples={self.n_samples}  df_model={np.round(self.df_model, 3)}  "
            f"df_resid={np.round(self.df_resid, 3)}",
            f"RMSE={np.round(self.rmse, 6)}  R^2={np.round(self.r2, 6)}  adj. R^2={np.round(self.adj_r2, 6)}",
        ]
        return "\n".join(lines) + "\n" + self.to_frame().to_string(index=False)


def summarize(stats, coef, *, alpha, fit_intercept, feature_names, squeeze=True):
    """Build a :class:`LinearModelSummary` from one-pass statistics.

    Parameters
    ----------
    stats : SufficientStats
    coef : ndarray of shape (t, p)
        Fitted coefficients (float64).
    alpha : ndarray of shape (t,)
        Ridge penalties (zeros for least squares).
    """
    xx, xy, yy = gram_system(stats, fit_intercept)
    t, p = coef.shape
    n_rows = stats.n_rows
    rss = np.diag(yy) - 2.0 * np.einsum("pt,tp->t", xy, coef) + np.einsum("tp,pq,tq->t", coef, xx, coef)
    rss = np.maximum(rss, 0.0)
    tss = np.diag(stats.yy)
    lam, V = np.linalg.eigh(xx)
    lam = np.clip(lam, 0.0, None)
    cut = max(lam.max(initial=0.0), 1e-300) * p * np.finfo(np.float64).eps
    se = np.empty((t, p))
    df_model = np.empty(t)
    cov_store = []
    for k in range(t):
        den = lam + alpha[k]
        keep = den > cut
        inv = np.where(keep, 1.0 / np.where(keep, den, 1.0), 0.0)
        # Cov(coef) / sigma^2 = A^-1 xx A^-1 with A = xx + alpha I (the OLS pinv at alpha=0)
        cov = (V * (inv**2 * lam)) @ V.T
        df_model[k] = float(np.sum(inv * lam))
        cov_store.append(cov)
        se[k] = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    df_resid = n_rows - df_model - (1 if fit_intercept else 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma2 = np.where(df_resid > 0, rss / np.where(df_resid > 0, df_resid, 1.0), np.nan)
        std_err = se * np.sqrt(sigma2)[:, None]
        t_values = coef / std_err
        p_values = 2.0 * sps.t.sf(np.abs(t_values), df_resid[:, None])
        if fit_intercept:
            intercept = stats.y_mean - coef @ stats.x_mean
            var_b = sigma2 / stats.n + np.array(
                [stats.x_mean @ cov_store[k] @ stats.x_mean * sigma2[k] for k in range(t)]
            )
            icp_se = np.sqrt(var_b)
            icp_t = intercept / icp_se
            icp_p = 2.0 * sps.t.sf(np.abs(icp_t), df_resid)
        else:
            intercept = np.zeros(t)
            icp_se = icp_t = icp_p = np.full(t, np.nan)
        rmse = np.sqrt(rss / stats.n)
        r2 = np.where(tss > 0, 1.0 - rss / np.where(tss > 0, tss, 1.0), np.where(rss == 0, 1.0, 0.0))
        adj_r2 = 1.0 - (1.0 - r2) * (n_rows - (1 if fit_intercept else 0)) / df_resid

    def out(a, one):
        return (float(a[0]) if a.ndim == 1 else a[0]) if one else a

    one = squeeze and t == 1
    return LinearModelSummary(
        coef=out(coef, one),
        std_err=out(std_err, one),
        t_values=out(t_values, one),
        p_values=out(p_values, one),
        intercept=out(intercept, one),
        intercept_std_err=out(icp_se, one),
        intercept_t_value=out(icp_t, one),
        intercept_p_value=out(icp_p, one),
        rmse=out(rmse, one),
        r2=out(r2, one),
        adj_r2=out(adj_r2, one),
        sigma2=out(sigma2, one),
        df_model=out(df_model, one),
        df_resid=out(df_resid, one),
        n_samples=int(n_rows),
        feature_names=list(feature_names),
    )


class SummaryMixin:
    """Adds :meth:`summary` to a squared-error linear model that keeps its statistics."""

    def summary(self):
        """Standard errors, t- and p-values, RMSE, R^2 and adjusted R^2 of the fit.

        Computed from the one-pass statistics kept by ``fit`` (a (p + t)^2 matrix):
        no pass over the data. Standard errors assume independent errors with
        constant variance (weights as inverse variances); for ridge they are those of
        the (biased) ridge estimator, ``sigma^2 A^-1 X^T W X A^-1`` with
        ``A = X^T W X + alpha I``, with ``df_model`` the effective degrees of freedom.

        Returns
        -------
        LinearModelSummary
            ``print(summary)`` shows the table; ``summary.to_frame()`` gives it as a
            DataFrame.
        """
        check_is_fitted(self)
        kept = getattr(self, "_summary_stats", None)
        if kept is None:
            raise NotFittedError(
                f"{type(self).__name__}.summary() needs the one-pass statistics, which this "
                "fit did not produce (positive=True, or the distributed iterative solver)."
            )
        stats, alpha = kept
        coef = np.atleast_2d(np.asarray(self.coef_, dtype=np.float64))
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{j}" for j in range(coef.shape[1])]
        one_d = np.ndim(self.coef_) == 1
        s = summarize(
            stats,
            coef,
            alpha=np.asarray(alpha, dtype=float),
            fit_intercept=self.fit_intercept,
            feature_names=[str(n) for n in names],
            squeeze=one_d,
        )
        return s
