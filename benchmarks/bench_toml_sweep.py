"""A TOML study with a flux axis (dispatched to one sweep) against plain kwant.smatrix calls.

The study: ``systems.ab_ring(20, 37, 4)`` (3062 sites), E = 1.0 t, 100 flux
values over one period, observables G and T between the two leads.
:func:`workflows.app.study_run.run_study` sees that ``phi`` is a Kwant
parameter along which the reduced sweep applies (a flux on the branch cut
changes 17 hoppings) and hands the whole axis to one :func:`workflows.sweep`:
one sparse factorization, then a small Dyson solve per value.  The time is
the whole study: loading and validating the file, building the ring,
the results store (one row per point), ``results.csv``, ``provenance.json``
and ``plot.png``.

The study runs twice: *cold* (the first run in the process: it builds and
finalizes the ring and imports matplotlib for the plot) and *warm* (a second
run with another output directory: the ring comes from the per-process memo
of :func:`workflows.runs.finalized_system`, as the reference's ring is built
outside its timing).  The reference: 100 calls ``kwant.smatrix(fsyst, 1.0,
params=...)`` on the same finalized ring (finalization not timed),
``transmission(1, 0)`` each.  The results must agree (to 1e-9).

Usage (from the repository root)::

    uv run python benchmarks/bench_toml_sweep.py
"""

from __future__ import annotations

import os
import tempfile
import textwrap
import time
from pathlib import Path

import kwant
import numpy as np

import systems
from workflows.app.study_run import run_study

STUDY = """
name = "ring_flux"
description = "AB ring of 3062 sites: G against flux"

[system]
builder = "ab_ring"
r_in = 20.0
r_out = 37.0
lead_width = 4

[params]
energy = 1.0

[grid]
phi = {start = 0.0, stop = 0.99, num = 100}

[[observables]]
kind = "conductance"
name = "G"

[[observables]]
kind = "transmission"
name = "T"
"""


def main() -> None:
    times = []
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ring_flux.toml"
        path.write_text(textwrap.dedent(STUDY))
        for run in ("cold", "warm"):
            start = time.perf_counter()
            table = run_study(path, output=Path(directory) / run, progress=False)
            times.append(time.perf_counter() - start)
    t_cold, t_warm = times

    fsyst = systems.ab_ring(20.0, 37.0, 4).finalized()
    phis = table["phi"].to_numpy()
    start = time.perf_counter()
    plain = [
        kwant.smatrix(fsyst, 1.0, params={**systems.NEUTRAL_PARAMS, "phi": phi}).transmission(1, 0)
        for phi in phis
    ]
    t_kwant = time.perf_counter() - start

    difference = np.abs(table["T"].to_numpy() - plain).max()
    print(f"uptime: {os.popen('uptime').read().strip()}")
    print(f"ring of {fsyst.graph.num_nodes} sites, {phis.size} flux values")
    print(f"sweep axis: {table.attrs['provenance']['sweep_axis']!r}")
    print(f"plain kwant.smatrix loop (finalized ring)    {t_kwant:7.2f} s")
    print(
        f"TOML study, cold (builds the ring, imports matplotlib) {t_cold:7.2f} s  "
        f"-> {t_kwant / t_cold:5.1f}x"
    )
    print(
        f"TOML study, warm (same process: ring memoized) {t_warm:7.2f} s  "
        f"-> {t_kwant / t_warm:5.1f}x"
    )
    print(f"max |T_study - T_kwant|                       {difference:.1e}")


if __name__ == "__main__":
    main()
