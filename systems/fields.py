"""Peierls phases for a uniform magnetic field and for an Aharonov–Bohm flux line.

Sign convention: the hopping from site j to site i is ``H_ij = −t exp(iθ_ij)``
with ``θ_ij = 2π ∫_j^i A·dl`` and the vector potential A in units of (h/e)/a,
so that the phases around a counter-clockwise plaquette add up to 2πB, with B
the flux per plaquette in h/e.

Large fields.  A phase beyond 1e8 rad (:data:`systems.validation.MAX_PHASE`)
keeps fewer than 8 digits of its fractional part in double precision, so the
value functions refuse it, naming the hopping: the phases are 2π·B times an
integer on the square lattice (and 2π·φ on the cut), so G is periodic in B and
φ with period 1 and a large flux is passed modulo 1.

Gauges.  Kwant leads must be translation invariant, so a lead along x wants the
Landau gauge A = (−By, 0) and a lead along y wants A = (0, Bx).  Both are used
in one system through the exact lattice gauge transformation
χ(x, y) = Bxy: sites in the "rotated" columns (those that connect to a lead
along y) use A' = A + ∇χ = (0, Bx); the others use A = (−By, 0).  Since any
site function χ is an exact gauge transformation on a lattice, the flux through
every plaquette is B everywhere, and each lead sees a gauge that is invariant
along its own direction.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .validation import MAX_PHASE, check_phase

TWO_PI = 2 * np.pi


def _hopping(site_to, site_from) -> str:
    """'the hopping (x, y) -> (x, y)' from site j to site i, for messages."""
    start = tuple(float(c) for c in site_from.pos)
    end = tuple(float(c) for c in site_to.pos)
    return f"the hopping {start} -> {end}"


class PeierlsHopping:
    """Hopping value function ``(site_to, site_from, t, B) -> −t exp(iθ)`` in a mixed Landau gauge.

    Parameters
    ----------
    rotated_columns
        Inclusive ranges ``(x_min, x_max)`` of lattice columns that use the gauge
        A = (0, Bx) (the columns of leads that run along y).  Other sites use
        A = (−By, 0).
    """

    #: Kwant names a value function that raises by its ``__name__``.
    __name__ = "PeierlsHopping"

    def __init__(self, rotated_columns: Iterable[tuple[float, float]] = ()):
        self.rotated_columns = tuple((float(lo), float(hi)) for lo, hi in rotated_columns)

    def _chi(self, pos) -> float:
        x, y = pos
        for lo, hi in self.rotated_columns:
            if lo <= x <= hi:
                return x * y
        return 0.0

    def __call__(self, site_to, site_from, t, B):
        if B == 0:
            return -t
        (x_i, y_i), (x_j, y_j) = (map(float, site_to.pos), map(float, site_from.pos))
        landau = -(x_i - x_j) * (y_i + y_j) / 2
        theta = TWO_PI * float(B) * (landau + self._chi((x_i, y_i)) - self._chi((x_j, y_j)))
        if abs(theta) > MAX_PHASE:  # one comparison; the message is built only here
            check_phase("B", B, theta, _hopping(site_to, site_from), "1 (h/e per plaquette)")
        return -t * np.exp(1j * theta)

    def __repr__(self) -> str:
        return f"PeierlsHopping(rotated_columns={self.rotated_columns})"


class FluxLineHopping:
    """Hopping value function ``(site_to, site_from, t, phi)`` with an AB flux on a branch cut.

    The branch cut is the half-line x = cut_x + 1/2, y > 0.  A hopping that
    crosses it right-to-left (counter-clockwise around the origin) carries the
    phase exp(+2πiφ), so any loop that winds once counter-clockwise around the
    point (cut_x + 1/2, 0) encloses the flux φ (in h/e).  No other hopping,
    and in particular no lead, sees a vector potential.

    Builders should give this value function only to the hoppings that cross
    the cut (:meth:`cut_hoppings`) and a plain ``−t`` hopping to all others:
    then only those few matrix elements depend on ``phi``, which is what lets
    a flux sweep (:func:`workflows.sweep`) solve the rest of the system once.

    Parameters
    ----------
    cut_x
        Integer column left of the cut.
    """

    #: Kwant names a value function that raises by its ``__name__``.
    __name__ = "FluxLineHopping"

    def __init__(self, cut_x: int):
        self.cut_x = int(cut_x)

    def crosses(self, site_to, site_from) -> int:
        """+1 if the hopping j→i crosses the cut right-to-left, −1 if left-to-right, else 0."""
        (x_i, y_i), (x_j, y_j) = site_to.pos, site_from.pos
        if y_i <= 0 or y_j <= 0 or y_i != y_j:
            return 0
        c = self.cut_x
        if x_j == c + 1 and x_i == c:
            return 1
        if x_j == c and x_i == c + 1:
            return -1
        return 0

    def cut_hoppings(self, hoppings: Iterable[tuple]) -> list[tuple]:
        """The hoppings ``(site_to, site_from)`` among ``hoppings`` that cross the cut."""
        return [(a, b) for a, b in hoppings if self.crosses(a, b)]

    def __call__(self, site_to, site_from, t, phi):
        direction = self.crosses(site_to, site_from)
        if direction == 0 or phi == 0:
            return -t
        theta = TWO_PI * float(phi) * direction
        if abs(theta) > MAX_PHASE:
            check_phase("phi", phi, theta, _hopping(site_to, site_from), "1 (h/e)")
        return -t * np.exp(1j * theta)

    def __repr__(self) -> str:
        return f"FluxLineHopping(cut_x={self.cut_x})"
