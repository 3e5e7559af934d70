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
in :mod:`.finite_bias_probes`).  Public names are exported by :mod:`workflows`.
"""

from workflows.scattering.open_system import (
    InterfaceGreensFunction,
    OpenSystem,
    broadening,
    conductance_from_transmissions,
)

__all__ = ["InterfaceGreensFunction", "OpenSystem", "broadening", "conductance_from_transmissions"]
