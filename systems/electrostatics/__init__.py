"""Electrostatics of a gated device: layout, Poisson problem and the potential at the sites.

Lengths in nm, potentials in V, charges in elementary charges e.  See docs/electrostatics.md
and :mod:`systems.electrostatics.site_potential` for the affine map from the charge at the
tight-binding sites and the gate voltages to the electrons' potential energy.
"""

from .grid import Grid, graded_axis, layout_grid
from .layout import Dielectric, Gate, Layout, SheetCharge
from .poisson import EPSILON_0, PoissonProblem
from .site_potential import SiteElectrostatics, SitePotential, site_positions

__all__ = [
    "EPSILON_0",
    "Dielectric",
    "Gate",
    "Grid",
    "Layout",
    "PoissonProblem",
    "SheetCharge",
    "SiteElectrostatics",
    "SitePotential",
    "graded_axis",
    "layout_grid",
    "site_positions",
]
