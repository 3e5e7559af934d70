"""Benchmarks of workflows.scan and workflows.adaptive_scan, as ratios in the same run.

1. Parallel speed-up: 16 energies of a 100×50 wire, 2 worker processes against the serial
   in-process executor (same scan, same store kind).  Reported for a warm pool (workers
   started and Kwant imported before the clock starts, as when one pool serves several
   scans) and for the default executor (pool started by the scan, cold).
2. Per-point overhead of ``scan`` (serial executor, with a results store, progress bar on)
   against a plain loop of the same Kwant calls on the same points.
3. Adaptive against uniform sampling of a resonance curve (double-barrier chain, T(E)):
   points needed for the same maximum interpolation error.

Usage (from the repository root)::

    uv run python benchmarks/bench_scan.py            # full
    uv run python benchmarks/bench_scan.py --quick    # smaller, a smoke test

Timings are wall-clock and noisy on a shared machine; each figure is the best of
``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import functools
import os
import tempfile
import time
from pathlib import Path

import kwant
import numpy as np
import threadpoolctl
from adaptive.learner.learner1D import curvature_loss_function

import workflows
from analysis import chain_transmission
from workflows.runs.options import RunOptions
from workflows.runs.recipes import SystemRecipe, finalized_system
from workflows.runs.scans import SerialExecutor, process_pool


def wire_point(energy: float, recipe: SystemRecipe) -> dict:
    """One Kwant solve: the transmission of a wire at one energy."""
    fsyst = finalized_system(recipe)
    return {"T": kwant.smatrix(fsyst, energy, params=PARAMS).transmission(1, 0)}


PARAMS = {"t": 1.0, "V": 0.0, "B": 0.0, "disorder": 0.0, "salt": "0"}


def best(functions, repeat: int) -> list[float]:
    """Best wall time of each function over ``repeat`` interleaved rounds (load drifts)."""
    times = [[] for _ in functions]
    for _ in range(repeat):
        for function, record in zip(functions, times, strict=True):
            start = time.perf_counter()
            function()
            record.append(time.perf_counter() - start)
    return [min(record) for record in times]


def parallel_speedup(length: int, width: int, points: int, repeat: int) -> None:
    recipe = SystemRecipe("wire", {"length": length, "width": width})
    energies = np.linspace(0.2, 1.6, points)
    point = functools.partial(wire_point, recipe=recipe)

    # first in the process: the scan starts the fork server (one import of mesoflow and
    # Kwant), two workers, and each worker finalizes the system once
    start = time.perf_counter()
    workflows.scan(
        point,
        {"energy": energies},
        run=RunOptions(progress=False),
    )
    t_cold = time.perf_counter() - start

    finalized_system(recipe)  # the serial runs finalize in this process: outside the clock

    def serial():
        workflows.scan(
            point,
            {"energy": energies},
            run=RunOptions(executor=SerialExecutor(), progress=False),
        )

    def serial_one_thread():
        with threadpoolctl.threadpool_limits(1):
            serial()

    with process_pool(2) as pool:
        # start both workers and finalize the system in each (one point per worker)
        workflows.scan(
            point,
            {"energy": [0.3, 0.5]},
            run=RunOptions(executor=pool, progress=False),
        )
        list(pool.map(time.sleep, [0.3, 0.3]))

        def parallel():
            workflows.scan(
                point,
                {"energy": energies},
                run=RunOptions(executor=pool, progress=False),
            )

        t_serial, t_serial_1, t_parallel = best([serial, serial_one_thread, parallel], repeat)

    print(f"\n1. Parallel speed-up: {points} points of a {length}×{width} wire")
    print(f"   serial, default BLAS threads {t_serial:7.2f} s  ({t_serial / points:.3f} s/point)")
    print(
        f"   serial, 1 BLAS thread        {t_serial_1:7.2f} s  ({t_serial_1 / points:.3f} s/point)"
    )
    print(
        f"   2 workers, warm pool         {t_parallel:7.2f} s  speed-up "
        f"{t_serial / t_parallel:.2f}× ({t_serial_1 / t_parallel:.2f}× against 1 thread)"
    )
    print(
        f"   default executor, cold       {t_cold:7.2f} s  speed-up {t_serial / t_cold:.2f}× "
        "(starts the fork server and workers, finalizes in each worker)"
    )


def _cpu_burn(n: int) -> float:
    total = 0.0
    for i in range(n):
        total += i * 0.5
    return total


def two_process_ceiling(n: int = 6_000_000) -> None:
    """What two processes can gain on this machine at best: a pure-Python CPU burn."""
    start = time.perf_counter()
    for _ in range(4):
        _cpu_burn(n)
    serial = time.perf_counter() - start
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        list(pool.map(_cpu_burn, [10, 10]))  # start the workers
        start = time.perf_counter()
        list(pool.map(_cpu_burn, [n] * 4))
        parallel = time.perf_counter() - start
    print(
        f"   machine ceiling: a pure-Python CPU burn on 2 processes runs "
        f"{serial / parallel:.2f}× faster than serially"
    )


def overhead(length: int, width: int, points: int, repeat: int) -> None:
    for size, n in (((length, width), points), ((20, 10), 200)):
        _overhead_case(size, n, repeat)
    machinery(2000, repeat)


def trivial_point(x: float) -> dict:
    return {"y": 2.0 * x}


def machinery(n: int, repeat: int) -> None:
    """The scan's own cost per point, measured with a point function that does no work."""

    def plain():
        for x in range(n):
            trivial_point(float(x))

    def scanned():
        with tempfile.TemporaryDirectory() as directory:
            with open(os.devnull, "w") as sink:
                _scan_with_bar(
                    trivial_point,
                    np.arange(n, dtype=float),
                    Path(directory) / "bench.sqlite",
                    sink,
                    axis="x",
                )

    t_plain, t_scan = best([plain, scanned], repeat)
    print(
        f"\n2. The scan's own cost (serial, store, progress bar), {n} points doing no work: "
        f"{1e3 * (t_scan - t_plain) / n:.3f} ms/point"
    )


