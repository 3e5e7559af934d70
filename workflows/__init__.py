"""Solving and running: conductance matrices, Büttiker bias problems, scans, the CLI."""

from .adaptive_sampling import adaptive_scan
from .bias import (
    BiasSolution,
    SingularBiasError,
    decoupled_terminals,
    four_terminal_resistance,
    solve_bias,
    two_terminal_conductance,
)
from .coherence import OhmicFit, fit_ohmic, measure_coherence_length, resistance_vs_length
from .conductance import conductance_matrix, conductance_vs_energy, has_self_energy_leads
from .dephasing import (
    DephasedTransport,
    dephased_conductance,
    dephased_transport,
    eliminate_floating_probes,
    probe_potential_profile,
)
from .dephasing_method import DenseFallbackWarning
from .dephasing_studies import localization_study, ohmic_crossover_study, potential_profile_study
from .dissipation import dissipation_table, entropy_production_rate, joule_heat, terminal_powers
from .environment import environment_info, kwant_solver
from .hall import (
    bend_resistance,
    cross_hall_resistance,
    cross_resistance_scan,
    cross_resistances,
    hall_bar_resistances,
    hall_resistance,
    longitudinal_resistance,
    quantum_hall_scan,
)
from .interface_greens import InterfaceGreensFunction, interface_greens_function
from .interference import (
    ab_oscillations,
    disorder_ensemble,
    four_terminal_reciprocity,
    ring_arm_length,
    visibility_vs_dephasing,
    visibility_vs_temperature,
)
from .phase_dephasing import phase_dephased_conductance, phase_dephased_conductance_matrix
from .point_contact import qpc_conductance
from .recipes import SystemRecipe, finalized_system
from .scans import SerialExecutor, process_pool, scan
from .store import StoreMismatchError, read_store
from .sweeps import SweepFallbackWarning, sweep

__all__ = [
    "BiasSolution",
    "DenseFallbackWarning",
    "DephasedTransport",
    "InterfaceGreensFunction",
    "OhmicFit",
    "SerialExecutor",
    "SingularBiasError",
    "StoreMismatchError",
    "SweepFallbackWarning",
    "SystemRecipe",
    "ab_oscillations",
    "adaptive_scan",
    "bend_resistance",
    "conductance_matrix",
    "conductance_vs_energy",
    "cross_hall_resistance",
    "cross_resistance_scan",
    "cross_resistances",
    "decoupled_terminals",
    "dephased_conductance",
    "dephased_transport",
    "disorder_ensemble",
    "dissipation_table",
    "eliminate_floating_probes",
    "entropy_production_rate",
    "environment_info",
    "finalized_system",
    "fit_ohmic",
    "four_terminal_reciprocity",
    "four_terminal_resistance",
    "hall_bar_resistances",
    "hall_resistance",
    "has_self_energy_leads",
    "interface_greens_function",
    "joule_heat",
    "kwant_solver",
    "localization_study",
    "longitudinal_resistance",
    "measure_coherence_length",
    "ohmic_crossover_study",
    "phase_dephased_conductance",
    "phase_dephased_conductance_matrix",
    "potential_profile_study",
    "probe_potential_profile",
    "process_pool",
    "qpc_conductance",
    "quantum_hall_scan",
    "read_store",
    "resistance_vs_length",
    "ring_arm_length",
    "scan",
    "solve_bias",
    "sweep",
    "terminal_powers",
    "two_terminal_conductance",
    "visibility_vs_dephasing",
    "visibility_vs_temperature",
]
