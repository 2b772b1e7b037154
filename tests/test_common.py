"""Common checks over every public dml estimator.

- scikit-learn's own ``parametrize_with_checks`` on NumPy input;
- dml's checks on Dask input: chunking invariance, lazy in / lazy out, and a bounded
  number of round trips per fit.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from sklearn.base import RegressorMixin, clone, is_classifier
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import SGDClassifier as SkSGDClassifier
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks, set_random_state

from dml._engine.mapreduce import count_passes
from dml.preprocessing import StandardScaler
from dml.utils import all_estimators

# Meta-estimators need an inner estimator to be checked; everything else uses defaults.
_ADAPTIVE = dict(max_iter=3, random_state=0)
_INSTANCES = {
    "ParallelPostFit": lambda cls: cls(SkLogisticRegression()),
    # fewer quantiles / bins than the checks' rows: the defaults warn there, as scikit-learn's
    # (n_quantiles > n_samples; quantile bins narrower than 1e-8 removed); the 'quantile'
    # strategy is checked against scikit-learn in tests/preprocessing/test_robust_quantile_kbins.py
    "QuantileTransformer": lambda cls: cls(n_quantiles=10),
    "KBinsDiscretizer": lambda cls: cls(n_bins=3, strategy="uniform"),
    "NegativeDownsampler": lambda cls: cls(SkLogisticRegression(), random_state=0),
    "CalibratedClassifierCV": lambda cls: cls(SkLogisticRegression(), cv=3),
    # scikit-learn's own instance for its checks of ColumnTransformer
    "ColumnTransformer": lambda cls: cls([("trans1", StandardScaler(), [0, 1])]),
    "BlockwiseVotingClassifier": lambda cls: cls(SkLogisticRegression(), voting="soft"),
    "BlockwiseVotingRegressor": lambda cls: cls(SkLinearRegression()),
    # one pass per tree level: depth 3 is 3 passes per iteration (and quick checks)
    "HistGradientBoostingClassifier": lambda cls: cls(max_iter=10, max_depth=3),
    "HistGradientBoostingRegressor": lambda cls: cls(max_iter=10, max_depth=3),
    "RandomForestClassifier": lambda cls: cls(n_estimators=5, max_depth=6),
    "RandomForestRegressor": lambda cls: cls(n_estimators=5, max_depth=6),
    "ExtraTreesClassifier": lambda cls: cls(n_estimators=5, max_depth=6),
    "ExtraTreesRegressor": lambda cls: cls(n_estimators=5, max_depth=6),
    # scikit-learn's own settings for its checks of LogisticRegressionCV
    "LogisticRegressionCV": lambda cls: cls(
        max_iter=5, cv=3, use_legacy_attributes=False, scoring="neg_log_loss", l1_ratios=(0,)
    ),
    "Incremental": lambda cls: cls(SkSGDClassifier(random_state=0), n_epochs=5),
    "GridSearchCV": lambda cls: cls(SkLogisticRegression(), {"C": [0.1, 1.0]}, cv=2),
    "RandomizedSearchCV": lambda cls: cls(SkLogisticRegression(), {"C": [0.1, 1.0]}, n_iter=2, cv=2),
    "HalvingGridSearchCV": lambda cls: cls(SkLogisticRegression(), {"C": [0.1, 1.0]}, cv=2, random_state=0),
    "HalvingRandomSearchCV": lambda cls: cls(
        SkLogisticRegression(), {"C": [0.1, 1.0]}, n_candidates=2, cv=2, random_state=0
    ),
    "HyperbandSearchCV": lambda cls: cls(
        SkSGDClassifier(random_state=0), {"alpha": [1e-4, 1e-3]}, **_ADAPTIVE
    ),
    "SuccessiveHalvingSearchCV": lambda cls: cls(
        SkSGDClassifier(random_state=0), {"alpha": [1e-4, 1e-3]}, n_initial_parameters=2, **_ADAPTIVE
    ),
    "AsyncSuccessiveHalvingSearchCV": lambda cls: cls(
        SkSGDClassifier(random_state=0), {"alpha": [1e-4, 1e-3]}, n_initial_parameters=2, **_ADAPTIVE
    ),
    "IncrementalSearchCV": lambda cls: cls(
        SkSGDClassifier(random_state=0), {"alpha": [1e-4, 1e-3]}, n_initial_parameters=2, **_ADAPTIVE
    ),
    "InverseDecaySearchCV": lambda cls: cls(
        SkSGDClassifier(random_state=0), {"alpha": [1e-4, 1e-3]}, n_initial_parameters=2, **_ADAPTIVE
    ),
}
ESTIMATORS = [_INSTANCES.get(name, lambda cls: cls())(cls) for name, cls in all_estimators()]
# Estimators that are not X / y estimators, so scikit-learn's checks cannot apply, each
# with the reason (they have their own tests).
_NOT_XY_ESTIMATORS = {
    "ALS": (
        "fits a DataFrame of (user, item, rating) rows or a sparse user x item matrix and "
        "predicts on (user, item) pairs, as Spark's ALS: no numeric X of shape "
        "(n_samples, n_features); tested in tests/recommendation/"
    ),
}
ESTIMATORS = [e for e in ESTIMATORS if type(e).__name__ not in _NOT_XY_ESTIMATORS]

# Checks of scikit-learn's suite that a dml estimator is known to fail, each with the
# reason. Keep this short; every entry is a bug or a documented, deliberate difference.
_RANDOM_SEEDING = (
    "As scikit-learn's own KMeans / MiniBatchKMeans (which expect this failure too): the "
    "seeding is random, so integer weights are not equivalent to repeated rows."
)
_COLUMN_TRANSFORMER = (
    "scikit-learn's own ColumnTransformer fails it too (FIXME in scikit-learn's expected "
    "failures): it validates no values itself, the parts see the selected columns"
)
EXPECTED_FAILED_CHECKS = {
    "ColumnTransformer": {
        check: _COLUMN_TRANSFORMER
        for check in (
            "check_estimators_empty_data_messages",
            "check_estimators_nan_inf",
            "check_estimator_sparse_array",
            "check_estimator_sparse_matrix",
            "check_fit1d",
            "check_fit2d_predict1d",
            "check_complex_data",
            "check_fit2d_1feature",
        )
    },
    "BisectingKMeans": {"check_sample_weight_equivalence_on_dense_data": _RANDOM_SEEDING},
    "KMeans": {
        "check_sample_weight_equivalence_on_dense_data": _RANDOM_SEEDING,
        "check_sample_weight_equivalence_on_sparse_data": _RANDOM_SEEDING,
    },
    "MiniBatchKMeans": {
        "check_sample_weight_equivalence_on_dense_data": _RANDOM_SEEDING,
        "check_sample_weight_equivalence_on_sparse_data": _RANDOM_SEEDING,
    },
    **{
        name: {
            "check_sample_weight_equivalence_on_dense_data": (
                "the features (and extra-trees thresholds) of a node are drawn per (tree, node) and "
                "min_samples_leaf counts rows: repeated rows are not weights (scikit-learn's own "
                "forests are expected failures of this check too)"
            )
        }
        for name in (
            "RandomForestClassifier",
            "RandomForestRegressor",
            "ExtraTreesClassifier",
            "ExtraTreesRegressor",
        )
    },
}


#: Estimators whose fit reads metadata only (the number of columns), though they must be fit.
_METADATA_ONLY_FITS = ("PolynomialFeatures",)
#: Fits of a fixed number of passes beyond the bound below (their docstrings' Notes).
_FIXED_PASSES = {
    "PowerTransformer": 4,
    # forests (max_depth=6 in _INSTANCES): the binning sample, then one pass per level
    **dict.fromkeys(
        ("RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor"), 7
    ),
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_all_estimators_lists_the_families():
    names = {name for name, _ in all_estimators()}
    assert {"LinearRegression", "LogisticRegression", "StandardScaler", "MinMaxScaler"} <= names
    assert all(name == cls.__name__ for name, cls in all_estimators())


def test_all_estimators_type_filter():
    classifiers = [n for n, _ in all_estimators("classifier")]
    assert "LogisticRegression" in classifiers and "LinearRegression" not in classifiers
    with pytest.raises(ValueError, match="type_filter"):
        all_estimators("nonsense")


def _data_for(estimator, n=600, p=5):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, p))
    tags = get_tags(estimator)
    if is_classifier(estimator):
        y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    elif isinstance(estimator, RegressorMixin):
        if tags.target_tags.positive_only:
            y = np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1]) * rng.gamma(2.0, 0.5, size=n)
        else:
            y = X @ np.arange(1, p + 1) + rng.normal(size=n)
    elif tags.target_tags.required:  # a transformer that needs y (TargetEncoder)
        y = X[:, 0] + rng.normal(scale=0.5, size=n)
    else:
        y = None
    if tags.input_tags.positive_only:  # counting models (MultinomialNB, ...) refuse negative X
        X = np.abs(X)
    if tags.input_tags.categorical:  # CategoricalNB: the categories 0, 1, 2, ...
        X = np.floor(X)
    return X, y


def _prepared(estimator, X):
    """A clone with a fixed random_state and, for clustering, a deterministic init (so the
    fit cannot depend on how seeding samples the chunks)."""
    est = clone(estimator)
    set_random_state(est, 0)
    params = est.get_params(deep=False)
    if "init" in params and "n_clusters" in params:
        if type(est).__name__ == "BisectingKMeans":  # refuses array inits, as scikit-learn's
            est.set_params(init=_first_and_last_rows, n_init=1)
        else:
            est.set_params(init=X[: params["n_clusters"]].copy(), n_init=1)
    return est


def _first_and_last_rows(X, n_clusters, random_state=None):
    """A deterministic callable init (BisectingKMeans: two centers per split)."""
    return X[[0, -1]].copy()


def _fitted_arrays(est):
    out = {}
    for k, v in vars(est).items():
        if k.endswith("_") and not k.startswith("_") and isinstance(v, np.ndarray) and v.dtype.kind in "fiu":
            out[k] = v
        elif (  # lists of arrays (the encoders' categories_, encodings_)
            k.endswith("_")
            and not k.startswith("_")
            and isinstance(v, list)
            and v
            and all(isinstance(a, np.ndarray) and a.dtype.kind in "fiu" for a in v)
        ):
            out[k] = np.concatenate([a.ravel() for a in v])
    return out


def _dask_ready(est):
    # Meta-estimators (wrappers, searches) wrap other models; their own test modules check
    # them on Dask input. Estimators of labels (LabelEncoder: fit(y), no X) too. The
    # ColumnTransformer (``transformers``) has no fitted arrays of its own: tests/compose.
    params = est.get_params(deep=False)
    return (
        "estimator" not in params
        and "estimators" not in params
        and "transformers" not in params
        and get_tags(est).input_tags.two_d_array
    )


DASK_ESTIMATORS = [e for e in ESTIMATORS if _dask_ready(e)]


@pytest.mark.parametrize("estimator", DASK_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_chunking_invariance(estimator):
    """One chunk and several uneven chunks give the same fitted model."""
    if not get_tags(estimator).requires_fit:
        pytest.skip(f"{type(estimator).__name__} learns nothing in fit (stateless)")
    if type(estimator).__name__ in _METADATA_ONLY_FITS:
        pytest.skip(f"{type(estimator).__name__} reads no values in fit: nothing depends on the chunks")
    X, y = _data_for(estimator)
    one = _prepared(estimator, X).fit(
        da.from_array(X, chunks=-1), None if y is None else da.from_array(y, chunks=-1)
    )
    many = _prepared(estimator, X).fit(
        da.from_array(X, chunks=((50, 250, 7, 293), (2, 3))),
        None if y is None else da.from_array(y, chunks=((100, 500),)),
    )
    a, b = _fitted_arrays(one), _fitted_arrays(many)
    if hasattr(one, "_fit_X"):  # a neighbours index: the indexed rows (and searches) are the model
        a["_fit_X"], b["_fit_X"] = (np.asarray(m._fit_X) for m in (one, many))
        if hasattr(one, "kneighbors"):
            a["kneighbors"], b["kneighbors"] = (np.hstack(m.kneighbors(X[:50], 3)) for m in (one, many))
    assert a.keys() == b.keys() and a
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=1e-9, err_msg=k)


def _dense(a):
    """A result as a NumPy array (sparse results, as OneHotEncoder's, densified)."""
    return a.toarray() if hasattr(a, "toarray") else np.asarray(a)


@pytest.mark.parametrize("estimator", DASK_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_lazy_in_lazy_out(estimator):
    """Dask input to predict / transform returns a Dask array and computes nothing."""
    X, y = _data_for(estimator)
    est = _prepared(estimator, X).fit(X, y)
    Xd = da.from_array(X, chunks=(128, -1))
    calls = []

    def spy(block):
        if block.size:  # Dask calls it once on an empty block to infer metadata
            calls.append(1)
        return block

    Xd = Xd.map_blocks(spy, dtype=Xd.dtype)
    methods = [
        m
        for m in ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform")
        if hasattr(est, m)
    ]
    if not methods and hasattr(est, "kneighbors"):
        pytest.skip("NearestNeighbors: its lazy kneighbors is checked in tests/neighbors")
    if not methods:  # a clusterer with fit_predict only (SpectralClustering, as scikit-learn's)
        assert hasattr(est, "fit_predict") and not hasattr(est, "fit_transform")
        pytest.skip(f"{type(est).__name__} has no predict or transform")
    for m in methods:
        out = getattr(est, m)(Xd)
        assert isinstance(out, da.Array), m
        assert not calls, f"{m} computed on the data"
        np.testing.assert_allclose(_dense(out.compute()), _dense(getattr(est, m)(X)), rtol=1e-6, atol=1e-9)
        calls.clear()


@pytest.mark.parametrize("estimator", DASK_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_round_trips_per_fit_are_bounded(estimator):
    """A fit runs a bounded number of passes: one-pass estimators take one (plus the
    label pass of classifiers), iterative ones at most a few per iteration."""
    X, y = _data_for(estimator)
    Xd = da.from_array(X, chunks=(100, -1))
    yd = None if y is None else da.from_array(y, chunks=100)
    with count_passes() as counter:
        est = _prepared(estimator, X).fit(Xd, yd)
    # every fit of a CV estimator counts (n_iter_ holds one entry per fold / parameter)
    n_iter = int(np.sum(getattr(est, "n_iter_", 0)))
    # randomized methods run a fixed number of power iterations (a parameter, not n_iter_)
    n_iter += int(est.get_params().get("n_iter", 0) or 0) if not hasattr(est, "n_iter_") else 0
    # a label assignment fitted inside the fit (SpectralClustering's KMeans): its
    # iterations count, plus its seeding (k-means||: 6 passes per run) as 3 more
    inner = getattr(est, "assign_labels_", None)
    n_iter += int(np.sum(getattr(inner, "n_iter_", 0))) + 3 if inner is not None else 0
    # BisectingKMeans: per run of every split a seeding pass, its Lloyd iterations, a split pass
    splits = getattr(est, "_split_iters", None)
    n_iter += int(np.sum(splits)) + 2 * len(splits) if splits is not None else 0
    bound = _FIXED_PASSES.get(type(est).__name__, 3 + 3 * n_iter)
    if not get_tags(est).requires_fit or type(est).__name__ in _METADATA_ONLY_FITS:  # fit reads nothing
        assert counter.passes == 0, counter.kernels
        return
    assert 1 <= counter.passes <= bound, (counter.passes, counter.kernels)
