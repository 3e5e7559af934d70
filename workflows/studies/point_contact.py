"""Quantized conductance of a quantum point contact against its gate voltage.

The van Wees / Wharam experiment: a split gate narrows a wire, and G falls in
steps of e²/h (per spin) as the constriction closes one subband after another.
At finite temperature the steps are smeared by the thermal window −∂f/∂E.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

import systems
from analysis import thermal_average
from analysis.bias import two_terminal_conductance
from systems.parameters import updated_params
from systems.validation import energy as check_energy
from systems.validation import integer, real
from workflows.runs.options import RunOptions, run_options
from workflows.runs.recipes import SystemRecipe
from workflows.scattering import OpenSystem
from workflows.scattering.band_edges import GRID_NODE_SIDE
from workflows.scattering.lead_cache import LeadSelfEnergyCache
from workflows.scattering.mode_counts import open_modes
from workflows.studies.study_runs import (
    StudySystem,
    observable,
    run_study_grid,
    study_attrs,
    study_system,
)

__all__ = ["qpc_conductance"]

#: Half-width of the sampled energy window in units of k_B T: the thermal
#: weight outside ±16 k_B T is 2/(1 + e^16) ≈ 2e-7.
THERMAL_WINDOW = 16.0


def gate_point(
    *,
    system: StudySystem,
    energy: float,
    temperature: float,
    energy_samples: int,
    params: Mapping[str, Any],
    V_gate: float,
    lead_cache: LeadSelfEnergyCache | None = None,
) -> dict[str, float]:
    """Point function of :func:`qpc_conductance`: the QPC at one gate voltage.

    Parameters
    ----------
    system
        The QPC: a finalized system or its recipe (finalized once per process).
    energy
        Fermi energy (t).
    temperature
        k_B T (t); if positive, also the thermal average over ``energy_samples``
        energies in energy ± 16 k_B T.
    energy_samples
        Energies of the thermal average.
    params
        The fixed Kwant parameters (not ``V_gate``).
    V_gate
        The gate voltage of the point (t).
    lead_cache
        Lead self-energies shared by the points run in one process: the gate does not
        reach the leads, so each lead is solved once per energy (a copy sent to a worker
        process starts empty).

    Returns
    -------
    dict
        ``G`` (e²/h) at E = ``energy`` and, if ``temperature > 0``,
        ``G_thermal`` (e²/h).
    """
    fsyst = study_system(system)
    point = updated_params(params, {"V_gate": float(V_gate)})

    open_system = OpenSystem(fsyst, params=point, lead_cache=lead_cache)  # H assembled once

    def conductance(e: float, at_band_edge: str | None = None) -> float:
        e = open_system.resolve_energy(check_energy("energy", e), at_band_edge)
        return two_terminal_conductance(open_system.conductance_matrix(e))

    result = {"G": conductance(energy)}
    if temperature > 0:
        window = energy + temperature * np.linspace(-THERMAL_WINDOW, THERMAL_WINDOW, energy_samples)
        values = [conductance(e, GRID_NODE_SIDE) for e in window]
        result["G_thermal"] = thermal_average(window, values, mu=energy, temperature=temperature)
    return result


def qpc_conductance(
    system: StudySystem,
    energy: float,
    gate_voltages: Iterable[float],
    *,
    temperature: float = 0.0,
    params: Mapping[str, Any] | None = None,
    energy_samples: int = 25,
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """Conductance of a quantum point contact against its gate voltage, with the Landauer bound.

    A scan (:func:`workflows.scan`) over the gate voltages, one point per
    value (:func:`gate_point`).

    Parameters
    ----------
    system
        The QPC: a finalized system with the parameter ``V_gate`` (lead 0 the
        wide lead that bounds G), or its :class:`workflows.SystemRecipe`
        (finalized once per worker), e.g. ``SystemRecipe("qpc", {"length": 60,
        "width": 30})`` for :func:`systems.qpc`.
    energy
        Fermi energy (the reservoirs' common chemical potential) in units of t.
    gate_voltages
        Values of ``V_gate`` (potential energy under a large gate, units of t).
    temperature
        k_B T in units of t.  If positive, each point is also averaged over the
        thermal window, sampling ``energy_samples`` energies in
        ``energy`` ± 16 k_B T.
    params
        Further Kwant parameters (e.g. ``B``, ``disorder``, ``salt``).
    energy_samples
        Energies per thermal average (>= 3); the interpolation between them is
        linear, so choose enough to resolve the smeared steps.
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        Columns ``V_gate`` (t), ``G`` (e²/h, at T = 0 and E = ``energy``) and,
        when ``temperature > 0``, ``G_thermal`` (e²/h); ``N_leads``: the open
        channels of the wide leads, the largest possible G.  ``attrs``: the
        scan's ``provenance`` (its ``study`` entry holds the recipe, energy,
        temperature and parameters), ``failed`` and ``errors``, ``units``.
    """
    run = run_options(run)
    gates = np.asarray(list(gate_voltages), dtype=float)
    if gates.ndim != 1 or gates.size == 0 or not np.all(np.isfinite(gates)):
        raise ValueError(f"gate_voltages must be a non-empty list of finite numbers, got {gates}")
    energy = check_energy("energy", energy)
    temperature = real("temperature", temperature, minimum=0, hint="k_B T in t")
    energy_samples = integer("energy_samples", energy_samples, minimum=3)
    fsyst = study_system(system, "system")
    fixed = updated_params(params, {})
    if "V_gate" in fixed:
        raise ValueError("V_gate is the scanned parameter: give it in gate_voltages, not params")
    # Check the parameters once, before the scan.
    systems.resolve_params(fsyst, updated_params(fixed, {"V_gate": float(gates[0])}))
    point = functools.partial(
        gate_point,
        system=system,
        energy=energy,
        temperature=float(temperature),
        energy_samples=int(energy_samples),
        params=fixed,
        lead_cache=LeadSelfEnergyCache(),
    )
    table = run_study_grid(
        "qpc_conductance",
        point,
        {"V_gate": gates},
        settings={
            "system": repr(system) if isinstance(system, SystemRecipe) else "finalized system",
            "energy": energy,
            "temperature": float(temperature),
            "energy_samples": int(energy_samples),
            "params": fixed,
        },
        run=run,
    )
    names = ["G", "G_thermal"] if temperature > 0 else ["G"]
    frame = pd.DataFrame(
        {
            "V_gate": table["V_gate"].astype(float),
            **{name: [observable(table, name, i) for i in range(len(table))] for name in names},
        }
    )
    frame["N_leads"] = open_modes(fsyst, energy, lead=0, params={**fixed, "V_gate": 0.0})
    frame.attrs.update(
        study_attrs(
            table,
            ["V_gate"],
            units={"V_gate": "t", "G": "e^2/h", "G_thermal": "e^2/h", "N_leads": "1"},
        )
    )
    return frame
