"""dml.metrics: equal to scikit-learn on NumPy and Dask input, one pass, clear errors."""

from __future__ import annotations

import array_api_strict as xps
import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

import dml.metrics as M
from dml._engine.mapreduce import count_passes
from dml.metrics._metrics_kernels import (
    column_pair_counts_kernel,
    log_loss_kernel,
    merge_column_pairs,
    merge_log_loss,
    merge_pairs,
    pair_counts_kernel,
    regression_kernel,
)

N = 600
CHUNKS = (100, 250, 7, 243)


def D(a):
    a = np.asarray(a)
    rows = CHUNKS if a.shape[0] == N else 100
    return da.from_array(a, chunks=(rows,) + a.shape[1:])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    yt = rng.integers(0, 3, N)
    yp = np.where(rng.random(N) < 0.6, yt, rng.integers(0, 3, N))
    w = rng.random(N) * 2
    proba = rng.dirichlet([1, 1, 1], N)
    yb = (yt == 1).astype(int)
    score = rng.normal(size=N) + yb
    score[::5] = np.round(score[::5], 1)  # some ties
    Y = rng.normal(size=(N, 2)) * [1, 10] + [1e4, -3]
    Yp = Y + rng.normal(size=(N, 2))
    return dict(yt=yt, yp=yp, w=w, proba=proba, yb=yb, score=score, Y=Y, Yp=Yp)


CLASSIFICATION = [
    ("accuracy_score", {}),
    ("accuracy_score", {"normalize": False}),
    ("balanced_accuracy_score", {}),
    ("balanced_accuracy_score", {"adjusted": True}),
    ("confusion_matrix", {}),
    ("confusion_matrix", {"normalize": "true", "labels": [2, 0, 1]}),
    ("precision_score", {"average": "macro"}),
    ("precision_score", {"average": None}),
    ("recall_score", {"average": "weighted"}),
    ("recall_score", {"average": "micro"}),
    ("f1_score", {"average": "macro"}),
    ("f1_score", {"average": None, "labels": [0, 2]}),
    ("fbeta_score", {"beta": 0.5, "average": "weighted"}),
    ("precision_recall_fscore_support", {}),
]


def _assert_same(a, b):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
        return
    if a is None:
        assert b is None
        return
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert np.asarray(a).dtype.kind == np.asarray(b).dtype.kind


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name,kwargs", CLASSIFICATION, ids=lambda v: str(v))
def test_classification_equals_sklearn(data, name, kwargs, weighted):
    yt, yp = data["yt"], data["yp"]
    w = data["w"] if weighted else None
    expected = getattr(skm, name)(yt, yp, sample_weight=w, **kwargs)
    # NumPy in: scikit-learn's own function
    _assert_same(getattr(M, name)(yt, yp, sample_weight=w, **kwargs), expected)
    # Dask in: one pass
    with count_passes() as counter:
        got = getattr(M, name)(D(yt), D(yp), sample_weight=None if w is None else D(w), **kwargs)
    assert counter.passes == 1
    _assert_same(got, expected)


@pytest.mark.parametrize("name", ["precision_score", "recall_score", "f1_score"])
def test_binary_average_and_pos_label(data, name):
    yb = data["yb"]
    pred = (data["score"] > 0.5).astype(int)
    for kwargs in ({}, {"pos_label": 0}):
        assert getattr(M, name)(D(yb), D(pred), **kwargs) == pytest.approx(
            getattr(skm, name)(yb, pred, **kwargs), rel=1e-14
        )


