"""The band densities at finite temperature (thermal_band) against closed forms and k-sums."""

from __future__ import annotations

import kwant
import numpy as np
import pytest

import systems
from workflows.electrostatics import (
    ThomasFermiDevice,
    chain,
    parabolic_2d,
    square_lattice,
    thermal_band,
    thomas_fermi_state,
)

UNITS = systems.Units.for_material("GaAs", 10.0)  # t = 5.69 meV, g = 2
T_EV = UNITS.t_meV * 1e-3


@pytest.mark.parametrize("kT", [0.2, 0.02])
def test_parabolic_band_is_the_closed_form(kT):
    # n = (m k_B T/(π ħ²)) ln(1 + e^{μ/k_BT}) with spin (e.g. Davies, The Physics of
    # Low-Dimensional Semiconductors, Cambridge 1998, eq. (3.41)); per site a²m/(2πħ²) =
    # 1/(4πt) per spin.  The count of the parabolic band is linear above 0 and the method
    # integrates a piecewise-linear count exactly: only the hat quadrature's rounding is
    # left (1e-10 electrons per site).
    kT *= T_EV
    band = thermal_band(parabolic_2d(UNITS), kT)
    mu = np.linspace(-10 * kT, 9 * T_EV, 501)
    exact = 2 * kT * np.logaddexp(0, mu / kT) / (4 * np.pi * T_EV)
    np.testing.assert_allclose(band.count(mu), exact, atol=1e-10)
    # dos is dn/dμ, the Fermi function times the constant 2D DOS: the derivative of the
    # cubic spline through nodes k_BT/16 apart, accurate to ~(1/16)³ ≈ 2e-4 of its
    # variation on k_BT (measured 1e-6 relative)
    np.testing.assert_allclose(
        band.dos(mu), 2 / (4 * np.pi * T_EV) / (1 + np.exp(-mu / kT)), rtol=1e-5, atol=1e-9
    )


@pytest.mark.parametrize("kT", [0.1, 0.3])
def test_square_lattice_equals_a_k_space_sum_across_the_van_hove_point(kT):
    # Independent route: n = (g/N²) Σ_k f(ε_k − μ) on an N×N grid of the Brillouin zone; the
    # integrand is smooth and periodic at T > 0, so the sum converges exponentially
    # (N = 600 resolves k_BT ≥ 0.1t to 1e-12).  The van Hove singularity at 4t is where a
    # careless integral of ρ fails; the table's error there is a few 1e-7 (module notes).
    kT *= T_EV
    band = thermal_band(square_lattice(UNITS), kT)
    k = (np.arange(600) + 0.5) * 2 * np.pi / 600
    eps = 2 * T_EV * (2 - np.cos(k)[:, None] - np.cos(k)[None, :])
    for mu in np.array([-0.3, 0.5, 3.9, 4.0, 4.05, 7.95]) * T_EV:
        reference = 2 * np.mean(0.5 * (1 - np.tanh((eps - mu) / (2 * kT))))
        assert band.count(mu) == pytest.approx(reference, abs=3e-6)


def test_low_temperature_limit_is_the_zero_temperature_count():
    # Sommerfeld: n(μ, T) − n(μ, 0) = (π²/6)(k_BT)² ρ′(μ) + O(T⁴) away from the singular
    # energies (Ashcroft & Mermin, Solid State Physics, 1976, eq. (2.70)); at
    # k_BT = 1e-3 t the remainder is below 1e-7 electrons per site.  At the band edges and
    # the van Hove point the difference is O(k_BT) (times a log): 2e-3 allowed there.
    kT = 1e-3 * T_EV
    zero = square_lattice(UNITS)
    band = thermal_band(zero, kT)
    mu = np.array([0.3, 1.0, 2.5, 3.5, 5.0, 7.2]) * T_EV
    h = 1e-3 * T_EV
    slope = (zero.dos(mu + h) - zero.dos(mu - h)) / (2 * h)
    expected = zero.count(mu) + np.pi**2 / 6 * kT**2 * slope
    np.testing.assert_allclose(band.count(mu), expected, atol=1e-7)
    edges = np.array([0.0, 4.0, 8.0]) * T_EV
    np.testing.assert_allclose(band.count(edges), zero.count(edges), atol=2e-3)
    # the chain's inverse-square-root edges too
    line = chain(UNITS)
    np.testing.assert_allclose(thermal_band(line, kT).count(mu[:3]), line.count(mu[:3]), atol=1e-5)


def test_bad_temperature_is_refused():
    with pytest.raises(ValueError, match="temperature"):
        thermal_band(square_lattice(UNITS), 0.0)
    with pytest.raises(TypeError, match="band"):
        thermal_band("square", 1e-3)


def test_thomas_fermi_at_low_temperature_approaches_zero_temperature():
    # A gated uniform gas (as in test_thomas_fermi): at k_BT = 1e-3 t the thermal
    # correction of n is (π²/6)(k_BT)²ρ′ ~ 1e-8 per site, so U agrees with T = 0 to 1e-6 eV;
    # at k_BT = 0.3 t the thermal tail changes the density visibly (> 1e-4 per site).
    from systems.electrostatics import Gate, Grid, Layout, PoissonProblem, SiteElectrostatics

    everywhere = [(-1e4, -1e4), (1e4, -1e4), (1e4, 1e4), (-1e4, 1e4)]
    layout = Layout(gates=[Gate("g", everywhere)], depth=50.0, far_field="free")
    x = np.linspace(0, 40.0, 5)
    z = np.concatenate([np.linspace(-100, -50, 6)[:-1], np.linspace(-50, 0, 11)])
    es = SiteElectrostatics(
        PoissonProblem(layout, Grid((x, x, z))),
        np.column_stack([np.full(1, 20.0), np.full(1, 20.0), np.full(1, -50.0)]),
    )

    one_site = kwant.Builder()
    one_site[kwant.lattice.square(norbs=1)(0, 0)] = 4.0
    device = ThomasFermiDevice(one_site.finalized(), es, square_lattice(UNITS), UNITS)
    states = {
        kT: thomas_fermi_state(
            device, energy=1.0, voltages={"g": 0.0}, temperature=kT, tolerance=1e-10
        )
        for kT in (0.0, 1e-3, 0.3)
    }
    np.testing.assert_allclose(states[1e-3].energy, states[0.0].energy, atol=1e-6)
    assert abs(states[0.3].density[0] - states[0.0].density[0]) > 1e-4
