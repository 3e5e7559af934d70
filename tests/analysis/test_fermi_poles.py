"""Ozaki's continued-fraction poles of the Fermi function."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.fermi_poles import fermi_pole_expansion, fermi_poles, fermi_poles_for_range
from analysis.thermal import fermi


def test_poles_and_residues_match_the_tabulated_pade_frequencies():
    # Five pole pairs, tabulated (8 digits) as Padé frequencies by Hu, Xu and Yan,
    # J. Chem. Phys. 133, 101106 (2010) (the same numbers as Ozaki, PRB 75, 035123 (2007)),
    # with residues relative to the Matsubara residue.
    poles, residues = fermi_poles(5)
    np.testing.assert_allclose(
        poles, [3.14159265, 9.42478813, 15.76218003, 24.87650795, 70.52670981], atol=1e-8
    )
    np.testing.assert_allclose(
        residues, [1.0, 1.00002021, 1.04839303, 2.32178225, 22.12980451], atol=1e-8
    )


@pytest.mark.parametrize("x_max", [30.0, 400.0, 3000.0])
def test_expansion_equals_the_fermi_function_on_the_requested_range(x_max):
    poles, residues, error = fermi_poles_for_range(x_max, tol=1e-13)
    # Random points (not the internal check grid), both signs: 1e-12 is the target.
    x = np.random.default_rng(1).uniform(-x_max, x_max, 5000)
    assert np.max(np.abs(fermi_pole_expansion(x, poles, residues) - fermi(x, 0.0, 1.0))) < 1e-12
    assert error <= 1e-13
    # Far beyond the range the truncated expansion tends to 1/2: the range is a real limit.
    assert abs(fermi_pole_expansion(1e3 * poles[-1], poles, residues) - 0.5) < 1e-2


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="n_poles"):
        fermi_poles(0)
    with pytest.raises(ValueError, match="x_max"):
        fermi_poles_for_range(-1.0)
