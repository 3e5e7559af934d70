"""Multi-terminal charge and heat currents, thermal/voltage probes, entropy production.

Kwant-free: everything is computed from conductance matrices G(E) sampled on
an energy grid (G_ij(E) = N_i(E) δ_ij − T_ij(E), e²/h per spin, rows and
columns summing to zero).

Conventions.  Reservoir i has electrochemical potential μ_i (energy, units of
t; μ_i = −e V_i for electrons of charge −e) and temperature θ_i = k_B T_i
(units of t).  The Landauer–Büttiker currents *leaving reservoir i into the
device* are (Büttiker, IBM J. Res. Dev. 32, 317 (1988); Sivan & Imry, PRB 33,
551 (1986))

    J_i   = Σ_j ∫ G_ij(E) f_j(E) dE          particle current × h   → ``currents`` in e·t/h
    J^E_i = Σ_j ∫ E G_ij(E) f_j(E) dE        energy current         → t²/h
    J^Q_i = J^E_i − μ_i J_i                  heat current           → t²/h

(``currents`` = e J_i/h counts electrons leaving the reservoir times e, as
:func:`analysis.solve_bias` does with I = G V; the electric current of
electrons is its negative.)  Σ_i J_i = Σ_i J^E_i = 0.  Reservoir i loses
entropy at the rate J^Q_i/T_i, so the entropy production rate is

    Ṡ = −Σ_i J^Q_i / θ_i      in k_B·t/h,

zero at equilibrium and positive otherwise (second law for the Landauer
formula: Nenciu, J. Math. Phys. 48, 033302 (2007)); it vanishes out of
equilibrium only if no transmission connects reservoirs with different
distributions.

Floating terminals.  A terminal whose μ is not given floats in charge
(J_i = 0: a voltage probe); one whose θ is not given floats in heat
(J^Q_i = 0); one floating in both is a thermal probe (Engquist & Anderson,
PRB 24, 1151 (1981)).  They are found by a nonlinear root search.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.optimize
from numpy.typing import ArrayLike

from analysis._moved import moved_attribute
from analysis.thermoelectric import landauer_moments
from systems.validation import terminal_setpoints

__all__ = [
    "HeatSolution",
    "entropy_production",
    "landauer_currents",
    "onsager_from_conductances",
    "solve_heat",
]

_GAUSS_POINTS = 12


@dataclass(frozen=True)
class HeatSolution:
    """Potentials, temperatures and currents of every terminal.

    Attributes
    ----------
    potentials
        μ_i (t), given or solved (floating in charge).
    temperatures
        θ_i = k_B T_i (t), given or solved (floating in heat).
    currents
        e J_i / h leaving reservoir i into the device, e·t/h.
    energy_currents, heat_currents
        J^E_i and J^Q_i = J^E_i − μ_i J_i leaving reservoir i, t²/h.
    entropy_production
        Ṡ = −Σ_i J^Q_i/θ_i, k_B·t/h.
    kinds
        Per terminal: "fixed", "charge-floating", "heat-floating" or "thermal-probe".
    """

    potentials: np.ndarray
    temperatures: np.ndarray
    currents: np.ndarray
    energy_currents: np.ndarray
    heat_currents: np.ndarray
    entropy_production: float
    kinds: tuple[str, ...]


def _gauss_nodes(energies: np.ndarray):
    nodes, weights = np.polynomial.legendre.leggauss(_GAUSS_POINTS)
    a, b = energies[:-1, None], energies[1:, None]
    x = a + 0.5 * (b - a) * (nodes + 1)
    return x, 0.5 * (b - a) * weights, 0.5 * (nodes + 1)


def _check_grid(energies, matrices) -> tuple[np.ndarray, np.ndarray]:
    e = np.asarray(energies, dtype=float)
    g = np.asarray(matrices, dtype=float)
    if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) < 0):
        raise ValueError("energies must be a sorted 1D array of at least 2 energies")
    if g.ndim != 3 or g.shape[0] != e.size or g.shape[1] != g.shape[2]:
        raise ValueError(
            f"matrices must have shape (len(energies), M, M), got {g.shape} for {e.size} energies"
        )
    return e, g


def landauer_currents(
    energies: ArrayLike,
    matrices: ArrayLike,
    potentials: ArrayLike,
    temperatures: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Particle and energy currents (J_i, J^E_i) leaving each reservoir, nonlinear Landauer.

    G(E) is the piecewise-linear interpolant of the samples; each interval is
    integrated against the reservoirs' Fermi functions by Gauss–Legendre
    quadrature.  Only differences f_j − f_0 enter (rows of G sum to zero), so
    the grid must cover every reservoir's window μ_j ± ~25 θ_j.

    Parameters
    ----------
    energies
        Sorted energies (t).
    matrices
        Conductance matrices G(E_k), shape (n, M, M), e²/h.
    potentials, temperatures
        μ_j and θ_j (t) of the M reservoirs, θ_j > 0.

    Returns
    -------
    currents, energy_currents
        e·t/h and t²/h (see the module docstring), shape (M,).
    """
    e, g = _check_grid(energies, matrices)
    mu = np.asarray(potentials, dtype=float)
    theta = np.asarray(temperatures, dtype=float)
    m = g.shape[1]
    if mu.shape != (m,) or theta.shape != (m,) or np.any(theta <= 0):
        raise ValueError(
            f"potentials and temperatures need one value per terminal ({m}), temperatures > 0"
        )
    x, w, s = _gauss_nodes(e)
    # Occupation differences f_j − f_0 at every node: (intervals, nodes, M).
    occupation = 0.5 * (1 - np.tanh((x[..., None] - mu) / (2 * theta)))  # f_j(E)
    occupation = occupation - occupation[..., :1]
    # G is linear on each interval: fold the quadrature weights and the two ends'
    # shares (1 − s, s) into the occupations, then one contraction with G at the ends.
    results = []
    for weight in (w, w * x):  # particle current, energy current
        left = np.einsum("kp,p,kpj->kj", weight, 1 - s, occupation)
        right = np.einsum("kp,p,kpj->kj", weight, s, occupation)
        results.append(np.einsum("kij,kj->i", g[:-1], left) + np.einsum("kij,kj->i", g[1:], right))
    return results[0], results[1]


