"""notebooks/search.ipynb runs from top to bottom."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebook_outputs import stderr_outputs, text_outputs

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "search.ipynb"


@pytest.mark.slow
def test_search_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    outputs = text_outputs(nb)
    # No warnings or text progress bars: nothing on the cells' stderr.
    stderr = stderr_outputs(nb)
    assert not stderr, stderr
    assert "status" in outputs  # the dashboard link
    assert "'pca': 6" in outputs  # prefix sharing: 3 folds x 2 PCA settings
