"""The checks every self-consistent device makes of its parts (Thomas–Fermi, Hartree)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from systems.electrostatics import SiteElectrostatics
from systems.units import Units

__all__ = ["checked_device_parts"]


def checked_device_parts(
    fsyst: Any,
    electrostatics: Any,
    units: Any,
    voltages: Mapping[str, float] | None,
) -> dict[str, float]:
    """Check a device's electrostatics, units and sites; return its voltages as a dict (V).

    One-line errors: ``electrostatics`` must be a :class:`SiteElectrostatics` of as many
    sites as ``fsyst``, ``units`` a :class:`systems.Units`, and every voltage name a gate of
    the layout with a finite value.
    """
    if not isinstance(electrostatics, SiteElectrostatics):
        raise TypeError(
            f"electrostatics must be a SiteElectrostatics, got {type(electrostatics).__name__}"
        )
    if not isinstance(units, Units):
        raise TypeError(f"units must be a systems.Units, got {type(units).__name__}")
    sites = len(fsyst.sites)
    if len(electrostatics.positions) != sites:
        raise ValueError(
            f"electrostatics has {len(electrostatics.positions)} sites, the system {sites}"
        )
    voltages = dict(voltages or {})
    electrostatics.problem.boundary_values(voltages)  # checks the names and values
    return voltages
