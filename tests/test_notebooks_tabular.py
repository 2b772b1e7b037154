"""notebooks/tabular.ipynb runs from top to bottom: a Parquet table read with Dask,
preprocessed and modelled, predicting as scikit-learn's pipeline on the pandas table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebook_outputs import run_notebook

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "tabular.ipynb"


@pytest.mark.slow
def test_tabular_notebook_runs():
    pytest.importorskip("pyarrow")
    outputs, _ = run_notebook(NOTEBOOK)
    assert "10 partitions" in outputs
    assert "category" in outputs and "Int64" in outputs
    assert "agreement with scikit-learn: 1.0" in outputs
