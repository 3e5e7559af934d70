"""Conductance along an energy axis: ``conductance_vs_energy`` vs a ``kwant.smatrix`` loop.

A disordered wire built by :func:`systems.wire` (12,000 sites by default), 20
energies.  **Plain Kwant loop**: ``kwant.smatrix(fsyst, E, params=...)`` per
energy and its ``conductance_matrix()`` — Kwant assembles the Hamiltonian
(calling every value function) and factorizes the whole open system at every
energy.  **mesoflow**: ``workflows.conductance_vs_energy``, whose scattering core
(:class:`workflows.scattering.OpenSystem`) assembles H once and, per energy, only
adds the lead self-energies to MUMPS's Schur complement of E − H on the lead
interfaces (no right-hand-side solves).  Both run in this process on the same
finalized system; the figure of merit is the ratio of wall times and the largest
difference of the two-terminal conductances.

Run from the repository root::

    .venv/bin/python benchmarks/bench_energy_axis.py
    .venv/bin/python benchmarks/bench_energy_axis.py --length 100 --width 20 --energies 5
"""

from __future__ import annotations

import argparse
import os
import time

import kwant
import numpy as np

import systems
import workflows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=300)
    parser.add_argument("--width", type=int, default=40)
    parser.add_argument("--energies", type=int, default=20)
    parser.add_argument("--disorder", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    fsyst = systems.wire(args.length, args.width).finalized()
    params = {"disorder": args.disorder, "salt": "bench"}
    kwant_params = {"t": 1.0, "V": 0.0, "B": 0.0, **params}
    energies = np.linspace(0.2, 1.5, args.energies)
    print(
        f"wire {args.length}×{args.width} ({len(fsyst.sites)} sites), disorder "
        f"{args.disorder} t, {args.energies} energies; load {os.getloadavg()[0]:.2f}"
    )
    for round_ in range(args.rounds):
        start = time.perf_counter()
        plain = [
            -kwant.smatrix(fsyst, e, params=kwant_params).conductance_matrix()[1, 0]
            for e in energies
        ]
        t_plain = time.perf_counter() - start
        start = time.perf_counter()
        ours = workflows.conductance_vs_energy(fsyst, energies, params=params)["G"].to_numpy()
        t_ours = time.perf_counter() - start
        print(
            f"round {round_}: kwant.smatrix loop {t_plain:.2f} s, conductance_vs_energy "
            f"{t_ours:.2f} s, ratio {t_plain / t_ours:.2f}, max |ΔG| "
            f"{np.abs(np.asarray(plain) - ours).max():.1e} e²/h"
        )


if __name__ == "__main__":
    main()
