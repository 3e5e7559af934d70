"""Landauer mode counting: open channels of a lead, analytic subbands of a strip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kwant
import numpy as np

from systems._validation import hopping, integer, lead_index, real, real_array
from systems.parameters import resolve_params

__all__ = [
    "EDGE_TOLERANCE",
    "lead_system",
    "mode_count",
    "open_modes",
    "propagating_modes",
    "subband_edges",
]

#: Energies within this many t of a subband edge count as at the edge (mode closed).
EDGE_TOLERANCE = 1e-12


def lead_system(
    syst: kwant.system.FiniteSystem | kwant.system.InfiniteSystem,
    lead: int | None,
    params: Mapping[str, Any] | None,
) -> tuple[kwant.system.InfiniteSystem, dict[str, Any]]:
    """The finalized lead meant by ``(syst, lead)`` and the params it needs.

    ``syst`` is a finalized system (then ``lead`` is its lead index) or a
    finalized lead (an ``InfiniteSystem``, e.g. ``fsyst.leads[0]`` or
    ``lead_builder.finalized()``; then ``lead`` is None).  Only the
    parameters that the lead reads are needed (:func:`systems.resolve_params`
    with ``lead=``); unknown names are checked against the whole system.
    """
    if isinstance(syst, kwant.system.InfiniteSystem):
        if lead is not None:
            raise ValueError(
                f"lead={lead!r} given with a finalized lead: pass lead=None (the lead itself)"
            )
        return syst, resolve_params(syst, params)
    if isinstance(syst, kwant.Builder):
        raise TypeError("expected a finalized system or lead: call .finalized() first")
    if not isinstance(syst, kwant.system.FiniteSystem):
        raise TypeError(
            f"expected a finalized kwant system or lead (InfiniteSystem), got {type(syst).__name__}"
        )
    lead = lead_index("lead", lead, len(syst.leads), of="lead")
    the_lead = syst.leads[lead]
    if not hasattr(the_lead, "modes"):
        raise ValueError(f"lead {lead} is a self-energy lead (e.g. a probe): it has no modes")
    return the_lead, resolve_params(syst, params, lead=int(lead))


def open_modes(
    fsyst: kwant.system.FiniteSystem | kwant.system.InfiniteSystem,
    energy: float,
    *,
    lead: int | None = 0,
    params: Mapping[str, Any] | None = None,
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

    Returns
    -------
    int
        N(E): the ideal conductance of that lead in e²/h.  In a magnetic
        field in the quantum Hall regime, the number of edge channels ν.
    """
    propagating, _ = propagating_modes(fsyst, energy, lead=lead, params=params)
    return int(propagating.velocities.size // 2)


def propagating_modes(
    fsyst: kwant.system.FiniteSystem | kwant.system.InfiniteSystem,
    energy: float,
    *,
    lead: int | None = 0,
    params: Mapping[str, Any] | None = None,
) -> tuple[Any, kwant.system.InfiniteSystem]:
    """Kwant's propagating modes of one lead at ``energy``, and that lead.

    The one place in :mod:`analysis` that reads lead modes (mode counts,
    group velocities).  ``fsyst``, ``lead`` and ``params`` as for
    :func:`open_modes`.

    Returns
    -------
    tuple
        (:class:`kwant.physics.PropagatingModes`, the finalized lead).
    """
    if isinstance(fsyst, kwant.system.InfiniteSystem) and lead == 0:
        lead = None  # the default lead index, for a system that is a lead itself
    the_lead, params = lead_system(fsyst, lead, params)
    energy = real("energy", energy)
    propagating, _ = the_lead.modes(energy, params=params)
    return propagating, the_lead


def subband_edges(width: int, t: float = 1.0) -> np.ndarray:
    """Band bottoms E_n = 2t(1 − cos(nπ/(W + 1))), n = 1 … W, of a square-lattice strip.

    Kwant's on-site 4t convention: a strip of ``width`` sites with hard walls;
    subband n is open for E_n < E < E_n + 4t.

    Parameters
    ----------
    width
        Number of sites across the strip, >= 1.
    t
        Hopping (energy unit).

    Returns
    -------
    numpy.ndarray
        The ``width`` subband edges in increasing order, in units of t.
    """
    width = integer("width", width, minimum=1, what="an integer number of sites")
    n = np.arange(1, width + 1)
    t = hopping("t", t)
    return 2 * t * (1 - np.cos(n * np.pi / (width + 1)))


def mode_count(energy, width: int, t: float = 1.0) -> int | np.ndarray:
    """Analytic number of open subbands N(E) of a clean strip of ``width`` sites (B = 0).

    Parameters
    ----------
    energy
        Energy or array of energies, in units of t.
    width
        Strip width in sites.
    t
        Hopping.

    Returns
    -------
    int or numpy.ndarray of int
        N(E) = #{n : E_n < E < E_n + 4t}.

    Notes
    -----
    At a band edge the mode has zero group velocity and carries no current:
    a subband within :data:`EDGE_TOLERANCE` · |t| of its bottom or top edge is
    not counted, whatever the rounding of E_n (so ``mode_count(2.0, 3)`` is 1,
    although E_2 = 2t evaluates to 1.9999999999999998).  The simulation
    follows the same convention: at such an energy Kwant either counts the
    mode as closed, or :func:`workflows.conductance_matrix` refuses the energy
    with ``BandEdgeError`` (see :mod:`workflows.scattering.band_edges`); it never counts
    a mode that this function does not.
    """
    edges = subband_edges(width, t)
    e = np.asarray(real_array("energy", energy, hint="units of t"))[..., None]
    tol = EDGE_TOLERANCE * abs(t)
    count = np.sum((edges + tol < e) & (e < edges + 4 * t - tol), axis=-1)
    return int(count) if count.ndim == 0 else count
