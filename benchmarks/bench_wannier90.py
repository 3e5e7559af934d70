"""Building a device from a real Wannier90 model: vectorized fill vs Kwant's HoppingKind loop.

The silicon sp3 model of tests/data/wannier90_silicon (8 Wannier functions,
every hopping kept: 184 hopping kinds per cell) as a [100] wire of square
cross-section ``width`` × ``width`` cubic cells and length ``length`` cubic
cells.  Both builds make the same system (tests/systems/test_wannier90_silicon.py
checks the Hamiltonians are identical); the plain one assigns
``builder[HoppingKind] = matrix`` for every kind (Kwant's idiom, also
TBmodels' ``add_hoppings_kwant``).  Times include building and finalizing;
peak memory is the resident set's high-water mark.

Run from the repository root::

    .venv/bin/python benchmarks/bench_wannier90.py --width 3 --length 6
    .venv/bin/python benchmarks/bench_wannier90.py --width 6 --length 24 --skip-plain
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings
from pathlib import Path

from systems.wannier90 import from_wannier90, wannier90_device

DATA = Path(__file__).parents[1] / "tests" / "data" / "wannier90_silicon"
A = 5.3976  # Å


def build(crystal, width: int, length: int, vectorized: bool):
    half = width * A / 2
    cross = lambda p: abs(p[1]) <= half and abs(p[2]) <= half  # noqa: E731
    shape = lambda p: cross(p) and abs(p[0]) <= length * A / 2  # noqa: E731
    start = time.perf_counter()
    syst = wannier90_device(
        crystal,
        shape,
        (0, 0, 0),
        lead_direction=(-1, 1, -1),
        lead_shape=cross,
        vectorized=vectorized,
    )
    built = time.perf_counter() - start
    fsyst = syst.finalized()
    total = time.perf_counter() - start
    hoppings = int(fsyst.graph.num_edges) // 2
    return built, total, len(fsyst.sites), hoppings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=3)
    parser.add_argument("--length", type=int, default=6)
    parser.add_argument("--skip-plain", action="store_true")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        crystal = from_wannier90(
            DATA / "silicon_hr.dat",
            win_file=DATA / "silicon.win",
            xyz_file=DATA / "silicon_centres.xyz",
            wsvec_file=DATA / "silicon_wsvec.dat",
        )
    print(f"load average {os.getloadavg()}")
    fast = build(crystal, args.width, args.length, True)
    print(
        f"vectorized: build {fast[0]:.1f} s, build+finalize {fast[1]:.1f} s, "
        f"{fast[2]} sites, {fast[3]} site-pair hoppings"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")
    if not args.skip_plain:
        plain = build(crystal, args.width, args.length, False)
        print(f"HoppingKind loop: build {plain[0]:.1f} s, build+finalize {plain[1]:.1f} s")
        print(
            f"ratio plain/vectorized: build {plain[0] / fast[0]:.1f}x, "
            f"total {plain[1] / fast[1]:.1f}x"
        )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
