"""Aharonov–Bohm interference studies: flux traces, and their visibility against dephasing,
temperature and disorder; Onsager reciprocity of a four-terminal ring.

Every study returns a tidy :class:`pandas.DataFrame` (one row per point, one
column per parameter and observable).  Conductances are in e²/h, resistances
in h/e², fluxes in h/e, energies and temperatures in t (k_B = 1).  All flux
dependences are computed with :func:`workflows.sweep`, which solves each system
once per energy and reuses the solution for every flux value.

The studies over several systems, energies or samples
(:func:`visibility_vs_dephasing`, :func:`visibility_vs_temperature`,
:func:`disorder_ensemble`) are a point function (one flux trace) plus a grid,
run by :func:`workflows.scan` (see :mod:`workflows.studies.study_runs`): they
take ``executor``, ``store`` (resume), ``progress`` and ``timeout``, and their
provenance is the scan's, in ``attrs["provenance"]``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import kwant
import numpy as np
import pandas as pd
import threadpoolctl

import systems
from analysis.bias import four_terminal_resistance
from analysis.thermal import thermal_average
from systems.parameters import updated_params
from systems.validation import energy as check_energy
from systems.validation import iterable, real, real_array
from workflows.runs.options import RunOptions, run_options
from workflows.runs.provenance import run_provenance
from workflows.scattering.band_edges import GRID_NODE_SIDE
from workflows.scattering.lead_cache import LeadSelfEnergyCache
from workflows.scattering.sweeps import sweep
from workflows.studies.ring_points import (
    _check_traces,
    _dephasing_ring,
    _harmonic_columns,
    _require_period,
    _two_terminal,
    dephased_ring_point,
    flux_trace_point,
    flux_units,
    ring_arm_length,
    ring_with_arm_probes,
)
from workflows.studies.study_runs import (
    StudySystem,
    observable,
    plain_settings,
    run_study_grid,
    study_attrs,
    study_system,
)

__all__ = [
    "ab_oscillations",
    "disorder_ensemble",
    "flux_units",
    "four_terminal_reciprocity",
    "ring_arm_length",
    "ring_with_arm_probes",
    "visibility_vs_dephasing",
    "visibility_vs_temperature",
]


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
        the period (None if unknown); ``attrs["provenance"]`` the run (one
        sweep, no scan) in the studies' format, with a ``study`` entry.
    """
    flux, period, unit = flux_units(fsyst, flux, period=period, flux_unit=flux_unit)
    matrices = sweep(fsyst, energy, "phi", flux, params=params, method=method)
    frame = pd.DataFrame({"phi": flux, "G": _two_terminal(matrices, source, sink)})
    frame.attrs["provenance"] = run_provenance(
        study={
            "name": "ab_oscillations",
            "settings": plain_settings(
                {"energy": energy, "params": dict(params or {}), "source": source, "sink": sink}
            ),
        }
    )
    frame.attrs.update(units={"phi": unit, "G": "e²/h"}, flux_period=period)
    return frame


