"""LogisticRegressionCV: cross-validated C (and l1_ratio) paths with warm starts."""

from __future__ import annotations

import contextvars
import inspect
import numbers
import warnings
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import numpy as np
from joblib import effective_n_jobs
from sklearn.metrics import get_scorer, get_scorer_names, make_scorer
from sklearn.model_selection import check_cv

from dml._base import check_params
from dml._compat.sklearn import Interval, StrOptions, raise_for_params
from dml._engine.inputs import validate_fit_data
from dml._engine.mapreduce import map_chunks, map_reduce
from dml._engine.namespace import to_numpy
from dml.linear_model._base import check_sample_weights
from dml.linear_model._logistic import (
    LogisticRegression,
    check_binary_liblinear,
    check_solver,
    class_labels,
    solve_logistic,
)
from dml.linear_model._logistic_kernels import encode_binary, encode_multiclass, fold_score_kernel
from dml.metrics import accuracy_score

_FAST_SCORES = {None: "accuracy", "accuracy": "accuracy", "neg_log_loss": "neg_log_loss"}


def run_concurrently(func, arg_list, n_jobs):
    """``func(*args)`` for every ``args``, at most ``n_jobs`` at a time, in threads of
    this process that each drive their own passes (each thread runs in a copy of the
    caller's context, so dml's ``config_context`` holds in it). Exceptions propagate."""
    if n_jobs <= 1 or len(arg_list) <= 1:
        for args in arg_list:
            func(*args)
        return
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        futures = [pool.submit(contextvars.copy_context().run, func, *args) for args in arg_list]
        for fut in futures:
            fut.result()


