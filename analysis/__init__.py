"""Predictions and comparisons: Landauer mode counting, analytic results, thermal averages.

Kwant-free: nothing here solves.  ``analysis.open_modes`` and
``analysis.lead_velocities`` moved to :func:`workflows.open_modes` and
:func:`workflows.lead_velocities` (they solve a lead's modes); the old names
raise an ``AttributeError`` saying so.
"""

from analysis._moved import moved_attribute
from analysis.analytic import chain_barrier_transmission, chain_transmission, chain_wavenumber
from analysis.dephasing import (
    chain_backscattering_length,
    chain_dephased_resistance,
    chain_group_velocity,
    chain_probe_potential,
    dephasing_length,
    ohmic_slope,
    semiclassical_dephased_resistance,
)
from analysis.energy_grid import WindowRefinement, window_grid
from analysis.fermi_poles import fermi_pole_expansion, fermi_poles, fermi_poles_for_range
from analysis.harmonics import (
    FluxHarmonics,
    VisibilityDecayFit,
    decay_lengths,
    ensemble_harmonics,
    flux_harmonics,
    visibility,
    visibility_decay_length,
)
from analysis.heat import HeatSolution, entropy_production, landauer_currents, solve_heat
from analysis.landauer import compare_with_landauer
from analysis.modes import mode_count, subband_edges
from analysis.noise import (
    chaotic_cavity_fano,
    crossover_noise,
    fano_from_transmissions,
    fermi_pair_windows,
    hot_probe_state,
    noise_matrix,
    pair_window,
    probe_noise_matrix,
)
from analysis.reciprocity import (
    conductance_reciprocity,
    reciprocity_report,
    resistance_reciprocity,
    sum_rule_deviations,
)
from analysis.thermal import fermi, fermi_window, thermal_average
from analysis.thermoelectric import (
    ThermoelectricCoefficients,
    landauer_moments,
    mott_seebeck,
    thermoelectric_coefficients,
)

__all__ = [
    "FluxHarmonics",
    "HeatSolution",
    "ThermoelectricCoefficients",
    "VisibilityDecayFit",
    "WindowRefinement",
    "chain_backscattering_length",
    "chain_barrier_transmission",
    "chain_dephased_resistance",
    "chain_group_velocity",
    "chain_probe_potential",
    "chain_transmission",
    "chain_wavenumber",
    "chaotic_cavity_fano",
    "compare_with_landauer",
    "conductance_reciprocity",
    "crossover_noise",
    "decay_lengths",
    "dephasing_length",
    "ensemble_harmonics",
    "entropy_production",
    "fano_from_transmissions",
    "fermi",
    "fermi_pair_windows",
    "fermi_pole_expansion",
    "fermi_poles",
    "fermi_poles_for_range",
    "fermi_window",
    "flux_harmonics",
    "hot_probe_state",
    "landauer_currents",
    "landauer_moments",
    "mode_count",
    "mott_seebeck",
    "noise_matrix",
    "ohmic_slope",
    "pair_window",
    "probe_noise_matrix",
    "reciprocity_report",
    "resistance_reciprocity",
    "semiclassical_dephased_resistance",
    "solve_heat",
    "subband_edges",
    "sum_rule_deviations",
    "thermal_average",
    "thermoelectric_coefficients",
    "visibility",
    "visibility_decay_length",
    "window_grid",
]


def __getattr__(name: str):
    return moved_attribute(__name__, name)
