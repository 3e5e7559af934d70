"""Time limits of points on every executor, and the check of the limit itself."""

from __future__ import annotations

import concurrent.futures
import time

import pytest

import workflows
from workflows.runs.executors import SerialExecutor


def slow_point(s):
    time.sleep(s)
    return {"s2": s}


def test_a_serial_point_over_the_time_limit_is_recorded_as_failed():
    table = workflows.scan(
        slow_point, {"s": [0.0, 0.6]}, executor=SerialExecutor(), timeout=0.3, progress=False
    )
    assert table["error"][0] is None
    assert table["error"][1].startswith("TimeoutError: the point ran 0.6")


def test_a_timeout_on_a_foreign_executor_records_the_point_as_failed():

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        table = workflows.scan(
            sleepy, {"s": [0.0, 1.5, 0.0]}, executor=pool, timeout=0.5, progress=False
        )
    assert table["error"].isna().tolist() == [True, False, True]
    assert table["error"][1].startswith("TimeoutError: the point ran longer than timeout=0.5 s")


def sleepy(s: float) -> dict:
    time.sleep(s)
    return {"slept": s}


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan"), float("inf"), "10", True])
def test_timeout_must_be_a_positive_finite_number(timeout):
    with pytest.raises((TypeError, ValueError), match="timeout"):
        workflows.scan(sleepy, {"s": [0.0]}, executor=SerialExecutor(), timeout=timeout)
