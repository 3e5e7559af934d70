"""Shared fixture of the application tests: a user's session on another matplotlib backend."""

from __future__ import annotations

import contextlib

import matplotlib
import pytest


@contextlib.contextmanager
def _svg_backend():
    previous = matplotlib.get_backend()
    matplotlib.use("svg")
    seen = {}
    try:
        yield seen
        seen["after"] = matplotlib.get_backend()
    finally:
        matplotlib.use(previous)


@pytest.fixture(scope="session")
def svg_backend():
    """A context manager that runs its block under the non-GUI 'svg' backend (as a user's
    session that is not on Agg) and records the backend left behind in ``seen["after"]``."""
    return _svg_backend
