"""Thomas–Fermi self-consistency against the capacitance of a gated gas and band counts."""

from __future__ import annotations

import numpy as np
import pytest

import systems
from systems.electrostatics import (
    EPSILON_0,
    Gate,
    Grid,
    Layout,
    PoissonProblem,
    SiteElectrostatics,
    layout_grid,
)
from workflows.electrostatics import (
    ThomasFermiConvergenceError,
    chain,
    parabolic_2d,
    pinch_off_voltage,
    square_lattice,
    thomas_fermi,
)

UNITS = systems.Units.for_material("GaAs", 10.0)  # a = 10 nm, m* = 0.067, g = 2
A = 10.0  # nm
DEPTH = 50.0  # nm
EPS_R = 12.9


def _gated_sheet(sites=4):
    """A metallic gate over the whole surface of a uniform gas at DEPTH (free sides).

    Sites sit at cell centres of the in-plane grid, so that the charge they deposit matches
    each node's control area and the gas is exactly uniform.
    """
    everywhere = [(-1e4, -1e4), (1e4, -1e4), (1e4, 1e4), (-1e4, 1e4)]
    layout = Layout(gates=[Gate("g", everywhere)], depth=DEPTH, eps_r=EPS_R, far_field="free")
    x = np.linspace(0, sites * A, sites + 1)
    z = np.concatenate([np.linspace(-DEPTH - 50, -DEPTH, 6)[:-1], np.linspace(-DEPTH, 0, 11)])
    problem = PoissonProblem(layout, Grid((x, x, z)))
    centres = (np.arange(sites) + 0.5) * A
    X, Y = np.meshgrid(centres, centres, indexing="ij")
    positions = np.column_stack([X.ravel(), Y.ravel(), np.full(X.size, -DEPTH)])
    return SiteElectrostatics(problem, positions)


def _sheet_density(es, band, voltage, band_edge, **kwargs):
    """Sheet density (nm⁻²) and Fermi energy above the band bottom (eV) at a gate voltage."""
    solution = thomas_fermi(es, {"g": voltage}, band, band_edge=band_edge, **kwargs)
    assert solution.converged
    return solution.density.mean() / A**2, float(-band_edge - solution.energy.mean())


@pytest.mark.parametrize("band_edge", [-0.005, -0.012])
def test_gated_gas_capacitance_is_geometric_plus_quantum(band_edge):
    # dn/dV_g = C/e with 1/C = d/(ε₀ε_r) + 1/(e²D), D the lattice DOS at E_F including spin
    # (e.g. Luryi, Appl. Phys. Lett. 52, 501 (1988), "quantum capacitance devices").
    es = _gated_sheet()
    band = square_lattice(UNITS)
    step = 1e-4  # V; the central difference's error ~ step² D''/D ~ 1e-8 relative
    low, _ = _sheet_density(es, band, -step, band_edge, tolerance=1e-12)
    high, _ = _sheet_density(es, band, step, band_edge, tolerance=1e-12)
    _, fermi = _sheet_density(es, band, 0.0, band_edge, tolerance=1e-12)
    geometric = EPSILON_0 * EPS_R / DEPTH  # e/(V nm²)
    quantum = band.dos(fermi) / A**2  # e²D in e/(V nm²)
    expected = 1 / (1 / geometric + 1 / quantum)
    # The finite-volume solution of the uniform (1D) problem is exact (linear potential);
    # what is left is the difference quotient and the solver tolerance: 1e-6 relative.
    np.testing.assert_allclose((high - low) / (2 * step), expected, rtol=1e-6)
    # the quantum capacitance matters: it is not the geometric one alone
    assert abs(expected / geometric - 1) > 0.03


def test_depletion_voltage_with_constant_density_of_states():
    # Constant D (the parabolic band): n is linear in V_g and vanishes at V_dep = −e n₀/C.
    es = _gated_sheet()
    band = parabolic_2d(UNITS)
    n0, _ = _sheet_density(es, band, 0.0, -0.1, tolerance=1e-12)
    geometric = EPSILON_0 * EPS_R / DEPTH
    quantum = band.dos(1.0) / A**2
    capacitance = 1 / (1 / geometric + 1 / quantum)
    depletion = -n0 / capacitance
    assert n0 * 1e14 > 1e11  # a realistic sheet density, cm⁻²
    just_before, _ = _sheet_density(es, band, depletion + 1e-3, -0.1, tolerance=1e-12)
    at, _ = _sheet_density(es, band, depletion - 1e-9, -0.1, tolerance=1e-12)
    np.testing.assert_allclose(just_before, capacitance * 1e-3, rtol=1e-6)
    assert at == 0.0


