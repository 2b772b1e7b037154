"""Regenerate the README's table of supported estimators from dml.utils.all_estimators().

    .venv/bin/python tools/readme_table.py
"""

from pathlib import Path

from sklearn.utils import all_estimators as sk_all

from dml.utils import all_estimators

README = Path(__file__).resolve().parent.parent / "README.md"
NOTES = {
    "ParallelPostFit": "(wraps any estimator: in-memory fit, blockwise predict)",
    "Incremental": "(wraps any partial_fit estimator: trains block by block)",
    "AsyncSuccessiveHalvingSearchCV": "(none: asynchronous successive halving, ASHA)",
    "HyperbandSearchCV": "(none: Hyperband, as dask_ml.model_selection.HyperbandSearchCV)",
    "SuccessiveHalvingSearchCV": "(none: as dask_ml.model_selection.SuccessiveHalvingSearchCV)",
    "IncrementalSearchCV": "(none: as dask_ml.model_selection.IncrementalSearchCV)",
    "InverseDecaySearchCV": "(none: as dask_ml.model_selection.InverseDecaySearchCV)",
    "BlockwiseVotingClassifier": "(none: one model per chunk, as dask_ml.ensemble's)",
    "BlockwiseVotingRegressor": "(none: one model per chunk, as dask_ml.ensemble's)",
    "ALS": "(none: as pyspark.ml.recommendation.ALS)",
    "Categorizer": "(none: as dask_ml.preprocessing.Categorizer)",
    "DummyEncoder": "(none: as dask_ml.preprocessing.DummyEncoder)",
    "NegativeDownsampler": "(none: negative downsampling with recalibration, He et al. 2014)",
    # experimental in scikit-learn: all_estimators() lists them only once enabled
    "HalvingGridSearchCV": "sklearn.model_selection.HalvingGridSearchCV",
    "HalvingRandomSearchCV": "sklearn.model_selection.HalvingRandomSearchCV",
}


def main():
    import importlib

    sk = {}
    for name, cls in sk_all():
        parts = cls.__module__.split(".")
        for i in range(2, len(parts) + 1):  # shortest public module that exports it
            module = ".".join(parts[:i])
            if not parts[i - 1].startswith("_") and hasattr(importlib.import_module(module), name):
                sk.setdefault(name, f"{module}.{name}")
                break
    rows = ["| estimator | module | scikit-learn counterpart |", "|---|---|---|"]
    for name, cls in all_estimators():
        module = cls.__module__.rsplit(".", 1)[0]
        rows.append(f"| {name} | {module} | {NOTES.get(name, sk.get(name, '-'))} |")
    text = README.read_text()
    head, rest = text.split("<!-- estimators:start -->")
    _, tail = rest.split("<!-- estimators:end -->")
    README.write_text(head + "<!-- estimators:start -->\n" + "\n".join(rows) + "\n<!-- estimators:end -->" + tail)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
