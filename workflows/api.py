"""The flat public names of :mod:`workflows` (loaded on first use by ``workflows.<name>``)."""

from analysis.bias import (
    BiasSolution,
    SingularBiasError,
    decoupled_terminals,
    four_terminal_resistance,
    solve_bias,
    two_terminal_conductance,
)
from analysis.dissipation import (
    dissipation_table,
    entropy_production_rate,
    joule_heat,
    terminal_powers,
)
from workflows.runs.adaptive_sampling import adaptive_scan
from workflows.runs.energy_windows import window_scan, window_values
from workflows.runs.environment import environment_info, kwant_solver
from workflows.runs.options import RunOptions
from workflows.runs.recipes import SystemRecipe, finalized_system
from workflows.runs.scans import SerialExecutor, process_pool, scan
from workflows.runs.store import (
    StoreBusyError,
    StoreDamagedError,
    StoreMismatchError,
    StoreWarning,
    read_store,
)
from workflows.runs.workers import WorkerDied
from workflows.scattering.andreev import (
    AndreevConductance,
    andreev_conductance,
    andreev_thermal_conductance,
)
from workflows.scattering.andreev_noise import AndreevNoise, andreev_noise
from workflows.scattering.band_edges import BandEdgeError
from workflows.scattering.conductance import (
    block_terminals,
    conductance_matrix,
    conductance_vs_energy,
    has_self_energy_leads,
)
from workflows.scattering.current_maps import (
    CurrentMap,
    biased_current_density,
    current_density,
    current_into,
    site_inflow,
)
from workflows.scattering.dephasing import (
    DephasedTransport,
    dephased_conductance,
    dephased_transport,
    eliminate_floating_probes,
    probe_potential_profile,
)
from workflows.scattering.dephasing_method import DenseFallbackWarning
from workflows.scattering.finite_bias_probes import FiniteBiasProbes, finite_bias_probes
from workflows.scattering.interface_greens import InterfaceGreensFunction, interface_greens_function
from workflows.scattering.local_density import (
    LocalPotential,
    injectivities,
    local_density_of_states,
    local_potential,
)
from workflows.scattering.mode_counts import lead_velocities, open_modes
from workflows.scattering.nambu import NambuLeadError
from workflows.scattering.noise import (
    ScatteringMatrix,
    fano_factor,
    noise_matrix,
    scattering_matrix,
)
from workflows.scattering.nonequilibrium import (
    ElectronDensity,
    NonequilibriumDistribution,
    correlation_function,
    electron_density,
    nonequilibrium_distribution,
    terminal_currents,
)
from workflows.scattering.phase_dephasing import (
    phase_dephased_conductance,
    phase_dephased_conductance_matrix,
)
from workflows.scattering.sweeps import SweepFallbackWarning, sweep
from workflows.studies.coherence import (
    OhmicFit,
    fit_ohmic,
    measure_coherence_length,
    resistance_vs_length,
)
from workflows.studies.current_voltage import iv_curve
from workflows.studies.dephasing_studies import (
    localization_study,
    ohmic_crossover_study,
    potential_profile_study,
)
from workflows.studies.finite_bias import probe_iv_curve
from workflows.studies.hall import (
    bend_resistance,
    cross_hall_resistance,
    cross_resistance_scan,
    cross_resistances,
    hall_bar_resistances,
    hall_resistance,
    longitudinal_resistance,
    quantum_hall_scan,
)
from workflows.studies.heat import conductance_grid, heat_transport, onsager_matrix
from workflows.studies.interference import (
    ab_oscillations,
    disorder_ensemble,
    four_terminal_reciprocity,
    ring_arm_length,
    visibility_vs_dephasing,
    visibility_vs_temperature,
)
from workflows.studies.point_contact import qpc_conductance
from workflows.studies.thermoelectric import thermoelectric, thermoelectric_table

__all__ = [
    "AndreevConductance",
    "AndreevNoise",
    "BandEdgeError",
    "BiasSolution",
    "CurrentMap",
    "DenseFallbackWarning",
    "DephasedTransport",
    "ElectronDensity",
    "FiniteBiasProbes",
    "InterfaceGreensFunction",
    "LocalPotential",
    "NambuLeadError",
    "NonequilibriumDistribution",
    "OhmicFit",
    "RunOptions",
    "ScatteringMatrix",
    "SerialExecutor",
    "SingularBiasError",
    "StoreBusyError",
    "StoreDamagedError",
    "StoreMismatchError",
    "StoreWarning",
    "SweepFallbackWarning",
    "SystemRecipe",
    "WorkerDied",
    "ab_oscillations",
    "adaptive_scan",
    "andreev_conductance",
    "andreev_noise",
    "andreev_thermal_conductance",
    "bend_resistance",
    "biased_current_density",
    "block_terminals",
    "conductance_grid",
    "conductance_matrix",
    "conductance_vs_energy",
    "correlation_function",
    "cross_hall_resistance",
    "cross_resistance_scan",
    "cross_resistances",
    "current_density",
    "current_into",
    "decoupled_terminals",
    "dephased_conductance",
    "dephased_transport",
    "disorder_ensemble",
    "dissipation_table",
    "electron_density",
    "eliminate_floating_probes",
    "entropy_production_rate",
    "environment_info",
    "fano_factor",
    "finalized_system",
    "finite_bias_probes",
    "fit_ohmic",
    "four_terminal_reciprocity",
    "four_terminal_resistance",
    "hall_bar_resistances",
    "hall_resistance",
    "has_self_energy_leads",
    "heat_transport",
    "injectivities",
    "interface_greens_function",
    "iv_curve",
    "joule_heat",
    "kwant_solver",
    "lead_velocities",
    "local_density_of_states",
    "local_potential",
    "localization_study",
    "longitudinal_resistance",
    "measure_coherence_length",
    "noise_matrix",
    "nonequilibrium_distribution",
    "ohmic_crossover_study",
    "onsager_matrix",
    "open_modes",
    "phase_dephased_conductance",
    "phase_dephased_conductance_matrix",
    "potential_profile_study",
    "probe_iv_curve",
    "probe_potential_profile",
    "process_pool",
    "qpc_conductance",
    "quantum_hall_scan",
    "read_store",
    "resistance_vs_length",
    "ring_arm_length",
    "scan",
    "scattering_matrix",
    "site_inflow",
    "solve_bias",
    "sweep",
    "terminal_currents",
    "terminal_powers",
    "thermoelectric",
    "thermoelectric_table",
    "two_terminal_conductance",
    "visibility_vs_dephasing",
    "visibility_vs_temperature",
    "window_scan",
    "window_values",
]
