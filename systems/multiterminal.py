"""Multi-terminal builders in a magnetic field: the six-terminal Hall bar and the cross.

Leads that run along y use the gauge A = (0, Bx) and leads along x use
A = (−By, 0); :class:`systems.fields.PeierlsHopping` joins them by an exact
lattice gauge transformation, so every plaquette, in the device and in every
lead, carries the flux B (h/e).
"""

from __future__ import annotations

import kwant

from .fields import PeierlsHopping
from .hamiltonian import square_lead_onsite, square_onsite
from .leads import square_lattice, straight_lead
from .validation import MAX_SITES, check_size, positive_int

__all__ = ["CROSS_LEADS", "HALL_BAR_LEADS", "cross", "hall_bar"]

#: Lead order of :func:`hall_bar`: index -> terminal name.
HALL_BAR_LEADS = ("left", "right", "top_left", "top_right", "bottom_left", "bottom_right")

#: Lead order of :func:`cross`: index -> terminal name.
CROSS_LEADS = ("left", "right", "top", "bottom")


def _fits(length: int, lead_width: int) -> tuple[int, int] | None:
    first = round(length / 4 - lead_width / 2)
    second = round(3 * length / 4 - lead_width / 2)
    if first < 1 or second + lead_width > length - 1 or first + lead_width >= second:
        return None
    return first, second


def _probe_columns(length: int, lead_width: int) -> tuple[int, int]:
    """First columns of the left and right pairs of side probes, at x ≈ L/4 and 3L/4."""
    columns = _fits(length, lead_width)
    if columns is not None:
        return columns
    widths = [w for w in range(min(lead_width, length) - 1, 0, -1) if _fits(length, w)][:1]
    longer = next(
        n for n in range(length + 1, 4 * length + 4 * lead_width + 8) if _fits(n, lead_width)
    )
    fix = (
        f"use lead_width <= {max(widths)} or length >= {longer}"
        if widths
        else (f"use length >= {longer}")
    )
    raise ValueError(
        f"lead_width={lead_width} does not fit twice along a Hall bar of length={length}: "
        "the side probes at x ≈ length/4 and 3·length/4 must be separated and keep one "
        f"column free at each end ({fix})"
    )


def hall_bar(
    length: int,
    width: int,
    lead_width: int,
    *,
    arm_length: int = 2,
    max_sites: int | None = MAX_SITES,
) -> kwant.Builder:
    """A six-terminal Hall bar: a rectangular bar with current leads and four side probes.

    Parameters
    ----------
    length, width
        Size of the bar in lattice constants: 0 <= x < length, 0 <= y < width.
    lead_width
        Width of each of the four side (voltage) probes, in lattice constants;
        at most ``width``.  The current leads span the whole width.
    arm_length
        Length of the stubs joining the side probes to the bar, >= 0.
    max_sites
        Refuse (before building) a system of more sites than this, estimated
        from the arguments; default :data:`systems.MAX_SITES` (10⁶).  None
        lifts the limit.

    Returns
    -------
    kwant.Builder
        Unfinalized, with leads in the order of :data:`HALL_BAR_LEADS`:
        0 left (source), 1 right (drain), 2 top-left, 3 top-right,
        4 bottom-left, 5 bottom-right.  The left probes sit at x ≈ length/4,
        the right ones at x ≈ 3·length/4.

    Notes
    -----
    Kwant parameters: ``t``, ``V`` (number or ``V(x, y)``, scattering region
    only), ``B`` (flux per plaquette in h/e, uniform, leads included),
    ``disorder``, ``salt``.  With unit current (e²/h) from 0 to 1 and the
    other leads floating, R_xx = V_2 − V_3 and R_xy = V_2 − V_4 in h/e²
    (:func:`analysis.hall_bar_resistances`).  A counter-clockwise plaquette
    carries the Peierls phase +2πB, so on a quantum Hall plateau
    R_xy = −sign(B)/ν and R_xx = 0.
    """
    length = positive_int("length", length)
    width = positive_int("width", width)
    lead_width = positive_int("lead_width", lead_width)
    arm_length = positive_int("arm_length", arm_length, minimum=0)
    check_size(
        f"hall_bar(length={length}, width={width}, lead_width={lead_width})",
        length * width + 4 * lead_width * arm_length,
        max_sites,
    )
    if lead_width > width:
        raise ValueError(
            f"lead_width={lead_width} is wider than the bar (width={width}); "
            f"side probes must have lead_width <= width"
        )
    first, second = _probe_columns(length, lead_width)
    probe_columns = [(first, first + lead_width - 1), (second, second + lead_width - 1)]

    lat = square_lattice()
    hopping = PeierlsHopping(rotated_columns=probe_columns)
    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(length) for y in range(width))] = square_onsite
    for lo, hi in probe_columns:
        for x in range(lo, hi + 1):
            for k in range(arm_length):
                syst[lat(x, width + k)] = square_onsite
                syst[lat(x, -1 - k)] = square_onsite
    syst[lat.neighbors()] = hopping

    full = [(0, y) for y in range(width)]
    current_lead = straight_lead(lat, (-1, 0), full, square_lead_onsite, hopping)
    syst.attach_lead(current_lead)
    syst.attach_lead(current_lead.reversed())
    for direction in ((0, 1), (0, -1)):
        for lo, hi in probe_columns:
            cell = [(x, 0) for x in range(lo, hi + 1)]
            syst.attach_lead(straight_lead(lat, direction, cell, square_lead_onsite, hopping))
    return syst


def cross(
    width: int, *, arm_length: int | None = None, max_sites: int | None = MAX_SITES
) -> kwant.Builder:
    """A symmetric four-terminal cross of arms of equal width.

    Parameters
    ----------
    width
        Width of every arm (and side of the central square), in lattice constants.
    arm_length
        Length of each arm beyond the central square, >= 1; default ``width``.
    max_sites
        Refuse (before building) a system of more sites than this, estimated
        from the arguments; default :data:`systems.MAX_SITES` (10⁶).  None
        lifts the limit.

    Returns
    -------
    kwant.Builder
        Unfinalized, with leads in the order of :data:`CROSS_LEADS`:
        0 left, 1 right, 2 top, 3 bottom.  The central square is
        0 <= x, y < width.

    Notes
    -----
    Kwant parameters: ``t``, ``V``, ``B`` (uniform flux per plaquette in h/e,
    leads included), ``disorder``, ``salt``.  Hall resistance R_H = R_{01,23}
    and bend resistance R_B = R_{02,31}: :func:`analysis.cross_resistances`.
    """
    width = positive_int("width", width)
    arm_length = positive_int("arm_length", width if arm_length is None else arm_length)
    check_size(
        f"cross(width={width}, arm_length={arm_length})",
        width * width + 4 * width * arm_length,
        max_sites,
    )
    lat = square_lattice()
    hopping = PeierlsHopping(rotated_columns=[(0, width - 1)])
    syst = kwant.Builder()
    span = range(-arm_length, width + arm_length)
    syst[(lat(x, y) for x in span for y in range(width))] = square_onsite
    syst[(lat(x, y) for x in range(width) for y in span)] = square_onsite
    syst[lat.neighbors()] = hopping

    horizontal = [(0, y) for y in range(width)]
    vertical = [(x, 0) for x in range(width)]
    for direction, cell in (
        ((-1, 0), horizontal),
        ((1, 0), horizontal),
        ((0, 1), vertical),
        ((0, -1), vertical),
    ):
        syst.attach_lead(straight_lead(lat, direction, cell, square_lead_onsite, hopping))
    return syst