def test_string_labels_and_dask_series(data):
    names = np.array(["cat", "dog", "emu"], dtype=object)
    yt, yp = names[data["yt"]], names[data["yp"]]
    with dask.config.set({"dataframe.convert-string": False}):
        st = dd.from_pandas(pd.Series(yt, dtype=object), npartitions=4)
        sp = dd.from_pandas(pd.Series(yp, dtype=object), npartitions=4)
    np.testing.assert_array_equal(M.confusion_matrix(st, sp), skm.confusion_matrix(yt, yp))
    assert M.f1_score(st, D(yp), average="macro") == pytest.approx(
        skm.f1_score(yt, yp, average="macro"), rel=1e-14
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_log_loss_equals_sklearn(data, weighted):
    w = data["w"] if weighted else None
    yt, proba = data["yt"], data["proba"]
    wd = None if w is None else D(w)
    with count_passes() as counter:
        got = M.log_loss(D(yt), D(proba), sample_weight=wd)
    assert counter.passes == 1
    assert got == pytest.approx(skm.log_loss(yt, proba, sample_weight=w), rel=1e-12)
    # binary, 1-D probabilities of the positive class, normalize=False
    p1 = np.clip(data["score"] / 8 + 0.5, 0, 1)
    assert M.log_loss(D(data["yb"]), D(p1), normalize=False, sample_weight=wd) == pytest.approx(
        skm.log_loss(data["yb"], p1, normalize=False, sample_weight=w), rel=1e-12
    )
    # explicit labels with a class absent from y_true
    sub = yt != 2
    assert M.log_loss(D(yt[sub]), D(proba[sub]), labels=[0, 1, 2]) == pytest.approx(
        skm.log_loss(yt[sub], proba[sub], labels=[0, 1, 2]), rel=1e-12
    )


def test_log_loss_errors_and_warnings(data):
    yt, proba = data["yt"], data["proba"]
    bad = proba.copy()
    bad[3, 0] = 1.5
    with pytest.raises(ValueError, match="y_prob contains values greater than 1"):
        M.log_loss(D(yt), D(bad))
    with pytest.raises(ValueError, match="y_true and y_prob contain different number of classes"):
        M.log_loss(D(yt), D(proba[:, :2] / proba[:, :2].sum(1, keepdims=True)))
    with pytest.raises(ValueError, match="y_true contains only one label"):
        M.log_loss(D(np.zeros(N, int)), D(proba[:, 0]))
    nan = proba.copy()
    nan[5, 1] = np.nan
    with pytest.raises(ValueError, match="Input contains NaN"):
        M.log_loss(D(yt), D(nan))
    with pytest.warns(UserWarning, match="do not sum to one"):
        got = M.log_loss(D(yt), D(proba * 0.9))
    with pytest.warns(UserWarning, match="do not sum to one"):
        assert got == pytest.approx(skm.log_loss(yt, proba * 0.9), rel=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"max_fpr": 0.3}], ids=["full", "max_fpr"])
@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_equals_sklearn(data, kwargs, weighted):
    w = data["w"] if weighted else None
    yb, s = data["yb"], data["score"]
    with count_passes() as counter:
        got = M.roc_auc_score(D(yb), D(s), sample_weight=None if w is None else D(w), **kwargs)
    assert counter.passes == 1
    assert got == pytest.approx(skm.roc_auc_score(yb, s, sample_weight=w, **kwargs), rel=1e-12)


def test_roc_auc_string_labels_and_multiclass(data):
    names = np.array(["neg", "pos"], dtype=object)
    yb, s = names[data["yb"]], data["score"]
    assert M.roc_auc_score(D(yb), D(s)) == pytest.approx(skm.roc_auc_score(yb, s), rel=1e-12)
    yt, proba = data["yt"], data["proba"]
    assert M.roc_auc_score(yt, proba, multi_class="ovr") == skm.roc_auc_score(yt, proba, multi_class="ovr")
    with pytest.raises(ValueError, match="multi_class='ovo'"):
        M.roc_auc_score(D(yt), D(proba), multi_class="ovo")


@pytest.mark.parametrize("average", ["macro", "weighted", "micro", None])
@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_multiclass_ovr(data, average, weighted):
    yt, w = data["yt"], (data["w"] if weighted else None)
    proba = np.round(data["proba"], 2)
    proba = proba / proba.sum(axis=1, keepdims=True)
    expected = skm.roc_auc_score(yt, proba, multi_class="ovr", average=average, sample_weight=w)
    with count_passes() as counter:
        got = M.roc_auc_score(
            D(yt),
            D(proba),
            multi_class="ovr",
            average=average,
            sample_weight=None if w is None else D(w),
        )
    assert counter.passes == 1
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    names = np.array(["a", "b", "c"], dtype=object)
    np.testing.assert_allclose(
        M.roc_auc_score(D(names[yt]), D(proba), multi_class="ovr", labels=["a", "b", "c"]),
        skm.roc_auc_score(names[yt], proba, multi_class="ovr", labels=["a", "b", "c"]),
        rtol=1e-12,
    )


