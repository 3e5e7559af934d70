"""Kwant builders of mesoscopic devices: describe, never solve.

Every builder returns an unfinalized :class:`kwant.Builder` with its leads
attached; every physical quantity is a Kwant ``params`` name (see
:mod:`systems.parameters` and docs/architecture.md for names and units).
"""

from .multiterminal import CROSS_LEADS, HALL_BAR_LEADS, cross, hall_bar
from .parameters import (
    NEUTRAL_PARAMS,
    ParameterOwners,
    SharedParams,
    parameter_names,
    parameter_owners,
    resolve_params,
    updated_params,
)
from .probes import attach_dephasing_probes, dephasing_probe_leads
from .rings import AB_RING_LEADS, ab_ring
from .units import MATERIALS, ContinuumWarning, Units
from .validation import MAX_SITES
from .wannier90 import from_wannier90
from .wires import chain, qpc, wire

__all__ = [
    "AB_RING_LEADS",
    "CROSS_LEADS",
    "HALL_BAR_LEADS",
    "MATERIALS",
    "MAX_SITES",
    "NEUTRAL_PARAMS",
    "ContinuumWarning",
    "ParameterOwners",
    "SharedParams",
    "Units",
    "ab_ring",
    "attach_dephasing_probes",
    "chain",
    "cross",
    "dephasing_probe_leads",
    "from_wannier90",
    "hall_bar",
    "parameter_names",
    "parameter_owners",
    "qpc",
    "resolve_params",
    "updated_params",
    "wire",
]
