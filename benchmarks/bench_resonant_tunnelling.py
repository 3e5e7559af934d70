"""Self-consistent I–V sweep of the double-barrier diode (issue 23 item 4): cost per bias.

The device of ``tests/workflows/electrostatics/test_resonant_tunnelling.py`` (imported from
there, so the two cannot drift apart).  Measures an up-sweep of ``n`` biases through
``iv_curve(drop="self-consistent", sweep="up")``: Hartree iterations and seconds per bias,
against the same biases with the linear drop (the plain Landauer integral on an adaptive
grid, one Kwant solve per energy): the ratio is the price of self-consistency.  The load
(``os.getloadavg``) is printed: on a shared machine the seconds scale with it.  Run:
``uv run python benchmarks/bench_resonant_tunnelling.py 4``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import numpy as np

from workflows.studies.current_voltage import iv_curve

TESTS = Path(__file__).resolve().parents[1] / "tests/workflows/electrostatics"


def _structure():
    spec = importlib.util.spec_from_file_location(
        "test_resonant_tunnelling", TESTS / "test_resonant_tunnelling.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(count: int) -> None:
    rtd = _structure()
    fsyst = rtd.double_barrier()
    device = rtd.double_barrier_device(fsyst)
    biases = np.linspace(0.10, 0.26, count) * rtd.VOLT
    start = time.perf_counter()
    linear = iv_curve(
        fsyst, rtd.E_F, biases, params=rtd.PARAMS, temperature=rtd.KT, drop="linear", tol=1e-5
    )
    linear_seconds = (time.perf_counter() - start) / count
    start = time.perf_counter()
    sweep = iv_curve(
        fsyst,
        rtd.E_F,
        biases,
        drop="self-consistent",
        electrostatics=device,
        temperature=rtd.KT,
        tol=1e-7,
        tolerance=rtd.TOLERANCE,
        density_tol=rtd.DENSITY_TOL,
        sweep="up",
    )
    seconds = (time.perf_counter() - start) / count
    print(f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {count} biases")
    print(f"linear drop: {linear_seconds:.2f} s per bias (peak {linear['current'].max():.3e})")
    print(
        f"self-consistent up-sweep: {seconds:.2f} s per bias, "
        f"iterations {sweep['iterations'].tolist()}, ratio {seconds / linear_seconds:.1f}"
    )
    print(sweep[["bias", "current", "charge", "residual"]].to_string(index=False))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
