"""Landauer moments and thermoelectric coefficients against closed forms and quadrature."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from analysis import chain_barrier_transmission
from analysis.energy_grid import window_grid
from analysis.thermal import fermi_window
from analysis.thermoelectric import (
    landauer_moments,
    mott_seebeck,
    thermoelectric_coefficients,
)

PI2_3 = np.pi**2 / 3


def _coefficients(func, mu, temperature, tol=1e-8, breakpoints=()):
    energies, values = window_grid(func, [(mu, temperature)], tol=tol, breakpoints=breakpoints)
    return thermoelectric_coefficients(
        landauer_moments(energies, values, mu, temperature), mu, temperature
    )


def test_constant_transmission_obeys_wiedemann_franz_exactly():
    # L_0 = 𝒯, L_1 = 0, L_2 = (π²/3)(k_BT)² 𝒯: lorenz = π²/3, S = 0 (Sommerfeld, exact here).
    c = _coefficients(lambda e: 2.0, 0.3, 0.01)
    assert c.G == pytest.approx(2.0, rel=1e-10)
    assert abs(c.S) < 1e-9
    assert c.lorenz == pytest.approx(PI2_3, rel=1e-8)
    assert c.kappa == pytest.approx(PI2_3 * 0.01 * 2.0, rel=1e-8)


def test_linear_transmission_gives_mott_exactly():
    # 𝒯 = a + b(E − μ): L_1 = (π²/3)θ² b exactly, so S = −(π²/3) θ b / a (Mott
    # with no higher Sommerfeld terms), Π = T S.
    a, b, mu, theta = 1.5, 0.8, 1.0, 0.02
    c = _coefficients(lambda e: a + b * (e - mu), mu, theta)
    assert c.S == pytest.approx(-PI2_3 * theta * b / a, rel=1e-8)
    assert c.Pi == pytest.approx(theta * c.S)
    # lorenz = π²/3 − (π²/3)² θ² b²/a² ... exactly: (L2 − L1²/L0)/(θ² L0).
    assert c.lorenz == pytest.approx(PI2_3 - (PI2_3 * theta * b / a) ** 2, rel=1e-8)
    # ZT = L1²/(L0 L2 − L1²)
    l0, l1, l2 = a, PI2_3 * theta**2 * b, PI2_3 * theta**2 * a
    assert c.ZT == pytest.approx(l1**2 / (l0 * l2 - l1**2), rel=1e-7)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_sharp_step_thermopower_is_ln2_over_n_plus_half(n):
    # 𝒯 = N + Θ(E − E_0), μ = E_0: L_0 = N + 1/2, L_1 = θ ∫_0^∞ x (−f'(x)) dx = θ ln 2,
    # so S = −ln 2/(N + 1/2) (Středa, J. Phys. Condens. Matter 1, 1025 (1989)).
    step = 0.5

    def staircase(e):
        return n + (1.0 if e > step else (0.5 if e == step else 0.0))

    c = _coefficients(staircase, step, 0.01, breakpoints=[step])
    assert c.S == pytest.approx(-np.log(2) / (n + 0.5), rel=1e-8)
    # Without the breakpoint the grid bisects down to the step: error ≲ tol.
    c = _coefficients(staircase, step + 1e-4 * np.pi, 0.01)
    exact = _coefficients(staircase, step + 1e-4 * np.pi, 0.01, breakpoints=[step])
    assert c.S == pytest.approx(exact.S, abs=1e-6)


@pytest.mark.parametrize("temperature", [0.005, 0.05])
def test_moments_of_a_chain_barrier_match_adaptive_quadrature(temperature):
    # Independent reference: scipy.integrate.quad on the closed-form T(E).
    # The adaptive grid's target tol = 1e-7 bounds each moment's error to a few 1e-7 θⁿ.
    def func(e):
        return chain_barrier_transmission(e, 1.0)

    mu = 1.0
    energies, values = window_grid(func, [(mu, temperature)], tol=1e-7)
    moments = landauer_moments(energies, values, mu, temperature)
    for n in range(3):
        reference = quad(
            lambda e, n=n: func(e) * (e - mu) ** n * fermi_window(e, mu, temperature),
            mu - 30 * temperature,
            mu + 30 * temperature,
            points=[mu],
            epsabs=1e-14,
            epsrel=1e-12,
            limit=400,
        )[0]
        assert abs(moments[n] - reference) < 1e-6 * temperature**n


def test_mott_formula_on_a_sampled_curve():
    energies = np.linspace(0.5, 1.5, 201)
    transmission = np.exp(energies)  # ∂ ln 𝒯/∂E = 1
    assert mott_seebeck(energies, transmission, 1.0, 0.01) == pytest.approx(-PI2_3 * 0.01)


def test_one_grid_serves_several_windows_and_vector_values():
    def func(e):
        return np.array([1.0 + e, 2.0 * e])

    windows = [(0.5, 0.01), (0.8, 0.02)]
    energies, values = window_grid(func, windows, tol=1e-8)
    assert values.shape == (energies.size, 2)
    for mu, theta in windows:
        moments = landauer_moments(energies, values, mu, theta)
        np.testing.assert_allclose(moments[0], [1 + mu, 2 * mu], rtol=1e-10)
        # The window is cut at μ ± 25 k_BT: a tail of order 25 e^−25 θ 𝒯 ≈ 1e-11.
        np.testing.assert_allclose(
            moments[1], [PI2_3 * theta**2, 2 * PI2_3 * theta**2], rtol=1e-8, atol=1e-10
        )


def test_bad_input():
    with pytest.raises(ValueError, match="temperature"):
        thermoelectric_coefficients([1, 0, 1], 0.0, 0.0)
    with pytest.raises(ValueError, match="windows"):
        window_grid(lambda e: 1.0, [(0.0, -1.0)])
    with pytest.raises(ValueError, match="max_points"):
        window_grid(lambda e: float(e > 0.01), [(0.0, 0.01)], tol=1e-15, max_points=60)
    with pytest.raises(ValueError, match="window"):
        landauer_moments([0.0, 0.1], [1.0, 1.0], 0.05, 0.1)
    nan = thermoelectric_coefficients([0.0, 0.0, 0.0], 0.0, 0.1)
    assert np.isnan(nan.S) and nan.G == 0 and nan.kappa == 0
