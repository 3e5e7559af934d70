"""A disorder ensemble on 2 worker processes against the same study run serially.

The Altshuler–Aronov–Spivak ensemble of the test suite and the figure gallery,
at full size: ``systems.ab_ring(10, 20, 8)`` (982 sites), E = 0.95 t,
W = 2.5 t, 400 samples, 16 flux values per sample (one reduced
:func:`workflows.sweep` per sample).  ``workflows.disorder_ensemble`` runs its
samples through :func:`workflows.scan`:

* **serial**: the default executor (:class:`workflows.SerialExecutor`, in this
  process, native threads as the environment sets them);
* **2 workers**: ``executor=workflows.process_pool(2)``, pool start-up
  (importing Kwant in the workers) included in the time; then the same study
  again on the started pool (as when one pool serves several studies).

The two tables must be equal (to rounding: the workers pin BLAS to one thread).

With ``rounds`` > 1 the serial run and the run on the started pool alternate
``rounds`` times and the best time of each is kept (on a shared machine the other
jobs come and go; the cold pool is timed once, as it is started once).

Usage (from the repository root)::

    uv run python benchmarks/bench_studies.py [n_samples] [rounds]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import systems
import workflows
from workflows.runs.options import RunOptions


def main(n_samples: int = 400, rounds: int = 1) -> None:
    ring = systems.ab_ring(10, 20, 8).finalized()
    salts = [str(i) for i in range(n_samples)]
    flux = np.linspace(0, 1, 16, endpoint=False)
    kwargs = dict(disorder=2.5, flux=flux)
    workflows.disorder_ensemble(ring, 0.95, salts[:2], **kwargs)  # warm up (imports, caches)

    def serial_run() -> tuple[float, object]:
        start = time.perf_counter()
        table = workflows.disorder_ensemble(ring, 0.95, salts, **kwargs)
        return time.perf_counter() - start, table

    t_serial, serial = serial_run()
    start = time.perf_counter()
    with workflows.process_pool(2) as pool:
        parallel = workflows.disorder_ensemble(
            ring, 0.95, salts, run=RunOptions(executor=pool), **kwargs
        )
        t_parallel = time.perf_counter() - start
        t_warm = np.inf
        for round_ in range(rounds):  # serial and started pool interleaved: best of each
            if round_:
                t_serial = min(t_serial, serial_run()[0])
            start = time.perf_counter()  # again on the started pool: the dispatch alone
            workflows.disorder_ensemble(ring, 0.95, salts, run=RunOptions(executor=pool), **kwargs)
            t_warm = min(t_warm, time.perf_counter() - start)

    difference = np.abs(serial["G"].to_numpy() - parallel["G"].to_numpy()).max()
    print(f"uptime: {os.popen('uptime').read().strip()}")
    print(f"{n_samples} samples x {flux.size} flux values, ring of {ring.graph.num_nodes} sites")
    per_sample = t_serial / n_samples * 1e3
    best = f"best of {rounds}" if rounds > 1 else "one run"
    print(f"serial (SerialExecutor)     {t_serial:7.2f} s  ({per_sample:.1f} ms/sample, {best})")
    print(f"2 workers (process_pool(2)) {t_parallel:7.2f} s  (pool start-up included)")
    print(f"speed-up                    {t_serial / t_parallel:7.2f}x")
    print(f"2 workers, pool started     {t_warm:7.2f} s  -> {t_serial / t_warm:.2f}x ({best})")
    print(f"max |G_serial - G_pool|     {difference:.1e}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 400,
        int(sys.argv[2]) if len(sys.argv) > 2 else 1,
    )
