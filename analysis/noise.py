"""Current noise from a scattering matrix (Büttiker 1992), Kwant-free.

Conventions.  Terminals α = 0 … M−1; the scattering matrix ``s`` is unitary,
with its channels grouped by terminal (``channel_terminals[c]`` is the terminal
of channel c).  Reservoir α has electrochemical potential μ_α (energy, e.g. in
units of t) and the common temperature k_B T (same unit).  The noise is the
zero-frequency symmetrized correlator of the currents entering the device
from each reservoir,

    S_αβ = ∫ dt ⟨ΔI_α(t) ΔI_β(0) + ΔI_β(0) ΔI_α(t)⟩,

per spin channel, in units of (e²/h)·(energy unit of μ), i.e. e·(e t/h) when
μ is in t: a current in e t/h times a charge e.  With this normalization the
thermal noise is S = 4 k_B T G and the Poisson shot noise S = 2 e I
(Blanter & Büttiker, Phys. Rep. 336, 1 (2000), Eqs. (47)–(62)).

Büttiker's formula (M. Büttiker, Phys. Rev. B 46, 12485 (1992), Eq. (10);
Blanter & Büttiker Eq. (48)), for scattering that does not depend on energy
inside the transport window:

    S_αβ = (e²/h) Σ_γδ Tr[A_γδ(α) A_δγ(β)] ∫ dE {f_γ(1 − f_δ) + f_δ(1 − f_γ)},
    A_γδ(α) = δ_αγ δ_αδ 1 − s_αγ† s_αδ,
    ∫ dE {f_γ(1 − f_δ) + f_δ(1 − f_γ)} = (μ_γ − μ_δ) coth((μ_γ − μ_δ)/2k_B T),

the last integral being 2 k_B T for μ_γ = μ_δ and |μ_γ − μ_δ| at T = 0.
Every row and column of S sums to zero (current conservation) and
S is real symmetric.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "chaotic_cavity_fano",
    "crossover_noise",
    "fano_from_transmissions",
    "noise_matrix",
    "pair_window",
]


def pair_window(mu_a, mu_b, temperature: float):
    """∫ dE {f_a(1 − f_b) + f_b(1 − f_a)} = Δμ coth(Δμ / 2k_B T), Δμ = μ_a − μ_b.

    Equal to 2 k_B T at Δμ = 0 and to |Δμ| at T = 0 (units of μ).
    """
    delta = np.asarray(mu_a, dtype=float) - np.asarray(mu_b, dtype=float)
    if temperature == 0:
        return np.abs(delta)
    x = delta / (2 * temperature)
    small = np.abs(x) < 1e-8
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(small, 2 * temperature, delta / np.tanh(np.where(small, 1.0, x)))
    return value


def _check_temperature(temperature) -> float:
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, numbers.Real)
        or not np.isfinite(temperature)
        or temperature < 0
    ):
        raise ValueError(f"temperature must be a real number >= 0 (k_B T), got {temperature!r}")
    return float(temperature)


def noise_matrix(
    smatrix: ArrayLike,
    channel_terminals: ArrayLike,
    potentials: ArrayLike,
    temperature: float,
) -> np.ndarray:
    """Büttiker's noise matrix S_αβ of a multi-terminal conductor (energy-independent s).

    Parameters
    ----------
    smatrix
        Unitary (n, n) scattering matrix over all channels (s_ab: amplitude
        from channel b into channel a).
    channel_terminals
        Terminal index (0 … M−1) of every channel, length n.  A terminal may
        have no channel (a lead without open modes): its row of S is zero.
    potentials
        Electrochemical potentials μ_α of the M reservoirs, in an energy unit
        u (e.g. t; μ_α = −e V_α for electrons).  Only differences matter.
    temperature
        k_B T of all reservoirs, in the unit u; 0 for the zero-temperature limit.

    Returns
    -------
    numpy.ndarray
        Real symmetric (M, M) array S_αβ in (e²/h)·u (per spin channel),
        rows and columns summing to zero.  See the module docstring for the
        normalization (S = 4 k_B T G at equilibrium, S = 2 e I for Poisson noise).

    Notes
    -----
    Büttiker, Phys. Rev. B 46, 12485 (1992), Eq. (10) with the energy
    integrals done for energy-independent scattering (the window
    Δμ coth(Δμ/2k_BT)); valid when s(E) does not change over the transport
    window max(|μ_γ − μ_δ|, k_B T).
    """
    s = np.asarray(smatrix, dtype=complex)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise ValueError(f"smatrix must be a square matrix, got shape {s.shape}")
    labels = np.asarray(channel_terminals)
    if labels.shape != (s.shape[0],) or (labels.size and labels.min() < 0):
        raise ValueError(
            f"channel_terminals must give a terminal index >= 0 for each of the {s.shape[0]} "
            f"channels, got {channel_terminals!r}"
        )
    mu = np.asarray(potentials, dtype=float)
    n_terminals = mu.size
    if mu.ndim != 1 or (labels.size and labels.max() >= n_terminals):
        raise ValueError(
            f"potentials must be a 1D array with one μ per terminal (at least "
            f"{int(labels.max()) + 1 if labels.size else 1}), got {potentials!r}"
        )
    temperature = _check_temperature(temperature)
    window = pair_window(mu[:, None], mu[None, :], temperature)  # (M, M) over (γ, δ)

    # Projectors onto each terminal's channels: P_α (n × n diagonal, as masks).
    masks = labels[None, :] == np.arange(n_terminals)[:, None]  # (M, n)
    # B_α = s† P_α s: (s† P_α s)_{cd} = Σ_{a∈α} conj(s_ac) s_ad, an (n, n) matrix per α.
    b = np.einsum("ta,ac,ad->tcd", masks.astype(float), s.conj(), s)
    # A(α)_{cd} over all channels = δ_cd [c∈α][d∈α] − B_α; its (γ, δ) block is A_γδ(α).
    a = -b
    for alpha in range(n_terminals):
        idx = np.flatnonzero(masks[alpha])
        a[alpha, idx, idx] += 1.0
    # S_αβ = Σ_γδ w_γδ Tr[A_γδ(α) A_δγ(β)] = Σ_{c,d} w_{t(c)t(d)} A(α)_{cd} A(β)_{dc}.
    weight = window[np.ix_(labels, labels)]  # (n, n) over channels (c, d)
    noise = np.einsum("acd,bdc,cd->ab", a, a, weight)
    noise = np.real(noise)
    return 0.5 * (noise + noise.T)


def fano_from_transmissions(transmissions: ArrayLike) -> float:
    """Fano factor F = Σ T_n(1 − T_n) / Σ T_n of two-terminal transmission eigenvalues.

    The ratio of the zero-temperature shot noise to the Poisson value 2eI
    (Blanter & Büttiker, Phys. Rep. 336, 1 (2000), Eq. (63)).  NaN if Σ T_n = 0.
    """
    t = np.asarray(transmissions, dtype=float)
    total = t.sum()
    if total <= 0:
        return float("nan")
    return float(np.sum(t * (1 - t)) / total)


def crossover_noise(transmissions: ArrayLike, bias: float, temperature: float) -> float:
    """Two-terminal noise S (e²/h · u) from thermal to shot noise, energy-independent T_n.

    S = (e²/h) [4 k_B T Σ T_n² + 2 eV coth(eV/2k_BT) Σ T_n(1 − T_n)]
    (Blanter & Büttiker, Phys. Rep. 336, 1 (2000), Eq. (62)); ``bias`` = eV and
    ``temperature`` = k_B T in the energy unit u.  Tends to 4 k_B T G at
    V = 0 and to 2 e|V| (e²/h) Σ T_n(1 − T_n) = F · 2eI at T = 0.
    """
    t = np.asarray(transmissions, dtype=float)
    temperature = _check_temperature(temperature)
    return float(
        4 * temperature * np.sum(t**2)
        + 2 * pair_window(bias, 0.0, temperature) * np.sum(t * (1 - t))
    )


def chaotic_cavity_fano(n_channels: int, beta: int) -> float:
    """Random-matrix Fano factor ⟨Σ T(1 − T)⟩ / ⟨Σ T⟩ of a chaotic cavity with two N-channel leads.

    Circular ensembles (ideal leads, no tunnel barrier), N₁ = N₂ = N:

    * β = 1 (time-reversal symmetry): ⟨Σ T⟩ = N²/(2N + 1),
      ⟨Σ T(1 − T)⟩ = N²(N + 1)² / (2N(2N + 1)(2N + 3)), so F = (N + 1)² / (2N(2N + 3));
    * β = 2 (broken): ⟨Σ T⟩ = N/2, ⟨Σ T(1 − T)⟩ = N³/(2(4N² − 1)), so F = N² / (4N² − 1).

    Both tend to 1/4 as N → ∞ (Jalabert, Pichard & Beenakker, Europhys. Lett.
    27, 255 (1994)); the finite-N moments are the N₁ = N₂ case of
    ⟨g⟩ = N₁N₂/(N₁ + N₂ − 1 + 2/β) and of Savin & Sommers, Phys. Rev. B 73,
    081307 (2006) / Sommers, Wieczorek & Savin, Acta Phys. Pol. A 112, 691
    (2007), and are checked against sampled circular ensembles in the tests
    (N = 1: β = 1 gives T-density 1/(2√T), F = 2/5; β = 2 uniform T, F = 1/3).
    """
    if isinstance(n_channels, bool) or not isinstance(n_channels, numbers.Integral):
        raise TypeError(f"n_channels must be an int >= 1, got {n_channels!r}")
    if n_channels < 1:
        raise ValueError(f"n_channels must be >= 1, got {n_channels}")
    n = float(n_channels)
    if beta == 1:
        return (n + 1) ** 2 / (2 * n * (2 * n + 3))
    if beta == 2:
        return n**2 / (4 * n**2 - 1)
    raise ValueError(f"beta must be 1 or 2, got {beta!r}")
