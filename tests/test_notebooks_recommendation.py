"""notebooks/recommendation.ipynb runs from top to bottom, in under a minute."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.notebook_outputs import run_notebook

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "recommendation.ipynb"


@pytest.mark.slow
def test_recommendation_notebook_runs():
    outputs, seconds = run_notebook(NOTEBOOK)
    assert seconds < 120  # under 60 s on an idle machine
    train_rmse, test_rmse = map(
        float, re.search(r"train RMSE ([\d.]+), test RMSE ([\d.]+)", outputs).groups()
    )
    baseline_rmse = float(re.search(r"training mean: test RMSE ([\d.]+)", outputs).group(1))
    assert train_rmse < test_rmse < 0.7 * baseline_rmse
    als_ndcg = float(re.search(r"ALS +NDCG@10 ([\d.]+)", outputs).group(1))
    mean_ndcg = float(re.search(r"item mean +NDCG@10 ([\d.]+)", outputs).group(1))
    assert als_ndcg > mean_ndcg + 0.1
