"""Shot and thermal noise of hybrid normal–superconducting devices (BdG systems).

The BdG scattering matrix over the (lead, block) terminals (electron and hole
blocks of every normal lead, see :mod:`workflows.scattering.nambu`; the
superconducting leads grounded) is a scattering matrix of independent
fermions in the doubled (Nambu) space: Büttiker's noise formula
(:func:`analysis.noise_from_scattering_matrix`) applies to it with the electron block of
normal lead i at the potential +eV_i, its hole block at −eV_i and every
superconducting lead at 0 (Anantram & Datta, Phys. Rev. B 53, 16390 (1996)).
The charge current and noise of lead i are

    I_i = ½ Σ_α q_α I_(i,α),    S_ij = ½ Σ_αβ q_α q_β S_(i,α),(j,β),

q = +1 for electron and −1 for hole blocks; the ½ undoes the double counting
of the Nambu space (each state appears at E and, as its particle-hole
partner, at −E).  Checks: the Johnson–Nyquist noise S = 4 k_B T G at V = 0
with G the Andreev conductance, and de Jong & Beenakker's NS Fano factor
F = 2 Σ R_n(1 − R_n)/Σ R_n (Phys. Rev. B 49, 16070 (1994)), → 2 in the tunnel
limit (charge 2e).

Scattering is taken at one energy (default the Fermi level, E = 0) and
assumed energy independent over the window max(|eV|, k_B T), as in
:func:`workflows.noise_matrix`.  Units: voltages eV and k_B T in t; currents in
(e/h)·t, noise in (e²/h)·t, normalized so that S = 2eI for Poissonian noise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np

from analysis.noise import noise_from_scattering_matrix
from systems.validation import check_system, real
from workflows.scattering.nambu import nambu_leads
from workflows.scattering.open_system import OpenSystem

__all__ = ["AndreevNoise", "andreev_noise"]


@dataclass(frozen=True)
class AndreevNoise:
    """Charge currents and current noise of the normal leads of a hybrid device.

    Attributes
    ----------
    noise
        S_ij over the normal leads, shape (N, N), (e²/h)·t; S = 2eI for
        Poissonian noise.
    current
        I_i, shape (N,), (e/h)·t: the charge current from normal lead i into
        the device (positive for eV_i > 0 at an NS interface).
    normal_leads
        Kwant indices of the normal leads (the axes).
    """

    noise: np.ndarray
    current: np.ndarray
    normal_leads: tuple[int, ...]

    def fano_factor(self, lead: int) -> float:
        """F = S_ii / (2e|I_i|) of normal lead ``lead`` (Kwant index); NaN if I_i = 0."""
        i = self.normal_leads.index(lead)
        current = abs(float(self.current[i]))
        return float(self.noise[i, i] / (2 * current)) if current > 0 else float("nan")


def andreev_noise(
    fsyst: kwant.system.FiniteSystem,
    voltages: Any,
    *,
    params: Mapping[str, Any] | None = None,
    temperature: float = 0.0,
    energy: float = 0.0,
) -> AndreevNoise:
    """Charge currents and noise of the normal leads of an NS or NSN device (module formulas).

    Parameters
    ----------
    fsyst
        A finalized BdG system: normal leads with electron/hole blocks, the
        other leads superconducting and grounded (as for
        :func:`workflows.andreev_conductance`).
    voltages
        eV_i of each normal lead (in Kwant's lead order), units of t.
    params
        Kwant parameters.
    temperature
        k_B T of all reservoirs, units of t (>= 0).
    energy
        Energy (t, from the superconductor's chemical potential) at which the
        scattering matrix is taken.

    Returns
    -------
    AndreevNoise

    Raises
    ------
    workflows.scattering.open_system.SingularLeadError
        At a pole of a lead's self-energy (e.g. ``energy=0`` exactly with a
        topological superconducting lead).
    """
    check_system(fsyst)
    temperature = real("temperature", temperature, minimum=0.0, hint="k_B T in units of t")
    energy = real("energy", energy, hint="units of t")
    open_system = OpenSystem(fsyst, params=params)
    nambu = nambu_leads(fsyst, open_system.params)
    normal = tuple(sorted(nambu))
    if not normal:
        raise ValueError(
            "andreev_noise needs a normal BdG lead (conservation_law=-tau_z, particle_hole=tau_y)"
        )
    voltages = np.atleast_1d(np.asarray(voltages, dtype=float))
    if voltages.shape != (len(normal),) or not np.all(np.isfinite(voltages)):
        raise ValueError(
            f"voltages must be {len(normal)} finite numbers, one per normal lead {normal}, "
            f"got {voltages!r}"
        )
    s = open_system.scattering_matrix(energy, blocks=True)
    potentials = np.zeros(len(s.terminals))
    charges = np.zeros((len(normal), len(s.terminals)))  # q_α of terminal (i, α) for lead i
    for row, lead in enumerate(normal):
        for sign, blocks in ((1.0, nambu[lead].electron), (-1.0, nambu[lead].hole)):
            for block in blocks:
                terminal = s.terminals.index((lead, block))
                potentials[terminal] = sign * voltages[row]
                charges[row, terminal] = sign
    masks = (s.channel_terminals[None, :] == np.arange(len(s.terminals))[:, None]).astype(float)
    conductance = np.diag(masks.sum(axis=1)) - masks @ np.abs(s.data) ** 2 @ masks.T
    particle_currents = conductance @ potentials
    noise = noise_from_scattering_matrix(s.data, s.channel_terminals, potentials, temperature)
    return AndreevNoise(
        noise=0.5 * charges @ noise @ charges.T,
        current=0.5 * charges @ particle_currents,
        normal_leads=normal,
    )
