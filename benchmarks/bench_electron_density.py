"""Electron density at finite bias: ``electron_density`` vs a ``kwant.wave_function`` loop.

A clean wire built by :func:`systems.wire` (default 2,000 × 20 = 40,000 sites),
reservoirs at μ ± eV/2 with eV = 0.1 t and k_B T = 0.01 t, tolerance 1e-6 per
site.  **mesoflow**: :func:`workflows.electron_density` (recursive Green's
function over slices, run once per block of energies with stacked slices and
batched LAPACK: the equilibrium part at Ozaki's Fermi poles, bound states
included; the bias-window part by adaptive Gauss–Kronrod quadrature, each
refinement round one batch).
**Plain Kwant loop**: ``kwant.wave_function(fsyst, E)`` at every real energy of
mesoflow's window grid, densities Σ_l Σ_modes |ψ_l|² (f_l − f_ref)/2π summed by
the trapezoid rule on those energies — the window part only (a wave-function
density cannot count bound states, and has no equilibrium part).  The figure of
merit is the ratio of wall times for the same number of real energies, and the
peak memory (resident set).  The wave functions are timed on a sample of the
energies of the same wire and extrapolated linearly to all of them (each call
does the same work).  Wall and CPU time (user + sys, ``resource.getrusage``) and
the load average (``uptime``) are printed: on a shared machine the CPU time is
the figure that does not depend on the other jobs.

Run from the repository root::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_electron_density.py
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_electron_density.py --length 200
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import time

import kwant
import numpy as np

import systems
import workflows


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=2000)
    parser.add_argument("--width", type=int, default=20)
    parser.add_argument("--energy", type=float, default=0.9)
    parser.add_argument("--bias", type=float, default=0.1)
    parser.add_argument("--temperature", type=float, default=0.01)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--kwant-energies", type=int, default=12, help="wave functions timed")
    args = parser.parse_args()

    fsyst = systems.wire(args.length, args.width).finalized()
    kwant_params = systems.resolve_params(fsyst, None)  # mesoflow's neutral values
    mus = [args.energy + args.bias / 2, args.energy - args.bias / 2]
    print(
        f"wire {args.length}×{args.width} ({len(fsyst.sites)} sites), mu {mus}, "
        f"k_B T {args.temperature}, tol {args.tol}"
    )
    print(f"before: {_uptime()}; peak RSS after building {_rss_mb():.0f} MB")
    before = _rss_mb()
    cpu, start = _cpu_s(), time.perf_counter()
    result = workflows.electron_density(fsyst, mu=mus, temperature=args.temperature, tol=args.tol)
    t_ours, cpu_ours = time.perf_counter() - start, _cpu_s() - cpu
    print(
        f"mesoflow: wall {t_ours:.1f} s, CPU {cpu_ours:.1f} s, method {result.method}, "
        f"{result.n_poles} pole pairs (x2: reference and top reservoir), "
        f"{result.energies.size} real energies, pole error {result.pole_error:.1e}, "
        f"window error {result.window_error:.1e}, peak RSS {_rss_mb():.0f} MB "
        f"(+{_rss_mb() - before:.0f} MB)"
    )
    print(f"after mesoflow: {_uptime()}")
    n_complex = 2 * result.n_poles
    per_energy_ours = t_ours / (n_complex + result.energies.size)
    # The plain loop: wave functions at a subset of the same energies, extrapolated.
    sample = result.energies[:: max(1, result.energies.size // args.kwant_energies)]
    cpu, start = _cpu_s(), time.perf_counter()
    for energy in sample:
        wf = kwant.wave_function(fsyst, energy, params=kwant_params)
        occupations = 1 / (1 + np.exp((energy - np.array(mus)) / args.temperature))
        _ = sum(
            (occupations[lead] - occupations[1]) * np.sum(np.abs(wf(lead)) ** 2, axis=0)
            for lead in range(2)
        )
    scale = result.energies.size / sample.size
    t_plain, cpu_plain = (time.perf_counter() - start) * scale, (_cpu_s() - cpu) * scale
    print(
        f"plain kwant.wave_function loop over the {result.energies.size} window energies: "
        f"wall {t_plain:.1f} s, CPU {cpu_plain:.1f} s (extrapolated from {sample.size}); "
        f"per energy: mesoflow {1e3 * per_energy_ours:.1f} ms (all {n_complex} complex and "
        f"{result.energies.size} real energies), "
        f"Kwant {1e3 * t_plain / result.energies.size:.1f} ms"
    )
    print(
        f"ratio plain window part / mesoflow whole density: wall {t_plain / t_ours:.2f}, "
        f"CPU {cpu_plain / cpu_ours:.2f}; per energy (wall) "
        f"{t_plain / result.energies.size / per_energy_ours:.2f}"
    )
    print(f"end: {_uptime()}; peak RSS {_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
