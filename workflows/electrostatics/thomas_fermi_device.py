"""A Kwant system whose on-site potential is the Thomas–Fermi solution at its sites.

:class:`ThomasFermiDevice` ties a finalized system to its electrostatics (the affine map
at ``fsyst.sites``) and to the band whose density the gas has, and
:func:`thomas_fermi_state` solves the Thomas–Fermi problem at a Fermi energy given in the
system's energy unit t, so that the transport energy and the gas's filling are one number.

**Energies.**  The Fermi level is μ = 0 of :func:`~workflows.electrostatics.thomas_fermi`;
``energy`` E_F (t) is measured in the system's energies at U = 0, where the band bottom is
at ``band_bottom`` (t; 0 on mesoflow's builders, whose on-site 4t cancels the band's
−4t).  So the band edge of the Thomas–Fermi problem is E_c − μ = (``band_bottom`` − E_F)
in eV, and a transport calculation at E_F in the self-consistent U (the parameter
``potential``) sees the same gas.  The leads carry no U: the device's potential should
reach zero where it meets them (a gas that continues into ungated leads), or the
interface reflects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from systems.electrostatics import SiteElectrostatics, SitePotential
from systems.parameters import updated_params
from systems.units import Units
from systems.validation import real

from .density_of_states import BandDensity, thermal_band
from .device_checks import checked_device_parts
from .thomas_fermi import ThomasFermiSolution, thomas_fermi

__all__ = ["ThomasFermiDevice", "thomas_fermi_state"]


@dataclass(frozen=True, eq=False)
class ThomasFermiDevice:
    """A finalized system, its electrostatics and its band (module docstring).

    Parameters
    ----------
    fsyst
        The finalized Kwant system with leads.
    electrostatics
        The affine map U = U₀(V) + K q at ``fsyst.sites`` (same order).
    band
        The band at zero temperature (e.g.
        :func:`~workflows.electrostatics.square_lattice`); a temperature is applied
        by :func:`thomas_fermi_state`.
    units
        Converts eV to the system's energy unit t.
    potential
        The Kwant parameter that receives U (a
        :class:`~systems.electrostatics.SitePotential`; ``V`` for mesoflow's builders).
    band_bottom
        The band bottom at U = 0 in the system's energies (t).
    voltages
        Gate voltages (V) that a scan does not set; gates left out are at 0 V.
    """

    fsyst: Any
    electrostatics: SiteElectrostatics
    band: BandDensity
    units: Units
    potential: str = "V"
    band_bottom: float = 0.0
    voltages: Mapping[str, float] | None = None

    def __post_init__(self):
        voltages = checked_device_parts(self.fsyst, self.electrostatics, self.units, self.voltages)
        if not isinstance(self.band, BandDensity):
            raise TypeError(f"band must be a BandDensity, got {type(self.band).__name__}")
        if not isinstance(self.potential, str) or not self.potential:
            raise TypeError(f"potential must be a parameter name, got {self.potential!r}")
        object.__setattr__(self, "band_bottom", real("band_bottom", self.band_bottom, hint="t"))
        object.__setattr__(self, "voltages", voltages)
        sites = len(self.fsyst.sites)
        # the position -> site index of the on-site term, built once
        site_potential = SitePotential(self.fsyst, np.zeros(sites), units=self.units)
        object.__setattr__(self, "_site_potential", site_potential)

    def band_edge(self, energy: float) -> float:
        """E_c − μ (eV) of the gas at the Fermi energy ``energy`` (t)."""
        return (self.band_bottom - energy) * self.units.t_meV / 1e3

    def params(self, energy_at_sites, base: Mapping[str, Any] | None = None) -> dict:
        """Kwant parameters: ``base`` with U (eV at the sites) as the on-site ``potential``."""
        value = self.__dict__["_site_potential"].with_energy(energy_at_sites)
        return updated_params(base, {self.potential: value})


def thomas_fermi_state(
    device: ThomasFermiDevice,
    *,
    energy: float,
    voltages: Mapping[str, float],
    temperature: float = 0.0,
    tolerance: float = 1e-6,
    max_iterations: int = 50,
    initial: ThomasFermiSolution | np.ndarray | None = None,
    band: BandDensity | None = None,
) -> ThomasFermiSolution:
    """The Thomas–Fermi solution of ``device`` at the Fermi energy ``energy`` (t).

    Parameters
    ----------
    device
        The system, its electrostatics and band.
    energy
        E_F in t (module docstring).
    voltages
        Gate voltages (V), on top of ``device.voltages``.
    temperature
        k_B T in t; above 0 the band is :func:`thermal_band` at this temperature.
    tolerance, max_iterations, initial
        As for :func:`~workflows.electrostatics.thomas_fermi` (eV; a failure raises
        :class:`~workflows.electrostatics.ThomasFermiConvergenceError`).
    band
        The band to use instead of ``device.band`` at ``temperature`` (a caller that
        solves many points builds the thermal band once).
    """
    if not isinstance(device, ThomasFermiDevice):
        raise TypeError(f"device must be a ThomasFermiDevice, got {type(device).__name__}")
    energy = real("energy", energy, hint="E_F in t")
    temperature = real("temperature", temperature, minimum=0, hint="k_B T in t")
    if band is None:
        band = device.band
        if temperature > 0:
            band = thermal_band(band, temperature * device.units.t_meV / 1e3)
    return thomas_fermi(
        device.electrostatics,
        {**device.voltages, **voltages},
        band,
        band_edge=device.band_edge(energy),
        tolerance=tolerance,
        max_iterations=max_iterations,
        initial=initial,
    )
