"""The electrostatics at tight-binding sites: the affine map and the Kwant on-site term."""

from __future__ import annotations

import kwant
import numpy as np
import pytest
import tinyarray

import systems
from systems.electrostatics import (
    Gate,
    Layout,
    PoissonProblem,
    SiteElectrostatics,
    SitePotential,
    layout_grid,
    site_positions,
)
from systems.gates import RectangularGate

UNITS = systems.Units(10.0, 0.067)  # a = 10 nm, GaAs mass
DEPTH = 50.0


def _split_gate(width_nm=200.0):
    fingers = [
        Gate("top", [(-40, 30), (40, 30), (40, 1e4), (-40, 1e4)]),
        Gate("bottom", [(-40, -1e4), (40, -1e4), (40, -30), (-40, -30)]),
    ]
    layout = Layout(gates=fingers, depth=DEPTH)
    half = width_nm / 2
    return layout, layout_grid(layout, [(-half, half), (-half, half)], 10.0)


def test_affine_map_is_symmetric_positive_and_linear_in_voltage():
    layout, grid = _split_gate()
    problem = PoissonProblem(layout, grid)
    rng = np.random.default_rng(1)
    positions = np.column_stack(
        [rng.uniform(-90, 90, 30), rng.uniform(-90, 90, 30), np.full(30, -DEPTH)]
    )
    es = SiteElectrostatics(problem, positions)
    K = es.operator @ np.eye(30)
    # Reciprocity of electrostatics (Green's function symmetric) and positive energy of
    # any charge distribution: K = Pᵀ A⁻¹ P is symmetric positive definite.
    np.testing.assert_allclose(K, K.T, atol=1e-12 * np.abs(K).max())
    assert np.linalg.eigvalsh(K).min() > 0
    # U is affine in the voltages: U(V) = U(0) + Σ V_g ∂U/∂V_g.
    arms = es.lever_arms()
    voltages = {"top": -0.4, "bottom": -0.7}
    expected = es.bare_energy({}) + sum(v * arms[g] for g, v in voltages.items())
    np.testing.assert_allclose(es.bare_energy(voltages), expected, atol=1e-12)
    # Lever arm of one finger against the Davies-Larkin-Sukhorukov formula (no charge):
    # within 1 % of the gate voltage on this 10 nm mesh (second-order, see test_poisson).
    dls = RectangularGate(-40, 40, 30, np.inf).lever_arm(positions[:, 0], positions[:, 1], DEPTH)
    np.testing.assert_allclose(-arms["top"], dls, atol=0.01)


def test_common_shift_of_every_voltage_shifts_the_energy_rigidly():
    # Reference of energies: 1 V on every gate and on the pinned surface shifts every
    # electron energy by -1 eV (a constant potential solves Laplace's equation).
    fingers = [Gate("g", (-40, 40))]
    base = Layout(gates=fingers, depth=DEPTH, far_field="free")
    shifted = Layout(gates=fingers, depth=DEPTH, far_field="free", surface_potential=1.0)
    positions = np.column_stack([np.linspace(-90, 90, 7), np.full(7, -DEPTH)])
    maps = [
        SiteElectrostatics(PoissonProblem(lay, layout_grid(lay, [(-100, 100)], 10.0)), positions)
        for lay in (base, shifted)
    ]
    np.testing.assert_allclose(
        maps[1].bare_energy({"g": 0.3 + 1.0}), maps[0].bare_energy({"g": 0.3}) - 1.0, atol=1e-12
    )


def test_site_potential_on_mesoflow_qpc_and_on_a_plain_kwant_system():
    layout, grid = _split_gate()
    problem = PoissonProblem(layout, grid)
    # mesoflow's own builder: the potential enters as V(x, y) through params.
    fsyst = systems.wire(12, 9).finalized()
    origin = (-55.0, -40.0)
    positions = site_positions(fsyst, UNITS, origin=origin, height=-DEPTH)
    es = SiteElectrostatics(problem, positions)
    energy = es.bare_energy({"top": -0.01, "bottom": -0.01})
    V = SitePotential(fsyst, energy, units=UNITS)
    params = {"t": 1.0, "V": V, "disorder": 0.0, "salt": "0"}
    onsite = [fsyst.hamiltonian(i, i, params=params) for i in range(len(fsyst.sites))]
    np.testing.assert_allclose(np.real(onsite), 4.0 + energy * 1e3 / UNITS.t_meV, atol=1e-12)

    # A user's system: two orbitals, a value function reading the potential by site.
    lat = kwant.lattice.square(norbs=2)
    syst = kwant.Builder()

    def onsite_2(site, potential, delta):
        return (potential(site) + 4) * np.eye(2) + delta * np.diag([1, -1])

    syst[(lat(x, y) for x in range(6) for y in range(4))] = onsite_2
    syst[lat.neighbors()] = -np.eye(2)
    user = syst.finalized()
    positions = site_positions(user, UNITS, origin=origin, height=-DEPTH)
    energy = SiteElectrostatics(problem, positions).bare_energy({"top": -0.02})
    potential = SitePotential(user, energy)  # eV, the user's energy unit
    H = user.hamiltonian_submatrix(params={"potential": potential, "delta": 0.1})
    np.testing.assert_allclose(np.diag(H).real[::2], energy + 4 + 0.1, atol=1e-12)
    with pytest.raises(KeyError, match="no site"):
        potential(tinyarray.array([100.0, 100.0]))


def test_positions_and_charge_validation():
    layout, grid = _split_gate()
    problem = PoissonProblem(layout, grid)
    with pytest.raises(ValueError, match="shape"):
        SiteElectrostatics(problem, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="outside the grid"):
        SiteElectrostatics(problem, [[1e6, 0.0, -DEPTH]])
    with pytest.raises(TypeError, match="Units"):
        site_positions(systems.chain(3).finalized(), 10.0)
    fsyst = systems.chain(3).finalized()
    with pytest.raises(ValueError, match="3 sites"):
        SitePotential(fsyst, [0.0, 1.0])
