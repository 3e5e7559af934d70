"""Dispatch cost of the supervised pool against concurrent.futures.ProcessPoolExecutor.

:class:`workflows.runs.workers.SupervisedPool` (the default executor of ``scan``) gives each
worker one task at a time and waits for its answer before the next, so that a dead or
hung worker costs only its own task.  This measures what that costs per task: 2000
trivial tasks (the identity) on 2 warm workers of each pool, started from the same fork
server, best of 3.  A Kwant point takes milliseconds to seconds; the difference per task
is what matters.

Second part: the cost per point of ``workflows.scan`` on a user's pool (a
``ProcessPoolExecutor(2)`` and a ``workflows.process_pool(2)``, both warm) when the point
function is large (a ``functools.partial`` binding a 720 kB array, as a point function
that binds a finalized Hall bar pickles to ~715 kB) against a tiny one: 400 trivial
points, 2 rounds.

Usage (from the repository root)::

    uv run python benchmarks/bench_pool.py
"""

from __future__ import annotations

import concurrent.futures
import functools
import time

import numpy as np

import workflows
from workflows.runs.executors import worker_context
from workflows.runs.options import RunOptions
from workflows.runs.workers import SupervisedPool


def identity(x):
    return x


def offset(x, blob):
    return {"y": x + blob[0]}


def per_point(n: int = 400, rounds: int = 2) -> None:
    large = functools.partial(offset, blob=np.zeros(90_000))  # 720 kB
    small = functools.partial(offset, blob=np.zeros(1))
    grid = {"x": range(n)}
    with (
        concurrent.futures.ProcessPoolExecutor(2, mp_context=worker_context()) as futures_pool,
        workflows.process_pool(2) as own_pool,
    ):
        pools = {"ProcessPoolExecutor": futures_pool, "process_pool": own_pool}
        for pool in pools.values():
            workflows.scan(
                small,
                {"x": range(4)},
                run=RunOptions(executor=pool, progress=False),
            )  # start
        for _ in range(rounds):
            for name, pool in pools.items():
                for label, point in (("720 kB", large), ("8 B", small)):
                    start = time.perf_counter()
                    workflows.scan(
                        point,
                        grid,
                        run=RunOptions(executor=pool, progress=False),
                    )
                    elapsed = (time.perf_counter() - start) / n
                    print(f"scan on {name:20} point {label:7} {elapsed * 1e3:.2f} ms per point")


def per_task(pool, n: int, repeat: int = 3) -> float:
    list(pool.map(identity, range(4)))  # start the workers
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        futures = [pool.submit(identity, i) for i in range(n)]
        for future in futures:
            future.result()
        best = min(best, time.perf_counter() - start)
    return best / n


if __name__ == "__main__":
    n = 2000
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=worker_context()) as pool:
        reference = per_task(pool, n)
    with SupervisedPool(2, mp_context=worker_context()) as pool:
        supervised = per_task(pool, n)
    print(f"ProcessPoolExecutor  {reference * 1e3:.3f} ms per task")
    print(f"SupervisedPool       {supervised * 1e3:.3f} ms per task")
    print(f"difference           {(supervised - reference) * 1e3:+.3f} ms per task")
    per_point()
