"""Aharonov–Bohm rings, one flux trace at a time: the flux grid and unit, the point functions.

The flux grid, period and unit of a system's ``phi`` (:func:`flux_units`), the
harmonics of one trace G(φ), the point functions the interference studies
(:mod:`workflows.studies.interference`) hand to :func:`workflows.scan` — one
flux trace per point (:func:`flux_trace_point`), a ring with dephasing probes
on its arms (:func:`dephased_ring_point`, :func:`ring_with_arm_probes`) — and
the arm length of a ring (:func:`ring_arm_length`).  Conductances in e²/h,
fluxes in h/e for mesoflow's rings (the system's own unit otherwise).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import kwant
import numpy as np
import threadpoolctl

import systems
from analysis.bias import two_terminal_conductance
from analysis.harmonics import flux_harmonics, visibility
from systems.parameters import check_swept_param, updated_params
from systems.validation import check_system, flux_period
from systems.validation import energy as check_energy
from workflows.runs.recipes import SystemRecipe
from workflows.scattering.lead_cache import LeadSelfEnergyCache
from workflows.scattering.sweeps import sweep
from workflows.studies.study_runs import study_system

__all__ = [
    "DEFAULT_FLUX",
    "MESOFLOW_FLUX_UNIT",
    "dephased_ring_point",
    "flux_trace_point",
    "flux_units",
    "ring_arm_length",
    "ring_with_arm_probes",
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
        period = flux_period("period", period)
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


def _require_period(period: float | None) -> float:
    """The flux period for fitting harmonics; a clear error (before any solve) if unknown."""
    if period is None:
        raise ValueError(
            "the flux period of this system is unknown (its 'phi' is your own): pass period= "
            "(in the unit of your flux grid) so that the harmonics can be fitted"
        )
    return period


def _harmonic_columns(flux: np.ndarray, g: np.ndarray, period: float | None) -> dict[str, float]:
    """G0, A1, A2, harmonic and extremal visibility of one trace G(φ)."""
    h = flux_harmonics(flux, g, orders=(1, 2), period=_require_period(period))
    return {
        "G0": h.mean,
        "A1": h.amplitude[1],
        "A2": h.amplitude[2],
        "visibility": h.visibility[1],
        "visibility_extremal": visibility(g),
    }


def ring_arm_length(r_in: float, r_out: float) -> float:
    """Length π(r_in + r_out)/2 of one arm (half the mean circumference) of a ring, in a."""
    return float(np.pi * (r_in + r_out) / 2)


def flux_trace_point(
    *,
    system: Any,
    energy: float,
    flux: Sequence[float],
    params: Mapping[str, Any],
    source: int = 0,
    sink: int = 1,
    at_band_edge: str | None = None,
    lead_cache: LeadSelfEnergyCache | None = None,
    **point: Any,
) -> dict[str, np.ndarray]:
    """Point function of the interference studies: the trace G(φ) at one point.

    Parameters
    ----------
    system
        A finalized system or a :class:`workflows.SystemRecipe` (finalized once per process).
    energy
        Energy in units of t; a grid may give it instead (keyword ``energy`` of ``point``).
    flux
        The flux grid (the system's ``phi``).
    params
        Fixed Kwant parameters.
    source, sink
        Terminals between which G is measured (others floating).
    at_band_edge
        At a band edge of a lead: None (refuse) or the one-sided limit
        ``"above"``/``"below"`` (see :func:`workflows.conductance_matrix`).
    lead_cache
        Lead self-energies shared by the points run in one process (see
        :func:`workflows.sweep`); a copy sent to a worker process starts empty.
    **point
        The grid's parameters at this point (Kwant parameters such as ``salt``
        or ``eta``, or ``energy``).

    Returns
    -------
    dict
        ``G``: the two-terminal conductance (e²/h) at every flux, by :func:`workflows.sweep`.
    """
    energy = point.pop("energy", energy)
    matrices = sweep(
        study_system(system),
        energy,
        "phi",
        np.asarray(flux),
        params=updated_params(params, point),
        at_band_edge=at_band_edge,
        lead_cache=lead_cache,
    )
    return {"G": _two_terminal(matrices, source, sink)}


def _check_traces(
    fsyst: kwant.system.FiniteSystem, energies: Iterable[Any], params: Mapping[str, Any]
) -> None:
    """The checks of :func:`workflows.sweep` of ``phi``, before a study's scan (errors raise)."""
    check_system(fsyst)
    for energy in energies:
        check_energy("energy", energy)
    check_swept_param(fsyst, "phi", params)
    systems.resolve_params(fsyst, updated_params(params, {"phi": 0.0}))


def dephased_ring_point(
    *,
    devices: Sequence[Any],
    fluxes: Sequence[Sequence[float]],
    energy: float,
    ring: int,
    eta: float,
) -> dict[str, np.ndarray]:
    """Point function of :func:`visibility_vs_dephasing`: G(φ) of ring ``ring`` at coupling η."""
    return flux_trace_point(
        system=devices[ring], energy=energy, flux=fluxes[ring], params={}, eta=eta
    )


def ring_with_arm_probes(r_in: float, r_out: float, lead_width: int) -> kwant.Builder:
    """:func:`systems.ab_ring` with a dephasing probe on every site of its arms.

    The arms are the annulus r_in <= |r| <= r_out.

    The builder of the (r_in, r_out) rings of :func:`visibility_vs_dephasing`
    (named in their :class:`workflows.SystemRecipe`, so that each worker
    process builds a ring once).
    """
    builder = systems.ab_ring(r_in, r_out, lead_width)

    def on_arms(pos, r_in=r_in, r_out=r_out):
        return r_in**2 <= pos[0] ** 2 + pos[1] ** 2 <= r_out**2

    systems.attach_dephasing_probes(builder, on_arms)
    return builder


def _dephasing_ring(ring: Any) -> tuple[str, float, float, Any]:
    """(label, r_in, r_out, device with dephasing probes: a recipe or a finalized system)."""
    fsyst = study_system(ring, "rings")
    if isinstance(ring, SystemRecipe):
        arguments = ring.arguments
        r_in, r_out = (float(arguments.get(name, np.nan)) for name in ("r_in", "r_out"))
        if ring.builder is ring_with_arm_probes:
            label = f"ab_ring({r_in:g}, {r_out:g}, {arguments['lead_width']})"
        else:
            label = repr(ring)
        if not systems.dephasing_probe_leads(fsyst):  # a probe on every site
            ring = dataclasses.replace(ring, dephasing_probes=True)
        return label, r_in, r_out, ring
    if not systems.dephasing_probe_leads(fsyst):
        raise ValueError(
            "a finalized system in rings must have dephasing probes "
            "(systems.attach_dephasing_probes(builder, sites) before finalizing)"
        )
    return f"finalized system {id(ring):#x}", np.nan, np.nan, ring
