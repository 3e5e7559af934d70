"""Shared helpers of the study tests: stopping a study midway, one two-worker pool."""

from __future__ import annotations

import pytest

import workflows
from workflows.runs.scans import SerialExecutor


class InterruptAfter(SerialExecutor):
    """Runs ``n`` tasks in process, then raises KeyboardInterrupt (a Ctrl-C mid-study)."""

    def __init__(self, n: int):
        self.n = n

    def submit(self, fn, /, *args, **kwargs):
        if self.n == 0:
            raise KeyboardInterrupt
        self.n -= 1
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
def interrupt_after():
    """``interrupt_after(n)``: an executor that runs ``n`` tasks, then raises KeyboardInterrupt."""
    return InterruptAfter


@pytest.fixture(scope="session")
def two_workers():
    """One supervised pool of two workers, shared by the study tests (started once)."""
    with workflows.process_pool(2) as pool:
        yield pool
