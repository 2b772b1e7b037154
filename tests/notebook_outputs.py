"""What an executed notebook printed: its text outputs, and its stderr less the lines the
environment (not the notebook) can cause."""

# A busy machine or another process, not the notebook's code: a taken default dashboard
# port, a worker process slow to exit when the cluster closes.
# (the port warning spans three lines and the source line that raised it)
ENVIRONMENT = (
    "Port 8787 is already in use",
    "Perhaps you already have a cluster running?",
    "Hosting the HTTP server on port",
    "  warnings.warn(",
    "Worker process still alive after",
)


def text_outputs(nb):
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def stderr_outputs(nb):
    """Every stderr stream of the code cells (warnings, text progress bars), without the
    environment's lines."""
    found = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                lines = [ln for ln in o.get("text", "").splitlines() if ln.strip()]
                lines = [ln for ln in lines if not any(e in ln for e in ENVIRONMENT)]
                found.extend(lines)
    return found


def run_notebook(path, timeout=300, clear_outputs=False):
    """Execute the notebook at ``path`` in a fresh ``python3`` kernel (working directory: its
    folder), assert nothing reached its cells' stderr, and return ``(outputs, seconds)``: its
    text outputs and the wall time of the execution.  Skips when nbformat / nbclient are
    missing.  ``clear_outputs`` drops saved outputs first (run fresh, not from them)."""
    import time

    import pytest

    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    if clear_outputs:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=timeout, resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    # No warnings or text progress bars: nothing on the cells' stderr.
    stderr = stderr_outputs(nb)
    assert not stderr, stderr
    return text_outputs(nb), seconds