def entropy_production(heat_currents: ArrayLike, temperatures: ArrayLike) -> float:
    """Ṡ = −Σ_i J^Q_i/θ_i (k_B·t/h), J^Q_i the heat current leaving reservoir i (t²/h)."""
    return float(-np.sum(np.asarray(heat_currents) / np.asarray(temperatures)))


def solve_heat(
    energies: ArrayLike,
    matrices: ArrayLike,
    potentials: Mapping[int, float],
    temperatures: Mapping[int, float],
    *,
    xtol: float = 1e-12,
) -> HeatSolution:
    """Solve a multi-terminal charge/heat problem with floating terminals (nonlinear).

    Parameters
    ----------
    energies, matrices
        G(E) on a grid covering every window (see :func:`landauer_currents`).
    potentials
        {terminal: μ (t)}; a terminal not named floats in charge (J = 0).
    temperatures
        {terminal: θ = k_B T (t), > 0}; a terminal not named floats in heat (J^Q = 0).
        At least one terminal must have both.
    xtol
        Relative tolerance of the root search (scipy.optimize.root, hybr).

    Returns
    -------
    HeatSolution

    Raises
    ------
    ValueError
        On bad set-points, or if the root search for floating terminals fails.
    """
    e, g = _check_grid(energies, matrices)
    m = g.shape[1]
    mu_set = terminal_setpoints("potentials", potentials, m)
    theta_set = terminal_setpoints("temperatures", temperatures, m)
    if any(t <= 0 for t in theta_set.values()):
        raise ValueError(f"temperatures must be > 0 (k_B T in t), got {theta_set}")
    if not set(mu_set) & set(theta_set):
        raise ValueError("at least one terminal needs both a potential and a temperature")
    free_mu = [i for i in range(m) if i not in mu_set]
    free_theta = [i for i in range(m) if i not in theta_set]
    # Start from the mean of the fixed values.
    mu0 = float(np.mean(list(mu_set.values())))
    theta0 = float(np.mean(list(theta_set.values())))
    scale_mu = max(theta0, float(np.ptp(list(mu_set.values()) or [0.0])))

    def unpack(vector):
        mu = np.array([mu_set.get(i, mu0) for i in range(m)])
        theta = np.array([theta_set.get(i, theta0) for i in range(m)])
        mu[free_mu] = vector[: len(free_mu)]
        theta[free_theta] = vector[len(free_mu) :]
        return mu, theta

    def residual(vector):
        mu, theta = unpack(vector)
        if np.any(theta <= 0):
            return np.full(vector.size, 1e3)
        j, je = landauer_currents(e, g, mu, theta)
        jq = je - mu * j
        return np.concatenate([j[free_mu] / theta0, jq[free_theta] / theta0**2])

    start = np.array([mu0] * len(free_mu) + [theta0] * len(free_theta))
    if start.size:
        result = scipy.optimize.root(residual, start, method="hybr", options={"xtol": xtol})
        if not result.success:
            raise ValueError(f"the floating terminals could not be solved: {result.message}")
        solution = result.x
        if np.max(np.abs(residual(solution))) > 1e-8 * max(1.0, scale_mu / theta0):
            raise ValueError("the floating terminals could not be solved to tolerance")
    else:
        solution = start
    mu, theta = unpack(solution)
    j, je = landauer_currents(e, g, mu, theta)
    jq = je - mu * j
    kinds = []
    for i in range(m):
        float_mu, float_theta = i in free_mu, i in free_theta
        kinds.append(
            "thermal-probe"
            if float_mu and float_theta
            else "charge-floating"
            if float_mu
            else "heat-floating"
            if float_theta
            else "fixed"
        )
    return HeatSolution(
        potentials=mu,
        temperatures=theta,
        currents=j,
        energy_currents=je,
        heat_currents=jq,
        entropy_production=entropy_production(jq, theta),
        kinds=tuple(kinds),
    )


def onsager_from_conductances(
    energies: ArrayLike, matrices: ArrayLike, mu: float, temperature: float
) -> np.ndarray:
    """Linear-response matrix 𝓛 (2M × 2M) of charge and heat currents about (μ, θ).

    (J, J^Q) = 𝓛 (δμ, δθ/θ) with 𝓛 = [[L⁰, L¹], [L¹, L²]],
    Lⁿ_ij = ∫ G_ij(E) (E − μ)ⁿ (−∂f/∂E) dE.  Onsager–Casimir reciprocity
    𝓛(B) = 𝓛(−B)ᵀ follows from T_ij(E, B) = T_ji(E, −B) (Büttiker, PRL 57,
    1761 (1986); Jacquod, Whitney, Meair & Büttiker, PRB 86, 155118 (2012)).
    The entropy production to second order is Xᵀ𝓛X/θ ≥ 0 with X = (δμ, δθ/θ).
    """
    e, g = _check_grid(energies, matrices)
    m = g.shape[1]
    moments = landauer_moments(e, g, mu, temperature)  # the Sommerfeld limit below its floor
    big = np.empty((2 * m, 2 * m))
    big[:m, :m], big[:m, m:], big[m:, :m], big[m:, m:] = (
        moments[0],
        moments[1],
        moments[1],
        moments[2],
    )
    return big


def __getattr__(name: str):
    return moved_attribute(__name__, name)
