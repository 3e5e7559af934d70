"""Gate scans in the self-consistent potential: a QPC or a Hall bar whose gas screens its gates.

At each gate voltage the potential energy U at the sites is solved self-consistently with
the Poisson problem of the device's layout — Thomas–Fermi
(:class:`~workflows.electrostatics.ThomasFermiDevice`) or Hartree
(:class:`~workflows.electrostatics.HartreeDevice`, all contacts at their zero-bias
voltages) — and the conductance is computed in it at the Fermi energy: the two-terminal
G (other leads floating) or the Hall-bar resistances of
:func:`analysis.hall_bar_resistances`.  On request the point also returns its maps: U and
the electrons n at every site and the linear-response current on every hopping
(:func:`workflows.scattering.current_maps.biased_current_density`).

**Warm start.**  Each point starts from the solution at the nearest gate voltage already
solved in the same process (:class:`SelfConsistentGatePoint`): in a serial scan in order of
voltage, the previous point; a worker of a parallel scan starts from what it has solved
itself, or from U₀ (the gates alone).  The start changes the iterations, not the answer
(within the solver's tolerance).  Thomas–Fermi does not depend on the field B, so points at
the same voltage and another field reuse the solution (no iteration); Hartree's density
does, so there the field is part of the key.

**Failures.**  A point whose self-consistent solution does not converge raises
:class:`~workflows.electrostatics.ThomasFermiConvergenceError` (or
:class:`~workflows.electrostatics.HartreeConvergenceError`), one line, which the scan
records as a failed point; the next point then starts from the last converged solution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.bias import SingularBiasError, two_terminal_conductance
from analysis.resistances import hall_bar_resistances
from systems.multiterminal import HALL_BAR_LEADS
from systems.parameters import resolve_params, updated_params
from systems.validation import choice, integer, real, real_array, shown
from workflows.electrostatics.density_of_states import BandDensity, thermal_band
from workflows.electrostatics.hartree import HartreeDevice, hartree
from workflows.electrostatics.thomas_fermi_device import ThomasFermiDevice, thomas_fermi_state
from workflows.runs.options import RunOptions, run_options
from workflows.scattering.conductance import conductance_matrix
from workflows.scattering.current_maps import biased_current_density
from workflows.studies.study_runs import observable, run_study_grid, study_attrs

__all__ = ["SelfConsistentGatePoint", "self_consistent_gate_scan"]

#: Scalar observables of each geometry (beside ``iterations`` and ``electrons``).
_COLUMNS = {
    "two_terminal": ("G",),
    "hall_bar": ("R_xy", "R_xy_right", "R_xx", "R_xx_bottom"),
}
#: The maps, one array per point.
_MAPS = ("U", "n", "current")


@dataclass(frozen=True, eq=False)
class SelfConsistentGatePoint:
    """The self-consistent state and transport at one gate voltage (module docstring).

    Attributes
    ----------
    device
        A :class:`~workflows.electrostatics.ThomasFermiDevice` or
        :class:`~workflows.electrostatics.HartreeDevice`.
    energy
        Fermi energy E_F, t.
    temperature
        k_B T of the gas (Thomas–Fermi at finite temperature; Hartree's reservoirs), t.
    gates
        Gate name -> weight: the gates are at weight × V_gate (V).
    geometry
        ``"two_terminal"`` (G from ``source`` to ``sink``, other leads floating) or
        ``"hall_bar"`` (the six leads of :data:`systems.multiterminal.HALL_BAR_LEADS`).
    params
        Other Kwant parameters (not the device's potential).
    maps
        Also return U, n (at the sites) and the current map (on the hoppings).
    source, sink
        The two-terminal leads and those of the current map's unit bias.
    tolerance, max_iterations
        Of the self-consistent solution (eV; iterations).
    """

    device: ThomasFermiDevice | HartreeDevice
    energy: float
    temperature: float
    gates: Mapping[str, float]
    geometry: str = "two_terminal"
    params: Mapping[str, Any] = field(default_factory=dict)
    maps: bool = False
    source: int = 0
    sink: int = 1
    tolerance: float = 1e-6
    max_iterations: int = 50
    _solved: dict = field(default_factory=dict, repr=False)

    def __getstate__(self):
        # the warm starts stay in their process: not sent to workers, not in the fingerprint
        state = dict(self.__dict__)
        state["_solved"] = {}
        return state

    def voltages(self, V_gate: float) -> dict[str, float]:
        """The gate voltages (V) at ``V_gate``, over the device's fixed voltages."""
        voltages = dict(self.device.voltages or {})
        voltages.update({name: weight * V_gate for name, weight in self.gates.items()})
        return voltages

    def _thermal(self) -> BandDensity | None:
        if not isinstance(self.device, ThomasFermiDevice) or self.temperature == 0:
            return None
        if "band" not in self._solved:  # built once per process
            kT = self.temperature * self.device.units.t_meV / 1e3
            self._solved["band"] = thermal_band(self.device.band, kT)
        return self._solved["band"]

    def solve(self, V_gate: float, B: float | None = None):
        """The self-consistent solution at ``V_gate`` and its Kwant parameters.

        Warm-started from the nearest voltage solved in this process (Hartree: at the
        same field).
        """
        hartree_model = isinstance(self.device, HartreeDevice)
        base = self.params if B is None else updated_params(self.params, {"B": B})
        solved = self._solved.setdefault("states", {})
        same_field = [key for key in solved if not hartree_model or key[1] == B]
        nearest = min(same_field, key=lambda key: abs(key[0] - V_gate), default=None)
        initial = None if nearest is None else solved[nearest]
        if hartree_model:
            solution = hartree(
                self.device,
                energy=self.energy,
                temperature=self.temperature,
                voltages=self.voltages(V_gate),
                params=base,
                tolerance=self.tolerance,
                max_iterations=self.max_iterations,
                initial=initial,
            )
            point_params = dict(solution.params)
        else:
            solution = thomas_fermi_state(
                self.device,
                energy=self.energy,
                voltages=self.voltages(V_gate),
                temperature=self.temperature,
                tolerance=self.tolerance,
                max_iterations=self.max_iterations,
                initial=initial,
                band=self._thermal(),
            )
            point_params = self.device.params(solution.energy, base)
        solved[(V_gate, B if hartree_model else None)] = solution
        return solution, point_params

    def __call__(self, *, V_gate: float, B: float | None = None) -> dict[str, Any]:
        """The observables at one gate voltage and field (:func:`self_consistent_gate_scan`)."""
        solution, point_params = self.solve(float(V_gate), None if B is None else float(B))
        fsyst = self.device.fsyst
        G = conductance_matrix(fsyst, self.energy, params=point_params)
        result: dict[str, Any] = {}
        if self.geometry == "two_terminal":
            result["G"] = two_terminal_conductance(G, self.source, self.sink)
        else:
            try:
                result.update(hall_bar_resistances(G))
            except SingularBiasError:
                result.update(dict.fromkeys(_COLUMNS["hall_bar"], np.nan))
        result["iterations"] = int(solution.iterations)
        result["electrons"] = float(np.sum(solution.density))
        if self.maps:
            current = biased_current_density(
                fsyst,
                self.energy,
                params=point_params,
                voltages={self.source: 1.0, self.sink: 0.0},
            )
            result.update(U=solution.energy, n=solution.density, current=current.current)
        return result


def self_consistent_gate_scan(
    device: ThomasFermiDevice | HartreeDevice,
    energy: float,
    gate_voltages: Iterable[float],
    *,
    gates: Mapping[str, float],
    fields: Iterable[float] | None = None,
    geometry: str = "two_terminal",
    temperature: float = 0.0,
    params: Mapping[str, Any] | None = None,
    maps: bool = False,
    tolerance: float = 1e-6,
    max_iterations: int = 50,
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """Conductance (and maps) of a gated device over gate voltage, in the self-consistent potential.

    A scan (:func:`workflows.scan`) over ``gate_voltages`` (and ``fields``, the voltage
    the slow axis), one point per value (:class:`SelfConsistentGatePoint`): the
    self-consistent U at the sites, then the conductance at ``energy`` in it.

    Parameters
    ----------
    device
        The system and its electrostatics: a
        :class:`~workflows.electrostatics.ThomasFermiDevice` (the gas's density from its
        band) or a :class:`~workflows.electrostatics.HartreeDevice` (the quantum density
        of the open system, all contacts at their voltages in ``device.voltages``).  The
        system is in the device because the electrostatic map is tied to its sites.
    energy
        Fermi energy E_F (t): the transport energy and the gas's filling (for
        Thomas–Fermi, measured from ``device.band_bottom``).
    gate_voltages
        Values of V_gate, V.
    gates
        Gate name -> weight (gate at weight × V_gate), e.g. ``{"top": 1, "bottom": 1}``
        for a split gate; other gates stay at ``device.voltages``.
    fields
        Values of the Kwant parameter ``B`` (the system's field unit), or None for none.
    geometry
        ``"two_terminal"``: G from lead 0 to lead 1, every other lead floating;
        ``"hall_bar"``: the Hall-bar resistances (lead order of :func:`systems.hall_bar`).
    temperature
        k_B T (t): of the Thomas–Fermi gas (:func:`~workflows.electrostatics.thermal_band`;
        0: the zero-temperature band) or of Hartree's reservoirs (> 0).  The conductance
        is the zero-temperature one at E_F in the self-consistent potential.
    params
        Other Kwant parameters; not the device's potential, not ``B`` if ``fields``.
    maps
        Also return, per point, ``U`` (eV at each site, ``fsyst.sites`` order), ``n``
        (electrons per site) and ``current`` (the current on every hopping of
        ``fsyst.graph``, order of :func:`workflows.scattering.current_maps.hopping_array`,
        for a unit bias of lead 0 (two-terminal: ``source``) against lead 1, other leads
        floating; (e²/h)·V per V of bias).
    tolerance
        Largest residual of the self-consistent equation, eV.
    max_iterations
        Newton–Krylov iterations per point before the point fails.
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in this
        process, no progress bar).  With a ``store`` an interrupted scan resumes; the
        resumed points start from the solutions of this run only.

    Returns
    -------
    pandas.DataFrame
        One row per point: ``V_gate`` (V), ``B`` if ``fields``, ``G`` (e²/h, two-terminal)
        or ``R_xy``, ``R_xy_right``, ``R_xx``, ``R_xx_bottom`` (h/e², Hall bar),
        ``iterations`` (Newton–Krylov iterations of the point), ``electrons`` (Σ n over
        the sites) and with ``maps`` the columns ``U``, ``n``, ``current`` (arrays).
        NaN where a point failed.  ``attrs``: ``provenance``, ``failed``, ``errors``
        (each failed point with its one-line error), ``units``, ``model``.
    """
    if not isinstance(device, ThomasFermiDevice | HartreeDevice):
        raise TypeError(
            f"device must be a ThomasFermiDevice or a HartreeDevice, got {type(device).__name__}"
        )
    run = run_options(run)
    energy = real("energy", energy, hint="E_F in t")
    voltages = _values("gate_voltages", gate_voltages)
    geometry = choice("geometry", geometry, tuple(_COLUMNS))
    hartree_model = isinstance(device, HartreeDevice)
    temperature = real(
        "temperature", temperature, minimum=0, strict=hartree_model, hint="k_B T in t"
    )
    tolerance = real("tolerance", tolerance, minimum=0, strict=True, hint="eV")
    max_iterations = integer("max_iterations", max_iterations, minimum=1)
    if not isinstance(gates, Mapping) or not gates:
        raise ValueError(f"gates must map gate names to weights, got {shown(gates)}")
    known = device.electrostatics.gate_names
    unknown = sorted(set(gates) - set(known))
    if unknown:
        raise ValueError(f"gates name unknown gate(s) {unknown}; the layout's are {list(known)}")
    weights = {name: real(f"gates[{name!r}]", weight) for name, weight in gates.items()}
    fixed = updated_params(params, {})
    if device.potential in fixed:
        raise ValueError(
            f"params contains {device.potential!r}, the device's self-consistent potential"
        )
    grid: dict[str, np.ndarray] = {"V_gate": voltages}
    if fields is not None:
        if "B" in fixed:
            raise ValueError(f"params contains B={fixed['B']!r}, but fields scans it")
        grid["B"] = _values("fields", fields)
    n_leads = len(device.fsyst.leads)
    if geometry == "hall_bar" and n_leads < len(HALL_BAR_LEADS):
        raise ValueError(
            f"geometry='hall_bar' needs the {len(HALL_BAR_LEADS)} leads {HALL_BAR_LEADS}, "
            f"the system has {n_leads}"
        )
    if n_leads < 2:
        raise ValueError(f"the device's system has {n_leads} leads; a conductance needs 2")
    zeros = np.zeros(len(device.fsyst.sites))
    probe = dict(fixed) if fields is None else {**fixed, "B": float(grid["B"][0])}
    if hartree_model:  # the names, checked once before the scan
        resolve_params(device.fsyst, device.params(zeros, device.voltages, probe))
    else:
        resolve_params(device.fsyst, device.params(zeros, probe))
    point = SelfConsistentGatePoint(
        device=device,
        energy=energy,
        temperature=float(temperature),
        gates=weights,
        geometry=geometry,
        params=fixed,
        maps=bool(maps),
        tolerance=tolerance,
        max_iterations=max_iterations,
    )
    table = run_study_grid(
        "self_consistent_gate_scan",
        point,
        grid,
        settings={
            "model": "hartree" if hartree_model else "thomas_fermi",
            "band": None if hartree_model else device.band.name,
            "sites": len(device.fsyst.sites),
            "potential": device.potential,
            "energy": energy,
            "gates": weights,
            "geometry": geometry,
            "temperature": float(temperature),
            "params": fixed,
            "tolerance": tolerance,
            "max_iterations": max_iterations,
        },
        run=run,
    )
    parameters = list(grid)
    names = [*_COLUMNS[geometry], "iterations", "electrons", *(_MAPS if maps else ())]
    frame = pd.DataFrame({name: table[name].astype(float) for name in parameters})
    for name in names:
        frame[name] = [observable(table, name, i) for i in range(len(table))]
    frame.attrs.update(
        study_attrs(
            table,
            parameters,
            model="hartree" if hartree_model else "thomas_fermi",
            geometry=geometry,
            units={
                "V_gate": "V",
                "B": "the system's B",
                "G": "e^2/h",
                "resistances": "h/e^2",
                "U": "eV",
                "n": "electrons per site",
                "current": "e^2/h per unit bias of the source",
            },
        )
    )
    return frame


def _values(name: str, values: Any) -> np.ndarray:
    """A non-empty 1-d axis of finite reals, checked by the one validator."""
    array = np.atleast_1d(real_array(name, values))
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty list of finite numbers, got {shown(values)}")
    return array
