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
S is real symmetric.  Floating probes (dephasing, charge-only voltage and
hot-electron probes that float in charge and energy) are eliminated by
:func:`probe_noise_matrix`; :func:`fermi_pair_windows` generalizes the window
to Fermi seas at different temperatures.
"""

from __future__ import annotations

import numpy as np
import scipy.special
from numpy.typing import ArrayLike

from analysis._moved import moved_attribute
from systems.validation import choice, integer, real, real_array

from .bias import ZERO_CONDUCTANCE

__all__ = [
    "chaotic_cavity_fano",
    "crossover_noise",
    "fano_from_transmissions",
    "fermi_pair_windows",
    "hot_probe_state",
    "noise_from_scattering_matrix",
    "pair_window",
    "probe_noise_matrix",
]


def pair_window(mu_a, mu_b, temperature: float) -> float | np.ndarray:
    """∫ dE {f_a(1 − f_b) + f_b(1 − f_a)} = Δμ coth(Δμ / 2k_B T), Δμ = μ_a − μ_b.

    Equal to 2 k_B T at Δμ = 0 and to |Δμ| at T = 0 (units of μ).
    """
    delta = np.asarray(real_array("mu_a", mu_a)) - np.asarray(real_array("mu_b", mu_b))
    temperature = _check_temperature(temperature)
    if temperature == 0:
        return np.abs(delta)
    x = delta / (2 * temperature)
    small = np.abs(x) < 1e-8
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(small, 2 * temperature, delta / np.tanh(np.where(small, 1.0, x)))
    return value


def _check_temperature(temperature) -> float:
    return real("temperature", temperature, minimum=0, hint="k_B T")


def noise_from_scattering_matrix(
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
    n = s.shape[0]
    # B_α = s† P_α s: (s† P_α s)_{cd} = Σ_{a∈α} conj(s_ac) s_ad, an (n, n) matrix per α.
    # A(α)_{cd} over all channels = δ_cd [c∈α][d∈α] − B_α; its (γ, δ) block is A_γδ(α).
    a = np.empty((n_terminals, n, n), dtype=complex)
    for alpha in range(n_terminals):
        rows = s[masks[alpha]]
        a[alpha] = -(rows.conj().T @ rows)
        idx = np.flatnonzero(masks[alpha])
        a[alpha, idx, idx] += 1.0
    # S_αβ = Σ_γδ w_γδ Tr[A_γδ(α) A_δγ(β)] = Σ_{c,d} w_{t(c)t(d)} A(α)_{cd} A(β)_{dc}:
    # one matrix product over the flattened channel pairs (c, d).
    weight = window[np.ix_(labels, labels)]  # (n, n) over channels (c, d)
    left = (a * weight[None]).reshape(n_terminals, n * n)
    right = a.transpose(0, 2, 1).reshape(n_terminals, n * n)
    noise = np.real(left @ right.T)
    return 0.5 * (noise + noise.T)


def fano_from_transmissions(transmissions: ArrayLike) -> float:
    """Fano factor F = Σ T_n(1 − T_n) / Σ T_n of two-terminal transmission eigenvalues.

    The ratio of the zero-temperature shot noise to the Poisson value 2eI
    (Blanter & Büttiker, Phys. Rep. 336, 1 (2000), Sec. 2.6).  NaN if Σ T_n = 0.
    """
    t = np.asarray(real_array("transmissions", transmissions))
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
    t = np.asarray(real_array("transmissions", transmissions))
    bias = real("bias", bias, hint="eV in the energy unit")
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
    n = float(integer("n_channels", n_channels, minimum=1, hint="channels per lead"))
    beta = choice("beta", beta, (1, 2), hint="Dyson index: 1 with, 2 without time reversal")
    if beta == 1:
        return (n + 1) ** 2 / (2 * n * (2 * n + 3))
    return n**2 / (4 * n**2 - 1)


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


def fermi_pair_windows(potentials: ArrayLike, temperatures: ArrayLike) -> np.ndarray:
    """W_γδ = ∫ dE {f_γ(1 − f_δ) + f_δ(1 − f_γ)} for Fermi seas at their own μ_γ and k_BT_γ.

    Closed forms where they exist: Δμ coth(Δμ/2k_BT) for equal temperatures
    (:func:`pair_window`); k_BT_γ [ln(1 + eˣ) + ln(1 + e⁻ˣ)], x = (μ_γ − μ_δ)/k_BT_γ,
    when T_δ = 0 (∫_{μ_δ}^∞ f_γ dE + ∫_{−∞}^{μ_δ} (1 − f_γ) dE).  Pairs of two
    different non-zero temperatures are integrated numerically
    (:func:`scipy.integrate.quad_vec`, all such pairs at once, absolute error
    ≤ 1e-12 × the energy scale).

    Parameters
    ----------
    potentials
        μ_γ of each distribution (energy unit u), length M.
    temperatures
        k_BT_γ ≥ 0 of each (unit u), length M.

    Returns
    -------
    numpy.ndarray
        Symmetric (M, M) array in the unit u; W_γγ = 2 k_BT_γ.
    """
    mu = np.asarray(real_array("potentials", potentials))
    temp = np.asarray(real_array("temperatures", temperatures, minimum=0, hint="k_B T"))
    if mu.ndim != 1 or temp.shape != mu.shape:
        raise ValueError(
            f"potentials and temperatures must be 1D arrays of equal length, got shapes "
            f"{mu.shape} and {temp.shape}"
        )
    if not (np.all(np.isfinite(temp)) and np.all(temp >= 0)):
        raise ValueError(f"temperatures must be finite and >= 0 (k_B T), got {temperatures!r}")
    delta = mu[:, None] - mu[None, :]
    t_a, t_b = np.broadcast_arrays(temp[:, None], temp[None, :])
    equal = t_a == t_b
    hottest = np.maximum(t_a, t_b)
    one_cold = ~equal & (np.minimum(t_a, t_b) == 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # Equal temperatures: Δμ coth(Δμ/2k_BT) (|Δμ| at T = 0, 2k_BT at Δμ = 0).
        x = delta / (2 * np.where(equal & (t_a > 0), t_a, 1.0))
        small = np.abs(x) < 1e-8
        same = np.where(small, 2 * t_a, delta / np.tanh(np.where(small, 1.0, x)))
        same = np.where(t_a == 0, np.abs(delta), same)
        # One sea at T = 0: k_BT [ln(1 + eˣ) + ln(1 + e⁻ˣ)], x = Δμ/k_BT of the other.
        y = delta / np.where(one_cold, hottest, 1.0)
        cold = hottest * (np.logaddexp(0.0, y) + np.logaddexp(0.0, -y))
    window = np.where(equal, same, cold)
    pending = ~equal & ~one_cold
    if np.any(pending):
        products = _fermi_product_integrals(mu, temp)
        window = np.where(pending, products + products.T, window)
    return window


#: Gauss–Legendre nodes per panel of :func:`_fermi_product_integrals`.
_GAUSS_NODES = np.polynomial.legendre.leggauss(10)


def _fermi_product_integrals(mu: np.ndarray, temp: np.ndarray) -> np.ndarray:
    """K_γδ = ∫ f_γ (1 − f_δ) dE by panels of Gauss–Legendre quadrature (10 nodes each).

    Panel edges: every μ_γ, and μ_γ + 2k·k_BT_γ for |k| ≤ 20 where T_γ > 0, so
    that on each panel every Fermi function is either resolved (panel width ≤
    2 k_BT_γ: the poles of f_γ lie π k_BT_γ off the real axis, a Bernstein
    ellipse ρ ≈ 6.4 and a relative error ρ⁻²⁰ ≈ 1e-16) or a step function
    whose discontinuity is on a panel edge, or flat to e⁻⁴⁰.  Outside all the
    edges the integrand vanishes to the same accuracy.
    """
    edges = [mu]
    hot = temp > 0
    steps = 2.0 * np.arange(-20, 21)
    edges.append((mu[hot, None] + temp[hot, None] * steps[None, :]).ravel())
    edges = np.unique(np.concatenate(edges))
    nodes, weights = _GAUSS_NODES
    safe = np.where(hot, temp, 1.0)[:, None]
    result = np.zeros((mu.size, mu.size))
    per_chunk = max(1, 200_000 // (mu.size * nodes.size))  # panels per chunk: bounded memory
    for chunk in np.array_split(np.arange(edges.size - 1), max(1, (edges.size - 1) // per_chunk)):
        left, right = edges[chunk], edges[chunk + 1]
        half = 0.5 * (right - left)
        energies = ((left + right)[:, None] / 2 + half[:, None] * nodes[None, :]).ravel()
        w = (half[:, None] * weights[None, :]).ravel()
        f = np.where(
            hot[:, None],
            scipy.special.expit(-(energies[None, :] - mu[:, None]) / safe),
            (energies[None, :] < mu[:, None]).astype(float),
        )
        result += (f * w) @ (1.0 - f).T
    return result


def hot_probe_state(
    conductance: ArrayLike, probes: ArrayLike, potentials: ArrayLike, temperature: float
) -> tuple[np.ndarray, np.ndarray]:
    """Potentials μ_p and temperatures T_p of probes floating in charge and in energy.

    Each terminal α holds a Fermi sea (μ_α, k_BT_α); with energy-independent
    scattering the charge and energy currents into α are, per spin channel,
    I_α = (e/h) Σ_β G_αβ μ_β and J_α = (1/h) Σ_β G_αβ u_β with
    u_β = μ_β²/2 + π²(k_BT_β)²/6 (= ∫ E [f_β(E) − θ(−E)] dE; the reference of E
    drops out because the rows of G sum to zero).  Both vanish at the probes P:
    μ_P = C μ_A and u_P = C u_A with C = −G_PP⁻¹ G_PA, so

        (k_BT_p)² = (6/π²) [Σ_a C_pa u_a − μ_p²/2] ≥ (k_BT)²

    (C ≥ 0 with rows summing to one, and x ↦ x² is convex), the Joule heat
    shared by Wiedemann–Franz conduction (Lorenz number π²/3) between the probes.

    Parameters
    ----------
    conductance
        (M, M) conductance matrix G (e²/h), rows and columns summing to zero.
    probes
        Indices of the probes (floating in charge and energy).
    potentials
        μ of every terminal (length M, unit u); the probes' entries are ignored.
    temperature
        k_BT (unit u) of every terminal that is not a probe.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        μ and k_BT of all M terminals (the fixed ones unchanged), unit u.
    """
    g = np.asarray(conductance, dtype=float)
    mu = np.array(potentials, dtype=float)
    m = mu.size
    probes = sorted({int(p) for p in np.atleast_1d(probes)})
    fixed = [i for i in range(m) if i not in probes]
    temp = np.full(m, float(temperature))
    probes = _coupled_probes(g, probes)
    if not probes:
        return mu, temp
    c = -np.linalg.solve(g[np.ix_(probes, probes)], g[np.ix_(probes, fixed)])
    u_fixed = mu[fixed] ** 2 / 2 + np.pi**2 * temperature**2 / 6
    mu[probes] = c @ mu[fixed]
    heat = c @ u_fixed - mu[probes] ** 2 / 2
    temp[probes] = np.sqrt(np.clip(6 * heat / np.pi**2, temperature**2, None))
    return mu, temp


def _coupled_probes(g: np.ndarray, probes: list[int]) -> list[int]:
    """The probes whose row or column of G is not zero (a decoupled probe, e.g. η = 0,
    carries no current and no noise: it is left out of the elimination)."""
    nonzero = np.abs(g) > ZERO_CONDUCTANCE * max(1.0, float(np.abs(g).max(initial=0.0)))
    return [p for p in probes if nonzero[p].any() or nonzero[:, p].any()]


def probe_noise_matrix(
    smatrix: ArrayLike,
    channel_terminals: ArrayLike,
    probes: ArrayLike,
    potentials: ArrayLike,
    temperature: float,
    *,
    probe_model: str = "dephasing",
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

    Models (``probe_model``):

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

    * ``"hot"`` — the probe conserves total charge *and* total energy
      (electron heating: inelastic electron–electron scattering thermalizes
      the electrons in the probe among themselves, with no energy lost to a
      bath): a Fermi sea at its own μ_p = Σ_a C_pa μ_a and temperature T_p
      fixed by energy balance (:func:`hot_probe_state`; the distributions of
      the probes depend non-linearly on the bias, T_p ∝ |eV| at T = 0).  Both
      μ_p and T_p fluctuate so that the charge and the energy current
      fluctuations into the probe vanish.  With energy-independent scattering
      the charge currents do not depend on T_p (no thermoelectric response),
      so the temperature fluctuation only cancels the energy-current noise
      and the charge noise at the fixed terminals is M S_bare Mᵀ with the hot
      Fermi seas in S_bare.  N identical tunnel junctions at T = 0: node
      temperatures k_BT_k = (|eV|/π)√(3 (k/N)(1 − k/N)) and
      F = (1/N|eV|) Σ_k W(k, k+1) → √3/4 (W as in :func:`fermi_pair_windows`);
      N = 2: F = 1/2 + (√3/π) ln(1 + e^{−π/√3}) ≈ 0.583.  The diffusive
      limit √3/4 with strong electron–electron scattering is Nagaev, Phys.
      Rev. B 52, 4740 (1995) and Kozub & Rudin, Phys. Rev. B 52, 7853 (1995)
      (S = 4 G ⟨k_BT_e(x)⟩ with the Wiedemann–Franz profile of T_e); for the
      probe (reservoir) formulation see de Jong & Beenakker, Physica A 230,
      219 (1996).

    Scattering is energy independent over the transport window, as in
    :func:`noise_from_scattering_matrix`.

    Parameters
    ----------
    smatrix, channel_terminals
        As in :func:`noise_from_scattering_matrix`, over all M terminals.
    probes
        Indices of the floating terminals.
    potentials
        μ of every terminal (length M); the entries of the probes are ignored.
    temperature
        Common k_BT (bath) of the fixed reservoirs.
    probe_model
        ``"dephasing"``, ``"voltage"`` or ``"hot"``.

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
    choice("probe_model", probe_model, ("dephasing", "voltage", "hot"))
    probes = sorted({int(p) for p in np.atleast_1d(probes)})
    if any(not 0 <= p < m for p in probes) or len(probes) >= m:
        raise ValueError(
            f"probes must be distinct terminal indices in 0..{m - 1} leaving at least one "
            f"fixed terminal, got {probes}"
        )
    temperature = _check_temperature(temperature)
    fixed = [i for i in range(m) if i not in probes]
    g = _conductance_from_smatrix(s, labels, m)
    coupled = _coupled_probes(g, probes)  # decoupled probes keep zero rows below
    g_pp = g[np.ix_(coupled, coupled)]
    c = np.zeros((m, len(fixed)))
    c[fixed, np.arange(len(fixed))] = 1.0
    if coupled:
        c[coupled] = -np.linalg.solve(g_pp, g[np.ix_(coupled, fixed)])
    mu_fixed = mu[fixed]
    if probe_model == "dephasing":
        k = c @ _occupation_integrals(mu_fixed, temperature) @ c.T
        window = k + k.T
    elif probe_model == "voltage":
        mu_all = c @ mu_fixed
        window = pair_window(mu_all[:, None], mu_all[None, :], temperature)
    else:
        window = fermi_pair_windows(*hot_probe_state(g, probes, mu, temperature))
    bare = _noise_from_windows(s, labels, window)
    elimination = np.zeros((len(fixed), m))
    elimination[np.arange(len(fixed)), fixed] = 1.0
    if coupled:
        elimination[:, coupled] = -np.linalg.solve(g_pp.T, g[np.ix_(fixed, coupled)].T).T
    result = elimination @ bare @ elimination.T
    return 0.5 * (result + result.T)


def __getattr__(name: str):
    return moved_attribute(__name__, name)
