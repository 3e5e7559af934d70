"""Closed-form chain transmissions against each other and against Kwant."""

import kwant
import numpy as np
import pytest

import systems
from analysis import chain_barrier_transmission, chain_transmission


def test_transfer_matrix_reduces_to_the_single_barrier_formula():
    energies = np.linspace(0.05, 3.95, 41)
    assert (
        np.abs(
            chain_transmission(energies, [0.8]) - chain_barrier_transmission(energies, 0.8)
        ).max()
        < 1e-12
    )


def test_transfer_matrix_matches_kwant_for_an_arbitrary_potential():
    potential = np.random.default_rng(3).uniform(-1, 1.5, size=9)
    fsyst = systems.chain(potential.size).finalized()
    params = {"t": 1.0, "disorder": 0.0, "salt": "0", "V": lambda x: potential[round(x)]}
    for energy in (0.3, 1.7, 3.2):
        expected = kwant.smatrix(fsyst, energy, params=params).transmission(1, 0)
        assert chain_transmission(energy, potential) == pytest.approx(expected, abs=1e-10)


def test_a_clean_chain_transmits_perfectly_and_energies_outside_the_band_are_refused():
    assert chain_transmission(1.3, np.zeros(5)) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="band"):
        chain_transmission(4.5, [0.0])
