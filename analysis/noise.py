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
(Blanter & Büttiker, Phys. Rep. 336, 1 (2000), Sec. 2).

Büttiker's formula (M. Büttiker, Phys. Rev. B 46, 12485 (1992); Blanter &
Büttiker, Sec. 2.4), for scattering that does not depend on energy
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
    "probe_noise_matrix",
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
    Büttiker, Phys. Rev. B 46, 12485 (1992), with the energy
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
    return _noise_from_windows(s, labels, window)


def _noise_from_windows(s: np.ndarray, labels: np.ndarray, window: np.ndarray) -> np.ndarray:
    """S_αβ = Σ_γδ W_γδ Tr[A_γδ(α) A_δγ(β)], W_γδ = ∫ {f_γ(1 − f_δ) + f_δ(1 − f_γ)} dE."""
    n_terminals = window.shape[0]
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
    (Blanter & Büttiker, Phys. Rep. 336, 1 (2000), Sec. 2.6).  NaN if Σ T_n = 0.
    """
    t = np.asarray(transmissions, dtype=float)
    total = t.sum()
    if total <= 0:
        return float("nan")
    return float(np.sum(t * (1 - t)) / total)


def crossover_noise(transmissions: ArrayLike, bias: float, temperature: float) -> float:
    """Two-terminal noise S (e²/h · u) from thermal to shot noise, energy-independent T_n.

    S = (e²/h) [4 k_B T Σ T_n² + 2 eV coth(eV/2k_BT) Σ T_n(1 − T_n)]
    (Blanter & Büttiker, Phys. Rep. 336, 1 (2000), Sec. 2.6); ``bias`` = eV and
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


def _conductance_from_smatrix(s: np.ndarray, labels: np.ndarray, m: int) -> np.ndarray:
    """G_αβ = N_α δ_αβ − Σ_{a∈α, b∈β} |s_ab|² (e²/h), the conductance matrix of s."""
    masks = (labels[None, :] == np.arange(m)[:, None]).astype(float)
    transmission = masks @ np.abs(s) ** 2 @ masks.T
    return np.diag(masks.sum(axis=1)) - transmission


def _occupation_integrals(mu: np.ndarray, temperature: float) -> np.ndarray:
    """K_ab = ∫ f_a (1 − f_b) dE for Fermi seas at μ_a, μ_b and common k_BT.

    K_ab = Δ / (1 − e^{−Δ/k_BT}), Δ = μ_a − μ_b (k_BT at Δ = 0, max(Δ, 0) at T = 0),
    so that K_ab + K_ba = Δ coth(Δ/2k_BT).
    """
    delta = mu[:, None] - mu[None, :]
    if temperature == 0:
        return np.maximum(delta, 0.0)
    x = delta / temperature
    small = np.abs(x) < 1e-8
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        value = np.where(small, temperature, delta / -np.expm1(-np.where(small, 1.0, x)))
    return np.where(x < -700, 0.0, value)


def probe_noise_matrix(
    smatrix: ArrayLike,
    channel_terminals: ArrayLike,
    probes: ArrayLike,
    potentials: ArrayLike,
    temperature: float,
    *,
    model: str = "dephasing",
) -> np.ndarray:
    """Noise between the fixed terminals when the ``probes`` float (zero-frequency, Büttiker).

    The probes draw no net current; their distributions follow the fixed
    reservoirs and *fluctuate* so that the current fluctuations into them
    vanish.  With G the conductance matrix of s, A the fixed terminals and P the
    probes, the probe occupations are f_P = C f_A with C = −G_PP⁻¹ G_PA (rows
    sum to 1), and the fluctuations are eliminated by
    ΔI_A = δI_A − G_AP G_PP⁻¹ δI_P, so that S = M S_bare Mᵀ,
    M = [1, −G_AP G_PP⁻¹], S_bare the Büttiker noise with the probes' mean
    distributions (Büttiker, PRB 46, 12485 (1992); Blanter & Büttiker, Phys.
    Rep. 336, 1 (2000), Sec. 2.7).

    Models (``model``):

    * ``"dephasing"`` — the probe conserves current at every energy (elastic,
      phase-breaking; Texier & Büttiker, PRB 62, 7454 (2000)): its mean
      distribution is the non-equilibrium f_p(E) = Σ_a C_pa f_a(E) (a
      multi-step at T = 0), its fluctuation δf_p(E) at each energy.  Series of
      N identical tunnel junctions: F = (1/3)(1 + 2/N²) → 1/3 (de Jong &
      Beenakker, PRB 51, 16867 (1995)).
    * ``"voltage"`` — the probe conserves only total charge and thermalizes
      at the bath temperature (inelastic, energy relaxed to the bath): a
      Fermi sea at μ_p = Σ_a C_pa μ_a whose potential fluctuates.  N identical
      junctions: F = 1/N → 0 (each junction sees only its own voltage drop).

    Probes that float in energy as well (hot electrons, F → √3/4 in a
    diffusive wire) are not implemented.  Scattering is energy independent
    over the transport window, as in :func:`noise_matrix`.

    Parameters
    ----------
    smatrix, channel_terminals
        As in :func:`noise_matrix`, over all M terminals.
    probes
        Indices of the floating terminals.
    potentials
        μ of every terminal (length M); the entries of the probes are ignored.
    temperature
        Common k_BT (bath) of the fixed reservoirs.
    model
        ``"dephasing"`` or ``"voltage"``.

    Returns
    -------
    numpy.ndarray
        (|A|, |A|) noise matrix over the fixed terminals in increasing order,
        (e²/h)·u.
    """
    s = np.asarray(smatrix, dtype=complex)
    labels = np.asarray(channel_terminals)
    mu = np.asarray(potentials, dtype=float)
    m = mu.size
    if model not in ("dephasing", "voltage"):
        raise ValueError(f"model must be 'dephasing' or 'voltage', got {model!r}")
    probes = sorted({int(p) for p in np.atleast_1d(probes)})
    if any(not 0 <= p < m for p in probes) or len(probes) >= m:
        raise ValueError(
            f"probes must be distinct terminal indices in 0..{m - 1} leaving at least one "
            f"fixed terminal, got {probes}"
        )
    temperature = _check_temperature(temperature)
    fixed = [i for i in range(m) if i not in probes]
    g = _conductance_from_smatrix(s, labels, m)
    g_pp = g[np.ix_(probes, probes)]
    c = np.zeros((m, len(fixed)))
    c[fixed, np.arange(len(fixed))] = 1.0
    if probes:
        c[probes] = -np.linalg.solve(g_pp, g[np.ix_(probes, fixed)])
    mu_fixed = mu[fixed]
    if model == "dephasing":
        k = c @ _occupation_integrals(mu_fixed, temperature) @ c.T
        window = k + k.T
    else:
        mu_all = c @ mu_fixed
        window = pair_window(mu_all[:, None], mu_all[None, :], temperature)
    bare = _noise_from_windows(s, labels, window)
    elimination = np.zeros((len(fixed), m))
    elimination[np.arange(len(fixed)), fixed] = 1.0
    if probes:
        elimination[:, probes] = -np.linalg.solve(g_pp.T, g[np.ix_(fixed, probes)].T).T
    result = elimination @ bare @ elimination.T
    return 0.5 * (result + result.T)
