"""Cost of the band-edge guard: ``conductance_vs_energy`` with and without it, and plain Kwant.

The guard (:mod:`workflows.scattering.band_edges`) runs at every energy for every lead:
one QZ of the lead's 2n × 2n transfer pencil with left and right eigenvectors (n orbitals
per lead cell) plus the lead's cell Hamiltonian and hopping.  Three timings on the same
finalized system in this process, per energy axis:

* **guarded**: ``workflows.conductance_vs_energy`` as shipped;
* **unguarded**: the same with the guard's check replaced by a no-op (monkeypatched here
  only), i.e. the cost of the solve alone;
* **plain Kwant**: ``kwant.smatrix(...).conductance_matrix()`` per energy.

The figures of merit are guarded / unguarded (the guard's overhead) and guarded / plain.
Energies avoid band edges (the guard passes everywhere).

Run from the repository root (state the load; OPENBLAS_NUM_THREADS=1 on a busy machine)::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_band_edge_guard.py
"""

from __future__ import annotations

import os
import time
from unittest import mock

import kwant
import numpy as np

import systems
import workflows
from workflows.scattering import band_edges


def honeycomb_ribbon(width: int, length: int) -> kwant.system.FiniteSystem:
    """A zigzag graphene ribbon in a field (flux B in radians), leads along x."""
    lat = kwant.lattice.honeycomb(norbs=1)

    def hopping(a, b, B):
        (x1, y1), (x2, y2) = a.pos, b.pos
        return -np.exp(-1j * B * (x2 - x1) * (y1 + y2) / 2)

    syst = kwant.Builder()
    syst[lat.shape(lambda p: 0 <= p[0] < length and 0 <= p[1] < width, (0, 0))] = 0
    syst[lat.neighbors()] = hopping
    lead = kwant.Builder(kwant.TranslationalSymmetry(lat.vec((-1, 0))))
    lead[lat.shape(lambda p: 0 <= p[1] < width, (0, 0))] = 0
    lead[lat.neighbors()] = hopping
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


def timed(function, rounds: int = 3) -> float:
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    cases = [
        ("wire 10×5", systems.wire(10, 5).finalized(), {}, np.linspace(0.31, 7.7, 40)),
        ("wire 100×30", systems.wire(100, 30).finalized(), {}, np.linspace(0.11, 1.9, 20)),
        ("wire 300×40", systems.wire(300, 40).finalized(), {}, np.linspace(0.21, 1.5, 10)),
        ("zigzag 10×30, B", honeycomb_ribbon(10, 30), {"B": 0.02}, np.linspace(0.13, 1.2, 20)),
    ]
    print(f"load {os.getloadavg()[0]:.2f} (1 min), OPENBLAS_NUM_THREADS=", end="")
    print(os.environ.get("OPENBLAS_NUM_THREADS", "unset"))
    print(
        f"{'system':18} {'n/lead':>6} {'guarded':>9} {'unguarded':>9} {'plain':>9} "
        f"{'overhead':>9} {'vs plain':>9}"
    )
    for name, fsyst, params, energies in cases:
        resolved = systems.resolve_params(fsyst, params)
        norbs = fsyst.leads[0].cell_hamiltonian(params=resolved).shape[0]

        def guarded(fsyst=fsyst, params=params, energies=energies):
            workflows.conductance_vs_energy(fsyst, energies, params=params)

        def unguarded(guarded=guarded):
            with mock.patch.object(band_edges, "check_lead", lambda *a, **k: None):
                guarded()

        def plain(fsyst=fsyst, resolved=resolved, energies=energies):
            for e in energies:
                kwant.smatrix(fsyst, e, params=resolved).conductance_matrix()

        t_guarded, t_unguarded, t_plain = timed(guarded), timed(unguarded), timed(plain)
        print(
            f"{name:18} {norbs:6d} {t_guarded:9.3f} {t_unguarded:9.3f} {t_plain:9.3f} "
            f"{t_guarded / t_unguarded:9.2f} {t_plain / t_guarded:9.2f}"
        )


if __name__ == "__main__":
    main()
