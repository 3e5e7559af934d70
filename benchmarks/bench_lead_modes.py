"""A lead's mode solve: Kwant's ``lead.modes`` vs mesoflow's lead evaluated once.

:mod:`workflows.scattering.lead_matrices` evaluates a lead's H₀, V₁ and symmetries once
and solves its modes at each energy as Kwant does, without Kwant's identity projectors
for a lead without symmetry.  Timed here, in the same process, per lead and energy:

* **Kwant**: ``lead.modes(energy, params=params)`` (what mesoflow called before);
* **mesoflow**: ``lead_modes_at(matrices, energy)`` with ``matrices`` evaluated once;
* **guard+Kwant**: the band-edge guard (``check_lead``, evaluating the lead) and
  ``lead.modes``: what mesoflow's one door cost per lead and energy before;
* **one-door**: ``workflows.scattering.band_edges.lead_modes`` with the matrices kept (the
  guard's eigensolve and the mode solve), as an ``OpenSystem`` calls it now.

Leads: a one-orbital chain, a 3-site square strip, a 2-orbital spin–orbit strip (W = 3),
a 4-orbital ``kwant.continuum`` BHZ strip (W = 3), a 10-site strip, and a BdG lead with
a conservation law (which goes through ``kwant.physics.modes`` either way: it saves only
the evaluation of the lead).  Every answer is checked equal to Kwant's before timing.

Run from the repository root (state the load)::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_lead_modes.py
"""

from __future__ import annotations

import os
import time

import kwant
import kwant.continuum
import numpy as np

from workflows.scattering.band_edges import check_lead, lead_modes
from workflows.scattering.lead_matrices import lead_matrices, lead_modes_at

SIGMA_0, SIGMA_Z = np.eye(2), np.diag([1.0, -1.0])
SIGMA_X, SIGMA_Y = np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]])


def strip(width: int, norbs: int = 1, conservation: bool = False):
    lat = kwant.lattice.square(norbs=norbs)
    eye = np.eye(norbs) if norbs > 1 else 1
    law = dict(conservation_law=-SIGMA_Z, particle_hole=SIGMA_Y) if conservation else {}
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)), **law)
    if conservation:  # Kwant's superconductor tutorial lead (BdG)
        lead[(lat(0, y) for y in range(width))] = lambda site, mu: (4 - mu) * SIGMA_Z
        lead[lat.neighbors()] = -SIGMA_Z
    elif norbs == 2:  # Rashba + Zeeman (Kwant's spin–orbit tutorial)
        lead[(lat(0, y) for y in range(width))] = lambda site, mu: (
            (4 - mu) * SIGMA_0 + 0.1 * SIGMA_Z
        )
        lead[kwant.builder.HoppingKind((1, 0), lat, lat)] = -SIGMA_0 + 0.1j * SIGMA_Y
        lead[kwant.builder.HoppingKind((0, 1), lat, lat)] = -SIGMA_0 - 0.1j * SIGMA_X
    else:
        lead[(lat(0, y) for y in range(width))] = lambda site, mu: (4 - mu) * eye
        lead[lat.neighbors()] = -eye
    return lead.finalized(), dict(mu=0.0)


def bhz(width: int):
    template = kwant.continuum.discretize(
        "C*identity(4) + M*kron(sigma_0, sigma_z) - B*(k_x**2 + k_y**2)*kron(sigma_0, sigma_z)"
        " - D*(k_x**2 + k_y**2)*kron(sigma_0, sigma_0) + A*k_x*kron(sigma_z, sigma_x)"
        " - A*k_y*kron(sigma_0, sigma_y)"
    )
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead.fill(template, lambda site: 0 <= site.pos[1] < width, (0, 0))
    return lead.finalized(), dict(A=0.5, B=-1.0, C=0.0, D=-0.2, M=-0.3)


class _OneLead:
    """A stand-in finalized system with one lead, for ``band_edges.lead_modes``."""

    def __init__(self, lead):
        self.leads = [lead]


def per_call(function, energies, rounds: int = 5) -> float:
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for energy in energies:
            function(energy)
        best = min(best, (time.perf_counter() - start) / len(energies))
    return best


def time_lead(name: str, lead, params, energies) -> None:
    """Print the four timings of one lead (ms per energy) and the two ratios."""
    matrices = lead_matrices(lead, params)
    for energy in energies[:5]:  # equal before timed
        ours, theirs = lead_modes_at(matrices, energy), lead.modes(energy, params=params)
        np.testing.assert_array_equal(ours[1].selfenergy(), theirs[1].selfenergy())
    holder = _OneLead(lead)

    def former(energy):  # mesoflow before: the guard evaluated the lead, then lead.modes
        check_lead(lead, energy, params)
        lead.modes(energy, params=params)

    kwant_time = per_call(lambda e: lead.modes(e, params=params), energies)
    ours_time = per_call(lambda e: lead_modes_at(matrices, e), energies)
    former_time = per_call(former, energies)
    door_time = per_call(lambda e: lead_modes(holder, 0, e, params, matrices=matrices), energies)
    print(
        f"{name:32s} {kwant_time * 1e3:8.2f} {ours_time * 1e3:9.2f} "
        f"{kwant_time / ours_time:6.1f} {former_time * 1e3:12.2f} {door_time * 1e3:9.2f} "
        f"{former_time / door_time:6.1f}"
    )


def main() -> None:
    print(f"load average at start: {os.getloadavg()}")
    leads = {
        "chain (1 orbital)": strip(1),
        "square strip W=3": strip(3),
        "spin-orbit strip W=3 (2 orb.)": strip(3, norbs=2),
        "BHZ continuum W=3 (4 orb.)": bhz(3),
        "square strip W=10": strip(10),
        "BdG, conservation law W=3": strip(3, norbs=2, conservation=True),
    }
    energies = np.linspace(0.05, 0.95, 40) + 0.0123
    print(
        f"{'lead':32s} {'Kwant':>8s} {'mesoflow':>9s} {'ratio':>6s} "
        f"{'guard+Kwant':>12s} {'one-door':>9s} {'ratio':>6s}   (ms per energy)"
    )
    for name, (lead, params) in leads.items():
        time_lead(name, lead, params, energies)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
