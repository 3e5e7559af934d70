"""Open channels and group velocities of a lead, solved through the core's one mode door.

These count from a lead's modes, which takes an eigensolver of the lead's
unit cell, so they live in the scattering core rather than in the Kwant-free
:mod:`analysis` (which keeps the analytic counts :func:`analysis.mode_count`
and :func:`analysis.subband_edges`).  Every mode request goes through
:func:`workflows.scattering.band_edges.lead_modes`, so the band-edge
convention of conductances holds here too: an energy exactly at a band edge
raises :class:`~workflows.scattering.band_edges.BandEdgeError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np

from systems.parameters import resolve_params
from systems.validation import lead_index, real
from workflows.scattering.band_edges import lead_modes
from workflows.scattering.nambu import NambuLeadError
from workflows.scattering.nambu import nambu_blocks as nambu_blocks_of

__all__ = ["lead_velocities", "open_modes"]


@dataclass(frozen=True)
class _LeadAlone:
    """A finalized lead seen as a system whose only lead it is (for :func:`lead_modes`)."""

    leads: tuple


def _lead_of(
    syst: kwant.system.FiniteSystem | kwant.system.InfiniteSystem,
    lead: int | None,
    params: Mapping[str, Any] | None,
) -> tuple[Any, int, dict[str, Any]]:
    """(system holding the lead, its index, the params the lead needs) for ``(syst, lead)``.

    ``syst`` is a finalized system (then ``lead`` is its lead index) or a
    finalized lead (an ``InfiniteSystem``, e.g. ``fsyst.leads[0]`` or
    ``lead_builder.finalized()``; then ``lead`` is None or the default 0).
    Only the parameters that the lead reads are needed
    (:func:`systems.resolve_params` with ``lead=``).
    """
    if isinstance(syst, kwant.system.InfiniteSystem):
        if lead not in (None, 0):
            raise ValueError(
                f"lead={lead!r} given with a finalized lead: pass lead=None (the lead itself)"
            )
        return _LeadAlone((syst,)), 0, resolve_params(syst, params)
    if isinstance(syst, kwant.Builder):
        raise TypeError("expected a finalized system or lead: call .finalized() first")
    if not isinstance(syst, kwant.system.FiniteSystem):
        raise TypeError(
            f"expected a finalized kwant system or lead (InfiniteSystem), got {type(syst).__name__}"
        )
    lead = lead_index("lead", lead, len(syst.leads), of="lead")
    if not hasattr(syst.leads[lead], "modes"):
        raise ValueError(f"lead {lead} is a self-energy lead (e.g. a probe): it has no modes")
    return syst, int(lead), resolve_params(syst, params, lead=int(lead))


def _propagating(syst, energy, lead, params, at_band_edge):
    holder, index, params = _lead_of(syst, lead, params)
    energy = real("energy", energy)
    propagating, _ = lead_modes(holder, index, energy, params, at_band_edge=at_band_edge)
    return propagating, holder.leads[index]


def open_modes(
    fsyst: kwant.system.FiniteSystem | kwant.system.InfiniteSystem,
    energy: float,
    *,
    lead: int | None = 0,
    params: Mapping[str, Any] | None = None,
    at_band_edge: str | None = None,
) -> int:
    """Number of propagating (open) channels of one lead at ``energy``.

    Parameters
    ----------
    fsyst
        A finalized Kwant system, or a finalized lead (``InfiniteSystem``).
    energy
        Energy in units of t (of the system's own units for a user's system).
    lead
        Lead index of ``fsyst`` (default 0: ``open_modes(fsyst, 0.5, lead=2)``);
        None (or the default) when ``fsyst`` is a lead itself
        (``open_modes(flead, 0.5)``).
    params
        Kwant parameters; only those the lead reads are needed (see
        :func:`systems.resolve_params`).
    at_band_edge
        At a band edge of the lead: None/``"refuse"`` (default) raises
        ``BandEdgeError``; ``"above"``/``"below"`` counts the side asked for
        (the one-sided limit, see :func:`workflows.conductance_matrix`).

    Returns
    -------
    int
        N(E): the ideal conductance of that lead in e²/h.  In a magnetic
        field in the quantum Hall regime, the number of edge channels ν.

    Raises
    ------
    workflows.scattering.band_edges.BandEdgeError
        If ``energy`` is exactly at a band edge of the lead.
    """
    holder, index, lead_params = _lead_of(fsyst, lead, params)
    if nambu_blocks_of(holder.leads[index], lead_params) is not None:
        raise NambuLeadError(
            f"lead {index} is a BdG (Nambu) lead: its open modes count electrons and holes; "
            "use workflows.andreev_conductance (its electron_modes)"
        )
    propagating, _ = _propagating(fsyst, energy, lead, params, at_band_edge)
    return int(propagating.velocities.size // 2)


def lead_velocities(
    fsyst: kwant.system.FiniteSystem | kwant.system.InfiniteSystem,
    energy: float,
    *,
    lead: int | None = 0,
    params: Mapping[str, Any] | None = None,
    at_band_edge: str | None = None,
) -> np.ndarray:
    """Group velocities v_n > 0 (t·a/ħ) of the open modes of one lead, sorted ascending.

    ``fsyst``, ``lead``, ``params`` and ``at_band_edge`` as for :func:`open_modes` (a finalized
    lead takes ``lead=None`` or the default).  Kwant reports velocities per
    unit cell; they are multiplied by the cell length |period| (lattice
    constants) to give t·a/ħ.  For :func:`analysis.ohmic_slope` and
    :func:`analysis.semiclassical_dephased_resistance`.
    """
    propagating, the_lead = _propagating(fsyst, energy, lead, params, at_band_edge)
    velocities = np.abs(np.asarray(propagating.velocities, dtype=float))
    cell = np.linalg.norm(np.asarray(the_lead.symmetry.periods, dtype=float)[0])
    return np.sort(velocities[: velocities.size // 2]) * cell
