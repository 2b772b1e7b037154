"""Every import of a private scikit-learn name, and nowhere else.

When scikit-learn moves one of these, this is the only file to change.
"""

from sklearn.utils._param_validation import (  # noqa: F401
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import (  # noqa: F401
    _check_feature_names,
    _check_n_features,
    _check_sample_weight,
)
from sklearn.utils.optimize import _check_optimize_result as check_optimize_result  # noqa: F401
# model_selection searches (dml.model_selection._search / _adaptive)
from sklearn.model_selection._search import BaseSearchCV  # noqa: F401,E402
from sklearn.model_selection._validation import (  # noqa: F401,E402
    _aggregate_score_dicts,
    _insert_error_scores,
    _score,
    _warn_or_raise_about_fit_failures,
)
from sklearn.metrics._scorer import _MultimetricScorer  # noqa: F401,E402
from sklearn.metrics._scorer import _check_multimetric_scoring  # noqa: F401,E402
from sklearn.utils.metaestimators import _safe_split  # noqa: F401,E402
from sklearn.utils.validation import _check_method_params  # noqa: F401,E402
try:  # scikit-learn's Cython coordinate descent on a Gram matrix (fast path for CV paths)
    from sklearn.linear_model._cd_fast import enet_coordinate_descent_gram  # noqa: F401
except ImportError:  # pragma: no cover - moved or removed: dml's NumPy solver is used
    enet_coordinate_descent_gram = None
# metrics, model_selection splitters (dml.metrics, dml.model_selection._split)
from sklearn.model_selection._split import _validate_shuffle_split  # noqa: F401,E402
from sklearn.utils.extmath import _approximate_mode  # noqa: F401,E402
from sklearn.utils._param_validation import RealNotInt  # noqa: F401,E402
from sklearn.decomposition._pca import _infer_dimension as infer_pca_dimension  # noqa: F401,E402
from sklearn.utils._param_validation import HasMethods  # noqa: F401,E402  (dml.wrappers.Incremental)
from sklearn.utils.validation import _num_samples as num_samples  # noqa: F401,E402  (searches)


# Private attributes of scikit-learn's scorers, read here only (dml.model_selection._search).
def multimetric_scorers(scorer):
    """The ``{name: scorer}`` of a ``_MultimetricScorer``; ``None`` for one scorer."""
    return scorer._scorers if isinstance(scorer, _MultimetricScorer) else None


def scorer_accepts_sample_weight(scorer):
    """Whether ``scorer`` (a scikit-learn scorer or a plain callable) takes ``sample_weight``."""
    if hasattr(scorer, "_accept_sample_weight"):
        return scorer._accept_sample_weight()
    import inspect

    return "sample_weight" in inspect.signature(scorer).parameters
