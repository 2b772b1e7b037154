"""LogisticRegression: every scikit-learn solver, on fused passes over row-chunked data."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.inputs import validate_fit_data
from dml._engine.mapreduce import combine_value_counts, map_chunks, map_reduce
from dml._engine.namespace import to_numpy
from dml._engine.runtime import progress_bar
from dml._solvers._newton import newton_cholesky
from dml._solvers._newton_cg import newton_cg
from dml._solvers._penalties import min_norm_subgradient
from dml._solvers._proximal import proximal_newton
from dml.linear_model._base import LinearClassifierMixin, apply_linear, check_sample_weights
from dml.linear_model._glm_kernels import logistic_hessp_kernel
from dml.linear_model._logistic_kernels import (
    encode_binary,
    encode_multiclass,
    label_counts_kernel,
    predict_kernel,
    proba_kernel,
)
from dml.linear_model._logistic_objective import fit_logistic, make_objective
from dml.metrics import accuracy_score


def check_solver(solver, penalty, dual, name):
    """scikit-learn's ``_check_solver`` rules (same order and messages), and liblinear's
    refusal of a dual L1 problem. ``penalty`` is the resolved one ('l1', 'l2',
    'elasticnet' or None)."""
    if solver not in ["liblinear", "saga"] and penalty not in ("l2", None):
        raise ValueError(f"Solver {solver} supports only 'l2' or None penalties, got {penalty} penalty.")
    if solver != "liblinear" and dual:
        raise ValueError(f"Solver {solver} supports only dual=False, got dual={dual}")
    if penalty == "elasticnet" and solver != "saga":
        raise ValueError(f"Only 'saga' solver supports elasticnet penalty, got solver={solver}.")
    if solver == "liblinear" and penalty is None:
        raise ValueError("C=np.inf as well as penalty=None is not supported for the liblinear solver")
    if solver == "liblinear" and penalty == "l1" and dual:
        raise ValueError(
            "Unsupported set of arguments: The combination of penalty='l1' and "
            "loss='logistic_regression' are not supported when dual=True, Parameters: "
            "penalty='l1', loss='logistic_regression', dual=True"
        )


def check_binary_liblinear(solver, n_classes):
    """scikit-learn 1.9's refusal of multiclass targets with 'liblinear'."""
    if solver == "liblinear" and n_classes > 2:
        raise ValueError(
            "The 'liblinear' solver does not support multiclass classification"
            " (n_classes >= 3). Either use another solver or wrap the "
            "estimator in a OneVsRestClassifier to keep applying a "
            "one-versus-rest scheme."
        )


def _penalty_vectors(p, K, fit_intercept, solver, intercept_scaling, l1):
    """Per-coefficient L2 multipliers and L1 strengths, flat class-major ``(K, q)``.

    Intercepts are unpenalised, except with 'liblinear': its intercept is the weight of
    a constant column equal to ``intercept_scaling``, penalised as the others, so in
    terms of the intercept ``b = intercept_scaling * w_last`` the L2 multiplier is
    ``1 / intercept_scaling**2`` and the L1 strength ``l1 / intercept_scaling``.
    """
    q = p + int(fit_intercept)
    pen = np.ones((K, q))
    l1_vec = np.full((K, q), float(l1))
    if fit_intercept:
        s = float(intercept_scaling)
        pen[:, p] = 1.0 / s**2 if solver == "liblinear" else 0.0
        l1_vec[:, p] = l1 / s if solver == "liblinear" else 0.0
    return pen.ravel(), l1_vec.ravel()


