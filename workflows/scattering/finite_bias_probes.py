"""Büttiker probes at finite bias: elastic dephasing, voltage and voltage–temperature probes.

Every lead l contributes the particle current per unit energy
i_l(E) = Σ_j G_lj(E) f_j(E) (G the conductance matrix at E in e²/h, rows and
columns over all leads, so that the current is (e/h) ∫ i_l dE).  The real
terminals are reservoirs at (μ_r, k_B T_r); a probe p floats:

``"dephasing"`` (elastic)
    i_p(E) = 0 at every energy: the probe's distribution is not a Fermi
    function but f_P(E) = −G_PP⁻¹ G_Pt f_t(E), between two terminals the
    double step f_p = h_p f_L + (1 − h_p) f_R with h_p(E) the probe's
    linear-response voltage fraction (Nagaev, Phys. Lett. A 169, 103 (1992);
    measured by Pothier, Guéron, Birge, Esteve and Devoret, PRL 79, 3490 (1997)).
``"voltage"`` (inelastic, charge-conserving)
    f_p is a Fermi function at the terminals' mean temperature whose μ_p
    makes ∫ i_p dE = 0 (a non-linear solve, Newton with the exact Jacobian).
``"hot"`` (voltage–temperature probes: charge and energy conserving)
    f_p is a Fermi function at (μ_p, T_p) with ∫ i_p dE = ∫ E i_p dE = 0.  With
    an energy-independent G this gives exactly μ_p = Σ_r h_pr μ_r and the
    Wiedemann–Franz profile T_p² = T_0² + (3/π²)(eV)² h_p(1 − h_p) (Sommerfeld:
    ∫ E (f_a − f_b) dE = (μ_a² − μ_b²)/2 + π²(T_a² − T_b²)/6 holds exactly;
    Nagaev, PRB 52, 4740 (1995); Kozub and Rudin, PRB 52, 7853 (1995)).

Energies: G(E) is smooth on the scale of the bias window; it is sampled at
nested Chebyshev–Lobatto points of the energy range (doubled until the
interpolant changes by less than ``tol``) and interpolated onto a composite
Gauss–Legendre grid fine on the scale of the smallest k_B T, on which the
Fermi functions are integrated (6 nodes per 2 k_B T: error ~1e-10 relative).
A band edge of a lead inside the range (G not smooth) makes the sampling
fail to converge: an error, not a silent inaccuracy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np

from systems.probes import dephasing_probe_leads
from systems.validation import choice, real
from workflows.scattering.diagonal_greens import serial_blas
from workflows.scattering.open_system import OpenSystem
from workflows.scattering.window_quadrature import TAIL_WIDTH

__all__ = ["PROBE_MODELS", "FiniteBiasProbes", "finite_bias_probes"]

PROBE_MODELS = ("dephasing", "voltage", "hot")
#: Largest number of Chebyshev samples of G(E).
MAX_SAMPLES = 257
#: Gauss–Legendre nodes per piece of width 2 k_B T_min of the Fermi-function grid.
_NODES = 6


@dataclass(frozen=True)
class FiniteBiasProbes:
    """Result of :func:`finite_bias_probes`.

    Attributes
    ----------
    model
        ``"dephasing"``, ``"voltage"`` or ``"hot"``.
    terminals, probes
        Lead indices of the real terminals and of the floating probes.
    mu, temperature
        Per lead (t): the terminals' given values and the probes' solved
        (μ_p, k_B T_p); NaN for dephasing probes (no Fermi function).
    currents
        Particle current from each lead into the device, (e/h)·t; Σ = 0.
    heat_currents
        Heat current ∫ (E − μ_l) i_l dE from each reservoir, t²/h (zero for
        dephasing and hot probes, which conserve energy).
    entropy_production
        −Σ_l J_l / T_l over the reservoirs with a temperature (k_B t/h), ≥ 0.
    energies, weights
        The quadrature grid (t).
    probe_distribution
        f_p(E) of every probe on ``energies``, shape (n_E, n_p).
    residual
        Largest probe current left: |i_p(E)| at any energy (dephasing), |∫ i_p dE|
        (voltage), also |∫ E i_p dE| (hot).
    samples
        Number of energies at which G was computed.
    """

    model: str
    terminals: np.ndarray
    probes: np.ndarray
    mu: np.ndarray
    temperature: np.ndarray
    currents: np.ndarray
    heat_currents: np.ndarray
    entropy_production: float
    energies: np.ndarray
    weights: np.ndarray
    probe_distribution: np.ndarray
    residual: float
    samples: int


def _fermi(energies, mu, temperature):
    return 0.5 * (1.0 - np.tanh((energies - mu) / (2.0 * temperature)))


def _lobatto(n: int, low: float, high: float) -> np.ndarray:
    return 0.5 * (low + high) + 0.5 * (high - low) * np.cos(np.pi * np.arange(n + 1) / n)


def _barycentric(nodes: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Interpolate ``values`` (n+1, ...) at Chebyshev–Lobatto ``nodes`` onto ``x``."""
    n = nodes.size - 1
    w = (-1.0) ** np.arange(n + 1)
    w[0] *= 0.5
    w[-1] *= 0.5
    diff = x[:, None] - nodes[None, :]
    exact = np.isclose(diff, 0.0, atol=1e-300, rtol=0)
    diff[exact] = 1.0
    kernel = w / diff
    kernel /= kernel.sum(axis=1, keepdims=True)
    hit_rows, hit_cols = np.nonzero(exact)
    kernel[hit_rows] = 0.0
    kernel[hit_rows, hit_cols] = 1.0
    return np.tensordot(kernel, values, axes=(1, 0))