def test_roc_auc_multiclass_errors(data):
    yt, proba = data["yt"], data["proba"]
    for kwargs, match in (
        ({}, r"multi_class must be in \('ovo', 'ovr'\)"),
        ({"multi_class": "ovr", "max_fpr": 0.5}, "Partial AUC computation not available"),
        ({"multi_class": "ovr", "average": "samples"}, "average must be one of"),
        ({"multi_class": "ovr", "labels": [0, 2, 1]}, "Parameter 'labels' must be ordered"),
        ({"multi_class": "ovr", "labels": [0, 1, 3]}, "'y_true' contains labels not in parameter 'labels'"),
    ):
        with pytest.raises(ValueError, match=match):
            skm.roc_auc_score(yt, proba, **kwargs)
        with pytest.raises(ValueError, match=match):
            M.roc_auc_score(D(yt), D(proba), **kwargs)
    with pytest.raises(ValueError, match="Target scores need to be probabilities"):
        M.roc_auc_score(D(yt), D(proba * 2), multi_class="ovr")
    with pytest.raises(ValueError, match="Number of classes in y_true not equal"):
        M.roc_auc_score(D(yt), D(np.column_stack([proba, proba[:, :1] * 0])), multi_class="ovr")


REGRESSION = ["mean_squared_error", "root_mean_squared_error", "mean_absolute_error", "r2_score"]


@pytest.mark.parametrize("multioutput", ["raw_values", "uniform_average", [0.3, 0.7]])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", REGRESSION)
def test_regression_equals_sklearn(data, name, weighted, multioutput):
    Y, Yp = data["Y"], data["Yp"]
    w = data["w"] if weighted else None
    expected = getattr(skm, name)(Y, Yp, sample_weight=w, multioutput=multioutput)
    with count_passes() as counter:
        got = getattr(M, name)(
            D(Y), D(Yp), sample_weight=None if w is None else D(w), multioutput=multioutput
        )
    assert counter.passes == 1
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert isinstance(got, float) == isinstance(expected, float)
    # 1-D
    np.testing.assert_allclose(
        getattr(M, name)(D(Y[:, 0]), Yp[:, 0], sample_weight=w),
        getattr(skm, name)(Y[:, 0], Yp[:, 0], sample_weight=w),
        rtol=1e-10,
    )


def test_r2_variance_weighted_and_constant_target(data):
    Y, Yp = data["Y"], data["Yp"]
    assert M.r2_score(D(Y), D(Yp), multioutput="variance_weighted") == pytest.approx(
        skm.r2_score(Y, Yp, multioutput="variance_weighted"), rel=1e-10
    )
    const = np.ones(N)
    for ff in (True, False):
        np.testing.assert_equal(
            M.r2_score(D(const), D(const + (np.arange(N) % 2)), force_finite=ff),
            skm.r2_score(const, const + (np.arange(N) % 2), force_finite=ff),
        )
    with pytest.warns(UndefinedMetricWarning, match="less than two samples"):
        assert np.isnan(M.r2_score(da.ones(1, chunks=1), da.ones(1, chunks=1)))


def test_regression_errors(data):
    Y, Yp = data["Y"][:, 0], data["Yp"][:, 0]
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[600, 599\]"):
        M.mean_squared_error(D(Y), Yp[:-1])
    bad = Y.copy()
    bad[7] = np.nan
    with pytest.raises(ValueError, match="^Input contains NaN.$"):
        M.mean_squared_error(D(bad), D(Yp))
    bad[7] = np.inf
    with pytest.raises(ValueError, match="Input contains infinity"):
        M.r2_score(D(Y), D(bad))
    w = np.ones(N)
    w[3] = np.nan
    with pytest.raises(ValueError, match="Input sample_weight contains NaN"):
        M.mean_absolute_error(D(Y), D(Yp), sample_weight=D(w))
    with pytest.raises(ValueError, match="multioutput"):
        M.mean_squared_error(D(Y), D(Yp), multioutput="bogus")
    with pytest.raises(ValueError, match="different number of output"):
        M.r2_score(D(data["Y"]), D(Yp))


