"""``cv_results_`` and the best candidate of a search, from its per-fit results.

The layout, ranks and warnings are scikit-learn's ``BaseSearchCV`` (so the results of
dml's searches compare key for key with scikit-learn's), written here against public
NumPy / SciPy only: the searches call no private method of scikit-learn's base class.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from numpy.ma import MaskedArray
from scipy.stats import rankdata


def _aggregate(dicts):
    """A list of dicts -> a dict of arrays (numbers) or lists (anything else)."""
    return {
        key: np.asarray([d[key] for d in dicts])
        if isinstance(dicts[0][key], numbers.Number)
        else [d[key] for d in dicts]
        for key in dicts[0]
    }


def _by_metric(scores):
    """``{metric: scores}`` of a list of per-fit scores (dicts when multi-metric)."""
    return _aggregate(scores) if isinstance(scores[0], dict) else {"score": scores}


def masked_params(candidate_params):
    """``{"param_<name>": MaskedArray}``: each parameter's values, masked where a
    candidate does not have it (scikit-learn's dtype rules: object for strings and
    nested sequences)."""
    n = len(candidate_params)
    values = {}
    for i, params in enumerate(candidate_params):
        for name, value in params.items():
            values.setdefault(f"param_{name}", {})[i] = value
    out = {}
    for key, by_index in values.items():
        try:
            arr = np.array(list(by_index.values()))
        except ValueError:  # sequences of different lengths
            dtype = np.dtype(object)
        else:
            dtype = arr.dtype if arr.dtype.kind != "U" and arr.ndim == 1 else object
        ma = MaskedArray(np.empty(n, dtype=dtype), mask=True)
        for i, value in by_index.items():
            ma[i] = value  # setting a value unmasks it
        out[key] = ma
    return out


def _rank(means):
    """Ranks of the mean scores, best first; NaN ties with the worst."""
    if np.isnan(means).all():
        return np.ones_like(means, dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    return rankdata(-filled, method="min").astype(np.int32, copy=False)


def format_results(candidate_params, n_splits, out, *, return_train_score, stacklevel=1):
    """``cv_results_`` of ``len(candidate_params) x n_splits`` fits.

    Parameters
    ----------
    candidate_params : list of dict
    n_splits : int
    out : list of dict
        One per fit, candidate-major: ``fit_time``, ``score_time``, ``test_scores``
        (a float, or a dict of them per metric) and ``train_scores`` when asked.
    return_train_score : bool
    stacklevel : int, default=1
        Of the warning about non-finite scores, counted from the caller (1: the
        caller's line; a search's ``fit`` passes 2, its own caller, as scikit-learn's
        warnings point outside scikit-learn).

    Returns
    -------
    results : dict
        scikit-learn's keys: ``mean_fit_time`` ... ``params``, ``param_<name>``,
        ``split<k>_test_<metric>``, ``mean_`` / ``std_`` / ``rank_test_<metric>``.
    """
    n_candidates = len(candidate_params)
    out = _aggregate(out)
    results = {}

    def store(key, array, splits=False, rank=False):
        array = np.array(array, dtype=np.float64).reshape(n_candidates, n_splits)
        if splits:
            for k in range(n_splits):
                results[f"split{k}_{key}"] = array[:, k]
        means = np.average(array, axis=1)
        results[f"mean_{key}"] = means
        if key.startswith(("train_", "test_")) and np.any(~np.isfinite(means)):
            warnings.warn(
                f"One or more of the {key.split('_')[0]} scores are non-finite: {means}",
                category=UserWarning,
                stacklevel=stacklevel + 2,
            )
        results[f"std_{key}"] = np.sqrt(np.average((array - means[:, np.newaxis]) ** 2, axis=1))
        if rank:
            results[f"rank_{key}"] = _rank(means)

    store("fit_time", out["fit_time"])
    store("score_time", out["score_time"])
    results.update(masked_params(candidate_params))
    results["params"] = candidate_params
    test = _by_metric(out["test_scores"])
    train = _by_metric(out["train_scores"]) if return_train_score else None
    for name in test:
        store(f"test_{name}", test[name], splits=True, rank=True)
        if train is not None:
            store(f"train_{name}", train[name], splits=True)
    return results


def check_refit_for_multimetric(refit, scores):
    """Raise scikit-learn's error when ``refit`` names no metric of ``scores``."""
    valid = isinstance(refit, str) and refit in scores
    if refit is not False and not valid and not callable(refit):
        raise ValueError(
            "For multi-metric scoring, the parameter refit must be set to a scorer key or "
            "a callable to refit an estimator with the best parameter setting on the whole "
            "data and make the best_* attributes available for that metric. If this is "
            f"not needed, refit should be set to False explicitly. {refit!r} was passed."
        )


def select_best_index(refit, refit_metric, results):
    """Index of the best candidate: ``refit(results)`` when callable, else the top rank."""
    if callable(refit):
        best = refit(results)
        if not isinstance(best, numbers.Integral):
            raise TypeError("best_index_ returned is not an integer")
        if best < 0 or best >= len(results["params"]):
            raise IndexError("best_index_ index out of range")
        return best
    return results[f"rank_test_{refit_metric}"].argmin()
