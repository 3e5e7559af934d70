"""Shared test helpers: executing the research notebooks with small parameters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def execute_notebook(name: str, timeout: int = 600):
    """Execute ``notebooks/<name>`` top to bottom with ``MESOFLOW_QUICK=1`` and return it.

    Notebooks read ``os.environ.get("MESOFLOW_QUICK")`` in their first code cell
    and shrink their parameters when it is set; outputs are not written back.
    """
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    os.environ["MESOFLOW_QUICK"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute()
    return notebook


@pytest.fixture
def run_notebook():
    """Fixture form of :func:`execute_notebook`."""
    return execute_notebook
