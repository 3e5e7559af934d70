"""Dispatch cost of the supervised pool against concurrent.futures.ProcessPoolExecutor.

:class:`workflows.runs.workers.SupervisedPool` (the default executor of ``scan``) gives each
worker one task at a time and waits for its answer before the next, so that a dead or
hung worker costs only its own task.  This measures what that costs per task: 2000
trivial tasks (the identity) on 2 warm workers of each pool, started from the same fork
server, best of 3.  A Kwant point takes milliseconds to seconds; the difference per task
is what matters.

Usage (from the repository root)::

    uv run python benchmarks/bench_pool.py
"""

from __future__ import annotations

import concurrent.futures
import time

from workflows.runs.executors import worker_context
from workflows.runs.workers import SupervisedPool


def identity(x):
    return x


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
