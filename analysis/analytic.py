"""Closed-form transmissions of simple scatterers, for checks against simulation."""

from __future__ import annotations

import numpy as np

__all__ = ["chain_barrier_transmission", "chain_wavenumber"]


def chain_wavenumber(energy, t: float = 1.0):
    """Wavenumber k (1/a) of a chain with on-site 2t: E = 2t(1 − cos k), 0 < k < π.

    NaN outside the band 0 < E < 4t.
    """
    e = np.asarray(energy, dtype=float)
    cos_k = 1 - e / (2 * t)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(cos_k) < 1, np.arccos(np.clip(cos_k, -1, 1)), np.nan)


def chain_barrier_transmission(energy, V: float, t: float = 1.0):
    """Transmission through one site of potential V in a 1D chain.

    T(E) = 1 / (1 + (V / (2t sin k))²),  E = 2t(1 − cos k),

    the lattice form of a delta barrier, with group velocity v = 2t sin k (ħ = a = 1).

    Parameters
    ----------
    energy
        Energy or array of energies in units of t (band 0 < E < 4t).
    V
        Potential energy of the barrier site, in units of t.
    t
        Hopping.

    Returns
    -------
    float or numpy.ndarray
        T(E); 0 outside the band.
    """
    k = chain_wavenumber(energy, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        result = 1.0 / (1.0 + (V / (2 * t * np.sin(k))) ** 2)
    result = np.where(np.isnan(k), 0.0, result)
    return float(result) if result.ndim == 0 else result
