"""notebooks/search.ipynb runs from top to bottom."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebook_outputs import run_notebook

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "search.ipynb"


@pytest.mark.slow
def test_search_notebook_runs():
    outputs, _ = run_notebook(NOTEBOOK)
    assert "status" in outputs  # the dashboard link
    assert "'pca': 6" in outputs  # prefix sharing: 3 folds x 2 PCA settings
