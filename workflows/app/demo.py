"""The main demo: a quantum point contact and a Hall bar, measured as in the lab.

``mesoflow demo`` calls :func:`run_demo`: it computes the quantized conductance
of a QPC against its gate voltage (next to the Landauer mode count of its
leads) and a six-terminal Hall-bar measurement against field (R_xy, R_xx and
the filling ν), writes the tables as CSV, one PNG with both panels and a
provenance JSON, and returns the data.  :func:`summary_table` formats the short
table the CLI prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import systems
from analysis.plots import qpc_hall_figure
from workflows.runs.recipes import SystemRecipe
from workflows.studies.hall import quantum_hall_scan
from workflows.studies.point_contact import qpc_conductance

__all__ = ["DemoResult", "run_demo", "summary_table"]

#: Full and quick (tests, CI) sizes of the demo.
_SIZES = {
    False: dict(
        qpc=dict(length=60, width=30),
        gates=81,
        hall=dict(length=60, width=24, lead_width=10),
        fields=31,
    ),
    True: dict(
        qpc=dict(length=36, width=18),
        gates=21,
        hall=dict(length=28, width=10, lead_width=5),
        fields=9,
    ),
}


@dataclass
class DemoResult:
    """Tables and files written by :func:`run_demo`."""

    qpc: pd.DataFrame
    hall: pd.DataFrame
    files: list[Path] = field(default_factory=list)


def run_demo(output: str | Path = "demo-output", *, quick: bool = False) -> DemoResult:
    """Run the demo; write ``qpc_conductance.csv``, ``hall_bar.csv``, ``demo.png`` and provenance.

    Parameters
    ----------
    output
        Directory for the files (created if needed).
    quick
        Smaller systems and fewer points (a few seconds), for tests.

    Returns
    -------
    DemoResult
        The QPC table (``V_gate`` in t, ``G`` in e²/h, ``N_leads``) and the Hall
        table (``B`` in h/e per plaquette, ``R_xy``, ``R_xx`` in h/e², ``nu``).
    """
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    size = _SIZES[bool(quick)]
    qpc_recipe = SystemRecipe("qpc", size["qpc"])
    qpc = qpc_conductance(qpc_recipe, 0.3, np.linspace(0.0, 2.0, size["gates"]))
    hall_bar = systems.hall_bar(**size["hall"]).finalized()
    hall = quantum_hall_scan(hall_bar, np.linspace(0.009, 0.075, size["fields"]), 0.5)

    files = [
        output / "qpc_conductance.csv",
        output / "hall_bar.csv",
        output / "demo.png",
        output / "provenance.json",
    ]
    qpc.to_csv(files[0], index=False)
    hall.to_csv(files[1], index=False)
    qpc_hall_figure(qpc, hall).savefig(files[2], dpi=120)
    provenance = {
        "qpc": _jsonable(qpc.attrs),
        "hall_bar": _jsonable(hall.attrs),
        "quick": bool(quick),
    }
    files[3].write_text(json.dumps(provenance, indent=2, default=str))
    return DemoResult(qpc=qpc, hall=hall, files=files)


def _jsonable(attrs: dict) -> dict:
    return json.loads(json.dumps(attrs, default=str))


def summary_table(result: DemoResult, *, tolerance: float = 0.05) -> str:
    """A short text table: QPC plateaus (gate ranges with |G − n| < tolerance) and Hall plateaus."""
    lines = [
        "Quantum point contact: conductance plateaus (e²/h)",
        f"  {'G':>3}  {'V_gate range (t)':>18}  {'points':>6}",
    ]
    qpc = result.qpc
    nearest = np.rint(qpc["G"])
    for n in sorted(set(nearest[np.abs(qpc["G"] - nearest) < tolerance].astype(int)), reverse=True):
        on = qpc["V_gate"][(nearest == n) & (np.abs(qpc["G"] - n) < tolerance)]
        lines.append(f"  {n:>3}  {on.min():>8.3f} – {on.max():<7.3f}  {on.size:>6}")
    lines += [
        "",
        "Hall bar: R_xy and R_xx (h/e²) against the filling ν of the leads",
        f"  {'nu':>3}  {'B range':>15}  {'R_xy':>9}  {'-1/nu':>7}  {'max |R_xx|':>10}",
    ]
    hall = result.hall
    for nu, group in hall[hall["nu"] > 0].groupby("nu", sort=True):
        lines.append(
            f"  {int(nu):>3}  {group['B'].min():>6.3f} – {group['B'].max():<6.3f}  "
            f"{group['R_xy'].mean():>9.5f}  {-1 / nu:>7.4f}  {group['R_xx'].abs().max():>10.2e}"
        )
    lines += ["", "Files: " + ", ".join(str(p) for p in result.files)]
    return "\n".join(lines)
