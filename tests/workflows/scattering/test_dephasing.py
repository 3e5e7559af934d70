"""Floating dephasing probes: probe elimination against independent calculations."""

from __future__ import annotations

import functools

import kwant
import numpy as np
import pytest

import analysis
import analysis.dephasing as theory
import systems
import workflows
from workflows.runs.recipes import SystemRecipe
from workflows.scattering.dephasing import (
    dephased_conductance,
    dephased_transport,
    eliminate_floating_probes,
    probe_potential_profile,
)
from workflows.scattering.interface_greens import interface_greens_function


def _disordered_wire_with_some_probes():
    """A 6×4 wire, probes on a checkerboard (including sites next to the leads)."""
    builder = systems.wire(6, 4)
    probes = systems.attach_dephasing_probes(builder, lambda pos: (pos[0] + pos[1]) % 2 == 0)
    params = {"eta": lambda x, y: 0.2 + 0.1 * x, "B": 0.05, "disorder": 1.5, "salt": "7"}
    return builder.finalized(), probes, params


def test_one_sparse_solve_equals_kwant_greens_function():
    fsyst, _, params = _disordered_wire_with_some_probes()
    params = systems.resolve_params(fsyst, params)
    ours = interface_greens_function(fsyst, 0.9, params=params)
    reference = kwant.greens_function(fsyst, 0.9, params=params)
    assert np.abs(ours.data - reference.data).max() < 1e-12
    for mine, theirs in zip(ours.gammas, reference.lead_info, strict=True):
        np.testing.assert_allclose(mine, 1j * (theirs - theirs.conj().T), atol=1e-14)


def _two_orbital_chain():
    """A chain with two orbitals per site, mixed by the hopping; probes on two sites."""
    lat = kwant.lattice.chain(norbs=2)
    hopping = -np.array([[1.0, 0.3j], [0.3j, 1.0]])
    builder = kwant.Builder()
    builder[(lat(x) for x in range(4))] = np.diag([2.0, 2.3])
    builder[lat.neighbors()] = hopping
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = np.diag([2.0, 2.3])
    lead[lat.neighbors()] = hopping
    builder.attach_lead(lead)
    builder.attach_lead(lead.reversed())
    systems.attach_dephasing_probes(builder, [lat(1), lat(2)])
    return builder.finalized()


@pytest.mark.parametrize("kind", ["one site", "two orbitals"])
def test_interface_solve_matches_kwant_in_small_and_multiorbital_systems(kind):
    if kind == "one site":
        builder = systems.chain(1)
        systems.attach_dephasing_probes(builder)
        fsyst = builder.finalized()
    else:
        fsyst = _two_orbital_chain()
    params = systems.resolve_params(fsyst, {"eta": 0.3})
    ours = interface_greens_function(fsyst, 1.1, params=params)
    reference = kwant.greens_function(fsyst, 1.1, params=params)
    assert np.abs(ours.data - reference.data).max() < 1e-12
    T = ours.transmissions()
    n = len(fsyst.leads)
    for i, j in [(i, j) for i in range(n) for j in range(n) if i != j]:
        assert T[i, j] == pytest.approx(reference.transmission(i, j), abs=1e-12)


def test_effective_conductance_matches_per_pair_kwant_transmissions_and_own_solve():
    """Independent route: T_ij from kwant one pair at a time, then Kirchhoff by hand."""
    fsyst, probes, params = _disordered_wire_with_some_probes()
    energy = 0.9
    gf = kwant.greens_function(fsyst, energy, params=systems.resolve_params(fsyst, params))
    n = len(fsyst.leads)
    T = np.array([[gf.transmission(i, j) if i != j else 0.0 for j in range(n)] for i in range(n)])
    # Current into terminal i: I_i = Σ_j (T_ji V_i − T_ij V_j).  Leads 0, 1 at V = 1, 0;
    # every probe carries I_p = 0: a linear system for the probe voltages.
    p = np.asarray(probes)
    a = np.diag(T.sum(axis=0)[p]) - T[np.ix_(p, p)]
    v_probes = np.linalg.solve(a, T[p, 0])
    v = np.concatenate([[1.0, 0.0], v_probes])
    current_0 = T[:, 0].sum() * v[0] - T[0] @ v
    solution = dephased_transport(fsyst, energy, params=params)
    assert solution.two_terminal_conductance() == pytest.approx(current_0, rel=1e-10)
    np.testing.assert_allclose(solution.probe_potentials(), v_probes, atol=1e-10)
    # The dephased conductance is a proper two-terminal conductance: 0 < G < N.
    assert 0 < current_0 < workflows.open_modes(fsyst, energy, lead=0)


