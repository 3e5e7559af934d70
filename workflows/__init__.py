"""Solving and running: conductance matrices, Büttiker bias problems, scans, the CLI."""

from .bias import BiasSolution, four_terminal_resistance, solve_bias, two_terminal_conductance
from .conductance import conductance_matrix, conductance_vs_energy, has_self_energy_leads
from .environment import environment_info, kwant_solver

__all__ = [
    "BiasSolution",
    "conductance_matrix",
    "conductance_vs_energy",
    "environment_info",
    "four_terminal_resistance",
    "has_self_energy_leads",
    "kwant_solver",
    "solve_bias",
    "two_terminal_conductance",
]
