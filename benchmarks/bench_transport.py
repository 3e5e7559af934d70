"""Cost of the noise matrix and of the thermoelectric coefficients, as ratios.

Each observable is timed against the conductance matrix alone in the same run
(``kwant.smatrix(...).conductance_matrix()`` for a system with modes, the
interface-Green's-function route for one with dephasing probes):

* **noise matrix** (``workflows.noise_matrix``): one scattering matrix plus
  the Büttiker contraction, O(M² n²) for n channels over M terminals;
* **noise with floating probes** (``fano_factor(..., probe_model="dephasing")``):
  the Fisher–Lee s from the interface Green's function plus the elimination;
* **thermoelectric coefficients** (``workflows.studies.thermoelectric``): the
  adaptive grid of 𝒯(E) (one Kwant solve per point, counted) plus the moments.

Run from the repository root::

    .venv/bin/python benchmarks/bench_transport.py
    .venv/bin/python benchmarks/bench_transport.py --width 30 --length 60 --probes 40
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
from workflows.studies.thermoelectric import transmission_function


def best_of(repeats: int, function):
    """(smallest wall time, last result) over ``repeats`` calls."""
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=40)
    parser.add_argument("--width", type=int, default=20)
    parser.add_argument("--probes", type=int, default=30, help="chain length with probes")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    wire = systems.wire(args.length, args.width).finalized()
    params = systems.resolve_params(wire, dict(disorder=1.0, salt="1"))
    energy = 1.0
    t_g, _ = best_of(
        args.repeats, lambda: kwant.smatrix(wire, energy, params=params).conductance_matrix()
    )
    t_noise, _ = best_of(
        args.repeats,
        lambda: workflows.noise_matrix(
            wire, energy, params=params, potentials=[0.1, 0.0], temperature=0.01
        ),
    )
    t_fano, _ = best_of(args.repeats, lambda: workflows.fano_factor(wire, energy, params=params))
    n_modes = kwant.smatrix(wire, energy, params=params).num_propagating(0)
    print(f"wire {args.length}x{args.width}, E = {energy} t, {n_modes} modes per lead")
    print(f"  conductance matrix (kwant.smatrix)   {t_g * 1e3:8.1f} ms   1.00")
    print(f"  noise matrix                         {t_noise * 1e3:8.1f} ms   {t_noise / t_g:.2f}")
    print(f"  Fano factor                          {t_fano * 1e3:8.1f} ms   {t_fano / t_g:.2f}")

    func = transmission_function(wire, params=params)
    for temperature, tol in [(0.01, 1e-5), (0.01, 1e-6), (0.05, 1e-5)]:
        evaluations = len(window_grid(func, [(energy, temperature)], tol=tol)[0])
        t_te, _ = best_of(
            1,
            lambda temperature=temperature, tol=tol: workflows.thermoelectric(
                wire, energy, temperature, params=params, tol=tol
            ),
        )
        print(
            f"  thermoelectric k_BT={temperature:<5} tol={tol:.0e} {t_te * 1e3:8.1f} ms   "
            f"{t_te / t_g:.1f}  ({evaluations} energies: {t_te / evaluations / t_g:.2f} per point)"
        )

    builder = systems.chain(args.probes)
    systems.attach_dephasing_probes(builder, "all")
    chain = builder.finalized()
    cparams = systems.resolve_params(chain, dict(eta=0.5))
    t_gp, _ = best_of(
        args.repeats, lambda: workflows.conductance_matrix(chain, 1.0, params=cparams)
    )
    t_fp, _ = best_of(
        args.repeats,
        lambda: workflows.fano_factor(chain, 1.0, params=cparams, probe_model="dephasing"),
    )
    print(f"chain of {args.probes} sites with a dephasing probe on each ({args.probes + 2} leads)")
    print(f"  conductance matrix (Green's function) {t_gp * 1e3:7.1f} ms   1.00")
    print(f"  Fano factor, probes floating          {t_fp * 1e3:7.1f} ms   {t_fp / t_gp:.2f}")
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
