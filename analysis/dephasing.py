"""Weak-coupling predictions for Büttiker dephasing probes on every site.

The derivation is given in :mod:`workflows.studies.coherence`.  In short, for probes
of coupling η (Γ = η, self-energy −iη/2) on every site of a wire whose open
modes have group velocities v_n = (1/ħ) dE_n/dk:

* an electron in mode n escapes into a probe at the rate η/ħ, i.e. after the
  dephasing (phase-coherence) length l_φ,n = ħ v_n / η;
* re-injected isotropically, it is backscattered with probability 1/2, so the
  transport (backscattering) length is λ = 2 l_φ;
* R = (h/e²) (1/N) (1 + L/λ̄) for L ≫ l_φ, with the Ohmic slope
  dR/dL = η / (2ħ Σ_n v_n) (h/e² per lattice constant) and λ̄ = 2ħ⟨v⟩/η
  (:func:`ohmic_slope`); at all L, :func:`semiclassical_dephased_resistance`
  solves the incoherent (Boltzmann) limit of the probe network.

For the 1D chain (on-site 2t, E = 2t(1 − cos k)): v = 2t a sin k / ħ and

    R = (h/e²) (1 + L/λ),   λ = 2ħv/η = 4 t a sin k / η.

Corrections are of relative order (η/v)² for the chain; for a wire, the
quantum result agrees with the semiclassical network to a few 10⁻³ for
η/v ≲ 0.2 (residual phase-coherent effects) provided η is also small against
the distance from E to the nearest subband edge; near an edge the probes mix
in a slow or nearly open mode and the weak-coupling picture fails.  Units: energies in
t, lengths in a, velocities in t·a/ħ (ħ = a = 1), resistances in h/e².
"""

from __future__ import annotations

import numpy as np

from analysis._moved import moved_attribute
from analysis.analytic import chain_wavenumber
from systems.validation import integer, real_array, shown

__all__ = [
    "chain_backscattering_length",
    "chain_dephased_resistance",
    "chain_group_velocity",
    "chain_probe_potential",
    "dephasing_length",
    "ohmic_slope",
    "semiclassical_dephased_resistance",
]


def _check_eta(eta) -> np.ndarray:
    return np.asarray(real_array("eta", eta, minimum=0, strict=True, hint="units of t"))


def chain_group_velocity(energy, t: float = 1.0) -> float | np.ndarray:
    """Group velocity v = (1/ħ) dE/dk = 2t sin k of a chain with E = 2t(1 − cos k).

    In units of t·a/ħ; NaN outside the band 0 < E < 4t.
    """
    result = 2 * t * np.sin(chain_wavenumber(energy, t))
    return float(result) if np.ndim(result) == 0 else result


def dephasing_length(velocity, eta) -> float | np.ndarray:
    """Phase-coherence length l_φ = ħv/η = v τ_φ (τ_φ = ħ/η): distance before entering a probe.

    Parameters
    ----------
    velocity
        Group velocity in t·a/ħ.
    eta
        Probe coupling η > 0 in units of t.

    Returns
    -------
    float or numpy.ndarray
        l_φ in lattice constants.
    """
    result = np.asarray(real_array("velocity", velocity)) / _check_eta(eta)
    return float(result) if result.ndim == 0 else result


def chain_backscattering_length(energy, eta, t: float = 1.0) -> float | np.ndarray:
    """λ = 2 l_φ = 2ħv/η = 4t sin k / η (lattice constants) of a chain with probes on every site."""
    result = 2 * np.asarray(dephasing_length(chain_group_velocity(energy, t), eta))
    return float(result) if result.ndim == 0 else result


def chain_dephased_resistance(length, energy, eta, t: float = 1.0) -> float | np.ndarray:
    """Weak-coupling two-terminal resistance R = 1 + L/λ (h/e²) of a chain with L probe sites."""
    length = np.asarray(real_array("length", length, minimum=0, hint="sites"))
    result = 1 + length / chain_backscattering_length(energy, eta, t)
    return float(result) if result.ndim == 0 else result


