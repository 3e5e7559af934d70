"""Thermoelectric linear response of any Kwant system: G, S, Π, κ, Lorenz ratio, ZT.

The transmission 𝒯(E) between ``source`` and ``sink`` is sampled on an
adaptive energy grid (:func:`analysis.energy_grid.window_grid`, error
controlled) covering the thermal window (Fermi energy μ, k_B T), and the
Landauer moments L_0, L_1, L_2 on it give the coefficients
(:mod:`analysis.thermoelectric`, where formulas, units and signs are stated).
:func:`thermoelectric_table` runs a grid of (energy, temperature) through
:func:`workflows.scan`, one shared 𝒯(E) grid for all temperatures at one
energy (:class:`ThermoelectricPoint`).

With more than two terminals, 𝒯(E) is the two-terminal conductance at each
energy with every other terminal floating at that energy
(:func:`analysis.two_terminal_conductance` of G(E)): the other leads are
*dephasing* probes in the sense of Büttiker — they draw no net current at any
energy (no heat exchange either) — which is exact for self-energy dephasing
probes and a model choice for leads with modes.  For probes that float only
in total charge and/or heat, see :mod:`workflows.studies.heat`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np
import pandas as pd

from analysis.bias import two_terminal_conductance
from analysis.energy_grid import check_grid_settings, window_grid
from analysis.thermoelectric import (
    ThermoelectricCoefficients,
    landauer_moments,
    thermoelectric_coefficients,
)
from systems.validation import check_source_sink, check_system, choice, iterable, real, real_array
from systems.validation import energy as check_energy
from workflows.runs.options import RunOptions, run_options
from workflows.scattering import OpenSystem
from workflows.scattering.band_edges import AT_BAND_EDGE, GRID_NODE_SIDE
from workflows.studies.study_runs import (
    StudySystem,
    observable,
    run_study_grid,
    study_attrs,
    study_system,
)

__all__ = ["thermoelectric", "thermoelectric_table", "transmission_function"]

#: Default error target of the adaptive grid (absolute, in e²/h per interval).
DEFAULT_TOL = 1e-5


def transmission_function(
    fsyst: kwant.system.FiniteSystem,
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    at_band_edge: str | None = None,
):
    """E ↦ 𝒯(E) (e²/h) from ``source`` to ``sink``, other terminals floating at each energy.

    Validates the system, the parameters and the terminals and assembles the
    Hamiltonian once (:class:`workflows.scattering.OpenSystem`); the returned
    function solves the open system at each energy (units of t).  At a band
    edge of a lead it refuses (``at_band_edge=None``, ``BandEdgeError``) or
    returns the one-sided limit (``"above"``/``"below"``; see
    :func:`workflows.conductance_matrix`); the energy grids of this package
    pass :data:`workflows.scattering.band_edges.GRID_NODE_SIDE`.
    """
    check_system(fsyst)
    n_leads = len(fsyst.leads)
    source, sink = check_source_sink(source, sink, n_leads)
    open_system = OpenSystem(fsyst, params=params)  # H assembled once for every energy

    choice("at_band_edge", at_band_edge, AT_BAND_EDGE)

    def transmission(energy: float) -> float:
        energy = open_system.resolve_energy(check_energy("energy", energy), at_band_edge)
        g = open_system.conductance_matrix(energy)
        return two_terminal_conductance(g, source, sink)  # others floating (none for M = 2)

    return transmission


def _values(name: str, values) -> list:
    """One value or an iterable of them, as a list (a string is one value, refused later)."""
    if isinstance(values, (str, bytes)) or np.ndim(values) == 0:
        return [values]
    return iterable(name, values, what="Fermi energies")


def _check_temperatures(values, name: str = "temperatures") -> np.ndarray:
    array = np.atleast_1d(real_array(name, values, minimum=0, strict=True, hint="k_B T in t"))
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be one k_B T > 0 or a list of them, got {values!r}")
    return array


def thermoelectric(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    temperature: float,
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    phonon_kappa: float = 0.0,
    tol: float = DEFAULT_TOL,
) -> ThermoelectricCoefficients:
    """Linear-response thermoelectric coefficients between two terminals.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    energy
        Fermi energy: the reservoirs' common chemical potential μ, in units of t.
    temperature
        k_B T in units of t (> 0).  Below :func:`analysis.thermal.sommerfeld_floor`
        (1e-6 · max(1, |energy|)) the T → 0 (Sommerfeld) limit is returned:
        G = 𝒯(energy), Mott's S, κ = (π²/3) θ G (see :mod:`analysis.thermoelectric`).
    params
        Kwant parameters.
    source, sink
        Lead indices; other leads float at each energy (see the module docstring).
    phonon_kappa
        Phonon heat conductance (k_B·t/h) for ZT.
    tol
        Error target of the adaptive energy grid (e²/h per interval).

    Returns
    -------
    analysis.thermoelectric.ThermoelectricCoefficients
        Frozen dataclass: ``G`` (e²/h), ``S`` (k_B/e, electrons of charge −e),
        ``Pi`` (t/e), ``kappa`` (k_B·t/h), ``lorenz`` ((k_B/e)²), ``ZT``; its
        field ``mu`` is ``energy``.
    """
    energy = check_energy("energy", energy)
    temperature = real("temperature", temperature, minimum=0, strict=True, hint="k_B T in t")
    # Every argument before the thermal integral (DEVELOPERS.md: validate before expensive work).
    phonon_kappa = real("phonon_kappa", phonon_kappa, minimum=0, hint="k_B t/h")
    tol, _, _ = check_grid_settings(tol)
    func = transmission_function(
        fsyst, params=params, source=source, sink=sink, at_band_edge=GRID_NODE_SIDE
    )
    energies, values = window_grid(func, [(energy, temperature)], tol=tol)
    moments = landauer_moments(energies, values, energy, temperature)
    return thermoelectric_coefficients(moments, energy, temperature, phonon_kappa=phonon_kappa)


#: The observables of a :class:`ThermoelectricPoint`, in table order.
COEFFICIENTS = ("G", "S", "Pi", "kappa", "lorenz", "ZT")


@dataclass(frozen=True, eq=False)
class ThermoelectricPoint:
    """Point function of :func:`thermoelectric_table`: the coefficients at (energy, temperature).

    Called with ``energy`` and ``temperature`` it computes one window on its
    own grid; as a scan's ``sweep_axis`` it offers ``temperature``, so that
    all temperatures at one energy come from one shared 𝒯(E) grid
    (:meth:`sweep_points`): windows at one μ are nested, their union costs
    about the widest one, while different energies stay independent points
    (parallel, resumable).

    Attributes
    ----------
    fsyst, params, source, sink, phonon_kappa, tol, max_points
        As for :func:`thermoelectric_table`.
    """

    fsyst: StudySystem
    params: Mapping[str, Any] | None
    source: int
    sink: int
    phonon_kappa: float
    tol: float
    max_points: int

    def __call__(self, *, energy: float, temperature: float) -> dict[str, float]:
        """The coefficients of one window (see :meth:`sweep_points`)."""
        return self.sweep_points("temperature", [temperature], energy=energy)[0]

    def sweep_axis(self, axes: Mapping[str, list[Any]]) -> str | None:
        """``"temperature"``: all temperatures at one energy share a grid."""
        return "temperature" if "temperature" in axes else None

    def sweep_points(
        self, axis: str, values: list[float], *, energy: float
    ) -> list[dict[str, float]]:
        """The coefficients at ``energy`` for every temperature in ``values``, one 𝒯(E) grid.

        Returns
        -------
        list of dict
            Per temperature: ``G``, ``S``, ``Pi``, ``kappa``, ``lorenz``, ``ZT``
            (units in :func:`thermoelectric_table`).
        """
        if axis != "temperature":
            raise ValueError(f"ThermoelectricPoint sweeps the temperature, not {axis!r}")
        func = transmission_function(
            study_system(self.fsyst),
            params=self.params,
            source=self.source,
            sink=self.sink,
            at_band_edge=GRID_NODE_SIDE,
        )
        windows = [(float(energy), float(t)) for t in values]
        energies, transmission = window_grid(
            func, windows, tol=self.tol, max_points=self.max_points
        )
        results = []
        for mu, t in windows:
            moments = landauer_moments(energies, transmission, mu, t)
            c = thermoelectric_coefficients(moments, mu, t, phonon_kappa=self.phonon_kappa)
            results.append({name: getattr(c, name) for name in COEFFICIENTS})
        return results


def thermoelectric_table(
    fsyst: StudySystem,
    energies: Iterable[float] | float,
    temperatures: Iterable[float] | float,
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    phonon_kappa: float = 0.0,
    tol: float = DEFAULT_TOL,
    max_points: int = 4000,
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """Thermoelectric coefficients on the grid energies × temperatures.

    A scan (:func:`workflows.scan`) over (energy, temperature) with
    :class:`ThermoelectricPoint`: one task per energy, whose temperatures share
    one adaptive 𝒯(E) grid (nested windows: the widest costs about all of
    them); different energies are independent points.  A run resumed from a
    store with only some temperatures of an energy pending computes those on
    their own grid: equal to the uninterrupted run within ``tol``, not bit for bit.

    Parameters
    ----------
    fsyst
        A finalized Kwant system. Or its :class:`workflows.SystemRecipe` (finalized once per
        worker).
    energies
        Fermi energies (the reservoirs' common chemical potential μ), t.
    temperatures
        k_B T (t, > 0).
    params
        Kwant parameters.
    source, sink
        Lead indices; other leads float at each energy (see the module docstring).
    phonon_kappa
        Phonon heat conductance (k_B·t/h) for ZT.
    tol, max_points
        Error target (e²/h per interval) and evaluation budget of each
        adaptive energy grid.
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        One row per (energy, temperature): columns ``energy``, ``temperature``,
        ``G``, ``S``, ``Pi``, ``kappa``, ``lorenz``, ``ZT``; ``attrs``: ``units``,
        the scan's ``provenance``, ``failed`` and ``errors`` (failed points
        have NaN coefficients).
    """
    run = run_options(run)
    system, fsyst = fsyst, study_system(fsyst)
    check_system(fsyst)
    energies = np.asarray(
        [check_energy("energy", m) for m in _values("energies", energies)], dtype=float
    )
    temps = _check_temperatures(temperatures)
    tol, _, max_points = check_grid_settings(tol, max_points=max_points)  # before any point
    phonon_kappa = real("phonon_kappa", phonon_kappa, minimum=0, hint="k_B t/h")
    transmission_function(fsyst, params=params, source=source, sink=sink)  # checks, before work
    point = ThermoelectricPoint(
        fsyst=system,
        params=params,
        source=source,
        sink=sink,
        phonon_kappa=phonon_kappa,
        tol=tol,
        max_points=max_points,
    )
    table = run_study_grid(
        "thermoelectric_table",
        point,
        {"energy": energies, "temperature": temps},
        settings={
            "params": dict(params or {}),
            "source": source,
            "sink": sink,
            "phonon_kappa": float(phonon_kappa),
            "tol": tol,
            "max_points": max_points,
        },
        run=run,
    )
    frame = pd.DataFrame(
        {
            "energy": table["energy"].astype(float),
            "temperature": table["temperature"].astype(float),
            **{
                name: [observable(table, name, i) for i in range(len(table))]
                for name in COEFFICIENTS
            },
        }
    )
    frame.attrs.update(
        study_attrs(
            table,
            ["energy", "temperature"],
            units={
                "energy": "t",
                "temperature": "t/k_B",
                "G": "e^2/h",
                "S": "k_B/e",
                "Pi": "t/e",
                "kappa": "k_B t/h",
                "lorenz": "(k_B/e)^2",
                "ZT": "1",
            },
        )
    )
    return frame
