"""Coherence length from R(L): the weak-coupling result λ = 2ħv/η on a chain, and wires."""

from __future__ import annotations

import numpy as np
import pytest

import analysis.dephasing as theory
import systems
import workflows
from workflows.runs.recipes import SystemRecipe
from workflows.studies.coherence import fit_ohmic, measure_coherence_length, resistance_vs_length

# η = 0.05 with v = 2t sin k >= 1.3 t at these energies: η/v <= 0.04.  The weak-coupling
# formula is exact to first order in η/v; the second-order correction measured on the chain
# is below 0.6 (η/v)² <= 1e-3 relative, so the required 1 % tolerance has a margin of 10 while
# a wrong factor (2, π, sin k) fails by far.  Lengths 20…100 give L/λ up to ~1.9.
ETA = 0.05
LENGTHS = [20, 60, 100]


def chain(length: int) -> SystemRecipe:
    """The recipe factory of the clean chain (probes attached by the study)."""
    return SystemRecipe("chain", {"length": length})


@pytest.mark.parametrize("energy", [0.5, 1.0, 2.0, 3.0])
def test_chain_resistance_is_linear_with_the_predicted_slope(energy):
    fit = measure_coherence_length(chain, energy, LENGTHS, params={"eta": ETA})
    velocity = theory.chain_group_velocity(energy)
    assert velocity == pytest.approx(2 * np.sin(np.arccos(1 - energy / 2)))
    assert fit.slope == pytest.approx(ETA / (2 * velocity), rel=0.01)
    assert fit.contact_resistance == pytest.approx(1.0, rel=0.01)
    assert fit.max_residual < 1e-3 * fit.resistance(LENGTHS[-1])  # linear in L
    assert fit.backscattering_length == pytest.approx(
        theory.chain_backscattering_length(energy, ETA), rel=0.01
    )
    assert fit.coherence_length == pytest.approx(theory.dephasing_length(velocity, ETA), rel=0.01)


def test_coherence_length_scales_as_one_over_eta():
    fits = [
        measure_coherence_length(chain, 1.0, [10, 40], params={"eta": eta})
        for eta in (0.02, 0.04, 0.08)
    ]
    lengths = np.array([f.coherence_length for f in fits])
    np.testing.assert_allclose(lengths[:-1] / lengths[1:], 2.0, rtol=0.01)


def test_wire_follows_the_semiclassical_network_from_ballistic_to_ohmic():
    """Two-mode wire: the full crossover and, for L ≫ l_φ, the Ohmic slope η / (2 Σ v_n).

    E = 1.15 t lies midway between the subband edges 0.75 t and 1.55 t of a 6-wide wire:
    weak coupling needs η small against the distance to the nearest edge, where the
    probes would mix in a nearly open (slow) mode.
    """
    energy, width, eta = 1.15, 6, 0.2
    velocities = workflows.lead_velocities(systems.wire(1, width).finalized(), energy)
    assert velocities.size == 2
    frame = resistance_vs_length(
        lambda length: SystemRecipe("wire", {"length": length, "width": width}),
        energy,
        [2, 10, 40, 60],
        params={"eta": eta},
    )
    predicted = [
        theory.semiclassical_dephased_resistance(length, velocities, eta)
        for length in frame["length"]
    ]
    # η/v ≈ 0.12–0.17: the quantum result deviates from the incoherent network by ≈ 5e-3
    # (measured), an effect of first order in η/v; 1 % bounds it.
    np.testing.assert_allclose(frame["R"], predicted, rtol=0.01)
    ohmic = fit_ohmic(frame["length"][2:], frame["R"][2:])  # l_φ = v/η <= 9 sites ≪ 40
    assert ohmic.slope == pytest.approx(theory.ohmic_slope(velocities, eta), rel=0.02)
    assert (frame["n_probes"] == frame["length"] * width).all()


def test_fit_ohmic_reads_contact_resistance_and_lambda_off_a_line():
    fit = fit_ohmic([10, 20, 30], [0.5 + 0.01 * L for L in (10, 20, 30)])
    assert fit.contact_resistance == pytest.approx(0.5)
    assert fit.backscattering_length == pytest.approx(50.0)
    assert fit.coherence_length == pytest.approx(25.0)
    with pytest.raises(ValueError, match="two distinct lengths"):
        fit_ohmic([10, 10], [1.0, 1.1])
    with pytest.raises(ValueError, match="same size"):
        fit_ohmic([10, 20], [1.0])
    with pytest.raises(ValueError, match="lengths"):
        resistance_vs_length(chain, 1.0, [0, 10])


def test_probe_sites_selects_the_sites_that_get_a_probe():
    # probe_sites is the site selection of systems.attach_dephasing_probes; None
    # leaves the probes to the builder (here: none, the coherent chain, G = 1).
    one = resistance_vs_length(
        chain, 1.0, [3], params={"eta": 0.5}, probe_sites=lambda pos: pos[0] == 1
    )
    assert one["n_probes"].tolist() == [1] and one.attrs["failed"] == 0
    every = resistance_vs_length(chain, 1.0, [3], params={"eta": 0.5})
    assert every["n_probes"].tolist() == [3]
    coherent = resistance_vs_length(chain, 1.0, [3], probe_sites=None)
    assert coherent["n_probes"].tolist() == [0]
    assert coherent["G"].iloc[0] == pytest.approx(1.0, abs=1e-10)  # clean chain, one mode