def test_classification_errors(data):
    yt, yp = data["yt"], data["yp"]
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[600, 500\]"):
        M.accuracy_score(D(yt), yp[:500])
    with pytest.raises(ValueError, match="Target is multiclass but average='binary'"):
        M.f1_score(D(yt), D(yp))
    with pytest.raises(ValueError, match="The 'average' parameter of precision_score"):
        M.precision_score(D(yt), D(yp), average="bogus")
    with pytest.raises(ValueError, match="mix of multiclass and continuous"):
        M.accuracy_score(D(yt), D(yp + 0.5))
    f = yt.astype(float)
    f[0] = np.nan
    with pytest.raises(ValueError, match="Input y_true contains NaN"):
        M.accuracy_score(f, yp)
    with pytest.raises(ValueError, match="Input y_true contains NaN"):
        M.accuracy_score(D(f), D(yp))


def test_unknown_chunks_from_dask_dataframe(data):
    df = dd.from_pandas(pd.DataFrame({"t": data["yt"], "p": data["yp"]}), npartitions=3)
    assert M.accuracy_score(df["t"], df["p"]) == skm.accuracy_score(data["yt"], data["yp"])
    # unknown lengths against a Dask array with known chunks: rechunked to match
    assert M.accuracy_score(df["t"], D(data["yp"])) == skm.accuracy_score(data["yt"], data["yp"])


def test_under_each_scheduler(data, scheduler):
    yt, yp = data["yt"], data["yp"]
    assert M.accuracy_score(D(yt), D(yp)) == skm.accuracy_score(yt, yp)
    assert M.r2_score(D(data["Y"]), D(data["Yp"])) == pytest.approx(
        skm.r2_score(data["Y"], data["Yp"]), rel=1e-10
    )
    assert M.roc_auc_score(D(data["yb"]), D(data["score"])) == pytest.approx(
        skm.roc_auc_score(data["yb"], data["score"]), rel=1e-12
    )


# ------------------------------------------------------------------------ scorers


def test_scorer_names_and_unknown_name():
    names = M.get_scorer_names()
    for n in ("accuracy", "roc_auc", "neg_log_loss", "f1_macro", "r2", "neg_mean_squared_error"):
        assert n in names
    with pytest.raises(
        ValueError, match=r"'nope' is not a valid scoring value. Use dml.metrics.get_scorer_names\(\)"
    ):
        M.get_scorer("nope")
    with pytest.raises(ValueError, match="has no lazy dml version"):
        M.get_scorer("neg_median_absolute_error")
    f = lambda est, X, y: 0.0  # noqa: E731
    assert M.get_scorer(f) is f and M.get_scorer(None) is None


@pytest.mark.parametrize(
    "name", ["accuracy", "roc_auc", "neg_log_loss", "f1", "precision_macro", "balanced_accuracy"]
)
def test_classification_scorers_lazy_and_equal(name):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(N, 4))
    y = (X[:, 0] + rng.normal(size=N) > 0).astype(int)
    from dml.linear_model import LogisticRegression

    est = LogisticRegression().fit(X, y)
    scorer = M.get_scorer(name)
    expected = skm.get_scorer(name)(est, X, y)
    with count_passes() as counter:
        got = scorer(est, D(X), D(y))
    assert counter.passes == 1
    assert got == pytest.approx(expected, rel=1e-10)
    assert scorer(est, X, y) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "name", ["r2", "neg_mean_squared_error", "neg_root_mean_squared_error", "neg_mean_absolute_error"]
)
def test_regression_scorers(name):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(N, 3))
    y = X @ [1.0, 2.0, -1.0] + rng.normal(size=N)
    from dml.linear_model import LinearRegression

    est = LinearRegression().fit(X, y)
    assert M.get_scorer(name)(est, D(X), D(y)) == pytest.approx(skm.get_scorer(name)(est, X, y), rel=1e-10)


