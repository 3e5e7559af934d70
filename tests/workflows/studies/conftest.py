"""Shared fixtures of the study tests: one two-worker pool (one BLAS thread: tests/conftest.py)."""

from __future__ import annotations

import pytest

import workflows


@pytest.fixture(scope="session")
def two_workers():
    """One supervised pool of two workers, shared by the study tests (started once)."""
    with workflows.process_pool(2) as pool:
        yield pool
