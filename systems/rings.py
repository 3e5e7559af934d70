"""The Aharonov–Bohm ring: an annulus threaded by a flux line, with two or four leads."""

from __future__ import annotations

import math

import kwant

from .fields import FluxLineHopping
from .hamiltonian import plain_hopping, square_lead_onsite, square_onsite
from .leads import square_lattice, straight_lead
from .validation import (
    MAX_SITES,
    boolean,
    check_connected,
    check_size,
    positive_int,
    positive_real,
)

__all__ = ["AB_RING_LEADS", "ab_ring"]

#: Lead order of :func:`ab_ring` (two leads use the first two).
AB_RING_LEADS = ("left", "right", "top", "bottom")


def _lead_span(lead_width: int) -> range:
    """Transverse coordinates of a lead of ``lead_width`` sites centred on 0."""
    return range(-(lead_width // 2), lead_width - lead_width // 2)


def ab_ring(
    r_in: float,
    r_out: float,
    lead_width: int,
    *,
    four_leads: bool = False,
    max_sites: int | None = MAX_SITES,
) -> kwant.Builder:
    """A square-lattice ring r_in <= |r| <= r_out centred at the origin, threaded by a flux φ.

    Parameters
    ----------
    r_in, r_out
        Inner and outer radius, in lattice constants (0 < r_in < r_out).
    lead_width
        Width of the leads, in lattice constants.
    four_leads
        If True, add a lead at the top and one at the bottom.
    max_sites
        Refuse (before building) a system of more sites than this, estimated
        from the arguments; default :data:`systems.MAX_SITES` (10⁶).  None
        lifts the limit.

    Returns
    -------
    kwant.Builder
        Unfinalized; leads in the order of :data:`AB_RING_LEADS`: 0 left,
        1 right, then (with ``four_leads``) 2 top, 3 bottom.

    Notes
    -----
    Kwant parameters: ``phi`` (flux through the hole, in h/e), ``t``, ``V``
    (number or ``V(x, y)``), ``disorder``, ``salt``.  The flux enters as the
    phase exp(±2πiφ) on the hoppings that cross a branch cut running up from
    the hole through the upper arm, away from every lead, so the leads see no
    vector potential and G(φ) has period exactly 1 (h/e).  Only those hoppings
    depend on ``phi`` (all others are plain −t), so a flux sweep changes only
    a handful of matrix elements (see :func:`workflows.sweep`).
    """
    r_in = positive_real("r_in", r_in)
    r_out = positive_real("r_out", r_out)
    lead_width = positive_int("lead_width", lead_width)
    four_leads = boolean("four_leads", four_leads)
    if r_out <= r_in:
        raise ValueError(f"r_out must be larger than r_in, got r_in={r_in}, r_out={r_out}")
    if lead_width > 2 * r_out:
        raise ValueError(
            f"lead_width={lead_width} is wider than the ring (outer diameter 2·r_out = "
            f"{2 * r_out:g}); use lead_width <= {math.floor(2 * r_out)}"
        )
    span = _lead_span(lead_width)
    # The branch cut x = cut_x + 1/2, y > 0 must start inside the hole and, with
    # four leads, pass to the right of the top lead.
    cut_x = span[-1] + 1 if four_leads else -1
    if not cut_x + 0.5 < r_in:
        raise ValueError(
            f"with four_leads the top lead (lead_width={lead_width}) must be narrower than the "
            f"hole so that the flux line can pass beside it: need r_in > {cut_x + 0.5}, "
            f"got r_in={r_in}"
        )
    reach = math.ceil(r_out) + 1  # leads attach at |x| or |y| = reach
    check_size(
        f"ab_ring(r_in={r_in:g}, r_out={r_out:g}, lead_width={lead_width})",
        math.pi * (r_out - r_in) * (r_out + r_in) + 4 * lead_width * (reach - r_in + 1),
        max_sites,
    )

    def in_ring(x, y):
        return r_in**2 <= x * x + y * y <= r_out**2

    lat = square_lattice()
    flux_line = FluxLineHopping(cut_x)
    syst = kwant.Builder()
    syst[
        (
            lat(x, y)
            for x in range(-reach, reach + 1)
            for y in range(-reach, reach + 1)
            if in_ring(x, y)
        )
    ] = square_onsite
    stubs = [(x, y) for y in span for x in range(-reach, reach + 1) if abs(x) >= r_in]
    if four_leads:
        stubs += [(x, y) for x in span for y in range(-reach, reach + 1) if abs(y) >= r_in]
    syst[(lat(x, y) for x, y in stubs)] = square_onsite
    syst[lat.neighbors()] = plain_hopping
    # Only the bonds across the cut carry the flux (and depend on phi).
    cut = flux_line.cut_hoppings(syst.hoppings())
    for bond in cut:
        syst[bond] = flux_line
    if not cut:
        raise ValueError(
            f"the ring r_in={r_in}, r_out={r_out} has no lattice bonds across its upper arm; "
            "make it wider (r_out - r_in >= 1)"
        )

    check_connected(
        syst,
        f"ab_ring(r_in={r_in:g}, r_out={r_out:g}, lead_width={lead_width})",
        "make the ring wider (a larger r_out - r_in)",
    )
    directions = [(-1, 0), (1, 0)] + ([(0, 1), (0, -1)] if four_leads else [])
    for dx, dy in directions:
        cell = [(0, y) for y in span] if dy == 0 else [(x, 0) for x in span]
        syst.attach_lead(straight_lead(lat, (dx, dy), cell, square_lead_onsite, plain_hopping))
    return syst
