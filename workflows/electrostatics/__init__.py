"""Self-consistent electrostatics: the electron gas solved together with the Poisson problem.

The electrostatic description (layout, Poisson problem, the affine map at the sites) is in
:mod:`systems.electrostatics`; this package solves the non-linear problems on it.
"""

from .density_of_states import BandDensity, chain, parabolic_2d, square_lattice, thermal_band
from .hartree import HartreeConvergenceError, HartreeDevice, HartreeSolution, hartree
from .pinch_off import PinchOff, hartree_pinch_off_voltage, pinch_off_voltage
from .thomas_fermi import ThomasFermiConvergenceError, ThomasFermiSolution, thomas_fermi
from .thomas_fermi_device import ThomasFermiDevice, thomas_fermi_state

__all__ = [
    "BandDensity",
    "HartreeConvergenceError",
    "HartreeDevice",
    "HartreeSolution",
    "PinchOff",
    "ThomasFermiConvergenceError",
    "ThomasFermiDevice",
    "ThomasFermiSolution",
    "chain",
    "hartree",
    "hartree_pinch_off_voltage",
    "parabolic_2d",
    "pinch_off_voltage",
    "square_lattice",
    "thermal_band",
    "thomas_fermi",
    "thomas_fermi_state",
]
