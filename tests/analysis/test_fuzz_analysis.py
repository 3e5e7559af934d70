"""Fuzzing the Kwant-free analysis functions: every argument, replaced by an adversarial
value, gives a result or a one-line ValueError/TypeError, never another exception and never a
hang (2 s per example, tests/conftest.py); a number (energy, temperature, chemical potential,
hopping) given as a bool, a string or None is always refused.  Also the reproduced cases of
issue 20 that were silently wrong before."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import analysis

_E = np.linspace(0.0, 2.0, 41)
_G = np.array([[[1.0, -1.0], [-1.0, 1.0]]] * _E.size) * (0.5 + 0.25 * _E)[:, None, None]
_FLUX = np.linspace(0, 1, 16, endpoint=False)

#: function -> valid arguments; the energies, temperatures and potentials among them.
FUNCTIONS = {
    "fermi": (analysis.fermi, {"energy": 1.0, "mu": 0.9, "temperature": 0.1}),
    "fermi_window": (analysis.fermi_window, {"energy": 1.0, "mu": 0.9, "temperature": 0.1}),
    "thermal_average": (
        analysis.thermal_average,
        {
            "energies": np.linspace(-2, 2, 81),
            "values": np.linspace(0, 1, 81),
            "mu": 0.0,
            "temperature": 0.05,
        },
    ),
    "landauer_moments": (
        analysis.landauer_moments,
        {
            "energies": np.linspace(-2, 2, 81),
            "transmission": np.linspace(0, 1, 81),
            "mu": 0.0,
            "temperature": 0.05,
            "orders": (0, 1, 2),
        },
    ),
    "thermoelectric_coefficients": (
        analysis.thermoelectric_coefficients,
        {"moments": [1.0, -0.01, 0.01], "mu": 0.0, "temperature": 0.05, "phonon_kappa": 0.0},
    ),
    "mott_seebeck": (
        analysis.mott_seebeck,
        {
            "energies": np.linspace(0.1, 2, 20),
            "transmission": np.linspace(0.1, 1, 20),
            "mu": 1.0,
            "temperature": 0.01,
        },
    ),
    "chain_transmission": (
        analysis.chain_transmission,
        {"energy": 1.0, "potential": [0.3, 0.1], "t": 1.0},
    ),
    "chain_barrier_transmission": (
        analysis.chain_barrier_transmission,
        {"energy": 1.0, "V": 0.5, "t": 1.0},
    ),
    "chain_wavenumber": (analysis.chain_wavenumber, {"energy": 1.0, "t": 1.0}),
    "chain_group_velocity": (analysis.chain_group_velocity, {"energy": 1.0, "t": 1.0}),
    "chain_backscattering_length": (
        analysis.chain_backscattering_length,
        {"energy": 1.0, "eta": 0.1, "t": 1.0},
    ),
    "chain_dephased_resistance": (
        analysis.chain_dephased_resistance,
        {"length": 10, "energy": 1.0, "eta": 0.1, "t": 1.0},
    ),
    "chain_probe_potential": (
        analysis.chain_probe_potential,
        {"x": 3, "length": 10, "energy": 1.0, "eta": 0.1, "t": 1.0},
    ),
    "dephasing_length": (analysis.dephasing_length, {"velocity": 1.0, "eta": 0.1}),
    "ohmic_slope": (analysis.ohmic_slope, {"velocities": [1.0, 0.5], "eta": 0.1}),
    "semiclassical_dephased_resistance": (
        analysis.semiclassical_dephased_resistance,
        {"length": 10, "velocities": [1.0], "eta": 0.1},
    ),
    "mode_count": (analysis.mode_count, {"energy": 1.0, "width": 4, "t": 1.0}),
    "subband_edges": (analysis.subband_edges, {"width": 4, "t": 1.0}),
    "chaotic_cavity_fano": (analysis.chaotic_cavity_fano, {"n_channels": 2, "beta": 1}),
    "crossover_noise": (
        analysis.crossover_noise,
        {"transmissions": [0.5, 0.2], "bias": 0.1, "temperature": 0.01},
    ),
    "fano_from_transmissions": (analysis.fano_from_transmissions, {"transmissions": [0.5, 0.2]}),
    "pair_window": (analysis.pair_window, {"mu_a": 0.1, "mu_b": 0.0, "temperature": 0.01}),
    "fermi_pair_windows": (
        analysis.fermi_pair_windows,
        {"potentials": [0.1, 0.0], "temperatures": [0.01, 0.01]},
    ),
    "entropy_production": (
        analysis.entropy_production,
        {"heat_currents": [0.1, -0.1], "temperatures": [0.1, 0.2]},
    ),
    "landauer_currents": (
        analysis.landauer_currents,
        {"energies": _E, "matrices": _G, "potentials": [1.0, 1.01], "temperatures": [0.02, 0.02]},
    ),
    "solve_heat": (
        analysis.solve_heat,
        {
            "energies": _E,
            "matrices": _G,
            "potentials": {0: 1.0, 1: 1.01},
            "temperatures": {0: 0.02, 1: 0.02},
        },
    ),
    "window_grid": (
        analysis.window_grid,
        {"func": np.cos, "windows": [(1.0, 0.05)], "tol": 1e-4, "max_points": 200},
    ),
    "flux_harmonics": (
        analysis.flux_harmonics,
        {
            "flux": _FLUX,
            "values": 1 + 0.1 * np.cos(2 * np.pi * _FLUX),
            "orders": (1, 2),
            "period": 1.0,
        },
    ),
    "visibility": (analysis.visibility, {"values": [1.0, 0.5, 0.8]}),
    "visibility_decay_length": (
        analysis.visibility_decay_length,
        {"lengths": [10, 20, 30], "visibilities": [0.5, 0.25, 0.125]},
    ),
    "sum_rule_deviations": (analysis.sum_rule_deviations, {"G": _G[0]}),
    "conductance_reciprocity": (
        analysis.conductance_reciprocity,
        {"G_plus": _G[0], "G_minus": _G[0]},
    ),
}

#: Arguments that are physical numbers: a bool, a string or None there must be refused.
NUMBERS = {
    "energy",
    "mu",
    "temperature",
    "t",
    "V",
    "eta",
    "bias",
    "mu_a",
    "mu_b",
    "phonon_kappa",
    "velocity",
    "period",
    "tol",
}


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
@given(data=st.data())
def test_every_analysis_argument_is_validated(function, data, adversarial, outcome):
    func, valid = FUNCTIONS[function]
    kwargs = dict(valid)
    argument = data.draw(st.sampled_from(sorted(kwargs)), label="argument")
    value = data.draw(adversarial, label=argument)
    kwargs[argument] = value
    result = outcome(func, **kwargs)
    wrong_kind = value is None or isinstance(value, (bool, np.bool_, str, bytes))
    if argument in NUMBERS and wrong_kind:
        assert isinstance(result, (TypeError, ValueError)), f"{argument}={value!r} was accepted"


# -- the reproduced cases (issue 20) ---------------------------------------------------------


@pytest.mark.parametrize("temperature", [-1, -1e-3, float("nan")])
def test_fermi_refuses_a_negative_temperature(temperature):
    """analysis.fermi(..., temperature=-1) returned 0.475 (an inverted occupation)."""
    with pytest.raises(ValueError, match=r"^temperature must be a finite real number >= 0"):
        analysis.fermi(1.0, 0.9, temperature)


@pytest.mark.parametrize("temperature", [True, "0.01", None])
def test_thermal_functions_take_temperatures_only_from_real_numbers(temperature):
    for func in (analysis.fermi, analysis.fermi_window):
        with pytest.raises(TypeError, match=r"^temperature must be a finite real number"):
            func(1.0, 0.9, temperature)
    with pytest.raises(TypeError, match=r"^temperature must be a finite real number"):
        analysis.thermoelectric_coefficients([1.0, 0.0, 0.01], 0.0, temperature)


def test_fermi_at_zero_and_at_vanishing_temperature_is_the_step():
    assert analysis.fermi(1.0, 0.9, 0) == 0.0
    assert analysis.fermi(0.8, 0.9, 1e-300) == 1.0
    assert analysis.fermi(0.9, 0.9, 1e-300) == 0.5


def test_landauer_moments_below_the_floor_are_the_sommerfeld_limit():
    """𝒯(E) = E on a grid around μ = 1: the Sommerfeld expansion is exact for a linear 𝒯
    (L_0 = 𝒯(μ) = 1, L_1 = (π²/3) θ² 𝒯′ = (π²/3) θ², L_2 = (π²/3) θ² 𝒯(μ); Ashcroft &
    Mermin (1976), Eq. (2.70)); the interpolation of samples is exact for it too."""
    energies = np.linspace(0.5, 1.5, 11)
    theta = 1e-9
    moments = analysis.landauer_moments(energies, energies, 1.0, theta)
    np.testing.assert_allclose(
        moments, [1.0, np.pi**2 / 3 * theta**2, np.pi**2 / 3 * theta**2], rtol=1e-12
    )
    c = analysis.thermoelectric_coefficients(moments, 1.0, theta)
    assert c.S == pytest.approx(-(np.pi**2) / 3 * theta, rel=1e-12)  # Mott, ∂ln𝒯/∂E = 1
    assert c.lorenz == pytest.approx(np.pi**2 / 3, rel=1e-15)


def test_landauer_moments_never_exceed_the_largest_sample():
    """A constant 𝒯 = 1 at k_B T just above the floor: G <= 1 to rounding (weights that sum
    above 1 by rounding are scaled back)."""
    mu = 1.0
    for theta in (2e-6, 1e-5, 1e-3):
        energies = np.linspace(mu - 30 * theta, mu + 30 * theta, 301)
        (l0,) = analysis.landauer_moments(energies, np.ones_like(energies), mu, theta, orders=(0,))
        assert l0 <= 1.0 + 1e-15


@pytest.mark.parametrize("temperature", [5e-324, 1e-300, 1e-9])
def test_thermal_average_at_vanishing_temperature_is_the_value_at_mu(temperature):
    """A subnormal k_B T gave an overflow warning and NaN; the T → 0 limit is X(μ) of the
    piecewise-linear interpolant (exact here: X is linear)."""
    energies = np.linspace(-2, 2, 81)
    average = analysis.thermal_average(
        energies, 0.25 * energies + 0.5, mu=0.01, temperature=temperature
    )
    assert average == pytest.approx(0.5025, abs=1e-15)
