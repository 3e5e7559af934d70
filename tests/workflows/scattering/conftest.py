"""One BLAS thread for the scattering tests (as the pool workers and the NEGF solvers run).

The systems here are small: OpenBLAS's second thread only contends for the two cores that
the two pytest-xdist workers already use.  Measured (spin-orbit wire of
tests/workflows/test_user_systems.py, 2 cores at load 9): 39 ms of CPU per conductance
solve with OpenBLAS's default threads, 20 ms with one.  Results are the same to rounding
(the process pools of workflows.runs pin their workers to one thread already, and the
tests that compare a serial run with a pool run bit for bit pass either way).
"""

from __future__ import annotations

import pytest
import threadpoolctl


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread_for_small_systems():
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield
