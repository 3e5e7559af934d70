"""Kwant-free multi-terminal heat transport on model conductance matrices."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.heat import landauer_currents, onsager_from_conductances, solve_heat

PI2_3 = np.pi**2 / 3


def _two_terminal_grid(transmission, energies):
    t = np.array([transmission(e) for e in energies])
    g = np.zeros((energies.size, 2, 2))
    g[:, 0, 0] = g[:, 1, 1] = t
    g[:, 0, 1] = g[:, 1, 0] = -t
    return g


def test_constant_transmission_currents_are_exact():
    # 𝒯 constant: J = 𝒯 Δμ exactly; energy current 𝒯 (μ_0² − μ_1²)/2 + 𝒯 (π²/6)(θ_0² − θ_1²).
    energies = np.linspace(-2, 2, 401)
    g = _two_terminal_grid(lambda e: 0.7, energies)
    mu, theta = np.array([0.05, -0.03]), np.array([0.02, 0.03])
    j, je = landauer_currents(energies, g, mu, theta)
    assert j[0] == pytest.approx(0.7 * 0.08, rel=1e-10)
    expected = 0.7 * (
        (mu[0] ** 2 - mu[1] ** 2) / 2 + np.pi**2 / 6 * (theta[0] ** 2 - theta[1] ** 2)
    )
    assert je[0] == pytest.approx(expected, rel=1e-9)
    assert j.sum() == pytest.approx(0, abs=1e-14) and je.sum() == pytest.approx(0, abs=1e-14)


def test_entropy_production_is_zero_at_equilibrium_and_positive_otherwise():
    # Three terminals with energy-dependent transmissions (a random but unitary-
    # compatible G: symmetric Laplacian with positive couplings).
    energies = np.linspace(-1.5, 1.5, 301)
    rng = np.random.default_rng(7)
    a = rng.uniform(0.1, 1.0, size=(3, 3, 3))

    def matrix(e):
        t = np.einsum("kij,k->ij", a, [1, e, e**2]) ** 2
        t = 0.5 * (t + t.T)
        np.fill_diagonal(t, 0)
        return np.diag(t.sum(axis=1)) - t

    g = np.array([matrix(e) for e in energies])
    eq = solve_heat(energies, g, {0: 0.1, 1: 0.1}, {0: 0.05, 1: 0.05})  # 2: thermal probe
    assert eq.kinds == ("fixed", "fixed", "thermal-probe")
    assert eq.potentials[2] == pytest.approx(0.1, abs=1e-10)
    assert eq.temperatures[2] == pytest.approx(0.05, abs=1e-10)
    assert abs(eq.entropy_production) < 1e-12
    for _ in range(5):
        mu = rng.uniform(-0.1, 0.1, 2)
        theta = rng.uniform(0.02, 0.08, 2)
        sol = solve_heat(energies, g, {0: mu[0], 1: mu[1]}, {0: theta[0], 1: theta[1]})
        assert abs(sol.currents[2]) < 1e-10 and abs(sol.heat_currents[2]) < 1e-10
        assert min(theta) < sol.temperatures[2] < max(theta) + 0.02  # heated by Joule power
        assert sol.entropy_production > 0
        assert abs(sol.energy_currents.sum()) < 1e-12


def test_onsager_matrix_is_the_linearization_and_is_positive():
    energies = np.linspace(-1, 1, 201)
    g = _two_terminal_grid(lambda e: 1 + 0.5 * np.tanh(3 * e), energies)
    mu, theta, d = 0.1, 0.04, 1e-6  # second-order (Joule) terms ~ d²: 1e-5 relative
    big = onsager_from_conductances(energies, g, mu, theta)
    forces = np.array([d, -d, 0.3 * d / theta, -0.2 * d / theta])  # (δμ, δθ/θ)
    j, je = landauer_currents(energies, g, mu + forces[:2], theta + theta * forces[2:])
    jq = je - (mu + forces[:2]) * j
    np.testing.assert_allclose(np.concatenate([j, jq]), big @ forces, rtol=1e-4, atol=1e-14)
    assert np.all(np.linalg.eigvalsh(0.5 * (big + big.T)) > -1e-12)


def test_bad_input():
    energies = np.linspace(-1, 1, 11)
    g = _two_terminal_grid(lambda e: 1.0, energies)
    with pytest.raises(ValueError, match="both"):
        solve_heat(energies, g, {0: 0.0}, {1: 0.1})
    with pytest.raises(ValueError, match="out of range"):
        solve_heat(energies, g, {5: 0.0}, {0: 0.1})
    with pytest.raises(ValueError, match="temperatures"):
        solve_heat(energies, g, {0: 0.0}, {0: -0.1})