def test_square_lattice_density_counts_band_states():
    # Independent route: the fraction of states of a 600 x 600 periodic lattice below E.
    band = square_lattice(UNITS)
    t = band.hopping
    k = 2 * np.pi * np.arange(600) / 600
    levels = np.sort((2 * (2 - np.cos(k)[:, None] - np.cos(k)[None, :])).ravel())
    energies = np.array([0.3, 1.0, 2.5, 4.0, 5.5, 7.9])
    counted = 2 * np.searchsorted(levels, energies) / levels.size  # spin 2
    # finite-lattice counting: steps of 1/600² per level, edges ~ 1/600
    np.testing.assert_allclose(band.count(energies * t), counted, atol=3e-3)
    # the DOS is the derivative of the count (elliptic-integral closed form)
    e = np.linspace(0.05, 7.95, 40) * t
    derivative = (band.count(e + 1e-7 * t) - band.count(e - 1e-7 * t)) / (2e-7 * t)
    np.testing.assert_allclose(derivative, band.dos(e), rtol=1e-6)
    # continuum limit at the band bottom: m*a²/(πħ²) with spin = g/(4πt)
    np.testing.assert_allclose(band.dos(1e-9 * t), 2 / (4 * np.pi * t), rtol=1e-6)


def test_chain_density_counts_band_states():
    band = chain(UNITS)
    t = band.hopping
    k = 2 * np.pi * np.arange(20000) / 20000
    levels = np.sort(2 * (1 - np.cos(k)))
    energies = np.array([0.1, 1.0, 2.0, 3.9])
    np.testing.assert_allclose(
        band.count(energies * t), 2 * np.searchsorted(levels, energies) / levels.size, atol=2e-4
    )


def _qpc_map(spacing=10.0):
    fingers = [
        Gate("top", [(-40, 40), (40, 40), (40, 1e4), (-40, 1e4)]),
        Gate("bottom", [(-40, -1e4), (40, -1e4), (40, -40), (-40, -40)]),
    ]
    layout = Layout(gates=fingers, depth=DEPTH)
    problem = PoissonProblem(layout, layout_grid(layout, [(-100, 100), (-100, 100)], spacing))
    fsyst = systems.wire(20, 15).finalized()
    positions = systems.electrostatics.site_positions(
        fsyst, UNITS, origin=(-95.0, -70.0), height=-DEPTH
    )
    return SiteElectrostatics(problem, positions)


def test_warm_start_methods_and_failure_report():
    es = _qpc_map()
    band = square_lattice(UNITS)
    voltages = {"top": -0.05, "bottom": -0.05}
    cold = thomas_fermi(es, voltages, band, band_edge=-0.01)
    assert cold.converged and cold.iterations == len(cold.residuals) >= 2
    residual = cold.energy - es.potential_energy(voltages, cold.density)
    assert np.max(np.abs(residual)) <= 1e-6  # the stated tolerance, eV
    assert cold.residuals[-1] <= 1e-6 < cold.residuals[0]
    # the gas is depleted under the fingers and filled in the open channel
    assert cold.density.min() == 0.0 and cold.density.max() > 0.0
    # A warm start from the neighbouring gate voltage takes fewer iterations.
    near = {"top": -0.052, "bottom": -0.052}
    warm = thomas_fermi(es, near, band, band_edge=-0.01, initial=cold)
    fresh = thomas_fermi(es, near, band, band_edge=-0.01)
    assert warm.iterations < fresh.iterations
    np.testing.assert_allclose(warm.energy, fresh.energy, atol=1e-5)
    with pytest.raises(
        ThomasFermiConvergenceError, match=r"residual .* after 1 Newton–Krylov iterations"
    ):
        thomas_fermi(es, voltages, band, band_edge=-0.01, max_iterations=1, tolerance=1e-14)
    failed = thomas_fermi(
        es, voltages, band, band_edge=-0.01, max_iterations=1, tolerance=1e-14, check=False
    )
    assert not failed.converged
    with pytest.raises(ValueError, match="initial"):
        thomas_fermi(es, voltages, band, initial=np.zeros(3))


@pytest.mark.slow
def test_split_gate_pinch_off_is_screened_by_the_surrounding_gas():
    es = _qpc_map(spacing=20.0)  # a coarse mesh: the checks below hold on any mesh
    band = square_lattice(UNITS)
    saddle = int(np.argmin(np.hypot(es.positions[:, 0], es.positions[:, 1])))
    result = pinch_off_voltage(
        es, {"top": 1, "bottom": 1}, band, saddle, (-0.02, -0.1), band_edge=-0.01, tolerance=1e-3
    )
    # Without the gas's charge the saddle's band bottom reaches μ where U₀ = −E_c; the lever
    # arm α = −∂U₀/∂V is linear (U₀(0) = 0: no fixed charge).  The gas's electrons only
    # raise U (K has positive entries, n >= 0), so the self-consistent channel closes at a
    # less negative voltage: V_p(TF) >= V_p(bare) exactly.
    arms = es.lever_arms()
    alpha = -(arms["top"] + arms["bottom"])[saddle]
    bare = -0.01 / alpha  # = band_edge / α
    assert bare < result.voltage < 0
    # At V_p the saddle's band bottom sits at the Fermi level (to α × the voltage tolerance)
    opening = 0.01 - result.solution.energy[saddle]
    assert abs(opening) <= alpha * 1e-3
    with pytest.raises(ValueError, match="does not bracket"):
        pinch_off_voltage(es, {"top": 1, "bottom": 1}, band, saddle, (0.0, -0.01), band_edge=-0.01)
