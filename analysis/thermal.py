"""Finite-temperature Landauer averages: ∫ X(E) (−∂f/∂E) dE.

Temperatures are in units of t/k_B (i.e. k_B T is given in units of t).  Every
function takes the chemical potential before the temperature, ``(..., mu,
temperature)``; in :func:`thermal_average` both are keyword-only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from systems.validation import real, real_array

__all__ = ["SOMMERFELD_FLOOR", "fermi", "fermi_window", "sommerfeld_floor", "thermal_average"]

#: Largest thermal weight allowed to fall outside the sampled energies.
TAIL_TOLERANCE = 1e-6

#: Below k_B T = SOMMERFELD_FLOOR · max(1, |μ|) (units of t) the thermal integrals of
#: :mod:`analysis.thermoelectric` take their Sommerfeld (T → 0) limit instead of a quadrature
#: over the window μ ± 25 k_B T.  Measured on a chain with one barrier site (smooth 𝒯(E),
#: μ = 1 t, adaptive grid tol = 1e-5): S of the quadrature against Mott's formula deviates by
#: 1e-7 relative at k_B T = 1e-5 t, 1e-6 at 1e-6 t, 3e-4 at 1e-7 t, 40 % at 1e-8 t, a factor 10
#: at 1e-9 t; G by 1e-5 at 1e-13 t (the window is then a few ulp of μ wide, and rounding of
#: 𝒯(E) at the 1e-11 level and of E − μ dominate).  The Sommerfeld expansion's first
#: neglected terms are O((k_B T/Δ)²) for a 𝒯 that varies on the scale Δ: below 1e-12 relative
#: at the floor for Δ ≳ 1e-6·t.
SOMMERFELD_FLOOR = 1e-6


def sommerfeld_floor(mu):
    """k_B T (t) below which thermal integrals at chemical potential ``mu`` use the T → 0 limit."""
    return SOMMERFELD_FLOOR * np.maximum(1.0, np.abs(mu))


def fermi(energy, mu: float, temperature: float) -> float | np.ndarray:
    """Fermi function f(E) = 1 / (1 + exp((E − μ)/k_B T)); a step at T = 0.

    ``energy``, ``mu`` (t) and ``temperature`` (k_B T in t, >= 0) are real
    numbers or arrays of them that broadcast together.
    """
    e = real_array("energy", energy, hint="units of t")
    mu = real_array("mu", mu, hint="units of t")
    temperature = real_array("temperature", temperature, minimum=0, hint="k_B T in t")
    if np.ndim(temperature) == 0 and temperature == 0:
        return np.where(e < mu, 1.0, np.where(e > mu, 0.0, 0.5))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        x = (e - mu) / (2 * temperature)  # ±inf far out (tanh → ±1) or at T = 0 (NaN at E = μ)
    return np.where(np.isnan(x), 0.5, 0.5 * (1 - np.tanh(np.nan_to_num(x, nan=0.0))))


def fermi_window(energy, mu: float, temperature: float) -> float | np.ndarray:
    """Thermal window −∂f/∂E = 1 / (4 k_B T cosh²((E − μ)/2k_B T)), in 1/t (T > 0)."""
    e = real_array("energy", energy, hint="units of t")
    mu = real_array("mu", mu, hint="units of t")
    temperature = real_array("temperature", temperature, minimum=0, strict=True, hint="k_B T in t")
    with np.errstate(over="ignore"):
        decay = np.exp(-np.abs(e - mu) / temperature)  # the same, without overflow far out
        return decay / (temperature * (1 + decay) ** 2)


def _antiderivative_of_fermi(energy, mu, temperature):
    """F(E) = −k_B T ln(1 + exp(−(E − μ)/k_B T)), so that F' = f (stable for any E)."""
    with np.errstate(over="ignore"):  # ±inf far out at a subnormal k_B T: F → 0 or E − μ
        return -temperature * np.logaddexp(0.0, -(energy - mu) / temperature)


def thermal_average(
    energies: ArrayLike, values: ArrayLike, *, mu: float | ArrayLike, temperature: float
) -> float | np.ndarray:
    """Thermal average ⟨X⟩ = ∫ X(E) (−∂f/∂E) dE of samples X(E_k).

    X(E) is taken as the piecewise-linear interpolant of the samples, and the
    integral against −∂f/∂E is evaluated exactly on each interval, so the only
    error is that of the interpolation.  A repeated energy marks a jump (a step
    X(E) can be given exactly).  Outside the sampled range X is not extrapolated:
    the thermal window must fit inside it (an error otherwise).

    Parameters
    ----------
    energies
        Sample energies in units of t, non-decreasing.
    values
        X(E_k), e.g. a transmission or conductance in e²/h.
    mu
        Chemical potential (scalar or array) in units of t.
    temperature
        k_B T in units of t, >= 0.  At T = 0, and below
        :func:`sommerfeld_floor` (μ), the result is X(μ).

    Returns
    -------
    float or numpy.ndarray
        ⟨X⟩, with the shape of ``mu``.
    """
    e = np.asarray(energies, dtype=float)
    x = np.asarray(values, dtype=float)
    if e.ndim != 1 or e.shape != x.shape or e.size < 2:
        raise ValueError(
            f"energies and values must be 1D arrays of the same length >= 2, got shapes "
            f"{e.shape} and {x.shape}"
        )
    if np.any(np.diff(e) < 0):
        raise ValueError("energies must be sorted in non-decreasing order")
    temperature = real("temperature", temperature, minimum=0, hint="k_B T in t")
    mus = np.asarray(real_array("mu", mu, hint="units of t"))
    # Below the Sommerfeld floor the window is narrower than the rounding of E − μ: take the
    # T → 0 limit, X(μ) (exact up to O(θ²) kinks of the interpolant).
    if np.all(temperature < sommerfeld_floor(mus)):
        if np.any((mus < e[0]) | (mus > e[-1])):
            raise ValueError(f"mu={mu} lies outside the sampled energies [{e[0]}, {e[-1]}]")
        result = np.interp(mus, e, x)
        return float(result) if result.ndim == 0 else result

    m = mus[..., None]
    f = fermi(e, m, temperature)  # shape (..., n)
    outside = (1.0 - f[..., 0]) + f[..., -1]  # thermal weight below e[0] and above e[-1]
    if np.any(outside > TAIL_TOLERANCE):
        raise ValueError(
            f"the thermal window (mu ± ~15 k_B T, k_B T = {temperature}) does not fit in the "
            f"sampled energies [{e[0]}, {e[-1]}]: weight {float(np.max(outside)):.2g} falls "
            "outside; sample a wider energy range"
        )
    big_f = _antiderivative_of_fermi(e, m, temperature)
    de = np.diff(e)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(de > 0, np.diff(x) / np.where(de > 0, de, 1.0), 0.0)
    # ∫_a^b X (−f') dE = X_a f_a − X_b f_b + s (F_b − F_a) on each interval.
    pieces = x[:-1] * f[..., :-1] - x[1:] * f[..., 1:] + slope * np.diff(big_f, axis=-1)
    # A zero-width interval (a jump) carries no weight: its integral is exactly 0.
    pieces = np.where(de > 0, pieces, 0.0)
    result = pieces.sum(axis=-1) + x[0] * (1.0 - f[..., 0]) + x[-1] * f[..., -1]
    return float(result) if result.ndim == 0 else result
