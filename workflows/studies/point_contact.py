"""Quantized conductance of a quantum point contact against its gate voltage.

The van Wees / Wharam experiment: a split gate narrows a wire, and G falls in
steps of e²/h (per spin) as the constriction closes one subband after another.
At finite temperature the steps are smeared by the thermal window −∂f/∂E.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

import systems
from analysis import open_modes, thermal_average
from analysis.bias import two_terminal_conductance
from systems.parameters import updated_params
from workflows.runs.environment import environment_info
from workflows.scattering.conductance import conductance_matrix

__all__ = ["qpc_conductance"]

#: Half-width of the sampled energy window in units of k_B T: the thermal
#: weight outside ±16 k_B T is 2/(1 + e^16) ≈ 2e-7.
THERMAL_WINDOW = 16.0


def qpc_conductance(
    gate_voltages: Iterable[float],
    *,
    energy: float = 0.3,
    temperature: float = 0.0,
    length: int = 60,
    width: int = 30,
    gate_length: float | None = None,
    gap: float | None = None,
    depth: float | None = None,
    params: Mapping[str, Any] | None = None,
    energy_samples: int = 25,
) -> pd.DataFrame:
    """Conductance of :func:`systems.qpc` against its gate voltage, with the Landauer bound.

    Parameters
    ----------
    gate_voltages
        Values of ``V_gate`` (potential energy under a large gate, units of t).
    energy
        Fermi energy μ in units of t.
    temperature
        k_B T in units of t.  If positive, each point is also averaged over the
        thermal window, sampling ``energy_samples`` energies in μ ± 16 k_B T.
    length, width, gate_length, gap, depth
        Geometry, passed to :func:`systems.qpc` (lattice constants).
    params
        Further Kwant parameters (e.g. ``B``, ``disorder``, ``salt``).
    energy_samples
        Energies per thermal average (>= 3); the interpolation between them is
        linear, so choose enough to resolve the smeared steps.

    Returns
    -------
    pandas.DataFrame
        Columns ``V_gate`` (t), ``G`` (e²/h, at T = 0 and E = μ) and, when
        ``temperature > 0``, ``G_thermal`` (e²/h); ``N_leads``: the open
        channels of the wide leads, the largest possible G.  Geometry, energy
        and temperature are in ``attrs`` together with the environment.
    """
    gates = np.asarray(list(gate_voltages), dtype=float)
    if gates.ndim != 1 or gates.size == 0 or not np.all(np.isfinite(gates)):
        raise ValueError(f"gate_voltages must be a non-empty list of finite numbers, got {gates}")
    if not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be >= 0 (units of t/k_B), got {temperature!r}")
    if energy_samples < 3:
        raise ValueError(f"energy_samples must be >= 3, got {energy_samples}")
    fsyst = systems.qpc(length, width, gate_length=gate_length, gap=gap, depth=depth).finalized()
    fixed = updated_params(params, {})
    if "V_gate" in fixed:
        raise ValueError("V_gate is the scanned parameter: give it in gate_voltages, not params")
    # Check the parameters once, before the scan.
    systems.resolve_params(fsyst, updated_params(fixed, {"V_gate": float(gates[0])}))

    def conductance(e: float, gate: float) -> float:
        return two_terminal_conductance(
            conductance_matrix(fsyst, e, params=updated_params(fixed, {"V_gate": gate}))
        )

    frame = pd.DataFrame({"V_gate": gates, "G": [conductance(energy, v) for v in gates]})
    if temperature > 0:
        window = energy + temperature * np.linspace(-THERMAL_WINDOW, THERMAL_WINDOW, energy_samples)
        frame["G_thermal"] = [
            thermal_average(
                window,
                [conductance(e, v) for e in window],
                mu=energy,
                temperature=temperature,
            )
            for v in gates
        ]
    frame["N_leads"] = open_modes(fsyst, 0, energy, params={**fixed, "V_gate": 0.0})
    frame.attrs.update(
        study="qpc_conductance",
        energy=energy,
        temperature=temperature,
        length=length,
        width=width,
        gate_length=gate_length,
        gap=gap,
        depth=depth,
        params={k: repr(v) for k, v in fixed.items()},
        environment=environment_info(),
    )
    return frame
