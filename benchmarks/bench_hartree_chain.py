"""Hartree self-consistent chain of N sites (issue 23 item 5): time, iterations.

The device of ``tests/workflows/electrostatics/test_hartree.py`` (a = 10 nm, t = 1 eV,
ε_r = 100, contact sheets beyond the ends, a top gate over the middle), N sites long,
solved at zero bias (the equilibrium part of the density only: Fermi poles) and, with a
second argument, at that bias (V, the source at −V/2 and the drain at +V/2: the density's
bias-window part on the real axis as well), warm-started from the equilibrium solution as
a scan along the bias does.  Run: ``uv run python benchmarks/bench_hartree_chain.py 500 0.1``.
"""

from __future__ import annotations

import os
import sys
import time

import kwant

import systems
from systems.electrostatics import (
    Gate,
    Layout,
    PoissonProblem,
    SiteElectrostatics,
    layout_grid,
    site_positions,
)
from workflows.electrostatics import HartreeDevice, hartree

A, DEPTH = 10.0, 20.0
UNITS = systems.Units(A, t_meV=1000.0)


def _onsite(site, V):
    return 2.0 + V(*site.pos)


def _source_band(site, V_source):
    return 2.0 + V_source


def _drain_band(site, V_drain):
    return 2.0 + V_drain


def device(sites: int) -> HartreeDevice:
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(sites))] = _onsite
    syst[lat.neighbors()] = -1.0
    for band, direction in ((_source_band, -1), (_drain_band, 1)):
        lead = kwant.Builder(kwant.TranslationalSymmetry((direction,)))
        lead[lat(0)] = band
        lead[lat.neighbors()] = -1.0
        syst.attach_lead(lead)
    fsyst = syst.finalized()
    length = (sites - 1) * A
    layout = Layout(
        gates=[
            Gate("source", (-1e3, -A), height=-DEPTH),
            Gate("drain", (length + A, length + 1e3), height=-DEPTH),
            Gate("gate", (0.3 * length, 0.7 * length), height=0.0),
        ],
        depth=DEPTH,
        eps_r=100.0,
        surface="free",
        far_field="free",
    )
    grid = layout_grid(layout, [(-2 * A, length + 2 * A)], A / 2, box=[(-3e3, length + 3e3)])
    positions = site_positions(fsyst, UNITS, origin=(0.0,), height=-DEPTH)
    return HartreeDevice(
        fsyst,
        SiteElectrostatics(PoissonProblem(layout, grid), positions),
        UNITS,
        contacts=("source", "drain"),
        lead_potentials=("V_source", "V_drain"),
        voltages={"source": 0.0, "drain": 0.0, "gate": -0.1},
    )


def main(sites: int, bias: float | None) -> None:
    start = time.perf_counter()
    dev = device(sites)
    built = time.perf_counter() - start
    start = time.perf_counter()
    state = hartree(dev, energy=0.5, temperature=0.05, tolerance=1e-6)
    solved = time.perf_counter() - start
    print(
        f"N={sites}: setup {built:.1f} s, Hartree {solved:.1f} s, {state.iterations} "
        f"iterations, residuals {[f'{r:.1e}' for r in state.residuals]}, load "
        f"{os.getloadavg()[0]:.1f}"
    )
    if bias is None:
        return
    voltages = dict(dev.voltages, source=-bias / 2, drain=bias / 2)
    start, cpu = time.perf_counter(), time.process_time()
    biased = hartree(
        dev, energy=0.5, temperature=0.05, voltages=voltages, tolerance=1e-6, initial=state
    )
    solved, cpu = time.perf_counter() - start, time.process_time() - cpu
    cache = dev.lead_cache()
    print(
        f"N={sites}, bias {bias} V: Hartree {solved:.1f} s (CPU {cpu:.1f} s), "
        f"{biased.iterations} iterations, residuals {[f'{r:.1e}' for r in biased.residuals]}, "
        f"lead self-energies {cache.misses} solved / {cache.hits} from the cache, load "
        f"{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 500,
        float(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