def _warm_tol(objective, w0, tol, l1_vec):
    """The stopping tolerance of a warm-started fit (one pass at the start point).

    The stopping rules test the gradient of the objective divided by ``C * sum(s)``;
    after a change of ``C`` the previous solution's gradient is only
    ``(1/C_old - 1/C_new) * w / sum(s)``, which is below ``tol`` at large ``C`` although
    the objective is far from its new minimum: the solver stopped at once and a warm
    regularisation path went flat. So a warm start that already meets ``tol``
    continues until its largest (minimum-norm sub)gradient component has dropped
    tenfold (and at least to ``tol / 1000``: a start that is that close is the
    solution, and returns after no iteration).
    """
    _, grad, _, _ = objective(w0, hessian=False)
    g0 = float(np.max(np.abs(min_norm_subgradient(w0, grad, l1_vec)), initial=0.0))
    if g0 > tol:
        return tol
    return max(0.1 * g0, 1e-3 * tol)


def solve_logistic(
    data,
    w0,
    *,
    solver,
    cw,
    C,
    l1_ratio,
    sw_sum,
    n_classes,
    fit_intercept,
    intercept_scaling,
    tol,
    max_iter,
    verbose,
    warm=False,
    name="LogisticRegression",
):
    """Run ``solver`` on scikit-learn's objective for it (input already validated).

    'lbfgs', 'newton-cholesky' and 'saga' run :func:`fit_logistic`; 'sag' runs saga's
    code path (with no L1 part, the Newton-Cholesky solver); 'newton-cg' the truncated
    Newton solver with one pass per Hessian-vector product; 'liblinear' the
    Newton-Cholesky (L2) or proximal Newton (L1) solver with the intercept penalised as
    liblinear's. With ``warm`` the tolerance is :func:`_warm_tol`'s. Returns a
    :class:`~dml._solvers._result.SolverResult` with ``coef`` flat, class-major
    ``(K, n_features + fit_intercept)``.
    """
    p = data.n_features
    K = 1 if n_classes == 2 else n_classes
    strength = 0.0 if C == np.inf else 1.0 / (C * sw_sum)
    l2, l1 = strength * (1.0 - l1_ratio), strength * l1_ratio
    pen, l1_vec = _penalty_vectors(p, K, fit_intercept, solver, intercept_scaling, l1)
    kw = dict(cw=cw, l2=l2, sw_sum=sw_sum, n_classes=n_classes, fit_intercept=fit_intercept)
    if warm:
        objective = make_objective(data, **kw)
        objective.pen = pen
        tol = _warm_tol(objective, w0, tol, l1_vec)
    if solver in ("newton-cg", "liblinear"):
        with progress_bar(max_iter, f"{name} ({solver})") as bar:
            objective = make_objective(data, **kw, bar=bar if solver == "liblinear" else None)
            objective.pen = pen
            if solver == "newton-cg":
                return _newton_cg(data, objective, w0, kw, tol, max_iter, verbose, bar, name)
            if l1 == 0.0:
                eps = 16 * np.finfo(data.dtype).eps
                return newton_cholesky(objective, w0, tol=tol, max_iter=max_iter, verbose=verbose, eps=eps)
            return proximal_newton(objective, w0, l1_vec, tol=tol, max_iter=max_iter, verbose=verbose)
    return fit_logistic(
        data,
        w0,
        cw=cw,
        C=C,
        l1_ratio=l1_ratio,
        sw_sum=sw_sum,
        n_classes=n_classes,
        fit_intercept=fit_intercept,
        solver="saga" if solver == "sag" else solver,
        tol=tol,
        max_iter=max_iter,
        verbose=verbose,
        name=name,
    )


def _newton_cg(data, objective, w0, kw, tol, max_iter, verbose, bar, name):
    """Truncated Newton: ``objective`` gives loss and gradient (one pass), and every
    Hessian-vector product is one pass of :func:`logistic_hessp_kernel`."""
    n_classes, fi, cw = kw["n_classes"], kw["fit_intercept"], kw["cw"]
    K = 1 if n_classes == 2 else n_classes
    pen, l2, scale = objective.pen, kw["l2"], kw["sw_sum"]

    def evaluate(w):
        loss, grad, _, _ = objective(w, hessian=False)
        return loss, grad

    def hessp(w, v):
        shape = (-1,) if K == 1 else (K, -1)
        out = map_reduce(
            logistic_hessp_kernel,
            data,
            broadcast=(w.reshape(shape), v.reshape(shape), cw),
            fit_intercept=fi,
            n_classes=n_classes,
        )
        return np.asarray(to_numpy(out["hessp"]), dtype=np.float64).ravel() / scale + l2 * pen * v

    def callback(loss):
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.6g}")

    return newton_cg(
        evaluate,
        hessp,
        w0,
        tol=tol,
        max_iter=max_iter,
        verbose=verbose,
        name=f"{name} newton-cg",
        callback=callback,
    )