def test_make_scorer_and_check_scoring_in_sklearn_search():
    from sklearn.model_selection import GridSearchCV, cross_validate

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 0).astype(int)
    ftwo = M.make_scorer(M.fbeta_score, beta=2)
    res = cross_validate(
        SkLogisticRegression(), X, y, scoring={"f2": ftwo, "acc": M.get_scorer("accuracy")}, cv=3
    )
    ref = cross_validate(
        SkLogisticRegression(),
        X,
        y,
        scoring={"f2": skm.make_scorer(skm.fbeta_score, beta=2), "acc": "accuracy"},
        cv=3,
    )
    np.testing.assert_allclose(res["test_f2"], ref["test_f2"])
    np.testing.assert_allclose(res["test_acc"], ref["test_acc"])
    gs = GridSearchCV(
        SkLogisticRegression(), {"C": [0.1, 1.0]}, scoring=M.get_scorer("neg_log_loss"), cv=3
    ).fit(X, y)
    ref = GridSearchCV(SkLogisticRegression(), {"C": [0.1, 1.0]}, scoring="neg_log_loss", cv=3).fit(X, y)
    np.testing.assert_allclose(gs.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])
    multi = M.check_scoring(SkLogisticRegression().fit(X, y), ["accuracy", "roc_auc"])
    out = multi(SkLogisticRegression().fit(X, y), D(X), D(y))
    assert set(out) == {"accuracy", "roc_auc"}
    with pytest.raises(ValueError, match="not a valid scoring value"):
        M.check_scoring(SkLogisticRegression(), ["accuracy", "bogus"])


# ------------------------------------------------------------------------ kernels


def _strict(a):
    return None if a is None else xps.asarray(a)


def test_kernels_run_on_array_api_strict(data):
    yt, yp, w = data["yt"][:50], data["yp"][:50], data["w"][:50]
    for weights in (None, w):
        ref = pair_counts_kernel(yt, yp, weights, xp=np)
        got = merge_pairs([pair_counts_kernel(_strict(yt), _strict(yp), _strict(weights), xp=xps)])
        for k in ("a", "b", "w"):
            np.testing.assert_allclose(np.asarray(got[k], dtype=float), np.asarray(ref[k], dtype=float))
    Y, Yp = data["Y"][:50], data["Yp"][:50]
    ref = regression_kernel(Y, Yp, w, xp=np)
    got = regression_kernel(_strict(Y), _strict(Yp), _strict(w), xp=xps)
    for k in ref:
        np.testing.assert_allclose(np.asarray(got[k]), ref[k], rtol=1e-12)
    P = data["proba"][:50]
    ref = column_pair_counts_kernel(yt, P, w, xp=np)
    got = merge_column_pairs([column_pair_counts_kernel(_strict(yt), _strict(P), _strict(w), xp=xps)])
    for k in ref:
        np.testing.assert_allclose(np.asarray(got[k], dtype=float), np.asarray(ref[k], dtype=float))
    ref = log_loss_kernel(yt, P, w, xp=np)
    got = merge_log_loss([log_loss_kernel(_strict(yt), _strict(P), _strict(w), xp=xps)])
    np.testing.assert_allclose(got["loss"], ref["loss"], rtol=1e-12)
    np.testing.assert_array_equal(got["labels"], ref["labels"])


def test_many_groups_generic_group_sum():
    rng = np.random.default_rng(4)
    s = rng.normal(size=300)
    y = rng.integers(0, 2, 300)
    w = rng.random(300)
    ref = pair_counts_kernel(y, s, w, xp=np)
    got = pair_counts_kernel(xps.asarray(y), xps.asarray(s), xps.asarray(w), xp=xps)
    np.testing.assert_allclose(np.asarray(got["w"]), ref["w"], rtol=1e-12)


@pytest.mark.parametrize(
    "a,b,w",
    [
        (np.array([-3, 5, 5, -3, 0]), np.array([True, False, True, True, True]), None),
        (np.array([1, 2, 2, 1, 9], dtype=np.int8), np.array([2, 2, 2, 1, 1]), np.array([1, 2, 3, 4, 0])),
        (np.array([0, 1, 1, 0, 1]), np.array([1, 1, 0, 0, 1]), np.array([0.5, 1.5, 2.0, 0.0, 1.0])),
    ],
)
def test_integer_fast_path_matches_general_path(a, b, w):
    fast = pair_counts_kernel(a, b, w, xp=np)
    general = pair_counts_kernel(
        xps.asarray(a), xps.asarray(b), None if w is None else xps.asarray(w), xp=xps
    )
    for k in ("a", "b", "w"):
        np.testing.assert_array_equal(fast[k], np.asarray(general[k]))
        assert fast[k].dtype == np.asarray(general[k]).dtype, k