def visibility_vs_dephasing(
    rings: Iterable[StudySystem],
    energy: float,
    etas: Iterable[float],
    *,
    flux=None,
    period: float | None = None,
    flux_unit: str | None = None,
    run: RunOptions | None = None,
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
        The rings, each a :class:`workflows.SystemRecipe` (finalized once per
        worker) or a finalized system.  The rings above are
        ``SystemRecipe(ring_with_arm_probes, {"r_in": 4, "r_out": 6.5,
        "lead_width": 2})`` (:func:`ring_with_arm_probes`).  A recipe whose
        system has no dephasing probes gets one on every site
        (``dephasing_probes=True``); a finalized system must already have
        them (:func:`systems.attach_dephasing_probes`); the coupling
        parameter is ``eta``.  ``r_in`` and ``r_out`` are the recipe's
        arguments of these names; for other rings the columns ``r_in``,
        ``r_out`` and ``arm_length`` are NaN and ``system`` names them.
    energy
        Energy in units of t.
    etas
        Probe couplings η >= 0 in units of t.
    flux
        Flux grid (h/e) for the harmonics; default 16 points over one period.
    period, flux_unit
        For your own systems whose ``phi`` is your own: the flux period and
        unit name (see :func:`flux_units`).
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        One row per (ring, η): ``r_in``, ``r_out``, ``arm_length`` (a), ``eta``,
        ``n_probes``, ``G0`` (e²/h), ``A1``, ``A2`` (amplitudes of the h/e and
        h/2e harmonics), ``visibility`` (A1/G0), ``visibility_extremal``
        ((max − min)/(max + min)), ``coherent_visibility`` (A1/G0 at η = 0)
        and ``relative_visibility`` (their ratio: the dephasing factor).
        ``attrs``: the scan's ``provenance``, ``failed`` and ``errors`` (see
        :func:`workflows.studies.study_runs.study_attrs`).

    Notes
    -----
    One point per (ring, η), η = 0 (the coherent reference) included: a flux
    trace by :func:`workflows.sweep` (:func:`dephased_ring_point`).
    """
    run = run_options(run)
    rings = list(iterable("rings", rings, what="ring recipes or finalized systems"))
    etas = [float(eta) for eta in real_array("etas", iterable("etas", etas), missing=True)]
    if not rings or not etas:
        raise ValueError("rings and etas must each contain at least one value")
    if any(not np.isfinite(eta) or eta < 0 for eta in etas):
        raise ValueError(f"etas must be finite and >= 0 (units of t), got {etas}")
    energy = check_energy("energy", energy)  # before building any ring
    devices = [_dephasing_ring(ring) for ring in rings]
    units = []
    for _, _, _, device in devices:
        fsyst = study_system(device)
        _check_traces(fsyst, [], {"eta": etas[0]})
        units.append(
            (
                *flux_units(fsyst, flux, period=period, flux_unit=flux_unit),
                len(systems.dephasing_probe_leads(fsyst)),
            )
        )
        _require_period(units[-1][1])  # the harmonics need it: say so before any solve
    couplings = list(dict.fromkeys([0.0, *etas]))  # the coherent reference first
    point = functools.partial(
        dephased_ring_point,
        devices=tuple(device for *_, device in devices),
        fluxes=tuple(tuple(grid.tolist()) for grid, *_ in units),
        energy=energy,
    )
    table = run_study_grid(
        "visibility_vs_dephasing",
        point,
        {"ring": list(range(len(devices))), "eta": couplings},
        settings={
            "rings": [label for label, *_ in devices],
            "etas": etas,
            "energy": energy,
            "flux": None if flux is None else np.asarray(flux, dtype=float),
            "period": period,
            "flux_unit": flux_unit,
        },
        run=run,
    )
    nan_columns = dict.fromkeys(("G0", "A1", "A2", "visibility", "visibility_extremal"), np.nan)

    def columns(ring: int, eta: float) -> dict[str, float]:
        index = ring * len(couplings) + couplings.index(eta)
        trace = observable(table, "G", index, None)
        if trace is None:
            return nan_columns
        grid, ring_period, _, _ = units[ring]
        return _harmonic_columns(grid, np.asarray(trace, dtype=float), ring_period)

    rows = []
    for ring, (label, r_in, r_out, _) in enumerate(devices):
        _, _, unit, n_probes = units[ring]
        coherent = columns(ring, 0.0)["visibility"]
        for eta in etas:
            values = columns(ring, eta)
            rows.append(
                {
                    "system": label,
                    "flux_unit": unit,
                    "r_in": r_in,
                    "r_out": r_out,
                    "arm_length": ring_arm_length(r_in, r_out),
                    "eta": eta,
                    "n_probes": n_probes,
                    **values,
                    "coherent_visibility": coherent,
                    "relative_visibility": values["visibility"] / coherent,
                }
            )
    frame = pd.DataFrame(rows)
    frame.attrs.update(study_attrs(table, ["ring", "eta"]))
    return frame


def visibility_vs_temperature(
    fsyst: StudySystem,
    energy: float,
    temperatures: Iterable[float],
    *,
    energies: Sequence[float],
    flux=None,
    period: float | None = None,
    flux_unit: str | None = None,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    run: RunOptions | None = None,
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
        A finalized ring (parameter ``phi``). Or its :class:`workflows.SystemRecipe`
        (finalized once per worker).
    energy
        Fermi energy: the reservoirs' common chemical potential μ, in units of t.
    temperatures
        k_B T in units of t (>= 0).
    energies
        Energy grid (t), sorted, wide enough for the thermal window of the
        highest temperature (about ``energy`` ± 15 k_B T) and fine enough to resolve
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
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        One row per temperature: ``temperature``, ``G0``, ``A1``, ``A2``,
        ``visibility`` (A1/G0), ``visibility_extremal``.  ``attrs``: the
        scan's ``provenance``, ``failed`` and ``errors``, the flux ``units``
        and ``flux_period``.

    Notes
    -----
    One point per energy of the grid: the trace G(E, φ) (:func:`flux_trace_point`).
    """
    run = run_options(run)
    system, fsyst = fsyst, study_system(fsyst)
    flux, period, unit = flux_units(fsyst, flux, period=period, flux_unit=flux_unit)
    _require_period(period)  # the harmonics need it: say so before any solve
    energies = np.asarray(real_array("energies", iterable("energies", energies)))
    temperatures = [
        float(t) for t in real_array("temperatures", iterable("temperatures", temperatures))
    ]
    if energies.ndim != 1 or energies.size < 2 or np.any(np.diff(energies) <= 0):
        raise ValueError("energies must be a strictly increasing 1D grid of >= 2 energies")
    for temperature in temperatures:  # check the thermal windows before any solve
        thermal_average(energies, np.zeros_like(energies), mu=energy, temperature=temperature)
    _check_traces(fsyst, energies, updated_params(params, {}))
    point = functools.partial(
        flux_trace_point,
        system=system,
        energy=None,
        flux=tuple(flux.tolist()),
        params=updated_params(params, {}),
        source=source,
        sink=sink,
        at_band_edge=GRID_NODE_SIDE,  # a quadrature node on a band edge: the limit from above
    )
    table = run_study_grid(
        "visibility_vs_temperature",
        point,
        {"energy": energies},
        settings={
            "energy": energy,
            "temperatures": temperatures,
            "flux": flux,
            "params": dict(params or {}),
            "source": source,
            "sink": sink,
        },
        run=run,
    )
    conductance = np.array(
        [observable(table, "G", i, np.full(flux.size, np.nan)) for i in range(energies.size)],
        dtype=float,
    )  # (n_energies, n_flux)
    rows = []
    for temperature in temperatures:
        g = np.array(
            [
                thermal_average(energies, conductance[:, k], mu=energy, temperature=temperature)
                for k in range(flux.size)
            ]
        )
        if np.all(np.isfinite(g)):
            columns = _harmonic_columns(flux, g, period)
        else:  # a failed energy inside the thermal window
            columns = dict.fromkeys(("G0", "A1", "A2", "visibility", "visibility_extremal"), np.nan)
        rows.append({"temperature": temperature, **columns})
    frame = pd.DataFrame(rows)
    frame.attrs.update(study_attrs(table, ["energy"], units={"phi": unit}, flux_period=period))
    return frame


