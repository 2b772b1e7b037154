"""Every import of a private scikit-learn name, and nowhere else.

When scikit-learn moves one of these, this is the only file to change. The names are
re-exported (``from dml._compat.sklearn import ...``); the comment after each import
says who uses it.
"""

import inspect

from sklearn.decomposition._pca import _infer_dimension as infer_pca_dimension  # PCA
from sklearn.metrics._scorer import (  # searches
    _check_multimetric_scoring,
    _MultimetricScorer,
)
from sklearn.model_selection._search import BaseSearchCV  # GridSearchCV, RandomizedSearchCV
from sklearn.model_selection._split import _validate_shuffle_split  # splitters
from sklearn.model_selection._validation import (  # searches
    _insert_error_scores,
    _score,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils._param_validation import (  # parameter constraints, every family
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.extmath import _approximate_mode  # stratified splitters
from sklearn.utils.metaestimators import _safe_split  # searches
from sklearn.utils.multiclass import (  # naive_bayes: partial_fit's classes rules and messages
    _check_partial_fit_first_call as check_partial_fit_first_call,
)
from sklearn.utils.optimize import _check_optimize_result as check_optimize_result  # solvers
from sklearn.utils.validation import (
    _check_feature_names,  # engine.inputs
    _check_method_params,  # searches
    _check_n_features,  # engine.inputs
    _check_sample_weight,  # engine.inputs
)
from sklearn.utils.validation import _num_samples as num_samples  # searches

try:  # scikit-learn's Cython coordinate descent on a Gram matrix (fast path for CV paths)
    from sklearn.linear_model._cd_fast import enet_coordinate_descent_gram
except ImportError:  # pragma: no cover - moved or removed: dml's NumPy solver is used
    enet_coordinate_descent_gram = None


# Private attributes of scikit-learn's scorers, read here only (dml.model_selection._search).
def multimetric_scorers(scorer):
    """The ``{name: scorer}`` of a ``_MultimetricScorer``; ``None`` for one scorer."""
    return scorer._scorers if isinstance(scorer, _MultimetricScorer) else None


def scorer_accepts_sample_weight(scorer):
    """Whether ``scorer`` (a scikit-learn scorer or a plain callable) takes ``sample_weight``."""
    if hasattr(scorer, "_accept_sample_weight"):
        return scorer._accept_sample_weight()
    return "sample_weight" in inspect.signature(scorer).parameters


from sklearn.utils._indexing import (  # noqa: E402 - compose: column selection as scikit-learn's
    _determine_key_type as determine_key_type,
)
from sklearn.utils._indexing import _get_column_indices as get_column_indices  # noqa: E402 - compose
from sklearn.utils._indexing import _safe_indexing as safe_indexing  # noqa: E402 - compose
from sklearn.utils._set_output import (  # noqa: E402 - dml._base.TransformerMixin's set_output
    _get_output_config as get_output_config,
)
from sklearn.utils._set_output import (  # noqa: E402
    _wrap_data_with_container as wrap_data_with_container,
)
from sklearn.utils._user_interface import _print_elapsed_time as print_elapsed_time  # noqa: E402 - compose
from sklearn.utils.metadata_routing import _raise_for_params as raise_for_params  # noqa: E402 - compose
from sklearn.utils.validation import (  # noqa: E402 - preprocessing.FunctionTransformer's names out
    _check_feature_names_in as check_feature_names_in,
)
