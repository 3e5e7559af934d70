"""Dephasing probes everywhere: probe elimination vs a plain per-pair Kwant loop.

mesoflow (``workflows.dephased_transport``): one sparse factorization gives the
Green's function between all lead interfaces, all T_ij = Tr[Γ_i G Γ_j G†] are
formed at once (vectorized over pairs), and one dense solve eliminates every
floating probe.

Plain Kwant loop (what one writes by hand): ``gf = kwant.greens_function(...)``
once, then ``gf.transmission(i, j)`` for every ordered pair of the M leads,
then the same floating-probe solve (``analysis.two_terminal_conductance``).
With M ≈ 1000 leads there are M(M−1) ≈ 10⁶ pairs; the loop is run on a random
subset of pairs and its time extrapolated linearly (each call does the same
work), which is stated in the output.  The subset is also compared with the
vectorized transmissions.

Run from the repository root::

    .venv/bin/python benchmarks/bench_probes.py                    # 50×20 wire, 1000 probes
    .venv/bin/python benchmarks/bench_probes.py --length 100 --pairs 5000
"""

from __future__ import annotations

import argparse
import time

import kwant
import numpy as np

import analysis
import systems
import workflows
from workflows.scattering.dephasing import dephased_transport, eliminate_floating_probes
from workflows.scattering.interface_greens import interface_greens_function


def best_of(repeats: int, function):
    """(smallest wall time, last result) over ``repeats`` calls."""
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench(length: int, width: int, energy: float, eta: float, n_pairs: int, repeats: int):
    builder = systems.wire(length, width)
    probes = systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    n_leads = len(fsyst.leads)
    params = systems.resolve_params(fsyst, {"eta": eta})

    # mesoflow, end to end, and its parts.
    t_ours, solution = best_of(repeats, lambda: dephased_transport(fsyst, energy, params=params))
    g_ours = solution.two_terminal_conductance()
    t_green, green = best_of(
        repeats, lambda: interface_greens_function(fsyst, energy, params=params)
    )
    t_trans, transmissions = best_of(repeats, green.transmissions)
    G_full = workflows.conductance_matrix(fsyst, energy, params=params)
    t_elim, _ = best_of(repeats, lambda: eliminate_floating_probes(G_full, probes))

    # Plain Kwant: one greens_function, then gf.transmission(i, j) pair by pair.
    t_kwant_gf, gf = best_of(1, lambda: kwant.greens_function(fsyst, energy, params=params))
    rng = np.random.default_rng(0)
    all_pairs = n_leads * (n_leads - 1)
    n_pairs = min(n_pairs, all_pairs)
    flat = rng.choice(all_pairs, size=n_pairs, replace=False)
    rows, cols = np.divmod(flat, n_leads - 1)
    cols = cols + (cols >= rows)  # skip the diagonal
    start = time.perf_counter()
    sample = np.array([gf.transmission(int(i), int(j)) for i, j in zip(rows, cols, strict=True)])
    t_sample = time.perf_counter() - start
    t_loop = t_sample / n_pairs * all_pairs
    if n_pairs == all_pairs:  # the whole loop ran: finish the plain route to G as well
        T = np.zeros((n_leads, n_leads))
        T[rows, cols] = sample
        G_plain = -T
        np.fill_diagonal(G_plain, T.sum(axis=0))
        start = time.perf_counter()
        g_plain = analysis.two_terminal_conductance(G_plain)
        t_loop += time.perf_counter() - start
        plain_note = f"full loop; G(plain) − G(mesoflow) = {g_plain - g_ours:.2e}"
    else:
        t_loop += t_elim  # the same floating-probe solve
        plain_note = f"loop run on {n_pairs} of {all_pairs} pairs and extrapolated"
    t_plain = t_kwant_gf + t_loop
    return {
        "probes": len(probes),
        "leads": n_leads,
        "G (e²/h)": g_ours,
        "mesoflow total (s)": t_ours,
        "  interface Green's function (s)": t_green,
        "  all T_ij, vectorized (s)": t_trans,
        "  floating-probe solve (s)": t_elim,
        "kwant.greens_function once (s)": t_kwant_gf,
        "gf.transmission per pair (µs)": 1e6 * t_sample / n_pairs,
        "plain loop total (s)": t_plain,
        "plain / mesoflow": t_plain / t_ours,
        "kwant.greens_function / interface solve": t_kwant_gf / t_green,
        "max |T(sample) − T(vectorized)|": float(np.abs(sample - transmissions[rows, cols]).max()),
        "note": plain_note,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=50, help="wire length (sites)")
    parser.add_argument("--width", type=int, default=20, help="wire width (sites)")
    parser.add_argument("--energy", type=float, default=1.0, help="energy in units of t")
    parser.add_argument("--eta", type=float, default=0.1, help="probe coupling in units of t")
    parser.add_argument("--pairs", type=int, default=20000, help="pairs timed in the plain loop")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    info = workflows.runs.environment_info()
    print(f"kwant {info['kwant']}, solver {info['solver']}, {info['native_threads']}")
    print(
        f"wire {args.length}×{args.width}, probes on every site, E = {args.energy} t, "
        f"η = {args.eta} t"
    )
    result = bench(args.length, args.width, args.energy, args.eta, args.pairs, args.repeats)
    for key, value in result.items():
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"{key:42s} {text}")


if __name__ == "__main__":
    main()