def _overhead_case(size: tuple[int, int], n: int, repeat: int) -> None:
    recipe = SystemRecipe("wire", {"length": size[0], "width": size[1]})
    energies = np.linspace(0.2, 1.6, n)
    fsyst = finalized_system(recipe)
    point = functools.partial(wire_point, recipe=recipe)

    def plain():
        for energy in energies:
            kwant.smatrix(fsyst, energy, params=PARAMS).transmission(1, 0)

    def scanned():
        with tempfile.TemporaryDirectory() as directory:
            store = Path(directory) / "bench.sqlite"
            with open(os.devnull, "w") as sink:  # keep the progress bar, not its output
                _scan_with_bar(point, energies, store, sink)

    t_plain, t_scan = best([plain, scanned], repeat)
    extra = (t_scan - t_plain) / n
    print(
        f"\n2. Overhead of scan (serial, store, progress bar): {n} points of a "
        f"{size[0]}×{size[1]} wire"
    )
    print(
        f"   plain Kwant loop {t_plain:7.3f} s   scan {t_scan:7.3f} s   "
        f"overhead {100 * (t_scan / t_plain - 1):+.1f} %  ({1e3 * extra:+.2f} ms/point)"
    )


def _scan_with_bar(point, values, store, sink, axis="energy"):
    with contextlib.redirect_stderr(sink):
        workflows.scan(
            point,
            {axis: values},
            run=RunOptions(executor=SerialExecutor(), store=store, progress=True),
        )


# -- adaptive sampling ------------------------------------------------------------------------

CHAIN_LENGTH = 6
BARRIER = 2.5
POTENTIAL = [BARRIER] + [0.0] * (CHAIN_LENGTH - 2) + [BARRIER]
CHAIN = SystemRecipe("chain", {"length": CHAIN_LENGTH})


def _double_barrier_potential(x):
    return BARRIER if x in (0, CHAIN_LENGTH - 1) else 0.0


def double_barrier(energy: float) -> dict:
    """Kwant: transmission of a chain with barriers on its end sites (Fabry–Pérot resonances)."""
    fsyst = finalized_system(CHAIN)
    smatrix = kwant.smatrix(fsyst, energy, params={**PARAMS, "V": _double_barrier_potential})
    return {"T": smatrix.transmission(1, 0)}


def uniform_points_needed(bounds, error, dense, exact) -> int:
    """Smallest uniform grid whose linear interpolation is within ``error`` everywhere."""
    low, high = 2, 100_000
    while low < high:
        n = (low + high) // 2
        grid = np.linspace(*bounds, n)
        values = chain_transmission(grid, POTENTIAL)
        if np.max(np.abs(np.interp(dense, grid, values) - exact)) <= error:
            high = n
        else:
            low = n + 1
    return low


def adaptive_vs_uniform(default_goals, curvature_goals) -> None:
    bounds = (0.05, 2.0)
    dense = np.linspace(*bounds, 400_001)
    exact = chain_transmission(dense, POTENTIAL)
    print(
        f"\n3. Adaptive vs uniform sampling: T(E) of a {CHAIN_LENGTH}-site chain with barriers "
        f"V = {BARRIER} t on both ends, E in {bounds} t"
    )
    cases = (
        ("default loss", None, default_goals),
        ("curvature loss", curvature_loss_function(), curvature_goals),
    )
    for label, loss, goals in cases:
        for goal in goals:
            start = time.perf_counter()
            table = workflows.adaptive_scan(
                double_barrier,
                "energy",
                bounds,
                observable="T",
                loss_goal=goal,
                max_points=5000,
                loss_per_interval=loss,
                run=RunOptions(executor=SerialExecutor(), progress=False),
            )
            elapsed = time.perf_counter() - start
            check = np.max(np.abs(table["T"] - chain_transmission(table["energy"], POTENTIAL)))
            assert check < 1e-10, check
            error = np.max(np.abs(np.interp(dense, table["energy"], table["T"]) - exact))
            uniform = uniform_points_needed(bounds, error, dense, exact)
            print(
                f"   {label:15s} goal {goal:<5g} adaptive {len(table):5d} points "
                f"({elapsed:5.1f} s)  max error {error:.4f}  uniform needs {uniform:5d}  "
                f"ratio {uniform / len(table):.1f}×"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    print(f"environment: {workflows.runs.environment_info()}")
    if args.quick:
        parallel_speedup(30, 15, 8, 1)
        overhead(30, 15, 8, 1)
        adaptive_vs_uniform([0.05], [0.01])
    else:
        parallel_speedup(100, 50, 16, args.repeat)
        two_process_ceiling()
        overhead(100, 50, 16, args.repeat)
        adaptive_vs_uniform([0.05, 0.02], [0.02, 0.01])


if __name__ == "__main__":
    main()