def test_probe_currents_vanish_at_the_solved_potentials():
    builder = systems.wire(12, 5)
    systems.attach_dephasing_probes(builder)
    fsyst = builder.finalized()
    params = {"eta": 0.3, "disorder": 1.0, "salt": "1"}
    G = workflows.conductance_matrix(fsyst, 1.2, params=params)
    solution = dephased_transport(fsyst, 1.2, params=params)
    v = np.concatenate([[1.0, 0.0], solution.probe_potentials()])
    currents = G @ v
    assert np.abs(currents[2:]).max() < 1e-12 * np.abs(G).max()
    assert currents[0] == pytest.approx(solution.two_terminal_conductance(), rel=1e-12)
    assert currents[0] == pytest.approx(-currents[1], rel=1e-12)
    # Probe potentials lie between the contact voltages (a maximum principle).
    assert np.all((v[2:] > 0) & (v[2:] < 1))


@pytest.mark.parametrize("eta", [0.0, 1e-10])
def test_vanishing_coupling_recovers_the_coherent_result(eta):
    builder = systems.wire(10, 4)
    coherent = workflows.conductance_matrix(
        builder.finalized(), 0.8, params={"disorder": 2.0, "salt": "3"}
    )
    systems.attach_dephasing_probes(builder)
    solution = dephased_transport(
        builder.finalized(), 0.8, params={"eta": eta, "disorder": 2.0, "salt": "3"}
    )
    assert np.abs(solution.conductance - coherent).max() < 1e-8
    if eta == 0:
        assert np.all(np.isnan(solution.potentials))  # decoupled probes have no potential


