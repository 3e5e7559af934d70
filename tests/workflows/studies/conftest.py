"""Shared fixtures of the study tests: one two-worker pool, one BLAS thread."""

from __future__ import annotations

import pytest
import threadpoolctl

import workflows


@pytest.fixture(scope="session")
def two_workers():
    """One supervised pool of two workers, shared by the study tests (started once)."""
    with workflows.process_pool(2) as pool:
        yield pool


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread_for_small_systems():
    """One BLAS thread, as the pool's workers run (see tests/workflows/scattering/conftest.py:
    the studies' systems are small, a second OpenBLAS thread only contends for the cores)."""
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield
