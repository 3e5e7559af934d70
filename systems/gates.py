"""Electrostatic potential of surface gates on a buried two-dimensional electron gas.

The potential of a rectangular surface gate held at a fixed potential, seen by
a 2DEG at depth d below a pinned surface, is (Davies, Larkin & Sukhorukov,
J. Appl. Phys. 77, 4504 (1995))

    φ(x, y) = g(x − L, y − B) + g(x − L, T − y) + g(R − x, y − B) + g(R − x, T − y),
    g(u, v) = arctan(uv / (d √(u² + v² + d²))) / 2π,

for a gate covering L < x < R, B < y < T.  Deep under a large gate φ → 1, so the
gate's potential energy in the 2DEG is ``V_gate · φ``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A gate edge "at infinity": large enough that the formula has its limit, small
# enough that products stay finite.
FAR = 1e9


def _corner(u, v, depth):
    return np.arctan(u * v / (depth * np.sqrt(u * u + v * v + depth * depth))) / (2 * np.pi)


@dataclass(frozen=True)
class RectangularGate:
    """A rectangular surface gate ``left < x < right``, ``bottom < y < top`` (lattice units).

    Use ``±numpy.inf`` for an edge far outside the device.
    """

    left: float
    right: float
    bottom: float
    top: float

    def lever_arm(self, x, y, depth: float):
        """Dimensionless potential φ(x, y) ∈ [0, 1] in the 2DEG at ``depth`` below the surface."""
        left, right = np.clip([self.left, self.right], -FAR, FAR)
        bottom, top = np.clip([self.bottom, self.top], -FAR, FAR)
        return (
            _corner(x - left, y - bottom, depth)
            + _corner(x - left, top - y, depth)
            + _corner(right - x, y - bottom, depth)
            + _corner(right - x, top - y, depth)
        )


@dataclass(frozen=True)
class SplitGate:
    """Two gate fingers leaving a gap: the electrostatics of a quantum point contact.

    Parameters
    ----------
    center
        (x, y) of the middle of the constriction.
    length
        Extent of the fingers along the wire (x), in lattice constants.
    gap
        Lithographic gap between the fingers (along y), in lattice constants.
    depth
        Depth of the 2DEG below the gates, in lattice constants; sets how
        smooth the constriction is.
    """

    center: tuple[float, float]
    length: float
    gap: float
    depth: float

    def lever_arm(self, x, y):
        """Dimensionless potential of both fingers at (x, y)."""
        xc, yc = self.center
        half_l, half_g = self.length / 2, self.gap / 2
        top = RectangularGate(xc - half_l, xc + half_l, yc + half_g, np.inf)
        bottom = RectangularGate(xc - half_l, xc + half_l, -np.inf, yc - half_g)
        return top.lever_arm(x, y, self.depth) + bottom.lever_arm(x, y, self.depth)
