"""Finite-temperature Landauer averages against closed forms."""

import numpy as np
import pytest
from scipy import integrate

from analysis import fermi, fermi_window, thermal_average


def test_thermal_average_of_a_step_is_the_fermi_function():
    """∫ θ(E − E0) (−∂f/∂E) dE = f(E0): a conductance step is smeared into a Fermi function."""
    step_at, temperature = 0.7, 0.02
    energies = np.array([0.0, step_at, step_at, 1.5])  # the repeated energy marks the jump
    values = np.array([0.0, 0.0, 1.0, 1.0])
    mus = np.linspace(0.5, 0.9, 17)
    expected = 1 / (1 + np.exp((step_at - mus) / temperature))
    assert (
        np.abs(thermal_average(energies, values, mu=mus, temperature=temperature) - expected).max()
        < 1e-12
    )


def test_thermal_average_of_a_linear_function_is_exact():
    energies = np.linspace(-1, 1, 5)
    assert thermal_average(energies, 3 * energies + 2, mu=0.1, temperature=0.03) == pytest.approx(
        2.3, abs=1e-12
    )


def test_thermal_average_matches_quadrature_for_a_smooth_curve():
    energies = np.linspace(-1, 1, 4001)
    values = np.cos(3 * energies) ** 2
    mu, temperature = 0.2, 0.05
    reference, _ = integrate.quad(
        lambda e: np.cos(3 * e) ** 2 * fermi_window(e, mu, temperature),
        -1,
        1,
        points=[mu],
        epsabs=1e-13,
    )
    assert thermal_average(energies, values, mu=mu, temperature=temperature) == pytest.approx(
        reference, abs=1e-7
    )


def test_zero_temperature_gives_the_value_at_mu():
    energies = np.linspace(0, 1, 11)
    assert thermal_average(energies, energies**2, mu=0.35, temperature=0.0) == pytest.approx(
        0.125, abs=1e-12
    )


def test_a_window_wider_than_the_samples_is_refused():
    with pytest.raises(ValueError, match="thermal window"):
        thermal_average(np.linspace(0, 1, 11), np.ones(11), mu=0.5, temperature=0.1)


def test_fermi_function_limits():
    assert fermi(-1.0, 0.0, 0.0) == 1.0
    assert fermi(1.0, 0.0, 0.0) == 0.0
    assert fermi(0.0, 0.0, 0.1) == pytest.approx(0.5)


def test_mu_and_temperature_are_keyword_only_in_thermal_average():
    """The old order (…, temperature, mu) must not be silently read as (…, mu, temperature)."""
    energies = np.linspace(-1, 1, 201)
    with pytest.raises(TypeError):
        thermal_average(energies, np.ones_like(energies), 0.05, 0.2)
