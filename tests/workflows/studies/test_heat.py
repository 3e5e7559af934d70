"""Multi-terminal heat and charge transport of Kwant systems: Onsager, probes, entropy."""

from __future__ import annotations

import numpy as np
import pytest

import systems
from analysis.heat import onsager_from_conductances as analysis_onsager
from analysis.heat import solve_heat
from analysis.thermoelectric import landauer_moments, thermoelectric_coefficients
from workflows import conductance_matrix, heat_transport, onsager_matrix
from workflows.studies import conductance_grid

PI2_3 = np.pi**2 / 3
MU, THETA = 1.0, 0.01


@pytest.fixture(scope="module")
def chain_grid():
    """G(E) of mesoflow's chain with a one-site barrier V = 1 t around μ = 1 t, k_BT = 0.01 t."""
    fsyst = systems.chain(1).finalized()
    return conductance_grid(fsyst, [(MU, THETA)], params=dict(V=1.0), tol=1e-6)


def test_nonlinear_heat_currents_reproduce_linear_response_coefficients(chain_grid):
    # Two independent routes: (a) Landauer moments (analysis.thermoelectric),
    # (b) the full nonlinear currents with a floating terminal, driven by
    # small symmetric perturbations δ/θ = 1e-2, so that second-order terms
    # cancel and the remaining error is O((δ/θ)²) ≈ 1e-4 relative.
    energies, matrices = chain_grid
    c = thermoelectric_coefficients(
        landauer_moments(energies, -matrices[:, 1, 0], MU, THETA), MU, THETA
    )
    d = 1e-4
    # Peltier (Onsager–Kelvin Π = T S): heat carried per electron at ΔT = 0.
    # currents count electrons (charge −e), so J^Q = Π·I_electric = −Π·currents.
    biased = solve_heat(energies, matrices, {0: MU + d / 2, 1: MU - d / 2}, {0: THETA, 1: THETA})
    assert biased.currents[0] / d == pytest.approx(c.G, rel=1e-4)
    peltier = -(biased.heat_currents[0] - biased.heat_currents[1]) / (2 * biased.currents[0])
    assert peltier == pytest.approx(THETA * c.S, rel=1e-3)
    # Seebeck: lead 1 floats in charge at θ + δ/2, lead 0 at θ − δ/2:
    # μ_hot − μ_cold = S (θ_hot − θ_cold) (S in k_B/e for electrons).
    open_circuit = solve_heat(energies, matrices, {0: MU}, {0: THETA - d / 2, 1: THETA + d / 2})
    assert open_circuit.kinds == ("fixed", "charge-floating")
    assert abs(open_circuit.currents[1]) < 1e-14
    assert (open_circuit.potentials[1] - MU) / d == pytest.approx(c.S, rel=1e-3)
    # Heat conductance at zero current and Wiedemann–Franz.
    kappa = open_circuit.heat_currents[1] / d
    assert kappa == pytest.approx(c.kappa, rel=1e-3)
    assert kappa / (THETA * c.G) == pytest.approx(PI2_3, rel=2e-3)
    assert open_circuit.entropy_production > 0


def test_equilibrium_and_driven_entropy_production_with_a_thermal_probe():
    # A chain with a dephasing-type self-energy lead on its middle site used as
    # a thermal probe (floating in charge and heat: named in neither mapping).
    builder = systems.chain(3)
    (probe,) = systems.attach_dephasing_probes(builder, lambda pos: pos[0] == 1)
    fsyst = builder.finalized()
    params = dict(eta=0.5, V=0.3)
    equilibrium = heat_transport(fsyst, {0: MU, 1: MU}, {0: THETA, 1: THETA}, params=params)
    assert equilibrium.kinds[probe] == "thermal-probe"
    np.testing.assert_allclose(equilibrium.currents, 0, atol=1e-14)
    assert equilibrium.temperatures[probe] == pytest.approx(THETA, rel=1e-8)
    assert abs(equilibrium.entropy_production) < 1e-14

    driven = heat_transport(
        fsyst, {0: MU + 0.01, 1: MU - 0.01}, {0: THETA, 1: 1.5 * THETA}, params=params
    )
    assert abs(driven.currents[probe]) < 1e-12 and abs(driven.heat_currents[probe]) < 1e-12
    assert driven.temperatures[probe] > THETA  # Joule heating, hot lead
    assert abs(driven.currents.sum()) < 1e-12 and abs(driven.energy_currents.sum()) < 1e-12
    # Ṡ = −Σ J^Q_i/θ_i > 0 while current flows.
    assert driven.entropy_production > 1e-6
    manual = -np.sum(driven.heat_currents / driven.temperatures)
    assert driven.entropy_production == pytest.approx(manual)


def test_onsager_casimir_reciprocity_of_the_thermoelectric_matrix_in_a_field():
    # 𝓛(B) = 𝓛(−B)ᵀ for the 8 × 8 charge/heat matrix of a four-terminal cross
    # (Büttiker 1986; Jacquod et al. 2012), while 𝓛(B) itself is not symmetric.
    # Both fields on the same energy grid, so that interpolation is identical
    # and the check is exact to rounding.
    fsyst = systems.cross(3, arm_length=1).finalized()
    energies, plus_grid = conductance_grid(fsyst, [(1.0, 0.02)], params=dict(B=0.05), tol=1e-3)
    minus_grid = np.array([conductance_matrix(fsyst, e, params=dict(B=-0.05)) for e in energies])
    plus = analysis_onsager(energies, plus_grid, 1.0, 0.02)
    minus = analysis_onsager(energies, minus_grid, 1.0, 0.02)
    assert np.abs(plus - plus.T).max() > 1e-3
    np.testing.assert_allclose(plus, minus.T, atol=1e-10)
    assert np.all(np.linalg.eigvalsh(0.5 * (plus + plus.T)) > -1e-10)


def test_onsager_matrix_workflow_blocks_are_the_landauer_moments(chain_grid):
    energies, matrices = chain_grid
    big = onsager_matrix(systems.chain(1).finalized(), MU, THETA, params=dict(V=1.0), tol=1e-6)
    moments = landauer_moments(energies, -matrices[:, 1, 0], MU, THETA)
    for n, block in enumerate([big[:2, :2], big[:2, 2:], big[2:, 2:]]):
        expected = moments[n] * np.array([[1, -1], [-1, 1]])
        np.testing.assert_allclose(block, expected, rtol=1e-9, atol=1e-14)


def test_bad_input_is_rejected():
    fsyst = systems.chain(1).finalized()
    with pytest.raises(ValueError, match="out of range"):
        heat_transport(fsyst, {3: 0.0}, {0: 0.01})
    with pytest.raises(ValueError, match="temperatures"):
        heat_transport(fsyst, {0: 1.0}, {0: 0.0})
    with pytest.raises(TypeError, match="potentials"):
        heat_transport(fsyst, [1.0, 1.0], {0: 0.01})
