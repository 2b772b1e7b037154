"""notebooks/sparse.ipynb runs from top to bottom: a click log hashed to CSR chunks on a
LocalCluster, LogisticRegression trained on them, scored with dml.metrics, and the same
model as scikit-learn's on the same matrix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.notebook_outputs import run_notebook

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "sparse.ipynb"


@pytest.mark.slow
def test_sparse_notebook_runs():
    outputs, _ = run_notebook(NOTEBOOK)
    assert "csr_matrix (60000, 262157) 8 chunks" in outputs
    assert "same hashed matrix as dml's: True" in outputs
    ours = re.search(r"log loss ([0-9.]+) \(click rate alone: ([0-9.]+)\)", outputs)
    assert float(ours.group(1)) < float(ours.group(2))  # better than the click rate
    auc = float(re.search(r"ROC AUC  ([0-9.]+)", outputs).group(1))
    theirs = re.search(r"scikit-learn: log loss ([0-9.]+), ROC AUC ([0-9.]+)", outputs)
    assert abs(float(ours.group(1)) - float(theirs.group(1))) < 1e-4
    assert abs(auc - float(theirs.group(2))) < 1e-3 and auc > 0.7
    diff = float(re.search(r"largest difference of predicted probabilities: ([0-9.e+-]+)", outputs).group(1))
    assert diff < 1e-4
