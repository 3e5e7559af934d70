"""The everyday entry points of :mod:`workflows`, loaded on first use of ``workflows.<name>``.

:mod:`workflows` itself imports nothing until a name is asked for (so that the
``mesoflow`` command answers ``--help`` without importing Kwant); this module
holds the flat names: the scattering core's everyday solvers, every study and
the scans.  The rest lives in its subpackage: :mod:`workflows.scattering`,
:mod:`workflows.studies`, :mod:`workflows.runs` and :mod:`workflows.app`; the
Büttiker algebra on a conductance matrix (bias problems, four-terminal, Hall
and cross resistances, dissipation, Ohmic fits) is :mod:`analysis`.
"""

from workflows.runs.adaptive_sampling import adaptive_scan
from workflows.runs.options import RunOptions
from workflows.runs.recipes import SystemRecipe
from workflows.runs.scans import SerialExecutor, process_pool, scan
from workflows.runs.store import read_store
from workflows.scattering.andreev import andreev_conductance
from workflows.scattering.andreev_noise import andreev_noise
from workflows.scattering.band_edges import BandEdgeError
from workflows.scattering.conductance import conductance_matrix, conductance_vs_energy
from workflows.scattering.current_maps import current_density
from workflows.scattering.dephasing import dephased_transport
from workflows.scattering.finite_bias_probes import finite_bias_probes
from workflows.scattering.local_density import local_density_of_states
from workflows.scattering.mode_counts import lead_velocities, open_modes
from workflows.scattering.noise import fano_factor, noise_matrix, scattering_matrix
from workflows.scattering.nonequilibrium import electron_density
from workflows.scattering.sweeps import sweep
from workflows.studies.coherence import measure_coherence_length, resistance_vs_length
from workflows.studies.current_voltage import iv_curve
from workflows.studies.dephasing_studies import (
    localization_study,
    ohmic_crossover_study,
    potential_profile_study,
)
from workflows.studies.finite_bias import probe_iv_curve
from workflows.studies.gate_scans import self_consistent_gate_scan
from workflows.studies.hall import cross_resistance_scan, quantum_hall_scan
from workflows.studies.heat import heat_transport, onsager_matrix
from workflows.studies.interference import (
    ab_oscillations,
    disorder_ensemble,
    visibility_vs_dephasing,
    visibility_vs_temperature,
)
from workflows.studies.point_contact import qpc_conductance
from workflows.studies.thermoelectric import thermoelectric, thermoelectric_table

__all__ = [
    "BandEdgeError",
    "RunOptions",
    "SerialExecutor",
    "SystemRecipe",
    "ab_oscillations",
    "adaptive_scan",
    "andreev_conductance",
    "andreev_noise",
    "conductance_matrix",
    "conductance_vs_energy",
    "cross_resistance_scan",
    "current_density",
    "dephased_transport",
    "disorder_ensemble",
    "electron_density",
    "fano_factor",
    "finite_bias_probes",
    "heat_transport",
    "iv_curve",
    "lead_velocities",
    "local_density_of_states",
    "localization_study",
    "measure_coherence_length",
    "noise_matrix",
    "ohmic_crossover_study",
    "onsager_matrix",
    "open_modes",
    "potential_profile_study",
    "probe_iv_curve",
    "process_pool",
    "qpc_conductance",
    "quantum_hall_scan",
    "read_store",
    "resistance_vs_length",
    "scan",
    "scattering_matrix",
    "self_consistent_gate_scan",
    "sweep",
    "thermoelectric",
    "thermoelectric_table",
    "visibility_vs_dephasing",
    "visibility_vs_temperature",
]
