"""The core's factorization backends against a plain ``kwant.smatrix`` loop, per wire shape.

For each wire shape (clean, :func:`systems.wire`), one ``OpenSystem`` per backend
(``"mumps"``, ``"scipy"``, ``"rgf"``) computes the conductance matrix at a few
energies; the **plain Kwant loop** calls ``kwant.smatrix(fsyst, E, params=...)``
per energy in the same process.  Printed: wall time per energy of each, the
ratio backend / Kwant, the largest difference of G from Kwant's, and the load.
It is the measurement behind the rule of
:func:`workflows.scattering.backends.choose_backend` (RGF only on request).

Run from the repository root::

    .venv/bin/python benchmarks/bench_backends.py
    .venv/bin/python benchmarks/bench_backends.py --shapes 100x10 400x20 --energies 3
"""

from __future__ import annotations

import argparse
import os
import time

import kwant
import numpy as np

import systems
from workflows.scattering import OpenSystem
from workflows.scattering.backends import default_backend_name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["100x10", "200x20", "800x8"])
    parser.add_argument("--energies", type=int, default=3)
    args = parser.parse_args()
    names = ["mumps", "scipy", "rgf"] if default_backend_name() == "mumps" else ["scipy", "rgf"]
    energies = np.linspace(0.3, 1.2, args.energies)
    print(f"load {os.getloadavg()[0]:.2f}; {args.energies} energies per shape")
    for shape in args.shapes:
        length, width = (int(n) for n in shape.split("x"))
        fsyst = systems.wire(length, width).finalized()
        params = systems.resolve_params(fsyst, None)
        start = time.perf_counter()
        plain = [kwant.smatrix(fsyst, e, params=params).conductance_matrix() for e in energies]
        t_plain = (time.perf_counter() - start) / len(energies)
        line = [f"{shape}: kwant {1e3 * t_plain:.0f} ms"]
        for name in names:
            open_system = OpenSystem(fsyst, params=params, solver=name)
            start = time.perf_counter()
            ours = [open_system.conductance_matrix(e) for e in energies]
            elapsed = (time.perf_counter() - start) / len(energies)
            error = max(float(np.abs(a - b).max()) for a, b in zip(ours, plain, strict=True))
            line.append(
                f"{name} {1e3 * elapsed:.0f} ms ({elapsed / t_plain:.2f}×, |ΔG| {error:.0e})"
            )
        print("; ".join(line))


if __name__ == "__main__":
    main()
