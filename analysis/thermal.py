"""Finite-temperature Landauer averages: ∫ X(E) (−∂f/∂E) dE.

Temperatures are in units of t/k_B (i.e. k_B T is given in units of t).  Every
function takes the chemical potential before the temperature, ``(..., mu,
temperature)``; in :func:`thermal_average` both are keyword-only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["fermi", "fermi_window", "thermal_average"]

#: Largest thermal weight allowed to fall outside the sampled energies.
TAIL_TOLERANCE = 1e-6


def fermi(energy, mu: float, temperature: float) -> float | np.ndarray:
    """Fermi function f(E) = 1 / (1 + exp((E − μ)/k_B T)); a step at T = 0."""
    e = np.asarray(energy, dtype=float)
    if temperature == 0:
        return np.where(e < mu, 1.0, np.where(e > mu, 0.0, 0.5))
    return 0.5 * (1 - np.tanh((e - mu) / (2 * temperature)))


def fermi_window(energy, mu: float, temperature: float) -> float | np.ndarray:
    """Thermal window −∂f/∂E = 1 / (4 k_B T cosh²((E − μ)/2k_B T)), in 1/t (T > 0)."""
    e = np.asarray(energy, dtype=float)
    decay = np.exp(-np.abs(e - mu) / temperature)  # the same, without overflow far out
    return decay / (temperature * (1 + decay) ** 2)


def _antiderivative_of_fermi(energy, mu, temperature):
    """F(E) = −k_B T ln(1 + exp(−(E − μ)/k_B T)), so that F' = f (stable for any E)."""
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
        k_B T in units of t, >= 0.  At T = 0 the result is X(μ).

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
    if not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be >= 0 (units of t/k_B), got {temperature!r}")
    mus = np.asarray(mu, dtype=float)
    if temperature == 0:
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
