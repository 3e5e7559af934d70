"""Aharonov–Bohm interference studies: flux traces, and their visibility against dephasing,
temperature and disorder; Onsager reciprocity of a four-terminal ring.

Every study returns a tidy :class:`pandas.DataFrame` (one row per point, one
column per parameter and observable) with its settings and the run's provenance
in ``DataFrame.attrs``.  Conductances are in e²/h, resistances in h/e², fluxes in
h/e, energies and temperatures in t (k_B = 1).  All flux dependences are computed
with :func:`workflows.sweep`, which solves each system once per energy and
reuses the solution for every flux value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from numbers import Real
from typing import Any

import kwant
import numpy as np
import pandas as pd
import threadpoolctl

import systems
from analysis.bias import four_terminal_resistance, two_terminal_conductance
from analysis.harmonics import _check_period, flux_harmonics, visibility
from analysis.thermal import thermal_average
from workflows.runs.provenance import run_provenance
from workflows.runs.recipes import SystemRecipe
from workflows.scattering.conductance import _check_energy
from workflows.scattering.sweeps import sweep

__all__ = [
    "ab_oscillations",
    "disorder_ensemble",
    "flux_units",
    "four_terminal_reciprocity",
    "ring_arm_length",
    "visibility_vs_dephasing",
    "visibility_vs_temperature",
]

#: Default flux grid: 16 points over one period h/e (resolves the harmonics n <= 7).
DEFAULT_FLUX = np.linspace(0.0, 1.0, 16, endpoint=False)


#: The unit of mesoflow's own flux parameter ``phi``.
MESOFLOW_FLUX_UNIT = "h/e"


def _flux(flux) -> np.ndarray:
    flux = DEFAULT_FLUX if flux is None else np.asarray(flux, dtype=float)
    if flux.ndim != 1 or flux.size == 0 or not np.all(np.isfinite(flux)):
        raise ValueError(f"flux must be a non-empty 1D array of finite fluxes, got {flux!r}")
    return flux


def flux_units(
    fsyst: kwant.system.FiniteSystem,
    flux=None,
    *,
    period: float | None = None,
    flux_unit: str | None = None,
) -> tuple[np.ndarray, float, str]:
    """The flux grid, the flux period and the unit name of a system's ``phi``.

    For mesoflow's own flux (``phi`` read by :mod:`systems` value functions,
    e.g. :func:`systems.ab_ring`) the unit is h/e and the period 1; the
    default grid is 16 points over one period.  For a system whose ``phi`` is
    read by the user's own value function, units are the system's: give the
    grid (``flux``) or the ``period`` (then a 16-point grid over one period),
    and optionally ``flux_unit`` (a name such as ``"rad"`` for the results).

    Returns
    -------
    (flux, period, unit)
        ``period`` is None for a user's system given only a grid (no
        harmonics can then be fitted); ``unit`` names the unit of ``flux``.
    """
    if period is not None:
        period = _check_period(period)
    owners = systems.parameter_owners(fsyst)
    own = owners.mesoflow.get("phi") == "phi" and "phi" not in owners.user
    if own:
        if flux_unit not in (None, MESOFLOW_FLUX_UNIT):
            raise ValueError(
                f"flux_unit={flux_unit!r}: mesoflow's flux 'phi' of this system is in h/e"
            )
        if period not in (None, 1.0):
            raise ValueError(f"period={period!r}: mesoflow's flux 'phi' has period 1 (h/e)")
        return _flux(flux), 1.0, MESOFLOW_FLUX_UNIT
    unit = flux_unit or "units of the system's 'phi'"
    if flux is None:
        if period is None:
            raise ValueError(
                "flux=None, period=None: this system's flux 'phi' is read by your own value "
                "function, in your own units, so mesoflow cannot choose the grid; pass flux= "
                "(a grid in those units) or period= (one flux period, e.g. 2*numpy.pi for "
                "radians; a 16-point grid over it is used)"
            )
        return period * DEFAULT_FLUX, period, unit
    return _flux(flux), period, unit


def _two_terminal(matrices: np.ndarray, source: int, sink: int) -> np.ndarray:
    """G between ``source`` and ``sink`` (others floating) for a stack of conductance matrices."""
    # Small dense problems: BLAS threads only add contention.
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        return np.array([two_terminal_conductance(g, source, sink) for g in matrices])


def _harmonic_columns(flux: np.ndarray, g: np.ndarray, period: float | None) -> dict[str, float]:
    """G0, A1, A2, harmonic and extremal visibility of one trace G(φ)."""
    if period is None:
        raise ValueError(
            "the flux period of this system is unknown (its 'phi' is your own): pass period= "
            "(in the unit of your flux grid) so that the harmonics can be fitted"
        )
    h = flux_harmonics(flux, g, orders=(1, 2), period=period)
    return {
        "G0": h["mean"],
        "A1": h["amplitude"][1],
        "A2": h["amplitude"][2],
        "visibility": h["visibility"][1],
        "visibility_extremal": visibility(g),
    }


def ring_arm_length(r_in: float, r_out: float) -> float:
    """Length π(r_in + r_out)/2 of one arm (half the mean circumference) of a ring, in a."""
    return float(np.pi * (r_in + r_out) / 2)


def ab_oscillations(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    flux=None,
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    method: str = "auto",
    period: float | None = None,
    flux_unit: str | None = None,
) -> pd.DataFrame:
    """Two-terminal conductance G(φ) of a ring (any other terminal floating).

    Parameters
    ----------
    fsyst
        A finalized system with the flux parameter ``phi`` (e.g. :func:`systems.ab_ring`).
    energy
        Energy in units of t.
    flux
        Fluxes φ: in h/e for mesoflow's rings (default 16 points over one
        period); in the system's own units for a system whose ``phi`` is read
        by the user's value function, where the grid or ``period`` is required
        (see :func:`flux_units`).
    params
        Other Kwant parameters (fixed).
    source, sink
        Terminals between which G is measured.
    method
        Passed to :func:`workflows.sweep`.
    period, flux_unit
        For a user's system: one flux period and the unit's name (e.g.
        ``2*numpy.pi`` and ``"rad"``), see :func:`flux_units`.

    Returns
    -------
    pandas.DataFrame
        Columns ``phi`` and ``G`` (e²/h); ``attrs["units"]["phi"]`` names the
        flux unit (``"h/e"`` for mesoflow's rings) and ``attrs["flux_period"]``
        the period (None if unknown).
    """
    flux, period, unit = flux_units(fsyst, flux, period=period, flux_unit=flux_unit)
    matrices = sweep(fsyst, energy, "phi", flux, params=params, method=method)
    frame = pd.DataFrame({"phi": flux, "G": _two_terminal(matrices, source, sink)})
    frame.attrs.update(
        run_provenance(study="ab_oscillations", energy=energy, source=source, sink=sink)
    )
    frame.attrs.update(units={"phi": unit, "G": "e²/h"}, flux_period=period)
    return frame


def _dephasing_ring(ring: Any, lead_width: int | None) -> tuple[str, float, float, Any]:
    """(label, r_in, r_out, finalized system with dephasing probes) of one ring argument."""
    if isinstance(ring, SystemRecipe):
        recipe = ring if ring.dephasing_probes else dataclasses.replace(ring, dephasing_probes=True)
        return repr(ring), np.nan, np.nan, recipe.finalized()
    if isinstance(ring, kwant.system.FiniteSystem):
        if not systems.dephasing_probe_leads(ring):
            raise ValueError(
                "a finalized system in rings must have dephasing probes "
                "(systems.attach_dephasing_probes(builder, sites) before finalizing)"
            )
        return f"finalized system {id(ring):#x}", np.nan, np.nan, ring
    if isinstance(ring, kwant.Builder):
        raise TypeError("rings: a kwant.Builder must be finalized (or given as a SystemRecipe)")
    try:
        r_in, r_out = (float(r) for r in ring)
    except (TypeError, ValueError):
        raise TypeError(
            f"each ring must be (r_in, r_out), a SystemRecipe or a finalized system, got {ring!r}"
        ) from None
    if lead_width is None:
        raise ValueError("lead_width is required for rings given as (r_in, r_out)")
    builder = systems.ab_ring(r_in, r_out, lead_width)

    def on_arms(pos, r_in=r_in, r_out=r_out):
        return r_in**2 <= pos[0] ** 2 + pos[1] ** 2 <= r_out**2

    systems.attach_dephasing_probes(builder, on_arms)
    return f"ab_ring({r_in:g}, {r_out:g}, {lead_width})", r_in, r_out, builder.finalized()


def visibility_vs_dephasing(
    rings: Iterable[Any],
    etas: Iterable[float],
    *,
    lead_width: int | None = None,
    energy: float,
    flux=None,
    period: float | None = None,
    flux_unit: str | None = None,
) -> pd.DataFrame:
    """Visibility of the h/e oscillation of rings with dephasing probes on their arms.

    Each ring :func:`systems.ab_ring` ``(r_in, r_out, lead_width)`` gets a Büttiker
    dephasing probe (:func:`systems.attach_dephasing_probes`) on every site of
    the annulus r_in <= |r| <= r_out, i.e. on both arms, all with coupling η;
    the probes float.  A coherent path through one arm keeps its amplitude
    only as exp(−L/2l_φ), l_φ = ħv/η, so the visibility of the h/e oscillation
    (a product of the two arms' amplitudes) decays as exp(−L/l_φ) with the arm
    length L (see :func:`analysis.visibility_decay_length`).

    Parameters
    ----------
    rings
        Each ring is (r_in, r_out) in lattice constants (a :func:`systems.ab_ring`
        with probes on its arms, as above), or a system of your own: a
        :class:`workflows.SystemRecipe` (built with a dephasing probe on every
        site, coupling ``eta``) or a finalized system that already has
        dephasing probes (:func:`systems.attach_dephasing_probes`, parameter
        ``eta``).  For these the columns ``r_in``, ``r_out`` and
        ``arm_length`` are NaN and ``system`` names them.
    etas
        Probe couplings η >= 0 in units of t.
    lead_width
        Width of the two leads of the (r_in, r_out) rings.
    energy
        Energy in units of t.
    flux
        Flux grid (h/e) for the harmonics; default 16 points over one period.
    period, flux_unit
        For your own systems whose ``phi`` is your own: the flux period and
        unit name (see :func:`flux_units`).

    Returns
    -------
    pandas.DataFrame
        One row per (ring, η): ``r_in``, ``r_out``, ``arm_length`` (a), ``eta``,
        ``n_probes``, ``G0`` (e²/h), ``A1``, ``A2`` (amplitudes of the h/e and
        h/2e harmonics), ``visibility`` (A1/G0), ``visibility_extremal``
        ((max − min)/(max + min)), ``coherent_visibility`` (A1/G0 at η = 0)
        and ``relative_visibility`` (their ratio: the dephasing factor).
    """
    rings = list(rings)
    etas = [float(eta) for eta in etas]
    if not rings or not etas:
        raise ValueError("rings and etas must each contain at least one value")
    if any(not np.isfinite(eta) or eta < 0 for eta in etas):
        raise ValueError(f"etas must be finite and >= 0 (units of t), got {etas}")
    energy = _check_energy(energy)  # before building any ring
    devices = [_dephasing_ring(ring, lead_width) for ring in rings]
    rows = []
    for label, r_in, r_out, fsyst in devices:
        grid, ring_period, unit = flux_units(fsyst, flux, period=period, flux_unit=flux_unit)
        n_probes = len(systems.dephasing_probe_leads(fsyst))

        def trace(eta, fsyst=fsyst, grid=grid):
            matrices = sweep(fsyst, energy, "phi", grid, params={"eta": eta})
            return _two_terminal(matrices, 0, 1)

        coherent_trace = trace(0.0)
        coherent = _harmonic_columns(grid, coherent_trace, ring_period)["visibility"]
        for eta in etas:
            columns = _harmonic_columns(
                grid, coherent_trace if eta == 0 else trace(eta), ring_period
            )
            rows.append(
                {
                    "system": label,
                    "flux_unit": unit,
                    "r_in": r_in,
                    "r_out": r_out,
                    "arm_length": ring_arm_length(r_in, r_out),
                    "eta": eta,
                    "n_probes": n_probes,
                    **columns,
                    "coherent_visibility": coherent,
                    "relative_visibility": columns["visibility"] / coherent,
                }
            )
    frame = pd.DataFrame(rows)
    frame.attrs.update(
        run_provenance(
            study="visibility_vs_dephasing",
            energy=energy,
            lead_width=lead_width,
            n_flux=None if flux is None else len(flux),
        )
    )
    return frame


def visibility_vs_temperature(
    fsyst: kwant.system.FiniteSystem,
    mu: float,
    temperatures: Iterable[float],
    *,
    energies: Sequence[float],
    flux=None,
    period: float | None = None,
    flux_unit: str | None = None,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
) -> pd.DataFrame:
    """Visibility of the thermally averaged AB oscillation G_T(φ) = ∫ G(E, φ) (−∂f/∂E) dE.

    G(E, φ) is computed on the energy grid (one :func:`workflows.sweep` per
    energy) and averaged with :func:`analysis.thermal_average` (exact against
    the piecewise-linear interpolant).  The oscillation washes out once k_B T
    exceeds the energy scale on which its phase changes, the Thouless energy
    ~ ħv/L of the arms.

    Parameters
    ----------
    fsyst
        A finalized ring (parameter ``phi``).
    mu
        Chemical potential in units of t.
    temperatures
        k_B T in units of t (>= 0).
    energies
        Energy grid (t), sorted, wide enough for the thermal window of the
        highest temperature (about mu ± 15 k_B T) and fine enough to resolve
        G(E) (spacing well below the Thouless energy).
    flux
        Flux grid (h/e); default 16 points over one period.
    period, flux_unit
        For a system whose ``phi`` is the user's own: its flux period and unit
        name (see :func:`flux_units`); results then carry that unit.
    params
        Other Kwant parameters (fixed).
    source, sink
        Terminals.

    Returns
    -------
    pandas.DataFrame
        One row per temperature: ``temperature``, ``G0``, ``A1``, ``A2``,
        ``visibility`` (A1/G0), ``visibility_extremal``.
    """
    flux, period, unit = flux_units(fsyst, flux, period=period, flux_unit=flux_unit)
    energies = np.asarray(energies, dtype=float)
    temperatures = [float(temperature) for temperature in temperatures]
    if energies.ndim != 1 or energies.size < 2 or np.any(np.diff(energies) <= 0):
        raise ValueError("energies must be a strictly increasing 1D grid of >= 2 energies")
    for temperature in temperatures:  # check the thermal windows before any solve
        thermal_average(energies, np.zeros_like(energies), temperature, mu)
    conductance = np.array(
        [
            _two_terminal(sweep(fsyst, energy, "phi", flux, params=params), source, sink)
            for energy in energies
        ]
    )  # (n_energies, n_flux)
    rows = []
    for temperature in temperatures:
        g = np.array(
            [
                thermal_average(energies, conductance[:, k], temperature, mu)
                for k in range(flux.size)
            ]
        )
        rows.append({"temperature": temperature, **_harmonic_columns(flux, g, period)})
    frame = pd.DataFrame(rows)
    frame.attrs.update(
        run_provenance(
            study="visibility_vs_temperature",
            mu=mu,
            energies=[float(energies[0]), float(energies[-1]), int(energies.size)],
            n_flux=int(flux.size),
        )
    )
    frame.attrs.update(units={"phi": unit}, flux_period=period)
    return frame


def disorder_ensemble(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    salts: Iterable[str | int],
    *,
    disorder: float,
    flux=None,
    period: float | None = None,
    flux_unit: str | None = None,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
) -> pd.DataFrame:
    """G(φ) of a disordered ring for every disorder realisation (salt).

    The h/e oscillation of each sample has a random phase (0 or π for a
    two-terminal ring) and averages away over the ensemble, while the h/2e
    Altshuler–Aronov–Spivak oscillation, from time-reversed paths around the
    ring, has the same phase in every sample and survives: summarise with
    :func:`analysis.ensemble_harmonics`.

    Parameters
    ----------
    fsyst
        A finalized ring with parameters ``phi``, ``disorder`` and ``salt``.
    energy
        Energy in units of t.
    salts
        Disorder seeds, one per sample.
    disorder
        Disorder strength W (units of t): on-site energies uniform in [−W/2, W/2].
    flux
        Flux grid (h/e); default 16 points over one period.
    period, flux_unit
        For a system whose ``phi`` is the user's own: its flux period and unit
        name (see :func:`flux_units`); results then carry that unit.
    params
        Other Kwant parameters (fixed).
    source, sink
        Terminals.

    Returns
    -------
    pandas.DataFrame
        Tidy: columns ``salt``, ``phi``, ``G`` (one row per sample and flux).
    """
    flux, period, unit = flux_units(fsyst, flux, period=period, flux_unit=flux_unit)
    salts = [str(salt) for salt in salts]
    if not salts:
        raise ValueError("salts must contain at least one disorder seed")
    if len(set(salts)) != len(salts):
        raise ValueError("salts must be distinct (a repeated salt is the same sample)")
    if isinstance(disorder, bool) or not isinstance(disorder, Real) or not 0 <= disorder < np.inf:
        raise ValueError(f"disorder must be a real number >= 0 (units of t), got {disorder!r}")
    base = {**(params or {}), "disorder": disorder}
    frames = []
    for salt in salts:
        matrices = sweep(fsyst, energy, "phi", flux, params={**base, "salt": salt})
        frames.append(
            pd.DataFrame({"salt": salt, "phi": flux, "G": _two_terminal(matrices, source, sink)})
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs.update(
        run_provenance(
            study="disorder_ensemble", energy=energy, disorder=disorder, n_samples=len(salts)
        )
    )
    frame.attrs.update(units={"phi": unit}, flux_period=period)
    return frame


def four_terminal_reciprocity(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    flux=None,
    period: float | None = None,
    flux_unit: str | None = None,
    *,
    current: tuple[int, int] = (0, 1),
    voltage: tuple[int, int] = (2, 3),
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """A four-terminal resistance of a ring and its Onsager–Büttiker partner.

    Onsager–Büttiker: R_{mn,kl}(φ) = R_{kl,mn}(−φ) exactly, whereas a single
    four-terminal resistance R_{mn,kl}(φ) need not be even in φ (only the
    two-terminal conductance is, by phase rigidity).

    Parameters
    ----------
    fsyst
        A finalized four-terminal ring (:func:`systems.ab_ring` with ``four_leads=True``).
    energy
        Energy in units of t.
    flux
        Fluxes φ (h/e); default 16 points over one period.
    period, flux_unit
        For a system whose ``phi`` is the user's own: its flux period and unit
        name (see :func:`flux_units`); results then carry that unit.
    current, voltage
        (m, n): current from m to n; (k, l): voltage between k and l.
    params
        Other Kwant parameters (fixed).

    Returns
    -------
    pandas.DataFrame
        Columns ``phi``, ``R`` = R_{mn,kl}(φ), ``R_reversed_flux`` = R_{mn,kl}(−φ)
        and ``R_reciprocal`` = R_{kl,mn}(−φ), in h/e².
    """
    flux, period, unit = flux_units(fsyst, flux, period=period, flux_unit=flux_unit)
    both = sweep(fsyst, energy, "phi", np.concatenate([flux, -flux]), params=params)
    plus, minus = both[: flux.size], both[flux.size :]
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        frame = pd.DataFrame(
            {
                "phi": flux,
                "R": [four_terminal_resistance(g, current, voltage) for g in plus],
                "R_reversed_flux": [four_terminal_resistance(g, current, voltage) for g in minus],
                "R_reciprocal": [four_terminal_resistance(g, voltage, current) for g in minus],
            }
        )
    frame.attrs.update(
        run_provenance(
            study="four_terminal_reciprocity",
            energy=energy,
            current=list(current),
            voltage=list(voltage),
        )
    )
    frame.attrs.update(units={"phi": unit}, flux_period=period)
    return frame
