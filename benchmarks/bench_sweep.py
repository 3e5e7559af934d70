"""Flux sweeps of an Aharonov–Bohm ring: ``workflows.sweep`` (reduced) vs a plain Kwant loop.

The plain loop is what one would write without mesoflow: ``kwant.smatrix`` per
flux value and its ``conductance_matrix()``.  Both run in this process, one
after the other, on the same finalized system; the figure of merit is the ratio
of wall times and the largest difference of the conductance matrices.

Run from the repository root::

    .venv/bin/python benchmarks/bench_sweep.py            # rings of ~2,000 and ~10,000 sites
    .venv/bin/python benchmarks/bench_sweep.py --values 50 --rings 20,32
"""

from __future__ import annotations

import argparse
import time

import kwant
import numpy as np

import systems
import workflows

#: (r_in, r_out) of the benchmark rings: about 2,000 and 10,000 sites with 12-site leads.
DEFAULT_RINGS = ((20.0, 32.0), (45.0, 72.0))


def plain_kwant_loop(fsyst, energy: float, flux: np.ndarray) -> np.ndarray:
    """What a user would write by hand: one ``kwant.smatrix`` per flux value."""
    base = {"t": 1.0, "V": 0.0, "disorder": 0.0, "salt": "0"}
    return np.array(
        [
            kwant.smatrix(fsyst, energy, params={**base, "phi": phi}).conductance_matrix()
            for phi in flux
        ]
    )


def bench_ring(r_in: float, r_out: float, lead_width: int, energy: float, n_values: int) -> dict:
    fsyst = systems.ab_ring(r_in, r_out, lead_width).finalized()
    flux = np.linspace(0.0, 2.0, n_values)
    start = time.perf_counter()
    reduced = workflows.sweep(fsyst, energy, "phi", flux, method="reduced")
    t_reduced = time.perf_counter() - start
    start = time.perf_counter()
    plain = plain_kwant_loop(fsyst, energy, flux)
    t_plain = time.perf_counter() - start
    return {
        "sites": len(fsyst.sites),
        "values": n_values,
        "t_plain_s": t_plain,
        "t_reduced_s": t_reduced,
        "ratio": t_plain / t_reduced,
        "max_abs_diff": float(np.abs(reduced - plain).max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=200, help="flux values per sweep")
    parser.add_argument("--energy", type=float, default=0.5, help="energy in units of t")
    parser.add_argument("--lead-width", type=int, default=12)
    parser.add_argument(
        "--rings",
        nargs="*",
        default=None,
        help="rings as r_in,r_out (default: %(default)s -> 20,32 and 45,72)",
    )
    args = parser.parse_args()
    rings = (
        DEFAULT_RINGS
        if not args.rings
        else [tuple(float(x) for x in ring.split(",")) for ring in args.rings]
    )
    info = workflows.runs.environment_info()
    print(
        f"kwant {info['kwant']}, solver {info['solver']}, {info['cpu_count']} cores, "
        f"threads: {info['native_threads']}"
    )
    print(
        f"{'sites':>7} {'values':>6} {'plain (s)':>10} {'reduced (s)':>12} {'ratio':>8} "
        f"{'max |ΔG| (e²/h)':>16}"
    )
    for r_in, r_out in rings:
        row = bench_ring(r_in, r_out, args.lead_width, args.energy, args.values)
        print(
            f"{row['sites']:>7} {row['values']:>6} {row['t_plain_s']:>10.2f} "
            f"{row['t_reduced_s']:>12.3f} {row['ratio']:>8.0f} {row['max_abs_diff']:>16.1e}"
        )


if __name__ == "__main__":
    main()
