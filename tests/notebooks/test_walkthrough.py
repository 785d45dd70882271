"""The fund-manager walkthrough notebook executes top to bottom against a real champion.

The kernel is this project's Python (``sys.executable``), registered as a kernel spec
in a temporary Jupyter path, so no global Jupyter installation is involved.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01-screening-walkthrough.ipynb"
KERNEL = "srdi-project-venv"

pytestmark = pytest.mark.slow


@pytest.fixture()
def project_kernel(tmp_path, monkeypatch) -> str:
    """A kernel spec that starts ipykernel with the interpreter running the tests."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "SRDI project venv",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return KERNEL


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if "text" in output:
            parts.append(output["text"])
        data = output.get("data", {})
        parts.append(data.get("text/plain", ""))
        parts.append(data.get("text/html", ""))
    return "\n".join(parts)


def test_walkthrough_runs_against_the_registered_champion(
    trained_store, project_kernel, monkeypatch, tmp_path
) -> None:
    for key, value in trained_store.env().items():
        monkeypatch.setenv(key, value)
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    NotebookClient(
        notebook,
        kernel_name=project_kernel,
        timeout=600,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()

    # Kept for a person to read (test-artifacts/ is git-ignored).
    artifacts = NOTEBOOK.parents[1] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    nbformat.write(notebook, artifacts / "01-screening-walkthrough.executed.ipynb")

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    everything = "\n".join(_text(c) for c in code)
    assert f"model srdi-potential version {trained_store.model_version}" in everything
    assert "400 of 400 rows scored" in everything
    # The three questions, each ranking the same list.
    for question in ("next provincial SRDI", "next Little Giant", "re-review risk"):
        assert f"{question}:" in everything, question
    assert "srdi-little-giant" in everything and "srdi-retention" in everything
    # The ranking table, the figures (distribution, calibration, drivers) and the
    # explanation of the top firm all produced output.
    images = [o for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 4
    assert "top_reasons" in everything
    assert "Why: next provincial SRDI" in everything and "Every question" in everything
    assert "Provincial SRDI SME" in everything
