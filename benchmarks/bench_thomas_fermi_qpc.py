"""Thomas–Fermi self-consistent split-gate QPC: 10⁴ sites, a 3D mesh of ≤ 2×10⁵ nodes.

A GaAs 2DEG (m* = 0.067, g = 2) at depth 50 nm under two gate fingers on a pinned surface,
a donor sheet 4×10¹¹ cm⁻² at 20 nm below the surface; the tight-binding QPC is
``systems.wire(125, 80)`` at a = 4 nm (10,000 sites, 500 × 320 nm).  The Poisson mesh is
10 nm over the device, graded (×1.35) out to a box ten times the device on every side.

**mesoflow**: :class:`systems.electrostatics.PoissonProblem` (set-up and the separable
direct solver's eigendecompositions, once), the affine map at the sites, then
:func:`workflows.electrostatics.thomas_fermi` to 1e-6 V (cold start, then a warm start at
the next gate voltage).  **Plain Kwant**: one ``kwant.smatrix`` of the same QPC with the
self-consistent potential (the conductance that the potential is for): the figure of merit
is the self-consistent solve in units of that one Kwant call, plus iterations and the time
per Poisson solve.

Run from the repository root::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_thomas_fermi_qpc.py
"""

from __future__ import annotations

import argparse
import os
import time

import kwant
import numpy as np

import systems
from systems.electrostatics import (
    Gate,
    Layout,
    PoissonProblem,
    SheetCharge,
    SiteElectrostatics,
    SitePotential,
    layout_grid,
    site_positions,
)
from workflows.electrostatics import square_lattice, thomas_fermi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=125, help="sites along the wire")
    parser.add_argument("--width", type=int, default=80, help="sites across")
    parser.add_argument("--a", type=float, default=4.0, help="lattice constant, nm")
    parser.add_argument("--spacing", type=float, default=10.0, help="mesh spacing, nm")
    parser.add_argument("--growth", type=float, default=1.35)
    parser.add_argument("--gate", type=float, default=-0.35, help="finger voltage, V")
    args = parser.parse_args()
    print("load:", os.getloadavg())
    units = systems.Units.for_material("GaAs", args.a)
    length_nm, width_nm = args.length * args.a, args.width * args.a
    gap, finger = 120.0, 100.0
    fingers = [
        Gate("top", [(-finger / 2, gap / 2), (finger / 2, gap / 2), (finger / 2, 1e5),
                     (-finger / 2, 1e5)]),
        Gate("bottom", [(-finger / 2, -1e5), (finger / 2, -1e5), (finger / 2, -gap / 2),
                        (-finger / 2, -gap / 2)]),
    ]  # fmt: skip
    layout = Layout(gates=fingers, depth=50.0, charges=[SheetCharge(-20.0, 4e11)])
    region = [(-length_nm / 2 - 10, length_nm / 2 + 10), (-width_nm / 2 - 10, width_nm / 2 + 10)]

    start = time.perf_counter()
    grid = layout_grid(layout, region, args.spacing, growth=args.growth)
    problem = PoissonProblem(layout, grid)
    setup = time.perf_counter() - start
    fsyst = systems.wire(args.length, args.width).finalized()
    origin = (-(args.length - 1) * args.a / 2, -(args.width - 1) * args.a / 2)
    positions = site_positions(fsyst, units, origin=origin, height=-layout.depth)
    start = time.perf_counter()
    es = SiteElectrostatics(problem, positions)
    mapping = time.perf_counter() - start
    print(f"sites {len(positions)}, mesh {grid.shape} = {grid.size} nodes, solver {problem.solver}")
    print(f"Poisson set-up {setup:.2f} s, site map {mapping:.2f} s")

    calls = [0]
    interaction = es.interaction

    def counted(charge):
        calls[0] += 1
        return interaction(charge)

    es.interaction = counted
    band = square_lattice(units)
    results, times = [], []
    for label, voltage, initial in (("cold", args.gate, None), ("warm", args.gate - 0.01, "last")):
        calls[0] = 0
        start = time.perf_counter()
        solution = thomas_fermi(
            es,
            {"top": voltage, "bottom": voltage},
            band,
            initial=results[-1] if initial else None,
        )
        elapsed = time.perf_counter() - start
        results.append(solution)
        times.append(elapsed)
        print(
            f"{label}: V_g = {voltage:+.3f} V, {solution.iterations} Newton iterations, "
            f"{calls[0]} Poisson solves, {elapsed:.2f} s ({elapsed / calls[0] * 1e3:.1f} ms per "
            f"solve), residual {solution.residuals[-1]:.1e} eV, density "
            f"{solution.density.max() / args.a**2 * 1e14:.3g} cm⁻² max, "
            f"{np.mean(solution.density == 0):.0%} of sites depleted"
        )
    potential = SitePotential(fsyst, results[0].energy, units=units)
    energy = units.energy_in_t(5.0)  # 5 meV above the band bottom of the leads
    start = time.perf_counter()
    smatrix = kwant.smatrix(
        fsyst,
        float(energy),
        params={"t": 1.0, "V": potential, "B": 0.0, "disorder": 0.0, "salt": "0"},
    )
    kwant_time = time.perf_counter() - start
    total = setup + mapping + times[0]
    print(
        f"kwant.smatrix once: {kwant_time:.2f} s (G = {smatrix.transmission(1, 0):.3f} e²/h)\n"
        f"self-consistent potential from scratch (set-up + cold solve) {total:.2f} s = "
        f"{total / kwant_time:.1f} kwant calls; warm point {times[1] / kwant_time:.1f} kwant calls"
    )
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
