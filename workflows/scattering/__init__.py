"""The scattering core: a system at an energy with its parameters, assembled and solved once.

:class:`~workflows.scattering.open_system.OpenSystem` is the one place that
assembles the open system E − H − Σ (Hamiltonian, lead interfaces,
self-energies, Γ) and factorizes it, through a pluggable backend
(:mod:`.backends`); it is the one door into a solver (scattering matrices
:mod:`.scattering_matrices`, ΔH along parameters :mod:`.hamiltonian_updates`,
solved mode counts :mod:`.mode_counts`).  Everything else here is built on it:
conductance matrices, lead- and block-resolved (:mod:`.conductance`),
Green's functions between interfaces (:mod:`.interface_greens`) and to every
orbital (:mod:`.greens_columns`), sweeps along one parameter (:mod:`.sweeps`),
dephasing-probe elimination (:mod:`.dephasing`, dense; :mod:`.probe_network`
with :mod:`.slicing` and :mod:`.recursive_greens`, linear in the length;
:mod:`.dephasing_method` chooses), phase-only dephasing
(:mod:`.phase_dephasing`), shot noise (:mod:`.noise`), current maps and local
densities (:mod:`.current_maps`, :mod:`.local_density`), the band-edge
convention (:mod:`.band_edges`) and non-equilibrium Green's functions at finite
bias (:mod:`.nonequilibrium` on :mod:`.diagonal_greens`; probes at finite bias
in :mod:`.finite_bias_probes`).  The everyday entry points are also exported by
:mod:`workflows`; this namespace holds every public name of the core.
"""

from workflows.exports import exported_attribute

# Eager: the core's modules import these from this package.
from workflows.scattering.open_system import (
    InterfaceGreensFunction,
    OpenSystem,
    broadening,
    conductance_from_transmissions,
)

#: Public name -> the module that defines it (imported on first use).
_EXPORTS = {
    "AndreevConductance": "workflows.scattering.andreev",
    "AndreevNoise": "workflows.scattering.andreev_noise",
    "BandEdgeError": "workflows.scattering.band_edges",
    "CurrentMap": "workflows.scattering.current_maps",
    "DenseFallbackWarning": "workflows.scattering.dephasing_method",
    "DephasedTransport": "workflows.scattering.dephasing",
    "ElectronDensity": "workflows.scattering.nonequilibrium",
    "FiniteBiasProbes": "workflows.scattering.finite_bias_probes",
    "LocalPotential": "workflows.scattering.local_density",
    "NambuLeadError": "workflows.scattering.nambu",
    "NonequilibriumDistribution": "workflows.scattering.nonequilibrium",
    "ScatteringMatrix": "workflows.scattering.noise",
    "SweepFallbackWarning": "workflows.scattering.sweeps",
    "andreev_conductance": "workflows.scattering.andreev",
    "andreev_thermal_conductance": "workflows.scattering.andreev",
    "biased_current_density": "workflows.scattering.current_maps",
    "block_terminals": "workflows.scattering.conductance",
    "conductance_matrix": "workflows.scattering.conductance",
    "conductance_vs_energy": "workflows.scattering.conductance",
    "correlation_function": "workflows.scattering.nonequilibrium",
    "current_density": "workflows.scattering.current_maps",
    "current_into": "workflows.scattering.current_maps",
    "dephased_conductance": "workflows.scattering.dephasing",
    "dephased_transport": "workflows.scattering.dephasing",
    "electron_density": "workflows.scattering.nonequilibrium",
    "eliminate_floating_probes": "workflows.scattering.dephasing",
    "fano_factor": "workflows.scattering.noise",
    "has_self_energy_leads": "workflows.scattering.conductance",
    "injectivities": "workflows.scattering.local_density",
    "interface_greens_function": "workflows.scattering.interface_greens",
    "lead_velocities": "workflows.scattering.mode_counts",
    "local_density_of_states": "workflows.scattering.local_density",
    "local_potential": "workflows.scattering.local_density",
    "noise_matrix": "workflows.scattering.noise",
    "nonequilibrium_distribution": "workflows.scattering.nonequilibrium",
    "open_modes": "workflows.scattering.mode_counts",
    "phase_dephased_conductance": "workflows.scattering.phase_dephasing",
    "phase_dephased_conductance_matrix": "workflows.scattering.phase_dephasing",
    "probe_potential_profile": "workflows.scattering.dephasing",
    "scattering_matrix": "workflows.scattering.noise",
    "site_inflow": "workflows.scattering.current_maps",
    "sweep": "workflows.scattering.sweeps",
    "terminal_currents": "workflows.scattering.nonequilibrium",
}

__all__ = [
    "AndreevConductance",
    "AndreevNoise",
    "BandEdgeError",
    "CurrentMap",
    "DenseFallbackWarning",
    "DephasedTransport",
    "ElectronDensity",
    "FiniteBiasProbes",
    "InterfaceGreensFunction",
    "LocalPotential",
    "NambuLeadError",
    "NonequilibriumDistribution",
    "OpenSystem",
    "ScatteringMatrix",
    "SweepFallbackWarning",
    "andreev_conductance",
    "andreev_thermal_conductance",
    "biased_current_density",
    "block_terminals",
    "broadening",
    "conductance_from_transmissions",
    "conductance_matrix",
    "conductance_vs_energy",
    "correlation_function",
    "current_density",
    "current_into",
    "dephased_conductance",
    "dephased_transport",
    "electron_density",
    "eliminate_floating_probes",
    "fano_factor",
    "has_self_energy_leads",
    "injectivities",
    "interface_greens_function",
    "lead_velocities",
    "local_density_of_states",
    "local_potential",
    "noise_matrix",
    "nonequilibrium_distribution",
    "open_modes",
    "phase_dephased_conductance",
    "phase_dephased_conductance_matrix",
    "probe_potential_profile",
    "scattering_matrix",
    "site_inflow",
    "sweep",
    "terminal_currents",
]


def __getattr__(name: str):
    return exported_attribute(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__
