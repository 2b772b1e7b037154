"""Multi-layer perceptrons trained data-parallel over row chunks.

'lbfgs' minimises scikit-learn's objective with its L-BFGS-B settings; every function
evaluation is one map-reduce pass summing the chunks' losses and gradients (the exact
full-batch gradient). 'sgd' and 'adam' run synchronous data-parallel steps: a global
minibatch of ``batch_size`` rows, chosen by global row index, is split among the chunks
that hold its rows; each chunk returns the summed gradient of its share, the driver
divides by the batch's weight and applies scikit-learn's update, and every chunk sees
the same parameters on the next step (the semantics of an all-reduce).
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import optimize
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d

from dml._base import RegressorScoreMixin, check_params
from dml._compat.sklearn import Interval, StrOptions, check_optimize_result, check_partial_fit_first_call
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import raise_if_not_finite, validate_fit_data, validate_predict_data
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import to_numpy
from dml.metrics import accuracy_score
from dml.neural_network._multilayer_perceptron_kernels import (
    mlp_local_steps_kernel,
    mlp_loss_grad_kernel,
    mlp_predict_kernel,
    mlp_validation_kernel,
    row_uniform,
)

_STOCHASTIC_SOLVERS = ("sgd", "adam")
_SPARSE = ["csr", "csc"]


# ------------------------------------------------------------------------ optimizers


class _SGD:
    """scikit-learn's ``SGDOptimizer`` on the packed parameter vector."""

    def __init__(self, theta, learning_rate_init, lr_schedule, momentum, nesterov, power_t):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros_like(theta)

    def update(self, theta, grad):
        self.velocity = self.momentum * self.velocity - self.learning_rate * grad
        if self.nesterov:
            theta += self.momentum * self.velocity - self.learning_rate * grad
        else:
            theta += self.velocity

    def iteration_ends(self, time_step):
        if self.lr_schedule == "invscaling":
            self.learning_rate = float(self.learning_rate_init) / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class _Adam:
    """scikit-learn's ``AdamOptimizer`` on the packed parameter vector."""

    def __init__(self, theta, learning_rate_init, beta_1, beta_2, epsilon):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.m = np.zeros_like(theta)
        self.v = np.zeros_like(theta)

    def update(self, theta, grad):
        self.t += 1
        self.m = self.beta_1 * self.m + (1 - self.beta_1) * grad
        self.v = self.beta_2 * self.v + (1 - self.beta_2) * (grad * grad)
        self.learning_rate = (
            self.learning_rate_init * np.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        )
        theta += -self.learning_rate * self.m / (np.sqrt(self.v) + self.epsilon)

    def iteration_ends(self, time_step):
        pass

    def trigger_stopping(self, msg, verbose):
        if verbose:
            print(msg + " Stopping.")
        return True


# ------------------------------------------------------------------------ estimators


