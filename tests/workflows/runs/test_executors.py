"""Executors: the serial executor, the local process pool (threads pinned, systems cached)."""

from __future__ import annotations

import functools
import multiprocessing
import os
import subprocess
import sys

import cloudpickle
import pytest
import threadpoolctl

import workflows
from workflows.runs.executors import SerialExecutor
from workflows.runs.options import RunOptions
from workflows.runs.recipes import SystemRecipe, finalized_system

# The point functions below must reach worker processes, which cannot import this
# test module (pytest imports it by path): send them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_serial_executor_follows_the_executor_protocol():
    # submit runs at once; map/shutdown are concurrent.futures' (adaptive's
    # SequentialExecutor gets map with several iterables and cancel_futures wrong)
    executor = SerialExecutor()
    assert list(executor.map(pow, [2, 3], [2, 2])) == [4, 9]
    future = executor.submit(divmod, 1, 0)
    assert future.done() and isinstance(future.exception(), ZeroDivisionError)
    executor.shutdown(wait=False, cancel_futures=True)
    assert workflows.runs.executors.executor_capacity(executor) == 1


def worker_identity(i: int, recipe: SystemRecipe) -> dict:
    fsyst = finalized_system(recipe)
    return {
        "pid": os.getpid(),
        "finalized": finalized_system.cache_info().misses,
        "sites": fsyst.graph.num_nodes,
        "blas_threads": max(pool["num_threads"] for pool in threadpoolctl.threadpool_info()),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }


def test_default_process_pool_finalizes_each_system_once_per_worker():
    recipe = SystemRecipe("wire", {"length": 6, "width": 3})
    table = workflows.scan(
        functools.partial(worker_identity, recipe=recipe),
        {"i": range(8)},
        run=RunOptions(progress=False),
    )
    assert table["error"].isna().all()
    assert table["sites"].eq(18).all()
    assert os.getpid() not in set(table["pid"])  # the points ran in worker processes
    # the finalized system is memoized per process: at most one build in each worker
    assert table.groupby("pid")["finalized"].max().le(1).all()
    # native thread pools pinned: one BLAS/OpenMP thread per worker process
    assert table["blas_threads"].eq(1).all() and table["OMP_NUM_THREADS"].eq("1").all()
    assert "SupervisedPool" in table.attrs["provenance"]["executor"]


PRELOAD = """
import multiprocessing
import multiprocessing.forkserver as forkserver

from workflows.runs.executors import worker_context

multiprocessing.set_forkserver_preload(["json"])  # the user's own list
worker_context()
print(forkserver._forkserver._preload_modules)
multiprocessing.set_forkserver_preload(["json"])
forkserver.ensure_running()  # a fork server that runs already is left alone
worker_context()
print(forkserver._forkserver._preload_modules)
"""


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="POSIX")
def test_worker_context_adds_workflows_to_the_users_preload_list_before_the_server_starts():
    # in a fresh interpreter: this process's fork server may be running already
    output = subprocess.run(
        [sys.executable, "-c", PRELOAD], check=True, capture_output=True, text=True, timeout=120
    ).stdout.split("\n")
    assert output[:2] == ["['json', 'workflows.api']", "['json']"]
