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
# metrics, model_selection splitters (dml.metrics, dml.model_selection._split)
from sklearn.model_selection._split import _validate_shuffle_split  # noqa: F401,E402
from sklearn.utils.extmath import _approximate_mode  # noqa: F401,E402
