"""Thermal energy windows through the run driver, as ratios against a plain Kwant loop.

The energies of a thermal window (``analysis.energy_grid.window_grid``'s
refinement) are computed three ways in the same run, and each is timed against
the plain loop ``kwant.smatrix(wire, E).transmission(1, 0)`` over the same
energies:

* **window_grid**: the serial refinement in this process (the reference: one
  Kwant solve per energy plus the refinement's bookkeeping);
* **window_scan, serial**: the same energies through the run driver on a
  ``SerialExecutor`` (its per-point cost: outcome records, progress, sampler);
* **window_scan, pool of n**: the same on a local process pool (workers
  finalize the system once from its recipe; the first tasks carry the pickled
  point function).

Run from the repository root (state the load, ``uptime``, with the numbers)::

    .venv/bin/python benchmarks/bench_window_scan.py
    .venv/bin/python benchmarks/bench_window_scan.py --length 60 --width 30 --workers 4
"""

from __future__ import annotations

import argparse
import os
import time

import kwant
import numpy as np

import systems
import workflows
from analysis.energy_grid import window_grid
from workflows.runs.recipes import SystemRecipe, finalized_system


def transmission(energy: float, length: int, width: int) -> dict:
    """T(E) of a clean wire, its system finalized once per process from its recipe."""
    wire = finalized_system(SystemRecipe("wire", {"length": length, "width": width}))
    params = systems.resolve_params(wire, {})
    return {"T": kwant.smatrix(wire, energy, params=params).transmission(1, 0)}


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=30)
    parser.add_argument("--width", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tol", type=float, default=1e-4)
    args = parser.parse_args()
    size = dict(length=args.length, width=args.width)
    windows = [(0.8, 0.02)]

    t_grid, (energies, _) = timed(
        lambda: window_grid(lambda e: transmission(e, **size)["T"], windows, tol=args.tol)
    )
    wire = finalized_system(SystemRecipe("wire", size))
    params = systems.resolve_params(wire, {})
    t_plain, _ = timed(
        lambda: [kwant.smatrix(wire, e, params=params).transmission(1, 0) for e in energies]
    )
    point = lambda energy: transmission(energy, **size)  # noqa: E731
    serial = workflows.RunOptions(executor=workflows.SerialExecutor(), progress=False)
    t_serial, table = timed(
        lambda: workflows.window_scan(point, windows, observable="T", tol=args.tol, run=serial)
    )
    assert np.array_equal(table["energy"], energies)
    with workflows.process_pool(args.workers) as pool:
        parallel = workflows.RunOptions(executor=pool, progress=False)
        t_pool, table = timed(
            lambda: workflows.window_scan(
                point, windows, observable="T", tol=args.tol, run=parallel
            )
        )
    assert np.array_equal(table["energy"], energies)
    print(f"{len(energies)} energies, wire {args.length}x{args.width}, load {os.getloadavg()}")
    print(f"plain Kwant loop              {t_plain:8.3f} s   1.00")
    print(f"window_grid (serial)          {t_grid:8.3f} s   {t_grid / t_plain:.2f}")
    print(f"window_scan, SerialExecutor   {t_serial:8.3f} s   {t_serial / t_plain:.2f}")
    print(f"window_scan, pool of {args.workers}        {t_pool:8.3f} s   {t_pool / t_plain:.2f}")


if __name__ == "__main__":
    main()