class LogisticRegressionCV(LogisticRegression):
    """Logistic regression with built-in cross-validation of ``C`` (and ``l1_ratio``).

    A drop-in for :class:`sklearn.linear_model.LogisticRegressionCV` on row-chunked
    data: the same folds (``check_cv(cv, y, classifier=True)``), the same path over
    ``Cs`` with warm starts from one ``C`` to the next, the same selection (the best
    summed score over folds) and refit, and the same fitted attributes (legacy or new
    layout, per ``use_legacy_attributes``).

    Parameters
    ----------
    Cs : int or array-like, default=10
        Grid of inverse regularisation strengths; an int ``n`` means
        ``np.logspace(-4, 4, n)``.
    l1_ratios : array-like or None, default='warn'
        Elastic-net mixing values to search (with ``solver='saga'``); the default
        behaves as ``None`` (pure L2) with scikit-learn's FutureWarning.
    fit_intercept : bool, default=True
    cv : int, cross-validation generator or iterable, default=None
        5-fold stratified by default. The labels (and weights) are gathered on the
        host once to build the folds.
    dual : bool, default=False
        ``True`` only with 'liblinear' and the L2 penalty; dml solves the primal
        problem, which has the same optimum (see :class:`LogisticRegression`).
    penalty : {'l1', 'l2', 'elasticnet'} or 'deprecated', default='deprecated'
        Deprecated as in scikit-learn; use ``l1_ratios``.
    scoring : str, callable or None, default='warn'
        ``None`` / ``'accuracy'`` (the default) and ``'neg_log_loss'`` are computed
        by one fused pass per fold over the held-out rows for every ``C`` at once;
        any other scikit-learn scorer is applied to the held-out rows per ``C``.
    solver : {'lbfgs', 'liblinear', 'newton-cg', 'newton-cholesky', 'sag', 'saga'}, \
            default='lbfgs'
        As :class:`LogisticRegression`: 'newton-cg' is truncated Newton on
        Hessian-vector products, 'sag' and 'saga' run dml's (proximal) Newton solver,
        'liblinear' penalises the intercept (binary only). Every solver is
        warm-started along the path of ``Cs``.
    tol : float, default=1e-4
    max_iter : int, default=100
    class_weight : dict or 'balanced', default=None
        'balanced' weights are computed once on the whole data, as scikit-learn.
    n_jobs : int, default=None
        How many (fold, l1_ratio) paths run at once, as scikit-learn's joblib jobs
        (``None`` means 1, ``-1`` all of them; joblib's rules). Each path is a
        sequence of passes driven from a thread of this process; their passes share
        the cluster (or the local scheduler), so concurrent paths overlap their round
        trips. Every value gives the same model.
    verbose : int, default=0
    refit : bool, default=True
        Refit on all the data at the best ``C`` (warm-started from the folds' mean
        coefficients); otherwise average the folds' best coefficients.
    intercept_scaling : float, default=1
        'liblinear' only, as :class:`LogisticRegression`. dml's refit uses it too
        (scikit-learn's refit leaves it out and refits with 1).
    random_state : int, RandomState instance or None, default=None
        Unused: dml's solvers are deterministic.
    use_legacy_attributes : bool, default='warn'
        scikit-learn 1.9's switch between the legacy and the simplified layout of
        ``C_``, ``l1_ratio_``, ``coefs_paths_``, ``scores_`` and ``n_iter_``.

    Attributes
    ----------
    classes_, coef_, intercept_, Cs_, l1_ratios_, C_, l1_ratio_, coefs_paths_,
    scores_, n_iter_, n_features_in_, feature_names_in_ : as scikit-learn.

    Notes
    -----
    Computation: one pass over ``y`` for the classes, one gather of ``y`` (and the
    weights) to the host to build the folds; then, for each fold (and l1_ratio), the
    path over ``Cs`` runs the chosen solver on the whole data with the held-out rows'
    weights set to zero (no copy of X: each pass reads every chunk, so a fold costs
    about ``n / n_train`` times a fit on the training rows), warm-started along the
    path; ``n_jobs`` of these paths run concurrently. One fused pass per fold scores
    every ``C`` on the held-out rows. The refit is one more solver run on all rows.
    Memory per task: one chunk plus the solver's per-block buffers (see
    :class:`LogisticRegression`); in the caller, the paths' small state times
    ``n_jobs``.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import LogisticRegressionCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 2)); y = (X[:, 0] > 0).astype(int)
    >>> clf = LogisticRegressionCV(Cs=[0.01, 1.0], cv=3, l1_ratios=(0,), scoring="accuracy",
    ...                            use_legacy_attributes=False).fit(X, y)
    >>> clf.C_, clf.scores_.shape
    (1.0, (3, 1, 2))
    """

    _parameter_constraints = {
        k: v
        for k, v in LogisticRegression._parameter_constraints.items()
        if k not in ("C", "warm_start", "l1_ratio")
    }
    _parameter_constraints.update(
        {
            "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
            "l1_ratios": ["array-like", None, StrOptions({"warn"})],
            "cv": ["cv_object"],
            "scoring": [StrOptions(set(get_scorer_names()) | {"warn"}), callable, None],
            "refit": ["boolean"],
            "penalty": [StrOptions({"l1", "l2", "elasticnet", "deprecated"})],
            "use_legacy_attributes": ["boolean", StrOptions({"warn"})],
        }
    )

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios="warn",
        fit_intercept=True,
        cv=None,
        dual=False,
        penalty="deprecated",
        scoring="warn",
        solver="lbfgs",
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        n_jobs=None,
        verbose=0,
        refit=True,
        intercept_scaling=1.0,
        random_state=None,
        use_legacy_attributes="warn",
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes

    # ------------------------------------------------------------------ parameters

    def _resolve(self):
        """scikit-learn 1.9's resolution of l1_ratios / penalty / scoring / layout."""
        l1_ratios, penalty = self._resolve_penalty_cv()
        scoring = self._resolve_scoring()
        legacy = self._resolve_legacy()
        check_solver(self.solver, penalty, self.dual, type(self).__name__)
        if penalty == "elasticnet":
            if (
                l1_ratios is None
                or len(l1_ratios) == 0
                or any(not isinstance(r, numbers.Number) or r < 0 or r > 1 for r in l1_ratios)
            ):
                raise ValueError(
                    "l1_ratios must be an array-like of numbers between 0 and 1; got "
                    f"(l1_ratios={l1_ratios!r})"
                )
            l1_list = list(l1_ratios)
        else:
            if l1_ratios is not None and self.penalty != "deprecated":
                warnings.warn(
                    f"l1_ratios parameter is only used when penalty is 'elasticnet'. Got (penalty={penalty})",
                    stacklevel=3,
                )
            l1_list = [None] if l1_ratios is None else list(l1_ratios)
        return penalty, l1_list, l1_ratios, scoring, legacy

    def _resolve_penalty_cv(self):
        """``(l1_ratios, penalty)`` with scikit-learn 1.9's deprecation warnings."""
        if isinstance(self.l1_ratios, str) and self.l1_ratios == "warn":
            l1_ratios = None
            warnings.warn(
                "The default value for l1_ratios will change from None to (0.0,) "
                "in version 1.10. From version 1.10 onwards, only array-like "
                "with values in [0, 1] will be allowed, None will be forbidden. "
                "To avoid this warning, explicitly set a value, e.g. l1_ratios=(0,).",
                FutureWarning,
                stacklevel=4,
            )
        else:
            l1_ratios = self.l1_ratios
        if self.penalty != "deprecated":
            warnings.warn(
                "'penalty' was deprecated in version 1.8 and will be removed in 1.10. To "
                "avoid this warning, leave 'penalty' set to its default value and use "
                "'l1_ratios' and 'Cs' instead. Use l1_ratios=(0,) instead of penalty='l2', "
                "l1_ratios=(1,) instead of penalty='l1', l1_ratios set to floats between 0 "
                "and 1 instead of penalty='elasticnet', and Cs=(np.inf,) instead of "
                "penalty=None.",
                FutureWarning,
                stacklevel=4,
            )
            return l1_ratios, self.penalty
        if self.l1_ratios is None:
            warnings.warn(
                "'l1_ratios=None' was deprecated in version 1.8 and will trigger an "
                "error in 1.10. Use an array-like with valuesin [0, 1] instead.",
                FutureWarning,
                stacklevel=4,
            )
        if l1_ratios is None or np.all(np.asarray(l1_ratios) == 0):
            return l1_ratios, "l2"
        if np.all(np.asarray(l1_ratios) == 1):
            return l1_ratios, "l1"
        return l1_ratios, "elasticnet"

    def _resolve_scoring(self):
        if self.scoring != "warn":
            return self.scoring
        warnings.warn(
            "The default value of the parameter 'scoring' will change from None, "
            "i.e. accuracy, to 'neg_log_loss' in version 1.11. To silence this "
            "warning, explicitly set the scoring parameter: scoring='neg_log_loss' "
            "for the new, scoring='accuracy' or scoring=None for the old default.",
            FutureWarning,
            stacklevel=4,
        )
        return None

    def _resolve_legacy(self):
        if self.use_legacy_attributes != "warn":
            return self.use_legacy_attributes
        warnings.warn(
            f"The fitted attributes of {type(self).__name__} will be simplified in "
            "scikit-learn 1.10 to remove redundancy. Set`use_legacy_attributes=False` "
            "to enable the new behavior now, or set it to `True` to silence this "
            "warning during the transition period while keeping the deprecated "
            "behavior for the time being. The default value of use_legacy_attributes "
            f"will change from True to False in scikit-learn 1.10. See the docstring "
            f"of {type(self).__name__} for more details.",
            FutureWarning,
            stacklevel=4,
        )
        return True

    # ------------------------------------------------------------------------ fit

    def fit(self, X, y, sample_weight=None, **params):
        """Fit the C (and l1_ratio) paths on every fold, pick the best, refit.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        **params : dict
            Not supported: without metadata routing scikit-learn's error, with it a
            ValueError (dml does not route metadata to the splitter or scorer here).

        Returns
        -------
        self : object
        """
        if params:
            raise_for_params(params, self, "fit")  # scikit-learn's error without routing
            raise ValueError(
                f"LogisticRegressionCV.fit got unexpected arguments {sorted(params)}; dml "
                "does not support metadata routing."
            )
        check_params(self)
        penalty, l1_list, l1_ratios_param, scoring, legacy = self._resolve()
        Cs = (
            np.logspace(-4, 4, self.Cs)
            if isinstance(self.Cs, numbers.Integral)
            else np.asarray(self.Cs, dtype=float)
        )
        with validate_fit_data(self, X, y, sample_weight, accept_sparse="csr") as data:
            classes, counts = class_labels(data, type(self).__name__)
            self.classes_ = classes
            n_classes = len(classes)
            if n_classes < 2:
                raise ValueError(
                    "This solver needs samples of at least 2 classes in the data, but the "
                    f"data contains only one class: {classes[0]}."
                )
            check_binary_liblinear(self.solver, n_classes)
            check_sample_weights(data, nonzero=counts)
            y_host = data.gather("y")
            w_host = (
                np.ones(data.n_samples)
                if data.sample_weight is None
                else data.gather("sample_weight").astype(np.float64)
            )
            cw = self._cv_class_weights(classes, counts)
            binary = n_classes == 2
            enc = (
                map_chunks(encode_binary, data, positive=classes[1])
                if binary
                else map_chunks(encode_multiclass, data, classes=classes)
            )
            row_cw = np.ones(len(y_host)) if cw is None else cw[np.searchsorted(classes, y_host)]
            cv = check_cv(self.cv, y_host, classifier=True)
            folds = list(cv.split(np.zeros((len(y_host), 1), dtype=np.int8), y_host))
            K = 1 if binary else n_classes
            q = data.n_features + int(self.fit_intercept)
            fold_args = (enc, folds, Cs, l1_list, penalty, cw, row_cw, w_host, n_classes, K, q)
            paths, scores, n_iter = self._fit_folds(
                *fold_args,
                scoring=scoring,
                X=X,
                y_host=y_host,
                w_score=w_host if sample_weight is not None else None,
            )
            coef, hist, C_, l1_ = self._select_and_refit(
                enc,
                paths,
                scores,
                Cs,
                l1_list,
                penalty,
                cw,
                float(np.sum(w_host * row_cw)),
                n_classes,
            )
            dtype = data.dtype
        p = q - int(self.fit_intercept)
        self.Cs_ = Cs
        self.coef_ = np.ascontiguousarray(coef[:, :p]).astype(dtype, copy=False)
        self.intercept_ = coef[:, p].astype(dtype) if self.fit_intercept else np.zeros(K, dtype=dtype)
        self.objective_history_ = hist
        self._set_path_attributes(
            paths, scores, n_iter, classes, binary, C_, l1_, l1_list, l1_ratios_param, legacy, q
        )
        return self

    def _fit_folds(
        self,
        enc,
        folds,
        Cs,
        l1_list,
        penalty,
        cw,
        row_cw,
        w_host,
        n_classes,
        K,
        q,
        *,
        scoring,
        X,
        y_host,
        w_score,
    ):
        """Every fold's warm-started path over ``Cs`` (per l1_ratio) and its scores.

        Returns ``paths`` (nF, nL, nC, K, q), ``scores`` (nF, nL, nC), ``n_iter``.
        """
        nF, nC, nL = len(folds), len(Cs), len(l1_list)
        paths = np.zeros((nF, nL, nC, K, q))
        scores = np.zeros((nF, nL, nC))
        n_iter = np.zeros((nF, nL, nC), dtype=np.int32)
        fold_data, sw_sums = [], []
        for train, _ in folds:
            w_train = np.zeros_like(w_host)
            w_train[train] = w_host[train]
            fold_data.append(enc.with_host("sample_weight", w_train))
            sw_sums.append(float(np.sum(w_train * row_cw)))

        def path(f, li):
            w0 = np.zeros(K * q)
            for ci, C in enumerate(Cs):
                res = self._path_fit(fold_data[f], w0, cw, C, l1_list[li], penalty, sw_sums[f], n_classes)
                paths[f, li, ci] = res.coef.reshape(K, q)
                n_iter[f, li, ci] = res.n_iter
                w0 = res.coef

        def score(f):
            test = folds[f][1]
            w_test = np.zeros_like(w_host)
            w_test[test] = w_host[test]
            scores[f] = self._fold_scores(
                enc, w_test, paths[f], self.classes_, scoring, X, y_host, test, w_score
            )

        # each (fold, l1_ratio) path is a sequence of passes driven from this process;
        # n_jobs of them run at once (their passes share the cluster), as scikit-learn's
        # joblib jobs do; every path writes its own slice, so the model is the same for
        # any n_jobs
        n_jobs = min(effective_n_jobs(self.n_jobs), nF * nL)
        run_concurrently(path, [(f, li) for f in range(nF) for li in range(nL)], n_jobs)
        run_concurrently(score, [(f,) for f in range(nF)], min(n_jobs, nF))
        return paths, scores, n_iter

    def _select_and_refit(self, enc, paths, scores, Cs, l1_list, penalty, cw, sw_all, n_classes):
        """scikit-learn's selection (scores laid out (n_folds, n_cs, n_l1)) and the refit
        (or the folds' mean): ``(coef (K, q), objective_history, C_, l1_ratio_)``."""
        nF, _, nC, K, q = paths.shape
        nL = len(l1_list)
        sc = np.swapaxes(scores, 1, 2)
        cp = np.swapaxes(paths, 1, 2)  # (nF, nC, nL, K, q)
        if self.refit:
            best = np.unravel_index(np.argmax(sc.sum(axis=0)), sc.shape[1:])
            C_best, l1_best = Cs[best[0]], l1_list[best[1]]
            init = np.mean(cp[:, best[0], best[1]], axis=0).ravel()
            res = self._path_fit(enc, init, cw, C_best, l1_best, penalty, sw_all, n_classes)
            return res.coef.reshape(K, q), res.objective_history, [C_best], [l1_best]
        flat = sc.reshape(nF, -1)
        bi = np.unravel_index(np.argmax(flat, axis=1), (nC, nL))
        bi = list(zip(*bi))
        coef = np.mean([cp[i, bi[i][0], bi[i][1]] for i in range(nF)], axis=0)
        bi = np.asarray(bi)
        C_ = [np.mean(Cs[bi[:, 0]])]
        l1_ = [np.mean(np.asarray(l1_list)[bi[:, 1]])] if penalty == "elasticnet" else [0.0]
        return coef, [], C_, l1_

    def _cv_class_weights(self, classes, counts):
        if isinstance(self.class_weight, dict):
            if not set(self.class_weight.keys()) <= set(classes):
                raise ValueError(
                    "The given class_weight dict must have the class labels as keys; "
                    f"classes={classes} but key={self.class_weight.keys()}"
                )
        return self._class_weights(classes, counts)

    def _path_fit(self, data, w0, cw, C, l1r, penalty, sw_sum, n_classes):
        l1r = 0.0 if l1r is None or penalty == "l2" else (1.0 if penalty == "l1" else float(l1r))
        return solve_logistic(
            data,
            w0,
            solver=self.solver,
            intercept_scaling=self.intercept_scaling,
            cw=cw,
            C=float(C),
            l1_ratio=l1r,
            sw_sum=sw_sum,
            n_classes=n_classes,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
            verbose=max(0, self.verbose - 1),
            name=type(self).__name__,
        )

    def _fold_scores(self, enc, w_test, fold_paths, classes, scoring, X, y_host, test, w_host):
        """Scores of every (l1_ratio, C) on one fold's held-out rows: shape (nL, nC)."""
        nL, nC, K, q = fold_paths.shape
        fast = _FAST_SCORES.get(scoring) if isinstance(scoring, (str, type(None))) else None
        if fast is not None:
            out = map_reduce(
                fold_score_kernel,
                enc.with_host("sample_weight", w_test),
                broadcast=(fold_paths.reshape(nL * nC, K, q),),
                fit_intercept=self.fit_intercept,
                metric=fast,
                n_classes=len(classes),
            )
            num, den = to_numpy(out["num"]), float(to_numpy(out["den"]))
            s = num / den
            return (s if fast == "accuracy" else -s).reshape(nL, nC)
        scorer = get_scorer(scoring)
        sig = getattr(scorer, "_score_func", None)
        if sig is not None and "labels" in inspect.signature(scorer._score_func).parameters:
            extra = {}
            if len(classes) <= 2 and "pos_label" in inspect.signature(scorer._score_func).parameters:
                extra["pos_label"] = classes[-1]
            scorer = make_scorer(
                scorer._score_func,
                greater_is_better=scorer._sign == 1,
                response_method=scorer._response_method,
                labels=classes,
                **extra,
                **getattr(scorer, "_kwargs", {}),
            )
        X_test = X.iloc[test] if hasattr(X, "iloc") else X[test]
        y_test = y_host[test]
        kw = {} if w_host is None else {"sample_weight": w_host[test]}
        est = LogisticRegression()
        est.classes_ = classes
        est.n_features_in_ = self.n_features_in_
        if hasattr(self, "feature_names_in_"):
            est.feature_names_in_ = self.feature_names_in_
        p = q - int(self.fit_intercept)
        res = np.zeros((nL, nC))
        for li in range(nL):
            for ci in range(nC):
                c = fold_paths[li, ci]
                est.coef_ = c[:, :p]
                est.intercept_ = c[:, p] if self.fit_intercept else np.zeros(K)
                res[li, ci] = scorer(est, X_test, y_test, **kw)
        return res

    def _set_path_attributes(
        self, paths, scores, n_iter, classes, binary, C_, l1_, l1_list, l1_ratios_param, legacy, q
    ):
        """scikit-learn 1.9's attribute layouts, from (n_folds, n_l1, n_cs, ...) arrays."""
        nF, nL, nC, K, _ = paths.shape
        keys = classes[1:] if binary else classes
        if binary:
            cp = np.swapaxes(paths[:, :, :, 0, :], 1, 2)[None, ...]  # (1, nF, nC, nL, q)
        else:
            cp = np.moveaxis(paths, (0, 1, 3), (1, 3, 0))  # (K, nF, nC, nL, q)
        sc = np.swapaxes(scores, 1, 2)[None, ...]
        sc = np.tile(sc, (len(keys), 1, 1, 1))
        it = np.swapaxes(n_iter, 1, 2)[None, ...]
        self.scores_ = dict(zip(keys, sc))
        self.coefs_paths_ = dict(zip(keys, cp))
        self.n_iter_ = it
        n_tile = 1 if binary else len(keys)
        self.C_ = np.asarray(np.tile(C_, n_tile))
        self.l1_ratio_ = np.asarray(np.tile(l1_, n_tile))
        self.l1_ratios_ = np.asarray(l1_list)
        if l1_ratios_param is None:
            for cls in self.coefs_paths_:
                self.coefs_paths_[cls] = self.coefs_paths_[cls][:, :, 0, :]
            for cls in self.scores_:
                self.scores_[cls] = self.scores_[cls][:, :, 0]
            self.n_iter_ = self.n_iter_[:, :, :, 0]
        if not legacy:
            n_eff = len(keys)
            self.C_ = float(self.C_[0])
            newpaths = np.concatenate(list(self.coefs_paths_.values()))
            newscores = self.scores_[keys[0]]
            newniter = self.n_iter_[0]
            if l1_ratios_param is None:
                newpaths = newpaths.reshape(n_eff, nF, nC, 1, q)
                newscores = newscores.reshape(nF, nC, 1)
                newniter = newniter.reshape(nF, nC, 1)
                self.l1_ratio_ = 1.0 if self.penalty == "l1" else 0.0
            else:
                self.l1_ratio_ = float(self.l1_ratio_[0])
                newpaths = newpaths.reshape(n_eff, nF, nC, nL, q)
            self.coefs_paths_ = np.moveaxis(newpaths, (0, 1, 3), (3, 0, 1))
            self.scores_ = np.moveaxis(newscores, (1, 2), (2, 1))
            self.n_iter_ = np.moveaxis(newniter, (1, 2), (2, 1))

    def score(self, X, y, sample_weight=None):
        """Score with ``scoring`` (accuracy by default), as scikit-learn.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        scoring = None if self.scoring == "warn" else self.scoring
        if scoring in (None, "accuracy"):
            return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))
        kw = {} if sample_weight is None else {"sample_weight": sample_weight}
        return get_scorer(scoring)(self, X, y, **kw)
