"""Dephasing at device scale: dense vs linear probe elimination, time and peak memory vs probes.

Every measurement runs in a fresh subprocess (``--child``), which builds the
system (a chain, or a square-lattice wire of width W, a probe on every site),
times one ``workflows.dephased_transport(..., method=...)`` and reports its own
peak RSS (``resource.getrusage``), so the memory of one run never leaks into
the next.  The parent fits log–log exponents (time ∝ M^a, memory above the
import baseline ∝ M^b), locates the crossover where the two time fits cross,
checks the two targets of issue 13 and draws ``benchmarks/dephasing_scaling.png``.

    .venv/bin/python benchmarks/bench_dephasing_scale.py            # full run (~5 min)
    .venv/bin/python benchmarks/bench_dephasing_scale.py --quick    # small sizes only
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ENERGY = 1.0


def child(kind: str, length: int, width: int, eta: float, method: str) -> dict:
    sys.path.insert(0, str(HERE.parent))
    import systems
    from workflows.scattering.dephasing import dephased_transport

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    builder = systems.chain(length) if kind == "chain" else systems.wire(length, width)
    probes = systems.attach_dephasing_probes(builder)
    fsyst = builder.finalized()
    built = time.perf_counter() - start
    if method == "none":  # the import + build baseline
        solve, g, ran = 0.0, float("nan"), "none"
    else:
        start = time.perf_counter()
        solution = dephased_transport(fsyst, ENERGY, params={"eta": eta}, method=method)
        solve = time.perf_counter() - start
        g, ran = solution.two_terminal_conductance(), solution.method
    return {
        "kind": kind,
        "length": length,
        "width": width,
        "probes": len(probes),
        "eta": eta,
        "method": ran,
        "build_s": built,
        "solve_s": solve,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,
        "import_rss_gb": baseline / 1e9,
        "R": 1 / g,
    }


def run(kind, length, width, eta, method) -> dict:
    command = [sys.executable, __file__, "--child", kind, str(length), str(width), str(eta), method]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    print(
        f"{kind:5s} {length:6d}×{width:<3d} M={result['probes']:6d} {method:6s} "
        f"build {result['build_s']:6.2f} s  solve {result['solve_s']:7.2f} s  "
        f"peak {result['peak_rss_gb']:5.2f} GB  R = {result['R']:.6g}",
        flush=True,
    )
    return result


def fit(x, y):
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope), float(intercept)


def main(quick: bool) -> None:
    print("uptime:", os.popen("uptime").read().strip())
    width, eta_wire = 20, 0.3
    dense_lengths = [10, 25, 50] if quick else [25, 50, 100, 200]
    linear_lengths = [10, 25, 50, 100] if quick else [25, 50, 100, 200, 500, 1000, 2000]
    base = run("wire", dense_lengths[0], width, eta_wire, "none")
    rows = {"dense": [], "linear": []}
    for length in dense_lengths:
        rows["dense"].append(run("wire", length, width, eta_wire, "dense"))
    for length in linear_lengths:
        rows["linear"].append(run("wire", length, width, eta_wire, "linear"))
    fits = {}
    for method, results in rows.items():
        m = np.array([r["probes"] for r in results], float)
        t = np.array([r["solve_s"] for r in results])
        mem = np.array([r["peak_rss_gb"] for r in results]) - base["peak_rss_gb"]
        fits[method] = {"time": fit(m, t), "memory": fit(m, np.maximum(mem, 1e-3))}
        print(
            f"{method}: time ∝ M^{fits[method]['time'][0]:.2f}, "
            f"memory above baseline ∝ M^{fits[method]['memory'][0]:.2f}"
        )
    (a_d, b_d), (a_l, b_l) = fits["dense"]["time"], fits["linear"]["time"]
    crossover = float(np.exp((b_l - b_d) / (a_d - a_l)))
    print(f"time fits cross at M ≈ {crossover:.0f} probes")
    # R linear in length for the wire (linear method).
    lengths = np.array([r["length"] for r in rows["linear"]], float)
    resistance = np.array([r["R"] for r in rows["linear"]])
    big = lengths >= lengths.max() / 8
    slope, intercept = np.polyfit(lengths[big], resistance[big], 1)
    residual = np.abs(resistance[big] - (intercept + slope * lengths[big])).max()
    print(
        f"wire R(L): slope {slope:.5g} h/e² per site, max residual {residual:.2g} over L >= "
        f"{lengths[big].min():.0f}"
    )
    chain_length = 5000 if quick else 50_000
    eta_chain = 0.05
    chain = run("chain", chain_length, 1, eta_chain, "linear")
    v = 2 * np.sin(np.arccos(1 - ENERGY / 2))
    expected = 1 + chain_length * eta_chain / (2 * v)
    print(
        f"chain: R = {chain['R']:.6g}, 1 + Lη/(2v) = {expected:.6g}, "
        f"relative deviation {chain['R'] / expected - 1:.2e} (bound 0.6 (η/v)² = "
        f"{0.6 * (eta_chain / v) ** 2:.1e})"
    )
    print("uptime:", os.popen("uptime").read().strip())
    _plot(
        rows,
        fits,
        base,
        crossover,
        HERE / ("dephasing_scaling_quick.png" if quick else "dephasing_scaling.png"),
    )


def _plot(rows, fits, base, crossover, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    for method, marker in (("dense", "s"), ("linear", "o")):
        m = np.array([r["probes"] for r in rows[method]], float)
        t = np.array([r["solve_s"] for r in rows[method]])
        mem = np.array([r["peak_rss_gb"] for r in rows[method]])
        a, b = fits[method]["time"]
        ax_t.loglog(m, t, marker, label=f"{method}: t ∝ M^{a:.2f}")
        ax_t.loglog(m, np.exp(b) * m**a, "-", color=ax_t.lines[-1].get_color(), lw=0.8)
        am = fits[method]["memory"][0]
        ax_m.loglog(m, mem, marker, label=f"{method}: (mem − base) ∝ M^{am:.2f}")
    ax_t.axvline(crossover, color="grey", ls=":", lw=0.8)
    ax_m.axhline(base["peak_rss_gb"], color="grey", ls=":", lw=0.8, label="import + build")
    ax_t.set(xlabel="probes M (wire, width 20)", ylabel="solve time (s)")
    ax_m.set(xlabel="probes M (wire, width 20)", ylabel="peak RSS (GB)")
    ax_t.legend(fontsize=8)
    ax_m.legend(fontsize=8)
    fig.savefig(path, dpi=120)
    print("wrote", path)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, length, width, eta, method = sys.argv[2:7]
        print(json.dumps(child(kind, int(length), int(width), float(eta), method)))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--quick", action="store_true")
        main(parser.parse_args().quick)
