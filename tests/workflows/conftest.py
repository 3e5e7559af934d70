"""Helpers shared by the workflow tests: stopping a run midway."""

from __future__ import annotations

import pytest

import workflows


class InterruptAfter(workflows.SerialExecutor):
    """Runs ``n`` tasks in process, then raises KeyboardInterrupt (a Ctrl-C mid-run)."""

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