def _sample_conductances(open_system: OpenSystem, low: float, high: float, tol: float):
    """G(E) on nested Chebyshev–Lobatto points until the interpolant is converged."""
    cache: dict[float, np.ndarray] = {}

    def values(nodes):
        for e in nodes:
            if float(e) not in cache:
                cache[float(e)] = open_system.conductance_matrix(float(e))
        return np.stack([cache[float(e)] for e in nodes])

    n = 8
    nodes = _lobatto(n, low, high)
    current = values(nodes)
    while True:
        finer = _lobatto(2 * n, low, high)
        finer_values = values(finer)
        change = np.max(np.abs(_barycentric(nodes, current, finer[1::2]) - finer_values[1::2]))
        n, nodes, current = 2 * n, finer, finer_values
        if change <= tol:
            return nodes, current, len(cache)
        if 2 * n + 1 > MAX_SAMPLES:
            raise ValueError(
                f"the conductance matrix is not smooth on [{low:.6g}, {high:.6g}] (Chebyshev "
                f"interpolation did not reach tol={tol} with {MAX_SAMPLES} energies): a band "
                "edge of a lead lies in the bias window; move the window or lower tol"
            )


def _quadrature(low: float, high: float, width: float) -> tuple[np.ndarray, np.ndarray]:
    pieces = max(1, int(np.ceil((high - low) / width)))
    edges = np.linspace(low, high, pieces + 1)
    x, w = np.polynomial.legendre.leggauss(_NODES)
    half = 0.5 * np.diff(edges)
    energies = (edges[:-1, None] + half[:, None] * (x[None, :] + 1)).ravel()
    weights = (half[:, None] * w[None, :]).ravel()
    return energies, weights


def _solve_fermi_probes(g, energies, weights, f_terminals, terminals, probes, start, hot):
    """Newton for μ_p (and T_p) with zero particle (and energy) current into every probe."""
    n_p = probes.size
    mu, temp = start[0].copy(), start[1].copy()
    g_pt = g[:, probes][:, :, terminals]  # (n_E, n_p, n_t)
    g_pp = g[:, probes][:, :, probes]
    driven = np.einsum("epq,eq->ep", g_pt, f_terminals)  # Σ_r G_pr f_r
    moments = (np.ones_like(energies), energies) if hot else (np.ones_like(energies),)
    for _ in range(60):
        f = _fermi(energies[:, None], mu, temp)
        i_p = driven + np.einsum("epq,eq->ep", g_pp, f)
        residual = np.concatenate([(weights * m) @ i_p for m in moments])
        dfdmu = f * (1 - f) / temp
        jac_blocks = []
        for m in moments:
            row = [np.einsum("e,epq,eq->pq", weights * m, g_pp, dfdmu)]
            if hot:
                dfdt = dfdmu * (energies[:, None] - mu) / temp
                row.append(np.einsum("e,epq,eq->pq", weights * m, g_pp, dfdt))
            jac_blocks.append(row)
        jacobian = np.block(jac_blocks)
        step = np.linalg.solve(jacobian, -residual)
        mu = mu + step[:n_p]
        if hot:
            temp = np.maximum(temp + step[n_p:], 0.2 * temp)
        if np.max(np.abs(step)) < 1e-14 * max(1.0, np.max(np.abs(mu))):
            break
    f = _fermi(energies[:, None], mu, temp)
    i_p = driven + np.einsum("epq,eq->ep", g_pp, f)
    residual = max(float(np.max(np.abs((weights * m) @ i_p), initial=0.0)) for m in moments)
    return mu, temp, f, residual


