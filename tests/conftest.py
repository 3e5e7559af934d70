"""Shared test helpers: executing the research notebooks with small parameters."""

from __future__ import annotations

import functools
import os
import unittest.mock
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property-based (fuzz) tests: one budget rule for all of them.  `make test` and CI use the
# short "ci" profile; MESOFLOW_FUZZ=long runs many more examples on request.  Each example
# has a 2 s deadline (a hang or a slow path is a failure, not a wait).
settings.register_profile(
    "ci",
    max_examples=25,
    deadline=2000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=1000,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("long" if os.environ.get("MESOFLOW_FUZZ") == "long" else "ci")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def execute_notebook(name: str, timeout: int = 600, stores: Path | None = None):
    """Execute ``notebooks/<name>`` top to bottom with ``MESOFLOW_QUICK=1`` and return it.

    Notebooks read ``os.environ.get("MESOFLOW_QUICK")`` in their first code cell
    and shrink their parameters when it is set; outputs are not written back.
    ``stores``: a directory of results stores shared with the other tests
    (``MESOFLOW_STORE_DIR``), where a notebook's expensive studies (the
    disorder ensemble) find the samples another test already computed.
    """
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    # The kernel inherits these when it starts; the test process gets its own back.
    settings = {"MESOFLOW_QUICK": "1", "MPLBACKEND": os.environ.get("MPLBACKEND", "Agg")}
    if stores is not None:
        settings["MESOFLOW_STORE_DIR"] = str(stores)
    client = nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    with unittest.mock.patch.dict(os.environ, settings):
        client.execute()
    return notebook


@pytest.fixture(scope="session")
def study_stores(tmp_path_factory) -> Path:
    """A directory of results stores shared by the whole test session.

    An expensive study run with ``store=study_stores / "<name>.sqlite"`` is
    computed once: the AAS disorder ensemble (150 rings) is shared by
    tests/workflows/studies/test_interference.py, the figure gallery
    (tests/workflows/app/test_figures.py) and the Aharonov–Bohm notebook.
    The store refuses a different study (other settings or grid), so a test
    can never read another's results by mistake.
    """
    return tmp_path_factory.mktemp("study-stores")


@pytest.fixture
def run_notebook(study_stores):
    """Fixture form of :func:`execute_notebook` (with the session's shared stores)."""
    return functools.partial(execute_notebook, stores=study_stores)
