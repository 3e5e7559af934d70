"""Executors: the serial executor, the local process pool (threads pinned, systems cached)."""

from __future__ import annotations

import functools
import os
import sys

import cloudpickle
import threadpoolctl

import workflows
from workflows.runs.recipes import SystemRecipe, finalized_system

# The point functions below must reach worker processes, which cannot import this
# test module (pytest imports it by path): send them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


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
        functools.partial(worker_identity, recipe=recipe), {"i": range(8)}, progress=False
    )
    assert table["error"].isna().all()
    assert table["sites"].eq(18).all()
    assert os.getpid() not in set(table["pid"])  # the points ran in worker processes
    # the finalized system is memoized per process: at most one build in each worker
    assert table.groupby("pid")["finalized"].max().le(1).all()
    # native thread pools pinned: one BLAS/OpenMP thread per worker process
    assert table["blas_threads"].eq(1).all() and table["OMP_NUM_THREADS"].eq("1").all()
    assert "SupervisedPool" in table.attrs["provenance"]["executor"]