def test_multiterminal_elimination_matches_the_bias_solver_and_onsager():
    """Cross in a field with probes in its centre: G_eff column by column via solve_bias."""
    builder = systems.cross(5)
    systems.attach_dephasing_probes(builder, lambda pos: abs(pos[0] - 2) + abs(pos[1] - 2) <= 2)
    fsyst = builder.finalized()
    results = {}
    for field in (0.04, -0.04):
        params = {"eta": 0.4, "B": field}
        solution = dephased_transport(fsyst, 1.0, params=params)
        G = workflows.conductance_matrix(fsyst, 1.0, params=params)
        for j in range(4):
            bias = {i: float(i == j) for i in range(4)}
            expected = analysis.solve_bias(G, voltages=bias).currents[:4]
            np.testing.assert_allclose(solution.conductance[:, j], expected, atol=1e-12)
        np.testing.assert_allclose(solution.conductance.sum(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(solution.conductance.sum(axis=1), 0, atol=1e-12)
        results[field] = solution.conductance
    # Onsager–Büttiker: G_ij(B) = G_ji(−B) survives dephasing.
    np.testing.assert_allclose(results[0.04], results[-0.04].T, atol=1e-12)
    assert np.abs(results[0.04] - results[0.04].T).max() > 1e-3  # the field does act


def test_chain_probe_potential_falls_linearly_as_predicted():
    length, energy, eta = 80, 1.0, 0.02
    builder = systems.chain(length)
    systems.attach_dephasing_probes(builder)
    frame = probe_potential_profile(builder.finalized(), energy, params={"eta": eta})
    slope, _ = np.polyfit(frame["x"], frame["mu"], 1)
    predicted = theory.chain_probe_potential(frame["x"], length, energy, eta)
    predicted_slope = np.polyfit(frame["x"], predicted, 1)[0]
    # Weak-coupling theory: exact to first order in η/v ≈ 0.012; the potentials also carry
    # a 2k Friedel ripple of amplitude ~ η/v from the contacts, which averages out of the fit.
    assert slope == pytest.approx(predicted_slope, rel=0.01)
    assert np.abs(frame["mu"] - predicted).max() < 0.2 * eta
    assert frame.attrs["G"] == pytest.approx(
        1 / theory.chain_dephased_resistance(length, energy, eta), rel=1e-3
    )


def test_input_errors_are_clear():
    G = np.array(
        [[1.0, -1.0, 0.0, 0.0], [-1.0, 1.0, 0.0, 0.0], [0, 0, 0.5, -0.5], [0, 0, -0.5, 0.5]]
    )
    with pytest.raises(ValueError, match=r"no conducting path"):
        eliminate_floating_probes(G, [2, 3])
    with pytest.raises(ValueError, match="at least one real terminal"):
        eliminate_floating_probes(G, [0, 1, 2, 3])
    with pytest.raises(ValueError, match="out of range"):
        eliminate_floating_probes(G, [5])
    with pytest.raises(ValueError, match="more than once"):
        eliminate_floating_probes(G, [2, 2])
    builder = systems.chain(3)
    systems.attach_dephasing_probes(builder)
    fsyst = builder.finalized()
    with pytest.raises(TypeError, match="finalized"):
        dephased_transport(builder, 1.0)
    with pytest.raises(ValueError, match="not a real terminal"):
        dephased_transport(fsyst, 1.0, params={"eta": 0.1}).two_terminal_conductance(0, 3)
    with pytest.raises(ValueError, match="'eta'"):
        dephased_conductance(fsyst, 1.0, params={"eta": -1.0})


def _recipe(builder: str, length: int, **arguments) -> SystemRecipe:
    """Recipe factory of the dephasing studies: ``functools.partial(_recipe, "wire", width=6)``."""
    return SystemRecipe(builder, {"length": length, **arguments})


def test_studies_return_tidy_frames_with_the_coherent_reference():
    chain = functools.partial(_recipe, "chain")
    frame = workflows.localization_study(chain, 0.9, [8, 16], ["1", "2"], disorder=2.0, eta=0.3)
    assert list(frame.columns) == ["eta", "length", "salt", "G", "R", "log_G"]
    assert len(frame) == 2 * 2 * 2
    coherent = frame[frame["eta"] == 0].set_index(["length", "salt"])
    for (length, salt), row in coherent.iterrows():  # plain Kwant, no probes
        smatrix = kwant.smatrix(
            systems.chain(length).finalized(),
            0.9,
            params={**systems.NEUTRAL_PARAMS, "disorder": 2.0, "salt": salt},
        )
        assert row["G"] == pytest.approx(smatrix.transmission(1, 0), rel=1e-10)
    wire = functools.partial(_recipe, "wire", width=6)
    crossover = workflows.ohmic_crossover_study(wire, 1.15, [3, 9], [0.0, 0.1])
    assert (crossover["system"] == "wire").all() and (crossover["width"] == 6).all()
    clean = crossover[crossover["eta"] == 0]
    np.testing.assert_allclose(clean["R"], 0.5, rtol=1e-10)  # two open modes, ballistic
    assert (crossover[crossover["eta"] > 0]["R"] > 0.5).all()
    profile = workflows.potential_profile_study(_recipe("wire", 10, width=3), 1.15, 0.2)
    assert list(profile.columns) == ["lead", "x", "y", "mu"] and len(profile) == 30


@pytest.mark.parametrize("n_probes", [4, 150], ids=["dense-gamma", "sparse-gamma"])
def test_vectorized_transmissions_equal_the_trace_formula_pair_by_pair(n_probes):
    """Both branches of InterfaceGreensFunction.transmissions (dense Γ for few interface
    orbitals, sparse for many) against T_ij = Tr[Γ_i G_ij Γ_j G_ij†] one pair at a time.

    Random G and positive semi-definite Γ blocks (two 3-orbital leads, one orbital per
    probe): a pure linear-algebra identity, so agreement to rounding (1e-10 on entries
    of order 10) is required.
    """
    rng = np.random.default_rng(11)
    sizes = [3, 3] + [1] * n_probes
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n = offsets[-1]
    g = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    gammas = []
    for size in sizes:
        a = rng.normal(size=(size, size)) + 1j * rng.normal(size=(size, size))
        gammas.append(a @ a.conj().T)
    ours = workflows.scattering.InterfaceGreensFunction(g, tuple(gammas), offsets).transmissions()
    blocks = [slice(offsets[i], offsets[i + 1]) for i in range(len(sizes))]
    pairs = [(0, 1), (1, 0), (0, 2), (2, 1), (3, 2), (len(sizes) - 1, 0), (2, 2)]
    for i, j in pairs:
        g_ij = g[blocks[i], blocks[j]]
        expected = np.trace(gammas[i] @ g_ij @ gammas[j] @ g_ij.conj().T).real
        assert ours[i, j] == pytest.approx(expected, abs=1e-10)