def chain_probe_potential(x, length, energy, eta, t: float = 1.0) -> float | np.ndarray:
    """Weak-coupling probe potential μ(x) along a chain, left lead at 1 and right lead at 0.

    μ(x) = 1 − J/2 − J (x + 1/2)/λ with J = 1/(1 + L/λ) the transmitted
    current (e²/h per unit bias) and sites at x = 0 … L − 1: a linear drop
    with a jump of J/2 at each contact (the Sharvin contact resistance).
    """
    lam = chain_backscattering_length(energy, eta, t)
    current = 1 / (1 + length / lam)
    x = np.asarray(real_array("x", x, hint="site position"))
    result = 1 - current / 2 - current * (x + 0.5) / lam
    return float(result) if result.ndim == 0 else result


def ohmic_slope(velocities, eta) -> float:
    """Asymptotic Ohmic slope dR/dL = η / (2 Σ_n v_n) in h/e² per lattice constant.

    Valid for L ≫ l_φ,n of every mode; then R ≈ (1/N)(1 + L/λ̄) with
    λ̄ = 2⟨v⟩/η.  For one mode this is 1/λ = η/(2v) at every L.

    Parameters
    ----------
    velocities
        Group velocities of the open modes (t·a/ħ), e.g. :func:`workflows.lead_velocities`.
    eta
        Probe coupling η > 0 (units of t).
    """
    velocities = _check_velocities(velocities)
    return float(_check_eta(eta) / (2 * velocities.sum()))


def _check_velocities(velocities) -> np.ndarray:
    velocities = np.atleast_1d(real_array("velocities", velocities))
    if velocities.ndim != 1 or velocities.size == 0 or np.any(~(velocities > 0)):
        raise ValueError(f"velocities must be positive, one per open mode, got {shown(velocities)}")
    return velocities


def semiclassical_dephased_resistance(length: int, velocities, eta) -> float:
    """Resistance (h/e²) of an incoherent network of probe columns: the Boltzmann limit.

    Every column of sites is one floating probe.  Mode n (velocity v_n)
    survives a column with probability e^{−a_n}, a_n = η/v_n, and is absorbed
    with p_n = 1 − e^{−a_n}; a column emits into each mode and direction as
    it absorbs (p_n).  The transmissions between columns i ≠ j, and from the
    leads, are therefore

        T_ij = Σ_n p_n² e^{−a_n(|i−j|−1)},   T_{lead,i} = Σ_n p_n e^{−a_n d_i},

    with d_i the number of columns between the lead and column i, and the
    lead-to-lead transmission Σ_n e^{−a_n L}.  Solving Kirchhoff's equations
    with every column floating gives R at any L, ballistic to Ohmic, without
    phase coherence between probes.  For one mode it reduces to 1 + L/λ up
    to O(a²); for several modes it captures the crossover from the ballistic
    slope η⟨1/v⟩/(2N) to the Ohmic slope :func:`ohmic_slope`.

    Parameters
    ----------
    length
        Number of columns L (>= 1).
    velocities
        Group velocities of the open modes (t·a/ħ).
    eta
        Probe coupling η > 0 (units of t).
    """
    length = integer("length", length, minimum=1, what="an integer number of columns")
    a = _check_eta(eta) / _check_velocities(velocities)
    p = -np.expm1(-a)
    columns = np.arange(length)
    distance = np.abs(columns[:, None] - columns[None, :])
    survive = np.exp(-a[:, None, None] * np.maximum(distance - 1, 0)[None])
    between = np.einsum("n,nij->ij", p**2, survive)
    np.fill_diagonal(between, 0.0)
    from_left = p @ np.exp(-np.outer(a, columns))
    from_right = p @ np.exp(-np.outer(a, length - 1 - columns))
    direct = np.exp(-a * length).sum()
    kirchhoff = np.diag(between.sum(axis=0) + from_left + from_right) - between
    mu = np.linalg.solve(kirchhoff, from_left)  # column potentials, left at 1, right at 0
    return float(1 / (direct + from_left @ (1 - mu)))


def __getattr__(name: str):
    return moved_attribute(__name__, name)
