"""Conductance matrices: Landauer plateaus, the chain barrier, sum rules, clear errors."""

import kwant
import numpy as np
import pytest

import systems
from analysis import subband_edges
from workflows import conductance_matrix, conductance_vs_energy


@pytest.mark.parametrize("width", [1, 4, 9])
def test_ideal_wire_conductance_equals_the_number_of_open_subbands(width):
    edges = 2 * (1 - np.cos(np.arange(1, width + 1) * np.pi / (width + 1)))
    # Midpoints between consecutive band bottoms, away from the Van Hove singularities.
    energies = (edges[:-1] + edges[1:]) / 2 if width > 1 else np.array([1.0])
    fsyst = systems.wire(7, width).finalized()
    for energy in energies[:4]:
        expected = np.count_nonzero(edges < energy)
        G = conductance_matrix(fsyst, energy)
        assert G[0, 0] == pytest.approx(expected, abs=1e-10)
        assert -G[1, 0] == pytest.approx(expected, abs=1e-10)


def test_chain_barrier_matches_the_analytic_transmission():
    fsyst = systems.chain(5).finalized()
    barrier = 0.7

    def one_site_barrier(x):
        return barrier if x == 2 else 0.0

    energies = np.linspace(0.05, 3.95, 23)
    k = np.arccos(1 - energies / 2)
    expected = 1 / (1 + (barrier / (2 * np.sin(k))) ** 2)
    simulated = conductance_vs_energy(fsyst, energies, params={"V": one_site_barrier})
    assert np.abs(simulated["G"].to_numpy() - expected).max() < 1e-9


def test_sum_rules_hold_for_a_hall_bar_in_a_field():
    fsyst = systems.hall_bar(24, 8, 4).finalized()
    G = conductance_matrix(fsyst, 0.7, params={"B": 0.04, "disorder": 1.0, "salt": "3"})
    assert G.shape == (6, 6)
    assert np.abs(G.sum(axis=0)).max() < 1e-10
    assert np.abs(G.sum(axis=1)).max() < 1e-10
    off_diagonal = G[~np.eye(6, dtype=bool)]
    assert np.all(off_diagonal <= 1e-12)  # −T_ij


def test_greens_function_path_matches_per_pair_transmissions_with_probes():
    builder = systems.wire(6, 3)
    chosen = [site for site in builder.sites() if tuple(site.tag) in {(2, 1), (4, 0)}]
    probes = systems.attach_dephasing_probes(builder, chosen)
    fsyst = builder.finalized()
    params = {"eta": 0.3}
    G = conductance_matrix(fsyst, 1.1, params=params)
    gf = kwant.greens_function(fsyst, 1.1, params={**systems.NEUTRAL_PARAMS, **params})
    n = 2 + len(probes)
    for i in range(n):
        for j in range(n):
            if i != j:
                assert G[i, j] == pytest.approx(-gf.transmission(i, j), abs=1e-12)
    assert np.abs(G.sum(axis=0)).max() < 1e-12
    assert np.abs(G.sum(axis=1)).max() < 1e-10


def test_probes_at_zero_coupling_recover_the_coherent_result():
    builder = systems.wire(8, 4)
    systems.attach_dephasing_probes(builder, "all")
    with_probes = conductance_matrix(builder.finalized(), 1.3, params={"eta": 0.0})
    coherent = conductance_matrix(systems.wire(8, 4).finalized(), 1.3)
    assert np.abs(with_probes[:2, :2] - coherent).max() < 1e-8


def test_an_unknown_parameter_is_named_with_the_known_ones():
    fsyst = systems.wire(3, 2).finalized()
    with pytest.raises(ValueError, match=r"'Vg'.*knows.*'B'"):
        conductance_matrix(fsyst, 1.0, params={"Vg": 1.0})


def test_a_missing_nonstandard_parameter_is_named():
    fsyst = systems.qpc(20, 10).finalized()
    with pytest.raises(ValueError, match="V_gate"):
        conductance_matrix(fsyst, 1.0)


@pytest.mark.parametrize("energy", ["1.0", None, float("nan")])
def test_a_bad_energy_is_rejected(energy):
    with pytest.raises((TypeError, ValueError), match="energy"):
        conductance_matrix(systems.chain(2).finalized(), energy)


def test_an_unfinalized_builder_is_rejected_with_advice():
    with pytest.raises(TypeError, match="finalized"):
        conductance_matrix(systems.chain(2), 1.0)


def test_subband_edges_follow_the_strip_formula():
    edges = subband_edges(5)
    assert np.allclose(edges, 2 * (1 - np.cos(np.arange(1, 6) * np.pi / 6)))


def test_conductance_vs_energy_checks_its_input_before_solving(monkeypatch):
    import workflows.scattering.conductance

    def forbidden(*args, **kwargs):
        raise AssertionError("solved before checking the input")

    fsyst = systems.chain(3).finalized()
    monkeypatch.setattr(workflows.scattering.conductance, "conductance_matrix", forbidden)
    with pytest.raises(ValueError, match="sink=2 is out of range"):
        conductance_vs_energy(fsyst, [0.5, 1.0], sink=2)
    with pytest.raises(ValueError, match="must differ"):
        conductance_vs_energy(fsyst, [0.5, 1.0], source=1, sink=1)
    with pytest.raises(ValueError, match="energy must be a finite real number"):
        conductance_vs_energy(fsyst, [0.5, float("nan")])
