"""notebooks/recommendation.ipynb runs from top to bottom, in under a minute."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.notebook_outputs import stderr_outputs, text_outputs

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "recommendation.ipynb"


@pytest.mark.slow
def test_recommendation_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    assert time.perf_counter() - start < 120  # under 60 s on an idle machine
    outputs = text_outputs(nb)
    stderr = stderr_outputs(nb)
    assert not stderr, stderr
    train_rmse, test_rmse = map(
        float, re.search(r"train RMSE ([\d.]+), test RMSE ([\d.]+)", outputs).groups()
    )
    baseline_rmse = float(re.search(r"training mean: test RMSE ([\d.]+)", outputs).group(1))
    assert train_rmse < test_rmse < 0.7 * baseline_rmse
    als_ndcg = float(re.search(r"ALS +NDCG@10 ([\d.]+)", outputs).group(1))
    mean_ndcg = float(re.search(r"item mean +NDCG@10 ([\d.]+)", outputs).group(1))
    assert als_ndcg > mean_ndcg + 0.1
