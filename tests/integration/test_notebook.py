"""examples/quickstart.ipynb runs from top to bottom in a real Jupyter kernel, as a user runs it.

The kernel is this test's own Python (a kernelspec written for it, so a
``python3`` kernel installed elsewhere on the machine is never picked up), in
the ``examples/`` folder, with the example data generated into a temporary
folder (``MONITOR_EXAMPLE_DATA``) so the repository's own data is left alone.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.integration

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "quickstart.ipynb"
KERNEL = "monitor-quickstart-test"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec that starts this interpreter's ipykernel, found first on JUPYTER_PATH."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "monitor (tests)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(
        [str(tmp_path / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])]))
    for name in [n for n in os.environ if n.startswith("MONITOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MONITOR_EXAMPLE_DATA", str(tmp_path / "data"))
    return KERNEL


def _text(cell: nbformat.NotebookNode, kind: str) -> str:
    """Everything a code cell showed in ``kind`` (``text/plain``, ``text/html``) or printed."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output["text"])
        parts.append(output.get("data", {}).get(kind, ""))
    return "".join(parts)


def test_the_quickstart_runs_and_shows_the_drift(kernel, tmp_path):
    """Every cell runs; the table shows drifted columns, the last view is the report's SVG."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
        "commit the notebook without outputs")
    NotebookClient(notebook, kernel_name=kernel, timeout=300,
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    cells = {c["id"]: c for c in notebook.cells if c.cell_type == "code"}
    errors = [o for c in cells.values() for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    assert (tmp_path / "data" / "train.parquet").exists()  # generated where it was told
    assert "Roles(categorical=('state', 'product')" in _text(cells["quickstart-5"], "text/plain")
    printed = _text(cells["quickstart-7"], "text/plain")
    assert "dataset drift: True" in printed and "columns drifted" in printed
    table = _text(cells["quickstart-8"], "text/plain").splitlines()
    drifted = {line.split()[0] for line in table[2:] if " True " in f" {line} "}
    assert {"age", "income", "state", "score"} <= drifted
    report = _text(cells["quickstart-10"], "text/html")
    assert report.startswith("<style>") and "<svg" in report and 'class="card drifted' in report
    assert "credit.yaml is valid (0 warnings)" in _text(cells["quickstart-13"], "text/plain")
    assert "credit-scoring [" in _text(cells["quickstart-14"], "text/plain")
