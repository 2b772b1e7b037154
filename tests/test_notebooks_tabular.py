"""notebooks/tabular.ipynb runs from top to bottom: a Parquet table read with Dask,
preprocessed and modelled, predicting as scikit-learn's pipeline on the pandas table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebook_outputs import stderr_outputs, text_outputs

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "tabular.ipynb"


@pytest.mark.slow
def test_tabular_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("pyarrow")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    outputs = text_outputs(nb)
    stderr = stderr_outputs(nb)  # no warnings from the notebook's code
    assert not stderr, stderr
    assert "10 partitions" in outputs
    assert "category" in outputs and "Int64" in outputs
    assert "agreement with scikit-learn: 1.0" in outputs