@serial_blas
def finite_bias_probes(
    fsyst: kwant.system.FiniteSystem,
    *,
    mu: Sequence[float],
    temperature: float | Sequence[float],
    params: Mapping[str, Any] | None = None,
    probes: Iterable[int] | None = None,
    model: str = "dephasing",
    tol: float = 1e-9,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> FiniteBiasProbes:
    """Currents and probe distributions at finite bias with floating probes (see module docs).

    Parameters
    ----------
    fsyst
        A finalized Kwant system with probes (e.g. :func:`systems.attach_dephasing_probes`).
    mu
        Chemical potentials of the real terminals (t), in increasing lead order.
    temperature
        k_B T of the real terminals (t), > 0: one number or one per terminal.
    params
        Kwant parameters (e.g. ``{"eta": 0.1}``).
    probes
        Lead indices of the floating probes (default: every dephasing probe,
        :func:`systems.dephasing_probe_leads`).
    model
        ``"dephasing"``, ``"voltage"`` or ``"hot"``.
    tol
        Largest change of G (e²/h) between successive Chebyshev interpolants.
    start
        (μ_P, T_P) to start the Newton solve of voltage or hot probes from
        (e.g. the previous bias of an I–V curve); default: linear response
        at the terminals' mean μ.

    Returns
    -------
    FiniteBiasProbes
    """
    model = choice("model", model, PROBE_MODELS)
    tol = real("tol", tol, minimum=0, strict=True, hint="e²/h")
    n_leads = len(fsyst.leads)
    probes = np.asarray(
        sorted(dephasing_probe_leads(fsyst) if probes is None else list(probes)), dtype=int
    )
    if probes.size and (probes.min() < 0 or probes.max() >= n_leads):
        raise ValueError(f"probes must be lead indices in [0, {n_leads}), got {probes.tolist()}")
    terminals = np.setdiff1d(np.arange(n_leads), probes)
    mus = np.atleast_1d(np.asarray(mu, dtype=float))
    if mus.shape != (terminals.size,) or not np.all(np.isfinite(mus)):
        raise ValueError(
            f"mu must give one finite chemical potential per real terminal "
            f"({terminals.size}: leads {terminals.tolist()}), got {mu!r}"
        )
    if np.ndim(temperature) == 0:
        temps = np.full(terminals.size, real("temperature", temperature, minimum=0, strict=True))
    else:
        temps = np.asarray(temperature, dtype=float)
        if temps.shape != (terminals.size,) or not np.all(temps > 0):
            raise ValueError(
                f"temperature must be > 0, one number or one per real terminal, got {temperature!r}"
            )
    open_system = OpenSystem(fsyst, params=params)
    spread = float(np.ptp(mus))
    t_max = float(temps.max())
    if model == "hot" and probes.size:  # the hottest probe: h(1 − h) ≤ 1/4
        t_max = float(np.sqrt(t_max**2 + 3 / (4 * np.pi**2) * spread**2))
    low = float(mus.min() - TAIL_WIDTH * t_max)
    high = float(mus.max() + TAIL_WIDTH * t_max)
    nodes, samples, n_samples = _sample_conductances(open_system, low, high, tol)
    energies, weights = _quadrature(low, high, 2 * temps.min())
    g = _barycentric(nodes, samples, energies)  # (n_E, M, M)
    f_terminals = _fermi(energies[:, None], mus, temps)
    g_pp = g[:, probes][:, :, probes]
    g_pt = g[:, probes][:, :, terminals]
    probe_mu = np.full(probes.size, np.nan)
    probe_t = np.full(probes.size, np.nan)
    if probes.size == 0:  # no probe: the Landauer currents
        f_probes, residual = np.zeros((energies.size, 0)), 0.0
    elif model == "dephasing":
        f_probes = -np.linalg.solve(g_pp, np.einsum("epq,eq->ep", g_pt, f_terminals)[..., None])[
            ..., 0
        ]
        leak = np.einsum("epq,eq->ep", g_pp, f_probes) + np.einsum("epq,eq->ep", g_pt, f_terminals)
        residual = float(np.max(np.abs(leak), initial=0.0))
    else:
        if start is None:
            centre = int(np.argmin(np.abs(nodes - mus.mean())))
            g0 = samples[centre]
            h = -np.linalg.solve(g0[np.ix_(probes, probes)], g0[np.ix_(probes, terminals)])
            start = (h @ mus, np.full(probes.size, temps.mean()))
        start = (np.asarray(start[0], dtype=float), np.asarray(start[1], dtype=float))
        probe_mu, probe_t, f_probes, residual = _solve_fermi_probes(
            g, energies, weights, f_terminals, terminals, probes, start, hot=model == "hot"
        )
    occupations = np.empty((energies.size, n_leads))
    occupations[:, terminals] = f_terminals
    occupations[:, probes] = f_probes
    per_energy = np.einsum("eij,ej->ei", g, occupations)
    currents = weights @ per_energy
    all_mu = np.empty(n_leads)
    all_t = np.empty(n_leads)
    all_mu[terminals], all_t[terminals] = mus, temps
    all_mu[probes], all_t[probes] = probe_mu, probe_t
    heat = (weights[:, None] * (energies[:, None] - np.nan_to_num(all_mu)) * per_energy).sum(axis=0)
    if model == "dephasing":
        heat[probes] = 0.0  # elastic probes: zero current at every energy, no heat
    with_t = np.isfinite(all_t)
    entropy = float(-np.sum(heat[with_t] / all_t[with_t]))
    return FiniteBiasProbes(
        model=model,
        terminals=terminals,
        probes=probes,
        mu=all_mu,
        temperature=all_t,
        currents=currents,
        heat_currents=heat,
        entropy_production=entropy,
        energies=energies,
        weights=weights,
        probe_distribution=f_probes,
        residual=residual,
        samples=n_samples,
    )
