"""Two-terminal builders: the 1D chain, the square-lattice wire and the quantum point contact.

All return an unfinalized :class:`kwant.Builder` with lead 0 on the left and
lead 1 on the right.  Units and parameter names follow docs/architecture.md.
"""

from __future__ import annotations

import kwant

from .fields import PeierlsHopping
from .gates import FAR, SplitGate
from .hamiltonian import (
    anderson_disorder,
    chain_lead_onsite,
    chain_onsite,
    plain_hopping,
    potential_energy,
    square_lead_onsite,
    square_onsite,
)
from .leads import chain_lattice, square_lattice, straight_lead
from .validation import MAX_SITES, check_size, positive_int, real

__all__ = ["chain", "qpc", "wire"]


def chain(length: int, *, max_sites: int | None = MAX_SITES) -> kwant.Builder:
    """A 1D tight-binding chain of ``length`` sites between two clean chain leads.

    Parameters
    ----------
    length
        Number of sites in the scattering region (x = 0 … length − 1), >= 1.
    max_sites
        Refuse (before building) a system of more sites than this, estimated
        from the arguments; default :data:`systems.MAX_SITES` (10⁶).  None
        lifts the limit.

    Returns
    -------
    kwant.Builder
        Unfinalized; lead 0 on the left, lead 1 on the right.

    Notes
    -----
    Kwant parameters: ``t`` (hopping), ``V`` (potential energy, number or
    ``V(x)``, only in the scattering region), ``disorder`` and ``salt``
    (uniform on-site disorder of width ``disorder``).  On-site energy 2t, so
    the band is 0 < E < 4t with E = 2t(1 − cos k).  A single site with
    potential V transmits T = 1 / (1 + (V / (2t sin k))²).
    """
    length = positive_int("length", length)
    check_size(f"chain(length={length})", length, max_sites)
    lat = chain_lattice()
    syst = kwant.Builder()
    syst[(lat(x) for x in range(length))] = chain_onsite
    syst[lat.neighbors()] = plain_hopping
    lead = straight_lead(lat, (-1,), [(0,)], chain_lead_onsite, plain_hopping)
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


def _strip(length: int, width: int, onsite) -> kwant.Builder:
    """Rectangle 0 <= x < length, 0 <= y < width with x-leads; Landau gauge for B."""
    lat = square_lattice()
    hopping = PeierlsHopping()
    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(length) for y in range(width))] = onsite
    syst[lat.neighbors()] = hopping
    cell = [(0, y) for y in range(width)]
    lead = straight_lead(lat, (-1, 0), cell, square_lead_onsite, hopping)
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst


def wire(length: int, width: int, *, max_sites: int | None = MAX_SITES) -> kwant.Builder:
    """A rectangular square-lattice wire (strip) between two leads of the same width.

    Parameters
    ----------
    length
        Number of columns of the scattering region (x = 0 … length − 1), >= 1.
    width
        Number of sites across (y = 0 … width − 1), >= 1.
    max_sites
        Refuse (before building) a system of more sites than this, estimated
        from the arguments; default :data:`systems.MAX_SITES` (10⁶).  None
        lifts the limit.

    Returns
    -------
    kwant.Builder
        Unfinalized; lead 0 on the left, lead 1 on the right.

    Notes
    -----
    Kwant parameters: ``t``, ``V`` (number or ``V(x, y)``, scattering region
    only), ``B`` (flux per plaquette in h/e, everywhere including the leads,
    Landau gauge A = (−By, 0)), ``disorder``, ``salt``.  On-site energy 4t:
    subband n opens at E_n = 2t(1 − cos(nπ/(width + 1))), see
    :func:`analysis.subband_edges`.
    """
    length = positive_int("length", length)
    width = positive_int("width", width)
    check_size(f"wire(length={length}, width={width})", length * width, max_sites)
    return _strip(length, width, square_onsite)


class _QpcOnsite:
    """On-site energy 4t + V_gate·φ_gate(x, y) + V(x, y) + disorder."""

    def __init__(self, gate: SplitGate):
        self.gate = gate

    def __call__(self, site, t, V, V_gate, disorder, salt):
        x, y = site.pos
        return (
            4 * t
            + V_gate * self.gate.lever_arm(x, y)
            + potential_energy(V, site.pos)
            + anderson_disorder(site, disorder, salt)
        )


def _gate_size(name: str, value) -> float:
    """A gate dimension in lattice constants: > 0 and at most 1e9 (the gate model's "far")."""
    return real(name, value, minimum=0, maximum=FAR, strict=True, hint="lattice constants")


def qpc(
    length: int,
    width: int,
    *,
    gate_length: float | None = None,
    gap: float | None = None,
    depth: float | None = None,
    max_sites: int | None = MAX_SITES,
) -> kwant.Builder:
    """A quantum point contact: a wire with a split-gate constriction in its middle.

    Parameters
    ----------
    length, width
        Size of the scattering region in lattice constants (as :func:`wire`).
    gate_length
        Extent of the gate fingers along the wire; default ``length / 3``.
    gap
        Lithographic gap between the fingers; default ``width / 2``.
    depth
        Depth of the electron gas below the gates; default ``max(2, width / 6)``.
        A larger depth gives a smoother, more adiabatic constriction and
        flatter conductance plateaus.
    max_sites
        Refuse (before building) a system of more sites than this, estimated
        from the arguments; default :data:`systems.MAX_SITES` (10⁶).  None
        lifts the limit.

    Returns
    -------
    kwant.Builder
        Unfinalized; lead 0 on the left, lead 1 on the right.

    Notes
    -----
    Kwant parameters: ``V_gate`` (potential energy under a large gate, in
    units of t; positive values deplete and close the constriction; required),
    and ``t``, ``V``, ``B``, ``disorder``, ``salt`` as for :func:`wire`.  The
    gate potential is the electrostatic potential of two rectangular surface
    gates (:class:`systems.gates.SplitGate`).
    """
    length = positive_int("length", length)
    width = positive_int("width", width)
    check_size(f"qpc(length={length}, width={width})", length * width, max_sites)
    gate_length = _gate_size("gate_length", length / 3 if gate_length is None else gate_length)
    gap = _gate_size("gap", width / 2 if gap is None else gap)
    depth = _gate_size("depth", max(2.0, width / 6) if depth is None else depth)
    if gap >= width + 1:
        raise ValueError(f"gap must be smaller than the wire (width + 1 = {width + 1}), got {gap}")
    gate = SplitGate(
        center=((length - 1) / 2, (width - 1) / 2), length=gate_length, gap=gap, depth=depth
    )
    return _strip(length, width, _QpcOnsite(gate))