def class_labels(data, estimator_name):
    """One pass over ``y``: sorted distinct labels and their (weighted) counts.

    Raises scikit-learn's errors for continuous or NaN targets.
    """
    stats = map_reduce(label_counts_kernel, data, combine=combine_value_counts)
    labels, counts = stats["labels"], stats["label_counts"]
    if labels.dtype.kind == "f" and not np.all(np.mod(labels, 1) == 0):
        raise ValueError(
            "Unknown label type: continuous. Maybe you are trying to fit a classifier, "
            "which expects discrete classes on a regression target with continuous values."
        )
    return labels, counts


class LogisticRegression(CpuMixin, LinearClassifierMixin, ClassifierMixin, BaseEstimator):
    """Logistic regression (binary and multinomial) on row-chunked data.

    A drop-in for :class:`sklearn.linear_model.LogisticRegression` that minimises the
    same objective, ``C * sum_i s_i * loss_i + (1 - r) / 2 ||W||^2 + r ||W||_1``
    (``s_i`` the sample times class weight, ``r`` the effective ``l1_ratio``,
    intercepts unpenalised except with 'liblinear'), with scikit-learn's stopping rules;
    the coefficients agree with scikit-learn's to solver tolerance, for every solver
    name scikit-learn accepts. Multinomial for more than two classes.

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet', None} or 'deprecated', default='deprecated'
        Deprecated in scikit-learn 1.8 in favour of ``l1_ratio`` and ``C``; accepted
        with the same FutureWarning and resolved as scikit-learn does.
    C : float, default=1.0
        Inverse of regularization strength; ``np.inf`` for no penalty.
    l1_ratio : float, default=0.0
        Elastic-net mixing: 0 is L2, 1 is L1, in between elastic-net. Values above 0
        need ``solver='saga'`` (scikit-learn's rule and messages).
    dual : bool, default=False
        ``True`` only with ``solver='liblinear'`` and the L2 penalty (scikit-learn's
        rule). The dual problem has the same optimum as the primal: dml solves the
        primal and returns the same model.
    tol : float, default=1e-4
        'lbfgs', 'newton-cg': largest gradient component of the scaled objective
        (``gtol``); 'newton-cholesky', 'sag', 'liblinear' with L2: the same, and half
        the Newton decrement (scikit-learn's Newton-Cholesky rule); 'saga',
        'liblinear' with L1: largest component of the minimum-norm subgradient of the
        scaled objective (an optimality test, where scikit-learn's saga tests the
        relative change of the coefficients and liblinear a gradient norm relative to
        its initial one).
    fit_intercept : bool, default=True
    intercept_scaling : float, default=1
        'liblinear' only (other solvers ignore it, as scikit-learn's): the intercept is
        the weight of a constant feature equal to ``intercept_scaling``, penalised as
        the other weights; ``intercept_ = intercept_scaling * w_last``. Larger values
        penalise the intercept less.
    class_weight : dict or 'balanced', default=None
        Weights associated with classes; 'balanced' uses
        ``sum(s) / (n_classes * weighted_class_count)``.
    random_state : int, RandomState instance or None, default=None
        Unused: dml's solvers are deterministic.
    solver : {'lbfgs', 'liblinear', 'newton-cg', 'newton-cholesky', 'sag', 'saga'}, \
            default='lbfgs'
        Each solves scikit-learn's objective for that solver, with the penalties
        scikit-learn allows for it:

        - 'lbfgs' (L2, None): L-BFGS-B with scikit-learn's settings, one pass per
          function evaluation.
        - 'newton-cg' (L2, None): truncated Newton. Each iteration solves the Newton
          system by conjugate gradient with Hessian-vector products (one pass each,
          the Hessian is never formed), then a backtracking line search (one
          loss-and-gradient pass per trial).
        - 'newton-cholesky' (L2, None): scikit-learn's Newton-Cholesky solver; each
          iteration is one pass that computes loss, gradient and Hessian together.
        - 'sag' (L2, None): the same objective as 'lbfgs'. dml runs saga's code path
          with no L1 part, which is the Newton-Cholesky solver: not a stochastic
          method (a pass over distributed data costs the same whether it updates
          the model once or per row), so ``random_state`` plays no part.
        - 'saga' (L1, L2, elastic-net, None): dml's proximal Newton solver. It
          minimises exactly the objective scikit-learn's saga minimises, but is not a
          stochastic method: each iteration is one pass computing loss, gradient and
          Hessian, then an L1-penalised quadratic model is solved on the host. With
          no L1 part it runs the Newton-Cholesky solver.
        - 'liblinear' (L1, L2; binary only, as scikit-learn 1.9): liblinear's
          objective, whose intercept is penalised (see ``intercept_scaling``); L2 by
          the Newton-Cholesky solver, L1 by the proximal Newton solver (liblinear's
          own L1 solver, newGLMNET, is a proximal Newton method too). More than two
          classes raise scikit-learn's ``ValueError``.
    max_iter : int, default=100
        Maximum number of solver iterations.
    verbose : int, default=0
        Positive values print the objective after every iteration.
    warm_start : bool, default=False
        Start from the previous ``coef_`` / ``intercept_`` (every solver) and run to
        convergence of the new objective: a start point that already meets ``tol``
        (as the previous solution does after a small change of ``C``, because the
        tolerance applies to the objective scaled by ``1 / (C sum(s))``) continues
        until its largest (sub)gradient component has dropped tenfold, so a
        warm-started path of ``C`` gives the cold fits' models. ``n_iter_`` counts the
        new iterations; the test at the start point is one more pass.
    n_jobs : int, default=None
        Deprecated in scikit-learn 1.8 (no effect there); accepted with the same
        FutureWarning. Parallelism in dml comes from the Dask scheduler.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
        Solver iterations run.
    objective_history_ : list of float
        The scaled objective (``1 / (C sum(s))`` times the one above) after every
        iteration.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: one pass over ``y`` to find the classes (and class counts) and one
    map over the ``y`` chunks to encode them; then

    - 'lbfgs': one round trip per L-BFGS function evaluation (about one per
      iteration); each chunk returns its summed loss and gradient;
    - 'newton-cg': per iteration one round trip per conjugate-gradient step (a
      Hessian-vector product; each chunk returns ``X^T (d * X v)``, ``O(K p)``
      numbers) and one per line-search trial (loss and gradient; the accepted
      trial's gradient serves the next iteration);
    - 'newton-cholesky', 'sag', 'saga' and 'liblinear': one round trip at the start
      and one per
      iteration (plus one per line-search halving, rare); each chunk returns loss,
      gradient and the Hessian ``X^T D X`` (binary: (p+1)^2 numbers; multinomial:
      ``(K (p+1))^2``) from one read of the chunk. The Newton step (a symmetric
      solve) or the proximal step (coordinate descent with exact active-set solves on
      the small Hessian) is computed in the caller.

    Every kernel walks its chunk in cache-sized row blocks, so X is read from memory
    once per pass; partials are summed in a tree on the workers. The data are
    persisted once at the start of ``fit``. Memory per task: one chunk plus
    O(block_rows * n_classes + (n_classes * n_features)^2). ``predict`` and friends
    are blockwise (lazy on Dask).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import LogisticRegression
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]]); y = np.array([0, 0, 1, 1])
    >>> LogisticRegression().fit(X, y).predict(np.array([[-3.0], [3.0]]))
    array([0, 1])
    >>> LogisticRegression(solver="newton-cholesky").fit(X, y).n_iter_
    array([3], dtype=int32)
    >>> from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    >>> for solver in ("newton-cg", "sag", "liblinear"):
    ...     ours = LogisticRegression(solver=solver, tol=1e-10).fit(X, y)
    ...     ref = SkLogisticRegression(solver=solver, tol=1e-12, max_iter=10_000).fit(X, y)
    ...     print(solver, np.allclose(ours.coef_, ref.coef_, rtol=1e-5))
    newton-cg True
    sag True
    liblinear True
    """

    #: with ``progress=True`` the solvers show a bar of iterations (and the loss)
    _own_progress_bar = True

    _parameter_constraints = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet", "deprecated"}), None],
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "dual": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "solver": [StrOptions({"lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"})],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "n_jobs": [None, Integral],
    }

    def __init__(
        self,
        penalty="deprecated",
        *,
        C=1.0,
        l1_ratio=0.0,
        dual=False,
        tol=1e-4,
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        random_state=None,
        solver="lbfgs",
        max_iter=100,
        verbose=0,
        warm_start=False,
        n_jobs=None,
    ):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ parameters

    def _resolve_penalty(self):
        """scikit-learn 1.8+'s penalty resolution and solver checks.

        Returns ``(C, l1_ratio)``: the effective inverse regularisation (``inf`` for
        no penalty) and the effective L1 share of the penalty.
        """
        if self.penalty == "deprecated":
            l1 = self.l1_ratio
            if l1 is None:
                warnings.warn(
                    "'l1_ratio=None' was deprecated in version 1.8 and will trigger an "
                    "error in 1.10. Use 0<=l1_ratio<=1 instead.",
                    FutureWarning,
                )
                l1 = 0.0
            penalty = "l2" if l1 == 0 else ("l1" if l1 == 1 else "elasticnet")
            if self.C == np.inf:
                penalty = None
        else:
            warnings.warn(
                "'penalty' was deprecated in version 1.8 and will be removed in 1.10. "
                "To avoid this warning, leave 'penalty' set to its default value and use "
                "'l1_ratio' or 'C' instead. Use l1_ratio=0 instead of penalty='l2', "
                "l1_ratio=1 instead of penalty='l1', l1_ratio set to a float between 0 "
                "and 1 instead of penalty='elasticnet', and C=np.inf instead of "
                "penalty=None.",
                FutureWarning,
            )
            penalty = self.penalty
        check_solver(self.solver, penalty, self.dual, type(self).__name__)
        if penalty != "elasticnet" and (self.l1_ratio is not None and 0 < self.l1_ratio < 1):
            warnings.warn(
                f"l1_ratio parameter is only used when penalty is 'elasticnet'. Got (penalty={penalty})"
            )
        if (self.penalty == "l2" and self.l1_ratio != 0) or (self.penalty == "l1" and self.l1_ratio != 1):
            warnings.warn(
                f"Inconsistent values: penalty={self.penalty} with l1_ratio={self.l1_ratio}. "
                "penalty is deprecated. Please use l1_ratio only."
            )
        if penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
        if self.n_jobs is not None:
            warnings.warn(
                "'n_jobs' has no effect since 1.8 and will be removed in 1.10. "
                f"You provided 'n_jobs={self.n_jobs}', please leave it unspecified.",
                FutureWarning,
            )
        if self.penalty is None:
            if self.C != 1.0:
                warnings.warn("Setting penalty=None will ignore the C and l1_ratio parameters")
            return np.inf, 0.0
        if penalty is None:
            return np.inf, 0.0
        l1r = {"l2": 0.0, "l1": 1.0}.get(penalty, self.l1_ratio)
        return float(self.C), float(l1r)

    # ------------------------------------------------------------------------ fit

    def fit(self, X, y, sample_weight=None):
        """Fit the model: one round trip over the data per solver evaluation.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        check_params(self)
        C, l1r = self._resolve_penalty()
        with validate_fit_data(self, X, y, sample_weight, accept_sparse="csr") as data:
            classes, counts = class_labels(data, type(self).__name__)
            self.classes_ = classes
            n_classes = len(classes)
            if n_classes < 2:
                raise ValueError(
                    "This solver needs samples of at least 2 classes in the data, but the "
                    f"data contains only one class: {classes[0]!r}"
                )
            check_binary_liblinear(self.solver, n_classes)
            check_sample_weights(data, nonzero=counts)
            cw = self._class_weights(classes, counts)
            binary = n_classes == 2
            if binary:
                data = map_chunks(encode_binary, data, positive=classes[1])
            else:
                data = map_chunks(encode_multiclass, data, classes=classes)
            sw_sum = float(np.sum(counts * (1.0 if cw is None else cw)))
            w0, warm = self._initial_coef(n_classes, data.n_features)
            res = solve_logistic(
                data,
                w0,
                solver=self.solver,
                cw=cw,
                C=C,
                l1_ratio=l1r,
                sw_sum=sw_sum,
                n_classes=n_classes,
                fit_intercept=self.fit_intercept,
                intercept_scaling=self.intercept_scaling,
                tol=self.tol,
                max_iter=self.max_iter,
                verbose=self.verbose,
                warm=warm,
                name=type(self).__name__,
            )
        p = data.n_features
        dtype = data.dtype
        coef2 = res.coef.reshape(1 if binary else n_classes, -1)
        self.coef_ = np.ascontiguousarray(coef2[:, :p]).astype(dtype, copy=False)
        if self.fit_intercept:
            self.intercept_ = coef2[:, p].astype(dtype)
        else:
            self.intercept_ = np.zeros(coef2.shape[0], dtype=dtype)
        self.n_iter_ = np.asarray([res.n_iter], dtype=np.int32)
        self.objective_history_ = res.objective_history
        return self

    def _class_weights(self, classes, counts):
        if self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            present = counts > 0
            return np.where(present, counts.sum() / (len(classes) * np.where(present, counts, 1.0)), 0.0)
        # dict: scikit-learn's own resolution and error messages (y only used for 'balanced')
        return np.asarray(
            compute_class_weight(self.class_weight, classes=classes, y=classes), dtype=np.float64
        )

    def _initial_coef(self, n_classes, p):
        """``(w0, warm)``: the start point (flat, class-major) and whether it is the
        previous fit's solution (``warm_start``)."""
        k = 1 if n_classes == 2 else n_classes
        w0 = np.zeros((k, p + int(self.fit_intercept)))
        warm = bool(self.warm_start and hasattr(self, "coef_"))
        if warm:
            prev = np.asarray(self.coef_, dtype=np.float64)
            if prev.shape == (k, p):
                w0[:, :p] = prev
                if self.fit_intercept:
                    w0[:, p] = np.asarray(self.intercept_, dtype=np.float64)
            else:
                raise ValueError(f"Initialization coef is of shape {prev.shape}, expected shape {(k, p)}")
        return w0.ravel(), warm

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        if self.solver == "liblinear":
            tags.classifier_tags.multi_class = False  # binary only, as scikit-learn 1.9
        return tags

    # -------------------------------------------------------------------- predict

    def _blockwise(self, kernel, X, n_outputs, dtype, **extra):
        return apply_linear(self, kernel, X, n_outputs, dtype, **extra)

    def predict_proba(self, X):
        """Probability estimates, columns ordered as ``classes_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray or Dask array of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self._blockwise(proba_kernel, X, len(self.classes_), self.coef_.dtype)

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates, columns ordered as ``classes_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray or Dask array of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self._blockwise(proba_kernel, X, len(self.classes_), self.coef_.dtype, log=True)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray or Dask array of shape (n_samples,)
        """
        check_is_fitted(self)
        return self._blockwise(predict_kernel, X, None, self.classes_.dtype, classes=self.classes_)

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
