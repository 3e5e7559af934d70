"""Closed-form transmissions of simple scatterers, for checks against simulation."""

from __future__ import annotations

import numpy as np

from systems.validation import hopping, real_array

__all__ = ["chain_barrier_transmission", "chain_transmission", "chain_wavenumber"]


def chain_wavenumber(energy, t: float = 1.0) -> np.ndarray:
    """Wavenumber k (1/a) of a chain with on-site 2t: E = 2t(1 − cos k), 0 < k < π.

    An array with the shape of ``energy`` (0-d for a scalar); NaN outside the
    band 0 < E < 4t.
    """
    e = real_array("energy", energy, hint="units of t")
    t = hopping("t", t)
    cos_k = 1 - e / (2 * t)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(cos_k) < 1, np.arccos(np.clip(cos_k, -1, 1)), np.nan)


def chain_barrier_transmission(energy, V: float, t: float = 1.0) -> float | np.ndarray:
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
    V = real_array("V", V, hint="units of t")
    with np.errstate(invalid="ignore", divide="ignore"):
        result = 1.0 / (1.0 + (V / (2 * t * np.sin(k))) ** 2)
    result = np.where(np.isnan(k), 0.0, result)
    return float(result) if result.ndim == 0 else result


def chain_transmission(energy, potential, t: float = 1.0) -> float | np.ndarray:
    """Transmission of a chain with on-site potentials V_0 … V_{L−1}, from its transfer matrix.

    The chain has on-site energy 2t + V_n and hopping t between ideal leads
    (V = 0), as :func:`systems.chain`.  The wave function obeys
    ψ_{n+1} = ((2t + V_n − E)/t) ψ_n − ψ_{n−1}; in the leads it is
    ψ_n = e^{ikn} + r e^{−ikn} (n <= 0) and τ e^{ikn} (n >= L − 1), with
    E = 2t(1 − cos k), and T = |τ|².  Exact (no discretization beyond the
    lattice), vectorized over energies: an independent check of Kwant.

    Parameters
    ----------
    energy
        Energy or array of energies in units of t, inside the band 0 < E < 4t.
    potential
        Sequence of the L on-site potentials V_n (units of t).
    t
        Hopping.

    Returns
    -------
    float or numpy.ndarray
        T(E), with the shape of ``energy``.
    """
    e = np.asarray(real_array("energy", energy, hint="units of t"))
    potential = np.asarray(real_array("potential", potential, hint="units of t"))
    t = hopping("t", t)
    if potential.ndim != 1 or potential.size == 0:
        raise ValueError(f"potential must be a non-empty 1D sequence, got shape {potential.shape}")
    k = chain_wavenumber(e, t)
    if np.any(np.isnan(k)):
        raise ValueError(f"energies must lie inside the band 0 < E < {4 * t}, got {energy}")
    transfer = np.broadcast_to(np.eye(2, dtype=complex), (*e.shape, 2, 2)).copy()
    for v in potential:
        step = np.zeros((*e.shape, 2, 2), dtype=complex)
        step[..., 0, 0], step[..., 0, 1], step[..., 1, 0] = (2 * t + v - e) / t, -1, 1
        transfer = step @ transfer
    # Columns: the incoming wave e^{ikn} and the reflected e^{−ikn} at (ψ_0, ψ_{−1}).
    plane = np.stack(
        [
            np.stack([np.ones_like(k), np.ones_like(k)], -1),
            np.stack([np.exp(-1j * k), np.exp(1j * k)], -1),
        ],
        -2,
    )
    incoming = transfer @ plane  # (ψ_L, ψ_{L−1}) for each column
    length = potential.size
    outgoing = np.stack([np.exp(1j * k * length), np.exp(1j * k * (length - 1))], -1)
    system = np.stack([incoming[..., :, 1], -outgoing], -1)
    _, tau = np.moveaxis(np.linalg.solve(system, -incoming[..., :, :1])[..., 0], -1, 0)
    result = np.abs(tau) ** 2
    return float(result) if result.ndim == 0 else result
