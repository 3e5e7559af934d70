"""How the :mod:`workflows` namespaces export their names, and where the moved ones went.

A subpackage namespace (:mod:`workflows.scattering`, :mod:`workflows.studies`,
:mod:`workflows.runs`) maps each public name to the module that defines it and
imports that module on first use (:func:`exported_attribute`, a module-level
``__getattr__``, PEP 562): the layers import one another's modules, never the
namespaces, so no import order can make a cycle.

``workflows`` exports the everyday entry points; the rest of the scattering
core, the studies and the run layer is reached through its subpackage
(:mod:`workflows.scattering`, :mod:`workflows.studies`, :mod:`workflows.runs`),
and the Kwant-free algebra on a conductance matrix through :mod:`analysis`.
A script that still asks ``workflows`` for a moved name gets an
``AttributeError`` naming the new place.

A function with the name of its own module (``finite_bias_probes``,
``andreev_noise``, ``thermoelectric``) is exported flat by :mod:`workflows`
only: in its subpackage the loaded submodule of that name would shadow a lazy
export.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

_ANALYSIS = (
    "BiasSolution",
    "OhmicFit",
    "SingularBiasError",
    "bend_resistance",
    "cross_hall_resistance",
    "cross_resistances",
    "decoupled_terminals",
    "dissipation_table",
    "entropy_production_rate",
    "fit_ohmic",
    "four_terminal_resistance",
    "hall_bar_resistances",
    "hall_resistance",
    "joule_heat",
    "longitudinal_resistance",
    "solve_bias",
    "terminal_powers",
    "two_terminal_conductance",
)
_SCATTERING = (
    "AndreevConductance",
    "AndreevNoise",
    "CurrentMap",
    "DenseFallbackWarning",
    "DephasedTransport",
    "ElectronDensity",
    "FiniteBiasProbes",
    "InterfaceGreensFunction",
    "LocalPotential",
    "NambuLeadError",
    "NonequilibriumDistribution",
    "ScatteringMatrix",
    "SweepFallbackWarning",
    "andreev_thermal_conductance",
    "biased_current_density",
    "block_terminals",
    "correlation_function",
    "current_into",
    "dephased_conductance",
    "eliminate_floating_probes",
    "has_self_energy_leads",
    "injectivities",
    "interface_greens_function",
    "local_potential",
    "nonequilibrium_distribution",
    "phase_dephased_conductance",
    "phase_dephased_conductance_matrix",
    "probe_potential_profile",
    "site_inflow",
    "terminal_currents",
)
_STUDIES = ("conductance_grid", "four_terminal_reciprocity", "ring_arm_length")
_RUNS = (
    "StoreBusyError",
    "StoreDamagedError",
    "StoreMismatchError",
    "StoreWarning",
    "WorkerDied",
    "environment_info",
    "finalized_system",
    "kwant_solver",
)

#: Old flat name ``workflows.<name>`` -> the namespace that holds it now.
MOVED: dict[str, str] = {
    **dict.fromkeys(_ANALYSIS, "analysis"),
    **dict.fromkeys(_SCATTERING, "workflows.scattering"),
    **dict.fromkeys(_STUDIES, "workflows.studies"),
    **dict.fromkeys(_RUNS, "workflows.runs"),
}


def moved_attribute(module: str, name: str):
    """Raise the ``AttributeError`` of ``workflows.__getattr__`` for ``module.name``."""
    if name in MOVED:
        home = MOVED[name]
        why = (
            " (Kwant-free algebra on a conductance matrix lives in analysis)"
            if home == "analysis"
            else ""
        )
        raise AttributeError(
            f"workflows.{name} moved to {home}.{name}{why}; use `from {home} import {name}`"
        )
    raise AttributeError(f"module {module!r} has no attribute {name!r}")


def exported_attribute(module: str, exports: Mapping[str, str], name: str):
    """The value of ``module.name`` from its defining module ``exports[name]``.

    Used as a namespace's ``__getattr__``; an unknown name raises the usual
    ``AttributeError``.
    """
    if name in exports:
        return getattr(importlib.import_module(exports[name]), name)
    raise AttributeError(f"module {module!r} has no attribute {name!r}")