def disorder_ensemble(
    fsyst: StudySystem,
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
    run: RunOptions | None = None,
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
        A finalized ring with parameters ``phi``, ``disorder`` and ``salt``. Or its
        :class:`workflows.SystemRecipe` (finalized once per worker).
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
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        Tidy: columns ``salt``, ``phi``, ``G`` (one row per sample and flux;
        G is NaN for a failed sample).  ``attrs``: the scan's ``provenance``,
        ``failed`` and ``errors``, the flux ``units`` and ``flux_period``.

    Notes
    -----
    One point per sample: its trace G(φ) (:func:`flux_trace_point`).  The
    samples are independent, so a process pool runs them in parallel, e.g.
    ``executor=workflows.process_pool(2)``.
    """
    run = run_options(run)
    system, fsyst = fsyst, study_system(fsyst)
    flux, period, unit = flux_units(fsyst, flux, period=period, flux_unit=flux_unit)
    salts = [str(salt) for salt in salts]
    if not salts:
        raise ValueError("salts must contain at least one disorder seed")
    if len(set(salts)) != len(salts):
        raise ValueError("salts must be distinct (a repeated salt is the same sample)")
    disorder = real("disorder", disorder, minimum=0, hint="units of t")
    base = updated_params(params, {"disorder": disorder})
    _check_traces(fsyst, [energy], updated_params(base, {"salt": salts[0]}))
    point = functools.partial(
        flux_trace_point,
        system=system,
        energy=energy,
        flux=tuple(flux.tolist()),
        params=base,
        source=source,
        sink=sink,
        lead_cache=LeadSelfEnergyCache(),  # the samples share their leads: solved once
    )
    table = run_study_grid(
        "disorder_ensemble",
        point,
        {"salt": salts},
        settings={
            "energy": energy,
            "disorder": disorder,
            "n_samples": len(salts),
            "flux": flux,
            "params": dict(params or {}),
            "source": source,
            "sink": sink,
        },
        run=run,
    )
    frame = pd.DataFrame(
        {
            "salt": np.repeat(np.array(salts, dtype=object), flux.size),
            "phi": np.tile(flux, len(salts)),
            "G": np.concatenate(
                [
                    np.asarray(observable(table, "G", i, np.full(flux.size, np.nan)), dtype=float)
                    for i in range(len(salts))
                ]
            ),
        }
    )
    frame.attrs.update(study_attrs(table, ["salt"], units={"phi": unit}, flux_period=period))
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
    frame.attrs["provenance"] = run_provenance(
        study={
            "name": "four_terminal_reciprocity",
            "settings": plain_settings(
                {
                    "energy": energy,
                    "current": list(current),
                    "voltage": list(voltage),
                    "params": dict(params or {}),
                }
            ),
        }
    )
    frame.attrs.update(units={"phi": unit}, flux_period=period)
    return frame
