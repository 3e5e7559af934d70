"""One store, one writer: a second scan on a store in use is refused; a stale lock is not."""

from __future__ import annotations

import functools
import os
import socket

import pytest

import workflows
from workflows.runs.executors import SerialExecutor
from workflows.runs.options import RunOptions
from workflows.runs.store import ResultsStore, StoreBusyError, StoreMismatchError


def logged(x, log):
    """Records that it ran, in ``log``."""
    log.append(x)
    return {"y": 2 * x}


def test_a_second_scan_on_a_store_in_use_is_refused_naming_the_first(tmp_path):
    store = tmp_path / "s.sqlite"
    grid = {"x": [1, 2, 3]}
    log: list[int] = []
    point = functools.partial(logged, log=log)
    with ResultsStore.open(
        store,
        kind="grid",
        point_name="first",
        point_sha256="0",
        scan_sha256="0",
        parameters=["x"],
        description="the first scan",
        points=[{"x": x} for x in grid["x"]],
    ):
        with pytest.raises(StoreBusyError) as busy:
            workflows.scan(
                point,
                grid,
                run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
            )
        assert f"host {socket.gethostname()}, pid {os.getpid()}, since " in str(busy.value)
        assert log == []  # refused before any work
    # the first scan ended: its lock is gone and the store is open again
    with pytest.raises(StoreMismatchError):
        workflows.scan(
            point,
            grid,
            run=RunOptions(executor=SerialExecutor(), store=store, progress=False),
        )


def test_a_stale_lock_file_does_not_block_a_resume(tmp_path):
    store = tmp_path / "s.sqlite"
    # as left by a scan killed with SIGKILL on another node: the file stays, its flock is gone
    (tmp_path / "s.sqlite.lock").write_text('{"host": "gone", "pid": 1, "since": "then"}')
    table = workflows.scan(
        functools.partial(logged, log=[]),
        {"x": [1, 2]},
        run=RunOptions(executor=SerialExecutor(), store=store),
    )
    assert table["error"].isna().all()
