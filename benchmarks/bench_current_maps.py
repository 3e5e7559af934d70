"""Current maps: ``workflows.current_density`` / ``biased_current_density`` vs plain Kwant.

The plain Kwant route is what one would write by hand for leads with modes:
``kwant.wave_function`` and ``kwant.operator.Current`` summed over the modes of
a lead; for a biased Hall bar with floating voltage probes additionally
``kwant.smatrix`` for the conductance matrix, the Büttiker bias solve, and the
wave functions of every lead weighted by its potential.  Both run in this
process, one after the other, on the same finalized system; the figures of
merit are the ratio of wall times (best of ``--repeat``) and the largest
difference of the maps.

Run from the repository root::

    .venv/bin/python benchmarks/bench_current_maps.py
    .venv/bin/python benchmarks/bench_current_maps.py --length 60 --width 20 --repeat 2
"""

from __future__ import annotations

import argparse
import time

import kwant
import numpy as np

import analysis
import systems
import workflows

BASE = {"t": 1.0, "V": 0.0, "disorder": 0.0, "salt": "0"}


def plain_lead_map(fsyst, energy, params, lead):
    current = kwant.operator.Current(fsyst).bind(params=params)
    states = kwant.wave_function(fsyst, energy, params=params)(lead)
    return sum(current(psi) for psi in states)


def plain_biased_map(fsyst, energy, params, voltages):
    G = kwant.smatrix(fsyst, energy, params=params).conductance_matrix()
    bias = analysis.solve_bias(G, voltages=voltages)
    current = kwant.operator.Current(fsyst).bind(params=params)
    states = kwant.wave_function(fsyst, energy, params=params)
    total = 0.0
    for lead, potential in enumerate(bias.voltages):
        if potential != 0:
            total = total + potential * sum(current(psi) for psi in states(lead))
    return total


def best_of(repeat, function):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=80)
    parser.add_argument("--width", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--energy", type=float, default=0.4)
    parser.add_argument("--field", type=float, default=0.03)
    args = parser.parse_args(argv)
    fsyst = systems.hall_bar(args.length, args.width, args.width // 3, arm_length=3).finalized()
    params = {**BASE, "B": args.field}
    energy, repeat = args.energy, args.repeat
    print(
        f"Hall bar {args.length}x{args.width}: {len(fsyst.sites)} sites, E = {energy}, "
        f"B = {args.field} h/e per plaquette"
    )

    t_ours, ours = best_of(
        repeat, lambda: workflows.current_density(fsyst, energy, params=params, lead=0)
    )
    t_plain, plain = best_of(repeat, lambda: plain_lead_map(fsyst, energy, params, 0))
    print(
        f"one lead:   mesoflow {t_ours:.3f} s, plain Kwant {t_plain:.3f} s, "
        f"plain/mesoflow {t_plain / t_ours:.2f}, max |diff| {np.abs(ours - plain).max():.1e}"
    )

    voltages = {0: 1.0, 1: 0.0}
    t_ours, ours = best_of(
        repeat,
        lambda: (
            workflows.scattering.biased_current_density(
                fsyst, energy, params=params, voltages=voltages
            ).current
        ),
    )
    t_plain, plain = best_of(repeat, lambda: plain_biased_map(fsyst, energy, params, voltages))
    print(
        f"biased map: mesoflow {t_ours:.3f} s, plain Kwant {t_plain:.3f} s, "
        f"plain/mesoflow {t_plain / t_ours:.2f}, max |diff| {np.abs(ours - plain).max():.1e}"
    )

    builder = systems.wire(50, 20)
    systems.attach_dephasing_probes(builder, "all")
    dephased = builder.finalized()
    t_ours, solved = best_of(
        repeat,
        lambda: workflows.scattering.biased_current_density(
            dephased, 1.0, params={"eta": 0.1}, voltages=voltages
        ),
    )
    inflow = workflows.scattering.site_inflow(dephased, solved.current)
    print(
        f"dephased 50x20 wire, 1000 probes floating: mesoflow {t_ours:.3f} s "
        f"(no plain-Kwant counterpart), largest site inflow {np.abs(inflow[40:-40]).max():.1e}"
    )


if __name__ == "__main__":
    main()
