"""Joule heat and entropy production of Büttiker bias solutions."""

import itertools

import numpy as np
import pytest

import systems
from analysis import (
    dissipation_table,
    entropy_production_rate,
    joule_heat,
    solve_bias,
    terminal_powers,
    two_terminal_conductance,
)
from workflows import conductance_matrix


def random_conductance(rng, size):
    """G = diag(column sums of T) − T with T a positive mix of permutation matrices.

    A sum of permutation matrices has equal row and column sums, so G obeys both
    sum rules; it is generally not symmetric, like G at B ≠ 0.
    """
    perms = [np.eye(size)[list(p)] for p in itertools.permutations(range(size))]
    chosen = rng.choice(len(perms), size=min(len(perms), 3 * size), replace=False)
    T = sum(rng.exponential() * perms[k] for k in chosen)
    return np.diag(T.sum(axis=0)) - T


def random_bias(rng, size):
    """A random well-posed bias: ≥ 1 voltage terminal, some current terminals, the rest floating."""
    kinds = rng.integers(0, 3, size=size)  # 0 voltage, 1 current, 2 floating
    kinds[rng.integers(size)] = 0
    voltages = {i: float(rng.normal()) for i in range(size) if kinds[i] == 0}
    currents = {i: float(rng.normal()) for i in range(size) if kinds[i] == 1}
    return voltages, currents


def test_joule_heat_is_non_negative_for_random_biases():
    rng = np.random.default_rng(2024)
    asymmetric = 0
    for _ in range(200):
        size = int(rng.integers(2, 7))
        G = random_conductance(rng, size)
        asymmetric += np.abs(G - G.T).max() > 1e-3
        voltages, currents = random_bias(rng, size)
        solution = solve_bias(G, voltages=voltages, currents=currents)
        heat = joule_heat(solution)
        v = solution.voltages
        assert heat == pytest.approx(v @ G @ v, abs=1e-12 * (1 + abs(heat)))
        assert heat >= -1e-12 * np.abs(G).max() * np.abs(v).max() ** 2
        powers = terminal_powers(solution)
        assert np.all(powers[solution.floating] == 0)
        # Gauge invariance: shifting every set voltage shifts V, not the heat.
        shifted = solve_bias(
            G, voltages={i: x + 3.7 for i, x in voltages.items()}, currents=currents
        )
        assert joule_heat(shifted) == pytest.approx(heat, abs=1e-9 * (1 + abs(heat)))
    assert asymmetric > 150  # the check is made on non-reciprocal matrices


def test_two_terminal_heat_is_conductance_times_voltage_squared():
    """With probes floating, P = G_2t V² (independent route: the two-terminal conductance)."""
    rng = np.random.default_rng(11)
    G = random_conductance(rng, 5)
    bias = 0.3
    solution = solve_bias(G, voltages={0: bias, 3: 0.0})
    assert joule_heat(solution) == pytest.approx(two_terminal_conductance(G, 0, 3) * bias**2)
    assert entropy_production_rate(solution, 0.05) == pytest.approx(joule_heat(solution) / 0.05)


def test_quantum_hall_bar_dissipates_only_at_the_contacts():
    """On a plateau, the current source sees R_2t = 1/ν: P = I²/ν, all delivered by 0 and 1."""
    fsyst = systems.hall_bar(30, 12, 4).finalized()
    G = conductance_matrix(fsyst, 0.5, params={"B": 0.05})  # ν = 1
    solution = solve_bias(G, currents={0: 0.2}, reference=1)
    table = dissipation_table(solution, temperature=0.1)
    assert joule_heat(solution) == pytest.approx(0.2**2 / 1, rel=1e-8)
    assert table.loc[2:, "power"].abs().max() == 0
    assert table["power"].sum() == pytest.approx(joule_heat(solution))
    assert table["entropy_rate"].sum() == pytest.approx(joule_heat(solution) / 0.1)
    assert list(table["kind"]) == ["current", "voltage"] + ["floating"] * 4
    assert table.attrs["units"]["power"] == "t^2/h"


def test_decoupled_terminal_has_zero_power():
    G = np.zeros((3, 3))
    G[:2, :2] = [[1.0, -1.0], [-1.0, 1.0]]
    solution = solve_bias(G, voltages={0: 1.0, 1: 0.0})
    assert np.isnan(solution.voltages[2])
    np.testing.assert_array_equal(terminal_powers(solution), [1.0, 0.0, 0.0])


def test_bad_arguments():
    G = np.array([[1.0, -1.0], [-1.0, 1.0]])
    solution = solve_bias(G, voltages={0: 1.0, 1: 0.0})
    with pytest.raises(ValueError, match="temperature must be a finite real number > 0"):
        entropy_production_rate(solution, 0.0)
    with pytest.raises(TypeError, match="temperature"):
        entropy_production_rate(solution, "hot")
    with pytest.raises(TypeError, match="BiasSolution"):
        joule_heat({"voltages": [1, 0]})
