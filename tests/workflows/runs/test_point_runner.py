"""Time limits of points on every executor; the point function sent once per worker."""

from __future__ import annotations

import concurrent.futures
import functools
import os
import sys
import time

import cloudpickle
import numpy as np
import pytest

import workflows
from workflows.runs.executors import SerialExecutor, worker_context
from workflows.runs.options import RunOptions
from workflows.runs.payloads import PointNotCached

# The point functions below must reach worker processes, which cannot import this
# test module (pytest imports it by path): send them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def slow_point(s):
    time.sleep(s)
    return {"s2": s}


def test_a_serial_point_over_the_time_limit_is_recorded_as_failed():
    table = workflows.scan(
        slow_point,
        {"s": [0.0, 0.6]},
        run=RunOptions(executor=SerialExecutor(), timeout=0.3, progress=False),
    )
    assert table["error"][0] is None
    assert table["error"][1].startswith("TimeoutError: the point ran 0.6")


def test_a_timeout_on_a_foreign_executor_records_the_point_as_failed():

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        table = workflows.scan(
            sleepy,
            {"s": [0.0, 1.5, 0.0]},
            run=RunOptions(executor=pool, timeout=0.5, progress=False),
        )
    assert table["error"].isna().tolist() == [True, False, True]
    assert table["error"][1].startswith("TimeoutError: the point ran longer than timeout=0.5 s")


def sleepy(s: float) -> dict:
    time.sleep(s)
    return {"slept": s}


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan"), float("inf"), "10", True])
def test_timeout_must_be_a_positive_finite_number(timeout):
    with pytest.raises((TypeError, ValueError), match="timeout"):
        workflows.scan(
            sleepy,
            {"s": [0.0]},
            run=RunOptions(executor=SerialExecutor(), timeout=timeout),
        )


def offset_point(x: int, table: np.ndarray) -> dict:
    return {"y": x + table[x], "pid": os.getpid()}


class RecordingPool(concurrent.futures.ProcessPoolExecutor):
    """A user's process pool that records the pickled size of every task it is given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.task_bytes: list[int] = []

    def submit(self, fn, /, *args, **kwargs):
        self.task_bytes.append(len(cloudpickle.dumps((fn, args, kwargs))))
        return super().submit(fn, *args, **kwargs)


def test_a_users_process_pool_gets_the_point_function_once_per_worker():
    table = np.arange(100_000, dtype=float)  # the point function pickles to ~800 kB
    point = functools.partial(offset_point, table=table)
    n = 60
    with RecordingPool(2, mp_context=worker_context()) as pool:
        result = workflows.scan(
            point,
            {"x": range(n)},
            run=RunOptions(executor=pool, progress=False),
        )
    assert result["error"].isna().all() and (result["y"] == 2 * result["x"]).all()
    big = [size for size in pool.task_bytes if size > 100_000]
    small = [size for size in pool.task_bytes if size <= 100_000]
    refused = len(pool.task_bytes) - n  # tasks a worker refused for want of the pickle
    # the pickle goes with the first 2 × 2 tasks, with each refused task sent again and
    # the 2 tasks after it; every other task carries only its hash (a few hundred bytes)
    assert len(big) <= 4 + 3 * refused and max(small) < 2_000
    assert len(big) < n / 2  # before: every task carried the pickle


def test_workers_that_never_saw_the_point_function_get_it_again():
    # every task on a fresh worker: each one that carries only the hash is refused
    # by its worker (PointNotCached) and sent again with the point function
    point = functools.partial(offset_point, table=np.arange(20_000, dtype=float))
    with concurrent.futures.ProcessPoolExecutor(
        2, mp_context=worker_context(), max_tasks_per_child=1
    ) as pool:
        result = workflows.scan(
            point,
            {"x": range(8)},
            run=RunOptions(executor=pool, progress=False),
        )
    assert result["error"].isna().all() and (result["y"] == 2 * result["x"]).all()
    assert result["pid"].nunique() == 8


class _RefusingExecutor(concurrent.futures.Executor):
    """A foreign executor whose worker lacks the point function: a task carrying only its
    hash is refused after ``refuse_after`` s; a task carrying the pickle runs after
    ``run_after`` s (in a thread of this process, standing in for a fresh worker)."""

    def __init__(self, refuse_after: float, run_after: float):
        self._threads = concurrent.futures.ThreadPoolExecutor(4)
        self.refuse_after, self.run_after = refuse_after, run_after
        self.refused = 0

    def submit(self, fn, /, *args, **kwargs):
        if isinstance(args[0], str):  # the hash only
            self.refused += 1
            return self._threads.submit(self._refuse)
        return self._threads.submit(self._run, fn, *args, **kwargs)

    def _refuse(self):
        time.sleep(self.refuse_after)
        raise PointNotCached("this worker has no point function")

    def _run(self, fn, *args, **kwargs):
        time.sleep(self.run_after)
        return fn(*args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._threads.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_a_refused_task_gets_a_fresh_clock_when_it_is_sent_again():
    # The second point goes with the hash only and is refused at 0.8 s; sent again with
    # the point function it runs 0.4 s more.  Its limit (1 s) counts from the resend,
    # since the refused task never ran: 1.2 s after submission, it is not a timeout.
    executor = _RefusingExecutor(refuse_after=0.8, run_after=0.4)
    with executor:
        point = functools.partial(offset_point, table=np.arange(2, dtype=float))
        table = workflows.scan(
            point,
            {"x": [0, 1]},
            run=RunOptions(executor=executor, timeout=1.0, progress=False),
        )
    assert executor.refused == 1
    assert table["error"].isna().all(), table["error"].tolist()
    assert (table["y"] == 2 * table["x"]).all()