class _BaseMLP(BaseEstimator):
    """Fit / predict plumbing shared by :class:`MLPClassifier` and :class:`MLPRegressor`."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        # scikit-learn also accepts np.inf (through a private constraint class); dml asks
        # for an integer: pass max_iter or more to never stop on no improvement
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "average_every": [Interval(Integral, 1, None, closed="left")],
    }

    _is_classifier = False

    # ------------------------------------------------------------------ structure

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if np.any(np.array(sizes) <= 0):
            raise ValueError("hidden_layer_sizes must be > 0, got %s." % sizes)
        return sizes

    def _spec(self):
        return {
            "layer_units": tuple(int(u) for u in self._layer_units),
            "activation": self.activation,
            "out_activation": self.out_activation_,
        }

    def _pack(self):
        return np.hstack([c.ravel() for c in self.coefs_] + [b.ravel() for b in self.intercepts_])

    def _unpack(self, theta, dtype):
        start, coefs, intercepts = 0, [], []
        units = self._layer_units
        for fan_in, fan_out in zip(units[:-1], units[1:]):
            coefs.append(
                np.asarray(theta[start : start + fan_in * fan_out], dtype=dtype).reshape(fan_in, fan_out)
            )
            start += fan_in * fan_out
        for fan_out in units[1:]:
            intercepts.append(np.asarray(theta[start : start + fan_out], dtype=dtype).copy())
            start += fan_out
        self.coefs_, self.intercepts_ = coefs, intercepts

    def _n_coef(self):
        units = self._layer_units
        return int(sum(a * b for a, b in zip(units[:-1], units[1:])))

    def _init_coef(self, fan_in, fan_out, dtype):
        factor = 2.0 if self.activation == "logistic" else 6.0
        bound = np.sqrt(factor / (fan_in + fan_out))
        coef = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
        intercept = self._random_state.uniform(-bound, bound, fan_out)
        return coef.astype(dtype, copy=False), intercept.astype(dtype, copy=False)

    def _initialize(self, layer_units, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self._epochs = 0  # epochs run since the weights were drawn (seeds the shuffles)
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._out_activation()
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            c, b = self._init_coef(fan_in, fan_out, dtype)
            self.coefs_.append(c)
            self.intercepts_.append(b)
        self._best_coefs = [c.copy() for c in self.coefs_]
        self._best_intercepts = [b.copy() for b in self.intercepts_]
        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _loss_name(self):
        loss = getattr(self, "loss", "log_loss")
        if loss == "log_loss" and self.out_activation_ == "logistic":
            return "binary_log_loss"
        return loss

    # ------------------------------------------------------------------------- fit

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self._hidden_sizes()
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        with validate_fit_data(
            self,
            X,
            y,
            sample_weight,
            y_numeric=not self._is_classifier,
            multi_output=True,
            reset=first_pass,
            accept_sparse=_SPARSE,
        ) as data:
            data = self._prepare_targets(data, incremental, y)
            if data.sample_weight is not None and not np.any(data.gather("sample_weight")):
                raise ValueError("Sample weights must contain at least one non-zero number.")
            n_outputs = data.n_outputs
            layer_units = [data.n_features] + hidden + [n_outputs]
            self.n_outputs_ = n_outputs
            self._random_state = check_random_state(self.random_state)
            if first_pass:
                self._initialize(layer_units, data.dtype)
            self._layer_units = layer_units
            if self.solver in _STOCHASTIC_SOLVERS:
                self._fit_stochastic(data, incremental)
            else:
                self._fit_lbfgs(data)
        if not all(np.isfinite(a).all() for a in self.coefs_ + self.intercepts_):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

    def _prepare_targets(self, data, incremental, y):
        data.n_outputs = 1 if data.y_ndim == 1 else int(np.shape(y)[1])
        return data

    def _penalty(self, theta):
        W = theta[: self._n_coef()]
        return float(W @ W)

    def _pass(self, data, theta, rows=None):
        """One map-reduce pass: summed loss and gradient over ``rows`` (all when None)."""
        out = map_reduce(
            mlp_loss_grad_kernel,
            data,
            broadcast=(theta, rows),
            pass_row_offset=rows is not None,
            loss=self._loss_name(),
            **self._spec(),
        )
        return (
            float(to_numpy(out["loss"])),
            np.asarray(to_numpy(out["grad"])),
            float(to_numpy(out["sw"])),
            int(out["n"]),
        )

    def _objective(self, data, theta, rows=None, *, check=False):
        """scikit-learn's loss and gradient (mean loss plus ``alpha ||W||^2 / (2 sw)``)."""
        loss_sum, grad, sw, n = self._pass(data, theta, rows)
        if check:
            raise_if_not_finite(data, np.asarray([loss_sum]), grad, what="the loss")
        n_coef = self._n_coef()
        loss = loss_sum / sw + 0.5 * self.alpha * self._penalty(theta) / sw
        grad = grad / sw
        grad[:n_coef] += self.alpha * theta[:n_coef] / sw
        return loss, grad, n

    def _fit_lbfgs(self, data):
        calls = []

        def func(theta):
            # scikit-learn computes with the optimizer's float64 weights whatever X's dtype
            loss, grad, _ = self._objective(data, theta, check=not calls)
            calls.append(loss)
            return loss, grad

        opt = optimize.minimize(
            func,
            self._pack(),
            method="L-BFGS-B",
            jac=True,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
        )
        self.n_iter_ = check_optimize_result("lbfgs", opt, self.max_iter)
        self.loss_ = float(opt.fun)
        self._unpack(opt.x, opt.x.dtype)

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _fit_stochastic(self, data, incremental):
        theta = self._pack()
        if not incremental or not hasattr(self, "_optimizer"):
            if self.solver == "sgd":
                self._optimizer = _SGD(
                    theta,
                    self.learning_rate_init,
                    self.learning_rate,
                    self.momentum,
                    self.nesterovs_momentum,
                    self.power_t,
                )
            else:
                self._optimizer = _Adam(
                    theta, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon
                )
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        n = data.n_samples
        if early_stopping:
            split_seed = int(self._random_state.randint(np.iinfo(np.int32).max))
            is_val = row_uniform(np.arange(n, dtype=np.int64), split_seed, xp=np) < self.validation_fraction
            if int(is_val.sum()) < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' or the size of your dataset."
                )
            train_rows = np.flatnonzero(~is_val)
        else:
            train_rows = np.arange(n, dtype=np.int64)
        n_samples = train_rows.shape[0]
        batch_size = self._batch_size(n_samples)
        if self.shuffle:
            drawn = int(self._random_state.randint(np.iinfo(np.int32).max))
            if self._epochs == 0 or not hasattr(self, "_shuffle_seed"):
                # fixed from the first epoch after the weights are drawn, so that
                # partial_fit / warm-start epochs continue the fit's sequence of shuffles
                self._shuffle_seed = drawn
        optimizer = self._optimizer
        self.n_iter_ = 0
        for it in range(self.max_iter):
            if self.shuffle:
                epoch_rng = np.random.default_rng([self._shuffle_seed, self._epochs])
                order = train_rows[epoch_rng.permutation(n_samples)]
            else:
                order = train_rows
            accumulated = 0.0
            starts = list(range(0, n_samples, batch_size))
            if self.average_every == 1:
                for start in starts:
                    rows = np.sort(order[start : start + batch_size])
                    loss, grad, _ = self._objective(data, theta, rows)
                    accumulated += loss * rows.shape[0]
                    optimizer.update(theta, grad.astype(theta.dtype, copy=False))
            else:
                for r in range(0, len(starts), self.average_every):
                    group = [np.sort(order[s : s + batch_size]) for s in starts[r : r + self.average_every]]
                    accumulated += self._local_round(data, theta, group)
            self.n_iter_ += 1
            self._epochs += 1
            self.loss_ = accumulated / n_samples
            if it == 0 and not np.isfinite(self.loss_):
                raise_if_not_finite(data, np.asarray([self.loss_]), what="the loss")
            self.t_ += n_samples
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
            self._update_no_improvement_count(
                early_stopping, data, theta, split_seed if early_stopping else None
            )
            optimizer.iteration_ends(self.t_)
            if self._no_improvement_count > self.n_iter_no_change:
                what = "Validation score" if early_stopping else "Training loss"
                msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                    what,
                    self.tol,
                    self.n_iter_no_change,
                )
                if optimizer.trigger_stopping(msg, self.verbose):
                    break
                self._no_improvement_count = 0
            if incremental:
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(
                    "Stochastic Optimizer: Maximum iterations (%d) reached and the optimization "
                    "hasn't converged yet." % self.max_iter,
                    ConvergenceWarning,
                )
        self._unpack(theta, data.dtype)
        if early_stopping:
            self.coefs_ = self._best_coefs
            self.intercepts_ = self._best_intercepts

    def _local_round(self, data, theta, group):
        """One round of ``average_every`` local steps per replica, then the average."""
        optimizer = self._optimizer
        if self.solver == "sgd":
            state = (optimizer.velocity, optimizer.velocity)
            opt = {
                "learning_rate": optimizer.learning_rate,
                "momentum": self.momentum,
                "nesterov": self.nesterovs_momentum,
            }
        else:
            state = (optimizer.m, optimizer.v)
            opt = {
                "t": optimizer.t,
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "learning_rate_init": self.learning_rate_init,
            }
        bounds = np.cumsum([0] + [g.shape[0] for g in group])
        out = map_reduce(
            mlp_local_steps_kernel,
            data,
            broadcast=(theta, *state, np.concatenate(group), bounds),
            pass_row_offset=True,
            loss=self._loss_name(),
            alpha=self.alpha,
            solver=self.solver,
            opt=opt,
            **self._spec(),
        )
        n = float(out["n"])
        theta[:] = to_numpy(out["theta"]) / n
        if self.solver == "sgd":
            optimizer.velocity = (to_numpy(out["state_1"]) / n).astype(theta.dtype)
        else:
            optimizer.m = (to_numpy(out["state_1"]) / n).astype(theta.dtype)
            optimizer.v = (to_numpy(out["state_2"]) / n).astype(theta.dtype)
            optimizer.t += len(group)
            optimizer.learning_rate = (
                self.learning_rate_init
                * np.sqrt(1 - self.beta_2**optimizer.t)
                / (1 - self.beta_1**optimizer.t)
            )
        return float(out["loss"])

    def _validation_score(self, data, theta, seed):
        out = map_reduce(
            mlp_validation_kernel,
            data,
            broadcast=(theta,),
            pass_row_offset=True,
            task=self._task(),
            seed=seed,
            fraction=self.validation_fraction,
            **self._spec(),
        )
        out = {k: to_numpy(v) for k, v in out.items()}
        sw = float(out["sw"])
        if "correct" in out:
            return float(out["correct"]) / sw
        ss_tot = out["syy"] - out["sy"] ** 2 / sw
        ss_res = out["sres"]
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
        return float(np.mean(r2))

    def _update_no_improvement_count(self, early_stopping, data, theta, seed):
        if early_stopping:
            score = self._validation_score(data, theta, seed)
            self.validation_scores_.append(score)
            if self.verbose:
                print("Validation score: %f" % score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._unpack(theta, theta.dtype)
                self._best_coefs = [c.copy() for c in self.coefs_]
                self._best_intercepts = [b.copy() for b in self.intercepts_]
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. %s is not stochastic." % self.solver
            )
        return True

    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : array-like, sparse matrix, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        check_params(self)
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    # --------------------------------------------------------------------- predict

    def _forward(self, X, output, n_outputs, dtype=None, **kwargs):
        check_is_fitted(self)
        X = validate_predict_data(self, X, accept_sparse=_SPARSE)
        spec = {
            "layer_units": tuple(
                int(u) for u in [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
            ),
            "activation": self.activation,
            "out_activation": self.out_activation_,
        }
        theta = self._pack()
        return apply_blockwise(
            mlp_predict_kernel,
            X,
            n_outputs=n_outputs,
            dtype=np.result_type(X.dtype, theta.dtype) if dtype is None else dtype,
            theta=theta,
            output=output,
            **spec,
            **kwargs,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_DOC_PARAMS = """
    hidden_layer_sizes : array-like of shape(n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation function of the hidden layers.
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        'lbfgs': scikit-learn's L-BFGS-B on the full-batch objective, one pass over the
        data per function evaluation. 'sgd' / 'adam': synchronous data-parallel
        minibatch steps, one round trip per step.
    alpha : float, default=0.0001
        Strength of the L2 penalty, ``alpha * ||W||^2 / (2 n_samples)`` as scikit-learn's.
    batch_size : int or 'auto', default='auto'
        Rows of the global minibatch (``min(200, n_samples)`` for 'auto').
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule of 'sgd' (scikit-learn's).
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs ('sgd', 'adam') or iterations ('lbfgs').
    shuffle : bool, default=True
        Shuffle the rows every epoch (a permutation of global row indices, see Notes).
    random_state : int, RandomState instance or None, default=None
        Initial weights (drawn as scikit-learn's), the shuffles and the validation split.
    tol : float, default=1e-4
    verbose : bool, default=False
    warm_start : bool, default=False
        Start from the previous fit's weights.
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (by a hash of the global row index)
        and stop when their score stops improving ('sgd', 'adam').
    validation_fraction : float, default=0.1
    beta_1 : float, default=0.9
    beta_2 : float, default=0.999
    epsilon : float, default=1e-8
    n_iter_no_change : int, default=10
        Epochs without improvement by ``tol`` before stopping (or, with 'adaptive',
        dividing the learning rate by 5). scikit-learn's ``np.inf`` is refused: pass an
        integer of at least ``max_iter`` instead.
    max_fun : int, default=15000
        Largest number of loss evaluations (passes) of 'lbfgs'.
    average_every : int, default=1
        dml only ('sgd', 'adam'). 1: synchronous steps, the chunks' gradients summed at
        every step (one round trip per step). k > 1: local steps, for when the round
        trips dominate: every chunk applies k updates on its own shares of k consecutive
        global minibatches, starting from the common weights and optimizer state, and
        the replicas' weights and states are then averaged (in proportion to the rows
        each used): one round trip per k steps. The model then depends on the chunking."""

_DOC_ATTRS = """
    loss_ : float
        The loss at the end of the fit (with the penalty).
    best_loss_ : float or None
        Smallest training loss ('sgd', 'adam' without early stopping).
    loss_curve_ : list of float
        Training loss after every epoch ('sgd', 'adam').
    validation_scores_ : list of float or None
        Score on the held-out rows after every epoch (early stopping).
    best_validation_score_ : float or None
    t_ : int
        Training rows seen by the stochastic solver.
    coefs_ : list of ndarray
        The ith element is the weight matrix of layer i.
    intercepts_ : list of ndarray
        The ith element is the bias vector of layer i + 1.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.
    n_iter_ : int
    n_layers_ : int
    n_outputs_ : int
    out_activation_ : str"""

_DOC_NOTES = """
    Computation: 'lbfgs' runs one map-reduce pass per function evaluation (about one per
    iteration), each chunk returning its summed loss and packed gradient (memory per
    task: the chunk's activations, ``n_rows x sum(hidden_layer_sizes)``); the model
    equals scikit-learn's from the same ``random_state``. 'sgd' / 'adam' run one round
    trip per step, ``ceil(n_samples / batch_size)`` per epoch, plus one pass per epoch
    for the validation score under early stopping. The global minibatch of a step is a
    set of global row indices (consecutive rows without shuffling, a seeded permutation
    of the row indices per epoch with it), so the model does not depend on the
    chunking; with ``shuffle=False`` and one chunk it equals scikit-learn's. The
    validation rows are those whose hashed global index falls below
    ``validation_fraction`` (not stratified, unlike scikit-learn's split). Dask input is
    persisted when the persist policy allows it; predictions are lazy blockwise maps.
    ``average_every=k`` makes 'sgd' / 'adam' one round trip per k steps (local steps on
    every chunk, then the replicas averaged); each chunk is a replica, so use it with
    about one chunk per worker. On dense NumPy float32 / float64 chunks a task's k
    local steps run in one compiled loop (numba: each layer's product by BLAS, the
    activations, loss, deltas and optimizer update in loops), microseconds of overhead
    per step instead of a NumPy call per operation; other chunks run them as NumPy /
    CuPy expressions, to the same weights up to rounding. A step reads only its rows of a chunk (integer-array
    indexing), so its cost is its batch's whatever the chunk size. The epochs are counted
    from the first draw of the weights and seed the shuffles: successive ``partial_fit``
    calls shuffle differently, and k of them equal one ``fit`` with ``max_iter=k``."""


class MLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = (
        """Multi-layer perceptron classifier trained data-parallel over row chunks.

    scikit-learn's ``MLPClassifier``: the same parameters, initial weights, objective and
    optimizers; the data stays in chunks and every gradient is a map-reduce.

    Parameters
    ----------"""
        + _DOC_PARAMS
        + """

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels."""
        + _DOC_ATTRS
        + """

    Notes
    -----"""
        + _DOC_NOTES
        + """

    Examples
    --------
    >>> import numpy as np
    >>> from dml.neural_network import MLPClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.95)
    True
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """
    )

    _is_classifier = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        average_every=1,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.average_every = average_every

    def _out_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _task(self):
        return "multiclass" if self._label_binarizer.y_type_ == "multiclass" else "binary"

    def _prepare_targets(self, data, incremental, y):
        y = data.gather("y")
        if data.y_ndim == 2 and y.ndim == 1:
            y = y.reshape(data.n_samples, -1)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        Y = self._label_binarizer.transform(y).astype(data.dtype)
        out = data.with_host("y", Y)
        out.y_ndim = 2
        out.n_outputs = int(Y.shape[1])
        return out

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one epoch of 'sgd' / 'adam' steps over the given data.

        Parameters
        ----------
        X : array-like, sparse matrix, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        classes : array of shape (n_classes,), default=None
            Every class that can appear in ``y``; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        if check_partial_fit_first_call(self, classes):
            check_params(self)
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(self.classes_)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict class labels (lazy for Dask input).

        Parameters
        ----------
        X : array-like, sparse matrix, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray or Dask array of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return self._forward(X, "multilabel", self.n_outputs_, dtype=np.int64)
        return self._forward(X, "label", None, dtype=self.classes_.dtype, classes=self.classes_)

    def predict_proba(self, X):
        """Probability estimates, columns ordered as ``classes_`` (lazy for Dask input).

        Parameters
        ----------
        X : array-like, sparse matrix, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y_prob : ndarray or Dask array of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        n_out = self.n_outputs_
        return self._forward(X, "proba", 2 if n_out == 1 else n_out)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (lazy for Dask input).

        Parameters
        ----------
        X : array-like, sparse matrix, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        log_y_prob : ndarray or Dask array of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given data (one lazy pass for Dask input).

        Parameters
        ----------
        X : array-like, sparse matrix, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorScoreMixin, RegressorMixin, _BaseMLP):
    __doc__ = (
        """Multi-layer perceptron regressor trained data-parallel over row chunks.

    scikit-learn's ``MLPRegressor``: the same parameters, initial weights, objective and
    optimizers; the data stays in chunks and every gradient is a map-reduce.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        'poisson' uses an exponential output, as scikit-learn's."""
        + _DOC_PARAMS
        + """

    Attributes
    ----------"""
        + _DOC_ATTRS
        + """

    Notes
    -----"""
        + _DOC_NOTES
        + """

    Examples
    --------
    >>> import numpy as np
    >>> from dml.neural_network import MLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5])
    >>> reg = MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.99)
    True
    """
    )

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        average_every=1,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.average_every = average_every

    def _out_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _task(self):
        return "regression"

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch of 'sgd' / 'adam' steps over the given data.

        Parameters
        ----------
        X : array-like, sparse matrix, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        if not hasattr(self, "coefs_"):
            check_params(self)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict with the network (lazy for Dask input).

        Parameters
        ----------
        X : array-like, sparse matrix, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray or Dask array of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self)
        return self._forward(X, "raw", None if self.n_outputs_ == 1 else self.n_outputs_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
